//! The structs of a service's crate that requests and answers carry: an entry's body type and the
//! type it returns, and their fields (for completion in workflow `json:` and `{{ tasks.x.body. }}`,
//! and for hovers). Read from the texts the project holds, on demand.

use std::path::Path;

use crate::model::{Entry, ParamSource};
use crate::project::Project;
use crate::rust_source::decl::{join_doc_values, squash, type_text};

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

/// A struct or enum of a service's crate as serde reads and writes it (serde's own reading of
/// its `#[serde(...)]` attributes, from `serde_derive_internals`). Names are those serde writes;
/// types are texts in [`type_text`]'s layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerdeType {
    /// The Rust name.
    pub name: String,
    /// Its doc comment.
    pub docs: String,
    /// Whether it has generic parameters (its fields then name them).
    pub generic: bool,
    /// Its shape.
    pub shape: Shape,
}

/// The shape of a [`SerdeType`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// Named fields: a JSON object.
    Struct {
        /// The fields serde reads or writes (`skip` ones left out).
        fields: Vec<SerdeField>,
        /// `#[serde(deny_unknown_fields)]`.
        deny_unknown_fields: bool,
    },
    /// A type serialised as another (a newtype struct, `#[serde(transparent)]`).
    Alias(String),
    /// A tuple struct: a JSON array of these types.
    Tuple(Vec<String>),
    /// A unit struct: `null`.
    Unit,
    /// An enum.
    Enum {
        /// How variants are told apart.
        tagging: Tagging,
        /// Its variants (`skip` ones left out).
        variants: Vec<SerdeVariant>,
    },
}

/// How an enum's variants are written (serde's enum representations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tagging {
    /// `{"Variant": ...}`, a unit variant as `"Variant"` (the default).
    External,
    /// `#[serde(tag = "t")]`: `{"t": "Variant", ...fields}`.
    Internal(String),
    /// `#[serde(tag = "t", content = "c")]`: `{"t": "Variant", "c": ...}`.
    Adjacent(String, String),
    /// `#[serde(untagged)]`: the variant's content alone.
    Untagged,
}

/// A field of a struct or of a struct variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerdeField {
    /// Its name as serde writes it.
    pub name: String,
    /// Its type.
    pub ty: String,
    /// Its doc comment.
    pub docs: String,
    /// Whether a reader may leave it out: `default` (on it or its container), `Option`,
    /// `skip_serializing_if`, or skipped in one direction.
    pub optional: bool,
    /// `#[serde(flatten)]`: its fields are the container's.
    pub flatten: bool,
}

/// A variant of an enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerdeVariant {
    /// Its name as serde writes it.
    pub name: String,
    /// Its doc comment.
    pub docs: String,
    /// What it holds.
    pub content: VariantContent,
}

/// What an enum variant holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VariantContent {
    /// Nothing.
    Unit,
    /// One value of this type.
    Newtype(String),
    /// Several values: a JSON array.
    Tuple(Vec<String>),
    /// Named fields: a JSON object.
    Struct(Vec<SerdeField>),
}

/// The struct or enum `name` defined in the crate at `crate_dir` (the first found), as serde sees it.
/// A file that parses is read whole (the type's attributes included); one that does not, from the
/// type's keyword to its closing brace.
pub fn serde_type(project: &Project, crate_dir: &Path, name: &str) -> Option<SerdeType> {
    for model in project.crate_files(crate_dir) {
        let Some(text) = project.source(&model.file).map(|s| s.text()) else { continue };
        let found = definition(text, name).and_then(|item| read_serde(&item));
        // proc-macro2 keeps every parsed text for span lookups: drop this one.
        proc_macro2::extra::invalidate_current_thread_spans();
        if found.is_some() {
            return found;
        }
    }
    None
}

/// Where `struct name` / `enum name` is written in `text` (the keyword's offsets).
fn keyword_offsets<'a>(text: &'a str, name: &'a str) -> impl Iterator<Item = usize> + 'a {
    ["struct", "enum"].into_iter().flat_map(move |kw| {
        let needle = format!("{kw} {name}");
        text.match_indices(&needle)
            .map(|(at, _)| at)
            .filter(|at| {
                let after = text[at + needle.len()..].chars().next();
                let before = text[..*at].chars().next_back();
                !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    && !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
            .collect::<Vec<_>>()
    })
}

/// Whether `syn` (recursive descent) may read `text`: not nested too deeply for the stack (the
/// analysis's own rule).
pub fn trusted_with_syn(text: &str) -> bool {
    crate::rust_source::analyze::max_nesting(text) <= crate::rust_source::analyze::MAX_NESTING_FOR_SYN
}

/// The definition of `name` in `text`, if the text has one.
fn definition(text: &str, name: &str) -> Option<syn::DeriveInput> {
    keyword_offsets(text, name).next()?;
    if trusted_with_syn(text) {
        if let Ok(file) = syn::parse_file(text) {
            return find_item(&file.items, name);
        }
    }
    keyword_offsets(text, name).find_map(|at| item_at(text, at))
}

fn find_item(items: &[syn::Item], name: &str) -> Option<syn::DeriveInput> {
    items.iter().find_map(|item| match item {
        syn::Item::Struct(s) if s.ident == name => Some(syn::DeriveInput::from(s.clone())),
        syn::Item::Enum(e) if e.ident == name => Some(syn::DeriveInput::from(e.clone())),
        syn::Item::Mod(m) => m.content.as_ref().and_then(|(_, items)| find_item(items, name)),
        _ => None,
    })
}

/// The struct or enum whose keyword is at byte `at` of `text`, up to its closing brace (or `;`).
fn item_at(text: &str, at: usize) -> Option<syn::DeriveInput> {
    let open = at + text[at..].find(['{', ';', '('])?;
    let end = if text.as_bytes()[open] == b'{' {
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
        close?
    } else {
        open + text[open..].find(';')?
    };
    let source = text.get(at..end + 1)?;
    trusted_with_syn(source).then(|| syn::parse_str::<syn::DeriveInput>(source).ok()).flatten()
}

fn docs_of(attrs: &[syn::Attribute]) -> String {
    let docs: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value: syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }),
                ..
            }) => Some(s.value()),
            _ => None,
        })
        .collect();
    join_doc_values(&docs)
}

fn ty_text(ty: &syn::Type) -> String {
    type_text(&quote::ToTokens::to_token_stream(ty).to_string())
}

/// serde's reading of a type definition.
fn read_serde(item: &syn::DeriveInput) -> Option<SerdeType> {
    use serde_derive_internals::{ast, attr, Ctxt, Derive};
    let cx = Ctxt::new();
    let container = ast::Container::from_ast(&cx, item, Derive::Serialize);
    let read = container.map(|c| {
        let container_default = !c.attrs.default().is_none();
        let field = |f: &ast::Field| {
            let ty = ty_text(f.ty);
            let a = &f.attrs;
            let is_option = wrapper(&ty, "Option").is_some();
            (!(a.skip_serializing() && a.skip_deserializing())).then(|| SerdeField {
                name: a.name().serialize_name().to_string(),
                docs: docs_of(&f.original.attrs),
                optional: container_default
                    || !a.default().is_none()
                    || is_option
                    || a.skip_serializing_if().is_some()
                    || a.skip_serializing()
                    || a.skip_deserializing(),
                flatten: a.flatten(),
                ty,
            })
        };
        let shape = match &c.data {
            ast::Data::Struct(style, fields) => {
                let kept: Vec<&ast::Field> = fields
                    .iter()
                    .filter(|f| !(f.attrs.skip_serializing() && f.attrs.skip_deserializing()))
                    .collect();
                match style {
                    _ if c.attrs.transparent() && kept.len() == 1 => Shape::Alias(ty_text(kept[0].ty)),
                    ast::Style::Struct => Shape::Struct {
                        fields: fields.iter().filter_map(field).collect(),
                        deny_unknown_fields: c.attrs.deny_unknown_fields(),
                    },
                    ast::Style::Newtype => Shape::Alias(ty_text(fields[0].ty)),
                    ast::Style::Tuple => Shape::Tuple(kept.iter().map(|f| ty_text(f.ty)).collect()),
                    ast::Style::Unit => Shape::Unit,
                }
            }
            ast::Data::Enum(variants) => Shape::Enum {
                tagging: match c.attrs.tag() {
                    attr::TagType::External => Tagging::External,
                    attr::TagType::Internal { tag } => Tagging::Internal(tag.clone()),
                    attr::TagType::Adjacent { tag, content } => {
                        Tagging::Adjacent(tag.clone(), content.clone())
                    }
                    attr::TagType::None => Tagging::Untagged,
                },
                variants: variants
                    .iter()
                    .filter(|v| !(v.attrs.skip_serializing() && v.attrs.skip_deserializing()))
                    .map(|v| SerdeVariant {
                        name: v.attrs.name().serialize_name().to_string(),
                        docs: docs_of(&v.original.attrs),
                        content: match v.style {
                            ast::Style::Unit => VariantContent::Unit,
                            ast::Style::Newtype => VariantContent::Newtype(ty_text(v.fields[0].ty)),
                            ast::Style::Tuple => {
                                VariantContent::Tuple(v.fields.iter().map(|f| ty_text(f.ty)).collect())
                            }
                            ast::Style::Struct => {
                                VariantContent::Struct(v.fields.iter().filter_map(field).collect())
                            }
                        },
                    })
                    .collect(),
            },
        };
        SerdeType {
            name: c.ident.to_string(),
            docs: docs_of(&item.attrs),
            generic: !item.generics.params.is_empty(),
            shape,
        }
    });
    // serde's checks (say, `flatten` in a tuple struct) are the compiler's to report.
    let _ = cx.check();
    read
}

/// The type inside `Name<T>` (any path ending in `Name`), for a type text.
pub fn wrapper<'a>(ty: &'a str, name: &str) -> Option<&'a str> {
    let (head, args) = ty.split_once('<')?;
    let head = head.trim();
    (head.rsplit("::").next() == Some(name)).then_some(())?;
    args.trim_end().strip_suffix('>').map(str::trim)
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
        let text = "mod m { #[derive(Serialize)]\n#[serde(rename_all = \"camelCase\")]\npub struct A {\n    /// The id.\n    pub user_id: u64,\n    #[serde(rename = \"type\", default)]\n    pub r#kind: Option<String>,\n    #[serde(skip)]\n    pub secret: String,\n} }";
        let t = definition(text, "A").and_then(|d| read_serde(&d)).unwrap();
        let Shape::Struct { fields, .. } = t.shape else { panic!("{t:?}") };
        let names: Vec<(&str, &str, bool)> =
            fields.iter().map(|f| (f.name.as_str(), f.ty.as_str(), f.optional)).collect();
        assert_eq!(names, [("userId", "u64", false), ("type", "Option<String>", true)]);
        assert_eq!(fields[0].docs, "The id.");
        // A file that does not parse: the type is read from its keyword.
        let broken = format!("fn x( {{\n{}", &text[8..text.len() - 2]);
        let t = definition(&broken, "A").and_then(|d| read_serde(&d)).unwrap();
        let Shape::Struct { fields, .. } = t.shape else { panic!("{t:?}") };
        assert_eq!(fields[0].name, "user_id", "without its attributes: {fields:?}");
        let e = "#[serde(tag = \"kind\", rename_all = \"snake_case\")] enum E { OneThing, #[serde(skip)] Hidden, Other { x: u8 } }";
        let t = definition(e, "E").and_then(|d| read_serde(&d)).unwrap();
        let Shape::Enum { tagging, variants } = t.shape else { panic!("{t:?}") };
        assert_eq!(tagging, Tagging::Internal("kind".into()));
        let names: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["one_thing", "other"]);
        assert_eq!(wrapper("std::option::Option<u8>", "Option"), Some("u8"));
        assert_eq!(wrapper("Vec<u8>", "Option"), None);
    }
}
