//! Blueprints: `#[coworks::blueprint] impl Admin { #[entry] ... }` is a reusable set of entries;
//! `#[coworks::service(blueprints(Admin = "/admin"))]` serves them under a prefix.
//!
//! `#[blueprint]` checks the entries with the core (as `#[service]` does), strips the CoWorks
//! attributes and makes the entry methods `pub` (the services mounting them may live in another
//! module, or in a binary of the package).
//!
//! A service mounting `Admin` resolves it as the core does: the `#[coworks::blueprint] impl Admin`
//! block(s) among the Rust files of the service's package (`CARGO_MANIFEST_DIR`, without `target/`
//! and hidden directories). The service's route table then holds the blueprint's entries with the
//! core's [`mount_route`] (`/admin` + `GET /status` → `GET /admin/status`), and its dispatcher calls
//! them on one instance of the blueprint per service, built with `Default` on first use. The files
//! read are included with `include_bytes!`, so cargo rebuilds the service when one changes.

use std::path::{Path, PathBuf};

use coworks_core::model::Entry;
use coworks_core::naming::mount_route;
use coworks_core::rust_source::attrs::{parse_blueprint_args, MountArg, ServiceArgs};
use coworks_core::rust_source::decl::{FileDecls, ServiceDecl};
use coworks_core::rust_source::file_model::{build, ParseMode};
use coworks_core::text::ByteRange;
use coworks_core::Severity;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::quote;
use syn::{ImplItem, Item, ItemImpl, Type, Visibility};

use crate::{check_duplicate, entry, is_attr, EntryItem, Errors};

/// Files larger than this are not read while looking for a blueprint (the core's scan limit).
const MAX_FILE: u64 = 4 * 1024 * 1024;

/// `#[coworks::blueprint]`: the block with its entries checked and their attributes stripped.
pub fn expand_blueprint(args: &str, imp: &mut ItemImpl) -> Result<TokenStream2, Errors> {
    let mut errors: Errors = Vec::new();
    let mut attr_errors = Vec::new();
    parse_blueprint_args(args, 0, &mut attr_errors);
    errors.extend(attr_errors.into_iter().map(|e| (Span::call_site(), e.message)));
    let type_name = type_name(&imp.self_ty);
    let mut entries: Vec<Entry> = Vec::new();
    for item in &mut imp.items {
        let ImplItem::Fn(f) = item else { continue };
        let Some(pos) = f.attrs.iter().position(|a| is_attr(a, "entry")) else { continue };
        let attr = f.attrs.remove(pos);
        if matches!(f.vis, Visibility::Inherited) {
            f.vis = syn::parse_quote!(pub);
        }
        match entry(f, &attr, &type_name, "") {
            Ok((e, item)) => {
                check_duplicate(&entries, &e, &item, &mut errors);
                entries.push(e);
            }
            Err(mut errs) => errors.append(&mut errs),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(quote!(#imp))
}

/// The last segment of a type's path (`Admin` of `crate::admin::Admin<T>`).
pub fn type_name(ty: &Type) -> String {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
        other => quote!(#other).to_string(),
    }
}

/// The blueprints a service mounts: their entries (routes prefixed) with how to call them, the
/// blueprint types (an entry's `receiver` indexes them) and the files read.
#[derive(Default)]
pub struct Mounted {
    /// Each mounted entry as the core sees it, and its call.
    pub entries: Vec<(Entry, EntryItem)>,
    /// The blueprint types, once each.
    pub types: Vec<syn::Ident>,
    /// The files the blueprints were read from.
    pub files: Vec<PathBuf>,
}

/// Resolves the mounts of a service among the package's files: what could be resolved, and the
/// errors of the rest.
pub fn mounted(mounts: &[MountArg]) -> (Mounted, Errors) {
    let mut out = Mounted::default();
    let mut errors: Errors = Vec::new();
    if mounts.is_empty() {
        return (out, errors);
    }
    let root = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from).unwrap_or_default();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    // The core decides which mounts are valid (malformed prefixes, a mount repeated), with its
    // messages.
    let decl = ServiceDecl {
        blueprint: false,
        // Any valid service name: only the mounts are read.
        type_name: "Service".into(),
        type_range: ByteRange::default(),
        range: ByteRange::default(),
        args: ServiceArgs { name: None, blueprints: mounts.to_vec() },
        docs: String::new(),
        entries: Vec::new(),
        hooks: Vec::new(),
    };
    let decls = FileDecls { services: vec![decl], attr_errors: Vec::new() };
    let model = build(Path::new(""), Path::new(""), "", &decls, ParseMode::Exact);
    for d in model.diagnostics.iter().filter(|d| d.severity == Severity::Error) {
        errors.push((Span::call_site(), format!("{} [{}]", d.message, d.code)));
    }
    for m in model.services.iter().flat_map(|s| &s.mounts) {
        let (name, prefix) = (m.blueprint.as_str(), m.prefix.as_str());
        let blocks = find_blueprint(&files, name);
        if blocks.is_empty() {
            errors.push((
                Span::call_site(),
                format!("no `#[coworks::blueprint] impl {name}` in this package's Rust files [CWS070]"),
            ));
            continue;
        }
        let receiver = match out.types.iter().position(|t| t == name) {
            Some(i) => i,
            None => {
                out.types.push(syn::Ident::new(name, Span::call_site()));
                out.types.len() - 1
            }
        };
        for (file, mut imp) in blocks {
            if !out.files.contains(&file) {
                out.files.push(file);
            }
            for item in &mut imp.items {
                let ImplItem::Fn(f) = item else { continue };
                let Some(pos) = f.attrs.iter().position(|a| is_attr(a, "entry")) else { continue };
                let attr = f.attrs.remove(pos);
                match entry(f, &attr, name, "") {
                    Ok((mut e, mut item)) => {
                        e.route = mount_route(prefix, &e.route);
                        item.receiver = Some(receiver);
                        out.entries.push((e, item));
                    }
                    Err(mut errs) => errors.append(&mut errs),
                }
            }
        }
    }
    (out, errors)
}

/// The `.rs` files under `dir`, without `target/` and hidden directories, in path order.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(read) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = read.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        if meta.is_dir() && name != "target" && !name.starts_with('.') {
            rust_files(&path, out);
        } else if meta.is_file() && name.ends_with(".rs") && meta.len() <= MAX_FILE {
            out.push(path);
        }
    }
}

/// The `#[blueprint] impl NAME` blocks of `files`, with their file.
fn find_blueprint(files: &[PathBuf], name: &str) -> Vec<(PathBuf, ItemImpl)> {
    let mut out = Vec::new();
    for path in files {
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        if !text.contains("blueprint") {
            continue;
        }
        let Ok(file) = syn::parse_file(&text) else { continue };
        collect(&file.items, name, &mut |imp| out.push((path.clone(), imp)));
    }
    out
}

fn collect(items: &[Item], name: &str, found: &mut impl FnMut(ItemImpl)) {
    for item in items {
        match item {
            Item::Impl(imp)
                if imp.attrs.iter().any(|a| is_attr(a, "blueprint")) && type_name(&imp.self_ty) == name =>
            {
                found(imp.clone())
            }
            Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    collect(inner, name, found);
                }
            }
            _ => {}
        }
    }
}

/// What the service's expansion adds for its mounts: the files read, tracked by cargo.
pub fn tracked(files: &[PathBuf]) -> TokenStream2 {
    let files = files.iter().filter_map(|f| f.to_str());
    quote!(#(const _: &[u8] = ::core::include_bytes!(#files);)*)
}
