//! Core types → LSP types: diagnostics, ranges, URIs. Nothing here decides anything about a project.

use std::path::Path;

use coworks_core::text::Span;
use coworks_core::{Diagnostic, Severity};
use ropey::Rope;
use tower_lsp_server::ls_types::{
    self as lsp, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Range, Uri,
};

use crate::position::range_of;

/// The source name diagnostics carry.
pub const SOURCE: &str = "coworks";

/// The URI and text of a project file on disk (one not open in the editor), to convert positions:
/// `None` when it cannot be read; an empty text for a file that is not a regular file (never opened:
/// opening a FIFO blocks).
pub fn disk_text(path: &Path) -> Option<(Uri, Rope)> {
    let text = match coworks_core::scan::read_regular(path) {
        Ok(bytes) => Rope::from_str(&String::from_utf8_lossy(&bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => Rope::new(),
        Err(_) => return None,
    };
    Some((uri_of_path(path)?, text))
}

/// The LSP range of a core span, computed from its byte offsets in `rope`.
pub fn range(rope: &Rope, span: Span) -> Range {
    range_of(rope, span.start.offset, span.end.offset)
}

/// The LSP severity of a core severity.
pub fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    }
}

/// A file URI for an absolute path (`None` for a relative or unrepresentable one).
pub fn uri_of_path(path: &Path) -> Option<Uri> {
    if !path.is_absolute() {
        return None;
    }
    Uri::from_file_path(path)
}

/// An LSP diagnostic for a core diagnostic of the file `rope` holds. `related` gives, for a related
/// location's file, its URI and text (`None` drops that related location).
pub fn diagnostic(
    rope: &Rope,
    d: &Diagnostic,
    mut related: impl FnMut(&Path) -> Option<(Uri, Rope)>,
) -> lsp::Diagnostic {
    let related_information: Vec<DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|r| {
            let (uri, text) = related(&r.file)?;
            Some(DiagnosticRelatedInformation {
                location: Location { uri, range: range(&text, r.span) },
                message: r.message.clone(),
            })
        })
        .collect();
    lsp::Diagnostic {
        range: range(rope, d.span),
        severity: Some(severity(d.severity)),
        code: Some(NumberOrString::String(d.code.as_str().to_string())),
        source: Some(SOURCE.to_string()),
        message: d.message.clone(),
        related_information: if related_information.is_empty() { None } else { Some(related_information) },
        ..lsp::Diagnostic::default()
    }
}
