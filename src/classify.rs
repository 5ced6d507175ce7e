//! Stage 3: Anliegen and Fachamt by the editable rules in `rules/` (TOML, one file per
//! department). Pure logic once the rules are loaded.
//!
//! STUB: the types are the contract; the implementation is being written.

use serde::Serialize;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Visit length for one Bürgerbüro concern.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VisitDuration {
    pub base_minutes: u32,
    pub per_extra_person_minutes: u32,
}

/// One Anliegen a department handles.
#[derive(Debug, Clone)]
pub struct Concern {
    pub id: String,
    /// Name as staff and citizens read it, e.g. "Personalausweis".
    pub name: String,
    /// English name for English replies.
    pub name_en: String,
    /// Bürgerbüro only: how long a home visit takes.
    pub visit: Option<VisitDuration>,
    /// Bürgerbüro only: what the household must have ready (German, then English).
    pub documents: Vec<String>,
    pub documents_en: Vec<String>,
    /// Current law and practice the reply must state (e.g. Kinderreisepass abolished).
    pub notice: Option<String>,
    pub notice_en: Option<String>,
}

/// A Fachamt (or the Bürgerbüro itself).
#[derive(Debug, Clone)]
pub struct Department {
    pub id: String,
    pub name: String,
    pub name_en: String,
    /// Where specialist cases are forwarded.
    pub forward_to: String,
    /// True for the Bürgerbüro: handled on a home visit.
    pub home_visit: bool,
    pub concerns: Vec<Concern>,
}

/// All departments, loaded and compiled.
#[derive(Debug, Clone)]
pub struct Rules {
    pub departments: Vec<Department>,
}

/// What the classifier reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClassifyInput<'a> {
    pub subject: &'a str,
    /// What the citizen newly wrote: weighs most.
    pub new_text: &'a str,
    /// Quoted earlier mail: only consulted when the new text says nothing.
    pub quoted: &'a str,
}

/// The verdict, with an explanation staff can read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    /// Department id of the main concern; `buergerbuero` when unclassified.
    pub department: String,
    pub needs_specialist: bool,
    /// Concern ids, in the order the mail raises them.
    pub concerns: Vec<String>,
    /// 0..1
    pub confidence: f64,
    /// Which rules fired, e.g. `personalausweis: "Personalausweis" (+3.0)`.
    pub reasons: Vec<String>,
    /// No rule fits: a person must look at it.
    pub unclassified: bool,
}

/// A rule file that cannot be used; names file, rule and cause.
#[derive(Debug, Error)]
pub enum RulesError {
    #[error("{file}: cannot read: {source}")]
    Io { file: PathBuf, source: std::io::Error },
    #[error("{file}: {message}")]
    Syntax { file: PathBuf, message: String },
    #[error("{file}: rule {rule}: bad regex: {source}")]
    Regex { file: PathBuf, rule: String, source: Box<regex::Error> },
    #[error("{file}: {message}")]
    Invalid { file: PathBuf, message: String },
}

impl Rules {
    /// The rules shipped in `rules/`, compiled into the binary.
    pub fn builtin() -> Rules {
        Rules { departments: Vec::new() }
    }

    /// Load every `*.toml` in `dir`.
    pub fn load_dir(dir: &Path) -> Result<Rules, RulesError> {
        let _ = dir;
        Ok(Rules::builtin())
    }

    pub fn department(&self, id: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.id == id)
    }

    pub fn classify(&self, input: &ClassifyInput<'_>) -> Classification {
        let _ = input;
        Classification {
            department: "buergerbuero".into(),
            needs_specialist: false,
            concerns: Vec::new(),
            confidence: 0.0,
            reasons: vec!["no rule fits: for a person to look at".into()],
            unclassified: true,
        }
    }
}
