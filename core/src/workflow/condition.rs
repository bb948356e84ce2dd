//! `when:` conditions: a small expression language over the run's conf and the results of earlier
//! tasks, e.g. `tasks.order.body.total > 100 and conf.mode != 'dry'` or
//! `tasks.check.status in [200, 204]`.
//!
//! - paths read values as templates do ([`template`](super::template)): `conf.<key>...`,
//!   `tasks.<id>.status`, `tasks.<id>.headers...`, `tasks.<id>.body...`;
//! - literals: numbers (`100`, `-2.5`), text in single or double quotes (a backslash escapes the
//!   next character), `true`, `false`, `null`, lists of literals (`[200, 204]`);
//! - comparisons: `==`, `!=` (values of different JSON types are never equal; numbers compare by
//!   value), `<`, `<=`, `>`, `>=` (two numbers or two texts, else the condition fails), `in` and
//!   `not in` (membership in a list);
//! - `not`, `and`, `or` (in this order of precedence, `and`/`or` short-circuit) and parentheses;
//!   a value alone is true unless it is `null`, `false`, `0`, empty text, an empty list or mapping.
//!
//! The local runner evaluates with [`eval`]; the DAGs' runtime (`coworks_airflow/conditions.py`)
//! parses and evaluates the same grammar with the same rules (the condition reaches the DAG as a
//! Python string literal, never as Python code).

use serde_json::Value;

use super::template::{self, Source};
use crate::text::ByteRange;

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in`
    In,
    /// `not in`
    NotIn,
}

impl CmpOp {
    /// How it is written.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::In => "in",
            CmpOp::NotIn => "not in",
        }
    }
}

/// A parsed condition; each part knows where it is written in the condition's text.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A path (`tasks.order.body.total`) and what it reads.
    Path {
        /// The path as written.
        text: String,
        /// What it reads.
        source: Source,
        /// Where it is.
        range: ByteRange,
    },
    /// A literal (a list of literals included).
    Literal {
        /// Its value.
        value: Value,
        /// Where it is.
        range: ByteRange,
    },
    /// `not x`.
    Not(Box<Expr>),
    /// `a and b`.
    And(Box<Expr>, Box<Expr>),
    /// `a or b`.
    Or(Box<Expr>, Box<Expr>),
    /// `a <op> b`.
    Cmp {
        /// The comparison.
        op: CmpOp,
        /// Left side.
        left: Box<Expr>,
        /// Right side.
        right: Box<Expr>,
        /// Where the operator is.
        range: ByteRange,
    },
}

impl Expr {
    /// Every path the condition reads, in order.
    pub fn paths(&self) -> Vec<&Expr> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if matches!(e, Expr::Path { .. }) {
                out.push(e)
            }
        });
        out
    }

    /// Calls `f` on every part, parents first.
    pub fn walk<'e>(&'e self, f: &mut impl FnMut(&'e Expr)) {
        f(self);
        match self {
            Expr::Not(x) => x.walk(f),
            Expr::And(a, b) | Expr::Or(a, b) | Expr::Cmp { left: a, right: b, .. } => {
                a.walk(f);
                b.walk(f);
            }
            Expr::Path { .. } | Expr::Literal { .. } => {}
        }
    }
}

/// Why a condition cannot be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong.
    pub message: String,
    /// Where, in the condition's text.
    pub range: ByteRange,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Num(Value),
    Str(String),
    Op(&'static str),
}

/// The longest condition read, in bytes (and so the deepest nesting).
pub const MAX_LEN: usize = 4096;

fn lex(text: &str) -> Result<Vec<(Tok, ByteRange)>, ParseError> {
    let err =
        |message: String, start: usize, end: usize| ParseError { message, range: ByteRange::new(start, end) };
    if text.len() > MAX_LEN {
        return Err(err(format!("a condition has at most {MAX_LEN} bytes"), 0, text.len()));
    }
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c == b' ' || c == b'\t' || c == b'\n' || c == b'\r' {
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
            out.push((Tok::Word(text[start..i].to_string()), ByteRange::new(start, i)));
            continue;
        }
        if c.is_ascii_digit() || (c == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            i += 1;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            let lit = &text[start..i];
            let value = lit
                .parse::<i64>()
                .map(Value::from)
                .ok()
                .or_else(|| lit.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(Value::Number))
                .filter(|_| !lit.ends_with('.'))
                .ok_or_else(|| err(format!("`{lit}` is not a number"), start, i))?;
            out.push((Tok::Num(value), ByteRange::new(start, i)));
            continue;
        }
        if c == b'\'' || c == b'"' {
            let mut s = String::new();
            let mut chars = text[i + 1..].char_indices();
            let mut end = None;
            while let Some((k, ch)) = chars.next() {
                match ch {
                    '\\' => match chars.next() {
                        Some((_, e)) => s.push(e),
                        None => break,
                    },
                    q if q == c as char => {
                        end = Some(i + 1 + k + 1);
                        break;
                    }
                    other => s.push(other),
                }
            }
            let Some(end) = end else {
                return Err(err("text not closed by its quote".into(), start, text.len()));
            };
            i = end;
            out.push((Tok::Str(s), ByteRange::new(start, end)));
            continue;
        }
        let two = text.get(i..i + 2).unwrap_or("");
        let op = ["==", "!=", "<=", ">="]
            .into_iter()
            .find(|o| *o == two)
            .or_else(|| ["<", ">", "(", ")", "[", "]", ","].into_iter().find(|o| o.as_bytes()[0] == c));
        let Some(op) = op else {
            let ch = text[i..].chars().next().unwrap_or(' ');
            let hint = if c == b'=' { " (compare with `==`)" } else { "" };
            return Err(err(format!("unexpected `{ch}`{hint}"), start, start + ch.len_utf8()));
        };
        i += op.len();
        out.push((Tok::Op(op), ByteRange::new(start, i)));
    }
    Ok(out)
}

/// The deepest nesting of `not` and parentheses read.
pub const MAX_DEPTH: usize = 64;

struct Parser {
    toks: Vec<(Tok, ByteRange)>,
    at: usize,
    end: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|t| &t.0)
    }

    fn range(&self) -> ByteRange {
        self.toks.get(self.at).map(|t| t.1).unwrap_or(ByteRange::new(self.end, self.end))
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if x == w)
    }

    fn fail<T>(&self, what: &str) -> Result<T, ParseError> {
        let found = match self.toks.get(self.at) {
            None => "the end".to_string(),
            Some((Tok::Word(w), _)) => format!("`{w}`"),
            Some((Tok::Op(o), _)) => format!("`{o}`"),
            Some((Tok::Num(n), _)) => format!("`{n}`"),
            Some((Tok::Str(_), _)) => "text".to_string(),
        };
        Err(ParseError { message: format!("expected {what}, found {found}"), range: self.range() })
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.and()?;
        while self.is_word("or") {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.not()?;
        while self.is_word("and") {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, ParseError> {
        if self.is_word("not") {
            self.at += 1;
            let inner = self.nested(Self::not)?;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.cmp()
    }

    /// Reads with `f` one level deeper, refusing to go past [`MAX_DEPTH`].
    fn nested(&mut self, f: fn(&mut Self) -> Result<Expr, ParseError>) -> Result<Expr, ParseError> {
        if self.depth >= MAX_DEPTH {
            let message = format!("a condition nests `not` and parentheses at most {MAX_DEPTH} deep");
            return Err(ParseError { message, range: self.range() });
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    fn cmp(&mut self) -> Result<Expr, ParseError> {
        let left = self.operand()?;
        let start = self.range();
        let op = match self.peek() {
            Some(Tok::Op("==")) => CmpOp::Eq,
            Some(Tok::Op("!=")) => CmpOp::Ne,
            Some(Tok::Op("<")) => CmpOp::Lt,
            Some(Tok::Op("<=")) => CmpOp::Le,
            Some(Tok::Op(">")) => CmpOp::Gt,
            Some(Tok::Op(">=")) => CmpOp::Ge,
            Some(Tok::Word(w)) if w == "in" => CmpOp::In,
            Some(Tok::Word(w))
                if w == "not"
                    && matches!(self.toks.get(self.at + 1), Some((Tok::Word(x), _)) if x == "in") =>
            {
                self.at += 1;
                CmpOp::NotIn
            }
            _ => return Ok(left),
        };
        let range = ByteRange::new(start.start, self.range().end);
        self.at += 1;
        let right = self.operand()?;
        Ok(Expr::Cmp { op, left: Box::new(left), right: Box::new(right), range })
    }

    fn operand(&mut self) -> Result<Expr, ParseError> {
        let range = self.range();
        match self.peek().cloned() {
            Some(Tok::Op("(")) => {
                self.at += 1;
                let inner = self.nested(Self::or)?;
                if self.peek() != Some(&Tok::Op(")")) {
                    return self.fail("`)`");
                }
                self.at += 1;
                Ok(inner)
            }
            Some(Tok::Op("[")) => {
                self.at += 1;
                let mut items = Vec::new();
                while self.peek() != Some(&Tok::Op("]")) {
                    items.push(self.literal()?);
                    match self.peek() {
                        Some(Tok::Op(",")) => self.at += 1,
                        Some(Tok::Op("]")) => {}
                        _ => return self.fail("`,` or `]`"),
                    }
                }
                let end = self.range().end;
                self.at += 1;
                Ok(Expr::Literal { value: Value::Array(items), range: ByteRange::new(range.start, end) })
            }
            Some(Tok::Word(w)) if !["and", "or", "not", "in"].contains(&w.as_str()) => {
                if let Some(v) = keyword(&w) {
                    self.at += 1;
                    return Ok(Expr::Literal { value: v, range });
                }
                let source = template::parse_source(&w).map_err(|message| ParseError { message, range })?;
                if let Source::Item(_) = source {
                    let message = format!(
                        "`{w}`: a condition is decided once, before the task runs (and before a `for_each` calls it per item): it reads `conf.x` and `tasks.<id>...`, not `item`"
                    );
                    return Err(ParseError { message, range });
                }
                self.at += 1;
                Ok(Expr::Path { text: w, source, range })
            }
            Some(Tok::Num(_) | Tok::Str(_)) => {
                let value = self.literal()?;
                Ok(Expr::Literal { value, range })
            }
            _ => self.fail("a path (`conf.x`, `tasks.<id>.body.x`), a literal or `(`"),
        }
    }

    fn literal(&mut self) -> Result<Value, ParseError> {
        let v = match self.peek() {
            Some(Tok::Num(n)) => n.clone(),
            Some(Tok::Str(s)) => Value::String(s.clone()),
            Some(Tok::Word(w)) => match keyword(w) {
                Some(v) => v,
                None => return self.fail("a literal (a list holds numbers, text, `true`, `false`, `null`)"),
            },
            _ => return self.fail("a literal"),
        };
        self.at += 1;
        Ok(v)
    }
}

fn keyword(w: &str) -> Option<Value> {
    match w {
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        "null" => Some(Value::Null),
        _ => None,
    }
}

/// Reads a condition.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let toks = lex(text)?;
    if toks.is_empty() {
        return Err(ParseError {
            message: "the condition is empty".into(),
            range: ByteRange::new(0, text.len()),
        });
    }
    let mut p = Parser { toks, at: 0, end: text.len(), depth: 0 };
    let e = p.or()?;
    if p.at < p.toks.len() {
        return p.fail("`and`, `or` or the end");
    }
    Ok(e)
}

/// Whether a value counts as true: anything but `null`, `false`, `0`, empty text, an empty list
/// or mapping.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// The JSON kind of a value (`number`, `string` ...), as messages and the type checks name it.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Equality of JSON values: same kind and value; numbers by value (`1 == 1.0`).
pub fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => a == b,
    }
}

fn order(op: CmpOp, a: &Value, b: &Value) -> Result<bool, String> {
    let ord = match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64().partial_cmp(&y.as_f64()),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    };
    let Some(ord) = ord else {
        return Err(format!(
            "cannot order {} and {} with `{}` (two numbers or two texts)",
            kind(a),
            kind(b),
            op.as_str()
        ));
    };
    Ok(match op {
        CmpOp::Lt => ord.is_lt(),
        CmpOp::Le => ord.is_le(),
        CmpOp::Gt => ord.is_gt(),
        _ => ord.is_ge(),
    })
}

/// The value of a condition's part; `read` gives the value of a path (or why it has none).
pub fn value(e: &Expr, read: &mut impl FnMut(&Expr) -> Result<Value, String>) -> Result<Value, String> {
    Ok(match e {
        Expr::Path { .. } => read(e)?,
        Expr::Literal { value, .. } => value.clone(),
        Expr::Not(x) => Value::Bool(!truthy(&value(x, read)?)),
        Expr::And(a, b) => Value::Bool(truthy(&value(a, read)?) && truthy(&value(b, read)?)),
        Expr::Or(a, b) => Value::Bool(truthy(&value(a, read)?) || truthy(&value(b, read)?)),
        Expr::Cmp { op, left, right, .. } => {
            let (l, r) = (value(left, read)?, value(right, read)?);
            Value::Bool(match op {
                CmpOp::Eq => equal(&l, &r),
                CmpOp::Ne => !equal(&l, &r),
                CmpOp::In | CmpOp::NotIn => {
                    let Value::Array(items) = &r else {
                        return Err(format!(
                            "`{}` needs a list on its right, found {}",
                            op.as_str(),
                            kind(&r)
                        ));
                    };
                    items.iter().any(|i| equal(&l, i)) == (*op == CmpOp::In)
                }
                _ => order(*op, &l, &r)?,
            })
        }
    })
}

/// Whether a condition holds.
pub fn eval(e: &Expr, read: &mut impl FnMut(&Expr) -> Result<Value, String>) -> Result<bool, String> {
    value(e, read).map(|v| truthy(&v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(text: &str, values: &Value) -> Result<bool, String> {
        let e = parse(text).map_err(|e| e.message)?;
        eval(&e, &mut |p| match p {
            Expr::Path { text, .. } => values.get(text).cloned().ok_or_else(|| format!("no {text}")),
            _ => unreachable!(),
        })
    }

    #[test]
    fn conditions_evaluate_as_documented() {
        let v = json!({ "tasks.o.body.total": 120, "tasks.o.status": 204, "conf.mode": "dry", "conf.n": null, "conf.l": [1, "a"] });
        for (text, want) in [
            ("tasks.o.body.total > 100", true),
            ("tasks.o.body.total >= 120.0 and tasks.o.body.total < 121", true),
            ("tasks.o.status in [200, 204]", true),
            ("tasks.o.status not in [200, 204]", false),
            ("conf.mode == 'dry' or conf.mode == \"x\"", true),
            ("not conf.n", true),
            ("conf.n == null", true),
            ("conf.mode == 1", false),
            ("conf.mode != 1", true),
            ("'a' in conf.l", true),
            ("not (tasks.o.status == 204) or false", false),
            ("true and not false and -1 < 0", true),
            ("conf.l", true),
            ("'it\\'s' == \"it's\"", true),
        ] {
            assert_eq!(run(text, &v), Ok(want), "{text}");
        }
        assert!(run("conf.mode > 1", &v).unwrap_err().contains("cannot order string and number"));
        assert!(run("1 in conf.mode", &v).unwrap_err().contains("needs a list"));
    }

    #[test]
    fn bad_conditions_say_where() {
        let deep = "(".repeat(100);
        for (text, at, msg) in [
            ("", 0, "empty"),
            ("tasks.o.status = 200", 15, "compare with `==`"),
            ("tasks.o.status in [200, tasks.x.status]", 24, "a literal"),
            ("(conf.a", 7, "`)`"),
            ("conf.a == 'x", 10, "not closed"),
            ("conf.a conf.b", 7, "`and`, `or` or the end"),
            ("env.HOME == 1", 0, "unknown root"),
            ("tasks.o.result > 1", 0, "`status`, `headers` and `body`"),
            ("conf.a >", 8, "found the end"),
            ("1.2.3 > 1", 0, "not a number"),
            ("conf.a and item.sku == 'x'", 11, "not `item`"),
            (deep.as_str(), 65, "at most 64 deep"),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.range.start, at, "{text}: {e:?}");
            assert!(e.message.contains(msg), "{text}: {}", e.message);
        }
    }
}
