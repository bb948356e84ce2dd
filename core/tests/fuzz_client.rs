//! Generated clients (`cws client`) define what the generator means to and nothing else, whatever
//! the repository's names and texts are: OpenAPI documents whose service, stage, type, field,
//! variant, entry and parameter names, paths and doc comments hold quotes, backslashes, line
//! breaks of every kind, `*/`, `${`, keywords, non-ASCII and control characters. For each case:
//!
//! - the TypeScript module is type-checked by the TypeScript compiler (`--strict`, all cases in one
//!   `node` process, `tests/ts/client_shape.js`): no diagnostic, exactly the expected top-level
//!   declarations and client members, and the paths and enum values as string literals;
//! - the Rust `lib.rs` is read by syn: exactly the expected items and methods, the paths, field
//!   names and enum values as string literals; then every case, as a module of one crate, is built
//!   by cargo offline (the workspace's lock file).
//!
//! `CWS_FUZZ_CASES` sets the number of cases (default 40), `CWS_FUZZ_SEED` the seed. A last test
//! checks that the client asks for the API key where the stage's API requires it.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use coworks_core::artifacts::client::{rust, typescript, Api, Piece};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{json, Map, Value};

/// Pieces of hostile text: TypeScript, Rust and TOML syntax, keywords, line breaks of every kind,
/// comment ends, non-ASCII.
const PIECES: &[&str] = &[
    "\"",
    "'",
    "`",
    "\\",
    "\n",
    "\r",
    "\r\n",
    "\t",
    "\u{0}",
    "\u{1b}[31m",
    "\u{7f}",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    "\u{202e}",
    "\u{feff}",
    "*/",
    "/*",
    "//",
    "${x}",
    "#[",
    "]",
    "r#",
    "{",
    "}",
    "<",
    ">",
    "(",
    ")",
    ";",
    ",",
    "=",
    "-",
    "/",
    " ",
    "é",
    "日本",
    "😀",
    "type",
    "fn",
    "self",
    "Self",
    "constructor",
    "delete",
    "new",
    "String",
    "Promise",
    "Client",
    "queued",
    "await",
    "_",
    "1",
    "x",
    "Ok",
];

fn hostile() -> impl Strategy<Value = String> {
    support::fuzz::texts(PIECES)
}

/// A hostile text without braces (a path's text, a path parameter's name).
fn unbraced() -> impl Strategy<Value = String> {
    hostile().prop_map(|s| s.replace(['{', '}'], ""))
}

/// A schema of one of a few kinds; `refs`: the components' names.
fn schema(kind: u8, refs: &[String]) -> Value {
    match kind % 8 {
        0 => json!({ "type": "string" }),
        1 => json!({ "type": "integer", "format": "int64", "minimum": 0 }),
        2 => json!({ "type": ["number", "null"] }),
        3 => json!({ "type": "array", "items": { "type": "string" } }),
        4 if !refs.is_empty() => {
            json!({ "$ref": format!("#/components/schemas/{}", refs[kind as usize % refs.len()]) })
        }
        5 => json!({ "type": "object", "additionalProperties": { "type": "boolean" } }),
        6 => json!({ "oneOf": [{ "const": "a\"b" }, { "type": "integer" }] }),
        _ => json!({ "type": "boolean" }),
    }
}

/// A field or query parameter: name, schema kind, required.
type Field = (String, u8, bool);
/// A component: name, kind (0 object, 1 string enum, 2 other), fields or values, doc comment.
type Component = (String, u8, Vec<Field>, String);
/// An operation: id, method, path texts and parameter names, query, body kind, answer kind, docs.
type OpCase = (String, u8, Vec<(String, String)>, Vec<Field>, Option<u8>, u8, String);
/// The names of a file's types and functions, its impls with their method counts, its other items.
type Shape = (Vec<String>, Vec<String>, Vec<(String, usize)>, Vec<String>);

#[derive(Debug, Clone)]
struct Case {
    service: String,
    stage: String,
    docs: String,
    components: Vec<Component>,
    ops: Vec<OpCase>,
}

fn case() -> impl Strategy<Value = Case> {
    let field = || (hostile(), any::<u8>(), any::<bool>());
    let component = (hostile(), 0..3u8, proptest::collection::vec(field(), 1..4), hostile());
    let op = (
        hostile(),
        0..5u8,
        proptest::collection::vec((unbraced(), unbraced()), 0..3),
        proptest::collection::vec(field(), 0..3),
        proptest::option::of(any::<u8>()),
        0..7u8,
        hostile(),
    );
    (
        hostile(),
        hostile(),
        hostile(),
        proptest::collection::vec(component, 0..4),
        proptest::collection::vec(op, 1..4),
    )
        .prop_map(|(service, stage, docs, components, ops)| Case {
            service,
            stage,
            docs,
            components,
            ops,
        })
}

impl Case {
    fn document(&self) -> Value {
        let refs: Vec<String> = self.components.iter().map(|c| c.0.clone()).collect();
        let mut schemas = Map::new();
        for (name, kind, texts, docs) in &self.components {
            let s = match kind {
                0 => {
                    let props: Map<String, Value> =
                        texts.iter().map(|(n, k, _)| (n.clone(), schema(*k, &refs))).collect();
                    let required: Vec<&String> = texts.iter().filter(|t| t.2).map(|t| &t.0).collect();
                    json!({ "type": "object", "properties": props, "required": required, "description": docs })
                }
                1 => json!({ "type": "string", "enum": texts.iter().map(|t| &t.0).collect::<BTreeSet<_>>() }),
                _ => schema(texts[0].1, &refs),
            };
            schemas.insert(name.clone(), s);
        }
        let mut paths: Map<String, Value> = Map::new();
        for (id, method, parts, query, body, answer, docs) in &self.ops {
            let mut path = String::from("/");
            let mut params = Vec::new();
            for (text, param) in parts {
                path.push_str(text);
                path.push('{');
                path.push_str(param);
                path.push('}');
                params.push(
                    json!({ "name": param, "in": "path", "required": true, "schema": { "type": "string" } }),
                );
            }
            for (name, kind, required) in query {
                let s = schema(*kind, &refs);
                params.push(json!({ "name": name, "in": "query", "required": required, "schema": s }));
            }
            let responses = match answer {
                0 => json!({ "204": { "description": "" } }),
                1 => {
                    json!({ "200": { "description": "", "content": { "application/json": { "schema": schema(*answer + 3, &refs) } } } })
                }
                2 => {
                    json!({ "200": { "description": "", "content": { "text/plain": { "schema": { "type": "string" } } } } })
                }
                3 => {
                    json!({ "200": { "description": "", "content": { "x/y": { "schema": { "type": "string", "contentMediaType": "x/y" } } } } })
                }
                4 => json!({ "2XX": { "description": "" } }),
                5 => {
                    json!({ "2XX": { "description": "", "content": { "application/json": { "schema": schema(4, &refs) } } } })
                }
                _ => json!({ "default": { "description": "" } }),
            };
            let mut op = json!({ "operationId": id, "summary": docs, "parameters": params, "responses": responses, "security": [{ "token": [] }] });
            match body {
                Some(k) if k % 5 == 0 => {
                    op["requestBody"] =
                        json!({ "required": true, "content": { "multipart/form-data": { "schema": {} } } })
                }
                Some(k) => {
                    op["requestBody"] = json!({ "required": k % 2 == 0, "content": { "application/json": { "schema": schema(*k, &refs) } } })
                }
                None => {}
            }
            let m = ["get", "post", "put", "delete", "patch"][*method as usize];
            paths.entry(path).or_insert_with(|| json!({}))[m] = op;
        }
        json!({
            "openapi": "3.1.0",
            "info": { "title": self.service, "version": self.stage, "description": self.docs },
            "paths": paths,
            "components": { "schemas": schemas },
        })
    }
}

/// The values of every string literal of a Rust file (tokens walked, no `visit` needed).
fn rust_strings(tokens: proc_macro2::TokenStream, out: &mut BTreeSet<String>) {
    for t in tokens {
        match t {
            proc_macro2::TokenTree::Group(g) => rust_strings(g.stream(), out),
            proc_macro2::TokenTree::Literal(l) => {
                if let Ok(s) = syn::parse_str::<syn::LitStr>(&l.to_string()) {
                    out.insert(s.value());
                }
            }
            _ => {}
        }
    }
}

/// The names of an item list's items of each kind, and the methods of each `impl`.
fn rust_shape(items: &[syn::Item]) -> Shape {
    let (mut types, mut fns, mut impls, mut other) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for item in items {
        match item {
            syn::Item::Struct(s) => types.push(s.ident.to_string()),
            syn::Item::Enum(e) => types.push(e.ident.to_string()),
            syn::Item::Type(t) => types.push(t.ident.to_string()),
            syn::Item::Fn(f) => fns.push(f.sig.ident.to_string()),
            syn::Item::Impl(i) => {
                let ty = quote::ToTokens::to_token_stream(&i.self_ty).to_string();
                let methods = i.items.iter().filter(|m| matches!(m, syn::ImplItem::Fn(_))).count();
                impls.push((ty, methods));
            }
            syn::Item::Use(_) => other.push("use".into()),
            syn::Item::Mod(m) => other.push(format!("mod {}", m.ident)),
            _ => other.push("other".into()),
        }
    }
    (types, fns, impls, other)
}

fn distinct(names: &[String]) -> bool {
    names.iter().collect::<BTreeSet<_>>().len() == names.len()
}

#[test]
fn hostile_names_and_texts_stay_names_and_literals() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let typescript_module = root.join("vscode-extension/node_modules/typescript");
    assert!(typescript_module.exists(), "run scripts/ci-deps (npm ci in vscode-extension)");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut runner = support::fuzz::seeded_runner(40, 15);
    let strategy = case();
    let mut ts_files = Vec::new();
    let mut expected_ts = Vec::new();
    let mut crate_lib = String::new();
    let mut cargo_toml = String::new();
    std::fs::create_dir_all(dir.path().join("rs/src")).expect("src/");
    for n in 0..runner.config().cases {
        let case = strategy.new_tree(&mut runner).expect("a case").current();
        let api = Api::from_document(&case.document(), n % 2 == 0);
        let mut literals: BTreeSet<String> = BTreeSet::new();
        for op in &api.ops {
            literals.extend(op.pieces().into_iter().filter_map(|p| match p {
                Piece::Text(t) => Some(t),
                Piece::Param(_) => None,
            }));
        }
        let mut values = BTreeSet::new();
        let mut fields = BTreeSet::new();
        // From the schemas kept (a name given twice keeps its last component).
        for s in api.schemas.values() {
            fields.extend(
                s.get("properties").and_then(Value::as_object).into_iter().flatten().map(|(k, _)| k.clone()),
            );
            values.extend(
                s.get("enum")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(String::from),
            );
        }

        // Rust: the items, the methods, the literals.
        let files = rust::files(&api);
        let lib = &files[1].text;
        let file =
            syn::parse_file(lib).unwrap_or_else(|e| panic!("case {n}: lib.rs does not parse: {e}\n{lib}"));
        let (types, fns, impls, other) = rust_shape(&file.items);
        assert_eq!(types.len(), api.schemas.len() + 7, "case {n}: types {types:?}");
        assert!(distinct(&types), "case {n}: {types:?}");
        assert_eq!(fns, ["text", "encode", "decode", "send"], "case {n}");
        let methods: Vec<(String, usize)> = vec![
            ("Error".into(), 1),
            ("Error".into(), 0),
            ("Client".into(), 3 + api.ops.len()),
            ("Queued < '_ >".into(), api.ops.len()),
        ];
        assert_eq!(impls, methods, "case {n}");
        assert_eq!(other, ["use", "mod calls"], "case {n}");
        let mut strings = BTreeSet::new();
        rust_strings(quote::ToTokens::to_token_stream(&file), &mut strings);
        for text in literals.iter().chain(&values).chain(&fields) {
            assert!(strings.contains(text), "case {n}: {text:?} is not a literal of lib.rs");
        }
        if cargo_toml.is_empty() {
            let name =
                files[0].text.lines().find(|l| l.starts_with("name = ")).expect("the name").to_string();
            cargo_toml = files[0].text.replace(&name, "name = \"client-fuzz\"");
        }
        std::fs::write(dir.path().join(format!("rs/src/case_{n}.rs")), lib).expect("a case");
        crate_lib.push_str(&format!("#[path = \"case_{n}.rs\"]\npub mod case_{n};\n"));

        // TypeScript, read by the compiler below.
        let path = dir.path().join(format!("case_{n}.ts"));
        std::fs::write(&path, typescript::module(&api)).expect("a case");
        ts_files.push(path);
        let values_and_paths: BTreeSet<String> = literals.into_iter().chain(values).collect();
        expected_ts.push((api.schemas.len(), api.ops.len(), values_and_paths));
    }

    let out = Command::new("node")
        .arg(root.join("core/tests/ts/client_shape.js"))
        .arg(&typescript_module)
        .args(&ts_files)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find_map(|l| l.strip_prefix("CWS-RESULT ")).unwrap_or_else(|| {
        panic!("no answer from the TypeScript compiler: {}", String::from_utf8_lossy(&out.stderr))
    });
    let result: Value = serde_json::from_str(line).expect("JSON");
    for (n, (path, (components, ops, literals))) in ts_files.iter().zip(&expected_ts).enumerate() {
        let r = &result[path.to_string_lossy().as_ref()];
        assert_eq!(
            r["diagnostics"],
            json!([]),
            "case {n}: {}",
            std::fs::read_to_string(path).unwrap_or_default()
        );
        let names: Vec<String> = serde_json::from_value(r["names"].clone()).expect("names");
        assert_eq!(names.len(), components + 9, "case {n}: {names:?}");
        assert!(distinct(&names) && names.iter().all(|n| !n.starts_with('<')), "case {n}: {names:?}");
        let classes = r["members"].as_object().expect("classes");
        let client = classes.iter().find(|(k, _)| *k != "ServiceError").expect("the client class").1;
        let members: Vec<String> = serde_json::from_value(client.clone()).expect("members");
        assert_eq!(members.len(), 6 + ops, "case {n}: {members:?}");
        assert!(distinct(&members), "case {n}: {members:?}");
        let strings: BTreeSet<String> = serde_json::from_value(r["strings"].clone()).expect("strings");
        for text in literals {
            assert!(strings.contains(text), "case {n}: {text:?} is not a literal of the module");
        }
    }

    // Every case's crate compiles (one crate, a module per case; the dependencies as the e2e test
    // of `cws client` builds them, in the same target directory).
    std::fs::write(dir.path().join("rs/Cargo.toml"), cargo_toml).expect("Cargo.toml");
    std::fs::write(dir.path().join("rs/src/lib.rs"), crate_lib).expect("lib.rs");
    std::fs::copy(root.join("Cargo.lock"), dir.path().join("rs/Cargo.lock")).expect("the lock file");
    let target: PathBuf = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("client-crate");
    let out = Command::new(env!("CARGO"))
        .args(["build", "--offline", "--quiet", "--lib"])
        .env("CARGO_TARGET_DIR", target)
        .current_dir(dir.path().join("rs"))
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "the cases do not compile:\n{}", String::from_utf8_lossy(&out.stderr));
}

/// A stage whose REST API requires the API key (`api_key: true`) gets a client that asks for it;
/// the others take it optionally.
#[test]
fn the_api_key_is_asked_for_where_the_stage_needs_it() {
    use coworks_core::artifacts::client::{self, Lang};
    let project = support::TempProject::copy_of(&support::openapi_project());
    project.write(
        "project.cws.yml",
        "version: 3\nname: shapes\nservices:\n  shapes:\n    path: services/shapes\nworkspaces:\n  dev: {}\n  prod:\n    commands:\n      deploy:\n        api_key: true\n",
    );
    let loaded = project.load();
    for (stage, needed) in [("dev", false), ("prod", true)] {
        let ts = client::files(&loaded, "shapes", Some(stage), Lang::TypeScript).expect("the module");
        let asked = ts[0].text.contains("  apiKey: string;\n");
        assert_eq!(asked, needed, "{stage}: {}", ts[0].text);
        assert_eq!(ts[0].text.contains("  apiKey?: string;\n"), !needed, "{stage}");
        let rs = client::files(&loaded, "shapes", Some(stage), Lang::Rust).expect("the crate");
        let new = rs[1].text.lines().find(|l| l.contains("pub fn new(")).expect("Client::new").to_string();
        assert_eq!(new.contains("api_key: impl Into<String>"), needed, "{stage}: {new}");
    }
}
