//! The memory of the cross-file checks: each service's and each workflow's diagnostics, with
//! exactly what they were computed from, so an edit re-checks only what depends on it.
//!
//! Why a kept answer is still right:
//! - a [`Pass`] holds everything the per-service and per-workflow checks read besides the Rust
//!   models and the workflows (the stage, the revision of every other file, the stages and their
//!   environments). When the pass differs from the one the memory was filled in, it is emptied;
//! - a service's answer is keyed by what it is made of ([`MadeOf`]: the generations of the files
//!   holding its parts and of the blueprints it mounts — the project gives a service or blueprint
//!   name a new generation, from a counter that only grows, whenever a file holding a part of it
//!   is set or removed) and the set of blueprint names, when one it mounts does not exist; a
//!   workflow's by its file and what the services its tasks name are made of (and the set of
//!   service names, when a task names a service that does not exist). Models are never changed in
//!   place — an edit puts a new one — so equal generations mean the same models. Workflows are
//!   shared (`Arc`) and never changed in place either, and the memory holds the ones it was
//!   computed from, so none can be freed and its address reused: the same pointer means the same
//!   workflow. Keys copy nothing per file: a pass over 10,000 files compares numbers.
//!
//! `Project::diagnostics_from_scratch` computes the same answer without this memory; a property
//! test compares the two, and both with a project loaded anew, after random edit sequences.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::diagnostics::Diagnostic;
use crate::settings::deploy::FunctionSettings;
use crate::settings::StageEnv;
use crate::workflow::WorkflowFile;

/// What the checks of one pass share, computed once per pass from everything but the Rust models
/// and the workflows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pass {
    /// The stage asked for (every stage when `None`).
    pub stage: Option<String>,
    /// The revision of everything that is neither a Rust file nor a workflow.
    pub settings_rev: u64,
    /// The project's stages.
    pub stages: Vec<String>,
    /// The stages checked, each with its environment, whether it has an env file of its own, and
    /// its stage-wide deployment settings.
    pub checked: Vec<StagePass>,
}

/// One checked stage of a [`Pass`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StagePass {
    /// The stage.
    pub name: String,
    /// Its environment.
    pub env: StageEnv,
    /// Whether an env file of its own (not only `.env` / `.env.secret`) or `env_files` exists.
    pub has_env: bool,
    /// The stage-wide settings of its functions.
    pub functions: FunctionSettings,
}

impl Pass {
    /// The stage asked for.
    pub fn stage(&self) -> Option<&str> {
        self.stage.as_deref()
    }
}

/// A shared value compared by identity (see the module's documentation for why that is enough).
#[derive(Debug)]
pub(crate) struct Same<T>(pub Arc<T>);

impl<T> PartialEq for Same<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// What a service is made of, by generation ([`Project`](crate::Project) gives each service
/// name and each blueprint name a new one from a growing counter whenever a file holding a part of
/// it is set or removed): equal generations mean the same models.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct MadeOf {
    /// The generation of its files (`None`: no file defines it).
    pub service: Option<u64>,
    /// The generations of the blueprints it mounts, by name (any crate), in name order (the
    /// names are read from its files, which `service` stands for).
    pub blueprints: Vec<Option<u64>>,
}

/// The inputs of one service's checks.
#[derive(Debug, PartialEq)]
pub(crate) struct ServiceKey {
    /// Its files and those of the blueprints it mounts.
    pub made: MadeOf,
    /// The revision of the set of blueprint names, when it mounts a blueprint its crate does not
    /// define (the message suggests the closest name).
    pub blueprints_rev: Option<u64>,
}

/// The inputs of one workflow's checks.
#[derive(Debug, PartialEq)]
pub(crate) struct WorkflowKey {
    /// The workflow.
    pub file: Same<WorkflowFile>,
    /// For each service its tasks name (sorted, once each), what it is made of.
    pub services: Vec<MadeOf>,
    /// The revision of the set of service names, when a task names a service that does not exist
    /// (its message suggests the closest name).
    pub names_rev: Option<u64>,
}

/// Answers kept by id, with their keys.
#[derive(Debug)]
pub(crate) struct Table<I, K> {
    kept: HashMap<I, (K, Vec<Diagnostic>)>,
    used: HashSet<I>,
}

impl<I, K> Default for Table<I, K> {
    fn default() -> Self {
        Table { kept: HashMap::new(), used: HashSet::new() }
    }
}

impl<I: Hash + Eq + Clone, K> Table<I, K> {
    /// Adds to `out` the kept answer for `id` when `same` says its key is what the inputs are
    /// now; says whether it did. (Else the caller computes the answer and [`Table::keep`]s it.)
    pub fn reuse(&mut self, id: &I, same: impl FnOnce(&K) -> bool, out: &mut Vec<Diagnostic>) -> bool {
        self.used.insert(id.clone());
        match self.kept.get(id) {
            Some((kept, answer)) if same(kept) => {
                out.extend_from_slice(answer);
                true
            }
            _ => false,
        }
    }

    /// Adds `answer` to `out` and keeps it for `id`, computed from `key`.
    pub fn keep(&mut self, id: &I, key: K, answer: Vec<Diagnostic>, out: &mut Vec<Diagnostic>) {
        out.extend_from_slice(&answer);
        self.kept.insert(id.clone(), (key, answer));
    }

    /// Forgets the answers no [`Table::reuse`] asked for since the last sweep (services and
    /// workflows that are gone).
    fn sweep(&mut self) {
        let used = std::mem::take(&mut self.used);
        self.kept.retain(|id, _| used.contains(id));
    }
}

/// What the memory holds.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    pass: Option<Pass>,
    /// Per service name.
    pub services: Table<String, ServiceKey>,
    /// Per workflow file.
    pub workflows: Table<PathBuf, WorkflowKey>,
}

impl Memo {
    /// Ends a pass: forgets what it did not ask for.
    fn sweep(&mut self) {
        self.services.sweep();
        self.workflows.sweep();
    }
}

/// How many stages (`None`, every stage, counts as one) the memory keeps answers for at once.
const STAGES_KEPT: usize = 4;

/// The checks' memory of a project, one [`Memo`] per stage asked. A copy of a project starts with
/// an empty one.
#[derive(Debug, Default)]
pub(crate) struct CheckCache(Mutex<HashMap<Option<String>, Memo>>);

impl Clone for CheckCache {
    fn clone(&self) -> Self {
        CheckCache::default()
    }
}

impl CheckCache {
    /// Runs `f` with the memory of `pass`'s stage, emptied first when it was filled in another
    /// pass; then forgets what `f` did not ask for.
    pub fn with<R>(&self, pass: &Pass, f: impl FnOnce(&mut Memo) -> R) -> R {
        let mut memos = self.0.lock().unwrap_or_else(|poisoned| {
            // A check panicked while holding it: what it holds may be half-written.
            self.0.clear_poison();
            let mut memos = poisoned.into_inner();
            memos.clear();
            memos
        });
        if !memos.contains_key(&pass.stage) && memos.len() >= STAGES_KEPT {
            memos.clear();
        }
        let memo = memos.entry(pass.stage.clone()).or_default();
        if memo.pass.as_ref() != Some(pass) {
            *memo = Memo { pass: Some(pass.clone()), ..Memo::default() };
        }
        let answer = f(memo);
        memo.sweep();
        answer
    }
}
