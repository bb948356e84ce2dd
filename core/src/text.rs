//! Positions in source text: byte offsets, lines and columns, computed in one place.
//!
//! Every position the core hands out is a [`Pos`]: a byte offset plus a 0-based line and a 0-based
//! column counted in Unicode scalar values (what rustc prints, 1-based). Lines end at `\n`, `\r\n`
//! or a lone `\r`, as LSP counts them. [`Source`] keeps a file's text with its line index: the
//! project holds one per file, so every face converts positions (the language server to UTF-16)
//! without reading the file again.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// A byte range `start..end` in one file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct ByteRange {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl ByteRange {
    /// A range from `start` to `end` (swapped if given backwards).
    pub fn new(start: usize, end: usize) -> Self {
        ByteRange { start: start.min(end), end: start.max(end) }
    }
}

/// A position in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct Pos {
    /// Byte offset from the start of the file.
    pub offset: usize,
    /// 0-based line.
    pub line: u32,
    /// 0-based column, in Unicode scalar values.
    pub col: u32,
}

/// A range of positions in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct Span {
    /// Where the range starts.
    pub start: Pos,
    /// Where the range ends (exclusive).
    pub end: Pos,
}

/// A value and where it is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it is written.
    pub span: Span,
}

/// Line starts of a text, to turn byte offsets into lines and columns and back.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    /// Indexes `text`. Lines end at `\n`, `\r\n` or a lone `\r` (the line break is part of its line).
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        for (i, b) in bytes.iter().enumerate() {
            let ends = *b == b'\n' || (*b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
            if ends {
                line_starts.push(i + 1);
            }
        }
        // Kept for every file of a project: no spare capacity.
        line_starts.shrink_to_fit();
        LineIndex { line_starts, len: text.len() }
    }

    /// Number of lines (a text without a newline has one).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte offset where `line` (0-based) starts; the text's end past the last line.
    pub fn line_start(&self, line: u32) -> usize {
        self.line_starts.get(line as usize).copied().unwrap_or(self.len)
    }

    /// The position of byte `offset` (clamped to the text and to a char boundary).
    pub fn pos(&self, text: &str, offset: usize) -> Pos {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = match self.line_starts.binary_search(&offset) {
            Ok(l) => l,
            Err(l) => l - 1,
        };
        let start = self.line_starts[line];
        let col = text[start..offset].chars().count();
        Pos { offset, line: line as u32, col: col as u32 }
    }

    /// The span of a byte range.
    pub fn span(&self, text: &str, range: ByteRange) -> Span {
        Span { start: self.pos(text, range.start), end: self.pos(text, range.end) }
    }

    /// Byte offset of 0-based `line` and column `col` in chars (clamped to the line's end).
    pub fn offset_of_line_col(&self, text: &str, line: u32, col: u32) -> usize {
        let start = self.line_start(line);
        let end = self.line_start(line + 1).min(text.len());
        let line_text = text.get(start..end).unwrap_or("");
        let line_text = line_text.strip_suffix('\n').unwrap_or(line_text);
        let line_text = line_text.strip_suffix('\r').unwrap_or(line_text);
        line_text.char_indices().nth(col as usize).map(|(i, _)| start + i).unwrap_or(start + line_text.len())
    }
}

/// A file's text and its line index, shared cheaply (cloning is a reference count).
#[derive(Debug, Clone)]
pub struct Source {
    text: Arc<str>,
    lines: Arc<LineIndex>,
}

impl Source {
    /// Indexes `text`.
    pub fn new(text: &str) -> Self {
        Source { text: Arc::from(text), lines: Arc::new(LineIndex::new(text)) }
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The line index.
    pub fn lines(&self) -> &LineIndex {
        &self.lines
    }

    /// The position of byte `offset` (clamped to the text and to a char boundary).
    pub fn pos(&self, offset: usize) -> Pos {
        self.lines.pos(&self.text, offset)
    }

    /// The span of a byte range.
    pub fn span(&self, range: ByteRange) -> Span {
        self.lines.span(&self.text, range)
    }
}

/// Serialises a path as text, lossily: a file name that is not UTF-8 (possible on Unix) shows its
/// undecodable bytes as U+FFFD instead of failing the whole answer (`cws routes --json`,
/// `coworks/routes`). For `#[serde(serialize_with = "crate::text::lossy_path")]`.
pub fn lossy_path<S: serde::Serializer>(path: &std::path::Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.to_string_lossy())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_chars_not_bytes() {
        let text = "ab\néé x\n😀y";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 3);
        let x = text.find('x').unwrap();
        assert_eq!(idx.pos(text, x), Pos { offset: x, line: 1, col: 3 });
        let y = text.find('y').unwrap();
        assert_eq!(idx.pos(text, y), Pos { offset: y, line: 2, col: 1 });
        assert_eq!(idx.offset_of_line_col(text, 1, 3), x);
        assert_eq!(idx.offset_of_line_col(text, 2, 1), y);
        // Past the end of a line clamps to the line end; inside a char clamps back.
        assert_eq!(idx.offset_of_line_col(text, 0, 99), 2);
        assert_eq!(idx.pos(text, y - 1).offset, y - 4);
        assert_eq!(idx.pos(text, 999).offset, text.len());
    }

    #[test]
    fn lines_end_at_lf_crlf_and_lone_cr() {
        let text = "a\r\nb\rc\nd";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 4);
        assert_eq!(idx.pos(text, text.find('c').unwrap()), Pos { offset: 5, line: 2, col: 0 });
        assert_eq!(idx.offset_of_line_col(text, 0, 9), 1);
        assert_eq!(idx.offset_of_line_col(text, 1, 9), 4);
        let s = Source::new(text);
        assert_eq!(s.pos(9).line, 3);
        assert_eq!(s.text(), text);
    }
}
