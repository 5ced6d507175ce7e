//! The `triage` and `when` commands as a user runs them: the JSON contract, errors per
//! file without stopping the others, and the exit status.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_buergerservice"))
}

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/samples/mails/001-personalausweis-ehepaar-donnerstags-ab-18-nicht-22-april.eml");

#[test]
fn triage_prints_one_json_object_per_file_with_exactly_the_contract_keys() {
    let out = bin().args(["triage", SAMPLE, SAMPLE]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 2);
    let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    let mut want = vec![
        "file", "message_id", "from", "reply_to", "subject", "language", "kind", "department", "needs_specialist", "concerns",
        "confidence", "reasons", "persons", "address", "phone", "case_id", "choice", "cancel", "reschedule", "availability",
        "proposals",
    ];
    want.sort();
    assert_eq!(keys, want);
    // RFC 3339 with the Berlin offset, no zone annotation.
    let start = v["availability"]["windows"][0]["start"].as_str().unwrap();
    assert!(start.parse::<jiff::Timestamp>().is_ok() && start.ends_with("+02:00"), "{start}");
    assert_eq!(v["address"]["postal_code"], "65239");
    assert!(v["confidence"].as_f64().unwrap() > 0.0 && v["confidence"].as_f64().unwrap() <= 1.0);
}

#[test]
fn an_unreadable_file_gives_an_error_object_and_exit_1_but_the_others_are_done() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.eml");
    std::fs::write(&empty, b"").unwrap();
    let missing = dir.path().join("missing.eml");
    let out = bin().args(["triage", missing.to_str().unwrap(), empty.to_str().unwrap(), SAMPLE]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = std::str::from_utf8(&out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0]["error"].as_str().unwrap().contains("cannot read"));
    assert!(lines[1]["error"].is_string());
    assert_eq!(lines[2]["kind"], "request");
}

#[test]
fn when_reads_a_phrase_against_now() {
    let out = bin().args(["when", "--now", "2027-04-06T08:00:00+02:00", "donnerstags", "ab", "18", "Uhr,", "nicht", "am", "22.", "April"]).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["stated"], true);
    assert_eq!(v["windows"][0]["start"], "2027-04-08T18:00:00+02:00");
    assert_eq!(v["windows"][0]["end"], "2027-04-08T22:00:00+02:00");
    let windows = v["windows"].as_array().unwrap();
    assert!(!windows.iter().any(|w| w["start"].as_str().unwrap().starts_with("2027-04-22")));
}

#[test]
fn text_format_is_a_readable_summary() {
    let out = bin().args(["triage", "--format", "text", SAMPLE]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("personalausweis") && text.contains("Kolpingstraße 7") && text.contains("proposal:"), "{text}");
}

#[test]
fn the_demo_runs_and_staff_can_list_and_show_its_cases() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let out = bin().args(["run", "--demo", demo.to_str().unwrap(), "--once"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("Terminbestätigung") && stdout.contains("(+ .ics)") && stdout.contains("standesamt@hochheim.de"), "{stdout}");
    let store = demo.join("store");
    let list = bin().args(["cases", "list", "--store", store.to_str().unwrap()]).output().unwrap();
    let list = String::from_utf8_lossy(&list.stdout).to_string();
    assert_eq!(list.lines().count(), 4, "{list}");
    assert!(list.lines().next().unwrap().contains("booked"), "{list}");
    let id = list.split_whitespace().next().unwrap();
    let show = bin().args(["cases", "show", id, "--store", store.to_str().unwrap(), "--format", "json"]).output().unwrap();
    let case: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(case["status"], "booked");
    let events: Vec<&str> = case["history"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(&events[..3], &["received", "classified", "proposed"], "{events:?}");
    assert!(events.contains(&"booked") && events.contains(&"reply_sent"), "{events:?}");
    // The staff's day shows the visit with where to go and what the household has ready.
    let start: jiff::Timestamp = case["booking"]["start"].as_str().unwrap().parse().unwrap();
    let day = start.to_zoned(buergerservice::tz::berlin()).date().to_string();
    let agenda = bin().args(["agenda", "--store", store.to_str().unwrap(), "--date", &day, "--format", "json"]).output().unwrap();
    assert!(agenda.status.success(), "{}", String::from_utf8_lossy(&agenda.stderr));
    let items: serde_json::Value = serde_json::from_slice(&agenda.stdout).unwrap();
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["case"], id);
    assert_eq!(items[0]["address"], "Kolpingstraße 7, 65239 Hochheim am Main");
    assert_eq!(items[0]["persons"], 2);
    assert!(!items[0]["documents"].as_array().unwrap().is_empty());
    let text = bin().args(["agenda", "--store", store.to_str().unwrap(), "--date", &day]).output().unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("Kolpingstraße 7"));
}
