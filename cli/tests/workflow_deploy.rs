//! `cws workflow deploy` without an Airflow: the `--print` script as a snapshot (no token in it),
//! the DAGs written, and bad input refused clearly. The deployment is the Terraform state and
//! record `cws deploy` leaves ([`support::fake_deployment`]). The REST API path runs against a real
//! Airflow 3 API server in `workflow_run.rs`.

use std::path::Path;

mod support;

use support::{cws_command, example, fake_deployment, text, TempProject};

/// The e-shop deployed to stage dev at API Gateway-like URLs, its S3 through an emulator.
fn deployed_eshop() -> TempProject {
    let project = TempProject::copy_of(&example());
    let urls: Vec<(&str, String)> = ["billing", "catalog", "mailer"]
        .into_iter()
        .map(|s| (s, format!("https://{s}.execute-api.eu-west-1.amazonaws.com/dev/")))
        .collect();
    fake_deployment(project.path(), "dev", &urls, Some("http://127.0.0.1:5000"));
    project
}

fn deploy(project: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let o = cws_command()
        .current_dir(project)
        .args(["workflow", "deploy"])
        .args(args)
        .env_remove("CWS_AIRFLOW_URL")
        .output()
        .expect("cws runs");
    (o.status.code(), text(&o.stdout), text(&o.stderr))
}

/// Compares `actual` with the file `tests/expected/<name>` (`UPDATE_EXPECT=1` rewrites it).
fn assert_expected(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expected").join(name);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(actual, expected, "{} differs (UPDATE_EXPECT=1 rewrites it)", path.display());
}

#[test]
fn print_writes_the_dags_and_a_script_without_the_token() {
    let project = deployed_eshop();
    let dags = project.path().join("out/dags");
    let (code, out, err) = deploy(project.path(), &["-s", "dev", "--print", "--dags", "out/dags"]);
    assert_eq!(code, Some(0), "{err}");
    assert_expected("workflow_deploy_print.sh", &out);
    assert!(!out.contains("dev-token") && !err.contains("dev-token"), "the token is never printed");
    assert!(err.contains("invoicing_dev.py") && err.contains("none is printed"), "{err}");
    for file in ["invoicing_dev.py", "catalog_update_dev.py", "coworks_airflow/operators.py"] {
        assert!(dags.join(file).is_file(), "{file} written");
    }

    // A DAG bundle of their own: the same files, and the bundle's configuration entry.
    let (code, _, err) = deploy(project.path(), &["-s", "dev", "--print", "--bundle", "out/bundle"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(project.path().join("out/bundle/invoicing_dev.py").is_file());
    assert!(
        err.contains("DAG bundle `cws_dev`")
            && err.contains("\"classpath\":\"airflow.dag_processing.bundles.local.LocalDagBundle\""),
        "{err}"
    );
}

#[test]
fn bad_input_is_refused_clearly() {
    let project = deployed_eshop();
    let p = project.path();
    let (code, _, err) = deploy(p, &["-s", "dev"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("`--airflow URL` (or CWS_AIRFLOW_URL)") && err.contains("`--print`"), "{err}");
    let (code, _, err) = deploy(p, &["-s", "dev", "--print", "--dags", "a", "--bundle", "b"]);
    assert_eq!(code, Some(2), "{err}");
    let (code, _, err) = deploy(p, &["-s", "prod", "--print"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("stage `prod` is not deployed from this directory: run `cws deploy -s prod`"),
        "{err}"
    );
    let (code, _, err) = deploy(p, &["-s", "nope", "--print"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("nope"), "{err}");

    // A service the workflows call that has no deployed API: named, nothing written.
    let partial = TempProject::copy_of(&example());
    let urls = [("billing", "https://b.example/dev".to_string())];
    fake_deployment(partial.path(), "dev", &urls, None);
    let (code, out, err) = deploy(partial.path(), &["-s", "dev", "--print", "--dags", "out"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("the workflows call `catalog`, `mailer` with no deployed API in stage `dev`"),
        "{err}"
    );
    assert!(!partial.path().join("out").exists(), "nothing written");

    // An Airflow that does not answer: said, nothing written.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{closed}");
    let (code, _, err) = deploy(p, &["-s", "dev", "--airflow", &url, "--dags", "out2"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains(&format!("no answer from {url}/auth/token")), "{err}");
    assert!(!p.join("out2").exists(), "nothing written");
}

/// The e-shop deployed to stage dev with the catalog and the mailer requiring their API keys.
fn deployed_with_api_keys() -> TempProject {
    let project = deployed_eshop();
    let mut config = std::fs::read_to_string(project.path().join("project.cws.yml")).unwrap();
    for service in ["catalog", "mailer"] {
        let plain = format!("  {service}:\n    path: services/{service}\n");
        assert!(config.contains(&plain), "{service}");
        config = config.replace(&plain, &format!("{plain}    commands: {{ deploy: {{ api_key: true }} }}\n"));
    }
    project.write("project.cws.yml", config);
    project
}

#[test]
fn each_service_gets_its_own_api_key() {
    let project = deployed_with_api_keys();
    let p = project.path();
    let keys = ["CWS_API_KEY", "CWS_API_KEY_BILLING", "CWS_API_KEY_CATALOG", "CWS_API_KEY_MAILER"];
    let deploy_with = |args: &[&str], vars: &[(&str, &str)]| {
        let mut cmd = cws_command();
        cmd.current_dir(p).args(["workflow", "deploy"]).args(args).env_remove("CWS_AIRFLOW_URL");
        for k in keys {
            cmd.env_remove(k);
        }
        let o = cmd.envs(vars.iter().copied()).output().expect("cws runs");
        (o.status.code(), text(&o.stdout), text(&o.stderr))
    };
    // To Airflow's API: a service without its key stops it before Airflow is asked, naming both
    // variables; the mailer's own variable is enough for it.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{closed}");
    let args = ["-s", "dev", "--airflow", &url, "--dags", "out"];
    let (code, _, err) = deploy_with(&args, &[("CWS_API_KEY_MAILER", "k3yMail")]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("cws_catalog_dev: set `CWS_API_KEY_CATALOG` (or `CWS_API_KEY`, for every service)"),
        "{err}"
    );
    assert!(!err.contains("cws_mailer_dev") && !err.contains("cws_billing_dev"), "{err}");
    assert!(!p.join("out").exists(), "nothing written");
    let (code, _, err) = deploy_with(&args, &[("CWS_API_KEY", "k3yAll"), ("CWS_API_KEY_MAILER", "k3yMail")]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&format!("no answer from {url}/auth/token")),
        "with both keys, Airflow is asked: {err}"
    );

    // `--print`: the script reads each service's key when it runs (a stand-in `airflow` shows the
    // connections it would add), the catalog's from `CWS_API_KEY`, the mailer's from its own.
    let (code, script, err) = deploy_with(&["-s", "dev", "--print", "--dags", "out"], &[]);
    assert_eq!(code, Some(0), "{err}");
    let run = |vars: &[(&str, &str)]| {
        let mut sh = std::process::Command::new("sh");
        sh.args(["-c", &format!("airflow() {{ printf '%s\\n' \"$*\"; }}\nCWS_TOKEN=t\n{script}")]);
        for k in keys {
            sh.env_remove(k);
        }
        let o = sh.envs(vars.iter().copied()).output().expect("sh runs");
        (o.status.success(), text(&o.stdout), text(&o.stderr))
    };
    let (ok, out, err) = run(&[("CWS_API_KEY", "k3yAll"), ("CWS_API_KEY_MAILER", "k3yMail")]);
    assert!(ok, "{err}");
    let added =
        |id: &str| out.lines().find(|l| l.starts_with(&format!("connections add {id} "))).unwrap_or("");
    assert!(added("cws_catalog_dev").contains(r#"--conn-extra {"api_key": "k3yAll"}"#), "{out}");
    assert!(added("cws_mailer_dev").contains(r#"--conn-extra {"api_key": "k3yMail"}"#), "{out}");
    assert!(!added("cws_billing_dev").is_empty() && !added("cws_billing_dev").contains("api_key"), "{out}");
    let (ok, out, err) = run(&[("CWS_API_KEY_CATALOG", "k3yCat")]);
    assert!(!ok && !out.contains("connections"), "stopped before any change: {out}");
    assert!(err.contains("set `CWS_API_KEY_MAILER` (or `CWS_API_KEY`, for every service)"), "{err}");
}
