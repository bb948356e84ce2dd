//! What `project.cws.yml` (version 3) says, with positions (read by [`read_project_config`](crate::config::read_project_config)):
//! stages, services, env files, and the effective options of a command by precedence.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::schema;
use crate::config::{Effective, Origin, Value};
use crate::text::{Span, Spanned};
use crate::yaml::{Node, NodeValue};

/// One option set in `project.cws.yml`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting {
    /// The (validated) value.
    pub value: Value,
    /// Where the option's key is written.
    pub key_span: Span,
    /// Where the value is written.
    pub span: Span,
}

/// Options by command, then by option name (only known commands and valid values).
pub type CommandOptions = BTreeMap<String, BTreeMap<String, Setting>>;

/// The settings of one service (`services.<name>`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceConfig {
    /// The service's name.
    pub name: String,
    /// Where the name is written.
    pub name_span: Span,
    /// The crate directory, relative to the project root.
    pub path: Option<Spanned<String>>,
    /// Command options for this service.
    pub commands: CommandOptions,
}

/// One entry of a stage's `env_files`: `.env.extra`, or `{path: ~/secrets/shop.env.secret, outside: true}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvFileEntry {
    /// The file, as written (relative to the project root; with `outside: true` also absolute or
    /// starting with `~/`).
    pub path: Spanned<String>,
    /// `outside: true`: the file may be outside the project. Only `cws run` and `cws deploy`, which
    /// run the project's code by design, read such a file; the editor, `cws check` and the generators
    /// never do.
    pub outside: bool,
}

/// The settings of one stage (`workspaces.<name>`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkspaceConfig {
    /// The stage's name.
    pub name: String,
    /// Where the name is written.
    pub name_span: Span,
    /// Whether the stage is production.
    pub production: bool,
    /// Env files the stage requires, each where it is listed.
    pub env_files: Vec<EnvFileEntry>,
    /// Command options for this stage.
    pub commands: CommandOptions,
}

/// What `project.cws.yml` says, with positions. Built by [`read_project_config`](crate::config::read_project_config).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProjectConfig {
    /// The file, relative to the project root (used in diagnostics).
    #[serde(serialize_with = "crate::text::lossy_path")]
    pub file: PathBuf,
    /// `version` (3 when valid).
    pub version: Option<Spanned<i64>>,
    /// `name`.
    pub name: Option<Spanned<String>>,
    /// `services`, in file order.
    pub services: Vec<ServiceConfig>,
    /// `commands`.
    pub commands: CommandOptions,
    /// `workspaces`, in file order; `None` when the file has no `workspaces` section.
    pub workspaces: Option<Vec<WorkspaceConfig>>,
    /// The YAML tree, for [`ProjectConfig::key_at`].
    #[serde(skip)]
    pub(crate) tree: Option<Node>,
}

/// The stage used when `project.cws.yml` defines none.
pub const DEFAULT_STAGE: &str = "dev";

impl ProjectConfig {
    /// The configuration of a project without `project.cws.yml`: one stage, `dev`; defaults only.
    pub fn empty(file: &Path) -> Self {
        ProjectConfig { file: file.to_path_buf(), ..Default::default() }
    }

    /// Stage names in file order; `["dev"]` when there is no (or an empty) `workspaces` section.
    pub fn stages(&self) -> Vec<String> {
        match &self.workspaces {
            Some(ws) if !ws.is_empty() => ws.iter().map(|w| w.name.clone()).collect(),
            _ => vec![DEFAULT_STAGE.to_string()],
        }
    }

    /// The workspace of `stage`, if the file defines it.
    pub fn workspace(&self, stage: &str) -> Option<&WorkspaceConfig> {
        self.workspaces.as_ref()?.iter().find(|w| w.name == stage)
    }

    /// The settings of `service`, if the file has any.
    pub fn service(&self, service: &str) -> Option<&ServiceConfig> {
        self.services.iter().find(|s| s.name == service)
    }

    /// Whether `stage` is marked `production: true`.
    pub fn is_production(&self, stage: &str) -> bool {
        self.workspace(stage).is_some_and(|w| w.production)
    }

    /// The crate directory configured for `service`.
    pub fn service_path(&self, service: &str) -> Option<&str> {
        self.service(service)?.path.as_ref().map(|p| p.value.as_str())
    }

    /// Every service named under `services`, with where its name is written.
    pub fn configured_services(&self) -> Vec<(String, Span)> {
        self.services.iter().map(|s| (s.name.clone(), s.name_span)).collect()
    }

    /// The env files `stage` requires, with where each is listed.
    pub fn required_env_files(&self, stage: &str) -> Vec<(String, Span)> {
        self.env_file_entries(stage).iter().map(|f| (f.path.value.clone(), f.path.span)).collect()
    }

    /// The entries of `stage`'s `env_files`.
    pub fn env_file_entries(&self, stage: &str) -> &[EnvFileEntry] {
        self.workspace(stage).map(|w| w.env_files.as_slice()).unwrap_or_default()
    }

    /// Effective options of `command` for `stage` (and optionally a service), with precedence
    /// cli > `services.<svc>.commands` > `workspaces.<stage>.commands` > `commands` > schema default.
    /// A higher layer replaces an option's whole value (mappings are not merged).
    pub fn effective_options(
        &self,
        command: &str,
        stage: &str,
        service: Option<&str>,
        cli: &BTreeMap<String, Value>,
    ) -> BTreeMap<String, Effective> {
        let mut out = BTreeMap::new();
        if let Some(spec) = schema::command(command) {
            for o in spec.options {
                if let Some(value) = o.default_value() {
                    out.insert(o.name.to_string(), Effective { value, origin: Origin::Default, span: None });
                }
            }
        }
        let mut layer = |options: &CommandOptions, origin: Origin| {
            for (name, s) in options.get(command).into_iter().flatten() {
                out.insert(name.clone(), Effective { value: s.value.clone(), origin, span: Some(s.span) });
            }
        };
        layer(&self.commands, Origin::Commands);
        if let Some(ws) = self.workspace(stage) {
            layer(&ws.commands, Origin::Workspace);
        }
        if let Some(svc) = service.and_then(|s| self.service(s)) {
            layer(&svc.commands, Origin::Service);
        }
        for (name, value) in cli {
            out.insert(name.clone(), Effective { value: value.clone(), origin: Origin::Cli, span: None });
        }
        out
    }

    /// The key path at byte `offset` (e.g. `["workspaces", "dev", "commands", "run", "port"]`) and the
    /// span of what is there: the key itself, or the value (for a list item: the item) under it.
    pub fn key_at(&self, offset: usize) -> Option<(Vec<String>, Span)> {
        let mut node = self.tree.as_ref()?;
        let mut path = Vec::new();
        let mut found = None;
        let within = |s: &Span| s.start.offset <= offset && offset <= s.end.offset;
        'descend: loop {
            match &node.value {
                NodeValue::Mapping(entries) => {
                    for (k, v) in entries {
                        if within(&k.span) && k.span.start != k.span.end {
                            path.push(k.text.clone());
                            return Some((path, k.span));
                        }
                        if within(&v.span) && v.span.start != v.span.end {
                            path.push(k.text.clone());
                            found = Some((path.clone(), v.span));
                            node = v;
                            continue 'descend;
                        }
                    }
                    return found;
                }
                NodeValue::Sequence(items) => {
                    for item in items {
                        if within(&item.span) {
                            found = Some((path.clone(), item.span));
                            node = item;
                            continue 'descend;
                        }
                    }
                    return found;
                }
                _ => return found,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::read_project_config;
    use crate::diagnostics::{Diagnostic, DiagnosticCode};

    const EXAMPLE: &str = "\
version: 3
name: eshop
services:
  billing:
    path: services/billing
    commands: { deploy: { memory: 512 } }
commands:
  run: { port: 8000, host: 127.0.0.1 }
  deploy: { region: eu-west-1, memory: 256, timeout: 30 }
workspaces:
  dev:
    env_files: [.env.dev]
    commands: { run: { port: 8001 } }
  prod:
    production: true
    commands: { deploy: { memory: 1024 } }
";

    fn read(text: &str) -> (ProjectConfig, Vec<Diagnostic>) {
        read_project_config(text, Path::new("project.cws.yml"))
    }

    /// The one diagnostic of `text`: its code, 0-based line and col, and message.
    fn one(text: &str) -> (DiagnosticCode, u32, u32, String) {
        let (_, d) = read(text);
        assert_eq!(d.len(), 1, "{d:#?}");
        (d[0].code, d[0].span.start.line, d[0].span.start.col, d[0].message.clone())
    }

    #[test]
    fn reads_the_example() {
        let (c, d) = read(EXAMPLE);
        assert!(d.is_empty(), "{d:#?}");
        assert_eq!(c.version.as_ref().map(|v| v.value), Some(3));
        assert_eq!(c.name.as_ref().map(|n| n.value.as_str()), Some("eshop"));
        assert_eq!(c.stages(), vec!["dev", "prod"]);
        assert!(c.is_production("prod") && !c.is_production("dev") && !c.is_production("nope"));
        assert_eq!(c.service_path("billing"), Some("services/billing"));
        assert_eq!(c.service_path("other"), None);
        let svcs = c.configured_services();
        assert_eq!(svcs[0].0, "billing");
        assert_eq!((svcs[0].1.start.line, svcs[0].1.start.col), (3, 2));
        let env = c.required_env_files("dev");
        assert_eq!(env[0].0, ".env.dev");
        assert_eq!((env[0].1.start.line, env[0].1.start.col), (11, 16));
        assert!(c.required_env_files("prod").is_empty());
    }

    #[test]
    fn no_workspaces_means_one_dev_stage() {
        let (c, d) = read("version: 3\n");
        assert!(d.is_empty());
        assert_eq!(c.stages(), vec!["dev"]);
        assert_eq!(ProjectConfig::empty(Path::new("p")).stages(), vec!["dev"]);
    }

    #[test]
    fn precedence_of_effective_options() {
        let (c, _) = read(EXAMPLE);
        let none = BTreeMap::new();
        let run = c.effective_options("run", "dev", None, &none);
        assert_eq!(run["port"].value, Value::Int(8001));
        assert_eq!(run["port"].origin, Origin::Workspace);
        assert_eq!(run["host"].origin, Origin::Commands);
        let run = c.effective_options("run", "prod", None, &none);
        assert_eq!((run["port"].value.clone(), run["port"].origin), (Value::Int(8000), Origin::Commands));

        let deploy = c.effective_options("deploy", "prod", Some("billing"), &none);
        assert_eq!(
            (deploy["memory"].value.clone(), deploy["memory"].origin),
            (Value::Int(512), Origin::Service)
        );
        assert_eq!(deploy["region"].value, Value::Str("eu-west-1".into()));
        assert_eq!(
            (deploy["tracing"].value.clone(), deploy["tracing"].origin),
            (Value::Bool(false), Origin::Default)
        );
        assert!(deploy["memory"].span.is_some() && deploy["tracing"].span.is_none());
        let deploy = c.effective_options("deploy", "prod", Some("other"), &none);
        assert_eq!(
            (deploy["memory"].value.clone(), deploy["memory"].origin),
            (Value::Int(1024), Origin::Workspace)
        );
        let deploy = c.effective_options("deploy", "dev", None, &none);
        assert_eq!(deploy["memory"].origin, Origin::Commands);

        let cli = BTreeMap::from([("memory".to_string(), Value::Int(2048))]);
        let deploy = c.effective_options("deploy", "prod", Some("billing"), &cli);
        assert_eq!(
            (deploy["memory"].value.clone(), deploy["memory"].origin),
            (Value::Int(2048), Origin::Cli)
        );

        let fresh = ProjectConfig::empty(Path::new("p"));
        let run = fresh.effective_options("run", "dev", None, &none);
        assert_eq!(run["port"].value, Value::Int(8000));
        assert_eq!(run["host"].value.to_string(), "127.0.0.1");
        assert!(!run.contains_key("url"));
    }

    #[test]
    fn version_missing_or_wrong() {
        let (code, line, col, msg) = one("name: x\n");
        assert_eq!((code, line, col), (DiagnosticCode::ConfigVersion, 0, 0));
        assert!(msg.contains("missing"));
        let (code, line, col, msg) = one("name: x\nversion: 2\n");
        assert_eq!((code, line, col), (DiagnosticCode::ConfigVersion, 1, 9));
        assert!(msg.contains("`2`"), "{msg}");
        assert_eq!(one("version: '3'\n").0, DiagnosticCode::ConfigVersion);
        assert_eq!(one("").0, DiagnosticCode::ConfigVersion);
    }

    #[test]
    fn unknown_keys_at_every_level() {
        let (code, line, col, msg) = one("version: 3\nworkspace:\n  dev: {}\n");
        assert_eq!((code, line, col), (DiagnosticCode::ConfigUnknownKey, 1, 0));
        assert!(msg.contains("did you mean `workspaces`?"), "{msg}");
        let (code, line, col, msg) = one("version: 3\nworkspaces:\n  dev:\n    env_file: [.env]\n");
        assert_eq!((code, line, col), (DiagnosticCode::ConfigUnknownKey, 3, 4));
        assert!(msg.contains("did you mean `env_files`?"), "{msg}");
        let (code, line, col, msg) = one("version: 3\nservices:\n  é😀:\n    paht: x\n");
        assert_eq!((code, line, col), (DiagnosticCode::ConfigUnknownKey, 3, 4));
        assert!(msg.contains("`path`"), "{msg}");
        let (_, _, _, msg) = one("version: 3\nzzzzzz: 1\n");
        assert!(!msg.contains("did you mean"), "{msg}");
        let (_, _, _, msg) = one("version: 3\nrun: {port: 1}\n");
        assert!(msg.contains("under `commands:`"), "{msg}");
        let (code, line, col, _) = one("version: 3\nversion: 3\n");
        assert_eq!((code, line, col), (DiagnosticCode::ConfigUnknownKey, 1, 0));
    }

    #[test]
    fn unknown_commands_and_options() {
        let (code, line, col, msg) = one("version: 3\ncommands:\n  deplyo: {}\n");
        assert_eq!((code, line, col), (DiagnosticCode::ConfigUnknownOption, 2, 2));
        assert!(msg.contains("did you mean `deploy`?"), "{msg}");
        let (code, line, col, msg) = one("version: 3\ncommands:\n  run: { prot: 1 }\n");
        assert_eq!((code, line, col), (DiagnosticCode::ConfigUnknownOption, 2, 9));
        assert!(msg.contains("did you mean `port`?"), "{msg}");
        let (code, line, col, _) =
            one("version: 3\nworkspaces:\n  dev:\n    commands: { deploy: { tags: {é😀: 中文}, vpc: { subnets: [] } } }\n");
        assert_eq!((code, line, col), (DiagnosticCode::ConfigUnknownOption, 3, 49));
    }

    #[test]
    fn bad_values_say_what_is_expected() {
        let (code, line, col, msg) = one("version: 3\ncommands:\n  run: { port: 70000 }\n");
        assert_eq!((code, line, col), (DiagnosticCode::ConfigValueType, 2, 15));
        assert!(msg.contains("from 1 to 65535"), "{msg}");
        let (code, line, col, msg) = one("version: 3\ncommands:\n  run:\n    port: \"8000\"\n");
        assert_eq!((code, line, col), (DiagnosticCode::ConfigValueType, 3, 10));
        assert!(msg.contains("expects an integer") && msg.contains("found text"), "{msg}");
        let (_, _, _, msg) = one("version: 3\ncommands:\n  build: { architecture: arm46 }\n");
        assert!(msg.contains("did you mean `arm64`?"), "{msg}");
        let (code, line, col, _) = one("version: 3\ncommands:\n  deploy: { layers: [a, [b]] }\n");
        assert_eq!((code, line, col), (DiagnosticCode::ConfigValueType, 2, 24));
        let (code, line, col, _) = one("version: 3\nworkspaces:\n  prod: { production: yes }\n");
        assert_eq!((code, line, col), (DiagnosticCode::ConfigValueType, 2, 22));
        let (code, line, col, _) = one("version: 3\nworkspaces:\n  dev: { env_files: .env }\n");
        assert_eq!((code, line, col), (DiagnosticCode::ConfigValueType, 2, 20));
        let (code, line, col, _) = one("version: 3\ncommands: [run]\n");
        assert_eq!((code, line, col), (DiagnosticCode::ConfigValueType, 1, 10));
        let (code, line, col, _) = one("version: 3\nworkspaces:\n  ../x: {}\n");
        assert_eq!((code, line, col), (DiagnosticCode::ConfigValueType, 2, 2));
    }

    #[test]
    fn syntax_error_is_reported_where_it_is_and_the_rest_kept() {
        let text = "version: 3\nworkspaces:\n  dev: {}\ncommands:\n  run: { port: 8001\n";
        let (c, d) = read(text);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].code, DiagnosticCode::ConfigSyntax);
        assert!(d[0].span.start.line >= 4, "{:?}", d[0].span);
        assert_eq!(c.stages(), vec!["dev"]);
        assert_eq!(c.effective_options("run", "dev", None, &BTreeMap::new())["port"].value, Value::Int(8001));
        let (code, line, col, _) = one("version: 3\nname: 'x\n");
        assert_eq!(code, DiagnosticCode::ConfigSyntax);
        assert!(line >= 1, "{line}:{col}");
    }

    #[test]
    fn a_bad_value_does_not_lose_the_rest() {
        let text = "version: 3\ncommands:\n  deploy: { memory: lots, timeout: 60, region: x }\n";
        let (c, d) = read(text);
        assert_eq!(d.len(), 1);
        let eff = c.effective_options("deploy", "dev", None, &BTreeMap::new());
        assert_eq!(eff["memory"].origin, Origin::Default);
        assert_eq!(eff["timeout"].value, Value::Int(60));
    }

    #[test]
    fn bomb_in_config_is_cws017() {
        let mut text = String::from("version: 3\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![format!("*a{}", i - 1); 10].join(",")));
        }
        let t = std::time::Instant::now();
        let (_, d) = read(&text);
        assert!(t.elapsed().as_secs() < 2);
        assert!(d.iter().any(|d| d.code == DiagnosticCode::ConfigTooComplex));
    }

    #[test]
    fn key_at_gives_the_path_and_hover_text() {
        let (c, _) = read(EXAMPLE);
        let off = EXAMPLE.find("port: 8001").unwrap();
        let (path, span) = c.key_at(off + 1).unwrap();
        assert_eq!(path, vec!["workspaces", "dev", "commands", "run", "port"]);
        assert_eq!(&EXAMPLE[span.start.offset..span.end.offset], "port");
        let doc = schema::describe_key(&path).unwrap();
        assert!(doc.contains("`port`") && doc.contains("65535") && doc.contains("8000"), "{doc}");

        let (path, span) = c.key_at(off + 7).unwrap();
        assert_eq!(path.last().map(String::as_str), Some("port"));
        assert_eq!(&EXAMPLE[span.start.offset..span.end.offset], "8001");

        let off = EXAMPLE.find("memory: 512").unwrap();
        let (path, _) = c.key_at(off).unwrap();
        assert_eq!(path, vec!["services", "billing", "commands", "deploy", "memory"]);
        let (path, _) = c.key_at(EXAMPLE.find(".env.dev").unwrap()).unwrap();
        assert_eq!(path, vec!["workspaces", "dev", "env_files"]);
        assert!(schema::describe_key(&path).unwrap().contains("env_files"));
        let (path, _) = c.key_at(1).unwrap();
        assert_eq!(path, vec!["version"]);
        assert!(schema::describe_key(&path).unwrap().contains("`3`"));
        assert!(schema::describe_key(&["commands".into(), "deploy".into()]).unwrap().contains("Options"));
        assert!(schema::describe_key(&[
            "commands".into(),
            "deploy".into(),
            "vpc".into(),
            "subnet_ids".into()
        ])
        .unwrap()
        .contains("vpc.subnet_ids"));
        assert!(schema::describe_key(&["nope".into()]).is_none());
    }
}
