//! Cold start and warm latency of the CoWorks billing example against the same service written by
//! hand (`examples/handwritten_billing.rs`, a lambda_http handler served by hyper). Release builds
//! under `cargo bench` (a short debug smoke run under `cargo test --all-targets`), 127.0.0.1 only,
//! bounded loops. Prints figures and ratios (target: ≤ 1.1×); asserts nothing.
//!
//! `cargo bench -p coworks --bench latency`

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Full runs under `cargo bench` (release builds); a quick smoke run of debug builds under `cargo test`.
struct Plan {
    release: bool,
    cold_runs: usize,
    warm_requests: usize,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn build(plan: &Plan, args: &[&str], name: &str) -> PathBuf {
    let out = Command::new(env!("CARGO"))
        .current_dir(root())
        .args(["build", "-q", "--message-format=json-render-diagnostics"])
        .args(if plan.release { &["--release"][..] } else { &[][..] })
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo");
    assert!(out.status.success(), "build {name}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == name)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("binary")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn spawn(bin: &PathBuf, port: u16) -> Child {
    Command::new(bin)
        .args(["--port", &port.to_string()])
        .env("TOKEN", "bench-token")
        .env("CWS_STAGE", "dev")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn")
}

/// One request on a keep-alive connection; returns the status.
fn request(stream: &mut TcpStream, method: &str, path: &str, body: &str) -> u16 {
    let req = format!(
        "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer bench-token\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).expect("write");
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).expect("read");
        assert!(n > 0, "connection closed");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return head[9..12].parse().unwrap_or(0);
            }
        }
    }
}

/// Process start → first 200 answer to `GET /health`, median of runs.
fn cold_start(plan: &Plan, bin: &PathBuf) -> Duration {
    let mut times = Vec::new();
    for _ in 0..plan.cold_runs {
        let port = free_port();
        let start = Instant::now();
        let mut child = spawn(bin, port);
        let deadline = start + Duration::from_secs(10);
        let elapsed = loop {
            assert!(Instant::now() < deadline, "no answer");
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                if request(&mut s, "GET", "/health", "") == 200 {
                    break start.elapsed();
                }
            }
            std::thread::sleep(Duration::from_micros(200));
        };
        let _ = child.kill();
        let _ = child.wait();
        times.push(elapsed);
    }
    times.sort();
    times[times.len() / 2]
}

/// Median and mean per-request latency over a keep-alive connection (mixed entries).
fn warm(plan: &Plan, bin: &PathBuf) -> (Duration, Duration) {
    let port = free_port();
    let mut child = spawn(bin, port);
    let mut stream = loop {
        if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
            break s;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    stream.set_nodelay(true).expect("nodelay");
    assert_eq!(request(&mut stream, "POST", "/invoice", r#"{"customer":"bench","amount_cents":1}"#), 201);
    let calls: [(&str, &str, &str, u16); 4] = [
        ("GET", "/invoice/1", "", 200),
        ("GET", "/invoices?page=0&customer=bench", "", 200),
        ("GET", "/health", "", 200),
        ("GET", "/invoice/pdf/1", "", 200),
    ];
    for _ in 0..200 {
        for (m, p, b, _) in calls {
            request(&mut stream, m, p, b);
        }
    }
    let mut times = Vec::with_capacity(plan.warm_requests);
    for i in 0..plan.warm_requests {
        let (m, p, b, want) = calls[i % calls.len()];
        let t = Instant::now();
        let status = request(&mut stream, m, p, b);
        times.push(t.elapsed());
        assert_eq!(status, want, "{m} {p}");
    }
    let _ = child.kill();
    let _ = child.wait();
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    times.sort();
    (times[times.len() / 2], mean)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let plan = if std::env::args().any(|a| a == "--bench") {
        Plan { release: true, cold_runs: 15, warm_requests: 3000 }
    } else {
        Plan { release: false, cold_runs: 3, warm_requests: 200 }
    };
    let coworks = build(&plan, &["-p", "eshop-billing"], "eshop-billing");
    let hand = build(&plan, &["-p", "coworks", "--example", "handwritten_billing"], "handwritten_billing");
    let (c_cold, h_cold) = (cold_start(&plan, &coworks), cold_start(&plan, &hand));
    let ((c_med, c_mean), (h_med, h_mean)) = (warm(&plan, &coworks), warm(&plan, &hand));
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    let (cold_runs, warm_requests) = (plan.cold_runs, plan.warm_requests);
    let mode =
        if plan.release { "release" } else { "debug smoke run under cargo test; figures: cargo bench" };
    println!("latency ({mode}, 127.0.0.1; CoWorks billing vs hand-written lambda_http/hyper billing)");
    println!(
        "  cold start (spawn → first reply, median of {cold_runs}): coworks {c_cold:?}, hand-written {h_cold:?}, ratio {:.2}x",
        ratio(c_cold, h_cold)
    );
    println!(
        "  warm request (median of {warm_requests}, keep-alive): coworks {c_med:?}, hand-written {h_med:?}, ratio {:.2}x",
        ratio(c_med, h_med)
    );
    println!(
        "  warm request (mean): coworks {c_mean:?}, hand-written {h_mean:?}, ratio {:.2}x (target ≤ 1.10x)",
        ratio(c_mean, h_mean)
    );
}
