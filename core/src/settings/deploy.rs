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
/// Also those a project's own Terraform files often use (queues, topics, tables, events, keys).
pub const ENDPOINT_SERVICES: &[&str] = &[
    "apigateway",
    "apigatewayv2",
    "dynamodb",
    "ec2",
    "events",
    "iam",
    "kms",
    "lambda",
    "logs",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "sts",
    "xray",
];

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
    /// Whether the stage also sets the region's account-wide API Gateway CloudWatch role
    /// (`api_gateway_account`).
    pub api_gateway_account: bool,
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

impl Backend {
    /// Whether the state stays on this machine (the `local` backend).
    pub fn is_local(&self) -> bool {
        matches!(self, Backend::Standard { kind, .. } if kind == "local")
    }

    /// Whether an `s3` backend locks the state (`use_lockfile: true` or a `dynamodb_table`);
    /// `None` for other backends.
    pub fn s3_locked(&self) -> Option<bool> {
        match self {
            Backend::Standard { kind, settings } if kind == "s3" => Some(
                settings["use_lockfile"] == serde_json::Value::Bool(true)
                    || settings["dynamodb_table"].as_str().is_some_and(|t| !t.is_empty()),
            ),
            _ => None,
        }
    }

    /// Whether the backend locks with S3 itself (`use_lockfile`, Terraform 1.10 and newer).
    pub fn uses_lockfile(&self) -> bool {
        matches!(self, Backend::Standard { kind, settings } if kind == "s3" && settings["use_lockfile"] == true)
    }
}

/// An `s3` backend's arguments as deployed: `region` defaults to the stage's, and a stage whose
/// `endpoints` name `s3` keeps its state there too (path-style, no AWS account checks), so a
/// stage on an emulator never reaches AWS for its state. Written arguments always win.
fn s3_backend(
    mut settings: serde_json::Value,
    region: Option<&str>,
    endpoints: &BTreeMap<String, String>,
) -> serde_json::Value {
    let Some(args) = settings.as_object_mut() else { return settings };
    if let Some(region) = region {
        args.entry("region").or_insert_with(|| region.into());
    }
    if endpoints.contains_key("s3") && !args.contains_key("endpoints") {
        let wanted = ["s3", "dynamodb", "iam", "sts"];
        let urls: serde_json::Map<String, serde_json::Value> = endpoints
            .iter()
            .filter(|(k, _)| wanted.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone().into()))
            .collect();
        args.insert("endpoints".into(), urls.into());
        for flag in [
            "use_path_style",
            "skip_credentials_validation",
            "skip_region_validation",
            "skip_requesting_account_id",
            "skip_metadata_api_check",
        ] {
            args.entry(flag).or_insert(true.into());
        }
    }
    settings
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
    /// Extra statements of the role's policy (`iam`).
    pub iam: Vec<IamStatement>,
    /// Reserved concurrent executions (`None`: the account's unreserved pool).
    pub reserved_concurrency: Option<i64>,
    /// Instances kept initialised behind the alias API Gateway invokes (`None`: none).
    pub provisioned_concurrency: Option<i64>,
    /// Where failed asynchronous invocations go (an SQS queue's or SNS topic's ARN).
    pub on_failure: Option<String>,
    /// JSON access logs of the API's stage (`access_logs`).
    pub access_logs: bool,
    /// Limits of every method of the API's stage (`throttle`), as written.
    pub throttle: Option<Throttle>,
    /// Limits of single entries (`route_throttle`), as written.
    pub route_throttle: Vec<Throttle>,
    /// The custom domain of the API's stage (`domain`), when a name is written.
    pub domain: Option<Domain>,
    /// The kind of API Gateway API (`api`).
    pub api: ApiKind,
    /// The API key and usage plan of a REST API (`api_key`, `usage_plan`), when on.
    pub usage_plan: Option<UsagePlan>,
}

impl FunctionSettings {
    /// Whether callers of the service's entries must send its API key (`x-api-key`): `api_key` or
    /// `usage_plan` on a REST API (an HTTP API has no keys, `CWS091`). The deployed API
    /// ([`crate::artifacts::api`]), the local stage gateway, `cws workflow run` and the Airflow
    /// connections `cws workflow deploy` writes all follow it.
    pub fn api_key_required(&self) -> bool {
        self.usage_plan.is_some() && self.api == ApiKind::Rest
    }
}

/// The usage plan of a service's API key (`api_key: true` or `usage_plan`), as written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UsagePlan {
    /// Requests per period (`quota`), as written.
    pub quota: Option<String>,
    /// The quota's period (`day`, `week`, `month`), as written.
    pub period: Option<String>,
    /// Rate and burst limits per key (`rate`, `burst`), as written.
    pub throttle: Throttle,
}

impl UsagePlan {
    /// The quota as API Gateway takes it (`limit`, `DAY`/`WEEK`/`MONTH`), `None` without one, or
    /// what is wrong with it: both keys are needed, the limit a positive integer, the period a word
    /// of [`USAGE_PLAN_PERIODS`](crate::config::schema::USAGE_PLAN_PERIODS).
    pub fn quota(&self) -> Result<Option<(i64, String)>, String> {
        match (self.quota.as_deref().map(str::trim), self.period.as_deref().map(str::trim)) {
            (None, None) => Ok(None),
            (Some(_), None) => {
                Err("`quota` is written without its `period` (`day`, `week` or `month`)".into())
            }
            (None, Some(_)) => Err("`period` is written without a `quota`".into()),
            (Some(q), Some(p)) => {
                let limit = q.parse::<i64>().ok().filter(|l| *l > 0);
                let limit = limit.ok_or_else(|| format!("`quota` is `{q}`, expected a positive integer"))?;
                let periods = crate::config::schema::USAGE_PLAN_PERIODS;
                match periods.iter().find(|w| w.eq_ignore_ascii_case(p)) {
                    Some(w) => Ok(Some((limit, w.to_ascii_uppercase()))),
                    None => Err(format!("`period` is `{p}`, expected `day`, `week` or `month`")),
                }
            }
        }
    }

    /// The per-key limits, `None` when neither is written, or what is wrong with them.
    pub fn limits(&self) -> Result<Option<Limits>, String> {
        if self.throttle.rate.is_none() && self.throttle.burst.is_none() {
            return Ok(None);
        }
        self.throttle.limits().map(Some)
    }
}

/// The kind of API Gateway API a service is served by (`api`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiKind {
    /// A REST API (payload 1.0, TOKEN authorizer with IAM policies).
    #[default]
    Rest,
    /// An HTTP API (payload 2.0, REQUEST authorizer with simple responses).
    Http,
}

impl ApiKind {
    /// The kind named by the option's value (`rest`, `http`); anything else is `rest` (the
    /// reader reports values outside the option's words).
    pub fn of(word: Option<&str>) -> ApiKind {
        match word {
            Some("http") => ApiKind::Http,
            _ => ApiKind::Rest,
        }
    }
}

/// How a custom domain is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DomainEndpoint {
    /// From the stage's region (a certificate of that region).
    Regional,
    /// Through API Gateway's CloudFront distribution (a certificate of `us-east-1`).
    Edge,
}

impl DomainEndpoint {
    /// API Gateway's name of the endpoint type (`REGIONAL`, `EDGE`).
    pub fn api_gateway_type(self) -> &'static str {
        match self {
            DomainEndpoint::Regional => "REGIONAL",
            DomainEndpoint::Edge => "EDGE",
        }
    }

    /// The region the certificate of this endpoint must be in, given the stage's region.
    pub fn certificate_region(self, stage_region: Option<&str>) -> Option<&str> {
        match self {
            DomainEndpoint::Regional => stage_region,
            DomainEndpoint::Edge => Some(EDGE_CERTIFICATE_REGION),
        }
    }
}

/// The region of the certificates of edge-optimized custom domains (CloudFront's).
pub const EDGE_CERTIFICATE_REGION: &str = "us-east-1";

/// The custom domain of a service's API in a stage (`domain`), every key resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    /// The domain name (`api.example.com`).
    pub name: String,
    /// The ACM certificate's ARN.
    pub certificate_arn: String,
    /// The base path as written (`None`: derived, see [`domain_mappings`]).
    pub base_path: Option<String>,
    /// Regional or edge-optimized.
    pub endpoint: DomainEndpoint,
}

/// One service's API mapped under a custom domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainMapping {
    /// The service.
    pub service: String,
    /// Its domain.
    pub domain: Domain,
    /// The path segment it is served under (`None`: the domain's root).
    pub base_path: Option<String>,
}

impl DomainMapping {
    /// The custom base URL of the service (`https://api.example.com/billing`).
    pub fn url(&self) -> String {
        match &self.base_path {
            Some(p) => format!("https://{}/{p}", self.domain.name),
            None => format!("https://{}", self.domain.name),
        }
    }
}

/// The base path mappings of a stage's services (`(service, its domain)`, in order): a service
/// takes its written `base_path`; unset, the domain's root when it has the domain alone, its own
/// name when several services share the domain.
pub fn domain_mappings<'a>(services: impl IntoIterator<Item = (&'a str, &'a Domain)>) -> Vec<DomainMapping> {
    let services: Vec<(&str, &Domain)> = services.into_iter().collect();
    // How many services each domain name has: counted once, not per service.
    let mut sharing: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, d) in &services {
        *sharing.entry(d.name.as_str()).or_default() += 1;
    }
    services
        .iter()
        .map(|(service, domain)| {
            let shared = sharing.get(domain.name.as_str()).is_some_and(|n| *n > 1);
            let base_path = domain.base_path.clone().or_else(|| shared.then(|| service.to_string()));
            DomainMapping { service: service.to_string(), domain: (*domain).clone(), base_path }
        })
        .collect()
}

/// The region of an ACM certificate's ARN (`arn:<partition>:acm:<region>:<account>:certificate/<id>`);
/// `None` when the text is not such an ARN.
pub fn certificate_region(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (word, partition, service, region, account, resource) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let id = resource.strip_prefix("certificate/")?;
    let ok = word == "arn"
        && partition.starts_with("aws")
        && service == "acm"
        && !region.is_empty()
        && region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && !id.is_empty()
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    ok.then_some(region)
}

/// What is wrong with a custom domain name, if anything: API Gateway takes a fully qualified
/// host name (labels of letters, digits and `-`, a dot between them, at most 253 characters; a
/// leading `*.` for a wildcard).
pub fn domain_name_problem(name: &str) -> Option<String> {
    let host = name.strip_prefix("*.").unwrap_or(name);
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let labels: Vec<&str> = host.split('.').collect();
    let tld_ok = labels.last().is_some_and(|t| t.chars().any(|c| c.is_ascii_alphabetic()));
    if name.len() > 253 || labels.len() < 2 || !labels.iter().all(|l| label_ok(l)) || !tld_ok {
        return Some(format!(
            "`{name}` is not a domain name API Gateway accepts: write a host name such as `api.example.com` \
             (letters, digits and `-` between dots, no scheme, port or path)"
        ));
    }
    None
}

/// What is wrong with a base path, if anything: one path segment of letters, digits, `-`, `_` and `.`.
pub fn base_path_problem(path: &str) -> Option<String> {
    let ok = !path.is_empty()
        && path.len() <= 128
        && path.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    (!ok).then(|| {
        format!(
            "the base path `{path}` is not one path segment of letters, digits, `-`, `_` and `.` \
             (write `billing` for `https://api.example.com/billing`)"
        )
    })
}

/// The `domain` of a service: the stage's mapping, with the keys written under the service's own
/// `domain` (`service`) over it; `None` without a `name`.
fn domain(stage: &Value, service: Option<&Value>) -> Option<Domain> {
    let mut written = match stage {
        Value::Map(m) => m.clone(),
        _ => BTreeMap::new(),
    };
    if let Some(Value::Map(own)) = service {
        written.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let text = |k: &str| match record_key("domain", &written, k) {
        Value::Str(s) if !s.is_empty() => Some(s),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    };
    Some(Domain {
        name: text("name")?,
        certificate_arn: text("certificate_arn").unwrap_or_default(),
        base_path: text("base_path"),
        endpoint: match text("endpoint").as_deref() {
            Some("edge") => DomainEndpoint::Edge,
            _ => DomainEndpoint::Regional,
        },
    })
}

pub use crate::model::{Limits, Throttle};

/// A key of a record option as written text (numbers as written), `None` when absent or not a scalar.
fn record_text(option: &str, m: &BTreeMap<String, Value>, k: &str) -> Option<String> {
    match record_key(option, m, k) {
        Value::Str(s) => Some(s),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        _ => None,
    }
}

fn throttle(option: &str, v: &Value) -> Option<Throttle> {
    let Value::Map(m) = v else { return None };
    let text = |k: &str| record_text(option, m, k);
    Some(Throttle { route: text("route"), rate: text("rate"), burst: text("burst") })
}

/// The IAM action that sends to an on-failure destination (`sqs:SendMessage`, `sns:Publish`), from
/// its ARN; `None` when it is neither an SQS queue's nor an SNS topic's ARN.
pub fn destination_action(arn: &str) -> Option<&'static str> {
    let mut parts = arn.splitn(6, ':');
    let (arn_word, _partition, service) = (parts.next()?, parts.next()?, parts.next()?);
    let rest: Vec<&str> = parts.collect();
    if arn_word != "arn" || rest.len() != 3 || rest.iter().any(|p| p.is_empty()) {
        return None;
    }
    match service {
        "sqs" => Some("sqs:SendMessage"),
        "sns" => Some("sns:Publish"),
        _ => None,
    }
}

/// One statement of the `iam` option, every key resolved (written, else its default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamStatement {
    /// `Allow` or `Deny`.
    pub effect: String,
    /// IAM actions (`sqs:SendMessage`).
    pub actions: Vec<String>,
    /// Resource ARNs (or `*`).
    pub resources: Vec<String>,
}

impl IamStatement {
    /// What IAM would refuse or what grants too much in this statement, if anything.
    pub fn problem(&self) -> Option<String> {
        if self.actions.is_empty() {
            return Some("an `iam` statement needs `actions` (e.g. `[sqs:SendMessage]`)".into());
        }
        if self.resources.is_empty() {
            return Some("an `iam` statement needs `resources` (ARNs, or `*`)".into());
        }
        let action_ok = |a: &str| {
            a.split_once(':').is_some_and(|(service, name)| {
                !service.is_empty()
                    && service.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
            })
        };
        if let Some(a) = self.actions.iter().find(|a| *a == "*" && self.effect == "Allow") {
            return Some(format!(
                "the action `{a}` would allow every action of every service: name the actions (`service:Action`)"
            ));
        }
        if let Some(a) = self.actions.iter().find(|a| *a != "*" && !action_ok(a)) {
            return Some(format!(
                "`{a}` is not an IAM action: write `service:Action` (e.g. `sqs:SendMessage`)"
            ));
        }
        if let Some(r) = self.resources.iter().find(|r| *r != "*" && !r.starts_with("arn:")) {
            return Some(format!(
                "`{r}` is not a resource IAM knows: write an ARN (`arn:aws:sqs:*:*:orders`) or `*`"
            ));
        }
        None
    }
}

/// The value of key `name` of a mapping-valued option's item: written, else the schema's default.
fn record_key(option: &str, written: &BTreeMap<String, Value>, name: &str) -> Value {
    let keys = schema::command("deploy").and_then(|c| c.option(option)).map(|o| o.ty.keys()).unwrap_or(&[]);
    written
        .get(name)
        .cloned()
        .or_else(|| keys.iter().find(|k| k.name == name).and_then(|k| k.default_value()))
        .unwrap_or(Value::Null)
}

/// The statements of an `iam` value (items that are not mappings are left out: the reader reports them).
pub fn iam_statements(v: &Value) -> Vec<IamStatement> {
    let Value::List(items) = v else { return Vec::new() };
    items.iter().filter_map(iam_statement).collect()
}

/// One item of an `iam` value as a statement; `None` when it is not a mapping.
pub fn iam_statement(item: &Value) -> Option<IamStatement> {
    let Value::Map(m) = item else { return None };
    Some(IamStatement {
        effect: match record_key("iam", m, "effect") {
            Value::Str(s) => s,
            _ => String::new(),
        },
        actions: super::texts(&record_key("iam", m, "actions")),
        resources: super::texts(&record_key("iam", m, "resources")),
    })
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
    let get = |name: &str| record_key("cors", &written, name);
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
            if kind == "s3" {
                if let Some(missing) = ["bucket", "key"].into_iter().find(|k| !settings[k].is_string()) {
                    return Err(format!(
                        "the `s3` backend needs `{missing}` (the state is `<workspace_key_prefix>/<stage>/<key>` in `bucket`), \
                         e.g. `backend: {{s3: {{bucket: my-state, key: shop.tfstate, use_lockfile: true}}}}`"
                    ));
                }
            }
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
        let region = o.text("region");
        let backend = o.get("backend").and_then(|b| backend(&b.value).ok()).map(|b| match b {
            Backend::Standard { kind, settings } if kind == "s3" => {
                let settings = s3_backend(settings, region.as_deref(), &endpoints);
                Backend::Standard { kind, settings }
            }
            other => other,
        });
        StageSettings {
            region,
            profile: o.text("profile"),
            endpoints,
            backend,
            api_gateway_account: o.flag("api_gateway_account"),
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
            iam: iam_statements(&o.value("iam")),
            reserved_concurrency: o.int("reserved_concurrency"),
            provisioned_concurrency: o.int("provisioned_concurrency"),
            on_failure: o.text("on_failure"),
            access_logs: o.flag("access_logs"),
            throttle: throttle("throttle", &o.value("throttle")),
            route_throttle: match o.value("route_throttle") {
                Value::List(items) => items.iter().filter_map(|i| throttle("route_throttle", i)).collect(),
                _ => Vec::new(),
            },
            domain: {
                let own = o.get("domain").filter(|e| e.origin == crate::config::Origin::Service);
                let stage_wide = self.options("deploy", stage, None, cli).value("domain");
                domain(&stage_wide, own.map(|e| &e.value))
            },
            api: ApiKind::of(o.text("api").as_deref()),
            usage_plan: match o.value("usage_plan") {
                Value::Map(m) => {
                    let text = |k: &str| record_text("usage_plan", &m, k);
                    let throttle = Throttle { route: None, rate: text("rate"), burst: text("burst") };
                    Some(UsagePlan { quota: text("quota"), period: text("period"), throttle })
                }
                _ => o.flag("api_key").then(UsagePlan::default),
            },
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
    fn usage_plans_from_api_key_or_usage_plan() {
        let yaml = "version: 3\ncommands:\n  deploy:\n    api_key: true\nservices:\n  billing:\n    commands: {deploy: {usage_plan: {quota: 100, period: week, rate: 2.5, burst: 4}}}\nworkspaces:\n  dev: {}\n  off:\n    commands: {deploy: {api_key: false}}\n";
        let project = crate::settings::tests::project_with_config(yaml);
        let none = BTreeMap::new();
        let billing = project.function_settings("dev", "billing", &none).usage_plan.expect("written");
        assert_eq!(billing.quota(), Ok(Some((100, "WEEK".to_string()))));
        assert_eq!(billing.limits(), Ok(Some(Limits { rate: Some(2.5), burst: Some(4) })));
        let other = project.function_settings("dev", "other", &none).usage_plan.expect("api_key: true");
        assert_eq!((other.quota(), other.limits()), (Ok(None), Ok(None)));
        assert_eq!(project.function_settings("off", "other", &none).usage_plan, None);
        let bad = |quota: Option<&str>, period: Option<&str>| {
            UsagePlan { quota: quota.map(Into::into), period: period.map(Into::into), ..Default::default() }
                .quota()
        };
        assert!(bad(Some("0"), Some("day")).is_err());
        assert!(bad(Some("5"), Some("year")).is_err());
        assert!(bad(None, Some("day")).is_err());
        assert!(bad(Some("5"), None).is_err());
    }

    #[test]
    fn access_logs_and_throttles_as_written() {
        let yaml = "version: 3\ncommands:\n  deploy:\n    access_logs: true\n    throttle: {rate: 0.5, burst: 10}\nservices:\n  billing:\n    commands: {deploy: {route_throttle: [{route: GET /a, rate: 5}, {route: GET /b, burst: x}]}}\nworkspaces:\n  dev: {}\n  prod:\n    commands: {deploy: {api_gateway_account: true, access_logs: false}}\n";
        let project = crate::settings::tests::project_with_config(yaml);
        let none = BTreeMap::new();
        let dev = project.function_settings("dev", "billing", &none);
        assert!(dev.access_logs && !project.stage_settings("dev", &none).api_gateway_account);
        assert!(!project.function_settings("prod", "billing", &none).access_logs);
        assert!(project.stage_settings("prod", &none).api_gateway_account);
        let stage = dev.throttle.expect("throttle written");
        assert_eq!(stage.limits(), Ok(Limits { rate: Some(0.5), burst: Some(10) }));
        let routes: Vec<_> = dev.route_throttle.iter().map(|t| (t.route.clone(), t.limits())).collect();
        assert_eq!(routes[0], (Some("GET /a".into()), Ok(Limits { rate: Some(5.0), burst: None })));
        assert_eq!(routes[1].1, Err("`burst` is `x`, expected a positive integer".to_string()));
        let t = |rate: &str, burst: &str| {
            Throttle { route: None, rate: Some(rate.into()), burst: Some(burst.into()) }.limits()
        };
        assert!(
            t("0", "1").is_err() && t("-1", "1").is_err() && t("NaN", "1").is_err() && t("inf", "1").is_err()
        );
        assert!(t("1", "0").is_err() && t("1", "2.5").is_err() && t("1", "-3").is_err());
        assert_eq!(t("0.25", "1"), Ok(Limits { rate: Some(0.25), burst: Some(1) }));
        assert!(Throttle::default().limits().is_err(), "neither written");
        assert!(project.function_settings("dev", "other", &none).route_throttle.is_empty());
    }

    #[test]
    fn api_kind_per_stage_and_service() {
        let yaml = "version: 3\nservices:\n  billing:\n    commands: {deploy: {api: rest}}\nworkspaces:\n  dev: {}\n  web:\n    commands: {deploy: {api: http}}\n";
        let project = crate::settings::tests::project_with_config(yaml);
        let none = BTreeMap::new();
        assert_eq!(project.function_settings("dev", "catalog", &none).api, ApiKind::Rest, "the default");
        assert_eq!(project.function_settings("web", "catalog", &none).api, ApiKind::Http);
        assert_eq!(
            project.function_settings("web", "billing", &none).api,
            ApiKind::Rest,
            "the service's own"
        );
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
        let s3 = |settings: &str| {
            let project = crate::settings::tests::project_with_config(&format!(
                "version: 3\ncommands:\n  deploy:\n    region: eu-west-1\n    backend: {{s3: {settings}}}\nworkspaces:\n  dev: {{}}\n"
            ));
            project.stage_settings("dev", &BTreeMap::new()).backend
        };
        assert_eq!(s3("{bucket: b}"), None, "no key: CWS036");
        let locked = s3("{bucket: b, key: k, use_lockfile: true}").expect("an s3 backend");
        assert_eq!(
            (locked.s3_locked(), locked.uses_lockfile(), locked.is_local()),
            (Some(true), true, false)
        );
        let Backend::Standard { settings, .. } = &locked else { panic!("{locked:?}") };
        assert_eq!(settings["region"], "eu-west-1");
        let table =
            s3("{bucket: b, key: k, region: us-east-1, dynamodb_table: locks}").expect("an s3 backend");
        assert_eq!((table.s3_locked(), table.uses_lockfile()), (Some(true), false));
        let Backend::Standard { settings, .. } = &table else { panic!("{table:?}") };
        assert_eq!(settings["region"], "us-east-1", "written arguments win");
        assert_eq!(s3("{bucket: b, key: k}").and_then(|b| b.s3_locked()), Some(false));
    }

    #[test]
    fn destinations_and_iam_statements() {
        assert_eq!(destination_action("arn:aws:sqs:eu-west-1:123456789012:failed"), Some("sqs:SendMessage"));
        assert_eq!(destination_action("arn:aws-cn:sns:cn-north-1:123456789012:t"), Some("sns:Publish"));
        for bad in
            ["failed", "arn:aws:sqs:eu-west-1::q", "arn:aws:lambda:eu-west-1:1:function:f", "arn:aws:sqs:x:1"]
        {
            assert_eq!(destination_action(bad), None, "{bad}");
        }
        let st = |effect: &str, actions: &[&str], resources: &[&str]| IamStatement {
            effect: effect.into(),
            actions: actions.iter().map(|s| s.to_string()).collect(),
            resources: resources.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(st("Allow", &["sqs:Send*", "s3:Get?bject"], &["arn:aws:sqs:*:*:q", "*"]).problem(), None);
        assert_eq!(st("Deny", &["*"], &["*"]).problem(), None);
        assert!(st("Allow", &["*"], &["*"]).problem().is_some());
        assert!(st("Allow", &["sqs:"], &["*"]).problem().is_some());
        assert!(st("Allow", &["sqs:Send Message"], &["*"]).problem().is_some());
        assert!(st("Allow", &[], &["*"]).problem().is_some());
        assert!(st("Allow", &["sqs:SendMessage"], &[]).problem().is_some());
        assert!(st("Allow", &["sqs:SendMessage"], &["queue"]).problem().is_some());
    }

    #[test]
    fn domains_merge_the_services_keys_and_derive_base_paths() {
        let yaml = "version: 3\ncommands:\n  deploy:\n    region: eu-west-1\nservices:\n  billing:\n    commands: {deploy: {domain: {base_path: pay}}}\nworkspaces:\n  dev:\n    commands: {deploy: {domain: {name: api.shop.example, certificate_arn: c}}}\n  edge:\n    commands: {deploy: {domain: {name: shop.example, certificate_arn: c, endpoint: edge}}}\n  none: {}\n";
        let project = crate::settings::tests::project_with_config(yaml);
        let none = BTreeMap::new();
        let billing = project.function_settings("dev", "billing", &none).domain.expect("a domain");
        assert_eq!(
            (billing.name.as_str(), billing.certificate_arn.as_str(), billing.base_path.as_deref()),
            ("api.shop.example", "c", Some("pay"))
        );
        assert_eq!(billing.endpoint, DomainEndpoint::Regional, "the schema's default");
        let catalog = project.function_settings("dev", "catalog", &none).domain.expect("a domain");
        assert_eq!(catalog.base_path, None);
        assert_eq!(
            project.function_settings("edge", "catalog", &none).domain.map(|d| d.endpoint),
            Some(DomainEndpoint::Edge)
        );
        assert_eq!(
            project.function_settings("none", "billing", &none).domain,
            None,
            "a base path alone is no domain"
        );
        let urls = |list: &[(&str, &Domain)]| -> Vec<String> {
            domain_mappings(list.iter().copied()).iter().map(DomainMapping::url).collect()
        };
        assert_eq!(
            urls(&[("billing", &billing), ("catalog", &catalog)]),
            ["https://api.shop.example/pay", "https://api.shop.example/catalog"]
        );
        assert_eq!(urls(&[("catalog", &catalog)]), ["https://api.shop.example"], "alone: the root");
    }

    #[test]
    fn certificates_names_and_base_paths() {
        assert_eq!(
            certificate_region("arn:aws:acm:eu-west-1:123456789012:certificate/1f2e-3d4c"),
            Some("eu-west-1")
        );
        assert_eq!(
            certificate_region("arn:aws-cn:acm:cn-north-1:123456789012:certificate/x1"),
            Some("cn-north-1")
        );
        for bad in [
            "my-certificate",
            "arn:aws:iam::123456789012:server-certificate/x",
            "arn:aws:acm:eu-west-1:1234:certificate/x",
            "arn:aws:acm:eu-west-1:123456789012:certificate/",
            "arn:aws:acm::123456789012:certificate/x",
        ] {
            assert_eq!(certificate_region(bad), None, "{bad}");
        }
        for good in ["api.example.com", "*.example.com", "a-b.c1.example"] {
            assert_eq!(domain_name_problem(good), None, "{good}");
        }
        for bad in [
            "https://api.example.com",
            "api.example.com/v1",
            "localhost",
            "-a.example",
            "a..example",
            "a_b.example",
            "api.example.123",
        ] {
            assert!(domain_name_problem(bad).is_some(), "{bad}");
        }
        assert_eq!(base_path_problem("billing-v1.2"), None);
        assert!(base_path_problem("v1/billing").is_some() && base_path_problem("").is_some());
        assert_eq!(DomainEndpoint::Edge.certificate_region(Some("eu-west-1")), Some(EDGE_CERTIFICATE_REGION));
        assert_eq!(DomainEndpoint::Regional.certificate_region(Some("eu-west-1")), Some("eu-west-1"));
    }

    #[test]
    fn names_and_snapstart() {
        assert_eq!(resource_name(&["e shop", "billing", "dev"]), "e-shop-billing-dev");
        assert!(!snapstart_supported(RUNTIME));
        assert!(snapstart_supported("java21"));
    }
}
