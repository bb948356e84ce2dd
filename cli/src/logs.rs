//! `cws logs SERVICE -s STAGE`: the CloudWatch Logs events of a deployed service's function, read
//! where the stage was deployed (its record: region, profile, endpoints) from the log group the
//! core names (`terraform::log_group_name`, the one the generated Terraform creates), with
//! `FilterLogEvents` signed by the runtime crate's AWS client. `--follow` polls until Ctrl-C.

use std::collections::HashSet;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use clap::Args;
use coworks::aws::{self, AwsError, Call};
use coworks::sigv4::Credentials;
use coworks_core::artifacts::{project_name, terraform};
use coworks_core::settings::{StageSettings, TargetUse};
use serde_json::{json, Value};

use crate::deploy::AwsArgs;
use crate::output::{escape, outln};
use crate::{failed, Failure};

/// How long `--follow` waits between two reads.
const POLL: Duration = Duration::from_secs(1);

/// Arguments of `cws logs`.
#[derive(Args)]
pub struct LogsArgs {
    /// The service whose function's logs are read.
    pub service: String,
    /// The deployed stage.
    #[arg(short, long)]
    pub stage: String,
    /// Keep reading new events until Ctrl-C.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Only the events of the last DURATION: a number and a unit, s, m, h or d (`30s`, `10m`,
    /// `2h`, `1d`, `1h30m`).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = humantime::parse_duration)]
    pub since: Duration,
    /// Only the events matching a CloudWatch Logs filter pattern: terms (`ERROR`), an exact phrase
    /// (`"payment failed"`), a JSON pattern (`{ $.level = "ERROR" }`).
    #[arg(long, value_name = "PATTERN")]
    pub filter: Option<String>,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Where the events are read: the signed `FilterLogEvents` call's place and credentials.
struct LogsClient {
    region: String,
    url: String,
    credentials: Credentials,
}

impl LogsClient {
    /// The client reaching a stage's place: its endpoint for `logs` (else `AWS_ENDPOINT_URL_LOGS`,
    /// `AWS_ENDPOINT_URL`, AWS's own), its region (else the profile's, else the environment's) and
    /// the keys of its profile (else of `AWS_PROFILE`, else the environment's keys).
    fn new(place: &StageSettings) -> Result<LogsClient, Failure> {
        let profile =
            place.profile.clone().or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()));
        let (credentials, profile_region) = match &profile {
            Some(name) => {
                let p = crate::aws_profile::resolve(name).map_err(failed)?;
                let c = Credentials {
                    access_key_id: p.access_key_id,
                    secret_access_key: p.secret_access_key,
                    session_token: p.session_token,
                };
                (Some(c), p.region)
            }
            None => (Credentials::from_env(), None),
        };
        let credentials = credentials.ok_or_else(|| {
            failed(
                "no AWS credentials: set `profile` under `commands.deploy`, AWS_PROFILE, or \
                 AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            )
        })?;
        let region = place.region.clone().or(profile_region).unwrap_or_else(aws::region);
        let base = match place.endpoints.get("logs") {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => aws::endpoint("logs", &region),
        };
        Ok(LogsClient { region, url: format!("{base}/"), credentials })
    }

    /// One `Logs_20140328.FilterLogEvents` call (JSON 1.1 protocol).
    async fn filter(&self, request: &Value) -> Result<Value, AwsError> {
        let headers = [
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "Logs_20140328.FilterLogEvents"),
        ];
        let call = Call {
            service: "logs",
            region: &self.region,
            method: "POST",
            url: &self.url,
            path: "/",
            query: "",
            headers: &headers,
            body: Bytes::from(request.to_string()),
            content_sha256: false,
        };
        let answer = aws::send_with(&call, Some(&self.credentials), &aws::RETRY).await?;
        serde_json::from_slice(&answer.body).map_err(|e| AwsError::Status {
            service: "logs",
            status: answer.status.as_u16(),
            body: format!("not JSON: {e}"),
        })
    }
}

/// Milliseconds since the epoch.
fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// One event as printed: its time (UTC, milliseconds) and its message, escaped so it cannot drive
/// the terminal, without its trailing newline.
fn line(event: &Value) -> String {
    let ms = event["timestamp"].as_i64().unwrap_or(0).max(0) as u64;
    let time = humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms));
    let message = event["message"].as_str().unwrap_or_default().trim_end_matches(['\n', '\r']);
    let dim = anstyle::Style::new().dimmed();
    format!("{dim}{time}{dim:#} {}", escape(message))
}

/// Reads and prints the events from `start` (ms) on, every page; skips the events in `seen`
/// (already printed) and returns the newest timestamp printed with the ids printed at it.
async fn read_from(
    client: &LogsClient,
    group: &str,
    filter: Option<&str>,
    start: i64,
    seen: &HashSet<String>,
) -> Result<(i64, HashSet<String>), AwsError> {
    let (mut newest, mut at_newest) = (start, seen.clone());
    let mut token: Option<String> = None;
    loop {
        let mut request = json!({ "logGroupName": group, "startTime": start, "interleaved": true });
        if let Some(f) = filter {
            request["filterPattern"] = f.into();
        }
        if let Some(t) = &token {
            request["nextToken"] = t.clone().into();
        }
        let answer = client.filter(&request).await?;
        for event in answer["events"].as_array().into_iter().flatten() {
            let id = event["eventId"].as_str().unwrap_or_default().to_string();
            if seen.contains(&id) {
                continue;
            }
            outln!("{}", line(event));
            let ts = event["timestamp"].as_i64().unwrap_or(start);
            if ts > newest {
                newest = ts;
                at_newest.clear();
            }
            if ts == newest {
                at_newest.insert(id);
            }
        }
        token = answer["nextToken"].as_str().map(str::to_string);
        if token.is_none() {
            return Ok((newest, at_newest));
        }
    }
}

/// `cws logs`.
pub fn logs(args: LogsArgs) -> Result<ExitCode, Failure> {
    let project = crate::load_project(args.aws.project.as_deref(), Some(&args.stage))?;
    let stage = args.stage.as_str();
    crate::deploy::check_service(&project.services(Some(stage)), &args.service, stage)?;
    crate::deploy::read_record(&project, stage)?.ok_or_else(|| {
        format!(
            "stage `{stage}` is not deployed from this directory (no record of `cws deploy -s {stage}`): \
             deploy it first (`cws deployed` lists what is)"
        )
    })?;
    let resolved = crate::deploy::resolve(&project, stage, &args.aws, TargetUse::Existing)?;
    let place = project.stage_settings(stage, &resolved.cli);
    let client = LogsClient::new(&place)?;
    let group = terraform::log_group_name(&project_name(&project), &args.service, stage);
    let stopping = Arc::new(AtomicBool::new(false));
    if args.follow {
        let flag = stopping.clone();
        ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
            .map_err(|e| failed(format!("cannot handle Ctrl-C: {e}")))?;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| failed(format!("cannot start the async runtime: {e}")))?;
    let since = i64::try_from(args.since.as_millis()).unwrap_or(i64::MAX);
    let mut start = now_ms().saturating_sub(since).max(0);
    let mut seen = HashSet::new();
    loop {
        match rt.block_on(read_from(&client, &group, args.filter.as_deref(), start, &seen)) {
            Ok((newest, at_newest)) => (start, seen) = (newest, at_newest),
            Err(AwsError::Status { body, .. }) if body.contains("ResourceNotFoundException") => {
                return Err(failed(format!(
                    "no log group `{group}` in {}: stage `{stage}` is recorded as deployed there, but its \
                     function has no logs yet (`cws deployed -s {stage}` shows what is deployed; \
                     `cws deploy -s {stage}` creates the group)",
                    resolved.target
                )));
            }
            Err(e) => return Err(failed(format!("cannot read the logs of `{group}`: {e}"))),
        }
        if !args.follow {
            return Ok(ExitCode::SUCCESS);
        }
        let waited = std::time::Instant::now();
        while waited.elapsed() < POLL {
            if stopping.load(Ordering::SeqCst) {
                return Ok(ExitCode::SUCCESS);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_one_escaped_line_with_its_utc_time() {
        let e = json!({"timestamp": 1_700_000_000_123_i64, "message": "\u{1b}[31mred\u{7}\n"});
        let l = line(&e);
        assert!(l.contains("2023-11-14T22:13:20.123Z") && l.ends_with(" \\u{1b}[31mred\\u{7}"), "{l:?}");
        assert_eq!(l.matches('\u{1b}').count(), 2, "only the time's style is raw: {l:?}");
    }

    #[test]
    fn since_takes_seconds_minutes_hours_days() {
        for (text, secs) in [("30s", 30), ("10m", 600), ("2h", 7200), ("1d", 86_400), ("1h30m", 5400)] {
            assert_eq!(humantime::parse_duration(text).map(|d| d.as_secs()), Ok(secs), "{text}");
        }
        assert!(humantime::parse_duration("10").is_err() && humantime::parse_duration("soon").is_err());
    }
}
