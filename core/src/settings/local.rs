//! Typed settings of the local commands: `run`, `invoke`, `build`, `workflow`.

use std::path::PathBuf;

use super::CliOptions;
use crate::project::Project;

/// Where `cws run` serves a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSettings {
    /// The address listened on.
    pub host: String,
    /// The port.
    pub port: u16,
}

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
/// codegen unit. Measured by `runtime/coworks/benches/package.rs` (see docs/deploy.md): a smaller
/// package that starts faster. Panics still unwind: the runtime turns an entry's panic into a 500.
pub const LAMBDA_RELEASE_PROFILE: &[(&str, &str)] =
    &[("STRIP", "symbols"), ("LTO", "fat"), ("CODEGEN_UNITS", "1"), ("OPT_LEVEL", "3")];

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

    /// The `workflow` settings of `stage` (`cli` may set `airflow_dags`).
    pub fn workflow_settings(&self, stage: &str, cli: &CliOptions) -> WorkflowSettings {
        let o = self.options("workflow", stage, None, cli);
        WorkflowSettings {
            airflow_dags: PathBuf::from(o.text("airflow_dags").unwrap_or_default()),
            schedule: o.text("schedule"),
        }
    }
}
