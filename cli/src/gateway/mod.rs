//! `cws run [-s STAGE] [--watch]` without a service: the local stage gateway. Every service of the
//! stage behind one port, answered the way the stage's deployment will answer: the core describes
//! the deployed API once ([`coworks_core::artifacts::api`]) and both the Terraform generator and
//! this gateway read it.
//!
//! - [`proxy`]: API Gateway (routing, the TOKEN authorizer and its cache, proxy events and answers,
//!   binary media types, API Gateway's own answers with the CORS headers, the access log);
//! - [`lambda`]: Lambda (each service's executable behind a Runtime API, scaled out per
//!   invocation, timeouts, the `Invoke` API the functions queue their asynchronous calls with);
//! - [`watch`]: `--watch` rebuilds a service's crate when it changes and restarts its instances
//!   while the gateway keeps serving.
//!
//! Services run as their Lambda executables, not as their local HTTP servers: the same code path
//! as deployed (the event parsing, the authorizer answering TOKEN events, the asynchronous call
//! queued with `Invoke` and run as another invocation), which an HTTP server would skip.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use coworks_core::artifacts::airflow::connection_id;
use coworks_core::artifacts::api::stage_api;
use coworks_core::settings::CliOptions;
use coworks_core::Project;
use tokio::net::TcpListener;

use self::lambda::{Function, FunctionSpec};
use self::proxy::Gateway;

pub mod lambda;
pub mod proxy;
mod watch;

/// What the gateway serves.
pub struct GatewayArgs {
    /// The project directory (`None`: found upward from the current directory).
    pub project: Option<PathBuf>,
    /// The stage asked for (default: the first).
    pub stage: Option<String>,
    /// The port (default: the stage's `run.port`; 0 picks one).
    pub port: Option<u16>,
    /// Rebuild and restart a service when its crate changes.
    pub watch: bool,
}

/// A crate of the stage and the services built from it.
pub(crate) struct Crate {
    pub manifest: PathBuf,
    pub dir: PathBuf,
    pub services: Vec<String>,
}

/// The environment of `service`'s function: the deployment's (`ServiceApi::environment`), the
/// stage's secrets (their values: locally there is no SSM), the AWS settings of a local run, and
/// Lambda's `Invoke` at `invoke_url`.
fn function_env(
    project: &Project,
    stage: &str,
    deployed: &BTreeMap<String, String>,
    invoke_url: &str,
) -> BTreeMap<String, String> {
    let mut env = deployed.clone();
    env.extend(project.stage_env(stage).values().into_iter().filter(|(k, _)| !deployed.contains_key(k)));
    env.extend(crate::run::local_aws_env(project, stage));
    env.insert("AWS_ENDPOINT_URL_LAMBDA".into(), invoke_url.to_string());
    env
}

/// The crates of the stage's services, each with its services.
fn crates(project: &Project, services: &[String]) -> Result<Vec<Crate>, String> {
    let mut out: Vec<Crate> = Vec::new();
    for s in services {
        let dir = project.service_crate(s).ok_or_else(|| format!("no crate for service `{s}`"))?;
        let dir = project.root().join(dir);
        match out.iter_mut().find(|c| c.dir == dir) {
            Some(c) => c.services.push(s.clone()),
            None => out.push(Crate { manifest: dir.join("Cargo.toml"), dir, services: vec![s.clone()] }),
        }
    }
    Ok(out)
}

/// `cws run` without a service.
pub fn run(args: GatewayArgs) -> Result<ExitCode, crate::Failure> {
    let (project, stage) = crate::load_with_stage(args.project.as_deref(), args.stage.as_deref())?;
    let api = stage_api(&project, &stage, &CliOptions::new());
    if api.services.is_empty() {
        return Err(format!(
            "stage `{stage}` has no service with entries to serve (`cws routes -s {stage}`)"
        )
        .into());
    }
    let names: Vec<String> = api.services.iter().map(|s| s.service.clone()).collect();
    let crates = crates(&project, &names)?;
    let mut binaries: BTreeMap<String, PathBuf> = BTreeMap::new();
    for c in &crates {
        crate::output::errln!("building {} ({})", c.services.join(", "), c.manifest.display());
        let binary = crate::run::build(&c.manifest)?;
        for s in &c.services {
            binaries.insert(s.clone(), binary.clone());
        }
    }
    let mut cli = CliOptions::new();
    if let Some(p) = args.port {
        cli.insert("port".into(), coworks_core::config::Value::Int(i64::from(p)));
    }
    let settings = project.run_settings(&stage, None, &cli);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::failed(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(serve(project, stage, api, crates, binaries, settings.host, settings.port, args.watch))
}

#[allow(clippy::too_many_arguments)]
async fn serve(
    project: Project,
    stage: String,
    api: coworks_core::artifacts::api::StageApi,
    crates: Vec<Crate>,
    binaries: BTreeMap<String, PathBuf>,
    host: String,
    port: u16,
    watch: bool,
) -> Result<ExitCode, crate::Failure> {
    let listener = TcpListener::bind((host.as_str(), port))
        .await
        .map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
    let local = listener.local_addr().map_err(|e| crate::failed(e.to_string()))?;
    let lambda_listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| crate::failed(e.to_string()))?;
    let invoke_url =
        format!("http://{}", lambda_listener.local_addr().map_err(|e| crate::failed(e.to_string()))?);
    let mut functions = BTreeMap::new();
    for s in &api.services {
        let Some(binary) = binaries.get(&s.service) else { continue };
        let spec = FunctionSpec {
            binary: binary.clone(),
            env: function_env(&project, &stage, &s.environment, &invoke_url),
        };
        let timeout = Duration::from_secs(s.timeout_seconds.max(1) as u64);
        let f = Function::new(&s.service, &s.function, &api.region, timeout, spec);
        f.start_instance().await.map_err(crate::failed)?;
        functions.insert(s.service.clone(), f);
    }
    let functions = Arc::new(functions);
    tokio::spawn(lambda::serve_invoke_api(lambda_listener, functions.clone()));
    let base_url = format!("http://{local}");
    let gateway = Arc::new(Gateway::new(api, functions.clone(), base_url.clone()));
    crate::output::errln!("stage {stage}: every service behind one port, as API Gateway will serve them (Lambda's Invoke API: {invoke_url})");
    for s in &gateway.api.services {
        crate::output::errln!(
            "  {:<10} {}   (Airflow connection {})",
            s.service,
            gateway.service_url(&s.service),
            connection_id(&s.service, &stage)
        );
    }
    if watch {
        tokio::spawn(watch::watch(crates, functions.clone()));
    }
    crate::output::errln!("listening on {base_url}");
    tokio::select! {
        _ = gateway.clone().serve(listener) => {}
        _ = stop_signal() => {}
    }
    drain(&functions).await;
    for f in functions.values() {
        f.stop();
    }
    crate::output::errln!("stage {stage}: stopped");
    Ok(ExitCode::SUCCESS)
}

/// Waits (at most 10 s) for the invocations still queued or running, asynchronous ones included.
async fn drain(functions: &BTreeMap<String, Arc<Function>>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while functions.values().any(|f| f.busy()) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
