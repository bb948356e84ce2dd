//! `cws run` and `cws invoke` as a user runs them: the real binary builds the example service with
//! cargo, serves it on 127.0.0.1 with the stage's env files, and stops on Ctrl-C (SIGINT).

mod support;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::{cws_command, example, Running};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `cws run billing -s STAGE --port PORT`, waiting until it listens.
fn run(stage: &str, port: u16) -> (Running, mpsc::Receiver<String>) {
    let ex = example();
    let mut child = cws_command()
        .args(["run", "billing", "-s", stage, "--port", &port.to_string(), "-p", ex.to_str().unwrap()])
        .stderr(Stdio::piped())
        .spawn()
        .expect("cws run starts");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    loop {
        let line = rx.recv_timeout(Duration::from_secs(300)).expect("cws run says it listens");
        if line.contains("listening on") {
            assert!(line.contains(&format!("http://127.0.0.1:{port}")), "{line}");
            break;
        }
    }
    (Running(child), rx)
}

fn invoke(args: &[&str]) -> (bool, String) {
    let ex = example();
    let out = cws_command()
        .arg("invoke")
        .args(args)
        .args(["-p", ex.to_str().unwrap()])
        .output()
        .expect("cws invoke runs");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn sigint(child: &Child) {
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
}

#[test]
fn run_serves_the_stage_and_stops_cleanly_on_ctrl_c() {
    let port = free_port();
    let (mut running, _log) = run("dev", port);
    let p = port.to_string();
    // The stage's env files give the token; stage-only entries of dev are served.
    let (ok, out) = invoke(&["billing", "GET", "/debug/state", "-s", "dev", "--local", "--port", &p]);
    assert!(ok, "{out}");
    assert!(out.starts_with("HTTP 200 OK\n"), "{out}");
    assert!(out.ends_with("\n\n0 invoice(s)\n"), "{out}");
    // Invoke talks to the running service: state persists between calls.
    let body = r#"{"customer":"cli","amount_cents":300}"#;
    let (ok, out) = invoke(&["billing", "POST", "/invoice", "--json", body, "-s", "dev", "--port", &p]);
    assert!(ok && out.starts_with("HTTP 201 Created\n"), "{out}");
    assert!(out.contains("content-type: application/json\n"), "{out}");
    let (ok, out) =
        invoke(&["billing", "GET", "/invoices", "--query", "customer=cli", "-s", "dev", "--port", &p]);
    assert!(ok, "{out}");
    assert!(out.contains(r#"[{"id":1,"customer":"cli","amount_cents":300}]"#), "{out}");
    let (ok, out) = invoke(&["billing", "GET", "/invoices", "--query", "nope=1", "-s", "dev", "--port", &p]);
    assert!(!ok && out.starts_with("HTTP 422"), "{out}");
    // Ctrl-C: cws stops the service and exits 0; the port is free again.
    sigint(&running.0);
    let status = running.0.wait().expect("cws exits");
    assert!(status.success(), "{status}");
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "the service still listens");
}

#[test]
fn stage_only_entries_follow_the_stage_of_cws_run() {
    let port = free_port();
    let (_running, _log) = run("prod", port);
    let p = port.to_string();
    // prod has no TOKEN in its committed env files: protected entries are refused (fail closed).
    let (ok, out) = invoke(&["billing", "GET", "/invoices", "-s", "prod", "--port", &p]);
    assert!(!ok && out.starts_with("HTTP 401"), "{out}");
    let (_, out) = invoke(&["billing", "GET", "/health", "-s", "prod", "--port", &p]);
    assert!(out.starts_with("HTTP 200"), "{out}");
    let (_, out) =
        invoke(&["billing", "GET", "/debug/state", "-s", "prod", "--port", &p, "-H", "Authorization: x"]);
    assert!(out.starts_with("HTTP 404"), "{out}");
}

#[test]
fn invoke_starts_the_service_when_none_runs_and_stops_it_after() {
    let port = free_port();
    let p = port.to_string();
    let (ok, out) = invoke(&["billing", "GET", "/invoice/42", "-s", "test", "--local", "--port", &p]);
    assert!(!ok, "404 is a failure exit");
    // (invoke() reads stdout to its end: a service left running would hold it open and hang here.)
    assert!(out.starts_with("HTTP 404 Not Found\n"), "{out}");
    assert!(out.contains(r#"{"error":"no such invoice"}"#), "{out}");
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "the auto-started service was stopped");
}

#[test]
fn bad_invocations_say_what_to_change() {
    let (ok, _) = invoke(&["nosuch", "GET", "/"]);
    assert!(!ok);
    let ex = example();
    let out = cws_command()
        .args(["invoke", "billing", "FETCH", "/x", "-p", ex.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown HTTP method `FETCH`"));
    let out = cws_command().args(["run", "nosuch", "-p", ex.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no service `nosuch`") && err.contains("billing"), "{err}");
    let out =
        cws_command().args(["run", "billing", "-s", "qa", "-p", ex.to_str().unwrap()]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown stage `qa`"));
}

#[test]
fn invoke_lets_an_auto_started_service_record_its_async_call_before_stopping_it() {
    let moto = support::aws::Moto::start();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let created = agent.put(format!("{}/results", moto.url)).send_empty().expect("moto answers");
    assert_eq!(created.status(), 200);
    let port = free_port();
    let ex = example();
    let out = cws_command()
        .env("AWS_ENDPOINT_URL_S3", &moto.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .args(["invoke", "billing", "POST", "/invoice", "--json", r#"{"customer":"async","amount_cents":7}"#])
        .args([
            "-H",
            "InvocationType: Event",
            "-H",
            "X-CWS-S3Bucket: results",
            "-H",
            "X-CWS-S3Key: calls/cli.json",
        ])
        .args(["-s", "dev", "--local", "--port", &port.to_string(), "-p", ex.to_str().unwrap()])
        .output()
        .expect("cws invoke runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.starts_with("HTTP 202 Accepted\n"), "{stdout}");
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "the auto-started service was stopped");
    // Already there when `cws invoke` returns: the service drained before it stopped.
    let script = "import sys, boto3\n\
        s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',\n\
            aws_access_key_id='testing', aws_secret_access_key='testing')\n\
        print(s3.get_object(Bucket='results', Key='calls/cli.json')['Body'].read().decode())";
    let read = Command::new("python3").args(["-c", script, &moto.url]).output().expect("python3 runs");
    let text = String::from_utf8_lossy(&read.stdout);
    assert!(read.status.success(), "no record written: {}", String::from_utf8_lossy(&read.stderr));
    let record: serde_json::Value = serde_json::from_str(&text).expect("JSON record");
    assert_eq!(record["status"], 201, "{record}");
    assert_eq!(record["body"]["customer"], "async", "{record}");
}
