//! Terraform configuration of one stage, generated as data: `*.tf.json` files (serde), the same
//! bytes for the same input.
//!
//! Per service: a Lambda function (custom runtime `provided.al2023`), its IAM role and policy, its
//! log group, SSM SecureString parameters for its secrets, and a REST API with one resource and
//! method per entry route (the API is the documentation), a TOKEN authorizer on the same function
//! (none on `no_auth` entries), CORS preflights when asked, a deployment and a stage named after the
//! stage, the invoke permission and outputs. The stage is the Terraform workspace: every function
//! carries a precondition that the selected workspace is the stage the files were generated for.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::artifacts::settings::{self, Backend, FunctionSettings, StageSettings, RUNTIME};
use crate::model::{Auth, HttpMethod, Service};

/// Headers a CORS preflight allows (the async contract's headers included).
const CORS_HEADERS: &str =
    "Content-Type,Authorization,X-Amz-Date,X-Api-Key,InvocationType,X-CWS-S3Bucket,X-CWS-S3Key";

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

/// A Terraform identifier for a name: letters, digits and `_`.
pub fn ident(name: &str) -> String {
    let mut s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if !s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        s.insert(0, '_');
    }
    s
}

/// The Lambda function's name of a service in a stage.
pub fn function_name(project: &str, service: &str, stage: &str) -> String {
    settings::resource_name(&[project, service, stage])
}

/// The SSM parameter name of a service's secret: `/<project>/<stage>/<service>/<KEY>`.
pub fn secret_parameter(project: &str, stage: &str, service: &str, key: &str) -> String {
    format!("/{}/{stage}/{}/{key}", settings::resource_name(&[project]), settings::resource_name(&[service]))
}

/// One resource of the API tree: a path and its parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResource {
    /// Full path (`/invoice/{id}`).
    pub path: String,
    /// Last segment (`{id}`).
    pub part: String,
    /// Parent's path (`/` for top-level resources).
    pub parent: String,
    /// Terraform identifier.
    pub ident: String,
}

/// The API Gateway resources (every prefix of every route's path, root excluded), parents first.
pub fn resource_tree(service: &Service) -> Vec<ApiResource> {
    let mut paths: BTreeSet<String> = BTreeSet::new();
    for e in &service.entries {
        let mut prefix = String::new();
        for seg in e.route.path.split('/').filter(|s| !s.is_empty()) {
            prefix.push('/');
            prefix.push_str(seg);
            paths.insert(prefix.clone());
        }
    }
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut out: Vec<ApiResource> = Vec::new();
    let mut sorted: Vec<String> = paths.into_iter().collect();
    sorted.sort_by_key(|p| (p.matches('/').count(), p.clone()));
    for path in sorted {
        let (parent, part) =
            path.rsplit_once('/').map(|(a, b)| (a.to_string(), b.to_string())).unwrap_or_default();
        let parent = if parent.is_empty() { "/".to_string() } else { parent };
        let base = format!(
            "{}_{}",
            ident(&service.name),
            path.trim_start_matches('/')
                .split('/')
                .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(p) => format!("p_{}", ident(p).trim_start_matches('_')),
                    None => ident(s).trim_start_matches('_').to_string(),
                })
                .collect::<Vec<_>>()
                .join("__")
        );
        let mut id = base.clone();
        let mut n = 2;
        while !taken.insert(id.clone()) {
            id = format!("{base}_{n}");
            n += 1;
        }
        out.push(ApiResource { path, part, parent, ident: id });
    }
    out
}

#[derive(Default)]
struct Doc {
    resources: BTreeMap<&'static str, Map<String, Value>>,
    outputs: Map<String, Value>,
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

fn resource_ref(tree: &[ApiResource], api: &str, path: &str) -> String {
    match tree.iter().find(|r| r.path == path) {
        Some(r) => format!("${{aws_api_gateway_resource.{}.id}}", r.ident),
        None => format!("${{aws_api_gateway_rest_api.{api}.root_resource_id}}"),
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
    let tags: Value =
        f.tags.iter().map(|(k, v)| (k.clone(), Value::from(v.clone()))).collect::<Map<_, _>>().into();

    // Logs.
    let mut log_group = json!({ "name": format!("/aws/lambda/{name}"), "tags": tags });
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
                "name": secret_parameter(&d.project, &d.stage, &s.service.name, key),
                "type": "SecureString",
                "value": format!("${{var.{SECRETS_VARIABLE}[\"{key}\"]}}"),
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
            "Resource": format!("arn:aws:s3:::{bucket}/{}*", f.results_prefix),
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
    let mut env: Map<String, Value> =
        s.env.iter().map(|(k, v)| (k.clone(), Value::from(v.clone()))).collect();
    env.insert("CWS_STAGE".into(), d.stage.clone().into());
    env.insert("CWS_SERVICE".into(), s.service.name.clone().into());
    if let Some(bucket) = &f.bucket {
        env.insert("CWS_RESULTS_BUCKET".into(), bucket.clone().into());
        env.insert("CWS_RESULTS_PREFIX".into(), f.results_prefix.clone().into());
    }
    if !secret_refs.is_empty() {
        let list: Vec<String> =
            secret_refs.iter().map(|(k, pid)| format!("{k}=${{aws_ssm_parameter.{pid}.name}}")).collect();
        env.insert(SECRETS_ENV.into(), list.join(",").into());
    }
    let mut function = json!({
        "function_name": name,
        "role": format!("${{aws_iam_role.{id}.arn}}"),
        "runtime": RUNTIME,
        "handler": "bootstrap",
        "architectures": [f.architecture],
        "memory_size": f.memory,
        "timeout": f.timeout,
        "filename": s.package,
        "environment": { "variables": env },
        "tracing_config": { "mode": if f.tracing { "Active" } else { "PassThrough" } },
        "tags": tags,
        "depends_on": [format!("aws_cloudwatch_log_group.{id}"), format!("aws_iam_role_policy.{id}")],
        "lifecycle": {
            "precondition": [{
                "condition": format!("${{terraform.workspace == \"{}\"}}", d.stage),
                "error_message": format!(
                    "These files were generated for stage `{}`: run `cws deploy -s <stage>` (it selects the workspace).",
                    d.stage
                ),
            }],
        },
    });
    if let Some(hash) = &s.package_hash {
        function["source_code_hash"] = hash.clone().into();
    }
    if !f.layers.is_empty() {
        function["layers"] = f.layers.clone().into();
    }
    if let Some(vpc) = &f.vpc {
        function["vpc_config"] =
            json!({ "subnet_ids": vpc.subnet_ids, "security_group_ids": vpc.security_group_ids });
    }
    if f.snapstart && settings::snapstart_supported(RUNTIME) {
        function["snap_start"] = json!({ "apply_on": "PublishedVersions" });
        function["publish"] = true.into();
    }
    doc.add("aws_lambda_function", &id, function);
    let invoke_arn = format!("${{aws_lambda_function.{id}.invoke_arn}}");

    // The REST API: one resource per path segment, one method per entry route.
    let mut binary: BTreeSet<String> = f.binary_media_types.iter().cloned().collect();
    binary.extend(s.service.entries.iter().filter_map(|e| e.binary_content_type.clone()));
    doc.add(
        "aws_api_gateway_rest_api",
        &id,
        json!({
            "name": name,
            "description": s.service.docs.lines().next().unwrap_or_default(),
            "binary_media_types": binary.into_iter().collect::<Vec<_>>(),
            "endpoint_configuration": { "types": ["REGIONAL"] },
            "tags": tags,
        }),
    );
    let rest_api = format!("${{aws_api_gateway_rest_api.{id}.id}}");
    let tree = resource_tree(&s.service);
    for r in &tree {
        doc.add("aws_api_gateway_resource",
            &r.ident,
            json!({ "rest_api_id": rest_api, "parent_id": resource_ref(&tree, &id, &r.parent), "path_part": r.part }),
        );
    }
    if s.service.entries.iter().any(|e| e.auth == Auth::Token) {
        doc.add(
            "aws_api_gateway_authorizer",
            &id,
            json!({
                "name": format!("{name}-token"),
                "rest_api_id": rest_api,
                "type": "TOKEN",
                "authorizer_uri": invoke_arn,
                "identity_source": "method.request.header.Authorization",
            }),
        );
    }
    let mut methods_by_path: BTreeMap<&str, BTreeSet<HttpMethod>> = BTreeMap::new();
    let mut deployed = Vec::new();
    let mut fingerprint = Vec::new();
    let mut entries: Vec<_> = s.service.entries.iter().collect();
    entries.sort_by(|a, b| a.route.cmp(&b.route));
    for e in entries {
        methods_by_path.entry(&e.route.path).or_default().insert(e.route.method);
        let rid = tree
            .iter()
            .find(|r| r.path == e.route.path)
            .map(|r| r.ident.clone())
            .unwrap_or_else(|| format!("{id}_root"));
        let mid = format!("{rid}__{}", e.route.method.as_str());
        let resource_id = resource_ref(&tree, &id, &e.route.path);
        let params: Map<String, Value> = e
            .route
            .path_params()
            .iter()
            .map(|p| (format!("method.request.path.{p}"), Value::Bool(true)))
            .collect();
        let mut method = json!({
            "rest_api_id": rest_api,
            "resource_id": resource_id,
            "http_method": e.route.method.as_str(),
            "request_parameters": params,
        });
        match e.auth {
            Auth::Token => {
                method["authorization"] = "CUSTOM".into();
                method["authorizer_id"] = format!("${{aws_api_gateway_authorizer.{id}.id}}").into();
            }
            Auth::None => method["authorization"] = "NONE".into(),
        }
        deployed.push(doc.add("aws_api_gateway_method", &mid, method));
        deployed.push(doc.add(
            "aws_api_gateway_integration",
            &mid,
            json!({
                "rest_api_id": rest_api,
                "resource_id": resource_id,
                "http_method": format!("${{aws_api_gateway_method.{mid}.http_method}}"),
                "integration_http_method": "POST",
                "type": "AWS_PROXY",
                "uri": invoke_arn,
            }),
        ));
        fingerprint.push(format!(
            "{} {:?} {}",
            e.route,
            e.auth,
            e.binary_content_type.clone().unwrap_or_default()
        ));
    }
    if f.cors {
        for (path, methods) in &methods_by_path {
            if methods.contains(&HttpMethod::Options) {
                continue;
            }
            let rid = tree
                .iter()
                .find(|r| r.path == *path)
                .map(|r| r.ident.clone())
                .unwrap_or_else(|| format!("{id}_root"));
            let mid = format!("{rid}__CORS");
            let resource_id = resource_ref(&tree, &id, path);
            let mut allowed: Vec<&str> = methods.iter().map(|m| m.as_str()).collect();
            allowed.push("OPTIONS");
            let base =
                json!({ "rest_api_id": rest_api, "resource_id": resource_id, "http_method": "OPTIONS" });
            let with = |extra: Value| {
                let mut v = base.clone();
                if let (Some(v), Value::Object(extra)) = (v.as_object_mut(), extra) {
                    v.extend(extra);
                }
                v
            };
            let headers = [
                "Access-Control-Allow-Headers",
                "Access-Control-Allow-Methods",
                "Access-Control-Allow-Origin",
            ];
            let declared: Map<String, Value> =
                headers.iter().map(|h| (format!("method.response.header.{h}"), Value::Bool(true))).collect();
            let values = [format!("'{CORS_HEADERS}'"), format!("'{}'", allowed.join(",")), "'*'".to_string()];
            let answered: Map<String, Value> = headers
                .iter()
                .zip(values)
                .map(|(h, v)| (format!("method.response.header.{h}"), Value::from(v)))
                .collect();
            deployed.push(doc.add("aws_api_gateway_method", &mid, with(json!({ "authorization": "NONE" }))));
            deployed.push(doc.add(
                "aws_api_gateway_integration",
                &mid,
                with(json!({
                    "type": "MOCK",
                    "request_templates": { "application/json": "{\"statusCode\": 200}" },
                    "depends_on": [format!("aws_api_gateway_method.{mid}")],
                })),
            ));
            deployed.push(doc.add(
                "aws_api_gateway_method_response",
                &mid,
                with(json!({
                    "status_code": "200",
                    "response_parameters": declared,
                    "depends_on": [format!("aws_api_gateway_method.{mid}")],
                })),
            ));
            deployed.push(doc.add(
                "aws_api_gateway_integration_response",
                &mid,
                with(json!({
                    "status_code": "200",
                    "response_parameters": answered,
                    "depends_on": [format!("aws_api_gateway_integration.{mid}"), format!("aws_api_gateway_method_response.{mid}")],
                })),
            ));
            fingerprint.push(format!("CORS {path}"));
        }
    }
    let digest = Sha256::digest(fingerprint.join("\n").as_bytes());
    let redeploy: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    doc.add(
        "aws_api_gateway_deployment",
        &id,
        json!({
            "rest_api_id": rest_api,
            "triggers": { "redeployment": redeploy },
            "lifecycle": { "create_before_destroy": true },
            "depends_on": deployed,
        }),
    );
    doc.add(
        "aws_api_gateway_stage",
        &id,
        json!({
            "rest_api_id": rest_api,
            "deployment_id": format!("${{aws_api_gateway_deployment.{id}.id}}"),
            "stage_name": d.stage,
            "xray_tracing_enabled": f.tracing,
            "tags": tags,
        }),
    );
    doc.add(
        "aws_lambda_permission",
        &id,
        json!({
            "statement_id": "AllowApiGateway",
            "action": "lambda:InvokeFunction",
            "function_name": format!("${{aws_lambda_function.{id}.function_name}}"),
            "principal": "apigateway.amazonaws.com",
            "source_arn": format!("${{aws_api_gateway_rest_api.{id}.execution_arn}}/*"),
        }),
    );
    doc.outputs.insert(
        s.service.name.clone(),
        json!({
            "url": format!("${{aws_api_gateway_stage.{id}.invoke_url}}"),
            "function_name": format!("${{aws_lambda_function.{id}.function_name}}"),
            "function_arn": format!("${{aws_lambda_function.{id}.arn}}"),
        }),
    );
    doc.addresses.clone()
}

fn provider(s: &StageSettings) -> Value {
    let mut p = json!({});
    if let Some(r) = &s.region {
        p["region"] = r.clone().into();
    }
    if let Some(profile) = &s.profile {
        p["profile"] = profile.clone().into();
    }
    if !s.endpoints.is_empty() {
        p["endpoints"] = json!([s.endpoints]);
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
    let mut t = json!({
        "required_version": ">= 1.5.0",
        "required_providers": { "aws": { "source": "hashicorp/aws", "version": ">= 5.0" } },
    });
    match &s.backend {
        Some(Backend::Standard { kind, settings }) => {
            let mut b = Map::new();
            b.insert(kind.clone(), settings.clone());
            t["backend"] = Value::Object(b);
        }
        Some(Backend::Cloud(settings)) => t["cloud"] = settings.clone(),
        None => {}
    }
    t
}

/// The generated files of a stage: (file name, JSON text), sorted by name. `main.tf.json` holds the
/// provider, backend, variables and outputs; `<service>.tf.json` the resources of one service.
pub fn generate(d: &StageDeployment) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut outputs = Map::new();
    for s in &d.services {
        let mut doc = Doc::default();
        service_resources(d, s, &mut doc);
        outputs.extend(doc.outputs);
        let resource: Map<String, Value> =
            doc.resources.into_iter().map(|(k, v)| (k.to_string(), Value::Object(v))).collect();
        files.push((format!("{}.tf.json", ident(&s.service.name)), pretty(&json!({ "resource": resource }))));
    }
    let mut main = json!({
        "terraform": terraform_block(&d.settings),
        "provider": provider(&d.settings),
        "output": {
            "stage": { "value": d.stage },
            "services": { "value": outputs },
        },
    });
    if d.services.iter().any(|s| !s.secrets.is_empty()) {
        main["variable"] = json!({
            SECRETS_VARIABLE: {
                "type": "map(string)",
                "sensitive": true,
                "description": "Values of the *.secret env files, given at apply time (TF_VAR_secrets); stored as SSM SecureString parameters.",
            }
        });
    }
    files.push(("main.tf.json".to_string(), pretty(&main)));
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
