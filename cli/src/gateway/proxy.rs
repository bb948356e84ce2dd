//! API Gateway, locally: a request to `/<service>/<path>` goes through what the stage's REST API
//! does with it, as the core's description of the deployed API ([`StageApi`]) says: resource and
//! method matching (`403 Missing Authentication Token` otherwise), the TOKEN authorizer (the
//! function's policy evaluated against the method ARN, cached per token for the authorizer's TTL;
//! `401` without a token), the REST proxy event (payload 1.0; bodies base64-encoded when their type
//! is a binary media type), the integration's 29 s limit, the function's proxy answer (base64
//! bodies decoded when the first `Accept` type is binary), and API Gateway's own answers with the
//! gateway responses' headers (CORS). One access-log line per request.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use bytes::Bytes;
use coworks_core::artifacts::api::{
    api_key_from_env, evaluate_policy, is_binary, method_arn, ApiMethod, GatewayError, HeaderSource,
    PolicyDecision, ServiceApi, StageApi, API_KEY_HEADER, LOCAL_ACCOUNT, TOKEN_HEADER,
};
use coworks_core::config::schema::API_GATEWAY_TIMEOUT;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use percent_encoding::percent_decode_str;
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;

use super::lambda::Function;

/// Largest request body API Gateway accepts (10 MB).
const MAX_BODY: usize = 10 * 1024 * 1024;

/// The header telling a client it talks to the local stage gateway (value: the stage).
pub const GATEWAY_HEADER: &str = "x-cws-gateway";

/// The local API Gateway of a stage.
pub struct Gateway {
    /// The stage's deployed API.
    pub api: StageApi,
    /// The functions, by service.
    pub functions: Arc<BTreeMap<String, Arc<Function>>>,
    /// The base URL clients reach it at (`http://127.0.0.1:8001`).
    pub base_url: String,
    /// The API key the methods of each service requiring one accept (the core's `api_key_from_env`
    /// in the gateway's environment: `CWS_API_KEY_<SERVICE>`, else `CWS_API_KEY`; none: no key is
    /// valid), by service.
    api_keys: BTreeMap<String, String>,
    cache: Mutex<HashMap<(String, String), (Instant, Value)>>,
    requests: AtomicU64,
}

type Answer = Response<Full<Bytes>>;

impl Gateway {
    /// The gateway of `api` with its `functions`.
    pub fn new(api: StageApi, functions: Arc<BTreeMap<String, Arc<Function>>>, base_url: String) -> Gateway {
        let api_keys = api
            .services
            .iter()
            .filter_map(|s| {
                let name = &s.service;
                api_key_from_env(name, |v| std::env::var(v).ok()).map(|(_, key)| (name.clone(), key))
            })
            .collect();
        Gateway {
            api,
            functions,
            base_url,
            api_keys,
            cache: Mutex::new(HashMap::new()),
            requests: AtomicU64::new(1),
        }
    }

    /// The service's base URL (where its routes start).
    pub fn service_url(&self, service: &str) -> String {
        format!("{}/{service}", self.base_url)
    }

    /// Serves `listener` until the task is dropped.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) {
        loop {
            let Ok((stream, peer)) = listener.accept().await else { continue };
            let _ = stream.set_nodelay(true);
            let gw = self.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let gw = gw.clone();
                    async move { Ok::<_, Infallible>(gw.handle(req, peer).await) }
                });
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
            });
        }
    }

    async fn handle(&self, req: Request<Incoming>, peer: SocketAddr) -> Answer {
        let started = Instant::now();
        let method = req.method().as_str().to_string();
        let path = req.uri().path().to_string();
        let (service, answer) = self.answer(req, peer).await;
        crate::output::errln!(
            "{method} {path} {} {} {:.1} ms",
            service.as_deref().unwrap_or("-"),
            answer.status().as_u16(),
            started.elapsed().as_secs_f64() * 1000.0
        );
        answer
    }

    fn index(&self) -> Answer {
        let services: Map<String, Value> = self
            .api
            .services
            .iter()
            .map(|s| (s.service.clone(), Value::from(self.service_url(&s.service))))
            .collect();
        let mut r = json_answer(StatusCode::OK, &json!({ "stage": self.api.stage, "services": services }));
        if let Ok(v) = HeaderValue::from_str(&self.api.stage) {
            r.headers_mut().insert(GATEWAY_HEADER, v);
        }
        r
    }

    /// The answer to one request, and the service it went to.
    async fn answer(&self, req: Request<Incoming>, peer: SocketAddr) -> (Option<String>, Answer) {
        let path = req.uri().path().to_string();
        let trimmed = path.trim_start_matches('/');
        let (name, rest) = trimmed.split_once('/').map_or((trimmed, ""), |(a, b)| (a, b));
        if name.is_empty() {
            return (None, self.index());
        }
        let Some(api) = self.api.services.iter().find(|s| s.service == name) else {
            let known: Vec<&str> = self.api.services.iter().map(|s| s.service.as_str()).collect();
            let message = format!(
                "no service `{name}` in stage `{}` (the gateway serves /<service>/<path>; services: {})",
                self.api.stage,
                known.join(", ")
            );
            return (None, json_answer(StatusCode::NOT_FOUND, &json!({ "message": message })));
        };
        let Some(function) = self.functions.get(&api.service) else {
            return (
                Some(api.service.clone()),
                self.gateway_error(api, &HeaderMap::new(), GatewayError::BadGateway),
            );
        };
        let rest = format!("/{rest}");
        (Some(api.service.clone()), self.through_api(api, function, req, &rest, peer).await)
    }

    async fn through_api(
        &self,
        api: &ServiceApi,
        function: &Arc<Function>,
        req: Request<Incoming>,
        path: &str,
        peer: SocketAddr,
    ) -> Answer {
        let (parts, body) = req.into_parts();
        let headers = parts.headers;
        let method = parts.method.as_str().to_string();
        let Some((route, params)) = api.route(&method, path) else {
            return self.gateway_error(api, &headers, GatewayError::MissingAuthenticationToken);
        };
        // API Gateway checks the key before the authorizer runs.
        if route.api_key_required {
            let sent = headers.get(API_KEY_HEADER).and_then(|v| v.to_str().ok());
            if sent.is_none() || sent != self.api_keys.get(&api.service).map(String::as_str) {
                return self.gateway_error(api, &headers, GatewayError::InvalidApiKey);
            }
        }
        let body = match Limited::new(body, MAX_BODY).collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => {
                let mut r =
                    json_answer(StatusCode::PAYLOAD_TOO_LARGE, &json!({ "message": "Request Too Long" }));
                add_gateway_headers(api, "DEFAULT_4XX", &headers, &mut r);
                return r;
            }
        };
        let authorizer = if route.auth == coworks_core::Auth::Token {
            match self.authorize(api, function, &headers, &method, path).await {
                Ok(a) => Some(a),
                Err(e) => return self.gateway_error(api, &headers, e),
            }
        } else {
            None
        };
        let event = self.rest_event(
            api,
            route,
            &params,
            &method,
            path,
            parts.uri.query(),
            &headers,
            &body,
            peer,
            authorizer,
        );
        let limit = Duration::from_secs(API_GATEWAY_TIMEOUT as u64);
        match function.invoke(Bytes::from(event.to_string()), limit).await {
            Err(()) => self.gateway_error(api, &headers, GatewayError::Timeout),
            Ok(Err(e)) => {
                crate::output::errln!("[{}] {e}", api.service);
                self.gateway_error(api, &headers, GatewayError::BadGateway)
            }
            Ok(Ok(answer)) => proxy_answer(api, &headers, &answer).unwrap_or_else(|why| {
                crate::output::errln!("[{}] malformed Lambda proxy response: {why}", api.service);
                self.gateway_error(api, &headers, GatewayError::BadGateway)
            }),
        }
    }

    /// The TOKEN authorizer: the cached or fresh answer for the request's token, when its policy
    /// allows the method ARN.
    async fn authorize(
        &self,
        api: &ServiceApi,
        function: &Arc<Function>,
        headers: &HeaderMap,
        method: &str,
        path: &str,
    ) -> Result<Value, GatewayError> {
        let token = headers
            .get(TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|t| !t.trim().is_empty())
            .ok_or(GatewayError::Unauthorized)?
            .to_string();
        let ttl = Duration::from_secs(api.authorizer.map_or(0, |a| a.ttl_seconds.max(0) as u64));
        let arn = method_arn(&api.execute_api_arn(&self.api.region, LOCAL_ACCOUNT), &api.stage, method, path);
        let key = (api.service.clone(), token.clone());
        let cached = {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            cache.get(&key).filter(|(until, _)| Instant::now() < *until).map(|(_, a)| a.clone())
        };
        let answer = match cached {
            Some(a) => a,
            None => {
                let event = json!({ "type": "TOKEN", "authorizationToken": token, "methodArn": arn });
                let outcome = function.invoke(Bytes::from(event.to_string()), Duration::from_secs(30)).await;
                let answer: Value = match outcome {
                    Ok(Ok(bytes)) => {
                        serde_json::from_slice(&bytes).map_err(|_| GatewayError::AuthorizerError)?
                    }
                    Ok(Err(e)) if e.contains("Unauthorized") => return Err(GatewayError::Unauthorized),
                    _ => return Err(GatewayError::AuthorizerError),
                };
                if answer.get("principalId").is_none() || answer.get("policyDocument").is_none() {
                    crate::output::errln!(
                        "[{}] the authorizer answered no principalId and policyDocument",
                        api.service
                    );
                    return Err(GatewayError::AuthorizerError);
                }
                if !ttl.is_zero() {
                    let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
                    cache.insert(key, (Instant::now() + ttl, answer.clone()));
                }
                answer
            }
        };
        if let Err(why) = check_context(&answer) {
            crate::output::errln!("[{}] the authorizer's context is invalid: {why}", api.service);
            return Err(GatewayError::AuthorizerError);
        }
        match evaluate_policy(&answer["policyDocument"], &arn) {
            PolicyDecision::Allow => Ok(answer),
            PolicyDecision::ExplicitDeny => Err(GatewayError::ExplicitDeny),
            PolicyDecision::ImplicitDeny => Err(GatewayError::AccessDenied),
        }
    }

    /// API Gateway's own answer `e`, with the headers of the gateway response covering it.
    fn gateway_error(&self, api: &ServiceApi, request: &HeaderMap, e: GatewayError) -> Answer {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = json_answer(status, &json!({ "message": e.message() }));
        let kind = match e {
            GatewayError::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            GatewayError::Unauthorized => "UnauthorizedException",
            GatewayError::AccessDenied | GatewayError::ExplicitDeny => "AccessDeniedException",
            GatewayError::InvalidApiKey => "ForbiddenException",
            GatewayError::AuthorizerError => "AuthorizerConfigurationException",
            GatewayError::BadGateway | GatewayError::Timeout => "InternalServerErrorException",
        };
        r.headers_mut().insert("x-amzn-errortype", HeaderValue::from_static(kind));
        add_gateway_headers(api, e.default_type(), request, &mut r);
        r
    }

    /// The REST API proxy event (payload 1.0) of a request.
    #[allow(clippy::too_many_arguments)]
    fn rest_event(
        &self,
        api: &ServiceApi,
        route: &ApiMethod,
        params: &BTreeMap<String, String>,
        method: &str,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
        body: &Bytes,
        peer: SocketAddr,
        authorizer: Option<Value>,
    ) -> Value {
        let mut single = Map::new();
        let mut multi = Map::new();
        for name in headers.keys() {
            let values: Vec<Value> = headers
                .get_all(name)
                .iter()
                .map(|v| Value::from(String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect();
            if let Some(last) = values.last() {
                single.insert(name.as_str().to_string(), last.clone());
            }
            multi.insert(name.as_str().to_string(), Value::Array(values));
        }
        let mut q_single = Map::new();
        let mut q_multi: Map<String, Value> = Map::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            let (k, v) = (decode(k), decode(v));
            q_single.insert(k.clone(), Value::from(v.clone()));
            if let Some(list) = q_multi.entry(k).or_insert_with(|| json!([])).as_array_mut() {
                list.push(Value::from(v));
            }
        }
        let path_params: Map<String, Value> = params
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(percent_decode_str(v).decode_utf8_lossy().into_owned())))
            .collect();
        let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let (body, base64) = if body.is_empty() {
            (Value::Null, false)
        } else if is_binary(&api.binary_media_types, content_type) {
            (Value::from(base64::engine::general_purpose::STANDARD.encode(body)), true)
        } else {
            (Value::from(String::from_utf8_lossy(body).into_owned()), false)
        };
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        let mut context = json!({
            "accountId": LOCAL_ACCOUNT,
            "apiId": api.function,
            "domainName": self.base_url.trim_start_matches("http://"),
            "domainPrefix": api.function,
            "extendedRequestId": format!("local-{n}"),
            "httpMethod": method,
            "identity": {
                "sourceIp": peer.ip().to_string(),
                "userAgent": headers.get("user-agent").and_then(|v| v.to_str().ok()),
            },
            "path": format!("/{}{path}", api.stage),
            "protocol": "HTTP/1.1",
            "requestId": format!("{:08x}-{n:04x}-4000-8000-{:012x}", now.as_secs() as u32, now.subsec_nanos()),
            "requestTimeEpoch": now.as_millis() as u64,
            "resourceId": route.path.clone(),
            "resourcePath": route.path.clone(),
            "stage": api.stage,
        });
        if let Some(a) = authorizer {
            context["authorizer"] = integration_authorizer(&a);
        }
        let or_null = |m: Map<String, Value>| if m.is_empty() { Value::Null } else { Value::Object(m) };
        json!({
            "resource": route.path,
            "path": path,
            "httpMethod": method,
            "headers": or_null(single),
            "multiValueHeaders": or_null(multi),
            "queryStringParameters": or_null(q_single),
            "multiValueQueryStringParameters": or_null(q_multi),
            "pathParameters": or_null(path_params),
            "stageVariables": null,
            "requestContext": context,
            "body": body,
            "isBase64Encoded": base64,
        })
    }
}

/// An authorizer's `context` as API Gateway accepts it: an object whose values are strings,
/// numbers or booleans (no object, array or null: the call then fails with
/// `AuthorizerConfigurationException`).
fn check_context(answer: &Value) -> Result<(), String> {
    let Some(context) = answer.get("context") else { return Ok(()) };
    let Some(map) = context.as_object() else { return Err("`context` is not an object".into()) };
    match map.iter().find(|(_, v)| !(v.is_string() || v.is_number() || v.is_boolean())) {
        Some((k, _)) => {
            Err(format!("the value of `{}` is not a string, number or boolean", k.escape_debug()))
        }
        None => Ok(()),
    }
}

/// `requestContext.authorizer` of the REST proxy event, from the authorizer's answer: its
/// `principalId`, `integrationLatency`, and the context's values stringified (AWS: "the returned
/// values are all stringified").
fn integration_authorizer(answer: &Value) -> Value {
    let mut auth: Map<String, Value> = answer
        .get("context")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), Value::String(text))
        })
        .collect();
    auth.insert("principalId".into(), answer["principalId"].clone());
    auth.insert("integrationLatency".into(), Value::from(0));
    Value::Object(auth)
}

fn json_answer(status: StatusCode, body: &Value) -> Answer {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// Adds the headers of the gateway response `response_type` (e.g. the CORS origin).
fn add_gateway_headers(api: &ServiceApi, response_type: &str, request: &HeaderMap, r: &mut Answer) {
    for g in api.gateway_responses.iter().filter(|g| g.response_type == response_type) {
        for (name, source) in &g.headers {
            let value = match source {
                HeaderSource::Static(v) => Some(v.clone()),
                HeaderSource::RequestHeader(h) => {
                    request.get(h.as_str()).and_then(|v| v.to_str().ok()).map(str::to_string)
                }
            };
            if let (Ok(n), Some(Ok(v))) =
                (HeaderName::from_bytes(name.as_bytes()), value.map(|v| HeaderValue::from_str(&v)))
            {
                r.headers_mut().insert(n, v);
            }
        }
    }
}

/// The HTTP answer of a Lambda proxy response, as API Gateway turns it: status, headers (single and
/// multi-value), body (base64 decoded when the request's first `Accept` type is binary).
fn proxy_answer(api: &ServiceApi, request: &HeaderMap, answer: &[u8]) -> Result<Answer, String> {
    let v: Value = serde_json::from_slice(answer).map_err(|e| format!("not JSON: {e}"))?;
    let status = v["statusCode"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or("no valid statusCode")?;
    let text = v["body"].as_str().unwrap_or("");
    let accept = request.get(ACCEPT).and_then(|a| a.to_str().ok()).unwrap_or("");
    let body = if v["isBase64Encoded"].as_bool() == Some(true) && is_binary(&api.binary_media_types, accept) {
        Bytes::from(
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| format!("body not base64: {e}"))?,
        )
    } else {
        Bytes::from(text.to_string())
    };
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    for (k, values) in v["multiValueHeaders"].as_object().into_iter().flatten() {
        for value in values.as_array().into_iter().flatten().filter_map(Value::as_str) {
            if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(value)) {
                h.append(n, v);
            }
        }
    }
    for (k, value) in v["headers"].as_object().into_iter().flatten() {
        if let (Ok(n), Some(Ok(v))) =
            (HeaderName::from_bytes(k.as_bytes()), value.as_str().map(HeaderValue::from_str))
        {
            h.insert(n, v);
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorizers_context_reaches_the_integration_stringified() {
        let answer = json!({ "principalId": "ann", "policyDocument": {},
                             "context": { "tenant": "acme", "quota": 3, "admin": true, "ratio": 0.5 } });
        assert_eq!(check_context(&answer), Ok(()));
        assert_eq!(
            integration_authorizer(&answer),
            json!({ "principalId": "ann", "integrationLatency": 0,
                    "tenant": "acme", "quota": "3", "admin": "true", "ratio": "0.5" })
        );
        assert_eq!(integration_authorizer(&json!({ "principalId": "p" }))["principalId"], "p");
        for bad in [json!({ "a": { "b": 1 } }), json!({ "a": [1] }), json!({ "a": null }), json!("x")] {
            assert!(check_context(&json!({ "context": bad })).is_err(), "{bad}");
        }
    }
}
