//! Code lenses: above each microservice `impl` — `▶ Run`, `Deploy (<stage>)`, `N routes`; above
//! each entry — `Invoke <METHOD> <path>`. The counts and routes come from the core.

use std::path::Path;

use coworks_core::Project;
use ropey::Rope;
use tower_lsp_server::ls_types::{CodeLens, Range};

use crate::commands::{self, Args};
use crate::position::range_of;

/// The lenses of one Rust file, for `stage`.
pub fn lenses(project: &Project, rel: &Path, rope: &Rope, stage: &str) -> Vec<CodeLens> {
    let Some(model) = project.file_model(rel) else {
        return Vec::new();
    };
    let services = project.services(Some(stage));
    let mut out = Vec::new();
    for part in &model.services {
        let range = lens_range(rope, part.item.span.start.offset, part.location.span.end.offset);
        let count = services.iter().find(|s| s.name == part.name).map_or(0, |s| s.entries.len());
        let service_args = Args {
            service: Some(part.name.clone()),
            method: None,
            path: None,
            stage: Some(stage.to_string()),
            production: None,
        };
        out.push(lens(range, commands::command("▶ Run".into(), commands::RUN, &service_args)));
        let production = project.config().is_some_and(|c| c.is_production(stage));
        let deploy_args = Args { production: Some(production), ..service_args.clone() };
        out.push(lens(range, commands::command(format!("Deploy ({stage})"), commands::DEPLOY, &deploy_args)));
        let routes_args = Args {
            service: None,
            method: None,
            path: None,
            stage: Some(stage.to_string()),
            production: None,
        };
        let title = format!("{count} route{}", if count == 1 { "" } else { "s" });
        out.push(lens(range, commands::command(title, commands::ROUTES, &routes_args)));
        for e in &part.entries {
            // An entry limited to other stages is invoked in its first stage.
            let entry_stage = if e.in_stage(Some(stage)) { stage } else { e.stages[0].as_str() };
            let args = Args {
                service: Some(part.name.clone()),
                method: Some(e.route.method),
                path: Some(e.route.path.clone()),
                stage: Some(entry_stage.to_string()),
                production: None,
            };
            let mut title = format!("Invoke {}", e.route);
            if entry_stage != stage {
                title.push_str(&format!(" ({entry_stage})"));
            }
            let range = lens_range(rope, e.item.span.start.offset, e.location.span.end.offset);
            out.push(lens(range, commands::command(title, commands::INVOKE, &args)));
        }
    }
    out
}

fn lens_range(rope: &Rope, start: usize, end: usize) -> Range {
    range_of(rope, start, end)
}

fn lens(range: Range, command: tower_lsp_server::ls_types::Command) -> CodeLens {
    CodeLens { range, command: Some(command), data: None }
}
