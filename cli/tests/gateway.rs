//! The local stage gateway for real: `cws run -s dev` serves every service of the e-shop behind one
//! port as API Gateway will (each service its Lambda executable behind a Runtime API), with real
//! HTTP requests: routing, the token authorizer and its cache, CORS on a 200 and on API Gateway's
//! 403, binary media types, an asynchronous call answered 202 at once whose record lands in moto's
//! S3 exactly once, `cws invoke` through the gateway, the access log; and `--watch` on a copy of the
//! dependency-free deployment fixture (quick to rebuild), whose authorizer still answers the exact
//! method ARN — the gateway's cache then refuses its token on the next route, as API Gateway would;
//! and a service of the runtime crate whose `authorize` answers a `Principal` with a context map,
//! read by an entry's `ctx: &Context` through the gateway's authorizer as API Gateway hands it over.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

mod support;

use support::aws::{services_target_dir, Moto};
use support::{cws_command, text, TempProject};

/// A running `cws run` (killed on drop), its stderr lines in a channel.
struct Running {
    child: Child,
    base: String,
    log: mpsc::Receiver<String>,
}

impl Running {
    fn start(project: &Path, args: &[&str], env: &[(&str, &str)]) -> Running {
        let mut cmd = cws_command();
        cmd.args(["run"]).args(args).args(["--port", "0", "-p"]).arg(project);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("cws runs");
        let stderr = child.stderr.take().expect("piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut running = Running { child, base: String::new(), log: rx };
        let mut seen = Vec::new();
        while let Ok(line) = running.log.recv_timeout(Duration::from_secs(600)) {
            if let Some(p) = line.find("listening on ") {
                running.base = line[p + 13..].trim().to_string();
                return running;
            }
            seen.push(line);
        }
        panic!("the gateway did not start:\n{}", seen.join("\n"));
    }

    /// The log lines so far.
    fn lines(&self) -> Vec<String> {
        self.log.try_iter().collect()
    }

    /// Waits (bounded) for a log line containing `needle`.
    fn wait_line(&self, needle: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.log.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no log line with `{needle}` within {within:?}");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An answer.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

fn send(url: &str, method: &str, headers: &[(&str, &str)]) -> Reply {
    let mut b = ureq::http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .allow_non_standard_methods(true)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut r = agent.run(b.body(Vec::new()).expect("request")).expect("the gateway answers");
    let headers =
        r.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string())).collect();
    let body = r.body_mut().read_to_vec().expect("body");
    Reply { status: r.status().as_u16(), headers, body }
}

const BUCKET: &str = "eshop-async-results";

#[test]
fn the_eshop_dev_stage_behind_one_port_as_api_gateway_serves_it() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET);
    let eshop = support::example();
    let env = moto.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let gw = Running::start(&eshop, &["-s", "dev"], &env);
    let url = |path: &str| format!("{}{path}", gw.base);
    let token = [("Authorization", "Bearer dev-token")];

    // One port, every service of the stage.
    let index = send(&url("/"), "GET", &[]);
    assert_eq!(index.header("x-cws-gateway"), Some("dev"));
    let services = index.json()["services"].clone();
    assert_eq!(services.as_object().map(|s| s.len()), Some(3), "{services}");
    assert_eq!(services["billing"], format!("{}/billing", gw.base));
    for service in ["billing", "catalog", "mailer"] {
        let r = send(&url(&format!("/{service}/health")), "GET", &[]);
        assert_eq!((r.status, r.text().as_str()), (200, "ok"), "{service}");
        // CORS on a 200 (the eshop's `cors: true`: any origin).
        assert_eq!(r.header("access-control-allow-origin"), Some("*"), "{service}");
    }

    // Routing as API Gateway does: no such resource or method → 403 Missing Authentication Token.
    let r = send(&url("/billing/nowhere"), "GET", &token);
    assert_eq!((r.status, r.json()["message"].as_str()), (403, Some("Missing Authentication Token")));
    assert_eq!(send(&url("/billing/health"), "POST", &[]).status, 403);
    assert_eq!(send(&url("/nosuch/health"), "GET", &[]).status, 404);

    // The token authorizer: no token → 401, a token accepted on one route is accepted on another
    // within the TTL (the cached policy covers the stage), a wrong token stays 403 — with the CORS
    // header on API Gateway's own 403.
    assert_eq!(send(&url("/billing/invoices"), "GET", &[]).status, 401);
    assert_eq!(send(&url("/billing/invoices"), "GET", &token).status, 200);
    let r = send(&url("/billing/invoice/1"), "GET", &token);
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (404, Some("no such invoice")),
        "the second route, same token"
    );
    assert_eq!(send(&url("/billing/debug/state"), "GET", &token).status, 200);
    for _ in 0..2 {
        let r = send(&url("/billing/invoices"), "GET", &[("Authorization", "Bearer wrong")]);
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(
            r.json()["message"],
            "User is not authorized to access this resource with an explicit deny"
        );
        assert_eq!(r.header("access-control-allow-origin"), Some("*"), "CORS on a 403");
    }
    // A preflight is answered by the function (no token needed).
    let r = send(&url("/billing/invoice/1"), "OPTIONS", &[("Origin", "http://localhost:3000")]);
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-methods"), Some("GET,DELETE,OPTIONS"));

    // Binary media types: bytes when the first Accept type is binary, base64 text otherwise.
    let pdf = send(&url("/billing/invoice/pdf/7"), "GET", &[token[0], ("Accept", "application/pdf")]);
    assert!(pdf.body.starts_with(b"%PDF-1.4"), "{}", pdf.text());
    let b64 = send(&url("/billing/invoice/pdf/7"), "GET", &[token[0], ("Accept", "*/*")]);
    assert_eq!(b64.text(), "JVBERi0xLjQKJSBpbnZvaWNlIDcK");

    // An asynchronous call of an entry taking 5 s: 202 at once; the entry runs in an asynchronous
    // invocation (queued with Lambda's Invoke by the function itself) and writes one record.
    let key = "cws-results/slow-5.json";
    let started = Instant::now();
    let r = send(
        &url("/billing/slow?seconds=5"),
        "GET",
        &[token[0], ("InvocationType", "Event"), ("X-CWS-S3Bucket", BUCKET), ("X-CWS-S3Key", key)],
    );
    let answered = started.elapsed();
    assert_eq!(r.status, 202, "{}", r.text());
    assert!(answered < Duration::from_secs(1), "answered in {answered:?}");
    assert_eq!(r.json()["key"], key);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"), "CORS on the 202");
    // Meanwhile the stage answers other calls (Lambda runs another instance).
    let busy = Instant::now();
    assert_eq!(send(&url("/billing/health"), "GET", &[]).status, 200);
    assert!(busy.elapsed() < Duration::from_secs(2), "{:?}", busy.elapsed());
    let list =
        "print(json.dumps([o['Key'] for o in s3.list_objects_v2(Bucket=argv[0]).get('Contents', [])]))";
    let deadline = Instant::now() + Duration::from_secs(60);
    let keys: Vec<String> = loop {
        let keys: Vec<String> = serde_json::from_str(moto.s3(list, &[BUCKET]).trim()).expect("keys");
        if !keys.is_empty() || Instant::now() > deadline {
            break keys;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(started.elapsed() >= Duration::from_secs(5), "the entry took its 5 s");
    assert_eq!(keys, [key]);
    std::thread::sleep(Duration::from_secs(1));
    let keys: Vec<String> = serde_json::from_str(moto.s3(list, &[BUCKET]).trim()).expect("keys");
    assert_eq!(keys, [key], "exactly one record");
    let record: serde_json::Value = serde_json::from_str(
        &moto.s3("print(s3.get_object(Bucket=argv[0], Key=argv[1])['Body'].read().decode())", &[BUCKET, key]),
    )
    .expect("record");
    assert_eq!(
        (record["status"].as_u64(), record["body"].as_str()),
        (Some(200), Some("waited 5 s")),
        "{record}"
    );

    // `cws invoke --local` targets the running gateway.
    let port = gw.base.rsplit(':').next().expect("port");
    let o = cws_command()
        .args(["invoke", "catalog", "GET", "/products", "-s", "dev", "--local", "--port", port, "-p"])
        .arg(&eshop)
        .output()
        .expect("cws invoke");
    assert!(
        o.status.success() && text(&o.stdout).starts_with("HTTP 200"),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );

    // One access-log line per request: method, path, service, status, milliseconds.
    let log = gw.lines();
    let line = log.iter().find(|l| l.starts_with("GET /billing/invoice/1 billing 404 ")).expect("access log");
    assert!(line.ends_with(" ms"), "{line}");
    assert!(log.iter().any(|l| l.starts_with("GET /catalog/products catalog 200 ")), "{log:?}");
}

#[test]
fn watch_rebuilds_a_changed_crate_while_the_gateway_serves() {
    let copy = TempProject::copy_of(&support::deploy_project());
    // greeter requires its API key (`api_key`): the gateway accepts its environment's CWS_API_KEY.
    let config = std::fs::read_to_string(copy.path().join("project.cws.yml")).expect("config");
    let greeter = "      deploy:\n        memory: 256\n";
    assert!(config.contains(greeter), "{config}");
    copy.write("project.cws.yml", config.replace(greeter, &format!("{greeter}        api_key: true\n")));
    let gw = Running::start(copy.path(), &["-s", "dev", "--watch"], &[("CWS_API_KEY", "dev-api-key")]);
    let url = |path: &str| format!("{}{path}", gw.base);
    let r = send(&url("/hello/health"), "GET", &[]);
    assert_eq!((r.status, r.json()["service"].as_str()), (200, Some("hello")), "{}", r.text());

    // This fixture's authorizer answers the exact method ARN of the call: cached for the token, that
    // policy refuses the token on the next route — what a deployment of it would do.
    let token = [("Authorization", "dev-token")];
    let r = send(&url("/hello/hello"), "GET", &token);
    assert_eq!(r.status, 200);
    // The authorizer's principal and context reach the function as API Gateway hands them over
    // (`requestContext.authorizer`, the number 3 as the string "3").
    let j = r.json();
    assert_eq!(
        (j["principal"].as_str(), j["tenant"].as_str(), j["quota"].as_str()),
        (Some("user"), Some("acme"), Some("3"))
    );
    let r = send(&url("/hello/item/1"), "GET", &token);
    assert_eq!(
        (r.status, r.json()["message"].as_str()),
        (403, Some("User is not authorized to access this resource"))
    );

    // An edit of the crate: rebuilt, restarted, served — on the same port.
    let main = "services/hello/src/main.rs";
    let source = std::fs::read_to_string(copy.path().join(main)).expect("source");
    let edited =
        source.replace("std::env::var(\"CWS_SERVICE\").unwrap_or_default()", "String::from(\"edited\")");
    assert_ne!(edited, source);
    copy.write(main, edited);
    gw.wait_line("rebuilt", Duration::from_secs(120));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = send(&url("/hello/health"), "GET", &[]);
        assert_eq!(r.status, 200);
        if r.json()["service"] == "edited" {
            break;
        }
        assert!(Instant::now() < deadline, "still the old code: {}", r.text());
        std::thread::sleep(Duration::from_millis(100));
    }

    // Without its key, or with another one, greeter is answered as API Gateway answers: 403
    // Forbidden, before the authorizer (no token: still 403, not 401), with the CORS header.
    let greet = url("/greeter/greet/ann");
    let wrong = [("Authorization", "dev-token"), ("x-api-key", "another-key")];
    for headers in [&[][..], &token[..], &wrong[..]] {
        let r = send(&greet, "GET", headers);
        assert_eq!(
            (r.status, r.json()["message"].as_str(), r.header("x-amzn-errortype")),
            (403, Some("Forbidden"), Some("ForbiddenException")),
            "{headers:?}: {}",
            r.text()
        );
        assert_eq!(r.header("access-control-allow-origin"), Some("*"), "{headers:?}");
    }
    let keyed = [("Authorization", "dev-token"), ("x-api-key", "dev-api-key")];
    assert_eq!(send(&greet, "GET", &keyed).status, 200);
    // hello has no key: none needed. A preflight never needs one.
    assert_eq!(send(&url("/hello/health"), "GET", &[]).status, 200);
    assert_ne!(send(&greet, "OPTIONS", &[("Origin", "https://a.example")]).status, 403);

    // `cws invoke` sends its environment's CWS_API_KEY as `x-api-key` (this fixture's authorizer
    // wants the bare token, hence `-H`).
    let port = gw.base.rsplit(':').next().expect("port");
    for (key, status) in [(None, "HTTP 403"), (Some("dev-api-key"), "HTTP 200")] {
        let mut cmd = cws_command();
        cmd.args(["invoke", "greeter", "GET", "/greet/ann", "-H", "Authorization: dev-token", "-s", "dev"]);
        cmd.args(["--local", "--port", port, "-p"]);
        cmd.arg(copy.path()).env_remove("CWS_API_KEY");
        if let Some(key) = key {
            cmd.env("CWS_API_KEY", key);
        }
        let o = cmd.output().expect("cws invoke");
        assert!(text(&o.stdout).starts_with(status), "{key:?}: {}{}", text(&o.stdout), text(&o.stderr));
    }
}

/// A service of the runtime crate whose `authorize` answers who holds a token (`<user>@<tenant>`)
/// with a context map; its entry answers what its request context says.
const TENANTS: &str = r#"use coworks::prelude::*;

#[derive(Default)]
pub struct Tenants;

#[coworks::service]
impl Tenants {
    fn authorize(&self, token: &str) -> Option<Principal> {
        let (user, tenant) = token.split_once('@')?;
        Some(Principal::new(user).with("tenant", tenant).with("quota", 3).with("admin", user == "root"))
    }

    #[entry]
    fn get_whoami(&self, ctx: &Context) -> String {
        let claim = |k| ctx.claim(k).unwrap_or("-");
        format!("{} of {} quota {} admin {}", ctx.principal().unwrap_or("-"), claim("tenant"), claim("quota"), claim("admin"))
    }
}

fn main() {
    coworks::serve(Tenants);
}
"#;

#[test]
fn a_custom_principal_reaches_an_entry_through_the_stage_gateway() {
    // A crate outside the repository on this checkout's runtime, as `cws new` writes one, built into
    // the target directory `newcomer` builds the same dependencies into.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("the checkout");
    let coworks = repo.join("runtime/coworks");
    let manifest = format!(
        "[package]\nname = \"tenants\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\ncoworks = {{ path = {:?} }}\nserde = {{ version = \"1\", features = [\"derive\"] }}\n",
        coworks.to_str().expect("a UTF-8 path")
    );
    let project = TempProject::new()
        .file("project.cws.yml", "version: 3\nname: tenancy\nservices:\n  tenants:\n    path: services/tenants\nworkspaces:\n  dev: {}\n")
        .file("Cargo.toml", "[workspace]\nresolver = \"2\"\nmembers = [\"services/*\"]\n")
        .file("Cargo.lock", std::fs::read(repo.join("Cargo.lock")).expect("the checkout's Cargo.lock"))
        .file("services/tenants/Cargo.toml", manifest)
        .file("services/tenants/src/main.rs", TENANTS);
    let target = services_target_dir();
    let gw = Running::start(
        project.path(),
        &["-s", "dev"],
        &[("CARGO_TARGET_DIR", target.to_str().expect("UTF-8"))],
    );
    let url = format!("{}/tenants/whoami", gw.base);

    // The principal and its context map, as API Gateway hands them to the entry (stringified).
    for (token, answer) in [
        ("Bearer ann@acme", "ann of acme quota 3 admin false"),
        ("root@globex", "root of globex quota 3 admin true"),
    ] {
        let r = send(&url, "GET", &[("Authorization", token)]);
        assert_eq!((r.status, r.text().as_str()), (200, answer), "{token}");
    }
    // No token: API Gateway's 401; a token `authorize` refuses: its 403 (explicit deny), each time.
    let r = send(&url, "GET", &[]);
    assert_eq!((r.status, r.json()["message"].as_str()), (401, Some("Unauthorized")));
    for _ in 0..2 {
        let r = send(&url, "GET", &[("Authorization", "Bearer nobody")]);
        assert_eq!(
            (r.status, r.json()["message"].as_str()),
            (403, Some("User is not authorized to access this resource with an explicit deny")),
            "{}",
            r.text()
        );
    }
}
