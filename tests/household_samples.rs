//! Every labelled `persons`, `address`, `choice`, `cancel` and `reschedule` in the 40
//! public samples must come out of `household::extract` / `reply::extract`.

use buergerservice::extract::household::{self, address_key};
use buergerservice::extract::reply;
use std::path::{Path, PathBuf};

const SAMPLES: &str = "/work/shared/samples/mails";

/// A mail body cut into new text, signature and quote.
struct Split {
    new_text: String,
    signature: String,
    quoted: String,
}

/// Until parse lands: decode the first text part with mail-parser.
fn body(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_default();
    mail_parser::MessageParser::default()
        .parse(&bytes)
        .and_then(|m| m.body_text(0).map(|b| b.replace("\r\n", "\n")))
        .unwrap_or_default()
}

fn is_quote_header(line: &str) -> bool {
    let t = line.trim();
    t.starts_with("-----Ursprüngliche Nachricht")
        || t.starts_with("-----Original Message")
        || (t.starts_with("Am ") && t.contains("schrieb"))
        || (t.starts_with("On ") && t.contains("wrote"))
        || t.starts_with("Gesendet:")
}

/// Until parse lands: a crude quote cut. The quote runs from a quote header or the first
/// '>' line through the '>' block (or to the end when it has no '>' markers); whatever
/// stands outside is new text (so bottom-posts work).
fn split(text: &str) -> Split {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| is_quote_header(l) || l.trim_start().starts_with('>'));
    let (mut new_lines, mut quoted) = (Vec::new(), Vec::new());
    match start {
        None => new_lines = lines.clone(),
        Some(s) => {
            new_lines.extend_from_slice(&lines[..s]);
            let has_markers = lines[s..].iter().any(|l| l.trim_start().starts_with('>'));
            let mut i = s;
            if has_markers {
                // Header lines, then the '>' block.
                while i < lines.len() && !lines[i].trim_start().starts_with('>') {
                    quoted.push(lines[i].to_string());
                    i += 1;
                }
                while i < lines.len() && (lines[i].trim_start().starts_with('>')) {
                    quoted.push(lines[i].trim_start().trim_start_matches(['>', ' ']).to_string());
                    i += 1;
                }
                new_lines.extend_from_slice(&lines[i..]);
            } else {
                quoted.extend(lines[s..].iter().map(|l| l.to_string()));
            }
        }
    }
    // Signature: after a "-- " line, else after a closing formula and the name line.
    let sig_at = new_lines.iter().position(|l| l.trim_end() == "--").map(|i| i + 1).or_else(|| {
        new_lines.iter().position(|l| is_closing(l)).map(|i| {
            // Skip blank lines and the name.
            let mut j = i + 1;
            while j < new_lines.len() && new_lines[j].trim().is_empty() {
                j += 1;
            }
            (j + 1).min(new_lines.len())
        })
    });
    let (n, s) = match sig_at {
        Some(i) => (new_lines[..i].join("\n"), new_lines[i..].join("\n")),
        None => (new_lines.join("\n"), String::new()),
    };
    Split { new_text: n, signature: s, quoted: quoted.join("\n") }
}

fn is_closing(line: &str) -> bool {
    let l = line.trim().trim_end_matches([',', '!']).to_lowercase();
    [
        "viele grüße", "mit freundlichen grüßen", "freundliche grüße", "beste grüße", "liebe grüße",
        "herzliche grüße", "gruß", "danke und gruß", "danke und viele grüße", "best regards", "kind regards",
        "thanks a lot", "many thanks", "lg", "grüße",
    ]
    .iter()
    .any(|c| l == *c)
        || l.starts_with("lg ")
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
        let s = split(&body(&path));
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
        let s = split(&body(&path));
        let h = household::extract(&s.new_text, &s.signature);
        match want.iter().find(|(w, _)| *w == id) {
            Some((_, p)) => assert_eq!(h.phone.as_deref(), Some(*p), "{id}"),
            None => assert_eq!(h.phone, None, "{id} has no phone"),
        }
    }
}
