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
//! edit re-checks only the services and workflows it feeds; the custom-domain checks, which read
//! every service's settings, are kept while the set of service names stays (the pass holds the rest
//! they read). The editor and `cws check` show the same list: [`Project::diagnostics`].

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostics::{self, Diagnostic};
use crate::model::Entry;
use crate::project::{Changed, Project};
use crate::rust_source::file_model::{FileModel, ServicePart};
use crate::settings::CliOptions;
use crate::workflow::WorkflowFile;

use cache::{MadeOf, Memo, Pass, Same, ServiceKey, StagePass, TypeRead, WorkflowKey};

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
        out.extend(self.rust_diagnostics().cloned());
        out.extend(self.config_diagnostics().iter().cloned());
        for (_, (_, diags)) in self.env_files() {
            out.extend(diags.iter().cloned());
        }
        project::stage_checks(self, pass, &mut out);
        deploy::check(self, pass, &mut out);
        let names_rev = self.revisions().0;
        let domains = match memo.domains.take() {
            Some((rev, found)) if rev == names_rev => found,
            _ => deploy::domain_diagnostics(self, pass),
        };
        out.extend(domains.iter().cloned());
        memo.domains = Some((names_rev, domains));
        self.bring_up_to_date(pass, memo);
        out.extend(memo.services.answers().cloned());
        out.extend(memo.workflows.answers().cloned());
        diagnostics::sort(&mut out);
        out.dedup();
        out
    }

    /// Brings the answers of `memo` up to date: computes again the key of every service and
    /// workflow whose inputs may have changed since the generation the memo saw (of all, when it
    /// saw none), and checks again those whose key changed. What may have changed (see
    /// [`cache`]): the services named in the journal since then, those mounting a blueprint named
    /// there, those reading the set of blueprint names; the workflows named there, those whose
    /// tasks name one of those services, those that looked up a type name named there, those
    /// reading the set of service names. Any other key is unchanged: an edit costs what depends
    /// on it, not a visit of every service.
    fn bring_up_to_date(&self, pass: &Pass, memo: &mut Memo) {
        let (mut services, mut workflows): (BTreeSet<String>, BTreeSet<PathBuf>) = match memo.seen {
            None => {
                (self.service_index().keys().cloned().collect(), self.workflow_paths().cloned().collect())
            }
            Some(seen) => {
                let mut services = memo.read_blueprint_names.clone();
                let mut workflows = memo.read_service_names.clone();
                for changed in self.changed_since(seen) {
                    match changed {
                        Changed::Service(name) => {
                            services.insert(name.clone());
                        }
                        Changed::Blueprint(name) => services.extend(memo.mounting.of(name).cloned()),
                        Changed::Type(name) => workflows.extend(memo.reading.of(name).cloned()),
                        Changed::Workflow(rel) => {
                            workflows.insert(rel.clone());
                        }
                    }
                }
                (services, workflows)
            }
        };
        for name in std::mem::take(&mut services) {
            workflows.extend(memo.calling.of(&name).cloned());
            let files = self.service_files(&name);
            if files.is_empty() {
                memo.services.forget(&name);
                memo.mounting.forget(&name);
                memo.read_blueprint_names.remove(&name);
                continue;
            }
            let scope = ServiceScope { name: &name, files };
            let (key, mounted) = self.service_key(&scope);
            memo.mounting.set(&name, mounted);
            if key.missing.is_some() {
                memo.read_blueprint_names.insert(name.clone());
            } else {
                memo.read_blueprint_names.remove(&name);
            }
            if memo.services.key(&name) != Some(&key) {
                memo.services.keep(&name, key, self.service_checks(pass, &scope));
            }
        }
        for rel in workflows {
            let Some(file) = self.workflow_file(&rel) else {
                memo.workflows.forget(&rel);
                memo.calling.forget(&rel);
                memo.reading.forget(&rel);
                memo.read_service_names.remove(&rel);
                continue;
            };
            let (mut key, named) = self.workflow_key(file);
            memo.calling.set(&rel, named);
            if key.names_rev.is_some() {
                memo.read_service_names.insert(rel.clone());
            } else {
                memo.read_service_names.remove(&rel);
            }
            if let Some(kept) = memo.workflows.key(&rel) {
                key.types = self.types_read(kept.types.iter().map(|t| (&t.crate_dir, &t.name)));
            }
            if memo.workflows.key(&rel) != Some(&key) {
                let (answer, read) = workflow::check_file(self, pass, file);
                memo.workflow_checks += 1;
                key.types = self.types_read(read.iter().map(|(c, n)| (c, n)));
                let names: BTreeSet<String> = read.into_iter().map(|(_, n)| n).collect();
                memo.reading.set(&rel, names.into_iter().collect());
                memo.workflows.keep(&rel, key, answer);
            }
        }
        memo.seen = Some(self.last_generation());
    }

    /// What one service's checks read besides the pass: what it is made of, and the set of
    /// blueprint names when one it mounts is missing; with the names of the blueprints it mounts.
    fn service_key(&self, scope: &ServiceScope<'_>) -> (ServiceKey, Vec<String>) {
        let (made, names, missing) = self.made_of(scope);
        let missing = (!missing.is_empty()).then(|| {
            // The message suggests a blueprint of the crate: any blueprint of those crates counts,
            // mounted or not.
            let in_crates = self
                .blueprint_names()
                .into_iter()
                .filter(|n| missing.iter().any(|c| self.blueprint_parts(n, c).next().is_some()))
                .map(String::from)
                .collect();
            (self.blueprints_rev(), in_crates)
        });
        (ServiceKey { made, missing }, names.into_iter().map(String::from).collect())
    }

    /// What a service is made of (the generations of its files and of the blueprints it mounts,
    /// by name in any crate: nothing copied), the names of those blueprints, and the crates of its
    /// parts that mount a blueprint the crate does not define.
    fn made_of<'a>(&'a self, scope: &ServiceScope<'a>) -> (MadeOf, BTreeSet<&'a str>, BTreeSet<&'a Path>) {
        let mut names = BTreeSet::new();
        let mut missing = BTreeSet::new();
        for (model, part) in scope.parts() {
            for m in &part.mounts {
                names.insert(m.blueprint.as_str());
                if self.blueprint_parts(&m.blueprint, &model.crate_dir).next().is_none() {
                    missing.insert(model.crate_dir.as_path());
                }
            }
        }
        let made = MadeOf {
            service: self.service_generation(scope.name),
            blueprints: names.iter().map(|n| self.blueprint_generation(n)).collect(),
        };
        (made, names, missing)
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

    /// What one workflow's checks read besides the pass, with the service names its tasks name.
    fn workflow_key(&self, file: &Arc<WorkflowFile>) -> (WorkflowKey, Vec<String>) {
        let named: BTreeSet<&str> =
            file.workflow.tasks.iter().filter_map(|t| t.service.as_ref()).map(|s| s.value.as_str()).collect();
        let missing = named.iter().any(|n| !self.has_service(n));
        let key = WorkflowKey {
            file: Same(Arc::clone(file)),
            services: named
                .iter()
                .map(|name| self.made_of(&ServiceScope { name, files: self.service_files(name) }).0)
                .collect(),
            names_rev: missing.then_some(self.revisions().0),
            types: Vec::new(),
        };
        (key, named.into_iter().map(String::from).collect())
    }

    /// What the lookups of `types` (by crate directory and name) answer now.
    fn types_read<'t>(&self, types: impl Iterator<Item = (&'t PathBuf, &'t String)>) -> Vec<TypeRead> {
        types
            .map(|(crate_dir, name)| TypeRead {
                crate_dir: crate_dir.clone(),
                name: name.clone(),
                found: crate::assist::structs::serde_type(self, crate_dir, name),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A workflow sending `Item`, defined in a file holding no part of a service: an edit of the
    /// file that leaves `Item` as it was answers the workflow from the memory; one that changes
    /// `Item` checks it again.
    #[test]
    fn a_workflow_is_checked_again_only_when_a_type_it_read_changes() {
        let types = "services/b/src/types.rs";
        let item =
            |rest: &str| format!("#[derive(serde::Deserialize)]\npub struct Item {{ pub id: u64 }}\n{rest}");
        let mut p = Project::empty("");
        for (rel, text) in [
            ("services/b/Cargo.toml", "[package]\nname = \"b\"\n".to_string()),
            (
                "services/b/src/main.rs",
                "pub struct Beta;\n#[coworks::service(name = \"beta\")]\nimpl Beta {\n    #[entry] async fn post_item(&self, #[body] item: Item) -> u64 { item.id }\n}\n".into(),
            ),
            (types, item("")),
            (
                "workflows/w.cws.yml",
                "id: w\ntasks:\n  one:\n    service: beta\n    method: POST\n    path: /item\n    json: {id: 1, name: x}\n".into(),
            ),
        ] {
            p.set_file_text(Path::new(rel), &text);
        }
        let checks = |p: &Project| {
            let pass = p.pass(None);
            p.check_cache().with(&pass, |memo| {
                let found = p.diagnostics_with(&pass, memo);
                (memo.workflow_checks, found.iter().filter(|d| d.message.contains("gives `name`")).count())
            })
        };
        assert_eq!(checks(&p), (1, 1));
        p.set_file_text(Path::new(types), &item("pub fn f() -> u64 { 1 }\n"));
        assert_eq!(checks(&p), (1, 1), "a function added: Item is the same");
        p.set_file_text(Path::new(types), &item("pub struct Other;\n"));
        assert_eq!(checks(&p), (1, 1), "a type no workflow reads added");
        p.set_file_text(Path::new(types), &item("").replace("pub id: u64", "pub id: u64, pub name: String"));
        assert_eq!(checks(&p), (2, 0));
    }
}
