//! Hooks: `before` and `after` methods of a service's `impl` block, run around every entry.
//!
//! ```ignore
//! #[coworks::service]
//! impl Billing {
//!     /// Runs before every entry: `Ok(())` goes on to the entry; an error (or `Some(answer)`) is
//!     /// the answer and the entry does not run.
//!     fn before(&self, call: &Call) -> Result<(), Error> {
//!         if call.headers().contains_key("x-maintenance") { return Err(Error::new(StatusCode::SERVICE_UNAVAILABLE, "maintenance")); }
//!         Ok(())
//!     }
//!     /// Runs after every entry (and after a `before` that answered): may change the answer.
//!     async fn after(&self, call: &Call, mut answer: Response) -> Response {
//!         answer.headers_mut().insert("x-took-us", (call.elapsed().as_micros() as u64).into());
//!         answer
//!     }
//!     #[entry] fn get_health(&self) -> &'static str { "ok" }
//! }
//! ```
//!
//! The macro recognises the two methods by name (the core's rule: [`coworks_core::rust_source::hooks`]);
//! they are not routes. Each may be `async` or not. `before(&self, call: &Call)` returns `()`,
//! `Option<impl IntoResponse>` (`Some` answers at once) or `Result<_, impl IntoResponse>` of
//! either (an `Err` answers at once). `after(&self, call: &Call, answer: Response)` returns anything
//! that is [`IntoResponse`] (`Response`, `Result<Response, Error>`, ...).
//!
//! Hooks run for requests that reach an entry: after routing, the token check and the query check
//! (a `404`, `405`, `401` or `403` the router answers runs no hook), for synchronous and
//! asynchronous calls alike (an asynchronous call's hooks run when its entry runs; the answer
//! `after` returns is what the call's record holds). A hook's answer is treated like an entry's:
//! a panic or a `5xx` becomes `500 {"error": "internal error", "request_id"}`, which `after` then
//! sees (and may decorate); CORS headers are added after `after`.
//!
//! A [`Call`] carries the request's [`Context`] (and dereferences to it: `call.headers()`,
//! `call.path()`, `call.request_id()`, `call.principal()`, ...): the one value the router builds per
//! request, which the hooks and an entry taking `ctx: &Context` share.

use std::ops::Deref;
use std::time::{Duration, Instant};

use http::header::{HeaderName, HeaderValue};

use crate::context::Context;
use crate::response::{IntoResponse, Response};
use crate::EntryInfo;

/// The request a hook sees: the entry it reached, when, and its [`Context`] (method, path, query,
/// headers, request id, principal, ...), which the `Call` dereferences to.
#[derive(Debug)]
#[non_exhaustive]
pub struct Call {
    /// The entry the request reached.
    pub entry: &'static EntryInfo,
    /// When the router received the request.
    pub started: Instant,
    /// Index of the entry in `Service::ENTRIES`.
    pub(crate) index: usize,
    context: Context,
}

impl Call {
    /// A call of entry number `index` of `entries` with the request's `context` (the router builds
    /// them; public for tests).
    pub fn new(entries: &'static [EntryInfo], index: usize, context: Context, started: Instant) -> Call {
        Call { entry: &entries[index], started, index, context }
    }

    /// The request context (what an entry taking `ctx: &Context` sees).
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// Time since the router received the request.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// A `Server-Timing` header value for the call so far (the W3C Server Timing format browsers'
    /// developer tools show): `metric;dur=<milliseconds, three decimals>`, e.g. `app;dur=0.125`.
    /// Characters of `metric` other than a header token's are written `_`. Written with integer
    /// arithmetic (a float formatted with `{:.3}` costs a request more than the routing does).
    ///
    /// ```
    /// use coworks::hooks::{Call, SERVER_TIMING};
    /// use coworks::Response;
    ///
    /// // The body of a service's `fn after(&self, call: &Call, answer: Response) -> Response`.
    /// fn after(call: &Call, mut answer: Response) -> Response {
    ///     answer.headers_mut().insert(SERVER_TIMING, call.server_timing("app"));
    ///     answer
    /// }
    /// ```
    pub fn server_timing(&self, metric: &str) -> HeaderValue {
        server_timing(metric, self.elapsed())
    }
}

/// The `Server-Timing` header's name (see [`Call::server_timing`]).
pub const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

/// `metric;dur=<ms>.<µs>` (see [`Call::server_timing`]).
fn server_timing(metric: &str, elapsed: Duration) -> HeaderValue {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    let micros = elapsed.as_micros();
    let (mut whole, mut fraction) = (itoa::Buffer::new(), itoa::Buffer::new());
    let (whole, fraction) = (whole.format(micros / 1000), fraction.format(micros % 1000 + 1000));
    let mut text = Vec::with_capacity(metric.len() + whole.len() + 9);
    text.extend(metric.bytes().map(|b| if token(b) { b } else { b'_' }));
    text.extend_from_slice(b";dur=");
    text.extend_from_slice(whole.as_bytes());
    text.push(b'.');
    // `fraction` is 1000 + the microseconds: its last three digits, zero-padded.
    text.extend_from_slice(&fraction.as_bytes()[1..]);
    // Token characters, digits and `;=.`: always a valid header value.
    HeaderValue::from_maybe_shared(bytes::Bytes::from(text)).unwrap_or_else(|_| HeaderValue::from_static("_"))
}

impl Deref for Call {
    type Target = Context;

    fn deref(&self) -> &Context {
        &self.context
    }
}

/// What a `before` hook may return: whether it answers the request itself.
pub trait BeforeOutcome {
    /// `Some(answer)`: the request is answered with it and the entry does not run.
    fn into_outcome(self) -> Option<Response>;
}

impl BeforeOutcome for () {
    fn into_outcome(self) -> Option<Response> {
        None
    }
}

impl<R: IntoResponse> BeforeOutcome for Option<R> {
    fn into_outcome(self) -> Option<Response> {
        self.map(IntoResponse::into_response)
    }
}

impl<T: BeforeOutcome, E: IntoResponse> BeforeOutcome for Result<T, E> {
    fn into_outcome(self) -> Option<Response> {
        match self {
            Ok(t) => t.into_outcome(),
            Err(e) => Some(e.into_response()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::Error;
    use http::StatusCode;

    #[test]
    fn server_timing_is_milliseconds_with_three_decimals() {
        let value =
            |m: &str, d: Duration| server_timing(m, d).to_str().map(str::to_string).unwrap_or_default();
        assert_eq!(value("app", Duration::ZERO), "app;dur=0.000");
        assert_eq!(value("app", Duration::from_nanos(125_999)), "app;dur=0.125");
        assert_eq!(value("db", Duration::from_micros(1_005)), "db;dur=1.005");
        assert_eq!(value("app", Duration::from_micros(12_345_678)), "app;dur=12345.678");
        assert_eq!(value("a b;c\n\u{e9}", Duration::from_millis(2)), "a_b_c___;dur=2.000");
        // What `format!("{:.3}")` of the milliseconds gives, for whole microseconds.
        for micros in [0u64, 1, 9, 10, 99, 100, 999, 1_000, 1_001, 123_456, 9_999_999] {
            let d = Duration::from_micros(micros);
            assert_eq!(value("x", d), format!("x;dur={:.3}", micros as f64 / 1000.0), "{micros} µs");
        }
    }

    #[test]
    fn before_outcomes() {
        assert!(().into_outcome().is_none());
        assert!(None::<&str>.into_outcome().is_none());
        assert_eq!(
            Some(StatusCode::IM_A_TEAPOT).into_outcome().map(|r| r.status()),
            Some(StatusCode::IM_A_TEAPOT)
        );
        let denied: Result<(), Error> = Err(Error::forbidden("no"));
        assert_eq!(denied.into_outcome().map(|r| r.status()), Some(StatusCode::FORBIDDEN));
        let passed: Result<Option<&str>, Error> = Ok(None);
        assert!(passed.into_outcome().is_none());
        let answered: Result<Option<&str>, Error> = Ok(Some("cached"));
        assert_eq!(answered.into_outcome().map(|r| r.body().clone()), Some(bytes::Bytes::from("cached")));
    }
}
