//! Applying fixes to the texts the project holds: the safe fixes of a check (`cws check --fix`),
//! or the edits of one quick fix. Faces write the resulting texts; nothing here touches the disk.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::diagnostics::{Diagnostic, Edit, Fix};
use crate::project::Project;

/// A fix that was applied (or left out), and the diagnostic it answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedFix {
    /// The diagnostic.
    pub diagnostic: Diagnostic,
    /// What the fix does.
    pub title: String,
}

/// The result of applying fixes: each changed file's new text, and which fixes went in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FixOutcome {
    /// The new text of every file changed, by project-relative path.
    pub texts: BTreeMap<PathBuf, String>,
    /// Fixes applied, in the order of the diagnostics.
    pub applied: Vec<AppliedFix>,
    /// Safe fixes left out because they overlap one applied before (applying again takes them).
    pub deferred: Vec<AppliedFix>,
}

/// Whether two edits of one file touch the same bytes (two insertions at one place count).
fn overlap(a: &Edit, b: &Edit) -> bool {
    let (a, b) = (a.range, b.range);
    (a.start < b.end && b.start < a.end) || (a.start == b.start && (a.start == a.end || b.start == b.end))
}

/// `text` with `edits` applied (they must not overlap; applied from the end, so ranges stay valid).
/// Ranges past the end or inside a character are clamped back to a character boundary.
pub fn apply_edits(text: &str, edits: &[&Edit]) -> String {
    let mut sorted: Vec<&&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| std::cmp::Reverse((e.range.start, e.range.end)));
    let mut out = text.to_string();
    for e in sorted {
        let clamp = |mut i: usize| {
            i = i.min(out.len());
            while !out.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let (start, end) = (clamp(e.range.start), clamp(e.range.end.max(e.range.start)));
        out.replace_range(start..end, &e.new_text);
    }
    out
}

impl Project {
    /// The safe fixes of the diagnostics of `stage` (every stage when `None`), applied to the texts
    /// the project holds. A fix overlapping one taken before is deferred; an edit of a file the
    /// project does not hold drops its fix.
    pub fn apply_safe_fixes(&self, stage: Option<&str>) -> FixOutcome {
        let diagnostics = self.diagnostics(stage);
        let chosen = diagnostics.iter().flat_map(|d| d.fixes.iter().filter(|f| f.safe).map(move |f| (d, f)));
        self.apply_fixes(chosen)
    }

    /// Applies `fixes` (each with the diagnostic it answers) in order, as [`Project::apply_safe_fixes`].
    pub fn apply_fixes<'a>(&self, fixes: impl IntoIterator<Item = (&'a Diagnostic, &'a Fix)>) -> FixOutcome {
        let mut taken: BTreeMap<PathBuf, Vec<&Edit>> = BTreeMap::new();
        let mut outcome = FixOutcome::default();
        for (d, fix) in fixes {
            let record = AppliedFix { diagnostic: d.clone(), title: fix.title.clone() };
            if fix.edits.is_empty() || fix.edits.iter().any(|e| self.source(&e.file).is_none()) {
                continue;
            }
            let fresh: Vec<&Edit> =
                fix.edits.iter().filter(|e| !taken.get(&e.file).is_some_and(|t| t.contains(e))).collect();
            if fresh.is_empty() {
                continue; // The same edit answers another diagnostic too.
            }
            let clash =
                fresh.iter().any(|e| taken.get(&e.file).is_some_and(|t| t.iter().any(|o| overlap(o, e))));
            if clash {
                outcome.deferred.push(record);
                continue;
            }
            for e in fresh {
                taken.entry(e.file.clone()).or_default().push(e);
            }
            outcome.applied.push(record);
        }
        for (file, edits) in taken {
            if let Some(source) = self.source(&file) {
                outcome.texts.insert(file, apply_edits(source.text(), &edits));
            }
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::ByteRange;

    fn edit(start: usize, end: usize, text: &str) -> Edit {
        Edit::new("f", ByteRange::new(start, end), text)
    }

    #[test]
    fn edits_apply_from_the_end_and_overlaps_are_seen() {
        let e = [edit(0, 1, "X"), edit(2, 2, "++"), edit(4, 6, "")];
        assert_eq!(apply_edits("abcdefg", &e.iter().collect::<Vec<_>>()), "Xb++cdg");
        assert_eq!(apply_edits("é", &[&edit(1, 9, "x")]), "x");
        assert!(overlap(&edit(1, 3, ""), &edit(2, 4, "")));
        assert!(overlap(&edit(2, 2, "a"), &edit(2, 2, "b")));
        assert!(overlap(&edit(2, 2, "a"), &edit(2, 4, "b")));
        assert!(!overlap(&edit(1, 2, ""), &edit(2, 3, "")));
        assert!(!overlap(&edit(1, 1, "a"), &edit(2, 2, "b")));
    }
}
