//! Open documents: their text in a rope, their version, and in-order application of incremental edits.
//!
//! The server may poll several notification handlers at once (tower-lsp's issue #284), so edits are
//! applied by version: an edit whose predecessor has not arrived yet waits in `pending`, and the
//! queue is drained in version order as soon as the gap closes.

use std::collections::BTreeMap;

use ropey::Rope;
use tower_lsp_server::ls_types::{TextDocumentContentChangeEvent, Uri};

use crate::position::offset_of_clamped;

/// How many out-of-order edits may wait for a missing version before they are applied anyway
/// (a client that skips versions must not freeze the document).
const MAX_PENDING: usize = 16;

/// One document open in the editor.
#[derive(Debug, Clone)]
pub struct Document {
    /// The document's URI, as the client sent it.
    pub uri: Uri,
    /// The text.
    pub rope: Rope,
    /// The version of the last applied edit.
    pub version: i32,
    pending: BTreeMap<i32, Vec<TextDocumentContentChangeEvent>>,
}

impl Document {
    /// A document as opened.
    pub fn new(uri: Uri, text: &str, version: i32) -> Self {
        Document { uri, rope: Rope::from_str(text), version, pending: BTreeMap::new() }
    }

    /// Records the edits of `version` and applies every edit that is now in order.
    /// Returns whether the text changed. Edits of a version already applied are ignored.
    pub fn change(&mut self, version: i32, changes: Vec<TextDocumentContentChangeEvent>) -> bool {
        if version <= self.version {
            return false;
        }
        self.pending.insert(version, changes);
        let mut changed = false;
        while let Some(&next) = self.pending.keys().next() {
            let in_order = next == self.version.saturating_add(1);
            if !in_order && self.pending.len() <= MAX_PENDING {
                break;
            }
            let changes = self.pending.remove(&next).unwrap_or_default();
            for change in &changes {
                apply(&mut self.rope, change);
            }
            self.version = next;
            changed = true;
        }
        changed
    }

    /// Whether edits wait for a missing version.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }
}

/// Applies one content change: a range replacement, or the whole text when there is no range.
/// Ranges past the end are clamped to the end; a reversed range is taken in order.
pub fn apply(rope: &mut Rope, change: &TextDocumentContentChangeEvent) {
    let Some(range) = change.range else {
        *rope = Rope::from_str(&change.text);
        return;
    };
    let a = offset_of_clamped(rope, range.start);
    let b = offset_of_clamped(rope, range.end);
    let (start, end) = (rope.byte_to_char(a.min(b)), rope.byte_to_char(a.max(b)));
    rope.remove(start..end);
    rope.insert(start, &change.text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::{Position, Range};

    fn edit(l0: u32, c0: u32, l1: u32, c1: u32, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range { start: Position::new(l0, c0), end: Position::new(l1, c1) }),
            range_length: None,
            text: text.to_string(),
        }
    }

    fn doc(text: &str) -> Document {
        let uri: Uri = "file:///p/src/main.rs".parse().unwrap();
        Document::new(uri, text, 1)
    }

    #[test]
    fn edits_apply_in_utf16_columns() {
        let mut d = doc("// 😀 x\nfn a() {}\n");
        assert!(d.change(2, vec![edit(0, 6, 0, 7, "y"), edit(1, 3, 1, 4, "bb")]));
        assert_eq!(d.rope.to_string(), "// 😀 y\nfn bb() {}\n");
        assert_eq!(d.version, 2);
    }

    #[test]
    fn out_of_order_versions_wait_for_their_predecessor() {
        let mut d = doc("abc");
        assert!(!d.change(3, vec![edit(0, 2, 0, 2, "Z")]));
        assert!(d.has_pending());
        assert_eq!(d.rope.to_string(), "abc");
        assert!(d.change(2, vec![edit(0, 0, 0, 1, "")]));
        assert_eq!(d.rope.to_string(), "bcZ");
        assert_eq!(d.version, 3);
        assert!(!d.change(3, vec![edit(0, 0, 0, 0, "late")]));
    }

    #[test]
    fn edits_beyond_the_end_clamp() {
        let mut d = doc("é\n");
        assert!(d.change(2, vec![edit(40, 2, 50, 0, "tail")]));
        assert_eq!(d.rope.to_string(), "é\ntail");
        assert!(d.change(3, vec![edit(0, 9, 0, 0, "!")]));
        assert_eq!(d.rope.to_string(), "!\ntail");
    }

    #[test]
    fn skipped_versions_do_not_freeze_the_document() {
        let mut d = doc("");
        for v in 3..(3 + MAX_PENDING as i32 + 1) {
            d.change(v, vec![edit(0, 0, 0, 0, "x")]);
        }
        assert_eq!(d.rope.len_chars(), MAX_PENDING + 1);
    }

    #[test]
    fn full_changes_replace_the_text() {
        let mut d = doc("old");
        d.change(
            2,
            vec![TextDocumentContentChangeEvent { range: None, range_length: None, text: "new".into() }],
        );
        assert_eq!(d.rope.to_string(), "new");
    }
}
