//! Project-wide checks: one service's route answered twice, service names taken twice, stages
//! and services named in code or `project.cws.yml` that do not exist, env files and the DAGs
//! directory of a stage.

use std::collections::BTreeMap;
use std::path::Path;

use super::cache::Pass;
use super::ServiceScope;
use crate::config::edit::add_workspace;
use crate::diagnostics::{Diagnostic, DiagnosticCode, Edit, Fix};
use crate::layout::CONFIG_FILE;
use crate::model::{Entry, HttpMethod, Location};
use crate::project::Project;
use crate::rust_source::attr_edit::{entry_path_edit, string_literal};
use crate::suggest::{closest, did_you_mean};
use crate::text::{ByteRange, Span};

/// The byte range of a span.
fn bytes(span: Span) -> ByteRange {
    ByteRange::new(span.start.offset, span.end.offset)
}

/// A route with its parameter names erased ([`crate::model::Route::shape`]).
type Shape = (HttpMethod, String);

pub(super) fn duplicate_routes(
    project: &Project,
    scope: &ServiceScope<'_>,
    stage: Option<&str>,
    out: &mut Vec<Diagnostic>,
) {
    // The entries of the blueprints the service mounts, their routes prefixed (no fix is offered
    // on them: a path written in the blueprint changes every service mounting it).
    let mounted: Vec<(&str, Entry)> = scope
        .parts()
        .flat_map(|(model, part)| {
            project.mounted_entries(model, part, stage).map(move |(e, _)| (part.name.as_str(), e))
        })
        .collect();
    // service name → route shape → entries answering it (and whether from a blueprint)
    let mut routes: BTreeMap<(&str, Shape), Vec<(&Entry, bool)>> = BTreeMap::new();
    for (_, part) in scope.parts() {
        for e in part.entries.iter().filter(|e| e.in_stage(stage)) {
            routes.entry((part.name.as_str(), e.route.shape())).or_default().push((e, false));
        }
    }
    for (service, e) in &mounted {
        routes.entry((service, e.route.shape())).or_default().push((e, true));
    }
    let taken: Vec<(&str, Shape)> = routes.keys().cloned().collect();
    for ((service, _), entries) in routes.iter().filter(|(_, es)| es.len() > 1) {
        for (i, &(e, from_blueprint)) in entries.iter().enumerate() {
            let others: Vec<&Entry> = entries
                .iter()
                .enumerate()
                .filter(|(j, (o, _))| *j != i && stages_overlap(&e.stages, &o.stages))
                .map(|(_, (o, _))| *o)
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
            let free = |path: &str| {
                let shape = (e.route.method, crate::model::erase_params(path));
                !taken.iter().any(|(s, t)| s == service && *t == shape)
            };
            let fix = if from_blueprint { None } else { explicit_path_fix(project, e, free) };
            out.push(d.with_fixes(fix));
        }
    }
}

/// Blueprints a service mounts that its crate does not define (`CWS070`).
pub(super) fn unknown_blueprints(project: &Project, scope: &ServiceScope<'_>, out: &mut Vec<Diagnostic>) {
    for (model, part) in scope.parts() {
        for m in &part.mounts {
            if project.blueprint_parts(&m.blueprint, &model.crate_dir).next().is_some() {
                continue;
            }
            let in_crate: Vec<&str> = project
                .blueprint_names()
                .into_iter()
                .filter(|n| project.blueprint_parts(n, &model.crate_dir).next().is_some())
                .collect();
            // Type names: compared without case, as `closest` reads the word.
            let lower: Vec<String> = in_crate.iter().map(|n| n.to_lowercase()).collect();
            let near = closest(&m.blueprint, lower.iter().map(String::as_str))
                .and_then(|l| lower.iter().position(|x| x == l))
                .map(|i| in_crate[i]);
            let hint = near.map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
            let elsewhere = if project.blueprint_files(&m.blueprint).is_empty() {
                String::new()
            } else {
                " (a blueprint of another crate is not mounted: blueprints are resolved in the service's crate)"
                    .to_string()
            };
            let loc = &m.name_location;
            let fix = near.map(|near| Fix::replace(&loc.file, bytes(loc.span), &m.blueprint, near, true));
            out.push(
                Diagnostic::new(
                    DiagnosticCode::UnknownBlueprint,
                    &loc.file,
                    loc.span,
                    format!(
                        "service `{}` mounts blueprint `{}`, but no `#[coworks::blueprint] impl {}` is in its crate{elsewhere}{hint}",
                        part.name, m.blueprint, m.blueprint
                    ),
                )
                .with_fixes(fix),
            );
        }
    }
}

pub(super) fn service_name_clashes(scope: &ServiceScope<'_>, out: &mut Vec<Diagnostic>) {
    let mut first: BTreeMap<&str, (&str, &Path, &Location)> = BTreeMap::new();
    for (model, part) in scope.parts() {
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

/// Stages named in `#[entry(stage = ..)]` that are not workspaces of the project.
pub(super) fn unknown_stages(
    project: &Project,
    scope: &ServiceScope<'_>,
    pass: &Pass,
    out: &mut Vec<Diagnostic>,
) {
    let stages = &pass.stages;
    for (model, part) in scope.parts() {
        for (e, spans) in part.entries.iter().zip(&part.stage_spans) {
            for (s, span) in e.stages.iter().zip(spans) {
                if !stages.contains(s) {
                    let d = Diagnostic::new(
                        DiagnosticCode::UnknownStage,
                        &model.file,
                        *span,
                        format!(
                            "stage `{s}` of `{}` is not a workspace of {CONFIG_FILE} (stages: {})",
                            e.rust_name,
                            stages.join(", ")
                        ),
                    );
                    out.push(d.with_fixes(unknown_stage_fixes(project, &model.file, *span, s, stages)));
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
            let names = project.service_names();
            let hint = did_you_mean(&name, names.iter().copied());
            let fix = closest(&name, names.iter().copied())
                .map(|near| Fix::replace(CONFIG_FILE, bytes(span), &name, near, true));
            out.push(
                Diagnostic::new(
                    DiagnosticCode::UnknownService,
                    CONFIG_FILE,
                    span,
                    format!("service `{name}` is configured but no Rust source defines it{hint}"),
                )
                .with_fixes(fix),
            );
        }
    }
    for s in &pass.checked {
        out.extend(s.env.problems.iter().cloned());
        out.extend(project.dags_dir(&s.name, None).err());
    }
}

/// The ways out of an entry limited to an unknown stage: the closest stage (when one is close), or
/// the stage added to `project.cws.yml`.
fn unknown_stage_fixes(
    project: &Project,
    file: &std::path::Path,
    span: Span,
    stage: &str,
    stages: &[String],
) -> Vec<Fix> {
    let mut out = Vec::new();
    if let Some(near) = closest(stage, stages.iter().map(String::as_str)) {
        let title = format!("Replace `{stage}` with `{near}`");
        out.push(Fix::safe(title, vec![Edit::new(file, bytes(span), string_literal(near))]));
    }
    let valid = !stage.is_empty() && stage.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if let (true, Some(config), Some(source)) =
        (valid, project.config(), project.source(std::path::Path::new(CONFIG_FILE)))
    {
        let title = format!("Add the stage `{stage}` to {CONFIG_FILE}");
        out.push(Fix::offered(title, vec![add_workspace(source.text(), config, stage)]));
    }
    out
}

/// The way out of a duplicate route the naming rule offers: an explicit `path = "..."` on `e`, one
/// no entry of the service answers yet (the last word of the path numbered: `/invoice-2/{id}`).
fn explicit_path_fix(project: &Project, e: &Entry, free: impl Fn(&str) -> bool) -> Option<Fix> {
    let segments: Vec<&str> = e.route.path.split('/').collect();
    let last_word = segments.iter().rposition(|s| !s.is_empty() && !s.starts_with('{'));
    let path = (2..100).map(|n| {
        let mut segs: Vec<String> = segments.iter().map(|s| s.to_string()).collect();
        match last_word {
            Some(i) => segs[i] = format!("{}-{n}", segments[i]),
            None => segs.push(format!("{}-{n}", e.rust_name.trim_matches('_'))),
        }
        let p = segs.join("/");
        if p.starts_with("//") {
            p[1..].to_string()
        } else {
            p
        }
    });
    let path = path.into_iter().find(|p| free(p))?;
    let text = project.source(&e.item.file)?.text();
    let edit = entry_path_edit(text, e, &path)?;
    let title = format!("Give `{}` the explicit path `{path}`", e.rust_name);
    Some(Fix::offered(title, vec![edit]))
}

fn stages_overlap(a: &[String], b: &[String]) -> bool {
    a.is_empty() || b.is_empty() || a.iter().any(|s| b.contains(s))
}
