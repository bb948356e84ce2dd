//! Snapshots of the generated artifacts: the Terraform files of every stage of the example project
//! and of the deployment and blueprints' fixtures, the Airflow DAGs of the example's workflows per stage, and the
//! OpenAPI documents of the example's, the OpenAPI fixture's and the blueprints' fixture's services
//! per stage, and the typed clients (`cws client`) of the example's and the OpenAPI fixture's
//! services in dev.
//!
//! The files live under `tests/snapshots/<kind>/<project>/<stage>/<file>.snap`. After a meant
//! change of a generator, review the differences with `cargo insta review` (from `cargo install
//! cargo-insta`) or accept them all with `INSTA_UPDATE=always cargo test -p coworks-core --test
//! artifacts`, and read the diff before committing. `./scripts/test` runs with `INSTA_UPDATE=no`:
//! a difference fails the test and writes nothing.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use coworks_core::artifacts::{self, airflow, client, openapi, terraform};
use coworks_core::Project;

/// The example and its stages; the deployment fixture and its stages; the blueprints' fixture.
fn projects() -> [(&'static str, PathBuf, &'static [&'static str]); 3] {
    [
        ("eshop", support::example(), &["dev", "test", "prod"]),
        ("deploy_project", support::deploy_project(), &["dev", "http", "prod"]),
        ("blueprint_project", support::blueprint_project(), &["dev"]),
    ]
}

/// Stands for the SHA-256 of a service's package, which exists only after `cws build` on this
/// machine: the snapshots show where the hash goes, not one build's hash.
const PACKAGE_HASH: &str = "<base64 sha256 of bootstrap.zip>";

/// Every snapshot: its path under `tests/snapshots/` (without `.snap`) and the generated text.
fn generated() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for (name, dir, stages) in projects() {
        let project = Project::load(&dir).expect("project loads");
        for stage in stages {
            let (mut deployment, _) = artifacts::stage_deployment(&project, stage, &Default::default());
            for service in &mut deployment.services {
                service.package_hash = Some(PACKAGE_HASH.to_string());
            }
            for (file, text) in terraform::generate(&deployment) {
                out.push((Path::new("terraform").join(name).join(stage).join(file), text));
            }
            if name == "eshop" {
                let dags =
                    airflow::dags(&project, stage).expect("the example's DAGs").into_iter().filter(|f| {
                        f.path.extension().is_some_and(|e| e == "py")
                            && f.path.parent() == Some(Path::new(""))
                    });
                for f in dags {
                    out.push((Path::new("dags").join(name).join(stage).join(f.path), f.text));
                }
            }
            if name == "eshop" && *stage == "dev" {
                // The fixture workflows on the example's services: headers and a run-level
                // `on_failure` task (alerting); `when:` on a fan-out (decided by its items task), a
                // wait and a Python task (guarded); a deferrable wait (deferred: the sensor defers to
                // `CwsWaitTrigger`).
                let mut with = Project::load(&dir).expect("project loads");
                for (id, files) in [
                    (
                        "alerting",
                        vec![("alerting.cws.yml", include_str!("fixtures/workflows/alerting.cws.yml"))],
                    ),
                    (
                        "guarded",
                        vec![
                            ("guarded.cws.yml", include_str!("fixtures/workflows/guarded.cws.yml")),
                            ("guarded.py", include_str!("fixtures/workflows/guarded.py")),
                        ],
                    ),
                    (
                        "deferred",
                        vec![("deferred.cws.yml", include_str!("fixtures/workflows/deferred.cws.yml"))],
                    ),
                ] {
                    for (file, text) in files {
                        with.set_file_text(&Path::new("workflows").join(file), text);
                    }
                    let dag = airflow::dags(&with, stage)
                        .expect("the DAGs")
                        .into_iter()
                        .find(|f| f.path == Path::new(&format!("{id}_dev.py")));
                    let f = dag.unwrap_or_else(|| panic!("the {id} DAG"));
                    out.push((Path::new(&format!("dags/eshop_{id}")).join(stage).join(f.path), f.text));
                }
            }
        }
    }
    for (name, dir, stages) in [
        ("eshop", support::example(), &["dev", "test", "prod"][..]),
        ("openapi_project", support::openapi_project(), &["dev", "prod"][..]),
        ("blueprint_project", support::blueprint_project(), &["dev"][..]),
    ] {
        let project = Project::load(&dir).expect("project loads");
        for stage in stages {
            let (_, files) = openapi::files(&project, Some(stage)).expect("the stage's documents");
            for f in files {
                out.push((Path::new("openapi").join(name).join(stage).join(f.path), f.text));
            }
        }
    }
    for (name, dir) in [("eshop", support::example()), ("openapi_project", support::openapi_project())] {
        let project = Project::load(&dir).expect("project loads");
        for service in project.service_names() {
            for (lang, suffix) in [(client::Lang::TypeScript, "typescript"), (client::Lang::Rust, "rust")] {
                let files = client::files(&project, service, Some("dev"), lang).expect("the client");
                for f in files {
                    let file = f.path.to_string_lossy().replace('/', "__");
                    let path = Path::new("clients").join(name).join(format!("{service}-{suffix}")).join(file);
                    out.push((path, f.text));
                }
            }
        }
    }
    out
}

/// The `.snap` files under `dir`, relative to `root`, without the extension.
fn snapshot_files(root: &Path, dir: &Path, found: &mut BTreeSet<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            snapshot_files(root, &path, found);
        } else if path.extension().is_some_and(|e| e == "snap") {
            found.insert(path.strip_prefix(root).unwrap_or(&path).with_extension(""));
        }
    }
}

#[test]
fn generated_terraform_dags_and_openapi_match_their_snapshots() {
    let generated = generated();
    for (path, text) in &generated {
        let dir = Path::new("snapshots").join(path.parent().expect("a stage directory"));
        let name = path.file_name().and_then(|n| n.to_str()).expect("a file name");
        insta::with_settings!({ snapshot_path => dir, prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(name, text);
        });
    }
    // A file no generator writes any more leaves no stale snapshot behind.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut files = BTreeSet::new();
    snapshot_files(&root, &root, &mut files);
    let expected: BTreeSet<PathBuf> = generated.into_iter().map(|(p, _)| p).collect();
    let stale: Vec<_> = files.difference(&expected).collect();
    assert!(stale.is_empty(), "snapshots of files no longer generated (delete them): {stale:?}");
}
