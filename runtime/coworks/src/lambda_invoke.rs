//! How a deployed function runs an asynchronous call: it queues it with Lambda's `Invoke` API on
//! itself (`InvocationType=Event`, `POST /2015-03-31/functions/<name>/invocations`, SigV4 service
//! `lambda`, on the process's AWS client) and answers `202` once Lambda has accepted it (Lambda
//! answers `202` with an empty body); the queued invocation — a payload `{"cws_async": ...}`
//! ([`coworks_core::contract::ASYNC_PAYLOAD_KEY`]) — runs the entry and writes the record.
//!
//! This works whatever the request came through (API Gateway REST or HTTP API, a function URL, a
//! load balancer), where an integration header (`X-Amz-Invocation-Type`) exists only for REST API
//! non-proxy integrations. The function's role may invoke this function only
//! (`lambda:InvokeFunction` on its own ARN, in the generated Terraform).

use std::collections::BTreeMap;

use base64::Engine;
use bytes::Bytes;
use coworks_core::contract::{ASYNC_PAYLOAD_KEY, MAX_ASYNC_PAYLOAD};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde_json::{json, Value};

use crate::aws::{self, AwsError, Call};
use crate::context::{Authorized, RequestMeta};
use crate::router::Request;

/// The function this process runs as, when it runs under Lambda: `AWS_LAMBDA_FUNCTION_NAME` and the
/// version (`AWS_LAMBDA_FUNCTION_VERSION`; `$LATEST` means none), both set by Lambda.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfFunction {
    /// The function's name.
    pub name: String,
    /// The published version to invoke, if not `$LATEST`.
    pub qualifier: Option<String>,
}

impl SelfFunction {
    /// The function of the environment, if Lambda set its name.
    pub fn from_env() -> Option<SelfFunction> {
        let name = std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok().filter(|n| !n.is_empty())?;
        let qualifier =
            std::env::var("AWS_LAMBDA_FUNCTION_VERSION").ok().filter(|v| !v.is_empty() && v != "$LATEST");
        Some(SelfFunction { name, qualifier })
    }
}

/// Why a call could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The request is larger than Lambda accepts for an asynchronous invocation.
    #[error("the request is {0} bytes once queued; Lambda queues at most {MAX_ASYNC_PAYLOAD} bytes for an asynchronous call")]
    TooLarge(usize),
    /// Lambda refused or did not answer.
    #[error("Lambda did not queue the call: {0}")]
    Lambda(#[from] AwsError),
}

/// The payload queueing `req`: its method, path, query, headers, body (base64) and request id.
pub fn payload(req: &Request) -> Value {
    let mut headers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (k, v) in &req.headers {
        if let Ok(v) = v.to_str() {
            headers.entry(k.as_str()).or_default().push(v);
        }
    }
    json!({ ASYNC_PAYLOAD_KEY: {
        "method": req.method.as_str(),
        "path": req.path,
        "query": req.query,
        "headers": headers,
        "body": base64::engine::general_purpose::STANDARD.encode(&req.body),
        "request_id": req.request_id,
        "source_ip": req.meta.client_ip(),
        "authorizer": req.meta.authorizer.as_ref().map(|a| json!({ "principal": a.principal, "context": a.context })),
    }})
}

/// The request a queued payload carries, if `event` is one (`None`: another kind of event).
pub fn queued_request(event: &Value) -> Option<Result<Request, String>> {
    let inner = event.get(ASYNC_PAYLOAD_KEY)?;
    Some(decode(inner))
}

/// The request of a queued payload's inner object (the value of its `cws_async` key).
pub fn decode(inner: &Value) -> Result<Request, String> {
    let text = |k: &str| inner.get(k).and_then(Value::as_str);
    let method = Method::from_bytes(text("method").unwrap_or("").as_bytes()).map_err(|e| e.to_string())?;
    let mut headers = HeaderMap::new();
    for (k, values) in inner.get("headers").and_then(Value::as_object).into_iter().flatten() {
        let name = HeaderName::from_bytes(k.as_bytes()).map_err(|e| e.to_string())?;
        for v in values.as_array().into_iter().flatten().filter_map(Value::as_str) {
            headers.append(name.clone(), HeaderValue::from_str(v).map_err(|e| e.to_string())?);
        }
    }
    let body = base64::engine::general_purpose::STANDARD
        .decode(text("body").unwrap_or(""))
        .map_err(|e| format!("the queued body is not base64: {e}"))?;
    Ok(Request {
        method,
        path: text("path").unwrap_or("/").to_string(),
        query: text("query").map(str::to_string),
        headers,
        body: Bytes::from(body),
        request_id: text("request_id").unwrap_or("").to_string(),
        deadline: None,
        meta: RequestMeta {
            source_ip: text("source_ip").map(str::to_string),
            authorizer: inner.get("authorizer").filter(|a| a.is_object()).map(|a| Authorized {
                principal: a.get("principal").and_then(Value::as_str).map(str::to_string),
                context: a
                    .get("context")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect(),
            }),
            ..RequestMeta::default()
        },
    })
}

/// Queues `payload` as an asynchronous invocation of `function` (Lambda's `Invoke` API with
/// `InvocationType=Event`); `Ok` once Lambda accepted it.
pub async fn queue(function: &SelfFunction, payload: &Value) -> Result<(), QueueError> {
    let body = payload.to_string();
    if body.len() > MAX_ASYNC_PAYLOAD {
        return Err(QueueError::TooLarge(body.len()));
    }
    let region = aws::region();
    let path = format!("/2015-03-31/functions/{}/invocations", crate::sigv4::encode_path(&function.name));
    let query = function
        .qualifier
        .as_ref()
        .map(|q| format!("Qualifier={}", crate::sigv4::encode_path(q).replace('/', "%2F")))
        .unwrap_or_default();
    let mut url = format!("{}{path}", aws::endpoint("lambda", &region));
    if !query.is_empty() {
        url = format!("{url}?{query}");
    }
    let headers = [("content-type", "application/json"), ("x-amz-invocation-type", "Event")];
    let call = Call {
        service: "lambda",
        region: &region,
        method: "POST",
        url: &url,
        path: &path,
        query: &query,
        headers: &headers,
        body: Bytes::from(body),
        content_sha256: false,
    };
    aws::send(&call).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_travel_through_the_payload() {
        let mut headers = HeaderMap::new();
        headers.append("x-a", HeaderValue::from_static("1"));
        headers.append("x-a", HeaderValue::from_static("2"));
        headers.insert("invocationtype", HeaderValue::from_static("Event"));
        let req = Request {
            method: Method::POST,
            path: "/invoice".into(),
            query: Some("a=1".into()),
            headers,
            body: Bytes::from_static(&[0, 255, b'{']),
            request_id: "rq-1".into(),
            deadline: None,
            meta: RequestMeta {
                source_ip: Some("192.0.2.9".into()),
                authorizer: Some(Authorized {
                    principal: Some("u1".into()),
                    context: [("tenant".to_string(), "acme".to_string())].into(),
                }),
                ..RequestMeta::default()
            },
        };
        let p = payload(&req);
        let back = queued_request(&p).expect("a queued payload").expect("decodes");
        assert_eq!(
            (back.method, back.path.as_str(), back.query.as_deref()),
            (Method::POST, "/invoice", Some("a=1"))
        );
        assert_eq!(back.body, req.body);
        assert_eq!(back.request_id, "rq-1");
        assert_eq!(back.meta.source_ip.as_deref(), Some("192.0.2.9"));
        assert_eq!(back.meta.authorizer, req.meta.authorizer, "the principal travels with the call");
        let a: Vec<_> = back.headers.get_all("x-a").iter().collect();
        assert_eq!(a, ["1", "2"]);
        assert!(queued_request(&json!({"version": "2.0"})).is_none());
        assert!(queued_request(&json!({ASYNC_PAYLOAD_KEY: {"method": "G T"}})).expect("queued").is_err());
    }
}
