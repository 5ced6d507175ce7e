//! The 40 labelled sample mails in `../shared/samples/mails`: every label field must hold,
//! judged as `../shared/tools/score.py` judges it (see the samples' README).

use buergerservice::classify::Rules;
use buergerservice::config::Config;
use buergerservice::triage::{triage, Context, Triage};
use buergerservice::schedule::calendar::hessian_holiday;
use buergerservice::tz::{berlin, parse_instant};
use jiff::civil::DateTime;
use jiff::Zoned;
use std::path::{Path, PathBuf};

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples/mails")
}

fn norm(s: &str) -> String {
    let mut s = s.to_lowercase().trim().to_string();
    for (a, b) in [("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("str.", "strasse"), ("straße", "strasse"), (" ", ""), ("-", "")] {
        s = s.replace(a, b);
    }
    s
}

fn local(s: &str) -> Zoned {
    s.parse::<DateTime>().unwrap().to_zoned(berlin()).unwrap()
}

fn inside(t: &Zoned, ivs: &[(Zoned, Zoned)]) -> bool {
    ivs.iter().any(|(a, b)| a <= t && t < b)
}

/// Compare one triage with its label; returns the failures.
fn check(label: &toml::Table, t: &Triage) -> Vec<String> {
    let mut fails = Vec::new();
    let s = |k: &str| label.get(k).and_then(|v| v.as_str());
    let kind = serde_json::to_value(t.kind).unwrap();
    if kind.as_str() != s("kind") {
        fails.push(format!("kind {kind} != {:?}", s("kind")));
    }
    if s("kind") == Some("request") {
        if t.department.as_deref() != s("department") {
            fails.push(format!("department {:?} != {:?}", t.department, s("department")));
        }
        if Some(t.needs_specialist) != label.get("needs_specialist").and_then(|v| v.as_bool()) {
            fails.push(format!("needs_specialist {}", t.needs_specialist));
        }
        for c in label.get("concerns").and_then(|v| v.as_array()).into_iter().flatten() {
            let c = c.as_str().unwrap();
            if !t.concerns.iter().any(|x| x == c) {
                fails.push(format!("concern {c} missing (got {:?})", t.concerns));
            }
        }
        if let Some(lang) = s("language") {
            let got = serde_json::to_value(t.language).unwrap();
            if got.as_str() != Some(lang) {
                fails.push(format!("language {got} != {lang}"));
            }
        }
    }
    if let Some(p) = label.get("persons").and_then(|v| v.as_integer()) {
        if t.persons != Some(p as u32) {
            fails.push(format!("persons {:?} != {p}", t.persons));
        }
    }
    if let Some(a) = label.get("address").and_then(|v| v.as_table()) {
        let want = (norm(a["street"].as_str().unwrap()), norm(a["house_number"].as_str().unwrap()));
        let got = t.address.as_ref().map(|g| (norm(&g.street), norm(&g.house_number)));
        if got.as_ref() != Some(&want) {
            fails.push(format!("address {got:?} != {want:?}"));
        }
    }
    if s("kind") == Some("case_reply") {
        if let Some(c) = s("case_id") {
            if t.case_id.map(|c| c.to_string()).as_deref() != Some(c) {
                fails.push(format!("case_id {:?} != {c}", t.case_id));
            }
        }
        if let Some(c) = label.get("choice").and_then(|v| v.as_integer()) {
            if t.choice != Some(c as u32) {
                fails.push(format!("choice {:?} != {c}", t.choice));
            }
        }
        if label.get("cancel").and_then(|v| v.as_bool()) == Some(true) && !t.cancel {
            fails.push("cancel not recognised".into());
        }
        if label.get("reschedule").and_then(|v| v.as_bool()) == Some(true) && !t.reschedule {
            fails.push("reschedule not recognised".into());
        }
    }
    let av = &t.availability;
    let win: Vec<_> = av.windows.iter().map(|w| (w.start.clone(), w.end.clone())).collect();
    let exc: Vec<_> = av.excluded.iter().map(|w| (w.start.clone(), w.end.clone())).collect();
    for p in label.get("must_avail").and_then(|v| v.as_array()).into_iter().flatten() {
        let at = local(p.as_str().unwrap());
        if !((!av.stated || inside(&at, &win)) && !inside(&at, &exc)) {
            fails.push(format!("should be available at {p}"));
        }
    }
    for p in label.get("must_not").and_then(|v| v.as_array()).into_iter().flatten() {
        let at = local(p.as_str().unwrap());
        if !(av.stated && (inside(&at, &exc) || !inside(&at, &win))) {
            fails.push(format!("should not be available at {p}"));
        }
    }
    if s("kind") == Some("request") && s("department") == Some("buergerbuero") {
        check_proposals(label, t, &mut fails);
    }
    fails
}

fn pairs(label: &toml::Table, key: &str) -> Vec<(Zoned, Zoned)> {
    label
        .get(key)
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .map(|p| {
            let p = p.as_array().unwrap();
            (local(p[0].as_str().unwrap()), local(p[1].as_str().unwrap()))
        })
        .collect()
}

/// Could the office meet the wish at all under its default rules (as score.py asks)?
fn wish_feasible(within: &[(Zoned, Zoned)], avoid: &[(Zoned, Zoned)], now: &Zoned) -> bool {
    let earliest = (now + jiff::Span::new().hours(24)).max(local("2027-04-03T00:00"));
    let step = jiff::Span::new().minutes(30);
    within.iter().any(|(wa, wb)| {
        let mut t = wa.clone().max(earliest.clone());
        while &(&t + step) <= wb {
            let d = t.date();
            let wd = d.weekday().to_monday_zero_offset();
            let hours = match wd { 0..=4 => Some((8, 21)), 5 => Some((9, 14)), _ => None };
            let e = &t + step;
            let ok = hours.is_some_and(|(a, b)| t.hour() >= a && i32::from(e.hour()) * 60 + i32::from(e.minute()) <= b * 60)
                && hessian_holiday(d).is_none()
                && !(wd == 5 && d.day() > 7)
                && !avoid.iter().any(|(va, vb)| &t < vb && va < e);
            if ok {
                return true;
            }
            t = e;
        }
        false
    })
}

fn check_proposals(label: &toml::Table, t: &Triage, fails: &mut Vec<String>) {
    let Some(props) = &t.proposals else {
        fails.push("no proposals for a Bürgerbüro request".into());
        return;
    };
    if props.is_empty() {
        fails.push("no proposals".into());
    }
    let within = pairs(label, "within");
    let avoid = pairs(label, "avoid");
    let now = parse_instant(label["now"].as_str().unwrap()).unwrap();
    if props.iter().any(|p| !p.fits) && !within.is_empty() && wish_feasible(&within, &avoid, &now) {
        fails.push("proposal marked as not fitting although the wish can be met".into());
    }
    for p in props {
        let (a, b) = (&p.start, &p.end);
        let d = a.date();
        let what = a.strftime("%a %d.%m. %H:%M").to_string();
        if p.fits && !within.is_empty() && !within.iter().any(|(wa, wb)| wa <= a && b <= wb) {
            fails.push(format!("proposal {what} outside the wish"));
        }
        if p.fits && avoid.iter().any(|(va, vb)| a < vb && va < b) {
            fails.push(format!("proposal {what} in an avoided interval"));
        }
        let wd = d.weekday().to_monday_zero_offset();
        if wd == 6 || (wd == 5 && d.day() > 7) || hessian_holiday(d).is_some() || a < now || a < local("2027-04-03T00:00") {
            fails.push(format!("proposal {what} breaks an office rule"));
        }
    }
}

#[test]
fn every_labelled_sample_triages_as_labelled() {
    let rules = Rules::builtin();
    let planning = Config::default().planning_rules(&[]);
    let ctx = Context { rules: &rules, planning: Some(&planning) };
    let mut labels: Vec<_> = std::fs::read_dir(samples_dir())
        .expect("../shared/samples/mails is there")
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".expect.toml"))
        .collect();
    labels.sort();
    assert_eq!(labels.len(), 40, "the 40 labelled samples");
    let mut report = Vec::new();
    for label_path in &labels {
        let label: toml::Table = std::fs::read_to_string(label_path).unwrap().parse().unwrap();
        let eml = PathBuf::from(label_path.to_string_lossy().replace(".expect.toml", ".eml"));
        let now = parse_instant(label["now"].as_str().unwrap()).unwrap();
        let raw = std::fs::read(&eml).unwrap();
        let name = eml.file_name().unwrap().to_string_lossy().to_string();
        match triage(&name, &raw, Some(&now), &now, ctx) {
            Ok(t) => {
                let fails = check(&label, &t);
                if !fails.is_empty() {
                    report.push(format!("{name}: {}", fails.join("; ")));
                }
            }
            Err(e) => report.push(format!("{name}: error {}", e.error)),
        }
    }
    assert!(report.is_empty(), "{} of 40 samples fail:\n{}", report.len(), report.join("\n"));
}
