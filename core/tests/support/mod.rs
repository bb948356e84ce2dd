//! What the core's tests share: temporary projects built in a few calls, the fixture projects
//! under `tests/fixtures/projects/`, and the format of their expected diagnostics.
//!
//! `cli/tests/support` includes this module too (by path), so both crates build projects one way.

#![allow(dead_code)]

pub mod expected;
pub mod fuzz;

use std::path::{Path, PathBuf};

use coworks_core::Project;

/// The core crate's directory.
fn core_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../core")
}

/// The example project, `examples/eshop`.
pub fn example() -> PathBuf {
    core_dir().join("../examples/eshop")
}

/// The deployment fixture, `core/tests/fixtures/deploy_project` (secrets, CORS, one crate).
pub fn deploy_project() -> PathBuf {
    core_dir().join("tests/fixtures/deploy_project")
}

/// The OpenAPI generator's fixture, `core/tests/fixtures/openapi_project` (serde shapes of every kind).
pub fn openapi_project() -> PathBuf {
    core_dir().join("tests/fixtures/openapi_project")
}

/// The blueprints' fixture, `core/tests/fixtures/blueprint_project` (one blueprint, two services).
pub fn blueprint_project() -> PathBuf {
    core_dir().join("tests/fixtures/blueprint_project")
}

/// The directory of the fixture project `name` (`core/tests/fixtures/projects/<name>`).
pub fn fixture(name: &str) -> PathBuf {
    let dir = core_dir().join("tests/fixtures/projects").join(name);
    assert!(dir.is_dir(), "no fixture project `{name}` ({})", dir.display());
    dir
}

/// Every fixture project, in name order.
pub fn fixture_projects() -> Vec<PathBuf> {
    let root = core_dir().join("tests/fixtures/projects");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.expect("fixture directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// A project in a temporary directory, removed when dropped.
///
/// ```ignore
/// let project = TempProject::new()
///     .file("project.cws.yml", "version: 3\n")
///     .service("billing", "pub struct Billing;\n#[coworks::service]\nimpl Billing {}\n");
/// let p = project.load();
/// ```
pub struct TempProject {
    dir: tempfile::TempDir,
}

impl Default for TempProject {
    fn default() -> Self {
        TempProject::new()
    }
}

impl TempProject {
    /// An empty project directory.
    pub fn new() -> Self {
        TempProject { dir: tempfile::tempdir().expect("a temporary directory") }
    }

    /// A copy of the project at `from`, without what builds and deployments write there
    /// (`target/`, `terraform/`, `airflow/`).
    pub fn copy_of(from: &Path) -> Self {
        let project = TempProject::new();
        copy_dir(from, project.path());
        project
    }

    /// Adds a file (parent directories created).
    pub fn file(self, rel: &str, contents: impl AsRef<[u8]>) -> Self {
        self.write(rel, contents);
        self
    }

    /// Adds the service crate `services/<name>/`: a `Cargo.toml` and `src/main.rs` holding `source`.
    pub fn service(self, name: &str, source: &str) -> Self {
        self.file(&format!("services/{name}/Cargo.toml"), format!("[package]\nname = \"{name}\"\n"))
            .file(&format!("services/{name}/src/main.rs"), source)
    }

    /// Writes (or overwrites) a file of the project, creating its directories.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("a file inside the project")).expect("mkdir");
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }

    /// The project's root directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The project as the core reads it from disk.
    pub fn load(&self) -> Project {
        Project::load(self.path()).expect("the temporary project loads")
    }
}

/// Copies a directory tree, leaving out generated directories.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.expect("directory entry");
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().expect("file type").is_dir() {
            if !["target", "terraform", "airflow"].iter().any(|d| entry.file_name() == *d) {
                copy_dir(&src, &dst);
            }
        } else {
            std::fs::copy(&src, &dst).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        }
    }
}
