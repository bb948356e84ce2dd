//! Navigation between a project's files: what a position names (a service, an entry, a stage, a
//! file), where else it is named (references), where it is defined, and the links of
//! `project.cws.yml` (service folders, env files).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::layout::{file_kind, FileKind, CONFIG_FILE};
use crate::model::{Entry, Location, Service};
use crate::project::Project;
use crate::rust_source::attr_edit::item_arg_literal;
use crate::text::{ByteRange, Span};
use crate::workflow::target::target_entry;

/// What a position names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Symbol {
    /// A service, by name.
    Service(String),
    /// An entry: its service and where its method is named.
    Entry {
        /// The service's name.
        service: String,
        /// The method's name in the source.
        location: Location,
    },
}

/// A link from a span of a file to another project file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// Where the link is (the value naming the file).
    pub span: Span,
    /// The file it leads to, relative to the project root.
    pub target: PathBuf,
}

fn within(span: &Span, offset: usize) -> bool {
    span.start.offset <= offset && offset <= span.end.offset
}

fn at(file: &Path, span: Span) -> Location {
    Location { file: file.to_path_buf(), span }
}

impl Project {
    /// The service or entry named at byte `offset` of `rel` (in the text the project holds), and
    /// where: an entry's method name; a service's `name = "..."`, its key under `services:` of
    /// `project.cws.yml`, or a workflow task's `service:` value.
    pub fn symbol_at(&self, rel: &Path, offset: usize) -> Option<(Symbol, Span)> {
        match file_kind(rel) {
            FileKind::Rust => {
                let model = self.file_model(rel)?;
                let text = self.source(rel)?.text();
                for part in &model.services {
                    if let Some(e) = part.entries.iter().find(|e| within(&e.location.span, offset)) {
                        let symbol =
                            Symbol::Entry { service: part.name.clone(), location: e.location.clone() };
                        return Some((symbol, e.location.span));
                    }
                    let name = item_arg_literal(text, &part.item, &part.location, "service", "name");
                    if let Some(r) = name.filter(|r| r.start <= offset && offset <= r.end) {
                        let span = self.source(rel)?.span(r);
                        return Some((Symbol::Service(part.name.clone()), span));
                    }
                }
                None
            }
            FileKind::Config => {
                let config = self.config()?;
                let s = config.services.iter().find(|s| within(&s.name_span, offset))?;
                Some((Symbol::Service(s.name.clone()), s.name_span))
            }
            FileKind::Workflow => {
                let wf = self.workflow(rel)?;
                let task = wf.tasks.iter().find(|t| within(&t.span, offset))?;
                let service = task.service.as_ref()?;
                if within(&service.span, offset) {
                    return Some((Symbol::Service(service.value.clone()), service.span));
                }
                let path = task.path.as_ref().filter(|p| within(&p.span, offset))?;
                let service = self.service(&task.service.as_ref()?.value, None)?;
                let (s, e) = target_entry(task, std::slice::from_ref(&service))?;
                Some((Symbol::Entry { service: s.name.clone(), location: e.location.clone() }, path.span))
            }
            _ => None,
        }
    }

    /// Every workflow task calling each entry, by the entry's location: where each task's path is.
    pub fn entry_callers(&self) -> HashMap<Location, Vec<Location>> {
        self.callers(|_| true)
    }

    /// [`Project::entry_callers`] for the entries of the services `names` holds (their own and
    /// those of the blueprints they mount): only those services are assembled.
    pub fn entry_callers_of(&self, names: &BTreeSet<&str>) -> HashMap<Location, Vec<Location>> {
        self.callers(|name| names.contains(name))
    }

    /// Every workflow task calling each entry of the services `wanted` accepts, by the entry's
    /// location; each service assembled once.
    fn callers(&self, wanted: impl Fn(&str) -> bool) -> HashMap<Location, Vec<Location>> {
        let mut assembled: HashMap<&str, Option<Service>> = HashMap::new();
        let mut out: HashMap<Location, Vec<Location>> = HashMap::new();
        for wf in self.workflows() {
            for task in &wf.tasks {
                let (Some(name), Some(path)) = (task.service.as_ref(), &task.path) else { continue };
                if !wanted(&name.value) {
                    continue;
                }
                let service = assembled.entry(&name.value).or_insert_with(|| self.service(&name.value, None));
                let Some(service) = service else { continue };
                if let Some((_, e)) = target_entry(task, std::slice::from_ref(service)) {
                    out.entry(e.location.clone()).or_default().push(at(&wf.file, path.span));
                }
            }
        }
        out
    }

    /// Where a service is named: its `name = "..."` (or, without one, its type in `impl Type`), its
    /// key under `services:` of `project.cws.yml`, and every workflow task's `service:` value.
    pub fn service_references(&self, name: &str) -> Vec<Location> {
        let mut out = Vec::new();
        for model in self.rust_files() {
            let Some(text) = self.source(&model.file).map(|s| s.text()) else { continue };
            for part in model.services.iter().filter(|p| p.name == name) {
                match item_arg_literal(text, &part.item, &part.location, "service", "name") {
                    Some(r) => {
                        let span = self.source(&model.file).map(|s| s.span(r)).unwrap_or_default();
                        out.push(at(&model.file, span));
                    }
                    None => out.push(part.location.clone()),
                }
            }
        }
        if let Some(s) = self.config().and_then(|c| c.service(name)) {
            out.push(at(Path::new(CONFIG_FILE), s.name_span));
        }
        for wf in self.workflows() {
            for task in &wf.tasks {
                if let Some(s) = task.service.as_ref().filter(|s| s.value == name) {
                    out.push(at(&wf.file, s.span));
                }
            }
        }
        out
    }

    /// Where the symbol at `offset` of `rel` is named: for an entry, its method and every workflow
    /// task calling it; for a service, [`Project::service_references`]. The declaration (the method,
    /// the service's name in code) only when `declaration` is asked.
    pub fn references(&self, rel: &Path, offset: usize, declaration: bool) -> Vec<Location> {
        let Some((symbol, _)) = self.symbol_at(rel, offset) else { return Vec::new() };
        match symbol {
            Symbol::Entry { location, .. } => {
                let mut out = if declaration { vec![location.clone()] } else { Vec::new() };
                out.extend(self.entry_callers().remove(&location).unwrap_or_default());
                out
            }
            Symbol::Service(name) => {
                let all = self.service_references(&name);
                all.into_iter().filter(|l| declaration || file_kind(&l.file) != FileKind::Rust).collect()
            }
        }
    }

    /// The entry named by a symbol, with its service.
    pub fn entry_of(&self, symbol: &Symbol) -> Option<(Service, Entry)> {
        let Symbol::Entry { service, location } = symbol else { return None };
        let s = self.service(service, None)?;
        let e = s.entries.iter().find(|e| &e.location == location)?.clone();
        Some((s, e))
    }

    /// Where what is named at `offset` of `rel` is defined, beyond the workflow definitions
    /// ([`Project::workflow_definition`]): in `project.cws.yml`, a service key → its `impl`, a
    /// service `path` → its `Cargo.toml`, an env file → the file, a stage → itself; in Rust, a
    /// `stage = "..."` → the stage in `project.cws.yml`.
    pub fn definition(&self, rel: &Path, offset: usize) -> Option<Location> {
        match file_kind(rel) {
            FileKind::Workflow => self.workflow_definition(rel, offset),
            FileKind::Config => {
                if let Some(link) = self.config_links().into_iter().find(|l| within(&l.span, offset)) {
                    return Some(at(&link.target, Span::default()));
                }
                let config = self.config()?;
                let s = config.services.iter().find(|s| within(&s.name_span, offset))?;
                self.service(&s.name, None)?.locations.first().cloned()
            }
            FileKind::Rust => {
                let model = self.file_model(rel)?;
                let (part, i) = model.services.iter().find_map(|p| {
                    let i = p.stage_spans.iter().position(|spans| spans.iter().any(|s| within(s, offset)))?;
                    Some((p, i))
                })?;
                let span = part.stage_spans[i].iter().find(|s| within(s, offset))?;
                let text = self.source(rel)?.text().get(span.start.offset..span.end.offset)?;
                let stage = text.trim_matches('"');
                let ws = self.config()?.workspace(stage)?;
                Some(at(Path::new(CONFIG_FILE), ws.name_span))
            }
            _ => None,
        }
    }

    /// The links of `project.cws.yml`: each service's `path` to its crate's `Cargo.toml` (or the
    /// folder), each env file of `env_files` to the file — for those inside the project.
    pub fn config_links(&self) -> Vec<Link> {
        let Some(config) = self.config() else { return Vec::new() };
        let mut out = Vec::new();
        for s in &config.services {
            let Some(p) = &s.path else { continue };
            let Some(dir) = self.relative(Path::new(&p.value)) else { continue };
            let manifest = dir.join("Cargo.toml");
            let target = if self.crate_roots().contains(&dir) { manifest } else { dir };
            out.push(Link { span: p.span, target });
        }
        for ws in config.workspaces.iter().flatten() {
            for f in ws.env_files.iter().filter(|f| !f.outside) {
                if let Some(target) = self.relative(Path::new(&f.path.value)) {
                    out.push(Link { span: f.path.span, target });
                }
            }
        }
        out
    }
}

/// The byte range of a span.
pub(crate) fn bytes(span: Span) -> ByteRange {
    ByteRange::new(span.start.offset, span.end.offset)
}
