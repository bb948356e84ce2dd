//! Secrets of a deployed service: `cws deploy` stores the stage's `*.secret` variables as SSM
//! SecureString parameters and gives the function `CWS_SECRET_PARAMETERS=KEY=/name,...`; at start the
//! runtime reads each with `ssm:GetParameter` (SigV4-signed, endpoint `AWS_ENDPOINT_URL_SSM` or
//! `AWS_ENDPOINT_URL`) and sets `KEY` in its environment; a secret that cannot be read fails the
//! start. Values are never logged.

use bytes::Bytes;
use serde_json::{json, Value};

use crate::aws::{self, AwsError, Call};

/// The variable naming the parameters to read.
pub const SECRETS_ENV: &str = "CWS_SECRET_PARAMETERS";

/// Why a secret could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The call failed (after its retries); SSM's answers name the parameter, never its value.
    #[error("SSM: {0}")]
    Aws(#[from] AwsError),
    /// The answer holds no value.
    #[error("SSM's answer has no parameter value")]
    NoValue,
}

/// `KEY=/name,OTHER=/name2` → pairs; malformed items are skipped.
pub fn parse_list(list: &str) -> Vec<(String, String)> {
    list.split(',')
        .filter_map(|item| item.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .collect()
}

/// Reads one SSM parameter, decrypted.
pub async fn get_parameter(name: &str) -> Result<String, SecretError> {
    let v = ssm_call("AmazonSSM.GetParameter", &json!({ "Name": name, "WithDecryption": true })).await?;
    v.pointer("/Parameter/Value").and_then(Value::as_str).map(str::to_string).ok_or(SecretError::NoValue)
}

/// One SSM JSON call (`AmazonSSM.<Action>`), signed with the environment's credentials, on the
/// process's AWS client (timeouts, retries on throttling and 5xx).
pub async fn ssm_call(target: &str, payload: &Value) -> Result<Value, SecretError> {
    let region = aws::region();
    let url = format!("{}/", aws::endpoint("ssm", &region));
    let headers = [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", target)];
    let call = Call {
        service: "ssm",
        region: &region,
        method: "POST",
        url: &url,
        path: "/",
        query: "",
        headers: &headers,
        body: Bytes::from(payload.to_string()),
        content_sha256: false,
    };
    let answer = aws::send(&call).await?;
    serde_json::from_slice(&answer.body).map_err(|_| SecretError::NoValue)
}

/// Reads the parameters named by `CWS_SECRET_PARAMETERS` (each with the client's retries) and sets
/// them as environment variables. Call before any other thread starts. Fails, naming each secret
/// that could not be read (never a value), when one cannot: the function's initialisation then
/// fails and Lambda starts a new instance for the next call, rather than keeping one that refuses
/// every protected call.
pub fn load_into_env() -> Result<(), String> {
    let Ok(list) = std::env::var(SECRETS_ENV) else { return Ok(()) };
    let pairs = parse_list(&list);
    if pairs.is_empty() {
        return Ok(());
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("secrets not read: cannot start the async runtime: {e}"))?;
    let values: Vec<Result<String, SecretError>> = rt.block_on(async {
        let mut out = Vec::new();
        for (_, name) in &pairs {
            out.push(get_parameter(name).await);
        }
        out
    });
    drop(rt);
    let mut failed = Vec::new();
    for ((key, name), value) in pairs.iter().zip(values) {
        match value {
            Ok(v) => std::env::set_var(key, v),
            Err(e) => failed.push(format!("secret {key} (SSM parameter {name}) not read: {e}")),
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; "))
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_lists() {
        assert_eq!(
            parse_list("TOKEN=/eshop/prod/billing/TOKEN, API=/x ,bad,=y"),
            [("TOKEN".to_string(), "/eshop/prod/billing/TOKEN".to_string()), ("API".into(), "/x".into())]
        );
    }
}
