//! The CoWorks naming rule: from an entry's Rust name and parameters to its route.
//!
//! `get` → `GET /`; `get_content` → `GET /content`; `_` separates segments (`get_service_test` →
//! `/service/test`); trailing underscores only distinguish Rust names (`get_content_` → `/content`);
//! a name without a verb prefix is `POST /name`; unattributed parameters become `/{p}` segments in
//! order; an explicit `path = "/users/{id}/orders"` replaces the derived path, and its `{names}` must
//! be exactly those parameters. Pure functions: the analysis, the macro and the generators all call these.

use crate::model::{template_params, HttpMethod, Route};

/// Why an entry has no valid route.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// The explicit path is not a route template.
    #[error("invalid path `{path}`: {reason}")]
    BadTemplate {
        /// The path as written.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The explicit path's `{params}` differ from the path parameters.
    #[error("{}", mismatch_message(missing, extra))]
    ParamsMismatch {
        /// Path parameters of the method that the path does not name.
        missing: Vec<String>,
        /// Names in the path that are no path parameter of the method.
        extra: Vec<String>,
    },
}

fn mismatch_message(missing: &[String], extra: &[String]) -> String {
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("parameter(s) {} not in the path", braced(missing)));
    }
    if !extra.is_empty() {
        parts.push(format!("path names {} but the method has no such path parameter", braced(extra)));
    }
    parts.join("; ")
}

fn braced(names: &[String]) -> String {
    names.iter().map(|n| format!("`{{{n}}}`")).collect::<Vec<_>>().join(", ")
}

/// An entry name split by the naming rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitName<'a> {
    /// The method: the verb prefix, or POST without one.
    pub method: HttpMethod,
    /// Whether the name starts with a verb.
    pub has_verb: bool,
    /// The path segments the name gives (without parameters).
    pub segments: Vec<&'a str>,
}

/// Splits a Rust method name by the naming rule.
pub fn split_name(rust_name: &str) -> SplitName<'_> {
    let name = rust_name.strip_prefix("r#").unwrap_or(rust_name).trim_end_matches('_');
    let mut parts = name.split('_').filter(|s| !s.is_empty());
    let first = parts.next().unwrap_or("");
    match HttpMethod::ALL.into_iter().find(|m| first.eq_ignore_ascii_case(m.prefix())) {
        Some(method) => SplitName { method, has_verb: true, segments: parts.collect() },
        None => SplitName {
            method: HttpMethod::Post,
            has_verb: false,
            segments: name.split('_').filter(|s| !s.is_empty()).collect(),
        },
    }
}

/// The route of an entry: its Rust name, its path parameters in order, and an explicit path if any.
pub fn derive_route(
    rust_name: &str,
    path_params: &[&str],
    explicit: Option<&str>,
) -> Result<Route, RouteError> {
    let split = split_name(rust_name);
    let path = match explicit {
        Some(p) => {
            validate_template(p).map_err(|reason| RouteError::BadTemplate { path: p.to_string(), reason })?;
            let named = template_params(p);
            let missing: Vec<String> =
                path_params.iter().filter(|x| !named.contains(x)).map(|s| s.to_string()).collect();
            let extra: Vec<String> =
                named.iter().filter(|x| !path_params.contains(x)).map(|s| s.to_string()).collect();
            if !missing.is_empty() || !extra.is_empty() {
                return Err(RouteError::ParamsMismatch { missing, extra });
            }
            p.to_string()
        }
        None => {
            let mut path = String::new();
            for seg in &split.segments {
                path.push('/');
                path.push_str(seg);
            }
            for p in path_params {
                path.push_str("/{");
                path.push_str(p.strip_prefix("r#").unwrap_or(p));
                path.push('}');
            }
            if path.is_empty() {
                path.push('/');
            }
            path
        }
    };
    Ok(Route { method: split.method, path })
}

/// Checks that `path` is a route template: starts with `/`, no empty segment, `{name}` segments whole.
pub fn validate_template(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err("a path starts with `/`".into());
    }
    if path == "/" {
        return Ok(());
    }
    let mut seen = Vec::new();
    for seg in path[1..].split('/') {
        if seg.is_empty() {
            return Err("empty segment (`//` or a trailing `/`)".into());
        }
        if seg.contains('{') || seg.contains('}') {
            let inner = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}'));
            match inner {
                Some(name) if is_ident(name) => {
                    if seen.contains(&name) {
                        return Err(format!("`{{{name}}}` appears twice"));
                    }
                    seen.push(name);
                }
                _ => return Err(format!("segment `{seg}`: a parameter is a whole segment `{{name}}`")),
            }
        } else if let Some(c) = seg.chars().find(|c| !(c.is_ascii_alphanumeric() || "-_.~".contains(*c))) {
            return Err(format!("segment `{seg}` has `{c}`; use letters, digits, `-`, `_`, `.` or `~`"));
        }
    }
    Ok(())
}

/// Checks the prefix a blueprint is mounted at: a path of literal segments (`/admin`, `/v1/admin`),
/// no `{parameter}`, no trailing `/`.
pub fn validate_prefix(prefix: &str) -> Result<(), String> {
    if prefix == "/" {
        return Err("the prefix `/` adds nothing: mount the blueprint at a path such as `/admin`".into());
    }
    if prefix.contains('{') || prefix.contains('}') {
        return Err("a prefix has literal segments only, no `{parameter}`".into());
    }
    validate_template(prefix)
}

/// The route a blueprint's entry answers once mounted at `prefix`: `/admin` + `GET /status` →
/// `GET /admin/status`; the blueprint's root `/` becomes the prefix itself.
pub fn mount_route(prefix: &str, route: &Route) -> Route {
    let path = if route.path == "/" { prefix.to_string() } else { format!("{prefix}{}", route.path) };
    Route { method: route.method, path }
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// A Rust name for an entry answering `method` and the route template `path` (the naming rule run
/// backwards): the name, its path parameters in order, and whether it needs an explicit `path`
/// (a `{param}` before a literal segment, or a segment the rule cannot spell). `None` when a path
/// segment cannot be written at all.
pub fn name_for_route(method: HttpMethod, path: &str) -> Option<(String, Vec<String>, bool)> {
    validate_template(path).ok()?;
    let mut words = Vec::new();
    let mut params = Vec::new();
    let mut explicit = false;
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(p) => params.push(p.to_string()),
            None => {
                explicit |= !params.is_empty();
                let word: String = seg
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
                    .collect();
                explicit |= word != seg || word.contains('_');
                words.push(word);
            }
        }
    }
    let mut name = method.prefix().to_string();
    for w in &words {
        name.push('_');
        name.push_str(w.trim_matches('_'));
    }
    let name = name.split('_').filter(|w| !w.is_empty()).collect::<Vec<_>>().join("_");
    if !explicit {
        let refs: Vec<&str> = params.iter().map(String::as_str).collect();
        explicit = derive_route(&name, &refs, None).ok().map(|r| r.path) != Some(path.to_string());
    }
    Some((name, params, explicit))
}

/// If the name has no verb prefix but its first word looks like a misspelt verb (`gte_items`,
/// `pots_mail`, `delte_user`), the verb probably meant.
pub fn misspelt_verb(rust_name: &str) -> Option<HttpMethod> {
    let split = split_name(rust_name);
    if split.has_verb {
        return None;
    }
    let first = split.segments.first()?.to_ascii_lowercase();
    HttpMethod::ALL.into_iter().find(|m| near_miss(&first, m.prefix()))
}

/// One adjacent transposition of `verb`, or (for verbs of five letters or more) one letter missing or
/// added. Substitutions are left out on purpose: `set_x` is not a misspelt `get_x`.
fn near_miss(word: &str, verb: &str) -> bool {
    let (w, v): (Vec<char>, Vec<char>) = (word.chars().collect(), verb.chars().collect());
    if w.len() == v.len() {
        let diff: Vec<usize> = (0..w.len()).filter(|&i| w[i] != v[i]).collect();
        return diff.len() == 2
            && diff[1] == diff[0] + 1
            && w[diff[0]] == v[diff[1]]
            && w[diff[1]] == v[diff[0]];
    }
    if v.len() < 5 {
        return false;
    }
    let (long, short) = if w.len() > v.len() { (&w, &v) } else { (&v, &w) };
    if long.len() != short.len() + 1 {
        return false;
    }
    (0..long.len())
        .any(|skip| long.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, c)| c).eq(short.iter()))
}

/// The default service name of a type: `Billing` → `billing`, `MailerService` → `mailer_service`.
pub fn service_name(type_name: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = type_name.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower = i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_uppercase();
            if i > 0 && (prev_lower || (prev_upper && next_lower)) && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(*c);
        }
    }
    out
}

/// The type name a generated service crate gives a service: `billing` → `Billing`, `mail-out` →
/// `MailOut` (`cws new` writes `#[coworks::service(name = "...")]`, so the name stays as given).
pub fn type_name_for_service(service: &str) -> String {
    service
        .split(['_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

/// The part of an environment variable's name that stands for `service` (`CWS_API_KEY_<SERVICE>`,
/// `CWS_TOKEN_<SERVICE>`): the name upper-cased, every character but ASCII letters and digits as `_`
/// (`order-book` → `ORDER_BOOK`), so that a shell and every environment accept the variable.
pub fn service_env_suffix(service: &str) -> String {
    service.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

/// What a valid service name is made of, for messages.
pub fn service_name_rule() -> String {
    format!("use lowercase ASCII letters, digits, `_` and `-`, starting with a letter, at most {MAX_SERVICE_NAME} characters")
}

/// Longest service name: it is part of Lambda function names (64 characters with the project and
/// stage), Airflow connection ids and command lines.
pub const MAX_SERVICE_NAME: usize = 40;

/// Whether `name` can name a service: ASCII lowercase letters, digits, `_` and `-`, starting with a
/// letter, at most [`MAX_SERVICE_NAME`] characters. Anything else could not name a Lambda function,
/// and could be read as an option or shell syntax where commands are written.
pub fn is_service_name(name: &str) -> bool {
    name.len() <= MAX_SERVICE_NAME
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Longest stage name: it names Terraform workspaces, API Gateway stages, Airflow DAG ids and tags.
pub const MAX_STAGE_NAME: usize = 64;

/// Why `name` cannot name a stage, if it cannot: a stage name is ASCII letters, digits, `_` and
/// `-`, starting with a letter, at most [`MAX_STAGE_NAME`] characters (so it is never read as an
/// option, shell syntax or a path where commands and generated files carry it).
pub fn stage_name_problem(name: &str) -> Option<String> {
    let valid = name.len() <= MAX_STAGE_NAME
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    (!valid).then(|| {
        format!(
            "stage name `{name}`: use letters, digits, `-` and `_`, starting with a letter (at most {MAX_STAGE_NAME})"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_env_suffixes() {
        assert_eq!(service_env_suffix("order-book"), "ORDER_BOOK");
        assert_eq!(service_env_suffix("mail_er2"), "MAIL_ER2");
        // Not a valid service name, still a valid variable name part.
        assert_eq!(service_env_suffix("a.b é"), "A_B__");
    }

    #[test]
    fn blueprint_prefixes_and_mounted_routes() {
        for ok in ["/admin", "/v1/admin", "/a-b_c.d~e"] {
            assert_eq!(validate_prefix(ok), Ok(()), "{ok}");
        }
        for bad in ["", "admin", "/", "/admin/", "//admin", "/{id}", "/a/{id}", "/a b"] {
            assert!(validate_prefix(bad).is_err(), "{bad}");
        }
        let get = |path: &str| Route { method: HttpMethod::Get, path: path.into() };
        assert_eq!(mount_route("/admin", &get("/status")), get("/admin/status"));
        assert_eq!(mount_route("/admin", &get("/")), get("/admin"));
        assert_eq!(mount_route("/v1/admin", &get("/user/{id}")), get("/v1/admin/user/{id}"));
    }
    use HttpMethod::*;

    fn route(name: &str, params: &[&str]) -> (HttpMethod, String) {
        let r = derive_route(name, params, None).unwrap();
        (r.method, r.path)
    }

    #[test]
    fn verbs_alone_are_the_root() {
        for m in HttpMethod::ALL {
            assert_eq!(route(m.prefix(), &[]), (m, "/".to_string()));
        }
    }

    #[test]
    fn segments_come_from_underscores() {
        assert_eq!(route("get_content", &[]), (Get, "/content".into()));
        assert_eq!(route("get_service_test", &[]), (Get, "/service/test".into()));
        assert_eq!(route("put_a_b_c", &[]), (Put, "/a/b/c".into()));
        assert_eq!(route("patch_user", &["id"]), (Patch, "/user/{id}".into()));
        assert_eq!(route("delete_invoice", &["id"]), (Delete, "/invoice/{id}".into()));
        assert_eq!(route("options_cors", &[]), (Options, "/cors".into()));
        assert_eq!(route("get_x__y", &[]), (Get, "/x/y".into()));
    }

    #[test]
    fn trailing_underscores_only_distinguish_names() {
        assert_eq!(route("get_content_", &[]), (Get, "/content".into()));
        assert_eq!(route("get_content__", &["id"]), (Get, "/content/{id}".into()));
        assert_eq!(route("get_", &["id"]), (Get, "/{id}".into()));
    }

    #[test]
    fn names_without_verbs_are_post() {
        assert_eq!(route("send", &[]), (Post, "/send".into()));
        assert_eq!(route("send_mail", &["to"]), (Post, "/send/mail/{to}".into()));
        assert_eq!(route("getter", &[]), (Post, "/getter".into()), "a verb is a whole word");
        assert_eq!(route("r#type", &[]), (Post, "/type".into()));
    }

    #[test]
    fn path_params_follow_in_order() {
        assert_eq!(route("get", &["a", "b"]), (Get, "/{a}/{b}".into()));
        assert_eq!(route("get_invoice", &["year", "num"]), (Get, "/invoice/{year}/{num}".into()));
        assert_eq!(route("get_x", &["r#ref"]), (Get, "/x/{ref}".into()));
    }

    #[test]
    fn explicit_paths_replace_the_derived_path_and_keep_the_verb() {
        let r = derive_route("get_orders", &["id"], Some("/users/{id}/orders")).unwrap();
        assert_eq!(r, Route { method: Get, path: "/users/{id}/orders".into() });
        let r = derive_route("archive", &[], Some("/archive/all")).unwrap();
        assert_eq!(r.method, Post);
        // The order of parameters in an explicit path is free.
        assert!(derive_route("get", &["a", "b"], Some("/{b}/x/{a}")).is_ok());
    }

    #[test]
    fn explicit_paths_must_name_exactly_the_path_params() {
        let e = derive_route("get_orders", &["id"], Some("/users/{uid}/orders")).unwrap_err();
        assert_eq!(e, RouteError::ParamsMismatch { missing: vec!["id".into()], extra: vec!["uid".into()] });
        assert!(e.to_string().contains("`{id}`") && e.to_string().contains("`{uid}`"));
        let e = derive_route("get", &[], Some("/{x}")).unwrap_err();
        assert_eq!(e, RouteError::ParamsMismatch { missing: vec![], extra: vec!["x".into()] });
    }

    #[test]
    fn explicit_paths_must_be_templates() {
        for bad in ["users", "/a//b", "/a/", "/a/{id", "/a/x{id}", "/{1x}", "/{a}/{a}", "/a b", "/a?b=1"] {
            assert!(
                matches!(derive_route("get", &[], Some(bad)), Err(RouteError::BadTemplate { .. })),
                "{bad} accepted"
            );
        }
        for good in ["/", "/a-b/c_d/e.f~g", "/{id}"] {
            assert!(validate_template(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn names_for_routes_give_the_route_back() {
        for (method, path, name, explicit) in [
            (Get, "/invoice/{id}", "get_invoice", false),
            (Post, "/invoice", "post_invoice", false),
            (Get, "/", "get", false),
            (Get, "/invoice/pdf/{id}", "get_invoice_pdf", false),
            (Get, "/users/{id}/orders", "get_users_orders", true),
            (Delete, "/a-b/{x}", "delete_a_b", true),
            (Get, "/a_b", "get_a_b", true),
        ] {
            let (n, params, e) = name_for_route(method, path).unwrap();
            assert_eq!((n.as_str(), e), (name, explicit), "{path}");
            let refs: Vec<&str> = params.iter().map(String::as_str).collect();
            let back = derive_route(&n, &refs, e.then_some(path)).unwrap();
            assert_eq!(back, Route { method, path: path.into() });
        }
        assert!(name_for_route(Get, "no-slash").is_none());
    }

    #[test]
    fn misspelt_verbs_are_hinted_but_real_words_are_not() {
        assert_eq!(misspelt_verb("gte_items"), Some(Get));
        assert_eq!(misspelt_verb("pots_mail"), Some(Post));
        assert_eq!(misspelt_verb("delte_user"), Some(Delete));
        assert_eq!(misspelt_verb("deelete_user"), Some(Delete));
        assert_eq!(misspelt_verb("pacth_user"), Some(Patch));
        assert_eq!(misspelt_verb("optoins"), Some(Options));
        assert_eq!(misspelt_verb("upt_x"), Some(Put));
        for fine in ["get_items", "set_items", "stop", "send_mail", "pot", "gets", "reset", "post"] {
            assert_eq!(misspelt_verb(fine), None, "{fine}");
        }
    }

    #[test]
    fn service_names_are_snake_case() {
        assert_eq!(service_name("Billing"), "billing");
        assert_eq!(service_name("MailerService"), "mailer_service");
        assert_eq!(service_name("HTTPGateway"), "http_gateway");
        assert_eq!(service_name("Shop2Go"), "shop2_go");
        assert!(is_service_name("billing") && is_service_name("shop2_go") && is_service_name("a-b"));
        for stage in ["dev", "prod", "staging-eu", "QA_2"] {
            assert_eq!(stage_name_problem(stage), None, "{stage}");
        }
        for bad in ["", "-s", "--endpoint=x", "2024", "dev\nx", "dév", "a b", "a/b", &"a".repeat(65)] {
            assert!(stage_name_problem(bad).is_some(), "{bad:?}");
        }
        assert_eq!(type_name_for_service("billing"), "Billing");
        assert_eq!(type_name_for_service("mail-out_2"), "MailOut2");
        assert_eq!(service_name(&type_name_for_service("mailer_service")), "mailer_service");
        for bad in ["", "-x", "--endpoint=x", "Billing", "café", "a b", "{a..c}", "2shop", &"a".repeat(41)] {
            assert!(!is_service_name(bad), "{bad:?}");
        }
    }
}
