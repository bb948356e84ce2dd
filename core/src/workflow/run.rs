//! What a run of a workflow decides, written once: the request a task sends (templates rendered,
//! `{name}` segments filled), what its answer means (success, a failure retried or not, the
//! `on_failure` branch), which branch a status chooses, which tasks run next and which are skipped
//! (Airflow's trigger rules on the DAG the generator writes).
//!
//! The local runner (`cws workflow run`) executes these decisions itself; the DAG generator
//! ([`crate::artifacts::airflow`]) writes the same branch lists, trigger rules and paths into the
//! DAG, and the DAGs' runtime (`coworks_airflow`) mirrors the template rendering and the status
//! rules in Python (`templates.py`, `operators.py`). `cli/tests/workflow_run.rs` runs the example
//! workflows both ways and requires the same task states.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::condition;
use super::model::{EdgeKind, Task, WaitCondition, WaitUntil, Workflow};
use super::template::{self, Source};
use crate::artifacts::api::{API_KEY_ENV, API_KEY_HEADER, TOKEN_HEADER};
use crate::model::HttpMethod;

/// What a call answered: `tasks.<id>` of later templates (the XCom of the DAG's task).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallResult {
    /// The HTTP status.
    pub status: u16,
    /// The answer's headers.
    pub headers: BTreeMap<String, String>,
    /// The body: JSON when the answer is JSON, else its text.
    pub body: Value,
}

impl CallResult {
    /// The result of an answer: its body parsed when its `Content-Type` names JSON and it parses.
    pub fn from_answer(status: u16, headers: BTreeMap<String, String>, text: &str) -> CallResult {
        let json = headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("content-type") && v.to_ascii_lowercase().contains("json"));
        let body = match (json && !text.is_empty()).then(|| serde_json::from_str(text)) {
            Some(Ok(v)) => v,
            _ => Value::String(text.to_string()),
        };
        CallResult { status, headers, body }
    }

    /// The result an asynchronous call recorded (`{status, headers, body}`, the runtime's record).
    pub fn from_record(text: &str) -> Result<CallResult, String> {
        let record: Value =
            serde_json::from_str(text).map_err(|e| format!("the result record is not JSON: {e}"))?;
        let status = record.get("status").and_then(Value::as_u64).unwrap_or(0);
        let headers: BTreeMap<String, String> = record
            .get("headers")
            .and_then(Value::as_object)
            .map(|h| h.iter().map(|(k, v)| (k.clone(), text_of(v))).collect())
            .unwrap_or_default();
        let status = u16::try_from(status).unwrap_or(0);
        Ok(match record.get("body") {
            Some(Value::String(s)) => CallResult::from_answer(status, headers, s),
            other => CallResult { status, headers, body: other.cloned().unwrap_or(Value::Null) },
        })
    }
}

/// What templates read: the run's conf and the results of the tasks that ran.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The run's configuration (a JSON object).
    pub conf: &'a Value,
    /// The results by task id.
    pub results: &'a BTreeMap<String, CallResult>,
}

/// The text a value takes inside other text: strings as they are, `null` as nothing, numbers,
/// booleans, lists and mappings as compact JSON (keys sorted).
pub fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `value` with every template replaced (see [`template`]): a text that is exactly one template
/// takes the value with its JSON type.
pub fn render(value: &Value, ctx: Context<'_>) -> Result<Value, String> {
    render_item(value, ctx, None)
}

/// [`render`] for one item of a task mapped over `for_each` (`{{ item }}` reads `item`).
pub fn render_item(value: &Value, ctx: Context<'_>, item: Option<&Value>) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => render_text(s, ctx, item)?,
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| render_item(i, ctx, item)).collect::<Result<_, _>>()?)
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), render_item(v, ctx, item)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

fn render_text(text: &str, ctx: Context<'_>, item: Option<&Value>) -> Result<Value, String> {
    let found = template::templates(text);
    if template::is_whole(text) {
        return lookup(&found[0], ctx, item);
    }
    let mut out = String::new();
    let mut at = 0;
    for t in &found {
        out.push_str(&text[at..t.range.start]);
        out.push_str(&text_of(&lookup(t, ctx, item)?));
        at = t.range.end;
    }
    out.push_str(&text[at..]);
    Ok(Value::String(out))
}

fn lookup(t: &template::Template, ctx: Context<'_>, item: Option<&Value>) -> Result<Value, String> {
    let expr = &t.expr;
    let (mut found, path, place) = match &t.source {
        Err(e) => return Err(format!("{{{{ {expr} }}}}: {e}")),
        Ok(Source::Item(path)) => {
            let item = item.ok_or_else(|| {
                format!("{{{{ {expr} }}}}: only a task mapped over `for_each` has an `item`")
            })?;
            return walk(item, path, expr, "the item");
        }
        Ok(Source::Conf(path)) => (ctx.conf, path.as_slice(), "the run's conf".to_string()),
        Ok(Source::Task { task, path }) => {
            let result = ctx
                .results
                .get(task)
                .ok_or_else(|| format!("{{{{ {expr} }}}}: task `{task}` has no result in this run"))?;
            let (field, rest) = path.split_first().ok_or_else(|| format!("{{{{ {expr} }}}}: no field"))?;
            let head = match field.as_str() {
                "status" => Value::from(result.status),
                "headers" => serde_json::to_value(&result.headers).unwrap_or(Value::Null),
                _ => result.body.clone(),
            };
            return walk(&head, rest, expr, &format!("the result of task `{task}`"));
        }
    };
    if path.is_empty() {
        return Ok(found.clone());
    }
    found = found.get(path[0].as_str()).ok_or_else(|| missing(expr, &place, &path[0], ctx.conf))?;
    walk(found, &path[1..], expr, &place)
}

fn walk(start: &Value, path: &[String], expr: &str, place: &str) -> Result<Value, String> {
    let mut found = start;
    for name in path {
        let next = match found {
            Value::Object(m) => m.get(name),
            Value::Array(items) if name.bytes().all(|b| b.is_ascii_digit()) => {
                name.parse::<usize>().ok().and_then(|i| items.get(i))
            }
            _ => None,
        };
        found = next.ok_or_else(|| missing(expr, place, name, found))?;
    }
    Ok(found.clone())
}

fn missing(expr: &str, place: &str, name: &str, found: &Value) -> String {
    let mut shown = found.to_string();
    if shown.len() > 200 {
        let cut = (0..=200).rev().find(|i| shown.is_char_boundary(*i)).unwrap_or(0);
        shown.truncate(cut);
        shown.push('…');
    }
    format!("{{{{ {expr} }}}}: {place} has no `{name}` (it is {shown})")
}

/// The task's path with its `{name}` segments replaced by their `params` values (templates stay).
pub fn fill_params(path: &str, t: &Task) -> String {
    path.split('/')
        .map(|seg| {
            let hole = if seg.starts_with("{{") {
                None
            } else {
                seg.strip_prefix('{').and_then(|x| x.strip_suffix('}'))
            };
            match hole.and_then(|h| t.params.iter().find(|a| a.name.value == h)) {
                Some(a) => text_of(&a.value),
                None => seg.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Headers a task may not give (compared without case): the call sets them — the JSON body's type,
/// the HTTP framing and the async contract. The credentials (`Authorization`, `x-api-key`) are
/// refused too, for where they come from: [`credential_header_problem`].
pub const RESERVED_HEADERS: &[&str] =
    &["Content-Type", "Content-Length", "Host", "InvocationType", "X-CWS-S3Bucket", "X-CWS-S3Key"];

/// What is wrong with a header name a task gives: not a token of RFC 9110 (letters, digits and
/// `` !#$%&'*+-.^_`|~ ``), or one of [`RESERVED_HEADERS`].
pub fn header_name_problem(name: &str) -> Option<String> {
    let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(tchar) {
        return Some(format!(
            "header name {name:?} is not an HTTP token (letters, digits and !#$%&'*+-.^_`|~, RFC 9110)"
        ));
    }
    if let Some(problem) = credential_header_problem(name) {
        return Some(problem);
    }
    RESERVED_HEADERS.iter().find(|r| r.eq_ignore_ascii_case(name)).map(|r| {
        format!("a task cannot set `{r}`: the call sets it (the JSON body, HTTP or the async contract)")
    })
}

/// What is wrong with a task giving the header `name` (compared without case) when it is a
/// credential the call sends itself: the stage's token ([`TOKEN_HEADER`], `Authorization`) or the
/// service's API key ([`API_KEY_HEADER`], `x-api-key`). Both are the deployment's — the stage's env
/// files and the environment for `cws workflow run`, the service's Airflow connection in a DAG —
/// never a workflow file's, which is committed with the repository and shared by every stage.
pub fn credential_header_problem(name: &str) -> Option<String> {
    if name.eq_ignore_ascii_case(TOKEN_HEADER) {
        Some(format!(
            "a task cannot set `{TOKEN_HEADER}`: the call sends the stage's token itself, from the deployment, never from a workflow file (committed with the repository): `TOKEN` of the stage's env files with `cws workflow run`, the password of the service's Airflow connection (`cws_<service>_<stage>`) in a DAG"
        ))
    } else if name.eq_ignore_ascii_case(API_KEY_HEADER) {
        Some(format!(
            "a task cannot set `{API_KEY_HEADER}`: the call sends the service's API key itself, from the deployment, never from a workflow file (committed with the repository): `{API_KEY_ENV}_<SERVICE>` (or `{API_KEY_ENV}`) of the environment with `cws workflow run`, `api_key` in the extra of the service's Airflow connection (`cws_<service>_<stage>`) in a DAG"
        ))
    } else {
        None
    }
}

/// What is wrong with a header value (after rendering): only visible ASCII, with spaces and tabs
/// inside (RFC 9110 field values, as both HTTP clients send them).
pub fn header_value_problem(value: &str) -> Option<String> {
    let visible = value.chars().all(|c| c == ' ' || c == '\t' || c.is_ascii_graphic());
    let trimmed = value.trim_matches([' ', '\t']).len() == value.len();
    (!visible || !trimmed).then(|| {
        format!(
            "header value {value:?} is not visible ASCII text (spaces and tabs only inside, no line breaks)"
        )
    })
}

/// The request a task sends in a run: what `cws workflow run` prints as the values passed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    /// The method.
    pub method: HttpMethod,
    /// The path, rendered (not yet percent-encoded).
    pub path: String,
    /// The query pairs, in order (a list repeats its key; `null` values are left out).
    pub query: Vec<(String, String)>,
    /// The task's `headers`, rendered as text (`null` values are left out).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// The JSON body, rendered.
    pub json: Option<Value>,
}

/// The request of `task` in the run `ctx`, or why a template cannot be rendered.
pub fn request(task: &Task, ctx: Context<'_>) -> Result<Request, String> {
    request_item(task, ctx, None)
}

/// The request of one item of a task mapped over `for_each` ([`request`] with `{{ item }}`).
pub fn request_item(task: &Task, ctx: Context<'_>, item: Option<&Value>) -> Result<Request, String> {
    let render = |v: &Value, ctx| render_item(v, ctx, item);
    let path = task.path.as_ref().map(|p| p.value.as_str()).unwrap_or("/");
    let path = text_of(&render(&Value::String(fill_params(path, task)), ctx)?);
    let mut query = Vec::new();
    for arg in &task.query {
        match render(&arg.value, ctx)? {
            Value::Null => {}
            Value::Array(items) => query.extend(items.iter().map(|i| (arg.name.value.clone(), text_of(i)))),
            v => query.push((arg.name.value.clone(), text_of(&v))),
        }
    }
    let mut headers = Vec::new();
    for arg in &task.headers {
        let value = match render(&arg.value, ctx)? {
            Value::Null => continue,
            v => text_of(&v),
        };
        let name = &arg.name.value;
        if let Some(problem) = header_name_problem(name).or_else(|| header_value_problem(&value)) {
            return Err(format!("header `{name}`: {problem}"));
        }
        headers.push((name.clone(), value));
    }
    let json = task.json.as_ref().map(|j| render(&j.value, ctx)).transpose()?;
    Ok(Request { method: task.method.value, path, query, headers, json })
}

/// Whether `task` runs in the run `ctx`: true without `when:`, else the condition's value (paths
/// read as templates do, [`condition`]). A task whose condition is false is skipped, with every
/// task that waits for it alone (Airflow's skip propagation; the DAG's operator raises a skip). A
/// condition that cannot be evaluated (a value missing, an ordering of different types) fails the
/// task like a template that cannot be rendered.
pub fn condition_holds(task: &Task, ctx: Context<'_>) -> Result<bool, String> {
    let Some(when) = &task.when else { return Ok(true) };
    let expr = condition::parse(&when.value).map_err(|e| format!("`when: {}`: {}", when.value, e.message))?;
    let mut read = |e: &condition::Expr| match e {
        condition::Expr::Path { text, source, range } => {
            let t = template::Template { range: *range, expr: text.clone(), source: Ok(source.clone()) };
            lookup(&t, ctx, None)
        }
        _ => Ok(Value::Null),
    };
    condition::eval(&expr, &mut read).map_err(|e| format!("`when: {}`: {e}", when.value))
}

/// The items a task mapped over `for_each` is called with: its template rendered, which must give a
/// list (an empty list: the task is skipped, as Airflow skips a task mapped over nothing).
pub fn items(task: &Task, ctx: Context<'_>) -> Result<Vec<Value>, String> {
    let Some(each) = &task.for_each else { return Ok(Vec::new()) };
    match render(&Value::String(each.value.clone()), ctx)? {
        Value::Array(items) => Ok(items),
        other => {
            let mut shown = other.to_string();
            if shown.len() > 200 {
                let cut = (0..=200).rev().find(|i| shown.is_char_boundary(*i)).unwrap_or(0);
                shown.truncate(cut);
                shown.push('…');
            }
            Err(format!("`for_each` of task `{}`: `{}` is {shown}, not a list", task.id, each.value))
        }
    }
}

/// The result of a task mapped over `for_each` (`tasks.<id>` of later templates): the items' bodies
/// as a list, in item order; the highest of their statuses; no headers.
pub fn gather(results: &[CallResult]) -> CallResult {
    CallResult {
        status: results.iter().map(|r| r.status).max().unwrap_or(200),
        headers: BTreeMap::new(),
        body: Value::Array(results.iter().map(|r| r.body.clone()).collect()),
    }
}

/// Whether an answer ends a `wait_until`: its status is one of the condition's (any 2xx when none
/// is given) and, with `field`, the value there equals `equals` (numbers compared as numbers).
pub fn wait_met(wait: &WaitUntil, result: &CallResult) -> bool {
    match &wait.condition {
        WaitCondition::Answer { status, field, equals } => {
            let status_ok = if status.is_empty() {
                (200..300).contains(&result.status)
            } else {
                status.contains(&result.status)
            };
            let field_ok = match (field, equals) {
                (Some(field), Some(equals)) => {
                    field_value(result, &field.value).is_some_and(|v| json_eq(&v, equals))
                }
                _ => true,
            };
            status_ok && field_ok
        }
    }
}

/// The value at a dotted path of a result (`status`, `headers.etag`, `body.items.0.state`).
pub fn field_value(result: &CallResult, field: &str) -> Option<Value> {
    let mut parts = field.split('.');
    let head = match parts.next()? {
        "status" => Value::from(result.status),
        "headers" => serde_json::to_value(&result.headers).ok()?,
        "body" => result.body.clone(),
        _ => return None,
    };
    let rest: Vec<String> = parts.map(str::to_string).collect();
    walk(&head, &rest, field, "the answer").ok()
}

/// JSON equality with numbers compared by value (`1` equals `1.0`, as in Python).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// What one call of a waiting task (`wait_until`) means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poke {
    /// The condition holds: the task succeeds with this answer.
    Done,
    /// Not yet: call again after the interval (until the wait's timeout, which fails the task
    /// without retries, as Airflow's sensor timeout does).
    Again,
    /// The task fails: the answer is a token problem.
    Fail(String),
}

/// What the answer `result` to one call of the waiting task `task` means ([`judge`]'s token rule,
/// then [`wait_met`]).
pub fn poke(task: &Task, call: &str, result: &CallResult, token_place: &str) -> Poke {
    if let Verdict::Fail(e) = judge(task, call, result, false, token_place) {
        return Poke::Fail(e);
    }
    match &task.wait_until {
        Some(w) if !wait_met(w, result) => Poke::Again,
        _ => Poke::Done,
    }
}

/// The message of a wait that timed out.
pub fn wait_timeout_message(task: &Task, call: &str, last: Option<u16>) -> String {
    let timeout = task.wait_until.as_ref().map_or(0, |w| w.timeout);
    let last = last.map(|s| format!(" (last status {s})")).unwrap_or_default();
    format!("{call}: `wait_until` of task `{}` not met within {timeout} s{last}", task.id)
}

/// The tasks whose results a `python` task is given (`tasks` of its function): every task that runs
/// before it, in file order.
pub fn python_inputs<'w>(wf: &'w Workflow, task: &Task) -> Vec<&'w str> {
    let before = |t: &Task| runs_after(wf, t, &mut BTreeSet::new());
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut todo: Vec<&str> = before(task);
    while let Some(id) = todo.pop() {
        if seen.insert(id) {
            if let Some(t) = wf.task(id) {
                todo.extend(before(t));
            }
        }
    }
    wf.tasks.iter().map(|t| t.id.as_str()).filter(|id| seen.contains(id)).collect()
}

/// The tasks whose results `task` may read: its upstream tasks, except that an `else` task runs
/// when its task did not, so it follows what that task follows (`visited` guards against cycles).
fn runs_after<'w>(wf: &'w Workflow, task: &Task, visited: &mut BTreeSet<String>) -> Vec<&'w str> {
    if !visited.insert(task.id.clone()) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for e in wf.edges().into_iter().filter(|e| e.to == task.id) {
        let Some(from) = wf.task(&e.from) else { continue };
        if e.kind == EdgeKind::Else {
            out.extend(runs_after(wf, from, visited));
        } else {
            out.push(from.id.as_str());
        }
    }
    out
}

/// The result of a `python` task: what its function returned, as the body of a 200.
pub fn python_result(returned: Value) -> CallResult {
    CallResult { status: 200, headers: BTreeMap::new(), body: returned }
}

/// What runs a `python` task's function, shared by the DAGs (`coworks_airflow.python_task`) and
/// `cws workflow run` (`python3 -c PYTHON_TASK MODULE_FILE FUNCTION`, the inputs `{conf, tasks}` as
/// JSON on stdin; the result printed as JSON on the last line of stdout).
pub const PYTHON_TASK: &str = include_str!("../../airflow/coworks_airflow/python_task.py");

/// The command line running `module.function` of `workflows/<module>.py` under `root` locally.
pub fn python_argv(root: &std::path::Path, module: &str, function: &str) -> Vec<String> {
    let file = root.join(crate::layout::workflow_python_path(module));
    vec![
        "python3".into(),
        "-c".into(),
        PYTHON_TASK.into(),
        file.to_string_lossy().into_owned(),
        function.into(),
    ]
}

/// What an answer means for the task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The call succeeded (for an async call: it was accepted, its record is awaited).
    Success,
    /// The task fails without retries (a token problem, a service breaking the async contract).
    Fail(String),
    /// The task fails and is retried when it has retries left.
    Error(String),
}

/// How much of an error body a failure message quotes.
const EXCERPT: usize = 500;

fn excerpt(body: &Value) -> String {
    let text = text_of(body);
    match text.char_indices().nth(EXCERPT) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

/// What `result` means for `task`: 401/403 always fail (the stage's token, `token_place`, is
/// missing or refused); 2xx succeed; another status is the `on_failure` branch's input when the
/// task has one (and is not the acceptance of an async call), else an error. An async call
/// (`accepting`) must be answered 202. `call` names the call in messages.
pub fn judge(task: &Task, call: &str, result: &CallResult, accepting: bool, token_place: &str) -> Verdict {
    let status = result.status;
    if status == 401 || status == 403 {
        let what = if status == 401 { "is missing" } else { "was refused" };
        return Verdict::Fail(format!(
            "{call} answered {status}: the token of {token_place} {what}; set it to the service's TOKEN for this stage"
        ));
    }
    if accepting && status == 202 {
        return Verdict::Success;
    }
    if accepting && (200..300).contains(&status) {
        return Verdict::Fail(format!(
            "{call} answered {status} to an async call (expected 202): is it a CoWorks service?"
        ));
    }
    if (200..300).contains(&status) || (!accepting && !task.on_failure.is_empty()) {
        return Verdict::Success;
    }
    Verdict::Error(format!("{call} answered {status}: {}", excerpt(&result.body)))
}

/// The tasks each branch of a task runs: its `on_*` lists, plus the tasks `after` it (they follow
/// the success branch, and the no-content branch when there is one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Branches {
    /// Run on 2xx.
    pub on_success: Vec<String>,
    /// Run on an error status.
    pub on_failure: Vec<String>,
    /// Run on 204 (when not empty; else 204 is a success).
    pub on_no_content: Vec<String>,
}

/// The branches of `task` in `wf` (only tasks that exist, each once).
pub fn branches(wf: &Workflow, task: &Task) -> Branches {
    let after: Vec<&str> = wf
        .edges()
        .into_iter()
        .filter(|e| e.kind == EdgeKind::After && e.from == task.id)
        .filter_map(|e| wf.task(&e.to).map(|t| t.id.as_str()))
        .collect();
    let list = |given: &[crate::text::Spanned<String>], extra: &[&str]| {
        let mut out: Vec<String> = Vec::new();
        for id in given.iter().map(|g| g.value.as_str()).chain(extra.iter().copied()) {
            if wf.task(id).is_some() && !out.iter().any(|o| o == id) {
                out.push(id.to_string());
            }
        }
        out
    };
    let no_content_extra: &[&str] = if task.on_no_content.is_empty() { &[] } else { &after };
    Branches {
        on_success: list(&task.on_success, &after),
        on_failure: list(&task.on_failure, &[]),
        on_no_content: list(&task.on_no_content, no_content_extra),
    }
}

/// The tasks a status chooses: `on_no_content` for 204 when given, `on_success` for 2xx,
/// `on_failure` otherwise.
pub fn choose(b: &Branches, status: u16) -> &[String] {
    if status == 204 && !b.on_no_content.is_empty() {
        &b.on_no_content
    } else if (200..300).contains(&status) {
        &b.on_success
    } else {
        &b.on_failure
    }
}

/// When a task runs, from the states of the tasks before it (Airflow's trigger rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerRule {
    /// Every upstream succeeded (one upstream, or none).
    AllSuccess,
    /// None failed and at least one succeeded (joins: several upstreams, e.g. after branches).
    NoneFailedMinOneSuccess,
    /// At least one failed (the run's `on_failure` task, after every other task).
    OneFailed,
}

impl TriggerRule {
    /// Airflow's name of the rule.
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerRule::AllSuccess => "all_success",
            TriggerRule::NoneFailedMinOneSuccess => "none_failed_min_one_success",
            TriggerRule::OneFailed => "one_failed",
        }
    }
}

/// The tasks `task` waits for (each once, in edge order).
pub fn upstreams<'w>(wf: &'w Workflow, task: &Task) -> Vec<&'w str> {
    let mut out: Vec<&str> = Vec::new();
    for e in wf.edges() {
        if e.to != task.id {
            continue;
        }
        if let Some(from) = wf.task(&e.from) {
            if !out.contains(&from.id.as_str()) {
                out.push(from.id.as_str());
            }
        }
    }
    out
}

/// The trigger rule of `task`: `one_failed` for the run's `on_failure` task (downstream of every
/// other task), else by its number of upstream tasks.
pub fn trigger_rule(wf: &Workflow, task: &Task) -> TriggerRule {
    if wf.is_failure_task(&task.id) {
        TriggerRule::OneFailed
    } else if upstreams(wf, task).len() > 1 {
        TriggerRule::NoneFailedMinOneSuccess
    } else {
        TriggerRule::AllSuccess
    }
}

/// A task's state at the end of a run (Airflow's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    /// The task ran and succeeded.
    Success,
    /// The task ran and failed.
    Failed,
    /// Not run: a branch chose other tasks, or every task before it was skipped.
    Skipped,
    /// Not run: a task before it failed.
    UpstreamFailed,
}

impl TaskState {
    /// Airflow's name of the state.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Success => "success",
            TaskState::Failed => "failed",
            TaskState::Skipped => "skipped",
            TaskState::UpstreamFailed => "upstream_failed",
        }
    }
}

/// What the run does next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Next<'w> {
    /// Run this task, then report its state with [`Schedule::finish`].
    Run(&'w Task),
    /// This task does not run: it is decided so.
    Decided(&'w Task, TaskState),
}

/// The order of a run: which task runs next and which are skipped, as Airflow schedules the
/// generated DAG (tasks run one at a time, ready ones in file order).
#[derive(Debug, Clone)]
pub struct Schedule<'w> {
    wf: &'w Workflow,
    states: BTreeMap<String, TaskState>,
    /// The tasks each branching task chose, with every task after them.
    chosen: BTreeMap<String, BTreeSet<String>>,
    /// The tasks skipped because their `when:` was false (their `else` tasks run).
    when_false: BTreeSet<String>,
    running: Option<String>,
}

impl<'w> Schedule<'w> {
    /// A run of `wf` about to start.
    pub fn new(wf: &'w Workflow) -> Self {
        Schedule {
            wf,
            states: BTreeMap::new(),
            chosen: BTreeMap::new(),
            when_false: BTreeSet::new(),
            running: None,
        }
    }

    /// The state of a task, once decided.
    pub fn state(&self, task: &str) -> Option<TaskState> {
        self.states.get(task).copied()
    }

    /// What comes next; `None` when every task that can be decided is.
    pub fn next_step(&mut self) -> Option<Next<'w>> {
        if self.running.is_some() {
            return None;
        }
        for t in &self.wf.tasks {
            if self.states.contains_key(&t.id) {
                continue;
            }
            if trigger_rule(self.wf, t) == TriggerRule::OneFailed {
                // Every other task is upstream: run as soon as one failed, skipped when none did.
                let others = || self.wf.tasks.iter().filter(|o| o.id != t.id);
                let failed = others().any(|o| {
                    matches!(self.state(&o.id), Some(TaskState::Failed | TaskState::UpstreamFailed))
                });
                if failed {
                    self.running = Some(t.id.clone());
                    return Some(Next::Run(t));
                }
                if others().all(|o| self.states.contains_key(&o.id)) {
                    self.states.insert(t.id.clone(), TaskState::Skipped);
                    return Some(Next::Decided(t, TaskState::Skipped));
                }
                continue;
            }
            let Some(views) =
                upstreams(self.wf, t).into_iter().map(|u| self.view(u, &t.id)).collect::<Option<Vec<View>>>()
            else {
                continue;
            };
            let decided = if views.contains(&View::SkippedByBranch) {
                Some(TaskState::Skipped)
            } else if views
                .iter()
                .any(|v| matches!(v, View::State(TaskState::Failed | TaskState::UpstreamFailed)))
            {
                Some(TaskState::UpstreamFailed)
            } else {
                let skipped = views.iter().filter(|v| **v == View::State(TaskState::Skipped)).count();
                match trigger_rule(self.wf, t) {
                    TriggerRule::AllSuccess if skipped > 0 => Some(TaskState::Skipped),
                    TriggerRule::NoneFailedMinOneSuccess if skipped == views.len() => {
                        Some(TaskState::Skipped)
                    }
                    _ => None,
                }
            };
            return Some(match decided {
                Some(state) => {
                    self.states.insert(t.id.clone(), state);
                    Next::Decided(t, state)
                }
                None => {
                    self.running = Some(t.id.clone());
                    Next::Run(t)
                }
            });
        }
        None
    }

    /// Records the end of the task [`Schedule::next_step`] gave to run: its state and, when it
    /// succeeded, the status its branches read.
    pub fn finish(&mut self, task: &str, state: TaskState, status: Option<u16>) {
        self.running = None;
        self.states.insert(task.to_string(), state);
        let Some(t) = self.wf.task(task) else { return };
        if let (TaskState::Success, Some(status), true) = (state, status, t.has_branches()) {
            let picked = choose(&branches(self.wf, t), status).to_vec();
            self.chosen.insert(task.to_string(), self.downstream_of(&picked));
        }
    }

    /// Records that the task [`Schedule::next_step`] gave to run was skipped because its `when:` is
    /// false: the tasks after it are skipped, and its `else` tasks run (as the DAG's
    /// `<id>__when` branch chooses them).
    pub fn skip_by_condition(&mut self, task: &str) {
        self.when_false.insert(task.to_string());
        self.finish(task, TaskState::Skipped, None);
    }

    /// The state of the run: failed when a task failed or could not run because one did.
    pub fn run_state(&self) -> TaskState {
        if self.states.values().any(|s| matches!(s, TaskState::Failed | TaskState::UpstreamFailed)) {
            TaskState::Failed
        } else {
            TaskState::Success
        }
    }

    /// The tasks not decided (only behind a cycle, which `cws check` reports).
    pub fn undecided(&self) -> Vec<&'w str> {
        self.wf.tasks.iter().filter(|t| !self.states.contains_key(&t.id)).map(|t| t.id.as_str()).collect()
    }

    /// `ids` and every task after them.
    fn downstream_of(&self, ids: &[String]) -> BTreeSet<String> {
        let edges = self.wf.edges();
        let mut out: BTreeSet<String> = ids.iter().cloned().collect();
        let mut todo: Vec<String> = ids.to_vec();
        while let Some(id) = todo.pop() {
            for e in edges.iter().filter(|e| e.from == id) {
                if out.insert(e.to.clone()) {
                    todo.push(e.to.clone());
                }
            }
        }
        out
    }

    /// What task `to` sees of its upstream `from` (`None`: not decided yet). A branching task is
    /// seen through its branch: a task it did not choose (nor one after a chosen task) is skipped.
    ///
    /// An `else` task sees its task's condition (the DAG's `<id>__when` branch): it runs when the
    /// condition was false, is skipped when the task ran (its condition held, or could not be
    /// evaluated and failed it), and sees the task's skip or upstream failure otherwise.
    fn view(&self, from: &str, to: &str) -> Option<View> {
        let state = *self.states.get(from)?;
        let from_task = self.wf.task(from)?;
        if from_task.otherwise.iter().any(|o| o.value == to) {
            return Some(match state {
                _ if self.when_false.contains(from) => View::State(TaskState::Success),
                TaskState::Success | TaskState::Failed => View::SkippedByBranch,
                other => View::State(other),
            });
        }
        let branching = from_task.has_branches();
        Some(match (branching, state, self.chosen.get(from)) {
            (true, TaskState::Success, Some(chosen)) if !chosen.contains(to) => View::SkippedByBranch,
            (_, state, _) => View::State(state),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    State(TaskState),
    SkippedByBranch,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    fn wf(text: &str) -> Workflow {
        let (wf, d) = crate::workflow::read_workflow(text, Path::new("workflows/w.cws.yml"));
        assert!(d.is_empty(), "{d:#?}");
        wf
    }

    fn result(status: u16, body: Value) -> CallResult {
        CallResult { status, headers: BTreeMap::new(), body }
    }

    #[test]
    fn templates_render_with_types_or_as_text() {
        let conf = json!({ "customer": "ada", "amount": 4200, "items": [{"sku": "x"}] });
        let mut results = BTreeMap::new();
        results.insert("create".to_string(), result(201, json!({ "id": 7, "b": true })));
        let ctx = Context { conf: &conf, results: &results };
        let r = |v: Value| render(&v, ctx);
        assert_eq!(r(json!("{{ conf.amount }}")), Ok(json!(4200)));
        assert_eq!(r(json!("{{ conf.items.0.sku }}")), Ok(json!("x")));
        assert_eq!(r(json!("n° {{ tasks.create.body.id }} of {{conf.customer}}")), Ok(json!("n° 7 of ada")));
        assert_eq!(
            r(json!("{{ tasks.create.status }}: {{ tasks.create.body }}")),
            Ok(json!("201: {\"b\":true,\"id\":7}"))
        );
        assert_eq!(r(json!({ "a": ["{{ tasks.create.body.b }}"] })), Ok(json!({ "a": [true] })));
        let e = r(json!("{{ conf.nope }}")).unwrap_err();
        assert!(e.contains("the run's conf has no `nope`"), "{e}");
        let e = r(json!("{{ tasks.other.body }}")).unwrap_err();
        assert!(e.contains("task `other` has no result"), "{e}");
    }

    #[test]
    fn a_request_fills_params_and_repeats_list_queries() {
        let w = wf("tasks:\n  a: { service: s, path: '/invoice/{id}', params: { id: '{{ conf.id }}' }, query: { tag: ['{{ conf.t }}', b], none: '{{ conf.n }}' } }\n");
        let conf = json!({ "id": 42, "t": "x y", "n": null });
        let results = BTreeMap::new();
        let req = request(&w.tasks[0], Context { conf: &conf, results: &results }).unwrap();
        assert_eq!(req.path, "/invoice/42");
        assert_eq!(req.query, [("tag".to_string(), "x y".to_string()), ("tag".into(), "b".into())]);
    }

    #[test]
    fn statuses_judged_as_the_operators_do() {
        let w = wf("tasks:\n  a: { service: s, path: /a, on_failure: [b] }\n  b: { service: s, path: /b }\n");
        let (a, b) = (&w.tasks[0], &w.tasks[1]);
        let j = |t: &Task, status: u16, accepting: bool| {
            judge(t, "s GET /a", &result(status, json!("no")), accepting, "x")
        };
        assert_eq!(j(a, 422, false), Verdict::Success, "the on_failure branch reads it");
        assert!(matches!(j(b, 422, false), Verdict::Error(m) if m == "s GET /a answered 422: no"));
        assert!(matches!(j(a, 403, false), Verdict::Fail(m) if m.contains("was refused")));
        assert_eq!(j(b, 202, true), Verdict::Success);
        assert!(matches!(j(b, 200, true), Verdict::Fail(_)));
        assert!(matches!(j(a, 500, true), Verdict::Error(_)), "an async call's refusal is no branch");
    }

    #[test]
    fn branches_skip_what_they_do_not_choose_and_joins_wait_for_one() {
        let text = "tasks:\n  a: { service: s, path: /a, on_success: [b], on_failure: [c] }\n  b: { service: s, path: /b }\n  c: { service: s, path: /c }\n  d: { service: s, path: /d, after: [a] }\n  e: { service: s, path: /e, after: [b, c] }\n";
        let w = wf(text);
        let run = |status: u16| {
            let mut s = Schedule::new(&w);
            let mut order = Vec::new();
            while let Some(n) = s.next_step() {
                match n {
                    Next::Run(t) => {
                        order.push(format!("{}:run", t.id));
                        s.finish(&t.id, TaskState::Success, Some(status));
                    }
                    Next::Decided(t, st) => order.push(format!("{}:{}", t.id, st.as_str())),
                }
            }
            order.join(" ")
        };
        assert_eq!(run(200), "a:run b:run c:skipped d:run e:run");
        assert_eq!(run(422), "a:run b:skipped c:run d:skipped e:run");
        let mut s = Schedule::new(&w);
        assert!(matches!(s.next_step(), Some(Next::Run(t)) if t.id == "a"));
        s.finish("a", TaskState::Failed, None);
        let rest: Vec<_> = std::iter::from_fn(|| s.next_step())
            .map(|n| format!("{n:?}").contains("UpstreamFailed"))
            .collect();
        assert_eq!(rest, [true, true, true, true]);
        assert_eq!(s.run_state(), TaskState::Failed);
    }

    #[test]
    fn headers_render_as_text_and_bad_ones_are_refused() {
        let w = wf("tasks:\n  a: { service: s, path: /a, headers: { X-Request-Id: 'r-{{ conf.n }}', X-Count: '{{ conf.n }}', X-None: '{{ conf.none }}', X-Bad: '{{ conf.bad }}' } }\n");
        let conf = json!({ "n": 7, "none": null, "bad": "a\r\nInjected: 1" });
        let results = BTreeMap::new();
        let e = request(&w.tasks[0], Context { conf: &conf, results: &results }).unwrap_err();
        assert!(e.starts_with("header `X-Bad`: header value") && e.contains("no line breaks"), "{e}");
        let conf = json!({ "n": 7, "none": null, "bad": "fine" });
        let req = request(&w.tasks[0], Context { conf: &conf, results: &results }).unwrap();
        let h: Vec<(&str, &str)> = req.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(h, [("X-Request-Id", "r-7"), ("X-Count", "7"), ("X-Bad", "fine")]);
        assert_eq!(header_name_problem("X-Request-Id"), None);
        assert!(header_name_problem("authorization").is_some_and(|p| p.contains("stage's token")));
        assert!(header_name_problem("X-Api-Key").is_some_and(|p| p.contains("`CWS_API_KEY`")));
        assert_eq!(credential_header_problem("X-Request-Id"), None);
        assert!(header_name_problem("x-cws-s3key").is_some_and(|p| p.contains("`X-CWS-S3Key`")));
        for bad in ["", "X Y", "X:Y", "é", "X\n"] {
            assert!(header_name_problem(bad).is_some_and(|p| p.contains("RFC 9110")), "{bad:?}");
        }
        for bad in [" lead", "trail\t", "a\u{7f}", "日本", "a\0b"] {
            assert!(header_value_problem(bad).is_some(), "{bad:?}");
        }
        assert_eq!(header_value_problem("a b\tc"), None);
    }

    #[test]
    fn the_runs_on_failure_task_runs_once_one_failed_and_is_skipped_otherwise() {
        let text = "on_failure: alert\ntasks:\n  alert: { service: s, path: /alert }\n  a: { service: s, path: /a, on_success: [b], on_failure: [c] }\n  b: { service: s, path: /b }\n  c: { service: s, path: /c }\n  d: { service: s, path: /d, after: [a] }\n";
        let w = wf(text);
        assert_eq!(trigger_rule(&w, &w.tasks[0]), TriggerRule::OneFailed);
        assert_eq!(TriggerRule::OneFailed.as_str(), "one_failed");
        // Each task ends as `fail` says (else success, status 200); the order and states.
        let run = |fail: &[&str]| {
            let mut s = Schedule::new(&w);
            let mut order = Vec::new();
            while let Some(n) = s.next_step() {
                match n {
                    Next::Run(t) if fail.contains(&t.id.as_str()) => {
                        order.push(format!("{}:failed", t.id));
                        s.finish(&t.id, TaskState::Failed, None);
                    }
                    Next::Run(t) => {
                        order.push(format!("{}:run", t.id));
                        s.finish(&t.id, TaskState::Success, Some(200));
                    }
                    Next::Decided(t, st) => order.push(format!("{}:{}", t.id, st.as_str())),
                }
            }
            (order.join(" "), s.run_state())
        };
        assert_eq!(run(&[]), ("a:run b:run c:skipped d:run alert:skipped".into(), TaskState::Success));
        assert_eq!(run(&["b"]), ("a:run b:failed alert:run c:skipped d:run".into(), TaskState::Failed));
        assert_eq!(
            run(&["a"]),
            (
                "a:failed alert:run b:upstream_failed c:upstream_failed d:upstream_failed".into(),
                TaskState::Failed
            )
        );
        assert_eq!(run(&["a", "alert"]).1, TaskState::Failed, "a failing alert fails the run too");
    }

    #[test]
    fn a_false_condition_skips_the_task_and_those_after_it_alone() {
        let w = wf("tasks:\n  a: { service: s, path: /a }\n  b: { service: s, path: /b, after: [a], when: 'tasks.a.body.total > 100' }\n  c: { service: s, path: /c, after: [b] }\n  d: { service: s, path: /d, after: [a, b] }\n");
        let conf = json!({});
        let run = |total: Value| {
            let mut results = BTreeMap::new();
            let mut s = Schedule::new(&w);
            let mut order = Vec::new();
            while let Some(n) = s.next_step() {
                match n {
                    Next::Run(t) => {
                        let ctx = Context { conf: &conf, results: &results };
                        let state = match condition_holds(t, ctx) {
                            Ok(true) => TaskState::Success,
                            Ok(false) => TaskState::Skipped,
                            Err(_) => TaskState::Failed,
                        };
                        order.push(format!("{}:{}", t.id, state.as_str()));
                        s.finish(&t.id, state, Some(200));
                        results.insert(t.id.clone(), result(200, json!({ "total": total })));
                    }
                    Next::Decided(t, st) => order.push(format!("{}:{}", t.id, st.as_str())),
                }
            }
            order.join(" ")
        };
        assert_eq!(run(json!(120)), "a:success b:success c:success d:success");
        assert_eq!(run(json!(80)), "a:success b:skipped c:skipped d:success");
        assert_eq!(run(json!("80")), "a:success b:failed c:upstream_failed d:upstream_failed");
    }

    #[test]
    fn else_tasks_run_when_the_condition_is_false_and_are_skipped_when_the_task_ran() {
        let text = "tasks:\n  a: { service: s, path: /a }\n  b: { service: s, path: /b, after: [a], when: 'conf.big', else: [c] }\n  c: { service: s, path: /c }\n  d: { service: s, path: /d, after: [b] }\n  e: { service: s, path: /e, after: [b, c] }\n  p: { python: m.f, after: [c] }\n";
        let w = wf(text);
        // `outcome` of b when it runs: its condition's value, or its call failing (`fail`).
        let run = |first: TaskState, big: Option<bool>| {
            let mut s = Schedule::new(&w);
            let mut order = Vec::new();
            while let Some(n) = s.next_step() {
                match n {
                    Next::Run(t) if t.id == "a" => {
                        order.push(format!("a:{}", first.as_str()));
                        s.finish("a", first, Some(200));
                    }
                    Next::Run(t) if t.id == "b" && big == Some(false) => {
                        order.push("b:when_false".to_string());
                        s.skip_by_condition("b");
                    }
                    Next::Run(t) if t.id == "b" && big.is_none() => {
                        order.push("b:failed".to_string());
                        s.finish("b", TaskState::Failed, None);
                    }
                    Next::Run(t) => {
                        order.push(format!("{}:run", t.id));
                        s.finish(&t.id, TaskState::Success, Some(200));
                    }
                    Next::Decided(t, st) => order.push(format!("{}:{}", t.id, st.as_str())),
                }
            }
            order.join(" ")
        };
        assert_eq!(run(TaskState::Success, Some(true)), "a:success b:run c:skipped d:run e:run p:skipped");
        assert_eq!(
            run(TaskState::Success, Some(false)),
            "a:success b:when_false c:run d:skipped e:run p:run"
        );
        assert_eq!(
            run(TaskState::Success, None),
            "a:success b:failed c:skipped d:upstream_failed e:upstream_failed p:skipped",
            "a condition that fails its task chooses the task, as the DAG's `__when` does"
        );
        assert_eq!(
            run(TaskState::Failed, Some(true)),
            "a:failed b:upstream_failed c:upstream_failed d:upstream_failed e:upstream_failed p:upstream_failed"
        );
        // The else task's Python inputs are what runs before its task, not the task.
        assert_eq!(python_inputs(&w, &w.tasks[5]), ["a", "c"]);
        assert_eq!(trigger_rule(&w, &w.tasks[4]), TriggerRule::NoneFailedMinOneSuccess);
    }

    #[test]
    fn a_fan_out_renders_its_items_and_gathers_their_results() {
        let w = wf("tasks:\n  a: { service: s, path: '/p/{{ item.sku }}', for_each: '{{ conf.items }}', json: { n: '{{ item.n }}', all: '{{ item }}' } }\n");
        let conf = json!({ "items": [{ "sku": "x", "n": 1 }, { "sku": "y", "n": 2 }], "one": "z" });
        let results = BTreeMap::new();
        let ctx = Context { conf: &conf, results: &results };
        let list = items(&w.tasks[0], ctx).unwrap();
        assert_eq!(list.len(), 2);
        let req = request_item(&w.tasks[0], ctx, Some(&list[1])).unwrap();
        assert_eq!(
            (req.path.as_str(), req.json),
            ("/p/y", Some(json!({ "n": 2, "all": { "sku": "y", "n": 2 } })))
        );
        let e = request(&w.tasks[0], ctx).unwrap_err();
        assert!(e.contains("only a task mapped over `for_each` has an `item`"), "{e}");
        let conf = json!({ "items": "z" });
        let e = items(&w.tasks[0], Context { conf: &conf, results: &results }).unwrap_err();
        assert_eq!(e, "`for_each` of task `a`: `{{ conf.items }}` is \"z\", not a list");
        let gathered = gather(&[result(204, json!("")), result(200, json!({ "id": 1 }))]);
        assert_eq!((gathered.status, gathered.body), (204, json!(["", { "id": 1 }])));
    }

    #[test]
    fn a_wait_ends_on_its_status_and_field() {
        let w = wf("tasks:\n  a: { service: s, path: /a, wait_until: { status: [200, 202], field: body.state, equals: 1, interval: 1, timeout: 5 } }\n  b: { service: s, path: /b, wait_until: {} }\n");
        let (a, b) = (&w.tasks[0], &w.tasks[1]);
        let poke = |t: &Task, status: u16, body: Value| poke(t, "s GET /a", &result(status, body), "x");
        assert_eq!(poke(a, 200, json!({ "state": 1.0 })), Poke::Done, "numbers by value");
        assert_eq!(poke(a, 202, json!({ "state": 1 })), Poke::Done);
        assert_eq!(poke(a, 200, json!({ "state": "1" })), Poke::Again, "text is not a number");
        assert_eq!(poke(a, 201, json!({ "state": 1 })), Poke::Again);
        assert_eq!(poke(a, 404, json!("no")), Poke::Again);
        assert!(matches!(poke(a, 403, json!("")), Poke::Fail(m) if m.contains("was refused")));
        assert_eq!(poke(b, 204, json!("")), Poke::Done, "no condition: any 2xx");
        assert_eq!(poke(b, 500, json!("")), Poke::Again);
        assert_eq!(
            wait_timeout_message(a, "s GET /a", Some(404)),
            "s GET /a: `wait_until` of task `a` not met within 5 s (last status 404)"
        );
        let r = CallResult {
            status: 200,
            headers: [("etag".to_string(), "v1".to_string())].into(),
            body: json!([{ "x": true }]),
        };
        assert_eq!(field_value(&r, "headers.etag"), Some(json!("v1")));
        assert_eq!(field_value(&r, "body.0.x"), Some(json!(true)));
        assert_eq!(field_value(&r, "status"), Some(json!(200)));
        assert_eq!(field_value(&r, "body.1"), None);
    }

    #[test]
    fn a_python_task_is_given_every_task_before_it() {
        let w = wf("tasks:\n  a: { service: s, path: /a }\n  b: { service: s, path: /b, after: [a] }\n  c: { service: s, path: /c }\n  p: { python: m.f, after: [b] }\n");
        assert_eq!(python_inputs(&w, &w.tasks[3]), ["a", "b"]);
        assert_eq!(python_result(json!([1])), result(200, json!([1])));
        let argv = python_argv(std::path::Path::new("/proj"), "m", "f");
        assert_eq!(
            (argv[0].as_str(), argv[3].as_str(), argv[4].as_str()),
            ("python3", "/proj/workflows/m.py", "f")
        );
    }

    #[test]
    fn async_records_read_like_answers() {
        let r = CallResult::from_record(
            r#"{"status": 200, "headers": {"content-type": "application/json"}, "body": "[1]"}"#,
        )
        .unwrap();
        assert_eq!((r.status, r.body), (200, json!([1])));
        assert!(CallResult::from_record("nope").is_err());
    }
}
