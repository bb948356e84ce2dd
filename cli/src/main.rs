//! `cws`: the CoWorks command line, a thin shell over `coworks-core`: it parses arguments, asks the
//! core (stages, options, command lines, diagnostics) and prints.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand};
use coworks_core::{diagnostics, DiagnosticCode, Project, Severity};

mod aws_profile;
mod build;
mod client;
mod config;
mod deploy;
mod gateway;
mod invoke;
mod logs;
mod new;
mod openapi;
mod output;
mod report;
mod run;
mod workflow;
mod workflow_deploy;
mod workflow_run;

use output::{errln, out, outln};

/// What `cws --help` says after the commands.
const AFTER_HELP: &str = "\
Every command works on the project whose project.cws.yml is in the current directory or above it
(-p DIR names another). `cws new NAME` creates a project.

Exit codes: 0 success; 1 findings (errors of `cws check`, an HTTP error answer of `cws invoke`) or a
failed step (cargo, Terraform, a service that stops); 2 a usage error (bad arguments, no project,
unknown stage or service).

Environment: NO_COLOR / CLICOLOR_FORCE (colours), COWORKS_PATH (`cws new`: the runtime from a local
checkout), CARGO_TARGET_DIR (where cargo builds).";

/// The CoWorks command line: create, check, run, invoke, build and deploy serverless microservices
/// written in Rust for AWS Lambda, and the Airflow workflows composing them.
#[derive(Parser)]
#[command(name = "cws", version, propagate_version = true, after_help = AFTER_HELP)]
struct Cli {
    /// Coloured output: auto (on terminals, unless NO_COLOR is set), always, never.
    #[arg(long, global = true, value_enum, default_value_t, value_name = "WHEN")]
    color: output::ColorWhen,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a project (`cws new NAME`), or add a service to this one (`cws new --service NAME`).
    New(new::NewArgs),
    /// List every service with its entries: method, path, parameters, auth, stages, location.
    Routes(Common),
    /// Check the project: print its diagnostics; exit code 1 when there is an error.
    Check {
        #[command(flatten)]
        common: Common,
        /// `human`: rustc's form, with the source and carets; `short`: one line each (`file:line:col: ...`).
        #[arg(long, value_enum, default_value_t, value_name = "FORMAT")]
        message_format: MessageFormat,
        /// First apply the safe fixes (those marked `[cws check --fix]`) to the files, printing each.
        #[arg(long)]
        fix: bool,
    },
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
    /// Explain a diagnostic code (`cws explain CWS001`); without a code, list every code.
    Explain {
        /// A code such as CWS001.
        code: Option<String>,
        /// Print the list as the Markdown table of docs/diagnostics.md.
        #[arg(long, conflicts_with = "code")]
        markdown: bool,
    },
    /// Build a service and serve it on 127.0.0.1 with the stage's env files; without a service, serve
    /// every service of the stage behind one port as API Gateway will. Ctrl-C stops it.
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
    /// Print the CloudWatch logs of a deployed service's function; `--follow` keeps reading.
    Logs(logs::LogsArgs),
    /// Print a service's OpenAPI 3.1 document for a stage, or write every service's into a directory.
    Openapi(openapi::OpenapiArgs),
    /// Write a typed client of a service (TypeScript or Rust) from its OpenAPI document for a stage.
    Client(client::ClientArgs),
    /// Workflows: generate their Airflow DAGs, preview them as graphs.
    #[command(subcommand)]
    Workflow(workflow::WorkflowCommand),
    /// Print a completion script for a shell (`cws completions bash > ~/.local/share/bash-completion/completions/cws`).
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

/// How `cws check` writes diagnostics.
#[derive(Clone, Copy, Default, clap::ValueEnum)]
enum MessageFormat {
    /// As rustc: the message, the source lines with carets, the related places.
    #[default]
    Human,
    /// One line each: `file:line:col: severity[CODE]: message` (related places indented below).
    Short,
}

/// Why a command failed, which decides its exit code.
#[derive(Debug)]
pub enum Failure {
    /// The command cannot run as asked (bad arguments, no project, unknown stage or service): exit 2.
    Usage(String),
    /// A step failed (cargo, Terraform, a service, a request): exit 1.
    Failed(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Usage(message)
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        Failure::Usage(message.to_string())
    }
}

/// A failed step (exit code 1).
pub fn failed(message: impl Into<String>) -> Failure {
    Failure::Failed(message.into())
}

#[derive(Args)]
struct Common {
    /// The project directory (default: the nearest directory holding project.cws.yml, here or above).
    #[arg(short, long, value_name = "DIR")]
    project: Option<PathBuf>,
    /// Only what concerns this stage (a workspace of project.cws.yml).
    #[arg(short, long)]
    stage: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
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
    output::set_color(cli.color);
    match run(cli) {
        Ok(code) => code,
        Err(failure) => {
            let (message, code) = match failure {
                Failure::Usage(m) => (m, 2),
                Failure::Failed(m) => (m, 1),
            };
            let s = anstyle::Style::new().bold().fg_color(Some(anstyle::AnsiColor::Red.into()));
            errln!("{s}error{s:#}: {message}");
            ExitCode::from(code)
        }
    }
}

fn load(common: &Common) -> Result<Project, String> {
    load_project(common.project.as_deref(), common.stage.as_deref())
}

/// The project root: `-p DIR` when given, else the nearest directory holding project.cws.yml from
/// the current directory upward (the core's rule, shared with the language server).
pub fn project_root(dir: Option<&Path>) -> Result<PathBuf, String> {
    match dir {
        Some(d) => Ok(d.to_path_buf()),
        None => coworks_core::layout::find_root(Path::new("."))
            .ok_or_else(|| coworks_core::layout::NO_PROJECT_HERE.into()),
    }
}

/// Loads the project at `dir` (`-p`), or the one found from the current directory.
fn open_project(dir: Option<&Path>) -> Result<Project, String> {
    let dir = project_root(dir)?;
    Project::load(&dir).map_err(|e| {
        format!(
            "cannot read project directory `{}`: {e}; pass `-p DIR` naming a CoWorks project",
            dir.display()
        )
    })
}

/// Loads the project (see [`open_project`]); a `stage`, when given, must be one of its stages.
fn load_project(dir: Option<&Path>, stage: Option<&str>) -> Result<Project, String> {
    let project = open_project(dir)?;
    if stage.is_some() {
        project.resolve_stage(stage).map_err(|e| e.to_string())?;
    }
    Ok(project)
}

/// Loads the project (see [`open_project`]) and resolves the stage (the one asked, or the project's first).
fn load_with_stage(dir: Option<&Path>, stage: Option<&str>) -> Result<(Project, String), String> {
    let project = open_project(dir)?;
    let stage = project.resolve_stage(stage).map_err(|e| e.to_string())?;
    Ok((project, stage))
}

/// Writes diagnostics to stderr as `cws check` shows them.
/// Reads the stage's `env_files` marked `outside: true` (only `cws run` and `cws deploy` do: they run
/// the project's code by design) and says which files outside the project were read.
pub fn read_outside_env_files(project: &mut Project) {
    for path in project.read_outside_env_files() {
        errln!(
            "note: reading env file `{}` from outside the project (`outside: true` in project.cws.yml)",
            output::escape(&path.display().to_string())
        );
    }
}

pub fn print_diagnostics(project: &Project, diags: &[coworks_core::Diagnostic]) {
    if !diags.is_empty() {
        let text =
            report::render_diagnostics(project, diags, output::stderr_colored(), output::stderr_width());
        errln!("{}", text.trim_end());
    }
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    match cli.command {
        Command::New(args) => new::run(args),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "cws", &mut out);
            out!("{}", String::from_utf8_lossy(&out));
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(args) => run::run(args),
        Command::Invoke(args) => invoke::invoke(args),
        Command::Build(args) => build::run(args),
        Command::Deploy(args) => deploy::deploy(args),
        Command::Deployed(args) => deploy::deployed(args),
        Command::Destroy(args) => deploy::destroy(args),
        Command::Logs(args) => logs::logs(args),
        Command::Schema => {
            let schema = coworks_core::config::json_schema::project_schema();
            outln!("{}", serde_json::to_string_pretty(&schema).map_err(|e| e.to_string())?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Workflow(command) => workflow::run(command),
        Command::Openapi(args) => openapi::run(args),
        Command::Client(args) => client::run(args),
        Command::Explain { code: None, markdown: true } => {
            out!("{}", diagnostics::markdown_table());
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { code: None, markdown: false } => {
            out!("{}", report::explain_all(output::stdout_width()));
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { code: Some(code), .. } => {
            let c = DiagnosticCode::parse(&code.to_ascii_uppercase()).ok_or_else(|| {
                format!("unknown diagnostic code `{code}`; run `cws explain` for the list (CWS001 ... )")
            })?;
            out!("{}", report::explain(c));
            Ok(ExitCode::SUCCESS)
        }
        Command::Routes(common) => {
            let project = load(&common)?;
            let services = project.services(common.stage.as_deref());
            if common.json {
                let out = serde_json::json!({ "stage": common.stage, "services": services });
                outln!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
            } else {
                out!("{}", report::routes_table(&services, output::stdout_width()));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Config { common, service } => {
            let (project, stage) = load_with_stage(common.project.as_deref(), common.stage.as_deref())?;
            if let Some(s) = &service {
                if !project.service_names().contains(s.as_str()) {
                    return Err(format!("unknown service `{s}`; `cws routes` lists the services").into());
                }
            }
            let options = config::effective(&project, &stage, service.as_deref());
            if common.json {
                let out = serde_json::json!({ "stage": stage, "service": service, "commands": options });
                outln!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
            } else {
                outln!(
                    "# stage {stage}{}",
                    service.as_ref().map(|s| format!(", service {s}")).unwrap_or_default()
                );
                config::print(&options);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { common, message_format, fix } => {
            let fixed = if fix { apply_fixes(&common)? } else { Vec::new() };
            if !common.json {
                for f in &fixed {
                    let d = &f.diagnostic;
                    let (line, col) = (d.span.start.line + 1, d.span.start.col + 1);
                    let what = format!("fixed {}:{line}:{col}: [{}] {}", d.file.display(), d.code, f.title);
                    outln!("{}", output::escape(&what));
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
                outln!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
            } else {
                match message_format {
                    MessageFormat::Short => {
                        for d in &diags {
                            outln!("{}", output::escape(&d.human()));
                        }
                    }
                    MessageFormat::Human => {
                        let colored = output::stdout_colored();
                        out!(
                            "{}",
                            report::render_diagnostics(&project, &diags, colored, output::stdout_width())
                        );
                    }
                }
                let services = project.services(common.stage.as_deref());
                let entries: usize = services.iter().map(|s| s.entries.len()).sum();
                outln!("{}", report::check_summary(services.len(), entries, errors, warnings));
            }
            Ok(if errors > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
    }
}
