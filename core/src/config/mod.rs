//! `project.cws.yml` and `.env` files, read with source positions.
//!
//! - [`yaml`]: a positioned YAML tree (spans on every key and node, alias expansion under limits);
//! - [`scalar`]: scalar styles and YAML 1.2 core-schema types;
//! - [`schema`]: the commands and options CoWorks knows, as a data table (type, default, doc);
//! - [`project`]: [`ProjectConfig`], read and validated from `project.cws.yml` (version 3);
//! - [`env`](mod@env): `.env` files and the environment of a stage.
//!
//! Readers never fail: a broken file yields what can be read plus diagnostics.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::text::Span;

pub mod env;
pub mod json_schema;
pub mod project;
pub mod scalar;
pub mod schema;
mod validate;
pub mod yaml;

pub use env::{env_files_for_stage, load_stage_env, read_env, EnvFile, EnvValue, EnvVar};
pub use project::{read_project_config, ProjectConfig, ServiceConfig, Setting, Spanned, WorkspaceConfig};
pub use schema::describe_key;

/// A configuration value (an option's value, or a value given on the command line).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// Nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// Text.
    Str(String),
    /// A list.
    List(Vec<Value>),
    /// A mapping with text keys.
    Map(BTreeMap<String, Value>),
}

impl fmt::Display for Value {
    /// YAML-like flow style: `8000`, `eu-west-1`, `[a, b]`, `{k: v}`, `null`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => f.write_str(s),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Map(map) => {
                f.write_str("{")?;
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// Where an effective option value comes from, highest precedence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// The command line.
    Cli,
    /// `services.<service>.commands.<command>` in `project.cws.yml`.
    Service,
    /// `workspaces.<stage>.commands.<command>` in `project.cws.yml`.
    Workspace,
    /// `commands.<command>` in `project.cws.yml`.
    Commands,
    /// The schema's default.
    Default,
}

/// The value an option takes for one command, stage and service, and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effective {
    /// The value.
    pub value: Value,
    /// Which layer set it.
    pub origin: Origin,
    /// Where the value is written in `project.cws.yml` (`None` for the command line and defaults).
    pub span: Option<Span>,
}
