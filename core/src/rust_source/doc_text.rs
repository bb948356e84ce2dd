//! The text of doc comments and `#[doc = "..."]` strings, read the way `proc_macro2` and `syn` read
//! them, so the tolerant path yields the same docs as the exact path.

/// Where a doc comment or doc attribute applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocPlacement {
    /// `///` or `/** */`: documents the next item.
    Outer,
    /// `//!` or `/*! */`: documents the enclosing item.
    Inner,
}

/// The doc text of a comment (`/// x` gives `" x"`), or `None` for a plain comment.
pub fn comment_doc(comment: &str) -> Option<(DocPlacement, &str)> {
    if let Some(rest) = comment.strip_prefix("///") {
        if rest.starts_with('/') {
            return None;
        }
        return Some((DocPlacement::Outer, line_content(rest)));
    }
    if let Some(rest) = comment.strip_prefix("//!") {
        return Some((DocPlacement::Inner, line_content(rest)));
    }
    if let Some(rest) = comment.strip_prefix("/**") {
        if rest.starts_with('*') || rest == "/" {
            return None;
        }
        return block_body(comment).map(|s| (DocPlacement::Outer, s));
    }
    if comment.starts_with("/*!") {
        return block_body(comment).map(|s| (DocPlacement::Inner, s));
    }
    None
}

/// The text between `/**` (or `/*!`) and `*/`.
fn block_body(comment: &str) -> Option<&str> {
    if comment.len() < 5 || !comment.ends_with("*/") {
        return None;
    }
    comment.get(3..comment.len() - 2)
}

/// A line comment's content up to the end of its line (tree-sitter may include the newline).
fn line_content(rest: &str) -> &str {
    let line = rest.split('\n').next().unwrap_or("");
    line.strip_suffix('\r').unwrap_or(line)
}

/// The value of a string literal's source text (`"a\nb"`, `r#"..."#`); `None` if it is not one.
pub fn string_value(lit: &str) -> Option<String> {
    if let Some(raw) = lit.strip_prefix('r') {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        let body = raw.get(hashes..)?.strip_prefix('"')?;
        let body = body.strip_suffix(&"#".repeat(hashes))?.strip_suffix('"')?;
        return Some(body.replace("\r\n", "\n"));
    }
    let body = lit.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                'x' => {
                    let hex: String = chars.by_ref().take(2).collect();
                    out.push(char::from(u8::from_str_radix(&hex, 16).ok()?));
                }
                'u' => {
                    let mut hex = String::new();
                    for h in chars.by_ref() {
                        match h {
                            '{' | '_' => {}
                            '}' => break,
                            h => hex.push(h),
                        }
                    }
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                '\n' | '\r' => {
                    while chars.peek().is_some_and(|c| c.is_whitespace()) {
                        chars.next();
                    }
                }
                e => out.push(e),
            },
            '\r' if chars.peek() == Some(&'\n') => {}
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_comments() {
        assert_eq!(comment_doc("/// hi\n"), Some((DocPlacement::Outer, " hi")));
        assert_eq!(comment_doc("/// hi\r\n"), Some((DocPlacement::Outer, " hi")));
        assert_eq!(comment_doc("//// not"), None);
        assert_eq!(comment_doc("// not"), None);
        assert_eq!(comment_doc("//! in"), Some((DocPlacement::Inner, " in")));
        assert_eq!(comment_doc("/** b\n c */"), Some((DocPlacement::Outer, " b\n c ")));
        assert_eq!(comment_doc("/*** not */"), None);
        assert_eq!(comment_doc("/**/"), None);
        assert_eq!(comment_doc("/*! in */"), Some((DocPlacement::Inner, " in ")));
    }

    #[test]
    fn strings() {
        assert_eq!(string_value(r#""a\nb\"c\x41\u{e9}""#).as_deref(), Some("a\nb\"cAé"));
        assert_eq!(string_value(r###"r#"x"y"#"###).as_deref(), Some("x\"y"));
        assert_eq!(string_value("\"a\\\n   b\"").as_deref(), Some("ab"));
        assert_eq!(string_value("b\"x\""), None);
    }
}
