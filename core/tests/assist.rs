//! The assist layer on the example project: completion as data (a text with `|` where the cursor
//! is, and what is offered), references, definitions and links, rename, inlay hints, refactorings
//! and what a workflow task calls.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;

use coworks_core::assist::completion::complete;
use coworks_core::assist::fix::apply_edits;
use coworks_core::assist::task_info::TypedValue;
use coworks_core::assist::Completion;
use coworks_core::diagnostics::Edit;
use coworks_core::layout::CONFIG_FILE;
use coworks_core::model::Location;
use coworks_core::text::ByteRange;
use coworks_core::Project;

static ESHOP: LazyLock<Project> =
    LazyLock::new(|| Project::load(support::example()).expect("the example project loads"));

/// A fresh load of the example (for tests that change it).
fn eshop() -> Project {
    Project::load(support::example()).expect("the example project loads")
}

struct Case {
    file: &'static str,
    text: &'static str,
    labels: &'static [&'static str],
    /// A label and the text replacing its range once accepted.
    accept: Option<(&'static str, &'static str)>,
}

/// The text once `item` is accepted.
fn accepted(text: &str, item: &Completion) -> String {
    let mut edits: Vec<(ByteRange, &str)> = vec![(item.range, item.new_text.as_str())];
    edits.extend(item.additional.iter().map(|(r, t)| (*r, t.as_str())));
    edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    let mut out = text.to_string();
    for (r, t) in edits {
        out.replace_range(r.start..r.end, t);
    }
    out
}

fn run(case: &Case) {
    let offset = case.text.find('|').expect("| marks the cursor");
    let text = case.text.replacen('|', "", 1);
    let items = complete(&ESHOP, Path::new(case.file), &text, offset);
    let labels: Vec<&str> = items.iter().map(|i| i.label.as_str()).collect();
    let (want, open) = match case.labels.split_last() {
        Some((&"…", rest)) => (rest, true),
        _ => (case.labels, false),
    };
    if open {
        assert!(
            labels.len() >= want.len() && labels[..want.len()] == *want,
            "{}:\n{:?}\ngot {labels:?}",
            case.file,
            case.text
        );
    } else {
        assert_eq!(labels, want, "{}:\n{:?}", case.file, case.text);
    }
    for i in &items {
        assert!(i.range.start <= offset && offset <= i.range.end, "{i:?} does not hold the cursor");
        assert!(!text[i.range.start..i.range.end].contains('\n'), "{i:?} spans lines");
    }
    if let Some((label, want)) = case.accept {
        let item =
            items.iter().find(|i| i.label == label).unwrap_or_else(|| panic!("no `{label}` in {labels:?}"));
        assert_eq!(accepted(&text, item), want, "{label}");
    }
}

const RUST: &str = "services/billing/src/extra.rs";
const CONFIG: &str = "project.cws.yml";
const FLOW: &str = "workflows/new.cws.yml";

#[test]
fn completion_cases() {
    let cases = [
        // #[entry(...)] arguments as snippets, minus those written; `stage` repeats.
        Case {
            file: RUST,
            text: "#[coworks::service]\nimpl Billing {\n    #[entry(stage = \"dev\", |)]\n    fn get_x(&self) {}\n}\n",
            labels: &["path", "stage", "stages", "no_auth", "binary_headers", "throttle"],
            accept: Some((
                "path",
                "#[coworks::service]\nimpl Billing {\n    #[entry(stage = \"dev\", path = \"/$1\")]\n    fn get_x(&self) {}\n}\n",
            )),
        },
        Case {
            file: RUST,
            text: "#[coworks::service(na|)]\nimpl Billing {}\n",
            labels: &["name", "blueprints"],
            accept: Some(("blueprints", "#[coworks::service(blueprints($1 = \"/$2\"))]\nimpl Billing {}\n")),
        },
        // Stage values inside the string, or quoted in a list.
        Case {
            file: RUST,
            text: "impl B {\n    #[entry(stage = \"d|\")]\n    fn get_x(&self) {}\n}\n",
            labels: &["dev", "test", "prod"],
            accept: Some(("test", "impl B {\n    #[entry(stage = \"test\")]\n    fn get_x(&self) {}\n}\n")),
        },
        Case {
            file: RUST,
            text: "#[entry(stages = [\"dev\", |])] fn get_x(&self) {}",
            labels: &["dev", "test", "prod"],
            accept: Some(("prod", "#[entry(stages = [\"dev\", \"prod\"])] fn get_x(&self) {}")),
        },
        Case {
            file: RUST,
            text: "#[entry(binary_headers = \"|\")] fn get_x(&self) {}",
            labels: &["application/octet-stream", "application/pdf", "…"],
            accept: None,
        },
        // Entry names in a service impl: the verbs, and the route the typed name gives.
        Case {
            file: RUST,
            text: "#[coworks::service]\nimpl Billing {\n    #[entry]\n    fn get_invoice_pdf|\n}\n",
            labels: &["get_invoice_pdf", "get_", "post_", "put_", "patch_", "delete_", "options_"],
            accept: None,
        },
        // Not in a service impl, not after `fn`, outside attributes: nothing.
        Case { file: RUST, text: "impl Other {\n    fn get_|\n}\n", labels: &[], accept: None },
        Case { file: RUST, text: "#[entry(path = \"/x\")] fn get_x(&self) { let s = \"|\"; }", labels: &[], accept: None },
        // project.cws.yml: keys from the schema tables, at every level, minus those written.
        Case {
            file: CONFIG,
            text: "version: 3\n|",
            labels: &["name", "services", "commands", "workspaces"],
            accept: Some(("services", "version: 3\nservices:\n  ")),
        },
        Case {
            file: CONFIG,
            text: "version: 3\ncommands:\n  deploy:\n    region: x\n    mem|\n",
            labels: &["profile", "memory", "timeout", "architecture", "…"],
            accept: Some(("memory", "version: 3\ncommands:\n  deploy:\n    region: x\n    memory: \n")),
        },
        Case {
            file: CONFIG,
            text: "version: 3\nworkspaces:\n  dev:\n    commands:\n      build:\n        architecture: a|\n",
            labels: &["x86_64", "arm64"],
            accept: Some(("arm64", "version: 3\nworkspaces:\n  dev:\n    commands:\n      build:\n        architecture: arm64\n")),
        },
        Case {
            file: CONFIG,
            text: "version: 3\ncommands:\n  deploy:\n    vpc:\n      |\n",
            labels: &["subnet_ids", "security_group_ids"],
            accept: None,
        },
        Case {
            file: CONFIG,
            text: "version: 3\nservices:\n  catalog:\n    path: services/catalog\n  |\n",
            labels: &["billing", "mailer"],
            accept: Some(("mailer", "version: 3\nservices:\n  catalog:\n    path: services/catalog\n  mailer:\n    path: services/mailer\n")),
        },
        Case {
            file: CONFIG,
            text: "version: 3\nservices:\n  billing:\n    path: |\n",
            labels: &["services/billing", "services/catalog", "services/mailer"],
            accept: None,
        },
        Case {
            file: CONFIG,
            text: "version: 3\nworkspaces:\n  qa:\n    env_files: [|]\n",
            labels: &[".env.qa", ".env", ".env.dev", ".env.prod", ".env.test"],
            accept: None,
        },
        Case { file: CONFIG, text: "version: 3\nworkspaces:\n  qa:\n    production: |\n", labels: &["true", "false"], accept: None },
        // A list of mappings (`iam`): a new item's keys, then the values of a key.
        Case {
            file: CONFIG,
            text: "version: 3\ncommands:\n  deploy:\n    iam:\n      - act|\n",
            labels: &["effect", "actions", "resources"],
            accept: Some(("actions", "version: 3\ncommands:\n  deploy:\n    iam:\n      - actions:\n        \n")),
        },
        Case {
            file: CONFIG,
            text: "version: 3\ncommands:\n  deploy:\n    iam:\n      - effect: |\n",
            labels: &["Allow", "Deny"],
            accept: None,
        },
        // Workflows: keys, services, routes (method-aware), params, query, body fields, tasks.
        Case {
            file: FLOW,
            text: "tasks:\n  a:\n    service: billing\n    |\n",
            labels: &["description", "method", "path", "params", "query", "headers", "json", "async", "after", "…"],
            accept: None,
        },
        Case { file: FLOW, text: "tasks:\n  a:\n    service: b|\n", labels: &["billing", "catalog", "mailer"], accept: None },
        Case {
            file: FLOW,
            text: "on_failure: |\ntasks:\n  a: { service: billing, path: /health }\n  alert: { service: mailer, path: /health }\n",
            labels: &["a", "alert"],
            accept: None,
        },
        Case {
            file: FLOW,
            text: "tasks:\n  a:\n    service: billing\n    method: POST\n    path: /|\n",
            labels: &["POST /invoice"],
            accept: Some(("POST /invoice", "tasks:\n  a:\n    service: billing\n    method: POST\n    path: /invoice\n")),
        },
        Case {
            file: FLOW,
            text: "tasks:\n  a:\n    service: billing\n    path: |\n",
            labels: &["GET /invoice/{id}", "GET /invoices", "POST /invoice", "GET /invoice/pdf/{id}", "DELETE /invoice/{id}", "GET /health", "GET /slow", "GET /debug/state"],
            accept: Some(("POST /invoice", "tasks:\n  a:\n    service: billing\n    method: POST\n    path: /invoice\n")),
        },
        Case {
            file: FLOW,
            text: "tasks:\n  a:\n    service: billing\n    path: /invoice/{id}\n    params:\n      |\n",
            labels: &["id"],
            accept: None,
        },
        Case {
            file: FLOW,
            text: "tasks:\n  a:\n    service: billing\n    path: /invoices\n    query:\n      page: 1\n      |\n",
            labels: &["customer"],
            accept: None,
        },
        Case {
            file: FLOW,
            text: "tasks:\n  a:\n    service: billing\n    method: POST\n    path: /invoice\n    json:\n      c|\n",
            labels: &["customer", "amount_cents"],
            accept: None,
        },
        Case {
            file: FLOW,
            text: "tasks:\n  a:\n    service: billing\n    path: /health\n  b:\n    service: billing\n    path: /health\n    after: [|]\n",
            labels: &["a"],
            accept: None,
        },
        // Templates: roots, conf keys the workflow reads, tasks running before, result fields, body fields.
        Case {
            file: FLOW,
            text: "tasks:\n  a:\n    service: billing\n    path: /x/{{ |\n",
            labels: &["conf", "tasks"],
            accept: None,
        },
        Case {
            file: FLOW,
            text: "tasks:\n  a:\n    service: billing\n    path: /invoice/{{ conf.id }}\n  b:\n    service: billing\n    path: /x/{{ conf.| }}\n",
            labels: &["id"],
            accept: None,
        },
        Case {
            file: FLOW,
            text: "tasks:\n  a:\n    service: billing\n    method: POST\n    path: /invoice\n  c:\n    service: billing\n    path: /health\n  b:\n    service: billing\n    path: /x/{{ tasks.| }}\n    after: [a]\n",
            labels: &["a", "c"],
            accept: None,
        },
        Case {
            file: FLOW,
            text: "tasks:\n  a:\n    service: billing\n    method: POST\n    path: /invoice\n  b:\n    service: billing\n    path: /x/{{ tasks.a.| }}\n",
            labels: &["status", "headers", "body"],
            accept: None,
        },
        Case {
            file: FLOW,
            text: "tasks:\n  a:\n    service: billing\n    method: POST\n    path: /invoice\n  b:\n    service: billing\n    path: /x/{{ tasks.a.body.c| }}\n",
            labels: &["id", "customer", "amount_cents"],
            accept: Some(("customer", "tasks:\n  a:\n    service: billing\n    method: POST\n    path: /invoice\n  b:\n    service: billing\n    path: /x/{{ tasks.a.body.customer }}\n")),
        },
    ];
    for case in &cases {
        run(case);
    }
}

/// `tasks.` offers the tasks not running before this one with what CWS048 would advise: `after`,
/// but for a task in another's `else` (which `after` cannot help) `conf` or a task before that one.
#[test]
fn tasks_not_running_before_are_offered_with_cws048s_advice() {
    let text = "tasks:\n  a:\n    service: billing\n    path: /invoices\n    when: conf.x\n    else: [b]\n  g:\n    service: billing\n    path: /health\n    after: [a]\n  b:\n    service: billing\n    path: /x/{{ tasks.| }}\n  c:\n    service: billing\n    path: /health\n";
    let offset = text.find('|').expect("| marks the cursor");
    let items = complete(&ESHOP, Path::new(FLOW), &text.replacen('|', "", 1), offset);
    let detail = |label: &str| {
        let item =
            items.iter().find(|i| i.label == label).unwrap_or_else(|| panic!("no `{label}`: {items:?}"));
        item.detail.clone().unwrap_or_default()
    };
    let instead = |other: &str| {
        format!("`b` is in the `else` of `a` and runs instead of it, when its condition is false, so `{other}` has no result then; read `conf` or a task that runs before `a`")
    };
    assert_eq!(detail("a"), instead("a"));
    assert_eq!(detail("g"), instead("g"), "a task after the one `b` replaces");
    assert_eq!(detail("c"), "does not run before `b`: add `after: [c]`");
}

#[test]
fn the_config_keys_are_the_schema_tables() {
    // Every key the reader accepts is offered somewhere, and only those: one list of keys.
    use coworks_core::config::schema::{COMMANDS, SERVICE_KEYS, TOP_KEYS, WORKSPACE_KEYS};
    let labels = |text: &str| -> Vec<String> {
        let offset = text.find('|').unwrap();
        let text = text.replacen('|', "", 1);
        complete(&ESHOP, Path::new(CONFIG), &text, offset).into_iter().map(|c| c.label).collect()
    };
    assert_eq!(labels("|"), TOP_KEYS.iter().map(|k| k.name).collect::<Vec<_>>());
    assert_eq!(labels("services:\n  x:\n    |"), SERVICE_KEYS.iter().map(|k| k.name).collect::<Vec<_>>());
    assert_eq!(labels("workspaces:\n  x:\n    |"), WORKSPACE_KEYS.iter().map(|k| k.name).collect::<Vec<_>>());
    assert_eq!(labels("commands:\n  |"), COMMANDS.iter().map(|k| k.name).collect::<Vec<_>>());
    for c in COMMANDS {
        let text = format!("workspaces:\n  x:\n    commands:\n      {}:\n        |", c.name);
        assert_eq!(labels(&text), c.options.iter().map(|o| o.name).collect::<Vec<_>>(), "{}", c.name);
    }
}

// References, definitions and links.

fn offset_of(project: &Project, rel: &str, needle: &str) -> usize {
    project.source(Path::new(rel)).unwrap().text().find(needle).unwrap_or_else(|| panic!("{needle}"))
}

fn show(project: &Project, locations: &[Location]) -> Vec<String> {
    locations
        .iter()
        .map(|l| {
            let text = project.source(&l.file).map(|s| s.text()).unwrap_or("");
            format!(
                "{}:{} {}",
                l.file.display(),
                l.span.start.line + 1,
                &text[l.span.start.offset..l.span.end.offset]
            )
        })
        .collect()
}

#[test]
fn references_of_entries_and_services() {
    let p = eshop();
    let main = "services/billing/src/main.rs";
    let at_entry = offset_of(&p, main, "get_invoice(&self") + 2;
    assert_eq!(
        show(&p, &p.references(Path::new(main), at_entry, true)),
        ["services/billing/src/main.rs:33 get_invoice", "workflows/invoicing.cws.yml:26 /invoice/{id}"]
    );
    let flow = "workflows/invoicing.cws.yml";
    let at_service = offset_of(&p, flow, "service: mailer") + 10;
    let refs = show(&p, &p.references(Path::new(flow), at_service, false));
    assert_eq!(
        refs,
        [
            "project.cws.yml:13 mailer",
            "workflows/invoicing.cws.yml:32 mailer",
            "workflows/invoicing.cws.yml:54 mailer",
            "workflows/promotion.cws.yml:28 mailer",
            "workflows/promotion.cws.yml:49 mailer",
            "workflows/restock.cws.yml:46 mailer"
        ]
    );
    let callers = p.entry_callers();
    assert_eq!(
        callers.values().map(Vec::len).sum::<usize>(),
        15,
        "every task of the example but the Python one calls an entry"
    );
}

#[test]
fn definitions_and_links_of_the_project_file() {
    let p = eshop();
    let links: Vec<String> = p.config_links().iter().map(|l| l.target.display().to_string()).collect();
    assert_eq!(
        links,
        [
            "services/billing/Cargo.toml",
            "services/catalog/Cargo.toml",
            "services/mailer/Cargo.toml",
            ".env.dev",
            ".env.test",
            ".env.prod"
        ]
    );
    let config = Path::new(CONFIG_FILE);
    let key = offset_of(&p, CONFIG_FILE, "  catalog:") + 3;
    let def = p.definition(config, key).unwrap();
    assert!(def.file.starts_with("services/catalog/src"), "{def:?}");
    let main = "services/billing/src/main.rs";
    let stage = offset_of(&p, main, "stage = \"dev\"") + 10;
    let def = p.definition(Path::new(main), stage).unwrap();
    assert_eq!(show(&p, &[def]), ["project.cws.yml:28 dev"]);
}

// Rename.

/// The files changed by `edits`, as `file` → the changed lines (new text).
fn changed(project: &Project, edits: &[Edit]) -> Vec<String> {
    let mut by_file: BTreeMap<&Path, Vec<&Edit>> = BTreeMap::new();
    for e in edits {
        by_file.entry(&e.file).or_default().push(e);
    }
    let mut out = Vec::new();
    for (file, edits) in by_file {
        let old = project.source(file).unwrap().text();
        let new = apply_edits(old, &edits);
        let before: Vec<&str> = old.lines().collect();
        for line in new.lines().filter(|l| !before.contains(l)) {
            out.push(format!("{}: {}", file.display(), line.trim()));
        }
    }
    out
}

fn offset(project: &Project, rel: &str, needle: &str) -> usize {
    offset_of(project, rel, needle) + 1
}

#[test]
fn renaming_a_service_everywhere_it_is_named() {
    let p = eshop();
    let flow = "workflows/invoicing.cws.yml";
    let at = offset(&p, flow, "service: mailer") + 9;
    let r = p.prepare_rename(Path::new(flow), at).unwrap();
    assert_eq!(r.name, "mailer");
    let edits = p.rename(Path::new(flow), at, "postman").unwrap();
    assert_eq!(
        changed(&p, &edits),
        [
            "project.cws.yml: postman:",
            "services/mailer/src/main.rs: #[coworks::service(name = \"postman\")]",
            "workflows/invoicing.cws.yml: service: postman",
            "workflows/invoicing.cws.yml: service: postman",
            "workflows/promotion.cws.yml: service: postman",
            "workflows/promotion.cws.yml: service: postman",
            "workflows/restock.cws.yml: service: postman",
        ]
    );
    assert!(p.rename(Path::new(flow), at, "Post Man").unwrap_err().contains("not a valid service name"));
    assert!(p.rename(Path::new(flow), at, "billing").unwrap_err().contains("already named"));
}

#[test]
fn renaming_an_entry_moves_the_tasks_calling_it() {
    let p = eshop();
    let main = "services/billing/src/main.rs";
    let at = offset(&p, main, "fn get_invoice(") + 4;
    assert_eq!(p.prepare_rename(Path::new(main), at).unwrap().name, "get_invoice");
    let edits = p.rename(Path::new(main), at, "get_bill").unwrap();
    assert_eq!(
        changed(&p, &edits),
        [
            "services/billing/src/main.rs: async fn get_bill(&self, id: u64, ctx: &Context) -> Result<Json<Invoice>, Error> {",
            "workflows/invoicing.cws.yml: path: /bill/{id}",
        ]
    );
    // Another verb: the task's method follows.
    let at = offset(&p, main, "fn post_invoice(") + 4;
    let edits = p.rename(Path::new(main), at, "put_bill").unwrap();
    assert_eq!(
        changed(&p, &edits),
        [
            "services/billing/src/main.rs: async fn put_bill(&self, #[body] new: NewInvoice) -> Result<(StatusCode, Json<Invoice>), Error> {",
            "workflows/invoicing.cws.yml: method: PUT",
            "workflows/invoicing.cws.yml: path: /bill",
        ]
    );
    assert!(p.rename(Path::new(main), at, "2x").is_err());
    // The type of `impl Billing` is Rust's to rename.
    assert!(p.prepare_rename(Path::new(main), offset(&p, main, "impl Billing") + 6).is_none());
}

// Inlay hints.

#[test]
fn routes_after_signatures_and_task_paths() {
    let p = eshop();
    let main = Path::new("services/billing/src/main.rs");
    let text = p.source(main).unwrap().text();
    let hints = p.inlay_hints(main, 0, usize::MAX);
    let shown: Vec<String> = hints
        .iter()
        .map(|h| {
            let line = text[..h.offset].rsplit('\n').next().unwrap_or("");
            format!("{}· {}", line.trim(), h.label)
        })
        .collect();
    assert_eq!(
        shown[0],
        "async fn get_invoice(&self, id: u64, ctx: &Context) -> Result<Json<Invoice>, Error>· GET /invoice/{id}"
    );
    assert_eq!(shown[1], ") -> Json<Vec<Invoice>>· GET /invoices");
    assert_eq!(shown[6], "fn get_slow(&self, #[query] seconds: Option<u64>) -> String· GET /slow (dev)");
    assert_eq!(shown[7], "fn get_debug_state(&self) -> String· GET /debug/state (dev)");
    assert_eq!(shown.len(), 8);
    let flow = Path::new("workflows/invoicing.cws.yml");
    let hints = p.inlay_hints(flow, 0, usize::MAX);
    assert_eq!(hints[1].label, "→ GET /invoice/{id}");
    assert_eq!(hints[1].tooltip.as_deref(), Some("`get_invoice` of service `billing`"));
    let ftext = p.source(flow).unwrap().text();
    assert!(ftext[..hints[1].offset].ends_with("path: /invoice/{id}"));
    // A range: only the hints inside it.
    let first_line_end = text.find("get_invoices").unwrap();
    assert_eq!(p.inlay_hints(main, 0, first_line_end).len(), 1);
}

#[test]
fn a_blueprint_entry_shows_its_route_in_each_service_mounting_it() {
    let p = Project::load(support::blueprint_project()).expect("fixture loads");
    let admin = Path::new("services/shop/src/admin.rs");
    let labels: Vec<String> = p.inlay_hints(admin, 0, usize::MAX).into_iter().map(|h| h.label).collect();
    assert_eq!(
        labels,
        [
            "GET /admin/status (catalog), GET /ops/admin/status (orders)",
            "GET /admin/report/{day} (catalog), GET /ops/admin/report/{day} (orders)",
            "DELETE /admin/cache/{name} (catalog), DELETE /ops/admin/cache/{name} (orders)",
        ]
    );
}

// Refactorings.

#[test]
fn convert_to_explicit_path() {
    let p = eshop();
    let main = Path::new("services/billing/src/main.rs");
    let text = p.source(main).unwrap().text();
    let at = text.find("fn get_invoice_pdf").unwrap();
    let actions = p.refactorings(main, at, at);
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0].title, "Convert to explicit path: `path = \"/invoice/pdf/{id}\"`");
    let new = apply_edits(text, &actions[0].edits.iter().collect::<Vec<_>>());
    assert!(new.contains("#[entry(path = \"/invoice/pdf/{id}\", binary_headers = \"application/pdf\")]"));
    let mut after = p.clone();
    after.set_file_text(main, &new);
    let route = |p: &Project| {
        p.service("billing", None)
            .unwrap()
            .entries
            .iter()
            .find(|e| e.rust_name == "get_invoice_pdf")
            .unwrap()
            .route
            .clone()
    };
    assert_eq!(route(&after), route(&p));
    // Already explicit: nothing to convert.
    let at = new.find("fn get_invoice_pdf").unwrap();
    assert!(after.refactorings(main, at, at).is_empty());
}

// What a workflow task calls.

#[test]
fn a_task_with_its_entry_and_template_types() {
    let p = eshop();
    let flow = Path::new("workflows/invoicing.cws.yml");
    let text = p.source(flow).unwrap().text();
    let info = p.task_info(flow, text.find("fetch_invoice:").unwrap() + 2).unwrap();
    assert_eq!(info.service, "billing");
    assert_eq!(info.entry.rust_name, "get_invoice");
    assert_eq!(
        info.signature,
        "async fn get_invoice(&self, id: u64, ctx: &Context) -> Result<Json<Invoice>, Error>"
    );
    assert_eq!(info.params, [TypedValue { what: "params.id".into(), ty: "`u64`".into() }]);
    assert_eq!(
        info.templates,
        [TypedValue {
            what: "{{ tasks.create_invoice.body.id }}".into(),
            ty: "`u64` (from `post_invoice`)".into()
        }]
    );
    let info = p.task_info(flow, text.find("alert_sales:").unwrap() + 2).unwrap();
    let tys: Vec<&str> = info.templates.iter().map(|t| t.ty.as_str()).collect();
    assert_eq!(
        tys,
        [
            "a value of the run's conf (any JSON)",
            "the HTTP status (integer)",
            "`Invoice` (from `post_invoice`)"
        ]
    );
}

#[test]
fn add_entry_for_a_route_a_workflow_task_calls() {
    let copy = support::TempProject::copy_of(&support::example());
    let flow = "workflows/lines.cws.yml";
    copy.write(flow, "tasks:\n  lines:\n    service: billing\n    path: /invoice/{{ conf.id }}/lines\n    query:\n      page: 2\n");
    let mut p = copy.load();
    // Offered anywhere on the task, as a refactoring (and as the fix of its CWS041).
    let at = p.source(Path::new(flow)).unwrap().text().find("lines:").unwrap();
    let actions = p.refactorings(Path::new(flow), at, at);
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0].title, "Add entry `get_invoice_lines` for `GET /invoice/{id}/lines` to `billing`");
    let edit = &actions[0].edits[0];
    let main = edit.file.clone();
    let new = apply_edits(p.source(&main).unwrap().text(), &[edit]);
    assert!(
        new.contains("    #[entry(path = \"/invoice/{id}/lines\")]\n    fn get_invoice_lines(&self, id: String, #[query] page: Option<String>) -> Result<String, Error> {\n        Err(Error::internal(\"not implemented yet\"))\n    }\n}\n"),
        "{new}"
    );
    // The stub is valid Rust answering the route: the workflow is clean.
    p.set_file_text(&main, &new);
    let left: Vec<_> =
        p.diagnostics(None).into_iter().filter(|d| d.file == Path::new(flow) || d.file == main).collect();
    assert!(left.is_empty(), "{left:#?}");
}

/// A project of more services than a completion list holds: the `service:` list holds those
/// matching what is typed (starting with it first, then its letters in order), at most
/// `LIST_LIMIT`, and says it is incomplete; a shorter list is the whole (above: every service).
#[test]
fn service_completion_is_bounded_in_a_large_project() {
    use coworks_core::assist::completion::{complete_list, LIST_LIMIT};
    let mut project = Project::empty("many");
    for i in 0..LIST_LIMIT + 50 {
        let text = format!("/// Service {i}.\n#[coworks::service]\nimpl S{i} {{\n    #[entry]\n    fn get_a(&self) -> u64 {{ 1 }}\n}}\n");
        project.set_file_text(Path::new(&format!("services/s{i}/src/main.rs")), &text);
    }
    let list = |text: &str| {
        let offset = text.find('|').expect("| marks the cursor");
        complete_list(&project, Path::new(FLOW), &text.replacen('|', "", 1), offset)
    };
    let found = list("tasks:\n  a:\n    service: s12|\n");
    assert!(found.incomplete);
    let labels: Vec<&str> = found.items.iter().map(|i| i.label.as_str()).collect();
    let starting: Vec<String> =
        std::iter::once("s12".to_string()).chain((120..130).map(|i| format!("s{i}"))).collect();
    assert_eq!(labels[..starting.len()], starting, "{labels:?}");
    // Then those holding `s`, `1`, `2` in order (`s102`), and nothing else.
    assert!(labels.contains(&"s102") && !labels.contains(&"s13"), "{labels:?}");
    let s12 = &found.items[0];
    assert_eq!((s12.detail.as_deref(), s12.docs.as_deref()), (Some("1 entries ()"), Some("Service 12.")));
    // Nothing typed: the first `LIST_LIMIT`, still incomplete.
    let found = list("tasks:\n  a:\n    service: |\n");
    assert_eq!((found.items.len(), found.incomplete), (LIST_LIMIT, true));
    // Other positions are whole lists.
    assert!(!list("tasks:\n  a:\n    service: s1\n    |\n").incomplete);
}

/// What a list says of each service without assembling it is what the assembled services say.
#[test]
fn service_summaries_agree_with_the_services() {
    for project in [&*ESHOP, &Project::load(support::blueprint_project()).expect("loads")] {
        let summaries: Vec<(String, usize, std::path::PathBuf, String)> = project
            .service_summaries()
            .map(|s| (s.name.to_string(), s.entries, s.crate_dir.to_path_buf(), s.docs.to_string()))
            .collect();
        let services: Vec<(String, usize, std::path::PathBuf, String)> = project
            .services(None)
            .into_iter()
            .map(|s| (s.name, s.entries.len(), s.crate_dir, s.docs))
            .collect();
        assert_eq!(summaries, services);
        assert!(!services.is_empty());
    }
}
