//! The layout of a CoWorks project: which file is what, and where generated things go.
//!
//! ```text
//! project.cws.yml            the project file (version 3)
//! .env, .env.<stage>         environment per stage; *.secret files hold secrets
//! services/<name>/           a Cargo crate per tech microservice
//! workflows/<name>.cws.yml   biz workflows
//! terraform/                 generated Terraform files and state (`cws deploy`)
//! target/lambda/<service>/   Lambda packages (`cws build`)
//! ```

use std::path::{Path, PathBuf};

/// The project file's name, at the project root.
pub const CONFIG_FILE: &str = "project.cws.yml";

/// What to tell someone who runs a project command outside any project.
pub const NO_PROJECT_HERE: &str = "no project.cws.yml here or above; `cws new NAME` creates one";

/// The project root for a command run in `dir`: the nearest of `dir` and its parents holding
/// [`CONFIG_FILE`], as cargo finds `Cargo.toml`. `None` outside any project. `dir` is made
/// absolute first (a relative `dir` is taken from the current directory).
pub fn find_root(dir: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(dir).ok()?;
    start.ancestors().find(|d| d.join(CONFIG_FILE).is_file()).map(Path::to_path_buf)
}

/// The directory holding workflow files, relative to the project root.
pub const WORKFLOW_DIR: &str = "workflows";

/// The suffix of workflow files.
pub const WORKFLOW_SUFFIX: &str = ".cws.yml";

/// The directory, under the project root, that holds the generated Terraform files and state.
pub const TERRAFORM_DIR: &str = "terraform";

/// Where `cws deploy` remembers a stage's target (region, profile, endpoints; never a secret),
/// relative to the project root: next to the stage's Terraform state.
pub fn deploy_record_path(stage: &str) -> PathBuf {
    Path::new(TERRAFORM_DIR).join(".cws").join(format!("{stage}.json"))
}

/// What kind of project file a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A `.rs` file.
    Rust,
    /// `project.cws.yml` at the project root.
    Config,
    /// `.env`, `.env.<stage>`, `.env.<stage>.secret` at the project root.
    Env,
    /// A `Cargo.toml` (decides which crate a file belongs to).
    CargoManifest,
    /// A workflow: `workflows/<name>.cws.yml`.
    Workflow,
    /// Anything else.
    Other,
}

/// The kind of a project-relative path, by its name and place.
pub fn file_kind(rel: &Path) -> FileKind {
    let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let at_root = rel.parent().is_none_or(|p| p.as_os_str().is_empty());
    if rel.extension().is_some_and(|e| e == "rs") {
        FileKind::Rust
    } else if at_root && name == CONFIG_FILE {
        FileKind::Config
    } else if at_root && (name == ".env" || name.starts_with(".env.")) {
        FileKind::Env
    } else if name == "Cargo.toml" {
        FileKind::CargoManifest
    } else if is_workflow_path(rel) {
        FileKind::Workflow
    } else {
        FileKind::Other
    }
}

/// Whether a project-relative path is a workflow file: `workflows/<name>.cws.yml`.
pub fn is_workflow_path(rel: &Path) -> bool {
    let in_dir = rel.parent().is_some_and(|p| p == Path::new(WORKFLOW_DIR));
    let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
    in_dir && name.len() > WORKFLOW_SUFFIX.len() && name.ends_with(WORKFLOW_SUFFIX)
}

/// Whether an env file holds secrets (`*.secret`): never written to artifacts in clear.
pub fn is_secret_env_file(name: &str) -> bool {
    name.ends_with(".secret")
}

/// The optional env files of a stage, in load order (later files override earlier ones):
/// `.env`, `.env.secret`, `.env.<stage>`, `.env.<stage>.secret`. A stage name that is not a plain
/// name (e.g. holds `/`) gets only the first two.
pub fn env_files_for_stage(stage: &str) -> Vec<String> {
    let mut files = vec![".env".to_string(), ".env.secret".to_string()];
    let plain = !stage.is_empty()
        && stage != "secret"
        && stage.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if plain {
        files.push(format!(".env.{stage}"));
        files.push(format!(".env.{stage}.secret"));
    }
    files
}

/// Where `cws build` puts a service's package, relative to the project root.
pub fn package_path(service: &str) -> PathBuf {
    Path::new("target").join("lambda").join(service).join("bootstrap.zip")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_name_and_place() {
        assert_eq!(file_kind(Path::new("services/a/src/main.rs")), FileKind::Rust);
        assert_eq!(file_kind(Path::new("project.cws.yml")), FileKind::Config);
        assert_eq!(file_kind(Path::new("sub/project.cws.yml")), FileKind::Other);
        assert_eq!(file_kind(Path::new(".env.dev.secret")), FileKind::Env);
        assert_eq!(file_kind(Path::new("sub/.env")), FileKind::Other);
        assert_eq!(file_kind(Path::new("services/a/Cargo.toml")), FileKind::CargoManifest);
        assert_eq!(file_kind(Path::new("workflows/w.cws.yml")), FileKind::Workflow);
        assert_eq!(file_kind(Path::new("workflows/.cws.yml")), FileKind::Other);
        assert_eq!(file_kind(Path::new("workflows/x/w.cws.yml")), FileKind::Other);
    }

    #[test]
    fn the_root_is_the_nearest_directory_with_a_project_file() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (outer, inner) = (tmp.path().join("a"), tmp.path().join("a/services/x/src"));
        std::fs::create_dir_all(&inner).expect("mkdir");
        assert_eq!(find_root(&inner), None);
        std::fs::write(outer.join(CONFIG_FILE), "version: 3\n").expect("write");
        assert_eq!(find_root(&inner), Some(outer.clone()));
        assert_eq!(find_root(&outer), Some(outer.clone()));
        // A directory named like the file is not a project.
        std::fs::create_dir_all(inner.join(CONFIG_FILE)).expect("mkdir");
        assert_eq!(find_root(&inner), Some(outer));
    }

    #[test]
    fn env_files_of_a_stage() {
        assert_eq!(env_files_for_stage("dev"), [".env", ".env.secret", ".env.dev", ".env.dev.secret"]);
        assert_eq!(env_files_for_stage("a/b"), [".env", ".env.secret"]);
        assert_eq!(env_files_for_stage("secret"), [".env", ".env.secret"]);
        assert_eq!(package_path("billing"), Path::new("target/lambda/billing/bootstrap.zip"));
    }
}
