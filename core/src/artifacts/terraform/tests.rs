//! Unit tests of the Terraform generator, on the example project and the deployment fixture.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::artifacts::{stage_deployment, terraform};
use crate::config::Value as ConfigValue;
use crate::Project;

fn dir(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn generated(project: &str, stage: &str, cli: &BTreeMap<String, ConfigValue>) -> BTreeMap<String, Value> {
    let p = Project::load(dir(project)).unwrap();
    let (d, _) = stage_deployment(&p, stage, cli);
    terraform::generate(&d)
        .into_iter()
        .map(|(name, text)| (name, serde_json::from_str(&text).unwrap()))
        .collect()
}

fn eshop(stage: &str) -> BTreeMap<String, Value> {
    generated("../examples/eshop", stage, &BTreeMap::new())
}

fn resources<'a>(file: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    file["resource"][kind].as_object().map(|m| m.iter().collect()).unwrap_or_default()
}

#[test]
fn same_input_same_bytes() {
    let p = Project::load(dir("../examples/eshop")).unwrap();
    let (d, _) = stage_deployment(&p, "prod", &BTreeMap::new());
    assert_eq!(terraform::generate(&d), terraform::generate(&d));
    let (d2, _) =
        stage_deployment(&Project::load(dir("../examples/eshop")).unwrap(), "prod", &BTreeMap::new());
    assert_eq!(terraform::generate(&d), terraform::generate(&d2));
    let names: Vec<String> = terraform::generate(&d).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["billing.tf.json", "catalog.tf.json", "mailer.tf.json", "main.tf.json"]);
}

#[test]
fn one_method_per_entry_route_of_the_stage() {
    let p = Project::load(dir("../examples/eshop")).unwrap();
    for stage in ["dev", "test", "prod"] {
        let files = eshop(stage);
        for service in p.services(Some(stage)) {
            let file = &files[&format!("{}.tf.json", service.name)];
            // The eshop has CORS on: one preflight (`__CORS`) per path, besides the entries.
            let mut methods: Vec<String> = resources(file, "aws_api_gateway_method")
                .iter()
                .filter(|(name, _)| !name.ends_with("__CORS"))
                .map(|(_, m)| {
                    let resource = m["resource_id"].as_str().unwrap().to_string();
                    format!("{} {resource}", m["http_method"].as_str().unwrap())
                })
                .collect();
            methods.sort();
            assert_eq!(methods.len(), service.entries.len(), "{stage} {}: {methods:?}", service.name);
            let integrations = resources(file, "aws_api_gateway_integration");
            assert!(integrations.iter().all(|(_, i)| i["type"] == "AWS_PROXY"));
            let paths: std::collections::BTreeSet<&str> =
                service.entries.iter().map(|e| e.route.path.as_str()).collect();
            assert_eq!(integrations.len(), service.entries.len() + paths.len());
        }
    }
    // `get_debug_state` only in dev.
    let has_debug = |stage: &str| {
        resources(&eshop(stage)["billing.tf.json"], "aws_api_gateway_resource")
            .iter()
            .any(|(_, r)| r["path_part"] == "debug")
    };
    assert!(has_debug("dev") && !has_debug("prod"));
}

#[test]
fn resource_tree_follows_the_routes() {
    let files = eshop("dev");
    let billing = &files["billing.tf.json"];
    let tree = resources(billing, "aws_api_gateway_resource");
    let parts: Vec<&str> = tree.iter().map(|(_, r)| r["path_part"].as_str().unwrap()).collect();
    for part in ["invoice", "{id}", "pdf", "invoices", "health", "debug", "state"] {
        assert!(parts.contains(&part), "{part} in {parts:?}");
    }
    let (_, pdf_id) =
        tree.iter().find(|(n, r)| r["path_part"] == "{id}" && n.contains("pdf")).expect("/invoice/pdf/{id}");
    assert_eq!(pdf_id["parent_id"], "${aws_api_gateway_resource.billing_invoice__pdf.id}");
    let (_, invoice) = tree.iter().find(|(_, r)| r["path_part"] == "invoice").unwrap();
    assert_eq!(invoice["parent_id"], "${aws_api_gateway_rest_api.billing.root_resource_id}");
    // Path parameters are declared on their methods.
    let (_, get_invoice) = resources(billing, "aws_api_gateway_method")
        .into_iter()
        .find(|(n, _)| n.as_str() == "billing_invoice__p_id__GET")
        .unwrap();
    assert_eq!(get_invoice["request_parameters"]["method.request.path.id"], true);
}

#[test]
fn token_authorizer_except_on_no_auth_entries() {
    let files = eshop("dev");
    let billing = &files["billing.tf.json"];
    let auth = &billing["resource"]["aws_api_gateway_authorizer"]["billing"];
    assert_eq!(auth["type"], "TOKEN");
    assert_eq!(auth["identity_source"], "method.request.header.Authorization");
    assert_eq!(auth["authorizer_uri"], "${aws_lambda_function.billing.invoke_arn}");
    for (name, m) in resources(billing, "aws_api_gateway_method") {
        if name.contains("health") || name.ends_with("__CORS") {
            assert_eq!(m["authorization"], "NONE", "{name}");
            assert!(m.get("authorizer_id").is_none());
        } else {
            assert_eq!(m["authorization"], "CUSTOM", "{name}");
            assert_eq!(m["authorizer_id"], "${aws_api_gateway_authorizer.billing.id}");
        }
    }
    let permission = &billing["resource"]["aws_lambda_permission"]["billing"];
    assert_eq!(permission["source_arn"], "${aws_api_gateway_rest_api.billing.execution_arn}/*");
    let rest = &billing["resource"]["aws_api_gateway_rest_api"]["billing"];
    assert_eq!(rest["binary_media_types"], serde_json::json!(["application/pdf"]));
}

#[test]
fn function_settings_follow_the_stage() {
    let dev = eshop("dev");
    let prod = eshop("prod");
    let f = |files: &BTreeMap<String, Value>, s: &str| {
        files[&format!("{s}.tf.json")]["resource"]["aws_lambda_function"][s].clone()
    };
    assert_eq!(f(&dev, "billing")["memory_size"], 512);
    assert_eq!(f(&dev, "catalog")["memory_size"], 256);
    assert_eq!(f(&prod, "catalog")["memory_size"], 1024);
    assert_eq!(f(&dev, "catalog")["runtime"], "provided.al2023");
    assert_eq!(f(&dev, "catalog")["handler"], "bootstrap");
    assert_eq!(f(&dev, "catalog")["architectures"], serde_json::json!(["x86_64"]));
    assert_eq!(f(&dev, "catalog")["function_name"], "eshop-catalog-dev");
    assert_eq!(f(&dev, "catalog")["filename"], "../target/lambda/catalog/bootstrap.zip");
    assert_eq!(f(&dev, "catalog")["tracing_config"]["mode"], "PassThrough");
    assert_eq!(f(&prod, "catalog")["tracing_config"]["mode"], "Active");
    let env = &f(&dev, "catalog")["environment"]["variables"];
    assert_eq!(env["TOKEN"], "dev-token");
    assert_eq!(env["SHOP_NAME"], "CoWorks e-shop");
    assert_eq!(env["CWS_STAGE"], "dev");
    assert_eq!(env["CWS_RESULTS_BUCKET"], "eshop-async-results");
    assert_eq!(f(&prod, "catalog")["environment"]["variables"]["RUST_LOG"], "warn");
    let pre = &f(&dev, "catalog")["lifecycle"]["precondition"][0]["condition"];
    assert_eq!(pre, "${terraform.workspace == \"dev\"}");
    let stage = &dev["catalog.tf.json"]["resource"]["aws_api_gateway_stage"]["catalog"];
    assert_eq!(stage["stage_name"], "dev");
    let out = &dev["main.tf.json"]["output"]["services"]["value"]["catalog"];
    assert_eq!(out["url"], "${aws_api_gateway_stage.catalog.invoke_url}");
    assert_eq!(out["function_arn"], "${aws_lambda_function.catalog.arn}");
}

#[test]
fn iam_policies_are_narrow() {
    for stage in ["dev", "prod"] {
        for (name, file) in eshop(stage) {
            let id = name.trim_end_matches(".tf.json");
            for (policy_name, p) in resources(&file, "aws_iam_role_policy") {
                let doc: Value = serde_json::from_str(p["policy"].as_str().unwrap()).unwrap();
                if policy_name.ends_with("__invoke_self") {
                    // Asynchronous calls: the function may invoke itself, and nothing else.
                    let arn = format!("${{aws_lambda_function.{id}.arn}}");
                    assert_eq!(
                        doc["Statement"],
                        serde_json::json!([{"Sid": "AsyncCalls", "Effect": "Allow",
                            "Action": ["lambda:InvokeFunction"], "Resource": [arn, format!("{arn}:*")]}])
                    );
                    continue;
                }
                let statements = doc["Statement"].as_array().unwrap();
                for s in statements {
                    let actions: Vec<&str> =
                        s["Action"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
                    assert!(actions.iter().all(|a| !a.contains('*')), "{name}: {actions:?}");
                }
                let sids: Vec<&str> = statements.iter().map(|s| s["Sid"].as_str().unwrap()).collect();
                assert_eq!(sids.contains(&"Tracing"), stage == "prod", "{sids:?}");
                let s3 = statements.iter().find(|s| s["Sid"] == "AsyncResults").unwrap();
                assert_eq!(s3["Action"], serde_json::json!(["s3:PutObject"]));
                assert_eq!(s3["Resource"], "arn:aws:s3:::eshop-async-results/cws-results/*");
            }
        }
    }
}

#[test]
fn secrets_go_to_ssm_never_into_files() {
    let p = Project::load(dir("tests/fixtures/deploy_project")).unwrap();
    let (d, _) = stage_deployment(&p, "dev", &BTreeMap::new());
    let files = terraform::generate(&d);
    for (name, text) in &files {
        assert!(!text.contains("fixture-s3cr3t-value"), "{name} holds the secret");
    }
    let hello: Value =
        serde_json::from_str(&files.iter().find(|(n, _)| n == "hello.tf.json").unwrap().1).unwrap();
    let param = &hello["resource"]["aws_ssm_parameter"]["hello__API_KEY"];
    assert_eq!(param["type"], "SecureString");
    assert_eq!(param["name"], "/fixture/dev/hello/API_KEY");
    assert_eq!(param["value"], "${var.secrets[\"API_KEY\"]}");
    let env = &hello["resource"]["aws_lambda_function"]["hello"]["environment"]["variables"];
    assert!(env.get("API_KEY").is_none());
    assert_eq!(env[terraform::SECRETS_ENV], "API_KEY=${aws_ssm_parameter.hello__API_KEY.name}");
    let main: Value =
        serde_json::from_str(&files.iter().find(|(n, _)| n == "main.tf.json").unwrap().1).unwrap();
    assert_eq!(main["variable"]["secrets"]["sensitive"], true);
    assert!(p.secret_values("dev").contains("fixture-s3cr3t-value"));
    // prod has no secret file: no variable, no parameter.
    let (prod, _) = stage_deployment(&p, "prod", &BTreeMap::new());
    assert!(terraform::generate(&prod)
        .iter()
        .all(|(_, t)| !t.contains("aws_ssm_parameter") && !t.contains("\"variable\"")));
}

#[test]
fn cors_preflights_reach_the_function_and_gateway_answers_carry_the_origin() {
    let files = generated("tests/fixtures/deploy_project", "dev", &BTreeMap::new());
    let hello = &files["hello.tf.json"];
    let cors: Vec<_> = resources(hello, "aws_api_gateway_integration")
        .into_iter()
        .filter(|(n, _)| n.ends_with("__CORS"))
        .collect();
    // one per path with methods: /hello, /item/{id}, /item, /health, /debug
    assert_eq!(cors.len(), 5, "{cors:?}");
    assert!(cors.iter().all(|(_, i)| i["type"] == "AWS_PROXY"), "the runtime answers preflights: {cors:?}");
    let preflights: Vec<_> = resources(hello, "aws_api_gateway_method")
        .into_iter()
        .filter(|(n, _)| n.ends_with("__CORS"))
        .collect();
    assert!(preflights.iter().all(|(_, m)| m["authorization"] == "NONE" && m["http_method"] == "OPTIONS"));
    // API Gateway's own 4xx/5xx (authorizer denials included) carry the origin too.
    let gateway = resources(hello, "aws_api_gateway_gateway_response");
    let types: Vec<&str> = gateway.iter().map(|(_, g)| g["response_type"].as_str().unwrap()).collect();
    assert_eq!(types, ["DEFAULT_4XX", "DEFAULT_5XX"]);
    for (_, g) in &gateway {
        assert_eq!(g["response_parameters"]["gatewayresponse.header.Access-Control-Allow-Origin"], "'*'");
    }
    // The function knows its CORS settings.
    let env = &hello["resource"]["aws_lambda_function"]["hello"]["environment"]["variables"];
    assert_eq!(env[crate::contract::CORS_ORIGINS_ENV], "*");
    assert_eq!(env[crate::contract::CORS_MAX_AGE_ENV], "600");
    assert!(env[crate::contract::CORS_HEADERS_ENV].as_str().unwrap().contains("X-CWS-S3Key"));
    // One origin (the eshop's prod): named in API Gateway's answers and to the function.
    let prod = eshop("prod");
    let billing = &prod["billing.tf.json"];
    for (_, g) in resources(billing, "aws_api_gateway_gateway_response") {
        let origin = &g["response_parameters"]["gatewayresponse.header.Access-Control-Allow-Origin"];
        assert_eq!(origin, "'https://shop.eshop.invalid'");
    }
    let env = &billing["resource"]["aws_lambda_function"]["billing"]["environment"]["variables"];
    assert_eq!(env[crate::contract::CORS_ORIGINS_ENV], "https://shop.eshop.invalid");
    // Without `cors`: none of it.
    let mut cli = BTreeMap::new();
    cli.insert("cors".to_string(), ConfigValue::Bool(false));
    let off = generated("../examples/eshop", "dev", &cli);
    let billing = &off["billing.tf.json"];
    assert!(resources(billing, "aws_api_gateway_gateway_response").is_empty());
    assert!(!resources(billing, "aws_api_gateway_method").iter().any(|(n, _)| n.ends_with("__CORS")));
    let env = &billing["resource"]["aws_lambda_function"]["billing"]["environment"]["variables"];
    assert!(env.get(crate::contract::CORS_ORIGINS_ENV).is_none());
}

#[test]
fn the_authorizer_cache_and_the_async_mechanism() {
    let files = eshop("dev");
    let billing = &files["billing.tf.json"]["resource"];
    assert_eq!(billing["aws_api_gateway_authorizer"]["billing"]["authorizer_result_ttl_in_seconds"], 300);
    assert_eq!(billing["aws_lambda_function_event_invoke_config"]["billing"]["maximum_retry_attempts"], 0);
    let mut cli = BTreeMap::new();
    cli.insert("authorizer_ttl".to_string(), ConfigValue::Int(0));
    let files = generated("../examples/eshop", "dev", &cli);
    let billing = &files["billing.tf.json"]["resource"];
    assert_eq!(billing["aws_api_gateway_authorizer"]["billing"]["authorizer_result_ttl_in_seconds"], 0);
}

#[test]
fn provider_endpoints_and_backends() {
    let mut cli = BTreeMap::new();
    cli.insert(
        "endpoints".to_string(),
        ConfigValue::Map(BTreeMap::from([(
            "all".to_string(),
            ConfigValue::Str("http://127.0.0.1:5000".into()),
        )])),
    );
    cli.insert("profile".to_string(), ConfigValue::Str("ci".into()));
    let main = &generated("../examples/eshop", "dev", &cli)["main.tf.json"];
    let aws = &main["provider"]["aws"][0];
    assert_eq!(aws["region"], "eu-west-1");
    assert_eq!(aws["profile"], "ci");
    assert_eq!(aws["endpoints"][0]["lambda"], "http://127.0.0.1:5000");
    assert_eq!(aws["endpoints"][0]["apigateway"], "http://127.0.0.1:5000");
    assert_eq!(aws["skip_credentials_validation"], true);
    assert!(main["terraform"].get("backend").is_none());
    let plain = &eshop("dev")["main.tf.json"]["provider"]["aws"][0];
    assert!(plain.get("endpoints").is_none() && plain.get("skip_credentials_validation").is_none());

    let s3 = |lock: &str| {
        ConfigValue::Map(BTreeMap::from([(
            "s3".to_string(),
            ConfigValue::Map(BTreeMap::from([
                ("bucket".to_string(), ConfigValue::Str("state".into())),
                ("key".to_string(), ConfigValue::Str("eshop.tfstate".into())),
                (lock.to_string(), ConfigValue::Bool(true)),
            ])),
        )]))
    };
    let main = &generated(
        "../examples/eshop",
        "dev",
        &BTreeMap::from([("backend".to_string(), s3("use_lockfile"))]),
    )["main.tf.json"];
    let backend = &main["terraform"]["backend"]["s3"];
    assert_eq!(backend["bucket"], "state");
    assert_eq!(backend["region"], "eu-west-1", "the stage's region unless written");
    assert_eq!(backend["use_lockfile"], true);
    assert_eq!(main["terraform"]["required_version"], ">= 1.10.0", "use_lockfile came with 1.10");
    assert!(backend.get("endpoints").is_none() && backend.get("use_path_style").is_none(), "{backend}");
    // A stage on an emulator keeps its state there too.
    let mut emulated = cli.clone();
    emulated.insert("backend".to_string(), s3("encrypt"));
    let main = &generated("../examples/eshop", "dev", &emulated)["main.tf.json"];
    let backend = &main["terraform"]["backend"]["s3"];
    assert_eq!(
        backend["endpoints"],
        serde_json::json!({"s3": "http://127.0.0.1:5000", "dynamodb": "http://127.0.0.1:5000", "iam": "http://127.0.0.1:5000", "sts": "http://127.0.0.1:5000"})
    );
    assert_eq!(
        (&backend["use_path_style"], &backend["skip_requesting_account_id"]),
        (&Value::Bool(true), &Value::Bool(true))
    );
    assert_eq!(main["terraform"]["required_version"], ">= 1.5.0");
    let cloud = ConfigValue::Map(BTreeMap::from([(
        "cloud".to_string(),
        ConfigValue::Map(BTreeMap::from([("organization".to_string(), ConfigValue::Str("acme".into()))])),
    )]));
    let main = &generated("../examples/eshop", "dev", &BTreeMap::from([("backend".to_string(), cloud)]))
        ["main.tf.json"];
    assert_eq!(main["terraform"]["cloud"]["organization"], "acme");
}

#[test]
fn targets_of_one_service() {
    let p = Project::load(dir("../examples/eshop")).unwrap();
    let (d, _) = stage_deployment(&p, "dev", &BTreeMap::new());
    let a = terraform::service_addresses(&d, "mailer");
    assert!(a.contains(&"aws_lambda_function.mailer".to_string()));
    assert!(a.contains(&"aws_api_gateway_method.mailer_send__POST".to_string()), "{a:?}");
    assert!(a.iter().all(|x| x.contains(".mailer")), "{a:?}");
    assert!(terraform::service_addresses(&d, "nope").is_empty());
}

#[test]
fn identifiers_are_terraform_names() {
    assert_eq!(terraform::ident("my-service"), "my_service");
    assert_eq!(terraform::ident("1st"), "_1st");
    assert_eq!(terraform::function_name("e shop", "billing", "dev"), "e-shop-billing-dev");
}

#[test]
fn a_service_without_entries_in_the_stage_gets_no_api() {
    let p = Project::load(dir("../examples/eshop")).unwrap();
    let (mut d, _) = stage_deployment(&p, "dev", &BTreeMap::new());
    d.services[0].service.entries.clear();
    let files: BTreeMap<String, Value> =
        terraform::generate(&d).into_iter().map(|(n, t)| (n, serde_json::from_str(&t).unwrap())).collect();
    let billing = &files["billing.tf.json"]["resource"];
    assert!(billing.get("aws_lambda_function").is_some());
    assert!(
        billing.get("aws_api_gateway_rest_api").is_none() && billing.get("aws_api_gateway_stage").is_none()
    );
    assert_eq!(files["main.tf.json"]["output"]["services"]["value"]["billing"]["url"], Value::Null);
}

/// Env values (and every other text of the project) reach Terraform as the text they are: a
/// `${...}` or `%{...}` in them is escaped, so Terraform does not evaluate it when deploying.
#[test]
fn template_syntax_in_the_projects_text_stays_text() {
    let mut p = crate::settings::tests::project_with_config(
        "version: 3\ncommands:\n  deploy:\n    region: eu-west-1\n    bucket: 'b${x}'\n    results_prefix: '%{p}/'\n    tags: {'team${a}': '%{ if true }x%{ endif }'}\n    binary_media_types: ['image/${t}']\nworkspaces:\n  dev: {}\n",
    );
    p.set_file_text(
        std::path::Path::new(".env.dev"),
        "GREETING=Hello ${file(\"/etc/hostname\")}\nPCT=%{x}\n",
    );
    p.set_file_text(std::path::Path::new(".env.dev.secret"), "KEY=v\n");
    p.set_file_text(
        std::path::Path::new("src/main.rs"),
        "pub struct Hello;\n/// Says ${var.secrets} hello.\n#[coworks::service(name = \"hello\")]\nimpl Hello {\n    #[entry]\n    fn get(&self) -> String { String::new() }\n}\n",
    );
    let (d, _) = stage_deployment(&p, "dev", &BTreeMap::new());
    let files: BTreeMap<String, Value> = terraform::generate(&d)
        .into_iter()
        .map(|(name, text)| (name, serde_json::from_str(&text).unwrap()))
        .collect();
    let hello = &files["hello.tf.json"];
    let f = &hello["resource"]["aws_lambda_function"]["hello"];
    let env = &f["environment"]["variables"];
    assert_eq!(env["GREETING"], "Hello $${file(\"/etc/hostname\")}");
    assert_eq!(env["PCT"], "%%{x}");
    assert_eq!(env["CWS_RESULTS_BUCKET"], "b$${x}");
    assert_eq!(env["CWS_RESULTS_PREFIX"], "%%{p}/");
    assert_eq!(f["tags"]["team$${a}"], "%%{ if true }x%%{ endif }");
    let api = &hello["resource"]["aws_api_gateway_rest_api"]["hello"];
    assert_eq!(api["description"], "Says $${var.secrets} hello.");
    assert_eq!(api["binary_media_types"][0], "image/$${t}");
    let policy = hello["resource"]["aws_iam_role_policy"]["hello"]["policy"].as_str().unwrap();
    assert!(policy.contains("arn:aws:s3:::b$${x}/%%{p}/*"), "{policy}");
    // The generator's own expressions are left as they are.
    assert_eq!(f["role"], "${aws_iam_role.hello.arn}");
    assert_eq!(f["lifecycle"]["precondition"][0]["condition"], "${terraform.workspace == \"dev\"}");
    assert_eq!(env["CWS_SECRET_PARAMETERS"], "KEY=${aws_ssm_parameter.hello__KEY.name}");
    let ssm = &hello["resource"]["aws_ssm_parameter"]["hello__KEY"];
    assert_eq!(ssm["value"], "${var.secrets[\"KEY\"]}");
}

#[test]
fn generated_files_carry_the_marker_and_the_locals_name_every_service() {
    let files = eshop("dev");
    for (name, file) in &files {
        let text = serde_json::to_string(file).unwrap();
        assert!(crate::layout::is_generated_terraform(&text), "{name}");
    }
    let locals = &files["main.tf.json"]["locals"];
    assert_eq!(locals["cws_project"], "eshop");
    assert_eq!(locals["cws_stage"], "dev");
    let billing = &locals["cws_services"]["billing"];
    assert_eq!(billing["role_name"], "${aws_iam_role.billing.name}");
    assert_eq!(billing["function_arn"], "${aws_lambda_function.billing.arn}");
    assert_eq!(billing["api_id"], "${aws_api_gateway_rest_api.billing.id}");
    assert_eq!(
        locals["cws_services"].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["billing", "catalog", "mailer"]
    );
    assert_eq!(crate::layout::terraform_service_file("main"), "_main.tf.json");
    assert_eq!(crate::layout::terraform_service_file("order-api"), "order_api.tf.json");
}

#[test]
fn iam_statements_join_the_role_policy_as_text() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(
        root.path().join("project.cws.yml"),
        "version: 3\nservices:\n  hello:\n    commands:\n      deploy:\n        iam:\n          - actions: [sqs:SendMessage]\n            resources: ['arn:aws:sqs:*:*:orders-${x}']\n          - effect: Deny\n            actions: ['s3:*']\n            resources: ['*']\nworkspaces:\n  dev: {}\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.path().join("src")).unwrap();
    std::fs::write(
        root.path().join("src/main.rs"),
        "#[coworks::service]\nimpl Hello {\n    #[entry]\n    fn get(&self) -> String { String::new() }\n}\n",
    )
    .unwrap();
    let p = Project::load(root.path()).unwrap();
    let (d, _) = stage_deployment(&p, "dev", &BTreeMap::new());
    let files: BTreeMap<String, Value> =
        terraform::generate(&d).into_iter().map(|(n, t)| (n, serde_json::from_str(&t).unwrap())).collect();
    let policy =
        files["hello.tf.json"]["resource"]["aws_iam_role_policy"]["hello"]["policy"].as_str().unwrap();
    let policy: Value = serde_json::from_str(policy).unwrap();
    let extra: Vec<&Value> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Sid"].as_str().unwrap().starts_with("Config"))
        .collect();
    assert_eq!(
        extra,
        [
            &serde_json::json!({"Sid": "Config1", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": ["arn:aws:sqs:*:*:orders-$${x}"]}),
            &serde_json::json!({"Sid": "Config2", "Effect": "Deny", "Action": ["s3:*"], "Resource": ["*"]}),
        ]
    );
}

#[test]
fn access_logs_and_throttles() {
    let fixture = "tests/fixtures/deploy_project";
    // The fixture: access logs and `*/*` limits everywhere, hello's own route limited; the account
    // role in prod only.
    let dev = generated(fixture, "dev", &BTreeMap::new());
    let hello = &dev["hello.tf.json"];
    let stage = &hello["resource"]["aws_api_gateway_stage"]["hello"];
    assert_eq!(
        stage["access_log_settings"]["destination_arn"],
        "${aws_cloudwatch_log_group.hello__access.arn}"
    );
    let format: Value =
        serde_json::from_str(stage["access_log_settings"]["format"].as_str().unwrap()).unwrap();
    assert_eq!(format["authorizerError"], "$context.authorizer.error");
    assert_eq!(format.as_object().unwrap().len(), crate::artifacts::api::ACCESS_LOG_FIELDS.len());
    assert_eq!(stage.get("depends_on"), None, "dev does not set the account's role");
    let group = &hello["resource"]["aws_cloudwatch_log_group"]["hello__access"];
    assert_eq!(
        (&group["name"], &group["retention_in_days"]),
        (&Value::from("/aws/apigateway/fixture-hello-dev"), &Value::from(7))
    );
    let settings: Vec<_> = resources(hello, "aws_api_gateway_method_settings")
        .into_iter()
        .map(|(_, v)| (v["method_path"].as_str().unwrap(), v["settings"].clone()))
        .collect();
    assert_eq!(
        settings,
        [
            ("*/*", serde_json::json!({"throttling_rate_limit": 50.0, "throttling_burst_limit": 100})),
            ("hello/GET", serde_json::json!({"throttling_rate_limit": 2.5, "throttling_burst_limit": 5})),
        ]
    );
    assert!(dev["main.tf.json"]["resource"].get(terraform::API_GATEWAY_ACCOUNT).is_none());
    let prod = generated(fixture, "prod", &BTreeMap::new());
    assert!(prod["main.tf.json"]["resource"][terraform::API_GATEWAY_ACCOUNT]
        [terraform::API_GATEWAY_ACCOUNT_NAME]
        .is_object());

    // Off, and a nested route's own limit (the method path without its leading `/`); a route of
    // no entry gets nothing (the checks report it: CWS057).
    let item = ConfigValue::Map(BTreeMap::from([
        ("route".to_string(), ConfigValue::Str("get /item/{id}".into())),
        ("rate".to_string(), ConfigValue::Str("3".into())),
    ]));
    let unknown = ConfigValue::Map(BTreeMap::from([
        ("route".to_string(), ConfigValue::Str("GET /nowhere".into())),
        ("burst".to_string(), ConfigValue::Str("3".into())),
    ]));
    let cli = BTreeMap::from([
        ("access_logs".to_string(), ConfigValue::Bool(false)),
        ("route_throttle".to_string(), ConfigValue::List(vec![item, unknown])),
    ]);
    let off = generated(fixture, "dev", &cli);
    let hello = &off["hello.tf.json"];
    assert_eq!(hello["resource"]["aws_api_gateway_stage"]["hello"].get("access_log_settings"), None);
    assert!(resources(hello, "aws_cloudwatch_log_group").iter().all(|(k, _)| !k.ends_with("__access")));
    let paths: Vec<_> = resources(hello, "aws_api_gateway_method_settings")
        .into_iter()
        .map(|(_, v)| (v["method_path"].clone(), v["settings"].clone()))
        .collect();
    assert_eq!(
        paths,
        [
            (
                Value::from("*/*"),
                serde_json::json!({"throttling_rate_limit": 50.0, "throttling_burst_limit": 100})
            ),
            (Value::from("item/{id}/GET"), serde_json::json!({"throttling_rate_limit": 3.0})),
        ]
    );
}

#[test]
fn entry_attribute_limits_under_the_stages_route_throttle() {
    let fine = generated("tests/fixtures/projects/deploy_throttle", "fine", &BTreeMap::new());
    let settings: Vec<_> = resources(&fine["shop.tf.json"], "aws_api_gateway_method_settings")
        .into_iter()
        .map(|(_, v)| (v["method_path"].as_str().unwrap(), v["settings"].clone()))
        .collect();
    assert_eq!(
        settings,
        [
            ("*/*", serde_json::json!({"throttling_rate_limit": 0.5, "throttling_burst_limit": 10})),
            // `#[entry(throttle = "2/4")]`.
            (
                "order/{id}/GET",
                serde_json::json!({"throttling_rate_limit": 2.0, "throttling_burst_limit": 4})
            ),
            // `#[entry(throttle = "1")]`, overridden by the stage's `route_throttle` (`get /orders`).
            ("orders/GET", serde_json::json!({"throttling_rate_limit": 5.0})),
        ],
        "an invalid attribute (post_order) and the root route get none"
    );
}

#[test]
fn custom_domains_map_each_service_under_a_base_path_or_the_root() {
    use crate::settings::deploy::{Domain, DomainEndpoint};
    let domain = |name: &str| {
        let keys = [("name", name), ("certificate_arn", "arn:aws:acm:eu-west-1:123456789012:certificate/c1")];
        let keys = keys.iter().map(|(k, v)| (k.to_string(), ConfigValue::Str(v.to_string()))).collect();
        BTreeMap::from([("domain".to_string(), ConfigValue::Map(keys))])
    };
    // Shared by the three services: each under its own name, one domain name resource.
    let files = generated("../examples/eshop", "dev", &domain("api.shop.example"));
    let main = &files["main.tf.json"];
    let names = resources(main, "aws_api_gateway_domain_name");
    assert_eq!(names.len(), 1, "{main:#}");
    let (id, dn) = names[0];
    assert_eq!(id, "domain_api_shop_example");
    assert_eq!(dn["domain_name"], "api.shop.example");
    assert_eq!(dn["regional_certificate_arn"], "arn:aws:acm:eu-west-1:123456789012:certificate/c1");
    assert!(dn.get("certificate_arn").is_none(), "a regional domain takes the regional certificate");
    assert_eq!(dn["endpoint_configuration"]["types"], serde_json::json!(["REGIONAL"]));
    assert_eq!(
        main["output"]["domains"]["value"]["api.shop.example"]["target"],
        "${aws_api_gateway_domain_name.domain_api_shop_example.regional_domain_name}"
    );
    for service in ["billing", "catalog", "mailer"] {
        let mapping = &resources(&files[&format!("{service}.tf.json")], "aws_api_gateway_base_path_mapping");
        assert_eq!(mapping.len(), 1);
        assert_eq!(mapping[0].1["base_path"], service);
        assert_eq!(mapping[0].1["api_id"], format!("${{aws_api_gateway_rest_api.{service}.id}}"));
        let url = format!("https://api.shop.example/{service}");
        assert_eq!(main["output"]["services"]["value"][service]["custom_url"], url.as_str());
        assert_eq!(main["locals"]["cws_services"][service]["custom_url"], url.as_str());
    }
    // A service alone on its (edge) domain is served at its root; the others have no custom URL.
    // The domain's text stays text in Terraform.
    let p = Project::load(dir("../examples/eshop")).unwrap();
    let (mut d, _) = stage_deployment(&p, "dev", &BTreeMap::new());
    for s in &mut d.services {
        s.function.domain = (s.service.name == "billing").then(|| Domain {
            name: "pay.${var.x}.example".into(),
            certificate_arn: "arn:aws:acm:us-east-1:123456789012:certificate/c2".into(),
            base_path: None,
            endpoint: DomainEndpoint::Edge,
        });
    }
    let files: BTreeMap<String, Value> = terraform::generate(&d)
        .into_iter()
        .map(|(name, text)| (name, serde_json::from_str(&text).unwrap()))
        .collect();
    let main = &files["main.tf.json"];
    let (_, dn) = resources(main, "aws_api_gateway_domain_name")[0];
    assert_eq!(dn["domain_name"], "pay.$${var.x}.example");
    assert_eq!(dn["certificate_arn"], "arn:aws:acm:us-east-1:123456789012:certificate/c2");
    assert_eq!(dn["endpoint_configuration"]["types"], serde_json::json!(["EDGE"]));
    let (_, mapping) = resources(&files["billing.tf.json"], "aws_api_gateway_base_path_mapping")[0];
    assert!(mapping.get("base_path").is_none(), "the root: {mapping}");
    let services = &main["output"]["services"]["value"];
    assert_eq!(services["billing"]["custom_url"], "https://pay.$${var.x}.example");
    assert_eq!(services["catalog"]["custom_url"], Value::Null);
    assert!(resources(&files["catalog.tf.json"], "aws_api_gateway_base_path_mapping").is_empty());
    assert!(terraform::service_addresses(&d, "billing")
        .contains(&"aws_api_gateway_base_path_mapping.billing".to_string()));
}
