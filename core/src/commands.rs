//! The `cws` command lines a face runs for the user — a code lens, a tree action, a task — decided
//! here once: each action maps 1:1 to one argument vector, checked against the project.
//!
//! | action   | command line                                                        |
//! |----------|---------------------------------------------------------------------|
//! | `run`    | `cws run -s <stage> -- <service>`                                   |
//! | `deploy` | `cws deploy -s <stage> -- <service>`                                |
//! | `invoke` | `cws invoke -s <stage> [--query k=v]... [--json J] -- <service> <METHOD> <path>` |
//! | `routes` | `cws routes [-s <stage>] --json`                                    |
//! | `check`  | `cws check [-s <stage>] [--message-format short]`                   |
//! | `build`  | `cws build -s <stage> -- <service>`                                 |
//! | `deployed` | `cws deployed [-s <stage>] --json`                                |
//! | `debug`  | `cargo build --manifest-path <crate>/Cargo.toml --message-format=json-render-diagnostics` (then the service's executable under a debugger: [`debug_launch`]) |
//! | `workflow` | `cws workflow run -s <stage> -- <file>` (the file relative to the project root) |
//!
//! Options come first and positional values after `--`, so no value (a service named `--endpoint=x`)
//! can become an option. [`shell_line`] quotes an argument vector for a POSIX shell.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::HttpMethod;
use crate::naming::is_service_name;
use crate::project::Project;
use crate::settings::CliOptions;

/// A `cws` action on the project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase", deny_unknown_fields)]
pub enum Action {
    /// Build and serve a service locally.
    Run {
        /// The service.
        service: String,
        /// The stage.
        stage: String,
    },
    /// Deploy a service to a stage.
    Deploy {
        /// The service.
        service: String,
        /// The stage.
        stage: String,
    },
    /// Send one request to an entry.
    Invoke {
        /// The service.
        service: String,
        /// The HTTP method.
        method: HttpMethod,
        /// The path called (the route's template, or the template with values filled in).
        path: String,
        /// The stage.
        stage: String,
        /// Query parameters, in order.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        query: Vec<(String, String)>,
        /// A JSON body.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        json: Option<String>,
    },
    /// List the routes (of one stage, or of every stage).
    Routes {
        /// The stage, `None` for every stage.
        #[serde(default)]
        stage: Option<String>,
    },
    /// Check the project.
    Check {
        /// The stage, `None` for every stage.
        #[serde(default)]
        stage: Option<String>,
        /// One line a diagnostic (`--message-format short`: `file:line:col: severity[CODE]: message`,
        /// what a task's problem matcher reads) instead of rustc's form with the source.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        short: bool,
    },
    /// Build a service's Lambda package.
    Build {
        /// The service.
        service: String,
        /// The stage.
        stage: String,
    },
    /// List the deployed services (URL, function) of one stage or of every stage, as JSON.
    Deployed {
        /// The stage, `None` for every stage.
        #[serde(default)]
        stage: Option<String>,
    },
    /// Build a service's crate for the host and start its executable under a debugger, with the
    /// stage's environment: the argument vector is cargo's build, the rest is [`debug_launch`].
    Debug {
        /// The service.
        service: String,
        /// The stage.
        stage: String,
    },
    /// Run a workflow locally (`cws workflow run`).
    Workflow {
        /// The workflow file, relative to the project root (`workflows/<name>.cws.yml`).
        file: String,
        /// The stage.
        stage: String,
    },
}

/// Why an action cannot run on the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionError(pub String);

impl std::fmt::Display for ActionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ActionError {}

impl Action {
    /// The action's verb, as `cws` spells it.
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Run { .. } => "run",
            Action::Deploy { .. } => "deploy",
            Action::Invoke { .. } => "invoke",
            Action::Routes { .. } => "routes",
            Action::Check { .. } => "check",
            Action::Build { .. } => "build",
            Action::Deployed { .. } => "deployed",
            Action::Debug { .. } => "debug",
            Action::Workflow { .. } => "workflow",
        }
    }

    /// The service acted on, if any.
    pub fn service(&self) -> Option<&str> {
        match self {
            Action::Run { service, .. }
            | Action::Deploy { service, .. }
            | Action::Invoke { service, .. }
            | Action::Build { service, .. }
            | Action::Debug { service, .. } => Some(service),
            Action::Routes { .. }
            | Action::Check { .. }
            | Action::Deployed { .. }
            | Action::Workflow { .. } => None,
        }
    }

    /// The stage acted on, if one.
    pub fn stage(&self) -> Option<&str> {
        match self {
            Action::Run { stage, .. }
            | Action::Deploy { stage, .. }
            | Action::Invoke { stage, .. }
            | Action::Build { stage, .. }
            | Action::Debug { stage, .. }
            | Action::Workflow { stage, .. } => Some(stage),
            Action::Routes { stage } | Action::Check { stage, .. } | Action::Deployed { stage } => {
                stage.as_deref()
            }
        }
    }

    /// Checks the action against the project: the stage and the service exist, their names are
    /// valid names, an invoked path matches an entry of the service in the stage.
    pub fn check(&self, project: &Project) -> Result<(), ActionError> {
        if let Some(stage) = self.stage() {
            project.resolve_stage(Some(stage)).map_err(|e| ActionError(e.to_string()))?;
            if let Some(problem) = crate::naming::stage_name_problem(stage) {
                return Err(ActionError(problem));
            }
        }
        if let Some(service) = self.service() {
            if !is_service_name(service) {
                return Err(ActionError(format!("`{service}` is not a valid service name")));
            }
            if !project.has_service(service) {
                return Err(ActionError(format!("unknown service `{service}`")));
            }
        }
        if let Action::Workflow { file, .. } = self {
            let rel = std::path::Path::new(file);
            if !crate::layout::is_workflow_path(rel) || project.workflow(rel).is_none() {
                return Err(ActionError(format!("`{file}` is not a workflow of the project")));
            }
        }
        if let Action::Invoke { service, method, path, stage, .. } = self {
            let answered =
                project.service(service, Some(stage)).into_iter().flat_map(|s| s.entries).any(|e| {
                    e.route.method == *method
                        && crate::workflow::target::match_path(&e.route.path, path).is_some()
                });
            if !answered {
                return Err(ActionError(format!(
                    "service `{service}` has no entry `{method} {path}` in stage `{stage}`"
                )));
            }
        }
        Ok(())
    }

    /// The argument vector of a `cws` action, `cws` first: options, then `--` and the positional
    /// values. `None` for `debug`, which runs cargo and a debugger rather than `cws` (its argument
    /// vector needs the project: [`Action::checked_argv`]).
    pub fn cws_argv(&self) -> Option<Vec<String>> {
        if let Action::Debug { .. } = self {
            return None;
        }
        let mut v = vec!["cws".to_string(), self.verb().to_string()];
        if let Action::Workflow { .. } = self {
            v.push("run".to_string());
        }
        if let Some(stage) = self.stage() {
            v.extend(["-s".to_string(), stage.to_string()]);
        }
        let mut positional: Vec<String> = Vec::new();
        match self {
            Action::Run { service, .. } | Action::Deploy { service, .. } | Action::Build { service, .. } => {
                positional.push(service.clone());
            }
            Action::Invoke { service, method, path, query, json, .. } => {
                for (k, val) in query {
                    v.extend(["--query".to_string(), format!("{k}={val}")]);
                }
                if let Some(j) = json {
                    v.extend(["--json".to_string(), j.clone()]);
                }
                positional.extend([service.clone(), method.as_str().to_string(), path.clone()]);
            }
            Action::Workflow { file, .. } => positional.push(file.clone()),
            Action::Routes { .. } | Action::Deployed { .. } => v.push("--json".to_string()),
            Action::Check { short, .. } => {
                if *short {
                    v.extend(["--message-format".to_string(), "short".to_string()]);
                }
            }
            Action::Debug { .. } => {}
        }
        if !positional.is_empty() {
            v.push("--".to_string());
            v.extend(positional);
        }
        Some(v)
    }

    /// The argument vector after checking the action against the project: the `cws` line, or for
    /// `debug` cargo's build of the service's crate.
    pub fn checked_argv(&self, project: &Project) -> Result<Vec<String>, ActionError> {
        self.check(project)?;
        match self {
            Action::Debug { service, .. } => Ok(cargo_build_argv(&service_manifest(project, service)?)),
            _ => Ok(self.cws_argv().unwrap_or_default()),
        }
    }
}

/// cargo's build of one crate for the host, printing JSON messages on stdout (each artifact, with
/// the `executable` a service runs from) and the compiler's diagnostics rendered on stderr. `cws
/// run` and a debug session build a service with this line.
pub fn cargo_build_argv(manifest: &Path) -> Vec<String> {
    vec![
        "cargo".to_string(),
        "build".to_string(),
        "--manifest-path".to_string(),
        manifest.display().to_string(),
        "--message-format=json-render-diagnostics".to_string(),
    ]
}

/// The manifest of a service's crate, relative to the project root.
fn service_manifest(project: &Project, service: &str) -> Result<PathBuf, ActionError> {
    project
        .service_crate(service)
        .map(|dir| dir.join("Cargo.toml"))
        .ok_or_else(|| ActionError(format!("unknown service `{service}`")))
}

/// How a debugger starts a service: what to build, then the executable's arguments and environment.
/// It holds the stage's secret values (the service needs them, as under `cws run`): a face passes
/// them to the debugger and prints only their names ([`DebugLaunch::secrets`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebugLaunch {
    /// cargo's build of the service's crate (see [`cargo_build_argv`]), run in the project root.
    pub build: Vec<String>,
    /// The crate's manifest, absolute: the build's artifact from this manifest is the executable.
    pub manifest: PathBuf,
    /// The executable's arguments: where it listens (`--host`, `--port`), as `cws run` starts it.
    pub args: Vec<String>,
    /// The executable's environment: the stage's env files and `CWS_STAGE`, as `cws run` gives it.
    pub env: BTreeMap<String, String>,
    /// The names of the variables of `env` that come from `*.secret` files.
    pub secrets: Vec<String>,
    /// The directory to start it in: the project root.
    pub cwd: PathBuf,
}

/// How a debugger starts `service` in `stage` (checked against the project as the `debug` action).
pub fn debug_launch(project: &Project, service: &str, stage: &str) -> Result<DebugLaunch, ActionError> {
    let action = Action::Debug { service: service.to_string(), stage: stage.to_string() };
    let build = action.checked_argv(project)?;
    let env = project.stage_env(stage);
    let run = project.run_settings(stage, Some(service), &CliOptions::new());
    Ok(DebugLaunch {
        build,
        manifest: project.root().join(service_manifest(project, service)?),
        args: run.service_args(),
        secrets: env.secret_names(),
        env: project.local_env(stage, service),
        cwd: project.root().to_path_buf(),
    })
}

/// One line for a POSIX shell (sh, bash, zsh): every argument that is not made only of letters,
/// digits and `-_./:=@%+,` is single-quoted, so nothing in it is expanded (`$`, `` ` ``, `{a,b}`,
/// `{a..c}`, `*`, `~`, newlines).
pub fn shell_line(argv: &[String]) -> String {
    argv.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" ")
}

/// One argument quoted for a POSIX shell (see [`shell_line`]).
pub fn shell_quote(a: &str) -> String {
    let plain = !a.is_empty()
        && !a.starts_with('~')
        && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(a: &Action) -> String {
        shell_line(&a.cws_argv().unwrap())
    }

    #[test]
    fn each_action_is_one_command_line() {
        let run = Action::Run { service: "billing".into(), stage: "dev".into() };
        assert_eq!(argv(&run), "cws run -s dev -- billing");
        let deploy = Action::Deploy { service: "billing".into(), stage: "prod".into() };
        assert_eq!(argv(&deploy), "cws deploy -s prod -- billing");
        let invoke = Action::Invoke {
            service: "billing".into(),
            method: HttpMethod::Get,
            path: "/invoice/{id}".into(),
            stage: "dev".into(),
            query: vec![("page".into(), "2".into())],
            json: Some("{\"a\": 1}".into()),
        };
        assert_eq!(
            argv(&invoke),
            "cws invoke -s dev --query page=2 --json '{\"a\": 1}' -- billing GET '/invoice/{id}'"
        );
        let wf = Action::Workflow { file: "workflows/invoicing.cws.yml".into(), stage: "dev".into() };
        assert_eq!(argv(&wf), "cws workflow run -s dev -- workflows/invoicing.cws.yml");
        assert_eq!(argv(&Action::Routes { stage: None }), "cws routes --json");
        assert_eq!(argv(&Action::Routes { stage: Some("dev".into()) }), "cws routes -s dev --json");
        assert_eq!(argv(&Action::Check { stage: Some("dev".into()), short: false }), "cws check -s dev");
        assert_eq!(
            argv(&Action::Check { stage: Some("dev".into()), short: true }),
            "cws check -s dev --message-format short"
        );
        assert_eq!(
            argv(&Action::Build { service: "b".into(), stage: "dev".into() }),
            "cws build -s dev -- b"
        );
        assert_eq!(argv(&Action::Deployed { stage: None }), "cws deployed --json");
        assert_eq!(argv(&Action::Deployed { stage: Some("prod".into()) }), "cws deployed -s prod --json");
        assert_eq!(Action::Debug { service: "b".into(), stage: "dev".into() }.cws_argv(), None);
    }

    #[test]
    fn values_never_become_options_or_shell_syntax() {
        let a = Action::Run { service: "--endpoint=http://evil".into(), stage: "dev".into() };
        assert_eq!(a.cws_argv().unwrap()[4..], ["--".to_string(), "--endpoint=http://evil".to_string()]);
        for hostile in ["{a..c}", "{a,b}", "$(id)", "`id`", "a b", "it's", "~root", "*", "x\ny", ""] {
            let line = shell_quote(hostile);
            assert!(line.starts_with('\''), "{hostile:?} → {line}");
        }
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }

    #[test]
    fn hostile_names_of_the_project_give_no_command_line() {
        let mut p = Project::empty("/nonexistent-project-root");
        p.set_file_text(
            std::path::Path::new("project.cws.yml"),
            "version: 3\nworkspaces:\n  '--endpoint=http://evil': {}\n  '{a..c}': {}\n  dev: {}\n",
        );
        p.set_file_text(
            std::path::Path::new("src/main.rs"),
            "pub struct A;\n#[coworks::service(name = \"--endpoint=http://evil\")]\nimpl A {\n    #[entry] fn get(&self) {}\n}\npub struct B;\n#[coworks::service(name = \"{a..c}\")]\nimpl B {\n    #[entry] fn get(&self) {}\n}\npub struct Ok;\n#[coworks::service(name = \"ok\")]\nimpl Ok {\n    #[entry] fn get(&self) {}\n}\n",
        );
        for hostile in ["--endpoint=http://evil", "{a..c}"] {
            for action in [
                Action::Run { service: hostile.into(), stage: "dev".into() },
                Action::Run { service: "ok".into(), stage: hostile.into() },
                Action::Check { stage: Some(hostile.into()), short: false },
            ] {
                assert!(action.checked_argv(&p).is_err(), "{action:?}");
            }
        }
        let fine = Action::Run { service: "ok".into(), stage: "dev".into() };
        assert_eq!(fine.checked_argv(&p).unwrap(), ["cws", "run", "-s", "dev", "--", "ok"]);
    }

    #[test]
    fn actions_round_trip_as_json() {
        let a = Action::Invoke {
            service: "billing".into(),
            method: HttpMethod::Post,
            path: "/invoice".into(),
            stage: "dev".into(),
            query: vec![],
            json: None,
        };
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"action": "invoke", "service": "billing", "method": "POST", "path": "/invoice", "stage": "dev"})
        );
        assert_eq!(serde_json::from_value::<Action>(v).unwrap(), a);
        assert!(serde_json::from_value::<Action>(serde_json::json!({"action": "run", "nope": 1})).is_err());
    }
}
