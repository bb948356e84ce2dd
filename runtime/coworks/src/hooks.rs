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
