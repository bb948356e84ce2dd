//! The project's workflow queries: the workflows it holds, their previews, and where a task leads.

use std::path::Path;

use super::Project;
use crate::model::Location;
use crate::text::Span;
use crate::workflow::{parse, preview, target, template, Workflow, WorkflowFile, WorkflowPreview};

impl Project {
    /// The workflows of the project, by file.
    pub fn workflows(&self) -> impl Iterator<Item = &Workflow> {
        self.workflows.values().map(|w| &w.workflow)
    }

    /// The workflow files as read, with the diagnostics of reading them (shared: the checks' cache
    /// keeps them to tell whether one changed).
    pub(crate) fn workflow_files(&self) -> impl Iterator<Item = &std::sync::Arc<WorkflowFile>> {
        self.workflows.values()
    }

    /// The paths of the workflow files.
    pub(crate) fn workflow_paths(&self) -> impl Iterator<Item = &std::path::PathBuf> {
        self.workflows.keys()
    }

    /// One workflow file as read (shared, as [`Project::workflow_files`]).
    pub(crate) fn workflow_file(&self, rel: &Path) -> Option<&std::sync::Arc<WorkflowFile>> {
        self.workflows.get(rel)
    }

    /// The workflow of one file.
    pub fn workflow(&self, rel: &Path) -> Option<&Workflow> {
        self.workflows.get(rel).map(|w| &w.workflow)
    }

    /// The preview of one workflow file: Mermaid text and the graph with each task's entry, each
    /// task coloured by its state in the workflow's last local run (`cws workflow run`), if any.
    pub fn workflow_preview(&self, rel: &Path) -> Option<WorkflowPreview> {
        let wf = self.workflow(rel)?;
        let mut preview = preview::preview(wf, &self.services(None));
        if let Some(run) = crate::workflow::last_run::LastRun::read(self.root(), rel) {
            crate::workflow::last_run::annotate(&mut preview, run);
        }
        Some(preview)
    }

    /// Go-to-definition in a workflow file: from a task (its id, method, path, parameters...) to the
    /// entry method it calls; from its `service` value to the service's `impl`; from a task id named
    /// in `after`/`on_*`, the run's `on_failure` or a `{{ tasks.<id> }}` template to that task.
    pub fn workflow_definition(&self, rel: &Path, offset: usize) -> Option<Location> {
        let wf = self.workflow(rel)?;
        let within = |s: &Span| s.start.offset <= offset && offset <= s.end.offset;
        let to_task = |id: &str| wf.task(id).map(|t| Location { file: wf.file.clone(), span: t.id_span });
        if let Some(failure) = wf.on_failure.as_ref().filter(|f| within(&f.span)) {
            return to_task(&failure.value);
        }
        let task = wf.tasks.iter().find(|t| within(&t.span))?;
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
        target::target_entry(task, &services).map(|(_, e)| e.location.clone())
    }
}
