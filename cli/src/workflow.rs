//! `cws workflow`: Airflow DAGs, previews and local runs ([`crate::workflow_run`]) of the project's
//! workflows (`workflows/*.cws.yml`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use coworks_core::artifacts::{self, airflow};

use crate::output::{errln, out, outln};
use crate::{failed, Failure};

/// The subcommands of `cws workflow`.
#[derive(Subcommand)]
pub enum WorkflowCommand {
    /// Write one Airflow 3 DAG per workflow for a stage (plus the `coworks_airflow` package they import).
    Build {
        /// The project directory (default: the nearest directory holding project.cws.yml, here or above).
        #[arg(short, long, value_name = "DIR")]
        project: Option<PathBuf>,
        /// The stage the DAGs call (default: the first workspace).
        #[arg(short, long)]
        stage: Option<String>,
        /// Where to write the DAGs (default: `commands.workflow.airflow_dags`, else `<project>/airflow/dags`).
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// Print a workflow as a Mermaid graph (or its JSON graph with `--json`).
    Preview(PreviewArgs),
    /// Run a workflow without Airflow against the stage's local services (or `--deployed` APIs),
    /// printing each task's call, values, status and duration.
    Run(crate::workflow_run::RunArgs),
}

/// Arguments of `cws workflow preview`.
#[derive(Args)]
pub struct PreviewArgs {
    /// The workflow file (e.g. workflows/invoicing.cws.yml).
    file: PathBuf,
    /// The project directory (default: the directory above the file's `workflows/`).
    #[arg(short, long)]
    project: Option<PathBuf>,
    /// Print the JSON graph (nodes with entry locations, edges with kinds).
    #[arg(long)]
    json: bool,
}

/// Runs `cws workflow ...`.
pub fn run(command: WorkflowCommand) -> Result<ExitCode, Failure> {
    match command {
        WorkflowCommand::Build { project, stage, out } => build(project.as_deref(), stage, out),
        WorkflowCommand::Preview(args) => preview(args),
        WorkflowCommand::Run(args) => crate::workflow_run::run(args),
    }
}

fn build(dir: Option<&Path>, stage: Option<String>, out: Option<PathBuf>) -> Result<ExitCode, Failure> {
    let (project, stage) = crate::load_with_stage(dir, stage.as_deref())?;
    let dir = project.root();
    if project.workflows().next().is_none() {
        return Err(format!(
            "no workflows in `{}`: add `workflows/<name>.cws.yml`",
            dir.join("workflows").display()
        )
        .into());
    }
    let files = match airflow::dags(&project, &stage) {
        Ok(files) => files,
        Err(errors) => {
            crate::print_diagnostics(&project, &errors);
            errln!("error: the workflows have {} error(s) in stage `{stage}`; no DAG written", errors.len());
            return Ok(ExitCode::FAILURE);
        }
    };
    let out = match project.dags_dir(&stage, out.as_deref()) {
        Ok(dir) => dir,
        Err(d) => {
            crate::print_diagnostics(&project, &[d]);
            errln!("error: no DAG written");
            return Ok(ExitCode::FAILURE);
        }
    };
    let written = artifacts::write_files(&out, &files)
        .map_err(|e| failed(format!("cannot write the DAGs into `{}`: {e}", out.display())))?;
    for (path, file) in written.iter().zip(&files) {
        if file.path.extension().is_some_and(|e| e == "py")
            && file.path.parent().is_none_or(|p| p.as_os_str().is_empty())
        {
            outln!("wrote {}", path.display());
        }
    }
    outln!("(with the coworks_airflow package and .airflowignore in {})", out.display());
    // What Airflow needs to run them: connections per service and stage, the results bucket.
    let mut services: Vec<&str> = project
        .workflows()
        .flat_map(|w| w.tasks.iter().filter_map(|t| t.service.as_ref().map(|s| s.value.as_str())))
        .collect();
    services.sort_unstable();
    services.dedup();
    outln!("Airflow needs:");
    for s in services {
        outln!(
            "  connection {}: HTTP, host = the URL of `{s}` in `{stage}`, password = its TOKEN",
            airflow::connection_id(s, &stage)
        );
    }
    if project.workflows().any(|w| w.tasks.iter().any(|t| t.is_async)) {
        outln!("  connection {}: AWS, reads async results from S3", airflow::aws_connection_id(&stage));
        outln!(
            "  variable {}: the results bucket (deploy.bucket of `{stage}`)",
            airflow::bucket_variable(&stage)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn preview(args: PreviewArgs) -> Result<ExitCode, Failure> {
    let file = args.file;
    let (project, rel) = crate::workflow_run::project_of(&file, args.project.as_deref())?;
    let preview = project
        .workflow_preview(&rel)
        .ok_or_else(|| format!("`{}` was not read (see `cws check`)", file.display()))?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&preview).map_err(|e| e.to_string())?);
    } else {
        out!("{}", preview.mermaid);
    }
    Ok(ExitCode::SUCCESS)
}
