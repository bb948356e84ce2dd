//! Structs and enums of Rust source as serde reads and writes them (serde's own reading of their
//! `#[serde(...)]` attributes, from `serde_derive_internals`): what an entry's body and answer are
//! made of, for the workflow checks, OpenAPI, completion and hovers. A file's types are read once
//! per text of the file and kept with its model ([`FileTypes`]).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::rust_source::decl::{join_doc_values, type_text};

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

/// The structs and enums of one Rust file as serde sees them ([`read_serde`]), by name (the first
/// of a name, items and inline modules in order), read from the whole file the first time a lookup
/// asks and kept with the file's model: one parse per text of the file, however many workflow tasks
/// and passes look its types up. Empty inside (`None`) for a file syn should not or cannot read
/// whole: [`defined`] then reads the one definition asked for.
#[derive(Debug, Clone, Default)]
pub struct FileTypes(OnceLock<Option<Box<TypesByName>>>);

/// Each struct and enum of a file by name: serde's reading of it (`None`: serde cannot read it).
type TypesByName = HashMap<String, Option<SerdeType>>;

impl FileTypes {
    /// The types of `text` (the text of the file this belongs to), read on the first call.
    fn of(&self, text: &str) -> Option<&TypesByName> {
        self.0
            .get_or_init(|| {
                let file = trusted_with_syn(text).then(|| syn::parse_file(text).ok()).flatten();
                let types = file.map(|f| {
                    let mut types = HashMap::new();
                    collect_types(&f.items, &mut types);
                    // A project keeps every file's model: no spare capacity.
                    types.shrink_to_fit();
                    Box::new(types)
                });
                // proc-macro2 keeps every parsed text for span lookups: drop this one.
                proc_macro2::extra::invalidate_current_thread_spans();
                types
            })
            .as_deref()
    }
}

/// Reads every struct and enum of `items` (inline modules included) into `types`, the first of a
/// name kept.
fn collect_types(items: &[syn::Item], types: &mut TypesByName) {
    for item in items {
        let input = match item {
            syn::Item::Struct(s) => syn::DeriveInput::from(s.clone()),
            syn::Item::Enum(e) => syn::DeriveInput::from(e.clone()),
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    collect_types(inner, types);
                }
                continue;
            }
            _ => continue,
        };
        types.entry(input.ident.to_string()).or_insert_with(|| read_serde(&input));
    }
}

/// The type keywords [`defined`] looks for, each followed by one space and the type's name.
const TYPE_KEYWORDS: [&str; 2] = ["struct", "enum"];

/// Whether `c` continues a name (the boundary rule of the keyword search).
fn name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Where `struct name` / `enum name` is written in `text` (the keyword's offsets).
fn keyword_offsets<'a>(text: &'a str, name: &'a str) -> impl Iterator<Item = usize> + 'a {
    TYPE_KEYWORDS.into_iter().flat_map(move |kw| {
        let needle = format!("{kw} {name}");
        text.match_indices(&needle)
            .map(|(at, _)| at)
            .filter(|at| {
                let after = text[at + needle.len()..].chars().next();
                let before = text[..*at].chars().next_back();
                !after.is_some_and(name_char) && !before.is_some_and(name_char)
            })
            .collect::<Vec<_>>()
    })
}

/// Every name `text` writes after `struct` or `enum` as [`keyword_offsets`] finds them (a raw
/// `r#name` also as `r`), sorted, once each: a name `text` does not list has no offset there, so
/// [`defined`] finds nothing of that name in the file.
pub(crate) fn type_names(text: &str) -> Vec<String> {
    let run =
        |from: usize| &text[from..from + text[from..].find(|c| !name_char(c)).unwrap_or(text.len() - from)];
    let mut names = std::collections::BTreeSet::new();
    for kw in TYPE_KEYWORDS {
        let needle = format!("{kw} ");
        for (at, _) in text.match_indices(&needle) {
            if text[..at].chars().next_back().is_some_and(name_char) {
                continue;
            }
            let start = at + needle.len();
            let name = run(start);
            if name.is_empty() {
                continue;
            }
            names.insert(name);
            if name == "r" && text[start + 1..].starts_with('#') {
                let raw = run(start + 2);
                if !raw.is_empty() {
                    names.insert(&text[start..start + 2 + raw.len()]);
                }
            }
        }
    }
    names.into_iter().map(String::from).collect()
}

/// Whether `syn` (recursive descent) may read `text`: not nested too deeply for the stack (the
/// analysis's own rule).
pub fn trusted_with_syn(text: &str) -> bool {
    crate::rust_source::analyze::max_nesting(text) <= crate::rust_source::analyze::MAX_NESTING_FOR_SYN
}

/// The struct or enum `name` of `text` (the text of the file `types` belongs to), if the text has
/// one serde can read: from the types read from the whole file when it parses, else from the type's
/// keyword to its closing brace.
pub(crate) fn defined(types: &FileTypes, text: &str, name: &str) -> Option<SerdeType> {
    keyword_offsets(text, name).next()?;
    if let Some(types) = types.of(text) {
        return types.get(name).cloned().flatten();
    }
    let found = keyword_offsets(text, name).find_map(|at| item_at(text, at)).and_then(|i| read_serde(&i));
    // proc-macro2 keeps every parsed text for span lookups: drop this one.
    proc_macro2::extra::invalidate_current_thread_spans();
    found
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
    fn type_names_are_the_names_the_keyword_search_finds() {
        let text = "pub struct A { x: B }\n// enum Ç_1 in a comment\nstruct r#type;\nmystruct C;\nstruct D<T>(T);\nenum\nE {}\nstruct  F;\nenum G{}";
        let names = type_names(text);
        assert_eq!(names, ["A", "D", "G", "r", "r#type", "Ç_1"]);
        for name in ["A", "B", "C", "D", "E", "F", "G", "r", "r#type", "Ç_1", "Ç", "type", "my"] {
            let found = keyword_offsets(text, name).next().is_some();
            assert_eq!(found, names.iter().any(|n| n == name), "{name}");
        }
    }

    #[test]
    fn types_are_read_as_serde_reads_them() {
        let text = "mod m { #[derive(Serialize)]\n#[serde(rename_all = \"camelCase\")]\npub struct A {\n    /// The id.\n    pub user_id: u64,\n    #[serde(rename = \"type\", default)]\n    pub r#kind: Option<String>,\n    #[serde(skip)]\n    pub secret: String,\n} }";
        let t = defined(&FileTypes::default(), text, "A").unwrap();
        let Shape::Struct { fields, .. } = t.shape else { panic!("{t:?}") };
        let names: Vec<(&str, &str, bool)> =
            fields.iter().map(|f| (f.name.as_str(), f.ty.as_str(), f.optional)).collect();
        assert_eq!(names, [("userId", "u64", false), ("type", "Option<String>", true)]);
        assert_eq!(fields[0].docs, "The id.");
        // A file that does not parse: the type is read from its keyword.
        let broken = format!("fn x( {{\n{}", &text[8..text.len() - 2]);
        let t = defined(&FileTypes::default(), &broken, "A").unwrap();
        let Shape::Struct { fields, .. } = t.shape else { panic!("{t:?}") };
        assert_eq!(fields[0].name, "user_id", "without its attributes: {fields:?}");
        let e = "#[serde(tag = \"kind\", rename_all = \"snake_case\")] enum E { OneThing, #[serde(skip)] Hidden, Other { x: u8 } }";
        let t = defined(&FileTypes::default(), e, "E").unwrap();
        let Shape::Enum { tagging, variants } = t.shape else { panic!("{t:?}") };
        assert_eq!(tagging, Tagging::Internal("kind".into()));
        let names: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["one_thing", "other"]);
        assert_eq!(wrapper("std::option::Option<u8>", "Option"), Some("u8"));
        assert_eq!(wrapper("Vec<u8>", "Option"), None);
    }

    #[test]
    fn a_file_is_read_once_the_first_of_a_name_winning() {
        let text =
            "mod m { pub struct A { pub x: u8 } }\nstruct A { y: u8 }\nenum B { One }\nfn f() { struct C; }";
        let types = FileTypes::default();
        let a = defined(&types, text, "A").unwrap();
        let Shape::Struct { fields, .. } = a.shape else { panic!("{a:?}") };
        assert_eq!(fields[0].name, "x", "the one in the module comes first");
        assert!(types.0.get().is_some_and(Option::is_some), "read once, kept");
        assert_eq!(defined(&types, text, "B").map(|b| b.name), Some("B".to_string()));
        // A type inside a function is no item of the file; a name never written is not looked for.
        assert_eq!(defined(&types, text, "C"), None);
        assert_eq!(defined(&types, text, "D"), None);
    }
}
