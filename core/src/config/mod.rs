//! TEMPORARY stub until the config reader lands (same API).
#![allow(missing_docs, dead_code)]
use crate::diagnostics::Diagnostic;
use crate::text::Span;
use std::path::Path;

#[derive(Debug, Clone, Default)]
pub struct ProjectConfig;
pub fn read_project_config(_text: &str, _file: &Path) -> (ProjectConfig, Vec<Diagnostic>) {
    (ProjectConfig, vec![])
}
impl ProjectConfig {
    pub fn stages(&self) -> Vec<String> {
        vec!["dev".into()]
    }
    pub fn configured_services(&self) -> Vec<(String, Span)> {
        vec![]
    }
    pub fn required_env_files(&self, _stage: &str) -> Vec<(String, Span)> {
        vec![]
    }
    pub fn service_path(&self, _s: &str) -> Option<&str> {
        None
    }
}
#[derive(Debug, Clone, Default)]
pub struct EnvFile;
pub fn read_env(_text: &str, _file: &Path) -> (EnvFile, Vec<Diagnostic>) {
    (EnvFile, vec![])
}
