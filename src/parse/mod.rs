//! Stage 1: raw mail bytes → [`ParsedMail`]. No I/O; never panics on hostile input.
//!
//! MIME structure, transfer encodings, charsets and RFC 2047 words are mail-parser's job;
//! this module picks what the later stages need, turns HTML into plain text ([`html`]),
//! splits the text into new text, quote and signature ([`split`]) and notes everything odd
//! in [`ParsedMail::problems`] instead of failing.

pub mod html;
pub mod split;

use jiff::Timestamp;
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::{Address, Encoding, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType};
use serde::Serialize;
use thiserror::Error;

/// One address of a From/Reply-To header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mailbox {
    pub name: Option<String>,
    /// The bare address, e.g. `sabine.wendel@posteo.de`.
    pub address: String,
}

/// An attachment as the staff would see it listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    pub name: Option<String>,
    /// MIME type, e.g. `image/jpeg`.
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: usize,
}

/// The decoded text of a mail, split by who wrote it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Body {
    /// What the citizen newly wrote (greeting and closing included, quotes and signature not).
    pub new_text: String,
    /// The quoted earlier mail(s): `>` lines, "-----Ursprüngliche Nachricht-----",
    /// "Am … schrieb …:", "On … wrote:" blocks (without the quote markers).
    pub quoted: String,
    /// The signature: after "-- ", "--", or a recognisable sign-off block.
    pub signature: String,
}

/// Headers that tell automatic mail apart (RFC 3834, bounces).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AutoHeaders {
    /// `Auto-Submitted` value, lower-cased, e.g. `auto-replied`.
    pub auto_submitted: Option<String>,
    /// `X-Autoreply` / `X-Autorespond`-style markers present (also Exchange's
    /// `X-MS-Exchange-Organization-AutoReply`). Not `X-Auto-Response-Suppress`: Outlook
    /// sets that on ordinary mail.
    pub x_autoreply: bool,
    /// `Precedence` value, lower-cased (bulk, junk, list).
    pub precedence: Option<String>,
    /// `Return-Path` as written; `Some("")` for the null sender `<>`.
    pub return_path: Option<String>,
    /// Top-level content type with subtype, lower-cased, e.g. `multipart/report`.
    pub content_type: Option<String>,
    /// `report-type` parameter of a multipart/report, lower-cased.
    pub report_type: Option<String>,
    /// Some part is `message/delivery-status` (or `message/global-delivery-status`).
    pub has_delivery_status: bool,
    /// `List-Id` / `List-Unsubscribe` present: a mailing list or newsletter (RFC 3834
    /// says never to answer those automatically).
    pub list: bool,
}

/// A mail as the later stages need it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ParsedMail {
    pub from: Option<Mailbox>,
    pub reply_to: Option<Mailbox>,
    /// Decoded subject ("" when absent).
    pub subject: String,
    /// Message-ID without angle brackets.
    pub message_id: Option<String>,
    /// In-Reply-To ids without angle brackets.
    pub in_reply_to: Vec<String>,
    /// References ids without angle brackets.
    pub references: Vec<String>,
    /// The Date header as an instant.
    pub date: Option<Timestamp>,
    /// `Content-Language` header, if any (a hint for language detection).
    pub content_language: Option<String>,
    /// The whole decoded text (text/plain, or text derived from HTML when that is all).
    pub text: String,
    /// `text` split into new text, quote and signature.
    pub body: Body,
    pub attachments: Vec<Attachment>,
    pub auto: AutoHeaders,
    /// Text of the machine-readable parts of a report (message/delivery-status, the
    /// returned message's headers), "" for ordinary mail: a bounce names the mail that
    /// could not be delivered only there (its Message-ID and case tag).
    pub report: String,
    /// Problems found while parsing, for staff (e.g. "no From header", "undecodable
    /// charset in part 2"). A mail with problems is still processed and kept.
    pub problems: Vec<String>,
}

/// Why a mail could not be parsed at all.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("empty input: no headers and no body")]
    Empty,
    #[error("not an RFC 5322 message: {0}")]
    NotAMessage(String),
}

impl ParsedMail {
    /// The address an answer goes to: Reply-To when given, else From.
    pub fn answer_to(&self) -> Option<&Mailbox> {
        self.reply_to.as_ref().or(self.from.as_ref())
    }
}

/// Parse raw bytes of one message.
///
/// Total: every input that is not blank yields `Ok`, with whatever could be recovered and
/// the oddities in `problems`. `Err` only for empty (or all-whitespace) input.
pub fn parse(raw: &[u8]) -> Result<ParsedMail, ParseError> {
    if raw.iter().all(|b| b.is_ascii_whitespace() || *b == 0) {
        return Err(ParseError::Empty);
    }
    let mut problems = Vec::new();
    if raw.contains(&0) {
        problems.push("NUL bytes in the message (removed from the text)".to_string());
    }
    // Old Mac mail uses CR alone as line end, which mail-parser does not take for one.
    let lf;
    let raw = if is_cr_only(raw) {
        problems.push("CR-only line ends (converted to LF)".to_string());
        lf = cr_to_lf(raw);
        &lf[..]
    } else {
        raw
    };
    // mail-parser is fuzzed upstream, but one panic in it must not take the intake down:
    // the mail is then kept as raw text and flagged.
    let parsed = std::panic::catch_unwind(|| MessageParser::default().parse(raw));
    let msg = match parsed {
        Ok(Some(m)) if !m.parts.is_empty() => m,
        Ok(_) => return Ok(fallback(raw, problems, "no RFC 5322 structure found; kept as plain text")),
        Err(_) => return Ok(fallback(raw, problems, "MIME parser failed; kept as plain text")),
    };
    let real_header = msg.root_part().headers.iter().any(|h| {
        !h.name().is_empty() && !h.name().contains(char::is_whitespace) && !matches!(h.value(), HeaderValue::Empty)
    });
    if !real_header && msg.parts.len() == 1 && msg.root_part().body.len() == 0 {
        // Not even one header: keep the words rather than an empty mail.
        return Ok(fallback(raw, problems, "no headers found; kept as plain text"));
    }
    let mut mail = ParsedMail { problems, ..ParsedMail::default() };
    fill_headers(&msg, &mut mail);
    fill_parts(&msg, &mut mail);
    mail.body = split::split(&mail.text);
    Ok(mail)
}

/// More bare CRs than LFs: a CR-only file (a few stray CRs in a LF file do not count).
fn is_cr_only(raw: &[u8]) -> bool {
    let lf = raw.iter().filter(|&&b| b == b'\n').count();
    let bare_cr = raw.windows(2).filter(|w| matches!(w, [b'\r', n] if *n != b'\n')).count()
        + usize::from(raw.last() == Some(&b'\r'));
    bare_cr > lf
}

fn cr_to_lf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut prev_cr = false;
    for &b in raw {
        match b {
            b'\r' => out.push(b'\n'),
            b'\n' if prev_cr => {}
            _ => out.push(b),
        }
        prev_cr = b == b'\r';
    }
    out
}

/// A mail mail-parser could not structure: the bytes as text, so nothing is dropped.
fn fallback(raw: &[u8], mut problems: Vec<String>, why: &str) -> ParsedMail {
    problems.push(why.to_string());
    let text = normalize_text(&String::from_utf8_lossy(raw));
    let body = split::split(&text);
    ParsedMail { text, body, problems, ..ParsedMail::default() }
}

fn fill_headers(msg: &Message<'_>, mail: &mut ParsedMail) {
    mail.from = msg.from().and_then(first_mailbox);
    if mail.from.is_none() {
        // Some bounces and old mails only carry Sender.
        mail.from = msg.sender().and_then(first_mailbox);
        mail.problems.push(if mail.from.is_some() {
            "no usable From header; sender taken from Sender".to_string()
        } else {
            "no usable From header".to_string()
        });
    }
    mail.reply_to = msg.reply_to().and_then(first_mailbox);
    mail.subject = msg.subject().map(clean_line).unwrap_or_default();
    if raw_header(msg, "Subject").is_none() {
        mail.problems.push("no Subject header".to_string());
    }
    mail.message_id = msg.message_id().map(strip_id).filter(|s| !s.is_empty());
    if mail.message_id.is_none() {
        mail.problems.push("no Message-ID header".to_string());
    }
    mail.in_reply_to = ids(msg.in_reply_to());
    mail.references = ids(msg.references());
    match msg.date() {
        Some(dt) if dt.is_valid() => {
            mail.date = Timestamp::from_second(dt.to_timestamp()).ok();
            if mail.date.is_none() {
                mail.problems.push("Date header out of range".to_string());
            }
        }
        Some(_) => mail.problems.push("invalid Date header".to_string()),
        None if raw_header(msg, "Date").is_some() => mail.problems.push("unparseable Date header".to_string()),
        None => mail.problems.push("no Date header".to_string()),
    }
    mail.content_language = raw_header(msg, "Content-Language").filter(|s| !s.is_empty());
    if mail.subject.contains('\u{fffd}') {
        // Raw 8-bit Subject from an old client: Latin-1 / windows-1252 in practice.
        if let Some(better) = raw_header_bytes(msg, "Subject")
            .filter(|b| std::str::from_utf8(b).is_err() && !b.windows(2).any(|w| w == b"=?"))
            .and_then(|b| charset_decoder(b"windows-1252").map(|d| d(b)))
        {
            mail.subject = clean_line(&better);
            mail.problems.push("unencoded 8-bit Subject, read as windows-1252".to_string());
        } else {
            mail.problems.push("undecodable bytes in Subject".to_string());
        }
    }

    let auto = &mut mail.auto;
    auto.auto_submitted = raw_header(msg, "Auto-Submitted").map(|v| first_token(&v)).filter(|v| !v.is_empty());
    // Markers some vacation programs and Exchange set only on automatic answers.
    // X-Auto-Response-Suppress is deliberately absent: Outlook sets it on ordinary mail too.
    auto.x_autoreply = ["X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Autoresponder", "X-Vacation"]
        .iter()
        .filter_map(|h| raw_header(msg, h))
        .any(|v| !matches!(first_token(&v).as_str(), "no" | "false" | "0" | "off"))
        || raw_header(msg, "X-Autogenerated").is_some_and(|v| first_token(&v) == "reply")
        || raw_header(msg, "X-MS-Exchange-Organization-AutoReply").is_some()
        || raw_header(msg, "X-MS-Exchange-Generated-Message-Source")
            .is_some_and(|v| v.to_lowercase().contains("mailbox rules"));
    auto.list = ["List-Id", "List-Unsubscribe", "List-Post"].iter().any(|h| raw_header(msg, h).is_some());
    auto.precedence = raw_header(msg, "Precedence").map(|v| first_token(&v)).filter(|v| !v.is_empty());
    auto.return_path = raw_header(msg, "Return-Path").map(|v| {
        let v = v.trim();
        let v = v.split_once('(').map_or(v, |(a, _)| a).trim();
        v.trim_start_matches('<').trim_end_matches('>').trim().to_string()
    });
    if let Some(ct) = msg.root_part().content_type() {
        auto.content_type = Some(mime_name(ct.ctype(), ct.subtype()));
        auto.report_type = ct.attribute("report-type").map(|v| v.trim().to_ascii_lowercase());
    }
    auto.has_delivery_status = msg.parts.iter().any(|p| {
        p.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("message")
                && ct.subtype().is_some_and(|s| {
                    s.eq_ignore_ascii_case("delivery-status") || s.eq_ignore_ascii_case("global-delivery-status")
                })
        })
    });
}

fn fill_parts(msg: &Message<'_>, mail: &mut ParsedMail) {
    for (i, part) in msg.parts.iter().enumerate() {
        let ct = part.content_type();
        let label = ct.map_or_else(|| "text/plain".to_string(), |c| mime_name(c.ctype(), c.subtype()));
        if part.is_encoding_problem {
            mail.problems.push(format!("encoding problem in part {} ({label}); recovered as raw text", i + 1));
        }
        if let Some(cs) = ct.and_then(|c| c.attribute("charset")) {
            if matches!(part.body, PartType::Text(_) | PartType::Html(_)) && !charset_known(cs) {
                mail.problems.push(format!("unknown charset {cs:?} in part {} ({label}); read as UTF-8", i + 1));
            }
        }
    }

    let body_parts: Vec<&MessagePart<'_>> = msg.text_body.iter().filter_map(|&id| msg.parts.get(id as usize)).collect();
    // A plain multipart/mixed with both a text and an HTML part lists both as body; they
    // are the same words twice, so the HTML only counts when there is no plain text.
    let has_plain = body_parts.iter().any(|p| matches!(&p.body, PartType::Text(t) if !t.trim().is_empty()));
    let mut pieces: Vec<String> = body_parts
        .iter()
        .filter(|p| !(has_plain && matches!(p.body, PartType::Html(_))))
        .filter_map(|p| part_text(msg, p, &mut mail.problems))
        .collect();
    if pieces.iter().all(|p| p.trim().is_empty()) {
        // A blank text/plain alternative next to real HTML: the HTML is the message.
        let html: Vec<String> = msg
            .html_body
            .iter()
            .filter_map(|&id| msg.parts.get(id as usize))
            .filter_map(|p| part_text(msg, p, &mut mail.problems))
            .collect();
        if !html.is_empty() {
            pieces = html;
        }
    }
    let pieces: Vec<String> =
        pieces.iter().map(|p| p.trim_end().to_string()).filter(|p| !p.trim().is_empty()).collect();
    // iPhone and others put a second text part after an inline image: one text, in order.
    mail.text = normalize_text(&pieces.join("\n\n"));
    if mail.text.trim().is_empty() {
        mail.problems.push("no text body".to_string());
    }
    if mail.text.contains('\u{fffd}') {
        mail.problems.push("undecodable bytes in the text (shown as \u{fffd})".to_string());
    }

    mail.report = report_text(msg);

    mail.attachments = msg
        .attachments
        .iter()
        .filter_map(|&id| msg.parts.get(id as usize))
        .map(|p| Attachment {
            name: p.attachment_name().map(clean_line).filter(|n| !n.is_empty()),
            content_type: p.content_type().map_or_else(
                || match p.body {
                    PartType::Message(_) => "message/rfc822".to_string(),
                    PartType::Text(_) => "text/plain".to_string(),
                    PartType::Html(_) => "text/html".to_string(),
                    _ => "application/octet-stream".to_string(),
                },
                |c| mime_name(c.ctype(), c.subtype()),
            ),
            size: p.body.len(),
        })
        .collect();
}

/// Delivery-status fields and the returned message's headers, capped in size.
fn report_text(msg: &Message<'_>) -> String {
    const CAP: usize = 32 * 1024;
    let mut out = String::new();
    for part in &msg.parts {
        let Some(ct) = part.content_type() else { continue };
        let name = mime_name(ct.ctype(), ct.subtype());
        let text = match (&part.body, name.as_str()) {
            (
                PartType::Text(t) | PartType::Html(t),
                "message/delivery-status"
                | "message/global-delivery-status"
                | "text/rfc822-headers"
                | "message/rfc822-headers"
                | "message/global-headers",
            ) => t.to_string(),
            (
                PartType::Binary(b) | PartType::InlineBinary(b),
                "message/delivery-status"
                | "message/global-delivery-status"
                | "text/rfc822-headers"
                | "message/rfc822-headers"
                | "message/global-headers",
            ) => String::from_utf8_lossy(b).into_owned(),
            (PartType::Message(m), _) => {
                let mut s = String::new();
                if let Some(id) = m.message_id() {
                    s.push_str(&format!("Message-ID: <{id}>\n"));
                }
                if let Some(subj) = m.subject() {
                    s.push_str(&format!("Subject: {subj}\n"));
                }
                for id in ids(m.in_reply_to()).into_iter().chain(ids(m.references())) {
                    s.push_str(&format!("References: <{id}>\n"));
                }
                s
            }
            _ => continue,
        };
        out.push_str(&normalize_text(&text));
        out.push('\n');
        if out.len() > CAP {
            let mut cut = CAP;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            break;
        }
    }
    out
}

/// The text of one body part: plain text (unflowed when format=flowed) or HTML as text.
fn part_text(msg: &Message<'_>, part: &MessagePart<'_>, problems: &mut Vec<String>) -> Option<String> {
    match &part.body {
        PartType::Text(t) => {
            let mut text = t.to_string();
            if text.contains('\u{fffd}') {
                if let Some(better) = redecode_8bit(msg, part) {
                    text = better;
                    problems.push("8-bit text not valid UTF-8 (charset missing or wrong); read as windows-1252".into());
                }
            }
            let ct = part.content_type();
            let flowed = ct.and_then(|c| c.attribute("format")).is_some_and(|f| f.eq_ignore_ascii_case("flowed"));
            if flowed {
                let delsp = ct.and_then(|c| c.attribute("delsp")).is_some_and(|d| d.eq_ignore_ascii_case("yes"));
                text = unflow(&text, delsp);
            }
            Some(text)
        }
        PartType::Html(h) => Some(html::to_text(h)),
        _ => None,
    }
}

/// Unlabelled 8-bit text that is not UTF-8 is in practice windows-1252 / Latin-1 here.
fn redecode_8bit(msg: &Message<'_>, part: &MessagePart<'_>) -> Option<String> {
    if part.encoding != Encoding::None {
        return None;
    }
    let declared = part.content_type().and_then(|c| c.attribute("charset"));
    if declared.is_some_and(|cs| charset_decoder(cs.as_bytes()).is_some()) {
        return None; // a real decoder ran; its replacement characters are the bytes' fault
    }
    let bytes = msg.raw_message.get(part.offset_body as usize..part.offset_end as usize)?;
    if std::str::from_utf8(bytes).is_ok() {
        return None;
    }
    let cp1252 = charset_decoder(b"windows-1252")?;
    Some(cp1252(bytes))
}

/// RFC 3676: join soft-broken lines (trailing space) of format=flowed text.
fn unflow(text: &str, delsp: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut lines: Vec<&str> = text.split('\n').collect();
    if lines.last() == Some(&"") {
        lines.pop();
    }
    let mut open: Option<usize> = None; // quote depth of a paragraph still being joined
    for line in lines {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let depth = line.bytes().take_while(|&c| c == b'>').count();
        let content = line.get(depth..).unwrap_or_default();
        let content = content.strip_prefix(' ').unwrap_or(content); // space-stuffing
        if open.is_some_and(|d| d != depth) {
            out.push('\n'); // quote depth changed: the flowed paragraph ends here
            open = None;
        }
        if open.is_none() && depth > 0 {
            out.push_str(&">".repeat(depth));
            out.push(' ');
        }
        let soft = content.ends_with(' ') && content != "-- ";
        if soft {
            out.push_str(if delsp { content.strip_suffix(' ').unwrap_or(content) } else { content });
            open = Some(depth);
        } else {
            out.push_str(content);
            out.push('\n');
            open = None;
        }
    }
    if open.is_some() {
        out.push('\n');
    }
    out
}

fn charset_known(cs: &str) -> bool {
    let n = cs.trim().trim_matches('"').to_ascii_lowercase();
    charset_decoder(n.as_bytes()).is_some()
        || matches!(n.as_str(), "utf-8" | "utf8" | "us-ascii" | "ascii" | "unicode-1-1-utf-8" | "x-unknown" | "")
}

fn first_mailbox(a: &Address<'_>) -> Option<Mailbox> {
    // The first entry that has an address; groups and broken lists are skipped over.
    let list: Vec<&mail_parser::Addr<'_>> = match a {
        Address::List(l) => l.iter().collect(),
        Address::Group(g) => g.iter().flat_map(|g| g.addresses.iter()).collect(),
    };
    let addr = list.iter().find(|x| x.address.as_deref().is_some_and(|s| !s.trim().is_empty()))?;
    let address = clean_line(addr.address.as_deref().unwrap_or_default());
    let name = addr.name.as_deref().map(clean_line).filter(|n| !n.is_empty() && *n != address);
    Some(Mailbox { name, address })
}

fn ids(v: &HeaderValue<'_>) -> Vec<String> {
    let raw: Vec<&str> = match v {
        HeaderValue::Text(t) => vec![t.as_ref()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.as_ref()).collect(),
        _ => Vec::new(),
    };
    raw.into_iter().flat_map(|t| t.split_whitespace()).map(strip_id).filter(|s| !s.is_empty()).collect()
}

fn strip_id(id: &str) -> String {
    id.trim().trim_start_matches('<').trim_end_matches('>').trim().to_string()
}

/// The raw bytes of a top-level header's value.
fn raw_header_bytes<'a>(msg: &'a Message<'_>, name: &str) -> Option<&'a [u8]> {
    let h = msg.root_part().headers.iter().find(|h| h.name().eq_ignore_ascii_case(name))?;
    msg.raw_message.get(h.offset_start as usize..h.offset_end as usize)
}

/// A header's value as written (unfolded, trimmed), found case-insensitively on the
/// top-level header block. `None` when absent or not UTF-8.
fn raw_header(msg: &Message<'_>, name: &str) -> Option<String> {
    let s = String::from_utf8_lossy(raw_header_bytes(msg, name)?);
    Some(s.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// First token of a header value, lower-cased: `auto-replied; owner=…` → `auto-replied`.
fn first_token(v: &str) -> String {
    v.split([';', '(', ' ', '\t']).find(|t| !t.is_empty()).unwrap_or_default().trim().to_ascii_lowercase()
}

fn mime_name(ctype: &str, subtype: Option<&str>) -> String {
    format!("{}/{}", ctype.trim(), subtype.unwrap_or("octet-stream").trim()).to_ascii_lowercase()
}

/// One-line header text: control characters out, whitespace collapsed.
fn clean_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// LF line ends, no NULs, BOMs or non-breaking spaces, for the text-matching stages.
pub fn normalize_text(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    s.chars().filter(|&c| c != '\0' && c != '\u{feff}').map(|c| if c == '\u{a0}' { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &[u8]) -> ParsedMail {
        parse(s).expect("parses")
    }

    #[test]
    fn headers_ids_date_and_addresses() {
        let m = p(b"From: \"Wendel, Sabine\" <Sabine.Wendel@posteo.de>\nReply-To: other@x.de\nTo: b@h.de\nSubject: =?utf-8?Q?T=C3=A4st?= =?utf-8?Q?_zwei?=\nDate: Tue, 06 Apr 2027 08:41:12 +0200\nMessage-ID: <abc@posteo.de>\nIn-Reply-To: <one@x> <two@y>\nReferences: <r1@x>\n <r2@y>\nContent-Language: de-DE\n\nHallo\n");
        assert_eq!(
            m.from,
            Some(Mailbox { name: Some("Wendel, Sabine".into()), address: "Sabine.Wendel@posteo.de".into() })
        );
        assert_eq!(m.reply_to.as_ref().map(|r| r.address.as_str()), Some("other@x.de"));
        assert_eq!(m.answer_to().map(|r| r.address.as_str()), Some("other@x.de"));
        assert_eq!(m.subject, "Täst zwei");
        assert_eq!(m.message_id.as_deref(), Some("abc@posteo.de"));
        assert_eq!(m.in_reply_to, vec!["one@x", "two@y"]);
        assert_eq!(m.references, vec!["r1@x", "r2@y"]);
        assert_eq!(m.date, Some("2027-04-06T06:41:12Z".parse().expect("ts")));
        assert_eq!(m.content_language.as_deref(), Some("de-DE"));
        assert_eq!(m.text, "Hallo");
        assert!(m.problems.is_empty(), "{:?}", m.problems);
    }

    #[test]
    fn missing_from_and_date_are_problems_not_errors() {
        let m = p(b"Subject: x\n\nText\n");
        assert!(m.from.is_none() && m.date.is_none());
        assert!(m.problems.iter().any(|x| x.contains("From")));
        assert!(m.problems.iter().any(|x| x.contains("Date")));
        assert_eq!(m.text, "Text");
    }

    #[test]
    fn latin1_quoted_printable_and_windows_1252_8bit_and_base64() {
        let m = p(b"From: a@b.de\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nGr=FC=DFe aus Hochheim\n");
        assert_eq!(m.text, "Grüße aus Hochheim");
        let m = p(b"From: a@b.de\nContent-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: 8bit\n\n\x84Stra\xdfe\x93 \x80 \x96 ok\n");
        assert_eq!(m.text, "„Straße“ € – ok");
        let m = p(b"From: a@b.de\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nR3LDvMOfZQ==\n");
        assert_eq!(m.text, "Grüße");
    }

    #[test]
    fn unlabelled_8bit_latin1_is_read_as_windows_1252() {
        let m = p(b"From: a@b.de\n\nF\xfcr mich bitte\n");
        assert_eq!(m.text, "Für mich bitte");
        assert!(m.problems.iter().any(|x| x.contains("windows-1252")));
        let m = p(b"From: a@b.de\nContent-Type: text/plain; charset=utf-8\n\nF\xfcr mich\n");
        assert_eq!(m.text, "Für mich");
    }

    #[test]
    fn raw_latin1_subject_is_read_as_windows_1252() {
        let m = p(b"From: a@b.de\nSubject: Gr\xfc\xdfe aus Hochheim\n\nx\n");
        assert_eq!(m.subject, "Grüße aus Hochheim");
    }

    #[test]
    fn unknown_charset_is_a_problem_and_text_still_comes() {
        let m = p(b"From: a@b.de\nContent-Type: text/plain; charset=x-klingon\n\nHallo\n");
        assert!(m.problems.iter().any(|x| x.contains("unknown charset")), "{:?}", m.problems);
        assert_eq!(m.text, "Hallo");
    }

    #[test]
    fn nul_bytes_are_removed_and_flagged() {
        let m = p(b"From: a@b.de\n\nHal\0lo\n");
        assert_eq!(m.text, "Hallo");
        assert!(m.problems.iter().any(|x| x.contains("NUL")));
    }

    #[test]
    fn automatic_headers_are_read_and_outlook_suppress_is_ignored() {
        let m = p(b"From: a@b.de\nReturn-Path: <>\nAuto-Submitted: Auto-Replied; owner=x\nPrecedence: Bulk\nX-Auto-Response-Suppress: All\n\nx\n");
        assert_eq!(m.auto.return_path.as_deref(), Some(""));
        assert_eq!(m.auto.auto_submitted.as_deref(), Some("auto-replied"));
        assert_eq!(m.auto.precedence.as_deref(), Some("bulk"));
        assert!(!m.auto.x_autoreply);
        let m = p(b"From: a@b.de\nReturn-Path: <bounce@x.de>\nX-Autoreply: yes\n\nx\n");
        assert_eq!(m.auto.return_path.as_deref(), Some("bounce@x.de"));
        assert!(m.auto.x_autoreply);
    }

    #[test]
    fn format_flowed_soft_breaks_are_joined_but_signature_delimiter_kept() {
        let m = p(b"From: a@b.de\nContent-Type: text/plain; charset=utf-8; format=flowed\n\ndonnerstags ab 18 \nUhr bitte.\n> zitat \n> weiter\n-- \nSig\n");
        assert_eq!(m.text, "donnerstags ab 18 Uhr bitte.\n> zitat weiter\n-- \nSig");
        assert_eq!(m.body.signature, "Sig");
    }

    #[test]
    fn alternative_prefers_plain_and_falls_back_to_html_when_plain_is_blank() {
        let alt = |plain: &str| {
            format!("From: a@b.de\nContent-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\n{plain}\n--b\nContent-Type: text/html\n\n<div>Aus&nbsp;HTML</div><div>Zeile 2</div>\n--b--\n")
        };
        assert_eq!(p(alt("Aus Text").as_bytes()).text, "Aus Text");
        assert_eq!(p(alt("  ").as_bytes()).text, "Aus HTML\nZeile 2");
    }

    #[test]
    fn mixed_text_and_html_of_the_same_words_is_not_doubled() {
        let m = p(b"From: a@b.de\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nHallo Welt\n--b\nContent-Type: text/html\n\n<p>Hallo Welt</p>\n--b--\n");
        assert_eq!(m.text, "Hallo Welt");
    }

    #[test]
    fn report_parts_are_collected_for_bounces() {
        let m = p(b"From: MAILER-DAEMON@x\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\nContent-Type: text/plain\n\nfailed\n--b\nContent-Type: message/delivery-status\n\nStatus: 5.1.1\n--b\nContent-Type: text/rfc822-headers\n\nMessage-ID: <BS-2027-00044.1.proposal@buergerservice.hochheim.de>\n--b--\n");
        assert_eq!(m.auto.content_type.as_deref(), Some("multipart/report"));
        assert_eq!(m.auto.report_type.as_deref(), Some("delivery-status"));
        assert!(m.auto.has_delivery_status);
        assert!(m.report.contains("Status: 5.1.1"));
        assert!(m.report.contains("BS-2027-00044"));
        assert_eq!(m.text, "failed");
    }

    #[test]
    fn cr_only_mail_is_read_line_by_line() {
        let m = p(b"From: a@b.de\rSubject: Mac\r\rZeile 1\rZeile 2\r");
        assert_eq!(m.subject, "Mac");
        assert_eq!(m.text, "Zeile 1\nZeile 2");
    }

    #[test]
    fn only_blank_input_is_an_error() {
        assert_eq!(parse(b""), Err(ParseError::Empty));
        assert_eq!(parse(b"\r\n \n"), Err(ParseError::Empty));
        assert!(parse(b"x").is_ok());
    }

    #[test]
    fn outlook_html_reply_splits_at_the_rule_and_header_block() {
        let m = p(OUTLOOK_HTML.as_bytes());
        assert_eq!(m.body.new_text, "Hallo,\n\nTermin 2 passt, wir sind zu dritt.\n\nViele Grüße\nMax Muster");
        assert_eq!(m.body.signature, "Kolpingstr. 9\n65239 Hochheim");
        assert!(m.body.quoted.contains("Betreff: [BS-2027-00070]"));
        assert!(m.body.quoted.contains("  2) Donnerstag, 17.06.2027, 19:00 Uhr"));
    }

    #[test]
    fn gmail_html_reply_blockquote_is_the_quote() {
        let m = p(GMAIL_HTML.as_bytes());
        assert_eq!(m.body.new_text, "Nummer 1 bitte.\n\nLG Max");
        assert!(m.body.quoted.starts_with("Am Mo., 7. Juni 2027 um 09:14 Uhr schrieb"));
        assert!(m.body.quoted.contains("  1) Montag, 14.06.2027, 18:30 Uhr"));
    }

    const OUTLOOK_HTML: &str = r##"From: Max Muster <max@outlook.de>
To: buergerbuero@hochheim.de
Subject: AW: [BS-2027-00070] Ihre Terminvorschläge
Date: Tue, 08 Jun 2027 12:02:40 +0200
Message-ID: <abc@outlook.de>
MIME-Version: 1.0
Content-Type: text/html; charset="utf-8"

<html><head><style>p {margin:0}</style></head><body>
<div class="elementToProof" style="font-family: Aptos">Hallo,</div>
<div class="elementToProof"><br></div>
<div class="elementToProof">Termin 2 passt, wir sind zu dritt.</div>
<div class="elementToProof"><br></div>
<div class="elementToProof">Viele Gr&uuml;&szlig;e<br>Max Muster<br>Kolpingstr. 9<br>65239 Hochheim</div>
<div id="appendonsend"></div>
<hr style="display:inline-block;width:98%" tabindex="-1">
<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000"><b>Von:</b> B&uuml;rgerb&uuml;ro Hochheim &lt;buergerbuero@hochheim.de&gt;<br>
<b>Gesendet:</b> Montag, 7. Juni 2027 09:14<br>
<b>An:</b> Max Muster &lt;max@outlook.de&gt;<br>
<b>Betreff:</b> [BS-2027-00070] Ihre Terminvorschläge</font>
<div>&nbsp;</div></div>
<div><p>Guten Tag Herr Muster,</p><p>&nbsp;</p><p>&nbsp; 1) Montag, 14.06.2027, 18:30 Uhr<br>&nbsp; 2) Donnerstag, 17.06.2027, 19:00 Uhr</p></div>
</body></html>
"##;

    const GMAIL_HTML: &str = r##"From: Max Muster <max@gmail.com>
To: buergerbuero@hochheim.de
Subject: Re: [BS-2027-00070] Ihre Terminvorschläge
Date: Tue, 08 Jun 2027 12:02:40 +0200
Message-ID: <abc@gmail.com>
MIME-Version: 1.0
Content-Type: text/html; charset="UTF-8"

<div dir="ltr"><div>Nummer 1 bitte.</div><div><br></div><div>LG Max</div></div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">Am Mo., 7. Juni 2027 um 09:14 Uhr schrieb Bürgerbüro Hochheim &lt;<a href="mailto:buergerbuero@hochheim.de">buergerbuero@hochheim.de</a>&gt;:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">Guten Tag,<br><br>&nbsp; 1) Montag, 14.06.2027, 18:30 Uhr<br>&nbsp; 2) Donnerstag<br></blockquote></div>
"##;
}
