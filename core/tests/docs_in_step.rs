//! The repository's documents and shipped files agree with the core's tables: the diagnostics table
//! of `docs/diagnostics.md`, the keys, commands and options of `docs/config.md`, and the schema the
//! VS Code extension ships. (Integration tests: they read files outside the `coworks-core` package.)

use std::path::Path;

use coworks_core::config::json_schema::project_schema;
use coworks_core::config::schema::{COMMANDS, SERVICE_KEYS, TOP_KEYS, WORKSPACE_KEYS};
use coworks_core::diagnostics::{markdown_sections, markdown_table, DiagnosticCode};

fn repo_file(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_documented_table_is_the_codes_table() {
    assert!(
        repo_file("docs/diagnostics.md").contains(&markdown_table()),
        "docs/diagnostics.md is out of date: regenerate its table with `cws explain --markdown`"
    );
}

#[test]
fn every_code_has_the_section_its_diagnostics_link_to() {
    let doc = repo_file("docs/diagnostics.md");
    assert!(
        doc.trim_end().ends_with(markdown_sections().trim_end()),
        "docs/diagnostics.md is out of date: its sections are `diagnostics::markdown_sections()`"
    );
    for c in DiagnosticCode::ALL {
        assert!(c.docs_url().ends_with(&format!("/blob/main/docs/diagnostics.md#{}", c.anchor())), "{c}");
        assert!(doc.contains(&format!("\n### {}\n", c.as_str())), "{c}");
    }
}

#[test]
fn docs_name_every_key_command_and_option() {
    let doc = repo_file("docs/config.md");
    for k in TOP_KEYS.iter().chain(SERVICE_KEYS).chain(WORKSPACE_KEYS) {
        assert!(doc.contains(&format!("| `{}` |", k.name)), "key {} not in docs/config.md", k.name);
    }
    for c in COMMANDS {
        assert!(doc.contains(&format!("### `{}`", c.name)), "command {} not in docs/config.md", c.name);
        for o in c.options {
            assert!(doc.contains(&format!("| `{}` |", o.name)), "option {}.{} not in docs", c.name, o.name);
            for k in o.ty.keys() {
                assert!(doc.contains(&format!("`{}`", k.name)), "{}.{} not in docs", o.name, k.name);
                if let Some(d) = k.default {
                    assert!(
                        doc.contains(&format!("`{d}`")),
                        "default of {}.{}.{} not in docs",
                        c.name,
                        o.name,
                        k.name
                    );
                }
            }
            if let Some(d) = o.default {
                assert!(doc.contains(&format!("`{d}`")), "default of {}.{} not in docs", c.name, o.name);
            }
        }
    }
}

#[test]
fn the_vscode_extension_ships_the_generated_schema() {
    let shipped = repo_file("vscode-extension/schemas/project.cws.schema.json");
    let generated = serde_json::to_string_pretty(&project_schema()).expect("JSON") + "\n";
    assert!(
        shipped == generated,
        "vscode-extension/schemas/project.cws.schema.json is out of date: regenerate it with \
         `cargo run -q --bin cws -- schema > vscode-extension/schemas/project.cws.schema.json`"
    );
}
