//! Arbitrary and mutated workflow files: reading, checking, previewing, going to definitions and
//! generating DAGs never panic, and every span stays inside the text on char boundaries.

use std::path::{Path, PathBuf};

use coworks_core::Project;
use proptest::prelude::*;

const FILE: &str = "workflows/fuzz.cws.yml";

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/eshop")
}

fn base() -> &'static Project {
    static P: std::sync::OnceLock<Project> = std::sync::OnceLock::new();
    P.get_or_init(|| Project::load(example()).unwrap())
}

fn invoicing() -> String {
    std::fs::read_to_string(example().join("workflows/invoicing.cws.yml")).unwrap()
}

fn exercise(text: &str) {
    let mut p = base().clone();
    p.set_file_text(Path::new(FILE), text);
    for stage in [None, Some("dev")] {
        for d in p.diagnostics(stage).iter().filter(|d| d.file == Path::new(FILE)) {
            let s = d.span;
            assert!(s.start.offset <= s.end.offset && s.end.offset <= text.len(), "{d:?}");
            assert!(text.is_char_boundary(s.start.offset) && text.is_char_boundary(s.end.offset), "{d:?}");
        }
    }
    let _ = p.workflow_preview(Path::new(FILE));
    for offset in (0..=text.len()).step_by(7) {
        let _ = p.workflow_definition(Path::new(FILE), offset);
    }
    match coworks_core::artifacts::airflow::dags(&p, "dev") {
        Ok(files) => assert!(files.iter().all(|f| !f.text.is_empty())),
        Err(errors) => assert!(!errors.is_empty()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text(text in "\\PC{0,300}") {
        exercise(&text);
    }

    #[test]
    fn yaml_like_text(text in "([a-z_]{1,8}|[:{}\\[\\],\\-'\" \\n]|\\{\\{ ?(conf|tasks)\\.[a-z.]{0,12} ?\\}\\}|when: |==|<=| and | or | not | in |é|😀){0,80}") {
        exercise(&text);
    }

    #[test]
    fn mutated_example(cuts in proptest::collection::vec((0usize..2000, 0usize..40, "[ -~é\\n]{0,6}"), 1..6)) {
        let mut text = invoicing();
        for (at, len, insert) in cuts {
            let mut at = at.min(text.len());
            while !text.is_char_boundary(at) { at -= 1; }
            let mut end = (at + len).min(text.len());
            while !text.is_char_boundary(end) { end -= 1; }
            text.replace_range(at..end, &insert);
        }
        exercise(&text);
    }
}

#[test]
fn the_example_itself() {
    exercise(&invoicing());
    exercise("tasks:\n  a: { service: billing, path: /x }\nstart_date: 2é25-01-01\n");
    for when in [
        "tasks.a.status in [200",
        "((((",
        "'é",
        "tasks.a.body.x > 'y' or",
        "not not not",
        "1.2.",
        "conf.x == \\\"a\\\"",
    ] {
        exercise(&format!("tasks:\n  a: {{ service: billing, path: /x }}\n  b: {{ service: billing, path: /x, after: [a], when: {when:?} }}\n"));
    }
}
