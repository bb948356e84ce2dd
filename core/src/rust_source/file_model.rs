//! One Rust file's contribution to the model: its services and entries with routes, and the
//! diagnostics that need nothing but the file itself.

use std::path::{Path, PathBuf};

use crate::diagnostics::{Diagnostic, DiagnosticCode, Edit, Fix};
use crate::model::{Auth, Entry, HttpMethod, Location, Param, ParamSource, Route};
use crate::naming::{self, RouteError};
use crate::text::{ByteRange, LineIndex, Span};

use super::attr_edit::param_name_range;
use super::decl::{is_owned_context, EntryDecl, FileDecls, ParamDecl, ParamKind, ServiceDecl};

/// Which parser read a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParseMode {
    /// `syn`: the file is valid Rust.
    Exact,
    /// tree-sitter: the file has syntax errors, or is too deeply nested for `syn`.
    Tolerant,
}

/// A service `impl` block of one file, with its entries resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePart {
    /// Service name.
    pub name: String,
    /// The implemented type.
    pub type_name: String,
    /// Doc comment of the `impl` block.
    pub docs: String,
    /// Where the type is named in `impl Type`.
    pub location: Location,
    /// The whole `impl` block.
    pub item: Location,
    /// Its entries.
    pub entries: Vec<Entry>,
    /// For each entry, the spans of its stage literals (parallel to `stages`).
    pub stage_spans: Vec<Vec<Span>>,
    /// The blueprints it mounts (`#[service(blueprints(...))]`) with a valid prefix, once each
    /// (always empty for a blueprint).
    pub mounts: Vec<Mount>,
}

/// A blueprint mounted by a service: `Admin = "/admin"` in `#[service(blueprints(...))]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// The blueprint's type name.
    pub blueprint: String,
    /// The prefix its entries are served under (valid: [`naming::validate_prefix`]).
    pub prefix: String,
    /// Where the blueprint's name is written.
    pub name_location: Location,
}

/// What one Rust file contributes.
#[derive(Debug, Clone)]
pub struct FileModel {
    /// The file, relative to the project root.
    pub file: PathBuf,
    /// Its crate directory, relative to the project root.
    pub crate_dir: PathBuf,
    /// Which parser read it.
    pub mode: ParseMode,
    /// Services found.
    pub services: Vec<ServicePart>,
    /// Blueprints found (`#[blueprint] impl Type`; `name` is the type's name).
    pub blueprints: Vec<ServicePart>,
    /// Diagnostics that depend on this file alone.
    pub diagnostics: Vec<Diagnostic>,
    /// Its structs and enums as serde sees them, read on the first lookup: a model stands for one
    /// text of the file (an edit makes a new one), so this is never older than the text.
    #[cfg(feature = "analysis")]
    pub(crate) types: super::serde_types::FileTypes,
    /// The names its text writes after `struct` or `enum` ([`type_names`]): the only names a
    /// lookup of a type can find in this file, so the project indexes the files by them.
    ///
    /// [`type_names`]: super::serde_types::type_names
    #[cfg(feature = "analysis")]
    pub(crate) type_names: Vec<String>,
}

/// Types that a URL segment cannot hold.
fn bad_path_type(ty: &str) -> bool {
    let generic = |name: &str| ty.starts_with(&format!("{name}<")) || ty.contains(&format!("::{name}<"));
    ty.starts_with('(')
        || ty.starts_with('[')
        || ty.starts_with("&[")
        || (ty.starts_with('&') && !ty.ends_with("str"))
        || ["Vec", "Option", "HashMap", "BTreeMap", "HashSet", "BTreeSet", "VecDeque", "Json", "Box"]
            .iter()
            .any(|n| generic(n))
        || matches!(ty, "Value" | "serde_json::Value" | "Bytes" | "bytes::Bytes" | "()")
}

/// Types that query strings cannot hold.
fn bad_query_type(ty: &str) -> bool {
    let inner = ty
        .strip_prefix("Option<")
        .or_else(|| ty.strip_prefix("Vec<"))
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(ty);
    inner.starts_with("Vec<") || inner.starts_with("Option<") || (inner != ty && bad_path_type(inner)) || {
        inner == ty && bad_path_type(ty) && !ty.starts_with("Option<") && !ty.starts_with("Vec<")
    }
}

/// Resolves a file's declarations into services, entries and routes, with the file's own diagnostics.
pub fn build(file: &Path, crate_dir: &Path, text: &str, decls: &FileDecls, mode: ParseMode) -> FileModel {
    let index = LineIndex::new(text);
    let span = |r: ByteRange| index.span(text, r);
    let loc = |r: ByteRange| Location { file: file.to_path_buf(), span: span(r) };
    let mut diagnostics = Vec::new();
    for e in &decls.attr_errors {
        let d = Diagnostic::new(DiagnosticCode::BadAttribute, file, span(e.range), e.message.clone());
        let old = text.get(e.range.start..e.range.end).unwrap_or("");
        let fix = e.replacement.as_ref().map(|new| Fix::replace(file, e.range, old, new, true));
        diagnostics.push(d.with_fixes(fix));
    }
    let cx = Cx { file, text, span: &span, loc: &loc };
    let (mut services, mut blueprints) = (Vec::new(), Vec::new());
    for s in &decls.services {
        let part = service(s, &cx, &mut diagnostics);
        if s.blueprint {
            blueprints.push(part)
        } else {
            services.push(part)
        }
    }
    // A project keeps every file's model: no spare capacity.
    services.shrink_to_fit();
    blueprints.shrink_to_fit();
    diagnostics.shrink_to_fit();
    FileModel {
        file: file.to_path_buf(),
        crate_dir: crate_dir.to_path_buf(),
        mode,
        services,
        blueprints,
        diagnostics,
        #[cfg(feature = "analysis")]
        types: Default::default(),
        #[cfg(feature = "analysis")]
        type_names: Vec::new(),
    }
}

/// What resolving one file's declarations needs: the file, its text, and how to make positions.
struct Cx<'a> {
    file: &'a Path,
    text: &'a str,
    span: &'a dyn Fn(ByteRange) -> Span,
    loc: &'a dyn Fn(ByteRange) -> Location,
}

fn service(s: &ServiceDecl, cx: &Cx<'_>, diags: &mut Vec<Diagnostic>) -> ServicePart {
    let (file, span, loc) = (cx.file, cx.span, cx.loc);
    let name = match &s.args.name {
        _ if s.blueprint => s.type_name.clone(),
        Some(n) => n.value.clone(),
        None => naming::service_name(&s.type_name),
    };
    if !s.blueprint && !naming::is_service_name(&name) {
        let (range, how) = match &s.args.name {
            Some(n) => (n.range, "`name = \"...\"`".to_string()),
            None => (s.type_range, format!("derived from `{}`", s.type_name)),
        };
        diags.push(Diagnostic::new(
            DiagnosticCode::BadServiceName,
            file,
            span(range),
            format!(
                "service name `{}` ({how}) is not a valid name: {}; set `#[coworks::service(name = \"...\")]`",
                name.escape_debug(),
                naming::service_name_rule()
            ),
        ));
    }
    for h in &s.hooks {
        if let Some((code, msg)) = super::hooks::shape_problem(&h.name, h.shape) {
            diags.push(Diagnostic::new(code, file, span(h.name_range), msg));
        }
    }
    // Sized exactly: a project keeps every file's model.
    let mut entries = Vec::with_capacity(s.entries.len());
    let mut stage_spans = Vec::with_capacity(s.entries.len());
    for e in &s.entries {
        entries.push(entry(e, cx, diags));
        stage_spans.push(e.args.stages.iter().map(|st| span(st.range)).collect());
    }
    ServicePart {
        name,
        type_name: s.type_name.clone(),
        docs: s.docs.clone(),
        location: loc(s.type_range),
        item: loc(s.range),
        entries,
        stage_spans,
        mounts: mounts(s, cx, diags),
    }
}

/// The blueprints a service mounts, each (blueprint, prefix) once; malformed prefixes (`CWS071`)
/// and repeated mounts (`CWS072`) are diagnosed and left out.
fn mounts(s: &ServiceDecl, cx: &Cx<'_>, diags: &mut Vec<Diagnostic>) -> Vec<Mount> {
    let mut out: Vec<(Mount, ByteRange)> = Vec::new();
    for m in &s.args.blueprints {
        let (name, prefix) = (&m.blueprint.value, &m.prefix.value);
        if let Err(problem) = naming::validate_prefix(prefix) {
            let msg = format!("prefix `{}` of blueprint `{name}`: {problem}", prefix.escape_debug());
            diags.push(Diagnostic::new(
                DiagnosticCode::BadBlueprintPrefix,
                cx.file,
                (cx.span)(m.prefix.range),
                msg,
            ));
            continue;
        }
        if let Some((_, first)) = out.iter().find(|(o, _)| &o.blueprint == name && &o.prefix == prefix) {
            let msg = format!(
                "blueprint `{name}` is mounted twice at `{prefix}`: its entries would answer the same requests twice"
            );
            let d = Diagnostic::new(
                DiagnosticCode::BlueprintMountedTwice,
                cx.file,
                (cx.span)(m.prefix.range),
                msg,
            )
            .with_related(cx.file, (cx.span)(*first), "first mounted here");
            diags.push(d);
            continue;
        }
        let mount = Mount {
            blueprint: name.clone(),
            prefix: prefix.clone(),
            name_location: (cx.loc)(m.blueprint.range),
        };
        out.push((mount, m.prefix.range));
    }
    out.into_iter().map(|(m, _)| m).collect()
}

fn entry(e: &EntryDecl, cx: &Cx<'_>, diags: &mut Vec<Diagnostic>) -> Entry {
    let (file, span, loc) = (cx.file, cx.span, cx.loc);
    let mut push = |code, r: ByteRange, msg: String, fixes: Vec<Fix>| {
        diags.push(Diagnostic::new(code, file, span(r), msg).with_fixes(fixes))
    };
    if !e.has_self {
        let fix = self_fix(e, cx).into_iter().collect();
        push(
            DiagnosticCode::EntryWithoutSelf,
            e.name_range,
            format!("entry `{}` has no `self` receiver; add `&self`", e.name),
            fix,
        );
    }
    let path_params: Vec<&str> =
        e.params.iter().filter(|p| p.kind == ParamKind::Plain).map(|p| p.name.as_str()).collect();
    let explicit = e.args.path.as_ref();
    let route = match naming::derive_route(&e.name, &path_params, explicit.map(|p| p.value.as_str())) {
        Ok(r) => r,
        Err(err) => {
            let at = explicit.map(|p| p.range).unwrap_or(e.name_range);
            let (code, fixes) = match &err {
                RouteError::BadTemplate { .. } => (DiagnosticCode::BadVerbPath, Vec::new()),
                RouteError::ParamsMismatch { missing, extra } => {
                    (DiagnosticCode::PathParamsMismatch, mismatch_fixes(e, cx, missing, extra))
                }
            };
            push(code, at, err.to_string(), fixes);
            let method = naming::split_name(&e.name).method;
            Route { method, path: explicit.map(|p| p.value.clone()).unwrap_or_else(|| "/".into()) }
        }
    };
    if super::hooks::is_hook(&e.name) {
        let msg = super::hooks::entry_named_like_a_hook(&e.name);
        push(DiagnosticCode::EntryNamedLikeHook, e.name_range, msg, Vec::new());
    } else if let Some(verb) = naming::misspelt_verb(&e.name) {
        let rest = naming::split_name(&e.name).segments[1..].join("_");
        let suggestion =
            if rest.is_empty() { verb.prefix().to_string() } else { format!("{}_{rest}", verb.prefix()) };
        let fix = Fix::offered(
            format!("Rename `{}` to `{suggestion}`", e.name),
            vec![Edit::new(file, e.name_range, suggestion.clone())],
        );
        push(
            DiagnosticCode::MisspeltVerb,
            e.name_range,
            format!("`{}` is served as POST {}; did you mean `{suggestion}` ({verb})?", e.name, route.path),
            vec![fix],
        );
    }
    let mut first_body: Option<ByteRange> = None;
    let mut first_context: Option<ByteRange> = None;
    let mut later = Vec::new();
    let mut params = Vec::with_capacity(e.params.len());
    for p in &e.params {
        let source = match p.kind {
            ParamKind::Plain => ParamSource::Path,
            ParamKind::Query => ParamSource::Query,
            ParamKind::Body => ParamSource::Body,
            ParamKind::Context => {
                // The request context is no route parameter: checked here, left out of the entry.
                context_param(e, p, &mut first_context, cx, &mut later);
                continue;
            }
        };
        match source {
            ParamSource::Path if bad_path_type(&p.ty) => push(
                DiagnosticCode::PathParamType,
                p.ty_range,
                format!(
                    "path parameter `{}` has type `{}`, which one URL segment cannot hold; mark it `#[query]` or `#[body]`",
                    p.name, p.ty
                ),
                Vec::new(),
            ),
            ParamSource::Query if bad_query_type(&p.ty) => push(
                DiagnosticCode::QueryParamType,
                p.ty_range,
                format!("query parameter `{}` has type `{}`; use a scalar, Option<T> or Vec<T>", p.name, p.ty),
                Vec::new(),
            ),
            ParamSource::Body => {
                if !route.method.carries_body() {
                    push(
                        DiagnosticCode::BodyOnGetOrDelete,
                        p.range,
                        format!(
                            "`#[body]` on a {} entry: API Gateway drops the body of {} requests",
                            route.method, route.method
                        ),
                Vec::new(),
            );
                }
                match first_body {
                    Some(first) => later.push(
                        Diagnostic::new(
                            DiagnosticCode::MultipleBodies,
                            file,
                            span(p.range),
                            format!("entry `{}` has more than one `#[body]` parameter", e.name),
                        )
                        .with_related(file, span(first), "first `#[body]` parameter"),
                    ),
                    None => first_body = Some(p.range),
                }
            }
            _ => {}
        }
        params.push(Param { name: p.name.clone(), ty: p.ty.clone(), source });
    }
    if let Some(t) = &e.args.throttle {
        let problem = match crate::model::Throttle::attribute(&t.value).limits() {
            Err(problem) => Some(problem),
            Ok(_) if route.path == "/" => Some(
                "the root route's method settings API Gateway keys differently: limit it with `throttle` in `project.cws.yml`".into(),
            ),
            Ok(_) => None,
        };
        if let Some(problem) = problem {
            let msg = format!("`throttle` of entry `{}`: {problem}", e.name);
            push(DiagnosticCode::BadThrottle, t.range, msg, Vec::new());
        }
    }
    diags.extend(later);
    Entry {
        rust_name: e.name.clone(),
        route,
        params,
        auth: if e.args.no_auth { Auth::None } else { Auth::Token },
        stages: e.args.stages.iter().map(|s| s.value.clone()).collect(),
        binary_content_type: e.args.binary_content_type.clone(),
        throttle: e.args.throttle.as_ref().map(|t| t.value.clone()),
        is_async: e.is_async,
        docs: e.docs.clone(),
        location: loc(e.name_range),
        item: loc(e.range),
    }
}

/// A context parameter: taken by reference (`CWS064`, with the fix adding `&`), and once (`CWS063`).
fn context_param(
    e: &EntryDecl,
    p: &ParamDecl,
    first: &mut Option<ByteRange>,
    cx: &Cx<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    if is_owned_context(&p.ty) {
        let fix =
            Fix::safe("Take the context by reference", vec![Edit::insert(cx.file, p.ty_range.start, "&")]);
        diags.push(
            Diagnostic::new(
                DiagnosticCode::ContextByValue,
                cx.file,
                (cx.span)(p.ty_range),
                format!(
                    "entry `{}` takes the request context by value; write `{}: &{}`",
                    e.name, p.name, p.ty
                ),
            )
            .with_fixes(vec![fix]),
        );
    }
    match first {
        Some(at) => diags.push(
            Diagnostic::new(
                DiagnosticCode::MultipleContexts,
                cx.file,
                (cx.span)(p.range),
                format!("entry `{}` takes the request context more than once", e.name),
            )
            .with_related(cx.file, (cx.span)(*at), "first context parameter"),
        ),
        None => *first = Some(p.range),
    }
}

/// "Add `&self`": inserted first in the method's parameter list.
fn self_fix(e: &EntryDecl, cx: &Cx<'_>) -> Option<Fix> {
    let after = cx.text.get(e.name_range.end..e.range.end)?;
    let open = e.name_range.end + after.find('(')?;
    let empty = cx.text.get(open + 1..)?.trim_start().starts_with(')');
    let insert = if empty { "&self" } else { "&self, " };
    Some(Fix::safe("Add `&self`", vec![Edit::insert(cx.file, open + 1, insert)]))
}

/// The ways out of a path whose `{names}` differ from the method's path parameters: when one name
/// differs, rename it in the path, or rename the parameter; a parameter the path misses is added
/// at its end.
fn mismatch_fixes(e: &EntryDecl, cx: &Cx<'_>, missing: &[String], extra: &[String]) -> Vec<Fix> {
    let Some(path) = &e.args.path else { return Vec::new() };
    let literal = cx.text.get(path.range.start..path.range.end).unwrap_or("");
    let in_literal = |needle: &str| {
        let found: Vec<usize> = literal.match_indices(needle).map(|(i, _)| path.range.start + i).collect();
        match found.as_slice() {
            [one] => Some(ByteRange::new(*one, *one + needle.len())),
            _ => None,
        }
    };
    let mut out = Vec::new();
    if let ([want], [written]) = (missing, extra) {
        if let Some(r) = in_literal(&format!("{{{written}}}")) {
            let title = format!("Rename `{{{written}}}` to `{{{want}}}` in the path");
            out.push(Fix::offered(title, vec![Edit::new(cx.file, r, format!("{{{want}}}"))]));
        }
        let param = e.params.iter().find(|p| p.kind == ParamKind::Plain && &p.name == want);
        if let Some(r) = param.and_then(|p| param_name_range(cx.text, p.range, p.ty_range.start, want)) {
            let title = format!("Rename parameter `{want}` to `{written}`");
            out.push(Fix::offered(title, vec![Edit::new(cx.file, r, written.clone())]));
        }
    } else if extra.is_empty() && literal.ends_with('"') && !literal.contains('\\') {
        let tail: String = missing.iter().map(|m| format!("/{{{m}}}")).collect();
        let title = format!("Add `{tail}` to the path");
        out.push(Fix::offered(title, vec![Edit::insert(cx.file, path.range.end - 1, tail)]));
    }
    out
}

/// Whether an HTTP method name is one of the naming rule's (re-exported for faces that build requests).
pub fn method_of(name: &str) -> Option<HttpMethod> {
    name.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_types() {
        for ok in ["u64", "String", "&str", "&'a str", "Uuid", "uuid::Uuid", "Color", "bool", "char", "i32"] {
            assert!(!bad_path_type(ok), "{ok}");
        }
        for bad in [
            "Vec<u8>",
            "Option<u32>",
            "HashMap<String,u8>",
            "(u8,u8)",
            "[u8;4]",
            "&[u8]",
            "Json<T>",
            "serde_json::Value",
            "std::collections::HashMap<String,u8>",
            "&Foo",
        ] {
            assert!(bad_path_type(bad), "{bad}");
        }
    }

    #[test]
    fn query_types() {
        for ok in ["u32", "Option<u32>", "Vec<String>", "String", "Option<Color>", "bool"] {
            assert!(!bad_query_type(ok), "{ok}");
        }
        for bad in [
            "Vec<Vec<u8>>",
            "Option<Vec<u8>>",
            "HashMap<String,String>",
            "(u8,u8)",
            "Option<(u8,u8)>",
            "Json<X>",
        ] {
            assert!(bad_query_type(bad), "{bad}");
        }
    }
}

#[cfg(test)]
mod context_tests {
    use super::*;
    use crate::rust_source::{exact, tolerant};

    /// The request context is no route parameter, whichever parser reads the file.
    #[test]
    fn context_parameters_leave_routes_and_parameters_alone() {
        let text = r#"impl S {
    #[entry]
    fn get_order(&self, ctx: &Context, id: u64, #[query] page: Option<u32>) {}
    #[entry]
    fn post_note(&self, #[context] who: &coworks::Context, #[body] note: Note) {}
}"#;
        let text = format!("#[coworks::service]\n{text}");
        let exact = exact::parse(&text).expect("valid Rust");
        assert_eq!(exact, tolerant::parse(&text), "both parsers read the same parameters");
        let model = build(Path::new("a.rs"), Path::new(""), &text, &exact, ParseMode::Exact);
        assert!(model.diagnostics.is_empty(), "{:?}", model.diagnostics);
        let entries = &model.services[0].entries;
        let shown: Vec<String> = entries
            .iter()
            .map(|e| {
                let params: Vec<String> =
                    e.params.iter().map(|p| format!("{}:{:?}", p.name, p.source)).collect();
                format!("{} {}", e.route, params.join(","))
            })
            .collect();
        assert_eq!(shown, ["GET /order/{id} id:Path,page:Query", "POST /note note:Body"]);
    }
}
