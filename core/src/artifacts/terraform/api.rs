//! The API of a service, written from its [`ServiceApi`] description.
//!
//! A REST API (`api: rest`): one resource per path segment, one method per entry route (so the API
//! is the documentation), CORS preflights, the TOKEN authorizer, API Gateway's own answers with the
//! CORS headers, deployment, stage, permission.
//!
//! An HTTP API (`api: http`): one route per entry route (`GET /invoice/{id}`, the route key), all
//! to one `AWS_PROXY` integration of payload format 2.0, the REQUEST authorizer with simple
//! responses on the token entries, API Gateway's own CORS configuration (it answers preflights
//! itself), an auto-deployed stage with its access log and limits, permission.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::{ident, literal, literal_list, Doc, API_GATEWAY_ACCOUNT, API_GATEWAY_ACCOUNT_NAME};
use crate::artifacts::api::{ApiMethod, ApiResource, MethodKind, ServiceApi, TOKEN_HEADER};
use crate::model::Auth;

fn resource_ref(tree: &[ApiResource], api: &str, path: &str) -> String {
    match tree.iter().find(|r| r.path == path) {
        Some(r) => format!("${{aws_api_gateway_resource.{}.id}}", r.ident),
        None => format!("${{aws_api_gateway_rest_api.{api}.root_resource_id}}"),
    }
}

/// The stage's JSON access log goes to a log group of its own, kept `log_retention` days; with
/// `account_role`, the stage waits for the account's API Gateway CloudWatch role
/// ([`super::API_GATEWAY_ACCOUNT`]).
pub(super) struct StageLogs {
    /// Days the access log is kept (`None`: forever).
    pub log_retention: Option<i64>,
    /// Whether the stage's files set the account's CloudWatch role.
    pub account_role: bool,
}

/// Adds the REST API of `api` to `doc`: `description` is the service's, `tracing` the stage's X-Ray
/// setting, `tags` every resource's.
pub(super) fn rest_api(
    api: &ServiceApi,
    description: &str,
    tracing: bool,
    logs: &StageLogs,
    doc: &mut Doc,
    tags: &Value,
) {
    let StageLogs { log_retention, account_role } = *logs;
    let id = ident(&api.service);
    let invoke_arn = invoke_arn(api);
    doc.add(
        "aws_api_gateway_rest_api",
        &id,
        json!({
            "name": literal(&api.function),
            "description": literal(description),
            "binary_media_types": literal_list(&api.binary_media_types),
            "endpoint_configuration": { "types": ["REGIONAL"] },
            "tags": tags,
        }),
    );
    let rest_api = format!("${{aws_api_gateway_rest_api.{id}.id}}");
    let tree = &api.resources;
    for r in tree {
        doc.add("aws_api_gateway_resource",
            &r.ident,
            json!({ "rest_api_id": rest_api, "parent_id": resource_ref(tree, &id, &r.parent), "path_part": literal(&r.part) }),
        );
    }
    if let Some(authorizer) = &api.authorizer {
        doc.add(
            "aws_api_gateway_authorizer",
            &id,
            json!({
                "name": literal(&format!("{}-token", api.function)),
                "rest_api_id": rest_api,
                "type": "TOKEN",
                "authorizer_uri": invoke_arn,
                "identity_source": format!("method.request.header.{TOKEN_HEADER}"),
                "authorizer_result_ttl_in_seconds": authorizer.ttl_seconds,
            }),
        );
    }
    let mut deployed = Vec::new();
    let mut fingerprint = Vec::new();
    for m in &api.methods {
        let mid = match m.kind {
            MethodKind::Entry => method_ident(api, m),
            MethodKind::Preflight => format!("{}__CORS", resource_ident(api, &m.path)),
        };
        let resource_id = resource_ref(tree, &id, &m.path);
        let params: Map<String, Value> = crate::model::template_params(&m.path)
            .iter()
            .map(|p| (literal(&format!("method.request.path.{p}")), Value::Bool(true)))
            .collect();
        let mut method = json!({
            "rest_api_id": rest_api,
            "resource_id": resource_id,
            "http_method": m.method.as_str(),
            "request_parameters": params,
        });
        match m.auth {
            Auth::Token => {
                method["authorization"] = "CUSTOM".into();
                method["authorizer_id"] = format!("${{aws_api_gateway_authorizer.{id}.id}}").into();
            }
            Auth::None => method["authorization"] = "NONE".into(),
        }
        if m.api_key_required {
            method["api_key_required"] = true.into();
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
            "{} {} {:?} {:?} {}",
            m.method,
            m.path,
            m.auth,
            m.kind,
            m.binary_content_type.clone().unwrap_or_default()
        ));
        if m.api_key_required {
            fingerprint.push(format!("{} {} api key", m.method, m.path));
        }
    }
    for g in &api.gateway_responses {
        let parameters: Map<String, Value> = g
            .headers
            .iter()
            .map(|(h, source)| {
                (format!("gatewayresponse.header.{h}"), Value::from(literal(&source.mapping_expression())))
            })
            .collect();
        fingerprint.push(format!("{} {parameters:?}", g.response_type));
        deployed.push(doc.add(
            "aws_api_gateway_gateway_response",
            &format!("{id}__{}", g.response_type.to_ascii_lowercase()),
            json!({ "rest_api_id": rest_api, "response_type": g.response_type, "response_parameters": parameters }),
        ));
    }
    if let Some(a) = &api.authorizer {
        fingerprint.push(format!("authorizer ttl {}", a.ttl_seconds));
    }
    if let Some(alias) = api.alias {
        // The integrations invoke the alias: a deployment snapshots them.
        fingerprint.push(format!("alias {alias}"));
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
    let mut stage = json!({
        "rest_api_id": rest_api,
        "deployment_id": format!("${{aws_api_gateway_deployment.{id}.id}}"),
        "stage_name": literal(&api.stage),
        "xray_tracing_enabled": tracing,
        "tags": tags,
    });
    if let Some(settings) = access_log_settings(api, log_retention, doc, tags) {
        stage["access_log_settings"] = settings;
        if account_role {
            // API Gateway writes to CloudWatch with the account's role, which must be set first.
            stage["depends_on"] = json!([format!("{API_GATEWAY_ACCOUNT}.{API_GATEWAY_ACCOUNT_NAME}")]);
        }
    }
    doc.add("aws_api_gateway_stage", &id, stage);
    let stage_name = format!("${{aws_api_gateway_stage.{id}.stage_name}}");
    let stage_wide = api.throttle.map(|l| ("all".to_string(), "*/*".to_string(), l));
    let per_method = api.methods.iter().filter_map(|m| {
        let limits = m.throttle?;
        let rid = tree.iter().find(|r| r.path == m.path).map(|r| r.ident.clone())?;
        Some((
            format!("{rid}__{}", m.method.as_str()),
            format!("{}/{}", m.path.trim_start_matches('/'), m.method),
            limits,
        ))
    });
    for (name, method_path, limits) in stage_wide.into_iter().chain(per_method) {
        let mut settings = json!({});
        if let Some(rate) = limits.rate {
            settings["throttling_rate_limit"] = rate.into();
        }
        if let Some(burst) = limits.burst {
            settings["throttling_burst_limit"] = burst.into();
        }
        doc.add(
            "aws_api_gateway_method_settings",
            &format!("{id}__{name}"),
            json!({ "rest_api_id": rest_api, "stage_name": stage_name, "method_path": literal(&method_path), "settings": settings }),
        );
    }
    usage_plan(api, doc, tags);
    invoke_permission(api, doc, "aws_api_gateway_rest_api");
}

/// The API key of a REST API with `api_key` or `usage_plan`: the key (its value generated by API
/// Gateway, kept in the Terraform state, never in a file), its usage plan bound to the stage with
/// the quota and per-key limits, and the key in the plan.
fn usage_plan(api: &ServiceApi, doc: &mut Doc, tags: &Value) {
    let Some(plan) = &api.usage_plan else { return };
    let id = ident(&api.service);
    doc.add(
        "aws_api_gateway_api_key",
        &id,
        json!({ "name": literal(&api.function), "enabled": true, "tags": tags }),
    );
    let mut body = json!({
        "name": literal(&api.function),
        "api_stages": [{
            "api_id": format!("${{aws_api_gateway_rest_api.{id}.id}}"),
            "stage": format!("${{aws_api_gateway_stage.{id}.stage_name}}"),
        }],
        "tags": tags,
    });
    if let Some((limit, period)) = &plan.quota {
        body["quota_settings"] = json!([{ "limit": limit, "period": period }]);
    }
    if let Some(l) = &plan.throttle {
        let mut settings = json!({});
        if let Some(rate) = l.rate {
            settings["rate_limit"] = rate.into();
        }
        if let Some(burst) = l.burst {
            settings["burst_limit"] = burst.into();
        }
        body["throttle_settings"] = json!([settings]);
    }
    doc.add("aws_api_gateway_usage_plan", &id, body);
    doc.add(
        "aws_api_gateway_usage_plan_key",
        &id,
        json!({
            "key_id": format!("${{aws_api_gateway_api_key.{id}.id}}"),
            "key_type": "API_KEY",
            "usage_plan_id": format!("${{aws_api_gateway_usage_plan.{id}.id}}"),
        }),
    );
}

/// The access log's group (kept `log_retention` days) added to `doc`, and the stage's
/// `access_log_settings` writing to it; `None` without `access_logs`.
fn access_log_settings(
    api: &ServiceApi,
    log_retention: Option<i64>,
    doc: &mut Doc,
    tags: &Value,
) -> Option<Value> {
    let log = api.access_log.as_ref()?;
    let group = format!("{}__access", ident(&api.service));
    let mut log_group = json!({ "name": literal(&log.log_group), "tags": tags });
    if let Some(days) = log_retention {
        log_group["retention_in_days"] = days.into();
    }
    doc.add("aws_cloudwatch_log_group", &group, log_group);
    Some(json!({
        "destination_arn": format!("${{aws_cloudwatch_log_group.{group}.arn}}"),
        "format": literal(&log.format),
    }))
}

/// What API Gateway invokes: the function, or its alias ([`ServiceApi::alias`]).
fn invoke_arn(api: &ServiceApi) -> String {
    let id = ident(&api.service);
    match api.alias {
        Some(_) => format!("${{aws_lambda_alias.{id}.invoke_arn}}"),
        None => format!("${{aws_lambda_function.{id}.invoke_arn}}"),
    }
}

/// API Gateway may invoke the function (or its alias), from any route or authorizer of the API
/// `api_type.<id>`.
fn invoke_permission(api: &ServiceApi, doc: &mut Doc, api_type: &str) {
    let id = ident(&api.service);
    let mut permission = json!({
        "statement_id": "AllowApiGateway",
        "action": "lambda:InvokeFunction",
        "function_name": format!("${{aws_lambda_function.{id}.function_name}}"),
        "principal": "apigateway.amazonaws.com",
        "source_arn": format!("${{{api_type}.{id}.execution_arn}}/*"),
    });
    if api.alias.is_some() {
        permission["qualifier"] = format!("${{aws_lambda_alias.{id}.name}}").into();
    }
    doc.add("aws_lambda_permission", &id, permission);
}

/// The Terraform name of a method's route or REST method: the resource's identifier (the
/// service's for the root) and the method.
fn method_ident(api: &ServiceApi, m: &ApiMethod) -> String {
    format!("{}__{}", resource_ident(api, &m.path), m.method.as_str())
}

/// The Terraform name of the resource of `path` (the service's `_root` for `/`).
fn resource_ident(api: &ServiceApi, path: &str) -> String {
    api.resources
        .iter()
        .find(|r| r.path == path)
        .map(|r| r.ident.clone())
        .unwrap_or_else(|| format!("{}_root", ident(&api.service)))
}

/// The route key of an HTTP API route: `GET /invoice/{id}`, as `cws routes` prints it.
pub(super) fn route_key(m: &ApiMethod) -> String {
    format!("{} {}", m.method.as_str(), m.path)
}

/// Adds the HTTP API of `api` to `doc` (see the module's documentation): `description` is the
/// service's, `log_retention` the access log's, `tags` every resource's.
pub(super) fn http_api(
    api: &ServiceApi,
    description: &str,
    log_retention: Option<i64>,
    doc: &mut Doc,
    tags: &Value,
) {
    let id = ident(&api.service);
    let invoke_arn = invoke_arn(api);
    let entries: Vec<&ApiMethod> = api.methods.iter().filter(|m| m.kind == MethodKind::Entry).collect();
    let mut body = json!({
        "name": literal(&api.function),
        "description": literal(description),
        "protocol_type": "HTTP",
        "tags": tags,
    });
    if let Some(cors) = &api.cors {
        // API Gateway answers the preflights and puts these headers on every answer (it drops the
        // function's own CORS headers).
        let mut methods: Vec<&str> = entries.iter().map(|m| m.method.as_str()).collect();
        methods.sort_unstable();
        methods.dedup();
        body["cors_configuration"] = json!({
            "allow_origins": literal_list(&cors.origins),
            "allow_headers": literal_list(&cors.headers),
            "allow_methods": methods,
            "max_age": cors.max_age,
        });
    }
    doc.add("aws_apigatewayv2_api", &id, body);
    let api_id = format!("${{aws_apigatewayv2_api.{id}.id}}");
    doc.add(
        "aws_apigatewayv2_integration",
        &id,
        json!({
            "api_id": api_id,
            "integration_type": "AWS_PROXY",
            "integration_method": "POST",
            "integration_uri": invoke_arn,
            "payload_format_version": "2.0",
        }),
    );
    if let Some(authorizer) = &api.authorizer {
        doc.add(
            "aws_apigatewayv2_authorizer",
            &id,
            json!({
                "api_id": api_id,
                "name": literal(&format!("{}-token", api.function)),
                "authorizer_type": "REQUEST",
                "authorizer_uri": invoke_arn,
                "authorizer_payload_format_version": "2.0",
                "enable_simple_responses": true,
                "identity_sources": [format!("$request.header.{TOKEN_HEADER}")],
                "authorizer_result_ttl_in_seconds": authorizer.ttl_seconds,
            }),
        );
    }
    let mut routes = Vec::new();
    for m in &entries {
        let mut route = json!({
            "api_id": api_id,
            "route_key": literal(&route_key(m)),
            "target": format!("integrations/${{aws_apigatewayv2_integration.{id}.id}}"),
        });
        match m.auth {
            Auth::Token => {
                route["authorization_type"] = "CUSTOM".into();
                route["authorizer_id"] = format!("${{aws_apigatewayv2_authorizer.{id}.id}}").into();
            }
            Auth::None => route["authorization_type"] = "NONE".into(),
        }
        routes.push(doc.add("aws_apigatewayv2_route", &method_ident(api, m), route));
    }
    // Auto-deployed: every change of the API is live on the stage, with no deployment to keep in
    // step; the limits name routes, which must exist first.
    let mut stage = json!({
        "api_id": api_id,
        "name": literal(&api.stage),
        "auto_deploy": true,
        "tags": tags,
        "depends_on": routes,
    });
    if let Some(settings) = access_log_settings(api, log_retention, doc, tags) {
        stage["access_log_settings"] = settings;
    }
    let limits = |l: &crate::settings::deploy::Limits| {
        let mut settings = json!({});
        if let Some(rate) = l.rate {
            settings["throttling_rate_limit"] = rate.into();
        }
        if let Some(burst) = l.burst {
            settings["throttling_burst_limit"] = burst.into();
        }
        settings
    };
    if let Some(l) = &api.throttle {
        stage["default_route_settings"] = limits(l);
    }
    let per_route: Vec<Value> = entries
        .iter()
        .filter_map(|m| {
            let mut settings = limits(m.throttle.as_ref()?);
            settings["route_key"] = literal(&route_key(m)).into();
            Some(settings)
        })
        .collect();
    if !per_route.is_empty() {
        stage["route_settings"] = per_route.into();
    }
    doc.add("aws_apigatewayv2_stage", &id, stage);
    invoke_permission(api, doc, "aws_apigatewayv2_api");
}
