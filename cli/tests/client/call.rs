//! Calls the e-shop's catalog through its generated Rust client (`cws client catalog --lang rust`),
//! against a service `cws run` serves: argv = base URL, token.

use catalog_client::{Client, Error, Price, Product};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let catalog = Client::new(args[1].as_str(), args[2].as_str());
    let got = catalog.get_product("mug é 1").expect("the product the TypeScript client put");
    assert_eq!(got.category, "kitchen");
    let kitchen = catalog.get_products(Some("kitchen"), &[]).expect("by category");
    assert_eq!(kitchen.len(), 1);
    let tagged = catalog.get_products(None, &["a".to_string(), "b".to_string()]).expect("by tags");
    assert_eq!(tagged.len(), 1);
    let patched = catalog.patch_product_price("rake", &Price { price_cents: 11 }).expect("patch");
    assert_eq!(patched.price_cents, 11);
    let vase = Product {
        sku: "vase".into(),
        name: "Vase".into(),
        category: "home".into(),
        price_cents: 1,
        tags: vec![],
    };
    assert_eq!(catalog.put_product("vase", &vase).expect("put"), 204);
    match catalog.get_product("missing") {
        Err(Error::Status { status: 404, body }) => assert!(body.contains("no such product"), "{body}"),
        other => panic!("a missing product: {other:?}"),
    }
    assert_eq!(catalog.get_health().expect("health"), "ok");
    println!("CWS-OK");
}
