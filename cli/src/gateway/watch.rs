//! `--watch`: a crate's files are polled (twice a second; `target/` and hidden directories
//! skipped); once a change has settled, the crate is rebuilt with cargo and the functions of its
//! services get the new executable — instances finishing their invocation first — while the gateway
//! keeps serving. A failed build keeps the running instances.
//!
//! Polling the few crates of a stage is cheap and behaves the same on every platform and editor
//! (atomic renames, network drives), which file-event watchers do not.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::lambda::{Function, FunctionSpec};
use super::Crate;

/// How often the files are looked at.
const POLL: Duration = Duration::from_millis(500);

/// Every file of `dir` (recursively, `target/` and hidden entries skipped) with its size and time.
fn fingerprint(dir: &Path, out: &mut Vec<(String, u64, SystemTime)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        let Ok(meta) = e.metadata() else { continue };
        if meta.is_dir() {
            fingerprint(&e.path(), out);
        } else if meta.is_file() {
            out.push((
                e.path().to_string_lossy().into_owned(),
                meta.len(),
                meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            ));
        }
    }
}

fn state(dir: &Path) -> Vec<(String, u64, SystemTime)> {
    let mut files = Vec::new();
    fingerprint(dir, &mut files);
    files.sort();
    files
}

/// Watches `crates` until the task is dropped.
pub async fn watch(crates: Vec<Crate>, functions: Arc<BTreeMap<String, Arc<Function>>>) {
    let crates = Arc::new(crates);
    let mut seen: Vec<Vec<(String, u64, SystemTime)>> = {
        let crates = crates.clone();
        tokio::task::spawn_blocking(move || crates.iter().map(|c| state(&c.dir)).collect())
            .await
            .unwrap_or_default()
    };
    loop {
        tokio::time::sleep(POLL).await;
        for (i, c) in crates.iter().enumerate() {
            let dir = c.dir.clone();
            let now = tokio::task::spawn_blocking(move || state(&dir)).await.unwrap_or_default();
            if seen.get(i) == Some(&now) {
                continue;
            }
            // Let the edit settle (editors write in several steps).
            tokio::time::sleep(POLL).await;
            let dir = c.dir.clone();
            let settled = tokio::task::spawn_blocking(move || state(&dir)).await.unwrap_or_default();
            if let Some(s) = seen.get_mut(i) {
                *s = settled;
            }
            crate::output::errln!("{} changed: rebuilding {}", c.dir.display(), c.services.join(", "));
            let manifest = c.manifest.clone();
            match tokio::task::spawn_blocking(move || crate::run::build(&manifest)).await {
                Ok(Ok(binary)) => {
                    for s in &c.services {
                        if let Some(f) = functions.get(s) {
                            f.replace(FunctionSpec { binary: binary.clone(), env: f.spec().env });
                            crate::output::errln!("{s}: rebuilt; new instances answer the next calls");
                        }
                    }
                }
                Ok(Err(crate::Failure::Usage(e) | crate::Failure::Failed(e))) => {
                    crate::output::errln!(
                        "{}: {e}; the running instances keep serving",
                        c.services.join(", ")
                    )
                }
                Err(e) => crate::output::errln!("{}: the build did not finish: {e}", c.services.join(", ")),
            }
        }
    }
}
