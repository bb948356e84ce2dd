//! Bad input never crashes or hangs the core: it becomes a diagnostic, or is skipped with a note.
//! Files a fixture project can hold (binary, not UTF-8, empty) are in `fixtures/projects/bad_files`.

mod support;

use std::path::Path;

use coworks_core::{DiagnosticCode, Project};
use support::TempProject;

const SERVICE: &str =
    "pub struct S;\n#[coworks::service]\nimpl S {\n    #[entry]\n    fn get_a(&self) {}\n}\n";

fn codes_for(p: &Project, file: &str) -> Vec<DiagnosticCode> {
    p.diagnostics(None).iter().filter(|d| d.file == Path::new(file)).map(|d| d.code).collect()
}

#[test]
fn a_file_over_the_size_limit_is_skipped_with_a_note() {
    let mut huge = SERVICE.repeat(1 + (5 << 20) / SERVICE.len());
    huge.push_str("// end\n");
    let p = TempProject::new().file("src/main.rs", SERVICE).file("src/huge.rs", huge).load();
    assert_eq!(codes_for(&p, "src/huge.rs"), [DiagnosticCode::FileSkipped]);
    // The good file is still read.
    assert_eq!(p.services(None).len(), 1);
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
/// Deeply nested generics send the file to the tolerant reader (syn would overflow the stack), and
/// the OpenAPI generator gives the types it cannot read open schemas.
fn deeply_nested_types_give_open_schemas_not_a_stack_overflow() {
    use coworks_core::artifacts::openapi;
    let depth = 100_000;
    let deep_type = format!("{}u8{}", "Vec<".repeat(depth), ">".repeat(depth));
    let service = format!(
        "pub struct Deep {{ pub x: {deep_type} }}\npub struct S;\n#[coworks::service]\nimpl S {{\n    #[entry]\n    fn post_a(&self, #[body] d: Deep) -> Json<{deep_type}> {{ todo!() }}\n}}\n"
    );
    let mut p = Project::empty("/nowhere");
    p.set_file_text(Path::new("src/deep.rs"), &service);

    let doc = openapi::document(&p, "s", None).expect("a document");
    let op = &doc["paths"]["/a"]["post"];
    assert!(op["requestBody"]["content"]["application/json"]["schema"]["description"]
        .as_str()
        .is_some_and(|d| d.contains("did not find")));
    assert!(op["responses"].get("default").is_some(), "{op}");
}

#[test]
fn gitignore_target_and_hidden_dirs_are_not_read() {
    let project = TempProject::new().file(".gitignore", "generated/\n").file("src/main.rs", SERVICE);
    let other = SERVICE.replace("struct S", "struct T").replace("impl S", "impl T");
    for rel in ["generated/x.rs", "target/debug/x.rs", "sub/target/x.rs", ".hidden/x.rs", "node_modules/x.rs"]
    {
        project.write(rel, &other);
    }
    let p = project.load();
    let names: Vec<String> = p.services(None).into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["s"]);
}

#[cfg(unix)]
#[test]
fn special_files_are_not_opened() {
    // A FIFO named like a Rust file would block a naive reader forever.
    let project = TempProject::new().file("src/main.rs", SERVICE);
    let fifo = project.path().join("src/pipe.rs");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    let p = project.load();
    assert_eq!(p.services(None).len(), 1);
}

#[test]
fn a_missing_root_is_an_error_not_a_panic() {
    assert!(Project::load("/no/such/project/dir").is_err());
}

#[test]
fn every_fixture_project_gives_openapi_documents() {
    // The fixture projects hold broken, hostile and half-typed code: each service still gets a
    // document in each stage, with exactly its routes of that stage.
    use coworks_core::artifacts::openapi;
    let mut documents = 0;
    for dir in support::fixture_projects() {
        let project = Project::load(&dir).expect("project loads");
        for stage in project.stages() {
            for service in project.services(Some(&stage)) {
                let doc = openapi::document(&project, &service.name, Some(&stage)).expect("a document");
                let operations: usize = doc["paths"]
                    .as_object()
                    .map_or(0, |p| p.values().map(|item| item.as_object().map_or(0, |o| o.len())).sum());
                let routes: std::collections::BTreeSet<_> =
                    service.entries.iter().map(|e| &e.route).collect();
                assert_eq!(operations, routes.len(), "{}: {} in {stage}", dir.display(), service.name);
                documents += 1;
            }
        }
    }
    assert!(documents > 50, "{documents} documents");
}
