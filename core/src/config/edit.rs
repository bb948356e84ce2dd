//! Edits of `project.cws.yml` that fixes and refactorings make: adding a stage. Block and flow
//! styles are both kept as written.

use crate::diagnostics::Edit;
use crate::text::ByteRange;
use crate::yaml::NodeValue;

use super::project::{ProjectConfig, DEFAULT_STAGE};

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
    use crate::config::read_project_config;

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
