//! The commands code lenses carry, and what `workspace/executeCommand` answers for them. Each lens
//! carries its resolved `cws` command line — the argument vector and the directory to run it in —
//! decided by the core ([`coworks_core::commands`]); clients run it and build no command line.
//!
//! | command          | the `action` of its argument                              | command line |
//! |------------------|-----------------------------------------------------------|--------------|
//! | `coworks.run`    | `{"action": "run", "service", "stage"}`                   | `cws run -s <stage> -- <service>` |
//! | `coworks.deploy` | `{"action": "deploy", "service", "stage"}`                | `cws deploy -s <stage> -- <service>` |
//! | `coworks.invoke` | `{"action": "invoke", "service", "method", "path", "stage", "query"?, "json"?}` | `cws invoke -s <stage> [--query k=v]... [--json J] -- <service> <METHOD> <path>` |
//! | `coworks.routes` | `{"action": "routes", "stage"}` (`null`: every stage)     | `cws routes [-s <stage>] --json` |
//! | `coworks.check`  | `{"action": "check", "stage", "short"?}` (`null`: every stage) | `cws check [-s <stage>] [--message-format short]` |
//! | `coworks.build`  | `{"action": "build", "service", "stage"}`                 | `cws build -s <stage> -- <service>` |
//! | `coworks.deployed` | `{"action": "deployed", "stage"}` (`null`: every stage) | `cws deployed [-s <stage>] --json` |
//! | `coworks.debug`  | `{"action": "debug", "service", "stage"}`                 | `cargo build --manifest-path <crate>/Cargo.toml --message-format=json-render-diagnostics`, then the executable under a debugger |
//! | `coworks.runWorkflow` | `{"action": "workflow", "file", "stage"}`            | `cws workflow run -s <stage> -- <file>` |
//!
//! `workspace/executeCommand` takes `{"action": {...}}` (the lens argument itself, or an action a
//! client changed — an invoke with its path filled in, a query and a body) and answers the
//! [`Invocation`] after checking the action against the project. For `debug` only that answer also
//! holds the launch ([`DebugLaunch`]: the executable's arguments and environment, secrets included),
//! so lenses and the project tree never carry a secret value.

use coworks_core::commands::{debug_launch, shell_line, Action, DebugLaunch};
use coworks_core::model::ParamSource;
use coworks_core::{HttpMethod, Project};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tower_lsp_server::ls_types::Command;

/// `▶ Run` a service locally.
pub const RUN: &str = "coworks.run";
/// Deploy a service to a stage.
pub const DEPLOY: &str = "coworks.deploy";
/// Invoke one entry.
pub const INVOKE: &str = "coworks.invoke";
/// List the routes.
pub const ROUTES: &str = "coworks.routes";
/// Check the project.
pub const CHECK: &str = "coworks.check";
/// Build a service's Lambda package.
pub const BUILD: &str = "coworks.build";
/// List the deployed services.
pub const DEPLOYED: &str = "coworks.deployed";
/// Debug a service.
pub const DEBUG: &str = "coworks.debug";
/// `▶ Run workflow`: a workflow run locally.
pub const RUN_WORKFLOW: &str = "coworks.runWorkflow";
/// Every command the server executes.
pub const ALL: [&str; 9] = [RUN, DEPLOY, INVOKE, ROUTES, CHECK, BUILD, DEPLOYED, DEBUG, RUN_WORKFLOW];
/// Shows the references a `used by N workflow tasks` lens carries: `[uri, position, locations]`.
/// A client command (the client shows the locations); the server answers it with the locations.
pub const SHOW_REFERENCES: &str = "coworks.showReferences";

/// The command id of an action.
pub fn command_id(action: &Action) -> &'static str {
    match action {
        Action::Run { .. } => RUN,
        Action::Deploy { .. } => DEPLOY,
        Action::Invoke { .. } => INVOKE,
        Action::Routes { .. } => ROUTES,
        Action::Check { .. } => CHECK,
        Action::Build { .. } => BUILD,
        Action::Deployed { .. } => DEPLOYED,
        Action::Debug { .. } => DEBUG,
        Action::Workflow { .. } => RUN_WORKFLOW,
    }
}

/// What an invoked entry takes, so a client can ask for the values before running the command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvokeRoute {
    /// The method.
    pub method: HttpMethod,
    /// The route's path template (`/invoice/{id}`).
    pub path: String,
    /// The names of the `{params}` of the path, in order.
    pub path_params: Vec<String>,
    /// The names of the query parameters.
    pub query: Vec<String>,
    /// Whether the entry takes a JSON body.
    pub body: bool,
}

/// A lens command's argument, and what `workspace/executeCommand` answers: the command line to run,
/// split and joined, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invocation {
    /// The action.
    pub action: Action,
    /// The argument vector, `cws` first.
    pub argv: Vec<String>,
    /// The same, as one line quoted for a POSIX shell.
    pub command: String,
    /// The directory to run it in: the project root.
    pub cwd: String,
    /// Whether the action's stage is marked `production: true` (clients ask before deploying).
    pub production: bool,
    /// For an invoke: what the entry takes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<InvokeRoute>,
    /// For a debug, in the answer of `workspace/executeCommand` only: how the debugger starts the
    /// service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debug: Option<DebugLaunch>,
}

/// The argument `workspace/executeCommand` reads: an action (other fields are ignored, so a lens
/// argument can be sent back as it is).
#[derive(Debug, Clone, Deserialize)]
pub struct Request {
    /// The action to run.
    pub action: Action,
}

/// The invocation of an action, checked against the project (the error says what is wrong).
pub fn invocation(project: &Project, action: Action) -> Result<Invocation, String> {
    let argv = action.checked_argv(project).map_err(|e| e.to_string())?;
    let route = match &action {
        Action::Invoke { service, method, path, stage, .. } => project
            .service(service, Some(stage))
            .into_iter()
            .flat_map(|s| s.entries)
            .find(|e| e.route.method == *method && e.route.path == *path)
            .map(|e| InvokeRoute {
                method: e.route.method,
                path: e.route.path.clone(),
                path_params: e.route.path_params().into_iter().map(String::from).collect(),
                query: e
                    .params
                    .iter()
                    .filter(|p| p.source == ParamSource::Query)
                    .map(|p| p.name.clone())
                    .collect(),
                body: e.params.iter().any(|p| p.source == ParamSource::Body),
            }),
        _ => None,
    };
    Ok(Invocation {
        production: action.stage().is_some_and(|s| project.is_production(s)),
        command: shell_line(&argv),
        argv,
        cwd: project.root().display().to_string(),
        route,
        debug: None,
        action,
    })
}

/// What `workspace/executeCommand` answers: the invocation, and for a debug its launch.
pub fn execute(project: &Project, action: Action) -> Result<Invocation, String> {
    let mut answer = invocation(project, action)?;
    if let Action::Debug { service, stage } = &answer.action {
        answer.debug = Some(debug_launch(project, service, stage).map_err(|e| e.to_string())?);
    }
    Ok(answer)
}

/// A lens command running `invocation`.
pub fn command(title: String, invocation: &Invocation) -> Command {
    Command {
        title,
        command: command_id(&invocation.action).to_string(),
        arguments: Some(vec![serde_json::to_value(invocation).unwrap_or(Value::Null)]),
    }
}
