//! `Project` beyond its diagnostics (those are the fixture projects' `expected.txt`, see
//! `fixture_projects.rs`): stages, effective options, services across crates and files, and edits
//! of source and project files re-analysed as the editor sends them.

mod support;

use std::path::Path;

use coworks_core::{DiagnosticCode, Project};
use support::{fixture, TempProject};

const SERVICE: &str =
    "pub struct Billing;\n#[coworks::service]\nimpl Billing {\n    #[entry]\n    fn get(&self) {}\n}\n";

/// `(file, 1-based line, code)` of every diagnostic.
fn found(p: &Project) -> Vec<(String, u32, DiagnosticCode)> {
    p.diagnostics(None)
        .iter()
        .map(|d| (d.file.display().to_string(), d.span.start.line + 1, d.code))
        .collect()
}

#[test]
fn stages_are_the_workspaces_or_dev_even_when_the_file_has_errors() {
    assert_eq!(Project::load(fixture("no_config")).unwrap().stages(), ["dev"]);
    assert_eq!(Project::load(fixture("config_errors")).unwrap().stages(), ["dev", "prod"]);
}

#[test]
fn editing_config_and_env_files_updates_diagnostics() {
    let project = TempProject::new().file("project.cws.yml", "version: 3\n").file("src/main.rs", SERVICE);
    let mut p = project.load();
    assert!(found(&p).is_empty(), "{:?}", found(&p));
    p.set_file_text(Path::new("project.cws.yml"), "version: 3\ncomands: {}\n");
    assert_eq!(found(&p), [("project.cws.yml".into(), 2, DiagnosticCode::ConfigUnknownKey)]);
    p.set_file_text(Path::new("project.cws.yml"), "version: 3\n");
    p.set_file_text(Path::new(".env.dev"), "TOKEN=x\nnot a line\n");
    assert_eq!(found(&p), [(".env.dev".into(), 2, DiagnosticCode::EnvSyntax)]);
    p.set_file_text(Path::new(".env.dev"), "TOKEN=x\n");
    assert!(found(&p).is_empty());
}

#[test]
fn editing_one_file_updates_the_project() {
    let src = "pub struct Svc;\n#[coworks::service]\nimpl Svc {\n    #[entry]\n    fn get_item(&self, id: u64) {}\n    #[entry]\n    fn get_item_(&self, k: u64) {}\n}\n";
    let mut p = TempProject::new().file("project.cws.yml", "version: 3\n").file("src/main.rs", src).load();
    let duplicates = |p: &Project| found(p).iter().filter(|f| f.2 == DiagnosticCode::DuplicateRoute).count();
    assert_eq!(duplicates(&p), 2);
    let fixed = src.replace("get_item_", "get_items");
    assert!(p.set_file_text(Path::new("src/main.rs"), &fixed));
    assert_eq!(duplicates(&p), 0);
    assert_eq!(p.services(None)[0].entries[1].route.path, "/items/{k}");
    assert!(p.remove_file(Path::new("src/main.rs")));
    assert!(p.services(None).is_empty());
}

#[test]
fn services_belong_to_their_crate_and_merge_impl_blocks() {
    let a = "pub struct Shop;\n#[coworks::service]\nimpl Shop {\n    #[entry] fn get(&self) {}\n}\n";
    let b = "#[coworks::service]\nimpl crate::Shop {\n    #[entry] fn post(&self) {}\n}\n";
    let p = TempProject::new()
        .file("svc/shop/Cargo.toml", "")
        .file("svc/shop/src/lib.rs", a)
        .file("svc/shop/src/b.rs", b)
        .load();
    let services = p.services(None);
    assert_eq!(services.len(), 1);
    assert_eq!(services[0].crate_dir, Path::new("svc/shop"));
    assert_eq!(services[0].locations.len(), 2);
    let routes: Vec<String> = services[0].entries.iter().map(|e| e.route.to_string()).collect();
    assert_eq!(routes, ["POST /", "GET /"], "files in path order: b.rs before lib.rs");
}

#[test]
fn effective_options_follow_the_precedence() {
    let config = concat!(
        "version: 3\n",
        "services:\n  billing:\n    commands:\n      deploy: { memory: 512 }\n",
        "commands:\n  deploy: { memory: 256, timeout: 30 }\n",
        "workspaces:\n  dev: {}\n  prod:\n    commands:\n      deploy: { memory: 1024, timeout: 60 }\n",
    );
    let p = TempProject::new().file("project.cws.yml", config).file("src/main.rs", SERVICE).load();
    let c = p.config().unwrap();
    let none = Default::default();
    let dev = c.effective_options("deploy", "dev", None, &none);
    let prod = c.effective_options("deploy", "prod", None, &none);
    let prod_billing = c.effective_options("deploy", "prod", Some("billing"), &none);
    assert_eq!(dev["memory"].value.to_string(), "256");
    assert_eq!(prod["memory"].value.to_string(), "1024");
    assert_eq!(prod["timeout"].value.to_string(), "60");
    assert_eq!(prod_billing["memory"].value.to_string(), "512");
}
