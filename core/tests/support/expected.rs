//! The expected diagnostics of a fixture project, `expected.txt`: what `cws check` prints for the
//! project, without a stage and for each stage the file asks for, one section each.
//!
//! ```text
//! # cws check
//! src/main.rs:6:8: error[CWS001]: `GET /item/{id}` is answered by `get_item` and `get_item_`
//!     src/main.rs:8:8: note: the other entry
//! 1 service(s), 2 entries: 2 error(s), 0 warning(s)
//!
//! # cws check -s dev
//! 1 service(s), 1 entry: 0 error(s), 0 warning(s)
//! ```
//!
//! A new file holds the first section only; add a `# cws check -s <stage>` line to ask for a stage,
//! then rewrite the file with `UPDATE_EXPECT=1`.

use coworks_core::{Project, Severity};

/// The file's name, in the fixture project's directory.
pub const FILE: &str = "expected.txt";

/// What starts a section.
const HEADING: &str = "# cws check";

/// The stage of each section of `text` (`None`: no stage), in order; `[None]` for an empty file.
pub fn stages(text: &str) -> Result<Vec<Option<String>>, String> {
    let mut stages = Vec::new();
    for line in text.lines().filter(|l| l.starts_with(HEADING)) {
        match line[HEADING.len()..].split_whitespace().collect::<Vec<_>>()[..] {
            [] => stages.push(None),
            ["-s", stage] => stages.push(Some(stage.to_string())),
            _ => return Err(format!("`{line}`: a section is `{HEADING}` or `{HEADING} -s <stage>`")),
        }
    }
    if stages.is_empty() {
        stages.push(None);
    }
    Ok(stages)
}

/// The sections of `text`: each stage with the lines below its heading (ending with a newline).
pub fn sections(text: &str) -> Result<Vec<(Option<String>, String)>, String> {
    let stages = stages(text)?;
    let mut bodies: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with(HEADING) {
            bodies.push(String::new());
        } else if let Some(body) = bodies.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    let bodies = bodies.into_iter().map(|b| b.trim_end().to_string() + "\n");
    Ok(stages.into_iter().zip(bodies).collect())
}

/// What `cws check [-s stage]` prints for `project`: every diagnostic (`Diagnostic::human`), then
/// the count of services, entries, errors and warnings.
pub fn check_output(project: &Project, stage: Option<&str>) -> String {
    let diags = project.diagnostics(stage);
    let mut out: String = diags.iter().map(|d| d.human() + "\n").collect();
    let count = |s: Severity| diags.iter().filter(|d| d.severity == s).count();
    let services = project.services(stage);
    let entries: usize = services.iter().map(|s| s.entries.len()).sum();
    out.push_str(&format!(
        "{} service(s), {entries} entr{}: {} error(s), {} warning(s)\n",
        services.len(),
        if entries == 1 { "y" } else { "ies" },
        count(Severity::Error),
        count(Severity::Warning),
    ));
    out
}

/// The whole file for `project`, with one section per stage of `stages`.
pub fn render(project: &Project, stages: &[Option<String>]) -> String {
    let sections: Vec<String> = stages
        .iter()
        .map(|stage| {
            let heading = match stage {
                None => HEADING.to_string(),
                Some(s) => format!("{HEADING} -s {s}"),
            };
            format!("{heading}\n{}", check_output(project, stage.as_deref()))
        })
        .collect();
    sections.join("\n")
}
