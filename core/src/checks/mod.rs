//! The diagnostics of a project: what each file says about itself (kept by the
//! [`Project`](crate::Project)) plus the checks that look across files, in one pass.
//!
//! - [`project`](mod@project): duplicate routes, service name clashes, stages, configured services,
//!   env files of a stage;
//! - [`deploy`]: what would fail or surprise at `cws deploy` (Lambda's and API Gateway's limits,
//!   options, packages, secrets);
//! - [`workflow`]: each workflow against the real services and routes.
//!
//! The cross-file checks run per service (on the files holding its parts) and per workflow (on the
//! services its tasks name); [`cache`] keeps their answers with what they were computed from, so an
//! edit re-checks only the services and workflows it feeds. The editor and `cws check` show the
//! same list: [`Project::diagnostics`].

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use crate::diagnostics::{self, Diagnostic};
use crate::model::Entry;
use crate::project::Project;
use crate::rust_source::file_model::{FileModel, ServicePart};
use crate::settings::CliOptions;
use crate::workflow::WorkflowFile;

use cache::{MadeOf, Memo, Pass, Same, ServiceKey, StagePass, WorkflowKey};

pub(crate) mod cache;
pub mod deploy;
mod project;
pub mod workflow;

/// One service as the per-service checks see it: its name and the files holding its parts (the
/// blueprints it mounts are read through the project).
pub(crate) struct ServiceScope<'a> {
    /// The service's name.
    pub name: &'a str,
    /// The models of the files holding its parts, in path order.
    pub files: &'a [Arc<FileModel>],
}

impl<'a> ServiceScope<'a> {
    /// The service's `impl` blocks with their files, in path order.
    pub fn parts(&self) -> impl Iterator<Item = (&'a FileModel, &'a ServicePart)> + '_ {
        let name = self.name;
        self.files
            .iter()
            .flat_map(move |m| m.services.iter().filter(move |p| p.name == name).map(move |p| (&**m, p)))
    }

    /// The service's entries of `stage` (all when `None`): its own, then those of the blueprints
    /// it mounts (their routes under the mount's prefix), as the service serves them.
    pub fn entries(&self, project: &'a Project, stage: Option<&'a str>) -> Vec<Cow<'a, Entry>> {
        let own =
            self.parts().flat_map(|(_, p)| p.entries.iter().filter(|e| e.in_stage(stage)).map(Cow::Borrowed));
        let mounted =
            self.parts().flat_map(|(m, p)| project.mounted_entries(m, p, stage).map(|(e, _)| Cow::Owned(e)));
        own.chain(mounted).collect()
    }
}

/// What a file says about itself, read alone (without the rest of the project): for a Rust file,
/// the diagnostics of its own model (syntax, entries, attributes) — each of them is also in what
/// [`Project::diagnostics`] lists for `rel` once the project holds the same text, which adds the
/// cross-file checks; nothing for other files. Sorted.
pub fn own_diagnostics(rel: &Path, text: &str) -> Vec<Diagnostic> {
    if rel.extension().is_none_or(|e| e != "rs") {
        return Vec::new();
    }
    let mut out = crate::rust_source::analyze::analyze_rust(rel, Path::new(""), text).diagnostics;
    diagnostics::sort(&mut out);
    out.dedup();
    out
}

impl Project {
    /// Every diagnostic of the project, sorted; with a stage, only what concerns that stage.
    /// The cross-file checks of services and workflows that did not change since the last call
    /// are not run again (see [`cache`]).
    pub fn diagnostics(&self, stage: Option<&str>) -> Vec<Diagnostic> {
        let pass = self.pass(stage);
        self.check_cache().with(&pass, |memo| self.diagnostics_with(&pass, memo))
    }

    /// What [`Project::diagnostics`] answers, computed from scratch (its memory neither read nor
    /// filled).
    pub fn diagnostics_from_scratch(&self, stage: Option<&str>) -> Vec<Diagnostic> {
        self.diagnostics_with(&self.pass(stage), &mut Memo::default())
    }

    /// What the checks of a pass for `stage` share.
    fn pass(&self, stage: Option<&str>) -> Pass {
        let none = CliOptions::new();
        let checked = self
            .stages_checked(stage)
            .into_iter()
            .map(|s| {
                let env = self.stage_env(&s);
                let shared = [std::path::Path::new(".env"), std::path::Path::new(".env.secret")];
                let has_env = self.config().is_some_and(|c| !c.required_env_files(&s).is_empty())
                    || env.files.iter().any(|f| !shared.contains(&f.as_path()));
                let functions = self.function_settings(&s, "", &none);
                StagePass { name: s, env, has_env, functions }
            })
            .collect();
        Pass {
            stage: stage.map(String::from),
            settings_rev: self.revisions().1,
            stages: self.stages(),
            checked,
        }
    }

    fn diagnostics_with(&self, pass: &Pass, memo: &mut Memo) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = self.notes().to_vec();
        for model in self.rust_files() {
            out.extend(model.diagnostics.iter().cloned());
        }
        out.extend(self.config_diagnostics().iter().cloned());
        for (_, (_, diags)) in self.env_files() {
            out.extend(diags.iter().cloned());
        }
        project::stage_checks(self, pass, &mut out);
        deploy::check(self, pass, &mut out);
        for (name, files) in self.service_index() {
            let scope = ServiceScope { name, files };
            let key = self.service_key(&scope);
            if !memo.services.reuse(name, |kept| *kept == key, &mut out) {
                let answer = self.service_checks(pass, &scope);
                memo.services.keep(name, key, answer, &mut out);
            }
        }
        for file in self.workflow_files() {
            let key = self.workflow_key(file);
            let id = &file.workflow.file;
            if !memo.workflows.reuse(id, |kept| *kept == key, &mut out) {
                memo.workflows.keep(id, key, workflow::check_file(self, pass, file), &mut out);
            }
        }
        diagnostics::sort(&mut out);
        out.dedup();
        out
    }

    /// What one service's checks read besides the pass: what it is made of, and the set of
    /// blueprint names when one it mounts is missing.
    fn service_key(&self, scope: &ServiceScope<'_>) -> ServiceKey {
        let (made, missing) = self.made_of(scope);
        ServiceKey { made, blueprints_rev: missing.then(|| self.blueprints_rev()) }
    }

    /// What a service is made of (the generations of its files and of the blueprints it mounts,
    /// by name in any crate: nothing copied), and whether one it mounts is not defined in its
    /// crate.
    fn made_of(&self, scope: &ServiceScope<'_>) -> (MadeOf, bool) {
        let mut names = BTreeSet::new();
        let mut missing = false;
        for (model, part) in scope.parts() {
            for m in &part.mounts {
                names.insert(m.blueprint.as_str());
                missing |= self.blueprint_parts(&m.blueprint, &model.crate_dir).next().is_none();
            }
        }
        let made = MadeOf {
            service: self.service_generation(scope.name),
            blueprints: names.into_iter().map(|n| self.blueprint_generation(n)).collect(),
        };
        (made, missing)
    }

    /// The checks of one service.
    fn service_checks(&self, pass: &Pass, scope: &ServiceScope<'_>) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        project::duplicate_routes(self, scope, pass.stage(), &mut out);
        project::unknown_blueprints(self, scope, &mut out);
        project::service_name_clashes(scope, &mut out);
        project::unknown_stages(self, scope, pass, &mut out);
        deploy::service_checks(self, pass, scope, &mut out);
        out
    }

    /// What one workflow's checks read besides the pass.
    fn workflow_key(&self, file: &Arc<WorkflowFile>) -> WorkflowKey {
        let named: BTreeSet<&str> =
            file.workflow.tasks.iter().filter_map(|t| t.service.as_ref()).map(|s| s.value.as_str()).collect();
        let missing = named.iter().any(|n| !self.has_service(n));
        WorkflowKey {
            file: Same(Arc::clone(file)),
            services: named
                .iter()
                .map(|name| self.made_of(&ServiceScope { name, files: self.service_files(name) }).0)
                .collect(),
            names_rev: missing.then_some(self.revisions().0),
        }
    }
}
