//! Lambda events, in the shapes AWS documents them (API Gateway REST proxy 1.0, HTTP API 2.0, function
//! URL, ALB with and without multi-value headers, TOKEN and REQUEST authorizers), fed through the
//! Lambda entry point in-process; plus every return type, sync and async entries, a custom
//! authorizer, and internal errors answered without internals.

use base64::Engine;
use coworks::lambda::handle_event;
use coworks::prelude::*;
use coworks::router::{AsyncMode, Router};
use coworks_core::artifacts::api::{evaluate_policy, PolicyDecision};
use serde_json::{json, Value};

#[derive(Serialize, Deserialize)]
struct Item {
    name: String,
    qty: u32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Color {
    Red,
    Blue,
}

impl std::str::FromStr for Color {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "red" => Ok(Color::Red),
            "blue" => Ok(Color::Blue),
            _ => Err(format!("`{s}` is no color (red, blue)")),
        }
    }
}

/// A service using every parameter and return shape.
struct Shapes {
    greeting: String,
}

#[coworks::service(name = "shapes")]
impl Shapes {
    #[entry(no_auth)]
    fn get(&self) -> String {
        self.greeting.clone()
    }

    #[entry]
    async fn get_item(&self, id: u64, #[query] verbose: Option<bool>) -> Json<Value> {
        Json(json!({ "id": id, "verbose": verbose.unwrap_or(false) }))
    }

    #[entry]
    fn get_color(&self, color: Color, #[query] tags: Vec<String>) -> Result<Json<Value>, Error> {
        if tags.iter().any(|t| t == "boom") {
            return Err(Error::internal("database password is hunter2"));
        }
        Ok(Json(json!({ "color": format!("{color:?}"), "tags": tags })))
    }

    #[entry(path = "/orders/{order}/lines")]
    async fn post_line(&self, order: u32, #[body] item: Item) -> (StatusCode, Json<Item>) {
        let _ = order;
        (StatusCode::CREATED, Json(item))
    }

    #[entry(binary_headers = "image/png")]
    fn get_logo(&self) -> Vec<u8> {
        vec![0x89, b'P', b'N', b'G', 0, 255]
    }

    #[entry]
    fn delete_item(&self, id: u64) {
        let _ = id;
    }

    #[entry]
    fn get_panic(&self) -> &'static str {
        panic!("secret internals")
    }

    #[entry]
    fn get_order(&self, id: uuid::Uuid) -> String {
        id.hyphenated().to_string()
    }

    #[entry(stage = "dev")]
    fn get_debug(&self) -> &'static str {
        "debug"
    }
}

/// A service with its own authorizer.
struct Custom;

#[coworks::service]
impl Custom {
    /// Accepts tokens starting with `ok-`.
    fn authorize(&self, token: &str) -> bool {
        token.starts_with("ok-")
    }

    #[entry]
    fn get_secret(&self) -> &'static str {
        "secret"
    }
}

fn router() -> Router<Shapes> {
    Router::new(Shapes { greeting: "hello".into() }, Some("dev"), AsyncMode::Inline)
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(f)
}

/// API Gateway REST API proxy integration event (payload 1.0), as in AWS's documentation.
fn rest_v1(method: &str, path: &str, query: &[(&str, &str)], headers: Value, body: Option<&str>) -> Value {
    let mut single = serde_json::Map::new();
    let mut multi = serde_json::Map::new();
    for (k, v) in query {
        single.insert(k.to_string(), json!(v));
        if let Some(a) = multi.entry(k.to_string()).or_insert_with(|| json!([])).as_array_mut() {
            a.push(json!(v));
        }
    }
    let multi_headers: serde_json::Map<String, Value> =
        headers.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), json!([v]))).collect();
    json!({
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": if query.is_empty() { Value::Null } else { Value::Object(single) },
        "multiValueQueryStringParameters": if query.is_empty() { Value::Null } else { Value::Object(multi) },
        "pathParameters": { "proxy": path.trim_start_matches('/') },
        "stageVariables": null,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "1234567890",
            "authorizer": { "principalId": "coworks-token" },
            "domainName": "1234567890.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "1234567890",
            "extendedRequestId": "SyQ2gGmbvHcF4sQ=",
            "httpMethod": method,
            "identity": { "sourceIp": "203.0.113.7", "userAgent": "curl/8.0" },
            "path": format!("/prod{path}"),
            "protocol": "HTTP/1.1",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "requestTime": "09/Apr/2015:12:34:56 +0000",
            "requestTimeEpoch": 1428582896000u64,
            "resourceId": "abc123",
            "resourcePath": "/{proxy+}",
            "stage": "prod"
        },
        "body": body,
        "isBase64Encoded": false
    })
}

/// API Gateway HTTP API event (payload 2.0); `stage` `$default` or a named stage (then in rawPath).
fn http_v2(
    method: &str,
    raw_path: &str,
    query: &str,
    headers: Value,
    body: Option<&str>,
    stage: &str,
) -> Value {
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": query,
        "cookies": ["cookie1=value1"],
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "id.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "id",
            "http": { "method": method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "agent" },
            "requestId": "id",
            "routeKey": "$default",
            "stage": stage,
            "time": "12/Mar/2020:19:03:58 +0000",
            "timeEpoch": 1583348638390u64
        },
        "body": body,
        "isBase64Encoded": false
    })
}

/// Lambda function URL event (payload 2.0 with a `lambda-url` domain), as documented.
fn function_url(method: &str, raw_path: &str, query: &str, headers: Value, body: Option<&str>) -> Value {
    let b64 = body.map(|b| base64::engine::general_purpose::STANDARD.encode(b));
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": "a1b2c3d4e5.lambda-url.us-west-2.on.aws",
            "domainPrefix": "a1b2c3d4e5",
            "http": { "method": method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "123.123.123.123", "userAgent": "agent" },
            "requestId": "id",
            "routeKey": "$default",
            "stage": "$default",
            "time": "12/Mar/2020:19:03:58 +0000",
            "timeEpoch": 1583348638390u64
        },
        "body": b64,
        "isBase64Encoded": body.is_some()
    })
}

/// ALB target group event; `multi` for a target group with multi-value headers on.
fn alb(method: &str, path: &str, query: &[(&str, &str)], headers: Value, multi: bool) -> Value {
    let mut e = json!({
        "requestContext": { "elb": { "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambda-279XGJDqGZ5rsrHC2Fjr/49e9d65c45c6791a" } },
        "httpMethod": method,
        "path": path,
        "body": "",
        "isBase64Encoded": false
    });
    let q: serde_json::Map<String, Value> = query.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    if multi {
        let qm: serde_json::Map<String, Value> =
            query.iter().map(|(k, v)| (k.to_string(), json!([v]))).collect();
        let hm: serde_json::Map<String, Value> =
            headers.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), json!([v]))).collect();
        e["multiValueQueryStringParameters"] = Value::Object(qm);
        e["multiValueHeaders"] = Value::Object(hm);
    } else {
        e["queryStringParameters"] = Value::Object(q);
        e["headers"] = headers;
    }
    e
}

fn call(event: Value) -> Value {
    std::env::set_var("TOKEN", "tok");
    block(handle_event(&router(), event, "req-42"))
}

fn header_v1<'a>(answer: &'a Value, name: &str) -> Option<&'a str> {
    answer["multiValueHeaders"][name][0].as_str()
}

#[test]
fn rest_api_payload_1_0() {
    let auth =
        json!({ "Authorization": "Bearer tok", "Host": "1234567890.execute-api.us-east-1.amazonaws.com" });
    let a = call(rest_v1("GET", "/item/7", &[("verbose", "true")], auth.clone(), None));
    assert_eq!(a["statusCode"], 200, "{a}");
    assert_eq!(
        serde_json::from_str::<Value>(a["body"].as_str().unwrap()).unwrap(),
        json!({"id": 7, "verbose": true})
    );
    assert_eq!(header_v1(&a, "content-type"), Some("application/json"));
    assert_eq!(a["isBase64Encoded"], false);
    let a = call(rest_v1("GET", "/", &[], json!({}), None));
    assert_eq!((a["statusCode"].as_u64(), a["body"].as_str()), (Some(200), Some("hello")));
    let a = call(rest_v1("GET", "/item/7", &[], json!({}), None));
    assert_eq!(a["statusCode"], 401);
    let a = call(rest_v1("GET", "/item/7", &[], json!({ "Authorization": "bad" }), None));
    assert_eq!(a["statusCode"], 403);
    let body = r#"{"name":"bolt","qty":3}"#;
    let headers = json!({ "Authorization": "tok", "Content-Type": "application/json" });
    let a = call(rest_v1("POST", "/orders/5/lines", &[], headers.clone(), Some(body)));
    assert_eq!((a["statusCode"].as_u64(), a["body"].as_str()), (Some(201), Some(body)));
    let a = call(rest_v1("POST", "/orders/x/lines", &[], headers.clone(), Some(body)));
    assert_eq!(a["statusCode"], 422);
    let a = call(rest_v1("POST", "/orders/5/lines", &[], headers, Some("{bad json")));
    assert_eq!(a["statusCode"], 422);
    let a = call(rest_v1("GET", "/color/blue", &[("tags", "a"), ("tags", "b")], auth.clone(), None));
    let body: Value = serde_json::from_str(a["body"].as_str().unwrap()).unwrap();
    assert_eq!(body, json!({"color": "Blue", "tags": ["a", "b"]}));
    let a = call(rest_v1("GET", "/color/green", &[], auth.clone(), None));
    assert_eq!(a["statusCode"], 422);
    assert!(a["body"].as_str().unwrap().contains("is no color"), "{a}");
    let a = call(rest_v1("GET", "/order/67E55044-10B1-426F-9247-BB680E5FE0C8", &[], auth.clone(), None));
    assert_eq!(
        (a["statusCode"].as_u64(), a["body"].as_str()),
        (Some(200), Some("67e55044-10b1-426f-9247-bb680e5fe0c8"))
    );
    let a = call(rest_v1("GET", "/order/not-a-uuid", &[], auth.clone(), None));
    assert_eq!(a["statusCode"], 422);
    assert!(a["body"].as_str().unwrap().contains(r#""expected":"uuid::Uuid""#), "{a}");
    let a = call(rest_v1("GET", "/item/7", &[("nope", "1")], auth, None));
    assert_eq!(a["statusCode"], 422, "unknown query key");
}

#[test]
fn return_types_and_internal_errors() {
    let auth = json!({ "authorization": "Bearer tok" });
    let a = call(http_v2("GET", "/logo", "", auth.clone(), None, "$default"));
    assert_eq!((a["statusCode"].as_u64(), a["isBase64Encoded"].as_bool()), (Some(200), Some(true)));
    assert_eq!(a["headers"]["content-type"], "image/png");
    let bytes = base64::engine::general_purpose::STANDARD.decode(a["body"].as_str().unwrap()).unwrap();
    assert_eq!(bytes, [0x89, b'P', b'N', b'G', 0, 255]);
    let a = call(http_v2("DELETE", "/item/3", "", auth.clone(), None, "$default"));
    assert_eq!((a["statusCode"].as_u64(), a["body"].as_str()), (Some(204), Some("")));
    for event in [
        http_v2("GET", "/panic", "", auth.clone(), None, "$default"),
        http_v2("GET", "/color/red", "tags=boom", auth.clone(), None, "$default"),
    ] {
        let a = call(event);
        assert_eq!(a["statusCode"], 500);
        let body: Value = serde_json::from_str(a["body"].as_str().unwrap()).unwrap();
        assert_eq!(body, json!({"error": "internal error", "request_id": "req-42"}));
    }
    let a = call(http_v2("GET", "/debug", "", auth.clone(), None, "$default"));
    assert_eq!(a["body"], "debug", "stage dev serves stage-dev entries");
    let prod = Router::new(Shapes { greeting: "hi".into() }, Some("prod"), AsyncMode::Inline);
    let a = block(handle_event(&prod, http_v2("GET", "/debug", "", auth, None, "$default"), "r"));
    assert_eq!(a["statusCode"], 404);
}

#[test]
fn http_api_payload_2_0_and_named_stages() {
    let auth = json!({ "authorization": "Bearer tok", "content-type": "application/json" });
    let a = call(http_v2("GET", "/item/9", "verbose=false", auth.clone(), None, "$default"));
    assert_eq!(a["statusCode"], 200, "{a}");
    assert_eq!(a["headers"]["content-type"], "application/json");
    assert!(a.get("multiValueHeaders").is_none());
    let a = call(http_v2("GET", "/prod/item/9", "", auth.clone(), None, "prod"));
    assert_eq!(a["statusCode"], 200, "the stage prefix of rawPath is not part of the route: {a}");
    let a = call(http_v2("POST", "/orders/1/lines", "", auth, Some(r#"{"name":"nut","qty":1}"#), "$default"));
    assert_eq!(a["statusCode"], 201);
    let a = call(http_v2("GET", "/item/9", "", json!({}), None, "$default"));
    assert_eq!(a["statusCode"], 401);
}

#[test]
fn function_urls() {
    let headers = json!({ "authorization": "tok", "content-type": "application/json" });
    let a =
        call(function_url("POST", "/orders/2/lines", "", headers.clone(), Some(r#"{"name":"b64","qty":2}"#)));
    assert_eq!(
        (a["statusCode"].as_u64(), a["body"].as_str()),
        (Some(201), Some(r#"{"name":"b64","qty":2}"#))
    );
    let a = call(function_url("GET", "/color/red", "tags=x&tags=y%20z", headers, None));
    let body: Value = serde_json::from_str(a["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["tags"], json!(["x", "y z"]));
    // A malformed event (a host that is no domain name) is a 400, not a crash.
    let mut bad = function_url("GET", "/", "", json!({ "host": "<url-id>" }), None);
    bad["requestContext"]["domainName"] = json!("<url-id>.lambda-url.us-west-2.on.aws");
    let a = call(bad);
    assert_eq!(a["statusCode"], 400);
}

#[test]
fn application_load_balancer() {
    let headers =
        json!({ "authorization": "Bearer tok", "host": "lambda-alb-123578498.us-east-1.elb.amazonaws.com" });
    let a = call(alb("GET", "/item/4", &[("verbose", "true")], headers.clone(), false));
    assert_eq!((a["statusCode"].as_u64(), a["statusDescription"].as_str()), (Some(200), Some("200 OK")));
    assert_eq!(a["headers"]["content-type"], "application/json");
    let a = call(alb("GET", "/item/4", &[], headers.clone(), true));
    assert_eq!(a["multiValueHeaders"]["content-type"][0], "application/json", "{a}");
    let a = call(alb("GET", "/item/4", &[], json!({}), false));
    assert_eq!(
        (a["statusCode"].as_u64(), a["statusDescription"].as_str()),
        (Some(401), Some("401 Unauthorized"))
    );
}

#[test]
fn token_and_request_authorizers() {
    let arn = "arn:aws:execute-api:us-east-1:123456789012:example/prod/GET/item/7";
    let token_event = |t: &str| json!({ "type": "TOKEN", "authorizationToken": t, "methodArn": arn });
    let effect = |a: &Value| a["policyDocument"]["Statement"][0]["Effect"].as_str().map(str::to_string);
    let a = call(token_event("Bearer tok"));
    assert_eq!(effect(&a).as_deref(), Some("Allow"));
    assert_eq!(a["policyDocument"]["Statement"][0]["Action"], "execute-api:Invoke");
    // API Gateway caches the answer per token and applies it to the token's next calls: the policy
    // covers every route of the stage (evaluated as IAM does, by the core's rule), not just this one.
    let policy = &a["policyDocument"];
    for (other, decision) in [
        (arn, PolicyDecision::Allow),
        ("arn:aws:execute-api:us-east-1:123456789012:example/prod/GET/invoices", PolicyDecision::Allow),
        ("arn:aws:execute-api:us-east-1:123456789012:example/prod/DELETE/item/7", PolicyDecision::Allow),
        ("arn:aws:execute-api:us-east-1:123456789012:example/dev/GET/item/7", PolicyDecision::ImplicitDeny),
        ("arn:aws:execute-api:us-east-1:123456789012:other/prod/GET/item/7", PolicyDecision::ImplicitDeny),
    ] {
        assert_eq!(evaluate_policy(policy, other), decision, "{other}");
    }
    let denied = call(token_event("wrong"));
    let other_route = "arn:aws:execute-api:us-east-1:123456789012:example/prod/GET/invoices";
    assert_eq!(evaluate_policy(&denied["policyDocument"], other_route), PolicyDecision::ExplicitDeny);
    assert_eq!(effect(&call(token_event("tok"))).as_deref(), Some("Allow"));
    assert_eq!(effect(&call(token_event("wrong"))).as_deref(), Some("Deny"));
    assert_eq!(effect(&call(token_event(""))).as_deref(), Some("Deny"));

    let mut request = rest_v1("GET", "/item/7", &[], json!({ "Authorization": "Bearer tok" }), None);
    request["type"] = json!("REQUEST");
    request["methodArn"] = json!(arn);
    assert_eq!(effect(&call(request.clone())).as_deref(), Some("Allow"));
    request["headers"] = json!({ "authorization": "nope" });
    assert_eq!(effect(&call(request)).as_deref(), Some("Deny"));

    let v2 = |t: &str| {
        let mut e = http_v2("GET", "/item/7", "", json!({ "authorization": t }), None, "$default");
        e["type"] = json!("REQUEST");
        e["routeArn"] = json!("arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request");
        e["identitySource"] = json!([t]);
        e
    };
    // A simple response has no principal field: the principal travels in its context.
    assert_eq!(
        call(v2("Bearer tok")),
        json!({ "isAuthorized": true, "context": { "principalId": "coworks-token" } })
    );
    assert_eq!(call(v2("Bearer no")), json!({ "isAuthorized": false }));

    // A service's own authorizer answers both the events and the requests.
    let custom = Router::new(Custom, None, AsyncMode::Inline);
    let a = block(handle_event(&custom, token_event("ok-123"), "r"));
    assert_eq!(effect(&a).as_deref(), Some("Allow"));
    let a = block(handle_event(&custom, token_event("tok"), "r"));
    assert_eq!(effect(&a).as_deref(), Some("Deny"));
    let e = http_v2("GET", "/secret", "", json!({ "authorization": "ok-1" }), None, "$default");
    assert_eq!(block(handle_event(&custom, e, "r"))["body"], "secret");
}
