//! Hover: on an entry, its method, route, parameters (source and type), auth, stages and docs (on a
//! blueprint's entry, also the routes each service mounting it serves it at); on a
//! `project.cws.yml` key, what it means and its effective value per stage.

use coworks_core::assist::task_info::TaskInfo;
use coworks_core::config::{describe_key, Origin};
use coworks_core::model::Route;
use coworks_core::settings::CliOptions;
use coworks_core::text::Span;
use coworks_core::{Auth, Entry, Project};

/// Markdown describing an entry of `service`.
pub fn entry_markdown(service: &str, e: &Entry) -> String {
    let head = format!("**`{}`** — entry `{}` of service `{service}`\n\n", e.route, e.rust_name);
    entry_details(head, e)
}

/// Markdown describing an entry of `blueprint`, with the routes the services mounting it serve.
pub fn blueprint_entry_markdown(blueprint: &str, e: &Entry, served: &[(&str, Route)]) -> String {
    let mut head = format!("**`{}`** — entry `{}` of blueprint `{blueprint}`\n\n", e.route, e.rust_name);
    if served.is_empty() {
        head.push_str("No service mounts it.\n\n");
    }
    for (service, route) in served {
        head.push_str(&format!("- served as `{route}` by `{service}`\n"));
    }
    if !served.is_empty() {
        head.push('\n');
    }
    entry_details(head, e)
}

/// `md` followed by an entry's parameters, auth, stages and docs.
fn entry_details(mut md: String, e: &Entry) -> String {
    if e.params.is_empty() {
        md.push_str("No parameters.\n\n");
    } else {
        md.push_str("| parameter | from | type |\n|---|---|---|\n");
        for p in &e.params {
            md.push_str(&format!("| `{}` | {} | `{}` |\n", p.name, p.source, p.ty));
        }
        md.push('\n');
    }
    let auth = match e.auth {
        Auth::Token => "token (the `Authorization` header is checked)",
        Auth::None => "none (`no_auth`)",
    };
    md.push_str(&format!("- auth: {auth}\n"));
    let stages = if e.stages.is_empty() { "all stages".to_string() } else { e.stages.join(", ") };
    md.push_str(&format!("- stages: {stages}\n"));
    if e.is_async {
        md.push_str("- async\n");
    }
    if let Some(ct) = &e.binary_content_type {
        md.push_str(&format!("- binary response: `{ct}`\n"));
    }
    if !e.docs.is_empty() {
        md.push_str(&format!("\n---\n\n{}\n", e.docs));
    }
    md
}

/// Markdown describing a workflow task: the entry it calls (signature, route, docs), the values
/// it gives with the types the entry takes, and what its templates read.
pub fn task_markdown(info: &TaskInfo) -> String {
    let e = &info.entry;
    let mut md = format!(
        "**`{}`** — task `{}` calls `{}` of service `{}`\n\n```rust\n{}\n```\n",
        e.route, info.task, e.rust_name, info.service, info.signature
    );
    if !info.params.is_empty() {
        md.push_str("\n| the task gives | the entry takes |\n|---|---|\n");
        for p in &info.params {
            md.push_str(&format!("| `{}` | {} |\n", p.what, p.ty));
        }
    }
    if !info.templates.is_empty() {
        md.push_str("\n| template | reads |\n|---|---|\n");
        for t in &info.templates {
            md.push_str(&format!("| `{}` | {} |\n", t.what.replace('|', "\\|"), t.ty));
        }
    }
    if !e.docs.is_empty() {
        md.push_str(&format!("\n---\n\n{}\n", e.docs));
    }
    md
}

/// Markdown for the `project.cws.yml` key at byte `offset`: what it means (from the core's schema)
/// and, for a command option, its effective value in every stage. Also the span hovered.
pub fn config_markdown(project: &Project, offset: usize) -> Option<(String, Span)> {
    let config = project.config()?;
    let (path, span) = config.key_at(offset)?;
    let mut md = describe_key(&path)?;
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    let option = match p.as_slice() {
        ["commands", command, option] => Some((*command, None, *option)),
        ["workspaces", _, "commands", command, option] => Some((*command, None, *option)),
        ["services", service, "commands", command, option] => Some((*command, Some(*service), *option)),
        _ => None,
    };
    if let Some((command, service, option)) = option {
        md.push_str("\n\n| stage | effective value | from |\n|---|---|---|\n");
        for stage in project.stages() {
            let effective = project.options(command, &stage, service, &CliOptions::new());
            match effective.get(option) {
                Some(e) => md.push_str(&format!("| `{stage}` | `{}` | {} |\n", e.value, origin(e.origin))),
                None => md.push_str(&format!("| `{stage}` | — | unset |\n")),
            }
        }
    }
    Some((md, span))
}

fn origin(o: Origin) -> &'static str {
    match o {
        Origin::Cli => "command line",
        Origin::Service => "`services.<service>.commands`",
        Origin::Workspace => "`workspaces.<stage>.commands`",
        Origin::Commands => "`commands`",
        Origin::Default => "default",
    }
}
