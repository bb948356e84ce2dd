//! `cws workflow run` for real: every example workflow of the e-shop run without Airflow against
//! the e-shop's local stage gateway (`cws run -s dev`, the services as their Lambda executables,
//! asynchronous results in moto's S3), with the task states and the values passed asserted; bad
//! input refused with a clear message; and the same workflows and confs run by Airflow 3
//! (`dag.test()`) against the same gateway, with the same task states and statuses required.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

mod airflow_env;
mod support;

use serde_json::{json, Value};
use support::aws::Moto;
use support::{cws_command, example, text, TempProject};

const BUCKET: &str = "eshop-async-results";
const TOKEN: &str = "dev-token";

/// The e-shop's dev stage behind one port (`cws run -s dev`), with moto's S3; stopped on drop.
struct Stage {
    child: Child,
    port: String,
    base: String,
    moto: Moto,
}

impl Drop for Stage {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_stage() -> Stage {
    start_stage_of(&example(), &[])
}

/// The variables giving API keys the tests set or clear.
const KEY_VARS: [&str; 3] = ["CWS_API_KEY", "CWS_API_KEY_CATALOG", "CWS_API_KEY_MAILER"];

/// Clears the API key variables of `cmd`, then sets `keys` (variable, key).
fn with_keys<'c>(cmd: &'c mut Command, keys: &[(&str, &str)]) -> &'c mut Command {
    for var in KEY_VARS {
        cmd.env_remove(var);
    }
    cmd.envs(keys.iter().copied())
}

/// The stage gateway of `project`'s dev stage; `keys`: the API keys it accepts (`CWS_API_KEY`,
/// `CWS_API_KEY_<SERVICE>`).
fn start_stage_of(project: &Path, keys: &[(&str, &str)]) -> Stage {
    let moto = Moto::start();
    moto.create_bucket(BUCKET);
    let mut cmd = cws_command();
    cmd.args(["run", "-s", "dev", "--port", "0", "-p"]).arg(project);
    for (k, v) in moto.env() {
        cmd.env(k, v);
    }
    with_keys(&mut cmd, keys);
    // A copy builds its services where the e-shop's are (its dependencies built once).
    cmd.env("CARGO_TARGET_DIR", example().join("target"));
    let child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("cws run");
    // Stopped on drop from here on, whatever happens.
    let mut stage = Stage { child, port: String::new(), base: String::new(), moto };
    let stderr = stage.child.stderr.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(600)) {
        if let Some(p) = line.find("listening on ") {
            stage.base = line[p + 13..].trim().to_string();
            stage.port = stage.base.rsplit(':').next().expect("port").to_string();
            // Keep draining the gateway's log.
            std::thread::spawn(move || rx.iter().for_each(drop));
            return stage;
        }
        seen.push(line);
    }
    panic!("the stage gateway did not start:\n{}", seen.join("\n"));
}

/// `cws workflow run` of `file` in `project` against the stage; its output.
fn run_in(stage: &Stage, project: &Path, file: &str, conf: &Value, extra: &[&str]) -> Output {
    let mut cmd = cws_command();
    cmd.current_dir(project)
        .args(["workflow", "run", file, "-s", "dev", "--port", &stage.port, "--conf", &conf.to_string()])
        .args(extra);
    for (k, v) in stage.moto.env() {
        cmd.env(k, v);
    }
    cmd.output().expect("cws workflow run")
}

/// A local run as JSON, with each task by id.
struct LocalRun {
    out: Value,
    ok: bool,
    log: String,
}

impl LocalRun {
    fn task(&self, id: &str) -> &Value {
        self.out["tasks"].as_array().and_then(|t| t.iter().find(|t| t["id"] == id)).unwrap_or(&Value::Null)
    }
    fn state(&self, id: &str) -> &str {
        self.task(id)["state"].as_str().unwrap_or("none")
    }
}

fn local_run(stage: &Stage, project: &Path, workflow: &str, conf: &Value) -> LocalRun {
    let o = run_in(stage, project, &format!("workflows/{workflow}.cws.yml"), conf, &["--json"]);
    let log = text(&o.stderr);
    let out = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{log}", text(&o.stdout)));
    LocalRun { out, ok: o.status.success(), log }
}

/// The runs both tests make: workflow, conf, whether the token is the stage's.
fn cases() -> Vec<(&'static str, Value, bool)> {
    vec![
        ("invoicing", json!({ "customer": "ada", "email": "ada@example.com", "amount_cents": 4200 }), true),
        ("invoicing", json!({ "customer": "bob", "email": "bob@example.com", "amount_cents": "lots" }), true),
        ("invoicing", json!({ "customer": "eve", "email": "eve@example.com", "amount_cents": 1 }), false),
        ("catalog_update", json!({ "sku": "tea-1", "name": "Green tea", "price_cents": 350 }), true),
        (
            "promotion",
            json!({ "sku": "tea-9", "name": "Matcha", "price_cents": 1500, "sale_cents": 900 }),
            true,
        ),
        (
            "promotion",
            json!({ "sku": "tea-8", "name": "Sencha", "price_cents": 600, "sale_cents": 450 }),
            true,
        ),
        ("alerting", json!({ "sku": "tea-9" }), true),
        ("alerting", json!({ "sku": "tea-9", "name": "Tea" }), true),
        (
            "restock",
            json!({ "products": [
                { "sku": "tea-2", "name": "Oolong", "price_cents": 500 },
                { "sku": "tea-3", "name": "Sencha", "price_cents": 420 },
            ] }),
            true,
        ),
        ("restock", json!({ "products": [] }), true),
        ("restock", json!({ "products": "tea-2" }), true),
        // Every condition false: the fan-out renders no list (it is no list), nothing waits or runs.
        ("guarded", json!({ "products": "tea-4", "store": false, "wait": true, "tally": false }), true),
        (
            "guarded",
            json!({ "products": [{ "sku": "tea-4", "name": "Genmaicha", "price_cents": 300 }], "store": true, "wait": true, "tally": true }),
            true,
        ),
        // The wait's own condition false after the fan-out ran.
        (
            "guarded",
            json!({ "products": [{ "sku": "tea-5", "name": "Hojicha", "price_cents": 310 }], "store": true, "wait": false, "tally": true }),
            true,
        ),
        // A deferrable wait: met at once (the trigger's first call), then never met (its timeout).
        ("deferred", json!({ "sku": "tea-6", "name": "Kukicha", "category": "tea" }), true),
        ("deferred", json!({ "sku": "tea-7", "name": "Java", "category": "coffee" }), true),
    ]
}

/// The e-shop with the alerting workflow (headers, a run-level `on_failure` task) and the guarded
/// one (`when:` on a fan-out, a wait and a Python task) and the deferred one (`deferrable: true`) added.
fn eshop_with_alerting() -> TempProject {
    let copy = TempProject::copy_of(&example());
    copy.write(
        "workflows/alerting.cws.yml",
        include_str!("../../core/tests/fixtures/workflows/alerting.cws.yml"),
    );
    copy.write(
        "workflows/guarded.cws.yml",
        include_str!("../../core/tests/fixtures/workflows/guarded.cws.yml"),
    );
    copy.write("workflows/guarded.py", include_str!("../../core/tests/fixtures/workflows/guarded.py"));
    copy.write(
        "workflows/deferred.cws.yml",
        include_str!("../../core/tests/fixtures/workflows/deferred.cws.yml"),
    );
    copy
}

/// The e-shop with another token in stage dev's env file (the gateway keeps the real one).
fn wrong_token_copy() -> TempProject {
    let copy = TempProject::copy_of(&example());
    copy.write(".env.dev", "TOKEN=wrong-token\n");
    copy
}

#[test]
fn example_workflows_run_locally_against_the_stage_gateway() {
    let stage = start_stage();
    let eshop = example();

    // Success: create → fetch (reads the created id) → mail (reads the fetched invoice); the async
    // listing's record read back from S3; the failure branch skipped.
    let conf = json!({ "customer": "ada", "email": "ada@example.com", "amount_cents": 4200 });
    let run = local_run(&stage, &eshop, "invoicing", &conf);
    assert!(run.ok, "{}", run.log);
    assert_eq!(run.out["state"], "success");
    for (task, state) in [
        ("create_invoice", "success"),
        ("fetch_invoice", "success"),
        ("mail_invoice", "success"),
        ("customer_invoices", "success"),
        ("alert_sales", "skipped"),
    ] {
        assert_eq!(run.state(task), state, "{task}: {:#}", run.out);
    }
    let created = run.task("create_invoice");
    assert_eq!(
        created["call"],
        json!({"method": "POST", "path": "/invoice", "query": [], "json": {"customer": "ada", "amount_cents": 4200}})
    );
    assert_eq!(created["status"], 201);
    let id = created["result"]["body"]["id"].as_u64().expect("an id");
    assert_eq!(run.task("fetch_invoice")["call"]["path"], format!("/invoice/{id}"));
    assert_eq!(run.task("fetch_invoice")["result"]["body"], created["result"]["body"]);
    assert_eq!(
        run.task("mail_invoice")["call"]["json"],
        json!({"to": "ada@example.com", "values": {"invoice": format!("n° {id}"), "amount": "4200 cents"}})
    );
    let listed = run.task("customer_invoices");
    assert_eq!(listed["call"]["query"], json!([["customer", "ada"]]));
    assert_eq!(listed["status"], 200, "the record's status");
    assert!(listed["result"]["body"].as_array().unwrap().iter().any(|i| i["id"] == id), "{listed:#}");
    assert!(run.log.contains("Calling create_invoice — billing POST /invoice"), "{}", run.log);
    assert!(run.log.contains("json  {\"amount_cents\":4200,\"customer\":\"ada\"}"), "{}", run.log);
    assert!(run.log.contains(&format!("s3://{BUCKET}/cws-results/invoicing_dev/local__")), "{}", run.log);
    assert!(!run.log.contains(TOKEN) && !run.out.to_string().contains(TOKEN), "the token is never printed");

    // Failure: billing refuses a non-numeric amount (422) → the on_failure branch mails sales.
    let conf = json!({ "customer": "bob", "email": "bob@example.com", "amount_cents": "lots" });
    let run = local_run(&stage, &eshop, "invoicing", &conf);
    assert!(run.ok, "{}", run.log);
    assert_eq!(run.task("create_invoice")["status"], 422);
    assert_eq!(run.state("create_invoice"), "success", "the task routes its failure");
    for task in ["fetch_invoice", "mail_invoice", "customer_invoices"] {
        assert_eq!(run.state(task), "skipped", "{task}: {:#}", run.out);
    }
    assert_eq!(run.state("alert_sales"), "success");
    let mail = &run.task("alert_sales")["call"]["json"];
    assert_eq!(mail["subject"], "Invoice refused for bob");
    assert!(mail["body"].as_str().unwrap().starts_with("billing answered 422: {\""), "{mail:#}");

    // A wrong token: 403, the task fails with a message naming where the token comes from, no
    // branch runs, the run fails (exit 1), and no token is printed.
    let copy = wrong_token_copy();
    let conf = json!({ "customer": "eve", "email": "eve@example.com", "amount_cents": 1 });
    let run = local_run(&stage, copy.path(), "invoicing", &conf);
    assert!(!run.ok);
    assert_eq!(run.out["state"], "failed");
    assert_eq!(
        (run.state("create_invoice"), run.task("create_invoice")["status"].as_u64()),
        ("failed", Some(403))
    );
    assert_eq!(run.state("alert_sales"), "upstream_failed");
    assert!(
        run.task("create_invoice")["error"]
            .as_str()
            .unwrap()
            .contains("billing POST /invoice answered 403: the token of stage `dev` (`TOKEN` of its env files) was refused"),
        "{:#}",
        run.out
    );
    assert!(!run.log.contains("wrong-token") && !run.out.to_string().contains("wrong-token"));

    // 204: the catalog stores a product → on_no_content reads it back.
    let conf = json!({ "sku": "tea-1", "name": "Green tea", "price_cents": 350 });
    let run = local_run(&stage, &eshop, "catalog_update", &conf);
    assert!(run.ok, "{}", run.log);
    assert_eq!(run.task("store_product")["status"], 204);
    assert_eq!(run.task("store_product")["call"]["path"], "/product/tea-1");
    assert_eq!(run.task("store_product")["call"]["json"]["price_cents"], 350);
    assert_eq!(run.state("read_product"), "success");
    assert_eq!(run.task("read_product")["result"]["body"]["name"], "Green tea");

    // `when:` on the product read back: a premium one is announced, a cheaper one marked down; the
    // join after both runs either way.
    let states = |run: &LocalRun| {
        ["store_product", "read_product", "announce", "mark_down", "report"].map(|t| run.state(t).to_string())
    };
    let conf = json!({ "sku": "tea-9", "name": "Matcha", "price_cents": 1500, "sale_cents": 900 });
    let run = local_run(&stage, &eshop, "promotion", &conf);
    assert!(run.ok, "{}", run.log);
    assert_eq!(states(&run), ["success", "success", "success", "skipped", "success"], "{}", run.log);
    assert_eq!(run.task("announce")["call"]["json"]["subject"], "Premium promotion: Matcha");
    let conf = json!({ "sku": "tea-8", "name": "Sencha", "price_cents": 600, "sale_cents": 450 });
    let run = local_run(&stage, &eshop, "promotion", &conf);
    assert!(run.ok, "{}", run.log);
    assert_eq!(states(&run), ["success", "success", "skipped", "success", "success"], "{}", run.log);
    assert_eq!(run.task("mark_down")["result"]["body"]["price_cents"], 450);
    assert!(
        run.log.contains("announce (skipped: `when: tasks.read_product.body.price_cents >= 1000"),
        "{}",
        run.log
    );

    // The human output: each call, then a summary table and the run's state.
    let o = run_in(&stage, &eshop, "workflows/catalog_update.cws.yml", &conf, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.starts_with("TASK           STATE    STATUS  DURATION\nstore_product  success  204"),
        "{out}"
    );
    assert!(out.contains("\nrun local__") && out.contains(": success in "), "{out}");

    // Fan-out, wait and Python: one PUT per product ({{ item }}), a wait until the catalog serves
    // the first, a Python total reading the mapped task's results as a list, a mail reading it.
    let products = json!([
        { "sku": "tea-2", "name": "Oolong", "price_cents": 500 },
        { "sku": "tea-3", "name": "Sencha", "price_cents": 420 },
    ]);
    let run = local_run(&stage, &eshop, "restock", &json!({ "products": products }));
    assert!(run.ok, "{}", run.log);
    let stored = run.task("store_products");
    assert_eq!(
        (stored["state"].as_str(), stored["status"].as_u64()),
        (Some("success"), Some(204)),
        "{stored:#}"
    );
    let paths: Vec<&Value> = stored["items"].as_array().unwrap().iter().map(|i| &i["call"]["path"]).collect();
    assert_eq!(paths, [&json!("/product/tea-2"), &json!("/product/tea-3")]);
    assert_eq!(stored["items"][1]["call"]["json"]["price_cents"], 420);
    assert_eq!(stored["result"]["body"], json!(["", ""]), "the items' bodies, as a list");
    assert_eq!(run.task("first_in_catalog")["result"]["body"]["name"], "Oolong");
    assert_eq!(
        run.task("batch_total")["result"],
        json!({ "status": 200, "headers": {}, "body": { "count": 2, "total_cents": 920, "first": "tea-2" } })
    );
    let mail = &run.task("mail_buyers")["call"]["json"];
    assert_eq!(mail["subject"], "Restocked 2 products");
    assert_eq!(mail["body"], "2 products for 920 cents (catalog statuses 204)");
    assert!(run.log.contains("Mapping store_products over 2 item(s)"), "{}", run.log);
    assert!(run.log.contains("Running batch_total — python restock.batch_total"), "{}", run.log);
    // Nothing to map over: the mapped task and those after it are skipped, the run succeeds.
    let run = local_run(&stage, &eshop, "restock", &json!({ "products": [] }));
    assert!(run.ok, "{}", run.log);
    for task in ["store_products", "first_in_catalog", "batch_total", "mail_buyers"] {
        assert_eq!(run.state(task), "skipped", "{task}: {:#}", run.out);
    }
    // Not a list: the mapped task fails saying so.
    let run = local_run(&stage, &eshop, "restock", &json!({ "products": "tea-2" }));
    assert!(!run.ok);
    assert_eq!((run.state("store_products"), run.state("mail_buyers")), ("failed", "upstream_failed"));
    assert!(
        run.task("store_products")["error"]
            .as_str()
            .unwrap()
            .contains("`{{ conf.products }}` is \"tea-2\", not a list"),
        "{:#}",
        run.out
    );
    // A wait that is never met fails after its timeout, without retries (as a sensor's timeout).
    let waiting = TempProject::copy_of(&eshop);
    waiting.write(
        "workflows/waiting.cws.yml",
        "tasks:\n  never:\n    service: catalog\n    path: /product/nope\n    retries: 2\n    wait_until: { interval: 1, timeout: 2 }\n",
    );
    let run = local_run(&stage, waiting.path(), "waiting", &json!({}));
    assert!(!run.ok);
    let never = run.task("never");
    assert_eq!((never["state"].as_str(), never["attempts"].as_u64()), (Some("failed"), Some(1)), "{never:#}");
    assert!(
        never["error"]
            .as_str()
            .unwrap()
            .contains("`wait_until` of task `never` not met within 2 s (last status 404)"),
        "{never:#}"
    );

    // Bad input: clear messages, usage errors exit 2, a stage that does not run exits 1 at once.
    let bad = |file: &str, conf: &str, port: &str| {
        let o = cws_command()
            .current_dir(&eshop)
            .args(["workflow", "run", file, "-s", "dev", "--port", port, "--conf", conf])
            .output()
            .expect("cws");
        (o.status.code(), text(&o.stderr))
    };
    let (code, err) = bad("workflows/nope.cws.yml", "{}", &stage.port);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("`workflows/nope.cws.yml` is not a workflow of project"), "{err}");
    let (code, err) = bad("workflows/invoicing.cws.yml", "{bad", &stage.port);
    assert_eq!(code, Some(2));
    assert!(err.contains("--conf is not JSON: key must be a string at line 1 column 2"), "{err}");
    let (code, err) = bad("workflows/invoicing.cws.yml", "[1]", &stage.port);
    assert_eq!(code, Some(2));
    assert!(err.contains("--conf must be a JSON object"), "{err}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (code, err) = bad("workflows/invoicing.cws.yml", "{}", &closed.to_string());
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&format!("nothing listens on 127.0.0.1:{closed}")) && err.contains("`cws run -s dev`"),
        "{err}"
    );
    // A conf missing a key the templates read: the task fails with the template's message.
    let run = local_run(&stage, &eshop, "catalog_update", &json!({ "sku": "x" }));
    assert!(!run.ok);
    assert_eq!(run.state("store_product"), "failed");
    assert_eq!(run.state("read_product"), "upstream_failed");
    assert!(
        run.task("store_product")["error"]
            .as_str()
            .unwrap()
            .contains("{{ conf.name }}: the run's conf has no `name`"),
        "{:#}",
        run.out
    );
    // Headers go with the call; the run-level `on_failure` task runs when a task failed (here a
    // template the conf cannot fill) and is skipped otherwise.
    let alerting = eshop_with_alerting();
    let run = local_run(&stage, alerting.path(), "alerting", &json!({ "sku": "tea-9" }));
    assert!(!run.ok, "a failed task fails the run, alert or not");
    assert_eq!(run.out["state"], "failed");
    assert_eq!((run.state("store_product"), run.state("alert_ops")), ("failed", "success"), "{:#}", run.out);
    assert_eq!(run.task("alert_ops")["status"], 202);
    assert_eq!(run.task("alert_ops")["call"]["json"]["subject"], "catalog update of tea-9 failed");
    let run = local_run(&stage, alerting.path(), "alerting", &json!({ "sku": "tea-9", "name": "Tea" }));
    assert!(run.ok, "{}", run.log);
    assert_eq!((run.state("store_product"), run.state("alert_ops")), ("success", "skipped"), "{:#}", run.out);
    assert_eq!(
        run.task("store_product")["call"]["headers"],
        json!([["X-Request-Id", "run-tea-9"], ["X-Attempt", "1"]])
    );
    assert!(run.log.contains("header X-Request-Id: run-tea-9"), "{}", run.log);
    // A workflow with errors is not run.
    let broken = TempProject::copy_of(&eshop);
    broken.write("workflows/broken.cws.yml", "tasks:\n  a: { service: billing, path: /nowhere }\n");
    let o = run_in(&stage, broken.path(), "workflows/broken.cws.yml", &json!({}), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("error(s) in stage `dev`"), "{}", text(&o.stderr));
}

/// Airflow's state of a workflow task: failed when one of its generated tasks failed (the call of
/// an async task), else the state of the task holding its result.
fn airflow_state(result: &Value, task: &str) -> String {
    let parts =
        [format!("{task}__call"), format!("{task}__wait"), format!("{task}__items"), task.to_string()];
    if parts.iter().any(|p| result["tasks"][p] == "failed") {
        return "failed".into();
    }
    result["tasks"][task].as_str().unwrap_or("none").to_string()
}

#[test]
fn local_runs_end_as_airflow_runs_of_the_same_workflows() {
    let start = Instant::now();
    let env = airflow_env::airflow();
    eprintln!("Airflow ready in {:.1} s", start.elapsed().as_secs_f64());
    let stage = start_stage();
    let with_alerting = eshop_with_alerting();
    let eshop = with_alerting.path().to_path_buf();
    let dags = tempfile::tempdir().unwrap();
    let o = cws_command()
        .args(["workflow", "build", "-s", "dev", "-o"])
        .arg(dags.path())
        .arg("-p")
        .arg(&eshop)
        .output()
        .expect("cws");
    assert!(o.status.success(), "{}", text(&o.stderr));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/airflow/run_dag.py");
    let aws = json!({
        "conn_type": "aws", "login": "testing", "password": "testing",
        "extra": { "region_name": "eu-west-1", "endpoint_url": stage.moto.url },
    })
    .to_string();
    let wrong = wrong_token_copy();
    for (workflow, conf, right_token) in cases() {
        let token = if right_token { TOKEN } else { "wrong-token" };
        let conn = |service: &str| {
            json!({ "conn_type": "http", "host": format!("{}/{service}", stage.base), "password": token })
                .to_string()
        };
        let vars = [
            ("AIRFLOW_CONN_CWS_BILLING_DEV", conn("billing")),
            ("AIRFLOW_CONN_CWS_CATALOG_DEV", conn("catalog")),
            ("AIRFLOW_CONN_CWS_MAILER_DEV", conn("mailer")),
            ("AIRFLOW_CONN_CWS_AWS_DEV", aws.clone()),
            ("AIRFLOW_VAR_CWS_RESULTS_BUCKET_DEV", BUCKET.to_string()),
            ("AIRFLOW__CORE__DAGS_FOLDER", dags.path().display().to_string()),
        ];
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let dag_id = format!("{workflow}_dev");
        let o = airflow_env::python(
            env,
            &[script.to_str().unwrap(), dags.path().to_str().unwrap(), &dag_id, &conf.to_string()],
            &vars,
        );
        let airflow = airflow_env::stdout_json(&o);
        if workflow == "deferred" {
            // The wait deferred, and `dag.test()` ran its trigger in line (not a poke).
            let log = format!("{}{}", text(&o.stdout), text(&o.stderr));
            for line in ["deferring the wait to the triggerer", "running trigger in line"] {
                assert!(log.contains(line), "{conf}: no `{line}` in Airflow's log:\n{log}");
            }
        }
        let project = if right_token { eshop.clone() } else { wrong.path().to_path_buf() };
        let local = local_run(&stage, &project, workflow, &conf);
        let ids: Vec<String> = local.out["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect();
        assert!(ids.len() >= 2, "{:#}", local.out);
        if workflow == "deferred" {
            let want = if conf["category"] == "tea" { "success" } else { "failed" };
            assert_eq!(local.state("until_tea"), want, "{conf}: {:#}", local.out);
        }
        if workflow == "deferred" && local.state("until_tea") == "failed" {
            // The timeout, with the same message both ways (the trigger's event in Airflow).
            let error = local.task("until_tea")["error"].as_str().unwrap_or_default().to_string();
            let timeout = "catalog GET /product/tea-7: `wait_until` of task `until_tea` not met within 2 s (last status 200)";
            assert_eq!(error, timeout, "{:#}", local.out);
            let log = format!("{}{}", text(&o.stdout), text(&o.stderr));
            assert!(log.contains(&format!("AirflowSensorTimeout: {timeout}")), "{log}");
        }
        if workflow == "guarded" {
            // Each condition decides its task (a skipped fan-out skips the wait after it, and runs
            // its `else` task instead).
            let want = match (&conf["store"], &conf["wait"]) {
                (Value::Bool(false), _) => ["skipped", "skipped", "skipped", "success"],
                (_, Value::Bool(false)) => ["success", "skipped", "success", "skipped"],
                _ => ["success", "success", "success", "skipped"],
            };
            let got = ["store_products", "wait_for_each", "tally", "nothing_stored"]
                .map(|t| local.state(t).to_string());
            assert_eq!(got, want, "{conf}: {:#}", local.out);
        }
        for id in &ids {
            assert_eq!(
                local.state(id),
                airflow_state(&airflow, id),
                "{workflow} {conf}: task {id}\nlocal: {:#}\nairflow: {airflow:#}",
                local.out
            );
            if local.state(id) == "success" {
                assert_eq!(
                    local.task(id)["status"],
                    airflow["results"][id]["status"],
                    "{workflow} {conf}: status of {id}\nairflow: {airflow:#}"
                );
            }
            // What a Python function returned and a fan-out gathered: the same values both ways.
            if local.state(id) == "success"
                && ["batch_total", "store_products", "wait_for_each", "tally", "nothing_stored", "until_tea"]
                    .contains(&id.as_str())
            {
                assert_eq!(
                    local.task(id)["result"]["body"],
                    airflow["results"][id]["body"],
                    "{workflow} {conf}: result of {id}\nairflow: {airflow:#}"
                );
            }
        }
        assert_eq!(local.out["state"], airflow["state"], "{workflow} {conf}");
        eprintln!("{workflow} {conf}: the same {} task states", ids.len());
    }
}

/// The API key of the catalog in `with_api_key`'s copy (an API Gateway key is letters and digits).
const API_KEY: &str = "k3yOfTheCatalog0123456789";
/// The mailer's own key (each service deployed with `api_key` has one of its own).
const MAILER_KEY: &str = "k3yOfTheMailer9876543210";

/// The e-shop with the catalog and the mailer deployed with `api_key: true`: their entries require
/// `x-api-key`, each its own key.
fn with_api_key() -> TempProject {
    let copy = TempProject::copy_of(&example());
    let mut config = std::fs::read_to_string(example().join("project.cws.yml")).unwrap();
    for service in ["catalog", "mailer"] {
        let plain = format!("  {service}:\n    path: services/{service}\n");
        assert!(config.contains(&plain), "{service}");
        let keyed = format!("{plain}    commands: {{ deploy: {{ api_key: true }} }}\n");
        config = config.replace(&plain, &keyed);
    }
    copy.write("project.cws.yml", config);
    // The services' crates depend on the runtime by a path relative to the repository.
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/coworks");
    for service in ["billing", "catalog", "mailer"] {
        let manifest = format!("services/{service}/Cargo.toml");
        let text = std::fs::read_to_string(example().join(&manifest)).unwrap();
        let text =
            text.replace("\"../../../../runtime/coworks\"", &format!("{:?}", runtime.display().to_string()));
        copy.write(&manifest, text);
    }
    copy
}

#[test]
fn workflows_send_the_api_key_locally_and_from_airflow() {
    let start = Instant::now();
    let env = airflow_env::airflow();
    let keyed = with_api_key();
    // The local stage gateway enforces the keys as API Gateway does (403 without the right one):
    // the catalog's is `CWS_API_KEY` (the key of every service without its own), the mailer's its own.
    let stage = start_stage_of(keyed.path(), &[("CWS_API_KEY", API_KEY), ("CWS_API_KEY_MAILER", MAILER_KEY)]);
    let conf = json!({ "sku": "tea-7", "name": "Kukicha", "price_cents": 380 });
    let local_of = |workflow: &str, conf: &Value, keys: &[(&str, &str)]| {
        let mut cmd = cws_command();
        cmd.current_dir(keyed.path())
            .args(["workflow", "run", &format!("workflows/{workflow}.cws.yml"), "-s", "dev"])
            .args(["--port", &stage.port, "--conf", &conf.to_string(), "--json"]);
        for (k, v) in stage.moto.env() {
            cmd.env(k, v);
        }
        let o = with_keys(&mut cmd, keys).output().expect("cws workflow run");
        let log = text(&o.stderr);
        let out: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {log}"));
        for key in [API_KEY, MAILER_KEY] {
            assert!(!log.contains(key) && !out.to_string().contains(key), "the keys are never printed");
        }
        LocalRun { out, ok: o.status.success(), log }
    };
    let local = |key: Option<&str>| {
        let keys: Vec<(&str, &str)> = key.map(|k| ("CWS_API_KEY", k)).into_iter().collect();
        local_of("catalog_update", &conf, &keys)
    };
    let run = local(Some(API_KEY));
    assert!(run.ok, "{}", run.log);
    assert_eq!(run.state("store_product"), "success", "{:#}", run.out);
    assert_eq!(run.state("read_product"), "success", "{:#}", run.out);
    let run = local(None);
    assert!(!run.ok);
    let error = run.task("store_product")["error"].as_str().unwrap_or_default().to_string();
    assert!(error.contains("service `catalog` requires an API key in stage `dev`"), "{error}");
    assert!(error.contains("set `CWS_API_KEY_CATALOG` (or `CWS_API_KEY`, for every service)"), "{error}");
    let run = local(Some("wrongKey"));
    assert!(!run.ok);
    assert_eq!(run.task("store_product")["status"], 403);
    let error = run.task("store_product")["error"].as_str().unwrap_or_default().to_string();
    assert!(error.contains("or its API key (`CWS_API_KEY`) was refused"), "{error}");
    // Two services whose keys differ in one run: each service's own variable overrides `CWS_API_KEY`.
    let promo = json!({ "sku": "tea-9", "name": "Matcha", "price_cents": 1500, "sale_cents": 900 });
    let run = local_of("promotion", &promo, &[("CWS_API_KEY", API_KEY), ("CWS_API_KEY_MAILER", MAILER_KEY)]);
    assert!(run.ok, "{:#} {}", run.out, run.log);
    for task in ["store_product", "read_product", "announce", "report"] {
        assert_eq!(run.state(task), "success", "{task}: {:#}", run.out);
    }
    let own = [("CWS_API_KEY_CATALOG", API_KEY), ("CWS_API_KEY_MAILER", MAILER_KEY)];
    assert!(local_of("promotion", &promo, &own).ok, "each service's own variable alone");
    let run = local_of("promotion", &promo, &[("CWS_API_KEY", API_KEY)]);
    assert!(!run.ok);
    assert_eq!(run.state("read_product"), "success", "the catalog takes `CWS_API_KEY`: {:#}", run.out);
    assert_eq!(run.task("announce")["status"], 403, "the mailer's key is its own: {:#}", run.out);
    let error = run.task("announce")["error"].as_str().unwrap_or_default().to_string();
    assert!(error.contains("or its API key (`CWS_API_KEY`) was refused"), "{error}");

    // Airflow: the key in the catalog connection's extra (as `cws workflow deploy` writes it).
    let dags = tempfile::tempdir().unwrap();
    let o = cws_command()
        .args(["workflow", "build", "-s", "dev", "-o"])
        .arg(dags.path())
        .arg("-p")
        .arg(keyed.path())
        .output()
        .expect("cws");
    assert!(o.status.success(), "{}", text(&o.stderr));
    let built = std::fs::read_to_string(dags.path().join("catalog_update_dev.py")).unwrap();
    assert!(!built.contains(API_KEY) && !built.contains("api_key"), "no key in the DAG");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/airflow/run_dag.py");
    let airflow = |extra: Option<&str>| {
        let mut catalog =
            json!({ "conn_type": "http", "host": format!("{}/catalog", stage.base), "password": TOKEN });
        if let Some(key) = extra {
            catalog["extra"] = json!({ "api_key": key }).to_string().into();
        }
        let vars = [
            ("AIRFLOW_CONN_CWS_CATALOG_DEV", catalog.to_string()),
            ("AIRFLOW__CORE__DAGS_FOLDER", dags.path().display().to_string()),
        ];
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let o = airflow_env::python(
            env,
            &[
                script.to_str().unwrap(),
                dags.path().to_str().unwrap(),
                "catalog_update_dev",
                &conf.to_string(),
            ],
            &vars,
        );
        airflow_env::stdout_json(&o)
    };
    let with_key = airflow(Some(API_KEY));
    assert_eq!(with_key["state"], "success", "{with_key:#}");
    assert_eq!(with_key["tasks"]["store_product"], "success", "{with_key:#}");
    assert_eq!(with_key["tasks"]["read_product"], "success", "{with_key:#}");
    let without = airflow(None);
    assert_eq!(without["state"], "failed", "{without:#}");
    assert_eq!(without["tasks"]["store_product"], "failed", "{without:#}");
    eprintln!("API keys sent both ways in {:.1} s", start.elapsed().as_secs_f64());
}

/// A copy of the e-shop "deployed" to stage dev: the Terraform state and record `cws deploy` leaves,
/// its URLs at the stage gateway (`<gateway>/<service>`, as the API Gateway of each service would
/// be) and its S3 endpoint moto. A deployment to moto gives URLs that cannot be called (moto runs
/// no Lambda code behind them), so the state points at the same services served locally.
fn deployed_copy(stage: &Stage) -> TempProject {
    let copy = eshop_with_alerting();
    let urls: Vec<(&str, String)> =
        ["billing", "catalog", "mailer"].into_iter().map(|s| (s, format!("{}/{s}", stage.base))).collect();
    support::fake_deployment(copy.path(), "dev", &urls, Some(&stage.moto.url));
    copy
}

/// Each task's id, state and status in a run printed with `--json`.
fn task_outcomes(run: &Value) -> Vec<(String, String, Value)> {
    let tasks = run["tasks"].as_array().cloned().unwrap_or_default();
    tasks.iter().map(|t| (t["id"].to_string(), t["state"].to_string(), t["status"].clone())).collect()
}

#[test]
fn deployed_runs_call_the_urls_of_the_deployment() {
    let stage = start_stage();
    let project = deployed_copy(&stage);
    for (workflow, conf, _) in cases().into_iter().filter(|c| c.2) {
        let local = local_run(&stage, project.path(), workflow, &conf);
        let mut cmd = cws_command();
        cmd.current_dir(project.path())
            .args(["workflow", "run", &format!("workflows/{workflow}.cws.yml"), "-s", "dev", "--deployed"])
            .args(["--json", "--conf", &conf.to_string()]);
        for (k, v) in stage.moto.env() {
            cmd.env(k, v);
        }
        let o = cmd.output().expect("cws");
        let deployed: Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", text(&o.stdout), text(&o.stderr)));
        assert_eq!(deployed["state"], local.out["state"], "{workflow} {conf}: {}", text(&o.stderr));
        assert_eq!(task_outcomes(&deployed), task_outcomes(&local.out), "{workflow} {conf}");
        assert!(!text(&o.stderr).contains(TOKEN), "the token is never printed");
        // The preview colours each task by its state in this, the last, run.
        let file = format!("workflows/{workflow}.cws.yml");
        let o =
            cws_command().current_dir(project.path()).args(["workflow", "preview", "--json", &file]).output();
        let preview: Value = serde_json::from_slice(&o.expect("cws").stdout).expect("JSON");
        assert_eq!(preview["last_run"]["run_id"], deployed["run_id"], "{workflow} {conf}");
        for (id, state, _) in task_outcomes(&deployed) {
            let (id, state) = (id.trim_matches('"'), state.trim_matches('"'));
            assert_eq!(preview["last_run"]["tasks"][id], state, "{workflow}: {id}");
            let class = format!("    class {id} state_{state}\n");
            assert!(preview["mermaid"].as_str().unwrap().contains(&class), "{}", preview["mermaid"]);
        }
    }
    // The URLs are the deployment's: billing deployed where nothing answers fails its call there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let elsewhere = TempProject::copy_of(&example());
    let urls =
        [("billing", format!("http://127.0.0.1:{closed}/dev")), ("mailer", format!("{}/mailer", stage.base))];
    support::fake_deployment(elsewhere.path(), "dev", &urls, Some(&stage.moto.url));
    let o = cws_command()
        .current_dir(elsewhere.path())
        .args(["workflow", "run", "workflows/invoicing.cws.yml", "-s", "dev", "--deployed", "--conf"])
        .arg(json!({ "customer": "ada", "email": "a@example.com", "amount_cents": 1 }).to_string())
        .output()
        .expect("cws");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains(&format!("no answer from http://127.0.0.1:{closed}/dev")),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn workflow_deploy_sets_a_real_airflow_up() {
    let start = Instant::now();
    let env = airflow_env::fresh();
    let api = airflow_env::ApiServer::start(&env);
    eprintln!("Airflow API server ready in {:.1} s", start.elapsed().as_secs_f64());
    let stage = start_stage();
    let project = deployed_copy(&stage);
    let dags = project.path().join("dags");
    let deploy = |args: &[&str], vars: &[(&str, &str)]| {
        let mut cmd = cws_command();
        cmd.current_dir(project.path())
            .args(["workflow", "deploy", "-s", "dev", "--dags", "dags"])
            .args(args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.output().expect("cws")
    };
    // A DAG run with the connections and the Variable of Airflow's database only (the workers'
    // AWS credentials in their environment): the same task states as the local run.
    let run_dag = |workflow: &str, conf: &Value| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/airflow/run_dag.py");
        let dag_id = format!("{workflow}_dev");
        let vars = [
            ("AIRFLOW__CORE__DAGS_FOLDER", dags.to_str().unwrap()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
        ];
        let args = [script.to_str().unwrap(), dags.to_str().unwrap(), &dag_id, &conf.to_string()];
        let ran = airflow_env::python(&env, &args, &vars);
        let airflow = airflow_env::stdout_json(&ran);
        let local = local_run(&stage, project.path(), workflow, conf);
        // A failed run says why: the end of Airflow's output holds the failed task's log.
        let tail = |bytes: &[u8]| {
            let text = String::from_utf8_lossy(bytes);
            let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with("CWS-RESULT ")).collect();
            lines[lines.len().saturating_sub(60)..].join("\n")
        };
        assert_eq!(
            airflow["state"],
            "success",
            "{workflow}: {airflow:#}\nAirflow's stdout, last lines:\n{}\nits stderr:\n{}",
            tail(&ran.stdout),
            tail(&ran.stderr)
        );
        for (id, _, _) in task_outcomes(&local.out) {
            let id = id.trim_matches('"');
            assert_eq!(local.state(id), airflow_state(&airflow, id), "{workflow}: {id}\n{airflow:#}");
        }
    };

    // 1. The printed lines, run by a shell with Airflow's CLI: they stop without the token...
    let o = deploy(&["--print"], &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let script = project.path().join("setup.sh");
    std::fs::write(&script, &o.stdout).unwrap();
    let path = format!("{}:{}", env.venv.join("bin").display(), std::env::var("PATH").unwrap_or_default());
    let sh = |token: Option<&str>| {
        let mut cmd = std::process::Command::new("sh");
        cmd.arg(&script).env("PATH", &path).env("AIRFLOW_HOME", env.home.path()).env_remove("CWS_TOKEN");
        if let Some(t) = token {
            cmd.env("CWS_TOKEN", t);
        }
        cmd.output().expect("sh")
    };
    let o = sh(None);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("set CWS_TOKEN to the TOKEN of stage dev"), "{}", text(&o.stderr));
    // ... and with it set the connections a DAG run needs.
    let o = sh(Some(TOKEN));
    assert!(o.status.success(), "{}\n{}", text(&o.stdout), text(&o.stderr));
    run_dag("invoicing", &json!({ "customer": "ada", "email": "ada@example.com", "amount_cents": 4200 }));

    // 2. Through the REST API (the connections exist: overwritten; catalog's is deleted first, so
    // the REST call must create it), with the simple auth manager's user; wrong credentials are
    // refused before anything is written.
    let o = airflow_env::command(&env, "airflow", &["connections", "delete", "cws_catalog_dev"], &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let (user, password) = airflow_env::API_USER;
    let refused = deploy(
        &["--airflow", &api.url],
        &[("CWS_AIRFLOW_USERNAME", user), ("CWS_AIRFLOW_PASSWORD", "wrong")],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("/auth/token answered 401"), "{}", text(&refused.stderr));
    let o = deploy(
        &["--airflow", &api.url],
        &[("CWS_AIRFLOW_USERNAME", user), ("CWS_AIRFLOW_PASSWORD", password)],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains(&format!(
            "connection cws_billing_dev (http) created or updated → {}/billing",
            stage.base
        )) && out.contains("connection cws_aws_dev (aws) created or updated")
            && out.contains(&format!("variable cws_results_bucket_dev = {BUCKET} created or updated")),
        "{out}"
    );
    assert!(!out.contains(TOKEN) && !text(&o.stderr).contains(TOKEN), "the token is never printed");
    run_dag("catalog_update", &json!({ "sku": "tea-1", "name": "Green tea", "price_cents": 350 }));
}
