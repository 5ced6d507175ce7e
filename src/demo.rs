//! The embedded demo: a Maildir seeded with the bundled sample mails, a directory as the
//! outbox, and one citizen who answers her proposal with "2", so a newcomer sees cases,
//! proposals, a booking with its .ics and a forward within seconds.

use crate::source::maildir::Maildir;
use mail_parser::MimeHeaders;
use crate::store::{Status, Store, StoreError};
use std::path::Path;

const MAILS: &[(&str, &[u8])] = &[
    ("01-personalausweis.eml", include_bytes!("../demo/mails/01-personalausweis.eml")),
    ("02-standesamt.eml", include_bytes!("../demo/mails/02-standesamt.eml")),
    ("03-english-registration.eml", include_bytes!("../demo/mails/03-english-registration.eml")),
    ("04-out-of-office.eml", include_bytes!("../demo/mails/04-out-of-office.eml")),
    ("05-meldebescheinigung-und-laerm.eml", include_bytes!("../demo/mails/05-meldebescheinigung-und-laerm.eml")),
];

/// The demo citizen who answers.
const SABINE: &str = "sabine.wendel@example.org";

/// Deliver the bundled mails into an empty Maildir; returns how many.
pub fn seed(maildir: &Maildir) -> std::io::Result<usize> {
    for (_, raw) in MAILS {
        maildir.deliver(raw)?;
    }
    Ok(MAILS.len())
}

/// Sabine answers her proposal with "2" (as a citizen would, from her own address).
pub fn citizen_answers(store: &Store, maildir: &Maildir) -> Result<bool, StoreError> {
    for id in store.cases_from(SABINE)? {
        let Some(case) = store.case(id)? else { continue };
        if case.status != Status::Proposed {
            continue;
        }
        let mail = format!(
            "From: Sabine Wendel <{SABINE}>\r\nTo: buergerbuero@hochheim.de\r\nSubject: Re: [{id}] Ihre Terminvorschläge\r\n\
Message-ID: <demo-answer-{id}@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\
Content-Transfer-Encoding: 8bit\r\n\r\nHallo, die 2 passt uns gut.\r\n\r\nViele Grüße\r\nSabine Wendel\r\n"
        );
        maildir.deliver(mail.as_bytes()).map_err(|e| StoreError::Corrupt { key: "demo".into(), why: e.to_string() })?;
        return Ok(true);
    }
    Ok(false)
}

/// One line per mail in the outbox directory: recipient and subject.
pub fn describe_outbox(dir: &Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    files
        .iter()
        .filter_map(|p| {
            let raw = std::fs::read(p).ok()?;
            let m = mail_parser::MessageParser::default().parse(&raw)?;
            let to = m.to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or("?").to_string();
            let ics = if m.attachments().any(|a| a.attachment_name().is_some_and(|n| n.ends_with(".ics"))) { " (+ .ics)" } else { "" };
            Some(format!("{to:32} {}{ics}\n    {}", m.subject().unwrap_or(""), p.display()))
        })
        .collect()
}
