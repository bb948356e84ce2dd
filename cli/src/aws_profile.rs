//! The AWS credentials of a named profile, handed to the services `cws run` starts (the runtime
//! reads only the standard `AWS_*` variables, as under Lambda).
//!
//! Static keys are read from the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else
//! `~/.aws/credentials`, section `[name]`) and the config file (`AWS_CONFIG_FILE`, else
//! `~/.aws/config`, section `[profile name]` or `[default]`), with `rust-ini`. Profiles that get
//! their credentials another way (IAM Identity Center / SSO, an assumed role, a credential process)
//! are resolved by the AWS CLI when it is installed (`aws configure export-credentials --profile
//! NAME --format process`), so every kind of profile the AWS tools know works without CoWorks
//! linking the AWS SDK's credential chain (aws-config: a large dependency tree, a newer Rust).

use std::path::PathBuf;
use std::process::Command;

use ini::Ini;

/// Credentials (and region) of a profile.
#[derive(Clone, PartialEq, Eq)]
pub struct ProfileCredentials {
    /// `aws_access_key_id`.
    pub access_key_id: String,
    /// `aws_secret_access_key` (never printed).
    pub secret_access_key: String,
    /// `aws_session_token` of temporary credentials.
    pub session_token: Option<String>,
    /// The profile's `region`, if set.
    pub region: Option<String>,
}

impl std::fmt::Debug for ProfileCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl ProfileCredentials {
    /// The variables a process gets: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_SESSION_TOKEN` when there is one.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("AWS_ACCESS_KEY_ID", self.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_access_key.clone()),
        ];
        if let Some(t) = &self.session_token {
            out.push(("AWS_SESSION_TOKEN", t.clone()));
        }
        out
    }
}

fn home_file(var: &str, name: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(var).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".aws").join(name))
}

/// The keys of `profile` in the two files (`None` where a file or section is missing).
fn read_files(profile: &str) -> Result<(Option<ini::Properties>, Option<ini::Properties>), String> {
    let load = |path: Option<PathBuf>| -> Result<Option<Ini>, String> {
        match path {
            Some(p) if p.is_file() => {
                Ini::load_from_file(&p).map(Some).map_err(|e| format!("cannot read {}: {e}", p.display()))
            }
            _ => Ok(None),
        }
    };
    let credentials = load(home_file("AWS_SHARED_CREDENTIALS_FILE", "credentials"))?
        .and_then(|i| i.section(Some(profile)).cloned());
    let config_section =
        if profile == "default" { "default".to_string() } else { format!("profile {profile}") };
    let config =
        load(home_file("AWS_CONFIG_FILE", "config"))?.and_then(|i| i.section(Some(config_section)).cloned());
    Ok((credentials, config))
}

/// The credentials of `profile`.
pub fn resolve(profile: &str) -> Result<ProfileCredentials, String> {
    let (credentials, config) = read_files(profile)?;
    let get = |key: &str| {
        credentials
            .as_ref()
            .and_then(|s| s.get(key))
            .or_else(|| config.as_ref().and_then(|s| s.get(key)))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let region = config.as_ref().and_then(|s| s.get("region")).map(|r| r.trim().to_string());
    if let (Some(access_key_id), Some(secret_access_key)) =
        (get("aws_access_key_id"), get("aws_secret_access_key"))
    {
        return Ok(ProfileCredentials {
            access_key_id,
            secret_access_key,
            session_token: get("aws_session_token"),
            region,
        });
    }
    if credentials.is_none() && config.is_none() {
        return Err(format!(
            "AWS profile `{profile}` is in neither ~/.aws/credentials nor ~/.aws/config (or AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE)"
        ));
    }
    // SSO, assumed roles, credential processes: the AWS CLI resolves them.
    let out = Command::new("aws")
        .args(["configure", "export-credentials", "--profile", profile, "--format", "process"])
        .output()
        .map_err(|_| {
            format!(
                "AWS profile `{profile}` has no static keys (SSO, a role or a credential process): install the AWS CLI, \
                 which resolves it, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            )
        })?;
    if !out.status.success() {
        return Err(format!(
            "the AWS CLI could not resolve profile `{profile}`: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("unexpected answer of the AWS CLI: {e}"))?;
    let field = |k: &str| v[k].as_str().map(str::to_string);
    match (field("AccessKeyId"), field("SecretAccessKey")) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(ProfileCredentials {
            access_key_id,
            secret_access_key,
            session_token: field("SessionToken"),
            region,
        }),
        _ => Err(format!("the AWS CLI gave no keys for profile `{profile}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_from_the_credentials_and_config_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let creds = dir.path().join("credentials");
        let config = dir.path().join("config");
        std::fs::write(&creds, "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s0\n\n[dev]\naws_access_key_id=AKIDDEV\naws_secret_access_key=s1\naws_session_token=tok\n").expect("write");
        std::fs::write(&config, "[default]\nregion = us-east-1\n[profile dev]\nregion = eu-west-1\n[profile cfg]\naws_access_key_id = AKIDCFG\naws_secret_access_key = s2\n[profile sso]\nsso_session = corp\n").expect("write");
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", &creds);
        std::env::set_var("AWS_CONFIG_FILE", &config);
        let dev = resolve("dev").expect("dev");
        assert_eq!(
            (dev.access_key_id.as_str(), dev.session_token.as_deref(), dev.region.as_deref()),
            ("AKIDDEV", Some("tok"), Some("eu-west-1"))
        );
        assert_eq!(resolve("default").expect("default").region.as_deref(), Some("us-east-1"));
        assert_eq!(resolve("cfg").expect("keys in the config file").access_key_id, "AKIDCFG");
        assert!(resolve("nope").unwrap_err().contains("in neither"));
        assert!(!format!("{dev:?}").contains("s1"), "the secret key is never printed");
        // A profile without keys goes to the AWS CLI: absent here, or unable to log in.
        let sso = std::env::var_os("PATH").map(|_| resolve("sso"));
        assert!(sso.is_some_and(|r| r.is_err()));
    }
}
