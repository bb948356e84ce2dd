//! The crate's Rust types as JSON Schemas (serde's view): what `cws openapi` publishes and what the
//! workflow checks read (template fields, `json` bodies, `when:` conditions) — one resolution of
//! types for both. A type is read from its text with syn; the crate's structs and enums are found by
//! [`crate::assist::structs::serde_type`] (honouring `rename_all`, `rename`, `skip`, `default`,
//! `flatten`, `Option`, `Vec`); a type CoWorks does not know is an open schema (`{}`) whose
//! description says so.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Map, Value};

use crate::assist::structs;
use crate::project::Project;
use crate::rust_source::serde_types::{
    trusted_with_syn, SerdeField, SerdeVariant, Shape, Tagging, VariantContent,
};

/// A type text as syn reads it (`None` for text syn should not be given or cannot read).
pub fn parse_type(text: &str) -> Option<syn::Type> {
    trusted_with_syn(text).then(|| syn::parse_str::<syn::Type>(text).ok()).flatten()
}

pub fn strip_refs(mut ty: &syn::Type) -> &syn::Type {
    loop {
        match ty {
            syn::Type::Reference(r) => ty = &r.elem,
            syn::Type::Paren(p) => ty = &p.elem,
            syn::Type::Group(g) => ty = &g.elem,
            _ => return ty,
        }
    }
}

/// The last segment's name of a path type (`std::vec::Vec<u8>` → `Vec`).
pub fn last_ident(ty: &syn::Type) -> Option<String> {
    match strip_refs(ty) {
        syn::Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// The type arguments of a path type.
pub fn type_args(ty: &syn::Type) -> Vec<&syn::Type> {
    match strip_refs(ty) {
        syn::Type::Path(p) => match p.path.segments.last().map(|s| &s.arguments) {
            Some(syn::PathArguments::AngleBracketed(a)) => a
                .args
                .iter()
                .filter_map(|g| match g {
                    syn::GenericArgument::Type(t) => Some(t),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// `T` of `Name<T>`.
pub fn generic_arg<'a>(ty: &'a syn::Type, name: &str) -> Option<&'a syn::Type> {
    (last_ident(ty).as_deref() == Some(name)).then(|| type_args(ty).into_iter().next()).flatten()
}

/// An open schema for a type CoWorks cannot describe (any JSON value).
pub fn unknown(ty: &str) -> Value {
    json!({ "description": format!("`{ty}`: a type CoWorks did not find in the service's crate; any JSON value.") })
}

/// The schema of a scalar or standard type, by name.
fn scalar(name: &str) -> Option<Value> {
    let integer = |format: &str, unsigned: bool| {
        let mut s = json!({ "type": "integer", "format": format });
        if unsigned {
            s["minimum"] = json!(0);
        }
        s
    };
    Some(match name {
        "bool" => json!({ "type": "boolean" }),
        "i8" | "i16" | "i32" => integer("int32", false),
        "i64" | "isize" | "i128" => integer("int64", false),
        "u8" | "u16" => integer("int32", true),
        "u32" | "u64" | "usize" | "u128" => integer("int64", true),
        "f32" => json!({ "type": "number", "format": "float" }),
        "f64" => json!({ "type": "number", "format": "double" }),
        "char" => json!({ "type": "string", "minLength": 1, "maxLength": 1 }),
        "String" | "str" | "PathBuf" | "OsString" => json!({ "type": "string" }),
        "Uuid" => json!({ "type": "string", "format": "uuid" }),
        "DateTime" | "OffsetDateTime" | "NaiveDateTime" | "SystemTime" => {
            json!({ "type": "string", "format": "date-time" })
        }
        "NaiveDate" | "Date" => json!({ "type": "string", "format": "date" }),
        "NaiveTime" | "Time" => json!({ "type": "string", "format": "time" }),
        "Url" | "Uri" => json!({ "type": "string", "format": "uri" }),
        "IpAddr" => json!({ "type": "string" }),
        "Ipv4Addr" => json!({ "type": "string", "format": "ipv4" }),
        "Ipv6Addr" => json!({ "type": "string", "format": "ipv6" }),
        "Value" => json!({ "description": "Any JSON value." }),
        _ => return None,
    })
}

/// A schema that also admits `null`.
fn nullable(mut schema: Value) -> Value {
    match schema.get("type").cloned() {
        Some(Value::String(t)) => {
            schema["type"] = json!([t, "null"]);
            schema
        }
        _ => json!({ "anyOf": [schema, { "type": "null" }] }),
    }
}

/// The schemas of a service's types, collected as they are met: a type's schema refers to the
/// crate's structs and enums as `#/components/schemas/<Name>`, made once into [`Schemas::done`].
pub struct Schemas<'a> {
    project: &'a Project,
    crate_dir: &'a Path,
    /// Component schemas made, by name.
    pub done: BTreeMap<String, Value>,
    /// Names looked up (found or not), so each is read once and recursion ends.
    seen: BTreeMap<String, bool>,
}

impl<'a> Schemas<'a> {
    /// The schemas of the types of the crate at `crate_dir`.
    pub fn new(project: &'a Project, crate_dir: &'a Path) -> Self {
        Schemas { project, crate_dir, done: BTreeMap::new(), seen: BTreeMap::new() }
    }

    /// The schema of a type text.
    pub fn of_text(&mut self, text: &str) -> Value {
        match parse_type(text) {
            Some(t) => self.of(&t),
            None => unknown(text),
        }
    }

    /// The schema of a type.
    pub fn of(&mut self, ty: &syn::Type) -> Value {
        let ty = strip_refs(ty);
        match ty {
            syn::Type::Tuple(t) if t.elems.is_empty() => return json!({ "type": "null" }),
            syn::Type::Tuple(t) => return self.tuple(t.elems.iter()),
            syn::Type::Array(a) => return json!({ "type": "array", "items": self.of(&a.elem) }),
            syn::Type::Slice(s) => return json!({ "type": "array", "items": self.of(&s.elem) }),
            _ => {}
        }
        let text = quote::ToTokens::to_token_stream(ty).to_string();
        let text = crate::rust_source::decl::type_text(&text);
        let Some(name) = last_ident(ty) else { return unknown(&text) };
        let args = type_args(ty);
        match (name.as_str(), args.as_slice()) {
            ("Option", [t]) => nullable(self.of(t)),
            ("Box" | "Rc" | "Arc" | "Cow" | "Json", [t]) => self.of(t),
            ("Vec" | "VecDeque" | "LinkedList", [t]) => json!({ "type": "array", "items": self.of(t) }),
            ("HashSet" | "BTreeSet" | "IndexSet", [t]) => {
                json!({ "type": "array", "items": self.of(t), "uniqueItems": true })
            }
            ("HashMap" | "BTreeMap" | "IndexMap", [_, v]) => {
                json!({ "type": "object", "additionalProperties": self.of(v) })
            }
            ("Cow", _) => json!({ "type": "string" }),
            (n, _) if scalar(n).is_some() => scalar(n).unwrap_or_default(),
            (n, []) => self.named(n).unwrap_or_else(|| unknown(&text)),
            _ => unknown(&text),
        }
    }

    fn tuple<'t>(&mut self, elems: impl ExactSizeIterator<Item = &'t syn::Type>) -> Value {
        let n = elems.len();
        let items: Vec<Value> = elems.map(|t| self.of(t)).collect();
        json!({ "type": "array", "prefixItems": items, "items": false, "minItems": n, "maxItems": n })
    }

    fn tuple_texts(&mut self, texts: &[String]) -> Value {
        let n = texts.len();
        let items: Vec<Value> = texts.iter().map(|t| self.of_text(t)).collect();
        json!({ "type": "array", "prefixItems": items, "items": false, "minItems": n, "maxItems": n })
    }

    /// A `$ref` to the crate's type `name`, its schema made on the first meeting.
    fn named(&mut self, name: &str) -> Option<Value> {
        let reference = json!({ "$ref": format!("#/components/schemas/{name}") });
        if let Some(found) = self.seen.get(name) {
            return found.then_some(reference);
        }
        let Some(t) = structs::serde_type(self.project, self.crate_dir, name).filter(|t| !t.generic) else {
            self.seen.insert(name.to_string(), false);
            return None;
        };
        self.seen.insert(name.to_string(), true);
        let mut schema = match &t.shape {
            Shape::Struct { fields, deny_unknown_fields } => self.object(fields, *deny_unknown_fields, None),
            Shape::Alias(inner) => self.of_text(inner),
            Shape::Tuple(items) => self.tuple_texts(items),
            Shape::Unit => json!({ "type": "null" }),
            Shape::Enum { tagging, variants } => {
                let all_unit = variants.iter().all(|v| v.content == VariantContent::Unit);
                if all_unit && *tagging == Tagging::External {
                    json!({ "type": "string", "enum": variants.iter().map(|v| v.name.clone()).collect::<Vec<_>>() })
                } else {
                    let one_of: Vec<Value> = variants.iter().map(|v| self.variant(tagging, v)).collect();
                    json!({ "oneOf": one_of })
                }
            }
        };
        if !t.docs.is_empty() {
            if let Some(o) = schema.as_object_mut() {
                o.insert("description".into(), json!(t.docs));
            }
        }
        self.done.insert(name.to_string(), schema);
        Some(reference)
    }

    /// An object of named fields (plus a tag property, for internally tagged variants).
    fn object(&mut self, fields: &[SerdeField], closed: bool, tag: Option<(&str, &str)>) -> Value {
        let mut properties = Map::new();
        let mut required = Vec::new();
        let mut flattened = Vec::new();
        if let Some((tag, value)) = tag {
            properties.insert(tag.to_string(), json!({ "const": value }));
            required.push(tag.to_string());
        }
        for f in fields {
            if f.flatten {
                flattened.push(self.of_text(&f.ty));
                continue;
            }
            let mut schema = self.of_text(&f.ty);
            if !f.docs.is_empty() {
                schema = match schema {
                    Value::Object(mut o) if !o.contains_key("$ref") => {
                        o.insert("description".into(), json!(f.docs));
                        Value::Object(o)
                    }
                    other => json!({ "allOf": [other], "description": f.docs }),
                };
            }
            properties.insert(f.name.clone(), schema);
            if !f.optional {
                required.push(f.name.clone());
            }
        }
        let mut object = json!({ "type": "object", "properties": properties });
        if !required.is_empty() {
            object["required"] = json!(required);
        }
        if closed && flattened.is_empty() {
            object["additionalProperties"] = json!(false);
        }
        if flattened.is_empty() {
            object
        } else {
            flattened.insert(0, object);
            json!({ "allOf": flattened })
        }
    }

    /// One variant's schema under the enum's tagging.
    fn variant(&mut self, tagging: &Tagging, v: &SerdeVariant) -> Value {
        let content = match &v.content {
            VariantContent::Unit => None,
            VariantContent::Newtype(t) => Some(self.of_text(t)),
            VariantContent::Tuple(ts) => Some(self.tuple_texts(ts)),
            VariantContent::Struct(fields) => match tagging {
                Tagging::Internal(tag) => {
                    return described(self.object(fields, false, Some((tag, &v.name))), &v.docs)
                }
                _ => Some(self.object(fields, false, None)),
            },
        };
        let constant = json!({ "const": v.name });
        let schema = match (tagging, content) {
            (Tagging::External, None) => constant,
            (Tagging::External, Some(c)) => json!({
                "type": "object", "properties": { v.name.clone(): c }, "required": [v.name], "additionalProperties": false,
            }),
            (Tagging::Internal(tag), None) => {
                json!({ "type": "object", "properties": { tag.clone(): constant }, "required": [tag] })
            }
            (Tagging::Internal(tag), Some(c)) => json!({
                "allOf": [c, { "type": "object", "properties": { tag.clone(): constant }, "required": [tag] }],
            }),
            (Tagging::Adjacent(tag, _), None) => {
                json!({ "type": "object", "properties": { tag.clone(): constant }, "required": [tag] })
            }
            (Tagging::Adjacent(tag, key), Some(c)) => json!({
                "type": "object", "properties": { tag.clone(): constant, key.clone(): c }, "required": [tag, key],
            }),
            (Tagging::Untagged, None) => json!({ "type": "null" }),
            (Tagging::Untagged, Some(c)) => c,
        };
        described(schema, &v.docs)
    }
}

fn described(mut schema: Value, docs: &str) -> Value {
    if !docs.is_empty() {
        if let Some(o) = schema.as_object_mut().filter(|o| !o.contains_key("$ref")) {
            o.insert("description".into(), json!(docs));
        }
    }
    schema
}

/// What the checks know of an entry's types: its `#[body]` and its success answer's body as
/// schemas, and the crate's types they refer to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntryTypes {
    /// The `#[body]` parameter's schema (`None`: no body).
    pub body: Option<Value>,
    /// The body of a success answer (`None`: not JSON CoWorks can describe).
    pub answer: Option<Value>,
    /// The crate's types the schemas refer to (`#/components/schemas/<Name>`), by name.
    pub components: BTreeMap<String, Value>,
    /// The names of the crate's types looked up to make them (found or not), sorted: all they were
    /// made from besides the entry.
    pub read: Vec<String>,
}

/// The types of entry `e` of the service whose crate is at `crate_dir`.
pub fn entry_types(project: &Project, crate_dir: &Path, e: &crate::model::Entry) -> EntryTypes {
    let mut schemas = Schemas::new(project, crate_dir);
    let body =
        e.params.iter().find(|p| p.source == crate::model::ParamSource::Body).map(|b| {
            match parse_type(&b.ty) {
                Some(t) => schemas.of(generic_arg(&t, "Option").unwrap_or(&t)),
                None => unknown(&b.ty),
            }
        });
    let ret = structs::return_type_text(project, e);
    let answer = match ret.as_deref().map(parse_type) {
        Some(Some(t)) => answer_schema(&t, &mut schemas),
        Some(None) => None,
        None => Some(json!({ "type": "null" })),
    };
    EntryTypes { body, answer, components: schemas.done, read: schemas.seen.into_keys().collect() }
}

/// The schema of a success answer's JSON body, from the entry's return type: `Result<T, _>` and
/// `(StatusCode, T)` answer `T`, `Json<T>` `T`, `()` nothing (`null`), text a string.
pub fn answer_schema(ty: &syn::Type, schemas: &mut Schemas<'_>) -> Option<Value> {
    let ty = strip_refs(ty);
    if let Some(ok) = generic_arg(ty, "Result") {
        return answer_schema(ok, schemas);
    }
    if let syn::Type::Tuple(t) = ty {
        if t.elems.is_empty() {
            return Some(json!({ "type": "null" }));
        }
        if t.elems.len() == 2 && last_ident(&t.elems[0]).as_deref() == Some("StatusCode") {
            return answer_schema(&t.elems[1], schemas);
        }
        return None;
    }
    match last_ident(ty).as_deref() {
        Some("Json") => generic_arg(ty, "Json").map(|t| schemas.of(t)),
        Some("String" | "str") => Some(json!({ "type": "string" })),
        _ => None,
    }
}

/// What a schema says of one of its fields.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// The schema does not say (an open schema, a choice of several shapes): not checked.
    Unknown,
    /// The field's schema.
    Found(Value),
    /// An object without that field: the fields it has.
    Missing(Vec<String>),
    /// Not an object: what it is (`a number`, `a list` ...).
    NotObject(&'static str),
}

/// `schema` with `$ref`s followed and a nullable wrapper (`anyOf [T, null]`, `type: [t, null]`)
/// taken off.
pub fn resolve<'v>(mut schema: &'v Value, components: &'v BTreeMap<String, Value>) -> Option<&'v Value> {
    for _ in 0..32 {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            schema = components.get(r.strip_prefix("#/components/schemas/")?)?;
            continue;
        }
        if let Some(Value::Array(any)) = schema.get("anyOf") {
            let not_null: Vec<&Value> =
                any.iter().filter(|s| s.get("type") != Some(&json!("null"))).collect();
            if let ([one], true) = (not_null.as_slice(), any.len() == 2) {
                schema = one;
                continue;
            }
        }
        return Some(schema);
    }
    None
}

/// The JSON kinds a schema admits (`number`, `string`, `boolean`, `null`, `array`, `object`);
/// `None` when it does not say.
pub fn kinds(schema: &Value, components: &BTreeMap<String, Value>) -> Option<Vec<&'static str>> {
    let kind = |t: &str| match t {
        "integer" | "number" => Some("number"),
        "string" => Some("string"),
        "boolean" => Some("boolean"),
        "null" => Some("null"),
        "array" => Some("array"),
        "object" => Some("object"),
        _ => None,
    };
    let nullable = schema.get("anyOf").is_some();
    let s = resolve(schema, components)?;
    let mut out: Vec<&'static str> = match s.get("type")? {
        Value::String(t) => vec![kind(t)?],
        Value::Array(ts) => ts.iter().map(|t| t.as_str().and_then(kind)).collect::<Option<_>>()?,
        _ => return None,
    };
    if nullable && !out.contains(&"null") {
        out.push("null");
    }
    Some(out)
}

/// What `schema` says of its field `name` (a property, or an index of a list).
pub fn field(schema: &Value, components: &BTreeMap<String, Value>, name: &str) -> Field {
    let Some(s) = resolve(schema, components) else { return Field::Unknown };
    if let Some(Value::Array(parts)) = s.get("allOf") {
        let mut known = Vec::new();
        for part in parts {
            match field(part, components, name) {
                Field::Missing(names) => known.extend(names),
                Field::NotObject(_) => {}
                other => return other,
            }
        }
        return Field::Missing(known);
    }
    let ty = match s.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => {
            match ts.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect::<Vec<_>>().as_slice()
            {
                [one] => one,
                _ => return Field::Unknown,
            }
        }
        _ => return Field::Unknown,
    };
    match ty {
        "object" => {
            let props = s.get("properties").and_then(Value::as_object);
            if let Some(found) = props.and_then(|p| p.get(name)) {
                return Field::Found(found.clone());
            }
            match (s.get("additionalProperties"), props) {
                (Some(Value::Bool(false)), Some(p)) | (None, Some(p)) => {
                    Field::Missing(p.keys().cloned().collect())
                }
                (Some(Value::Object(extra)), _) => Field::Found(Value::Object(extra.clone())),
                _ => Field::Unknown,
            }
        }
        "array" if name.bytes().all(|b| b.is_ascii_digit()) => match s.get("items") {
            Some(items @ Value::Object(_)) => Field::Found(items.clone()),
            _ => Field::Unknown,
        },
        "array" => Field::NotObject("a list"),
        "string" => Field::NotObject("text"),
        "integer" | "number" => Field::NotObject("a number"),
        "boolean" => Field::NotObject("a boolean"),
        "null" => Field::NotObject("null"),
        _ => Field::Unknown,
    }
}

/// The properties an object schema requires, and all it names; `None` when it does not say (open,
/// a choice of shapes, a map).
pub fn object_fields(
    schema: &Value,
    components: &BTreeMap<String, Value>,
) -> Option<(Vec<String>, Vec<String>)> {
    let s = resolve(schema, components)?;
    if s.get("type") != Some(&json!("object")) || s.get("additionalProperties").is_some_and(Value::is_object)
    {
        return None;
    }
    let props = s.get("properties").and_then(Value::as_object)?;
    let required = s
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).map(String::from).collect())
        .unwrap_or_default();
    Some((required, props.keys().cloned().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn types_map_to_schemas() {
        let project = Project::empty(PathBuf::new());
        let mut s = Schemas::new(&project, Path::new("x"));
        for (ty, want) in [
            ("u64", json!({ "type": "integer", "format": "int64", "minimum": 0 })),
            ("Option<bool>", json!({ "type": ["boolean", "null"] })),
            ("Vec<String>", json!({ "type": "array", "items": { "type": "string" } })),
            (
                "std::collections::BTreeMap<String, f64>",
                json!({ "type": "object", "additionalProperties": { "type": "number", "format": "double" } }),
            ),
            ("uuid::Uuid", json!({ "type": "string", "format": "uuid" })),
            ("&'static str", json!({ "type": "string" })),
            (
                "(u8, bool)",
                json!({ "type": "array", "prefixItems": [{ "type": "integer", "format": "int32", "minimum": 0 }, { "type": "boolean" }], "items": false, "minItems": 2, "maxItems": 2 }),
            ),
            ("Option<Nowhere>", json!({ "anyOf": [unknown("Nowhere"), { "type": "null" }] })),
        ] {
            assert_eq!(s.of_text(ty), want, "{ty}");
        }
        assert!(s.done.is_empty());
    }
}
