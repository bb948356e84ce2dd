//! Deployment artifacts, produced from the same analysis the editor shows: data in, files out.
//!
//! - [`api`]: the deployed API of a stage as API Gateway serves it, which [`terraform`] writes and
//!   the local stage gateway serves;
//! - [`terraform`]: the Terraform configuration of a stage (`*.tf.json`);
//! - [`package`]: the reproducible Lambda zip of a service, with its glibc check ([`elf`]);
//! - [`airflow`]: the Airflow 3 DAGs of the workflows;
//! - [`openapi`]: the OpenAPI 3.1 document of each service in a stage.
//!
//! Generators read options only through [`crate::settings`].

use std::path::{Path, PathBuf};

use crate::diagnostics::Diagnostic;
use crate::layout::package_path;
use crate::project::Project;
use crate::settings::CliOptions;

pub mod airflow;
pub mod airflow_setup;
pub mod api;
pub mod client;
pub mod elf;
pub mod openapi;
pub mod package;
pub mod terraform;

pub use crate::layout::TERRAFORM_DIR;
pub use terraform::{ServiceDeployment, StageDeployment};

/// Text as a generated file: a path relative to the output directory and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Where it goes, relative to the output directory.
    pub path: PathBuf,
    /// Its content.
    pub text: String,
}

/// The project's name: `name` in `project.cws.yml`, else the root directory's name.
pub fn project_name(project: &Project) -> String {
    if let Some(n) = project.config().and_then(|c| c.name.as_ref()) {
        return n.value.clone();
    }
    let root = std::fs::canonicalize(project.root()).unwrap_or_else(|_| project.root().to_path_buf());
    root.file_name().and_then(|n| n.to_str()).unwrap_or("coworks").to_string()
}

/// What is deployed for `stage`: every service with the entries of that stage, its settings, its
/// environment (plain values; secret names only) and its package. Also returns the problems of the
/// stage's env files (missing, outside the project).
pub fn stage_deployment(
    project: &Project,
    stage: &str,
    cli: &CliOptions,
) -> (StageDeployment, Vec<Diagnostic>) {
    let env = project.stage_env(stage);
    let plain = env.plain();
    let secrets = env.secret_names();
    let services = project
        .services(Some(stage))
        .into_iter()
        .map(|service| {
            let rel = package_path(&service.name);
            let package_hash = crate::scan::read_regular(&project.root().join(&rel))
                .ok()
                .map(|b| package::sha256_base64(&b));
            ServiceDeployment {
                function: project.function_settings(stage, &service.name, cli),
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
        settings: project.stage_settings(stage, cli),
        services,
    };
    (deployment, env.problems)
}

/// Writes the Terraform files of a deployment into `dir` (created), removing the generated
/// `*.tf.json` files of services no longer deployed. The project's own files there (`*.tf`, and
/// `*.tf.json` without the generated marker) are never removed nor overwritten: a file of the
/// project under a generated name is refused, nothing written. Returns the written paths.
pub fn write_terraform(dir: &Path, deployment: &StageDeployment) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let files: Vec<GeneratedFile> = terraform::generate(deployment)
        .into_iter()
        .map(|(name, text)| GeneratedFile { path: PathBuf::from(name), text })
        .collect();
    let mut stale = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
        if !name.ends_with(".tf.json") {
            continue;
        }
        let generated = crate::scan::read_regular(&path)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .is_some_and(|t| crate::layout::is_generated_terraform(&t));
        let ours = files.iter().any(|f| f.path == Path::new(&name));
        if ours && !generated {
            return Err(std::io::Error::other(format!(
                "`{}` is not a file cws deploy generated, but it has the name of one ({}): rename your file \
                 (if an older cws wrote it, delete it)",
                path.display(),
                crate::diagnostics::DiagnosticCode::TerraformFileClash
            )));
        }
        if generated && !ours {
            stale.push(path);
        }
    }
    for path in stale {
        std::fs::remove_file(&path)?;
    }
    write_files(dir, &files)
}

/// Writes generated files under `dir` (created), never through a link: a directory on the way that
/// is a link is refused, and each file is written beside its place and renamed over it, so a link
/// already there (say a cloned repository's `airflow/dags/x.py` → `~/.bashrc`) is replaced, not
/// followed. Returns the written paths.
pub fn write_files(dir: &Path, files: &[GeneratedFile]) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for file in files {
        let rel = crate::project::normal_relative(&file.path)
            .filter(|r| r.file_name().is_some())
            .ok_or_else(|| std::io::Error::other(format!("`{}` is not a file name", file.path.display())))?;
        let mut parent = dir.to_path_buf();
        for part in rel.parent().into_iter().flat_map(Path::components) {
            parent.push(part);
            match std::fs::symlink_metadata(&parent) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    return Err(std::io::Error::other(format!(
                        "`{}` is not a directory (a link is not followed): remove it",
                        parent.display()
                    )))
                }
                Err(_) => std::fs::create_dir(&parent)?,
            }
        }
        let path = dir.join(&rel);
        let name = rel.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        let temp = parent.join(format!(".{name}.cws-new"));
        let _ = std::fs::remove_file(&temp);
        {
            use std::io::Write as _;
            let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&temp)?;
            f.write_all(file.text.as_bytes())?;
        }
        std::fs::rename(&temp, &path).inspect_err(|_| {
            let _ = std::fs::remove_file(&temp);
        })?;
        written.push(path);
    }
    Ok(written)
}
