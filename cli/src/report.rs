//! Human-readable listings: routes and deployed stages as aligned tables, diagnostics as rustc
//! shows them (source excerpt, carets, related places), the diagnostic codes for a terminal.

use std::path::Path;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use coworks_core::{Diagnostic, DiagnosticCode, Project, Service, Severity};

use crate::output::{self, escape, neutralize};

/// The routes of `services` as one table, one row an entry.
pub fn routes_table(services: &[Service], width: Option<u16>) -> String {
    if services.is_empty() {
        return "no microservices found (a microservice is an `impl` block marked `#[coworks::service]`)\n"
            .into();
    }
    let mut rows = Vec::new();
    for s in services {
        for e in &s.entries {
            let params: Vec<String> =
                e.params.iter().map(|p| format!("{}: {} ({})", p.name, p.ty, p.source)).collect();
            let auth = match e.auth {
                coworks_core::Auth::Token => "token",
                coworks_core::Auth::None => "none",
            };
            rows.push(vec![
                s.name.clone(),
                e.route.method.as_str().to_string(),
                e.route.path.clone(),
                if params.is_empty() { "-".to_string() } else { params.join(", ") },
                auth.to_string(),
                if e.stages.is_empty() { "all".to_string() } else { e.stages.join(", ") },
                // Whether the Rust method is `async fn` (not the asynchronous-call contract).
                if e.is_async { "async fn" } else { "fn" }.to_string(),
                format!(
                    "{}:{}:{}",
                    e.location.file.display(),
                    e.location.span.start.line + 1,
                    e.location.span.start.col + 1
                ),
            ]);
        }
    }
    output::table(
        &["service", "method", "path", "parameters", "auth", "stages", "rust", "source"],
        rows,
        width,
    )
}

/// One deployed service: its name, URL, function name and ARN.
pub struct DeployedService {
    /// The service.
    pub name: String,
    /// Its base URL (API Gateway's `execute-api` URL of the stage).
    pub url: String,
    /// Its URL under the stage's custom `domain` (`-` without one).
    pub custom_url: String,
    /// The Lambda function's name.
    pub function: String,
    /// The Lambda function's ARN.
    pub arn: String,
}

/// The deployed services of a stage as a table.
pub fn deployed_table(services: Vec<DeployedService>, width: Option<u16>) -> String {
    let rows = services.into_iter().map(|s| vec![s.name, s.url, s.custom_url, s.function, s.arn]).collect();
    output::table(&["service", "url", "custom url", "function", "arn"], rows, width)
}

/// Renders diagnostics as rustc does: the message with its code, then the source lines with carets,
/// then the related places; `colored` styles them. Files the project does not hold (a file that
/// could not be read) get the short form.
pub fn render_diagnostics(
    project: &Project,
    diags: &[Diagnostic],
    colored: bool,
    width: Option<u16>,
) -> String {
    let mut renderer = if colored { Renderer::styled() } else { Renderer::plain() };
    if let Some(w) = width {
        renderer = renderer.term_width(usize::from(w));
    }
    let mut out = String::new();
    for d in diags {
        let message = escape(&d.message);
        let path = escape_path(&d.file);
        let source = project.source(&d.file).map(|s| neutralize(s.text()));
        let title = level(d.severity).primary_title(message.as_ref()).id(d.code.as_str());
        let group = match &source {
            Some(text) => title.element(Snippet::source(text.as_ref()).path(path.as_str()).annotation(
                AnnotationKind::Primary.span(range(text, d.span.start.offset, d.span.end.offset)),
            )),
            None => {
                let at = format!("{path}:{}:{}", d.span.start.line + 1, d.span.start.col + 1);
                title.element(annotate_snippets::Origin::path(at))
            }
        };
        let related: Vec<(String, String, Option<String>)> = d
            .related
            .iter()
            .map(|r| {
                let text = project.source(&r.file).map(|s| neutralize(s.text()).into_owned());
                (escape(&r.message).into_owned(), escape_path(&r.file), text)
            })
            .collect();
        let mut notes = Vec::new();
        for ((message, rpath, text), r) in related.iter().zip(&d.related) {
            let note = Level::NOTE.secondary_title(message.as_str());
            notes.push(match text {
                Some(text) => Group::with_title(note).element(
                    Snippet::source(text.as_str()).path(rpath.as_str()).annotation(
                        AnnotationKind::Context.span(range(text, r.span.start.offset, r.span.end.offset)),
                    ),
                ),
                None => Group::with_title(note),
            });
        }
        // The ways out the core made (`fix:`), as in the short form.
        let fixes: Vec<String> = d
            .fixes
            .iter()
            .map(|f| format!("{}{}", escape(&f.title), if f.safe { " [cws check --fix]" } else { "" }))
            .collect();
        let mut report = vec![group];
        report.extend(notes);
        report.extend(fixes.iter().map(|f| Group::with_title(Level::HELP.secondary_title(f.as_str()))));
        out.push_str(&renderer.render(&report));
        out.push_str("\n\n");
    }
    out
}

/// A byte range inside `text`, on character boundaries (an empty span shows one caret).
fn range(text: &str, start: usize, end: usize) -> std::ops::Range<usize> {
    let start = floor_boundary(text, start.min(text.len()));
    let end = floor_boundary(text, end.clamp(start, text.len()));
    start..end
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn escape_path(p: &Path) -> String {
    escape(&p.display().to_string()).into_owned()
}

fn level(s: Severity) -> Level<'static> {
    match s {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
        Severity::Hint => Level::HELP,
    }
}

/// `cws check`'s last line: how many services, entries, errors and warnings.
pub fn check_summary(services: usize, entries: usize, errors: usize, warnings: usize) -> String {
    format!(
        "{services} service(s), {entries} entr{}: {errors} error(s), {warnings} warning(s)",
        if entries == 1 { "y" } else { "ies" }
    )
}

/// Every diagnostic code for a terminal: the code and its severity, then what it means and how to
/// fix it, wrapped to `width`.
pub fn explain_all(width: Option<u16>) -> String {
    let rows = DiagnosticCode::ALL
        .iter()
        .map(|c| vec![format!("{c}\n{}", c.severity()), format!("{}\nfix: {}", c.meaning(), c.fix())])
        .collect();
    output::table(&["code", "meaning and fix"], rows, width)
}

/// One code: what it means and how to fix it.
pub fn explain(c: DiagnosticCode) -> String {
    format!("{c} ({}): {}\nfix: {}\n", c.severity(), c.meaning(), c.fix())
}
