//! Arbitrary and mutated inputs to the config readers: they must not panic, hang or blow up.

use std::path::Path;
use std::time::{Duration, Instant};

use coworks_core::config::{read_env, read_project_config};
use coworks_core::diagnostics::DiagnosticCode;
use proptest::prelude::*;

const VALID: &str = "\
version: 3
name: eshop # é 😀 中文
services:
  billing:
    path: services/billing
    commands: { deploy: { memory: 512, tags: { team: 'a' } } }
defaults: &d { memory: 256, timeout: 30 }
commands:
  run: { port: 8000, host: 127.0.0.1 }
  deploy:
    <<: *d
    region: eu-west-1
    layers: [arn:a, \"arn:b\"]
    vpc: { subnet_ids: [s1], security_group_ids: [g1] }
workspaces:
  dev:
    env_files: [.env.dev]
    commands: { run: { port: 8001 } }
  prod:
    production: true
    commands: { deploy: { memory: 1024 } }
";

const ENV: &str = "# c\nA=1\nexport B='x y'\nC=\"a\\nb\" # c\nD=é😀 # x\n";

fn check_spans(text: &str, spans: impl Iterator<Item = coworks_core::text::Span>) {
    for s in spans {
        assert!(s.start.offset <= s.end.offset && s.end.offset <= text.len(), "{s:?}");
        assert!(text.is_char_boundary(s.start.offset) && text.is_char_boundary(s.end.offset));
    }
}

/// A mutation of a valid text: delete, duplicate or insert at a char boundary.
fn mutate(base: &str, at: usize, len: usize, insert: &str, kind: u8) -> String {
    let mut at = at % (base.len() + 1);
    while !base.is_char_boundary(at) {
        at -= 1;
    }
    let mut end = (at + len).min(base.len());
    while !base.is_char_boundary(end) {
        end -= 1;
    }
    match kind % 3 {
        0 => format!("{}{}", &base[..at], &base[end..]),
        1 => format!("{}{}{}", &base[..end], &base[at..end], &base[end..]),
        _ => format!("{}{}{}", &base[..at], insert, &base[at..]),
    }
}

fn yamlish() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just(":".to_string()),
            Just(" ".to_string()),
            Just("\n".to_string()),
            Just("- ".to_string()),
            Just("&a ".to_string()),
            Just("*a".to_string()),
            Just("<<: ".to_string()),
            Just("{".to_string()),
            Just("}".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just("'".to_string()),
            Just("\"".to_string()),
            Just("|\n".to_string()),
            Just("#".to_string()),
            Just("é😀".to_string()),
            "[a-z_]{1,8}",
            "[0-9]{1,6}",
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let (c, d) = read_project_config(&text, Path::new("project.cws.yml"));
        check_spans(&text, d.iter().map(|d| d.span));
        let _ = c.stages();
        let (e, d) = read_env(&text, Path::new(".env"));
        check_spans(&text, d.iter().map(|d| d.span));
        check_spans(&text, e.vars.iter().flat_map(|v| [v.key_span, v.value_span]));
    }

    #[test]
    fn yaml_like_text_never_panics(text in yamlish()) {
        let (c, d) = read_project_config(&text, Path::new("project.cws.yml"));
        check_spans(&text, d.iter().map(|d| d.span));
        for off in (0..=text.len()).step_by(7) {
            let _ = c.key_at(off);
        }
    }

    #[test]
    fn mutated_valid_config_never_panics(at in 0usize..2000, len in 0usize..40, insert in yamlish(), kind in 0u8..3) {
        let text = mutate(VALID, at, len, &insert, kind);
        let (c, d) = read_project_config(&text, Path::new("project.cws.yml"));
        check_spans(&text, d.iter().map(|d| d.span));
        for stage in c.stages() {
            let _ = c.effective_options("deploy", &stage, Some("billing"), &Default::default());
            let _ = c.required_env_files(&stage);
        }
        for off in (0..=text.len()).step_by(5) {
            if let Some((path, _)) = c.key_at(off) {
                let _ = coworks_core::config::describe_key(&path);
            }
        }
    }

    #[test]
    fn mutated_env_never_panics(at in 0usize..200, len in 0usize..10, insert in "[=#'\"\\\\ \nA-Za-z0-9é]{0,12}", kind in 0u8..3) {
        let text = mutate(ENV, at, len, &insert, kind);
        let (e, d) = read_env(&text, Path::new(".env"));
        check_spans(&text, d.iter().map(|d| d.span));
        check_spans(&text, e.vars.iter().flat_map(|v| [v.key_span, v.value_span]));
    }
}

#[test]
fn the_valid_config_is_clean() {
    let (c, d) = read_project_config(VALID, Path::new("project.cws.yml"));
    let unexpected: Vec<_> = d.iter().filter(|d| !d.message.contains("`defaults`")).collect();
    assert!(unexpected.is_empty(), "{unexpected:#?}");
    let eff = c.effective_options("deploy", "dev", None, &Default::default());
    assert_eq!(eff["memory"].value.to_string(), "256");
    assert_eq!(eff["region"].value.to_string(), "eu-west-1");
}

fn assert_bomb_defused(text: &str) {
    let t = Instant::now();
    let (_, d) = read_project_config(text, Path::new("project.cws.yml"));
    assert!(t.elapsed() < Duration::from_secs(3), "took {:?}", t.elapsed());
    assert!(d.iter().any(|d| d.code == DiagnosticCode::ConfigTooComplex), "{d:#?}");
}

#[test]
fn billion_laughs_flow() {
    let mut text = String::from("version: 3\nlol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        text.push_str(&format!("lol{i}: &l{i} [{}]\n", vec![format!("*l{}", i - 1); 9].join(", ")));
    }
    assert_bomb_defused(&text);
}

#[test]
fn billion_laughs_block_mappings() {
    let mut text = String::from("version: 3\na0: &a0\n  k: v\n");
    for i in 1..30 {
        text.push_str(&format!("a{i}: &a{i}\n"));
        for j in 0..4 {
            text.push_str(&format!("  k{j}: *a{}\n", i - 1));
        }
    }
    assert_bomb_defused(&text);
}

#[test]
fn deep_and_wide_inputs() {
    assert_bomb_defused(&format!("version: 3\na: {}\n", "[".repeat(100_000)));
    assert_bomb_defused(&format!("version: 3\na: {}{}\n", "{a: ".repeat(1000), "}".repeat(1000)));
    assert_bomb_defused(&"- x\n".repeat(20_000));
    assert_bomb_defused(&"x".repeat((1 << 20) + 1));
    // Aliases nesting deeper together than each alone.
    let mut text = String::from("version: 3\na0: &a0 [[[[[[[[[[1]]]]]]]]]]\n");
    for i in 1..10 {
        text.push_str(&format!("a{i}: &a{i} [[[[[[[[[[*a{}]]]]]]]]]]\n", i - 1));
    }
    assert_bomb_defused(&text);
}

#[test]
fn deep_block_nesting() {
    let mut text = String::from("version: 3\n");
    for i in 0..3000 {
        text.push_str(&" ".repeat(i));
        text.push_str("k:\n");
    }
    assert_bomb_defused(&text);
    let seq = format!("version: 3\na:\n{}x\n", "- ".repeat(50_000));
    assert_bomb_defused(&seq);
}

#[test]
fn large_valid_file_is_quick() {
    let mut text = String::from("version: 3\nservices:\n");
    for i in 0..2000 {
        text.push_str(&format!("  svc{i}: {{ path: services/s{i} }}\n"));
    }
    let t = Instant::now();
    let (c, _) = read_project_config(&text, Path::new("project.cws.yml"));
    assert!(t.elapsed() < Duration::from_secs(3));
    assert!(!c.configured_services().is_empty());
}
