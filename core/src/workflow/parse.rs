//! Reading a workflow file into a [`Workflow`] with positions, using the positioned YAML reader
//! (`yaml`). Never fails: what can be read is kept, problems are diagnostics.

use std::path::Path;
use std::str::FromStr;

use crate::config::{Spanned, Value};
use crate::diagnostics::{Diagnostic, DiagnosticCode, Fix};
use crate::layout::WORKFLOW_SUFFIX;
use crate::model::HttpMethod;
use crate::suggest::{closest, did_you_mean};
use crate::text::{ByteRange, Pos, Span};
use crate::yaml::{self, Key, Node, NodeValue, YamlErrorKind};

use super::condition;
use super::model::{Arg, DefaultArgs, Task, WaitCondition, WaitUntil, Workflow};
use super::template;

/// Keys of the top level of a workflow file.
pub const TOP_KEYS: &[&str] =
    &["id", "description", "schedule", "start_date", "tags", "default_args", "on_failure", "tasks"];
/// The longest DAG tag Airflow accepts, in characters.
pub const MAX_TAG_CHARS: usize = 100;
/// Keys of `default_args` (also allowed on a task).
pub const ARG_KEYS: &[&str] = &["retries", "retry_delay", "timeout"];
/// Keys of a task.
pub const TASK_KEYS: &[&str] = &[
    "description",
    "service",
    "method",
    "path",
    "params",
    "query",
    "headers",
    "json",
    "async",
    "after",
    "on_success",
    "on_failure",
    "on_no_content",
    "retries",
    "retry_delay",
    "timeout",
    "when",
    "else",
    "wait_until",
    "for_each",
    "python",
];
/// Keys of a task's `wait_until`.
pub const WAIT_KEYS: &[&str] = &["status", "field", "equals", "interval", "timeout", "deferrable"];
/// Keys of a task that are not about a call: all a `python` task takes (the others make a call).
pub const NOT_CALL_KEYS: &[&str] =
    &["description", "after", "retries", "retry_delay", "timeout", "when", "else", "python"];
/// Python's keywords (and soft keywords): not a module or function name.
const PY_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def",
    "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
    "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

/// The code of a YAML problem in a workflow file.
fn yaml_code(kind: YamlErrorKind) -> DiagnosticCode {
    match kind {
        YamlErrorKind::Syntax | YamlErrorKind::Limit(_) => DiagnosticCode::WorkflowSyntax,
        YamlErrorKind::Key => DiagnosticCode::WorkflowSchema,
    }
}

/// Reads a workflow file. `file` is its project-relative path (the default id is its name).
pub fn read_workflow(text: &str, file: &Path) -> (Workflow, Vec<Diagnostic>) {
    let parsed = yaml::parse(text);
    let diags = parsed.errors.iter().map(|e| e.to_diagnostic(file, yaml_code(e.kind))).collect();
    let mut r = Reader { file, diags };
    let stem = file
        .file_name()
        .and_then(|n| n.to_str())
        .map(|n| n.strip_suffix(WORKFLOW_SUFFIX).unwrap_or(n))
        .unwrap_or("workflow")
        .to_string();
    let mut wf = Workflow {
        file: file.to_path_buf(),
        id: Spanned { value: stem, span: Span::default() },
        description: String::new(),
        schedule: None,
        start_date: None,
        tags: Vec::new(),
        default_args: DefaultArgs::default(),
        tasks: Vec::new(),
        on_failure: None,
    };
    match parsed.root.as_ref().map(|root| (root, root.entries())) {
        Some((_, Some(entries))) => r.top(&entries, &mut wf),
        Some((root, None)) if root.value != NodeValue::Null => {
            r.type_error(root, "a mapping with `tasks` at the top")
        }
        _ => {}
    }
    if !is_id(&wf.id.value) {
        let msg = format!(
            "workflow id `{}` is not a name: use letters, digits and single `_` (it names the Airflow DAG)",
            wf.id.value
        );
        r.schema(wf.id.span, msg);
    }
    (wf, r.diags)
}

/// Whether `s` can be a task or workflow id: a Python-style identifier without `__` (the generator
/// uses `__` for the tasks it adds).
pub fn is_id(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.contains("__")
        && s.len() <= 200
}

struct Reader<'a> {
    file: &'a Path,
    diags: Vec<Diagnostic>,
}

impl Reader<'_> {
    fn schema(&mut self, span: Span, message: String) {
        self.diags.push(Diagnostic::new(DiagnosticCode::WorkflowSchema, self.file, span, message));
    }

    fn push(&mut self, code: DiagnosticCode, span: Span, message: String) {
        self.diags.push(Diagnostic::new(code, self.file, span, message));
    }

    fn type_error(&mut self, node: &Node, expected: &str) {
        self.schema(node.span, format!("expected {expected}, found {}", node.kind()));
    }

    fn unknown_key(&mut self, key: &Key, known: &[&str], place: &str) {
        let hint = did_you_mean(&key.text, known.iter().copied());
        self.schema(key.span, format!("unknown key `{}` {place}{hint}", key.text));
        if let (Some(near), Some(d)) = (closest(&key.text, known.iter().copied()), self.diags.last_mut()) {
            let range = ByteRange::new(key.span.start.offset, key.span.end.offset);
            d.add_fixes([Fix::replace(self.file, range, &key.text, near, true)]);
        }
    }

    fn text(&mut self, node: &Node) -> Option<Spanned<String>> {
        match (&node.value, node.to_value()) {
            (_, Value::Str(s)) => Some(Spanned { value: s, span: node.span }),
            (NodeValue::Scalar(s, _), Value::Int(_) | Value::Float(_)) => {
                Some(Spanned { value: s.clone(), span: node.span })
            }
            _ => {
                self.type_error(node, "text");
                None
            }
        }
    }

    fn count(&mut self, node: &Node) -> Option<u32> {
        match node.to_value() {
            Value::Int(i) if (0..=i64::from(u32::MAX)).contains(&i) => Some(i as u32),
            _ => {
                self.type_error(node, "a whole number ≥ 0");
                None
            }
        }
    }

    /// A list of names (a single name is a list of one).
    fn names(&mut self, node: &Node) -> Vec<Spanned<String>> {
        match &node.value {
            NodeValue::Sequence(items) => items.iter().filter_map(|i| self.text(i)).collect(),
            NodeValue::Null => Vec::new(),
            _ => self.text(node).into_iter().collect(),
        }
    }

    fn top(&mut self, entries: &[&(Key, Node)], wf: &mut Workflow) {
        for (key, value) in entries.iter().map(|e| (&e.0, &e.1)) {
            match key.text.as_str() {
                "id" => {
                    if let Some(id) = self.text(value) {
                        wf.id = id;
                    }
                }
                "description" => wf.description = self.text(value).map(|s| s.value).unwrap_or_default(),
                "schedule" => {
                    wf.schedule = Some(if value.value == NodeValue::Null { None } else { self.text(value) });
                }
                "start_date" => {
                    wf.start_date = self.text(value);
                    if let Some(d) = &wf.start_date {
                        if !is_date(&d.value) {
                            self.schema(
                                d.span,
                                format!(
                                    "start_date `{}` is not a date `YYYY-MM-DD` (a real day, year 1 to 9999)",
                                    d.value
                                ),
                            );
                        }
                    }
                }
                "tags" => {
                    let tags = self.names(value);
                    for tag in tags.iter().filter(|t| t.value.chars().count() > MAX_TAG_CHARS) {
                        let msg = format!(
                            "a tag has at most {MAX_TAG_CHARS} characters (Airflow refuses longer ones)"
                        );
                        self.schema(tag.span, msg);
                    }
                    wf.tags = tags.into_iter().map(|s| s.value).collect();
                }
                "default_args" => {
                    if let Some(args) = value.entries() {
                        for (k, v) in args.iter().map(|e| (&e.0, &e.1)) {
                            if !self.arg(k, v, &mut wf.default_args) {
                                self.unknown_key(k, ARG_KEYS, "in `default_args`");
                            }
                        }
                    } else if value.value != NodeValue::Null {
                        self.type_error(value, "a mapping (`retries`, `retry_delay`, `timeout`)");
                    }
                }
                "on_failure" => wf.on_failure = self.text(value),
                "tasks" => match value.entries() {
                    Some(tasks) => {
                        for (k, v) in tasks.iter().map(|e| (&e.0, &e.1)) {
                            if let Some(t) = self.task(k, v) {
                                wf.tasks.push(t);
                            }
                        }
                    }
                    None if value.value == NodeValue::Null => {}
                    None => self.type_error(value, "a mapping of task ids to tasks"),
                },
                _ => self.unknown_key(key, TOP_KEYS, "at the top of a workflow"),
            }
        }
        if !entries.iter().any(|e| e.0.text == "tasks") {
            self.schema(Span::default(), "a workflow needs `tasks`".into());
        }
    }

    /// Reads one of [`ARG_KEYS`]; false when `key` is not one.
    fn arg(&mut self, key: &Key, value: &Node, args: &mut DefaultArgs) -> bool {
        let slot = match key.text.as_str() {
            "retries" => &mut args.retries,
            "retry_delay" => &mut args.retry_delay,
            "timeout" => &mut args.timeout,
            _ => return false,
        };
        *slot = self.count(value);
        true
    }

    fn task(&mut self, key: &Key, node: &Node) -> Option<Task> {
        if !is_id(&key.text) {
            self.schema(
                key.span,
                format!("task id `{}` is not a name: use letters, digits and single `_`", key.text),
            );
        }
        let span = Span { start: key.span.start, end: node.span.end.max(key.span.end) };
        let Some(entries) = node.entries() else {
            self.type_error(node, "a task (a mapping with `service`, `method`, `path`...)");
            return None;
        };
        let mut t = Task {
            id: key.text.clone(),
            id_span: key.span,
            span,
            description: String::new(),
            service: None,
            method: Spanned { value: HttpMethod::Get, span: key.span },
            path: None,
            params: Vec::new(),
            query: Vec::new(),
            headers: Vec::new(),
            json: None,
            is_async: false,
            args: DefaultArgs::default(),
            after: Vec::new(),
            on_success: Vec::new(),
            on_failure: Vec::new(),
            on_no_content: Vec::new(),
            texts: Vec::new(),
            when: None,
            otherwise: Vec::new(),
            json_places: Vec::new(),
            wait_until: None,
            for_each: None,
            python: None,
        };
        for (k, v) in entries.iter().map(|e| (&e.0, &e.1)) {
            match k.text.as_str() {
                "wait_until" => t.wait_until = self.wait_until(k, v),
                "for_each" => {
                    t.for_each = self.text(v);
                    if let Some(f) = &t.for_each {
                        if !template::is_whole(&f.value) {
                            let msg = format!(
                                "`for_each` of task `{}` is one template naming a list, e.g. `\"{{{{ conf.skus }}}}\"`",
                                t.id
                            );
                            self.push(DiagnosticCode::WorkflowForEach, f.span, msg);
                        }
                        t.texts.push(f.clone());
                    }
                }
                "python" => {
                    t.python = self.text(v);
                    if let Some(p) = &t.python {
                        if python_target(&p.value).is_none() {
                            let msg = format!(
                                "`python: {}` is not `module.function` (two Python names: `workflows/<module>.py` and a function in it)",
                                p.value
                            );
                            self.push(DiagnosticCode::WorkflowPython, p.span, msg);
                        }
                    }
                }
                "description" => t.description = self.text(v).map(|s| s.value).unwrap_or_default(),
                "service" => t.service = self.text(v),
                "method" => {
                    if let Some(m) = self.text(v) {
                        match HttpMethod::from_str(&m.value) {
                            Ok(method) => t.method = Spanned { value: method, span: m.span },
                            Err(e) => self.schema(m.span, e),
                        }
                    }
                }
                "path" => {
                    t.path = self.text(v);
                    if let Some(p) = &t.path {
                        if !p.value.starts_with('/') {
                            self.schema(p.span, format!("path `{}` must start with `/`", p.value));
                        }
                        t.texts.push(p.clone());
                    }
                }
                "params" => t.params = self.args(v, &mut t.texts, false),
                "query" => t.query = self.args(v, &mut t.texts, true),
                "headers" => t.headers = self.args(v, &mut t.texts, false),
                "json" => {
                    collect_texts(v, &mut t.texts);
                    collect_places(v, &mut Vec::new(), &mut t.json_places);
                    t.json = Some(Spanned { value: to_json(v), span: v.span });
                }
                "async" => match v.to_value() {
                    Value::Bool(b) => t.is_async = b,
                    _ => self.type_error(v, "`true` or `false`"),
                },
                "after" => t.after = self.names(v),
                "on_success" => t.on_success = self.names(v),
                "on_failure" => t.on_failure = self.names(v),
                "on_no_content" => t.on_no_content = self.names(v),
                "when" => t.when = self.condition(v),
                "else" => t.otherwise = self.names(v),
                _ => {
                    if !self.arg(k, v, &mut t.args) {
                        self.unknown_key(k, TASK_KEYS, &format!("in task `{}`", t.id));
                    }
                }
            }
        }
        self.combinations(&t, &entries);
        if t.python.is_some() {
            return Some(t);
        }
        if t.service.is_none() {
            self.schema(key.span, format!("task `{}` needs `service` (the tech service it calls)", t.id));
        }
        if t.path.is_none() {
            self.schema(
                key.span,
                format!("task `{}` needs `path` (the entry's path, e.g. `/invoice`)", t.id),
            );
        }
        Some(t)
    }

    /// A `when:` condition: any scalar (`when: true` too), read by [`condition::parse`]; a condition
    /// that cannot be read is reported where it goes wrong.
    fn condition(&mut self, node: &Node) -> Option<Spanned<String>> {
        let NodeValue::Scalar(text, _) = &node.value else {
            self.type_error(node, "a condition (e.g. `tasks.order.body.total > 100`)");
            return None;
        };
        let when = Spanned { value: text.clone(), span: node.span };
        if let Err(e) = condition::parse(text) {
            let span = sub_span(&when, e.range.start, e.range.end);
            let msg = format!("`when: {}`: {}", text, e.message);
            self.diags.push(Diagnostic::new(DiagnosticCode::WorkflowBadCondition, self.file, span, msg));
        }
        Some(when)
    }

    /// The keys a task may not combine: a `python` task with a call's keys, `wait_until` with `async`
    /// (with `for_each`, each item waits: a mapped sensor), `for_each` with `async` or branches.
    fn combinations(&mut self, t: &Task, entries: &[&(Key, Node)]) {
        if let Some(p) = &t.python {
            let given: Vec<String> = entries
                .iter()
                .filter(|e| TASK_KEYS.contains(&e.0.text.as_str()))
                .filter(|e| !NOT_CALL_KEYS.contains(&e.0.text.as_str()))
                .map(|e| format!("`{}`", e.0.text))
                .collect();
            if !given.is_empty() {
                let msg = format!(
                    "task `{}` runs `python: {}`: it calls no entry, so it takes no {}",
                    t.id,
                    p.value,
                    given.join(", ")
                );
                self.push(DiagnosticCode::WorkflowPython, p.span, msg);
            }
            return;
        }
        // (the key, its code, what it cannot be given with, why)
        let rules = [
            (
                t.wait_until.as_ref().map(|w| w.span),
                DiagnosticCode::WorkflowWaitUntil,
                vec![(t.is_async, "`async: true`")],
                "cannot wait with {}: wait in a task of its own, after this one",
            ),
            (
                t.for_each.as_ref().map(|f| f.span),
                DiagnosticCode::WorkflowForEach,
                vec![(t.is_async, "`async: true`"), (t.has_branches(), "`on_*` branches")],
                "is mapped over `for_each`: it cannot take {} (its items answer each their own status); give them to a task after it",
            ),
        ];
        for (span, code, with, why) in rules {
            let Some(span) = span else { continue };
            for (_, what) in with.iter().filter(|(on, _)| *on) {
                self.push(code, span, format!("task `{}` {}", t.id, why.replace("{}", what)));
            }
        }
    }

    /// Reads `wait_until`: a mapping of [`WAIT_KEYS`].
    fn wait_until(&mut self, key: &Key, node: &Node) -> Option<WaitUntil> {
        let span = Span { start: key.span.start, end: node.span.end.max(key.span.end) };
        let code = DiagnosticCode::WorkflowWaitUntil;
        let Some(entries) = node.entries() else {
            let msg = format!(
                "`wait_until` is a mapping (`status`, `field`, `equals`, `interval`, `timeout`, `deferrable`), found {}",
                node.kind()
            );
            self.push(code, node.span, msg);
            return None;
        };
        let mut status = Vec::new();
        let (mut field, mut equals) = (None, None);
        let (mut interval, mut timeout) = (None, None);
        let mut deferrable = false;
        for (k, v) in entries.iter().map(|e| (&e.0, &e.1)) {
            match k.text.as_str() {
                "status" => {
                    let items: Vec<&Node> = match &v.value {
                        NodeValue::Sequence(items) => items.iter().collect(),
                        _ => vec![v],
                    };
                    for item in items {
                        match item.to_value() {
                            Value::Int(i) if (100..=599).contains(&i) => status.push(i as u16),
                            _ => {
                                let msg = "a `wait_until` status is an HTTP status from 100 to 599 (or a list of them)";
                                self.push(code, item.span, msg.into());
                            }
                        }
                    }
                }
                "field" => {
                    field = self.text(v);
                    if let Some(f) = &field {
                        if let Some(problem) = field_problem(&f.value) {
                            self.push(code, f.span, problem);
                        }
                    }
                }
                "equals" => equals = Some(to_json(v)),
                "interval" | "timeout" => {
                    let seconds = match v.to_value() {
                        Value::Int(i) if (1..=i64::from(u32::MAX)).contains(&i) => Some(i as u32),
                        _ => {
                            let msg = format!(
                                "`{}` of `wait_until` is a whole number of seconds ≥ 1, found {}",
                                k.text,
                                yaml_shown(v)
                            );
                            self.push(code, v.span, msg);
                            None
                        }
                    };
                    if k.text == "interval" {
                        interval = seconds;
                    } else {
                        timeout = seconds;
                    }
                }
                "deferrable" => match v.to_value() {
                    Value::Bool(b) => deferrable = b,
                    _ => {
                        let msg = format!(
                            "`deferrable` of `wait_until` is `true` or `false`, found {}",
                            yaml_shown(v)
                        );
                        self.push(code, v.span, msg);
                    }
                },
                _ => self.unknown_key(k, WAIT_KEYS, "in `wait_until`"),
            }
        }
        if field.is_some() != equals.is_some() {
            let msg = "`wait_until` compares a `field` to a value: give both `field` and `equals`";
            self.push(code, key.span, msg.into());
        }
        let interval = interval.unwrap_or(WaitUntil::DEFAULT_INTERVAL);
        let timeout = timeout.unwrap_or(WaitUntil::DEFAULT_TIMEOUT);
        if interval > timeout {
            let msg = format!(
                "`wait_until` asks every {interval} s but gives up after {timeout} s: make `interval` at most `timeout`"
            );
            self.push(code, key.span, msg);
        }
        Some(WaitUntil {
            span,
            condition: WaitCondition::Answer { status, field, equals },
            interval,
            timeout,
            deferrable,
        })
    }

    fn args(&mut self, node: &Node, texts: &mut Vec<Spanned<String>>, lists: bool) -> Vec<Arg> {
        let Some(entries) = node.entries() else {
            if node.value != NodeValue::Null {
                self.type_error(node, "a mapping of names to values");
            }
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in entries.iter().map(|e| (&e.0, &e.1)) {
            match &v.value {
                NodeValue::Mapping(_) => self.type_error(v, "a value (text, number, boolean)"),
                NodeValue::Sequence(_) if !lists => self.type_error(v, "a value (text, number, boolean)"),
                _ => {
                    collect_texts(v, texts);
                    out.push(Arg {
                        name: Spanned { value: k.text.clone(), span: k.span },
                        value: to_json(v),
                    });
                }
            }
        }
        out
    }
}

/// The module and function of a `python:` value `module.function` (two Python names, neither a
/// keyword), or `None`.
pub fn python_target(s: &str) -> Option<(&str, &str)> {
    let (module, function) = s.split_once('.')?;
    let name = |n: &str| is_id(n) && !PY_KEYWORDS.contains(&n);
    (name(module) && name(function)).then_some((module, function))
}

/// What is wrong with a `wait_until` field: a dotted path starting with `status`, `headers` or `body`.
fn field_problem(field: &str) -> Option<String> {
    let mut parts = field.split('.');
    let head = parts.next().unwrap_or("");
    if !template::RESULT_FIELDS.contains(&head) {
        return Some(format!(
            "`field: {field}` reads the answer: start it with `status`, `headers` or `body` (e.g. `body.state`)"
        ));
    }
    parts.any(str::is_empty).then(|| format!("`field: {field}` has an empty name between dots"))
}

/// A YAML node as a message shows it.
fn yaml_shown(node: &Node) -> String {
    match &node.value {
        NodeValue::Scalar(s, _) => format!("`{s}`"),
        _ => node.kind().to_string(),
    }
}

/// Whether `s` is a date `YYYY-MM-DD` of the calendar (see [`date`]).
pub fn is_date(s: &str) -> bool {
    date(s).is_some()
}

/// The year, month and day of a date `YYYY-MM-DD`: four, two and two digits, a year from 1 to 9999
/// (Python's `datetime`), a month from 1 to 12 and a day that month has (leap years counted).
pub fn date(s: &str) -> Option<(u16, u8, u8)> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u16> {
        b.get(r.clone())?.iter().all(u8::is_ascii_digit).then(|| s[r].parse().ok())?
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (year >= 1 && (1..=days).contains(&day)).then_some((year, month as u8, day as u8))
}

/// The JSON value of a YAML node (scalars typed by the YAML 1.2 core schema).
pub fn to_json(node: &Node) -> serde_json::Value {
    value_to_json(node.to_value())
}

fn value_to_json(v: Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(b),
        Value::Int(i) => J::from(i),
        Value::Float(f) => serde_json::Number::from_f64(f).map(J::Number).unwrap_or(J::Null),
        Value::Str(s) => J::String(s),
        Value::List(items) => J::Array(items.into_iter().map(value_to_json).collect()),
        Value::Map(m) => J::Object(m.into_iter().map(|(k, v)| (k, value_to_json(v))).collect()),
    }
}

/// Where each key and list item under `node` is written, by its path.
fn collect_places(node: &Node, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, Span)>) {
    match &node.value {
        NodeValue::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                out.push((path.clone(), item.span));
                collect_places(item, path, out);
                path.pop();
            }
        }
        NodeValue::Mapping(entries) => {
            for (k, v) in entries {
                path.push(k.text.clone());
                out.push((path.clone(), k.span));
                collect_places(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn collect_texts(node: &Node, out: &mut Vec<Spanned<String>>) {
    match &node.value {
        NodeValue::Scalar(s, _) => out.push(Spanned { value: s.clone(), span: node.span }),
        NodeValue::Sequence(items) => items.iter().for_each(|i| collect_texts(i, out)),
        NodeValue::Mapping(entries) => entries.iter().for_each(|(_, v)| collect_texts(v, out)),
        NodeValue::Null => {}
    }
}

/// The span of bytes `start..end` of a text value written at `span`: exact when the value is written
/// on one line as is (plain, or quoted without escapes), the whole value's span otherwise.
pub fn sub_span(text: &Spanned<String>, start: usize, end: usize) -> Span {
    let s = text.span;
    let written = s.end.offset.saturating_sub(s.start.offset);
    let one_line = s.start.line == s.end.line && !text.value.contains('\n');
    let skip = if written == text.value.len() {
        0
    } else if written == text.value.len() + 2 {
        1
    } else {
        return s;
    };
    if !one_line
        || end > text.value.len()
        || !text.value.is_char_boundary(start)
        || !text.value.is_char_boundary(end)
    {
        return s;
    }
    let at = |i: usize| Pos {
        offset: s.start.offset + skip + i,
        line: s.start.line,
        col: s.start.col + skip as u32 + text.value[..i].chars().count() as u32,
    };
    Span { start: at(start), end: at(end) }
}
