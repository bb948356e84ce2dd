//! `cws client`: a typed client of a service for a stage, written by the core
//! (`coworks_core::artifacts::client`) from the service's OpenAPI document.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use coworks_core::artifacts::{self, client};

use crate::output::{out, outln};
use crate::{failed, Failure};

/// The client's language.
#[derive(Clone, Copy, ValueEnum)]
pub enum Lang {
    /// One TypeScript module using `fetch`.
    Typescript,
    /// A Rust crate using ureq and serde.
    Rust,
}

/// Arguments of `cws client`.
#[derive(Args)]
pub struct ClientArgs {
    /// The service to call.
    service: String,
    /// The stage whose entries the client calls (default: the first workspace).
    #[arg(short, long)]
    stage: Option<String>,
    /// The client's language.
    #[arg(short, long, value_enum)]
    lang: Lang,
    /// The project directory (default: the nearest directory holding project.cws.yml, here or above).
    #[arg(short, long, value_name = "DIR")]
    project: Option<PathBuf>,
    /// Where to write the client: `<service>.client.ts`, or the crate's `Cargo.toml` and
    /// `src/lib.rs` (default: TypeScript printed; Rust into `<project>/clients/<service>-client`).
    #[arg(short, long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Runs `cws client`.
pub fn run(args: ClientArgs) -> Result<ExitCode, Failure> {
    let project = crate::open_project(args.project.as_deref())?;
    let lang = match args.lang {
        Lang::Typescript => client::Lang::TypeScript,
        Lang::Rust => client::Lang::Rust,
    };
    let files =
        client::files(&project, &args.service, args.stage.as_deref(), lang).map_err(|e| e.to_string())?;
    let dir = match (&args.out, lang) {
        (Some(dir), _) => dir.clone(),
        (None, client::Lang::Rust) => project.root().join(client::default_dir(&args.service)),
        (None, client::Lang::TypeScript) => {
            for f in &files {
                out!("{}", f.text);
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    let written = artifacts::write_files(&dir, &files)
        .map_err(|e| failed(format!("cannot write the client into `{}`: {e}", dir.display())))?;
    for path in written {
        outln!("wrote {}", crate::output::escape(&path.display().to_string()));
    }
    Ok(ExitCode::SUCCESS)
}
