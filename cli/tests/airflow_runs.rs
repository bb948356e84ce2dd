//! Generated DAGs run by Airflow 3 (`dag.test()`) against the example services served for real on
//! 127.0.0.1 and a moto S3 server on 127.0.0.1: a sync chain passing data between tasks, an async call
//! whose result is read back from S3, a branch taken on success and one on failure, a 204 branch, and
//! a wrong token failing its task with a clear message.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

mod airflow_env;
mod support;

use airflow_env::{airflow, command_in, python, stdout_json, AirflowEnv};
use support::cws;
use support::moto::Moto;

const TOKEN: &str = "dev-token";
const BUCKET: &str = "eshop-async-results";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A process killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// moto from the Airflow venv (the one robust start of `support/moto.rs`), the S3 of the async calls.
fn moto(env: &AirflowEnv) -> Moto {
    Moto::start_with(|| command_in(env, "moto_server"))
}

/// Builds the example services' binaries (once, with cargo) and returns the binaries' directory.
fn service_binaries() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let o = Command::new(cargo)
        .current_dir(workspace())
        .args(["build", "-q", "-p", "eshop-billing", "-p", "eshop-catalog", "-p", "eshop-mailer"])
        .output()
        .expect("cargo runs");
    assert!(
        o.status.success(),
        "building the example services (workspace members using the runtime crates of runtime/) failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join("debug")
}

/// Serves one example service on a free port of 127.0.0.1 with stage `dev`'s token.
fn service(bin_dir: &Path, name: &str, s3: &str) -> Server {
    let mut child = Command::new(bin_dir.join(format!("eshop-{name}")))
        .env("PORT", "0")
        .env("TOKEN", TOKEN)
        .env("CWS_STAGE", "dev")
        .env("AWS_ENDPOINT_URL_S3", s3)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("eshop-{name} starts: {e}"));
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let url = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(at) = line.find("listening on ") {
                    break line[at + "listening on ".len()..].trim().to_string();
                }
            }
            _ => {
                let _ = child.kill();
                panic!("eshop-{name} stopped before listening");
            }
        }
    };
    // Keep draining its logs so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Server { child, url }
}

fn http_conn(url: &str, token: &str) -> String {
    serde_json::json!({ "conn_type": "http", "host": url, "password": token }).to_string()
}

struct Run {
    result: serde_json::Value,
    output: String,
}

impl Run {
    fn state(&self, task: &str) -> &str {
        self.result["tasks"][task].as_str().unwrap_or("none")
    }
}

fn run_dag(
    env: &AirflowEnv,
    dags: &Path,
    dag_id: &str,
    conf: serde_json::Value,
    vars: &[(&str, String)],
) -> Run {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/airflow/run_dag.py");
    // `dag.test()` writes the DAG of the configured DAGs folder (the default bundle) to the database.
    let mut vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.push(("AIRFLOW__CORE__DAGS_FOLDER", dags.to_str().unwrap()));
    let start = Instant::now();
    let o =
        python(env, &[script.to_str().unwrap(), dags.to_str().unwrap(), dag_id, &conf.to_string()], &vars);
    eprintln!(
        "dag.test() of {dag_id} took {:.1} s (Python start and DAG parsing included)",
        start.elapsed().as_secs_f64()
    );
    let output = format!("{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    Run { result: stdout_json(&o), output }
}

fn outbox(mailer: &Server) -> serde_json::Value {
    let script = "import json, sys, urllib.request as u\n\
r = u.urlopen(u.Request(sys.argv[1] + '/outbox', headers={'Authorization': sys.argv[2]}))\n\
print('CWS-RESULT ' + r.read().decode())\n";
    stdout_json(&python(airflow(), &["-c", script, &mailer.url, TOKEN], &[]))
}

#[test]
fn dags_run_in_airflow_against_the_example_services() {
    let start = Instant::now();
    let env = airflow();
    eprintln!("Airflow ready (venv, migrated home) in {:.1} s", start.elapsed().as_secs_f64());
    let start = Instant::now();
    let bins = service_binaries();
    eprintln!("example services built in {:.1} s", start.elapsed().as_secs_f64());
    let s3 = moto(env);
    let made = python(
        env,
        &["-c", "import boto3, sys; boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing').create_bucket(Bucket=sys.argv[2])", &s3.url, BUCKET],
        &[],
    );
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let (billing, catalog, mailer) = (
        service(&bins, "billing", &s3.url),
        service(&bins, "catalog", &s3.url),
        service(&bins, "mailer", &s3.url),
    );

    let dags = tempfile::tempdir().unwrap();
    let example = workspace().join("examples/eshop");
    let o = cws(&[
        "workflow",
        "build",
        "-p",
        example.to_str().unwrap(),
        "-s",
        "dev",
        "-o",
        dags.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let aws = serde_json::json!({
        "conn_type": "aws", "login": "testing", "password": "testing",
        "extra": { "region_name": "us-east-1", "endpoint_url": s3.url },
    })
    .to_string();
    let vars = |billing_token: &str| {
        vec![
            ("AIRFLOW_CONN_CWS_BILLING_DEV", http_conn(&billing.url, billing_token)),
            ("AIRFLOW_CONN_CWS_CATALOG_DEV", http_conn(&catalog.url, TOKEN)),
            ("AIRFLOW_CONN_CWS_MAILER_DEV", http_conn(&mailer.url, TOKEN)),
            ("AIRFLOW_CONN_CWS_AWS_DEV", aws.clone()),
            ("AIRFLOW_VAR_CWS_RESULTS_BUCKET_DEV", BUCKET.to_string()),
        ]
    };

    // Success: create → fetch (reads the created id) → mail (reads the fetched invoice); the async
    // listing's result comes back through S3; the failure branch is skipped.
    let conf = serde_json::json!({ "customer": "ada", "email": "ada@example.com", "amount_cents": 4200 });
    let run = run_dag(env, dags.path(), "invoicing_dev", conf, &vars(TOKEN));
    let r = &run.result;
    assert_eq!(r["state"], "success", "{}", run.output);
    for (task, state) in [
        ("create_invoice", "success"),
        ("create_invoice__branch", "success"),
        ("fetch_invoice", "success"),
        ("mail_invoice", "success"),
        ("customer_invoices__call", "success"),
        ("customer_invoices__wait", "success"),
        ("customer_invoices", "success"),
        ("alert_sales", "skipped"),
    ] {
        assert_eq!(run.state(task), state, "{task}: {r:#}");
    }
    let created = &r["results"]["create_invoice"];
    assert_eq!(created["status"], 201, "{r:#}");
    assert_eq!(created["body"]["amount_cents"], 4200, "the conf's number stays a number");
    assert_eq!(r["results"]["fetch_invoice"]["body"], created["body"], "fetch read the created id");
    let listed = &r["results"]["customer_invoices"];
    assert_eq!(listed["status"], 200, "{r:#}");
    assert!(
        listed["body"].as_array().unwrap().iter().any(|i| i["id"] == created["body"]["id"]),
        "{listed:#}"
    );
    let id = created["body"]["id"].as_u64().unwrap();
    let mails = outbox(&mailer);
    assert!(
        mails.as_array().unwrap().iter().any(|m| m["to"] == "ada@example.com"
            && m["body"].as_str().unwrap().contains(&format!("n° {id}"))
            && m["body"].as_str().unwrap().contains("4200 cents")),
        "{mails:#}"
    );

    // Failure: billing refuses a non-numeric amount (422) → the on_failure branch mails sales.
    let conf = serde_json::json!({ "customer": "bob", "email": "bob@example.com", "amount_cents": "lots" });
    let run = run_dag(env, dags.path(), "invoicing_dev", conf, &vars(TOKEN));
    let r = &run.result;
    assert_eq!(r["state"], "success", "{}", run.output);
    assert_eq!(run.state("alert_sales"), "success", "{r:#}");
    for task in ["fetch_invoice", "mail_invoice", "customer_invoices__call", "customer_invoices"] {
        assert_eq!(run.state(task), "skipped", "{task}: {r:#}");
    }
    assert_eq!(r["results"]["create_invoice"]["status"], 422, "{r:#}");
    let mails = outbox(&mailer);
    assert!(
        mails.as_array().unwrap().iter().any(|m| m["to"] == "sales@eshop.invalid"
            && m["subject"] == "Invoice refused for bob"
            && m["body"].as_str().unwrap().starts_with("billing answered 422")),
        "{mails:#}"
    );

    // A wrong token: 403, the task fails (no branch taken) with a message naming the connection.
    let conf = serde_json::json!({ "customer": "eve", "email": "eve@example.com", "amount_cents": 1 });
    let run = run_dag(env, dags.path(), "invoicing_dev", conf, &vars("wrong-token"));
    assert_eq!(run.result["state"], "failed", "{}", run.output);
    assert_eq!(run.state("create_invoice"), "failed", "{:#}", run.result);
    assert_eq!(run.state("alert_sales"), "upstream_failed", "{:#}", run.result);
    assert!(
        run.output.contains(
            "billing POST /invoice answered 403: the token of connection `cws_billing_dev` was refused"
        ),
        "{}",
        run.output
    );
    assert!(!run.output.contains("wrong-token"), "the token never appears in Airflow's output");

    // 204: the catalog stores a product → on_no_content reads it back.
    let conf = serde_json::json!({ "sku": "tea-1", "name": "Green tea", "price_cents": 350 });
    let run = run_dag(env, dags.path(), "catalog_update_dev", conf, &vars(TOKEN));
    let r = &run.result;
    assert_eq!(r["state"], "success", "{}", run.output);
    assert_eq!(r["results"]["store_product"]["status"], 204, "{r:#}");
    assert_eq!(run.state("read_product"), "success", "{r:#}");
    assert_eq!(r["results"]["read_product"]["body"]["name"], "Green tea", "{r:#}");
    assert_eq!(r["results"]["read_product"]["body"]["price_cents"], 350, "{r:#}");
}
