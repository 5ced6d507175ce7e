//! Stage 3: Anliegen and Fachamt by the editable rules in `rules/` (TOML, one file per
//! department, plus `common.toml` with the contexts that make a word a mere mention).
//! Pure logic once the rules are loaded.
//!
//! - [`normalize`]: the text form patterns are written against (ae/oe/ue/ss, lower case).
//! - `load`: the TOML schema, validation and compilation ([`Rules::load_dir`]).
//! - `engine`: scoring a mail against the compiled rules ([`Rules::classify`]).

mod engine;
mod load;
pub mod normalize;
mod prefilter;

use regex::Regex;
use serde::Serialize;
use std::path::{Path, PathBuf};
use thiserror::Error;

pub use load::DEFAULT_THRESHOLD;

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
    /// Score needed to raise this concern; `None`: the rules' threshold.
    pub min_score: Option<f64>,
    /// When one of these concerns is raised, this concern's `generic` hits are dropped
    /// ("anmelden" belongs to Hundesteuer when the mail is about a dog).
    pub yields_to: Vec<String>,
    pub patterns: Vec<Pattern>,
    pub negatives: Vec<Negative>,
}

/// One weighted cue of a concern, matched against normalised text.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub regex: Regex,
    /// The regex as written in the rule file, for reasons.
    pub source: String,
    pub weight: f64,
    /// Counts only if this also matches in the same sentence.
    pub with: Option<Regex>,
    /// Does not count if any of these matches in the same sentence.
    pub unless: Vec<Regex>,
    /// An ambiguous word ("anmelden", "Ausweis"): dropped when a `yields_to` concern is raised.
    pub generic: bool,
}

/// Where a negative pattern looks around a hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The comma-delimited clause of the hit.
    Clause,
    /// The sentence of the hit.
    Sentence,
    /// Anywhere in the classified text.
    Mail,
}

/// A context that suppresses a concern's hits (no `subtract`) or lowers its score.
#[derive(Debug, Clone)]
pub struct Negative {
    pub regex: Regex,
    pub source: String,
    pub scope: Scope,
    /// Subtract this from the concern's score (once) instead of suppressing the hit.
    pub subtract: Option<f64>,
    pub note: Option<String>,
}

/// A context in which any concern word is only mentioned ("liegen bereit", "später").
#[derive(Debug, Clone)]
pub struct MentionContext {
    pub regex: Regex,
    pub note: String,
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
    /// Shared mention-only contexts, checked in the clause of every hit.
    pub mention_contexts: Vec<MentionContext>,
    /// Score a concern needs to be raised.
    pub threshold: f64,
    /// All patterns in one set, to run only the candidates per sentence (built by `compile`).
    pub(crate) prefilter: prefilter::Prefilter,
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
    #[error("{file}: cannot read: {error}")]
    Io {
        file: PathBuf,
        error: std::io::Error,
    },
    #[error("{file}: {message}")]
    Syntax { file: PathBuf, message: String },
    #[error("{file}: rule {rule}: bad regex: {error}")]
    Regex {
        file: PathBuf,
        rule: String,
        error: Box<regex::Error>,
    },
    #[error("{file}: {message}")]
    Invalid { file: PathBuf, message: String },
}

/// The shipped rule files, compiled into the binary.
const BUILTIN: &[(&str, &str)] = &[
    ("rules/common.toml", include_str!("../../rules/common.toml")),
    (
        "rules/buergerbuero.toml",
        include_str!("../../rules/buergerbuero.toml"),
    ),
    (
        "rules/standesamt.toml",
        include_str!("../../rules/standesamt.toml"),
    ),
    (
        "rules/ordnungsamt.toml",
        include_str!("../../rules/ordnungsamt.toml"),
    ),
    ("rules/bauamt.toml", include_str!("../../rules/bauamt.toml")),
    (
        "rules/steueramt.toml",
        include_str!("../../rules/steueramt.toml"),
    ),
    (
        "rules/kinderbetreuung.toml",
        include_str!("../../rules/kinderbetreuung.toml"),
    ),
    (
        "rules/soziales.toml",
        include_str!("../../rules/soziales.toml"),
    ),
    (
        "rules/friedhof.toml",
        include_str!("../../rules/friedhof.toml"),
    ),
    ("rules/umwelt.toml", include_str!("../../rules/umwelt.toml")),
];

impl Rules {
    /// The rules shipped in `rules/`, compiled into the binary.
    ///
    /// The shipped files are pinned by a unit test; should they ever fail to compile the
    /// result is an empty rule set (every mail unclassified, for a person) and an error log.
    pub fn builtin() -> Rules {
        match Self::from_sources(BUILTIN.iter().map(|(p, t)| (PathBuf::from(p), *t))) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("built-in rules do not compile: {e}");
                Rules {
                    departments: vec![Department {
                        id: "buergerbuero".into(),
                        name: "Bürgerbüro".into(),
                        name_en: "Citizens' Office".into(),
                        forward_to: "buergerbuero@hochheim.de".into(),
                        home_visit: true,
                        concerns: Vec::new(),
                    }],
                    mention_contexts: Vec::new(),
                    threshold: DEFAULT_THRESHOLD,
                    prefilter: Default::default(),
                }
            }
        }
    }

    /// Load every `*.toml` in `dir`. A broken file is refused, naming file, rule and cause;
    /// so are duplicate concern ids and missing fields.
    pub fn load_dir(dir: &Path) -> Result<Rules, RulesError> {
        load::load_dir(dir)
    }

    /// Compile rule file texts; the paths only name the files in errors.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (PathBuf, &'a str)>,
    ) -> Result<Rules, RulesError> {
        load::compile(sources)
    }

    pub fn department(&self, id: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.id == id)
    }

    /// A concern by id, with the department owning it.
    pub fn concern(&self, id: &str) -> Option<(&Department, &Concern)> {
        self.departments
            .iter()
            .find_map(|d| d.concerns.iter().find(|c| c.id == id).map(|c| (d, c)))
    }

    /// Classify one mail (see `engine` for how scores, negatives and mentions work).
    pub fn classify(&self, input: &ClassifyInput<'_>) -> Classification {
        engine::classify(self, input)
    }
}

#[cfg(test)]
mod tests;
