//! The OpenAPI 3.1 contract of a service in a stage, from the same analysis the router, the
//! Terraform and the editor use: exactly the routes the service serves in that stage, their path and
//! query parameters with their types, `#[body]` request bodies, the answers their return types give,
//! the token security scheme on the entries behind the authorizer, and schemas for the crate's
//! structs and enums as serde reads and writes them ([`crate::assist::structs::serde_type`]).
//!
//! A type CoWorks does not know and does not find in the service's crate is an open schema (`{}`)
//! whose description says so. The document is JSON data (`serde_json`): the project's text needs no
//! escaping to reach it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::GeneratedFile;
use crate::assist::structs::{self, SerdeField, Shape, Tagging, VariantContent};
use crate::model::{Auth, Entry, ParamSource, Service};
use crate::project::Project;
use crate::settings::UnknownStage;

/// The OpenAPI version of the documents.
pub const OPENAPI_VERSION: &str = "3.1.0";

/// The name of the token security scheme in `components.securitySchemes`.
pub const TOKEN_SCHEME: &str = "token";

/// The name of the error answer's schema in `components.schemas`.
pub const ERROR_SCHEMA: &str = "CoworksError";

/// The file a service's document is written to: `<service>.openapi.json`.
pub fn file_name(service: &str) -> String {
    format!("{service}.openapi.json")
}

/// Why no document could be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenApiError {
    /// The stage is not one of the project's.
    Stage(UnknownStage),
    /// No service has that name.
    Service {
        /// The name asked for.
        name: String,
        /// The project's services.
        services: Vec<String>,
    },
    /// A service's name cannot name a file (`CWS050`): no document is written for the stage.
    BadName(String),
}

impl fmt::Display for OpenApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenApiError::Stage(e) => e.fmt(f),
            OpenApiError::Service { name, services } => {
                write!(f, "unknown service `{name}`")?;
                match crate::suggest::closest(name, services.iter().map(String::as_str)) {
                    Some(near) => write!(f, "; did you mean `{near}`?"),
                    None => write!(f, "; the project's services are: {}", services.join(", ")),
                }
            }
            OpenApiError::BadName(name) => write!(
                f,
                "service name {name:?} cannot name a file (CWS050, see `cws check`): rename the service; no document written"
            ),
        }
    }
}

impl std::error::Error for OpenApiError {}

/// The document of service `service` in `stage` (the project's first stage when `None`).
pub fn document(project: &Project, service: &str, stage: Option<&str>) -> Result<Value, OpenApiError> {
    let stage = project.resolve_stage(stage).map_err(OpenApiError::Stage)?;
    let found = project.service(service, Some(&stage)).ok_or_else(|| OpenApiError::Service {
        name: service.to_string(),
        services: project.service_names().into_iter().map(String::from).collect(),
    })?;
    Ok(service_document(project, &found, &stage))
}

/// The documents of every service of `stage` (the project's first when `None`) as files
/// `<service>.openapi.json`, and the stage.
pub fn files(project: &Project, stage: Option<&str>) -> Result<(String, Vec<GeneratedFile>), OpenApiError> {
    let stage = project.resolve_stage(stage).map_err(OpenApiError::Stage)?;
    let services = project.services(Some(&stage));
    if let Some(bad) = services.iter().find(|s| !crate::naming::is_service_name(&s.name)) {
        return Err(OpenApiError::BadName(bad.name.clone()));
    }
    let files = services
        .iter()
        .map(|s| GeneratedFile {
            path: PathBuf::from(file_name(&s.name)),
            text: to_text(&service_document(project, s, &stage)),
        })
        .collect();
    Ok((stage, files))
}

/// A document as the file's text: pretty JSON ending with a newline.
pub fn to_text(doc: &Value) -> String {
    let mut text = serde_json::to_string_pretty(doc).unwrap_or_default();
    text.push('\n');
    text
}

/// The document of `service`, whose entries are those of `stage`.
pub fn service_document(project: &Project, service: &Service, stage: &str) -> Value {
    let mut schemas = Schemas::new(project, &service.crate_dir);
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut entries: Vec<&Entry> = service.entries.iter().collect();
    entries.sort_by(|a, b| a.route.cmp(&b.route));
    let mut ids: BTreeSet<String> = BTreeSet::new();
    for e in &entries {
        let mut id = e.rust_name.trim_start_matches("r#").to_string();
        let mut n = 2;
        while !ids.insert(id.clone()) {
            id = format!("{}_{n}", e.rust_name.trim_start_matches("r#"));
            n += 1;
        }
        let op = operation(project, e, &id, &mut schemas);
        paths.entry(e.route.path.clone()).or_default().insert(e.route.method.prefix().to_string(), op);
    }
    let mut components = Map::new();
    if entries.iter().any(|e| e.auth == Auth::Token) {
        components.insert(
            "securitySchemes".into(),
            json!({ TOKEN_SCHEME: {
                "type": "apiKey",
                "in": "header",
                "name": super::api::TOKEN_HEADER,
                "description": "The stage's `TOKEN`, as `Bearer <token>` or alone; checked by the service's token authorizer.",
            }}),
        );
    }
    let mut all = schemas.done;
    if !entries.is_empty() {
        all.insert(ERROR_SCHEMA.into(), error_schema());
    }
    if !all.is_empty() {
        components.insert("schemas".into(), Value::Object(all.into_iter().collect()));
    }
    if !entries.is_empty() {
        components.insert("responses".into(), error_responses());
    }
    let mut info = json!({ "title": service.name, "version": stage });
    if !service.docs.is_empty() {
        info["description"] = json!(service.docs);
    }
    let mut doc = json!({
        "openapi": OPENAPI_VERSION,
        "info": info,
        "x-coworks": { "project": super::project_name(project), "service": service.name, "stage": stage },
        "paths": paths,
    });
    if !components.is_empty() {
        doc["components"] = Value::Object(components);
    }
    doc
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "description": "An error answer: what went wrong (a 5XX answer carries only the request id).",
        "properties": {
            "error": { "type": "string" },
            "message": { "type": "string" },
            "request_id": { "type": "string" },
        },
    })
}

/// The error answers every document describes once (`components.responses`), by name.
const ERROR_RESPONSES: [(&str, &str); 5] = [
    ("Unauthorized", "No token in the `Authorization` header."),
    ("Forbidden", "The token is not the stage's."),
    ("Unreadable", "A parameter or the body could not be read as its type (the answer names it)."),
    ("EntryError", "The entry's error."),
    ("InternalError", "An internal error (the answer carries the request id only)."),
];

fn error_responses() -> Value {
    let schema = json!({ "$ref": format!("#/components/schemas/{ERROR_SCHEMA}") });
    let responses: Map<String, Value> = ERROR_RESPONSES
        .iter()
        .map(|(name, description)| {
            let r = json!({ "description": description, "content": { "application/json": { "schema": schema } } });
            (name.to_string(), r)
        })
        .collect();
    Value::Object(responses)
}

fn error_response(name: &str) -> Value {
    json!({ "$ref": format!("#/components/responses/{name}") })
}

fn operation(project: &Project, e: &Entry, id: &str, schemas: &mut Schemas) -> Value {
    let mut op = Map::new();
    op.insert("operationId".into(), json!(id));
    if let Some(first) = e.docs.lines().next().filter(|l| !l.trim().is_empty()) {
        op.insert("summary".into(), json!(first.trim()));
        if e.docs.trim() != first.trim() {
            op.insert("description".into(), json!(e.docs));
        }
    }
    let mut parameters = Vec::new();
    for p in e.params.iter().filter(|p| p.source != ParamSource::Body) {
        let ty = parse_type(&p.ty);
        let (inner, optional) = match ty.as_ref().and_then(|t| generic_arg(t, "Option")) {
            Some(inner) => (Some(inner.clone()), true),
            None => (ty.clone(), false),
        };
        let schema = match &inner {
            Some(t) => schemas.of(t),
            None => unknown(&p.ty),
        };
        let mut param = json!({ "name": p.name, "in": p.source.to_string(), "schema": schema });
        match p.source {
            ParamSource::Path => param["required"] = json!(true),
            _ => {
                let repeated = schema.get("type") == Some(&json!("array"));
                if !optional && !repeated {
                    param["required"] = json!(true);
                }
                if repeated {
                    param["style"] = json!("form");
                    param["explode"] = json!(true);
                }
            }
        }
        parameters.push(param);
    }
    if !parameters.is_empty() {
        op.insert("parameters".into(), Value::Array(parameters));
    }
    if let Some(body) = e.params.iter().find(|p| p.source == ParamSource::Body) {
        let ty = parse_type(&body.ty);
        let optional = ty.as_ref().and_then(|t| generic_arg(t, "Option")).cloned();
        let schema = match (optional.as_ref(), ty.as_ref()) {
            (Some(t), _) | (None, Some(t)) => schemas.of(t),
            (None, None) => unknown(&body.ty),
        };
        // The runtime's `Multipart` body is read from `multipart/form-data` (fields and files).
        let inner = optional.as_ref().or(ty.as_ref());
        let content = if inner.is_some_and(is_multipart) {
            json!({ "multipart/form-data": { "schema": { "type": "object", "additionalProperties": true } } })
        } else {
            json!({ "application/json": { "schema": schema } })
        };
        op.insert("requestBody".into(), json!({ "required": optional.is_none(), "content": content }));
    }
    let mut responses = Map::new();
    let ret = structs::return_type_text(project, e);
    let answer = ret.as_deref().map(parse_type).unwrap_or(Some(syn::parse_quote!(())));
    let (fallible, success) = match &answer {
        Some(t) => success_of(t, e, schemas),
        None => (false, ("default", json!({ "description": "The answer the entry builds." }))),
    };
    responses.insert(success.0.into(), success.1);
    if e.auth == Auth::Token {
        responses.insert("401".into(), error_response("Unauthorized"));
        responses.insert("403".into(), error_response("Forbidden"));
    }
    if !e.params.is_empty() {
        responses.insert("422".into(), error_response("Unreadable"));
    }
    if fallible {
        responses.insert("4XX".into(), error_response("EntryError"));
    }
    responses.insert("5XX".into(), error_response("InternalError"));
    op.insert("responses".into(), Value::Object(responses));
    let security = match e.auth {
        Auth::Token => json!([{ TOKEN_SCHEME: [] }]),
        Auth::None => json!([]),
    };
    op.insert("security".into(), security);
    Value::Object(op)
}

/// Whether the answer can be an error, and its success: status and response object.
fn success_of(ty: &syn::Type, e: &Entry, schemas: &mut Schemas) -> (bool, (&'static str, Value)) {
    let ty = strip_refs(ty);
    if let Some(ok) = generic_arg(ty, "Result") {
        return (true, success_of(ok, e, schemas).1);
    }
    if let syn::Type::Tuple(t) = ty {
        if t.elems.is_empty() {
            return (false, ("204", json!({ "description": "No content." })));
        }
        if t.elems.len() == 2 && last_ident(&t.elems[0]).as_deref() == Some("StatusCode") {
            let (f, (_, mut r)) = success_of(&t.elems[1], e, schemas);
            r["description"] = json!("The status the entry chooses.");
            return (f, ("2XX", r));
        }
    }
    let media = |default: &str| e.binary_content_type.clone().unwrap_or_else(|| default.to_string());
    let content = |media: String, schema: Value| json!({ media: { "schema": schema } });
    let binary = || {
        let media = media("application/octet-stream");
        let schema = json!({ "type": "string", "contentMediaType": media });
        (false, ("200", json!({ "description": "OK.", "content": content(media, schema) })))
    };
    match last_ident(ty).as_deref() {
        Some("StatusCode") => {
            (false, ("2XX", json!({ "description": "The status the entry chooses; no content." })))
        }
        Some("Json") => {
            let schema = generic_arg(ty, "Json").map(|t| schemas.of(t)).unwrap_or_else(|| json!({}));
            let ok = json!({ "description": "OK.", "content": content(media("application/json"), schema) });
            (false, ("200", ok))
        }
        Some("String" | "str") => {
            let ok = json!({ "description": "OK.", "content": content(media("text/plain"), json!({ "type": "string" })) });
            (false, ("200", ok))
        }
        Some("Bytes") => binary(),
        Some("Vec") if generic_arg(ty, "Vec").and_then(last_ident).as_deref() == Some("u8") => binary(),
        _ => (false, ("default", json!({ "description": "The answer the entry builds." }))),
    }
}

/// A type text as syn reads it.
fn parse_type(text: &str) -> Option<syn::Type> {
    structs::trusted_with_syn(text).then(|| syn::parse_str::<syn::Type>(text).ok()).flatten()
}

fn strip_refs(mut ty: &syn::Type) -> &syn::Type {
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
fn last_ident(ty: &syn::Type) -> Option<String> {
    match strip_refs(ty) {
        syn::Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// The type arguments of a path type.
fn type_args(ty: &syn::Type) -> Vec<&syn::Type> {
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
fn generic_arg<'a>(ty: &'a syn::Type, name: &str) -> Option<&'a syn::Type> {
    (last_ident(ty).as_deref() == Some(name)).then(|| type_args(ty).into_iter().next()).flatten()
}

/// Whether a body type is the runtime's `Multipart` (`coworks::Multipart`).
fn is_multipart(ty: &syn::Type) -> bool {
    last_ident(ty).as_deref() == Some("Multipart")
}

/// An open schema for a type CoWorks cannot describe.
fn unknown(ty: &str) -> Value {
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

/// The schemas of a service's types, collected as they are met.
struct Schemas<'a> {
    project: &'a Project,
    crate_dir: &'a Path,
    /// Component schemas made, by name.
    done: BTreeMap<String, Value>,
    /// Names looked up (found or not), so each is read once and recursion ends.
    seen: BTreeMap<String, bool>,
}

impl<'a> Schemas<'a> {
    fn new(project: &'a Project, crate_dir: &'a Path) -> Self {
        Schemas { project, crate_dir, done: BTreeMap::new(), seen: BTreeMap::new() }
    }

    /// The schema of a type text.
    fn of_text(&mut self, text: &str) -> Value {
        match parse_type(text) {
            Some(t) => self.of(&t),
            None => unknown(text),
        }
    }

    /// The schema of a type.
    fn of(&mut self, ty: &syn::Type) -> Value {
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
    fn variant(&mut self, tagging: &Tagging, v: &structs::SerdeVariant) -> Value {
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

#[cfg(test)]
mod tests {
    use super::*;

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
