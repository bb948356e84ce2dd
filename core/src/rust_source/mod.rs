//! Finding microservices in Rust source, two ways: exact (`syn`) and tolerant (tree-sitter).

pub mod attrs;
pub mod decl;
mod doc_text;
pub mod exact;
pub mod file_model;
pub mod tolerant;

pub use decl::FileDecls;
