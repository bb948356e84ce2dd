//! Scan benchmark: a synthetic project of 1,000 service files.
//!
//! Prints the full scan time, the one-file re-analysis time after an edit (exact and tolerant
//! paths), the project-wide diagnostics pass, and memory. Run: `cargo bench -p coworks-core --bench scan`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use coworks_core::Project;

const FILES: usize = 1_000;

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

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn p99(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[(v.len() * 99 / 100).min(v.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::write(root.join("project.cws.yml"), "version: 3\nworkspaces:\n  dev: {}\n  prod: {}\n")
        .expect("write config");
    for i in 0..FILES {
        let crate_dir = root.join(format!("services/s{i}"));
        std::fs::create_dir_all(crate_dir.join("src")).expect("mkdir");
        std::fs::write(crate_dir.join("Cargo.toml"), format!("[package]\nname = \"s{i}\"\n")).expect("write");
        std::fs::write(crate_dir.join("src/main.rs"), service_file(i)).expect("write");
    }
    let bytes: usize = (0..FILES).map(|i| service_file(i).len()).sum();
    println!("synthetic project: {FILES} service files, {:.1} MiB of Rust", bytes as f64 / (1 << 20) as f64);

    let rss_before = rss_kib();
    let mut scans = Vec::new();
    let mut project = None;
    for _ in 0..5 {
        let t = Instant::now();
        let p = Project::load(root).expect("load");
        scans.push(t.elapsed());
        project = Some(p);
    }
    let mut project = project.expect("loaded");
    let rss_after = rss_kib();
    let entries: usize = project.services(None).iter().map(|s| s.entries.len()).sum();
    assert_eq!(entries, FILES * 6, "every entry found");
    let scan = median(scans);
    println!(
        "full scan (read + parse + model, median of 5): {:.1} ms   target < 1000 ms  (ratio {:.2})",
        ms(scan),
        ms(scan) / 1000.0
    );

    let rel = PathBuf::from("services/s500/src/main.rs");
    let original = service_file(500);
    let edit = |text: &str, k: usize| text.replace("fn helper(x: u64)", &format!("fn helper{k}(x: u64)"));
    let mut exact = Vec::new();
    let mut tolerant = Vec::new();
    let mut whole = Vec::new();
    for k in 0..300 {
        let valid = edit(&original, k);
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
        whole.push(t.elapsed());
        assert!(!diags.is_empty(), "the broken file is reported");
    }
    println!(
        "one-file re-analysis, exact path (syn):        median {:.3} ms, p99 {:.3} ms   target < 5 ms (ratio {:.2})",
        ms(median(exact.clone())),
        ms(p99(exact.clone())),
        ms(median(exact)) / 5.0
    );
    println!(
        "one-file re-analysis, tolerant path (broken):  median {:.3} ms, p99 {:.3} ms   target < 5 ms (ratio {:.2})",
        ms(median(tolerant.clone())),
        ms(p99(tolerant.clone())),
        ms(median(tolerant)) / 5.0
    );
    println!(
        "project-wide diagnostics pass (1,000 files):   median {:.3} ms, p99 {:.3} ms",
        ms(median(whole.clone())),
        ms(p99(whole))
    );
    println!(
        "memory: RSS {:.1} MiB after loading (+{:.1} MiB for the project model)",
        rss_after as f64 / 1024.0,
        rss_after.saturating_sub(rss_before) as f64 / 1024.0
    );
}
