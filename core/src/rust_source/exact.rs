//! The exact path: `syn` on a file that parses.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, ImplItem, Item, Meta, Pat, Type};

use crate::text::ByteRange;

use super::attrs::{parse_entry_args, service_or_blueprint_args};
use super::decl::{
    is_coworks_attr, join_doc_values, param_kind, squash, type_text, AttrError, EntryDecl, FileDecls,
    ParamDecl, ServiceDecl,
};

/// A syntax error `syn` found: its message and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What `syn` says.
    pub message: String,
    /// Where.
    pub range: ByteRange,
}

/// Parses `text` with `syn`. `Err` when the file is not valid Rust (the tolerant path takes over).
pub fn parse(text: &str) -> Result<FileDecls, SyntaxError> {
    let result = match syn::parse_file(text) {
        Ok(file) => {
            let mut out = FileDecls::default();
            items(text, &file.items, &mut out);
            Ok(out)
        }
        Err(e) => Err(SyntaxError { message: e.to_string(), range: range(e.span()) }),
    };
    // proc-macro2 keeps every parsed text for span lookups; drop them once this file is read.
    proc_macro2::extra::invalidate_current_thread_spans();
    result
}

fn range(span: Span) -> ByteRange {
    let r = span.byte_range();
    ByteRange::new(r.start, r.end)
}

fn items(text: &str, items: &[Item], out: &mut FileDecls) {
    for item in items {
        match item {
            Item::Impl(imp) => {
                let marked = |want| imp.attrs.iter().find(|a| is_coworks_attr(&path_text(a), want));
                if let Some(attr) = marked("service").or_else(|| marked("blueprint")) {
                    let service = service(text, imp, attr, &mut out.attr_errors);
                    out.services.push(service);
                }
            }
            Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    self::items(text, inner, out);
                }
            }
            _ => {}
        }
    }
}

fn path_text(attr: &Attribute) -> String {
    let segs: Vec<String> = attr.path().segments.iter().map(|s| s.ident.to_string()).collect();
    let lead = if attr.path().leading_colon.is_some() { "::" } else { "" };
    format!("{lead}{}", segs.join("::"))
}

/// The text of an attribute's `( ... )` group and its offset; empty for a bare attribute.
fn args_text<'t>(text: &'t str, attr: &Attribute, errors: &mut Vec<AttrError>) -> (&'t str, usize) {
    match &attr.meta {
        Meta::List(list) => {
            let r = range(list.delimiter.span().join());
            (text.get(r.start..r.end).unwrap_or(""), r.start)
        }
        Meta::Path(_) => ("", range(attr.span()).end),
        Meta::NameValue(nv) => {
            errors.push(AttrError::new(
                range(nv.eq_token.span),
                "write the arguments in parentheses: `#[entry(...)]`",
            ));
            ("", range(attr.span()).end)
        }
    }
}

fn docs(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for a in attrs {
        if let Meta::NameValue(nv) = &a.meta {
            if nv.path.is_ident("doc") {
                if let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) = &nv.value {
                    lines.push(s.value());
                }
            }
        }
    }
    join_doc_values(&lines)
}

fn type_name(text: &str, ty: &Type) -> String {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
        Type::Reference(r) => type_name(text, &r.elem),
        Type::Paren(p) => type_name(text, &p.elem),
        other => {
            let r = range(other.span());
            squash(text.get(r.start..r.end).unwrap_or(""))
        }
    }
}

fn service(text: &str, imp: &syn::ItemImpl, attr: &Attribute, errors: &mut Vec<AttrError>) -> ServiceDecl {
    let (args_src, base) = args_text(text, attr, errors);
    let blueprint = is_coworks_attr(&path_text(attr), "blueprint");
    let args = service_or_blueprint_args(blueprint, args_src, base, errors);
    let mut entries = Vec::new();
    let mut hooks = Vec::new();
    for it in &imp.items {
        if let ImplItem::Fn(f) = it {
            if let Some(attr) = f.attrs.iter().find(|a| is_coworks_attr(&path_text(a), "entry")) {
                entries.push(entry(text, f, attr, errors));
            } else if super::hooks::is_hook(&f.sig.ident.to_string()) {
                hooks.push(hook(f));
            }
        }
    }
    ServiceDecl {
        blueprint,
        type_name: type_name(text, &imp.self_ty),
        type_range: range(imp.self_ty.span()),
        range: range(imp.span()),
        args,
        docs: docs(&imp.attrs),
        entries,
        hooks,
    }
}

fn hook(f: &syn::ImplItemFn) -> super::hooks::HookDecl {
    let ref_self = f
        .sig
        .receiver()
        .is_some_and(|r| r.colon_token.is_none() && r.reference.is_some() && r.mutability.is_none());
    let params = f.sig.inputs.iter().filter(|i| matches!(i, FnArg::Typed(_))).count();
    super::hooks::HookDecl {
        name: f.sig.ident.to_string(),
        name_range: range(f.sig.ident.span()),
        shape: super::hooks::HookShape { ref_self, params, generic: !f.sig.generics.params.is_empty() },
    }
}

fn entry(text: &str, f: &syn::ImplItemFn, attr: &Attribute, errors: &mut Vec<AttrError>) -> EntryDecl {
    let (args_src, base) = args_text(text, attr, errors);
    let args = parse_entry_args(args_src, base, errors);
    let mut params = Vec::new();
    for input in &f.sig.inputs {
        if let FnArg::Typed(pt) = input {
            let ty_range = range(pt.ty.span());
            let paths: Vec<String> = pt.attrs.iter().map(path_text).collect();
            let kind = param_kind(
                paths.iter().map(String::as_str),
                text.get(ty_range.start..ty_range.end).unwrap_or(""),
            );
            let name = match &*pt.pat {
                Pat::Ident(pi) => pi.ident.to_string(),
                other => {
                    let r = range(other.span());
                    squash(text.get(r.start..r.end).unwrap_or(""))
                }
            };
            params.push(ParamDecl {
                name,
                ty: type_text(text.get(ty_range.start..ty_range.end).unwrap_or("")),
                kind,
                range: range(pt.span()),
                ty_range,
            });
        }
    }
    EntryDecl {
        name: f.sig.ident.to_string(),
        name_range: range(f.sig.ident.span()),
        range: range(f.span()),
        attr_range: range(attr.span()),
        args,
        is_async: f.sig.asyncness.is_some(),
        has_self: f.sig.receiver().is_some(),
        docs: docs(&f.attrs),
        params,
    }
}
