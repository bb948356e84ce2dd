//! Where a stage is deployed (region, credentials profile, endpoints), remembered per stage at
//! `cws deploy` ([`DeployRecord`], kept next to the Terraform state, never a secret) so that
//! `cws destroy` and `cws deployed` reach what was deployed without the flags being repeated, and
//! refuse clearly when the flags or the project now name another place.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::CliOptions;
use crate::config::Value;
use crate::project::Project;

/// The AWS place a stage is deployed to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeployTarget {
    /// The region (`None`: the profile's).
    pub region: Option<String>,
    /// The credentials profile, if any.
    pub profile: Option<String>,
    /// Service endpoints (`lambda` → URL), e.g. an emulator.
    pub endpoints: BTreeMap<String, String>,
}

impl fmt::Display for DeployTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = vec![format!("region {}", self.region.as_deref().unwrap_or("(the profile's)"))];
        if let Some(p) = &self.profile {
            parts.push(format!("profile {p}"));
        }
        let urls: std::collections::BTreeSet<&str> = self.endpoints.values().map(String::as_str).collect();
        match urls.len() {
            0 => {}
            1 => parts.push(format!("endpoint {}", urls.iter().next().copied().unwrap_or_default())),
            _ => parts.push(format!("endpoints {}", urls.into_iter().collect::<Vec<_>>().join(", "))),
        }
        f.write_str(&parts.join(", "))
    }
}

impl DeployTarget {
    /// The target as command-line options (the highest layer): what a command uses to reach it.
    pub fn as_cli(&self) -> CliOptions {
        let mut cli = region_and_profile(&self.region, &self.profile);
        if !self.endpoints.is_empty() {
            let map = self.endpoints.iter().map(|(k, v)| (k.clone(), Value::Str(v.clone()))).collect();
            cli.insert("endpoints".into(), Value::Map(map));
        }
        cli
    }
}

/// The `region` and `profile` options, those given.
fn region_and_profile(region: &Option<String>, profile: &Option<String>) -> CliOptions {
    let mut cli = CliOptions::new();
    for (name, value) in [("region", region), ("profile", profile)] {
        if let Some(v) = value {
            cli.insert(name.into(), Value::Str(v.clone()));
        }
    }
    cli
}

/// The AWS flags of `cws deploy` / `destroy` / `deployed`: `--region`, `--aws-profile`, `--endpoint`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeployFlags {
    /// `--region`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// `--aws-profile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// `--endpoint` (every service).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

impl DeployFlags {
    /// Whether no flag is given.
    pub fn is_empty(&self) -> bool {
        self.region.is_none() && self.profile.is_none() && self.endpoint.is_none()
    }

    /// The flags as command-line options of `deploy`.
    pub fn cli(&self) -> CliOptions {
        let mut cli = region_and_profile(&self.region, &self.profile);
        if let Some(e) = &self.endpoint {
            cli.insert(
                "endpoints".into(),
                Value::Map(BTreeMap::from([("all".into(), Value::Str(e.clone()))])),
            );
        }
        cli
    }

    /// The flags as written on a command line (`--region eu-west-1 --endpoint URL`).
    pub fn describe(&self) -> String {
        let mut out = Vec::new();
        if let Some(r) = &self.region {
            out.push(format!("--region {r}"));
        }
        if let Some(p) = &self.profile {
            out.push(format!("--aws-profile {p}"));
        }
        if let Some(e) = &self.endpoint {
            out.push(format!("--endpoint {e}"));
        }
        out.join(" ")
    }
}

/// What `cws deploy` remembers of a stage: the flags it was given and the place they led to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeployRecord {
    /// The flags `cws deploy` was given.
    pub flags: DeployFlags,
    /// Where the stage went.
    pub target: DeployTarget,
}

/// What a command does with a stage's target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetUse {
    /// `cws deploy`: creates or updates resources there.
    Deploy,
    /// `cws destroy`, `cws deployed`: reaches what is deployed.
    Existing,
}

/// The place a command reaches, and the options that reach it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedTarget {
    /// The place.
    pub target: DeployTarget,
    /// The command-line options that reach it (flags given or remembered).
    pub cli: CliOptions,
    /// The flags to remember (given, else remembered).
    pub flags: DeployFlags,
    /// Said to the user when the target comes from the record.
    pub note: Option<String>,
}

impl Project {
    /// The place `stage` deploys to with `flags`.
    pub fn deploy_target(&self, stage: &str, flags: &DeployFlags) -> DeployTarget {
        let s = self.stage_settings(stage, &flags.cli());
        DeployTarget { region: s.region, profile: s.profile, endpoints: s.endpoints }
    }

    /// The place a command on `stage` reaches, given its `flags` and what `cws deploy` remembered.
    /// Flags naming another place than the deployed one are refused; without flags the remembered
    /// ones apply. A deploy is also refused when the project now names another place (its resources
    /// would be left running where they are): destroy first, which reaches the deployed place.
    pub fn resolve_target(
        &self,
        stage: &str,
        flags: &DeployFlags,
        record: Option<&DeployRecord>,
        purpose: TargetUse,
    ) -> Result<ResolvedTarget, String> {
        let Some(record) = record else {
            let target = self.deploy_target(stage, flags);
            return Ok(ResolvedTarget { target, cli: flags.cli(), flags: flags.clone(), note: None });
        };
        if !flags.is_empty() {
            let target = self.deploy_target(stage, flags);
            if target != record.target {
                return Err(format!(
                    "stage `{stage}` is deployed to {}, but the command line names {target}: repeat the flags it \
                     was deployed with ({}) or none, or run `cws destroy -s {stage}` first (it reaches what was deployed)",
                    record.target,
                    if record.flags.is_empty() { "none".to_string() } else { record.flags.describe() },
                ));
            }
            return Ok(ResolvedTarget { target, cli: flags.cli(), flags: flags.clone(), note: None });
        }
        let now = self.deploy_target(stage, &record.flags);
        let note = (!record.flags.is_empty()).then(|| {
            format!(
                "stage `{stage}` was deployed to {} ({}): using it",
                record.target,
                record.flags.describe()
            )
        });
        match purpose {
            TargetUse::Existing => {
                Ok(ResolvedTarget { target: record.target.clone(), cli: record.target.as_cli(), flags: record.flags.clone(), note })
            }
            TargetUse::Deploy if now != record.target => Err(format!(
                "stage `{stage}` is deployed to {}, but project.cws.yml now names {now}: run `cws destroy -s {stage}` \
                 first (it reaches what was deployed), then deploy again",
                record.target
            )),
            TargetUse::Deploy => Ok(ResolvedTarget { target: now, cli: record.flags.cli(), flags: record.flags.clone(), note }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> Project {
        crate::settings::tests::project_with_config(
            "version: 3\ncommands:\n  deploy: {region: eu-west-1}\nworkspaces:\n  dev: {}\n  prod: {}\n",
        )
    }

    fn endpoint(url: &str) -> DeployFlags {
        DeployFlags { endpoint: Some(url.into()), ..Default::default() }
    }

    #[test]
    fn without_a_record_the_flags_and_the_project_decide() {
        let p = project();
        let r = p.resolve_target("dev", &DeployFlags::default(), None, TargetUse::Deploy).expect("target");
        assert_eq!(r.target.region.as_deref(), Some("eu-west-1"));
        assert!(r.target.endpoints.is_empty() && r.note.is_none());
        let r = p
            .resolve_target("dev", &endpoint("http://127.0.0.1:5000"), None, TargetUse::Deploy)
            .expect("target");
        assert_eq!(r.target.endpoints["lambda"], "http://127.0.0.1:5000");
        assert_eq!(r.target.to_string(), "region eu-west-1, endpoint http://127.0.0.1:5000");
    }

    #[test]
    fn the_record_is_reached_without_flags_and_other_flags_are_refused() {
        let p = project();
        let flags = endpoint("http://127.0.0.1:5000");
        let record = DeployRecord { flags: flags.clone(), target: p.deploy_target("prod", &flags) };
        for purpose in [TargetUse::Deploy, TargetUse::Existing] {
            let r =
                p.resolve_target("prod", &DeployFlags::default(), Some(&record), purpose).expect("target");
            assert_eq!(r.target, record.target);
            assert_eq!(p.stage_settings("prod", &r.cli).endpoints["s3"], "http://127.0.0.1:5000");
            assert!(
                r.note.as_deref().is_some_and(|n| n.contains("--endpoint http://127.0.0.1:5000")),
                "{:?}",
                r.note
            );
            assert!(p.resolve_target("prod", &flags, Some(&record), purpose).is_ok(), "the same flags");
            let e = p
                .resolve_target("prod", &endpoint("http://127.0.0.1:6000"), Some(&record), purpose)
                .unwrap_err();
            assert!(
                e.contains("deployed to region eu-west-1, endpoint http://127.0.0.1:5000")
                    && e.contains("6000"),
                "{e}"
            );
            let region = DeployFlags { region: Some("us-east-1".into()), ..Default::default() };
            assert!(p.resolve_target("prod", &region, Some(&record), purpose).is_err());
        }
    }

    #[test]
    fn a_project_now_naming_another_place_refuses_a_deploy_not_a_destroy() {
        let p = project();
        let old = DeployTarget { region: Some("us-west-2".into()), ..Default::default() };
        let record = DeployRecord { flags: DeployFlags::default(), target: old.clone() };
        let e =
            p.resolve_target("dev", &DeployFlags::default(), Some(&record), TargetUse::Deploy).unwrap_err();
        assert!(
            e.contains("us-west-2")
                && e.contains("now names region eu-west-1")
                && e.contains("cws destroy -s dev"),
            "{e}"
        );
        let r = p
            .resolve_target("dev", &DeployFlags::default(), Some(&record), TargetUse::Existing)
            .expect("destroy");
        assert_eq!(p.stage_settings("dev", &r.cli).region.as_deref(), Some("us-west-2"));
        let json = serde_json::to_string(&record).expect("json");
        assert_eq!(serde_json::from_str::<DeployRecord>(&json).expect("back"), record);
    }
}
