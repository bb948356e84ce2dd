//! `cws workflow`: Airflow DAGs, previews and local runs ([`crate::workflow_run`]) of the project's
//! workflows (`workflows/*.cws.yml`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use coworks_core::artifacts::{self, airflow, airflow_setup};
use coworks_core::Project;

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
    /// Write a stage's DAGs and set up Airflow from the deployment: the connections `cws_<service>_<stage>`
    /// (deployed URL, the stage's token), the AWS connection and the results-bucket variable, through
    /// Airflow 3's REST API (`--airflow URL`) or as `airflow` CLI lines (`--print`, no secret printed).
    Deploy(crate::workflow_deploy::DeployArgs),
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
        WorkflowCommand::Deploy(args) => crate::workflow_deploy::run(args),
    }
}

fn build(dir: Option<&Path>, stage: Option<String>, out: Option<PathBuf>) -> Result<ExitCode, Failure> {
    let (project, stage) = crate::load_with_stage(dir, stage.as_deref())?;
    if write_dags(&project, &stage, out.as_deref(), false)?.is_none() {
        return Ok(ExitCode::FAILURE);
    }
    // What Airflow needs to run them: connections per service and stage, the results bucket.
    outln!("Airflow needs (`cws workflow deploy -s {stage}` sets them up from the deployment):");
    for s in airflow_setup::called_services(&project) {
        outln!(
            "  connection {}: HTTP, host = the URL of `{s}` in `{stage}`, password = its TOKEN",
            airflow::connection_id(&s, &stage)
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

/// Writes the DAGs of `stage` into `out` (default: the project's `airflow_dags`), saying which;
/// `None` when the workflows have errors (printed) and nothing was written. `quiet` says it on
/// stderr (stdout is for other output).
pub fn write_dags(
    project: &Project,
    stage: &str,
    out: Option<&Path>,
    quiet: bool,
) -> Result<Option<PathBuf>, Failure> {
    let dir = project.root();
    if project.workflows().next().is_none() {
        return Err(format!(
            "no workflows in `{}`: add `workflows/<name>.cws.yml`",
            dir.join("workflows").display()
        )
        .into());
    }
    let files = match airflow::dags(project, stage) {
        Ok(files) => files,
        Err(errors) => {
            crate::print_diagnostics(project, &errors);
            errln!("error: the workflows have {} error(s) in stage `{stage}`; no DAG written", errors.len());
            return Ok(None);
        }
    };
    let out = match project.dags_dir(stage, out) {
        Ok(dir) => dir,
        Err(d) => {
            crate::print_diagnostics(project, &[d]);
            errln!("error: no DAG written");
            return Ok(None);
        }
    };
    let written = artifacts::write_files(&out, &files)
        .map_err(|e| failed(format!("cannot write the DAGs into `{}`: {e}", out.display())))?;
    for (path, file) in written.iter().zip(&files) {
        if file.path.extension().is_some_and(|e| e == "py")
            && file.path.parent().is_none_or(|p| p.as_os_str().is_empty())
        {
            say(quiet, &format!("wrote {}", path.display()));
        }
    }
    say(quiet, &format!("(with the coworks_airflow package and .airflowignore in {})", out.display()));
    Ok(Some(out))
}

/// A line on stdout, or on stderr when `quiet`.
fn say(quiet: bool, line: &str) {
    if quiet {
        errln!("{line}");
    } else {
        outln!("{line}");
    }
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
