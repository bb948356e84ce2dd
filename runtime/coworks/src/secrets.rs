//! Secrets of a deployed service: `cws deploy` stores the stage's `*.secret` variables as SSM
//! SecureString parameters and gives the function `CWS_SECRET_PARAMETERS=KEY=/name,...`; at start the
//! runtime reads each with `ssm:GetParameter` (SigV4-signed, endpoint `AWS_ENDPOINT_URL_SSM` or
//! `AWS_ENDPOINT_URL`) and sets `KEY` in its environment. Values are never logged.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};

use crate::sigv4::{self, Credentials, SignRequest};

/// The variable naming the parameters to read.
pub const SECRETS_ENV: &str = "CWS_SECRET_PARAMETERS";

/// Why a secret could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// No credentials in the environment.
    #[error("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")]
    NoCredentials,
    /// The request failed.
    #[error("SSM request failed: {0}")]
    Http(String),
    /// SSM answered an error (the answer names the parameter, never its value).
    #[error("SSM answered {0}")]
    Status(u16),
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

/// One SSM JSON call (`AmazonSSM.<Action>`), SigV4-signed with the environment's credentials.
pub async fn ssm_call(target: &str, payload: &Value) -> Result<Value, SecretError> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let creds = Credentials::from_env().ok_or(SecretError::NoCredentials)?;
    let region =
        var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")).unwrap_or_else(|| "us-east-1".into());
    let endpoint = var("AWS_ENDPOINT_URL_SSM")
        .or_else(|| var("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| format!("https://ssm.{region}.amazonaws.com"));
    let endpoint = endpoint.trim_end_matches('/').to_string();
    let uri: http::Uri =
        endpoint.parse().map_err(|_| SecretError::Http(format!("bad endpoint {endpoint}")))?;
    let host = uri.authority().map(|a| a.to_string()).unwrap_or_default();
    let body = Bytes::from(payload.to_string());
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let amz_date = sigv4::amz_date(now);
    let payload_hash = sigv4::sha256_hex(&body);
    let mut headers: Vec<(&str, &str)> = vec![
        ("host", &host),
        ("content-type", "application/x-amz-json-1.1"),
        ("x-amz-date", &amz_date),
        ("x-amz-target", target),
    ];
    if let Some(t) = &creds.session_token {
        headers.push(("x-amz-security-token", t));
    }
    let sign = SignRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        payload_hash: &payload_hash,
        amz_date: &amz_date,
        region: &region,
        service: "ssm",
    };
    let mut builder = http::Request::post(format!("{endpoint}/"))
        .header("authorization", sigv4::authorization(&sign, &creds));
    for (k, v) in &headers {
        if *k != "host" {
            builder = builder.header(*k, *v);
        }
    }
    let request = builder.body(Full::new(body)).map_err(|e| SecretError::Http(e.to_string()))?;
    let resp =
        crate::s3::http_client().request(request).await.map_err(|e| SecretError::Http(e.to_string()))?;
    let status = resp.status();
    let bytes = resp.into_body().collect().await.map_err(|e| SecretError::Http(e.to_string()))?.to_bytes();
    if !status.is_success() {
        return Err(SecretError::Status(status.as_u16()));
    }
    serde_json::from_slice(&bytes).map_err(|_| SecretError::NoValue)
}

/// Reads the parameters named by `CWS_SECRET_PARAMETERS` and sets them as environment variables.
/// Call before any other thread starts. A secret that cannot be read is reported on stderr (its
/// name and the error) and left unset: a missing `TOKEN` then refuses protected entries.
pub fn load_into_env() {
    let Ok(list) = std::env::var(SECRETS_ENV) else { return };
    let pairs = parse_list(&list);
    if pairs.is_empty() {
        return;
    }
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("secrets not read: {e}");
            return;
        }
    };
    let values: Vec<(String, Result<String, SecretError>)> = rt.block_on(async {
        let mut out = Vec::new();
        for (key, name) in &pairs {
            out.push((key.clone(), get_parameter(name).await));
        }
        out
    });
    drop(rt);
    for ((key, name), (_, value)) in pairs.iter().zip(values) {
        match value {
            Ok(v) => std::env::set_var(key, v),
            Err(e) => eprintln!("secret {key} (SSM parameter {name}) not read: {e}"),
        }
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
