//! `cws`: the CoWorks command line, a thin shell over `coworks-core`: it parses arguments, asks the
//! core (stages, options, command lines, diagnostics) and prints.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use coworks_core::{diagnostics, DiagnosticCode, Project, Severity};

mod build;
mod config;
mod deploy;
mod invoke;
mod report;
mod run;
mod workflow;

/// CoWorks: serverless microservices for AWS Lambda, checked as you write them.
#[derive(Parser)]
#[command(name = "cws", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every service with its entries: method, path, parameters, auth, stages, location.
    Routes(Common),
    /// Check the project: print its diagnostics; exit code 1 when there is an error.
    Check(CheckArgs),
    /// Show the effective options of every command for a stage, and where each value comes from.
    Config {
        #[command(flatten)]
        common: Common,
        /// The options of one service (with its `services.<name>.commands` overrides).
        #[arg(long)]
        service: Option<String>,
    },
    /// Print the JSON schema of project.cws.yml (for editors' YAML support).
    Schema,
    /// Explain a diagnostic code (`cws explain CWS001`); without a code, print the table of all codes.
    Explain {
        /// A code such as CWS001.
        code: Option<String>,
    },
    /// Build a service and serve it on 127.0.0.1 with the stage's env files; Ctrl-C stops it.
    Run(run::RunArgs),
    /// Send one request to a service (local, started if needed, or `--url`) and print the answer.
    Invoke(invoke::InvokeArgs),
    /// Build a service's Lambda package: its executable zipped as `bootstrap` (target/lambda/<service>/).
    Build(build::BuildArgs),
    /// Deploy the stage's services with Terraform (workspace = stage); `--plan` stops after the plan.
    Deploy(deploy::DeployArgs),
    /// Print the URLs and functions of each deployed stage.
    Deployed(deploy::DeployedArgs),
    /// Remove one deployed stage; the other stages stay.
    Destroy(deploy::DestroyArgs),
    /// Workflows: generate their Airflow DAGs, preview them as graphs.
    #[command(subcommand)]
    Workflow(workflow::WorkflowCommand),
}

#[derive(Args)]
struct Common {
    /// The project directory (holding project.cws.yml).
    #[arg(short, long, default_value = ".")]
    project: PathBuf,
    /// Only what concerns this stage (a workspace of project.cws.yml).
    #[arg(short, long)]
    stage: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    common: Common,
    /// First apply the safe fixes (those marked `[cws check --fix]`) to the files, printing each.
    #[arg(long)]
    fix: bool,
}

/// How many times `--fix` applies fixes at most (a fix that overlaps another, or that a fix reveals,
/// waits for the next pass).
const FIX_PASSES: usize = 5;

/// Applies the safe fixes of the project's diagnostics to its files; returns what was applied.
fn apply_fixes(common: &Common) -> Result<Vec<coworks_core::assist::AppliedFix>, String> {
    let mut applied = Vec::new();
    for _ in 0..FIX_PASSES {
        let project = load(common)?;
        let outcome = project.apply_safe_fixes(common.stage.as_deref());
        for (file, text) in &outcome.texts {
            let path = project.root().join(file);
            std::fs::write(&path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        }
        // A fix can reveal a problem that only its fixed text shows (an option under a misspelt
        // command is read once the command is right): go on until nothing changes.
        if outcome.applied.is_empty() {
            break;
        }
        applied.extend(outcome.applied);
    }
    Ok(applied)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn load(common: &Common) -> Result<Project, String> {
    load_project(&common.project, common.stage.as_deref())
}

/// Loads the project at `dir`.
fn open_project(dir: &std::path::Path) -> Result<Project, String> {
    Project::load(dir).map_err(|e| {
        format!(
            "cannot read project directory `{}`: {e}; pass `-p DIR` naming a CoWorks project",
            dir.display()
        )
    })
}

/// Loads the project at `dir`; a `stage`, when given, must be one of its stages.
fn load_project(dir: &std::path::Path, stage: Option<&str>) -> Result<Project, String> {
    let project = open_project(dir)?;
    if stage.is_some() {
        project.resolve_stage(stage).map_err(|e| e.to_string())?;
    }
    Ok(project)
}

/// Loads the project at `dir` and resolves the stage (the one asked, or the project's first).
fn load_with_stage(dir: &std::path::Path, stage: Option<&str>) -> Result<(Project, String), String> {
    let project = open_project(dir)?;
    let stage = project.resolve_stage(stage).map_err(|e| e.to_string())?;
    Ok((project, stage))
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Invoke(args) => invoke::invoke(args),
        Command::Build(args) => build::run(args),
        Command::Deploy(args) => deploy::deploy(args),
        Command::Deployed(args) => deploy::deployed(args),
        Command::Destroy(args) => deploy::destroy(args),
        Command::Schema => {
            let schema = coworks_core::config::json_schema::project_schema();
            println!("{}", serde_json::to_string_pretty(&schema).map_err(|e| e.to_string())?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Workflow(command) => workflow::run(command),
        Command::Explain { code: None } => {
            print!("{}", diagnostics::markdown_table());
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { code: Some(code) } => {
            let c = DiagnosticCode::parse(&code.to_ascii_uppercase()).ok_or_else(|| {
                format!("unknown diagnostic code `{code}`; run `cws explain` for the list (CWS001 ... )")
            })?;
            println!("{c} ({}): {}\nfix: {}", c.severity(), c.meaning(), c.fix());
            Ok(ExitCode::SUCCESS)
        }
        Command::Routes(common) => {
            let project = load(&common)?;
            let services = project.services(common.stage.as_deref());
            if common.json {
                let out = serde_json::json!({ "stage": common.stage, "services": services });
                println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
            } else {
                report::print_routes(&services);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Config { common, service } => {
            let (project, stage) = load_with_stage(&common.project, common.stage.as_deref())?;
            if let Some(s) = &service {
                if !project.service_names().contains(s.as_str()) {
                    return Err(format!("unknown service `{s}`; `cws routes` lists the services"));
                }
            }
            let options = config::effective(&project, &stage, service.as_deref());
            if common.json {
                let out = serde_json::json!({ "stage": stage, "service": service, "commands": options });
                println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
            } else {
                println!(
                    "# stage {stage}{}",
                    service.as_ref().map(|s| format!(", service {s}")).unwrap_or_default()
                );
                config::print(&options);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(CheckArgs { common, fix }) => {
            let fixed = if fix { apply_fixes(&common)? } else { Vec::new() };
            if !common.json {
                for f in &fixed {
                    let d = &f.diagnostic;
                    let (line, col) = (d.span.start.line + 1, d.span.start.col + 1);
                    println!("fixed {}:{line}:{col}: [{}] {}", d.file.display(), d.code, f.title);
                }
            }
            let project = load(&common)?;
            let diags = project.diagnostics(common.stage.as_deref());
            let count = |s: Severity| diags.iter().filter(|d| d.severity == s).count();
            let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
            if common.json {
                let mut out =
                    serde_json::json!({ "errors": errors, "warnings": warnings, "diagnostics": diags });
                if fix {
                    out["fixed"] = serde_json::to_value(&fixed).map_err(|e| e.to_string())?;
                }
                println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
            } else {
                for d in &diags {
                    println!("{}", d.human());
                }
                let services = project.services(common.stage.as_deref());
                let entries: usize = services.iter().map(|s| s.entries.len()).sum();
                println!(
                    "{} service(s), {entries} entr{}: {errors} error(s), {warnings} warning(s)",
                    services.len(),
                    if entries == 1 { "y" } else { "ies" }
                );
            }
            Ok(if errors > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
    }
}
