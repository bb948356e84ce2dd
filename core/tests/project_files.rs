//! Project files through `Project`: config and env diagnostics where the user looks, stages,
//! and edits of project files re-analysed like source files.

use std::path::Path;

use coworks_core::{DiagnosticCode, Project};

const SERVICE: &str =
    "pub struct Billing;\n#[coworks::service]\nimpl Billing {\n    #[entry]\n    fn get(&self) {}\n}\n";

fn project(config: Option<&str>, files: &[(&str, &str)]) -> (tempfile::TempDir, Project) {
    let dir = tempfile::tempdir().unwrap();
    if let Some(c) = config {
        std::fs::write(dir.path().join("project.cws.yml"), c).unwrap();
    }
    for (rel, text) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let p = Project::load(dir.path()).unwrap();
    (dir, p)
}

fn at(p: &Project, code: DiagnosticCode) -> Vec<(String, u32, u32, String)> {
    p.diagnostics(None)
        .into_iter()
        .filter(|d| d.code == code)
        .map(|d| (d.file.display().to_string(), d.span.start.line + 1, d.span.start.col + 1, d.message))
        .collect()
}

#[test]
fn a_missing_env_file_is_reported_at_its_list_item() {
    let config = "version: 3\nworkspaces:\n  dev:\n    env_files: [.env.dev]\n  prod:\n    env_files:\n      - .env.prod\n";
    let (_d, p) = project(Some(config), &[("src/main.rs", SERVICE), (".env.dev", "TOKEN=x\n")]);
    let found = at(&p, DiagnosticCode::MissingEnvFile);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0.as_str(), found[0].1, found[0].2), ("project.cws.yml", 7, 9));
    assert!(found[0].3.contains("stage `prod` needs env file `.env.prod`"), "{}", found[0].3);
    // Per stage: dev is fine.
    assert!(p.diagnostics(Some("dev")).iter().all(|d| d.code != DiagnosticCode::MissingEnvFile));
}

#[test]
fn configured_services_must_exist_in_code() {
    let config = "version: 3\nservices:\n  biling:\n    path: services/billing\n";
    let (_d, p) = project(Some(config), &[("src/main.rs", SERVICE)]);
    let found = at(&p, DiagnosticCode::UnknownService);
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].1, found[0].2), (3, 3));
    assert!(found[0].3.contains("did you mean `billing`"), "{}", found[0].3);
}

#[test]
fn no_config_means_one_dev_stage_and_a_note() {
    let (_d, p) = project(None, &[("src/main.rs", SERVICE)]);
    assert_eq!(p.stages(), ["dev"]);
    assert_eq!(at(&p, DiagnosticCode::NoConfig).len(), 1);
}

#[test]
fn config_errors_are_diagnostics_and_the_rest_is_kept() {
    let config =
        "version: 2\nworkspaces:\n  dev:\n    commands:\n      run:\n        prot: 8000\n  prod: {}\n";
    let (_d, p) = project(Some(config), &[("src/main.rs", SERVICE)]);
    assert_eq!(at(&p, DiagnosticCode::ConfigVersion).len(), 1);
    let unknown = at(&p, DiagnosticCode::ConfigUnknownOption);
    assert_eq!((unknown[0].1, unknown[0].2), (6, 9));
    assert!(unknown[0].3.contains("port"), "suggests port: {}", unknown[0].3);
    assert_eq!(p.stages(), ["dev", "prod"]);
}

#[test]
fn editing_config_and_env_files_updates_diagnostics() {
    let (_d, mut p) = project(Some("version: 3\n"), &[("src/main.rs", SERVICE)]);
    assert!(p.diagnostics(None).is_empty(), "{:?}", p.diagnostics(None));
    p.set_file_text(Path::new("project.cws.yml"), "version: 3\ncomands: {}\n");
    assert_eq!(at(&p, DiagnosticCode::ConfigUnknownKey).len(), 1);
    p.set_file_text(Path::new("project.cws.yml"), "version: 3\n");
    p.set_file_text(Path::new(".env.dev"), "TOKEN=x\nnot a line\n");
    let env = at(&p, DiagnosticCode::EnvSyntax);
    assert_eq!((env[0].0.as_str(), env[0].1), (".env.dev", 2));
    p.set_file_text(Path::new(".env.dev"), "TOKEN=x\n");
    assert!(p.diagnostics(None).is_empty());
}

#[test]
fn a_yaml_bomb_is_a_diagnostic_not_a_hang() {
    let mut bomb = String::from("version: 3\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = format!("*a{}", i - 1);
        bomb.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    let (_d, p) = project(Some(&bomb), &[("src/main.rs", SERVICE)]);
    assert!(!at(&p, DiagnosticCode::ConfigTooComplex).is_empty());
    assert_eq!(p.services(None).len(), 1);
}

#[test]
fn effective_options_follow_the_precedence() {
    let config = concat!(
        "version: 3\n",
        "services:\n  billing:\n    commands:\n      deploy: { memory: 512 }\n",
        "commands:\n  deploy: { memory: 256, timeout: 30 }\n",
        "workspaces:\n  dev: {}\n  prod:\n    commands:\n      deploy: { memory: 1024, timeout: 60 }\n",
    );
    let (_d, p) = project(Some(config), &[("src/main.rs", SERVICE)]);
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
