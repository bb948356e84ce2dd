//! A minimal S3 client (`PutObject`, `GetObject`, `ListObjectsV2`): SigV4-signed (see [`crate::sigv4`]), endpoint, region and
//! credentials from the standard AWS environment variables.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::sigv4::{self, Credentials, SignRequest};

/// Why an object could not be written.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    /// No credentials in the environment.
    #[error("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")]
    NoCredentials,
    /// The endpoint is not a URL.
    #[error("bad S3 endpoint `{0}`")]
    BadEndpoint(String),
    /// The request failed.
    #[error("S3 request failed: {0}")]
    Http(String),
    /// S3 answered an error.
    #[error("S3 answered {status}: {body}")]
    Status {
        /// The status.
        status: u16,
        /// The start of the answer.
        body: String,
    },
}

/// Where objects go: endpoint, region and credentials.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// A custom endpoint (`AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`): path-style URLs under it.
    /// `None`: AWS's `https://<bucket>.s3.<region>.amazonaws.com`.
    pub endpoint: Option<String>,
    /// `AWS_REGION`, `AWS_DEFAULT_REGION`, or `us-east-1`.
    pub region: String,
    /// The credentials.
    pub credentials: Option<Credentials>,
}

impl S3Config {
    /// The configuration of the standard AWS environment variables.
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        S3Config {
            endpoint: var("AWS_ENDPOINT_URL_S3").or_else(|| var("AWS_ENDPOINT_URL")),
            region: var("AWS_REGION")
                .or_else(|| var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".into()),
            credentials: Credentials::from_env(),
        }
    }

    /// The URL, `Host` header and canonical path of `bucket`/`key`.
    fn locate(&self, bucket: &str, key: &str) -> Result<(String, String, String), S3Error> {
        let key_path = sigv4::encode_path(&format!("/{}", key.trim_start_matches('/')));
        match &self.endpoint {
            Some(endpoint) => {
                let endpoint = endpoint.trim_end_matches('/');
                let uri: http::Uri = endpoint.parse().map_err(|_| S3Error::BadEndpoint(endpoint.into()))?;
                let host = uri.authority().ok_or_else(|| S3Error::BadEndpoint(endpoint.into()))?.to_string();
                let path =
                    format!("{}/{}{key_path}", uri.path().trim_end_matches('/'), sigv4::encode_path(bucket));
                let scheme = uri.scheme_str().unwrap_or("https");
                Ok((format!("{scheme}://{host}{path}"), host, path))
            }
            None => {
                let host = format!("{bucket}.s3.{}.amazonaws.com", self.region);
                Ok((format!("https://{host}{key_path}"), host, key_path))
            }
        }
    }

    /// Writes `body` to `bucket`/`key`.
    pub async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: Bytes,
        content_type: &str,
    ) -> Result<(), S3Error> {
        self.send("PUT", bucket, key, "", body, Some(content_type)).await.map(|_| ())
    }

    /// Reads `bucket`/`key`.
    pub async fn get_object(&self, bucket: &str, key: &str) -> Result<Bytes, S3Error> {
        self.send("GET", bucket, key, "", Bytes::new(), None).await
    }

    /// The keys of `bucket` (first 1,000).
    pub async fn list_keys(&self, bucket: &str) -> Result<Vec<String>, S3Error> {
        let xml = self.send("GET", bucket, "", "list-type=2", Bytes::new(), None).await?;
        let xml = String::from_utf8_lossy(&xml);
        Ok(xml.split("<Key>").skip(1).filter_map(|s| s.split("</Key>").next()).map(str::to_string).collect())
    }

    /// One signed request; the answer's body when it succeeds. `query` is canonical (sorted, encoded).
    async fn send(
        &self,
        method: &str,
        bucket: &str,
        key: &str,
        query: &str,
        body: Bytes,
        content_type: Option<&str>,
    ) -> Result<Bytes, S3Error> {
        let creds = self.credentials.as_ref().ok_or(S3Error::NoCredentials)?;
        let (mut url, host, path) = self.locate(bucket, key)?;
        if !query.is_empty() {
            url = format!("{url}?{query}");
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let amz_date = sigv4::amz_date(now);
        let payload_hash = sigv4::sha256_hex(&body);
        let mut headers: Vec<(&str, &str)> =
            vec![("host", &host), ("x-amz-content-sha256", &payload_hash), ("x-amz-date", &amz_date)];
        if let Some(ct) = content_type {
            headers.push(("content-type", ct));
        }
        if let Some(t) = &creds.session_token {
            headers.push(("x-amz-security-token", t));
        }
        let auth = sigv4::authorization(
            &SignRequest {
                method,
                path: &path,
                query,
                headers: &headers,
                payload_hash: &payload_hash,
                amz_date: &amz_date,
                region: &self.region,
                service: "s3",
            },
            creds,
        );
        let mut builder = http::Request::builder().method(method).uri(&url).header("authorization", auth);
        for (k, v) in &headers {
            if *k != "host" {
                builder = builder.header(*k, *v);
            }
        }
        let request = builder.body(Full::new(body)).map_err(|e| S3Error::Http(e.to_string()))?;
        let resp = http_client().request(request).await.map_err(|e| S3Error::Http(e.to_string()))?;
        let status = resp.status();
        let body = resp
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .map_err(|e| S3Error::Http(e.to_string()))?;
        if status.is_success() {
            return Ok(body);
        }
        let body = String::from_utf8_lossy(&body).chars().take(300).collect();
        Err(S3Error::Status { status: status.as_u16(), body })
    }
}

/// An HTTP client for AWS endpoints: `https://` (rustls, webpki roots) and plain `http://` (emulators).
pub(crate) fn http_client(
) -> Client<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>, Full<Bytes>> {
    let https =
        hyper_rustls::HttpsConnectorBuilder::new().with_webpki_roots().https_or_http().enable_http1().build();
    Client::builder(TokioExecutor::new()).build(https)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_style_under_custom_endpoints_and_virtual_hosts_on_aws() {
        let mut c = S3Config {
            endpoint: Some("http://127.0.0.1:5000/".into()),
            region: "eu-west-1".into(),
            credentials: None,
        };
        let (url, host, path) = c.locate("results", "calls/a b.json").unwrap();
        assert_eq!(url, "http://127.0.0.1:5000/results/calls/a%20b.json");
        assert_eq!((host.as_str(), path.as_str()), ("127.0.0.1:5000", "/results/calls/a%20b.json"));
        c.endpoint = None;
        let (url, host, _) = c.locate("results", "k").unwrap();
        assert_eq!(url, "https://results.s3.eu-west-1.amazonaws.com/k");
        assert_eq!(host, "results.s3.eu-west-1.amazonaws.com");
    }
}
