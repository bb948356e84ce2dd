//! Edits of CoWorks attributes in Rust text: adding an argument to `#[entry]` /
//! `#[coworks::service]` (for fixes and refactorings), finding a parameter's name. Pure text: the
//! ranges are byte ranges of the text given.

use std::path::Path;

use crate::diagnostics::Edit;
use crate::model::{Entry, Location};
use crate::text::ByteRange;

use super::decl::is_coworks_attr;

/// Where an attribute's arguments go: the attribute's range, and its parenthesised group if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttrAt {
    /// `#[...]`, brackets included.
    pub range: ByteRange,
    /// `(...)`, parentheses included, when the attribute has arguments.
    pub args: Option<ByteRange>,
}

/// The last `#[<want>]` / `#[coworks::<want>(...)]` attribute in `text[within]`.
pub fn find_attr(text: &str, within: ByteRange, want: &str) -> Option<AttrAt> {
    let area = text.get(within.start..within.end)?;
    let mut found = None;
    let mut from = 0;
    while let Some(i) = area[from..].find("#[").map(|i| from + i) {
        from = i + 2;
        let rest = &area[i + 2..];
        let path_len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c.is_whitespace()))
            .unwrap_or(rest.len());
        if !is_coworks_attr(&rest[..path_len], want) {
            continue;
        }
        let after = &rest[path_len..];
        let open = within.start + i + 2 + path_len;
        let at = match after.chars().next() {
            Some(']') => AttrAt { range: ByteRange::new(within.start + i, open + 1), args: None },
            Some('(') => {
                let close = matching_paren(text, open)?;
                let end = text[close + 1..].find(']').map(|j| close + 1 + j + 1)?;
                AttrAt {
                    range: ByteRange::new(within.start + i, end),
                    args: Some(ByteRange::new(open, close + 1)),
                }
            }
            _ => continue,
        };
        found = Some(at);
    }
    found
}

/// The byte of the `)` closing the `(` at `open` (strings skipped).
fn matching_paren(text: &str, open: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    let mut in_str = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_str {
            match b {
                b'\\' => i += 1,
                b'"' => in_str = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_str = true,
                b'(' | b'[' => depth += 1,
                b')' | b']' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return (b == b')').then_some(i);
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// The edit adding `arg` (`path = "/x"`) first among the arguments of `attr`.
pub fn add_arg(file: &Path, text: &str, attr: AttrAt, arg: &str) -> Edit {
    match attr.args {
        Some(args) => {
            let inner = text.get(args.start + 1..args.end - 1).unwrap_or("");
            if inner.trim().is_empty() {
                Edit::new(file, ByteRange::new(args.start + 1, args.end - 1), arg)
            } else {
                Edit::insert(file, args.start + 1, format!("{arg}, "))
            }
        }
        None => Edit::insert(file, attr.range.end - 1, format!("({arg})")),
    }
}

/// The range of the string literal of `key = "..."` in an attribute's argument text (relative to
/// it).
pub fn arg_literal(args: &str, key: &str) -> Option<ByteRange> {
    let mut from = 0;
    while let Some(i) = args[from..].find(key).map(|i| from + i) {
        from = i + key.len();
        let word = |c: char| c.is_alphanumeric() || c == '_';
        let word_before = args[..i].chars().next_back().is_some_and(word);
        let rest = args[i + key.len()..].trim_start();
        if word_before || !rest.starts_with('=') {
            continue;
        }
        let value = rest[1..].trim_start();
        let start = args.len() - value.len();
        if !value.starts_with('"') {
            return None;
        }
        let mut escaped = false;
        for (j, c) in value.char_indices().skip(1) {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => return Some(ByteRange::new(start, start + j + 1)),
                _ => escaped = false,
            }
        }
        return None;
    }
    None
}

/// The literal of the argument `key` of the attribute `want` of an item: the item spans `item`
/// (attributes included) and is named at `name` (the attribute is before it).
pub fn item_arg_literal(
    text: &str,
    item: &Location,
    name: &Location,
    want: &str,
    key: &str,
) -> Option<ByteRange> {
    let within = ByteRange::new(item.span.start.offset, name.span.start.offset);
    let args = find_attr(text, within, want)?.args?;
    let inner = arg_literal(text.get(args.start..args.end)?, key)?;
    Some(ByteRange::new(args.start + inner.start, args.start + inner.end))
}

/// The edit giving entry `e` (of a file whose text is `text`) the explicit path `path`: its
/// `path = "..."` replaced, or added to its `#[entry]` attribute.
pub fn entry_path_edit(text: &str, e: &Entry, path: &str) -> Option<Edit> {
    let file = &e.item.file;
    let literal = string_literal(path);
    if let Some(at) = item_arg_literal(text, &e.item, &e.location, "entry", "path") {
        return Some(Edit::new(file, at, literal));
    }
    let within = ByteRange::new(e.item.span.start.offset, e.location.span.start.offset);
    let attr = find_attr(text, within, "entry")?;
    Some(add_arg(file, text, attr, &format!("path = {literal}")))
}

/// The range of a parameter's name in `text[param]` (its last whole-word occurrence before
/// `ty_start`), if it is written there.
pub fn param_name_range(text: &str, param: ByteRange, ty_start: usize, name: &str) -> Option<ByteRange> {
    let area = text.get(param.start..ty_start.min(param.end))?;
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut found = None;
    for (i, _) in area.match_indices(name) {
        let before = area[..i].chars().next_back();
        let after = area[i + name.len()..].chars().next();
        if !before.is_some_and(word) && !after.is_some_and(word) {
            found = Some(ByteRange::new(param.start + i, param.start + i + name.len()));
        }
    }
    found
}

/// A Rust string literal holding `value`.
pub fn string_literal(value: &str) -> String {
    format!("{value:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, e: &Edit) -> String {
        format!("{}{}{}", &text[..e.range.start], e.new_text, &text[e.range.end..])
    }

    #[test]
    fn adds_arguments_to_every_form_of_the_attribute() {
        let whole = |t: &str| ByteRange::new(0, t.len());
        let file = Path::new("a.rs");
        for (text, want) in [
            ("#[entry] fn f", "#[entry(path = \"/x\")] fn f"),
            ("#[entry()] fn f", "#[entry(path = \"/x\")] fn f"),
            ("#[coworks::entry(no_auth)] fn f", "#[coworks::entry(path = \"/x\", no_auth)] fn f"),
            (
                "/// doc (x)\n#[inline]\n#[ entry (stage = \"a)\")]\nfn f",
                "/// doc (x)\n#[inline]\n#[ entry (path = \"/x\", stage = \"a)\")]\nfn f",
            ),
        ] {
            let at = find_attr(text, whole(text), "entry").unwrap_or_else(|| panic!("{text}"));
            assert_eq!(apply(text, &add_arg(file, text, at, "path = \"/x\"")), want);
        }
        assert_eq!(find_attr("#[entryx] fn f", ByteRange::new(0, 14), "entry"), None);
        assert_eq!(find_attr("#[other(entry)] fn f", ByteRange::new(0, 20), "entry"), None);
    }

    #[test]
    fn finds_parameter_names() {
        let text = "fn f(&self, #[query] id_x: u64, id: u64)";
        let p = text.find("id: u64").unwrap();
        let r = param_name_range(text, ByteRange::new(p, p + 7), p + 4, "id").unwrap();
        assert_eq!(&text[r.start..r.end], "id");
        assert_eq!(r.start, p);
        let q = text.find("#[query]").unwrap();
        let ty = text.find("u64").unwrap();
        let r = param_name_range(text, ByteRange::new(q, ty + 3), ty, "id_x").unwrap();
        assert_eq!(r.start, text.find("id_x").unwrap());
        assert_eq!(string_literal("a\"b"), "\"a\\\"b\"");
    }
}
