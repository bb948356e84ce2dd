//! Special files (FIFOs) in a project are never opened — opening a FIFO for reading blocks until a
//! writer comes, which would hang `cws check` and the language server's analysis worker: a FIFO
//! source file reloaded after a change, a FIFO env file, and FIFO ignore files in the root and in a
//! directory each give a note, and the rest of the project is analysed.

use std::path::Path;
use std::process::Command;

use coworks_core::{DiagnosticCode, Project};

const SERVICE: &str =
    "pub struct Billing;\n#[coworks::service]\nimpl Billing {\n    #[entry]\n    fn get(&self) {}\n}\n";

fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn notes(p: &Project, code: DiagnosticCode) -> Vec<(String, String)> {
    p.diagnostics(None)
        .into_iter()
        .filter(|d| d.code == code)
        .map(|d| (d.file.display().to_string(), d.message))
        .collect()
}

#[test]
fn a_fifo_reloaded_after_a_change_is_a_note_not_a_hang() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "svc/src/main.rs", SERVICE);
    let mut p = Project::load(dir.path()).expect("loads");
    mkfifo(&dir.path().join("svc/src/pipe.rs"));
    p.reload_from_disk(Path::new("svc/src/pipe.rs"));
    let found = notes(&p, DiagnosticCode::FileSkipped);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "svc/src/pipe.rs");
    assert!(found[0].1.contains("not a regular file"), "{found:?}");
    assert_eq!(p.services(None).len(), 1);
}

#[test]
fn a_fifo_found_by_the_scan_is_a_note() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "svc/src/main.rs", SERVICE);
    mkfifo(&dir.path().join("svc/src/pipe.rs"));
    mkfifo(&dir.path().join("svc/src/notes.txt"));
    let p = Project::load(dir.path()).expect("loads");
    let found = notes(&p, DiagnosticCode::FileSkipped);
    assert_eq!(found.len(), 1, "only the FIFO where a source file would be: {found:?}");
    assert_eq!(found[0].0, "svc/src/pipe.rs");
    assert!(found[0].1.contains("not a regular file"), "{found:?}");
}

#[test]
fn a_fifo_env_file_is_skipped_with_a_note() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "project.cws.yml",
        "version: 3\nworkspaces:\n  dev:\n    env_files: [config/dev.env]\n",
    );
    write(dir.path(), "svc/src/main.rs", SERVICE);
    write(dir.path(), ".env", "A=1\n");
    mkfifo(&dir.path().join("config/dev.env"));
    mkfifo(&dir.path().join(".env.dev"));
    let p = Project::load(dir.path()).expect("loads");
    let found = notes(&p, DiagnosticCode::FileSkipped);
    assert!(
        found.iter().any(|(f, m)| f == "config/dev.env" && m.contains("not a regular file")),
        "{found:?}"
    );
    let env = p.stage_env("dev");
    assert_eq!(env.values().get("A").map(String::as_str), Some("1"), "the regular env file is read");
}

#[test]
fn fifo_ignore_files_leave_their_directory_out_not_hang_the_scan() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a/src/main.rs", SERVICE);
    write(dir.path(), "b/src/main.rs", &SERVICE.replace("Billing", "Catalog"));
    mkfifo(&dir.path().join("b/.gitignore"));
    let p = Project::load(dir.path()).expect("loads");
    let names: Vec<String> = p.services(None).into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["billing"]);
    let found = notes(&p, DiagnosticCode::DirUnreadable);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "b");
    assert!(found[0].1.contains("b/.gitignore") && found[0].1.contains("not a regular file"), "{found:?}");

    // In the root: nothing is ignored by ignore files then, and the scan still ends.
    mkfifo(&dir.path().join(".ignore"));
    write(dir.path(), ".gitignore", "b/\n");
    let p = Project::load(dir.path()).expect("loads");
    let found = notes(&p, DiagnosticCode::DirUnreadable);
    assert!(
        found.iter().any(|(_, m)| m.contains("ignore files not read") && m.contains(".ignore")),
        "{found:?}"
    );
    assert_eq!(p.services(None).len(), 2, "b/ is scanned: no ignore file was read");
}
