//! The router both faces share (local HTTP and Lambda): matches a request to an entry of the stage,
//! checks the token, rejects unknown query keys, runs the entry (or hands it to the asynchronous-call
//! contract) and hides internal errors behind `500 {"error", "request_id"}`. A slow synchronous
//! entry never holds up the other requests: on a multi-threaded runtime, synchronous entries run
//! off the async workers (`block_in_place`, which hands the worker's queue and its share of
//! driving I/O to another thread: a few microseconds a call). Never inline on a worker, even
//! while other workers look free: a worker blocked after it took I/O events leaves nobody
//! polling the I/O driver until another worker parks, so new connections wait for the entry. With CORS on ([`crate::cors`]) every answer carries the CORS headers and
//! preflights are answered. The service's hooks ([`crate::hooks`]) run around the entry; each answer
//! is logged ([`crate::logging`]).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::FutureExt;
use http::header::{HeaderValue, ALLOW, AUTHORIZATION, CONTENT_TYPE, ORIGIN};
use http::{HeaderMap, Method, StatusCode};
use serde_json::json;

use crate::async_call::{self, AsyncTarget, InFlight};
use crate::context::{Authorized, Context, RequestMeta};
use crate::cors::Cors;
use crate::extract::{self, Input};
use crate::hooks::Call;
use crate::lambda_invoke::{self, SelfFunction};
use crate::response::{self, Response};
use crate::{auth, ParamSource, Service};

/// Environment variable naming the stage the service runs in (set by `cws run -s` and deployments).
pub const STAGE_ENV: &str = "CWS_STAGE";

/// One request, whatever face it came through.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The path (without API Gateway's stage prefix), still percent-encoded.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// The request id (Lambda's, or a local one): shown in 500 answers and async records.
    pub request_id: String,
    /// When the answer is due at the latest (a Lambda invocation's deadline): an asynchronous call
    /// run inline whose entry has not finished shortly before is recorded as not finished.
    pub deadline: Option<Instant>,
    /// What the face knows beyond the HTTP parts (client address, the event's authorizer, the
    /// Lambda context): read into the entry's [`crate::Context`].
    pub meta: RequestMeta,
}

/// Time kept before a Lambda invocation's deadline to write an asynchronous call's record.
pub const RECORD_MARGIN: Duration = Duration::from_secs(2);

/// How the asynchronous-call contract runs the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsyncMode {
    /// Answer 202 at once, then run the entry on a task (local server); [`Router::drain`] waits
    /// for these tasks when the service stops.
    Spawn,
    /// Run the entry and write the record, then answer 202 (an invocation that is already
    /// asynchronous, and must not return before the work is done).
    Inline,
    /// Queue the call with Lambda's `Invoke` API on this function (`InvocationType=Event`) and
    /// answer 202 once Lambda accepted it; the queued invocation runs the entry
    /// ([`Router::handle_queued`]). What a deployed function does ([`crate::lambda_invoke`]).
    Invoke(SelfFunction),
}

#[derive(Debug)]
enum Segment {
    Literal(String),
    Param,
}

#[derive(Debug)]
struct CompiledRoute {
    entry: usize,
    method: Method,
    segments: Vec<Segment>,
}

struct Inner<S> {
    service: S,
    /// Shared with every request's [`Context`] (no copy per request).
    stage: Option<Arc<str>>,
    routes: Vec<CompiledRoute>,
    async_mode: AsyncMode,
    cors: Option<Cors>,
    in_flight: InFlight,
}

/// A service with its compiled route table (only the entries of its stage). Cheap to clone.
pub struct Router<S> {
    inner: Arc<Inner<S>>,
}

impl<S> Clone for Router<S> {
    fn clone(&self) -> Self {
        Router { inner: self.inner.clone() }
    }
}

/// What a method and path match.
#[derive(Debug, PartialEq, Eq)]
pub enum Match {
    /// Entry number and its decoded path parameters.
    Entry(usize, Vec<String>),
    /// The path exists with other methods.
    MethodNotAllowed(Vec<&'static str>),
    /// No such path.
    NotFound,
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

impl<S: Service> Router<S> {
    /// The router of `service` in `stage` (stage-only entries of other stages, or all of them when
    /// `stage` is `None`, are not served).
    pub fn new(service: S, stage: Option<&str>, async_mode: AsyncMode) -> Self {
        Router::with_cors(service, stage, async_mode, None)
    }

    /// [`Router::new`] answering with `cors` (`None`: CORS off).
    pub fn with_cors(service: S, stage: Option<&str>, async_mode: AsyncMode, cors: Option<Cors>) -> Self {
        let routes = S::ENTRIES
            .iter()
            .enumerate()
            .filter(|(_, e)| e.in_stage(stage))
            .filter_map(|(i, e)| {
                let method = Method::from_bytes(e.method.as_bytes()).ok()?;
                let segments = segments(e.path)
                    .map(|s| {
                        if s.starts_with('{') && s.ends_with('}') {
                            Segment::Param
                        } else {
                            Segment::Literal(s.to_string())
                        }
                    })
                    .collect();
                Some(CompiledRoute { entry: i, method, segments })
            })
            .collect();
        Router {
            inner: Arc::new(Inner {
                service,
                stage: stage.map(Arc::from),
                routes,
                async_mode,
                cors,
                in_flight: InFlight::default(),
            }),
        }
    }

    /// The router of `service` in the stage named by `CWS_STAGE`, with the CORS settings of the
    /// environment ([`Cors::from_env`]).
    pub fn from_env(service: S, async_mode: AsyncMode) -> Self {
        let stage = std::env::var(STAGE_ENV).ok().filter(|s| !s.is_empty());
        Router::with_cors(service, stage.as_deref(), async_mode, Cors::from_env())
    }

    /// The service.
    pub fn service(&self) -> &S {
        &self.inner.service
    }

    /// Asynchronous calls accepted and not recorded yet.
    pub fn async_calls(&self) -> usize {
        self.inner.in_flight.len()
    }

    /// For a stopping service: waits up to `bound` for the running asynchronous calls, then
    /// records those still running as not finished (see [`InFlight::drain`]). Returns how many did
    /// not finish.
    pub async fn drain(&self, bound: Duration) -> usize {
        self.inner.in_flight.drain(bound).await
    }

    /// The entries served (indexes into `S::ENTRIES`).
    pub fn served(&self) -> Vec<usize> {
        self.inner.routes.iter().map(|r| r.entry).collect()
    }

    /// Matches a method and an (encoded) path.
    pub fn route(&self, method: &Method, path: &str) -> Match {
        let segs: Vec<&str> = segments(path).collect();
        let mut allowed = Vec::new();
        'routes: for r in &self.inner.routes {
            if r.segments.len() != segs.len() {
                continue;
            }
            let mut params = Vec::new();
            for (pattern, seg) in r.segments.iter().zip(&segs) {
                match pattern {
                    Segment::Literal(l) if l == seg => {}
                    Segment::Literal(_) => continue 'routes,
                    Segment::Param => match extract::decode_segment(seg) {
                        Some(v) => params.push(v),
                        None => continue 'routes,
                    },
                }
            }
            if r.method == method {
                return Match::Entry(r.entry, params);
            }
            allowed.push(S::ENTRIES[r.entry].method);
        }
        if allowed.is_empty() {
            Match::NotFound
        } else {
            Match::MethodNotAllowed(allowed)
        }
    }

    /// Answers one request (with the CORS headers when CORS is on).
    pub async fn handle(&self, req: Request) -> Response {
        self.answer(req, &self.inner.async_mode).await
    }

    /// Runs a call queued by [`AsyncMode::Invoke`] (the asynchronous invocation): the entry runs
    /// and its record is written before this returns.
    pub async fn handle_queued(&self, req: Request) -> Response {
        self.answer(req, &AsyncMode::Inline).await
    }

    async fn answer(&self, req: Request, mode: &AsyncMode) -> Response {
        // The answered-request line's level: see `logging`.
        let at_info = crate::logging::request_lines_at_info();
        let on = if at_info {
            tracing::enabled!(tracing::Level::INFO)
        } else {
            tracing::enabled!(tracing::Level::DEBUG)
        };
        if !on {
            return self.answer_cors(req, mode).await;
        }
        let (started, method, path) = (Instant::now(), req.method.clone(), req.path.clone());
        let r = self.answer_cors(req, mode).await;
        let (status, ms) = (r.status().as_u16(), started.elapsed().as_secs_f64() * 1000.0);
        if at_info {
            tracing::info!(%method, path, status, ms, "answered");
        } else {
            tracing::debug!(%method, path, status, ms, "answered");
        }
        r
    }

    async fn answer_cors(&self, req: Request, mode: &AsyncMode) -> Response {
        let Some(cors) = &self.inner.cors else { return self.dispatch(req, mode).await };
        if req.method == Method::OPTIONS {
            if let Match::MethodNotAllowed(methods) = self.route(&req.method, &req.path) {
                return cors.preflight(&req.headers, &methods);
            }
        }
        // Only the `Origin` header is needed afterwards (a shared buffer's handle, no copy).
        let origin = req.headers.get(ORIGIN).cloned();
        let mut r = self.dispatch(req, mode).await;
        cors.decorate_for(origin.as_ref(), &mut r);
        r
    }

    async fn dispatch(&self, mut req: Request, mode: &AsyncMode) -> Response {
        let (entry, path) = match self.route(&req.method, &req.path) {
            Match::Entry(e, p) => (e, p),
            Match::NotFound => return response::not_found(),
            Match::MethodNotAllowed(methods) => {
                let mut r = response::json(
                    StatusCode::METHOD_NOT_ALLOWED,
                    &json!({ "error": format!("{} is not allowed here; use {}", req.method, methods.join(", ")) }),
                );
                if let Ok(v) = HeaderValue::from_str(&methods.join(", ")) {
                    r.headers_mut().insert(ALLOW, v);
                }
                return r;
            }
        };
        let info = &S::ENTRIES[entry];
        let mut authorized = None;
        if !info.no_auth {
            match self.check_token(&req.headers) {
                Ok(a) => authorized = Some(a),
                Err(denied) => return *denied,
            }
        }
        let query = extract::parse_query_string(req.query.as_deref());
        let known = |k: &str| info.params.iter().any(|p| p.source == ParamSource::Query && p.name == k);
        if let Some((key, _)) = query.iter().find(|(k, _)| !known(k)) {
            let expected: Vec<&str> =
                info.params.iter().filter(|p| p.source == ParamSource::Query).map(|p| p.name).collect();
            return response::json(
                StatusCode::UNPROCESSABLE_ENTITY,
                &json!({
                    "error": "unknown query parameter",
                    "parameter": key,
                    "in": "query",
                    "expected": expected,
                    "message": format!("`{}` takes no query parameter `{key}`", info.rust_name),
                }),
            );
        }
        let target = async_call::target(&req.headers);
        if let Some(t) = &target {
            if let Err(e) = async_call::check_allowed(t) {
                return response::json(StatusCode::BAD_REQUEST, &json!({ "error": e }));
            }
            if let AsyncMode::Invoke(function) = mode {
                return queue(function, &req, t).await;
            }
        }
        let content_type = req.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        // The event's authorizer (API Gateway's, when deployed) wins over the service's own check.
        let authorized = req.meta.authorizer.take().or(authorized).unwrap_or_default();
        // One value per request, shared by the hooks and the entry: the request's parts move in.
        let context = Context {
            method: req.method,
            path: req.path,
            headers: req.headers,
            raw_query: req.query,
            request_id: req.request_id,
            stage: self.inner.stage.clone(),
            meta: req.meta,
            principal: authorized.principal,
            authorizer: authorized.context,
        };
        let call = Call::new(S::ENTRIES, entry, context, Instant::now());
        let input = Input { path, query, content_type, body: req.body };
        match target {
            None => self.run(input, &call).await,
            Some(target) => self.run_async(input, call, target, mode, req.deadline).await,
        }
    }

    /// The token's principal, or `401` without a token, `403` with one the service refuses.
    fn check_token(&self, headers: &HeaderMap) -> Result<Authorized, Box<Response>> {
        let token = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(auth::token_of);
        let Some(token) = token else {
            return Err(Box::new(response::json(
                StatusCode::UNAUTHORIZED,
                &json!({ "error": "missing token: send it in the Authorization header" }),
            )));
        };
        match self.inner.service.principal(token) {
            Some(p) => Ok(p.into_authorized()),
            None => {
                Err(Box::new(response::json(StatusCode::FORBIDDEN, &json!({ "error": "invalid token" }))))
            }
        }
    }

    /// Runs the `before` hook, the entry unless `before` answered (a synchronous entry on a
    /// blocking thread), then the `after` hook; a panic or a 5xx of any of them becomes
    /// `500 {"error": "internal error", "request_id"}` (which `after` sees).
    async fn run(&self, input: Input, call: &Call) -> Response {
        let service = &self.inner.service;
        let entry = call.index;
        let work = async move {
            if S::HAS_BEFORE {
                if let Some(answer) = service.before(call).await {
                    return answer;
                }
            }
            service.call(entry, input, call).await
        };
        let multi_thread =
            tokio::runtime::Handle::current().runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread;
        // The generated future of a synchronous entry completes in its first poll, which runs the
        // entry: tokio hands this worker's other tasks (and its turn at polling I/O) to another
        // thread meanwhile (`block_in_place`), so a slow entry holds up no other request. (A
        // current-thread runtime, Lambda's, serves one request at a time: the entry runs inline.)
        let blocking = !S::ENTRIES[entry].is_async && multi_thread;
        let what = if S::HAS_BEFORE { "`before` hook or entry" } else { "entry" };
        let r = guarded(work, blocking, call, what).await;
        if !S::HAS_AFTER {
            return r;
        }
        guarded(service.after(call, r), false, call, "`after` hook around entry").await
    }

    async fn run_async(
        &self,
        input: Input,
        call: Call,
        target: AsyncTarget,
        mode: &AsyncMode,
        deadline: Option<Instant>,
    ) -> Response {
        let request_id = call.request_id().to_string();
        let accepted = accepted(&request_id, &target);
        match mode {
            AsyncMode::Inline | AsyncMode::Invoke(_) => {
                let run = self.run(input, &call);
                let r = match deadline {
                    None => run.await,
                    Some(deadline) => {
                        let until = deadline.checked_sub(RECORD_MARGIN).unwrap_or(deadline);
                        match tokio::time::timeout_at(until.into(), run).await {
                            Ok(r) => r,
                            Err(_) => {
                                tracing::warn!(
                                    "{}: async call {request_id}: entry `{}` did not finish before the \
                                     invocation's deadline: recorded as not finished",
                                    S::NAME,
                                    call.entry.rust_name
                                );
                                async_call::not_finished(
                                    &request_id,
                                    "the Lambda invocation's time ran out (raise the function's timeout)",
                                )
                            }
                        }
                    }
                };
                async_call::write_result(&target, &r).await;
            }
            AsyncMode::Spawn => {
                let ticket = self.inner.in_flight.begin(&target, &request_id);
                let router = self.clone();
                tokio::spawn(async move {
                    let r = router.run(input, &call).await;
                    // `None`: the service stopped meanwhile and recorded the call as not finished.
                    if let Some(target) = router.inner.in_flight.take(ticket) {
                        async_call::write_result(&target, &r).await;
                        router.inner.in_flight.done(ticket);
                    }
                });
            }
        }
        accepted
    }
}

/// `202 {"request_id", "bucket", "key"}`: the call is accepted, its record will be at that key.
fn accepted(request_id: &str, target: &AsyncTarget) -> Response {
    response::json(
        StatusCode::ACCEPTED,
        &json!({ "request_id": request_id, "bucket": target.bucket, "key": target.key }),
    )
}

/// Queues `req` with Lambda's `Invoke` API on `function`: `202` once Lambda accepted it, `413`
/// when it is too large to queue, `503` (nothing recorded: the call was not accepted) when Lambda
/// refused or did not answer.
async fn queue(function: &SelfFunction, req: &Request, target: &AsyncTarget) -> Response {
    match lambda_invoke::queue(function, &lambda_invoke::payload(req)).await {
        Ok(()) => accepted(&req.request_id, target),
        Err(e @ lambda_invoke::QueueError::TooLarge(_)) => {
            response::json(StatusCode::PAYLOAD_TOO_LARGE, &json!({ "error": e.to_string() }))
        }
        Err(e) => {
            tracing::error!("async call {} not queued: {e}", req.request_id);
            response::json(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({ "error": "the asynchronous call could not be queued; retry later", "request_id": req.request_id }),
            )
        }
    }
}

/// Runs `work` (on a blocking thread when `blocking`), turning a panic or a 5xx answer into
/// `500 {"error": "internal error", "request_id"}`, logged with `what` ran.
async fn guarded(
    work: impl std::future::Future<Output = Response>,
    blocking: bool,
    call: &Call,
    what: &str,
) -> Response {
    let work = AssertUnwindSafe(work).catch_unwind();
    let result = if blocking {
        tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(work))
    } else {
        work.await
    };
    match result {
        Ok(r) if !r.status().is_server_error() => r,
        Ok(r) => hide_error(r, call.request_id()),
        Err(_) => {
            let entry = call.entry.rust_name;
            tracing::error!(request_id = call.request_id(), "{what} `{entry}` panicked");
            internal_error(StatusCode::INTERNAL_SERVER_ERROR, call.request_id())
        }
    }
}

/// A 5xx answer with its body replaced by `{"error": "internal error", "request_id"}`; its other
/// headers (those an `after` hook added) are kept.
fn hide_error(mut r: Response, request_id: &str) -> Response {
    let hidden = internal_error(r.status(), request_id);
    let (parts, body) = hidden.into_parts();
    if let Some(ct) = parts.headers.get(CONTENT_TYPE) {
        r.headers_mut().insert(CONTENT_TYPE, ct.clone());
    }
    *r.body_mut() = body;
    r
}

fn internal_error(status: StatusCode, request_id: &str) -> Response {
    response::json(status, &json!({ "error": "internal error", "request_id": request_id }))
}
