//! Special files in the project (FIFOs, as a tool or another user may create) are never opened: a
//! FIFO reached through `workspace/didChangeWatchedFiles`, at the place of an env file or of an
//! ignore file gets a `CWS020` note (or is left out), and analysis, diagnostics and requests go on.
//! (Opening a FIFO for reading blocks until a writer comes: the analysis worker would never return.)

mod support;

use std::path::Path;
use std::process::Command;

use coworks_core::DiagnosticCode;
use serde_json::json;
use support::{eshop_copy, file_uri, Client};

const BIN: &str = env!("CARGO_BIN_EXE_coworks-lsp");

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// The analysis worker still runs: a new file's error is diagnosed, and requests are answered.
fn still_analysing(c: &mut Client, root: &Path, name: &str) {
    let uri = file_uri(&root.join(format!("services/billing/src/{name}.rs")));
    c.open(&uri, "#[coworks::service]\nimpl Billing {\n    #[entry] fn get_x(&self, #[body] a: String, #[body] b: String) {}\n}\n");
    let diags = c.diagnostics_until(&uri, |d| !d.is_empty());
    assert!(diags.iter().any(|d| d["message"].as_str().is_some_and(|m| m.contains("#[body]"))), "{diags:?}");
    let routes = c.call("coworks/routes", json!({}));
    assert!(routes["services"].as_array().is_some_and(|s| !s.is_empty()), "{routes}");
}

#[test]
fn fifos_reached_through_watched_file_events_are_never_opened() {
    let (_dir, root) = eshop_copy();
    let mut c = Client::spawn(BIN);
    c.initialize(&root, json!({}));
    still_analysing(&mut c, &root, "loaded");
    let pipe = root.join("services/billing/src/pipe.rs");
    mkfifo(&pipe);
    c.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": file_uri(&pipe), "type": 1}]}));
    let diags = c.diagnostics_until(&file_uri(&pipe), |d| !d.is_empty());
    assert_eq!(diags[0]["code"], DiagnosticCode::FileSkipped.as_str(), "{diags:?}");
    assert!(diags[0]["message"].as_str().is_some_and(|m| m.contains("not a regular file")), "{diags:?}");
    still_analysing(&mut c, &root, "after_pipe");

    let env = root.join(".env.dev");
    std::fs::remove_file(&env).expect("remove .env.dev");
    mkfifo(&env);
    c.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": file_uri(&env), "type": 2}]}));
    still_analysing(&mut c, &root, "after_env");
    let stages = c.call("coworks/stages", json!({}));
    assert!(stages.to_string().contains("dev"), "{stages}");
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn a_fifo_ignore_file_does_not_hang_the_scan() {
    let (_dir, root) = eshop_copy();
    mkfifo(&root.join("services/catalog/.gitignore"));
    let mut c = Client::spawn(BIN);
    c.initialize(&root, json!({}));
    still_analysing(&mut c, &root, "after_scan");
    let routes = c.call("coworks/routes", json!({}));
    let names: Vec<&str> =
        routes["services"].as_array().into_iter().flatten().filter_map(|s| s["name"].as_str()).collect();
    assert!(names.contains(&"billing"), "{names:?}");
    assert!(!names.contains(&"catalog"), "a directory whose ignore file is special is left out: {names:?}");
    assert_eq!(c.shutdown(), Some(0));
}
