//! CoWorks core: the project model every face of CoWorks asks — the language server, the `cws`
//! command line, the `#[coworks::service]` macro and the artifact generators.
//!
//! Layers, each using only those above it:
//!
//! | layer | modules (private ones in italics) |
//! |---|---|
//! | model | [`text`], [`model`], [`diagnostics`] (with their fixes), [`suggest`], [`contract`] (names the runtime shares) |
//! | naming | [`naming`], [`rust_source::attrs`] (the attribute grammar the macro shares) |
//! | sources | [`rust_source`], *yaml*, [`config`], [`workflow`], [`layout`], *scan* |
//! | project | *project*: the file store ([`Project`]) and its queries |
//! | settings | [`settings`]: stages, options with their origin, a stage's environment |
//! | checks | [`types`] (the crate's serde types as JSON Schemas, for OpenAPI and the workflow checks), *checks*: project-wide, deployment and workflow diagnostics ([`Project::diagnostics`]), each with its fixes |
//! | assist | [`assist`]: completion, fixes applied, refactorings, references, rename, inlay hints |
//! | artifacts | [`artifacts`] (Terraform, Lambda packages, Airflow DAGs), [`commands`] (`cws` lines), [`tree`] (the project as an editor's side view shows it) |
//!
//! Without the `analysis` feature the crate is the model, the naming rule and the attribute
//! grammar: what the macro needs, with no heavy dependencies.

#[cfg(feature = "analysis")]
pub mod artifacts;
#[cfg(feature = "analysis")]
pub mod assist;
#[cfg(feature = "analysis")]
mod checks;
#[cfg(feature = "analysis")]
pub mod commands;
pub mod config;
pub mod contract;
pub mod diagnostics;
#[cfg(feature = "analysis")]
pub mod layout;
pub mod model;
pub mod naming;
#[cfg(feature = "analysis")]
mod project;
pub mod rust_source;
#[cfg(feature = "analysis")]
mod scan;
#[cfg(feature = "analysis")]
pub mod settings;
pub mod suggest;
pub mod text;
#[cfg(feature = "analysis")]
pub mod tree;
#[cfg(feature = "analysis")]
pub mod types;
#[cfg(feature = "analysis")]
pub mod workflow;
#[cfg(feature = "analysis")]
mod yaml;

#[cfg(feature = "analysis")]
pub use checks::own_diagnostics;
pub use diagnostics::{Diagnostic, DiagnosticCode, Severity};
pub use model::{Auth, Entry, HttpMethod, Param, ParamSource, Route, Service};
#[cfg(feature = "analysis")]
pub use project::{BlueprintEntry, Project, ServiceSummary};
#[cfg(feature = "analysis")]
pub use workflow::WorkflowFile;
