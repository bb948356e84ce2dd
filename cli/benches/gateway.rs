//! What the local stage gateway costs per request: the e-shop's billing service called through
//! `cws run -s dev` (API Gateway's matching and authorizer cache, a REST proxy event to the
//! service's Lambda executable over its Runtime API, the proxy answer back) against the same service
//! executable called directly (its own HTTP server, as `cws run billing` serves it); and, to tell
//! the gateway's own cost from the Lambda Runtime API's, against the same function invoked directly
//! through the gateway's Lambda `Invoke` API with a ready REST event. Requests alternate over
//! keep-alive connections on 127.0.0.1; p50 and p99 of each and their ratios are printed (target
//! ≤ 1.5×); nothing is asserted on time. The services are built as `cws run` builds them (cargo's
//! dev profile); `CARGO_PROFILE_DEV_OPT_LEVEL=3` measures optimised services.
//!
//! `cargo bench -p coworks-cli --bench gateway` (a short smoke run under `cargo test --all-targets`).

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../../runtime/coworks/tests/common/keep_alive.rs"]
mod keep_alive;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/eshop")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// Starts `cmd` and waits for its `listening on http://...` line; returns the child, the URL and
/// the lines before.
fn start(mut cmd: Command) -> (Child, String, Vec<String>) {
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("starts");
    let stderr = child.stderr.take().expect("piped");
    let mut lines = BufReader::new(stderr).lines();
    let mut before = Vec::new();
    let url = loop {
        let line = lines.next().and_then(Result::ok).expect("a `listening on` line");
        if let Some(p) = line.find("listening on ") {
            break line[p + 13..].trim().to_string();
        }
        before.push(line);
    };
    // Keep draining the log (the gateway writes one access-log line per request).
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    (child, url, before)
}

fn connect(url: &str) -> TcpStream {
    let addr = url.trim_start_matches("http://");
    let s = TcpStream::connect(addr).expect("connect");
    s.set_nodelay(true).expect("nodelay");
    s
}

/// One GET on a keep-alive connection; the status.
fn get(stream: &mut TcpStream, path: &str, token: bool) -> u16 {
    let auth = if token { "authorization: Bearer dev-token\r\n" } else { "" };
    keep_alive::exchange(stream, &format!("GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n{auth}\r\n"))
}

/// One POST of `body` on a keep-alive connection; the status.
fn post(stream: &mut TcpStream, path: &str, body: &str) -> u16 {
    let req =
        format!("POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: {}\r\n\r\n{body}", body.len());
    keep_alive::exchange(stream, &req)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let full = std::env::args().any(|a| a == "--bench");
    let requests = if full { 4000 } else { 100 };
    let cws = env!("CARGO_BIN_EXE_cws");
    let mut gateway_cmd = Command::new(cws);
    gateway_cmd.args(["run", "-s", "dev", "--port", "0", "-p"]).arg(example()).env_remove("TOKEN");
    let (mut gateway, gateway_url, log) = start(gateway_cmd);
    let invoke_url = log
        .iter()
        .find_map(|l| l.split("Invoke API: ").nth(1))
        .map(|u| u.trim_end_matches(')').to_string())
        .expect("the gateway names its Invoke API");
    // The executable the gateway runs, served directly by its own HTTP server.
    let out = Command::new(env!("CARGO"))
        .args(["build", "-q", "--message-format=json", "--manifest-path"])
        .arg(example().join("services/billing/Cargo.toml"))
        .output()
        .expect("cargo");
    let billing = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "eshop-billing")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("the billing executable");
    let mut direct_cmd = Command::new(billing);
    direct_cmd.args(["--port", &free_port().to_string()]).env("TOKEN", "dev-token").env("CWS_STAGE", "dev");
    let (mut direct, direct_url, _) = start(direct_cmd);

    let mut through = connect(&gateway_url);
    let mut straight = connect(&direct_url);
    let calls = [("/health", false), ("/invoices", true)];
    let mut rows = Vec::new();
    for (path, token) in calls {
        let via = format!("/billing{path}");
        for _ in 0..(requests / 10).max(20) {
            assert_eq!(get(&mut through, &via, token), 200);
            assert_eq!(get(&mut straight, path, token), 200);
        }
        let (mut g, mut d) = (Vec::with_capacity(requests), Vec::with_capacity(requests));
        for _ in 0..requests {
            let t = Instant::now();
            assert_eq!(get(&mut through, &via, token), 200);
            g.push(t.elapsed());
            let t = Instant::now();
            assert_eq!(get(&mut straight, path, token), 200);
            d.push(t.elapsed());
        }
        g.sort();
        d.sort();
        rows.push((path, token, g, d));
    }
    // The same function invoked directly through Lambda's Invoke API with a ready REST event: what
    // the gateway adds on top of the Lambda invocation itself (matching, authorizer cache, event
    // building, answer conversion, one more HTTP hop).
    let event = serde_json::json!({
        "resource": "/health", "path": "/health", "httpMethod": "GET", "headers": {"host": "127.0.0.1"},
        "multiValueHeaders": {"host": ["127.0.0.1"]}, "queryStringParameters": null,
        "multiValueQueryStringParameters": null, "pathParameters": null, "stageVariables": null,
        "requestContext": {"accountId": "123456789012", "apiId": "eshop-billing-dev", "httpMethod": "GET",
            "path": "/dev/health", "protocol": "HTTP/1.1", "requestId": "bench", "resourceId": "/health",
            "resourcePath": "/health", "stage": "dev", "identity": {"sourceIp": "127.0.0.1"}},
        "body": null, "isBase64Encoded": false
    })
    .to_string();
    let mut lambda = connect(&invoke_url);
    let invocations = "/2015-03-31/functions/eshop-billing-dev/invocations";
    for _ in 0..(requests / 10).max(20) {
        assert_eq!(post(&mut lambda, invocations, &event), 200);
        assert_eq!(get(&mut through, "/billing/health", false), 200);
    }
    let (mut l, mut g) = (Vec::with_capacity(requests), Vec::with_capacity(requests));
    for _ in 0..requests {
        let t = Instant::now();
        assert_eq!(post(&mut lambda, invocations, &event), 200);
        l.push(t.elapsed());
        let t = Instant::now();
        assert_eq!(get(&mut through, "/billing/health", false), 200);
        g.push(t.elapsed());
    }
    l.sort();
    g.sort();
    let _ = gateway.kill();
    let _ = gateway.wait();
    let _ = direct.kill();
    let _ = direct.wait();

    let mode = if full { "cargo bench" } else { "smoke run under cargo test; figures: cargo bench" };
    println!("local stage gateway overhead ({mode}; {requests} requests per row, alternated, keep-alive, 127.0.0.1)");
    println!("| request | direct p50 | gateway p50 | × | direct p99 | gateway p99 | × |");
    println!("|---|---|---|---|---|---|---|");
    for (path, token, g, d) in rows {
        let (gp50, dp50, gp99, dp99) =
            (percentile(&g, 0.5), percentile(&d, 0.5), percentile(&g, 0.99), percentile(&d, 0.99));
        let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
        println!(
            "| GET {path}{} | {dp50:.1?} | {gp50:.1?} | {:.2} | {dp99:.1?} | {gp99:.1?} | {:.2} |",
            if token { " (token)" } else { "" },
            ratio(gp50, dp50),
            ratio(gp99, dp99)
        );
    }
    let (lp50, gp50, lp99, gp99) =
        (percentile(&l, 0.5), percentile(&g, 0.5), percentile(&l, 0.99), percentile(&g, 0.99));
    println!(
        "| GET /health vs the function invoked directly (Lambda Invoke API) | {lp50:.1?} | {gp50:.1?} | {:.2} | {lp99:.1?} | {gp99:.1?} | {:.2} |",
        gp50.as_secs_f64() / lp50.as_secs_f64(),
        gp99.as_secs_f64() / lp99.as_secs_f64()
    );
    println!("(target: gateway ≤ 1.5× direct)");
}
