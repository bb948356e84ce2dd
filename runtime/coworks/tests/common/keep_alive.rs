//! One HTTP/1.1 exchange on a keep-alive connection, as the latency benchmarks measure it: the
//! request written whole, the answer read up to the end of its `Content-Length` body. Shared by
//! path (`#[path = ...] mod keep_alive;`) by `runtime/coworks/benches/latency.rs` and
//! `cli/benches/gateway.rs`, so both time the same client.

use std::io::{Read, Write};
use std::net::TcpStream;

/// Writes the raw request `req` on `stream` and reads one answer (headers, then `Content-Length`
/// bytes of body); returns its status (`0` when the status line does not hold one). Panics when
/// the connection closes before the answer is complete.
pub fn exchange(stream: &mut TcpStream, req: &str) -> u16 {
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
                return head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
            }
        }
    }
}
