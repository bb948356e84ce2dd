//! `cws openapi`: the OpenAPI 3.1 document of each service in a stage, made by the core
//! (`coworks_core::artifacts::openapi`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use coworks_core::artifacts::{self, openapi};

use crate::output::{out, outln};
use crate::{failed, Failure};

/// Arguments of `cws openapi`.
#[derive(Args)]
pub struct OpenapiArgs {
    /// One service: its document is printed (or written into `-o DIR`). Without: every service's
    /// document is written into `-o DIR`.
    service: Option<String>,
    /// The project directory (default: the nearest directory holding project.cws.yml, here or above).
    #[arg(short, long, value_name = "DIR")]
    project: Option<PathBuf>,
    /// The stage whose routes the documents describe (default: the first workspace).
    #[arg(short, long)]
    stage: Option<String>,
    /// Where to write `<service>.openapi.json` (default for every service: `<project>/openapi`).
    #[arg(short, long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Runs `cws openapi`.
pub fn run(args: OpenapiArgs) -> Result<ExitCode, Failure> {
    let project = crate::open_project(args.project.as_deref())?;
    let stage = args.stage.as_deref();
    let files = match &args.service {
        Some(service) => {
            let doc = openapi::document(&project, service, stage).map_err(|e| e.to_string())?;
            let Some(dir) = &args.out else {
                out!("{}", openapi::to_text(&doc));
                return Ok(ExitCode::SUCCESS);
            };
            if !coworks_core::naming::is_service_name(service) {
                return Err(openapi::OpenApiError::BadName(service.clone()).to_string().into());
            }
            let file = artifacts::GeneratedFile {
                path: openapi::file_name(service).into(),
                text: openapi::to_text(&doc),
            };
            (dir.clone(), vec![file])
        }
        None => {
            let (_, files) = openapi::files(&project, stage).map_err(|e| e.to_string())?;
            (args.out.clone().unwrap_or_else(|| project.root().join("openapi")), files)
        }
    };
    let (dir, files) = files;
    let written = artifacts::write_files(&dir, &files)
        .map_err(|e| failed(format!("cannot write the documents into `{}`: {e}", dir.display())))?;
    for path in written {
        outln!("wrote {}", crate::output::escape(&path.display().to_string()));
    }
    Ok(ExitCode::SUCCESS)
}
