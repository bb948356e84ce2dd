//! A service with `before` and `after` hooks, for the runtime's behaviour tests: the order they
//! run in, a `before` that answers (or fails) instead of the entry, an `after` that decorates or
//! replaces the answer, and log lines from an entry.
//!
//! The test drives it with the `x-hook` request header: `cached` (`before` answers), `closed`
//! (`before` refuses with 503), `reject` (`before` refuses with 403), `panic` (`before` panics),
//! `replace` (`after` fails with 409). Every answer carries `x-order`, the steps that ran.
//!
//! `cargo run -p coworks --example hooks -- --port 8000`

use std::sync::Mutex;

use coworks::prelude::*;

/// Records the steps of the request being answered.
#[derive(Default)]
pub struct Hooked {
    steps: Mutex<Vec<&'static str>>,
}

impl Hooked {
    fn step(&self, step: &'static str) {
        if let Ok(mut steps) = self.steps.lock() {
            steps.push(step);
        }
    }
}

/// Hooks around two entries.
#[coworks::service]
impl Hooked {
    /// Runs before every entry; answers itself when the `x-hook` header asks for it.
    async fn before(&self, call: &Call) -> Result<Option<&'static str>, Error> {
        self.step("before");
        match call.headers().get("x-hook").and_then(|v| v.to_str().ok()) {
            Some("cached") => Ok(Some("from before")),
            Some("closed") => Err(Error::new(StatusCode::SERVICE_UNAVAILABLE, "closed for maintenance")),
            Some("reject") => Err(Error::forbidden("rejected by the before hook")),
            Some("panic") => panic!("the before hook panicked"),
            _ => Ok(None),
        }
    }

    /// Runs after every entry: says which steps ran, and how long the call took.
    fn after(&self, call: &Call, mut answer: Response) -> Result<Response, Error> {
        self.step("after");
        let steps = self.steps.lock().map(|mut s| std::mem::take(&mut *s).join(",")).unwrap_or_default();
        if call.headers().get("x-hook").is_some_and(|v| v == "replace") {
            return Err(Error::conflict(format!("replaced by the after hook ({steps})")));
        }
        let headers = answer.headers_mut();
        headers.insert("x-order", steps.parse().map_err(|_| Error::internal("header"))?);
        headers.insert("x-entry", call.entry.rust_name.parse().map_err(|_| Error::internal("header"))?);
        headers.insert("x-took-us", (call.elapsed().as_micros() as u64).into());
        Ok(answer)
    }

    /// Says hello; logs a line at each level the tests filter on.
    #[entry(no_auth)]
    fn get_hello(&self, #[query] name: Option<String>) -> String {
        self.step("entry");
        let name = name.unwrap_or_else(|| "world".into());
        coworks::tracing::info!(name, "hello entry ran");
        coworks::tracing::warn!("hello entry warns");
        format!("hello {name}")
    }

    /// Fails like an entry does: a 500 hidden behind the request id.
    #[entry(no_auth)]
    async fn get_broken(&self) -> Result<String, Error> {
        self.step("entry");
        Err(Error::internal("the broken entry failed"))
    }
}

fn main() {
    coworks::serve(Hooked::default());
}
