//! Airflow 3 DAG generation: one readable, deterministic Python file per workflow and stage.
//!
//! Each task becomes a `CwsCallOperator` (our package `coworks_airflow`, built on the HTTP provider's
//! `HttpHook`); an async task becomes the call, the Amazon provider's `S3KeySensor` waiting for the
//! result record, and a `CwsResultOperator` reading it; a task with branches gets a
//! `CwsBranchOperator` after it. Connections are named per service and stage (`cws_<service>_<stage>`),
//! S3 is read through `cws_aws_<stage>`, and the results bucket is the Airflow Variable
//! `cws_results_bucket_<stage>`: nothing region- or bucket-specific is written in the DAG.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::GeneratedFile;
use crate::diagnostics::{Diagnostic, DiagnosticCode, Severity};
use crate::layout::{is_workflow_path, CONFIG_FILE};
use crate::naming;
use crate::project::Project;
use crate::settings::CliOptions;
use crate::workflow::model::{DefaultArgs, EdgeKind, Task, WaitCondition, WaitUntil, Workflow};
use crate::workflow::run::{self, TriggerRule};

/// The files of the `coworks_airflow` package the DAGs import, written next to them.
pub const PACKAGE_FILES: &[(&str, &str)] = &[
    ("coworks_airflow/__init__.py", include_str!("../../airflow/coworks_airflow/__init__.py")),
    ("coworks_airflow/conditions.py", include_str!("../../airflow/coworks_airflow/conditions.py")),
    ("coworks_airflow/operators.py", include_str!("../../airflow/coworks_airflow/operators.py")),
    ("coworks_airflow/templates.py", include_str!("../../airflow/coworks_airflow/templates.py")),
    ("coworks_airflow/triggers.py", include_str!("../../airflow/coworks_airflow/triggers.py")),
    ("coworks_airflow/python_task.py", include_str!("../../airflow/coworks_airflow/python_task.py")),
];

/// The directory next to the DAGs holding the project's `workflows/<module>.py` files that `python`
/// tasks run (copied as they are: the project's own code).
pub const PYTHON_MODULES_DIR: &str = "coworks_workflows";

/// The start date of a DAG whose workflow gives none (or no valid one).
const DEFAULT_START_DATE: (u16, u8, u8) = (2025, 1, 1);

/// Tells Airflow's DAG processor not to parse the package as DAG files.
pub const AIRFLOWIGNORE: &str = "coworks_airflow/\ncoworks_workflows/\n";

/// The DAG id of a workflow in a stage (letters, digits and `_` only, whatever the names hold).
pub fn dag_id(wf: &Workflow, stage: &str) -> String {
    format!("{}_{}", python_name(&wf.id.value), python_name(stage))
}

/// The file name of a workflow's DAG in a stage.
pub fn dag_file_name(wf: &Workflow, stage: &str) -> String {
    format!("{}.py", dag_id(wf, stage))
}

/// The HTTP connection of a service in a stage.
pub fn connection_id(service: &str, stage: &str) -> String {
    format!("cws_{service}_{stage}")
}

/// The AWS connection reading async results in a stage.
pub fn aws_connection_id(stage: &str) -> String {
    format!("cws_aws_{stage}")
}

/// The Airflow Variable holding the results bucket of a stage (a name templates can read as
/// `var.value.<name>`: letters, digits and `_`).
pub fn bucket_variable(stage: &str) -> String {
    format!("cws_results_bucket_{}", python_name(stage))
}

/// `s` with every character other than ASCII letters, digits and `_` replaced by `_`.
fn python_name(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect()
}

/// A Python string literal of `s`: **the one way text reaches a generated DAG.**
///
/// A JSON string is a Python string literal with the same value: `"` and `\` are escaped, every
/// control character (U+0000–U+001F) is escaped (`\n`, `\r`, `\u001b`...), and every escape JSON
/// writes means the same in Python. So the literal holds no line break: it cannot end a line, a
/// comment or the string, whatever `s` holds (quotes, `"""`, `{{`, `__import__`, non-ASCII). The
/// same literal is a valid Jinja string literal, which templates built here rely on.
fn py_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// A JSON value as a Python literal, mappings spread over lines at `indent`.
fn py_value(v: &serde_json::Value, indent: usize) -> String {
    use serde_json::Value as J;
    match v {
        J::Null => "None".into(),
        J::Bool(true) => "True".into(),
        J::Bool(false) => "False".into(),
        J::Number(n) => n.to_string(),
        J::String(s) => py_str(s),
        J::Array(items) => {
            let parts: Vec<String> = items.iter().map(|i| py_value(i, indent)).collect();
            format!("[{}]", parts.join(", "))
        }
        J::Object(map) if map.is_empty() => "{}".into(),
        J::Object(map) => {
            let pad = " ".repeat(indent + 4);
            let mut s = String::from("{\n");
            for (k, v) in map {
                let _ = writeln!(s, "{pad}{}: {},", py_str(k), py_value(v, indent + 4));
            }
            s.push_str(&" ".repeat(indent));
            s.push('}');
            s
        }
    }
}

const PY_RESERVED: &[&str] = &[
    "False",
    "None",
    "True",
    "and",
    "as",
    "assert",
    "async",
    "await",
    "break",
    "class",
    "continue",
    "def",
    "del",
    "elif",
    "else",
    "except",
    "finally",
    "for",
    "from",
    "global",
    "if",
    "import",
    "in",
    "is",
    "lambda",
    "nonlocal",
    "not",
    "or",
    "pass",
    "raise",
    "return",
    "try",
    "while",
    "with",
    "yield",
    "dag",
    "datetime",
    "DAG",
    "S3KeySensor",
    "CwsCallOperator",
    "CwsResultOperator",
    "CwsBranchOperator",
    "CwsFailRunOperator",
    "CwsItemsOperator",
    "CwsPythonOperator",
    "CwsWaitSensor",
    "CwsWhenOperator",
    "match",
    "case",
    "type",
];

/// The Python variable holding a generated task: an ASCII identifier that shadows no keyword and
/// no name of the DAG file, whatever the task id holds (ids are checked as names, `CWS039`, and
/// workflows with errors get no DAG; this keeps the Python valid regardless).
fn var(task_id: &str) -> String {
    let name = python_name(task_id);
    if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        format!("task_{name}")
    } else if PY_RESERVED.contains(&name.as_str()) {
        format!("{name}_task")
    } else {
        name
    }
}

/// The generated task ids making up one workflow task.
struct Parts {
    /// The task upstream edges point at: its `<id>__when` branch when it has `else` tasks, else
    /// `first`.
    entry: String,
    /// The task's first operator (the call).
    first: String,
    /// The task holding the result (`tasks.<id>` reads it).
    result: String,
    /// The task downstream edges leave from (the branch, when there is one).
    last: String,
}

fn parts(t: &Task) -> Parts {
    // A Python task is one operator; a mapped one is not async (both errors otherwise).
    let first = if t.is_python() {
        t.id.clone()
    } else if t.is_mapped() {
        format!("{}__items", t.id)
    } else if t.is_async {
        format!("{}__call", t.id)
    } else {
        t.id.clone()
    };
    // A mapped or Python task has no branch operator (its branches are an error, CWS080/CWS081).
    let branching = t.has_branches() && !t.is_mapped() && !t.is_python();
    let last = if branching { format!("{}__branch", t.id) } else { t.id.clone() };
    let entry = if t.has_else() { format!("{}__when", t.id) } else { first.clone() };
    Parts { entry, first, result: t.id.clone(), last }
}

/// Every generated task id of a workflow task but its branch operator, in order.
fn generated_ids(t: &Task) -> Vec<String> {
    let p = parts(t);
    let mut ids = vec![p.first.clone()];
    if t.is_async && !t.is_mapped() && !t.is_python() {
        ids.push(format!("{}__wait", t.id));
    }
    if p.result != p.first {
        ids.push(p.result);
    }
    ids
}

/// The Airflow DAGs of every workflow of `project` for `stage`, with the `coworks_airflow` package
/// they import and an `.airflowignore` for it; paths relative to the DAGs directory.
///
/// Refused, with the reasons, when a workflow has an error in that stage or the stage's name is not
/// a valid name: a DAG is only written from workflows `cws check -s <stage>` accepts.
pub fn dags(project: &Project, stage: &str) -> Result<Vec<GeneratedFile>, Vec<Diagnostic>> {
    let mut refused: Vec<Diagnostic> = project
        .diagnostics(Some(stage))
        .into_iter()
        .filter(|d| d.severity == Severity::Error && is_workflow_path(&d.file))
        .collect();
    if let Some(problem) = naming::stage_name_problem(stage) {
        let span = project.config().and_then(|c| c.workspace(stage)).map(|w| w.name_span);
        refused.push(Diagnostic::new(
            DiagnosticCode::ConfigValueType,
            CONFIG_FILE,
            span.unwrap_or_default(),
            problem,
        ));
    }
    if !refused.is_empty() {
        return Err(refused);
    }
    let mut out: Vec<GeneratedFile> = project
        .workflows()
        .map(|wf| GeneratedFile {
            path: PathBuf::from(dag_file_name(wf, stage)),
            text: generate(wf, stage, project),
        })
        .collect();
    out.extend(python_modules(project));
    out.extend(
        PACKAGE_FILES
            .iter()
            .map(|(path, text)| GeneratedFile { path: PathBuf::from(path), text: text.to_string() }),
    );
    out.push(GeneratedFile { path: PathBuf::from(".airflowignore"), text: AIRFLOWIGNORE.into() });
    Ok(out)
}

/// The project's `workflows/<module>.py` files that `python` tasks name, as `coworks_workflows/<module>.py`
/// next to the DAGs (each once).
fn python_modules(project: &Project) -> Vec<GeneratedFile> {
    let mut modules: Vec<&str> = project
        .workflows()
        .flat_map(|wf| wf.tasks.iter())
        .filter_map(|t| t.python.as_ref().and_then(|p| crate::workflow::parse::python_target(&p.value)))
        .map(|(module, _)| module)
        .collect();
    modules.sort_unstable();
    modules.dedup();
    modules
        .into_iter()
        .filter_map(|m| {
            let text = project.source(&crate::layout::workflow_python_path(m))?.text().to_string();
            Some(GeneratedFile { path: PathBuf::from(format!("{PYTHON_MODULES_DIR}/{m}.py")), text })
        })
        .collect()
}

/// The DAG of `wf` for `stage`, as Python source. `project` gives the async results prefix of each
/// service (the deployment's, from [`crate::settings`]).
///
/// Every text of the workflow, its file name, the stage, the service names and the options reaches
/// the Python source only as a literal written by [`py_str`] — also in comments, which carry no
/// text of the project on their first two lines (where Python reads an encoding declaration).
/// Numbers are written from integers. Any input gives a file that parses and defines the DAG only
/// (`core/tests/fuzz_dags.rs` checks it with Python's `ast`).
pub fn generate(wf: &Workflow, stage: &str, project: &Project) -> String {
    let dag_id = dag_id(wf, stage);
    let prefix = |service: Option<&str>| {
        project.function_settings(stage, service.unwrap_or(""), &CliOptions::new()).results_prefix
    };
    let any_async = wf.tasks.iter().any(|t| t.is_async);
    let mut services: Vec<&str> =
        wf.tasks.iter().filter_map(|t| t.service.as_ref().map(|s| s.value.as_str())).collect();
    services.sort_unstable();
    services.dedup();

    let mut s = String::new();
    s.push_str("# Generated by `cws workflow build`; do not edit: change the workflow and build again.\n#\n");
    let file = wf.file.to_string_lossy().replace('\\', "/");
    let _ = writeln!(s, "# Workflow {}, stage {}.", py_str(&file), py_str(stage));
    s.push_str("# Airflow connections this DAG uses:\n");
    for svc in &services {
        let _ = writeln!(
            s,
            "#   {}: HTTP; host = the URL of service {} in this stage, password = its TOKEN",
            py_str(&connection_id(svc, stage)),
            py_str(svc),
        );
    }
    if any_async {
        let _ = writeln!(
            s,
            "#   {}: AWS; reads the results of async calls from S3",
            py_str(&aws_connection_id(stage))
        );
        let _ = writeln!(
            s,
            "# Airflow Variable {}: the results bucket of async calls",
            py_str(&bucket_variable(stage))
        );
    }
    let doc = if wf.description.is_empty() {
        format!("Workflow `{}`.", wf.id.value)
    } else {
        wf.description.clone()
    };
    let _ = writeln!(s, "{}\n", py_str(&doc));
    s.push_str("import datetime\n\n");
    if any_async {
        s.push_str("from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor\n");
    }
    s.push_str("from airflow.sdk import DAG\n\n");
    let mut imports = vec!["CwsCallOperator"];
    if wf.tasks.iter().any(|t| t.has_branches()) {
        imports.insert(0, "CwsBranchOperator");
    }
    if wf.on_failure.as_ref().is_some_and(|f| wf.task(&f.value).is_some()) {
        imports.push("CwsFailRunOperator");
    }
    if wf.tasks.iter().any(Task::is_mapped) {
        imports.push("CwsItemsOperator");
    }
    if wf.tasks.iter().any(Task::is_python) {
        imports.push("CwsPythonOperator");
    }
    if any_async {
        imports.push("CwsResultOperator");
    }
    if wf.tasks.iter().any(|t| t.wait_until.is_some() && !t.is_python()) {
        imports.push("CwsWaitSensor");
    }
    if wf.tasks.iter().any(Task::has_else) {
        imports.push("CwsWhenOperator");
    }
    let _ = writeln!(s, "from coworks_airflow import {}\n", imports.join(", "));

    // The DAG.
    let _ = writeln!(s, "with DAG(\n    dag_id={},", py_str(&dag_id));
    let _ = writeln!(s, "    description={},", py_str(&doc));
    let schedule = match &wf.schedule {
        Some(given) => given.as_ref().map(|x| x.value.clone()),
        None => project.workflow_settings(stage, &CliOptions::new()).schedule,
    };
    let schedule = schedule.map(|x| py_str(&x)).unwrap_or_else(|| "None".into());
    let _ = writeln!(s, "    schedule={schedule},");
    let (y, m, d) = wf
        .start_date
        .as_ref()
        .and_then(|d| crate::workflow::parse::date(&d.value))
        .unwrap_or(DEFAULT_START_DATE);
    let _ = writeln!(s, "    start_date=datetime.datetime({y}, {m}, {d}, tzinfo=datetime.timezone.utc),");
    s.push_str("    catchup=False,\n");
    let mut tags = vec!["coworks".to_string(), stage.to_string()];
    tags.extend(wf.tags.iter().cloned());
    let tags: Vec<String> = tags.iter().map(|t| py_str(t)).collect();
    let _ = writeln!(s, "    tags=[{}],", tags.join(", "));
    let args: Vec<String> =
        operator_args(&wf.default_args).into_iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
    let _ = writeln!(s, "    default_args={{{}}},", args.join(", "));
    s.push_str(") as dag:\n");

    let mut deps: Vec<(String, String)> = Vec::new();
    // The tasks mapped over `for_each`: templates read their results as lists.
    let mapped: Vec<String> = wf.tasks.iter().filter(|t| t.is_mapped()).map(|t| py_str(&t.id)).collect();
    let mapped_arg = (!mapped.is_empty()).then(|| format!("mapped=[{}]", mapped.join(", ")));
    for t in &wf.tasks {
        let p = parts(t);
        s.push('\n');
        if t.has_else() {
            when_task(&mut s, &mut deps, wf, t, mapped_arg.as_deref());
        }
        if let Some(python) = &t.python {
            python_task(&mut s, wf, t, &python.value, mapped_arg.as_deref());
            continue;
        }
        let service = t.service.as_ref().map(|x| x.value.as_str()).unwrap_or("");
        let path = t.path.as_ref().map(|x| x.value.as_str()).unwrap_or("/");
        let full_path = run::fill_params(path, t);
        let mut call = vec![
            format!("task_id={}", py_str(&p.first)),
            format!("service={}", py_str(service)),
            format!("conn_id={}", py_str(&connection_id(service, stage))),
            format!("method={}", py_str(t.method.value.as_str())),
            format!("path={}", py_str(&full_path)),
        ];
        if !t.query.is_empty() {
            let q: serde_json::Map<String, serde_json::Value> =
                t.query.iter().map(|a| (a.name.value.clone(), a.value.clone())).collect();
            call.push(format!("query={}", py_value(&serde_json::Value::Object(q), 8)));
        }
        if !t.headers.is_empty() {
            let h: serde_json::Map<String, serde_json::Value> =
                t.headers.iter().map(|a| (a.name.value.clone(), a.value.clone())).collect();
            call.push(format!("headers={}", py_value(&serde_json::Value::Object(h), 8)));
        }
        if let Some(j) = &t.json {
            call.push(format!("json={}", py_value(&j.value, 8)));
        }
        if !t.description.is_empty() {
            call.push(format!("doc_md={}", py_str(&t.description)));
        }
        // `when` is decided before anything of the task: by the call (or the sensor) itself, or for
        // a mapped task once, by its `<id>__items` before the fan-out.
        let when_arg = t.when.as_ref().map(|w| format!("when={}", py_str(&w.value)));
        if t.for_each.is_none() {
            call.extend(when_arg.clone());
        }
        let handles_failure = !t.on_failure.is_empty();
        if handles_failure && !t.is_async {
            call.push("handles_failure=True".into());
        }
        if t.is_async {
            call.push("async_call=True".into());
            call.push(format!(
                "results_bucket={}",
                py_str(&format!("{{{{ var.value.{} }}}}", bucket_variable(stage)))
            ));
            call.push(format!("results_prefix={}", py_str(&prefix(Some(service)))));
        }
        let task_args = task_args(t);
        let rule_arg = rule_arg(wf, t);
        call.extend(mapped_arg.clone());
        if let Some(each) = &t.for_each {
            // `<id>__items` renders the list; the call is mapped over it (one task instance per item).
            let mut items =
                vec![format!("task_id={}", py_str(&p.first)), format!("items={}", py_str(&each.value))];
            items.extend(mapped_arg.clone());
            items.extend(when_arg);
            items.extend(rule_arg);
            operator(&mut s, &var(&p.first), "CwsItemsOperator", &items);
            call[0] = format!("task_id={}", py_str(&p.result));
            call.push("has_item=True".into());
            call.extend(task_args.iter().cloned());
            // With `wait_until`, each item waits: a mapped sensor (one sensor instance per item).
            let class = match &t.wait_until {
                Some(wait) => {
                    call.extend(wait_args(wait));
                    "CwsWaitSensor"
                }
                None => "CwsCallOperator",
            };
            let _ = writeln!(s, "    {} = {class}.partial(", var(&p.result));
            for a in &call {
                let _ = writeln!(s, "        {a},");
            }
            let _ = writeln!(s, "    ).expand(item={}.output)", var(&p.first));
            deps.push((var(&p.first), var(&p.result)));
            continue;
        }
        call.extend(rule_arg);
        call.extend(task_args.iter().cloned());
        if let Some(wait) = &t.wait_until {
            call.extend(wait_args(wait));
            operator(&mut s, &var(&p.first), "CwsWaitSensor", &call);
        } else {
            operator(&mut s, &var(&p.first), "CwsCallOperator", &call);
        }
        if t.is_async {
            let wait = format!("{}__wait", t.id);
            let mut sensor = vec![
                format!("task_id={}", py_str(&wait)),
                format!("bucket_name={}", py_str(&format!("{{{{ var.value.{} }}}}", bucket_variable(stage)))),
                format!(
                    "bucket_key={}",
                    py_str(&format!("{{{{ ti.xcom_pull(task_ids={})['key'] }}}}", py_str(&p.first)))
                ),
                format!("aws_conn_id={}", py_str(&aws_connection_id(stage))),
                "poke_interval=2".into(),
                "exponential_backoff=True".into(),
            ];
            if let Some(timeout) = wf.args_of(t).timeout {
                sensor.push(format!("timeout={timeout}"));
            }
            operator(&mut s, &var(&wait), "S3KeySensor", &sensor);
            let mut read = vec![
                format!("task_id={}", py_str(&p.result)),
                format!("call_task_id={}", py_str(&p.first)),
                format!("aws_conn_id={}", py_str(&aws_connection_id(stage))),
                format!("service={}", py_str(service)),
                format!("conn_id={}", py_str(&connection_id(service, stage))),
                format!("call={}", py_str(&format!("{} {path}", t.method.value))),
            ];
            if handles_failure {
                read.push("handles_failure=True".into());
            }
            read.extend(task_args.iter().cloned());
            operator(&mut s, &var(&p.result), "CwsResultOperator", &read);
            deps.push((var(&p.first), var(&wait)));
            deps.push((var(&wait), var(&p.result)));
        }
        if t.has_branches() {
            let ids = |list: &[String]| -> String {
                let v: Vec<String> = list
                    .iter()
                    .filter_map(|id| wf.task(id))
                    .map(|target| py_str(&parts(target).entry))
                    .collect();
                format!("[{}]", v.join(", "))
            };
            let b = run::branches(wf, t);
            let branch = vec![
                format!("task_id={}", py_str(&p.last)),
                format!("result_task_id={}", py_str(&p.result)),
                format!("on_success={}", ids(&b.on_success)),
                format!("on_failure={}", ids(&b.on_failure)),
                format!("on_no_content={}", ids(&b.on_no_content)),
            ];
            operator(&mut s, &var(&p.last), "CwsBranchOperator", &branch);
            deps.push((var(&p.result), var(&p.last)));
        }
    }
    for e in wf.edges() {
        let (Some(from), Some(to)) = (wf.task(&e.from), wf.task(&e.to)) else { continue };
        if e.kind == EdgeKind::Else {
            // Written with the task's `<id>__when` branch.
            continue;
        }
        let pair = (var(&parts(from).last), var(&parts(to).entry));
        if !deps.contains(&pair) {
            deps.push(pair);
        }
    }
    if let Some(failure) = wf.on_failure.as_ref().and_then(|f| wf.task(&f.value)) {
        failure_task(&mut s, &mut deps, wf, failure);
    }
    if !deps.is_empty() {
        s.push('\n');
        for (a, b) in deps {
            let _ = writeln!(s, "    {a} >> {b}");
        }
    }
    s
}

/// The run's `on_failure` task (its trigger rule `one_failed` is written with its call) after every
/// other task but the branch operators (a branch would skip it as a task it did not choose), then
/// `<id>__fail_run`, which fails when it runs: the DAG run stays failed after the alert succeeded
/// (Airflow judges a run by its last tasks) and succeeds when the alert is skipped.
fn failure_task(s: &mut String, deps: &mut Vec<(String, String)>, wf: &Workflow, failure: &Task) {
    let target = var(&parts(failure).first);
    for t in wf.tasks.iter().filter(|t| t.id != failure.id) {
        for id in generated_ids(t) {
            let pair = (var(&id), target.clone());
            if !deps.contains(&pair) {
                deps.push(pair);
            }
        }
    }
    let fail_run = format!("{}__fail_run", failure.id);
    s.push('\n');
    let args = [format!("task_id={}", py_str(&fail_run)), format!("failure_task_id={}", py_str(&failure.id))];
    operator(s, &var(&fail_run), "CwsFailRunOperator", &args);
    deps.push((var(&parts(failure).last), var(&fail_run)));
}

/// The trigger rule argument of a task's entry operator (none for `all_success`, Airflow's default;
/// none for the operator after a task's `<id>__when` branch, its one upstream).
fn rule_arg(wf: &Workflow, t: &Task) -> Option<String> {
    let rule = run::trigger_rule(wf, t);
    (rule != TriggerRule::AllSuccess && !t.has_else())
        .then(|| format!("trigger_rule={}", py_str(rule.as_str())))
}

/// The `<id>__when` branch of a task with `else` tasks ([`run::Schedule`]'s `else` view): it takes
/// the task's upstream edges and trigger rule and chooses the task when its `when:` holds (or cannot
/// be evaluated: the task then fails evaluating it), its `else` tasks when it is false.
fn when_task(
    s: &mut String,
    deps: &mut Vec<(String, String)>,
    wf: &Workflow,
    t: &Task,
    mapped: Option<&str>,
) {
    let p = parts(t);
    let targets: Vec<&Task> = t.otherwise.iter().filter_map(|o| wf.task(&o.value)).collect();
    let ids: Vec<String> = targets.iter().map(|o| py_str(&parts(o).entry)).collect();
    let mut args = vec![
        format!("task_id={}", py_str(&p.entry)),
        format!("when={}", py_str(t.when.as_ref().map(|w| w.value.as_str()).unwrap_or("true"))),
        format!("run={}", py_str(&p.first)),
        format!("otherwise=[{}]", ids.join(", ")),
    ];
    args.extend(mapped.map(str::to_string));
    let rule = run::trigger_rule(wf, t);
    if rule != TriggerRule::AllSuccess {
        args.push(format!("trigger_rule={}", py_str(rule.as_str())));
    }
    operator(s, &var(&p.entry), "CwsWhenOperator", &args);
    s.push('\n');
    deps.push((var(&p.entry), var(&p.first)));
    for o in targets {
        let pair = (var(&p.entry), var(&parts(o).entry));
        if !deps.contains(&pair) {
            deps.push(pair);
        }
    }
}

/// A `python` task: `CwsPythonOperator` running `module.function` with the results of the tasks
/// before it ([`run::python_inputs`]).
fn python_task(s: &mut String, wf: &Workflow, t: &Task, target: &str, mapped: Option<&str>) {
    let (module, function) = crate::workflow::parse::python_target(target).unwrap_or(("", ""));
    let inputs: Vec<String> = run::python_inputs(wf, t).into_iter().map(py_str).collect();
    let mut args = vec![
        format!("task_id={}", py_str(&t.id)),
        format!("module={}", py_str(module)),
        format!("function={}", py_str(function)),
        format!("inputs=[{}]", inputs.join(", ")),
    ];
    args.extend(mapped.map(str::to_string));
    if !t.description.is_empty() {
        args.push(format!("doc_md={}", py_str(&t.description)));
    }
    if let Some(w) = &t.when {
        args.push(format!("when={}", py_str(&w.value)));
    }
    args.extend(rule_arg(wf, t));
    args.extend(task_args(t));
    operator(s, &var(&t.id), "CwsPythonOperator", &args);
}

/// The sensor's arguments of a `wait_until`: the condition, `poke_interval` and `timeout` (seconds),
/// in `poke` mode (each poke is one call of the entry), or with `deferrable: true` deferring to
/// `CwsWaitTrigger` (the triggerer makes the calls, every `poke_interval` seconds).
fn wait_args(wait: &WaitUntil) -> Vec<String> {
    let mut out = Vec::new();
    match &wait.condition {
        WaitCondition::Answer { status, field, equals } => {
            let status: Vec<String> = status.iter().map(u16::to_string).collect();
            out.push(format!("until_status=[{}]", status.join(", ")));
            if let (Some(field), Some(equals)) = (field, equals) {
                out.push(format!("until_field={}", py_str(&field.value)));
                out.push(format!("until_equals={}", py_value(equals, 8)));
            }
        }
    }
    out.push(format!("poke_interval={}", wait.interval));
    out.push(format!("timeout={}", wait.timeout));
    out.push(if wait.deferrable { "deferrable=True" } else { "mode=\"poke\"" }.into());
    out
}

/// The operator arguments `args` sets, as (name, Python expression): the DAG's `default_args`
/// and a task's own keyword arguments are written from the same list.
fn operator_args(args: &DefaultArgs) -> Vec<(&'static str, String)> {
    let seconds = |s| format!("datetime.timedelta(seconds={s})");
    let mut out = Vec::new();
    if let Some(r) = args.retries {
        out.push(("retries", r.to_string()));
    }
    if let Some(d) = args.retry_delay {
        out.push(("retry_delay", seconds(d)));
    }
    if let Some(t) = args.timeout {
        out.push(("execution_timeout", seconds(t)));
    }
    out
}

fn task_args(t: &Task) -> Vec<String> {
    operator_args(&t.args).into_iter().map(|(k, v)| format!("{k}={v}")).collect()
}

fn operator(s: &mut String, var: &str, class: &str, args: &[String]) {
    let _ = writeln!(s, "    {var} = {class}(");
    for a in args {
        let _ = writeln!(s, "        {a},");
    }
    s.push_str("    )\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn dag(text: &str) -> String {
        let (wf, d) = crate::workflow::read_workflow(text, Path::new("workflows/w.cws.yml"));
        assert!(d.is_empty(), "{d:#?}");
        generate(&wf, "dev", &Project::empty("/p"))
    }

    #[test]
    fn python_literals_escape_text() {
        assert_eq!(py_str("a \"b\" \\ c\nd"), r#""a \"b\" \\ c\nd""#);
        let v = serde_json::json!({ "n": null, "t": true, "l": [1, 2.5, "x"], "o": {} });
        assert_eq!(
            py_value(&v, 0),
            "{\n    \"l\": [1, 2.5, \"x\"],\n    \"n\": None,\n    \"o\": {},\n    \"t\": True,\n}"
        );
    }

    #[test]
    fn python_names_never_shadow_the_dags_own() {
        let py = dag("tasks:\n  dag: { service: billing, path: /health }\n  import: { service: billing, path: /health, after: [dag] }\n");
        assert!(py.contains("    dag_task = CwsCallOperator(\n        task_id=\"dag\","), "{py}");
        assert!(py.contains("    dag_task >> import_task\n"), "{py}");
    }

    #[test]
    fn joins_wait_for_one_success_and_no_failure() {
        let py = dag("tasks:\n  a: { service: s, path: /a, on_success: [c] }\n  b: { service: s, path: /b }\n  c: { service: s, path: /c, after: [b] }\n");
        assert!(py.contains("trigger_rule=\"none_failed_min_one_success\""), "{py}");
        assert!(py.contains("    a__branch >> c\n") && py.contains("    b >> c\n"), "{py}");
        assert!(py.contains("# Workflow \"workflows/w.cws.yml\", stage \"dev\".\n"), "{py}");
        assert!(!py.contains("S3KeySensor"), "no async call, no sensor import");
    }

    #[test]
    fn headers_go_with_the_call_and_the_runs_on_failure_task_follows_every_other() {
        let py = dag("on_failure: alert\ntasks:\n  a: { service: s, path: /a, headers: { X-Request-Id: 'r-{{ conf.id }}' }, on_success: [b] }\n  b: { service: s, path: /b, async: true }\n  alert: { service: m, path: /alert }\n");
        assert!(
            py.contains(
                "        headers={\n            \"X-Request-Id\": \"r-{{ conf.id }}\",\n        },\n"
            ),
            "{py}"
        );
        assert!(py.contains("from coworks_airflow import CwsBranchOperator, CwsCallOperator, CwsFailRunOperator, CwsResultOperator\n"), "{py}");
        assert!(
            py.contains("        task_id=\"alert\",\n")
                && py.contains("        trigger_rule=\"one_failed\",\n"),
            "{py}"
        );
        for up in ["a", "b__call", "b__wait", "b"] {
            assert!(py.contains(&format!("    {up} >> alert\n")), "{up}: {py}");
        }
        assert!(!py.contains("a__branch >> alert"), "a branch would skip it: {py}");
        assert!(py.contains("    alert__fail_run = CwsFailRunOperator(\n        task_id=\"alert__fail_run\",\n        failure_task_id=\"alert\",\n    )\n"), "{py}");
        assert!(py.ends_with("    alert >> alert__fail_run\n"), "{py}");
    }

    #[test]
    fn fan_outs_map_over_an_items_task_waits_are_sensors_and_python_runs_a_function() {
        let py = dag("on_failure: alert\ntasks:\n  each: { service: s, path: '/p/{{ item }}', for_each: '{{ conf.ids }}', retries: 2 }\n  wait: { service: s, path: /w, wait_until: { field: body.ok, equals: true, interval: 3, timeout: 30 }, after: [each] }\n  calc: { python: m.total, after: [wait] }\n  alert: { service: s, path: /alert }\n");
        assert!(py.contains("from coworks_airflow import CwsCallOperator, CwsFailRunOperator, CwsItemsOperator, CwsPythonOperator, CwsWaitSensor\n"), "{py}");
        assert!(py.contains("    each__items = CwsItemsOperator(\n        task_id=\"each__items\",\n        items=\"{{ conf.ids }}\",\n        mapped=[\"each\"],\n    )\n"), "{py}");
        assert!(py.contains("    each = CwsCallOperator.partial(\n        task_id=\"each\",\n"), "{py}");
        assert!(
            py.contains(
                "        has_item=True,\n        retries=2,\n    ).expand(item=each__items.output)\n"
            ),
            "{py}"
        );
        assert!(py.contains("    wait = CwsWaitSensor(\n        task_id=\"wait\",\n"), "{py}");
        assert!(py.contains("        until_status=[],\n        until_field=\"body.ok\",\n        until_equals=True,\n        poke_interval=3,\n        timeout=30,\n        mode=\"poke\",\n"), "{py}");
        assert!(py.contains("    calc = CwsPythonOperator(\n        task_id=\"calc\",\n        module=\"m\",\n        function=\"total\",\n        inputs=[\"each\", \"wait\"],\n        mapped=[\"each\"],\n    )\n"), "{py}");
        for edge in [
            "each__items >> each",
            "each >> wait",
            "wait >> calc",
            "each__items >> alert",
            "each >> alert",
            "calc >> alert",
        ] {
            assert!(py.contains(&format!("    {edge}\n")), "{edge}: {py}");
        }
    }

    #[test]
    fn else_is_a_when_branch_before_the_task_and_its_else_tasks() {
        let py = dag("tasks:\n  a: { service: s, path: /a }\n  b: { service: s, path: /b, after: [a], when: 'tasks.a.status == 200', else: [c, m] }\n  c: { service: s, path: /c, when: conf.c, else: [d] }\n  d: { python: mod.f }\n  m: { service: s, path: '/m/{{ item }}', for_each: '{{ conf.ids }}' }\n  j: { service: s, path: /j, after: [b, c] }\n");
        assert!(py.contains("from coworks_airflow import CwsCallOperator, CwsItemsOperator, CwsPythonOperator, CwsWhenOperator\n"), "{py}");
        assert!(
            py.contains("    b__when = CwsWhenOperator(\n        task_id=\"b__when\",\n        when=\"tasks.a.status == 200\",\n        run=\"b\",\n        otherwise=[\"c__when\", \"m__items\"],\n        mapped=[\"m\"],\n    )\n"),
            "{py}"
        );
        assert!(py.contains("        otherwise=[\"d\"],\n"), "{py}");
        for edge in [
            "a >> b__when",
            "b__when >> b",
            "b__when >> c__when",
            "b__when >> m__items",
            "c__when >> c",
            "c__when >> d",
            "b >> j",
            "c >> j",
            "m__items >> m",
        ] {
            assert!(py.contains(&format!("    {edge}\n")), "{edge}: {py}");
        }
        for wrong in ["b >> c", "a >> b\n", "c >> d"] {
            assert!(!py.contains(&format!("    {wrong}")), "{wrong}: {py}");
        }
        // The task after the branch keeps its condition (it fails on one that cannot be evaluated).
        assert!(
            py.contains("    b = CwsCallOperator(\n        task_id=\"b\",")
                && py.contains("        when=\"conf.c\",\n"),
            "{py}"
        );
    }

    #[test]
    fn a_mapped_wait_is_a_mapped_sensor() {
        let py = dag("tasks:\n  each: { service: s, path: '/p/{{ item }}', for_each: '{{ conf.ids }}', wait_until: { status: 200, interval: 2, timeout: 20 }, when: conf.go }\n");
        assert!(
            py.contains("from coworks_airflow import CwsCallOperator, CwsItemsOperator, CwsWaitSensor\n"),
            "{py}"
        );
        assert!(py.contains("    each = CwsWaitSensor.partial(\n        task_id=\"each\",\n"), "{py}");
        assert!(
            py.contains("        has_item=True,\n        until_status=[200],\n        poke_interval=2,\n        timeout=20,\n        mode=\"poke\",\n    ).expand(item=each__items.output)\n"),
            "{py}"
        );
        assert!(
            py.contains(
                "        items=\"{{ conf.ids }}\",\n        mapped=[\"each\"],\n        when=\"conf.go\",\n"
            ),
            "{py}"
        );
    }

    #[test]
    fn the_schedule_defaults_to_the_stages_option() {
        let config = crate::settings::tests::project_with_config(
            "version: 3\ncommands: { workflow: { schedule: '@hourly' } }\nworkspaces:\n  dev: {}\n  prod: { commands: { workflow: { schedule: '0 6 * * *' } } }\n",
        );
        let bare = Project::empty("/p");
        let read = |t: &str| crate::workflow::read_workflow(t, Path::new("workflows/w.cws.yml")).0;
        let absent = read("tasks: {}\n");
        assert!(generate(&absent, "dev", &config).contains("    schedule=\"@hourly\",\n"));
        assert!(generate(&absent, "prod", &config).contains("    schedule=\"0 6 * * *\",\n"));
        assert!(generate(&absent, "dev", &bare).contains("    schedule=None,\n"));
        let null = read("schedule: null\ntasks: {}\n");
        assert!(generate(&null, "dev", &config).contains("    schedule=None,\n"));
        let daily = read("schedule: '@daily'\ntasks: {}\n");
        assert!(generate(&daily, "prod", &config).contains("    schedule=\"@daily\",\n"));
    }
}
