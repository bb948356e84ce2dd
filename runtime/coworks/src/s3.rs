//! A minimal S3 client (`PutObject`, `GetObject`, `ListObjectsV2`) on the process's AWS client
//! ([`crate::aws`]: one connection pool, SigV4, timeouts, retries); endpoint, region and credentials
//! from the standard AWS environment variables.

use bytes::Bytes;

use crate::aws::{self, AwsError, Call};
use crate::sigv4::{self, Credentials};

/// Why an S3 call failed.
pub type S3Error = AwsError;

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
        S3Config {
            endpoint: aws::custom_endpoint("s3"),
            region: aws::region(),
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
        let (mut url, _, path) = self.locate(bucket, key)?;
        if !query.is_empty() {
            url = format!("{url}?{query}");
        }
        let headers: Vec<(&str, &str)> = content_type.map(|ct| ("content-type", ct)).into_iter().collect();
        let call = Call {
            service: "s3",
            region: &self.region,
            method,
            url: &url,
            path: &path,
            query,
            headers: &headers,
            body,
            content_sha256: true,
        };
        aws::send_with(&call, self.credentials.as_ref(), &aws::RETRY).await.map(|a| a.body)
    }
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
