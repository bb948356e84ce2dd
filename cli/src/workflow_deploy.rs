//! `cws workflow deploy -s STAGE [--dags DIR | --bundle DIR] [--airflow URL | --print]`: writes the
//! stage's DAGs and sets Airflow up from the deployment. What to create is the core's
//! ([`coworks_core::artifacts::airflow_setup`]: names, fields, request bodies, the `airflow` CLI
//! lines); this module reads the deployment (the stage's Terraform outputs, as `cws deployed` does,
//! and its deploy record), the stage's token (the `TOKEN` of its env files, as `cws workflow run`
//! and `cws invoke` read it), and talks to Airflow's REST API. No token is ever printed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use coworks_core::artifacts::airflow_setup::{self, DeployedStage};
use coworks_core::artifacts::api::{api_key_envs_text, api_key_from_env};
use coworks_core::settings::DeployFlags;
use coworks_core::Project;
use serde_json::Value;

use crate::output::{errln, outln};
use crate::{failed, Failure};

/// The environment variable holding a JWT of Airflow's API (used as it is).
pub const AIRFLOW_TOKEN_ENV: &str = "CWS_AIRFLOW_TOKEN";
/// The environment variables holding the Airflow user and password (`POST /auth/token`).
pub const AIRFLOW_USER_ENV: (&str, &str) = ("CWS_AIRFLOW_USERNAME", "CWS_AIRFLOW_PASSWORD");

/// Arguments of `cws workflow deploy`.
#[derive(Args)]
pub struct DeployArgs {
    /// The deployed stage whose DAGs, URLs and token are set up.
    #[arg(short, long)]
    pub stage: String,
    /// Where to write the DAGs (default: `commands.workflow.airflow_dags`, else `<project>/airflow/dags`).
    #[arg(long, value_name = "DIR", conflicts_with = "bundle")]
    pub dags: Option<PathBuf>,
    /// Write the DAGs into DIR as an Airflow DAG bundle of their own (prints its
    /// `dag_bundle_config_list` entry).
    #[arg(long, value_name = "DIR")]
    pub bundle: Option<PathBuf>,
    /// The Airflow 3 API server to set the connections and variables up in (credentials:
    /// `CWS_AIRFLOW_TOKEN`, or `CWS_AIRFLOW_USERNAME` and `CWS_AIRFLOW_PASSWORD`).
    #[arg(long, value_name = "URL", env = "CWS_AIRFLOW_URL", conflicts_with = "print")]
    pub airflow: Option<String>,
    /// Print the `airflow connections add` / `airflow variables set` lines instead (a shell script on
    /// stdout; the token is read from `$CWS_TOKEN` when it runs, never printed).
    #[arg(long)]
    pub print: bool,
    /// The project directory (default: the nearest directory holding project.cws.yml, here or above).
    #[arg(short, long, value_name = "DIR")]
    pub project: Option<PathBuf>,
}

/// `cws workflow deploy`.
pub fn run(args: DeployArgs) -> Result<ExitCode, Failure> {
    if args.airflow.is_none() && !args.print {
        return Err(
            "say where the connections go: `--airflow URL` (or CWS_AIRFLOW_URL) for Airflow's REST API, or `--print` for the `airflow` CLI lines"
                .into(),
        );
    }
    let mut project = crate::load_project(args.project.as_deref(), Some(&args.stage))?;
    crate::read_outside_env_files(&mut project);
    let stage = args.stage.clone();
    let deployed = deployed_stage(&project, &stage)?;
    let setup = airflow_setup::setup(&project, &stage, &deployed).map_err(failed)?;
    // The API key of each service requiring one, as `cws invoke` sends it (the core's
    // `api_key_from_env`: `CWS_API_KEY_<SERVICE>`, else `CWS_API_KEY`).
    let api_keys: BTreeMap<&str, String> = setup
        .connections
        .iter()
        .filter_map(|c| c.api_key_of.as_deref())
        .filter_map(|s| api_key_from_env(s, |v| std::env::var(v).ok()).map(|(_, key)| (s, key)))
        .collect();
    let missing: Vec<String> = setup
        .connections
        .iter()
        .filter_map(|c| c.api_key_of.as_deref().filter(|s| !api_keys.contains_key(s)).map(|s| (&c.id, s)))
        .map(|(id, s)| format!("{id}: set {}", api_key_envs_text(s)))
        .collect();
    if !missing.is_empty() && !args.print {
        return Err(failed(format!(
            "connections need the API key of their service (deployed with `api_key` / `usage_plan`; `aws apigateway get-api-key --api-key <api_key_id> --include-value`, `cws deployed` shows the id); nothing was written nor sent:\n  {}",
            missing.join("\n  ")
        )));
    }
    // Reach Airflow first: nothing is written when it cannot be set up.
    let client = match args.airflow.as_deref() {
        Some(url) if !args.print => Some(Airflow::connect(url.trim_end_matches('/'))?),
        _ => None,
    };
    let out = args.bundle.as_deref().or(args.dags.as_deref());
    let Some(written) = crate::workflow::write_dags(&project, &stage, out, args.print)? else {
        return Ok(ExitCode::FAILURE);
    };
    if args.bundle.is_some() {
        let path = std::path::absolute(&written).unwrap_or(written);
        let entry = airflow_setup::bundle_config(&stage, &path.to_string_lossy());
        errln!(
            "DAG bundle `{}`: add this entry to `[dag_processor] dag_bundle_config_list` (AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST):",
            airflow_setup::bundle_name(&stage)
        );
        errln!("  {entry}");
    }
    let Some(client) = client else {
        for line in airflow_setup::print_lines(&setup) {
            outln!("{line}");
        }
        errln!("note: the lines read the tokens from environment variables (see their first lines); none is printed");
        return Ok(ExitCode::SUCCESS);
    };
    let body = airflow_setup::connections_request(
        &setup,
        |s| deployed.tokens.get(s).cloned(),
        |s| api_keys.get(s).cloned(),
    );
    let mut secrets: Vec<&str> = deployed.tokens.values().map(String::as_str).collect();
    secrets.extend(api_keys.values().map(String::as_str));
    client.bulk(airflow_setup::CONNECTIONS_PATH, &body, "connections", &secrets)?;
    for c in &setup.connections {
        let host = c.host.as_deref().map(|h| format!(" → {h}")).unwrap_or_default();
        let token = if c.token_of.is_some() { " (with the stage's token)" } else { "" };
        let key = if c.api_key_of.is_some() { " (with the API key)" } else { "" };
        outln!("connection {} ({}) created or updated{host}{token}{key}", c.id, c.conn_type);
    }
    if !setup.variables.is_empty() {
        let body = airflow_setup::variables_request(&setup);
        client.bulk(airflow_setup::VARIABLES_PATH, &body, "variables", &secrets)?;
        for v in &setup.variables {
            outln!("variable {} = {} created or updated", v.key, v.value);
        }
    }
    outln!("Airflow at {} is set up for stage `{stage}`", client.url);
    Ok(ExitCode::SUCCESS)
}

/// The stage's deployed URLs, tokens and AWS place.
fn deployed_stage(project: &Project, stage: &str) -> Result<DeployedStage, Failure> {
    let urls = crate::deploy::deployed_urls(project, stage)?;
    let tokens = airflow_setup::called_services(project)
        .into_iter()
        .filter_map(|s| {
            let token = project.local_env(stage, &s).get("TOKEN").filter(|t| !t.is_empty()).cloned();
            token.map(|t| (s, t))
        })
        .collect();
    let target = match crate::deploy::read_record(project, stage)? {
        Some(record) => record.target,
        None => project.deploy_target(stage, &DeployFlags::default()),
    };
    Ok(DeployedStage {
        urls,
        tokens,
        region: target.region,
        s3_endpoint: target.endpoints.get("s3").cloned(),
    })
}

/// An Airflow 3 API server and the JWT its requests carry.
struct Airflow {
    url: String,
    jwt: String,
    agent: ureq::Agent,
}

impl Airflow {
    /// Gets a JWT: `CWS_AIRFLOW_TOKEN` as it is, else `POST /auth/token` with
    /// `CWS_AIRFLOW_USERNAME` / `CWS_AIRFLOW_PASSWORD`, else `GET /auth/token` (an Airflow whose
    /// simple auth manager makes every user an admin).
    fn connect(url: &str) -> Result<Self, Failure> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let token_url = format!("{url}{}", airflow_setup::TOKEN_PATH);
        let jwt = if let Some(jwt) = var(AIRFLOW_TOKEN_ENV) {
            jwt
        } else {
            let answer = match (var(AIRFLOW_USER_ENV.0), var(AIRFLOW_USER_ENV.1)) {
                (Some(username), Some(password)) => {
                    let body = serde_json::json!({ "username": username, "password": password }).to_string();
                    agent.post(&token_url).header("Content-Type", "application/json").send(body)
                }
                _ => agent.get(&token_url).call(),
            };
            let (status, text) = read(answer, &token_url)?;
            let value: Value = serde_json::from_str(&text).unwrap_or_default();
            match value["access_token"].as_str() {
                Some(jwt) if (200..300).contains(&status) => jwt.to_string(),
                _ => {
                    return Err(failed(format!(
                        "Airflow at {url} gave no API token ({token_url} answered {status}): check {} and {} (or set {AIRFLOW_TOKEN_ENV} to a JWT)",
                        AIRFLOW_USER_ENV.0, AIRFLOW_USER_ENV.1
                    )))
                }
            }
        };
        Ok(Airflow { url: url.to_string(), jwt, agent })
    }

    /// Sends a bulk create-or-overwrite request; fails with Airflow's own words, `secrets` masked
    /// (a refused request's answer may quote its input).
    fn bulk(&self, path: &str, body: &Value, what: &str, secrets: &[&str]) -> Result<(), Failure> {
        let url = format!("{}{path}", self.url);
        let answer = self
            .agent
            .patch(&url)
            .header("Content-Type", "application/json")
            .header("Authorization", format!("Bearer {}", self.jwt))
            .send(body.to_string());
        let (status, mut text) = read(answer, &url)?;
        for secret in secrets {
            text = text.replace(secret, "***");
        }
        if !(200..300).contains(&status) {
            return Err(failed(format!(
                "setting the {what} up: {url} answered {status}: {}",
                excerpt(&text)
            )));
        }
        let answer: Value = serde_json::from_str(&text).unwrap_or_default();
        let errors = airflow_setup::bulk_errors(&answer);
        if !errors.is_empty() {
            return Err(failed(format!("setting the {what} up, Airflow refused: {}", errors.join("; "))));
        }
        Ok(())
    }
}

/// The status and text of an answer.
fn read(
    answer: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    url: &str,
) -> Result<(u16, String), Failure> {
    let mut response = answer.map_err(|e| failed(format!("no answer from {url}: {e}")))?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    Ok((status, text))
}

/// The start of an answer, for an error.
fn excerpt(text: &str) -> String {
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}
