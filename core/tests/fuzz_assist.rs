//! Arbitrary and mutated texts being typed: completion at every position of a Rust file, of
//! `project.cws.yml` and of a workflow never panics, and every item's ranges stay inside the text on
//! char boundaries, holding the position; the other assists (references, rename, hints,
//! refactorings, task info) on the same texts never panic either, and the fixes of every diagnostic
//! apply.

mod support;

use std::path::Path;

use coworks_core::assist::apply_edits;
use coworks_core::assist::completion::complete;
use coworks_core::Project;
use proptest::prelude::*;

fn base() -> &'static Project {
    static P: std::sync::OnceLock<Project> = std::sync::OnceLock::new();
    P.get_or_init(|| Project::load(support::example()).unwrap())
}

const FILES: [&str; 3] = ["services/billing/src/main.rs", "project.cws.yml", "workflows/invoicing.cws.yml"];

fn original(rel: &str) -> String {
    base().source(Path::new(rel)).unwrap().text().to_string()
}

fn exercise(rel: &str, text: &str) {
    let file = Path::new(rel);
    let mut offsets: Vec<usize> = (0..=text.len()).step_by(5).collect();
    offsets.push(text.len());
    for &offset in &offsets {
        for item in complete(base(), file, text, offset) {
            let mut at = offset.min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let r = item.range;
            assert!(r.start <= at && at <= r.end && r.end <= text.len(), "{item:?} at {offset}");
            assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end), "{item:?}");
            for (r, _) in &item.additional {
                assert!(r.end <= text.len() && text.is_char_boundary(r.start), "{item:?}");
            }
        }
    }
    let mut p = base().clone();
    p.set_file_text(file, text);
    for &offset in offsets.iter().step_by(3) {
        let _ = p.references(file, offset, true);
        let _ = p.definition(file, offset);
        let _ = p.prepare_rename(file, offset);
        let _ = p.rename(file, offset, "renamed");
        let _ = p.task_info(file, offset);
        let _ = p.refactorings(file, offset, offset);
    }
    let _ = p.inlay_hints(file, 0, text.len());
    for d in p.diagnostics(None) {
        for fix in d.fixes.iter() {
            for e in &fix.edits {
                let source =
                    p.source(&e.file).unwrap_or_else(|| panic!("{fix:?} edits a file the project lacks"));
                assert!(e.range.start <= e.range.end && e.range.end <= source.text().len(), "{fix:?}");
                let _ = apply_edits(source.text(), &[e]);
            }
        }
    }
}

fn mutate(mut text: String, cuts: Vec<(usize, usize, String)>) -> String {
    for (at, len, insert) in cuts {
        let mut at = at.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let mut end = (at + len).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.replace_range(at..end, &insert);
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn typed_text(file in 0usize..3, text in "([a-z_]{1,8}|[:{}\\[\\](),=\\-'\"#/ \\n]|#\\[entry\\(|\\{\\{ ?(conf|tasks)\\.[a-z.]{0,12}|fn get_|é|😀){0,60}") {
        exercise(FILES[file], &text);
    }

    #[test]
    fn mutated_files(file in 0usize..3, cuts in proptest::collection::vec((0usize..3000, 0usize..30, "[ -~é😀\\n]{0,6}"), 1..5)) {
        let rel = FILES[file];
        exercise(rel, &mutate(original(rel), cuts));
    }
}

#[test]
fn the_files_themselves() {
    for rel in FILES {
        exercise(rel, &original(rel));
    }
}
