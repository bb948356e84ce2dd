//! Biz microservices: workflow files (`workflows/*.cws.yml`) composing entries of tech services.
//!
//! - [`model`]: what a workflow declares (DAG settings, tasks, branches, edges);
//! - [`parse`]: reading a workflow file with positions (the positioned YAML reader of `config`);
//! - [`template`]: `{{ conf.key }}` / `{{ tasks.<id>.body... }}` values;
//! - [`validate`]: checks against the project's real services and routes;
//! - [`preview`]: Mermaid text and a JSON graph for the editor;
//! - [`airflow`]: Airflow 3 DAG generation.
//!
//! [`Project`] holds the parsed workflows; this module adds its workflow queries.

use std::path::{Path, PathBuf};

use crate::diagnostics::Diagnostic;
use crate::model::Location;
use crate::project::Project;

pub mod airflow;
pub mod model;
pub mod parse;
pub mod preview;
pub mod template;
pub mod validate;

pub use model::{Edge, EdgeKind, Task, Workflow};
pub use parse::read_workflow;
pub use preview::{PreviewEdge, PreviewNode, WorkflowGraph, WorkflowPreview};

/// The directory holding workflow files, relative to the project root.
pub const DIR: &str = "workflows";

/// Whether a project-relative path is a workflow file: `workflows/<name>.cws.yml`.
pub fn is_workflow_path(rel: &Path) -> bool {
    let in_dir = rel.parent().is_some_and(|p| p == Path::new(DIR));
    let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
    in_dir && name.len() > parse::SUFFIX.len() && name.ends_with(parse::SUFFIX)
}

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

/// Text as a generated file: a path relative to the output directory and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Where it goes, relative to the output directory.
    pub path: PathBuf,
    /// Its content.
    pub text: String,
}

impl Project {
    /// The workflows of the project, by file.
    pub fn workflows(&self) -> impl Iterator<Item = &Workflow> {
        self.workflows.values().map(|w| &w.workflow)
    }

    /// The workflow of one file.
    pub fn workflow(&self, rel: &Path) -> Option<&Workflow> {
        self.workflows.get(rel).map(|w| &w.workflow)
    }

    /// The preview of one workflow file: Mermaid text and the graph with each task's entry.
    pub fn workflow_preview(&self, rel: &Path) -> Option<WorkflowPreview> {
        let wf = self.workflow(rel)?;
        Some(preview::preview(wf, &self.services(None)))
    }

    /// Go-to-definition in a workflow file: from a task (its id, method, path, parameters...) to the
    /// entry method it calls; from its `service` value to the service's `impl`; from a task id named
    /// in `after`/`on_*` or a `{{ tasks.<id> }}` template to that task.
    pub fn workflow_definition(&self, rel: &Path, offset: usize) -> Option<Location> {
        let wf = self.workflow(rel)?;
        let within = |s: &crate::text::Span| s.start.offset <= offset && offset <= s.end.offset;
        let task = wf.tasks.iter().find(|t| within(&t.span))?;
        let to_task = |id: &str| wf.task(id).map(|t| Location { file: wf.file.clone(), span: t.id_span });
        for (target, _) in task.branches() {
            if within(&target.span) {
                return to_task(&target.value);
            }
        }
        if let Some(up) = task.after.iter().find(|a| within(&a.span)) {
            return to_task(&up.value);
        }
        for text in task.texts.iter().filter(|t| within(&t.span)) {
            for t in template::templates(&text.value) {
                let span = parse::sub_span(text, t.range.start, t.range.end);
                if let (true, Ok(template::Source::Task { task: id, .. })) = (within(&span), &t.source) {
                    return to_task(id);
                }
            }
        }
        let services = self.services(None);
        if let Some(name) = task.service.as_ref().filter(|s| within(&s.span)) {
            let service = services.iter().find(|s| s.name == name.value)?;
            return service.locations.first().cloned();
        }
        validate::target_entry(task, &services).map(|(_, e)| e.location.clone())
    }

    /// The checks of every workflow against the services of `stage` (every stage when `None`).
    pub(crate) fn workflow_diagnostics(&self, stage: Option<&str>, out: &mut Vec<Diagnostic>) {
        if self.workflows.is_empty() {
            return;
        }
        let services = self.services(stage);
        let all = self.services(None);
        let stages: Vec<String> = match stage {
            Some(s) => vec![s.to_string()],
            None => self.stages(),
        };
        let cx = validate::Context {
            services: &services,
            all_services: &all,
            config: self.config(),
            stages: &stages,
        };
        for file in self.workflows.values() {
            out.extend(file.diagnostics.iter().cloned());
            out.extend(validate::validate(&file.workflow, &cx));
        }
    }

    /// The Airflow DAGs of every workflow for `stage`, with the `coworks_airflow` package they import
    /// and an `.airflowignore` for it; paths relative to the DAGs directory.
    pub fn airflow_dags(&self, stage: &str) -> Vec<GeneratedFile> {
        let mut out: Vec<GeneratedFile> = self
            .workflows()
            .map(|wf| GeneratedFile {
                path: PathBuf::from(airflow::dag_file_name(wf, stage)),
                text: airflow::generate(wf, stage, self.config()),
            })
            .collect();
        out.extend(
            airflow::PACKAGE_FILES
                .iter()
                .map(|(path, text)| GeneratedFile { path: PathBuf::from(path), text: text.to_string() }),
        );
        out.push(GeneratedFile {
            path: PathBuf::from(".airflowignore"),
            text: airflow::AIRFLOWIGNORE.into(),
        });
        out
    }
}
