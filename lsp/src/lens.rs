//! Code lenses: above each microservice `impl` — `▶ Run`, `Debug` (clients that said
//! `initializationOptions.debugLens`), `Deploy (<stage>)`, `N routes`; above each entry —
//! `Invoke <METHOD> <path>` (for a blueprint's entry, one per service mounting it, with the
//! service's route: `Invoke GET /admin/status (catalog)`), and `used by N workflow tasks` when
//! tasks call it; at the top of a
//! workflow file — `▶ Run workflow` (`cws workflow run` in the stage). Each carries its resolved
//! command line (see [`commands`]), or for the references the locations to show; the counts,
//! routes, command lines and callers come from the core.

use std::path::Path;

use coworks_core::commands::Action;
use coworks_core::layout::is_workflow_path;
use coworks_core::text::Source;
use coworks_core::Project;
use tower_lsp_server::ls_types::{CodeLens, Command, Range, Uri};

use crate::commands::{self, Invocation};
use crate::navigation;
use crate::position::position_in;
use crate::state::State;

/// The lenses of one Rust or workflow file, for `stage` (with the `Debug` lens for clients that
/// start debug sessions).
pub fn lenses(project: &Project, rel: &Path, stage: &str, state: &State) -> Vec<CodeLens> {
    if is_workflow_path(rel) {
        return workflow_lenses(project, rel, stage);
    }
    let debug = state.debug_lens.load(std::sync::atomic::Ordering::SeqCst);
    let mut out = run_lenses(project, rel, stage, debug);
    out.extend(reference_lenses(project, rel, state));
    out
}

/// `▶ Run workflow` at the top of a workflow file (none when the core refuses the action).
fn workflow_lenses(project: &Project, rel: &Path, stage: &str) -> Vec<CodeLens> {
    let (Some(source), Some(file)) = (project.source(rel), rel.to_str()) else { return Vec::new() };
    let action = Action::Workflow { file: file.replace('\\', "/"), stage: stage.to_string() };
    match commands::invocation(project, action) {
        Ok(invocation) => vec![lens(lens_range(source, 0, 0), "▶ Run workflow".into(), &invocation)],
        Err(_) => Vec::new(),
    }
}

/// `used by N workflow tasks` above each entry some task calls: its command
/// (`coworks.showReferences`, run by the client) carries the document, the position and the tasks.
fn reference_lenses(project: &Project, rel: &Path, state: &State) -> Vec<CodeLens> {
    let (Some(model), Some(source), Some(uri)) =
        (project.file_model(rel), project.source(rel), state.uri_of_rel(rel))
    else {
        return Vec::new();
    };
    // Only the services whose entries the file holds: those of its `impl` blocks, and those
    // mounting its blueprints.
    let mounting = model.blueprints.iter().flat_map(|b| project.blueprint_mounts(&b.name, &model.crate_dir));
    let names = model.services.iter().map(|p| p.name.as_str()).chain(mounting.map(|(s, _)| s)).collect();
    let mut callers = project.entry_callers_of(&names);
    let mut out = Vec::new();
    for e in model.services.iter().chain(&model.blueprints).flat_map(|p| p.entries.iter()) {
        let Some(tasks) = callers.remove(&e.location) else { continue };
        let n = tasks.len();
        let title = format!("used by {n} workflow task{}", if n == 1 { "" } else { "s" });
        let range = lens_range(source, e.item.span.start.offset, e.location.span.end.offset);
        out.push(CodeLens {
            range,
            command: Some(show_references(
                title,
                &uri,
                source,
                e.location.span.start.offset,
                &navigation::locations(state, project, &tasks),
            )),
            data: None,
        });
    }
    out
}

/// The client-side command showing `locations` as the references of the position at `offset`.
fn show_references(
    title: String,
    uri: &Uri,
    source: &Source,
    offset: usize,
    locations: &[tower_lsp_server::ls_types::Location],
) -> Command {
    let position = position_in(source, offset);
    let args = [serde_json::json!(uri), serde_json::json!(position), serde_json::json!(locations)];
    Command { title, command: commands::SHOW_REFERENCES.to_string(), arguments: Some(args.to_vec()) }
}

/// The lenses running `cws` commands; `debug`: with the `Debug` lens.
fn run_lenses(project: &Project, rel: &Path, stage: &str, debug: bool) -> Vec<CodeLens> {
    let (Some(model), Some(source)) = (project.file_model(rel), project.source(rel)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut push = |range: Range, title: String, action: Action| {
        // An action the project refuses (e.g. an invalid service name) gets no lens.
        if let Ok(invocation) = commands::invocation(project, action) {
            out.push(lens(range, title, &invocation));
        }
    };
    for part in &model.blueprints {
        for (service, prefix) in project.blueprint_mounts(&part.name, &model.crate_dir) {
            for e in &part.entries {
                let route = coworks_core::naming::mount_route(prefix, &e.route);
                let entry_stage = if e.in_stage(Some(stage)) { stage } else { e.stages[0].as_str() };
                let mut title = format!("Invoke {route} ({service}");
                if entry_stage != stage {
                    title.push_str(&format!(", {entry_stage}"));
                }
                title.push(')');
                let range = lens_range(source, e.item.span.start.offset, e.location.span.end.offset);
                let action = Action::Invoke {
                    service: service.to_string(),
                    method: route.method,
                    path: route.path,
                    stage: entry_stage.to_string(),
                    query: Vec::new(),
                    json: None,
                };
                push(range, title, action);
            }
        }
    }
    for part in &model.services {
        let range = lens_range(source, part.item.span.start.offset, part.location.span.end.offset);
        let count = project.service(&part.name, Some(stage)).map_or(0, |s| s.entries.len());
        let (service, stage_name) = (part.name.clone(), stage.to_string());
        push(range, "▶ Run".into(), Action::Run { service: service.clone(), stage: stage_name.clone() });
        if debug {
            push(
                range,
                "Debug".into(),
                Action::Debug { service: service.clone(), stage: stage_name.clone() },
            );
        }
        push(range, format!("Deploy ({stage})"), Action::Deploy { service, stage: stage_name.clone() });
        let title = format!("{count} route{}", if count == 1 { "" } else { "s" });
        push(range, title, Action::Routes { stage: Some(stage_name) });
        for e in &part.entries {
            // An entry limited to other stages is invoked in its first stage.
            let entry_stage = if e.in_stage(Some(stage)) { stage } else { e.stages[0].as_str() };
            let mut title = format!("Invoke {}", e.route);
            if entry_stage != stage {
                title.push_str(&format!(" ({entry_stage})"));
            }
            let range = lens_range(source, e.item.span.start.offset, e.location.span.end.offset);
            let action = Action::Invoke {
                service: part.name.clone(),
                method: e.route.method,
                path: e.route.path.clone(),
                stage: entry_stage.to_string(),
                query: Vec::new(),
                json: None,
            };
            push(range, title, action);
        }
    }
    out
}

fn lens_range(source: &Source, start: usize, end: usize) -> Range {
    Range { start: position_in(source, start), end: position_in(source, end.max(start)) }
}

fn lens(range: Range, title: String, invocation: &Invocation) -> CodeLens {
    CodeLens { range, command: Some(commands::command(title, invocation)), data: None }
}
