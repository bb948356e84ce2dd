//! Deployment diagnostics: what would fail or surprise at `cws deploy`, found while editing.
//!
//! Lambda's and API Gateway's limits, the options a deployment needs, packages over the size limits,
//! stages without an environment, async entries without a results bucket, public entries and
//! secrets in clear in production. The values checked are the ones the generators use
//! ([`crate::settings::deploy`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::cache::{Pass, StagePass};
use super::ServiceScope;
use crate::config::{ProjectConfig, Value};
use crate::diagnostics::{Diagnostic, DiagnosticCode, Edit, Fix};
use crate::layout::{
    generated_terraform_files, is_generated_terraform, package_path, terraform_service_file, CONFIG_FILE,
    TERRAFORM_DIR, TERRAFORM_MAIN_FILE,
};
use crate::model::{Auth, Entry};
use crate::project::Project;
use crate::settings::deploy::{self as settings, MAX_UNZIPPED_BYTES, MAX_ZIP_BYTES, RUNTIME};
use crate::settings::env::looks_secret;
use crate::settings::CliOptions;
use crate::text::{ByteRange, Span};

pub use crate::config::schema::API_GATEWAY_TIMEOUT;

/// The retention periods CloudWatch Logs accepts, in days.
pub const LOG_RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/// Whether any layer of `project.cws.yml` configures `deploy`.
fn deploy_configured(config: &ProjectConfig) -> bool {
    config.commands.contains_key("deploy")
        || config.services.iter().any(|s| s.commands.contains_key("deploy"))
        || config.workspaces.iter().flatten().any(|w| w.commands.contains_key("deploy"))
}

/// Where `option` of `deploy` is written for this stage and service, if it is.
fn written_at(project: &Project, stage: &str, service: Option<&str>, option: &str) -> Option<Span> {
    project.options("deploy", stage, service, &CliOptions::new()).get(option).and_then(|e| e.span)
}

/// Where `option` of `deploy` is written for this stage and service (the file's start otherwise).
fn option_span(project: &Project, stage: &str, service: Option<&str>, option: &str) -> Span {
    written_at(project, stage, service, option).unwrap_or_default()
}

/// A fix writing `value` where `option` of `deploy` is written for this stage and service.
fn set_option(
    project: &Project,
    (stage, service): (&str, &str),
    option: &str,
    value: &str,
    why: &str,
    safe: bool,
) -> Option<Fix> {
    let span = written_at(project, stage, Some(service), option)?;
    let edit = Edit::new(CONFIG_FILE, ByteRange::new(span.start.offset, span.end.offset), value);
    Some(Fix { title: format!("Set `{option}` to {value}{why}"), safe, edits: vec![edit] })
}

/// The value of `allowed` (sorted) nearest to `value` (the smaller on a tie).
fn nearest(allowed: &[i64], value: i64) -> Option<i64> {
    allowed.iter().copied().min_by_key(|a| (a.abs_diff(value), *a))
}

/// Adds the project-wide deployment diagnostics of the pass's stages to `out`; those of each
/// service are [`service_checks`]'.
pub(super) fn check(project: &Project, pass: &Pass, out: &mut Vec<Diagnostic>) {
    package_checks(project, out);
    let Some(config) = project.config() else { return };
    for StagePass { name: s, env, .. } in pass.checked.iter().filter(|p| project.is_production(&p.name)) {
        plain_secret_checks(env, s, out);
    }
    iam_checks(config, out);
    terraform_file_checks(project, out);
    if !deploy_configured(config) {
        return;
    }
    let none = CliOptions::new();
    for StagePass { name: s, env, .. } in &pass.checked {
        lambda_env_checks(env, s, out);
        let st = project.stage_settings(s, &none);
        if st.region.is_none() && st.profile.is_none() {
            out.push(Diagnostic::new(
                DiagnosticCode::MissingDeployOption,
                CONFIG_FILE,
                Span::default(),
                format!(
                    "stage `{s}` has no AWS `region` to deploy to: set `region` under `commands.deploy` \
                     (or `workspaces.{s}.commands.deploy`), or a `profile` that names one"
                ),
            ));
        }
        let written = project.options("deploy", s, None, &none).get("backend").cloned();
        if let Some(b) = &written {
            if let Err(why) = settings::backend(&b.value) {
                out.push(Diagnostic::new(
                    DiagnosticCode::BadBackend,
                    CONFIG_FILE,
                    b.span.unwrap_or_default(),
                    why,
                ));
            }
        }
        let backend_span = written.as_ref().and_then(|b| b.span);
        let local = st.backend.as_ref().is_none_or(settings::Backend::is_local);
        if project.is_production(s)
            && local
            && written.as_ref().is_none_or(|b| settings::backend(&b.value).is_ok())
        {
            let span = backend_span.or_else(|| config.workspace(s).map(|w| w.name_span)).unwrap_or_default();
            out.push(Diagnostic::new(
                DiagnosticCode::UnsharedState,
                CONFIG_FILE,
                span,
                format!(
                    "production stage `{s}` keeps its Terraform state on this machine (the local backend): \
                     nobody else can deploy or destroy it, and losing `terraform/` loses track of its resources; \
                     set `backend: {{s3: {{bucket: ..., key: ..., use_lockfile: true}}}}` under `commands.deploy`"
                ),
            ));
        }
        if st.backend.as_ref().and_then(settings::Backend::s3_locked) == Some(false) {
            out.push(Diagnostic::new(
                DiagnosticCode::UnsharedState,
                CONFIG_FILE,
                backend_span.unwrap_or_default(),
                format!(
                    "the `s3` backend of stage `{s}` does not lock the state: two deploys at once can overwrite \
                     each other's state; add `use_lockfile: true` (Terraform 1.10+) or a `dynamodb_table`"
                ),
            ));
        }
    }
}

/// The custom-domain diagnostics of the pass's stages ([`domain_checks`]). Besides the pass they
/// read only the set of service names: the checks' memory keeps them while that set stays.
pub(super) fn domain_diagnostics(project: &Project, pass: &Pass) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let Some(config) = project.config().filter(|c| deploy_configured(c)) else { return out };
    let none = CliOptions::new();
    for StagePass { name: s, functions, .. } in &pass.checked {
        let region = project.stage_settings(s, &none).region;
        domain_checks(project, config, (s, functions), region.as_deref(), &mut out);
    }
    out
}

/// Adds the deployment diagnostics of one service (in the pass's stages) to `out`.
pub(super) fn service_checks(
    project: &Project,
    pass: &Pass,
    scope: &ServiceScope<'_>,
    out: &mut Vec<Diagnostic>,
) {
    route_checks(project, scope, pass.stage(), out);
    let Some(config) = project.config() else { return };
    if !deploy_configured(config) {
        return;
    }
    let name = scope.name;
    for StagePass { name: s, has_env, functions: stage_wide, .. } in &pass.checked {
        if !has_env && config.workspace(s).is_some() {
            env_checks(scope, s, out);
        }
        let entries = scope.entries(project, Some(s));
        let f = &*function_settings(project, config, (s, stage_wide), name);
        let at = (s.as_str(), name);
        if f.timeout > API_GATEWAY_TIMEOUT {
            let fix = set_option(project, at, "timeout", &API_GATEWAY_TIMEOUT.to_string(), "", false);
            out.push(
                Diagnostic::new(
                    DiagnosticCode::ApiTimeout,
                    CONFIG_FILE,
                    option_span(project, s, Some(name), "timeout"),
                    format!(
                        "`{name}` in stage `{s}` has a {} s timeout, but API Gateway answers 504 after \
                     {API_GATEWAY_TIMEOUT} s: only asynchronous calls can use the rest",
                        f.timeout
                    ),
                )
                .with_fixes(fix),
            );
        }
        if let Some(days) = f.log_retention.filter(|d| !LOG_RETENTION_DAYS.contains(d)) {
            let allowed: Vec<String> = LOG_RETENTION_DAYS.iter().map(|d| d.to_string()).collect();
            let fix = nearest(LOG_RETENTION_DAYS, days).and_then(|n| {
                set_option(
                    project,
                    at,
                    "log_retention",
                    &n.to_string(),
                    " (the nearest CloudWatch keeps)",
                    true,
                )
            });
            out.push(
                Diagnostic::new(
                    DiagnosticCode::LogRetention,
                    CONFIG_FILE,
                    option_span(project, s, Some(name), "log_retention"),
                    format!("CloudWatch does not keep logs {days} days; use one of {}", allowed.join(", ")),
                )
                .with_fixes(fix),
            );
        }
        if f.snapstart && !settings::snapstart_supported(RUNTIME) {
            let fix = set_option(project, at, "snapstart", "false", " (it is ignored)", true);
            out.push(Diagnostic::new(
                DiagnosticCode::SnapStartUnsupported,
                CONFIG_FILE,
                option_span(project, s, Some(name), "snapstart"),
                format!("Lambda has no SnapStart for the `{RUNTIME}` runtime of `{name}`: the option is ignored"),
            ).with_fixes(fix));
        }
        if let (Some(p), Some(r)) = (f.provisioned_concurrency, f.reserved_concurrency) {
            if p > r {
                out.push(Diagnostic::new(
                    DiagnosticCode::ProvisionedOverReserved,
                    CONFIG_FILE,
                    option_span(project, s, Some(name), "provisioned_concurrency"),
                    format!(
                        "`{name}` in stage `{s}` keeps {p} instances initialised (`provisioned_concurrency`) \
                         but may run only {r} at once (`reserved_concurrency`)"
                    ),
                ));
            }
        }
        if f.api == settings::ApiKind::Http && !f.binary_media_types.is_empty() {
            out.push(Diagnostic::new(
                DiagnosticCode::HttpApiBinaryTypes,
                CONFIG_FILE,
                option_span(project, s, Some(name), "binary_media_types"),
                format!(
                    "`binary_media_types` of `{name}` in stage `{s}` is not deployed: `{name}` is served by an \
                     HTTP API (`api: http`), which passes binary bodies base64-encoded without it"
                ),
            ));
        }
        if let Some(plan) = &f.usage_plan {
            let option = if plan == &settings::UsagePlan::default() { "api_key" } else { "usage_plan" };
            if f.api == settings::ApiKind::Http {
                out.push(Diagnostic::new(
                    DiagnosticCode::HttpApiUsagePlan,
                    CONFIG_FILE,
                    option_span(project, s, Some(name), option),
                    format!(
                        "`{option}` of `{name}` in stage `{s}` cannot be deployed: `{name}` is served by an HTTP API \
                         (`api: http`), which has no API keys or usage plans"
                    ),
                ));
            }
            if let Some(problem) = plan.quota().err().or_else(|| plan.limits().err()) {
                out.push(Diagnostic::new(
                    DiagnosticCode::BadUsagePlan,
                    CONFIG_FILE,
                    option_span(project, s, Some(name), "usage_plan"),
                    format!("`usage_plan` of `{name}` in stage `{s}`: {problem}"),
                ));
            }
        }
        if let Some(arn) = f.on_failure.as_ref().filter(|a| settings::destination_action(a).is_none()) {
            out.push(Diagnostic::new(
                DiagnosticCode::AsyncDestination,
                CONFIG_FILE,
                option_span(project, s, Some(name), "on_failure"),
                format!(
                    "`on_failure` of `{name}` in stage `{s}` is `{arn}`, not the ARN of an SQS queue \
                     (`arn:aws:sqs:<region>:<account>:<name>`) or an SNS topic (`arn:aws:sns:...`)"
                ),
            ));
        }
        let routes: Vec<String> = entries.iter().map(|e| e.route.to_string()).collect();
        let throttles = f.throttle.iter().map(|t| ("throttle", t));
        for (option, t) in throttles.chain(f.route_throttle.iter().map(|t| ("route_throttle", t))) {
            let route = t.route.as_deref().map(crate::artifacts::api::normalize_route);
            let problem = match (t.limits(), &route) {
                (Err(e), _) => Some(e),
                (Ok(_), Some(r)) if r.ends_with(" /") => {
                    Some(format!("`{r}` is the root route, whose method settings API Gateway keys differently: limit it with `throttle`"))
                }
                (Ok(_), Some(r)) if !routes.contains(r) => {
                    Some(format!("`{r}` is not a route of `{name}` in stage `{s}` (see `cws routes -s {s}`)"))
                }
                _ => None,
            };
            if let Some(problem) = problem {
                out.push(Diagnostic::new(
                    DiagnosticCode::BadThrottle,
                    CONFIG_FILE,
                    option_span(project, s, Some(name), option),
                    format!("`{option}` of `{name}` in stage `{s}`: {problem}"),
                ));
            }
        }
        for e in &entries {
            if e.is_async && f.bucket.is_none() {
                out.push(Diagnostic::new(
                    DiagnosticCode::AsyncWithoutBucket,
                    &e.location.file,
                    e.location.span,
                    format!(
                        "`{}` can be called asynchronously, but stage `{s}` has no results `bucket` for `{name}`: \
                         set `bucket` under `commands.deploy`",
                        e.rust_name
                    ),
                ));
            }
            let route = e.route.to_string();
            if e.auth == Auth::None && project.is_production(s) && !f.public.contains(&route) {
                out.push(Diagnostic::new(
                    DiagnosticCode::NoAuthInProduction,
                    &e.location.file,
                    e.location.span,
                    format!(
                        "`{route}` of `{name}` needs no token in production stage `{s}`; if it is meant to be \
                         public, list it under `public` of `commands.deploy`"
                    ),
                ));
            }
        }
    }
}

/// Where key `key` of `service`'s `domain` in stage `s` is written: the service's own `domain` when
/// it writes the key, else the stage's `domain`.
fn domain_key_span(project: &Project, s: &str, service: &str, key: &str) -> Span {
    let own = project.options("deploy", s, Some(service), &CliOptions::new()).get("domain").cloned();
    let own = own.filter(|e| {
        e.origin == crate::config::Origin::Service && matches!(&e.value, Value::Map(m) if m.contains_key(key))
    });
    own.and_then(|e| e.span).unwrap_or_else(|| option_span(project, s, None, "domain"))
}

/// The custom domains of stage `s` (`region`: the stage's): malformed names, certificates and base
/// paths (`CWS060`), certificates of the wrong region (`CWS058`), two services on one base path of a
/// domain or disagreeing on its certificate (`CWS059`). A domain written once for the stage is
/// reported once.
/// The settings of service `name`'s function in stage `s`: the stage-wide ones (`stage_wide`,
/// computed once per pass) unless the service has deploy options of its own.
fn function_settings<'a>(
    project: &Project,
    config: &ProjectConfig,
    (s, stage_wide): (&str, &'a settings::FunctionSettings),
    name: &str,
) -> std::borrow::Cow<'a, settings::FunctionSettings> {
    let own = config.service(name).is_some_and(|c| c.commands.contains_key("deploy"));
    if own {
        std::borrow::Cow::Owned(project.function_settings(s, name, &CliOptions::new()))
    } else {
        std::borrow::Cow::Borrowed(stage_wide)
    }
}

fn domain_checks(
    project: &Project,
    config: &ProjectConfig,
    (s, stage_wide): (&str, &settings::FunctionSettings),
    region: Option<&str>,
    out: &mut Vec<Diagnostic>,
) {
    // Each service's domain and API kind; the stage-wide settings stand for the services without
    // deploy options of their own (not computed again per service on every pass).
    let domains: Vec<(&str, settings::Domain, settings::ApiKind)> = project
        .service_index()
        .keys()
        .filter_map(|n| {
            let f = function_settings(project, config, (s, stage_wide), n);
            f.domain.clone().map(|d| (n.as_str(), d, f.api))
        })
        .collect();
    // Each diagnostic once (a domain written for the stage is every service's): a set, not a
    // search of the list per diagnostic.
    let mut found: BTreeSet<(DiagnosticCode, Span, String)> = BTreeSet::new();
    let mut push = |code, span, message: String| {
        found.insert((code, span, message));
    };
    for (name, d, api) in &domains {
        let span = |key| domain_key_span(project, s, name, key);
        if let Some(problem) = settings::domain_name_problem(&d.name) {
            push(DiagnosticCode::BadDomain, span("name"), format!("`domain` in stage `{s}`: {problem}"));
        }
        if let Some(problem) = d.base_path.as_deref().and_then(settings::base_path_problem) {
            let message = format!("`domain` of `{name}` in stage `{s}`: {problem}");
            push(DiagnosticCode::BadDomain, span("base_path"), message);
        }
        if d.endpoint == settings::DomainEndpoint::Edge && *api == settings::ApiKind::Http {
            push(
                DiagnosticCode::HttpApiEdgeDomain,
                span("endpoint"),
                format!(
                    "`{name}` is served by an HTTP API in stage `{s}`, but `{}` is an `edge` domain: HTTP APIs \
                     take regional custom domains only (`endpoint: regional`)",
                    d.name
                ),
            );
        }
        let span = span("certificate_arn");
        let wanted = d.endpoint.certificate_region(region);
        match settings::certificate_region(&d.certificate_arn) {
            None => push(
                DiagnosticCode::BadDomain,
                span,
                format!(
                    "`domain` in stage `{s}`: `certificate_arn` is `{}`, not an ACM certificate's ARN \
                     (`arn:aws:acm:<region>:<account>:certificate/<id>`)",
                    d.certificate_arn
                ),
            ),
            Some(r) if wanted.is_some_and(|w| w != r) => {
                let (kind, wanted) = match d.endpoint {
                    settings::DomainEndpoint::Edge => {
                        ("an `edge` domain", "`us-east-1` (CloudFront's)".to_string())
                    }
                    settings::DomainEndpoint::Regional => (
                        "a `regional` domain",
                        format!("the stage's region `{}`", wanted.unwrap_or_default()),
                    ),
                };
                push(
                    DiagnosticCode::DomainCertificateRegion,
                    span,
                    format!(
                        "the certificate of `{}` in stage `{s}` is in `{r}`, but {kind} needs one in {wanted}",
                        d.name
                    ),
                );
            }
            Some(_) => {}
        }
    }
    let mappings = settings::domain_mappings(domains.iter().map(|(n, d, _)| (*n, d)));
    // Each mapping meets the earlier ones of its domain name (one diagnostic per clashing pair),
    // reached through what they share: the same base path, or another certificate or endpoint.
    // Pairs that clash on nothing are not visited, so a domain shared by every service costs one
    // look-up per service.
    #[derive(Default)]
    struct Earlier<'a> {
        by_path: BTreeMap<Option<&'a str>, Vec<usize>>,
        by_certificate: BTreeMap<(&'a str, settings::DomainEndpoint), Vec<usize>>,
    }
    let mut earlier: BTreeMap<&str, Earlier<'_>> = BTreeMap::new();
    for (i, m) in mappings.iter().enumerate() {
        let seen = earlier.entry(m.domain.name.as_str()).or_default();
        let path_key = m.base_path.as_deref();
        let certificate_key = (m.domain.certificate_arn.as_str(), m.domain.endpoint);
        let same_path = seen.by_path.get(&path_key).into_iter().flatten();
        let other_certificate = seen
            .by_certificate
            .iter()
            .filter(|(k, _)| **k != certificate_key)
            .flat_map(|(_, ids)| ids)
            .filter(|&&e| mappings[e].base_path != m.base_path);
        let mut clashes: Vec<usize> = same_path.chain(other_certificate).copied().collect();
        clashes.sort_unstable();
        if !clashes.is_empty() {
            let span = domain_key_span(project, s, &m.service, "base_path");
            let path = m.base_path.as_deref().map_or("the root".to_string(), |p| format!("`/{p}`"));
            for earlier in clashes.iter().map(|&e| &mappings[e]) {
                let message = if earlier.base_path == m.base_path {
                    format!(
                        "`{}` and `{}` are both mapped to {path} of `{}` in stage `{s}`: give one of them \
                         another `base_path`",
                        earlier.service, m.service, m.domain.name
                    )
                } else {
                    format!(
                        "`{}` and `{}` share `{}` in stage `{s}` with different certificates or endpoints: \
                         a domain has one",
                        earlier.service, m.service, m.domain.name
                    )
                };
                push(DiagnosticCode::DomainBasePathClash, span, message);
            }
        }
        seen.by_path.entry(path_key).or_default().push(i);
        seen.by_certificate.entry(certificate_key).or_default().push(i);
    }
    out.extend(
        found.into_iter().map(|(code, span, message)| Diagnostic::new(code, CONFIG_FILE, span, message)),
    );
}

/// Malformed statements of `iam`, wherever the option is written (all stages, every service).
fn iam_checks(config: &ProjectConfig, out: &mut Vec<Diagnostic>) {
    let layers = std::iter::once(&config.commands)
        .chain(config.services.iter().map(|s| &s.commands))
        .chain(config.workspaces.iter().flatten().map(|w| &w.commands));
    for setting in layers.filter_map(|c| c.get("deploy").and_then(|d| d.get("iam"))) {
        let Value::List(items) = &setting.value else { continue };
        for (i, item) in items.iter().enumerate() {
            if let Some(problem) = settings::iam_statement(item).and_then(|st| st.problem()) {
                let message = format!("`iam` statement {}: {problem}", i + 1);
                out.push(Diagnostic::new(DiagnosticCode::IamStatement, CONFIG_FILE, setting.span, message));
            }
        }
    }
}

/// Files of the project in `terraform/` under a name `cws deploy` writes, which it did not write:
/// the deploy would refuse to overwrite them.
fn terraform_file_checks(project: &Project, out: &mut Vec<Diagnostic>) {
    let dir = project.root().join(TERRAFORM_DIR);
    let Ok(listing) = std::fs::read_dir(&dir) else { return };
    let present: BTreeSet<String> =
        listing.flatten().filter_map(|e| e.file_name().to_str().map(String::from)).collect();
    // The names only: assembling every service would copy every entry of the project on every pass.
    let services = project.service_names();
    for name in generated_terraform_files(services.iter().copied()) {
        if !present.contains(&name) {
            continue;
        }
        let text = crate::scan::read_regular(&dir.join(&name)).ok().and_then(|b| String::from_utf8(b).ok());
        if text.as_deref().is_some_and(is_generated_terraform) {
            continue;
        }
        let file = Path::new(TERRAFORM_DIR).join(&name);
        let what = if name == TERRAFORM_MAIN_FILE {
            "the stage's provider, backend and outputs".to_string()
        } else {
            let service = services.iter().find(|s| terraform_service_file(s) == name);
            format!("the resources of service `{}`", service.copied().unwrap_or("?"))
        };
        out.push(Diagnostic::new(
            DiagnosticCode::TerraformFileClash,
            &file,
            Span::default(),
            format!(
                "`{}` is not a file cws deploy generated, but `cws deploy` writes {what} under this name: \
                 rename your file (any other `*.tf` or `*.tf.json` name is kept and applied with the generated ones); \
                 if an older cws wrote it, delete it",
                file.display()
            ),
        ));
    }
}

/// Stages named in `#[entry(stage = ..)]` of one service that exist but have no env file at all.
fn env_checks(scope: &ServiceScope<'_>, stage: &str, out: &mut Vec<Diagnostic>) {
    for (model, part) in scope.parts() {
        for (e, spans) in part.entries.iter().zip(&part.stage_spans) {
            for (s, span) in e.stages.iter().zip(spans).filter(|(s, _)| *s == stage) {
                out.push(Diagnostic::new(
                    DiagnosticCode::StageWithoutEnv,
                    &model.file,
                    *span,
                    format!(
                        "stage `{s}` has no env file (`.env.{s}` or `env_files`): `{}` would be deployed \
                         without the stage's settings such as its `TOKEN`",
                        e.rust_name
                    ),
                ));
            }
        }
    }
}

fn valid_part(part: &str) -> bool {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':');
    match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
        Some(name) => {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        }
        None => !part.is_empty() && part.chars().all(ok),
    }
}

/// Names Lambda sets itself and refuses in a function's environment.
pub const RESERVED_ENV: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// Largest total size of a function's environment (names and values), in bytes.
pub const MAX_ENV_BYTES: usize = 4096;

/// Environment variables Lambda rejects, and environments over its size limit.
fn lambda_env_checks(env: &crate::settings::StageEnv, stage: &str, out: &mut Vec<Diagnostic>) {
    let mut total = 0;
    for (key, v) in env.vars.iter().filter(|(_, v)| !v.secret) {
        let (value, file, span) = (&v.value, &v.file, &v.key_span);
        total += key.len() + value.len();
        let valid = key.starts_with(|c: char| c.is_ascii_alphabetic())
            && key.len() > 1
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let problem = if RESERVED_ENV.contains(&key.as_str()) {
            Some(format!("`{key}` is reserved: Lambda sets it itself"))
        } else if !valid {
            Some(format!("Lambda does not accept the variable name `{key}` (letters, digits and `_`, starting with a letter)"))
        } else {
            None
        };
        if let Some(problem) = problem {
            out.push(Diagnostic::new(
                DiagnosticCode::LambdaEnv,
                file,
                *span,
                format!("{problem}; stage `{stage}` cannot deploy with it"),
            ));
        }
    }
    if total > MAX_ENV_BYTES {
        out.push(Diagnostic::new(
            DiagnosticCode::LambdaEnv,
            CONFIG_FILE,
            Span::default(),
            format!(
                "the environment of stage `{stage}` holds {total} bytes; Lambda takes at most {MAX_ENV_BYTES}: \
                 move large values to a `*.secret` file (SSM parameters) or to S3"
            ),
        ));
    }
}

/// Variables named like secrets that a production stage would deploy in clear.
fn plain_secret_checks(env: &crate::settings::StageEnv, stage: &str, out: &mut Vec<Diagnostic>) {
    for (key, v) in env.vars.iter().filter(|(k, v)| !v.secret && looks_secret(k)) {
        out.push(Diagnostic::new(
            DiagnosticCode::PlainSecret,
            &v.file,
            v.key_span,
            format!(
                "`{key}` looks like a secret, but production stage `{stage}` would deploy it in clear \
                 (Terraform files, state, Lambda configuration): move it to `.env.{stage}.secret`"
            ),
        ));
    }
}

/// Routes API Gateway rejects: characters outside its path-part alphabet, empty segments, and two
/// different `{names}` at the same place in one service's resource tree.
fn route_checks(project: &Project, scope: &ServiceScope<'_>, stage: Option<&str>, out: &mut Vec<Diagnostic>) {
    let service = scope.name;
    let entries = scope.entries(project, stage);
    // parent path → variable part → entries using it
    let mut variables: BTreeMap<String, BTreeMap<&str, Vec<&Entry>>> = BTreeMap::new();
    for e in &entries {
        if e.route.path == "/" {
            continue;
        }
        let parts: Vec<&str> = e.route.path.split('/').skip(1).collect();
        if let Some(bad) = parts.iter().find(|p| !valid_part(p)) {
            out.push(Diagnostic::new(
                DiagnosticCode::ApiGatewayRoute,
                &e.location.file,
                e.location.span,
                format!(
                    "API Gateway rejects the path part `{bad}` of `{}`: use letters, digits, `.`, `_`, `-`, `:` \
                     or a `{{name}}`, and no empty segment",
                    e.route
                ),
            ));
            continue;
        }
        if !e.route.path.contains('{') {
            continue;
        }
        let mut parent = String::new();
        for p in parts {
            if p.starts_with('{') {
                variables.entry(parent.clone()).or_default().entry(p).or_default().push(e);
            }
            parent.push('/');
            parent.push_str(p);
        }
    }
    for (parent, names) in variables.iter().filter(|(_, n)| n.len() > 1) {
        let all: Vec<&str> = names.keys().copied().collect();
        let mut reported = BTreeSet::new();
        for e in names.values().flatten() {
            if reported.insert((&e.location.file, e.location.span)) {
                out.push(Diagnostic::new(
                    DiagnosticCode::ApiGatewayRoute,
                    &e.location.file,
                    e.location.span,
                    format!(
                        "API Gateway allows one variable part under `{parent}/` of service `{service}`, but its routes \
                         use {}: name the parameter alike in every route",
                        all.join(" and ")
                    ),
                ));
            }
        }
    }
}

/// Packages built by `cws build` that are over Lambda's size limits.
fn package_checks(project: &Project, out: &mut Vec<Diagnostic>) {
    // One directory listing, not a stat per service: this runs on every diagnostics pass.
    let dir = project.root().join("target").join("lambda");
    let Ok(listing) = std::fs::read_dir(&dir) else { return };
    let built: BTreeSet<String> =
        listing.flatten().filter_map(|e| e.file_name().to_str().map(String::from)).collect();
    for name in built.iter().filter(|n| project.has_service(n)) {
        let files = project.service_files(name);
        // The service's first `impl` block, in path order.
        let first = files.iter().find_map(|m| m.services.iter().find(|p| p.name == *name));
        if let Some(part) = first {
            let rel = package_path(&part.name);
            let Ok(meta) = std::fs::metadata(project.root().join(&rel)) else { continue };
            let unzipped = unzipped_size(&project.root().join(&rel)).unwrap_or(0);
            let problem = if meta.len() > MAX_ZIP_BYTES {
                format!("is {} bytes zipped; Lambda takes at most {MAX_ZIP_BYTES}", meta.len())
            } else if unzipped > MAX_UNZIPPED_BYTES {
                format!("is {unzipped} bytes unzipped; Lambda takes at most {MAX_UNZIPPED_BYTES}")
            } else {
                continue;
            };
            out.push(Diagnostic::new(
                DiagnosticCode::PackageTooLarge,
                &part.location.file,
                part.location.span,
                format!(
                    "the package of `{}` ({}) {problem}: build in release mode, strip symbols (`strip = true` \
                     in the profile) or trim dependencies",
                    part.name,
                    rel.display()
                ),
            ));
        }
    }
}

/// The uncompressed size recorded in a zip's first local header.
fn unzipped_size(path: &Path) -> Option<u64> {
    use std::io::Read;
    let mut head = [0u8; 30];
    crate::scan::open_regular(path).ok()?.read_exact(&mut head).ok()?;
    (head[..4] == [0x50, 0x4b, 0x03, 0x04])
        .then(|| u64::from(u32::from_le_bytes([head[22], head[23], head[24], head[25]])))
}
