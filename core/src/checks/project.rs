//! Project-wide checks: one service's route answered twice, service names taken twice, stages
//! and services named in code or `project.cws.yml` that do not exist, env files of a stage.

use std::collections::BTreeMap;
use std::path::Path;

use super::cache::Pass;
use super::ServiceScope;
use crate::diagnostics::{Diagnostic, DiagnosticCode};
use crate::layout::CONFIG_FILE;
use crate::model::{Entry, HttpMethod, Location};
use crate::project::Project;
use crate::suggest::did_you_mean;
use crate::text::Span;

pub(super) fn duplicate_routes(
    _project: &Project,
    scope: &ServiceScope<'_>,
    stage: Option<&str>,
    out: &mut Vec<Diagnostic>,
) {
    // service name → route shape → entries answering it
    let mut routes: BTreeMap<(&str, (HttpMethod, String)), Vec<&Entry>> = BTreeMap::new();
    for (_, part) in scope.parts() {
        for e in part.entries.iter().filter(|e| e.in_stage(stage)) {
            routes.entry((part.name.as_str(), e.route.shape())).or_default().push(e);
        }
    }
    for ((service, _), entries) in routes.iter().filter(|(_, es)| es.len() > 1) {
        for (i, e) in entries.iter().enumerate() {
            let others: Vec<&&Entry> = entries
                .iter()
                .enumerate()
                .filter(|(j, o)| *j != i && stages_overlap(&e.stages, &o.stages))
                .map(|(_, o)| o)
                .collect();
            if others.is_empty() {
                continue;
            }
            let names: Vec<String> = others.iter().map(|o| format!("`{}`", o.rust_name)).collect();
            let mut d = Diagnostic::new(
                DiagnosticCode::DuplicateRoute,
                &e.location.file,
                e.location.span,
                format!("`{}` of service `{service}` is also answered by {}", e.route, names.join(", ")),
            );
            for o in others {
                d = d.with_related(
                    &o.location.file,
                    o.location.span,
                    format!("`{}` answers `{}` too", o.rust_name, o.route),
                );
            }
            out.push(d);
        }
    }
}

pub(super) fn service_name_clashes(scope: &ServiceScope<'_>, out: &mut Vec<Diagnostic>) {
    let mut first: BTreeMap<&str, (&str, &Path, &Location)> = BTreeMap::new();
    for (model, part) in scope.parts() {
        {
            match first.get(part.name.as_str()) {
                None => {
                    first.insert(&part.name, (&part.type_name, &model.crate_dir, &part.location));
                }
                Some((ty, krate, loc)) if *ty != part.type_name || *krate != model.crate_dir => {
                    out.push(
                        Diagnostic::new(
                            DiagnosticCode::ServiceNameClash,
                            &part.location.file,
                            part.location.span,
                            format!(
                                "service name `{}` is taken by type `{ty}`; give one of them `#[service(name = \"...\")]`",
                                part.name
                            ),
                        )
                        .with_related(&loc.file, loc.span, format!("`{ty}` is service `{}`", part.name)),
                    );
                }
                Some(_) => {}
            }
        }
    }
}

/// Stages named in `#[entry(stage = ..)]` that are not workspaces of the project.
pub(super) fn unknown_stages(scope: &ServiceScope<'_>, pass: &Pass, out: &mut Vec<Diagnostic>) {
    let stages = &pass.stages;
    for (model, part) in scope.parts() {
        {
            for (e, spans) in part.entries.iter().zip(&part.stage_spans) {
                for (s, span) in e.stages.iter().zip(spans) {
                    if !stages.contains(s) {
                        out.push(Diagnostic::new(
                            DiagnosticCode::UnknownStage,
                            &model.file,
                            *span,
                            format!(
                                "stage `{s}` of `{}` is not a workspace of {CONFIG_FILE} (stages: {})",
                                e.rust_name,
                                stages.join(", ")
                            ),
                        ));
                    }
                }
            }
        }
    }
}

/// The project file's checks: no project file, services configured but not defined, the env
/// files of the stages checked.
pub(super) fn stage_checks(project: &Project, pass: &Pass, out: &mut Vec<Diagnostic>) {
    let Some(config) = project.config() else {
        out.push(Diagnostic::new(
            DiagnosticCode::NoConfig,
            CONFIG_FILE,
            Span::default(),
            format!("no {CONFIG_FILE} in the project root: using defaults (stage `dev`)"),
        ));
        return;
    };
    for (name, span) in config.configured_services() {
        if !project.has_service(&name) {
            let hint = did_you_mean(&name, project.service_names().iter().copied());
            out.push(Diagnostic::new(
                DiagnosticCode::UnknownService,
                CONFIG_FILE,
                span,
                format!("service `{name}` is configured but no Rust source defines it{hint}"),
            ));
        }
    }
    for s in &pass.checked {
        out.extend(s.env.problems.iter().cloned());
    }
}

fn stages_overlap(a: &[String], b: &[String]) -> bool {
    a.is_empty() || b.is_empty() || a.iter().any(|s| b.contains(s))
}
