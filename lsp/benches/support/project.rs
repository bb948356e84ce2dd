//! The generated project the benchmarks run on: `services` crates of [`FILES_PER_SERVICE`] Rust
//! files, each with four entries; and the quantiles they print.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

/// Rust files per generated service.
pub const FILES_PER_SERVICE: usize = 20;

/// Writes a file, creating its directories.
pub fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

/// A project of `services` crates with `FILES_PER_SERVICE` Rust files each, and a workflow per 10
/// files calling entries of three services.
pub fn generate(root: &Path, services: usize) {
    write(&root.join("project.cws.yml"), "version: 3\nname: bench\nworkspaces:\n  dev: {}\n  prod: {}\n");
    for s in 0..services {
        let dir = root.join(format!("services/s{s}"));
        write(&dir.join("Cargo.toml"), &format!("[package]\nname = \"s{s}\"\nversion = \"0.1.0\"\n"));
        for f in 0..FILES_PER_SERVICE {
            let mut text = format!("//! Part {f} of service {s}.\n\nuse coworks::prelude::*;\n\n");
            for k in 0..5 {
                text.push_str(&format!(
                    "/// A helper.\npub fn helper_{k}(x: u64) -> u64 {{\n    let y = x * {k};\n    y + 1\n}}\n\n"
                ));
            }
            text.push_str(&format!("/// Service {s}, part {f}.\n#[coworks::service]\nimpl S{s} {{\n"));
            for k in 0..4 {
                text.push_str(&format!(
                    "    /// Entry {k}.\n    #[entry]\n    async fn get_p{f}_e{k}(&self, id: u64, #[query] page: Option<u32>) -> Json<u64> {{\n        Json(id + page.unwrap_or(0) as u64)\n    }}\n\n"
                ));
            }
            text.push_str("}\n");
            let name = if f == 0 { "main.rs".to_string() } else { format!("part{f}.rs") };
            write(&dir.join("src").join(name), &text);
        }
    }
    let files = services * FILES_PER_SERVICE;
    for w in 0..files.div_ceil(10) {
        let mut text = format!("id: w{w}\ntasks:\n");
        for t in 0..3 {
            let (s, f) = ((w * 3 + t) % services, (w + t) % FILES_PER_SERVICE);
            let after = if t > 0 { format!("    after: [t{}]\n", t - 1) } else { String::new() };
            text.push_str(&format!(
                "  t{t}:\n    service: s{s}\n    method: GET\n    path: /p{f}/e{t}/{{id}}\n    params:\n      id: \"{{{{ conf.id }}}}\"\n    query:\n      page: \"1\"\n{after}"
            ));
        }
        write(&root.join(format!("workflows/w{w}.cws.yml")), &text);
    }
}

/// The `p` quantile (0..=1) of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}
