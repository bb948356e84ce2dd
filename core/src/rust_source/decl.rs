//! What a Rust file declares, as both parsers see it: the exact one (`syn`) and the tolerant one
//! (tree-sitter) produce these same values for a valid file, byte ranges included.

use serde::{Deserialize, Serialize};

use crate::text::ByteRange;

use super::attrs::{EntryArgs, ServiceArgs};

/// A problem with an attribute's arguments, found while reading a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttrError {
    /// Where.
    pub range: ByteRange,
    /// What is wrong.
    pub message: String,
    /// The text that probably belongs at `range` (a misspelt argument's closest name), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
}

impl AttrError {
    /// A problem at `range`.
    pub fn new(range: ByteRange, message: impl Into<String>) -> Self {
        AttrError { range, message: message.into(), replacement: None }
    }
}

/// How a parameter is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParamKind {
    /// No CoWorks attribute: a path segment.
    Plain,
    /// `#[query]`.
    Query,
    /// `#[body]`.
    Body,
    /// The request context: `ctx: &Context` (`coworks::Context`) or a parameter marked
    /// `#[context]`. Not part of the route: no path, query or body value.
    Context,
}

/// How a parameter with these attribute paths and this type (as [`type_text`] writes it) is
/// read: `#[query]`, `#[body]`, `#[context]` or a `Context` type (`&Context`,
/// `&coworks::Context`, `Context`) — the one rule both parsers and the macro apply.
pub fn param_kind<'a>(attr_paths: impl IntoIterator<Item = &'a str>, ty: &str) -> ParamKind {
    let mut kind = if is_context_type(ty) { ParamKind::Context } else { ParamKind::Plain };
    for path in attr_paths {
        if is_coworks_attr(path, "query") {
            kind = ParamKind::Query;
        } else if is_coworks_attr(path, "body") {
            kind = ParamKind::Body;
        } else if is_coworks_attr(path, "context") {
            kind = ParamKind::Context;
        }
    }
    kind
}

/// Whether a type's text names the runtime's request context (`&Context`, `&'a coworks::Context`,
/// `Context`).
pub fn is_context_type(ty: &str) -> bool {
    let t = type_text(ty);
    let t = t.strip_prefix('&').unwrap_or(&t);
    // A lifetime (`&'a Context`): `type_text` keeps the space after it.
    let t = match t.strip_prefix('\'') {
        Some(rest) => rest.split_once(' ').map_or("", |(_, ty)| ty),
        None => t,
    };
    let t = squash(t);
    let t = t.strip_prefix("::").unwrap_or(&t);
    let t = t.strip_prefix("coworks::").unwrap_or(t);
    matches!(t, "Context" | "context::Context")
}

/// Whether a context parameter's type is taken by value (`Context` rather than `&Context`).
pub fn is_owned_context(ty: &str) -> bool {
    !squash(ty).starts_with('&')
}

/// A parameter of an entry method (not `self`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamDecl {
    /// The binding name (the pattern's text when it is not a plain identifier).
    pub name: String,
    /// The type's text with all whitespace removed.
    pub ty: String,
    /// How it is marked.
    pub kind: ParamKind,
    /// The whole parameter, attributes included.
    pub range: ByteRange,
    /// The type.
    pub ty_range: ByteRange,
}

/// A method marked `#[entry]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryDecl {
    /// The method name as written (`r#` kept).
    pub name: String,
    /// The name's range.
    pub name_range: ByteRange,
    /// The whole method, attributes and doc comments included.
    pub range: ByteRange,
    /// The `#[entry ...]` attribute.
    pub attr_range: ByteRange,
    /// Arguments of the attribute.
    pub args: EntryArgs,
    /// Whether the method is `async`.
    pub is_async: bool,
    /// Whether it has a `self` receiver.
    pub has_self: bool,
    /// Its doc comment, lines joined by `\n`.
    pub docs: String,
    /// Its parameters without `self`.
    pub params: Vec<ParamDecl>,
}

/// An `impl` block marked as a microservice (`#[service]`), or as a blueprint (`#[blueprint]`): a
/// reusable set of entries that services of the crate mount under a prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDecl {
    /// Whether it is a blueprint (`#[blueprint]`) rather than a service; a blueprint's `args` are
    /// empty.
    #[serde(default)]
    pub blueprint: bool,
    /// The implemented type's name (last path segment, generics dropped).
    pub type_name: String,
    /// The type's range in `impl Type`.
    pub type_range: ByteRange,
    /// The whole `impl` block, attributes and doc comments included.
    pub range: ByteRange,
    /// Arguments of the `#[service]` attribute.
    pub args: ServiceArgs,
    /// The doc comment of the `impl` block.
    pub docs: String,
    /// Its entries, in source order.
    pub entries: Vec<EntryDecl>,
    /// Its hooks (`before`, `after`: methods without `#[entry]` named like one), in source order.
    #[serde(default)]
    pub hooks: Vec<super::hooks::HookDecl>,
}

/// Everything CoWorks reads from one Rust file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FileDecls {
    /// Microservice `impl` blocks, in source order.
    pub services: Vec<ServiceDecl>,
    /// Problems with attribute arguments.
    pub attr_errors: Vec<AttrError>,
}

/// Joins doc-comment lines the way rustdoc sees them: one leading space dropped, lines joined by `\n`.
pub fn join_doc_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> String {
    lines
        .into_iter()
        .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end())
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// Joins doc values (one per `///` line, `/** */` block or `#[doc = ".."]`), which may hold several
/// lines each. Blank lines are kept: they separate paragraphs.
pub fn join_doc_values<S: AsRef<str>>(values: &[S]) -> String {
    join_doc_lines(values.iter().flat_map(|v| v.as_ref().split('\n')))
}

/// A type as written, in one canonical layout whatever the source's (or a token stream's) spacing:
/// one space between two words (`&'static str`, `dyn Error`), one after `,` and `;`, none elsewhere
/// (`Option<Vec<u8>>`, `(u32, String)`). Every reader and the macro write types with it, so types
/// compare equal across faces.
pub fn type_text(s: &str) -> String {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(s.len());
    let mut spaced = false;
    for c in s.chars() {
        if c.is_whitespace() {
            spaced = true;
            continue;
        }
        if let Some(prev) = out.chars().next_back() {
            let between_words = spaced && word(prev) && word(c);
            let after_separator = matches!(prev, ',' | ';') && !matches!(c, ')' | '>' | ']');
            if between_words || after_separator {
                out.push(' ');
            }
        }
        out.push(c);
        spaced = false;
    }
    out
}

/// Removes all whitespace (attribute paths and patterns are compared without layout).
pub fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Whether an attribute path (`entry`, `coworks::entry`, `::coworks::entry`) names CoWorks' `want`.
pub fn is_coworks_attr(path: &str, want: &str) -> bool {
    let path = squash(path);
    let path = path.strip_prefix("::").unwrap_or(&path);
    path == want || path.strip_prefix("coworks::") == Some(want)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_parameters_by_type_or_attribute() {
        for ty in
            ["&Context", "& Context", "&'a Context", "&coworks::Context", "&::coworks::Context", "Context"]
        {
            assert_eq!(param_kind([], &type_text(ty)), ParamKind::Context, "{ty}");
        }
        for ty in ["&MyContext", "u64", "&str", "Contexts", "&other::Context"] {
            assert_eq!(param_kind([], &type_text(ty)), ParamKind::Plain, "{ty}");
        }
        assert_eq!(param_kind(["context"], "&Req"), ParamKind::Context);
        assert_eq!(param_kind(["coworks::context"], "&Req"), ParamKind::Context);
        assert_eq!(param_kind(["query"], "u32"), ParamKind::Query);
        assert_eq!(param_kind(["body"], "Item"), ParamKind::Body);
        assert!(is_owned_context("Context") && !is_owned_context("&Context"));
    }

    #[test]
    fn doc_values_keep_paragraph_breaks() {
        assert_eq!(join_doc_values(&[" First.", "", " Second.", " b\n c "]), "First.\n\nSecond.\nb\nc");
        assert_eq!(join_doc_values::<&str>(&[]), "");
    }

    #[test]
    fn types_keep_the_spaces_words_need() {
        for (written, text) in [
            ("&'static str", "&'static str"),
            ("& 'static str", "&'static str"),
            ("Option < Vec < u8 > >", "Option<Vec<u8>>"),
            ("(u32,String)", "(u32, String)"),
            ("( u32 , String , )", "(u32, String,)"),
            ("[u8 ; 4]", "[u8; 4]"),
            ("Box<dyn std::error::Error + Send>", "Box<dyn std::error::Error+Send>"),
            ("&mut\n  Vec<u8>", "&mut Vec<u8>"),
            ("HashMap<String,u32>", "HashMap<String, u32>"),
        ] {
            assert_eq!(type_text(written), text, "{written:?}");
            assert_eq!(type_text(&type_text(written)), text, "stable: {written:?}");
        }
    }
}
