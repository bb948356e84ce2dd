//! The LSP face: [`Backend`] implements the protocol by translating between LSP types and the core.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use coworks_core::artifacts::openapi;
use coworks_core::Project;
use ropey::Rope;
use serde::Deserialize;
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::commands;
use crate::document::Document;
use crate::state::{StageInfo, State, Work};
use crate::{actions, analysis, completion, hints, hover, lens, navigation, position, symbols};

/// Glob patterns of the files whose changes on disk the server wants to hear about.
pub const WATCHED: [&str; 5] = ["**/*.rs", "**/project.cws.yml", "**/.env*", "**/Cargo.toml", "**/*.cws.yml"];

/// The language server.
#[derive(Debug)]
pub struct Backend {
    client: Client,
    state: Arc<State>,
}

/// Parameters of `coworks/routes`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutesParams {
    /// Only the entries of this stage; absent or `null` for every stage (as `cws routes --json`).
    #[serde(default)]
    pub stage: Option<String>,
}

/// Parameters of `coworks/openapi`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenApiParams {
    /// The project root, as `coworks/stages` reports it: when given, it must be this server's.
    #[serde(default)]
    pub root: Option<String>,
    /// The service.
    pub service: String,
    /// The stage; absent or `null` for the active stage.
    #[serde(default)]
    pub stage: Option<String>,
}

/// Parameters of `coworks/stages` (none).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StagesParams {}

/// Parameters of `coworks/setStage`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetStageParams {
    /// The stage diagnostics, lenses and commands use from now on.
    pub stage: String,
}

/// `coworks/stageChanged`: the server tells the client the active stage (after the project loads,
/// after `coworks/setStage`, and when the project's stages change).
#[derive(Debug)]
pub enum StageChanged {}

impl notification::Notification for StageChanged {
    type Params = StageInfo;
    const METHOD: &'static str = "coworks/stageChanged";
}

/// Parameters of `coworks/projectTree` (none).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectTreeParams {}

/// `coworks/projectChanged`: the server tells the client that what `coworks/projectTree` answers
/// may have changed (after an analysis round that changed files, and when the stage changes).
#[derive(Debug)]
pub enum ProjectChanged {}

impl notification::Notification for ProjectChanged {
    type Params = Value;
    const METHOD: &'static str = "coworks/projectChanged";
}

/// Parameters of `coworks/workflowPreview`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowPreviewParams {
    /// The workflow file.
    pub text_document: TextDocumentIdentifier,
}

fn not_open(uri: &Uri) -> Error {
    Error::invalid_params(format!("document is not open: {}", uri.as_str()))
}

fn internal(what: &str) -> Error {
    Error {
        code: tower_lsp_server::jsonrpc::ErrorCode::InternalError,
        message: what.to_string().into(),
        data: None,
    }
}

impl Backend {
    /// A backend talking to `client`; starts the analysis worker.
    pub fn new(client: Client) -> Self {
        let state = Arc::new(State::default());
        tokio::spawn(analysis::run(state.clone(), client.clone()));
        Backend { client, state }
    }

    /// Runs `f` with the project and the open document `uri` (its relative path and text) on a
    /// blocking thread; a panic inside becomes an internal error, logged.
    async fn with_document<T: Send + 'static>(
        &self,
        uri: &Uri,
        f: impl FnOnce(&Project, &Path, &Rope, &State) -> T + Send + 'static,
    ) -> Result<T> {
        let rope = self.state.docs().get(uri).map(|d| d.rope.clone()).ok_or_else(|| not_open(uri))?;
        let uri = uri.clone();
        self.with_project(move |project, state| {
            // The root is known once the project is loaded.
            let rel = state.rel_of(&uri).unwrap_or_default();
            f(project, &rel, &rope, state)
        })
        .await
    }

    /// Runs `f` on the project's text of `uri` once it holds the open document's current text
    /// (waited for at most [`crate::state::FRESHNESS_WAIT`]); `f` gets the byte offset of `pos` in
    /// that text. A file the project does not hold answers `None`; it need not be open.
    async fn with_fresh<T: Send + 'static>(
        &self,
        uri: &Uri,
        pos: Position,
        f: impl FnOnce(&Project, &Path, usize, &State) -> Option<T> + Send + 'static,
    ) -> Result<Option<T>> {
        self.state.wait_fresh(uri).await;
        let uri = uri.clone();
        self.with_project(move |project, state| {
            let rel = state.rel_of(&uri)?;
            let offset = position::offset_in(project.source(&rel)?, pos);
            f(project, &rel, offset, state)
        })
        .await
    }

    /// Runs `f` with the project on a blocking thread (an empty project while loading).
    async fn with_project<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Project, &State) -> T + Send + 'static,
    ) -> Result<T> {
        self.state.wait_loaded().await;
        let state = self.state.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let guard = state.project();
            match guard.as_ref() {
                Some(p) => f(p, &state),
                None => f(&Project::empty(PathBuf::new()), &state),
            }
        })
        .await;
        match joined {
            Ok(v) => Ok(v),
            Err(e) => {
                let what = analysis::panic_message(e);
                self.client.log_message(MessageType::ERROR, format!("coworks: request failed: {what}")).await;
                Err(internal(&format!("internal error: {what}")))
            }
        }
    }

    /// The flag `shutdown` sets.
    pub fn shutdown_flag(&self) -> Arc<State> {
        self.state.clone()
    }

    fn queue_document(&self, uri: &Uri) {
        match self.state.rel_of(uri) {
            Some(rel) => self.state.enqueue(rel, Work::Editor),
            None if self.state.root().is_none() => {
                self.state.note_orphan(uri);
                self.state.wake.notify_one();
            }
            None => {}
        }
    }

    /// `coworks/routes`: the project's routes, exactly as `cws routes --json` prints them.
    pub async fn routes(&self, params: RoutesParams) -> Result<Value> {
        let stage = params.stage.clone();
        self.with_project(move |project, _| {
            if stage.is_some() {
                project.resolve_stage(stage.as_deref()).map_err(|e| Error::invalid_params(e.to_string()))?;
            }
            let services = project.services(stage.as_deref());
            Ok(json!({ "stage": stage, "services": services }))
        })
        .await?
    }

    /// `coworks/openapi`: the OpenAPI 3.1 document of a service in a stage (the active one unless
    /// asked), as `cws openapi SERVICE -s STAGE` prints it.
    pub async fn openapi(&self, params: OpenApiParams) -> Result<Value> {
        self.with_project(move |project, state| {
            if let Some(root) = &params.root {
                let same = |a: &std::path::Path, b: &std::path::Path| {
                    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
                };
                if !same(std::path::Path::new(root), project.root()) {
                    return Err(Error::invalid_params(format!(
                        "`{root}` is not this server's project (`{}`)",
                        project.root().display()
                    )));
                }
            }
            let stage = params.stage.unwrap_or_else(|| state.stage(project));
            openapi::document(project, &params.service, Some(&stage))
                .map_err(|e| Error::invalid_params(e.to_string()))
        })
        .await?
    }

    /// `coworks/stages`: the project's stages in file order, whether each is production, and the
    /// active stage.
    pub async fn stages(&self, _: StagesParams) -> Result<StageInfo> {
        self.with_project(|project, state| state.stage_info(project)).await
    }

    /// `coworks/setStage`: makes `stage` the active stage (an unknown one is refused with the
    /// project's stages); diagnostics and lenses follow, and `coworks/stageChanged` says so.
    pub async fn set_stage(&self, params: SetStageParams) -> Result<StageInfo> {
        let stage = params.stage;
        let info = self
            .with_project(move |project, state| {
                let stage =
                    project.resolve_stage(Some(&stage)).map_err(|e| Error::invalid_params(e.to_string()))?;
                state.set_stage_option(Some(stage));
                Ok::<_, Error>(state.stage_info(project))
            })
            .await??;
        self.stage_switched().await;
        Ok(info)
    }

    /// After the asked stage changed: recompute diagnostics, refresh lenses (the worker announces
    /// the new stage after its round).
    async fn stage_switched(&self) {
        self.state.recheck.store(true, Ordering::SeqCst);
        self.state.wake.notify_one();
        if let Err(e) = self.client.code_lens_refresh().await {
            self.client.log_message(MessageType::LOG, format!("coworks: no code lens refresh: {e}")).await;
        }
    }

    /// `coworks/workflowPreview`: the Mermaid graph and the JSON graph (tasks → entries) of a
    /// workflow file, from the core.
    pub async fn workflow_preview(&self, params: WorkflowPreviewParams) -> Result<Value> {
        let uri = params.text_document.uri;
        let rel = self.state.rel_of(&uri);
        self.with_project(move |project, _| {
            let preview = rel.as_deref().and_then(|rel| project.workflow_preview(rel));
            match preview {
                Some(p) => json!({
                    "uri": uri,
                    "available": true,
                    "id": p.id,
                    "file": p.file,
                    "mermaid": p.mermaid,
                    "graph": p.graph,
                }),
                None => json!({
                    "uri": uri,
                    "available": false,
                    "message": "not a workflow file of the project (workflows/*.cws.yml)",
                    "mermaid": null,
                    "graph": null,
                }),
            }
        })
        .await
    }

    /// `coworks/projectTree`: the project as a tree (stages → services → entries, workflows →
    /// tasks), each node with its location and its actions' invocations (see [`crate::tree`]).
    pub async fn project_tree(&self, _: ProjectTreeParams) -> Result<Value> {
        self.with_project(crate::tree::answer).await
    }

    /// An LSP location for a core location, from the text the project holds.
    pub(crate) fn lsp_location(
        state: &State,
        project: &Project,
        loc: &coworks_core::model::Location,
    ) -> Option<Location> {
        let source = project.source(&loc.file)?;
        Some(Location { uri: state.uri_of_rel(&loc.file)?, range: crate::convert::range(source, loc.span) })
    }
}

fn client_supports_watch_registration(params: &InitializeParams) -> bool {
    params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|w| w.did_change_watched_files.as_ref())
        .and_then(|d| d.dynamic_registration)
        .unwrap_or(false)
}

fn root_hint(params: &InitializeParams) -> Option<PathBuf> {
    let folder = params.workspace_folders.as_ref().and_then(|f| f.first()).map(|f| f.uri.clone());
    #[allow(deprecated)] // `root_uri` is what older clients send.
    let uri = folder.or_else(|| params.root_uri.clone())?;
    uri.to_file_path().map(|p| p.into_owned())
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        self.state.set_root_hint(root_hint(&params));
        let stage = params
            .initialization_options
            .as_ref()
            .and_then(|o| o.get("stage"))
            .and_then(Value::as_str)
            .map(str::to_string);
        self.state.set_stage_option(stage);
        let debug_lens = params.initialization_options.as_ref().and_then(|o| o.get("debugLens"));
        self.state.debug_lens.store(debug_lens == Some(&Value::Bool(true)), Ordering::SeqCst);
        let hints =
            params.initialization_options.as_ref().and_then(|o| o.get("inlayHints")).and_then(Value::as_bool);
        self.state.hints_off.store(hints == Some(false), Ordering::SeqCst);
        self.state.watch_registration.store(client_supports_watch_registration(&params), Ordering::SeqCst);
        let caps = &params.capabilities;
        let progress = caps.window.as_ref().and_then(|w| w.work_done_progress).unwrap_or(false);
        self.state.work_done_progress.store(progress, Ordering::SeqCst);
        let snippets = caps
            .text_document
            .as_ref()
            .and_then(|t| t.completion.as_ref())
            .and_then(|c| c.completion_item.as_ref())
            .and_then(|i| i.snippet_support)
            .unwrap_or(false);
        self.state.snippets.store(snippets, Ordering::SeqCst);
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "coworks-lsp".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
            capabilities: ServerCapabilities {
                position_encoding: Some(PositionEncodingKind::UTF16),
                text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                    ..TextDocumentSyncOptions::default()
                })),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                definition_provider: Some(OneOf::Left(true)),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(
                        ["\"", ".", "/", ":", "[", "(", ",", "{", " "]
                            .iter()
                            .map(|c| c.to_string())
                            .collect(),
                    ),
                    resolve_provider: Some(true),
                    ..CompletionOptions::default()
                }),
                code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                    code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, CodeActionKind::REFACTOR_REWRITE]),
                    ..CodeActionOptions::default()
                })),
                references_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Right(RenameOptions {
                    prepare_provider: Some(true),
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                })),
                document_link_provider: Some(DocumentLinkOptions {
                    resolve_provider: Some(false),
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                }),
                inlay_hint_provider: Some(OneOf::Left(true)),
                code_lens_provider: Some(CodeLensOptions { resolve_provider: Some(false) }),
                document_symbol_provider: Some(OneOf::Left(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: commands::ALL
                        .iter()
                        .chain([&commands::SHOW_REFERENCES])
                        .map(|c| c.to_string())
                        .collect(),
                    ..ExecuteCommandOptions::default()
                }),
                experimental: Some(json!({
                    "coworks": {
                        "customRequests": ["coworks/routes", "coworks/stages", "coworks/setStage", "coworks/workflowPreview", "coworks/projectTree", "coworks/openapi"],
                        "stageChange": "coworks/setStage",
                        "stageNotification": <StageChanged as notification::Notification>::METHOD,
                        "projectNotification": <ProjectChanged as notification::Notification>::METHOD,
                        // What an editor watches to redraw workflow previews after a local run.
                        "lastRunsGlob": coworks_core::layout::last_runs_glob(),
                    }
                })),
                ..ServerCapabilities::default()
            },
            ..InitializeResult::default()
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        if self.state.watch_registration.load(Ordering::SeqCst) {
            let watchers = WATCHED
                .iter()
                .map(|g| FileSystemWatcher { glob_pattern: GlobPattern::String(g.to_string()), kind: None })
                .collect();
            let options = DidChangeWatchedFilesRegistrationOptions { watchers };
            let registration = Registration {
                id: "coworks-watched-files".to_string(),
                method: "workspace/didChangeWatchedFiles".to_string(),
                register_options: serde_json::to_value(options).ok(),
            };
            if let Err(e) = self.client.register_capability(vec![registration]).await {
                self.client
                    .log_message(MessageType::WARNING, format!("coworks: no file watching: {e}"))
                    .await;
            }
        }
        // Load the project (when the workspace tells where it is).
        self.state.wake.notify_one();
    }

    async fn shutdown(&self) -> Result<()> {
        self.state.shutting_down.store(true, Ordering::SeqCst);
        self.state.wake.notify_one();
        Ok(())
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        let Some(settings) = params.settings.get("coworks") else { return };
        // `{"coworks": {"inlayHints": {"enabled": false}}}` (or `"inlayHints": false`).
        let hints =
            settings.get("inlayHints").map(|h| h.get("enabled").unwrap_or(h)).and_then(Value::as_bool);
        if let Some(on) = hints {
            self.state.hints_off.store(!on, Ordering::SeqCst);
            if let Err(e) = self.client.inlay_hint_refresh().await {
                self.client
                    .log_message(MessageType::LOG, format!("coworks: no inlay hint refresh: {e}"))
                    .await;
            }
        }
        // `{"coworks": {"stage": "prod"}}`: diagnostics and lenses follow the new stage.
        if let Some(stage) = settings.get("stage") {
            self.state.set_stage_option(stage.as_str().map(str::to_string));
            self.stage_switched().await;
        }
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        let uri = doc.uri.clone();
        self.state.docs().insert(uri.clone(), Document::new(doc.uri, &doc.text, doc.version));
        self.queue_document(&uri);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let changed = match self.state.docs().get_mut(&uri) {
            Some(doc) => doc.change(params.text_document.version, params.content_changes),
            None => false,
        };
        if changed {
            self.queue_document(&uri);
        }
    }

    async fn did_save(&self, _: DidSaveTextDocumentParams) {}

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        if self.state.docs().remove(&uri).is_some() {
            // The disk's text applies again.
            if let Some(rel) = self.state.rel_of(&uri) {
                self.state.enqueue(rel, Work::Disk);
            }
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        for change in params.changes {
            if self.state.docs().contains_key(&change.uri) {
                continue; // The editor's text wins while the document is open.
            }
            if let Some(rel) = self.state.rel_of(&change.uri) {
                self.state.enqueue(rel, Work::Disk);
            }
        }
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let at = params.text_document_position_params;
        self.with_document(&at.text_document.uri, move |project, rel, rope, _| {
            let offset = position::offset_of(rope, at.position)?;
            let source = project.source(rel)?;
            if rel == Path::new(coworks_core::layout::CONFIG_FILE) {
                let (value, span) = hover::config_markdown(project, offset)?;
                return Some(Hover {
                    contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value }),
                    range: Some(crate::convert::range(source, span)),
                });
            }
            if coworks_core::layout::is_workflow_path(rel) {
                let info = project.task_info(rel, offset)?;
                return Some(Hover {
                    contents: HoverContents::Markup(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value: hover::task_markdown(&info),
                    }),
                    range: Some(crate::convert::range(source, info.span)),
                });
            }
            if let Some(b) = project.blueprint_entry_at(rel, offset) {
                return Some(Hover {
                    contents: HoverContents::Markup(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value: hover::blueprint_entry_markdown(b.blueprint, b.entry, &b.served),
                    }),
                    range: Some(crate::convert::range(source, b.entry.location.span)),
                });
            }
            let (service, entry) = project.entry_at(rel, offset)?;
            Some(Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: hover::entry_markdown(service, entry),
                }),
                range: Some(crate::convert::range(source, entry.location.span)),
            })
        })
        .await
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        let at = params.text_document_position_params;
        self.with_document(&at.text_document.uri, move |project, rel, rope, state| {
            let offset = position::offset_of(rope, at.position)?;
            let target = project.definition(rel, offset)?;
            let location = Backend::lsp_location(state, project, &target)?;
            Some(GotoDefinitionResponse::Scalar(location))
        })
        .await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        self.with_document(&params.text_document.uri, |project, rel, _, state| {
            let stage = state.stage(project);
            Some(lens::lenses(project, rel, &stage, state))
        })
        .await
    }

    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        self.with_document(&params.text_document.uri, |project, rel, _, _| {
            Some(DocumentSymbolResponse::Nested(symbols::document_symbols(project, rel)))
        })
        .await
    }

    async fn symbol(&self, params: WorkspaceSymbolParams) -> Result<Option<WorkspaceSymbolResponse>> {
        self.with_project(move |project, state| {
            let found = symbols::workspace_symbols(project, &params.query, |rel| state.uri_of_rel(rel));
            Some(WorkspaceSymbolResponse::Nested(found))
        })
        .await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let at = params.text_document_position;
        let snippets = self.state.snippets.load(Ordering::SeqCst);
        self.with_document(&at.text_document.uri, move |project, rel, rope, _| {
            let offset = position::offset_of(rope, at.position)?;
            let text = rope.to_string();
            let found = coworks_core::assist::completion::complete_list(project, rel, &text, offset);
            let items = completion::items(rope, found.items, snippets);
            // A list bounded by what is typed: the editor asks again as more is typed.
            Some(if found.incomplete {
                CompletionResponse::List(CompletionList { is_incomplete: true, items })
            } else {
                CompletionResponse::Array(items)
            })
        })
        .await
    }

    async fn completion_resolve(&self, item: CompletionItem) -> Result<CompletionItem> {
        self.with_project(move |project, _| completion::resolve(project, item)).await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let uri = params.text_document.uri;
        let (range, only) = (params.range, params.context.only);
        self.with_fresh(&uri, range.start, move |project, rel, from, state| {
            let to = position::offset_in(project.source(rel)?, range.end);
            Some(actions::code_actions(state, project, rel, (from, to.max(from)), only.as_deref()))
        })
        .await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let at = params.text_document_position;
        let declaration = params.context.include_declaration;
        self.with_fresh(&at.text_document.uri, at.position, move |project, rel, offset, state| {
            let found = project.references(rel, offset, declaration);
            (!found.is_empty()).then(|| navigation::locations(state, project, &found))
        })
        .await
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        self.with_fresh(&params.text_document.uri, params.position, |project, rel, offset, _| {
            navigation::prepare_rename(project, rel, offset)
        })
        .await
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let at = params.text_document_position;
        let new_name = params.new_name;
        let outcome = self
            .with_fresh(&at.text_document.uri, at.position, move |project, rel, offset, state| {
                Some(project.rename(rel, offset, &new_name).and_then(|edits| {
                    actions::workspace_edit(state, project, &edits)
                        .ok_or_else(|| "a file to change is being edited: try again".to_string())
                }))
            })
            .await?;
        match outcome {
            Some(Ok(edit)) => Ok(Some(edit)),
            Some(Err(why)) => Err(Error::invalid_params(why)),
            None => Ok(None),
        }
    }

    async fn document_link(&self, params: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
        self.with_document(&params.text_document.uri, |project, rel, _, state| {
            Some(navigation::document_links(state, project, rel))
        })
        .await
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        if self.state.hints_off.load(Ordering::SeqCst) {
            return Ok(Some(Vec::new()));
        }
        let range = params.range;
        self.with_fresh(&params.text_document.uri, range.start, move |project, rel, _, _| {
            Some(hints::inlay_hints(project, rel, range))
        })
        .await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        let id = params.command;
        if id == commands::SHOW_REFERENCES {
            // A client command: the lens carries what to show; answered with those locations.
            return Ok(params.arguments.get(2).cloned());
        }
        if !commands::ALL.contains(&id.as_str()) {
            return Err(Error::invalid_params(format!(
                "unknown command `{id}` (known: {})",
                commands::ALL.join(", ")
            )));
        }
        let arg = params.arguments.into_iter().next().unwrap_or(Value::Object(Default::default()));
        let request: commands::Request =
            serde_json::from_value(arg).map_err(|e| Error::invalid_params(format!("bad argument: {e}")))?;
        if commands::command_id(&request.action) != id.as_str() {
            return Err(Error::invalid_params(format!(
                "command `{id}` does not run the action `{}`",
                request.action.verb()
            )));
        }
        self.with_project(move |project, _| {
            let invocation = commands::execute(project, request.action).map_err(Error::invalid_params)?;
            serde_json::to_value(invocation).map(Some).map_err(|e| internal(&e.to_string()))
        })
        .await?
    }
}
