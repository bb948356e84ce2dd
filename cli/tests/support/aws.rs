//! What the tests deploying to AWS emulators share: Terraform with its AWS provider from a local
//! filesystem mirror, a moto server, `cws` run with test credentials, and a directory synchronised
//! byte for byte (so cargo sees unchanged sources as unchanged between runs).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

/// The `terraform` executable on PATH.
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

/// A Terraform CLI configuration (written in `dir`) that installs providers from the mirror only.
pub fn cli_config(dir: &Path) -> PathBuf {
    let file = dir.join("terraform.rc");
    let text = format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
        mirror_root().display()
    );
    std::fs::write(&file, text).unwrap();
    file
}

pub use super::moto::Moto;

/// What the cli tests do with moto besides starting it (`support/moto.rs`).
impl Moto {
    /// Runs the Python `script` with `s3` (a boto3 client of this moto, region eu-west-1) and
    /// `argv` (`args`); its output.
    pub fn s3(&self, script: &str, args: &[&str]) -> String {
        let prelude = "import sys, json, boto3\ns3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='eu-west-1', aws_access_key_id='testing', aws_secret_access_key='testing')\nargv = sys.argv[2:]\n";
        let o = Command::new("python3")
            .args(["-c", &format!("{prelude}{script}"), &self.url])
            .args(args)
            .output()
            .expect("python3 runs (install python3 and boto3: scripts/ci-deps)");
        assert!(o.status.success(), "boto3: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Creates the S3 bucket `bucket` in eu-west-1.
    pub fn create_bucket(&self, bucket: &str) {
        self.s3(
            "s3.create_bucket(Bucket=argv[0], CreateBucketConfiguration={'LocationConstraint': 'eu-west-1'})",
            &[bucket],
        );
    }
}

/// Where the tests build service crates (`CARGO_TARGET_DIR`): one directory under cargo's test
/// scratch space, kept between runs, shared by the e-shop copy and the newcomer's project so their
/// common dependencies are compiled once.
pub fn services_target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("eshop-build/target")
}

/// `cmd` as the tests run cws and terraform against moto: test AWS credentials (moto takes any), no
/// instance metadata lookups, no profile, and the Terraform CLI configuration `rc` (the offline
/// provider mirror).
pub fn with_test_aws<'c>(cmd: &'c mut Command, rc: &Path) -> &'c mut Command {
    cmd.env("TF_CLI_CONFIG_FILE", rc)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
}

/// `cws ARGS -p PROJECT` with test AWS credentials, the Terraform CLI configuration `rc` and the
/// shared target directory; prints how long it took.
pub fn cws_aws(project: &Path, rc: &Path, args: &[&str]) -> Output {
    let start = Instant::now();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cws"));
    cmd.args(args).arg("-p").arg(project).env("CARGO_TARGET_DIR", services_target_dir());
    let o = with_test_aws(&mut cmd, rc).output().unwrap();
    println!("cws {}: {:.1} s", args.join(" "), start.elapsed().as_secs_f64());
    o
}

/// Copies `from` into `to`, writing only the files whose bytes differ (so cargo sees unchanged
/// sources as unchanged from one run to the next).
pub fn sync_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" && entry.file_name() != "terraform" {
                sync_dir(&src, &dst);
            }
        } else {
            let bytes = std::fs::read(&src).unwrap();
            if std::fs::read(&dst).ok().as_ref() != Some(&bytes) {
                std::fs::write(&dst, bytes).unwrap();
            }
        }
    }
}
