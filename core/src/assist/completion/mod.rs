//! Completion: what can be written at a position, from the core's tables and the project —
//! `#[entry(...)]` / `#[coworks::service(...)]` arguments and their values, entry names with the
//! route they give ([`rust`]); the keys and values of `project.cws.yml` from the schema tables
//! ([`config`]); services, routes, parameters, body fields, task ids and templates in workflows
//! ([`workflow`]).
//!
//! Completion reads the text being typed (the editor's, which may be ahead of the project's
//! analysis) and the project for everything else. Every item replaces a byte range of that text.

use std::path::Path;

use serde::Serialize;

use crate::layout::{file_kind, FileKind};
use crate::model::Location;
use crate::project::Project;
use crate::text::ByteRange;

mod config;
mod rust;
mod workflow;

/// What a completion item is, for the editor's icon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CompletionKind {
    /// A key of a mapping, an argument name.
    Key,
    /// A value of an enumeration, a stage, a content type.
    Value,
    /// A service.
    Service,
    /// An entry's route, an entry name.
    Route,
    /// An HTTP verb prefix or method.
    Method,
    /// A field of a struct, a parameter.
    Field,
    /// A task of a workflow.
    Task,
    /// A file or folder of the project.
    File,
}

/// One thing that can be written at the position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Completion {
    /// What the list shows.
    pub label: String,
    /// Its kind.
    pub kind: CompletionKind,
    /// One line beside the label (a route, a type).
    pub detail: Option<String>,
    /// Markdown documentation.
    pub docs: Option<String>,
    /// The bytes of the text replaced (they contain the position).
    pub range: ByteRange,
    /// What replaces them.
    pub new_text: String,
    /// Whether `new_text` is an LSP snippet (`$1` placeholders).
    pub snippet: bool,
    /// The text the editor matches what is typed against (the label when `None`).
    pub filter: Option<String>,
    /// The text the editor sorts by (the label when `None`).
    pub sort: Option<String>,
    /// Other edits of the same text made with it (a `method:` line a route needs).
    pub additional: Vec<(ByteRange, String)>,
    /// The entry the item stands for (a route), so that a face can describe it on demand.
    pub entry: Option<EntryRef>,
}

/// An entry, by its service and where its method is named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct EntryRef {
    /// The service's name.
    pub service: String,
    /// Where the entry's method is named.
    pub location: Location,
}

impl Completion {
    /// A plain item replacing `range` with `text` (also its label).
    pub fn new(kind: CompletionKind, range: ByteRange, text: impl Into<String>) -> Self {
        let text = text.into();
        Completion {
            label: text.clone(),
            kind,
            detail: None,
            docs: None,
            range,
            new_text: text,
            snippet: false,
            filter: None,
            sort: None,
            additional: Vec::new(),
            entry: None,
        }
    }

    /// With a detail line.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// With documentation (markdown); nothing when empty.
    pub fn docs(mut self, docs: impl Into<String>) -> Self {
        let docs = docs.into();
        self.docs = (!docs.is_empty()).then_some(docs);
        self
    }

    /// Inserting `text` instead of the label.
    pub fn insert(mut self, text: impl Into<String>) -> Self {
        self.new_text = text.into();
        self
    }

    /// Inserting an LSP snippet.
    pub fn snippet(mut self, text: impl Into<String>) -> Self {
        self.new_text = text.into();
        self.snippet = true;
        self
    }

    /// Matched against `filter` instead of the label.
    pub fn filter(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(filter.into());
        self
    }
}

/// The most items a list of the project's names holds (the services at a workflow's `service:`):
/// beyond it the list holds those matching what is typed, the closest first, and says it is
/// incomplete, so that the editor asks again as more is typed (as rust-analyzer does).
pub const LIST_LIMIT: usize = 100;

/// What can be written at a position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompletionList {
    /// The items.
    pub items: Vec<Completion>,
    /// Whether the items are only those matching what is typed so far, at most [`LIST_LIMIT`]:
    /// the editor must ask again as more is typed instead of filtering them.
    pub incomplete: bool,
}

impl From<Vec<Completion>> for CompletionList {
    fn from(items: Vec<Completion>) -> Self {
        CompletionList { items, incomplete: false }
    }
}

/// What can be written at byte `offset` of `text`, the text of the project file `rel` as the
/// editor holds it. Empty when nothing applies.
pub fn complete(project: &Project, rel: &Path, text: &str, offset: usize) -> Vec<Completion> {
    complete_list(project, rel, text, offset).items
}

/// [`complete`], saying whether the list is bounded by what is typed ([`CompletionList`]).
pub fn complete_list(project: &Project, rel: &Path, text: &str, offset: usize) -> CompletionList {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    match file_kind(rel) {
        FileKind::Rust => rust::complete(project, text, offset).into(),
        FileKind::Config => config::complete(project, text, offset).into(),
        FileKind::Workflow => workflow::complete(project, rel, text, offset),
        _ => CompletionList::default(),
    }
}

/// `names` (sorted) when there are at most [`LIST_LIMIT`]; else those `typed` matches (its
/// characters in order, ignoring case), those starting with it first, at most [`LIST_LIMIT`]; with
/// whether the list is so bounded.
pub(crate) fn bounded<'a>(
    names: impl ExactSizeIterator<Item = &'a str>,
    typed: &str,
) -> (Vec<&'a str>, bool) {
    if names.len() <= LIST_LIMIT {
        return (names.collect(), false);
    }
    let typed = typed.to_lowercase();
    let mut ranked: Vec<(bool, &str)> = names
        .filter_map(|name| {
            let lower = name.to_lowercase();
            if lower.starts_with(&typed) {
                return Some((false, name));
            }
            let mut rest = lower.chars();
            typed.chars().all(|t| rest.any(|c| c == t)).then_some((true, name))
        })
        .collect();
    // Stable: by name within each rank.
    ranked.sort_by_key(|(later, _)| *later);
    ranked.truncate(LIST_LIMIT);
    (ranked.into_iter().map(|(_, name)| name).collect(), true)
}
