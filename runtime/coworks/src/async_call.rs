//! The asynchronous-call contract: a request with `InvocationType: Event`, `X-CWS-S3Bucket` and
//! `X-CWS-S3Key` is answered `202`; the entry's result is written as ONE JSON record
//! `{"status", "headers", "body"}` to that S3 key, also when the entry fails, and also when the
//! service stops (or the Lambda invocation's time runs out) before the entry finished: then the
//! record is a `503` saying so ([`not_finished`]). [`InFlight`] keeps the calls not recorded yet, so
//! a stopping service can wait for them and record the ones that do not finish.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, StatusCode};
use serde_json::{json, Map, Value};

use crate::response::Response;
use crate::s3::S3Config;

/// How long writing one record to S3 may take before it is given up (and logged).
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

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

/// Writes the record of `r` to `target` with the environment's S3 settings; failures (and writes
/// taking longer than [`WRITE_TIMEOUT`]) are logged.
pub async fn write_result(target: &AsyncTarget, r: &Response) {
    let record = Bytes::from(record(r).to_string());
    let config = S3Config::from_env();
    let put = config.put_object(&target.bucket, &target.key, record, "application/json");
    match tokio::time::timeout(WRITE_TIMEOUT, put).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!("async result s3://{}/{} not written: {e}", target.bucket, target.key),
        Err(_) => tracing::error!(
            "async result s3://{}/{} not written: S3 did not answer within {} s",
            target.bucket,
            target.key,
            WRITE_TIMEOUT.as_secs()
        ),
    }
}

/// The answer recorded for a call whose entry did not finish: `503 {"error", "request_id"}`.
pub fn not_finished(request_id: &str, why: &str) -> Response {
    crate::response::json(
        StatusCode::SERVICE_UNAVAILABLE,
        &json!({ "error": format!("the entry did not finish: {why}"), "request_id": request_id }),
    )
}

/// One accepted call not recorded yet.
#[derive(Debug)]
struct Call {
    target: AsyncTarget,
    request_id: String,
    /// Someone (the entry's task, or a drain) is writing its record.
    recording: bool,
}

/// The asynchronous calls a service accepted (answered `202`) and has not recorded yet. Each call's
/// record is written once, by whoever takes it first: the task that ran the entry, or
/// [`InFlight::drain`] once its bound has passed.
#[derive(Debug, Default)]
pub struct InFlight {
    next: AtomicU64,
    calls: Mutex<BTreeMap<u64, Call>>,
    changed: tokio::sync::Notify,
}

impl InFlight {
    fn calls(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Call>> {
        self.calls.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers an accepted call; returns its ticket.
    pub fn begin(&self, target: &AsyncTarget, request_id: &str) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let call = Call { target: target.clone(), request_id: request_id.to_string(), recording: false };
        self.calls().insert(id, call);
        id
    }

    /// Takes call `id` to write its record; `None` when it is already being recorded.
    pub fn take(&self, id: u64) -> Option<AsyncTarget> {
        let mut calls = self.calls();
        let call = calls.get_mut(&id).filter(|c| !c.recording)?;
        call.recording = true;
        Some(call.target.clone())
    }

    /// Call `id` is recorded (or given up).
    pub fn done(&self, id: u64) {
        self.calls().remove(&id);
        self.changed.notify_waiters();
    }

    /// Calls accepted and not recorded yet.
    pub fn len(&self) -> usize {
        self.calls().len()
    }

    /// Whether every accepted call is recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until every call is recorded, or at most `bound`.
    async fn wait_empty(&self, bound: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + bound;
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.is_empty() {
                return true;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return self.is_empty();
            }
        }
    }

    /// For a stopping service: waits up to `bound` for the running calls to finish and be recorded;
    /// then records each call still running as [`not_finished`], and waits (bounded by
    /// [`WRITE_TIMEOUT`]) for records being written. Returns how many calls did not finish.
    pub async fn drain(&self, bound: Duration) -> usize {
        if self.wait_empty(bound).await {
            return 0;
        }
        let stale: Vec<(u64, AsyncTarget, String)> = self
            .calls()
            .iter_mut()
            .filter(|(_, c)| !c.recording)
            .map(|(id, c)| {
                c.recording = true;
                (*id, c.target.clone(), c.request_id.clone())
            })
            .collect();
        let why = format!("the service stopped and the entry ran longer than its drain timeout ({bound:?})");
        let writes = stale.iter().map(|(id, target, request_id)| {
            let why = why.as_str();
            async move {
                tracing::warn!(
                    "async call {request_id} (s3://{}/{}) did not finish before the service stopped: \
                     recorded as not finished",
                    target.bucket,
                    target.key
                );
                write_result(target, &not_finished(request_id, why)).await;
                self.done(*id);
            }
        });
        futures_util::future::join_all(writes).await;
        self.wait_empty(WRITE_TIMEOUT + Duration::from_secs(1)).await;
        stale.len()
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
    fn each_call_is_recorded_by_whoever_takes_it_first() {
        let calls = InFlight::default();
        let t = AsyncTarget { bucket: "b".into(), key: "k".into() };
        let (a, b) = (calls.begin(&t, "r1"), calls.begin(&t, "r2"));
        assert_ne!(a, b);
        assert_eq!(calls.len(), 2);
        assert_eq!(calls.take(a), Some(t.clone()));
        assert_eq!(calls.take(a), None, "already being recorded");
        assert_eq!(calls.len(), 2, "recorded only once written");
        calls.done(a);
        assert_eq!(calls.len(), 1);
        assert_eq!(calls.take(b), Some(t));
        calls.done(b);
        assert!(calls.is_empty());
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
