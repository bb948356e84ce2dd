//! `cws workflow` as a user runs it: previews, builds, and what `cws check` says about workflows.

mod support;

use support::{cws, example, text, TempProject};

#[test]
fn preview_prints_the_mermaid_graph_or_json() {
    let file = example().join("workflows/invoicing.cws.yml");
    let o = cws(&["workflow", "preview", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.starts_with("flowchart TD\n"), "{out}");
    assert!(out.contains("create_invoice -->|on_success| fetch_invoice"), "{out}");
    let o = cws(&["workflow", "preview", "--json", file.to_str().unwrap()]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["graph"]["nodes"][1]["rust_name"], "get_invoice");
    let o = cws(&["workflow", "preview", "project.cws.yml", "-p", example().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("is not a workflow"), "{}", text(&o.stderr));
}

#[test]
fn build_writes_one_dag_per_workflow_and_refuses_broken_workflows() {
    let project = TempProject::copy_of(&example());
    let p = project.path().to_str().unwrap();
    let o = cws(&["workflow", "build", "-p", p, "-s", "test"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let dags = project.path().join("airflow/dags");
    for f in ["invoicing_test.py", "catalog_update_test.py", "coworks_airflow/operators.py", ".airflowignore"]
    {
        assert!(dags.join(f).is_file(), "{f}");
    }
    assert!(text(&o.stdout).contains("invoicing_test.py"));

    let o = cws(&["workflow", "build", "-p", p, "-s", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("unknown stage `nope`"));

    project.write(
        "workflows/broken.cws.yml",
        "tasks:\n  a: { service: billing, method: POST, path: /invoices, json: {} }\n",
    );
    let out = tempfile::tempdir().unwrap();
    let o = cws(&["workflow", "build", "-p", p, "-o", out.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("workflows/broken.cws.yml:2:") && err.contains("error[CWS041]"), "{err}");
    assert!(err.contains("did you mean `POST /invoice`?"), "{err}");
    assert!(std::fs::read_dir(out.path()).unwrap().next().is_none(), "nothing written");

    // `cws check` reports the same problem, with the exit code of errors.
    let o = cws(&["check", "-p", p]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("error[CWS041]"), "{}", text(&o.stdout));
}
