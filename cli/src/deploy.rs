//! `cws deploy`, `cws deployed`, `cws destroy`: the Terraform files the core generates, applied in
//! the Terraform workspace named after the stage.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use clap::Args;
use coworks_core::artifacts::{self, terraform, StageDeployment, TERRAFORM_DIR};
use coworks_core::config::Value;
use coworks_core::settings::CliOptions;
use coworks_core::{Project, Severity};

use crate::output::{errln, out, outln, Step};
use crate::{failed, Failure};

/// Options shared by the commands that talk to AWS.
#[derive(Args)]
pub struct AwsArgs {
    /// The project directory (default: the nearest directory holding project.cws.yml, here or above).
    #[arg(short, long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// AWS region (overrides `commands.deploy.region`).
    #[arg(long)]
    pub region: Option<String>,
    /// AWS credentials profile (overrides `commands.deploy.profile`).
    #[arg(long = "aws-profile")]
    pub aws_profile: Option<String>,
    /// One endpoint URL for every AWS service (e.g. a local emulator).
    #[arg(long)]
    pub endpoint: Option<String>,
}

impl AwsArgs {
    fn cli(&self) -> CliOptions {
        let mut cli = CliOptions::new();
        if let Some(r) = &self.region {
            cli.insert("region".into(), Value::Str(r.clone()));
        }
        if let Some(p) = &self.aws_profile {
            cli.insert("profile".into(), Value::Str(p.clone()));
        }
        if let Some(e) = &self.endpoint {
            cli.insert(
                "endpoints".into(),
                Value::Map(BTreeMap::from([("all".into(), Value::Str(e.clone()))])),
            );
        }
        cli
    }
}

/// Arguments of `cws deploy`.
#[derive(Args)]
pub struct DeployArgs {
    /// Deploy only this service (the others of the stage are left as they are).
    pub service: Option<String>,
    /// The stage to deploy (the Terraform workspace).
    #[arg(short, long)]
    pub stage: String,
    /// Stop after `terraform plan`.
    #[arg(long)]
    pub plan: bool,
    /// Use the packages already built by `cws build` instead of building them.
    #[arg(long)]
    pub no_build: bool,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Arguments of `cws destroy`.
#[derive(Args)]
pub struct DestroyArgs {
    /// The stage to remove; the other stages stay.
    #[arg(short, long)]
    pub stage: String,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Arguments of `cws deployed`.
#[derive(Args)]
pub struct DeployedArgs {
    /// The project directory (default: the nearest directory holding project.cws.yml, here or above).
    #[arg(short, long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Only this stage.
    #[arg(short, long)]
    pub stage: Option<String>,
}

/// The `terraform` executable on `PATH`.
fn terraform() -> Result<PathBuf, Failure> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|d| d.join("terraform")).find(|p| p.is_file()).ok_or_else(|| {
        failed(
            "terraform is not installed (not on PATH): install Terraform 1.5 or newer \
             (https://developer.hashicorp.com/terraform/install; scripts/ci-deps checks for it)",
        )
    })
}

/// Runs terraform in `dir`, its output shown; fails with a message naming the step.
fn run_terraform(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Result<(), Failure> {
    let mut cmd = Command::new(terraform()?);
    cmd.args(args).current_dir(dir).env("TF_IN_AUTOMATION", "1").stdin(Stdio::null()).stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().map_err(|e| failed(format!("cannot run terraform: {e}")))?;
    let mut errors = String::new();
    if let Some(err) = child.stderr.take() {
        let mut stderr = std::io::stderr();
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = writeln!(stderr, "{line}");
            errors.push_str(&line);
            errors.push('\n');
        }
    }
    let status = child.wait().map_err(|e| failed(format!("terraform: {e}")))?;
    if status.success() {
        return Ok(());
    }
    let hint = if errors.contains("credential") || errors.contains("NoCredentialProviders") {
        "; no usable AWS credentials: set AWS_PROFILE (or `profile` under `commands.deploy`) or \
         AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
    } else if errors.contains("region") && errors.contains("required") {
        "; no AWS region: set `region` under `commands.deploy` in project.cws.yml or pass --region"
    } else {
        ""
    };
    Err(failed(format!("`terraform {}` failed ({status}); its messages are above{hint}", args.join(" "))))
}

fn load_stage(project_dir: Option<&Path>, stage: &str) -> Result<Project, String> {
    crate::load_project(project_dir, Some(stage))
}

fn prepare(project: &Project, stage: &str, aws: &AwsArgs) -> Result<(StageDeployment, PathBuf), Failure> {
    let (deployment, _) = artifacts::stage_deployment(project, stage, &aws.cli());
    let dir = project.root().join(TERRAFORM_DIR);
    artifacts::write_terraform(&dir, &deployment)
        .map_err(|e| failed(format!("cannot write {}: {e}", dir.display())))?;
    let step = Step::start("Initializing", "terraform");
    run_terraform(&dir, &["init", "-input=false", "-no-color"], &[])?;
    step.done();
    Ok((deployment, dir))
}

/// `cws deploy`.
pub fn deploy(args: DeployArgs) -> Result<ExitCode, Failure> {
    let project = load_stage(args.aws.project.as_deref(), &args.stage)?;
    let all = Step::start("Deploying", format!("stage {}", args.stage));
    let errors: Vec<_> = project
        .diagnostics(Some(&args.stage))
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        crate::print_diagnostics(&project, &errors);
        errln!(
            "error: stage `{}` has {} error(s) (above): fix them before deploying",
            args.stage,
            errors.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    terraform()?;
    let services = project.services(Some(&args.stage));
    if let Some(name) = &args.service {
        if !services.iter().any(|s| &s.name == name) {
            let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
            return Err(format!(
                "no service `{name}` in stage `{}`; its services are: {}",
                args.stage,
                names.join(", ")
            )
            .into());
        }
    }
    for s in services.iter().filter(|s| args.service.as_ref().is_none_or(|n| *n == s.name)) {
        let zip = project.root().join(artifacts::package::package_path(&s.name));
        if args.no_build {
            if !zip.is_file() {
                return Err(format!(
                    "no package for `{}` at {}: run `cws build {}` first",
                    s.name,
                    zip.display(),
                    s.name
                )
                .into());
            }
        } else {
            let step = Step::start("Building", format!("{} for Lambda", s.name));
            let report = crate::build::build_service(&project, s, &args.stage, &CliOptions::new())?;
            step.done();
            crate::build::print_report(&project, &s.name, &report);
        }
    }
    let (deployment, dir) = prepare(&project, &args.stage, &args.aws)?;
    run_terraform(&dir, &["workspace", "select", "-or-create", "-no-color", &args.stage], &[])?;
    let secrets = [("TF_VAR_secrets", project.secret_values(&args.stage))];
    let mut cmd: Vec<String> = if args.plan {
        vec!["plan".into(), "-input=false".into(), "-no-color".into()]
    } else {
        vec!["apply".into(), "-input=false".into(), "-auto-approve".into(), "-no-color".into()]
    };
    if let Some(name) = &args.service {
        cmd.extend(
            terraform::service_addresses(&deployment, name).into_iter().map(|a| format!("-target={a}")),
        );
    }
    let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
    let step = Step::start(if args.plan { "Planning" } else { "Applying" }, format!("stage {}", args.stage));
    run_terraform(&dir, &cmd, &secrets)?;
    step.done();
    if !args.plan {
        print_stage(&dir, &args.stage)?;
    }
    all.done();
    Ok(ExitCode::SUCCESS)
}

/// `cws destroy`.
pub fn destroy(args: DestroyArgs) -> Result<ExitCode, Failure> {
    let project = load_stage(args.aws.project.as_deref(), &args.stage)?;
    let all = Step::start("Destroying", format!("stage {}", args.stage));
    let (_, dir) = prepare(&project, &args.stage, &args.aws)?;
    if !workspaces(&dir)?.contains(&args.stage) {
        return Err(format!(
            "stage `{}` is not deployed (no Terraform workspace `{}`)",
            args.stage, args.stage
        )
        .into());
    }
    run_terraform(&dir, &["workspace", "select", "-no-color", &args.stage], &[])?;
    let secrets = [("TF_VAR_secrets", project.secret_values(&args.stage))];
    let step = Step::start("Removing", format!("the resources of stage {}", args.stage));
    run_terraform(&dir, &["destroy", "-input=false", "-auto-approve", "-no-color"], &secrets)?;
    step.done();
    run_terraform(&dir, &["workspace", "select", "-no-color", "default"], &[])?;
    run_terraform(&dir, &["workspace", "delete", "-no-color", &args.stage], &[])?;
    all.done();
    outln!("stage `{}` destroyed", args.stage);
    Ok(ExitCode::SUCCESS)
}

/// The Terraform workspaces of `dir`.
fn workspaces(dir: &Path) -> Result<Vec<String>, Failure> {
    let out = Command::new(terraform()?)
        .args(["workspace", "list"])
        .current_dir(dir)
        .output()
        .map_err(|e| failed(format!("cannot run terraform: {e}")))?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim_start_matches('*').trim().to_string())
        .filter(|l| !l.is_empty())
        .collect())
}

/// Prints the services of one deployed stage from its state's outputs; `false` if none.
fn print_stage(dir: &Path, stage: &str) -> Result<bool, Failure> {
    let out = Command::new(terraform()?)
        .args(["output", "-json", "-no-color"])
        .current_dir(dir)
        .env("TF_WORKSPACE", stage)
        .output()
        .map_err(|e| failed(format!("cannot run terraform: {e}")))?;
    let outputs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let Some(services) = outputs["services"]["value"].as_object().filter(|s| !s.is_empty()) else {
        outln!("{stage}: not deployed");
        return Ok(false);
    };
    outln!("{stage}:");
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("-").to_string();
    let rows = services
        .iter()
        .map(|(name, s)| crate::report::DeployedService {
            name: name.clone(),
            url: text(&s["url"]),
            function: text(&s["function_name"]),
            arn: text(&s["function_arn"]),
        })
        .collect();
    out!("{}", crate::report::deployed_table(rows, crate::output::stdout_width()));
    Ok(true)
}

/// `cws deployed`.
pub fn deployed(args: DeployedArgs) -> Result<ExitCode, Failure> {
    let project = crate::load_project(args.project.as_deref(), args.stage.as_deref())?;
    let dir = project.root().join(TERRAFORM_DIR);
    if !dir.join(".terraform").is_dir() {
        outln!("nothing deployed from this directory (no {TERRAFORM_DIR}/.terraform): run `cws deploy -s <stage>`");
        return Ok(ExitCode::SUCCESS);
    }
    let existing = workspaces(&dir)?;
    let stages = project.stages_checked(args.stage.as_deref());
    for stage in stages {
        if existing.contains(&stage) {
            print_stage(&dir, &stage)?;
        } else {
            outln!("{stage}: not deployed");
        }
    }
    Ok(ExitCode::SUCCESS)
}
