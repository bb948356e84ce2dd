//! A service behind an HTTP API (`api: http`), under a local Lambda Runtime API
//! (`common::runtime_api`): the `jobs` example runs as a Lambda function in its own process with the
//! environment the core generates for a service of an HTTP API stage (the deployment fixture's
//! `http` stage: `CWS_AUTHORIZER_RESPONSE=simple`, `CWS_BASE_PATH` of its domain mapping), and
//! answers API Gateway's payload 2.0 events — through the execute-api URL (the stage's segment in
//! the path) and through the custom domain (the base path in the path) — and the REQUEST
//! authorizer's 2.0 events with simple responses. The same authorizer event is answered with an IAM
//! policy when the deployment says `policy` (an authorizer without simple responses).

mod common;

use std::time::Duration;

use common::runtime_api::{Function, Invocation};
use coworks_core::artifacts::api::stage_api;
use coworks_core::contract::{AUTHORIZER_RESPONSE_ENV, BASE_PATH_ENV};
use coworks_core::Project;
use serde_json::{json, Value};

/// The environment the core gives the deployment fixture's `greeter` in its `http` stage.
fn http_stage_environment() -> Vec<(String, String)> {
    let project =
        Project::load(common::repo_root().join("core/tests/fixtures/deploy_project")).expect("fixture");
    let api = stage_api(&project, "http", &Default::default());
    let greeter = api.services.iter().find(|s| s.service == "greeter").expect("greeter");
    greeter.environment.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// An HTTP API (payload 2.0) event of stage `dev`: `method` `raw_path` (as API Gateway gives it,
/// with the stage's segment or the domain's base path) with `headers` and a JSON `body`.
fn event(method: &str, raw_path: &str, headers: Value, body: Option<&str>) -> Vec<u8> {
    let event = json!({
        "version": "2.0", "routeKey": format!("{method} /count"), "rawPath": raw_path, "rawQueryString": "",
        "headers": headers,
        "requestContext": { "accountId": "123456789012", "apiId": "api", "domainName": "api.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "api", "http": { "method": method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "t" },
            "requestId": "id", "routeKey": format!("{method} /count"), "stage": "dev", "time": "12/Mar/2020:19:03:58 +0000", "timeEpoch": 1583348638390u64 },
        "body": body, "isBase64Encoded": false
    });
    serde_json::to_vec(&event).expect("event")
}

/// An HTTP API REQUEST authorizer event (payload 2.0), as AWS documents it, with the
/// `Authorization` header `authorization` as its identity source.
fn authorizer_event(authorization: &str) -> Vec<u8> {
    let event = json!({
        "version": "2.0", "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:us-east-1:123456789012:api/dev/POST/count",
        "identitySource": [authorization], "routeKey": "POST /count", "rawPath": "/dev/count", "rawQueryString": "",
        "headers": { "authorization": authorization },
        "requestContext": { "accountId": "123456789012", "apiId": "api", "domainName": "api.execute-api.us-east-1.amazonaws.com",
            "http": { "method": "POST", "path": "/dev/count", "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "t" },
            "requestId": "id", "routeKey": "POST /count", "stage": "dev", "time": "12/Mar/2020:19:03:58 +0000", "timeEpoch": 1583348638390u64 }
    });
    serde_json::to_vec(&event).expect("event")
}

/// Runs `events` in one function process with `env`; its answers, in order.
fn answers(env: &[(String, String)], events: Vec<Vec<u8>>) -> Vec<Value> {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let n = events.len();
    let invocations =
        events.into_iter().map(|event| Invocation { event, timeout: Duration::from_secs(30) }).collect();
    let f = Function::start(&common::build_example("jobs"), &env, invocations);
    (0..n)
        .map(|_| {
            let posted = f.next_posted();
            assert_eq!(posted.kind, "response", "{}", String::from_utf8_lossy(&posted.body));
            serde_json::from_slice(&posted.body).expect("JSON answer")
        })
        .collect()
}

#[test]
fn payload_2_events_and_simple_authorizer_responses() {
    let mut env = http_stage_environment();
    let value = |k: &str| env.iter().find(|(name, _)| name == k).map(|(_, v)| v.clone());
    assert_eq!(value(AUTHORIZER_RESPONSE_ENV).as_deref(), Some("simple"), "{env:?}");
    assert_eq!(value(BASE_PATH_ENV).as_deref(), Some("greet"), "greeter's API mapping: {env:?}");
    let token = value("TOKEN").expect("the stage's token");
    env.push(("CWS_STAGE".into(), "dev".into()));
    let bearer = format!("Bearer {token}");
    let json_body = json!({ "authorization": bearer, "content-type": "application/json" });
    let answers = answers(
        &env,
        vec![
            // The execute-api URL: the stage's segment, then the route.
            event("GET", "/dev/health", json!({}), None),
            event("POST", "/dev/count", json_body.clone(), Some(r#"["a","b","c"]"#)),
            // The custom domain: the API mapping's key, then the route.
            event("POST", "/greet/count", json_body, Some(r#"["a"]"#)),
            // A path under neither is the service's own 404.
            event("GET", "/other/health", json!({}), None),
            authorizer_event(&bearer),
            authorizer_event("Bearer wrong"),
            authorizer_event(""),
        ],
    );
    let http = |a: &Value| (a["statusCode"].as_u64(), a["body"].as_str().map(str::to_string));
    assert_eq!(http(&answers[0]), (Some(200), Some("ok".into())), "{}", answers[0]);
    assert_eq!(http(&answers[1]), (Some(200), Some("3".into())), "{}", answers[1]);
    // Payload 2.0's answer: single-value `headers`, no `multiValueHeaders`.
    assert!(
        answers[1]["headers"].is_object() && answers[1].get("multiValueHeaders").is_none(),
        "{}",
        answers[1]
    );
    assert_eq!(http(&answers[2]), (Some(200), Some("1".into())), "{}", answers[2]);
    assert_eq!(answers[3]["statusCode"], 404, "{}", answers[3]);
    // The simple response carries the principal's context map, with its id (simple responses
    // have no field of their own for it).
    assert_eq!(answers[4], json!({ "isAuthorized": true, "context": { "principalId": "coworks-token" } }));
    assert_eq!(answers[5], json!({ "isAuthorized": false }));
    assert_eq!(answers[6], json!({ "isAuthorized": false }), "no token");
}

#[test]
fn an_authorizer_without_simple_responses_gets_a_policy() {
    let mut env = http_stage_environment();
    for (k, v) in env.iter_mut() {
        if k == AUTHORIZER_RESPONSE_ENV {
            *v = "policy".into();
        }
    }
    let token = env.iter().find(|(k, _)| k == "TOKEN").map(|(_, v)| v.clone()).expect("token");
    let answers = answers(&env, vec![authorizer_event(&token)]);
    let statement = &answers[0]["policyDocument"]["Statement"][0];
    assert_eq!(statement["Effect"], "Allow", "{}", answers[0]);
    assert_eq!(
        statement["Resource"], "arn:aws:execute-api:us-east-1:123456789012:api/dev/*",
        "{}",
        answers[0]
    );
}
