//! Deployment artifacts, produced from the same analysis the editor shows: data in, files out.
//!
//! - [`settings`]: the effective `deploy` options of a stage and of each service;
//! - [`terraform`]: the Terraform configuration of a stage (`*.tf.json`);
//! - [`package`]: the reproducible Lambda zip of a service, with its glibc check ([`elf`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::{load_stage_env, ProjectConfig, Value};
use crate::diagnostics::Diagnostic;
use crate::project::{Project, CONFIG_FILE};

pub mod elf;
pub mod package;
pub mod settings;
pub mod terraform;

pub use terraform::{ServiceDeployment, StageDeployment};

/// The directory, under the project root, that holds the generated Terraform files and state.
pub const TERRAFORM_DIR: &str = "terraform";

/// The project's name: `name` in `project.cws.yml`, else the root directory's name.
pub fn project_name(project: &Project) -> String {
    if let Some(n) = project.config().and_then(|c| c.name.as_ref()) {
        return n.value.clone();
    }
    let root = std::fs::canonicalize(project.root()).unwrap_or_else(|_| project.root().to_path_buf());
    root.file_name().and_then(|n| n.to_str()).unwrap_or("coworks").to_string()
}

/// What is deployed for `stage`: every service with the entries of that stage, its settings, its
/// environment (plain values; secret names only) and its package. Also returns the diagnostics met
/// while reading the env files.
pub fn stage_deployment(
    project: &Project,
    stage: &str,
    cli: &BTreeMap<String, Value>,
) -> (StageDeployment, Vec<Diagnostic>) {
    let empty = ProjectConfig::empty(Path::new(CONFIG_FILE));
    let config = project.config().unwrap_or(&empty);
    let (env, diags) = load_stage_env(project.root(), config, stage);
    let plain: BTreeMap<String, String> =
        env.iter().filter(|(_, v)| !v.secret).map(|(k, v)| (k.clone(), v.value.clone())).collect();
    let secrets: Vec<String> = env.iter().filter(|(_, v)| v.secret).map(|(k, _)| k.clone()).collect();
    let services = project
        .services(Some(stage))
        .into_iter()
        .map(|service| {
            let rel = package::package_path(&service.name);
            let package_hash = crate::scan::read_regular(&project.root().join(&rel))
                .ok()
                .map(|b| package::sha256_base64(&b));
            ServiceDeployment {
                function: settings::function_settings(config, stage, &service.name, cli),
                env: plain.clone(),
                secrets: secrets.clone(),
                package: Path::new("..").join(&rel).to_string_lossy().replace('\\', "/"),
                package_hash,
                service,
            }
        })
        .collect();
    let deployment = StageDeployment {
        project: project_name(project),
        stage: stage.to_string(),
        settings: settings::stage_settings(config, stage, cli),
        services,
    };
    (deployment, diags)
}

/// The secret values of `stage` (from `*.secret` env files), as the JSON object Terraform reads from
/// `TF_VAR_secrets`. Never written to a file.
pub fn secret_values(project: &Project, stage: &str) -> String {
    let empty = ProjectConfig::empty(Path::new(CONFIG_FILE));
    let config = project.config().unwrap_or(&empty);
    let (env, _) = load_stage_env(project.root(), config, stage);
    let secrets: serde_json::Map<String, serde_json::Value> = env
        .into_iter()
        .filter(|(_, v)| v.secret)
        .map(|(k, v)| (k, serde_json::Value::String(v.value)))
        .collect();
    serde_json::Value::Object(secrets).to_string()
}

/// Writes the Terraform files of a deployment into `dir` (created), removing stale `*.tf.json` files
/// of services no longer deployed. Returns the written paths.
pub fn write_terraform(dir: &Path, deployment: &StageDeployment) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let files = terraform::generate(deployment);
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
        if name.ends_with(".tf.json") && !files.iter().any(|(f, _)| *f == name) {
            std::fs::remove_file(&path)?;
        }
    }
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}
