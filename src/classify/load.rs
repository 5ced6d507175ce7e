//! Rule files: the TOML schema, and its compilation into [`Rules`]. The only I/O of the
//! classifier is [`load_dir`] reading the files; everything else works on strings.

use super::{
    Concern, Department, MentionContext, Negative, Pattern, Rules, RulesError, Scope, VisitDuration,
};
use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// A department file (`rules/<id>.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DepartmentSpec {
    id: String,
    name: String,
    name_en: String,
    forward_to: String,
    home_visit: bool,
    #[serde(default)]
    concerns: Vec<ConcernSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConcernSpec {
    id: String,
    name: String,
    name_en: String,
    visit: Option<VisitSpec>,
    #[serde(default)]
    documents: Vec<String>,
    #[serde(default)]
    documents_en: Vec<String>,
    notice: Option<String>,
    notice_en: Option<String>,
    #[serde(default)]
    min_score: Option<f64>,
    #[serde(default)]
    yields_to: Vec<String>,
    patterns: Vec<PatternSpec>,
    #[serde(default)]
    negative: Vec<NegativeSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VisitSpec {
    base_minutes: u32,
    per_extra_person_minutes: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternSpec {
    regex: String,
    weight: f64,
    #[serde(default)]
    with: Option<String>,
    #[serde(default)]
    unless: Vec<String>,
    #[serde(default)]
    generic: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NegativeSpec {
    regex: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    subtract: Option<f64>,
    #[serde(default)]
    note: Option<String>,
}

/// The shared file (`rules/common.toml`): contexts in which any concern is only mentioned.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommonSpec {
    #[serde(default)]
    threshold: Option<f64>,
    mention_contexts: Vec<MentionSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MentionSpec {
    regex: String,
    note: String,
}

/// Default score a concern needs to be raised (one strong cue, or two medium ones).
pub const DEFAULT_THRESHOLD: f64 = 2.0;

/// Read every `*.toml` in `dir` (sorted by name, so the result does not depend on the
/// file system's order) and compile them.
pub fn load_dir(dir: &Path) -> Result<Rules, RulesError> {
    let entries = std::fs::read_dir(dir).map_err(|error| RulesError::Io {
        file: dir.to_path_buf(),
        error,
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|error| RulesError::Io {
            file: dir.to_path_buf(),
            error,
        })?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    let mut sources = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|error| RulesError::Io {
            file: path.clone(),
            error,
        })?;
        sources.push((path, text));
    }
    if sources.is_empty() {
        return Err(RulesError::Invalid {
            file: dir.to_path_buf(),
            message: "no *.toml rule files in this directory".into(),
        });
    }
    compile(sources.iter().map(|(p, t)| (p.clone(), t.as_str())))
}

/// Compile rule file texts (named for error messages) into [`Rules`].
pub fn compile<'a>(
    sources: impl IntoIterator<Item = (PathBuf, &'a str)>,
) -> Result<Rules, RulesError> {
    let mut rules = Rules {
        departments: Vec::new(),
        mention_contexts: Vec::new(),
        threshold: DEFAULT_THRESHOLD,
        prefilter: Default::default(),
    };
    let mut owner: HashMap<String, PathBuf> = HashMap::new();
    let mut dept_ids: HashMap<String, PathBuf> = HashMap::new();
    let mut common_seen: Option<PathBuf> = None;
    let mut yields: Vec<(PathBuf, String, String)> = Vec::new();
    for (file, text) in sources {
        let table: toml::Table = toml::from_str(text).map_err(|e| RulesError::Syntax {
            file: file.clone(),
            message: e.to_string(),
        })?;
        let syntax = |e: toml::de::Error| RulesError::Syntax {
            file: file.clone(),
            message: e.to_string(),
        };
        if !table.contains_key("id") && !table.contains_key("concerns") {
            if !table.contains_key("mention_contexts") {
                return Err(RulesError::Invalid {
                    file,
                    message: "neither a department file (missing field `id`) nor the shared file (`mention_contexts`)".into(),
                });
            }
            if let Some(first) = &common_seen {
                return Err(RulesError::Invalid {
                    file,
                    message: format!(
                        "second shared file; `mention_contexts` already come from {}",
                        first.display()
                    ),
                });
            }
            let spec: CommonSpec = toml::Value::Table(table).try_into().map_err(syntax)?;
            if let Some(t) = spec.threshold {
                rules.threshold = check_weight(&file, "threshold", t)?;
            }
            for m in spec.mention_contexts {
                let regex = build(&file, &format!("mention context `{}`", m.regex), &m.regex)?;
                rules.mention_contexts.push(MentionContext {
                    regex,
                    note: m.note,
                });
            }
            common_seen = Some(file);
            continue;
        }
        let spec: DepartmentSpec = toml::Value::Table(table).try_into().map_err(syntax)?;
        check_id(&file, "department", &spec.id)?;
        if let Some(first) = dept_ids.insert(spec.id.clone(), file.clone()) {
            return Err(RulesError::Invalid {
                file,
                message: format!(
                    "department `{}` is already defined in {}",
                    spec.id,
                    first.display()
                ),
            });
        }
        let mut concerns = Vec::new();
        for c in spec.concerns {
            check_id(&file, "concern", &c.id)?;
            if let Some(first) = owner.insert(c.id.clone(), file.clone()) {
                return Err(RulesError::Invalid {
                    file,
                    message: format!(
                        "duplicate concern id `{}` (first defined in {})",
                        c.id,
                        first.display()
                    ),
                });
            }
            if c.patterns.is_empty() {
                return Err(RulesError::Invalid {
                    file,
                    message: format!("concern `{}` has no patterns", c.id),
                });
            }
            let mut patterns = Vec::new();
            for p in &c.patterns {
                let rule = format!("{} pattern `{}`", c.id, p.regex);
                let weight = check_weight(&file, &rule, p.weight)?;
                let with = match &p.with {
                    Some(w) => Some(build(
                        &file,
                        &format!("{} pattern `{}` with `{}`", c.id, p.regex, w),
                        w,
                    )?),
                    None => None,
                };
                let unless = p
                    .unless
                    .iter()
                    .map(|u| {
                        build(
                            &file,
                            &format!("{} pattern `{}` unless `{}`", c.id, p.regex, u),
                            u,
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                patterns.push(Pattern {
                    regex: build(&file, &rule, &p.regex)?,
                    source: p.regex.clone(),
                    weight,
                    with,
                    unless,
                    generic: p.generic,
                });
            }
            let mut negatives = Vec::new();
            for n in &c.negative {
                let rule = format!("{} negative `{}`", c.id, n.regex);
                let scope = match n.scope.as_deref().unwrap_or("sentence") {
                    "clause" => Scope::Clause,
                    "sentence" => Scope::Sentence,
                    "mail" => Scope::Mail,
                    other => {
                        return Err(RulesError::Invalid {
                            file,
                            message: format!(
                                "rule {rule}: scope `{other}` is not one of clause, sentence, mail"
                            ),
                        })
                    }
                };
                let subtract = match n.subtract {
                    Some(s) => Some(check_weight(&file, &rule, s)?),
                    None => None,
                };
                negatives.push(Negative {
                    regex: build(&file, &rule, &n.regex)?,
                    source: n.regex.clone(),
                    scope,
                    subtract,
                    note: n.note.clone(),
                });
            }
            for y in &c.yields_to {
                yields.push((file.clone(), c.id.clone(), y.clone()));
            }
            concerns.push(Concern {
                id: c.id,
                name: c.name,
                name_en: c.name_en,
                visit: c.visit.map(|v| VisitDuration {
                    base_minutes: v.base_minutes,
                    per_extra_person_minutes: v.per_extra_person_minutes,
                }),
                documents: c.documents,
                documents_en: c.documents_en,
                notice: c.notice,
                notice_en: c.notice_en,
                min_score: c.min_score,
                yields_to: c.yields_to,
                patterns,
                negatives,
            });
        }
        rules.departments.push(Department {
            id: spec.id,
            name: spec.name,
            name_en: spec.name_en,
            forward_to: spec.forward_to,
            home_visit: spec.home_visit,
            concerns,
        });
    }
    let known: HashSet<&String> = owner.keys().collect();
    for (file, id, y) in &yields {
        if !known.contains(y) {
            return Err(RulesError::Invalid {
                file: file.clone(),
                message: format!("concern `{id}`: yields_to names unknown concern `{y}`"),
            });
        }
    }
    if !rules.departments.iter().any(|d| d.id == "buergerbuero") {
        return Err(RulesError::Invalid {
            file: PathBuf::from("rules"),
            message: "no `buergerbuero` department: unclassified mail has nowhere to go".into(),
        });
    }
    rules.prefilter = super::prefilter::Prefilter::build(&rules.departments);
    Ok(rules)
}

/// Patterns are written in normalised form; an umlaut or upper-case letter could never
/// match, so it is refused with a hint instead of silently never firing.
fn build(file: &Path, rule: &str, pattern: &str) -> Result<Regex, RulesError> {
    if let Some(c) = pattern.chars().find(|c| !c.is_ascii() && c.is_alphabetic()) {
        return Err(RulesError::Invalid {
            file: file.to_path_buf(),
            message: format!("rule {rule}: `{c}` in a pattern; write patterns normalised (ae/oe/ue/ss, no accents)"),
        });
    }
    RegexBuilder::new(&super::normalize::ascii_words(pattern))
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| RulesError::Regex {
            file: file.to_path_buf(),
            rule: rule.to_string(),
            error: Box::new(e),
        })
}

fn check_id(file: &Path, what: &str, id: &str) -> Result<(), RulesError> {
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(RulesError::Invalid {
            file: file.to_path_buf(),
            message: format!("{what} id `{id}`: use a-z, 0-9 and _ only"),
        });
    }
    Ok(())
}

fn check_weight(file: &Path, rule: &str, w: f64) -> Result<f64, RulesError> {
    if !w.is_finite() || w < 0.0 {
        return Err(RulesError::Invalid {
            file: file.to_path_buf(),
            message: format!("rule {rule}: weight {w} must be a finite number >= 0"),
        });
    }
    Ok(w)
}

