//! Completion in workflow files: keys (the workflow schema's tables), `service:` → the project's
//! services, `method:` → the verbs the service answers, `path:` → the service's routes (of the
//! task's method, or any with the `method:` line it needs), `params` / `query` / `json` keys → the
//! entry's parameters and its body struct's fields, task ids in `after` / `on_*`, and templates:
//! `{{ conf.` (the keys the workflow reads), `{{ tasks.` (the tasks running before), `.body.` (the
//! fields of the struct the called entry answers).

use std::path::Path;

use crate::checks::workflow::{not_before_advice, replaced_by, runs_before};
use crate::model::{Entry, HttpMethod, ParamSource, Service};
use crate::project::Project;
use crate::text::ByteRange;
use crate::workflow::model::{Task, Workflow};
use crate::workflow::parse::{read_workflow, ARG_KEYS, TASK_KEYS, TOP_KEYS};
use crate::workflow::target::target_entry;
use crate::workflow::template::{templates, Source, RESULT_FIELDS};

use super::super::structs;
use super::super::yaml_cursor::{cursor, Slot, YamlCursor};
use super::config::{key_item, value_item, written_keys};
use super::{bounded, Completion, CompletionKind, CompletionList, EntryRef};

/// What each task key holds, for the list.
fn task_key_doc(key: &str) -> (&'static str, bool) {
    match key {
        "service" => ("the tech service called", false),
        "method" => ("the HTTP method (default GET)", false),
        "path" => ("the entry's path; `{name}` segments are given in `params`", false),
        "params" => ("values of the path's `{name}` segments", true),
        "query" => ("query-string values", true),
        "headers" => ("headers sent with the call (not `Authorization`)", true),
        "json" => ("the request body", true),
        "async" => ("call with the async contract (the result comes through S3)", false),
        "after" => ("tasks that must succeed before this one", false),
        "on_success" => ("tasks run when the call answers 2xx", false),
        "on_failure" => ("tasks run when the call answers an error", false),
        "on_no_content" => ("tasks run when the call answers 204", false),
        "else" => ("tasks run instead of this one when its `when:` is false", false),
        "description" => ("what the task does", false),
        _ => ("", false),
    }
}

pub(super) fn complete(project: &Project, rel: &Path, text: &str, offset: usize) -> CompletionList {
    let (wf, _) = read_workflow(text, rel);
    let c = cursor(text, offset);
    if let Some(items) = template(project, &wf, &c, text, offset) {
        return items.into();
    }
    let path: Vec<&str> = c.path.iter().map(String::as_str).collect();
    let written = if c.slot == Slot::Key { written_keys(text, &c) } else { Vec::new() };
    let keys = |names: &[&str]| -> Vec<Completion> {
        names
            .iter()
            .filter(|k| !written.iter().any(|w| w == *k))
            .map(|k| {
                let (doc, block) = task_key_doc(k);
                key_item(&c, k, block || matches!(*k, "tasks" | "default_args"), doc, "")
            })
            .collect()
    };
    let task = path.get(1).and_then(|id| wf.task(id));
    // The service the task names, assembled only where the position needs it.
    let service = || task.and_then(|t| service_of(project, t));
    let items = match (path.as_slice(), &c.slot) {
        ([], Slot::Key) => keys(TOP_KEYS),
        (["default_args"], Slot::Key) => keys(ARG_KEYS),
        (["tasks", _], Slot::Key) => keys(TASK_KEYS),
        (["tasks", _, "service"], Slot::Value) => return service_items(project, &c),
        (["tasks", _, "method"], Slot::Value) => {
            let service = service();
            HttpMethod::ALL
                .iter()
                .filter(|m| service.as_ref().is_none_or(|s| s.entries.iter().any(|e| e.route.method == **m)))
                .map(|m| value_item(&c, CompletionKind::Method, m.as_str()))
                .collect()
        }
        (["tasks", _, "path"], Slot::Value) => match task.zip(service()) {
            Some((t, s)) => routes(&c, text, t, &s),
            None => Vec::new(),
        },
        (["tasks", _, "params"], Slot::Key) => task
            .and_then(|t| t.path.as_ref())
            .map(|p| {
                crate::workflow::target::segments(&p.value)
                    .into_iter()
                    .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                    .filter(|n| !n.starts_with('{') && !written.iter().any(|w| w == n))
                    .map(|n| key_item(&c, n, false, "a `{param}` of the path", ""))
                    .collect()
            })
            .unwrap_or_default(),
        (["tasks", _, "query"], Slot::Key) => match task.zip(service()).as_ref().and_then(target) {
            Some((_, e)) => e
                .params
                .iter()
                .filter(|p| p.source == ParamSource::Query && !written.contains(&p.name))
                .map(|p| {
                    let optional = p.ty.starts_with("Option<") || p.ty.starts_with("Vec<");
                    let what = if optional { "optional query parameter" } else { "query parameter" };
                    key_item(&c, &p.name, false, &format!("{what}: {}", p.ty), "")
                })
                .collect(),
            None => Vec::new(),
        },
        (["tasks", _, "json", fields @ ..], Slot::Key) => match task.zip(service()).as_ref().and_then(target)
        {
            Some((s, e)) => body_fields(project, &c, s, e, fields, &written),
            None => Vec::new(),
        },
        (
            ["tasks", id, "after" | "on_success" | "on_failure" | "on_no_content" | "else"],
            Slot::Item | Slot::Value,
        ) => wf
            .tasks
            .iter()
            .filter(|t| t.id != *id)
            .map(|t| {
                value_item(&c, CompletionKind::Task, &t.id).detail(task_detail(t)).docs(t.description.clone())
            })
            .collect(),
        (["on_failure"], Slot::Value) => wf
            .tasks
            .iter()
            .map(|t| {
                value_item(&c, CompletionKind::Task, &t.id).detail(task_detail(t)).docs(t.description.clone())
            })
            .collect(),
        (["tasks", _, "async"], Slot::Value) => {
            ["true", "false"].iter().map(|w| value_item(&c, CompletionKind::Value, w)).collect()
        }
        _ => Vec::new(),
    };
    items.into()
}

/// The services for a task's `service:`, from the project's index (nothing assembled): every one
/// in a project of at most [`LIST_LIMIT`], else those matching what is typed ([`bounded`]).
fn service_items(project: &Project, c: &YamlCursor) -> CompletionList {
    let (names, incomplete) = bounded(project.service_index().keys().map(String::as_str), &c.prefix);
    let items = names
        .into_iter()
        .filter_map(|name| project.service_summary(name))
        .map(|s| {
            value_item(c, CompletionKind::Service, s.name)
                .detail(format!("{} entries ({})", s.entries, s.crate_dir.display()))
                .docs(s.docs)
        })
        .collect();
    CompletionList { items, incomplete }
}

/// The service `task` names, with its entries (every stage).
fn service_of(project: &Project, task: &Task) -> Option<Service> {
    project.service(&task.service.as_ref()?.value, None)
}

/// The entry a task calls in the service it names (assembled by [`service_of`]).
fn target<'s>((task, service): &'s (&Task, Service)) -> Option<(&'s Service, &'s Entry)> {
    target_entry(task, std::slice::from_ref(service))
}

fn task_detail(t: &Task) -> String {
    match (&t.service, &t.path) {
        (Some(s), Some(p)) => format!("{} {} {}", s.value, t.method.value, p.value),
        _ => "task".into(),
    }
}

/// The routes of `service` for a task's `path:`: of the task's method when it writes one; any
/// otherwise, with the `method:` line a route other than GET needs.
fn routes(c: &YamlCursor, text: &str, task: &Task, service: &Service) -> Vec<Completion> {
    let method_written = task.method.span != task.id_span;
    let line_start = text[..c.range.start].rfind('\n').map_or(0, |i| i + 1);
    service
        .entries
        .iter()
        .filter(|e| !method_written || e.route.method == task.method.value)
        .map(|e| {
            let mut item = value_item(c, CompletionKind::Route, &e.route.path)
                .detail(format!("{} · {}", e.route, e.rust_name))
                .docs(e.docs.clone());
            if !method_written && e.route.method != HttpMethod::Get {
                let at = line_start + c.indent;
                let line = format!("method: {}\n{}", e.route.method, " ".repeat(c.indent));
                item.additional.push((ByteRange::new(at, at), line));
            }
            item.label = format!("{} {}", e.route.method, e.route.path);
            item.entry = Some(EntryRef { service: service.name.clone(), location: e.location.clone() });
            item.filter = Some(if c.quoted { format!("\"{}", e.route.path) } else { e.route.path.clone() });
            item
        })
        .collect()
}

/// The fields of the entry's body struct (or of the struct of the field at `fields` in it).
fn body_fields(
    project: &Project,
    c: &YamlCursor,
    service: &Service,
    e: &Entry,
    fields: &[&str],
    written: &[String],
) -> Vec<Completion> {
    let Some(mut name) = structs::body_struct(e) else { return Vec::new() };
    for f in fields {
        let found = structs::fields(project, &service.crate_dir, &name).unwrap_or_default();
        match found.iter().find(|x| x.name == *f).and_then(|x| structs::carried_struct(&x.ty)) {
            Some(inner) => name = inner,
            None => return Vec::new(),
        }
    }
    structs::fields(project, &service.crate_dir, &name)
        .unwrap_or_default()
        .iter()
        .filter(|f| !written.contains(&f.name))
        .map(|f| {
            let block = structs::carried_struct(&f.ty).is_some();
            key_item(c, &f.name, block, &format!("{name}.{}: {}", f.name, f.ty), &f.docs)
                .filter(f.name.clone())
        })
        .collect()
}

/// Completion inside a `{{ ... }}` being typed on the line, if the position is in one.
fn template(
    project: &Project,
    wf: &Workflow,
    c: &YamlCursor,
    text: &str,
    offset: usize,
) -> Option<Vec<Completion>> {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    let open = before.rfind("{{")?;
    if before[open..].contains("}}") {
        return None;
    }
    let expr = &before[open + 2..];
    let expr = expr.trim_start();
    let word_start = offset - expr.rsplit('.').next().unwrap_or("").len();
    let word_end = text[offset..]
        .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
        .map_or(text.len(), |i| offset + i);
    let range = ByteRange::new(word_start, word_end);
    let parts: Vec<&str> = expr.split('.').collect();
    let current = c.path.get(1).map(String::as_str).unwrap_or("");
    let item = |kind, label: &str| Completion::new(kind, range, label);
    let items = match parts.as_slice() {
        [_] => vec![
            item(CompletionKind::Key, "conf").insert("conf.").detail("a value of the run's conf"),
            item(CompletionKind::Key, "tasks")
                .insert("tasks.")
                .detail("the result of a task that ran before"),
        ],
        ["conf", ..] if parts.len() == 2 => {
            let mut keys: Vec<String> = wf
                .tasks
                .iter()
                .flat_map(|t| t.texts.iter())
                .flat_map(|t| templates(&t.value))
                .filter_map(|t| match t.source {
                    Ok(Source::Conf(path)) => path.first().cloned(),
                    _ => None,
                })
                .collect();
            keys.sort();
            keys.dedup();
            keys.iter().map(|k| item(CompletionKind::Key, k).detail("read by this workflow")).collect()
        }
        ["tasks", _] => {
            // CWS048's rule: what runs before, and its advice on what does not.
            let before = runs_before(wf);
            let before_this = before.get(current);
            wf.tasks
                .iter()
                .filter(|t| t.id != current)
                .map(|t| {
                    let runs_before = before_this.is_some_and(|b| b.contains(t.id.as_str()));
                    let detail = if runs_before {
                        task_detail(t)
                    } else {
                        let after = |r: &str| before.get(t.id.as_str()).is_some_and(|b| b.contains(r));
                        let replaced = replaced_by(wf, current, &t.id, after);
                        not_before_advice(current, &t.id, replaced)
                    };
                    let mut i = item(CompletionKind::Task, &t.id).detail(detail).docs(t.description.clone());
                    i.sort = Some(format!("{}{}", u8::from(!runs_before), t.id));
                    i
                })
                .collect()
        }
        ["tasks", _, _] => RESULT_FIELDS
            .iter()
            .map(|f| {
                let what = match *f {
                    "status" => "the HTTP status",
                    "headers" => "the answer's headers",
                    _ => "the answer's JSON body",
                };
                item(CompletionKind::Field, f).detail(what)
            })
            .collect(),
        ["tasks", id, "body", fields @ ..] => {
            let called = wf.task(id).and_then(|t| Some((t, service_of(project, t)?)));
            let Some((service, e)) = called.as_ref().and_then(target) else { return Some(Vec::new()) };
            let Some(mut name) = structs::answer_struct(project, e) else { return Some(Vec::new()) };
            for f in &fields[..fields.len().saturating_sub(1)] {
                let found = structs::fields(project, &service.crate_dir, &name).unwrap_or_default();
                match found.iter().find(|x| x.name == *f).and_then(|x| structs::carried_struct(&x.ty)) {
                    Some(inner) => name = inner,
                    None => return Some(Vec::new()),
                }
            }
            structs::fields(project, &service.crate_dir, &name)
                .unwrap_or_default()
                .iter()
                .map(|f| {
                    item(CompletionKind::Field, &f.name)
                        .detail(format!("{name}.{}: {}", f.name, f.ty))
                        .docs(f.docs.clone())
                })
                .collect()
        }
        _ => Vec::new(),
    };
    Some(items)
}
