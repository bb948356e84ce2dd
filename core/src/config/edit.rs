//! Edits of `project.cws.yml` that keep everything else as written (comments, order, quoting,
//! blank lines, line endings): a careful text edit placed by the positioned YAML tree, then checked
//! by reading the result again.
//!
//! (yaml-edit, the one lossless YAML editor for Rust, writes a new nested mapping at column 0 in
//! its 0.2 line, exactly the edit needed here; so the edit is done on the text.)

use crate::config::read_project_config;
use crate::naming;
use crate::yaml::{self, Node, NodeValue};

/// Why an edit was refused; the file is left as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EditError(pub String);

/// `text` (a `project.cws.yml`) with the service `name` added under `services:` as
///
/// ```yaml
///   name:
///     path: <path>
/// ```
///
/// indented like the services already there, after the last of them (and the comments inside
/// that block), or in a new `services:` section at the end of the file. Refuses an invalid name,
/// a service the file already names, a file with YAML errors, and flow-style sections
/// (`services: {a: ..}`), which are left for a person to edit.
pub fn add_service(text: &str, name: &str, path: &str) -> Result<String, EditError> {
    if !naming::is_service_name(name) {
        return Err(EditError(format!(
            "`{}` cannot name a service: {}",
            name.escape_debug(),
            naming::service_name_rule()
        )));
    }
    let parsed = yaml::parse(text);
    if parsed.syntax_error {
        return Err(EditError(
            "project.cws.yml is not valid YAML (`cws check` shows where); fix it first".into(),
        ));
    }
    let (before, _) = read_project_config(text, std::path::Path::new(crate::layout::CONFIG_FILE));
    if before.service(name).is_some() {
        return Err(EditError(format!("project.cws.yml already configures a service `{name}`")));
    }
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let root = parsed.root.as_ref();
    let entries = match root.map(|r| &r.value) {
        Some(NodeValue::Mapping(entries)) => entries.as_slice(),
        None | Some(NodeValue::Null) => &[],
        Some(_) => return Err(EditError("project.cws.yml is not a mapping of keys; fix it first".into())),
    };
    let services = entries.iter().find(|(k, _)| k.text == "services");
    let edited = match services {
        None => {
            let mut out = text.to_string();
            if !out.is_empty() && !out.ends_with('\n') {
                out.push_str(nl);
            }
            out.push_str(&format!("{nl}services:{nl}  {name}:{nl}    path: {path}{nl}"));
            out
        }
        Some((key, value)) => {
            insert_under(text, key.span.start.col as usize, key.span.start.line, value, name, path, nl)?
        }
    };
    // The result must say what was meant, and nothing else must have changed meaning.
    let (after, _) = read_project_config(&edited, std::path::Path::new(crate::layout::CONFIG_FILE));
    let added = after.service(name).and_then(|s| s.path.as_ref()).map(|p| p.value.as_str());
    let same_rest = after.services.len() == before.services.len() + 1
        && after.stages() == before.stages()
        && after.commands.keys().eq(before.commands.keys());
    if added != Some(path) || !same_rest {
        return Err(EditError(format!(
            "could not add the service to project.cws.yml safely; add it by hand under `services:`:{nl}  {name}:{nl}    path: {path}"
        )));
    }
    Ok(edited)
}

/// Inserts the service block into the `services` section whose key is at (`key_line`, `key_col`).
fn insert_under(
    text: &str,
    key_col: usize,
    key_line: u32,
    value: &Node,
    name: &str,
    path: &str,
    nl: &str,
) -> Result<String, EditError> {
    let (indent, sub) = match &value.value {
        NodeValue::Null => (key_col + 2, 2),
        NodeValue::Mapping(services) if value.span.start.line > key_line => {
            let (first_key, first_value) = &services[0];
            let indent = first_key.span.start.col as usize;
            let sub = match &first_value.value {
                NodeValue::Mapping(keys) if !keys.is_empty() && keys[0].0.span.start.line > first_key.span.start.line => {
                    (keys[0].0.span.start.col as usize).saturating_sub(indent).max(1)
                }
                _ => 2,
            };
            (indent, sub)
        }
        _ => {
            return Err(EditError(
                "`services:` in project.cws.yml is not a block of services (flow style or another value); add the service by hand".into(),
            ))
        }
    };
    // The section goes on while lines are blank or indented deeper than its key; the block goes
    // after its last non-blank line.
    let mut offset = 0;
    let mut insert_at = None;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let end = offset + line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        if i as u32 == key_line {
            insert_at = Some(end);
        } else if i as u32 > key_line {
            let blank = content.trim().is_empty();
            let depth = content.len() - content.trim_start_matches(' ').len();
            let comment = content.trim_start().starts_with('#');
            if !blank && depth <= key_col {
                if comment {
                    // A comment at the section's level may sit between services: read on.
                    offset = end;
                    continue;
                }
                break;
            }
            if !blank {
                insert_at = Some(end);
            }
        }
        offset = end;
    }
    let at = insert_at.ok_or_else(|| EditError("`services:` was not found where the YAML says".into()))?;
    let mut out = String::with_capacity(text.len() + 64);
    out.push_str(&text[..at]);
    if !out.ends_with('\n') {
        out.push_str(nl);
    }
    let (pad, subpad) = (" ".repeat(indent), " ".repeat(indent + sub));
    out.push_str(&format!("{pad}{name}:{nl}{subpad}path: {path}{nl}"));
    out.push_str(&text[at..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_goes_after_the_others_with_their_indentation_and_comments_stay() {
        let text = "# The shop.\nversion: 3\nservices:\n   billing:   # money\n       path: services/billing\n       # more to come\n\n# Commands.\ncommands: {}\n";
        let out = add_service(text, "mailer", "services/mailer").expect("added");
        assert_eq!(
            out,
            "# The shop.\nversion: 3\nservices:\n   billing:   # money\n       path: services/billing\n       # more to come\n   mailer:\n       path: services/mailer\n\n# Commands.\ncommands: {}\n"
        );
    }

    #[test]
    fn an_empty_or_missing_section_gets_the_service() {
        assert_eq!(
            add_service("version: 3\nservices:\nworkspaces:\n  dev: {}\n", "a", "services/a").expect("added"),
            "version: 3\nservices:\n  a:\n    path: services/a\nworkspaces:\n  dev: {}\n"
        );
        assert_eq!(
            add_service("version: 3", "a", "services/a").expect("added"),
            "version: 3\n\nservices:\n  a:\n    path: services/a\n"
        );
        assert_eq!(
            add_service("version: 3\r\nservices:\r\n  b:\r\n    path: x\r\n", "a", "services/a")
                .expect("added"),
            "version: 3\r\nservices:\r\n  b:\r\n    path: x\r\n  a:\r\n    path: services/a\r\n"
        );
    }

    #[test]
    fn refusals_leave_the_file_to_a_person() {
        let refused = |text: &str, name: &str| add_service(text, name, "services/x").expect_err("refused").0;
        assert!(refused("version: 3\nservices:\n  a:\n    path: x\n", "a").contains("already"));
        assert!(refused("version: 3\n", "Bad Name").contains("cannot name a service"));
        assert!(refused("version: 3\nservices: {a: {path: x}}\n", "b").contains("by hand"));
        assert!(refused("version: [3\n", "b").contains("not valid YAML"));
        assert!(refused("- 1\n", "b").contains("not a mapping"));
    }
}
