//! Stage 7: the mails we send — proposals, confirmations with .ics, cancellations (the
//! citizen's, or the office's), reminders, the notice that a Fachamt takes over, and the
//! forward to that Fachamt.
//! Texts come from editable templates (`templates/`), never from Rust strings. Pure:
//! composing a mail does no I/O; the outbox and SMTP are elsewhere.

pub mod ics;
pub mod labels;

use crate::case_id::CaseId;
use crate::classify::{Department, Rules};
use crate::extract::language::Language;
use crate::schedule::Plan;
use crate::store::Draft;
use jiff::{Timestamp, Zoned};
use lettre::message::header::{ContentDisposition, ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use minijinja::{context, Environment, Value};
use serde::Serialize;
use std::path::Path;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ReplyError {
    #[error("template {file}: {message}")]
    Template { file: String, message: String },
    #[error("template {file}: the first line must be `Subject: …`")]
    NoSubject { file: String },
    #[error("cannot read templates in {dir}: {error}")]
    Io { dir: String, error: std::io::Error },
    #[error("address {0:?} is not a valid mailbox")]
    Address(String),
    #[error("building the mail: {0}")]
    Build(String),
}

/// The template files shipped with the program (also the fallback for any file missing
/// from a configured folder).
const BUILTIN: &[(&str, &str)] = &[
    ("de/proposal.txt", include_str!("../../templates/de/proposal.txt")),
    ("en/proposal.txt", include_str!("../../templates/en/proposal.txt")),
    ("de/confirmation.txt", include_str!("../../templates/de/confirmation.txt")),
    ("en/confirmation.txt", include_str!("../../templates/en/confirmation.txt")),
    ("de/cancellation.txt", include_str!("../../templates/de/cancellation.txt")),
    ("en/cancellation.txt", include_str!("../../templates/en/cancellation.txt")),
    ("de/office_cancellation.txt", include_str!("../../templates/de/office_cancellation.txt")),
    ("en/office_cancellation.txt", include_str!("../../templates/en/office_cancellation.txt")),
    ("de/reminder.txt", include_str!("../../templates/de/reminder.txt")),
    ("en/reminder.txt", include_str!("../../templates/en/reminder.txt")),
    ("de/specialist.txt", include_str!("../../templates/de/specialist.txt")),
    ("en/specialist.txt", include_str!("../../templates/en/specialist.txt")),
    ("de/unclear.txt", include_str!("../../templates/de/unclear.txt")),
    ("en/unclear.txt", include_str!("../../templates/en/unclear.txt")),
    ("de/forward.txt", include_str!("../../templates/de/forward.txt")),
    ("de/staff_notice.txt", include_str!("../../templates/de/staff_notice.txt")),
];

/// Compiled reply templates.
pub struct Templates {
    env: Environment<'static>,
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
    env
}

fn template_error(file: &str, e: &minijinja::Error) -> ReplyError {
    let line = e.line().map(|l| format!(" line {l}")).unwrap_or_default();
    ReplyError::Template { file: format!("{file}{line}"), message: e.to_string() }
}

impl Templates {
    pub fn builtin() -> Templates {
        let mut env = environment();
        for (name, src) in BUILTIN {
            env.add_template(name, src).expect("shipped templates compile (tested)");
        }
        Templates { env }
    }

    /// Load `de/*.txt` and `en/*.txt` from `dir`; a shipped template fills any gap.
    /// A broken template is refused with its file and line.
    pub fn load_dir(dir: &Path) -> Result<Templates, ReplyError> {
        let mut env = environment();
        for (name, src) in BUILTIN {
            let path = dir.join(name);
            let src = match std::fs::read_to_string(&path) {
                Ok(s) => s,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => (*src).to_string(),
                Err(error) => return Err(ReplyError::Io { dir: path.display().to_string(), error }),
            };
            let file = path.display().to_string();
            if !src.starts_with("Subject:") {
                return Err(ReplyError::NoSubject { file });
            }
            env.add_template_owned(name.to_string(), src).map_err(|e| template_error(&file, &e))?;
        }
        Ok(Templates { env })
    }

    /// Render `kind` in `lang` (German when no English text exists): subject and body.
    pub fn render(&self, lang: Language, kind: &str, ctx: Value) -> Result<(String, String), ReplyError> {
        let en = format!("en/{kind}.txt");
        let name = if lang == Language::En && self.env.get_template(&en).is_ok() { en } else { format!("de/{kind}.txt") };
        let tpl = self.env.get_template(&name).map_err(|e| template_error(&name, &e))?;
        let text = tpl.render(ctx).map_err(|e| template_error(&name, &e))?;
        let (first, body) = text.split_once('\n').unwrap_or((&text, ""));
        let subject = first.strip_prefix("Subject:").ok_or(ReplyError::NoSubject { file: name.clone() })?.trim().to_string();
        Ok((subject, body.trim_start_matches('\n').to_string()))
    }
}

/// Who we are, as the mails say it.
#[derive(Debug, Clone)]
pub struct Office {
    /// Display name, e.g. "Bürgerbüro Hochheim am Main".
    pub name: String,
    /// Our address, e.g. buergerbuero@hochheim.de.
    pub address: String,
    /// Signature line under each mail.
    pub signature: String,
    /// Domain of our Message-IDs and calendar UIDs.
    pub domain: String,
}

/// Whom a mail goes to, in which language, answering which mail.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    pub address: &'a str,
    pub name: Option<&'a str>,
    pub lang: Language,
    pub in_reply_to: Option<&'a str>,
}

/// A visit as mails and invitations describe it.
#[derive(Debug, Clone, Copy)]
pub struct Visit<'a> {
    pub start: &'a Zoned,
    pub end: &'a Zoned,
    pub address: Option<&'a str>,
    /// RFC 5546 SEQUENCE: 0 when first booked, +1 per move or cancel.
    pub sequence: u32,
}

/// What staff of a Fachamt see on top of a forwarded mail.
#[derive(Debug, Clone, Serialize)]
pub struct ForwardSummary {
    pub sender: String,
    pub subject: String,
    pub received: String,
    pub concerns: Vec<String>,
    pub confidence: String,
    pub reasons: Vec<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub availability: Option<String>,
}

#[derive(Serialize)]
struct ConcernText {
    name: String,
    documents: Vec<String>,
    notice: Option<String>,
}

#[derive(Serialize)]
struct OptionText {
    n: usize,
    label: String,
    fits: bool,
}

#[derive(Serialize)]
struct DepartmentText {
    name: String,
    name_en: String,
    email: String,
}

/// RFC 3834: our mails are automatic, so vacation responders must not answer them.
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-replied".to_string())
    }
}

/// Composes every mail the product sends.
pub struct Composer<'a> {
    pub office: &'a Office,
    pub templates: &'a Templates,
    pub rules: &'a Rules,
}

/// Our Message-ID for a mail about a case: the case id in it lets a reply that lost its
/// subject tag still find the case.
pub fn message_id(case: CaseId, kind: &str, at: Timestamp, domain: &str) -> String {
    format!("{case}.{}.{kind}@{domain}", at.strftime("%Y%m%d%H%M%S"))
}

impl Composer<'_> {
    fn concerns(&self, ids: &[String], lang: Language) -> Vec<ConcernText> {
        ids.iter()
            .filter_map(|id| self.rules.concern(id).map(|(_, c)| c))
            .map(|c| {
                let en = lang == Language::En;
                ConcernText {
                    name: if en && !c.name_en.is_empty() { c.name_en.clone() } else { c.name.clone() },
                    documents: if en && !c.documents_en.is_empty() { c.documents_en.clone() } else { c.documents.clone() },
                    notice: if en { c.notice_en.clone().or_else(|| c.notice.clone()) } else { c.notice.clone() },
                }
            })
            .collect()
    }

    fn base(&self, case: CaseId, to: &Recipient<'_>) -> Value {
        context! { case_id => case.to_string(), name => to.name.unwrap_or(""), office => self.office.signature.clone() }
    }

    /// Proposals (or the waiting-list notice) for a home visit.
    #[allow(clippy::too_many_arguments)]
    pub fn proposal(&self, case: CaseId, to: &Recipient<'_>, concerns: &[String], persons: Option<u32>, plan: &Plan, hold_hours: i64, apology: bool, now: Timestamp) -> Result<Draft, ReplyError> {
        self.proposal_with(case, to, concerns, persons, plan, hold_hours, context! { apology => apology }, None, now)
    }

    /// New proposals after a booked visit had to be given up because its staff member is
    /// away and no colleague is free then: the apology names the lost visit, and the
    /// METHOD:CANCEL invitation takes it out of the household's calendar.
    #[allow(clippy::too_many_arguments)]
    pub fn absence_proposal(&self, case: CaseId, to: &Recipient<'_>, concerns: &[String], persons: Option<u32>, plan: &Plan, hold_hours: i64, cancelled: &Visit<'_>, now: Timestamp) -> Result<Draft, ReplyError> {
        let extra = context! { absence => true, cancelled_visit => labels::slot_label(cancelled.start, cancelled.end, to.lang) };
        let ics = self.invite(ics::Method::Cancel, case, to, concerns, cancelled, now);
        self.proposal_with(case, to, concerns, persons, plan, hold_hours, extra, Some((ics, "CANCEL")), now)
    }

    #[allow(clippy::too_many_arguments)]
    fn proposal_with(&self, case: CaseId, to: &Recipient<'_>, concerns: &[String], persons: Option<u32>, plan: &Plan, hold_hours: i64, extra: Value, ics: Option<(String, &str)>, now: Timestamp) -> Result<Draft, ReplyError> {
        let options: Vec<OptionText> = plan
            .proposals
            .iter()
            .enumerate()
            .map(|(i, p)| OptionText { n: i + 1, label: labels::slot_label(&p.start, &p.end, to.lang), fits: p.fits })
            .collect();
        let ctx = context! {
            ..self.base(case, to),
            ..context! {
                concerns => self.concerns(concerns, to.lang),
                persons => persons,
                all_fit => plan.proposals.iter().all(|p| p.fits),
                waitlisted => plan.waitlisted || options.is_empty(),
                earliest => plan.earliest.as_ref().map(|e| labels::day_label(e, to.lang)).unwrap_or_else(|| "—".into()),
                options => options,
                hold_hours => hold_hours,
            },
            ..extra
        };
        let (subject, body) = self.templates.render(to.lang, "proposal", ctx)?;
        self.build(case, "proposal", to, &subject, body, ics, now)
    }

    /// Booking confirmation with the METHOD:REQUEST invitation.
    pub fn confirmation(&self, case: CaseId, to: &Recipient<'_>, concerns: &[String], visit: &Visit<'_>, now: Timestamp) -> Result<Draft, ReplyError> {
        let label = labels::slot_label(visit.start, visit.end, to.lang);
        let ctx = context! { ..self.base(case, to), ..context! {
            concerns => self.concerns(concerns, to.lang), visit => label, address => visit.address } };
        let (subject, body) = self.templates.render(to.lang, "confirmation", ctx)?;
        let ics = self.invite(ics::Method::Request, case, to, concerns, visit, now);
        self.build(case, "confirmation", to, &subject, body, Some((ics, "REQUEST")), now)
    }

    /// Cancellation confirmation, with METHOD:CANCEL when a visit was booked.
    pub fn cancellation(&self, case: CaseId, to: &Recipient<'_>, concerns: &[String], visit: Option<&Visit<'_>>, now: Timestamp) -> Result<Draft, ReplyError> {
        let label = visit.map(|v| labels::slot_label(v.start, v.end, to.lang));
        let ctx = context! { ..self.base(case, to), ..context! { visit => label } };
        let (subject, body) = self.templates.render(to.lang, "cancellation", ctx)?;
        let ics = visit.map(|v| (self.invite(ics::Method::Cancel, case, to, concerns, v, now), "CANCEL"));
        self.build(case, "cancellation", to, &subject, body, ics, now)
    }

    /// The office cancels a case (a staff decision, not the citizen's wish), with
    /// METHOD:CANCEL when a visit was booked; says how to get a new date.
    /// `proposals_withdrawn`: the held dates of an earlier proposal no longer apply.
    pub fn office_cancellation(&self, case: CaseId, to: &Recipient<'_>, concerns: &[String], visit: Option<&Visit<'_>>, proposals_withdrawn: bool, now: Timestamp) -> Result<Draft, ReplyError> {
        let label = visit.map(|v| labels::slot_label(v.start, v.end, to.lang));
        let ctx = context! { ..self.base(case, to), ..context! { visit => label, proposals_withdrawn => proposals_withdrawn } };
        let (subject, body) = self.templates.render(to.lang, "office_cancellation", ctx)?;
        let ics = visit.map(|v| (self.invite(ics::Method::Cancel, case, to, concerns, v, now), "CANCEL"));
        self.build(case, "cancellation", to, &subject, body, ics, now)
    }

    /// The reminder before a visit.
    pub fn reminder(&self, case: CaseId, to: &Recipient<'_>, concerns: &[String], visit: &Visit<'_>, now: Timestamp) -> Result<Draft, ReplyError> {
        let label = labels::slot_label(visit.start, visit.end, to.lang);
        let ctx = context! { ..self.base(case, to), ..context! {
            concerns => self.concerns(concerns, to.lang), visit => label, address => visit.address } };
        let (subject, body) = self.templates.render(to.lang, "reminder", ctx)?;
        self.build(case, "reminder", to, &subject, body, None, now)
    }

    /// Tells the citizen which Fachamt takes over.
    pub fn specialist_notice(&self, case: CaseId, to: &Recipient<'_>, departments: &[&Department], visit_planned: bool, now: Timestamp) -> Result<Draft, ReplyError> {
        self.specialist_with(case, to, departments, context! { visit_planned => visit_planned }, None, now)
    }

    /// Tells the citizen that staff gave the case to a Fachamt: who gets in touch, and
    /// that a booked visit (withdrawn by METHOD:CANCEL) or proposed dates no longer apply.
    #[allow(clippy::too_many_arguments)]
    pub fn reassigned_notice(&self, case: CaseId, to: &Recipient<'_>, department: &Department, concerns: &[String], cancelled: Option<&Visit<'_>>, proposals_withdrawn: bool, now: Timestamp) -> Result<Draft, ReplyError> {
        let label = cancelled.map(|v| labels::slot_label(v.start, v.end, to.lang));
        let extra = context! { visit_planned => false, cancelled_visit => label, proposals_withdrawn => proposals_withdrawn };
        let ics = cancelled.map(|v| (self.invite(ics::Method::Cancel, case, to, concerns, v, now), "CANCEL"));
        self.specialist_with(case, to, &[department], extra, ics, now)
    }

    fn specialist_with(&self, case: CaseId, to: &Recipient<'_>, departments: &[&Department], extra: Value, ics: Option<(String, &str)>, now: Timestamp) -> Result<Draft, ReplyError> {
        let deps: Vec<DepartmentText> = departments
            .iter()
            .map(|d| DepartmentText { name: d.name.clone(), name_en: d.name_en.clone(), email: d.forward_to.clone() })
            .collect();
        let ctx = context! { ..self.base(case, to), ..context! { departments => deps }, ..extra };
        let (subject, body) = self.templates.render(to.lang, "specialist", ctx)?;
        self.build(case, "forwarded", to, &subject, body, ics, now)
    }

    /// Receipt for a mail a person must look at.
    pub fn unclear(&self, case: CaseId, to: &Recipient<'_>, now: Timestamp) -> Result<Draft, ReplyError> {
        let (subject, body) = self.templates.render(to.lang, "unclear", self.base(case, to))?;
        self.build(case, "receipt", to, &subject, body, None, now)
    }

    /// A notice to staff (quarantined mail): case number and why, nothing of the mail.
    pub fn staff_notice(&self, case: CaseId, staff: &str, reason: &str, now: Timestamp) -> Result<Draft, ReplyError> {
        let to = Recipient { address: staff, name: None, lang: Language::De, in_reply_to: None };
        let ctx = context! { case_id => case.to_string(), reason => reason };
        let (subject, body) = self.templates.render(Language::De, "staff_notice", ctx)?;
        self.build(case, "notice", &to, &subject, body, None, now)
    }

    /// The forward to a Fachamt: triage summary on top, the original attached as
    /// message/rfc822, References naming the original's Message-ID, case tag in subject.
    pub fn forward(&self, case: CaseId, department: &Department, summary: &ForwardSummary, original: &[u8], original_id: Option<&str>, now: Timestamp) -> Result<Draft, ReplyError> {
        let ctx = context! { ..Value::from_serialize(summary), ..context! {
            case_id => case.to_string(), department => department.name.clone() } };
        let (subject, body) = self.templates.render(Language::De, "forward", ctx)?;
        let to = Recipient { address: &department.forward_to, name: Some(&department.name), lang: Language::De, in_reply_to: None };
        let original_part = SinglePart::builder()
            .header(ContentType::parse("message/rfc822").map_err(|e| ReplyError::Build(e.to_string()))?)
            .header(ContentDisposition::attachment("original.eml"))
            .body(Body::new_with_encoding(original.to_vec(), ContentTransferEncoding::EightBit)
                .unwrap_or_else(|raw| Body::new_with_encoding(raw, ContentTransferEncoding::Base64).expect("base64 takes any bytes")));
        let mut builder = self.headers(case, "forward", &to, &subject, now)?;
        if let Some(id) = original_id {
            builder = builder.references(format!("<{id}>"));
        }
        let msg = builder
            .multipart(MultiPart::mixed().singlepart(SinglePart::plain(body)).singlepart(original_part))
            .map_err(|e| ReplyError::Build(e.to_string()))?;
        Ok(Draft { to: department.forward_to.clone(), message: msg.formatted() })
    }

    fn invite(&self, method: ics::Method, case: CaseId, to: &Recipient<'_>, concerns: &[String], visit: &Visit<'_>, now: Timestamp) -> String {
        let names: Vec<String> = self.concerns(concerns, Language::De).into_iter().map(|c| c.name).collect();
        let docs: Vec<String> = self.concerns(concerns, to.lang).into_iter().flat_map(|c| c.documents).collect();
        let summary = format!("Hausbesuch Bürgerbüro ({case}): {}", names.join(", "));
        let description = format!("Vorgang {case}. Bitte bereithalten: {}", docs.join("; "));
        ics::render(&ics::Invite {
            method,
            case,
            sequence: visit.sequence,
            start: visit.start,
            end: visit.end,
            summary: &summary,
            description: &description,
            location: visit.address,
            organizer_name: &self.office.name,
            organizer_email: &self.office.address,
            attendee_email: to.address,
            stamp: now,
            domain: &self.office.domain,
        })
    }

    fn headers(&self, case: CaseId, kind: &str, to: &Recipient<'_>, subject: &str, now: Timestamp) -> Result<lettre::message::MessageBuilder, ReplyError> {
        let from: Mailbox = format!("{} <{}>", self.office.name, self.office.address)
            .parse()
            .map_err(|_| ReplyError::Address(self.office.address.clone()))?;
        let to_box = Mailbox::new(to.name.map(str::to_string), to.address.parse().map_err(|_| ReplyError::Address(to.address.to_string()))?);
        let mut b = Message::builder()
            .from(from)
            .to(to_box)
            .subject(subject)
            .date(std::time::SystemTime::from(now))
            .message_id(Some(format!("<{}>", message_id(case, kind, now, &self.office.domain))))
            .header(AutoSubmitted);
        if let Some(irt) = to.in_reply_to {
            b = b.in_reply_to(format!("<{irt}>")).references(format!("<{irt}>"));
        }
        Ok(b)
    }

    #[allow(clippy::too_many_arguments)]
    fn build(&self, case: CaseId, kind: &str, to: &Recipient<'_>, subject: &str, body: String, ics: Option<(String, &str)>, now: Timestamp) -> Result<Draft, ReplyError> {
        let b = self.headers(case, kind, to, subject, now)?;
        let msg = match ics {
            None => b.singlepart(SinglePart::plain(body)),
            Some((ics, method)) => {
                let ct = ContentType::parse(&format!("text/calendar; method={method}; charset=UTF-8"))
                    .map_err(|e| ReplyError::Build(e.to_string()))?;
                let invite = SinglePart::builder().header(ct).header(ContentDisposition::attachment("termin.ics")).body(ics);
                b.multipart(MultiPart::mixed().singlepart(SinglePart::plain(body)).singlepart(invite))
            }
        }
        .map_err(|e| ReplyError::Build(e.to_string()))?;
        Ok(Draft { to: to.address.to_string(), message: msg.formatted() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Proposal;
    use mail_parser::{MessageParser, MimeHeaders};

    fn rules() -> Rules {
        Rules::builtin()
    }

    fn office() -> Office {
        Office {
            name: "Bürgerbüro Hochheim am Main".into(),
            address: "buergerbuero@hochheim.de".into(),
            signature: "Bürgerbüro der Stadt Hochheim am Main".into(),
            domain: "buergerservice.hochheim.de".into(),
        }
    }

    fn z(s: &str) -> Zoned {
        crate::tz::parse_instant(s).unwrap()
    }

    fn plan() -> Plan {
        let p = |a: &str, b: &str| Proposal { start: z(a), end: z(b), staff: "Anna".into(), fits: true };
        Plan {
            proposals: vec![p("2027-04-08T18:00", "2027-04-08T18:40"), p("2027-04-15T18:00", "2027-04-15T18:40")],
            waitlisted: false,
            earliest: Some(z("2027-04-08T18:00")),
        }
    }

    const NOW: &str = "2027-04-06T07:00:00Z";

    #[test]
    fn proposal_numbers_the_options_and_lists_documents_and_notices() {
        let (r, o, t) = (rules(), office(), Templates::builtin());
        let c = Composer { office: &o, templates: &t, rules: &r };
        let to = Recipient { address: "sabine@example.org", name: Some("Sabine Wendel"), lang: Language::De, in_reply_to: Some("abc@posteo.de") };
        let d = c
            .proposal(CaseId::new(2027, 31), &to, &["personalausweis".into(), "kinderreisepass".into()], Some(2), &plan(), 72, false, NOW.parse().unwrap())
            .unwrap();
        let msg = MessageParser::default().parse(&d.message).unwrap();
        assert_eq!(msg.subject(), Some("[BS-2027-00031] Ihre Terminvorschläge für einen Hausbesuch"));
        assert_eq!(msg.in_reply_to().as_text(), Some("abc@posteo.de"));
        assert_eq!(msg.header_raw("Auto-Submitted").map(str::trim), Some("auto-replied"));
        assert!(msg.message_id().unwrap().starts_with("BS-2027-00031."));
        let body = msg.body_text(0).unwrap();
        assert!(body.contains("1) Donnerstag, 8. April 2027, 18:00–18:40 Uhr"), "{body}");
        assert!(body.contains("2) Donnerstag, 15. April 2027"), "{body}");
        assert!(body.contains("für 2 Personen"), "{body}");
        assert!(body.contains("biometrisches Lichtbild"), "{body}");
        assert!(body.contains("Seit dem 1. Januar 2024"), "{body}");
        assert!(body.contains("Gäste-WLAN"), "{body}");
        assert!(body.contains("mit der Nummer"), "{body}");
    }

    #[test]
    fn the_reply_reader_understands_our_own_proposal_format() {
        let (r, o, t) = (rules(), office(), Templates::builtin());
        let c = Composer { office: &o, templates: &t, rules: &r };
        for lang in [Language::De, Language::En] {
            let to = Recipient { address: "sabine@example.org", name: None, lang, in_reply_to: None };
            let d = c.proposal(CaseId::new(2027, 31), &to, &["personalausweis".into()], Some(1), &plan(), 72, false, NOW.parse().unwrap()).unwrap();
            let body = MessageParser::default().parse(&d.message).unwrap().body_text(0).unwrap().to_string();
            let options = crate::extract::reply::parse_options(&body);
            assert_eq!(options.len(), 2, "{lang:?}: {body}");
            assert_eq!((options[1].number, options[1].day, options[1].month, options[1].start), (2, Some(15), Some(4), Some((18, 0))));
        }
    }

    #[test]
    fn english_mail_gets_english_reply_and_waitlist_states_the_earliest_date() {
        let (r, o, t) = (rules(), office(), Templates::builtin());
        let c = Composer { office: &o, templates: &t, rules: &r };
        let to = Recipient { address: "jo@example.org", name: None, lang: Language::En, in_reply_to: None };
        let wait = Plan { proposals: Vec::new(), waitlisted: true, earliest: Some(z("2027-06-02T09:00")) };
        let d = c.proposal(CaseId::new(2027, 2), &to, &["personalausweis".into()], None, &wait, 72, false, NOW.parse().unwrap()).unwrap();
        let msg = MessageParser::default().parse(&d.message).unwrap();
        let body = msg.body_text(0).unwrap();
        assert!(body.contains("put you on the waiting") && body.contains("Wednesday, 2 June 2027"), "{body}");
        assert!(!body.contains("1)"), "{body}");
    }

    #[test]
    fn confirmation_carries_a_request_invite_and_cancellation_a_cancel() {
        let (r, o, t) = (rules(), office(), Templates::builtin());
        let c = Composer { office: &o, templates: &t, rules: &r };
        let to = Recipient { address: "sabine@example.org", name: None, lang: Language::De, in_reply_to: None };
        let (s, e) = (z("2027-04-08T18:00"), z("2027-04-08T18:40"));
        let v = Visit { start: &s, end: &e, address: Some("Kolpingstraße 7, 65239 Hochheim am Main"), sequence: 0 };
        let d = c.confirmation(CaseId::new(2027, 31), &to, &["personalausweis".into()], &v, NOW.parse().unwrap()).unwrap();
        let msg = MessageParser::default().parse(&d.message).unwrap();
        let ics = msg.attachments().find(|a| a.content_type().is_some_and(|ct| ct.subtype() == Some("calendar"))).expect("an .ics part");
        let ics = std::str::from_utf8(ics.contents()).unwrap();
        assert!(ics.contains("METHOD:REQUEST") && ics.contains("UID:BS-2027-00031@buergerservice.hochheim.de"));
        let d = c.cancellation(CaseId::new(2027, 31), &to, &["personalausweis".into()], Some(&Visit { sequence: 1, ..v }), NOW.parse().unwrap()).unwrap();
        let msg = MessageParser::default().parse(&d.message).unwrap();
        let ics = msg.attachments().find(|a| a.content_type().is_some_and(|ct| ct.subtype() == Some("calendar"))).unwrap();
        let ics = std::str::from_utf8(ics.contents()).unwrap();
        assert!(ics.contains("METHOD:CANCEL") && ics.contains("SEQUENCE:1"));
    }

    #[test]
    fn staff_absence_and_office_cancellation_withdraw_the_visit_in_both_languages() {
        let (r, o, t) = (rules(), office(), Templates::builtin());
        let c = Composer { office: &o, templates: &t, rules: &r };
        let (s, e) = (z("2027-04-08T18:00"), z("2027-04-08T18:40"));
        let lost = Visit { start: &s, end: &e, address: None, sequence: 1 };
        for (lang, absent, office) in [(Language::De, "erkrankt", "Bürgerbüro muss"), (Language::En, "is ill", "citizen office has to cancel")] {
            let to = Recipient { address: "sabine@example.org", name: None, lang, in_reply_to: None };
            let d = c.absence_proposal(CaseId::new(2027, 31), &to, &["personalausweis".into()], None, &plan(), 72, &lost, NOW.parse().unwrap()).unwrap();
            let msg = MessageParser::default().parse(&d.message).unwrap();
            let body = msg.body_text(0).unwrap().to_string();
            assert!(body.contains(absent) && body.contains("18:00"), "{lang:?}: {body}");
            assert_eq!(crate::extract::reply::parse_options(&body).len(), 2, "{lang:?}: the options read as in any proposal");
            let ics = msg.attachments().find(|a| a.content_type().is_some_and(|ct| ct.subtype() == Some("calendar"))).expect("an .ics part");
            assert!(std::str::from_utf8(ics.contents()).unwrap().contains("METHOD:CANCEL"));

            let d = c.office_cancellation(CaseId::new(2027, 31), &to, &[], None, true, NOW.parse().unwrap()).unwrap();
            let msg = MessageParser::default().parse(&d.message).unwrap();
            assert!(msg.attachments().next().is_none(), "no visit, no invitation");
            let d = c.office_cancellation(CaseId::new(2027, 31), &to, &[], Some(&lost), false, NOW.parse().unwrap()).unwrap();
            let body = MessageParser::default().parse(&d.message).unwrap().body_text(0).unwrap().to_string();
            assert!(body.contains(office), "{lang:?}: {body}");
        }
    }

    #[test]
    fn forward_attaches_the_original_and_references_it() {
        let (r, o, t) = (rules(), office(), Templates::builtin());
        let c = Composer { office: &o, templates: &t, rules: &r };
        let original = b"From: a@b.de\r\nSubject: Heirat\r\nMessage-ID: <orig@b.de>\r\n\r\nWir wollen heiraten.\r\n";
        let summary = ForwardSummary {
            sender: "a@b.de".into(),
            subject: "Heirat".into(),
            received: "06.04.2027 09:00".into(),
            concerns: vec!["eheschliessung".into()],
            confidence: "0.90".into(),
            reasons: vec!["eheschliessung: \"heiraten\"".into()],
            phone: None,
            address: None,
            availability: Some("werktags abends".into()),
        };
        let d = c.forward(CaseId::new(2027, 5), r.department("standesamt").unwrap(), &summary, original, Some("orig@b.de"), NOW.parse().unwrap()).unwrap();
        assert_eq!(d.to, "standesamt@hochheim.de");
        let msg = MessageParser::default().parse(&d.message).unwrap();
        assert!(msg.subject().unwrap().starts_with("[BS-2027-00005] Weiterleitung an Standesamt"));
        assert_eq!(msg.references().as_text(), Some("orig@b.de"));
        let body = msg.body_text(0).unwrap();
        assert!(body.contains("eheschliessung") && body.contains("werktags abends"), "{body}");
        let att = msg.attachments().next().unwrap();
        assert_eq!(att.content_type().map(|c| c.ctype()), Some("message"));
    }

    #[test]
    fn a_broken_template_is_refused_with_file_and_line() {
        let dir = std::env::temp_dir().join(format!("bs-templates-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("de")).unwrap();
        std::fs::write(dir.join("de/proposal.txt"), "Subject: x\n\nHallo\n{% for o in options %}\n").unwrap();
        let err = Templates::load_dir(&dir).err().expect("refused").to_string();
        std::fs::remove_dir_all(&dir).ok();
        assert!(err.contains("de/proposal.txt") && err.contains("line"), "{err}");
    }
}
