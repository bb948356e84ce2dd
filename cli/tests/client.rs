//! `cws client`: the generated clients compile — TypeScript with `tsc --strict` (the VS Code
//! extension's TypeScript, installed by `scripts/ci-deps`), Rust with cargo offline — and call a real
//! service: `cws run catalog` with S3 on moto, driven by `client/main.ts` (path parameters, queries,
//! JSON bodies, typed answers, error answers, an asynchronous call whose record lands in S3) and
//! then by `client/call.rs` through the Rust crate.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::aws::Moto;
use support::{cws, cws_command, example, text, Running};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("its address").port()
}

/// The TypeScript compiler of the VS Code extension's dependencies.
fn tsc() -> PathBuf {
    let tsc = repo().join("vscode-extension/node_modules/typescript/bin/tsc");
    assert!(tsc.exists(), "{} is missing: run scripts/ci-deps (npm ci in vscode-extension)", tsc.display());
    tsc
}

/// `cws run catalog -s dev` with S3 on moto, once it listens.
fn run_catalog(port: u16, moto: &Moto) -> Running {
    let ex = example();
    let mut child = cws_command()
        .env("AWS_ENDPOINT_URL_S3", &moto.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .args(["run", "catalog", "-s", "dev", "--port", &port.to_string(), "-p"])
        .arg(&ex)
        .stderr(Stdio::piped())
        .spawn()
        .expect("cws run starts");
    let stderr = child.stderr.take().expect("its stderr");
    let running = Running(child);
    let (tx, rx) = mpsc::channel();
    // Keeps reading, so the service never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    loop {
        let line = rx.recv_timeout(Duration::from_secs(300)).expect("cws run catalog says it listens");
        if line.contains("listening on") {
            return running;
        }
    }
}

fn generate(lang: &str, out: &Path) {
    let ex = example();
    let args = ["client", "catalog", "--lang", lang, "-s", "dev", "-p", ex.to_str().expect("a UTF-8 path")];
    let o = cws_command().args(args).arg("-o").arg(out).output().expect("cws client runs");
    assert!(o.status.success(), "cws client --lang {lang}: {}", text(&o.stderr));
}

/// The S3 object `key` of bucket `results` on moto, once it is there (the async call's record).
fn record(moto: &Moto, key: &str) -> serde_json::Value {
    let script = "import sys, boto3\n\
        s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',\n\
            aws_access_key_id='testing', aws_secret_access_key='testing')\n\
        print(s3.get_object(Bucket='results', Key=sys.argv[2])['Body'].read().decode())";
    let start = Instant::now();
    loop {
        let read =
            Command::new("python3").args(["-c", script, &moto.url, key]).output().expect("python3 runs");
        if read.status.success() {
            return serde_json::from_slice(&read.stdout).expect("a JSON record");
        }
        assert!(start.elapsed() < Duration::from_secs(20), "no record: {}", text(&read.stderr));
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn generated_clients_compile_and_call_a_running_service() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let moto = Moto::start();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let created = agent.put(format!("{}/results", moto.url)).send_empty().expect("moto answers");
    assert_eq!(created.status(), 200);

    // TypeScript: strict type check of the module and the program using it, then run with node.
    let ts = dir.path().join("ts");
    generate("typescript", &ts);
    std::fs::copy(repo().join("cli/tests/client/main.ts"), ts.join("main.ts")).expect("the driver");
    let start = Instant::now();
    let o = Command::new("node")
        .arg(tsc())
        .args([
            "--strict",
            "--target",
            "es2022",
            "--lib",
            "es2022,dom",
            "--module",
            "commonjs",
            "--types",
            "node",
        ])
        .arg("--typeRoots")
        .arg(repo().join("vscode-extension/node_modules/@types"))
        .args(["--outDir", "out", "main.ts"])
        .current_dir(&ts)
        .output()
        .expect("node runs tsc");
    assert!(o.status.success(), "tsc --strict: {}{}", text(&o.stdout), text(&o.stderr));
    println!("tsc: {:.1} s", start.elapsed().as_secs_f64());

    let port = free_port();
    let _service = run_catalog(port, &moto);
    let base = format!("http://127.0.0.1:{port}");
    let o = Command::new("node")
        .args(["out/main.js", &base, "dev-token", "results"])
        .current_dir(&ts)
        .output()
        .expect("node runs");
    assert!(
        text(&o.stdout).contains("CWS-OK"),
        "the TypeScript client: {}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    let rec = record(&moto, "calls/ts.json");
    assert_eq!(rec["status"], 200, "{rec}");
    assert_eq!(rec["body"]["price_cents"], 7, "{rec}");

    // Rust: the crate, with the workspace's lock file (the same versions, offline), and a program
    // calling the same service.
    let rs = dir.path().join("rs");
    generate("rust", &rs);
    std::fs::copy(repo().join("Cargo.lock"), rs.join("Cargo.lock")).expect("the lock file");
    std::fs::create_dir_all(rs.join("examples")).expect("examples/");
    std::fs::copy(repo().join("cli/tests/client/call.rs"), rs.join("examples/call.rs")).expect("the program");
    let start = Instant::now();
    let o = Command::new(env!("CARGO"))
        .args(["run", "--offline", "--quiet", "--example", "call", "--", &base, "dev-token"])
        .env("CARGO_TARGET_DIR", PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("client-crate"))
        .current_dir(&rs)
        .output()
        .expect("cargo runs");
    println!("cargo run (the Rust client): {:.1} s", start.elapsed().as_secs_f64());
    assert!(text(&o.stdout).contains("CWS-OK"), "the Rust client: {}{}", text(&o.stdout), text(&o.stderr));
}

#[test]
fn bad_requests_are_usage_errors() {
    let ex = example();
    let p = ex.to_str().expect("a UTF-8 path");
    let o = cws(&["client", "catalgo", "--lang", "typescript", "-p", p]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("did you mean `catalog`"), "{}", text(&o.stderr));
    let o = cws(&["client", "catalog", "--lang", "typescript", "-s", "qa", "-p", p]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("unknown stage `qa`"), "{}", text(&o.stderr));
    let o = cws(&["client", "catalog", "--lang", "cobol", "-p", p]);
    assert_eq!(o.status.code(), Some(2));
    // Without -o, TypeScript is printed.
    let o = cws(&["client", "catalog", "--lang", "typescript", "-p", p]);
    assert!(o.status.success() && text(&o.stdout).contains("export class CatalogClient {"));
}
