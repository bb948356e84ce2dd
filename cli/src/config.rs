//! `cws config`: the effective options of every command for one stage, and where each comes from.

use std::collections::BTreeMap;

use coworks_core::config::{Effective, Origin};
use coworks_core::Project;

use crate::output::{escape, outln};

/// Effective options of every command of the schema, for `stage` and optionally one service.
pub fn effective(
    project: &Project,
    stage: &str,
    service: Option<&str>,
) -> BTreeMap<&'static str, BTreeMap<String, Effective>> {
    project.all_options(stage, service).into_iter().map(|(c, o)| (c, o.all().clone())).collect()
}

/// Prints the options as `command.option = value  (origin, line)`.
pub fn print(options: &BTreeMap<&'static str, BTreeMap<String, Effective>>) {
    for (command, opts) in options {
        for (name, e) in opts {
            let origin = match e.origin {
                Origin::Cli => "command line",
                Origin::Service => "services.<service>.commands",
                Origin::Workspace => "workspaces.<stage>.commands",
                Origin::Commands => "commands",
                Origin::Default => "default",
            };
            let line = e.span.map(|s| format!(", project.cws.yml:{}", s.start.line + 1)).unwrap_or_default();
            outln!("{command}.{name} = {}  ({origin}{line})", escape(&e.value.to_string()));
        }
    }
}
