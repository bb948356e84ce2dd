//! Typed settings of the local commands: `run`, `invoke`, `build`, `workflow`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::CliOptions;
use crate::diagnostics::{Diagnostic, DiagnosticCode};
use crate::layout::CONFIG_FILE;
use crate::project::{inside::inside_project, Project};

/// Where `cws run` serves a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSettings {
    /// The address listened on.
    pub host: String,
    /// The port.
    pub port: u16,
}

impl RunSettings {
    /// The arguments a service's executable is started with to listen there (`--host`, `--port`):
    /// by `cws run`, and by a debugger.
    pub fn service_args(&self) -> Vec<String> {
        vec!["--host".to_string(), self.host.clone(), "--port".to_string(), self.port.to_string()]
    }
}

/// The AWS environment of a service run locally (`cws run`, the local stage gateway): what it needs
/// to reach AWS (or the stage's emulator) the way the deployed function does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LocalAws {
    /// The stage's credentials profile (`deploy.profile`), whose keys the face resolves.
    pub profile: Option<String>,
    /// The stage's region (`deploy.region`), as `AWS_REGION`.
    pub region: Option<String>,
    /// `AWS_ENDPOINT_URL_<SERVICE>` → URL, from the stage's `endpoints`, for the services the
    /// runtime calls (S3, SSM, Lambda).
    pub endpoints: BTreeMap<String, String>,
}

/// The AWS services the runtime calls itself.
pub const RUNTIME_AWS_SERVICES: &[&str] = &["s3", "ssm", "lambda"];

/// How `cws invoke` calls a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeSettings {
    /// The base URL of a deployed API, when set (else the local service).
    pub url: Option<String>,
    /// Seconds to wait for the answer.
    pub timeout: u64,
}

/// The release profile `cws build` gives cargo under `optimize: lambda` (the default), as
/// `CARGO_PROFILE_RELEASE_<KEY>` settings: no symbols, whole-program link-time optimisation in one
/// codegen unit, optimised for size (`s`: the TLS stack of the AWS calls, hyper and tokio are most
/// of the executable; `3` makes it 39% larger). Measured by `runtime/coworks/benches/package.rs`
/// (see docs/deploy.md) against cargo's plain release profile and a hand-written baseline.
/// Panics still unwind: the runtime turns an entry's panic into a 500.
pub const LAMBDA_RELEASE_PROFILE: &[(&str, &str)] =
    &[("STRIP", "symbols"), ("LTO", "fat"), ("CODEGEN_UNITS", "1"), ("OPT_LEVEL", "s")];

/// How `cws build` builds a service's Lambda package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSettings {
    /// The CPU architecture (`x86_64` or `arm64`): `build.architecture` when set, else the
    /// function's `deploy.architecture`.
    pub architecture: String,
    /// The Rust target triple; `None` builds for the host (an x86_64 Linux host building for x86_64).
    pub target: Option<String>,
    /// Whether `target` names a glibc version (`x86_64-unknown-linux-gnu.2.26`): built with
    /// cargo-lambda (zig) against that glibc.
    pub cargo_lambda: bool,
    /// Release build (`profile: release`), else the dev profile.
    pub release: bool,
    /// Environment variables overriding the crate's release profile (`optimize: lambda`:
    /// [`LAMBDA_RELEASE_PROFILE`]; `optimize: cargo`: none).
    pub profile_env: Vec<(String, String)>,
    /// The service's crate directory, relative to the project root.
    pub crate_dir: PathBuf,
}

/// Where `cws workflow build` writes the DAGs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowSettings {
    /// The DAGs directory, relative to the project root (or absolute).
    pub airflow_dags: PathBuf,
    /// The default schedule of the DAGs, if set.
    pub schedule: Option<String>,
}

/// The target triple for an architecture, `None` when the host builds it natively.
fn target_of(architecture: &str) -> Option<String> {
    match architecture {
        "arm64" => Some("aarch64-unknown-linux-gnu".to_string()),
        _ if cfg!(all(target_arch = "x86_64", target_os = "linux")) => None,
        _ => Some("x86_64-unknown-linux-gnu".to_string()),
    }
}

/// Whether a target triple ends in a glibc version (`.2.26`).
pub fn names_glibc(target: &str) -> bool {
    target.rsplit_once('.').is_some_and(|(_, v)| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()))
}

impl Project {
    /// The `run` settings of `service` in `stage`.
    pub fn run_settings(&self, stage: &str, service: Option<&str>, cli: &CliOptions) -> RunSettings {
        let o = self.options("run", stage, service, cli);
        RunSettings {
            host: o.text("host").unwrap_or_default(),
            port: o.int("port").and_then(|p| u16::try_from(p).ok()).unwrap_or_default(),
        }
    }

    /// The AWS environment of the stage's services run locally, and the service's CORS environment
    /// (as the deployed function gets it).
    pub fn local_aws(&self, stage: &str) -> LocalAws {
        let s = self.stage_settings(stage, &CliOptions::new());
        let endpoints = s
            .endpoints
            .iter()
            .filter(|(svc, _)| RUNTIME_AWS_SERVICES.contains(&svc.as_str()))
            .map(|(svc, url)| (format!("AWS_ENDPOINT_URL_{}", svc.to_ascii_uppercase()), url.clone()))
            .collect();
        LocalAws { profile: s.profile, region: s.region, endpoints }
    }

    /// The environment a service gets from its `deploy` settings in `stage`, as the generated
    /// Terraform gives the function (CORS).
    pub fn function_env(&self, stage: &str, service: &str) -> BTreeMap<String, String> {
        let f = self.function_settings(stage, service, &CliOptions::new());
        f.cors.map(|c| c.env().into_iter().map(|(k, v)| (k.to_string(), v)).collect()).unwrap_or_default()
    }

    /// The `invoke` settings of `service` in `stage`.
    pub fn invoke_settings(&self, stage: &str, service: Option<&str>, cli: &CliOptions) -> InvokeSettings {
        let o = self.options("invoke", stage, service, cli);
        InvokeSettings {
            url: o.text("url"),
            timeout: o.int("timeout").and_then(|t| u64::try_from(t).ok()).unwrap_or_default(),
        }
    }

    /// The `build` settings of `service` in `stage`.
    pub fn build_settings(&self, stage: &str, service: &str, cli: &CliOptions) -> BuildSettings {
        let o = self.options("build", stage, Some(service), cli);
        let architecture = if o.is_set("architecture") {
            o.text("architecture")
        } else {
            self.options("deploy", stage, Some(service), &CliOptions::new()).text("architecture")
        }
        .unwrap_or_default();
        let target = o.text("target").or_else(|| target_of(&architecture));
        BuildSettings {
            cargo_lambda: target.as_deref().is_some_and(names_glibc),
            release: o.text("profile").as_deref() != Some("dev"),
            profile_env: match o.text("optimize").as_deref() {
                Some("lambda") => LAMBDA_RELEASE_PROFILE
                    .iter()
                    .map(|(k, v)| (format!("CARGO_PROFILE_RELEASE_{k}"), v.to_string()))
                    .collect(),
                _ => Vec::new(),
            },
            crate_dir: self.service_crate(service).unwrap_or_default(),
            architecture,
            target,
        }
    }

    /// Where `cws workflow build` writes the DAGs of `stage`: `given` (the command line's `-o`: the
    /// user's own choice) as it is, else `commands.workflow.airflow_dags` under the project root when
    /// it stays inside the project. A directory outside (absolute, `..`, a link out) is refused with
    /// `CWS051`: a cloned repository cannot make `cws workflow build` write elsewhere.
    pub fn dags_dir(&self, stage: &str, given: Option<&Path>) -> Result<PathBuf, Diagnostic> {
        if let Some(dir) = given {
            return Ok(dir.to_path_buf());
        }
        let option = self.options("workflow", stage, None, &CliOptions::new());
        let listed = option.text("airflow_dags").unwrap_or_default();
        match inside_project(self.root(), &listed) {
            Some(rel) => Ok(self.root().join(rel)),
            None => Err(Diagnostic::new(
                DiagnosticCode::OutputOutside,
                CONFIG_FILE,
                option.get("airflow_dags").and_then(|e| e.span).unwrap_or_default(),
                format!(
                    "`airflow_dags` `{listed}` is outside the project: `cws workflow build` writes no DAG \
                     there (give the directory with `-o DIR` if it is meant)"
                ),
            )),
        }
    }

    /// The `workflow` settings of `stage` (`cli` may set `airflow_dags`).
    pub fn workflow_settings(&self, stage: &str, cli: &CliOptions) -> WorkflowSettings {
        let o = self.options("workflow", stage, None, cli);
        WorkflowSettings {
            airflow_dags: PathBuf::from(o.text("airflow_dags").unwrap_or_default()),
            schedule: o.text("schedule"),
        }
    }
}
