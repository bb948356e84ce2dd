//! The billing service written by hand, without CoWorks: a `lambda_http` handler with the same routes
//! (served by hyper locally, by `lambda_http::run` under the Lambda runtime). The benchmark
//! `benches/latency.rs` compares the CoWorks billing example against it.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
struct Invoice {
    id: u64,
    customer: String,
    amount_cents: u64,
}

#[derive(Deserialize)]
struct NewInvoice {
    customer: String,
    amount_cents: u64,
}

type State = Arc<Mutex<Vec<Invoice>>>;

fn reply(status: u16, content_type: &str, body: impl Into<Body>) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(body.into())
        .unwrap_or_else(|_| Response::new(Body::Empty))
}

fn json(status: u16, v: &impl Serialize) -> Response<Body> {
    reply(status, "application/json", serde_json::to_string(v).unwrap_or_default())
}

fn authorized(req: &Request) -> bool {
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).to_string());
    match (token, std::env::var("TOKEN")) {
        (Some(t), Ok(expected)) => !expected.is_empty() && t == expected,
        _ => false,
    }
}

/// The whole service: routing, token, parameters, answers.
fn handle(state: &State, req: Request) -> Response<Body> {
    let path = req.uri().path().to_string();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let method = req.method().as_str().to_string();
    if method == "GET" && segs == ["health"] {
        return reply(200, "text/plain; charset=utf-8", "ok");
    }
    if !authorized(&req) {
        return json(401, &serde_json::json!({"error": "missing or invalid token"}));
    }
    let Ok(mut invoices) = state.lock() else { return json(500, &serde_json::json!({"error": "internal"})) };
    match (method.as_str(), segs.as_slice()) {
        ("GET", ["invoice", id]) => match id.parse::<u64>() {
            Ok(id) => match invoices.iter().find(|i| i.id == id) {
                Some(i) => json(200, i),
                None => json(404, &serde_json::json!({"error": "no such invoice"})),
            },
            Err(_) => json(422, &serde_json::json!({"error": "id must be u64"})),
        },
        ("GET", ["invoices"]) => {
            let mut page = 0usize;
            let mut customer = None;
            for (k, v) in url_pairs(req.uri().query().unwrap_or("")) {
                match k.as_str() {
                    "page" => match v.parse() {
                        Ok(p) => page = p,
                        Err(_) => return json(422, &serde_json::json!({"error": "page must be u32"})),
                    },
                    "customer" => customer = Some(v),
                    _ => return json(422, &serde_json::json!({"error": "unknown query key"})),
                }
            }
            let list: Vec<&Invoice> = invoices
                .iter()
                .filter(|i| customer.as_ref().is_none_or(|c| &i.customer == c))
                .skip(page * 20)
                .take(20)
                .collect();
            json(200, &list)
        }
        ("POST", ["invoice"]) => match serde_json::from_slice::<NewInvoice>(req.body().as_ref()) {
            Ok(new) => {
                let invoice = Invoice {
                    id: invoices.len() as u64 + 1,
                    customer: new.customer,
                    amount_cents: new.amount_cents,
                };
                invoices.push(invoice.clone());
                json(201, &invoice)
            }
            Err(e) => json(422, &serde_json::json!({"error": e.to_string()})),
        },
        ("GET", ["invoice", "pdf", id]) => {
            reply(200, "application/pdf", format!("%PDF-1.4\n% invoice {id}\n").into_bytes())
        }
        ("DELETE", ["invoice", id]) => match id.parse::<u64>() {
            Ok(id) => {
                invoices.retain(|i| i.id != id);
                reply(204, "text/plain", Body::Empty)
            }
            Err(_) => json(422, &serde_json::json!({"error": "id must be u64"})),
        },
        ("GET", ["debug", "state"]) => reply(200, "text/plain", format!("{} invoice(s)", invoices.len())),
        _ => json(404, &serde_json::json!({"error": "no such route"})),
    }
}

fn url_pairs(q: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(q).unwrap_or_default()
}

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let state: State = Arc::default();
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        return rt.block_on(lambda_http::run(lambda_http::service_fn(move |req: Request| {
            let state = state.clone();
            async move { Ok::<_, Infallible>(handle(&state, req)) }
        })));
    }
    let port: u16 =
        std::env::args().skip_while(|a| a != "--port").nth(1).and_then(|p| p.parse().ok()).unwrap_or(8000);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        eprintln!("handwritten listening on http://{}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            let state = state.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let state = state.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                        let req = Request::from_parts(parts, Body::from(bytes.to_vec()));
                        let (parts, body) = handle(&state, req).into_parts();
                        let body = Bytes::copy_from_slice(body.as_ref());
                        Ok::<_, Infallible>(hyper::Response::from_parts(parts, Full::new(body)))
                    }
                });
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
            });
        }
    })
}
