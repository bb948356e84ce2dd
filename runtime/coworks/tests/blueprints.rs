//! A blueprint mounted by two services (`examples/blueprints.rs`): the route table each service's
//! macro generated holds the blueprint's entries under its prefix, equal to what the core says,
//! and real service processes answer them over HTTP (one blueprint instance per service).

mod common;

use common::{build_example, repo_root, Server};
use coworks_core::{Auth, Project};

const AUTH: (&str, &str) = ("Authorization", "Bearer blueprint-token");

fn start(service: &str) -> Server {
    let env = [("TOKEN", "blueprint-token"), ("BLUEPRINT_SERVICE", service)];
    Server::start(&build_example("blueprints"), &env)
}

#[test]
fn both_services_serve_the_blueprint_under_their_prefix_as_the_core_says() {
    let project = Project::load(repo_root().join("runtime/coworks")).expect("the runtime crate loads");
    for (name, prefix) in [("catalog", "/admin"), ("orders", "/ops/admin")] {
        let service = project.service(name, None).expect("the core finds the service");
        let out = std::process::Command::new(build_example("blueprints"))
            .arg("--routes")
            .env("BLUEPRINT_SERVICE", name)
            .output()
            .expect("runs");
        let table: serde_json::Value = serde_json::from_slice(&out.stdout).expect("route table JSON");
        assert_eq!(table["service"], name);
        let served: Vec<String> = table["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| format!("{} {}", e["method"].as_str().unwrap_or(""), e["path"].as_str().unwrap_or("")))
            .collect();
        let core: Vec<String> = service.entries.iter().map(|e| e.route.to_string()).collect();
        assert_eq!(served, core, "{name}");
        for want in ["GET {p}/status", "POST {p}/ping", "GET {p}/echo/{word}"] {
            assert!(core.contains(&want.replace("{p}", prefix)), "{name}: {core:?}");
        }
        let entries = table["entries"].as_array().expect("entries");
        for (served, core) in entries.iter().zip(&service.entries) {
            assert_eq!(served["rust_name"], core.rust_name.as_str());
            assert_eq!(served["no_auth"], core.auth == Auth::None);
            assert_eq!(served["params"], serde_json::json!(core.params));
            assert_eq!(served["is_async"], core.is_async);
        }
    }
}

#[test]
fn a_real_service_answers_the_blueprint_entries_under_the_prefix() {
    let catalog = start("catalog");
    let r = catalog.send("GET", "/admin/status", &[], b"");
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    // One instance per service: the count goes on across requests.
    assert_eq!(catalog.send("POST", "/admin/ping", &[], b"").json(), serde_json::json!(1));
    assert_eq!(catalog.send("POST", "/admin/ping", &[], b"").json(), serde_json::json!(2));
    let r = catalog.send("GET", "/admin/echo/ab?times=3", &[AUTH], b"");
    assert_eq!((r.status, r.text().as_str()), (200, "ababab"));
    // The service's token protects the blueprint's entries; parameters are checked as usual.
    assert_eq!(catalog.send("GET", "/admin/echo/ab", &[], b"").status, 401);
    let r = catalog.send("GET", "/admin/echo/ab?times=x", &[AUTH], b"");
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("times"), "{}", r.text());
    assert_eq!(catalog.send("GET", "/items", &[], b"").status, 200);
    assert_eq!(catalog.send("GET", "/status", &[], b"").status, 404);

    let orders = start("orders");
    let r = orders.send("GET", "/ops/admin/status", &[], b"");
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    assert_eq!(orders.send("POST", "/ops/admin/ping", &[], b"").json(), serde_json::json!(1));
    assert_eq!(orders.send("GET", "/admin/status", &[], b"").status, 404);
    assert_eq!(orders.send("GET", "/order/7", &[], b"").text(), "order 7");
}
