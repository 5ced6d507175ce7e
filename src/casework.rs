//! Staff actions on cases — a note, done, cancel, reassign to another department — and a
//! staff member's absence. The daemon runs them in its loop between batches of mail (the
//! control socket hands them over), so they never race the engine on a case.
//!
//! Each action is decided from the stored case and applied as one store change together
//! with the mails it sends, and records who did it (`by`, the staff member's OS user) in
//! the case history. Everything is flushed before an action returns, so a command that
//! reported success survives a crash. An absence is applied case by case; running the same
//! command again finishes what a crash interrupted and otherwise changes nothing.

use crate::case_id::CaseId;
use crate::engine::{address_line, stored_forward_summary, visit_sequence, Apology, Engine, EngineError, Facts};
use crate::extract::language::Language;
use crate::reply::{Recipient, ReplyError, Visit};
use crate::store::{Absence, Applied, Case, Change, EventKind, Slot, Status, StoreError};
use crate::tz::berlin;
use jiff::civil::Date;
use jiff::{Timestamp, Zoned};
use serde::Serialize;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum CaseworkError {
    #[error("no case {0}")]
    NoSuchCase(CaseId),
    #[error("unknown department {given:?}; known: {}", known.join(", "))]
    UnknownDepartment { given: String, known: Vec<String> },
    #[error("case {case} is already with {department}")]
    SameDepartment { case: CaseId, department: String },
    #[error("unknown staff member {given:?}; known: {}", known.join(", "))]
    UnknownStaff { given: String, known: Vec<String> },
    #[error("case {case} is {}: it cannot be {action}", status.key())]
    NotAllowed { case: CaseId, action: &'static str, status: Status },
    #[error("case {case}: the visit on {visit} is still ahead; cancel the case instead (the citizen is told)")]
    VisitAhead { case: CaseId, visit: String },
    #[error("case {case} has no address to send proposals to; reach the household another way")]
    NoAddress { case: CaseId },
    #[error("absence of {staff}: the first day {from} is after the last day {to}")]
    EmptySpan { staff: String, from: Date, to: Date },
    #[error("a note needs some text")]
    EmptyNote,
    #[error("case {case}: its mail is missing from the store, there is nothing to forward")]
    MailMissing { case: CaseId },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("composing a mail: {0}")]
    Reply(#[from] ReplyError),
}

impl From<EngineError> for CaseworkError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Store(e) => CaseworkError::Store(e),
            EngineError::Reply(e) => CaseworkError::Reply(e),
        }
    }
}

/// What a staff cancellation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cancellation {
    pub case: CaseId,
    /// A booked visit was withdrawn (the mail carries the calendar cancellation).
    pub visit_cancelled: bool,
    /// False when the case has no usable address: staff must tell the household.
    pub citizen_told: bool,
}

/// What a reassignment did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reassignment {
    pub case: CaseId,
    /// The department before (none: the case was unclassified).
    pub from: Option<String>,
    pub to: String,
    pub status: Status,
    /// The Fachamt's address the case's mail was forwarded to.
    pub forwarded_to: Option<String>,
    pub visit_cancelled: bool,
    pub citizen_told: bool,
}

/// What became of one case touched by an absence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum AbsenceOutcome {
    /// The visit went to a colleague at the very same time. No mail: nothing the household
    /// was told (mails, invitation) names the staff member.
    MovedTo { staff: String },
    /// Nobody was free then: the visit was cancelled and the household got an apology
    /// with new proposals (or the waiting list).
    Reproposed { waitlisted: bool },
    /// As `Reproposed`, but the case has no usable address: staff must call.
    ReleasedUntold,
    /// A held proposal of the absent person: kept on offer; a household that picks it
    /// gets a colleague at that time if one is free, else new proposals.
    HoldKept,
    /// The visit began before the absence was entered: left for staff to settle.
    AlreadyBegun,
    /// The agenda holds a visit the case does not: nothing changed, the case is flagged.
    Flagged,
}

impl AbsenceOutcome {
    /// The outcome without staff names, for logs.
    pub fn label(&self) -> &'static str {
        match self {
            AbsenceOutcome::MovedTo { .. } => "moved_to_colleague",
            AbsenceOutcome::Reproposed { .. } => "reproposed",
            AbsenceOutcome::ReleasedUntold => "released_untold",
            AbsenceOutcome::HoldKept => "hold_kept",
            AbsenceOutcome::AlreadyBegun => "already_begun",
            AbsenceOutcome::Flagged => "flagged",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AbsenceCase {
    pub case: CaseId,
    /// Start of the visit or held proposal concerned.
    pub visit: Timestamp,
    #[serde(flatten)]
    pub outcome: AbsenceOutcome,
}

/// Everything an absence touched: nothing is silently lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AbsenceReport {
    pub staff: String,
    pub from: Date,
    pub to: Date,
    /// False when this absence was recorded before (a repeated command).
    pub newly_recorded: bool,
    pub cases: Vec<AbsenceCase>,
}

impl Engine<'_> {
    fn case_of(&self, id: CaseId) -> Result<Case, CaseworkError> {
        self.store.case(id)?.ok_or(CaseworkError::NoSuchCase(id))
    }

    /// The household as a mail recipient; `None` when there is no address (a quarantined
    /// mail) or a bounce showed it does not exist.
    fn household<'c>(&self, case: &'c Case, lang: Language) -> Result<Option<Recipient<'c>>, CaseworkError> {
        if case.sender.is_empty() || self.store.is_undeliverable(&case.sender)? {
            return Ok(None);
        }
        Ok(Some(Recipient { address: &case.sender, name: None, lang, in_reply_to: case.message_id.as_deref() }))
    }

    fn apply_staff_change(&self, id: CaseId, change: &Change, now: &Zoned) -> Result<Option<Applied>, CaseworkError> {
        let applied = self.store.update(id, None, now.timestamp(), change)?;
        self.store.flush()?;
        Ok(applied)
    }

    /// Add a staff member's note to the case history.
    pub fn note(&self, id: CaseId, text: &str, by: &str, now: &Zoned) -> Result<(), CaseworkError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(CaseworkError::EmptyNote);
        }
        self.case_of(id)?;
        let change = Change { events: vec![EventKind::Note { by: by.to_string(), text: text.to_string() }], ..Default::default() };
        self.apply_staff_change(id, &change, now)?;
        tracing::info!(case = %id, "note added");
        Ok(())
    }

    /// Close the case: the visit took place or the matter is settled. Held proposals are
    /// released (a late pick books nothing); a past booking stays in the case and the
    /// agenda as the record of the visit. Refused for cancelled or done cases, and while
    /// the booked visit still lies ahead (cancel it instead, which tells the household).
    pub fn mark_done(&self, id: CaseId, by: &str, now: &Zoned) -> Result<(), CaseworkError> {
        let case = self.case_of(id)?;
        if matches!(case.status, Status::Cancelled | Status::Done) {
            return Err(CaseworkError::NotAllowed { case: id, action: "marked done", status: case.status });
        }
        if let Some(b) = case.booking.as_ref().filter(|b| b.start > now.timestamp()) {
            return Err(CaseworkError::VisitAhead { case: id, visit: b.start.to_zoned(berlin()).strftime("%d.%m.%Y %H:%M").to_string() });
        }
        let mut change = Change { status: Some(Status::Done), events: vec![EventKind::MarkedDone { by: by.to_string() }], ..Default::default() };
        if !case.proposed_slots().is_empty() {
            change.hold = Some((Vec::new(), now.timestamp()));
        }
        self.apply_staff_change(id, &change, now)?;
        tracing::info!(case = %id, "marked done");
        Ok(())
    }

    /// The office cancels the case: booking and holds are freed and the household is told
    /// (with the calendar cancellation when a visit was booked, and how to get a new
    /// date). Refused for cancelled or done cases.
    pub fn cancel_by_staff(&self, id: CaseId, by: &str, now: &Zoned) -> Result<Cancellation, CaseworkError> {
        let case = self.case_of(id)?;
        if matches!(case.status, Status::Cancelled | Status::Done) {
            return Err(CaseworkError::NotAllowed { case: id, action: "cancelled", status: case.status });
        }
        let facts = Facts::from_stored(&case.triage);
        let bb = self.buergerbuero_concerns(&facts);
        let address = address_line(&facts);
        // A visit that already ended is not withdrawn from anyone's calendar.
        let booked = case.booking.as_ref().filter(|b| b.end > now.timestamp());
        let times = booked.map(|b| (b.start.to_zoned(berlin()), b.end.to_zoned(berlin())));
        let visit = times.as_ref().map(|(s, e)| Visit { start: s, end: e, address: address.as_deref(), sequence: visit_sequence(&case) + 1 });
        let mut change = Change { cancel: true, events: vec![EventKind::CancelledByStaff { by: by.to_string() }], ..Default::default() };
        let to = self.household(&case, facts.language)?;
        match &to {
            Some(to) => change.replies.push(self.composer.office_cancellation(id, to, &bb, visit.as_ref(), case.status == Status::Proposed, now.timestamp())?),
            None => change.events.push(EventKind::Flagged { reason: "cancelled by staff; no address to tell the household: reach it another way".into() }),
        }
        self.apply_staff_change(id, &change, now)?;
        tracing::info!(case = %id, "cancelled by staff");
        Ok(Cancellation { case: id, visit_cancelled: visit.is_some(), citizen_told: to.is_some() })
    }

    /// Give the case to `department` (the typical use: staff classify an unclassified
    /// case). To a Fachamt: the case's mail is forwarded there as a new request would be,
    /// held proposals are released and a booked visit cancelled, and the household is
    /// told who gets in touch (with the calendar cancellation). To a home-visit
    /// department (the Bürgerbüro): proposals as for a new request, or the waiting list.
    /// The stored triage keeps only the concerns of the new department; the earlier
    /// classification stays in the history.
    pub fn reassign(&self, id: CaseId, department: &str, by: &str, now: &Zoned) -> Result<Reassignment, CaseworkError> {
        let case = self.case_of(id)?;
        let Some(dept) = self.rules.department(department) else {
            return Err(CaseworkError::UnknownDepartment { given: department.to_string(), known: self.rules.departments.iter().map(|d| d.id.clone()).collect() });
        };
        if matches!(case.status, Status::Cancelled | Status::Done) {
            return Err(CaseworkError::NotAllowed { case: id, action: "reassigned", status: case.status });
        }
        // An unclassified case carries the classifier's fallback department: it has none.
        let from = (case.status != Status::Unclassified).then(|| case.triage.get("department").and_then(|d| d.as_str()).map(str::to_string)).flatten();
        if from.as_deref() == Some(dept.id.as_str()) {
            return Err(CaseworkError::SameDepartment { case: id, department: dept.id.clone() });
        }
        let old = Facts::from_stored(&case.triage);
        let concerns: Vec<String> = old.concerns.iter().filter(|c| self.rules.concern(c).is_some_and(|(d, _)| d.id == dept.id)).cloned().collect();
        let mut triage = case.triage.clone();
        if let Some(t) = triage.as_object_mut() {
            t.insert("department".into(), dept.id.clone().into());
            t.insert("concerns".into(), concerns.clone().into());
            t.insert("needs_specialist".into(), (!dept.home_visit).into());
        }
        let facts = Facts::from_stored(&triage);
        let mut change = Change {
            events: vec![
                EventKind::Reassigned { by: by.to_string(), from: from.clone(), to: dept.id.clone() },
                EventKind::Classified { department: dept.id.clone(), concerns },
            ],
            triage: Some(triage),
            ..Default::default()
        };
        let to = self.household(&case, facts.language)?;
        let mut out = Reassignment { case: id, from, to: dept.id.clone(), status: case.status, forwarded_to: None, visit_cancelled: false, citizen_told: to.is_some() };

        if dept.home_visit {
            if case.booking.is_some() {
                // A visit is booked already: it stands, only the department changes.
                out.citizen_told = false;
            } else {
                let to = to.ok_or(CaseworkError::NoAddress { case: id })?;
                let plan = self.plan(&facts, &facts.availability, now, Some(id))?;
                let offer = self.offer(id, &to, &facts, &plan, Apology::None, now)?;
                change.status = offer.status;
                change.events.extend(offer.events);
                change.replies.extend(offer.replies);
                change.hold = offer.hold;
            }
        } else {
            let raw = case
                .history
                .iter()
                .find_map(|e| match &e.what {
                    EventKind::Received { mail } => Some((mail.clone(), e.at)),
                    _ => None,
                })
                .map(|(key, at)| self.store.mail(&key).map(|m| m.map(|m| (m, at))))
                .transpose()?
                .flatten();
            let Some((raw, received)) = raw else { return Err(CaseworkError::MailMissing { case: id }) };
            let mut summary = stored_forward_summary(&case, &received.to_zoned(berlin()));
            summary.reasons.insert(0, format!("von Hand zugewiesen durch {by}"));
            change.replies.push(self.composer.forward(id, dept, &summary, &raw, case.message_id.as_deref(), now.timestamp())?);
            change.events.push(EventKind::Forwarded { to: dept.forward_to.clone() });
            out.forwarded_to = Some(dept.forward_to.clone());

            let address = address_line(&old);
            let booked = case.booking.as_ref().filter(|b| b.end > now.timestamp());
            let times = booked.map(|b| (b.start.to_zoned(berlin()), b.end.to_zoned(berlin())));
            let visit = times.as_ref().map(|(s, e)| Visit { start: s, end: e, address: address.as_deref(), sequence: visit_sequence(&case) + 1 });
            let withdrawn = case.status == Status::Proposed;
            if case.booking.is_some() {
                change.cancel = true;
            } else if !case.proposed_slots().is_empty() {
                change.hold = Some((Vec::new(), now.timestamp()));
            }
            match &to {
                Some(to) => {
                    let bb = self.buergerbuero_concerns(&old);
                    change.replies.push(self.composer.reassigned_notice(id, to, dept, &bb, visit.as_ref(), withdrawn, now.timestamp())?);
                }
                None => change.events.push(EventKind::Flagged { reason: format!("given to {}; no address to tell the household", dept.id) }),
            }
            change.status = Some(Status::Forwarded);
            out.visit_cancelled = visit.is_some();
        }
        self.apply_staff_change(id, &change, now)?;
        out.status = self.case_of(id)?.status;
        tracing::info!(case = %id, status = out.status.key(), "reassigned");
        Ok(out)
    }

    /// `staff` is away from `from` through `to`. The absence is recorded (once), and from
    /// then on the planner never proposes them in the span. Each of their booked visits
    /// in the span goes to a colleague free at the very same time by the planner's rules;
    /// with none, it is cancelled and the household gets an apology with new proposals.
    /// Their held proposals stay on offer: a pick gets a colleague or new proposals
    /// ([`Engine::process`]). The report lists every case touched.
    pub fn staff_absent(&self, staff: &str, from: Date, to: Date, by: &str, now: &Zoned) -> Result<AbsenceReport, CaseworkError> {
        if !self.planning.staff.iter().any(|s| s.name == staff) {
            return Err(CaseworkError::UnknownStaff { given: staff.to_string(), known: self.planning.staff.iter().map(|s| s.name.clone()).collect() });
        }
        if from > to {
            return Err(CaseworkError::EmptySpan { staff: staff.to_string(), from, to });
        }
        let absence = Absence { staff: staff.to_string(), from, to, by: by.to_string(), at: now.timestamp() };
        let newly_recorded = self.store.add_absence(&absence)?;
        // Durable before any household hears of it.
        self.store.flush()?;
        let mut report = AbsenceReport { staff: staff.to_string(), from, to, newly_recorded, cases: Vec::new() };
        let entries: Vec<_> = self.store.agenda_between(from, to, now.timestamp())?.into_iter().filter(|e| e.slot.staff == staff).collect();
        for e in entries {
            let outcome = if e.hold_until.is_some() {
                if report.cases.iter().any(|c| c.case == e.case && c.outcome == AbsenceOutcome::HoldKept) {
                    continue;
                }
                AbsenceOutcome::HoldKept
            } else if e.slot.start <= now.timestamp() {
                AbsenceOutcome::AlreadyBegun
            } else {
                let case = self.case_of(e.case)?;
                if case.booking.as_ref() != Some(&e.slot) {
                    // The agenda and the case disagree: never guess, let staff look.
                    let change = Change { events: vec![EventKind::Flagged { reason: format!("{staff} is away; the agenda holds a visit this case does not: check it") }], ..Default::default() };
                    self.apply_staff_change(e.case, &change, now)?;
                    report.cases.push(AbsenceCase { case: e.case, visit: e.slot.start, outcome: AbsenceOutcome::Flagged });
                    continue;
                }
                self.cover_visit(&case, &e.slot, staff, by, now)?
            };
            tracing::info!(case = %e.case, outcome = outcome.label(), "staff absence handled");
            report.cases.push(AbsenceCase { case: e.case, visit: e.slot.start, outcome });
        }
        Ok(report)
    }

    /// A booked visit of an absent staff member: to a colleague at the same time, else
    /// cancelled with an apology and new proposals.
    fn cover_visit(&self, case: &Case, slot: &Slot, absent: &str, by: &str, now: &Zoned) -> Result<AbsenceOutcome, CaseworkError> {
        if let Some(cover) = self.stand_in(slot, case.id, now)?.filter(|s| s.staff != absent) {
            let change = Change {
                events: vec![EventKind::Restaffed { by: by.to_string(), absent: absent.to_string(), to: Some(cover.staff.clone()) }],
                move_booking: Some(cover.clone()),
                ..Default::default()
            };
            if let Some(Applied::Done) = self.apply_staff_change(case.id, &change, now)? {
                return Ok(AbsenceOutcome::MovedTo { staff: cover.staff });
            }
        }
        let facts = Facts::from_stored(&case.triage);
        let address = address_line(&facts);
        let (s, e) = (slot.start.to_zoned(berlin()), slot.end.to_zoned(berlin()));
        let visit = Visit { start: &s, end: &e, address: address.as_deref(), sequence: visit_sequence(case) + 1 };
        let released = EventKind::Restaffed { by: by.to_string(), absent: absent.to_string(), to: None };
        let Some(to) = self.household(case, facts.language)? else {
            let change = Change {
                cancel: true,
                events: vec![released, EventKind::Flagged { reason: format!("visit cancelled, {absent} is away; no address to tell the household: reach it another way") }],
                ..Default::default()
            };
            self.apply_staff_change(case.id, &change, now)?;
            return Ok(AbsenceOutcome::ReleasedUntold);
        };
        let plan = self.plan(&facts, &facts.availability, now, Some(case.id))?;
        let mut change = self.offer(case.id, &to, &facts, &plan, Apology::StaffAbsent(&visit), now)?;
        change.cancel = true;
        change.events.insert(0, released);
        self.apply_staff_change(case.id, &change, now)?;
        Ok(AbsenceOutcome::Reproposed { waitlisted: change.status == Some(Status::Waitlisted) })
    }
}
