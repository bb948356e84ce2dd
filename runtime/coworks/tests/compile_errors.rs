//! Invalid entries and hooks stop `cargo build` with the core's message, at the entry or hook: a throwaway crate using
//! `#[coworks::service]` is checked with cargo (target dir `target/compile-errors`, reused across runs).

mod common;

use std::process::Command;

#[test]
fn invalid_entries_are_compile_errors_with_the_cores_messages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = common::repo_root().join("runtime/coworks");
    std::fs::write(
        dir.path().join("Cargo.toml"),
        format!(
            "[package]\nname = \"bad-service\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ncoworks = {{ path = {:?} }}\n\n[workspace]\n",
            runtime.display().to_string()
        ),
    )
    .expect("manifest");
    std::fs::create_dir(dir.path().join("src")).expect("src");
    std::fs::write(
        dir.path().join("src/main.rs"),
        r#"struct Users;

#[coworks::service]
impl Users {
    #[entry(path = "/users/{uid}/orders")]
    fn get_orders(&self, id: u64) -> String {
        id.to_string()
    }

    #[entry(no_auth, stagez = "dev")]
    fn get_health(&self) -> &'static str {
        "ok"
    }

    #[entry]
    fn get_me(&self, ctx: &coworks::Context, again: &coworks::Context) -> String {
        format!("{:?} {:?}", ctx.principal(), again.principal())
    }

    fn after(&self, answer: coworks::Response) -> coworks::Response {
        answer
    }
}

#[derive(Default)]
struct Admin;

#[coworks::blueprint]
impl Admin {
    #[entry]
    fn get_status(&self) -> &'static str {
        "ok"
    }
}

struct Shop;

#[coworks::service(blueprints(Admn = "/admin", Admin = "ops", Admin = "/x", Admin = "/x"))]
impl Shop {
    #[entry(path = "/x/status")]
    fn get_mine(&self) -> &'static str {
        "mine"
    }
}

fn main() {
    coworks::serve(Users);
    coworks::serve(Shop);
}
"#,
    )
    .expect("main.rs");
    let lock = common::repo_root().join("Cargo.lock");
    std::fs::copy(lock, dir.path().join("Cargo.lock")).expect("lock file");
    let out = Command::new(env!("CARGO"))
        .current_dir(dir.path())
        .args(["check", "--offline", "--message-format=short"])
        .env("CARGO_TARGET_DIR", common::repo_root().join("target/compile-errors"))
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the bad service compiled:\n{stderr}");
    assert!(
        stderr.contains("src/main.rs:5:5: error: parameter(s) `{id}` not in the path; path names `{uid}` but the method has no such path parameter [CWS"),
        "{stderr}"
    );
    assert!(
        stderr.contains("src/main.rs:10:5: error: unknown `#[entry]` argument `stagez`; expected path, stage, stages, no_auth, binary_headers or throttle"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "src/main.rs:15:5: error: entry `get_me` takes the request context more than once [CWS063]"
        ),
        "{stderr}"
    );
    for blueprint_error in [
        "error: no `#[coworks::blueprint] impl Admn` in this package's Rust files [CWS070]",
        "error: prefix `ops` of blueprint `Admin`: a path starts with `/` [CWS071]",
        "error: blueprint `Admin` is mounted twice at `/x`: its entries would answer the same requests twice [CWS072]",
        "error: duplicate route GET /x/status: `get_mine` and `get_status` answer the same requests",
    ] {
        assert!(stderr.contains(blueprint_error), "{blueprint_error}\n{stderr}");
    }
    assert_eq!(stderr.matches("[CWS07").count(), 3, "each mount's error once:\n{stderr}");
    assert!(
        stderr.contains("src/main.rs:20:5: error: the `after` hook takes `&self` and the call and the answer, with no generic parameters: `fn after(&self, call: &Call, answer: Response) -> Response` [CWS067]"),
        "{stderr}"
    );
}
