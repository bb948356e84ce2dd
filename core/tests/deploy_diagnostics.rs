//! Deployment diagnostics as the editor and `cws check` get them: from `Project::diagnostics`, on
//! small projects written to a temporary directory.

use std::path::Path;

use coworks_core::{DiagnosticCode, Project, Severity};

const SERVICE: &str = r#"
pub struct Shop;

#[coworks::service]
impl Shop {
    #[entry]
    async fn get_order(&self, id: u64) -> String { id.to_string() }

    #[entry(no_auth)]
    fn get_health(&self) -> &'static str { "ok" }

    #[entry(stage = "qa")]
    fn get_debug(&self) -> &'static str { "debug" }
}
"#;

fn project(config: &str, service: &str) -> (tempfile::TempDir, Project) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("services/shop/src")).unwrap();
    std::fs::write(root.join("services/shop/Cargo.toml"), "[package]\nname = \"shop\"\n").unwrap();
    std::fs::write(root.join("services/shop/src/main.rs"), service).unwrap();
    std::fs::write(root.join("project.cws.yml"), config).unwrap();
    let p = Project::load(root).unwrap();
    (dir, p)
}

fn codes(p: &Project, stage: Option<&str>) -> Vec<(DiagnosticCode, String)> {
    p.diagnostics(stage).into_iter().map(|d| (d.code, d.message)).collect()
}

fn has(p: &Project, stage: Option<&str>, code: DiagnosticCode) -> bool {
    codes(p, stage).iter().any(|(c, _)| *c == code)
}

const GOOD: &str = "version: 3\ncommands:\n  deploy:\n    region: eu-west-1\n    bucket: results\nworkspaces:\n  dev: {}\n  qa: {env_files: [.env.qa]}\n";

#[test]
fn a_well_configured_project_is_clean() {
    let (dir, _) = project(GOOD, SERVICE);
    std::fs::write(dir.path().join(".env.qa"), "TOKEN=x\n").unwrap();
    let p = Project::load(dir.path()).unwrap();
    assert!(p.diagnostics(None).is_empty(), "{:?}", codes(&p, None));
}

#[test]
fn missing_region() {
    let (_d, p) = project("version: 3\ncommands:\n  deploy:\n    bucket: results\n", SERVICE);
    let d = p.diagnostics(Some("dev"));
    let region = d.iter().find(|d| d.code == DiagnosticCode::MissingDeployOption).expect("CWS029");
    assert_eq!(region.severity, Severity::Error);
    assert!(region.message.contains("region"));
    // A profile names a region: enough.
    let (_d, p) =
        project("version: 3\ncommands:\n  deploy:\n    bucket: results\n    profile: work\n", SERVICE);
    assert!(!has(&p, Some("dev"), DiagnosticCode::MissingDeployOption));
    // A project that does not configure deployment is not nagged.
    let (_d, p) = project("version: 3\n", SERVICE);
    assert!(!has(&p, None, DiagnosticCode::MissingDeployOption));
}

#[test]
fn async_entry_without_results_bucket() {
    let (_d, p) = project("version: 3\ncommands:\n  deploy:\n    region: eu-west-1\n", SERVICE);
    let d: Vec<_> = p
        .diagnostics(Some("dev"))
        .into_iter()
        .filter(|d| d.code == DiagnosticCode::AsyncWithoutBucket)
        .collect();
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].message.contains("get_order"));
    assert_eq!(d[0].file, Path::new("services/shop/src/main.rs"));
    assert_eq!(d[0].span.start.line, 6);
}

#[test]
fn no_auth_in_production_is_a_warning_unless_listed_public() {
    let prod = "version: 3\ncommands:\n  deploy: {region: eu-west-1, bucket: r}\nworkspaces:\n  dev: {}\n  prod: {production: true}\n";
    let (_d, p) = project(prod, SERVICE);
    let d: Vec<_> =
        p.diagnostics(None).into_iter().filter(|d| d.code == DiagnosticCode::NoAuthInProduction).collect();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].severity, Severity::Warning);
    assert!(d[0].message.contains("GET /health") && d[0].message.contains("prod"));
    assert!(!has(&p, Some("dev"), DiagnosticCode::NoAuthInProduction));
    let listed = prod.replace(
        "prod: {production: true}",
        "prod: {production: true, commands: {deploy: {public: [\"GET /health\"]}}}",
    );
    let (_d, p) = project(&listed, SERVICE);
    assert!(!has(&p, None, DiagnosticCode::NoAuthInProduction));
}

#[test]
fn stage_used_in_code_without_env() {
    let (_d, p) = project(
        "version: 3\ncommands:\n  deploy: {region: eu-west-1, bucket: r}\nworkspaces:\n  dev: {}\n  qa: {}\n",
        SERVICE,
    );
    let d: Vec<_> =
        p.diagnostics(None).into_iter().filter(|d| d.code == DiagnosticCode::StageWithoutEnv).collect();
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].message.contains("`qa`"));
    // Without a workspace at all, the existing CWS007 says so.
    let (_d, p) = project(
        "version: 3\ncommands:\n  deploy: {region: eu-west-1, bucket: r}\nworkspaces:\n  dev: {}\n",
        SERVICE,
    );
    assert!(has(&p, None, DiagnosticCode::UnknownStage));
}

#[test]
fn lambda_limits_come_from_the_schema_and_the_checks() {
    let (_d, p) = project(
        "version: 3\ncommands:\n  deploy: {region: eu-west-1, bucket: r, memory: 20000, timeout: 901}\n",
        SERVICE,
    );
    let d: Vec<_> =
        codes(&p, Some("dev")).into_iter().filter(|(c, _)| *c == DiagnosticCode::ConfigValueType).collect();
    assert_eq!(d.len(), 2, "{d:?}");
    let (_d, p) = project(
        "version: 3\ncommands:\n  deploy: {region: eu-west-1, bucket: r, timeout: 120, log_retention: 8, snapstart: true}\n",
        SERVICE,
    );
    assert!(has(&p, Some("dev"), DiagnosticCode::ApiTimeout));
    assert!(has(&p, Some("dev"), DiagnosticCode::LogRetention));
    assert!(has(&p, Some("dev"), DiagnosticCode::SnapStartUnsupported));
    let (_d, p) = project(
        "version: 3\ncommands:\n  deploy: {region: eu-west-1, bucket: r, log_retention: 14}\n",
        SERVICE,
    );
    assert!(!has(&p, Some("dev"), DiagnosticCode::LogRetention));
}

#[test]
fn malformed_backend() {
    let (_d, p) = project("version: 3\ncommands:\n  deploy: {region: eu-west-1, bucket: r, backend: {s3: {bucket: a}, local: {}}}\n", SERVICE);
    assert!(has(&p, Some("dev"), DiagnosticCode::BadBackend));
    let (_d, p) = project(
        "version: 3\ncommands:\n  deploy: {region: eu-west-1, bucket: r, backend: {s3: {bucket: a}}}\n",
        SERVICE,
    );
    assert!(!has(&p, Some("dev"), DiagnosticCode::BadBackend));
}

#[test]
fn routes_api_gateway_rejects() {
    let service = r#"
pub struct Shop;
#[coworks::service]
impl Shop {
    #[entry]
    fn get_order(&self, id: u64) -> String { id.to_string() }
    #[entry(path = "/order/{number}/lines")]
    fn get_lines(&self, number: u64) -> String { number.to_string() }
    #[entry(path = "/price~list")]
    fn get_prices(&self) -> String { String::new() }
}
"#;
    let (_d, p) = project("version: 3\n", service);
    let d: Vec<_> =
        p.diagnostics(None).into_iter().filter(|d| d.code == DiagnosticCode::ApiGatewayRoute).collect();
    assert_eq!(d.len(), 3, "{d:?}");
    assert!(d.iter().any(|d| d.message.contains("{id} and {number}")), "{d:?}");
    assert!(d.iter().any(|d| d.message.contains("price~list")), "{d:?}");
}

#[test]
fn oversized_packages() {
    let (dir, _) = project(GOOD, SERVICE);
    let zip = dir.path().join("target/lambda/shop/bootstrap.zip");
    std::fs::create_dir_all(zip.parent().unwrap()).unwrap();
    // A local header claiming 300 MB unzipped.
    let mut head = vec![0u8; 30];
    head[..4].copy_from_slice(&[0x50, 0x4b, 0x03, 0x04]);
    head[22..26].copy_from_slice(&(300u32 * 1024 * 1024).to_le_bytes());
    std::fs::write(&zip, &head).unwrap();
    let p = Project::load(dir.path()).unwrap();
    let d: Vec<_> =
        p.diagnostics(None).into_iter().filter(|d| d.code == DiagnosticCode::PackageTooLarge).collect();
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].message.contains("unzipped"));
    // A real small package is fine.
    std::fs::write(&zip, coworks_core::artifacts::package::zip_bootstrap(b"\x7fELF")).unwrap();
    let p = Project::load(dir.path()).unwrap();
    assert!(!has(&p, None, DiagnosticCode::PackageTooLarge));
}

#[test]
fn environments_lambda_rejects() {
    let (dir, _) = project(GOOD, SERVICE);
    std::fs::write(dir.path().join(".env"), "OK_NAME=1\nAWS_REGION=eu-west-1\nlog.level=debug\n").unwrap();
    std::fs::write(dir.path().join(".env.qa"), "TOKEN=x\n").unwrap();
    // Secret files go to SSM: their names are not Lambda's business.
    std::fs::write(dir.path().join(".env.secret"), "api.key=x\n").unwrap();
    let p = Project::load(dir.path()).unwrap();
    let d: Vec<_> =
        p.diagnostics(Some("dev")).into_iter().filter(|d| d.code == DiagnosticCode::LambdaEnv).collect();
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(d.iter().all(|d| d.file == Path::new(".env")));
    assert!(d.iter().any(|d| d.message.contains("`AWS_REGION` is reserved")), "{d:?}");
    assert!(d.iter().any(|d| d.message.contains("`log.level`") && d.span.start.line == 2), "{d:?}");
    std::fs::write(dir.path().join(".env"), format!("BIG={}\n", "x".repeat(5000))).unwrap();
    let p = Project::load(dir.path()).unwrap();
    assert!(p
        .diagnostics(Some("dev"))
        .iter()
        .any(|d| d.code == DiagnosticCode::LambdaEnv && d.message.contains("4096")));
}
