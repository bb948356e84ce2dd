//! The commands code lenses carry, and what `workspace/executeCommand` answers for them: each maps
//! 1:1 to a `cws` command line.
//!
//! | command          | argument (one JSON object)                   | command line                              |
//! |------------------|----------------------------------------------|-------------------------------------------|
//! | `coworks.run`    | `{"service", "stage"}`                       | `cws run <service> -s <stage>`            |
//! | `coworks.deploy` | `{"service", "stage", "production"}`         | `cws deploy <service> -s <stage>`         |
//! | `coworks.invoke` | `{"service", "method", "path", "stage"}`     | `cws invoke <service> <METHOD> <path> -s <stage>` |
//! | `coworks.routes` | `{"stage"}` (`null` for every stage)         | `cws routes [-s <stage>] --json`          |

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
/// Every command the server executes.
pub const ALL: [&str; 4] = [RUN, DEPLOY, INVOKE, ROUTES];

/// The argument of a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The service (`run`, `deploy`, `invoke`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The HTTP method (`invoke`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<HttpMethod>,
    /// The route's path template, `{params}` as in the route (`invoke`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The stage; for `routes`, `null` means every stage.
    #[serde(default)]
    pub stage: Option<String>,
    /// Whether the stage is marked `production: true` (`deploy`), so that clients ask first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production: Option<bool>,
}

/// What `workspace/executeCommand` answers: the command line to run, split and joined, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invocation {
    /// The argument vector, `cws` first.
    pub argv: Vec<String>,
    /// The same, as one shell-quoted line.
    pub command: String,
    /// The directory to run it in: the project root.
    pub cwd: String,
}

/// A lens command.
pub fn command(title: String, id: &str, args: &Args) -> Command {
    Command {
        title,
        command: id.to_string(),
        arguments: Some(vec![serde_json::to_value(args).unwrap_or(Value::Null)]),
    }
}

/// The `cws` argument vector of a command, checked against the project (the service, stage and
/// route must exist). The error says what is wrong.
pub fn argv(project: &Project, id: &str, args: &Args) -> Result<Vec<String>, String> {
    let stages = project.stages();
    let check_stage = |s: &Option<String>| -> Result<String, String> {
        let s = s.clone().ok_or("missing `stage`")?;
        if stages.contains(&s) {
            Ok(s)
        } else {
            Err(format!("unknown stage `{s}` (stages: {})", stages.join(", ")))
        }
    };
    let check_service = |s: &Option<String>| -> Result<String, String> {
        let s = s.clone().ok_or("missing `service`")?;
        if project.services(None).iter().any(|x| x.name == s) {
            Ok(s)
        } else {
            Err(format!("unknown service `{s}`"))
        }
    };
    let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    match id {
        RUN | DEPLOY => {
            let service = check_service(&args.service)?;
            let stage = check_stage(&args.stage)?;
            let verb = if id == RUN { "run" } else { "deploy" };
            Ok(own(&["cws", verb, &service, "-s", &stage]))
        }
        INVOKE => {
            let service = check_service(&args.service)?;
            let stage = check_stage(&args.stage)?;
            let method = args.method.ok_or("missing `method`")?;
            let path = args.path.clone().ok_or("missing `path`")?;
            let exists = project
                .services(Some(&stage))
                .iter()
                .filter(|s| s.name == service)
                .flat_map(|s| &s.entries)
                .any(|e| e.route.method == method && e.route.path == path);
            if !exists {
                return Err(format!("service `{service}` has no entry `{method} {path}` in stage `{stage}`"));
            }
            Ok(own(&["cws", "invoke", &service, method.as_str(), &path, "-s", &stage]))
        }
        ROUTES => {
            let mut v = own(&["cws", "routes"]);
            if args.stage.is_some() {
                let stage = check_stage(&args.stage)?;
                v.extend(own(&["-s", &stage]));
            }
            v.push("--json".to_string());
            Ok(v)
        }
        other => Err(format!("unknown command `{other}` (known: {})", ALL.join(", "))),
    }
}

/// One shell-quoted line for an argument vector (POSIX single quotes where needed).
pub fn shell_line(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            let plain =
                !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./{}:=@%+".contains(c));
            if plain {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_route_templates_readable() {
        let v = ["cws", "invoke", "billing", "GET", "/invoice/{id}", "-s", "dev"].map(String::from);
        assert_eq!(shell_line(&v), "cws invoke billing GET /invoice/{id} -s dev");
        assert_eq!(shell_line(&["a b".to_string(), "it's".to_string()]), "'a b' 'it'\\''s'");
    }

    #[test]
    fn args_round_trip_and_reject_unknown_fields() {
        let a = Args {
            service: Some("billing".into()),
            method: Some(HttpMethod::Get),
            path: None,
            stage: None,
            production: None,
        };
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v, serde_json::json!({"service": "billing", "method": "GET", "stage": null}));
        assert!(serde_json::from_value::<Args>(serde_json::json!({"nope": 1})).is_err());
    }
}
