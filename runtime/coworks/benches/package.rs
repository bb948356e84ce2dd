//! The Lambda package of the billing example: its size and its cold start under a Lambda Runtime
//! API emulator, built with cargo's plain release profile ("before") and with the profile `cws build`
//! uses by default ("after", the core's `optimize: lambda`), against the same service written by
//! hand (`examples/handwritten_billing.rs`, a lambda_http handler) built the same two ways.
//!
//! Prints the bootstrap's size, the reproducible `bootstrap.zip`'s size, and spawn → first answered
//! invocation (an HTTP API `POST /invoice`), measured interleaved over rounds (median and range),
//! with ratios to the hand-written service built alike; then warm invocations as deployed (the
//! Lambda face: events one after the other, entries of both kinds, the Runtime API round trip
//! included). Figures only: nothing is asserted but each answer's 2xx.
//!
//! `cargo bench -p coworks --bench package`. Env `PACKAGE_PROFILES` adds profiles to compare, as
//! `name:KEY=VALUE,KEY=VALUE;name2:...` with `CARGO_PROFILE_RELEASE_*` names without the prefix
//! (`small:OPT_LEVEL=s,LTO=fat`); `PACKAGE_ALSO=name:/path/to/bootstrap;...` adds executables built
//! elsewhere (e.g. the billing example of another commit, for before/after figures), started in the
//! same rounds and compared with the hand-written service built with `cws build`'s profile;
//! `PACKAGE_ROUNDS` sets the rounds (default 15). Under `cargo test --all-targets` it is a smoke
//! run: debug builds, two rounds.

#[path = "../tests/common/runtime_api.rs"]
mod runtime_api;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use coworks_core::artifacts::package::zip_bootstrap;
use coworks_core::settings::LAMBDA_RELEASE_PROFILE;
use runtime_api::{http_api_event, Function, Invocation, Posted};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A build configuration: a name and the `CARGO_PROFILE_RELEASE_*` settings it overrides.
struct Profile {
    name: String,
    settings: Vec<(String, String)>,
}

/// Builds `args` with `profile` into this benchmark's own target directory; returns a copy of the
/// executable named after the profile.
fn build(release: bool, profile: &Profile, args: &[&str], name: &str) -> PathBuf {
    // Release builds of other profiles get a target directory of their own; the smoke run's debug
    // build shares the workspace's.
    let target = root().join(if release { "target/package-bench" } else { "target" });
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(root())
        .args(["build", "-q", "--message-format=json-render-diagnostics", "--target-dir"])
        .arg(&target)
        .args(if release { &["--release"][..] } else { &[][..] })
        .args(args)
        .stderr(Stdio::inherit());
    for (k, v) in &profile.settings {
        cmd.env(format!("CARGO_PROFILE_RELEASE_{k}"), v);
    }
    let out = cmd.output().expect("cargo");
    assert!(out.status.success(), "build {name} ({})", profile.name);
    let built = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == name)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("binary");
    let copy = target.join(format!("{name}.{}", profile.name));
    std::fs::copy(&built, &copy).expect("copy the binary");
    copy
}

/// The function's environment in every run.
const ENV: [(&str, &str); 2] = [("TOKEN", "bench-token"), ("CWS_STAGE", "dev")];

/// Checks that `posted` is a response with a 2xx status (`what` names the invocation).
fn assert_2xx(posted: &Posted, bin: &Path, what: &str) {
    let answer: serde_json::Value = serde_json::from_slice(&posted.body).expect("JSON answer");
    let status = answer["statusCode"].as_u64().unwrap_or(0);
    assert!(
        posted.kind == "response" && (200..300).contains(&status),
        "{} ({what}): {answer}",
        bin.display()
    );
}

/// `[min–max]` of `v` with `digits` decimals.
fn range(v: &[f64], digits: usize) -> String {
    let (lo, hi) = v.iter().fold((f64::MAX, 0f64), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
    format!("[{lo:.digits$}–{hi:.digits$}]")
}

/// Spawn → the first invocation answered (a 2xx), under the Runtime API emulator.
fn cold_start(bin: &Path) -> Duration {
    let event =
        http_api_event("POST", "/invoice", "bench-token", r#"{"customer":"ann","amount_cents":1250}"#);
    let started = Instant::now();
    let f = Function::start(bin, &ENV, vec![Invocation { event, timeout: Duration::from_secs(30) }]);
    let posted = f.next_posted();
    let took = started.elapsed();
    assert_2xx(&posted, bin, "cold start");
    took
}

/// The warm requests, in turn: two to `async fn` entries, two to plain `fn` entries (the latency
/// bench's mix), each with its query.
const WARM: [(&str, &str, &str); 4] = [
    ("GET", "/invoice/1", ""),
    ("GET", "/invoices", "page=0&customer=bench"),
    ("GET", "/health", ""),
    ("GET", "/invoice/pdf/1", ""),
];

/// An HTTP API event for one of [`WARM`]'s requests.
fn warm_event(method: &str, path: &str, query: &str) -> Vec<u8> {
    let mut event: serde_json::Value =
        serde_json::from_slice(&http_api_event(method, path, "bench-token", "")).expect("event");
    event["rawQueryString"] = query.into();
    let params: serde_json::Map<String, serde_json::Value> =
        query.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.into(), v.into())).collect();
    if !params.is_empty() {
        event["queryStringParameters"] = params.into();
    }
    serde_json::to_vec(&event).expect("event")
}

/// Warm invocations: after one `POST /invoice` (the cold start, not counted), `n` invocations of
/// [`WARM`] in turn, each event handed out as soon as the function asks for it; the time from the
/// first answer to the last over `n`, in µs (each answer checked to be a 2xx).
fn warm(bin: &Path, n: usize) -> f64 {
    let setup = http_api_event("POST", "/invoice", "bench-token", r#"{"customer":"bench","amount_cents":1}"#);
    let mut invocations = vec![Invocation { event: setup, timeout: Duration::from_secs(30) }];
    for i in 0..n {
        let (method, path, query) = WARM[i % WARM.len()];
        invocations
            .push(Invocation { event: warm_event(method, path, query), timeout: Duration::from_secs(30) });
    }
    let f = Function::start(bin, &ENV, invocations);
    let mut started = None;
    for i in 0..=n {
        let posted = f.next_posted();
        started.get_or_insert_with(Instant::now);
        assert_2xx(&posted, bin, &format!("invocation {i}"));
    }
    started.map(|t| t.elapsed().as_secs_f64() * 1e6 / n as f64).unwrap_or(0.0)
}

/// The profiles to compare: the plain release profile, `cws build`'s, and those of `PACKAGE_PROFILES`.
fn profiles() -> Vec<Profile> {
    let owned = |v: &[(&str, &str)]| v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut out = vec![
        Profile { name: "release".into(), settings: Vec::new() },
        Profile { name: "cws-build".into(), settings: owned(LAMBDA_RELEASE_PROFILE) },
    ];
    for spec in std::env::var("PACKAGE_PROFILES").unwrap_or_default().split(';').filter(|s| !s.is_empty()) {
        let (name, settings) = spec.split_once(':').unwrap_or((spec, ""));
        let settings = settings
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        out.push(Profile { name: name.to_string(), settings });
    }
    out
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let rounds: usize = std::env::var("PACKAGE_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(15);
    let (profiles, rounds) =
        if full { (profiles(), rounds) } else { (profiles().into_iter().take(1).collect(), 2) };
    // (profile, billing, hand-written) executables.
    let mut built = Vec::new();
    for p in &profiles {
        let billing = build(full, p, &["-p", "eshop-billing"], "eshop-billing");
        let hand =
            build(full, p, &["-p", "coworks", "--example", "handwritten_billing"], "handwritten_billing");
        built.push((p, billing, hand));
    }
    // Executables built elsewhere, compared with the hand-written one of `cws build`'s profile.
    let also: Vec<Profile> = std::env::var("PACKAGE_ALSO")
        .unwrap_or_default()
        .split(';')
        .filter_map(|spec| spec.split_once(':'))
        .map(|(name, _)| Profile { name: name.to_string(), settings: Vec::new() })
        .collect();
    let also_paths: Vec<PathBuf> = std::env::var("PACKAGE_ALSO")
        .unwrap_or_default()
        .split(';')
        .filter_map(|spec| spec.split_once(':'))
        .map(|(_, path)| PathBuf::from(path))
        .collect();
    if full {
        let hand = built.get(1).map(|(_, _, hand)| hand.clone());
        for (p, path) in also.iter().zip(also_paths) {
            if let Some(hand) = &hand {
                built.push((p, path, hand.clone()));
            }
        }
    }
    // Interleaved: each round starts every executable once, in turn.
    let mut starts: Vec<[Vec<f64>; 2]> = built.iter().map(|_| [Vec::new(), Vec::new()]).collect();
    let warm_n = if full { 2_000 } else { 20 };
    let mut warms: Vec<[Vec<f64>; 2]> = built.iter().map(|_| [Vec::new(), Vec::new()]).collect();
    for _ in 0..rounds {
        for (i, (_, billing, hand)) in built.iter().enumerate() {
            starts[i][0].push(ms(cold_start(billing)));
            starts[i][1].push(ms(cold_start(hand)));
            warms[i][0].push(warm(billing, warm_n));
            warms[i][1].push(warm(hand, warm_n));
        }
    }
    println!(
        "billing example under a Lambda Runtime API emulator ({} build, {rounds} rounds interleaved; median [min–max]):",
        if full { "release" } else { "debug smoke" }
    );
    println!(
        "{:<12} {:>16} {:>14} {:>24} {:>24} {:>10}",
        "profile", "bootstrap MiB", "zip MiB", "cold start ms", "hand-written ms", "× hand"
    );
    let mut rows = Vec::new();
    for ((p, billing, hand), [b, h]) in built.iter().zip(&mut starts) {
        let bytes = std::fs::read(billing).expect("read the binary");
        let zipped = zip_bootstrap(&bytes).len() as u64;
        let hand_bytes = std::fs::metadata(hand).map(|m| m.len()).unwrap_or(0);
        let ratios: Vec<f64> = b.iter().zip(h.iter()).map(|(x, y)| x / y).collect();
        let (bm, hm, ratio) = (median(b), median(h), median(&mut ratios.clone()));
        println!(
            "{:<12} {:>16} {:>14.2} {:>24} {:>24} {:>10.2}",
            p.name,
            format!("{:.2} ({:.2})", mib(bytes.len() as u64), mib(hand_bytes)),
            mib(zipped),
            format!("{bm:.2} {}", range(b, 2)),
            format!("{hm:.2} {}", range(h, 2)),
            ratio
        );
        rows.push((p.name.clone(), bytes.len() as u64, zipped, bm, ratio));
    }
    println!("(bootstrap: the billing executable, the hand-written one in parentheses; × hand: median of the per-round ratios)");
    println!(
        "warm invocations ({warm_n} a round after the cold one; GET /invoice/1, GET /invoices?.., GET /health, \
         GET /invoice/pdf/1 in turn; Runtime API round trip included; µs per invocation, median [min–max]):"
    );
    println!("{:<12} {:>24} {:>24} {:>10}", "profile", "billing µs", "hand-written µs", "× hand");
    for ((p, _, _), [b, h]) in built.iter().zip(&mut warms) {
        let ratios: Vec<f64> = b.iter().zip(h.iter()).map(|(x, y)| x / y).collect();
        let (bm, hm) = (median(b), median(h));
        println!(
            "{:<12} {:>24} {:>24} {:>10.2}",
            p.name,
            format!("{bm:.1} {}", range(b, 1)),
            format!("{hm:.1} {}", range(h, 1)),
            median(&mut ratios.clone())
        );
    }
    if let (Some(before), Some(after)) = (rows.first(), rows.get(1)) {
        println!(
            "{} → {}: bootstrap ×{:.2}, zip ×{:.2}, cold start ×{:.2} (vs hand-written built alike: {:.2} → {:.2})",
            before.0,
            after.0,
            after.1 as f64 / before.1 as f64,
            after.2 as f64 / before.2 as f64,
            after.3 / before.3,
            before.4,
            after.4
        );
    }
}
