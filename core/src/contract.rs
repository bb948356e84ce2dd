//! What a deployment (the generated Terraform, `cws run`, the local stage gateway) tells the
//! runtime, and how the runtime's own Lambda invocations are shaped: the names both sides use.
//! Available without the `analysis` feature, so the runtime reads the same names.

/// Origins browsers may call from, comma-separated (`*`: any). Set only when CORS is on.
pub const CORS_ORIGINS_ENV: &str = "CWS_CORS_ORIGINS";

/// Request headers browsers may send, comma-separated.
pub const CORS_HEADERS_ENV: &str = "CWS_CORS_HEADERS";

/// Seconds browsers may keep a preflight's answer.
pub const CORS_MAX_AGE_ENV: &str = "CWS_CORS_MAX_AGE";

/// The key of the payload a function sends to itself (Lambda `Invoke`, `InvocationType=Event`) to
/// run an asynchronous call: `{"cws_async": {"method", "path", "query", "headers", "body"
/// (base64), "request_id"}}`. API Gateway, function URLs and load balancers never send an event
/// of this shape.
pub const ASYNC_PAYLOAD_KEY: &str = "cws_async";

/// The largest payload Lambda accepts for an asynchronous invocation (1 MB), per its `Invoke` API.
pub const MAX_ASYNC_PAYLOAD: usize = 1024 * 1024;
