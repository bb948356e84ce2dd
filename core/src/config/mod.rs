//! `project.cws.yml` and `.env` files, read with source positions (no I/O: texts in, values out).
//!
//! - [`schema`]: the commands and options CoWorks knows, as a data table (type, default, doc) —
//!   the one place every option's default is written;
//! - [`project`]: [`ProjectConfig`], read and validated from `project.cws.yml` (version 3) on the
//!   positioned YAML reader (`yaml`);
//! - [`env`](mod@env): `.env` files.
//!
//! Readers never fail: a broken file yields what can be read plus diagnostics. Which stage, which
//! option value and which environment apply is decided by [`crate::settings`].

//!
//! Without the `analysis` feature only [`schema`] is here: the option tables, so that the runtime
//! can read the defaults of `run` from the one place they are written.

#[cfg(feature = "analysis")]
use serde::Serialize;

#[cfg(feature = "analysis")]
use crate::text::Span;

#[cfg(feature = "analysis")]
pub mod edit;
#[cfg(feature = "analysis")]
pub mod env;
#[cfg(feature = "analysis")]
pub mod json_schema;
#[cfg(feature = "analysis")]
pub mod project;
#[cfg(feature = "analysis")]
mod read;
pub mod schema;

#[cfg(feature = "analysis")]
pub use crate::text::Spanned;
#[cfg(feature = "analysis")]
pub use crate::yaml::Value;
#[cfg(feature = "analysis")]
pub use env::{read_env, EnvFile, EnvVar};
#[cfg(feature = "analysis")]
pub use project::{EnvFileEntry, ProjectConfig, ServiceConfig, Setting, WorkspaceConfig};
#[cfg(feature = "analysis")]
pub use read::read_project_config;
#[cfg(feature = "analysis")]
pub use schema::describe_key;

/// Where an effective option value comes from, highest precedence first.
#[cfg(feature = "analysis")]
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
#[cfg(feature = "analysis")]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effective {
    /// The value.
    pub value: Value,
    /// Which layer set it.
    pub origin: Origin,
    /// Where the value is written in `project.cws.yml` (`None` for the command line and defaults).
    pub span: Option<Span>,
}
