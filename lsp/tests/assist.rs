//! Help while writing, over real JSON-RPC on stdio: completion (with resolve), code actions (quick
//! fixes and refactorings), references and their lens, rename, definitions, document links, hovers
//! on workflow tasks, inlay hints (and the setting turning them off), the documentation link of
//! diagnostics and the progress of the first scan. Positions are UTF-16; files are edited without
//! being saved.

mod support;

use serde_json::{json, Value};
use support::{apply_text_edits, eshop_copy, eshop_session, file_uri, pos_of, Client};

const BIN: &str = env!("CARGO_BIN_EXE_coworks-lsp");

fn at(uri: &str, (line, character): (u32, u32)) -> Value {
    json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
}

/// The position just after `needle` in `text`.
fn after(text: &str, needle: &str) -> (u32, u32) {
    let (l, c) = pos_of(text, needle);
    (l, c + needle.encode_utf16().count() as u32)
}

fn labels(items: &Value) -> Vec<String> {
    let list = items.as_array().or_else(|| items["items"].as_array()).cloned().unwrap_or_default();
    list.iter().map(|i| i["label"].as_str().unwrap_or("").to_string()).collect()
}

fn item<'a>(items: &'a Value, label: &str) -> &'a Value {
    items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == label)
        .unwrap_or_else(|| panic!("no {label} in {items}"))
}

/// The text once a completion item is accepted (its edit and additional edits).
fn accept(text: &str, item: &Value) -> String {
    let mut edits = vec![item["textEdit"].clone()];
    edits.extend(item["additionalTextEdits"].as_array().cloned().unwrap_or_default());
    apply_text_edits(text, &edits)
}

#[test]
fn the_server_announces_what_it_helps_with() {
    let (_dir, root) = eshop_copy();
    let mut c = Client::spawn(BIN);
    let caps = c.initialize(&root, json!({}))["capabilities"].clone();
    assert_eq!(caps["completionProvider"]["resolveProvider"], true);
    let triggers = caps["completionProvider"]["triggerCharacters"].as_array().unwrap();
    assert!(triggers.contains(&json!("\"")) && triggers.contains(&json!(".")), "{triggers:?}");
    assert_eq!(caps["codeActionProvider"]["codeActionKinds"], json!(["quickfix", "refactor.rewrite"]));
    assert_eq!(caps["referencesProvider"], true);
    assert_eq!(caps["renameProvider"]["prepareProvider"], true);
    assert_eq!(caps["documentLinkProvider"]["resolveProvider"], false);
    assert_eq!(caps["inlayHintProvider"], true);
    let commands = caps["executeCommandProvider"]["commands"].as_array().unwrap();
    assert!(commands.contains(&json!("coworks.showReferences")), "{commands:?}");
    c.shutdown();
}

#[test]
fn completion_in_rust_attributes_of_an_unsaved_file() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    // A file not on disk, half typed: an emoji before the cursor on its line (two UTF-16 units).
    let uri = file_uri(&root.join("services/billing/src/typing.rs"));
    let text = "#[coworks::service]\nimpl Billing {\n    /* 😀 */ #[entry(stage = \"\n}\n";
    c.open(&uri, text);
    let cursor = after(text, "stage = \"");
    assert_eq!(cursor, (2, 30), "😀 is two UTF-16 units");
    let items = c.call("textDocument/completion", at(&uri, cursor));
    assert_eq!(labels(&items), ["dev", "test", "prod"]);
    let prod = item(&items, "prod");
    assert_eq!(prod["detail"], "production stage of project.cws.yml");
    assert_eq!(prod["textEdit"]["range"]["start"], json!({"line": 2, "character": 30}));
    assert_eq!(
        accept(text, prod),
        "#[coworks::service]\nimpl Billing {\n    /* 😀 */ #[entry(stage = \"prod\n}\n"
    );

    // Argument names as snippets, after a `,`.
    c.edit(&uri, 2, cursor, cursor, "dev\", ");
    let cursor = (cursor.0, cursor.1 + 6);
    let items = c.call("textDocument/completion", at(&uri, cursor));
    assert_eq!(labels(&items), ["path", "stage", "stages", "no_auth", "binary_headers", "throttle"]);
    let path = item(&items, "path");
    assert_eq!(path["insertTextFormat"], 2, "a snippet");
    assert_eq!(path["textEdit"]["newText"], "path = \"/$1\"");

    // An entry name: the verb prefixes and the route the name typed gives.
    let name = "\n    fn get_invoice_lines";
    c.edit(&uri, 3, (3, 0), (3, 0), &format!("{name}\n"));
    let items = c.call("textDocument/completion", at(&uri, (4, 24)));
    let first = &items.as_array().unwrap()[0];
    assert_eq!(
        (first["label"].as_str(), first["detail"].as_str()),
        (Some("get_invoice_lines"), Some("GET /invoice/lines/{…}"))
    );
    assert!(labels(&items).contains(&"post_".to_string()));
    c.shutdown();
}

#[test]
fn completion_in_workflows_and_the_project_file() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    let uri = file_uri(&root.join("workflows/new.cws.yml"));
    let text = "tasks:\n  bill:\n    service: billing\n    path: \n";
    c.open(&uri, text);
    let items = c.call("textDocument/completion", at(&uri, (3, 10)));
    let routes = labels(&items);
    assert!(
        routes.contains(&"GET /invoice/{id}".to_string()) && routes.contains(&"POST /invoice".to_string()),
        "{routes:?}"
    );
    // A route of another method brings its `method:` line.
    let post = item(&items, "POST /invoice");
    assert_eq!(
        accept(text, post),
        "tasks:\n  bill:\n    service: billing\n    method: POST\n    path: /invoice\n"
    );
    // Resolve describes the entry.
    let resolved = c.call("completionItem/resolve", post.clone());
    let doc = resolved["documentation"]["value"].as_str().unwrap();
    assert!(doc.contains("**`POST /invoice`**") && doc.contains("| `new` | body | `NewInvoice` |"), "{doc}");

    // Body fields of the entry's `#[body]` struct.
    let text =
        "tasks:\n  bill:\n    service: billing\n    method: POST\n    path: /invoice\n    json:\n      \n";
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": text}]}),
    );
    let items = c.call("textDocument/completion", at(&uri, (6, 6)));
    assert_eq!(labels(&items), ["customer", "amount_cents"]);

    // project.cws.yml: keys of the schema tables.
    let (config, config_text) = c.open_file(&root, "project.cws.yml");
    let (l, _) = pos_of(&config_text, "    region: eu-west-1");
    c.edit(&config, 2, (l, 0), (l, 0), "    arch\n");
    let items = c.call("textDocument/completion", at(&config, (l, 8)));
    assert!(labels(&items).contains(&"architecture".to_string()), "{items}");
    assert!(!labels(&items).contains(&"region".to_string()), "written already: {items}");
    c.shutdown();
}

#[test]
fn quick_fixes_and_refactorings_are_code_actions() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    let (uri, text) = c.open_file(&root, "project.cws.yml");
    // Misspell `commands` without saving.
    let (l, col) = pos_of(&text, "commands:\n  run:");
    c.edit(&uri, 2, (l, col), (l, col + 8), "comands");
    let diags = c.diagnostics_at_version(&uri, 2);
    let d = diags.iter().find(|d| d["code"] == "CWS012").unwrap_or_else(|| panic!("{diags:?}"));
    assert!(
        d["codeDescription"]["href"].as_str().unwrap().ends_with("/blob/main/docs/diagnostics.md#cws012"),
        "{d}"
    );
    let actions = c.call(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": d["range"], "context": {"diagnostics": [d]}}),
    );
    let fix = &actions[0];
    assert_eq!(fix["title"], "Replace `comands` with `commands`");
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["isPreferred"], true);
    assert_eq!(fix["diagnostics"][0]["code"], "CWS012");
    let edits = fix["edit"]["changes"][&uri].as_array().unwrap();
    let edited = text.replacen("commands:\n  run:", "comands:\n  run:", 1);
    assert_eq!(apply_text_edits(&edited, edits), text, "the fix restores the file");

    // A refactoring on an entry: convert its path to an explicit one (only that kind asked).
    let (rust, rust_text) = c.open_file(&root, "services/billing/src/main.rs");
    let (l, col) = pos_of(&rust_text, "get_invoice_pdf");
    let actions = c.call(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": rust}, "range": {"start": {"line": l, "character": col}, "end": {"line": l, "character": col}},
               "context": {"diagnostics": [], "only": ["refactor"]}}),
    );
    assert_eq!(actions.as_array().unwrap().len(), 1, "{actions}");
    assert_eq!(actions[0]["kind"], "refactor.rewrite");
    let new = apply_text_edits(&rust_text, actions[0]["edit"]["changes"][&rust].as_array().unwrap());
    assert!(
        new.contains("#[entry(path = \"/invoice/pdf/{id}\", binary_headers = \"application/pdf\")]"),
        "{new}"
    );
    c.shutdown();
}

#[test]
fn an_unknown_route_in_a_workflow_offers_a_stub_entry() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    let (main, main_text) = c.open_file(&root, "services/billing/src/main.rs");
    let uri = file_uri(&root.join("workflows/lines.cws.yml"));
    let text = "tasks:\n  lines:\n    service: billing\n    path: /invoice/42/lines\n";
    c.open(&uri, text);
    let diags = c.diagnostics_until(&uri, |d| d.iter().any(|d| d["code"] == "CWS041"));
    let d = diags.iter().find(|d| d["code"] == "CWS041").unwrap();
    let actions = c.call(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": d["range"], "context": {"diagnostics": [d]}}),
    );
    let titles: Vec<&str> = actions.as_array().unwrap().iter().filter_map(|a| a["title"].as_str()).collect();
    let stub = "Add entry `get_invoice_lines` for `GET /invoice/{id}/lines` to `billing`";
    assert!(titles.contains(&stub), "{titles:?}");
    let add = actions.as_array().unwrap().iter().find(|a| a["title"] == stub).unwrap();
    let new = apply_text_edits(&main_text, add["edit"]["changes"][&main].as_array().unwrap());
    assert!(new.contains("    #[entry(path = \"/invoice/{id}/lines\")]\n    fn get_invoice_lines(&self, id: u64) -> Result<String, Error> {"), "{new}");
    // Applied (as the editor does), the workflow's diagnostic goes away.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": main, "version": 2}, "contentChanges": [{"text": new}]}),
    );
    c.diagnostics_until(&uri, |d| d.iter().all(|d| d["code"] != "CWS041"));
    c.shutdown();
}

#[test]
fn references_their_lens_and_definitions() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    let (main, main_text) = c.open_file(&root, "services/billing/src/main.rs");
    let flow = file_uri(&root.join("workflows/invoicing.cws.yml"));
    let flow_text = std::fs::read_to_string(root.join("workflows/invoicing.cws.yml")).unwrap();
    let (l, col) = pos_of(&main_text, "get_invoice(&self");
    let mut params = at(&main, (l, col + 3));
    params["context"] = json!({"includeDeclaration": false});
    let refs = c.call("textDocument/references", params);
    let (tl, tc) = pos_of(&flow_text, "/invoice/{id}");
    assert_eq!(
        refs,
        json!([{"uri": flow, "range": {"start": {"line": tl, "character": tc}, "end": {"line": tl, "character": tc + 13}}}])
    );

    // The lens above the entry: `used by 1 workflow task`, carrying what to show.
    let lenses = c.call("textDocument/codeLens", json!({"textDocument": {"uri": main}}));
    let used = lenses
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["command"]["title"] == "used by 1 workflow task")
        .unwrap();
    assert_eq!(used["command"]["command"], "coworks.showReferences");
    assert_eq!(used["command"]["arguments"][0], json!(main));
    assert_eq!(used["command"]["arguments"][1], json!({"line": l, "character": col}));
    assert_eq!(used["command"]["arguments"][2], refs);

    // From a service in a workflow: its block in project.cws.yml and the tasks.
    let mut params = at(&flow, after(&flow_text, "service: mai"));
    params["context"] = json!({"includeDeclaration": true});
    let refs = c.call("textDocument/references", params);
    let files: Vec<&str> = refs.as_array().unwrap().iter().map(|r| r["uri"].as_str().unwrap()).collect();
    assert_eq!(files.len(), 7, "the service, its block and the tasks of three workflows: {refs}");
    assert!(
        files[0].ends_with("services/mailer/src/main.rs") && files[1].ends_with("project.cws.yml"),
        "{files:?}"
    );

    // Definitions and links from project.cws.yml; a stage in Rust goes to its workspace.
    let (config, config_text) = c.open_file(&root, "project.cws.yml");
    let def = c.call("textDocument/definition", at(&config, after(&config_text, "  cata")));
    assert!(def["uri"].as_str().unwrap().contains("services/catalog/src/"), "{def}");
    let links = c.call("textDocument/documentLink", json!({"textDocument": {"uri": config}}));
    let targets: Vec<&str> =
        links.as_array().unwrap().iter().map(|l| l["target"].as_str().unwrap()).collect();
    assert!(
        targets[0].ends_with("services/billing/Cargo.toml") && targets[3].ends_with("/.env.dev"),
        "{targets:?}"
    );
    let (ll, lc) = pos_of(&config_text, "services/billing");
    assert_eq!(links[0]["range"]["start"], json!({"line": ll, "character": lc}));
    let def = c.call("textDocument/definition", at(&main, after(&main_text, "stage = \"d")));
    let (wl, wc) = pos_of(&config_text, "dev:\n    env_files");
    assert_eq!(
        def,
        json!({"uri": config, "range": {"start": {"line": wl, "character": wc}, "end": {"line": wl, "character": wc + 3}}})
    );
    c.shutdown();
}

#[test]
fn rename_services_and_entries_across_files() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    let (flow, flow_text) = c.open_file(&root, "workflows/invoicing.cws.yml");
    let p = after(&flow_text, "service: mai");
    let prepared = c.call("textDocument/prepareRename", at(&flow, p));
    assert_eq!(prepared["placeholder"], "mailer");
    let mut params = at(&flow, p);
    params["newName"] = json!("postman");
    let edit = c.call("textDocument/rename", params);
    let changes = edit["changes"].as_object().unwrap();
    let mut files: Vec<&String> = changes.keys().collect();
    files.sort();
    assert_eq!(files.len(), 5, "{edit}");
    let flow_new = apply_text_edits(&flow_text, changes[&flow].as_array().unwrap());
    assert_eq!(flow_new.matches("service: postman").count(), 2);
    let mut bad = at(&flow, p);
    bad["newName"] = json!("Post Man");
    let refused = c.request("textDocument/rename", bad);
    assert_eq!(refused["error"]["code"], -32602, "{refused}");

    // An entry: the task calling it follows.
    let (main, main_text) = c.open_file(&root, "services/billing/src/main.rs");
    let p = after(&main_text, "fn get_inv");
    let mut params = at(&main, p);
    params["newName"] = json!("get_bill");
    let edit = c.call("textDocument/rename", params);
    let main_new = apply_text_edits(&main_text, edit["changes"][&main].as_array().unwrap());
    assert!(main_new.contains("async fn get_bill(&self, id: u64, ctx: &Context)"), "{main_new}");
    let flow_new = apply_text_edits(&flow_text, edit["changes"][&flow].as_array().unwrap());
    assert!(flow_new.contains("    path: /bill/{id}\n"), "{flow_new}");
    // Nothing to rename on the type of `impl Billing` (Rust's own).
    let none = c.call("textDocument/prepareRename", at(&main, after(&main_text, "impl Bil")));
    assert_eq!(none, Value::Null);
    c.shutdown();
}

#[test]
fn hover_on_a_workflow_task_shows_the_entry_and_the_template_types() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    let (flow, text) = c.open_file(&root, "workflows/invoicing.cws.yml");
    let hover = c.call("textDocument/hover", at(&flow, after(&text, "  fetch_inv")));
    let md = hover["contents"]["value"].as_str().unwrap();
    assert!(
        md.contains(
            "**`GET /invoice/{id}`** — task `fetch_invoice` calls `get_invoice` of service `billing`"
        ),
        "{md}"
    );
    assert!(
        md.contains("async fn get_invoice(&self, id: u64, ctx: &Context) -> Result<Json<Invoice>, Error>"),
        "{md}"
    );
    assert!(md.contains("| `params.id` | `u64` |"), "{md}");
    assert!(md.contains("| `{{ tasks.create_invoice.body.id }}` | `u64` (from `post_invoice`) |"), "{md}");
    assert!(md.contains("One invoice by its number."), "{md}");
    c.shutdown();
}

#[test]
fn inlay_hints_and_the_setting_turning_them_off() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    let (main, text) = c.open_file(&root, "services/billing/src/main.rs");
    let all = json!({"textDocument": {"uri": main}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 200, "character": 0}}});
    let hints = c.call("textDocument/inlayHint", all.clone());
    assert_eq!(hints.as_array().unwrap().len(), 8, "{hints}");
    let first = &hints[0];
    assert_eq!(first["label"], "GET /invoice/{id}");
    assert_eq!(first["paddingLeft"], true);
    assert_eq!(
        first["position"],
        json!(after(&text, "-> Result<Json<Invoice>, Error>"))
            .as_array()
            .map(|a| json!({"line": a[0], "character": a[1]}))
            .unwrap()
    );
    // Turned off by the setting: none, and the client is asked to refresh them.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"coworks": {"inlayHints": {"enabled": false}}}}),
    );
    c.wait_for(|m| m["method"] == "workspace/inlayHint/refresh").expect("a refresh");
    assert_eq!(c.call("textDocument/inlayHint", all.clone()), json!([]));
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"coworks": {"inlayHints": {"enabled": true}}}}),
    );
    assert_eq!(c.call("textDocument/inlayHint", all).as_array().unwrap().len(), 8);
    c.shutdown();

    // Off from the start by the initialization option.
    let (_dir, root) = eshop_copy();
    let mut c = Client::spawn(BIN);
    c.initialize(&root, json!({"inlayHints": false}));
    let (main, _) = c.open_file(&root, "services/billing/src/main.rs");
    let all = json!({"textDocument": {"uri": main}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 200, "character": 0}}});
    assert_eq!(c.call("textDocument/inlayHint", all), json!([]));
    c.shutdown();
}

#[test]
fn the_first_scan_reports_progress() {
    let (_dir, root) = eshop_copy();
    let mut c = Client::spawn(BIN);
    c.initialize_with(&root, json!({}), json!({"window": {"workDoneProgress": true}}));
    let create = c.wait_for(|m| m["method"] == "window/workDoneProgress/create").expect("a progress token");
    let token = create["params"]["token"].clone();
    let begin =
        c.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "begin").unwrap();
    assert_eq!(begin["params"]["token"], token);
    assert_eq!(begin["params"]["value"]["title"], "Loading CoWorks project");
    let end = c.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end").unwrap();
    assert_eq!(end["params"]["value"]["message"], "4 Rust files, 3 services, 4 workflows");
    c.shutdown();
}

/// In a project of more services than a completion list holds, a task's `service:` gets a list
/// bounded by what is typed, marked incomplete so that the editor asks again as more is typed.
#[test]
fn service_completion_in_a_large_project_is_an_incomplete_list() {
    let (_dir, root) = eshop_copy();
    let many: String = (0..150)
        .map(|i| format!("/// Service {i}.\n#[coworks::service]\nimpl Many{i} {{\n    #[entry]\n    fn get_a(&self) -> u64 {{ 1 }}\n}}\n\n"))
        .collect();
    std::fs::write(root.join("services/billing/src/many.rs"), many).expect("write");
    let mut c = Client::spawn(BIN);
    c.initialize(&root, json!({}));
    let uri = file_uri(&root.join("workflows/new.cws.yml"));
    let text = "tasks:\n  a:\n    service: many12\n";
    c.open(&uri, text);
    let answer = c.call("textDocument/completion", at(&uri, after(text, "many12")));
    assert_eq!(answer["isIncomplete"], true, "{answer}");
    let found = labels(&answer);
    let starting: Vec<String> =
        std::iter::once("many12".to_string()).chain((120..130).map(|i| format!("many{i}"))).collect();
    assert_eq!(found[..starting.len()], starting, "{found:?}");
    assert!(found.len() <= 100 && !found.contains(&"billing".to_string()), "{found:?}");
    // Elsewhere in the same file, a plain list.
    let answer = c.call("textDocument/completion", at(&uri, (2, 4)));
    assert!(answer.is_array(), "{answer}");
    c.shutdown();
}
