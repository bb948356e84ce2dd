//! Code actions that are not fixes of a diagnostic: "Convert to explicit path" on an entry whose
//! path comes from its name, and "Add entry for route…" anywhere on a workflow task calling a route
//! no entry answers (the same stub as the fix of `CWS041`).

use std::path::Path;

use crate::diagnostics::{DiagnosticCode, Fix};
use crate::layout::{file_kind, FileKind};
use crate::project::Project;
use crate::rust_source::attr_edit::{entry_path_edit, item_arg_literal};

impl Project {
    /// The refactorings offered at bytes `from..=to` of `rel`.
    pub fn refactorings(&self, rel: &Path, from: usize, to: usize) -> Vec<Fix> {
        let mut out = Vec::new();
        match file_kind(rel) {
            FileKind::Rust => {
                let (Some(model), Some(source)) = (self.file_model(rel), self.source(rel)) else {
                    return out;
                };
                let text = source.text();
                for e in model.services.iter().flat_map(|p| p.entries.iter()) {
                    let (start, end) = (e.item.span.start.offset, e.item.span.end.offset);
                    if to < start || from > end {
                        continue;
                    }
                    if item_arg_literal(text, &e.item, &e.location, "entry", "path").is_some() {
                        continue;
                    }
                    if let Some(edit) = entry_path_edit(text, e, &e.route.path) {
                        let title = format!("Convert to explicit path: `path = \"{}\"`", e.route.path);
                        out.push(Fix::offered(title, vec![edit]));
                    }
                }
            }
            FileKind::Workflow => {
                // The "add entry" fixes of the unknown-entry diagnostics of the tasks in range.
                let Some(wf) = self.workflow(rel) else { return out };
                let tasks: Vec<(usize, usize)> = wf
                    .tasks
                    .iter()
                    .map(|t| (t.span.start.offset, t.span.end.offset))
                    .filter(|(start, end)| *start <= to && from <= *end)
                    .collect();
                for d in crate::checks::workflow::file_diagnostics(self, rel) {
                    let at = d.span.start.offset;
                    if d.code == DiagnosticCode::WorkflowUnknownEntry
                        && tasks.iter().any(|(s, e)| *s <= at && at <= *e)
                    {
                        out.extend(
                            d.fixes.into_vec().into_iter().filter(|f| f.title.starts_with("Add entry")),
                        );
                    }
                }
                out.dedup();
            }
            _ => {}
        }
        out
    }
}
