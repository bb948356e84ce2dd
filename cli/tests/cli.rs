//! `cws` as a user runs it: the real binary, its output and its exit codes.

mod support;

use coworks_core::{Project, Severity};
use support::{cws, example, expected, fixture, text};

#[test]
fn routes_lists_every_service_and_entry_of_the_example() {
    let ex = example();
    let o = cws(&["routes", "-p", ex.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
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
    assert!(all.status.success() && prod.status.success(), "{}", text(&prod.stderr));
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
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).contains("3 service(s), 17 entries: 0 error(s)"), "{}", text(&o.stdout));
}

#[test]
fn check_prints_what_every_fixture_project_expects() {
    // The fixture projects' `expected.txt` is what `cws check [-s STAGE]` prints (see
    // core/tests/fixture_projects.rs); exit code 1 exactly when there is an error.
    for dir in support::fixture_projects() {
        let file = dir.join(expected::FILE);
        let sections =
            std::fs::read_to_string(&file).map_err(|e| e.to_string()).and_then(|t| expected::sections(&t));
        let sections = sections.unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let project = Project::load(&dir).unwrap();
        for (stage, output) in sections {
            let mut args = vec!["check", "-p", dir.to_str().unwrap()];
            args.extend(stage.as_deref().map(|s| ["-s", s]).into_iter().flatten());
            let o = cws(&args);
            assert_eq!(text(&o.stdout), output, "cws {}", args.join(" "));
            let errors = project.diagnostics(stage.as_deref()).iter().any(|d| d.severity == Severity::Error);
            assert_eq!(o.status.code(), Some(if errors { 1 } else { 0 }), "cws {}", args.join(" "));
        }
    }
}

#[test]
fn check_fix_applies_the_safe_fixes_then_the_project_is_clean() {
    let copy = support::TempProject::copy_of(&fixture("safe_fixes"));
    let dir = copy.path().to_str().unwrap();
    let before = cws(&["check", "-p", dir]);
    assert_eq!(before.status.code(), Some(1));
    let fixed = cws(&["check", "--fix", "-p", dir]);
    let out = text(&fixed.stdout);
    assert_eq!(fixed.status.code(), Some(0), "{out}{}", text(&fixed.stderr));
    let lines: Vec<&str> = out.lines().collect();
    // What was changed, one line each (a fix another reveals comes in a later pass), then the check.
    assert!(lines.contains(&"fixed project.cws.yml:1:1: [CWS011] Add `version: 3`"), "{out}");
    assert!(lines.contains(&"fixed src/main.rs:14:13: [CWS008] Replace `stags` with `stages`"), "{out}");
    assert!(
        lines.contains(&"fixed project.cws.yml:13:13: [CWS014] Set `memory` to 10240 (the largest allowed)"),
        "{out}"
    );
    assert_eq!(lines.iter().filter(|l| l.starts_with("fixed ")).count(), 14, "{out}");
    assert_eq!(lines.last(), Some(&"1 service(s), 2 entries: 0 error(s), 0 warning(s)"));
    let config = std::fs::read_to_string(copy.path().join("project.cws.yml")).unwrap();
    assert!(
        config.starts_with("version: 3\n# Every problem")
            && config.contains("commands:\n  run:\n    port: 8001\n"),
        "{config}"
    );
    let source = std::fs::read_to_string(copy.path().join("src/main.rs")).unwrap();
    assert!(source.contains("#[entry(stage = \"prod\")]\n    fn get_x(&self) -> u64"), "{source}");
    // Clean now: a second run changes nothing.
    let again = cws(&["check", "--fix", "-p", dir]);
    assert_eq!(text(&again.stdout), "1 service(s), 2 entries: 0 error(s), 0 warning(s)\n");
    assert_eq!(again.status.code(), Some(0));
}

#[test]
fn check_json_has_the_fixes() {
    let dir = fixture("config_unknown_key");
    let o = cws(&["check", "-p", dir.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let fix = &v["diagnostics"][0]["fixes"][0];
    assert_eq!(fix["title"], "Replace `comands` with `commands`");
    assert_eq!(fix["safe"], true);
    let edit = &fix["edits"][0];
    assert_eq!(edit["file"], "project.cws.yml");
    let config = std::fs::read_to_string(dir.join("project.cws.yml")).unwrap();
    let (start, end) =
        (edit["range"]["start"].as_u64().unwrap() as usize, edit["range"]["end"].as_u64().unwrap() as usize);
    assert_eq!(&config[start..end], "comands");
    assert_eq!(edit["new_text"], "commands");
    // `--fix --json` lists what it applied.
    let copy = support::TempProject::copy_of(&dir);
    let o = cws(&["check", "--fix", "-p", copy.path().to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["fixed"][0]["title"], "Replace `comands` with `commands`");
    assert_eq!(v["errors"], 0);
}

#[test]
fn check_json_has_the_counts_and_the_diagnostics() {
    let dir = fixture("rust_bodies");
    let o = cws(&["check", "-p", dir.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((v["errors"].as_u64(), v["warnings"].as_u64()), (Some(3), Some(0)));
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "CWS004");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["file"], "src/main.rs");
    assert_eq!(d["span"]["start"]["line"], 5);
    assert_eq!(d["span"]["start"]["col"], 20);
    assert_eq!(v["diagnostics"][2]["related"][0]["span"]["start"]["col"], 21);
}

#[test]
fn bad_arguments_exit_2_with_a_message() {
    let o = cws(&["routes", "--frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--frobnicate"), "{}", text(&o.stderr));
    let o = cws(&["nonsense"]);
    assert_eq!(o.status.code(), Some(2));
    let o = cws(&["check", "-p", "/no/such/dir"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("cannot read project directory `/no/such/dir`"), "{}", text(&o.stderr));
    let ex = example();
    let o = cws(&["routes", "-p", ex.to_str().unwrap(), "-s", "qa"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("unknown stage `qa`"), "{}", text(&o.stderr));
}

#[test]
fn version_help_and_explain() {
    let o = cws(&["--version"]);
    assert!(o.status.success());
    assert_eq!(text(&o.stdout).trim(), format!("cws {}", env!("CARGO_PKG_VERSION")));
    for cmd in ["routes", "check", "explain"] {
        let o = cws(&[cmd, "--help"]);
        assert!(o.status.success(), "{cmd} --help");
        assert!(text(&o.stdout).contains("Usage: cws"), "{cmd}");
    }
    let o = cws(&["explain", "cws001"]);
    assert!(o.status.success());
    assert!(text(&o.stdout).starts_with("CWS001 (error): Two entries"), "{}", text(&o.stdout));
    let o = cws(&["explain", "CWS999"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn config_shows_effective_options_with_their_origin() {
    let ex = example();
    let o = cws(&["config", "-p", ex.to_str().unwrap(), "-s", "prod", "--service", "billing"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
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
