//! Edits of `project.cws.yml` that keep everything else as written (comments, order, quoting,
//! blank lines, line endings): a careful text edit placed by the positioned YAML tree, then checked
//! by reading the result again ([`add_service`]); or, for fixes and refactorings, the [`Edit`] a
//! face applies ([`add_workspace`]: block and flow styles kept as written).
//!
//! (yaml-edit, the one lossless YAML editor for Rust, writes a new nested mapping at column 0 in
//! its 0.2 line, exactly the edit needed here; so the edit is done on the text.)

use crate::config::read_project_config;
use crate::diagnostics::Edit;
use crate::naming;
use crate::text::ByteRange;
use crate::yaml::{self, Node, NodeValue};

use super::project::{ProjectConfig, DEFAULT_STAGE};

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

/// The end of the line holding byte `at` (before its line break).
pub(crate) fn line_end(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    text[at..].find(['\n', '\r']).map_or(text.len(), |i| at + i)
}

/// The edit adding the stage `name` (as `name: {}`) under `workspaces:` of `config`, whose text is
/// `text`. A file without stages gets `workspaces:` with the default stage (which it used until
/// then) and `name`.
pub fn add_workspace(text: &str, config: &ProjectConfig, name: &str) -> Edit {
    let file = config.file.as_path();
    let tree = config.tree.as_ref();
    let node = tree.and_then(|t| t.get("workspaces"));
    let first = config.workspaces.as_ref().and_then(|w| w.first());
    match (node, first) {
        (Some(node), Some(first)) => {
            let written = text.get(node.span.start.offset..node.span.end.offset).unwrap_or("");
            if written.starts_with('{') && written.ends_with('}') {
                let before = node.span.end.offset - 1;
                return Edit::insert(file, before, format!(", {name}: {{}}"));
            }
            let indent = " ".repeat(first.name_span.start.col as usize);
            Edit::insert(file, line_end(text, node.span.end.offset), format!("\n{indent}{name}: {{}}"))
        }
        (Some(node), None) if node.value == NodeValue::Null => {
            let (start, end) = (node.span.start.offset, node.span.end.offset);
            if start < end {
                // `workspaces: ~` or `workspaces: null`: the value is replaced.
                return Edit::new(file, ByteRange::new(start, end), stages_block(name));
            }
            Edit::insert(file, line_end(text, end), stages_block(name))
        }
        _ => {
            let sep = if text.is_empty() || text.ends_with('\n') { "" } else { "\n" };
            Edit::insert(file, text.len(), format!("{sep}workspaces:{}\n", stages_block(name)))
        }
    }
}

/// `\n  dev: {}\n  <name>: {}` (the default stage first, unless it is `name`).
fn stages_block(name: &str) -> String {
    let mut s = String::new();
    if name != DEFAULT_STAGE {
        s.push_str(&format!("\n  {DEFAULT_STAGE}: {{}}"));
    }
    s.push_str(&format!("\n  {name}: {{}}"));
    s
}

#[cfg(test)]
mod tests {
    use std::path::Path;

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

    fn added(text: &str, name: &str) -> String {
        let (config, _) = read_project_config(text, Path::new("project.cws.yml"));
        let e = add_workspace(text, &config, name);
        let out = format!("{}{}{}", &text[..e.range.start], e.new_text, &text[e.range.end..]);
        let (after, diags) = read_project_config(&out, Path::new("project.cws.yml"));
        assert!(diags.is_empty(), "{out}\n{diags:?}");
        assert!(after.stages().contains(&name.to_string()), "{out}");
        out
    }

    #[test]
    fn adds_a_stage_in_every_style() {
        assert_eq!(
            added("version: 3\nworkspaces:\n  dev:\n    production: false\n# end\n", "qa"),
            "version: 3\nworkspaces:\n  dev:\n    production: false\n  qa: {}\n# end\n"
        );
        assert_eq!(
            added("version: 3\nworkspaces: {dev: {}}\n", "qa"),
            "version: 3\nworkspaces: {dev: {}, qa: {}}\n"
        );
        assert_eq!(added("version: 3\n", "qa"), "version: 3\nworkspaces:\n  dev: {}\n  qa: {}\n");
        assert_eq!(added("version: 3", "dev"), "version: 3\nworkspaces:\n  dev: {}\n");
        assert_eq!(
            added("version: 3\nworkspaces:\nname: x\n", "qa"),
            "version: 3\nworkspaces:\n  dev: {}\n  qa: {}\nname: x\n"
        );
        assert_eq!(
            added("version: 3\nworkspaces: ~\n", "qa"),
            "version: 3\nworkspaces: \n  dev: {}\n  qa: {}\n"
        );
        assert_eq!(
            added("version: 3\nworkspaces:\n    dev: {}\n    test: {}", "qa"),
            "version: 3\nworkspaces:\n    dev: {}\n    test: {}\n    qa: {}"
        );
    }
}
