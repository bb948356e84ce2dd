//! CoWorks core: the project model every face of CoWorks asks — the language server, the `cws`
//! command line, the `#[entry]` macro and the artifact generators.

pub mod config;
pub mod diagnostics;
pub mod model;
pub mod naming;
pub mod rust_source;
pub mod text;
