//! `#[coworks::service]`: turns an `impl` block into a CoWorks tech microservice.
//!
//! The macro reads the block's `#[entry(...)]` methods and their `#[query]` / `#[body]` parameters,
//! and asks **the core** (`coworks-core`, without its analysis feature) for everything a route is:
//! the attribute grammar ([`coworks_core::rust_source::attrs`]), the naming rule and the one-file
//! checks ([`coworks_core::rust_source::file_model::build`]). Errors the core finds become
//! `compile_error!`s with the core's message, so `cargo build` and `cws check` say the same thing.
//!
//! It then strips the CoWorks attributes, keeps the methods as they are, and implements
//! `coworks::Service` for the type: the route table (`ENTRIES`) and a dispatcher that extracts each
//! parameter, calls the method (awaiting it when `async`) and turns its return value into a response.
//!
//! `#[coworks::blueprint]` marks a reusable set of entries that services mount under a prefix
//! (`#[coworks::service(blueprints(Admin = "/admin"))]`); see [`blueprint`](mod@blueprint).
//!
//! Methods named `before` and `after` (without `#[entry]`) are the service's hooks
//! ([`coworks_core::rust_source::hooks`]): checked with the core's rule and wired into the trait.

mod blueprint;

use std::path::Path;

use coworks_core::model::{Entry, ParamSource};
use coworks_core::rust_source::attrs::{parse_entry_args, parse_service_args, ServiceArgs};
use coworks_core::rust_source::decl::{
    param_kind, AttrError, EntryDecl, FileDecls, ParamDecl, ParamKind, ServiceDecl,
};
use coworks_core::rust_source::file_model::{build, ParseMode};
use coworks_core::text::ByteRange;
use coworks_core::Severity;
use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{parse_macro_input, Attribute, FnArg, ImplItem, ImplItemFn, ItemImpl, Meta, Pat, Type};

/// Marks an `impl` block as a CoWorks microservice; see the `coworks` crate for the syntax.
#[proc_macro_attribute]
pub fn service(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut imp = parse_macro_input!(item as ItemImpl);
    let args_text = TokenStream2::from(args).to_string();
    match expand(&args_text, &mut imp) {
        Ok(tokens) => tokens.into(),
        Err(errors) => {
            let errors = errors.into_iter().map(|(span, msg)| quote_spanned!(span=> compile_error!(#msg);));
            quote!(#imp #(#errors)*).into()
        }
    }
}

/// Marks an `impl` block as a CoWorks blueprint: entries that services of the package mount under a
/// prefix with `#[coworks::service(blueprints(Type = "/prefix"))]`; see the `coworks` crate.
#[proc_macro_attribute]
pub fn blueprint(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut imp = parse_macro_input!(item as ItemImpl);
    let args_text = TokenStream2::from(args).to_string();
    match blueprint::expand_blueprint(&args_text, &mut imp) {
        Ok(tokens) => tokens.into(),
        Err(errors) => {
            let errors = errors.into_iter().map(|(span, msg)| quote_spanned!(span=> compile_error!(#msg);));
            quote!(#imp #(#errors)*).into()
        }
    }
}

type Errors = Vec<(Span, String)>;

/// Whether an attribute path names CoWorks' `want` (`entry`, `coworks::entry`), as the core reads it.
fn is_attr(attr: &Attribute, want: &str) -> bool {
    let path = attr.path().to_token_stream().to_string();
    coworks_core::rust_source::decl::is_coworks_attr(&path, want)
}

/// The text of an attribute's parenthesised arguments, as the core's readers hand it over.
fn attr_args_text(attr: &Attribute, errors: &mut Errors) -> String {
    match &attr.meta {
        Meta::List(list) => format!("({})", list.tokens),
        Meta::Path(_) => String::new(),
        Meta::NameValue(nv) => {
            errors.push((nv.span(), "write the arguments in parentheses: `#[entry(...)]`".into()));
            String::new()
        }
    }
}

/// One entry method as read from the block, with where its extracted values go.
struct EntryItem {
    ident: syn::Ident,
    is_async: bool,
    /// `(kind, name, type)` of each typed parameter, in order.
    params: Vec<(ParamKind, String, Type)>,
    span: Span,
    /// `None`: a method of the service; `Some(i)`: of the `i`-th blueprint it mounts (its
    /// parameters' types are then inferred from the method, since they are named in another module).
    receiver: Option<usize>,
}

/// A `compile_error` when `e` answers the route of an entry already in `entries`.
fn check_duplicate(entries: &[Entry], e: &Entry, item: &EntryItem, errors: &mut Errors) {
    if let Some(first) = entries.iter().find(|x| x.route.shape() == e.route.shape()) {
        errors.push((
            item.span,
            format!(
                "duplicate route {}: `{}` and `{}` answer the same requests",
                e.route, first.rust_name, e.rust_name
            ),
        ));
    }
}

fn expand(service_args: &str, imp: &mut ItemImpl) -> Result<TokenStream2, Errors> {
    let mut errors: Errors = Vec::new();
    let mut attr_errors = Vec::new();
    let sargs = parse_service_args(service_args, 0, &mut attr_errors);
    for e in attr_errors {
        errors.push((Span::call_site(), e.message));
    }
    let type_name = match &*imp.self_ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
        other => other.to_token_stream().to_string(),
    };
    let mut items = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut has_authorize = false;
    let mut hooks = Hooks::default();
    for item in &mut imp.items {
        let ImplItem::Fn(f) = item else { continue };
        if f.sig.ident == "authorize" {
            has_authorize = true;
        }
        let Some(pos) = f.attrs.iter().position(|a| is_attr(a, "entry")) else {
            hooks.read(f, &mut errors);
            continue;
        };
        let attr = f.attrs.remove(pos);
        match entry(f, &attr, &type_name, service_args) {
            Ok((e, item)) => {
                check_duplicate(&entries, &e, &item, &mut errors);
                entries.push(e);
                items.push(item);
            }
            Err(mut errs) => errors.append(&mut errs),
        }
    }
    let (mounted, mut mount_errors) = blueprint::mounted(&sargs.blueprints);
    errors.append(&mut mount_errors);
    for (e, item) in mounted.entries {
        check_duplicate(&entries, &e, &item, &mut errors);
        entries.push(e);
        items.push(item);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let name = sargs.name.map(|n| n.value).unwrap_or_else(|| coworks_core::naming::service_name(&type_name));
    let service = Generated { name: &name, entries: &entries, items: &items, has_authorize, hooks: &hooks };
    let tracked = blueprint::tracked(&mounted.files);
    let code = generate(imp, &service, &mounted.types);
    Ok(quote!(#code #tracked))
}

/// The service's hooks: for each, whether it is `async`.
#[derive(Default)]
struct Hooks {
    before: Option<bool>,
    after: Option<bool>,
}

impl Hooks {
    /// Reads a method without `#[entry]`: a hook when named like one, checked with the core's rule.
    fn read(&mut self, f: &ImplItemFn, errors: &mut Errors) {
        use coworks_core::rust_source::hooks;
        let name = f.sig.ident.to_string();
        if !hooks::is_hook(&name) {
            return;
        }
        let ref_self = f
            .sig
            .receiver()
            .is_some_and(|r| r.colon_token.is_none() && r.reference.is_some() && r.mutability.is_none());
        let params = f.sig.inputs.iter().filter(|i| matches!(i, FnArg::Typed(_))).count();
        let shape = hooks::HookShape { ref_self, params, generic: !f.sig.generics.params.is_empty() };
        if let Some((code, msg)) = hooks::shape_problem(&name, shape) {
            errors.push((f.sig.span(), format!("{msg} [{code}]")));
            return;
        }
        let is_async = Some(f.sig.asyncness.is_some());
        if name == hooks::AFTER {
            self.after = is_async;
        } else {
            self.before = is_async;
        }
    }

    /// The trait items that run them.
    fn generate(&self, self_ty: &Type) -> TokenStream2 {
        let before = self.before.map(|is_async| {
            let run = if is_async {
                quote!(<#self_ty>::before(self, call).await)
            } else {
                quote!(<#self_ty>::before(self, call))
            };
            quote! {
                const HAS_BEFORE: bool = true;
                fn before<'a>(
                    &'a self,
                    call: &'a ::coworks::hooks::Call,
                ) -> ::coworks::BoxFuture<'a, ::core::option::Option<::coworks::Response>> {
                    ::std::boxed::Box::pin(async move { ::coworks::hooks::BeforeOutcome::into_outcome(#run) })
                }
            }
        });
        let after = self.after.map(|is_async| {
            let run = if is_async {
                quote!(<#self_ty>::after(self, call, response).await)
            } else {
                quote!(<#self_ty>::after(self, call, response))
            };
            quote! {
                const HAS_AFTER: bool = true;
                fn after<'a>(
                    &'a self,
                    call: &'a ::coworks::hooks::Call,
                    response: ::coworks::Response,
                ) -> ::coworks::BoxFuture<'a, ::coworks::Response> {
                    ::std::boxed::Box::pin(async move { ::coworks::IntoResponse::into_response(#run) })
                }
            }
        });
        quote!(#before #after)
    }
}

/// Reads one entry method, strips its parameter attributes, and asks the core for its route.
fn entry(
    f: &mut ImplItemFn,
    attr: &Attribute,
    type_name: &str,
    service_args: &str,
) -> Result<(Entry, EntryItem), Errors> {
    let mut errors: Errors = Vec::new();
    let args_text = attr_args_text(attr, &mut errors);
    let mut attr_errors: Vec<AttrError> = Vec::new();
    let args = parse_entry_args(&args_text, 0, &mut attr_errors);
    let mut params = Vec::new();
    let mut decls = Vec::new();
    for input in &mut f.sig.inputs {
        let FnArg::Typed(pt) = input else { continue };
        let paths: Vec<String> = pt.attrs.iter().map(|a| a.path().to_token_stream().to_string()).collect();
        let kind = param_kind(paths.iter().map(String::as_str), &pt.ty.to_token_stream().to_string());
        pt.attrs.retain(|a| !["query", "body", "context"].iter().any(|w| is_attr(a, w)));
        let name = match &*pt.pat {
            Pat::Ident(pi) => pi.ident.to_string(),
            other => {
                errors.push((other.span(), "an entry parameter is a plain name (`id: u64`)".into()));
                continue;
            }
        };
        let ty = type_text(&pt.ty.to_token_stream().to_string());
        let zero = ByteRange::new(0, 0);
        decls.push(ParamDecl { name: name.clone(), ty, kind, range: zero, ty_range: zero });
        params.push((kind, name, (*pt.ty).clone()));
    }
    let zero = ByteRange::new(0, 0);
    let decl = EntryDecl {
        name: f.sig.ident.to_string(),
        name_range: zero,
        range: zero,
        attr_range: zero,
        args,
        is_async: f.sig.asyncness.is_some(),
        has_self: f.sig.receiver().is_some(),
        docs: String::new(),
        params: decls,
    };
    let mut sargs_errors = Vec::new();
    let file_decls = FileDecls {
        services: vec![ServiceDecl {
            blueprint: false,
            type_name: type_name.to_string(),
            type_range: zero,
            range: zero,
            // The mounts are checked once, by `blueprint::mounted`, not with each entry.
            args: ServiceArgs {
                blueprints: Vec::new(),
                ..parse_service_args(service_args, 0, &mut sargs_errors)
            },
            docs: String::new(),
            entries: vec![decl],
            hooks: Vec::new(),
        }],
        attr_errors,
    };
    let model = build(Path::new(""), Path::new(""), &args_text, &file_decls, ParseMode::Exact);
    let span = attr.span();
    for d in &model.diagnostics {
        if d.severity == Severity::Error {
            errors.push((span, format!("{} [{}]", d.message, d.code)));
        }
    }
    if let Some(r) = f.sig.receiver() {
        if r.reference.is_none() || r.mutability.is_some() {
            errors.push((r.span(), "an entry takes `&self` (the service state is shared)".into()));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let entry = model.services.into_iter().next().and_then(|s| s.entries.into_iter().next());
    let Some(entry) = entry else {
        return Err(vec![(span, "the core found no entry here".into())]);
    };
    let item = EntryItem {
        ident: f.sig.ident.clone(),
        is_async: f.sig.asyncness.is_some(),
        params,
        span: f.span(),
        receiver: None,
    };
    Ok((entry, item))
}

/// A type's text as the core writes types.
fn type_text(s: &str) -> String {
    coworks_core::rust_source::decl::type_text(s)
}

/// Whether a body's type is the runtime's `Multipart` (read from `multipart/form-data`).
fn is_multipart(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Multipart"))
}

/// `Option<T>` → ("Option", T); `Vec<T>` → ("Vec", T).
fn wrapper(ty: &Type) -> Option<(&'static str, &Type)> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    let which = match last.ident.to_string().as_str() {
        "Option" => "Option",
        "Vec" => "Vec",
        _ => return None,
    };
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    match args.args.first()? {
        syn::GenericArgument::Type(t) => Some((which, t)),
        _ => None,
    }
}

/// What the `Service` impl is generated from.
struct Generated<'a> {
    name: &'a str,
    entries: &'a [Entry],
    items: &'a [EntryItem],
    has_authorize: bool,
    hooks: &'a Hooks,
}

/// The `coworks::Service` impl; `blueprints` are the types of the blueprints mounted (one static
/// instance each, built with `Default` on first use).
fn generate(imp: &ItemImpl, service: &Generated<'_>, blueprints: &[syn::Ident]) -> TokenStream2 {
    let Generated { name, entries, items, has_authorize, hooks } = *service;
    let self_ty = &imp.self_ty;
    let (impl_generics, _, where_clause) = imp.generics.split_for_impl();
    let infos = entries.iter().map(|e| {
        let rust_name = &e.rust_name;
        let method = e.route.method.as_str();
        let path = &e.route.path;
        let params = e.params.iter().map(|p| {
            let (n, t) = (&p.name, &p.ty);
            let source = match p.source {
                ParamSource::Path => quote!(::coworks::ParamSource::Path),
                ParamSource::Query => quote!(::coworks::ParamSource::Query),
                ParamSource::Body => quote!(::coworks::ParamSource::Body),
            };
            quote!(::coworks::ParamInfo { name: #n, ty: #t, source: #source })
        });
        let no_auth = e.auth == coworks_core::Auth::None;
        let stages = &e.stages;
        let binary = match &e.binary_content_type {
            Some(ct) => quote!(::core::option::Option::Some(#ct)),
            None => quote!(::core::option::Option::None),
        };
        let is_async = e.is_async;
        quote! {
            ::coworks::EntryInfo {
                rust_name: #rust_name,
                method: #method,
                path: #path,
                params: &[#(#params),*],
                no_auth: #no_auth,
                stages: &[#(#stages),*],
                binary_content_type: #binary,
                is_async: #is_async,
            }
        }
    });
    let arms = items.iter().zip(entries).enumerate().map(|(i, (item, e))| {
        let mut lets = Vec::new();
        let mut args = Vec::new();
        let mut path_index = 0usize;
        let infer: Type = syn::parse_quote!(_);
        for (n, (kind, pname, written)) in item.params.iter().enumerate() {
            let var = syn::Ident::new(&format!("__cws_arg{n}"), Span::call_site());
            let ty_text = type_text(&written.to_token_stream().to_string());
            let ty = if item.receiver.is_some() { &infer } else { written };
            let extract = match kind {
                ParamKind::Plain => {
                    let idx = path_index;
                    path_index += 1;
                    quote!(::coworks::extract::path::<#ty>(&__cws_input, #idx, #pname, #ty_text))
                }
                ParamKind::Query => match wrapper(written) {
                    Some(("Option", inner)) => {
                        let inner = if item.receiver.is_some() { &infer } else { inner };
                        quote!(::coworks::extract::query_opt::<#inner>(&__cws_input, #pname, #ty_text))
                    }
                    Some((_, inner)) => {
                        let inner = if item.receiver.is_some() { &infer } else { inner };
                        quote!(::coworks::extract::query_vec::<#inner>(&__cws_input, #pname, #ty_text))
                    }
                    None => quote!(::coworks::extract::query_one::<#ty>(&__cws_input, #pname, #ty_text)),
                },
                ParamKind::Body => match (wrapper(written), is_multipart(written)) {
                    (Some(("Option", inner)), _) => {
                        let inner = if item.receiver.is_some() { &infer } else { inner };
                        quote!(::coworks::extract::body_opt::<#inner>(&__cws_input, #pname, #ty_text))
                    }
                    (_, true) => quote!(::coworks::extract::multipart(&__cws_input, #pname).await),
                    _ => quote!(::coworks::extract::body::<#ty>(&__cws_input, #pname, #ty_text)),
                },
                ParamKind::Context => {
                    lets.push(quote!(let #var: &::coworks::Context = __cws_call.context();));
                    args.push(var);
                    continue;
                }
            };
            lets.push(quote! {
                let #var: #ty = match #extract {
                    ::core::result::Result::Ok(v) => v,
                    ::core::result::Result::Err(rejection) => return rejection.into_response(),
                };
            });
            args.push(var);
        }
        let ident = &item.ident;
        let receiver = match item.receiver {
            Some(b) => {
                let (instance, ty) = (blueprint_static(b), &blueprints[b]);
                quote!(#instance.get_or_init(<#ty as ::core::default::Default>::default))
            }
            None => quote!(self),
        };
        let call = if item.is_async {
            quote!(#receiver.#ident(#(#args),*).await)
        } else {
            quote!(#receiver.#ident(#(#args),*))
        };
        let finish = match &e.binary_content_type {
            Some(ct) => quote!(::coworks::response::with_content_type(__cws_response, #ct)),
            None => quote!(__cws_response),
        };
        quote! {
            #i => {
                #(#lets)*
                let __cws_response = ::coworks::IntoResponse::into_response(#call);
                #finish
            }
        }
    });
    let instances = blueprints.iter().enumerate().map(|(b, ty)| {
        let instance = blueprint_static(b);
        quote!(static #instance: ::std::sync::OnceLock<#ty> = ::std::sync::OnceLock::new();)
    });
    let authorize = if has_authorize {
        quote! {
            fn authorize(&self, token: &str) -> bool {
                <Self as ::coworks::Service>::principal(self, token).is_some()
            }

            fn principal(&self, token: &str) -> ::core::option::Option<::coworks::Principal> {
                ::coworks::IntoPrincipal::into_principal(<#self_ty>::authorize(self, token))
            }
        }
    } else {
        quote!()
    };
    let hooks = hooks.generate(self_ty);
    quote! {
        #imp

        impl #impl_generics ::coworks::Service for #self_ty #where_clause {
            const NAME: &'static str = #name;
            const ENTRIES: &'static [::coworks::EntryInfo] = &[#(#infos),*];

            #authorize
            #hooks

            fn call<'__cws>(
                &'__cws self,
                __cws_entry: usize,
                __cws_input: ::coworks::Input,
                __cws_call: &'__cws ::coworks::Call,
            ) -> ::coworks::BoxFuture<'__cws, ::coworks::Response> {
                #(#instances)*
                ::std::boxed::Box::pin(async move {
                    match __cws_entry {
                        #(#arms)*
                        _ => ::coworks::response::not_found(),
                    }
                })
            }
        }
    }
}

/// The static holding the instance of the `b`-th blueprint a service mounts.
fn blueprint_static(b: usize) -> syn::Ident {
    syn::Ident::new(&format!("__CWS_BLUEPRINT_{b}"), Span::call_site())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors_of(service_args: &str, code: &str) -> Vec<String> {
        let mut imp: ItemImpl = syn::parse_str(code).expect("test code parses");
        match expand(service_args, &mut imp) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.into_iter().map(|(_, m)| m).collect(),
        }
    }

    #[test]
    fn valid_services_expand_and_strip_coworks_attributes() {
        let code = r#"impl Billing {
            #[entry] async fn get_invoice(&self, id: u64) -> String { todo!() }
            #[entry(no_auth)] fn get_invoices(&self, #[query] page: Option<u32>) -> String { todo!() }
            #[coworks::entry(path = "/users/{id}/orders")] fn post_orders(&self, id: u64, #[body] b: X) {}
            fn helper(&self) {}
        }"#;
        let mut imp: ItemImpl = syn::parse_str(code).unwrap();
        let out =
            expand("", &mut imp).map_err(|e| e.into_iter().map(|(_, m)| m).collect::<Vec<_>>()).unwrap();
        let text = out.to_string();
        assert!(text.contains("\"/invoice/{id}\""), "{text}");
        assert!(text.contains("\"/invoices\""));
        assert!(text.contains("\"/users/{id}/orders\""));
        assert!(text.contains("const NAME : & 'static str = \"billing\""), "{text}");
        assert!(
            !text.contains("# [entry") && !text.contains("# [query]") && !text.contains("# [body]"),
            "{text}"
        );
        assert!(!text.contains("fn authorize"), "no custom authorizer: the trait's default");
        let mut imp: ItemImpl =
            syn::parse_str("impl S { fn authorize(&self, t: &str) -> bool { true } }").unwrap();
        let text = expand("(name = \"svc\")", &mut imp).map_err(|_| ()).unwrap().to_string();
        assert!(text.contains("fn authorize") && text.contains("\"svc\""), "{text}");
    }

    #[test]
    fn context_parameters_are_no_route_parameters() {
        let code = r#"impl S {
            #[entry] fn get_item(&self, ctx: &Context, id: u64) -> String { todo!() }
            #[entry] fn post_note(&self, #[context] c: &coworks::Context, #[body] n: Option<N>) {}
            #[entry] fn post_file(&self, #[body] f: Multipart) {}
            fn authorize(&self, t: &str) -> Option<Principal> { None }
        }"#;
        let mut imp: ItemImpl = syn::parse_str(code).unwrap();
        let text =
            expand("", &mut imp).map_err(|e| e.into_iter().map(|(_, m)| m).collect::<Vec<_>>()).unwrap();
        let text = text.to_string();
        assert!(text.contains("\"/item/{id}\"") && text.contains("\"/note\""), "{text}");
        assert!(!text.contains("name : \"ctx\"") && !text.contains("name : \"c\""), "{text}");
        assert!(!text.contains("# [context]"), "{text}");
        assert!(text.contains("__cws_call . context ()"), "{text}");
        assert!(text.contains("extract :: body_opt :: < N >"), "{text}");
        assert!(text.contains("extract :: multipart"), "{text}");
        assert!(text.contains("IntoPrincipal :: into_principal"), "{text}");
        let e = errors_of("", r#"impl S { #[entry] fn get_x(&self, a: &Context, b: &Context) {} }"#);
        assert!(e.len() == 1 && e[0].contains("CWS063"), "{e:?}");
        let e = errors_of("", r#"impl S { #[entry] fn get_x(&self, a: Context) {} }"#);
        assert!(e.len() == 1 && e[0].contains("CWS064"), "{e:?}");
    }

    #[test]
    fn blueprints_strip_coworks_attributes_and_publish_their_entries() {
        let code = r#"impl Admin {
            #[entry(no_auth)] fn get_status(&self) -> &'static str { "ok" }
            #[entry] pub(crate) fn get_echo(&self, word: String, #[query] n: Option<u8>) -> String { word }
            fn helper(&self) {}
        }"#;
        let mut imp: ItemImpl = syn::parse_str(code).unwrap();
        let text = blueprint::expand_blueprint("", &mut imp).map_err(|_| ()).unwrap().to_string();
        assert!(text.contains("pub fn get_status") && text.contains("pub (crate) fn get_echo"), "{text}");
        assert!(text.contains("fn helper") && !text.contains("pub fn helper"), "{text}");
        assert!(!text.contains("# [entry") && !text.contains("# [query]"), "{text}");
        let mut imp: ItemImpl = syn::parse_str(code).unwrap();
        let e = blueprint::expand_blueprint("(name = \"x\")", &mut imp).err().unwrap_or_default();
        assert!(
            e.len() == 1 && e[0].1.contains("takes no arguments"),
            "{:?}",
            e.iter().map(|x| &x.1).collect::<Vec<_>>()
        );
        let mut imp: ItemImpl =
            syn::parse_str("impl A { #[entry] fn get_x(&self) {} #[entry] fn get_x_(&self) {} }").unwrap();
        let e = blueprint::expand_blueprint("", &mut imp).err().unwrap_or_default();
        assert!(e.iter().any(|(_, m)| m.contains("duplicate route GET /x")));
    }

    #[test]
    fn hooks_are_wired_into_the_trait_and_checked_with_the_cores_rule() {
        let code = r#"impl S {
            async fn before(&self, call: &Call) -> Result<(), Error> { Ok(()) }
            fn after(&self, call: &Call, answer: Response) -> Response { answer }
            #[entry] fn get_x(&self) -> String { todo!() }
        }"#;
        let mut imp: ItemImpl = syn::parse_str(code).unwrap();
        let text = expand("", &mut imp).map_err(|_| ()).unwrap().to_string();
        assert!(text.contains("const HAS_BEFORE : bool = true"), "{text}");
        assert!(text.contains("const HAS_AFTER : bool = true"), "{text}");
        assert!(text.contains("< S > :: before (self , call) . await"), "async `before` awaited: {text}");
        assert!(
            text.contains("< S > :: after (self , call , response))"),
            "sync `after` not awaited: {text}"
        );
        assert_eq!(text.matches("rust_name :").count(), 1, "hooks are no entries: {text}");
        let mut imp: ItemImpl = syn::parse_str("impl S { #[entry] fn get_x(&self) {} }").unwrap();
        let text = expand("", &mut imp).map_err(|_| ()).unwrap().to_string();
        assert!(!text.contains("HAS_BEFORE") && !text.contains("HAS_AFTER"), "{text}");

        let e = errors_of("", "impl S { fn after(&self, call: &Call) -> Response { todo!() } }");
        assert!(
            e.len() == 1 && e[0].contains("CWS067") && e[0].contains("fn after(&self, call: &Call"),
            "{e:?}"
        );
        let e = errors_of("", "impl S { fn before(&mut self, call: &Call) {} }");
        assert!(e.len() == 1 && e[0].contains("CWS067"), "{e:?}");
        let e = errors_of("", "impl S { fn before<T>(&self, call: T) {} }");
        assert!(e.len() == 1 && e[0].contains("CWS067"), "{e:?}");
        let e = errors_of("", "impl S { #[entry] fn before(&self) {} }");
        assert!(
            e.len() == 1 && e[0].contains("CWS068") && e[0].contains("`before` is the name of a hook"),
            "{e:?}"
        );
    }

    #[test]
    fn throttle_is_for_the_deployment_and_checked_here_too() {
        // API Gateway applies the limits: the runtime has nothing to do with them.
        let e = errors_of(
            "",
            r#"impl S { #[entry(throttle = "2.5/10")] fn get_user(&self) -> String { todo!() } }"#,
        );
        assert!(e.is_empty(), "{e:?}");
        let e =
            errors_of("", r#"impl S { #[entry(throttle = "0")] fn get_user(&self) -> String { todo!() } }"#);
        assert!(e.len() == 1 && e[0].contains("CWS057") && e[0].contains("`rate` is `0`"), "{e:?}");
    }

    #[test]
    fn invalid_entries_are_errors_with_the_cores_messages() {
        let e = errors_of("", r#"impl S { #[entry(path = "/users/{uid}")] fn get_user(&self, id: u64) {} }"#);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].contains("parameter(s) `{id}` not in the path"), "{e:?}");
        assert!(e[0].contains("path names `{uid}`"), "{e:?}");
        assert!(e[0].contains("CWS0"), "carries the core's diagnostic code: {e:?}");
        let e = errors_of("", r#"impl S { #[entry(methd = "GET")] fn get(&self) {} }"#);
        assert!(e[0].contains("unknown `#[entry]` argument `methd`"), "{e:?}");
        let e = errors_of("", r#"impl S { #[entry(path = "users")] fn get_user(&self) {} }"#);
        assert!(e[0].contains("a path starts with `/`"), "{e:?}");
        let e = errors_of("", r#"impl S { #[entry] fn post_x(&self, #[body] a: A, #[body] b: B) {} }"#);
        assert!(e.iter().any(|m| m.contains("more than one `#[body]`")), "{e:?}");
        let e = errors_of("", r#"impl S { #[entry] fn get_x(&self, ids: Vec<u64>) {} }"#);
        assert!(e.iter().any(|m| m.contains("which one URL segment cannot hold")), "{e:?}");
        let e = errors_of("", r#"impl S { #[entry] fn get_x(&self) {} #[entry] fn get_x_(&self) {} }"#);
        assert!(e.iter().any(|m| m.contains("duplicate route GET /x")), "{e:?}");
        let e = errors_of("", r#"impl S { #[entry] fn get_x(id: u64) {} }"#);
        assert!(e.iter().any(|m| m.contains("no `self` receiver")), "{e:?}");
        let e = errors_of("", r#"impl S { #[entry] fn get_x(&mut self) {} }"#);
        assert!(e.iter().any(|m| m.contains("takes `&self`")), "{e:?}");
        let e = errors_of("(nom = \"x\")", "impl S {}");
        assert!(e[0].contains("unknown `#[service]` argument `nom`"), "{e:?}");
    }
}
