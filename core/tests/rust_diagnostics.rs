//! Each Rust-source diagnostic, found where a user would look for it, through `Project`.

use std::path::Path;

use coworks_core::{DiagnosticCode, Project, Severity};

/// A project with `project.cws.yml` (stages dev and prod) and the given files.
fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, Project) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("project.cws.yml"),
        "version: 3\nworkspaces:\n  dev: {}\n  prod:\n    production: true\n",
    )
    .unwrap();
    for (rel, text) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let p = Project::load(dir.path()).unwrap();
    (dir, p)
}

/// `(code, 1-based line, 1-based col)` of every diagnostic with one of `codes`.
fn found(p: &Project, codes: &[DiagnosticCode]) -> Vec<(DiagnosticCode, u32, u32)> {
    p.diagnostics(None)
        .iter()
        .filter(|d| codes.contains(&d.code))
        .map(|d| (d.code, d.span.start.line + 1, d.span.start.col + 1))
        .collect()
}

const HEAD: &str = "use coworks::prelude::*;\npub struct Svc;\n#[coworks::service]\nimpl Svc {\n";

fn svc(body: &str) -> String {
    format!("{HEAD}{body}}}\n")
}

#[test]
fn duplicate_routes_point_at_both_entries() {
    let src = svc("    #[entry]\n    fn get_item(&self, id: u64) {}\n    #[entry]\n    fn get_item_(&self, key: String) {}\n");
    let (_d, p) = project(&[("src/main.rs", &src)]);
    let diags: Vec<_> =
        p.diagnostics(None).into_iter().filter(|d| d.code == DiagnosticCode::DuplicateRoute).collect();
    assert_eq!(diags.len(), 2, "{diags:#?}");
    assert_eq!((diags[0].span.start.line + 1, diags[0].span.start.col + 1), (6, 8));
    assert_eq!(diags[0].related[0].span.start.line + 1, 8);
    assert_eq!(diags[1].related[0].span.start.line + 1, 6);
    assert!(diags[0].message.contains("GET /item/{id}") && diags[0].message.contains("`get_item_`"));
    assert_eq!(diags[0].severity, Severity::Error);
}

#[test]
fn duplicate_routes_across_files_of_one_service() {
    let a = svc("    #[entry]\n    fn get_item(&self, id: u64) {}\n");
    let b = "#[coworks::service]\nimpl super::Svc {\n    #[entry]\n    fn get_item(&self, n: u64) {}\n}\n";
    let (_d, p) = project(&[("src/main.rs", &a), ("src/more.rs", b)]);
    let diags: Vec<_> =
        p.diagnostics(None).into_iter().filter(|d| d.code == DiagnosticCode::DuplicateRoute).collect();
    let files: Vec<_> = diags.iter().map(|d| d.file.to_str().unwrap().to_string()).collect();
    assert_eq!(files, ["src/main.rs", "src/more.rs"]);
    assert_eq!(diags[0].related[0].file, Path::new("src/more.rs"));
}

#[test]
fn entries_in_disjoint_stages_do_not_clash() {
    let src = svc(concat!(
        "    #[entry(stage = \"dev\")]\n    fn get_item(&self) {}\n",
        "    #[entry(stage = \"prod\")]\n    fn get_item_(&self) {}\n",
        "    #[entry(stages = [\"dev\", \"prod\"])]\n    fn get_x(&self) {}\n",
        "    #[entry(stage = \"prod\")]\n    fn get_x_(&self) {}\n",
    ));
    let (_d, p) = project(&[("src/main.rs", &src)]);
    assert_eq!(
        found(&p, &[DiagnosticCode::DuplicateRoute]).iter().map(|f| f.1).collect::<Vec<_>>(),
        [10, 12]
    );
    // With a stage, only that stage's entries are compared (and listed).
    assert_eq!(
        p.diagnostics(Some("dev")).iter().filter(|d| d.code == DiagnosticCode::DuplicateRoute).count(),
        0
    );
    assert_eq!(p.services(Some("dev"))[0].entries.len(), 2);
}

#[test]
fn explicit_path_params_must_match() {
    let src = svc("    #[entry(path = \"/users/{uid}/orders\")]\n    fn get_orders(&self, id: u64) {}\n");
    let (_d, p) = project(&[("src/main.rs", &src)]);
    assert_eq!(
        found(&p, &[DiagnosticCode::PathParamsMismatch]),
        [(DiagnosticCode::PathParamsMismatch, 5, 20)]
    );
    let src = svc("    #[entry(path = \"users\")]\n    fn get_orders(&self) {}\n");
    let (_d, p) = project(&[("src/main.rs", &src)]);
    assert_eq!(found(&p, &[DiagnosticCode::BadVerbPath]), [(DiagnosticCode::BadVerbPath, 5, 20)]);
}

#[test]
fn path_and_query_types_are_checked() {
    let src = svc(concat!(
        "    #[entry]\n    fn get_a(&self, ids: Vec<u64>) {}\n",
        "    #[entry]\n    fn get_b(&self, #[query] filter: HashMap<String, String>) {}\n",
        "    #[entry]\n    fn get_c(&self, id: uuid::Uuid, #[query] tags: Vec<String>, #[query] p: Option<u32>) {}\n",
    ));
    let (_d, p) = project(&[("src/main.rs", &src)]);
    assert_eq!(
        found(&p, &[DiagnosticCode::PathParamType, DiagnosticCode::QueryParamType]),
        [(DiagnosticCode::PathParamType, 6, 26), (DiagnosticCode::QueryParamType, 8, 38)]
    );
}

#[test]
fn bodies_on_get_and_delete_and_twice() {
    let src = svc(concat!(
        "    #[entry]\n    fn get_a(&self, #[body] b: B) {}\n",
        "    #[entry]\n    fn delete_a(&self, #[body] b: B) {}\n",
        "    #[entry]\n    fn post_a(&self, #[body] b: B, #[body] c: C) {}\n",
    ));
    let (_d, p) = project(&[("src/main.rs", &src)]);
    assert_eq!(
        found(&p, &[DiagnosticCode::BodyOnGetOrDelete, DiagnosticCode::MultipleBodies]),
        [
            (DiagnosticCode::BodyOnGetOrDelete, 6, 21),
            (DiagnosticCode::BodyOnGetOrDelete, 8, 24),
            (DiagnosticCode::MultipleBodies, 10, 36),
        ]
    );
}

#[test]
fn misspelt_verbs_get_a_hint() {
    let src = svc("    #[entry]\n    fn gte_items(&self) {}\n    #[entry]\n    fn set_items(&self) {}\n");
    let (_d, p) = project(&[("src/main.rs", &src)]);
    let diags: Vec<_> =
        p.diagnostics(None).into_iter().filter(|d| d.code == DiagnosticCode::MisspeltVerb).collect();
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].severity, Severity::Hint);
    assert!(diags[0].message.contains("did you mean `get_items`"), "{}", diags[0].message);
}

#[test]
fn unknown_stages_bad_attributes_and_missing_self() {
    let src = svc(concat!(
        "    #[entry(stage = \"qa\")]\n    fn get_a(&self) {}\n",
        "    #[entry(methd = \"GET\")]\n    fn get_b(&self) {}\n",
        "    #[entry]\n    fn get_c() {}\n",
    ));
    let (_d, p) = project(&[("src/main.rs", &src)]);
    assert_eq!(
        found(
            &p,
            &[DiagnosticCode::UnknownStage, DiagnosticCode::BadAttribute, DiagnosticCode::EntryWithoutSelf]
        ),
        [
            (DiagnosticCode::UnknownStage, 5, 21),
            (DiagnosticCode::BadAttribute, 7, 13),
            (DiagnosticCode::EntryWithoutSelf, 10, 8),
        ]
    );
}

#[test]
fn two_types_with_one_service_name_clash() {
    let a = "pub struct A;\n#[coworks::service(name = \"shop\")]\nimpl A {}\n";
    let b = "pub struct B;\n#[coworks::service(name = \"shop\")]\nimpl B {}\n";
    let (_d, p) =
        project(&[("a/Cargo.toml", ""), ("a/src/lib.rs", a), ("b/Cargo.toml", ""), ("b/src/lib.rs", b)]);
    assert_eq!(found(&p, &[DiagnosticCode::ServiceNameClash]), [(DiagnosticCode::ServiceNameClash, 3, 6)]);
}

#[test]
fn services_belong_to_their_crate_and_merge_impl_blocks() {
    let a = "pub struct Shop;\n#[coworks::service]\nimpl Shop {\n    #[entry] fn get(&self) {}\n}\n";
    let b = "#[coworks::service]\nimpl crate::Shop {\n    #[entry] fn post(&self) {}\n}\n";
    let (_d, p) =
        project(&[("svc/shop/Cargo.toml", ""), ("svc/shop/src/lib.rs", a), ("svc/shop/src/b.rs", b)]);
    let services = p.services(None);
    assert_eq!(services.len(), 1);
    assert_eq!(services[0].crate_dir, Path::new("svc/shop"));
    assert_eq!(services[0].locations.len(), 2);
    let routes: Vec<String> = services[0].entries.iter().map(|e| e.route.to_string()).collect();
    assert_eq!(routes, ["POST /", "GET /"], "files in path order: b.rs before lib.rs");
}

#[test]
fn editing_one_file_updates_the_project() {
    let src = svc("    #[entry]\n    fn get_item(&self, id: u64) {}\n    #[entry]\n    fn get_item_(&self, k: u64) {}\n");
    let (_d, mut p) = project(&[("src/main.rs", &src)]);
    assert_eq!(found(&p, &[DiagnosticCode::DuplicateRoute]).len(), 2);
    let fixed = src.replace("get_item_", "get_items");
    assert!(p.set_file_text(Path::new("src/main.rs"), &fixed));
    assert!(found(&p, &[DiagnosticCode::DuplicateRoute]).is_empty());
    assert_eq!(p.services(None)[0].entries[1].route.path, "/items/{k}");
    assert!(p.remove_file(Path::new("src/main.rs")));
    assert!(p.services(None).is_empty());
}
