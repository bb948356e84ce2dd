//! The checks of a workflow against the types of the entries it calls ([`crate::types`], the
//! resolution `cws openapi` publishes): the fields templates and `when:` conditions read in a task's
//! answer (`tasks.x.body.field`), the `json` body against the entry's `#[body]` type, and the
//! types a condition compares. A type CoWorks does not know is not checked.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::Validator;
use crate::diagnostics::{DiagnosticCode, Fix};
use crate::suggest;
use crate::text::{ByteRange, Span, Spanned};
use crate::types::{self, EntryTypes, Field};
use crate::workflow::condition::{self, CmpOp, Expr};
use crate::workflow::model::Task;
use crate::workflow::parse::sub_span;
use crate::workflow::target::target_entry;
use crate::workflow::template::Source;

/// A read of a task's result (`tasks.<other>.<path>`) written in `holder` at byte `at` of its
/// text, described as `what` in messages.
pub(super) struct Read<'r> {
    pub holder: &'r Spanned<String>,
    pub at: usize,
    pub expr: &'r str,
    pub what: String,
    pub other: &'r str,
    pub path: &'r [String],
}

/// The JSON kinds a schema admits, as the condition checks compare them.
type Kinds = Vec<&'static str>;

impl Validator<'_> {
    /// The types of the entry task `id` calls (`None`: no such task or entry, a `python` task, or a
    /// task mapped over `for_each`, whose body is the list of its items' answers), read once per
    /// task. The entry's route and name are given with them, for messages.
    fn types_of(&mut self, id: &str) -> Option<(EntryTypes, String)> {
        if let Some(found) = self.types.get(id) {
            return found.clone();
        }
        let target =
            self.wf.task(id).filter(|t| !t.is_mapped()).and_then(|t| target_entry(t, self.cx.services));
        let found = target.map(|(service, entry)| {
            let t = types::entry_types(self.cx.project, &service.crate_dir, entry);
            self.read.extend(t.read.iter().map(|n| (service.crate_dir.clone(), n.clone())));
            (t, format!("`{}`, `{}`", entry.route, entry.rust_name))
        });
        self.types.insert(id.to_string(), found.clone());
        found
    }

    /// Checks the fields a read takes from the answer of its task, reporting the first it lacks at
    /// the field's own place; the schema of what it reads, when known.
    pub(super) fn typed_read(&mut self, r: &Read<'_>) -> Option<(Value, BTreeMap<String, Value>)> {
        let (head, rest) = r.path.split_first()?;
        match head.as_str() {
            "status" if rest.is_empty() => return Some((json!({ "type": "integer" }), BTreeMap::new())),
            "body" => {}
            _ => return None,
        }
        let (types, route) = self.types_of(r.other)?;
        let mut schema = types.answer?;
        // Where each segment of the expression starts: `tasks`, the id, `body`, then the fields.
        let mut starts = Vec::new();
        let mut offset = 0;
        for seg in r.expr.split('.') {
            starts.push(offset);
            offset += seg.len() + 1;
        }
        for (i, name) in rest.iter().enumerate() {
            let place = r.path[..=i].join(".");
            let problem = match types::field(&schema, &types.components, name) {
                Field::Found(s) => {
                    schema = s;
                    continue;
                }
                Field::Unknown => return None,
                Field::Missing(names) => {
                    let hint = suggest::did_you_mean(name, names.iter().map(String::as_str));
                    let list = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
                    let has =
                        if names.is_empty() { "no fields".to_string() } else { format!("fields {list}") };
                    (format!("has no field `{name}` (it has {has}){hint}"), names)
                }
                Field::NotObject(kind) => (format!("is {kind}: it has no field `{name}`"), Vec::new()),
            };
            let start = r.at + starts.get(3 + i).copied().unwrap_or(0);
            let span = sub_span(r.holder, start, start + name.len());
            let msg = format!("{}: `{place}` of task `{}`'s answer ({route}) {}", r.what, r.other, problem.0);
            let fix = self.field_fix(span, name, problem.1.iter().map(String::as_str));
            self.push(DiagnosticCode::WorkflowUnknownField, span, msg).add_fixes(fix);
            return None;
        }
        Some((schema, types.components))
    }

    /// "Replace `amount` with `amount_cents`" for a field name written exactly at `span`.
    fn field_fix<'c>(&self, span: Span, name: &str, names: impl IntoIterator<Item = &'c str>) -> Option<Fix> {
        let near = suggest::closest(name, names)?;
        (self.written(span)? == name).then_some(())?;
        let range = ByteRange::new(span.start.offset, span.end.offset);
        Some(Fix::replace(&self.wf.file, range, name, near, true))
    }

    /// Checks a task's `when:` condition: the tasks it reads (known, upstream), the fields it reads
    /// in their answers, and the types it compares.
    pub(super) fn condition(&mut self, task: &Task, ancestors: Option<&BTreeSet<&str>>) {
        let Some(when) = &task.when else { return };
        let Ok(expr) = condition::parse(&when.value) else { return };
        let mut kinds: BTreeMap<(usize, usize), Kinds> = BTreeMap::new();
        for p in expr.paths() {
            let Expr::Path { text, source: Source::Task { task: other, path }, range } = p else { continue };
            let span = sub_span(when, range.start, range.end);
            if !self.task_read(task, ancestors, span, &format!("`when: {}` reads", when.value), other) {
                continue;
            }
            let read =
                Read { holder: when, at: range.start, expr: text, what: format!("`{text}`"), other, path };
            if let Some((schema, components)) = self.typed_read(&read) {
                if let Some(k) = types::kinds(&schema, &components) {
                    kinds.insert((range.start, range.end), k);
                }
            }
        }
        let kinds_of = |e: &Expr| -> Option<Kinds> {
            match e {
                Expr::Path { range, .. } => kinds.get(&(range.start, range.end)).cloned(),
                Expr::Literal { value, .. } => Some(vec![condition::kind(value)]),
                _ => Some(vec!["boolean"]),
            }
        };
        let mut problems = Vec::new();
        expr.walk(&mut |e| {
            let Expr::Cmp { op, left, right, range } = e else { return };
            let (Some(l), Some(r)) = (kinds_of(left), kinds_of(right)) else { return };
            let problem = match op {
                CmpOp::Eq | CmpOp::Ne if !l.iter().any(|k| r.contains(k)) => Some(format!(
                    "`{}` compares {} with {}: never equal",
                    op.as_str(),
                    l.join(" or "),
                    r.join(" or ")
                )),
                CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => {
                    let both = ["number", "string"].iter().any(|k| l.contains(k) && r.contains(k));
                    (!both).then(|| {
                        format!(
                            "`{}` orders {} and {}: only two numbers or two texts can be ordered (the task fails)",
                            op.as_str(),
                            l.join(" or "),
                            r.join(" or ")
                        )
                    })
                }
                CmpOp::In | CmpOp::NotIn => match right.as_ref() {
                    Expr::Literal { value: Value::Array(items), .. } => items
                        .iter()
                        .find(|i| !l.contains(&condition::kind(i)))
                        .map(|i| format!("`{}` looks for {} in a list holding {i}: never found", op.as_str(), l.join(" or "))),
                    _ if !r.contains(&"array") => {
                        Some(format!("`{}` needs a list on its right, not {} (the task fails)", op.as_str(), r.join(" or ")))
                    }
                    _ => None,
                },
                _ => None,
            };
            if let Some(p) = problem {
                problems.push((sub_span(when, range.start, range.end), p));
            }
        });
        for (span, p) in problems {
            let msg = format!("`when: {}`: {p}", when.value);
            self.push(DiagnosticCode::WorkflowConditionType, span, msg);
        }
    }

    /// Checks a task's `json` body against the entry's `#[body]` type: fields it does not have,
    /// fields it requires and the body lacks (at every level the type is known).
    pub(super) fn body_fields(&mut self, task: &Task) {
        let Some(json) = &task.json else { return };
        let Some((types, _)) = self.types_of(&task.id) else { return };
        let Some(schema) = &types.body else { return };
        let mut todo: Vec<(Vec<String>, &Value, Value)> = vec![(Vec::new(), &json.value, schema.clone())];
        while let Some((path, value, schema)) = todo.pop() {
            let place = |p: &[String]| {
                task.json_places.iter().find(|(q, _)| q.as_slice() == p).map(|(_, s)| *s).unwrap_or(json.span)
            };
            let at = if path.is_empty() {
                "the `json` body".to_string()
            } else {
                format!("`{}` in the `json` body", path.join("."))
            };
            match value {
                Value::Object(map) => {
                    if let Some((required, names)) = types::object_fields(&schema, &types.components) {
                        for key in map.keys().filter(|k| !names.contains(k)) {
                            let mut p = path.clone();
                            p.push(key.clone());
                            let span = place(&p);
                            let hint = suggest::did_you_mean(key, names.iter().map(String::as_str));
                            let list = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
                            let msg = format!(
                                "task `{}`: {at} gives `{key}`, which the entry's body type does not have (it has {list}){hint}",
                                task.id
                            );
                            let fix = self.field_fix(span, key, names.iter().map(String::as_str));
                            self.push(DiagnosticCode::WorkflowBodyUnknownField, span, msg).add_fixes(fix);
                        }
                        let missing: Vec<&String> =
                            required.iter().filter(|r| !map.contains_key(*r)).collect();
                        if !missing.is_empty() {
                            let list =
                                missing.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
                            let msg = format!(
                                "task `{}`: {at} lacks {list}, which the entry's body type requires (the service answers 422)",
                                task.id
                            );
                            let span = place(&path);
                            self.push(DiagnosticCode::WorkflowBodyMissingField, span, msg);
                        }
                    }
                    for (key, v) in map {
                        if let Field::Found(s) = types::field(&schema, &types.components, key) {
                            let mut p = path.clone();
                            p.push(key.clone());
                            todo.push((p, v, s));
                        }
                    }
                }
                Value::Array(items) => {
                    for (i, v) in items.iter().enumerate() {
                        if let Field::Found(s) = types::field(&schema, &types.components, &i.to_string()) {
                            let mut p = path.clone();
                            p.push(i.to_string());
                            todo.push((p, v, s));
                        }
                    }
                }
                _ => {}
            }
        }
    }
}
