//! The local face: an HTTP/1 server (hyper on tokio) on 127.0.0.1, held to the [`Limits`] of the
//! environment: clients get a bounded time to send headers and bodies, a bounded number of
//! connections is served at once, bodies announced larger than the limit are refused before they
//! are read, and a failing `accept` (out of file descriptors) is retried with backoff.
//!
//! Ctrl-C or SIGTERM stops it gracefully: no new connection is accepted, requests in progress and
//! accepted asynchronous calls get the drain timeout to finish, and calls still running then are
//! recorded as not finished.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, CONNECTION, CONTENT_LENGTH};
use http::StatusCode;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body as _, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::context::RequestMeta;
use crate::limits::Limits;
use crate::logging;
use crate::response::{self, Response};
use crate::router::{AsyncMode, Request, Router};
use crate::Service;

/// Where the local server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The address (`--host`, else the default of `run.host` in the core's option tables).
    pub host: String,
    /// The port (`--port`, else `PORT`, else the default of `run.port`; 0 picks a free one).
    pub port: u16,
}

impl Options {
    /// The defaults of `cws run` (`run.host`, `run.port`), from the core's option tables: a service
    /// started by hand listens where `cws run` would start it.
    pub fn defaults() -> Options {
        use coworks_core::config::schema::default_text;
        Options {
            host: default_text("run", "host").unwrap_or_default().to_string(),
            port: default_text("run", "port").and_then(|p| p.parse().ok()).unwrap_or_default(),
        }
    }

    /// Reads `--host H` and `--port N` (or `PORT`) from the program's arguments.
    pub fn from_args(args: &[String]) -> Result<Options, String> {
        let mut options = Options::defaults();
        if let Ok(p) = std::env::var("PORT") {
            options.port = p.parse().map_err(|_| format!("PORT `{p}` is not a port number"))?;
        }
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--port" => {
                    let v = it.next().ok_or("--port needs a number")?;
                    options.port = v.parse().map_err(|_| format!("--port `{v}` is not a port number"))?;
                }
                "--host" => options.host = it.next().ok_or("--host needs an address")?.clone(),
                other => {
                    return Err(format!("unknown argument `{other}` (use --port N, --host ADDR, --routes)"))
                }
            }
        }
        Ok(options)
    }
}

static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// Serves `service` until Ctrl-C or SIGTERM, then drains (see the module's documentation). Prints
/// `listening on http://HOST:PORT` on stderr once it accepts connections (not a log line: printed
/// whatever the log level). The limits come from the
/// environment ([`Limits::from_env`]).
pub fn run<S: Service>(service: S, options: Options) -> Result<(), String> {
    let limits = Limits::from_env()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let served = rt.block_on(async move {
        let addr: SocketAddr = format!("{}:{}", options.host, options.port)
            .parse()
            .map_err(|_| format!("bad address {}:{}", options.host, options.port))?;
        let listener = TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        let stage = std::env::var(crate::router::STAGE_ENV).unwrap_or_default();
        let router = Router::from_env(service, AsyncMode::Spawn);
        if std::env::var("TOKEN").map_or(true, |t| t.is_empty()) && S::ENTRIES.iter().any(|e| !e.no_auth) {
            tracing::warn!("{}: TOKEN is not set: entries that need a token are refused", S::NAME);
        }
        // Not a log line: `cws run` and the tools wait for it, whatever the level.
        eprintln!(
            "{} ({} entries{}) listening on http://{local}",
            S::NAME,
            router.served().len(),
            if stage.is_empty() { String::new() } else { format!(", stage {stage}") }
        );
        serve(listener, router, limits, shutdown_signal()).await;
        tracing::info!("{}: stopped", S::NAME);
        Ok(())
    });
    // Synchronous entries still running after the drain are abandoned, not waited for.
    rt.shutdown_timeout(Duration::from_millis(100));
    served
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Accepts connections on `listener` and answers them with `router` until Ctrl-C or SIGTERM, with
/// the default [`Limits`].
pub async fn serve_until_stopped<S: Service>(listener: TcpListener, router: Router<S>) {
    serve(listener, router, Limits::default(), shutdown_signal()).await;
}

/// Failed `accept`s in a row: retried after a growing pause (10 ms doubling to 1 s), logged once
/// per burst.
#[derive(Debug, Default)]
struct AcceptBackoff {
    failures: u64,
}

impl AcceptBackoff {
    const FIRST: Duration = Duration::from_millis(10);
    const MAX: Duration = Duration::from_secs(1);

    async fn failed(&mut self, name: &str, e: &std::io::Error) {
        if self.failures == 0 {
            tracing::error!(
                "{name}: accept failed: {e}; retrying with backoff (further failures are not logged until \
                 accepting works again)"
            );
        }
        let pause = Self::FIRST.saturating_mul(1 << self.failures.min(7)).min(Self::MAX);
        self.failures += 1;
        tokio::time::sleep(pause).await;
    }

    fn succeeded(&mut self, name: &str) {
        if self.failures > 0 {
            tracing::info!("{name}: accepting again after {} failed accept(s)", self.failures);
            self.failures = 0;
        }
    }
}

/// What a connection did lately, for its header deadline: a connection on which no request is
/// being answered, none was answered and nothing was written for the header timeout is closed
/// (a client that sends nothing, drips a request's headers, or keeps an idle keep-alive
/// connection). hyper's own `header_read_timeout` would arm and drop a timer for every request
/// (a sixteenth of a warm request's instructions, the latency benchmark); this watch costs a
/// request two relaxed atomic operations, and the connection one timer tick a quarter of the
/// timeout. Writes count as activity, so a slow reader of a large answer is not cut off while it
/// reads (as with hyper's timer, which does not run while an answer is written).
#[derive(Debug, Default)]
struct Activity {
    /// Requests begun and answered, each counted once at either end: odd while one is answered.
    requests: AtomicU64,
    written: AtomicU64,
}

impl Activity {
    /// Completes once the connection has been idle for `timeout` (give or take a quarter of it).
    async fn idle_for(&self, timeout: Duration) {
        let tick = (timeout / 4).max(Duration::from_millis(10));
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + tick, tick);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last = (0, 0);
        let mut idle = Duration::ZERO;
        loop {
            ticks.tick().await;
            let now = (self.requests.load(Ordering::Relaxed), self.written.load(Ordering::Relaxed));
            if now.0 % 2 == 1 || now != last {
                (last, idle) = (now, Duration::ZERO);
                continue;
            }
            idle += tick;
            if idle >= timeout {
                return;
            }
        }
    }
}

/// A connection's stream, counting the writes (see [`Activity`]).
struct Watched {
    stream: tokio::net::TcpStream,
    activity: Arc<Activity>,
}

impl tokio::io::AsyncRead for Watched {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Watched {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let written = std::pin::Pin::new(&mut self.stream).poll_write(cx, buf);
        self.count(&written);
        written
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let written = std::pin::Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.count(&written);
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

impl Watched {
    fn count(&self, written: &std::task::Poll<std::io::Result<usize>>) {
        if let std::task::Poll::Ready(Ok(n)) = written {
            if *n > 0 {
                self.activity.written.fetch_add(*n as u64, Ordering::Relaxed);
            }
        }
    }
}

/// Errors of one connection (the client left before it was accepted): not the listener's fault.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted)
}

/// Serves `listener` with `router` under `limits` until `stop` completes, then drains: stops
/// accepting, lets connections in progress and accepted asynchronous calls finish within
/// `limits.drain_timeout`, and records calls still running then as not finished.
pub async fn serve<S: Service>(
    listener: TcpListener,
    router: Router<S>,
    limits: Limits,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut backoff = AcceptBackoff::default();
    // Whether the limit was reached and said so, until a slot is free at once again.
    let mut full = false;
    loop {
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                full = false;
                slot
            }
            Err(_) => {
                if !std::mem::replace(&mut full, true) {
                    tracing::warn!(
                        "{}: connection limit ({}) reached: new clients wait until a connection closes \
                         (CWS_MAX_CONNECTIONS)",
                        S::NAME,
                        limits.max_connections
                    );
                }
                tokio::select! {
                    _ = &mut stop => break,
                    slot = slots.clone().acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                }
            }
        };
        let (stream, peer) = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    backoff.succeeded(S::NAME);
                    (stream, peer)
                }
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    backoff.failed(S::NAME, &e).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let activity = Arc::new(Activity::default());
        let seen = activity.clone();
        let svc = service_fn(move |req: hyper::Request<Incoming>| {
            let (router, activity) = (router.clone(), activity.clone());
            async move {
                activity.requests.fetch_add(1, Ordering::Relaxed);
                let answer = answer(&router, req, peer, &limits).await;
                activity.requests.fetch_add(1, Ordering::Relaxed);
                Ok::<_, std::convert::Infallible>(answer)
            }
        });
        let stream = Watched { stream, activity: seen.clone() };
        let connection = graceful.watch(http1::Builder::new().serve_connection(TokioIo::new(stream), svc));
        let header_timeout = limits.header_timeout;
        tokio::spawn(async move {
            tokio::select! {
                biased;
                _ = connection => {}
                () = seen.idle_for(header_timeout) => {}
            }
            drop(slot);
        });
    }
    drop(listener);
    drain(router, graceful, limits.drain_timeout).await;
}

/// Waits up to `bound` for the open connections (idle ones are closed at once) and the accepted
/// asynchronous calls; records the calls still running as not finished.
async fn drain<S: Service>(router: Router<S>, graceful: GracefulShutdown, bound: Duration) {
    let (connections, calls) = (graceful.count(), router.async_calls());
    if connections + calls > 0 {
        tracing::info!(
            "{}: stopping: no new connections; waiting up to {bound:?} for {connections} connection(s) and \
             {calls} asynchronous call(s)",
            S::NAME
        );
    }
    let started = tokio::time::Instant::now();
    if tokio::time::timeout(bound, graceful.shutdown()).await.is_err() {
        tracing::warn!("{}: requests still running after {bound:?} are abandoned", S::NAME);
    }
    let unfinished = router.drain(bound.saturating_sub(started.elapsed())).await;
    if unfinished > 0 {
        tracing::warn!("{}: {unfinished} asynchronous call(s) recorded as not finished", S::NAME);
    }
}

/// A JSON error answer after which the connection is closed (its request was not read whole).
fn closing(status: StatusCode, message: String) -> Response {
    let mut r = response::json(status, &json!({ "error": message }));
    r.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    r
}

async fn answer<S: Service>(
    router: &Router<S>,
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
    limits: &Limits,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    // The request's number (from 1) and its id, `local-<pid>-<n>`.
    let n = REQUESTS.fetch_add(1, Ordering::Relaxed) + 1;
    let request_id = logging::local_request_id(n);
    let max = limits.max_body;
    let too_large = || closing(StatusCode::PAYLOAD_TOO_LARGE, format!("the body is larger than {max} bytes"));
    let announced =
        parts.headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > max as u64) {
        return too_large().map(Full::new);
    }
    // A request without a body (most GETs) is answered without arming the body's timer.
    let body = if body.is_end_stream() {
        Ok(Ok(Bytes::new()))
    } else {
        tokio::time::timeout(limits.body_timeout, Limited::new(body, max).collect())
            .await
            .map(|r| r.map(|b| b.to_bytes()))
    };
    let response = match body {
        Ok(Ok(b)) => {
            let request = Request {
                method: parts.method,
                path: parts.uri.path().to_string(),
                query: parts.uri.query().map(str::to_string),
                headers: parts.headers,
                body: b,
                request_id,
                deadline: None,
                meta: RequestMeta { peer: Some(peer.ip()), ..RequestMeta::default() },
            };
            logging::in_local_request!(n, router.handle(request))
        }
        Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => too_large(),
        Ok(Err(e)) => closing(StatusCode::BAD_REQUEST, format!("the body could not be read: {e}")),
        Err(_) => closing(
            StatusCode::REQUEST_TIMEOUT,
            format!("the body did not arrive within {:?}", limits.body_timeout),
        ),
    };
    response.map(Full::new)
}
