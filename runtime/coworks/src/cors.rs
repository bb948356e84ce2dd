//! CORS as deployed: with `CWS_CORS_ORIGINS` set (by the generated Terraform, `cws run` and the
//! local stage gateway, from the `cors` option), every answer of the service carries
//! `Access-Control-Allow-Origin` — 200s and 401/403/422/500 alike, and the 202 of asynchronous
//! calls — and a preflight (`OPTIONS` of a path without an `OPTIONS` entry) is answered `204` with
//! the allowed methods, headers and max age.
//!
//! Origins: `*` allows any; one origin is always named (as API Gateway's own answers name it);
//! among several, the request's `Origin` is echoed when listed, with `Vary: Origin`.

use coworks_core::contract::{CORS_HEADERS_ENV, CORS_MAX_AGE_ENV, CORS_ORIGINS_ENV};
use http::header::{
    HeaderValue, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_MAX_AGE, ORIGIN, VARY,
};
use http::{HeaderMap, StatusCode};

use crate::response::{self, Response};

/// The CORS settings a service answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    /// Allowed origins; `*` among them: any.
    pub origins: Vec<String>,
    /// Request headers browsers may send (`Access-Control-Allow-Headers`).
    pub headers: String,
    /// Seconds a preflight's answer may be kept (`Access-Control-Max-Age`).
    pub max_age: String,
}

impl Cors {
    /// The settings of the environment; `None` when CORS is off (`CWS_CORS_ORIGINS` unset or empty).
    pub fn from_env() -> Option<Cors> {
        let var = |k: &str| std::env::var(k).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let origins: Vec<String> = var(CORS_ORIGINS_ENV)?
            .split(',')
            .map(|o| o.trim().to_string())
            .filter(|o| !o.is_empty())
            .collect();
        if origins.is_empty() {
            return None;
        }
        Some(Cors {
            origins,
            headers: var(CORS_HEADERS_ENV).unwrap_or_default(),
            max_age: var(CORS_MAX_AGE_ENV).unwrap_or_default(),
        })
    }

    /// The `Access-Control-Allow-Origin` for a request's origin, and whether it depends on it.
    fn allow_origin(&self, origin: Option<&str>) -> (Option<String>, bool) {
        if self.origins.iter().any(|o| o == "*") {
            return (Some("*".into()), false);
        }
        match self.origins.as_slice() {
            [one] => (Some(one.clone()), false),
            several => (origin.filter(|o| several.iter().any(|s| s == o)).map(str::to_string), true),
        }
    }

    /// Adds the CORS headers to an answer to a request with `request_headers`.
    pub fn decorate(&self, request_headers: &HeaderMap, r: &mut Response) {
        self.decorate_for(request_headers.get(ORIGIN), r);
    }

    /// Adds the CORS headers to an answer to a request whose `Origin` header is `origin`.
    pub fn decorate_for(&self, origin: Option<&HeaderValue>, r: &mut Response) {
        let origin = origin.and_then(|v| v.to_str().ok());
        let (allow, varies) = self.allow_origin(origin);
        if let Some(v) = allow.and_then(|a| HeaderValue::from_str(&a).ok()) {
            r.headers_mut().insert(ACCESS_CONTROL_ALLOW_ORIGIN, v);
        }
        if varies {
            r.headers_mut().append(VARY, HeaderValue::from_static("Origin"));
        }
    }

    /// The answer to a preflight of a path answering `methods`.
    pub fn preflight(&self, request_headers: &HeaderMap, methods: &[&str]) -> Response {
        let mut r = response::build(StatusCode::NO_CONTENT, None, bytes::Bytes::new());
        let mut allowed: Vec<&str> = methods.to_vec();
        if !allowed.contains(&"OPTIONS") {
            allowed.push("OPTIONS");
        }
        for (name, value) in [
            (ACCESS_CONTROL_ALLOW_METHODS, allowed.join(",")),
            (ACCESS_CONTROL_ALLOW_HEADERS, self.headers.clone()),
            (ACCESS_CONTROL_MAX_AGE, self.max_age.clone()),
        ] {
            if let Ok(v) = HeaderValue::from_str(&value) {
                if !value.is_empty() {
                    r.headers_mut().insert(name, v);
                }
            }
        }
        self.decorate(request_headers, &mut r);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors(origins: &[&str]) -> Cors {
        Cors {
            origins: origins.iter().map(|o| o.to_string()).collect(),
            headers: "Content-Type,Authorization".into(),
            max_age: "600".into(),
        }
    }

    fn with_origin(o: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(ORIGIN, HeaderValue::from_str(o).expect("origin"));
        h
    }

    fn allow(c: &Cors, request: &HeaderMap) -> (Option<String>, Option<String>) {
        let mut r = response::not_found();
        c.decorate(request, &mut r);
        let get = |k| r.headers().get(k).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::to_string);
        (get(ACCESS_CONTROL_ALLOW_ORIGIN), get(VARY))
    }

    #[test]
    fn origins_any_one_several() {
        assert_eq!(allow(&cors(&["*"]), &HeaderMap::new()), (Some("*".into()), None));
        assert_eq!(allow(&cors(&["https://a"]), &with_origin("https://b")), (Some("https://a".into()), None));
        let two = cors(&["https://a", "https://b"]);
        assert_eq!(allow(&two, &with_origin("https://b")), (Some("https://b".into()), Some("Origin".into())));
        assert_eq!(allow(&two, &with_origin("https://evil")), (None, Some("Origin".into())));
        assert_eq!(allow(&two, &HeaderMap::new()), (None, Some("Origin".into())));
    }

    #[test]
    fn preflights_name_methods_headers_and_max_age() {
        let r = cors(&["*"]).preflight(&with_origin("https://a"), &["GET", "DELETE"]);
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let h = |k| r.headers().get(k).and_then(|v: &HeaderValue| v.to_str().ok()).unwrap_or("");
        assert_eq!(h(ACCESS_CONTROL_ALLOW_METHODS), "GET,DELETE,OPTIONS");
        assert_eq!(h(ACCESS_CONTROL_ALLOW_HEADERS), "Content-Type,Authorization");
        assert_eq!((h(ACCESS_CONTROL_MAX_AGE), h(ACCESS_CONTROL_ALLOW_ORIGIN)), ("600", "*"));
    }
}
