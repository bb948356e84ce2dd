//! A YAML tree with source positions, built from `yaml-rust2`'s event parser; shared by
//! `project.cws.yml` ([`crate::config`]) and workflow files ([`crate::workflow`]).
//!
//! Every mapping key and every node carries a [`Span`]. Aliases are expanded under limits
//! ([`MAX_NODES`], [`MAX_DEPTH`], [`MAX_FILE_BYTES`]) so a "billion laughs" file costs little time and
//! memory: beyond a limit the reader reports a [`Limit`] and goes on with `null` in place of the
//! expansion. Scalars keep their source text and style; [`resolve_scalar`] gives them YAML 1.2
//! core-schema types. Problems are [`YamlError`] values: each reader of a file decides which
//! diagnostic code they become.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

mod scalar;
mod value;

pub use scalar::{resolve_scalar, ScalarStyle};
pub use value::Value;

use crate::diagnostics::{Diagnostic, DiagnosticCode};
use crate::text::{ByteRange, LineIndex, Span};

/// Largest file read, in bytes (1 MiB).
pub const MAX_FILE_BYTES: usize = 1 << 20;
/// Most nodes a document may hold, counting every node an alias expands to.
pub const MAX_NODES: usize = 10_000;
/// Deepest nesting of mappings and sequences.
pub const MAX_DEPTH: usize = 64;

/// A limit of the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The file is larger than [`MAX_FILE_BYTES`].
    Size,
    /// More than [`MAX_NODES`] nodes, counting alias expansions.
    Nodes,
    /// Nesting deeper than [`MAX_DEPTH`].
    Depth,
}

/// What kind of problem a [`YamlError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YamlErrorKind {
    /// The text is not YAML (the parse stopped there), or holds more than one document.
    Syntax,
    /// A key written twice in one mapping (the first is used), or a key that is not text.
    Key,
    /// A limit was hit; what is past it is not read.
    Limit(Limit),
}

/// A problem met while reading YAML; the reading goes on where it can.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    /// What kind of problem.
    pub kind: YamlErrorKind,
    /// Where it is.
    pub span: Span,
    /// What is wrong, for people.
    pub message: String,
    /// For a duplicate key: where the key is first written.
    pub first: Option<Span>,
}

impl YamlError {
    fn new(kind: YamlErrorKind, span: Span, message: impl Into<String>) -> Self {
        YamlError { kind, span, message: message.into(), first: None }
    }

    /// The error as a diagnostic of `file` with the `code` its reader chose for this kind.
    pub fn to_diagnostic(&self, file: &Path, code: DiagnosticCode) -> Diagnostic {
        let d = Diagnostic::new(code, file, self.span, self.message.clone());
        match self.first {
            Some(first) => d.with_related(file, first, "first defined here"),
            None => d,
        }
    }
}

/// A mapping key: its text and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key as text (empty for a null or non-scalar key).
    pub text: String,
    /// Where the key is written.
    pub span: Span,
}

/// What a node holds.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// A mapping, entries in file order (duplicates kept; they are reported).
    Mapping(Vec<(Key, Node)>),
    /// A sequence.
    Sequence(Vec<Node>),
    /// A scalar that is not null: its text and style (see [`resolve_scalar`] for its type).
    Scalar(String, ScalarStyle),
    /// `null`, `~`, or nothing.
    Null,
}

/// A YAML node and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The node's content.
    pub value: NodeValue,
    /// Where the node is written (for an alias: where the alias is).
    pub span: Span,
}

impl Node {
    /// The entries of a mapping, the first of each key only (later duplicates are reported while
    /// parsing); `None` if the node is not a mapping.
    pub fn entries(&self) -> Option<Vec<&(Key, Node)>> {
        match &self.value {
            NodeValue::Mapping(entries) => {
                let mut seen = std::collections::HashSet::new();
                Some(entries.iter().filter(|(k, _)| seen.insert(k.text.as_str())).collect())
            }
            _ => None,
        }
    }

    /// The value of `key` in a mapping (first occurrence).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            NodeValue::Mapping(entries) => entries.iter().find(|(k, _)| k.text == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The node as a plain [`Value`] (scalars resolved with the YAML 1.2 core schema).
    pub fn to_value(&self) -> Value {
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Scalar(s, style) => resolve_scalar(s, *style),
            NodeValue::Sequence(items) => Value::List(items.iter().map(Node::to_value).collect()),
            NodeValue::Mapping(entries) => {
                let mut map = BTreeMap::new();
                for (k, v) in entries {
                    map.entry(k.text.clone()).or_insert_with(|| v.to_value());
                }
                Value::Map(map)
            }
        }
    }

    /// A short name of the node's kind for messages: "a mapping", "text", "an integer" ...
    pub fn kind(&self) -> &'static str {
        match &self.value {
            NodeValue::Mapping(_) => "a mapping",
            NodeValue::Sequence(_) => "a list",
            NodeValue::Null => "nothing (null)",
            NodeValue::Scalar(s, style) => match resolve_scalar(s, *style) {
                Value::Bool(_) => "a boolean",
                Value::Int(_) => "an integer",
                Value::Float(_) => "a number",
                _ => "text",
            },
        }
    }

    /// Number of nodes in this tree and its depth of nesting (a scalar has depth 0).
    fn measure(&self) -> (usize, usize) {
        match &self.value {
            NodeValue::Mapping(entries) => entries.iter().fold((1, 1), |(n, d), (_, v)| {
                let (vn, vd) = v.measure();
                (n + vn + 1, d.max(vd + 1))
            }),
            NodeValue::Sequence(items) => items.iter().fold((1, 1), |(n, d), v| {
                let (vn, vd) = v.measure();
                (n + vn, d.max(vd + 1))
            }),
            _ => (1, 0),
        }
    }
}

/// The result of parsing a YAML text.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The first document's root node (partial if the text has an error); `None` for an empty text
    /// or one too large to read.
    pub root: Option<Node>,
    /// Syntax errors, duplicate keys, limits hit.
    pub errors: Vec<YamlError>,
    /// Whether a syntax error (`CWS010`) stopped the parse.
    pub syntax_error: bool,
}

/// Parses `text` into a positioned tree.
pub fn parse(text: &str) -> Parsed {
    let index = LineIndex::new(text);
    let mut b = Builder {
        text,
        index: &index,
        stack: Vec::new(),
        root: None,
        anchors: HashMap::new(),
        nodes: 0,
        skip: 0,
        skip_start: 0,
        diags: Vec::new(),
        limits_reported: Vec::new(),
        documents: 0,
        done: false,
    };
    if text.len() > MAX_FILE_BYTES {
        b.limit(
            Limit::Size,
            0,
            0,
            format!("the file is larger than {} bytes and is not read", MAX_FILE_BYTES),
        );
        return Parsed { root: None, errors: b.diags, syntax_error: false };
    }
    let mut parser = Parser::new_from_str(text);
    let mut syntax_error = false;
    while !b.done {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => break,
            Ok((ev, mark)) => b.on_event(ev, mark),
            Err(e) => {
                let at = b.offset(e.marker());
                let end = next_char_end(text, at);
                if e.info().contains("recursion limit") {
                    b.limit(Limit::Depth, at, end, format!("values nest deeper than {MAX_DEPTH} levels"));
                } else {
                    b.diags.push(YamlError::new(
                        YamlErrorKind::Syntax,
                        index.span(text, ByteRange::new(at, end)),
                        format!("invalid YAML: {}", e.info()),
                    ));
                    syntax_error = true;
                }
                break;
            }
        }
    }
    b.unwind();
    Parsed { root: b.root, errors: b.diags, syntax_error }
}

fn next_char_end(text: &str, at: usize) -> usize {
    text.get(at..).and_then(|r| r.chars().next()).map(|c| at + c.len_utf8()).unwrap_or(at)
}

enum Frame {
    Map { start: usize, entries: Vec<(Key, Node)>, pending: Option<Key>, anchor: usize, flow: bool },
    Seq { start: usize, items: Vec<Node>, anchor: usize, flow: bool },
}

struct Anchored {
    node: Node,
    size: usize,
    depth: usize,
}

struct Builder<'a> {
    text: &'a str,
    index: &'a LineIndex,
    stack: Vec<Frame>,
    root: Option<Node>,
    anchors: HashMap<usize, Anchored>,
    /// Nodes built so far, counting alias expansions.
    nodes: usize,
    /// > 0 while skipping a subtree nested too deep.
    skip: usize,
    skip_start: usize,
    diags: Vec<YamlError>,
    limits_reported: Vec<Limit>,
    documents: usize,
    done: bool,
}

impl Builder<'_> {
    fn offset(&self, m: &Marker) -> usize {
        self.index.offset_of_line_col(self.text, m.line().saturating_sub(1) as u32, m.col() as u32)
    }

    fn span(&self, start: usize, end: usize) -> Span {
        self.index.span(self.text, ByteRange::new(start, end))
    }

    fn limit(&mut self, kind: Limit, start: usize, end: usize, message: String) {
        // One report per kind of limit.
        if self.limits_reported.contains(&kind) {
            return;
        }
        self.limits_reported.push(kind);
        let span = self.span(start, end);
        self.diags.push(YamlError::new(YamlErrorKind::Limit(kind), span, message));
    }

    /// Counts `n` more nodes; false (and a report) when that passes the limit.
    fn count(&mut self, n: usize, at: usize, end: usize) -> bool {
        if self.nodes.saturating_add(n) > MAX_NODES {
            self.limit(
                Limit::Nodes,
                at,
                end,
                format!("more than {MAX_NODES} nodes (counting alias expansions): the rest is not read"),
            );
            return false;
        }
        self.nodes += n;
        true
    }

    fn scalar_end(&self, start: usize, value: &str, style: ScalarStyle) -> usize {
        let rest = self.text.get(start..).unwrap_or("");
        match style {
            ScalarStyle::Plain => {
                if rest.starts_with(value) {
                    return start + value.len();
                }
                let line = rest.split('\n').next().unwrap_or("");
                let line = line.find(" #").map(|i| &line[..i]).unwrap_or(line);
                start + line.trim_end().len()
            }
            ScalarStyle::SingleQuoted => {
                let mut it = rest.char_indices().skip(1).peekable();
                while let Some((i, c)) = it.next() {
                    if c == '\'' {
                        if matches!(it.peek(), Some((_, '\''))) {
                            it.next();
                        } else {
                            return start + i + 1;
                        }
                    }
                }
                self.text.len()
            }
            ScalarStyle::DoubleQuoted => {
                let mut it = rest.char_indices().skip(1);
                while let Some((i, c)) = it.next() {
                    match c {
                        '\\' => {
                            it.next();
                        }
                        '"' => return start + i + 1,
                        _ => {}
                    }
                }
                self.text.len()
            }
            ScalarStyle::Literal | ScalarStyle::Folded => {
                // The mark is at the content; content lines are indented at least as deep.
                if value.is_empty() {
                    return start;
                }
                let line_start =
                    self.text[..start.min(self.text.len())].rfind('\n').map(|i| i + 1).unwrap_or(0);
                let indent = self.text[line_start..start].chars().count();
                let mut end = start;
                let mut line_from = line_start;
                while line_from < self.text.len() {
                    let line_to =
                        self.text[line_from..].find('\n').map(|i| line_from + i).unwrap_or(self.text.len());
                    let line = &self.text[line_from..line_to];
                    if !line.trim().is_empty() {
                        let ind = line.len() - line.trim_start_matches(' ').len();
                        if ind < indent {
                            break;
                        }
                        end = line_from + line.trim_end().len();
                    }
                    line_from = line_to + 1;
                }
                end
            }
        }
    }

    fn on_scalar(&mut self, value: String, style: ScalarStyle, anchor: usize, mark: &Marker) {
        let start = self.offset(mark);
        let end = self.scalar_end(start, &value, style);
        if !self.count(1, start, end) {
            self.done = true;
            return;
        }
        let span = self.span(start, end);
        let value = if style == ScalarStyle::Plain && resolve_scalar(&value, style) == Value::Null {
            NodeValue::Null
        } else {
            NodeValue::Scalar(value, style)
        };
        self.push_node(Node { value, span }, anchor);
    }

    fn on_alias(&mut self, id: usize, mark: &Marker) {
        let start = self.offset(mark);
        let rest = self.text.get(start..).unwrap_or("");
        let len = rest
            .char_indices()
            .skip(1)
            .find(|(_, c)| c.is_whitespace() || ",[]{}".contains(*c))
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let span = self.span(start, start + len);
        let (size, depth) = match self.anchors.get(&id) {
            Some(a) => (a.size, a.depth),
            None => (1, 0),
        };
        let node = if self.stack.len() + depth > MAX_DEPTH {
            self.limit(
                Limit::Depth,
                start,
                start + len,
                format!("an alias nests values deeper than {MAX_DEPTH} levels"),
            );
            Node { value: NodeValue::Null, span }
        } else if !self.count(size, start, start + len) {
            Node { value: NodeValue::Null, span }
        } else {
            match self.anchors.get(&id) {
                Some(a) => Node { value: a.node.value.clone(), span },
                None => Node { value: NodeValue::Null, span },
            }
        };
        self.push_node(node, 0);
    }

    fn on_start(&mut self, mapping: bool, anchor: usize, mark: &Marker) {
        if self.skip > 0 {
            self.skip += 1;
            return;
        }
        let start = self.offset(mark);
        if self.stack.len() >= MAX_DEPTH {
            self.limit(
                Limit::Depth,
                start,
                next_char_end(self.text, start),
                format!("values nest deeper than {MAX_DEPTH} levels"),
            );
            self.skip = 1;
            self.skip_start = start;
            return;
        }
        if !self.count(1, start, start) {
            self.done = true;
            return;
        }
        let open = if mapping { "{" } else { "[" };
        let flow = self.text.get(start..).is_some_and(|r| r.starts_with(open));
        self.stack.push(if mapping {
            Frame::Map { start, entries: Vec::new(), pending: None, anchor, flow }
        } else {
            Frame::Seq { start, items: Vec::new(), anchor, flow }
        });
    }

    fn on_end(&mut self, mark: &Marker) {
        let at = self.offset(mark);
        if self.skip > 0 {
            self.skip -= 1;
            if self.skip == 0 {
                let span = self.span(self.skip_start, next_char_end(self.text, at));
                self.push_node(Node { value: NodeValue::Null, span }, 0);
            }
            return;
        }
        self.close(Some(at));
    }

    /// Closes the innermost open container; `end_mark` is the offset of its end event, if any.
    fn close(&mut self, end_mark: Option<usize>) {
        let Some(frame) = self.stack.pop() else { return };
        let (node, anchor) = match frame {
            // A key left without value (the parse stopped after it) is dropped.
            Frame::Map { start, mut entries, pending: _, anchor, flow } => {
                let last = entries.last().map(|(_, v)| v.span.end.offset).unwrap_or(start);
                let end = self.container_end(start, last, flow, '}', end_mark);
                // A block mapping's start event is marked at its first `:`; it starts at its first key.
                let start = match entries.first() {
                    Some((k, _)) if !flow => start.min(k.span.start.offset),
                    _ => start,
                };
                merge_keys(&mut entries);
                (Node { value: NodeValue::Mapping(entries), span: self.span(start, end) }, anchor)
            }
            Frame::Seq { start, items, anchor, flow } => {
                let last = items.last().map(|v| v.span.end.offset).unwrap_or(start);
                let end = self.container_end(start, last, flow, ']', end_mark);
                (Node { value: NodeValue::Sequence(items), span: self.span(start, end) }, anchor)
            }
        };
        self.push_node(node, anchor);
    }

    fn container_end(
        &self,
        start: usize,
        last: usize,
        flow: bool,
        close: char,
        end_mark: Option<usize>,
    ) -> usize {
        match end_mark {
            Some(at) if flow && self.text.get(at..).is_some_and(|r| r.starts_with(close)) => at + 1,
            _ => last.max(start),
        }
    }

    fn push_node(&mut self, mut node: Node, anchor: usize) {
        if anchor != 0 {
            let (size, depth) = node.measure();
            self.anchors.insert(anchor, Anchored { node: node.clone(), size, depth });
        }
        let Some(top) = self.stack.last_mut() else {
            if self.root.is_none() {
                self.root = Some(node);
            }
            return;
        };
        match top {
            Frame::Seq { items, .. } => items.push(node),
            Frame::Map { entries, pending, .. } => match pending.take() {
                None => {
                    let text = match &node.value {
                        NodeValue::Scalar(s, _) => s.clone(),
                        NodeValue::Null => String::new(),
                        _ => {
                            self.diags.push(YamlError::new(
                                YamlErrorKind::Key,
                                node.span,
                                "a key must be text, not a mapping or a list",
                            ));
                            String::new()
                        }
                    };
                    *pending = Some(Key { text, span: node.span });
                }
                Some(key) => {
                    if node.value == NodeValue::Null && node.span.start == node.span.end {
                        node.span = Span { start: key.span.end, end: key.span.end };
                    }
                    if let Some((first, _)) = entries.iter().find(|(k, _)| k.text == key.text) {
                        let first_span = first.span;
                        self.diags.push(YamlError {
                            first: Some(first_span),
                            ..YamlError::new(
                                YamlErrorKind::Key,
                                key.span,
                                format!("duplicate key `{}`: the first one is used", key.text),
                            )
                        });
                    }
                    entries.push((key, node));
                }
            },
        }
    }

    /// Closes every open container (after an error or a stop), keeping what was read.
    fn unwind(&mut self) {
        self.skip = 0;
        while !self.stack.is_empty() {
            self.close(None);
        }
    }
}

/// Applies YAML 1.1 merge keys (`<<: *defaults`), which configs written for PyYAML use: entries of
/// the merged mapping(s) are added where the mapping does not define the key itself.
fn merge_keys(entries: &mut Vec<(Key, Node)>) {
    if !entries.iter().any(|(k, _)| k.text == "<<") {
        return;
    }
    let (merges, mut own): (Vec<_>, Vec<_>) =
        std::mem::take(entries).into_iter().partition(|(k, _)| k.text == "<<");
    for (_, node) in merges {
        let sources: Vec<Node> = match node.value {
            NodeValue::Sequence(items) => items,
            other => vec![Node { value: other, span: node.span }],
        };
        for src in sources {
            if let NodeValue::Mapping(src_entries) = src.value {
                for (k, v) in src_entries {
                    if !own.iter().any(|(o, _)| o.text == k.text) {
                        own.push((k, v));
                    }
                }
            }
        }
    }
    *entries = own;
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.done {
            return;
        }
        match ev {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents > 1 {
                    let at = self.offset(&mark);
                    let span = self.span(at, next_char_end(self.text, at));
                    self.diags.push(YamlError::new(
                        YamlErrorKind::Syntax,
                        span,
                        "more than one YAML document: only the first is read",
                    ));
                    self.done = true;
                }
            }
            Event::Scalar(value, style, anchor, _tag) => {
                if self.skip == 0 {
                    self.on_scalar(value, style.into(), anchor, &mark);
                }
            }
            Event::Alias(id) => {
                if self.skip == 0 {
                    self.on_alias(id, &mark);
                }
            }
            Event::MappingStart(anchor, _) => self.on_start(true, anchor, &mark),
            Event::SequenceStart(anchor, _) => self.on_start(false, anchor, &mark),
            Event::MappingEnd | Event::SequenceEnd => self.on_end(&mark),
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Node {
        let p = parse(text);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        p.root.expect("a root")
    }

    /// (text at span, line, col) of a node.
    fn at(text: &str, span: Span) -> (&str, u32, u32) {
        (&text[span.start.offset..span.end.offset], span.start.line, span.start.col)
    }

    #[test]
    fn spans_count_chars_after_non_ascii() {
        let text =
            "é: 1\n😀x: \"deux\"\n中文: { a: 'b''c', d: [1, 2] }\nk: |\n  line\n  more\nz: plain words # c\n";
        let root = parse_ok(text);
        let NodeValue::Mapping(entries) = &root.value else { panic!() };
        let keys: Vec<_> = entries.iter().map(|(k, _)| at(text, k.span)).collect();
        assert_eq!(keys, vec![("é", 0, 0), ("😀x", 1, 0), ("中文", 2, 0), ("k", 3, 0), ("z", 6, 0)]);
        assert_eq!(at(text, entries[0].1.span), ("1", 0, 3));
        assert_eq!(at(text, entries[1].1.span), ("\"deux\"", 1, 4));
        let inner = &entries[2].1;
        assert_eq!(at(text, inner.span), ("{ a: 'b''c', d: [1, 2] }", 2, 4));
        let NodeValue::Mapping(ie) = &inner.value else { panic!() };
        assert_eq!(at(text, ie[0].0.span), ("a", 2, 6));
        assert_eq!(at(text, ie[0].1.span), ("'b''c'", 2, 9));
        assert_eq!(ie[0].1.value, NodeValue::Scalar("b'c".into(), ScalarStyle::SingleQuoted));
        assert_eq!(at(text, ie[1].1.span), ("[1, 2]", 2, 20));
        assert_eq!(at(text, entries[3].1.span), ("line\n  more", 4, 2));
        assert_eq!(at(text, entries[4].1.span), ("plain words", 6, 3));
    }

    #[test]
    fn block_collections_span_their_content() {
        let text = "a:\n  - x\n  - y\nb:\n  c: 1\n";
        let root = parse_ok(text);
        assert_eq!(at(text, root.get("a").unwrap().span), ("- x\n  - y", 1, 2));
        assert_eq!(at(text, root.get("b").unwrap().span), ("c: 1", 4, 2));
        assert_eq!(root.span.start.offset, 0);
    }

    #[test]
    fn empty_values_sit_after_their_key() {
        let text = "a:\nb: 2\n";
        let root = parse_ok(text);
        let a = root.get("a").unwrap();
        assert_eq!(a.value, NodeValue::Null);
        assert_eq!((a.span.start.line, a.span.start.col), (0, 1));
    }

    #[test]
    fn duplicate_keys_are_reported_and_the_first_kept() {
        let text = "a: 1\nb: 2\na: 3\n";
        let p = parse(text);
        assert_eq!(p.errors.len(), 1);
        let d = &p.errors[0];
        assert_eq!(d.kind, YamlErrorKind::Key);
        assert!(d.message.contains("duplicate key `a`"), "{}", d.message);
        assert_eq!((d.span.start.line, d.span.start.col), (2, 0));
        assert_eq!(d.first.map(|s| s.start.line), Some(0));
        let root = p.root.unwrap();
        assert_eq!(root.get("a").unwrap().to_value(), Value::Int(1));
    }

    #[test]
    fn syntax_errors_keep_what_was_read() {
        let text = "a: 1\nb: [1, 2\nc: 3\n";
        let p = parse(text);
        assert!(p.syntax_error);
        let d = p.errors.iter().find(|d| d.kind == YamlErrorKind::Syntax).unwrap();
        assert!(d.span.start.line >= 1, "{d:?}");
        assert_eq!(p.root.unwrap().get("a").unwrap().to_value(), Value::Int(1));
    }

    #[test]
    fn aliases_and_merge_keys_expand() {
        let text = "base: &b {memory: 256, timeout: 3}\nprod:\n  <<: *b\n  memory: 1024\nlist: *b\n";
        let root = parse_ok(text);
        let prod = root.get("prod").unwrap().to_value();
        let Value::Map(m) = prod else { panic!() };
        assert_eq!(m["memory"], Value::Int(1024));
        assert_eq!(m["timeout"], Value::Int(3));
        let list = root.get("list").unwrap();
        assert_eq!(at(text, list.span), ("*b", 4, 6));
    }

    #[test]
    fn billion_laughs_stops_quickly() {
        let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 9].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let t = std::time::Instant::now();
        let p = parse(&text);
        assert!(t.elapsed().as_secs() < 2);
        assert_eq!(p.errors.iter().filter(|d| matches!(d.kind, YamlErrorKind::Limit(_))).count(), 1);
        assert!(p.root.unwrap().measure().0 <= MAX_NODES + 1);
    }

    #[test]
    fn deep_nesting_is_cut() {
        let text = format!("a: {}{}\n", "[".repeat(200), "]".repeat(200));
        let p = parse(&text);
        assert!(p.errors.iter().any(|d| matches!(d.kind, YamlErrorKind::Limit(_))));
        assert!(p.root.unwrap().measure().1 <= MAX_DEPTH + 1);
    }

    #[test]
    fn large_files_are_refused() {
        let text = "# x\n".repeat(MAX_FILE_BYTES / 4 + 1);
        let p = parse(&text);
        assert!(p.root.is_none());
        assert_eq!(p.errors[0].kind, YamlErrorKind::Limit(Limit::Size));
    }
}
