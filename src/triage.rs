//! Stage 5: everything the daemon decides about one mail, as one record. No I/O.

use crate::case_id::CaseId;
use crate::classify::{ClassifyInput, Rules};
use crate::extract::household::{self, Address};
use crate::extract::language::{self, Language};
use crate::extract::reply;
use crate::extract::when::{self, Availability};
use crate::kind::{self, MailKind};
use crate::parse::{self, Mailbox, ParsedMail};
use crate::schedule::{self, Agenda, District, PlanningRules, Proposal, VisitRequest};
use jiff::Zoned;
use serde::Serialize;

/// The triage of one mail: the JSON contract of `buergerservice triage` (one object per
/// line, exactly these keys).
#[derive(Debug, Clone, Serialize)]
pub struct Triage {
    pub file: String,
    pub message_id: Option<String>,
    pub from: Option<String>,
    pub reply_to: Option<String>,
    pub subject: String,
    pub language: Language,
    pub kind: MailKind,
    pub department: Option<String>,
    pub needs_specialist: bool,
    pub concerns: Vec<String>,
    pub confidence: f64,
    pub reasons: Vec<String>,
    pub persons: Option<u32>,
    pub address: Option<Address>,
    pub phone: Option<String>,
    pub case_id: Option<CaseId>,
    pub choice: Option<u32>,
    pub cancel: bool,
    pub reschedule: bool,
    pub availability: Availability,
    /// Home-visit proposals for Bürgerbüro requests, planned on an empty calendar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposals: Option<Vec<Proposal>>,
}

/// What triage decides with: the rules and the office's planning rules.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub rules: &'a Rules,
    /// For proposals on an empty calendar (`buergerservice triage`); `None` in the
    /// daemon, which plans against its agenda and would throw them away (24 µs a mail).
    pub planning: Option<&'a PlanningRules>,
}

/// A file that could not be triaged; reported as `{"file", "error"}`.
#[derive(Debug, Clone, Serialize)]
pub struct TriageError {
    pub file: String,
    pub error: String,
}

/// Triage raw mail bytes. `now` defaults to the mail's Date, else `fallback_now`.
pub fn triage(
    file: &str,
    raw: &[u8],
    now: Option<&Zoned>,
    fallback_now: &Zoned,
    ctx: Context<'_>,
) -> Result<Triage, TriageError> {
    let mail = parse::parse(raw).map_err(|e| TriageError { file: file.to_string(), error: e.to_string() })?;
    let now = match now {
        Some(n) => n.clone(),
        None => mail.date.map(|d| d.to_zoned(crate::tz::berlin())).unwrap_or_else(|| fallback_now.clone()),
    };
    Ok(triage_parsed(file, &mail, &now, ctx))
}

/// Triage an already parsed mail against `now`.
pub fn triage_parsed(file: &str, mail: &ParsedMail, now: &Zoned, ctx: Context<'_>) -> Triage {
    let kind = kind::detect(mail);
    let new_text = &mail.body.new_text;
    let language = language::detect(&format!("{}\n{}", mail.subject, new_text), mail.content_language.as_deref());
    let mut reasons = vec![format!("kind {:?}: {}", kind.kind, kind.reason)];
    reasons.extend(mail.problems.iter().map(|p| format!("problem: {p}")));

    let mut out = Triage {
        file: file.to_string(),
        message_id: mail.message_id.clone(),
        from: mail.from.as_ref().map(mailbox_str),
        reply_to: mail.answer_to().map(mailbox_str),
        subject: mail.subject.clone(),
        language,
        kind: kind.kind,
        department: None,
        needs_specialist: false,
        concerns: Vec::new(),
        confidence: 1.0,
        reasons,
        persons: None,
        address: None,
        phone: None,
        case_id: kind.case_id,
        choice: None,
        cancel: false,
        reschedule: false,
        availability: Availability::default(),
        proposals: None,
    };

    match kind.kind {
        // Automatic mail is never answered and its dates are absences, not wishes.
        MailKind::AutoReply | MailKind::Bounce => {}
        MailKind::Request => {
            let c = ctx.rules.classify(&ClassifyInput { subject: &mail.subject, new_text, quoted: &mail.body.quoted });
            out.department = Some(c.department);
            out.needs_specialist = c.needs_specialist;
            out.concerns = c.concerns;
            out.confidence = c.confidence;
            out.reasons.extend(c.reasons);
            fill_household(&mut out, mail, now);
            out.proposals = plan_visit(&out, ctx, now);
        }
        MailKind::CaseReply => {
            // The case's department is known to the store; offline it is the Bürgerbüro,
            // which sent the proposal being answered.
            out.department = Some("buergerbuero".into());
            let intent = reply::extract(new_text, &mail.body.quoted, now);
            out.choice = intent.choice;
            out.cancel = intent.cancel;
            out.reschedule = intent.reschedule;
            fill_household(&mut out, mail, now);
        }
    }
    out
}

fn fill_household(out: &mut Triage, mail: &ParsedMail, now: &Zoned) {
    let h = household::extract(&mail.body.new_text, &mail.body.signature);
    out.persons = h.persons;
    out.address = h.address;
    out.phone = h.phone;
    out.availability = when::availability(&mail.body.new_text, now);
}

/// Proposals for the Bürgerbüro part of a request, on an empty calendar (offline triage
/// knows no bookings). `None` when nothing is for a home visit.
fn plan_visit(t: &Triage, ctx: Context<'_>, now: &Zoned) -> Option<Vec<Proposal>> {
    let planning = ctx.planning?;
    if t.department.as_deref() != Some("buergerbuero") && visit_minutes(ctx.rules, &t.concerns, 1) == 0 {
        return None;
    }
    let req = visit_request(ctx.rules, &t.concerns, t.persons, t.address.as_ref(), &t.availability);
    Some(schedule::propose(planning, &Agenda::new(), &req, now).proposals)
}

/// The visit a household needs: its length from the concerns and persons (an
/// unclassified mail still gets the office's standard 30 minutes), where, and when.
pub fn visit_request<'a>(
    rules: &Rules,
    concerns: &[String],
    persons: Option<u32>,
    address: Option<&'a Address>,
    availability: &'a Availability,
) -> VisitRequest<'a> {
    let minutes = visit_minutes(rules, concerns, persons.unwrap_or(1));
    VisitRequest {
        duration_minutes: if minutes == 0 { 30 } else { minutes },
        district: address.map(district_of),
        street: address.map(|a| a.street.as_str()),
        availability,
    }
}

/// Length of one home visit: per Bürgerbüro concern its base plus per extra person.
pub fn visit_minutes(rules: &Rules, concerns: &[String], persons: u32) -> i64 {
    let extra = i64::from(persons.max(1) - 1);
    concerns
        .iter()
        .filter_map(|id| rules.concern(id).filter(|(d, _)| d.home_visit)?.1.visit.clone())
        .map(|v| i64::from(v.base_minutes) + extra * i64::from(v.per_extra_person_minutes))
        .sum()
}

/// Massenheim is its own district (longer travel); everything else is Hochheim.
pub fn district_of(a: &Address) -> District {
    let massenheim = a.city.as_deref().is_some_and(|c| c.to_lowercase().contains("massenheim"));
    if massenheim { District::Massenheim } else { District::Hochheim }
}

fn mailbox_str(m: &Mailbox) -> String {
    m.address.clone()
}
