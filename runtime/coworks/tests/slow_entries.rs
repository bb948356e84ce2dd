//! One slow entry must not stall the others: synchronous entries run off the async workers, so
//! requests keep being answered (and new connections accepted) while more entries than workers
//! hold their threads. (Running the first of them inline on its worker failed here about one run in
//! four: the blocked worker had taken the last I/O events, and nobody polled the driver for the
//! `/health` connection until the entries ended.)

mod common;

use common::{build_example, send, Server};

#[test]
fn blocked_synchronous_entries_do_not_stall_other_requests() {
    let s = Server::start(&build_example("jobs"), &[("TOKEN", "tok")]);
    // One more blocked entry than the runtime has async workers (one per core).
    let blocked = std::thread::available_parallelism().map_or(2, |n| n.get()) + 1;
    let holders: Vec<_> = (0..blocked)
        .map(|_| {
            let url = format!("{}/block", s.base);
            // They end when released, or by themselves after 25 s (a stalled server's /health then
            // answers only after them: see below).
            std::thread::spawn(move || send(&url, "POST", &[("Authorization", "tok")], b"25000"))
        })
        .collect();
    let mut seen = Vec::new();
    for _ in 0..blocked {
        s.wait_log("blocking for at most", &mut seen);
    }
    let health = s.send("GET", "/health", &[], b"");
    assert_eq!((health.status, health.text().as_str()), (200, "ok"));
    let still_blocked = holders.iter().filter(|h| !h.is_finished()).count();
    assert_eq!(still_blocked, blocked, "/health was answered only after the blocked entries ended");

    assert_eq!(s.send("POST", "/release", &[("Authorization", "tok")], b"").status, 204);
    for h in holders {
        let r = h.join().expect("holder thread");
        assert_eq!((r.status, r.text().as_str()), (200, "true"), "released, not timed out");
    }
}

/// The header deadline counts only the time a connection waits for a request: an entry running
/// longer than it keeps its connection and its answer arrives.
#[test]
fn an_entry_longer_than_the_header_timeout_is_answered() {
    let s = Server::start(&build_example("jobs"), &[("TOKEN", "tok"), ("CWS_HEADER_TIMEOUT", "0.5")]);
    let r = s.send("POST", "/block", &[("Authorization", "tok")], b"1500");
    assert_eq!((r.status, r.text().as_str()), (200, "false"), "blocked 1.5 s, then answered");
}
