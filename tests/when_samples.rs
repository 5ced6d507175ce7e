//! The labelled sample mails: every `must_avail` / `must_not` probe is checked the way
//! ../shared/tools/score.py (`score_case`) checks it.

use buergerservice::extract::when::{availability, Availability, Window};
use buergerservice::tz;
use std::path::{Path, PathBuf};

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/samples/mails");

/// The citizen's new text, as the real parser splits it.
fn new_text(bytes: &[u8]) -> String {
    buergerservice::parse::parse(bytes).map(|m| m.body.new_text).unwrap_or_default()
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
    assert_eq!(v.len(), 40, "the 40 labelled samples in {SAMPLES}");
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
