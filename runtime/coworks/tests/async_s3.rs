//! The asynchronous-call contract against a real S3 API: moto on 127.0.0.1 (started as the cli's
//! tests start it, `cli/tests/support/moto.rs`; installed by `scripts/ci-deps`: `pip install
//! 'moto[server]'`). `InvocationType: Event` + `X-CWS-S3Bucket` +
//! `X-CWS-S3Key` → 202, then exactly one JSON result record at that key, also on failure; locally
//! (the example service over HTTP) and as Lambda (the event entry point in-process).

mod common;
#[path = "../../../cli/tests/support/moto.rs"]
mod moto;

use std::process::Command;
use std::time::Duration;

use common::runtime_api::{Function, Invocation};
use common::{build_bin, build_example, send, Server};
use coworks::lambda::handle_event;
use coworks::prelude::*;
use coworks::router::{AsyncMode, Router};
use coworks::s3::S3Config;
use coworks::sigv4::Credentials;
use moto::Moto;
use serde_json::{json, Value};

/// moto's variables (endpoint, test credentials) and the region the tests' S3 uses.
fn aws_vars(moto: &Moto) -> Vec<(&'static str, String)> {
    let mut vars = moto.env().to_vec();
    vars.push(("AWS_REGION", "us-east-1".into()));
    vars
}

fn create_bucket(moto: &Moto, bucket: &str) {
    let r = send(&format!("{}/{bucket}", moto.url), "PUT", &[], b"");
    assert_eq!(r.status, 200, "create bucket: {}", r.text());
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

fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(f)
}

/// The object at `bucket/key` (a signed GET), waiting (bounded) for it to appear.
fn wait_object(moto: &Moto, bucket: &str, key: &str) -> Value {
    for _ in 0..200 {
        if let Ok(bytes) = block(s3(moto).get_object(bucket, key)) {
            return serde_json::from_slice(&bytes).expect("the record is JSON");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no result record at s3://{bucket}/{key}");
}

fn keys(moto: &Moto, bucket: &str) -> Vec<String> {
    block(s3(moto).list_keys(bucket)).expect("list")
}

#[test]
fn local_service_answers_202_and_writes_one_record_per_call() {
    let moto = Moto::start();
    create_bucket(&moto, "results");
    let env = aws_vars(&moto);
    let mut vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.extend([("TOKEN", "tok"), ("CWS_STAGE", "dev")]);
    let s = Server::start(&build_bin("eshop-billing"), &vars);
    let call = |method: &str, path: &str, key: &str, body: &[u8]| {
        let headers = [
            ("Authorization", "tok"),
            ("Content-Type", "application/json"),
            ("InvocationType", "Event"),
            ("X-CWS-S3Bucket", "results"),
            ("X-CWS-S3Key", key),
        ];
        s.send(method, path, &headers, body)
    };
    let r = call("POST", "/invoice", "calls/create.json", br#"{"customer":"ann","amount_cents":5}"#);
    assert_eq!(r.status, 202, "{}", r.text());
    assert_eq!(r.json()["key"], "calls/create.json");
    let record = wait_object(&moto, "results", "calls/create.json");
    assert_eq!(record["status"], 201);
    assert_eq!(record["headers"]["content-type"], "application/json");
    assert_eq!(record["body"], json!({"id": 1, "customer": "ann", "amount_cents": 5}));

    // Failures are recorded too: an error status, a bad parameter.
    assert_eq!(call("GET", "/invoice/99", "calls/missing.json", b"").status, 202);
    let record = wait_object(&moto, "results", "calls/missing.json");
    assert_eq!((record["status"].as_u64(), &record["body"]["error"]), (Some(404), &json!("no such invoice")));
    assert_eq!(call("GET", "/invoice/abc", "calls/bad.json", b"").status, 202);
    let record = wait_object(&moto, "results", "calls/bad.json");
    assert_eq!((record["status"].as_u64(), &record["body"]["parameter"]), (Some(422), &json!("id")));
    // Binary bodies are base64 in the record.
    assert_eq!(call("GET", "/invoice/pdf/1", "calls/pdf.json", b"").status, 202);
    let record = wait_object(&moto, "results", "calls/pdf.json");
    assert_eq!(record["isBase64Encoded"], true);
    // A refused token is answered at once and writes nothing.
    let r = s.send(
        "GET",
        "/invoice/1",
        &[("InvocationType", "Event"), ("X-CWS-S3Bucket", "results"), ("X-CWS-S3Key", "calls/denied.json")],
        b"",
    );
    assert_eq!(r.status, 401);
    std::thread::sleep(Duration::from_millis(300));
    let mut found = keys(&moto, "results");
    found.sort();
    assert_eq!(found, ["calls/bad.json", "calls/create.json", "calls/missing.json", "calls/pdf.json"]);
}

/// Starts the `jobs` example with moto's S3 and `extra` variables.
fn start_jobs(moto: &Moto, extra: &[(&str, &str)]) -> Server {
    let env = aws_vars(moto);
    let mut vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.push(("TOKEN", "tok"));
    vars.extend_from_slice(extra);
    Server::start(&build_example("jobs"), &vars)
}

/// An asynchronous call of the `jobs` example; returns the status.
fn call_async(s: &Server, path: &str, bucket: &str, key: &str, body: &str) -> u16 {
    let headers = [
        ("Authorization", "tok"),
        ("Content-Type", "application/json"),
        ("InvocationType", "Event"),
        ("X-CWS-S3Bucket", bucket),
        ("X-CWS-S3Key", key),
    ];
    s.send("POST", path, &headers, body.as_bytes()).status
}

#[test]
fn a_stopping_service_finishes_or_records_every_accepted_call() {
    let moto = Moto::start();
    create_bucket(&moto, "drain");
    let mut s = start_jobs(&moto, &[("CWS_DRAIN_TIMEOUT", "4")]);
    assert_eq!(call_async(&s, "/sleep", "drain", "calls/short.json", "1500"), 202);
    assert_eq!(call_async(&s, "/sleep", "drain", "calls/endless.json", "600000"), 202);
    let addr = s.addr();
    s.signal("TERM");
    let mut seen = Vec::new();
    let line = s.wait_log("stopping", &mut seen);
    assert!(line.contains("2 asynchronous call(s)"), "{line}");
    assert!(std::net::TcpStream::connect(&addr).is_err(), "a stopping service accepts no new connection");
    assert!(s.wait_exit().success());
    // The call that finishes within the drain timeout is recorded with its answer...
    let record = wait_object(&moto, "drain", "calls/short.json");
    assert_eq!((record["status"].as_u64(), &record["body"]), (Some(200), &json!(1500)));
    // ...and the one that does not is recorded as not finished.
    let record = wait_object(&moto, "drain", "calls/endless.json");
    assert_eq!(record["status"], 503, "{record}");
    let error = record["body"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("did not finish") && error.contains("drain timeout"), "{record}");
    assert!(record["body"]["request_id"].as_str().is_some_and(|id| id.starts_with("local-")), "{record}");
    let mut found = keys(&moto, "drain");
    found.sort();
    assert_eq!(found, ["calls/endless.json", "calls/short.json"]);
    seen.extend(s.log_lines());
    assert!(seen.iter().any(|l| l.contains("1 asynchronous call(s) recorded as not finished")), "{seen:#?}");
}

#[test]
fn ctrl_c_lets_a_blocking_entry_finish_and_records_it() {
    let moto = Moto::start();
    create_bucket(&moto, "drain-int");
    let mut s = start_jobs(&moto, &[]);
    assert_eq!(call_async(&s, "/block", "drain-int", "calls/block.json", "1500"), 202);
    let mut seen = Vec::new();
    s.wait_log("blocking for at most 1500 ms", &mut seen);
    s.signal("INT");
    assert!(s.wait_exit().success());
    let record = wait_object(&moto, "drain-int", "calls/block.json");
    assert_eq!((record["status"].as_u64(), &record["body"]), (Some(200), &json!(false)));
}

/// As Lambda, an asynchronous call whose entry outlives the invocation's time is recorded as not
/// finished before the deadline (a function past its timeout is stopped by Lambda, recording nothing).
/// The invocation is the one a deployed function queues for itself (`{"cws_async": ...}`).
#[test]
fn lambda_records_an_entry_still_running_at_the_deadline_as_not_finished() {
    let moto = Moto::start();
    create_bucket(&moto, "lambda-deadline");
    let env = aws_vars(&moto);
    let mut vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.push(("TOKEN", "tok"));
    // Deployed, the call arrives as the invocation the function queued for itself with Lambda's
    // Invoke (`crate::lambda_invoke`): that invocation runs the entry, within its own deadline.
    let event = json!({ "cws_async": {
        "method": "POST", "path": "/sleep", "query": null,
        "headers": { "authorization": ["Bearer tok"], "content-type": ["application/json"], "invocationtype": ["Event"],
                     "x-cws-s3bucket": ["lambda-deadline"], "x-cws-s3key": ["calls/slow.json"] },
        "body": "NjAwMDAw", "request_id": "req-0"
    }});
    let invocation = Invocation { event: event.to_string().into_bytes(), timeout: Duration::from_secs(4) };
    let f = Function::start(&build_example("jobs"), &vars, vec![invocation]);
    let posted = f.next_posted();
    let answer: Value = serde_json::from_slice(&posted.body).expect("JSON answer");
    assert_eq!((posted.kind.as_str(), answer["statusCode"].as_u64()), ("response", Some(202)), "{answer}");
    let record = wait_object(&moto, "lambda-deadline", "calls/slow.json");
    assert_eq!(record["status"], 503, "{record}");
    assert!(record["body"]["error"].as_str().is_some_and(|e| e.contains("time ran out")), "{record}");
    assert_eq!(record["body"]["request_id"], "req-0");
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
}

#[test]
fn lambda_runs_the_entry_then_answers_202_with_the_record_written() {
    let moto = Moto::start();
    create_bucket(&moto, "lambda-results");
    for (k, v) in aws_vars(&moto) {
        std::env::set_var(k, v);
    }
    std::env::set_var("TOKEN", "tok");
    let router = Router::new(Jobs, None, AsyncMode::Inline);
    let event = |method: &str, path: &str, key: &str, body: Option<&str>| {
        json!({
            "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
            "headers": { "authorization": "Bearer tok", "content-type": "application/json",
                         "invocationtype": "Event", "x-cws-s3bucket": "lambda-results", "x-cws-s3key": key },
            "requestContext": { "accountId": "123456789012", "apiId": "api", "domainName": "api.execute-api.us-east-1.amazonaws.com",
                "domainPrefix": "api", "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "t" },
                "requestId": "id", "routeKey": "$default", "stage": "$default", "time": "12/Mar/2020:19:03:58 +0000", "timeEpoch": 1583348638390u64 },
            "body": body, "isBase64Encoded": false
        })
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let a =
        rt.block_on(handle_event(&router, event("POST", "/job", "jobs/1.json", Some("21")), "lambda-req-1"));
    assert_eq!(a["statusCode"], 202);
    let get = |key: &str| {
        let bytes =
            rt.block_on(s3(&moto).get_object("lambda-results", key)).expect("record written before the 202");
        serde_json::from_slice::<Value>(&bytes).expect("JSON record")
    };
    let record = get("jobs/1.json");
    assert_eq!((record["status"].as_u64(), &record["body"]), (Some(200), &json!(42)));
    let a = rt.block_on(handle_event(&router, event("GET", "/crash", "jobs/2.json", None), "lambda-req-2"));
    assert_eq!(a["statusCode"], 202);
    let record = get("jobs/2.json");
    assert_eq!(record["status"], 500);
    assert_eq!(record["body"], json!({"error": "internal error", "request_id": "lambda-req-2"}));
    assert_eq!(keys(&moto, "lambda-results").len(), 2);
}

/// Secrets deployed by `cws deploy` (SSM SecureString parameters named in `CWS_SECRET_PARAMETERS`)
/// are read at start: the deployed TOKEN protects the entries.
#[test]
fn deployed_secrets_are_read_from_ssm_at_start() {
    let moto = Moto::start();
    let endpoint = moto.url.clone();
    for (k, v) in [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
    ] {
        std::env::set_var(k, v);
    }
    let put = json!({ "Name": "/eshop/prod/billing/TOKEN", "Value": "prod-secret", "Type": "SecureString" });
    block(coworks::secrets::ssm_call("AmazonSSM.PutParameter", &put)).expect("PutParameter");
    assert_eq!(
        block(coworks::secrets::get_parameter("/eshop/prod/billing/TOKEN")).expect("read"),
        "prod-secret"
    );
    let vars = [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("CWS_STAGE", "prod"),
        ("CWS_SECRET_PARAMETERS", "TOKEN=/eshop/prod/billing/TOKEN"),
    ];
    let billing = build_bin("eshop-billing");
    let s = Server::start(&billing, &vars);
    assert_eq!(s.send("GET", "/invoices", &[("Authorization", "Bearer prod-secret")], b"").status, 200);
    assert_eq!(s.send("GET", "/invoices", &[("Authorization", "Bearer nope")], b"").status, 403);
    std::thread::sleep(Duration::from_millis(100));
    let log = s.log_lines().join("\n");
    assert!(!log.contains("prod-secret"), "{log}");
    // A secret that cannot be read (after the client's retries) fails the start, naming it: under
    // Lambda the initialisation fails and the next call gets a new instance, instead of an instance
    // refusing every protected call for its whole life.
    let mut missing = vars;
    missing[5] =
        ("CWS_SECRET_PARAMETERS", "TOKEN=/eshop/prod/billing/TOKEN,MISSING=/eshop/prod/billing/NOPE");
    let mut cmd = Command::new(&billing);
    cmd.args(["--port", "0"]).env_remove("TOKEN").env_remove("PORT");
    for (k, v) in missing {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("secret MISSING (SSM parameter /eshop/prod/billing/NOPE) not read"), "{stderr}");
    assert!(!stderr.contains("listening on") && !stderr.contains("prod-secret"), "{stderr}");
}
