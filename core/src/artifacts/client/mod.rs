//! Typed clients of a service (`cws client`): a TypeScript module ([`typescript`]) or a Rust crate
//! ([`rust`]) calling the service's entries. Both are written from the service's OpenAPI document
//! ([`super::openapi::service_document`]) — the same routes, parameters, bodies, answers and schemas
//! the contract publishes, so the client and the document never disagree — and from the stage's
//! deployed API ([`super::api`]: whether requests carry the API key).
//!
//! Every text of the document comes from the repository (names of types, fields, variants, entries
//! and parameters, paths, doc comments) and is untrusted: it reaches the generated source only
//! through each language's identifier function (`ident`: a valid, non-reserved identifier,
//! deduplicated in its scope) and string-literal function (`ts_str`, `rust_str`).

pub mod rust;
pub mod typescript;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::openapi::{self, OpenApiError};
use super::GeneratedFile;
use crate::project::Project;

/// The languages a client is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// One self-contained TypeScript module using `fetch`.
    TypeScript,
    /// A crate (`Cargo.toml`, `src/lib.rs`) using `ureq` and serde.
    Rust,
}

/// Where `cws client --lang rust` writes a service's crate without `-o`, relative to the project:
/// `clients/<service>-client`.
pub fn default_dir(service: &str) -> std::path::PathBuf {
    std::path::Path::new("clients").join(format!("{service}-client"))
}

/// The client of service `service` in `stage` (the project's first when `None`) in `lang`: its
/// files, relative to the output directory.
pub fn files(
    project: &Project,
    service: &str,
    stage: Option<&str>,
    lang: Lang,
) -> Result<Vec<GeneratedFile>, OpenApiError> {
    let doc = openapi::document(project, service, stage)?;
    if !crate::naming::is_service_name(service) {
        return Err(OpenApiError::BadName(service.to_string()));
    }
    let stage = project.resolve_stage(stage).map_err(OpenApiError::Stage)?;
    let stage_api = super::api::stage_api(project, &stage, &Default::default());
    let api_key = stage_api
        .services
        .iter()
        .filter(|s| s.service == service)
        .any(|s| s.methods.iter().any(|m| m.api_key_required));
    let api = Api::from_document(&doc, api_key);
    Ok(match lang {
        Lang::TypeScript => vec![GeneratedFile {
            path: typescript::file_name(service).into(),
            text: typescript::module(&api),
        }],
        Lang::Rust => rust::files(&api),
    })
}

/// What a client calls: the service's operations and types, read from its OpenAPI document.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    /// The service's name (`info.title`).
    pub service: String,
    /// The stage (`info.version`).
    pub stage: String,
    /// The service's doc comment.
    pub docs: String,
    /// Whether some entry needs the stage's token.
    pub token: bool,
    /// Whether requests need the service's API key.
    pub api_key: bool,
    /// The operations, in the document's order (by path, then method).
    pub ops: Vec<Op>,
    /// The component schemas, by name.
    pub schemas: BTreeMap<String, Value>,
}

/// One entry as a client calls it.
#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    /// The `operationId` (the Rust method's name).
    pub id: String,
    /// The HTTP method, upper case.
    pub method: String,
    /// The path template (`/products/{sku}`).
    pub path: String,
    /// The doc comment (summary and description).
    pub docs: String,
    /// Path parameters.
    pub path_params: Vec<Param>,
    /// Query parameters.
    pub query: Vec<Param>,
    /// The request body.
    pub body: Option<Body>,
    /// What a success answers.
    pub answer: Answer,
}

/// A path or query parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Its name in the path template or the query.
    pub name: String,
    /// Its schema.
    pub schema: Value,
    /// Whether it must be given.
    pub required: bool,
    /// Whether the key repeats (an array).
    pub repeated: bool,
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// JSON of the schema; `required: false` for an `Option` body.
    Json {
        /// The body's schema.
        schema: Value,
        /// Whether it must be given.
        required: bool,
    },
    /// `multipart/form-data`.
    Multipart,
}

/// What a success answer carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// `204`: nothing.
    Nothing,
    /// JSON of the schema.
    Json(Value),
    /// Text.
    Text,
    /// Bytes (a binary media type).
    Binary,
    /// A status the entry chooses, without content.
    Status,
    /// An answer the document does not describe: status, type and bytes as they come.
    Raw,
}

/// A path template's pieces: literal text and parameter names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text as it is.
    Text(String),
    /// A parameter's value (`{name}`), percent-encoded.
    Param(String),
}

impl Op {
    /// The path template in pieces; a `{...}` naming no path parameter stays text.
    pub fn pieces(&self) -> Vec<Piece> {
        let names: BTreeSet<&str> = self.path_params.iter().map(|p| p.name.as_str()).collect();
        let mut out = Vec::new();
        let mut text = String::new();
        let mut rest = self.path.as_str();
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}').map(|c| open + c) else { break };
            let name = &rest[open + 1..close];
            if names.contains(name) {
                text.push_str(&rest[..open]);
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                out.push(Piece::Param(name.to_string()));
            } else {
                text.push_str(&rest[..=close]);
            }
            rest = &rest[close + 1..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            out.push(Piece::Text(text));
        }
        out
    }
}

impl Api {
    /// The client's view of an OpenAPI document as [`openapi::service_document`] writes it; parts
    /// it does not find are left out (a document is data: nothing here fails).
    pub fn from_document(doc: &Value, api_key: bool) -> Api {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
        let mut ops = Vec::new();
        let mut token = false;
        for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let Some(op) = op.as_object() else { continue };
                // The token is needed where a requirement names its scheme (the API key's is apart).
                let requirements = op.get("security").and_then(Value::as_array).into_iter().flatten();
                token |= requirements.into_iter().any(|r| r.get(openapi::TOKEN_SCHEME).is_some());
                let mut docs = text(op.get("description"));
                if docs.is_empty() {
                    docs = text(op.get("summary"));
                }
                let (mut path_params, mut query) = (Vec::new(), Vec::new());
                for p in op.get("parameters").and_then(Value::as_array).into_iter().flatten() {
                    let schema = p.get("schema").cloned().unwrap_or(Value::Null);
                    let param = Param {
                        name: text(p.get("name")),
                        repeated: schema.get("type").and_then(Value::as_str) == Some("array"),
                        schema,
                        required: p.get("required") == Some(&Value::Bool(true)),
                    };
                    match p.get("in").and_then(Value::as_str) {
                        Some("path") => path_params.push(param),
                        Some("query") => query.push(param),
                        _ => {}
                    }
                }
                let body = op.get("requestBody").and_then(|b| {
                    let content = b.get("content")?;
                    if content.get("multipart/form-data").is_some() {
                        return Some(Body::Multipart);
                    }
                    let schema =
                        content.get("application/json")?.get("schema").cloned().unwrap_or(Value::Null);
                    Some(Body::Json { schema, required: b.get("required") != Some(&Value::Bool(false)) })
                });
                ops.push(Op {
                    id: text(op.get("operationId")),
                    method: method.to_ascii_uppercase(),
                    path: path.clone(),
                    docs,
                    path_params,
                    query,
                    body,
                    answer: answer(op.get("responses")),
                });
            }
        }
        let schemas = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        Api {
            service: text(doc.pointer("/info/title")),
            stage: text(doc.pointer("/info/version")),
            docs: text(doc.pointer("/info/description")),
            token,
            api_key,
            ops,
            schemas,
        }
    }
}

/// The success answer of an operation's responses.
fn answer(responses: Option<&Value>) -> Answer {
    let Some(r) = responses.and_then(Value::as_object) else { return Answer::Raw };
    let (status, response) = match ["200", "2XX", "204"].iter().find_map(|s| r.get(*s).map(|v| (*s, v))) {
        Some(found) => found,
        None => return Answer::Raw,
    };
    if status == "204" {
        return Answer::Nothing;
    }
    let Some(content) = response.get("content").and_then(Value::as_object) else { return Answer::Status };
    let Some((media, c)) = content.iter().next() else { return Answer::Status };
    let schema = c.get("schema").cloned().unwrap_or(Value::Null);
    if schema.get("contentMediaType").is_some() {
        Answer::Binary
    } else if media == "application/json" {
        Answer::Json(schema)
    } else if schema.get("type").and_then(Value::as_str) == Some("string") {
        Answer::Text
    } else {
        Answer::Raw
    }
}

/// The component a schema refers to (`#/components/schemas/<Name>`).
pub fn reference(schema: &Value) -> Option<&str> {
    schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/schemas/"))
}

/// The names given in one scope: each wanted name becomes an identifier by `make`, distinct from
/// the reserved ones and from those given before (`_2`, `_3` ... appended).
pub struct Scope {
    taken: BTreeSet<String>,
}

impl Scope {
    /// A scope where `reserved` are taken.
    pub fn new(reserved: &[&str]) -> Scope {
        Scope { taken: reserved.iter().map(|s| s.to_string()).collect() }
    }

    /// A fresh identifier for `name`: `case(name)`, with `_` appended when it is one of `reserved`.
    pub fn ident(&mut self, name: &str, case: fn(&str) -> String, reserved: &[&str]) -> String {
        self.give(name, |n| {
            let w = case(n);
            if reserved.contains(&w.as_str()) {
                format!("{w}_")
            } else {
                w
            }
        })
    }

    /// A fresh identifier for `name`, made by `make` (which must give a valid identifier, to
    /// which `_<n>` may be appended).
    pub fn give(&mut self, name: &str, make: impl Fn(&str) -> String) -> String {
        let base = make(name);
        let mut id = base.clone();
        let mut n = 2;
        while !self.taken.insert(id.clone()) {
            id = format!("{base}_{n}");
            n += 1;
        }
        id
    }
}

/// `name` with every character that is not an ASCII letter, digit or `_` replaced by `_`, and a
/// `_` before a leading digit (or for an empty name): a word both languages read as one
/// identifier (keywords are the caller's).
pub fn word(name: &str) -> String {
    let mut out: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// `name` in UpperCamelCase (`in_transit`, `IN_TRANSIT` → `InTransit`), as a [`word`].
pub fn upper_camel(name: &str) -> String {
    let mut out = String::new();
    let mut up = true;
    let mut w = word(name);
    if !w.chars().any(|c| c.is_ascii_lowercase()) {
        w = w.to_ascii_lowercase();
    }
    for c in w.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.push(c.to_ascii_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    word(&out)
}

/// `name` in snake_case (`orderId` → `order_id`), as a [`word`].
pub fn snake(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in word(name).chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else {
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c);
        }
    }
    word(&out)
}

/// `name` in lowerCamelCase (`get_product` → `getProduct`), as a [`word`].
pub fn lower_camel(name: &str) -> String {
    let upper = upper_camel(name);
    let mut chars = upper.chars();
    let out = match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    };
    word(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_become_words() {
        for (name, w, camel, snake_case, lower) in [
            ("get_product", "get_product", "GetProduct", "get_product", "getProduct"),
            ("orderId", "orderId", "OrderId", "order_id", "orderId"),
            ("carrier-name", "carrier_name", "CarrierName", "carrier_name", "carrierName"),
            ("1st", "_1st", "_1st", "_1st", "_1st"),
            ("", "_", "_", "_", "_"),
            ("é", "_", "_", "_", "_"),
            ("IN_TRANSIT", "IN_TRANSIT", "InTransit", "in_transit", "inTransit"),
        ] {
            assert_eq!(word(name), w, "{name}");
            assert_eq!(upper_camel(name), camel, "{name}");
            assert_eq!(super::snake(name), snake_case, "{name}");
            assert_eq!(lower_camel(name), lower, "{name}");
        }
        let mut scope = Scope::new(&["new"]);
        assert_eq!(scope.give("new", word), "new_2");
        assert_eq!(scope.give("a-b", word), "a_b");
        assert_eq!(scope.give("a_b", word), "a_b_2");
    }

    #[test]
    fn paths_split_into_text_and_parameters() {
        let op = Op {
            id: "x".into(),
            method: "GET".into(),
            path: "/a/{id}/b{other}/{id}x".into(),
            docs: String::new(),
            path_params: vec![Param {
                name: "id".into(),
                schema: json!({}),
                required: true,
                repeated: false,
            }],
            query: Vec::new(),
            body: None,
            answer: Answer::Raw,
        };
        assert_eq!(
            op.pieces(),
            vec![
                Piece::Text("/a/".into()),
                Piece::Param("id".into()),
                Piece::Text("/b{other}/".into()),
                Piece::Param("id".into()),
                Piece::Text("x".into())
            ]
        );
    }
}
