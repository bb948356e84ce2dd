//! The structs of a service's crate that requests and answers carry: an entry's body type and the
//! type it returns, and their fields (for completion in workflow `json:` and `{{ tasks.x.body. }}`,
//! and for hovers). Read from the texts the project holds, on demand.

use std::path::Path;

use crate::model::{Entry, ParamSource};
use crate::project::Project;
use crate::rust_source::decl::{squash, type_text};
use crate::rust_source::serde_types::{defined, SerdeType, Shape};

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
    return_type_text(project, e).map(|t| squash(&t))
}

/// The return type of an entry, as written after `->` in its signature, in [`type_text`]'s layout.
pub fn return_type_text(project: &Project, e: &Entry) -> Option<String> {
    let text = project.source(&e.item.file)?.text();
    let sig = signature(text, e.location.span.end.offset, e.item.span.end.offset)?;
    let arrow = top_level_arrow(sig)?;
    let ret = sig[arrow + 2..].trim();
    let ret = ret.split(" where ").next().unwrap_or(ret);
    Some(type_text(ret))
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

/// The fields of the struct `name` defined in the crate at `crate_dir` (the first found), named
/// as serde names them (`rename_all`, `rename`; skipped fields left out).
pub fn fields(project: &Project, crate_dir: &Path, name: &str) -> Option<Vec<Field>> {
    match serde_type(project, crate_dir, name)?.shape {
        Shape::Struct { fields, .. } => Some(
            fields
                .into_iter()
                .filter(|f| !f.flatten)
                .map(|f| Field { name: f.name, ty: squash(&f.ty), docs: f.docs })
                .collect(),
        ),
        _ => None,
    }
}

/// The struct or enum `name` defined in the crate at `crate_dir` (the first found, in path order),
/// as serde sees it. Only the files writing `struct name` or `enum name` are read
/// ([`Project::type_files`]). A file that parses is read whole (the type's attributes included),
/// once per text of the file ([`FileTypes`](crate::rust_source::serde_types::FileTypes)); one that
/// does not, from the type's keyword to its closing brace.
pub fn serde_type(project: &Project, crate_dir: &Path, name: &str) -> Option<SerdeType> {
    project.type_files(crate_dir, name).find_map(|model| {
        let text = project.source(&model.file)?.text();
        defined(&model.types, text, name)
    })
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
    }
}
