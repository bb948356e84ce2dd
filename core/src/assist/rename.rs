//! Renaming what CoWorks names across files: a service (its `name = "..."` — added when the name
//! came from the type —, its key in `project.cws.yml`, every workflow task's `service:`), and an
//! entry method (its name, and every workflow task calling it whose path or method changes with the
//! new name). Calls of the method from Rust code are left to the Rust language server.

use std::collections::BTreeMap;
use std::path::Path;

use crate::diagnostics::Edit;
use crate::layout::{file_kind, FileKind};
use crate::model::{Entry, HttpMethod, ParamSource};
use crate::naming::{self, derive_route, is_service_name};
use crate::project::Project;
use crate::rust_source::attr_edit::{add_arg, find_attr, item_arg_literal, string_literal};
use crate::text::{ByteRange, Span};
use crate::workflow::model::Task;
use crate::workflow::target::{segments, target_entry};

use super::navigate::{bytes, Symbol};

/// What can be renamed at a position: where the name is written and the name itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renamable {
    /// The span holding the name (inside quotes for a string).
    pub span: Span,
    /// The current name.
    pub name: String,
}

/// The name's span inside a span that may hold quotes.
fn unquoted(project: &Project, file: &Path, span: Span) -> Span {
    let Some(source) = project.source(file) else { return span };
    let text = source.text().get(span.start.offset..span.end.offset).unwrap_or("");
    let trimmed = text.trim_matches(['"', '\'']);
    if trimmed.len() == text.len() || trimmed.is_empty() {
        return span;
    }
    let start = span.start.offset + text.find(trimmed).unwrap_or(0);
    source.span(ByteRange::new(start, start + trimmed.len()))
}

/// Whether `name` can be a Rust method name.
fn is_rust_ident(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
        && name != "_"
}

impl Project {
    /// What can be renamed at `offset` of `rel`: a service name (not the type of `impl Type`: that
    /// is Rust's), or an entry method's name. `None` elsewhere.
    pub fn prepare_rename(&self, rel: &Path, offset: usize) -> Option<Renamable> {
        let (symbol, span) = self.symbol_at(rel, offset)?;
        match symbol {
            Symbol::Service(name) => Some(Renamable { span: unquoted(self, rel, span), name }),
            Symbol::Entry { location, .. } if file_kind(rel) == FileKind::Rust => {
                let name =
                    self.source(rel)?.text().get(location.span.start.offset..location.span.end.offset)?;
                Some(Renamable { span, name: name.to_string() })
            }
            Symbol::Entry { .. } => None,
        }
    }

    /// The edits renaming what is at `offset` of `rel` to `new_name`, or why it cannot be.
    pub fn rename(&self, rel: &Path, offset: usize, new_name: &str) -> Result<Vec<Edit>, String> {
        let not_here = || "nothing CoWorks can rename here (a service name or an entry method)".to_string();
        let (symbol, _) = self.symbol_at(rel, offset).ok_or_else(not_here)?;
        match symbol {
            Symbol::Service(old) => self.rename_service(&old, new_name),
            Symbol::Entry { .. } if file_kind(rel) != FileKind::Rust => Err(not_here()),
            entry => {
                let (service, e) = self.entry_of(&entry).ok_or_else(not_here)?;
                self.rename_entry(&service.name, &e, new_name)
            }
        }
    }

    fn rename_service(&self, old: &str, new: &str) -> Result<Vec<Edit>, String> {
        if !is_service_name(new) {
            return Err(format!(
                "`{new}` is not a valid service name: lowercase ASCII letters, digits, `_` and `-`, starting with a letter, at most {} characters",
                naming::MAX_SERVICE_NAME
            ));
        }
        if new != old && self.service_names().contains(new) {
            return Err(format!("a service is already named `{new}`"));
        }
        let mut edits = Vec::new();
        for model in self.rust_files() {
            let Some(text) = self.source(&model.file).map(|s| s.text()) else { continue };
            for part in model.services.iter().filter(|p| p.name == old) {
                match item_arg_literal(text, &part.item, &part.location, "service", "name") {
                    Some(r) => edits.push(Edit::new(&model.file, r, string_literal(new))),
                    None => {
                        let within =
                            ByteRange::new(part.item.span.start.offset, part.location.span.start.offset);
                        let attr = find_attr(text, within, "service")
                            .ok_or("the `#[coworks::service]` attribute is not found")?;
                        edits.push(add_arg(
                            &model.file,
                            text,
                            attr,
                            &format!("name = {}", string_literal(new)),
                        ));
                    }
                }
            }
        }
        for l in self.service_references(old).into_iter().filter(|l| file_kind(&l.file) != FileKind::Rust) {
            edits.push(Edit::new(&l.file, bytes(unquoted(self, &l.file, l.span)), new));
        }
        Ok(edits)
    }

    fn rename_entry(&self, service: &str, e: &Entry, new: &str) -> Result<Vec<Edit>, String> {
        let new = new.strip_prefix("r#").unwrap_or(new);
        if !is_rust_ident(new) {
            return Err(format!("`{new}` is not a Rust method name"));
        }
        let path_params: Vec<&str> =
            e.params.iter().filter(|p| p.source == ParamSource::Path).map(|p| p.name.as_str()).collect();
        let text = self.source(&e.item.file).map(|s| s.text()).unwrap_or("");
        let explicit =
            item_arg_literal(text, &e.item, &e.location, "entry", "path").map(|_| e.route.path.as_str());
        let route = derive_route(new, &path_params, explicit).map_err(|err| err.to_string())?;
        let mut edits = vec![Edit::new(&e.location.file, bytes(e.location.span), new)];
        let services = self.services(None);
        for wf in self.workflows() {
            for task in &wf.tasks {
                let calls = target_entry(task, &services)
                    .is_some_and(|(s, t)| s.name == service && t.location == e.location);
                if calls {
                    edits.extend(retarget(self, &wf.file, task, &e.route.path, route.method, &route.path));
                }
            }
        }
        Ok(edits)
    }
}

/// The edits making `task` (which calls a route whose path is `old_path`) call `method` `new_path`:
/// its path's literal segments follow the new route, its values stay with their `{param}`.
fn retarget(
    project: &Project,
    file: &Path,
    task: &Task,
    old_path: &str,
    method: HttpMethod,
    new_path: &str,
) -> Vec<Edit> {
    let mut edits = Vec::new();
    let Some(path) = &task.path else { return edits };
    if old_path != new_path {
        let values: BTreeMap<&str, &str> = segments(old_path)
            .into_iter()
            .zip(segments(&path.value))
            .filter_map(|(r, c)| Some((r.strip_prefix('{')?.strip_suffix('}')?, c)))
            .collect();
        let rewritten: Vec<&str> = segments(new_path)
            .into_iter()
            .map(|seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(p) => values.get(p).copied().unwrap_or(seg),
                None => seg,
            })
            .collect();
        let value = format!("/{}", rewritten.join("/"));
        edits.push(Edit::new(file, bytes(unquoted(project, file, path.span)), value));
    }
    if method != task.method.value {
        let written = task.method.span != task.id_span;
        if written {
            edits.push(Edit::new(file, bytes(unquoted(project, file, task.method.span)), method.as_str()));
        } else if let Some(text) = project.source(file).map(|s| s.text()) {
            let line = text[..path.span.start.offset].rfind('\n').map_or(0, |i| i + 1);
            let indent = text[line..].len() - text[line..].trim_start_matches(' ').len();
            let at = line + indent;
            edits.push(Edit::insert(file, at, format!("method: {method}\n{}", " ".repeat(indent))));
        }
    }
    edits
}
