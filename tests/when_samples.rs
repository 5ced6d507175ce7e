//! The labelled sample mails: every `must_avail` / `must_not` probe is checked the way
//! /work/shared/tools/score.py (`score_case`) checks it.

use buergerservice::extract::when::{availability, Availability, Window};
use buergerservice::tz;
use std::path::{Path, PathBuf};

const SAMPLES: &str = "/work/shared/samples/mails";

/// Crude decode of the citizen's new text — until parse lands (the integrator switches
/// this to `parse::parse`).
fn new_text(bytes: &[u8]) -> String {
    let Some(msg) = mail_parser::MessageParser::default().parse(bytes) else {
        return String::new();
    };
    let body = msg.body_text(0).map(|c| c.to_string()).unwrap_or_default();
    let mut out = Vec::new();
    for line in body.lines() {
        let l = line.trim_start();
        if l.starts_with('>')
            || l.contains("-----Ursprüngliche Nachricht-----")
            || l.starts_with("Gesendet: ")
            || l.starts_with("Von: ")
            || ((l.starts_with("Am ") && l.contains("schrieb"))
                || (l.starts_with("On ") && l.contains("wrote")))
        {
            break;
        }
        out.push(line);
    }
    out.join("\n")
}

fn cases() -> Vec<(String, PathBuf, toml::Value)> {
    let mut v = Vec::new();
    let Ok(rd) = std::fs::read_dir(SAMPLES) else {
        return v;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "eml") {
            let lab = p.with_extension("expect.toml");
            let Ok(s) = std::fs::read_to_string(&lab) else {
                continue;
            };
            let Ok(t) = s.parse::<toml::Value>() else {
                continue;
            };
            let name = p
                .file_name()
                .map(|x| x.to_string_lossy().to_string())
                .unwrap_or_default();
            v.push((name, p, t));
        }
    }
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn local(s: &str) -> jiff::Zoned {
    s.parse::<jiff::civil::DateTime>()
        .unwrap()
        .to_zoned(tz::berlin())
        .unwrap()
}

fn inside(t: &jiff::Zoned, ivs: &[Window]) -> bool {
    ivs.iter().any(|w| w.start <= *t && *t < w.end)
}

fn run(p: &Path, lab: &toml::Value) -> Availability {
    let now = tz::parse_instant(lab["now"].as_str().unwrap()).unwrap();
    let bytes = std::fs::read(p).unwrap();
    availability(&new_text(&bytes), &now)
}

fn probes(lab: &toml::Value, key: &str) -> Vec<String> {
    lab.get(key)
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_labelled_time_probe_passes_like_score_py() {
    let mut failures = Vec::new();
    let mut n = 0;
    for (name, p, lab) in cases() {
        let avail = probes(&lab, "must_avail");
        let not = probes(&lab, "must_not");
        if avail.is_empty() && not.is_empty() {
            continue;
        }
        n += 1;
        let a = run(&p, &lab);
        for s in &avail {
            let t = local(s);
            let ok = (!a.stated || inside(&t, &a.windows)) && !inside(&t, &a.excluded);
            if !ok {
                failures.push(format!("{name}: avail {s}"));
            }
        }
        for s in &not {
            let t = local(s);
            let ok = a.stated && (inside(&t, &a.excluded) || !inside(&t, &a.windows));
            if !ok {
                failures.push(format!("{name}: not {s}"));
            }
        }
    }
    assert!(n >= 20, "only {n} labelled cases found");
    assert!(
        failures.is_empty(),
        "{} probe(s) fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn mails_without_a_visit_wish_state_none() {
    // Times about something else: the noise at night (021), phone hours (022), nursery
    // hours and a birth date (024), and mails with no times at all.
    for (name, p, lab) in cases() {
        let id = &name[..3];
        if !["020", "021", "022", "023", "024", "026", "027", "031"].contains(&id) {
            continue;
        }
        let a = run(&p, &lab);
        assert!(!a.stated, "{name}: stated a wish: {:?}", a.windows.first());
    }
}

#[test]
fn windows_are_sorted_and_disjoint_in_every_sample() {
    for (name, p, lab) in cases() {
        let a = run(&p, &lab);
        for w in a.windows.windows(2) {
            assert!(
                w[0].end < w[1].start,
                "{name}: overlapping or unsorted windows"
            );
        }
        for w in &a.windows {
            assert!(w.start < w.end, "{name}: empty window");
        }
    }
}
