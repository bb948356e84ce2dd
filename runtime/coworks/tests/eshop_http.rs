//! The example services, built with cargo and served over real HTTP on 127.0.0.1: every entry,
//! bad inputs (wrong types, unknown query keys, malformed JSON, missing and wrong tokens), stages,
//! and the route table the macro generated compared with what the core (`cws routes`) says.

mod common;

use common::{build_bin, eshop, Server};
use coworks_core::{Auth, Project};

const TOKEN: &str = "s3cret-test-token";
const AUTH: (&str, &str) = ("Authorization", "Bearer s3cret-test-token");
const JSON: (&str, &str) = ("Content-Type", "application/json");

fn start(package: &str, stage: &str) -> Server {
    Server::start(&build_bin(package), &[("TOKEN", TOKEN), ("CWS_STAGE", stage)])
}

#[test]
fn routes_served_by_the_macro_are_the_routes_the_core_prints() {
    let project = Project::load(eshop()).expect("example loads");
    let services = project.services(None);
    assert_eq!(services.len(), 3);
    for service in &services {
        let package = format!("eshop-{}", service.name);
        let out = std::process::Command::new(build_bin(&package)).arg("--routes").output().expect("runs");
        let table: serde_json::Value = serde_json::from_slice(&out.stdout).expect("route table JSON");
        assert_eq!(table["service"], service.name.as_str());
        let entries = table["entries"].as_array().expect("entries");
        assert_eq!(entries.len(), service.entries.len(), "{}", service.name);
        for (served, core) in entries.iter().zip(&service.entries) {
            let what = format!("{}::{}", service.name, core.rust_name);
            assert_eq!(served["rust_name"], core.rust_name.as_str(), "{what}");
            assert_eq!(served["method"], core.route.method.as_str(), "{what}");
            assert_eq!(served["path"], core.route.path.as_str(), "{what}");
            assert_eq!(served["no_auth"], core.auth == Auth::None, "{what}");
            assert_eq!(served["stages"], serde_json::json!(core.stages), "{what}");
            assert_eq!(served["binary_content_type"], serde_json::json!(core.binary_content_type), "{what}");
            assert_eq!(served["is_async"], core.is_async, "{what}");
            assert_eq!(served["params"], serde_json::json!(core.params), "{what}");
        }
    }
}

#[test]
fn billing_every_entry_and_bad_inputs() {
    let s = start("eshop-billing", "dev");
    let r = s.send("GET", "/health", &[], b"");
    assert_eq!(
        (r.status, r.text().as_str(), r.content_type.as_str()),
        (200, "ok", "text/plain; charset=utf-8")
    );

    let r = s.send("POST", "/invoice", &[AUTH, JSON], br#"{"customer":"ann","amount_cents":1250}"#);
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json(), serde_json::json!({"id": 1, "customer": "ann", "amount_cents": 1250}));
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let r = s.send("POST", "/invoice", &[AUTH, form], b"customer=bob+b&amount_cents=99");
    assert_eq!(r.status, 201, "form data: {}", r.text());
    assert_eq!(r.json()["customer"], "bob b");

    let r = s.send("GET", "/invoice/1", &[AUTH], b"");
    assert_eq!((r.status, r.content_type.as_str()), (200, "application/json"));
    assert_eq!(r.json()["customer"], "ann");
    let r = s.send("GET", "/invoice/9", &[AUTH], b"");
    assert_eq!((r.status, r.json()["error"].as_str()), (404, Some("no such invoice")));

    let r = s.send("GET", "/invoices?customer=bob%20b&page=0", &[AUTH], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.json().as_array().map(Vec::len), Some(1));
    let r = s.send("GET", "/invoices", &[AUTH], b"");
    assert_eq!(r.json().as_array().map(Vec::len), Some(2));

    let r = s.send("GET", "/invoice/pdf/1", &[AUTH], b"");
    assert_eq!((r.status, r.content_type.as_str()), (200, "application/pdf"));
    assert!(r.body.starts_with(b"%PDF-1.4"));

    let r = s.send("GET", "/debug/state", &[AUTH], b"");
    assert_eq!((r.status, r.text().as_str()), (200, "2 invoice(s)"));

    let r = s.send("DELETE", "/invoice/1", &[AUTH], b"");
    assert_eq!((r.status, r.body.len()), (204, 0));
    assert_eq!(s.send("GET", "/invoice/1", &[AUTH], b"").status, 404);

    // Wrong types: 422 naming the parameter and the expected type.
    let r = s.send("GET", "/invoice/abc", &[AUTH], b"");
    assert_eq!(r.status, 422);
    let j = r.json();
    assert_eq!(
        (j["parameter"].as_str(), j["expected"].as_str(), j["in"].as_str()),
        (Some("id"), Some("u64"), Some("path"))
    );
    let r = s.send("GET", "/invoices?page=-1", &[AUTH], b"");
    assert_eq!((r.status, r.json()["parameter"].as_str()), (422, Some("page")));
    assert_eq!(r.json()["expected"], "Option<u32>");
    let r = s.send("GET", "/invoices?page=1&page=2", &[AUTH], b"");
    assert_eq!(r.status, 422, "an Option given twice");
    // Unknown query keys.
    let r = s.send("GET", "/invoices?pgae=1", &[AUTH], b"");
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["parameter"], "pgae");
    assert_eq!(r.json()["expected"], serde_json::json!(["page", "customer"]));
    assert_eq!(s.send("GET", "/health?x=1", &[], b"").status, 422);
    // Malformed and mistyped JSON, missing body.
    let r = s.send("POST", "/invoice", &[AUTH, JSON], br#"{"customer": "ann", "#);
    assert_eq!((r.status, r.json()["parameter"].as_str()), (422, Some("new")));
    assert_eq!(r.json()["expected"], "NewInvoice");
    let r = s.send("POST", "/invoice", &[AUTH, JSON], br#"{"customer":"ann","amount_cents":"lots"}"#);
    assert_eq!(r.status, 422);
    assert_eq!(s.send("POST", "/invoice", &[AUTH, JSON], b"").status, 422);
    // Tokens: missing 401, wrong 403, raw token accepted, no_auth open.
    let r = s.send("GET", "/invoices", &[], b"");
    assert_eq!(r.status, 401);
    assert_eq!(s.send("GET", "/invoices", &[("Authorization", "Bearer nope")], b"").status, 403);
    assert_eq!(s.send("GET", "/invoices", &[("Authorization", "s3cret-test-token-x")], b"").status, 403);
    assert_eq!(s.send("GET", "/invoices", &[("Authorization", TOKEN)], b"").status, 200);
    // Unknown routes and methods.
    assert_eq!(s.send("GET", "/nowhere", &[AUTH], b"").status, 404);
    let r = s.send("PUT", "/invoice/1", &[AUTH], b"");
    assert_eq!(r.status, 405);
    assert!(r.headers.iter().any(|(k, v)| k == "allow" && v.contains("GET") && v.contains("DELETE")));
    // The token never reaches the log.
    drop(s.send("GET", "/invoices", &[("Authorization", "Bearer leaked-candidate")], b""));
    std::thread::sleep(std::time::Duration::from_millis(100));
    let log = s.log_lines().join("\n");
    assert!(!log.contains(TOKEN) && !log.contains("leaked-candidate"), "{log}");
}

#[test]
fn stage_only_entries_follow_the_stage_and_tokens_fail_closed() {
    let bin = build_bin("eshop-billing");
    let prod = Server::start(&bin, &[("TOKEN", TOKEN), ("CWS_STAGE", "prod")]);
    assert_eq!(prod.send("GET", "/debug/state", &[AUTH], b"").status, 404);
    assert_eq!(prod.send("GET", "/invoices", &[AUTH], b"").status, 200);
    let unset = Server::start(&bin, &[("CWS_STAGE", "dev")]);
    assert_eq!(unset.send("GET", "/invoices", &[AUTH], b"").status, 403, "TOKEN unset: refused");
    assert_eq!(unset.send("GET", "/invoices", &[], b"").status, 401);
    assert_eq!(unset.send("GET", "/health", &[], b"").status, 200);
    let empty = Server::start(&bin, &[("CWS_STAGE", "dev"), ("TOKEN", "")]);
    assert_eq!(empty.send("GET", "/invoices", &[("Authorization", "Bearer ")], b"").status, 401);
    assert_eq!(empty.send("GET", "/invoices", &[("Authorization", "x")], b"").status, 403);

    let mailer = build_bin("eshop-mailer");
    let test = Server::start(&mailer, &[("TOKEN", TOKEN), ("CWS_STAGE", "test")]);
    assert_eq!(test.send("GET", "/outbox", &[AUTH], b"").status, 200);
    let prod = Server::start(&mailer, &[("TOKEN", TOKEN), ("CWS_STAGE", "prod")]);
    assert_eq!(prod.send("GET", "/outbox", &[AUTH], b"").status, 404);
}

#[test]
fn catalog_every_entry() {
    let s = start("eshop-catalog", "dev");
    assert_eq!(s.send("GET", "/health", &[], b"").text(), "ok");
    let product = |sku: &str, cat: &str, tags: &[&str]| {
        serde_json::json!({"sku": sku, "name": sku.to_uppercase(), "category": cat, "price_cents": 100, "tags": tags})
            .to_string()
    };
    let r =
        s.send("PUT", "/product/mug", &[AUTH, JSON], product("mug", "kitchen", &["blue", "big"]).as_bytes());
    assert_eq!(r.status, 204, "{}", r.text());
    let r = s.send("PUT", "/product/pen", &[AUTH, JSON], product("pen", "office", &["blue"]).as_bytes());
    assert_eq!(r.status, 204);
    let r = s.send("PUT", "/product/pen", &[AUTH, JSON], product("cup", "office", &[]).as_bytes());
    assert_eq!((r.status, r.json()["error"].as_str()), (400, Some("the body's sku differs from the path's")));
    let r = s.send("GET", "/product/mug", &[AUTH], b"");
    assert_eq!(r.json()["category"], "kitchen");
    let r = s.send("GET", "/product/a%20b", &[AUTH], b"");
    assert_eq!(r.status, 404, "decoded path segment");
    let r = s.send("GET", "/products?tags=blue&tags=big", &[AUTH], b"");
    assert_eq!(r.json().as_array().map(|a| a.len()), Some(1), "Vec<String> from repeated keys");
    let r = s.send("GET", "/products?tags=blue", &[AUTH], b"");
    assert_eq!(r.json().as_array().map(|a| a.len()), Some(2));
    let r = s.send("GET", "/products?category=office", &[AUTH], b"");
    assert_eq!(r.json()[0]["sku"], "pen");
    let r = s.send("GET", "/categories/kitchen/products", &[AUTH], b"");
    assert_eq!(r.json()[0]["sku"], "mug");
    let r = s.send("PATCH", "/product/price/mug", &[AUTH, JSON], br#"{"price_cents": 250}"#);
    assert_eq!((r.status, r.json()["price_cents"].as_u64()), (200, Some(250)));
    let r = s.send("PATCH", "/product/price/none", &[AUTH, JSON], br#"{"price_cents": 250}"#);
    assert_eq!(r.status, 404);
    let r = s.send("PATCH", "/product/price/mug", &[AUTH, JSON], br#"{"price_cents": -3}"#);
    assert_eq!((r.status, r.json()["expected"].as_str()), (422, Some("Price")));
}

#[test]
fn mailer_every_entry() {
    let s = start("eshop-mailer", "dev");
    assert_eq!(s.send("GET", "/health", &[], b"").text(), "ok");
    let r = s.send("POST", "/send", &[AUTH, JSON], br#"{"to":"a@b.c","subject":"hi","body":"hello"}"#);
    assert_eq!(r.status, 202, "{}", r.text());
    let r = s.send("POST", "/template/welcome", &[AUTH, JSON], br#"{"to":"d@e.f","values":{"name":"Dee"}}"#);
    assert_eq!(r.status, 202);
    let r = s.send("GET", "/outbox", &[AUTH], b"");
    let outbox = r.json();
    assert_eq!(outbox.as_array().map(Vec::len), Some(2));
    assert_eq!(outbox[1]["subject"], "welcome");
    assert_eq!(outbox[1]["body"], "template welcome\nname: Dee");
    let r = s.send("POST", "/send", &[AUTH, JSON], br#"{"to":"a@b.c"}"#);
    assert_eq!((r.status, r.json()["parameter"].as_str()), (422, Some("mail")));
    assert_eq!(s.send("POST", "/send", &[JSON], b"{}").status, 401);
}
