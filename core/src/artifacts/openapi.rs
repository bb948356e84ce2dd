//! The OpenAPI 3.1 contract of a service in a stage, from the same analysis the router, the
//! Terraform and the editor use: exactly the routes the service serves in that stage, their path and
//! query parameters with their types, `#[body]` request bodies, the answers their return types give,
//! the token security scheme on the entries behind the authorizer, the API key's scheme (header
//! `x-api-key`) on every entry when the stage gives the service a key (as
//! [`crate::settings::deploy::FunctionSettings::api_key_required`] decides), and schemas for the
//! crate's structs and enums as serde reads and writes them ([`crate::assist::structs::serde_type`]).
//!
//! A type CoWorks does not know and does not find in the service's crate is an open schema (`{}`)
//! whose description says so. The document is JSON data (`serde_json`): the project's text needs no
//! escaping to reach it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

use serde_json::{json, Map, Value};

use super::GeneratedFile;
use crate::assist::structs;
use crate::model::{Auth, Entry, ParamSource, Service};
use crate::project::Project;
use crate::settings::{CliOptions, UnknownStage};
use crate::types::{generic_arg, last_ident, parse_type, strip_refs, unknown, Schemas};

/// The OpenAPI version of the documents.
pub const OPENAPI_VERSION: &str = "3.1.0";

/// The name of the token security scheme in `components.securitySchemes`.
pub const TOKEN_SCHEME: &str = "token";

/// The name of the API key's security scheme in `components.securitySchemes` (services whose
/// entries need the key: `api_key`, `usage_plan`).
pub const API_KEY_SCHEME: &str = "apiKey";

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
    let function = project.function_settings(stage, &service.name, &CliOptions::default());
    let api_key = function.api_key_required();
    for e in &entries {
        let mut id = e.rust_name.trim_start_matches("r#").to_string();
        let mut n = 2;
        while !ids.insert(id.clone()) {
            id = format!("{}_{n}", e.rust_name.trim_start_matches("r#"));
            n += 1;
        }
        let op = operation(project, e, &id, api_key, &mut schemas);
        paths.entry(e.route.path.clone()).or_default().insert(e.route.method.prefix().to_string(), op);
    }
    let mut components = Map::new();
    // Both schemes are an `apiKey` in a header: the token's and, when the stage gives the service
    // one, the API key's.
    let header_scheme = |header: &str, description: &str| json!({ "type": "apiKey", "in": "header", "name": header, "description": description });
    let mut security_schemes = Map::new();
    if entries.iter().any(|e| e.auth == Auth::Token) {
        let token = header_scheme(
            super::api::TOKEN_HEADER,
            "The stage's `TOKEN`, as `Bearer <token>` or alone; checked by the service's token authorizer.",
        );
        security_schemes.insert(TOKEN_SCHEME.into(), token);
    }
    if api_key && !entries.is_empty() {
        let key = header_scheme(
            super::api::API_KEY_HEADER,
            "The service's API key (`api_key` / `usage_plan`): API Gateway refuses a request without it, or over its usage plan.",
        );
        security_schemes.insert(API_KEY_SCHEME.into(), key);
    }
    if !security_schemes.is_empty() {
        components.insert("securitySchemes".into(), Value::Object(security_schemes));
    }
    let mut all = schemas.done;
    if !entries.is_empty() {
        all.insert(ERROR_SCHEMA.into(), error_schema());
    }
    if !all.is_empty() {
        components.insert("schemas".into(), Value::Object(all.into_iter().collect()));
    }
    if !entries.is_empty() {
        components.insert("responses".into(), error_responses(api_key));
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

/// API Gateway's answer to a request without a valid API key (`{"message": "Forbidden"}`), for
/// documents whose entries need one.
const API_KEY_REFUSED: (&str, &str) =
    ("ApiKeyRefused", "No valid API key in the `x-api-key` header (API Gateway's answer).");

fn error_responses(api_key: bool) -> Value {
    let schema = json!({ "$ref": format!("#/components/schemas/{ERROR_SCHEMA}") });
    let key = api_key.then_some(&API_KEY_REFUSED);
    let responses: Map<String, Value> = ERROR_RESPONSES
        .iter()
        .chain(key)
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

fn operation(project: &Project, e: &Entry, id: &str, api_key: bool, schemas: &mut Schemas) -> Value {
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
    } else if api_key {
        responses.insert("403".into(), error_response(API_KEY_REFUSED.0));
    }
    if !e.params.is_empty() {
        responses.insert("422".into(), error_response("Unreadable"));
    }
    if fallible {
        responses.insert("4XX".into(), error_response("EntryError"));
    }
    responses.insert("5XX".into(), error_response("InternalError"));
    op.insert("responses".into(), Value::Object(responses));
    // One requirement naming both schemes: both are needed (OpenAPI's AND).
    let mut needed = Map::new();
    if e.auth == Auth::Token {
        needed.insert(TOKEN_SCHEME.into(), json!([]));
    }
    if api_key {
        needed.insert(API_KEY_SCHEME.into(), json!([]));
    }
    let security = if needed.is_empty() { json!([]) } else { json!([needed]) };
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

/// Whether a body type is the runtime's `Multipart` (`coworks::Multipart`).
fn is_multipart(ty: &syn::Type) -> bool {
    last_ident(ty).as_deref() == Some("Multipart")
}
