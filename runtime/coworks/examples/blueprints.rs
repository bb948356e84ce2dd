//! A blueprint mounted by two services, for the runtime's behaviour tests: `Admin`'s entries are
//! served by `Catalog` under `/admin` and by `Orders` under `/ops/admin`, next to their own.
//!
//! `BLUEPRINT_SERVICE=orders cargo run -p coworks --example blueprints -- --port 8000`
//! (`catalog` without the variable).

use std::sync::atomic::{AtomicU64, Ordering};

use coworks::prelude::*;

/// Operations every service answers. One instance per service, built with `Default`.
#[derive(Default)]
pub struct Admin {
    pings: AtomicU64,
}

#[coworks::blueprint]
impl Admin {
    /// `GET {prefix}/status`.
    #[entry(no_auth)]
    fn get_status(&self) -> &'static str {
        "ok"
    }

    /// `POST {prefix}/ping`: how many pings this service's instance has had.
    #[entry(no_auth)]
    async fn post_ping(&self) -> Json<u64> {
        Json(self.pings.fetch_add(1, Ordering::SeqCst) + 1)
    }

    /// `GET {prefix}/echo/{word}?times=N`.
    #[entry]
    fn get_echo(&self, word: String, #[query] times: Option<usize>) -> String {
        word.repeat(times.unwrap_or(1))
    }
}

/// The catalog, with the admin entries under `/admin`.
pub struct Catalog;

#[coworks::service(blueprints(Admin = "/admin"))]
impl Catalog {
    /// `GET /items`.
    #[entry(no_auth)]
    fn get_items(&self) -> Json<Vec<&'static str>> {
        Json(vec!["pen", "ink"])
    }
}

/// The orders, with the admin entries under `/ops/admin`.
pub struct Orders;

#[coworks::service(name = "orders", blueprints(Admin = "/ops/admin"))]
impl Orders {
    /// `GET /order/{id}`.
    #[entry(no_auth)]
    fn get_order(&self, id: u64) -> String {
        format!("order {id}")
    }
}

fn main() {
    match std::env::var("BLUEPRINT_SERVICE").as_deref() {
        Ok("orders") => coworks::serve(Orders),
        _ => coworks::serve(Catalog),
    }
}
