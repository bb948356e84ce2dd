//! A project under analysis: the store of its files (each one's text and line index, and what it
//! declares), and the queries every face asks.
//!
//! [`Project::load`] scans a directory once; [`Project::set_file_text`] re-analyses one edited file
//! without re-reading the rest. [`Project::services`] assembles the answer from per-file results, so
//! an edit costs one file's analysis plus a cheap project-wide pass. The settings of a stage
//! (options, environment) are in [`crate::settings`]; the diagnostics in [`crate::checks`].

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::checks::cache::CheckCache;
use crate::config::{self, EnvFile, ProjectConfig};
use crate::diagnostics::Diagnostic;
use crate::layout::{file_kind, FileKind};
use crate::model::{Entry, Route, Service};
use crate::rust_source::analyze::analyze_rust;
use crate::rust_source::file_model::{FileModel, Mount, ServicePart};
use crate::scan;
use crate::text::Source;
use crate::workflow::WorkflowFile;

pub use crate::layout::CONFIG_FILE;

pub(crate) mod env_files;
pub(crate) mod inside;
mod workflows;

/// `project.cws.yml` as read, with the diagnostics of reading it.
#[derive(Debug, Clone)]
struct ConfigState {
    config: ProjectConfig,
    diagnostics: Vec<Diagnostic>,
}

/// A CoWorks project being analysed.
#[derive(Debug, Clone)]
pub struct Project {
    root: PathBuf,
    /// The text of every file read (Rust, project file, env files, workflows), by relative path.
    sources: BTreeMap<PathBuf, Source>,
    /// Each Rust file's model. A model is never changed in place: an edit puts a new `Arc` (see
    /// [`Project::put_rust`]), so the checks' cache tells a model it saw by identity.
    rust: BTreeMap<PathBuf, Arc<FileModel>>,
    /// The Rust files whose models hold diagnostics (kept by [`Project::put_rust`]): a pass lists
    /// them without visiting every model.
    rust_diagnosed: BTreeSet<PathBuf>,
    /// Service name → the models of the Rust files holding a part of it, in path order (kept by
    /// [`Project::put_rust`]).
    by_service: BTreeMap<String, Vec<Arc<FileModel>>>,
    /// Blueprint (type) name → the models of the Rust files holding a part of it, in path order.
    by_blueprint: BTreeMap<String, Vec<Arc<FileModel>>>,
    /// Type name → the models of the Rust files writing `struct` or `enum` before it (any crate),
    /// in path order (kept by [`Project::put_rust`]): the only files a lookup of the type reads.
    by_type: BTreeMap<String, Vec<Arc<FileModel>>>,
    /// Bumped when the set of service names changes.
    names_rev: u64,
    /// The generation of each service name and of each blueprint name: set anew (from
    /// `last_generation`) whenever a file holding a part of it changes, comes or goes, so that the
    /// checks' cache tells what a service or blueprint is made of by one number.
    generations: Generations,
    /// Bumped when the set of blueprint names changes.
    blueprints_rev: u64,
    /// Bumped by every change that is neither a Rust file's nor a workflow's (project file, env
    /// files, manifests, notes): what the checks read besides models and workflows.
    settings_rev: u64,
    config: Option<ConfigState>,
    env: BTreeMap<PathBuf, (EnvFile, Vec<Diagnostic>)>,
    /// Env files listed by `env_files` that are not `.env*` files at the root.
    listed_env: BTreeSet<PathBuf>,
    crate_roots: BTreeSet<PathBuf>,
    notes: Vec<Diagnostic>,
    /// Each workflow as read; replaced, never changed in place, like the Rust models.
    workflows: BTreeMap<PathBuf, Arc<WorkflowFile>>,
    /// The `env_files` entries marked `outside: true`, by the name listed, once a face that runs the
    /// project's code asked for them ([`Project::read_outside_env_files`]); `None` until then.
    outside_env: Option<BTreeMap<String, env_files::OutsideEnv>>,
    /// The results of the cross-file checks, with what each was computed from.
    check_cache: CheckCache,
}

/// The empty configuration, for projects without `project.cws.yml`.
static EMPTY_CONFIG: std::sync::LazyLock<ProjectConfig> =
    std::sync::LazyLock::new(|| ProjectConfig::empty(Path::new(CONFIG_FILE)));

impl Project {
    /// A project with nothing read yet.
    pub fn empty(root: impl Into<PathBuf>) -> Self {
        Project {
            root: root.into(),
            sources: BTreeMap::new(),
            rust: BTreeMap::new(),
            rust_diagnosed: BTreeSet::new(),
            by_service: BTreeMap::new(),
            by_blueprint: BTreeMap::new(),
            by_type: BTreeMap::new(),
            names_rev: 0,
            generations: Generations::default(),
            blueprints_rev: 0,
            settings_rev: 0,
            config: None,
            env: BTreeMap::new(),
            listed_env: BTreeSet::new(),
            crate_roots: BTreeSet::new(),
            notes: Vec::new(),
            workflows: BTreeMap::new(),
            outside_env: None,
            check_cache: CheckCache::default(),
        }
    }

    /// Scans `root`: Rust files (respecting `.gitignore`, skipping `target/`), `project.cws.yml`,
    /// the `.env*` files, the env files the project file lists, and workflows. Fails only when `root`
    /// is not a readable directory; anything unreadable inside becomes a diagnostic.
    pub fn load(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        Self::load_with_progress(root, &mut |_| {})
    }

    /// [`Project::load`], calling `progress` with the number of Rust files read so far after each
    /// one is read (on the walking thread, while the analysis threads parse): a face can act while
    /// a large project loads (the language server publishes what the open files say on their own,
    /// [`own_diagnostics`](crate::own_diagnostics)).
    pub fn load_with_progress(
        root: impl Into<PathBuf>,
        progress: &mut (dyn FnMut(usize) + Send),
    ) -> std::io::Result<Self> {
        let root = root.into();
        std::fs::read_dir(&root)?;
        let mut project = Project::empty(root);
        // The walk (one thread, mostly system calls) hands each Rust file to the analysis threads
        // as soon as it is read: reading and parsing overlap.
        let (files, rx) = std::sync::mpsc::channel::<(PathBuf, String)>();
        let rx = std::sync::Mutex::new(rx);
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(8);
        let (found, analysed) = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut out = Vec::new();
                        loop {
                            // The lock is held only while waiting for the next file.
                            let next = rx.lock().ok().and_then(|r| r.recv().ok());
                            let Some((rel, text)) = next else { break out };
                            out.push((analyze_rust(&rel, Path::new(""), &text), Source::new(&text)));
                        }
                    })
                })
                .collect();
            let mut read = 0;
            let found = scan::scan(&project.root, &mut |rel, text| {
                let _ = files.send((rel, text));
                read += 1;
                progress(read);
            });
            drop(files);
            let analysed: Vec<_> = workers.into_iter().flat_map(|w| w.join().unwrap_or_default()).collect();
            (found, analysed)
        });
        project.notes = found.notes;
        project.crate_roots = found.crate_roots;
        for (mut model, source) in analysed {
            // Crates are known once the walk is over.
            model.crate_dir = project.crate_dir_of(&model.file);
            project.sources.insert(model.file.clone(), source);
            project.put_rust(&model.file.clone(), Some(model));
        }
        for (rel, text) in found.project_files {
            project.set_file_text(&rel, &text);
        }
        Ok(project)
    }

    /// The project root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The parsed `project.cws.yml`, if there is one.
    pub fn config(&self) -> Option<&ProjectConfig> {
        self.config.as_ref().map(|c| &c.config)
    }

    /// The configuration in effect: `project.cws.yml`, or the defaults of a project without one.
    pub fn config_or_default(&self) -> &ProjectConfig {
        self.config().unwrap_or(&EMPTY_CONFIG)
    }

    /// The diagnostics of reading `project.cws.yml`.
    pub(crate) fn config_diagnostics(&self) -> &[Diagnostic] {
        self.config.as_ref().map(|c| c.diagnostics.as_slice()).unwrap_or_default()
    }

    /// An env file as last read or edited (`rel`: `.env`, `.env.dev` ...), if the project has it.
    pub fn env_file(&self, rel: &Path) -> Option<&EnvFile> {
        self.env.get(rel).map(|(f, _)| f)
    }

    /// The project-relative paths of the env files read.
    pub fn env_file_paths(&self) -> impl Iterator<Item = &PathBuf> {
        self.env.keys()
    }

    /// Every env file read, with the diagnostics of reading it.
    pub(crate) fn env_files(&self) -> impl Iterator<Item = (&PathBuf, &(EnvFile, Vec<Diagnostic>))> {
        self.env.iter()
    }

    /// The text and line index of a file as last read or edited.
    pub fn source(&self, rel: &Path) -> Option<&Source> {
        self.sources.get(rel)
    }

    /// Notes about files skipped or unreadable.
    pub(crate) fn notes(&self) -> &[Diagnostic] {
        &self.notes
    }

    /// The analysed Rust files.
    pub fn rust_files(&self) -> impl Iterator<Item = &FileModel> {
        self.rust.values().map(|m| &**m)
    }

    /// The diagnostics of the Rust files' own models (syntax, entries, attributes), by file.
    pub(crate) fn rust_diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.rust_diagnosed.iter().filter_map(|rel| self.rust.get(rel)).flat_map(|m| m.diagnostics.iter())
    }

    /// One Rust file's model.
    pub fn file_model(&self, rel: &Path) -> Option<&FileModel> {
        self.rust.get(rel).map(|m| &**m)
    }

    /// The models of the files holding a part of service `name`, in path order (shared: the
    /// checks' cache keeps them to tell whether a service changed).
    pub(crate) fn service_files(&self, name: &str) -> &[Arc<FileModel>] {
        self.by_service.get(name).map(Vec::as_slice).unwrap_or_default()
    }

    /// The service names, with the models of the files holding their parts.
    pub(crate) fn service_index(&self) -> &BTreeMap<String, Vec<Arc<FileModel>>> {
        &self.by_service
    }

    /// Whether some Rust source defines service `name`.
    pub fn has_service(&self, name: &str) -> bool {
        self.by_service.contains_key(name)
    }

    /// Revisions of what the cross-file checks read besides models and workflows: the set of
    /// service names, and everything else that is not a Rust file or a workflow.
    pub(crate) fn revisions(&self) -> (u64, u64) {
        (self.names_rev, self.settings_rev)
    }

    /// The checks' cache.
    pub(crate) fn check_cache(&self) -> &CheckCache {
        &self.check_cache
    }

    /// Sets (or with `None` removes) the model of Rust file `rel`, keeping the service and
    /// blueprint indexes. The one way models change.
    fn put_rust(&mut self, rel: &Path, model: Option<FileModel>) -> bool {
        let new = model.map(Arc::new);
        let old = match &new {
            Some(m) => self.rust.insert(rel.to_path_buf(), Arc::clone(m)),
            None => self.rust.remove(rel),
        };
        match new.as_ref().filter(|m| !m.diagnostics.is_empty()) {
            Some(_) => self.rust_diagnosed.insert(rel.to_path_buf()),
            None => self.rust_diagnosed.remove(rel),
        };
        let services = |m: &FileModel| m.services.iter().map(|s| s.name.clone()).collect();
        let changed = Self::reindex(
            &mut self.by_service,
            &mut self.names_rev,
            rel,
            old.as_ref(),
            new.as_ref(),
            services,
        );
        self.generations.renew(changed, &self.by_service, Namespace::Service);
        let blueprints = |m: &FileModel| m.blueprints.iter().map(|s| s.name.clone()).collect();
        let changed = Self::reindex(
            &mut self.by_blueprint,
            &mut self.blueprints_rev,
            rel,
            old.as_ref(),
            new.as_ref(),
            blueprints,
        );
        self.generations.renew(changed, &self.by_blueprint, Namespace::Blueprint);
        // No check reads the set of type names: the revision is not kept. Each name the file
        // writes, before or after, goes in the journal: what looked a type of that name up is
        // asked again.
        let types = |m: &FileModel| m.type_names.iter().cloned().collect();
        let changed = Self::reindex(&mut self.by_type, &mut 0, rel, old.as_ref(), new.as_ref(), types);
        for name in changed {
            self.generations.note(Changed::Type(name));
        }
        old.is_some()
    }

    /// The models of the Rust files of the crate at `crate_dir` that write `struct name` or
    /// `enum name`, in path order: those where a lookup of type `name` may find it.
    pub(crate) fn type_files<'a>(
        &'a self,
        crate_dir: &'a Path,
        name: &str,
    ) -> impl Iterator<Item = &'a FileModel> {
        let files = self.by_type.get(name).map(Vec::as_slice).unwrap_or_default();
        files.iter().filter(move |m| m.crate_dir == crate_dir).map(|m| &**m)
    }

    /// The models of the files holding a part of blueprint `name` (any crate), in path order.
    pub(crate) fn blueprint_files(&self, name: &str) -> &[Arc<FileModel>] {
        self.by_blueprint.get(name).map(Vec::as_slice).unwrap_or_default()
    }

    /// The revision of the set of blueprint names.
    pub(crate) fn blueprints_rev(&self) -> u64 {
        self.blueprints_rev
    }

    /// The `impl` blocks of blueprint `name` in the crate `crate_dir`, with their files.
    pub(crate) fn blueprint_parts<'a>(
        &'a self,
        name: &'a str,
        crate_dir: &'a Path,
    ) -> impl Iterator<Item = (&'a FileModel, &'a ServicePart)> + 'a {
        self.blueprint_files(name)
            .iter()
            .filter(move |m| m.crate_dir == crate_dir)
            .flat_map(move |m| m.blueprints.iter().filter(move |b| b.name == name).map(move |b| (&**m, b)))
    }

    /// The entries of `stage` (all when `None`) that a service's `impl` block serves from the
    /// blueprints it mounts, their routes under the mount's prefix, with the mount. A blueprint is
    /// looked for in the crate of the service's file.
    pub(crate) fn mounted_entries<'a>(
        &'a self,
        model: &'a FileModel,
        part: &'a ServicePart,
        stage: Option<&'a str>,
    ) -> impl Iterator<Item = (Entry, &'a Mount)> + 'a {
        part.mounts.iter().flat_map(move |mount| {
            self.blueprint_parts(&mount.blueprint, &model.crate_dir).flat_map(move |(_, b)| {
                b.entries.iter().filter(move |e| e.in_stage(stage)).map(move |e| {
                    let route = crate::naming::mount_route(&mount.prefix, &e.route);
                    (Entry { route, ..e.clone() }, mount)
                })
            })
        })
    }

    /// The services mounting blueprint `name` of the crate `crate_dir`, each with the prefix of
    /// the mount (a service mounting it twice is listed twice), by service name.
    pub fn blueprint_mounts(&self, name: &str, crate_dir: &Path) -> Vec<(&str, &str)> {
        let mut out = Vec::new();
        for (service, files) in &self.by_service {
            for model in files.iter().filter(|m| m.crate_dir == crate_dir) {
                for part in model.services.iter().filter(|p| &p.name == service) {
                    let mounts = part.mounts.iter().filter(|m| m.blueprint == name);
                    out.extend(mounts.map(|m| (service.as_str(), m.prefix.as_str())));
                }
            }
        }
        out
    }

    /// The blueprint names of the project, sorted.
    pub fn blueprint_names(&self) -> BTreeSet<&str> {
        self.by_blueprint.keys().map(String::as_str).collect()
    }

    /// The directories holding a `Cargo.toml`.
    pub fn crate_roots(&self) -> &BTreeSet<PathBuf> {
        &self.crate_roots
    }

    /// A project-relative path for `path` (absolute paths under the root are made relative).
    pub fn relative(&self, path: &Path) -> Option<PathBuf> {
        let rel = if path.is_absolute() { path.strip_prefix(&self.root).ok()? } else { path };
        normal_relative(rel)
    }

    /// What kind of project file `rel` is: by its name and place, or an env file because
    /// `project.cws.yml` lists it.
    pub fn kind_of(&self, rel: &Path) -> FileKind {
        match file_kind(rel) {
            FileKind::Other if self.listed_env.contains(rel) => FileKind::Env,
            kind => kind,
        }
    }

    /// Sets the text of one project file (as an editor holds it) and re-analyses that file alone.
    /// Returns whether the file matters to CoWorks.
    pub fn set_file_text(&mut self, rel: &Path, text: &str) -> bool {
        self.notes.retain(|n| n.file != rel);
        let kind = self.kind_of(rel);
        self.changing(kind);
        if kind != FileKind::Other && kind != FileKind::CargoManifest {
            self.sources.insert(rel.to_path_buf(), Source::new(text));
        }
        match kind {
            FileKind::Rust => {
                let krate = self.crate_dir_of(rel);
                self.put_rust(rel, Some(analyze_rust(rel, &krate, text)));
                true
            }
            FileKind::Config => {
                let (config, diagnostics) = config::read_project_config(text, rel);
                self.config = Some(ConfigState { config, diagnostics });
                self.refresh_listed_env();
                true
            }
            FileKind::Env => {
                self.env.insert(rel.to_path_buf(), config::read_env(text, rel));
                true
            }
            FileKind::CargoManifest => {
                if let Some(dir) = rel.parent() {
                    if self.crate_roots.insert(dir.to_path_buf()) {
                        self.recompute_crates();
                    }
                }
                true
            }
            FileKind::Workflow => {
                self.workflows.insert(rel.to_path_buf(), Arc::new(WorkflowFile::read(rel, text)));
                self.generations.note(Changed::Workflow(rel.to_path_buf()));
                true
            }
            FileKind::WorkflowPython => true,
            FileKind::Other => false,
        }
    }

    /// Sets a file from raw bytes: binary or non-UTF-8 content is skipped with a diagnostic.
    pub fn set_file_bytes(&mut self, rel: &Path, bytes: &[u8]) -> bool {
        match scan::decode(rel, bytes) {
            Ok(text) => self.set_file_text(rel, text),
            Err(note) => {
                self.remove_file(rel);
                self.settings_rev += 1;
                self.notes.retain(|n| n.file != rel);
                self.notes.push(note);
                self.kind_of(rel) != FileKind::Other
            }
        }
    }

    /// Re-reads one file from disk (after it changed outside the editor); a missing file is removed.
    pub fn reload_from_disk(&mut self, rel: &Path) -> bool {
        let path = self.root.join(rel);
        self.notes.retain(|n| n.file != rel);
        match scan::read_limited(&path) {
            Ok(Some(bytes)) => self.set_file_bytes(rel, &bytes),
            Ok(None) => self.remove_file(rel),
            Err(note) => {
                self.remove_file(rel);
                self.settings_rev += 1;
                self.notes.push(Diagnostic { file: rel.to_path_buf(), ..note });
                true
            }
        }
    }

    /// Forgets a file (deleted). Returns whether it mattered.
    pub fn remove_file(&mut self, rel: &Path) -> bool {
        self.sources.remove(rel);
        let kind = self.kind_of(rel);
        self.changing(kind);
        match kind {
            FileKind::Rust => self.put_rust(rel, None),
            FileKind::Config => {
                let removed = self.config.take().is_some();
                self.refresh_listed_env();
                removed
            }
            FileKind::Env => self.env.remove(rel).is_some(),
            FileKind::CargoManifest => {
                let removed = rel.parent().is_some_and(|d| self.crate_roots.remove(d));
                if removed {
                    self.recompute_crates();
                }
                removed
            }
            FileKind::Workflow => {
                self.generations.note(Changed::Workflow(rel.to_path_buf()));
                self.workflows.remove(rel).is_some()
            }
            FileKind::WorkflowPython => true,
            FileKind::Other => false,
        }
    }

    /// Notes a change to a file of `kind`: anything but a Rust file or a workflow may change what
    /// every cross-file check reads.
    fn changing(&mut self, kind: FileKind) {
        if !matches!(kind, FileKind::Rust | FileKind::Workflow) {
            self.settings_rev += 1;
        }
    }

    fn crate_dir_of(&self, rel: &Path) -> PathBuf {
        let mut dir = rel.parent();
        while let Some(d) = dir {
            if self.crate_roots.contains(d) {
                return d.to_path_buf();
            }
            dir = d.parent();
        }
        PathBuf::new()
    }

    fn recompute_crates(&mut self) {
        let moved: Vec<FileModel> = self
            .rust
            .iter()
            .map(|(rel, m)| (m, self.crate_dir_of(rel)))
            .filter(|(m, krate)| m.crate_dir != *krate)
            .map(|(m, krate)| FileModel { crate_dir: krate, ..FileModel::clone(m) })
            .collect();
        for model in moved {
            self.put_rust(&model.file.clone(), Some(model));
        }
    }

    /// The services with their entries (only the entries of `stage`, when given), by name. A
    /// service's entries are those of its `impl` blocks, then those of the blueprints it mounts.
    pub fn services(&self, stage: Option<&str>) -> Vec<Service> {
        let mut by_name: BTreeMap<&str, Option<Service>> = BTreeMap::new();
        for model in self.rust.values() {
            for part in &model.services {
                self.add_part(by_name.entry(&part.name).or_default(), model, part, stage);
            }
        }
        by_name.into_values().flatten().collect()
    }

    /// The service called `name` with its entries of `stage` (all when `None`).
    pub fn service(&self, name: &str, stage: Option<&str>) -> Option<Service> {
        let mut service = None;
        for model in self.service_files(name) {
            for part in model.services.iter().filter(|p| p.name == name) {
                self.add_part(&mut service, model, part, stage);
            }
        }
        service
    }

    /// Moves file `rel` from the names `names` finds in its `old` model to those of its `new` one in
    /// `index` (name → models, in path order); bumps `rev` when a name comes or goes. Returns the
    /// names whose files changed (those of both models).
    fn reindex<K: Ord + Clone>(
        index: &mut BTreeMap<K, Vec<Arc<FileModel>>>,
        rev: &mut u64,
        rel: &Path,
        old: Option<&Arc<FileModel>>,
        new: Option<&Arc<FileModel>>,
        names: impl Fn(&FileModel) -> BTreeSet<K>,
    ) -> BTreeSet<K> {
        let new_names = new.map(|m| names(m)).unwrap_or_default();
        let old_names = old.map(|m| names(m)).unwrap_or_default();
        let at = |files: &[Arc<FileModel>]| files.binary_search_by(|m| m.file.as_path().cmp(rel));
        for name in old_names.difference(&new_names) {
            if let Some(files) = index.get_mut(name) {
                if let Ok(i) = at(files) {
                    files.remove(i);
                }
                if files.is_empty() {
                    index.remove(name);
                    *rev += 1;
                }
            }
        }
        if let Some(model) = new {
            for name in &new_names {
                let files = index.entry(name.clone()).or_default();
                if files.is_empty() {
                    *rev += 1;
                }
                match at(files) {
                    Ok(i) => files[i] = Arc::clone(model),
                    Err(i) => files.insert(i, Arc::clone(model)),
                }
            }
        }
        let mut changed = old_names;
        changed.extend(new_names);
        changed
    }

    /// The generation of service `name` (see [`Generations`]); `None` when no file holds it.
    pub(crate) fn service_generation(&self, name: &str) -> Option<u64> {
        self.generations.service.get(name).copied()
    }

    /// The generation of the latest change (every change takes a greater one).
    pub(crate) fn last_generation(&self) -> u64 {
        self.generations.last
    }

    /// What changed after generation `seen`: the service, blueprint and type names whose files were
    /// set or removed, the workflow files set or removed (each once, however often it changed).
    pub(crate) fn changed_since(&self, seen: u64) -> impl Iterator<Item = &Changed> {
        self.generations.journal.range(seen + 1..).map(|(_, c)| c)
    }

    /// The generation of blueprint `name` (any crate); `None` when no file holds it.
    pub(crate) fn blueprint_generation(&self, name: &str) -> Option<u64> {
        self.generations.blueprint.get(name).copied()
    }

    /// Adds one `impl` block to its service (made from the block when it is the first), with the
    /// entries of `stage` (all when `None`) and those of the blueprints it mounts.
    fn add_part(
        &self,
        service: &mut Option<Service>,
        model: &FileModel,
        part: &ServicePart,
        stage: Option<&str>,
    ) {
        add_part(service, model, part, stage);
        if let Some(service) = service {
            service.entries.extend(self.mounted_entries(model, part, stage).map(|(e, _)| e));
        }
    }

    /// Every service as a list shows it, by name, without assembling its entries (cheaper than
    /// [`Project::services`] at any size: nothing is copied).
    pub fn service_summaries(&self) -> impl Iterator<Item = ServiceSummary<'_>> {
        self.by_service.keys().filter_map(|name| self.service_summary(name))
    }

    /// Service `name` as a list shows it ([`Project::service_summaries`]).
    pub fn service_summary(&self, name: &str) -> Option<ServiceSummary<'_>> {
        self.by_service.get_key_value(name).map(|(name, files)| {
            let mut summary = ServiceSummary {
                name,
                crate_dir: files.first().map_or(Path::new(""), |m| m.crate_dir.as_path()),
                docs: "",
                entries: 0,
            };
            for model in files {
                for part in model.services.iter().filter(|p| &p.name == name) {
                    // As `add_part` does: the docs of the first block that has some.
                    if summary.docs.is_empty() {
                        summary.docs = &part.docs;
                    }
                    summary.entries += part.entries.len();
                    for mount in &part.mounts {
                        let parts = self.blueprint_parts(&mount.blueprint, &model.crate_dir);
                        summary.entries += parts.map(|(_, b)| b.entries.len()).sum::<usize>();
                    }
                }
            }
            summary
        })
    }

    /// The names of the services, sorted.
    pub fn service_names(&self) -> BTreeSet<&str> {
        self.by_service.keys().map(String::as_str).collect()
    }

    /// Every service's entries of `stage` (all when `None`), its own borrowed, those of the
    /// blueprints it mounts owned (their routes prefixed): cheaper than [`Project::services`].
    pub fn entries_by_service(&self, stage: Option<&str>) -> BTreeMap<&str, Vec<Cow<'_, Entry>>> {
        let mut by_service: BTreeMap<&str, Vec<Cow<'_, Entry>>> = BTreeMap::new();
        for model in self.rust.values() {
            for part in &model.services {
                let entries = by_service.entry(&part.name).or_default();
                entries.extend(part.entries.iter().filter(|e| e.in_stage(stage)).map(Cow::Borrowed));
                entries.extend(self.mounted_entries(model, part, stage).map(|(e, _)| Cow::Owned(e)));
            }
        }
        by_service
    }

    /// The blueprint entry whose method spans `offset` in `rel`, with the routes it is served at.
    pub fn blueprint_entry_at(&self, rel: &Path, offset: usize) -> Option<BlueprintEntry<'_>> {
        let model = self.file_model(rel)?;
        model.blueprints.iter().find_map(|b| {
            let e = b
                .entries
                .iter()
                .find(|e| e.item.span.start.offset <= offset && offset <= e.item.span.end.offset)?;
            let mounts = self.blueprint_mounts(&b.name, &model.crate_dir);
            let served =
                mounts.into_iter().map(|(s, prefix)| (s, crate::naming::mount_route(prefix, &e.route)));
            Some(BlueprintEntry { blueprint: &b.name, entry: e, served: served.collect() })
        })
    }

    /// The service and entry whose method (name, signature or attributes) spans `offset` in `rel`.
    pub fn entry_at(&self, rel: &Path, offset: usize) -> Option<(&str, &Entry)> {
        let model = self.file_model(rel)?;
        model.services.iter().find_map(|s| {
            s.entries
                .iter()
                .find(|e| e.item.span.start.offset <= offset && offset <= e.item.span.end.offset)
                .map(|e| (s.name.as_str(), e))
        })
    }
}

/// Adds one `impl` block to its service (made from the block when it is the first), with the
/// entries of `stage` (all when `None`).
fn add_part(service: &mut Option<Service>, model: &FileModel, part: &ServicePart, stage: Option<&str>) {
    let service = service.get_or_insert_with(|| Service {
        name: part.name.clone(),
        type_name: part.type_name.clone(),
        crate_dir: model.crate_dir.clone(),
        docs: part.docs.clone(),
        locations: Vec::new(),
        entries: Vec::new(),
    });
    if service.docs.is_empty() {
        service.docs = part.docs.clone();
    }
    service.locations.push(part.location.clone());
    service.entries.extend(part.entries.iter().filter(|e| e.in_stage(stage)).cloned());
}

/// Which names a generation is of.
#[derive(Debug, Clone, Copy)]
enum Namespace {
    Service,
    Blueprint,
}

/// One number per service name and per blueprint name, taken from one counter that only grows
/// whenever a file holding a part of it is set or removed: two equal generations of a name mean
/// the same files, models and all (a model is never changed in place). Names no file holds have
/// none.
///
/// The journal records, for every name (and every workflow file) that ever changed, the generation
/// of its latest change, so the checks' cache asks what changed since the generation it last saw
/// ([`Project::changed_since`]) instead of comparing every service and workflow on every pass.
#[derive(Debug, Clone, Default)]
struct Generations {
    last: u64,
    service: std::collections::HashMap<String, u64>,
    blueprint: std::collections::HashMap<String, u64>,
    /// The generation of each name's or workflow's latest change → what changed (one entry each:
    /// the journal holds at most one entry per name ever seen).
    journal: BTreeMap<u64, Changed>,
    /// The key of each [`Changed`] in `journal`.
    latest: std::collections::HashMap<Changed, u64>,
}

impl Generations {
    /// Gives each of `names` that `index` (name → files) still holds a new generation, and
    /// forgets the others.
    fn renew(
        &mut self,
        names: BTreeSet<String>,
        index: &BTreeMap<String, Vec<Arc<FileModel>>>,
        of: Namespace,
    ) {
        for name in names {
            let (map, changed) = match of {
                Namespace::Service => (&mut self.service, Changed::Service(name.clone())),
                Namespace::Blueprint => (&mut self.blueprint, Changed::Blueprint(name.clone())),
            };
            if index.contains_key(&name) {
                map.insert(name, self.last + 1);
            } else {
                map.remove(&name);
            }
            self.note(changed);
        }
    }

    /// Records a change (taking the next generation).
    fn note(&mut self, changed: Changed) {
        self.last += 1;
        if let Some(before) = self.latest.insert(changed.clone(), self.last) {
            self.journal.remove(&before);
        }
        self.journal.insert(self.last, changed);
    }
}

/// What changed, in the journal of [`Generations`]: a service name or blueprint name (a file holding
/// a part of it set or removed), a type name (a file writing `struct` or `enum` before it set or
/// removed), or a workflow file (set or removed).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Changed {
    /// A service name.
    Service(String),
    /// A blueprint (type) name.
    Blueprint(String),
    /// The name of a struct or enum.
    Type(String),
    /// A workflow file.
    Workflow(PathBuf),
}

/// A service as a list shows it ([`Project::service_summaries`]): what [`Service`] says of it
/// besides its entries, and how many entries it serves (every stage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSummary<'a> {
    /// Its name.
    pub name: &'a str,
    /// The crate of its first `impl` block.
    pub crate_dir: &'a Path,
    /// The doc comment of its first `impl` block that has one.
    pub docs: &'a str,
    /// How many entries it serves, those of the blueprints it mounts included.
    pub entries: usize,
}

/// An entry of a blueprint, and where it is served.
#[derive(Debug, Clone)]
pub struct BlueprintEntry<'a> {
    /// The blueprint's type name.
    pub blueprint: &'a str,
    /// The entry, its route as the blueprint writes it (without a prefix).
    pub entry: &'a Entry,
    /// Each service mounting the blueprint (once per mount) and the entry's route there.
    pub served: Vec<(&'a str, Route)>,
}

/// `rel` with `.` removed; `None` when it climbs (`..`), is absolute, or is empty.
pub(crate) fn normal_relative(rel: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in rel.components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}
