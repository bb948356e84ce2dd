//! The settings layer: which stage, which option value (and where it comes from), which environment.
//!
//! Every face and generator asks here, so a default or a rule is written once:
//! - [`Project::resolve_stage`]: the stage a command or the editor uses (the one asked, checked, or
//!   the project's first) and the error a face shows for an unknown one;
//! - [`Project::options`]: the effective options of a command for a stage (and a service), each with
//!   its origin — command line > the service's `commands` > the stage's workspace > `commands` >
//!   the default of the [schema tables](crate::config::schema), the only place defaults are written;
//! - typed views of those options: [`RunSettings`], [`InvokeSettings`], [`BuildSettings`],
//!   [`WorkflowSettings`] (in [`local`]) and the deployment's ([`deploy`]);
//! - [`Project::stage_env`]: the environment of a stage, from the env files the project holds;
//! - [`Project::resolve_target`] ([`target`]): where a deployed stage is, remembered per stage.

use std::collections::BTreeMap;
use std::fmt;

use crate::config::{schema, Effective, Value};
use crate::project::Project;

pub mod deploy;
pub mod env;
pub mod local;
pub mod target;

pub use deploy::{Backend, Cors, FunctionSettings, StageSettings, Vpc};
pub use env::{EnvValue, StageEnv};
pub use local::{
    BuildSettings, InvokeSettings, LocalAws, RunSettings, WorkflowSettings, LAMBDA_RELEASE_PROFILE,
};
pub use target::{DeployFlags, DeployRecord, DeployTarget, ResolvedTarget, TargetUse};

/// Options given on the command line, by option name (the highest layer).
pub type CliOptions = BTreeMap<String, Value>;

/// A stage that the project does not define.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStage {
    /// The stage asked for.
    pub stage: String,
    /// The project's stages.
    pub stages: Vec<String>,
}

impl fmt::Display for UnknownStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown stage `{}`; the project's stages are: {} (workspaces of project.cws.yml)",
            self.stage,
            self.stages.join(", ")
        )
    }
}

impl std::error::Error for UnknownStage {}

/// The effective options of one command, by option name.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    command: &'static str,
    values: BTreeMap<String, Effective>,
}

impl Options {
    /// The option's effective value and origin, if it has one (set somewhere or defaulted).
    pub fn get(&self, name: &str) -> Option<&Effective> {
        self.values.get(name)
    }

    /// Every option with a value.
    pub fn all(&self) -> &BTreeMap<String, Effective> {
        &self.values
    }

    /// The value of an option; the schema's default when it has no valid value (`Null` if none).
    pub fn value(&self, name: &str) -> Value {
        match self.values.get(name) {
            Some(e) => e.value.clone(),
            None => schema::command(self.command)
                .and_then(|c| c.option(name))
                .and_then(|o| o.default_value())
                .unwrap_or(Value::Null),
        }
    }

    /// A text option (a number counts as text); `None` when unset or empty.
    pub fn text(&self, name: &str) -> Option<String> {
        match self.value(name) {
            Value::Str(s) if !s.is_empty() => Some(s),
            Value::Int(i) => Some(i.to_string()),
            _ => None,
        }
    }

    /// A text option that may be empty (`""` is a value); `None` when unset.
    pub fn text_or_empty(&self, name: &str) -> Option<String> {
        match self.value(name) {
            Value::Str(s) => Some(s),
            Value::Int(i) => Some(i.to_string()),
            _ => None,
        }
    }

    /// An integer option.
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.value(name) {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// A boolean option (unset: `false`).
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.value(name), Value::Bool(true))
    }

    /// A list of texts (unset: empty).
    pub fn texts(&self, name: &str) -> Vec<String> {
        texts(&self.value(name))
    }

    /// A mapping of texts (unset: empty); numbers and booleans are written as text.
    pub fn text_map(&self, name: &str) -> BTreeMap<String, String> {
        text_map(&self.value(name))
    }

    /// Whether the option is set somewhere (not only defaulted).
    pub fn is_set(&self, name: &str) -> bool {
        self.values.get(name).is_some_and(|e| e.origin != crate::config::Origin::Default)
    }
}

/// The texts of a list value.
fn texts(v: &Value) -> Vec<String> {
    match v {
        Value::List(items) => items
            .iter()
            .filter_map(|i| match i {
                Value::Str(s) => Some(s.clone()),
                Value::Int(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The texts of a mapping value.
fn text_map(v: &Value) -> BTreeMap<String, String> {
    match v {
        Value::Map(m) => m
            .iter()
            .filter_map(|(k, v)| match v {
                Value::Str(s) => Some((k.clone(), s.clone())),
                Value::Int(_) | Value::Float(_) | Value::Bool(_) => Some((k.clone(), v.to_string())),
                _ => None,
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

impl Project {
    /// The stages: the workspaces of `project.cws.yml` in file order, or `dev` alone.
    pub fn stages(&self) -> Vec<String> {
        self.config_or_default().stages()
    }

    /// The stage used when none is asked for: the project's first.
    pub fn default_stage(&self) -> String {
        self.config_or_default().stages().into_iter().next().unwrap_or_default()
    }

    /// The stage to use: `asked` when the project defines it (else the error to show), or the
    /// project's first stage.
    pub fn resolve_stage(&self, asked: Option<&str>) -> Result<String, UnknownStage> {
        let stages = self.stages();
        match asked {
            None => Ok(self.default_stage()),
            Some(s) if stages.iter().any(|x| x == s) => Ok(s.to_string()),
            Some(s) => Err(UnknownStage { stage: s.to_string(), stages }),
        }
    }

    /// The stages a check or a listing covers: `stage` alone when given, else every stage.
    pub fn stages_checked(&self, stage: Option<&str>) -> Vec<String> {
        match stage {
            Some(s) => vec![s.to_string()],
            None => self.stages(),
        }
    }

    /// Whether `stage` is marked `production: true`.
    pub fn is_production(&self, stage: &str) -> bool {
        self.config_or_default().is_production(stage)
    }

    /// The effective options of `command` for `stage` (and `service`), with `cli` on top.
    /// Unknown commands have no options.
    pub fn options(&self, command: &str, stage: &str, service: Option<&str>, cli: &CliOptions) -> Options {
        let Some(spec) = schema::command(command) else {
            return Options { command: "", values: BTreeMap::new() };
        };
        let values = self.config_or_default().effective_options(spec.name, stage, service, cli);
        Options { command: spec.name, values }
    }

    /// The effective options of every command of the schema (what `cws config` prints).
    pub fn all_options(&self, stage: &str, service: Option<&str>) -> BTreeMap<&'static str, Options> {
        let none = CliOptions::new();
        schema::COMMANDS.iter().map(|c| (c.name, self.options(c.name, stage, service, &none))).collect()
    }

    /// The crate directory of a service: `services.<name>.path` when set, else the crate its source
    /// is in (relative to the project root).
    pub fn service_crate(&self, service: &str) -> Option<std::path::PathBuf> {
        if let Some(path) = self.config_or_default().service_path(service) {
            return Some(std::path::PathBuf::from(path));
        }
        self.service_summary(service).map(|s| s.crate_dir.to_path_buf())
    }
}

#[cfg(test)]
pub(crate) mod tests;
