//! Large Lambda events under a local Runtime API (`common::runtime_api`): the `jobs` example runs
//! as a Lambda function in its own process, and its peak memory (`VmHWM`) is read after it answered.
//! A large event is held a bounded number of times; one above `CWS_MAX_EVENT` is answered `413`
//! without being parsed. Figures are printed (`cargo test --test lambda_memory -- --nocapture`).

mod common;

use std::time::Duration;

use common::build_example;
use common::runtime_api::{http_api_event, Function, Invocation};
use serde_json::Value;

const MB: usize = 1_000_000;

/// An HTTP API (payload 2.0) event `POST /count` whose body is a JSON list of about `size` bytes.
fn count_event(size: usize) -> (Vec<u8>, usize) {
    let item = "x".repeat(998);
    let items = size / 1001;
    let body = serde_json::to_string(&vec![item; items]).expect("JSON");
    (http_api_event("POST", "/count", "tok", &body), items)
}

/// Runs one event in a fresh function process: its answer and the process's peak memory.
fn run_one(event: Vec<u8>) -> (Value, u64) {
    let f = Function::start(
        &build_example("jobs"),
        &[("TOKEN", "tok")],
        vec![Invocation { event, timeout: Duration::from_secs(60) }],
    );
    let posted = f.next_posted();
    assert_eq!(posted.kind, "response", "{}", String::from_utf8_lossy(&posted.body));
    let answer: Value = serde_json::from_slice(&posted.body).expect("JSON answer");
    // The answer is posted before the function asks for the next event: wait until it is idle.
    std::thread::sleep(Duration::from_millis(300));
    (answer, f.status_bytes("VmHWM"))
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / MB as f64
}

#[test]
fn large_events_are_held_a_bounded_number_of_times_and_oversized_ones_refused() {
    let (small, _) = count_event(10_000);
    let (answer, base) = run_one(small);
    assert_eq!(answer["statusCode"], 200, "{answer}");

    let (six, items) = count_event(6 * MB);
    let six_len = six.len();
    let (answer, six_peak) = run_one(six);
    assert_eq!(
        (answer["statusCode"].as_u64(), answer["body"].as_str()),
        (Some(200), Some(&*items.to_string()))
    );

    let (fifty, _) = count_event(50 * MB);
    let fifty_len = fifty.len();
    let (answer, fifty_peak) = run_one(fifty);
    println!(
        "peak memory (VmHWM): idle function {:.1} MB; {:.1} MB event: {:.1} MB (+{:.1}); {:.1} MB event: {:.1} MB (+{:.1})",
        mb(base),
        mb(six_len as u64),
        mb(six_peak),
        mb(six_peak - base),
        mb(fifty_len as u64),
        mb(fifty_peak),
        mb(fifty_peak.saturating_sub(base)),
    );
    assert_eq!(answer["statusCode"], 413, "above CWS_MAX_EVENT (10 MiB): {}", answer["body"]);
    // The 6 MB event is held about three times (the runtime's read buffer, the event text, the
    // decoded body and the entry's values), not fifteen.
    assert!(six_peak - base < 4 * six_len as u64, "6 MB event: +{:.1} MB", mb(six_peak - base));
    // The 50 MB one only once, as the runtime reads it.
    assert!(
        fifty_peak.saturating_sub(base) < 3 * fifty_len as u64 / 2,
        "50 MB event: +{:.1} MB",
        mb(fifty_peak - base)
    );
}
