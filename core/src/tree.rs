//! The project as a tree, for an editor's side view: stages → services → entries, and workflows →
//! tasks. The core decides what is in it — which nodes, their texts, where each opens and which
//! actions it offers (each an [`Action`], so its command line comes from [`crate::commands`]); a
//! face translates positions and command lines and draws it.
//!
//! | node | label | description | actions |
//! |---|---|---|---|
//! | stage | `dev` | `active`, `production` | check (short format: a task's problem matcher reads it) |
//! | service | `billing` | the function's memory and timeout in the stage | run, debug, deploy, build |
//! | entry | `GET /invoice/{id}` | auth, the stages it is limited to, `async fn` | invoke |
//! | workflows | `Workflows` | how many | — |
//! | workflow | its id | its file | — |
//! | task | its id | the call (`billing GET /invoice/{id}`) | — |
//!
//! Every node whose source is known carries its location (opened by the face's *Open*).

use std::collections::HashMap;

use serde::Serialize;

use crate::commands::Action;
use crate::model::{Auth, Entry, Location, Service};
use crate::project::Project;
use crate::settings::CliOptions;
use crate::text::Span;
use crate::workflow::{Task, Workflow};

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    /// A stage (a workspace of `project.cws.yml`).
    Stage,
    /// A service in a stage.
    Service,
    /// An entry of a service in a stage.
    Entry,
    /// The group of the project's workflows.
    Workflows,
    /// A workflow file.
    Workflow,
    /// A task of a workflow.
    Task,
}

/// An action a node offers: its title and the action (whose command line the core resolves).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeAction {
    /// What a face shows (`Run`, `Invoke`...).
    pub title: String,
    /// The action.
    pub action: Action,
}

/// One node of the tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TreeNode {
    /// What it stands for.
    pub kind: NodeKind,
    /// An identity that stays the same across refreshes while the thing it names does (a face
    /// keeps a node's expanded state by it); unique in the tree.
    pub id: String,
    /// The main text.
    pub label: String,
    /// The secondary text.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The text shown on hover.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tooltip: String,
    /// Where it is written (what *Open* opens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The stage it belongs to (stage, service and entry nodes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// The service it belongs to (service and entry nodes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Whether a face shows it expanded at first (the active stage).
    pub expanded: bool,
    /// What it offers, in order.
    pub actions: Vec<NodeAction>,
    /// Its children, in order.
    pub children: Vec<TreeNode>,
}

impl TreeNode {
    fn new(kind: NodeKind, id: String, label: String) -> Self {
        TreeNode {
            kind,
            id,
            label,
            description: String::new(),
            tooltip: String::new(),
            location: None,
            stage: None,
            service: None,
            expanded: false,
            actions: Vec::new(),
            children: Vec::new(),
        }
    }

    fn action(&mut self, title: &str, action: Action) {
        self.actions.push(NodeAction { title: title.to_string(), action });
    }
}

/// The tree of the project: a node per stage (in file order; `active` expanded), then a
/// `Workflows` node when the project has workflows. Empty without a `project.cws.yml` (not a
/// CoWorks project: a face shows how to make one).
pub fn project_tree(project: &Project, active: &str) -> Vec<TreeNode> {
    if project.config().is_none() {
        return Vec::new();
    }
    let mut nodes: Vec<TreeNode> =
        project.stages().iter().map(|s| stage_node(project, s, s == active)).collect();
    let workflows: Vec<&Workflow> = project.workflows().collect();
    if !workflows.is_empty() {
        nodes.push(workflows_node(project, &workflows));
    }
    let mut seen = HashMap::new();
    for n in &mut nodes {
        unique_ids(n, &mut seen);
    }
    nodes
}

fn stage_node(project: &Project, stage: &str, active: bool) -> TreeNode {
    let mut node = TreeNode::new(NodeKind::Stage, format!("stage:{stage}"), stage.to_string());
    let production = project.is_production(stage);
    let marks: Vec<&str> = [(active, "active"), (production, "production")]
        .into_iter()
        .filter_map(|(on, text)| on.then_some(text))
        .collect();
    node.description = marks.join(" · ");
    node.tooltip = format!(
        "Stage {stage}{}: its services and the entries they answer in it",
        if production { " (production: deploys ask first)" } else { "" }
    );
    node.stage = Some(stage.to_string());
    node.expanded = active;
    node.action("Check", Action::Check { stage: Some(stage.to_string()), short: true });
    node.children =
        project.services(Some(stage)).iter().map(|s| service_node(project, stage, &node.id, s)).collect();
    node
}

fn service_node(project: &Project, stage: &str, parent: &str, service: &Service) -> TreeNode {
    let name = &service.name;
    let mut node = TreeNode::new(NodeKind::Service, format!("{parent}/service:{name}"), name.clone());
    let f = project.function_settings(stage, name, &CliOptions::new());
    node.description = format!("{} MB · {} s", f.memory, f.timeout);
    let mut tooltip = format!(
        "Service {name} ({}) in stage {stage}: Lambda function of {} MB, {} s timeout, {}",
        service.crate_dir.display(),
        f.memory,
        f.timeout,
        f.architecture
    );
    if !service.docs.is_empty() {
        tooltip = format!("{}\n\n{tooltip}", service.docs);
    }
    node.tooltip = tooltip;
    node.location = service.locations.first().cloned();
    node.stage = Some(stage.to_string());
    node.service = Some(name.clone());
    let (service, stage) = (name.clone(), stage.to_string());
    node.action("Run", Action::Run { service: service.clone(), stage: stage.clone() });
    node.action("Debug", Action::Debug { service: service.clone(), stage: stage.clone() });
    node.action("Deploy", Action::Deploy { service: service.clone(), stage: stage.clone() });
    node.action("Build", Action::Build { service: service.clone(), stage: stage.clone() });
    let id = node.id.clone();
    node.children = project
        .service(&service, Some(&stage))
        .map(|s| s.entries.iter().map(|e| entry_node(&stage, &service, &id, e)).collect())
        .unwrap_or_default();
    node
}

fn entry_node(stage: &str, service: &str, parent: &str, e: &Entry) -> TreeNode {
    let route = e.route.to_string();
    let mut node = TreeNode::new(NodeKind::Entry, format!("{parent}/entry:{route}"), route.clone());
    let mut marks = vec![match e.auth {
        Auth::Token => "token".to_string(),
        Auth::None => "no auth".to_string(),
    }];
    if !e.stages.is_empty() {
        marks.push(format!("only {}", e.stages.join(", ")));
    }
    if e.is_async {
        marks.push("async fn".to_string());
    }
    node.description = marks.join(" · ");
    let params: Vec<String> =
        e.params.iter().map(|p| format!("{}: {} ({})", p.name, p.ty, p.source)).collect();
    node.tooltip = format!("{route} → {}::{}({})", service, e.rust_name, params.join(", "));
    if !e.docs.is_empty() {
        node.tooltip.push_str(&format!("\n\n{}", e.docs));
    }
    node.location = Some(e.location.clone());
    node.stage = Some(stage.to_string());
    node.service = Some(service.to_string());
    let invoke = Action::Invoke {
        service: service.to_string(),
        method: e.route.method,
        path: e.route.path.clone(),
        stage: stage.to_string(),
        query: Vec::new(),
        json: None,
    };
    node.action("Invoke", invoke);
    node
}

fn workflows_node(project: &Project, workflows: &[&Workflow]) -> TreeNode {
    let mut node = TreeNode::new(NodeKind::Workflows, "workflows".to_string(), "Workflows".to_string());
    node.description = format!("{}", workflows.len());
    node.tooltip = "The workflow files (workflows/*.cws.yml): their tasks call the services' entries".into();
    let services = project.services(None);
    node.children = workflows.iter().map(|w| workflow_node(w, &services)).collect();
    node
}

fn workflow_node(wf: &Workflow, services: &[Service]) -> TreeNode {
    let file = wf.file.display().to_string();
    let mut node = TreeNode::new(NodeKind::Workflow, format!("workflow:{file}"), wf.id.value.clone());
    node.description = file;
    node.tooltip = if wf.description.is_empty() { wf.id.value.clone() } else { wf.description.clone() };
    node.location = Some(at(wf, wf.id.span));
    let id = node.id.clone();
    node.children = wf.tasks.iter().map(|t| task_node(wf, &id, t, services)).collect();
    node
}

fn task_node(wf: &Workflow, parent: &str, t: &Task, services: &[Service]) -> TreeNode {
    let mut node = TreeNode::new(NodeKind::Task, format!("{parent}/task:{}", t.id), t.id.clone());
    let service = t.service.as_ref().map_or("?", |s| s.value.as_str());
    let path = t.path.as_ref().map_or("?", |p| p.value.as_str());
    node.description =
        format!("{service} {} {path}{}", t.method.value, if t.is_async { " (async)" } else { "" });
    let target = crate::workflow::target::target_entry(t, services)
        .map(|(s, e)| format!("calls {}::{} ({})", s.name, e.rust_name, e.route))
        .unwrap_or_else(|| "calls no known entry".to_string());
    node.tooltip = if t.description.is_empty() { target } else { format!("{}\n\n{target}", t.description) };
    node.location = Some(at(wf, t.id_span));
    node
}

fn at(wf: &Workflow, span: Span) -> Location {
    Location { file: wf.file.clone(), span }
}

/// Makes every id unique (a duplicate route, a workflow id twice): later ones get `#2`, `#3`...
fn unique_ids(node: &mut TreeNode, seen: &mut HashMap<String, usize>) {
    let n = seen.entry(node.id.clone()).or_insert(0);
    *n += 1;
    if *n > 1 {
        node.id = format!("{}#{n}", node.id);
    }
    for c in &mut node.children {
        unique_ids(c, seen);
    }
}
