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

/// What a scan found (the Rust files go to the scan's caller as they are read).
#[derive(Debug, Default)]
pub struct Found {
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

/// Why a special file is not read.
const NOT_REGULAR: &str = "not a regular file (a FIFO, socket or device is never opened)";

/// Opens `path` for reading only when it is a regular file (through symlinks): a FIFO, socket or
/// device is never opened — opening a FIFO for reading blocks until a writer comes. The type is
/// checked before the open, and again on the opened descriptor (opened with `O_NONBLOCK`, so a FIFO
/// swapped in between opens at once instead of blocking, and is refused). Not a regular file: an
/// error of kind [`std::io::ErrorKind::InvalidInput`].
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let not_regular = || std::io::Error::new(std::io::ErrorKind::InvalidInput, NOT_REGULAR);
    if !std::fs::metadata(path)?.is_file() {
        return Err(not_regular());
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(not_regular());
    }
    Ok(file)
}

/// The whole content of a regular file ([`open_regular`]).
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_regular(path)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads a file, refusing more than [`MAX_FILE_BYTES`] and anything but a regular file
/// ([`open_regular`]). `Ok(None)` when it does not exist.
pub fn read_limited(path: &Path) -> Result<Option<Vec<u8>>, Diagnostic> {
    let file = match open_regular(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            return Err(note(DiagnosticCode::FileSkipped, path, format!("skipped: {e}")))
        }
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

/// The ignore files the walker opens in a directory.
const IGNORE_FILES: &[&str] = &[".gitignore", ".ignore", ".git/info/exclude"];

/// The first ignore file of `dir` that exists but is neither a file nor a directory: the walker
/// would open it, and a FIFO would block it forever.
fn special_ignore_file(dir: &Path) -> Option<PathBuf> {
    IGNORE_FILES
        .iter()
        .map(|f| dir.join(f))
        .find(|p| std::fs::metadata(p).is_ok_and(|m| !m.is_file() && !m.is_dir()))
}

/// Scans `root`, respecting `.gitignore` (also outside git repositories) and skipping build output.
/// A directory whose ignore file is special (a FIFO, ...) is left out with a note; when it is the
/// root or one of its parents, no ignore file is read at all. Each Rust file read is handed to
/// `rust` (its project-relative path and text) at once, so it can be analysed while the walk goes on.
pub fn scan(root: &Path, rust: &mut dyn FnMut(PathBuf, String)) -> Found {
    let mut found = Found::default();
    let special_above = root.ancestors().find_map(special_ignore_file);
    let read_ignore_files = special_above.is_none();
    if let Some(file) = special_above {
        let message = format!("ignore files not read: `{}` is not a regular file", file.display());
        found.notes.push(note(DiagnosticCode::DirUnreadable, Path::new(""), message));
    }
    let left_out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = left_out.clone();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .require_git(false)
        .follow_links(false)
        .git_ignore(read_ignore_files)
        .git_exclude(read_ignore_files)
        .ignore(read_ignore_files)
        .parents(read_ignore_files)
        .filter_entry(move |e| {
            if !e.file_type().is_some_and(|t| t.is_dir()) {
                return true;
            }
            if e.file_name().to_str().is_some_and(|n| SKIPPED_DIRS.contains(&n)) {
                return false;
            }
            match special_ignore_file(e.path()).filter(|_| read_ignore_files && e.depth() > 0) {
                Some(file) => {
                    record.lock().unwrap_or_else(|p| p.into_inner()).push((e.path().to_path_buf(), file));
                    false
                }
                None => true,
            }
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
        let Some(file_type) = entry.file_type() else { continue };
        let rel = rel_of(root, entry.path());
        if !file_type.is_file() {
            // A FIFO, socket or device where a project file would be: said, never opened.
            let special = !file_type.is_dir() && !file_type.is_symlink();
            if special && !matches!(file_kind(&rel), FileKind::Other | FileKind::CargoManifest) {
                found.notes.push(note(DiagnosticCode::FileSkipped, &rel, format!("skipped: {NOT_REGULAR}")));
            }
            continue;
        }
        match file_kind(&rel) {
            FileKind::CargoManifest => {
                found.crate_roots.insert(rel.parent().map(Path::to_path_buf).unwrap_or_default());
            }
            FileKind::Rust | FileKind::Config | FileKind::Workflow | FileKind::WorkflowPython => {
                read_into(root, &rel, &mut found, rust)
            }
            FileKind::Env | FileKind::Other => {}
        }
    }
    for (dir, file) in left_out.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
        let message =
            format!("not read: its ignore file `{}` is not a regular file", rel_of(root, &file).display());
        found.notes.push(note(DiagnosticCode::DirUnreadable, &rel_of(root, &dir), message));
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
            read_into(root, &rel, &mut found, rust);
        }
    }
    found
}

fn read_into(root: &Path, rel: &Path, found: &mut Found, rust: &mut dyn FnMut(PathBuf, String)) {
    let bytes = match read_limited(&root.join(rel)) {
        Ok(Some(b)) => b,
        Ok(None) => return,
        Err(d) => {
            found.notes.push(Diagnostic { file: rel.to_path_buf(), ..d });
            return;
        }
    };
    match decode(rel, &bytes) {
        Ok(text) if file_kind(rel) == FileKind::Rust => rust(rel.to_path_buf(), text.to_string()),
        Ok(text) => found.project_files.push((rel.to_path_buf(), text.to_string())),
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
