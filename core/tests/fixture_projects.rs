//! Tests as data: every directory under `tests/fixtures/projects/` is a small project, and its
//! `expected.txt` is what `cws check` prints for it (see `support/expected.rs` for the format).
//!
//! Add a case by adding a directory; write or rewrite the expectations with
//! `UPDATE_EXPECT=1 cargo test -p coworks-core --test fixture_projects`, then read the diff.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use coworks_core::{DiagnosticCode, Project};
use support::expected;

/// Codes no fixture project can produce, and why.
const NOT_FROM_FIXTURES: &[(DiagnosticCode, &str)] = &[
    (DiagnosticCode::DirUnreadable, "git stores no directory permissions (and root reads any directory)"),
    (DiagnosticCode::InternalError, "only a bug of CoWorks makes the analysis of a file fail"),
];

fn update_requested() -> bool {
    std::env::var("UPDATE_EXPECT").is_ok_and(|v| v == "1")
}

/// Checks one fixture against its `expected.txt` (rewriting it when asked); returns the problem.
fn check_fixture(dir: &Path, codes: &mut BTreeSet<DiagnosticCode>) -> Result<(), String> {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("?");
    let project = Project::load(dir).map_err(|e| format!("{name}: {e}"))?;
    let file = dir.join(expected::FILE);
    let old = std::fs::read_to_string(&file).unwrap_or_default();
    let stages = expected::stages(&old).map_err(|e| format!("{name}/{}: {e}", expected::FILE))?;
    let known = project.stages();
    for stage in stages.iter().flatten() {
        if !known.contains(stage) {
            return Err(format!("{name}: `{stage}` is not a stage of the project (stages: {known:?})"));
        }
    }
    for stage in &stages {
        codes.extend(project.diagnostics(stage.as_deref()).iter().map(|d| d.code));
    }
    let new = expected::render(&project, &stages);
    if new == old {
        return Ok(());
    }
    if update_requested() {
        std::fs::write(&file, &new).map_err(|e| format!("{}: {e}", file.display()))?;
        return Ok(());
    }
    let diff = similar::TextDiff::from_lines(&old, &new);
    Err(format!("{name}:\n{}", diff.unified_diff().header("expected.txt", "actual")))
}

#[test]
fn every_fixture_project_prints_its_expected_diagnostics() {
    let mut codes = BTreeSet::new();
    let failures: Vec<String> =
        support::fixture_projects().iter().filter_map(|dir| check_fixture(dir, &mut codes).err()).collect();
    assert!(
        failures.is_empty(),
        "{}\n\n{} fixture(s) differ; if the change is meant, rewrite the expectations with \
         `UPDATE_EXPECT=1 cargo test -p coworks-core --test fixture_projects` and review the diff",
        failures.join("\n"),
        failures.len()
    );
    let missing: Vec<&str> = DiagnosticCode::ALL
        .iter()
        .filter(|c| !codes.contains(c) && !NOT_FROM_FIXTURES.iter().any(|(n, _)| n == *c))
        .map(|c| c.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "no fixture project shows {missing:?}: add one under tests/fixtures/projects/"
    );
    for (code, why) in NOT_FROM_FIXTURES {
        assert!(!codes.contains(code), "{code} has a fixture now ({why}?): remove it from NOT_FROM_FIXTURES");
    }
}
