//! Inlay hints: the core's (`coworks_core::assist::hints`) at positions of the project's texts.

use std::path::Path;

use coworks_core::Project;
use tower_lsp_server::ls_types::{InlayHint, InlayHintLabel, InlayHintTooltip, Range};

use crate::position::{offset_in, position_in};

/// The inlay hints of `rel` inside `range`.
pub fn inlay_hints(project: &Project, rel: &Path, range: Range) -> Vec<InlayHint> {
    let Some(source) = project.source(rel) else { return Vec::new() };
    let (from, to) = (offset_in(source, range.start), offset_in(source, range.end));
    project
        .inlay_hints(rel, from, to)
        .into_iter()
        .map(|h| InlayHint {
            position: position_in(source, h.offset),
            label: InlayHintLabel::String(h.label),
            kind: None,
            text_edits: None,
            tooltip: h.tooltip.map(InlayHintTooltip::String),
            padding_left: Some(true),
            padding_right: None,
            data: None,
        })
        .collect()
}
