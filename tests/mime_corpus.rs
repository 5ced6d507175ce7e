//! Every external test message (../shared/external/mime/**/*.eml, see its README)
//! through parse + kind::detect: no panic, nothing dropped, sender/subject/text where the
//! message has them, bounces and auto-replies recognised. Prints a summary table
//! (`cargo test --test mime_corpus -- --nocapture`).

use buergerservice::kind::{self, MailKind};
use buergerservice::parse;
use mail_parser::{MessageParser, PartType};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/external/mime")
}

fn eml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            eml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "eml") {
            out.push(p);
        }
    }
}

/// Files whose expectation does not hold for a reason that lies in the file, not in the
/// parser. Never edit the files; list them here with the reason.
const ALLOW: &[(&str, &str)] = &[(
    "sisimai-not-rb-issue-368-bug.eml",
    "filed under sisimai's not/ (its parser cannot read this format), but it is a real \
     mailbox-full notice from postmaster with Return-Path <> and Auto-Submitted: for us a \
     bounce, which is never answered either way",
)];

/// What a correct intake must say about the file's kind, judged by its name and source.
fn expected_kind(name: &str) -> Option<MailKind> {
    if name.starts_with("sisimai-rfc3834-") {
        return Some(MailKind::AutoReply);
    }
    if name.starts_with("sisimai-not-") {
        return None; // not a bounce; what else it is, the source does not say
    }
    if name.starts_with("sisimai-") {
        return Some(MailKind::Bounce); // every other sisimai message is a bounce or ARF report
    }
    let lower = name.to_ascii_lowercase();
    if lower.contains("dsn") || lower.contains("delivery-status") || lower.contains("multipart_report") {
        return Some(MailKind::Bounce);
    }
    None
}

struct Reference {
    from: bool,
    subject: bool,
    text: bool,
    dsn_report: bool,
}

/// What mail-parser itself finds in the file, the yardstick for "where the message has them".
fn reference(raw: &[u8]) -> Option<Reference> {
    let m = MessageParser::default().parse(raw)?;
    let has_text = |ids: &[u32]| {
        ids.iter().any(|&i| match m.parts.get(i as usize).map(|p| &p.body) {
            Some(PartType::Text(t)) => !t.trim().is_empty(),
            Some(PartType::Html(h)) => !mail_parser::decoders::html::html_to_text(h).trim().is_empty(),
            _ => false,
        })
    };
    let ct = m.root_part().headers.iter().find(|h| h.name().eq_ignore_ascii_case("content-type"));
    let dsn_report = ct.and_then(|h| h.value().as_content_type()).is_some_and(|c| {
        c.ctype().eq_ignore_ascii_case("multipart")
            && c.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && c.attribute("report-type").is_some_and(|r| r.eq_ignore_ascii_case("delivery-status"))
    });
    Some(Reference {
        from: m.from().and_then(|a| a.first()).and_then(|a| a.address.as_deref()).is_some_and(|a| !a.trim().is_empty()),
        subject: m.subject().is_some_and(|s| !s.trim().is_empty()),
        text: has_text(&m.text_body) || has_text(&m.html_body),
        dsn_report,
    })
}

/// mail-parser's own expected result (stalwart/*.json, LF variant): does the message have
/// a subject, a from and a text or HTML body?
fn stalwart_expectation(eml: &Path) -> Option<(bool, bool, bool)> {
    let json = std::fs::read_to_string(eml.with_extension("json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&json).ok()?;
    let headers = v.get("parts")?.get(0)?.get("headers")?.as_array()?;
    let has = |n: &str| headers.iter().any(|h| h.get("name").and_then(|x| x.as_str()) == Some(n));
    let nonempty = |k: &str| v.get(k).and_then(|x| x.as_array()).is_some_and(|a| !a.is_empty());
    Some((has("subject"), has("from"), nonempty("text_body") || nonempty("html_body")))
}

#[derive(Default)]
struct Row {
    files: usize,
    ok: usize,
    panics: usize,
    with_from: usize,
    with_subject: usize,
    with_text: usize,
    with_problems: usize,
    kinds: BTreeMap<String, usize>,
}

#[test]
fn every_external_message_parses_without_panic_and_keeps_what_it_has() {
    let dir = corpus_dir();
    let mut files = Vec::new();
    eml_files(&dir, &mut files);
    files.sort();
    assert!(!files.is_empty(), "no external messages found under {}", dir.display());

    // Panics are caught per file and reported together; silence the default hook's noise.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));

    let mut failures: Vec<String> = Vec::new();
    let mut allowed: Vec<String> = Vec::new();
    let mut table: BTreeMap<String, Row> = BTreeMap::new();
    for f in &files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let source = f.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or("?").to_string();
        let row = table.entry(source.clone()).or_default();
        row.files += 1;
        let raw = match std::fs::read(f) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{name}: unreadable: {e}"));
                continue;
            }
        };
        let run = catch_unwind(AssertUnwindSafe(|| {
            let mail = parse::parse(&raw);
            let k = mail.as_ref().ok().map(kind::detect);
            (mail, k)
        }));
        let (mail, k) = match run {
            Ok((Ok(mail), Some(k))) => (mail, k),
            Ok((Err(e), _)) => {
                failures.push(format!("{name}: dropped: {e}"));
                continue;
            }
            Ok((Ok(_), None)) => continue,
            Err(p) => {
                row.panics += 1;
                let msg =
                    p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
                failures.push(format!("{name}: PANIC {}", msg.unwrap_or_default()));
                continue;
            }
        };
        row.ok += 1;
        row.with_from += usize::from(mail.from.is_some());
        row.with_subject += usize::from(!mail.subject.is_empty());
        row.with_text += usize::from(!mail.text.trim().is_empty());
        row.with_problems += usize::from(!mail.problems.is_empty());
        *row.kinds.entry(format!("{:?}", k.kind)).or_default() += 1;

        let mut wrong = Vec::new();
        if let Some(r) = catch_unwind(|| reference(&raw)).ok().flatten() {
            if r.from && mail.from.is_none() {
                wrong.push("sender lost".to_string());
            }
            if r.subject && mail.subject.is_empty() {
                wrong.push("subject lost".to_string());
            }
            if r.text && mail.text.trim().is_empty() {
                wrong.push("text lost".to_string());
            }
            if r.dsn_report && k.kind != MailKind::Bounce {
                wrong.push(format!("multipart/report delivery-status not a bounce ({:?}: {})", k.kind, k.reason));
            }
        }
        if source == "stalwart" {
            if let Some((subject, from, text)) = stalwart_expectation(f) {
                if subject && mail.subject.is_empty() && raw_has_nonblank_header(&raw, "subject") {
                    wrong.push("subject lost (stalwart json)".into());
                }
                if from && mail.from.is_none() && reference(&raw).is_some_and(|r| r.from) {
                    wrong.push("sender lost (stalwart json)".into());
                }
                if text && mail.text.trim().is_empty() && reference(&raw).is_some_and(|r| r.text) {
                    wrong.push("text lost (stalwart json)".into());
                }
            }
        }
        if let Some(want) = expected_kind(&name) {
            if k.kind != want {
                wrong.push(format!("kind {:?} ({}) expected {want:?}", k.kind, k.reason));
            }
        }
        if name.starts_with("sisimai-not-") && k.kind == MailKind::Bounce {
            wrong.push(format!("non-bounce taken for a bounce ({})", k.reason));
        }
        if mail.body.new_text.len() + mail.body.quoted.len() + mail.body.signature.len() + 16
            < mail.text.trim().len() / 2
        {
            wrong.push("split dropped most of the text".into());
        }
        if !wrong.is_empty() {
            let line = format!("{name}: {}", wrong.join("; "));
            match ALLOW.iter().find(|(n, _)| *n == name) {
                Some((_, why)) => allowed.push(format!("{line}  [allowed: {why}]")),
                None => failures.push(line),
            }
        }
    }
    std::panic::set_hook(hook);

    println!(
        "\n{:<24} {:>5} {:>5} {:>6} {:>5} {:>7} {:>5} {:>8}  kinds",
        "source", "files", "ok", "panic", "from", "subject", "text", "problems"
    );
    let mut total = Row::default();
    for (src, r) in &table {
        let kinds: Vec<String> = r.kinds.iter().map(|(k, n)| format!("{k}={n}")).collect();
        println!(
            "{src:<24} {:>5} {:>5} {:>6} {:>5} {:>7} {:>5} {:>8}  {}",
            r.files,
            r.ok,
            r.panics,
            r.with_from,
            r.with_subject,
            r.with_text,
            r.with_problems,
            kinds.join(" ")
        );
        total.files += r.files;
        total.ok += r.ok;
        total.panics += r.panics;
    }
    println!("{:<24} {:>5} {:>5} {:>6}", "total", total.files, total.ok, total.panics);
    for a in &allowed {
        println!("allowed: {a}");
    }
    assert!(total.files > 0);
    assert!(failures.is_empty(), "{} of {} files fail:\n{}", failures.len(), files.len(), failures.join("\n"));
}

/// The top-level header block has `name:` with a non-blank value (LF or CRLF or CR).
fn raw_has_nonblank_header(raw: &[u8], name: &str) -> bool {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\r\n\r\n").next().unwrap_or_default().split("\n\n").next().unwrap_or_default();
    head.lines()
        .any(|l| l.split_once(':').is_some_and(|(k, v)| k.trim().eq_ignore_ascii_case(name) && !v.trim().is_empty()))
}
