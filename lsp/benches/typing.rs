//! Typing benchmark: replays a typing session (hundreds of one-character edits) in one service file
//! of generated projects of 1,000 and 10,000 Rust service files (20 per service crate, a workflow
//! per 10 files), over real JSON-RPC, and prints for each size: initialize → first diagnostics
//! (in a large project, what the open file says on its own) and → the project's diagnostics (the
//! whole project loaded and checked), didChange → publishDiagnostics latency (median, p99, max),
//! the latency of hover, codeLens and completion requests, the server's memory; then how each
//! figure grows from the smaller project to the larger. Figures only: nothing is asserted.
//!
//! `cargo bench -p coworks-lsp --bench typing` (env `TYPING_EDITS` changes the number of edits,
//! `TYPING_SIZES=1000,10000` the project sizes in files, `TYPING_SERVER=/path/to/coworks-lsp` runs
//! another build of the server, to compare commits in alternating runs). Under `cargo test` (no `--bench` argument)
//! it runs as a small smoke test: 20 and 40 files, 20 edits.

#[path = "support/project.rs"]
mod project;
#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use project::{generate, percentile, FILES_PER_SERVICE};
use serde_json::{json, Value};
use support::{file_uri, Client};

fn status_field(pid: u32, field: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).map(|l| l[field.len()..].trim().to_string()))
        .unwrap_or_else(|| "n/a".to_string())
}

/// Latencies of `n` requests of `method` with `params`.
fn timed(c: &mut Client, n: usize, method: &str, params: &Value) -> Vec<Duration> {
    let mut out: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            c.call(method, params.clone());
            t.elapsed()
        })
        .collect();
    out.sort();
    out
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The figures of one session.
struct Figures {
    files: usize,
    first: Duration,
    /// Initialize → the project loaded and its diagnostics published.
    loaded: Duration,
    typing: Vec<Duration>,
    hover: Vec<Duration>,
    lens: Vec<Duration>,
    /// Completion latencies, when the server offers completion: in the typed Rust file, and at a
    /// workflow task's `service:` value (every service of the project is a candidate).
    completion: Option<Vec<Duration>>,
    completion_workflow: Option<Vec<Duration>>,
    rss_kib: u64,
    peak_kib: u64,
}

fn kib(field: &str) -> u64 {
    field.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// One typing session in a fresh project of `services` crates, with a fresh server.
fn session(services: usize, edits: usize, requests: usize) -> Figures {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().canonicalize().expect("canonical").join("bench");
    generate(&root, services);
    let files = services * FILES_PER_SERVICE;

    // `TYPING_SERVER`: another build of the server (e.g. another commit's), measured alike.
    let server =
        std::env::var("TYPING_SERVER").unwrap_or_else(|_| env!("CARGO_BIN_EXE_coworks-lsp").to_string());
    let mut c = Client::spawn(&server);
    let started = Instant::now();
    let init = c.initialize(&root, json!({}));
    let path = root.join("services/s0/src/main.rs");
    let text = std::fs::read_to_string(&path).expect("read");
    let uri = file_uri(&path);
    c.open(&uri, &text);
    c.diagnostics_at_version(&uri, 1);
    let first = started.elapsed();
    // In a large project the first list is what the open file says on its own; the project's
    // (cross-file checks included) comes with the first round after loading.
    c.wait_for(|m| m["method"] == "coworks/projectChanged").expect("the project's first round");
    let loaded = started.elapsed();

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
    let mut typing = Vec::with_capacity(typed.len());
    for (i, ch) in typed.chars().enumerate() {
        let version = 2 + i as i64;
        let sent = Instant::now();
        c.edit(&uri, version, (line, col), (line, col), &ch.to_string());
        c.diagnostics_at_version(&uri, version);
        typing.push(sent.elapsed());
        c.backlog.clear();
        if ch == '\n' {
            line += 1;
            col = 0;
        } else {
            col += ch.len_utf16() as u32;
        }
    }
    typing.sort();
    // Requests at the entry `get_p0_e0` (hover) and where the next entry would be typed.
    let entry_line = text.lines().position(|l| l.contains("fn get_p0_e0")).expect("entry") as u32;
    let doc = json!({"uri": uri});
    let hover = timed(
        &mut c,
        requests,
        "textDocument/hover",
        &json!({"textDocument": doc, "position": {"line": entry_line, "character": 16}}),
    );
    let lens = timed(&mut c, requests, "textDocument/codeLens", &json!({"textDocument": doc}));
    // Completion hook: measured when the server offers it (issue 13 adds it).
    let completion = init["capabilities"].get("completionProvider").filter(|v| !v.is_null()).map(|_| {
        let at = json!({"textDocument": doc, "position": {"line": line, "character": col}});
        timed(&mut c, requests, "textDocument/completion", &at)
    });
    let completion_workflow = completion.as_ref().map(|_| {
        let flow = root.join("workflows/w0.cws.yml");
        let flow_text = std::fs::read_to_string(&flow).expect("read the workflow");
        let flow_uri = file_uri(&flow);
        c.open(&flow_uri, &flow_text);
        let at =
            flow_text.lines().position(|l| l.trim_start().starts_with("service:")).expect("a task") as u32;
        let col = flow_text.lines().nth(at as usize).map_or(0, |l| l.len()) as u32;
        let params = json!({"textDocument": {"uri": flow_uri}, "position": {"line": at, "character": col}});
        timed(&mut c, requests, "textDocument/completion", &params)
    });
    let pid = c.pid();
    let (rss_kib, peak_kib) = (kib(&status_field(pid, "VmRSS:")), kib(&status_field(pid, "VmHWM:")));
    c.shutdown();
    Figures { files, first, loaded, typing, hover, lens, completion, completion_workflow, rss_kib, peak_kib }
}

fn report(f: &Figures) {
    let p = |v: &[Duration], q: f64| ms(percentile(v, q));
    println!(
        "{} Rust service files, {} workflows, {} one-character edits:",
        f.files,
        f.files.div_ceil(10),
        f.typing.len()
    );
    println!("  initialize -> first diagnostics         {:>8.1} ms   target < 1000 ms", ms(f.first));
    println!(
        "  initialize -> project diagnostics       {:>8.1} ms   (load + scan + first pass)",
        ms(f.loaded)
    );
    println!(
        "  didChange -> publishDiagnostics         p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms   target p99 < 15 ms",
        p(&f.typing, 0.5),
        p(&f.typing, 0.9),
        p(&f.typing, 0.99),
        p(&f.typing, 1.0)
    );
    println!(
        "  hover                                   p50 {:.2} ms, p99 {:.2} ms",
        p(&f.hover, 0.5),
        p(&f.hover, 0.99)
    );
    println!(
        "  codeLens                                p50 {:.2} ms, p99 {:.2} ms",
        p(&f.lens, 0.5),
        p(&f.lens, 0.99)
    );
    match &f.completion {
        Some(c) => println!("  completion                              p50 {:.2} ms, p99 {:.2} ms   target p99 < 50 ms", p(c, 0.5), p(c, 0.99)),
        None => println!("  completion                              not offered by this server (hover and codeLens stand in)"),
    }
    if let Some(c) = &f.completion_workflow {
        println!(
            "  completion at a workflow's service:     p50 {:.2} ms, p99 {:.2} ms   target p99 < 50 ms",
            p(c, 0.5),
            p(c, 0.99)
        );
    }
    println!(
        "  server memory: VmRSS {:.1} MiB, peak VmHWM {:.1} MiB   target < 150 MiB",
        f.rss_kib as f64 / 1024.0,
        f.peak_kib as f64 / 1024.0
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (default_sizes, default_edits, requests) =
        if full { (vec![1_000, 10_000], 400, 200) } else { (vec![20, 40], 20, 10) };
    let edits: usize =
        std::env::var("TYPING_EDITS").ok().and_then(|v| v.parse().ok()).unwrap_or(default_edits);
    let sizes: Vec<usize> = std::env::var("TYPING_SIZES")
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or(default_sizes);
    let runs: Vec<Figures> = sizes
        .iter()
        .map(|files| {
            let f = session(files.div_ceil(FILES_PER_SERVICE), edits, requests);
            report(&f);
            f
        })
        .collect();
    let (Some(a), Some(b)) = (runs.first(), runs.last()) else { return };
    if a.files == b.files {
        return;
    }
    println!(
        "growth from {} to {} files ({:.0}× the files):",
        a.files,
        b.files,
        b.files as f64 / a.files as f64
    );
    let p99 = |v: &[Duration]| ms(percentile(v, 0.99));
    let mut rows = vec![
        ("first diagnostics", ms(a.first), ms(b.first)),
        ("project diagnostics", ms(a.loaded), ms(b.loaded)),
        ("typing p50", ms(percentile(&a.typing, 0.5)), ms(percentile(&b.typing, 0.5))),
        ("typing p99", p99(&a.typing), p99(&b.typing)),
        ("hover p99", p99(&a.hover), p99(&b.hover)),
        ("codeLens p99", p99(&a.lens), p99(&b.lens)),
        ("VmRSS MiB", a.rss_kib as f64 / 1024.0, b.rss_kib as f64 / 1024.0),
        ("peak VmHWM MiB", a.peak_kib as f64 / 1024.0, b.peak_kib as f64 / 1024.0),
    ];
    if let (Some(x), Some(y)) = (&a.completion, &b.completion) {
        rows.push(("completion p99", p99(x), p99(y)));
    }
    if let (Some(x), Some(y)) = (&a.completion_workflow, &b.completion_workflow) {
        rows.push(("workflow compl. p99", p99(x), p99(y)));
    }
    for (what, x, y) in rows {
        println!("  {what:<20} {x:>10.2} → {y:>10.2}   ×{:.1}", y / x.max(1e-9));
    }
}
