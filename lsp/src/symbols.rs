//! Document symbols (services and their entries) and workspace symbols (entries searched by route,
//! Rust name or service).

use std::path::Path;

use coworks_core::Project;
use tower_lsp_server::ls_types::{DocumentSymbol, Location, OneOf, SymbolKind, Uri, WorkspaceSymbol};

use crate::convert::range;

/// How many workspace symbols one query returns at most.
pub const MAX_WORKSPACE_SYMBOLS: usize = 500;

/// The services and entries of one Rust file.
#[allow(deprecated)] // `DocumentSymbol::deprecated` must still be set.
pub fn document_symbols(project: &Project, rel: &Path) -> Vec<DocumentSymbol> {
    let (Some(model), Some(rope)) = (project.file_model(rel), project.source(rel)) else {
        return Vec::new();
    };
    model
        .services
        .iter()
        .map(|part| {
            let children = part
                .entries
                .iter()
                .map(|e| DocumentSymbol {
                    name: e.route.to_string(),
                    detail: Some(e.rust_name.clone()),
                    kind: SymbolKind::METHOD,
                    tags: None,
                    deprecated: None,
                    range: range(rope, e.item.span),
                    selection_range: range(rope, e.location.span),
                    children: None,
                })
                .collect();
            let full = range(rope, part.item.span);
            let mut selection = range(rope, part.location.span);
            if selection.start < full.start || selection.end > full.end {
                selection = full;
            }
            DocumentSymbol {
                name: part.name.clone(),
                detail: Some(part.type_name.clone()),
                kind: SymbolKind::CLASS,
                tags: None,
                deprecated: None,
                range: full,
                selection_range: selection,
                children: Some(children),
            }
        })
        .collect()
}

/// Entries whose route, Rust name or service contains `query` (case-insensitive). `uri_of` gives a
/// file's URI (ranges come from the texts the project holds).
pub fn workspace_symbols(
    project: &Project,
    query: &str,
    mut uri_of: impl FnMut(&Path) -> Option<Uri>,
) -> Vec<WorkspaceSymbol> {
    let query = query.to_lowercase();
    let mut out = Vec::new();
    for service in project.services(None) {
        for e in &service.entries {
            let haystack = format!("{} {} {}", e.route, e.rust_name, service.name).to_lowercase();
            if !haystack.contains(&query) {
                continue;
            }
            let (Some(uri), Some(source)) = (uri_of(&e.location.file), project.source(&e.location.file))
            else {
                continue;
            };
            out.push(WorkspaceSymbol {
                name: e.route.to_string(),
                kind: SymbolKind::METHOD,
                tags: None,
                container_name: Some(service.name.clone()),
                location: OneOf::Left(Location { uri, range: range(source, e.location.span) }),
                data: None,
            });
            if out.len() >= MAX_WORKSPACE_SYMBOLS {
                return out;
            }
        }
    }
    out
}
