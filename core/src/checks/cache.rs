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
//!   workflow's by its file, what the services its tasks name are made of (and the set of
//!   service names, when a task names a service that does not exist), and the types its checks
//!   looked up, each with what the lookup found ([`TypeRead`]: a type may be defined in any file of
//!   the crate, one holding no part of a service too). A kept workflow answer stands when those
//!   lookups, asked again, find the same types: the checks would look up the same names and read
//!   the same. Editing a file's function bodies finds the same types, so it re-checks nothing;
//!   only the workflows that looked up a name the file writes after `struct` or `enum` (before or
//!   after the edit) ask again, and a lookup reads only the files writing that name
//!   ([`Project::type_files`](crate::Project)). Models are never changed in
//!   place — an edit puts a new one — so equal generations mean the same models. Workflows are
//!   shared (`Arc`) and never changed in place either, and the memory holds the ones it was
//!   computed from, so none can be freed and its address reused: the same pointer means the same
//!   workflow. Keys copy nothing per file (a workflow's copies the few types it read): a pass over
//!   10,000 files compares numbers.
//!
//! Which keys to compute again: the project keeps a journal of changes (each service name,
//! blueprint name, type name and workflow file with the generation of its latest change), and a
//! [`Memo`]
//! remembers the generation it is up to date with. A pass computes again only the keys of the
//! services and workflows the changes since then can reach: the services named in the journal,
//! those mounting a blueprint named there ([`Memo::mounting`]), and those whose key reads the set of
//! blueprint names; the workflows named there, those whose tasks name one of those services
//! ([`Memo::calling`]), those that looked up a type name named there ([`Memo::reading`]), and
//! those whose key reads the set of service names. Every other key is
//! made of generations the journal would name, had they changed: it is unchanged, and its answer
//! stands without being visited. The answers that are not empty are listed apart, so assembling
//! the list does not visit every service either: an edit to one file at 10,000 files costs what
//! depends on it.
//!
//! `Project::diagnostics_from_scratch` computes the same answer without this memory; a property
//! test compares the two, and both with a project loaded anew, after random edit sequences.

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::diagnostics::Diagnostic;
use crate::rust_source::serde_types::SerdeType;
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
    /// When it mounts a blueprint its crate does not define (the message says whether another
    /// crate has it and suggests the closest name of the crate): the revision of the set of
    /// blueprint names, and the names of the blueprints of the crates concerned.
    pub missing: Option<(u64, Vec<String>)>,
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
    /// The types its checks looked up, each as the lookup answers: with a kept answer, those the
    /// checks that made it looked up, as they answer now.
    pub types: Vec<TypeRead>,
}

/// One lookup of a struct or enum by name in a crate, as it answered
/// ([`serde_type`](crate::assist::structs::serde_type)).
#[derive(Debug, PartialEq)]
pub(crate) struct TypeRead {
    /// The crate directory.
    pub crate_dir: PathBuf,
    /// The type's name.
    pub name: String,
    /// What the lookup found.
    pub found: Option<SerdeType>,
}

/// Answers kept by id, with their keys; those that are not empty are listed apart, so a pass adds
/// them to its list without visiting every id.
#[derive(Debug)]
pub(crate) struct Table<I, K> {
    kept: HashMap<I, (K, Vec<Diagnostic>)>,
    nonempty: BTreeSet<I>,
}

impl<I, K> Default for Table<I, K> {
    fn default() -> Self {
        Table { kept: HashMap::new(), nonempty: BTreeSet::new() }
    }
}

impl<I: Hash + Ord + Clone, K> Table<I, K> {
    /// The key the answer for `id` was computed from, if one is kept.
    pub fn key(&self, id: &I) -> Option<&K> {
        self.kept.get(id).map(|(k, _)| k)
    }

    /// Keeps `answer` for `id`, computed from `key`.
    pub fn keep(&mut self, id: &I, key: K, answer: Vec<Diagnostic>) {
        if answer.is_empty() {
            self.nonempty.remove(id);
        } else {
            self.nonempty.insert(id.clone());
        }
        self.kept.insert(id.clone(), (key, answer));
    }

    /// Forgets the answer for `id` (a service or workflow that is gone).
    pub fn forget(&mut self, id: &I) {
        self.kept.remove(id);
        self.nonempty.remove(id);
    }

    /// Every kept diagnostic.
    pub fn answers(&self) -> impl Iterator<Item = &Diagnostic> {
        self.nonempty.iter().filter_map(|id| self.kept.get(id)).flat_map(|(_, answer)| answer.iter())
    }
}

/// Who depends on a name, for the names an edit changes: kept with the answers, and corrected
/// whenever a dependant's key is computed again.
#[derive(Debug)]
pub(crate) struct Dependants<N, D> {
    /// Name → the ids of what depends on it.
    of: HashMap<N, BTreeSet<D>>,
    /// Id → the names it depends on.
    on: HashMap<D, Vec<N>>,
}

impl<N, D> Default for Dependants<N, D> {
    fn default() -> Self {
        Dependants { of: HashMap::new(), on: HashMap::new() }
    }
}

impl<N: Hash + Eq + Clone, D: Ord + Hash + Clone> Dependants<N, D> {
    /// Records that `id` depends on `names` (and no longer on what it depended on before).
    pub fn set(&mut self, id: &D, names: Vec<N>) {
        self.forget(id);
        for n in &names {
            self.of.entry(n.clone()).or_default().insert(id.clone());
        }
        if !names.is_empty() {
            self.on.insert(id.clone(), names);
        }
    }

    /// Forgets what `id` depends on.
    pub fn forget(&mut self, id: &D) {
        for n in self.on.remove(id).unwrap_or_default() {
            if let Some(ids) = self.of.get_mut(&n) {
                ids.remove(id);
                if ids.is_empty() {
                    self.of.remove(&n);
                }
            }
        }
    }

    /// What depends on `name`.
    pub fn of(&self, name: &N) -> impl Iterator<Item = &D> {
        self.of.get(name).into_iter().flatten()
    }
}

/// What the memory holds.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    pass: Option<Pass>,
    /// The project's generation the answers are up to date with (`None`: nothing kept yet, every
    /// service and workflow is checked).
    pub seen: Option<u64>,
    /// Per service name.
    pub services: Table<String, ServiceKey>,
    /// Per workflow file.
    pub workflows: Table<PathBuf, WorkflowKey>,
    /// Blueprint name → the services mounting a blueprint of that name.
    pub mounting: Dependants<String, String>,
    /// Service name → the workflows whose tasks name it.
    pub calling: Dependants<String, PathBuf>,
    /// Type name → the workflows whose checks looked a type of that name up (any crate).
    pub reading: Dependants<String, PathBuf>,
    /// Services whose key reads the set of blueprint names (they mount a missing blueprint):
    /// their keys are computed again on every pass.
    pub read_blueprint_names: BTreeSet<String>,
    /// Workflows whose key reads the set of service names (a task names a missing service).
    pub read_service_names: BTreeSet<PathBuf>,
    /// How many times a workflow's checks ran (not answered from the memory).
    pub workflow_checks: u64,
    /// The custom-domain diagnostics of the pass, with the revision of the set of service names
    /// they were computed at (all they read besides the pass).
    pub domains: Option<(u64, Vec<Diagnostic>)>,
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
    /// pass.
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
        f(memo)
    }
}
