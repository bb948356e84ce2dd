//! The env files `project.cws.yml` lists under `env_files`: read into the project's store like the
//! `.env*` files at the root, so a stage's environment is computed from the texts the project holds
//! (the editor's unsaved text included) — never by reading the disk again.
//!
//! A listed file is read only when it stays inside the project: a relative path without `..` whose
//! real location (links followed) is under the project root. Others are reported (`CWS049`) by
//! [`crate::settings`] and never read.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::inside::inside_project;
use super::Project;
use crate::layout::{file_kind, FileKind};
use crate::scan;

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
}
