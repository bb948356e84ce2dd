//! `cws config`: the effective options of every command for one stage, and where each comes from.

use std::collections::BTreeMap;

use coworks_core::config::{schema, Origin, ProjectConfig};

/// Effective options of every command of the schema, for `stage` and optionally one service.
pub fn effective(
    config: &ProjectConfig,
    stage: &str,
    service: Option<&str>,
) -> BTreeMap<&'static str, BTreeMap<String, coworks_core::config::Effective>> {
    let none = BTreeMap::new();
    schema::COMMANDS
        .iter()
        .map(|c| (c.name, config.effective_options(c.name, stage, service, &none)))
        .collect()
}

/// Prints the options as `command.option = value  (origin, line)`.
pub fn print(options: &BTreeMap<&'static str, BTreeMap<String, coworks_core::config::Effective>>) {
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
            println!("{command}.{name} = {}  ({origin}{line})", e.value);
        }
    }
}
