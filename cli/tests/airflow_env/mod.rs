//! The Airflow environment of the workflow tests: the cached venv (made here the way
//! `scripts/ci-deps` makes it, when missing), a temporary `AIRFLOW_HOME`, its database migrated once.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// What the venv holds.
pub const PIP_SPECS: &[&str] = &[
    "apache-airflow==3.*",
    "apache-airflow-providers-http",
    "apache-airflow-providers-amazon",
    "moto[server]",
];

/// An Airflow installation and home ready for commands.
pub struct AirflowEnv {
    /// The venv.
    pub venv: PathBuf,
    /// `AIRFLOW_HOME`.
    pub home: tempfile::TempDir,
}

/// The venv directory: `<target>/airflow-venv`, shared by every run.
pub fn venv_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("target dir").join("airflow-venv")
}

fn run(cmd: &mut Command, what: &str) {
    let o = cmd.output().unwrap_or_else(|e| {
        panic!("{what}: cannot start ({e}); install python3 and python3-venv (scripts/ci-deps)")
    });
    assert!(
        o.status.success(),
        "{what} failed (install step: scripts/ci-deps):\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn ensure_venv() -> PathBuf {
    let venv = venv_dir();
    if venv.join("bin/airflow").exists() && venv.join("bin/moto_server").exists() {
        return venv;
    }
    // Another test process may be installing: one lock file serialises the installs.
    let lock = venv.with_extension("lock");
    let _guard = FileLock::acquire(&lock);
    if !(venv.join("bin/airflow").exists() && venv.join("bin/moto_server").exists()) {
        eprintln!("installing Airflow 3 into {} (once; ~300 MB)", venv.display());
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv), "python3 -m venv");
        run(
            Command::new(venv.join("bin/pip")).args(["install", "-q"]).args(PIP_SPECS),
            "pip install apache-airflow",
        );
    }
    venv
}

struct FileLock(PathBuf);

impl FileLock {
    fn acquire(path: &Path) -> FileLock {
        for _ in 0..3600 {
            if std::fs::OpenOptions::new().write(true).create_new(true).open(path).is_ok() {
                return FileLock(path.to_path_buf());
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        panic!("{} is held for too long; remove it if no install is running", path.display());
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The Airflow environment, made once per test process.
pub fn airflow() -> &'static AirflowEnv {
    static ENV: OnceLock<AirflowEnv> = OnceLock::new();
    ENV.get_or_init(fresh)
}

/// An Airflow environment of its own (another home and database), migrated.
pub fn fresh() -> AirflowEnv {
    let venv = ensure_venv();
    let env = AirflowEnv { venv, home: tempfile::tempdir().expect("temp AIRFLOW_HOME") };
    let o = command(&env, "airflow", &["db", "migrate"], &[]);
    assert!(o.status.success(), "airflow db migrate failed:\n{}", String::from_utf8_lossy(&o.stderr));
    env
}

/// The user and password of [`ApiServer`]'s simple auth manager (an admin).
pub const API_USER: (&str, &str) = ("cws", "test-password-1");

/// `airflow api-server` of an environment on a free port of 127.0.0.1, its simple auth manager
/// knowing [`API_USER`]; stopped when dropped.
pub struct ApiServer {
    child: std::process::Child,
    /// Its base URL.
    pub url: String,
}

impl ApiServer {
    /// Starts it and waits until it answers (at most two minutes).
    pub fn start(env: &AirflowEnv) -> ApiServer {
        let passwords = env.home.path().join("passwords.json");
        let users = serde_json::json!({ API_USER.0: API_USER.1 }).to_string();
        std::fs::write(&passwords, users).expect("write the passwords file");
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a port").port();
        let child = command_in(env, "airflow")
            .args(["api-server", "-H", "127.0.0.1", "-p", &port.to_string(), "-w", "1"])
            .env("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", format!("{}:admin", API_USER.0))
            .env("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", &passwords)
            .env("AIRFLOW__API_AUTH__JWT_SECRET", "cws-test-jwt-secret")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("airflow api-server starts");
        let server = ApiServer { child, url: format!("http://127.0.0.1:{port}") };
        let start = std::time::Instant::now();
        let version = format!("{}/api/v2/version", server.url);
        while ureq::get(&version).call().is_err() {
            assert!(start.elapsed().as_secs() < 120, "airflow api-server did not answer on {}", server.url);
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        server
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A command of the venv (`python`, `airflow`, `moto_server`) with the test's Airflow settings.
pub fn command_in(env: &AirflowEnv, program: &str) -> Command {
    let mut c = Command::new(env.venv.join("bin").join(program));
    c.env("AIRFLOW_HOME", env.home.path())
        .env("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
        .env("AIRFLOW__CORE__DAGS_FOLDER", env.home.path().join("dags"))
        .env("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO")
        .env_remove("PYTHONPATH");
    c
}

/// Runs a venv program to completion.
pub fn command(env: &AirflowEnv, program: &str, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut c = command_in(env, program);
    c.args(args);
    for (k, v) in vars {
        c.env(k, v);
    }
    c.output().unwrap_or_else(|e| panic!("{program}: {e}"))
}

/// Runs a Python script of the venv.
pub fn python(env: &AirflowEnv, args: &[&str], vars: &[(&str, &str)]) -> Output {
    command(env, "python", args, vars)
}

/// The JSON a script printed after `CWS-RESULT `.
pub fn stdout_json(o: &Output) -> serde_json::Value {
    let out = String::from_utf8_lossy(&o.stdout);
    let line = out.lines().rev().find_map(|l| l.strip_prefix("CWS-RESULT ")).unwrap_or_else(|| {
        panic!(
            "no result from the script (exit {:?}):\n{out}\n{}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        )
    });
    serde_json::from_str(line).expect("result JSON")
}
