//! Workflows beyond their diagnostics (those are the fixture projects' `expected.txt`, see
//! `fixture_projects.rs`): the example's workflows, spans, edits, preview and go-to-definition.

mod support;

use std::path::Path;

use coworks_core::{DiagnosticCode, Project};
use support::example;

const FILE: &str = "workflows/test.cws.yml";

/// The example project with one more workflow file holding `text`.
fn with_workflow(text: &str) -> Project {
    let mut p = Project::load(example()).expect("example loads");
    assert!(p.set_file_text(Path::new(FILE), text));
    p
}

/// The codes of the diagnostics of the test workflow.
fn codes_in(p: &Project) -> Vec<DiagnosticCode> {
    p.diagnostics(None).into_iter().filter(|d| d.file == Path::new(FILE)).map(|d| d.code).collect()
}

#[test]
fn the_example_workflows_are_clean_in_every_stage() {
    let p = Project::load(example()).unwrap();
    assert_eq!(p.workflows().count(), 4);
    for stage in [None, Some("dev"), Some("test"), Some("prod")] {
        let d: Vec<_> =
            p.diagnostics(stage).into_iter().filter(|d| d.file.starts_with("workflows")).collect();
        assert!(d.is_empty(), "{stage:?}: {d:#?}");
    }
}

#[test]
fn concrete_and_templated_paths_call_the_entries_of_their_route_templates() {
    let p = Project::load(support::fixture("workflows")).unwrap();
    let preview = p.workflow_preview(Path::new("workflows/concrete_paths.cws.yml")).unwrap();
    let rust: Vec<_> = preview.graph.nodes.iter().map(|n| n.rust_name.clone().unwrap_or_default()).collect();
    assert_eq!(
        rust,
        [
            "get_invoice",
            "get_invoice",
            "get_invoice_pdf",
            "get_invoice",
            "get_category_products",
            "delete_invoice"
        ]
    );
}

#[test]
fn a_template_diagnostic_spans_the_template_inside_the_quoted_value() {
    let p = Project::load(support::fixture("workflows")).unwrap();
    let diag = p.diagnostics(None).into_iter().find(|d| d.message.contains("task `aa`")).unwrap();
    assert_eq!(diag.file, Path::new("workflows/unknown_tasks.cws.yml"));
    assert_eq!(diag.span.start.col, 20);
    assert_eq!(diag.span.end.col, 20 + "{{ tasks.aa.body.id }}".len() as u32);
}

#[test]
fn edits_and_removal_re_analyse_the_file() {
    let mut p = with_workflow("tasks:\n  a: { service: biling, path: /health }\n");
    assert_eq!(codes_in(&p), [DiagnosticCode::WorkflowUnknownService]);
    p.set_file_text(Path::new(FILE), "tasks:\n  a: { service: billing, path: /health }\n");
    assert!(codes_in(&p).is_empty());
    p.set_file_text(Path::new(FILE), "tasks:\n  a: { service: biling, path: /health }\n");
    assert!(p.remove_file(Path::new(FILE)));
    assert!(codes_in(&p).is_empty());
    assert!(p.workflow_preview(Path::new(FILE)).is_none());
    // Only `workflows/*.cws.yml` are workflows.
    assert!(!p.set_file_text(Path::new("other/x.cws.yml"), "tasks: {}"));
}

#[test]
fn go_to_definition_from_tasks_and_references() {
    let p = Project::load(example()).unwrap();
    let rel = Path::new("workflows/invoicing.cws.yml");
    let text = std::fs::read_to_string(example().join(rel)).unwrap();
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle}")) + 2;
    // The task's path → the entry method in the service's source.
    let loc = p.workflow_definition(rel, at("path: /invoice/{id}")).unwrap();
    assert_eq!(loc.file, Path::new("services/billing/src/main.rs"));
    let src = std::fs::read_to_string(example().join(&loc.file)).unwrap();
    assert_eq!(&src[loc.span.start.offset..loc.span.end.offset], "get_invoice");
    // A task named in a branch → that task.
    let loc = p.workflow_definition(rel, at("alert_sales]")).unwrap();
    assert_eq!(loc.file, rel);
    assert_eq!(&text[loc.span.start.offset..loc.span.end.offset], "alert_sales");
    // A template reading a task → that task.
    let loc = p.workflow_definition(rel, at("tasks.create_invoice.body.id")).unwrap();
    assert_eq!(&text[loc.span.start.offset..loc.span.end.offset], "create_invoice");
    // The service's name → its `impl` block.
    let loc = p.workflow_definition(rel, at("service: mailer")).unwrap_or_else(|| panic!("service"));
    let at_service = text.find("service: mailer").unwrap() + "service: ".len() + 1;
    let loc2 = p.workflow_definition(rel, at_service).unwrap();
    assert_eq!(loc2.file, Path::new("services/mailer/src/main.rs"));
    let src = std::fs::read_to_string(example().join(&loc2.file)).unwrap();
    assert_eq!(&src[loc2.span.start.offset..loc2.span.end.offset], "Mailer");
    assert_eq!(loc.file, Path::new("services/mailer/src/main.rs"), "the key goes to the entry");
    // Outside any task: nothing.
    assert!(p.workflow_definition(rel, 0).is_none());
}

#[test]
fn preview_graph_and_mermaid() {
    let p = Project::load(example()).unwrap();
    let preview = p.workflow_preview(Path::new("workflows/invoicing.cws.yml")).unwrap();
    assert_eq!(preview.id, "invoicing");
    let json = serde_json::to_value(&preview).unwrap();
    let node = &json["graph"]["nodes"][0];
    assert_eq!(node["id"], "create_invoice");
    assert_eq!(node["service"], "billing");
    assert_eq!(node["method"], "POST");
    assert_eq!(node["route"], "POST /invoice");
    assert_eq!(node["location"]["file"], "services/billing/src/main.rs");
    assert_eq!(node["task_location"]["file"], "workflows/invoicing.cws.yml");
    assert!(json["graph"]["edges"].as_array().unwrap().iter().any(|e| e["from"] == "create_invoice"
        && e["to"] == "alert_sales"
        && e["kind"] == "on_failure"
        && e["label"] == "on_failure"));
    assert!(preview.mermaid.starts_with("flowchart TD\n"));
    assert!(
        preview.mermaid.contains("    create_invoice -->|on_failure| alert_sales\n"),
        "{}",
        preview.mermaid
    );
    assert!(preview.mermaid.contains("customer_invoices[/\""), "async calls are parallelograms");
}

#[test]
fn preview_draws_waits_fan_outs_and_python_tasks() {
    let p = Project::load(example()).unwrap();
    let preview = p.workflow_preview(Path::new("workflows/restock.cws.yml")).unwrap();
    let m = &preview.mermaid;
    assert!(m.contains("    store_products[[\"store_products<br/>catalog PUT /product/{{ item.sku }}<br/>for each {{ conf.products }}\"]]\n"), "{m}");
    assert!(m.contains("    first_in_catalog([\"first_in_catalog<br/>catalog GET /product/{{ conf.products.0.sku }}<br/>wait until 200, body.category = #quot;tea#quot;, every 1 s for at most 20 s\"])\n"), "{m}");
    assert!(m.contains("    batch_total{{\"batch_total<br/>python restock.batch_total\"}}\n"), "{m}");
    assert!(!m.contains("class batch_total unknown"), "a Python task calls no entry: {m}");
    let json = serde_json::to_value(&preview).unwrap();
    let node = |id: &str| {
        json["graph"]["nodes"].as_array().unwrap().iter().find(|n| n["id"] == id).cloned().unwrap()
    };
    assert_eq!(node("store_products")["for_each"], "{{ conf.products }}");
    assert_eq!(node("batch_total")["python"], "restock.batch_total");
    assert_eq!(
        node("first_in_catalog")["wait_until"],
        "until 200, body.category = \"tea\", every 1 s for at most 20 s"
    );
    assert_eq!(node("mail_buyers")["detail"], serde_json::Value::Null);
    assert_eq!(node("mail_buyers")["when"], serde_json::Value::Null, "no condition");
}

#[test]
fn preview_shows_conditions() {
    let p = Project::load(example()).unwrap();
    let preview = p.workflow_preview(Path::new("workflows/promotion.cws.yml")).unwrap();
    let json = serde_json::to_value(&preview).unwrap();
    let node = |id: &str| {
        json["graph"]["nodes"].as_array().unwrap().iter().find(|n| n["id"] == id).cloned().unwrap()
    };
    let announce = "tasks.read_product.body.price_cents >= 1000 and 'promo' in tasks.read_product.body.tags";
    assert_eq!(node("announce")["when"], announce);
    assert_eq!(node("announce")["detail"], format!("when {announce}"));
    assert_eq!(node("mark_down")["when"], serde_json::Value::Null, "run by announce's `else`");
    assert_eq!(node("report")["when"], serde_json::Value::Null);
    // `else` is an edge from the task whose condition chooses, drawn dotted in Mermaid.
    let edges = json["graph"]["edges"].as_array().unwrap();
    let otherwise: Vec<_> = edges.iter().filter(|e| e["kind"] == "else").collect();
    assert_eq!(otherwise.len(), 1, "{edges:#?}");
    assert_eq!(
        (&otherwise[0]["from"], &otherwise[0]["to"], &otherwise[0]["label"]),
        (&serde_json::json!("announce"), &serde_json::json!("mark_down"), &serde_json::json!("else"))
    );
    assert!(preview.mermaid.contains("    announce -.->|else| mark_down\n"), "{}", preview.mermaid);
}
