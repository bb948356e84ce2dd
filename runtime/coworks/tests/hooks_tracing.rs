//! Hooks and logs of a real service process (`examples/hooks.rs`): `before`, the entry and `after`
//! in order, a `before` that answers or fails instead of the entry, an `after` that replaces the
//! answer, errors and panics of hooks answered like an entry's; readable log lines locally with the
//! request's id and the level from `RUST_LOG`; JSON lines under a Lambda Runtime API
//! (`common::runtime_api`) carrying the request id and X-Ray trace id, the level from
//! `AWS_LAMBDA_LOG_LEVEL`.

mod common;

use std::time::{Duration, Instant};

use common::runtime_api::{http_api_event, trace_id, Function, Invocation};
use common::{build_example, Reply, Server};
use serde_json::Value;

fn header<'r>(r: &'r Reply, name: &str) -> Option<&'r str> {
    r.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn hook(s: &Server, path: &str, how: Option<&str>) -> Reply {
    let headers: Vec<(&str, &str)> = how.map(|h| ("x-hook", h)).into_iter().collect();
    s.send("GET", path, &headers, b"")
}

#[test]
fn hooks_run_in_order_and_answer_like_entries() {
    let s = Server::start(&build_example("hooks"), &[]);

    let r = hook(&s, "/hello?name=ann", None);
    assert_eq!((r.status, r.text().as_str()), (200, "hello ann"));
    assert_eq!(header(&r, "x-order"), Some("before,entry,after"));
    assert_eq!(header(&r, "x-entry"), Some("get_hello"));
    assert!(header(&r, "x-took-us").is_some_and(|t| t.parse::<u64>().is_ok()), "{r:?}");

    // `before` answers: the entry does not run, `after` still decorates the answer.
    let r = hook(&s, "/hello", Some("cached"));
    assert_eq!((r.status, r.text().as_str()), (200, "from before"));
    assert_eq!(header(&r, "x-order"), Some("before,after"));

    // A 4xx error of `before` is answered as an entry's: `{"error": message}`.
    let r = hook(&s, "/hello", Some("reject"));
    assert_eq!(r.status, 403);
    assert_eq!(r.json(), serde_json::json!({ "error": "rejected by the before hook" }));
    assert_eq!(header(&r, "x-order"), Some("before,after"));

    // A 5xx of `before`, a panic of `before` and a 5xx of the entry: the message is hidden behind
    // the request id, as for an entry; `after` sees (and decorates) the hidden answer.
    for (path, how, status, order) in [
        ("/hello", Some("closed"), 503, "before,after"),
        ("/hello", Some("panic"), 500, "before,after"),
        ("/broken", None, 500, "before,entry,after"),
    ] {
        let r = hook(&s, path, how);
        assert_eq!(r.status, status, "{how:?}: {}", r.text());
        let body = r.json();
        assert_eq!(body["error"], "internal error", "{body}");
        assert!(body["request_id"].as_str().is_some_and(|id| id.starts_with("local-")), "{body}");
        assert!(!r.text().contains("maintenance") && !r.text().contains("failed"), "{body}");
        assert_eq!(header(&r, "x-order"), Some(order), "{how:?}");
    }

    // `after` replaces the answer with its error.
    let r = hook(&s, "/hello", Some("replace"));
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["error"], "replaced by the after hook (before,entry,after)");

    // What the router answers itself runs no hook.
    let r = hook(&s, "/nowhere", None);
    assert_eq!((r.status, header(&r, "x-order")), (404, None));
    let r = s.send("POST", "/hello", &[], b"");
    assert_eq!((r.status, header(&r, "x-order")), (405, None));
}

/// Log lines of the local service until its `answered` line for `path` (bounded wait).
fn lines_until_answered(s: &Server, path: &str, seen: &mut Vec<String>) -> String {
    s.wait_log(&format!("path=\"{path}\""), seen)
}

#[test]
fn local_logs_are_readable_lines_with_the_request_id_at_the_level_of_rust_log() {
    let s = Server::start(&build_example("hooks"), &[]);
    let r = hook(&s, "/hello?name=bo", None);
    assert_eq!(r.status, 200);
    let mut seen = Vec::new();
    let answered = lines_until_answered(&s, "/hello", &mut seen);
    assert!(!answered.starts_with('{'), "readable, not JSON: {answered}");
    for needle in [" INFO ", "request{id=local-", "answered", "method=GET", "status=200", "ms="] {
        assert!(answered.contains(needle), "`{needle}` in {answered}");
    }
    let id = answered.split("request{id=").nth(1).and_then(|s| s.split('}').next()).expect("request id");
    let entry = seen.iter().find(|l| l.contains("hello entry ran")).expect("the entry's line");
    assert!(entry.contains(&format!("request{{id={id}}}")) && entry.contains("name=\"bo\""), "{entry}");
    let r = hook(&s, "/broken", None);
    let error = s.wait_log("the broken entry failed", &mut seen);
    assert!(
        error.contains("ERROR")
            && error.contains(&r.json()["request_id"].as_str().unwrap_or("?").to_string())
    );
    drop(s);

    let s = Server::start(&build_example("hooks"), &[("RUST_LOG", "warn")]);
    assert_eq!(hook(&s, "/hello", None).status, 200);
    let mut seen = Vec::new();
    let warned = s.wait_log("hello entry warns", &mut seen);
    assert!(warned.contains("WARN") && warned.contains("request{id=local-"), "the span stays on: {warned}");
    // The marker request: its warning line comes after every line of the first request.
    assert_eq!(hook(&s, "/hello?name=marker", None).status, 200);
    s.wait_log("hello entry warns", &mut seen);
    assert!(
        !seen.iter().any(|l| l.contains("hello entry ran") || l.contains("answered")),
        "INFO lines under RUST_LOG=warn: {seen:?}"
    );
}

/// An HTTP API event for `GET path` with the `x-hook` header `how` (none when `None`).
fn event(path: &str, query: &str, how: Option<&str>) -> Invocation {
    let mut e: Value = serde_json::from_slice(&http_api_event("GET", path, "", "")).expect("event");
    e["rawQueryString"] = query.into();
    if let Some(how) = how {
        e["headers"]["x-hook"] = how.into();
    }
    Invocation { event: serde_json::to_vec(&e).expect("event"), timeout: Duration::from_secs(30) }
}

/// The function's JSON log lines until one contains `needle` (bounded wait).
fn json_lines_until(f: &Function, needle: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut out = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Ok(line) = f.stdout.recv_timeout(left) else { break };
        let value: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        let done = line.contains(needle);
        out.push(value);
        if done {
            return out;
        }
    }
    panic!("no log line with `{needle}` within 60 s; seen: {out:?}");
}

#[test]
fn lambda_logs_are_json_lines_with_the_request_id_and_trace_id() {
    // The runtime's request line is DEBUG; the libraries' own DEBUG lines stay out.
    let env = [("AWS_LAMBDA_LOG_FORMAT", "JSON"), ("RUST_LOG", "info,coworks=debug")];
    let invocations = vec![event("/hello", "name=cy", None), event("/hello", "", Some("closed"))];
    let f = Function::start(&build_example("hooks"), &env, invocations);
    let first: Value = serde_json::from_slice(&f.next_posted().body).expect("answer");
    assert_eq!((first["statusCode"].as_u64(), first["body"].as_str()), (Some(200), Some("hello cy")));
    assert_eq!(first["headers"]["x-order"], "before,entry,after", "{first}");
    let second: Value = serde_json::from_slice(&f.next_posted().body).expect("answer");
    assert_eq!(second["statusCode"], 503, "{second}");

    let lines = json_lines_until(&f, "closed for maintenance");
    let of = |n: usize, needle: &str| -> &Value {
        lines
            .iter()
            .find(|l| l["span"]["requestId"] == format!("req-{n}") && l.to_string().contains(needle))
            .unwrap_or_else(|| panic!("no line of req-{n} with `{needle}`: {lines:?}"))
    };
    let entry = of(0, "hello entry ran");
    assert_eq!(entry["level"], "INFO");
    assert_eq!(entry["fields"]["message"], "hello entry ran");
    assert_eq!(entry["fields"]["name"], "cy");
    assert_eq!(entry["span"]["xrayTraceId"], trace_id(0));
    let answered = of(0, "answered");
    assert_eq!(answered["level"], "DEBUG", "the request line is DEBUG under Lambda: {answered}");
    assert_eq!(
        (answered["fields"]["status"].as_u64(), answered["fields"]["path"].as_str()),
        (Some(200), Some("/hello"))
    );
    let error = of(1, "closed for maintenance");
    assert_eq!(
        (error["level"].as_str(), error["span"]["xrayTraceId"].as_str()),
        (Some("ERROR"), Some(trace_id(1).as_str()))
    );
    for line in &lines {
        assert!(
            line["span"]["requestId"].is_string(),
            "every line of an invocation has its request id: {line}"
        );
    }
}

#[test]
fn lambda_log_level_filters_lines() {
    let env = [("AWS_LAMBDA_LOG_FORMAT", "JSON"), ("AWS_LAMBDA_LOG_LEVEL", "WARN")];
    let invocations = vec![event("/hello", "", None), event("/hello", "", None)];
    let f = Function::start(&build_example("hooks"), &env, invocations);
    for _ in 0..2 {
        assert_eq!(
            serde_json::from_slice::<Value>(&f.next_posted().body).expect("answer")["statusCode"],
            200
        );
    }
    let mut lines = json_lines_until(&f, "hello entry warns");
    let warned = lines.last().expect("a line").clone();
    assert_eq!(
        (warned["level"].as_str(), warned["span"]["requestId"].as_str()),
        (Some("WARN"), Some("req-0"))
    );
    // The second invocation's warning comes after every line of the first.
    lines.extend(json_lines_until(&f, "hello entry warns"));
    assert!(lines.iter().all(|l| l["level"] == "WARN"), "only WARN lines under WARN: {lines:?}");
}
