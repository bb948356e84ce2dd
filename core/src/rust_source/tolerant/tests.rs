//! What the tolerant reader still finds in half-typed code.

use super::*;
use crate::rust_source::decl::ParamKind;

/// `(service type, [entry names])` for each service found, and whether errors were seen.
fn found(text: &str) -> (Vec<(String, Vec<String>)>, bool) {
    let (decls, errors) = parse_with_status(text);
    let services = decls
        .services
        .iter()
        .map(|s| (s.type_name.clone(), s.entries.iter().map(|e| e.name.clone()).collect()))
        .collect();
    (services, errors)
}

fn svc(name: &str, entries: &[&str]) -> (String, Vec<String>) {
    (name.to_string(), entries.iter().map(|e| e.to_string()).collect())
}

#[test]
fn valid_file_has_no_errors() {
    let text = "#[service]\nimpl Billing {\n    #[entry]\n    fn get(&self) {}\n}\n";
    assert_eq!(found(text), (vec![svc("Billing", &["get"])], false));
    assert!(!has_errors(text));
    assert_eq!(parse(text), crate::rust_source::exact::parse(text).unwrap());
}

#[test]
fn unfinished_statement_in_a_method() {
    let text = "#[service]\nimpl Billing {\n    #[entry]\n    fn get_a(&self, id: u64) -> u32 {\n        let x = \n    }\n    #[entry]\n    fn get_b(&self) {}\n}\n";
    assert_eq!(found(text), (vec![svc("Billing", &["get_a", "get_b"])], true));
    assert!(has_errors(text));
}

#[test]
fn method_being_typed_at_the_end_of_the_impl() {
    let text = "#[service]\nimpl Billing {\n    #[entry]\n    fn get_a(&self) {}\n    #[entry(no_auth)]\n    async fn get_b(&self, #[query] page: Option<u32>) -> \n}\n";
    let decls = parse(text);
    assert_eq!(found(text).0, vec![svc("Billing", &["get_a", "get_b"])]);
    let b = &decls.services[0].entries[1];
    assert!(b.is_async && b.has_self && b.args.no_auth);
    assert_eq!(b.params.len(), 1);
    assert_eq!((b.params[0].name.as_str(), b.params[0].kind), ("page", ParamKind::Query));
    assert_eq!(&text[b.name_range.start..b.name_range.end], "get_b");
}

#[test]
fn unclosed_parameter_list() {
    let text = "#[service]\nimpl Billing {\n    #[entry]\n    fn get_a(&self, id: u64\n    #[entry]\n    fn get_b(&self) {}\n}\n";
    let decls = parse(text);
    assert_eq!(found(text).0[0].1[0], "get_a");
    assert_eq!(decls.services[0].entries[0].params[0].name, "id");
}

#[test]
fn missing_closing_braces_at_the_end_of_the_file() {
    let text = "#[service]\nimpl Billing {\n    #[entry]\n    fn get_a(&self) {}\n    #[entry]\n    fn get_b(&self) {\n";
    assert_eq!(found(text), (vec![svc("Billing", &["get_a", "get_b"])], true));
    let text = "#[service]\nimpl Billing {\n    #[entry]\n    fn get_a(&self) {}\n";
    assert_eq!(found(text).0, vec![svc("Billing", &["get_a"])]);
}

#[test]
fn missing_closing_brace_of_a_method_in_the_middle() {
    let text = "#[service]\nimpl Billing {\n    #[entry]\n    fn get_a(&self) {\n        let x = 1;\n    #[entry]\n    fn get_b(&self, id: u64) {}\n}\n";
    assert_eq!(found(text).0, vec![svc("Billing", &["get_a", "get_b"])]);
}

#[test]
fn second_service_broken_first_intact() {
    let text = "#[service]\nimpl A {\n    #[entry]\n    fn get_a(&self) {}\n}\n/// Docs.\n#[coworks::service(name = \"b\")]\nimpl<T> B<T> {\n    #[entry]\n    fn get_a(&self) {}\n    #[entry(path = \"/x\")]\n    async fn get_b(&self, #[query] q: u32\n";
    let decls = parse(text);
    assert_eq!(found(text).0, vec![svc("A", &["get_a"]), svc("B", &["get_a", "get_b"])]);
    let b = &decls.services[1];
    assert_eq!(b.docs, "Docs.");
    assert_eq!(b.args.name.as_ref().map(|n| n.value.as_str()), Some("b"));
    assert_eq!(b.entries[1].args.path.as_ref().map(|p| p.value.as_str()), Some("/x"));
    assert_eq!(b.entries[1].params[0].kind, ParamKind::Query);
}

#[test]
fn unclosed_function_before_the_service() {
    let text = "fn helper() {\n    let x = 1;\n\n#[service]\nimpl Billing {\n    #[entry]\n    fn get_a(&self) {}\n}\n";
    assert_eq!(found(text), (vec![svc("Billing", &["get_a"])], true));
}

#[test]
fn half_typed_attribute_hides_only_its_method() {
    let text = "#[service]\nimpl Billing {\n    #[ent\n    fn get_a(&self) {}\n    #[entry]\n    fn get_b(&self) {}\n}\n";
    assert_eq!(found(text).0, vec![svc("Billing", &["get_b"])]);
}

#[test]
fn half_typed_member_access_in_a_body() {
    let text = "#[service]\nimpl Billing {\n    #[entry]\n    fn get_a(&self) { self.x. }\n    #[entry]\n    async fn get_b(&self, #[query] q: ) {}\n}\n";
    assert_eq!(found(text).0, vec![svc("Billing", &["get_a", "get_b"])]);
}

#[test]
fn bare_fn_keyword_is_not_an_entry() {
    let text = "#[service]\nimpl Billing {\n    #[entry]\n    fn get_a(&self) {}\n    #[entry]\n    fn\n}\n";
    assert_eq!(found(text).0, vec![svc("Billing", &["get_a"])]);
}

#[test]
fn empty_and_garbage_text() {
    assert_eq!(found(""), (vec![], false));
    assert!(found("}}}{{{ #[service] impl").1);
    assert!(parse("\u{0}\u{feff}é😀").services.is_empty());
}

#[test]
fn queries_compile() {
    assert!(queries().is_some());
}

#[test]
fn blueprints_and_mounts_read_alike_and_half_typed() {
    let text = "#[coworks::blueprint]\nimpl Admin {\n    #[entry]\n    fn get_status(&self) {}\n}\n#[coworks::service(blueprints(Admin = \"/admin\"))]\nimpl Shop {\n    #[entry]\n    fn get(&self) {}\n}\n";
    let decls = parse(text);
    assert_eq!(decls, crate::rust_source::exact::parse(text).unwrap());
    assert!(decls.services[0].blueprint && !decls.services[1].blueprint);
    assert_eq!(decls.services[1].args.blueprints[0].prefix.value, "/admin");
    // A blueprint whose closing brace is missing is still a blueprint.
    let half = "#[coworks::blueprint(x)]\nimpl Admin {\n    #[entry]\n    fn get_status(&self) {}\n    #[entry]\n    fn get_b(&self";
    let (decls, errors) = parse_with_status(half);
    assert!(errors);
    assert!(decls.services.iter().all(|s| s.blueprint && s.type_name == "Admin"), "{decls:?}");
    assert!(decls.attr_errors.iter().any(|e| e.message.contains("takes no arguments")), "{decls:?}");
}
