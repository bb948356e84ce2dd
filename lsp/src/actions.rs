//! Code actions: the quick fixes the core attached to the diagnostics of the range, and the core's
//! refactorings there, as LSP code actions with workspace edits. Edits are made in the project's
//! texts; an action touching an open document whose text the project does not hold yet is left
//! out (the next request has it).

use std::collections::HashMap;
use std::path::Path;

use coworks_core::{diagnostics::Fix, Diagnostic, Project};
use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, TextEdit, Uri, WorkspaceEdit,
};

use crate::convert;
use crate::position::position_in;
use crate::state::State;

/// The workspace edit of a fix's edits, or `None` when a file is unknown or its open text differs
/// from the project's.
pub fn workspace_edit(
    state: &State,
    project: &Project,
    edits: &[coworks_core::diagnostics::Edit],
) -> Option<WorkspaceEdit> {
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for e in edits {
        let source = project.source(&e.file)?;
        if let Some((_, rope, _)) = state.open_text(&e.file) {
            if rope != source.text() {
                return None;
            }
        }
        let uri = state.uri_of_rel(&e.file)?;
        let range = tower_lsp_server::ls_types::Range {
            start: position_in(source, e.range.start),
            end: position_in(source, e.range.end.max(e.range.start)),
        };
        changes.entry(uri).or_default().push(TextEdit { range, new_text: e.new_text.clone() });
    }
    Some(WorkspaceEdit { changes: Some(changes), ..WorkspaceEdit::default() })
}

fn action(title: String, kind: CodeActionKind, edit: WorkspaceEdit) -> CodeAction {
    CodeAction { title, kind: Some(kind), edit: Some(edit), ..CodeAction::default() }
}

/// Whether `kind` is asked for by the client's `only` filter (a prefix match, as the spec says).
fn wanted(only: Option<&[CodeActionKind]>, kind: &CodeActionKind) -> bool {
    only.is_none_or(|only| {
        only.iter()
            .any(|o| kind.as_str() == o.as_str() || kind.as_str().starts_with(&format!("{}.", o.as_str())))
    })
}

/// The code actions of `rel` for bytes `from..=to` of its text.
pub fn code_actions(
    state: &State,
    project: &Project,
    rel: &Path,
    (from, to): (usize, usize),
    only: Option<&[CodeActionKind]>,
) -> Vec<CodeActionOrCommand> {
    let mut out = Vec::new();
    let mut titles = Vec::new();
    if wanted(only, &CodeActionKind::QUICKFIX) {
        let all = state.diagnostics();
        let diags: Vec<&Diagnostic> = all
            .get(rel)
            .into_iter()
            .flatten()
            .filter(|d| !d.fixes.is_empty() && d.span.start.offset <= to && from <= d.span.end.offset)
            .collect();
        let source = project.source(rel);
        for d in diags {
            let lsp_diag = source.map(|s| convert::diagnostic(s, d, |_| None));
            for (i, fix) in d.fixes.iter().enumerate() {
                let Some(edit) = workspace_edit(state, project, &fix.edits) else { continue };
                let mut a = action(fix.title.clone(), CodeActionKind::QUICKFIX, edit);
                a.diagnostics = lsp_diag.clone().map(|d| vec![d]);
                a.is_preferred = Some(i == 0 && fix.safe);
                titles.push(fix.title.clone());
                out.push(CodeActionOrCommand::CodeAction(a));
            }
        }
    }
    if wanted(only, &CodeActionKind::REFACTOR_REWRITE) {
        for Fix { title, edits, .. } in project.refactorings(rel, from, to) {
            if titles.contains(&title) {
                continue;
            }
            if let Some(edit) = workspace_edit(state, project, &edits) {
                out.push(CodeActionOrCommand::CodeAction(action(
                    title,
                    CodeActionKind::REFACTOR_REWRITE,
                    edit,
                )));
            }
        }
    }
    out
}
