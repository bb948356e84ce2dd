//! `cws` as a user runs it: the real binary, its output and its exit codes.

mod support;

use coworks_core::{Project, Severity};
use support::{cws, example, expected, fixture, text, TempProject};

#[test]
fn routes_lists_every_service_and_entry_of_the_example() {
    let ex = example();
    let o = cws(&["routes", "-p", ex.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    // One aligned table (piped: not wrapped), a row an entry.
    let rows: Vec<Vec<&str>> = out.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows[0], ["SERVICE", "METHOD", "PATH", "PARAMETERS", "AUTH", "STAGES", "RUST", "SOURCE"]);
    let header = out.lines().next().unwrap();
    let column = |name: &str| header.find(name).unwrap();
    for line in out.lines().skip(1) {
        assert_eq!(line[column("PATH")..].chars().next().map(|c| c == '/'), Some(true), "aligned: {line}");
    }
    for row in [
        ["billing", "GET", "/invoice/{id}", "id:", "u64", "(path)", "token", "all", "async", "fn"].as_slice(),
        &["billing", "GET", "/health", "-", "none", "all", "fn"],
        &["billing", "GET", "/debug/state", "-", "token", "dev", "fn"],
        &["mailer", "POST", "/send"],
        &["catalog", "GET", "/categories/{category}/products"],
        &["catalog", "PATCH", "/product/price/{sku}"],
    ] {
        assert!(rows.iter().any(|r| r.starts_with(row)), "missing {row:?} in\n{out}");
    }
    assert!(out.contains("services/billing/src/main.rs:"), "{out}");
}

#[test]
fn routes_of_two_services_hold_the_blueprint_they_mount() {
    let dir = fixture("rust_blueprints");
    let o = cws(&["routes", "-p", dir.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let routes = |name: &str| -> Vec<String> {
        let services = json["services"].as_array().unwrap();
        let service = services.iter().find(|s| s["name"] == name).unwrap();
        let entries = service["entries"].as_array().unwrap();
        entries
            .iter()
            .map(|e| format!("{} {}", e["route"]["method"], e["route"]["path"]).replace('"', ""))
            .collect()
    };
    assert_eq!(
        routes("catalog"),
        ["GET /items", "PUT /admin/cache/{key}", "GET /admin/status", "DELETE /admin/cache/{name}"]
    );
    assert_eq!(routes("orders"), ["GET /admin/status", "GET /admin/status", "DELETE /admin/cache/{name}"]);
    // Where a blueprint's entry is: in the blueprint's file.
    let catalog = json["services"].as_array().unwrap().iter().find(|s| s["name"] == "catalog").unwrap();
    assert_eq!(catalog["entries"][2]["location"]["file"], "shop/src/admin.rs");
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
    // get_slow and get_debug_state (dev) and get_outbox (dev, test) are not in prod.
    assert_eq!(count(&all) - count(&prod), 3);
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
    assert!(text(&o.stdout).contains("3 service(s), 18 entries: 0 error(s)"), "{}", text(&o.stdout));
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
            let mut args = vec!["check", "--message-format", "short", "-p", dir.to_str().unwrap()];
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
fn deployed_json_lists_every_stage_even_when_nothing_is_deployed() {
    // No terraform/.terraform: nothing deployed, and Terraform is not needed to say so.
    let ex = example();
    let o = cws(&["deployed", "-p", ex.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let stage = |name: &str| serde_json::json!({"stage": name, "deployed": false, "services": []});
    assert_eq!(v, serde_json::json!({"stages": [stage("dev"), stage("test"), stage("prod")]}));
    let o = cws(&["deployed", "-p", ex.to_str().unwrap(), "--json", "-s", "prod"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v, serde_json::json!({"stages": [stage("prod")]}));
    let o = cws(&["deployed", "-p", ex.to_str().unwrap(), "--json", "-s", "qa"]);
    assert_eq!(o.status.code(), Some(2), "an unknown stage is a usage error");
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
    // Every code, readable: the code and severity, the meaning, the fix.
    let o = cws(&["explain"]);
    let out = text(&o.stdout);
    assert!(
        out.starts_with("CODE")
            && out.contains("CWS001   Two entries")
            && out.contains("error    fix: Rename"),
        "{out}"
    );
    // The Markdown table is the one of docs/diagnostics.md.
    let o = cws(&["explain", "--markdown"]);
    assert_eq!(text(&o.stdout), coworks_core::diagnostics::markdown_table());
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

#[test]
fn help_describes_the_cli_and_its_exit_codes() {
    let o = cws(&["--help"]);
    let out = text(&o.stdout);
    assert!(out.starts_with("The CoWorks command line"), "{out}");
    assert!(out.contains("Exit codes: 0 success; 1 findings") && out.contains("2 a usage error"), "{out}");
    assert!(!out.contains("project model"), "not the core's description: {out}");
}

#[test]
fn check_shows_the_source_with_carets_and_colours_only_when_asked() {
    let dir = fixture("rust_duplicate_routes_across_files");
    let p = dir.to_str().unwrap();
    let o = cws(&["check", "-p", p]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1));
    let first = "error[CWS001]: `GET /item/{id}` of service `svc` is also answered by `get_item`\n --> src/main.rs:6:8\n  |\n6 |     fn get_item(&self, id: u64) {}\n  |        ^^^^^^^^\n  |\nnote: `get_item` answers `GET /item/{n}` too\n --> src/more.rs:4:8\n";
    assert!(out.starts_with(first), "{out}");
    assert!(!out.contains('\u{1b}'), "no colour in a pipe: {out}");
    let colored = |args: &[&str], env: &[(&str, &str)]| {
        let o = support::cws_command().args(args).envs(env.iter().copied()).output().unwrap();
        text(&o.stdout).contains("\u{1b}[")
    };
    assert!(colored(&["--color", "always", "check", "-p", p], &[]));
    assert!(colored(&["check", "-p", p], &[("CLICOLOR_FORCE", "1")]));
    assert!(!colored(&["check", "-p", p], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
    assert!(!colored(&["--color", "never", "check", "-p", p], &[("CLICOLOR_FORCE", "1")]));
}

#[test]
fn the_project_is_found_here_or_above_and_nowhere_else() {
    let copy = support::TempProject::copy_of(&example());
    let deep = copy.path().join("services/billing/src");
    let here = support::cws_command()
        .args(["check", "--message-format", "short"])
        .current_dir(&deep)
        .output()
        .unwrap();
    let there = cws(&["check", "--message-format", "short", "-p", copy.path().to_str().unwrap()]);
    assert_eq!(here.status.code(), Some(0), "{}", text(&here.stderr));
    assert_eq!(text(&here.stdout), text(&there.stdout));
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("main.rs"),
        "#[coworks::service]\nimpl A { #[entry] fn get(&self) {} }\n",
    )
    .unwrap();
    for args in [&["routes"][..], &["check"], &["deploy", "-s", "dev"], &["workflow", "build"]] {
        let o = support::cws_command().args(args).current_dir(outside.path()).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "cws {args:?}");
        assert_eq!(
            text(&o.stderr),
            "error: no project.cws.yml here or above; `cws new NAME` creates one\n",
            "cws {args:?}"
        );
        assert!(o.stdout.is_empty(), "nothing scanned: {}", text(&o.stdout));
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    use std::process::Stdio;
    // The reader goes away at once (as `head` does); cws stops without a panic or a message.
    let mut child = support::cws_command()
        .args(["explain"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stderr), "");
}

#[test]
fn completions_for_each_shell() {
    for (shell, marker) in
        [("bash", "complete -F _cws"), ("zsh", "#compdef cws"), ("fish", "complete -c cws")]
    {
        let o = cws(&["completions", shell]);
        assert!(o.status.success(), "{shell}");
        let out = text(&o.stdout);
        assert!(out.contains(marker) && out.contains("deploy") && out.contains("stage"), "{shell}: {out}");
    }
    assert_eq!(cws(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn new_service_keeps_the_project_file_as_written() {
    let copy = support::TempProject::copy_of(&example());
    let p = copy.path().to_str().unwrap();
    let before = std::fs::read_to_string(copy.path().join("project.cws.yml")).unwrap();
    let o = cws(&["new", "--service", "stock", "-p", p]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let after = std::fs::read_to_string(copy.path().join("project.cws.yml")).unwrap();
    let block = "  mailer:\n    path: services/mailer\n";
    assert_eq!(after, before.replace(block, &format!("{block}  stock:\n    path: services/stock\n")));
    let source = std::fs::read_to_string(copy.path().join("services/stock/src/main.rs")).unwrap();
    assert!(source.contains("#[coworks::service(name = \"stock\")]\nimpl Stock {"), "{source}");
    let routes = cws(&["routes", "--json", "-p", p]);
    let v: serde_json::Value = serde_json::from_slice(&routes.stdout).unwrap();
    assert!(v["services"].as_array().unwrap().iter().any(|s| s["name"] == "stock"), "{v}");
    // Refused: the same name again, a bad name, a project inside a project.
    for (args, message) in [
        (vec!["new", "--service", "stock", "-p", p], "already exists"),
        (vec!["new", "--service", "Stock!", "-p", p], "cannot name a service"),
        (vec!["new", "Bad Name"], "cannot name a project"),
    ] {
        let o = cws(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(text(&o.stderr).contains(message), "{args:?}: {}", text(&o.stderr));
    }
    let o = support::cws_command()
        .args(["new", "inner"])
        .current_dir(copy.path().join("services"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("cws new --service inner"), "{}", text(&o.stderr));
    assert!(!copy.path().join("services/inner").exists());
}

/// `cws routes | head -1`: the listing stops quietly when its reader goes away (exit 0, nothing on
/// stderr, no panic), in text and JSON.
#[test]
fn routes_into_a_closed_pipe_end_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    for json in [false, true] {
        let ex = example();
        let mut args = vec!["routes", "-p", ex.to_str().unwrap()];
        if json {
            args.push("--json");
        }
        let mut child =
            support::cws_command().args(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        // Read one line, as `head -1` does, then go away.
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 16];
        let _ = stdout.read(&mut first).unwrap();
        drop(stdout);
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        assert_eq!(text(&o.stderr), "", "no panic, no message");
    }
}

/// Every line `cws` prints goes through the output helper (`outln!`, `out!`, `errln!` in
/// `cli/src/output.rs`), which ends quietly on a closed pipe: no `println!` that would panic.
#[test]
fn all_printing_goes_through_the_output_helper() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == "output.rs") || path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for bad in ["println!", "print!(", "eprintln!", "eprint!("] {
            assert!(!text.contains(bad), "{} uses {bad}: write through crate::output", path.display());
        }
    }
}

/// A Rust file whose name is not UTF-8 (possible on Unix): its services are listed, the name shown
/// with U+FFFD, and no JSON answer fails.
#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_is_listed_lossily() {
    use std::os::unix::ffi::OsStrExt;
    let project = TempProject::new()
        .file("project.cws.yml", "version: 3\n")
        .file("Cargo.toml", "[package]\nname = \"odd\"\n");
    let name = std::ffi::OsStr::from_bytes(b"src/\xff\xfe.rs");
    std::fs::create_dir_all(project.path().join("src")).unwrap();
    std::fs::write(
        project.path().join(name),
        "pub struct S;\n#[coworks::service(name = \"odd\")]\nimpl S {\n    #[entry]\n    fn get(&self, #[body] b: String) -> String { b }\n}\n",
    )
    .unwrap();
    let p = project.path().to_str().unwrap();
    for (args, code) in [
        (&["routes", "--json", "-p", p][..], 0),
        (&["routes", "-p", p], 0),
        (&["check", "--json", "-p", p], 1),
        (&["check", "-p", p], 1),
    ] {
        let o = cws(args);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}", text(&o.stderr));
        assert!(text(&o.stdout).contains("src/\u{fffd}\u{fffd}.rs"), "{args:?}: {}", text(&o.stdout));
    }
    let o = cws(&["routes", "--json", "-p", p]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["services"][0]["name"], "odd");
}

/// The project's text cannot drive the terminal: control characters and bidirectional overrides in
/// file names and in messages (which quote the source) are printed as escapes, by `cws check` in
/// both formats and by `cws routes`.
#[cfg(unix)]
#[test]
fn terminal_escapes_in_the_project_are_printed_inert() {
    let hostile = "\u{1b}]0;owned\u{7}\u{1b}[2J\u{202e}";
    let source = format!(
        "pub struct S;\n#[coworks::service(name = \"s\")]\nimpl S {{\n    #[entry(stage = \"{}\")]\n    fn get(&self, #[body] b: String) -> String {{ b }}\n}}\n",
        "x\\u{1b}[31m"
    );
    let project = TempProject::new()
        .file("project.cws.yml", "version: 3\n")
        .file("Cargo.toml", "[package]\nname = \"s\"\n")
        .file(&format!("src/{hostile}.rs"), source);
    let p = project.path().to_str().unwrap();
    for args in
        [&["check", "-p", p][..], &["check", "--message-format", "short", "-p", p], &["routes", "-p", p]]
    {
        let o = cws(args);
        let out = format!("{}{}", text(&o.stdout), text(&o.stderr));
        assert!(out.contains(".rs"), "{args:?}: {out}");
        for c in ['\u{1b}', '\u{7}', '\u{202e}'] {
            assert!(!out.contains(c), "{args:?} printed {c:?}: {out:?}");
        }
    }
}
