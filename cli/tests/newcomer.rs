//! A newcomer's first hour, outside this repository: `cws new shop` in a temporary directory →
//! `cws check` (0 errors, from any directory of the project) → `cws new --service` → `cws run` and
//! `cws invoke` answering → the language server's lenses on the new project → `cws deploy -s dev` to a
//! moto server → `cws deployed` → `cws destroy`.
//!
//! The generated crates depend on this checkout's runtime (`--coworks-path`) with the repository's
//! Cargo.lock, and build into the target directory the e-shop deployment test builds into
//! (`CARGO_TARGET_DIR`): the dependencies are compiled once for both.
//! Needs what `deploy_e2e` needs (terraform with the provider mirror, moto; `scripts/ci-deps`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::json;
use support::aws::{cli_config, cws_aws, services_target_dir, Moto};
use support::{cws_command, text, Running};

mod support;

#[path = "../../lsp/tests/support/mod.rs"]
mod lsp;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("the checkout")
}

/// `cws ARGS` run in `dir`, building into the shared target directory.
fn cws_in(dir: &Path, args: &[&str]) -> Output {
    cws_command()
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", services_target_dir())
        .env_remove("COWORKS_PATH")
        .output()
        .expect("cws runs")
}

fn both(o: &Output) -> String {
    format!("{}{}", text(&o.stdout), text(&o.stderr))
}

/// `coworks-lsp`, built next to `cws` (`cargo test --workspace` builds it; built here otherwise).
fn lsp_binary() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_cws")).with_file_name("coworks-lsp");
    if !bin.is_file() {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "-p", "coworks-lsp", "--bin", "coworks-lsp"])
            .current_dir(repo())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "cargo build -p coworks-lsp");
    }
    bin
}

#[test]
fn a_newcomer_creates_checks_runs_and_deploys_a_project() {
    let tmp = tempfile::tempdir().expect("tmp");
    let home = tmp.path().canonicalize().expect("canonical");
    assert!(!home.starts_with(repo()), "the project must be outside the repository");

    // Outside any project: a clear usage error, nothing scanned.
    let o = cws_in(&home, &["check"]);
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    assert!(
        text(&o.stderr).contains("no project.cws.yml here or above; `cws new NAME` creates one"),
        "{}",
        both(&o)
    );

    let checkout = repo();
    let o = cws_in(&home, &["new", "shop", "--coworks-path", checkout.to_str().expect("utf-8")]);
    assert!(o.status.success(), "cws new shop:\n{}", both(&o));
    let root = home.join("shop");
    for file in [
        "project.cws.yml",
        ".env",
        ".env.dev",
        ".env.prod.secret",
        ".gitignore",
        "README.md",
        "Cargo.toml",
        "services/shop/Cargo.toml",
        "services/shop/src/main.rs",
        "workflows/greet.cws.yml",
        ".vscode/settings.json",
        ".vscode/extensions.json",
    ] {
        assert!(root.join(file).is_file(), "cws new wrote no {file}");
    }
    let manifest = std::fs::read_to_string(root.join("services/shop/Cargo.toml")).expect("manifest");
    assert!(manifest
        .contains(&format!("coworks = {{ path = \"{}\" }}", checkout.join("runtime/coworks").display())));
    assert!(std::fs::read_to_string(root.join(".gitignore")).expect("gitignore").contains("*.secret"));
    let o = cws_in(&home, &["new", "shop"]);
    assert_eq!(o.status.code(), Some(2), "an existing directory is refused: {}", both(&o));
    // The versions this repository is tested with (cargo drops what the project does not use).
    std::fs::copy(checkout.join("Cargo.lock"), root.join("Cargo.lock")).expect("Cargo.lock");

    // Another service: its crate, and its block in project.cws.yml with the comments kept.
    let before = std::fs::read_to_string(root.join("project.cws.yml")).expect("config");
    let o = cws_in(
        &root.join("services"),
        &["new", "--service", "mailer", "--coworks-path", checkout.to_str().expect("utf-8")],
    );
    assert!(o.status.success(), "cws new --service mailer:\n{}", both(&o));
    let after = std::fs::read_to_string(root.join("project.cws.yml")).expect("config");
    assert_eq!(
        after,
        before.replace(
            "    path: services/shop\n",
            "    path: services/shop\n  mailer:\n    path: services/mailer\n"
        )
    );
    let o = cws_in(&root, &["new", "--service", "mailer"]);
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));

    // Checked from the root and from deep inside, with both stages.
    // prod's Terraform state is on this machine until the template's S3 backend is uncommented.
    for (dir, stage, warnings) in [(root.clone(), "dev", 0), (root.join("services/shop/src"), "prod", 1)] {
        let o = cws_in(&dir, &["check", "-s", stage]);
        assert!(o.status.success(), "cws check -s {stage} in {}:\n{}", dir.display(), both(&o));
        assert!(
            text(&o.stdout).contains(&format!("2 service(s), 6 entries: 0 error(s), {warnings} warning(s)")),
            "{}",
            both(&o)
        );
        assert_eq!(text(&o.stdout).contains("warning[CWS055]"), warnings == 1, "{}", both(&o));
    }
    let o = cws_in(&root, &["routes"]);
    assert!(
        text(&o.stdout).contains("/hello/{name}") && text(&o.stdout).contains("name: String (path)"),
        "{}",
        both(&o)
    );

    // Served locally, answering with the stage's token and environment.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let mut child = cws_command()
        .args(["run", "shop", "--port", &port.to_string()])
        .current_dir(&root)
        .env("CARGO_TARGET_DIR", services_target_dir())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cws run starts");
    let stderr = child.stderr.take().expect("stderr");
    let running = Running(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    loop {
        let line = rx.recv_timeout(Duration::from_secs(900)).unwrap_or_else(|_| panic!("cws run: {seen:#?}"));
        if line.contains("listening on") {
            break;
        }
        seen.push(line);
    }
    assert!(
        seen.iter().any(|l| l.contains("Finished") && l.contains("shop")),
        "a build step with its time: {seen:#?}"
    );
    let o = cws_in(&root, &["invoke", "shop", "GET", "/hello/Ada", "--port", &port.to_string()]);
    assert!(o.status.success(), "{}", both(&o));
    let out = text(&o.stdout);
    assert!(out.starts_with("HTTP 200") && out.contains(r#""message":"Hello, Ada!""#), "{out}");
    drop(running);

    // The language server on the new project: the lenses of the service.
    let mut client = lsp::Client::spawn(lsp_binary().to_str().expect("utf-8"));
    client.initialize(&root, json!({}));
    let (uri, _) = client.open_file(&root, "services/shop/src/main.rs");
    let lenses = client.call("textDocument/codeLens", json!({"textDocument": {"uri": uri}}));
    let titles: Vec<&str> =
        lenses.as_array().expect("lenses").iter().filter_map(|l| l["command"]["title"].as_str()).collect();
    assert_eq!(titles[..3], ["▶ Run", "Deploy (dev)", "3 routes"], "{titles:?}");
    assert!(titles.contains(&"Invoke GET /hello/{name}"), "{titles:?}");
    client.shutdown();

    // Deployed to moto, listed, destroyed.
    let moto = Moto::start();
    let rc = cli_config(home.as_path());
    let endpoint = format!("--endpoint={}", moto.url);
    let deploy = |args: &[&str]| cws_aws(&root, &rc, args);
    let o = deploy(&["deploy", "-s", "dev", &endpoint]);
    let out = both(&o);
    assert!(o.status.success(), "cws deploy -s dev:\n{out}");
    for step in ["Building shop for Lambda", "Building mailer for Lambda", "Applying stage dev"] {
        assert!(out.contains(step), "step `{step}` in:\n{out}");
    }
    assert!(out.contains("Finished stage dev in"), "{out}");
    let o = deploy(&["deployed", "-s", "dev"]);
    let out = text(&o.stdout);
    assert!(
        out.contains("execute-api") && out.contains("shop-shop-dev") && out.contains("shop-mailer-dev"),
        "{out}"
    );
    let o = deploy(&["destroy", "-s", "dev", &endpoint]);
    assert!(o.status.success(), "cws destroy -s dev:\n{}", both(&o));
    let o = deploy(&["deployed"]);
    assert!(text(&o.stdout).contains("dev: not deployed"), "{}", both(&o));
}
