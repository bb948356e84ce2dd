//! Helpers of the runtime's behaviour tests: build the example services with cargo, run them on
//! 127.0.0.1 (killed on drop), send real HTTP requests.

#![allow(dead_code)]

pub mod runtime_api;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root")
}

/// The example project.
pub fn eshop() -> PathBuf {
    repo_root().join("examples/eshop")
}

/// Builds a workspace package's binary (`eshop-billing`, ...) with cargo; returns its path.
pub fn build_bin(package: &str) -> PathBuf {
    let out = Command::new(env!("CARGO"))
        .current_dir(repo_root())
        .args(["build", "-q", "-p", package, "--message-format=json-render-diagnostics"])
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "cargo build -p {package} failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == package)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("no binary for {package}"))
}

/// A running service binary; killed on drop.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub log: mpsc::Receiver<String>,
}

impl Server {
    /// Starts `binary --port 0` with `env` (on top of a clean CoWorks environment) and waits for it.
    pub fn start(binary: &Path, env: &[(&str, &str)]) -> Server {
        Server::start_command(Command::new(binary), env)
    }

    /// Starts `cmd` (a service binary, or a launcher ending in one) with `--port 0` and `env`, and
    /// waits for it.
    pub fn start_command(mut cmd: Command, env: &[(&str, &str)]) -> Server {
        cmd.args(["--port", "0"]).env_remove("TOKEN").env_remove("CWS_STAGE").env_remove("PORT");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.stderr(Stdio::piped()).stdout(Stdio::null()).spawn().expect("service starts");
        let stderr = child.stderr.take().expect("piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut base = None;
        while let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) {
            if let Some(p) = line.find("listening on ") {
                base = Some(line[p + 13..].trim().to_string());
                break;
            }
        }
        let base = base.expect("the service says where it listens");
        Server { child, base, log: rx }
    }

    /// Sends a request; returns status, content type and body.
    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        send(&format!("{}{path}", self.base), method, headers, body)
    }

    /// The service's stderr lines so far.
    pub fn log_lines(&self) -> Vec<String> {
        self.log.try_iter().collect()
    }

    /// `host:port` of the service.
    pub fn addr(&self) -> String {
        self.base.trim_start_matches("http://").to_string()
    }

    /// Waits (bounded) for a log line containing `needle`; returns it. Lines read on the way are
    /// appended to `seen`.
    pub fn wait_log(&self, needle: &str, seen: &mut Vec<String>) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.log.recv_timeout(left) {
                Ok(line) if line.contains(needle) => {
                    seen.push(line.clone());
                    return line;
                }
                Ok(line) => seen.push(line),
                Err(_) => break,
            }
        }
        panic!("no log line with `{needle}` within 60 s; seen: {seen:?}");
    }

    /// Sends `signal` (`TERM`, `INT`) to the service.
    pub fn signal(&self, signal: &str) {
        let status =
            Command::new("kill").args([&format!("-{signal}"), &self.child.id().to_string()]).status();
        assert!(status.is_ok_and(|s| s.success()), "kill -{signal}");
    }

    /// Waits (bounded: 60 s) for the service to exit; its exit status.
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        for _ in 0..1200 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the service did not exit within 60 s");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// One HTTP request to `url`.
pub fn send(url: &str, method: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut b = ureq::http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .allow_non_standard_methods(true)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut r = agent.run(b.body(body.to_vec()).expect("request")).expect("the server answers");
    let headers: Vec<(String, String)> =
        r.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string())).collect();
    let content_type =
        headers.iter().find(|(k, _)| k == "content-type").map(|(_, v)| v.clone()).unwrap_or_default();
    let body = r.body_mut().read_to_vec().expect("body");
    Reply { status: r.status().as_u16(), content_type, headers, body }
}

/// Builds an example of the `coworks` crate (`runtime/coworks/examples/NAME.rs`); returns its path.
pub fn build_example(name: &str) -> PathBuf {
    let out = Command::new(env!("CARGO"))
        .current_dir(repo_root())
        .args(["build", "-q", "-p", "coworks", "--example", name, "--message-format=json-render-diagnostics"])
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "cargo build --example {name} failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == name)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("no binary for example {name}"))
}

/// A free port on 127.0.0.1 (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}
