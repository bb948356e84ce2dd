//! LSP positions (line, UTF-16 code unit) ↔ byte offsets: the one place they are converted.
//!
//! The core hands out byte offsets into the texts it holds ([`Source`]: text + line index); LSP
//! speaks UTF-16 columns. Positions the server sends are computed from the core's text
//! ([`position_in`]), so no file is read again; positions a client sends are read against the open
//! document's [`Rope`] ([`offset_of`]). Lines end at `\n`, `\r\n` or `\r` in both (ropey's
//! `cr_lines` and the core's line index, as LSP 3.17 says). Out-of-range positions are clamped the
//! way the spec asks: a column past the line's end means the line's end; a line past the document's
//! end means its end.

use coworks_core::text::{Source, Span};
use ropey::Rope;
use tower_lsp_server::ls_types::{Position, Range};

/// The LSP position of byte `offset` in a text the core holds (clamped, and back to a char
/// boundary).
pub fn position_in(source: &Source, offset: usize) -> Position {
    let pos = source.pos(offset);
    let line_start = source.lines().line_start(pos.line).min(pos.offset);
    let col = source.text().get(line_start..pos.offset).map_or(0, |t| t.encode_utf16().count());
    Position { line: pos.line, character: saturate(col) }
}

/// The byte offset of LSP position `pos` in a text the core holds, clamped as [`offset_of`] does: a
/// column past its line's end is the line's end, a line past the text's end is the end.
pub fn offset_in(source: &Source, pos: Position) -> usize {
    let text = source.text();
    if pos.line as usize >= source.lines().line_count() {
        return text.len();
    }
    let start = source.lines().line_start(pos.line);
    let end = source.lines().line_start(pos.line + 1).min(text.len());
    let line = text.get(start..end).unwrap_or("");
    let line = line.strip_suffix('\n').unwrap_or(line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut units = 0usize;
    for (i, c) in line.char_indices() {
        if units >= pos.character as usize || units + c.len_utf16() > pos.character as usize {
            return start + i;
        }
        units += c.len_utf16();
    }
    start + line.len()
}

/// The LSP range of a core span in a text the core holds.
pub fn range_in(source: &Source, span: Span) -> Range {
    let end = span.end.offset.max(span.start.offset);
    Range { start: position_in(source, span.start.offset), end: position_in(source, end) }
}

/// The LSP position of byte `offset` (clamped to the text, and back to a char boundary).
pub fn position_of(rope: &Rope, offset: usize) -> Position {
    let offset = offset.min(rope.len_bytes());
    // `byte_to_char` floors to the char containing the byte: a boundary inside a char goes back.
    let char_idx = rope.byte_to_char(offset);
    let line = rope.char_to_line(char_idx);
    let line_start = rope.line_to_char(line);
    let col = rope.char_to_utf16_cu(char_idx) - rope.char_to_utf16_cu(line_start);
    Position { line: saturate(line), character: saturate(col) }
}

/// The LSP range of a byte range.
pub fn range_of(rope: &Rope, start: usize, end: usize) -> Range {
    Range { start: position_of(rope, start), end: position_of(rope, end.max(start)) }
}

/// The byte offset of `pos`, or `None` when its line is past the document's end.
/// A column past the end of its line gives the line's end (before the line break); a column inside
/// a surrogate pair gives the start of that char.
pub fn offset_of(rope: &Rope, pos: Position) -> Option<usize> {
    let line = pos.line as usize;
    if line >= rope.len_lines() {
        return None;
    }
    let line_start = rope.line_to_char(line);
    let line_end = line_start + line_len_chars(rope, line);
    let start_cu = rope.char_to_utf16_cu(line_start);
    let end_cu = rope.char_to_utf16_cu(line_end);
    let target_cu = (start_cu + pos.character as usize).min(end_cu);
    // `utf16_cu_to_char` floors to the char containing the code unit.
    let char_idx = rope.utf16_cu_to_char(target_cu).clamp(line_start, line_end);
    Some(rope.char_to_byte(char_idx))
}

/// Like [`offset_of`], but a line past the end gives the document's end (for edits).
pub fn offset_of_clamped(rope: &Rope, pos: Position) -> usize {
    offset_of(rope, pos).unwrap_or_else(|| rope.len_bytes())
}

/// Length of `line` in chars, without its line break.
fn line_len_chars(rope: &Rope, line: usize) -> usize {
    let slice = rope.line(line);
    let mut len = slice.len_chars();
    if len > 0 && slice.char(len - 1) == '\n' {
        len -= 1;
    }
    if len > 0 && slice.char(len - 1) == '\r' {
        len -= 1;
    }
    len
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn ascii_round_trips() {
        let rope = Rope::from_str("ab\ncd\n");
        assert_eq!(position_of(&rope, 4), pos(1, 1));
        assert_eq!(offset_of(&rope, pos(1, 1)), Some(4));
        assert_eq!(position_of(&rope, 6), pos(2, 0));
        assert_eq!(offset_of(&rope, pos(2, 0)), Some(6));
    }

    #[test]
    fn accents_count_one_utf16_unit_but_two_bytes() {
        let text = "é = \"café\"; x";
        let rope = Rope::from_str(text);
        let x = text.find('x').unwrap();
        // é and é: 2 bytes each, 1 UTF-16 unit each.
        assert_eq!(position_of(&rope, x), pos(0, 12));
        assert_eq!(offset_of(&rope, pos(0, 12)), Some(x));
    }

    #[test]
    fn emoji_count_two_utf16_units_and_four_bytes() {
        let text = "// 😀😀 ok\nfn f() {}";
        let rope = Rope::from_str(text);
        let ok = text.find("ok").unwrap();
        assert_eq!(position_of(&rope, ok), pos(0, 8));
        assert_eq!(offset_of(&rope, pos(0, 8)), Some(ok));
        // Inside a surrogate pair: back to the emoji's start.
        assert_eq!(offset_of(&rope, pos(0, 4)), Some(3));
        // A byte inside the emoji: back to its start too.
        assert_eq!(position_of(&rope, 5), pos(0, 3));
        let f = text.find("fn").unwrap();
        assert_eq!(position_of(&rope, f), pos(1, 0));
    }

    #[test]
    fn cjk_counts_one_utf16_unit_and_three_bytes() {
        let text = "/// 請求書\nfn get_請求() {}";
        let rope = Rope::from_str(text);
        let paren = text.find('(').unwrap();
        assert_eq!(position_of(&rope, paren), pos(1, 9));
        assert_eq!(offset_of(&rope, pos(1, 9)), Some(paren));
        assert_eq!(range_of(&rope, 4, text.find('\n').unwrap()), Range { start: pos(0, 4), end: pos(0, 7) });
    }

    #[test]
    fn out_of_range_positions_clamp() {
        let rope = Rope::from_str("héllo\r\nworld");
        // Past the line end: the line's end, before `\r\n`.
        assert_eq!(offset_of(&rope, pos(0, 99)), Some("héllo".len()));
        assert_eq!(offset_of(&rope, pos(1, 99)), Some(rope.len_bytes()));
        assert_eq!(offset_of(&rope, pos(2, 0)), None);
        assert_eq!(offset_of_clamped(&rope, pos(7, 3)), rope.len_bytes());
        assert_eq!(position_of(&rope, 10_000), pos(1, 5));
    }

    #[test]
    fn lone_carriage_returns_end_lines() {
        let rope = Rope::from_str("a\rb\r\nc");
        assert_eq!(position_of(&rope, 2), pos(1, 0));
        assert_eq!(position_of(&rope, 5), pos(2, 0));
    }

    #[test]
    fn the_core_text_gives_the_ropes_positions() {
        for text in ["ça 😀 請\n\tz🇫🇷é\n", "a\rb\r\nc\n\n😀", "", "\r\r\n\n", "no newline"] {
            let rope = Rope::from_str(text);
            let source = Source::new(text);
            for i in 0..=text.len() + 2 {
                assert_eq!(position_in(&source, i), position_of(&rope, i), "{text:?} at {i}");
            }
        }
    }

    #[test]
    fn the_core_text_gives_the_ropes_offsets() {
        for text in ["ça 😀 請\n\tz🇫🇷é\n", "a\rb\r\nc\n\n😀", "", "\r\r\n\n", "no newline"] {
            let rope = Rope::from_str(text);
            let source = Source::new(text);
            for line in 0..6 {
                for character in 0..12 {
                    let p = pos(line, character);
                    assert_eq!(offset_in(&source, p), offset_of_clamped(&rope, p), "{text:?} at {p:?}");
                }
            }
        }
    }

    #[test]
    fn round_trip_every_char_boundary() {
        let text = "ça 😀 請\n\tz🇫🇷é\n";
        let rope = Rope::from_str(text);
        for (i, _) in text.char_indices() {
            assert_eq!(offset_of(&rope, position_of(&rope, i)), Some(i), "offset {i}");
        }
    }
}
