//! Writing-help benchmark: completion and code actions on the generated 1,000-file project, inlay
//! hints on a 2,000-line service file, over real JSON-RPC; each against a baseline measured in the
//! same run — a hover on the same file (the lightest request that reads the project). Figures and
//! ratios only: nothing is asserted (targets: completion and code actions p99 < 50 ms, inlay hints
//! of the large file < 20 ms).
//!
//! `cargo bench -p coworks-lsp --bench assist` (env `ASSIST_ROUNDS` sets the requests per kind).
//! Under `cargo test` (no `--bench` argument) it runs as a small smoke test.

#[path = "support/project.rs"]
mod project;
#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use project::{generate, percentile, write, FILES_PER_SERVICE};
use serde_json::{json, Value};
use support::{file_uri, pos_of, Client};

/// A service file of about `entries` × 10 lines.
fn big_service(entries: usize) -> String {
    let mut text = String::from("//! A large service.\n\nuse coworks::prelude::*;\n\n/// Many entries.\n#[coworks::service]\nimpl Big {\n");
    for k in 0..entries {
        text.push_str(&format!(
            "    /// Entry {k}: reads one record.\n    ///\n    /// Answers 404 when there is none.\n    #[entry(stage = \"dev\")]\n    async fn get_record_{k}(\n        &self,\n        id: u64,\n        #[query] page: Option<u32>,\n    ) -> Result<Json<u64>, Error> {{\n        Ok(Json(id + page.unwrap_or(0) as u64))\n    }}\n\n"
        ));
    }
    text.push_str("}\n");
    text
}

/// Times `rounds` requests made by `ask` (which is given the round number).
fn time(rounds: usize, mut ask: impl FnMut(usize) -> Value) -> (Vec<Duration>, usize) {
    let mut out = Vec::with_capacity(rounds);
    let mut answered = 0;
    for i in 0..rounds {
        let t = Instant::now();
        let v = ask(i);
        out.push(t.elapsed());
        if v.as_array().is_some_and(|a| !a.is_empty()) {
            answered += 1;
        }
    }
    out.sort();
    (out, answered)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One line of figures, with the ratio of its p50 to the baseline's.
fn report(what: &str, (lat, answered): &(Vec<Duration>, usize), base: &[Duration]) {
    let ratio = ms(percentile(lat, 0.5)) / ms(percentile(base, 0.5)).max(1e-9);
    println!(
        "  {what:<34} p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms  ({ratio:.2}× the hover p50; {answered}/{} answered with items)",
        ms(percentile(lat, 0.5)),
        ms(percentile(lat, 0.99)),
        ms(percentile(lat, 1.0)),
        lat.len(),
    );
}

fn at(uri: &str, (line, character): (u32, u32)) -> Value {
    json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (services, default_rounds, big_entries) = if full { (50, 300, 200) } else { (1, 10, 20) };
    let rounds: usize =
        std::env::var("ASSIST_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(default_rounds);
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().canonicalize().expect("canonical").join("bench");
    generate(&root, services);
    // An entry limited to a misspelt stage (a diagnostic with fixes), a workflow calling the
    // entries, and the large service file.
    let main = root.join("services/s0/src/main.rs");
    let text = std::fs::read_to_string(&main).expect("read").replacen(
        "    #[entry]\n    async fn get_p0_e3",
        "    #[entry(stage = \"prdo\")]\n    async fn get_p0_e3",
        1,
    );
    write(&main, &text);
    let flow: String = (0..4)
        .map(|k| format!("  t{k}:\n    service: s0\n    path: /p0/e{k}/{{id}}\n    params:\n      id: 1\n"))
        .collect();
    let tail = "  lines:\n    service: s0\n    path: /p0/lines/1\n  new:\n    service: s0\n    path: \n";
    write(&root.join("workflows/flow.cws.yml"), &format!("tasks:\n{flow}{tail}"));
    let big = big_service(big_entries);
    write(&root.join("services/big/Cargo.toml"), "[package]\nname = \"big\"\nversion = \"0.1.0\"\n");
    write(&root.join("services/big/src/main.rs"), &big);

    let mut c = Client::spawn(env!("CARGO_BIN_EXE_coworks-lsp"));
    c.initialize(&root, json!({}));
    let uri = file_uri(&main);
    c.open(&uri, &text);
    c.diagnostics_at_version(&uri, 1);
    let (flow_uri, flow_text) = c.open_file(&root, "workflows/flow.cws.yml");
    let (config_uri, _) = c.open_file(&root, "project.cws.yml");

    // Baseline: hover on an entry's name.
    let hover_at = pos_of(&text, "get_p0_e1");
    let base = time(rounds, |_| c.call("textDocument/hover", at(&uri, hover_at))).0;

    // Completion, in turn: a stage inside `#[entry(stage = "`, an entry name after `fn`, a route of
    // a workflow task, a key of project.cws.yml.
    let (sl, sc) = pos_of(&text, "prdo\")]");
    let (fl, fc) = pos_of(&text, "get_p0_e2");
    let (wl, _) = pos_of(&flow_text, "    path: \n");
    let places = [
        (uri.clone(), (sl, sc)),
        (uri.clone(), (fl, fc + 6)),
        (flow_uri.clone(), (wl, 10)),
        (config_uri.clone(), (2, 0)),
    ];
    let completion = time(rounds, |i| {
        let (u, p) = &places[i % places.len()];
        c.call("textDocument/completion", at(u, *p))
    });

    // Code actions on every line of the service file in turn (quick fixes where the diagnostic is,
    // "Convert to explicit path" on the entries), and every fourth on the workflow task calling a
    // route no entry answers ("Add entry for route…").
    let lines = text.lines().count() as u32;
    let (ll, _) = pos_of(&flow_text, "/p0/lines/1");
    let actions = time(rounds, |i| {
        let (u, l) = if i % 4 == 3 { (&flow_uri, ll) } else { (&uri, (i as u32 * 7) % lines) };
        let range = json!({"start": {"line": l, "character": 4}, "end": {"line": l, "character": 4}});
        c.call(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": u}, "range": range, "context": {"diagnostics": []}}),
        )
    });

    // Inlay hints of the whole large file, against a hover in it.
    let (big_uri, _) = c.open_file(&root, "services/big/src/main.rs");
    let big_lines = big.lines().count();
    let whole = json!({"textDocument": {"uri": big_uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": big_lines, "character": 0}}});
    let big_at = pos_of(&big, "get_record_1");
    let big_hover = time(rounds, |_| c.call("textDocument/hover", at(&big_uri, big_at))).0;
    let hints = time(rounds, |_| c.call("textDocument/inlayHint", whole.clone()));
    let hint_count = c.call("textDocument/inlayHint", whole).as_array().map_or(0, Vec::len);
    c.shutdown();

    let files = services * FILES_PER_SERVICE + 1;
    println!("assist benchmark: {files} Rust files, {rounds} requests of each kind");
    println!(
        "  {:<34} p50 {:>6.2} ms  p99 {:>6.2} ms  (baseline)",
        format!("hover ({files}-file project)"),
        ms(percentile(&base, 0.5)),
        ms(percentile(&base, 0.99))
    );
    report("completion", &completion, &base);
    report("codeAction", &actions, &base);
    println!(
        "  {:<34} p50 {:>6.2} ms  p99 {:>6.2} ms  (baseline)",
        format!("hover ({big_lines}-line file)"),
        ms(percentile(&big_hover, 0.5)),
        ms(percentile(&big_hover, 0.99))
    );
    report(&format!("inlayHint ({big_lines} lines, {hint_count} hints)"), &hints, &big_hover);
}
