//! Checking a workflow against the project's real services: services, entries (method + path matched
//! against the core's route templates), parameters, bodies, templates, the graph (cycles, tasks that
//! can never run) and the results bucket async calls need.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;

use super::cache::Pass;
use crate::config::Spanned;
use crate::diagnostics::{Diagnostic, DiagnosticCode, Edit, Fix};
use crate::model::{Entry, HttpMethod, ParamSource, Service};
use crate::project::Project;
use crate::settings::CliOptions;
use crate::suggest;
use crate::text::{ByteRange, Span};

use crate::workflow::model::{EdgeKind, Task, Workflow};
use crate::workflow::parse::sub_span;
use crate::workflow::run;
use crate::workflow::target::{segments, target_entry};
use crate::workflow::template::{self, Source};
use crate::workflow::WorkflowFile;

mod typed;

/// What a workflow is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The services the workflow's tasks name (at least), with the entries of the stage checked
    /// (every entry when no stage is given).
    pub services: &'a [Service],
    /// The same services with every entry of every stage (to say "only in stage ...").
    pub all_services: &'a [Service],
    /// The project (for the settings of each stage).
    pub project: &'a Project,
    /// The stages checked (for the results bucket of async calls).
    pub stages: &'a [String],
}

/// A path segment of a task written `{name}`: given in `params`.
fn placeholder(seg: &str) -> Option<&str> {
    if seg.starts_with("{{") {
        return None;
    }
    seg.strip_prefix('{').and_then(|s| s.strip_suffix('}'))
}

/// The closest route of `service` to a call that matches none, if close enough to be a typo.
fn closest_route<'s>(service: &'s Service, method: HttpMethod, path: &str) -> Option<&'s Entry> {
    let call = segments(path);
    let cost = |e: &Entry| {
        let route = segments(&e.route.path);
        let method_cost = if e.route.method == method { 0 } else { 2 };
        let path_cost = if route.len() == call.len() {
            route
                .iter()
                .zip(&call)
                .map(|(r, c)| {
                    if (r.starts_with('{') && r.ends_with('}')) || r == c {
                        0
                    } else {
                        suggest::distance(r, c)
                    }
                })
                .sum()
        } else {
            suggest::distance(&crate::model::erase_params(&e.route.path), path) + 2
        };
        method_cost + path_cost
    };
    let limit = (path.chars().count() / 3).max(3);
    service
        .entries
        .iter()
        .map(|e| (cost(e), e))
        .filter(|(c, _)| *c <= limit)
        .min_by_key(|(c, _)| *c)
        .map(|(_, e)| e)
}

/// The services the tasks of `file` name, sorted, once each.
fn named(file: &WorkflowFile) -> impl Iterator<Item = &str> {
    let names: BTreeSet<&str> =
        file.workflow.tasks.iter().filter_map(|t| t.service.as_ref()).map(|s| s.value.as_str()).collect();
    names.into_iter()
}

/// The checks of one workflow against the services of the pass's stage (every stage when `None`),
/// with the diagnostics of reading the file; and the types it looked up, by crate directory and
/// name (found or not). Reads only the services its tasks name (and, for a name no service has,
/// the names of all) and those types.
pub(super) fn check_file(
    project: &Project,
    pass: &Pass,
    file: &WorkflowFile,
) -> (Vec<Diagnostic>, BTreeSet<(PathBuf, String)>) {
    let services: Vec<Service> = named(file).filter_map(|n| project.service(n, pass.stage())).collect();
    let all: Vec<Service> = named(file).filter_map(|n| project.service(n, None)).collect();
    let stages: Vec<String> = pass.checked.iter().map(|s| s.name.clone()).collect();
    let cx = Context { services: &services, all_services: &all, project, stages: &stages };
    let mut out = file.diagnostics.clone();
    let (found, read) = validate_reading(&file.workflow, &cx);
    out.extend(found);
    (out, read)
}

/// The diagnostics of the workflow file `rel` alone (every stage's entries), with the diagnostics of
/// reading it: what the editor's actions on one workflow need, without the project-wide pass.
pub(crate) fn file_diagnostics(project: &Project, rel: &std::path::Path) -> Vec<Diagnostic> {
    let Some(file) = project.workflow_files().find(|f| f.workflow.file == rel) else { return Vec::new() };
    let services: Vec<Service> = named(file).filter_map(|n| project.service(n, None)).collect();
    let stages = project.stages_checked(None);
    let cx = Context { services: &services, all_services: &services, project, stages: &stages };
    let mut out = file.diagnostics.clone();
    out.extend(validate(&file.workflow, &cx));
    out
}

/// What runs before each task of `wf`, whose results it can read (CWS048; what completion offers
/// after `tasks.`): its ancestors through every edge, but an `else` task runs when its task did not,
/// so it follows what that task follows, not the task; and the run's `on_failure` task runs after
/// every other task.
pub(crate) fn runs_before(wf: &Workflow) -> BTreeMap<&str, BTreeSet<&str>> {
    let ids: BTreeSet<&str> = wf.tasks.iter().map(|t| t.id.as_str()).collect();
    let mut up: BTreeMap<&str, Vec<&str>> = ids.iter().map(|i| (*i, Vec::new())).collect();
    let edges = wf.edges();
    for e in &edges {
        if let (Some(from), Some(to)) = (ids.get(e.from.as_str()), ids.get(e.to.as_str())) {
            up.entry(to).or_default().push(from);
        }
    }
    let mut runs_after = up.clone();
    for e in edges.iter().filter(|e| e.kind == EdgeKind::Else) {
        if let (Some(from), Some(to)) = (ids.get(e.from.as_str()), ids.get(e.to.as_str())) {
            let before = up[from].clone();
            let list = runs_after.entry(to).or_default();
            list.retain(|u| u != from);
            list.extend(before);
        }
    }
    let mut ancestors = ancestors_by(&ids, &runs_after);
    if let Some(failure) = wf.on_failure.as_ref().and_then(|f| ids.get(f.value.as_str())) {
        ancestors.insert(failure, ids.iter().copied().filter(|id| id != failure).collect());
    }
    ancestors
}

/// The task that `task` runs instead of (it is in that task's `else`), when `other` is that task or
/// runs after it (`after_it(t)`: `other` runs after `t`): a result `task` can never read, whatever
/// its `after` says.
pub(crate) fn replaced_by<'w>(
    wf: &'w Workflow,
    task: &str,
    other: &str,
    after_it: impl Fn(&str) -> bool,
) -> Option<&'w str> {
    wf.tasks
        .iter()
        .filter(|t| t.otherwise.iter().any(|o| o.value == task))
        .map(|t| t.id.as_str())
        .find(|t| *t == other || after_it(t))
}

/// What CWS048 says of `task` reading task `other`, which does not run before it (the check's
/// message and the completion of `tasks.` in a workflow): add `after`, or — for `task` in the
/// `else` of `replaced` ([`replaced_by`]), where `after` cannot help — read `conf` or a task that
/// runs before `replaced`.
pub(crate) fn not_before_advice(task: &str, other: &str, replaced: Option<&str>) -> String {
    match replaced {
        // `after: [other]` cannot help: the task runs only when `replaced` does not.
        Some(replaced) => format!(
            "`{task}` is in the `else` of `{replaced}` and runs instead of it, when its condition is false, so `{other}` has no result then; read `conf` or a task that runs before `{replaced}`"
        ),
        None => format!("does not run before `{task}`: add `after: [{other}]`"),
    }
}

/// Every diagnostic of one workflow.
pub fn validate(wf: &Workflow, cx: &Context<'_>) -> Vec<Diagnostic> {
    validate_reading(wf, cx).0
}

/// [`validate`], with the types the checks looked up, by crate directory and name (found or not).
fn validate_reading(wf: &Workflow, cx: &Context<'_>) -> (Vec<Diagnostic>, BTreeSet<(PathBuf, String)>) {
    let mut v = Validator {
        wf,
        cx,
        out: Vec::new(),
        types: BTreeMap::new(),
        read: BTreeSet::new(),
        ancestors: BTreeMap::new(),
    };
    let ancestors = v.graph();
    v.check_failure_task();
    v.ancestors = ancestors.clone();
    for task in &wf.tasks {
        v.call(task);
        v.headers(task);
        v.templates(task, ancestors.get(task.id.as_str()));
        v.condition(task, ancestors.get(task.id.as_str()));
        v.body_fields(task);
        v.bucket(task);
        v.for_each(task);
        v.python(task);
        v.otherwise(task);
    }
    (v.out, v.read)
}

/// Whether `text` (a Python module) defines `function` at its top level (`def` or `async def` at the
/// start of a line): read, never run.
pub fn defines_function(text: &str, function: &str) -> bool {
    text.lines().any(|line| {
        let rest = line.strip_prefix("async ").unwrap_or(line);
        rest.strip_prefix("def ")
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix(function))
            .is_some_and(|r| r.trim_start().starts_with('('))
    })
}

struct Validator<'a> {
    wf: &'a Workflow,
    cx: &'a Context<'a>,
    out: Vec<Diagnostic>,
    /// The types of the entry each task calls, with the entry's route and name, read once.
    types: BTreeMap<String, Option<(crate::types::EntryTypes, String)>>,
    /// The types looked up for them, by crate directory and name.
    read: BTreeSet<(PathBuf, String)>,
    /// What runs before each task (an `else` task: what its task follows).
    ancestors: BTreeMap<&'a str, BTreeSet<&'a str>>,
}

impl<'a> Validator<'a> {
    fn push(&mut self, code: DiagnosticCode, span: Span, message: String) -> &mut Diagnostic {
        self.out.push(Diagnostic::new(code, &self.wf.file, span, message));
        let last = self.out.len() - 1;
        &mut self.out[last]
    }

    /// The text of this workflow file at `span`, as the project holds it.
    fn written(&self, span: Span) -> Option<&'a str> {
        self.cx.project.source(&self.wf.file)?.text().get(span.start.offset..span.end.offset)
    }

    /// "Replace `written` with the closest of `candidates`" for a name written at `span`, when the
    /// span holds exactly that name (plain or quoted).
    fn closest_fix<'c>(
        &self,
        written: &str,
        span: Span,
        candidates: impl IntoIterator<Item = &'c str>,
    ) -> Option<Fix> {
        let near = suggest::closest(written, candidates)?;
        let text = self.written(span)?;
        let inner = text.find(written).filter(|_| text.trim_matches(['"', '\'']) == written)?;
        let range = ByteRange::new(span.start.offset + inner, span.start.offset + inner + written.len());
        Some(Fix::replace(&self.wf.file, range, written, near, true))
    }

    fn call(&mut self, task: &Task) {
        if task.json.is_some() && !task.method.value.carries_body() {
            let span = task.json.as_ref().map(|j| j.span).unwrap_or(task.id_span);
            let m = task.method.value;
            self.push(
                DiagnosticCode::WorkflowBodyOnGet,
                span,
                format!("task `{}` sends a `json` body with {m}: API Gateway drops it; use `query`", task.id),
            );
        }
        let (Some(service_name), Some(path)) = (&task.service, &task.path) else { return };
        let Some(service) = self.cx.services.iter().find(|s| s.name == service_name.value) else {
            let names = self.cx.project.service_names();
            let hint = suggest::closest(&service_name.value, names.iter().copied())
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            let msg = format!("no service `{}` in the project{hint}", service_name.value);
            let fix = self.closest_fix(&service_name.value, service_name.span, names.iter().copied());
            self.push(DiagnosticCode::WorkflowUnknownService, service_name.span, msg).add_fixes(fix);
            return;
        };
        let Some((_, entry)) = target_entry(task, self.cx.services) else {
            self.unknown_entry(task, service, path);
            return;
        };
        self.params(task, entry, path);
    }

    fn unknown_entry(&mut self, task: &Task, service: &Service, path: &Spanned<String>) {
        let method = task.method.value;
        let mut msg = format!("service `{}` has no entry `{method} {}`", service.name, path.value);
        let elsewhere = self
            .cx
            .all_services
            .iter()
            .find(|s| s.name == service.name)
            .and_then(|s| target_entry(task, std::slice::from_ref(s)))
            .filter(|(_, e)| !e.stages.is_empty());
        if let Some((_, e)) = elsewhere {
            msg.push_str(&format!(
                " in this stage (`{}` exists only in stage {})",
                e.rust_name,
                e.stages.join(", ")
            ));
        }
        let close = closest_route(service, method, &path.value);
        if let Some(e) = close {
            msg.push_str(&format!("; did you mean `{}`?", e.route));
        }
        let mut fixes: Vec<Fix> =
            close.and_then(|e| self.call_route_fix(task, path, e)).into_iter().collect();
        fixes.extend(self.add_entry_fix(task, service, path));
        let d = self.push(DiagnosticCode::WorkflowUnknownEntry, path.span, msg);
        d.add_fixes(fixes);
        if let Some(e) = close {
            d.related.push(crate::diagnostics::Related {
                file: e.location.file.clone(),
                span: e.location.span,
                message: format!("`{}` answers `{}`", e.rust_name, e.route),
            });
        }
    }

    /// "Call `GET /invoice/{id}`": the task's path (and method) changed to the route of `e`, the
    /// task's values kept where the route has a `{param}` at the same place.
    fn call_route_fix(&self, task: &Task, path: &Spanned<String>, e: &Entry) -> Option<Fix> {
        let call = segments(&path.value);
        let route = segments(&e.route.path);
        let new_path: Vec<&str> = route
            .iter()
            .enumerate()
            .map(|(i, r)| match call.get(i) {
                Some(c) if r.starts_with('{') && call.len() == route.len() => *c,
                _ => *r,
            })
            .collect();
        let new_path = format!("/{}", new_path.join("/"));
        let mut edits = vec![Edit::new(&self.wf.file, bytes(path.span), yaml_text(&new_path))];
        if e.route.method != task.method.value {
            let written = self
                .written(task.method.span)
                .is_some_and(|t| t.trim_matches(['"', '\'']).parse::<HttpMethod>().is_ok());
            if !written {
                return None;
            }
            edits.push(Edit::new(&self.wf.file, bytes(task.method.span), e.route.method.as_str()));
        }
        let title = format!("Call `{}` ({})", e.route, e.rust_name);
        Some(Fix::offered(title, edits))
    }

    /// "Add entry `get_invoice_lines` for `GET /invoice/{id}/lines`": a stub method in the service's
    /// `impl` block whose name gives the route the task calls.
    fn add_entry_fix(&self, task: &Task, service: &Service, path: &Spanned<String>) -> Option<Fix> {
        let method = task.method.value;
        let (template, types) = route_template(&path.value, &task.params);
        let (name, params, explicit) = crate::naming::name_for_route(method, &template)?;
        let project = self.cx.project;
        let (file, part) = project
            .rust_files()
            .flat_map(|m| m.services.iter().map(move |p| (&m.file, p)))
            .find(|(_, p)| p.name == service.name)?;
        let text = project.source(file)?.text();
        let close =
            part.item.span.end.offset.checked_sub(1).filter(|&i| text.as_bytes().get(i) == Some(&b'}'))?;
        let indent = part.entries.first().map_or(4, |e| e.item.span.start.col as usize);
        let pad = " ".repeat(indent);
        let mut args = vec!["&self".to_string()];
        args.extend(params.iter().map(|p| format!("{p}: {}", types.get(p).copied().unwrap_or("String"))));
        args.extend(task.query.iter().map(|q| format!("#[query] {}: Option<String>", q.name.value)));
        let attr = if explicit { format!("#[entry(path = {:?})]", template) } else { "#[entry]".into() };
        let body_note =
            if task.json.is_some() { " It is sent a JSON body: add a `#[body]` parameter." } else { "" };
        let stub = format!(
            "\n{pad}/// `{method} {template}`, called by the workflow task `{}`.{body_note}\n{pad}{attr}\n{pad}fn {name}({}) -> Result<String, Error> {{\n{pad}    Err(Error::internal(\"not implemented yet\"))\n{pad}}}\n",
            task.id,
            args.join(", ")
        );
        let title = format!("Add entry `{name}` for `{method} {template}` to `{}`", service.name);
        Some(Fix::offered(title, vec![Edit::insert(file, line_start(text, close), stub)]))
    }

    fn params(&mut self, task: &Task, entry: &Entry, path: &Spanned<String>) {
        let id = &task.id;
        // Path placeholders `{name}` need a value in `params`; `params` names only placeholders.
        let holes: Vec<&str> = segments(&path.value).into_iter().filter_map(placeholder).collect();
        for hole in &holes {
            if !task.params.iter().any(|a| a.name.value == *hole) {
                let msg =
                    format!("task `{id}` gives no value for `{{{hole}}}`: add `params: {{ {hole}: ... }}`");
                self.push(DiagnosticCode::WorkflowParams, path.span, msg);
            }
        }
        for a in &task.params {
            if !holes.contains(&a.name.value.as_str()) {
                let hint = suggest::closest(&a.name.value, holes.iter().copied())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                let msg = format!(
                    "`{}` is not a `{{param}}` of the task's path `{}`{hint}",
                    a.name.value, path.value
                );
                let fix = self.closest_fix(&a.name.value, a.name.span, holes.iter().copied());
                self.push(DiagnosticCode::WorkflowParams, a.name.span, msg).add_fixes(fix);
            }
        }
        let query: Vec<&crate::model::Param> =
            entry.params.iter().filter(|p| p.source == ParamSource::Query).collect();
        for a in &task.query {
            if !query.iter().any(|p| p.name == a.name.value) {
                let names = query.iter().map(|p| p.name.as_str());
                let hint = suggest::closest(&a.name.value, names)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                let known = if query.is_empty() {
                    "it takes none".to_string()
                } else {
                    format!(
                        "it takes {}",
                        query.iter().map(|p| format!("`{}`", p.name)).collect::<Vec<_>>().join(", ")
                    )
                };
                let msg = format!(
                    "`{}` ({}) has no query parameter `{}` ({known}){hint}",
                    entry.route, entry.rust_name, a.name.value
                );
                let fix = self.closest_fix(&a.name.value, a.name.span, query.iter().map(|p| p.name.as_str()));
                self.push(DiagnosticCode::WorkflowParams, a.name.span, msg).add_fixes(fix);
            }
        }
        for p in &query {
            let optional = p.ty.starts_with("Option<") || p.ty.starts_with("Vec<");
            if !optional && !task.query.iter().any(|a| a.name.value == p.name) {
                let msg =
                    format!("task `{id}` misses query parameter `{}: {}` of `{}`", p.name, p.ty, entry.route);
                self.push(DiagnosticCode::WorkflowParams, path.span, msg);
            }
        }
        let body = entry.params.iter().find(|p| p.source == ParamSource::Body);
        match (body, &task.json) {
            (Some(b), None) => {
                let msg = format!("`{}` takes a `{}` body (`{}`): add `json`", entry.route, b.ty, b.name);
                self.push(DiagnosticCode::WorkflowParams, path.span, msg);
            }
            (None, Some(j)) if task.method.value.carries_body() => {
                let msg = format!("`{}` ({}) takes no body: remove `json`", entry.route, entry.rust_name);
                self.push(DiagnosticCode::WorkflowParams, j.span, msg);
            }
            _ => {}
        }
    }

    fn templates(&mut self, task: &Task, ancestors: Option<&BTreeSet<&str>>) {
        for text in &task.texts {
            for t in template::templates(&text.value) {
                let span = sub_span(text, t.range.start, t.range.end);
                match &t.source {
                    Err(e) => {
                        self.push(DiagnosticCode::WorkflowSchema, span, format!("bad template {e}"));
                    }
                    Ok(Source::Conf(_)) => {}
                    Ok(Source::Item(_)) => {
                        let in_each = task.for_each.as_ref().is_some_and(|f| f.span == text.span);
                        if task.for_each.is_none() || in_each {
                            let msg = if in_each {
                                format!("`for_each` of task `{}` names the list; `{{{{ {} }}}}` is read by the task's values", task.id, t.expr)
                            } else {
                                format!("`{{{{ {} }}}}` is the item of a task mapped over `for_each`, and task `{}` has no `for_each`", t.expr, task.id)
                            };
                            self.push(DiagnosticCode::WorkflowForEach, span, msg);
                        }
                    }
                    Ok(Source::Task { task: other, path }) => {
                        let what = format!("`{{{{ {} }}}}` reads", t.expr);
                        if self.task_read(task, ancestors, span, &what, other) {
                            let inner = &text.value[t.range.start + 2..t.range.end - 2];
                            let at = t.range.start + 2 + inner.len() - inner.trim_start().len();
                            let what = format!("`{{{{ {} }}}}`", t.expr);
                            let read = typed::Read { holder: text, at, expr: &t.expr, what, other, path };
                            self.typed_read(&read);
                        }
                    }
                }
            }
        }
    }

    /// Checks that `task` may read the result of task `other` (`what` says where, e.g. "`{{ ... }}`
    /// reads"): it exists and runs before. True when it does.
    fn task_read(
        &mut self,
        task: &Task,
        ancestors: Option<&BTreeSet<&str>>,
        span: Span,
        what: &str,
        other: &str,
    ) -> bool {
        if self.wf.task(other).is_none() {
            let hint = suggest::closest(other, self.wf.tasks.iter().map(|t| t.id.as_str()))
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            let msg = format!("{what} task `{other}`, which this workflow does not define{hint}");
            let fix = self.template_task_fix(span, other);
            self.push(DiagnosticCode::WorkflowUnknownTask, span, msg).add_fixes(fix);
            false
        } else if !ancestors.is_some_and(|a| a.contains(other)) {
            let replaced = self.replaced(task, other);
            let advice = not_before_advice(&task.id, other, replaced);
            let msg = match replaced {
                Some(replaced) if replaced != other => {
                    format!("{what} task `{other}`, which runs after `{replaced}`: {advice}")
                }
                Some(_) => format!("{what} task `{other}`: {advice}"),
                None => format!("{what} task `{other}`, which {advice}"),
            };
            self.push(DiagnosticCode::WorkflowNotUpstream, span, msg);
            false
        } else {
            true
        }
    }

    /// The task `task` runs instead of when `other` is that task or runs after it ([`replaced_by`]).
    fn replaced(&self, task: &Task, other: &str) -> Option<&'a str> {
        let wf: &'a Workflow = self.wf;
        replaced_by(wf, &task.id, other, |t| self.ancestors.get(other).is_some_and(|a| a.contains(t)))
    }

    /// "Replace `crate_invoice` with `create_invoice`" inside a `{{ tasks.<id>... }}` template written
    /// at `span`.
    fn template_task_fix(&self, span: Span, other: &str) -> Option<Fix> {
        let near = suggest::closest(other, self.wf.tasks.iter().map(|t| t.id.as_str()))?;
        let text = self.written(span)?;
        let needle = format!("tasks.{other}");
        let found: Vec<usize> = text.match_indices(&needle).map(|(i, _)| i + "tasks.".len()).collect();
        let [at] = found.as_slice() else { return None };
        let start = span.start.offset + at;
        Some(Fix::replace(&self.wf.file, ByteRange::new(start, start + other.len()), other, near, true))
    }

    /// Checks the header names and the values written as they are sent (the text outside templates;
    /// rendered values are checked by the run, [`run::request`]).
    fn headers(&mut self, task: &Task) {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for a in &task.headers {
            let name = &a.name.value;
            if let Some(problem) = run::credential_header_problem(name) {
                self.push(
                    DiagnosticCode::WorkflowCredentialHeader,
                    a.name.span,
                    format!("task `{}`: {problem}", task.id),
                );
            } else if let Some(problem) = run::header_name_problem(name) {
                self.push(
                    DiagnosticCode::WorkflowBadHeader,
                    a.name.span,
                    format!("task `{}`: {problem}", task.id),
                );
            } else if !seen.insert(name.to_ascii_lowercase()) {
                let msg =
                    format!("task `{}` gives header `{name}` twice (header names ignore case)", task.id);
                self.push(DiagnosticCode::WorkflowBadHeader, a.name.span, msg);
            }
            let Some(text) = a.value.as_str() else { continue };
            let found = template::templates(text);
            let mut outside = String::new();
            let mut at = 0;
            for t in &found {
                outside.push_str(&text[at..t.range.start]);
                outside.push('x');
                at = t.range.end;
            }
            outside.push_str(&text[at..]);
            if let Some(problem) = run::header_value_problem(&outside) {
                let problem =
                    if found.is_empty() { problem } else { format!("{problem} (outside its templates)") };
                self.push(
                    DiagnosticCode::WorkflowBadHeader,
                    a.name.span,
                    format!("task `{}`: {problem}", task.id),
                );
            }
        }
    }

    /// Checks the run's `on_failure` task: an unknown task (with the closest id as a fix), or one
    /// with edges ([`runs_before`] places it after every other task).
    fn check_failure_task(&mut self) {
        let wf: &'a Workflow = self.wf;
        let Some(given) = wf.on_failure.as_ref() else { return };
        let ids = wf.tasks.iter().map(|t| t.id.as_str());
        let Some(task) = wf.task(&given.value) else {
            let hint = suggest::did_you_mean(&given.value, ids.clone());
            let msg = format!(
                "`on_failure` of the workflow names no task of this workflow: `{}`{hint}",
                given.value
            );
            let fix = self.closest_fix(&given.value, given.span, ids);
            self.push(DiagnosticCode::WorkflowUnknownTask, given.span, msg).add_fixes(fix);
            return;
        };
        let edges: Vec<String> = wf
            .edges()
            .into_iter()
            .filter(|e| e.from == task.id || e.to == task.id)
            .map(|e| {
                format!(
                    "`{}` of task `{}`",
                    e.kind.as_str(),
                    if e.kind == EdgeKind::After { &e.to } else { &e.from }
                )
            })
            .collect();
        if !edges.is_empty() {
            let msg = format!(
                "task `{}` is the run's `on_failure` task: it runs after every other task when one failed, so it takes no edges ({})",
                task.id,
                edges.join(", ")
            );
            self.push(DiagnosticCode::WorkflowFailureTask, given.span, msg);
        }
    }

    /// A `for_each` reads a list: the run's conf or the body of a task.
    fn for_each(&mut self, task: &Task) {
        let Some(each) = &task.for_each else { return };
        let found = template::templates(&each.value);
        let [t] = found.as_slice() else { return };
        if let Ok(Source::Task { task: other, path }) = &t.source {
            if path.first().is_some_and(|f| f != "body") {
                let msg = format!(
                    "`for_each` of task `{}` reads `{}`: a list is in the conf or a task's body (`tasks.{other}.body...`)",
                    task.id, t.expr
                );
                self.push(DiagnosticCode::WorkflowForEach, each.span, msg);
            }
        }
    }

    /// A `python` task's module file and function exist (the file's text is read, never run).
    fn python(&mut self, task: &Task) {
        let Some(given) = &task.python else { return };
        let Some((module, function)) = crate::workflow::parse::python_target(&given.value) else { return };
        let file = crate::layout::workflow_python_path(module);
        let msg = match self.cx.project.source(&file) {
            None => format!(
                "task `{}` runs `{}`, but the project has no `{}`",
                task.id,
                given.value,
                file.to_string_lossy().replace('\\', "/")
            ),
            Some(src) if !defines_function(src.text(), function) => format!(
                "task `{}` runs `{}`, but `{}` has no top-level `def {function}(...)`",
                task.id,
                given.value,
                file.to_string_lossy().replace('\\', "/")
            ),
            Some(_) => return,
        };
        self.push(DiagnosticCode::WorkflowPythonMissing, given.span, msg);
    }

    fn bucket(&mut self, task: &Task) {
        if !task.is_async {
            return;
        }
        let service = task.service.as_ref().map(|s| s.value.as_str());
        let missing: Vec<&str> = self
            .cx
            .stages
            .iter()
            .filter(|stage| {
                self.cx
                    .project
                    .function_settings(stage, service.unwrap_or(""), &CliOptions::new())
                    .bucket
                    .is_none()
            })
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            let msg = format!(
                "task `{}` is async but stage {} has no results bucket: set `bucket` under `commands: deploy:` in project.cws.yml",
                task.id,
                missing.join(", ")
            );
            self.push(DiagnosticCode::WorkflowNoResultsBucket, task.id_span, msg);
        }
    }

    /// Checks edges, cycles and reachability; returns each task's ancestors.
    fn graph(&mut self) -> BTreeMap<&'a str, BTreeSet<&'a str>> {
        let wf: &'a Workflow = self.wf;
        let ids: BTreeSet<&'a str> = wf.tasks.iter().map(|t| t.id.as_str()).collect();
        let mut down: BTreeMap<&str, Vec<&str>> = ids.iter().map(|i| (*i, Vec::new())).collect();
        let mut up: BTreeMap<&str, Vec<&str>> = down.clone();
        let edges = wf.edges();
        for t in &wf.tasks {
            for (target, kind) in t.branches().chain(t.after.iter().map(|a| (a, EdgeKind::After))) {
                if !ids.contains(target.value.as_str()) {
                    let hint = suggest::closest(&target.value, ids.iter().copied())
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    let msg = format!(
                        "`{}` of task `{}` names no task of this workflow: `{}`{hint}",
                        kind.as_str(),
                        t.id,
                        target.value
                    );
                    let fix = self.closest_fix(&target.value, target.span, ids.iter().copied());
                    self.push(DiagnosticCode::WorkflowUnknownTask, target.span, msg).add_fixes(fix);
                }
            }
        }
        for e in &edges {
            if let (Some(from), Some(to)) = (ids.get(e.from.as_str()), ids.get(e.to.as_str())) {
                down.entry(from).or_default().push(to);
                up.entry(to).or_default().push(from);
            }
        }
        // Ancestors by reverse breadth-first walks (workflows are small).
        let ancestors = ancestors_by(&ids, &up);
        // A task is in a cycle when it is its own ancestor; report each cycle once, on its first task.
        let mut reported: BTreeSet<&str> = BTreeSet::new();
        for t in &wf.tasks {
            let id = t.id.as_str();
            if reported.contains(id) || !ancestors[id].contains(id) {
                continue;
            }
            let members: Vec<&str> = wf
                .tasks
                .iter()
                .map(|t| t.id.as_str())
                .filter(|o| ancestors[id].contains(o) && ancestors[o].contains(id))
                .collect();
            reported.extend(members.iter().copied());
            let path = cycle_path(id, &down, &members);
            let edge_span = edges
                .iter()
                .find(|e| e.from == path[0] && path.get(1).is_some_and(|n| *n == e.to))
                .map(|e| e.span);
            let msg = format!("tasks depend on each other in a cycle: {}", path.join(" → "));
            self.push(DiagnosticCode::WorkflowCycle, edge_span.unwrap_or(t.id_span), msg);
        }
        // Tasks reachable from no root (a task without upstream) never run.
        let mut reachable: BTreeSet<&str> = BTreeSet::new();
        let mut queue: VecDeque<&str> = ids.iter().copied().filter(|i| up[i].is_empty()).collect();
        while let Some(n) = queue.pop_front() {
            if reachable.insert(n) {
                queue.extend(down[n].iter().copied());
            }
        }
        for t in &wf.tasks {
            if !reachable.contains(t.id.as_str()) && !reported.contains(t.id.as_str()) {
                let msg = format!("task `{}` can never run: every path to it goes through a cycle", t.id);
                self.push(DiagnosticCode::WorkflowUnreachable, t.id_span, msg);
            }
        }
        runs_before(wf)
    }

    /// `else` needs a `when:` to choose, and names tasks that run instead of this one: not the task
    /// itself, nor one that also follows it.
    fn otherwise(&mut self, task: &Task) {
        let Some(first) = task.otherwise.first() else { return };
        if task.when.is_none() {
            let msg = format!(
                "task `{}` has `else` but no `when:`: the `else` tasks run when the task's condition is false",
                task.id
            );
            self.push(DiagnosticCode::WorkflowElse, first.span, msg);
        }
        let follows: BTreeSet<&str> = self
            .wf
            .edges()
            .into_iter()
            .filter(|e| e.from == task.id && e.kind != EdgeKind::Else)
            .filter_map(|e| self.wf.task(&e.to).map(|t| t.id.as_str()))
            .collect();
        for o in &task.otherwise {
            let why = if o.value == task.id {
                "the task itself"
            } else if follows.contains(o.value.as_str()) {
                "a task that also runs after it (`after` or `on_*`)"
            } else {
                continue;
            };
            let msg = format!(
                "`else` of task `{}` names {why}: `{}` runs instead of `{}` when its condition is false",
                task.id, o.value, task.id
            );
            self.push(DiagnosticCode::WorkflowElse, o.span, msg);
        }
    }
}

/// Each task's ancestors along `up` (reverse breadth-first walks: workflows are small).
fn ancestors_by<'a>(
    ids: &BTreeSet<&'a str>,
    up: &BTreeMap<&'a str, Vec<&'a str>>,
) -> BTreeMap<&'a str, BTreeSet<&'a str>> {
    let mut ancestors = BTreeMap::new();
    for id in ids {
        let mut seen = BTreeSet::new();
        let mut queue: VecDeque<&str> = up[id].iter().copied().collect();
        while let Some(n) = queue.pop_front() {
            if seen.insert(n) {
                queue.extend(up[n].iter().copied());
            }
        }
        ancestors.insert(*id, seen);
    }
    ancestors
}

/// The byte range of a span.
fn bytes(span: Span) -> ByteRange {
    ByteRange::new(span.start.offset, span.end.offset)
}

/// The start of the line holding byte `at`.
fn line_start(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].rfind('\n').map_or(0, |i| i + 1)
}

/// `s` as a YAML scalar: plain when it is safe so, double-quoted otherwise.
fn yaml_text(s: &str) -> String {
    let plain = !s.is_empty()
        && !s.starts_with([
            '{', '[', '*', '&', '!', '|', '>', '\'', '"', '%', '@', '`', '#', '-', '?', ':', ' ',
        ])
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with([' ', ':']);
    if plain {
        s.to_string()
    } else {
        format!("{s:?}")
    }
}

/// The route template of a task's path, and the Rust types its `{params}` get: `{name}` segments
/// stay, `{{ conf.sku }}` becomes `{sku}`, a number becomes `{id}` (`u64`).
fn route_template<'t>(
    path: &str,
    params: &[crate::workflow::model::Arg],
) -> (String, BTreeMap<String, &'t str>) {
    let mut types = BTreeMap::new();
    let mut segs = Vec::new();
    for seg in segments(path) {
        let name = if let Some(p) = placeholder(seg) {
            let numeric = params.iter().any(|a| a.name.value == p && a.value.is_u64());
            Some((p.to_string(), if numeric { "u64" } else { "String" }))
        } else if seg.contains("{{") {
            let expr = seg.split("{{").nth(1).unwrap_or("").split("}}").next().unwrap_or("");
            let word = expr.trim().rsplit('.').next().unwrap_or("").to_string();
            Some((if word.is_empty() { "value".into() } else { word }, "String"))
        } else if !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit()) {
            Some(("id".to_string(), "u64"))
        } else {
            None
        };
        match name {
            Some((mut n, ty)) => {
                let base = n.clone();
                let mut k = 2;
                while types.contains_key(&n) {
                    n = format!("{base}{k}");
                    k += 1;
                }
                segs.push(format!("{{{n}}}"));
                types.insert(n, ty);
            }
            None => segs.push(seg.to_string()),
        }
    }
    (format!("/{}", segs.join("/")), types)
}

/// A cycle through `start` within `members`, as `start → ... → start`.
fn cycle_path<'a>(start: &'a str, down: &BTreeMap<&'a str, Vec<&'a str>>, members: &[&str]) -> Vec<&'a str> {
    // Breadth-first from start's successors back to start, inside the strongly connected members.
    let mut prev: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue: VecDeque<&str> = VecDeque::from([start]);
    while let Some(n) = queue.pop_front() {
        for next in down.get(n).into_iter().flatten().copied().filter(|x| members.contains(x)) {
            if next == start {
                let mut path = vec![start];
                let mut at = n;
                while at != start {
                    path.push(at);
                    at = prev[at];
                }
                path[1..].reverse();
                path.push(start);
                return path;
            }
            if !prev.contains_key(next) {
                prev.insert(next, n);
                queue.push_back(next);
            }
        }
    }
    vec![start, start]
}
