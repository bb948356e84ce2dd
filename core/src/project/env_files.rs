//! The env files `project.cws.yml` lists under `env_files`: read into the project's store like the
//! `.env*` files at the root, so a stage's environment is computed from the texts the project holds
//! (the editor's unsaved text included) — never by reading the disk again.
//!
//! A listed file is read only when it stays inside the project: a relative path without `..` whose
//! real location (links followed) is under the project root. Others are reported (`CWS049`) by
//! [`crate::settings`] and never read.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{normal_relative, Project};
use crate::layout::{file_kind, FileKind};
use crate::scan;

/// Where a listed env file is, if it is inside the project.
pub(crate) fn inside_project(root: &Path, listed: &str) -> Option<PathBuf> {
    let rel = normal_relative(Path::new(listed)).filter(|r| !r.as_os_str().is_empty())?;
    let real_root = std::fs::canonicalize(root).ok()?;
    match std::fs::canonicalize(root.join(&rel)) {
        Ok(real) => real.starts_with(&real_root).then_some(rel),
        // A missing file is inside the project where its name says (it is reported missing).
        Err(_) => (!root.join(&rel).is_symlink()).then_some(rel),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_inside_the_project() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("conf")).unwrap();
        std::fs::write(root.join("conf/extra.env"), "A=1\n").unwrap();
        assert_eq!(inside_project(root, "conf/extra.env"), Some(PathBuf::from("conf/extra.env")));
        assert_eq!(inside_project(root, "./conf/missing.env"), Some(PathBuf::from("conf/missing.env")));
        assert_eq!(inside_project(root, "../outside.env"), None);
        assert_eq!(inside_project(root, "/etc/hostname"), None);
        assert_eq!(inside_project(root, ""), None);
        #[cfg(unix)]
        {
            let outside = tempfile::tempdir().unwrap();
            std::fs::write(outside.path().join("creds"), "SECRET=x\n").unwrap();
            std::os::unix::fs::symlink(outside.path().join("creds"), root.join("link.env")).unwrap();
            assert_eq!(inside_project(root, "link.env"), None);
            std::os::unix::fs::symlink("/nonexistent/x", root.join("dangling.env")).unwrap();
            assert_eq!(inside_project(root, "dangling.env"), None);
        }
    }
}
