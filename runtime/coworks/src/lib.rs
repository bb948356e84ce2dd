//! CoWorks runtime: the crate tech microservices depend on.
//!
//! ```ignore
//! use coworks::prelude::*;
//!
//! #[derive(Default)]
//! pub struct Billing;
//!
//! #[coworks::service]
//! impl Billing {
//!     #[entry]
//!     async fn get_invoice(&self, id: u64) -> Result<Json<u64>, Error> { Ok(Json(id)) }   // GET /invoice/{id}
//!     #[entry(no_auth)]
//!     fn get_health(&self) -> &'static str { "ok" }                                        // GET /health
//! }
//!
//! fn main() {
//!     coworks::serve(Billing);   // local HTTP server, or a Lambda function under the Lambda runtime
//! }
//! ```
//!
//! The macro computes routes with the core's naming rule and implements [`Service`]; [`Router`]
//! matches requests, checks tokens ([`auth`]), extracts parameters ([`extract`]) and builds responses
//! ([`response`]); [`local`] serves it over HTTP on 127.0.0.1 and [`lambda`] under the Lambda runtime;
//! [`async_call`] implements the asynchronous-call contract (results written to S3 with [`s3`];
//! queued once deployed with [`lambda_invoke`]); [`cors`] adds the CORS headers; [`aws`] is the
//! process's one AWS client.
//! See `runtime/README.md`.

use std::future::Future;
use std::pin::Pin;

pub mod async_call;
pub mod auth;
pub mod aws;
pub mod context;
pub mod cors;
pub mod extract;
pub mod headers;
pub mod hooks;
pub mod lambda;
pub mod lambda_invoke;
pub mod limits;
pub mod local;
pub mod logging;
pub mod multipart;
pub mod response;
pub mod router;
pub mod s3;
pub mod secrets;
pub mod sigv4;

pub use context::{Context, IntoPrincipal, Principal};
pub use coworks_macros::{blueprint, service};
pub use extract::Input;
pub use headers::{AnswerExt, Cookie, WithHeaders};
pub use hooks::Call;
pub use multipart::{Multipart, Part};
pub use response::{Error, IntoResponse, Json, Response};
pub use router::Router;

/// Re-exported so that services need only `coworks` (and serde for their own types).
pub use http::StatusCode;
/// The `tracing` crate the runtime logs with (see [`logging`]): `coworks::tracing::info!(...)` in
/// an entry or a hook logs a line with the request's id.
pub use tracing;

/// What a service file usually needs: `use coworks::prelude::*;`.
pub mod prelude {
    pub use crate::context::{Context, Principal};
    pub use crate::headers::{AnswerExt, Cookie, WithHeaders};
    pub use crate::hooks::Call;
    pub use crate::multipart::Multipart;
    pub use crate::response::{Error, IntoResponse, Json, Response};
    pub use crate::Service;
    pub use http::StatusCode;
    pub use serde::{Deserialize, Serialize};
}

/// A boxed future, as the generated dispatcher returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where a parameter's value comes from (mirrors the core's `ParamSource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamSource {
    /// A `{segment}` of the path.
    Path,
    /// The query string (`#[query]`).
    Query,
    /// The body (`#[body]`).
    Body,
}

/// A parameter of an entry, as the macro read it.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct ParamInfo {
    /// The Rust name.
    pub name: &'static str,
    /// The Rust type, whitespace removed.
    #[serde(rename = "type")]
    pub ty: &'static str,
    /// Where the value comes from.
    pub source: ParamSource,
}

/// One entry of the route table the macro generates (routes computed by the core's naming rule).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct EntryInfo {
    /// The Rust method name.
    pub rust_name: &'static str,
    /// `GET`, `POST`, ...
    pub method: &'static str,
    /// The path template (`/invoice/{id}`).
    pub path: &'static str,
    /// The parameters, in declaration order.
    pub params: &'static [ParamInfo],
    /// `#[entry(no_auth)]`: no token needed.
    pub no_auth: bool,
    /// The stages the entry exists in; empty: every stage.
    pub stages: &'static [&'static str],
    /// `binary_headers`: the content type of the binary response.
    pub binary_content_type: Option<&'static str>,
    /// Whether the method is `async`.
    pub is_async: bool,
}

impl EntryInfo {
    /// Whether the entry is served in `stage` (stage-only entries are off when no stage is set).
    pub fn in_stage(&self, stage: Option<&str>) -> bool {
        self.stages.is_empty() || stage.is_some_and(|s| self.stages.contains(&s))
    }
}

/// A tech microservice; implemented by `#[coworks::service]`.
pub trait Service: Send + Sync + 'static {
    /// The service name (`#[service(name = "..")]` or the type name in snake case).
    const NAME: &'static str;
    /// The route table, in source order.
    const ENTRIES: &'static [EntryInfo];

    /// Whether `token` (the `Authorization` header, without `Bearer `) may call the protected
    /// entries. Default: equal, in constant time, to the `TOKEN` environment variable; refused when
    /// `TOKEN` is unset or empty. Override it by defining `fn authorize(&self, token: &str) -> bool`
    /// in the service's `impl` block.
    fn authorize(&self, token: &str) -> bool {
        auth::env_token_matches(token)
    }

    /// Who `token` belongs to (`None`: refused): the principal and context map entries see
    /// ([`Context::principal`]) and API Gateway's authorizer answers with. Default: [`Service::authorize`]
    /// with the principal [`context::TOKEN_PRINCIPAL`]. A service's own `authorize` returning a
    /// [`Principal`] (or `Option<Principal>`, `Result<Principal, E>`) sets it.
    fn principal(&self, token: &str) -> Option<Principal> {
        IntoPrincipal::into_principal(self.authorize(token))
    }

    /// Runs entry number `entry` of [`Service::ENTRIES`] with the request's values and its `call`
    /// (whose [`Context`] an entry taking `ctx: &Context` borrows).
    fn call<'a>(&'a self, entry: usize, input: Input, call: &'a hooks::Call) -> BoxFuture<'a, Response>;

    /// Whether the service has a `before` hook ([`hooks`]); set by the macro.
    const HAS_BEFORE: bool = false;
    /// Whether the service has an `after` hook ([`hooks`]); set by the macro.
    const HAS_AFTER: bool = false;

    /// The `before` hook ([`hooks`]): `Some(answer)` answers the request without running the entry.
    /// Called only when [`Service::HAS_BEFORE`]; the macro implements it from the impl's `before`.
    fn before<'a>(&'a self, call: &'a hooks::Call) -> BoxFuture<'a, Option<Response>> {
        let _ = call;
        Box::pin(async { None })
    }

    /// The `after` hook ([`hooks`]): the answer sent instead of `response`. Called only when
    /// [`Service::HAS_AFTER`]; the macro implements it from the impl's `after`.
    fn after<'a>(&'a self, call: &'a hooks::Call, response: Response) -> BoxFuture<'a, Response> {
        let _ = call;
        Box::pin(async move { response })
    }
}

/// Runs a service: under the Lambda runtime (`AWS_LAMBDA_RUNTIME_API` set) as a Lambda function,
/// otherwise as a local HTTP server on 127.0.0.1 (`--port N` or `PORT`, default 8000; `--host`).
/// `--routes` prints the route table as JSON and exits. The stage is `CWS_STAGE`. Secrets named by
/// `CWS_SECRET_PARAMETERS` (set by `cws deploy`) are read from SSM first ([`secrets`]).
/// Exits the process with code 1 (message on stderr) when it cannot start.
pub fn serve<S: Service>(service: S) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--routes") {
        let table = serde_json::json!({ "service": S::NAME, "entries": S::ENTRIES });
        println!("{table}");
        return;
    }
    let under_lambda = std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some();
    logging::init(under_lambda);
    if let Err(e) = secrets::load_into_env() {
        // Under Lambda the failed start fails the function's initialisation: Lambda retries it
        // with a new instance instead of keeping one without its secrets.
        tracing::error!(service = S::NAME, "{e}");
        std::process::exit(1);
    }
    let result = if under_lambda {
        lambda::run(service)
    } else {
        local::Options::from_args(&args).and_then(|options| local::run(service, options))
    };
    if let Err(e) = result {
        tracing::error!(service = S::NAME, "{e}");
        std::process::exit(1);
    }
}
