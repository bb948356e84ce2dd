//! The billing example as a Lambda function under a local Lambda Runtime API emulator:
//! `cargo lambda watch` (cargo-lambda from PyPI, installed by `scripts/ci-deps`) runs the binary
//! against its Runtime API on 127.0.0.1, and `cargo lambda invoke --data-file` sends events.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{eshop, free_port};
use serde_json::{json, Value};

struct Watch {
    child: Child,
}

impl Drop for Watch {
    fn drop(&mut self) {
        // The emulator runs the function as a child process: stop the whole process group.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        std::thread::sleep(Duration::from_millis(300));
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

fn http_v2(method: &str, path: &str, headers: Value) -> Value {
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": headers,
        "requestContext": { "accountId": "123456789012", "apiId": "api", "domainName": "api.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "api", "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "t" },
            "requestId": "id", "routeKey": "$default", "stage": "$default", "time": "12/Mar/2020:19:03:58 +0000", "timeEpoch": 1583348638390u64 },
        "isBase64Encoded": false
    })
}

fn invoke(port: u16, dir: &std::path::Path, name: &str, event: &Value) -> Value {
    let file = dir.join(format!("{name}.json"));
    std::fs::write(&file, event.to_string()).expect("event file");
    let out = Command::new("cargo")
        .args(["lambda", "invoke", "-A", "127.0.0.1", "-P", &port.to_string(), "--data-file"])
        .arg(&file)
        .arg("eshop-billing")
        .output()
        .expect("cargo lambda invoke runs");
    assert!(out.status.success(), "cargo lambda invoke: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn billing_answers_events_under_cargo_lambda() {
    let found =
        Command::new("cargo").args(["lambda", "--version"]).output().is_ok_and(|o| o.status.success());
    assert!(found, "cargo-lambda is missing: install it with scripts/ci-deps (pip install cargo-lambda)");
    let port = free_port();
    let child = Command::new("cargo")
        .args(["lambda", "watch", "-A", "127.0.0.1", "-P", &port.to_string()])
        .args(["--env-var", "TOKEN=lambda-token", "--env-var", "CWS_STAGE=dev"])
        .current_dir(eshop().join("services/billing"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("cargo lambda watch starts");
    let _watch = Watch { child };
    let mut up = false;
    for _ in 0..600 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(up, "cargo lambda watch did not listen on 127.0.0.1:{port}");
    let dir = tempfile::tempdir().expect("tempdir");

    let a = invoke(port, dir.path(), "health", &http_v2("GET", "/health", json!({})));
    assert_eq!((a["statusCode"].as_u64(), a["body"].as_str()), (Some(200), Some("ok")), "{a}");
    let auth = json!({ "authorization": "Bearer lambda-token", "content-type": "application/json" });
    let mut create = http_v2("POST", "/invoice", auth.clone());
    create["body"] = json!(r#"{"customer":"lambda","amount_cents":7}"#);
    let a = invoke(port, dir.path(), "create", &create);
    assert_eq!(a["statusCode"], 201, "{a}");
    let a = invoke(port, dir.path(), "get", &http_v2("GET", "/invoice/1", auth));
    let invoice: Value = serde_json::from_str(a["body"].as_str().unwrap_or("")).expect("JSON body");
    assert_eq!(invoice["customer"], "lambda");
    let a =
        invoke(port, dir.path(), "denied", &http_v2("GET", "/invoice/1", json!({ "authorization": "x" })));
    assert_eq!(a["statusCode"], 403);
    let token = json!({ "type": "TOKEN", "authorizationToken": "Bearer lambda-token",
                        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/invoice/1" });
    let a = invoke(port, dir.path(), "authorizer", &token);
    assert_eq!(a["policyDocument"]["Statement"][0]["Effect"], "Allow", "{a}");
}
