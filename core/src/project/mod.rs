//! A project under analysis: the store of its files (each one's text and line index, and what it
//! declares), and the queries every face asks.
//!
//! [`Project::load`] scans a directory once; [`Project::set_file_text`] re-analyses one edited file
//! without re-reading the rest. [`Project::services`] assembles the answer from per-file results, so
//! an edit costs one file's analysis plus a cheap project-wide pass. The settings of a stage
//! (options, environment) are in [`crate::settings`]; the diagnostics in [`crate::checks`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use crate::config::{self, EnvFile, ProjectConfig};
use crate::diagnostics::Diagnostic;
use crate::layout::{file_kind, FileKind};
use crate::model::{Entry, Service};
use crate::rust_source::analyze::{analyze_parallel, analyze_rust};
use crate::rust_source::file_model::FileModel;
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
    rust: BTreeMap<PathBuf, FileModel>,
    config: Option<ConfigState>,
    env: BTreeMap<PathBuf, (EnvFile, Vec<Diagnostic>)>,
    /// Env files listed by `env_files` that are not `.env*` files at the root.
    listed_env: BTreeSet<PathBuf>,
    crate_roots: BTreeSet<PathBuf>,
    notes: Vec<Diagnostic>,
    workflows: BTreeMap<PathBuf, WorkflowFile>,
    /// The `env_files` entries marked `outside: true`, by the name listed, once a face that runs the
    /// project's code asked for them ([`Project::read_outside_env_files`]); `None` until then.
    outside_env: Option<BTreeMap<String, env_files::OutsideEnv>>,
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
            config: None,
            env: BTreeMap::new(),
            listed_env: BTreeSet::new(),
            crate_roots: BTreeSet::new(),
            notes: Vec::new(),
            workflows: BTreeMap::new(),
            outside_env: None,
        }
    }

    /// Scans `root`: Rust files (respecting `.gitignore`, skipping `target/`), `project.cws.yml`,
    /// the `.env*` files, the env files the project file lists, and workflows. Fails only when `root`
    /// is not a readable directory; anything unreadable inside becomes a diagnostic.
    pub fn load(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root = root.into();
        std::fs::read_dir(&root)?;
        let mut project = Project::empty(root);
        let found = scan::scan(&project.root);
        project.notes = found.notes;
        project.crate_roots = found.crate_roots;
        let rust: Vec<(PathBuf, PathBuf, String)> = found
            .rust_files
            .into_iter()
            .map(|(rel, text)| {
                let krate = project.crate_dir_of(&rel);
                (rel, krate, text)
            })
            .collect();
        for (rel, _, text) in &rust {
            project.sources.insert(rel.clone(), Source::new(text));
        }
        for model in analyze_parallel(rust) {
            project.rust.insert(model.file.clone(), model);
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
        self.rust.values()
    }

    /// One Rust file's model.
    pub fn file_model(&self, rel: &Path) -> Option<&FileModel> {
        self.rust.get(rel)
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
        if kind != FileKind::Other && kind != FileKind::CargoManifest {
            self.sources.insert(rel.to_path_buf(), Source::new(text));
        }
        match kind {
            FileKind::Rust => {
                let krate = self.crate_dir_of(rel);
                self.rust.insert(rel.to_path_buf(), analyze_rust(rel, &krate, text));
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
                self.workflows.insert(rel.to_path_buf(), WorkflowFile::read(rel, text));
                true
            }
            FileKind::Other => false,
        }
    }

    /// Sets a file from raw bytes: binary or non-UTF-8 content is skipped with a diagnostic.
    pub fn set_file_bytes(&mut self, rel: &Path, bytes: &[u8]) -> bool {
        match scan::decode(rel, bytes) {
            Ok(text) => self.set_file_text(rel, text),
            Err(note) => {
                self.remove_file(rel);
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
                self.notes.push(Diagnostic { file: rel.to_path_buf(), ..note });
                true
            }
        }
    }

    /// Forgets a file (deleted). Returns whether it mattered.
    pub fn remove_file(&mut self, rel: &Path) -> bool {
        self.sources.remove(rel);
        match self.kind_of(rel) {
            FileKind::Rust => self.rust.remove(rel).is_some(),
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
            FileKind::Workflow => self.workflows.remove(rel).is_some(),
            FileKind::Other => false,
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
        let dirs: Vec<(PathBuf, PathBuf)> =
            self.rust.keys().map(|rel| (rel.clone(), self.crate_dir_of(rel))).collect();
        for (rel, krate) in dirs {
            if let Some(m) = self.rust.get_mut(&rel) {
                m.crate_dir = krate;
            }
        }
    }

    /// The services with their entries (only the entries of `stage`, when given), by name.
    pub fn services(&self, stage: Option<&str>) -> Vec<Service> {
        let mut by_name: BTreeMap<&str, Service> = BTreeMap::new();
        for model in self.rust.values() {
            for part in &model.services {
                let service = by_name.entry(&part.name).or_insert_with(|| Service {
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
        }
        by_name.into_values().collect()
    }

    /// The service called `name` with its entries of `stage` (all when `None`).
    pub fn service(&self, name: &str, stage: Option<&str>) -> Option<Service> {
        self.services(stage).into_iter().find(|s| s.name == name)
    }

    /// The names of the services, sorted.
    pub fn service_names(&self) -> BTreeSet<&str> {
        self.rust.values().flat_map(|m| m.services.iter().map(|s| s.name.as_str())).collect()
    }

    /// Every service's entries of `stage` (all when `None`), borrowed: cheaper than
    /// [`Project::services`] for checks that run on every diagnostics pass.
    pub fn entries_by_service(&self, stage: Option<&str>) -> BTreeMap<&str, Vec<&Entry>> {
        let mut by_service: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
        for model in self.rust.values() {
            for part in &model.services {
                by_service
                    .entry(&part.name)
                    .or_default()
                    .extend(part.entries.iter().filter(|e| e.in_stage(stage)));
            }
        }
        by_service
    }

    /// The service and entry whose method (name, signature or attributes) spans `offset` in `rel`.
    pub fn entry_at(&self, rel: &Path, offset: usize) -> Option<(&str, &Entry)> {
        let model = self.rust.get(rel)?;
        model.services.iter().find_map(|s| {
            s.entries
                .iter()
                .find(|e| e.item.span.start.offset <= offset && offset <= e.item.span.end.offset)
                .map(|e| (s.name.as_str(), e))
        })
    }
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
