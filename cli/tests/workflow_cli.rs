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

/// A cloned repository cannot make `cws workflow build` write outside the project: `airflow_dags`
/// leading out is refused (`CWS051`) unless the directory is given with `-o`; links already in the
/// DAGs directory are replaced, not followed, and a linked directory on the way is refused.
#[test]
fn build_writes_only_inside_the_project_unless_told_where() {
    let outside = tempfile::tempdir().unwrap();
    let project = TempProject::copy_of(&example());
    let p = project.path().to_str().unwrap();
    let config = std::fs::read_to_string(project.path().join("project.cws.yml")).unwrap();
    let escape = format!("../{}", outside.path().file_name().unwrap().to_str().unwrap());
    let target = project.path().join(&escape);
    assert_eq!(target.canonicalize().unwrap(), outside.path().canonicalize().unwrap());
    project.write(
        "project.cws.yml",
        config.replacen(
            "\ncommands:\n",
            &format!("\ncommands:\n  workflow: {{ airflow_dags: \"{escape}\" }}\n"),
            1,
        ),
    );
    let o = cws(&["workflow", "build", "-p", p, "-s", "dev"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    let err = text(&o.stderr);
    assert!(err.contains("error[CWS051]") && err.contains("no DAG written"), "{err}");
    assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none(), "nothing written outside");
    let o = cws(&["check", "-p", p, "-s", "dev"]);
    assert!(text(&o.stdout).contains("error[CWS051]"), "{}", text(&o.stdout));
    // Named on the command line, the same directory is the user's choice.
    let o = cws(&["workflow", "build", "-p", p, "-s", "dev", "-o", outside.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(outside.path().join("invoicing_dev.py").is_file());

    #[cfg(unix)]
    {
        project.write("project.cws.yml", &config);
        let victim = outside.path().join("victim.txt");
        std::fs::write(&victim, "precious\n").unwrap();
        let dags = project.path().join("airflow/dags");
        std::fs::create_dir_all(&dags).unwrap();
        std::os::unix::fs::symlink(&victim, dags.join("invoicing_dev.py")).unwrap();
        let o = cws(&["workflow", "build", "-p", p, "-s", "dev"]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n", "the link's target is untouched");
        let written = std::fs::symlink_metadata(dags.join("invoicing_dev.py")).unwrap();
        assert!(written.is_file(), "the link was replaced by the DAG");

        std::fs::remove_dir_all(dags.join("coworks_airflow")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dags.join("coworks_airflow")).unwrap();
        let before: Vec<_> =
            std::fs::read_dir(outside.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        let o = cws(&["workflow", "build", "-p", p, "-s", "dev"]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
        assert!(text(&o.stderr).contains("a link is not followed"), "{}", text(&o.stderr));
        let after: Vec<_> =
            std::fs::read_dir(outside.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(before, after, "nothing written through the linked directory");
    }
}
