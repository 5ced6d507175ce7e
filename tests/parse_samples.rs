//! The 40 labelled sample mails through parse + kind: kind and case id as labelled,
//! headers present, new text clean of the quoted proposal.

use buergerservice::kind::{self, MailKind};
use buergerservice::parse;
use std::path::{Path, PathBuf};

fn samples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples/mails");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == "eml")).collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn label(eml: &Path) -> toml::Value {
    let p = eml.with_extension("expect.toml");
    let s = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    s.parse().unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn num(p: &Path) -> u32 {
    p.file_name().and_then(|n| n.to_str()).and_then(|n| n.get(..3)).and_then(|n| n.parse().ok()).unwrap_or(0)
}

fn sample(n: u32) -> parse::ParsedMail {
    let f = samples().into_iter().find(|f| num(f) == n).unwrap_or_else(|| panic!("sample {n:03}"));
    parse::parse(&std::fs::read(&f).expect("read sample")).expect("parse sample")
}

#[test]
fn every_sample_has_the_labelled_kind_and_case_and_its_headers() {
    let files = samples();
    assert_eq!(files.len(), 40, "sample mails found");
    let mut failures = Vec::new();
    for f in &files {
        let raw = std::fs::read(f).expect("read sample");
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let mail = match parse::parse(&raw) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{name}: parse error {e}"));
                continue;
            }
        };
        let k = kind::detect(&mail);
        let l = label(f);
        let want = match l.get("kind").and_then(|v| v.as_str()) {
            Some("request") => MailKind::Request,
            Some("case_reply") => MailKind::CaseReply,
            Some("auto_reply") => MailKind::AutoReply,
            Some("bounce") => MailKind::Bounce,
            other => panic!("{name}: bad kind {other:?}"),
        };
        if k.kind != want {
            failures.push(format!("{name}: kind {:?} ({}) != {want:?}", k.kind, k.reason));
        }
        if let Some(c) = l.get("case_id").and_then(|v| v.as_str()) {
            if k.case_id.map(|c| c.to_string()).as_deref() != Some(c) {
                failures.push(format!("{name}: case_id {:?} != {c}", k.case_id));
            }
        }
        if want == MailKind::Request && k.case_id.is_some() {
            failures.push(format!("{name}: request with case id {:?}", k.case_id));
        }
        if mail.from.as_ref().is_none_or(|m| m.address.is_empty()) {
            failures.push(format!("{name}: no From"));
        }
        if mail.subject.is_empty() {
            failures.push(format!("{name}: no Subject"));
        }
        if mail.message_id.as_deref().is_none_or(str::is_empty) {
            failures.push(format!("{name}: no Message-ID"));
        }
        if mail.date.is_none() {
            failures.push(format!("{name}: no Date"));
        }
        if mail.body.new_text.trim().is_empty() {
            failures.push(format!("{name}: empty new_text"));
        }
        if mail.text.contains('\u{fffd}') || mail.subject.contains('\u{fffd}') {
            failures.push(format!("{name}: replacement characters"));
        }
        if mail.text.contains('<') && mail.text.contains("</") {
            failures.push(format!("{name}: HTML tags left in text"));
        }
        if !mail.problems.is_empty() {
            failures.push(format!("{name}: problems {:?}", mail.problems));
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn case_replies_keep_the_quoted_proposal_out_of_new_text() {
    for n in 32..=36 {
        let mail = sample(n);
        assert!(!mail.body.new_text.is_empty(), "{n:03}");
        for probe in ["1) ", "2) ", "3) ", "Diese Termine", "Zum Buchen", "Bürgerservice on demand"] {
            assert!(!mail.body.new_text.contains(probe), "{n:03}: new_text holds {probe:?}:\n{}", mail.body.new_text);
            assert!(mail.body.quoted.contains(probe), "{n:03}: quoted lacks {probe:?}:\n{}", mail.body.quoted);
        }
        assert!(!mail.body.quoted.lines().any(|l| l.starts_with('>')), "{n:03}: quote markers left");
    }
}

#[test]
fn bottom_post_032_keeps_termin_3_in_new_text() {
    let mail = sample(32);
    assert!(mail.body.new_text.contains("Termin 3 passt"), "{}", mail.body.new_text);
}

#[test]
fn signature_of_001_holds_the_address_and_phone() {
    let mail = sample(1);
    assert!(mail.body.signature.contains("Kolpingstra"), "{:?}", mail.body);
    assert!(mail.body.signature.contains("06146 812345"));
    assert!(mail.body.new_text.ends_with("Sabine Wendel"));
}

#[test]
fn html_only_007_reads_as_lines_without_tags() {
    let mail = sample(7);
    assert!(mail.text.contains("am 8.9. oder am 9.9. passen"));
    assert!(mail.body.new_text.lines().any(|l| l.trim() == "Dennis Kowalski"), "{}", mail.text);
    assert!(!mail.text.contains("font-family"));
    assert!(mail.body.signature.contains("Delkenheimer Straße 18"));
}

#[test]
fn iphone_text_after_inline_image_is_joined_and_image_listed() {
    let mail = sample(15);
    assert!(mail.text.contains("Kinderreisepass") && mail.text.contains("Von meinem iPhone gesendet"));
    assert!(mail.body.signature.contains("Von meinem iPhone gesendet"));
    assert_eq!(mail.attachments.len(), 1);
    assert_eq!(mail.attachments[0].content_type, "image/jpeg");
    assert_eq!(mail.attachments[0].name.as_deref(), Some("Passbild_Emil.jpg"));
}

#[test]
fn bounce_040_names_the_returned_case() {
    let mail = sample(40);
    assert_eq!(mail.auto.return_path.as_deref(), Some(""));
    assert!(mail.auto.has_delivery_status);
    let k = kind::detect(&mail);
    assert_eq!(k.kind, MailKind::Bounce);
    assert_eq!(k.case_id.map(|c| c.to_string()).as_deref(), Some("BS-2027-00044"));
}

#[test]
fn reply_to_of_031_is_the_address_to_answer() {
    let mail = sample(31);
    assert!(mail.reply_to.is_some());
    assert_eq!(mail.answer_to(), mail.reply_to.as_ref());
}

#[test]
fn auto_replies_037_to_039_are_recognised_even_without_their_automatic_headers() {
    for n in 37..=39 {
        let f = samples().into_iter().find(|f| num(f) == n).expect("sample");
        let raw = String::from_utf8(std::fs::read(&f).expect("read")).expect("utf-8 sample");
        let stripped: String = raw
            .split_inclusive('\n')
            .filter(|l| {
                let l = l.to_ascii_lowercase();
                !(l.starts_with("auto-submitted:")
                    || l.starts_with("x-autoreply:")
                    || l.starts_with("precedence:")
                    || l.starts_with("x-ms-exchange-organization-autoreply:"))
            })
            .collect();
        let mail = parse::parse(stripped.as_bytes()).expect("parse");
        let k = kind::detect(&mail);
        assert_eq!(k.kind, MailKind::AutoReply, "{n:03} without headers: {}", k.reason);
    }
}
