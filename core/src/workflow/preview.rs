//! A workflow as a graph for the editor: Mermaid text and JSON nodes (with the entry each task
//! calls) and edges (with their kind).
//!
//! Serialised as `{file, id, mermaid, graph: {nodes: [{id, label, service, method, path, async,
//! route, rust_name, location, task_location}], edges: [{from, to, kind, label}]}}`: `location` is
//! the entry's (what a click on a task opens), `task_location` where the task is written.

use std::path::PathBuf;

use serde::Serialize;

use crate::model::{HttpMethod, Location, Service};

use super::model::{Edge, EdgeKind, Task, WaitCondition, WaitUntil, Workflow};
use super::target::target_entry;

/// One task as a node of the preview.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviewNode {
    /// The task id.
    pub id: String,
    /// What to show: the task id.
    pub label: String,
    /// The service called.
    pub service: Option<String>,
    /// The HTTP method.
    pub method: HttpMethod,
    /// The path as written in the workflow.
    pub path: Option<String>,
    /// Whether the call is asynchronous.
    #[serde(rename = "async")]
    pub is_async: bool,
    /// The route of the entry called (`GET /invoice/{id}`), when it exists.
    pub route: Option<String>,
    /// The Rust method of the entry called.
    pub rust_name: Option<String>,
    /// Where the entry's method is named (for go-to-definition), when it exists.
    pub location: Option<Location>,
    /// Where the task is written in the workflow file.
    pub task_location: Location,
    /// `python`: the function the task runs (`module.function`).
    pub python: Option<String>,
    /// `wait_until`, described (`until 200, body.state = "shipped", every 5 s for at most 300 s`).
    pub wait_until: Option<String>,
    /// `for_each`: the template of the list the task is mapped over.
    pub for_each: Option<String>,
    /// The task's condition (`when:`), as written on one line ([`describe_when`]).
    pub when: Option<String>,
    /// What the editor shows under the label besides the entry: the wait, the fan-out, the function,
    /// the condition.
    pub detail: Option<String>,
}

/// A `wait_until` as the preview describes it.
pub fn describe_wait(wait: &WaitUntil) -> String {
    let WaitCondition::Answer { status, field, equals } = &wait.condition;
    let mut parts = Vec::new();
    if status.is_empty() {
        parts.push("2xx".to_string());
    } else {
        parts.push(status.iter().map(u16::to_string).collect::<Vec<_>>().join("|"));
    }
    if let (Some(f), Some(v)) = (field, equals) {
        parts.push(format!("{} = {v}", f.value));
    }
    let deferred = if wait.deferrable { " (deferred)" } else { "" };
    format!("until {}, every {} s for at most {} s{deferred}", parts.join(", "), wait.interval, wait.timeout)
}

/// The condition of a task as the preview shows it: its `when:` text (see
/// [`condition`](super::condition)) on one line, runs of white space made one space.
pub fn describe_when(task: &Task) -> Option<String> {
    task.when.as_ref().map(|w| w.value.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The detail line of a task: its function, fan-out, wait and condition.
fn detail(t: &Task) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(p) = &t.python {
        parts.push(format!("python {}", p.value));
    }
    if let Some(f) = &t.for_each {
        parts.push(format!("for each {}", f.value));
    }
    if let Some(w) = &t.wait_until {
        parts.push(format!("wait {}", describe_wait(w)));
    }
    if let Some(c) = describe_when(t) {
        parts.push(format!("when {c}"));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// An edge of the preview.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviewEdge {
    /// The upstream task.
    pub from: String,
    /// The downstream task.
    pub to: String,
    /// Why `to` runs after `from`.
    pub kind: EdgeKind,
    /// The branch's name (`on_success` ...); none for `after`.
    pub label: Option<String>,
}

/// The graph of a workflow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkflowGraph {
    /// The tasks.
    pub nodes: Vec<PreviewNode>,
    /// The edges (only between tasks that exist).
    pub edges: Vec<PreviewEdge>,
}

/// A workflow previewed: what `coworks/workflowPreview` returns and `cws workflow preview` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkflowPreview {
    /// The workflow file.
    #[serde(serialize_with = "crate::text::lossy_path")]
    pub file: PathBuf,
    /// The workflow id.
    pub id: String,
    /// A Mermaid `flowchart` of the tasks and edges.
    pub mermaid: String,
    /// The tasks and edges.
    pub graph: WorkflowGraph,
    /// The last local run's task states ([`super::last_run`]), when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_run: Option<super::last_run::LastRun>,
}

/// The preview of `wf`, its tasks resolved against `services`.
pub fn preview(wf: &Workflow, services: &[Service]) -> WorkflowPreview {
    let nodes: Vec<PreviewNode> = wf
        .tasks
        .iter()
        .map(|t| {
            let target = target_entry(t, services);
            PreviewNode {
                id: t.id.clone(),
                label: t.id.clone(),
                service: t.service.as_ref().map(|s| s.value.clone()),
                method: t.method.value,
                path: t.path.as_ref().map(|p| p.value.clone()),
                is_async: t.is_async,
                route: target.map(|(_, e)| e.route.to_string()),
                rust_name: target.map(|(_, e)| e.rust_name.clone()),
                location: target.map(|(_, e)| e.location.clone()),
                task_location: Location { file: wf.file.clone(), span: t.span },
                python: t.python.as_ref().map(|p| p.value.clone()),
                wait_until: t.wait_until.as_ref().map(describe_wait),
                for_each: t.for_each.as_ref().map(|f| f.value.clone()),
                when: describe_when(t),
                detail: detail(t),
            }
        })
        .collect();
    let edges: Vec<PreviewEdge> = wf
        .edges()
        .into_iter()
        .filter(|e| wf.task(&e.from).is_some() && wf.task(&e.to).is_some())
        .map(|Edge { from, to, kind, .. }| PreviewEdge {
            from,
            to,
            kind,
            label: (kind != EdgeKind::After).then(|| kind.as_str().to_string()),
        })
        .collect();
    let mermaid = mermaid(&nodes, &edges);
    WorkflowPreview {
        file: wf.file.clone(),
        id: wf.id.value.clone(),
        mermaid,
        graph: WorkflowGraph { nodes, edges },
        last_run: None,
    }
}

/// Text safe inside a Mermaid `"..."` label.
fn label(s: &str) -> String {
    s.replace('&', "#amp;").replace('"', "#quot;").replace('<', "#lt;").replace('>', "#gt;")
}

fn mermaid(nodes: &[PreviewNode], edges: &[PreviewEdge]) -> String {
    let mut out = String::from("flowchart TD\n");
    for n in nodes {
        let call = format!(
            "{} {} {}",
            n.service.as_deref().unwrap_or("?"),
            n.method,
            n.path.as_deref().unwrap_or("?")
        );
        let mut text = label(&n.id);
        if n.python.is_none() {
            text.push_str(&format!("<br/>{}{}", label(&call), if n.is_async { " (async)" } else { "" }));
        }
        if let Some(d) = &n.detail {
            text.push_str(&format!("<br/>{}", label(d)));
        }
        // Async calls are parallelograms, waits stadiums, fan-outs subroutines, Python functions
        // hexagons; a call to no known entry is marked.
        let (open, close) = if n.python.is_some() {
            ("{{\"", "\"}}")
        } else if n.wait_until.is_some() {
            ("([\"", "\"])")
        } else if n.for_each.is_some() {
            ("[[\"", "\"]]")
        } else if n.is_async {
            ("[/\"", "\"/]")
        } else {
            ("[\"", "\"]")
        };
        out.push_str(&format!("    {}{open}{text}{close}\n", n.id));
        if n.location.is_none() && n.python.is_none() {
            out.push_str(&format!("    class {} unknown\n", n.id));
        }
    }
    for e in edges {
        match e.kind {
            EdgeKind::After => out.push_str(&format!("    {} --> {}\n", e.from, e.to)),
            // The task's condition chose the other way: a dotted edge.
            EdgeKind::Else => out.push_str(&format!("    {} -.->|else| {}\n", e.from, e.to)),
            kind => out.push_str(&format!("    {} -->|{}| {}\n", e.from, kind.as_str(), e.to)),
        }
    }
    if nodes.iter().any(|n| n.location.is_none() && n.python.is_none()) {
        out.push_str("    classDef unknown stroke:#d33,stroke-dasharray:4\n");
    }
    out
}
