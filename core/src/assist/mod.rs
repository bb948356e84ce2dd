//! Help while writing, above the checks: what the editor offers at a position and the fixes a
//! face applies. Every answer is a core type with byte ranges in the texts given or held by the
//! project; faces convert positions and nothing else.
//!
//! - [`completion`]: what can be written at a position of a Rust file, `project.cws.yml` or a
//!   workflow (from the attribute grammar, the schema tables, the project's services and routes);
//! - [`fix`]: applying diagnostics' fixes to the project's texts (`cws check --fix`, quick fixes);
//! - [`refactor`]: code actions that are not fixes ("Convert to explicit path");
//! - [`navigate`]: references, definitions and links between code, `project.cws.yml` and workflows;
//! - [`rename`]: renaming a service or an entry everywhere it is named;
//! - [`hints`]: inlay hints (the route of each entry, the route each workflow task calls);
//! - [`task_info`]: what a workflow task calls, for hovers.

pub mod completion;
pub mod fix;
pub mod hints;
pub mod navigate;
pub mod refactor;
pub mod rename;
pub(crate) mod structs;
pub mod task_info;
mod yaml_cursor;

pub use completion::{Completion, CompletionKind, EntryRef};
pub use fix::{apply_edits, AppliedFix, FixOutcome};
