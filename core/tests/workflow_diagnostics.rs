//! Workflow files checked against the example project's real services, as the editor and
//! `cws check` see them: one test per diagnostic, plus preview and go-to-definition.

use std::path::{Path, PathBuf};

use coworks_core::{DiagnosticCode, Project};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/eshop")
}

const FILE: &str = "workflows/test.cws.yml";

/// The example project with one more workflow file holding `text`.
fn with_workflow(text: &str) -> Project {
    let mut p = Project::load(example()).expect("example loads");
    assert!(p.set_file_text(Path::new(FILE), text));
    p
}

/// The diagnostics of the test workflow (stage given or all), as (code, 0-based line, message).
fn diags_in(p: &Project, stage: Option<&str>) -> Vec<(DiagnosticCode, u32, String)> {
    p.diagnostics(stage)
        .into_iter()
        .filter(|d| d.file == Path::new(FILE))
        .map(|d| (d.code, d.span.start.line, d.message))
        .collect()
}

fn diags(text: &str) -> Vec<(DiagnosticCode, u32, String)> {
    diags_in(&with_workflow(text), None)
}

/// Asserts exactly one diagnostic, with this code, on this line, whose message contains `part`.
fn one(text: &str, code: DiagnosticCode, line: u32, part: &str) {
    let d = diags(text);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!((d[0].0, d[0].1), (code, line), "{d:#?}");
    assert!(d[0].2.contains(part), "`{part}` not in `{}`", d[0].2);
}

#[test]
fn the_example_workflows_are_clean_in_every_stage() {
    let p = Project::load(example()).unwrap();
    assert_eq!(p.workflows().count(), 2);
    for stage in [None, Some("dev"), Some("test"), Some("prod")] {
        let d: Vec<_> =
            p.diagnostics(stage).into_iter().filter(|d| d.file.starts_with("workflows")).collect();
        assert!(d.is_empty(), "{stage:?}: {d:#?}");
    }
}

#[test]
fn concrete_and_templated_paths_match_route_templates() {
    let text = "\
tasks:
  a: { service: billing, method: GET, path: /invoice/42 }
  b: { service: billing, path: '/invoice/{{ conf.id }}' }
  c: { service: billing, path: /invoice/pdf/7 }
  d: { service: billing, path: '/invoice/{id}', params: { id: 3 } }
  e: { service: catalog, path: /categories/tea/products }
  f: { service: billing, method: delete, path: /invoice/1 }
";
    assert!(diags(text).is_empty(), "{:#?}", diags(text));
    let p = with_workflow(text);
    let preview = p.workflow_preview(Path::new(FILE)).unwrap();
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
fn yaml_syntax_errors() {
    let d = diags("tasks:\n  a: [\n");
    assert!(d.iter().any(|(c, _, _)| *c == DiagnosticCode::WorkflowSyntax), "{d:#?}");
}

#[test]
fn schema_errors_suggest_keys() {
    one(
        "tasks:\n  a:\n    service: billing\n    path: /health\n    retires: 2\n",
        DiagnosticCode::WorkflowSchema,
        4,
        "did you mean `retries`?",
    );
    one(
        "tasks:\n  a: { service: billing, path: /health, method: FETCH }\n",
        DiagnosticCode::WorkflowSchema,
        1,
        "FETCH",
    );
    one("tasks:\n  a: { path: /health }\n", DiagnosticCode::WorkflowSchema, 1, "needs `service`");
    one(
        "tasks:\n  a__b: { service: billing, path: /health }\n",
        DiagnosticCode::WorkflowSchema,
        1,
        "not a name",
    );
    let d = diags("tsks: {}\n");
    assert!(d.iter().any(|x| x.2.contains("did you mean `tasks`?")), "{d:#?}");
    one(
        "tasks:\n  a: { service: billing, path: '/invoice/{{ conf }}' }\n",
        DiagnosticCode::WorkflowSchema,
        1,
        "bad template",
    );
}

#[test]
fn duplicate_task_ids_are_schema_errors() {
    let d =
        diags("tasks:\n  a: { service: billing, path: /health }\n  a: { service: billing, path: /health }\n");
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!((d[0].0, d[0].1), (DiagnosticCode::WorkflowSchema, 2));
    assert!(d[0].2.contains("duplicate key `a`"), "{d:#?}");
}

#[test]
fn unknown_service_suggests_the_closest() {
    one(
        "tasks:\n  a: { service: biling, path: /health }\n",
        DiagnosticCode::WorkflowUnknownService,
        1,
        "did you mean `billing`?",
    );
}

#[test]
fn unknown_entry_suggests_a_real_route() {
    let text = "tasks:\n  a:\n    service: billing\n    method: POST\n    path: /invoices\n    json: {}\n";
    one(text, DiagnosticCode::WorkflowUnknownEntry, 4, "did you mean `POST /invoice`?");
    let d = with_workflow(text).diagnostics(None);
    let d = d.iter().find(|d| d.code == DiagnosticCode::WorkflowUnknownEntry).unwrap();
    assert_eq!(d.related[0].file, Path::new("services/billing/src/main.rs"));
    one(
        "tasks:\n  a: { service: billing, method: PUT, path: /invoice/1 }\n",
        DiagnosticCode::WorkflowUnknownEntry,
        1,
        "has no entry `PUT /invoice/1`",
    );
}

#[test]
fn entries_of_other_stages_are_unknown_in_a_stage() {
    let p = with_workflow("tasks:\n  a: { service: mailer, path: /outbox }\n");
    assert!(diags_in(&p, Some("dev")).is_empty());
    let prod = diags_in(&p, Some("prod"));
    assert_eq!(prod.len(), 1, "{prod:#?}");
    assert_eq!(prod[0].0, DiagnosticCode::WorkflowUnknownEntry);
    assert!(prod[0].2.contains("exists only in stage dev, test"), "{}", prod[0].2);
}

#[test]
fn missing_and_unknown_parameters() {
    one(
        "tasks:\n  a: { service: billing, path: '/invoice/{id}' }\n",
        DiagnosticCode::WorkflowParams,
        1,
        "no value for `{id}`",
    );
    let d = diags("tasks:\n  a: { service: billing, path: '/invoice/{id}', params: { id: 1, num: 2 } }\n");
    assert_eq!(d.len(), 1, "{d:#?}");
    assert!(d[0].2.contains("`num` is not a `{param}`"), "{d:#?}");
    one(
        "tasks:\n  a:\n    service: billing\n    path: /invoices\n    query: { pag: 2 }\n",
        DiagnosticCode::WorkflowParams,
        4,
        "did you mean `page`?",
    );
    one(
        "tasks:\n  a: { service: billing, method: POST, path: /invoice }\n",
        DiagnosticCode::WorkflowParams,
        1,
        "takes a `NewInvoice` body",
    );
    one(
        "tasks:\n  a: { service: billing, method: POST, path: /invoice, json: { customer: x, amount_cents: 1 }, query: { x: 1 } }\n",
        DiagnosticCode::WorkflowParams,
        1,
        "has no query parameter `x` (it takes none)",
    );
}

#[test]
fn a_body_sent_to_a_get() {
    one(
        "tasks:\n  a:\n    service: billing\n    path: /invoice/1\n    json: { x: 1 }\n",
        DiagnosticCode::WorkflowBodyOnGet,
        4,
        "GET",
    );
}

#[test]
fn unknown_tasks_in_templates_edges_and_branches() {
    let text = "\
tasks:
  a:
    service: billing
    path: /health
    on_success: [bb]
  b:
    service: billing
    path: '/invoice/{{ tasks.aa.body.id }}'
    after: [a]
";
    let d = diags(text);
    assert_eq!(d.len(), 2, "{d:#?}");
    assert!(d.iter().all(|x| x.0 == DiagnosticCode::WorkflowUnknownTask), "{d:#?}");
    assert!(d[0].2.contains("did you mean `b`?") && d[0].1 == 4, "{d:#?}");
    assert!(d[1].2.contains("task `aa`") && d[1].2.contains("did you mean `a`?") && d[1].1 == 7, "{d:#?}");
    // The span is the template itself, inside the quoted value.
    let p = with_workflow(text);
    let diag = p.diagnostics(None).into_iter().find(|d| d.message.contains("task `aa`")).unwrap();
    assert_eq!(diag.span.start.col, 20);
    assert_eq!(diag.span.end.col, 20 + "{{ tasks.aa.body.id }}".len() as u32);
}

#[test]
fn templates_must_read_upstream_tasks() {
    one(
        "tasks:\n  a: { service: billing, path: /health }\n  b: { service: billing, path: '/invoice/{{ tasks.a.body }}' }\n",
        DiagnosticCode::WorkflowNotUpstream,
        2,
        "add `after: [a]`",
    );
}

#[test]
fn cycles_and_tasks_behind_them() {
    let text = "\
tasks:
  a: { service: billing, path: /health, after: [b] }
  b: { service: billing, path: /health, after: [a] }
  c: { service: billing, path: /health, after: [b] }
  d: { service: billing, path: /health }
";
    let d = diags(text);
    assert_eq!(d.len(), 2, "{d:#?}");
    assert_eq!(d[0].0, DiagnosticCode::WorkflowCycle);
    assert!(d[0].2.contains("a → b → a"), "{d:#?}");
    assert_eq!((d[1].0, d[1].1), (DiagnosticCode::WorkflowUnreachable, 3), "{d:#?}");
    one(
        "tasks:\n  a: { service: billing, path: /health, on_failure: [a] }\n",
        DiagnosticCode::WorkflowCycle,
        1,
        "a → a",
    );
}

#[test]
fn async_calls_need_a_results_bucket() {
    let text = "tasks:\n  a: { service: billing, path: /invoices, async: true }\n";
    assert!(diags(text).is_empty());
    let mut p = with_workflow(text);
    let config = std::fs::read_to_string(example().join("project.cws.yml")).unwrap();
    let without = config.replace("    bucket: eshop-async-results\n", "");
    assert_ne!(config, without);
    p.set_file_text(Path::new("project.cws.yml"), &without);
    let d = diags_in(&p, Some("dev"));
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!((d[0].0, d[0].1), (DiagnosticCode::WorkflowNoResultsBucket, 1));
    // A stage's own bucket is enough for that stage.
    let staged =
        without.replace("  test:\n", "  test:\n    commands: { deploy: { bucket: test-results } }\n");
    p.set_file_text(Path::new("project.cws.yml"), &staged);
    assert!(diags_in(&p, Some("test")).is_empty());
    assert!(diags_in(&p, None)[0].2.contains("stage dev, prod"), "{:#?}", diags_in(&p, None));
}

#[test]
fn edits_and_removal_re_analyse_the_file() {
    let mut p = with_workflow("tasks:\n  a: { service: biling, path: /health }\n");
    assert_eq!(diags_in(&p, None).len(), 1);
    p.set_file_text(Path::new(FILE), "tasks:\n  a: { service: billing, path: /health }\n");
    assert!(diags_in(&p, None).is_empty());
    p.set_file_text(Path::new(FILE), "tasks:\n  a: { service: biling, path: /health }\n");
    assert!(p.remove_file(Path::new(FILE)));
    assert!(diags_in(&p, None).is_empty());
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
