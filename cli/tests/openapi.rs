//! `cws openapi`: every document it writes is valid OpenAPI (checked by the `openapi-spec-validator`
//! package from PyPI, which `scripts/ci-deps` installs) and lists exactly the routes `cws routes`
//! prints for its service and stage; bad names are usage errors.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::{cws, text};

/// The validator's verdict on each file: `ok`, or its message.
const VALIDATE: &str = r#"
import json, sys
from openapi_spec_validator import validate
verdicts = {}
for path in sys.argv[1:]:
    try:
        with open(path) as f:
            validate(json.load(f))
        verdicts[path] = "ok"
    except Exception as e:
        verdicts[path] = f"{type(e).__name__}: {e}"
print("CWS-RESULT " + json.dumps(verdicts))
"#;

fn validate(files: &[PathBuf]) -> Value {
    let out = Command::new("python3")
        .arg("-c")
        .arg(VALIDATE)
        .args(files)
        .output()
        .expect("python3 runs (scripts/ci-deps installs openapi-spec-validator)");
    let stdout = text(&out.stdout);
    let line = stdout.lines().find_map(|l| l.strip_prefix("CWS-RESULT ")).unwrap_or_else(|| {
        panic!("no verdict from openapi-spec-validator:\n{stdout}\n{}", text(&out.stderr))
    });
    serde_json::from_str(line).expect("the verdicts' JSON")
}

fn json_of(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("the document")).expect("JSON")
}

/// `METHOD path` of every operation of a document.
fn operations(doc: &Value) -> BTreeSet<String> {
    let paths = doc["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object().expect("a path item").keys().map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect()
}

#[test]
fn documents_are_valid_and_list_the_routes_of_their_service_and_stage() {
    let mut files = Vec::new();
    let out = tempfile::tempdir().expect("a temporary directory");
    for (name, dir) in [("eshop", support::example()), ("shapes", support::openapi_project())] {
        let project = coworks_core::Project::load(&dir).expect("project loads");
        for stage in project.stages() {
            let p = dir.to_str().expect("a UTF-8 path");
            let target = out.path().join(name).join(&stage);
            let o = cws(&["openapi", "-p", p, "-s", &stage, "-o", target.to_str().expect("UTF-8")]);
            assert!(o.status.success(), "{}", text(&o.stderr));
            let routes = cws(&["routes", "-p", p, "-s", &stage, "--json"]);
            assert!(routes.status.success(), "{}", text(&routes.stderr));
            let routes: Value = serde_json::from_slice(&routes.stdout).expect("routes JSON");
            let services = routes["services"].as_array().expect("services");
            let written = std::fs::read_dir(&target).expect("the output directory").count();
            assert_eq!(written, services.len(), "one document per service in {name}/{stage}");
            for s in services {
                let service = s["name"].as_str().expect("a name");
                let file = target.join(format!("{service}.openapi.json"));
                let doc = json_of(&file);
                let served: BTreeSet<String> = s["entries"]
                    .as_array()
                    .expect("entries")
                    .iter()
                    .map(|e| {
                        format!(
                            "{} {}",
                            e["route"]["method"].as_str().unwrap(),
                            e["route"]["path"].as_str().unwrap()
                        )
                    })
                    .collect();
                assert_eq!(
                    operations(&doc),
                    served,
                    "{name}/{stage}/{service}: the routes `cws routes` prints"
                );
                assert_eq!(
                    (doc["info"]["title"].as_str(), doc["x-coworks"]["stage"].as_str()),
                    (Some(service), Some(stage.as_str()))
                );
                files.push(file);
            }
        }
    }
    assert_eq!(
        files.len(),
        3 * 3 + 2,
        "the example's three services in three stages, the fixture's one in two"
    );
    let verdicts = validate(&files);
    for f in &files {
        assert_eq!(verdicts[f.to_str().unwrap()], "ok", "{}", f.display());
    }
    // The stage decides the routes: the dev-only entries are in dev's documents only.
    let dev = operations(&json_of(&out.path().join("eshop/dev/billing.openapi.json")));
    let prod = operations(&json_of(&out.path().join("eshop/prod/billing.openapi.json")));
    assert_eq!(dev.difference(&prod).cloned().collect::<Vec<_>>(), ["GET /debug/state", "GET /slow"]);
}

#[test]
fn a_validator_that_can_fail_fails_a_broken_document() {
    // The check above cannot pass by accident: the same validator refuses a document the generator
    // never writes (a path parameter the path does not have).
    let dir = tempfile::tempdir().expect("a temporary directory");
    let p = support::example();
    let o = cws(&["openapi", "billing", "-p", p.to_str().unwrap(), "-s", "prod"]);
    let mut doc: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    doc["paths"]["/health"]["get"]["parameters"] =
        serde_json::json!([{"name": "nope", "in": "path", "required": true, "schema": {"type": "string"}}]);
    let file = dir.path().join("broken.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let verdicts = validate(std::slice::from_ref(&file));
    assert_ne!(verdicts[file.to_str().unwrap()], "ok", "{verdicts}");
}

#[test]
fn one_service_prints_its_document_and_every_service_is_written_into_the_project() {
    let p = support::example();
    let p = p.to_str().unwrap();
    let printed = cws(&["openapi", "billing", "-p", p, "-s", "test"]);
    assert!(printed.status.success(), "{}", text(&printed.stderr));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let o = cws(&["openapi", "billing", "-p", p, "-s", "test", "-o", dir.path().to_str().unwrap()]);
    assert!(o.status.success());
    let file = dir.path().join("billing.openapi.json");
    assert_eq!(
        text(&printed.stdout),
        std::fs::read_to_string(&file).unwrap(),
        "the printed document is the file's"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "one service, one file");
    assert!(text(&o.stdout).contains("billing.openapi.json"), "{}", text(&o.stdout));

    // Without `-o`, every service's document goes into the project's `openapi/`; the first stage.
    let copy = support::TempProject::copy_of(&support::example());
    let o = cws(&["openapi", "-p", copy.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    for s in ["billing", "catalog", "mailer"] {
        let doc = json_of(&copy.path().join("openapi").join(format!("{s}.openapi.json")));
        assert_eq!(doc["x-coworks"]["stage"], "dev");
    }
}

#[test]
fn unknown_services_and_stages_are_usage_errors() {
    let p = support::example();
    let p = p.to_str().unwrap();
    for (args, message) in [
        (vec!["openapi", "biling", "-p", p], "error: unknown service `biling`; did you mean `billing`?"),
        (
            vec!["openapi", "shop", "-p", p],
            "error: unknown service `shop`; the project's services are: billing, catalog, mailer",
        ),
        (
            vec!["openapi", "billing", "-p", p, "-s", "staging"],
            "error: unknown stage `staging`; the project's stages are: dev, test, prod",
        ),
        (vec!["openapi", "-p", p, "-s", "staging"], "error: unknown stage `staging`"),
    ] {
        let o = cws(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(text(&o.stderr).contains(message), "{args:?}: {}", text(&o.stderr));
        assert!(o.stdout.is_empty(), "nothing printed: {args:?}");
    }
}

#[test]
fn a_service_name_that_cannot_name_a_file_writes_nothing() {
    let source = "#[coworks::service(name = \"../up\")]\nimpl S {\n    #[entry]\n    fn get_x(&self) -> String { String::new() }\n}\n";
    let project = support::TempProject::new().file("project.cws.yml", "version: 3\n").service("s", source);
    let p = project.path().to_str().unwrap();
    let out = project.path().join("out");
    let o = cws(&["openapi", "-p", p, "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("service name \"../up\" cannot name a file (CWS050"),
        "{}",
        text(&o.stderr)
    );
    assert!(!out.exists() && !project.path().join("up.openapi.json").exists(), "nothing written");
    // Printed, the document is JSON data: the name is only a JSON string in it.
    let o = cws(&["openapi", "../up", "-p", p]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let doc: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(doc["info"]["title"], "../up");
    let o = cws(&["openapi", "../up", "-p", p, "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!out.exists(), "nothing written");
}
