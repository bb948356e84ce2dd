//! A project under analysis: every Rust file's model, the project files, and the project-wide checks.
//!
//! [`Project::load`] scans a directory once; [`Project::set_file_text`] re-analyses one edited file
//! without re-reading the rest. [`Project::services`] and [`Project::diagnostics`] assemble the answer
//! from per-file results, so an edit costs one file's analysis plus a cheap project-wide pass.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use crate::config::{self, EnvFile, ProjectConfig};
use crate::diagnostics::{self, Diagnostic, DiagnosticCode};
use crate::model::{Entry, Location, Service};
use crate::rust_source::file_model::{self, FileModel, ParseMode};
use crate::rust_source::FileDecls;
use crate::rust_source::{exact, tolerant};
use crate::scan;
use crate::text::{LineIndex, Span};

/// The project file's name.
pub const CONFIG_FILE: &str = "project.cws.yml";

/// Nesting depth past which `syn` (recursive descent) is not trusted with a file.
const MAX_NESTING_FOR_SYN: usize = 256;

/// What kind of project file a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A `.rs` file.
    Rust,
    /// `project.cws.yml` at the project root.
    Config,
    /// `.env`, `.env.<stage>`, `.env.<stage>.secret` at the project root.
    Env,
    /// A `Cargo.toml` (decides which crate a file belongs to).
    CargoManifest,
    /// A workflow: `workflows/<name>.cws.yml` (see [`crate::workflow`]).
    Workflow,
    /// Anything else.
    Other,
}

/// The kind of a project-relative path.
pub fn file_kind(rel: &Path) -> FileKind {
    let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let at_root = rel.parent().is_none_or(|p| p.as_os_str().is_empty());
    if rel.extension().is_some_and(|e| e == "rs") {
        FileKind::Rust
    } else if at_root && name == CONFIG_FILE {
        FileKind::Config
    } else if at_root && (name == ".env" || name.starts_with(".env.")) {
        FileKind::Env
    } else if name == "Cargo.toml" {
        FileKind::CargoManifest
    } else if crate::workflow::is_workflow_path(rel) {
        FileKind::Workflow
    } else {
        FileKind::Other
    }
}

#[derive(Debug, Clone)]
struct ConfigState {
    config: ProjectConfig,
    diagnostics: Vec<Diagnostic>,
}

/// A CoWorks project being analysed.
#[derive(Debug, Clone)]
pub struct Project {
    root: PathBuf,
    rust: BTreeMap<PathBuf, FileModel>,
    config: Option<ConfigState>,
    env: BTreeMap<PathBuf, (EnvFile, Vec<Diagnostic>)>,
    crate_roots: BTreeSet<PathBuf>,
    notes: Vec<Diagnostic>,
    /// Workflow files (queried in [`crate::workflow`]).
    pub(crate) workflows: BTreeMap<PathBuf, crate::workflow::WorkflowFile>,
}

impl Project {
    /// A project with nothing read yet.
    pub fn empty(root: impl Into<PathBuf>) -> Self {
        Project {
            root: root.into(),
            rust: BTreeMap::new(),
            config: None,
            env: BTreeMap::new(),
            crate_roots: BTreeSet::new(),
            notes: Vec::new(),
            workflows: BTreeMap::new(),
        }
    }

    /// Scans `root`: Rust files (respecting `.gitignore`, skipping `target/`), `project.cws.yml` and
    /// the `.env*` files. Fails only when `root` is not a readable directory; anything unreadable
    /// inside becomes a diagnostic.
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

    /// An env file as last read or edited (`rel`: `.env`, `.env.dev` ...), if the project has it.
    pub fn env_file(&self, rel: &Path) -> Option<&EnvFile> {
        self.env.get(rel).map(|(f, _)| f)
    }

    /// The stages: the workspaces of `project.cws.yml`, or `dev` alone.
    pub fn stages(&self) -> Vec<String> {
        match self.config() {
            Some(c) => c.stages(),
            None => vec!["dev".to_string()],
        }
    }

    /// The analysed Rust files.
    pub fn rust_files(&self) -> impl Iterator<Item = &FileModel> {
        self.rust.values()
    }

    /// One Rust file's model.
    pub fn file_model(&self, rel: &Path) -> Option<&FileModel> {
        self.rust.get(rel)
    }

    /// A project-relative path for `path` (absolute paths under the root are made relative).
    pub fn relative(&self, path: &Path) -> Option<PathBuf> {
        let rel = if path.is_absolute() { path.strip_prefix(&self.root).ok()? } else { path };
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

    /// Sets the text of one project file (as an editor holds it) and re-analyses that file alone.
    /// Returns whether the file matters to CoWorks.
    pub fn set_file_text(&mut self, rel: &Path, text: &str) -> bool {
        self.notes.retain(|n| n.file != rel);
        match file_kind(rel) {
            FileKind::Rust => {
                let krate = self.crate_dir_of(rel);
                self.rust.insert(rel.to_path_buf(), analyze_rust(rel, &krate, text));
                true
            }
            FileKind::Config => {
                let (config, diagnostics) = config::read_project_config(text, rel);
                self.config = Some(ConfigState { config, diagnostics });
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
                self.workflows.insert(rel.to_path_buf(), crate::workflow::WorkflowFile::read(rel, text));
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
                file_kind(rel) != FileKind::Other
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
        match file_kind(rel) {
            FileKind::Rust => self.rust.remove(rel).is_some(),
            FileKind::Config => self.config.take().is_some(),
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

    /// Every diagnostic of the project, sorted; with a stage, only what concerns that stage.
    pub fn diagnostics(&self, stage: Option<&str>) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = self.notes.clone();
        for model in self.rust.values() {
            out.extend(model.diagnostics.iter().cloned());
        }
        if let Some(c) = &self.config {
            out.extend(c.diagnostics.iter().cloned());
        }
        for (_, diags) in self.env.values() {
            out.extend(diags.iter().cloned());
        }
        self.duplicate_routes(stage, &mut out);
        self.service_name_clashes(&mut out);
        self.stage_checks(stage, &mut out);
        crate::deploy_checks::check(self, stage, &mut out);
        self.workflow_diagnostics(stage, &mut out);
        diagnostics::sort(&mut out);
        out.dedup();
        out
    }

    fn duplicate_routes(&self, stage: Option<&str>, out: &mut Vec<Diagnostic>) {
        // service name → route shape → entries answering it
        let mut routes: BTreeMap<(&str, (crate::model::HttpMethod, String)), Vec<&Entry>> = BTreeMap::new();
        for model in self.rust.values() {
            for part in &model.services {
                for e in part.entries.iter().filter(|e| e.in_stage(stage)) {
                    routes.entry((part.name.as_str(), e.route.shape())).or_default().push(e);
                }
            }
        }
        for ((service, _), entries) in routes.iter().filter(|(_, es)| es.len() > 1) {
            for (i, e) in entries.iter().enumerate() {
                let others: Vec<&&Entry> = entries
                    .iter()
                    .enumerate()
                    .filter(|(j, o)| *j != i && stages_overlap(&e.stages, &o.stages))
                    .map(|(_, o)| o)
                    .collect();
                if others.is_empty() {
                    continue;
                }
                let names: Vec<String> = others.iter().map(|o| format!("`{}`", o.rust_name)).collect();
                let mut d = Diagnostic::new(
                    DiagnosticCode::DuplicateRoute,
                    &e.location.file,
                    e.location.span,
                    format!("`{}` of service `{service}` is also answered by {}", e.route, names.join(", ")),
                );
                for o in others {
                    d = d.with_related(
                        &o.location.file,
                        o.location.span,
                        format!("`{}` answers `{}` too", o.rust_name, o.route),
                    );
                }
                out.push(d);
            }
        }
    }

    fn service_name_clashes(&self, out: &mut Vec<Diagnostic>) {
        let mut first: BTreeMap<&str, (&str, &Path, &Location)> = BTreeMap::new();
        for model in self.rust.values() {
            for part in &model.services {
                match first.get(part.name.as_str()) {
                    None => {
                        first.insert(&part.name, (&part.type_name, &model.crate_dir, &part.location));
                    }
                    Some((ty, krate, loc)) if *ty != part.type_name || *krate != model.crate_dir => {
                        out.push(
                            Diagnostic::new(
                                DiagnosticCode::ServiceNameClash,
                                &part.location.file,
                                part.location.span,
                                format!(
                                    "service name `{}` is taken by type `{ty}`; give one of them `#[service(name = \"...\")]`",
                                    part.name
                                ),
                            )
                            .with_related(&loc.file, loc.span, format!("`{ty}` is service `{}`", part.name)),
                        );
                    }
                    Some(_) => {}
                }
            }
        }
    }

    fn stage_checks(&self, stage: Option<&str>, out: &mut Vec<Diagnostic>) {
        let stages = self.stages();
        for model in self.rust.values() {
            for part in &model.services {
                for (e, spans) in part.entries.iter().zip(&part.stage_spans) {
                    for (s, span) in e.stages.iter().zip(spans) {
                        if !stages.contains(s) {
                            out.push(Diagnostic::new(
                                DiagnosticCode::UnknownStage,
                                &model.file,
                                *span,
                                format!(
                                    "stage `{s}` of `{}` is not a workspace of {CONFIG_FILE} (stages: {})",
                                    e.rust_name,
                                    stages.join(", ")
                                ),
                            ));
                        }
                    }
                }
            }
        }
        let Some(state) = &self.config else {
            out.push(Diagnostic::new(
                DiagnosticCode::NoConfig,
                CONFIG_FILE,
                Span::default(),
                format!("no {CONFIG_FILE} in the project root: using defaults (stage `dev`)"),
            ));
            return;
        };
        let config = &state.config;
        let known: BTreeSet<&str> =
            self.rust.values().flat_map(|m| m.services.iter().map(|s| s.name.as_str())).collect();
        for (name, span) in config.configured_services() {
            if !known.contains(name.as_str()) {
                let hint = crate::suggest::closest(&name, known.iter().copied())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                out.push(Diagnostic::new(
                    DiagnosticCode::UnknownService,
                    CONFIG_FILE,
                    span,
                    format!("service `{name}` is configured but no Rust source defines it{hint}"),
                ));
            }
        }
        let checked: Vec<String> = match stage {
            Some(s) => vec![s.to_string()],
            None => stages,
        };
        for s in checked {
            for (file, span) in config.required_env_files(&s) {
                let rel = PathBuf::from(&file);
                if !self.env.contains_key(&rel) && !self.root.join(&rel).is_file() {
                    out.push(Diagnostic::new(
                        DiagnosticCode::MissingEnvFile,
                        CONFIG_FILE,
                        span,
                        format!("stage `{s}` needs env file `{file}`, which does not exist"),
                    ));
                }
            }
        }
    }
}

fn stages_overlap(a: &[String], b: &[String]) -> bool {
    a.is_empty() || b.is_empty() || a.iter().any(|s| b.contains(s))
}

/// The deepest bracket nesting of a text (strings and comments not excluded: an over-estimate only
/// sends a file to the tolerant parser, which gives the same answer).
fn max_nesting(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Reads one Rust file: `syn` when it parses, the tolerant parser otherwise. A failure inside the
/// analysis becomes a diagnostic on that file; it never takes the caller down.
pub fn analyze_rust(rel: &Path, crate_dir: &Path, text: &str) -> FileModel {
    let guarded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        analyze_rust_unguarded(rel, crate_dir, text)
    }));
    guarded.unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let mut model = file_model::build(rel, crate_dir, "", &FileDecls::default(), ParseMode::Tolerant);
        model.diagnostics.push(Diagnostic::new(
            DiagnosticCode::InternalError,
            rel,
            Span::default(),
            format!("internal error while analysing this file: {what}"),
        ));
        model
    })
}

fn analyze_rust_unguarded(rel: &Path, crate_dir: &Path, text: &str) -> FileModel {
    if !text.contains("service") {
        return file_model::build(rel, crate_dir, text, &FileDecls::default(), ParseMode::Exact);
    }
    let mut syntax_error = None;
    if max_nesting(text) <= MAX_NESTING_FOR_SYN {
        match exact::parse(text) {
            Ok(decls) => return file_model::build(rel, crate_dir, text, &decls, ParseMode::Exact),
            Err(e) => syntax_error = Some(e),
        }
    }
    let (decls, tree_has_errors) = tolerant::parse_with_status(text);
    let mut model = file_model::build(rel, crate_dir, text, &decls, ParseMode::Tolerant);
    if syntax_error.is_some() || tree_has_errors {
        let index = LineIndex::new(text);
        let (range, what) = match syntax_error {
            Some(e) => (e.range, format!(" (first: {})", e.message)),
            None => (crate::text::ByteRange::default(), String::new()),
        };
        model.diagnostics.push(Diagnostic::new(
            DiagnosticCode::SyntaxTolerated,
            rel,
            index.span(text, range),
            format!("this file has syntax errors{what}; CoWorks read its services with the tolerant parser"),
        ));
    }
    model
}

fn analyze_parallel(files: Vec<(PathBuf, PathBuf, String)>) -> Vec<FileModel> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(8);
    if threads <= 1 || files.len() < 16 {
        return files.iter().map(|(rel, krate, text)| analyze_rust(rel, krate, text)).collect();
    }
    let chunk = files.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter().map(|(rel, krate, text)| analyze_rust(rel, krate, text)).collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}
