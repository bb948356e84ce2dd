//! Reading one Rust file into its [`FileModel`]: `syn` when the file parses and is not too deeply
//! nested (recursive descent could overflow the stack), tree-sitter otherwise, with a `CWS022` note.
//! A panic inside the analysis becomes a `CWS026` diagnostic on that file.

use std::path::{Path, PathBuf};

use crate::diagnostics::{Diagnostic, DiagnosticCode};
use crate::text::{LineIndex, Span};

use super::file_model::{self, FileModel, ParseMode};
use super::{exact, tolerant, FileDecls};

/// Nesting depth past which `syn` (recursive descent) is not trusted with a file.
pub(crate) const MAX_NESTING_FOR_SYN: usize = 256;

/// The deepest bracket nesting of a text, generic brackets included (strings and comments not
/// excluded, `<` of a comparison counted: an over-estimate only sends a file to the tolerant parser,
/// which gives the same answer).
pub(crate) fn max_nesting(text: &str) -> usize {
    let (mut depth, mut max, mut angles, mut max_angles, mut prev) = (0usize, 0usize, 0usize, 0usize, b' ');
    for b in text.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'<' => {
                angles += 1;
                max_angles = max_angles.max(angles);
            }
            b'>' if prev != b'-' && prev != b'=' => angles = angles.saturating_sub(1),
            _ => {}
        }
        prev = b;
    }
    max.max(max_angles)
}

/// Reads one Rust file: `syn` when it parses, the tolerant parser otherwise. A failure inside the
/// analysis becomes a diagnostic on that file; it never takes the caller down.
pub fn analyze_rust(rel: &Path, crate_dir: &Path, text: &str) -> FileModel {
    let guarded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        analyze_rust_unguarded(rel, crate_dir, text)
    }));
    let mut model = guarded.unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let mut model = file_model::build(rel, crate_dir, "", &FileDecls::default(), ParseMode::Tolerant);
        model.diagnostics.push(Diagnostic::new(
            DiagnosticCode::InternalError,
            rel,
            Span::default(),
            format!("internal error while analysing this file: {what}"),
        ));
        model
    });
    model.type_names = super::serde_types::type_names(text);
    model
}

fn analyze_rust_unguarded(rel: &Path, crate_dir: &Path, text: &str) -> FileModel {
    if !text.contains("service") && !text.contains("blueprint") {
        return file_model::build(rel, crate_dir, text, &FileDecls::default(), ParseMode::Exact);
    }
    let mut syntax_error = None;
    if max_nesting(text) <= MAX_NESTING_FOR_SYN {
        match exact::parse(text) {
            Ok(decls) => return file_model::build(rel, crate_dir, text, &decls, ParseMode::Exact),
            Err(e) => syntax_error = Some(e),
        }
    }
    let (decls, tree_has_errors) = tolerant::parse_with_status(text);
    let mut model = file_model::build(rel, crate_dir, text, &decls, ParseMode::Tolerant);
    if syntax_error.is_some() || tree_has_errors {
        let index = LineIndex::new(text);
        let (range, what) = match syntax_error {
            Some(e) => (e.range, format!(" (first: {})", e.message)),
            None => (crate::text::ByteRange::default(), String::new()),
        };
        model.diagnostics.push(Diagnostic::new(
            DiagnosticCode::SyntaxTolerated,
            rel,
            index.span(text, range),
            format!("this file has syntax errors{what}; CoWorks read its services with the tolerant parser"),
        ));
    }
    model
}

/// Reads many files, on up to 8 threads (one when there are few files).
pub fn analyze_parallel(files: Vec<(PathBuf, PathBuf, String)>) -> Vec<FileModel> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(8);
    if threads <= 1 || files.len() < 16 {
        return files.iter().map(|(rel, krate, text)| analyze_rust(rel, krate, text)).collect();
    }
    let chunk = files.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter().map(|(rel, krate, text)| analyze_rust(rel, krate, text)).collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}
