//! Templates in workflow values: `{{ conf.customer }}` (the run's conf) and
//! `{{ tasks.create_invoice.body.id }}` (an upstream task's result: `status`, `headers`, `body`).
//!
//! A text that is exactly one template takes the referenced value with its JSON type; a template
//! inside other text is replaced by the value's text. The DAGs' runtime (`coworks_airflow`) resolves
//! templates with the same grammar.

use serde::Serialize;

use crate::text::ByteRange;

/// Where a template reads its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `conf.<key>...`: the run's configuration.
    Conf(Vec<String>),
    /// `tasks.<id>.<status|headers|body>...`: an upstream task's result.
    Task {
        /// The task id.
        task: String,
        /// What is read in its result (`body`, `id` ...).
        path: Vec<String>,
    },
    /// `item` / `item.<key>...`: the item of a task mapped over `for_each`.
    Item(Vec<String>),
}

/// One `{{ ... }}` in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// Where it is in the text, braces included.
    pub range: ByteRange,
    /// The expression between the braces, trimmed.
    pub expr: String,
    /// What it reads, or why it cannot be read.
    pub source: Result<Source, String>,
}

/// What a task result holds.
pub const RESULT_FIELDS: &[&str] = &["status", "headers", "body"];

/// The templates of `text`, in order. An unclosed `{{` is reported as a template with an error.
pub fn templates(text: &str) -> Vec<Template> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(open) = text[at..].find("{{").map(|i| at + i) {
        let Some(close) = text[open + 2..].find("}}").map(|i| open + 2 + i) else {
            out.push(Template {
                range: ByteRange::new(open, text.len()),
                expr: text[open + 2..].trim().to_string(),
                source: Err("`{{` is not closed by `}}`".into()),
            });
            break;
        };
        let expr = text[open + 2..close].trim().to_string();
        out.push(Template { range: ByteRange::new(open, close + 2), source: parse_expr(&expr), expr });
        at = close + 2;
    }
    out
}

/// Whether `text` is exactly one template (its value keeps its JSON type).
pub fn is_whole(text: &str) -> bool {
    let t = templates(text);
    t.len() == 1 && t[0].range.start == 0 && t[0].range.end == text.len()
}

/// What a template's expression (`conf.a`, `tasks.x.body.y`, without braces) reads, or why it
/// cannot be read; `when:` conditions read their paths with it too.
pub fn parse_source(expr: &str) -> Result<Source, String> {
    parse_expr(expr)
}

fn parse_expr(expr: &str) -> Result<Source, String> {
    let parts: Vec<&str> = expr.split('.').collect();
    let bad =
        parts.iter().find(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    if let Some(p) = bad {
        return Err(format!(
            "`{expr}`: `{p}` is not a name; templates are `conf.<key>...` or `tasks.<id>.<status|headers|body>...`"
        ));
    }
    let rest = |from: usize| parts[from..].iter().map(|s| s.to_string()).collect::<Vec<_>>();
    match parts[0] {
        "conf" if parts.len() >= 2 => Ok(Source::Conf(rest(1))),
        "conf" => Err("`conf` alone: read a key of the run's conf, `conf.<key>`".into()),
        "tasks" if parts.len() >= 3 => {
            if !RESULT_FIELDS.contains(&parts[2]) {
                return Err(format!(
                    "`{expr}`: a task result has `status`, `headers` and `body`, not `{}`",
                    parts[2]
                ));
            }
            Ok(Source::Task { task: parts[1].to_string(), path: rest(2) })
        }
        "tasks" => Err(format!("`{expr}`: read `tasks.<id>.status`, `.headers...` or `.body...`")),
        "item" => Ok(Source::Item(rest(1))),
        other => Err(format!(
            "`{expr}`: unknown root `{other}`; templates read `conf.<key>...`, `tasks.<id>.<status|headers|body>...` or `item...`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_conf_and_task_templates() {
        let t = templates("/invoice/{{ tasks.create.body.id }}/x/{{conf.a.b}}");
        assert_eq!(t.len(), 2);
        assert_eq!(
            t[0].source,
            Ok(Source::Task { task: "create".into(), path: vec!["body".into(), "id".into()] })
        );
        assert_eq!(t[1].source, Ok(Source::Conf(vec!["a".into(), "b".into()])));
        assert_eq!(
            &"/invoice/{{ tasks.create.body.id }}/x/{{conf.a.b}}"[t[1].range.start..t[1].range.end],
            "{{conf.a.b}}"
        );
        assert!(is_whole("{{ conf.amount }}"));
        assert!(!is_whole("n° {{ conf.amount }}"));
        assert!(!is_whole("plain"));
    }

    #[test]
    fn reports_bad_templates() {
        for bad in [
            "{{ conf }}",
            "{{ tasks.a }}",
            "{{ tasks.a.result }}",
            "{{ env.X }}",
            "{{ conf..a }}",
            "{{ conf.a",
        ] {
            let t = templates(bad);
            assert_eq!(t.len(), 1, "{bad}");
            assert!(t[0].source.is_err(), "{bad}");
        }
    }
}
