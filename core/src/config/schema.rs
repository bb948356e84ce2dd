//! What `project.cws.yml` may contain: its keys, the commands and their options, as data tables.
//!
//! To add an option, add one [`OptionSpec`] row to its command in [`COMMANDS`] (and a line in
//! `docs/config.md`; a test checks the docs name every option).

#[cfg(feature = "analysis")]
use crate::config::Value;
#[cfg(feature = "analysis")]
use crate::yaml::{resolve_scalar, ScalarStyle};

/// The type of an option's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionType {
    /// An integer, optionally bounded (inclusive).
    Int {
        /// Smallest allowed value.
        min: Option<i64>,
        /// Largest allowed value.
        max: Option<i64>,
    },
    /// Text (plain numbers are accepted as text).
    Str,
    /// One of the listed words.
    OneOf(&'static [&'static str]),
    /// `true` or `false`.
    Bool,
    /// A list of texts.
    StrList,
    /// A mapping of text to text.
    StrMap,
    /// Any mapping (passed on as is).
    AnyMap,
    /// A mapping with the listed keys.
    Record(&'static [OptionSpec]),
    /// `true` (on, every listed key at its default), `false` (off), or a mapping with the listed
    /// keys (on; a key not written takes its default).
    Toggle(&'static [OptionSpec]),
    /// A list of mappings, each with the listed keys (a key not written takes its default).
    RecordList(&'static [OptionSpec]),
}

impl OptionType {
    /// What the type expects, for messages and docs: "an integer from 1 to 65535".
    pub fn describe(&self) -> String {
        match self {
            OptionType::Int { min: Some(a), max: Some(b) } => format!("an integer from {a} to {b}"),
            OptionType::Int { min: Some(a), max: None } => format!("an integer of at least {a}"),
            OptionType::Int { min: None, max: Some(b) } => format!("an integer of at most {b}"),
            OptionType::Int { .. } => "an integer".into(),
            OptionType::Str => "text".into(),
            OptionType::OneOf(words) => {
                let words: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
                format!("one of {}", words.join(", "))
            }
            OptionType::Bool => "`true` or `false`".into(),
            OptionType::StrList => "a list of texts".into(),
            OptionType::StrMap => "a mapping of names to texts".into(),
            OptionType::AnyMap => "a mapping".into(),
            OptionType::Record(keys) => {
                let keys: Vec<String> = keys.iter().map(|k| format!("`{}`", k.name)).collect();
                format!("a mapping with keys {}", keys.join(", "))
            }
            OptionType::Toggle(keys) => {
                let keys: Vec<String> = keys.iter().map(|k| format!("`{}`", k.name)).collect();
                format!("`true`, `false` or a mapping with keys {}", keys.join(", "))
            }
            OptionType::RecordList(keys) => {
                let keys: Vec<String> = keys.iter().map(|k| format!("`{}`", k.name)).collect();
                format!("a list of mappings with keys {}", keys.join(", "))
            }
        }
    }

    /// The keys of a mapping-valued type (`Record`, `Toggle`); empty for the others.
    pub fn keys(&self) -> &'static [OptionSpec] {
        match self {
            OptionType::Record(keys) | OptionType::Toggle(keys) | OptionType::RecordList(keys) => keys,
            _ => &[],
        }
    }
}

/// One option of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionSpec {
    /// The option's key.
    pub name: &'static str,
    /// The type of its value.
    pub ty: OptionType,
    /// The default, written as YAML (`None`: unset unless configured).
    pub default: Option<&'static str>,
    /// One line of documentation.
    pub doc: &'static str,
}

impl OptionSpec {
    /// The default as a [`Value`].
    #[cfg(feature = "analysis")]
    pub fn default_value(&self) -> Option<Value> {
        self.default.map(|d| match self.ty {
            OptionType::Str | OptionType::OneOf(_) => Value::Str(d.to_string()),
            // A flow list of plain texts: `[a, b]`.
            OptionType::StrList => Value::List(
                d.trim_start_matches('[')
                    .trim_end_matches(']')
                    .split(',')
                    .map(|item| item.trim().trim_matches('\'').trim_matches('"'))
                    .filter(|item| !item.is_empty())
                    .map(|item| Value::Str(item.to_string()))
                    .collect(),
            ),
            _ => resolve_scalar(d, ScalarStyle::Plain),
        })
    }
}

/// A `cws` command whose options `project.cws.yml` can set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandSpec {
    /// The command (`run`, `deploy` ...).
    pub name: &'static str,
    /// One line of documentation.
    pub doc: &'static str,
    /// Its options.
    pub options: &'static [OptionSpec],
}

impl CommandSpec {
    /// The option called `name`.
    pub fn option(&self, name: &str) -> Option<&'static OptionSpec> {
        self.options.iter().find(|o| o.name == name)
    }
}

const fn opt(
    name: &'static str,
    ty: OptionType,
    default: Option<&'static str>,
    doc: &'static str,
) -> OptionSpec {
    OptionSpec { name, ty, default, doc }
}

const fn int(min: i64, max: i64) -> OptionType {
    OptionType::Int { min: Some(min), max: Some(max) }
}

const fn positive() -> OptionType {
    OptionType::Int { min: Some(1), max: None }
}

/// The limits of `throttle` and of each `route_throttle` item.
const THROTTLE_RATE: OptionSpec =
    opt("rate", OptionType::Str, None, "Steady requests per second allowed (a positive number).");
const THROTTLE_BURST: OptionSpec =
    opt("burst", OptionType::Str, None, "Requests allowed at once above the rate (a positive integer).");

const ARCHITECTURES: &[&str] = &["x86_64", "arm64"];

/// API Gateway ends synchronous integrations after this many seconds: the default `timeout` of a
/// function, and the limit the deployment checks (`CWS029`) hold it to.
pub const API_GATEWAY_TIMEOUT: i64 = 29;

/// Every command and option, in the order the docs list them.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "run",
        doc: "Runs the services locally (`cws run`).",
        options: &[
            opt("port", int(1, 65535), Some("8000"), "Port of the local server."),
            opt("host", OptionType::Str, Some("127.0.0.1"), "Address the local server listens on."),
        ],
    },
    CommandSpec {
        name: "invoke",
        doc: "Calls an entry of a running or deployed service (`cws invoke`).",
        options: &[
            opt("url", OptionType::Str, None, "Base URL the entry is called at (default: the local server)."),
            opt("timeout", positive(), Some("30"), "Seconds to wait for the answer."),
        ],
    },
    CommandSpec {
        name: "build",
        doc: "Builds the Lambda packages (`cws build`).",
        options: &[
            opt(
                "architecture",
                OptionType::OneOf(ARCHITECTURES),
                Some("x86_64"),
                "CPU architecture built for (unset: the `deploy` architecture of the function).",
            ),
            opt(
                "target",
                OptionType::Str,
                None,
                "Rust target triple (default: derived from `architecture`).",
            ),
            opt(
                "profile",
                OptionType::OneOf(&["release", "dev"]),
                Some("release"),
                "Cargo profile built with.",
            ),
            opt(
                "optimize",
                OptionType::OneOf(&["lambda", "cargo"]),
                Some("lambda"),
                "How the release build is tuned: `lambda` overrides the crate's `[profile.release]` for a small, fast-starting package (symbols stripped, fat LTO, one codegen unit); `cargo` keeps the crate's own profile.",
            ),
        ],
    },
    CommandSpec {
        name: "deploy",
        doc: "Deploys the services to AWS Lambda and API Gateway (`cws deploy`).",
        options: &[
            opt(
                "region",
                OptionType::Str,
                None,
                "AWS region deployed to (default: the AWS profile's region).",
            ),
            opt("profile", OptionType::Str, None, "AWS credentials profile used to deploy."),
            opt("memory", int(128, 10240), Some("128"), "Memory of each Lambda function, in MB."),
            opt(
                "timeout",
                int(1, 900),
                Some("29"),
                "Timeout of each Lambda function, in seconds (API Gateway ends synchronous calls at 29).",
            ),
            opt(
                "architecture",
                OptionType::OneOf(ARCHITECTURES),
                Some("x86_64"),
                "CPU architecture of the functions.",
            ),
            opt("bucket", OptionType::Str, None, "S3 bucket where asynchronous calls write their results."),
            opt(
                "results_prefix",
                OptionType::Str,
                Some("cws-results/"),
                "Key prefix of asynchronous results in the bucket (the functions may write nowhere else; `\"\"`: the whole bucket).",
            ),
            opt("layers", OptionType::StrList, None, "ARNs of Lambda layers added to every function."),
            opt("tracing", OptionType::Bool, Some("false"), "Enables AWS X-Ray active tracing."),
            opt(
                "log_retention",
                positive(),
                None,
                "Days CloudWatch keeps the functions' logs (default: forever).",
            ),
            opt("snapstart", OptionType::Bool, Some("false"), "Enables Lambda SnapStart."),
            opt(
                "endpoints",
                OptionType::StrMap,
                None,
                "AWS service endpoint URLs by service (`lambda`, `s3` ...; `all` for every one), e.g. a local emulator.",
            ),
            opt(
                "backend",
                OptionType::AnyMap,
                None,
                "Terraform backend: one key, `local`, `s3` (bucket, key ...) or `cloud` (Terraform Cloud), with its settings.",
            ),
            opt(
                "vpc",
                OptionType::Record(&[
                    opt("subnet_ids", OptionType::StrList, None, "Subnets the functions run in."),
                    opt("security_group_ids", OptionType::StrList, None, "Security groups of the functions."),
                ]),
                None,
                "VPC the functions run in.",
            ),
            opt("tags", OptionType::StrMap, None, "Tags added to every deployed resource."),
            opt(
                "api",
                OptionType::OneOf(&["rest", "http"]),
                Some("rest"),
                "The kind of API Gateway API of each service: `rest` (a REST API, TOKEN authorizer, payload 1.0) or `http` (an HTTP API: payload 2.0, a REQUEST authorizer with simple responses, API Gateway's own CORS configuration, auto-deployed stage).",
            ),
            opt("binary_media_types", OptionType::StrList, None, "Media types API Gateway treats as binary (REST APIs only: an HTTP API decides by itself, see docs/deploy.md)."),
            opt(
                "authorizer_ttl",
                int(0, 3600),
                Some("300"),
                "Seconds API Gateway keeps the token authorizer's answer for a token (0: asks every time); the answer covers every route of the service's API.",
            ),
            opt(
                "cors",
                OptionType::Toggle(&[
                    opt(
                        "origins",
                        OptionType::StrList,
                        Some("['*']"),
                        "Origins browsers may call the API from (`*`: any origin).",
                    ),
                    opt(
                        "headers",
                        OptionType::StrList,
                        Some("[Content-Type, Authorization, X-Amz-Date, X-Api-Key, InvocationType, X-CWS-S3Bucket, X-CWS-S3Key]"),
                        "Request headers browsers may send.",
                    ),
                    opt("max_age", int(0, 86400), Some("600"), "Seconds browsers may keep a preflight's answer."),
                ]),
                Some("false"),
                "CORS for browsers: `true` (any origin) or a mapping (`origins`, `headers`, `max_age`); every answer, errors included, then carries the CORS headers.",
            ),
            opt(
                "public",
                OptionType::StrList,
                None,
                "Routes (`GET /health`) meant to be `no_auth` in a production stage (no warning for them).",
            ),
            opt(
                "reserved_concurrency",
                OptionType::Int { min: Some(0), max: None },
                None,
                "Concurrent executions reserved for each function, and its ceiling (0 stops every call; default: the account's unreserved pool).",
            ),
            opt(
                "provisioned_concurrency",
                positive(),
                None,
                "Instances of each function kept initialised (no cold start): the function is published and API Gateway invokes its alias `live`, which holds them (at most `reserved_concurrency` when that is set); billed while deployed.",
            ),
            opt(
                "on_failure",
                OptionType::Str,
                None,
                "ARN of an SQS queue or SNS topic receiving the asynchronous invocations that fail (the event and the error), so none is lost.",
            ),
            opt(
                "access_logs",
                OptionType::Bool,
                Some("false"),
                "Writes one JSON line per request of each REST API stage (request id, source IP, method, route, status, latencies, authorizer error, user agent) to the log group `/aws/apigateway/<function>` (kept `log_retention` days). API Gateway needs the account's CloudWatch role for it: see `api_gateway_account`.",
            ),
            opt(
                "api_gateway_account",
                OptionType::Bool,
                Some("false"),
                "Also sets the region's account-wide API Gateway CloudWatch role (`aws_api_gateway_account`), which access logs need; off when the account's role is managed elsewhere.",
            ),
            opt(
                "throttle",
                OptionType::Record(&[
                    THROTTLE_RATE,
                    THROTTLE_BURST,
                ]),
                None,
                "Rate and burst limits of every method of each REST API stage (default: the account's limits).",
            ),
            opt(
                "route_throttle",
                OptionType::RecordList(&[
                    opt("route", OptionType::Str, None, "The entry's route, as `cws routes` prints it (`GET /invoices`)."),
                    THROTTLE_RATE,
                    THROTTLE_BURST,
                ]),
                None,
                "Rate and burst limits of single entries, overriding `throttle` (usually under `services.<name>.commands.deploy`).",
            ),
            opt(
                "domain",
                OptionType::Record(&[
                    opt("name", OptionType::Str, None, "The custom domain name (`api.example.com`)."),
                    opt(
                        "certificate_arn",
                        OptionType::Str,
                        None,
                        "ARN of the ACM certificate covering the name: in the stage's region for a `regional` endpoint, in `us-east-1` for an `edge` one.",
                    ),
                    opt(
                        "base_path",
                        OptionType::Str,
                        None,
                        "The one path segment the service's API is served under (`billing`: `https://api.example.com/billing`); unset: the domain's root when the service has the domain alone, the service's name when several services share it.",
                    ),
                    opt(
                        "endpoint",
                        OptionType::OneOf(&["regional", "edge"]),
                        Some("regional"),
                        "`regional` (served from the stage's region) or `edge` (through API Gateway's CloudFront distribution).",
                    ),
                ]),
                None,
                "Custom domain of each service's REST API stage (`aws_api_gateway_domain_name` and one base path mapping per service); keys written under a service's `domain` override the stage's one by one (`services.billing.commands.deploy.domain: {base_path: pay}`).",
            ),
            opt(
                "iam",
                OptionType::RecordList(&[
                    opt(
                        "effect",
                        OptionType::OneOf(&["Allow", "Deny"]),
                        Some("Allow"),
                        "Whether the statement allows or denies its actions.",
                    ),
                    opt(
                        "actions",
                        OptionType::StrList,
                        None,
                        "IAM actions (`service:Action`, wildcards allowed, e.g. `sqs:SendMessage`).",
                    ),
                    opt(
                        "resources",
                        OptionType::StrList,
                        None,
                        "ARNs the actions apply to (wildcards allowed; `*` for every resource).",
                    ),
                ]),
                None,
                "Extra IAM statements added to the policy of each function's role (usually under `services.<name>.commands.deploy`).",
            ),
        ],
    },
    CommandSpec {
        name: "workflow",
        doc: "Generates the workflows' Airflow DAGs (`cws workflow`).",
        options: &[
            opt(
                "airflow_dags",
                OptionType::Str,
                Some("airflow/dags"),
                "Directory the generated Airflow DAGs are written to, relative to the project root.",
            ),
            opt(
                "schedule",
                OptionType::Str,
                None,
                "Default schedule of the DAGs (cron expression or preset).",
            ),
        ],
    },
];

/// The command called `name`.
pub fn command(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// The default of `command.option` as written in the table (YAML text), if it has one.
pub fn default_text(command: &str, option: &str) -> Option<&'static str> {
    self::command(command)?.option(option)?.default
}

/// A key of `project.cws.yml` outside `commands` (top level, a service, a workspace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// The key.
    pub name: &'static str,
    /// The type of its value, in words.
    pub ty: &'static str,
    /// One line of documentation.
    pub doc: &'static str,
}

/// Keys at the top of `project.cws.yml`.
pub const TOP_KEYS: &[KeySpec] = &[
    KeySpec { name: "version", ty: "integer, `3`", doc: "Version of the file format; must be `3`." },
    KeySpec { name: "name", ty: "text", doc: "Name of the project (optional)." },
    KeySpec { name: "services", ty: "mapping", doc: "Settings of each service, keyed by service name." },
    KeySpec { name: "commands", ty: "mapping", doc: "Options of each `cws` command, for every stage." },
    KeySpec { name: "workspaces", ty: "mapping", doc: "The stages (`dev`, `prod` ...) and their settings." },
];

/// Keys of one service under `services:`.
pub const SERVICE_KEYS: &[KeySpec] = &[
    KeySpec {
        name: "path",
        ty: "text",
        doc: "Directory of the service's crate, relative to the project root.",
    },
    KeySpec {
        name: "commands",
        ty: "mapping",
        doc: "Command options for this service only (override all stages).",
    },
];

/// Keys of one workspace (stage) under `workspaces:`.
pub const WORKSPACE_KEYS: &[KeySpec] = &[
    KeySpec {
        name: "env_files",
        ty: "list of texts or `{path, outside}`",
        doc: "Env files this stage requires (an error if one is missing), inside the project; `{path: ~/x.env, outside: true}` names one outside it, read only by `cws run` and `cws deploy`.",
    },
    KeySpec { name: "production", ty: "boolean", doc: "Marks the stage as production (default `false`)." },
    KeySpec { name: "commands", ty: "mapping", doc: "Command options for this stage (override `commands`)." },
];

fn describe_option(command: &CommandSpec, path: &[&OptionSpec]) -> String {
    let names: Vec<&str> = path.iter().map(|o| o.name).collect();
    let Some(o) = path.last() else { return String::new() };
    let mut s = format!(
        "**`{}`** — option of `cws {}`\n\n{}\n\nType: {}",
        names.join("."),
        command.name,
        o.doc,
        o.ty.describe()
    );
    if let Some(d) = o.default {
        s.push_str(&format!("; default `{d}`"));
    }
    s.push('.');
    s
}

fn describe_command_path(path: &[&str]) -> Option<String> {
    let (cmd, rest) = path.split_first()?;
    let spec = command(cmd)?;
    if rest.is_empty() {
        let opts: Vec<String> = spec.options.iter().map(|o| format!("`{}`", o.name)).collect();
        return Some(format!(
            "**`{}`** — command\n\n{}\n\nOptions: {}.",
            spec.name,
            spec.doc,
            opts.join(", ")
        ));
    }
    let mut chain: Vec<&OptionSpec> = Vec::new();
    let mut options = spec.options;
    for name in rest {
        let o = options.iter().find(|o| o.name == *name)?;
        chain.push(o);
        options = match o.ty {
            OptionType::Record(keys) | OptionType::Toggle(keys) | OptionType::RecordList(keys) => keys,
            // Inside free-form maps (tags, endpoints ...) describe the option itself.
            OptionType::StrMap | OptionType::AnyMap => return Some(describe_option(spec, &chain)),
            _ => &[],
        };
    }
    Some(describe_option(spec, &chain))
}

fn describe_spec(k: &KeySpec, context: &str) -> String {
    format!("**`{}`** — {context}\n\n{}\n\nType: {}.", k.name, k.doc, k.ty)
}

/// Markdown documentation of the key at `path` in `project.cws.yml` (as given by
/// [`ProjectConfig::key_at`](crate::config::ProjectConfig::key_at)), for hovers.
pub fn describe_key(path: &[String]) -> Option<String> {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    let top = |name: &str| TOP_KEYS.iter().find(|k| k.name == name);
    match p.as_slice() {
        [] => None,
        [k] => top(k).map(|k| describe_spec(k, "project.cws.yml")),
        ["commands", rest @ ..] => describe_command_path(rest),
        ["services", svc] => Some(format!("**`{svc}`** — service\n\nSettings of the service `{svc}`.")),
        ["services", _, "commands", rest @ ..] if !rest.is_empty() => describe_command_path(rest),
        ["services", _, key] => {
            SERVICE_KEYS.iter().find(|k| k.name == *key).map(|k| describe_spec(k, "service setting"))
        }
        ["workspaces", ws] => Some(format!("**`{ws}`** — stage\n\nSettings of the stage `{ws}`.")),
        ["workspaces", _, "commands", rest @ ..] if !rest.is_empty() => describe_command_path(rest),
        ["workspaces", _, key, ..] => {
            WORKSPACE_KEYS.iter().find(|k| k.name == *key).map(|k| describe_spec(k, "stage setting"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeout_default_is_api_gateways_limit() {
        assert_eq!(default_text("deploy", "timeout"), Some(API_GATEWAY_TIMEOUT.to_string()).as_deref());
        assert_eq!(default_text("run", "nope"), None);
    }

    #[test]
    fn defaults_have_their_option_type() {
        for c in COMMANDS {
            for o in c.options {
                let Some(v) = o.default_value() else { continue };
                let ok = match o.ty {
                    OptionType::Int { min, max } => {
                        matches!(v, Value::Int(i) if min.is_none_or(|m| i >= m) && max.is_none_or(|m| i <= m))
                    }
                    OptionType::Bool => matches!(v, Value::Bool(_)),
                    OptionType::OneOf(words) => matches!(&v, Value::Str(s) if words.contains(&s.as_str())),
                    OptionType::Str => matches!(v, Value::Str(_)),
                    OptionType::Toggle(_) => v == Value::Bool(false),
                    _ => false,
                };
                assert!(ok, "default of {}.{}", c.name, o.name);
                for k in o.ty.keys() {
                    let Some(v) = k.default_value() else { continue };
                    let ok = match k.ty {
                        OptionType::Int { min, max } => {
                            matches!(v, Value::Int(i) if min.is_none_or(|m| i >= m) && max.is_none_or(|m| i <= m))
                        }
                        OptionType::StrList => matches!(&v, Value::List(items) if !items.is_empty()),
                        OptionType::OneOf(words) => {
                            matches!(&v, Value::Str(s) if words.contains(&s.as_str()))
                        }
                        _ => false,
                    };
                    assert!(ok, "default of {}.{}.{}: {v:?}", c.name, o.name, k.name);
                }
            }
        }
    }

    #[test]
    fn list_defaults_are_flow_lists_of_texts() {
        let cors = command("deploy").and_then(|c| c.option("cors")).map(|o| o.ty.keys()).unwrap_or(&[]);
        let origins = cors.iter().find(|k| k.name == "origins").and_then(|k| k.default_value());
        assert_eq!(origins, Some(Value::List(vec![Value::Str("*".into())])));
        let headers = cors.iter().find(|k| k.name == "headers").and_then(|k| k.default_value());
        assert!(
            matches!(&headers, Some(Value::List(h)) if h.len() == 7 && h[0] == Value::Str("Content-Type".into()))
        );
    }
}
