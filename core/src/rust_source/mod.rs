//! Finding microservices in Rust source, two ways: exact (`syn`) and tolerant (tree-sitter).

pub mod attrs;
pub mod decl;
pub mod exact;
pub mod file_model;

pub use decl::FileDecls;
