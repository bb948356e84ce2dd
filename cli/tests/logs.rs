//! `cws logs` against moto's CloudWatch Logs API: a copy of the e-shop recorded as deployed to a
//! moto server (the record `cws deploy` writes), the log group the generated Terraform names, log
//! streams and events as Lambda writes them (put with the API's own JSON protocol); then what
//! `cws logs` prints, in order, restricted by `--since` and `--filter`, escaped, followed, and its
//! errors.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use coworks_core::artifacts::{stage_deployment, terraform};
use coworks_core::layout::deploy_record_path;
use coworks_core::settings::{DeployFlags, DeployRecord};
use serde_json::{json, Value};
use support::aws::Moto;
use support::{cws_command, example, text, TempProject};

/// One call of moto's CloudWatch Logs API (JSON 1.1), in `region` (moto reads it from the
/// credential scope of the `Authorization` header, as AWS signs it).
fn logs_api(moto: &Moto, region: &str, action: &str, body: Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut answer = agent
        .post(&format!("{}/", moto.url))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", &format!("Logs_20140328.{action}"))
        .header(
            "authorization",
            &format!(
                "AWS4-HMAC-SHA256 Credential=test/20260101/{region}/logs/aws4_request, \
                 SignedHeaders=host, Signature=0"
            ),
        )
        .send(body.to_string())
        .expect("moto answers");
    let status = answer.status();
    let text = answer.body_mut().read_to_string().unwrap_or_default();
    assert!(status.is_success(), "{action}: {status} {text}");
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

/// The e-shop recorded as deployed (stage `dev`) to moto, with the log group of `catalog` named as
/// the generated Terraform names it, holding two streams of events.
struct Deployed {
    moto: Moto,
    project: TempProject,
    region: String,
    group: String,
}

const STREAM_A: &str = "2026/11/30/[$LATEST]0a1b2c3d4e5f";
const STREAM_B: &str = "2026/11/30/[$LATEST]9f8e7d6c5b4a";

fn deployed() -> Deployed {
    let moto = Moto::start();
    let project = TempProject::copy_of(&example());
    let loaded = project.load();
    let flags = DeployFlags { endpoint: Some(moto.url.clone()), ..Default::default() };
    let record = DeployRecord { flags: flags.clone(), target: loaded.deploy_target("dev", &flags) };
    let region = record.target.region.clone().unwrap_or_else(|| "us-east-1".into());
    project
        .write(&deploy_record_path("dev").to_string_lossy(), serde_json::to_string_pretty(&record).unwrap());
    // The group as `cws deploy` creates it: the name in the generated Terraform.
    let (deployment, _) = stage_deployment(&loaded, "dev", &flags.cli());
    let group = terraform::generate(&deployment)
        .into_iter()
        .find_map(|(_, text)| {
            let doc: Value = serde_json::from_str(&text).ok()?;
            doc.pointer("/resource/aws_cloudwatch_log_group/catalog/name")?.as_str().map(str::to_string)
        })
        .expect("the generated Terraform has catalog's log group");
    assert_eq!(group, "/aws/lambda/eshop-catalog-dev");
    logs_api(&moto, &region, "CreateLogGroup", json!({ "logGroupName": group }));
    let now = now_ms();
    let put = |stream: &str, events: &[(i64, &str)]| {
        let events: Vec<Value> =
            events.iter().map(|(ago, m)| json!({ "timestamp": now - ago, "message": m })).collect();
        logs_api(
            &moto,
            &region,
            "PutLogEvents",
            json!({ "logGroupName": group, "logStreamName": stream, "logEvents": events }),
        );
    };
    for stream in [STREAM_A, STREAM_B] {
        logs_api(
            &moto,
            &region,
            "CreateLogStream",
            json!({ "logGroupName": group, "logStreamName": stream }),
        );
    }
    let minute = 60_000;
    put(
        STREAM_A,
        &[
            (120 * minute, "INIT_START cold start\n"),
            (5 * minute, "START RequestId: r1\n"),
            (3 * minute, "ERROR payment failed\n"),
        ],
    );
    put(STREAM_B, &[(4 * minute, "GET /products 200\n"), (minute, "\u{1b}[2J\u{1b}]0;owned\u{7}hostile\n")]);
    drop(loaded);
    Deployed { moto, project, region, group }
}

impl Deployed {
    /// `cws logs ARGS -p <the copy>` with moto's test credentials.
    fn cws_logs(&self, args: &[&str]) -> Command {
        let mut c = cws_command();
        c.arg("logs")
            .args(args)
            .arg("-p")
            .arg(self.project.path())
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test");
        for k in
            ["AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_LOGS", "AWS_REGION", "AWS_DEFAULT_REGION"]
        {
            c.env_remove(k);
        }
        c
    }

    fn logs(&self, args: &[&str]) -> Output {
        self.cws_logs(args).output().expect("cws runs")
    }
}

/// The messages of `cws logs`'s lines (each `<RFC 3339 time> <message>`).
fn messages(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|l| {
            let (time, message) = l.split_once(' ').unwrap_or_else(|| panic!("no time: {l:?}"));
            assert!(time.len() == 24 && time.ends_with('Z') && time.as_bytes()[10] == b'T', "{l:?}");
            message.to_string()
        })
        .collect()
}

const HOSTILE: &str = "\\u{1b}[2J\\u{1b}]0;owned\\u{7}hostile";

#[test]
fn logs_of_a_deployed_stage_in_order_restricted_escaped_followed_and_refused() {
    let d = deployed();

    let o = d.logs(&["catalog", "-s", "dev", "--since", "1h"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "nothing raw reaches the terminal: {out:?}");
    assert_eq!(
        messages(&out),
        ["START RequestId: r1", "GET /products 200", "ERROR payment failed", HOSTILE],
        "both streams, in time order"
    );

    let o = d.logs(&["catalog", "-s", "dev", "--since", "3h"]);
    assert_eq!(messages(&text(&o.stdout))[0], "INIT_START cold start", "{}", text(&o.stderr));
    assert_eq!(messages(&text(&o.stdout)).len(), 5);
    let o = d.logs(&["catalog", "-s", "dev", "--since", "150s"]);
    assert_eq!(messages(&text(&o.stdout)), [HOSTILE], "{}", text(&o.stderr));
    let o = d.logs(&["catalog", "-s", "dev"]);
    assert_eq!(messages(&text(&o.stdout)).len(), 4, "the last 10 minutes by default");

    for (filter, expected) in [("ERROR", "ERROR payment failed"), ("\"/products 200\"", "GET /products 200")]
    {
        let o = d.logs(&["catalog", "-s", "dev", "--filter", filter]);
        assert_eq!(messages(&text(&o.stdout)), [expected], "{filter}: {}", text(&o.stderr));
    }

    // Refusals: what to change, exit code 2; a deployed service without its group: 1.
    for (args, code, says) in [
        (
            &["nope", "-s", "dev"][..],
            2,
            "no service `nope` in stage `dev`; its services are: billing, catalog, mailer",
        ),
        (&["catalog", "-s", "qa"][..], 2, "qa"),
        (&["catalog", "-s", "test"][..], 2, "stage `test` is not deployed"),
        (&["catalog", "-s", "dev", "--since", "10"][..], 2, "--since"),
        (&["billing", "-s", "dev"][..], 1, "no log group `/aws/lambda/eshop-billing-dev`"),
    ] {
        let o = d.logs(args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}");
    }

    // --follow: what is there, then what comes, each once, until Ctrl-C.
    let mut child = d
        .cws_logs(&["catalog", "-s", "dev", "--follow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cws runs");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    let next = || rx.recv_timeout(Duration::from_secs(30)).expect("a line within 30 s");
    let first: Vec<String> = (0..4).map(|_| next()).collect();
    assert_eq!(messages(&first.join("\n")).len(), 4);
    let stream = "2026/11/30/[$LATEST]late";
    logs_api(
        &d.moto,
        &d.region,
        "CreateLogStream",
        json!({ "logGroupName": d.group, "logStreamName": stream }),
    );
    logs_api(
        &d.moto,
        &d.region,
        "PutLogEvents",
        json!({ "logGroupName": d.group, "logStreamName": stream,
                "logEvents": [{ "timestamp": now_ms(), "message": "END RequestId: r2\n" }] }),
    );
    assert_eq!(messages(&next()), ["END RequestId: r2"]);
    std::thread::sleep(Duration::from_millis(2500)); // two more polls: nothing printed twice
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let code = child.wait().expect("cws ends after Ctrl-C");
    assert!(code.success(), "Ctrl-C ends --follow cleanly: {code}");
    let rest: Vec<String> = rx.try_iter().collect();
    assert!(rest.is_empty(), "printed again: {rest:?}");
}
