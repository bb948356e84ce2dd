//! Completion in Rust files: the arguments of `#[entry(...)]` and `#[coworks::service(...)]` (from
//! the attribute grammar's tables) and their values (the project's stages, common content types),
//! and entry names inside a service `impl` with the route each would give.

use crate::model::HttpMethod;
use crate::naming;
use crate::project::Project;
use crate::rust_source::attrs::{ArgSpec, COMMON_BINARY_TYPES, ENTRY_ARGS, SERVICE_ARGS};
use crate::rust_source::decl::is_coworks_attr;
use crate::text::ByteRange;

use super::{Completion, CompletionKind};

/// How far back an attribute or an `impl` is looked for.
const LOOK_BACK: usize = 64 * 1024;

/// Where in Rust text the position is, for completion.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    /// An argument name of `#[entry(...)]` (`true`) or `#[service(...)]` (`false`); the arguments
    /// already written.
    ArgName { entry: bool, written: Vec<String> },
    /// Inside the string value of argument `arg` (`stage = "d|"`); `quoted`: inside the quotes.
    ArgValue { arg: String, quoted: bool },
    /// A method name after `fn` inside a service `impl`.
    EntryName,
}

/// `offset - LOOK_BACK`, back to a character boundary.
fn floor(text: &str, offset: usize) -> usize {
    let mut i = offset.saturating_sub(LOOK_BACK);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The identifier around `offset`: its start, and its end.
fn word_at(text: &str, offset: usize) -> ByteRange {
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_ident(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = text[offset..].find(|c: char| !is_ident(c)).map_or(text.len(), |i| offset + i);
    ByteRange::new(start, end)
}

/// The attribute (`#[path(`) whose argument list holds `offset`: whether it is `entry`, and
/// where its arguments start.
fn open_attribute(text: &str, offset: usize) -> Option<(bool, usize)> {
    let from = floor(text, offset);
    let area = text.get(from..offset)?;
    let hash = from + area.rfind("#[")?;
    let rest = &text[hash + 2..offset];
    let open = rest.find('(')?;
    let path = &rest[..open];
    let entry = if is_coworks_attr(path, "entry") {
        true
    } else if is_coworks_attr(path, "service") {
        false
    } else {
        return None;
    };
    let args = hash + 2 + open + 1;
    // An attribute left open does not reach past the item it is on.
    let item_starts = ["fn ", "pub ", "async ", "#[", "}", "impl ", "///"];
    if text[args..offset].lines().skip(1).any(|l| item_starts.iter().any(|s| l.trim_start().starts_with(s))) {
        return None;
    }
    // Still open at `offset`: the parentheses are not closed before it (strings skipped).
    let mut depth = 1i32;
    let mut in_str = false;
    let mut escaped = false;
    for c in text[args..offset].chars() {
        match (in_str, c) {
            (true, '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (true, '"') if !escaped => in_str = false,
            (false, '"') => in_str = true,
            (false, '(' | '[') => depth += 1,
            (false, ')' | ']') => depth -= 1,
            _ => {}
        }
        escaped = false;
        if depth == 0 {
            return None;
        }
    }
    Some((entry, args))
}

/// The place of `offset` inside the arguments starting at `args`.
fn arg_place(text: &str, entry: bool, args: usize, offset: usize) -> Place {
    let mut in_str = false;
    let mut escaped = false;
    let mut depth = 0i32;
    let mut key = String::new();
    let mut current = String::new();
    let mut written = Vec::new();
    for c in text[args..offset].chars() {
        if in_str {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => in_str = false,
                _ => escaped = false,
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '[' => depth += 1,
            ']' => depth -= 1,
            '=' if depth == 0 => key = std::mem::take(&mut current),
            ',' if depth == 0 => {
                let name =
                    if key.is_empty() { std::mem::take(&mut current) } else { std::mem::take(&mut key) };
                if !name.is_empty() {
                    written.push(name);
                }
                current.clear();
            }
            c if is_ident(c) && key.is_empty() => current.push(c),
            _ => {}
        }
    }
    if !key.is_empty() {
        return Place::ArgValue { arg: key, quoted: in_str };
    }
    Place::ArgName { entry, written }
}

/// Whether `offset` is on a method name after `fn` in an `impl` marked as a service.
fn entry_name_place(text: &str, offset: usize) -> bool {
    let word = word_at(text, offset);
    let before = text[..word.start].trim_end();
    if !before.ends_with("fn") || before[..before.len() - 2].ends_with(is_ident) {
        return false;
    }
    let Some(area) = text.get(floor(text, offset)..word.start) else { return false };
    // The innermost `impl ... {` still open, and its attributes.
    let mut depth = 0i32;
    for (i, c) in area.char_indices().rev() {
        match c {
            '}' => depth += 1,
            '{' => {
                if depth == 0 {
                    let head_start = area[..i].rfind(['}', ';']).map_or(0, |j| j + 1);
                    let head = &area[head_start..i];
                    return head.contains("impl") && has_service_attr(head);
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    false
}

fn has_service_attr(head: &str) -> bool {
    head.match_indices("#[").any(|(i, _)| {
        let rest = &head[i + 2..];
        let end = rest.find(['(', ']']).unwrap_or(rest.len());
        is_coworks_attr(&rest[..end], "service")
    })
}

/// The place of `offset` in `text`, if completion applies there.
fn place(text: &str, offset: usize) -> Option<Place> {
    if let Some((entry, args)) = open_attribute(text, offset) {
        return Some(arg_place(text, entry, args, offset));
    }
    entry_name_place(text, offset).then_some(Place::EntryName)
}

pub(super) fn complete(project: &Project, text: &str, offset: usize) -> Vec<Completion> {
    match place(text, offset) {
        Some(Place::ArgName { entry, written }) => {
            let specs = if entry { ENTRY_ARGS } else { SERVICE_ARGS };
            arg_names(specs, &written, word_at(text, offset))
        }
        Some(Place::ArgValue { arg, quoted }) => arg_values(project, text, offset, &arg, quoted),
        Some(Place::EntryName) => entry_names(text, word_at(text, offset)),
        None => Vec::new(),
    }
}

fn arg_names(specs: &[ArgSpec], written: &[String], range: ByteRange) -> Vec<Completion> {
    specs
        .iter()
        .filter(|a| a.name == "stage" || !written.iter().any(|w| w == a.name))
        .map(|a| {
            Completion::new(CompletionKind::Key, range, a.name)
                .snippet(a.snippet)
                .detail(a.form.trim_matches('`').to_string())
                .docs(a.doc)
        })
        .collect()
}

/// The string being typed at `offset` (from after its opening quote) and what replaces it.
fn string_range(text: &str, offset: usize) -> ByteRange {
    let start = text[..offset].rfind('"').map_or(offset, |i| i + 1);
    let end = text[offset..].find(['"', '\n']).map_or(offset, |i| offset + i);
    ByteRange::new(start, end)
}

fn arg_values(project: &Project, text: &str, offset: usize, arg: &str, quoted: bool) -> Vec<Completion> {
    let (range, wrap) =
        if quoted { (string_range(text, offset), false) } else { (word_at(text, offset), true) };
    let item = |kind, value: &str| {
        let c = Completion::new(kind, range, value);
        if wrap {
            let q = format!("\"{value}\"");
            c.insert(q.clone()).filter(q)
        } else {
            c
        }
    };
    match arg {
        "stage" | "stages" => project
            .stages()
            .iter()
            .map(|s| {
                let production = if project.is_production(s) { "production stage" } else { "stage" };
                item(CompletionKind::Value, s).detail(format!("{production} of project.cws.yml"))
            })
            .collect(),
        "binary_headers" => COMMON_BINARY_TYPES.iter().map(|t| item(CompletionKind::Value, t)).collect(),
        _ => Vec::new(),
    }
}

/// The route an entry name gives, parameters unknown yet: `GET /invoice/pdf/{…}`.
fn route_hint(name: &str) -> String {
    let split = naming::split_name(name);
    let path: String = split.segments.iter().map(|s| format!("/{s}")).collect();
    format!("{} {}/{{…}}", split.method, path)
}

fn entry_names(text: &str, range: ByteRange) -> Vec<Completion> {
    let typed = &text[range.start..range.end];
    let mut out: Vec<Completion> = HttpMethod::ALL
        .iter()
        .map(|m| {
            let prefix = format!("{}_", m.prefix());
            Completion::new(CompletionKind::Method, range, prefix.clone())
                .detail(format!("{m} /…"))
                .docs(format!("An entry answering `{m}`: the words after `{prefix}` are the path's segments, the method's unattributed parameters its `{{params}}`."))
        })
        .collect();
    let split = naming::split_name(typed);
    if !typed.is_empty() && (split.has_verb || naming::misspelt_verb(typed).is_none()) {
        let route = route_hint(typed);
        let docs = if split.has_verb {
            format!("`{typed}` answers `{route}`: parameters without an attribute follow as `{{params}}`.")
        } else {
            format!("`{typed}` has no verb prefix, so it answers `{route}`.")
        };
        out.insert(0, Completion::new(CompletionKind::Route, range, typed).detail(route).docs(docs));
    }
    out
}
