//! Hover: on an entry, its method, route, parameters (source and type), auth, stages and docs.

use coworks_core::{Auth, Entry};

/// Markdown describing an entry of `service`.
pub fn entry_markdown(service: &str, e: &Entry) -> String {
    let mut md = format!("**`{}`** — entry `{}` of service `{service}`\n\n", e.route, e.rust_name);
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
