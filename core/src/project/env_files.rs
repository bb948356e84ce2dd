//! The env files `project.cws.yml` lists under `env_files`: read into the project's store like the
//! `.env*` files at the root, so a stage's environment is computed from the texts the project holds
//! (the editor's unsaved text included) — never by reading the disk again.
//!
//! A listed file is read only when it stays inside the project: a relative path without `..` whose
//! real location (links followed) is under the project root. Others are reported (`CWS049`) by
//! [`crate::settings`] and never read — unless the entry says `outside: true`; such a file is read
//! only when a face that runs the project's code by design (`cws run`, `cws deploy`) asks with
//! [`Project::read_outside_env_files`]. A cloned repository's own `project.cws.yml` can mark an
//! entry so, but gains nothing: those commands build and run its code, which can read any file the
//! user can. The editor, `cws check` and the generators never read such a file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::inside::inside_project;
use super::Project;
use crate::config::{read_env, EnvFile};
use crate::diagnostics::Diagnostic;
use crate::layout::{file_kind, FileKind};
use crate::scan;

/// An `env_files` entry marked `outside: true`, as read: where it is and what it holds (`None`
/// when it does not exist or could not be read, with the reason).
#[derive(Debug, Clone)]
pub(crate) struct OutsideEnv {
    /// The file's path (absolute when the entry is; `~/` expanded).
    pub path: PathBuf,
    /// The variables and the diagnostics of reading them; `Err` with a note when unreadable, `Ok(None)`
    /// when missing.
    pub file: Result<Option<(EnvFile, Vec<Diagnostic>)>, Diagnostic>,
}

/// Where an `outside: true` entry points: `~/...` under the home directory, a relative path under
/// the project root, an absolute path as it is.
fn outside_path(root: &std::path::Path, listed: &str) -> PathBuf {
    match (listed.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => root.join(listed),
    }
}

impl Project {
    /// Reads the env files the project file lists (and forgets those it no longer lists).
    pub(super) fn refresh_listed_env(&mut self) {
        let listed: BTreeSet<PathBuf> = self
            .config()
            .map(|c| {
                c.stages()
                    .iter()
                    .flat_map(|s| c.required_env_files(s))
                    .filter_map(|(name, _)| inside_project(&self.root, &name))
                    .filter(|rel| !rel.as_os_str().is_empty())
                    .filter(|rel| file_kind(rel) == FileKind::Other)
                    .collect()
            })
            .unwrap_or_default();
        let gone: Vec<PathBuf> = self.listed_env.difference(&listed).cloned().collect();
        for rel in gone {
            self.env.remove(&rel);
            self.sources.remove(&rel);
            self.notes.retain(|n| n.file != rel);
        }
        let new: Vec<PathBuf> = listed.difference(&self.listed_env).cloned().collect();
        self.listed_env = listed;
        for rel in new {
            match scan::read_limited(&self.root.join(&rel)) {
                Ok(Some(bytes)) => {
                    self.set_file_bytes(&rel, &bytes);
                }
                Ok(None) => {}
                Err(note) => self.notes.push(crate::diagnostics::Diagnostic { file: rel.clone(), ..note }),
            }
        }
    }

    /// Reads the `env_files` entries marked `outside: true` that lead outside the project (every
    /// stage's), for `cws run` and `cws deploy`. Returns the paths read, so the face can say so.
    pub fn read_outside_env_files(&mut self) -> Vec<PathBuf> {
        let Some(config) = self.config() else { return Vec::new() };
        let names: BTreeSet<String> = config
            .stages()
            .iter()
            .flat_map(|s| config.env_file_entries(s).to_vec())
            .filter(|e| e.outside && inside_project(&self.root, &e.path.value).is_none())
            .map(|e| e.path.value)
            .collect();
        let mut read = BTreeMap::new();
        for name in names {
            let path = outside_path(&self.root, &name);
            let file = scan::read_limited(&path).and_then(|bytes| match bytes {
                Some(b) => scan::decode(&path, &b).map(|text| Some(read_env(text, &path))),
                None => Ok(None),
            });
            read.insert(name, OutsideEnv { path, file });
        }
        let paths = read.values().filter(|o| matches!(o.file, Ok(Some(_)))).map(|o| o.path.clone()).collect();
        self.outside_env = Some(read);
        paths
    }

    /// An `outside: true` entry as read; `None` while [`Project::read_outside_env_files`] was not asked.
    pub(crate) fn outside_env(&self, listed: &str) -> Option<Option<&OutsideEnv>> {
        self.outside_env.as_ref().map(|m| m.get(listed))
    }
}
