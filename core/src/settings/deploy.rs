//! The effective deployment settings of a stage and of each service, read from the `deploy`
//! options ([`Project::options`]) so the generators, the command line and the deployment
//! diagnostics all see the same values; and the limits of the services deployed to.

use std::collections::BTreeMap;

use super::CliOptions;
use crate::config::{schema, Value};
use crate::project::Project;

/// Lambda's runtime for Rust (custom runtime on Amazon Linux 2023).
pub const RUNTIME: &str = "provided.al2023";

/// Largest zip Lambda accepts as a direct upload (50 MB).
pub const MAX_ZIP_BYTES: u64 = 50 * 1024 * 1024;
/// Largest unzipped function code Lambda accepts (250 MB).
pub const MAX_UNZIPPED_BYTES: u64 = 250 * 1024 * 1024;

/// The AWS services the generated configuration talks to; an `endpoints` key `all` sets each.
pub const ENDPOINT_SERVICES: &[&str] =
    &["apigateway", "ec2", "iam", "lambda", "logs", "s3", "ssm", "sts", "xray"];

/// Settings of the whole stage: where and how Terraform deploys.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StageSettings {
    /// AWS region.
    pub region: Option<String>,
    /// AWS credentials profile.
    pub profile: Option<String>,
    /// AWS service endpoints by service name (`lambda` → URL), e.g. a local emulator.
    pub endpoints: BTreeMap<String, String>,
    /// The Terraform backend, if not the default local one.
    pub backend: Option<Backend>,
}

/// Where Terraform keeps its state.
#[derive(Debug, Clone, PartialEq)]
pub enum Backend {
    /// `backend "<kind>" { ... }` (`local`, `s3`, ...), with its settings as JSON.
    Standard {
        /// The backend type.
        kind: String,
        /// Its arguments.
        settings: serde_json::Value,
    },
    /// Terraform Cloud / HCP Terraform (`cloud { ... }`).
    Cloud(serde_json::Value),
}

/// A VPC the functions run in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Vpc {
    /// Subnets.
    pub subnet_ids: Vec<String>,
    /// Security groups.
    pub security_group_ids: Vec<String>,
}

/// Settings of one service's function and API in one stage.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionSettings {
    /// Memory in MB.
    pub memory: i64,
    /// Timeout in seconds.
    pub timeout: i64,
    /// `x86_64` or `arm64`.
    pub architecture: String,
    /// Layer ARNs.
    pub layers: Vec<String>,
    /// X-Ray active tracing.
    pub tracing: bool,
    /// Log retention in days (`None`: forever).
    pub log_retention: Option<i64>,
    /// SnapStart asked for.
    pub snapstart: bool,
    /// VPC, if any.
    pub vpc: Option<Vpc>,
    /// Bucket of asynchronous results.
    pub bucket: Option<String>,
    /// Key prefix of asynchronous results (empty: the whole bucket).
    pub results_prefix: String,
    /// Tags of every resource.
    pub tags: BTreeMap<String, String>,
    /// Extra binary media types of the API.
    pub binary_media_types: Vec<String>,
    /// Seconds API Gateway keeps the token authorizer's answer for a token (0: no cache).
    pub authorizer_ttl: i64,
    /// CORS, when on.
    pub cors: Option<Cors>,
    /// Routes (`GET /health`) meant to be public in a production stage.
    pub public: Vec<String>,
}

/// CORS of a service's API (`cors` on), every key resolved (written, else its default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    /// Origins browsers may call from; `*` among them: any origin.
    pub origins: Vec<String>,
    /// Request headers browsers may send.
    pub headers: Vec<String>,
    /// Seconds browsers may keep a preflight's answer.
    pub max_age: i64,
}

impl Cors {
    /// Whether any origin may call.
    pub fn any_origin(&self) -> bool {
        self.origins.iter().any(|o| o == "*")
    }

    /// The environment telling the runtime the CORS settings (the names of [`crate::contract`]).
    pub fn env(&self) -> BTreeMap<&'static str, String> {
        use crate::contract::{CORS_HEADERS_ENV, CORS_MAX_AGE_ENV, CORS_ORIGINS_ENV};
        BTreeMap::from([
            (CORS_ORIGINS_ENV, self.origins.join(",")),
            (CORS_HEADERS_ENV, self.headers.join(",")),
            (CORS_MAX_AGE_ENV, self.max_age.to_string()),
        ])
    }
}

/// The CORS settings of a `cors` value: `None` when off (`false`, unset).
pub fn cors(v: &Value) -> Option<Cors> {
    let written = match v {
        Value::Bool(true) => BTreeMap::new(),
        Value::Map(m) => m.clone(),
        _ => return None,
    };
    let keys = schema::command("deploy").and_then(|c| c.option("cors")).map(|o| o.ty.keys()).unwrap_or(&[]);
    let get = |name: &str| {
        written
            .get(name)
            .cloned()
            .or_else(|| keys.iter().find(|k| k.name == name).and_then(|k| k.default_value()))
            .unwrap_or(Value::Null)
    };
    Some(Cors {
        origins: super::texts(&get("origins")),
        headers: super::texts(&get("headers")),
        max_age: match get("max_age") {
            Value::Int(i) => i,
            _ => 0,
        },
    })
}

/// Whether Lambda offers SnapStart for `runtime` (not for custom runtimes such as Rust's).
pub fn snapstart_supported(runtime: &str) -> bool {
    runtime.starts_with("java") || runtime.starts_with("python3.1") || runtime.starts_with("dotnet")
}

/// A configuration value as JSON.
pub fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Int(i) => (*i).into(),
        Value::Float(f) => {
            serde_json::Number::from_f64(*f).map(serde_json::Value::Number).unwrap_or_default()
        }
        Value::Str(s) => s.clone().into(),
        Value::List(items) => items.iter().map(to_json).collect(),
        Value::Map(m) => m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect(),
    }
}

/// Reads `backend:` — a mapping with one key: `cloud`, or a backend type (`local`, `s3` ...).
/// Returns an explanation when the mapping is not of that shape.
pub fn backend(v: &Value) -> Result<Backend, String> {
    let Value::Map(m) = v else { return Err("`backend` must be a mapping with one key".into()) };
    let mut it = m.iter();
    match (it.next(), it.next()) {
        (Some((kind, settings)), None) => {
            let settings = match settings {
                Value::Null => serde_json::json!({}),
                Value::Map(_) => to_json(settings),
                _ => return Err(format!("`backend.{kind}` must be a mapping of the backend's settings")),
            };
            Ok(if kind == "cloud" {
                Backend::Cloud(settings)
            } else {
                Backend::Standard { kind: kind.clone(), settings }
            })
        }
        _ => {
            Err("`backend` must have exactly one key: `local`, `s3`, `cloud` or another backend type".into())
        }
    }
}

impl Project {
    /// The stage-wide deployment settings (`cli` holds command-line options by option name).
    pub fn stage_settings(&self, stage: &str, cli: &CliOptions) -> StageSettings {
        let o = self.options("deploy", stage, None, cli);
        let mut endpoints = o.text_map("endpoints");
        if let Some(all) = endpoints.remove("all") {
            for s in ENDPOINT_SERVICES {
                endpoints.entry(s.to_string()).or_insert_with(|| all.clone());
            }
        }
        StageSettings {
            region: o.text("region"),
            profile: o.text("profile"),
            endpoints,
            backend: o.get("backend").and_then(|b| backend(&b.value).ok()),
        }
    }

    /// The settings of `service`'s function in `stage` (`""`: the stage-wide values).
    pub fn function_settings(&self, stage: &str, service: &str, cli: &CliOptions) -> FunctionSettings {
        let o = self.options("deploy", stage, Some(service), cli);
        let vpc = match o.value("vpc") {
            Value::Map(m) => Some(Vpc {
                subnet_ids: m.get("subnet_ids").map(super::texts).unwrap_or_default(),
                security_group_ids: m.get("security_group_ids").map(super::texts).unwrap_or_default(),
            }),
            _ => None,
        };
        FunctionSettings {
            memory: o.int("memory").unwrap_or_default(),
            timeout: o.int("timeout").unwrap_or_default(),
            architecture: o.text("architecture").unwrap_or_default(),
            layers: o.texts("layers"),
            tracing: o.flag("tracing"),
            log_retention: o.int("log_retention"),
            snapstart: o.flag("snapstart"),
            vpc,
            bucket: o.text("bucket"),
            results_prefix: o.text_or_empty("results_prefix").unwrap_or_default(),
            tags: o.text_map("tags"),
            binary_media_types: o.texts("binary_media_types"),
            authorizer_ttl: o.int("authorizer_ttl").unwrap_or_default(),
            cors: cors(&o.value("cors")),
            public: o.texts("public"),
        }
    }
}

/// The name of deployed things: letters, digits, `-` and `_` only.
pub fn resource_name(parts: &[&str]) -> String {
    let joined = parts.iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join("-");
    joined.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_and_all_endpoints() {
        let yaml = "version: 3\ncommands:\n  deploy:\n    region: eu-west-1\n    memory: 256\n    endpoints: {all: 'http://127.0.0.1:5000', s3: 'http://127.0.0.1:6000'}\n    backend: {s3: {bucket: b, key: k}}\nservices:\n  billing:\n    commands: {deploy: {memory: 512}}\nworkspaces:\n  dev: {}\n  prod:\n    commands: {deploy: {memory: 1024, tracing: true}}\n";
        let project = crate::settings::tests::project_with_config(yaml);
        let none = BTreeMap::new();
        let s = project.stage_settings("dev", &none);
        assert_eq!(s.region.as_deref(), Some("eu-west-1"));
        assert_eq!(s.endpoints["s3"], "http://127.0.0.1:6000");
        assert_eq!(s.endpoints["lambda"], "http://127.0.0.1:5000");
        assert!(!s.endpoints.contains_key("all"));
        assert!(matches!(&s.backend, Some(Backend::Standard { kind, .. }) if kind == "s3"));
        assert_eq!(project.function_settings("dev", "catalog", &none).memory, 256);
        assert_eq!(project.function_settings("prod", "catalog", &none).memory, 1024);
        assert!(project.function_settings("prod", "catalog", &none).tracing);
        assert_eq!(project.function_settings("prod", "billing", &none).memory, 512);
        let cli = BTreeMap::from([("memory".to_string(), Value::Int(2048))]);
        assert_eq!(project.function_settings("prod", "billing", &cli).memory, 2048);
    }

    #[test]
    fn cors_true_a_mapping_and_stage_overrides() {
        let yaml = "version: 3\ncommands:\n  deploy:\n    cors: true\nworkspaces:\n  dev: {}\n  prod:\n    commands: {deploy: {cors: {origins: [https://shop.example], max_age: 60}}}\n  test:\n    commands: {deploy: {cors: false, authorizer_ttl: 0}}\n";
        let project = crate::settings::tests::project_with_config(yaml);
        let none = BTreeMap::new();
        let dev = project.function_settings("dev", "billing", &none);
        let cors = dev.cors.expect("cors: true is on");
        assert!(
            cors.any_origin() && cors.max_age == 600 && cors.headers.contains(&"Authorization".to_string())
        );
        assert_eq!(dev.authorizer_ttl, 300);
        let prod = project.function_settings("prod", "billing", &none).cors.expect("a mapping is on");
        assert_eq!((prod.origins, prod.max_age), (vec!["https://shop.example".to_string()], 60));
        assert_eq!(prod.headers, cors.headers, "keys not written take their defaults");
        let test = project.function_settings("test", "billing", &none);
        assert_eq!((test.cors, test.authorizer_ttl), (None, 0));
        let off = crate::settings::tests::project_with_config("version: 3\n");
        assert_eq!(off.function_settings("dev", "billing", &none).cors, None);
    }

    #[test]
    fn backends() {
        let cloud = Value::Map(BTreeMap::from([("cloud".into(), Value::Map(BTreeMap::new()))]));
        assert!(matches!(backend(&cloud), Ok(Backend::Cloud(_))));
        let two = Value::Map(BTreeMap::from([("s3".into(), Value::Null), ("local".into(), Value::Null)]));
        assert!(backend(&two).is_err());
        assert!(backend(&Value::Str("s3".into())).is_err());
    }

    #[test]
    fn names_and_snapstart() {
        assert_eq!(resource_name(&["e shop", "billing", "dev"]), "e-shop-billing-dev");
        assert!(!snapstart_supported(RUNTIME));
        assert!(snapstart_supported("java21"));
    }
}
