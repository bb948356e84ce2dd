//! `when:` conditions mean the same to the local runner (the core's `workflow::condition`) and to
//! the DAGs' runtime (`coworks_airflow/conditions.py`, run by `python3` without Airflow): a table of
//! written cases, random expressions of its grammar and random sequences of its tokens, each
//! evaluated by both — the same
//! value, or an error on both sides.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use coworks_core::workflow::condition::{self, Expr};
use serde_json::{json, Value};

const WRITTEN: &[&str] = &[
    "tasks.t.status in [200, 204]",
    "tasks.t.status not in [200, 204] or conf.a == 1.0",
    "conf.b == 'x' and not conf.n",
    "conf.l == [1, 'x']",
    "conf.t == 1",
    "conf.t != true or conf.z",
    "conf.a < 'x'",
    "'é' > 'e' and \"a\\\"b\" == 'a\"b'",
    "conf.missing == 1",
    "false and conf.missing == 1",
    "true or conf.missing",
    "conf.n in [null]",
    "-0 == 0 and 0.5 > -1",
    "conf.m == conf.m2",
    "conf.m",
    "1 in conf.b",
    "(((conf.a)))",
    "item.sku == 'x'",
    "false and item",
];

const OPERANDS: &[&str] = &[
    "conf.a",
    "conf.b",
    "conf.l",
    "conf.n",
    "conf.t",
    "conf.m",
    "conf.m2",
    "conf.missing",
    "tasks.t.status",
    "1",
    "-2.5",
    "0",
    "'x'",
    "\"y\"",
    "true",
    "false",
    "null",
    "[1, 'x']",
    "[]",
    "[204, 200.0]",
];
const COMPARISONS: &[&str] = &["==", "!=", "<", "<=", ">", ">=", "in", "not in"];

/// A random expression of the grammar, `depth` levels at most.
fn expr(next: &mut impl FnMut() -> usize, depth: usize) -> String {
    let operand = |next: &mut dyn FnMut() -> usize| OPERANDS[next() % OPERANDS.len()];
    match if depth == 0 { next() % 2 } else { next() % 6 } {
        0 => operand(next).to_string(),
        1 => format!("{} {} {}", operand(next), COMPARISONS[next() % COMPARISONS.len()], operand(next)),
        2 => format!("not {}", expr(next, depth - 1)),
        3 => format!("{} and {}", expr(next, depth - 1), expr(next, depth - 1)),
        4 => format!("{} or {}", expr(next, depth - 1), expr(next, depth - 1)),
        _ => format!("({})", expr(next, depth - 1)),
    }
}

const TOKENS: &[&str] = &[
    "conf.a",
    "conf.b",
    "conf.l",
    "conf.n",
    "conf.t",
    "conf.missing",
    "tasks.t.status",
    "1",
    "-2.5",
    "0",
    "'x'",
    "\"y\"",
    "true",
    "false",
    "null",
    "[1, 'x']",
    "[]",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "in",
    "not",
    "and",
    "or",
    "(",
    ")",
    "'a\\'b'",
];

fn values() -> Value {
    json!({
        "conf.a": 1, "conf.b": "x", "conf.l": [1, "x"], "conf.n": null, "conf.t": true, "conf.z": 0,
        "conf.m": { "k": [1, 2] }, "conf.m2": { "k": [1.0, 2] }, "tasks.t.status": 204,
    })
}

fn rust(text: &str, values: &Value) -> Value {
    let result = condition::parse(text).map_err(|e| e.message).and_then(|e| {
        condition::eval(&e, &mut |p| match p {
            Expr::Path { text, .. } => values.get(text).cloned().ok_or_else(|| format!("no {text}")),
            _ => Ok(Value::Null),
        })
    });
    match result {
        Ok(b) => json!(b),
        Err(e) => json!({ "error": e }),
    }
}

#[test]
fn the_runner_and_the_dags_evaluate_conditions_alike() {
    let mut cases: Vec<String> = WRITTEN.iter().map(|s| s.to_string()).collect();
    let mut seed: u64 = 0x5eed_c0de;
    let mut next = || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    for _ in 0..1000 {
        let n = 1 + next() % 7;
        cases.push((0..n).map(|_| TOKENS[next() % TOKENS.len()]).collect::<Vec<_>>().join(" "));
        cases.push(expr(&mut next, 4));
    }
    let values = values();
    let package = Path::new(env!("CARGO_MANIFEST_DIR")).join("airflow");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/conditions_eval.py");
    let mut child = Command::new("python3")
        .arg(&script)
        .arg(&package)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 (scripts/ci-deps installs it)");
    let input = json!({ "values": values, "cases": cases }).to_string();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    let line = stdout.lines().find_map(|l| l.strip_prefix("CWS-RESULT ")).unwrap_or_else(|| {
        panic!("no result from python3:\n{stdout}\n{}", String::from_utf8_lossy(&o.stderr))
    });
    let python: Vec<Value> = serde_json::from_str(line).unwrap();
    assert_eq!(python.len(), cases.len());
    let (mut values_seen, mut errors_seen) = (0, 0);
    for (text, py) in cases.iter().zip(&python) {
        let rs = rust(text, &values);
        match (&rs, py) {
            (Value::Bool(a), Value::Bool(b)) => {
                assert_eq!(a, b, "`{text}`: the runner says {a}, the DAG {b}");
                values_seen += 1;
            }
            (Value::Object(_), Value::Object(_)) => errors_seen += 1,
            _ => panic!("`{text}`: the runner says {rs}, the DAG {py}"),
        }
    }
    assert!(values_seen > 200 && errors_seen > 200, "{values_seen} values, {errors_seen} errors");
    for (text, want) in [(WRITTEN[0], json!(true)), (WRITTEN[4], json!(false)), (WRITTEN[13], json!(true))] {
        assert_eq!(rust(text, &values), want, "{text}");
    }
}
