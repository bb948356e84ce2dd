//! The Lambda face: one function answers API Gateway REST (payload 1.0), HTTP API (2.0), function
//! URL and ALB events through the same [`Router`], and API Gateway TOKEN / REQUEST authorizer events
//! with the service's token authorizer. Events are read by `lambda_http`; answers are built in the
//! shape each origin expects. An asynchronous call is queued with Lambda's `Invoke` API on this
//! function ([`crate::lambda_invoke`]); the queued invocation runs it.

use base64::Engine;
use http::header::CONTENT_TYPE;
use lambda_http::RequestExt;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::{json, Map, Value};

use crate::auth;
use crate::lambda_invoke::{self, SelfFunction};
use crate::response::Response;
use crate::router::{AsyncMode, Request, Router};
use crate::Service;

/// Runs `service` under the Lambda runtime (the Runtime API named by `AWS_LAMBDA_RUNTIME_API`).
pub fn run<S: Service>(service: S) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let mode = SelfFunction::from_env().map_or(AsyncMode::Inline, AsyncMode::Invoke);
    let router = Router::from_env(service, mode);
    rt.block_on(async move {
        lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
            let router = router.clone();
            async move {
                Ok::<Value, std::convert::Infallible>(
                    handle_event(&router, event.payload, &event.context.request_id).await,
                )
            }
        }))
        .await
        .map_err(|e| format!("Lambda runtime: {e}"))
    })
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

/// Answers one Lambda event: an authorizer answer, or the HTTP answer in the shape of its origin.
pub async fn handle_event<S: Service>(router: &Router<S>, event: Value, request_id: &str) -> Value {
    if let Some(queued) = lambda_invoke::queued_request(&event) {
        return match queued {
            Ok(request) => json!({ "statusCode": router.handle_queued(request).await.status().as_u16() }),
            Err(e) => {
                eprintln!("{}: unreadable queued call ({e}); request {request_id}", S::NAME);
                json!({ "statusCode": 400 })
            }
        };
    }
    if auth::is_authorizer_event(&event) {
        return auth::answer_authorizer_event(&event, |t| router.service().authorize(t));
    }
    let origin = origin(&event);
    let stage = event.pointer("/requestContext/stage").and_then(Value::as_str).map(str::to_string);
    // lambda_http panics on some malformed values (e.g. a host that is no domain name): contain it.
    let text = event.to_string();
    let parsed = std::panic::catch_unwind(|| lambda_http::request::from_str(&text))
        .unwrap_or_else(|_| Err(serde::de::Error::custom("malformed HTTP event")));
    let request = match parsed {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{}: unreadable event ({e}); request {request_id}", S::NAME);
            let body = json!({ "error": "unsupported event", "request_id": request_id });
            return shape(origin, crate::response::json(http::StatusCode::BAD_REQUEST, &body));
        }
    };
    let mut path = request.raw_http_path().to_string();
    if path.is_empty() {
        path = request.uri().path().to_string();
    }
    if origin == Origin::HttpV2 {
        if let Some(stage) = stage.filter(|s| s != "$default") {
            let prefix = format!("/{stage}");
            if path == prefix || path.starts_with(&format!("{prefix}/")) {
                path = path[prefix.len()..].to_string();
            }
        }
    }
    let (parts, body) = request.into_parts();
    let request = Request {
        method: parts.method,
        path,
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        body: bytes::Bytes::copy_from_slice(body.as_ref()),
        request_id: request_id.to_string(),
    };
    shape(origin, router.handle(request).await)
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
    for name in r.headers().keys() {
        let values: Vec<&str> = r.headers().get_all(name).iter().filter_map(|v| v.to_str().ok()).collect();
        single.insert(name.as_str().to_string(), Value::String(values.join(",")));
        multi.insert(name.as_str().to_string(), json!(values));
    }
    let mut out = json!({ "statusCode": status.as_u16(), "body": body, "isBase64Encoded": base64 });
    match origin {
        Origin::RestV1 => out["multiValueHeaders"] = Value::Object(multi),
        Origin::HttpV2 => out["headers"] = Value::Object(single),
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
