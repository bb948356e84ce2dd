//! What entries return: [`IntoResponse`] for text, [`Json`], bytes, `()`, [`StatusCode`],
//! `(StatusCode, body)` and `Result<_, E>`; the [`Error`] type mapping to statuses.

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::StatusCode;
use serde::Serialize;

/// An HTTP response with its whole body.
pub type Response = http::Response<Bytes>;

/// Content type of text responses.
pub const TEXT: &str = "text/plain; charset=utf-8";
/// Content type of JSON responses.
pub const JSON: &str = "application/json";
/// Content type of byte responses without `binary_headers`.
pub const OCTETS: &str = "application/octet-stream";

/// A JSON response (or, as a parameter type, a JSON value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Json<T>(pub T);

/// Turns an entry's return value into a response.
pub trait IntoResponse {
    /// The response.
    fn into_response(self) -> Response;
}

/// A response with `status`, `content_type` and `body`.
pub fn build(status: StatusCode, content_type: Option<&'static str>, body: Bytes) -> Response {
    let mut r = http::Response::new(body);
    *r.status_mut() = status;
    if let Some(ct) = content_type {
        r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    r
}

/// A JSON response with `status`.
pub fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    build(status, Some(JSON), Bytes::from(value.to_string()))
}

/// `404 {"error": "no such route"}`.
pub fn not_found() -> Response {
    json(StatusCode::NOT_FOUND, &serde_json::json!({ "error": "no such route" }))
}

/// Sets the content type (for `binary_headers` entries); non-success responses keep theirs.
pub fn with_content_type(mut r: Response, content_type: &str) -> Response {
    if r.status().is_success() && !r.body().is_empty() {
        if let Ok(v) = HeaderValue::from_str(content_type) {
            r.headers_mut().insert(CONTENT_TYPE, v);
        }
    }
    r
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for &str {
    fn into_response(self) -> Response {
        build(StatusCode::OK, Some(TEXT), Bytes::copy_from_slice(self.as_bytes()))
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        build(StatusCode::OK, Some(TEXT), Bytes::from(self))
    }
}

impl IntoResponse for Vec<u8> {
    fn into_response(self) -> Response {
        build(StatusCode::OK, Some(OCTETS), Bytes::from(self))
    }
}

impl IntoResponse for Bytes {
    fn into_response(self) -> Response {
        build(StatusCode::OK, Some(OCTETS), self)
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Response {
        build(StatusCode::NO_CONTENT, None, Bytes::new())
    }
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        build(self, None, Bytes::new())
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => build(StatusCode::OK, Some(JSON), Bytes::from(body)),
            Err(e) => Error::internal(format!("cannot serialise the response: {e}")).into_response(),
        }
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, T) {
    fn into_response(self) -> Response {
        let mut r = self.1.into_response();
        *r.status_mut() = self.0;
        r
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(v) => v.into_response(),
            Err(e) => e.into_response(),
        }
    }
}

/// An entry's error: a status and a message for the client. `internal` errors are answered
/// `500` with the request id only; their message goes to the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {message}")]
pub struct Error {
    /// The status answered.
    pub status: StatusCode,
    /// What went wrong (shown to the client, except for 5xx).
    pub message: String,
}

impl Error {
    /// An error with any status.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Error { status, message: message.into() }
    }
    /// 500; the message is logged, not sent.
    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Error::new(StatusCode::NOT_FOUND, message)
    }
    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Error::new(StatusCode::BAD_REQUEST, message)
    }
    /// 403.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Error::new(StatusCode::FORBIDDEN, message)
    }
    /// 409.
    pub fn conflict(message: impl Into<String>) -> Self {
        Error::new(StatusCode::CONFLICT, message)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            // The router replaces the body with the request id; the message is only logged.
            tracing::error!(
                status = self.status.as_u16(),
                "error answered as `internal error`: {}",
                self.message
            );
            return build(self.status, Some(JSON), Bytes::new());
        }
        json(self.status, &serde_json::json!({ "error": self.message }))
    }
}
