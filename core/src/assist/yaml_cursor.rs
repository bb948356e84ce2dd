//! Where a position is in a YAML text being typed, read from the lines (the file need not parse):
//! the path of keys above it, and whether a key, a value or a list item is being written there.
//! Block style is read by indentation; a flow list or mapping on the line (`[a, b|` or `{a: 1, b|`)
//! is read too.

use crate::text::ByteRange;

/// What is being written at the position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// A key of the mapping at `path` (`ser|`).
    Key,
    /// The value of the key `path.last()` (`service: bil|`).
    Value,
    /// An item of the list at `path` (`- .en|`, `[.env.dev, .e|`).
    Item,
}

/// The position's place in the YAML tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlCursor {
    /// The keys from the top down to the mapping being written in (for a value or an item, down to
    /// and including its key).
    pub path: Vec<String>,
    /// What is being written.
    pub slot: Slot,
    /// What is typed so far (quotes left out).
    pub prefix: String,
    /// The bytes a completion replaces: the word typed so far, up to the end of the scalar.
    pub range: ByteRange,
    /// The indentation of the keys of the mapping being written in (for a key), in columns.
    pub indent: usize,
    /// Whether the text typed so far starts with a quote.
    pub quoted: bool,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// `key:` at the start of `line` (after indentation and a list dash): the key and the rest after
/// the colon.
fn split_key(line: &str) -> Option<(&str, &str)> {
    let body = line.trim_start_matches(' ');
    let body = body.strip_prefix("- ").unwrap_or(body);
    let (key, rest) = if let Some(q) = body.strip_prefix('"') {
        let end = q.find('"')?;
        (&q[..end], q[end + 1..].strip_prefix(':')?)
    } else if let Some(q) = body.strip_prefix('\'') {
        let end = q.find('\'')?;
        (&q[..end], q[end + 1..].strip_prefix(':')?)
    } else {
        let colon = body.find(": ").or_else(|| body.strip_suffix(':').map(|b| b.len()))?;
        (&body[..colon], &body[colon + 1..])
    };
    if key.is_empty() || key.starts_with('#') || key.contains(" #") {
        return None;
    }
    Some((key.trim_end(), rest))
}

fn without_comment(line: &str) -> &str {
    match line.find(" #") {
        Some(i) => &line[..i],
        None if line.trim_start().starts_with('#') => "",
        None => line,
    }
}

/// The keys of the block mappings enclosing a line of indentation `indent` that starts at byte
/// `line_start`, from the top.
fn parents(text: &str, line_start: usize, mut indent: usize) -> Vec<String> {
    let mut path = Vec::new();
    for line in text[..line_start].lines().rev() {
        let line = without_comment(line);
        if line.trim().is_empty() || line.trim_start().starts_with("---") {
            continue;
        }
        let own = indent_of(line);
        if own < indent {
            if let Some((key, _)) = split_key(line) {
                path.push(key.to_string());
            }
            indent = own;
            if own == 0 {
                break;
            }
        }
    }
    path.reverse();
    path
}

/// The keys written beside the line holding `offset` (same indentation, same parent), read from
/// the lines: the file need not parse.
pub fn sibling_keys(text: &str, offset: usize) -> Vec<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let indent = indent_of(&text[line_start..offset]);
    let mut keys = Vec::new();
    let mut take = |line: &str| -> bool {
        let line = without_comment(line);
        if line.trim().is_empty() {
            return true;
        }
        let own = indent_of(line);
        if own < indent {
            return false;
        }
        if own == indent {
            if let Some((key, _)) = split_key(line) {
                keys.push(key.to_string());
            }
        }
        true
    };
    for line in text[..line_start].lines().rev() {
        if !take(line) {
            break;
        }
    }
    for line in text[line_end.min(text.len())..].lines() {
        if !take(line) {
            break;
        }
    }
    keys
}

/// Where the end of `flow` (a flow collection being typed, `{a: [x, y`) is: the keys of the
/// collections still open (and of the value being typed), and the slot. `None` when every
/// collection is closed.
fn flow_place(flow: &str) -> Option<(Vec<String>, Slot)> {
    let mut open: Vec<(String, bool)> = Vec::new();
    let mut token = String::new();
    let mut key: Option<String> = None;
    let mut quote: Option<char> = None;
    for c in flow.chars() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            token.push(c);
            continue;
        }
        match c {
            '"' | '\'' => {
                quote = Some(c);
                token.push(c);
            }
            '{' | '[' => {
                open.push((key.take().unwrap_or_default(), c == '['));
                token.clear();
            }
            '}' | ']' => {
                open.pop();
                key = None;
                token.clear();
            }
            ',' => {
                key = None;
                token.clear();
            }
            ':' => {
                key = Some(token.trim().trim_matches(['"', '\'']).to_string());
                token.clear();
            }
            _ => token.push(c),
        }
    }
    let in_list = open.last()?.1;
    let mut keys: Vec<String> = open.into_iter().map(|(k, _)| k).filter(|k| !k.is_empty()).collect();
    let slot = match key {
        Some(k) => {
            keys.push(k);
            Slot::Value
        }
        None if in_list => Slot::Item,
        None => Slot::Key,
    };
    Some((keys, slot))
}

/// Where `offset` is in `text`.
pub fn cursor(text: &str, offset: usize) -> YamlCursor {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find(['\n', '\r']).map_or(text.len(), |i| offset + i);
    let before = &text[line_start..offset];
    let after = &text[offset..line_end];
    let indent = indent_of(before);
    let body = &before[indent..];
    // The scalar's end in a block context: the line's end, before a comment and trailing blanks.
    let block_end = || {
        let a = after.find(" #").map_or(after, |i| &after[..i]);
        offset + a.trim_end().len()
    };
    // In a flow collection: back to `[`, `{`, `,` (or `: `), forward to `,`, `]`, `}`, `:`.
    let flow_start = || {
        let cut = before.rfind(['[', '{', ',']).map_or(0, |i| i + 1);
        let cut = before[cut..].rfind(": ").map_or(cut, |i| cut + i + 2);
        line_start + cut + (before[cut..].len() - before[cut..].trim_start().len())
    };
    let flow_end = || offset + after.find([',', ']', '}', ':']).unwrap_or(after.len());
    let cursor_at = |path: Vec<String>, slot: Slot, start: usize, end: usize| {
        let typed = &text[start..offset];
        let quoted = typed.starts_with(['"', '\'']);
        YamlCursor {
            path,
            slot,
            prefix: typed.trim_start_matches(['"', '\'']).to_string(),
            range: ByteRange::new(start, end.max(offset)),
            indent,
            quoted,
        }
    };

    // `key: value|` (or `- key: value|`, `key: [a, b|`, `key: {a: 1, b|`).
    if let Some((key, rest)) = split_key(before) {
        let dash = usize::from(body.starts_with("- ")) * 2;
        let mut path = parents(text, line_start, indent + dash);
        path.push(key.to_string());
        let value = rest.trim_start();
        let value_start = offset - value.len();
        if value.starts_with(['[', '{']) {
            if let Some((keys, slot)) = flow_place(value) {
                path.extend(keys);
                return cursor_at(path, slot, flow_start(), flow_end());
            }
        }
        return cursor_at(path, Slot::Value, value_start, block_end());
    }
    // `- item|`: an item of the list of the key above.
    if let Some(item) = body.strip_prefix('-').filter(|i| i.is_empty() || i.starts_with(' ')) {
        let path = parents(text, line_start, indent + 1);
        let start = offset - item.trim_start().len();
        return cursor_at(path, Slot::Item, start, block_end());
    }
    // A key being typed (or an empty line: the column says which mapping).
    let path = parents(text, line_start, indent);
    let end = offset + after.find(':').unwrap_or_else(|| block_end() - offset);
    cursor_at(path, Slot::Key, line_start + indent, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cursor at `|` of `text` (the bar removed).
    fn at(marked: &str) -> (YamlCursor, String) {
        let offset = marked.find('|').expect("a | marks the position");
        let text = marked.replacen('|', "", 1);
        let c = cursor(&text, offset);
        let replaced = text[c.range.start..c.range.end].to_string();
        (c, replaced)
    }

    fn path(c: &YamlCursor) -> Vec<&str> {
        c.path.iter().map(String::as_str).collect()
    }

    #[test]
    fn siblings_are_read_from_lines() {
        let text = "a:\n  b: 1\n  # c: no\n  bro\n  d:\n    e: 2\n  f: [x]\ng: 3\n";
        let at = text.find("bro").unwrap() + 3;
        assert_eq!(sibling_keys(text, at), ["b", "d", "f"]);
    }

    #[test]
    fn cases() {
        // (marked text, path, slot, prefix, text replaced)
        let cases: &[(&str, &[&str], Slot, &str, &str)] = &[
            ("vers|", &[], Slot::Key, "vers", "vers"),
            (
                "version: 3\ncommands:\n  deploy:\n    mem|\n",
                &["commands", "deploy"],
                Slot::Key,
                "mem",
                "mem",
            ),
            (
                "commands:\n  deploy:\n    memory: 1|28\n",
                &["commands", "deploy", "memory"],
                Slot::Value,
                "1",
                "128",
            ),
            (
                "commands:\n  build:\n    architecture: |\n",
                &["commands", "build", "architecture"],
                Slot::Value,
                "",
                "",
            ),
            (
                "workspaces:\n  dev:\n    env_files:\n      - .e|\n",
                &["workspaces", "dev", "env_files"],
                Slot::Item,
                ".e",
                ".e",
            ),
            (
                "workspaces:\n  dev:\n    env_files: [.env, .en|]\n",
                &["workspaces", "dev", "env_files"],
                Slot::Item,
                ".en",
                ".en",
            ),
            (
                "workspaces:\n  dev:\n    commands: {run: {po|\n",
                &["workspaces", "dev", "commands", "run"],
                Slot::Key,
                "po",
                "po",
            ),
            ("x:\n  y: {a: 1, b|}\n", &["x", "y"], Slot::Key, "b", "b"),
            ("a:\n  b: 1\n\n  # comment\n  |\n", &["a"], Slot::Key, "", ""),
            ("a:\n  b:\n    c: 1\n|", &[], Slot::Key, "", ""),
            (
                "tasks:\n  x:\n    service: \"bil|\"\n",
                &["tasks", "x", "service"],
                Slot::Value,
                "bil",
                "\"bil\"",
            ),
            (
                "tasks:\n  x:\n    path: /invoice/{id|}\n",
                &["tasks", "x", "path"],
                Slot::Value,
                "/invoice/{id",
                "/invoice/{id}",
            ),
            (
                "é: 1\nservices:\n  billing:\n    pa|th: x\n",
                &["services", "billing"],
                Slot::Key,
                "pa",
                "path",
            ),
        ];
        for (marked, want_path, slot, prefix, replaced) in cases {
            let (c, r) = at(marked);
            assert_eq!(path(&c), *want_path, "{marked:?}");
            assert_eq!(&c.slot, slot, "{marked:?}");
            assert_eq!(c.prefix, *prefix, "{marked:?}");
            assert_eq!(r, *replaced, "{marked:?}");
        }
    }
}
