//! What a workflow file declares: DAG settings and tasks calling entries of tech services.
//! Plain data with source positions; built by [`parse`](super::parse).

use std::path::PathBuf;

use serde::Serialize;

use crate::model::HttpMethod;
use crate::text::{Span, Spanned};

/// A biz microservice: one `workflows/*.cws.yml` file, generated as one Airflow DAG per stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workflow {
    /// The file, relative to the project root.
    #[serde(serialize_with = "crate::text::lossy_path")]
    pub file: PathBuf,
    /// The workflow id (`id:`, or the file name without `.cws.yml`); the DAG id is `<id>_<stage>`.
    pub id: Spanned<String>,
    /// `description`.
    pub description: String,
    /// `schedule`: a cron expression or an Airflow preset (`@daily`); `Some(None)` (`schedule: null`)
    /// = triggered only; `None` (no `schedule` key) = the stage's `commands.workflow.schedule`.
    pub schedule: Option<Option<Spanned<String>>>,
    /// `start_date` (`YYYY-MM-DD`).
    pub start_date: Option<Spanned<String>>,
    /// `tags`.
    pub tags: Vec<String>,
    /// `default_args` applied to every task.
    pub default_args: DefaultArgs,
    /// The tasks, in file order.
    pub tasks: Vec<Task>,
    /// `on_failure` at the top: the task run when any other task of the run failed (Airflow's
    /// trigger rule `one_failed`); a task of `tasks` with no edges of its own.
    pub on_failure: Option<Spanned<String>>,
}

/// `default_args` of the DAG (and per-task overrides).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DefaultArgs {
    /// Retries of a failed task.
    pub retries: Option<u32>,
    /// Seconds between retries.
    pub retry_delay: Option<u32>,
    /// Seconds a task may run (for an async call: how long to wait for the result).
    pub timeout: Option<u32>,
}

/// One task: a call of a tech-service entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Task {
    /// The task id (its key under `tasks`).
    pub id: String,
    /// Where the id is written.
    pub id_span: Span,
    /// The whole task: its key and its mapping.
    pub span: Span,
    /// `description`.
    pub description: String,
    /// `service`: the tech service called.
    pub service: Option<Spanned<String>>,
    /// `method`: the HTTP method (default GET).
    pub method: Spanned<HttpMethod>,
    /// `path`: a concrete path (`/invoice/42`, `/invoice/{{ conf.id }}`) or a route template whose
    /// `{name}` segments are given in `params`.
    pub path: Option<Spanned<String>>,
    /// `params`: values of the `{name}` segments of `path`.
    pub params: Vec<Arg>,
    /// `query`: query-string values (a list for repeated keys).
    pub query: Vec<Arg>,
    /// `headers`: header names and values sent with the call (values may hold templates).
    pub headers: Vec<Arg>,
    /// `json`: the request body.
    pub json: Option<Spanned<serde_json::Value>>,
    /// `async: true`: call with the async contract, wait for the S3 result record, read it.
    pub is_async: bool,
    /// Task-level overrides of `default_args`.
    pub args: DefaultArgs,
    /// `after`: tasks that must succeed before this one.
    pub after: Vec<Spanned<String>>,
    /// `on_success`: tasks run when the call answers 2xx.
    pub on_success: Vec<Spanned<String>>,
    /// `on_failure`: tasks run when the call answers an error status (the task itself then succeeds).
    pub on_failure: Vec<Spanned<String>>,
    /// `on_no_content`: tasks run when the call answers 204 (instead of `on_success`).
    pub on_no_content: Vec<Spanned<String>>,
    /// Every text value of the call (path, params, query, json) with where it is written, for the
    /// template checks.
    #[serde(skip)]
    pub texts: Vec<Spanned<String>>,
    /// `when`: the condition the task runs under (see [`condition`](super::condition)); when it
    /// is false the task is skipped (and the tasks after it, as Airflow skips them).
    pub when: Option<Spanned<String>>,
    /// `else`: the tasks run instead of this one when its `when:` is false (Airflow branching: the
    /// condition chooses this task or these); they are skipped when the condition holds.
    pub otherwise: Vec<Spanned<String>>,
    /// Where each key and list item of `json` is written, by its path in the body (for the checks
    /// of the body against the entry's `#[body]` type).
    #[serde(skip)]
    pub json_places: Vec<(Vec<String>, Span)>,
    /// `wait_until`: call the entry again until its answer meets a condition (an Airflow sensor).
    pub wait_until: Option<WaitUntil>,
    /// `for_each`: one template naming a list (`{{ conf.skus }}`, `{{ tasks.x.body.items }}`); the
    /// task is called once per item (`{{ item }}` in its values; Airflow's dynamic task mapping).
    pub for_each: Option<Spanned<String>>,
    /// `python`: `module.function`, a function of the project's `workflows/<module>.py` run instead
    /// of a call.
    pub python: Option<Spanned<String>>,
}

/// `wait_until` of a task: how its answer must look for the wait to end, how often it is asked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaitUntil {
    /// Where `wait_until` is written (its key and value).
    #[serde(skip)]
    pub span: Span,
    /// What the answer must meet.
    pub condition: WaitCondition,
    /// Seconds between two calls (`interval`, default [`WaitUntil::DEFAULT_INTERVAL`]).
    pub interval: u32,
    /// Seconds after which the wait fails (`timeout`, default [`WaitUntil::DEFAULT_TIMEOUT`]).
    pub timeout: u32,
    /// `deferrable: true` (default false): in Airflow, the sensor defers to `CwsWaitTrigger`, the
    /// triggerer making the calls instead of a worker; the local runner waits the same either way.
    pub deferrable: bool,
}

impl WaitUntil {
    /// Seconds between two calls when `interval` is not given.
    pub const DEFAULT_INTERVAL: u32 = 10;
    /// Seconds of waiting when `timeout` is not given.
    pub const DEFAULT_TIMEOUT: u32 = 600;
}

/// The condition a wait ends on. Today a status and/or a field of the answer; a `when:` expression
/// can be added as another variant (the decision is [`crate::workflow::run::wait_met`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitCondition {
    /// `status` (one or a list; default any 2xx) and, with `field`, `equals`: the value at `field`
    /// (`body.state`, `headers.etag`, a dotted path in the result) equals the given JSON value.
    Answer {
        /// The statuses that end the wait (empty: any 2xx).
        status: Vec<u16>,
        /// The dotted path of the field compared (`body.state`), with `equals`.
        field: Option<Spanned<String>>,
        /// The value the field must equal.
        equals: Option<serde_json::Value>,
    },
}

impl Task {
    /// Whether the task runs a Python function (`python:`) instead of calling an entry.
    pub fn is_python(&self) -> bool {
        self.python.is_some()
    }

    /// Whether the task is mapped over a list (`for_each`).
    pub fn is_mapped(&self) -> bool {
        self.for_each.is_some()
    }

    /// Whether the task routes on its call's status (has any `on_*` branch).
    pub fn has_branches(&self) -> bool {
        !(self.on_success.is_empty() && self.on_failure.is_empty() && self.on_no_content.is_empty())
    }

    /// Whether the task's condition chooses between it and other tasks (`when:` with `else:`).
    pub fn has_else(&self) -> bool {
        !self.otherwise.is_empty()
    }

    /// The task's outgoing edges: `(target, kind)`, its `on_*` branches then its `else` tasks;
    /// `after` edges are reversed into this form by [`Workflow::edges`].
    pub fn branches(&self) -> impl Iterator<Item = (&Spanned<String>, EdgeKind)> {
        self.on_success
            .iter()
            .map(|t| (t, EdgeKind::OnSuccess))
            .chain(self.on_failure.iter().map(|t| (t, EdgeKind::OnFailure)))
            .chain(self.on_no_content.iter().map(|t| (t, EdgeKind::OnNoContent)))
            .chain(self.otherwise.iter().map(|t| (t, EdgeKind::Else)))
    }
}

/// A named argument (`params` or `query` entry) and its value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Arg {
    /// The name, where it is written.
    pub name: Spanned<String>,
    /// The value (text may hold templates).
    pub value: serde_json::Value,
}

/// Why one task runs after another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// `after`: plain dependency (the upstream task succeeded).
    After,
    /// `on_success` branch.
    OnSuccess,
    /// `on_failure` branch.
    OnFailure,
    /// `on_no_content` branch.
    OnNoContent,
    /// `else`: run when the upstream task's `when:` is false, instead of it.
    Else,
}

impl EdgeKind {
    /// The key that declares it.
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::After => "after",
            EdgeKind::OnSuccess => "on_success",
            EdgeKind::OnFailure => "on_failure",
            EdgeKind::OnNoContent => "on_no_content",
            EdgeKind::Else => "else",
        }
    }
}

/// An edge between two tasks, `from` running first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edge {
    /// The upstream task.
    pub from: String,
    /// The downstream task.
    pub to: String,
    /// Why.
    pub kind: EdgeKind,
    /// Where the edge is written.
    #[serde(skip)]
    pub span: Span,
}

impl Workflow {
    /// The task called `id`.
    pub fn task(&self, id: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.id == id)
    }

    /// Every edge, in file order (branches of a task, then its `after` list).
    pub fn edges(&self) -> Vec<Edge> {
        let mut out = Vec::new();
        for t in &self.tasks {
            for (target, kind) in t.branches() {
                out.push(Edge { from: t.id.clone(), to: target.value.clone(), kind, span: target.span });
            }
            for up in &t.after {
                out.push(Edge {
                    from: up.value.clone(),
                    to: t.id.clone(),
                    kind: EdgeKind::After,
                    span: up.span,
                });
            }
        }
        out
    }

    /// Whether `task` is the run's `on_failure` task.
    pub fn is_failure_task(&self, task: &str) -> bool {
        self.on_failure.as_ref().is_some_and(|f| f.value == task)
    }

    /// The effective `default_args` of a task (task overrides, then the workflow's).
    pub fn args_of(&self, task: &Task) -> DefaultArgs {
        DefaultArgs {
            retries: task.args.retries.or(self.default_args.retries),
            retry_delay: task.args.retry_delay.or(self.default_args.retry_delay),
            timeout: task.args.timeout.or(self.default_args.timeout),
        }
    }
}
