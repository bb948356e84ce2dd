//! The project's text in the generated Terraform, as the text it is.
//!
//! Terraform reads every string of a `.tf.json` file — values and object keys alike — as a
//! template: `${...}` interpolates an expression (`GREETING=Hello ${file("/etc/hostname")}` would
//! read the deploying machine's files) and `%{...}` runs a directive. Doubling the introducer
//! (`$${`, `%%{`) is Terraform's own escape; nothing else in a JSON string is special to it.
//!
//! Every string the generator writes from the project's data — env names and values, tags,
//! options, service docs, paths, the stage — goes through [`literal`], **the one escaping function**;
//! [`quoted`] puts such text inside an expression the generator writes, [`literal_value`] a whole
//! JSON value (backend settings), and [`literal_part`] a part of a string the generator writes
//! around it (the IAM policy's resources). Names sanitised to letters, digits, `-` and `_` (`ident`,
//! `resource_name`) hold no introducer. `cli/tests/terraform_fuzz.rs` checks this with Terraform
//! itself: hostile values in every such field validate, and the planned values are the texts as
//! written.
//!
//! One quirk of Terraform's string scanner (HCL's `scanStringLit`; checked with Terraform 1.11,
//! `terraform plan` of `.tf.json` outputs): after a lone carriage return (a `\r` not followed by
//! `\n`), nothing more in the string is evaluated — `${...}` and `%{...}` stay text — and a run of
//! `$` or `%` before `{` reads by its length: an even run one character short, as elsewhere (`$${`
//! is `${`), an odd run as written, one character longer than elsewhere (`${` is `${`, not an
//! interpolation; `$$${` is `$$${`, not `$${`). So a text with `$${` or `%%{` after a lone carriage
//! return has no spelling there at all. [`literal`] writes a text with a lone carriage return as a
//! quoted string inside an interpolation, `${"..."}`, where the carriage return is the escape `\r`
//! and the quirk does not apply; [`literal_part`] cannot (it is inside other text) and only doubles
//! the introducers — the text is then never evaluated, but a `$${` or `%%{` in it after a lone
//! carriage return (written `$$${`, `%%%{`) reads one `$` (`%`) long.

use serde_json::Value;

/// `s` as a Terraform string (a value or an object key) whose value is `s`: `${` becomes `$${` and
/// `%{` becomes `%%{`; a text with a lone carriage return becomes `${"..."}` ([`quoted`]).
pub fn literal(s: &str) -> String {
    let lone_cr = s.char_indices().any(|(i, c)| c == '\r' && !s[i + 1..].starts_with('\n'));
    if lone_cr {
        format!("${{{}}}", quoted(s))
    } else {
        literal_part(s)
    }
}

/// `s` as part of a Terraform string the generator writes around it: the introducers doubled
/// (`${` → `$${`, `%{` → `%%{`), nothing else changed.
pub fn literal_part(s: &str) -> String {
    s.replace("${", "$${").replace("%{", "%%{")
}

/// `s` as an HCL quoted string inside an interpolation the generator writes
/// (`${terraform.workspace == "dev"}`): `"`, `\` and control characters escaped, then the
/// introducers doubled (a quoted string inside `${...}` is a template too).
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    format!("\"{}\"", literal_part(&out))
}

/// A JSON value of the project with every string and object key through [`literal`].
pub fn literal_value(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(literal(s)),
        Value::Array(items) => Value::Array(items.iter().map(literal_value).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (literal(k), literal_value(v))).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn introducers_are_doubled_and_nothing_else_changes() {
        assert_eq!(literal("Hello ${file(\"/etc/hostname\")}"), "Hello $${file(\"/etc/hostname\")}");
        assert_eq!(literal("%{ if true }x%{ endif }"), "%%{ if true }x%%{ endif }");
        assert_eq!(literal("$${a} %%{b} $$${c}"), "$$${a} %%%{b} $$$${c}");
        for plain in ["", "eu-west-1", "a $ b % c { d }", "é 😀 \" \\ \n"] {
            assert_eq!(literal(plain), plain);
        }
        assert_eq!(literal("a\r$${b}\r\n"), "${\"a\\r$$${b}\\r\\n\"}");
        assert_eq!(literal("a\r\n$${b}"), "a\r\n$$${b}");
        // Terraform reads this one `$` long (`a\r$$${b}`): a documented limit of `literal_part`.
        assert_eq!(literal_part("a\r$${b}"), "a\r$$${b}");
        assert_eq!(quoted("dev"), "\"dev\"");
        assert_eq!(quoted("a\"b\\c\n${x}\u{1b}"), "\"a\\\"b\\\\c\\n$${x}\\u001b\"");
        let v = serde_json::json!({"${k}": ["%{x}", 1, null], "b": {"c": "${d}"}});
        assert_eq!(literal_value(&v), serde_json::json!({"$${k}": ["%%{x}", 1, null], "b": {"c": "$${d}"}}));
    }
}
