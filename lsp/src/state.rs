//! The server's shared state: open documents, the project under analysis, and the queue of files
//! waiting for analysis.
//!
//! Locks are `std` locks held for short, non-async sections only; the long work (loading, analysis)
//! runs on blocking threads. A poisoned lock (a panic while it was held) is recovered, not propagated:
//! one failed analysis must not take the server down.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use coworks_core::{Diagnostic, Project};
use ropey::Rope;
use tokio::sync::Notify;
use tower_lsp_server::ls_types::Uri;

use crate::convert::uri_of_path;
use crate::document::Document;

/// What to do with a queued file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Analyse the editor's text (or the disk's, if the document is no longer open).
    Editor,
    /// Re-read the file from disk (it changed outside the editor).
    Disk,
}

/// The active stage and the project's stages, as the client is told.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StageInfo {
    /// The project root: where `cws` commands run.
    pub root: String,
    /// The stage diagnostics, lenses and commands use.
    pub active: String,
    /// The project's stages in file order.
    pub stages: Vec<StageEntry>,
}

/// One stage of the project.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StageEntry {
    /// Its name.
    pub name: String,
    /// Whether it is marked `production: true`.
    pub production: bool,
}

/// Everything the handlers and the analysis worker share.
#[derive(Debug, Default)]
pub struct State {
    docs: Mutex<HashMap<Uri, Document>>,
    project: RwLock<Option<Project>>,
    root_hint: RwLock<Option<PathBuf>>,
    root: RwLock<Option<PathBuf>>,
    /// The stage the client asked for (initialization options, `coworks/setStage`,
    /// `workspace/didChangeConfiguration`); used while the project defines it.
    stage_option: RwLock<Option<String>>,
    /// The stage and stages last announced to the client (`coworks/stageChanged`).
    announced: Mutex<Option<StageInfo>>,
    queue: Mutex<BTreeMap<PathBuf, Work>>,
    /// Uris that were opened before the project root was known.
    orphans: Mutex<Vec<Uri>>,
    /// Wakes the analysis worker.
    pub wake: Notify,
    /// Bumped on every queued change: lets the worker tell that its result is already stale.
    pub generation: AtomicU64,
    loaded: AtomicBool,
    loaded_notify: Notify,
    /// Set by `shutdown`.
    pub shutting_down: AtomicBool,
    /// Set when no `project.cws.yml` was found: only the open documents are analysed.
    documents_only: AtomicBool,
    /// Set when every diagnostic must be recomputed although no file changed (the stage changed).
    pub recheck: AtomicBool,
    /// Whether the client registers file watchers dynamically.
    pub watch_registration: AtomicBool,
    /// Whether the client starts debug sessions (`initializationOptions.debugLens`): the `Debug`
    /// lens is shown to it only.
    pub debug_lens: AtomicBool,
    /// Whether the client shows `window/workDoneProgress`.
    pub work_done_progress: AtomicBool,
    /// Whether the client takes snippets in completion items.
    pub snippets: AtomicBool,
    /// Whether inlay hints are shown (`initializationOptions.inlayHints`, or the setting
    /// `coworks.inlayHints.enabled`); on unless turned off.
    pub hints_off: AtomicBool,
    /// The version of each open document the project analysed last, and the core's diagnostics
    /// (active stage) by file after that round: what code actions and other requests read.
    analysed: Mutex<Analysed>,
    analysed_notify: Notify,
    /// Held while the open documents' own diagnostics are published before the project is loaded,
    /// and while the loaded project is installed: an early list is never sent after the project's.
    pub early_gate: tokio::sync::Mutex<()>,
}

/// What the last analysis round left: versions analysed and diagnostics by file.
#[derive(Debug, Default)]
struct Analysed {
    versions: HashMap<PathBuf, i32>,
    diagnostics: Arc<BTreeMap<PathBuf, Vec<Diagnostic>>>,
}

/// How long a request waits for the analysis of the document version it is about.
pub const FRESHNESS_WAIT: Duration = Duration::from_secs(5);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(|p| p.into_inner())
}

impl State {
    /// The open documents.
    pub fn docs(&self) -> MutexGuard<'_, HashMap<Uri, Document>> {
        lock(&self.docs)
    }

    /// The project (`None` until it is loaded).
    pub fn project(&self) -> RwLockReadGuard<'_, Option<Project>> {
        read(&self.project)
    }

    /// Installs the loaded project and wakes the requests waiting for it.
    pub fn set_project(&self, project: Project) {
        *write(&self.project) = Some(project);
        self.loaded.store(true, Ordering::SeqCst);
        self.loaded_notify.notify_waiters();
    }

    /// Whether the project is loaded.
    pub fn is_loaded(&self) -> bool {
        self.loaded.load(Ordering::SeqCst)
    }

    /// Waits until the project is loaded, when something says where it is (a workspace folder or
    /// an open document); returns at once otherwise.
    pub async fn wait_loaded(&self) {
        loop {
            let notified = self.loaded_notify.notified();
            let expected = read(&self.root_hint).is_some() || !lock(&self.orphans).is_empty();
            if self.loaded.load(Ordering::SeqCst) || !expected {
                return;
            }
            // The worker loads the project when woken (also if `initialized` never came).
            self.wake.notify_one();
            notified.await;
        }
    }

    /// Records that the project now holds `version` of the open document `rel`.
    pub fn note_analysed(&self, rel: &Path, version: i32) {
        lock(&self.analysed).versions.insert(rel.to_path_buf(), version);
    }

    /// Records the core's diagnostics of the round just done, and wakes the requests waiting for it.
    pub fn set_diagnostics(&self, by_file: BTreeMap<PathBuf, Vec<Diagnostic>>) {
        lock(&self.analysed).diagnostics = Arc::new(by_file);
        self.analysed_notify.notify_waiters();
    }

    /// The core's diagnostics of the last round, by file.
    pub fn diagnostics(&self) -> Arc<BTreeMap<PathBuf, Vec<Diagnostic>>> {
        lock(&self.analysed).diagnostics.clone()
    }

    /// Waits (at most [`FRESHNESS_WAIT`]) until the project holds the open document `uri` at its
    /// current version, so that positions in the editor's text are positions in the project's.
    /// Returns whether it does (a document that is not open: at once, `true`).
    pub async fn wait_fresh(&self, uri: &Uri) -> bool {
        self.wait_loaded().await;
        let deadline = tokio::time::Instant::now() + FRESHNESS_WAIT;
        loop {
            let notified = self.analysed_notify.notified();
            let Some(rel) = self.rel_of(uri) else { return false };
            // A document that is not open: the project holds the disk's text.
            let Some(version) = self.docs().get(uri).map(|d| d.version) else { return true };
            let done = lock(&self.analysed).versions.get(&rel).is_some_and(|v| *v >= version);
            if done {
                return true;
            }
            self.wake.notify_one();
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return false;
            }
        }
    }

    /// The project, for the analysis worker.
    pub fn project_mut(&self) -> RwLockWriteGuard<'_, Option<Project>> {
        write(&self.project)
    }

    /// Where to look for the project first: the workspace folder or root URI of `initialize`.
    pub fn set_root_hint(&self, dir: Option<PathBuf>) {
        *write(&self.root_hint) = dir;
    }

    /// The `stage` of the client's initialization options.
    pub fn set_stage_option(&self, stage: Option<String>) {
        *write(&self.stage_option) = stage;
    }

    /// The project root, once known.
    pub fn root(&self) -> Option<PathBuf> {
        read(&self.root).clone()
    }

    /// Decides the project root: the nearest directory holding `project.cws.yml` at or above the
    /// workspace folder, else at or above an open document. Without one, the workspace folder (else
    /// the first document's directory) is the root and only the open documents are analysed
    /// ([`State::documents_only`]): a workspace folder such as `/` or a home directory is never
    /// walked. `None` while nothing tells where the project is.
    pub fn decide_root(&self) -> Option<PathBuf> {
        let hint = read(&self.root_hint).clone();
        let doc_dirs: Vec<PathBuf> = lock(&self.orphans)
            .iter()
            .filter_map(|u| u.to_file_path().and_then(|p| p.parent().map(Path::to_path_buf)))
            .collect();
        let project =
            hint.iter().chain(doc_dirs.iter()).find_map(|start| coworks_core::layout::find_root(start));
        self.documents_only.store(project.is_none(), Ordering::SeqCst);
        let found = project.or(hint).or_else(|| doc_dirs.first().cloned())?;
        *write(&self.root) = Some(found.clone());
        Some(found)
    }

    /// Whether only the open documents are analysed (no `project.cws.yml` was found).
    pub fn documents_only(&self) -> bool {
        self.documents_only.load(Ordering::SeqCst)
    }

    /// Remembers a document opened before the root was known (it helps finding the root).
    pub fn note_orphan(&self, uri: &Uri) {
        lock(&self.orphans).push(uri.clone());
    }

    /// The project-relative path of a URI inside the project.
    pub fn rel_of(&self, uri: &Uri) -> Option<PathBuf> {
        if !uri.scheme().as_str().eq_ignore_ascii_case("file") {
            return None;
        }
        let path = uri.to_file_path()?;
        let root = self.root()?;
        let rel = path.strip_prefix(&root).ok()?;
        let clean: PathBuf = rel
            .components()
            .map(|c| match c {
                std::path::Component::Normal(p) => Some(p),
                _ => None,
            })
            .collect::<Option<PathBuf>>()?;
        (!clean.as_os_str().is_empty()).then_some(clean)
    }

    /// The URI to publish for a project-relative path: the open document's own URI when it is open.
    pub fn uri_of_rel(&self, rel: &Path) -> Option<Uri> {
        let docs = self.docs();
        if let Some(uri) = docs.keys().find(|u| self.rel_of(u).as_deref() == Some(rel)) {
            return Some(uri.clone());
        }
        drop(docs);
        uri_of_path(&self.root()?.join(rel))
    }

    /// The open document's text and version for a project-relative path.
    pub fn open_text(&self, rel: &Path) -> Option<(Uri, Rope, i32)> {
        let docs = self.docs();
        docs.values()
            .find(|d| self.rel_of(&d.uri).as_deref() == Some(rel))
            .map(|d| (d.uri.clone(), d.rope.clone(), d.version))
    }

    /// Queues a file for analysis and wakes the worker.
    pub fn enqueue(&self, rel: PathBuf, work: Work) {
        let mut q = lock(&self.queue);
        // Editor text wins over a disk event for the same file.
        let entry = q.entry(rel).or_insert(work);
        if work == Work::Editor {
            *entry = Work::Editor;
        }
        drop(q);
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// Takes everything queued.
    pub fn take_queue(&self) -> BTreeMap<PathBuf, Work> {
        std::mem::take(&mut *lock(&self.queue))
    }

    /// Whether work is queued.
    pub fn has_queued(&self) -> bool {
        !lock(&self.queue).is_empty()
    }

    /// The active stage (diagnostics, lenses, commands): the one the client asked for when the
    /// project defines it, else the project's first stage. The server owns it; the client is told.
    pub fn stage(&self, project: &Project) -> String {
        let asked = read(&self.stage_option).clone();
        project.resolve_stage(asked.as_deref()).unwrap_or_else(|_| project.default_stage())
    }

    /// The active stage and the project's stages.
    pub fn stage_info(&self, project: &Project) -> StageInfo {
        let stages = project
            .stages()
            .into_iter()
            .map(|name| StageEntry { production: project.is_production(&name), name })
            .collect();
        StageInfo { root: project.root().display().to_string(), active: self.stage(project), stages }
    }

    /// The stage information when it differs from what was last announced (and records it).
    pub fn stage_news(&self, project: &Project) -> Option<StageInfo> {
        let now = self.stage_info(project);
        let mut last = lock(&self.announced);
        if last.as_ref() == Some(&now) {
            return None;
        }
        *last = Some(now.clone());
        Some(now)
    }

    /// The version of the open document of a project-relative path.
    pub fn open_version(&self, rel: &Path) -> Option<i32> {
        let docs = self.docs();
        docs.values().find(|d| self.rel_of(&d.uri).as_deref() == Some(rel)).map(|d| d.version)
    }
}
