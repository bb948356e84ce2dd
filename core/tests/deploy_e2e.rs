//! Deployment for real: `terraform validate` on the generated configurations, `cws deploy` /
//! `deployed` / `destroy` against a moto server on 127.0.0.1 (checked with boto3), and the package's
//! `bootstrap` answering events under a local Lambda Runtime API emulator.
//!
//! Needs terraform (with the AWS provider in a filesystem mirror) and python3 with moto[server] and
//! boto3 (`scripts/ci-deps`); a missing tool fails the tests with the install step.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use coworks_core::artifacts;
use coworks_core::Project;
use serde_json::Value;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn terraform() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|d| d.join("terraform")).find(|p| p.is_file()).unwrap_or_else(|| {
        panic!("terraform is not on PATH: install Terraform >= 1.5 and the AWS provider mirror (see scripts/ci-deps)")
    })
}

/// The folder holding `registry.terraform.io/hashicorp/aws` (a filesystem mirror), found at run time.
fn mirror_root() -> PathBuf {
    let mut roots: Vec<PathBuf> = Vec::new();
    if let Some(r) = std::env::var_os("CWS_TF_PLUGIN_MIRROR") {
        roots.push(r.into());
    }
    roots.extend(["/opt", "/usr/local/share", "/usr/share", "/var/lib"].map(PathBuf::from));
    if let Some(home) = std::env::var_os("HOME") {
        roots.push(Path::new(&home).join(".terraform.d"));
        roots.push(Path::new(&home).join(".local/share/terraform"));
    }
    let mut stack: Vec<(PathBuf, usize)> = roots.into_iter().map(|r| (r, 0)).collect();
    while let Some((dir, depth)) = stack.pop() {
        if dir.join("registry.terraform.io/hashicorp/aws").is_dir() {
            return dir;
        }
        if depth >= 4 {
            continue;
        }
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push((entry.path(), depth + 1));
            }
        }
    }
    panic!(
        "no Terraform provider mirror with registry.terraform.io/hashicorp/aws found (under /opt, /usr/local/share, \
         /usr/share, ~/.terraform.d or $CWS_TF_PLUGIN_MIRROR): install the AWS provider there (see scripts/ci-deps)"
    )
}

/// A Terraform CLI configuration that installs providers from the mirror only.
fn cli_config(dir: &Path) -> PathBuf {
    let file = dir.join("terraform.rc");
    let text = format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
        mirror_root().display()
    );
    std::fs::write(&file, text).unwrap();
    file
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" && entry.file_name() != "terraform" {
                copy_dir(&src, &dst);
            }
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn terraform_validates_the_generated_configurations() {
    let tmp = tempfile::tempdir().unwrap();
    let rc = cli_config(tmp.path());
    let projects = [
        ("../examples/eshop", vec!["dev", "test", "prod"]),
        ("tests/fixtures/deploy_project", vec!["dev", "prod"]),
    ];
    for (rel, stages) in projects {
        let project = Project::load(manifest_dir().join(rel)).unwrap();
        for stage in stages {
            let (d, _) = artifacts::stage_deployment(&project, stage, &Default::default());
            let dir = tmp.path().join(format!("{}-{stage}", artifacts::project_name(&project)));
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
                assert!(o.status.success(), "terraform {args:?} on {rel} {stage}:\n{}", text(&o));
                if args[0] == "validate" {
                    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
                    assert_eq!(v["valid"], true, "{rel} {stage}: {v:#}");
                    assert_eq!(v["warning_count"], 0, "{rel} {stage}: {v:#}");
                }
            }
        }
    }
}

/// A moto server on a free port of 127.0.0.1, killed when dropped.
struct Moto {
    child: Child,
    url: String,
}

impl Moto {
    fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("python3")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs (install python3 and moto[server]: scripts/ci-deps)");
        let mut moto = Moto { child, url: format!("http://127.0.0.1:{port}") };
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto server exited ({status}): install it with `pip install 'moto[server]'` (scripts/ci-deps)");
            }
            assert!(start.elapsed() < Duration::from_secs(60), "moto server did not start within 60 s");
            std::thread::sleep(Duration::from_millis(200));
        }
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What boto3 sees in moto: functions, APIs (resources, methods, authorizers, stages), a secret.
fn aws_state(moto: &Moto) -> Value {
    let script = r#"
import json, sys, boto3
kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
lam, apigw, ssm = boto3.client("lambda", **kw), boto3.client("apigateway", **kw), boto3.client("ssm", **kw)
out = {"functions": {}, "apis": {}, "parameters": {}}
for f in lam.list_functions()["Functions"]:
    c = lam.get_function(FunctionName=f["FunctionName"])["Configuration"]
    out["functions"][f["FunctionName"]] = {"runtime": c["Runtime"], "memory": c["MemorySize"], "handler": c["Handler"],
        "env": c.get("Environment", {}).get("Variables", {})}
for api in apigw.get_rest_apis()["items"]:
    res = apigw.get_resources(restApiId=api["id"], embed=["methods"])["items"]
    methods = {}
    for r in res:
        for m in r.get("resourceMethods", {}):
            d = apigw.get_method(restApiId=api["id"], resourceId=r["id"], httpMethod=m)
            methods[m + " " + r["path"]] = d.get("authorizationType")
    out["apis"][api["name"]] = {
        "methods": methods,
        "authorizers": [{"type": a["type"], "identitySource": a.get("identitySource")} for a in apigw.get_authorizers(restApiId=api["id"])["items"]],
        "stages": [s["stageName"] for s in apigw.get_stages(restApiId=api["id"])["item"]],
        "binary": api.get("binaryMediaTypes", []),
    }
for p in ssm.describe_parameters()["Parameters"]:
    v = ssm.get_parameter(Name=p["Name"], WithDecryption=True)["Parameter"]
    out["parameters"][p["Name"]] = {"type": v["Type"], "value": v["Value"]}
print(json.dumps(out))
"#;
    let o = Command::new("python3").args(["-c", script, &moto.url]).output().unwrap();
    assert!(o.status.success(), "boto3 (install with scripts/ci-deps): {}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn cws(project: &Path, rc: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cws"))
        .args(args)
        .arg("-p")
        .arg(project)
        .env("TF_CLI_CONFIG_FILE", rc)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap()
}

#[test]
fn deploy_deployed_destroy_against_moto() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let rc = cli_config(tmp.path());
    let project = tmp.path().join("fixture");
    copy_dir(&manifest_dir().join("tests/fixtures/deploy_project"), &project);
    // The stages target the emulator through the project file's `endpoints`.
    let config = std::fs::read_to_string(project.join("project.cws.yml")).unwrap();
    let config = config
        .replace("    cors: true\n", &format!("    cors: true\n    endpoints: {{all: '{}'}}\n", moto.url));
    std::fs::write(project.join("project.cws.yml"), config).unwrap();

    let o = cws(&project, &rc, &["deploy", "-s", "dev"]);
    let out = text(&o);
    assert!(o.status.success(), "cws deploy -s dev:\n{out}");
    assert!(out.contains("hello: target/lambda/hello/bootstrap.zip"), "{out}");
    assert!(out.contains("Apply complete!"), "{out}");
    for file in std::fs::read_dir(project.join("terraform")).unwrap().flatten() {
        if file.path().is_file() && file.file_name().to_string_lossy().ends_with(".tf.json") {
            let t = std::fs::read_to_string(file.path()).unwrap();
            assert!(!t.contains("fixture-s3cr3t-value"), "{:?} holds the secret", file.path());
        }
    }

    let state = aws_state(&moto);
    let hello = &state["functions"]["fixture-hello-dev"];
    assert_eq!(hello["runtime"], "provided.al2023");
    assert_eq!(hello["handler"], "bootstrap");
    assert_eq!(hello["env"]["TOKEN"], "dev-token");
    assert_eq!(hello["env"]["GREETING"], "hello");
    assert!(hello["env"].get("API_KEY").is_none(), "{hello}");
    assert_eq!(state["functions"]["fixture-greeter-dev"]["memory"], 256);
    let api = &state["apis"]["fixture-hello-dev"];
    let project_model = Project::load(&project).unwrap();
    for service in project_model.services(Some("dev")) {
        let api = &state["apis"][format!("fixture-{}-dev", service.name)];
        for e in &service.entries {
            let key = e.route.to_string();
            let expected = if e.auth == coworks_core::Auth::None { "NONE" } else { "CUSTOM" };
            assert_eq!(api["methods"][&key], expected, "{key} in {api}");
            assert_eq!(
                api["methods"][format!("OPTIONS {}", e.route.path)],
                "NONE",
                "CORS preflight of {key}"
            );
        }
        assert_eq!(api["stages"], serde_json::json!(["dev"]));
    }
    assert_eq!(
        api["authorizers"],
        serde_json::json!([{"type": "TOKEN", "identitySource": "method.request.header.Authorization"}])
    );
    assert_eq!(
        state["parameters"]["/fixture/dev/hello/API_KEY"],
        serde_json::json!({"type": "SecureString", "value": "fixture-s3cr3t-value"})
    );

    let o = cws(&project, &rc, &["deployed"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("dev:") && out.contains(".execute-api.us-east-1.amazonaws.com/dev"), "{out}");
    assert!(out.contains("function fixture-hello-dev"), "{out}");
    assert!(out.contains("prod: not deployed"), "{out}");

    // A second stage, in its own workspace, reusing the build.
    let o = cws(&project, &rc, &["deploy", "-s", "prod"]);
    assert!(o.status.success(), "cws deploy -s prod:\n{}", text(&o));
    let state = aws_state(&moto);
    assert_eq!(state["functions"]["fixture-hello-prod"]["memory"], 512);
    assert_eq!(state["functions"]["fixture-hello-prod"]["env"]["TOKEN"], "prod-token");
    let prod_api = &state["apis"]["fixture-hello-prod"]["methods"];
    assert!(prod_api.get("GET /debug").is_none() && prod_api.get("GET /hello").is_some(), "{prod_api}");
    assert!(state["functions"].get("fixture-hello-dev").is_some());
    // Nothing left to change: the plan of a deployed stage is empty.
    let o = cws(&project, &rc, &["deploy", "-s", "prod", "--plan"]);
    assert!(o.status.success() && text(&o).contains("No changes."), "{}", text(&o));

    // One service only: built alone, applied with -target.
    let o = cws(&project, &rc, &["deploy", "greeter", "-s", "prod", "--plan"]);
    let out = text(&o);
    assert!(o.status.success() && out.contains("No changes."), "{out}");
    assert!(out.contains("greeter: target/lambda/greeter") && !out.contains("hello: target"), "{out}");

    let o = cws(&project, &rc, &["destroy", "-s", "dev"]);
    assert!(o.status.success(), "cws destroy -s dev:\n{}", text(&o));
    let state = aws_state(&moto);
    let functions: Vec<&String> = state["functions"].as_object().unwrap().keys().collect();
    assert_eq!(functions, ["fixture-greeter-prod", "fixture-hello-prod"]);
    let apis: Vec<&String> = state["apis"].as_object().unwrap().keys().collect();
    assert_eq!(apis, ["fixture-greeter-prod", "fixture-hello-prod"]);
    let o = cws(&project, &rc, &["deployed"]);
    let out = text(&o);
    assert!(out.contains("dev: not deployed") && out.contains("amazonaws.com/prod"), "{out}");

    let o = cws(&project, &rc, &["destroy", "-s", "dev"]);
    assert!(!o.status.success() && text(&o).contains("not deployed"), "{}", text(&o));

    // The files now describe dev: terraform run by hand in prod's workspace refuses to plan them.
    let o = Command::new(terraform())
        .args(["plan", "-input=false", "-no-color"])
        .current_dir(project.join("terraform"))
        .env("TF_CLI_CONFIG_FILE", &rc)
        .env("TF_WORKSPACE", "prod")
        .env("TF_VAR_secrets", r#"{"API_KEY": "x"}"#)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert!(!o.status.success() && text(&o).contains("generated for stage `dev`"), "{}", text(&o));
}

#[test]
fn deploy_without_terraform_fails_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("fixture");
    copy_dir(&manifest_dir().join("tests/fixtures/deploy_project"), &project);
    let o = Command::new(env!("CARGO_BIN_EXE_cws"))
        .args(["deploy", "-s", "dev", "-p"])
        .arg(&project)
        .env("PATH", tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("terraform is not installed"), "{}", text(&o));
    // A stage with errors is not deployed.
    let config = std::fs::read_to_string(project.join("project.cws.yml")).unwrap();
    std::fs::write(project.join("project.cws.yml"), config.replace("memory: 512", "memory: 99999")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_cws"))
        .args(["deploy", "-s", "prod", "-p"])
        .arg(&project)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("CWS014") && text(&o).contains("fix them before deploying"), "{}", text(&o));
    let o = Command::new(env!("CARGO_BIN_EXE_cws"))
        .args(["deploy", "-s", "nope", "-p"])
        .arg(&project)
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
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        if request_line.starts_with("GET /2018-06-01/runtime/invocation/next") {
            let Some((i, event)) = pending.next() else { return answers };
            let head = format!(
                "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: req-{i}\r\nLambda-Runtime-Deadline-Ms: 9999999999999\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                event.len()
            );
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(event.as_bytes()).unwrap();
        } else {
            assert!(request_line.contains("/response"), "{request_line}");
            answers.push(String::from_utf8(body).unwrap());
            stream
                .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .unwrap();
        }
    }
    answers
}

#[test]
fn the_package_bootstrap_answers_api_gateway_events() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("fixture");
    copy_dir(&manifest_dir().join("tests/fixtures/deploy_project"), &project);
    let build = |service: &str| {
        Command::new(env!("CARGO_BIN_EXE_cws"))
            .args(["build", service, "-s", "dev", "-p"])
            .arg(&project)
            .output()
            .unwrap()
    };
    let o = build("hello");
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("zipped; bootstrap") && out.contains("needs GLIBC_2."), "{out}");
    println!("{}", String::from_utf8_lossy(&o.stdout));
    let zip = project.join("target/lambda/hello/bootstrap.zip");
    let first = std::fs::read(&zip).unwrap();
    // Same input, same bytes.
    std::thread::sleep(Duration::from_millis(1100));
    assert!(build("hello").status.success());
    assert_eq!(std::fs::read(&zip).unwrap(), first, "the package is not reproducible");

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
    let events = vec![
        r#"{"resource":"/item/{id}","path":"/item/42","httpMethod":"GET","headers":{"Authorization":"dev-token"},"pathParameters":{"id":"42"},"requestContext":{"stage":"dev"},"body":null,"isBase64Encoded":false}"#.to_string(),
        r#"{"type":"TOKEN","authorizationToken":"dev-token","methodArn":"arn:aws:execute-api:us-east-1:123456789012:abc/dev/GET/item/42"}"#.to_string(),
        r#"{"type":"TOKEN","authorizationToken":"wrong","methodArn":"arn:aws:execute-api:us-east-1:123456789012:abc/dev/GET/item/42"}"#.to_string(),
    ];
    let server = std::thread::spawn(move || runtime_api(listener, events));
    let mut child = Command::new(&bootstrap)
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("TOKEN", "dev-token")
        .env("CWS_SERVICE", "hello")
        .spawn()
        .unwrap();
    // The emulator stops after the last answer; the function then fails to reach it and exits.
    let answers = server.join().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(answers.len(), 3, "{answers:?}");
    let proxy: Value = serde_json::from_str(&answers[0]).unwrap();
    assert_eq!(proxy["statusCode"], 200);
    let body: Value = serde_json::from_str(proxy["body"].as_str().unwrap()).unwrap();
    assert_eq!(body, serde_json::json!({"service": "hello", "method": "GET", "path": "/item/{id}"}));
    let allow: Value = serde_json::from_str(&answers[1]).unwrap();
    assert_eq!(allow["policyDocument"]["Statement"][0]["Effect"], "Allow");
    let deny: Value = serde_json::from_str(&answers[2]).unwrap();
    assert_eq!(deny["policyDocument"]["Statement"][0]["Effect"], "Deny");
}

#[test]
fn cargo_lambda_builds_for_an_older_glibc() {
    let o = Command::new("cargo").args(["lambda", "--version"]).output();
    assert!(
        o.is_ok_and(|o| o.status.success()),
        "cargo-lambda is not installed: `pip install cargo-lambda` (scripts/ci-deps)"
    );
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("fixture");
    copy_dir(&manifest_dir().join("tests/fixtures/deploy_project"), &project);
    let o = Command::new(env!("CARGO_BIN_EXE_cws"))
        .args(["build", "hello", "--target", "x86_64-unknown-linux-gnu.2.26", "-p"])
        .arg(&project)
        .output()
        .unwrap();
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    let line = out.lines().find(|l| l.starts_with("hello: ")).unwrap_or_else(|| panic!("{out}"));
    println!("{line}");
    let minor: u32 = line
        .split("needs GLIBC_2.")
        .nth(1)
        .and_then(|v| v.trim_end_matches(')').parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(minor <= 26, "{line}");
}
