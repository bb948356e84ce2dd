//! Parameter extraction: path segments and query values through `FromStr`, the body through serde
//! (JSON, or form data). A failure is a [`Rejection`]: `422` JSON naming the parameter and the type.

use std::str::FromStr;

use bytes::Bytes;
use http::StatusCode;
use serde::de::DeserializeOwned;

use crate::response::{self, Response};

/// The values of one request that the generated dispatcher reads.
#[derive(Debug, Clone, Default)]
pub struct Input {
    /// The `{params}` of the matched route, percent-decoded, in order.
    pub path: Vec<String>,
    /// The query string's pairs, decoded, in order.
    pub query: Vec<(String, String)>,
    /// The request's `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body.
    pub body: Bytes,
}

/// Why a parameter could not be read: answered `422 Unprocessable Entity`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The parameter (or query key) concerned.
    pub parameter: String,
    /// Where it was looked for: `path`, `query` or `body`.
    pub source: &'static str,
    /// The expected Rust type, as written.
    pub expected: String,
    /// What is wrong.
    pub message: String,
}

impl Rejection {
    /// The `422` response.
    pub fn into_response(self) -> Response {
        response::json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &serde_json::json!({
                "error": "invalid parameter",
                "parameter": self.parameter,
                "in": self.source,
                "expected": self.expected,
                "message": self.message,
            }),
        )
    }
}

fn reject(name: &str, source: &'static str, expected: &str, message: String) -> Rejection {
    Rejection { parameter: name.to_string(), source, expected: expected.to_string(), message }
}

/// Path parameter number `index`, parsed with `FromStr`.
pub fn path<T: FromStr>(input: &Input, index: usize, name: &str, ty: &str) -> Result<T, Rejection>
where
    T::Err: std::fmt::Display,
{
    let raw = input.path.get(index).map(String::as_str).unwrap_or("");
    raw.parse::<T>()
        .map_err(|e| reject(name, "path", ty, format!("path parameter `{name}` must be {ty}: `{raw}`: {e}")))
}

fn query_values<'a>(input: &'a Input, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    input.query.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn parse_query<T: FromStr>(raw: &str, name: &str, ty: &str) -> Result<T, Rejection>
where
    T::Err: std::fmt::Display,
{
    raw.parse::<T>().map_err(|e| {
        reject(name, "query", ty, format!("query parameter `{name}` must be {ty}: `{raw}`: {e}"))
    })
}

/// A required query parameter (given exactly once).
pub fn query_one<T: FromStr>(input: &Input, name: &str, ty: &str) -> Result<T, Rejection>
where
    T::Err: std::fmt::Display,
{
    let mut values = query_values(input, name);
    match (values.next(), values.next()) {
        (Some(v), None) => parse_query(v, name, ty),
        (None, _) => Err(reject(name, "query", ty, format!("query parameter `{name}` ({ty}) is required"))),
        (Some(_), Some(_)) => {
            Err(reject(name, "query", ty, format!("query parameter `{name}` ({ty}) is given more than once")))
        }
    }
}

/// An optional query parameter (`Option<T>`): absent is `None`, given twice is an error.
pub fn query_opt<T: FromStr>(input: &Input, name: &str, ty: &str) -> Result<Option<T>, Rejection>
where
    T::Err: std::fmt::Display,
{
    let mut values = query_values(input, name);
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(v), None) => parse_query(v, name, ty).map(Some),
        (Some(_), Some(_)) => {
            Err(reject(name, "query", ty, format!("query parameter `{name}` ({ty}) is given more than once")))
        }
    }
}

/// A repeated query parameter (`Vec<T>`: `?tag=a&tag=b`); absent is empty.
pub fn query_vec<T: FromStr>(input: &Input, name: &str, ty: &str) -> Result<Vec<T>, Rejection>
where
    T::Err: std::fmt::Display,
{
    query_values(input, name).map(|v| parse_query(v, name, ty)).collect()
}

/// The body: form data when the content type is `application/x-www-form-urlencoded`, JSON otherwise.
pub fn body<T: DeserializeOwned>(input: &Input, name: &str, ty: &str) -> Result<T, Rejection> {
    let form = input.content_type.as_deref().is_some_and(|ct| {
        ct.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded")
    });
    if form {
        return serde_urlencoded::from_bytes(&input.body)
            .map_err(|e| reject(name, "body", ty, format!("form body `{name}` must be {ty}: {e}")));
    }
    if input.body.is_empty() {
        return Err(reject(name, "body", ty, format!("a JSON body `{name}` ({ty}) is required")));
    }
    serde_json::from_slice(&input.body)
        .map_err(|e| reject(name, "body", ty, format!("JSON body `{name}` must be {ty}: {e}")))
}

/// An optional body (`#[body] x: Option<T>`): `None` when the request has no body, else [`body`].
pub fn body_opt<T: DeserializeOwned>(input: &Input, name: &str, ty: &str) -> Result<Option<T>, Rejection> {
    if input.body.is_empty() {
        return Ok(None);
    }
    body(input, name, ty).map(Some)
}

pub use crate::multipart::read as multipart;

/// Percent-decodes a path segment; `None` when it is not UTF-8.
pub fn decode_segment(seg: &str) -> Option<String> {
    percent_encoding::percent_decode_str(seg).decode_utf8().ok().map(|s| s.into_owned())
}

/// Decodes a query string into pairs (`+` is a space).
pub fn parse_query_string(query: Option<&str>) -> Vec<(String, String)> {
    match query {
        Some(q) if !q.is_empty() => {
            serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(query: &str) -> Input {
        Input { query: parse_query_string(Some(query)), ..Input::default() }
    }

    #[test]
    fn query_shapes() {
        let i = input("page=2&tag=a&tag=b%20c&q=x+y");
        assert_eq!(query_opt::<u32>(&i, "page", "Option<u32>"), Ok(Some(2)));
        assert_eq!(query_opt::<u32>(&i, "none", "Option<u32>"), Ok(None));
        assert_eq!(query_vec::<String>(&i, "tag", "Vec<String>").unwrap(), ["a", "b c"]);
        assert_eq!(query_one::<String>(&i, "q", "String").unwrap(), "x y");
        let e = query_vec::<u8>(&i, "tag", "Vec<u8>").unwrap_err();
        assert_eq!((e.parameter.as_str(), e.expected.as_str()), ("tag", "Vec<u8>"));
        assert!(query_one::<u32>(&i, "tag", "u32").unwrap_err().message.contains("more than once"));
        assert!(query_one::<u32>(&i, "missing", "u32").unwrap_err().message.contains("required"));
    }

    #[test]
    fn path_and_body() {
        let i = Input { path: vec!["42".into(), "x".into()], ..Input::default() };
        assert_eq!(path::<u64>(&i, 0, "id", "u64"), Ok(42));
        let e = path::<u64>(&i, 1, "id", "u64").unwrap_err();
        assert!(e.message.contains("must be u64"), "{}", e.message);
        let mut i = Input { body: Bytes::from_static(b"{\"a\":1}"), ..Input::default() };
        assert_eq!(body::<serde_json::Value>(&i, "b", "Value").unwrap()["a"], 1);
        i.body = Bytes::from_static(b"{oops");
        assert_eq!(body::<serde_json::Value>(&i, "b", "Value").unwrap_err().source, "body");
        i.content_type = Some("application/x-www-form-urlencoded".into());
        i.body = Bytes::from_static(b"a=1&b=two");
        let m: std::collections::BTreeMap<String, String> = body(&i, "b", "Map").unwrap();
        assert_eq!(m["b"], "two");
        assert_eq!(decode_segment("a%20b").as_deref(), Some("a b"));
    }
}
