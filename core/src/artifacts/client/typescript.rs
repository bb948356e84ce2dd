//! The TypeScript client: one self-contained module using `fetch` (Node 20, browsers). A type per
//! component schema, a client class taking the base URL and the stage's token (and the service's
//! API key when its requests need one), one async method per entry, and `queued(target)`: the same
//! methods as asynchronous calls (`InvocationType: Event`, answered `202` with where the record
//! will be).
//!
//! The repository's text reaches the module only through [`ts_str`] (string literals), [`ts_doc`]
//! (doc comments) and [`ident`] (identifiers).

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::Value;

use super::{lower_camel, reference, upper_camel, word, Answer, Api, Body, Op, Piece, Scope};
use crate::artifacts::api::{API_KEY_HEADER, TOKEN_HEADER};
use crate::contract::{INVOCATION_TYPE_HEADER, RESULT_BUCKET_HEADER, RESULT_KEY_HEADER};

/// The module's file name: `<service>.client.ts`.
pub fn file_name(service: &str) -> String {
    format!("{service}.client.ts")
}

/// Words a TypeScript identifier may not be (reserved words, strict-mode and contextual ones a
/// binding or type name cannot take) and the globals the module itself uses.
pub const RESERVED: &[&str] = &[
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "new",
    "null",
    "return",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "implements",
    "interface",
    "let",
    "package",
    "private",
    "protected",
    "public",
    "static",
    "yield",
    "await",
    "async",
    "arguments",
    "eval",
    "any",
    "unknown",
    "never",
    "object",
    "string",
    "number",
    "boolean",
    "bigint",
    "symbol",
    "undefined",
    "type",
    "declare",
    "namespace",
    "module",
    "abstract",
    "as",
    "asserts",
    "constructor",
    "get",
    "set",
    "infer",
    "is",
    "keyof",
    "readonly",
    "require",
    "of",
    "unique",
    "satisfies",
    "accessor",
    "global",
    "out",
    "override",
    "Array",
    "Promise",
    "Record",
    "Uint8Array",
    "FormData",
    "Error",
    "URL",
    "String",
    "JSON",
    "Object",
    "Exclude",
    "Response",
    "fetch",
    "encodeURIComponent",
];

/// The names the module declares itself.
const OWN: &[&str] = &["ServiceError", "AsyncTarget", "Accepted", "RawAnswer", "ClientOptions", "Queued"];

/// A TypeScript string literal of `text`: JSON's (quotes, backslashes and control characters
/// escaped), with U+2028 and U+2029 escaped too. The one way the repository's text reaches a
/// string literal of the module.
pub fn ts_str(text: &str) -> String {
    let json = serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into());
    json.replace('\u{2028}', "\\u2028").replace('\u{2029}', "\\u2029")
}

/// A doc comment (`/** ... */`) of `text` at `indent`: one line per line of the text, `*/` never
/// closing it early. The one way the repository's text reaches a comment of the module.
pub fn ts_doc(text: &str, indent: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let mut out = format!("{indent}/**\n");
    for line in text.split(['\n', '\r', '\u{2028}', '\u{2029}']) {
        let line = line.replace("*/", "*\\/");
        let _ = writeln!(out, "{indent} * {}", line.trim_end());
    }
    let _ = writeln!(out, "{indent} */");
    out
}

/// An identifier for `name` in `scope`: a [`word`] (made by `case`), never a reserved word.
pub fn ident(scope: &mut Scope, name: &str, case: fn(&str) -> String) -> String {
    scope.ident(name, case, RESERVED)
}

/// A property name: the name itself when it is a plain identifier, else its string literal.
fn prop(name: &str) -> String {
    let plain = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        name.to_string()
    } else {
        ts_str(name)
    }
}

/// The TypeScript type of a schema; `names`: the components' type names.
fn ts_type(s: &Value, names: &BTreeMap<String, String>) -> String {
    if let Some(r) = reference(s) {
        return names.get(r).cloned().unwrap_or_else(|| "unknown".into());
    }
    if let Some(c) = s.get("const") {
        return literal(c);
    }
    if let Some(values) = s.get("enum").and_then(Value::as_array) {
        return union(values.iter().map(literal).collect());
    }
    for (key, join) in [("oneOf", " | "), ("anyOf", " | "), ("allOf", " & ")] {
        if let Some(parts) = s.get(key).and_then(Value::as_array) {
            let parts: Vec<String> = parts.iter().map(|p| wrap(ts_type(p, names))).collect();
            return if parts.is_empty() { "unknown".into() } else { parts.join(join) };
        }
    }
    match s.get("type") {
        Some(Value::String(t)) => of_type(t, s, names),
        Some(Value::Array(ts)) => {
            union(ts.iter().filter_map(Value::as_str).map(|t| of_type(t, s, names)).collect())
        }
        _ => "unknown".into(),
    }
}

fn of_type(t: &str, s: &Value, names: &BTreeMap<String, String>) -> String {
    match t {
        "string" => "string".into(),
        "integer" | "number" => "number".into(),
        "boolean" => "boolean".into(),
        "null" => "null".into(),
        "array" => match (s.get("prefixItems").and_then(Value::as_array), s.get("items")) {
            (Some(items), _) => {
                format!("[{}]", items.iter().map(|i| ts_type(i, names)).collect::<Vec<_>>().join(", "))
            }
            (None, Some(items)) => format!("Array<{}>", ts_type(items, names)),
            (None, None) => "Array<unknown>".into(),
        },
        "object" => object(s, names, ""),
        _ => "unknown".into(),
    }
}

/// An object type: its properties (optional when not required), or an index signature for a map.
fn object(s: &Value, names: &BTreeMap<String, String>, indent: &str) -> String {
    let props = s.get("properties").and_then(Value::as_object);
    let required: Vec<&str> =
        s.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    match (props, s.get("additionalProperties")) {
        (Some(p), _) if !p.is_empty() => {
            let mut out = String::from("{\n");
            for (name, schema) in p {
                let optional = if required.contains(&name.as_str()) { "" } else { "?" };
                out.push_str(&ts_doc(
                    schema.get("description").and_then(Value::as_str).unwrap_or_default(),
                    &format!("{indent}  "),
                ));
                // A nested object's lines one level deeper.
                let ty = ts_type(schema, names).replace('\n', &format!("\n{indent}  "));
                let _ = writeln!(out, "{indent}  {}{optional}: {ty};", prop(name));
            }
            out.push_str(indent);
            out.push('}');
            out
        }
        (_, Some(extra @ Value::Object(_))) => format!("{{ [key: string]: {} }}", ts_type(extra, names)),
        (_, Some(Value::Bool(false))) => "Record<string, never>".into(),
        _ => "{ [key: string]: unknown }".into(),
    }
}

/// A JSON value as a literal type (strings through [`ts_str`]).
fn literal(v: &Value) -> String {
    match v {
        Value::String(s) => ts_str(s),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        _ => "unknown".into(),
    }
}

fn wrap(t: String) -> String {
    if t.contains(' ') && !t.starts_with('{') {
        format!("({t})")
    } else {
        t
    }
}

fn union(parts: Vec<String>) -> String {
    if parts.is_empty() {
        "never".into()
    } else {
        parts.into_iter().map(wrap).collect::<Vec<_>>().join(" | ")
    }
}

/// The components a schema is made of directly: its reference, its choices' and parts' (not those
/// inside objects or arrays, which TypeScript resolves lazily).
fn immediate_refs(s: &Value, out: &mut Vec<String>) {
    if let Some(r) = reference(s) {
        out.push(r.to_string());
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for part in s.get(key).and_then(Value::as_array).into_iter().flatten() {
            immediate_refs(part, out);
        }
    }
}

/// Whether alias `name` would be made of itself through other aliases.
fn circular(api: &Api, name: &str) -> bool {
    let mut seen = std::collections::BTreeSet::new();
    let mut todo = Vec::new();
    immediate_refs(&api.schemas[name], &mut todo);
    while let Some(n) = todo.pop() {
        if n == name {
            return true;
        }
        if let Some(s) = api.schemas.get(&n).filter(|_| seen.insert(n.clone())) {
            immediate_refs(s, &mut todo);
        }
    }
    false
}

/// The module of `api`.
pub fn module(api: &Api) -> String {
    let mut types = Scope::new(RESERVED);
    for own in OWN {
        types.give(own, word);
    }
    let class = ident(&mut types, &api.service, |n| format!("{}Client", upper_camel(n)));
    let names: BTreeMap<String, String> =
        api.schemas.keys().map(|k| (k.clone(), ident(&mut types, k, upper_camel))).collect();
    let mut out = String::new();
    out.push_str(
        "// Generated by `cws client` from the service's OpenAPI document (`cws openapi`): do not edit.\n",
    );
    let _ = writeln!(out, "// Service {}, stage {}.", ts_str(&api.service), ts_str(&api.stage));
    out.push_str("/* eslint-disable */\n\n");
    for (name, schema) in &api.schemas {
        let id = &names[name];
        out.push_str(&ts_doc(schema.get("description").and_then(Value::as_str).unwrap_or_default(), ""));
        let plain_object = schema.get("type") == Some(&Value::String("object".into()))
            && schema.get("properties").and_then(Value::as_object).is_some_and(|p| !p.is_empty());
        if plain_object {
            let _ = writeln!(out, "export interface {id} {}\n", object(schema, &names, ""));
        } else if circular(api, name) {
            // An alias cannot be itself (TypeScript refuses `type A = A | null`).
            let _ = writeln!(out, "export type {id} = unknown;\n");
        } else {
            let _ = writeln!(out, "export type {id} = {};\n", ts_type(schema, &names));
        }
    }
    out.push_str(PRELUDE);
    let token = if api.token { "token: string" } else { "token?: string" };
    let key = if api.api_key { "apiKey: string" } else { "apiKey?: string" };
    let _ = writeln!(
        out,
        "/** How the client authenticates: the stage's `TOKEN` (sent as `{TOKEN_HEADER}`), the service's API key (`{API_KEY_HEADER}`). */\nexport interface ClientOptions {{\n  {token};\n  {key};\n}}\n"
    );
    out.push_str(&ts_doc(&api.docs, ""));
    let _ = writeln!(out, "export class {class} {{");
    let head = CLASS_HEAD
        .replace("{CLASS}", &class)
        .replace("TOKEN_HEADER", &ts_str(TOKEN_HEADER))
        .replace("API_KEY_HEADER", &ts_str(API_KEY_HEADER))
        .replace("INVOCATION_TYPE_HEADER", &ts_str(INVOCATION_TYPE_HEADER))
        .replace("RESULT_BUCKET_HEADER", &ts_str(RESULT_BUCKET_HEADER))
        .replace("RESULT_KEY_HEADER", &ts_str(RESULT_KEY_HEADER));
    out.push_str(&head);
    let mut methods = Scope::new(RESERVED);
    methods.give("queued", word);
    for op in &api.ops {
        out.push('\n');
        method(&mut out, op, &mut methods, &names);
    }
    out.push_str("}\n");
    out
}

/// One method calling `op`.
fn method(out: &mut String, op: &Op, methods: &mut Scope, names: &BTreeMap<String, String>) {
    let name = ident(methods, &op.id, lower_camel);
    let mut locals = Scope::new(RESERVED);
    // The module's own functions, which a parameter must not hide.
    locals.give("text", word);
    locals.give("read", word);
    let query_name = if op.query.is_empty() { None } else { Some(ident(&mut locals, "query", word)) };
    let body_name = op.body.as_ref().map(|_| ident(&mut locals, "body", word));
    let query_required = op.query.iter().any(|p| p.required);
    let mut params = Vec::new();
    let mut path_ids = BTreeMap::new();
    for p in &op.path_params {
        let id = ident(&mut locals, &p.name, lower_camel);
        params.push(format!("{id}: {}", ts_type(&p.schema, names)));
        path_ids.insert(p.name.clone(), id);
    }
    match (&op.body, &body_name) {
        (Some(Body::Json { schema, required: true }), Some(b)) => {
            params.push(format!("{b}: {}", ts_type(schema, names)))
        }
        (Some(Body::Json { schema, required: false }), Some(b)) if query_required => {
            params.push(format!("{b}: {} | undefined", ts_type(schema, names)))
        }
        (Some(Body::Json { schema, required: false }), Some(b)) => {
            params.push(format!("{b}?: {}", ts_type(schema, names)))
        }
        (Some(Body::Multipart), Some(b)) => params.push(format!("{b}: FormData")),
        _ => {}
    }
    if let Some(q) = &query_name {
        let mut fields = String::from("{ ");
        let mut seen = std::collections::BTreeSet::new();
        for p in op.query.iter().filter(|p| seen.insert(p.name.as_str())) {
            let optional = if p.required { "" } else { "?" };
            let _ = write!(fields, "{}{optional}: {}; ", prop(&p.name), ts_type(&p.schema, names));
        }
        fields.push('}');
        // Optional rather than `= {}`: `{}` has `Object`'s own properties (`constructor`), which a
        // query parameter of that name would not accept.
        params.push(if !query_required { format!("{q}?: {fields}") } else { format!("{q}: {fields}") });
    }
    let (ret, read) = match &op.answer {
        Answer::Nothing => ("void".to_string(), "nothing"),
        Answer::Json(s) => (ts_type(s, names), "json"),
        Answer::Text => ("string".into(), "text"),
        Answer::Binary => ("Uint8Array".into(), "bytes"),
        Answer::Status => ("number".into(), "status"),
        Answer::Raw => ("RawAnswer".into(), "raw"),
    };
    let path: Vec<String> = op
        .pieces()
        .iter()
        .map(|p| match p {
            Piece::Text(t) => ts_str(t),
            Piece::Param(n) => format!("encodeURIComponent(text({}))", path_ids[n]),
        })
        .collect();
    let path = if path.is_empty() { ts_str("") } else { path.join(" + ") };
    let body = match (&op.body, &body_name) {
        (Some(Body::Json { required: true, .. }), Some(b)) => format!("JSON.stringify({b})"),
        (Some(Body::Json { required: false, .. }), Some(b)) => {
            format!("{b} === undefined ? undefined : JSON.stringify({b})")
        }
        (Some(Body::Multipart), Some(b)) => b.clone(),
        _ => "undefined".into(),
    };
    let json = matches!(op.body, Some(Body::Json { .. }));
    let query = match query_name {
        Some(q) if !query_required => format!("{q} ?? {{}}"),
        Some(q) => q,
        None => "{}".into(),
    };
    out.push_str(&ts_doc(&op.docs, "  "));
    let _ = writeln!(out, "  async {name}({}): Promise<{ret}> {{", params.join(", "));
    let _ = writeln!(
        out,
        "    return (await this.#call({}, {path}, {query}, {body}, {json}, {})) as {ret};",
        ts_str(&op.method),
        ts_str(read)
    );
    out.push_str("  }\n");
}

/// The module's own declarations before the client class.
const PRELUDE: &str = r#"/** An answer that is not a success: its status and body (JSON when it is JSON, else text). */
export class ServiceError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    super(`HTTP ${status}: ${typeof body === "string" ? body : JSON.stringify(body)}`);
    this.name = "ServiceError";
    this.status = status;
    this.body = body;
  }
}

/** Where an asynchronous call's record goes: an S3 bucket and key (the stage's results location). */
export interface AsyncTarget {
  bucket: string;
  key: string;
}

/** The `202` of an asynchronous call: the entry runs later and writes one record `{status, headers, body}` to `bucket`/`key`. */
export interface Accepted {
  request_id: string;
  bucket: string;
  key: string;
}

/** An answer the service's document does not describe: as it came. */
export interface RawAnswer {
  status: number;
  contentType: string | null;
  body: Uint8Array;
}

/** The client's methods as asynchronous calls: each answers the `202`'s `Accepted`. */
export type Queued<C> = {
  [K in Exclude<keyof C, "queued">]: C[K] extends (...args: infer A) => Promise<unknown> ? (...args: A) => Promise<Accepted> : never;
};

function text(value: unknown): string {
  return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
}

async function read(answer: Response): Promise<unknown> {
  const body = await answer.text();
  if ((answer.headers.get("content-type") ?? "").startsWith("application/json")) {
    try {
      return JSON.parse(body);
    } catch {
      return body;
    }
  }
  return body;
}

"#;

/// The client class's fields, constructor, `queued` and the one request function.
const CLASS_HEAD: &str = r#"  readonly #base: string;
  readonly #options: ClientOptions;
  #target: AsyncTarget | undefined;

  /** A client of the service at `baseUrl` (the stage's URL, e.g. `cws deployed` or a local `cws run`). */
  constructor(baseUrl: string, options: ClientOptions) {
    this.#base = baseUrl.replace(/\/+$/, "");
    this.#options = options;
  }

  /** The same calls made asynchronously: answered `202` at once, the result written to `target`. */
  queued(target: AsyncTarget): Queued<{CLASS}> {
    const client = new {CLASS}(this.#base, this.#options);
    client.#target = target;
    return client as unknown as Queued<{CLASS}>;
  }

  async #call(
    method: string,
    path: string,
    query: { [key: string]: unknown },
    body: string | FormData | undefined,
    json: boolean,
    want: "json" | "text" | "bytes" | "nothing" | "status" | "raw",
  ): Promise<unknown> {
    const url = new URL(this.#base + path);
    for (const [key, value] of Object.entries(query)) {
      for (const v of Array.isArray(value) ? value : [value]) {
        if (v !== undefined && v !== null) url.searchParams.append(key, text(v));
      }
    }
    const headers: { [key: string]: string } = {};
    if (this.#options.token !== undefined) headers[TOKEN_HEADER] = this.#options.token;
    if (this.#options.apiKey !== undefined) headers[API_KEY_HEADER] = this.#options.apiKey;
    if (json) headers["Content-Type"] = "application/json";
    if (this.#target !== undefined) {
      headers[INVOCATION_TYPE_HEADER] = "Event";
      headers[RESULT_BUCKET_HEADER] = this.#target.bucket;
      headers[RESULT_KEY_HEADER] = this.#target.key;
    }
    const answer = await fetch(url, { method, headers, body });
    if (!answer.ok) throw new ServiceError(answer.status, await read(answer));
    if (this.#target !== undefined) {
      if (answer.status !== 202) throw new ServiceError(answer.status, await read(answer));
      return await answer.json();
    }
    switch (want) {
      case "json":
        return await answer.json();
      case "text":
        return await answer.text();
      case "bytes":
        return new Uint8Array(await answer.arrayBuffer());
      case "nothing":
        await answer.arrayBuffer();
        return undefined;
      case "status":
        await answer.arrayBuffer();
        return answer.status;
      case "raw":
        return { status: answer.status, contentType: answer.headers.get("content-type"), body: new Uint8Array(await answer.arrayBuffer()) };
    }
  }
"#;
