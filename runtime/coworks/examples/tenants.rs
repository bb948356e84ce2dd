//! A multi-tenant service, for the request-context tests: its `authorize` answers a principal
//! with a context map; entries read the request context, answer headers and cookies, take an
//! optional body and a `multipart/form-data` upload.
//!
//! `TOKEN=... cargo run -p coworks --example tenants -- --port 8000`; tokens are `<user>@<tenant>`.

use coworks::prelude::*;
use serde_json::{json, Value};

/// Tenants.
#[derive(Default)]
pub struct Tenants;

/// A note.
#[derive(Debug, Serialize, Deserialize)]
pub struct Note {
    /// Its text.
    pub text: String,
}

#[coworks::service(name = "tenants")]
impl Tenants {
    /// A token `<user>@<tenant>` is the principal `<user>` of `<tenant>`; `admin@...` is an admin.
    fn authorize(&self, token: &str) -> Option<Principal> {
        let (user, tenant) = token.split_once('@')?;
        Some(Principal::new(user).with("tenant", tenant).with("admin", user == "admin").with("quota", 3))
    }

    /// Everything the request context holds.
    #[entry]
    fn get_whoami(&self, ctx: &Context, #[query] verbose: Option<bool>) -> Json<Value> {
        Json(json!({
            "principal": ctx.principal(),
            "authorizer": ctx.authorizer(),
            "tenant": ctx.claim("tenant"),
            "method": ctx.method().as_str(),
            "path": ctx.path(),
            "raw_query": ctx.raw_query(),
            "request_id": ctx.request_id(),
            "source_ip": ctx.source_ip(),
            "stage": ctx.stage(),
            "api_stage": ctx.api_stage(),
            "lambda_function": ctx.lambda().map(|l| l.invoked_function_arn.clone()),
            "x_trace": ctx.header("x-trace"),
            "session": ctx.cookie("session"),
            "verbose": verbose,
        }))
    }

    /// A context parameter marked `#[context]` under another name, after a path parameter;
    /// no token needed: no principal.
    #[entry(no_auth)]
    async fn get_echo(&self, word: String, #[context] request: &coworks::Context) -> String {
        format!("{word} from {}", request.principal().unwrap_or("nobody"))
    }

    /// A download: any header, several cookies.
    #[entry]
    fn get_report(&self, id: u32) -> coworks::WithHeaders {
        format!("report {id}")
            .with_header("content-disposition", &format!("attachment; filename=\"report-{id}.txt\""))
            .with_header("cache-control", "private, max-age=60")
            .with_cookie(Cookie::build(("session", "s1")).path("/").http_only(true))
            .with_cookie(Cookie::new("theme", "dark"))
    }

    /// An optional body: absent is `None`.
    #[entry]
    fn post_note(&self, #[body] note: Option<Note>) -> Json<Value> {
        Json(json!({ "note": note.map(|n| n.text) }))
    }

    /// A file upload (`multipart/form-data`): the fields and each file's name, type and size.
    #[entry]
    fn post_upload(&self, ctx: &Context, #[body] form: Multipart) -> Json<Value> {
        let files: Vec<Value> = form
            .files()
            .map(|f| json!({ "field": f.name, "file": f.file_name, "type": f.content_type, "size": f.data.len() }))
            .collect();
        Json(json!({ "title": form.text("title"), "files": files, "tenant": ctx.claim("tenant") }))
    }
}

fn main() {
    coworks::serve(Tenants);
}
