//! `cws deploy`, `cws deployed`, `cws destroy`: the Terraform files the core generates, applied in
//! the Terraform workspace named after the stage. Each deploy remembers where the stage went
//! (`terraform/.cws/<stage>.json`: region, profile, endpoints), so destroy and deployed reach it
//! without the flags; a production stage is deployed or destroyed only once confirmed on a
//! terminal after its plan, or with `--yes`.

use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use clap::Args;
use coworks_core::artifacts::{self, terraform, StageDeployment, TERRAFORM_DIR};
use coworks_core::layout::deploy_record_path;
use coworks_core::settings::{CliOptions, DeployFlags, DeployRecord, ResolvedTarget, TargetUse};
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
    fn flags(&self) -> DeployFlags {
        DeployFlags {
            region: self.region.clone(),
            profile: self.aws_profile.clone(),
            endpoint: self.endpoint.clone(),
        }
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
    /// Deploy a production stage without asking (CI); without it, a production stage is deployed
    /// only once confirmed on a terminal.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Arguments of `cws destroy`.
#[derive(Args)]
pub struct DestroyArgs {
    /// The stage to remove; the other stages stay.
    #[arg(short, long)]
    pub stage: String,
    /// Destroy a production stage without asking (CI).
    #[arg(long, short = 'y')]
    pub yes: bool,
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
    /// Print JSON: `{"stages": [{"stage", "deployed", "services": [{"name", "url", "custom_url", "function", "arn"}]}]}`.
    #[arg(long)]
    pub json: bool,
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

/// Runs terraform in `dir`, its output shown (and returned); fails with a message naming the step.
fn run_terraform(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Result<String, Failure> {
    let mut cmd = Command::new(terraform()?);
    cmd.args(args)
        .current_dir(dir)
        .env("TF_IN_AUTOMATION", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().map_err(|e| failed(format!("cannot run terraform: {e}")))?;
    let out = child.stdout.take().map(|out| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let mut stdout = std::io::stdout();
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = writeln!(stdout, "{line}");
                text.push_str(&line);
                text.push('\n');
            }
            text
        })
    });
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
    let output = out.and_then(|t| t.join().ok()).unwrap_or_default();
    if status.success() {
        return Ok(output);
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

/// What `cws deploy` remembered of `stage`, if anything.
pub(crate) fn read_record(project: &Project, stage: &str) -> Result<Option<DeployRecord>, String> {
    let path = project.root().join(deploy_record_path(stage));
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            format!("{} is not a deployment record ({e}): delete it to start over", path.display())
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Remembers where `stage` is deployed (no secret: a region, a profile's name, endpoint URLs).
fn write_record(project: &Project, stage: &str, record: &DeployRecord) -> Result<(), Failure> {
    let path = project.root().join(deploy_record_path(stage));
    let text = serde_json::to_string_pretty(record).map_err(|e| failed(e.to_string()))?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| failed(format!("cannot create {}: {e}", parent.display())))?;
    }
    std::fs::write(&path, text + "\n").map_err(|e| failed(format!("cannot write {}: {e}", path.display())))
}

/// Where `stage` goes (deploy) or is (destroy, deployed, logs), from the flags and the record.
pub(crate) fn resolve(
    project: &Project,
    stage: &str,
    aws: &AwsArgs,
    purpose: TargetUse,
) -> Result<ResolvedTarget, String> {
    let record = read_record(project, stage)?;
    let resolved = project.resolve_target(stage, &aws.flags(), record.as_ref(), purpose)?;
    if let Some(note) = &resolved.note {
        errln!("{note}");
    }
    Ok(resolved)
}

/// Refuses a service that is not one of the stage's `services`, naming those there are.
pub(crate) fn check_service(
    services: &[coworks_core::Service],
    name: &str,
    stage: &str,
) -> Result<(), String> {
    if services.iter().any(|s| s.name == name) {
        return Ok(());
    }
    let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
    Err(format!("no service `{name}` in stage `{stage}`; its services are: {}", names.join(", ")))
}

/// Refuses, before anything is built or changed, to deploy or destroy a production stage without
/// `--yes` when no terminal can confirm it.
fn check_confirmable(project: &Project, stage: &str, yes: bool, action: &str) -> Result<(), String> {
    if project.is_production(stage) && !yes && !std::io::stdin().is_terminal() {
        return Err(format!(
            "stage `{stage}` is a production stage (`production: true`): {action} it from a terminal, which shows \
             the plan and asks to confirm, or pass --yes (CI)"
        ));
    }
    Ok(())
}

/// Applies (or destroys) the stage: at once for a stage that is not production or with `--yes`;
/// otherwise plans into a file, shows the summary, asks on the terminal and applies that plan only
/// when the stage's name is typed. `before` runs right before anything changes. `Ok(false)` when
/// not confirmed.
#[allow(clippy::too_many_arguments)]
fn apply_confirmed(
    dir: &Path,
    project: &Project,
    stage: &str,
    yes: bool,
    destroy: bool,
    targets: &[String],
    env: &[(&str, String)],
    before: &dyn Fn() -> Result<(), Failure>,
) -> Result<bool, Failure> {
    let mut direct: Vec<String> = if destroy { vec!["destroy".into()] } else { vec!["apply".into()] };
    direct.extend(["-input=false", "-auto-approve", "-no-color"].map(String::from));
    direct.extend(targets.iter().cloned());
    if !project.is_production(stage) || yes {
        let args: Vec<&str> = direct.iter().map(String::as_str).collect();
        before()?;
        run_terraform(dir, &args, env)?;
        return Ok(true);
    }
    let plan_file = format!(".cws-plan-{stage}");
    let mut plan: Vec<String> =
        vec!["plan".into(), "-input=false".into(), "-no-color".into(), format!("-out={plan_file}")];
    if destroy {
        plan.push("-destroy".into());
    }
    plan.extend(targets.iter().cloned());
    let args: Vec<&str> = plan.iter().map(String::as_str).collect();
    let output = run_terraform(dir, &args, env)?;
    let summary = output
        .lines()
        .find(|l| l.starts_with("Plan:") || l.starts_with("No changes."))
        .unwrap_or("(no summary in terraform's plan)");
    let verb = if destroy { "Destroy" } else { "Deploy" };
    crate::output::write_err(format_args!(
        "{verb} production stage `{stage}`? {summary}\nType the stage's name to confirm: "
    ));
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    let confirmed = answer.trim() == stage;
    if confirmed {
        before()?;
        run_terraform(dir, &["apply", "-input=false", "-no-color", &plan_file], env)?;
    } else {
        errln!("not confirmed: nothing changed");
    }
    let _ = std::fs::remove_file(dir.join(&plan_file));
    Ok(confirmed)
}

fn prepare(project: &Project, stage: &str, cli: &CliOptions) -> Result<(StageDeployment, PathBuf), Failure> {
    let (deployment, _) = artifacts::stage_deployment(project, stage, cli);
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
    let mut project = load_stage(args.aws.project.as_deref(), &args.stage)?;
    crate::read_outside_env_files(&mut project);
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
    let target = resolve(&project, &args.stage, &args.aws, TargetUse::Deploy)?;
    if !args.plan {
        check_confirmable(&project, &args.stage, args.yes, "deploy")?;
    }
    let services = project.services(Some(&args.stage));
    if let Some(name) = &args.service {
        check_service(&services, name, &args.stage)?;
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
    let (deployment, dir) = prepare(&project, &args.stage, &target.cli)?;
    run_terraform(&dir, &["workspace", "select", "-or-create", "-no-color", &args.stage], &[])?;
    let secrets = [("TF_VAR_secrets", project.secret_values(&args.stage))];
    let targets: Vec<String> = match &args.service {
        Some(name) => terraform::service_addresses(&deployment, name)
            .into_iter()
            .map(|a| format!("-target={a}"))
            .collect(),
        None => Vec::new(),
    };
    if args.plan {
        let mut cmd = vec!["plan", "-input=false", "-no-color"];
        cmd.extend(targets.iter().map(String::as_str));
        let step = Step::start("Planning", format!("stage {}", args.stage));
        run_terraform(&dir, &cmd, &secrets)?;
        step.done();
        all.done();
        return Ok(ExitCode::SUCCESS);
    }
    // Remembered before applying: a partly failed apply leaves resources there too.
    let record = DeployRecord { flags: target.flags.clone(), target: target.target.clone() };
    let remember = || write_record(&project, &args.stage, &record);
    let step = Step::start("Applying", format!("stage {}", args.stage));
    if !apply_confirmed(&dir, &project, &args.stage, args.yes, false, &targets, &secrets, &remember)? {
        return Ok(ExitCode::FAILURE);
    }
    step.done();
    print_stage(&dir, &args.stage)?;
    all.done();
    Ok(ExitCode::SUCCESS)
}

/// `cws destroy`.
pub fn destroy(args: DestroyArgs) -> Result<ExitCode, Failure> {
    let project = load_stage(args.aws.project.as_deref(), &args.stage)?;
    let target = resolve(&project, &args.stage, &args.aws, TargetUse::Existing)?;
    check_confirmable(&project, &args.stage, args.yes, "destroy")?;
    let all = Step::start("Destroying", format!("stage {}", args.stage));
    let (_, dir) = prepare(&project, &args.stage, &target.cli)?;
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
    if !apply_confirmed(&dir, &project, &args.stage, args.yes, true, &[], &secrets, &|| Ok(()))? {
        return Ok(ExitCode::FAILURE);
    }
    step.done();
    run_terraform(&dir, &["workspace", "select", "-no-color", "default"], &[])?;
    run_terraform(&dir, &["workspace", "delete", "-no-color", &args.stage], &[])?;
    let record = project.root().join(deploy_record_path(&args.stage));
    if record.exists() {
        std::fs::remove_file(&record)
            .map_err(|e| failed(format!("cannot remove {}: {e}", record.display())))?;
    }
    all.done();
    outln!("stage `{}` destroyed ({})", args.stage, target.target);
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

/// The services of one deployed stage, from its state's `services` output; `None` when it has none.
fn stage_outputs(dir: &Path, stage: &str) -> Result<Option<Vec<crate::report::DeployedService>>, Failure> {
    let out = Command::new(terraform()?)
        .args(["output", "-json", "-no-color"])
        .current_dir(dir)
        .env("TF_WORKSPACE", stage)
        .output()
        .map_err(|e| failed(format!("cannot run terraform: {e}")))?;
    let outputs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let Some(services) = outputs["services"]["value"].as_object().filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("-").to_string();
    let rows = services
        .iter()
        .map(|(name, s)| crate::report::DeployedService {
            name: name.clone(),
            url: text(&s["url"]),
            custom_url: text(&s["custom_url"]),
            function: text(&s["function_name"]),
            arn: text(&s["function_arn"]),
        })
        .collect();
    Ok(Some(rows))
}

/// Prints the services of one deployed stage from its state's outputs; `false` if none.
fn print_stage(dir: &Path, stage: &str) -> Result<bool, Failure> {
    let Some(rows) = stage_outputs(dir, stage)? else {
        outln!("{stage}: not deployed");
        return Ok(false);
    };
    outln!("{stage}:");
    out!("{}", crate::report::deployed_table(rows, crate::output::stdout_width()));
    Ok(true)
}

/// The deployed base URL of `service` in `stage` (what `cws deployed` prints), for `cws invoke
/// --deployed`.
pub fn deployed_url(project: &Project, stage: &str, service: &str) -> Result<String, Failure> {
    deployed_urls(project, stage)?.remove(service).ok_or_else(|| {
        format!(
            "`{service}` has no deployed API in stage `{stage}` (`cws deployed -s {stage}` lists the URLs)"
        )
        .into()
    })
}

/// The deployed base URL of each service of `stage` that has an API (what `cws deployed` prints),
/// from the stage's Terraform state.
pub fn deployed_urls(
    project: &Project,
    stage: &str,
) -> Result<std::collections::BTreeMap<String, String>, Failure> {
    let dir = project.root().join(TERRAFORM_DIR);
    let not_deployed = || {
        Failure::from(format!(
            "stage `{stage}` is not deployed from this directory: run `cws deploy -s {stage}` (`cws deployed` lists what is)"
        ))
    };
    if !dir.join(".terraform").is_dir() || !workspaces(&dir)?.iter().any(|w| w == stage) {
        return Err(not_deployed());
    }
    let services = stage_outputs(&dir, stage)?.ok_or_else(not_deployed)?;
    Ok(services.into_iter().filter(|s| s.url != "-").map(|s| (s.name, s.url)).collect())
}

/// `cws deployed`.
pub fn deployed(args: DeployedArgs) -> Result<ExitCode, Failure> {
    let project = crate::load_project(args.project.as_deref(), args.stage.as_deref())?;
    let dir = project.root().join(TERRAFORM_DIR);
    let stages = project.stages_checked(args.stage.as_deref());
    if args.json {
        return deployed_json(&dir, stages);
    }
    if !dir.join(".terraform").is_dir() {
        outln!("nothing deployed from this directory (no {TERRAFORM_DIR}/.terraform): run `cws deploy -s <stage>`");
        return Ok(ExitCode::SUCCESS);
    }
    let existing = workspaces(&dir)?;
    for stage in stages {
        if existing.contains(&stage) {
            if print_stage(&dir, &stage)? {
                if let Some(record) = read_record(&project, &stage)? {
                    outln!("  deployed to {}", record.target);
                }
            }
        } else {
            outln!("{stage}: not deployed");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `cws deployed --json`: every stage asked for, deployed or not, with its services' URLs and
/// functions (what editors show next to the services).
fn deployed_json(dir: &Path, stages: Vec<String>) -> Result<ExitCode, Failure> {
    let existing = if dir.join(".terraform").is_dir() { workspaces(dir)? } else { Vec::new() };
    let mut out = Vec::new();
    for stage in stages {
        let services = if existing.contains(&stage) { stage_outputs(dir, &stage)? } else { None };
        let deployed = services.is_some();
        let services: Vec<serde_json::Value> = services
            .unwrap_or_default()
            .into_iter()
            .map(|s| {
                let custom_url = Some(s.custom_url).filter(|u| u != "-");
                serde_json::json!({"name": s.name, "url": s.url, "custom_url": custom_url, "function": s.function, "arn": s.arn})
            })
            .collect();
        out.push(serde_json::json!({"stage": stage, "deployed": deployed, "services": services}));
    }
    let text = serde_json::to_string_pretty(&serde_json::json!({ "stages": out }))
        .map_err(|e| failed(e.to_string()))?;
    outln!("{text}");
    Ok(ExitCode::SUCCESS)
}
