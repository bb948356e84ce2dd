//! The diagnostics of a project: what each file says about itself (kept by the
//! [`Project`](crate::Project)) plus the checks that look across files, in one pass.
//!
//! - [`project`](mod@project): duplicate routes, service name clashes, stages, configured services,
//!   env files of a stage;
//! - [`deploy`]: what would fail or surprise at `cws deploy` (Lambda's and API Gateway's limits,
//!   options, packages, secrets);
//! - [`workflow`]: each workflow against the real services and routes.
//!
//! The editor and `cws check` show the same list: [`Project::diagnostics`].

use crate::diagnostics::{self, Diagnostic};
use crate::project::Project;

pub mod deploy;
mod project;
pub mod workflow;

impl Project {
    /// Every diagnostic of the project, sorted; with a stage, only what concerns that stage.
    pub fn diagnostics(&self, stage: Option<&str>) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = self.notes().to_vec();
        for model in self.rust_files() {
            out.extend(model.diagnostics.iter().cloned());
        }
        out.extend(self.config_diagnostics().iter().cloned());
        for (_, (_, diags)) in self.env_files() {
            out.extend(diags.iter().cloned());
        }
        project::duplicate_routes(self, stage, &mut out);
        project::service_name_clashes(self, &mut out);
        project::stage_checks(self, stage, &mut out);
        deploy::check(self, stage, &mut out);
        workflow::check_all(self, stage, &mut out);
        diagnostics::sort(&mut out);
        out.dedup();
        out
    }
}
