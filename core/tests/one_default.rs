//! Every option's default is written once, in the schema tables (`core/src/config/schema.rs`):
//! no other source of the workspace writes it again (faces and generators read it through
//! `coworks_core::settings`, the runtime through `config::schema::default_text`).

use std::path::{Path, PathBuf};

use coworks_core::config::schema::{OptionType, COMMANDS};

/// Where the Rust sources of the workspace are, from this crate.
const SOURCE_DIRS: &[&str] =
    &["src", "../cli/src", "../lsp/src", "../runtime/coworks/src", "../runtime/coworks-macros/src"];

/// The schema file itself, where the defaults belong.
const SCHEMA: &str = "src/config/schema.rs";

/// A default written outside the schema: the file, the line number and the line.
#[derive(Debug, PartialEq)]
struct Restated {
    file: PathBuf,
    line: usize,
    text: String,
    option: String,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") && p.file_name().is_some_and(|n| n != "tests.rs") {
            out.push(p);
        }
    }
}

/// Whether `text` holds `word` with no identifier character on either side.
fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !ident(before) && !ident(after)
    })
}

/// The line with the contents of its string literals blanked (numbers in messages are prose).
fn without_strings(line: &str) -> String {
    let mut out = String::new();
    let (mut in_str, mut escaped) = (false, false);
    for c in line.chars() {
        match (in_str, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (_, false, '"') => {
                in_str = !in_str;
                out.push('"');
            }
            (true, false, _) => {}
            (false, _, _) => out.push(c),
        }
    }
    out
}

/// The places in `source` (the code before its test module) that write a default of the schema.
fn restated(file: &Path, source: &str) -> Vec<Restated> {
    let code = source.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        let lower = line.to_lowercase();
        for c in COMMANDS {
            for o in c.options {
                let Some(default) = o.default else { continue };
                let literal = match o.ty {
                    OptionType::Bool => continue,
                    OptionType::Int { .. } => has_word(&without_strings(line), default),
                    _ => line.contains(&format!("\"{default}\"")),
                };
                // A text default with punctuation (an address, a path) is distinctive anywhere.
                let distinctive = !matches!(o.ty, OptionType::Int { .. })
                    && default.chars().any(|ch| !ch.is_alphanumeric() && ch != '_');
                if literal && (distinctive || lower.contains(o.name)) {
                    out.push(Restated {
                        file: file.to_path_buf(),
                        line: n + 1,
                        text: line.trim().to_string(),
                        option: format!("{}.{}", c.name, o.name),
                    });
                }
            }
        }
    }
    out
}

#[test]
fn option_defaults_live_only_in_the_schema_tables() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in SOURCE_DIRS {
        rust_files(&here.join(dir), &mut files);
    }
    assert!(files.len() > 40, "the workspace's sources were found ({} files)", files.len());
    let schema = here.join(SCHEMA);
    let mut found = Vec::new();
    for f in files.iter().filter(|f| **f != schema) {
        let text = std::fs::read_to_string(f).expect("readable source");
        found.extend(restated(f, &text));
    }
    assert!(
        found.is_empty(),
        "option defaults written outside {SCHEMA} (read them through `settings`):\n{found:#?}"
    );
}

#[test]
fn the_check_finds_a_restated_default() {
    let file = Path::new("x.rs");
    let found = |src: &str| restated(file, src).into_iter().map(|r| r.option).collect::<Vec<_>>();
    assert_eq!(found("let port = o.int(\"port\").unwrap_or(8000);\n"), ["run.port"]);
    assert_eq!(found("    _ => \"127.0.0.1\".into(),\n"), ["run.host"]);
    assert_eq!(
        found("pub const DEFAULT_RESULTS_PREFIX: &str = \"cws-results/\";\n"),
        ["deploy.results_prefix"]
    );
    assert_eq!(found("memory: int(o.get(\"memory\")).unwrap_or(128),\n"), ["deploy.memory"]);
    // Not a default: another number, a comment, a test, a word that only contains the number.
    assert!(found("let port = 18000;\n// port 8000\n#[cfg(test)]\nlet port = 8000;\n").is_empty());
    assert!(found("let memory = 1280;\n").is_empty());
    assert!(found("\"the timeout is over 29 s\",\n").is_empty());
}
