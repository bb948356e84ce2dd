//! A service with slow entries, for the runtime's behaviour tests: asynchronous calls that outlive a
//! stop signal, synchronous entries that block their thread, and large bodies.
//!
//! `cargo run -p coworks --example jobs -- --port 8000`

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use coworks::prelude::*;

/// Slow jobs.
#[derive(Default)]
pub struct Jobs {
    /// Whether `POST /release` came (ends every `POST /block`).
    released: Mutex<bool>,
    wake: Condvar,
}

/// Slow jobs: sleeping, blocking and counting.
#[coworks::service]
impl Jobs {
    /// Waits `ms` milliseconds without holding a thread, then answers `ms`.
    #[entry]
    async fn post_sleep(&self, #[body] ms: u64) -> Json<u64> {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Json(ms)
    }

    /// Holds its thread until `POST /release`, or at most `ms` milliseconds; answers whether it was
    /// released. Says `blocking` on stderr when it starts.
    #[entry]
    fn post_block(&self, #[body] ms: u64) -> Result<Json<bool>, Error> {
        eprintln!("blocking for at most {ms} ms");
        let released = self.released.lock().map_err(|_| Error::internal("lock"))?;
        let (released, _) = self
            .wake
            .wait_timeout_while(released, Duration::from_millis(ms), |r| !*r)
            .map_err(|_| Error::internal("lock"))?;
        Ok(Json(*released))
    }

    /// Ends every `POST /block`.
    #[entry]
    async fn post_release(&self) -> Result<StatusCode, Error> {
        *self.released.lock().map_err(|_| Error::internal("lock"))? = true;
        self.wake.notify_all();
        Ok(StatusCode::NO_CONTENT)
    }

    /// How many items a (large) list holds.
    #[entry]
    fn post_count(&self, #[body] items: Vec<String>) -> Json<usize> {
        Json(items.len())
    }

    /// Liveness probe: no token needed.
    #[entry(no_auth)]
    fn get_health(&self) -> &'static str {
        "ok"
    }
}

fn main() {
    coworks::serve(Jobs::default());
}
