//! Completion in `project.cws.yml`: keys and enumerated values at every level, from the schema
//! tables (`config::schema`, the ones the reader validates with: no second list of keys), the
//! service names and crate folders of the project, stage names and env files.

use crate::config::schema::{self, CommandSpec, KeySpec, OptionSpec, OptionType};
use crate::project::Project;
use crate::yaml::{self, Node};

use super::super::yaml_cursor::{cursor, sibling_keys, Slot, YamlCursor};
use super::{Completion, CompletionKind};

/// The keys already written in the mapping being written at `c` (to offer the others): read from
/// the lines in block style, from the YAML tree in flow style.
pub(super) fn written_keys(text: &str, c: &YamlCursor) -> Vec<String> {
    let line_start = text[..c.range.start].rfind('\n').map_or(0, |i| i + 1);
    let flow = text[line_start..c.range.start].contains(['{', '[']);
    if !flow {
        return sibling_keys(text, c.range.start);
    }
    let path = &c.path;
    let parsed = yaml::parse(text);
    let mut node: Option<&Node> = parsed.root.as_ref();
    for key in path {
        node = node.and_then(|n| n.get(key));
    }
    match node.and_then(Node::entries) {
        Some(entries) => entries.iter().map(|(k, _)| k.text.clone()).collect(),
        None => Vec::new(),
    }
}

/// A key item: `key: ` for a value on the line, `key:` and a new indented line for a mapping or a
/// list.
pub(super) fn key_item(c: &YamlCursor, name: &str, block: bool, detail: &str, doc: &str) -> Completion {
    let text = if block { format!("{name}:\n{}", " ".repeat(c.indent + 2)) } else { format!("{name}: ") };
    Completion::new(CompletionKind::Key, c.range, name).insert(text).detail(detail).docs(doc)
}

/// A value item (quoted again when the user started with a quote).
pub(super) fn value_item(c: &YamlCursor, kind: CompletionKind, value: &str) -> Completion {
    let item = Completion::new(kind, c.range, value);
    if c.quoted {
        let q = format!("\"{value}\"");
        item.insert(q.clone()).filter(q)
    } else {
        item
    }
}

fn spec_keys(c: &YamlCursor, keys: &[KeySpec], written: &[String], context: &str) -> Vec<Completion> {
    keys.iter()
        .filter(|k| !written.iter().any(|w| w == k.name))
        .map(|k| {
            let block = k.ty.starts_with("mapping") || k.ty.starts_with("list");
            key_item(c, k.name, block, &format!("{context}: {}", k.ty), k.doc)
        })
        .collect()
}

fn command_keys(c: &YamlCursor, written: &[String]) -> Vec<Completion> {
    schema::COMMANDS
        .iter()
        .filter(|k| !written.iter().any(|w| w == k.name))
        .map(|k| key_item(c, k.name, true, &format!("options of `cws {}`", k.name), k.doc))
        .collect()
}

fn option_keys(c: &YamlCursor, options: &[OptionSpec], written: &[String]) -> Vec<Completion> {
    options
        .iter()
        .filter(|o| !written.iter().any(|w| w == o.name))
        .map(|o| {
            let block = matches!(
                o.ty,
                OptionType::Record(_)
                    | OptionType::StrMap
                    | OptionType::AnyMap
                    | OptionType::StrList
                    | OptionType::RecordList(_)
            );
            let default = o.default.map(|d| format!("; default `{d}`")).unwrap_or_default();
            key_item(
                c,
                o.name,
                block,
                &o.ty.describe(),
                &format!("{}\n\nType: {}{default}.", o.doc, o.ty.describe()),
            )
        })
        .collect()
}

fn option_values(c: &YamlCursor, o: &OptionSpec) -> Vec<Completion> {
    let mut out: Vec<Completion> = match o.ty {
        OptionType::OneOf(words) => words.iter().map(|w| value_item(c, CompletionKind::Value, w)).collect(),
        OptionType::Bool => {
            ["true", "false"].iter().map(|w| value_item(c, CompletionKind::Value, w)).collect()
        }
        _ => Vec::new(),
    };
    if let Some(d) = o.default {
        match out.iter_mut().find(|i| i.label == d) {
            Some(item) => item.detail = Some("default".into()),
            None => out.push(
                value_item(c, CompletionKind::Value, d).detail(format!("default; {}", o.ty.describe())),
            ),
        }
    }
    out
}

/// The option spec at `rest` (`[command, option, sub...]`) and whether `rest` ends inside it.
fn option_at<'s>(command: &'s CommandSpec, rest: &[String]) -> Option<&'s OptionSpec> {
    let (first, sub) = rest.split_first()?;
    let mut o = command.option(first)?;
    for name in sub {
        let (OptionType::Record(keys) | OptionType::RecordList(keys)) = o.ty else { return None };
        o = keys.iter().find(|k| k.name == name)?;
    }
    Some(o)
}

/// Keys and values under a `commands:` mapping, `rest` being the path below it.
fn commands(c: &YamlCursor, rest: &[String], written: &[String]) -> Vec<Completion> {
    match (rest, &c.slot) {
        ([], Slot::Key) => command_keys(c, written),
        ([cmd], Slot::Key) => {
            schema::command(cmd).map(|s| option_keys(c, s.options, written)).unwrap_or_default()
        }
        ([cmd, path @ ..], Slot::Key) => {
            let spec = schema::command(cmd);
            match spec.and_then(|s| option_at(s, path)).map(|o| o.ty) {
                Some(OptionType::Record(keys) | OptionType::RecordList(keys)) => {
                    option_keys(c, keys, written)
                }
                _ => Vec::new(),
            }
        }
        // A new item of a list of mappings (`iam: [- |]`): its keys.
        ([cmd, path @ ..], Slot::Item) => {
            match schema::command(cmd).and_then(|s| option_at(s, path)).map(|o| o.ty) {
                Some(OptionType::RecordList(keys)) => option_keys(c, keys, &[]),
                _ => Vec::new(),
            }
        }
        ([cmd, path @ ..], Slot::Value) => schema::command(cmd)
            .and_then(|s| option_at(s, path))
            .map(|o| option_values(c, o))
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

pub(super) fn complete(project: &Project, text: &str, offset: usize) -> Vec<Completion> {
    let c = cursor(text, offset);
    let path: Vec<&str> = c.path.iter().map(String::as_str).collect();
    let written = if c.slot == Slot::Key { written_keys(text, &c) } else { Vec::new() };
    match (path.as_slice(), &c.slot) {
        ([], Slot::Key) => spec_keys(&c, schema::TOP_KEYS, &written, "project.cws.yml"),
        (["version"], Slot::Value) => {
            vec![value_item(&c, CompletionKind::Value, "3").detail("the file format")]
        }
        (["commands", ..], _) => commands(&c, &c.path[1..], &written),
        (["services"], Slot::Key) => project
            .services(None)
            .iter()
            .filter(|s| !written.contains(&s.name))
            .map(|s| {
                let dir = s.crate_dir.display().to_string();
                let detail = format!("service `{}` ({} entries)", s.type_name, s.entries.len());
                let item = key_item(&c, &s.name, true, &detail, &s.docs);
                // A new service block with its path, when its crate is known.
                if dir.is_empty() {
                    item
                } else {
                    let pad = " ".repeat(c.indent + 2);
                    item.insert(format!("{}:\n{pad}path: {dir}", s.name))
                }
            })
            .collect(),
        (["services", _], Slot::Key) => spec_keys(&c, schema::SERVICE_KEYS, &written, "service setting"),
        (["services", _, "path"], Slot::Value) => project
            .crate_roots()
            .iter()
            .filter(|d| !d.as_os_str().is_empty())
            .map(|d| {
                value_item(&c, CompletionKind::File, &d.display().to_string())
                    .detail("a folder holding a Cargo.toml")
            })
            .collect(),
        (["services", _, "commands", ..], _) => commands(&c, &c.path[3..], &written),
        (["workspaces"], Slot::Key) => {
            let defined = project.stages();
            let mut used: Vec<String> = project
                .services(None)
                .iter()
                .flat_map(|s| s.entries.iter().flat_map(|e| e.stages.iter().cloned()))
                .filter(|s| !defined.contains(s) && !written.contains(s))
                .collect();
            used.sort();
            used.dedup();
            used.iter().map(|s| key_item(&c, s, true, "a stage entries are limited to", "")).collect()
        }
        (["workspaces", _], Slot::Key) => spec_keys(&c, schema::WORKSPACE_KEYS, &written, "stage setting"),
        (["workspaces", _, "production"], Slot::Value) => {
            ["true", "false"].iter().map(|w| value_item(&c, CompletionKind::Value, w)).collect()
        }
        (["workspaces", stage, "env_files"], Slot::Item) => env_files(project, &c, stage),
        (["workspaces", _, "commands", ..], _) => commands(&c, &c.path[3..], &written),
        _ => Vec::new(),
    }
}

/// The env files a stage can list: the project's `.env*` files, `.env.<stage>` first.
fn env_files(project: &Project, c: &YamlCursor, stage: &str) -> Vec<Completion> {
    let own = format!(".env.{stage}");
    let mut names: Vec<String> = project.env_file_paths().map(|p| p.display().to_string()).collect();
    if !names.contains(&own) {
        names.push(own.clone());
    }
    names.sort_by_key(|n| (n != &own, n.clone()));
    names
        .iter()
        .map(|n| {
            let exists = project.env_file(std::path::Path::new(n)).is_some();
            value_item(c, CompletionKind::File, n).detail(if exists {
                "env file"
            } else {
                "env file (not created yet)"
            })
        })
        .collect()
}
