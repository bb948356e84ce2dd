//! What Airflow needs to run a stage's DAGs, from the deployment (`cws workflow deploy`): one HTTP
//! connection per service the workflows call ([`connection_id`]: host = the deployed URL, password
//! = the stage's token), the AWS connection and the results-bucket Variable when a workflow calls
//! asynchronously. The names are the DAG generator's ([`super::airflow`]); the fields are decided
//! here once, for Airflow 3's public REST API ([`connections_request`], [`variables_request`]) and
//! for the `airflow` CLI lines of `--print` ([`print_lines`]), which never hold the token: it is
//! read from an environment variable ([`token_variable`]) when the lines run.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Value};

use super::airflow::{aws_connection_id, bucket_variable, connection_id};
use super::api::{api_key_envs_text, api_key_shell_value};
use crate::commands::shell_quote;
use crate::naming::service_env_suffix;
use crate::project::Project;
use crate::settings::CliOptions;

/// The path of Airflow 3's token endpoint (simple auth manager, FAB, Keycloak): `POST` with
/// `{"username", "password"}`, or `GET` when every user is an admin; answers `{"access_token"}`.
pub const TOKEN_PATH: &str = "/auth/token";
/// The public REST API's connections (`PATCH`: bulk create / overwrite).
pub const CONNECTIONS_PATH: &str = "/api/v2/connections";
/// The public REST API's Variables (`PATCH`: bulk create / overwrite).
pub const VARIABLES_PATH: &str = "/api/v2/variables";

/// One Airflow connection to create or update.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AirflowConnection {
    /// `cws_<service>_<stage>` or `cws_aws_<stage>`.
    pub id: String,
    /// `http` or `aws`.
    pub conn_type: &'static str,
    /// What it is for (shown in Airflow's UI).
    pub description: String,
    /// The deployed base URL (HTTP connections).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The service whose token is the password (HTTP connections of a stage with a token).
    #[serde(skip)]
    pub token_of: Option<String>,
    /// The connection's `extra` (AWS: region and endpoint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra: Option<Value>,
    /// The service whose API key goes in the extra's `api_key` (sent as `x-api-key` by the DAG's
    /// operators), when it requires one in the stage (`FunctionSettings::api_key_required`): read
    /// from the environment when the setup is sent or its lines run, as the core decides for every
    /// face (`CWS_API_KEY_<SERVICE>`, else `CWS_API_KEY`: [`super::api::api_key_from_env`]) — never
    /// in the setup nor the DAG.
    #[serde(skip)]
    pub api_key_of: Option<String>,
}

/// One Airflow Variable to create or update.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AirflowVariable {
    /// `cws_results_bucket_<stage>`.
    pub key: String,
    /// Its value.
    pub value: String,
    /// What it is for.
    pub description: String,
}

/// What a stage was deployed to, as `cws deployed` reads it.
#[derive(Debug, Clone, Default)]
pub struct DeployedStage {
    /// Each deployed service's base URL.
    pub urls: BTreeMap<String, String>,
    /// Each service's token in the stage (`TOKEN` of its env files), when it has one.
    pub tokens: BTreeMap<String, String>,
    /// The stage's region, when known.
    pub region: Option<String>,
    /// The S3 endpoint the stage was deployed with (an emulator), when any.
    pub s3_endpoint: Option<String>,
}

/// The connections and Variables of one stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AirflowSetup {
    /// The stage.
    pub stage: String,
    /// Connections, HTTP ones first (by service), then AWS.
    pub connections: Vec<AirflowConnection>,
    /// Variables.
    pub variables: Vec<AirflowVariable>,
    /// Whether the services' tokens differ (then `--print` reads one variable per service).
    #[serde(skip)]
    pub tokens_differ: bool,
}

/// The services the project's workflows call, sorted, each once.
pub fn called_services(project: &Project) -> Vec<String> {
    let mut services: Vec<String> = project
        .workflows()
        .flat_map(|w| w.tasks.iter().filter_map(|t| t.service.as_ref().map(|s| s.value.clone())))
        .collect();
    services.sort_unstable();
    services.dedup();
    services
}

/// What Airflow needs for `stage`'s DAGs, from its deployment. Errors name the services the
/// workflows call that have no deployed URL.
pub fn setup(project: &Project, stage: &str, deployed: &DeployedStage) -> Result<AirflowSetup, String> {
    let services = called_services(project);
    let missing: Vec<&str> =
        services.iter().filter(|s| !deployed.urls.contains_key(*s)).map(String::as_str).collect();
    if !missing.is_empty() {
        return Err(format!(
            "the workflows call {} with no deployed API in stage `{stage}` (`cws deployed -s {stage}` lists the URLs; deploy with `cws deploy -s {stage}`)",
            missing.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    let mut connections: Vec<AirflowConnection> = services
        .iter()
        .map(|s| AirflowConnection {
            id: connection_id(s, stage),
            conn_type: "http",
            description: format!("CoWorks service `{s}`, stage `{stage}` (cws workflow deploy)"),
            host: deployed.urls.get(s).map(|u| u.trim_end_matches('/').to_string()),
            token_of: deployed.tokens.contains_key(s).then(|| s.clone()),
            extra: None,
            api_key_of: project
                .function_settings(stage, s, &CliOptions::new())
                .api_key_required()
                .then(|| s.clone()),
        })
        .collect();
    let mut variables = Vec::new();
    let async_services: Vec<String> = project
        .workflows()
        .flat_map(|w| w.tasks.iter().filter(|t| t.is_async))
        .filter_map(|t| t.service.as_ref().map(|s| s.value.clone()))
        .collect();
    if !async_services.is_empty() {
        let mut extra = serde_json::Map::new();
        if let Some(region) = &deployed.region {
            extra.insert("region_name".into(), json!(region));
        }
        if let Some(endpoint) = &deployed.s3_endpoint {
            extra.insert("endpoint_url".into(), json!(endpoint));
        }
        connections.push(AirflowConnection {
            id: aws_connection_id(stage),
            conn_type: "aws",
            description: format!(
                "CoWorks stage `{stage}`: reads the results of async calls from S3 (credentials: the workers' own)"
            ),
            host: None,
            token_of: None,
            extra: Some(Value::Object(extra)),
            api_key_of: None,
        });
        let bucket = async_services
            .iter()
            .find_map(|s| project.function_settings(stage, s, &CliOptions::new()).bucket)
            .ok_or_else(|| {
                format!("the workflows call asynchronously but stage `{stage}` has no results bucket (`deploy.bucket`)")
            })?;
        variables.push(AirflowVariable {
            key: bucket_variable(stage),
            value: bucket,
            description: format!("CoWorks stage `{stage}`: the results bucket of async calls"),
        });
    }
    let mut tokens = deployed.tokens.iter().filter(|(s, _)| services.contains(s)).map(|(_, t)| t);
    let first = tokens.next();
    let tokens_differ = tokens.any(|t| Some(t) != first);
    Ok(AirflowSetup { stage: stage.to_string(), connections, variables, tokens_differ })
}

/// The environment variable `--print`'s lines read the token of `service` from: `CWS_TOKEN`, or
/// `CWS_TOKEN_<SERVICE>` ([`service_env_suffix`]) when the stage's services have different tokens.
pub fn token_variable(setup: &AirflowSetup, service: &str) -> String {
    if setup.tokens_differ {
        format!("CWS_TOKEN_{}", service_env_suffix(service))
    } else {
        "CWS_TOKEN".to_string()
    }
}

/// The `airflow` CLI lines creating or updating the setup, a POSIX shell script: it stops at once
/// when a token variable is unset, deletes each connection before adding it (`connections add`
/// refuses an existing one) and never holds a token.
pub fn print_lines(setup: &AirflowSetup) -> Vec<String> {
    let stage = &setup.stage;
    let mut lines = vec![format!(
        "# Airflow connections and variables of stage {} (cws workflow deploy --print).",
        shell_quote(stage)
    )];
    let mut vars: Vec<(String, &str)> = setup
        .connections
        .iter()
        .filter_map(|c| c.token_of.as_deref())
        .map(|s| (token_variable(setup, s), s))
        .collect();
    vars.dedup_by(|a, b| a.0 == b.0);
    if !vars.is_empty() {
        lines.push("# The tokens are read from the environment, never written here:".to_string());
    }
    for (var, service) in &vars {
        let what = if setup.tokens_differ {
            format!("the TOKEN of service {service} in stage {stage}")
        } else {
            format!("the TOKEN of stage {stage}")
        };
        // The variable's name is ours (letters, digits, `_`); the message is quoted as one word.
        lines.push(format!(
            "[ -n \"${{{var}:-}}\" ] || {{ echo {} >&2; exit 1; }}",
            shell_quote(&format!("set {var} to {what}"))
        ));
    }
    for service in setup.connections.iter().filter_map(|c| c.api_key_of.as_deref()) {
        // An API Gateway key is letters and digits: checked, it can be written inside the JSON.
        lines.push(format!(
            "case \"{}\" in ''|*[!A-Za-z0-9_-]*) echo {} >&2; exit 1;; esac",
            api_key_shell_value(service),
            shell_quote(&format!(
                "set {} to the API key of service {service} in stage {stage} (letters, digits, - and _)",
                api_key_envs_text(service)
            ))
        ));
    }
    for c in &setup.connections {
        lines.push(format!("airflow connections delete {} >/dev/null 2>&1 || true", shell_quote(&c.id)));
        let mut line = format!("airflow connections add {} --conn-type {}", shell_quote(&c.id), c.conn_type);
        if let Some(host) = &c.host {
            line.push_str(&format!(" --conn-host {}", shell_quote(host)));
        }
        if let Some(service) = &c.token_of {
            line.push_str(&format!(" --conn-password \"${}\"", token_variable(setup, service)));
        }
        if let Some(extra) = &c.extra {
            line.push_str(&format!(" --conn-extra {}", shell_quote(&extra.to_string())));
        } else if let Some(service) = &c.api_key_of {
            let key = api_key_shell_value(service);
            line.push_str(&format!(" --conn-extra \"{{\\\"api_key\\\": \\\"{key}\\\"}}\""));
        }
        line.push_str(&format!(" --conn-description {}", shell_quote(&c.description)));
        lines.push(line);
    }
    for v in &setup.variables {
        lines.push(format!(
            "airflow variables set {} {} --description {}",
            shell_quote(&v.key),
            shell_quote(&v.value),
            shell_quote(&v.description)
        ));
    }
    lines
}

/// The body of `PATCH` [`CONNECTIONS_PATH`]: create every connection, overwriting an existing one.
/// `token` gives a service's token, `api_key` the API key of a service requiring one (the only
/// secrets, sent, never printed).
pub fn connections_request(
    setup: &AirflowSetup,
    token: impl Fn(&str) -> Option<String>,
    api_key: impl Fn(&str) -> Option<String>,
) -> Value {
    let entities: Vec<Value> = setup
        .connections
        .iter()
        .map(|c| {
            let mut e = json!({
                "connection_id": c.id,
                "conn_type": c.conn_type,
                "description": c.description,
            });
            if let Some(host) = &c.host {
                e["host"] = json!(host);
            }
            if let Some(password) = c.token_of.as_deref().and_then(&token) {
                e["password"] = json!(password);
            }
            if let Some(extra) = &c.extra {
                e["extra"] = json!(extra.to_string());
            } else if let Some(key) = c.api_key_of.as_deref().and_then(&api_key) {
                e["extra"] = json!(json!({ "api_key": key }).to_string());
            }
            e
        })
        .collect();
    bulk_create(entities)
}

/// The body of `PATCH` [`VARIABLES_PATH`]: create every Variable, overwriting an existing one.
pub fn variables_request(setup: &AirflowSetup) -> Value {
    bulk_create(
        setup
            .variables
            .iter()
            .map(|v| json!({ "key": v.key, "value": v.value, "description": v.description }))
            .collect(),
    )
}

/// A bulk request of Airflow 3's REST API creating `entities`, overwriting existing ones.
fn bulk_create(entities: Vec<Value>) -> Value {
    json!({ "actions": [{ "action": "create", "entities": entities, "action_on_existence": "overwrite" }] })
}

/// The problems a bulk answer reports (`{"create": {"success": [...], "errors": [...]}}`), as text.
pub fn bulk_errors(answer: &Value) -> Vec<String> {
    let Some(errors) = answer["create"]["errors"].as_array() else {
        return vec![format!("unexpected answer: {answer}")];
    };
    errors.iter().map(|e| e["error"].as_str().map(str::to_string).unwrap_or_else(|| e.to_string())).collect()
}

/// The name of the Airflow DAG bundle of a stage's DAGs written with `--bundle`.
pub fn bundle_name(stage: &str) -> String {
    format!("cws_{stage}")
}

/// The `[dag_processor] dag_bundle_config_list` entry of a local DAG bundle at `path`.
pub fn bundle_config(stage: &str, path: &str) -> Value {
    json!({
        "name": bundle_name(stage),
        "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
        "kwargs": { "path": path },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup_of(differ: bool) -> AirflowSetup {
        AirflowSetup {
            stage: "dev".into(),
            connections: vec![AirflowConnection {
                id: "cws_billing_dev".into(),
                conn_type: "http",
                description: "d".into(),
                host: Some("https://x.example/dev".into()),
                token_of: Some("billing".into()),
                extra: None,
                api_key_of: None,
            }],
            variables: vec![],
            tokens_differ: differ,
        }
    }

    #[test]
    fn the_token_is_sent_but_never_printed() {
        let s = setup_of(false);
        let body = connections_request(&s, |_| Some("s3cret".into()), |_| Some("k3y".into()));
        assert_eq!(body["actions"][0]["entities"][0].get("extra"), None, "no key required");
        assert_eq!(body["actions"][0]["entities"][0]["password"], "s3cret");
        assert_eq!(body["actions"][0]["action_on_existence"], "overwrite");
        let lines = print_lines(&s).join("\n");
        assert!(!lines.contains("s3cret"));
        assert!(lines.contains("--conn-password \"$CWS_TOKEN\""), "{lines}");
    }

    #[test]
    fn each_service_gets_its_own_api_key_and_the_lines_read_it_from_the_environment() {
        let mut s = setup_of(false);
        s.connections[0].api_key_of = Some("billing".into());
        let mut mailer = s.connections[0].clone();
        (mailer.id, mailer.api_key_of) = ("cws_mail_er_dev".into(), Some("mail-er".into()));
        s.connections.push(mailer);
        let keys = |service: &str| Some(format!("k3y-of-{service}"));
        let body = connections_request(&s, |_| None, keys);
        assert_eq!(body["actions"][0]["entities"][0]["extra"], r#"{"api_key":"k3y-of-billing"}"#);
        assert_eq!(body["actions"][0]["entities"][1]["extra"], r#"{"api_key":"k3y-of-mail-er"}"#);
        let body = connections_request(&s, |_| None, |_| None);
        assert_eq!(body["actions"][0]["entities"][0].get("extra"), None, "no key, no extra");
        let lines = print_lines(&s).join("\n");
        assert!(
            lines.contains(r#"case "${CWS_API_KEY_MAIL_ER:-${CWS_API_KEY:-}}" in ''|*[!A-Za-z0-9_-]*) echo 'set `CWS_API_KEY_MAIL_ER` (or `CWS_API_KEY`, for every service) to the API key of service mail-er in stage dev (letters, digits, - and _)' >&2; exit 1;; esac"#),
            "{lines}"
        );
        assert!(
            lines.contains(r#" --conn-extra "{\"api_key\": \"${CWS_API_KEY_BILLING:-${CWS_API_KEY:-}}\"}" "#),
            "{lines}"
        );
        // The lines run by a shell: each service's own variable over `CWS_API_KEY`, and a key
        // missing (or not an API Gateway key) stops them before any connection changes.
        let run = |vars: &[(&str, &str)]| {
            let mut sh = std::process::Command::new("sh");
            let script = format!("airflow() {{ printf '%s\\n' \"$*\"; }}\nCWS_TOKEN=t\n{lines}\n");
            sh.args(["-c", &script]).env_remove("CWS_API_KEY");
            sh.env_remove("CWS_API_KEY_BILLING").env_remove("CWS_API_KEY_MAIL_ER");
            let out = sh.envs(vars.iter().copied()).output().expect("sh runs");
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        };
        let (ok, out, err) = run(&[("CWS_API_KEY", "k3yAll"), ("CWS_API_KEY_MAIL_ER", "k3yMail")]);
        assert!(ok, "{err}");
        let extra = |id: &str| {
            let line =
                out.lines().find(|l| l.starts_with(&format!("connections add {id} "))).unwrap_or_default();
            line[line.find("--conn-extra ").map_or(0, |i| i + 13)
                ..line.find(" --conn-description").unwrap_or(0)]
                .to_string()
        };
        assert_eq!(extra("cws_billing_dev"), r#"{"api_key": "k3yAll"}"#, "{out}");
        assert_eq!(extra("cws_mail_er_dev"), r#"{"api_key": "k3yMail"}"#, "{out}");
        let (ok, out, err) = run(&[("CWS_API_KEY_BILLING", "k3yBill")]);
        assert!(!ok && !out.contains("connections"), "{out}");
        assert!(err.contains("set `CWS_API_KEY_MAIL_ER` (or `CWS_API_KEY`, for every service)"), "{err}");
        let (ok, _, err) = run(&[("CWS_API_KEY", "k3y\"; rm -rf x")]);
        assert!(!ok && err.contains("`CWS_API_KEY_BILLING`"), "{err}");
        assert!(!lines.contains("k3y"), "{lines}");
    }

    #[test]
    fn differing_tokens_get_one_variable_per_service() {
        assert_eq!(token_variable(&setup_of(true), "bill-ing"), "CWS_TOKEN_BILL_ING");
        assert_eq!(token_variable(&setup_of(false), "billing"), "CWS_TOKEN");
    }

    #[test]
    fn bulk_errors_are_read() {
        let ok = json!({"create": {"success": ["a"], "errors": []}});
        assert!(bulk_errors(&ok).is_empty());
        let bad = json!({"create": {"success": [], "errors": [{"error": "no", "status_code": 409}]}});
        assert_eq!(bulk_errors(&bad), vec!["no".to_string()]);
        assert_eq!(bulk_errors(&json!({})).len(), 1);
    }
}
