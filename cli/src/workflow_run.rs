//! `cws workflow run FILE [-s STAGE] [--conf JSON] [--deployed] [--port N] [--json]`: runs a
//! workflow without Airflow, against the stage's local services (the local stage gateway of
//! `cws run -s STAGE`, or a service, on the stage's `run.port`) or, with `--deployed`, its deployed
//! APIs. Every decision is the core's ([`coworks_core::workflow::run`]: the requests, what a status
//! means, the branches, which task runs next), the ones the generated DAG makes in Airflow; this
//! module sends the requests, waits for the records of asynchronous calls in S3 and prints.
//!
//! Each task prints its call, the values passed, its status and duration; a summary ends the run,
//! and the exit code is 1 when a task failed. The stage's token is sent, never printed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Args;
use coworks_core::artifacts::airflow::dag_id;
use coworks_core::artifacts::api::{api_key_envs_text, api_key_from_env, API_KEY_HEADER};
use coworks_core::settings::CliOptions;
use coworks_core::workflow::last_run::LastRun;
use coworks_core::workflow::run::{self, CallResult, Context, Next, Schedule, TaskState, Verdict};
use coworks_core::workflow::{Task, Workflow};
use coworks_core::{Project, Severity};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;
use serde_json::Value;

use crate::output::{errln, escape, outln, seconds, status_style};
use crate::{failed, invoke, run as local, Failure};

/// Arguments of `cws workflow run`.
#[derive(Args)]
pub struct RunArgs {
    /// The workflow file (e.g. workflows/invoicing.cws.yml).
    pub file: PathBuf,
    /// The stage whose services, token and options apply (default: the first stage).
    #[arg(short, long)]
    pub stage: Option<String>,
    /// The run's configuration: a JSON object (`{{ conf.key }}` in templates).
    #[arg(long, value_name = "JSON", default_value = "{}")]
    pub conf: String,
    /// Call the stage's deployed APIs (their URLs as `cws deployed` prints them).
    #[arg(long, conflicts_with = "port")]
    pub deployed: bool,
    /// The port of the local stage gateway or service (default: the stage's `run.port`).
    #[arg(long)]
    pub port: Option<u16>,
    /// Print the run as JSON (each task's state, call, status, duration and result) on stdout.
    #[arg(long)]
    pub json: bool,
    /// The project directory (default: the directory above the file's `workflows/`).
    #[arg(short, long, value_name = "DIR")]
    pub project: Option<PathBuf>,
}

/// Characters a path keeps as they are (Python's `quote(path, safe="/:@-._~!$&'()*+,;=")`, as the
/// DAGs' operator sends it).
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b':')
    .remove(b'@')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=');

/// What an attempt of a task gives: the result (when there is one) and what it means.
type Outcome = (Option<CallResult>, Verdict);

/// Where a service of the run is called.
struct Endpoint {
    base: String,
    token: Option<String>,
    /// When the service requires an API key in the stage (the core's `api_key_required`): the key
    /// sent as `x-api-key` with the variable it came from (the core's `api_key_from_env`:
    /// `CWS_API_KEY_<SERVICE>`, else `CWS_API_KEY`), `None` when neither is set.
    api_key: Option<Option<(String, String)>>,
    timeout: u64,
    bucket: Option<String>,
    results_prefix: String,
}

/// One task of the run, as printed with `--json`.
#[derive(Serialize)]
struct TaskRun {
    id: String,
    state: TaskState,
    #[serde(skip_serializing_if = "Option::is_none")]
    call: Option<run::Request>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    duration_ms: u128,
    attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<CallResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// The runs of each item of a task mapped over `for_each`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    items: Vec<TaskRun>,
}

impl TaskRun {
    /// A task that has not called anything (yet).
    fn new(id: &str, state: TaskState) -> Self {
        TaskRun {
            id: id.to_string(),
            state,
            call: None,
            status: None,
            duration_ms: 0,
            attempts: 0,
            result: None,
            error: None,
            items: Vec::new(),
        }
    }
}

/// The project and the workflow's project-relative path of `file` (`project`: `-p`, else the
/// directory above the file's `workflows/`).
pub fn project_of(file: &Path, project: Option<&Path>) -> Result<(Project, PathBuf), Failure> {
    let root = match project {
        Some(p) => p.to_path_buf(),
        None => {
            let abs = std::path::absolute(file).map_err(|e| format!("`{}`: {e}", file.display()))?;
            abs.parent().and_then(|d| d.parent()).map(Path::to_path_buf).ok_or_else(|| {
                format!("`{}` is not under a `workflows/` directory; pass `-p DIR`", file.display())
            })?
        }
    };
    let project = crate::open_project(Some(&root))?;
    // A relative path names a file from here, else (the editor's lens) from the project root.
    let abs =
        if file.exists() { std::path::absolute(file).unwrap_or(file.to_path_buf()) } else { root.join(file) };
    let rel = project
        .relative(&abs)
        .filter(|r| coworks_core::layout::is_workflow_path(r) && project.workflow(r).is_some())
        .ok_or_else(|| {
            format!(
                "`{}` is not a workflow of project `{}` (workflows/<name>.cws.yml)",
                file.display(),
                root.display()
            )
        })?;
    Ok((project, rel))
}

/// `cws workflow run`.
pub fn run(args: RunArgs) -> Result<ExitCode, Failure> {
    let conf: Value = serde_json::from_str(&args.conf).map_err(|e| format!("--conf is not JSON: {e}"))?;
    if !conf.is_object() {
        return Err("--conf must be a JSON object, e.g. '{\"customer\": \"ada\"}'".into());
    }
    let (project, rel) = project_of(&args.file, args.project.as_deref())?;
    let stage = project.resolve_stage(args.stage.as_deref()).map_err(|e| e.to_string())?;
    let errors: Vec<_> = project
        .diagnostics(Some(&stage))
        .into_iter()
        .filter(|d| d.severity == Severity::Error && d.file == rel)
        .collect();
    if !errors.is_empty() {
        crate::print_diagnostics(&project, &errors);
        return Err(failed(format!(
            "`{}` has {} error(s) in stage `{stage}` (`cws check -s {stage}`); not run",
            rel.display(),
            errors.len()
        )));
    }
    let wf = project.workflow(&rel).ok_or_else(|| failed("the workflow was not read"))?;
    let endpoints = endpoints(&project, &stage, wf, &args)?;
    let runner = Runner::new(&project, &stage, wf, endpoints, conf)?;
    runner.execute(args.json)
}

/// Where each service of `wf` is called in `stage`, with its token and limits.
fn endpoints(
    project: &Project,
    stage: &str,
    wf: &Workflow,
    args: &RunArgs,
) -> Result<BTreeMap<String, Endpoint>, Failure> {
    let mut out = BTreeMap::new();
    for t in &wf.tasks {
        let Some(service) = t.service.as_ref().map(|s| s.value.clone()) else { continue };
        if out.contains_key(&service) {
            continue;
        }
        let target = local::target(Some(project.root()), &service, Some(stage), args.port)?;
        let base = if args.deployed {
            crate::deploy::deployed_url(project, stage, &service)?.trim_end_matches('/').to_string()
        } else {
            invoke::local_base(&target)?
        };
        let settings = project.function_settings(stage, &service, &CliOptions::new());
        let token = target.env.get("TOKEN").filter(|t| !t.is_empty()).cloned();
        let api_key =
            settings.api_key_required().then(|| api_key_from_env(&service, |v| std::env::var(v).ok()));
        out.insert(
            service,
            Endpoint {
                base,
                token,
                api_key,
                timeout: target.invoke_timeout,
                bucket: settings.bucket,
                results_prefix: settings.results_prefix,
            },
        );
    }
    Ok(out)
}

struct Runner<'p> {
    root: PathBuf,
    stage: String,
    wf: &'p Workflow,
    endpoints: BTreeMap<String, Endpoint>,
    conf: Value,
    run_id: String,
    dag_id: String,
    s3: coworks::s3::S3Config,
    rt: tokio::runtime::Runtime,
    agent: ureq::Agent,
}

impl<'p> Runner<'p> {
    fn new(
        project: &'p Project,
        stage: &str,
        wf: &'p Workflow,
        endpoints: BTreeMap<String, Endpoint>,
        conf: Value,
    ) -> Result<Self, Failure> {
        let millis = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| failed(format!("cannot start the async runtime: {e}")))?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .allow_non_standard_methods(true)
            .build()
            .into();
        Ok(Runner {
            root: project.root().to_path_buf(),
            stage: stage.to_string(),
            wf,
            endpoints,
            conf,
            run_id: format!("local__{millis}"),
            dag_id: dag_id(wf, stage),
            s3: s3_config(project, stage),
            rt,
            agent,
        })
    }

    fn execute(self, json: bool) -> Result<ExitCode, Failure> {
        let started = Instant::now();
        let mut schedule = Schedule::new(self.wf);
        let mut results: BTreeMap<String, CallResult> = BTreeMap::new();
        let mut runs: Vec<TaskRun> = Vec::new();
        let s = status_style();
        errln!(
            "{s}{:>12}{s:#} workflow {} in stage {} (run {})",
            "Running",
            escape(&self.wf.id.value),
            escape(&self.stage),
            self.run_id
        );
        while let Some(next) = schedule.next_step() {
            match next {
                Next::Decided(t, state) => {
                    errln!("{s}{:>12}{s:#} {} ({})", "Not run", t.id, state.as_str().replace('_', " "));
                    runs.push(TaskRun::new(&t.id, state));
                }
                Next::Run(t) => {
                    let ctx = Context { conf: &self.conf, results: &results };
                    if run::condition_holds(t, ctx) == Ok(false) {
                        let when = t.when.as_ref().map(|w| w.value.as_str()).unwrap_or_default();
                        let otherwise: Vec<&str> = t.otherwise.iter().map(|o| o.value.as_str()).collect();
                        let instead = if otherwise.is_empty() {
                            String::new()
                        } else {
                            format!("; else {}", otherwise.join(", "))
                        };
                        errln!(
                            "{s}{:>12}{s:#} {} (skipped: `when: {}` is false{})",
                            "Not run",
                            t.id,
                            escape(when),
                            escape(&instead)
                        );
                        schedule.skip_by_condition(&t.id);
                        runs.push(TaskRun::new(&t.id, TaskState::Skipped));
                        continue;
                    }
                    let r =
                        if t.is_mapped() { self.mapped(t, &results) } else { self.task(t, &results, None) };
                    schedule.finish(&t.id, r.state, r.result.as_ref().map(|x| x.status));
                    if let (TaskState::Success, Some(result)) = (r.state, &r.result) {
                        results.insert(t.id.clone(), result.clone());
                    }
                    runs.push(r);
                }
            }
        }
        let state = schedule.run_state();
        let elapsed = started.elapsed();
        // The preview colours each task by its state in the last run.
        let tasks = runs.iter().map(|r| (r.id.clone(), r.state)).collect();
        let last = LastRun { stage: self.stage.clone(), run_id: self.run_id.clone(), state, tasks };
        if let Err(e) = last.save(&self.root, &self.wf.file) {
            errln!("warning: cannot keep the run's task states for the preview: {e}");
        }
        if json {
            let record = serde_json::json!({
                "workflow": self.wf.id.value,
                "stage": self.stage,
                "run_id": self.run_id,
                "state": state,
                "duration_ms": elapsed.as_millis(),
                "tasks": runs,
            });
            outln!("{}", serde_json::to_string_pretty(&record).map_err(|e| e.to_string())?);
        } else {
            let rows = runs
                .iter()
                .map(|r| {
                    vec![
                        r.id.clone(),
                        r.state.as_str().to_string(),
                        r.status.map(|s| s.to_string()).unwrap_or_default(),
                        if r.attempts == 0 { String::new() } else { format!("{} ms", r.duration_ms) },
                    ]
                })
                .collect();
            crate::output::out!(
                "{}",
                crate::output::table(
                    &["task", "state", "status", "duration"],
                    rows,
                    crate::output::stdout_width()
                )
            );
            outln!("run {}: {} in {}", self.run_id, state.as_str(), seconds(elapsed));
        }
        for t in schedule.undecided() {
            errln!("warning: task `{t}` never became ready (a cycle: `cws check`)");
        }
        Ok(if state == TaskState::Success { ExitCode::SUCCESS } else { ExitCode::FAILURE })
    }

    /// Runs a task mapped over `for_each`: once per item (each with its retries), skipped when the
    /// list is empty; its result gathers the items' ([`run::gather`]).
    fn mapped(&self, t: &Task, results: &BTreeMap<String, CallResult>) -> TaskRun {
        let s = status_style();
        let started = Instant::now();
        let mut run = TaskRun::new(&t.id, TaskState::Failed);
        // A `when:` that cannot be evaluated fails the task before its list is rendered.
        let ctx = Context { conf: &self.conf, results };
        let items = match run::condition_holds(t, ctx).and_then(|_| run::items(t, ctx)) {
            Ok(items) => items,
            Err(e) => {
                errln!("{s}{:>12}{s:#} {} failed: {}", "Mapping", t.id, escape(&e));
                run.error = Some(e);
                return run;
            }
        };
        errln!("{s}{:>12}{s:#} {} over {} item(s)", "Mapping", t.id, items.len());
        if items.is_empty() {
            run.state = TaskState::Skipped;
            return run;
        }
        run.items = items.iter().map(|item| self.task(t, results, Some(item))).collect();
        run.attempts = run.items.iter().map(|r| r.attempts).sum();
        run.duration_ms = started.elapsed().as_millis();
        if let Some(failed) = run.items.iter().position(|r| r.state != TaskState::Success) {
            run.error = Some(format!("item {failed} failed"));
            return run;
        }
        let each: Vec<CallResult> = run.items.iter().filter_map(|r| r.result.clone()).collect();
        let gathered = run::gather(&each);
        run.state = TaskState::Success;
        run.status = Some(gathered.status);
        run.result = Some(gathered);
        run
    }

    /// Runs a `python` task's function with python3 (`run::python_argv`): its result, or why not.
    fn python(&self, t: &Task, target: &str, results: &BTreeMap<String, CallResult>) -> Outcome {
        let s = status_style();
        let Some((module, function)) = coworks_core::workflow::parse::python_target(target) else {
            return (None, Verdict::Fail(format!("`python: {target}` is not `module.function`")));
        };
        errln!("{s}{:>12}{s:#} {} — python {}", "Running", t.id, escape(target));
        let inputs: BTreeMap<&str, &CallResult> = run::python_inputs(self.wf, t)
            .into_iter()
            .filter_map(|id| results.get(id).map(|r| (id, r)))
            .collect();
        let stdin = serde_json::json!({ "conf": self.conf, "tasks": inputs }).to_string();
        let argv = run::python_argv(&self.root, module, function);
        let timeout = self.wf.args_of(t).timeout.map(|x| Duration::from_secs(u64::from(x)));
        match run_with_input(&argv, &self.root, &stdin, timeout) {
            Err(e) => (
                None,
                Verdict::Fail(format!(
                    "cannot run `{target}` with python3 ({e}); `cws workflow run` runs python tasks with python3 on the PATH"
                )),
            ),
            Ok(out) => {
                for line in out.stderr.lines() {
                    errln!("             {}", escape(line));
                }
                let last = out.stdout.lines().last().unwrap_or("");
                match (out.success, serde_json::from_str::<CallResult>(last)) {
                    (true, Ok(result)) => (Some(result), Verdict::Success),
                    (true, Err(e)) => (None, Verdict::Error(format!("`{target}` printed no result: {e}"))),
                    (false, _) => {
                        let why = out.stderr.lines().last().unwrap_or("it failed").to_string();
                        (None, Verdict::Error(format!("`{target}`: {why}")))
                    }
                }
            }
        }
    }

    /// Runs one task (one item of a mapped task) with its retries.
    fn task(&self, t: &Task, results: &BTreeMap<String, CallResult>, item: Option<&Value>) -> TaskRun {
        let s = status_style();
        let args = self.wf.args_of(t);
        let started = Instant::now();
        let mut attempts = 0;
        let mut run = TaskRun::new(&t.id, TaskState::Failed);
        loop {
            attempts += 1;
            let ctx = Context { conf: &self.conf, results };
            let request = match (run::condition_holds(t, ctx), &t.python) {
                (Err(e), _) => Err((None, Verdict::Error(e))),
                (Ok(_), Some(p)) => Err(self.python(t, &p.value, results)),
                (Ok(_), None) => run::request_item(t, ctx, item).map_err(|e| (None, Verdict::Error(e))),
            };
            let outcome = match request {
                Ok(req) => {
                    let service = t.service.as_ref().map(|x| x.value.as_str()).unwrap_or("");
                    errln!(
                        "{s}{:>12}{s:#} {} — {service} {} {}{}",
                        "Calling",
                        t.id,
                        req.method,
                        escape(&req.path),
                        if t.is_async { " (async)" } else { "" }
                    );
                    for (k, v) in &req.query {
                        errln!("             query {}={}", escape(k), escape(v));
                    }
                    for (k, v) in &req.headers {
                        errln!("             header {}: {}", escape(k), escape(v));
                    }
                    if let Some(j) = &req.json {
                        errln!("             json  {}", escape(&j.to_string()));
                    }
                    let outcome = match &t.wait_until {
                        Some(_) => self.wait(t, service, &req, args.timeout),
                        None => self.call(t, service, &req, args.timeout),
                    };
                    run.call = Some(req);
                    outcome
                }
                Err(outcome) => outcome,
            };
            let (result, verdict) = outcome;
            run.status = result.as_ref().map(|r| r.status);
            run.result = result;
            match verdict {
                Verdict::Success => {
                    run.state = TaskState::Success;
                    run.error = None;
                }
                Verdict::Fail(e) => run.error = Some(e),
                Verdict::Error(e) => {
                    let left = args.retries.unwrap_or(0) + 1 > attempts;
                    if left {
                        // Airflow's default delay between retries: 300 s.
                        let delay = args.retry_delay.unwrap_or(300);
                        errln!("             {}; retrying in {delay} s", escape(&e));
                        std::thread::sleep(Duration::from_secs(u64::from(delay)));
                        continue;
                    }
                    run.error = Some(e);
                }
            }
            break;
        }
        run.attempts = attempts;
        run.duration_ms = started.elapsed().as_millis();
        let status = run.status.map(|x| format!("{x} ")).unwrap_or_default();
        match (&run.error, &run.result) {
            (Some(e), _) => errln!("             {status}failed: {}", escape(e)),
            (None, Some(r)) => {
                errln!("             {status}in {} ms: {}", run.duration_ms, escape(&excerpt(&r.body)))
            }
            (None, None) => {}
        }
        run
    }

    /// Sends the call (and for an async call waits for its record): the result and its verdict.
    fn call(&self, t: &Task, service: &str, req: &run::Request, timeout: Option<u32>) -> Outcome {
        let Some(ep) = self.endpoints.get(service) else {
            return (None, Verdict::Fail(format!("no endpoint for service `{service}`")));
        };
        let timeout = Duration::from_secs(timeout.map(u64::from).unwrap_or(ep.timeout).max(1));
        let call = format!("{service} {} {}", req.method, req.path);
        let token_place = match &ep.api_key {
            Some(Some((var, _))) => {
                format!("stage `{}` (`TOKEN` of its env files) or its API key (`{var}`)", self.stage)
            }
            _ => format!("stage `{}` (`TOKEN` of its env files)", self.stage),
        };
        let mut url = format!("{}{}", ep.base, utf8_percent_encode(&req.path, PATH));
        for (i, (k, v)) in req.query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&format!("{}={}", invoke::encode(k), invoke::encode(v)));
        }
        let mut builder = ureq::http::Request::builder().method(req.method.as_str()).uri(&url);
        // The task's own `Accept` replaces the default one, as in the DAG's operator.
        if !req.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("accept")) {
            builder = builder.header("Accept", "application/json");
        }
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if let Some(token) = &ep.token {
            builder = builder.header("Authorization", format!("Bearer {token}"));
        }
        // The service's API key (a task cannot send one of its own: the core's
        // `credential_header_problem`).
        match &ep.api_key {
            Some(Some((_, api_key))) => builder = builder.header(API_KEY_HEADER, api_key.as_str()),
            Some(None) => {
                let msg = format!(
                    "{call}: service `{service}` requires an API key in stage `{}` (`api_key` / `usage_plan`): set {} to it (the local stage gateway's, or the deployed key's value: `aws apigateway get-api-key --api-key <api_key_id> --include-value`)",
                    self.stage,
                    api_key_envs_text(service)
                );
                return (None, Verdict::Fail(msg));
            }
            None => {}
        }
        let key = format!("{}{}/{}/{}__call.json", ep.results_prefix, self.dag_id, self.run_id, t.id);
        if t.is_async {
            let Some(bucket) = &ep.bucket else {
                return (None, Verdict::Fail(format!("{call}: no results bucket for the async call")));
            };
            builder = builder
                .header("InvocationType", "Event")
                .header("X-CWS-S3Bucket", bucket.as_str())
                .header("X-CWS-S3Key", key.as_str());
        }
        let body = match &req.json {
            Some(j) => {
                builder = builder.header("Content-Type", "application/json");
                j.to_string().into_bytes()
            }
            None => Vec::new(),
        };
        let request = match builder.body(body) {
            Ok(r) => r,
            Err(e) => return (None, Verdict::Fail(format!("{call}: bad request: {e}"))),
        };
        let config = self.agent.configure_request(request).timeout_global(Some(timeout)).build();
        let mut response = match self.agent.run(config) {
            Ok(r) => r,
            Err(e) => return (None, Verdict::Error(format!("{call}: no answer from {}: {e}", ep.base))),
        };
        let headers: BTreeMap<String, String> = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let text = match response.body_mut().read_to_string() {
            Ok(text) => text,
            Err(e) => return (None, Verdict::Error(format!("{call}: reading the answer: {e}"))),
        };
        let answer = CallResult::from_answer(response.status().as_u16(), headers, &text);
        let verdict = run::judge(t, &call, &answer, t.is_async, &token_place);
        if !t.is_async || verdict != Verdict::Success {
            return (Some(answer), verdict);
        }
        let bucket = ep.bucket.as_deref().unwrap_or_default();
        errln!("             202, waiting for s3://{bucket}/{key}");
        match self.wait_record(bucket, &key, timeout) {
            Ok(record) => {
                let verdict = run::judge(t, &format!("{call} (async)"), &record, false, &token_place);
                (Some(record), verdict)
            }
            Err(e) => (Some(answer), Verdict::Error(format!("{call}: {e}"))),
        }
    }

    /// Calls a `wait_until` task's entry until its answer meets the condition, as the DAG's sensor
    /// pokes: a call, then (not met) a timeout check, then the interval.
    fn wait(&self, t: &Task, service: &str, req: &run::Request, timeout: Option<u32>) -> Outcome {
        let Some(wait) = &t.wait_until else { return self.call(t, service, req, timeout) };
        let started = Instant::now();
        let call = format!("{service} {} {}", req.method, req.path);
        let token_place = format!("stage `{}` (`TOKEN` of its env files)", self.stage);
        loop {
            let (result, verdict) = self.call(t, service, req, timeout);
            let Some(answer) = result else { return (None, verdict) };
            match run::poke(t, &call, &answer, &token_place) {
                run::Poke::Done => return (Some(answer), Verdict::Success),
                run::Poke::Fail(e) => return (Some(answer), Verdict::Fail(e)),
                run::Poke::Again => {}
            }
            if started.elapsed() > Duration::from_secs(u64::from(wait.timeout)) {
                let message = run::wait_timeout_message(t, &call, Some(answer.status));
                return (Some(answer), Verdict::Fail(message));
            }
            errln!("             {} not met yet; again in {} s", answer.status, wait.interval);
            std::thread::sleep(Duration::from_secs(u64::from(wait.interval)));
        }
    }

    /// Polls S3 for an async call's record (as the DAG's `S3KeySensor` does), at most `timeout`.
    fn wait_record(&self, bucket: &str, key: &str, timeout: Duration) -> Result<CallResult, String> {
        let deadline = Instant::now() + timeout;
        let mut pause = Duration::from_millis(200);
        loop {
            match self.rt.block_on(self.s3.get_object(bucket, key)) {
                Ok(bytes) => return CallResult::from_record(&String::from_utf8_lossy(&bytes)),
                Err(coworks::aws::AwsError::Status { status: 404, .. }) => {}
                Err(e) => return Err(format!("cannot read the result record s3://{bucket}/{key}: {e}")),
            }
            if Instant::now() + pause > deadline {
                return Err(format!(
                    "no result record s3://{bucket}/{key} within {} s (the task's timeout)",
                    timeout.as_secs()
                ));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }
}

/// What a process printed and whether it succeeded.
struct ProcessOutput {
    success: bool,
    stdout: String,
    stderr: String,
}

/// Runs `argv` in `dir` with `input` on its stdin; killed after `timeout` (a failure saying so).
fn run_with_input(
    argv: &[String],
    dir: &Path,
    input: &str,
    timeout: Option<Duration>,
) -> Result<ProcessOutput, String> {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    let (program, args) = argv.split_first().ok_or("no command")?;
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    if let Some(mut stdin) = child.stdin.take() {
        // A function that never reads its input closes the pipe early: not an error.
        let _ = stdin.write_all(input.as_bytes());
    }
    let read = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut r) = r {
                let _ = r.read_to_string(&mut text);
            }
            text
        })
    };
    let out = read(child.stdout.take().map(|o| Box::new(o) as Box<dyn Read + Send>));
    let err = read(child.stderr.take().map(|e| Box::new(e) as Box<dyn Read + Send>));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if timeout.is_some_and(|t| started.elapsed() > t) {
            let _ = child.kill();
            let _ = child.wait();
            let secs = timeout.map_or(0, |t| t.as_secs());
            let stderr = err.join().unwrap_or_default();
            return Ok(ProcessOutput {
                success: false,
                stdout: String::new(),
                stderr: format!("{stderr}stopped after {secs} s (the task's timeout)\n"),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ok(ProcessOutput {
        success: status.success(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// The S3 settings reading async results: `cws`'s AWS environment, else the stage's (profile,
/// region, endpoints), as a local run of the services gets them.
fn s3_config(project: &Project, stage: &str) -> coworks::s3::S3Config {
    let stage_env = local::local_aws_env(project, stage);
    let var = |k: &str| {
        std::env::var(k)
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| stage_env.get(k).filter(|v| !v.is_empty()).cloned())
    };
    let credentials = match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(access_key_id), Some(secret_access_key)) => Some(coworks::sigv4::Credentials {
            access_key_id,
            secret_access_key,
            session_token: var("AWS_SESSION_TOKEN"),
        }),
        _ => None,
    };
    coworks::s3::S3Config {
        endpoint: var("AWS_ENDPOINT_URL_S3").or_else(|| var("AWS_ENDPOINT_URL")),
        region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")).unwrap_or_else(|| "us-east-1".into()),
        credentials,
    }
}

/// The start of a body, for the log.
fn excerpt(body: &Value) -> String {
    let text = run::text_of(body);
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}
