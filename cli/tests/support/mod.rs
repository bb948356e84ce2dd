//! What the tests of `cws` share: the binary, and the core's test support (temporary projects,
//! the example, the fixture projects and their expected `cws check` output), included by path so
//! both crates build projects one way.

// Each test binary uses part of it.
#![allow(dead_code, unused_imports)]

#[path = "../../../core/tests/support/mod.rs"]
mod core_support;

pub mod aws;

use std::process::{Child, Command, Output};
use std::time::Duration;

pub use core_support::{
    deploy_project, example, expected, fixture, fixture_projects, fuzz, openapi_project, TempProject,
};

/// The `cws` binary, without the variables a developer's shell may set for it.
pub fn cws_command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cws"));
    c.env_remove("TOKEN").env_remove("CWS_STAGE").env_remove("PORT");
    c
}

/// Runs `cws` with `args` to its end.
pub fn cws(args: &[&str]) -> Output {
    cws_command().args(args).output().expect("cws runs")
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A running `cws` (e.g. `cws run`): stopped with Ctrl-C when dropped (cws stops its service), then
/// killed if it is still there.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-INT", &self.0.id().to_string()]).status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
