//! `config.toml`: the operator's settings. Unknown keys are refused, and every error
//! names the file, the key and the line (toml's spans), so a typo never goes unnoticed.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub rules: RulesConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesConfig {
    /// Directory with one `*.toml` per department; relative to the config file.
    #[serde(default = "default_rules_dir")]
    pub dir: PathBuf,
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig { dir: default_rules_dir() }
    }
}

fn default_rules_dir() -> PathBuf {
    PathBuf::from("rules")
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{file}: cannot read: {source}")]
    Io { file: PathBuf, source: std::io::Error },
    /// toml's message already names the line, column and key.
    #[error("{file}: {message}")]
    Invalid { file: PathBuf, message: String },
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { file: path.to_path_buf(), source })?;
        let mut cfg = Config::parse(&text).map_err(|message| ConfigError::Invalid { file: path.to_path_buf(), message })?;
        let base = path.parent().unwrap_or(Path::new("."));
        if cfg.rules.dir.is_relative() {
            cfg.rules.dir = base.join(&cfg.rules.dir);
        }
        Ok(cfg)
    }

    /// Parse config text; the error is toml's, with line and key.
    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_refused_with_its_name_and_line() {
        let err = Config::parse("[rules]\ndir = \"rules\"\ndri = \"x\"\n").unwrap_err();
        assert!(err.contains("dri"), "{err}");
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn empty_config_uses_defaults() {
        assert_eq!(Config::parse("").unwrap().rules.dir, PathBuf::from("rules"));
    }
}
