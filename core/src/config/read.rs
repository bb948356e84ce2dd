//! Reading `project.cws.yml`: the positioned YAML tree validated against the
//! [schema](crate::config::schema) fills a [`ProjectConfig`]; unknown keys, commands, options and bad
//! values are reported.

use std::collections::BTreeMap;
use std::path::Path;

use crate::config::project::{
    CommandOptions, EnvFileEntry, ProjectConfig, ServiceConfig, Setting, WorkspaceConfig,
};
use crate::config::schema::{self, CommandSpec, KeySpec, OptionSpec, OptionType};
use crate::config::Value;
use crate::diagnostics::{Diagnostic, DiagnosticCode, Edit, Fix};
use crate::suggest::{closest, did_you_mean};
use crate::text::{ByteRange, Span, Spanned};
use crate::yaml::{self, Key, Node, NodeValue, YamlErrorKind};

/// Reads `project.cws.yml`. `file` is the path relative to the project root, used in diagnostics.
/// Never fails: whatever can be read is kept, every problem is a diagnostic.
pub fn read_project_config(text: &str, file: &Path) -> (ProjectConfig, Vec<Diagnostic>) {
    let parsed = yaml::parse(text);
    let diags = parsed.errors.iter().map(|e| e.to_diagnostic(file, yaml_code(e.kind))).collect();
    let mut r = Reader { file, diags };
    let mut config = ProjectConfig::empty(file);
    let zero = Span::default();
    if let Some(root) = &parsed.root {
        match root.entries() {
            Some(entries) => r.top(&entries, &mut config),
            None if root.value == NodeValue::Null => {}
            None => r.type_error(root, "a mapping with `version: 3` at the top"),
        }
    }
    let too_complex = r.diags.iter().any(|d| d.code == DiagnosticCode::ConfigTooComplex);
    if config.version.is_none()
        && !parsed.syntax_error
        && !too_complex
        && !r.diags.iter().any(|d| d.code == DiagnosticCode::ConfigVersion)
    {
        r.push(DiagnosticCode::ConfigVersion, zero, "`version: 3` is missing".to_string());
        let flow = parsed.root.as_ref().is_some_and(|root| {
            text.get(root.span.start.offset..).is_some_and(|t| t.starts_with(['{', '[']))
        });
        if !flow {
            r.fix(Fix::safe("Add `version: 3`", vec![Edit::insert(file, 0, "version: 3\n")]));
        }
    }
    config.tree = parsed.root;
    (config, r.diags)
}

/// The code of a YAML problem in `project.cws.yml`.
fn yaml_code(kind: YamlErrorKind) -> DiagnosticCode {
    match kind {
        YamlErrorKind::Syntax => DiagnosticCode::ConfigSyntax,
        YamlErrorKind::Key => DiagnosticCode::ConfigUnknownKey,
        YamlErrorKind::Limit(_) => DiagnosticCode::ConfigTooComplex,
    }
}

/// Walks the tree, collecting diagnostics.
struct Reader<'a> {
    file: &'a Path,
    diags: Vec<Diagnostic>,
}

fn names(keys: &[KeySpec]) -> impl Iterator<Item = &'static str> + '_ {
    keys.iter().map(|k| k.name)
}

impl Reader<'_> {
    fn push(&mut self, code: DiagnosticCode, span: Span, message: String) {
        self.diags.push(Diagnostic::new(code, self.file, span, message));
    }

    /// Adds a fix to the diagnostic pushed last.
    fn fix(&mut self, fix: Fix) {
        if let Some(d) = self.diags.last_mut() {
            d.add_fixes([fix]);
        }
    }

    /// Adds "replace `written` with the closest of `candidates`" to the diagnostic pushed last.
    fn fix_closest<'c>(&mut self, written: &str, span: Span, candidates: impl IntoIterator<Item = &'c str>) {
        if let Some(near) = closest(written, candidates) {
            let range = ByteRange::new(span.start.offset, span.end.offset);
            self.fix(Fix::replace(self.file, range, written, near, true));
        }
    }

    fn type_error(&mut self, node: &Node, expected: &str) {
        let span = node.span;
        self.push(
            DiagnosticCode::ConfigValueType,
            span,
            format!("expected {expected}, found {}", node.kind()),
        );
    }

    fn unknown_key(&mut self, key: &Key, keys: &[KeySpec], place: &str) {
        let hint = did_you_mean(&key.text, names(keys));
        let msg = format!("unknown key `{}` {place}{hint}", key.text);
        self.push(DiagnosticCode::ConfigUnknownKey, key.span, msg);
        self.fix_closest(&key.text, key.span, names(keys));
    }

    /// Entries of a mapping node; `None` (no report) for null, a report for any other kind.
    fn mapping<'n>(&mut self, node: &'n Node, expected: &str) -> Option<Vec<&'n (Key, Node)>> {
        match node.entries() {
            Some(e) => Some(e),
            None if node.value == NodeValue::Null => None,
            None => {
                self.type_error(node, expected);
                None
            }
        }
    }

    fn text(&mut self, node: &Node) -> Option<Spanned<String>> {
        match node.to_value() {
            Value::Str(s) => Some(Spanned { value: s, span: node.span }),
            Value::Int(_) | Value::Float(_) => match &node.value {
                NodeValue::Scalar(s, _) => Some(Spanned { value: s.clone(), span: node.span }),
                _ => None,
            },
            _ => {
                self.type_error(node, "text");
                None
            }
        }
    }

    fn top(&mut self, entries: &[&(Key, Node)], config: &mut ProjectConfig) {
        for (key, value) in entries.iter().map(|e| (&e.0, &e.1)) {
            match key.text.as_str() {
                "version" => match value.to_value() {
                    Value::Int(3) => config.version = Some(Spanned { value: 3, span: value.span }),
                    _ => {
                        let found = match &value.value {
                            NodeValue::Scalar(s, _) => format!("`{s}`"),
                            _ => value.kind().to_string(),
                        };
                        let span = if value.span.start == value.span.end { key.span } else { value.span };
                        self.push(
                            DiagnosticCode::ConfigVersion,
                            span,
                            format!("expected `version: 3`, found {found}"),
                        );
                    }
                },
                "name" => config.name = self.text(value),
                "services" => {
                    for (name, svc) in
                        self.mapping(value, "a mapping of service names to settings").unwrap_or_default()
                    {
                        config.services.push(self.service(name, svc));
                    }
                }
                "commands" => config.commands = self.commands(value),
                "workspaces" => {
                    let mut list = Vec::new();
                    for (name, ws) in
                        self.mapping(value, "a mapping of stage names to settings").unwrap_or_default()
                    {
                        list.push(self.workspace(name, ws));
                    }
                    config.workspaces = Some(list);
                }
                other => {
                    if schema::command(other).is_some() {
                        let msg = format!("unknown key `{other}` at the top level; options of `cws {other}` go under `commands:`");
                        self.push(DiagnosticCode::ConfigUnknownKey, key.span, msg);
                    } else {
                        self.unknown_key(key, schema::TOP_KEYS, "at the top level");
                    }
                }
            }
        }
    }

    fn service(&mut self, name: &Key, node: &Node) -> ServiceConfig {
        let mut svc = ServiceConfig {
            name: name.text.clone(),
            name_span: name.span,
            path: None,
            commands: CommandOptions::new(),
        };
        for (key, value) in self.mapping(node, "a mapping of service settings").unwrap_or_default() {
            match key.text.as_str() {
                "path" => svc.path = self.text(value),
                "commands" => svc.commands = self.commands(value),
                _ => self.unknown_key(key, schema::SERVICE_KEYS, &format!("in service `{}`", name.text)),
            }
        }
        svc
    }

    fn workspace(&mut self, name: &Key, node: &Node) -> WorkspaceConfig {
        let mut ws = WorkspaceConfig {
            name: name.text.clone(),
            name_span: name.span,
            production: false,
            env_files: Vec::new(),
            commands: CommandOptions::new(),
        };
        if let Some(msg) = crate::naming::stage_name_problem(&name.text) {
            self.push(DiagnosticCode::ConfigValueType, name.span, msg);
        }
        for (key, value) in self.mapping(node, "a mapping of stage settings").unwrap_or_default() {
            match key.text.as_str() {
                "production" => match value.to_value() {
                    Value::Bool(b) => ws.production = b,
                    _ => self.type_error(value, "`true` or `false`"),
                },
                "env_files" => match &value.value {
                    NodeValue::Sequence(items) => {
                        ws.env_files.extend(items.iter().filter_map(|item| self.env_file_entry(item)));
                    }
                    NodeValue::Null => {}
                    _ => self.type_error(value, "a list of file names, e.g. `[.env.dev]`"),
                },
                "commands" => ws.commands = self.commands(value),
                _ => self.unknown_key(key, schema::WORKSPACE_KEYS, &format!("in workspace `{}`", name.text)),
            }
        }
        ws
    }

    /// One item of `env_files`: a file name, or `{path: NAME, outside: true}`.
    fn env_file_entry(&mut self, item: &Node) -> Option<EnvFileEntry> {
        let Some(entries) = item.entries() else {
            return self.text(item).map(|path| EnvFileEntry { path, outside: false });
        };
        let (mut path, mut outside) = (None, false);
        for (key, value) in entries.iter().map(|e| (&e.0, &e.1)) {
            match key.text.as_str() {
                "path" => path = self.text(value),
                "outside" => match value.to_value() {
                    Value::Bool(b) => outside = b,
                    _ => self.type_error(value, "`true` or `false`"),
                },
                _ => {
                    let hint = did_you_mean(&key.text, ["path", "outside"]);
                    let msg = format!(
                        "unknown key `{}` in an `env_files` item (`path`, `outside`){hint}",
                        key.text
                    );
                    self.push(DiagnosticCode::ConfigUnknownKey, key.span, msg);
                }
            }
        }
        if path.is_none() && !entries.iter().any(|e| e.0.text == "path") {
            self.push(
                DiagnosticCode::ConfigValueType,
                item.span,
                "an `env_files` item needs `path` (e.g. `{path: ~/secrets/shop.env.secret, outside: true}`)"
                    .into(),
            );
        }
        path.map(|path| EnvFileEntry { path, outside })
    }

    fn commands(&mut self, node: &Node) -> CommandOptions {
        let mut out = CommandOptions::new();
        for (key, value) in self.mapping(node, "a mapping of commands to their options").unwrap_or_default() {
            let Some(spec) = schema::command(&key.text) else {
                let hint = did_you_mean(&key.text, schema::COMMANDS.iter().map(|c| c.name));
                self.push(
                    DiagnosticCode::ConfigUnknownOption,
                    key.span,
                    format!("unknown command `{}`{hint}", key.text),
                );
                self.fix_closest(&key.text, key.span, schema::COMMANDS.iter().map(|c| c.name));
                continue;
            };
            let options = self.options(spec, value);
            out.insert(spec.name.to_string(), options);
        }
        out
    }

    fn options(&mut self, spec: &CommandSpec, node: &Node) -> BTreeMap<String, Setting> {
        let mut out = BTreeMap::new();
        let expected = format!("a mapping of options of `cws {}`", spec.name);
        for (key, value) in self.mapping(node, &expected).unwrap_or_default() {
            let Some(o) = spec.option(&key.text) else {
                let hint = did_you_mean(&key.text, spec.options.iter().map(|o| o.name));
                let msg = format!("unknown option `{}` of command `{}`{hint}", key.text, spec.name);
                self.push(DiagnosticCode::ConfigUnknownOption, key.span, msg);
                self.fix_closest(&key.text, key.span, spec.options.iter().map(|o| o.name));
                continue;
            };
            if let Some(v) = self.check(o, value) {
                out.insert(o.name.to_string(), Setting { value: v, key_span: key.span, span: value.span });
            }
        }
        out
    }

    /// The value of option `o` if `node` is valid for it; reports it otherwise.
    fn check(&mut self, o: &OptionSpec, node: &Node) -> Option<Value> {
        let bad = |r: &mut Self, at: &Node| {
            let msg = format!("`{}` expects {}, found {}", o.name, o.ty.describe(), at.kind());
            r.push(DiagnosticCode::ConfigValueType, at.span, msg);
            None
        };
        let value = node.to_value();
        match o.ty {
            OptionType::Int { min, max } => match value {
                Value::Int(i) if min.is_none_or(|m| i >= m) && max.is_none_or(|m| i <= m) => Some(value),
                Value::Int(i) => {
                    let msg = format!("`{}` is {i}, expected {}", o.name, o.ty.describe());
                    self.push(DiagnosticCode::ConfigValueType, node.span, msg);
                    let nearest = if min.is_some_and(|m| i < m) { min } else { max };
                    if let Some(n) = nearest {
                        let range = ByteRange::new(node.span.start.offset, node.span.end.offset);
                        let which = if Some(n) == min { "smallest" } else { "largest" };
                        let title = format!("Set `{}` to {n} (the {which} allowed)", o.name);
                        self.fix(Fix::safe(title, vec![Edit::new(self.file, range, n.to_string())]));
                    }
                    None
                }
                _ => bad(self, node),
            },
            OptionType::Bool => match value {
                Value::Bool(_) => Some(value),
                _ => bad(self, node),
            },
            OptionType::Str => match self.scalar_text(node) {
                Some(s) => Some(Value::Str(s)),
                None => bad(self, node),
            },
            OptionType::OneOf(words) => match self.scalar_text(node) {
                Some(s) if words.contains(&s.as_str()) => Some(Value::Str(s)),
                Some(s) => {
                    let hint = did_you_mean(&s, words.iter().copied());
                    let msg = format!("`{}` is `{s}`, expected {}{hint}", o.name, o.ty.describe());
                    self.push(DiagnosticCode::ConfigValueType, node.span, msg);
                    self.fix_closest(&s, node.span, words.iter().copied());
                    None
                }
                None => bad(self, node),
            },
            OptionType::StrList => match &node.value {
                NodeValue::Sequence(items) => {
                    let mut list = Vec::new();
                    for item in items {
                        match self.scalar_text(item) {
                            Some(s) => list.push(Value::Str(s)),
                            None => {
                                let msg =
                                    format!("items of `{}` must be text, found {}", o.name, item.kind());
                                self.push(DiagnosticCode::ConfigValueType, item.span, msg);
                            }
                        }
                    }
                    Some(Value::List(list))
                }
                _ => bad(self, node),
            },
            OptionType::StrMap => match node.entries() {
                Some(entries) => {
                    let mut map = BTreeMap::new();
                    for (k, v) in entries {
                        match self.scalar_text(v) {
                            Some(s) => {
                                map.insert(k.text.clone(), Value::Str(s));
                            }
                            None => {
                                let msg = format!("values of `{}` must be text, found {}", o.name, v.kind());
                                self.push(DiagnosticCode::ConfigValueType, v.span, msg);
                            }
                        }
                    }
                    Some(Value::Map(map))
                }
                None => bad(self, node),
            },
            OptionType::AnyMap => match value {
                Value::Map(_) => Some(value),
                _ => bad(self, node),
            },
            OptionType::Record(keys) => match node.entries() {
                Some(entries) => Some(self.record(o, keys, &entries)),
                None => bad(self, node),
            },
            OptionType::Toggle(keys) => match (value, node.entries()) {
                (Value::Bool(b), _) => Some(Value::Bool(b)),
                (_, Some(entries)) => Some(self.record(o, keys, &entries)),
                (_, None) => bad(self, node),
            },
            OptionType::RecordList(keys) => match &node.value {
                NodeValue::Sequence(items) => {
                    let mut list = Vec::new();
                    for item in items {
                        match item.entries() {
                            Some(entries) => list.push(self.record(o, keys, &entries)),
                            None => {
                                let msg = format!(
                                    "items of `{}` must be mappings with keys {}, found {}",
                                    o.name,
                                    keys.iter()
                                        .map(|k| format!("`{}`", k.name))
                                        .collect::<Vec<_>>()
                                        .join(", "),
                                    item.kind()
                                );
                                self.push(DiagnosticCode::ConfigValueType, item.span, msg);
                                // Kept in place, so later items keep their numbers.
                                list.push(Value::Null);
                            }
                        }
                    }
                    Some(Value::List(list))
                }
                _ => bad(self, node),
            },
        }
    }

    /// The keys of a mapping-valued option `o` (its valid ones; the others are reported).
    fn record(&mut self, o: &OptionSpec, keys: &[OptionSpec], entries: &[&(Key, Node)]) -> Value {
        let mut map = BTreeMap::new();
        for (k, v) in entries.iter().map(|e| (&e.0, &e.1)) {
            match keys.iter().find(|s| s.name == k.text) {
                Some(sub) => {
                    if let Some(val) = self.check(sub, v) {
                        map.insert(k.text.clone(), val);
                    }
                }
                None => {
                    let hint = did_you_mean(&k.text, keys.iter().map(|s| s.name));
                    let msg = format!("unknown key `{}` of option `{}`{hint}", k.text, o.name);
                    self.push(DiagnosticCode::ConfigUnknownOption, k.span, msg);
                    self.fix_closest(&k.text, k.span, keys.iter().map(|s| s.name));
                }
            }
        }
        Value::Map(map)
    }

    /// The text of a scalar that is text or a number (as written); `None` for anything else.
    fn scalar_text(&self, node: &Node) -> Option<String> {
        match (&node.value, node.to_value()) {
            (NodeValue::Scalar(s, _), Value::Str(_) | Value::Int(_) | Value::Float(_)) => Some(s.clone()),
            _ => None,
        }
    }
}
