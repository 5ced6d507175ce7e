//! Every labelled `persons`, `address`, `choice`, `cancel` and `reschedule` in the 40
//! public samples must come out of `household::extract` / `reply::extract`.

use buergerservice::extract::household::{self, address_key};
use buergerservice::extract::reply;
use std::path::{Path, PathBuf};

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/samples/mails");

/// A mail body cut into new text, signature and quote.
struct Split {
    new_text: String,
    signature: String,
    quoted: String,
}

/// The mail as the real parser splits it.
fn parsed(path: &Path) -> Split {
    let bytes = std::fs::read(path).unwrap_or_default();
    let m = buergerservice::parse::parse(&bytes).expect("every sample parses");
    Split { new_text: m.body.new_text, signature: m.body.signature, quoted: m.body.quoted }
}

fn cases() -> Vec<(PathBuf, toml::Table)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir(SAMPLES) else { return out };
    let mut paths: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.extension().is_some_and(|e| e == "eml") {
            let label = p.with_extension("expect.toml");
            let table: toml::Table = std::fs::read_to_string(&label)
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or_default();
            out.push((p, table));
        }
    }
    out
}

fn name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().chars().take(3).collect()).unwrap_or_default()
}

#[test]
fn all_forty_samples_are_there() {
    assert_eq!(cases().len(), 40);
}

#[test]
fn labelled_persons_address_and_reply_intent_match() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (path, label) in cases() {
        let id = name(&path);
        let kind = label.get("kind").and_then(|k| k.as_str()).unwrap_or("");
        if kind == "auto_reply" || kind == "bounce" {
            continue;
        }
        let s = parsed(&path);
        let h = household::extract(&s.new_text, &s.signature);
        if let Some(exp) = label.get("persons").and_then(|v| v.as_integer()) {
            checked += 1;
            if h.persons != Some(exp as u32) {
                failures.push(format!("{id} persons: got {:?}, want {exp}", h.persons));
            }
        }
        if let Some(exp) = label.get("address").and_then(|v| v.as_table()) {
            checked += 1;
            let want = address_key(
                exp.get("street").and_then(|v| v.as_str()).unwrap_or(""),
                exp.get("house_number").and_then(|v| v.as_str()).unwrap_or(""),
            );
            let got = h.address.as_ref().map(|a| address_key(&a.street, &a.house_number));
            if got.as_deref() != Some(want.as_str()) {
                failures.push(format!("{id} address: got {:?}, want {want}", h.address));
            }
        }
        if kind == "case_reply" {
            let now = label
                .get("now")
                .and_then(|v| v.as_str())
                .and_then(|s| buergerservice::tz::parse_instant(s).ok())
                .unwrap_or_else(jiff::Zoned::now);
            let r = reply::extract(&s.new_text, &s.quoted, &now);
            let want_choice = label.get("choice").and_then(|v| v.as_integer()).map(|c| c as u32);
            let want_cancel = label.get("cancel").and_then(|v| v.as_bool()).unwrap_or(false);
            let want_move = label.get("reschedule").and_then(|v| v.as_bool()).unwrap_or(false);
            checked += 1;
            // Absent choice/cancel/reschedule labels mean "not this": a pure cancel or move
            // must not also pick an option, and a choice is neither cancel nor move.
            if r.choice != want_choice || r.cancel != want_cancel || r.reschedule != want_move {
                failures.push(format!(
                    "{id} reply: got {r:?}, want choice {want_choice:?} cancel {want_cancel} reschedule {want_move}"
                ));
            }
        }
    }
    assert!(checked > 40, "only {checked} labels checked");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

/// The phone is not labelled; pin the ones the samples' signatures write.
#[test]
fn sample_signature_phones() {
    let want = [("001", "06146 812345"), ("002", "0160 95512873"), ("006", "06146 83391"), ("012", "0611 7654321"), ("018", "0151 22874410"), ("022", "06146 904417")];
    for (path, label) in cases() {
        let id = name(&path);
        if matches!(label.get("kind").and_then(|k| k.as_str()), Some("auto_reply" | "bounce")) {
            continue;
        }
        let s = parsed(&path);
        let h = household::extract(&s.new_text, &s.signature);
        match want.iter().find(|(w, _)| *w == id) {
            Some((_, p)) => assert_eq!(h.phone.as_deref(), Some(*p), "{id}"),
            None => assert_eq!(h.phone, None, "{id} has no phone"),
        }
    }
}
