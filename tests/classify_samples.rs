//! The classifier and language detection over the 40 labelled sample mails in
//! `../shared/samples/mails` (read-only): for requests, department, needs_specialist and
//! concerns ⊆ found must match, and the language; for every mail with a language label
//! the detected language is checked too.

use buergerservice::classify::{ClassifyInput, Rules};
use buergerservice::extract::language::{self, Language};
use std::path::{Path, PathBuf};

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples/mails")
}

/// Subject, new text, quote and Content-Language as the real parser splits them.
struct Decoded {
    subject: String,
    new_text: String,
    quoted: String,
    content_language: Option<String>,
}

fn crude_decode(raw: &[u8]) -> Decoded {
    let m = buergerservice::parse::parse(raw).expect("every sample parses");
    Decoded { subject: m.subject, new_text: m.body.new_text, quoted: m.body.quoted, content_language: m.content_language }
}

#[derive(Debug)]
struct Label {
    kind: String,
    department: Option<String>,
    needs_specialist: Option<bool>,
    concerns: Vec<String>,
    language: Option<String>,
}

fn read_label(path: &Path) -> Label {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: toml::Table =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    Label {
        kind: s("kind").unwrap_or_default(),
        department: s("department"),
        needs_specialist: v.get("needs_specialist").and_then(|x| x.as_bool()),
        concerns: v
            .get("concerns")
            .and_then(|x| x.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|c| c.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        language: s("language"),
    }
}

fn cases() -> Vec<(String, Vec<u8>, Label)> {
    let dir = samples_dir();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|p| {
            let raw = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let label = read_label(&p.with_extension("expect.toml"));
            (
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                raw,
                label,
            )
        })
        .collect()
}

#[test]
fn all_forty_samples_are_present() {
    // Guards against passing on an empty or moved folder.
    assert_eq!(cases().len(), 40);
}

#[test]
fn requests_get_department_specialist_flag_and_concerns_of_their_label() {
    let rules = Rules::builtin();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, raw, label) in cases() {
        if label.kind != "request" {
            continue;
        }
        checked += 1;
        let mail = crude_decode(&raw);
        let c = rules.classify(&ClassifyInput {
            subject: &mail.subject,
            new_text: &mail.new_text,
            quoted: &mail.quoted,
        });
        let mut wrong = Vec::new();
        if Some(&c.department) != label.department.as_ref() {
            wrong.push(format!(
                "department {} (want {:?})",
                c.department, label.department
            ));
        }
        if Some(c.needs_specialist) != label.needs_specialist {
            wrong.push(format!("needs_specialist {}", c.needs_specialist));
        }
        let missing: Vec<&String> = label
            .concerns
            .iter()
            .filter(|x| !c.concerns.contains(x))
            .collect();
        if !missing.is_empty() {
            wrong.push(format!("missing concerns {missing:?}"));
        }
        if !(0.0..=1.0).contains(&c.confidence) || c.unclassified {
            wrong.push(format!(
                "confidence {} unclassified {}",
                c.confidence, c.unclassified
            ));
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{name}: {} — got {:?}\n  {}",
                wrong.join(", "),
                c.concerns,
                c.reasons.join("\n  ")
            ));
        }
    }
    assert_eq!(checked, 31);
    assert!(
        failures.is_empty(),
        "{} of {checked} requests wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Extra concerns are allowed by the labels but each one is noise for staff: keep a
/// record of them so a rule change that adds many shows up.
#[test]
fn requests_raise_few_extra_concerns() {
    let rules = Rules::builtin();
    let mut extras = Vec::new();
    for (name, raw, label) in cases() {
        if label.kind != "request" {
            continue;
        }
        let mail = crude_decode(&raw);
        let c = rules.classify(&ClassifyInput {
            subject: &mail.subject,
            new_text: &mail.new_text,
            quoted: &mail.quoted,
        });
        for x in c.concerns.iter().filter(|x| !label.concerns.contains(x)) {
            extras.push(format!("{name}: {x}"));
        }
    }
    assert!(extras.len() <= 3, "extra concerns:\n{}", extras.join("\n"));
}

#[test]
fn language_matches_label() {
    let mut failures = Vec::new();
    for (name, raw, label) in cases() {
        let Some(want) = label.language.as_deref() else {
            continue;
        };
        let mail = crude_decode(&raw);
        let got = language::detect(
            &format!("{}\n{}", mail.subject, mail.new_text),
            mail.content_language.as_deref(),
        );
        let want = match want {
            "de" => Language::De,
            "en" => Language::En,
            _ => Language::Other,
        };
        if got != want {
            failures.push(format!("{name} ({}): {got:?}, want {want:?}", label.kind));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
