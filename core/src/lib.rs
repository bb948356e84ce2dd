//! CoWorks core: the project model every face of CoWorks asks — the language server, the `cws`
//! command line, the `#[entry]` macro and the artifact generators.

#[cfg(feature = "analysis")]
pub mod artifacts;
#[cfg(feature = "analysis")]
pub mod config;
#[cfg(feature = "analysis")]
pub mod deploy_checks;
pub mod diagnostics;
pub mod model;
pub mod naming;
#[cfg(feature = "analysis")]
pub mod project;
pub mod rust_source;
#[cfg(feature = "analysis")]
pub mod scan;
pub mod suggest;
pub mod text;
#[cfg(feature = "analysis")]
pub mod workflow;

pub use diagnostics::{Diagnostic, DiagnosticCode, Severity};
pub use model::{Auth, Entry, HttpMethod, Param, ParamSource, Route, Service};
#[cfg(feature = "analysis")]
pub use project::Project;
