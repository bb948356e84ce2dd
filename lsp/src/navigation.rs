//! References, definitions, document links and rename: the core's locations and edits
//! (`coworks_core::assist`) as LSP types, positions from the project's texts.

use std::path::Path;

use coworks_core::model::Location as CoreLocation;
use coworks_core::Project;
use tower_lsp_server::ls_types::{DocumentLink, Location, PrepareRenameResponse, Range};

use crate::convert::range;
use crate::state::State;

/// An LSP location for a core location (`None` when the file is unknown to the project).
pub fn location(state: &State, project: &Project, loc: &CoreLocation) -> Option<Location> {
    let uri = state.uri_of_rel(&loc.file)?;
    let r = match project.source(&loc.file) {
        Some(source) => range(source, loc.span),
        None => Range::default(),
    };
    Some(Location { uri, range: r })
}

/// The LSP locations of core locations.
pub fn locations(state: &State, project: &Project, locs: &[CoreLocation]) -> Vec<Location> {
    locs.iter().filter_map(|l| location(state, project, l)).collect()
}

/// The document links of `rel` (those of `project.cws.yml`).
pub fn document_links(state: &State, project: &Project, rel: &Path) -> Vec<DocumentLink> {
    if rel != Path::new(coworks_core::layout::CONFIG_FILE) {
        return Vec::new();
    }
    let Some(source) = project.source(rel) else { return Vec::new() };
    project
        .config_links()
        .into_iter()
        .map(|l| DocumentLink {
            range: range(source, l.span),
            target: state.uri_of_rel(&l.target),
            tooltip: Some(format!("Open {}", l.target.display())),
            data: None,
        })
        .collect()
}

/// `textDocument/prepareRename`: the name's range and itself.
pub fn prepare_rename(project: &Project, rel: &Path, offset: usize) -> Option<PrepareRenameResponse> {
    let r = project.prepare_rename(rel, offset)?;
    let source = project.source(rel)?;
    Some(PrepareRenameResponse::RangeWithPlaceholder { range: range(source, r.span), placeholder: r.name })
}
