//! What the tests of `cws` share: the binary, and the core's test support (temporary projects,
//! the example, the fixture projects and their expected `cws check` output), included by path so
//! both crates build projects one way.

// Each test binary uses part of it.
#![allow(dead_code, unused_imports)]

#[path = "../../../core/tests/support/mod.rs"]
mod core_support;

pub mod aws;
pub mod moto;

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

/// Marks `stage` of the project at `dir` as deployed with `urls` (service → base URL), the way
/// `cws deploy` leaves it for `cws deployed`: the Terraform state of the stage's workspace (local
/// backend) with the `services` output, and the deploy record (`region`, the `s3` endpoint). The
/// URLs a deployment to moto gives are not callable, so the tests point them at local servers.
pub fn fake_deployment(dir: &std::path::Path, stage: &str, urls: &[(&str, String)], s3: Option<&str>) {
    let tf = dir.join("terraform");
    let state_dir = tf.join("terraform.tfstate.d").join(stage);
    std::fs::create_dir_all(tf.join(".terraform")).expect("mkdir .terraform");
    std::fs::create_dir_all(&state_dir).expect("mkdir state");
    let services: serde_json::Map<String, serde_json::Value> = urls
        .iter()
        .map(|(s, url)| {
            let fields = serde_json::json!({
                "url": url, "custom_url": null,
                "function_name": format!("{s}-{stage}"),
                "function_arn": format!("arn:aws:lambda:eu-west-1:123456789012:function:{s}-{stage}"),
            });
            (s.to_string(), fields)
        })
        .collect();
    let object = serde_json::json!(["object", {
        "url": "string", "custom_url": "string", "function_name": "string", "function_arn": "string",
    }]);
    let state = serde_json::json!({
        "version": 4, "terraform_version": "1.9.0", "serial": 1,
        "lineage": "00000000-0000-0000-0000-000000000000",
        "outputs": { "services": { "value": services, "type": ["map", object] } },
        "resources": [], "check_results": null,
    });
    std::fs::write(state_dir.join("terraform.tfstate"), state.to_string()).expect("write the state");
    let endpoints: serde_json::Map<String, serde_json::Value> =
        s3.map(|u| ("s3".to_string(), serde_json::json!(u))).into_iter().collect();
    let record = serde_json::json!({
        "flags": {},
        "target": { "region": "eu-west-1", "profile": null, "endpoints": endpoints },
    });
    std::fs::create_dir_all(tf.join(".cws")).expect("mkdir .cws");
    std::fs::write(tf.join(".cws").join(format!("{stage}.json")), record.to_string())
        .expect("write the record");
}
