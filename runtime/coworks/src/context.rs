//! The request context an entry can take (`ctx: &Context`, or a parameter marked `#[context]`):
//! headers, cookies, the raw query, the request id, the client's address, the stage, the Lambda
//! context, and the authorizer's principal and context map; and [`Principal`], what a service's
//! `authorize` can return instead of a `bool`.
//!
//! Where each value comes from, per face:
//!
//! | value | local server (`cws run SERVICE`) | Lambda (REST 1.0 / HTTP API 2.0 / function URL / ALB) |
//! |---|---|---|
//! | source IP | the TCP peer | `requestContext.identity.sourceIp` / `requestContext.http.sourceIp` / the same / the first `X-Forwarded-For` address |
//! | request id | `local-<pid>-<n>` | the Lambda invocation's request id |
//! | stage | `CWS_STAGE` | `CWS_STAGE` (the API Gateway stage: [`Context::api_stage`]) |
//! | principal, map | what `authorize` returned | `requestContext.authorizer` (REST: `principalId` and the context's keys; HTTP API: `authorizer.lambda`), else what `authorize` returned |
//!
//! API Gateway hands the authorizer's context values to the integration as strings (AWS: "the
//! returned values are all stringified"); every face does the same here, so an entry reads the
//! same strings locally and deployed.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use http::{HeaderMap, Method};
use serde_json::{Map, Number, Value};

/// The principal id the default token check answers with (and API Gateway's policy names).
pub const TOKEN_PRINCIPAL: &str = "coworks-token";

/// One request as an entry sees it. The router builds one per request that reaches an entry,
/// from the request's own parts (moved, not copied), inside the [`crate::Call`] the hooks see.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
    pub(crate) raw_query: Option<String>,
    pub(crate) request_id: String,
    pub(crate) stage: Option<Arc<str>>,
    pub(crate) meta: RequestMeta,
    pub(crate) principal: Option<String>,
    pub(crate) authorizer: BTreeMap<String, String>,
}

impl Context {
    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }
    /// The path as routed (without API Gateway's stage prefix), still percent-encoded.
    pub fn path(&self) -> &str {
        &self.path
    }
    /// The request's headers (names lowercase).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
    /// One header's value, when it is present and visible text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// The value of the cookie `name` of the `Cookie` header(s).
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(cookie::Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|c| c.name() == name)
            .map(|c| c.value().to_string())
    }
    /// The raw query string (`a=1&b=2`), as sent.
    pub fn raw_query(&self) -> Option<&str> {
        self.raw_query.as_deref()
    }
    /// The request id: Lambda's, or `local-<pid>-<n>` locally (also in 500 answers and async records).
    pub fn request_id(&self) -> &str {
        &self.request_id
    }
    /// The client's address, when the face knows it.
    pub fn source_ip(&self) -> Option<&str> {
        self.meta.client_ip()
    }
    /// The CoWorks stage the service runs in (`CWS_STAGE`).
    pub fn stage(&self) -> Option<&str> {
        self.stage.as_deref()
    }
    /// The API Gateway stage of the event (`requestContext.stage`), under Lambda.
    pub fn api_stage(&self) -> Option<&str> {
        self.meta.api_stage.as_deref()
    }
    /// The Lambda invocation's context (deadline, function ARN, X-Ray trace id), under Lambda.
    pub fn lambda(&self) -> Option<&lambda_runtime::Context> {
        self.meta.lambda.as_deref()
    }
    /// The authorizer's principal id, for entries needing a token.
    pub fn principal(&self) -> Option<&str> {
        self.principal.as_deref()
    }
    /// The authorizer's context map (values as strings, as API Gateway hands them over).
    pub fn authorizer(&self) -> &BTreeMap<String, String> {
        &self.authorizer
    }
    /// One value of the authorizer's context map.
    pub fn claim(&self, key: &str) -> Option<&str> {
        self.authorizer.get(key).map(String::as_str)
    }

    /// For unit tests of entries: this context with `principal` as the authorizer's answer (its
    /// context values stringified, as every face hands them over).
    pub fn with_principal(mut self, principal: &Principal) -> Context {
        let a = principal.authorized();
        self.principal = a.principal;
        self.authorizer = a.context;
        self
    }

    /// For unit tests of entries: this context with the header `name: value` added (ignored when
    /// HTTP cannot carry it).
    pub fn with_header(mut self, name: &str, value: &str) -> Context {
        if let (Ok(n), Ok(v)) =
            (http::HeaderName::from_bytes(name.as_bytes()), http::HeaderValue::from_str(value))
        {
            self.headers.append(n, v);
        }
        self
    }
}

/// What a face knows of a request beyond its HTTP parts (the router reads it into the [`Context`]).
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    /// The client's address, as the event gives it.
    pub source_ip: Option<String>,
    /// The client's address as the local server knows it (the TCP peer), when `source_ip` is not
    /// given: written as text only when an entry asks, not on every request.
    pub peer: Option<IpAddr>,
    /// The authorizer's answer the event carries (`requestContext.authorizer`), if any.
    pub authorizer: Option<Authorized>,
    /// The API Gateway stage of the event.
    pub api_stage: Option<String>,
    /// The Lambda invocation's context.
    pub lambda: Option<Arc<lambda_runtime::Context>>,
    /// `peer` as text, written the first time it is asked for ([`RequestMeta::client_ip`]).
    pub(crate) peer_text: OnceLock<String>,
}

/// A principal and its context map, as an authorizer answered them (values already strings).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Authorized {
    /// The principal id.
    pub principal: Option<String>,
    /// The context map.
    pub context: BTreeMap<String, String>,
}

impl RequestMeta {
    /// The client's address: the event's `source_ip`, else the TCP peer's (written as text the
    /// first time it is asked for).
    pub fn client_ip(&self) -> Option<&str> {
        if let Some(ip) = &self.source_ip {
            return Some(ip);
        }
        let peer = self.peer?;
        Some(self.peer_text.get_or_init(|| peer.to_string()))
    }

    /// What a Lambda HTTP event's head (`requestContext`, headers) says of the client and the
    /// authorizer, in each of the shapes the runtime reads.
    pub fn from_event(head: &Value) -> RequestMeta {
        RequestMeta::from_request_context(head.get("requestContext"), || {
            // ALB: the balancer's `X-Forwarded-For` ends with the client as the balancer saw it.
            let headers = head.get("headers").or_else(|| head.get("multiValueHeaders"))?.as_object()?;
            let (_, v) = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("x-forwarded-for"))?;
            match v {
                Value::Array(items) => items.last()?.as_str().map(str::to_string),
                other => other.as_str().map(str::to_string),
            }
        })
    }

    /// [`RequestMeta::from_event`] from the event's `requestContext` and, read only when that names
    /// no client address, its (last) `X-Forwarded-For` header.
    pub fn from_request_context(
        rc: Option<&Value>,
        forwarded_for: impl FnOnce() -> Option<String>,
    ) -> RequestMeta {
        let at = |p: &str| rc.and_then(|c| c.pointer(p)).and_then(Value::as_str).map(str::to_string);
        let source_ip = at("/identity/sourceIp").or_else(|| at("/http/sourceIp")).or_else(|| {
            let text = forwarded_for()?;
            text.rsplit(',').next().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
        });
        RequestMeta {
            source_ip,
            authorizer: rc.and_then(|c| c.get("authorizer")).and_then(authorized_of_event),
            api_stage: at("/stage"),
            lambda: None,
            peer: None,
            peer_text: OnceLock::new(),
        }
    }
}

/// The principal and map of an event's `requestContext.authorizer`: REST (payload 1.0) puts
/// `principalId` and the context's keys side by side (with `integrationLatency`); HTTP API
/// (payload 2.0) puts the Lambda authorizer's context under `lambda`. JWT and IAM authorizers'
/// objects are not read (no scalar values).
fn authorized_of_event(a: &Value) -> Option<Authorized> {
    let a = a.as_object()?;
    let (principal, map) = match a.get("lambda").and_then(Value::as_object) {
        Some(lambda) => (a.get("principalId").or_else(|| lambda.get("principalId")), lambda),
        None => (a.get("principalId"), a),
    };
    let principal = principal.and_then(stringified);
    let context: BTreeMap<String, String> = map
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "principalId" | "integrationLatency"))
        .filter_map(|(k, v)| Some((k.clone(), stringified(v)?)))
        .collect();
    (principal.is_some() || !context.is_empty()).then_some(Authorized { principal, context })
}

/// A scalar as API Gateway stringifies it (`"1"`, `"true"`); `None` for objects, arrays, null.
fn stringified(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A value of an authorizer's context map: a string, a number or a boolean (what API Gateway accepts).
#[derive(Debug, Clone, PartialEq)]
pub struct ContextValue(Value);

impl ContextValue {
    /// As API Gateway hands it to the integration: a string.
    pub fn stringified(&self) -> String {
        stringified(&self.0).unwrap_or_default()
    }
}

impl From<&str> for ContextValue {
    fn from(v: &str) -> Self {
        ContextValue(Value::String(v.to_string()))
    }
}
impl From<String> for ContextValue {
    fn from(v: String) -> Self {
        ContextValue(Value::String(v))
    }
}
impl From<bool> for ContextValue {
    fn from(v: bool) -> Self {
        ContextValue(Value::Bool(v))
    }
}
impl From<f64> for ContextValue {
    /// A number; a non-finite one (no JSON number) becomes its text.
    fn from(v: f64) -> Self {
        ContextValue(Number::from_f64(v).map_or_else(|| Value::String(v.to_string()), Value::Number))
    }
}
macro_rules! integer_values {
    ($($t:ty),*) => {$(
        impl From<$t> for ContextValue {
            fn from(v: $t) -> Self {
                ContextValue(Value::Number(Number::from(v)))
            }
        }
    )*};
}
integer_values!(i8, i16, i32, i64, u8, u16, u32, u64);

/// Who a token belongs to, as a service's `authorize` says: a principal id and a context map
/// (e.g. the tenant), handed to entries through [`Context`] locally and through API Gateway's
/// `requestContext.authorizer` when deployed.
///
/// ```
/// use coworks::Principal;
/// let p = Principal::new("user-42").with("tenant", "acme").with("admin", true).with("quota", 10);
/// assert_eq!(p.id(), "user-42");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    id: String,
    context: BTreeMap<String, ContextValue>,
}

impl Principal {
    /// A principal with no context.
    pub fn new(id: impl Into<String>) -> Self {
        Principal { id: id.into(), context: BTreeMap::new() }
    }
    /// With `key` set to `value` in its context map.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<ContextValue>) -> Self {
        self.context.insert(key.into(), value.into());
        self
    }
    /// The principal id.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The context map as the authorizer's answer carries it (strings, numbers, booleans).
    pub fn context_json(&self) -> Map<String, Value> {
        self.context.iter().map(|(k, v)| (k.clone(), v.0.clone())).collect()
    }
    /// What an entry sees of it (values stringified, as API Gateway does).
    pub fn authorized(&self) -> Authorized {
        self.clone().into_authorized()
    }

    /// [`Principal::authorized`], taking the principal (its id and keys moved, not copied).
    pub fn into_authorized(self) -> Authorized {
        Authorized {
            principal: Some(self.id),
            context: self.context.into_iter().map(|(k, v)| (k, v.stringified())).collect(),
        }
    }
}

/// What a service's `authorize` may return: `bool` (the principal is [`TOKEN_PRINCIPAL`]),
/// [`Principal`], `Option<Principal>`, or `Result<Principal, E>` (an error refuses the token).
pub trait IntoPrincipal {
    /// `None`: the token is refused.
    fn into_principal(self) -> Option<Principal>;
}

impl IntoPrincipal for bool {
    fn into_principal(self) -> Option<Principal> {
        self.then(|| Principal::new(TOKEN_PRINCIPAL))
    }
}
impl IntoPrincipal for Principal {
    fn into_principal(self) -> Option<Principal> {
        Some(self)
    }
}
impl IntoPrincipal for Option<Principal> {
    fn into_principal(self) -> Option<Principal> {
        self
    }
}
impl<E> IntoPrincipal for Result<Principal, E> {
    fn into_principal(self) -> Option<Principal> {
        self.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn authorizers_of_each_event_shape() {
        let rest = json!({"requestContext": {"authorizer": {"principalId": "u1", "integrationLatency": 3,
            "tenant": "acme", "admin": "true", "claims": {"x": 1}}, "identity": {"sourceIp": "203.0.113.7"},
            "stage": "prod"}});
        let m = RequestMeta::from_event(&rest);
        let a = m.authorizer.expect("authorizer");
        assert_eq!(a.principal.as_deref(), Some("u1"));
        assert_eq!(
            a.context,
            BTreeMap::from([("admin".into(), "true".into()), ("tenant".into(), "acme".into())])
        );
        assert_eq!((m.source_ip.as_deref(), m.api_stage.as_deref()), (Some("203.0.113.7"), Some("prod")));
        let v2 = json!({"requestContext": {"authorizer": {"lambda": {"principalId": "u2", "quota": 10}},
            "http": {"sourceIp": "192.0.2.1"}}});
        let m = RequestMeta::from_event(&v2);
        let a = m.authorizer.expect("authorizer");
        assert_eq!((a.principal.as_deref(), a.context["quota"].as_str()), (Some("u2"), "10"));
        assert_eq!(m.source_ip.as_deref(), Some("192.0.2.1"));
        let alb =
            json!({"requestContext": {"elb": {}}, "headers": {"X-Forwarded-For": "198.51.100.1, 10.0.0.2"}});
        assert_eq!(RequestMeta::from_event(&alb).source_ip.as_deref(), Some("10.0.0.2"));
        let jwt = json!({"requestContext": {"authorizer": {"jwt": {"claims": {"sub": "x"}}}}});
        assert!(RequestMeta::from_event(&jwt).authorizer.is_none());
    }

    #[test]
    fn principals_and_their_context() {
        let p = Principal::new("u").with("n", 1.5).with("b", false).with("s", "x").with("i", -3i64);
        let a = p.authorized();
        assert_eq!(a.context["n"], "1.5");
        assert_eq!(a.context["b"], "false");
        assert_eq!(a.context["i"], "-3");
        assert_eq!(p.context_json()["n"], json!(1.5));
        assert_eq!(true.into_principal().map(|p| p.id().to_string()).as_deref(), Some(TOKEN_PRINCIPAL));
        assert!(false.into_principal().is_none());
        assert!(Err::<Principal, ()>(()).into_principal().is_none());
        let ctx = Context::default().with_principal(&p).with_header("bad name", "v");
        assert_eq!((ctx.principal(), ctx.claim("b"), ctx.headers().len()), (Some("u"), Some("false"), 0));
        assert_eq!(
            Context::default().with_header("cookie", "a=1; sid=xy").cookie("sid").as_deref(),
            Some("xy")
        );
    }
}
