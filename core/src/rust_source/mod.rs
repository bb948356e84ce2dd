//! Finding microservices in Rust source, two ways: exact (`syn`) and tolerant (tree-sitter).

#[cfg(feature = "analysis")]
pub mod analyze;
pub mod attr_edit;
pub mod attrs;
pub mod decl;
#[cfg(feature = "analysis")]
mod doc_text;
#[cfg(feature = "analysis")]
pub mod exact;
pub mod file_model;
pub mod hooks;
#[cfg(feature = "analysis")]
pub mod serde_types;
#[cfg(feature = "analysis")]
pub mod tolerant;

pub use decl::FileDecls;
