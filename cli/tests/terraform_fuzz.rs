//! The project's text reaches Terraform as the text it is. A project holds hostile values — template
//! syntax (`${file("/etc/hostname")}`, `%{ if }`, `$${`), quotes, backslashes, control characters,
//! non-ASCII — in every field the generator writes from the project: env values (plain and secret
//! names), tags, the results bucket and prefix, binary media types, the `iam` statements' actions
//! and resources, the service's docs. Its
//! generated configuration must pass `terraform validate`, and `terraform test` (the AWS provider
//! mocked: nothing is called) must plan exactly those texts into the function's environment, tags,
//! API and IAM policy. All values go into one configuration per stage: a few Terraform runs in all.
//!
//! `CWS_FUZZ_SEED` changes the hostile values (a fixed seed by default, so a failure repeats).

mod support;

use std::collections::BTreeMap;
use std::process::{Command, Output};

use coworks_core::artifacts;
use coworks_core::Project;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{json, Value};
use support::aws::{cli_config, terraform};
use support::fuzz::yaml_str;
use support::TempProject;

/// Pieces of hostile text: Terraform templates and escapes, JSON and HCL syntax, control characters.
const PIECES: &[&str] = &[
    "${",
    "%{",
    "}",
    "$${",
    "%%{",
    "$$${",
    "${file(\"/etc/hostname\")}",
    "%{ if true }x%{ endif }",
    "${var.secrets}",
    "${aws_iam_role.svc.arn}",
    "${~",
    "~}",
    "$",
    "%",
    "{",
    "\"",
    "'",
    "\\",
    "\\n",
    "\n",
    "\r",
    "\t",
    "\u{1b}[31m",
    "\u{7f}",
    "\u{85}",
    "\u{2028}",
    "é",
    "😀",
    "<<EOF",
    "#",
    "//",
    "/*",
    "=",
    ",",
    " ",
    "x",
    "value",
];

fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        5 => proptest::sample::select(PIECES).prop_map(str::to_string),
        1 => any::<char>().prop_filter("no NUL (env files with NUL are binary)", |c| *c != '\0').prop_map(String::from),
    ];
    proptest::collection::vec(piece, 1..6).prop_map(|v| v.concat())
}

/// `n` hostile texts from the seed.
fn hostile_texts(n: usize) -> Vec<String> {
    let mut runner = support::fuzz::seeded_runner(1, 7);
    let mut out = vec!["Hello ${file(\"/etc/hostname\")}".to_string()];
    while out.len() < n {
        out.push(hostile().new_tree(&mut runner).expect("a value").current());
    }
    out
}

/// A value in a `.env` file, double-quoted (`\\`, `"`, `$`, line breaks and tabs escaped).
fn env_value(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Rust doc comment line holding `s` on one line (the docs of a service are one line of text).
fn doc_line(s: &str) -> String {
    s.chars().filter(|c| !c.is_control() && !['\u{85}', '\u{2028}', '\u{2029}'].contains(c)).collect()
}

/// What one stage must plan: the function's environment and tags, the API's description and binary
/// media types, the resource of the results statement of the IAM policy.
struct Expected {
    env: BTreeMap<String, String>,
    tags: BTreeMap<String, String>,
    description: String,
    binary: Vec<String>,
    results: String,
    iam: (String, String),
}

/// A project whose every text field holds hostile values, and what each stage must plan.
fn hostile_project() -> (TempProject, BTreeMap<&'static str, Expected>) {
    let texts = hostile_texts(80);
    let mut next = texts.into_iter();
    let mut take = || next.next().expect("enough texts");
    let (bucket, prefix, docs) = (take(), take(), doc_line(&take()));
    let tags: BTreeMap<String, String> = (0..6).map(|_| (take(), take())).collect();
    let binary: Vec<String> = (0..3).map(|_| take()).collect();
    let iam = (take(), take());
    let yaml_map = |m: &BTreeMap<String, String>| {
        m.iter().map(|(k, v)| format!("{}: {}", yaml_str(k), yaml_str(v))).collect::<Vec<_>>().join(", ")
    };
    let yaml_list = |l: &[String]| l.iter().map(|v| yaml_str(v)).collect::<Vec<_>>().join(", ");
    let config = format!(
        "version: 3\nname: fuzz\ncommands:\n  deploy:\n    region: eu-west-1\n    bucket: {}\n    results_prefix: {}\n    tags: {{{}}}\n    binary_media_types: [{}]\n    iam: [{{actions: [{}], resources: [{}]}}]\nworkspaces:\n  dev: {{}}\n  prod: {{}}\n",
        yaml_str(&bucket),
        yaml_str(&prefix),
        yaml_map(&tags),
        yaml_list(&binary),
        yaml_str(&iam.0),
        yaml_str(&iam.1),
    );
    let source = format!(
        "pub struct Svc;\n\n/// {docs}\n#[coworks::service(name = \"svc\")]\nimpl Svc {{\n    #[entry]\n    fn get_item(&self, id: u32) -> String {{ id.to_string() }}\n}}\n"
    );
    let project = TempProject::new().file("project.cws.yml", config).service("svc", &source);
    let mut expected = BTreeMap::new();
    for stage in ["dev", "prod"] {
        let mut vars: BTreeMap<String, String> = (0..20).map(|i| (format!("V{i}_{stage}"), take())).collect();
        vars.insert("GREETING".into(), "Hello ${file(\"/etc/hostname\")}".into());
        let text: String = vars.iter().map(|(k, v)| format!("{k}={}\n", env_value(v))).collect();
        project.write(&format!(".env.{stage}"), text);
        project.write(&format!(".env.{stage}.secret"), format!("S_{stage}.1=secret value\n"));
        let mut env = vars;
        env.insert("CWS_STAGE".into(), stage.into());
        env.insert("CWS_SERVICE".into(), "svc".into());
        env.insert("CWS_RESULTS_BUCKET".into(), bucket.clone());
        env.insert("CWS_RESULTS_PREFIX".into(), prefix.clone());
        let results = format!("arn:aws:s3:::{bucket}/{prefix}*");
        expected.insert(
            stage,
            Expected {
                env,
                tags: tags.clone(),
                description: docs.clone(),
                binary: binary.clone(),
                results,
                iam: iam.clone(),
            },
        );
    }
    (project, expected)
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// The test file: the AWS provider mocked, one plan, assertions against the expected values (read
/// from JSON files, so the test writes no HCL string itself).
const TEST_FILE: &str = r#"mock_provider "aws" {}

run "plan" {
  command = plan

  assert {
    condition     = tomap({ for k, v in aws_lambda_function.svc.environment[0].variables : k => v if k != "CWS_SECRET_PARAMETERS" }) == tomap(jsondecode(file("expected/env.json")))
    error_message = "environment differs at: ${jsonencode({ for k, v in tomap(jsondecode(file("expected/env.json"))) : k => [v, lookup(aws_lambda_function.svc.environment[0].variables, k, null)] if lookup(aws_lambda_function.svc.environment[0].variables, k, null) != v })}"
  }
  assert {
    condition     = aws_lambda_function.svc.tags == tomap(jsondecode(file("expected/tags.json")))
    error_message = "tags: ${jsonencode(aws_lambda_function.svc.tags)}"
  }
  assert {
    condition     = aws_api_gateway_rest_api.svc.description == jsondecode(file("expected/description.json"))
    error_message = "description: ${jsonencode(aws_api_gateway_rest_api.svc.description)}"
  }
  assert {
    condition     = toset(aws_api_gateway_rest_api.svc.binary_media_types) == toset(jsondecode(file("expected/binary.json")))
    error_message = "binary media types: ${jsonencode(aws_api_gateway_rest_api.svc.binary_media_types)}"
  }
  assert {
    condition     = startswith(aws_lambda_function.svc.environment[0].variables["CWS_SECRET_PARAMETERS"], "S_")
    error_message = "secret parameters: ${aws_lambda_function.svc.environment[0].variables["CWS_SECRET_PARAMETERS"]}"
  }
}
"#;

#[test]
fn hostile_text_validates_and_is_planned_as_written() {
    let (project, expected) = hostile_project();
    let p = Project::load(project.path()).expect("the project loads");
    let tmp = tempfile::tempdir().unwrap();
    let rc = cli_config(tmp.path());
    for (stage, want) in &expected {
        let (d, problems) = artifacts::stage_deployment(&p, stage, &Default::default());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(d.services.len(), 1, "the service is deployed");
        let dir = tmp.path().join(stage);
        artifacts::write_terraform(&dir, &d).unwrap();
        // The generated JSON: every text doubled its template introducers, and only those.
        let svc: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("svc.tf.json")).unwrap()).unwrap();
        let env = &svc["resource"]["aws_lambda_function"]["svc"]["environment"]["variables"];
        for (k, v) in want.env.iter().filter(|(k, _)| !k.starts_with("CWS_")) {
            assert_eq!(env[k], artifacts::terraform::literal(v), "{k}");
        }
        assert_eq!(env["GREETING"], "Hello $${file(\"/etc/hostname\")}");
        let files = [
            ("env.json", json!(want.env)),
            ("tags.json", json!(want.tags)),
            ("description.json", json!(want.description)),
            ("binary.json", json!(want.binary)),
        ];
        std::fs::create_dir_all(dir.join("expected")).unwrap();
        for (name, value) in files {
            std::fs::write(dir.join("expected").join(name), value.to_string()).unwrap();
        }
        std::fs::create_dir_all(dir.join("tests")).unwrap();
        std::fs::write(dir.join("tests/fuzz.tftest.hcl"), TEST_FILE).unwrap();
        let secrets = p.secret_values(stage);
        for args in [
            &["init", "-backend=false", "-input=false", "-no-color"][..],
            &["validate", "-no-color"],
            &["test", "-no-color"],
        ] {
            let o = Command::new(terraform())
                .args(args)
                .current_dir(&dir)
                .env("TF_CLI_CONFIG_FILE", &rc)
                .env("TF_IN_AUTOMATION", "1")
                .env("TF_WORKSPACE", stage)
                .env("TF_VAR_secrets", &secrets)
                .output()
                .unwrap();
            assert!(o.status.success(), "terraform {args:?} in stage {stage}:\n{}", text(&o));
        }
        // The policy's results statement, as Terraform will read it.
        let policy = svc["resource"]["aws_iam_role_policy"]["svc"]["policy"].as_str().unwrap();
        let doc: Value = serde_json::from_str(policy).unwrap();
        let results =
            doc["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == "AsyncResults").unwrap();
        assert_eq!(results["Resource"], artifacts::terraform::literal_part(&want.results));
        let extra = doc["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == "Config1").unwrap();
        assert_eq!(extra["Action"], json!([artifacts::terraform::literal_part(&want.iam.0)]));
        assert_eq!(extra["Resource"], json!([artifacts::terraform::literal_part(&want.iam.1)]));
    }
}
