//! The local face: an HTTP/1 server (hyper on tokio) on 127.0.0.1. Ctrl-C or SIGTERM stops it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;

use crate::response;
use crate::router::{AsyncMode, Request, Router};
use crate::Service;

/// Largest request body accepted (Lambda's payload limit).
pub const MAX_BODY: usize = 6 * 1024 * 1024;

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

/// Serves `service` until Ctrl-C or SIGTERM. Prints `listening on http://HOST:PORT` on stderr once
/// it accepts connections.
pub fn run<S: Service>(service: S, options: Options) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(async move {
        let addr: SocketAddr = format!("{}:{}", options.host, options.port)
            .parse()
            .map_err(|_| format!("bad address {}:{}", options.host, options.port))?;
        let listener = TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        let stage = std::env::var(crate::router::STAGE_ENV).unwrap_or_default();
        let router = Router::from_env(service, AsyncMode::Spawn);
        if std::env::var("TOKEN").map_or(true, |t| t.is_empty()) && S::ENTRIES.iter().any(|e| !e.no_auth) {
            eprintln!("{}: TOKEN is not set: entries that need a token are refused", S::NAME);
        }
        eprintln!(
            "{} ({} entries{}) listening on http://{local}",
            S::NAME,
            router.served().len(),
            if stage.is_empty() { String::new() } else { format!(", stage {stage}") }
        );
        serve_until_stopped(listener, router).await;
        eprintln!("{}: stopped", S::NAME);
        Ok(())
    })
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

/// Accepts connections on `listener` and answers them with `router` until a stop signal.
pub async fn serve_until_stopped<S: Service>(listener: TcpListener, router: Router<S>) {
    let stop = shutdown_signal();
    tokio::pin!(stop);
    loop {
        let (stream, _) = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    eprintln!("accept failed: {e}");
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req: hyper::Request<Incoming>| {
                let router = router.clone();
                async move { Ok::<_, std::convert::Infallible>(answer(&router, req).await) }
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
        });
    }
}

async fn answer<S: Service>(
    router: &Router<S>,
    req: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let request_id = format!("local-{}-{}", std::process::id(), REQUESTS.fetch_add(1, Ordering::Relaxed) + 1);
    let response = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => {
            let request = Request {
                method: parts.method,
                path: parts.uri.path().to_string(),
                query: parts.uri.query().map(str::to_string),
                headers: parts.headers,
                body: b.to_bytes(),
                request_id,
            };
            router.handle(request).await
        }
        Err(_) => response::json(
            http::StatusCode::PAYLOAD_TOO_LARGE,
            &json!({ "error": format!("the body is larger than {MAX_BODY} bytes") }),
        ),
    };
    response.map(Full::new)
}
