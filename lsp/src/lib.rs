//! The CoWorks language server: translates between the Language Server Protocol and `coworks-core`.
//!
//! [`server::Backend`] implements the protocol; [`analysis`] runs the core off the request path;
//! [`position`] is the one place UTF-16 positions and byte offsets meet.

#![warn(missing_docs)]

pub mod actions;
pub mod analysis;
pub mod commands;
pub mod completion;
pub mod convert;
pub mod document;
pub mod hints;
pub mod hover;
pub mod lens;
pub mod navigation;
pub mod position;
pub mod server;
pub mod state;
pub mod symbols;
pub mod transport;
pub mod tree;

use tower_lsp_server::LspService;

/// Serves the protocol on stdin/stdout until `exit`, reading frames within `limits`. Returns
/// whether `shutdown` came first.
pub async fn serve_stdio(limits: transport::FrameLimits) -> bool {
    let (service, socket) = LspService::build(server::Backend::new)
        .custom_method("coworks/routes", server::Backend::routes)
        .custom_method("coworks/stages", server::Backend::stages)
        .custom_method("coworks/setStage", server::Backend::set_stage)
        .custom_method("coworks/workflowPreview", server::Backend::workflow_preview)
        .custom_method("coworks/projectTree", server::Backend::project_tree)
        .custom_method("coworks/openapi", server::Backend::openapi)
        .finish();
    let state = service.inner().shutdown_flag();
    transport::serve(tokio::io::stdin(), tokio::io::stdout(), service, socket, limits).await;
    state.shutting_down.load(std::sync::atomic::Ordering::SeqCst)
}
