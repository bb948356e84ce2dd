//! The environment of a stage, computed from the env files the project holds (the editor's text
//! when a file is open): one implementation for the editor, `cws run` and `cws deploy`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::config::EnvFile;
use crate::diagnostics::{Diagnostic, DiagnosticCode};
use crate::layout::{env_files_for_stage, is_secret_env_file, CONFIG_FILE};
use crate::project::{inside::inside_project, Project};
use crate::text::Span;

/// A variable of a stage's environment and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvValue {
    /// The value.
    pub value: String,
    /// The env file, relative to the project root.
    #[serde(serialize_with = "crate::text::lossy_path")]
    pub file: PathBuf,
    /// Where the value is written in that file.
    pub span: Span,
    /// Where the name is written in that file.
    pub key_span: Span,
    /// Whether it comes from a `*.secret` file (never written to artifacts in plain text).
    pub secret: bool,
}

/// The environment of a stage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageEnv {
    /// The variables, later files overriding earlier ones.
    pub vars: BTreeMap<String, EnvValue>,
    /// The env files read, in load order.
    pub files: Vec<PathBuf>,
    /// The stage's `env_files` that are missing (`CWS015`) or outside the project (`CWS049`).
    pub problems: Vec<Diagnostic>,
}

/// The problem of a listed env file that does not exist.
fn missing(stage: &str, name: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        DiagnosticCode::MissingEnvFile,
        CONFIG_FILE,
        span,
        format!("stage `{stage}` needs env file `{name}`, which does not exist"),
    )
}

impl StageEnv {
    /// Adds the variables of `file` (at `path`), overriding earlier ones.
    fn add(&mut self, file: &EnvFile, path: &std::path::Path, secret: bool) {
        for var in &file.vars {
            let value = EnvValue {
                value: var.value.clone(),
                file: path.to_path_buf(),
                span: var.value_span,
                key_span: var.key_span,
                secret,
            };
            self.vars.insert(var.key.clone(), value);
        }
        self.files.push(path.to_path_buf());
    }

    /// The plain (not secret) variables, by name.
    pub fn plain(&self) -> BTreeMap<String, String> {
        self.vars.iter().filter(|(_, v)| !v.secret).map(|(k, v)| (k.clone(), v.value.clone())).collect()
    }

    /// The names of the secret variables.
    pub fn secret_names(&self) -> Vec<String> {
        self.vars.iter().filter(|(_, v)| v.secret).map(|(k, _)| k.clone()).collect()
    }

    /// Every variable's value, by name (what a local run of the stage gets).
    pub fn values(&self) -> BTreeMap<String, String> {
        self.vars.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect()
    }
}

/// Whether a variable's name looks like a secret's: `TOKEN`, `*_KEY`, `*_SECRET`, `*PASSWORD*`,
/// `*TOKEN*` (any case). Such a variable belongs in a `*.secret` env file in production (`CWS052`).
pub fn looks_secret(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    n.ends_with("_KEY") || n.ends_with("_SECRET") || n.contains("PASSWORD") || n.contains("TOKEN")
}

impl Project {
    /// The environment of `stage`: the optional files `.env`, `.env.secret`, `.env.<stage>`,
    /// `.env.<stage>.secret` that exist, then the stage's `env_files` in order; later files override
    /// earlier ones. Unreadable files are skipped (their `CWS020` is among the project's notes).
    pub fn stage_env(&self, stage: &str) -> StageEnv {
        let config = self.config_or_default();
        let mut env = StageEnv::default();
        let optional = env_files_for_stage(stage).into_iter().map(|f| (f, None, false));
        let required = config
            .env_file_entries(stage)
            .iter()
            .map(|e| (e.path.value.clone(), Some(e.path.span), e.outside));
        for (name, listed_at, outside) in optional.chain(required) {
            let Some(rel) = inside_project(self.root(), &name).filter(|r| !r.as_os_str().is_empty()) else {
                if outside {
                    self.add_outside_env(&mut env, stage, &name, listed_at.unwrap_or_default());
                    continue;
                }
                env.problems.push(Diagnostic::new(
                    DiagnosticCode::EnvFileOutside,
                    CONFIG_FILE,
                    listed_at.unwrap_or_default(),
                    format!(
                        "env file `{name}` of stage `{stage}` is outside the project: it is not read (an entry \
                         `{{path: {name}, outside: true}}` is read by `cws run` and `cws deploy` only)"
                    ),
                ));
                continue;
            };
            if env.files.contains(&rel) {
                continue;
            }
            match self.env_file(&rel) {
                Some(file) => {
                    env.add(file, &rel, is_secret_env_file(&name));
                }
                None if self.notes().iter().any(|n| n.file == rel) => {}
                None => {
                    if let Some(span) = listed_at {
                        env.problems.push(missing(stage, &name, span));
                    }
                }
            }
        }
        env
    }

    /// The environment `service` runs with locally in `stage` (`cws run`, a debugger): every
    /// variable of the stage's env files, `CWS_STAGE` (so stage-only entries follow the stage) and
    /// what its `deploy` settings give the deployed function ([`Project::function_env`]). The
    /// AWS settings of a local run (credentials, endpoints) are the face's to add.
    pub fn local_env(&self, stage: &str, service: &str) -> BTreeMap<String, String> {
        let mut env = self.stage_env(stage).values();
        env.insert("CWS_STAGE".into(), stage.to_string());
        env.extend(self.function_env(stage, service));
        env
    }

    /// Adds an `outside: true` env file, when this face read them ([`Project::read_outside_env_files`]):
    /// the editor, `cws check` and the generators never do, and skip it without a word.
    fn add_outside_env(&self, env: &mut StageEnv, stage: &str, name: &str, listed_at: Span) {
        let Some(read) = self.outside_env(name) else { return };
        match read.map(|o| (&o.path, &o.file)) {
            Some((path, Ok(Some((file, problems))))) => {
                if !env.files.contains(path) {
                    env.add(file, path, is_secret_env_file(name));
                    env.problems.extend(problems.iter().cloned());
                }
            }
            Some((_, Err(note))) => env.problems.push(note.clone()),
            Some((_, Ok(None))) | None => env.problems.push(missing(stage, name, listed_at)),
        }
    }

    /// The secret values of `stage` (from `*.secret` env files), as the JSON object Terraform reads
    /// from `TF_VAR_secrets`. Never written to a file.
    pub fn secret_values(&self, stage: &str) -> String {
        let secrets: serde_json::Map<String, serde_json::Value> = self
            .stage_env(stage)
            .vars
            .into_iter()
            .filter(|(_, v)| v.secret)
            .map(|(k, v)| (k, serde_json::Value::String(v.value)))
            .collect();
        serde_json::Value::Object(secrets).to_string()
    }
}
