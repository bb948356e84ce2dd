//! Hostile clients of the local server, over real TCP against the billing example: clients that
//! never finish their headers or bodies are cut off, a body announced larger than the limit is
//! refused before it is read, connections beyond the limit wait for a free slot, and running out of
//! file descriptors makes the server back off (one log line per burst) instead of spinning.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use common::{build_bin, Server};

/// What the server did with a connection after we stopped sending: closed it, answered, or nothing
/// within `patience`.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Closed, with the answer it sent first (may be empty).
    Closed(String),
    /// Still open after `patience`, with what it sent so far.
    Open(String),
}

fn outcome(stream: &mut TcpStream, patience: Duration) -> Outcome {
    stream.set_read_timeout(Some(patience)).expect("timeout");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Outcome::Closed(String::from_utf8_lossy(&got).into_owned()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Outcome::Open(String::from_utf8_lossy(&got).into_owned())
            }
            Err(_) => return Outcome::Closed(String::from_utf8_lossy(&got).into_owned()),
        }
    }
}

fn connect(s: &Server) -> TcpStream {
    TcpStream::connect(s.addr()).expect("connect")
}

/// Far longer than the limits under test (1 s), far shorter than "forever".
const PATIENCE: Duration = Duration::from_secs(20);

#[test]
fn slow_silent_and_oversized_requests_do_not_hold_a_connection() {
    let s = Server::start(
        &build_bin("eshop-billing"),
        &[("CWS_HEADER_TIMEOUT", "1"), ("CWS_BODY_TIMEOUT", "1"), ("CWS_MAX_BODY", "1000")],
    );

    // A client that connects and says nothing.
    let mut silent = connect(&s);
    assert!(matches!(outcome(&mut silent, PATIENCE), Outcome::Closed(_)), "a silent client is cut off");

    // Slowloris: headers dripped a byte at a time never end.
    let mut slow = connect(&s);
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n").expect("write");
    for _ in 0..30 {
        if slow.write_all(b"X").is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    match outcome(&mut slow, PATIENCE) {
        Outcome::Closed(answer) => {
            assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}")
        }
        open => panic!("the dripping client still holds its connection: {open:?}"),
    }

    // A body announced at 1 TB, never sent: refused at once, before any body byte is read.
    let mut huge = connect(&s);
    huge.write_all(b"POST /invoice HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\n")
        .expect("write");
    match outcome(&mut huge, PATIENCE) {
        Outcome::Closed(answer) | Outcome::Open(answer) => {
            assert!(answer.starts_with("HTTP/1.1 413"), "{answer:?}");
            assert!(answer.contains("larger than 1000 bytes"), "{answer}");
        }
    }

    // A body that stops half-way: 408 once the body timeout passes, then the connection closes.
    let mut partial = connect(&s);
    partial
        .write_all(b"POST /invoice HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"cust")
        .expect("write");
    match outcome(&mut partial, PATIENCE) {
        Outcome::Closed(answer) => assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}"),
        open => panic!("the half-sent body still holds its connection: {open:?}"),
    }

    // Idle keep-alive connections are closed too, and the server still serves.
    let mut idle = connect(&s);
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").expect("write");
    match outcome(&mut idle, PATIENCE) {
        Outcome::Closed(answer) => assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}"),
        open => panic!("an idle keep-alive connection is never closed: {open:?}"),
    }
    assert_eq!(s.send("GET", "/health", &[], b"").status, 200);
}

#[test]
fn connections_beyond_the_limit_wait_for_a_free_slot() {
    let s = Server::start(
        &build_bin("eshop-billing"),
        &[("CWS_MAX_CONNECTIONS", "2"), ("CWS_HEADER_TIMEOUT", "120")],
    );
    let mut seen = Vec::new();
    let held: Vec<TcpStream> = (0..2).map(|_| connect(&s)).collect();
    let line = s.wait_log("connection limit", &mut seen);
    assert!(line.contains('2'), "{line}");

    let base = s.base.clone();
    let third = std::thread::spawn(move || common::send(&format!("{base}/health"), "GET", &[], b"").status);
    std::thread::sleep(Duration::from_millis(500));
    assert!(!third.is_finished(), "a third connection was served while two were held (limit 2)");
    drop(held);
    assert_eq!(third.join().expect("request thread"), 200, "served once a slot is free");
}

#[test]
fn running_out_of_file_descriptors_backs_off_and_logs_once() {
    let mut launcher = Command::new("prlimit");
    launcher.args(["--nofile=48:48", "--"]).arg(build_bin("eshop-billing"));
    let s =
        Server::start_command(launcher, &[("CWS_MAX_CONNECTIONS", "1000"), ("CWS_HEADER_TIMEOUT", "120")]);
    let mut seen = Vec::new();
    let held: Vec<TcpStream> = (0..80).map(|_| connect(&s)).collect();
    s.wait_log("accept failed", &mut seen);
    // A second of a full descriptor table: the old loop wrote thousands of lines here.
    std::thread::sleep(Duration::from_secs(1));
    drop(held);
    // Descriptors free again: new clients are served.
    assert_eq!(s.send("GET", "/health", &[], b"").status, 200);
    seen.extend(s.log_lines());
    let accept_lines: Vec<&String> = seen.iter().filter(|l| l.contains("accept")).collect();
    // One line per burst and one on recovery (freed descriptors can end a burst and start another).
    assert!(accept_lines.len() <= 10, "{accept_lines:#?}");
    assert!(
        accept_lines.iter().any(|l| l.contains("Too many open files") || l.contains("os error 24")),
        "{accept_lines:?}"
    );
}
