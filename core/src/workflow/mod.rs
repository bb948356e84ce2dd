//! Biz microservices: workflow files (`workflows/*.cws.yml`) composing entries of tech services.
//!
//! - [`model`]: what a workflow declares (DAG settings, tasks, branches, edges);
//! - [`parse`]: reading a workflow file with positions (the positioned YAML reader (`yaml`));
//! - [`template`]: `{{ conf.key }}` / `{{ tasks.<id>.body... }}` values;
//! - [`condition`]: `when:` conditions (parsed, evaluated);
//! - [`target`]: the entry a task calls;
//! - [`preview`]: Mermaid text and a JSON graph for the editor;
//! - [`last_run`]: the last local run's task states, which the preview colours tasks by;
//! - [`run`]: what a run decides (requests, statuses, branches, which task runs next), shared by
//!   `cws workflow run` and the DAG generator.
//!
//! Each file is read alone ([`WorkflowFile`]); the [`Project`](crate::Project) holds them. The
//! checks against the services are in the `checks` layer ([`Project::diagnostics`](crate::Project::diagnostics)), the Airflow DAGs in [`crate::artifacts`].

use std::path::Path;

use crate::diagnostics::Diagnostic;

pub mod condition;
pub mod last_run;
pub mod model;
pub mod parse;
pub mod preview;
pub mod run;
pub mod target;
pub mod template;

pub use model::{Edge, EdgeKind, Task, Workflow};
pub use parse::read_workflow;
pub use preview::{PreviewEdge, PreviewNode, WorkflowGraph, WorkflowPreview};

/// A workflow file as read: the workflow and the diagnostics of reading it.
#[derive(Debug, Clone)]
pub struct WorkflowFile {
    /// What the file declares.
    pub workflow: Workflow,
    /// YAML and schema problems (the checks against services are computed on demand).
    pub diagnostics: Vec<Diagnostic>,
}

impl WorkflowFile {
    /// Reads a workflow file's text.
    pub fn read(rel: &Path, text: &str) -> Self {
        let (workflow, diagnostics) = read_workflow(text, rel);
        WorkflowFile { workflow, diagnostics }
    }
}
