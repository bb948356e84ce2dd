//! The published JSON schema and docs/workflows.md name exactly the keys the parser reads.

use std::collections::BTreeSet;

use coworks_core::workflow::parse::{ARG_KEYS, TASK_KEYS, TOP_KEYS};

fn schema() -> serde_json::Value {
    serde_json::from_str(include_str!("../../schemas/workflow.schema.json")).expect("the schema is JSON")
}

fn keys(v: &serde_json::Value) -> BTreeSet<String> {
    v["properties"].as_object().expect("properties").keys().cloned().collect()
}

fn set(keys: &[&str]) -> BTreeSet<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

#[test]
fn the_schema_has_the_parsers_keys() {
    let s = schema();
    assert_eq!(keys(&s), set(TOP_KEYS));
    assert_eq!(keys(&s["$defs"]["task"]), set(TASK_KEYS));
    assert_eq!(keys(&s["$defs"]["args"]), set(ARG_KEYS));
}

#[test]
fn the_docs_name_every_key() {
    let doc = include_str!("../../docs/workflows.md");
    for k in TOP_KEYS.iter().chain(TASK_KEYS).chain(ARG_KEYS) {
        assert!(doc.contains(&format!("`{k}`")), "docs/workflows.md does not document `{k}`");
    }
}
