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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::assist::fix::apply_edits;

    #[test]
    fn convert_to_explicit_path() {
        let p = Project::load(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/eshop")).unwrap();
        let main = Path::new("services/billing/src/main.rs");
        let text = p.source(main).unwrap().text();
        let at = text.find("fn get_invoice_pdf").unwrap();
        let actions = p.refactorings(main, at, at);
        assert_eq!(actions.len(), 1, "{actions:?}");
        assert_eq!(actions[0].title, "Convert to explicit path: `path = \"/invoice/pdf/{id}\"`");
        let new = apply_edits(text, &actions[0].edits.iter().collect::<Vec<_>>());
        assert!(new.contains("#[entry(path = \"/invoice/pdf/{id}\", binary_headers = \"application/pdf\")]"));
        let mut after = p.clone();
        after.set_file_text(main, &new);
        let route = |p: &Project| {
            p.service("billing", None)
                .unwrap()
                .entries
                .iter()
                .find(|e| e.rust_name == "get_invoice_pdf")
                .unwrap()
                .route
                .clone()
        };
        assert_eq!(route(&after), route(&p));
        // Already explicit: nothing to convert.
        let at = new.find("fn get_invoice_pdf").unwrap();
        assert!(after.refactorings(main, at, at).is_empty());
    }
}
