//! Any header and cookie on an answer: [`WithHeaders`], made from any entry's return value by
//! [`AnswerExt`]:
//!
//! ```
//! use coworks::prelude::*;
//! use coworks::{Cookie, WithHeaders};
//!
//! fn get_report() -> WithHeaders {
//!     b"%PDF-1.7".to_vec()
//!         .with_header("content-disposition", "attachment; filename=\"report.pdf\"")
//!         .with_header("cache-control", "private, max-age=60")
//!         .with_cookie(Cookie::build(("seen", "1")).path("/").http_only(true))
//!         .with_cookie(Cookie::new("theme", "dark"))
//! }
//! let r = get_report().into_response();
//! assert_eq!(r.headers().get_all("set-cookie").iter().count(), 2);
//! ```
//!
//! A header name or value that HTTP cannot carry is the service's mistake: the answer becomes a
//! `500` (the detail logged). Every face keeps each `Set-Cookie` apart: local HTTP, API Gateway REST
//! (`multiValueHeaders`), HTTP API and function URLs (`cookies`), ALB with multi-value headers; an
//! ALB target group without them carries one value per header (the last cookie).

use http::header::{HeaderName, HeaderValue, SET_COOKIE};

pub use cookie::Cookie;

use crate::response::{Error, IntoResponse, Response};

/// An answer with headers and cookies added (see the module's documentation).
#[derive(Debug)]
pub struct WithHeaders {
    response: Response,
    mistake: Option<String>,
}

impl WithHeaders {
    /// Sets `name` to `value` (replacing earlier values of `name`).
    pub fn with_header(self, name: &str, value: &str) -> WithHeaders {
        self.header(name, value, false)
    }
    /// Adds a value of `name` (keeping earlier ones: `Link`, `Vary`, ...).
    pub fn append_header(self, name: &str, value: &str) -> WithHeaders {
        self.header(name, value, true)
    }
    /// Adds a `Set-Cookie` header for `cookie` (several cookies, several headers).
    pub fn with_cookie(self, cookie: impl Into<Cookie<'static>>) -> WithHeaders {
        let cookie: Cookie<'static> = cookie.into();
        self.header(SET_COOKIE.as_str(), &cookie.to_string(), true)
    }

    fn header(mut self, name: &str, value: &str, append: bool) -> WithHeaders {
        if self.mistake.is_some() {
            return self;
        }
        match (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            (Ok(n), Ok(v)) if append => {
                self.response.headers_mut().append(n, v);
            }
            (Ok(n), Ok(v)) => {
                self.response.headers_mut().insert(n, v);
            }
            (Err(e), _) => self.mistake = Some(format!("header name `{}`: {e}", name.escape_debug())),
            (_, Err(e)) => self.mistake = Some(format!("value of header `{}`: {e}", name.escape_debug())),
        }
        self
    }
}

impl IntoResponse for WithHeaders {
    fn into_response(self) -> Response {
        match self.mistake {
            Some(why) => Error::internal(format!("the entry's answer has an invalid {why}")).into_response(),
            None => self.response,
        }
    }
}

/// Adds headers and cookies to any return value of an entry.
pub trait AnswerExt: IntoResponse + Sized {
    /// The answer with `name` set to `value`.
    fn with_header(self, name: &str, value: &str) -> WithHeaders {
        WithHeaders { response: self.into_response(), mistake: None }.with_header(name, value)
    }
    /// The answer with another value of `name`.
    fn append_header(self, name: &str, value: &str) -> WithHeaders {
        WithHeaders { response: self.into_response(), mistake: None }.append_header(name, value)
    }
    /// The answer with a `Set-Cookie` header for `cookie`.
    fn with_cookie(self, cookie: impl Into<Cookie<'static>>) -> WithHeaders {
        WithHeaders { response: self.into_response(), mistake: None }.with_cookie(cookie)
    }
}

impl<T: IntoResponse> AnswerExt for T {}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    #[test]
    fn headers_cookies_and_mistakes() {
        let r = "x"
            .with_header("Cache-Control", "no-store")
            .append_header("vary", "a")
            .append_header("vary", "b")
            .with_cookie(Cookie::build(("sid", "abc")).http_only(true).path("/"))
            .with_cookie(("theme", "dark"))
            .into_response();
        assert_eq!(r.headers()["cache-control"], "no-store");
        assert_eq!(r.headers().get_all("vary").iter().count(), 2);
        let cookies: Vec<_> = r.headers().get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap()).collect();
        assert_eq!(cookies, ["sid=abc; HttpOnly; Path=/", "theme=dark"]);
        assert_eq!(r.body().as_ref(), b"x");
        let bad = "x".with_header("bad name", "v").with_header("ok", "v").into_response();
        assert_eq!(bad.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            "x".with_header("a", "line\nbreak").into_response().status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
