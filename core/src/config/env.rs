//! `.env` files: `KEY=value` lines with positions, and the environment of a stage.
//!
//! Syntax: `KEY=value` or `export KEY=value`; blank lines and `# comments`; values unquoted (an
//! inline comment starts at ` #`, surrounding blanks are trimmed), `'single quoted'` (literal) or
//! `"double quoted"` (escapes `\n`, `\t`, `\r`, `\"`, `\\`, `\$`); quoted values may span lines.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::project::ProjectConfig;
use crate::diagnostics::{Diagnostic, DiagnosticCode};
use crate::text::{ByteRange, LineIndex, Span};

/// Largest env file read, in bytes (1 MiB).
pub const MAX_ENV_BYTES: u64 = 1 << 20;

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

/// A variable of a stage's environment and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvValue {
    /// The value.
    pub value: String,
    /// The env file, relative to the project root.
    pub file: PathBuf,
    /// Where the value is written in that file.
    pub span: Span,
    /// Whether it comes from a `*.secret` file (never written to artifacts in plain text).
    pub secret: bool,
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

/// The optional env files of a stage, in load order (later files override earlier ones):
/// `.env`, `.env.secret`, `.env.<stage>`, `.env.<stage>.secret`. A stage name that is not a plain
/// name (e.g. holds `/`) gets only the first two.
pub fn env_files_for_stage(stage: &str) -> Vec<String> {
    let mut files = vec![".env".to_string(), ".env.secret".to_string()];
    let plain = !stage.is_empty()
        && stage != "secret"
        && stage.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if plain {
        files.push(format!(".env.{stage}"));
        files.push(format!(".env.{stage}.secret"));
    }
    files
}

/// Reads a file as text if it is a regular file under the size limit and valid UTF-8 without NUL.
/// `Ok(None)`: the file does not exist. `Err(reason)`: it exists but cannot be used.
fn read_text(path: &Path) -> Result<Option<String>, String> {
    // Only regular files are opened (a FIFO would block the reader forever).
    let file = match crate::scan::open_regular(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => return Err("is not a regular file".into()),
        Err(e) => return Err(format!("cannot be read: {e}")),
    };
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_ENV_BYTES + 1), &mut bytes)
        .map_err(|e| format!("cannot be read: {e}"))?;
    if bytes.len() as u64 > MAX_ENV_BYTES {
        return Err(format!("is larger than {MAX_ENV_BYTES} bytes"));
    }
    let text = String::from_utf8(bytes).map_err(|_| "is not UTF-8 text".to_string())?;
    if text.contains('\0') {
        return Err("is binary (holds NUL bytes)".into());
    }
    Ok(Some(text))
}

/// The environment of `stage` in the project at `root`: the optional files of
/// [`env_files_for_stage`] that exist, then the stage's required `env_files` (a missing one is
/// `CWS015` at its item in `project.cws.yml`). Later files override earlier ones. Files that cannot
/// be read (binary, too large, permissions) are skipped with `CWS020`.
pub fn load_stage_env(
    root: &Path,
    config: &ProjectConfig,
    stage: &str,
) -> (BTreeMap<String, EnvValue>, Vec<Diagnostic>) {
    let mut env = BTreeMap::new();
    let mut diags = Vec::new();
    let mut loaded: Vec<String> = Vec::new();
    let optional = env_files_for_stage(stage).into_iter().map(|f| (f, None));
    let required = config.required_env_files(stage).into_iter().map(|(f, s)| (f, Some(s)));
    for (name, listed_at) in optional.chain(required) {
        if loaded.contains(&name) {
            continue;
        }
        let rel = PathBuf::from(&name);
        match read_text(&root.join(&rel)) {
            Ok(Some(text)) => {
                loaded.push(name.clone());
                let (file, file_diags) = read_env(&text, &rel);
                diags.extend(file_diags);
                let secret = name.ends_with(".secret");
                for var in file.vars {
                    let value =
                        EnvValue { value: var.value, file: rel.clone(), span: var.value_span, secret };
                    env.insert(var.key, value);
                }
            }
            Ok(None) => {
                if let Some(span) = listed_at {
                    diags.push(Diagnostic::new(
                        DiagnosticCode::MissingEnvFile,
                        &config.file,
                        span,
                        format!("env file `{name}` of stage `{stage}` does not exist"),
                    ));
                }
            }
            Err(reason) => {
                let (file, span) = match listed_at {
                    Some(span) => (config.file.clone(), span),
                    None => (rel.clone(), Span::default()),
                };
                diags.push(Diagnostic::new(
                    DiagnosticCode::FileSkipped,
                    file,
                    span,
                    format!("env file `{name}` {reason}; it is skipped"),
                ));
            }
        }
    }
    (env, diags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::read_project_config;

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

    #[test]
    fn stage_files_and_their_order() {
        assert_eq!(env_files_for_stage("dev"), vec![".env", ".env.secret", ".env.dev", ".env.dev.secret"]);
        assert_eq!(env_files_for_stage("../x"), vec![".env", ".env.secret"]);
    }

    #[test]
    fn loads_a_stage_env_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join(".env"), "A=base\nB=base\nC=base\n").unwrap();
        std::fs::write(root.join(".env.dev"), "B=dev\n").unwrap();
        std::fs::write(root.join(".env.dev.secret"), "TOKEN=s3cr3t\nbad line\n").unwrap();
        std::fs::write(root.join("extra.env"), "C=extra\n").unwrap();
        std::fs::write(root.join(".env.secret"), [0xffu8, 0xfe, 0x00]).unwrap();
        let yml = "version: 3\nworkspaces:\n  dev:\n    env_files: [extra.env, missing.env]\n";
        let (config, d) = read_project_config(yml, Path::new("project.cws.yml"));
        assert!(d.is_empty());
        let (env, d) = load_stage_env(root, &config, "dev");
        assert_eq!(env["A"].value, "base");
        assert_eq!(env["B"].value, "dev");
        assert_eq!(env["B"].file, PathBuf::from(".env.dev"));
        assert_eq!(env["C"].value, "extra");
        assert!(env["TOKEN"].secret && !env["A"].secret);
        let codes: Vec<_> =
            d.iter().map(|d| (d.code, d.file.clone(), d.span.start.line, d.span.start.col)).collect();
        assert!(
            codes.contains(&(DiagnosticCode::FileSkipped, PathBuf::from(".env.secret"), 0, 0)),
            "{codes:?}"
        );
        assert!(
            codes.contains(&(DiagnosticCode::EnvSyntax, PathBuf::from(".env.dev.secret"), 1, 0)),
            "{codes:?}"
        );
        assert!(
            codes.contains(&(DiagnosticCode::MissingEnvFile, PathBuf::from("project.cws.yml"), 3, 27)),
            "{codes:?}"
        );
        assert_eq!(d.len(), 3);

        // Another stage: only the optional files; nothing required, nothing missing.
        let (env, _) = load_stage_env(root, &config, "prod");
        assert_eq!(env["B"].value, "base");
        // A directory where a file is expected is skipped, not a panic.
        std::fs::create_dir(root.join(".env.prod")).unwrap();
        let (_, d) = load_stage_env(root, &config, "prod");
        assert!(d.iter().any(|d| d.code == DiagnosticCode::FileSkipped));
    }
}
