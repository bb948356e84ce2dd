//! Whether a path written in the project's files stays inside the project: the one rule for env
//! files (`env_files`) and output directories (`airflow_dags`), which a cloned repository could
//! otherwise point at the user's files (`~/.aws/credentials`, `../../..`).

use std::path::{Path, PathBuf};

use super::normal_relative;

/// Where `listed` is, relative to `root`, when it stays inside the project: a relative path without
/// `..`, whose real location (links followed, for the part of it that exists) is under the root's
/// real location. A path through a dangling link is outside (where it leads is unknown), and so is
/// `~/...` (the home directory, as a shell reads it). `""` and `.` are the root itself. When the root itself is not on disk (an editor's project that was never
/// saved), the first condition alone decides.
pub(crate) fn inside_project(root: &Path, listed: &str) -> Option<PathBuf> {
    if listed == "~" || listed.starts_with("~/") {
        return None;
    }
    let rel = normal_relative(Path::new(listed))?;
    let Ok(real_root) = std::fs::canonicalize(root) else {
        return Some(rel);
    };
    let mut existing = root.join(&rel);
    loop {
        if let Ok(real) = std::fs::canonicalize(&existing) {
            return real.starts_with(&real_root).then_some(rel);
        }
        if existing.symlink_metadata().is_ok() || !existing.pop() {
            // A link to nowhere, or nothing of the path exists (the root did a moment ago).
            return None;
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
        assert_eq!(inside_project(root, "not/yet/there"), Some(PathBuf::from("not/yet/there")));
        assert_eq!(inside_project(root, "."), Some(PathBuf::new()));
        assert_eq!(inside_project(root, "../outside.env"), None);
        assert_eq!(inside_project(root, "conf/../../outside.env"), None);
        assert_eq!(inside_project(root, "/etc/hostname"), None);
        assert_eq!(inside_project(root, "~/.aws/credentials"), None);
        #[cfg(unix)]
        {
            let outside = tempfile::tempdir().unwrap();
            std::fs::write(outside.path().join("creds"), "SECRET=x\n").unwrap();
            std::os::unix::fs::symlink(outside.path().join("creds"), root.join("link.env")).unwrap();
            assert_eq!(inside_project(root, "link.env"), None);
            std::os::unix::fs::symlink("/nonexistent/x", root.join("dangling.env")).unwrap();
            assert_eq!(inside_project(root, "dangling.env"), None);
            // A directory linked out of the project: nothing under it is inside, existing or not.
            std::os::unix::fs::symlink(outside.path(), root.join("out")).unwrap();
            assert_eq!(inside_project(root, "out/dags"), None);
            assert_eq!(inside_project(root, "out/creds"), None);
            // A link that stays inside is followed.
            std::os::unix::fs::symlink(root.join("conf"), root.join("conf2")).unwrap();
            assert_eq!(inside_project(root, "conf2/extra.env"), Some(PathBuf::from("conf2/extra.env")));
        }
        // A root that is not on disk: the written path alone decides.
        let gone = root.join("never-saved");
        assert_eq!(inside_project(&gone, ".env"), Some(PathBuf::from(".env")));
        assert_eq!(inside_project(&gone, "../.env"), None);
    }
}
