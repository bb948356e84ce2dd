//! `cws new NAME`: a new project from the templates under `cli/templates/` (embedded: the binary
//! needs no other file); `cws new --service NAME`: one more service crate in the current project,
//! and its block in project.cws.yml (edited in place by the core, comments kept).
//!
//! Generated crates depend on `coworks` by version; `--coworks-path DIR` (or `COWORKS_PATH`) points
//! them at a local checkout of CoWorks (or its `runtime/coworks` crate) instead.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use coworks_core::config::edit;
use coworks_core::layout::CONFIG_FILE;
use coworks_core::naming::{is_service_name, service_name_rule, type_name_for_service};

use crate::output::{escape, outln};
use crate::{failed, Failure};

/// Arguments of `cws new`.
#[derive(Args)]
pub struct NewArgs {
    /// The project to create (a new directory of that name); with `--service`, the service to add.
    pub name: String,
    /// Add a service crate to the current project instead of creating a project.
    #[arg(long)]
    pub service: bool,
    /// With `--service`: the project directory (default: the nearest directory holding project.cws.yml, here or above).
    #[arg(short, long, value_name = "DIR", requires = "service")]
    pub project: Option<PathBuf>,
    /// Depend on the `coworks` runtime of a local checkout (its root or `runtime/coworks`) instead of
    /// the published version.
    #[arg(long, value_name = "DIR", env = "COWORKS_PATH")]
    pub coworks_path: Option<PathBuf>,
}

/// One file of a template: where it goes and its text with `{{placeholders}}`.
type Template = (&'static str, &'static str);

/// The project's own files (the first service comes from [`SERVICE`]).
const PROJECT: &[Template] = &[
    ("project.cws.yml", include_str!("../templates/project/project.cws.yml")),
    (".env", include_str!("../templates/project/env")),
    (".env.dev", include_str!("../templates/project/env.dev")),
    (".env.prod.secret", include_str!("../templates/project/env.prod.secret")),
    (".gitignore", include_str!("../templates/project/gitignore")),
    ("Cargo.toml", include_str!("../templates/project/Cargo.toml.tmpl")),
    ("README.md", include_str!("../templates/project/README.md")),
    ("workflows/greet.cws.yml", include_str!("../templates/project/workflows/greet.cws.yml")),
    (".vscode/settings.json", include_str!("../templates/project/vscode/settings.json")),
    (".vscode/extensions.json", include_str!("../templates/project/vscode/extensions.json")),
];

/// A service crate, under `services/<service>/`.
const SERVICE: &[Template] = &[
    ("Cargo.toml", include_str!("../templates/service/Cargo.toml.tmpl")),
    ("src/main.rs", include_str!("../templates/service/main.rs.tmpl")),
];

/// The values of the placeholders.
struct Values {
    name: String,
    service: String,
    coworks: String,
    token: String,
}

impl Values {
    fn fill(&self, text: &str) -> String {
        text.replace("{{name}}", &self.name)
            .replace("{{service}}", &self.service)
            .replace("{{Type}}", &type_name_for_service(&self.service))
            .replace("{{coworks}}", &self.coworks)
            .replace("{{token}}", &self.token)
    }
}

/// `cws new`.
pub fn run(args: NewArgs) -> Result<ExitCode, Failure> {
    if !is_service_name(&args.name) {
        let what = if args.service { "a service" } else { "a project (it names Lambda functions)" };
        return Err(format!("`{}` cannot name {what}: {}", escape(&args.name), service_name_rule()).into());
    }
    let coworks = coworks_dependency(args.coworks_path.as_deref())?;
    if args.service {
        add_service(&args, coworks)
    } else {
        new_project(&args, coworks)
    }
}

/// The `coworks = ...` line of a service's Cargo.toml.
fn coworks_dependency(path: Option<&Path>) -> Result<String, String> {
    let Some(dir) = path else {
        return Ok(format!("coworks = \"{}\"", env!("CARGO_PKG_VERSION")));
    };
    let candidates = [dir.join("runtime/coworks"), dir.to_path_buf()];
    let krate = candidates
        .iter()
        .find(|d| std::fs::read_to_string(d.join("Cargo.toml")).is_ok_and(|t| t.contains("name = \"coworks\"")))
        .ok_or_else(|| {
            format!(
                "--coworks-path `{}` holds neither the `coworks` crate nor a CoWorks checkout (runtime/coworks)",
                dir.display()
            )
        })?;
    let abs =
        std::fs::canonicalize(krate).map_err(|e| format!("--coworks-path `{}`: {e}", krate.display()))?;
    let text = abs
        .to_str()
        .filter(|s| !s.chars().any(char::is_control))
        .ok_or_else(|| format!("--coworks-path `{}` is not a plain UTF-8 path", abs.display()))?;
    Ok(format!("coworks = {{ path = \"{}\" }}", text.replace('\\', "\\\\").replace('"', "\\\"")))
}

/// A random-enough token for the dev stage (not a secret: it sits in `.env.dev`).
fn dev_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos(),
    );
    format!("dev-{:016x}", h.finish())
}

fn write(path: &Path, text: &str) -> Result<(), Failure> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| failed(format!("cannot create `{}`: {e}", parent.display())))?;
    }
    std::fs::write(path, text).map_err(|e| failed(format!("cannot write `{}`: {e}", path.display())))
}

fn write_all(dir: &Path, files: &[Template], values: &Values) -> Result<(), Failure> {
    files.iter().try_for_each(|(rel, text)| write(&dir.join(rel), &values.fill(text)))
}

fn new_project(args: &NewArgs, coworks: String) -> Result<ExitCode, Failure> {
    let dir = PathBuf::from(&args.name);
    if dir.exists() {
        return Err(format!("`{}` already exists; choose another name or remove it", dir.display()).into());
    }
    if let Some(outer) = coworks_core::layout::find_root(Path::new(".")) {
        return Err(format!(
            "`{}` is inside the CoWorks project `{}`; to add a service to it: `cws new --service {}`",
            args.name,
            outer.display(),
            args.name
        )
        .into());
    }
    let values = Values { name: args.name.clone(), service: args.name.clone(), coworks, token: dev_token() };
    write_all(&dir, PROJECT, &values)?;
    write_all(&dir.join("services").join(&args.name), SERVICE, &values)?;
    outln!("created project `{}` with the service `{}` (stages dev and prod)", args.name, args.name);
    outln!("next: cd {} && cws check && cws run {}", args.name, args.name);
    Ok(ExitCode::SUCCESS)
}

fn add_service(args: &NewArgs, coworks: String) -> Result<ExitCode, Failure> {
    let root = crate::project_root(args.project.as_deref())?;
    let config_path = root.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&config_path)
        .map_err(|e| format!("cannot read `{}`: {e}", config_path.display()))?;
    let rel = format!("services/{}", args.name);
    let crate_dir = root.join(&rel);
    if crate_dir.exists() {
        return Err(format!("`{}` already exists", crate_dir.display()).into());
    }
    let edited = edit::add_service(&text, &args.name, &rel).map_err(|e| e.to_string())?;
    let values = Values { name: String::new(), service: args.name.clone(), coworks, token: String::new() };
    write_all(&crate_dir, SERVICE, &values)?;
    write(&config_path, &edited)?;
    outln!("added the service `{}` ({rel}, and its block in {CONFIG_FILE})", args.name);
    outln!("next: cws run {}", args.name);
    Ok(ExitCode::SUCCESS)
}
