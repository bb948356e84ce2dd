//! Typing benchmark: replays a typing session (hundreds of one-character edits) in one service file
//! of a generated 1,000-file project, over real JSON-RPC, and prints the didChange → publishDiagnostics
//! latency (median, p99, max) and the server's memory. Figures only: nothing is asserted.
//!
//! `cargo bench -p coworks-lsp --bench typing` (env `TYPING_EDITS` changes the number of edits).
//! Under `cargo test` (no `--bench` argument) it runs as a small smoke test: 20 files, 20 edits.

#[path = "support/project.rs"]
mod project;
#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use project::{generate, percentile, FILES_PER_SERVICE};
use serde_json::json;
use support::{file_uri, Client};

fn status_field(pid: u32, field: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).map(|l| l[field.len()..].trim().to_string()))
        .unwrap_or_else(|| "n/a".to_string())
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (services, default_edits) = if full { (50, 400) } else { (1, 20) };
    let edits: usize =
        std::env::var("TYPING_EDITS").ok().and_then(|v| v.parse().ok()).unwrap_or(default_edits);
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().canonicalize().expect("canonical").join("bench");
    generate(&root, services);
    let files = services * FILES_PER_SERVICE;

    let mut c = Client::spawn(env!("CARGO_BIN_EXE_coworks-lsp"));
    let started = Instant::now();
    c.initialize(&root, json!({}));
    let path = root.join("services/s0/src/main.rs");
    let text = std::fs::read_to_string(&path).expect("read");
    let uri = file_uri(&path);
    c.open(&uri, &text);
    c.diagnostics_at_version(&uri, 1);
    let load = started.elapsed();

    // Type new entries before the `}` closing the impl, one character per didChange. Half-typed
    // entries are syntax errors: the tolerant path is exercised on the way.
    let mut line = text.lines().count() as u32 - 1;
    let mut col = 0u32;
    let snippet = "    /// Typed.\n    #[entry]\n    fn get_typed_N(&self, id: u64) -> u64 { id }\n\n";
    // Whole entries, so the session ends on valid code.
    let mut typed = String::new();
    let mut n = 0;
    while typed.chars().count() < edits {
        typed.push_str(&snippet.replace('N', &n.to_string()));
        n += 1;
    }
    let edits = typed.chars().count();
    let lenses_before = c.call("textDocument/codeLens", json!({"textDocument": {"uri": uri}}));
    let mut latencies = Vec::with_capacity(edits);
    for (i, ch) in typed.chars().enumerate() {
        let version = 2 + i as i64;
        let sent = Instant::now();
        c.edit(&uri, version, (line, col), (line, col), &ch.to_string());
        c.diagnostics_at_version(&uri, version);
        latencies.push(sent.elapsed());
        c.backlog.clear();
        if ch == '\n' {
            line += 1;
            col = 0;
        } else {
            col += ch.len_utf16() as u32;
        }
    }
    let lenses = c.call("textDocument/codeLens", json!({"textDocument": {"uri": uri}}));
    let pid = c.pid();
    let (rss, peak) = (status_field(pid, "VmRSS:"), status_field(pid, "VmHWM:"));
    c.shutdown();

    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("typing benchmark: {files} Rust files, {edits} one-character edits in services/s0/src/main.rs");
    println!("  initialize + load + first diagnostics: {:.1} ms", ms(load));
    println!(
        "  didChange -> publishDiagnostics: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.9)),
        ms(percentile(&latencies, 0.99)),
        ms(percentile(&latencies, 1.0)),
    );
    println!("  server memory: VmRSS {rss}, peak VmHWM {peak}");
    let count = |v: &serde_json::Value| v.as_array().map_or(0, Vec::len);
    println!(
        "  code lenses: {} before typing, {} after ({n} entries typed)",
        count(&lenses_before),
        count(&lenses)
    );
}
