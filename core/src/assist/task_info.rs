//! What a workflow task calls, for hovers: the entry (signature, docs, route), and each value the
//! task gives with the type the entry expects or the template reads.

use std::path::Path;

use serde::Serialize;

use crate::model::{Entry, ParamSource};
use crate::project::Project;
use crate::text::Span;
use crate::workflow::model::Task;
use crate::workflow::target::target_entry;
use crate::workflow::template::{templates, Source};

use super::structs::{self, signature};

/// A value a task gives or reads, and its type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TypedValue {
    /// What it is: `params.id`, `{{ tasks.create_invoice.body.id }}` ...
    pub what: String,
    /// Its type, in words or Rust.
    pub ty: String,
}

/// A task and the entry it calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskInfo {
    /// The task's id.
    pub task: String,
    /// The task's span (what a hover covers).
    pub span: Span,
    /// The service called.
    pub service: String,
    /// The entry called.
    pub entry: Entry,
    /// The entry method's signature as written (`async fn get_invoice(&self, id: u64) -> ...`).
    pub signature: String,
    /// The parameters the task gives, with the entry's types.
    pub params: Vec<TypedValue>,
    /// The templates the task reads, with the type of what they read.
    pub templates: Vec<TypedValue>,
}

impl Project {
    /// The task at `offset` of the workflow file `rel` and the entry it calls.
    pub fn task_info(&self, rel: &Path, offset: usize) -> Option<TaskInfo> {
        let wf = self.workflow(rel)?;
        let task = wf.tasks.iter().find(|t| t.span.start.offset <= offset && offset <= t.span.end.offset)?;
        let services = self.services(None);
        let (service, entry) = target_entry(task, &services)?;
        let text = self.source(&entry.item.file)?.text();
        let start =
            text[..entry.location.span.start.offset].rfind("fn ").unwrap_or(entry.location.span.start.offset);
        let start = text[..start].rfind('\n').map_or(start, |i| i + 1);
        let sig = signature(text, entry.location.span.end.offset, entry.item.span.end.offset)?;
        let signature = format!("{}{sig}", &text[start..entry.location.span.end.offset]);
        let signature = signature.split_whitespace().collect::<Vec<_>>().join(" ");
        let params = given(task, entry);
        let templates = task
            .texts
            .iter()
            .flat_map(|t| templates(&t.value))
            .filter_map(|t| {
                Some(TypedValue {
                    what: format!("{{{{ {} }}}}", t.expr),
                    ty: self.template_type(wf, &services, t.source.ok()?),
                })
            })
            .collect();
        Some(TaskInfo {
            task: task.id.clone(),
            span: task.span,
            service: service.name.clone(),
            entry: entry.clone(),
            signature: signature.replace("( ", "(").replace(" )", ")").replace(", )", ")"),
            params,
            templates,
        })
    }

    fn template_type(
        &self,
        wf: &crate::workflow::Workflow,
        services: &[crate::model::Service],
        source: Source,
    ) -> String {
        match source {
            Source::Conf(_) => "a value of the run's conf (any JSON)".into(),
            Source::Item(_) => "an item of the task's `for_each` list (any JSON)".into(),
            Source::Task { task, path } => {
                let target = wf.task(&task).and_then(|t| target_entry(t, services));
                match path.first().map(String::as_str) {
                    Some("status") => "the HTTP status (integer)".into(),
                    Some("headers") => "the answer's headers (text by name)".into(),
                    _ => {
                        let Some((service, e)) = target else { return "the answer's JSON body".into() };
                        let Some(ret) = structs::return_type(self, e) else {
                            return "the answer's JSON body".into();
                        };
                        let mut ty = structs::carried_struct(&ret).unwrap_or(ret);
                        for field in &path[1..] {
                            let fields = structs::fields(self, &service.crate_dir, &ty).unwrap_or_default();
                            match fields.iter().find(|f| &f.name == field) {
                                Some(f) => {
                                    ty = structs::carried_struct(&f.ty).unwrap_or_else(|| f.ty.clone())
                                }
                                None => return format!("a field `{field}` of `{ty}`?"),
                            }
                        }
                        format!("`{ty}` (from `{}`)", e.rust_name)
                    }
                }
            }
        }
    }
}

/// The values the task gives, with the type the entry takes for each.
fn given(task: &Task, e: &Entry) -> Vec<TypedValue> {
    let ty = |name: &str, source: ParamSource| {
        e.params
            .iter()
            .find(|p| p.name == name && p.source == source)
            .map_or("not a parameter of the entry".to_string(), |p| format!("`{}`", p.ty))
    };
    let mut out: Vec<TypedValue> = task
        .params
        .iter()
        .map(|a| TypedValue {
            what: format!("params.{}", a.name.value),
            ty: ty(&a.name.value, ParamSource::Path),
        })
        .collect();
    out.extend(task.query.iter().map(|a| TypedValue {
        what: format!("query.{}", a.name.value),
        ty: ty(&a.name.value, ParamSource::Query),
    }));
    if task.json.is_some() {
        let body = e.params.iter().find(|p| p.source == ParamSource::Body);
        out.push(TypedValue {
            what: "json".into(),
            ty: body.map_or("the entry takes no body".into(), |p| format!("`{}`", p.ty)),
        });
    }
    out
}
