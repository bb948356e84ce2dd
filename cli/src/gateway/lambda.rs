//! Lambda, locally: each function runs as its executable behind a Lambda Runtime API (one listener
//! per instance: `GET /2018-06-01/runtime/invocation/next`, `POST .../{id}/response`, `.../{id}/error`,
//! `POST /2018-06-01/runtime/init/error`), with the environment Lambda sets
//! (`AWS_LAMBDA_RUNTIME_API`, `AWS_LAMBDA_FUNCTION_NAME`, `_VERSION`, `_MEMORY_SIZE`, `AWS_REGION` ...).
//! Like Lambda, an instance handles one invocation at a time and a function scales out: a new
//! instance starts when every running one is busy (up to [`MAX_INSTANCES`]); an invocation running
//! longer than the function's timeout has its instance stopped. Lambda's `Invoke` API
//! ([`serve_invoke_api`]) queues `Event` invocations (202) and runs `RequestResponse` ones.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, Notify};

/// Most instances a function runs at once (Lambda's concurrency, kept small on a workstation).
pub const MAX_INSTANCES: usize = 8;

/// How long an invocation waits for a running instance to become free before another starts.
const SCALE_GRACE: Duration = Duration::from_millis(5);

/// How long an instance that has just answered may take to ask for its next invocation before the
/// invocations waiting for it start another instance instead (a loaded machine can take
/// milliseconds to schedule it; Lambda hands the next invocation to the environment that just
/// answered).
const FINISH_GRACE: Duration = Duration::from_secs(1);

/// Largest payload of an asynchronous invocation (Lambda's `Invoke`).
const MAX_EVENT_PAYLOAD: usize = coworks_core::contract::MAX_ASYNC_PAYLOAD;

/// What an invocation ended with: the function's answer, or why there is none.
pub type Outcome = Result<Bytes, String>;

/// One invocation waiting for (or running on) an instance.
struct Invocation {
    request_id: String,
    payload: Bytes,
    reply: Option<oneshot::Sender<Outcome>>,
}

/// What a function runs.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    /// The executable.
    pub binary: PathBuf,
    /// Its environment (the deployment's and the stage's), without Lambda's own variables.
    pub env: BTreeMap<String, String>,
}

/// One running process of a function.
struct Instance {
    id: u64,
    generation: u64,
    pid: u32,
    /// The invocation it runs, if any.
    current: Mutex<Option<Invocation>>,
    /// Set once the process is gone (or to be stopped).
    stopped: Notify,
    dead: std::sync::atomic::AtomicBool,
    /// Set between posting an answer and asking for the next invocation.
    finishing: std::sync::atomic::AtomicBool,
}

impl Instance {
    fn kill(&self) {
        if !self.dead.swap(true, Ordering::SeqCst) {
            if let Ok(pid) = libc::pid_t::try_from(self.pid) {
                // SAFETY: signalling our own child process.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
        }
        self.stopped.notify_waiters();
    }

    fn is_dead(&self) -> bool {
        self.dead.load(Ordering::SeqCst)
    }
}

/// A Lambda function served locally.
pub struct Function {
    /// The service it serves.
    pub service: String,
    /// The function's (deployed) name.
    pub name: String,
    region: String,
    timeout: Duration,
    spec: Mutex<(FunctionSpec, u64)>,
    tx: mpsc::UnboundedSender<Invocation>,
    rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Invocation>>,
    queued: AtomicUsize,
    idle: AtomicUsize,
    /// Instances that have answered and not yet asked for their next invocation.
    finishing: AtomicUsize,
    instances: Mutex<Vec<Arc<Instance>>>,
    next_instance: AtomicU64,
    next_request: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r
}

impl Function {
    /// A function running `spec`, invocations ended after `timeout`.
    pub fn new(
        service: &str,
        name: &str,
        region: &str,
        timeout: Duration,
        spec: FunctionSpec,
    ) -> Arc<Function> {
        let (tx, rx) = mpsc::unbounded_channel();
        Arc::new(Function {
            service: service.to_string(),
            name: name.to_string(),
            region: region.to_string(),
            timeout,
            spec: Mutex::new((spec, 0)),
            tx,
            rx: tokio::sync::Mutex::new(rx),
            queued: AtomicUsize::new(0),
            idle: AtomicUsize::new(0),
            finishing: AtomicUsize::new(0),
            instances: Mutex::new(Vec::new()),
            next_instance: AtomicU64::new(1),
            next_request: AtomicU64::new(1),
        })
    }

    fn generation(&self) -> u64 {
        lock(&self.spec).1
    }

    /// A new request id.
    pub fn request_id(&self) -> String {
        let n = self.next_request.fetch_add(1, Ordering::Relaxed);
        let t = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        format!("{:08x}-{:04x}-4000-8000-{:012x}", (t >> 32) as u32, n & 0xffff, t as u64 & 0xffff_ffff_ffff)
    }

    /// Queues an invocation; `Some` receiver for a synchronous one. Starts an instance when every
    /// running one is busy.
    fn queue(self: &Arc<Self>, payload: Bytes, wait: bool) -> (String, Option<oneshot::Receiver<Outcome>>) {
        let request_id = self.request_id();
        let (reply, rx) = if wait {
            let (tx, rx) = oneshot::channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        self.queued.fetch_add(1, Ordering::SeqCst);
        let _ = self.tx.send(Invocation { request_id: request_id.clone(), payload, reply });
        self.scale();
        (request_id, rx)
    }

    /// Whether invocations wait with no instance free and room for one more; an instance that has
    /// just answered counts as free unless `impatient`.
    fn needs_instance(&self, impatient: bool) -> bool {
        let waiting = self.queued.load(Ordering::SeqCst);
        let mut free = self.idle.load(Ordering::SeqCst);
        if !impatient {
            free += self.finishing.load(Ordering::SeqCst);
        }
        let live = lock(&self.instances).iter().filter(|i| !i.is_dead()).count();
        waiting > free && live < MAX_INSTANCES
    }

    /// Marks `inst` as having answered (`true`) or as asking for its next invocation or gone.
    fn set_finishing(&self, inst: &Instance, finishing: bool) {
        if inst.finishing.swap(finishing, Ordering::SeqCst) != finishing {
            if finishing {
                self.finishing.fetch_add(1, Ordering::SeqCst);
            } else {
                self.finishing.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }

    /// Starts an instance if invocations still wait with no instance free a moment later (an
    /// instance that just answered asks for its next invocation within that moment, as under
    /// Lambda, and is reused rather than a new one started); while instances that have answered
    /// could still take them, they get up to [`FINISH_GRACE`] to ask.
    fn scale(self: &Arc<Self>) {
        if !self.needs_instance(true) {
            return;
        }
        let f = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(SCALE_GRACE).await;
            if !f.needs_instance(true) {
                return;
            }
            if !f.needs_instance(false) {
                tokio::time::sleep(FINISH_GRACE).await;
                if !f.needs_instance(true) {
                    return;
                }
            }
            if let Err(e) = f.start_instance().await {
                crate::output::errln!("[{}] cannot start: {e}", f.service);
            }
        });
    }

    /// Runs an invocation and waits for its answer (at most `limit`).
    pub async fn invoke(self: &Arc<Self>, payload: Bytes, limit: Duration) -> Result<Outcome, ()> {
        let (_, rx) = self.queue(payload, true);
        let Some(rx) = rx else { return Err(()) };
        match tokio::time::timeout(limit, rx).await {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(_)) => Ok(Err("the invocation was dropped".into())),
            Err(_) => Err(()),
        }
    }

    /// Queues an asynchronous invocation (`InvocationType=Event`); returns its request id.
    pub fn invoke_event(self: &Arc<Self>, payload: Bytes) -> String {
        self.queue(payload, false).0
    }

    /// Starts one instance now (a cold start), serving its own Runtime API.
    pub async fn start_instance(self: &Arc<Self>) -> Result<(), String> {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let (spec, generation) = lock(&self.spec).clone();
        let id = self.next_instance.fetch_add(1, Ordering::Relaxed);
        let mut cmd = tokio::process::Command::new(&spec.binary);
        cmd.envs(&spec.env)
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", &self.name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{}", self.name))
            .env("AWS_LAMBDA_LOG_STREAM_NAME", format!("local/{id}"))
            .env("AWS_REGION", &self.region)
            .env("AWS_DEFAULT_REGION", &self.region)
            .env("_HANDLER", "bootstrap")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        #[cfg(target_os = "linux")]
        // SAFETY: prctl is async-signal-safe; the instance gets SIGTERM if `cws` dies first.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|e| format!("cannot run {}: {e}", spec.binary.display()))?;
        let instance = Arc::new(Instance {
            id,
            generation,
            pid: child.id().unwrap_or(0),
            current: Mutex::new(None),
            stopped: Notify::new(),
            dead: std::sync::atomic::AtomicBool::new(false),
            finishing: std::sync::atomic::AtomicBool::new(false),
        });
        lock(&self.instances).push(instance.clone());
        let prefix = format!("[{}]", self.service);
        for stream in [
            child.stdout.take().map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
            child.stderr.take().map(|s| Box::new(s) as _),
        ]
        .into_iter()
        .flatten()
        {
            let prefix = prefix.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    crate::output::errln!("{prefix} {line}");
                }
            });
        }
        let f = self.clone();
        let inst = instance.clone();
        tokio::spawn(async move {
            while !inst.is_dead() {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let _ = stream.set_nodelay(true);
                        let (f, inst) = (f.clone(), inst.clone());
                        tokio::spawn(async move {
                            let svc = service_fn(move |req| {
                                let (f, inst) = (f.clone(), inst.clone());
                                async move { Ok::<_, Infallible>(f.runtime_api(&inst, req).await) }
                            });
                            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
                        });
                    }
                    _ = inst.stopped.notified() => {}
                }
            }
        });
        let f = self.clone();
        tokio::spawn(async move {
            let status = child.wait().await;
            instance.dead.store(true, Ordering::SeqCst);
            instance.stopped.notify_waiters();
            lock(&f.instances).retain(|i| i.id != instance.id);
            f.set_finishing(&instance, false);
            f.scale();
            let current = lock(&instance.current).take();
            if let Some(inv) = current {
                let why = match status {
                    Ok(s) => format!("the function's process exited ({s}) during the invocation"),
                    Err(e) => format!("the function's process failed: {e}"),
                };
                crate::output::errln!("[{}] {} {why}", f.service, inv.request_id);
                if let Some(r) = inv.reply {
                    let _ = r.send(Err(why));
                }
            }
            f.scale();
        });
        Ok(())
    }

    /// Stops every instance of an older generation: idle ones now, busy ones when their invocation
    /// ends; the next invocations start instances of `spec`.
    pub fn replace(self: &Arc<Self>, spec: FunctionSpec) {
        {
            let mut s = lock(&self.spec);
            *s = (spec, s.1 + 1);
        }
        for i in lock(&self.instances).iter() {
            if lock(&i.current).is_none() {
                i.kill();
            }
        }
        let f = self.clone();
        tokio::spawn(async move {
            if let Err(e) = f.start_instance().await {
                crate::output::errln!("[{}] cannot start: {e}", f.service);
            }
        });
    }

    /// Whether invocations are queued or running.
    pub fn busy(&self) -> bool {
        self.queued.load(Ordering::SeqCst) > 0
            || lock(&self.instances).iter().any(|i| lock(&i.current).is_some())
    }

    /// The executable it runs and its environment.
    pub fn spec(&self) -> FunctionSpec {
        lock(&self.spec).0.clone()
    }

    /// Stops every instance.
    pub fn stop(&self) {
        for i in lock(&self.instances).iter() {
            i.kill();
        }
    }

    /// One request of an instance to its Runtime API.
    async fn runtime_api(
        self: &Arc<Self>,
        inst: &Arc<Instance>,
        req: Request<Incoming>,
    ) -> Response<Full<Bytes>> {
        let path = req.uri().path().to_string();
        let method = req.method().clone();
        let body = match req.into_body().collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => return text(StatusCode::BAD_REQUEST, "unreadable body"),
        };
        let rest = path.strip_prefix("/2018-06-01/runtime/").unwrap_or("");
        match (method.as_str(), rest.split('/').collect::<Vec<_>>().as_slice()) {
            ("GET", ["invocation", "next"]) => self.next(inst).await,
            ("POST", ["invocation", id, kind @ ("response" | "error")]) => {
                let taken = {
                    let mut current = lock(&inst.current);
                    match current.as_ref() {
                        Some(inv) if inv.request_id == *id => current.take(),
                        _ => None,
                    }
                };
                let Some(inv) = taken else {
                    return text(StatusCode::BAD_REQUEST, format!("no invocation {id} on this instance"));
                };
                let outcome = if *kind == "response" {
                    Ok(body)
                } else {
                    Err(format!("the function answered an error: {}", String::from_utf8_lossy(&body)))
                };
                if let (Err(e), None) = (&outcome, &inv.reply) {
                    crate::output::errln!("[{}] {} {e}", self.service, inv.request_id);
                }
                self.set_finishing(inst, true);
                if let Some(r) = inv.reply {
                    let _ = r.send(outcome);
                }
                if inst.generation < self.generation() {
                    inst.kill();
                }
                text(StatusCode::ACCEPTED, "")
            }
            ("POST", ["init", "error"]) => {
                crate::output::errln!(
                    "[{}] initialisation failed: {}",
                    self.service,
                    String::from_utf8_lossy(&body)
                );
                inst.kill();
                text(StatusCode::ACCEPTED, "")
            }
            _ => text(StatusCode::NOT_FOUND, "unknown Runtime API path"),
        }
    }

    /// `GET .../invocation/next`: waits for the next invocation and hands it over.
    async fn next(self: &Arc<Self>, inst: &Arc<Instance>) -> Response<Full<Bytes>> {
        if inst.generation < self.generation() {
            inst.kill();
        }
        let stopped = inst.stopped.notified();
        tokio::pin!(stopped);
        stopped.as_mut().enable();
        if inst.is_dead() {
            return text(StatusCode::GONE, "instance stopped");
        }
        self.idle.fetch_add(1, Ordering::SeqCst);
        self.set_finishing(inst, false);
        let received = tokio::select! {
            inv = async { self.rx.lock().await.recv().await } => inv,
            _ = &mut stopped => None,
        };
        self.idle.fetch_sub(1, Ordering::SeqCst);
        let Some(inv) = received else { return text(StatusCode::GONE, "instance stopped") };
        self.queued.fetch_sub(1, Ordering::SeqCst);
        if inst.is_dead() || inst.generation < self.generation() {
            // Given back for another instance.
            self.queued.fetch_add(1, Ordering::SeqCst);
            let _ = self.tx.send(inv);
            inst.kill();
            self.scale();
            return text(StatusCode::GONE, "instance stopped");
        }
        let deadline_ms =
            SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
                + self.timeout.as_millis() as u64;
        let mut r = text(StatusCode::OK, inv.payload.clone());
        let headers = [
            ("lambda-runtime-aws-request-id", inv.request_id.clone()),
            ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
            (
                "lambda-runtime-invoked-function-arn",
                format!(
                    "arn:aws:lambda:{}:{}:function:{}",
                    self.region,
                    coworks_core::artifacts::api::LOCAL_ACCOUNT,
                    self.name
                ),
            ),
            ("content-type", "application/json".to_string()),
        ];
        for (k, v) in headers {
            if let Ok(v) = hyper::header::HeaderValue::from_str(&v) {
                r.headers_mut().insert(k, v);
            }
        }
        let request_id = inv.request_id.clone();
        *lock(&inst.current) = Some(inv);
        // Lambda stops an invocation at the function's timeout.
        let (f, inst) = (self.clone(), inst.clone());
        let started = Instant::now();
        tokio::spawn(async move {
            tokio::time::sleep(f.timeout).await;
            let running = lock(&inst.current).as_ref().is_some_and(|i| i.request_id == request_id);
            if running && !inst.is_dead() {
                crate::output::errln!(
                    "[{}] {request_id} Task timed out after {:.2} seconds",
                    f.service,
                    started.elapsed().as_secs_f64()
                );
                inst.kill();
            }
        });
        r
    }
}

/// Lambda's `Invoke` API for the local functions, on `listener`: `POST
/// /2015-03-31/functions/{name}/invocations` with `X-Amz-Invocation-Type` `Event` (queued, `202`,
/// empty body; at most 1 MB), `RequestResponse` (the default: the answer, `200`) or `DryRun`
/// (`204`). Signatures are not checked (the functions sign with the credentials they are given).
pub async fn serve_invoke_api(listener: TcpListener, functions: Arc<BTreeMap<String, Arc<Function>>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let _ = stream.set_nodelay(true);
        let functions = functions.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req: Request<Incoming>| {
                let functions = functions.clone();
                async move { Ok::<_, Infallible>(invoke_api(&functions, req).await) }
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
        });
    }
}

fn aws_error(status: StatusCode, kind: &str, message: &str) -> Response<Full<Bytes>> {
    let mut r = text(status, serde_json::json!({ "Type": "User", "message": message }).to_string());
    if let Ok(v) = hyper::header::HeaderValue::from_str(kind) {
        r.headers_mut().insert("x-amzn-errortype", v);
    }
    r
}

async fn invoke_api(
    functions: &BTreeMap<String, Arc<Function>>,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let name = path
        .strip_prefix("/2015-03-31/functions/")
        .and_then(|r| r.strip_suffix("/invocations"))
        .map(|n| n.rsplit(':').find(|p| !p.is_empty() && *p != "$LATEST").unwrap_or(n).to_string());
    let (Some(name), true) = (name, req.method() == hyper::Method::POST) else {
        return aws_error(StatusCode::NOT_FOUND, "UnknownOperationException", "unknown operation");
    };
    let kind = req
        .headers()
        .get("x-amz-invocation-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("RequestResponse")
        .to_string();
    let Some(f) = functions.values().find(|f| f.name == name) else {
        return aws_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            &format!("Function not found: {name}"),
        );
    };
    let payload = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return aws_error(StatusCode::BAD_REQUEST, "InvalidRequestContentException", "unreadable body")
        }
    };
    match kind.as_str() {
        "Event" if payload.len() > MAX_EVENT_PAYLOAD => aws_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLargeException",
            "Request must be smaller than 1048576 bytes for the InvokeAsync operation",
        ),
        "Event" => {
            f.invoke_event(payload);
            text(StatusCode::ACCEPTED, "")
        }
        "DryRun" => text(StatusCode::NO_CONTENT, ""),
        _ => match f.invoke(payload, Duration::from_secs(900)).await {
            Ok(Ok(answer)) => text(StatusCode::OK, answer),
            Ok(Err(e)) => {
                let mut r = text(StatusCode::OK, serde_json::json!({ "errorMessage": e }).to_string());
                r.headers_mut()
                    .insert("x-amz-function-error", hyper::header::HeaderValue::from_static("Unhandled"));
                r
            }
            Err(()) => aws_error(StatusCode::INTERNAL_SERVER_ERROR, "ServiceException", "no answer"),
        },
    }
}
