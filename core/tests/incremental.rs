//! The incremental diagnostics are the from-scratch ones: after random sequences of edits (Rust
//! files, workflows, the project file, env files and manifests written, changed and removed), the
//! edited project's `diagnostics` — which re-checks only the services and workflows an edit feeds —
//! equal those of the same project computed from scratch and those of the project loaded anew from
//! disk, for every stage asked, after every edit.

mod support;

use std::path::Path;

use coworks_core::Project;
use proptest::prelude::*;
use support::TempProject;

/// A service of type `ty` named `name` with `entries` (each a method, attributes included).
fn service(ty: &str, name: &str, entries: &[&str]) -> String {
    let mut text = format!("use coworks::prelude::*;\n\npub struct {ty};\n\n#[coworks::service(name = \"{name}\")]\nimpl {ty} {{\n");
    for e in entries {
        text.push_str(&format!("    {e}\n"));
    }
    text.push_str("}\n");
    text
}

/// The Rust texts an edit chooses from.
fn rust_texts() -> Vec<String> {
    vec![
        service(
            "Alpha",
            "alpha",
            &[
                "#[entry] fn get_item(&self, id: u64) -> u64 { id }",
                "#[entry(no_auth)] fn get_health(&self) -> &'static str { \"ok\" }",
                "#[entry(stage = \"dev\")] fn get_debug(&self) -> u64 { 1 }",
            ],
        ),
        // Answers alpha's `GET /item/{id}` again (a duplicate when both files hold it).
        service("Alpha", "alpha", &["#[entry] fn get_item_(&self, id: u64) -> u64 { id }"]),
        // An async entry, a body, an unknown stage.
        service(
            "Beta",
            "beta",
            &[
                "#[entry] async fn post_thing(&self, #[body] thing: String) -> String { thing }",
                "#[entry(stage = \"qa\")] fn get_qa(&self) -> u64 { 2 }",
            ],
        ),
        // Name `alpha` taken by another type: a clash.
        service("Other", "alpha", &["#[entry] fn get_other(&self) -> u64 { 3 }"]),
        // Half-typed: the tolerant parser reads it.
        "use coworks::prelude::*;\npub struct Alpha;\n#[coworks::service(name = \"alpha\")]\nimpl Alpha {\n    #[entry]\n    fn get_item(&self, id: u6\n}\n".into(),
        "pub fn helper() -> u64 { 4 }\n".into(),
        // Routes API Gateway refuses: a bad path part, two names for one variable part.
        service(
            "Alpha",
            "alpha",
            &[
                "#[entry(path = \"/a b\")] fn get_bad(&self) -> u64 { 5 }",
                "#[entry(path = \"/item/{x}\")] fn get_x(&self, x: u64) -> u64 { x }",
                "#[entry] fn get_item(&self, id: u64) -> u64 { id }",
            ],
        ),
        // Public in production.
        service(
            "Gamma",
            "gamma",
            &["#[entry(no_auth, stage = \"prod\")] fn get_open(&self) -> u64 { 6 }", "#[entry] fn get(&self) -> u64 { 7 }"],
        ),
        // Mounts blueprint `Admin`, and answers `GET /admin/status` itself (a clash when `Admin`
        // has `get_status` in the crate).
        "use coworks::prelude::*;\npub struct Alpha;\n#[coworks::service(name = \"alpha\", blueprints(Admin = \"/admin\", Admin = \"/ops\"))]\nimpl Alpha {\n    #[entry(path = \"/admin/status\")] fn get_mine(&self) -> u64 { 8 }\n}\n".into(),
        blueprint("Admin", &["#[entry] fn get_status(&self) -> u64 { 9 }", "#[entry(stage = \"dev\")] fn get_item(&self, id: u64) -> u64 { id }"]),
        blueprint("Admin", &["#[entry] fn get_version(&self) -> u64 { 10 }"]),
        // Near `Admin`: suggested for a mount of `Admn`, and `Admin` unknown without the others.
        blueprint("Admn", &["#[entry] fn get_status(&self) -> u64 { 11 }"]),
        "use coworks::prelude::*;\npub struct Beta;\n#[coworks::service(name = \"beta\", blueprints(Admn = \"/admin\", Admin = \"/x/\"))]\nimpl Beta {\n    #[entry] fn get_x(&self) -> u64 { 12 }\n}\n".into(),
        // Beta's `POST /thing` takes a `Thing`, which the texts below define (no service part):
        // what the workflows send it is checked against the `Thing` of the crate.
        service("Beta", "beta", &["#[entry] async fn post_thing(&self, #[body] thing: Thing) -> u64 { 13 }"]),
        "#[derive(serde::Deserialize)]\npub struct Thing { pub a: u64 }\npub fn f() -> u64 { 14 }\n".into(),
        "#[derive(serde::Deserialize)]\npub struct Thing { pub a: u64 }\npub fn f() -> u64 { 15 }\n".into(),
        "#[derive(serde::Deserialize)]\npub struct Thing { pub b: Part }\n".into(),
        "#[derive(serde::Deserialize)]\npub struct Part { pub c: u64 }\n".into(),
        "#[derive(serde::Deserialize)]\n#[serde(deny_unknown_fields)]\npub struct Thing { pub a: Part }\nfn broken( {\n".into(),
    ]
}

/// A blueprint of type `ty` with `entries`.
fn blueprint(ty: &str, entries: &[&str]) -> String {
    let mut text = format!("use coworks::prelude::*;\n\n#[derive(Default)]\npub struct {ty};\n\n#[coworks::blueprint]\nimpl {ty} {{\n");
    for e in entries {
        text.push_str(&format!("    {e}\n"));
    }
    text.push_str("}\n");
    text
}

const WORKFLOWS: &[&str] = &[
    "id: w\ntasks:\n  one:\n    service: alpha\n    method: GET\n    path: /item/{id}\n    params:\n      id: \"1\"\n  two:\n    service: beta\n    method: POST\n    path: /thing\n    json: {a: 1}\n    async: true\n    after: [one]\n",
    "id: w\ntasks:\n  one:\n    service: alph\n    method: GET\n    path: /item/{id}\n    params:\n      id: \"1\"\n",
    "id: w\ntasks:\n  one:\n    service: alpha\n    method: GET\n    path: /itm/{id}\n    params:\n      id: \"1\"\n",
    "id: w\ntasks: [unclosed\n",
    "id: w\ntasks:\n  one:\n    service: gamm\n    method: GET\n    path: /\n",
    "id: w\ntasks:\n  one:\n    service: alpha\n    method: GET\n    path: /debug\n  two:\n    service: gamma\n    method: GET\n    path: /open\n    after: [one]\n",
    // Calls blueprint entries mounted by alpha (which exist only while the blueprint does).
    "id: w\ntasks:\n  one:\n    service: alpha\n    method: GET\n    path: /ops/status\n  two:\n    service: alpha\n    method: GET\n    path: /admin/item/{id}\n    params:\n      id: \"2\"\n    after: [one]\n",
];

const CONFIGS: &[&str] = &[
    "version: 3\nservices:\n  alpha:\n    path: services/a\ncommands:\n  deploy:\n    region: eu-west-1\n    bucket: results\nworkspaces:\n  dev: {}\n  prod:\n    production: true\n",
    "version: 3\nservices:\n  alphaa: {}\nworkspaces:\n  dev: {}\n  prod: {}\n",
    "version: 3\ncommands:\n  deploy:\n    region: eu-west-1\n    timeout: 40\n    log_retention: 2\nservices:\n  beta:\n    commands:\n      deploy:\n        bucket: beta-results\nworkspaces:\n  dev: {}\n  qa: {}\n  prod:\n    production: true\n    commands:\n      deploy:\n        public: [\"GET /open\"]\n",
    "version: 3\ncommands:\n  deploy:\n    region: eu-west-1\nworkspaces:\n  dev:\n    env_files: [conf/extra.env]\n  prod: {}\n",
    // As the third, without beta's own bucket; as the first, with no production stage: what
    // changes is read per service only.
    "version: 3\ncommands:\n  deploy:\n    region: eu-west-1\n    timeout: 40\n    log_retention: 2\nworkspaces:\n  dev: {}\n  qa: {}\n  prod:\n    production: true\n    commands:\n      deploy:\n        public: [\"GET /open\"]\n",
    "version: 3\nservices:\n  alpha:\n    path: services/a\ncommands:\n  deploy:\n    region: eu-west-1\n    bucket: results\nworkspaces:\n  dev: {}\n  prod: {}\n",
    // Custom domains (kept while the set of service names stays): alpha and beta on one base
    // path of the stage's domain, gamma with a certificate of its own.
    "version: 3\nservices:\n  alpha:\n    commands: {deploy: {domain: {base_path: pay}}}\n  beta:\n    commands: {deploy: {domain: {base_path: pay}}}\n  gamma:\n    commands: {deploy: {domain: {certificate_arn: \"arn:aws:acm:eu-west-1:123456789012:certificate/5e6f\"}}}\ncommands:\n  deploy:\n    region: eu-west-1\n    domain: {name: api.example.com, certificate_arn: \"arn:aws:acm:eu-west-1:123456789012:certificate/1f2e\"}\nworkspaces:\n  dev: {}\n  prod:\n    production: true\n",
    // A malformed edge domain in prod only, its certificate of the wrong region.
    "version: 3\ncommands:\n  deploy:\n    region: eu-west-1\nworkspaces:\n  dev: {}\n  prod:\n    commands:\n      deploy:\n        domain: {name: \"https://bad\", endpoint: edge, certificate_arn: \"arn:aws:acm:eu-west-1:123456789012:certificate/1f2e\"}\n",
];

const ENVS: &[&str] = &["TOKEN=x\n", "AWS_REGION=bad\n1BAD=2\n", "broken line\n"];

/// The files an edit touches, each with the texts it can hold.
fn files() -> Vec<(&'static str, Vec<String>)> {
    let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        ("services/a/src/main.rs", rust_texts()),
        ("services/a/src/more.rs", rust_texts()),
        ("services/a/src/admin.rs", rust_texts()),
        ("services/b/src/main.rs", rust_texts()),
        ("services/b/src/types.rs", rust_texts()),
        ("services/b/src/part.rs", rust_texts()),
        ("loose/src/lib.rs", rust_texts()),
        ("services/b/Cargo.toml", vec!["[package]\nname = \"b\"\n".into()]),
        ("workflows/w1.cws.yml", owned(WORKFLOWS)),
        ("workflows/w2.cws.yml", owned(WORKFLOWS)),
        ("project.cws.yml", owned(CONFIGS)),
        (".env.dev", owned(ENVS)),
        (".env.prod", owned(ENVS)),
        ("conf/extra.env", owned(ENVS)),
    ]
}

/// One edit: file `.0` gets text `.1` (modulo its choices), or is removed when `.1` is `None`.
type Edit = (usize, Option<usize>);

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let n = files().len();
    proptest::collection::vec((0..n, proptest::option::weighted(0.8, 0..24usize)), 1..14)
}

const STAGES: &[Option<&str>] = &[Some("dev"), None, Some("prod")];

/// Makes one edit, on disk and in `edited`.
fn apply(edited: &mut Project, disk: &TempProject, files: &[(&str, Vec<String>)], (f, choice): Edit) {
    let (rel, texts) = &files[f];
    match choice {
        Some(c) => {
            let text = &texts[c % texts.len()];
            disk.write(rel, text);
            edited.set_file_text(Path::new(rel), text);
        }
        None => {
            let _ = std::fs::remove_file(disk.path().join(rel));
            edited.remove_file(Path::new(rel));
        }
    }
}

fn same_as_from_scratch(edited: &Project, disk: &TempProject, after: &str) {
    let fresh = disk.load();
    for stage in STAGES {
        let incremental = edited.diagnostics(*stage);
        assert_eq!(incremental, edited.diagnostics_from_scratch(*stage), "stage {stage:?} after {after}");
        assert_eq!(incremental, fresh.diagnostics(*stage), "stage {stage:?} after {after} (loaded anew)");
    }
}

/// The project the property tests start from: service `a` with its main file, service `b` whose
/// `POST /thing` takes a `Thing` defined in another file of its crate, one workflow calling both.
fn start() -> TempProject {
    let texts = rust_texts();
    TempProject::new()
        .file("services/b/Cargo.toml", "[package]\nname = \"b\"\n")
        .file("services/b/src/main.rs", &texts[13])
        .file("services/b/src/types.rs", &texts[16])
        .file("services/a/Cargo.toml", "[package]\nname = \"a\"\n")
        .file("project.cws.yml", CONFIGS[0])
        .file(".env.dev", ENVS[0])
        .file("services/a/src/main.rs", &texts[0])
        .file("workflows/w1.cws.yml", WORKFLOWS[0])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn edits_give_the_diagnostics_of_a_fresh_load(edits in edits()) {
        let files = files();
        let disk = start();
        let mut edited = disk.load();
        same_as_from_scratch(&edited, &disk, "loading");
        for (i, (f, choice)) in edits.iter().enumerate() {
            apply(&mut edited, &disk, &files, (*f, *choice));
            same_as_from_scratch(&edited, &disk, &format!("edit {i} of {edits:?}"));
        }
    }
}

/// Which stages are asked after an edit: bit `i` of the mask asks `STAGES[i]`.
type Asked = u8;

fn sparse_edits() -> impl Strategy<Value = Vec<(Edit, Asked)>> {
    let n = files().len();
    let edit = (0..n, proptest::option::weighted(0.8, 0..24usize));
    // Most edits are not followed by a pass: the memory of each stage catches up with several at
    // once (a name that came and went, a service edited then a workflow calling it ...).
    let asked = proptest::prop_oneof![3 => Just(0u8), 1 => 0u8..8];
    proptest::collection::vec((edit, asked), 1..24)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The memory of each stage knows the generation it is up to date with and catches up from the
    /// project's journal of changes: several edits between two passes of a stage, other stages
    /// asked in between, give the diagnostics of a fresh load too.
    #[test]
    fn passes_after_several_edits_give_the_diagnostics_of_a_fresh_load(edits in sparse_edits()) {
        let files = files();
        let disk = start()
            .file("services/a/src/admin.rs", &rust_texts()[9])
            .file("workflows/w2.cws.yml", WORKFLOWS[6]);
        let mut edited = disk.load();
        same_as_from_scratch(&edited, &disk, "loading");
        for (i, ((f, choice), asked)) in edits.iter().enumerate() {
            apply(&mut edited, &disk, &files, (*f, *choice));
            for (bit, stage) in STAGES.iter().enumerate() {
                if asked & (1 << bit) != 0 {
                    let incremental = edited.diagnostics(*stage);
                    prop_assert_eq!(incremental, edited.diagnostics_from_scratch(*stage), "stage {:?} after edit {} of {:?}", stage, i, edits);
                }
            }
        }
        same_as_from_scratch(&edited, &disk, &format!("the edits {edits:?}"));
    }
}

/// A name that comes and goes between two passes, a workflow naming a service that appears later,
/// and a blueprint edited while nothing asks: each pass answers as one from scratch.
#[test]
fn a_pass_catches_up_with_the_changes_since_the_last() {
    let texts = rust_texts();
    let disk = TempProject::new()
        .file("project.cws.yml", CONFIGS[0])
        .file("services/a/Cargo.toml", "[package]\nname = \"a\"\n")
        .file("services/a/src/main.rs", &texts[8])
        .file("services/a/src/admin.rs", &texts[10])
        .file("workflows/w1.cws.yml", WORKFLOWS[4])
        .file("workflows/w2.cws.yml", WORKFLOWS[6]);
    let mut p = disk.load();
    let check = |p: &Project, what: &str| {
        for stage in STAGES {
            assert_eq!(p.diagnostics(*stage), p.diagnostics_from_scratch(*stage), "{what}, stage {stage:?}");
        }
    };
    check(&p, "loaded");
    // Service `gamma` comes (the workflow's `gamm` is near it now) and goes, then comes back.
    p.set_file_text(Path::new("services/b/src/main.rs"), &texts[7]);
    check(&p, "gamma defined");
    p.remove_file(Path::new("services/b/src/main.rs"));
    p.set_file_text(Path::new("services/a/src/admin.rs"), &texts[9]);
    p.set_file_text(Path::new("services/b/src/main.rs"), &texts[7]);
    check(&p, "gamma gone and back, the blueprint edited");
    // The blueprint the service mounts goes while nothing asks; the workflow calling it changes.
    p.remove_file(Path::new("services/a/src/admin.rs"));
    p.set_file_text(Path::new("workflows/w1.cws.yml"), WORKFLOWS[0]);
    check(&p, "the blueprint removed");
    let codes: Vec<String> = p.diagnostics(Some("dev")).iter().map(|d| d.code.as_str().to_string()).collect();
    assert!(codes.iter().any(|c| c == "CWS070"), "the mount of the missing blueprint is reported: {codes:?}");
}

/// A copy of a project starts with an empty memory and answers alike.
#[test]
fn a_copy_answers_alike() {
    let disk = TempProject::new()
        .file("project.cws.yml", CONFIGS[2])
        .file("services/a/Cargo.toml", "[package]\nname = \"a\"\n")
        .file("services/a/src/main.rs", &rust_texts()[2])
        .file("workflows/w1.cws.yml", WORKFLOWS[0]);
    let mut p = disk.load();
    let before = p.diagnostics(None);
    assert!(!before.is_empty());
    let copy = p.clone();
    p.set_file_text(Path::new("services/a/src/main.rs"), &rust_texts()[0]);
    assert_ne!(p.diagnostics(None), before, "the edit changes the answer");
    assert_eq!(copy.diagnostics(None), before, "the copy keeps the text it was copied with");
}

/// Editing a blueprint's file re-checks the services mounting it (and the workflows calling them):
/// the clash its new entry makes, and the workflow's call it answers, are seen at once.
#[test]
fn editing_a_blueprint_rechecks_the_services_mounting_it() {
    let texts = rust_texts();
    let (mounting, with_status, without_status) = (&texts[8], &texts[9], &texts[10]);
    let disk = TempProject::new()
        .file("project.cws.yml", CONFIGS[0])
        .file("services/a/Cargo.toml", "[package]\nname = \"a\"\n")
        .file("services/a/src/main.rs", mounting)
        .file("services/a/src/admin.rs", without_status)
        .file("workflows/w1.cws.yml", WORKFLOWS[6]);
    let mut p = disk.load();
    let codes = |p: &Project| p.diagnostics(Some("dev")).iter().map(|d| d.code.as_str()).collect::<Vec<_>>();
    assert!(!codes(&p).contains(&"CWS001"), "{:?}", p.diagnostics(Some("dev")));
    assert!(codes(&p).contains(&"CWS041"), "the workflow calls routes the blueprint lacks");
    let routes: Vec<String> =
        p.service("alpha", None).expect("alpha").entries.iter().map(|e| e.route.to_string()).collect();
    assert_eq!(routes, ["GET /admin/status", "GET /admin/version", "GET /ops/version"]);

    p.set_file_text(Path::new("services/a/src/admin.rs"), with_status);
    let after = p.diagnostics(Some("dev"));
    assert_eq!(after, p.diagnostics_from_scratch(Some("dev")));
    let clashes: Vec<String> = after
        .iter()
        .filter(|d| d.code.as_str() == "CWS001")
        .map(|d| format!("{}:{}", d.file.display(), d.span.start.line)) // lines from 0
        .collect();
    assert_eq!(clashes, ["services/a/src/admin.rs:7", "services/a/src/main.rs:4"], "{after:?}");
    assert!(!codes(&p).contains(&"CWS041"), "{after:?}");

    p.remove_file(Path::new("services/a/src/admin.rs"));
    let gone = p.diagnostics(Some("dev"));
    assert_eq!(gone, p.diagnostics_from_scratch(Some("dev")));
    assert_eq!(gone.iter().filter(|d| d.code.as_str() == "CWS070").count(), 2, "{gone:?}");
}

/// The entry of service `beta` taking an `Item` body, and a workflow sending it a field `Item`
/// lacks.
const ITEM_ENTRY: &str = "#[entry] async fn post_item(&self, #[body] item: Item) -> u64 { item.id }";
const SENDS_ITEM: &str =
    "id: w\ntasks:\n  one:\n    service: beta\n    method: POST\n    path: /item\n    json: {id: 1, name: x}\n";

/// Loads `disk` and edits the fields of `Item` in `rel` (its text: `with` the fields): each pass
/// answers as one from scratch, and reports the unknown field `name` while `Item` lacks it. An
/// edit elsewhere in the file (a function added) changes nothing.
fn item_edits_recheck_the_workflow(disk: &TempProject, rel: &str, with: impl Fn(&str) -> String) {
    let mut p = disk.load();
    let unknown = |p: &Project| {
        let d = p.diagnostics(Some("dev"));
        assert_eq!(d, p.diagnostics_from_scratch(Some("dev")));
        d.iter().filter(|d| d.message.contains("gives `name`")).count()
    };
    assert_eq!(unknown(&p), 1, "{:?}", p.diagnostics(Some("dev")));
    p.set_file_text(Path::new(rel), &with("pub id: u64, pub name: String"));
    assert_eq!(unknown(&p), 0, "{:?}", p.diagnostics(Some("dev")));
    p.set_file_text(Path::new(rel), &with("pub id: u64"));
    assert_eq!(unknown(&p), 1, "{:?}", p.diagnostics(Some("dev")));
    p.set_file_text(Path::new(rel), &format!("{}pub fn f() -> u64 {{ 1 }}\n", with("pub id: u64")));
    assert_eq!(unknown(&p), 1, "{:?}", p.diagnostics(Some("dev")));
}

/// The types a workflow's `json` body is checked against are read from the crate's files, once per
/// text of a file: editing the type re-checks the workflow sending it with the new fields, and each
/// pass answers as one from scratch.
#[test]
fn editing_a_body_type_rechecks_the_workflows_sending_it() {
    let with = |fields: &str| {
        format!(
            "{}#[derive(serde::Deserialize)]\npub struct Item {{ {fields} }}\n",
            service("Beta", "beta", &[ITEM_ENTRY])
        )
    };
    let disk = TempProject::new()
        .file("project.cws.yml", CONFIGS[0])
        .file("services/b/Cargo.toml", "[package]\nname = \"b\"\n")
        .file("services/b/src/main.rs", with("pub id: u64"))
        .file("workflows/w1.cws.yml", SENDS_ITEM);
    item_edits_recheck_the_workflow(&disk, "services/b/src/main.rs", with);
}

/// The types a workflow's `json` body is checked against are read from any file of the service's
/// crate: editing the file that defines the type (one holding no part of a service) re-checks the
/// workflow, as a pass from scratch does (the memory of the workflow checks keeps the types they
/// looked up, not only the files of the services they call).
#[test]
fn editing_a_type_in_another_file_of_the_crate_rechecks_the_workflows_sending_it() {
    let with = |fields: &str| format!("#[derive(serde::Deserialize)]\npub struct Item {{ {fields} }}\n");
    let disk = TempProject::new()
        .file("project.cws.yml", CONFIGS[0])
        .file("services/b/Cargo.toml", "[package]\nname = \"b\"\n")
        .file("services/b/src/main.rs", service("Beta", "beta", &[ITEM_ENTRY]))
        .file("services/b/src/types.rs", with("pub id: u64"))
        .file("workflows/w1.cws.yml", SENDS_ITEM);
    item_edits_recheck_the_workflow(&disk, "services/b/src/types.rs", with);
}
