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

/// How the function answers API Gateway's REQUEST authorizer events: `simple` (`{"isAuthorized":
/// bool}`, an HTTP API authorizer with simple responses, which the generator sets for `api: http`)
/// or `policy` (an IAM policy). Unset: by the event (payload 2.0 `simple`, else `policy`). TOKEN
/// events, which only REST APIs send, are always answered with a policy.
pub const AUTHORIZER_RESPONSE_ENV: &str = "CWS_AUTHORIZER_RESPONSE";

/// The answer format `simple` of [`AUTHORIZER_RESPONSE_ENV`].
pub const AUTHORIZER_SIMPLE: &str = "simple";

/// The base path an HTTP API is mapped under on a custom domain (`billing`): payload 2.0 events
/// keep it in `rawPath` (`/billing/invoices`), so the runtime takes it off when a request's path
/// starts with it. Set only for `api: http` services mapped under a base path.
pub const BASE_PATH_ENV: &str = "CWS_BASE_PATH";

/// The request header asking for an asynchronous call: `InvocationType: Event`.
pub const INVOCATION_TYPE_HEADER: &str = "InvocationType";

/// The request header naming the S3 bucket of an asynchronous call's record.
pub const RESULT_BUCKET_HEADER: &str = "X-CWS-S3Bucket";

/// The request header naming the S3 key of an asynchronous call's record.
pub const RESULT_KEY_HEADER: &str = "X-CWS-S3Key";
