//! The deployed contract, through the Lambda entry point: an asynchronous call coming through API
//! Gateway REST or HTTP API, a function URL or a load balancer is queued with Lambda's `Invoke` API
//! on the function itself (`InvocationType=Event`) and answered 202 at once; the queued invocation
//! runs the entry and writes exactly one record to S3 (moto). With CORS on, every answer carries the
//! CORS headers.
//!
//! moto's Lambda stores functions but runs them only in Docker; its Docker-less mode answers an
//! `Invoke` of type `Event` with 202 without running anything. So the runtime's signed call is
//! checked against moto's endpoint (it accepts it), and the rest of the path runs against a small
//! emulator of the `Invoke` API written from AWS's documentation (`POST
//! /2015-03-31/functions/<name>/invocations`, `X-Amz-Invocation-Type: Event` → `202`, empty body),
//! which keeps the queued payloads so the test can run them as Lambda would.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coworks::cors::Cors;
use coworks::lambda::handle_event;
use coworks::lambda_invoke::{self, SelfFunction};
use coworks::prelude::*;
use coworks::router::{AsyncMode, Router};
use coworks::s3::S3Config;
use coworks::sigv4::Credentials;
use serde_json::{json, Value};

struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_moto() -> Moto {
    let port = common::free_port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start moto_server ({e}): install it with scripts/ci-deps"));
    let moto = Moto { child, url: format!("http://127.0.0.1:{port}") };
    for _ in 0..300 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return moto;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("moto_server did not listen on 127.0.0.1:{port}");
}

/// One request the `Invoke` emulator received.
#[derive(Debug, Clone)]
struct Invocation {
    request_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Invocation {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Lambda's `Invoke` API as AWS documents it for `InvocationType=Event`: `202` with an empty body,
/// the payload queued (kept here); or always `status` (a failing Lambda).
struct InvokeApi {
    url: String,
    received: Arc<Mutex<Vec<Invocation>>>,
}

impl InvokeApi {
    fn start(status: u16) -> InvokeApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let mut headers = Vec::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':') {
                        headers.push((k.trim().to_string(), v.trim().to_string()));
                    }
                }
                let length: usize = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let event = headers
                    .iter()
                    .any(|(k, v)| k.eq_ignore_ascii_case("x-amz-invocation-type") && v == "Event");
                store.lock().expect("lock").push(Invocation {
                    request_line: request_line.trim().to_string(),
                    headers,
                    body,
                });
                let answer = match (status, event) {
                    (202, true) => "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n".to_string(),
                    (202, false) => "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".to_string(),
                    (s, _) => format!("HTTP/1.1 {s} Error\r\nContent-Length: 2\r\n\r\n{{}}"),
                };
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        InvokeApi { url, received }
    }

    fn take(&self) -> Vec<Invocation> {
        std::mem::take(&mut *self.received.lock().expect("lock"))
    }
}

struct Jobs;

#[coworks::service]
impl Jobs {
    #[entry]
    async fn post_job(&self, #[body] n: u32) -> Json<u32> {
        Json(n * 2)
    }

    #[entry]
    fn get_crash(&self) -> &'static str {
        panic!("internal detail")
    }

    #[entry]
    fn get_item(&self, id: u32) -> Json<u32> {
        Json(id)
    }

    #[entry(no_auth)]
    fn get_health(&self) -> &'static str {
        "ok"
    }
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(f)
}

/// Headers of an asynchronous call of the contract, plus `extra`.
fn async_headers(key: &str, extra: &[(&str, &str)]) -> serde_json::Map<String, Value> {
    let mut h: serde_json::Map<String, Value> = [
        ("authorization", "Bearer tok"),
        ("content-type", "application/json"),
        ("invocationtype", "Event"),
        ("x-cws-s3bucket", "results"),
        ("x-cws-s3key", key),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), json!(v)))
    .collect();
    for (k, v) in extra {
        h.insert(k.to_string(), json!(v));
    }
    h
}

/// The same call in the event shape of each origin: REST (1.0), HTTP API (2.0), function URL, ALB.
fn events(method: &str, path: &str, key: &str, body: Option<&str>) -> Vec<(&'static str, Value)> {
    let headers = Value::Object(async_headers(key, &[]));
    let multi: serde_json::Map<String, Value> =
        async_headers(key, &[]).into_iter().map(|(k, v)| (k, json!([v]))).collect();
    let ctx_v2 = |domain: &str| {
        json!({ "accountId": "123456789012", "apiId": "api", "domainName": domain, "domainPrefix": "api",
            "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "t" },
            "requestId": "id", "routeKey": "$default", "stage": "$default", "time": "12/Mar/2020:19:03:58 +0000", "timeEpoch": 1583348638390u64 })
    };
    vec![
        (
            "REST API",
            json!({
            "resource": path, "path": path, "httpMethod": method, "headers": headers, "multiValueHeaders": multi,
            "queryStringParameters": null, "multiValueQueryStringParameters": null, "pathParameters": null,
            "stageVariables": null, "body": body, "isBase64Encoded": false,
            "requestContext": { "accountId": "123456789012", "resourceId": "r", "stage": "dev", "requestId": "rq",
                "identity": { "sourceIp": "192.0.2.1" }, "resourcePath": path, "httpMethod": method, "apiId": "abc",
                "path": format!("/dev{path}") } }),
        ),
        (
            "HTTP API",
            json!({ "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
            "headers": headers, "requestContext": ctx_v2("api.execute-api.us-east-1.amazonaws.com"), "body": body, "isBase64Encoded": false }),
        ),
        (
            "function URL",
            json!({ "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
            "headers": headers, "requestContext": ctx_v2("abcdefg.lambda-url.us-east-1.on.aws"), "body": body, "isBase64Encoded": false }),
        ),
        (
            "ALB",
            json!({ "requestContext": { "elb": { "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/1" } },
            "httpMethod": method, "path": path, "queryStringParameters": {}, "headers": headers, "body": body.unwrap_or(""), "isBase64Encoded": false }),
        ),
    ]
}

fn status(answer: &Value) -> u64 {
    answer["statusCode"].as_u64().unwrap_or(0)
}

fn s3(moto: &Moto) -> S3Config {
    S3Config {
        endpoint: Some(moto.url.clone()),
        region: "us-east-1".into(),
        credentials: Some(Credentials {
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
            session_token: None,
        }),
    }
}

/// The environment of a deployed function (the variables Lambda sets and the deployment's), with
/// S3 on moto and Lambda's `Invoke` on `lambda`.
fn deployed_env(moto: &Moto, lambda: &str) {
    for (k, v) in [
        ("AWS_ENDPOINT_URL_S3", moto.url.as_str()),
        ("AWS_ENDPOINT_URL_LAMBDA", lambda),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_SESSION_TOKEN", "session"),
        ("AWS_REGION", "us-east-1"),
        ("TOKEN", "tok"),
    ] {
        std::env::set_var(k, v);
    }
}

/// One test for the whole process environment (the runtime reads the standard AWS variables).
#[test]
fn deployed_async_calls_are_queued_then_run_once_from_every_origin() {
    let moto = start_moto();
    let r = common::send(&format!("{}/results", moto.url), "PUT", &[], b"");
    assert_eq!(r.status, 200, "create bucket: {}", r.text());
    let lambda = InvokeApi::start(202);
    deployed_env(&moto, &lambda.url);
    let function = SelfFunction { name: "eshop-jobs-dev".into(), qualifier: None };
    let cors = Cors { origins: vec!["*".into()], headers: "Content-Type".into(), max_age: "600".into() };
    let router = Router::with_cors(Jobs, Some("dev"), AsyncMode::Invoke(function.clone()), Some(cors));

    for i in 0..4 {
        let key = format!("jobs/{i}.json");
        let (origin, event) = events("POST", "/job", &key, Some("21")).remove(i);
        let started = std::time::Instant::now();
        let answer = block(handle_event(&router, event, &format!("req-{i}")));
        assert_eq!(status(&answer), 202, "{origin}: {answer}");
        assert!(started.elapsed() < Duration::from_secs(2), "{origin}: answered at once");
        let allow = answer["headers"]["access-control-allow-origin"]
            .as_str()
            .or(answer["multiValueHeaders"]["access-control-allow-origin"][0].as_str());
        assert_eq!(allow, Some("*"), "{origin}: the 202 carries the CORS headers: {answer}");
        // Nothing ran yet: the call is queued, once, as an Event invocation of the function itself.
        assert!(block(s3(&moto).get_object("results", &key)).is_err(), "{origin}: no record before the run");
        let queued = lambda.take();
        assert_eq!(queued.len(), 1, "{origin}: {queued:?}");
        let q = &queued[0];
        assert_eq!(
            q.request_line, "POST /2015-03-31/functions/eshop-jobs-dev/invocations HTTP/1.1",
            "{origin}"
        );
        assert_eq!(q.header("x-amz-invocation-type"), Some("Event"));
        assert_eq!(q.header("x-amz-security-token"), Some("session"));
        let auth = q.header("authorization").unwrap_or("");
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=testing/")
                && auth.contains("/us-east-1/lambda/aws4_request"),
            "{auth}"
        );
        // Lambda runs the queued invocation: the entry runs and its record is written.
        let payload: Value = serde_json::from_slice(&q.body).expect("JSON payload");
        let done = block(handle_event(&router, payload, "async-invocation"));
        assert_eq!(done["statusCode"], 202, "{origin}: {done}");
        let record: Value =
            serde_json::from_slice(&block(s3(&moto).get_object("results", &key)).expect("record"))
                .expect("JSON");
        assert_eq!(
            (record["status"].as_u64(), &record["body"]),
            (Some(200), &json!(42)),
            "{origin}: {record}"
        );
        assert!(lambda.take().is_empty(), "{origin}: the queued run does not queue again");
    }

    // Failures are recorded too; a refused token is answered at once and queues nothing.
    let crash = events("GET", "/crash", "jobs/crash.json", None).remove(0).1;
    assert_eq!(status(&block(handle_event(&router, crash, "req-crash"))), 202);
    let payload: Value = serde_json::from_slice(&lambda.take()[0].body).expect("payload");
    block(handle_event(&router, payload, "async-invocation"));
    let record: Value =
        serde_json::from_slice(&block(s3(&moto).get_object("results", "jobs/crash.json")).expect("record"))
            .expect("JSON");
    assert_eq!(record["status"], 500);
    assert_eq!(record["body"], json!({"error": "internal error", "request_id": "req-crash"}));
    let mut denied = events("GET", "/item/1", "jobs/denied.json", None).remove(0).1;
    denied["headers"]["authorization"] = json!("Bearer nope");
    denied["multiValueHeaders"]["authorization"] = json!(["Bearer nope"]);
    assert_eq!(status(&block(handle_event(&router, denied, "req-denied"))), 403);
    assert!(lambda.take().is_empty());
    let keys = block(s3(&moto).list_keys("results")).expect("list");
    assert_eq!(keys.len(), 5, "one record per accepted call: {keys:?}");

    // Lambda refusing to queue (after the client's retries): 503, nothing recorded.
    let failing = InvokeApi::start(500);
    std::env::set_var("AWS_ENDPOINT_URL_LAMBDA", &failing.url);
    let event = events("POST", "/job", "jobs/lost.json", Some("1")).remove(1).1;
    let answer = block(handle_event(&router, event, "req-lost"));
    assert_eq!(status(&answer), 503, "{answer}");
    assert_eq!(failing.take().len(), 4, "attempts with backoff");
    assert!(block(s3(&moto).get_object("results", "jobs/lost.json")).is_err());

    // moto's Lambda endpoint (Docker-less mode) accepts the runtime's signed Event invocation.
    let r = common::send(
        &format!("{}/moto-api/config", moto.url),
        "POST",
        &[],
        br#"{"lambda": {"use_docker": false}}"#,
    );
    assert!(r.status < 300, "moto config: {}", r.text());
    std::env::set_var("AWS_ENDPOINT_URL_LAMBDA", &moto.url);
    block(lambda_invoke::queue(&function, &json!({"cws_async": {}})))
        .expect("moto accepts the Event invocation");

    // Too large to queue (Lambda's 1 MB for asynchronous invocations): 413 at once.
    std::env::set_var("AWS_ENDPOINT_URL_LAMBDA", &lambda.url);
    let big = format!("\"{}\"", "x".repeat(1024 * 1024));
    let event = events("POST", "/job", "jobs/big.json", Some(&big)).remove(1).1;
    assert_eq!(status(&block(handle_event(&router, event, "req-big"))), 413);
    assert!(lambda.take().is_empty());
}

#[test]
fn cors_headers_on_every_answer_and_preflights() {
    std::env::set_var("TOKEN", "tok");
    let cors = |origins: &[&str]| Cors {
        origins: origins.iter().map(|o| o.to_string()).collect(),
        headers: "Content-Type,Authorization".into(),
        max_age: "600".into(),
    };
    let router =
        Router::with_cors(Jobs, Some("dev"), AsyncMode::Inline, Some(cors(&["https://shop.example"])));
    let call = |router: &Router<Jobs>, method: &str, path: &str, auth: Option<&str>| {
        let mut headers = json!({ "origin": "https://shop.example", "content-type": "application/json" });
        if let Some(a) = auth {
            headers["authorization"] = json!(a);
        }
        let event = json!({ "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
            "headers": headers, "body": "x", "isBase64Encoded": false,
            "requestContext": { "accountId": "1", "apiId": "a", "domainName": "a.execute-api.us-east-1.amazonaws.com", "domainPrefix": "a",
                "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "t" },
                "requestId": "id", "routeKey": "$default", "stage": "$default", "time": "t", "timeEpoch": 0 } });
        block(handle_event(router, event, "req"))
    };
    for (method, path, auth, expected) in [
        ("GET", "/health", None, 200),
        ("GET", "/item/3", None, 401),
        ("GET", "/item/3", Some("Bearer nope"), 403),
        ("GET", "/item/x", Some("Bearer tok"), 422),
        ("GET", "/crash", Some("Bearer tok"), 500),
        ("GET", "/nowhere", None, 404),
    ] {
        let a = call(&router, method, path, auth);
        assert_eq!(status(&a), expected, "{method} {path}: {a}");
        assert_eq!(
            a["headers"]["access-control-allow-origin"], "https://shop.example",
            "{method} {path}: {a}"
        );
    }
    let pre = call(&router, "OPTIONS", "/item/3", None);
    assert_eq!(status(&pre), 204, "{pre}");
    assert_eq!(pre["headers"]["access-control-allow-methods"], "GET,OPTIONS");
    assert_eq!(pre["headers"]["access-control-allow-headers"], "Content-Type,Authorization");
    assert_eq!(pre["headers"]["access-control-max-age"], "600");
    // Several origins: the request's, when listed.
    let several = Router::with_cors(
        Jobs,
        Some("dev"),
        AsyncMode::Inline,
        Some(cors(&["https://a.example", "https://shop.example"])),
    );
    let a = call(&several, "GET", "/health", None);
    assert_eq!(
        (a["headers"]["access-control-allow-origin"].as_str(), a["headers"]["vary"].as_str()),
        (Some("https://shop.example"), Some("Origin"))
    );
    // CORS off: no header.
    let off = Router::new(Jobs, Some("dev"), AsyncMode::Inline);
    assert!(call(&off, "GET", "/health", None)["headers"].get("access-control-allow-origin").is_none());
    assert_eq!(status(&call(&off, "OPTIONS", "/item/3", None)), 405);
}
