//! The request context in the analysis: an entry's `ctx: &Context` / `#[context]` parameter is no
//! route parameter, so the routes, the OpenAPI document and the deployed API are those of the same
//! entries without it; an `Option` body is optional and a `Multipart` body is `multipart/form-data`.

mod support;

use coworks_core::artifacts::openapi;
use serde_json::json;
use support::TempProject;

const CONFIG: &str = "version: 3\nname: shop\nworkspaces:\n  dev: {}\n";

fn service(with_context: bool) -> String {
    let (ctx, marked) =
        if with_context { ("ctx: &Context, ", "#[context] c: &coworks::Context, ") } else { ("", "") };
    format!(
        r#"
use coworks::prelude::*;
#[derive(Deserialize)]
pub struct Note {{ pub text: String }}
pub struct Shop;
#[coworks::service]
impl Shop {{
    #[entry]
    fn get_item(&self, {ctx}id: u64, #[query] page: Option<u32>) -> String {{ String::new() }}
    #[entry]
    fn post_note(&self, {marked}#[body] note: Option<Note>) {{}}
    #[entry]
    fn post_upload(&self, {ctx}#[body] form: Multipart) {{}}
}}
"#
    )
}

#[test]
fn the_context_changes_no_route_document_or_deployment() {
    let with = TempProject::new().file("project.cws.yml", CONFIG).service("shop", &service(true)).load();
    let without = TempProject::new().file("project.cws.yml", CONFIG).service("shop", &service(false)).load();
    assert!(with.diagnostics(Some("dev")).iter().all(|d| d.severity != coworks_core::Severity::Error));
    let routes = |p: &coworks_core::Project| -> Vec<String> {
        p.services(Some("dev"))
            .iter()
            .flat_map(|s| s.entries.iter().map(|e| format!("{} {:?}", e.route, e.params)))
            .collect()
    };
    assert_eq!(routes(&with), routes(&without));
    assert_eq!(routes(&with).len(), 3);
    let doc = openapi::document(&with, "shop", Some("dev")).expect("a document");
    assert_eq!(doc, openapi::document(&without, "shop", Some("dev")).expect("a document"));
    let item = &doc["paths"]["/item/{id}"]["get"]["parameters"];
    let names: Vec<&str> = item.as_array().into_iter().flatten().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, ["id", "page"]);
    assert_eq!(doc["paths"]["/note"]["post"]["requestBody"]["required"], false);
    let upload = &doc["paths"]["/upload"]["post"]["requestBody"];
    assert_eq!(upload["required"], true);
    assert_eq!(upload["content"]["multipart/form-data"]["schema"]["type"], json!("object"), "{upload}");
}
