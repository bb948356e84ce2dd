//! The project's text reaches Terraform as the text it is. A project holds hostile values — template
//! syntax (`${file("/etc/hostname")}`, `%{ if }`, `$${`), quotes, backslashes, control characters,
//! non-ASCII — in every field the generator writes from the project: env values (plain and secret
//! names), tags, the results bucket and prefix, binary media types, the `iam` statements' effects,
//! actions and resources, the on-failure destination, the service's docs, CORS origins and headers,
//! the custom `domain` (name, certificate ARN, base paths), and in the options that hold numbers or
//! words (`throttle`, `route_throttle`, `usage_plan`, `provisioned_concurrency`, `api`), where
//! hostile text must simply be left out. Two services: a REST API and an HTTP API (`api: http`),
//! with access logs, limits, an API key and provisioned concurrency.
//!
//! Two oracles:
//! - `terraform validate`, then `terraform test` (the AWS provider mocked: nothing is called), which
//!   must plan exactly those texts into the functions' environments, tags, APIs, domain names, base
//!   path mappings, stages and IAM policies. All values go into one configuration per stage: a few
//!   Terraform runs in all.
//! - Many arbitrary configurations (options on and off, hostile text everywhere), each generated and
//!   read as Terraform's template scanner reads it: the JSON parses, the only interpolations are the
//!   generator's own (references to resources it defines, the secrets variable, the workspace
//!   condition, a quoted text with no template in it) and there is no directive; and nothing else is
//!   defined (the blocks, resource types and names, outputs and locals are the generator's).
//!
//! `CWS_FUZZ_SEED` changes the hostile values (a fixed seed by default, so a failure repeats),
//! `CWS_FUZZ_CASES` the number of arbitrary configurations (default 300).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};

use coworks_core::artifacts::{self, api::ServiceApi, terraform::literal};
use coworks_core::Project;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{json, Value};
use support::aws::{cli_config, terraform};
use support::fuzz::yaml_str;
use support::TempProject;

/// Pieces of hostile text: Terraform templates and escapes, JSON and HCL syntax, control characters.
const PIECES: &[&str] = &[
    "${",
    "%{",
    "}",
    "$${",
    "%%{",
    "$$${",
    "${file(\"/etc/hostname\")}",
    "%{ if true }x%{ endif }",
    "${var.secrets}",
    "${aws_iam_role.svc.arn}",
    "${~",
    "~}",
    "$",
    "%",
    "{",
    "\"",
    "'",
    "\\",
    "\\n",
    "\n",
    "\r",
    "\t",
    "\u{1b}[31m",
    "\u{7f}",
    "\u{85}",
    "\u{2028}",
    "é",
    "😀",
    "<<EOF",
    "#",
    "//",
    "/*",
    "=",
    ",",
    " ",
    "x",
    "value",
];

fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        5 => proptest::sample::select(PIECES).prop_map(str::to_string),
        1 => any::<char>().prop_filter("no NUL (env files with NUL are binary)", |c| *c != '\0').prop_map(String::from),
    ];
    proptest::collection::vec(piece, 1..6).prop_map(|v| v.concat())
}

/// Texts with a lone carriage return before runs of `$` and `%` (in every stage's env file, beside
/// the random ones).
const LONE_CR: &[&str] = &[
    "a\r${file(\"/etc/hostname\")}",
    "a\r$${b}",
    "a\r$$${b} %%{c}",
    "a\r$$$${b} %{ if true }x%{ endif }",
    "$${a}\r${b}\r\n$${c}",
];

/// `n` hostile texts from the seed (`seed` unless `CWS_FUZZ_SEED`).
fn hostile_texts(n: usize, seed: u64) -> Vec<String> {
    let mut runner = support::fuzz::seeded_runner(1, seed);
    let mut out = vec!["Hello ${file(\"/etc/hostname\")}".to_string()];
    while out.len() < n {
        out.push(hostile().new_tree(&mut runner).expect("a value").current());
    }
    out
}

/// A value in a `.env` file, double-quoted (`\\`, `"`, `$`, line breaks and tabs escaped).
fn env_value(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Rust doc comment line holding `s` on one line (the docs of a service are one line of text).
fn doc_line(s: &str) -> String {
    s.chars().filter(|c| !c.is_control() && !['\u{85}', '\u{2028}', '\u{2029}'].contains(c)).collect()
}

/// The texts a hostile project writes into its configuration and sources.
#[derive(Debug, Clone)]
struct Texts {
    bucket: String,
    prefix: String,
    /// The docs of `svc` and of `web`.
    docs: [String; 2],
    tags: BTreeMap<String, String>,
    binary: Vec<String>,
    /// The `iam` statement's effect, action and resource.
    iam: [String; 3],
    /// The on-failure destination: an SQS queue's ARN around hostile text.
    on_failure: String,
    domain: String,
    /// An ACM certificate's ARN around hostile text.
    certificate: String,
    /// The base paths of `svc` and of `web`.
    base_paths: [String; 2],
    /// `svc`'s one CORS origin (API Gateway's own answers carry it as written).
    origin: String,
    /// The stage's CORS origins and headers (`web`'s).
    origins: Vec<String>,
    headers: Vec<String>,
    /// Hostile text where a route, a number or a word is expected.
    misplaced: Vec<String>,
    /// A third stage's name (the checks refuse it; the generator must hold anyway).
    stage: String,
    /// The project's name.
    project: String,
}

impl Texts {
    fn from(texts: Vec<String>) -> Texts {
        let mut next = texts.into_iter();
        let mut take = || next.next().expect("enough texts");
        Texts {
            bucket: take(),
            prefix: take(),
            docs: [doc_line(&take()), doc_line(&take())],
            tags: (0..6).map(|_| (take(), take())).collect(),
            binary: (0..3).map(|_| take()).collect(),
            iam: [take(), take(), take()],
            on_failure: format!("arn:aws:sqs:eu-west-1:123456789012:{}", take()),
            domain: take(),
            certificate: format!("arn:aws:acm:eu-west-1:123456789012:certificate/{}", take()),
            base_paths: [take(), take()],
            origin: take(),
            origins: (0..2).map(|_| take()).collect(),
            headers: (0..2).map(|_| take()).collect(),
            misplaced: (0..8).map(|_| take()).collect(),
            stage: take(),
            project: take(),
        }
    }

    /// How many texts [`Texts::from`] takes.
    const COUNT: usize = 42;
}

/// Which options a configuration sets (every one in the Terraform run).
#[derive(Debug, Clone, Copy)]
struct Options {
    /// `api: http` for `svc`, for `web`.
    http: [bool; 2],
    domain: bool,
    base_paths: bool,
    access_logs: bool,
    throttle: bool,
    route_throttle: bool,
    usage_plan: bool,
    /// `provisioned_concurrency` for `svc`, for `web`.
    provisioned: [bool; 2],
    cors: bool,
    iam: bool,
    on_failure: bool,
    account: bool,
    /// Hostile text where the options above take numbers and words.
    misplaced: bool,
    /// The project's name is hostile text (else `fuzz`).
    project_name: bool,
}

impl Options {
    const ALL: Options = Options {
        http: [false, true],
        domain: true,
        base_paths: true,
        access_logs: true,
        throttle: true,
        route_throttle: true,
        usage_plan: true,
        provisioned: [false, true],
        cors: true,
        iam: true,
        on_failure: true,
        account: true,
        misplaced: false,
        project_name: false,
    };

    fn from_bits(b: u32) -> Options {
        let on = |i: u32| b & (1 << i) != 0;
        Options {
            http: [on(0), on(1)],
            domain: on(2),
            base_paths: on(3),
            access_logs: on(4),
            throttle: on(5),
            route_throttle: on(6),
            usage_plan: on(7),
            provisioned: [on(8), on(9)],
            cors: on(10),
            iam: on(11),
            on_failure: on(12),
            account: on(13),
            misplaced: on(14),
            project_name: on(15),
        }
    }
}

/// `project.cws.yml` of a project with the options `o` holding the texts `t`.
fn config(t: &Texts, o: Options) -> String {
    let s = |v: &str| yaml_str(v);
    let list = |l: &[String]| l.iter().map(|v| s(v)).collect::<Vec<_>>().join(", ");
    let map = |m: &BTreeMap<String, String>| {
        m.iter().map(|(k, v)| format!("{}: {}", s(k), s(v))).collect::<Vec<_>>().join(", ")
    };
    // A number or word where one is expected, or (misplaced) hostile text.
    let mut misplaced = t.misplaced.iter().cycle();
    let mut or =
        |valid: &str| if o.misplaced { s(misplaced.next().expect("cycled")) } else { valid.to_string() };
    let mut stage = vec![
        "region: eu-west-1".to_string(),
        format!("bucket: {}", s(&t.bucket)),
        format!("results_prefix: {}", s(&t.prefix)),
        format!("tags: {{{}}}", map(&t.tags)),
        format!("binary_media_types: [{}]", list(&t.binary)),
    ];
    let mut own: [Vec<String>; 2] = Default::default();
    for (i, service) in own.iter_mut().enumerate() {
        if o.http[i] {
            service.push(format!("api: {}", or("http")));
        }
        if o.provisioned[i] {
            service.push(format!("provisioned_concurrency: {}", or("2")));
        }
        if o.base_paths {
            service.push(format!("domain: {{base_path: {}}}", s(&t.base_paths[i])));
        }
    }
    if o.iam {
        stage.push(format!(
            "iam: [{{effect: {}, actions: [{}], resources: [{}]}}]",
            s(&t.iam[0]),
            s(&t.iam[1]),
            s(&t.iam[2])
        ));
    }
    if o.on_failure {
        stage.push(format!("on_failure: {}", s(&t.on_failure)));
    }
    if o.domain {
        stage.push(format!("domain: {{name: {}, certificate_arn: {}}}", s(&t.domain), s(&t.certificate)));
    }
    if o.access_logs {
        stage.push("access_logs: true".into());
    }
    if o.account {
        stage.push("api_gateway_account: true".into());
    }
    if o.throttle {
        stage.push(format!("throttle: {{rate: {}, burst: {}}}", or("2.5"), or("10")));
    }
    if o.cors {
        stage.push(format!("cors: {{origins: [{}], headers: [{}]}}", list(&t.origins), list(&t.headers)));
        own[0].push(format!("cors: {{origins: [{}], headers: [{}]}}", s(&t.origin), list(&t.headers)));
    }
    if o.usage_plan {
        own[0].push(format!(
            "usage_plan: {{quota: {}, period: {}, rate: {}, burst: {}}}",
            or("100"),
            or("week"),
            or("1.5"),
            or("3")
        ));
    }
    if o.route_throttle {
        // A route no service serves (hostile text), then each service's own route.
        let hostile = format!("{{route: {}, rate: 1, burst: 1}}", s(&t.misplaced[0]));
        for (i, route) in ["GET /item/{id}", "GET /page/{id}"].into_iter().enumerate() {
            let item = format!("{{route: {}, rate: {}, burst: {}}}", s(route), or("5"), or("2"));
            own[i].push(format!("route_throttle: [{hostile}, {item}]"));
        }
    }
    let indent = |lines: &[String]| lines.iter().map(|l| format!("    {l}\n")).collect::<String>();
    let flow = |lines: &[String]| lines.join(", ");
    format!(
        "version: 3\nname: {}\ncommands:\n  deploy:\n{}services:\n  svc:\n    commands: {{deploy: {{{}}}}}\n  web:\n    commands: {{deploy: {{{}}}}}\nworkspaces:\n  dev: {{}}\n  prod: {{}}\n  {}: {{}}\n",
        if o.project_name { s(&t.project) } else { "fuzz".to_string() },
        indent(&stage),
        flow(&own[0]),
        flow(&own[1]),
        s(&t.stage),
    )
}

/// The source of the service `name` (a type `ty`) with `docs`: a token entry with a path
/// parameter, a `no_auth` entry with limits of its own.
fn source(name: &str, ty: &str, docs: &str, entries: [&str; 2]) -> String {
    format!(
        "pub struct {ty};\n\n/// {docs}\n#[coworks::service(name = \"{name}\")]\nimpl {ty} {{\n    #[entry]\n    fn {}(&self, id: u32) -> String {{ id.to_string() }}\n    #[entry(no_auth, throttle = \"3/4\")]\n    fn {}(&self) -> String {{ String::new() }}\n}}\n",
        entries[0], entries[1]
    )
}

const SVC_ENTRIES: [&str; 2] = ["get_item", "get_health"];
const WEB_ENTRIES: [&str; 2] = ["get_page", "post_form"];

/// The project of `t` with the options `o`, and each stage's plain env file (20 hostile values
/// and a greeting that would read a file).
fn hostile_project(
    t: &Texts,
    o: Options,
    env_texts: &[String],
) -> (TempProject, BTreeMap<&'static str, BTreeMap<String, String>>) {
    let project = TempProject::new()
        .file("project.cws.yml", config(t, o))
        .service("svc", &source("svc", "Svc", &t.docs[0], SVC_ENTRIES))
        .service("web", &source("web", "Web", &t.docs[1], WEB_ENTRIES));
    let mut env = BTreeMap::new();
    let mut values = env_texts.iter().cycle();
    for stage in ["dev", "prod"] {
        let mut vars: BTreeMap<String, String> =
            (0..20).map(|i| (format!("V{i}_{stage}"), values.next().expect("cycled").clone())).collect();
        vars.insert("GREETING".into(), "Hello ${file(\"/etc/hostname\")}".into());
        // Text after a lone carriage return, which Terraform's scanner reads differently (odd runs
        // of `$` / `%` before `{` as written, nothing evaluated): planned as written all the same.
        for (i, v) in LONE_CR.iter().enumerate() {
            vars.insert(format!("CR{i}"), v.to_string());
        }
        let text: String = vars.iter().map(|(k, v)| format!("{k}={}\n", env_value(v))).collect();
        project.write(&format!(".env.{stage}"), text);
        project.write(&format!(".env.{stage}.secret"), format!("S_{stage}.1=secret value\n"));
        env.insert(stage, vars);
    }
    (project, env)
}

// ---- The template scanner: what Terraform evaluates in a string of a `.tf.json` file ----

/// The interpolations Terraform finds in `s`, a string of a `.tf.json` file (value or key), as HCL's
/// template scanner reads it: `$${` and `%%{` are escapes; `${` opens an interpolation, which ends
/// at its `}` (quoted strings inside it skipped); `%{` is a directive. A directive, an unclosed
/// interpolation, or a lone carriage return in the literal text (after which Terraform evaluates
/// nothing and reads an odd run of `$` or `%` before `{` as written, one long) is an error.
fn interpolations(s: &str) -> Result<Vec<&str>, String> {
    let b = s.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"$${") || rest.starts_with(b"%%{") {
            i += 3;
        } else if rest.starts_with(b"%{") {
            return Err(format!("a template directive at byte {i} of {s:?}"));
        } else if rest.starts_with(b"${") {
            let end =
                interpolation_end(b, i + 2).ok_or_else(|| format!("an unclosed interpolation in {s:?}"))?;
            found.push(&s[i + 2..end]);
            i = end + 1;
        } else if b[i] == b'\r' && b.get(i + 1) != Some(&b'\n') {
            return Err(format!("a lone carriage return outside an interpolation in {s:?}"));
        } else {
            i += 1;
        }
    }
    Ok(found)
}

/// Where the interpolation whose body starts at `start` ends (the byte of its `}`).
fn interpolation_end(b: &[u8], start: usize) -> Option<usize> {
    let (mut depth, mut i, mut in_string) = (0usize, start, false);
    while i < b.len() {
        match (in_string, b[i]) {
            (true, b'\\') => i += 1,
            (true, b'"') | (false, b'"') => in_string = !in_string,
            (false, b'{') => depth += 1,
            (false, b'}') if depth == 0 => return Some(i),
            (false, b'}') => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether `q` is exactly one HCL quoted string holding no template: escapes `\\`, `\"`, `\n`,
/// `\r`, `\t`, `\uXXXX` only, `$${` and `%%{` escaped, no raw control character.
fn plain_quoted(q: &str) -> bool {
    let Some(inner) = q.strip_prefix('"').and_then(|r| r.strip_suffix('"')) else { return false };
    let b = inner.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        match b[i] {
            b'\\' => match b.get(i + 1) {
                Some(b'\\' | b'"' | b'n' | b'r' | b't') => i += 2,
                Some(b'u') if rest.len() >= 6 && rest[2..6].iter().all(u8::is_ascii_hexdigit) => i += 6,
                _ => return false,
            },
            b'"' => return false,
            c if c < 0x20 || c == 0x7f => return false,
            _ if rest.starts_with(b"$${") || rest.starts_with(b"%%{") => i += 3,
            _ if rest.starts_with(b"${") || rest.starts_with(b"%{") => return false,
            _ => i += 1,
        }
    }
    true
}

fn is_ident(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Whether an interpolation's body is one the generator writes: a reference to an attribute of a
/// resource in `defined`, the secrets variable at a quoted key, the workspace condition, or a quoted
/// text (a text with a lone carriage return).
fn generators_own(body: &str, defined: &BTreeSet<String>, secrets: bool) -> bool {
    if let Some(q) = body.strip_prefix("terraform.workspace == ") {
        return plain_quoted(q);
    }
    if let Some(q) = body.strip_prefix("var.secrets[").and_then(|r| r.strip_suffix(']')) {
        return secrets && plain_quoted(q);
    }
    if body.starts_with('"') {
        return plain_quoted(body);
    }
    let parts: Vec<&str> = body.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| is_ident(p))
        && defined.contains(&format!("{}.{}", parts[0], parts[1]))
}

/// The resource types the generator writes.
const RESOURCE_TYPES: &[&str] = &[
    "aws_api_gateway_account",
    "aws_api_gateway_api_key",
    "aws_api_gateway_authorizer",
    "aws_api_gateway_base_path_mapping",
    "aws_api_gateway_deployment",
    "aws_api_gateway_domain_name",
    "aws_api_gateway_gateway_response",
    "aws_api_gateway_integration",
    "aws_api_gateway_method",
    "aws_api_gateway_method_settings",
    "aws_api_gateway_resource",
    "aws_api_gateway_rest_api",
    "aws_api_gateway_stage",
    "aws_api_gateway_usage_plan",
    "aws_api_gateway_usage_plan_key",
    "aws_apigatewayv2_api",
    "aws_apigatewayv2_api_mapping",
    "aws_apigatewayv2_authorizer",
    "aws_apigatewayv2_integration",
    "aws_apigatewayv2_route",
    "aws_apigatewayv2_stage",
    "aws_cloudwatch_log_group",
    "aws_iam_role",
    "aws_iam_role_policy",
    "aws_lambda_alias",
    "aws_lambda_function",
    "aws_lambda_function_event_invoke_config",
    "aws_lambda_permission",
    "aws_lambda_provisioned_concurrency_config",
    "aws_ssm_parameter",
];

/// Every string of a JSON value, object keys included.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(m) => {
            for (k, v) in m {
                out.push(k.clone());
                strings(v, out);
            }
        }
        _ => {}
    }
}

/// The generated files of a stage, checked: each parses as JSON; its blocks, resource types and
/// names are the generator's (a service's file holds only that service's resources); the outputs
/// and locals name the services; every string's interpolations are the generator's own. Returns the
/// parsed files by name.
fn checked_files(files: &[(String, String)], services: &[&str]) -> BTreeMap<String, Value> {
    let parsed: BTreeMap<String, Value> = files
        .iter()
        .map(|(name, text)| {
            let v: Value =
                serde_json::from_str(text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}\n{text}"));
            (name.clone(), v)
        })
        .collect();
    let mut defined = BTreeSet::new();
    for (name, file) in &parsed {
        let blocks = file.as_object().expect("a JSON object");
        for key in blocks.keys() {
            assert!(
                ["//", "terraform", "provider", "locals", "output", "resource", "variable"]
                    .contains(&key.as_str()),
                "{name} defines a block `{key}`"
            );
        }
        let service = name.strip_suffix(".tf.json").filter(|s| *s != "main");
        for (ty, resources) in file["resource"].as_object().into_iter().flatten() {
            assert!(RESOURCE_TYPES.contains(&ty.as_str()), "{name} defines a resource type `{ty}`");
            for id in resources.as_object().expect("resources by name").keys() {
                assert!(is_ident(id), "{name}: the resource name {id:?}");
                if let Some(service) = service {
                    assert!(id.starts_with(service), "{name}: {ty}.{id} is not the service's");
                }
                defined.insert(format!("{ty}.{id}"));
            }
        }
    }
    let main = &parsed["main.tf.json"];
    let keys =
        |v: &Value| v.as_object().map(|m| m.keys().cloned().collect::<BTreeSet<_>>()).unwrap_or_default();
    let services: BTreeSet<String> = services.iter().map(|s| s.to_string()).collect();
    assert_eq!(keys(&main["locals"]), ["cws_project", "cws_services", "cws_stage"].map(String::from).into());
    assert_eq!(keys(&main["locals"]["cws_services"]), services);
    assert_eq!(keys(&main["output"]["services"]["value"]), services);
    assert!(keys(&main["output"]).is_subset(&["domains", "services", "stage"].map(String::from).into()));
    assert!(keys(&main["variable"]).is_subset(&BTreeSet::from(["secrets".to_string()])));
    let secrets = main["variable"].get("secrets").is_some();
    for (name, file) in &parsed {
        let mut all = Vec::new();
        strings(file, &mut all);
        for s in &all {
            let found = interpolations(s).unwrap_or_else(|e| panic!("{name}: {e}"));
            for body in found {
                assert!(
                    generators_own(body, &defined, secrets),
                    "{name}: Terraform would evaluate `${{{body}}}` in {s:?}"
                );
            }
        }
    }
    parsed
}

#[test]
fn the_scanner_reads_templates_as_terraform_does() {
    let defined = BTreeSet::from(["aws_iam_role.svc".to_string()]);
    assert_eq!(interpolations("a $${b} %%{c} $$${d}"), Ok(vec![]));
    assert_eq!(interpolations("${aws_iam_role.svc.arn}:*"), Ok(vec!["aws_iam_role.svc.arn"]));
    assert_eq!(interpolations("${\"}\"}x"), Ok(vec!["\"}\""]));
    assert!(interpolations("%{ if true }").is_err());
    assert!(interpolations("a\rb").is_err() && interpolations("a\r\nb").is_ok());
    assert!(interpolations("${x").is_err());
    for own in
        ["aws_iam_role.svc.arn", "terraform.workspace == \"dev\"", "\"a\\r$${b}\"", "var.secrets[\"K\"]"]
    {
        assert!(generators_own(own, &defined, true), "{own}");
    }
    for leak in ["aws_iam_role.other.arn", "file(\"/etc/hostname\")", "\"a${b}\"", "\"a\" + x", "var.secrets"]
    {
        assert!(!generators_own(leak, &defined, true), "{leak}");
    }
    // The escaping function's own output is plain text to the scanner.
    for t in hostile_texts(200, 3) {
        let l = literal(&t);
        for body in interpolations(&l).unwrap_or_else(|e| panic!("{e}")) {
            assert!(plain_quoted(body), "{t:?} → {l:?}");
        }
    }
}

#[test]
fn arbitrary_configurations_interpolate_only_the_generators_own_expressions() {
    let mut runner = support::fuzz::seeded_runner(300, 11);
    let texts = proptest::collection::vec(hostile(), Texts::COUNT).prop_map(Texts::from);
    let case = (texts, any::<u32>());
    let first = Texts::from(hostile_texts(Texts::COUNT, 11));
    let (project, _) = hostile_project(&first, Options::ALL, &hostile_texts(20, 13));
    let mut p = Project::load(project.path()).expect("the project loads");
    let mut options_seen = [0usize; 16];
    for n in 0..runner.config().cases {
        let (t, bits) = case.new_tree(&mut runner).expect("a case").current();
        let o = Options::from_bits(bits);
        p.set_file_text(Path::new("project.cws.yml"), &config(&t, o));
        for (name, ty, docs, entries) in
            [("svc", "Svc", &t.docs[0], SVC_ENTRIES), ("web", "Web", &t.docs[1], WEB_ENTRIES)]
        {
            p.set_file_text(
                Path::new(&format!("services/{name}/src/main.rs")),
                &source(name, ty, docs, entries),
            );
        }
        for (i, seen) in options_seen.iter_mut().enumerate() {
            *seen += usize::from(bits & (1 << i) != 0);
        }
        let stage = [&t.stage, "dev", "prod"][n as usize % 3];
        let (d, problems) = artifacts::stage_deployment(&p, stage, &Default::default());
        assert!(problems.is_empty(), "{problems:?}");
        let files = artifacts::terraform::generate(&d);
        let parsed =
            std::panic::catch_unwind(|| checked_files(&files, &["svc", "web"])).unwrap_or_else(|e| {
                panic!(
                    "case {n} ({o:?}), config:\n{}\n{}",
                    config(&t, o),
                    e.downcast_ref::<String>().cloned().unwrap_or_default()
                )
            });
        if o.misplaced {
            // Text where a number or a word goes configures nothing: no provisioned concurrency, no
            // quota or limits, an HTTP API only as `api: http`; an entry's own limits remain.
            let svc = &parsed["svc.tf.json"]["resource"];
            assert!(["svc.tf.json", "web.tf.json"].iter().all(|f| {
                let r = &parsed[*f]["resource"];
                r["aws_lambda_provisioned_concurrency_config"].is_null()
                    && r["aws_apigatewayv2_api"].is_null()
            }));
            let plan = &svc["aws_api_gateway_usage_plan"]["svc"];
            assert!(plan["quota_settings"].is_null() && plan["throttle_settings"].is_null(), "{plan}");
            let settings: Vec<&Value> = svc["aws_api_gateway_method_settings"]
                .as_object()
                .into_iter()
                .flat_map(|m| m.values())
                .collect();
            assert!(settings.iter().all(|s| s["method_path"] == "health/GET"), "{settings:?}");
        }
    }
    assert!(options_seen.iter().all(|n| *n > 0), "every option was set in some case: {options_seen:?}");
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// The test file: the AWS provider mocked, one plan, assertions against the expected values (read
/// from JSON files, so the test writes no string of the project into HCL). `domain` is the
/// Terraform name of the domain's resource, `throttled` those of the REST API's method settings and
/// `routes` those of the HTTP API's routes (identifiers, checked).
fn test_file(domain: &str, throttled: &[String], routes: &[String]) -> String {
    let expect = |file: &str| format!("jsondecode(file(\"expected/{file}.json\"))");
    let mut asserts: Vec<(String, String)> = Vec::new();
    for svc in ["svc", "web"] {
        let vars = format!("aws_lambda_function.{svc}.environment[0].variables");
        let want = format!("tomap({})", expect(&format!("env_{svc}")));
        asserts.push((
            format!("tomap({{ for k, v in {vars} : k => v if k != \"CWS_SECRET_PARAMETERS\" }}) == {want}"),
            format!("environment of {svc} differs at: ${{jsonencode({{ for k, v in {want} : k => [v, lookup({vars}, k, null)] if lookup({vars}, k, null) != v }})}}"),
        ));
        asserts.push((
            format!("startswith({vars}[\"CWS_SECRET_PARAMETERS\"], \"S_\")"),
            format!("secret parameters of {svc}: ${{{vars}[\"CWS_SECRET_PARAMETERS\"]}}"),
        ));
        asserts.push((
            format!("aws_lambda_function.{svc}.tags == tomap({})", expect("tags")),
            format!("tags of {svc}: ${{jsonencode(aws_lambda_function.{svc}.tags)}}"),
        ));
    }
    let domain_resource = format!("aws_api_gateway_domain_name.{domain}");
    let checks: [(&str, &str); 20] = [
        ("aws_api_gateway_rest_api.svc.description", "description_svc"),
        ("aws_apigatewayv2_api.web.description", "description_web"),
        ("toset(aws_api_gateway_rest_api.svc.binary_media_types)", "binary"),
        ("toset(aws_apigatewayv2_api.web.cors_configuration[0].allow_origins)", "origins"),
        ("toset(aws_apigatewayv2_api.web.cors_configuration[0].allow_headers)", "headers"),
        (
            "aws_api_gateway_gateway_response.svc__default_4xx.response_parameters[\"gatewayresponse.header.Access-Control-Allow-Origin\"]",
            "origin_svc",
        ),
        ("DOMAIN.domain_name", "domain"),
        ("DOMAIN.regional_certificate_arn", "certificate"),
        ("DOMAIN.tags", "tags"),
        ("aws_api_gateway_base_path_mapping.svc.base_path", "base_path_svc"),
        ("aws_apigatewayv2_api_mapping.web.api_mapping_key", "base_path_web"),
        ("output.services[\"svc\"].custom_url", "custom_url_svc"),
        ("output.services[\"web\"].custom_url", "custom_url_web"),
        ("keys(output.domains)", "domains"),
        ("aws_api_gateway_stage.svc.access_log_settings[0].format", "format_svc"),
        ("aws_apigatewayv2_stage.web.access_log_settings[0].format", "format_web"),
        ("toset([for s in aws_apigatewayv2_stage.web.route_settings : s.route_key])", "route_settings"),
        ("aws_lambda_function_event_invoke_config.svc.destination_config[0].on_failure[0].destination", "on_failure"),
        ("aws_lambda_provisioned_concurrency_config.web.provisioned_concurrent_executions", "provisioned"),
        ("aws_api_gateway_usage_plan.svc.quota_settings[0].period", "period"),
    ];
    for (planned, file) in checks {
        let planned = planned.replace("DOMAIN", &domain_resource);
        let want = if planned.starts_with("toset(") || planned.starts_with("keys(") {
            format!("toset({})", expect(file))
        } else if planned.ends_with(".tags") {
            format!("tomap({})", expect(file))
        } else {
            expect(file)
        };
        let lhs = if planned.starts_with("keys(") { format!("toset({planned})") } else { planned.clone() };
        asserts.push((format!("{lhs} == {want}"), format!("{file}: ${{jsonencode({planned})}}")));
    }
    for name in throttled {
        asserts.push((
            format!(
                "aws_api_gateway_method_settings.{name}.method_path == {}[\"{name}\"]",
                expect("method_paths")
            ),
            format!("method path of {name}: ${{aws_api_gateway_method_settings.{name}.method_path}}"),
        ));
    }
    for name in routes {
        asserts.push((
            format!("aws_apigatewayv2_route.{name}.route_key == {}[\"{name}\"]", expect("route_keys")),
            format!("route key of {name}: ${{aws_apigatewayv2_route.{name}.route_key}}"),
        ));
    }
    let body: String = asserts
        .iter()
        .map(|(condition, message)| {
            format!("  assert {{\n    condition     = {condition}\n    error_message = \"{message}\"\n  }}\n")
        })
        .collect();
    format!("mock_provider \"aws\" {{}}\n\nrun \"plan\" {{\n  command = plan\n\n{body}}}\n")
}

/// The names of the resources of type `ty` in a generated file.
fn names(file: &Value, ty: &str) -> Vec<String> {
    file["resource"][ty].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default()
}

#[test]
fn hostile_text_validates_and_is_planned_as_written() {
    let t = Texts::from(hostile_texts(Texts::COUNT, 7));
    let (project, vars) = hostile_project(&t, Options::ALL, &hostile_texts(40, 8));
    let p = Project::load(project.path()).expect("the project loads");
    let tmp = tempfile::tempdir().unwrap();
    let rc = cli_config(tmp.path());
    for (stage, vars) in &vars {
        let (d, problems) = artifacts::stage_deployment(&p, stage, &Default::default());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(d.services.len(), 2, "both services are deployed");
        let dir = tmp.path().join(stage);
        artifacts::write_terraform(&dir, &d).unwrap();
        let written: Vec<(String, String)> = ["main", "svc", "web"]
            .iter()
            .map(|n| format!("{n}.tf.json"))
            .map(|n| (n.clone(), std::fs::read_to_string(dir.join(&n)).unwrap()))
            .collect();
        let files = checked_files(&written, &["svc", "web"]);
        let api = |name: &str| {
            let s = d.services.iter().find(|s| s.service.name == name).expect("deployed");
            ServiceApi::of(&d, s)
        };
        let (svc_api, web_api) = (api("svc"), api("web"));
        // The generated JSON: every text doubled its template introducers, and only those.
        let (svc, web) = (&files["svc.tf.json"], &files["web.tf.json"]);
        let env = &svc["resource"]["aws_lambda_function"]["svc"]["environment"]["variables"];
        for (k, v) in vars {
            assert_eq!(svc_api.environment.get(k), Some(v), "{k} as written in the env file");
            assert_eq!(env[k], literal(v), "{k}");
        }
        assert_eq!(env["GREETING"], "Hello $${file(\"/etc/hostname\")}");
        let domain = names(&files["main.tf.json"], "aws_api_gateway_domain_name");
        assert_eq!(domain.len(), 1, "one domain name");
        let domain_resource = &files["main.tf.json"]["resource"]["aws_api_gateway_domain_name"][&domain[0]];
        assert_eq!(domain_resource["domain_name"], literal(&t.domain));
        assert_eq!(domain_resource["regional_certificate_arn"], literal(&t.certificate));
        let mapping = &svc["resource"]["aws_api_gateway_base_path_mapping"]["svc"];
        assert_eq!(mapping["base_path"], literal(&t.base_paths[0]));
        let throttled = names(svc, "aws_api_gateway_method_settings");
        let method_paths: BTreeMap<&String, &Value> = throttled
            .iter()
            .map(|n| (n, &svc["resource"]["aws_api_gateway_method_settings"][n]["method_path"]))
            .collect();
        assert_eq!(
            method_paths.values().map(|v| v.as_str().unwrap_or_default()).collect::<BTreeSet<_>>(),
            BTreeSet::from(["*/*", "health/GET", "item/{id}/GET"]),
            "the stage's limits and each entry's own (the hostile route names none)"
        );
        let routes = names(web, "aws_apigatewayv2_route");
        let route_keys: BTreeMap<&String, &Value> =
            routes.iter().map(|n| (n, &web["resource"]["aws_apigatewayv2_route"][n]["route_key"])).collect();
        let url = |i: usize| format!("https://{}/{}", t.domain, t.base_paths[i]);
        let files_of_expected = [
            ("env_svc", json!(svc_api.environment)),
            ("env_web", json!(web_api.environment)),
            ("tags", json!(t.tags)),
            ("description_svc", json!(t.docs[0])),
            ("description_web", json!(t.docs[1])),
            ("binary", json!(t.binary)),
            ("origins", json!(t.origins)),
            ("headers", json!(t.headers)),
            ("origin_svc", json!(format!("'{}'", t.origin))),
            ("domain", json!(t.domain)),
            ("certificate", json!(t.certificate)),
            ("base_path_svc", json!(t.base_paths[0])),
            ("base_path_web", json!(t.base_paths[1])),
            ("custom_url_svc", json!(url(0))),
            ("custom_url_web", json!(url(1))),
            ("domains", json!([t.domain])),
            ("format_svc", json!(svc_api.access_log.as_ref().expect("access logs").format)),
            ("format_web", json!(web_api.access_log.as_ref().expect("access logs").format)),
            ("route_settings", json!(["GET /page/{id}", "POST /form"])),
            ("on_failure", json!(t.on_failure)),
            ("provisioned", json!(2)),
            ("period", json!("WEEK")),
            ("method_paths", json!(method_paths)),
            ("route_keys", json!(route_keys)),
        ];
        std::fs::create_dir_all(dir.join("expected")).unwrap();
        for (name, value) in files_of_expected {
            std::fs::write(dir.join("expected").join(format!("{name}.json")), value.to_string()).unwrap();
        }
        std::fs::create_dir_all(dir.join("tests")).unwrap();
        std::fs::write(dir.join("tests/fuzz.tftest.hcl"), test_file(&domain[0], &throttled, &routes))
            .unwrap();
        let secrets = p.secret_values(stage);
        for args in [
            &["init", "-backend=false", "-input=false", "-no-color"][..],
            &["validate", "-no-color"],
            &["test", "-no-color"],
        ] {
            let o = Command::new(terraform())
                .args(args)
                .current_dir(&dir)
                .env("TF_CLI_CONFIG_FILE", &rc)
                .env("TF_IN_AUTOMATION", "1")
                .env("TF_WORKSPACE", stage)
                .env("TF_VAR_secrets", &secrets)
                .output()
                .unwrap();
            assert!(o.status.success(), "terraform {args:?} in stage {stage}:\n{}", text(&o));
        }
        // The policy's statements, as Terraform will read them (a JSON text: the texts only doubled).
        let policy = svc["resource"]["aws_iam_role_policy"]["svc"]["policy"].as_str().unwrap();
        let doc: Value = serde_json::from_str(policy).unwrap();
        let statement = |sid: &str| {
            doc["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["Sid"] == sid)
                .unwrap_or_else(|| panic!("{sid}"))
                .clone()
        };
        let part = artifacts::terraform::literal_part;
        let results = format!("arn:aws:s3:::{}/{}*", t.bucket, t.prefix);
        assert_eq!(statement("AsyncResults")["Resource"], part(&results));
        let extra = statement("Config1");
        // The effect is a word of the schema's (`Allow`, `Deny`): other text is not read as one.
        let effect = &d.services[0].function.iam[0].effect;
        assert!(["Allow", "Deny"].contains(&effect.as_str()), "{effect:?}");
        assert_eq!(extra["Effect"], part(effect));
        assert_eq!(extra["Action"], json!([part(&t.iam[1])]));
        assert_eq!(extra["Resource"], json!([part(&t.iam[2])]));
        assert_eq!(statement("OnFailure")["Resource"], part(&t.on_failure));
    }
}
