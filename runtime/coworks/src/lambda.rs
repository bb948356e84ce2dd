//! The Lambda face: one function answers API Gateway REST (payload 1.0), HTTP API (2.0), function
//! URL and ALB events through the same [`Router`], and API Gateway TOKEN / REQUEST authorizer events
//! with the service's token authorizer. An event is parsed once, into the raw values of the fields
//! the runtime reads (`Fields`; the HTTP parts as `lambda_http` 1.x reads them); answers are
//! built in the shape each origin expects. An asynchronous call is queued with Lambda's `Invoke` API on this
//! function ([`crate::lambda_invoke`]); the queued invocation runs it.
//!
//! Large events are held a bounded number of times: the runtime's buffer is read in place
//! ([`Event`]): an event larger than `CWS_MAX_EVENT` is answered `413` without a copy, and otherwise
//! the body is taken out of the event text before anything else is parsed ([`handle_raw`]), so the
//! event is never held as a JSON tree or re-serialised whole.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use bytes::Bytes;
use coworks_core::contract::BASE_PATH_ENV;
use http::header::{CONTENT_TYPE, SET_COOKIE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use lambda_runtime::{service_fn, LambdaEvent};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use crate::auth;
use crate::context::RequestMeta;
use crate::lambda_invoke::{self, SelfFunction};
use crate::limits::Limits;
use crate::response::Response;
use crate::router::{AsyncMode, Request, Router};
use crate::Service;

/// The largest event read (`CWS_MAX_EVENT`), set once at start: [`Event`]'s deserialisation reads it.
static MAX_EVENT: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Runs `service` under the Lambda runtime (the Runtime API named by `AWS_LAMBDA_RUNTIME_API`).
pub fn run<S: Service>(service: S) -> Result<(), String> {
    let limits = Limits::from_env()?;
    MAX_EVENT.store(limits.max_event, Ordering::Relaxed);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let mode = SelfFunction::from_env().map_or(AsyncMode::Inline, AsyncMode::Invoke);
    let router = Router::from_env(service, mode);
    rt.block_on(async move {
        lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| {
            let router = router.clone();
            async move {
                let deadline = instant_of(event.context.deadline);
                let id = event.context.request_id.clone();
                let id = &id;
                let lambda = Some(std::sync::Arc::new(event.context));
                let answer = match event.payload {
                    Event::Text(text) => handle_in(&router, text, id, Some(deadline), &limits, lambda).await,
                    Event::TooLarge { size, origin } => {
                        tracing::warn!("{}: event of {size} bytes refused (CWS_MAX_EVENT)", S::NAME);
                        too_large(origin, limits.max_event, "event")
                    }
                };
                Ok::<Value, std::convert::Infallible>(answer)
            }
        }))
        .await
        .map_err(|e| format!("Lambda runtime: {e}"))
    })
}

/// The instant of a deadline given in milliseconds since the Unix epoch (Lambda's context).
fn instant_of(deadline_ms: u64) -> Instant {
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    Instant::now() + Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}

/// An event as the Lambda runtime hands it over.
#[derive(Debug)]
pub enum Event {
    /// Its JSON text (one copy of the runtime's buffer).
    Text(Box<RawValue>),
    /// Larger than `CWS_MAX_EVENT`: not copied; only where it came from is read.
    TooLarge {
        /// Its size in bytes.
        size: usize,
        /// Its origin, to answer in its shape.
        origin: Origin,
    },
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Borrowed from the runtime's buffer: nothing is copied before the size is known.
        let raw: &'de RawValue = Deserialize::deserialize(d)?;
        let size = raw.get().len();
        if size <= MAX_EVENT.load(Ordering::Relaxed) {
            return Ok(Event::Text(raw.to_owned()));
        }
        let origin = Fields::of(raw.get())
            .map(|f| f.origin(f.request_context().ok().flatten().as_ref()))
            .unwrap_or(Origin::RestV1);
        Ok(Event::TooLarge { size, origin })
    }
}

/// Which kind of event a payload is, to answer in its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// API Gateway REST API, payload 1.0.
    RestV1,
    /// API Gateway HTTP API or function URL, payload 2.0.
    HttpV2,
    /// Application Load Balancer (`multi` when the target group has multi-value headers on).
    Alb {
        /// Multi-value headers on.
        multi: bool,
    },
}

/// The fields of an event the runtime reads, borrowed from its text: the event is parsed once,
/// into these raw values, and each is decoded where it is read (the body straight into its bytes).
/// `null` reads as absent. The shapes are AWS's: API Gateway REST (payload 1.0), HTTP API and
/// function URL (2.0), ALB, TOKEN / REQUEST authorizers, and the runtime's queued calls.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fields<'a> {
    #[serde(borrow)]
    version: Option<&'a RawValue>,
    #[serde(borrow, rename = "type")]
    kind: Option<&'a RawValue>,
    #[serde(borrow)]
    method_arn: Option<&'a RawValue>,
    #[serde(borrow)]
    route_arn: Option<&'a RawValue>,
    /// [`coworks_core::contract::ASYNC_PAYLOAD_KEY`].
    #[serde(borrow, rename = "cws_async")]
    queued: Option<&'a RawValue>,
    #[serde(borrow)]
    http_method: Option<&'a RawValue>,
    #[serde(borrow)]
    path: Option<&'a RawValue>,
    #[serde(borrow)]
    raw_path: Option<&'a RawValue>,
    #[serde(borrow)]
    raw_query_string: Option<&'a RawValue>,
    #[serde(borrow)]
    headers: Option<&'a RawValue>,
    #[serde(borrow)]
    multi_value_headers: Option<&'a RawValue>,
    #[serde(borrow)]
    query_string_parameters: Option<&'a RawValue>,
    #[serde(borrow)]
    multi_value_query_string_parameters: Option<&'a RawValue>,
    #[serde(borrow)]
    cookies: Option<&'a RawValue>,
    #[serde(borrow)]
    request_context: Option<&'a RawValue>,
    #[serde(borrow)]
    body: Option<&'a RawValue>,
    #[serde(borrow)]
    is_base64_encoded: Option<&'a RawValue>,
}

/// A raw JSON value decoded as `T`.
fn decode<'a, T: Deserialize<'a>>(raw: &'a RawValue) -> Result<T, String> {
    serde_json::from_str(raw.get()).map_err(|e| e.to_string())
}

/// A raw JSON string's text; `None` when absent, an error when not a string.
fn text<'a>(raw: Option<&'a RawValue>) -> Result<Option<std::borrow::Cow<'a, str>>, String> {
    raw.map(decode::<std::borrow::Cow<'a, str>>).transpose()
}

impl<'a> Fields<'a> {
    /// The fields of an event's text.
    fn of(text: &'a str) -> Result<Fields<'a>, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The event's `requestContext`, as a JSON tree (small: no body, no headers).
    fn request_context(&self) -> Result<Option<Value>, String> {
        self.request_context.map(decode).transpose()
    }

    /// The event's origin, given its `requestContext`.
    fn origin(&self, rc: Option<&Value>) -> Origin {
        if rc.and_then(|c| c.get("elb")).is_some() {
            Origin::Alb { multi: self.multi_value_headers.is_some() }
        } else if self.version.is_some_and(|v| v.get() == r#""2.0""#) {
            Origin::HttpV2
        } else {
            Origin::RestV1
        }
    }

    /// Whether it is an API Gateway authorizer's event ([`auth::is_authorizer_event`]'s rule).
    fn is_authorizer(&self) -> bool {
        matches!(self.kind.map(RawValue::get), Some(r#""TOKEN""# | r#""REQUEST""#))
            && (self.method_arn.is_some() || self.route_arn.is_some())
    }

    /// Whether the body is base64 text.
    fn base64(&self) -> bool {
        self.is_base64_encoded.is_some_and(|b| b.get() == "true")
    }
}

/// The method, path (the event's raw path), query string and headers of an HTTP event, read as
/// `lambda_http` 1.x reads them (an event with `httpMethod` as a REST or ALB event, else as a
/// payload 2.0 one): REST and ALB headers are `multiValueHeaders` with `headers` overriding a name
/// in both, their query string is `multiValueQueryStringParameters` (else
/// `queryStringParameters`) form-encoded — an ALB's keys and values decoded first: the load balancer
/// passes them as they were sent, URL-encoded, where API Gateway decodes them; payload 2.0 headers are `headers` with `cookies` as one
/// `cookie` header, its query string `rawQueryString`. An event whose host (the `Host` header, else
/// `requestContext.domainName`) is no URL authority, or whose method, headers or query string
/// cannot be read, is refused.
fn http_parts(f: &Fields<'_>, rc: &Value) -> Result<(Method, String, Option<String>, HeaderMap), String> {
    if !rc.is_object() {
        return Err("no requestContext".into());
    }
    let stage = rc.get("stage").and_then(Value::as_str);
    let single = headers_of(f.headers)?;
    let host = single
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| rc.get("domainName").and_then(Value::as_str));
    if let Some(host) = host {
        http::uri::Authority::try_from(host).map_err(|_| format!("the host `{host}` is no URL authority"))?;
    }
    let (method, path, query, headers) = if f.http_method.is_some() {
        let method = text(f.http_method)?.unwrap_or_default();
        let mut headers = headers_of(f.multi_value_headers)?;
        headers.extend(single);
        let multi = query_of(f.multi_value_query_string_parameters)?;
        let mut pairs = if multi.is_empty() { query_of(f.query_string_parameters)? } else { multi };
        if rc.get("elb").is_some() {
            for (key, values) in &mut pairs {
                *key = form_decoded(key).into();
                for v in values.iter_mut() {
                    *v = form_decoded(v).into();
                }
            }
        }
        let query = if pairs.is_empty() {
            None
        } else {
            let flat = pairs.iter().flat_map(|(k, vs)| vs.iter().map(move |v| (k.as_ref(), v.as_ref())));
            Some(
                serde_urlencoded::to_string(flat.collect::<Vec<(&str, &str)>>())
                    .map_err(|e| e.to_string())?,
            )
        };
        (method, text(f.path)?.unwrap_or_default(), query, headers)
    } else {
        let method =
            rc.pointer("/http/method").and_then(Value::as_str).ok_or("no requestContext.http.method")?;
        let mut headers = single;
        if let Some(cookies) = f.cookies.map(decode::<Vec<std::borrow::Cow<'_, str>>>).transpose()? {
            if let Ok(v) = HeaderValue::from_str(&cookies.join("; ")) {
                headers.insert(http::header::COOKIE, v);
            }
        }
        let query = text(f.raw_query_string)?.filter(|q| !q.is_empty()).map(|q| q.into_owned());
        if let Some(q) = &query {
            http::uri::PathAndQuery::try_from(format!("/?{q}")).map_err(|e| format!("query string: {e}"))?;
        }
        (method.into(), text(f.raw_path)?.unwrap_or_default(), query, headers)
    };
    let method = Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let mut path = path.into_owned();
    if path.is_empty() {
        // No path: what lambda_http's URI holds, the stage's segment (API Gateway) or `/`.
        path = match stage.filter(|s| *s != "$default") {
            Some(s) if std::env::var_os("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH").is_none() => format!("/{s}"),
            _ => "/".to_string(),
        };
    }
    Ok((method, path, query, headers))
}

/// An event's header object (`{"name": "value" | ["value", ...]}`, `null` for none) as a header
/// map: a string value replaces the name's earlier ones, a list appends (lambda_http's reading).
fn headers_of(raw: Option<&RawValue>) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    let Some(raw) = raw else { return Ok(map) };
    let fields: Vec<(std::borrow::Cow<'_, str>, &RawValue)> = decode::<Entries<'_>>(raw)?.0;
    for (name, value) in fields {
        let name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("bad header name `{name}`"))?;
        let value_of =
            |v: &str| HeaderValue::from_str(v).map_err(|_| format!("bad value of header `{name}`"));
        if value.get().starts_with('[') {
            for v in decode::<Vec<std::borrow::Cow<'_, str>>>(value)? {
                map.append(&name, value_of(&v)?);
            }
        } else {
            let v = decode::<std::borrow::Cow<'_, str>>(value)?;
            map.insert(&name, value_of(&v)?);
        }
    }
    Ok(map)
}

/// A URL-encoded query key or value as its text (`+` a space, `%XX` a byte; bytes that are no UTF-8
/// replaced), as an ALB passes them (Elastic Load Balancing's guide, "Lambda functions as targets":
/// "If the query parameters are URL-encoded, the load balancer does not decode them").
fn form_decoded(raw: &str) -> String {
    percent_encoding::percent_decode_str(&raw.replace('+', " ")).decode_utf8_lossy().into_owned()
}

/// An event's query object (`{"key": "value" | ["value", ...]}`, `null` for none) as pairs of a
/// key and its values, in the event's order (a repeated key keeps its last values).
type QueryPairs<'a> = Vec<(std::borrow::Cow<'a, str>, Vec<std::borrow::Cow<'a, str>>)>;

fn query_of(raw: Option<&RawValue>) -> Result<QueryPairs<'_>, String> {
    let Some(raw) = raw else { return Ok(Vec::new()) };
    let mut out: QueryPairs<'_> = Vec::new();
    for (key, value) in decode::<Entries<'_>>(raw)?.0 {
        let values: Vec<std::borrow::Cow<'_, str>> =
            if value.get().starts_with('[') { decode(value)? } else { vec![decode(value)?] };
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, vs)) => *vs = values,
            None => out.push((key, values)),
        }
    }
    Ok(out)
}

/// A JSON object's entries in order, values raw (`null` reads as none).
struct Entries<'a>(Vec<(std::borrow::Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object or null")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Entries(Vec::new()))
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut m: M) -> Result<Self::Value, M::Error> {
                let mut out = Vec::new();
                while let Some(entry) = m.next_entry::<std::borrow::Cow<'de, str>, &'de RawValue>()? {
                    out.push(entry);
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_any(Visit)
    }
}

/// Why a body cannot be taken from an event.
enum BodyError {
    TooLarge,
    Malformed(String),
}

/// The bytes of an event's body (`null`, text, or base64 text when `base64`), at most `max` of them.
fn decode_body(raw: Option<&RawValue>, base64: bool, max: usize) -> Result<Bytes, BodyError> {
    let Some(raw) = raw.filter(|r| r.get() != "null") else { return Ok(Bytes::new()) };
    let text: String = serde_json::from_str(raw.get()).map_err(|e| BodyError::Malformed(e.to_string()))?;
    let bytes = if base64 {
        base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(|e| BodyError::Malformed(format!("the body is not base64: {e}")))?
    } else {
        text.into_bytes()
    };
    if bytes.len() > max {
        return Err(BodyError::TooLarge);
    }
    Ok(Bytes::from(bytes))
}

/// A `413` in the shape of `origin`.
fn too_large(origin: Origin, limit: usize, what: &str) -> Value {
    let body = json!({ "error": format!("the {what} is larger than {limit} bytes") });
    shape(origin, crate::response::json(StatusCode::PAYLOAD_TOO_LARGE, &body))
}

/// A `400 unsupported event` in the shape of `origin`, logged.
fn unsupported<S: Service>(origin: Origin, why: &str, request_id: &str) -> Value {
    tracing::warn!(request_id, "{}: unreadable event ({why})", S::NAME);
    let body = json!({ "error": "unsupported event", "request_id": request_id });
    shape(origin, crate::response::json(StatusCode::BAD_REQUEST, &body))
}

/// Answers one Lambda event given as a JSON value (tests and tools; the runtime calls
/// [`handle_raw`]), with the default [`Limits`] and no deadline.
pub async fn handle_event<S: Service>(router: &Router<S>, event: Value, request_id: &str) -> Value {
    match serde_json::value::to_raw_value(&event) {
        Ok(raw) => handle_raw(router, raw, request_id, None, &Limits::default()).await,
        Err(e) => unsupported::<S>(Origin::RestV1, &e.to_string(), request_id),
    }
}

/// Answers one Lambda event given as a JSON value with the invocation's Lambda `context` (its
/// request id and deadline; entries see it through [`crate::Context::lambda`]).
pub async fn handle_event_in<S: Service>(
    router: &Router<S>,
    event: Value,
    context: lambda_runtime::Context,
) -> Value {
    let request_id = context.request_id.clone();
    let deadline = Some(instant_of(context.deadline));
    match serde_json::value::to_raw_value(&event) {
        Ok(raw) => {
            let lambda = Some(std::sync::Arc::new(context));
            handle_in(router, raw, &request_id, deadline, &Limits::default(), lambda).await
        }
        Err(e) => unsupported::<S>(Origin::RestV1, &e.to_string(), &request_id),
    }
}

/// Answers one Lambda event from its text: an authorizer answer, or the HTTP answer in the shape of
/// its origin. The body is decoded out of the text, and the text dropped, before the entry runs;
/// a body over `limits.max_body` is a `413`. An asynchronous call run here is recorded as not
/// finished when its entry is still running shortly before `deadline`.
pub async fn handle_raw<S: Service>(
    router: &Router<S>,
    event: Box<RawValue>,
    request_id: &str,
    deadline: Option<Instant>,
    limits: &Limits,
) -> Value {
    handle_in(router, event, request_id, deadline, limits, None).await
}

/// What an event asks for, read from its text (owned: the text can be dropped).
enum Read {
    /// Answered already (an authorizer's event, a refused one).
    Answer(Value),
    /// A queued asynchronous call.
    Queued(Result<Request, String>),
    /// An HTTP request, answered in the shape of its origin.
    Http(Origin, Request),
}

/// Reads an event's text: parsed once into its [`Fields`]; the body decoded straight from its raw
/// JSON string (at most `limits.max_body` bytes), the rest from the other fields.
fn read<S: Service>(router: &Router<S>, text: &str, request_id: &str, limits: &Limits) -> Read {
    let fields = match Fields::of(text) {
        Ok(f) => f,
        Err(e) => return Read::Answer(unsupported::<S>(Origin::RestV1, &e.to_string(), request_id)),
    };
    if let Some(inner) = fields.queued {
        return Read::Queued(decode::<Value>(inner).and_then(|v| lambda_invoke::decode(&v)));
    }
    if fields.is_authorizer() {
        // Small (no body) and answered at once: read whole, as the authorizer's rules read it.
        return Read::Answer(match serde_json::from_str::<Value>(text) {
            Ok(event) => auth::answer_authorizer_event(&event, |t| router.service().principal(t)),
            Err(e) => unsupported::<S>(Origin::RestV1, &e.to_string(), request_id),
        });
    }
    let rc = match fields.request_context() {
        Ok(rc) => rc,
        Err(e) => return Read::Answer(unsupported::<S>(fields.origin(None), &e, request_id)),
    };
    let origin = fields.origin(rc.as_ref());
    let body = match decode_body(fields.body, fields.base64(), limits.max_body) {
        Ok(b) => b,
        Err(BodyError::TooLarge) => return Read::Answer(too_large(origin, limits.max_body, "body")),
        Err(BodyError::Malformed(why)) => return Read::Answer(unsupported::<S>(origin, &why, request_id)),
    };
    let rc = rc.unwrap_or(Value::Null);
    let (method, mut path, query, headers) = match http_parts(&fields, &rc) {
        Ok(parts) => parts,
        Err(why) => return Read::Answer(unsupported::<S>(origin, &why, request_id)),
    };
    if origin == Origin::HttpV2 {
        // A named stage's segment (the execute-api URL), else the custom domain's base path (an API
        // mapping's key): both stay in a 2.0 event's path.
        let stage = rc.get("stage").and_then(Value::as_str);
        let base_path = std::env::var(BASE_PATH_ENV).ok();
        let stripped = stage
            .filter(|s| *s != "$default")
            .and_then(|stage| without_segment(&path, stage))
            .or_else(|| base_path.filter(|b| !b.is_empty()).and_then(|b| without_segment(&path, &b)));
        if let Some(rest) = stripped {
            path = rest;
        }
    }
    let forwarded_for = || {
        let mut values = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
        values.next_back().map(str::to_string)
    };
    let meta = RequestMeta::from_request_context(rc.is_object().then_some(&rc), forwarded_for);
    let request = Request {
        method,
        path,
        query,
        headers,
        body,
        request_id: request_id.to_string(),
        deadline: None,
        meta,
    };
    Read::Http(origin, request)
}

/// [`handle_raw`] with the invocation's Lambda context, when there is one.
async fn handle_in<S: Service>(
    router: &Router<S>,
    event: Box<RawValue>,
    request_id: &str,
    deadline: Option<Instant>,
    limits: &Limits,
    lambda: Option<std::sync::Arc<lambda_runtime::Context>>,
) -> Value {
    let read = read(router, event.get(), request_id, limits);
    drop(event);
    match read {
        Read::Answer(answer) => answer,
        Read::Queued(Ok(mut request)) => {
            request.deadline = deadline;
            request.meta.lambda = lambda;
            json!({ "statusCode": router.handle_queued(request).await.status().as_u16() })
        }
        Read::Queued(Err(e)) => {
            tracing::warn!(request_id, "{}: unreadable queued call ({e})", S::NAME);
            json!({ "statusCode": 400 })
        }
        Read::Http(origin, mut request) => {
            request.deadline = deadline;
            request.meta.lambda = lambda;
            shape(origin, router.handle(request).await)
        }
    }
}

/// `path` without its first segment when that segment is `segment` (`/dev/a` → `/a`, `/dev` → ``).
fn without_segment(path: &str, segment: &str) -> Option<String> {
    let rest = path.strip_prefix('/')?.strip_prefix(segment)?;
    (rest.is_empty() || rest.starts_with('/')).then(|| rest.to_string())
}

fn is_text(content_type: &str) -> bool {
    let ct = content_type.to_ascii_lowercase();
    ct.starts_with("text/")
        || ct.starts_with("application/json")
        || ct.ends_with("+json")
        || ct.starts_with("application/xml")
        || ct.ends_with("+xml")
        || ct.starts_with("application/x-www-form-urlencoded")
}

/// A response in the JSON shape of `origin`.
pub fn shape(origin: Origin, r: Response) -> Value {
    let status = r.status();
    let ct = r.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (body, base64) = if r.body().is_empty() {
        (String::new(), false)
    } else if is_text(ct) {
        match std::str::from_utf8(r.body()) {
            Ok(s) => (s.to_string(), false),
            Err(_) => (base64::engine::general_purpose::STANDARD.encode(r.body()), true),
        }
    } else {
        (base64::engine::general_purpose::STANDARD.encode(r.body()), true)
    };
    let mut single = Map::new();
    let mut multi = Map::new();
    let mut cookies = Vec::new();
    for name in r.headers().keys() {
        let values: Vec<&str> = r.headers().get_all(name).iter().filter_map(|v| v.to_str().ok()).collect();
        multi.insert(name.as_str().to_string(), json!(values));
        if name == SET_COOKIE {
            // Cookies cannot be joined with commas (their dates hold some): payload 2.0 has a
            // `cookies` list; a single-value ALB answer carries the last one.
            cookies.extend(values.iter().map(|v| Value::from(*v)));
            single.insert(name.as_str().to_string(), json!(values.last()));
        } else {
            single.insert(name.as_str().to_string(), Value::String(values.join(",")));
        }
    }
    let mut out = json!({ "statusCode": status.as_u16(), "body": body, "isBase64Encoded": base64 });
    match origin {
        Origin::RestV1 => out["multiValueHeaders"] = Value::Object(multi),
        Origin::HttpV2 => {
            single.remove(SET_COOKIE.as_str());
            out["headers"] = Value::Object(single);
            if !cookies.is_empty() {
                out["cookies"] = Value::Array(cookies);
            }
        }
        Origin::Alb { multi: m } => {
            let reason = status.canonical_reason().unwrap_or("");
            out["statusDescription"] = Value::String(format!("{} {reason}", status.as_u16()));
            if m {
                out["multiValueHeaders"] = Value::Object(multi);
            } else {
                out["headers"] = Value::Object(single);
            }
        }
    }
    out
}

#[cfg(test)]
mod differential;

#[cfg(test)]
mod tests {
    use super::*;

    fn body(event: &str, max: usize) -> Result<Bytes, String> {
        let fields = Fields::of(event).map_err(|e| e.to_string())?;
        decode_body(fields.body, fields.base64(), max).map_err(|e| match e {
            BodyError::TooLarge => "too large".to_string(),
            BodyError::Malformed(m) => m,
        })
    }

    #[test]
    fn bodies_are_taken_out_of_the_event_text() {
        assert_eq!(body(r#"{"version":"2.0","body":"a\"b\n"}"#, 10), Ok(Bytes::from_static(b"a\"b\n")));
        assert_eq!(body(r#"{"body":"AP8=","isBase64Encoded":true}"#, 10), Ok(Bytes::from_static(&[0, 255])));
        assert_eq!(body(r#"{"body":null}"#, 0), Ok(Bytes::new()));
        assert_eq!(body(r#"{"path":"/"}"#, 0), Ok(Bytes::new()));
        assert_eq!(body(r#"{"body":"12345"}"#, 4), Err("too large".into()));
        assert_eq!(body(r#"{"body":"AAAAAAAA","isBase64Encoded":true}"#, 6), Ok(Bytes::from(vec![0; 6])));
        assert!(body(r#"{"body":"%%","isBase64Encoded":true}"#, 10).unwrap_err().contains("not base64"));
        assert!(body(r#"{"body":7}"#, 10).is_err());
        assert!(body("[1]", 10).is_err());
    }

    fn parts(event: Value) -> Result<(Method, String, Option<String>, HeaderMap), String> {
        let text = event.to_string();
        let fields = Fields::of(&text).map_err(|e| e.to_string())?;
        let rc = fields.request_context()?.unwrap_or(Value::Null);
        http_parts(&fields, &rc)
    }

    #[test]
    fn http_parts_are_read_as_lambda_http_reads_them() {
        // REST / ALB: `headers` overrides a name of `multiValueHeaders`; the query form-encoded.
        let (method, path, query, headers) = parts(json!({
            "httpMethod": "GET", "path": "/a b", "requestContext": {},
            "headers": { "X-One": "single", "Host": "api.example.com" },
            "multiValueHeaders": { "x-one": ["m1", "m2"], "x-two": ["a", "b"] },
            "queryStringParameters": { "q": "ignored" },
            "multiValueQueryStringParameters": { "q": ["a b", "c&d"], "r": ["1"] }
        }))
        .expect("a REST event");
        assert_eq!(
            (method, path.as_str(), query.as_deref()),
            (Method::GET, "/a b", Some("q=a+b&q=c%26d&r=1"))
        );
        let all =
            |name: &str| headers.get_all(name).iter().map(|v| v.to_str().unwrap_or("")).collect::<Vec<_>>();
        assert_eq!((all("x-one"), all("x-two")), (vec!["single"], vec!["a", "b"]));
        let (_, _, query, _) = parts(
            json!({ "httpMethod": "POST", "requestContext": {}, "queryStringParameters": { "k": "v" } }),
        )
        .expect("single-value query");
        assert_eq!(query.as_deref(), Some("k=v"));
        // Payload 2.0: the method from the request context, cookies as one header, the raw query.
        let (method, path, query, headers) = parts(json!({
            "version": "2.0", "rawPath": "/x", "rawQueryString": "a=1&b=%20",
            "cookies": ["c1=v1", "c2=v2"], "headers": { "cookie": "old" },
            "requestContext": { "http": { "method": "PUT" }, "stage": "$default" }
        }))
        .expect("a 2.0 event");
        assert_eq!((method, path.as_str(), query.as_deref()), (Method::PUT, "/x", Some("a=1&b=%20")));
        assert_eq!(headers.get("cookie").and_then(|v| v.to_str().ok()), Some("c1=v1; c2=v2"));
        // No path: the stage's segment, as lambda_http's URI.
        let (_, path, query, _) =
            parts(json!({ "httpMethod": "GET", "requestContext": { "stage": "prod" } })).expect("no path");
        assert_eq!((path.as_str(), query), ("/prod", None));
        // Refused: no method, a host that is no authority, bad headers, a query that is no URI's.
        for bad in [
            json!({ "version": "2.0", "rawPath": "/", "requestContext": {} }),
            json!({ "httpMethod": "GET", "path": "/" }),
            json!({ "httpMethod": "GET", "path": "/", "requestContext": { "domainName": "<x>" } }),
            json!({ "httpMethod": "G T", "path": "/", "requestContext": {} }),
            json!({ "httpMethod": "GET", "requestContext": {}, "headers": { "bad name": "v" } }),
            json!({ "httpMethod": "GET", "requestContext": {}, "headers": { "h": 7 } }),
            json!({ "version": "2.0", "rawQueryString": "a b", "requestContext": { "http": { "method": "GET" } } }),
        ] {
            assert!(parts(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn stage_and_base_path_segments() {
        assert_eq!(without_segment("/dev/invoice/1", "dev").as_deref(), Some("/invoice/1"));
        assert_eq!(without_segment("/dev", "dev").as_deref(), Some(""));
        assert_eq!(without_segment("/devices", "dev"), None);
        assert_eq!(without_segment("/pay/invoices", "dev"), None);
    }

    #[test]
    fn oversized_events_are_not_copied_and_keep_their_origin() {
        MAX_EVENT.store(64, Ordering::Relaxed);
        let big = format!(r#"{{"version":"2.0","body":"{}"}}"#, "x".repeat(100));
        let event: Event = serde_json::from_slice(big.as_bytes()).expect("event");
        assert!(
            matches!(event, Event::TooLarge { size, origin: Origin::HttpV2 } if size == big.len()),
            "{event:?}"
        );
        let small: Event = serde_json::from_slice(br#"{"body":"x"}"#).expect("event");
        assert!(matches!(small, Event::Text(t) if t.get() == r#"{"body":"x"}"#));
        MAX_EVENT.store(usize::MAX, Ordering::Relaxed);
    }
}
