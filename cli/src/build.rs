//! `cws build <service>`: builds a service's executable for Lambda and zips it as `bootstrap`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use clap::Args;
use coworks_core::artifacts::package::{self, PackageReport};
use coworks_core::config::Value;
use coworks_core::settings::CliOptions;
use coworks_core::{Project, Service};

use crate::output::{outln, Step};
use crate::{failed, Failure};

/// Arguments of `cws build`.
#[derive(Args)]
pub struct BuildArgs {
    /// The service to build.
    pub service: String,
    /// The project directory (default: the nearest directory holding project.cws.yml, here or above).
    #[arg(short, long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// The stage whose `build` options apply.
    #[arg(short, long)]
    pub stage: Option<String>,
    /// Rust target triple; a glibc suffix (`x86_64-unknown-linux-gnu.2.26`) builds with cargo-lambda.
    #[arg(long)]
    pub target: Option<String>,
    /// CPU architecture: x86_64 or arm64.
    #[arg(long)]
    pub architecture: Option<String>,
}

/// `cws build`.
pub fn run(args: BuildArgs) -> Result<ExitCode, Failure> {
    let (project, stage) = crate::load_with_stage(args.project.as_deref(), args.stage.as_deref())?;
    let services = project.services(Some(&stage));
    let service = services.iter().find(|s| s.name == args.service).ok_or_else(|| {
        let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
        format!("no service `{}` in the project; its services are: {}", args.service, names.join(", "))
    })?;
    let mut cli = CliOptions::new();
    if let Some(t) = args.target {
        cli.insert("target".to_string(), Value::Str(t));
    }
    if let Some(a) = args.architecture {
        cli.insert("architecture".to_string(), Value::Str(a));
    }
    let step = Step::start("Building", format!("{} for Lambda", service.name));
    let report = build_service(&project, service, &stage, &cli)?;
    step.done();
    print_report(&project, &service.name, &report);
    Ok(ExitCode::SUCCESS)
}

/// Prints where the package is and its sizes.
pub fn print_report(project: &Project, service: &str, r: &PackageReport) {
    let shown = r.zip.strip_prefix(project.root()).unwrap_or(&r.zip);
    outln!(
        "{service}: {} ({} zipped; bootstrap {}; needs {})",
        shown.display(),
        human_bytes(r.zip_bytes),
        human_bytes(r.binary_bytes),
        r.glibc.map(|g| g.to_string()).unwrap_or_else(|| "no glibc (static)".into())
    );
}

fn human_bytes(n: u64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
    } else {
        format!("{:.1} KiB", n as f64 / 1024.0)
    }
}

/// Builds `service` for Lambda (options of `build` for `stage`) and writes its package.
pub fn build_service(
    project: &Project,
    service: &Service,
    stage: &str,
    cli: &CliOptions,
) -> Result<PackageReport, Failure> {
    let settings = project.build_settings(stage, &service.name, cli);
    let architecture = settings.architecture.clone();
    // The release profile's overrides (`optimize`), given to cargo as `CARGO_PROFILE_RELEASE_*`.
    let release = settings.release.then_some(settings.profile_env.as_slice());
    let manifest = project.root().join(&settings.crate_dir).join("Cargo.toml");
    if !manifest.is_file() {
        return Err(format!(
            "service `{}` has no Cargo.toml at {}; set `services.{}.path` in project.cws.yml",
            service.name,
            manifest.display(),
            service.name
        )
        .into());
    }
    let target = settings.target.clone();
    // cargo's own variable wins, as with cargo; else the project's `target/`.
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project.root().join("target"));
    let binary = match &target {
        Some(t) if settings.cargo_lambda => cargo_lambda(&manifest, t, release, &target_dir)?,
        _ => cargo_build(&manifest, target.as_deref(), release, &target_dir)?,
    };
    let zip = project.root().join(package::package_path(&service.name));
    package::package(&binary, &zip, Some(&architecture)).map_err(|e| failed(e.to_string()))
}

/// `cargo build` (`release`: with `--release` and these profile variables); returns the executable
/// cargo reports.
fn cargo_build(
    manifest: &Path,
    target: Option<&str>,
    release: Option<&[(String, String)]>,
    target_dir: &Path,
) -> Result<PathBuf, Failure> {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.arg("build").arg("--manifest-path").arg(manifest).arg("--target-dir").arg(target_dir);
    cmd.arg("--message-format=json-render-diagnostics");
    if let Some(profile) = release {
        cmd.arg("--release").envs(profile.iter().map(|(k, v)| (k, v)));
    }
    if let Some(t) = target {
        cmd.args(["--target", t]);
    }
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| failed(format!("cannot run cargo: {e}; install Rust (https://rustup.rs)")))?;
    if !out.status.success() {
        let hint = match target {
            Some(t) => {
                format!(" (for target `{t}`, `rustup target add {t}` and a linker for it may be needed)")
            }
            None => String::new(),
        };
        return Err(failed(format!("cargo build of {} failed{hint}", manifest.display())));
    }
    let mut exe = None;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        if msg["reason"] == "compiler-artifact" {
            if let Some(e) = msg["executable"].as_str() {
                exe = Some(PathBuf::from(e));
            }
        }
    }
    exe.ok_or_else(|| {
        failed(format!("{} builds no executable: a service crate needs a `main`", manifest.display()))
    })
}

/// `cargo lambda build` (zig links against an older glibc); returns the executable.
fn cargo_lambda(
    manifest: &Path,
    target: &str,
    release: Option<&[(String, String)]>,
    target_dir: &Path,
) -> Result<PathBuf, Failure> {
    let meta = Command::new("cargo")
        .args(["metadata", "--no-deps", "--format-version", "1", "--manifest-path"])
        .arg(manifest)
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let meta: serde_json::Value = serde_json::from_slice(&meta.stdout)
        .map_err(|e| format!("cargo metadata of {}: {e}", manifest.display()))?;
    let bin = meta["packages"][0]["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["kind"].as_array().is_some_and(|k| k.iter().any(|k| k == "bin")))
        .and_then(|t| t["name"].as_str())
        .ok_or_else(|| format!("{} builds no executable", manifest.display()))?
        .to_string();
    let mut cmd = Command::new("cargo");
    cmd.args(["lambda", "build", "--target", target, "--manifest-path"]).arg(manifest);
    cmd.env("CARGO_TARGET_DIR", target_dir);
    if let Some(profile) = release {
        cmd.arg("--release").envs(profile.iter().map(|(k, v)| (k, v)));
    }
    let status = cmd.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(failed(format!(
            "`cargo lambda build --target {target}` failed; is cargo-lambda installed? (`pip install cargo-lambda`)"
        )));
    }
    let triple = target.rsplit_once('.').map(|(a, _)| a).unwrap_or(target);
    let triple = triple.rsplit_once('.').map(|(a, _)| a).unwrap_or(triple);
    // cargo-lambda moves the executable to `lambda/<bin>/bootstrap` when it finds it; otherwise it
    // stays where cargo put it. Take the newer of the two.
    let candidates = [
        target_dir.join("lambda").join(&bin).join("bootstrap"),
        target_dir.join(triple).join(if release.is_some() { "release" } else { "debug" }).join(&bin),
    ];
    candidates
        .into_iter()
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .max()
        .map(|(_, p)| p)
        .ok_or_else(|| {
            failed(format!("`cargo lambda build` left no executable `{bin}` under {}", target_dir.display()))
        })
}
