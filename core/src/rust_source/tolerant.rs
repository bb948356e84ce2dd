//! The tolerant path: tree-sitter on any text, half-typed code included.
//!
//! On a valid file it yields exactly what [`super::exact::parse`] yields, byte ranges included. On a
//! file with syntax errors it still finds the services and entries tree-sitter could recover: error
//! nodes are read as if their children stood in the enclosing item list, so an unfinished method
//! or a stray token does not hide its neighbours.
//!
//! tree-sitter keeps attributes and comments as siblings *before* an item, so items are read from
//! their container's children in order, remembering the attributes and comments seen since the
//! previous item. The walk is iterative: deeply nested input cannot overflow the stack. The parts of
//! one item (an impl's type and body, a method's name and parameters) come from the queries in
//! `core/queries/*.scm` (inside the crate, so it packages).
//!
//! Known difference with `syn` on valid code: tree-sitter's grammar allows one attribute per
//! parameter, so `#[query] #[allow(unused)] a: u32` is a syntax error for tree-sitter. The error is
//! tolerated and the declarations read are the same, but [`parse_with_status`] reports an error.

use std::cell::RefCell;
use std::sync::OnceLock;

use tree_sitter::{Language, Node, Parser, Query, QueryCursor, StreamingIterator, Tree};

use crate::text::ByteRange;

use super::attrs::{parse_entry_args, service_or_blueprint_args, ServiceArgs};
use super::decl::{
    is_coworks_attr, join_doc_values, param_kind, squash, type_text, AttrError, EntryDecl, FileDecls,
    ParamDecl, ServiceDecl,
};
use super::doc_text::{comment_doc, string_value, DocPlacement};
use super::hooks::{self, HookDecl};

mod recover;

use recover::{Entries, Shattered};

/// The query matching a service candidate (`queries/services.scm`).
pub const SERVICES_QUERY: &str = include_str!("../../queries/services.scm");
/// The query matching an entry candidate (`queries/entries.scm`).
pub const ENTRIES_QUERY: &str = include_str!("../../queries/entries.scm");
/// The query matching a method parameter (`queries/params.scm`).
pub const PARAMS_QUERY: &str = include_str!("../../queries/params.scm");

/// Parses `text` with tree-sitter. Never fails: what cannot be recovered is left out.
pub fn parse(text: &str) -> FileDecls {
    parse_with_status(text).0
}

/// Like [`parse`], and whether the text has syntax errors (tree-sitter `ERROR` or `MISSING` nodes),
/// so the caller can say that errors were tolerated.
pub fn parse_with_status(text: &str) -> (FileDecls, bool) {
    let (Some(tree), Some(queries)) = (parse_tree(text), queries()) else {
        return (FileDecls::default(), true);
    };
    let root = tree.root_node();
    let mut reader = Reader { text, queries, cursor: QueryCursor::new(), out: FileDecls::default() };
    let mut shattered: Option<Shattered<'_>> = None;
    walk_items(root, |item, before| match item.kind() {
        "impl_item" | "mod_item" | "impl" => {
            if let Some(s) = shattered.take() {
                s.finish(&mut reader);
            }
            match item.kind() {
                "impl_item" => {
                    reader.service(item, before);
                    None
                }
                "mod_item" => item.child_by_field_name("body"),
                _ => {
                    shattered = Shattered::start(&reader, item, before);
                    None
                }
            }
        }
        _ => match shattered.as_mut() {
            Some(s) => s.feed(&mut reader, item, before),
            // A function whose body is broken may have swallowed the items after it.
            None if item.kind() == "function_item" => {
                item.child_by_field_name("body").filter(|b| b.has_error())
            }
            None => None,
        },
    });
    if let Some(s) = shattered.take() {
        s.finish(&mut reader);
    }
    (reader.out, root.has_error())
}

/// Whether `text` has syntax errors as tree-sitter sees them.
pub fn has_errors(text: &str) -> bool {
    parse_tree(text).is_none_or(|t| t.root_node().has_error())
}

struct Queries {
    services: Query,
    entries: Query,
    params: Query,
}

fn queries() -> Option<&'static Queries> {
    static QUERIES: OnceLock<Option<Queries>> = OnceLock::new();
    QUERIES
        .get_or_init(|| {
            let lang = language();
            Some(Queries {
                services: Query::new(&lang, SERVICES_QUERY).ok()?,
                entries: Query::new(&lang, ENTRIES_QUERY).ok()?,
                params: Query::new(&lang, PARAMS_QUERY).ok()?,
            })
        })
        .as_ref()
}

fn language() -> Language {
    tree_sitter_rust::LANGUAGE.into()
}

fn parse_tree(text: &str) -> Option<Tree> {
    thread_local! {
        static PARSER: RefCell<Option<Parser>> = RefCell::new({
            let mut parser = Parser::new();
            parser.set_language(&language()).ok().map(|_| parser)
        });
    }
    PARSER.with(|p| p.try_borrow_mut().ok()?.as_mut()?.parse(text, None))
}

/// Calls `visit` on each item of `container` in source order, with the attributes and comments
/// written before it. `visit` may return a child of the item whose children are items to read next
/// (a module's body). Error nodes are transparent: their children are read as items of the
/// enclosing list, and the keywords `impl` and `fn` in them are reported as items too.
pub(super) fn walk_items<'t>(
    container: Node<'t>,
    mut visit: impl FnMut(Node<'t>, &[Node<'t>]) -> Option<Node<'t>>,
) {
    struct Level<'t> {
        /// How many `goto_parent` lead back to the node this level was entered from.
        depth: usize,
        /// Attributes and comments seen since the last item.
        before: Vec<Node<'t>>,
        /// An error node: what it holds before its end belongs to the next item outside.
        transparent: bool,
    }
    let mut cursor = container.walk();
    if !cursor.goto_first_child() {
        return;
    }
    let mut levels = vec![Level { depth: 1, before: Vec::new(), transparent: false }];
    loop {
        let node = cursor.node();
        let mut entered = None;
        if let Some(level) = levels.last_mut() {
            if node.is_missing() || (!node.is_named() && !matches!(node.kind(), "impl" | "fn")) {
                // Punctuation of the container; tree-sitter's placeholders for missing tokens.
            } else {
                match node.kind() {
                    // Modifiers stand alone only in error nodes, before the `fn` they belong to.
                    "attribute_item"
                    | "line_comment"
                    | "block_comment"
                    | "function_modifiers"
                    | "visibility_modifier" => level.before.push(node),
                    "inner_attribute_item" => level.before.clear(),
                    "ERROR" => {
                        if cursor.goto_first_child() {
                            entered = Some(Level {
                                depth: 1,
                                before: std::mem::take(&mut level.before),
                                transparent: true,
                            });
                        }
                    }
                    _ => {
                        let before = std::mem::take(&mut level.before);
                        if let Some(inner) = visit(node, &before) {
                            if let Some(depth) = enter(&mut cursor, inner) {
                                entered = Some(Level { depth, before: Vec::new(), transparent: false });
                            }
                        }
                    }
                }
            }
        }
        if let Some(level) = entered {
            levels.push(level);
            continue;
        }
        while !cursor.goto_next_sibling() {
            if levels.len() <= 1 {
                return;
            }
            let Some(done) = levels.pop() else { return };
            for _ in 0..done.depth {
                cursor.goto_parent();
            }
            if done.transparent {
                if let Some(outer) = levels.last_mut() {
                    outer.before = done.before;
                }
            }
        }
    }
}

/// Moves `cursor` (on a node) to the first child of its child `inner`; returns how many levels down.
fn enter(cursor: &mut tree_sitter::TreeCursor<'_>, inner: Node<'_>) -> Option<usize> {
    if !cursor.goto_first_child() {
        return None;
    }
    while cursor.node().id() != inner.id() {
        if !cursor.goto_next_sibling() {
            cursor.goto_parent();
            return None;
        }
    }
    if cursor.goto_first_child() {
        Some(2)
    } else {
        cursor.goto_parent();
        None
    }
}

/// The attributes of an item as `syn` orders them: outer ones, then inner ones from its body.
pub(super) struct ItemAttrs<'t> {
    /// Where the first outer attribute or doc comment starts.
    pub start: Option<usize>,
    /// `attribute_item` and `inner_attribute_item` nodes.
    attrs: Vec<Node<'t>>,
    /// Doc values (`/// x` gives `" x"`), in order.
    pub docs: Vec<String>,
}

/// The pieces of a method, as found in a complete `function_item` or in a half-typed one.
pub(super) struct EntryParts<'t, 'b> {
    /// Attributes, comments and (when half-typed) modifiers written before it.
    pub before: &'b [Node<'t>],
    /// Its body, for inner attributes.
    pub body: Option<Node<'t>>,
    /// The name.
    pub name: Node<'t>,
    /// The named children of its parameter list.
    pub params: Vec<Node<'t>>,
    /// `async`, `const`, ... if any.
    pub modifiers: Option<Node<'t>>,
    /// Where the method starts (without its attributes).
    pub start: usize,
    /// Where it ends.
    pub end: usize,
}

/// Reads declarations out of one tree.
pub(super) struct Reader<'a> {
    text: &'a str,
    queries: &'static Queries,
    cursor: QueryCursor,
    /// What was read so far.
    pub out: FileDecls,
}

impl<'a> Reader<'a> {
    pub(super) fn src(&self, node: Node<'_>) -> &'a str {
        self.text.get(node.byte_range()).unwrap_or("")
    }

    /// The captures of `query`'s first match on `node` itself, by capture index.
    fn captures<'t>(&mut self, query: &Query, node: Node<'t>) -> Vec<Option<Node<'t>>> {
        let mut found = vec![None; query.capture_names().len()];
        self.cursor.set_max_start_depth(Some(0));
        let mut matches = self.cursor.matches(query, node, self.text.as_bytes());
        while let Some(m) = matches.next() {
            if m.captures.iter().any(|c| c.node.id() == node.id()) {
                for c in m.captures {
                    found[c.index as usize] = Some(c.node);
                }
                break;
            }
        }
        found
    }

    fn capture<'t>(query: &Query, found: &[Option<Node<'t>>], name: &str) -> Option<Node<'t>> {
        query.capture_index_for_name(name).and_then(|i| found.get(i as usize).copied().flatten())
    }

    fn service(&mut self, imp: Node<'_>, before: &[Node<'_>]) {
        let queries = self.queries;
        let found = self.captures(&queries.services, imp);
        let (Some(ty), Some(body)) = (
            Self::capture(&queries.services, &found, "type"),
            Self::capture(&queries.services, &found, "body"),
        ) else {
            return;
        };
        let attrs = self.item_attrs(before, Some(body));
        let Some(attr) = self.service_attr(&attrs) else { return };
        let mut errors = std::mem::take(&mut self.out.attr_errors);
        let args = self.service_args(attr, &mut errors);
        let mut entries = Entries::new(body.has_error());
        walk_items(body, |item, before| entries.feed(self, item, before));
        entries.finish(self);
        errors.append(&mut entries.errors);
        self.out.attr_errors = errors;
        self.out.services.push(ServiceDecl {
            blueprint: attr.1,
            type_name: self.type_name(ty),
            type_range: range(ty),
            range: ByteRange::new(attrs.start.unwrap_or(imp.start_byte()), imp.end_byte()),
            args,
            docs: join_doc_values(&attrs.docs),
            entries: entries.entries,
            hooks: entries.hooks,
        });
    }

    /// The hook of a complete method without `#[entry]`, if it is named like one.
    pub(super) fn hook(&mut self, f: Node<'_>) -> Option<HookDecl> {
        let queries = self.queries;
        let q = &queries.entries;
        let found = self.captures(q, f);
        let name = Self::capture(q, &found, "name")?;
        if !hooks::is_hook(self.src(name)) {
            return None;
        }
        let list = Self::capture(q, &found, "params")?;
        let mut c = list.walk();
        let nodes: Vec<Node<'_>> = list.named_children(&mut c).collect();
        let ref_self = nodes.iter().any(|n| {
            let text = squash(self.src(*n));
            n.kind() == "self_parameter" && text.starts_with('&') && !text.contains("mut")
        });
        let (params, _) = self.params(nodes);
        let generic = f.child_by_field_name("type_parameters").is_some_and(|t| t.named_child_count() > 0);
        Some(HookDecl {
            name: self.src(name).to_string(),
            name_range: range(name),
            shape: hooks::HookShape { ref_self, params: params.len(), generic },
        })
    }

    /// The entry of a complete method, if it is one.
    pub(super) fn entry(
        &mut self,
        f: Node<'_>,
        before: &[Node<'_>],
        errors: &mut Vec<AttrError>,
    ) -> Option<EntryDecl> {
        let queries = self.queries;
        let q = &queries.entries;
        let found = self.captures(q, f);
        let params = Self::capture(q, &found, "params")?;
        let mut c = params.walk();
        let params = params.named_children(&mut c).collect();
        let parts = EntryParts {
            before,
            body: Some(Self::capture(q, &found, "body")?),
            name: Self::capture(q, &found, "name")?,
            params,
            modifiers: Self::capture(q, &found, "modifiers"),
            start: f.start_byte(),
            end: f.end_byte(),
        };
        self.build_entry(parts, errors)
    }

    /// An entry from its parts (complete or half-typed), if it carries `#[entry]`.
    pub(super) fn build_entry(
        &mut self,
        parts: EntryParts<'_, '_>,
        errors: &mut Vec<AttrError>,
    ) -> Option<EntryDecl> {
        let attrs = self.item_attrs(parts.before, parts.body);
        let attr = self.find_attr(&attrs, "entry")?;
        let (args_src, base) = self.args_text(attr, errors);
        let args = parse_entry_args(args_src, base, errors);
        let is_async = parts.modifiers.is_some_and(|m| {
            let mut c = m.walk();
            let is_async = m.children(&mut c).any(|k| k.kind() == "async");
            is_async
        });
        let (params, has_self) = self.params(parts.params);
        Some(EntryDecl {
            name: self.src(parts.name).to_string(),
            name_range: range(parts.name),
            range: ByteRange::new(attrs.start.unwrap_or(parts.start), parts.end),
            attr_range: range(attr),
            args,
            is_async,
            has_self,
            docs: join_doc_values(&attrs.docs),
            params,
        })
    }

    /// Reads parameters from the named children of a parameter list (error nodes in it flattened).
    fn params(&mut self, nodes: Vec<Node<'_>>) -> (Vec<ParamDecl>, bool) {
        let mut params = Vec::new();
        let mut has_self = false;
        let mut attrs = Vec::new();
        let mut flat = Vec::with_capacity(nodes.len());
        for node in nodes {
            if node.kind() == "ERROR" {
                let mut c = node.walk();
                flat.extend(node.named_children(&mut c));
            } else {
                flat.push(node);
            }
        }
        for node in flat {
            match node.kind() {
                "attribute_item" => attrs.push(node),
                "line_comment" | "block_comment" => {}
                "self_parameter" => {
                    has_self = true;
                    attrs.clear();
                }
                "parameter" => {
                    let q = &self.queries.params;
                    let found = self.captures(q, node);
                    match (Self::capture(q, &found, "pattern"), Self::capture(q, &found, "type")) {
                        (Some(pat), _) if pat.kind() == "self" => has_self = true,
                        (Some(pat), Some(ty)) => {
                            let kind = param_kind(attrs.iter().map(|a| self.attr_path(*a)), self.src(ty));
                            let start = attrs.first().map_or(node.start_byte(), |a| a.start_byte());
                            params.push(ParamDecl {
                                name: self.pattern_name(pat),
                                ty: type_text(self.src(ty)),
                                kind,
                                range: ByteRange::new(start, node.end_byte()),
                                ty_range: range(ty),
                            });
                        }
                        _ => {}
                    }
                    attrs.clear();
                }
                _ => attrs.clear(),
            }
        }
        (params, has_self)
    }

    /// A parameter's name: the identifier of `x`, `mut x`, `ref x`, `x @ ..`; else the pattern's text.
    fn pattern_name(&self, pattern: Node<'_>) -> String {
        let mut p = pattern;
        loop {
            let next = match p.kind() {
                "identifier" => return self.src(p).to_string(),
                "ref_pattern" | "mut_pattern" => p.named_child(p.named_child_count().saturating_sub(1)),
                "captured_pattern" => p.named_child(0),
                _ => None,
            };
            match next {
                Some(n) if n.id() != p.id() => p = n,
                _ => return squash(self.src(pattern)),
            }
        }
    }

    /// The implemented type's name as `syn` reports it: the last path segment, through references.
    pub(super) fn type_name(&self, ty: Node<'_>) -> String {
        let mut t = ty;
        loop {
            let next = match t.kind() {
                "type_identifier" | "primitive_type" => return self.src(t).to_string(),
                "scoped_type_identifier" => t.child_by_field_name("name"),
                "generic_type" | "reference_type" => t.child_by_field_name("type"),
                // `(Foo)`: tree-sitter reads a parenthesised type as a tuple without a comma.
                "tuple_type" if t.named_child_count() == 1 && !has_child(t, ",") => t.named_child(0),
                _ => None,
            };
            match next {
                Some(n) => t = n,
                None => return squash(self.src(t)),
            }
        }
    }

    /// The outer attributes and doc comments in `before`, then the inner ones at the start of `body`.
    pub(super) fn item_attrs<'t>(&self, before: &[Node<'t>], body: Option<Node<'t>>) -> ItemAttrs<'t> {
        let mut out = ItemAttrs { start: None, attrs: Vec::new(), docs: Vec::new() };
        for node in before {
            if node.kind() == "attribute_item" {
                out.start.get_or_insert(node.start_byte());
                self.add_attr(&mut out, *node);
            } else {
                match comment_doc(self.src(*node)) {
                    Some((DocPlacement::Outer, doc)) => {
                        out.start.get_or_insert(node.start_byte());
                        out.docs.push(doc.to_string());
                    }
                    Some((DocPlacement::Inner, _)) => {
                        out = ItemAttrs { start: None, attrs: Vec::new(), docs: Vec::new() }
                    }
                    None => {}
                }
            }
        }
        let Some(body) = body else { return out };
        let mut c = body.walk();
        for node in body.named_children(&mut c) {
            match node.kind() {
                "inner_attribute_item" => self.add_attr(&mut out, node),
                "line_comment" | "block_comment" => {
                    if let Some((DocPlacement::Inner, doc)) = comment_doc(self.src(node)) {
                        out.docs.push(doc.to_string());
                    }
                }
                _ => break,
            }
        }
        out
    }

    fn add_attr<'t>(&self, out: &mut ItemAttrs<'t>, item: Node<'t>) {
        out.attrs.push(item);
        if self.attr_path(item) == "doc" {
            let value = attribute(item).and_then(|a| a.child_by_field_name("value"));
            if let Some(v) = value.filter(|v| matches!(v.kind(), "string_literal" | "raw_string_literal")) {
                if let Some(doc) = string_value(self.src(v)) {
                    out.docs.push(doc);
                }
            }
        }
    }

    /// The path of an attribute item (`coworks::entry` in `#[coworks::entry(..)]`).
    pub(super) fn attr_path(&self, item: Node<'_>) -> &'a str {
        attribute(item).and_then(|a| a.named_child(0)).map_or("", |p| self.src(p))
    }

    pub(super) fn find_attr<'t>(&self, attrs: &ItemAttrs<'t>, want: &str) -> Option<Node<'t>> {
        attrs.attrs.iter().copied().find(|a| is_coworks_attr(self.attr_path(*a), want))
    }

    /// The `#[service]` attribute of an item, else its `#[blueprint]` one (then `true`).
    pub(super) fn service_attr<'t>(&self, attrs: &ItemAttrs<'t>) -> Option<(Node<'t>, bool)> {
        let service = self.find_attr(attrs, "service").map(|a| (a, false));
        service.or_else(|| self.find_attr(attrs, "blueprint").map(|a| (a, true)))
    }

    /// The arguments of a `#[service]` (or `#[blueprint]`) attribute.
    pub(super) fn service_args(&self, attr: (Node<'_>, bool), errors: &mut Vec<AttrError>) -> ServiceArgs {
        let (args_src, base) = self.args_text(attr.0, errors);
        service_or_blueprint_args(attr.1, args_src, base, errors)
    }

    /// The text of an attribute's `( ... )` group and its offset; empty for a bare attribute.
    pub(super) fn args_text(&self, item: Node<'_>, errors: &mut Vec<AttrError>) -> (&'a str, usize) {
        let Some(attr) = attribute(item) else { return ("", item.end_byte()) };
        if let Some(args) = attr.child_by_field_name("arguments") {
            return (self.src(args), args.start_byte());
        }
        if attr.child_by_field_name("value").is_some() {
            let mut c = attr.walk();
            let eq = attr.children(&mut c).find(|n| n.kind() == "=");
            errors.push(AttrError::new(
                eq.map_or(range(attr), range),
                "write the arguments in parentheses: `#[entry(...)]`",
            ));
        }
        ("", item.end_byte())
    }
}

fn has_child(node: Node<'_>, kind: &str) -> bool {
    let mut c = node.walk();
    let found = node.children(&mut c).any(|n| n.kind() == kind);
    found
}

/// The `attribute` inside an `attribute_item` or `inner_attribute_item`.
fn attribute(item: Node<'_>) -> Option<Node<'_>> {
    let mut c = item.walk();
    let found = item.named_children(&mut c).find(|n| n.kind() == "attribute");
    found
}

pub(super) fn range(node: Node<'_>) -> ByteRange {
    ByteRange::new(node.start_byte(), node.end_byte())
}

#[cfg(test)]
mod tests;
