//! Deployment for real: `terraform validate` on the generated configurations; the example project
//! (`examples/eshop`, built once in release with the runtime crates and packaged by `cws build`)
//! deployed with `cws deploy` / `deployed` / `destroy` to a moto server on 127.0.0.1 (checked with
//! boto3 against `cws routes --json`); a real service's packaged `bootstrap` answering API Gateway
//! events under a local Lambda Runtime API emulator; and a cargo-lambda build for an older glibc
//! (the dependency-free fixture `core/tests/fixtures/deploy_project`, to keep that build short).
//!
//! Needs terraform (with the AWS provider in a filesystem mirror) and python3 with moto[server] and
//! boto3, and cargo-lambda (`scripts/ci-deps`); a missing tool fails the tests with the install step.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use coworks_core::artifacts;
use coworks_core::settings::deploy::ApiKind;
use coworks_core::Project;
use serde_json::Value;
use support::aws::{
    cli_config, cws_aws as cws, services_target_dir, sync_dir, terraform, with_test_aws, Moto,
};
use support::TempProject;

mod support;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn terraform_validates_the_generated_configurations() {
    let tmp = tempfile::tempdir().unwrap();
    let rc = cli_config(tmp.path());
    let projects = [
        (support::example(), vec!["dev", "test", "prod"]),
        (support::deploy_project(), vec!["dev", "http", "prod"]),
        // API keys: one with a plan's quota and limits (billing), one without (shop).
        (manifest_dir().join("../core/tests/fixtures/projects/deploy_usage_plans"), vec!["rest"]),
    ];
    for (root, stages) in projects {
        let project = Project::load(root).unwrap();
        let name = artifacts::project_name(&project);
        for stage in stages {
            let (d, _) = artifacts::stage_deployment(&project, stage, &Default::default());
            let dir = tmp.path().join(format!("{name}-{stage}"));
            artifacts::write_terraform(&dir, &d).unwrap();
            for args in [
                &["init", "-backend=false", "-input=false", "-no-color"][..],
                &["validate", "-json", "-no-color"],
            ] {
                let o = Command::new(terraform())
                    .args(args)
                    .current_dir(&dir)
                    .env("TF_CLI_CONFIG_FILE", &rc)
                    .env("TF_IN_AUTOMATION", "1")
                    .output()
                    .unwrap();
                assert!(o.status.success(), "terraform {args:?} on {name} {stage}:\n{}", text(&o));
                if args[0] == "validate" {
                    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
                    assert_eq!(v["valid"], true, "{name} {stage}: {v:#}");
                    assert_eq!(v["warning_count"], 0, "{name} {stage}: {v:#}");
                }
            }
        }
    }
}

/// The example's services.
const ESHOP_SERVICES: [&str; 3] = ["billing", "catalog", "mailer"];

/// One release build of the real e-shop, shared by every test of this file: a copy of
/// `examples/eshop` (its own cargo workspace, the runtime crates by absolute path, the repository's
/// Cargo.lock) under cargo's test scratch directory, whose `target/` persists between runs, packaged
/// by `cws build`. Returns the copy's root, holding `target/lambda/<service>/bootstrap.zip`.
fn eshop_packages() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("eshop-build");
        sync_dir(&support::example(), &root);
        let runtime = manifest_dir().join("../runtime/coworks").canonicalize().unwrap();
        for service in ESHOP_SERVICES {
            let manifest = root.join("services").join(service).join("Cargo.toml");
            let text = std::fs::read_to_string(&manifest).unwrap();
            assert!(text.contains("\"../../../../runtime/coworks\""), "{}: {text}", manifest.display());
            let text = text.replace("../../../../runtime/coworks", &runtime.to_string_lossy());
            if std::fs::read_to_string(&manifest).ok().as_deref() != Some(text.as_str()) {
                std::fs::write(&manifest, text).unwrap();
            }
        }
        let workspace = "[workspace]\nresolver = \"2\"\nmembers = [\"services/*\"]\n";
        if std::fs::read_to_string(root.join("Cargo.toml")).ok().as_deref() != Some(workspace) {
            std::fs::write(root.join("Cargo.toml"), workspace).unwrap();
        }
        // The repository's versions, resolved offline (cargo trims what the copy does not use).
        std::fs::copy(manifest_dir().join("../Cargo.lock"), root.join("Cargo.lock")).unwrap();
        let build = |service: &str| {
            let start = Instant::now();
            let o = Command::new(env!("CARGO_BIN_EXE_cws"))
                .args(["build", service, "-s", "dev", "-p"])
                .arg(&root)
                .env("CARGO_TARGET_DIR", services_target_dir())
                .output()
                .unwrap();
            let out = text(&o);
            assert!(o.status.success(), "cws build {service}:\n{out}");
            assert!(out.contains("zipped; bootstrap") && out.contains("needs GLIBC_2."), "{out}");
            println!(
                "{} (cws build: {:.1} s)",
                String::from_utf8_lossy(&o.stdout).trim(),
                start.elapsed().as_secs_f64()
            );
        };
        for service in ESHOP_SERVICES {
            build(service);
        }
        // Same input, same bytes.
        let zip = root.join("target/lambda/billing/bootstrap.zip");
        let first = std::fs::read(&zip).unwrap();
        std::thread::sleep(Duration::from_millis(1100));
        build("billing");
        assert_eq!(std::fs::read(&zip).unwrap(), first, "the package is not reproducible");
        root
    })
}

/// A copy of the example, with the shared build's packages, ready for `cws deploy --no-build`.
fn eshop_copy() -> TempProject {
    let project = TempProject::copy_of(&support::example());
    let built = eshop_packages();
    for service in ESHOP_SERVICES {
        let zip = format!("target/lambda/{service}/bootstrap.zip");
        project.write(&zip, std::fs::read(built.join(&zip)).unwrap());
    }
    project
}

/// What a deployment test against moto starts from: its own moto server (so tests stay
/// independent), the Terraform CLI configuration of the offline provider mirror, and the project
/// copy it deploys, whose `project.cws.yml` the test has pointed at that moto.
struct OnMoto {
    moto: Moto,
    rc: PathBuf,
    copy: TempProject,
    _rc_dir: tempfile::TempDir,
}

impl OnMoto {
    /// Starts moto for `copy`, whose `project.cws.yml` becomes `edit(text, endpoints)`: `endpoints`
    /// is the option sending every AWS service to this moto (`endpoints: {all: 'http://…'}`).
    fn start(copy: TempProject, edit: impl FnOnce(&str, &str) -> String) -> OnMoto {
        let moto = Moto::start();
        let rc_dir = tempfile::tempdir().unwrap();
        let rc = cli_config(rc_dir.path());
        let config = std::fs::read_to_string(copy.path().join("project.cws.yml")).unwrap();
        copy.write("project.cws.yml", edit(&config, &format!("endpoints: {{all: '{}'}}", moto.url)));
        OnMoto { moto, rc, copy, _rc_dir: rc_dir }
    }
}

/// `config` with `lines` written after `marker`, which it must hold.
fn insert_after(config: &str, marker: &str, lines: &str) -> String {
    assert!(config.contains(marker), "no {marker:?} in:\n{config}");
    config.replacen(marker, &format!("{marker}{lines}"), 1)
}

/// `cws routes --json -s STAGE`: per service, each route (`GET /path`) and whether it needs the token.
fn core_routes(project: &Path, stage: &str) -> BTreeMap<String, BTreeMap<String, bool>> {
    let o = Command::new(env!("CARGO_BIN_EXE_cws"))
        .args(["routes", "--json", "-s", stage, "-p"])
        .arg(project)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut routes = BTreeMap::new();
    for s in v["services"].as_array().unwrap() {
        let entries: &mut BTreeMap<String, bool> =
            routes.entry(s["name"].as_str().unwrap().to_string()).or_default();
        for e in s["entries"].as_array().unwrap() {
            let key = format!(
                "{} {}",
                e["route"]["method"].as_str().unwrap(),
                e["route"]["path"].as_str().unwrap()
            );
            let token = match e["auth"].as_str().unwrap() {
                "token" => true,
                "none" => false,
                other => panic!("auth {other}"),
            };
            assert!(entries.insert(key, token).is_none(), "duplicate route in {v}");
        }
    }
    routes
}

/// What boto3 sees in moto (region `region`): functions, APIs (methods, authorizers, stages), secrets.
fn aws_state(moto: &Moto, region: &str) -> Value {
    let script = r#"
import json, sys, boto3
kw = dict(endpoint_url=sys.argv[1], region_name=sys.argv[2], aws_access_key_id="test", aws_secret_access_key="test")
lam, apigw, ssm = boto3.client("lambda", **kw), boto3.client("apigateway", **kw), boto3.client("ssm", **kw)
iam = boto3.client("iam", **kw)
out = {"functions": {}, "apis": {}, "parameters": {}}
for f in lam.list_functions()["Functions"]:
    c = lam.get_function(FunctionName=f["FunctionName"])["Configuration"]
    role = c["Role"].rsplit("/", 1)[-1]
    policies = {p: iam.get_role_policy(RoleName=role, PolicyName=p)["PolicyDocument"] for p in iam.list_role_policies(RoleName=role)["PolicyNames"]}
    try:
        retries = lam.get_function_event_invoke_config(FunctionName=f["FunctionName"]).get("MaximumRetryAttempts")
    except lam.exceptions.ResourceNotFoundException:
        retries = None
    out["functions"][f["FunctionName"]] = {"runtime": c["Runtime"], "memory": c["MemorySize"], "handler": c["Handler"],
        "tracing": c.get("TracingConfig", {}).get("Mode"), "arn": c["FunctionArn"],
        "env": c.get("Environment", {}).get("Variables", {}), "policies": policies, "async_retries": retries}
for api in apigw.get_rest_apis()["items"]:
    res = apigw.get_resources(restApiId=api["id"], embed=["methods"])["items"]
    methods = {}
    for r in res:
        for m in r.get("resourceMethods", {}):
            d = apigw.get_method(restApiId=api["id"], resourceId=r["id"], httpMethod=m)
            methods[m + " " + r["path"]] = {"auth": d.get("authorizationType"), "authorizer": d.get("authorizerId"),
                "uri": d.get("methodIntegration", {}).get("uri")}
    out["apis"][api["name"]] = {
        "id": api["id"],
        "methods": methods,
        "authorizers": [{"id": a["id"], "type": a["type"], "identitySource": a.get("identitySource"), "uri": a.get("authorizerUri"),
            "ttl": a.get("authorizerResultTtlInSeconds")}
            for a in apigw.get_authorizers(restApiId=api["id"])["items"]],
        "gateway_responses": {g["responseType"]: g.get("responseParameters", {})
            for g in apigw.get_gateway_responses(restApiId=api["id"])["items"] if not g.get("defaultResponse")},
        "stages": [s["stageName"] for s in apigw.get_stages(restApiId=api["id"])["item"]],
    }
for p in ssm.describe_parameters()["Parameters"]:
    v = ssm.get_parameter(Name=p["Name"], WithDecryption=True)["Parameter"]
    out["parameters"][p["Name"]] = {"type": v["Type"], "value": v["Value"]}
print(json.dumps(out))
"#;
    let o = Command::new("python3").args(["-c", script, &moto.url, region]).output().unwrap();
    assert!(o.status.success(), "boto3 (install with scripts/ci-deps): {}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn names(map: &Value) -> Vec<&str> {
    map.as_object().unwrap().keys().map(String::as_str).collect()
}

/// Checks one deployed stage of the e-shop against `cws routes --json -s STAGE`: each service's
/// function, its REST API with exactly the stage's routes, the TOKEN authorizer on the token entries
/// and none on the `no_auth` ones (cached for 300 s), a CORS preflight to the function on every path
/// and the origin `cors_origin` on API Gateway's own answers, the stage; what asynchronous calls
/// need (the function may invoke itself and nothing else, without retries). Returns each
/// service's API id.
fn check_stage(
    state: &Value,
    routes: &BTreeMap<String, BTreeMap<String, bool>>,
    stage: &str,
    cors_origin: &str,
) -> BTreeMap<String, String> {
    assert_eq!(routes.keys().collect::<Vec<_>>(), ESHOP_SERVICES.iter().collect::<Vec<_>>());
    let mut ids = BTreeMap::new();
    for (service, entries) in routes {
        let name = format!("eshop-{service}-{stage}");
        let function = &state["functions"][&name];
        assert_eq!(function["runtime"], "provided.al2023", "{name}: {function}");
        assert_eq!(function["handler"], "bootstrap", "{name}");
        assert_eq!(function["env"]["CWS_STAGE"], stage, "{name}: {function}");
        assert_eq!(function["env"]["CWS_SERVICE"], service.as_str(), "{name}: {function}");
        assert_eq!(function["env"]["SHOP_NAME"], "CoWorks e-shop", "{name}: {function}");
        let api = &state["apis"][&name];
        assert!(api.is_object(), "no API {name} in {state}");
        let mut deployed: BTreeMap<&str, &Value> =
            api["methods"].as_object().unwrap().iter().map(|(k, v)| (k.as_str(), v)).collect();
        // CORS: a preflight on every path (to the function, no authorizer), besides the entries.
        let paths: std::collections::BTreeSet<&str> =
            entries.keys().filter_map(|r| r.split_once(' ').map(|(_, p)| p)).collect();
        for path in paths {
            let preflight = deployed.remove(format!("OPTIONS {path}").as_str());
            let preflight = preflight.unwrap_or_else(|| panic!("{name}: no preflight on {path}"));
            assert_eq!(preflight["auth"], "NONE", "{name} OPTIONS {path}");
            assert!(
                preflight["uri"].as_str().unwrap().contains(function["arn"].as_str().unwrap()),
                "{preflight}"
            );
        }
        let origin = &api["gateway_responses"];
        for t in ["DEFAULT_4XX", "DEFAULT_5XX"] {
            assert_eq!(
                origin[t]["gatewayresponse.header.Access-Control-Allow-Origin"], cors_origin,
                "{name} {t}: {api}"
            );
        }
        assert_eq!(function["env"]["CWS_CORS_ORIGINS"], cors_origin.trim_matches('\''), "{name}");
        // Asynchronous calls: the function queues them with Lambda's Invoke on itself, nothing else.
        let arn = function["arn"].as_str().unwrap();
        let invoke_self = &function["policies"][format!("{name}-invoke-self")];
        assert_eq!(
            invoke_self["Statement"],
            serde_json::json!([{"Sid": "AsyncCalls", "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
                "Resource": [arn, format!("{arn}:*")]}]),
            "{name}: {function}"
        );
        assert_eq!(function["async_retries"], 0, "{name}: {function}");
        assert_eq!(
            deployed.keys().copied().collect::<Vec<_>>(),
            entries.keys().map(String::as_str).collect::<Vec<_>>(),
            "{name}: the API's methods are the routes of `cws routes -s {stage}`"
        );
        let authorizers = api["authorizers"].as_array().unwrap();
        assert_eq!(authorizers.len(), 1, "{name}: {api}");
        let authorizer = &authorizers[0];
        assert_eq!(authorizer["type"], "TOKEN", "{name}");
        assert_eq!(authorizer["identitySource"], "method.request.header.Authorization", "{name}");
        assert_eq!(authorizer["ttl"], 300, "{name}: {authorizer}");
        let function_arn = function["arn"].as_str().unwrap();
        assert!(authorizer["uri"].as_str().unwrap().contains(function_arn), "{name}: {authorizer}");
        for (route, token) in entries {
            let method = deployed[route.as_str()];
            if *token {
                assert_eq!(method["auth"], "CUSTOM", "{name} {route}: {method}");
                assert_eq!(method["authorizer"], authorizer["id"], "{name} {route}: {method}");
            } else {
                assert_eq!(method["auth"], "NONE", "{name} {route} is no_auth: {method}");
                assert!(method["authorizer"].is_null(), "{name} {route}: {method}");
            }
            assert!(method["uri"].as_str().unwrap().contains(function_arn), "{name} {route}: {method}");
        }
        assert_eq!(api["stages"], serde_json::json!([stage]), "{name}");
        ids.insert(service.clone(), api["id"].as_str().unwrap().to_string());
    }
    ids
}

#[test]
fn the_eshop_deploys_to_moto_per_stage() {
    // dev targets the emulator through a stage override in the project file; prod through --endpoint.
    let OnMoto { moto, rc, copy, _rc_dir } = OnMoto::start(eshop_copy(), |config, endpoints| {
        insert_after(config, "        port: 8001\n", &format!("      deploy:\n        {endpoints}\n"))
    });
    let project = copy.path();
    copy.write(".env.dev.secret", "PAYMENT_KEY=eshop-s3cr3t-value\n");
    let endpoint = format!("--endpoint={}", moto.url);

    let o = cws(project, &rc, &["deploy", "-s", "dev", "--no-build"]);
    let out = text(&o);
    assert!(o.status.success(), "cws deploy -s dev:\n{out}");
    assert!(out.contains("Apply complete!"), "{out}");
    for file in std::fs::read_dir(project.join("terraform")).unwrap().flatten() {
        if file.path().is_file() && file.file_name().to_string_lossy().ends_with(".tf.json") {
            let t = std::fs::read_to_string(file.path()).unwrap();
            assert!(!t.contains("eshop-s3cr3t-value"), "{:?} holds the secret", file.path());
        }
    }
    let dev_routes = core_routes(project, "dev");
    assert!(
        !dev_routes["billing"]["GET /health"] && dev_routes["billing"]["GET /invoices"],
        "{dev_routes:?}"
    );
    let state = aws_state(&moto, "eu-west-1");
    let dev_functions: Vec<String> = ESHOP_SERVICES.iter().map(|s| format!("eshop-{s}-dev")).collect();
    assert_eq!(names(&state["functions"]), dev_functions);
    assert_eq!(names(&state["apis"]), dev_functions);
    let dev_ids = check_stage(&state, &dev_routes, "dev", "'*'");
    assert_eq!(state["functions"]["eshop-billing-dev"]["memory"], 512);
    assert_eq!(state["functions"]["eshop-catalog-dev"]["memory"], 256);
    assert_eq!(state["functions"]["eshop-billing-dev"]["env"]["TOKEN"], "dev-token");
    assert!(state["functions"]["eshop-billing-dev"]["env"].get("PAYMENT_KEY").is_none());
    for service in ESHOP_SERVICES {
        assert_eq!(
            state["parameters"][format!("/eshop/dev/{service}/PAYMENT_KEY")],
            serde_json::json!({"type": "SecureString", "value": "eshop-s3cr3t-value"})
        );
    }

    let o = cws(project, &rc, &["deployed", "-s", "dev"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    for (service, id) in &dev_ids {
        // One table row a service: its name, URL, custom URL (none here), function and ARN.
        let url = format!("https://{id}.execute-api.eu-west-1.amazonaws.com/dev");
        let row: Vec<&str> = out
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|cells| cells.first() == Some(&service.as_str()))
            .unwrap_or_else(|| panic!("no row for {service}:\n{out}"));
        assert_eq!(&row[1..4], [url.as_str(), "-", &format!("eshop-{service}-dev")], "{out}");
        assert!(row[4].starts_with("arn:aws:lambda:eu-west-1:"), "{out}");
    }
    // The same as JSON (what editors read): every stage asked for, its services' URLs.
    let o = cws(project, &rc, &["deployed", "-s", "dev", "--json"]);
    let listed: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert_eq!(
        (&listed["stages"][0]["stage"], &listed["stages"][0]["deployed"]),
        (&serde_json::json!("dev"), &serde_json::json!(true))
    );
    let urls: BTreeMap<&str, &str> = listed["stages"][0]["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["url"].as_str().unwrap()))
        .collect();
    for (service, id) in &dev_ids {
        let url = format!("https://{id}.execute-api.eu-west-1.amazonaws.com/dev");
        assert_eq!(urls.get(service.as_str()), Some(&url.as_str()), "{listed}");
    }

    // A second stage, in its own workspace, from the same packages. prod is a production stage:
    // without a terminal to confirm on, nothing happens without --yes.
    let o = cws(project, &rc, &["deploy", "-s", "prod", "--no-build", &endpoint]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("production stage") && text(&o).contains("--yes"), "{}", text(&o));
    assert!(!names(&aws_state(&moto, "eu-west-1")["functions"]).iter().any(|f| f.ends_with("-prod")));
    let o = cws(project, &rc, &["deploy", "-s", "prod", "--no-build", "--yes", &endpoint]);
    assert!(o.status.success(), "cws deploy -s prod:\n{}", text(&o));
    let prod_routes = core_routes(project, "prod");
    assert!(dev_routes["billing"].contains_key("GET /debug/state"));
    assert!(!prod_routes["billing"].contains_key("GET /debug/state"), "{prod_routes:?}");
    let state = aws_state(&moto, "eu-west-1");
    check_stage(&state, &dev_routes, "dev", "'*'");
    check_stage(&state, &prod_routes, "prod", "'https://shop.eshop.invalid'");
    assert_eq!(state["functions"]["eshop-catalog-prod"]["tracing"], "Active");
    assert_eq!(state["functions"]["eshop-catalog-dev"]["tracing"], "PassThrough");
    assert!(
        state["functions"]["eshop-billing-prod"]["env"].get("TOKEN").is_none(),
        "prod's token is a secret"
    );
    let o = cws(project, &rc, &["deployed"]);
    let out = text(&o);
    assert!(out.contains("dev:") && out.contains("prod:") && out.contains("test: not deployed"), "{out}");
    assert!(out.contains(&format!("deployed to region eu-west-1, endpoint {}", moto.url)), "{out}");
    // Nothing left to change: the plan of a deployed stage is empty, for all or one service.
    // (moto 5 drops a REST API's binaryMediaTypes, so billing's `application/pdf` is planned again:
    // that one attribute is the only change allowed.)
    let o = cws(project, &rc, &["deploy", "-s", "prod", "--plan", "--no-build", &endpoint]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    let changes: Vec<&str> = out.lines().filter(|l| l.trim_start().starts_with("# aws_")).collect();
    assert_eq!(changes, ["  # aws_api_gateway_rest_api.billing will be updated in-place"], "{out}");
    assert!(
        out.contains("Plan: 0 to add, 1 to change, 0 to destroy.") && out.contains("+ \"application/pdf\""),
        "{out}"
    );
    let o = cws(project, &rc, &["deploy", "catalog", "-s", "prod", "--plan", "--no-build", &endpoint]);
    assert!(o.status.success() && text(&o).contains("No changes."), "{}", text(&o));

    let o = cws(project, &rc, &["destroy", "-s", "dev"]);
    assert!(o.status.success(), "cws destroy -s dev:\n{}", text(&o));
    let state = aws_state(&moto, "eu-west-1");
    let prod_functions: Vec<String> = ESHOP_SERVICES.iter().map(|s| format!("eshop-{s}-prod")).collect();
    assert_eq!(names(&state["functions"]), prod_functions);
    assert_eq!(names(&state["apis"]), prod_functions);
    check_stage(&state, &prod_routes, "prod", "'https://shop.eshop.invalid'");
    assert!(names(&state["parameters"]).is_empty(), "{state}");
    let o = cws(project, &rc, &["deployed"]);
    let out = text(&o);
    assert!(out.contains("dev: not deployed") && out.contains("amazonaws.com/prod"), "{out}");

    let o = cws(project, &rc, &["destroy", "-s", "dev"]);
    assert!(!o.status.success() && text(&o).contains("not deployed"), "{}", text(&o));

    // The files now describe dev: terraform run by hand in prod's workspace refuses to plan them.
    let mut plan = Command::new(terraform());
    plan.args(["plan", "-input=false", "-no-color"])
        .current_dir(project.join("terraform"))
        .env("TF_WORKSPACE", "prod")
        .env("TF_VAR_secrets", r#"{"PAYMENT_KEY": "x"}"#);
    let o = with_test_aws(&mut plan, &rc).output().unwrap();
    assert!(!o.status.success() && text(&o).contains("generated for stage `dev`"), "{}", text(&o));

    // prod was deployed with --endpoint: destroy reaches it without the flag, and refuses another one.
    let o = cws(project, &rc, &["destroy", "-s", "prod", "--yes", "--endpoint", "http://127.0.0.1:9"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("deployed to region eu-west-1, endpoint {}", moto.url)),
        "{}",
        text(&o)
    );
    let o = cws(project, &rc, &["destroy", "-s", "prod"]);
    assert_eq!(o.status.code(), Some(2), "no terminal, no --yes: {}", text(&o));
    // On a terminal, the plan's summary and a question; any answer but the stage's name changes nothing.
    let (code, out) = on_terminal(project, &rc, &["destroy", "-s", "prod"], "no");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("Destroy production stage `prod`? Plan: 0 to add, 0 to change,")
            && out.contains("to destroy."),
        "{out}"
    );
    assert!(out.contains("not confirmed: nothing changed"), "{out}");
    assert!(names(&aws_state(&moto, "eu-west-1")["functions"]).iter().any(|f| f.ends_with("-prod")));
    let o = cws(project, &rc, &["destroy", "-s", "prod", "--yes"]);
    assert!(o.status.success(), "cws destroy -s prod:\n{}", text(&o));
    assert!(text(&o).contains(&format!("endpoint {}", moto.url)), "{}", text(&o));
    let state = aws_state(&moto, "eu-west-1");
    assert!(names(&state["functions"]).is_empty() && names(&state["apis"]).is_empty(), "{state}");
}

/// `cws ARGS -p PROJECT` on a pseudo-terminal (Python's `pty`), answering `answer` to its question;
/// its exit code and everything it wrote.
fn on_terminal(project: &Path, rc: &Path, args: &[&str], answer: &str) -> (i32, String) {
    let script = r#"
import os, pty, select, sys
answer = sys.argv[1].encode() + b"\n"
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
out, sent = b"", False
while True:
    ready, _, _ = select.select([fd], [], [], 300)
    if not ready:
        break
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
    if not sent and b"Type the stage's name" in out:
        os.write(fd, answer)
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    let mut cmd = Command::new("python3");
    cmd.args(["-c", script, answer, env!("CARGO_BIN_EXE_cws")]).args(args).arg("-p").arg(project);
    let o = with_test_aws(&mut cmd, rc).output().unwrap();
    (o.status.code().unwrap_or(-1), text(&o))
}

#[test]
fn deploy_without_terraform_fails_clearly() {
    let copy = TempProject::copy_of(&support::example());
    let project = copy.path();
    let no_terraform = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_cws"))
        .args(["deploy", "-s", "dev", "-p"])
        .arg(project)
        .env("PATH", no_terraform.path())
        .output()
        .unwrap();
    // A missing tool is a failed step (1), not a usage error (2).
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("terraform is not installed"), "{}", text(&o));
    // `--no-build` needs the packages.
    let o = Command::new(env!("CARGO_BIN_EXE_cws"))
        .args(["deploy", "-s", "dev", "--no-build", "-p"])
        .arg(project)
        .output()
        .unwrap();
    assert!(!o.status.success() && text(&o).contains("run `cws build billing` first"), "{}", text(&o));
    // A stage with errors is not deployed.
    let config = std::fs::read_to_string(project.join("project.cws.yml")).unwrap();
    copy.write("project.cws.yml", config.replace("memory: 1024", "memory: 99999"));
    let o = Command::new(env!("CARGO_BIN_EXE_cws"))
        .args(["deploy", "-s", "prod", "-p"])
        .arg(project)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("CWS014") && text(&o).contains("fix them before deploying"), "{}", text(&o));
    let o = Command::new(env!("CARGO_BIN_EXE_cws"))
        .args(["deploy", "-s", "nope", "-p"])
        .arg(project)
        .output()
        .unwrap();
    assert!(!o.status.success() && text(&o).contains("unknown stage `nope`"), "{}", text(&o));
}

/// Serves the Lambda Runtime API for `events`, one per `next` call; returns what the function posted.
fn runtime_api(listener: TcpListener, events: Vec<String>) -> Vec<String> {
    let mut answers = Vec::new();
    let mut pending = events.into_iter().enumerate();
    for stream in listener.incoming() {
        let mut stream = stream.unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut request_line = String::new();
        reader.read_line(&mut request_line).unwrap();
        let (mut length, mut chunked) = (0, false);
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap();
                } else if k.eq_ignore_ascii_case("transfer-encoding")
                    && v.trim().eq_ignore_ascii_case("chunked")
                {
                    chunked = true;
                }
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                let mut size = String::new();
                reader.read_line(&mut size).unwrap();
                let size = usize::from_str_radix(size.trim(), 16).unwrap();
                let mut chunk = vec![0; size + 2];
                reader.read_exact(&mut chunk).unwrap();
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else {
            body.resize(length, 0);
            reader.read_exact(&mut body).unwrap();
        }
        if request_line.starts_with("GET /2018-06-01/runtime/invocation/next") {
            let Some((i, event)) = pending.next() else { return answers };
            let head = format!(
                "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: req-{i}\r\nLambda-Runtime-Deadline-Ms: 9999999999999\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:eu-west-1:123456789012:function:eshop-billing-dev\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                event.len()
            );
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(event.as_bytes()).unwrap();
        } else {
            assert!(request_line.contains("/response"), "{request_line}: {}", String::from_utf8_lossy(&body));
            answers.push(String::from_utf8(body).unwrap());
            stream
                .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .unwrap();
        }
    }
    answers
}

/// An API Gateway REST (payload 1.0) event of the dev stage.
fn rest_event(method: &str, resource: &str, path: &str, token: Option<&str>) -> String {
    let headers = match token {
        Some(t) => serde_json::json!({"Authorization": t, "Host": "abc.execute-api.eu-west-1.amazonaws.com"}),
        None => serde_json::json!({"Host": "abc.execute-api.eu-west-1.amazonaws.com"}),
    };
    serde_json::json!({
        "resource": resource, "path": path, "httpMethod": method, "headers": headers,
        "multiValueHeaders": {}, "queryStringParameters": null, "multiValueQueryStringParameters": null,
        "pathParameters": null, "stageVariables": null, "body": null, "isBase64Encoded": false,
        "requestContext": {"accountId": "123456789012", "resourceId": "r1", "stage": "dev", "requestId": "rq",
            "identity": {"sourceIp": "192.0.2.1"}, "resourcePath": resource, "httpMethod": method,
            "apiId": "abc", "path": format!("/dev{path}")}
    })
    .to_string()
}

#[test]
fn the_eshop_bootstrap_answers_api_gateway_events() {
    let built = eshop_packages();
    let tmp = tempfile::tempdir().unwrap();
    let zip = built.join("target/lambda/billing/bootstrap.zip");
    // Python's zipfile reads it: one entry `bootstrap`, mode 0755, fixed date.
    let extracted = tmp.path().join("out");
    let script = "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\ni = z.infolist()\nassert [x.filename for x in i] == ['bootstrap'], i\nprint(oct(i[0].external_attr >> 16), i[0].date_time)\nz.extractall(sys.argv[2])";
    let o = Command::new("python3").args(["-c", script]).arg(&zip).arg(&extracted).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "0o100755 (1980, 1, 1, 0, 0, 0)");
    let bootstrap = extracted.join("bootstrap");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&bootstrap, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let arn = "arn:aws:execute-api:eu-west-1:123456789012:abc/dev/GET/invoices";
    let events = vec![
        rest_event("GET", "/health", "/health", None),
        rest_event("GET", "/invoices", "/invoices", Some("dev-token")),
        rest_event("GET", "/invoices", "/invoices", Some("wrong")),
        serde_json::json!({"type": "TOKEN", "authorizationToken": "dev-token", "methodArn": arn}).to_string(),
        serde_json::json!({"type": "TOKEN", "authorizationToken": "wrong", "methodArn": arn}).to_string(),
    ];
    let server = std::thread::spawn(move || runtime_api(listener, events));
    // The variables Lambda sets for a function (lambda_runtime reads them), and the deployment's.
    let mut child = Command::new(&bootstrap)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "eshop-billing-dev")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/eshop-billing-dev")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "stream")
        .env("AWS_REGION", "eu-west-1")
        .env("TOKEN", "dev-token")
        .env("CWS_STAGE", "dev")
        .env("CWS_SERVICE", "billing")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // The emulator stops after the last answer; the function then fails to reach it and exits.
    let answers = server.join().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(answers.len(), 5, "{answers:?}");
    let answer = |i: usize| -> Value { serde_json::from_str(&answers[i]).unwrap() };
    let health = answer(0);
    assert_eq!(health["statusCode"], 200, "{health}");
    assert_eq!(health["body"], "ok", "{health}");
    let invoices = answer(1);
    assert_eq!(invoices["statusCode"], 200, "{invoices}");
    assert_eq!(
        serde_json::from_str::<Value>(invoices["body"].as_str().unwrap()).unwrap(),
        serde_json::json!([])
    );
    assert_eq!(answer(2)["statusCode"], 403, "{}", answers[2]);
    let allow = answer(3);
    assert_eq!(allow["policyDocument"]["Statement"][0]["Effect"], "Allow", "{allow}");
    let deny = answer(4);
    assert_eq!(deny["policyDocument"]["Statement"][0]["Effect"], "Deny", "{deny}");
}

/// `cws build hello` of the deployment fixture with cargo-lambda (zig) for an older glibc, per
/// architecture: the executable in the package is for that architecture (its ELF `e_machine`) and
/// needs at most GLIBC 2.26. arm64 needs Rust's aarch64 target (`scripts/arm64-toolchain`).
#[test]
fn cargo_lambda_builds_for_an_older_glibc() {
    let o = Command::new("cargo").args(["lambda", "--version"]).output();
    assert!(
        o.is_ok_and(|o| o.status.success()),
        "cargo-lambda is not installed: `pip install cargo-lambda` (scripts/ci-deps)"
    );
    for (architecture, target) in
        [("x86_64", "x86_64-unknown-linux-gnu.2.26"), ("arm64", "aarch64-unknown-linux-gnu.2.26")]
    {
        let project = TempProject::copy_of(&support::deploy_project());
        let o = Command::new(env!("CARGO_BIN_EXE_cws"))
            .args(["build", "hello", "--architecture", architecture, "--target", target, "-p"])
            .arg(project.path())
            .output()
            .unwrap();
        let out = text(&o);
        assert!(
            o.status.success(),
            "{architecture} (scripts/arm64-toolchain installs the aarch64 target):\n{out}"
        );
        let line = out.lines().find(|l| l.starts_with("hello: ")).unwrap_or_else(|| panic!("{out}"));
        println!("{architecture}: {line}");
        let minor: u32 = line
            .split("needs GLIBC_2.")
            .nth(1)
            .and_then(|v| v.trim_end_matches(')').parse().ok())
            .unwrap_or_else(|| panic!("{line}"));
        assert!(minor <= 26, "{line}");
        // The packaged executable's ELF header, read by Python's zipfile.
        let script = "import sys, zipfile\nsys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read('bootstrap')[:64])";
        let zip = project.path().join("target/lambda/hello/bootstrap.zip");
        let o = Command::new("python3").args(["-c", script]).arg(&zip).output().unwrap();
        assert!(o.status.success(), "{}", text(&o));
        assert_eq!(artifacts::elf::architecture(&o.stdout).unwrap(), Some(architecture), "{line}");
    }
}

/// The project's own Terraform beside the generated files (`terraform/orders.tf`): a queue, a
/// policy on a generated role and outputs, all by the documented names (`local.cws_*`).
const OWN_TERRAFORM: &str = r#"# The project's own Terraform: kept by cws deploy and applied with the generated files.
resource "aws_sqs_queue" "orders" {
  name = "${local.cws_project}-orders-${local.cws_stage}"
}

resource "aws_sqs_queue" "failed" {
  name = "${local.cws_project}-failed-${local.cws_stage}"
}

resource "aws_iam_role_policy" "greeter_reads_orders" {
  name = "greeter-reads-orders"
  role = local.cws_services["greeter"].role_name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["sqs:ReceiveMessage"], Resource = aws_sqs_queue.orders.arn }]
  })
}

output "orders_queue" {
  value = aws_sqs_queue.orders.url
}

output "orders_producer" {
  value = local.cws_services["hello"].function_arn
}
"#;

/// A copy of the deployment fixture with stand-in packages: moto keeps a function's code without
/// running it.
fn fixture_copy() -> TempProject {
    let copy = TempProject::copy_of(&support::deploy_project());
    for service in ["hello", "greeter"] {
        let zip = artifacts::package::zip_bootstrap(b"#!/bin/sh\nexit 1\n");
        copy.write(&format!("target/lambda/{service}/bootstrap.zip"), zip);
    }
    copy
}

/// What a boto3 `script` prints (JSON), given moto's URL.
fn boto3(script: &str, url: &str) -> Value {
    let o = Command::new("python3").args(["-c", script, url]).output().unwrap();
    assert!(o.status.success(), "boto3: {}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// What boto3 sees of the fixture's dev stage in moto: the queues, and each role's inline policies.
fn own_terraform_state(moto: &Moto) -> Value {
    let script = r#"
import json, sys, boto3
kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
sqs, iam = boto3.client("sqs", **kw), boto3.client("iam", **kw)
out = {"queues": sorted(u.rsplit("/", 1)[-1] for u in sqs.list_queues().get("QueueUrls", [])), "roles": {}}
lam = boto3.client("lambda", **kw)
out["functions"] = {f["FunctionName"]: {"reserved": lam.get_function_concurrency(FunctionName=f["FunctionName"]).get("ReservedConcurrentExecutions"),
    "on_failure": lam.get_function_event_invoke_config(FunctionName=f["FunctionName"]).get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")}
    for f in lam.list_functions()["Functions"]}
out["state_objects"] = [o["Key"] for o in boto3.client("s3", **kw).list_objects_v2(Bucket="team-state").get("Contents", [])]
for r in iam.list_roles()["Roles"]:
    name = r["RoleName"]
    out["roles"][name] = {p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"] for p in iam.list_role_policies(RoleName=name)["PolicyNames"]}
apigw = boto3.client("apigateway", **kw)
out["stages"] = {a["name"]: {s["stageName"]: {"access_log": s.get("accessLogSettings"), "methods": s.get("methodSettings")}
    for s in apigw.get_stages(restApiId=a["id"])["item"]} for a in apigw.get_rest_apis()["items"]}
out["account_role"] = apigw.get_account().get("cloudwatchRoleArn")
out["api_keys"] = {k["name"]: k["id"] for k in apigw.get_api_keys()["items"]}
out["api_key_values"] = sorted(apigw.get_api_key(apiKey=k["id"], includeValue=True)["value"] for k in apigw.get_api_keys()["items"])
names = {a["id"]: a["name"] for a in apigw.get_rest_apis()["items"]}
out["usage_plans"] = {p["name"]: {"stages": [names.get(s["apiId"], s["apiId"]) + "/" + s["stage"] for s in p.get("apiStages", [])],
    "quota": p.get("quota"), "throttle": p.get("throttle"), "keys": [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=p["id"])["items"]]}
    for p in apigw.get_usage_plans()["items"]}
out["key_required"] = {a["name"]: {r["path"] + " " + m: apigw.get_method(restApiId=a["id"], resourceId=r["id"], httpMethod=m).get("apiKeyRequired", False)
    for r in apigw.get_resources(restApiId=a["id"])["items"] for m in r.get("resourceMethods", {})} for a in apigw.get_rest_apis()["items"]}
out["domains"] = {d["domainName"]: {"regional_certificate": d.get("regionalCertificateArn"), "certificate": d.get("certificateArn"),
    "types": d.get("endpointConfiguration", {}).get("types"), "security_policy": d.get("securityPolicy"),
    "mappings": {m.get("basePath"): m.get("stage") for m in apigw.get_base_path_mappings(domainName=d["domainName"]).get("items", [])}}
    for d in apigw.get_domain_names().get("items", [])}
out["api_names"] = {a["id"]: a["name"] for a in apigw.get_rest_apis()["items"]}
out["mapped_apis"] = {d["domainName"]: {m.get("basePath"): m.get("restApiId") for m in apigw.get_base_path_mappings(domainName=d["domainName"]).get("items", [])}
    for d in apigw.get_domain_names().get("items", [])}
logs = boto3.client("logs", **kw)
out["log_groups"] = {g["logGroupName"]: g.get("retentionInDays") for g in logs.describe_log_groups()["logGroups"]}
print(json.dumps(out))
"#;
    boto3(script, &moto.url)
}

#[test]
fn own_terraform_files_are_kept_and_applied_with_the_generated_ones() {
    // dev on moto, its state in moto's S3 (team state: the S3 backend, locked with S3's lock file).
    let OnMoto { moto, rc, copy, _rc_dir } = OnMoto::start(fixture_copy(), |config, endpoints| {
        let dev = "  dev:\n    env_files: [.env.dev]\n    commands:\n      deploy:\n";
        let on_moto = format!(
            "        {endpoints}\n        \
             backend: {{s3: {{bucket: team-state, key: fixture.tfstate, workspace_key_prefix: stages, use_lockfile: true}}}}\n        \
             reserved_concurrency: 3\n        on_failure: 'arn:aws:sqs:us-east-1:123456789012:fixture-failed-dev'\n        \
             api_gateway_account: true\n        \
             usage_plan: {{quota: 1000, period: day, rate: 5, burst: 10}}\n"
        );
        insert_after(config, dev, &on_moto)
    });
    let project = copy.path();
    let o = Command::new("python3")
        .args(["-c", "import boto3, sys; boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test').create_bucket(Bucket='team-state')", &moto.url])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));

    // A file of the project under a generated name: refused (CWS054), nothing changed.
    let mine = "{\"resource\": {}}\n";
    copy.write("terraform/hello.tf.json", mine);
    let o = cws(project, &rc, &["deploy", "-s", "dev", "--no-build"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("CWS054") && text(&o).contains("terraform/hello.tf.json"), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(project.join("terraform/hello.tf.json")).unwrap(), mine);
    std::fs::remove_file(project.join("terraform/hello.tf.json")).unwrap();

    // The project's own file, and a generated file of a service no longer deployed.
    copy.write("terraform/orders.tf", OWN_TERRAFORM);
    let stale = format!(
        "{{\"{}\": \"{}\", \"resource\": {{}}}}\n",
        coworks_core::layout::TERRAFORM_MARKER_KEY,
        coworks_core::layout::TERRAFORM_MARKER
    );
    copy.write("terraform/gone.tf.json", &stale);
    let o = cws(project, &rc, &["deploy", "-s", "dev", "--no-build"]);
    assert!(o.status.success(), "cws deploy -s dev:\n{}", text(&o));
    assert_eq!(std::fs::read_to_string(project.join("terraform/orders.tf")).unwrap(), OWN_TERRAFORM);
    assert!(!project.join("terraform/gone.tf.json").exists(), "a stale generated file is removed");

    let state = own_terraform_state(&moto);
    assert_eq!(state["queues"], serde_json::json!(["fixture-failed-dev", "fixture-orders-dev"]), "{state}");
    // Reserved concurrency, and failed asynchronous calls sent to the project's own queue.
    for f in ["fixture-hello-dev", "fixture-greeter-dev"] {
        assert_eq!(state["functions"][f]["reserved"], 3, "{state}");
        assert_eq!(
            state["functions"][f]["on_failure"], "arn:aws:sqs:us-east-1:123456789012:fixture-failed-dev",
            "{state}"
        );
    }
    assert_eq!(state["state_objects"], serde_json::json!(["stages/dev/fixture.tfstate"]), "{state}");
    // Access logs (JSON, to a log group of their own) and throttling, as API Gateway keeps them.
    for service in ["hello", "greeter"] {
        let api = format!("fixture-{service}-dev");
        let stage = &state["stages"][&api]["dev"];
        let group = format!("/aws/apigateway/{api}");
        assert!(
            stage["access_log"]["destinationArn"]
                .as_str()
                .unwrap_or("")
                .ends_with(&format!(":log-group:{group}")),
            "{state}"
        );
        let format: Value =
            serde_json::from_str(stage["access_log"]["format"].as_str().unwrap_or("")).unwrap_or_default();
        for (field, variable) in coworks_core::artifacts::api::ACCESS_LOG_FIELDS {
            assert_eq!(format[field], *variable, "{state}");
        }
        assert_eq!(state["log_groups"][&group], 7, "the stage's log_retention: {state}");
        let all = &stage["methods"]["*/*"];
        assert_eq!(
            (&all["throttlingRateLimit"], &all["throttlingBurstLimit"]),
            (&serde_json::json!(50.0), &serde_json::json!(100)),
            "{state}"
        );
    }
    let item = &state["stages"]["fixture-hello-dev"]["dev"]["methods"]["hello/GET"];
    assert_eq!(
        (&item["throttlingRateLimit"], &item["throttlingBurstLimit"]),
        (&serde_json::json!(2.5), &serde_json::json!(5)),
        "{state}"
    );
    assert!(
        state["account_role"].as_str().unwrap_or("").ends_with(":role/fixture-apigateway-cloudwatch-dev"),
        "{state}"
    );
    // The API keys: one per service, in its usage plan bound to its stage, with the quota and the
    // per-key limits; every entry method requires it, the CORS preflights do not.
    for service in ["hello", "greeter"] {
        let name = format!("fixture-{service}-dev");
        let key = state["api_keys"][&name].as_str().unwrap_or_else(|| panic!("{name}'s key: {state}"));
        let plan = &state["usage_plans"][&name];
        assert_eq!(plan["stages"], serde_json::json!([format!("{name}/dev")]), "{state}");
        assert_eq!(plan["keys"], serde_json::json!([key]), "{state}");
        assert_eq!(plan["quota"]["limit"], 1000, "{state}");
        assert_eq!(plan["quota"]["period"], "DAY", "{state}");
        assert_eq!(
            (&plan["throttle"]["rateLimit"], &plan["throttle"]["burstLimit"]),
            (&serde_json::json!(5.0), &serde_json::json!(10)),
            "{state}"
        );
        let methods = state["key_required"][&name].as_object().unwrap_or_else(|| panic!("{state}"));
        assert!(!methods.is_empty(), "{state}");
        for (method, required) in methods {
            assert_eq!(required, &Value::Bool(!method.ends_with(" OPTIONS")), "{name} {method}: {state}");
        }
    }
    // The custom domain of dev (regional, TLS 1.2) with one base path mapping a service: greeter
    // under the `greet` its service block gives, hello under its name (the domain is shared).
    let domain = &state["domains"]["api.fixture.example"];
    assert_eq!(
        (&domain["types"], &domain["security_policy"], &domain["certificate"]),
        (&serde_json::json!(["REGIONAL"]), &serde_json::json!("TLS_1_2"), &Value::Null),
        "{state}"
    );
    assert!(
        domain["regional_certificate"].as_str().unwrap_or("").starts_with("arn:aws:acm:us-east-1:"),
        "{state}"
    );
    assert_eq!(domain["mappings"], serde_json::json!({"greet": "dev", "hello": "dev"}), "{state}");
    let mapped: BTreeMap<&str, &str> = state["mapped_apis"]["api.fixture.example"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, id)| (path.as_str(), state["api_names"][id.as_str().unwrap()].as_str().unwrap()))
        .collect();
    assert_eq!(mapped, BTreeMap::from([("greet", "fixture-greeter-dev"), ("hello", "fixture-hello-dev")]));
    // `cws deployed` prints each service's custom URL beside its execute-api URL, as JSON too.
    let o = cws(project, &rc, &["deployed", "-s", "dev"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    for (service, path) in [("hello", "hello"), ("greeter", "greet")] {
        let row: Vec<&str> = out
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|cells| cells.first() == Some(&service))
            .unwrap_or_else(|| panic!("no row for {service}:\n{out}"));
        assert!(row[1].contains(".execute-api.us-east-1.amazonaws.com/dev"), "{out}");
        assert_eq!(row[2], format!("https://api.fixture.example/{path}"), "{out}");
    }
    let o = cws(project, &rc, &["deployed", "-s", "dev", "--json"]);
    let listed: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    let custom: BTreeMap<&str, &Value> = listed["stages"][0]["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), &s["custom_url"]))
        .collect();
    assert_eq!(
        custom,
        BTreeMap::from([
            ("greeter", &serde_json::json!("https://api.fixture.example/greet")),
            ("hello", &serde_json::json!("https://api.fixture.example/hello")),
        ]),
        "{listed}"
    );
    assert!(!project.join("terraform/terraform.tfstate.d").exists(), "no local state");
    // The `iam` statement of project.cws.yml in hello's policy; the project's own policy on greeter's role.
    let hello = &state["roles"]["fixture-hello-dev"]["fixture-hello-dev-policy"]["Statement"];
    let extra: Vec<&Value> = hello.as_array().unwrap().iter().filter(|s| s["Sid"] == "Config1").collect();
    assert_eq!(
        extra,
        [
            &serde_json::json!({"Sid": "Config1", "Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:GetQueueAttributes"], "Resource": ["arn:aws:sqs:*:*:fixture-orders-*"]})
        ],
        "{state}"
    );
    let greeter = &state["roles"]["fixture-greeter-dev"];
    assert!(greeter["fixture-greeter-dev-policy"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["Sid"] != "Config1"));
    let own = &greeter["greeter-reads-orders"]["Statement"][0];
    assert_eq!(own["Resource"], "arn:aws:sqs:us-east-1:123456789012:fixture-orders-dev", "{state}");

    // The project's outputs, from the generated names.
    // The state is in moto's S3.
    let mut output = Command::new(terraform());
    output
        .args(["output", "-json", "-no-color"])
        .current_dir(project.join("terraform"))
        .env("TF_WORKSPACE", "dev");
    let o = with_test_aws(&mut output, &rc).output().unwrap();
    assert!(o.status.success(), "terraform output: {}", text(&o));
    let outputs: Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    assert!(
        outputs["orders_queue"]["value"].as_str().unwrap_or("").ends_with("/fixture-orders-dev"),
        "{outputs}"
    );
    assert_eq!(
        outputs["orders_producer"]["value"], outputs["services"]["value"]["hello"]["function_arn"],
        "{outputs}"
    );
    // The API key's id is an output; its value is in no file of the project (the state is in S3).
    assert_eq!(
        outputs["services"]["value"]["greeter"]["api_key_id"],
        state["api_keys"]["fixture-greeter-dev"]
    );
    let values: Vec<&str> =
        state["api_key_values"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(values.len(), 2, "{state}");
    let mut dirs = vec![project.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap_or_default();
                let text = String::from_utf8_lossy(&bytes);
                assert!(values.iter().all(|v| !text.contains(v)), "an API key's value in {}", path.display());
            }
        }
    }

    // Deployed again: nothing to change, the file still there; destroyed: the queue goes with the stage.
    let o = cws(project, &rc, &["deploy", "-s", "dev", "--no-build", "--plan"]);
    assert!(o.status.success() && text(&o).contains("No changes."), "{}", text(&o));
    let o = cws(project, &rc, &["destroy", "-s", "dev"]);
    assert!(o.status.success(), "cws destroy -s dev:\n{}", text(&o));
    let state = own_terraform_state(&moto);
    assert_eq!((&state["queues"], &state["functions"]), (&serde_json::json!([]), &serde_json::json!({})));
    assert_eq!(std::fs::read_to_string(project.join("terraform/orders.tf")).unwrap(), OWN_TERRAFORM);
}

/// What boto3 sees of HTTP APIs in moto (`us-east-1`): per API, its routes, the authorizers they
/// name, integrations, stages and CORS configuration; per function, its ARN and environment.
fn http_api_state(moto: &Moto) -> Value {
    let script = r#"
import json, sys, boto3
kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
v2, lam = boto3.client("apigatewayv2", **kw), boto3.client("lambda", **kw)
out = {"apis": {}, "functions": {}, "rest_apis": [a["name"] for a in boto3.client("apigateway", **kw).get_rest_apis()["items"]]}
for f in lam.list_functions()["Functions"]:
    c = lam.get_function(FunctionName=f["FunctionName"])["Configuration"]
    out["functions"][f["FunctionName"]] = {"arn": c["FunctionArn"], "env": c.get("Environment", {}).get("Variables", {})}
for api in v2.get_apis()["Items"]:
    i = api["ApiId"]
    out["apis"][api["Name"]] = {
        "id": i, "protocol": api["ProtocolType"], "endpoint": api.get("ApiEndpoint"), "cors": api.get("CorsConfiguration"),
        "routes": {r["RouteKey"]: {"auth": r.get("AuthorizationType"), "authorizer": r.get("AuthorizerId"), "target": r.get("Target")}
            for r in v2.get_routes(ApiId=i)["Items"]},
        # (moto has no GetAuthorizers: the authorizers the routes name.)
        "authorizers": [{"id": a["AuthorizerId"], "type": a["AuthorizerType"], "identity": a.get("IdentitySource"),
            "payload": a.get("AuthorizerPayloadFormatVersion"), "simple": a.get("EnableSimpleResponses"),
            "ttl": a.get("AuthorizerResultTtlInSeconds"), "uri": a.get("AuthorizerUri")}
            for a in (v2.get_authorizer(ApiId=i, AuthorizerId=x) for x in sorted({r["AuthorizerId"] for r in v2.get_routes(ApiId=i)["Items"] if r.get("AuthorizerId")}))],
        "integrations": {g["IntegrationId"]: {"type": g["IntegrationType"], "payload": g.get("PayloadFormatVersion"), "uri": g.get("IntegrationUri")}
            for g in v2.get_integrations(ApiId=i)["Items"]},
        "stages": {s["StageName"]: {"auto_deploy": s.get("AutoDeploy"), "access_log": s.get("AccessLogSettings"),
            "default_route": s.get("DefaultRouteSettings"), "routes": s.get("RouteSettings")} for s in v2.get_stages(ApiId=i)["Items"]},
    }
print(json.dumps(out))
"#;
    boto3(script, &moto.url)
}

#[test]
fn an_http_api_stage_deploys_to_moto() {
    // The fixture's `http` stage on moto. Its custom domain stays out: moto keeps the domain names
    // of REST APIs and HTTP APIs apart (AWS shares them), so an API mapping on the stage's domain is
    // checked by `terraform validate` and the snapshot only.
    let OnMoto { moto, rc, copy, _rc_dir } = OnMoto::start(fixture_copy(), |config, endpoints| {
        let domain = "        domain:\n          name: api-http.fixture.example\n";
        let start = config.find(domain).unwrap_or_else(|| panic!("{config}"));
        let end = start + domain.len() + config[start + domain.len()..].find('\n').unwrap() + 1;
        format!("{}        {endpoints}\n{}", &config[..start], &config[end..])
    });
    let project = copy.path();
    let o = cws(project, &rc, &["deploy", "-s", "http", "--no-build"]);
    assert!(o.status.success(), "cws deploy -s http:\n{}", text(&o));

    let routes = core_routes(project, "http");
    let state = http_api_state(&moto);
    assert_eq!(state["rest_apis"], serde_json::json!([]), "no REST API: {state}");
    let mut ids = BTreeMap::new();
    for (service, entries) in &routes {
        let name = format!("fixture-{service}-http");
        let api = &state["apis"][&name];
        let function = &state["functions"][&name];
        let function_arn = function["arn"].as_str().unwrap();
        assert_eq!(api["protocol"], "HTTP", "{name}: {state}");
        // One AWS_PROXY integration of payload 2.0 to the function, which every route targets.
        let integrations = api["integrations"].as_object().unwrap();
        assert_eq!(integrations.len(), 1, "{name}: {api}");
        let (integration_id, integration) = integrations.iter().next().unwrap();
        assert_eq!(
            (&integration["type"], &integration["payload"]),
            (&"AWS_PROXY".into(), &"2.0".into()),
            "{api}"
        );
        assert!(integration["uri"].as_str().unwrap().contains(function_arn), "{api}");
        // The REQUEST authorizer: simple responses, payload 2.0, cached on the Authorization header.
        let authorizers = api["authorizers"].as_array().unwrap();
        assert_eq!(authorizers.len(), 1, "{name}: {api}");
        let a = &authorizers[0];
        assert_eq!(
            (&a["type"], &a["identity"], &a["payload"], &a["simple"], &a["ttl"]),
            (
                &"REQUEST".into(),
                &serde_json::json!(["$request.header.Authorization"]),
                &"2.0".into(),
                &true.into(),
                &300.into()
            ),
            "{name}: {a}"
        );
        assert!(a["uri"].as_str().unwrap().contains(function_arn), "{a}");
        assert_eq!(function["env"]["CWS_AUTHORIZER_RESPONSE"], "simple", "{function}");
        // The routes are `cws routes -s http`'s, the authorizer on the token entries only.
        let deployed: Vec<&String> = api["routes"].as_object().unwrap().keys().collect();
        assert_eq!(
            deployed,
            entries.keys().collect::<Vec<_>>(),
            "{name}: the routes of `cws routes -s http`"
        );
        for (route, token) in entries {
            let r = &api["routes"][route];
            assert_eq!(r["target"], format!("integrations/{integration_id}"), "{name} {route}: {r}");
            if *token {
                assert_eq!(
                    (&r["auth"], &r["authorizer"]),
                    (&"CUSTOM".into(), &a["id"]),
                    "{name} {route}: {r}"
                );
            } else {
                assert_eq!(
                    (&r["auth"], &r["authorizer"]),
                    (&"NONE".into(), &Value::Null),
                    "{name} {route}: {r}"
                );
            }
        }
        // The HTTP API's own CORS configuration (`cors: true`: any origin).
        let cors = &api["cors"];
        assert_eq!(
            (&cors["AllowOrigins"], &cors["MaxAge"]),
            (&serde_json::json!(["*"]), &600.into()),
            "{cors}"
        );
        assert!(cors["AllowHeaders"].as_array().unwrap().contains(&"Authorization".into()), "{cors}");
        // The stage: auto-deployed, JSON access log to its own group, the stage's limits.
        let stage = &api["stages"]["http"];
        assert_eq!(stage["auto_deploy"], true, "{stage}");
        let destination = stage["access_log"]["DestinationArn"].as_str().unwrap_or("");
        assert!(destination.ends_with(&format!(":log-group:/aws/apigateway/{name}")), "{stage}");
        let format: Value =
            serde_json::from_str(stage["access_log"]["Format"].as_str().unwrap_or("")).unwrap_or_default();
        for (field, variable) in artifacts::api::access_log_fields(ApiKind::Http) {
            assert_eq!(format[field], variable, "{stage}");
        }
        assert_eq!(
            (&stage["default_route"]["ThrottlingRateLimit"], &stage["default_route"]["ThrottlingBurstLimit"]),
            (&serde_json::json!(50.0), &serde_json::json!(100)),
            "{stage}"
        );
        ids.insert(service.clone(), api["id"].as_str().unwrap().to_string());
    }
    // hello's own limit on one route.
    let limited = &state["apis"]["fixture-hello-http"]["stages"]["http"]["routes"]["GET /hello"];
    assert_eq!(
        (&limited["ThrottlingRateLimit"], &limited["ThrottlingBurstLimit"]),
        (&serde_json::json!(2.5), &serde_json::json!(5)),
        "{state}"
    );
    // Reproducible: the auto-deployed stage leaves nothing to change.
    let o = cws(project, &rc, &["deploy", "-s", "http", "--no-build", "--plan"]);
    assert!(o.status.success() && text(&o).contains("No changes."), "{}", text(&o));
    // `cws deployed` prints each service's stage URL, as for a REST API.
    let o = cws(project, &rc, &["deployed", "-s", "http", "--json"]);
    let listed: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    let urls: BTreeMap<&str, &str> = listed["stages"][0]["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["url"].as_str().unwrap()))
        .collect();
    let expected: BTreeMap<&str, String> = ids
        .iter()
        .map(|(s, id)| (s.as_str(), format!("https://{id}.execute-api.us-east-1.amazonaws.com/http")))
        .collect();
    assert_eq!(urls, expected.iter().map(|(k, v)| (*k, v.as_str())).collect(), "{listed}");

    let o = cws(project, &rc, &["destroy", "-s", "http"]);
    assert!(o.status.success(), "cws destroy -s http:\n{}", text(&o));
    let state = http_api_state(&moto);
    assert_eq!(
        (&state["apis"], &state["functions"]),
        (&serde_json::json!({}), &serde_json::json!({})),
        "{state}"
    );
}
