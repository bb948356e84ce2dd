//! Bad input never crashes or hangs the core: it becomes a diagnostic, or is skipped with a note.

use std::path::Path;

use coworks_core::{DiagnosticCode, Project};

const SERVICE: &str =
    "pub struct S;\n#[coworks::service]\nimpl S {\n    #[entry]\n    fn get_a(&self) {}\n}\n";

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn codes_for(p: &Project, file: &str) -> Vec<DiagnosticCode> {
    p.diagnostics(None).iter().filter(|d| d.file == Path::new(file)).map(|d| d.code).collect()
}

#[test]
fn binary_invalid_utf8_empty_and_huge_files_are_skipped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "project.cws.yml", b"version: 3\n");
    write(root, "src/main.rs", SERVICE.as_bytes());
    write(root, "src/binary.rs", b"fn main() {}\0\x01\x02");
    write(root, "src/latin1.rs", b"// caf\xe9\nfn main() {}\n");
    write(root, "src/empty.rs", b"");
    let mut huge = SERVICE.repeat(1 + (5 << 20) / SERVICE.len());
    huge.push_str("// end\n");
    write(root, "src/huge.rs", huge.as_bytes());
    let p = Project::load(root).unwrap();
    assert_eq!(codes_for(&p, "src/binary.rs"), [DiagnosticCode::FileSkipped]);
    assert_eq!(codes_for(&p, "src/latin1.rs"), [DiagnosticCode::FileSkipped]);
    assert_eq!(codes_for(&p, "src/huge.rs"), [DiagnosticCode::FileSkipped]);
    assert!(codes_for(&p, "src/empty.rs").is_empty());
    // The good file is still read.
    assert_eq!(p.services(None).len(), 1);
    let d = p.diagnostics(None).into_iter().find(|d| d.file == Path::new("src/latin1.rs")).unwrap();
    assert!(d.message.contains("not UTF-8"), "{}", d.message);
}

#[test]
fn editor_bytes_go_through_the_same_checks() {
    let mut p = Project::empty("/nowhere");
    assert!(p.set_file_bytes(Path::new("src/a.rs"), SERVICE.as_bytes()));
    assert_eq!(p.services(None).len(), 1);
    assert!(p.set_file_bytes(Path::new("src/a.rs"), b"\xff\xfe"));
    assert!(p.services(None).is_empty());
    assert_eq!(codes_for(&p, "src/a.rs"), [DiagnosticCode::FileSkipped]);
    assert!(p.set_file_bytes(Path::new("src/a.rs"), SERVICE.as_bytes()));
    assert!(codes_for(&p, "src/a.rs").is_empty(), "the note goes once the file is fixed");
}

#[test]
fn deeply_nested_code_does_not_overflow_the_stack() {
    let depth = 100_000;
    let nested = format!("{SERVICE}fn deep() {{ let x = {}1{}; }}\n", "(".repeat(depth), ")".repeat(depth));
    let braces = format!("{SERVICE}fn deep() {}{}\n", "{".repeat(depth), "}".repeat(depth));
    let unclosed = format!("{SERVICE}fn deep() {}\n", "[".repeat(depth));
    for text in [nested, braces, unclosed] {
        let mut p = Project::empty("/nowhere");
        p.set_file_text(Path::new("src/deep.rs"), &text);
        // The service before the deep function is still found.
        let services = p.services(None);
        assert_eq!(services.len(), 1);
        assert_eq!(services[0].entries[0].route.path, "/a");
    }
}

#[test]
fn gitignore_target_and_hidden_dirs_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, ".gitignore", b"generated/\n");
    write(root, "src/main.rs", SERVICE.as_bytes());
    let other = SERVICE.replace("struct S", "struct T").replace("impl S", "impl T");
    for rel in ["generated/x.rs", "target/debug/x.rs", "sub/target/x.rs", ".hidden/x.rs", "node_modules/x.rs"]
    {
        write(root, rel, other.as_bytes());
    }
    let p = Project::load(root).unwrap();
    let names: Vec<String> = p.services(None).into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["s"]);
}

#[cfg(unix)]
#[test]
fn special_files_are_not_opened() {
    // A FIFO named like a Rust file would block a naive reader forever.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "src/main.rs", SERVICE.as_bytes());
    let fifo = root.join("src/pipe.rs");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    let p = Project::load(root).unwrap();
    assert_eq!(p.services(None).len(), 1);
}

#[test]
fn a_missing_root_is_an_error_not_a_panic() {
    assert!(Project::load("/no/such/project/dir").is_err());
}
