//! The REST API of a service, written from its [`ServiceApi`] description: one resource per path
//! segment, one method per entry route (so the API is the documentation), CORS preflights, the
//! TOKEN authorizer, API Gateway's own answers with the CORS headers, deployment, stage, permission.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::{ident, literal, literal_list, Doc, API_GATEWAY_ACCOUNT, API_GATEWAY_ACCOUNT_NAME};
use crate::artifacts::api::{ApiResource, MethodKind, ServiceApi, TOKEN_HEADER};
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
    let invoke_arn = format!("${{aws_lambda_function.{id}.invoke_arn}}");
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
                "name": format!("{}-token", api.function),
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
        let rid = tree
            .iter()
            .find(|r| r.path == m.path)
            .map(|r| r.ident.clone())
            .unwrap_or_else(|| format!("{id}_root"));
        let mid = match m.kind {
            MethodKind::Entry => format!("{rid}__{}", m.method.as_str()),
            MethodKind::Preflight => format!("{rid}__CORS"),
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
    if let Some(log) = &api.access_log {
        let group = format!("{id}__access");
        let mut log_group = json!({ "name": literal(&log.log_group), "tags": tags });
        if let Some(days) = log_retention {
            log_group["retention_in_days"] = days.into();
        }
        doc.add("aws_cloudwatch_log_group", &group, log_group);
        stage["access_log_settings"] = json!({
            "destination_arn": format!("${{aws_cloudwatch_log_group.{group}.arn}}"),
            "format": literal(&log.format),
        });
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
}
