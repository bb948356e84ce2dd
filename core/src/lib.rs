//! CoWorks core: the project model every face of CoWorks asks — the language server, the `cws`
//! command line, the `#[entry]` macro and the artifact generators.

pub mod config;
pub mod diagnostics;
pub mod model;
pub mod naming;
pub mod project;
pub mod rust_source;
pub mod scan;
pub mod suggest;
pub mod text;

pub use diagnostics::{Diagnostic, DiagnosticCode, Severity};
pub use model::{Auth, Entry, HttpMethod, Param, ParamSource, Route, Service};
pub use project::Project;
