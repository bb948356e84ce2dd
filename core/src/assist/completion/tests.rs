//! Completion as data: a text with `|` where the cursor is, in a file of the example project, and
//! the labels offered (in order, `…` meaning more may follow) with what one of them inserts.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use super::*;

static ESHOP: LazyLock<Project> = LazyLock::new(|| {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/eshop");
    Project::load(root).expect("the example project loads")
});

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
            labels: &["path", "stage", "stages", "no_auth", "binary_headers"],
            accept: Some((
                "path",
                "#[coworks::service]\nimpl Billing {\n    #[entry(stage = \"dev\", path = \"/$1\")]\n    fn get_x(&self) {}\n}\n",
            )),
        },
        Case { file: RUST, text: "#[coworks::service(na|)]\nimpl Billing {}\n", labels: &["name"], accept: None },
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
        // Workflows: keys, services, routes (method-aware), params, query, body fields, tasks.
        Case {
            file: FLOW,
            text: "tasks:\n  a:\n    service: billing\n    |\n",
            labels: &["description", "method", "path", "params", "query", "json", "async", "after", "…"],
            accept: None,
        },
        Case { file: FLOW, text: "tasks:\n  a:\n    service: b|\n", labels: &["billing", "catalog", "mailer"], accept: None },
        Case {
            file: FLOW,
            text: "tasks:\n  a:\n    service: billing\n    method: POST\n    path: /|\n",
            labels: &["POST /invoice"],
            accept: Some(("POST /invoice", "tasks:\n  a:\n    service: billing\n    method: POST\n    path: /invoice\n")),
        },
        Case {
            file: FLOW,
            text: "tasks:\n  a:\n    service: billing\n    path: |\n",
            labels: &["GET /invoice/{id}", "GET /invoices", "POST /invoice", "GET /invoice/pdf/{id}", "DELETE /invoice/{id}", "GET /health", "GET /debug/state"],
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

#[test]
fn the_config_keys_are_the_schema_tables() {
    // Every key the reader accepts is offered somewhere, and only those: one list of keys.
    use crate::config::schema::{COMMANDS, SERVICE_KEYS, TOP_KEYS, WORKSPACE_KEYS};
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
