//! Garbage in, proper errors out — and the server keeps serving.

mod support;

use coworks_core::DiagnosticCode;
use serde_json::{json, Value};
use support::{eshop_copy, eshop_session, file_uri, Client};

const BIN: &str = env!("CARGO_BIN_EXE_coworks-lsp");

/// The server still answers a real request.
fn still_serving(c: &mut Client) {
    let routes = c.call("coworks/routes", json!({}));
    assert!(routes["services"].as_array().is_some_and(|s| !s.is_empty()), "{routes}");
}

#[test]
fn invalid_json_rpc_gets_errors_and_the_server_keeps_serving() {
    let (_dir, _root, mut c) = eshop_session(BIN, json!({}));

    // Not JSON at all.
    let garbage = b"{{{ not json";
    c.send_raw(format!("Content-Length: {}\r\n\r\n", garbage.len()).as_bytes());
    c.send_raw(garbage);
    let parse_error = c.wait_for(|m| m["error"]["code"] == -32700).expect("parse error");
    assert_eq!(parse_error["id"], Value::Null);
    still_serving(&mut c);

    // JSON, but not JSON-RPC: a method that is a number.
    c.send(&json!({"jsonrpc": "2.0", "id": 77, "method": 42}));
    let invalid = c.response(77);
    assert!(invalid["error"]["code"].as_i64().is_some(), "{invalid}");
    still_serving(&mut c);

    // Unknown request and notification.
    let unknown = c.request("coworks/teleport", json!({}));
    assert_eq!(unknown["error"]["code"], -32601);
    c.notify("coworks/somethingElse", json!({"x": 1}));
    // Wrong parameters for a known request.
    let bad = c.request("textDocument/hover", json!({"textDocument": 3}));
    assert_eq!(bad["error"]["code"], -32602);
    still_serving(&mut c);
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn requests_for_unopened_documents_and_out_of_range_positions() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));
    let closed = file_uri(&root.join("services/billing/src/main.rs"));
    for method in ["textDocument/codeLens", "textDocument/documentSymbol"] {
        let r = c.request(method, json!({"textDocument": {"uri": closed}}));
        assert_eq!(r["error"]["code"], -32602, "{method}: {r}");
        assert!(r["error"]["message"].as_str().unwrap().contains("not open"));
    }
    let r = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": closed}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(r["error"]["code"], -32602);
    // Edits and closes of documents never opened are ignored.
    c.edit(&closed, 2, (0, 0), (0, 0), "x");
    c.notify("textDocument/didClose", json!({"textDocument": {"uri": closed}}));

    let uri = file_uri(&root.join("services/billing/src/extra.rs"));
    c.open(&uri, "// é\n");
    c.diagnostics_until(&uri, |_| true);
    for (line, character) in [(0, 10_000), (10_000, 0), (u32::MAX, u32::MAX)] {
        let r = c.call(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}),
        );
        assert_eq!(r, Value::Null);
    }
    // An edit far beyond the end lands at the end.
    c.edit(
        &uri,
        2,
        (500, 3),
        (900, 1),
        "#[coworks::service]\nimpl Billing {\n    #[entry] fn get_edge(&self) {}\n}\n",
    );
    c.diagnostics_at_version(&uri, 2);
    let lenses = c.call("textDocument/codeLens", json!({"textDocument": {"uri": uri}}));
    let titles: Vec<&str> =
        lenses.as_array().unwrap().iter().filter_map(|l| l["command"]["title"].as_str()).collect();
    assert!(titles.contains(&"Invoke GET /edge"), "{titles:?}");
    assert_eq!(lenses[0]["range"]["start"]["line"], 1, "after the comment line");
    still_serving(&mut c);
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn huge_and_binary_documents_are_skipped_with_a_diagnostic() {
    let (_dir, root, mut c) = eshop_session(BIN, json!({}));

    let big_uri = file_uri(&root.join("services/billing/src/big.rs"));
    let line = "// filler filler filler filler filler filler filler filler filler filler filler\n";
    let big = line.repeat(10 * 1024 * 1024 / line.len() + 1);
    assert!(big.len() >= 10 * 1024 * 1024);
    c.open(&big_uri, &big);
    let diags = c.diagnostics_until(&big_uri, |d| !d.is_empty());
    assert_eq!(diags[0]["code"], DiagnosticCode::FileSkipped.as_str());
    assert!(diags[0]["message"].as_str().unwrap().contains("larger than"));
    // Editing the huge document still works.
    c.edit(&big_uri, 2, (3, 0), (3, 2), "");
    c.diagnostics_at_version(&big_uri, 2);

    let bin_uri = file_uri(&root.join("services/billing/src/blob.rs"));
    c.open(&bin_uri, "\u{0}\u{1}\u{2}ELF\u{0}\u{fffd}\u{0}");
    let diags = c.diagnostics_until(&bin_uri, |d| !d.is_empty());
    assert_eq!(diags[0]["code"], DiagnosticCode::FileSkipped.as_str());
    assert!(diags[0]["message"].as_str().unwrap().contains("binary"));
    // Replacing the binary content with valid code clears it.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": bin_uri, "version": 2}, "contentChanges": [{"text": "fn ok() {}\n"}]}),
    );
    let diags = c.diagnostics_at_version(&bin_uri, 2);
    assert!(diags.is_empty(), "{diags:?}");
    still_serving(&mut c);
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn a_server_without_a_project_still_answers() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Client::spawn(BIN);
    let empty = dir.path().canonicalize().unwrap();
    c.initialize(&empty, json!({"stage": "nowhere"}));
    let routes = c.call("coworks/routes", json!({}));
    assert_eq!(routes, json!({"stage": null, "services": []}));
    let uri = file_uri(&empty.join("lib.rs"));
    c.open(&uri, "fn main() {}\n");
    let lenses = c.call("textDocument/codeLens", json!({"textDocument": {"uri": uri}}));
    assert_eq!(lenses, json!([]));
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn a_panic_while_analysing_one_file_is_logged_and_the_server_goes_on() {
    let (_dir, root) = eshop_copy();
    let mut c = Client::spawn_with_env(BIN, &[("COWORKS_LSP_FAULT", "boom.rs")]);
    c.initialize(&root, json!({}));
    let boom = file_uri(&root.join("services/billing/src/boom.rs"));
    c.open(&boom, "fn boom() {}\n");
    let log = c
        .wait_for(|m| m["method"] == "window/logMessage" && m["params"]["type"] == 1)
        .expect("an error logged");
    let message = log["params"]["message"].as_str().unwrap();
    assert!(message.contains("boom.rs") && message.contains("injected fault"), "{message}");
    // Other files are still analysed and requests answered.
    let ok = file_uri(&root.join("services/billing/src/extra.rs"));
    c.open(
        &ok,
        "#[coworks::service]\nimpl Billing {\n    #[entry] fn get_thing(&self, #[body] b: String) {}\n}\n",
    );
    c.diagnostics_until(&ok, |d| d.iter().any(|x| x["code"] == "CWS004"));
    still_serving(&mut c);
    assert_eq!(c.shutdown(), Some(0));
}

/// A workspace folder (or `rootUri`) of `/` with no `project.cws.yml` at or above it: nothing is
/// walked, only the open documents are analysed — no service from unrelated files.
#[test]
fn a_root_of_slash_analyses_only_the_open_documents() {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path().canonicalize().unwrap();
    assert!(coworks_core::layout::find_root(&here).is_none(), "no project above the temporary directory");
    let service = |name: &str| {
        format!("pub struct S;\n#[coworks::service(name = \"{name}\")]\nimpl S {{\n    #[entry]\n    fn get_thing(&self, #[body] b: String) -> String {{ b }}\n}}\n")
    };
    std::fs::write(here.join("other.rs"), service("unrelated")).unwrap();
    let mut c = Client::spawn(BIN);
    c.initialize(std::path::Path::new("/"), json!({}));
    let log = c
        .wait_for(|m| {
            m["method"] == "window/logMessage"
                && m["params"]["message"].as_str().is_some_and(|s| s.contains("coworks:"))
        })
        .expect("a log line");
    let opened = here.join("solo.rs");
    let uri = file_uri(&opened);
    c.open(&uri, &service("solo"));
    // Analysed: a GET entry with a body is CWS004.
    c.diagnostics_until(&uri, |d| d.iter().any(|x| x["code"] == DiagnosticCode::BodyOnGetOrDelete.as_str()));
    let routes = c.call("coworks/routes", json!({}));
    let names: Vec<&str> =
        routes["services"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["solo"], "{routes}");
    let message = log["params"]["message"].as_str().unwrap().to_string();
    let message = if message.contains("only the open documents") {
        message
    } else {
        let more = c
            .wait_for(|m| {
                m["method"] == "window/logMessage"
                    && m["params"]["message"].as_str().is_some_and(|s| s.contains("only the open documents"))
            })
            .expect("the server says what it analyses");
        more["params"]["message"].as_str().unwrap().to_string()
    };
    assert!(message.contains("no project.cws.yml"), "{message}");
    // Closing the document forgets it; a file changed on disk that is not open is not read.
    c.notify("textDocument/didClose", json!({"textDocument": {"uri": uri}}));
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&here.join("other.rs")), "type": 2}]}),
    );
    c.diagnostics_until(&uri, |d| d.is_empty());
    let routes = c.call("coworks/routes", json!({}));
    assert_eq!(routes["services"], json!([]), "{routes}");
    assert_eq!(c.shutdown(), Some(0));
}

/// A Rust file whose name is not UTF-8: `coworks/routes` answers (the name shown with U+FFFD)
/// instead of failing with -32603.
#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_does_not_fail_the_routes() {
    use std::os::unix::ffi::OsStrExt;
    let (_dir, root) = eshop_copy();
    let name = std::ffi::OsStr::from_bytes(b"odd_\xff.rs");
    std::fs::write(
        root.join("services/billing/src").join(name),
        "pub struct Odd;\n#[coworks::service(name = \"odd\")]\nimpl Odd {\n    #[entry]\n    fn get_odd(&self) -> String { String::new() }\n}\n",
    )
    .unwrap();
    let mut c = Client::spawn(BIN);
    c.initialize(&root, json!({}));
    let routes = c.call("coworks/routes", json!({}));
    let odd = routes["services"].as_array().unwrap().iter().find(|s| s["name"] == "odd").expect("listed");
    assert_eq!(odd["entries"][0]["location"]["file"], "services/billing/src/odd_\u{fffd}.rs");
    still_serving(&mut c);
    assert_eq!(c.shutdown(), Some(0));
}
