//! `coworks/projectTree`: the core's tree of the project ([`coworks_core::tree`]) with its positions
//! and command lines translated — each location an LSP location, each action the invocation a lens
//! would carry (so a client runs it as it runs a lens, and builds no command line).

use coworks_core::commands::Action;
use coworks_core::tree::{project_tree, TreeNode};
use coworks_core::Project;
use serde_json::{json, Value};

use crate::commands;
use crate::server::Backend;
use crate::state::State;

/// The answer of `coworks/projectTree`: `{"root", "active", "nodes": [node...], "deployed":
/// invocation}`, a node being `{"kind", "id", "label", "description"?, "tooltip"?, "location"?:
/// {"uri", "range"}, "stage"?, "service"?, "expanded", "actions": [{"title", "command",
/// "invocation"}], "children": [node...]}`. `deployed` is the invocation of `cws deployed --json`,
/// which a client may run (off the view's path) to show the deployed URLs.
pub fn answer(project: &Project, state: &State) -> Value {
    let active = state.stage(project);
    let nodes: Vec<Value> = project_tree(project, &active).iter().map(|n| node(project, state, n)).collect();
    json!({
        "root": project.root().display().to_string(),
        "active": active,
        "nodes": nodes,
        "deployed": commands::invocation(project, Action::Deployed { stage: None }).ok(),
    })
}

fn node(project: &Project, state: &State, n: &TreeNode) -> Value {
    // An action the project refuses (an invalid service name) is left out, as its lens is.
    let actions: Vec<Value> = n
        .actions
        .iter()
        .filter_map(|a| {
            let invocation = commands::invocation(project, a.action.clone()).ok()?;
            Some(json!({
                "title": a.title,
                "command": commands::command_id(&a.action),
                "invocation": invocation,
            }))
        })
        .collect();
    let location = n.location.as_ref().and_then(|l| Backend::lsp_location(state, project, l));
    let children: Vec<Value> = n.children.iter().map(|c| node(project, state, c)).collect();
    let mut v = json!({
        "kind": n.kind,
        "id": n.id,
        "label": n.label,
        "expanded": n.expanded,
        "actions": actions,
        "children": children,
    });
    let fields = [
        ("description", (!n.description.is_empty()).then(|| json!(n.description))),
        ("tooltip", (!n.tooltip.is_empty()).then(|| json!(n.tooltip))),
        ("location", location.map(|l| json!(l))),
        ("stage", n.stage.as_ref().map(|s| json!(s))),
        ("service", n.service.as_ref().map(|s| json!(s))),
    ];
    for (key, value) in fields {
        if let (Some(value), Some(map)) = (value, v.as_object_mut()) {
            map.insert(key.to_string(), value);
        }
    }
    v
}
