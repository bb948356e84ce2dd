//! The one AWS client of the process: a shared HTTP connection pool, SigV4 signing ([`crate::sigv4`])
//! with the environment's credentials, endpoints and region, a timeout on every attempt and retries
//! with capped, jittered exponential backoff on throttling, 5xx answers and network failures. S3
//! ([`crate::s3`]), SSM ([`crate::secrets`]) and Lambda ([`crate::lambda_invoke`]) calls go through
//! [`send`].

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::sigv4::{self, Credentials, SignRequest};

/// How calls are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (the first one included).
    pub attempts: u32,
    /// Longest wait for one attempt's whole answer.
    pub attempt_timeout: Duration,
    /// First backoff; doubled after each attempt.
    pub base_delay: Duration,
    /// Longest backoff.
    pub max_delay: Duration,
}

/// The policy of every call: 4 attempts of at most 10 s each, backoff from 100 ms to 2 s.
pub const RETRY: RetryPolicy = RetryPolicy {
    attempts: 4,
    attempt_timeout: Duration::from_secs(10),
    base_delay: Duration::from_millis(100),
    max_delay: Duration::from_secs(2),
};

/// Why a call failed (after its retries).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    /// No credentials in the environment.
    #[error("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")]
    NoCredentials,
    /// The endpoint is not a URL.
    #[error("bad endpoint `{0}`")]
    BadEndpoint(String),
    /// No answer (network failure or timeout), after every attempt.
    #[error("request failed after {attempts} attempt(s): {reason}")]
    Http {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        reason: String,
    },
    /// The service answered an error (the start of its answer, which never holds a secret value).
    #[error("{service} answered {status}: {body}")]
    Status {
        /// The AWS service.
        service: &'static str,
        /// The status.
        status: u16,
        /// The start of the answer.
        body: String,
    },
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The process's HTTP client for AWS endpoints: `https://` (rustls, webpki roots) and plain
/// `http://` (emulators), one connection pool for every call.
pub fn http_client() -> &'static HttpsClient {
    static CLIENT: OnceLock<HttpsClient> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        Client::builder(TokioExecutor::new()).build(https)
    })
}

fn var(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

/// The region: `AWS_REGION`, `AWS_DEFAULT_REGION`, or `us-east-1`.
pub fn region() -> String {
    var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")).unwrap_or_else(|| "us-east-1".into())
}

/// A custom endpoint for `service` (`s3`, `ssm`, `lambda`): `AWS_ENDPOINT_URL_<SERVICE>`, else
/// `AWS_ENDPOINT_URL`; `None`: AWS's own.
pub fn custom_endpoint(service: &str) -> Option<String> {
    var(&format!("AWS_ENDPOINT_URL_{}", service.to_ascii_uppercase()))
        .or_else(|| var("AWS_ENDPOINT_URL"))
        .map(|e| e.trim_end_matches('/').to_string())
}

/// The base URL of `service`: its custom endpoint, else `https://<service>.<region>.amazonaws.com`.
pub fn endpoint(service: &str, region: &str) -> String {
    custom_endpoint(service).unwrap_or_else(|| format!("https://{service}.{region}.amazonaws.com"))
}

/// One signed call.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    /// The signing name of the service (`s3`, `ssm`, `lambda`).
    pub service: &'static str,
    /// The region signed for.
    pub region: &'a str,
    /// `GET`, `PUT`, `POST` ...
    pub method: &'a str,
    /// The full URL, query included.
    pub url: &'a str,
    /// The canonical (encoded) path.
    pub path: &'a str,
    /// The canonical query string (sorted, encoded); empty for none.
    pub query: &'a str,
    /// Extra headers to sign and send (`content-type`, `x-amz-target` ...).
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: Bytes,
    /// Whether the payload hash is sent as `x-amz-content-sha256` (S3).
    pub content_sha256: bool,
}

/// An answer: status and body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The body.
    pub body: Bytes,
}

/// Whether an answer is worth another attempt: throttling (429, or a 400 naming it) and 5xx.
pub fn retryable(status: StatusCode, body: &[u8]) -> bool {
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        return true;
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(2048)]);
    status == StatusCode::BAD_REQUEST
        && ["Throttling", "TooManyRequests", "RequestLimitExceeded", "SlowDown"]
            .iter()
            .any(|t| text.contains(t))
}

/// The wait before attempt `attempt` (1-based retries): exponential from `base_delay`, capped,
/// with full jitter.
pub fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let exp = policy.base_delay.saturating_mul(1u32 << attempt.min(16)).min(policy.max_delay);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    // Full jitter: a pseudo-random point in [exp/2, exp].
    let spread = exp.as_millis() as u64 / 2;
    let jitter = if spread == 0 { 0 } else { u64::from(nanos.wrapping_mul(2_654_435_761)) % (spread + 1) };
    Duration::from_millis(spread + jitter)
}

/// The `Host` header of a URL.
fn host_of(url: &str) -> Result<String, AwsError> {
    let uri: http::Uri = url.parse().map_err(|_| AwsError::BadEndpoint(url.into()))?;
    uri.authority().map(|a| a.to_string()).ok_or_else(|| AwsError::BadEndpoint(url.into()))
}

/// Sends `call` signed with the environment's credentials, retrying per [`RETRY`]. Returns the
/// answer when it succeeds (2xx); the last error otherwise.
pub async fn send(call: &Call<'_>) -> Result<Answer, AwsError> {
    send_with(call, Credentials::from_env().as_ref(), &RETRY).await
}

/// [`send`] with given credentials and policy.
pub async fn send_with(
    call: &Call<'_>,
    credentials: Option<&Credentials>,
    policy: &RetryPolicy,
) -> Result<Answer, AwsError> {
    let creds = credentials.ok_or(AwsError::NoCredentials)?;
    let host = host_of(call.url)?;
    let mut last = AwsError::Http { attempts: 0, reason: "not sent".into() };
    for attempt in 0..policy.attempts.max(1) {
        if attempt > 0 {
            tokio::time::sleep(backoff(policy, attempt)).await;
        }
        let request = signed(call, creds, &host)?;
        let answer = tokio::time::timeout(policy.attempt_timeout, async {
            let resp = http_client().request(request).await.map_err(|e| e.to_string())?;
            let status = resp.status();
            let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
            Ok::<_, String>(Answer { status, body })
        })
        .await;
        match answer {
            Ok(Ok(a)) if a.status.is_success() => return Ok(a),
            Ok(Ok(a)) => {
                let body: String = String::from_utf8_lossy(&a.body).chars().take(300).collect();
                last = AwsError::Status { service: call.service, status: a.status.as_u16(), body };
                if !retryable(a.status, &a.body) {
                    return Err(last);
                }
            }
            Ok(Err(reason)) => last = AwsError::Http { attempts: attempt + 1, reason },
            Err(_) => {
                let reason = format!("no answer within {} s", policy.attempt_timeout.as_secs_f32());
                last = AwsError::Http { attempts: attempt + 1, reason };
            }
        }
    }
    Err(last)
}

/// The request of `call`, signed now.
fn signed(call: &Call<'_>, creds: &Credentials, host: &str) -> Result<http::Request<Full<Bytes>>, AwsError> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let amz_date = sigv4::amz_date(now);
    let payload_hash = sigv4::sha256_hex(&call.body);
    let mut headers: Vec<(&str, &str)> = vec![("host", host), ("x-amz-date", &amz_date)];
    if call.content_sha256 {
        headers.push(("x-amz-content-sha256", &payload_hash));
    }
    headers.extend(call.headers.iter().copied());
    if let Some(t) = &creds.session_token {
        headers.push(("x-amz-security-token", t));
    }
    let auth = sigv4::authorization(
        &SignRequest {
            method: call.method,
            path: call.path,
            query: call.query,
            headers: &headers,
            payload_hash: &payload_hash,
            amz_date: &amz_date,
            region: call.region,
            service: call.service,
        },
        creds,
    );
    let mut builder =
        http::Request::builder().method(call.method).uri(call.url).header("authorization", auth);
    for (k, v) in &headers {
        if *k != "host" {
            builder = builder.header(*k, *v);
        }
    }
    builder
        .body(Full::new(call.body.clone()))
        .map_err(|e| AwsError::Http { attempts: 0, reason: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_retried() {
        assert!(retryable(StatusCode::SERVICE_UNAVAILABLE, b"<Code>SlowDown</Code>"));
        assert!(retryable(StatusCode::INTERNAL_SERVER_ERROR, b""));
        assert!(retryable(StatusCode::TOO_MANY_REQUESTS, b"TooManyRequestsException"));
        assert!(retryable(StatusCode::BAD_REQUEST, br#"{"__type":"ThrottlingException"}"#));
        assert!(!retryable(StatusCode::BAD_REQUEST, br#"{"__type":"ParameterNotFound"}"#));
        assert!(!retryable(StatusCode::FORBIDDEN, b"AccessDenied"));
        assert!(!retryable(StatusCode::NOT_FOUND, b""));
    }

    #[test]
    fn backoff_grows_capped_with_jitter() {
        for attempt in 1..10 {
            let d = backoff(&RETRY, attempt);
            let exp = RETRY.base_delay.saturating_mul(1 << attempt).min(RETRY.max_delay);
            assert!(d >= exp / 2 && d <= exp, "attempt {attempt}: {d:?} of {exp:?}");
        }
    }
}
