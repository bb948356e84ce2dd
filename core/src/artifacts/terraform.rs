//! Terraform configuration of one stage, generated as data: `*.tf.json` files (serde), the same
//! bytes for the same input.
//!
//! Per service: a Lambda function (custom runtime `provided.al2023`), its IAM role and policy, its
//! log group, SSM SecureString parameters for its secrets, what asynchronous calls need (the
//! function may invoke itself, without retries), and the API its [`ServiceApi`] describes — a
//! REST API (resources, methods, TOKEN authorizer, CORS, binary media types, a deployment) or an
//! HTTP API (`api: http`: routes, REQUEST authorizer, CORS configuration) — with a stage named
//! after the stage, the invoke permission and outputs. The stage is the Terraform workspace: every
//! function carries a precondition that the selected workspace is the stage the files were
//! generated for.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::artifacts::api::ServiceApi;
use crate::model::Service;
use crate::settings::deploy::{self as settings, ApiKind, Backend, FunctionSettings, StageSettings, RUNTIME};

mod api;
mod literal;
pub use literal::{literal, literal_part, literal_value, quoted};

/// Everything deployed for one stage.
#[derive(Debug, Clone)]
pub struct StageDeployment {
    /// Project name (prefix of deployed names).
    pub project: String,
    /// The stage (and Terraform workspace).
    pub stage: String,
    /// Provider and backend settings.
    pub settings: StageSettings,
    /// The services, by name.
    pub services: Vec<ServiceDeployment>,
}

/// One service of a stage.
#[derive(Debug, Clone)]
pub struct ServiceDeployment {
    /// The service with the entries of the stage only.
    pub service: Service,
    /// Its function's settings.
    pub function: FunctionSettings,
    /// Plain environment variables of the stage.
    pub env: BTreeMap<String, String>,
    /// Names of secret variables (values are given at apply time, see [`SECRETS_VARIABLE`]).
    pub secrets: Vec<String>,
    /// The zip package, relative to the Terraform directory.
    pub package: String,
    /// Base64 SHA-256 of the package, when it exists.
    pub package_hash: Option<String>,
}

/// The sensitive Terraform variable (`map(string)`) holding secret values; `cws deploy` passes it as
/// `TF_VAR_secrets` so no secret is ever written to a generated file.
pub const SECRETS_VARIABLE: &str = "secrets";

/// The environment variable telling the runtime which SSM parameters hold its secrets:
/// `KEY=/project/stage/service/KEY,OTHER=...`, read on first use.
pub const SECRETS_ENV: &str = "CWS_SECRET_PARAMETERS";

/// The resource type of the region's account-wide API Gateway settings (its CloudWatch role), which
/// a stage sets with `api_gateway_account` (in `main.tf.json`).
pub const API_GATEWAY_ACCOUNT: &str = "aws_api_gateway_account";

/// The name of that resource and of its role's resources (with a `-`, which no service's identifier has).
pub const API_GATEWAY_ACCOUNT_NAME: &str = "cws-api-gateway";

/// What API Gateway does in CloudWatch Logs with the account's role: the actions of AWS's managed
/// `AmazonAPIGatewayPushToCloudWatchLogs`, written out (as the Terraform AWS provider's example of
/// `aws_api_gateway_account` does) so that no managed policy must exist. On every log group: the
/// role serves every API of the account and region (access logs and execution logs).
pub const API_GATEWAY_LOGS_ACTIONS: &[&str] = &[
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
];

/// The account's API Gateway CloudWatch role (`api_gateway_account`): a role API Gateway assumes,
/// its policy, and the account setting naming it.
fn api_gateway_account(d: &StageDeployment) -> Value {
    let n = API_GATEWAY_ACCOUNT_NAME;
    let assume = policy(vec![json!({
        "Effect": "Allow",
        "Principal": { "Service": "apigateway.amazonaws.com" },
        "Action": "sts:AssumeRole",
    })]);
    let name = settings::resource_name(&[&d.project, "apigateway-cloudwatch", &d.stage]);
    let logs = policy(vec![json!({
        "Sid": "Logs",
        "Effect": "Allow",
        "Action": API_GATEWAY_LOGS_ACTIONS,
        "Resource": "*",
    })]);
    json!({
        "aws_iam_role": { n: { "name": literal(&name), "assume_role_policy": assume } },
        "aws_iam_role_policy": { n: {
            "name": literal(&format!("{name}-logs")),
            "role": format!("${{aws_iam_role.{n}.id}}"),
            "policy": logs,
        }},
        API_GATEWAY_ACCOUNT: { n: {
            "cloudwatch_role_arn": format!("${{aws_iam_role.{n}.arn}}"),
            "depends_on": [format!("aws_iam_role_policy.{n}")],
        }},
    })
}

/// The base path mappings of a stage's services that have a REST API and a `domain`
/// ([`settings::domain_mappings`]).
pub fn stage_domain_mappings(d: &StageDeployment) -> Vec<settings::DomainMapping> {
    // A service has an API exactly when it has entries in the stage (see [`ServiceApi::has_methods`]).
    let with_api = d.services.iter().filter(|s| !s.service.entries.is_empty());
    settings::domain_mappings(
        with_api.filter_map(|s| s.function.domain.as_ref().map(|dom| (s.service.name.as_str(), dom))),
    )
}

/// The Terraform name of a custom domain's `aws_api_gateway_domain_name`: `domain_` and the name
/// with `.` as `_` (no label of a domain name has a `_`, so two names never share one), `*` as
/// `wildcard`, and anything else Terraform does not take in a name as `_`.
fn domain_ident(name: &str) -> String {
    let mut id = String::from("domain_");
    for c in name.chars() {
        match c {
            '*' => id.push_str("wildcard"),
            c if c.is_ascii_alphanumeric() || c == '-' => id.push(c),
            _ => id.push('_'),
        }
    }
    id
}

/// The custom domains of a stage (one `aws_api_gateway_domain_name` each, TLS 1.2, the
/// certificate as its endpoint type takes it) and the `domains` output: what a DNS record of each
/// name points at (`target`, an alias in `zone_id`).
fn domain_names(d: &StageDeployment) -> (Map<String, Value>, Map<String, Value>) {
    let mut resources = Map::new();
    let mut outputs = Map::new();
    for m in stage_domain_mappings(d) {
        let id = domain_ident(&m.domain.name);
        if resources.contains_key(&id) {
            continue;
        }
        let tags = d
            .services
            .iter()
            .find(|s| s.service.name == m.service)
            .map(|s| Value::from(literal_map(&s.function.tags)))
            .unwrap_or_else(|| json!({}));
        let endpoint = m.domain.endpoint;
        let certificate = match endpoint {
            settings::DomainEndpoint::Regional => "regional_certificate_arn",
            settings::DomainEndpoint::Edge => "certificate_arn",
        };
        let (target, zone) = match endpoint {
            settings::DomainEndpoint::Regional => ("regional_domain_name", "regional_zone_id"),
            settings::DomainEndpoint::Edge => ("cloudfront_domain_name", "cloudfront_zone_id"),
        };
        resources.insert(
            id.clone(),
            json!({
                "domain_name": literal(&m.domain.name),
                certificate: literal(&m.domain.certificate_arn),
                "endpoint_configuration": { "types": [endpoint.api_gateway_type()] },
                "security_policy": "TLS_1_2",
                "tags": tags,
            }),
        );
        outputs.insert(
            literal(&m.domain.name),
            json!({
                "target": format!("${{aws_api_gateway_domain_name.{id}.{target}}}"),
                "zone_id": format!("${{aws_api_gateway_domain_name.{id}.{zone}}}"),
            }),
        );
    }
    (resources, outputs)
}

/// A Terraform identifier for a name: letters, digits and `_`.
pub fn ident(name: &str) -> String {
    crate::layout::terraform_ident(name)
}

/// The Lambda function's name of a service in a stage.
pub fn function_name(project: &str, service: &str, stage: &str) -> String {
    settings::resource_name(&[project, service, stage])
}

/// The CloudWatch Logs group of a service's function in a stage (`/aws/lambda/<function>`, where
/// Lambda writes): created by the generated Terraform, read by `cws logs`.
pub fn log_group_name(project: &str, service: &str, stage: &str) -> String {
    format!("/aws/lambda/{}", function_name(project, service, stage))
}

/// The CloudWatch Logs group of a service's REST API stage access log (`access_logs`):
/// `/aws/apigateway/<function>`.
pub fn access_log_group_name(project: &str, service: &str, stage: &str) -> String {
    format!("/aws/apigateway/{}", function_name(project, service, stage))
}

/// The SSM parameter name of a service's secret: `/<project>/<stage>/<service>/<KEY>`.
pub fn secret_parameter(project: &str, stage: &str, service: &str, key: &str) -> String {
    format!("/{}/{stage}/{}/{key}", settings::resource_name(&[project]), settings::resource_name(&[service]))
}

/// A map of the project's texts as a JSON object, keys and values through [`literal`].
fn literal_map(map: &BTreeMap<String, String>) -> Map<String, Value> {
    map.iter().map(|(k, v)| (literal(k), Value::from(literal(v)))).collect()
}

/// A list of the project's texts, each through [`literal`].
fn literal_list(list: &[String]) -> Vec<String> {
    list.iter().map(|s| literal(s)).collect()
}

#[derive(Default)]
struct Doc {
    resources: BTreeMap<&'static str, Map<String, Value>>,
    outputs: Map<String, Value>,
    locals: Map<String, Value>,
    addresses: Vec<String>,
}

impl Doc {
    fn add(&mut self, kind: &'static str, name: &str, body: Value) -> String {
        self.resources.entry(kind).or_default().insert(name.to_string(), body);
        let address = format!("{kind}.{name}");
        self.addresses.push(address.clone());
        address
    }
}

fn policy(statements: Vec<Value>) -> String {
    json!({ "Version": "2012-10-17", "Statement": statements }).to_string()
}

/// The addresses of every resource of one service (for `terraform apply -target=...`).
pub fn service_addresses(d: &StageDeployment, service: &str) -> Vec<String> {
    let Some(s) = d.services.iter().find(|s| s.service.name == service) else { return Vec::new() };
    let mut doc = Doc::default();
    service_resources(d, s, &mut doc)
}

fn service_resources(d: &StageDeployment, s: &ServiceDeployment, doc: &mut Doc) -> Vec<String> {
    doc.addresses.clear();
    let f = &s.function;
    let id = ident(&s.service.name);
    let name = function_name(&d.project, &s.service.name, &d.stage);
    let api = ServiceApi::of(d, s);
    let tags: Value = literal_map(&f.tags).into();

    // Logs.
    let mut log_group =
        json!({ "name": log_group_name(&d.project, &s.service.name, &d.stage), "tags": tags });
    if let Some(days) = f.log_retention {
        log_group["retention_in_days"] = days.into();
    }
    doc.add("aws_cloudwatch_log_group", &id, log_group);

    // Secrets: SecureString parameters whose values come from a sensitive variable at apply time.
    let mut secret_refs = Vec::new();
    for key in &s.secrets {
        let pid = format!("{id}__{}", ident(key).trim_start_matches('_'));
        doc.add(
            "aws_ssm_parameter",
            &pid,
            json!({
                "name": literal(&secret_parameter(&d.project, &d.stage, &s.service.name, key)),
                "type": "SecureString",
                "value": format!("${{var.{SECRETS_VARIABLE}[{}]}}", quoted(key)),
                "tags": tags,
            }),
        );
        secret_refs.push((key.clone(), pid));
    }

    // IAM: a role per function; its policy never grants `*` actions.
    let assume = policy(vec![json!({
        "Effect": "Allow",
        "Principal": { "Service": "lambda.amazonaws.com" },
        "Action": "sts:AssumeRole",
    })]);
    doc.add("aws_iam_role", &id, json!({ "name": name, "assume_role_policy": assume, "tags": tags }));
    let mut statements = vec![json!({
        "Sid": "Logs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": format!("${{aws_cloudwatch_log_group.{id}.arn}}:*"),
    })];
    if f.tracing {
        statements.push(json!({
            "Sid": "Tracing",
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*",
        }));
    }
    if let Some(bucket) = &f.bucket {
        statements.push(json!({
            "Sid": "AsyncResults",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": format!("arn:aws:s3:::{}/{}*", literal_part(bucket), literal_part(&f.results_prefix)),
        }));
    }
    if !secret_refs.is_empty() {
        let arns: Vec<String> =
            secret_refs.iter().map(|(_, pid)| format!("${{aws_ssm_parameter.{pid}.arn}}")).collect();
        statements.push(json!({
            "Sid": "Secrets",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:GetParameters"],
            "Resource": arns,
        }));
    }
    for (i, st) in f.iam.iter().enumerate() {
        let texts = |list: &[String]| list.iter().map(|t| literal_part(t)).collect::<Vec<_>>();
        statements.push(json!({
            "Sid": format!("Config{}", i + 1),
            "Effect": literal_part(&st.effect),
            "Action": texts(&st.actions),
            "Resource": texts(&st.resources),
        }));
    }
    // Lambda sends a failed asynchronous invocation to its destination with the function's role.
    if let Some((arn, action)) =
        f.on_failure.as_ref().and_then(|a| settings::destination_action(a).map(|x| (a, x)))
    {
        statements.push(json!({
            "Sid": "OnFailure",
            "Effect": "Allow",
            "Action": [action],
            "Resource": literal_part(arn),
        }));
    }
    if f.vpc.is_some() {
        statements.push(json!({
            "Sid": "Vpc",
            "Effect": "Allow",
            "Action": [
                "ec2:CreateNetworkInterface",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
            ],
            "Resource": "*",
        }));
    }
    doc.add("aws_iam_role_policy",
        &id,
        json!({ "name": format!("{name}-policy"), "role": format!("${{aws_iam_role.{id}.id}}"), "policy": policy(statements) }),
    );

    // The function.
    let mut env = literal_map(&api.environment);
    if !secret_refs.is_empty() {
        let list: Vec<String> = secret_refs
            .iter()
            .map(|(k, pid)| format!("{}=${{aws_ssm_parameter.{pid}.name}}", literal_part(k)))
            .collect();
        env.insert(SECRETS_ENV.into(), list.join(",").into());
    }
    let mut function = json!({
        "function_name": name,
        "role": format!("${{aws_iam_role.{id}.arn}}"),
        "runtime": RUNTIME,
        "handler": "bootstrap",
        "architectures": [literal(&f.architecture)],
        "memory_size": f.memory,
        "timeout": f.timeout,
        "filename": literal(&s.package),
        "environment": { "variables": env },
        "tracing_config": { "mode": if f.tracing { "Active" } else { "PassThrough" } },
        "tags": tags,
        "depends_on": [format!("aws_cloudwatch_log_group.{id}"), format!("aws_iam_role_policy.{id}")],
        "lifecycle": {
            "precondition": [{
                "condition": format!("${{terraform.workspace == {}}}", quoted(&d.stage)),
                "error_message": literal(&format!(
                    "These files were generated for stage `{}`: run `cws deploy -s <stage>` (it selects the workspace).",
                    d.stage
                )),
            }],
        },
    });
    if let Some(hash) = &s.package_hash {
        function["source_code_hash"] = hash.clone().into();
    }
    if !f.layers.is_empty() {
        function["layers"] = literal_list(&f.layers).into();
    }
    if let Some(n) = f.reserved_concurrency {
        function["reserved_concurrent_executions"] = n.into();
    }
    if let Some(vpc) = &f.vpc {
        function["vpc_config"] = json!({
            "subnet_ids": literal_list(&vpc.subnet_ids),
            "security_group_ids": literal_list(&vpc.security_group_ids),
        });
    }
    if f.snapstart && settings::snapstart_supported(RUNTIME) {
        function["snap_start"] = json!({ "apply_on": "PublishedVersions" });
        function["publish"] = true.into();
    }
    if let (Some(n), Some(alias)) = (f.provisioned_concurrency, api.alias) {
        // Provisioned concurrency is held by a published version, behind an alias API Gateway invokes.
        function["publish"] = true.into();
        doc.add(
            "aws_lambda_alias",
            &id,
            json!({
                "name": alias,
                "function_name": format!("${{aws_lambda_function.{id}.function_name}}"),
                "function_version": format!("${{aws_lambda_function.{id}.version}}"),
            }),
        );
        doc.add(
            "aws_lambda_provisioned_concurrency_config",
            &id,
            json!({
                "function_name": format!("${{aws_lambda_alias.{id}.function_name}}"),
                "qualifier": format!("${{aws_lambda_alias.{id}.name}}"),
                "provisioned_concurrent_executions": n,
            }),
        );
    }
    doc.add("aws_lambda_function", &id, function);

    // Asynchronous calls: the function queues them with Lambda's `Invoke` (`InvocationType=Event`)
    // on itself — its own ARN only, in a policy of its own (the function's ARN exists only once the
    // function does) — and Lambda does not retry them (one run per accepted call).
    if api.asynchronous.self_invoke {
        let arn = format!("${{aws_lambda_function.{id}.arn}}");
        doc.add(
            "aws_iam_role_policy",
            &format!("{id}__invoke_self"),
            json!({
                "name": format!("{name}-invoke-self"),
                "role": format!("${{aws_iam_role.{id}.id}}"),
                "policy": policy(vec![json!({
                    "Sid": "AsyncCalls",
                    "Effect": "Allow",
                    "Action": ["lambda:InvokeFunction"],
                    "Resource": [arn.clone(), format!("{arn}:*")],
                })]),
            }),
        );
        let mut invoke_config = json!({
            "function_name": format!("${{aws_lambda_function.{id}.function_name}}"),
            "maximum_retry_attempts": api.asynchronous.maximum_retry_attempts,
        });
        if api.alias.is_some() {
            // A published function invokes itself at the version it runs (the alias's): the
            // configuration is that version's.
            invoke_config["qualifier"] = format!("${{aws_lambda_function.{id}.version}}").into();
        }
        if let Some(arn) = &f.on_failure {
            invoke_config["destination_config"] = json!({ "on_failure": { "destination": literal(arn) } });
            // The role must allow sending there before Lambda accepts the destination.
            invoke_config["depends_on"] = json!([format!("aws_iam_role_policy.{id}")]);
        }
        doc.add("aws_lambda_function_event_invoke_config", &id, invoke_config);
    }

    // API Gateway refuses to deploy an API without methods: a service with no entry in this stage
    // gets its function only.
    let has_api = api.has_methods();
    if has_api {
        let description = s.service.docs.lines().next().unwrap_or_default();
        match api.kind {
            ApiKind::Rest => {
                let logs = api::StageLogs {
                    log_retention: f.log_retention,
                    account_role: d.settings.api_gateway_account,
                };
                api::rest_api(&api, description, f.tracing, &logs, doc, &tags);
            }
            ApiKind::Http => api::http_api(&api, description, f.log_retention, doc, &tags),
        }
    }
    // The API's and its stage's resource types.
    let (api_type, stage_type) = match api.kind {
        ApiKind::Rest => ("aws_api_gateway_rest_api", "aws_api_gateway_stage"),
        ApiKind::Http => ("aws_apigatewayv2_api", "aws_apigatewayv2_stage"),
    };
    let url = if has_api { Value::from(format!("${{{stage_type}.{id}.invoke_url}}")) } else { Value::Null };
    // The custom domain's base path mapping (the domain name itself is stage-wide, in `main.tf.json`).
    let mapping = stage_domain_mappings(d).into_iter().find(|m| m.service == s.service.name);
    let custom_url = match &mapping {
        Some(m) => {
            let domain_name =
                format!("${{aws_api_gateway_domain_name.{}.domain_name}}", domain_ident(&m.domain.name));
            // API mappings serve HTTP APIs on the same (regional) domain names as REST APIs.
            let (kind, stage_key, stage, path_key) = match api.kind {
                ApiKind::Rest => (
                    "aws_api_gateway_base_path_mapping",
                    "stage_name",
                    format!("${{aws_api_gateway_stage.{id}.stage_name}}"),
                    "base_path",
                ),
                ApiKind::Http => (
                    "aws_apigatewayv2_api_mapping",
                    "stage",
                    format!("${{aws_apigatewayv2_stage.{id}.id}}"),
                    "api_mapping_key",
                ),
            };
            let mut body = json!({
                "api_id": format!("${{{api_type}.{id}.id}}"),
                stage_key: stage,
                "domain_name": domain_name,
            });
            if let Some(path) = &m.base_path {
                body[path_key] = literal(path).into();
            }
            doc.add(kind, &id, body);
            Value::from(literal(&m.url()))
        }
        None => Value::Null,
    };
    let function_name = format!("${{aws_lambda_function.{id}.function_name}}");
    let function_arn = format!("${{aws_lambda_function.{id}.arn}}");
    // The API key's id (its value is API Gateway's: `aws apigateway get-api-key --include-value`).
    let api_key_id = match (has_api, &api.usage_plan) {
        (true, Some(_)) => Value::from(format!("${{aws_api_gateway_api_key.{id}.id}}")),
        _ => Value::Null,
    };
    doc.outputs.insert(
        literal(&s.service.name),
        json!({
            "url": url,
            "custom_url": custom_url,
            "function_name": function_name,
            "function_arn": function_arn,
            "api_key_id": api_key_id,
        }),
    );
    // What the project's own Terraform files may refer to (`local.cws_services["<service>"].<key>`,
    // docs/deploy.md): stable names, whatever the generated resources are called.
    doc.locals.insert(
        literal(&s.service.name),
        json!({
            "function_name": function_name,
            "function_arn": function_arn,
            "invoke_arn": format!("${{aws_lambda_function.{id}.invoke_arn}}"),
            "role_name": format!("${{aws_iam_role.{id}.name}}"),
            "role_arn": format!("${{aws_iam_role.{id}.arn}}"),
            "log_group": format!("${{aws_cloudwatch_log_group.{id}.name}}"),
            "api_id": if has_api { Value::from(format!("${{{api_type}.{id}.id}}")) } else { Value::Null },
            "url": url,
            "custom_url": custom_url,
        }),
    );
    doc.addresses.clone()
}

fn provider(s: &StageSettings) -> Value {
    let mut p = json!({});
    if let Some(r) = &s.region {
        p["region"] = literal(r).into();
    }
    if let Some(profile) = &s.profile {
        p["profile"] = literal(profile).into();
    }
    if !s.endpoints.is_empty() {
        p["endpoints"] = json!([literal_map(&s.endpoints)]);
        for flag in [
            "skip_credentials_validation",
            "skip_metadata_api_check",
            "skip_region_validation",
            "s3_use_path_style",
        ] {
            p[flag] = true.into();
        }
    }
    json!({ "aws": [p] })
}

fn terraform_block(s: &StageSettings) -> Value {
    // S3's own state locking (`use_lockfile`) came with Terraform 1.10.
    let uses_lockfile = s.backend.as_ref().is_some_and(Backend::uses_lockfile);
    let mut t = json!({
        "required_version": if uses_lockfile { ">= 1.10.0" } else { ">= 1.5.0" },
        "required_providers": { "aws": { "source": "hashicorp/aws", "version": ">= 5.0" } },
    });
    match &s.backend {
        Some(Backend::Standard { kind, settings }) => {
            let mut b = Map::new();
            b.insert(kind.clone(), literal_value(settings));
            t["backend"] = Value::Object(b);
        }
        Some(Backend::Cloud(settings)) => t["cloud"] = literal_value(settings),
        None => {}
    }
    t
}

/// The generated files of a stage: (file name, JSON text), sorted by name. `main.tf.json` holds the
/// provider, backend, variables, locals and outputs; `<service>.tf.json` the resources of one
/// service. Each starts with the [`layout::TERRAFORM_MARKER`](crate::layout::TERRAFORM_MARKER)
/// comment: the project's own files in the directory are never the generator's.
pub fn generate(d: &StageDeployment) -> Vec<(String, String)> {
    use crate::layout::{
        terraform_service_file, TERRAFORM_MAIN_FILE, TERRAFORM_MARKER, TERRAFORM_MARKER_KEY,
    };
    let mut files = Vec::new();
    let mut outputs = Map::new();
    let mut services = Map::new();
    for s in &d.services {
        let mut doc = Doc::default();
        service_resources(d, s, &mut doc);
        outputs.extend(doc.outputs);
        services.extend(doc.locals);
        let resource: Map<String, Value> =
            doc.resources.into_iter().map(|(k, v)| (k.to_string(), Value::Object(v))).collect();
        let text = pretty(&json!({ TERRAFORM_MARKER_KEY: TERRAFORM_MARKER, "resource": resource }));
        files.push((terraform_service_file(&s.service.name), text));
    }
    let mut main = json!({
        TERRAFORM_MARKER_KEY: TERRAFORM_MARKER,
        "terraform": terraform_block(&d.settings),
        "provider": provider(&d.settings),
        "locals": {
            "cws_project": literal(&settings::resource_name(&[&d.project])),
            "cws_stage": literal(&d.stage),
            "cws_services": services,
        },
        "output": {
            "stage": { "value": literal(&d.stage) },
            "services": { "value": outputs },
        },
    });
    if d.settings.api_gateway_account {
        main["resource"] = api_gateway_account(d);
    }
    let (domains, domain_outputs) = domain_names(d);
    if !domains.is_empty() {
        main["resource"]["aws_api_gateway_domain_name"] = Value::Object(domains);
        main["output"]["domains"] = json!({ "value": domain_outputs });
    }
    if d.services.iter().any(|s| !s.secrets.is_empty()) {
        main["variable"] = json!({
            SECRETS_VARIABLE: {
                "type": "map(string)",
                "sensitive": true,
                "description": "Values of the *.secret env files, given at apply time (TF_VAR_secrets); stored as SSM SecureString parameters.",
            }
        });
    }
    files.push((TERRAFORM_MAIN_FILE.to_string(), pretty(&main)));
    files.sort();
    files
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests;
