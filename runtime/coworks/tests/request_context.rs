//! The request context, principals, answered headers and cookies, optional and multipart bodies:
//! through the local server for real (the `tenants` example as a process over HTTP), and through
//! the Lambda entry point with each of the four event shapes the runtime reads (API Gateway REST
//! 1.0 with API Gateway's `requestContext.authorizer`, HTTP API 2.0 with a Lambda authorizer's
//! `authorizer.lambda`, a function URL, an ALB target group) and the authorizer events.

mod common;

use base64::Engine;
use coworks::lambda::handle_event_in;
use coworks::router::{AsyncMode, Router};
use serde_json::{json, Value};

use common::{build_example, Server};

#[allow(dead_code)]
#[path = "../examples/tenants.rs"]
mod tenants;

const BOUNDARY: &str = "cwsBOUNDARY7";

/// A form with one field and one file.
fn form_body() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nQ3 figures\r\n")
            .as_bytes(),
    );
    b.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"q3.bin\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    b.extend_from_slice(&[0, 1, 2, 255, 13, 10, 45, 45]);
    b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    b
}

fn header_values(headers: &[(String, String)], name: &str) -> Vec<String> {
    headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone()).collect()
}

#[test]
fn locally_the_context_holds_what_authorize_returned() {
    let s = Server::start(&build_example("tenants"), &[("CWS_STAGE", "dev")]);
    let token = ("Authorization", "Bearer ann@acme");
    let r = s.send(
        "GET",
        "/whoami?verbose=true",
        &[token, ("X-Trace", "t-1"), ("Cookie", "a=1; session=abc")],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(j["principal"], "ann");
    assert_eq!(j["authorizer"], json!({ "admin": "false", "quota": "3", "tenant": "acme" }));
    assert_eq!(j["tenant"], "acme");
    assert_eq!((j["method"].as_str(), j["path"].as_str()), (Some("GET"), Some("/whoami")));
    assert_eq!(j["raw_query"], "verbose=true");
    assert!(j["request_id"].as_str().is_some_and(|id| id.starts_with("local-")), "{j}");
    assert_eq!(j["source_ip"], "127.0.0.1");
    assert_eq!(j["stage"], "dev");
    assert_eq!((&j["api_stage"], &j["lambda_function"]), (&Value::Null, &Value::Null));
    assert_eq!((j["x_trace"].as_str(), j["session"].as_str()), (Some("t-1"), Some("abc")));
    assert_eq!(j["verbose"], true);

    // Refused tokens never reach the entry; a `no_auth` entry has no principal, token or not (as
    // API Gateway runs no authorizer for it).
    assert_eq!(s.send("GET", "/whoami", &[("Authorization", "no-tenant")], b"").status, 403);
    assert_eq!(s.send("GET", "/whoami", &[], b"").status, 401);
    assert_eq!(s.send("GET", "/echo/hi", &[], b"").text(), "hi from nobody");
    assert_eq!(s.send("GET", "/echo/hi", &[token], b"").text(), "hi from nobody");

    // Any header, several cookies.
    let r = s.send("GET", "/report/7", &[token], b"");
    assert_eq!((r.status, r.text().as_str()), (200, "report 7"));
    assert_eq!(header_values(&r.headers, "content-disposition"), ["attachment; filename=\"report-7.txt\""]);
    assert_eq!(header_values(&r.headers, "cache-control"), ["private, max-age=60"]);
    assert_eq!(header_values(&r.headers, "set-cookie"), ["session=s1; HttpOnly; Path=/", "theme=dark"]);

    // An optional body: absent, given, malformed.
    assert_eq!(s.send("POST", "/note", &[token], b"").json(), json!({ "note": null }));
    let r = s.send("POST", "/note", &[token, ("Content-Type", "application/json")], br#"{"text":"hi"}"#);
    assert_eq!(r.json(), json!({ "note": "hi" }));
    let r = s.send("POST", "/note", &[token], b"{oops");
    assert_eq!((r.status, r.json()["parameter"].as_str()), (422, Some("note")));

    // A file upload.
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let r = s.send("POST", "/upload", &[token, ("Content-Type", ct.as_str())], &form_body());
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({ "title": "Q3 figures", "tenant": "acme",
                "files": [{ "field": "doc", "file": "q3.bin", "type": "application/octet-stream", "size": 8 }] })
    );
    let r = s.send("POST", "/upload", &[token, ("Content-Type", "text/plain")], b"x");
    assert_eq!((r.status, r.json()["in"].as_str()), (422, Some("body")), "{}", r.text());
}

fn lambda_context() -> lambda_runtime::Context {
    let mut c = lambda_runtime::Context::default();
    c.request_id = "lambda-req-9".into();
    c.invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:shop-dev-tenants".into();
    c.deadline = u64::MAX / 2;
    c
}

fn call(event: Value) -> Value {
    let router = Router::new(tenants::Tenants, Some("dev"), AsyncMode::Inline);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(handle_event_in(&router, event, lambda_context()))
}

/// API Gateway REST proxy event (payload 1.0), with the authorizer's answer as API Gateway hands
/// it over: `principalId` and the context's values, stringified, side by side.
fn rest_v1(
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: Value,
    body: Option<String>,
    b64: bool,
) -> Value {
    let multi: serde_json::Map<String, Value> =
        headers.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), json!([v]))).collect();
    let q = query.map(|q| {
        let (k, v) = q.split_once('=').unwrap_or((q, ""));
        (json!({ k: v }), json!({ k: [v] }))
    });
    json!({
        "resource": "/{proxy+}", "path": path, "httpMethod": method,
        "headers": headers, "multiValueHeaders": multi,
        "queryStringParameters": q.as_ref().map(|q| q.0.clone()),
        "multiValueQueryStringParameters": q.map(|q| q.1),
        "pathParameters": { "proxy": path.trim_start_matches('/') }, "stageVariables": null,
        "requestContext": {
            "accountId": "123456789012", "apiId": "1234567890",
            "authorizer": { "principalId": "gw-ann", "integrationLatency": 0, "tenant": "gw-acme", "quota": "3" },
            "domainName": "1234567890.execute-api.eu-west-1.amazonaws.com", "domainPrefix": "1234567890",
            "extendedRequestId": "SyQ2gGmbvHcF4sQ=", "httpMethod": method,
            "identity": { "sourceIp": "203.0.113.7", "userAgent": "curl/8.0" },
            "path": format!("/dev{path}"), "protocol": "HTTP/1.1", "requestId": "c6af9ac6-7b61",
            "requestTime": "09/Apr/2015:12:34:56 +0000", "requestTimeEpoch": 1428582896000u64,
            "resourceId": "abc123", "resourcePath": "/{proxy+}", "stage": "dev"
        },
        "body": body, "isBase64Encoded": b64
    })
}

/// HTTP API event (payload 2.0) behind a Lambda authorizer (its context under `authorizer.lambda`),
/// or a function URL event (no authorizer: `lambda-url` domain).
fn v2(method: &str, path: &str, query: &str, headers: Value, cookies: &[&str], url: bool) -> Value {
    let mut e = json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "cookies": cookies, "headers": headers,
        "requestContext": {
            "accountId": "123456789012", "apiId": "api-id",
            "domainName": if url { "a1b2c3.lambda-url.eu-west-1.on.aws" } else { "id.execute-api.eu-west-1.amazonaws.com" },
            "domainPrefix": "id",
            "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "agent" },
            "requestId": "id", "routeKey": "$default", "stage": "$default",
            "time": "12/Mar/2020:19:03:58 +0000", "timeEpoch": 1583348638390u64
        },
        "body": null, "isBase64Encoded": false
    });
    if !url {
        e["requestContext"]["authorizer"] =
            json!({ "lambda": { "principalId": "v2-bob", "tenant": "globex", "admin": true } });
    }
    e
}

/// ALB target group event (single-value headers).
fn alb(method: &str, path: &str, headers: Value) -> Value {
    json!({
        "requestContext": { "elb": { "targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/t/49e9d65c45c6791a" } },
        "httpMethod": method, "path": path, "queryStringParameters": {}, "headers": headers,
        "body": "", "isBase64Encoded": false
    })
}

fn body_json(answer: &Value) -> Value {
    serde_json::from_str(answer["body"].as_str().expect("a text body")).expect("JSON body")
}

#[test]
fn each_event_shape_fills_the_context() {
    let auth = "Bearer ann@acme";
    // REST 1.0: API Gateway's authorizer answer wins over the function's own check.
    let a = call(rest_v1(
        "GET",
        "/whoami",
        Some("verbose=false"),
        json!({ "Authorization": auth, "X-Trace": "r1" }),
        None,
        false,
    ));
    assert_eq!(a["statusCode"], 200, "{a}");
    let j = body_json(&a);
    assert_eq!((j["principal"].as_str(), j["tenant"].as_str()), (Some("gw-ann"), Some("gw-acme")));
    assert_eq!(
        j["authorizer"],
        json!({ "quota": "3", "tenant": "gw-acme" }),
        "principalId, integrationLatency left out"
    );
    assert_eq!(
        (j["source_ip"].as_str(), j["raw_query"].as_str()),
        (Some("203.0.113.7"), Some("verbose=false"))
    );
    assert_eq!(
        (j["request_id"].as_str(), j["stage"].as_str(), j["api_stage"].as_str()),
        (Some("lambda-req-9"), Some("dev"), Some("dev"))
    );
    assert_eq!(j["lambda_function"], "arn:aws:lambda:eu-west-1:123456789012:function:shop-dev-tenants");
    assert_eq!((j["x_trace"].as_str(), j["path"].as_str()), (Some("r1"), Some("/whoami")));

    // HTTP API 2.0: the Lambda authorizer's context (`principalId` inside it, values stringified);
    // the request's cookies come in a list of their own.
    let a = call(v2(
        "GET",
        "/whoami",
        "verbose=true",
        json!({ "authorization": auth }),
        &["session=v2s", "x=1"],
        false,
    ));
    let j = body_json(&a);
    assert_eq!((j["principal"].as_str(), j["tenant"].as_str()), (Some("v2-bob"), Some("globex")));
    assert_eq!(j["authorizer"], json!({ "admin": "true", "tenant": "globex" }));
    assert_eq!((j["source_ip"].as_str(), j["session"].as_str()), (Some("192.0.2.1"), Some("v2s")));
    assert_eq!((j["api_stage"].as_str(), j["verbose"].as_bool()), (Some("$default"), Some(true)));

    // A function URL has no authorizer: the principal is what the service's `authorize` returned.
    let a = call(v2("GET", "/whoami", "", json!({ "authorization": "admin@initech" }), &[], true));
    let j = body_json(&a);
    assert_eq!((j["principal"].as_str(), j["tenant"].as_str()), (Some("admin"), Some("initech")));
    assert_eq!(j["authorizer"], json!({ "admin": "true", "quota": "3", "tenant": "initech" }));
    assert_eq!(j["source_ip"], "192.0.2.1");

    // ALB: the client is the balancer's last `X-Forwarded-For` address.
    let a = call(alb(
        "GET",
        "/whoami",
        json!({ "authorization": auth, "x-forwarded-for": "198.51.100.1, 10.1.2.3" }),
    ));
    let j = body_json(&a);
    assert_eq!((j["principal"].as_str(), j["source_ip"].as_str()), (Some("ann"), Some("10.1.2.3")));
    assert_eq!((j["request_id"].as_str(), j["api_stage"].as_str()), (Some("lambda-req-9"), None));
}

#[test]
fn headers_cookies_and_bodies_in_each_answer_shape() {
    let auth = json!({ "Authorization": "ann@acme" });
    let a = call(rest_v1("GET", "/report/3", None, auth.clone(), None, false));
    assert_eq!(a["multiValueHeaders"]["set-cookie"], json!(["session=s1; HttpOnly; Path=/", "theme=dark"]));
    assert_eq!(
        a["multiValueHeaders"]["content-disposition"],
        json!(["attachment; filename=\"report-3.txt\""])
    );
    let a = call(v2("GET", "/report/3", "", json!({ "authorization": "ann@acme" }), &[], false));
    assert_eq!(a["cookies"], json!(["session=s1; HttpOnly; Path=/", "theme=dark"]), "{a}");
    assert!(a["headers"].get("set-cookie").is_none(), "payload 2.0 answers cookies in `cookies`: {a}");
    assert_eq!(a["headers"]["cache-control"], "private, max-age=60");
    let a = call(alb("GET", "/report/3", json!({ "authorization": "ann@acme" })));
    assert_eq!(a["headers"]["set-cookie"], "theme=dark", "one value per header without multi-value headers");

    let a = call(rest_v1("POST", "/note", None, auth.clone(), None, false));
    assert_eq!(body_json(&a), json!({ "note": null }));
    let a = call(rest_v1("POST", "/note", None, auth.clone(), Some(r#"{"text":"t"}"#.into()), false));
    assert_eq!(body_json(&a), json!({ "note": "t" }));

    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let body = base64::engine::general_purpose::STANDARD.encode(form_body());
    let a = call(rest_v1(
        "POST",
        "/upload",
        None,
        json!({ "Authorization": "ann@acme", "Content-Type": ct }),
        Some(body),
        true,
    ));
    assert_eq!(a["statusCode"], 200, "{a}");
    assert_eq!(body_json(&a)["files"][0]["size"], 8);
    assert_eq!(body_json(&a)["tenant"], "gw-acme");
}

#[test]
fn authorizer_events_carry_the_principal_and_its_context() {
    let arn = "arn:aws:execute-api:eu-west-1:123456789012:abc/dev/GET/whoami";
    let a = call(json!({ "type": "TOKEN", "authorizationToken": "Bearer admin@acme", "methodArn": arn }));
    assert_eq!(a["principalId"], "admin");
    assert_eq!(a["context"], json!({ "tenant": "acme", "admin": true, "quota": 3 }));
    assert_eq!(a["policyDocument"]["Statement"][0]["Effect"], "Allow");
    let a = call(json!({ "type": "TOKEN", "authorizationToken": "nobody", "methodArn": arn }));
    assert_eq!(
        (a["policyDocument"]["Statement"][0]["Effect"].as_str(), a.get("context")),
        (Some("Deny"), None)
    );
    let v2 = json!({ "version": "2.0", "type": "REQUEST", "routeArn": arn, "identitySource": ["ann@acme"],
                     "headers": { "authorization": "ann@acme" } });
    let a = call(v2);
    assert_eq!(
        a,
        json!({ "isAuthorized": true, "context": { "principalId": "ann", "tenant": "acme", "admin": false, "quota": 3 } })
    );
}
