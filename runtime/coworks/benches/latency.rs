//! Cold start and warm latency of the CoWorks billing example against the same service written by
//! hand (`examples/handwritten_billing.rs`, a lambda_http handler served by hyper); and the stall:
//! `GET /health` of the mailer example while two large `POST /template` requests run, against
//! `/health` alone. Release builds under `cargo bench` (a short debug smoke run under
//! `cargo test --all-targets`), 127.0.0.1 only, bounded loops. Prints figures and ratios (target:
//! ≤ 1.1×); asserts nothing.
//!
//! The billing example runs as deployed: its hooks (`before`, `after`), an entry taking the request
//! context (`get_invoice`), and the `tracing` subscriber Lambda's JSON log format installs
//! (`AWS_LAMBDA_LOG_FORMAT=JSON`, level `INFO`: one JSON line per request, written to a null
//! device). The two services are measured in alternating rounds (the order swapped each round), so
//! the load of a shared machine weighs on both alike; each figure is the median of the rounds'
//! medians, each ratio the median of the rounds' ratios.
//!
//! The warm figures are also split by the kind of billing entry answering: `async fn` entries and
//! plain `fn` entries (which the runtime runs through `tokio::task::block_in_place`).
//!
//! `LATENCY_ALSO=/path/to/eshop-billing` adds a third executable to every round (e.g. a build of
//! another commit), printed with its ratio to the hand-written one.
//!
//! `cargo bench -p coworks --bench latency`

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../tests/common/keep_alive.rs"]
mod keep_alive;

/// Full runs under `cargo bench` (release builds); a quick smoke run of debug builds under `cargo test`.
struct Plan {
    release: bool,
    /// Alternating rounds of cold starts and warm requests.
    rounds: usize,
    cold_runs: usize,
    warm_requests: usize,
    /// Size of each of the two large template requests of the stall measurement.
    template_bytes: usize,
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
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env_remove("AWS_LAMBDA_LOG_LEVEL")
        .env_remove("RUST_LOG")
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
    keep_alive::exchange(stream, &req)
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

/// Per-request latency over a keep-alive connection (mixed entries): median and mean of all, and
/// the medians of the requests answered by asynchronous and by synchronous entries of the billing
/// example (`GET /invoice/{id}`, `GET /invoices` are `async fn`; `GET /health`, `GET
/// /invoice/pdf/{id}` are plain `fn`, which CoWorks runs through `block_in_place`).
fn warm(plan: &Plan, bin: &PathBuf) -> (Duration, Duration, Duration, Duration) {
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
    // The first two are asynchronous entries in the billing example, the last two synchronous.
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
    let (mut of_async, mut of_sync) = (Vec::new(), Vec::new());
    for i in 0..plan.warm_requests {
        let (m, p, b, want) = calls[i % calls.len()];
        let t = Instant::now();
        let status = request(&mut stream, m, p, b);
        let took = t.elapsed();
        times.push(took);
        if i % calls.len() < 2 { &mut of_async } else { &mut of_sync }.push(took);
        assert_eq!(status, want, "{m} {p}");
    }
    let _ = child.kill();
    let _ = child.wait();
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    let mid = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    (mid(times), mean, mid(of_async), mid(of_sync))
}

fn connect(port: u16) -> TcpStream {
    for _ in 0..2000 {
        if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_nodelay(true);
            return s;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("the service does not listen on port {port}");
}

/// `/health` latency of the mailer: median alone, then worst while two large template requests
/// run (and how long those took).
fn stall(plan: &Plan, bin: &PathBuf) -> (Duration, Duration, Duration) {
    let port = free_port();
    let mut child = spawn(bin, port);
    let mut probe = connect(port);
    let mut alone: Vec<Duration> = (0..50)
        .map(|_| {
            let t = Instant::now();
            assert_eq!(request(&mut probe, "GET", "/health", ""), 200);
            t.elapsed()
        })
        .collect();
    alone.sort();
    let value = "v".repeat(1000);
    let entries: Vec<String> =
        (0..plan.template_bytes / 1012).map(|i| format!(r#""k{i:07}":"{value}""#)).collect();
    let body = format!(r#"{{"to":"bench@example.com","values":{{{}}}}}"#, entries.join(","));
    let started = Instant::now();
    let big: Vec<_> = (0..2)
        .map(|_| {
            let body = body.clone();
            std::thread::spawn(move || {
                let mut s = connect(port);
                assert_eq!(request(&mut s, "POST", "/template/bench", &body), 202);
                started.elapsed()
            })
        })
        .collect();
    let mut worst = Duration::ZERO;
    while big.iter().any(|h| !h.is_finished()) {
        let t = Instant::now();
        assert_eq!(request(&mut probe, "GET", "/health", ""), 200);
        worst = worst.max(t.elapsed());
        std::thread::sleep(Duration::from_millis(2));
    }
    let took = big.into_iter().map(|h| h.join().expect("large request")).max().unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    (alone[alone.len() / 2], worst, took)
}

/// One executable's figures of one round.
#[derive(Clone, Copy)]
struct Figures {
    cold: Duration,
    warm_median: Duration,
    warm_mean: Duration,
    /// Median of the requests to asynchronous entries.
    warm_async: Duration,
    /// Median of the requests to synchronous entries.
    warm_sync: Duration,
}

fn measure(plan: &Plan, bin: &PathBuf) -> Figures {
    let cold = cold_start(plan, bin);
    let (warm_median, warm_mean, warm_async, warm_sync) = warm(plan, bin);
    Figures { cold, warm_median, warm_mean, warm_async, warm_sync }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let plan = if std::env::args().any(|a| a == "--bench") {
        Plan { release: true, rounds: 7, cold_runs: 9, warm_requests: 3000, template_bytes: 4_500_000 }
    } else {
        Plan { release: false, rounds: 1, cold_runs: 3, warm_requests: 200, template_bytes: 200_000 }
    };
    let coworks = build(&plan, &["-p", "eshop-billing"], "eshop-billing");
    let hand = build(&plan, &["-p", "coworks", "--example", "handwritten_billing"], "handwritten_billing");
    let also = std::env::var_os("LATENCY_ALSO").map(PathBuf::from);
    let mut bins = vec![("coworks", coworks), ("hand-written", hand)];
    if let Some(also) = also {
        bins.push(("LATENCY_ALSO", also));
    }
    // rounds[r][b]: the figures of executable b in round r.
    let mut rounds: Vec<Vec<Figures>> = Vec::new();
    for r in 0..plan.rounds {
        let mut order: Vec<usize> = (0..bins.len()).collect();
        order.rotate_left(r % bins.len());
        let mut figures = vec![None; bins.len()];
        for b in order {
            figures[b] = Some(measure(&plan, &bins[b].1));
        }
        rounds.push(figures.into_iter().map(|f| f.expect("measured")).collect());
    }
    let mode =
        if plan.release { "release" } else { "debug smoke run under cargo test; figures: cargo bench" };
    let (n, cold_runs, warm_requests) = (plan.rounds, plan.cold_runs, plan.warm_requests);
    println!(
        "latency ({mode}, 127.0.0.1; CoWorks billing with hooks, a context-taking entry and JSON tracing vs \
         hand-written lambda_http/hyper billing; {n} alternating rounds, medians of the rounds)"
    );
    type Pick = fn(&Figures) -> Duration;
    type Show = fn(f64) -> String;
    let us: Show = |d| format!("{:.1} µs", d * 1e6);
    let ms: Show = |d| format!("{:.2} ms", d * 1e3);
    let rows: [(&str, Pick, Show); 5] = [
        ("cold start (spawn → first reply, median of {cold_runs} per round)", |f| f.cold, ms),
        ("warm request (median of {warm_requests} per round, keep-alive)", |f| f.warm_median, us),
        ("warm request (mean of {warm_requests} per round)", |f| f.warm_mean, us),
        ("  of which async entries (median)", |f| f.warm_async, us),
        ("  of which sync entries, via block_in_place (median)", |f| f.warm_sync, us),
    ];
    for (label, pick, show) in rows {
        let label = label
            .replace("{cold_runs}", &cold_runs.to_string())
            .replace("{warm_requests}", &warm_requests.to_string());
        let of = |b: usize| median(rounds.iter().map(|r| pick(&r[b]).as_secs_f64()).collect());
        let ratio = |b: usize| {
            median(rounds.iter().map(|r| pick(&r[b]).as_secs_f64() / pick(&r[1]).as_secs_f64()).collect())
        };
        let mut line = format!(
            "  {label}: coworks {}, hand-written {}, ratio {:.2}x",
            show(of(0)),
            show(of(1)),
            ratio(0)
        );
        if bins.len() > 2 {
            line += &format!("; LATENCY_ALSO {}, ratio {:.2}x", show(of(2)), ratio(2));
        }
        let all: Vec<String> = rounds
            .iter()
            .map(|r| format!("{:.2}", pick(&r[0]).as_secs_f64() / pick(&r[1]).as_secs_f64()))
            .collect();
        println!("{line} (target ≤ 1.10x; rounds: {})", all.join(" "));
    }
    let mailer = build(&plan, &["-p", "eshop-mailer"], "eshop-mailer");
    let (alone, worst, took) = stall(&plan, &mailer);
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    let mb = plan.template_bytes as f64 / 1e6;
    println!(
        "  stall (mailer): GET /health alone {alone:?} (median of 50); worst while two {mb:.1} MB POST /template \
         ran ({took:?}): {worst:?}, ratio {:.1}x",
        ratio(worst, alone)
    );
}
