//! Core types → LSP types: diagnostics, ranges, URIs. Nothing here decides anything about a project.

use std::path::Path;

use coworks_core::text::{Source, Span};
use coworks_core::{Diagnostic, Severity};
use tower_lsp_server::ls_types::{
    self as lsp, CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Range, Uri,
};

use crate::position::range_in;

/// The source name diagnostics carry.
pub const SOURCE: &str = "coworks";

/// The LSP range of a core span, computed from its byte offsets in the text the core holds.
pub fn range(source: &Source, span: Span) -> Range {
    range_in(source, span)
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

/// An LSP diagnostic for a core diagnostic of the file whose text is `source`. `related` gives, for
/// a related location's file, its URI and text (`None` drops that related location).
pub fn diagnostic(
    source: &Source,
    d: &Diagnostic,
    mut related: impl FnMut(&Path) -> Option<(Uri, Source)>,
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
        range: range(source, d.span),
        severity: Some(severity(d.severity)),
        code: Some(NumberOrString::String(d.code.as_str().to_string())),
        code_description: d.code.docs_url().parse().ok().map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_string()),
        message: d.message.clone(),
        related_information: if related_information.is_empty() { None } else { Some(related_information) },
        ..lsp::Diagnostic::default()
    }
}
