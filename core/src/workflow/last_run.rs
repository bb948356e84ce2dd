//! The last local run of a workflow (`cws workflow run`), kept at
//! [`last_run_path`](crate::layout::last_run_path) so that the preview colours each task by the
//! state it ended in ([`annotate`]): the language server and `cws workflow preview` read it with
//! the preview; VS Code redraws the preview when the file changes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::preview::WorkflowPreview;
use super::run::TaskState;
use crate::layout::last_run_path;

/// A workflow's last local run: its stage, id, state, and each task's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastRun {
    /// The stage it ran in.
    pub stage: String,
    /// Its id (`local__<milliseconds>`).
    pub run_id: String,
    /// How the run ended.
    pub state: TaskState,
    /// Each task's state.
    pub tasks: BTreeMap<String, TaskState>,
}

impl LastRun {
    /// Writes it for the workflow file `rel` of the project at `root`; the path written.
    pub fn save(&self, root: &Path, rel: &Path) -> std::io::Result<PathBuf> {
        let path = root.join(last_run_path(rel));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(&path, text + "\n")?;
        Ok(path)
    }

    /// The last run of the workflow file `rel` of the project at `root`; `None` when there was
    /// none or the file is not a run record (a stale or foreign file is ignored, never an error).
    pub fn read(root: &Path, rel: &Path) -> Option<LastRun> {
        let text = std::fs::read_to_string(root.join(last_run_path(rel))).ok()?;
        serde_json::from_str(&text).ok()
    }
}

/// The fill and stroke a task in `state` is drawn with (Mermaid `classDef`; VS Code's preview uses
/// its theme's colours for the same classes).
pub fn state_style(state: TaskState) -> &'static str {
    match state {
        TaskState::Success => "fill:#d4f7d4,stroke:#2a8a2a",
        TaskState::Failed => "fill:#fbd5d5,stroke:#c62828",
        TaskState::UpstreamFailed => "fill:#fde7c8,stroke:#d9822b",
        TaskState::Skipped => "fill:#eeeeee,stroke:#9e9e9e",
    }
}

/// `preview` with the states of `run`: [`WorkflowPreview::last_run`] set to the run, only with the
/// tasks the workflow still has, and each task's Mermaid class `state_<state>`.
pub fn annotate(preview: &mut WorkflowPreview, mut run: LastRun) {
    run.tasks.retain(|id, _| preview.graph.nodes.iter().any(|n| &n.id == id));
    let mut used: Vec<TaskState> = Vec::new();
    for (id, state) in &run.tasks {
        preview.mermaid.push_str(&format!("    class {id} state_{}\n", state.as_str()));
        if !used.contains(state) {
            used.push(*state);
        }
    }
    for state in used {
        preview.mermaid.push_str(&format!("    classDef state_{} {}\n", state.as_str(), state_style(state)));
    }
    preview.last_run = Some(run);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::preview::preview;
    use crate::workflow::WorkflowFile;

    const WF: &str =
        "id: w\ntasks:\n  a: { service: s, path: /a }\n  b: { service: s, path: /b, after: [a] }\n";

    #[test]
    fn a_saved_run_colours_the_tasks_that_still_exist() {
        let dir = tempfile::tempdir().unwrap();
        let rel = Path::new("workflows/w.cws.yml");
        let run = LastRun {
            stage: "dev".into(),
            run_id: "local__1".into(),
            state: TaskState::Failed,
            tasks: [("a", TaskState::Failed), ("b", TaskState::UpstreamFailed), ("gone", TaskState::Success)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        };
        let path = run.save(dir.path(), rel).unwrap();
        assert!(path.ends_with("target/.cws/workflow-runs/w.json"), "{}", path.display());
        let read = LastRun::read(dir.path(), rel).expect("read back");
        assert_eq!(read, run);

        let wf = WorkflowFile::read(rel, WF).workflow;
        let mut p = preview(&wf, &[]);
        annotate(&mut p, read);
        let last = p.last_run.as_ref().unwrap();
        assert_eq!(last.tasks.keys().collect::<Vec<_>>(), ["a", "b"], "a task no longer written is dropped");
        assert!(
            p.mermaid.contains("    class a state_failed\n    class b state_upstream_failed\n"),
            "{}",
            p.mermaid
        );
        assert!(p.mermaid.contains("classDef state_failed fill:#fbd5d5"), "{}", p.mermaid);
        assert!(!p.mermaid.contains("state_success"), "{}", p.mermaid);
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["last_run"]["tasks"]["a"], "failed");

        std::fs::write(dir.path().join(crate::layout::last_run_path(rel)), "not json").unwrap();
        assert_eq!(LastRun::read(dir.path(), rel), None, "a damaged record is ignored");
        assert_eq!(LastRun::read(dir.path(), Path::new("workflows/other.cws.yml")), None);
    }
}
