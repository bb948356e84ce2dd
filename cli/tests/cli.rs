//! `cws` as a user runs it: the real binary, its output and its exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/eshop")
}

fn cws(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cws")).args(args).output().expect("cws runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn routes_lists_every_service_and_entry_of_the_example() {
    let ex = example();
    let o = cws(&["routes", "-p", ex.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for line in [
        "billing (Billing, services/billing)",
        "GET     /invoice/{id}",
        "POST    /send",
        "GET     /categories/{category}/products",
        "PATCH   /product/price/{sku}",
    ] {
        assert!(out.contains(line), "missing `{line}` in\n{out}");
    }
    assert!(out.contains("(no_auth; all stages) services/billing/src/main.rs:"), "{out}");
    assert!(out.contains("(token; dev) services/billing/src/main.rs:"), "{out}");
}

#[test]
fn routes_json_follows_the_stage() {
    let ex = example();
    let all = cws(&["routes", "-p", ex.to_str().unwrap(), "--json"]);
    let prod = cws(&["routes", "-p", ex.to_str().unwrap(), "--json", "-s", "prod"]);
    assert!(all.status.success() && prod.status.success(), "{}", stderr(&prod));
    let all: serde_json::Value = serde_json::from_slice(&all.stdout).unwrap();
    let prod: serde_json::Value = serde_json::from_slice(&prod.stdout).unwrap();
    let count = |v: &serde_json::Value| {
        v["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["entries"].as_array().unwrap().len())
            .sum::<usize>()
    };
    assert_eq!(prod["stage"], "prod");
    // get_debug_state (dev) and get_outbox (dev, test) are not in prod.
    assert_eq!(count(&all) - count(&prod), 2);
    let billing = &all["services"][0];
    assert_eq!(billing["name"], "billing");
    let get_invoice = &billing["entries"][0];
    assert_eq!(get_invoice["route"], serde_json::json!({"method": "GET", "path": "/invoice/{id}"}));
    assert_eq!(get_invoice["params"][0], serde_json::json!({"name": "id", "type": "u64", "source": "path"}));
    assert_eq!(get_invoice["auth"], "token");
    assert_eq!(get_invoice["location"]["file"], "services/billing/src/main.rs");
}

#[test]
fn check_passes_on_the_example() {
    let ex = example();
    let o = cws(&["check", "-p", ex.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("3 service(s), 17 entries: 0 error(s)"), "{}", stdout(&o));
}

#[test]
fn check_reports_errors_like_rustc_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("project.cws.yml"), "version: 3\n").unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("src/main.rs"),
        "struct S;\n#[coworks::service]\nimpl S {\n    #[entry]\n    fn get_a(&self, #[body] b: B) {}\n}\n",
    )
    .unwrap();
    let o = cws(&["check", "-p", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("src/main.rs:5:21: error[CWS004]: `#[body]` on a GET entry"),
        "{}",
        stdout(&o)
    );
    let o = cws(&["check", "-p", dir.path().to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["errors"], 1);
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "CWS004");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["span"]["start"]["line"], 4);
    assert_eq!(d["span"]["start"]["col"], 20);
}

#[test]
fn bad_arguments_exit_2_with_a_message() {
    let o = cws(&["routes", "--frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--frobnicate"), "{}", stderr(&o));
    let o = cws(&["nonsense"]);
    assert_eq!(o.status.code(), Some(2));
    let o = cws(&["check", "-p", "/no/such/dir"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read project directory `/no/such/dir`"), "{}", stderr(&o));
    let ex = example();
    let o = cws(&["routes", "-p", ex.to_str().unwrap(), "-s", "qa"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown stage `qa`"), "{}", stderr(&o));
}

#[test]
fn version_help_and_explain() {
    let o = cws(&["--version"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o).trim(), format!("cws {}", env!("CARGO_PKG_VERSION")));
    for cmd in ["routes", "check", "explain"] {
        let o = cws(&[cmd, "--help"]);
        assert!(o.status.success(), "{cmd} --help");
        assert!(stdout(&o).contains("Usage: cws"), "{cmd}");
    }
    let o = cws(&["explain", "cws001"]);
    assert!(o.status.success());
    assert!(stdout(&o).starts_with("CWS001 (error): Two entries"), "{}", stdout(&o));
    let o = cws(&["explain", "CWS999"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn config_shows_effective_options_with_their_origin() {
    let ex = example();
    let o = cws(&["config", "-p", ex.to_str().unwrap(), "-s", "prod", "--service", "billing"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("deploy.memory = 512  (services.<service>.commands, project.cws.yml:10)"), "{out}");
    assert!(out.contains("deploy.tracing = true  (workspaces.<stage>.commands"), "{out}");
    let o = cws(&["config", "-p", ex.to_str().unwrap(), "-s", "dev", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["commands"]["run"]["port"]["value"], 8001);
    assert_eq!(v["commands"]["run"]["port"]["origin"], "workspace");
    assert_eq!(v["commands"]["deploy"]["memory"]["value"], 256);
    let o = cws(&["config", "-p", ex.to_str().unwrap(), "--service", "nope"]);
    assert_eq!(o.status.code(), Some(2));
}
