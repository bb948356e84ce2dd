//! `.env` files: `KEY=value` lines with positions (the environment of a stage is
//! [`Project::stage_env`](crate::Project::stage_env)).
//!
//! Syntax: `KEY=value` or `export KEY=value`; blank lines and `# comments`; values unquoted (an
//! inline comment starts at ` #`, surrounding blanks are trimmed), `'single quoted'` (literal) or
//! `"double quoted"` (escapes `\n`, `\t`, `\r`, `\"`, `\\`, `\$`); quoted values may span lines.

use std::path::Path;

use serde::Serialize;

use crate::diagnostics::{Diagnostic, DiagnosticCode};
use crate::text::{ByteRange, LineIndex, Span};

/// One variable of an env file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvVar {
    /// The name.
    pub key: String,
    /// The value, unquoted and unescaped.
    pub value: String,
    /// Where the name is written.
    pub key_span: Span,
    /// Where the value is written (with its quotes).
    pub value_span: Span,
}

/// The variables of one env file, in file order (a later line with the same key wins when merged).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EnvFile {
    /// The variables.
    pub vars: Vec<EnvVar>,
}

fn is_key(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// Reads an env file's text. `file` (relative to the project root) is used in diagnostics.
/// Lines that are not `KEY=value` are reported (`CWS016`) and skipped.
pub fn read_env(text: &str, file: &Path) -> (EnvFile, Vec<Diagnostic>) {
    let index = LineIndex::new(text);
    let span = |a: usize, b: usize| index.span(text, ByteRange::new(a, b));
    let mut vars = Vec::new();
    let mut diags = Vec::new();
    let bad = |diags: &mut Vec<Diagnostic>, a: usize, b: usize, msg: &str| {
        diags.push(Diagnostic::new(DiagnosticCode::EnvSyntax, file, span(a, b), msg));
    };
    let mut pos = 0;
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map(|i| pos + i).unwrap_or(text.len());
        let line = &text[pos..line_end];
        let next = (line_end + 1).min(text.len().max(line_end));
        let trimmed = line.trim_start();
        let lead = line.len() - trimmed.len();
        let content = trimmed.trim_end();
        if content.is_empty() || content.starts_with('#') {
            pos = next;
            continue;
        }
        let mut start = pos + lead;
        let mut rest = trimmed;
        if let Some(r) = rest.strip_prefix("export") {
            if r.starts_with([' ', '\t']) {
                let r2 = r.trim_start();
                start += rest.len() - r2.len();
                rest = r2;
            }
        }
        let Some(eq) = rest.find('=') else {
            bad(&mut diags, pos + lead, pos + lead + content.len(), "expected `KEY=value`");
            pos = next;
            continue;
        };
        let key = rest[..eq].trim_end();
        if !is_key(key) {
            let msg = format!(
                "`{key}` is not a variable name (letters, digits and `_`, not starting with a digit)"
            );
            bad(&mut diags, start, start + key.len().max(1), &msg);
            pos = next;
            continue;
        }
        let key_span = span(start, start + key.len());
        let after_eq = start + eq + 1;
        let value_text = &text[after_eq..];
        let blanks = value_text.len() - value_text.trim_start_matches([' ', '\t']).len();
        let vstart = after_eq + blanks;
        let v = &text[vstart..];
        let quote = v.chars().next().filter(|c| *c == '"' || *c == '\'');
        match quote {
            Some(q) => {
                let mut value = String::new();
                let mut end = None;
                let mut it = v.char_indices().skip(1);
                while let Some((i, c)) = it.next() {
                    if c == q {
                        end = Some(vstart + i + 1);
                        break;
                    }
                    if q == '"' && c == '\\' {
                        match it.next() {
                            Some((_, 'n')) => value.push('\n'),
                            Some((_, 't')) => value.push('\t'),
                            Some((_, 'r')) => value.push('\r'),
                            Some((_, e @ ('"' | '\\' | '$'))) => value.push(e),
                            Some((_, other)) => {
                                value.push('\\');
                                value.push(other);
                            }
                            None => value.push('\\'),
                        }
                    } else {
                        value.push(c);
                    }
                }
                let Some(vend) = end else {
                    bad(
                        &mut diags,
                        vstart,
                        vstart + 1,
                        "unclosed quote: the value runs to the end of the file",
                    );
                    break;
                };
                // After the closing quote: blanks, then nothing or a comment.
                let tail_end = text[vend..].find('\n').map(|i| vend + i).unwrap_or(text.len());
                let tail = text[vend..tail_end].trim();
                if !tail.is_empty() && !tail.starts_with('#') {
                    bad(&mut diags, vend, tail_end, "unexpected text after the quoted value");
                } else {
                    vars.push(EnvVar {
                        key: key.to_string(),
                        value,
                        key_span,
                        value_span: span(vstart, vend),
                    });
                }
                pos = (tail_end + 1).min(text.len().max(tail_end));
            }
            None => {
                let raw = &text[vstart..line_end];
                let raw = match find_inline_comment(raw) {
                    Some(i) => &raw[..i],
                    None if blanks > 0 && raw.starts_with('#') => "",
                    None => raw,
                };
                let raw = raw.trim_end();
                let value = raw.to_string();
                vars.push(EnvVar {
                    key: key.to_string(),
                    value,
                    key_span,
                    value_span: span(vstart, vstart + raw.len()),
                });
                pos = next;
            }
        }
    }
    (EnvFile { vars }, diags)
}

/// Byte index of a ` #` or `\t#` comment start in an unquoted value.
fn find_inline_comment(raw: &str) -> Option<usize> {
    let bytes = raw.as_bytes();
    (1..bytes.len()).find(|&i| bytes[i] == b'#' && (bytes[i - 1] == b' ' || bytes[i - 1] == b'\t'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Vec<(String, String)>, Vec<Diagnostic>) {
        let (f, d) = read_env(text, Path::new(".env"));
        (f.vars.into_iter().map(|v| (v.key, v.value)).collect(), d)
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn parses_the_usual_forms() {
        let text = "# comment\n\nA=1\nexport B=two words\nC = 'single # not comment'\nD=\"x\\ny\\\"z\\\\\"\nE=val # comment\nF=a#b\nG=\nH=  # only comment\r\nI='multi\nline'\nJ=\"\\$HOME \\q\"\n";
        let (vars, d) = read(text);
        assert!(d.is_empty(), "{d:#?}");
        assert_eq!(
            vars,
            pairs(&[
                ("A", "1"),
                ("B", "two words"),
                ("C", "single # not comment"),
                ("D", "x\ny\"z\\"),
                ("E", "val"),
                ("F", "a#b"),
                ("G", ""),
                ("H", ""),
                ("I", "multi\nline"),
                ("J", "$HOME \\q"),
            ])
        );
    }

    #[test]
    fn spans_count_chars() {
        let text = "# é😀\nKEY=中文 value\nexport  Q=\"é\"\n";
        let (f, d) = read_env(text, Path::new(".env"));
        assert!(d.is_empty());
        let v = &f.vars[0];
        assert_eq!((v.key_span.start.line, v.key_span.start.col, v.key_span.end.col), (1, 0, 3));
        assert_eq!(&text[v.value_span.start.offset..v.value_span.end.offset], "中文 value");
        assert_eq!((v.value_span.start.col, v.value_span.end.col), (4, 12));
        let q = &f.vars[1];
        assert_eq!((q.key_span.start.line, q.key_span.start.col), (2, 8));
        assert_eq!(&text[q.value_span.start.offset..q.value_span.end.offset], "\"é\"");
    }

    #[test]
    fn bad_lines_are_cws016_and_skipped() {
        let (vars, d) = read("A=1\njust words\n1X=2\nB='x' y\nC=3\nD=\"open\n");
        assert_eq!(vars, pairs(&[("A", "1"), ("C", "3")]));
        let at: Vec<_> = d.iter().map(|d| (d.code, d.span.start.line, d.span.start.col)).collect();
        assert_eq!(
            at,
            vec![
                (DiagnosticCode::EnvSyntax, 1, 0),
                (DiagnosticCode::EnvSyntax, 2, 0),
                (DiagnosticCode::EnvSyntax, 3, 5),
                (DiagnosticCode::EnvSyntax, 5, 2),
            ]
        );
        let (_, d) = read("export\n=value\n");
        assert_eq!(d.len(), 2);
    }
}
