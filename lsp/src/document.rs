//! Open documents: their text in a rope, their version, and in-order application of incremental edits.
//!
//! tower-lsp-server may poll several handlers at once (tower-lsp's issue #284), but it creates them
//! in the order the messages were read and polls new ones in that order; `didChange` applies its edits
//! before its first `.await`, under the store's lock. So edits are applied in the order they were
//! sent. Versions only have to increase (Neovim sends its `changedtick`, which skips numbers): an
//! edit whose version is not above the document's is stale, and is dropped rather than applied to a
//! text it was not made for.

use ropey::Rope;
use tower_lsp_server::ls_types::{TextDocumentContentChangeEvent, Uri};

use crate::position::offset_of_clamped;

/// One document open in the editor.
#[derive(Debug, Clone)]
pub struct Document {
    /// The document's URI, as the client sent it.
    pub uri: Uri,
    /// The text.
    pub rope: Rope,
    /// The version of the last applied edit.
    pub version: i32,
}

impl Document {
    /// A document as opened.
    pub fn new(uri: Uri, text: &str, version: i32) -> Self {
        Document { uri, rope: Rope::from_str(text), version }
    }

    /// Applies the edits of `version`, in order. Returns whether they were applied: an edit whose
    /// version is not above the document's is stale and is ignored.
    pub fn change(&mut self, version: i32, changes: Vec<TextDocumentContentChangeEvent>) -> bool {
        if version <= self.version {
            return false;
        }
        for change in &changes {
            apply(&mut self.rope, change);
        }
        self.version = version;
        true
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
    fn versions_may_skip_but_stale_edits_are_dropped() {
        let mut d = doc("abc");
        assert!(d.change(7, vec![edit(0, 0, 0, 1, "")]));
        assert_eq!((d.rope.to_string().as_str(), d.version), ("bc", 7));
        assert!(!d.change(7, vec![edit(0, 0, 0, 0, "late")]));
        assert!(!d.change(5, vec![edit(0, 0, 0, 0, "late")]));
        assert_eq!(d.rope.to_string(), "bc");
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
    fn full_changes_replace_the_text() {
        let mut d = doc("old");
        d.change(
            2,
            vec![TextDocumentContentChangeEvent { range: None, range_length: None, text: "new".into() }],
        );
        assert_eq!(d.rope.to_string(), "new");
    }
}
