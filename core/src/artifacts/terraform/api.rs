//! The REST API of a service: one resource per path segment, one method per entry route (so the
//! API is the documentation), the TOKEN authorizer, CORS preflights, deployment, stage, permission.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::{ident, literal, literal_list, Doc, ServiceDeployment, StageDeployment, CORS_HEADERS};
use crate::model::{Auth, HttpMethod, Service};

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

fn resource_ref(tree: &[ApiResource], api: &str, path: &str) -> String {
    match tree.iter().find(|r| r.path == path) {
        Some(r) => format!("${{aws_api_gateway_resource.{}.id}}", r.ident),
        None => format!("${{aws_api_gateway_rest_api.{api}.root_resource_id}}"),
    }
}

/// Adds the API resources of service `s` (Terraform identifier `id`, deployed name `name`).
pub(super) fn rest_api(d: &StageDeployment, s: &ServiceDeployment, doc: &mut Doc, name: &str, tags: &Value) {
    let f = &s.function;
    let id = ident(&s.service.name);
    let invoke_arn = format!("${{aws_lambda_function.{id}.invoke_arn}}");
    // The REST API: one resource per path segment, one method per entry route.
    let mut binary: BTreeSet<String> = f.binary_media_types.iter().cloned().collect();
    binary.extend(s.service.entries.iter().filter_map(|e| e.binary_content_type.clone()));
    doc.add(
        "aws_api_gateway_rest_api",
        &id,
        json!({
            "name": name,
            "description": literal(s.service.docs.lines().next().unwrap_or_default()),
            "binary_media_types": literal_list(&binary.into_iter().collect::<Vec<_>>()),
            "endpoint_configuration": { "types": ["REGIONAL"] },
            "tags": tags,
        }),
    );
    let rest_api = format!("${{aws_api_gateway_rest_api.{id}.id}}");
    let tree = resource_tree(&s.service);
    for r in &tree {
        doc.add("aws_api_gateway_resource",
            &r.ident,
            json!({ "rest_api_id": rest_api, "parent_id": resource_ref(&tree, &id, &r.parent), "path_part": literal(&r.part) }),
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
            .map(|p| (literal(&format!("method.request.path.{p}")), Value::Bool(true)))
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
            "stage_name": literal(&d.stage),
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
}
