//! Fuzzing the framing through the real `coworks-lsp` binary: any byte stream — random bytes,
//! header-like token soup, frames with wrong lengths, oversized lengths and header lines — followed
//! by a valid request: the request is answered and the server lives on.
//!
//! Between the two, as many newlines as the message limit: they complete a frame the stream left
//! open (whose announced bytes, within the limit, would otherwise be taken from the request) and are
//! skipped between frames. The limits are small (`--max-message-bytes 4096`) to keep that short.

mod support;

use proptest::prelude::*;
use serde_json::json;
use support::Client;

const BIN: &str = env!("CARGO_BIN_EXE_coworks-lsp");
const MAX_MESSAGE: usize = 4096;

/// Pieces of header-like garbage.
const TOKENS: &[&str] = &[
    "Content-Length: ",
    "content-length:",
    "Content-Length:",
    "Content-Type: x",
    "\r\n",
    "\n",
    "\r",
    "\r\n\r\n",
    "0",
    "1",
    "7",
    "42",
    "4097",
    "1000000000000",
    "-1",
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "jsonrpc",
    "\"2.0\"",
    "\"id\"",
    "\"method\"",
    "\"params\"",
    "null",
    "é",
    "\u{0}",
    " ",
    "X-Pad: ",
];

fn frame(body: &[u8], delta: i64) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len() as i64 + delta).into_bytes();
    out.extend_from_slice(body);
    out
}

/// A harmless message: requests the server answers or refuses, notifications it ignores.
fn message() -> impl Strategy<Value = Vec<u8>> {
    (
        1000i64..2000,
        prop::sample::select(vec!["coworks/stages", "coworks/nothing", "$/cancelRequest", "x"]),
        any::<bool>(),
    )
        .prop_map(|(id, method, request)| {
            let msg = if request {
                json!({"jsonrpc": "2.0", "id": id, "method": method, "params": {}})
            } else {
                json!({"jsonrpc": "2.0", "method": method, "params": {"id": id}})
            };
            serde_json::to_vec(&msg).unwrap_or_default()
        })
}

fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|t| t.concat().into_bytes()),
        message().prop_map(|m| frame(&m, 0)),
        (message(), -20i64..20).prop_map(|(m, delta)| frame(&m, delta)),
        (prop::collection::vec(any::<u8>(), 0..100), -5i64..5).prop_map(|(b, delta)| frame(&b, delta)),
        (MAX_MESSAGE as u64 + 1..u64::MAX / 2)
            .prop_map(|n| format!("Content-Length: {n}\r\n\r\n").into_bytes()),
        (0usize..3000).prop_map(|n| format!("X-Pad: {}", "a".repeat(n)).into_bytes()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_stream_then_a_valid_request_is_answered(pieces in prop::collection::vec(piece(), 0..8)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        let mut c = Client::spawn_with(BIN, &[], &["--max-message-bytes", "4096", "--max-header-bytes", "512"]);
        c.initialize(&root, json!({}));
        c.send_raw(&pieces.concat());
        c.send_raw(&vec![b'\n'; MAX_MESSAGE + 8]);
        let id = 987_654_321;
        c.send(&json!({"jsonrpc": "2.0", "id": id, "method": "coworks/stages", "params": {}}));
        let answer = c.wait_for(|m| m["id"] == id && m.get("method").is_none());
        prop_assert!(answer.as_ref().is_some_and(|a| a.get("result").is_some()), "{answer:?}");
        let stages = c.request("coworks/stages", json!({}));
        prop_assert!(stages.get("result").is_some(), "{stages}");
        prop_assert_eq!(c.shutdown(), Some(0));
    }
}
