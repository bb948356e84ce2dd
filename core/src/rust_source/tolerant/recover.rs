//! Reading half-typed code. When tree-sitter cannot build an `impl_item` or a `function_item`, it
//! keeps their pieces in an error node: the `impl` keyword, the type, the methods that did parse;
//! `fn`, the name, the parameters of the method being typed. The walker hands these pieces over in
//! order; the readers here put them back together.

use tree_sitter::Node;

use crate::rust_source::decl::{join_doc_values, AttrError, EntryDecl, ServiceDecl};
use crate::rust_source::hooks::HookDecl;
use crate::text::ByteRange;

use super::{range, EntryParts, Reader};

/// Collects the entries of one service body: complete methods, and a method still being typed.
pub(super) struct Entries<'t> {
    /// Entries found, in source order.
    pub entries: Vec<EntryDecl>,
    /// Problems with their attributes.
    pub errors: Vec<AttrError>,
    /// Hooks found (complete methods only), in source order.
    pub hooks: Vec<HookDecl>,
    partial: Option<PartialFn<'t>>,
    /// The body has syntax errors: a method with an unclosed body may hold the methods after it.
    broken: bool,
}

/// `fn name(params` without a body yet.
struct PartialFn<'t> {
    before: Vec<Node<'t>>,
    start: usize,
    name: Option<Node<'t>>,
    params: Vec<Node<'t>>,
    end: usize,
}

impl<'t> Entries<'t> {
    /// A collector; `broken` when the body being read has syntax errors.
    pub fn new(broken: bool) -> Self {
        Entries { entries: Vec::new(), errors: Vec::new(), hooks: Vec::new(), partial: None, broken }
    }

    /// Reads one item of the body (see `walk_items`); returns a node to descend into.
    pub fn feed(&mut self, reader: &mut Reader<'_>, item: Node<'t>, before: &[Node<'t>]) -> Option<Node<'t>> {
        if let Some(p) = self.partial.as_mut() {
            match item.kind() {
                "identifier" if p.name.is_none() => {
                    p.name = Some(item);
                    p.end = item.end_byte();
                    return None;
                }
                "parameters" if p.name.is_some() && p.params.is_empty() => {
                    let mut c = item.walk();
                    p.params.extend(item.named_children(&mut c));
                    p.end = item.end_byte();
                    return None;
                }
                // Parameters whose list tree-sitter could not build stand alone, with their attributes.
                "self_parameter" | "parameter" if p.name.is_some() => {
                    p.params.extend(before.iter().filter(|n| n.kind() == "attribute_item"));
                    p.params.push(item);
                    p.end = item.end_byte();
                    return None;
                }
                _ => self.finish(reader),
            }
        }
        match item.kind() {
            "fn" => {
                let modifiers =
                    before.iter().find(|n| matches!(n.kind(), "function_modifiers" | "visibility_modifier"));
                self.partial = Some(PartialFn {
                    before: before.to_vec(),
                    start: modifiers.map_or(item.start_byte(), |m| m.start_byte()),
                    name: None,
                    params: Vec::new(),
                    end: item.end_byte(),
                });
                None
            }
            "function_item" => {
                if let Some(e) = reader.entry(item, before, &mut self.errors) {
                    self.entries.push(e);
                } else if let Some(h) = reader.hook(item) {
                    self.hooks.push(h);
                }
                let body = item.child_by_field_name("body")?;
                (self.broken || body.has_error()).then_some(body)
            }
            _ => None,
        }
    }

    /// Ends a method still being typed, keeping it if it is an entry with a name.
    pub fn finish(&mut self, reader: &mut Reader<'_>) {
        let Some(p) = self.partial.take() else { return };
        let Some(name) = p.name else { return };
        let modifiers = p.before.iter().copied().find(|n| n.kind() == "function_modifiers");
        let parts = EntryParts {
            before: &p.before,
            body: None,
            name,
            params: p.params,
            modifiers,
            start: p.start,
            end: p.end,
        };
        if let Some(e) = reader.build_entry(parts, &mut self.errors) {
            self.entries.push(e);
        }
    }
}

/// A service whose `impl` block tree-sitter could not build (typically its closing brace is
/// missing): `#[service]`, the `impl` keyword, then its type and methods as loose pieces.
pub(super) struct Shattered<'t> {
    before: Vec<Node<'t>>,
    start: usize,
    ty: Option<Node<'t>>,
    entries: Entries<'t>,
    end: usize,
}

fn is_type(kind: &str) -> bool {
    matches!(
        kind,
        "type_identifier"
            | "generic_type"
            | "scoped_type_identifier"
            | "primitive_type"
            | "reference_type"
            | "tuple_type"
            | "array_type"
    )
}

impl<'t> Shattered<'t> {
    /// Starts at a loose `impl` keyword, if the attributes before it mark a service.
    pub fn start(reader: &Reader<'_>, impl_token: Node<'t>, before: &[Node<'t>]) -> Option<Self> {
        let attrs = reader.item_attrs(before, None);
        reader.service_attr(&attrs)?;
        Some(Shattered {
            before: before.to_vec(),
            start: attrs.start.unwrap_or(impl_token.start_byte()),
            ty: None,
            entries: Entries::new(true),
            end: impl_token.end_byte(),
        })
    }

    /// Reads the next loose piece; returns a node to descend into.
    pub fn feed(&mut self, reader: &mut Reader<'_>, item: Node<'t>, before: &[Node<'t>]) -> Option<Node<'t>> {
        self.end = self.end.max(item.end_byte());
        let before_methods = self.entries.entries.is_empty() && self.entries.partial.is_none();
        if before_methods && item.kind() == "type_parameters" {
            return None;
        }
        // The type (in `impl Trait for Type`, the second one).
        if before_methods && is_type(item.kind()) {
            self.ty = Some(item);
            return None;
        }
        self.entries.feed(reader, item, before)
    }

    /// Adds the service to what `reader` found.
    pub fn finish(mut self, reader: &mut Reader<'_>) {
        self.entries.finish(reader);
        let Some(ty) = self.ty else { return };
        let attrs = reader.item_attrs(&self.before, None);
        let Some(attr) = reader.service_attr(&attrs) else { return };
        let mut errors = Vec::new();
        let args = reader.service_args(attr, &mut errors);
        errors.append(&mut self.entries.errors);
        reader.out.attr_errors.append(&mut errors);
        let end = self.entries.entries.iter().map(|e| e.range.end).fold(self.end, usize::max);
        reader.out.services.push(ServiceDecl {
            blueprint: attr.1,
            type_name: reader.type_name(ty),
            type_range: range(ty),
            range: ByteRange::new(self.start, end),
            args,
            docs: join_doc_values(&attrs.docs),
            entries: self.entries.entries,
            hooks: self.entries.hooks,
        });
    }
}
