//! The LSP face: [`Backend`] implements the protocol by translating between LSP types and the core.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

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
use crate::{analysis, hover, lens, position, symbols};

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
        let rel = self.state.rel_of(uri);
        self.with_project(move |project, state| {
            let rel = rel.unwrap_or_default();
            f(project, &rel, &rope, state)
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
        self.state.watch_registration.store(client_supports_watch_registration(&params), Ordering::SeqCst);
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
                code_lens_provider: Some(CodeLensOptions { resolve_provider: Some(false) }),
                document_symbol_provider: Some(OneOf::Left(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: commands::ALL.iter().map(|c| c.to_string()).collect(),
                    ..ExecuteCommandOptions::default()
                }),
                experimental: Some(json!({
                    "coworks": {
                        "customRequests": ["coworks/routes", "coworks/stages", "coworks/setStage", "coworks/workflowPreview", "coworks/projectTree"],
                        "stageChange": "coworks/setStage",
                        "stageNotification": <StageChanged as notification::Notification>::METHOD,
                        "projectNotification": <ProjectChanged as notification::Notification>::METHOD,
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
        // `{"coworks": {"stage": "prod"}}`: diagnostics and lenses follow the new stage.
        let Some(stage) = params.settings.get("coworks").and_then(|c| c.get("stage")) else {
            return;
        };
        self.state.set_stage_option(stage.as_str().map(str::to_string));
        self.stage_switched().await;
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
            let target = project.workflow_definition(rel, offset)?;
            let location = Backend::lsp_location(state, project, &target)?;
            Some(GotoDefinitionResponse::Scalar(location))
        })
        .await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        self.with_document(&params.text_document.uri, |project, rel, _, state| {
            let stage = state.stage(project);
            Some(lens::lenses(project, rel, &stage, state.debug_lens.load(Ordering::SeqCst)))
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

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        let id = params.command;
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
