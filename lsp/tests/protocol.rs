//! The language server over real JSON-RPC on stdio: the binary is spawned and spoken to like an editor.

mod support;

use coworks_core::{DiagnosticCode, Project};
use serde_json::{json, Value};
use support::{eshop_copy, eshop_session, file_uri, pos_of, Client};

const BIN: &str = env!("CARGO_BIN_EXE_coworks-lsp");

fn codes(diags: &[Value]) -> Vec<String> {
    diags.iter().map(|d| d["code"].as_str().unwrap_or("").to_string()).collect()
}

fn has(code: DiagnosticCode) -> impl Fn(&[Value]) -> bool {
    move |d: &[Value]| codes(d).iter().any(|c| c == code.as_str())
}

fn lacks(code: DiagnosticCode) -> impl Fn(&[Value]) -> bool {
    move |d: &[Value]| !codes(d).iter().any(|c| c == code.as_str())
}

fn range(l0: u32, c0: u32, l1: u32, c1: u32) -> Value {
    json!({"start": {"line": l0, "character": c0}, "end": {"line": l1, "character": c1}})
}

#[test]
fn initialize_announces_capabilities_and_shutdown_exits_cleanly() {
    let (_dir, root) = eshop_copy();
    let mut c = Client::spawn(BIN);
    let init = c.initialize(&root, json!({}));
    let caps = &init["capabilities"];
    assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental sync");
    assert_eq!(caps["positionEncoding"], "utf-16");
    assert_eq!(caps["hoverProvider"], true);
    assert_eq!(caps["codeLensProvider"]["resolveProvider"], false);
    assert_eq!(caps["documentSymbolProvider"], true);
    assert_eq!(caps["workspaceSymbolProvider"], true);
    let commands: Vec<&str> = caps["executeCommandProvider"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        commands,
        [
            "coworks.run",
            "coworks.deploy",
            "coworks.invoke",
            "coworks.routes",
            "coworks.check",
            "coworks.build",
            "coworks.deployed",
            "coworks.debug",
            "coworks.runWorkflow",
            "coworks.showReferences"
        ]
    );
    let custom = &caps["experimental"]["coworks"];
    assert!(custom["customRequests"].as_array().unwrap().contains(&json!("coworks/projectTree")), "{custom}");
    assert_eq!(custom["projectNotification"], "coworks/projectChanged");
    // Where `cws workflow run` keeps last runs, decided by the core: the editor watches it.
    assert_eq!(custom["lastRunsGlob"], coworks_core::layout::last_runs_glob());
    assert_eq!(init["serverInfo"]["name"], "coworks-lsp");
    // The server asks to watch the project files (the client said it supports dynamic registration).
    let reg = c.wait_for(|m| m["method"] == "client/registerCapability").expect("registration");
    let reg = &reg["params"]["registrations"][0];
    assert_eq!(reg["method"], "workspace/didChangeWatchedFiles");
    let globs: Vec<&str> = reg["registerOptions"]["watchers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["globPattern"].as_str())
        .collect();
    assert!(globs.contains(&"**/*.rs") && globs.contains(&"**/project.cws.yml"), "{globs:?}");
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn exit_without_shutdown_exits_with_1() {
    let (_dir, _root, mut c) = eshop_session(BIN, json!({}));
    c.notify("exit", Value::Null);
    assert_eq!(c.wait_exit(), Some(1));
}

#[test]
fn diagnostics_on_open_have_utf16_ranges() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    let text = "/// Ünïcödé 請求\n#[coworks::service]\nimpl Billing {\n    /* é😀 */ #[entry] fn get_thing(&self, #[body] b: String) -> String { b }\n}\n";
    let uri = file_uri(&root.join("services/billing/src/extra.rs"));
    c.open(&uri, text);
    let diags = c.diagnostics_until(&uri, has(DiagnosticCode::BodyOnGetOrDelete));
    let d = diags.iter().find(|d| d["code"] == "CWS004").unwrap();
    let (l, col) = pos_of(text, "#[body] b: String");
    assert_eq!((l, col), (3, 43), "é is 1 UTF-16 unit, 😀 two");
    assert_eq!(d["range"], range(l, col, l, col + "#[body] b: String".len() as u32));
    assert_eq!(d["severity"], 1);
    assert_eq!(d["source"], "coworks");
    c.shutdown();
}

#[test]
fn incremental_edits_break_then_fix_the_code() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    let path = root.join("services/billing/src/main.rs");
    let text = std::fs::read_to_string(&path).unwrap();
    let uri = file_uri(&path);
    c.open(&uri, &text);
    let first = c.diagnostics_until(&uri, |_| true);
    assert!(lacks(DiagnosticCode::BodyOnGetOrDelete)(&first), "{first:?}");

    // Type `#[body] ` before `id: u64` of get_invoice: a body on a GET entry.
    let (l, col) = pos_of(&text, "id: u64, ctx: &Context) -> Result<Json<Invoice>");
    for (i, ch) in "#[body] ".chars().enumerate() {
        let at = col + i as u32;
        c.edit(&uri, 2 + i as i64, (l, at), (l, at), &ch.to_string());
    }
    let broken = c.diagnostics_at_version(&uri, 9);
    assert!(has(DiagnosticCode::BodyOnGetOrDelete)(&broken), "{broken:?}");
    let d = broken.iter().find(|d| d["code"] == "CWS004").unwrap();
    assert_eq!(d["range"]["start"], json!({"line": l, "character": col}));

    // A syntax error: the file is read by the tolerant parser.
    let (bl, bc) = pos_of(&text, "fn main()");
    c.edit(&uri, 10, (bl, bc), (bl, bc), "fn oops( {\n");
    let tolerated = c.diagnostics_at_version(&uri, 10);
    assert!(has(DiagnosticCode::SyntaxTolerated)(&tolerated), "{tolerated:?}");

    // Undo both: delete the inserted line, then the attribute.
    c.edit(&uri, 11, (bl, 0), (bl + 1, 0), "");
    c.edit(&uri, 12, (l, col), (l, col + 8), "");
    let fixed = c.diagnostics_at_version(&uri, 12);
    assert!(
        lacks(DiagnosticCode::BodyOnGetOrDelete)(&fixed) && lacks(DiagnosticCode::SyntaxTolerated)(&fixed),
        "{fixed:?}"
    );
    c.shutdown();
}

#[test]
fn edits_apply_in_the_order_sent_and_stale_versions_are_dropped() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    let uri = file_uri(&root.join("services/billing/src/extra.rs"));
    c.open(&uri, "#[coworks::service]\nimpl Billing {\n    #[entry] fn get_x(&self) {}\n}\n");
    c.diagnostics_until(&uri, |_| true);
    // A burst of edits, versions skipping numbers (as Neovim's changedtick does): `get_x` → `get_zx`
    // → `get_yx` → `get_yxw`. Applied in another order, the name would differ.
    c.edit(&uri, 4, (2, 20), (2, 20), "z");
    c.edit(&uri, 6, (2, 20), (2, 21), "y");
    c.edit(&uri, 9, (2, 22), (2, 22), "w");
    // Stale: a version not above the document's is not applied.
    c.edit(&uri, 9, (2, 20), (2, 23), "STALE");
    c.diagnostics_at_version(&uri, 9);
    let lenses = c.call("textDocument/codeLens", json!({"textDocument": {"uri": uri}}));
    let titles: Vec<&str> =
        lenses.as_array().unwrap().iter().filter_map(|l| l["command"]["title"].as_str()).collect();
    assert!(titles.contains(&"Invoke GET /yxw"), "{titles:?}");
    c.shutdown();
}

#[test]
fn cross_file_duplicate_routes_appear_and_clear_in_both_files() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    let main_path = root.join("services/billing/src/main.rs");
    let main_text = std::fs::read_to_string(&main_path).unwrap();
    let main_uri = file_uri(&main_path);
    let dup_uri = file_uri(&root.join("services/billing/src/health.rs"));
    c.open(&main_uri, &main_text);
    c.diagnostics_until(&main_uri, |_| true);

    let dup = "#[coworks::service]\nimpl Billing {\n    #[entry(no_auth)] fn get_health(&self) -> &'static str { \"fine\" }\n}\n";
    c.open(&dup_uri, dup);
    let in_dup = c.diagnostics_until(&dup_uri, has(DiagnosticCode::DuplicateRoute));
    let in_main = c.diagnostics_until(&main_uri, has(DiagnosticCode::DuplicateRoute));
    // Each points at the other file.
    let related = |d: &[Value]| {
        d.iter().find(|x| x["code"] == "CWS001").unwrap()["relatedInformation"][0]["location"]["uri"].clone()
    };
    assert_eq!(related(&in_dup), json!(main_uri));
    assert_eq!(related(&in_main), json!(dup_uri));
    let (l, col) = pos_of(dup, "get_health");
    assert_eq!(in_dup.iter().find(|x| x["code"] == "CWS001").unwrap()["range"], range(l, col, l, col + 10));

    // Fixing it in one file clears both.
    c.edit(&dup_uri, 2, (l, col + 10), (l, col + 10), "z");
    c.diagnostics_until(&dup_uri, lacks(DiagnosticCode::DuplicateRoute));
    c.diagnostics_until(&main_uri, lacks(DiagnosticCode::DuplicateRoute));

    // Breaking it from the other file shows it in both again; fixing it there clears both.
    let (ml, mc) = pos_of(&main_text, "get_health");
    c.edit(&main_uri, 2, (ml, mc + 10), (ml, mc + 10), "z");
    c.diagnostics_until(&main_uri, has(DiagnosticCode::DuplicateRoute));
    c.diagnostics_until(&dup_uri, has(DiagnosticCode::DuplicateRoute));
    c.edit(&main_uri, 3, (ml, mc + 10), (ml, mc + 11), "");
    c.diagnostics_until(&main_uri, lacks(DiagnosticCode::DuplicateRoute));
    c.diagnostics_until(&dup_uri, lacks(DiagnosticCode::DuplicateRoute));
    c.shutdown();
}

#[test]
fn blueprint_entries_have_an_invoke_lens_per_service_mounting_them() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    let admin = file_uri(&root.join("services/billing/src/admin.rs"));
    let blueprint = "#[derive(Default)]\npub struct Admin;\n#[coworks::blueprint]\nimpl Admin {\n    #[entry(no_auth)] fn get_status(&self) -> &'static str { \"ok\" }\n}\n";
    c.open(&admin, blueprint);
    let mount = file_uri(&root.join("services/billing/src/mount.rs"));
    c.open(
        &mount,
        "#[coworks::service(blueprints(Admin = \"/admin\", Admin = \"/ops\"))]\nimpl Billing {}\n",
    );
    c.diagnostics_until(&mount, |_| true);
    let lenses = c.call("textDocument/codeLens", json!({"textDocument": {"uri": admin}}));
    let lenses = lenses.as_array().unwrap();
    let titles: Vec<&str> = lenses.iter().filter_map(|l| l["command"]["title"].as_str()).collect();
    assert_eq!(titles, ["Invoke GET /admin/status (billing)", "Invoke GET /ops/status (billing)"]);
    let stage = Project::load(&root).unwrap().stages()[0].clone();
    let arg = &lenses[0]["command"]["arguments"][0];
    assert_eq!(arg["command"], format!("cws invoke -s {stage} -- billing GET /admin/status"));
    assert_eq!(lenses[0]["range"]["start"]["line"], 4);
    let hover = c.call(
        "textDocument/hover",
        json!({"textDocument": {"uri": admin}, "position": {"line": 4, "character": 30}}),
    );
    let md = hover["contents"]["value"].as_str().unwrap();
    assert!(md.starts_with("**`GET /status`** — entry `get_status` of blueprint `Admin`"), "{md}");
    assert!(
        md.contains(
            "- served as `GET /admin/status` by `billing`\n- served as `GET /ops/status` by `billing`"
        ),
        "{md}"
    );
    c.shutdown();
}

#[test]
fn a_large_project_shows_what_an_open_file_says_on_its_own_before_the_projects_diagnostics() {
    let (_dir, root) = eshop_copy();
    // Enough other Rust files that the open file's own diagnostics are published while loading.
    let filler = root.join("services/catalog/src/filler");
    std::fs::create_dir_all(&filler).unwrap();
    for i in 0..coworks_lsp::analysis::EARLY_DIAGNOSTICS_AFTER + 1_000 {
        std::fs::write(filler.join(format!("f{i}.rs")), format!("pub fn f{i}() {{}}\n")).unwrap();
    }
    // A GET entry with a body (the file's own CWS004) that repeats main.rs's route (CWS001, a
    // cross-file check).
    let path = root.join("services/billing/src/health.rs");
    let text = "#[coworks::service]\nimpl Billing {\n    #[entry(no_auth)] fn get_health(&self) -> &'static str { \"fine\" }\n    #[entry] fn get_thing(&self, #[body] b: String) {}\n}\n";
    std::fs::write(&path, text).unwrap();
    let uri = file_uri(&path);
    let mut c = Client::spawn(BIN);
    c.initialize(&root, json!({}));
    c.open(&uri, text);
    let first = c.diagnostics_at_version(&uri, 1);
    assert!(has(DiagnosticCode::BodyOnGetOrDelete)(&first), "{first:?}");
    assert!(lacks(DiagnosticCode::DuplicateRoute)(&first), "{first:?}");
    // Then the project's: the same, with the cross-file ones.
    let loaded = c.diagnostics_until(&uri, has(DiagnosticCode::DuplicateRoute));
    assert!(has(DiagnosticCode::BodyOnGetOrDelete)(&loaded), "{loaded:?}");
    c.shutdown();
}

#[test]
fn files_changed_on_disk_are_picked_up() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    let main_path = root.join("services/billing/src/main.rs");
    let main_uri = file_uri(&main_path);
    c.open(&main_uri, &std::fs::read_to_string(&main_path).unwrap());
    c.diagnostics_until(&main_uri, |_| true);
    let other = root.join("services/billing/src/probe.rs");
    std::fs::write(&other, "#[coworks::service]\nimpl Billing {\n    #[entry] fn get_health(&self) {}\n}\n")
        .unwrap();
    c.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": file_uri(&other), "type": 1}]}));
    c.diagnostics_until(&main_uri, has(DiagnosticCode::DuplicateRoute));
    let other_diags = c.diagnostics_until(&file_uri(&other), has(DiagnosticCode::DuplicateRoute));
    assert!(other_diags[0]["range"]["start"]["line"] == 2);
    std::fs::remove_file(&other).unwrap();
    c.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": file_uri(&other), "type": 3}]}));
    c.diagnostics_until(&main_uri, lacks(DiagnosticCode::DuplicateRoute));
    c.diagnostics_until(&file_uri(&other), |d| d.is_empty());
    c.shutdown();
}

#[test]
fn code_lenses_carry_commands_that_map_to_cws_lines() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({"debugLens": true}));
    let (uri, text) = c.open_file(&root, "services/billing/src/main.rs");
    let lenses = c.call("textDocument/codeLens", json!({"textDocument": {"uri": uri}}));
    let lenses = lenses.as_array().unwrap();
    let titles: Vec<&str> = lenses.iter().filter_map(|l| l["command"]["title"].as_str()).collect();
    let stage = Project::load(&root).unwrap().stages()[0].clone();
    assert_eq!(titles[0], "▶ Run");
    assert_eq!(titles[1], "Debug");
    assert_eq!(titles[2], format!("Deploy ({stage})"));
    assert_eq!(titles[3], "8 routes");
    assert!(titles.contains(&"Invoke GET /invoice/{id}"), "{titles:?}");
    // The lenses sit above the item, its doc comment included.
    assert_eq!(lenses[0]["range"]["start"]["line"], pos_of(&text, "/// Invoices of the e-shop: create").0);
    let invoke = lenses.iter().find(|l| l["command"]["title"] == "Invoke GET /invoice/{id}").unwrap();
    assert_eq!(invoke["range"]["start"]["line"], pos_of(&text, "/// One invoice by its number.").0);

    // Each lens carries its resolved command line and where to run it: clients build none.
    let arg = &invoke["command"]["arguments"][0];
    assert_eq!(arg["command"], format!("cws invoke -s {stage} -- billing GET '/invoice/{{id}}'"));
    assert_eq!(arg["argv"], json!(["cws", "invoke", "-s", stage, "--", "billing", "GET", "/invoice/{id}"]));
    assert_eq!(arg["cwd"], root.display().to_string());
    assert_eq!(
        arg["route"],
        json!({"method": "GET", "path": "/invoice/{id}", "path_params": ["id"], "query": [], "body": false})
    );
    let line = |l: &Value| l["command"]["arguments"][0]["command"].as_str().unwrap().to_string();
    assert_eq!(line(&lenses[0]), format!("cws run -s {stage} -- billing"));
    assert_eq!(
        line(&lenses[1]),
        "cargo build --manifest-path services/billing/Cargo.toml --message-format=json-render-diagnostics"
    );
    assert!(lenses[1]["command"]["arguments"][0].get("debug").is_none(), "a lens carries no environment");
    assert_eq!(line(&lenses[2]), format!("cws deploy -s {stage} -- billing"));
    assert_eq!(line(&lenses[3]), format!("cws routes -s {stage} --json"));

    // executeCommand re-checks a lens argument, or an action the client filled in, and answers the line.
    let run = |c: &mut Client, command: &Value, argument: Value| {
        c.request("workspace/executeCommand", json!({"command": command, "arguments": [argument]}))
    };
    assert_eq!(run(&mut c, &invoke["command"]["command"], arg.clone())["result"], *arg);
    let filled = json!({"action": {"action": "invoke", "service": "billing", "method": "GET", "path": "/invoice/42",
        "stage": stage, "query": [["page", "2"]], "json": "{\"a\": 1}"}});
    let out = run(&mut c, &json!("coworks.invoke"), filled)["result"].clone();
    assert_eq!(
        out["argv"],
        json!([
            "cws",
            "invoke",
            "-s",
            stage,
            "--query",
            "page=2",
            "--json",
            "{\"a\": 1}",
            "--",
            "billing",
            "GET",
            "/invoice/42"
        ])
    );

    // Actions that do not match the project are refused with the reason.
    let bad = run(
        &mut c,
        &json!("coworks.invoke"),
        json!({"action": {"action": "invoke", "service": "billing", "method": "GET", "path": "/nope", "stage": stage}}),
    );
    assert_eq!(bad["error"]["code"], -32602);
    assert!(bad["error"]["message"].as_str().unwrap().contains("no entry `GET /nope`"), "{bad}");
    let hostile = run(
        &mut c,
        &json!("coworks.run"),
        json!({"action": {"action": "run", "service": "--endpoint=http://x", "stage": stage}}),
    );
    assert!(hostile["error"]["message"].as_str().unwrap().contains("not a valid service name"), "{hostile}");
    let mismatch = run(
        &mut c,
        &json!("coworks.deploy"),
        json!({"action": {"action": "run", "service": "billing", "stage": stage}}),
    );
    assert_eq!(mismatch["error"]["code"], -32602);
    let check = run(&mut c, &json!("coworks.check"), json!({"action": {"action": "check", "stage": null}}));
    assert_eq!(check["result"]["argv"], json!(["cws", "check"]));

    // A workflow file: `▶ Run workflow` at its top runs it locally in the stage.
    let (wf_uri, _) = c.open_file(&root, "workflows/invoicing.cws.yml");
    let wf_lenses = c.call("textDocument/codeLens", json!({"textDocument": {"uri": wf_uri}}));
    let wf_lens = &wf_lenses.as_array().unwrap()[0];
    assert_eq!(wf_lenses.as_array().unwrap().len(), 1, "{wf_lenses}");
    assert_eq!(wf_lens["command"]["title"], "▶ Run workflow");
    assert_eq!(wf_lens["command"]["command"], "coworks.runWorkflow");
    assert_eq!(wf_lens["range"]["start"]["line"], 0);
    let wf_arg = &wf_lens["command"]["arguments"][0];
    assert_eq!(
        wf_arg["argv"],
        json!(["cws", "workflow", "run", "-s", stage, "--", "workflows/invoicing.cws.yml"])
    );
    assert_eq!(wf_arg["cwd"], root.display().to_string());
    assert_eq!(run(&mut c, &json!("coworks.runWorkflow"), wf_arg.clone())["result"], *wf_arg);
    let not_a_workflow = run(
        &mut c,
        &json!("coworks.runWorkflow"),
        json!({"action": {"action": "workflow", "file": "workflows/nope.cws.yml", "stage": stage}}),
    );
    assert!(
        not_a_workflow["error"]["message"].as_str().unwrap().contains("is not a workflow"),
        "{not_a_workflow}"
    );
    let unknown = c.request("workspace/executeCommand", json!({"command": "coworks.fly", "arguments": []}));
    assert_eq!(unknown["error"]["code"], -32602);
    c.shutdown();
}

/// A cloned repository's service names are never part of a command line: names that a shell would
/// expand (`{a..c}`, `$(...)`) or `cws` would read as an option (`--endpoint=...`) get `CWS050` and
/// no lens, while valid services of the same file keep theirs.
#[test]
fn hostile_service_names_never_reach_a_command_line() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    let hostile = ["--endpoint=http://evil.invalid", "{a..c}", "$(touch pwned)", "a;b", "-x"];
    let mut text = String::new();
    for (i, name) in hostile.iter().enumerate() {
        text.push_str(&format!(
            "pub struct S{i};\n#[coworks::service(name = {name:?})]\nimpl S{i} {{\n    #[entry]\n    fn get_thing(&self) -> String {{ String::new() }}\n}}\n"
        ));
    }
    text.push_str("pub struct Fine;\n#[coworks::service(name = \"fine\")]\nimpl Fine {\n    #[entry]\n    fn get_thing(&self) -> String { String::new() }\n}\n");
    std::fs::create_dir_all(root.join("services/evil/src")).unwrap();
    std::fs::write(root.join("services/evil/Cargo.toml"), "[package]\nname = \"evil\"\n").unwrap();
    let path = root.join("services/evil/src/main.rs");
    std::fs::write(&path, &text).unwrap();
    let uri = file_uri(&path);
    c.open(&uri, &text);
    let diags = c.diagnostics_until(&uri, |d| {
        codes(d).iter().filter(|c| *c == DiagnosticCode::BadServiceName.as_str()).count() == hostile.len()
    });
    assert_eq!(diags.len(), hostile.len(), "{diags:?}");
    let lenses = c.call("textDocument/codeLens", json!({"textDocument": {"uri": uri}}));
    let lines: Vec<String> = lenses
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["command"]["arguments"][0]["argv"].as_array())
        .map(|argv| argv.iter().map(|a| a.as_str().unwrap().to_string()).collect::<Vec<_>>().join(" "))
        .collect();
    assert!(lines.iter().any(|l| l.ends_with("-- fine")), "the valid service keeps its lenses: {lines:?}");
    for line in &lines {
        for name in hostile {
            assert!(!line.contains(name), "{name:?} reached {line:?}");
        }
    }
    let routes = c.call("coworks/routes", json!({}));
    assert!(routes["services"].as_array().unwrap().iter().any(|s| s["name"] == "fine"));
    c.shutdown();
}

#[test]
fn the_stage_option_chooses_the_lens_stage() {
    let (_dir, root) = eshop_copy();
    let stages = Project::load(&root).unwrap().stages();
    let stage = stages.last().unwrap().clone();
    let mut c = Client::spawn(BIN);
    c.initialize(&root, json!({"stage": stage}));
    let (uri, _) = c.open_file(&root, "services/catalog/src/products.rs");
    let lenses = c.call("textDocument/codeLens", json!({"textDocument": {"uri": uri}}));
    assert_eq!(lenses[1]["command"]["title"], format!("Deploy ({stage})"), "no Debug lens: not asked for");
    c.shutdown();
}

#[test]
fn the_server_owns_the_stage_and_tells_the_client() {
    let (_dir, root) = eshop_copy();
    let mut c = Client::spawn(BIN);
    let init = c.initialize(&root, json!({"stage": "dev"}));
    let coworks = &init["capabilities"]["experimental"]["coworks"];
    assert_eq!(coworks["stageChange"], "coworks/setStage");
    assert_eq!(coworks["stageNotification"], "coworks/stageChanged");
    assert!(coworks["customRequests"].as_array().unwrap().contains(&json!("coworks/stages")));
    assert!(coworks["customRequests"].as_array().unwrap().contains(&json!("coworks/openapi")));
    let all = json!([
        {"name": "dev", "production": false},
        {"name": "test", "production": false},
        {"name": "prod", "production": true},
    ]);
    // Once loaded, the server announces the stage it uses.
    let told = c.wait_for(|m| m["method"] == "coworks/stageChanged").expect("a stage notification");
    let info = json!({"root": root.display().to_string(), "active": "dev", "stages": all});
    assert_eq!(told["params"], info);
    assert_eq!(c.call("coworks/stages", json!({})), info);
    let (uri, _) = c.open_file(&root, "services/billing/src/main.rs");
    let lenses = c.call("textDocument/codeLens", json!({"textDocument": {"uri": uri}}));
    assert_eq!(lenses[1]["command"]["title"], "Deploy (dev)");
    assert_eq!(lenses[1]["command"]["arguments"][0]["production"], false);

    // A stage the project does not define is refused; the active stage stays.
    let bad = c.request("coworks/setStage", json!({"stage": "qa"}));
    assert_eq!(bad["error"]["code"], -32602);
    assert!(bad["error"]["message"].as_str().unwrap().contains("dev, test, prod"), "{bad}");
    let set = c.call("coworks/setStage", json!({"stage": "prod"}));
    assert_eq!(set["active"], "prod");
    c.wait_for(|m| m["method"] == "workspace/codeLens/refresh").expect("a code lens refresh");
    let told = c.wait_for(|m| m["method"] == "coworks/stageChanged").expect("a stage notification");
    assert_eq!(told["params"]["active"], "prod");
    let lenses = c.call("textDocument/codeLens", json!({"textDocument": {"uri": uri}}));
    let deploy = &lenses[1]["command"];
    assert_eq!(deploy["title"], "Deploy (prod)");
    assert_eq!(deploy["arguments"][0]["production"], true);
    assert_eq!(deploy["arguments"][0]["command"], "cws deploy -s prod -- billing");
    // `workspace/didChangeConfiguration` (clients without the custom request) switches it too.
    c.notify("workspace/didChangeConfiguration", json!({"settings": {"coworks": {"stage": "test"}}}));
    let told = c.wait_for(|m| m["method"] == "coworks/stageChanged").expect("a stage notification");
    assert_eq!(told["params"]["active"], "test");
    // Editing the project file so the active stage disappears: back to the first stage, and told.
    let config = root.join("project.cws.yml");
    let text = std::fs::read_to_string(&config).unwrap();
    let without_test = text.replace("  test:\n", "  qa:\n");
    assert_ne!(text, without_test, "the e-shop has a `test:` workspace");
    c.open(&file_uri(&config), &without_test);
    let told = c.wait_for(|m| m["method"] == "coworks/stageChanged").expect("a stage notification");
    assert_eq!(told["params"]["active"], "dev");
    c.shutdown();
}

#[test]
fn diagnostics_follow_the_active_stage() {
    let (_dir, root) = eshop_copy();
    // Only prod lists `.env.prod` under env_files: without it, prod has an error and dev has none.
    std::fs::remove_file(root.join(".env.prod")).unwrap();
    let mut c = Client::spawn(BIN);
    c.initialize(&root, json!({"stage": "dev"}));
    let config = file_uri(&root.join("project.cws.yml"));
    c.open(&config, &std::fs::read_to_string(root.join("project.cws.yml")).unwrap());
    let dev = c.diagnostics_until(&config, |_| true);
    assert!(dev.iter().all(|d| d["code"] != "CWS015"), "{dev:?}");
    c.notify("workspace/didChangeConfiguration", json!({"settings": {"coworks": {"stage": "prod"}}}));
    let prod = c.diagnostics_until(&config, |ds| ds.iter().any(|d| d["code"] == "CWS015"));
    let missing = prod.iter().find(|d| d["code"] == "CWS015").unwrap();
    assert!(missing["message"].as_str().unwrap().contains("`.env.prod`"), "{missing}");
    c.notify("workspace/didChangeConfiguration", json!({"settings": {"coworks": {"stage": "dev"}}}));
    let back = c.diagnostics_until(&config, |ds| ds.iter().all(|d| d["code"] != "CWS015"));
    assert!(back.iter().all(|d| d["code"] != "CWS015"));
    c.shutdown();
}

#[test]
fn hover_on_an_entry_describes_it() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    let (uri, text) = c.open_file(&root, "services/billing/src/main.rs");
    let (l, col) = pos_of(&text, "get_invoices(");
    let hover = c.call(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": l, "character": col + 3}}),
    );
    let md = hover["contents"]["value"].as_str().unwrap();
    assert_eq!(hover["contents"]["kind"], "markdown");
    assert!(md.contains("**`GET /invoices`**"), "{md}");
    assert!(md.contains("| `page` | query | `Option<u32>` |"), "{md}");
    assert!(md.contains("auth: token"), "{md}");
    assert!(md.contains("stages: all stages"), "{md}");
    assert!(md.contains("A page of invoices"), "{md}");
    assert_eq!(hover["range"], range(l, col, l, col + 12));

    let (hl, hc) = pos_of(&text, "get_health");
    let health = c.call(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": hl, "character": hc}}),
    );
    assert!(health["contents"]["value"].as_str().unwrap().contains("auth: none"));
    // Outside any entry: nothing.
    let none = c.call(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(none, Value::Null);
    c.shutdown();
}

#[test]
fn document_and_workspace_symbols() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    let (uri, text) = c.open_file(&root, "services/billing/src/main.rs");
    let symbols = c.call("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}));
    assert_eq!(symbols[0]["name"], "billing");
    assert_eq!(symbols[0]["detail"], "Billing");
    let children: Vec<&str> =
        symbols[0]["children"].as_array().unwrap().iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(children.len(), 8);
    assert_eq!(children[0], "GET /invoice/{id}");
    let (l, col) = pos_of(&text, "get_invoice(");
    assert_eq!(symbols[0]["children"][0]["selectionRange"], range(l, col, l, col + 11));

    let found = c.call("workspace/symbol", json!({"query": "/invoice"}));
    let names: Vec<(String, String)> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_string(), s["containerName"].as_str().unwrap().to_string()))
        .collect();
    assert!(names.contains(&("GET /invoice/{id}".to_string(), "billing".to_string())), "{names:?}");
    assert!(names.iter().all(|(n, _)| n.contains("/invoice")), "{names:?}");
    let hit = found.as_array().unwrap().iter().find(|s| s["name"] == "GET /invoice/{id}").unwrap();
    assert_eq!(hit["location"]["uri"], json!(uri));
    assert_eq!(hit["location"]["range"], range(l, col, l, col + 11));
    // Symbols of files that are not open come from disk.
    let catalog = c.call("workspace/symbol", json!({"query": "catalog"}));
    assert!(!catalog.as_array().unwrap().is_empty());
    c.shutdown();
}

#[test]
fn custom_requests_answer_routes_and_workflow_previews() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    let project = Project::load(&root).unwrap();
    let routes = c.call("coworks/routes", json!({}));
    assert_eq!(
        routes,
        json!({"stage": null, "services": project.services(None)}),
        "same as `cws routes --json`"
    );
    let stage = project.stages()[0].clone();
    let staged = c.call("coworks/routes", json!({"stage": stage}));
    assert_eq!(staged, json!({"stage": stage, "services": project.services(Some(&stage))}));
    let bad = c.request("coworks/routes", json!({"stage": "nowhere"}));
    assert_eq!(bad["error"]["code"], -32602);

    let wf = file_uri(&root.join("workflows/invoicing.cws.yml"));
    let preview = c.call("coworks/workflowPreview", json!({"textDocument": {"uri": wf}}));
    assert_eq!(preview["available"], true, "{preview}");
    let expected = project.workflow_preview(std::path::Path::new("workflows/invoicing.cws.yml")).unwrap();
    assert_eq!(preview["mermaid"], json!(expected.mermaid), "the core's Mermaid text");
    assert_eq!(preview["graph"], json!(expected.graph), "the core's graph");
    assert!(preview["mermaid"].as_str().unwrap().starts_with("flowchart"), "{}", preview["mermaid"]);
    let create =
        preview["graph"]["nodes"].as_array().unwrap().iter().find(|n| n["id"] == "create_invoice").unwrap();
    assert_eq!((create["service"].as_str(), create["method"].as_str()), (Some("billing"), Some("POST")));
    assert_eq!(create["location"]["file"], "services/billing/src/main.rs", "the entry it calls");
    let not_wf = file_uri(&root.join("project.cws.yml"));
    let none = c.call("coworks/workflowPreview", json!({"textDocument": {"uri": not_wf}}));
    assert_eq!(none["available"], false);
    c.shutdown();
}

#[test]
fn openapi_answers_the_cores_document_for_the_active_or_asked_stage() {
    use coworks_core::artifacts::openapi;
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    let project = Project::load(&root).unwrap();
    let doc = |service: &str, stage: &str| openapi::document(&project, service, Some(stage)).unwrap();
    // The active stage (the project's first) unless one is asked for.
    assert_eq!(c.call("coworks/openapi", json!({"service": "billing"})), doc("billing", "dev"));
    let prod = c.call("coworks/openapi", json!({"service": "billing", "stage": "prod"}));
    assert_eq!(prod, doc("billing", "prod"));
    assert!(prod["paths"].get("/debug/state").is_none(), "a dev-only entry is not in prod's document");
    assert_eq!(prod["paths"]["/invoice/{id}"]["get"]["security"], json!([{"token": []}]));
    assert_eq!(prod["paths"]["/health"]["get"]["security"], json!([]));
    let info = c.call("coworks/stages", json!({}));
    let with_root =
        c.call("coworks/openapi", json!({"root": info["root"], "service": "mailer", "stage": "test"}));
    assert_eq!(with_root, doc("mailer", "test"));
    c.call("coworks/setStage", json!({"stage": "test"}));
    assert_eq!(
        c.call("coworks/openapi", json!({"service": "catalog"})),
        doc("catalog", "test"),
        "the new active stage"
    );
    // Bad input: invalid params, with the core's message.
    for (params, message) in [
        (json!({"service": "biling"}), "unknown service `biling`; did you mean `billing`?"),
        (json!({"service": "billing", "stage": "staging"}), "unknown stage `staging`"),
        (json!({"root": "/nowhere", "service": "billing"}), "is not this server's project"),
        (json!({"stage": "dev"}), "service"),
    ] {
        let bad = c.request("coworks/openapi", params.clone());
        assert_eq!(bad["error"]["code"], -32602, "{params}: {bad}");
        assert!(bad["error"]["message"].as_str().unwrap().contains(message), "{params}: {bad}");
    }
    c.shutdown();
}

#[test]
fn workflow_files_get_diagnostics_and_go_to_definition() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    let path = root.join("workflows/invoicing.cws.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let uri = file_uri(&path);
    c.open(&uri, &text);
    let clean = c.diagnostics_until(&uri, |_| true);
    assert!(clean.is_empty(), "{clean:?}");

    // Go to definition: from the task's path to the entry method it calls.
    let (line, col) = pos_of(&text, "/invoice/{id}");
    let def = c.call(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": col + 2}}),
    );
    let billing = root.join("services/billing/src/main.rs");
    assert_eq!(def["uri"], file_uri(&billing), "{def}");
    let billing_text = std::fs::read_to_string(&billing).unwrap();
    let (entry_line, entry_col) = pos_of(&billing_text, "get_invoice(&self");
    assert_eq!(def["range"]["start"], json!({"line": entry_line, "character": entry_col}), "{def}");

    // A misspelt service: a diagnostic at the value; fixed: cleared.
    let (l, col) = pos_of(&text, "service: mailer");
    let col = col + "service: ".len() as u32;
    c.edit(&uri, 2, (l, col), (l, col + "mailer".len() as u32), "mailr");
    let broken = c.diagnostics_until(&uri, |ds| ds.iter().any(|d| d["code"] == "CWS040"));
    let d = broken.iter().find(|d| d["code"] == "CWS040").unwrap();
    assert_eq!(d["range"]["start"], json!({"line": l, "character": col}), "{d}");
    assert!(d["message"].as_str().unwrap().contains("mailer"), "a did-you-mean: {d}");
    c.edit(&uri, 3, (l, col), (l, col + "mailr".len() as u32), "mailer");
    let fixed = c.diagnostics_until(&uri, |ds| ds.iter().all(|d| d["code"] != "CWS040"));
    assert!(fixed.is_empty(), "{fixed:?}");
    c.shutdown();
}

#[test]
fn hover_on_a_config_key_gives_its_meaning_and_value_per_stage() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    let (uri, text) = c.open_file(&root, "project.cws.yml");
    // `memory: 256` under the top-level `commands.deploy`.
    let (l, col) = pos_of(&text, "memory: 256");
    let hover = c.call(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": l, "character": col + 2}}),
    );
    let md = hover["contents"]["value"].as_str().unwrap();
    assert!(md.contains("memory"), "{md}");
    assert!(md.contains("| `dev` | `256` | `commands` |"), "{md}");
    assert!(md.contains("| `prod` | `1024` | `workspaces.<stage>.commands` |"), "{md}");
    assert_eq!(hover["range"], range(l, col, l, col + 6));
    c.shutdown();
}

/// The node of `nodes` labelled `label`.
fn child<'a>(nodes: &'a Value, label: &str) -> &'a Value {
    let all = nodes.as_array().expect("nodes");
    all.iter().find(|n| n["label"] == label).unwrap_or_else(|| {
        let labels: Vec<&Value> = all.iter().map(|n| &n["label"]).collect();
        panic!("no node `{label}` among {labels:?}")
    })
}

fn labels(nodes: &Value) -> Vec<String> {
    nodes.as_array().unwrap().iter().map(|n| n["label"].as_str().unwrap().to_string()).collect()
}

#[test]
fn the_project_tree_lists_stages_services_entries_and_workflows_with_their_invocations() {
    let (_dir, root) = eshop_copy();
    // A secret of the dev stage: a debug session gets its value, the tree and the lenses never carry it.
    std::fs::write(root.join(".env.dev.secret"), "PAYMENT_KEY=s3cr3t-tree-value\n").unwrap();
    let mut c = Client::spawn(BIN);
    c.initialize(&root, json!({"stage": "dev", "debugLens": true}));
    let project = Project::load(&root).unwrap();
    let tree = c.call("coworks/projectTree", json!({}));
    assert_eq!(tree["root"], root.display().to_string());
    assert_eq!(tree["active"], "dev");
    let nodes = &tree["nodes"];
    let mut expected: Vec<String> = project.stages();
    expected.push("Workflows".into());
    assert_eq!(labels(nodes), expected, "the stages in file order, then the workflows");

    let dev = child(nodes, "dev");
    assert_eq!((dev["kind"].as_str(), dev["expanded"].as_bool()), (Some("stage"), Some(true)));
    assert_eq!(dev["description"], "active");
    assert_eq!(child(nodes, "prod")["description"], "production");
    assert_eq!(child(nodes, "prod")["expanded"], false);
    let check = &dev["actions"][0];
    assert_eq!(check["command"], "coworks.check");
    assert_eq!(
        check["invocation"]["argv"],
        json!(["cws", "check", "-s", "dev", "--message-format", "short"])
    );

    // Services and entries of each stage are the core's, entries limited to a stage only there.
    for stage in project.stages() {
        let node = child(nodes, &stage);
        let services = project.services(Some(&stage));
        assert_eq!(labels(&node["children"]), services.iter().map(|s| s.name.clone()).collect::<Vec<_>>());
        for s in &services {
            let routes: Vec<String> = s.entries.iter().map(|e| e.route.to_string()).collect();
            assert_eq!(labels(&child(&node["children"], &s.name)["children"]), routes, "{stage}/{}", s.name);
        }
    }
    let billing = child(&dev["children"], "billing");
    assert_eq!(billing["description"], "512 MB · 29 s", "the function's limits in the stage");
    assert_eq!(child(&child(nodes, "prod")["children"], "catalog")["description"], "1024 MB · 29 s");
    let titles: Vec<&Value> = billing["actions"].as_array().unwrap().iter().map(|a| &a["title"]).collect();
    assert_eq!(titles, ["Run", "Debug", "Deploy", "Build"]);
    let only_dev = child(&billing["children"], "GET /debug/state");
    assert_eq!(only_dev["description"], "token · only dev");
    assert!(!labels(&child(&child(nodes, "prod")["children"], "billing")["children"])
        .contains(&"GET /debug/state".into()));

    // An entry opens at its method's name and invokes as its lens does.
    let (uri, text) = c.open_file(&root, "services/billing/src/main.rs");
    let get = child(&billing["children"], "GET /invoice/{id}");
    assert_eq!(get["location"]["uri"], uri);
    let (l, col) = pos_of(&text, "get_invoice(");
    assert_eq!(get["location"]["range"]["start"], json!({"line": l, "character": col}));
    let lenses = c.call("textDocument/codeLens", json!({"textDocument": {"uri": uri}}));
    let lens_arg = |title: &str| {
        let l = lenses.as_array().unwrap().iter().find(|l| l["command"]["title"] == title);
        l.unwrap_or_else(|| panic!("lens {title}"))["command"]["arguments"][0].clone()
    };
    assert_eq!(get["actions"][0]["invocation"], lens_arg("Invoke GET /invoice/{id}"));
    assert_eq!(billing["actions"][0]["invocation"], lens_arg("▶ Run"));
    assert_eq!(billing["actions"][1]["invocation"], lens_arg("Debug"));
    assert_eq!(billing["location"]["uri"], uri);

    // Workflows → tasks, each at its id in the workflow file.
    let workflows = child(nodes, "Workflows");
    let ids: Vec<String> = project.workflows().map(|w| w.id.value.clone()).collect();
    assert_eq!(labels(&workflows["children"]), ids);
    let invoicing = child(&workflows["children"], "invoicing");
    let wf_text = std::fs::read_to_string(root.join("workflows/invoicing.cws.yml")).unwrap();
    let fetch = child(&invoicing["children"], "fetch_invoice");
    assert_eq!(fetch["description"], "billing GET /invoice/{id}");
    assert_eq!(fetch["location"]["uri"], file_uri(&root.join("workflows/invoicing.cws.yml")));
    let (tl, tc) = pos_of(&wf_text, "fetch_invoice:");
    assert_eq!(fetch["location"]["range"]["start"], json!({"line": tl, "character": tc}));
    assert_eq!(tree["deployed"]["argv"], json!(["cws", "deployed", "--json"]));

    // The debug launch comes only from executeCommand: the environment of the stage, the secret's
    // value included (named in `secrets`) — and nowhere in the tree or the lenses.
    let debug = c.call(
        "workspace/executeCommand",
        json!({"command": "coworks.debug", "arguments": [billing["actions"][1]["invocation"]]}),
    );
    let launch = &debug["debug"];
    assert_eq!(launch["args"], json!(["--host", "127.0.0.1", "--port", "8001"]));
    assert_eq!(launch["env"]["CWS_STAGE"], "dev");
    assert_eq!(launch["env"]["TOKEN"], "dev-token");
    assert_eq!(launch["env"]["PAYMENT_KEY"], "s3cr3t-tree-value");
    assert_eq!(launch["secrets"], json!(["PAYMENT_KEY"]));
    assert_eq!(launch["manifest"], root.join("services/billing/Cargo.toml").display().to_string());
    assert_eq!(launch["build"], debug["argv"]);
    for carried in [tree.to_string(), lenses.to_string()] {
        assert!(!carried.contains("s3cr3t-tree-value"), "a secret value in {carried}");
    }

    // An edit that adds an entry: the server says the tree changed, and the tree has it.
    let (al, _) = pos_of(&text, "    /// Creates an invoice.");
    c.wait_for(|m| m["method"] == "coworks/projectChanged").expect("projectChanged after the load");
    c.edit(
        &uri,
        2,
        (al, 0),
        (al, 0),
        "    #[entry]\n    fn get_tree_probe(&self) -> String { String::new() }\n",
    );
    c.diagnostics_at_version(&uri, 2);
    c.wait_for(|m| m["method"] == "coworks/projectChanged").expect("projectChanged after the edit");
    let tree = c.call("coworks/projectTree", json!({}));
    let billing = child(&child(&tree["nodes"], "dev")["children"], "billing");
    assert!(labels(&billing["children"]).contains(&"GET /tree/probe".to_string()), "{billing}");
    c.shutdown();
}
