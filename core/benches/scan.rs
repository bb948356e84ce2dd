//! Scan benchmark: synthetic projects of 1,000 and 10,000 service files (one service each, six
//! entries) with a workflow per 10 services, a deploy configuration and env files per stage.
//!
//! For each size it prints the full scan, the one-file re-analysis after an edit (exact and tolerant
//! paths), the project-wide diagnostics pass after that edit (incremental) and from scratch, what the
//! files' texts and line indexes cost, and the process's memory; then how each figure grows from
//! the smallest size to the largest. Each size runs in a fresh process (this binary again, with
//! `--size N`), so its memory is its own.
//!
//! `cargo bench -p coworks-core --bench scan` (env `SCAN_SIZES=1000,10000` sets the sizes). Under
//! `cargo test --all-targets` (no `--bench` argument) it is a smoke run: 20 and 200 files, few edits.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use coworks_core::text::Source;
use coworks_core::Project;

/// One service file: a struct, docs, six entries of every kind, and some ordinary code.
fn service_file(i: usize) -> String {
    format!(
        r#"//! Service number {i}.
use coworks::prelude::*;

/// State of service {i}.
#[derive(Default)]
pub struct Service{i} {{
    counter: std::sync::atomic::AtomicU64,
}}

/// Entries of service {i}.
#[coworks::service(name = "service{i}")]
impl Service{i} {{
    /// One item.
    #[entry]
    async fn get_item(&self, id: u64) -> Result<Json<Item>, Error> {{
        Ok(Json(Item {{ id, name: format!("item {{id}}") }}))
    }}

    /// A page of items.
    #[entry]
    async fn get_items(&self, #[query] page: Option<u32>, #[query] tags: Vec<String>) -> Json<Vec<Item>> {{
        let _ = (page, tags);
        Json(Vec::new())
    }}

    /// Creates an item.
    #[entry]
    async fn post_item(&self, #[body] item: Item) -> StatusCode {{
        let _ = item;
        StatusCode::CREATED
    }}

    /// Orders of a user.
    #[entry(path = "/users/{{user}}/orders")]
    fn get_user_orders(&self, user: String) -> Json<Vec<u64>> {{
        Json(vec![user.len() as u64])
    }}

    /// Health.
    #[entry(no_auth)]
    fn get_health(&self) -> &'static str {{
        "ok"
    }}

    /// Debug counter.
    #[entry(stage = "dev")]
    fn get_debug(&self) -> String {{
        self.counter.load(std::sync::atomic::Ordering::Relaxed).to_string()
    }}
}}

/// An item.
#[derive(Serialize, Deserialize)]
pub struct Item {{
    id: u64,
    name: String,
}}

fn helper(x: u64) -> u64 {{
    (0..x).map(|v| v * 2).filter(|v| v % 3 == 0).sum()
}}
"#
    )
}

/// Workflow `k`: creates an item in one service, reads it back from the next, lists a third's
/// asynchronously (services `10k`, `10k+1`, `10k+2`).
fn workflow_file(k: usize, services: usize) -> String {
    let s = |d: usize| (10 * k + d) % services;
    format!(
        r#"id: w{k}
description: Workflow {k}.
tasks:
  create:
    service: service{a}
    method: POST
    path: /item
    json:
      id: "{{{{ conf.id }}}}"
      name: "{{{{ conf.name }}}}"
    on_success: [fetch]
  fetch:
    service: service{b}
    method: GET
    path: /item/{{id}}
    params:
      id: "{{{{ tasks.create.body.id }}}}"
  list:
    service: service{c}
    method: GET
    path: /items
    query:
      page: "1"
    async: true
    after: [fetch]
"#,
        a = s(0),
        b = s(1),
        c = s(2)
    )
}

const CONFIG: &str = "version: 3
name: bench
commands:
  deploy:
    region: eu-west-1
    bucket: bench-results
    timeout: 29
workspaces:
  dev:
    env_files: [.env.dev]
  prod:
    production: true
    env_files: [.env.prod]
    commands:
      deploy:
        public: [\"GET /health\"]
";

/// Writes the project of `files` services under `root`; returns the bytes of Rust written.
fn generate(root: &Path, files: usize) -> usize {
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write("project.cws.yml", CONFIG);
    write(".env", "LOG_LEVEL=info\n");
    write(".env.dev", "TOKEN=dev-token\n");
    write(".env.prod", "TOKEN=prod-token\n");
    let mut bytes = 0;
    for i in 0..files {
        write(&format!("services/s{i}/Cargo.toml"), &format!("[package]\nname = \"s{i}\"\n"));
        let text = service_file(i);
        bytes += text.len();
        write(&format!("services/s{i}/src/main.rs"), &text);
    }
    for k in 0..files.div_ceil(10) {
        write(&format!("workflows/w{k}.cws.yml"), &workflow_file(k, files));
    }
    bytes
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The `q` quantile of `v` (0.5: median).
fn quantile(v: &[Duration], q: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort();
    let i = ((v.len() - 1) as f64 * q).round() as usize;
    v[i].as_secs_f64() * 1e3
}

/// Measures one size in this process; prints a report and the figures as `figure NAME VALUE` lines.
fn measure(files: usize, edits: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let bytes = generate(root, files);
    let workflows = files.div_ceil(10);
    let mut figures: Vec<(&str, f64)> = Vec::new();

    let rss_start = rss_kib();
    let mut scans = Vec::new();
    let mut project = None;
    for _ in 0..3 {
        drop(project.take());
        let t = Instant::now();
        let p = Project::load(root).expect("load");
        scans.push(t.elapsed());
        project = Some(p);
    }
    let mut project = project.expect("loaded");
    let t = Instant::now();
    let first = project.diagnostics(Some("dev"));
    let first_pass = t.elapsed();
    let rss_loaded = rss_kib();
    let entries: usize = project.services(None).iter().map(|s| s.entries.len()).sum();
    assert_eq!(entries, files * 6, "every entry found");
    assert_eq!(project.workflows().count(), workflows, "every workflow read");
    assert!(first.is_empty(), "the synthetic project is clean: {first:?}");
    figures.push(("scan_ms", quantile(&scans, 0.5)));
    figures.push(("first_pass_ms", first_pass.as_secs_f64() * 1e3));

    // What keeping every file's text and line index costs: the same sources built again.
    let texts: Vec<String> = (0..files).map(service_file).collect();
    let before = rss_kib();
    let sources: Vec<Source> = texts.iter().map(|t| Source::new(t)).collect();
    let sources_kib = rss_kib().saturating_sub(before);
    drop(sources);

    let target = files / 2;
    let rel = PathBuf::from(format!("services/s{target}/src/main.rs"));
    let original = service_file(target);
    let (mut exact, mut tolerant, mut incremental, mut scratch) = (vec![], vec![], vec![], vec![]);
    for k in 0..edits {
        let valid = original.replace("fn helper(x: u64)", &format!("fn helper{k}(x: u64)"));
        let t = Instant::now();
        project.set_file_text(Path::new(&rel), &valid);
        exact.push(t.elapsed());
        // Half-typed: an unfinished entry makes the file invalid Rust.
        let broken = valid.replace(
            "    /// Health.",
            &format!("    #[entry]\n    fn get_x{k}(&self, id: u6\n    /// Health."),
        );
        let t = Instant::now();
        project.set_file_text(Path::new(&rel), &broken);
        tolerant.push(t.elapsed());
        let t = Instant::now();
        let diags = project.diagnostics(Some("dev"));
        incremental.push(t.elapsed());
        assert!(!diags.is_empty(), "the broken file is reported");
        if k % 4 == 0 {
            let t = Instant::now();
            let full = project.diagnostics_from_scratch(Some("dev"));
            scratch.push(t.elapsed());
            assert_eq!(full, diags, "the incremental pass answers as a pass from scratch");
        }
    }
    figures.push(("exact_ms", quantile(&exact, 0.5)));
    figures.push(("tolerant_ms", quantile(&tolerant, 0.5)));
    figures.push(("pass_ms", quantile(&incremental, 0.5)));
    figures.push(("pass_p99_ms", quantile(&incremental, 0.99)));
    figures.push(("scratch_ms", quantile(&scratch, 0.5)));
    figures.push(("rss_mib", rss_kib() as f64 / 1024.0));
    figures.push(("project_mib", rss_loaded.saturating_sub(rss_start) as f64 / 1024.0));
    figures.push(("sources_mib", sources_kib as f64 / 1024.0));

    let f = |name: &str| figures.iter().find(|(n, _)| *n == name).map_or(0.0, |(_, v)| *v);
    println!(
        "{files} service files ({:.1} MiB of Rust, {} entries), {workflows} workflows, {edits} edits:",
        bytes as f64 / (1 << 20) as f64,
        files * 6
    );
    println!("  full scan (read + parse + model, median of 3)     {:>9.1} ms", f("scan_ms"));
    println!("  first diagnostics pass (fills the caches)         {:>9.2} ms", f("first_pass_ms"));
    println!(
        "  one-file re-analysis, exact (syn) / tolerant      {:>9.3} ms / {:.3} ms (median)",
        f("exact_ms"),
        f("tolerant_ms")
    );
    println!(
        "  diagnostics pass after the edit, incremental      {:>9.3} ms (median), p99 {:.3} ms   target < 20 ms",
        f("pass_ms"),
        f("pass_p99_ms")
    );
    println!(
        "  diagnostics pass from scratch                     {:>9.3} ms (median)   incremental is {:.1}× faster",
        f("scratch_ms"),
        f("scratch_ms") / f("pass_ms").max(1e-6)
    );
    println!(
        "  memory: RSS {:.1} MiB; the loaded project +{:.1} MiB, of which texts + line indexes ~{:.1} MiB",
        f("rss_mib"),
        f("project_mib"),
        f("sources_mib")
    );
    for (name, value) in &figures {
        println!("figure {name} {value}");
    }
}

/// Runs this binary for one size and reads back its figures.
fn run_size(files: usize, edits: usize) -> BTreeMap<String, f64> {
    let exe = std::env::current_exe().expect("current exe");
    let out = Command::new(exe)
        .args(["--size", &files.to_string(), "--edits", &edits.to_string()])
        .output()
        .expect("run one size");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "size {files} failed:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    let mut figures = BTreeMap::new();
    for line in text.lines() {
        match line.strip_prefix("figure ") {
            Some(rest) => {
                let mut parts = rest.split(' ');
                if let (Some(name), Some(Ok(value))) = (parts.next(), parts.next().map(str::parse)) {
                    figures.insert(name.to_string(), value);
                }
            }
            None => println!("{line}"),
        }
    }
    figures
}

fn arg(args: &[String], name: &str) -> Option<usize> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(files) = arg(&args, "--size") {
        measure(files, arg(&args, "--edits").unwrap_or(100));
        return;
    }
    let full = args.iter().any(|a| a == "--bench");
    let sizes: Vec<usize> = match std::env::var("SCAN_SIZES") {
        Ok(v) => v.split(',').filter_map(|s| s.trim().parse().ok()).collect(),
        Err(_) if full => vec![1_000, 10_000],
        Err(_) => vec![20, 200],
    };
    let edits = if full { 200 } else { 8 };
    let results: Vec<(usize, BTreeMap<String, f64>)> =
        sizes.iter().map(|&n| (n, run_size(n, edits))).collect();
    let (Some((n0, small)), Some((n1, large))) = (results.first(), results.last()) else { return };
    if n0 == n1 {
        return;
    }
    println!("growth from {n0} to {n1} files ({:.0}× the files):", *n1 as f64 / *n0 as f64);
    for (name, what) in [
        ("scan_ms", "full scan"),
        ("first_pass_ms", "first diagnostics pass"),
        ("exact_ms", "one-file re-analysis (exact)"),
        ("tolerant_ms", "one-file re-analysis (tolerant)"),
        ("pass_ms", "incremental diagnostics pass"),
        ("scratch_ms", "diagnostics pass from scratch"),
        ("project_mib", "memory of the loaded project"),
        ("sources_mib", "texts + line indexes"),
    ] {
        let (a, b) = (small.get(name).copied().unwrap_or(0.0), large.get(name).copied().unwrap_or(0.0));
        println!("  {what:<34} {a:>10.3} → {b:>10.3}   ×{:.1}", b / a.max(1e-9));
    }
}
