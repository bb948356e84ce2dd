//! The arguments of `#[service(...)]` and `#[entry(...)]`, read from the text of the attribute's
//! parenthesised token tree. Both parsers hand that same text here, so they agree by construction.
//!
//! ```text
//! #[coworks::service(name = "billing")]
//! #[entry(path = "/users/{id}/orders", stage = "dev", stages = ["dev", "test"], no_auth,
//!         binary_headers = "application/pdf")]
//! ```

use serde::{Deserialize, Serialize};

use crate::suggest::closest;
use crate::text::ByteRange;

use super::decl::AttrError;

/// One argument of `#[entry(...)]` or `#[service(...)]`: the grammar's table, read by the parser's
/// messages and by the editor's completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArgSpec {
    /// The argument's name.
    pub name: &'static str,
    /// How it is written, for messages: `path = "/segment/{param}"`.
    pub form: &'static str,
    /// How an editor inserts it (LSP snippet syntax: `$1` where the value goes).
    pub snippet: &'static str,
    /// What it does.
    pub doc: &'static str,
}

/// The arguments of `#[entry(...)]`.
pub const ENTRY_ARGS: &[ArgSpec] = &[
    ArgSpec {
        name: "path",
        form: "`path = \"/segment/{param}\"`",
        snippet: "path = \"/$1\"",
        doc: "An explicit path instead of the one the method's name gives; its `{names}` are the method's path parameters.",
    },
    ArgSpec {
        name: "stage",
        form: "`stage = \"dev\"`",
        snippet: "stage = \"$1\"",
        doc: "Serve the entry only in this stage (repeatable).",
    },
    ArgSpec {
        name: "stages",
        form: "`stages = [\"dev\", \"test\"]`",
        snippet: "stages = [\"$1\"]",
        doc: "Serve the entry only in these stages.",
    },
    ArgSpec { name: "no_auth", form: "`no_auth` (no value)", snippet: "no_auth", doc: "Anyone may call the entry: no token is checked." },
    ArgSpec {
        name: "binary_headers",
        form: "`binary_headers` or `binary_headers = \"content/type\"`",
        snippet: "binary_headers = \"$1\"",
        doc: "The entry answers binary content of this type (`application/octet-stream` without a value).",
    },
    ArgSpec {
        name: "throttle",
        form: "`throttle = \"RATE/BURST\"` (`\"10/20\"`, `\"2.5\"`, `\"/20\"`)",
        snippet: "throttle = \"$1\"",
        doc: "API Gateway's rate (requests per second) and burst limits of the deployed entry; a stage's `route_throttle` overrides them.",
    },
];

/// The arguments of `#[service(...)]`.
pub const SERVICE_ARGS: &[ArgSpec] = &[
    ArgSpec {
        name: "name",
        form: "`name = \"service-name\"`",
        snippet: "name = \"$1\"",
        doc: "The service's name (default: the type's name in snake case).",
    },
    ArgSpec {
        name: "blueprints",
        form: "`blueprints(Admin = \"/admin\", ...)`",
        snippet: "blueprints($1 = \"/$2\")",
        doc: "Blueprints of the crate (`#[coworks::blueprint] impl Admin`) whose entries the service serves under a prefix.",
    },
];

/// Content types offered for `binary_headers = "..."`.
pub const COMMON_BINARY_TYPES: &[&str] = &[
    "application/octet-stream",
    "application/pdf",
    "application/zip",
    "application/gzip",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/svg+xml",
    "audio/mpeg",
    "video/mp4",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];

fn form(specs: &[ArgSpec], name: &str) -> &'static str {
    specs.iter().find(|a| a.name == name).map_or("", |a| a.form)
}

/// An unknown argument `key`; the closest name among those taking `fits` values is suggested.
fn unknown_arg(
    specs: &[ArgSpec],
    attr: &str,
    key: &str,
    range: ByteRange,
    fits: impl Fn(&str) -> bool,
) -> AttrError {
    let names: Vec<&str> = specs.iter().map(|a| a.name).collect();
    let expected = match names.as_slice() {
        [one] => form(specs, one).to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
        [] => String::new(),
    };
    let near = closest(key, names.iter().copied().filter(|n| fits(n)));
    let hint = near.map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
    AttrError {
        range,
        message: format!("unknown `#[{attr}]` argument `{key}`; expected {expected}{hint}"),
        replacement: near.map(str::to_string),
    }
}

/// A string value and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Located {
    /// The value.
    pub value: String,
    /// Its range (the literal, quotes included).
    pub range: ByteRange,
}

/// Arguments of `#[entry]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EntryArgs {
    /// `path = "..."`.
    pub path: Option<Located>,
    /// `stage = ".."` (repeatable) and `stages = [..]`, in order.
    pub stages: Vec<Located>,
    /// `no_auth`.
    pub no_auth: bool,
    /// `binary_headers` (octet-stream) or `binary_headers = "content/type"`.
    pub binary_content_type: Option<String>,
    /// `throttle = "RATE/BURST"`, as written.
    #[serde(default)]
    pub throttle: Option<Located>,
}

/// Arguments of `#[service]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ServiceArgs {
    /// `name = "..."`.
    pub name: Option<Located>,
    /// `blueprints(Admin = "/admin", ...)`, in order.
    #[serde(default)]
    pub blueprints: Vec<MountArg>,
}

/// One blueprint mounted by a service: `Admin = "/admin"` in `blueprints(...)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountArg {
    /// The blueprint's type name, and where it is written.
    pub blueprint: Located,
    /// The prefix its entries are served under (the literal, quotes included, for the range).
    pub prefix: Located,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Punct(char),
    Other,
}

/// Splits attribute-argument text into tokens with their byte ranges (relative to `base`).
fn tokenize(text: &str, base: usize) -> Vec<(Tok, ByteRange)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let tok = if c == b'"' || (c == b'r' && matches!(bytes.get(i + 1), Some(b'"' | b'#'))) {
            let (value, end) = read_string(text, i);
            i = end;
            match value {
                Some(v) => Tok::Str(v),
                None => Tok::Other,
            }
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] >= 0x80)
            {
                i += 1;
            }
            Tok::Ident(text[start..i].to_string())
        } else if c.is_ascii_digit() {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                i += 1;
            }
            Tok::Other
        } else {
            i += 1;
            Tok::Punct(c as char)
        };
        out.push((tok, ByteRange::new(base + start, base + i)));
    }
    out
}

/// Reads a string literal starting at `start` (`"..."` or `r#"..."#`); returns its value (None if
/// unterminated) and the index after it.
fn read_string(text: &str, start: usize) -> (Option<String>, usize) {
    let bytes = text.as_bytes();
    if bytes[start] == b'r' {
        let mut i = start + 1;
        let mut hashes = 0;
        while i < bytes.len() && bytes[i] == b'#' {
            hashes += 1;
            i += 1;
        }
        if bytes.get(i) != Some(&b'"') {
            return (None, i.max(start + 1));
        }
        let body_start = i + 1;
        let closing = format!("\"{}", "#".repeat(hashes));
        return match text[body_start..].find(&closing) {
            Some(p) => (Some(text[body_start..body_start + p].to_string()), body_start + p + closing.len()),
            None => (None, text.len()),
        };
    }
    let mut value = String::new();
    let mut chars = text[start + 1..].char_indices();
    while let Some((off, c)) = chars.next() {
        match c {
            '"' => return (Some(value), start + 1 + off + 1),
            '\\' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, 'r')) => value.push('\r'),
                Some((_, '0')) => value.push('\0'),
                Some((_, e)) => value.push(e),
                None => break,
            },
            c => value.push(c),
        }
    }
    (None, text.len())
}

/// One `key`, `key = "v"` or `key = ["a", "b"]` argument.
struct Arg {
    key: String,
    key_range: ByteRange,
    value: ArgValue,
}

enum ArgValue {
    Flag,
    Str(Located),
    List(Vec<Located>),
    /// `key(Name = "value", ...)`.
    Pairs(Vec<MountArg>),
    Bad(ByteRange),
}

/// Parses `( arg, arg, ... )` text (parentheses optional) at byte `base`.
fn parse_args(text: &str, base: usize, errors: &mut Vec<AttrError>) -> Vec<Arg> {
    let mut toks = tokenize(text, base);
    if matches!(toks.first(), Some((Tok::Punct('('), _))) && matches!(toks.last(), Some((Tok::Punct(')'), _)))
    {
        toks.remove(0);
        toks.pop();
    }
    let mut args = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let (tok, range) = &toks[i];
        let key = match tok {
            Tok::Ident(k) => k.clone(),
            Tok::Punct(',') => {
                i += 1;
                continue;
            }
            _ => {
                errors.push(AttrError::new(*range, "expected an argument name"));
                i = skip_to_comma(&toks, i);
                continue;
            }
        };
        let key_range = *range;
        i += 1;
        let value = if matches!(toks.get(i), Some((Tok::Punct('('), _))) {
            i += 1;
            pairs(&toks, &mut i)
        } else if matches!(toks.get(i), Some((Tok::Punct('='), _))) {
            i += 1;
            match toks.get(i) {
                Some((Tok::Str(s), r)) => {
                    i += 1;
                    ArgValue::Str(Located { value: s.clone(), range: *r })
                }
                Some((Tok::Punct('['), open)) => {
                    let open = *open;
                    i += 1;
                    let mut items = Vec::new();
                    let mut bad = None;
                    while let Some((t, r)) = toks.get(i) {
                        i += 1;
                        match t {
                            Tok::Punct(']') => break,
                            Tok::Punct(',') => {}
                            Tok::Str(s) => items.push(Located { value: s.clone(), range: *r }),
                            _ => bad = bad.or(Some(*r)),
                        }
                    }
                    match bad {
                        Some(r) => ArgValue::Bad(r),
                        None if items.is_empty() => ArgValue::Bad(open),
                        None => ArgValue::List(items),
                    }
                }
                Some((_, r)) => {
                    let r = *r;
                    i = skip_to_comma(&toks, i);
                    ArgValue::Bad(r)
                }
                None => ArgValue::Bad(key_range),
            }
        } else {
            ArgValue::Flag
        };
        if let Some((t, r)) = toks.get(i) {
            if *t != Tok::Punct(',') {
                errors.push(AttrError::new(*r, format!("expected `,` after `{key}`")));
                i = skip_to_comma(&toks, i);
            }
        }
        args.push(Arg { key, key_range, value });
    }
    args
}

/// Reads `Name = "value", ...)` from just after the `(`; `i` ends after the `)`.
fn pairs(toks: &[(Tok, ByteRange)], i: &mut usize) -> ArgValue {
    let mut out = Vec::new();
    let mut bad = None;
    loop {
        match (toks.get(*i), toks.get(*i + 1), toks.get(*i + 2)) {
            (Some((Tok::Punct(')'), _)), ..) => {
                *i += 1;
                break;
            }
            (Some((Tok::Punct(','), _)), ..) => *i += 1,
            (Some((Tok::Ident(name), nr)), Some((Tok::Punct('='), _)), Some((Tok::Str(v), vr))) => {
                let blueprint = Located { value: name.clone(), range: *nr };
                out.push(MountArg { blueprint, prefix: Located { value: v.clone(), range: *vr } });
                *i += 3;
            }
            (Some((_, r)), ..) => {
                bad = bad.or(Some(*r));
                *i += 1;
            }
            (None, ..) => {
                bad = bad.or(toks.last().map(|t| t.1));
                break;
            }
        }
    }
    match bad {
        Some(r) => ArgValue::Bad(r),
        None => ArgValue::Pairs(out),
    }
}

fn skip_to_comma(toks: &[(Tok, ByteRange)], mut i: usize) -> usize {
    while i < toks.len() && toks[i].0 != Tok::Punct(',') {
        i += 1;
    }
    i
}

/// Reads `#[entry(...)]` arguments. `text` is the parenthesised group (or empty for a bare `#[entry]`),
/// found at byte `base` of the file.
pub fn parse_entry_args(text: &str, base: usize, errors: &mut Vec<AttrError>) -> EntryArgs {
    let mut out = EntryArgs::default();
    for arg in parse_args(text, base, errors) {
        match (arg.key.as_str(), arg.value) {
            ("path", ArgValue::Str(v)) => out.path = Some(v),
            ("stage", ArgValue::Str(v)) => out.stages.push(v),
            ("stages", ArgValue::List(vs)) => out.stages.extend(vs),
            ("stages", ArgValue::Str(v)) => out.stages.push(v),
            ("no_auth", ArgValue::Flag) => out.no_auth = true,
            ("binary_headers", ArgValue::Flag) => {
                out.binary_content_type = Some("application/octet-stream".into())
            }
            ("binary_headers", ArgValue::Str(v)) => out.binary_content_type = Some(v.value),
            ("throttle", ArgValue::Str(v)) => out.throttle = Some(v),
            (k @ ("path" | "stage" | "stages" | "no_auth" | "binary_headers" | "throttle"), v) => {
                let range = match v {
                    ArgValue::Bad(r) => r,
                    _ => arg.key_range,
                };
                errors.push(AttrError::new(range, format!("`{k}` takes {}", form(ENTRY_ARGS, k))));
            }
            (k, v) => {
                let fits = |name: &str| match &v {
                    ArgValue::Flag => matches!(name, "no_auth" | "binary_headers"),
                    ArgValue::Str(_) => {
                        matches!(name, "path" | "stage" | "stages" | "binary_headers" | "throttle")
                    }
                    ArgValue::List(_) => name == "stages",
                    ArgValue::Pairs(_) => false,
                    ArgValue::Bad(_) => true,
                };
                errors.push(unknown_arg(ENTRY_ARGS, "entry", k, arg.key_range, fits))
            }
        }
    }
    out
}

/// Reads `#[service(...)]` arguments (see [`parse_entry_args`]).
pub fn parse_service_args(text: &str, base: usize, errors: &mut Vec<AttrError>) -> ServiceArgs {
    let mut out = ServiceArgs::default();
    for arg in parse_args(text, base, errors) {
        match (arg.key.as_str(), arg.value) {
            ("name", ArgValue::Str(v)) => out.name = Some(v),
            ("blueprints", ArgValue::Pairs(mounts)) => out.blueprints.extend(mounts),
            (k @ ("name" | "blueprints"), v) => errors.push(AttrError::new(
                if let ArgValue::Bad(r) = v { r } else { arg.key_range },
                format!("`{k}` takes {}", form(SERVICE_ARGS, k)),
            )),
            (k, _) => errors.push(unknown_arg(SERVICE_ARGS, "service", k, arg.key_range, |_| true)),
        }
    }
    out
}

/// Reads `#[blueprint(...)]` arguments: it takes none (a blueprint is named by its type).
pub fn parse_blueprint_args(text: &str, base: usize, errors: &mut Vec<AttrError>) {
    for arg in parse_args(text, base, errors) {
        let message = format!(
            "`#[blueprint]` takes no arguments (`{}`): a blueprint is named by its type, and mounted with `#[service(blueprints(Type = \"/prefix\"))]`",
            arg.key
        );
        errors.push(AttrError::new(arg.key_range, message));
    }
}

/// The arguments of `#[service(...)]`, or of `#[blueprint(...)]` (none) when `blueprint`.
pub fn service_or_blueprint_args(
    blueprint: bool,
    text: &str,
    base: usize,
    errors: &mut Vec<AttrError>,
) -> ServiceArgs {
    if blueprint {
        parse_blueprint_args(text, base, errors);
        ServiceArgs::default()
    } else {
        parse_service_args(text, base, errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(text: &str) -> (EntryArgs, Vec<AttrError>) {
        let mut errors = Vec::new();
        let args = parse_entry_args(text, 100, &mut errors);
        (args, errors)
    }

    #[test]
    fn reads_every_entry_argument() {
        let text = r#"(path = "/users/{id}", stage = "dev", stages = ["test", "prod",], no_auth, binary_headers = "application/pdf")"#;
        let (args, errors) = entry(text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(args.path.as_ref().map(|p| p.value.as_str()), Some("/users/{id}"));
        let p = args.path.unwrap();
        assert_eq!(p.range, ByteRange::new(100 + 8, 100 + 21));
        assert_eq!(args.stages.iter().map(|s| s.value.as_str()).collect::<Vec<_>>(), ["dev", "test", "prod"]);
        assert!(args.no_auth);
        assert_eq!(args.binary_content_type.as_deref(), Some("application/pdf"));
    }

    #[test]
    fn bare_and_empty_attributes_have_defaults() {
        assert_eq!(entry(""), (EntryArgs::default(), vec![]));
        assert_eq!(entry("()"), (EntryArgs::default(), vec![]));
        let (args, _) = entry("(binary_headers)");
        assert_eq!(args.binary_content_type.as_deref(), Some("application/octet-stream"));
    }
    #[test]
    fn throttle_takes_a_string() {
        let mut errors = Vec::new();
        let args = parse_entry_args(r#"(throttle = "2.5/10")"#, 0, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(args.throttle.map(|t| t.value).as_deref(), Some("2.5/10"));
        let t = crate::model::Throttle::attribute("2.5/10");
        assert_eq!((t.rate.as_deref(), t.burst.as_deref()), (Some("2.5"), Some("10")));
        let t = crate::model::Throttle::attribute("/10");
        assert_eq!((t.rate, t.burst.as_deref()), (None, Some("10")));
        let _ = parse_entry_args("(throttle = 5)", 0, &mut errors);
        assert!(errors[0].message.contains("`throttle` takes"), "{errors:?}");
        errors.clear();
        let _ = parse_entry_args(r#"(throttel = "5")"#, 0, &mut errors);
        assert_eq!(errors[0].replacement.as_deref(), Some("throttle"));
    }

    #[test]
    fn strings_unescape_and_raw_strings_work() {
        let (args, errors) = entry(r##"(path = r#"/a/{b}"#, stage = "d\"v")"##);
        assert!(errors.is_empty());
        assert_eq!(args.path.unwrap().value, "/a/{b}");
        assert_eq!(args.stages[0].value, "d\"v");
    }

    #[test]
    fn bad_arguments_are_errors_at_the_right_place() {
        let (_, errors) = entry("(methd = \"GET\")");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].range, ByteRange::new(101, 106));
        assert!(errors[0].message.contains("unknown `#[entry]` argument `methd`"));
        let (_, errors) = entry("(path = 42, no_auth = \"yes\", stages = [1])");
        assert_eq!(errors.len(), 3, "{errors:?}");
        let (_, errors) = entry("(stags = [\"dev\"], no_aut, pth = \"/x\")");
        let near: Vec<Option<&str>> = errors.iter().map(|e| e.replacement.as_deref()).collect();
        assert_eq!(near, [Some("stages"), Some("no_auth"), Some("path")]);
        let (_, errors) = entry("(path = \"/x\" stage = \"dev\")");
        assert!(errors[0].message.contains("expected `,`"));
        let (_, errors) = entry("(\"x\", path = \"unterminated)");
        assert_eq!(errors.len(), 2, "{errors:?}");
    }

    #[test]
    fn service_names() {
        let mut errors = Vec::new();
        let args = parse_service_args("(name = \"billing\")", 0, &mut errors);
        assert_eq!(args.name.unwrap().value, "billing");
        parse_service_args("(nom = \"x\", name)", 0, &mut errors);
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn blueprint_mounts() {
        let mut errors = Vec::new();
        let text = r#"(name = "shop", blueprints(Admin = "/admin", Health = "/v1/health",))"#;
        let args = parse_service_args(text, 10, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        let mounts: Vec<(&str, &str)> =
            args.blueprints.iter().map(|m| (m.blueprint.value.as_str(), m.prefix.value.as_str())).collect();
        assert_eq!(mounts, [("Admin", "/admin"), ("Health", "/v1/health")]);
        assert_eq!(args.blueprints[0].blueprint.range, ByteRange::new(10 + 27, 10 + 32));
        assert_eq!(args.name.map(|n| n.value).as_deref(), Some("shop"));
        // The macro hands over the tokens' text, spaced.
        let args = parse_service_args(r#"blueprints (Admin = "/admin")"#, 0, &mut errors);
        assert!(errors.is_empty() && args.blueprints.len() == 1, "{errors:?}");
        for bad in [r#"(blueprints = "Admin")"#, r#"(blueprints(Admin))"#, r#"(blueprints(Admin = 1))"#] {
            errors.clear();
            let args = parse_service_args(bad, 0, &mut errors);
            assert!(args.blueprints.is_empty(), "{bad}");
            assert!(
                errors.len() == 1 && errors[0].message.contains("`blueprints` takes"),
                "{bad}: {errors:?}"
            );
        }
        errors.clear();
        parse_blueprint_args("(name = \"x\")", 0, &mut errors);
        assert!(errors[0].message.contains("takes no arguments"), "{errors:?}");
        errors.clear();
        parse_blueprint_args("", 0, &mut errors);
        assert!(errors.is_empty());
    }
}
