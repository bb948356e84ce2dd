//! Terraform for the tests: the binary on `PATH` and a CLI configuration installing providers from
//! a local filesystem mirror only (no registry is reached).

use std::path::{Path, PathBuf};

/// The `terraform` binary on `PATH`.
pub fn terraform() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|d| d.join("terraform")).find(|p| p.is_file()).unwrap_or_else(|| {
        panic!("terraform is not on PATH: install Terraform >= 1.5 and the AWS provider mirror (see scripts/ci-deps)")
    })
}

/// The folder holding `registry.terraform.io/hashicorp/aws` (a filesystem mirror), found at run time.
pub fn mirror_root() -> PathBuf {
    let mut roots: Vec<PathBuf> = Vec::new();
    if let Some(r) = std::env::var_os("CWS_TF_PLUGIN_MIRROR") {
        roots.push(r.into());
    }
    roots.extend(["/opt", "/usr/local/share", "/usr/share", "/var/lib"].map(PathBuf::from));
    if let Some(home) = std::env::var_os("HOME") {
        roots.push(Path::new(&home).join(".terraform.d"));
        roots.push(Path::new(&home).join(".local/share/terraform"));
    }
    let mut stack: Vec<(PathBuf, usize)> = roots.into_iter().map(|r| (r, 0)).collect();
    while let Some((dir, depth)) = stack.pop() {
        if dir.join("registry.terraform.io/hashicorp/aws").is_dir() {
            return dir;
        }
        if depth >= 4 {
            continue;
        }
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push((entry.path(), depth + 1));
            }
        }
    }
    panic!(
        "no Terraform provider mirror with registry.terraform.io/hashicorp/aws found (under /opt, /usr/local/share, \
         /usr/share, ~/.terraform.d or $CWS_TF_PLUGIN_MIRROR): install the AWS provider there (see scripts/ci-deps)"
    )
}

/// A Terraform CLI configuration that installs providers from the mirror only.
pub fn cli_config(dir: &Path) -> PathBuf {
    let file = dir.join("terraform.rc");
    let text = format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
        mirror_root().display()
    );
    std::fs::write(&file, text).unwrap();
    file
}
