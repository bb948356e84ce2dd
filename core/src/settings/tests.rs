use std::path::{Path, PathBuf};

use super::*;
use crate::config::Origin;
use crate::diagnostics::DiagnosticCode;

/// A project in memory with this `project.cws.yml` (no diagnostics expected from it).
pub(crate) fn project_with_config(yaml: &str) -> Project {
    let mut p = Project::empty("/nonexistent-project-root");
    p.set_file_text(Path::new("project.cws.yml"), yaml);
    assert!(p.config_diagnostics().is_empty(), "{:?}", p.config_diagnostics());
    p
}

const YAML: &str = "version: 3\ncommands:\n  run: {port: 8100}\n  invoke: {timeout: 5}\n  build: {profile: dev}\n  deploy: {architecture: arm64}\nservices:\n  billing:\n    path: crates/billing\n    commands: {run: {port: 8200}}\nworkspaces:\n  dev: {}\n  prod:\n    production: true\n    commands: {run: {host: 0.0.0.0}, build: {architecture: x86_64}}\n";

#[test]
fn stages_resolve_to_the_asked_one_or_the_first() {
    let p = project_with_config(YAML);
    assert_eq!(p.stages(), ["dev", "prod"]);
    assert_eq!(p.resolve_stage(None).unwrap(), "dev");
    assert_eq!(p.resolve_stage(Some("prod")).unwrap(), "prod");
    let err = p.resolve_stage(Some("qa")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown stage `qa`; the project's stages are: dev, prod (workspaces of project.cws.yml)"
    );
    assert!(p.is_production("prod") && !p.is_production("dev"));
    let bare = Project::empty("/x");
    assert_eq!(bare.stages(), ["dev"]);
    assert_eq!(bare.resolve_stage(None).unwrap(), "dev");
}

#[test]
fn typed_settings_follow_precedence_and_schema_defaults() {
    let p = project_with_config(YAML);
    let none = CliOptions::new();
    assert_eq!(p.run_settings("dev", None, &none), RunSettings { host: "127.0.0.1".into(), port: 8100 });
    assert_eq!(
        p.run_settings("prod", Some("billing"), &none),
        RunSettings { host: "0.0.0.0".into(), port: 8200 }
    );
    let cli = CliOptions::from([("port".to_string(), Value::Int(9000))]);
    assert_eq!(p.run_settings("dev", Some("billing"), &cli).port, 9000);
    assert_eq!(p.invoke_settings("dev", None, &none), InvokeSettings { url: None, timeout: 5 });
    let b = p.build_settings("dev", "billing", &none);
    assert_eq!((b.architecture.as_str(), b.release), ("arm64", false));
    assert_eq!(b.target.as_deref(), Some("aarch64-unknown-linux-gnu"));
    assert_eq!(b.crate_dir, PathBuf::from("crates/billing"));
    assert!(!b.cargo_lambda);
    assert_eq!(p.build_settings("prod", "billing", &none).architecture, "x86_64");
    let glibc =
        CliOptions::from([("target".to_string(), Value::Str("x86_64-unknown-linux-gnu.2.26".into()))]);
    assert!(p.build_settings("dev", "billing", &glibc).cargo_lambda);
    assert_eq!(p.workflow_settings("dev", &none).airflow_dags, PathBuf::from("airflow/dags"));
    let f = p.function_settings("dev", "billing", &none);
    assert_eq!((f.memory, f.timeout, f.results_prefix.as_str()), (128, 29, "cws-results/"));
    let o = p.options("run", "prod", Some("billing"), &none);
    assert_eq!(o.get("port").map(|e| e.origin), Some(Origin::Service));
    assert_eq!(o.get("host").map(|e| e.origin), Some(Origin::Workspace));
    assert!(p.options("nope", "dev", None, &none).all().is_empty());
    assert_eq!(p.all_options("dev", None).len(), crate::config::schema::COMMANDS.len());
}

#[test]
fn an_empty_prefix_is_a_value() {
    let p = project_with_config("version: 3\ncommands:\n  deploy: {results_prefix: ''}\n");
    assert_eq!(p.function_settings("dev", "x", &CliOptions::new()).results_prefix, "");
}

#[test]
fn stage_env_from_the_project_texts() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join(".env"), "A=base\nB=base\nC=base\n").unwrap();
    std::fs::write(root.join(".env.dev"), "B=dev\n").unwrap();
    std::fs::write(root.join(".env.dev.secret"), "TOKEN=s3cr3t\nbad line\n").unwrap();
    std::fs::create_dir(root.join("conf")).unwrap();
    std::fs::write(root.join("conf/extra.env"), "C=extra\n").unwrap();
    std::fs::write(root.join(".env.secret"), [0xffu8, 0xfe, 0x00]).unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("creds"), "LEAK=1\n").unwrap();
    let yml = format!(
        "version: 3\nworkspaces:\n  dev:\n    env_files: [conf/extra.env, missing.env, {}]\n  prod: {{}}\n",
        outside.path().join("creds").display()
    );
    std::fs::write(root.join("project.cws.yml"), &yml).unwrap();
    let mut p = Project::load(root).unwrap();
    let env = p.stage_env("dev");
    assert_eq!(env.vars["A"].value, "base");
    assert_eq!(env.vars["B"].value, "dev");
    assert_eq!(env.vars["B"].file, PathBuf::from(".env.dev"));
    assert_eq!(env.vars["C"].value, "extra");
    assert!(!env.vars.contains_key("LEAK"));
    assert!(env.vars["TOKEN"].secret && !env.vars["A"].secret);
    assert_eq!(env.secret_names(), ["TOKEN"]);
    assert!(!env.plain().contains_key("TOKEN"));
    let codes: Vec<_> = env.problems.iter().map(|d| (d.code, d.span.start.line, d.span.start.col)).collect();
    assert_eq!(codes, [(DiagnosticCode::MissingEnvFile, 3, 32), (DiagnosticCode::EnvFileOutside, 3, 45)]);
    // The editor's unsaved text is what counts.
    p.set_file_text(Path::new(".env.dev"), "B=edited\n");
    assert_eq!(p.stage_env("dev").vars["B"].value, "edited");
    p.set_file_text(Path::new("conf/extra.env"), "C=edited\n");
    assert_eq!(p.stage_env("dev").vars["C"].value, "edited");
    // Another stage: only the optional files; nothing required, nothing missing.
    let prod = p.stage_env("prod");
    assert_eq!(prod.vars["B"].value, "base");
    assert!(prod.problems.is_empty());
    assert_eq!(p.secret_values("dev"), r#"{"TOKEN":"s3cr3t"}"#);
}

/// `{path: ..., outside: true}`: an env file outside the project, read only when a face that runs
/// the project's code asks (`cws run`, `cws deploy`); the analysis never reads it and says nothing.
#[test]
fn outside_env_files_are_read_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("shop.env.secret"), "API_KEY=kept-out-of-git\n").unwrap();
    std::fs::write(outside.path().join("plain.env"), "REGION_NAME=eu\n").unwrap();
    let (secret, plain, missing) = (
        outside.path().join("shop.env.secret"),
        outside.path().join("plain.env"),
        outside.path().join("missing.env"),
    );
    let yml = format!(
        "version: 3\nworkspaces:\n  dev:\n    env_files:\n      - {{path: {}, outside: true}}\n      - {{path: {}, outside: true}}\n      - {{path: {}, outside: true}}\n      - {{path: {}}}\n",
        secret.display(),
        plain.display(),
        missing.display(),
        plain.display(),
    );
    std::fs::write(dir.path().join("project.cws.yml"), &yml).unwrap();
    let mut p = Project::load(dir.path()).unwrap();
    assert!(p.config_diagnostics().is_empty(), "{:?}", p.config_diagnostics());
    let env = p.stage_env("dev");
    assert!(env.vars.is_empty(), "nothing read by the analysis: {:?}", env.vars);
    let codes: Vec<_> = env.problems.iter().map(|d| d.code).collect();
    assert_eq!(codes, [DiagnosticCode::EnvFileOutside], "only the entry without `outside`");
    assert!(env.problems[0].message.contains("outside: true"), "{}", env.problems[0].message);
    // `cws run` / `cws deploy` ask.
    let read = p.read_outside_env_files();
    assert_eq!(read, [plain.clone(), secret.clone()]);
    let env = p.stage_env("dev");
    assert_eq!(env.vars["API_KEY"].value, "kept-out-of-git");
    assert!(env.vars["API_KEY"].secret, "a `.secret` file outside is secret too");
    assert_eq!(env.vars["API_KEY"].file, secret);
    assert_eq!(env.vars["REGION_NAME"].value, "eu");
    let codes: Vec<_> = env.problems.iter().map(|d| d.code).collect();
    assert_eq!(codes, [DiagnosticCode::MissingEnvFile, DiagnosticCode::EnvFileOutside]);
    // Malformed items are reported.
    let bad = project_config_diagnostics(
        "version: 3\nworkspaces:\n  dev:\n    env_files: [{outside: true}, {path: a.env, outsde: true}]\n",
    );
    assert_eq!(bad, [DiagnosticCode::ConfigValueType, DiagnosticCode::ConfigUnknownKey]);
}

fn project_config_diagnostics(yaml: &str) -> Vec<DiagnosticCode> {
    let mut p = Project::empty("/nonexistent-project-root");
    p.set_file_text(Path::new("project.cws.yml"), yaml);
    p.config_diagnostics().iter().map(|d| d.code).collect()
}
