//! The Lambda face: one function answers API Gateway REST (payload 1.0), HTTP API (2.0), function
//! URL and ALB events through the same [`Router`], and API Gateway TOKEN / REQUEST authorizer events
//! with the service's token authorizer. Events are read by `lambda_http`; answers are built in the
//! shape each origin expects. An asynchronous call is queued with Lambda's `Invoke` API on this
//! function ([`crate::lambda_invoke`]); the queued invocation runs it.
//!
//! Large events are held a bounded number of times: the runtime's buffer is read in place
//! ([`Event`]): an event larger than `CWS_MAX_EVENT` is answered `413` without a copy, and otherwise
//! the body is taken out of the event text before anything else is parsed ([`handle_raw`]), so the
//! event is never held as a JSON tree or re-serialised whole.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use bytes::Bytes;
use coworks_core::contract::BASE_PATH_ENV;
use http::header::{CONTENT_TYPE, SET_COOKIE};
use http::StatusCode;
use lambda_http::RequestExt;
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
        let origin = split(raw.get()).map(|(head, _)| origin(&head)).unwrap_or(Origin::RestV1);
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

/// The origin of an HTTP event.
pub fn origin(event: &Value) -> Origin {
    let ctx = event.get("requestContext");
    if ctx.and_then(|c| c.get("elb")).is_some() {
        Origin::Alb { multi: event.get("multiValueHeaders").is_some_and(|h| !h.is_null()) }
    } else if event.get("version").and_then(Value::as_str) == Some("2.0") {
        Origin::HttpV2
    } else {
        Origin::RestV1
    }
}

/// An event's text split into everything but its body (a small JSON object) and its body's raw
/// JSON (borrowed, not decoded).
fn split(text: &str) -> Result<(Value, Option<&RawValue>), serde_json::Error> {
    let mut fields: BTreeMap<String, &RawValue> = serde_json::from_str(text)?;
    let body = fields.remove("body");
    let head = fields
        .into_iter()
        .map(|(k, v)| serde_json::from_str(v.get()).map(|v| (k, v)))
        .collect::<Result<Map<String, Value>, _>>()?;
    Ok((Value::Object(head), body))
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
        Err(e) => unsupported::<S>(origin(&event), &e.to_string(), request_id),
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
        Err(e) => unsupported::<S>(origin(&event), &e.to_string(), &request_id),
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

/// [`handle_raw`] with the invocation's Lambda context, when there is one.
async fn handle_in<S: Service>(
    router: &Router<S>,
    event: Box<RawValue>,
    request_id: &str,
    deadline: Option<Instant>,
    limits: &Limits,
    lambda: Option<std::sync::Arc<lambda_runtime::Context>>,
) -> Value {
    let (head, body) = match split(event.get()) {
        Ok((head, raw_body)) => {
            let base64 = head.get("isBase64Encoded").and_then(Value::as_bool).unwrap_or(false);
            (head, decode_body(raw_body, base64, limits.max_body))
        }
        Err(e) => return unsupported::<S>(Origin::RestV1, &e.to_string(), request_id),
    };
    drop(event);
    if let Some(queued) = lambda_invoke::queued_request(&head) {
        return match queued {
            Ok(mut request) => {
                request.deadline = deadline;
                request.meta.lambda = lambda;
                json!({ "statusCode": router.handle_queued(request).await.status().as_u16() })
            }
            Err(e) => {
                tracing::warn!(request_id, "{}: unreadable queued call ({e})", S::NAME);
                json!({ "statusCode": 400 })
            }
        };
    }
    if auth::is_authorizer_event(&head) {
        return auth::answer_authorizer_event(&head, |t| router.service().principal(t));
    }
    let origin = origin(&head);
    let body = match body {
        Ok(b) => b,
        Err(BodyError::TooLarge) => return too_large(origin, limits.max_body, "body"),
        Err(BodyError::Malformed(why)) => return unsupported::<S>(origin, &why, request_id),
    };
    let stage = head.pointer("/requestContext/stage").and_then(Value::as_str).map(str::to_string);
    let mut meta = RequestMeta::from_event(&head);
    meta.lambda = lambda;
    // lambda_http panics on some malformed values (e.g. a host that is no domain name): contain it.
    // It reads the event without its body (small), so nothing large is parsed twice.
    let text = head.to_string();
    let parsed = std::panic::catch_unwind(|| lambda_http::request::from_str(&text))
        .unwrap_or_else(|_| Err(serde::de::Error::custom("malformed HTTP event")));
    let request = match parsed {
        Ok(r) => r,
        Err(e) => return unsupported::<S>(origin, &e.to_string(), request_id),
    };
    let mut path = request.raw_http_path().to_string();
    if path.is_empty() {
        path = request.uri().path().to_string();
    }
    if origin == Origin::HttpV2 {
        // A named stage's segment (the execute-api URL), else the custom domain's base path (an API
        // mapping's key): both stay in a 2.0 event's path.
        let base_path = std::env::var(BASE_PATH_ENV).ok();
        let stripped = stage
            .filter(|s| s != "$default")
            .and_then(|stage| without_segment(&path, &stage))
            .or_else(|| base_path.filter(|b| !b.is_empty()).and_then(|b| without_segment(&path, &b)));
        if let Some(rest) = stripped {
            path = rest;
        }
    }
    let (parts, _) = request.into_parts();
    let request = Request {
        method: parts.method,
        path,
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        body,
        request_id: request_id.to_string(),
        deadline,
        meta,
    };
    shape(origin, router.handle(request).await)
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
mod tests {
    use super::*;

    fn body(event: &str, max: usize) -> Result<Bytes, String> {
        let (head, raw) = split(event).map_err(|e| e.to_string())?;
        let base64 = head.get("isBase64Encoded").and_then(Value::as_bool).unwrap_or(false);
        assert!(head.get("body").is_none(), "the head has no body");
        decode_body(raw, base64, max).map_err(|e| match e {
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
