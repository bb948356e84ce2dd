//! Generated DAGs define the DAG and nothing else, whatever the project holds: workflow files with
//! control characters, quotes, `{{`, `__import__`, non-ASCII and line breaks in every field, hostile
//! file, stage and service names and options. Each case is generated twice — by `generate` for every
//! workflow as read (errors and all: the Python must hold anyway) and by `dags`, which refuses
//! workflows with errors — and every DAG is read back by Python's own parser (`ast`, nothing
//! imported or run) in one `python3` process for all cases (`tests/python/dag_shape.py`): it must
//! parse, hold only the generator's statements and calls, and carry the texts literally.
//!
//! `CWS_FUZZ_CASES` sets the number of cases (default 500), `CWS_FUZZ_SEED` the seed (a fixed one
//! by default, so a failure repeats).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use coworks_core::artifacts::airflow;
use coworks_core::workflow::model::WaitCondition;
use coworks_core::Project;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{json, Value};
use support::fuzz::yaml_str;

mod support;

/// Pieces of hostile text: Python, YAML, Jinja and shell syntax, line breaks of every kind,
/// terminal escapes, non-ASCII.
const PIECES: &[&str] = &[
    "\"",
    "'",
    "\"\"\"",
    "'''",
    "\\",
    "\\\"",
    "\n",
    "\r",
    "\r\n",
    "\t",
    "\u{0}",
    "\u{7}",
    "\u{8}",
    "\u{b}",
    "\u{c}",
    "\u{1b}[31m",
    "\u{7f}",
    "\u{85}",
    "\u{a0}",
    "\u{2028}",
    "\u{2029}",
    "\u{202e}",
    "\u{feff}",
    "{{",
    "}}",
    "{{ conf.x }}",
    "{% if 1 %}",
    "{#",
    "${x}",
    "%{x}",
    "$${",
    "#",
    "__import__('os').system('id')",
    "\nimport os\n",
    ")\nimport os\nx = (",
    "coding: utf-7",
    "+AAo-",
    "(",
    ")",
    ",",
    "=",
    ":",
    "-",
    "/",
    " ",
    "é",
    "日本",
    "😀",
    "\u{10ffff}",
    "x",
    "ok",
];

fn hostile() -> impl Strategy<Value = String> {
    support::fuzz::texts(PIECES)
}

/// One task of a generated workflow file.
#[derive(Debug, Clone)]
struct TaskCase {
    id: String,
    description: String,
    service: String,
    method: &'static str,
    path: String,
    query: Option<(String, String)>,
    headers: Option<(String, String)>,
    json: Option<Value>,
    is_async: bool,
    after: Vec<usize>,
    on_success: Vec<usize>,
    /// `else:`: tasks run instead when `when:` is false (given without `when:` too, an error).
    otherwise: Vec<usize>,
    /// `when:`: hostile text, or a condition comparing `conf` with hostile text.
    when: Option<String>,
    /// A wait, a fan-out or a Python function instead of a plain call (hostile values too).
    kind: Kind,
}

/// What a task does besides (or instead of) one call.
#[derive(Debug, Clone)]
enum Kind {
    Call,
    /// `wait_until`: statuses, field, equals, interval, timeout.
    Wait(Vec<i64>, String, String, i64, i64),
    /// `for_each`: a template (or hostile text), `{{ item }}` in the path.
    ForEach(String),
    /// `for_each` and `wait_until` together: each item waits (a mapped sensor).
    MappedWait(i64),
    /// `python`: `module.function` (or hostile text), with the module file's text.
    Python(String, String),
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        4 => Just(Kind::Call),
        1 => (
            proptest::collection::vec(prop_oneof![Just(200i64), Just(204), 0i64..700], 0..3),
            prop_oneof![Just("body.state".to_string()), hostile()],
            hostile(),
            prop_oneof![Just(1i64), -2i64..100],
            prop_oneof![Just(30i64), -2i64..100],
        )
            .prop_map(|(s, f, e, i, t)| Kind::Wait(s, f, e, i, t)),
        1 => prop_oneof![3 => Just("{{ conf.items }}".to_string()), 1 => hostile()].prop_map(Kind::ForEach),
        1 => prop_oneof![Just(200i64), 0i64..700].prop_map(Kind::MappedWait),
        1 => (
            prop_oneof![3 => Just("mod.f".to_string()), 1 => hostile()],
            prop_oneof![3 => Just("def f(conf, tasks):\n    return 1\n".to_string()), 1 => hostile()],
        )
            .prop_map(|(t, text)| Kind::Python(t, text)),
    ]
}

/// One case: a project with one workflow.
#[derive(Debug, Clone)]
struct Case {
    stage: String,
    file_stem: String,
    id: Option<String>,
    description: String,
    schedule: Option<Option<String>>,
    start_date: Option<String>,
    tags: Vec<String>,
    project_name: String,
    results_prefix: String,
    /// The run's `on_failure`: a task's id, or hostile text.
    on_failure: Option<String>,
    tasks: Vec<TaskCase>,
}

/// A name that is valid most of the time and hostile otherwise.
fn name(valid: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![8 => Just(valid.to_string()), 1 => hostile(), 1 => "[a-z][a-z0-9_]{0,8}"]
}

fn task_case() -> impl Strategy<Value = TaskCase> {
    let json = prop_oneof![
        Just(None),
        (hostile(), hostile(), hostile(), any::<i32>(), any::<bool>())
            .prop_map(|(k, k2, v, n, b)| Some(json!({ k: { k2: [v, n, b, null] } }))),
    ];
    (
        (name("t"), hostile(), name("svc"), proptest::sample::select(&["GET", "POST", "DELETE"][..])),
        (
            prop_oneof![3 => "[a-z0-9]{1,6}", 1 => hostile()],
            proptest::option::of((name("q"), hostile())),
            json,
            any::<bool>(),
        ),
        (
            proptest::collection::vec(0usize..4, 0..2),
            (proptest::collection::vec(0usize..4, 0..2), proptest::collection::vec(0usize..4, 0..3)),
            proptest::option::of((name("X-Request-Id"), hostile())),
            prop_oneof![
                2 => Just(None),
                1 => hostile().prop_map(Some),
                1 => hostile().prop_map(|h| Some(format!("conf.x == {} or not conf.y", serde_json::Value::String(h)))),
            ],
            kind(),
        ),
    )
        .prop_map(
            |(
                (id, description, service, method),
                (p, query, json, is_async),
                (after, (on_success, otherwise), headers, when, kind),
            )| {
                // What the entries take: a query on GET, a body on POST, nothing on DELETE (mostly).
                let json = match method {
                    "POST" => json.or_else(|| Some(json!({ "k": description.clone() }))),
                    _ => None,
                };
                let query = if method == "GET" || description.len() % 5 == 0 { query } else { None };
                TaskCase {
                    id,
                    description,
                    service,
                    method,
                    path: format!("/any/{p}"),
                    query,
                    headers,
                    json,
                    is_async,
                    after,
                    on_success,
                    otherwise,
                    when,
                    kind,
                }
            },
        )
}

fn case() -> impl Strategy<Value = Case> {
    let date = prop_oneof![
        3 => Just(None),
        3 => Just(Some("2024-02-29".to_string())),
        1 => Just(Some("0000-00-00".to_string())),
        1 => Just(Some("2023-02-29".to_string())),
        1 => hostile().prop_map(Some),
    ];
    let schedule = prop_oneof![Just(None), Just(Some(None)), hostile().prop_map(|s| Some(Some(s)))];
    (
        (name("dev"), name("flow"), proptest::option::of(name("flow")), hostile(), schedule, date),
        (
            proptest::collection::vec(hostile(), 0..3),
            hostile(),
            hostile(),
            proptest::option::of(prop_oneof![3 => (0usize..4).prop_map(Ok), 1 => hostile().prop_map(Err)]),
        ),
        proptest::collection::vec(task_case(), 1..4),
    )
        .prop_map(
            |(
                (stage, file_stem, id, description, schedule, start_date),
                (tags, project_name, results_prefix, on_failure),
                mut tasks,
            )| {
                // Unique task ids (a YAML mapping holds each key once); mostly edges that go forward.
                for (i, t) in tasks.iter_mut().enumerate() {
                    t.id = format!("{}{i}", t.id);
                    if i % 2 == 0 {
                        t.after.retain(|&j| j < i);
                        t.on_success.retain(|&j| j > i);
                        t.otherwise.retain(|&j| j > i);
                    }
                }
                let on_failure = on_failure.map(|f| match f {
                    Ok(i) => tasks[i % tasks.len()].id.clone(),
                    Err(text) => text,
                });
                Case {
                    stage,
                    file_stem: file_stem.replace('/', "_"),
                    id,
                    description,
                    schedule,
                    start_date,
                    tags,
                    project_name,
                    results_prefix,
                    on_failure,
                    tasks,
                }
            },
        )
}

const SERVICE: &str = "pub struct Svc;\n\n#[coworks::service(name = \"svc\")]\nimpl Svc {\n    #[entry]\n    fn get_any(&self, p: String, #[query] q: Option<String>) -> String { p }\n    #[entry]\n    fn post_any(&self, p: String, #[body] b: serde_json::Value) -> String { p }\n    #[entry]\n    fn delete_any(&self, p: String) -> String { p }\n}\n";

impl Case {
    fn project_file(&self) -> String {
        format!(
            "version: 3\nname: {}\ncommands:\n  deploy:\n    bucket: results\n    results_prefix: {}\nworkspaces:\n  {}: {{}}\n",
            yaml_str(&self.project_name),
            yaml_str(&self.results_prefix),
            yaml_str(&self.stage)
        )
    }

    fn workflow_file(&self) -> String {
        let mut s = String::new();
        if let Some(id) = &self.id {
            s.push_str(&format!("id: {}\n", yaml_str(id)));
        }
        s.push_str(&format!("description: {}\n", yaml_str(&self.description)));
        match &self.schedule {
            None => {}
            Some(None) => s.push_str("schedule: null\n"),
            Some(Some(x)) => s.push_str(&format!("schedule: {}\n", yaml_str(x))),
        }
        if let Some(d) = &self.start_date {
            s.push_str(&format!("start_date: {}\n", yaml_str(d)));
        }
        if let Some(f) = &self.on_failure {
            s.push_str(&format!("on_failure: {}\n", yaml_str(f)));
        }
        let tags: Vec<String> = self.tags.iter().map(|t| yaml_str(t)).collect();
        s.push_str(&format!(
            "tags: [{}]\ndefault_args: {{ retries: 1, timeout: 60 }}\ntasks:\n",
            tags.join(", ")
        ));
        let ids: Vec<&str> = self.tasks.iter().map(|t| t.id.as_str()).collect();
        let refs = |list: &[usize]| -> String {
            let names: Vec<String> = list.iter().filter_map(|i| ids.get(*i)).map(|i| yaml_str(i)).collect();
            format!("[{}]", names.join(", "))
        };
        for t in &self.tasks {
            s.push_str(&format!("  {}:\n", yaml_str(&t.id)));
            s.push_str(&format!("    description: {}\n", yaml_str(&t.description)));
            if let Some(w) = &t.when {
                s.push_str(&format!("    when: {}\n", yaml_str(w)));
            }
            if !t.otherwise.is_empty() {
                s.push_str(&format!("    else: {}\n", refs(&t.otherwise)));
            }
            match &t.kind {
                Kind::Call => {}
                Kind::Wait(status, field, equals, interval, timeout) => {
                    let status: Vec<String> = status.iter().map(i64::to_string).collect();
                    s.push_str(&format!(
                        "    wait_until: {{ status: [{}], field: {}, equals: {}, interval: {interval}, timeout: {timeout} }}\n",
                        status.join(", "),
                        yaml_str(field),
                        yaml_str(equals)
                    ));
                }
                Kind::ForEach(each) => s.push_str(&format!("    for_each: {}\n", yaml_str(each))),
                Kind::MappedWait(status) => s.push_str(&format!(
                    "    for_each: '{{{{ conf.items }}}}'\n    wait_until: {{ status: {status}, interval: 1, timeout: 30 }}\n"
                )),
                Kind::Python(target, _) => {
                    // A Python task with its module: no call keys (half of the time some, an error).
                    s.push_str(&format!("    python: {}\n", yaml_str(target)));
                    s.push_str(&format!("    after: {}\n", refs(&t.after)));
                    if t.description.len() % 2 == 0 {
                        continue;
                    }
                }
            }
            s.push_str(&format!("    service: {}\n    method: {}\n", yaml_str(&t.service), t.method));
            let path = match &t.kind {
                Kind::ForEach(_) | Kind::MappedWait(_) => "/any/{{ item }}".to_string(),
                _ => t.path.clone(),
            };
            s.push_str(&format!("    path: {}\n", yaml_str(&path)));
            if let Some((k, v)) = &t.query {
                s.push_str(&format!("    query: {{ {}: {} }}\n", yaml_str(k), yaml_str(v)));
            }
            if let Some((k, v)) = &t.headers {
                s.push_str(&format!("    headers: {{ {}: {} }}\n", yaml_str(k), yaml_str(v)));
            }
            if let Some(j) = &t.json {
                // JSON is YAML; every string is written as a YAML double-quoted scalar.
                s.push_str(&format!("    json: {}\n", yaml_json(j)));
            }
            s.push_str(&format!("    async: {}\n", t.is_async));
            s.push_str(&format!("    after: {}\n    on_success: {}\n", refs(&t.after), refs(&t.on_success)));
        }
        s
    }

    fn workflow_path(&self) -> PathBuf {
        PathBuf::from(format!("workflows/{}.cws.yml", self.file_stem))
    }

    fn project(&self) -> Project {
        let mut p = Project::empty("/nonexistent/cws-fuzz-dags");
        p.set_file_text(Path::new("project.cws.yml"), &self.project_file());
        p.set_file_text(Path::new("services/svc/Cargo.toml"), "[package]\nname = \"svc\"\n");
        p.set_file_text(Path::new("services/svc/src/main.rs"), SERVICE);
        p.set_file_text(&self.workflow_path(), &self.workflow_file());
        for t in &self.tasks {
            if let Kind::Python(target, text) = &t.kind {
                let module = target.split('.').next().unwrap_or("");
                p.set_file_text(&PathBuf::from(format!("workflows/{module}.py")), text);
            }
        }
        p
    }
}

fn yaml_json(v: &Value) -> String {
    match v {
        Value::String(s) => yaml_str(s),
        Value::Array(items) => format!("[{}]", items.iter().map(yaml_json).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", yaml_str(k), yaml_json(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// What one generated DAG must say, read back from the workflow as the core read it.
struct Expected {
    case: String,
    dag_id: String,
    description: String,
    tags: Vec<String>,
    calls: Vec<Value>,
    /// The Python tasks: task id, module, function.
    pythons: Vec<Value>,
    /// The run's `on_failure` task, when it names one.
    failure: Option<String>,
    /// The `<id>__when` branches of tasks with `else`: task id, condition, the task's first
    /// operator, how many `else` tasks it chooses from.
    whens: Vec<Value>,
}

fn expected(case: &Case, project: &Project) -> Option<Expected> {
    let wf = project.workflows().next()?;
    let mut tags = vec!["coworks".to_string(), case.stage.clone()];
    tags.extend(wf.tags.iter().cloned());
    let calls = wf
        .tasks
        .iter()
        .filter(|t| !t.is_python())
        .map(|t| {
            let mut call = json!({
                "service": t.service.as_ref().map(|s| s.value.clone()).unwrap_or_default(),
                "method": t.method.value.as_str(),
            });
            if !t.description.is_empty() {
                call["doc_md"] = t.description.clone().into();
            }
            if let Some(j) = &t.json {
                call["json"] = j.value.clone();
            }
            if !t.query.is_empty() {
                let q: serde_json::Map<String, Value> =
                    t.query.iter().map(|a| (a.name.value.clone(), a.value.clone())).collect();
                call["query"] = Value::Object(q);
            }
            if !t.headers.is_empty() {
                let h: serde_json::Map<String, Value> =
                    t.headers.iter().map(|a| (a.name.value.clone(), a.value.clone())).collect();
                call["headers"] = Value::Object(h);
            }
            if wf.is_failure_task(&t.id) && !t.is_mapped() && !t.has_else() {
                // (With `else`, an error, the rule goes to its `__when` branch.)
                call["trigger_rule"] = "one_failed".into();
            }
            if let Some(w) = &t.wait_until {
                let WaitCondition::Answer { status, field, equals } = &w.condition;
                call["until_status"] = json!(status);
                if let (Some(f), Some(v)) = (field, equals) {
                    call["until_field"] = f.value.clone().into();
                    call["until_equals"] = v.clone();
                }
                call["poke_interval"] = w.interval.into();
                call["timeout"] = w.timeout.into();
            }
            // `when` goes with the call, or for a mapped one with its items task (before the fan-out).
            let when = t.when.as_ref().map(|w| Value::from(w.value.clone()));
            match (&t.for_each, when) {
                (None, Some(w)) => call["when"] = w,
                (Some(_), w) => call["items_when"] = w.unwrap_or(Value::Null),
                (None, None) => {}
            }
            if let Some(each) = &t.for_each {
                call["has_item"] = true.into();
                call["task_id"] = t.id.clone().into();
                // The items task renders the template as written.
                call["items_template"] = each.value.clone().into();
            }
            call
        })
        .collect();
    let pythons = wf
        .tasks
        .iter()
        .filter_map(|t| {
            let (module, function) =
                coworks_core::workflow::parse::python_target(&t.python.as_ref()?.value).unwrap_or(("", ""));
            let when = t.when.as_ref().map(|w| w.value.clone());
            Some(json!({ "task_id": t.id, "module": module, "function": function, "when": when }))
        })
        .collect();
    let whens = wf
        .tasks
        .iter()
        .filter(|t| t.has_else())
        .map(|t| {
            let first = if t.is_python() {
                t.id.clone()
            } else if t.is_mapped() {
                format!("{}__items", t.id)
            } else if t.is_async {
                format!("{}__call", t.id)
            } else {
                t.id.clone()
            };
            let when = t.when.as_ref().map(|w| w.value.clone()).unwrap_or_else(|| "true".into());
            let count = t.otherwise.iter().filter(|o| wf.task(&o.value).is_some()).count();
            json!({ "task_id": format!("{}__when", t.id), "when": when, "run": first, "otherwise": count })
        })
        .collect();
    Some(Expected {
        whens,
        case: format!(
            "project.cws.yml:\n{}\n{}:\n{}",
            case.project_file(),
            case.workflow_path().display(),
            case.workflow_file()
        ),
        dag_id: airflow::dag_id(wf, &case.stage),
        description: if wf.description.is_empty() {
            format!("Workflow `{}`.", wf.id.value)
        } else {
            wf.description.clone()
        },
        tags,
        calls,
        pythons,
        failure: wf.on_failure.as_ref().filter(|f| wf.task(&f.value).is_some()).map(|f| f.value.clone()),
    })
}

/// Runs the Python checker on every DAG at once; its verdicts by name.
fn python_verdicts(dags: &[(String, String)]) -> BTreeMap<String, Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/dag_shape.py");
    let input: Vec<Value> = dags.iter().map(|(name, text)| json!({"name": name, "text": text})).collect();
    let mut child = Command::new("python3")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (scripts/ci-deps installs it)");
    let body = serde_json::to_vec(&input).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&body));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find_map(|l| l.strip_prefix("CWS-RESULT ")).unwrap_or_else(|| {
        panic!("no verdict from {}:\n{stdout}\n{}", script.display(), String::from_utf8_lossy(&out.stderr))
    });
    serde_json::from_str(line).unwrap()
}

#[test]
fn every_generated_dag_parses_and_defines_only_the_dag() {
    let mut dags: Vec<(String, String)> = Vec::new();
    let mut expectations: BTreeMap<String, Expected> = BTreeMap::new();
    let (mut refused, mut written) = (0, 0);
    let mut runner = support::fuzz::seeded_runner(500, 12);
    let strategy = case();
    for n in 0..runner.config().cases {
        let case = strategy.new_tree(&mut runner).expect("a case").current();
        let project = case.project();
        // Every workflow as read, errors and all.
        for wf in project.workflows() {
            let name = format!("{n}/generate");
            dags.push((name.clone(), airflow::generate(wf, &case.stage, &project)));
            if let Some(e) = expected(&case, &project) {
                expectations.insert(name, e);
            }
        }
        // What `cws workflow build` writes, when it writes.
        match airflow::dags(&project, &case.stage) {
            Ok(files) => {
                written += 1;
                for f in files.iter().filter(|f| f.path.extension().is_some_and(|e| e == "py")) {
                    if f.path.parent() == Some(Path::new("")) {
                        let file = f.path.to_string_lossy();
                        assert!(
                            file.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.'),
                            "{file}"
                        );
                        dags.push((format!("{n}/dags"), f.text.clone()));
                    }
                }
            }
            Err(errors) => {
                refused += 1;
                assert!(errors.iter().all(|d| d.severity == coworks_core::Severity::Error), "{errors:?}");
            }
        }
    }
    assert!(
        written > 0 && refused > 0,
        "the cases should both pass and fail the checks: {written} written, {refused} refused"
    );
    let verdicts = python_verdicts(&dags);
    let (mut with_failure_task, mut with_new_keys, mut with_else, mut with_mapped_wait) = (0, 0, 0, 0);
    for (name, text) in &dags {
        let verdict = &verdicts[name];
        let case = expectations.get(name).map(|e| e.case.as_str()).unwrap_or("");
        assert!(
            verdict.get("error").is_none(),
            "{name}: {}\n--- DAG:\n{text}\n--- from:\n{case}",
            verdict["error"]
        );
        let Some(e) = expectations.get(name) else { continue };
        assert_eq!(verdict["docstring"], e.description, "{name}\n{case}");
        assert_eq!(verdict["dag"]["description"], e.description, "{name}\n{case}");
        assert_eq!(verdict["dag"]["dag_id"], e.dag_id, "{name}\n{case}");
        assert_eq!(verdict["dag"]["tags"], json!(e.tags), "{name}\n{case}");
        let tasks = verdict["tasks"].as_array().unwrap();
        let calls: Vec<&Value> = tasks
            .iter()
            .filter(|t| t["class"] == "CwsCallOperator" || t["class"] == "CwsWaitSensor")
            .collect();
        assert_eq!(calls.len(), e.calls.len(), "{name}\n{case}");
        for (got, want) in calls.iter().zip(&e.calls) {
            for (key, value) in want.as_object().unwrap() {
                if let Some(arg) = ["items_template", "items_when"].iter().position(|k| k == key) {
                    // A mapped call is expanded over its items task, which renders the template
                    // (and decides `when`, before the fan-out).
                    let items = tasks.iter().find(|t| t["args"]["task_id"] == got["expand"]);
                    let items = items.unwrap_or_else(|| panic!("{name}: no items task\n{case}"));
                    let arg = ["items", "when"][arg];
                    assert_eq!(
                        (&items["class"], &items["args"][arg]),
                        (&json!("CwsItemsOperator"), value),
                        "{name}: `{key}`\n{case}"
                    );
                    assert!(
                        got["args"].get("when").is_none(),
                        "{name}: a mapped call decides no `when`\n{case}"
                    );
                    continue;
                }
                assert_eq!(&got["args"][key], value, "{name}: `{key}`\n{case}");
            }
        }
        let pythons: Vec<Value> = tasks
            .iter()
            .filter(|t| t["class"] == "CwsPythonOperator")
            .map(|t| json!({ "task_id": t["args"]["task_id"], "module": t["args"]["module"], "function": t["args"]["function"], "when": t["args"]["when"] }))
            .collect();
        assert_eq!(pythons, e.pythons, "{name}\n{case}");
        let whens: Vec<Value> = tasks
            .iter()
            .filter(|t| t["class"] == "CwsWhenOperator")
            .map(|t| {
                let a = &t["args"];
                let count = a["otherwise"].as_array().map_or(0, Vec::len);
                json!({ "task_id": a["task_id"], "when": a["when"], "run": a["run"], "otherwise": count })
            })
            .collect();
        assert_eq!(whens, e.whens, "{name}\n{case}");
        with_else += usize::from(!whens.is_empty());
        with_mapped_wait +=
            usize::from(calls.iter().any(|c| c.get("expand").is_some() && c["class"] == "CwsWaitSensor"));
        with_new_keys +=
            usize::from(calls.iter().any(|c| c.get("expand").is_some() || c["class"] == "CwsWaitSensor"));
        with_new_keys += usize::from(!pythons.is_empty());
        // The run's `on_failure` task is followed by the one task failing the run.
        let fail_runs: Vec<Value> = verdict["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["class"] == "CwsFailRunOperator")
            .map(|t| t["args"]["failure_task_id"].clone())
            .collect();
        let want: Vec<Value> = e.failure.iter().map(|f| json!(f)).collect();
        assert_eq!(fail_runs, want, "{name}\n{case}");
        with_failure_task += usize::from(!want.is_empty());
    }
    assert!(with_failure_task > 0, "some cases should have a run-level `on_failure` task");
    assert!(with_new_keys > 0, "some DAGs should wait, map or run Python");
    assert!(with_else > 0 && with_mapped_wait > 0, "some DAGs should have `else` and mapped waits");
    eprintln!(
        "{} DAGs checked ({written} projects written, {refused} refused, {with_failure_task} with an on_failure task)",
        dags.len()
    );
}

/// The cases of the report: a carriage return in a task's description ran code when Airflow imported
/// the DAG; a description ending in `"` and `start_date: 0000-00-00` gave a SyntaxError.
#[test]
fn the_reported_injections_stay_literals() {
    let workflow = "description: 'ends in a quote\"'\nstart_date: '0000-00-00'\ntasks:\n  a:\n    service: svc\n    method: GET\n    path: /any/x\n    description: \"line\\rimport os; os.system('id')\"\n";
    let mut project = Project::empty("/nonexistent/cws-fuzz-dags");
    project.set_file_text(Path::new("services/svc/Cargo.toml"), "[package]\nname = \"svc\"\n");
    project.set_file_text(Path::new("services/svc/src/main.rs"), SERVICE);
    project.set_file_text(Path::new("workflows/w.cws.yml"), workflow);
    let diags = project.diagnostics(Some("dev"));
    let date = diags.iter().find(|d| d.message.contains("0000-00-00")).expect("the date is reported");
    assert_eq!(date.code, coworks_core::DiagnosticCode::WorkflowSchema);
    assert!(airflow::dags(&project, "dev").is_err(), "no DAG from a workflow with an error");
    let wf = project.workflows().next().unwrap();
    let text = airflow::generate(wf, "dev", &project);
    assert!(!text.contains('\r') && !text.lines().any(|l| l.trim_start().starts_with("import os")), "{text}");
    let verdicts = python_verdicts(&[("w".into(), text.clone())]);
    assert!(verdicts["w"].get("error").is_none(), "{}\n{text}", verdicts["w"]);
    assert_eq!(verdicts["w"]["docstring"], "ends in a quote\"");
    assert_eq!(verdicts["w"]["tasks"][0]["args"]["doc_md"], "line\rimport os; os.system('id')");
    assert!(text.contains("start_date=datetime.datetime(2025, 1, 1, "), "the default date: {text}");
}
