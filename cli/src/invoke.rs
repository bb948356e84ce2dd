//! `cws invoke <service> <METHOD> <path> [--query k=v]... [--json '{..}'] [-s stage] [--local|--url URL|--deployed]`:
//! sends one request and prints the status, the headers and the body. With `--url` (or the stage's
//! `invoke.url` option, unless `--local`) it calls that base URL; with `--deployed` the stage's
//! deployed API (its URL from the Terraform state); otherwise 127.0.0.1 at the stage's `run.port`
//! (or `--port`): the local stage gateway of `cws run -s STAGE` when it runs there (the service's
//! routes under `/<service>`), else the service, started (and stopped afterwards) when nothing
//! listens there. The stage's `TOKEN` goes in the `Authorization` header, the environment's
//! `CWS_API_KEY_<SERVICE>`, else `CWS_API_KEY` (a service deployed with `api_key`), in `x-api-key`;
//! `invoke.timeout` bounds the wait.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use coworks_core::HttpMethod;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::output::{errln, Step};
use crate::{failed, run, Failure};

/// Arguments of `cws invoke`.
#[derive(Args)]
pub struct InvokeArgs {
    /// The service (a name listed by `cws routes`).
    pub service: String,
    /// GET, POST, PUT, PATCH, DELETE or OPTIONS.
    pub method: String,
    /// The path, e.g. `/invoice/42`.
    pub path: String,
    /// A query parameter `key=value` (repeatable).
    #[arg(long = "query", value_name = "KEY=VALUE")]
    pub query: Vec<String>,
    /// A JSON body (sent with `Content-Type: application/json`).
    #[arg(long)]
    pub json: Option<String>,
    /// A header `Name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// The stage whose token and options apply (default: the first stage).
    #[arg(short, long)]
    pub stage: Option<String>,
    /// Call the local service (the default), starting it if it is not running.
    #[arg(long, conflicts_with = "url")]
    pub local: bool,
    /// Call the service at this base URL instead (a deployed API).
    #[arg(long)]
    pub url: Option<String>,
    /// Call the stage's deployed API (its URL as `cws deployed` prints it) with the stage's token.
    #[arg(long, conflicts_with_all = ["url", "local", "port"])]
    pub deployed: bool,
    /// The local service's port (default: the stage's `run.port`).
    #[arg(long, conflicts_with = "url")]
    pub port: Option<u16>,
    /// The project directory (default: the nearest directory holding project.cws.yml, here or above).
    #[arg(short, long, value_name = "DIR")]
    pub project: Option<PathBuf>,
}

/// Everything but the unreserved characters of RFC 3986 (`A-Za-z0-9-_.~`) is percent-encoded.
pub(crate) const QUERY_VALUE: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

pub(crate) fn encode(s: &str) -> String {
    utf8_percent_encode(s, QUERY_VALUE).to_string()
}

fn listening(host: &str, port: u16) -> bool {
    format!("{host}:{port}")
        .parse::<SocketAddr>()
        .is_ok_and(|a| TcpStream::connect_timeout(&a, Duration::from_millis(300)).is_ok())
}

/// The stage of the local stage gateway at `base`, if that is one (it names its stage in a header
/// of its index).
fn gateway_stage(base: &str) -> Option<String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(2)))
        .build()
        .into();
    let r = agent.get(&format!("{base}/")).call().ok()?;
    r.headers().get(crate::gateway::proxy::GATEWAY_HEADER)?.to_str().ok().map(str::to_string)
}

/// The base URL of `t`'s service on its local port: under `/<service>` when the local stage
/// gateway of the same stage listens there, the port itself when a service does; an error naming
/// what to start when nothing listens, or when the gateway there serves another stage.
pub fn local_base(t: &run::Target) -> Result<String, Failure> {
    let local = format!("http://{}:{}", t.host, t.port);
    if !listening(&t.host, t.port) {
        return Err(failed(format!(
            "nothing listens on {}:{} (stage `{}`'s `run.port`): start the stage with `cws run -s {}` (every service behind one port), or pass --port",
            t.host, t.port, t.stage, t.stage
        )));
    }
    match gateway_stage(&local) {
        // The local stage gateway (`cws run -s STAGE`): the service's routes under its name.
        Some(stage) if stage == t.stage => Ok(format!("{local}/{}", t.service)),
        Some(stage) => Err(format!(
            "{local} serves stage `{stage}` (a `cws run -s {stage}` gateway), not `{}`: pass --port or -s {stage}",
            t.stage
        )
        .into()),
        None => Ok(local),
    }
}

/// `cws invoke`.
pub fn invoke(args: InvokeArgs) -> Result<ExitCode, Failure> {
    let method: HttpMethod = args.method.parse()?;
    if !args.path.starts_with('/') {
        return Err(format!("the path `{}` must start with `/` (e.g. /invoice/42)", args.path).into());
    }
    let t = run::target(args.project.as_deref(), &args.service, args.stage.as_deref(), args.port)?;
    let mut url_path = args.path.clone();
    for (i, q) in args.query.iter().enumerate() {
        let (k, v) = q.split_once('=').ok_or_else(|| format!("--query `{q}` is not KEY=VALUE"))?;
        let sep = if i == 0 && !url_path.contains('?') { '?' } else { '&' };
        url_path.push_str(&format!("{sep}{}={}", encode(k), encode(v)));
    }
    let mut started = None;
    // `--url`, else (unless `--local` or `--port`) the stage's `invoke.url` option, else the local service.
    let configured = if args.local || args.port.is_some() { None } else { t.invoke_url.clone() };
    let deployed = if args.deployed {
        let project = crate::open_project(args.project.as_deref())?;
        Some(crate::deploy::deployed_url(&project, &t.stage, &t.service)?)
    } else {
        None
    };
    let base = match deployed.or(args.url.clone()).or(configured) {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => {
            if !listening(&t.host, t.port) {
                let step = Step::start("Building", format!("{} (stage {})", t.service, t.stage));
                let binary = run::build(&t.manifest)?;
                step.done();
                errln!("starting {} (stage {}) on {}:{}", t.service, t.stage, t.host, t.port);
                let mut child = run::spawn(&binary, &t)?;
                if let Err(e) = run::wait_listening(&mut child, true) {
                    let _ = child.wait();
                    return Err(e);
                }
                started = Some(child);
            }
            local_base(&t)?
        }
    };
    let token = t.env.get("TOKEN").map(String::as_str);
    let result = send(&args, method, &format!("{base}{url_path}"), token, t.invoke_timeout);
    if let Some(mut child) = started {
        run::stop(&mut child);
    }
    result
}

fn send(
    args: &InvokeArgs,
    method: HttpMethod,
    url: &str,
    token: Option<&str>,
    timeout: u64,
) -> Result<ExitCode, Failure> {
    let mut builder = ureq::http::Request::builder().method(method.as_str()).uri(url);
    let has_auth = args.headers.iter().any(|h| h.to_ascii_lowercase().starts_with("authorization:"));
    if let (Some(token), false) = (token.filter(|t| !t.is_empty()), has_auth) {
        builder = builder.header("Authorization", format!("Bearer {token}"));
    }
    // The API key of a service deployed with `api_key` (and of the local stage gateway), unless
    // `--header x-api-key: ...` names one: the service's own variable, else `CWS_API_KEY`.
    let api_key = coworks_core::artifacts::api::api_key_from_env(&args.service, |v| std::env::var(v).ok())
        .map(|(_, key)| key);
    let key_header = coworks_core::artifacts::api::API_KEY_HEADER;
    let has_key = args.headers.iter().any(|h| h.to_ascii_lowercase().starts_with(&format!("{key_header}:")));
    if let (Some(key), false) = (api_key, has_key) {
        builder = builder.header(key_header, key);
    }
    for h in &args.headers {
        let (k, v) = h.split_once(':').ok_or_else(|| format!("--header `{h}` is not `Name: value`"))?;
        builder = builder.header(k.trim(), v.trim());
    }
    let body = match &args.json {
        Some(j) => {
            serde_json::from_str::<serde_json::Value>(j).map_err(|e| format!("--json is not JSON: {e}"))?;
            builder = builder.header("Content-Type", "application/json");
            j.clone().into_bytes()
        }
        None => Vec::new(),
    };
    let request = builder.body(body).map_err(|e| format!("bad request: {e}"))?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .allow_non_standard_methods(true)
        .timeout_global(Some(Duration::from_secs(timeout)))
        .build()
        .into();
    let mut response = agent.run(request).map_err(|e| failed(format!("request to {url} failed: {e}")))?;
    let status = response.status();
    let mut out = format!("HTTP {} {}\n", status.as_u16(), status.canonical_reason().unwrap_or(""));
    for (k, v) in response.headers() {
        out.push_str(&format!("{k}: {}\n", v.to_str().unwrap_or("<binary>")));
    }
    out.push('\n');
    let mut body = Vec::new();
    response
        .body_mut()
        .as_reader()
        .read_to_end(&mut body)
        .map_err(|e| failed(format!("reading the answer: {e}")))?;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.write_all(&body);
    if !body.ends_with(b"\n") {
        let _ = stdout.write_all(b"\n");
    }
    Ok(if status.is_success() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
