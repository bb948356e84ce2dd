//! The environment of a stage, computed from the env files the project holds (the editor's text
//! when a file is open): one implementation for the editor, `cws run` and `cws deploy`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

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

impl StageEnv {
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
        let optional = env_files_for_stage(stage).into_iter().map(|f| (f, None));
        let required = config.required_env_files(stage).into_iter().map(|(f, s)| (f, Some(s)));
        for (name, listed_at) in optional.chain(required) {
            let Some(rel) = inside_project(self.root(), &name).filter(|r| !r.as_os_str().is_empty()) else {
                env.problems.push(Diagnostic::new(
                    DiagnosticCode::EnvFileOutside,
                    CONFIG_FILE,
                    listed_at.unwrap_or_default(),
                    format!("env file `{name}` of stage `{stage}` is outside the project: it is not read"),
                ));
                continue;
            };
            if env.files.contains(&rel) {
                continue;
            }
            match self.env_file(&rel) {
                Some(file) => {
                    let secret = is_secret_env_file(&name);
                    for var in &file.vars {
                        let value = EnvValue {
                            value: var.value.clone(),
                            file: rel.clone(),
                            span: var.value_span,
                            key_span: var.key_span,
                            secret,
                        };
                        env.vars.insert(var.key.clone(), value);
                    }
                    env.files.push(rel);
                }
                None if self.notes().iter().any(|n| n.file == rel) => {}
                None => {
                    if let Some(span) = listed_at {
                        env.problems.push(Diagnostic::new(
                            DiagnosticCode::MissingEnvFile,
                            CONFIG_FILE,
                            span,
                            format!("stage `{stage}` needs env file `{name}`, which does not exist"),
                        ));
                    }
                }
            }
        }
        env
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
