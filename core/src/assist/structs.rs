//! The structs of a service's crate that requests and answers carry: an entry's body type and the
//! type it returns, and their fields (for completion in workflow `json:` and `{{ tasks.x.body. }}`,
//! and for hovers). Read from the texts the project holds, on demand.

use std::path::Path;

use syn::spanned::Spanned;

use crate::model::{Entry, ParamSource};
use crate::project::Project;
use crate::rust_source::decl::{join_doc_values, squash};

/// A field of a struct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Its name (as serialised: `r#` dropped, `#[serde(rename = "..")]` applied).
    pub name: String,
    /// Its type as written (whitespace removed).
    pub ty: String,
    /// Its doc comment.
    pub docs: String,
}

/// The name of the struct a type carries, through the wrappers answers and bodies use:
/// `Result<Json<Invoice>, Error>` → `Invoice`, `(StatusCode, Json<Invoice>)` → `Invoice`,
/// `Option<Box<X>>` → `X`. `None` for lists, maps and scalars.
pub fn carried_struct(ty: &str) -> Option<String> {
    let ty = squash(ty);
    let mut ty = ty.as_str();
    loop {
        ty = ty.trim_start_matches('&').trim_start_matches("'static");
        if let Some(inner) = ty.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
            ty = split_top(inner).last().copied().filter(|t| !t.is_empty())?;
            continue;
        }
        let (head, args) = match ty.find('<') {
            Some(i) if ty.ends_with('>') => (&ty[..i], Some(&ty[i + 1..ty.len() - 1])),
            _ => (ty, None),
        };
        let name = head.rsplit("::").next().unwrap_or(head);
        match (name, args) {
            ("Result" | "Json" | "Option" | "Box" | "Arc" | "Rc", Some(a)) => {
                ty = split_top(a).first().copied()?;
            }
            (_, Some(_)) => return None,
            (n, None) => {
                let scalar = n.is_empty()
                    || n.starts_with(|c: char| c.is_lowercase())
                    || matches!(n, "String" | "Value" | "Bytes" | "StatusCode" | "Response");
                return (!scalar).then(|| n.to_string());
            }
        }
    }
}

/// `a,b<c,d>,e` split at its top-level commas.
fn split_top(s: &str) -> Vec<&str> {
    let (mut depth, mut from, mut out) = (0i32, 0, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[from..]);
    out
}

/// The return type of an entry, as written after `->` in its signature (whitespace removed).
pub fn return_type(project: &Project, e: &Entry) -> Option<String> {
    let text = project.source(&e.item.file)?.text();
    let sig = signature(text, e.location.span.end.offset, e.item.span.end.offset)?;
    let arrow = top_level_arrow(sig)?;
    let ret = sig[arrow + 2..].trim();
    let ret = ret.split(" where ").next().unwrap_or(ret);
    Some(squash(ret))
}

/// The signature of a method whose name ends at `from`: up to its body's `{` (or `;`), at depth 0.
pub fn signature(text: &str, from: usize, to: usize) -> Option<&str> {
    let area = text.get(from..to.min(text.len()))?;
    let mut depth = 0i32;
    for (i, c) in area.char_indices() {
        match c {
            '(' | '[' | '<' => depth += 1,
            ')' | ']' => depth -= 1,
            '>' if !area[..i].ends_with('-') => depth -= 1,
            '{' | ';' if depth <= 0 => return Some(&area[..i]),
            _ => {}
        }
    }
    None
}

fn top_level_arrow(sig: &str) -> Option<usize> {
    let mut depth = 0i32;
    for (i, c) in sig.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            '-' if depth == 0 && sig[i..].starts_with("->") => return Some(i),
            _ => {}
        }
    }
    None
}

/// The struct an entry answers with, if it is one of the crate's.
pub fn answer_struct(project: &Project, e: &Entry) -> Option<String> {
    carried_struct(&return_type(project, e)?)
}

/// The struct an entry's `#[body]` is, if any.
pub fn body_struct(e: &Entry) -> Option<String> {
    carried_struct(&e.params.iter().find(|p| p.source == ParamSource::Body)?.ty)
}

/// The fields of the struct `name` defined in the crate at `crate_dir` (the first found), with
/// the file it is in.
pub fn fields(project: &Project, crate_dir: &Path, name: &str) -> Option<Vec<Field>> {
    let needle = format!("struct {name}");
    for model in project.rust_files().filter(|m| m.crate_dir == crate_dir) {
        let Some(text) = project.source(&model.file).map(|s| s.text()) else { continue };
        for (at, _) in text.match_indices(&needle) {
            let after = text[at + needle.len()..].chars().next();
            if after.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            if let Some(fields) = parse_struct(text, at) {
                return Some(fields);
            }
        }
    }
    None
}

/// The named fields of the struct whose `struct` keyword is at byte `at` of `text`.
fn parse_struct(text: &str, at: usize) -> Option<Vec<Field>> {
    let open = at + text[at..].find(['{', ';', '('])?;
    if text.as_bytes()[open] != b'{' {
        return None;
    }
    let mut depth = 0usize;
    let mut close = None;
    for (i, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(open + i);
                    break;
                }
            }
            _ => {}
        }
    }
    let source = text.get(at..close? + 1)?;
    let parsed = syn::parse_str::<syn::ItemStruct>(source).ok().map(|item| named_fields(source, &item));
    // proc-macro2 keeps every parsed text for span lookups: drop this one.
    proc_macro2::extra::invalidate_current_thread_spans();
    parsed.flatten()
}

fn named_fields(source: &str, item: &syn::ItemStruct) -> Option<Vec<Field>> {
    let syn::Fields::Named(named) = &item.fields else { return None };
    Some(
        named
            .named
            .iter()
            .filter_map(|f| {
                let ident = f.ident.as_ref()?.to_string();
                let mut name = ident.strip_prefix("r#").unwrap_or(&ident).to_string();
                let mut docs = Vec::new();
                for a in &f.attrs {
                    if a.path().is_ident("doc") {
                        if let syn::Meta::NameValue(nv) = &a.meta {
                            if let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) = &nv.value {
                                docs.push(s.value());
                            }
                        }
                    } else if a.path().is_ident("serde") {
                        let _ = a.parse_nested_meta(|m| {
                            if m.path.is_ident("rename") {
                                if let Ok(v) = m.value().and_then(|v| v.parse::<syn::LitStr>()) {
                                    name = v.value();
                                }
                            } else if m.input.peek(syn::Token![=]) {
                                let _ = m.value().and_then(|v| v.parse::<syn::Expr>());
                            }
                            Ok(())
                        });
                    }
                }
                let r = f.ty.span().byte_range();
                let ty = squash(source.get(r.start..r.end).unwrap_or(""));
                Some(Field { name, ty, docs: join_doc_values(&docs) })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_carry_their_struct_through_wrappers() {
        for (ty, want) in [
            ("Result<Json<Invoice>, Error>", Some("Invoice")),
            ("(StatusCode, Json<Invoice>)", Some("Invoice")),
            ("Result<(StatusCode, Json<crate::model::Invoice>), Error>", Some("Invoice")),
            ("Json<Vec<Invoice>>", None),
            ("Vec<u8>", None),
            ("&'static str", None),
            ("String", None),
            ("NewInvoice", Some("NewInvoice")),
            ("Option<Box<Mail>>", Some("Mail")),
        ] {
            assert_eq!(carried_struct(ty).as_deref(), want, "{ty}");
        }
    }

    #[test]
    fn signatures_end_at_the_body() {
        let text = "fn get_x(&self, a: Vec<u8>) -> Result<Json<X>, E> where X: Y { 1 }";
        let sig = signature(text, 8, text.len()).unwrap();
        assert!(sig.ends_with("where X: Y "), "{sig}");
        assert_eq!(&sig[top_level_arrow(sig).unwrap()..top_level_arrow(sig).unwrap() + 2], "->");
        let fields = parse_struct(
            "pub struct A {\n    /// The id.\n    pub id: u64,\n    #[serde(rename = \"type\", default)]\n    pub r#kind: Option<String>,\n}",
            4,
        )
        .unwrap();
        assert_eq!(fields[0], Field { name: "id".into(), ty: "u64".into(), docs: "The id.".into() });
        assert_eq!((fields[1].name.as_str(), fields[1].ty.as_str()), ("type", "Option<String>"));
    }
}
