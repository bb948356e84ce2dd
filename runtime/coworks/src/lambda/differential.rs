//! The event reader ([`http_parts`], [`decode_body`]) against `lambda_http` 1.x, which it reads
//! events as (a dev-dependency): generated API Gateway REST (payload 1.0), HTTP API (2.0), function
//! URL and ALB events — methods, paths with percent-encoding, spaces, non-ASCII or none, single- and
//! multi-value headers overlapping, cookies, query strings, text and base64 bodies — are read by
//! both, and the method, path, query, headers and body bytes agree.
//!
//! Where they read the same event differently, AWS's documentation decides; the regression cases
//! below keep what a difference taught. `lambda_http` builds REST and ALB query strings from a
//! `HashMap` (keys in any order), so those are compared as the values of each key, in order.

use std::collections::BTreeMap;

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, Method};
use lambda_http::RequestExt;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::{decode_body, http_parts, Fields};

/// What a reader makes of an HTTP event.
#[derive(Debug, PartialEq)]
struct Read {
    method: Method,
    path: String,
    query: Query,
    headers: HeaderMap,
    body: Bytes,
}

/// A query string: raw (payload 2.0), or the values of each key in order (REST, ALB).
#[derive(Debug, PartialEq)]
enum Query {
    Raw(Option<String>),
    Keys(BTreeMap<String, Vec<String>>),
}

fn query(raw: Option<&str>, exact: bool) -> Query {
    if exact {
        return Query::Raw(raw.filter(|q| !q.is_empty()).map(str::to_string));
    }
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.unwrap_or_default()).expect("a form query");
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        keys.entry(k).or_default().push(v);
    }
    Query::Keys(keys)
}

/// The runtime's reading.
fn ours(text: &str) -> Result<Read, String> {
    let fields = Fields::of(text).map_err(|e| e.to_string())?;
    let rc = fields.request_context()?.unwrap_or(Value::Null);
    let exact = fields.http_method.is_none();
    let (method, path, raw_query, headers) = http_parts(&fields, &rc)?;
    let body = decode_body(fields.body, fields.base64(), usize::MAX).map_err(|_| "body".to_string())?;
    Ok(Read { method, path, query: query(raw_query.as_deref(), exact), headers, body })
}

/// `lambda_http`'s: the raw path (the URI's when there is none: the stage's segment or `/`).
fn theirs(text: &str, exact: bool) -> Result<Read, String> {
    let request = lambda_http::request::from_str(text).map_err(|e| e.to_string())?;
    let path = match request.raw_http_path() {
        "" => request.uri().path().to_string(),
        raw => raw.to_string(),
    };
    Ok(Read {
        method: request.method().clone(),
        path,
        query: query(request.uri().query(), exact),
        headers: request.headers().clone(),
        body: Bytes::copy_from_slice(request.body().as_ref()),
    })
}

fn assert_same(event: &Value) -> Result<(), TestCaseError> {
    let text = event.to_string();
    let theirs = theirs(&text, event.get("httpMethod").is_none());
    prop_assert!(theirs.is_ok(), "lambda_http cannot read {event:#}: {:?}", theirs);
    prop_assert_eq!(ours(&text), theirs, "{:#}", event);
    Ok(())
}

fn method() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
}

/// A raw path: none, or segments with unreserved characters, percent-encoded bytes (`%2F` too),
/// spaces and non-ASCII letters.
fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        6 => prop::collection::vec("([a-z0-9._~-]|%[0-9A-F]{2}|é| ){0,5}", 1..4)
            .prop_map(|segments| segments.iter().map(|s| format!("/{s}")).collect()),
    ]
}

/// Header names overlapping in case and between the single- and multi-value objects (`Host` and
/// `X-Forwarded-Proto` are the URI's and are set apart).
fn header_name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "x-one",
        "X-One",
        "x-two",
        "accept",
        "content-type",
        "x-forwarded-for",
        "cookie",
    ])
}

fn header_value() -> impl Strategy<Value = String> {
    "[ -~]{0,8}"
}

fn single_headers() -> impl Strategy<Value = Map<String, Value>> {
    (prop::collection::btree_map(header_name(), header_value(), 0..4), host()).prop_map(|(headers, host)| {
        let mut map: Map<String, Value> =
            headers.into_iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
        if let Some(host) = host {
            map.insert("Host".into(), json!(host));
        }
        map
    })
}

fn multi_headers() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(header_name(), prop::collection::vec(header_value(), 1..3), 0..4)
        .prop_map(|h| h.into_iter().map(|(k, v)| (k.to_string(), json!(v))).collect())
}

fn host() -> impl Strategy<Value = Option<&'static str>> {
    prop::option::of(prop::sample::select(vec!["api.example.com", "h.example:8443"]))
}

/// A field present with `value`, `null`, or absent.
fn put(event: &mut Value, key: &str, value: Option<Option<Value>>) {
    if let Some(v) = value {
        event[key] = v.unwrap_or(Value::Null);
    }
}

fn maybe<T: std::fmt::Debug>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Option<Option<T>>> {
    prop::option::of(prop::option::of(s))
}

/// A body: text, or bytes as base64 text (then `true`).
fn body() -> impl Strategy<Value = Option<(String, bool)>> {
    prop::option::of(prop_oneof![
        "[ -~é\n]{0,20}".prop_map(|t| (t, false)),
        prop::collection::vec(any::<u8>(), 0..20)
            .prop_map(|b| (base64::engine::general_purpose::STANDARD.encode(b), true)),
    ])
}

fn with_body(mut event: Value, body: Option<(String, bool)>) -> Value {
    if let Some((text, base64)) = body {
        event["body"] = json!(text);
        event["isBase64Encoded"] = json!(base64);
    }
    event
}

/// REST (payload 1.0) query values: decoded by API Gateway, any text.
fn rest_query() -> impl Strategy<Value = (Option<Option<Value>>, Option<Option<Value>>)> {
    let key = "[a-c]{1,2}";
    let value = "[ -~é]{0,6}";
    (
        maybe(prop::collection::btree_map(key, value, 0..3).prop_map(|m| json!(m))),
        maybe(
            prop::collection::btree_map(key, prop::collection::vec(value, 1..3), 0..3).prop_map(|m| json!(m)),
        ),
    )
}

fn rest_event() -> impl Strategy<Value = Value> {
    (
        method(),
        path(),
        maybe(single_headers()),
        maybe(multi_headers()),
        rest_query(),
        prop::sample::select(vec!["dev", "prod"]),
        prop::option::of(Just("abc.execute-api.eu-west-1.amazonaws.com")),
        body(),
    )
        .prop_map(|(method, path, single, multi, (sv, mv), stage, domain, body)| {
            let mut rc = json!({ "httpMethod": method, "stage": stage, "resourcePath": "/{proxy+}", "requestId": "r" });
            if let Some(d) = domain {
                rc["domainName"] = json!(d);
            }
            let mut event = json!({ "resource": "/{proxy+}", "httpMethod": method, "path": path, "requestContext": rc });
            put(&mut event, "headers", single.map(|h| h.map(Value::Object)));
            put(&mut event, "multiValueHeaders", multi.map(|h| h.map(Value::Object)));
            put(&mut event, "queryStringParameters", sv);
            put(&mut event, "multiValueQueryStringParameters", mv);
            with_body(event, body)
        })
}

/// ALB query keys and values: as the client sent them, URL-encoded.
fn alb_query() -> impl Strategy<Value = (Option<Value>, Option<Value>)> {
    let key = prop::sample::select(vec!["a", "b", "c%20d", "e%26"]);
    let value = "([a-z0-9]|%20|%26|%3D|%2B|%25|%C3%A9|\\+){0,5}";
    (
        prop::option::of(prop::collection::btree_map(key.clone(), value, 0..3).prop_map(|m| json!(m))),
        prop::option::of(
            prop::collection::btree_map(key, prop::collection::vec(value, 1..3), 0..3).prop_map(|m| json!(m)),
        ),
    )
}

fn alb_event() -> impl Strategy<Value = Value> {
    (
        method(),
        path(),
        prop::option::of(single_headers()),
        prop::option::of(multi_headers()),
        alb_query(),
        body(),
    )
        .prop_map(|(method, path, single, multi, (sv, mv), body)| {
            let arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/t/6d0ecf831eec9f09";
            let mut event = json!({
                "requestContext": { "elb": { "targetGroupArn": arn } },
                "httpMethod": method, "path": path, "isBase64Encoded": false,
            });
            put(&mut event, "headers", single.map(|h| Some(Value::Object(h))));
            put(&mut event, "multiValueHeaders", multi.map(|h| Some(Value::Object(h))));
            put(&mut event, "queryStringParameters", sv.map(Some));
            put(&mut event, "multiValueQueryStringParameters", mv.map(Some));
            with_body(event, body)
        })
}

/// HTTP API and function URL events (payload 2.0); `url`: a function URL's.
fn v2_event(url: bool) -> impl Strategy<Value = Value> {
    (
        method(),
        path(),
        prop::option::of(single_headers()),
        prop::option::of("([a-z0-9=&+._-]|%[0-9A-F]{2}){0,12}"),
        prop::option::of(prop::collection::vec("[a-z]{1,3}=[a-z0-9]{0,3}", 0..3)),
        prop::sample::select(if url { vec!["$default"] } else { vec!["$default", "dev"] }),
        body(),
    )
        .prop_map(move |(method, path, headers, raw_query, cookies, stage, body)| {
            let domain =
                if url { "abcdefgh.lambda-url.eu-west-1.on.aws" } else { "abc.execute-api.eu-west-1.amazonaws.com" };
            let mut event = json!({
                "version": "2.0", "routeKey": "$default", "rawPath": path, "isBase64Encoded": false,
                "requestContext": {
                    "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1" },
                    "stage": stage, "domainName": domain, "routeKey": "$default", "requestId": "r",
                },
            });
            if let Some(h) = headers {
                event["headers"] = Value::Object(h);
            }
            if let Some(q) = raw_query {
                event["rawQueryString"] = json!(q);
            }
            if let Some(c) = cookies {
                event["cookies"] = json!(c);
            }
            with_body(event, body)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn rest_events_are_read_as_lambda_http_reads_them(event in rest_event()) {
        assert_same(&event)?;
    }

    #[test]
    fn alb_events_are_read_as_lambda_http_reads_them(event in alb_event()) {
        assert_same(&event)?;
    }

    #[test]
    fn http_api_events_are_read_as_lambda_http_reads_them(event in v2_event(false)) {
        assert_same(&event)?;
    }

    #[test]
    fn function_url_events_are_read_as_lambda_http_reads_them(event in v2_event(true)) {
        assert_same(&event)?;
    }
}

/// What the differential test found: an ALB passes query keys and values as the client sent them,
/// URL-encoded ("If the query parameters are URL-encoded, the load balancer does not decode them",
/// Elastic Load Balancing's guide, Lambda functions as targets); they were encoded a second time
/// (`q=a%2520b`). Decoded first, as `lambda_http` does, they reach the service as sent.
#[test]
fn alb_query_values_are_decoded_once() {
    let event = json!({
        "requestContext": { "elb": { "targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/t/1" } },
        "httpMethod": "GET", "path": "/search", "isBase64Encoded": false,
        "queryStringParameters": { "q": "a%20b%26c", "x%3Dy": "%C3%A9+1" },
    });
    let read = ours(&event.to_string()).expect("an ALB event");
    let want =
        BTreeMap::from([("q".to_string(), vec!["a b&c".to_string()]), ("x=y".into(), vec!["é 1".into()])]);
    assert_eq!(read.query, Query::Keys(want));
    assert_same(&event).expect("as lambda_http reads it");
    // API Gateway decodes them itself: the same text is the value.
    let mut rest = event.clone();
    rest["requestContext"] = json!({ "httpMethod": "GET", "stage": "dev" });
    let read = ours(&rest.to_string()).expect("a REST event");
    let want = BTreeMap::from([
        ("q".to_string(), vec!["a%20b%26c".to_string()]),
        ("x%3Dy".into(), vec!["%C3%A9+1".into()]),
    ]);
    assert_eq!(read.query, Query::Keys(want));
}
