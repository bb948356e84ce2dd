//! The analysis worker: one task that loads the project, applies queued file changes to it off the
//! request path (on a blocking thread), and publishes the diagnostics that changed.
//!
//! Edits only queue work and wake the worker, so a handler never waits for analysis. While a round
//! runs, newer edits queue up and are taken together by the next round (debounce by coalescing);
//! a round whose result is already stale when it finishes does not publish — the next one does.
//! Every round publishes for the files it analysed, for every file whose diagnostics changed
//! (cross-file ones included), and an empty list for files whose diagnostics went away; then it
//! sends `coworks/projectChanged` (a client showing the project tree asks for it again).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use coworks_core::layout::CONFIG_FILE;
use coworks_core::text::Source;
use coworks_core::{Diagnostic, Project};
use tower_lsp_server::ls_types::{self as lsp, MessageType, NumberOrString, Uri};
use tower_lsp_server::Client;

use crate::convert;
use crate::state::{State, Work};

/// The token of the progress shown while the project loads.
pub const PROGRESS_TOKEN: &str = "coworks/load";

/// How long the worker waits after being woken, so a burst of keystrokes makes one round.
pub const DEBOUNCE: Duration = Duration::from_millis(2);

/// Once loading has read this many Rust files, the open documents' own diagnostics are published
/// ([`coworks_core::own_diagnostics`]: syntax, entries, attributes), before the project's: a
/// project this large takes a second or more to load; a smaller one is loaded before it matters,
/// and shows the project's diagnostics first.
pub const EARLY_DIAGNOSTICS_AFTER: usize = 2_000;

/// What one file should show, ready to publish.
#[derive(Debug)]
struct FileDiagnostics {
    uri: Uri,
    version: Option<i32>,
    diagnostics: Vec<lsp::Diagnostic>,
}

/// The result of one round.
#[derive(Debug, Default)]
struct Round {
    /// Per project-relative file, what to show now (files without diagnostics are absent).
    files: BTreeMap<PathBuf, FileDiagnostics>,
    /// Files analysed in this round.
    touched: BTreeSet<PathBuf>,
    /// URIs of files that had diagnostics before and have none now.
    cleared: Vec<(PathBuf, Uri, Option<i32>)>,
    /// Files whose analysis panicked, with the panic's message.
    failures: Vec<(PathBuf, String)>,
    /// The core's diagnostics per file, to tell next round which files changed.
    core: HashMap<PathBuf, Vec<Diagnostic>>,
    /// The baseline this round compared with (kept when the round does not publish).
    previous: HashMap<PathBuf, Vec<Diagnostic>>,
}

/// Fault injection for tests (debug builds only): analysing a file with this name panics.
pub const FAULT_ENV: &str = "COWORKS_LSP_FAULT";

fn inject_fault(rel: &Path) {
    if cfg!(debug_assertions) {
        if let Ok(name) = std::env::var(FAULT_ENV) {
            if rel.file_name().is_some_and(|n| n.to_string_lossy() == name) {
                panic!("injected fault while analysing {}", rel.display());
            }
        }
    }
}

/// Runs the worker until the server shuts down.
pub async fn run(state: Arc<State>, client: Client) {
    let mut published: HashMap<PathBuf, Vec<lsp::Diagnostic>> = HashMap::new();
    let mut forced: BTreeSet<PathBuf> = BTreeSet::new();
    let mut previous_core: HashMap<PathBuf, Vec<Diagnostic>> = HashMap::new();
    loop {
        state.wake.notified().await;
        if state.shutting_down.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(DEBOUNCE).await;
        if state.project().is_none() && !load(&state, &client).await {
            continue;
        }
        let work = state.take_queue();
        let recheck = state.recheck.swap(false, std::sync::atomic::Ordering::SeqCst);
        if work.is_empty() && !recheck {
            continue;
        }
        let before = published.keys().cloned().collect::<BTreeSet<_>>();
        let job_state = state.clone();
        let previous = std::mem::take(&mut previous_core);
        let result = tokio::task::spawn_blocking(move || analyse(&job_state, work, &before, previous)).await;
        let mut round = match result {
            Ok(round) => round,
            Err(e) => {
                let what = panic_message(e);
                client.log_message(MessageType::ERROR, format!("coworks: analysis failed: {what}")).await;
                continue;
            }
        };
        for (rel, what) in &round.failures {
            let message = format!("coworks: analysing {} failed: {what}", rel.display());
            client.log_message(MessageType::ERROR, message).await;
        }
        forced.extend(round.touched.iter().cloned());
        if state.has_queued() {
            // Stale already: the next round publishes, for these files too.
            previous_core = std::mem::take(&mut round.previous);
            state.wake.notify_one();
            continue;
        }
        previous_core = std::mem::take(&mut round.core);
        for (rel, f) in round.files {
            let same = published.get(&rel) == Some(&f.diagnostics);
            if same && !forced.contains(&rel) {
                continue;
            }
            published.insert(rel, f.diagnostics.clone());
            client.publish_diagnostics(f.uri, f.diagnostics, f.version).await;
        }
        for (rel, uri, version) in round.cleared {
            published.remove(&rel);
            client.publish_diagnostics(uri, Vec::new(), version).await;
        }
        // Analysed files without any diagnostic: publish an empty list once, as an answer to the edit.
        for rel in std::mem::take(&mut forced) {
            if published.contains_key(&rel) {
                continue;
            }
            if let Some((uri, _, version)) = state.open_text(&rel) {
                client.publish_diagnostics(uri, Vec::new(), Some(version)).await;
            }
        }
        announce_stage(&state, &client).await;
        // The project tree may have changed: the client asks again when it shows it.
        client.send_notification::<crate::server::ProjectChanged>(serde_json::json!({})).await;
    }
}

/// Tells the client the active stage and the project's stages when they changed since last told.
async fn announce_stage(state: &State, client: &Client) {
    let news = state.project().as_ref().and_then(|p| state.stage_news(p));
    if let Some(info) = news {
        client.send_notification::<crate::server::StageChanged>(info).await;
    }
}

/// Loads the project once its root is known. Returns whether there is a project now.
async fn load(state: &Arc<State>, client: &Client) -> bool {
    // Finding the root looks at the disk: off the async threads too.
    let deciding = state.clone();
    let Ok(Some(root)) = tokio::task::spawn_blocking(move || deciding.decide_root()).await else {
        return false;
    };
    // The first scan of a large project takes a while: shown as `window/workDoneProgress`.
    let progress = match state.work_done_progress.load(std::sync::atomic::Ordering::SeqCst) {
        true => {
            let token = NumberOrString::String(PROGRESS_TOKEN.to_string());
            match client.create_work_done_progress(token.clone()).await {
                Ok(()) => Some(
                    client
                        .progress(token, "Loading CoWorks project")
                        .with_message(root.display().to_string())
                        .begin()
                        .await,
                ),
                Err(_) => None,
            }
        }
        false => None,
    };
    let loading = root.clone();
    let documents_only = state.documents_only();
    let runtime = tokio::runtime::Handle::current();
    let (early_state, early_client) = (state.clone(), client.clone());
    let loaded = tokio::task::spawn_blocking(move || {
        if documents_only {
            // No project here: nothing is scanned, the open documents are all there is.
            Ok(Project::empty(loading))
        } else {
            Project::load_with_progress(&loading, &mut |read| {
                if read == EARLY_DIAGNOSTICS_AFTER {
                    runtime.spawn(publish_own(early_state.clone(), early_client.clone()));
                }
            })
        }
    })
    .await;
    let project = match loaded {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => {
            client
                .log_message(MessageType::WARNING, format!("coworks: cannot read {}: {e}", root.display()))
                .await;
            Project::empty(root.clone())
        }
        Err(e) => {
            let what = panic_message(e);
            client
                .log_message(MessageType::ERROR, format!("coworks: loading the project failed: {what}"))
                .await;
            Project::empty(root.clone())
        }
    };
    let summary = format!(
        "{} Rust files, {} services, {} workflows",
        project.rust_files().count(),
        project.service_names().len(),
        project.workflows().count()
    );
    let gate = state.early_gate.lock().await;
    state.set_project(project);
    drop(gate);
    if let Some(p) = progress {
        p.finish_with_message(summary).await;
    }
    let message = if documents_only {
        format!(
            "coworks: no {CONFIG_FILE} at or above {}: only the open documents are analysed",
            root.display()
        )
    } else {
        format!("coworks: project loaded from {}", root.display())
    };
    client.log_message(MessageType::INFO, message).await;
    // Everything open so far is analysed with the editor's text, and the project-wide diagnostics
    // are published once (an empty path stands for "the project").
    let open: Vec<Uri> = state.docs().keys().cloned().collect();
    for uri in open {
        if let Some(rel) = state.rel_of(&uri) {
            state.enqueue(rel, Work::Editor);
        }
    }
    state.enqueue(PathBuf::new(), Work::Disk);
    true
}

/// Publishes what each open Rust document says on its own while the project loads (the first
/// round after loading publishes the project's diagnostics for them: these and the cross-file ones).
async fn publish_own(state: Arc<State>, client: Client) {
    let docs: Vec<(Uri, String, i32)> =
        state.docs().values().map(|d| (d.uri.clone(), d.rope.to_string(), d.version)).collect();
    let job = state.clone();
    let own = tokio::task::spawn_blocking(move || {
        let own = |(uri, text, version): (Uri, String, i32)| {
            let rel = job.rel_of(&uri).filter(|r| r.extension().is_some_and(|e| e == "rs"))?;
            let source = Source::new(&text);
            let converted = coworks_core::own_diagnostics(&rel, &text)
                .iter()
                .map(|d| convert::diagnostic(&source, d, |_| None))
                .collect::<Vec<_>>();
            Some((uri, version, converted))
        };
        docs.into_iter().filter_map(own).collect::<Vec<_>>()
    })
    .await;
    let Ok(own) = own else { return };
    let _gate = state.early_gate.lock().await;
    if state.is_loaded() {
        return;
    }
    for (uri, version, diagnostics) in own {
        client.publish_diagnostics(uri, diagnostics, Some(version)).await;
    }
}

/// One round, on a blocking thread: apply the queued changes, compute the diagnostics, convert those
/// of the files analysed and of the files whose diagnostics changed (others keep what was published).
/// Positions are converted from the texts the project holds: no file is read here.
fn analyse(
    state: &State,
    work: BTreeMap<PathBuf, Work>,
    before: &BTreeSet<PathBuf>,
    previous: HashMap<PathBuf, Vec<Diagnostic>>,
) -> Round {
    let mut round = Round::default();
    let mut fresh = Vec::new();
    {
        let mut guard = state.project_mut();
        let Some(project) = guard.as_mut() else {
            return Round { previous, ..round };
        };
        for (rel, what) in work {
            if rel.as_os_str().is_empty() {
                continue;
            }
            let documents_only = state.documents_only();
            let open = if what == Work::Editor || documents_only { state.open_text(&rel) } else { None };
            if let Some((_, _, version)) = &open {
                fresh.push((rel.clone(), *version));
            }
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                inject_fault(&rel);
                match &open {
                    Some((_, rope, _)) => project.set_file_bytes(&rel, rope.to_string().as_bytes()),
                    // Without a project, a file that is not open is not analysed (a closed one is forgotten).
                    None if documents_only => project.remove_file(&rel),
                    None => project.reload_from_disk(&rel),
                }
            }));
            if let Err(panic) = outcome {
                round.failures.push((rel.clone(), payload_message(panic.as_ref())));
            }
            round.touched.insert(rel);
        }
    }
    let guard = state.project();
    let Some(project) = guard.as_ref() else {
        return Round { previous, ..round };
    };
    // The diagnostics of the active stage: what `cws check -s <stage>` prints.
    let stage = state.stage(project);
    let diagnostics = project.diagnostics(Some(&stage));
    let mut by_file: BTreeMap<PathBuf, Vec<Diagnostic>> = BTreeMap::new();
    for d in diagnostics {
        by_file.entry(d.file.clone()).or_default().push(d);
    }
    let empty = Source::new("");
    let related = |rel: &Path| Some((state.uri_of_rel(rel)?, project.source(rel)?.clone()));
    for (rel, diags) in &by_file {
        let unchanged = previous.get(rel) == Some(diags) && !round.touched.contains(rel);
        if unchanged && before.contains(rel) {
            continue;
        }
        let Some(uri) = state.uri_of_rel(rel) else {
            continue;
        };
        let source = project.source(rel).unwrap_or(&empty);
        let converted = diags.iter().map(|d| convert::diagnostic(source, d, related)).collect();
        let version = state.open_version(rel);
        round.files.insert(rel.clone(), FileDiagnostics { uri, version, diagnostics: converted });
    }
    for rel in before {
        if !by_file.contains_key(rel) {
            if let Some(uri) = state.uri_of_rel(rel) {
                round.cleared.push((rel.clone(), uri, state.open_version(rel)));
            }
        }
    }
    for (rel, version) in fresh {
        state.note_analysed(&rel, version);
    }
    state.set_diagnostics(by_file.clone());
    round.core = by_file.into_iter().collect();
    round.previous = previous;
    round
}

/// The message of a panicked task.
pub fn panic_message(e: tokio::task::JoinError) -> String {
    if !e.is_panic() {
        return e.to_string();
    }
    payload_message(e.into_panic().as_ref())
}

/// The message of a panic payload.
pub fn payload_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
}
