//! The project model: services, entries, routes, parameters. Plain data, serialisable.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::text::Span;

/// An HTTP method an entry answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
    /// OPTIONS
    Options,
}

impl HttpMethod {
    /// Every method, in the order of the naming rule.
    pub const ALL: [HttpMethod; 6] = [
        HttpMethod::Get,
        HttpMethod::Post,
        HttpMethod::Put,
        HttpMethod::Patch,
        HttpMethod::Delete,
        HttpMethod::Options,
    ];

    /// `GET`, `POST`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
            HttpMethod::Options => "OPTIONS",
        }
    }

    /// The verb prefix of entry names: `get`, `post`, ...
    pub fn prefix(self) -> &'static str {
        match self {
            HttpMethod::Get => "get",
            HttpMethod::Post => "post",
            HttpMethod::Put => "put",
            HttpMethod::Patch => "patch",
            HttpMethod::Delete => "delete",
            HttpMethod::Options => "options",
        }
    }

    /// Whether API Gateway forwards a request body for this method.
    pub fn carries_body(self) -> bool {
        !matches!(self, HttpMethod::Get | HttpMethod::Delete)
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HttpMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HttpMethod::ALL.into_iter().find(|m| m.as_str().eq_ignore_ascii_case(s)).ok_or_else(|| {
            format!("unknown HTTP method `{s}` (use GET, POST, PUT, PATCH, DELETE or OPTIONS)")
        })
    }
}

/// A method and a path template such as `/invoice/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Route {
    /// The HTTP method.
    pub method: HttpMethod,
    /// The path template, starting with `/`; parameters as `{name}`.
    pub path: String,
}

impl Route {
    /// The names of the `{params}` of the path, in order.
    pub fn path_params(&self) -> Vec<&str> {
        template_params(&self.path)
    }

    /// The route with parameter names erased (`GET /invoice/{}`): two routes that API Gateway
    /// cannot tell apart have the same shape.
    pub fn shape(&self) -> (HttpMethod, String) {
        (self.method, erase_params(&self.path))
    }
}

/// The `{params}` of a path template, in order.
pub fn template_params(path: &str) -> Vec<&str> {
    path.split('/').filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect()
}

/// The path with parameter names erased: `/invoice/{id}` → `/invoice/{}`.
pub fn erase_params(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') && seg.ends_with('}') { "{}" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// Where an entry parameter's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamSource {
    /// A `{segment}` of the path (unattributed parameters).
    Path,
    /// The query string (`#[query]`).
    Query,
    /// The JSON (or form) body (`#[body]`).
    Body,
}

impl fmt::Display for ParamSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParamSource::Path => "path",
            ParamSource::Query => "query",
            ParamSource::Body => "body",
        })
    }
}

/// One parameter of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Param {
    /// The Rust parameter name.
    pub name: String,
    /// The Rust type, as written (whitespace removed).
    #[serde(rename = "type")]
    pub ty: String,
    /// Where the value comes from.
    pub source: ParamSource,
}

/// Who may call an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    /// The service's token authorizer checks the `Authorization` header.
    Token,
    /// Anyone (`#[entry(no_auth)]`).
    None,
}

/// A file and a span in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    /// File, relative to the project root.
    #[serde(serialize_with = "crate::text::lossy_path")]
    pub file: PathBuf,
    /// Where in the file.
    pub span: Span,
}

/// An HTTP entry of a tech microservice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The Rust method name (`get_invoice`).
    pub rust_name: String,
    /// The method and path it answers.
    pub route: Route,
    /// Its parameters, in declaration order (without `self`).
    pub params: Vec<Param>,
    /// Who may call it.
    pub auth: Auth,
    /// The stages it exists in; empty means every stage.
    pub stages: Vec<String>,
    /// Content type of a binary response (`binary_headers`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_content_type: Option<String>,
    /// API Gateway's limits of the entry (`throttle = "RATE/BURST"`), as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttle: Option<String>,
    /// Whether the method is `async`.
    pub is_async: bool,
    /// Its doc comment.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub docs: String,
    /// The method's name in the source.
    pub location: Location,
    /// The whole method, attributes included.
    pub item: Location,
}

impl Entry {
    /// Whether the entry exists in `stage` (every entry does when `stage` is `None`).
    pub fn in_stage(&self, stage: Option<&str>) -> bool {
        match stage {
            None => true,
            Some(s) => self.stages.is_empty() || self.stages.iter().any(|x| x == s),
        }
    }
}

/// A tech microservice: one deployable Lambda function with its entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// The service name (`billing`): `#[service(name = "..")]`, or the type name in snake case.
    pub name: String,
    /// The Rust type (`Billing`).
    pub type_name: String,
    /// The crate directory holding it, relative to the project root (`services/billing`).
    #[serde(serialize_with = "crate::text::lossy_path")]
    pub crate_dir: PathBuf,
    /// The doc comment of its `impl` block.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub docs: String,
    /// Every `impl` block of the service: where its type is named.
    pub locations: Vec<Location>,
    /// Its entries, in source order.
    pub entries: Vec<Entry>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_templates() {
        assert_eq!(erase_params("/invoice/{id}/x"), "/invoice/{}/x");
        assert_eq!(template_params("/a/{b}/c/{d}"), vec!["b", "d"]);
        let r = Route { method: HttpMethod::Get, path: "/invoice/{id}".into() };
        assert_eq!(r.path_params(), vec!["id"]);
        assert_eq!(r.shape(), (HttpMethod::Get, "/invoice/{}".to_string()));
    }
}

/// Rate and burst limits (`throttle`, an item of `route_throttle`) as written; [`Throttle::limits`]
/// reads them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Throttle {
    /// The entry's route (`GET /invoices`) for an item of `route_throttle`; `None` for the stage's.
    pub route: Option<String>,
    /// Steady requests per second, as written.
    pub rate: Option<String>,
    /// Burst, as written.
    pub burst: Option<String>,
}

/// Rate and burst limits API Gateway applies to a method.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Limits {
    /// Steady requests per second (`None`: the account's).
    pub rate: Option<f64>,
    /// Requests at once above the rate (`None`: the account's).
    pub burst: Option<i64>,
}

impl Throttle {
    /// The limits of `#[entry(throttle = "RATE/BURST")]`: `"10/20"`, `"2.5"` (rate only), `"/20"`
    /// (burst only).
    pub fn attribute(text: &str) -> Throttle {
        let (rate, burst) = text.split_once('/').unwrap_or((text, ""));
        let written = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_string);
        Throttle { route: None, rate: written(rate), burst: written(burst) }
    }

    /// The limits, or what is wrong with them: the rate must be a positive number, the burst a
    /// positive integer, and one of them written.
    pub fn limits(&self) -> Result<Limits, String> {
        let rate = match self.rate.as_deref().map(str::trim) {
            None => None,
            Some(r) => match r.parse::<f64>() {
                Ok(v) if v.is_finite() && v > 0.0 => Some(v),
                _ => {
                    return Err(format!("`rate` is `{r}`, expected a positive number of requests per second"))
                }
            },
        };
        let burst = match self.burst.as_deref().map(str::trim) {
            None => None,
            Some(b) => match b.parse::<i64>() {
                Ok(v) if v > 0 => Some(v),
                _ => return Err(format!("`burst` is `{b}`, expected a positive integer")),
            },
        };
        if rate.is_none() && burst.is_none() {
            return Err("neither `rate` nor `burst` is written".into());
        }
        Ok(Limits { rate, burst })
    }
}
