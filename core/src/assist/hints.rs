//! Inlay hints: after each entry's signature the route it answers (`GET /invoice/{id}`); after a
//! workflow task's path the route it calls. Positions are byte offsets in the texts the project
//! holds.

use std::path::Path;

use serde::Serialize;

use crate::layout::{file_kind, FileKind};
use crate::naming::mount_route;
use crate::project::Project;
use crate::workflow::target::target_entry;

use super::structs::signature;

/// One hint: a label shown at a position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InlayHint {
    /// The byte it is shown at (before it).
    pub offset: usize,
    /// What it shows.
    pub label: String,
    /// More, on hover.
    pub tooltip: Option<String>,
}

impl Project {
    /// The inlay hints of `rel` whose position is in `from..=to` (bytes).
    pub fn inlay_hints(&self, rel: &Path, from: usize, to: usize) -> Vec<InlayHint> {
        let Some(source) = self.source(rel) else { return Vec::new() };
        let text = source.text();
        let mut out = Vec::new();
        match file_kind(rel) {
            FileKind::Rust => {
                let Some(model) = self.file_model(rel) else { return out };
                let own =
                    model.services.iter().flat_map(|p| p.entries.iter().map(|e| (e, e.route.to_string())));
                // A blueprint's entry: its route in each service mounting it.
                let mounted = model.blueprints.iter().flat_map(|b| {
                    let mounts = self.blueprint_mounts(&b.name, &model.crate_dir);
                    b.entries.iter().map(move |e| {
                        let routes: Vec<String> = mounts
                            .iter()
                            .map(|(service, prefix)| format!("{} ({service})", mount_route(prefix, &e.route)))
                            .collect();
                        (
                            e,
                            if routes.is_empty() {
                                format!("{} (not mounted)", e.route)
                            } else {
                                routes.join(", ")
                            },
                        )
                    })
                });
                for (e, route) in own.chain(mounted) {
                    let name_end = e.location.span.end.offset;
                    if e.item.span.end.offset < from || e.item.span.start.offset > to {
                        continue;
                    }
                    let Some(sig) = signature(text, name_end, e.item.span.end.offset) else { continue };
                    let offset = name_end + sig.trim_end().len();
                    if offset < from || offset > to {
                        continue;
                    }
                    let stages = if e.stages.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", e.stages.join(", "))
                    };
                    out.push(InlayHint { offset, label: format!("{route}{stages}"), tooltip: None });
                }
            }
            FileKind::Workflow => {
                let Some(wf) = self.workflow(rel) else { return out };
                let services = self.services(None);
                for task in &wf.tasks {
                    let (Some(path), Some((s, e))) = (&task.path, target_entry(task, &services)) else {
                        continue;
                    };
                    let offset = path.span.end.offset;
                    if offset < from || offset > to {
                        continue;
                    }
                    let tooltip = format!("`{}` of service `{}`", e.rust_name, s.name);
                    out.push(InlayHint { offset, label: format!("→ {}", e.route), tooltip: Some(tooltip) });
                }
            }
            _ => {}
        }
        out
    }
}
