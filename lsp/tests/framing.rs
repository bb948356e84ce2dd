//! Broken framing through the real `coworks-lsp` binary over stdio: a frame whose `Content-Length`
//! is one byte short or long, a `Content-Length` of 1 TB, a 300 MB header line and garbage between
//! frames each cost at most the message they broke; the next `Content-Length` header resynchronises
//! the session, later requests are answered and `exit` still ends the server. Header and body sizes
//! are bounded (`--max-header-bytes`, `--max-message-bytes`) with an error logged to the client.

mod support;

use serde_json::{json, Value};
use support::{eshop_copy, Client};

const BIN: &str = env!("CARGO_BIN_EXE_coworks-lsp");

/// The server answers a real request.
fn still_serving(c: &mut Client) {
    let routes = c.call("coworks/routes", json!({}));
    assert!(routes["services"].as_array().is_some_and(|s| !s.is_empty()), "{routes}");
}

/// A request framed with `Content-Length` off by `delta` bytes.
fn misframed(id: i64, delta: i64) -> Vec<u8> {
    let body =
        serde_json::to_vec(&json!({"jsonrpc": "2.0", "id": id, "method": "coworks/stages", "params": {}}))
            .expect("json");
    let length = body.len() as i64 + delta;
    let mut out = format!("Content-Length: {length}\r\n\r\n").into_bytes();
    out.extend(body);
    out
}

/// A log message of type error (1) containing `needle`.
fn error_logged(c: &mut Client, needle: &str) -> String {
    let log = c
        .wait_for(|m| {
            m["method"] == "window/logMessage"
                && m["params"]["type"] == 1
                && m["params"]["message"].as_str().is_some_and(|t| t.contains(needle))
        })
        .unwrap_or_else(|| panic!("no error logged containing `{needle}`"));
    log["params"]["message"].as_str().unwrap_or_default().to_string()
}

#[test]
fn a_frame_one_byte_short_or_long_costs_at_most_one_message() {
    let (_dir, root) = eshop_copy();
    let mut c = Client::spawn(BIN);
    c.initialize(&root, json!({}));
    c.send_raw(&misframed(900, -1));
    let parse_error = c.wait_for(|m| m["error"]["code"] == -32700).expect("the short frame is a parse error");
    assert_eq!(parse_error["id"], Value::Null);
    still_serving(&mut c);
    still_serving(&mut c);

    // One byte too long: the frame takes the first byte of the next header; both are recovered.
    c.send_raw(&misframed(901, 1));
    let stages = c.request("coworks/stages", json!({}));
    assert!(stages.get("result").is_some(), "{stages}");
    let first = c.response(901);
    assert!(first.get("result").is_some(), "the over-long frame's request is answered too: {first}");
    still_serving(&mut c);
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn a_huge_content_length_does_not_swallow_later_input_exit_included() {
    let (_dir, root) = eshop_copy();
    let mut c = Client::spawn(BIN);
    c.initialize(&root, json!({}));
    c.send_raw(b"Content-Length: 1000000000000\r\n\r\n");
    let message = error_logged(&mut c, "1000000000000");
    assert!(message.contains("--max-message-bytes"), "{message}");
    still_serving(&mut c);
    // `exit` right after another oversized header still ends the server.
    let r = c.request("shutdown", Value::Null);
    assert!(r.get("error").is_none(), "{r}");
    c.send_raw(b"Content-Length: 999999999999999\r\n\r\n");
    c.notify("exit", Value::Null);
    assert_eq!(c.wait_exit(), Some(0), "exit after shutdown ends the server with code 0");
}

#[test]
fn a_300_mb_header_line_is_skipped_without_being_buffered() {
    let (_dir, root) = eshop_copy();
    let mut c = Client::spawn(BIN);
    c.initialize(&root, json!({}));
    c.send_raw(b"X-Padding: ");
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..300 {
        c.send_raw(&chunk);
    }
    c.send_raw(b"\r\n\r\n");
    error_logged(&mut c, "--max-header-bytes");
    still_serving(&mut c);
    let status = std::fs::read_to_string(format!("/proc/{}/status", c.pid())).expect("status");
    let peak_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmHWM");
    println!("peak memory of the server after a 300 MB header line: {} MB", peak_kb / 1024);
    assert!(peak_kb < 150 * 1024, "peak memory {peak_kb} kB: the header line was buffered");
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn garbage_between_frames_is_skipped_up_to_the_next_header() {
    let (_dir, root) = eshop_copy();
    let mut c = Client::spawn(BIN);
    c.initialize(&root, json!({}));
    c.send_raw(b"\x00\xffgarbage without newline");
    still_serving(&mut c);
    c.send_raw(b"random line\r\nanother: header\r\n\r\n");
    c.wait_for(|m| m["error"]["code"] == -32700).expect("a header block without Content-Length is an error");
    still_serving(&mut c);
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn message_and_header_limits_are_configurable() {
    let (_dir, root) = eshop_copy();
    let mut c =
        Client::spawn_with(BIN, &[], &["--stdio", "--max-message-bytes", "4000", "--max-header-bytes=200"]);
    c.initialize(&root, json!({}));
    let uri = support::file_uri(&root.join("services/billing/src/big.rs"));
    c.open(&uri, &"// big\n".repeat(1000));
    let message = error_logged(&mut c, "4000");
    assert!(message.contains("--max-message-bytes"), "{message}");
    still_serving(&mut c);
    c.send_raw(format!("X-Long: {}\r\n\r\n", "b".repeat(300)).as_bytes());
    error_logged(&mut c, "200 bytes");
    still_serving(&mut c);
    assert_eq!(c.shutdown(), Some(0));
}
