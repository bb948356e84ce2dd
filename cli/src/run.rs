//! `cws run <service> [-s stage] [--port N]`: builds the service's crate with cargo and serves it on
//! 127.0.0.1 with the stage's env files loaded (`CWS_STAGE` set, so stage-only entries follow the
//! stage), its CORS settings and the AWS credentials of the stage's profile. Ctrl-C stops the
//! service cleanly. Also the launcher `cws invoke` uses to auto-start one. Without a service:
//! the local stage gateway ([`crate::gateway`]).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use coworks_core::commands::cargo_build_argv;
use coworks_core::config::Value;
use coworks_core::settings::{CliOptions, RunSettings};
use coworks_core::Severity;

use crate::output::{errln, Step};
use crate::{failed, Failure};

/// Arguments of `cws run`.
#[derive(Args)]
pub struct RunArgs {
    /// The service to run (a name listed by `cws routes`); without one, every service of the stage
    /// behind one port, as API Gateway will serve them (the local stage gateway).
    pub service: Option<String>,
    /// The stage whose env files and options apply (default: the first stage).
    #[arg(short, long)]
    pub stage: Option<String>,
    /// The port to listen on (default: the `run.port` option of project.cws.yml).
    #[arg(long)]
    pub port: Option<u16>,
    /// The project directory (default: the nearest directory holding project.cws.yml, here or above).
    #[arg(short, long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// With the stage gateway: rebuild and restart a service when its crate changes.
    #[arg(long)]
    pub watch: bool,
}

/// A service of a loaded project, ready to start in one stage.
pub struct Target {
    /// The service name.
    pub service: String,
    /// The stage.
    pub stage: String,
    /// The crate's manifest.
    pub manifest: PathBuf,
    /// The stage's environment (env files), plus `CWS_STAGE`.
    pub env: BTreeMap<String, String>,
    /// Effective `run` options (host, port) for the service and stage.
    pub host: String,
    /// The port.
    pub port: u16,
    /// The `invoke.url` option (a deployed API's base URL), if set.
    pub invoke_url: Option<String>,
    /// The `invoke.timeout` option, in seconds.
    pub invoke_timeout: u64,
}

/// Resolves `service` in the project at `root` for `stage` (default: the first stage).
pub fn target(
    root: Option<&Path>,
    service: &str,
    stage: Option<&str>,
    port: Option<u16>,
) -> Result<Target, String> {
    let (mut project, stage) = crate::load_with_stage(root, stage)?;
    crate::read_outside_env_files(&mut project);
    let Some(crate_dir) = project.service(service, Some(&stage)).and_then(|_| project.service_crate(service))
    else {
        let names: Vec<&str> = project.service_names().into_iter().collect();
        return Err(format!("no service `{service}` in the project; its services are: {}", names.join(", ")));
    };
    let manifest = project.root().join(crate_dir).join("Cargo.toml");
    let stage_env = project.stage_env(&stage);
    // What is wrong with the env files the service gets.
    let diagnostics = project.diagnostics(Some(&stage));
    let of_env_files =
        diagnostics.iter().filter(|d| d.severity != Severity::Info && stage_env.files.contains(&d.file));
    let shown: Vec<_> = of_env_files.chain(&stage_env.problems).cloned().collect();
    crate::print_diagnostics(&project, &shown);
    let mut env = project.local_env(&stage, service);
    env.extend(local_aws_env(&project, &stage));
    let mut cli = CliOptions::new();
    if let Some(p) = port {
        cli.insert("port".to_string(), Value::Int(i64::from(p)));
    }
    let run = project.run_settings(&stage, Some(service), &cli);
    let invoke = project.invoke_settings(&stage, Some(service), &CliOptions::new());
    Ok(Target {
        service: service.to_string(),
        stage,
        manifest,
        env,
        host: run.host,
        port: run.port,
        invoke_url: invoke.url,
        invoke_timeout: invoke.timeout,
    })
}

/// The AWS environment of a local run of `stage`: the keys of the stage's `profile` (else of
/// `AWS_PROFILE`), its region and its endpoints — each only where `cws`'s own environment does not
/// set it — so asynchronous calls and secrets reach AWS (or the stage's emulator) as deployed. A
/// profile that cannot be read is reported; the service still starts.
pub fn local_aws_env(project: &coworks_core::Project, stage: &str) -> BTreeMap<String, String> {
    let aws = project.local_aws(stage);
    let unset = |k: &str| std::env::var_os(k).is_none_or(|v| v.is_empty());
    let mut env = BTreeMap::new();
    let profile = aws.profile.clone().or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()));
    let mut region = aws.region.clone();
    if let Some(profile) = profile {
        match crate::aws_profile::resolve(&profile) {
            Ok(creds) => {
                env.extend(creds.env().into_iter().map(|(k, v)| (k.to_string(), v)));
                region = region.or(creds.region.clone());
            }
            Err(e) => crate::output::errln!(
                "warning: {e}; asynchronous calls and secrets of stage `{stage}` may fail"
            ),
        }
    }
    if let Some(r) = region.filter(|_| unset("AWS_REGION")) {
        env.insert("AWS_REGION".into(), r);
    }
    for (k, url) in aws.endpoints {
        if unset(&k) && unset("AWS_ENDPOINT_URL") {
            env.insert(k, url);
        }
    }
    env
}

/// Builds the crate with cargo (its messages go to stderr) and returns the service's binary.
pub fn build(manifest: &Path) -> Result<PathBuf, Failure> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let argv = cargo_build_argv(manifest);
    let out = Command::new(cargo)
        .args(&argv[1..])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| failed(format!("cannot run cargo: {e}")))?;
    if !out.status.success() {
        return Err(failed(format!("cargo build of `{}` failed", manifest.display())));
    }
    let manifest = manifest.canonicalize().unwrap_or_else(|_| manifest.to_path_buf());
    let mut found = None;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        let is_bin = msg["target"]["kind"].as_array().is_some_and(|k| k.iter().any(|x| x == "bin"));
        let same = msg["manifest_path"].as_str().map(PathBuf::from).is_some_and(|m| m == manifest);
        if let (true, true, Some(exe)) = (is_bin, same, msg["executable"].as_str()) {
            found = Some(PathBuf::from(exe));
        }
    }
    found.ok_or_else(|| failed(format!("`{}` has no binary target to run", manifest.display())))
}

/// Starts the built binary with the target's environment; stderr is piped so the caller can wait
/// for `listening on`.
pub fn spawn(binary: &Path, t: &Target) -> Result<Child, Failure> {
    let mut cmd = Command::new(binary);
    cmd.args(RunSettings { host: t.host.clone(), port: t.port }.service_args())
        .envs(&t.env)
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe; the service gets SIGTERM if `cws` dies first, so no
        // service outlives the command that started it.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
    }
    cmd.spawn().map_err(|e| failed(format!("cannot start `{}`: {e}", binary.display())))
}

/// Waits for the child's `listening on http://...` line (echoing its stderr when `echo`) and
/// returns the URL; keeps forwarding its stderr afterwards on a thread.
pub fn wait_listening(child: &mut Child, echo: bool) -> Result<String, Failure> {
    let stderr = child.stderr.take().ok_or_else(|| failed("the service's stderr is not piped"))?;
    let mut lines = BufReader::new(stderr).lines();
    let mut url = None;
    for line in lines.by_ref() {
        let line = line.map_err(|e| failed(e.to_string()))?;
        if echo {
            errln!("{line}");
        }
        if let Some(pos) = line.find("listening on ") {
            url = Some(line[pos + "listening on ".len()..].trim().to_string());
            break;
        }
    }
    let url = url.ok_or_else(|| failed("the service stopped before listening (see its messages above)"))?;
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if echo {
                errln!("{line}");
            }
        }
    });
    Ok(url)
}

/// Asks a child to stop (SIGINT, like Ctrl-C) and waits for it: a CoWorks service first drains
/// (running requests and asynchronous calls, `CWS_DRAIN_TIMEOUT`, 30 s by default, then writes their
/// records); one still running after 90 s is killed.
pub fn stop(child: &mut Child) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: sending a signal to our own child process.
        unsafe {
            libc::kill(pid, libc::SIGINT);
        }
    }
    for _ in 0..1800 {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// `cws run`.
pub fn run(args: RunArgs) -> Result<ExitCode, Failure> {
    let Some(service) = &args.service else {
        return crate::gateway::run(crate::gateway::GatewayArgs {
            project: args.project.clone(),
            stage: args.stage.clone(),
            port: args.port,
            watch: args.watch,
        });
    };
    if args.watch {
        return Err("--watch works with the stage gateway: `cws run -s STAGE --watch` (no service)".into());
    }
    let t = target(args.project.as_deref(), service, args.stage.as_deref(), args.port)?;
    let step = Step::start("Building", format!("{} ({})", t.service, t.manifest.display()));
    let binary = build(&t.manifest)?;
    step.done();
    let stopping = Arc::new(AtomicBool::new(false));
    let flag = stopping.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .map_err(|e| failed(format!("cannot handle Ctrl-C: {e}")))?;
    let mut child = spawn(&binary, &t)?;
    if let Err(e) = wait_listening(&mut child, true) {
        let _ = child.wait();
        return Err(e);
    }
    errln!("{} runs in stage {}; Ctrl-C stops it", t.service, t.stage);
    loop {
        if stopping.load(Ordering::SeqCst) {
            stop(&mut child);
            return Ok(ExitCode::SUCCESS);
        }
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(ExitCode::SUCCESS),
            Ok(Some(status)) => return Err(failed(format!("{} exited: {status}", t.service))),
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(failed(e.to_string())),
        }
    }
}
