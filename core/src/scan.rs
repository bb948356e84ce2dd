//! Walking a project directory: which files CoWorks reads, and how they are read safely.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::diagnostics::{Diagnostic, DiagnosticCode};
use crate::layout::{file_kind, FileKind};
use crate::text::Span;

/// Files larger than this are skipped with a diagnostic.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Directories never descended into.
const SKIPPED_DIRS: &[&str] = &["target", "node_modules", ".git"];

/// What a scan found.
#[derive(Debug, Default)]
pub struct Found {
    /// Rust files (project-relative path, text).
    pub rust_files: Vec<(PathBuf, String)>,
    /// `project.cws.yml`, `.env*` files at the root and workflow files.
    pub project_files: Vec<(PathBuf, String)>,
    /// Directories holding a `Cargo.toml`.
    pub crate_roots: BTreeSet<PathBuf>,
    /// Skipped files and unreadable directories.
    pub notes: Vec<Diagnostic>,
}

fn note(code: DiagnosticCode, rel: &Path, message: String) -> Diagnostic {
    Diagnostic::new(code, rel, Span::default(), message)
}

/// Reads a file, refusing more than [`MAX_FILE_BYTES`]. `Ok(None)` when it does not exist.
pub fn read_limited(path: &Path) -> Result<Option<Vec<u8>>, Diagnostic> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(note(DiagnosticCode::FileSkipped, path, format!("skipped: cannot read it ({e})")))
        }
    };
    let mut bytes = Vec::new();
    match file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes) {
        Ok(_) if bytes.len() as u64 > MAX_FILE_BYTES => Err(note(
            DiagnosticCode::FileSkipped,
            path,
            format!("skipped: larger than {} MiB", MAX_FILE_BYTES / (1024 * 1024)),
        )),
        Ok(_) => Ok(Some(bytes)),
        Err(e) => Err(note(DiagnosticCode::FileSkipped, path, format!("skipped: cannot read it ({e})"))),
    }
}

/// The text of a file's bytes, or a diagnostic saying why it is skipped (binary, not UTF-8, too large).
pub fn decode<'a>(rel: &Path, bytes: &'a [u8]) -> Result<&'a str, Diagnostic> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(note(
            DiagnosticCode::FileSkipped,
            rel,
            format!("skipped: larger than {} MiB", MAX_FILE_BYTES / (1024 * 1024)),
        ));
    }
    if bytes.contains(&0) {
        return Err(note(DiagnosticCode::FileSkipped, rel, "skipped: binary content (NUL bytes)".into()));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        note(
            DiagnosticCode::FileSkipped,
            rel,
            format!("skipped: not UTF-8 (invalid byte at offset {})", e.valid_up_to()),
        )
    })
}

/// Scans `root`, respecting `.gitignore` (also outside git repositories) and skipping build output.
pub fn scan(root: &Path) -> Found {
    let mut found = Found::default();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| {
            !(e.file_type().is_some_and(|t| t.is_dir())
                && e.file_name().to_str().is_some_and(|n| SKIPPED_DIRS.contains(&n)))
        })
        .build();
    for item in walker {
        let entry = match item {
            Ok(e) => e,
            Err(err) => {
                let path = io_path(&err).map(|p| rel_of(root, &p)).unwrap_or_default();
                found.notes.push(note(DiagnosticCode::DirUnreadable, &path, format!("not read: {err}")));
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let rel = rel_of(root, entry.path());
        match file_kind(&rel) {
            FileKind::CargoManifest => {
                found.crate_roots.insert(rel.parent().map(Path::to_path_buf).unwrap_or_default());
            }
            FileKind::Rust | FileKind::Config | FileKind::Workflow => read_into(root, &rel, &mut found),
            FileKind::Env | FileKind::Other => {}
        }
    }
    // `.env*` files are hidden files: read them from the root directly.
    if let Ok(dir) = std::fs::read_dir(root) {
        let mut names: Vec<PathBuf> = dir
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| PathBuf::from(e.file_name()))
            .filter(|p| file_kind(p) == FileKind::Env)
            .collect();
        names.sort();
        for rel in names {
            read_into(root, &rel, &mut found);
        }
    }
    found
}

fn read_into(root: &Path, rel: &Path, found: &mut Found) {
    let bytes = match read_limited(&root.join(rel)) {
        Ok(Some(b)) => b,
        Ok(None) => return,
        Err(d) => {
            found.notes.push(Diagnostic { file: rel.to_path_buf(), ..d });
            return;
        }
    };
    match decode(rel, &bytes) {
        Ok(text) => {
            let target = if file_kind(rel) == FileKind::Rust {
                &mut found.rust_files
            } else {
                &mut found.project_files
            };
            target.push((rel.to_path_buf(), text.to_string()));
        }
        Err(d) => found.notes.push(d),
    }
}

fn rel_of(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

fn io_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => io_path(err),
        _ => None,
    }
}
