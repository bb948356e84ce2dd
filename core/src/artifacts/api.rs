//! The deployed API of a stage, as API Gateway serves it: one description read by both the
//! Terraform generator ([`super::terraform`]) and the local stage gateway (`cws run -s STAGE`), so
//! what is deployed and what is served locally cannot drift.
//!
//! Per service: a REST API whose resources are the path segments of the stage's routes, one method
//! per entry route (`AWS_PROXY` to the service's function), the TOKEN authorizer on token entries
//! (its answer cached per token for `authorizer_ttl` seconds), CORS preflights routed to the function
//! and API Gateway's own error answers carrying the CORS headers, the binary media types, and the
//! asynchronous-call mechanism (the function invokes itself with `InvocationType=Event`).
//!
//! Also here, the rules API Gateway applies to a request, which the local gateway follows:
//! [`ServiceApi::route`] (resource matching), [`method_arn`], [`evaluate_policy`] (an authorizer's
//! IAM policy against the method ARN), [`is_binary`] (binary media types) and API Gateway's own
//! error messages ([`GatewayError`]).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::terraform::{
    access_log_group_name, function_name, ident, stage_domain_mappings, ServiceDeployment, StageDeployment,
};
use crate::contract::{AUTHORIZER_RESPONSE_ENV, AUTHORIZER_SIMPLE, BASE_PATH_ENV};
use crate::model::{Auth, HttpMethod, Service};
use crate::naming::service_env_suffix;
use crate::project::Project;
use crate::settings::deploy::{ApiKind, Cors, FunctionSettings, Limits, Throttle};
use crate::settings::CliOptions;

/// The header API Gateway reads the token from (the TOKEN authorizer's identity source).
pub const TOKEN_HEADER: &str = "Authorization";

/// The alias of a function with provisioned concurrency: its published version, which holds the
/// initialised instances and which API Gateway invokes.
pub const LIVE_ALIAS: &str = "live";

/// The account id in the method ARNs of the local gateway (AWS's documentation account).
pub const LOCAL_ACCOUNT: &str = "123456789012";

/// The region of method ARNs when a stage names none.
pub const DEFAULT_REGION: &str = "us-east-1";

/// One resource of the API tree: a path and its parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResource {
    /// Full path (`/invoice/{id}`).
    pub path: String,
    /// Last segment (`{id}`).
    pub part: String,
    /// Parent's path (`/` for top-level resources).
    pub parent: String,
    /// Terraform identifier.
    pub ident: String,
}

/// What a method does with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodKind {
    /// An entry: `AWS_PROXY` to the function.
    Entry,
    /// A CORS preflight (`OPTIONS` of a path without an `OPTIONS` entry): `AWS_PROXY` to the
    /// function without authorization; the runtime answers it.
    Preflight,
}

/// One method of the API.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiMethod {
    /// The HTTP method.
    pub method: HttpMethod,
    /// The resource path (`/invoice/{id}`).
    pub path: String,
    /// Token authorizer or none.
    pub auth: Auth,
    /// Entry or preflight.
    pub kind: MethodKind,
    /// For entries: the content type of a binary answer (`binary_headers`).
    pub binary_content_type: Option<String>,
    /// The entry's own rate and burst limits (`route_throttle`), overriding the stage's.
    pub throttle: Option<Limits>,
    /// Whether a request needs the service's API key in [`API_KEY_HEADER`] (`api_key`: every entry
    /// of a REST API, `no_auth` ones too; never a CORS preflight, which browsers send without it).
    pub api_key_required: bool,
}

/// The header API Gateway reads a REST API's key from (its `apiKeySource` `HEADER`).
pub const API_KEY_HEADER: &str = "x-api-key";

/// The environment variable `cws invoke` and `cws workflow run` send the API key from, and the key
/// the local stage gateway accepts, for every service without a key of its own
/// ([`service_api_key_env`]). The deployed key's value is API Gateway's: read it with `aws
/// apigateway get-api-key --include-value`.
pub const API_KEY_ENV: &str = "CWS_API_KEY";

/// The environment variable holding the API key of `service` alone, overriding [`API_KEY_ENV`] for
/// it: `CWS_API_KEY_` and the name as [`service_env_suffix`] writes it (`CWS_API_KEY_ORDER_BOOK` for
/// `order-book`). Each service deployed with `api_key` has a key of its own, so a stage whose
/// services' keys differ gives one variable per service.
pub fn service_api_key_env(service: &str) -> String {
    format!("{API_KEY_ENV}_{}", service_env_suffix(service))
}

/// The API key `service` is called with (and the local stage gateway accepts for it), from the
/// environment `var` reads: [`service_api_key_env`] when set, else [`API_KEY_ENV`] (empty values
/// count as unset). With the variable it came from, for messages; `None` when neither is set.
pub fn api_key_from_env(service: &str, var: impl Fn(&str) -> Option<String>) -> Option<(String, String)> {
    [service_api_key_env(service), API_KEY_ENV.to_string()]
        .into_iter()
        .find_map(|name| var(&name).filter(|k| !k.is_empty()).map(|k| (name, k)))
}

/// The same decision as [`api_key_from_env`] for a POSIX shell: the expansion giving `service`'s API
/// key when a script runs, `${CWS_API_KEY_<SERVICE>:-${CWS_API_KEY:-}}` (own variable over the
/// general one, empty counting as unset). Both names are ours (letters, digits, `_`): it can stand
/// inside double quotes.
pub fn api_key_shell_value(service: &str) -> String {
    format!("${{{}:-${{{API_KEY_ENV}:-}}}}", service_api_key_env(service))
}

/// The variables giving `service`'s API key, for messages: "`CWS_API_KEY_BILLING` (or
/// `CWS_API_KEY`, for every service)".
pub fn api_key_envs_text(service: &str) -> String {
    format!("`{}` (or `{API_KEY_ENV}`, for every service)", service_api_key_env(service))
}

/// The usage plan of a service's API key (`api_key`, `usage_plan`): the plan is bound to the
/// service's REST API stage and the key is its only key.
#[derive(Debug, Clone, PartialEq)]
pub struct UsagePlanApi {
    /// Requests per period: the limit and API Gateway's period (`DAY`, `WEEK`, `MONTH`).
    pub quota: Option<(i64, String)>,
    /// Rate and burst limits per key.
    pub throttle: Option<Limits>,
}

/// The TOKEN authorizer: the service's function, asked with the `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenAuthorizer {
    /// Seconds API Gateway keeps an answer for a token (0: no cache).
    pub ttl_seconds: i64,
}

/// Where a header of API Gateway's own answers takes its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderSource {
    /// A fixed value.
    Static(String),
    /// The value of a request header (empty when the request has none).
    RequestHeader(String),
}

impl HeaderSource {
    /// The mapping expression of a gateway response parameter: `'value'` or
    /// `method.request.header.Name`.
    pub fn mapping_expression(&self) -> String {
        match self {
            HeaderSource::Static(v) => format!("'{v}'"),
            HeaderSource::RequestHeader(h) => format!("method.request.header.{h}"),
        }
    }
}

/// API Gateway's answers of its own (authorizer denials, unknown routes, throttling, integration
/// timeouts), customised by type: `DEFAULT_4XX` and `DEFAULT_5XX` cover every type not set otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayResponse {
    /// `DEFAULT_4XX` or `DEFAULT_5XX`.
    pub response_type: &'static str,
    /// Headers added, by name.
    pub headers: BTreeMap<String, HeaderSource>,
}

/// How an asynchronous call (`InvocationType: Event`) runs once deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsyncMechanism {
    /// The function answers `202` after queueing the call with Lambda's `Invoke` API
    /// (`InvocationType=Event`) on itself; the queued invocation runs the entry and writes the
    /// record. Its role may invoke this function only.
    pub self_invoke: bool,
    /// Lambda's retries of a failed asynchronous invocation: none, so an entry runs once per
    /// accepted call (the record reports its failure).
    pub maximum_retry_attempts: i64,
}

/// The fields of an access log line (JSON) and the `$context` variables API Gateway fills them
/// with: request id, source IP, method, route (the resource path) and path, status, latencies
/// (integration and response, in ms), the authorizer's error, user agent.
pub const ACCESS_LOG_FIELDS: &[(&str, &str)] = &[
    ("requestId", "$context.requestId"),
    ("requestTime", "$context.requestTime"),
    ("sourceIp", "$context.identity.sourceIp"),
    ("httpMethod", "$context.httpMethod"),
    ("resourcePath", "$context.resourcePath"),
    ("path", "$context.path"),
    ("status", "$context.status"),
    ("responseLength", "$context.responseLength"),
    ("responseLatency", "$context.responseLatency"),
    ("integrationLatency", "$context.integrationLatency"),
    ("integrationStatus", "$context.integrationStatus"),
    ("authorizerError", "$context.authorizer.error"),
    ("userAgent", "$context.identity.userAgent"),
];

/// The fields of an access log line of an API of `kind`: [`ACCESS_LOG_FIELDS`], with the route key
/// (`GET /invoice/{id}`, `$context.routeKey`) for an HTTP API, which has no resource path.
pub fn access_log_fields(kind: ApiKind) -> Vec<(&'static str, &'static str)> {
    ACCESS_LOG_FIELDS
        .iter()
        .map(|&(name, variable)| match (kind, name) {
            (ApiKind::Http, "resourcePath") => ("routeKey", "$context.routeKey"),
            _ => (name, variable),
        })
        .collect()
}

/// The access log of a stage: one JSON line per request in a log group of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLog {
    /// The log group's name: `/aws/apigateway/<function>`.
    pub log_group: String,
    /// The line's format ([`ACCESS_LOG_FIELDS`] as a JSON object).
    pub format: String,
}

impl AccessLog {
    fn of(d: &StageDeployment, s: &ServiceDeployment) -> AccessLog {
        let fields: serde_json::Map<String, Value> = access_log_fields(s.function.api)
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::from(v)))
            .collect();
        AccessLog {
            log_group: access_log_group_name(&d.project, &s.service.name, &d.stage),
            format: Value::Object(fields).to_string(),
        }
    }
}

/// The deployed API of one service in one stage.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceApi {
    /// The service.
    pub service: String,
    /// A REST API or an HTTP API (`api`).
    pub kind: ApiKind,
    /// The function's (and the REST API's) deployed name.
    pub function: String,
    /// The stage (the API Gateway stage's name).
    pub stage: String,
    /// The resources, parents first.
    pub resources: Vec<ApiResource>,
    /// The methods, sorted by path and method. CORS preflights are listed for both kinds: a REST
    /// API routes them to the function, an HTTP API answers them itself from its CORS
    /// configuration (the generator writes no route for them).
    pub methods: Vec<ApiMethod>,
    /// The TOKEN authorizer, when an entry needs a token.
    pub authorizer: Option<TokenAuthorizer>,
    /// CORS, when on.
    pub cors: Option<Cors>,
    /// Media types API Gateway treats as binary (the option and the entries' `binary_headers`);
    /// empty for an HTTP API, which has no such setting.
    pub binary_media_types: Vec<String>,
    /// API Gateway's own answers, customised (REST APIs only).
    pub gateway_responses: Vec<GatewayResponse>,
    /// The asynchronous-call mechanism.
    pub asynchronous: AsyncMechanism,
    /// The function's environment: the stage's plain variables, `CWS_STAGE`, `CWS_SERVICE`, the
    /// results location, the CORS settings (secrets are added where they are kept: SSM parameters
    /// once deployed, their values locally).
    pub environment: BTreeMap<String, String>,
    /// The function's timeout, in seconds.
    pub timeout_seconds: i64,
    /// The alias of the function API Gateway invokes (its integrations, authorizer and
    /// permission), when not the function itself: [`LIVE_ALIAS`] with `provisioned_concurrency`.
    pub alias: Option<&'static str>,
    /// The stage's access log (`access_logs`).
    pub access_log: Option<AccessLog>,
    /// The rate and burst limits of every method of the stage (`throttle`; `None`: the account's).
    pub throttle: Option<Limits>,
    /// The API key's usage plan (`api_key`, `usage_plan`; REST APIs only, the checks report it on
    /// an HTTP API: CWS091).
    pub usage_plan: Option<UsagePlanApi>,
}

/// The deployed API of a stage: every service with entries in it.
#[derive(Debug, Clone, PartialEq)]
pub struct StageApi {
    /// The stage.
    pub stage: String,
    /// The region of the method ARNs (the stage's, else [`DEFAULT_REGION`]).
    pub region: String,
    /// The services' APIs.
    pub services: Vec<ServiceApi>,
}

/// The API Gateway resources (every prefix of every route's path, root excluded), parents first.
pub fn resource_tree(service: &Service) -> Vec<ApiResource> {
    let mut paths: BTreeSet<String> = BTreeSet::new();
    for e in &service.entries {
        let mut prefix = String::new();
        for seg in e.route.path.split('/').filter(|s| !s.is_empty()) {
            prefix.push('/');
            prefix.push_str(seg);
            paths.insert(prefix.clone());
        }
    }
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut out: Vec<ApiResource> = Vec::new();
    let mut sorted: Vec<String> = paths.into_iter().collect();
    sorted.sort_by_key(|p| (p.matches('/').count(), p.clone()));
    for path in sorted {
        let (parent, part) =
            path.rsplit_once('/').map(|(a, b)| (a.to_string(), b.to_string())).unwrap_or_default();
        let parent = if parent.is_empty() { "/".to_string() } else { parent };
        let base = format!(
            "{}_{}",
            ident(&service.name),
            path.trim_start_matches('/')
                .split('/')
                .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(p) => format!("p_{}", ident(p).trim_start_matches('_')),
                    None => ident(s).trim_start_matches('_').to_string(),
                })
                .collect::<Vec<_>>()
                .join("__")
        );
        let mut id = base.clone();
        let mut n = 2;
        while !taken.insert(id.clone()) {
            id = format!("{base}_{n}");
            n += 1;
        }
        out.push(ApiResource { path, part, parent, ident: id });
    }
    out
}

/// The environment of a service's function, secrets excepted (see [`ServiceApi::environment`]).
fn function_environment(d: &StageDeployment, s: &ServiceDeployment) -> BTreeMap<String, String> {
    let f = &s.function;
    let mut env = s.env.clone();
    env.insert("CWS_STAGE".into(), d.stage.clone());
    env.insert("CWS_SERVICE".into(), s.service.name.clone());
    if let Some(bucket) = &f.bucket {
        env.insert("CWS_RESULTS_BUCKET".into(), bucket.clone());
        env.insert("CWS_RESULTS_PREFIX".into(), f.results_prefix.clone());
    }
    if let Some(cors) = &f.cors {
        env.extend(cors.env().into_iter().map(|(k, v)| (k.to_string(), v)));
    }
    if f.api == ApiKind::Http {
        // An HTTP API's authorizer is set up with simple responses; its events keep a custom
        // domain's base path in the request's path.
        env.insert(AUTHORIZER_RESPONSE_ENV.into(), AUTHORIZER_SIMPLE.into());
        let mapping = stage_domain_mappings(d).into_iter().find(|m| m.service == s.service.name);
        if let Some(path) = mapping.and_then(|m| m.base_path) {
            env.insert(BASE_PATH_ENV.into(), path);
        }
    }
    env
}

/// The headers API Gateway adds to its own answers when CORS is on: the allowed origin — `*`, the
/// one origin, or (several origins: a gateway response cannot choose among them) the request's
/// `Origin` echoed, with `Vary: Origin`.
fn cors_gateway_headers(cors: &Cors) -> BTreeMap<String, HeaderSource> {
    let mut headers = BTreeMap::new();
    let origin = match cors.origins.as_slice() {
        _ if cors.any_origin() => HeaderSource::Static("*".into()),
        [one] => HeaderSource::Static(one.clone()),
        _ => {
            headers.insert("Vary".to_string(), HeaderSource::Static("Origin".into()));
            HeaderSource::RequestHeader("Origin".into())
        }
    };
    headers.insert("Access-Control-Allow-Origin".to_string(), origin);
    headers
}

/// The limits `route_throttle` gives the entry of `route` (`GET /invoices`), when valid (the
/// checks report invalid ones); the last item naming the route wins. They override the entry's
/// own `throttle` attribute.
fn route_limits(f: &FunctionSettings, route: &str) -> Option<Limits> {
    f.route_throttle
        .iter()
        .rev()
        .find(|t| t.route.as_deref().map(normalize_route).as_deref() == Some(route))
        .and_then(|t| t.limits().ok())
}

/// A route as written in the configuration (`get  /invoices`) as `cws routes` prints it
/// (`GET /invoices`).
pub fn normalize_route(written: &str) -> String {
    let mut parts = written.split_whitespace();
    let method = parts.next().unwrap_or_default().to_ascii_uppercase();
    let path = parts.collect::<Vec<_>>().join(" ");
    format!("{method} {path}")
}

impl ServiceApi {
    /// The API of service `s` in deployment `d`.
    pub fn of(d: &StageDeployment, s: &ServiceDeployment) -> ServiceApi {
        let f = &s.function;
        let mut entries: Vec<_> = s.service.entries.iter().collect();
        entries.sort_by(|a, b| a.route.cmp(&b.route));
        // Invalid quotas and limits are the checks' (CWS092): they are left out here.
        let usage_plan = f
            .usage_plan
            .as_ref()
            .filter(|_| f.api_key_required())
            .map(|p| UsagePlanApi { quota: p.quota().ok().flatten(), throttle: p.limits().ok().flatten() });
        let mut methods: Vec<ApiMethod> = entries
            .iter()
            .map(|e| ApiMethod {
                method: e.route.method,
                path: e.route.path.clone(),
                auth: e.auth,
                kind: MethodKind::Entry,
                binary_content_type: e.binary_content_type.clone(),
                throttle: route_limits(f, &e.route.to_string())
                    .or_else(|| e.throttle.as_deref().and_then(|t| Throttle::attribute(t).limits().ok())),
                api_key_required: usage_plan.is_some(),
            })
            .collect();
        if f.cors.is_some() {
            let mut by_path: BTreeMap<&str, BTreeSet<HttpMethod>> = BTreeMap::new();
            for e in &entries {
                by_path.entry(&e.route.path).or_default().insert(e.route.method);
            }
            let without_options = by_path.into_iter().filter(|(_, v)| !v.contains(&HttpMethod::Options));
            for (path, _) in without_options {
                methods.push(ApiMethod {
                    method: HttpMethod::Options,
                    path: path.to_string(),
                    auth: Auth::None,
                    kind: MethodKind::Preflight,
                    binary_content_type: None,
                    throttle: None,
                    api_key_required: false,
                });
            }
        }
        methods.sort_by(|a, b| (&a.path, a.method).cmp(&(&b.path, b.method)));
        let mut binary: BTreeSet<String> = f.binary_media_types.iter().cloned().collect();
        binary.extend(entries.iter().filter_map(|e| e.binary_content_type.clone()));
        if f.api == ApiKind::Http {
            binary.clear();
        }
        let gateway_responses = match &f.cors {
            Some(cors) if f.api == ApiKind::Rest => ["DEFAULT_4XX", "DEFAULT_5XX"]
                .into_iter()
                .map(|t| GatewayResponse { response_type: t, headers: cors_gateway_headers(cors) })
                .collect(),
            _ => Vec::new(),
        };
        ServiceApi {
            service: s.service.name.clone(),
            kind: f.api,
            function: function_name(&d.project, &s.service.name, &d.stage),
            stage: d.stage.clone(),
            resources: resource_tree(&s.service),
            authorizer: entries
                .iter()
                .any(|e| e.auth == Auth::Token)
                .then_some(TokenAuthorizer { ttl_seconds: f.authorizer_ttl }),
            methods,
            cors: f.cors.clone(),
            binary_media_types: binary.into_iter().collect(),
            gateway_responses,
            asynchronous: AsyncMechanism { self_invoke: true, maximum_retry_attempts: 0 },
            environment: function_environment(d, s),
            timeout_seconds: f.timeout,
            alias: f.provisioned_concurrency.map(|_| LIVE_ALIAS),
            access_log: f.access_logs.then(|| AccessLog::of(d, s)),
            throttle: f.throttle.as_ref().and_then(|t| t.limits().ok()),
            usage_plan,
        }
    }

    /// Whether the API has anything to serve (API Gateway refuses to deploy an API without methods).
    pub fn has_methods(&self) -> bool {
        !self.methods.is_empty()
    }

    /// The method a request reaches, as API Gateway matches it: segment by segment from the root,
    /// a literal child resource before a `{param}` one (no backtracking), then the resource's method.
    /// Returns the method and the path parameters (still percent-encoded), or `None` — API Gateway
    /// then answers `403 Missing Authentication Token`.
    pub fn route(&self, method: &str, path: &str) -> Option<(&ApiMethod, BTreeMap<String, String>)> {
        let mut current = "/".to_string();
        let mut params = BTreeMap::new();
        for seg in path.split('/').filter(|s| !s.is_empty()) {
            let children: Vec<&ApiResource> = self.resources.iter().filter(|r| r.parent == current).collect();
            let literal = children.iter().find(|r| r.part == seg);
            let param = children.iter().find(|r| r.part.starts_with('{') && r.part.ends_with('}'));
            let next = match (literal, param) {
                (Some(r), _) => r,
                (None, Some(r)) => {
                    params.insert(r.part[1..r.part.len() - 1].to_string(), seg.to_string());
                    r
                }
                (None, None) => return None,
            };
            current = next.path.clone();
        }
        let found = self.methods.iter().find(|m| m.path == current && m.method.as_str() == method)?;
        Some((found, params))
    }

    /// The ARN of the API's `execute-api` resources in `region` for `account`, e.g.
    /// `arn:aws:execute-api:eu-west-1:123456789012:billing-dev` (the local gateway's API id is the
    /// function's name).
    pub fn execute_api_arn(&self, region: &str, account: &str) -> String {
        format!("arn:aws:execute-api:{region}:{account}:{}", self.function)
    }
}

/// The method ARN API Gateway gives a TOKEN authorizer: `<api arn>/<stage>/<METHOD>/<path>`, the
/// path as requested (without its leading `/`).
pub fn method_arn(api_arn: &str, stage: &str, method: &str, path: &str) -> String {
    format!("{api_arn}/{stage}/{method}/{}", path.trim_start_matches('/'))
}

/// What an authorizer's policy says about a method ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyDecision {
    /// A statement allows it and none denies it.
    Allow,
    /// A statement denies it.
    ExplicitDeny,
    /// No statement allows it.
    ImplicitDeny,
}

/// Whether `text` matches an IAM pattern (`*`: any run of characters, `?`: one character).
pub fn iam_matches(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Evaluates an authorizer's `policyDocument` for `execute-api:Invoke` on `method_arn`, as IAM does:
/// an explicit deny wins, then an allow; nothing matching is a deny. Actions match case-insensitively.
pub fn evaluate_policy(policy: &Value, method_arn: &str) -> PolicyDecision {
    let statements: Vec<&Value> = match policy.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => Vec::new(),
    };
    let mut allowed = false;
    for st in statements {
        let action = strings(st.get("Action"))
            .iter()
            .any(|a| iam_matches(&a.to_ascii_lowercase(), "execute-api:invoke"));
        let resource = strings(st.get("Resource")).iter().any(|r| iam_matches(r, method_arn));
        if !(action && resource) {
            continue;
        }
        match st.get("Effect").and_then(Value::as_str) {
            Some("Deny") => return PolicyDecision::ExplicitDeny,
            Some("Allow") => allowed = true,
            _ => {}
        }
    }
    if allowed {
        PolicyDecision::Allow
    } else {
        PolicyDecision::ImplicitDeny
    }
}

/// Whether a media type (`Content-Type` of a request, the first type of its `Accept`) is one of
/// the API's binary media types (`image/*` and `*/*` cover several), as API Gateway decides whether
/// to pass a request body base64-encoded and whether to decode a base64 answer.
pub fn is_binary(binary_media_types: &[String], media_type: &str) -> bool {
    let t = media_type.split([';', ',']).next().unwrap_or("").trim().to_ascii_lowercase();
    if t.is_empty() {
        return false;
    }
    binary_media_types.iter().any(|b| {
        let b = b.trim().to_ascii_lowercase();
        b == t || b == "*/*" || b.strip_suffix("/*").is_some_and(|major| t.split('/').next() == Some(major))
    })
}

/// API Gateway's own answers in front of the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayError {
    /// No resource or method for the request (`MISSING_AUTHENTICATION_TOKEN`, 403).
    MissingAuthenticationToken,
    /// A token entry called without the identity source header (`UNAUTHORIZED`, 401).
    Unauthorized,
    /// The authorizer's policy does not allow the method ARN (`ACCESS_DENIED`, 403).
    AccessDenied,
    /// The authorizer's policy denies the method ARN (`ACCESS_DENIED`, 403).
    ExplicitDeny,
    /// A method requiring the API key called without a valid one in [`API_KEY_HEADER`]
    /// (`INVALID_API_KEY`, 403 `Forbidden`).
    InvalidApiKey,
    /// The authorizer failed or answered no policy (`AUTHORIZER_CONFIGURATION_ERROR`, 500).
    AuthorizerError,
    /// The function failed or answered no valid proxy answer (502).
    BadGateway,
    /// The integration ran longer than 29 s (`INTEGRATION_TIMEOUT`, 504).
    Timeout,
}

impl GatewayError {
    /// The status.
    pub fn status(self) -> u16 {
        match self {
            GatewayError::MissingAuthenticationToken
            | GatewayError::AccessDenied
            | GatewayError::ExplicitDeny
            | GatewayError::InvalidApiKey => 403,
            GatewayError::Unauthorized => 401,
            GatewayError::AuthorizerError => 500,
            GatewayError::BadGateway => 502,
            GatewayError::Timeout => 504,
        }
    }

    /// API Gateway's message (its JSON body is `{"message": ...}`).
    pub fn message(self) -> &'static str {
        match self {
            GatewayError::MissingAuthenticationToken => "Missing Authentication Token",
            GatewayError::Unauthorized => "Unauthorized",
            GatewayError::AccessDenied => "User is not authorized to access this resource",
            GatewayError::ExplicitDeny => {
                "User is not authorized to access this resource with an explicit deny"
            }
            GatewayError::InvalidApiKey => "Forbidden",
            GatewayError::AuthorizerError => "Internal server error",
            GatewayError::BadGateway => "Internal server error",
            GatewayError::Timeout => "Endpoint request timed out",
        }
    }

    /// The gateway response type covering it (`DEFAULT_4XX` or `DEFAULT_5XX`).
    pub fn default_type(self) -> &'static str {
        if self.status() < 500 {
            "DEFAULT_4XX"
        } else {
            "DEFAULT_5XX"
        }
    }
}

/// The deployed API of `stage` (the services with entries in it), with `cli` deployment options.
pub fn stage_api(project: &Project, stage: &str, cli: &CliOptions) -> StageApi {
    let (d, _) = super::stage_deployment(project, stage, cli);
    StageApi {
        stage: d.stage.clone(),
        region: d.settings.region.clone().unwrap_or_else(|| DEFAULT_REGION.to_string()),
        services: d.services.iter().map(|s| ServiceApi::of(&d, s)).filter(ServiceApi::has_methods).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_services_own_api_key_overrides_the_stages() {
        assert_eq!(service_api_key_env("order-book"), "CWS_API_KEY_ORDER_BOOK");
        assert_eq!(service_api_key_env("billing"), "CWS_API_KEY_BILLING");
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
        };
        let both = env(&[("CWS_API_KEY", "all"), ("CWS_API_KEY_BILLING", "own")]);
        assert_eq!(api_key_from_env("billing", both), Some(("CWS_API_KEY_BILLING".into(), "own".into())));
        assert_eq!(api_key_from_env("catalog", both), Some(("CWS_API_KEY".into(), "all".into())));
        let empty_own = env(&[("CWS_API_KEY", "all"), ("CWS_API_KEY_BILLING", "")]);
        assert_eq!(api_key_from_env("billing", empty_own), Some(("CWS_API_KEY".into(), "all".into())));
        assert_eq!(api_key_from_env("billing", env(&[("CWS_API_KEY", "")])), None);
        assert_eq!(
            api_key_envs_text("billing"),
            "`CWS_API_KEY_BILLING` (or `CWS_API_KEY`, for every service)"
        );
    }

    #[test]
    fn the_shell_reads_the_api_key_as_api_key_from_env_does() {
        let cases: [&[(&str, &str)]; 5] = [
            &[("CWS_API_KEY", "all"), ("CWS_API_KEY_ORDER_BOOK", "own")],
            &[("CWS_API_KEY", "all")],
            &[("CWS_API_KEY", "all"), ("CWS_API_KEY_ORDER_BOOK", "")],
            &[("CWS_API_KEY_ORDER_BOOK", "own")],
            &[("CWS_API_KEY", "")],
        ];
        for vars in cases {
            let var = |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());
            let expected = api_key_from_env("order-book", var).map(|(_, k)| k).unwrap_or_default();
            let script = format!("printf '%s' \"{}\"", api_key_shell_value("order-book"));
            let mut sh = std::process::Command::new("sh");
            sh.args(["-c", &script]).env_remove("CWS_API_KEY").env_remove("CWS_API_KEY_ORDER_BOOK");
            let out = sh.envs(vars.iter().copied()).output().expect("sh runs");
            assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{vars:?}");
        }
    }

    #[test]
    fn iam_wildcards() {
        let arn = "arn:aws:execute-api:eu-west-1:123456789012:abc/dev/GET/invoice/1";
        assert!(iam_matches(arn, arn));
        assert!(iam_matches("arn:aws:execute-api:eu-west-1:123456789012:abc/dev/*/*", arn));
        assert!(iam_matches("arn:aws:execute-api:*:*:abc/dev/*", arn));
        assert!(iam_matches("*", arn));
        assert!(iam_matches("arn:aws:execute-api:eu-west-1:123456789012:abc/dev/GET/invoice/?", arn));
        assert!(!iam_matches("arn:aws:execute-api:eu-west-1:123456789012:abc/dev/GET/invoices", arn));
        assert!(!iam_matches("arn:aws:execute-api:eu-west-1:123456789012:abc/prod/*/*", arn));
        assert!(!iam_matches("", arn));
        assert!(iam_matches("", ""));
    }

    #[test]
    fn policies_as_iam_evaluates_them() {
        let arn = "arn:aws:execute-api:r:a:api/dev/GET/invoices";
        let policy = |effect: &str, resource: Value| json!({"Version": "2012-10-17", "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]});
        assert_eq!(
            evaluate_policy(&policy("Allow", json!("arn:aws:execute-api:r:a:api/dev/*/*")), arn),
            PolicyDecision::Allow
        );
        // The exact method ARN of another call allows only that call: what a cached answer did.
        let other = "arn:aws:execute-api:r:a:api/dev/GET/invoice/1";
        assert_eq!(evaluate_policy(&policy("Allow", json!(other)), arn), PolicyDecision::ImplicitDeny);
        assert_eq!(
            evaluate_policy(&policy("Deny", json!(["x", "arn:*"])), arn),
            PolicyDecision::ExplicitDeny
        );
        let both = json!({"Statement": [
            {"Action": ["execute-api:*"], "Effect": "Allow", "Resource": "*"},
            {"Action": "EXECUTE-API:INVOKE", "Effect": "Deny", "Resource": arn}]});
        assert_eq!(evaluate_policy(&both, arn), PolicyDecision::ExplicitDeny);
        let other_action =
            json!({"Statement": {"Action": "s3:GetObject", "Effect": "Allow", "Resource": "*"}});
        assert_eq!(evaluate_policy(&other_action, arn), PolicyDecision::ImplicitDeny);
        assert_eq!(evaluate_policy(&json!(null), arn), PolicyDecision::ImplicitDeny);
    }

    #[test]
    fn binary_media_types_with_wildcards() {
        let types = vec!["application/pdf".to_string(), "image/*".to_string()];
        assert!(is_binary(&types, "application/pdf"));
        assert!(is_binary(&types, "Application/PDF; q=1, text/html"));
        assert!(is_binary(&types, "image/png"));
        assert!(!is_binary(&types, "*/*"), "an Accept of */* is not a binary type unless */* is listed");
        assert!(!is_binary(&types, "application/json"));
        assert!(!is_binary(&types, ""));
        assert!(is_binary(&["*/*".to_string()], "text/plain"));
    }

    #[test]
    fn method_arns_and_gateway_errors() {
        assert_eq!(
            method_arn("arn:aws:execute-api:r:a:api", "dev", "GET", "/invoice/1"),
            "arn:aws:execute-api:r:a:api/dev/GET/invoice/1"
        );
        assert_eq!(method_arn("x", "dev", "GET", "/"), "x/dev/GET/");
        assert_eq!(
            (GatewayError::Unauthorized.status(), GatewayError::Unauthorized.default_type()),
            (401, "DEFAULT_4XX")
        );
        assert_eq!(GatewayError::Timeout.default_type(), "DEFAULT_5XX");
        let one = Cors { origins: vec!["https://a".into()], headers: vec![], max_age: 0 };
        assert_eq!(
            cors_gateway_headers(&one)["Access-Control-Allow-Origin"].mapping_expression(),
            "'https://a'"
        );
        let two = Cors { origins: vec!["https://a".into(), "https://b".into()], ..one.clone() };
        let h = cors_gateway_headers(&two);
        assert_eq!(h["Access-Control-Allow-Origin"].mapping_expression(), "method.request.header.Origin");
        assert_eq!(h["Vary"], HeaderSource::Static("Origin".into()));
        let any = Cors { origins: vec!["*".into(), "https://a".into()], ..one };
        assert_eq!(
            cors_gateway_headers(&any)["Access-Control-Allow-Origin"],
            HeaderSource::Static("*".into())
        );
    }
}
