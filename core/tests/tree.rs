//! The project tree an editor's side view shows, and the debug launch of a service: what the core
//! decides for the faces (texts, actions, ids), on small temporary projects.

mod support;

use coworks_core::commands::{debug_launch, Action};
use coworks_core::tree::{project_tree, NodeKind, TreeNode};
use support::TempProject;

const CONFIG: &str = "version: 3\nname: shop\nworkspaces:\n  dev: {}\n  prod:\n    production: true\n";

/// A service with a duplicate route (an error the tree must still show), an entry limited to dev,
/// and an unauthenticated one.
const SHOP: &str = r#"
#[coworks::service]
impl Shop {
    #[entry]
    fn get_item(&self, id: u64) -> String { String::new() }
    #[entry(path = "/item/{id}")]
    fn get_item_again(&self, id: u64) -> String { String::new() }
    #[entry(stage = "dev")]
    fn get_debug(&self) -> String { String::new() }
    #[entry(no_auth)]
    fn get_health(&self) -> String { String::new() }
}
"#;

fn labels(nodes: &[TreeNode]) -> Vec<&str> {
    nodes.iter().map(|n| n.label.as_str()).collect()
}

fn ids(nodes: &[TreeNode], out: &mut Vec<String>) {
    for n in nodes {
        out.push(n.id.clone());
        ids(&n.children, out);
    }
}

#[test]
fn stages_hold_their_services_and_entries_with_the_core_texts() {
    let project = TempProject::new().file("project.cws.yml", CONFIG).service("shop", SHOP).load();
    let tree = project_tree(&project, "prod");
    assert_eq!(labels(&tree), ["dev", "prod"], "no Workflows node without workflows");
    let (dev, prod) = (&tree[0], &tree[1]);
    assert_eq!((dev.kind, dev.expanded, dev.description.as_str()), (NodeKind::Stage, false, ""));
    assert_eq!((prod.expanded, prod.description.as_str()), (true, "active · production"));
    assert_eq!(dev.actions[0].action, Action::Check { stage: Some("dev".into()), short: true });

    let shop = &dev.children[0];
    assert_eq!(
        (shop.kind, shop.label.as_str(), shop.stage.as_deref()),
        (NodeKind::Service, "shop", Some("dev"))
    );
    let verbs: Vec<&str> = shop.actions.iter().map(|a| a.action.verb()).collect();
    assert_eq!(verbs, ["run", "debug", "deploy", "build"]);
    assert_eq!(
        shop.location.as_ref().map(|l| l.file.display().to_string()),
        Some("services/shop/src/main.rs".into())
    );
    assert_eq!(labels(&shop.children), ["GET /item/{id}", "GET /item/{id}", "GET /debug", "GET /health"]);
    let descriptions: Vec<&str> = shop.children.iter().map(|e| e.description.as_str()).collect();
    assert_eq!(descriptions, ["token", "token", "token · only dev", "no auth"]);
    assert!(
        shop.children[0].tooltip.contains("shop::get_item(id: u64 (path))"),
        "{}",
        shop.children[0].tooltip
    );
    assert_eq!(labels(&prod.children[0].children), ["GET /item/{id}", "GET /item/{id}", "GET /health"]);
    let invoke = &prod.children[0].children[2].actions[0];
    assert_eq!(invoke.action.cws_argv().unwrap().join(" "), "cws invoke -s prod -- shop GET /health");

    // Ids are unique (a client keys nodes by them), even for the duplicate route.
    let mut all = Vec::new();
    ids(&tree, &mut all);
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), all.len(), "{all:#?}");
    assert_eq!(shop.children[1].id, format!("{}#2", shop.children[0].id));
}

#[test]
fn workflows_list_their_tasks_with_the_calls() {
    let wf = "id: restock\ntasks:\n  look:\n    service: shop\n    path: /health\n  \
              stray:\n    service: nowhere\n    method: POST\n    path: /x\n    after: [look]\n";
    let project = TempProject::new()
        .file("project.cws.yml", CONFIG)
        .service("shop", SHOP)
        .file("workflows/restock.cws.yml", wf)
        .load();
    let tree = project_tree(&project, "dev");
    let workflows = tree.last().unwrap();
    assert_eq!(
        (workflows.kind, workflows.label.as_str(), workflows.description.as_str()),
        (NodeKind::Workflows, "Workflows", "1")
    );
    let restock = &workflows.children[0];
    assert_eq!(
        (restock.label.as_str(), restock.description.as_str()),
        ("restock", "workflows/restock.cws.yml")
    );
    assert_eq!(labels(&restock.children), ["look", "stray"]);
    let (look, stray) = (&restock.children[0], &restock.children[1]);
    assert_eq!(look.description, "shop GET /health");
    assert_eq!(look.tooltip, "calls shop::get_health (GET /health)");
    assert_eq!(stray.tooltip, "calls no known entry");
    let at = look.location.as_ref().unwrap();
    assert_eq!((at.span.start.line, at.span.start.col), (2, 2), "at the task's id");
}

#[test]
fn a_debug_launch_builds_the_crate_and_runs_it_with_the_stage_environment() {
    // Kept: the stage's env files are checked to be inside the project directory.
    let dir = TempProject::new()
        .file("project.cws.yml", format!("{CONFIG}commands:\n  run:\n    port: 9123\n"))
        .file(".env", "A=1\n")
        .file(".env.dev", "A=2\nB=dev\n")
        .file(".env.dev.secret", "KEY=hidden\n")
        .service("shop", SHOP);
    let project = dir.load();
    let launch = debug_launch(&project, "shop", "dev").unwrap();
    assert_eq!(
        launch.build,
        [
            "cargo",
            "build",
            "--manifest-path",
            "services/shop/Cargo.toml",
            "--message-format=json-render-diagnostics"
        ]
    );
    assert_eq!(launch.manifest, project.root().join("services/shop/Cargo.toml"));
    assert_eq!(launch.args, ["--host", "127.0.0.1", "--port", "9123"]);
    let env: Vec<(&str, &str)> = launch.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(env, [("A", "2"), ("B", "dev"), ("CWS_STAGE", "dev"), ("KEY", "hidden")]);
    assert_eq!(launch.secrets, ["KEY"]);
    assert_eq!(launch.cwd, project.root());
    let prod = debug_launch(&project, "shop", "prod").unwrap();
    assert_eq!(prod.env.get("B"), None, "prod does not read .env.dev");

    assert_eq!(debug_launch(&project, "nope", "dev").unwrap_err().to_string(), "unknown service `nope`");
    let unknown_stage = debug_launch(&project, "shop", "qa").unwrap_err().to_string();
    assert!(unknown_stage.contains("qa") && unknown_stage.contains("dev, prod"), "{unknown_stage}");
}

#[test]
fn without_a_project_file_there_is_no_tree() {
    let dir = TempProject::new().service("shop", SHOP);
    assert_eq!(project_tree(&dir.load(), "dev"), Vec::<TreeNode>::new());
}
