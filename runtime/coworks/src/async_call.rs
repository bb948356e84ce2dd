//! The asynchronous-call contract: a request with `InvocationType: Event`, `X-CWS-S3Bucket` and
//! `X-CWS-S3Key` is answered `202`; the entry's result is written as ONE JSON record
//! `{"status", "headers", "body"}` to that S3 key, also when the entry fails.

use base64::Engine;
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::HeaderMap;
use serde_json::{json, Map, Value};

use crate::response::Response;
use crate::s3::S3Config;

/// Where an asynchronous call's result goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsyncTarget {
    /// The bucket (`X-CWS-S3Bucket`).
    pub bucket: String,
    /// The key (`X-CWS-S3Key`).
    pub key: String,
}

/// The target of an asynchronous call, if the headers ask for one.
pub fn target(headers: &HeaderMap) -> Option<AsyncTarget> {
    let get = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
    if !get("invocationtype")?.eq_ignore_ascii_case("event") {
        return None;
    }
    Some(AsyncTarget { bucket: get("x-cws-s3bucket")?.to_string(), key: get("x-cws-s3key")?.to_string() })
}

/// Checks a target against the results location a deployment allows (`CWS_RESULTS_BUCKET` and
/// `CWS_RESULTS_PREFIX`, set by `cws deploy`; the function's role may write nowhere else). Without
/// `CWS_RESULTS_BUCKET` any target is accepted.
pub fn check_allowed(target: &AsyncTarget) -> Result<(), String> {
    let bucket = std::env::var("CWS_RESULTS_BUCKET").ok().filter(|b| !b.is_empty());
    let prefix = std::env::var("CWS_RESULTS_PREFIX").unwrap_or_default();
    allowed(target, bucket.as_deref(), &prefix)
}

fn allowed(target: &AsyncTarget, bucket: Option<&str>, prefix: &str) -> Result<(), String> {
    match bucket {
        Some(b) if b != target.bucket => {
            Err(format!("results go to bucket `{b}`; X-CWS-S3Bucket names `{}`", target.bucket))
        }
        Some(_) if !target.key.starts_with(prefix) => {
            Err(format!("result keys start with `{prefix}`; X-CWS-S3Key is `{}`", target.key))
        }
        _ => Ok(()),
    }
}

/// The result record of a response: the body is JSON when the response is JSON, text when it is
/// UTF-8 text, base64 (with `"isBase64Encoded": true`) otherwise.
pub fn record(r: &Response) -> Value {
    let mut headers = Map::new();
    for (k, v) in r.headers() {
        if let Ok(v) = v.to_str() {
            headers.insert(k.as_str().to_string(), Value::String(v.to_string()));
        }
    }
    let ct = r.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let body = r.body();
    let (body, base64) = if body.is_empty() {
        (Value::Null, false)
    } else if ct.starts_with("application/json") {
        match serde_json::from_slice(body) {
            Ok(v) => (v, false),
            Err(_) => (Value::String(String::from_utf8_lossy(body).into_owned()), false),
        }
    } else if ct.starts_with("text/") {
        match std::str::from_utf8(body) {
            Ok(s) => (Value::String(s.to_string()), false),
            Err(_) => (Value::String(base64::engine::general_purpose::STANDARD.encode(body)), true),
        }
    } else {
        (Value::String(base64::engine::general_purpose::STANDARD.encode(body)), true)
    };
    let mut out = json!({ "status": r.status().as_u16(), "headers": headers, "body": body });
    if base64 {
        out["isBase64Encoded"] = Value::Bool(true);
    }
    out
}

/// Writes the record of `r` to `target` with the environment's S3 settings; failures are logged.
pub async fn write_result(target: &AsyncTarget, r: &Response) {
    let record = Bytes::from(record(r).to_string());
    let config = S3Config::from_env();
    if let Err(e) = config.put_object(&target.bucket, &target.key, record, "application/json").await {
        eprintln!("async result s3://{}/{} not written: {e}", target.bucket, target.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_allowed_locations() {
        let mut h = HeaderMap::new();
        assert_eq!(target(&h), None);
        h.insert("invocationtype", "Event".parse().unwrap());
        h.insert("x-cws-s3bucket", "results".parse().unwrap());
        assert_eq!(target(&h), None, "a key is needed");
        h.insert("x-cws-s3key", "calls/1.json".parse().unwrap());
        let t = target(&h).unwrap();
        assert_eq!((t.bucket.as_str(), t.key.as_str()), ("results", "calls/1.json"));
        h.insert("invocationtype", "RequestResponse".parse().unwrap());
        assert_eq!(target(&h), None);
        assert!(allowed(&t, None, "").is_ok());
        assert!(allowed(&t, Some("results"), "calls/").is_ok());
        assert!(allowed(&t, Some("other"), "").unwrap_err().contains("bucket `other`"));
        assert!(allowed(&t, Some("results"), "jobs/").unwrap_err().contains("start with `jobs/`"));
    }

    #[test]
    fn records_embed_json_text_and_base64() {
        let r = crate::response::json(http::StatusCode::CREATED, &json!({"a": 1}));
        assert_eq!(
            record(&r),
            json!({"status": 201, "headers": {"content-type": "application/json"}, "body": {"a": 1}})
        );
        let r =
            crate::response::build(http::StatusCode::OK, Some("image/png"), Bytes::from_static(&[0, 255]));
        let rec = record(&r);
        assert_eq!((rec["body"].as_str(), rec["isBase64Encoded"].as_bool()), (Some("AP8="), Some(true)));
        let rec = record(&crate::response::build(http::StatusCode::NO_CONTENT, None, Bytes::new()));
        assert_eq!(rec["body"], Value::Null);
    }
}
