//! Code actions that are not fixes of a diagnostic: "Convert to explicit path" on an entry whose
//! path comes from its name, and "Add entry for route…" on a workflow task calling a route no
//! entry answers (the same stub as the fix of `CWS041`, offered wherever the task is).

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
                // The "add entry" fixes of the unknown-entry diagnostics on the tasks in range.
                let within = |o: usize| from <= o && o <= to;
                for d in self.diagnostics(None) {
                    let hits = d.file == rel && (within(d.span.start.offset) || within(d.span.end.offset));
                    if hits && d.code == DiagnosticCode::WorkflowUnknownEntry {
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
