//! Completion: the core's items (`coworks_core::assist::completion`) as LSP items. Their ranges
//! are byte ranges of the editor's text, converted against the open document; the documentation of
//! a route is filled in by `completionItem/resolve` (from the entry the item carries).

use coworks_core::assist::{Completion, CompletionKind, EntryRef};
use coworks_core::Project;
use ropey::Rope;
use tower_lsp_server::ls_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, InsertTextFormat, MarkupContent,
    MarkupKind, TextEdit,
};

use crate::hover;
use crate::position::range_of;

fn kind(k: CompletionKind) -> CompletionItemKind {
    match k {
        CompletionKind::Key => CompletionItemKind::PROPERTY,
        CompletionKind::Value => CompletionItemKind::ENUM_MEMBER,
        CompletionKind::Service => CompletionItemKind::MODULE,
        CompletionKind::Route => CompletionItemKind::METHOD,
        CompletionKind::Method => CompletionItemKind::KEYWORD,
        CompletionKind::Field => CompletionItemKind::FIELD,
        CompletionKind::Task => CompletionItemKind::REFERENCE,
        CompletionKind::File => CompletionItemKind::FILE,
    }
}

fn markdown(value: String) -> Documentation {
    Documentation::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value })
}

/// A snippet as plain text, for clients without snippets: `$1`, `${1:x}` and `$0` dropped.
fn plain(snippet: &str) -> String {
    let mut out = String::new();
    let mut chars = snippet.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '$' if chars.peek().is_some_and(char::is_ascii_digit) => {
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
            }
            '$' if chars.peek() == Some(&'{') => {
                chars.next();
                while chars.peek().is_some_and(|c| c.is_ascii_digit() || *c == ':') {
                    chars.next();
                }
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    out.push(c);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// The LSP items of the core's completions, for the document whose text is `rope`.
pub fn items(rope: &Rope, found: Vec<Completion>, snippets: bool) -> Vec<CompletionItem> {
    found
        .into_iter()
        .map(|c| {
            let snippet = c.snippet && snippets;
            let new_text = if c.snippet && !snippets { plain(&c.new_text) } else { c.new_text };
            let edit = TextEdit { range: range_of(rope, c.range.start, c.range.end), new_text };
            let additional: Vec<TextEdit> = c
                .additional
                .iter()
                .map(|(r, t)| TextEdit { range: range_of(rope, r.start, r.end), new_text: t.clone() })
                .collect();
            CompletionItem {
                label: c.label,
                kind: Some(kind(c.kind)),
                detail: c.detail,
                documentation: c.docs.map(markdown),
                text_edit: Some(CompletionTextEdit::Edit(edit)),
                insert_text_format: Some(if snippet {
                    InsertTextFormat::SNIPPET
                } else {
                    InsertTextFormat::PLAIN_TEXT
                }),
                filter_text: c.filter,
                sort_text: c.sort,
                additional_text_edits: (!additional.is_empty()).then_some(additional),
                data: c.entry.and_then(|e| serde_json::to_value(e).ok()),
                ..CompletionItem::default()
            }
        })
        .collect()
}

/// `completionItem/resolve`: an item standing for an entry gets the entry's description.
pub fn resolve(project: &Project, mut item: CompletionItem) -> CompletionItem {
    let entry: Option<EntryRef> = item.data.clone().and_then(|d| serde_json::from_value(d).ok());
    if let Some(r) = entry {
        let found = project
            .service(&r.service, None)
            .and_then(|s| s.entries.into_iter().find(|e| e.location == r.location));
        if let Some(e) = found {
            item.documentation = Some(markdown(hover::entry_markdown(&r.service, &e)));
        }
    }
    item
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_become_plain_text() {
        assert_eq!(plain("path = \"/$1\""), "path = \"/\"");
        assert_eq!(plain("stages = [\"${1:dev}\"]$0"), "stages = [\"dev\"]");
        assert_eq!(plain("a \\$ b"), "a $ b");
    }
}
