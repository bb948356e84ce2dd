//! A moto server for the tests, the one robust start: on a free port of 127.0.0.1, ready when moto
//! itself answers (`/moto-api/data.json`) and its process still runs, retried on a new port when
//! another test's server took the port first. Self-contained (std and `ureq`), so that the runtime
//! crate's tests include this file by path too (`#[path = ...] mod moto;`).

// Each test binary uses part of it.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A moto server on a free port of 127.0.0.1, killed when dropped.
pub struct Moto {
    child: Child,
    /// Its endpoint URL.
    pub url: String,
}

impl Moto {
    /// Starts `python3 -m moto.server` (see [`Moto::start_with`]).
    pub fn start() -> Moto {
        Moto::start_with(|| {
            let mut c = Command::new("python3");
            c.args(["-m", "moto.server"]);
            c
        })
    }

    /// Starts the moto server `program` gives (a command taking moto's `-H HOST -p PORT`, e.g. a
    /// venv's `moto_server`) and waits until it answers as moto. A port picked free can be taken by
    /// another test's server before moto binds it (moto then exits): that is retried on a new port,
    /// and readiness is moto's own answer (`/moto-api/data.json`), not just a listening port.
    pub fn start_with(program: impl Fn() -> Command) -> Moto {
        for _ in 0..5 {
            if let Some(moto) = Moto::try_start(program()) {
                return moto;
            }
        }
        panic!("moto server did not start on any of 5 free ports (install it with `pip install 'moto[server]'`: scripts/ci-deps)");
    }

    fn try_start(mut command: Command) -> Option<Moto> {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{command:?} cannot start ({e}): install python3 and moto[server] (scripts/ci-deps)")
            });
        let mut moto = Moto { child, url: format!("http://127.0.0.1:{port}") };
        let start = Instant::now();
        loop {
            if let Ok(Some(_)) = moto.child.try_wait() {
                return None;
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() && moto.answers() {
                // Still ours: another server answering there would have made moto exit.
                return matches!(moto.child.try_wait(), Ok(None)).then_some(moto);
            }
            assert!(start.elapsed() < Duration::from_secs(60), "moto server did not start within 60 s");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Whether moto itself answers at its URL (its data endpoint), not another server on the port.
    fn answers(&self) -> bool {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(5)))
            .build()
            .into();
        agent.get(format!("{}/moto-api/data.json", self.url)).call().is_ok_and(|r| r.status() == 200)
    }

    /// The variables sending AWS SDKs (and `cws`, and services) to this moto with its test
    /// credentials.
    pub fn env(&self) -> [(&'static str, String); 3] {
        [
            ("AWS_ENDPOINT_URL", self.url.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ]
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
