//! What the daemon does with one mail: triage it, decide (pure), and apply the decision
//! to the store in one transaction together with the replies it queues. Idempotent: a
//! mail already taken in (same Message-ID) changes nothing, so replay after a crash
//! neither loses nor doubles anything.

use crate::case_id::CaseId;
use crate::classify::{Department, Rules};
use crate::extract::household::Address;
use crate::extract::language::Language;
use crate::extract::when::{Availability, Window};
use crate::kind::MailKind;
use crate::parse::{self, ParsedMail};
use crate::reply::{Composer, ForwardSummary, Recipient, Visit};
use crate::schedule::{self, Agenda, Busy, Plan, PlanningRules};
use crate::store::{Applied, Case, Change, EventKind, Incoming, NewCase, Slot, Status, Store, StoreError};
use crate::triage::{self, Triage};
use crate::tz::berlin;
use jiff::{Span, Timestamp, Zoned};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("composing a reply: {0}")]
    Reply(#[from] crate::reply::ReplyError),
}

/// What became of a mail (for logs and tests; case ids only, no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new case; `status` says what the citizen was sent.
    Created { case: CaseId, status: Status },
    /// The mail was taken in before (replay).
    AlreadyDone { case: Option<CaseId> },
    Booked { case: CaseId },
    /// The chosen slot was gone; new proposals went out with an apology.
    SlotTaken { case: CaseId },
    Cancelled { case: CaseId },
    /// New proposals on a wish to move.
    Reproposed { case: CaseId },
    /// The citizen wrote again on a Fachamt's case: passed on to the Fachamt.
    FollowUpForwarded { case: CaseId },
    /// Nothing automatic: staff must look (reply from another address, unclear reply,
    /// unreadable mail).
    Flagged { case: Option<CaseId>, reason: String },
    /// Automatic mail (auto-reply, bounce, no-reply senders): never answered.
    Ignored { case: Option<CaseId>, reason: String },
    /// Unreadable or oversized: kept in the store as a flagged case, moved to quarantine.
    Quarantined { case: CaseId, reason: String },
}

/// What later steps of a case need from its triage; read back from the stored triage
/// JSON when a reply comes in.
#[derive(Debug, Clone)]
pub struct Facts {
    pub language: Language,
    /// The department the case belongs to (the classifier's, or staff's on reassigning).
    pub department: Option<String>,
    pub concerns: Vec<String>,
    pub persons: Option<u32>,
    pub address: Option<Address>,
    pub availability: Availability,
}

impl Facts {
    pub fn of(t: &Triage) -> Facts {
        Facts {
            language: t.language,
            department: t.department.clone(),
            concerns: t.concerns.clone(),
            persons: t.persons,
            address: t.address.clone(),
            availability: t.availability.clone(),
        }
    }

    /// From the triage JSON kept with a case (the `Triage` serialisation).
    pub fn from_stored(v: &serde_json::Value) -> Facts {
        let str_of = |o: &serde_json::Value, k: &str| o.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let windows = |k: &str| -> Vec<Window> {
            v.pointer(&format!("/availability/{k}"))
                .and_then(|w| w.as_array())
                .into_iter()
                .flatten()
                .filter_map(|w| {
                    let start = crate::tz::parse_instant(w.get("start")?.as_str()?).ok()?;
                    let end = crate::tz::parse_instant(w.get("end")?.as_str()?).ok()?;
                    Some(Window { start, end })
                })
                .collect()
        };
        Facts {
            language: match v.get("language").and_then(|l| l.as_str()) {
                Some("en") => Language::En,
                Some("other") => Language::Other,
                _ => Language::De,
            },
            department: str_of(v, "department"),
            concerns: v.get("concerns").and_then(|c| c.as_array()).into_iter().flatten().filter_map(|c| c.as_str().map(str::to_string)).collect(),
            persons: v.get("persons").and_then(|p| p.as_u64()).and_then(|p| u32::try_from(p).ok()),
            address: v.get("address").filter(|a| a.is_object()).and_then(|a| {
                Some(Address { street: str_of(a, "street")?, house_number: str_of(a, "house_number")?, postal_code: str_of(a, "postal_code"), city: str_of(a, "city") })
            }),
            availability: Availability {
                stated: v.pointer("/availability/stated").and_then(|s| s.as_bool()).unwrap_or(false),
                windows: windows("windows"),
                excluded: windows("excluded"),
            },
        }
    }
}

/// Everything one mail's processing needs.
pub struct Engine<'a> {
    pub rules: &'a Rules,
    pub planning: &'a PlanningRules,
    pub composer: Composer<'a>,
    pub store: &'a Store,
    pub hold_hours: i64,
    /// Our own address: mail from it is never answered (loops).
    pub own_address: &'a str,
    /// Loop protection: at most this many automatic answers to one sender per day.
    pub max_replies_per_sender_per_day: u32,
    /// Where notices for staff go (quarantined mail); none: only flagged in the store.
    pub staff_address: Option<&'a str>,
    /// The agenda as planned against, kept while only new requests come in (they add
    /// holds, which are added here too); any other change drops it. Reading the agenda
    /// afresh for every mail made a backlog's drain quadratic in its size.
    pub(crate) agenda_memo: std::cell::RefCell<Option<(jiff::civil::Date, Agenda)>>,
}

/// Senders that must never get an automatic answer (RFC 3834 section 2).
fn never_answer(address: &str, own: &str) -> bool {
    let a = address.to_ascii_lowercase();
    let local = a.split('@').next().unwrap_or("");
    a == own.to_ascii_lowercase()
        || ["mailer-daemon", "postmaster", "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "bounce", "bounces"]
            .iter()
            .any(|n| local == *n || local.starts_with(&format!("{n}+")) || local.starts_with(&format!("{n}-")))
}

fn slot_of(p: &schedule::Proposal, t: &Facts) -> Slot {
    Slot {
        start: p.start.timestamp(),
        end: p.end.timestamp(),
        staff: p.staff.clone(),
        district: t.address.as_ref().map(triage::district_of),
        street: t.address.as_ref().map(|a| a.street.clone()),
    }
}

/// The RFC 5546 SEQUENCE of the case's current invitation: one up per move or cancel.
pub(crate) fn visit_sequence(case: &Case) -> u32 {
    case.history.iter().filter(|e| matches!(e.what, EventKind::Moved { .. } | EventKind::Cancelled)).count() as u32
}

/// A stored slot as the planner's busy time.
fn busy_of(slot: Slot) -> Busy {
    let civil = |t: Timestamp| t.to_zoned(berlin()).datetime();
    Busy { staff: slot.staff, start: civil(slot.start), end: civil(slot.end), district: slot.district, street: slot.street }
}

/// The visit address as one line for mails, invitations and the staff agenda; the town
/// is Hochheim am Main unless the mail named Massenheim.
pub fn address_line(t: &Facts) -> Option<String> {
    t.address.as_ref().map(|a| {
        let place = [a.postal_code.as_deref(), a.city.as_deref().or(Some("Hochheim am Main"))].into_iter().flatten().collect::<Vec<_>>().join(" ");
        format!("{} {}, {place}", a.street, a.house_number)
    })
}

/// A mail parsed and triaged, not yet taken in: the pure part of processing, which
/// needs no store and can run for a batch of mails on all cores.
pub struct Prepared<'r> {
    raw: &'r [u8],
    now: Timestamp,
    /// The parsed mail and its triage, or why it could not be parsed.
    /// The mail, its triage and that triage as stored with the case (serialised here,
    /// on the reading thread, not in the store step).
    mail: Result<(ParsedMail, Triage, serde_json::Value), String>,
    /// Message-ID, From and Date: recognises a mail that arrives twice.
    hint: Option<String>,
}

/// A new case decided against the agenda, to be written with the rest of its batch
/// ([`Engine::create`]): one transaction per batch instead of one per mail.
pub struct Creation<'r> {
    raw: &'r [u8],
    /// When the mail came in (Berlin time).
    now: Zoned,
    hint: Option<String>,
    mail: ParsedMail,
    /// The address answered (Reply-To, else From).
    sender: String,
    department: Option<String>,
    concerns: Vec<String>,
    language: Language,
    new: NewCase,
    facts: Facts,
    /// Proposals (holds already in the batch's agenda), or the waiting list; `None`
    /// when no concern is handled on a home visit.
    plan: Option<Plan>,
    summary: ForwardSummary,
    note: Option<&'static str>,
    over_limit: bool,
}

impl<'r> Creation<'r> {
    /// The same mail as `prepared`, as the store would recognise it (same bytes, or the
    /// same Message-ID, From and Date): then this creation must be written before
    /// `prepared` is taken in, or both would plan and hold slots.
    pub fn is_copy_of(&self, prepared: &Prepared<'_>) -> bool {
        self.raw == prepared.raw || (self.hint.is_some() && self.hint == prepared.hint)
    }

    fn incoming(&self) -> Incoming<'_> {
        Incoming { raw: self.raw, at: self.now.timestamp(), message_id: self.mail.message_id.as_deref(), hint: self.hint.as_deref() }
    }
}

/// What [`Engine::take`] did with a mail.
#[derive(Debug)]
pub enum Taken {
    /// Decided and written.
    Done(Outcome),
    /// A new case, pushed to the pending batch.
    Deferred,
}

impl<'r> Prepared<'r> {
    /// A new request with an address to answer: [`Engine::take`] defers it, so pending
    /// new cases need not be written before it. (Without an address it is quarantined
    /// at once, taking the next case number: the pending cases must have theirs first.)
    pub fn defers(&self) -> bool {
        self.mail.as_ref().is_ok_and(|(mail, t, _)| t.kind == MailKind::Request && mail.answer_to().is_some())
    }

    /// A mail that could not be read: it is quarantined when applied.
    pub fn unreadable(raw: &'r [u8], now: Timestamp, why: &str) -> Prepared<'r> {
        Prepared { raw, now, mail: Err(why.to_string()), hint: None }
    }

    /// The triage, unless the mail could not be read.
    pub fn triage(&self) -> Option<&Triage> {
        self.mail.as_ref().ok().map(|(_, t, _)| t)
    }
}

/// Parse and triage one raw mail arriving at `now` (no I/O).
pub fn prepare<'r>(rules: &Rules, raw: &'r [u8], now: Timestamp) -> Prepared<'r> {
    let mail = match parse::parse(raw) {
        Ok(m) => m,
        Err(e) => return Prepared::unreadable(raw, now, &e.to_string()),
    };
    let hint = mail.message_id.as_ref().map(|id| {
        let from = mail.from.as_ref().map(|f| f.address.as_str()).unwrap_or("");
        format!("{id}\0{from}\0{}", mail.date.map(|d| d.to_string()).unwrap_or_default())
    });
    let label = mail.message_id.clone().unwrap_or_else(|| Incoming { raw, at: now, message_id: None, hint: None }.raw_key());
    // Relative words ("morgen") mean the day the citizen wrote, unless the Date
    // header is implausible (in the future, or older than a week).
    let written = mail
        .date
        .filter(|d| *d <= now && now.duration_since(*d) < jiff::SignedDuration::from_hours(24 * 7))
        .map(|d| d.to_zoned(berlin()))
        .unwrap_or_else(|| now.to_zoned(berlin()));
    let triage = triage::triage_parsed(&label, &mail, &written, triage::Context { rules, planning: None });
    let stored = serde_json::to_value(&triage).unwrap_or_default();
    Prepared { raw, now, mail: Ok((mail, triage, stored)), hint }
}

impl Engine<'_> {
    /// Process one raw mail arriving at `now`.
    pub fn process(&self, raw: &[u8], now: Timestamp) -> Result<Outcome, EngineError> {
        self.apply(prepare(self.rules, raw, now))
    }

    /// Take in a mail prepared by [`prepare`] (which may have run on another thread):
    /// the store steps, in arrival order.
    pub fn apply(&self, prepared: Prepared<'_>) -> Result<Outcome, EngineError> {
        let mut pending = Vec::new();
        match self.take(prepared, &mut pending)? {
            Taken::Done(outcome) => Ok(outcome),
            // One outcome per pending case, as for `Store::create_case`.
            Taken::Deferred => Ok(self.create(&mut pending)?.into_iter().next().ok_or_else(|| StoreError::Compose("no result for the mail".into()))?),
        }
    }

    /// As [`Engine::apply`], except that a new request is decided (planned, its holds
    /// kept in the batch's agenda) but not written: it joins `pending`, which
    /// [`Engine::create`] writes in one transaction. Every other mail is written at
    /// once, so the caller writes `pending` first unless [`Prepared::defers`] and it
    /// is no copy of a pending mail ([`Creation::is_copy_of`]).
    pub fn take<'r>(&self, prepared: Prepared<'r>, pending: &mut Vec<Creation<'r>>) -> Result<Taken, EngineError> {
        let Prepared { raw, now, mail, hint } = prepared;
        let (mail, t, stored) = match mail {
            Ok(m) => m,
            Err(e) => return self.quarantine(raw, now, &e).map(Taken::Done),
        };
        let incoming = Incoming { raw, at: now, message_id: mail.message_id.as_deref(), hint: hint.as_deref() };
        if let Some(case) = self.store.seen(&incoming)? {
            return Ok(Taken::Done(Outcome::AlreadyDone { case }));
        }
        let now_z = now.to_zoned(berlin());
        let Some(sender) = mail.answer_to().map(|m| m.address.clone()) else {
            return self.quarantine(raw, now, "no sender address").map(Taken::Done);
        };
        // RFC 3834 2: a null Return-Path means "do not answer automatically".
        let null_return_path = mail.auto.return_path.as_deref() == Some("");
        if (never_answer(&sender, self.own_address) || null_return_path) && t.kind != MailKind::Bounce {
            self.store.note_mail(incoming, None, None)?;
            return Ok(Taken::Done(Outcome::Ignored { case: None, reason: "sender must never get an automatic answer".into() }));
        }
        let done = match t.kind {
            MailKind::AutoReply => {
                let case = t.case_id.filter(|id| self.store.case(*id).ok().flatten().is_some());
                self.store.note_mail(incoming, case, None)?;
                Outcome::Ignored { case, reason: "automatic reply".into() }
            }
            MailKind::Bounce => {
                // RFC 3464: the failed address is in the report; no more mail goes there,
                // and the case tells staff to reach the household another way.
                let case = t.case_id.filter(|id| self.store.case(*id).ok().flatten().is_some());
                let failed = failed_recipients(&mail.report);
                for address in &failed {
                    self.store.mark_undeliverable(address, now)?;
                }
                let reason = if failed.is_empty() {
                    "bounce: a mail to the citizen was not delivered".to_string()
                } else {
                    format!("bounce: undeliverable address {}; reach the household another way", failed.join(", "))
                };
                self.store.note_mail(incoming, case, Some(EventKind::Flagged { reason }))?;
                // The outcome is logged: no address in it.
                Outcome::Ignored { case, reason: format!("bounce ({} addresses undeliverable)", failed.len()) }
            }
            MailKind::CaseReply => match t.case_id.map(|id| self.store.case(id)).transpose()?.flatten() {
                Some(case) => self.case_reply(&case, &mail, &t, &sender, incoming, &now_z)?,
                // A tag we do not know: treat it as a new request so nothing is lost.
                None => {
                    pending.push(self.request(mail, t, stored, sender, raw, hint, &now_z, Some("case tag not found: taken as a new request"), pending)?);
                    return Ok(Taken::Deferred);
                }
            },
            MailKind::Request => {
                pending.push(self.request(mail, t, stored, sender, raw, hint, &now_z, None, pending)?);
                return Ok(Taken::Deferred);
            }
        };
        Ok(Taken::Done(done))
    }

    /// Write the pending new cases in one transaction, in order; their outcomes in the
    /// same order. `pending` is empty afterwards, also on error.
    pub fn create(&self, pending: &mut Vec<Creation<'_>>) -> Result<Vec<Outcome>, EngineError> {
        let batch = std::mem::take(pending);
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let mails: Vec<(Incoming<'_>, &NewCase)> = batch.iter().map(|c| (c.incoming(), &c.new)).collect();
        let created = self.store.create_cases(&mails, |i, id| match batch.get(i) {
            Some(c) => self.compose_new(c, id).map_err(|e| e.to_string()),
            None => Err(format!("no pending case {i}")),
        });
        let created = match created {
            Ok(c) => c,
            Err(e) => {
                // The holds planned for the batch were never written.
                self.forget_agenda();
                return Err(e.into());
            }
        };
        if created.iter().any(|c| c.status.is_none()) {
            // A mail seen twice planned holds that its first copy's case does not have.
            self.forget_agenda();
        }
        Ok(created
            .into_iter()
            .map(|c| match c.status {
                Some(status) => Outcome::Created { case: c.id, status },
                None => Outcome::AlreadyDone { case: Some(c.id) },
            })
            .collect())
    }

    /// Keep a mail we cannot use (unreadable, oversized) as an unclassified, flagged
    /// case: never dropped, never answered.
    pub fn quarantine(&self, raw: &[u8], now: Timestamp, why: &str) -> Result<Outcome, EngineError> {
        let incoming = Incoming { raw, at: now, message_id: None, hint: None };
        if let Some(case) = self.store.seen(&incoming)? {
            return Ok(Outcome::AlreadyDone { case });
        }
        let new = NewCase { sender: String::new(), triage: serde_json::json!({ "error": why }) };
        let reason = format!("unreadable mail: {why}");
        let (case, created) = self.store.create_case(incoming, &new, |id| {
            let mut change = Change { status: Some(Status::Unclassified), events: vec![EventKind::Flagged { reason: reason.clone() }], ..Default::default() };
            // Staff hear of it at once; the mail itself is kept in the store and Quarantine.
            if let Some(staff) = self.staff_address {
                let notice = self.composer.staff_notice(id, staff, &reason, now).map_err(|e| e.to_string())?;
                change.replies.push(notice);
            }
            Ok(change)
        })?;
        Ok(if created { Outcome::Quarantined { case, reason } } else { Outcome::AlreadyDone { case: Some(case) } })
    }

    /// Automatic answers this sender got today (new cases and case replies of today).
    fn answers_today(&self, sender: &str, now: &Zoned) -> Result<u32, EngineError> {
        Ok(self.store.mails_from_on(sender, now.date())?)
    }

    fn recipient<'m>(&self, mail: &'m ParsedMail, lang: Language, sender: &'m str) -> Recipient<'m> {
        Recipient {
            address: sender,
            name: mail.from.as_ref().and_then(|f| f.name.as_deref()),
            lang,
            in_reply_to: mail.message_id.as_deref(),
        }
    }

    /// Bookings and live holds of everyone but `except`, and staff absences, as the
    /// planner's agenda.
    pub(crate) fn agenda(&self, now: &Zoned, except: Option<CaseId>) -> Result<Agenda, EngineError> {
        self.agenda_between(now.date(), self.planning_until(now), now, except)
    }

    /// The last day planning looks at: the horizon, and beyond it as far as the honest
    /// earliest date of a waiting case is sought.
    fn planning_until(&self, now: &Zoned) -> jiff::civil::Date {
        now.date().saturating_add(Span::new().days(self.planning.horizon_days + self.planning.waitlist_search_days + 1))
    }

    /// When the first hold that planning sees runs out (its slot becomes free then).
    pub fn next_hold_expiry(&self, now: &Zoned) -> Result<Option<Timestamp>, EngineError> {
        Ok(self.store.next_hold_expiry(now.date(), self.planning_until(now), now.timestamp())?)
    }

    /// As [`Engine::agenda`], for the days `from` through `to`.
    pub(crate) fn agenda_between(&self, from: jiff::civil::Date, to: jiff::civil::Date, now: &Zoned, except: Option<CaseId>) -> Result<Agenda, EngineError> {
        let mut agenda = Agenda::new();
        for a in self.store.absences()? {
            agenda.add_absence(&a.staff, a.from, a.to);
        }
        for e in self.store.agenda_between(from, to, now.timestamp())? {
            if Some(e.case) == except {
                continue;
            }
            agenda.add(busy_of(e.slot));
        }
        Ok(agenda)
    }

    /// Plan for a case that holds nothing (a new request, a waiting case) against the
    /// memo of the agenda, read once.
    fn plan_unheld(&self, t: &Facts, now: &Zoned) -> Result<Plan, EngineError> {
        let mut memo = self.agenda_memo.borrow_mut();
        let kept = memo.take().filter(|(day, _)| *day == now.date());
        let (_, agenda) = memo.insert(match kept {
            Some(k) => k,
            None => (now.date(), self.agenda(now, None)?),
        });
        let req = triage::visit_request(self.rules, &t.concerns, t.persons, t.address.as_ref(), &t.availability);
        Ok(schedule::propose(self.planning, agenda, &req, now))
    }

    /// The slots just held for a case, added to the memo (no-op without one).
    fn memo_held(&self, plan: &Plan, t: &Facts) {
        if plan.waitlisted {
            return;
        }
        if let Some((_, agenda)) = self.agenda_memo.borrow_mut().as_mut() {
            for p in &plan.proposals {
                agenda.add(busy_of(slot_of(p, t)));
            }
        }
    }

    /// Something other than new holds changed the agenda: read it afresh next time.
    fn forget_agenda(&self) {
        self.agenda_memo.replace(None);
    }

    pub(crate) fn plan(&self, t: &Facts, availability: &Availability, now: &Zoned, except: Option<CaseId>) -> Result<Plan, EngineError> {
        let req = triage::visit_request(self.rules, &t.concerns, t.persons, t.address.as_ref(), availability);
        Ok(schedule::propose(self.planning, &self.agenda(now, except)?, &req, now))
    }

    /// The Change that offers `plan` (or waitlists) with the proposal mail.
    pub(crate) fn offer(&self, case: CaseId, to: &Recipient<'_>, t: &Facts, plan: &Plan, apology: Apology<'_>, now: &Zoned) -> Result<Change, crate::reply::ReplyError> {
        let bb: Vec<String> = self.buergerbuero_concerns(t);
        let mail = match apology {
            Apology::None | Apology::SlotTaken => {
                let taken = matches!(apology, Apology::SlotTaken);
                self.composer.proposal(case, to, &bb, t.persons, plan, self.hold_hours, taken, now.timestamp())?
            }
            Apology::StaffAbsent(visit) => self.composer.absence_proposal(case, to, &bb, t.persons, plan, self.hold_hours, visit, now.timestamp())?,
        };
        let until = now.timestamp().saturating_add(jiff::SignedDuration::from_hours(self.hold_hours)).unwrap_or(now.timestamp());
        Ok(if plan.waitlisted || plan.proposals.is_empty() {
            Change {
                status: Some(Status::Waitlisted),
                events: vec![EventKind::Waitlisted { earliest: plan.earliest.as_ref().map(|e| e.timestamp()) }],
                replies: vec![mail],
                hold: Some((Vec::new(), until)),
                ..Default::default()
            }
        } else {
            Change {
                status: Some(Status::Proposed),
                replies: vec![mail],
                hold: Some((plan.proposals.iter().map(|p| slot_of(p, t)).collect(), until)),
                ..Default::default()
            }
        })
    }

    /// The case's concerns handled on a home visit.
    pub(crate) fn buergerbuero_concerns(&self, t: &Facts) -> Vec<String> {
        t.concerns.iter().filter(|c| self.rules.concern(c).is_some_and(|(d, _)| d.home_visit)).cloned().collect()
    }

    /// The Fachämter of the case's other concerns, in the order first raised; with no
    /// known concern, the case's department if it is a Fachamt (staff gave an
    /// unclassified case to it).
    pub(crate) fn specialist_departments(&self, t: &Facts) -> Vec<&Department> {
        let mut out: Vec<&Department> = Vec::new();
        for (d, _) in t.concerns.iter().filter_map(|c| self.rules.concern(c)) {
            if !d.home_visit && !out.iter().any(|o| o.id == d.id) {
                out.push(d);
            }
        }
        if out.is_empty() && !t.concerns.iter().any(|c| self.rules.concern(c).is_some()) {
            out.extend(t.department.as_deref().and_then(|id| self.rules.department(id)).filter(|d| !d.home_visit));
        }
        out
    }

    /// Decide a new request: plan it against the batch's agenda (keeping its holds
    /// there) and leave the writing to [`Engine::create`].
    #[allow(clippy::too_many_arguments)]
    fn request<'r>(
        &self,
        mail: ParsedMail,
        t: Triage,
        stored: serde_json::Value,
        sender: String,
        raw: &'r [u8],
        hint: Option<String>,
        now: &Zoned,
        note: Option<&'static str>,
        pending: &[Creation<'_>],
    ) -> Result<Creation<'r>, EngineError> {
        // Loop protection counts the sender's cases of the batch not yet written, too.
        let unwritten = pending.iter().filter(|c| c.sender.eq_ignore_ascii_case(&sender)).count() as u32;
        let over_limit = self.answers_today(&sender, now)? + unwritten >= self.max_replies_per_sender_per_day;
        let facts = Facts::of(&t);
        let plan = if self.buergerbuero_concerns(&facts).is_empty() { None } else { Some(self.plan_unheld(&facts, now)?) };
        if let Some(plan) = &plan {
            // Held at once for the next mail of the batch; forgotten if never written.
            self.memo_held(plan, &facts);
        }
        let summary = forward_summary(&t, &sender, now);
        let new = NewCase { sender: sender.clone(), triage: stored };
        Ok(Creation { raw, now: now.clone(), hint, mail, sender, department: t.department, concerns: t.concerns, language: t.language, new, facts, plan, summary, note, over_limit })
    }

    /// What a new case does once it has its id: the proposal or waiting-list mail, the
    /// forwards to Fachämter and the notice about them, or a question when no rule fits.
    fn compose_new(&self, c: &Creation<'_>, id: CaseId) -> Result<Change, crate::reply::ReplyError> {
        let now = &c.now;
        let to = self.recipient(&c.mail, c.language, &c.sender);
        let specialists = self.specialist_departments(&c.facts);
        let mut change = Change {
            events: vec![EventKind::Classified { department: c.department.clone().unwrap_or_default(), concerns: c.concerns.clone() }],
            ..Default::default()
        };
        if let Some(n) = c.note {
            change.events.push(EventKind::Flagged { reason: n.into() });
        }
        if c.plan.is_none() && specialists.is_empty() {
            change.status = Some(Status::Unclassified);
            change.events.push(EventKind::Flagged { reason: "no rule fits: for a person to look at".into() });
            change.replies.push(self.composer.unclear(id, &to, now.timestamp())?);
            return Ok(change);
        }
        if let Some(plan) = &c.plan {
            let offer = self.offer(id, &to, &c.facts, plan, Apology::None, now)?;
            change.status = offer.status;
            change.events.extend(offer.events);
            change.replies.extend(offer.replies);
            change.hold = offer.hold;
        }
        if !specialists.is_empty() {
            for d in &specialists {
                change.replies.push(self.composer.forward(id, d, &c.summary, c.raw, c.mail.message_id.as_deref(), now.timestamp())?);
                change.events.push(EventKind::Forwarded { to: d.forward_to.clone() });
            }
            change.replies.push(self.composer.specialist_notice(id, &to, &specialists, c.plan.is_some(), now.timestamp())?);
            if c.plan.is_none() {
                change.status = Some(Status::Forwarded);
            }
        }
        if c.over_limit {
            // Loop protection: keep everything, send nothing, tell staff.
            change.replies.retain(|r| r.to != to.address);
            change.events.push(EventKind::Flagged { reason: "daily limit of automatic answers to this sender reached: no answer sent".into() });
        }
        Ok(change)
    }

    fn case_reply(&self, case: &Case, mail: &ParsedMail, t: &Triage, sender: &str, incoming: Incoming<'_>, now: &Zoned) -> Result<Outcome, EngineError> {
        self.forget_agenda();
        let at = now.timestamp();
        // Only the case's own sender may book, move or cancel it.
        let from_owner = case.sender.eq_ignore_ascii_case(sender)
            || mail.from.as_ref().is_some_and(|f| f.address.eq_ignore_ascii_case(&case.sender));
        let flag = |reason: &str| -> Result<Outcome, EngineError> {
            let change = Change { events: vec![EventKind::Flagged { reason: reason.into() }], ..Default::default() };
            self.store.update(case.id, Some(incoming), at, &change)?;
            Ok(Outcome::Flagged { case: Some(case.id), reason: reason.into() })
        };
        if !from_owner {
            return flag("reply from an address other than the case's sender: nothing booked");
        }
        if self.answers_today(sender, now)? >= self.max_replies_per_sender_per_day {
            return flag("daily limit of automatic answers to this sender reached: for a person to answer");
        }
        let original = Facts::from_stored(&case.triage);
        // Answer in the language of this reply (a German household may answer in English).
        let to = self.recipient(mail, t.language, sender);
        let bb = self.buergerbuero_concerns(&original);
        let visit_of = |s: &Slot, sequence: u32| (s.start.to_zoned(berlin()), s.end.to_zoned(berlin()), sequence);
        let sequence = visit_sequence(case);
        let address = address_line(&original);

        // A case that belongs to a Fachamt alone: the citizen's follow-up (documents,
        // questions) goes there too, not to a person in the Bürgerbüro.
        if bb.is_empty() && case.status == Status::Forwarded {
            let departments = self.specialist_departments(&original);
            if !departments.is_empty() {
                let summary = forward_summary(t, sender, now);
                let mut change = Change::default();
                for d in &departments {
                    change.replies.push(self.composer.forward(case.id, d, &summary, incoming.raw, mail.message_id.as_deref(), at)?);
                    change.events.push(EventKind::Forwarded { to: d.forward_to.clone() });
                }
                self.store.update(case.id, Some(incoming), at, &change)?;
                return Ok(Outcome::FollowUpForwarded { case: case.id });
            }
        }

        if t.cancel {
            let visit = case.booking.as_ref().map(|s| visit_of(s, sequence + 1));
            let v = visit.as_ref().map(|(s, e, q)| Visit { start: s, end: e, address: address.as_deref(), sequence: *q });
            let reply = self.composer.cancellation(case.id, &to, &bb, v.as_ref(), at)?;
            let change = Change { cancel: true, replies: vec![reply], ..Default::default() };
            self.store.update(case.id, Some(incoming), at, &change)?;
            return Ok(Outcome::Cancelled { case: case.id });
        }
        if let Some(n) = t.choice.filter(|_| !t.reschedule) {
            let Some(chosen) = case.proposed_slots().get((n as usize).wrapping_sub(1)).cloned() else {
                return flag(&format!("option {n} chosen, but the case has no such proposal"));
            };
            // A proposal of a staff member who has since fallen ill goes to a colleague
            // free at that very time; with none, the slot is as good as taken.
            let Some(slot) = self.stand_in(&chosen, case.id, now)? else {
                return self.slot_taken(case, &original, &to, incoming, now);
            };
            let (s, e, q) = visit_of(&slot, if case.booking.is_some() { sequence + 1 } else { sequence });
            let reply = self.composer.confirmation(case.id, &to, &bb, &Visit { start: &s, end: &e, address: address.as_deref(), sequence: q }, at)?;
            let change = Change { book: Some(slot), replies: vec![reply], ..Default::default() };
            return match self.store.update(case.id, Some(incoming), at, &change)? {
                Some(Applied::Done) => Ok(Outcome::Booked { case: case.id }),
                None => Ok(Outcome::AlreadyDone { case: Some(case.id) }),
                Some(Applied::Taken { .. }) => self.slot_taken(case, &original, &to, incoming, now),
            };
        }
        if t.reschedule || t.availability.stated {
            // New times in the reply replace the old wish; otherwise keep the old one.
            let wish = if t.availability.stated { &t.availability } else { &original.availability };
            let plan = self.plan(&original, wish, now, Some(case.id))?;
            let mut change = self.offer(case.id, &to, &original, &plan, Apology::None, now)?;
            if case.booking.is_some() {
                // Keep the booked visit until the citizen picks a new one.
                change.status = None;
            }
            self.store.update(case.id, Some(incoming), at, &change)?;
            return Ok(Outcome::Reproposed { case: case.id });
        }
        flag("reply without a choice, cancellation or new times: for a person to answer")
    }

    /// The chosen slot is gone: new proposals with an apology.
    fn slot_taken(&self, case: &Case, original: &Facts, to: &Recipient<'_>, incoming: Incoming<'_>, now: &Zoned) -> Result<Outcome, EngineError> {
        let plan = self.plan(original, &original.availability, now, Some(case.id))?;
        let change = self.offer(case.id, to, original, &plan, Apology::SlotTaken, now)?;
        self.store.update(case.id, Some(incoming), now.timestamp(), &change)?;
        Ok(Outcome::SlotTaken { case: case.id })
    }

    /// `slot` as it can be booked now: unchanged unless its staff member is absent that
    /// day, then the same time with the first colleague (in configured order) who can
    /// take it by the planner's rules; `None` when nobody can.
    pub(crate) fn stand_in(&self, slot: &Slot, case: CaseId, now: &Zoned) -> Result<Option<Slot>, EngineError> {
        let (start, end) = (slot.start.to_zoned(berlin()).datetime(), slot.end.to_zoned(berlin()).datetime());
        let day = start.date();
        let agenda = self.agenda_between(day, day, now, Some(case))?;
        if !agenda.is_absent(&slot.staff, day) {
            return Ok(Some(slot.clone()));
        }
        Ok(self
            .planning
            .staff
            .iter()
            .find(|s| s.name != slot.staff && schedule::can_take(self.planning, &agenda, &s.name, start, end, slot.district))
            .map(|s| Slot { staff: s.name.clone(), ..slot.clone() }))
    }
}

/// What a proposal mail apologises for, if anything.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Apology<'v> {
    None,
    /// The date the citizen chose was taken meanwhile.
    SlotTaken,
    /// This booked visit is cancelled: its staff member is away and nobody else is free.
    StaffAbsent(&'v Visit<'v>),
}

/// `Final-Recipient` (else `Original-Recipient`) addresses of a delivery status report.
fn failed_recipients(report: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for key in ["final-recipient:", "original-recipient:"] {
        for line in report.lines() {
            let l = line.trim();
            if l.len() > key.len() && l[..key.len()].eq_ignore_ascii_case(key) {
                let value = l[key.len()..].trim();
                let address = value.split_once(';').map_or(value, |(_, a)| a).trim().trim_matches(['<', '>']).to_ascii_lowercase();
                if address.contains('@') && !out.contains(&address) {
                    out.push(address);
                }
            }
        }
        if !out.is_empty() {
            break;
        }
    }
    out
}

fn forward_summary(t: &Triage, sender: &str, now: &Zoned) -> ForwardSummary {
    summary(&Facts::of(t), sender, &t.subject, t.confidence, t.reasons.clone(), t.phone.clone(), now)
}

/// The summary on top of a forward, from a case's stored triage (staff reassigning it);
/// `received` is when the case's mail came in.
pub(crate) fn stored_forward_summary(case: &Case, received: &Zoned) -> ForwardSummary {
    let v = &case.triage;
    let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let reasons = v.get("reasons").and_then(|r| r.as_array()).into_iter().flatten().filter_map(|r| r.as_str().map(str::to_string));
    // A quarantined mail has no triage, only the reason it was kept.
    let reasons = reasons.chain(text("error").map(|e| format!("unreadable mail: {e}"))).collect();
    let confidence = v.get("confidence").and_then(|c| c.as_f64()).unwrap_or(0.0);
    summary(&Facts::from_stored(v), &case.sender, &text("subject").unwrap_or_default(), confidence, reasons, text("phone"), received)
}

fn summary(facts: &Facts, sender: &str, subject: &str, confidence: f64, reasons: Vec<String>, phone: Option<String>, received: &Zoned) -> ForwardSummary {
    let availability = facts.availability.stated.then(|| {
        let first: Vec<String> = facts.availability.windows.iter().take(4).map(|w| {
            format!("{} – {}", w.start.strftime("%a %d.%m. %H:%M"), w.end.strftime("%H:%M"))
        }).collect();
        first.join("; ")
    });
    ForwardSummary {
        address: address_line(facts),
        sender: sender.to_string(),
        subject: subject.to_string(),
        received: received.strftime("%d.%m.%Y %H:%M").to_string(),
        concerns: facts.concerns.clone(),
        confidence: format!("{confidence:.2}"),
        reasons,
        phone,
        availability,
    }
}

impl Engine<'_> {
    /// Offer slots to waitlisted cases, first come first served (in case-number order),
    /// as capacity frees up (cancellations, expired holds, a new staff member). Returns
    /// the cases that got proposals.
    pub fn promote_waitlist(&self, now: &Zoned) -> Result<Vec<CaseId>, EngineError> {
        let mut ids = self.store.cases_with_status(Status::Waitlisted)?;
        ids.sort();
        let mut out = Vec::new();
        for id in ids {
            let Some(case) = self.store.case(id)? else { continue };
            let facts = Facts::from_stored(&case.triage);
            // A waiting case holds nothing: the memo needs no exception for it.
            let plan = self.plan_unheld(&facts, now)?;
            if plan.waitlisted || plan.proposals.is_empty() {
                continue;
            }
            let to = Recipient { address: &case.sender, name: None, lang: facts.language, in_reply_to: case.message_id.as_deref() };
            let change = self.offer(id, &to, &facts, &plan, Apology::None, now)?;
            self.store.update(id, None, now.timestamp(), &change)?;
            self.memo_held(&plan, &facts);
            out.push(id);
        }
        Ok(out)
    }

    /// Queue the reminder for every booked visit starting within `lead` of `now` that
    /// has none yet. Returns the cases reminded.
    pub fn queue_reminders(&self, now: &Zoned, lead: jiff::SignedDuration) -> Result<Vec<CaseId>, EngineError> {
        let mut out = Vec::new();
        let until = now.timestamp().saturating_add(lead).unwrap_or(now.timestamp());
        let to_day = until.to_zoned(berlin()).date();
        for e in self.store.agenda_between(now.date(), to_day, now.timestamp())? {
            if e.hold_until.is_some() || e.slot.start <= now.timestamp() || e.slot.start > until {
                continue;
            }
            let Some(case) = self.store.case(e.case)? else { continue };
            let reminded = case.history.iter().any(|h| matches!(&h.what, EventKind::ReminderQueued { visit } if *visit == e.slot.start));
            if reminded || case.status != Status::Booked {
                continue;
            }
            let t = Facts::from_stored(&case.triage);
            let (s, en) = (e.slot.start.to_zoned(berlin()), e.slot.end.to_zoned(berlin()));
            let to = Recipient { address: &case.sender, name: None, lang: t.language, in_reply_to: None };
            let bb = self.buergerbuero_concerns(&t);
            let address = address_line(&t);
            let visit = Visit { start: &s, end: &en, address: address.as_deref(), sequence: 0 };
            let draft = self.composer.reminder(case.id, &to, &bb, &visit, now.timestamp())?;
            let change = Change { events: vec![EventKind::ReminderQueued { visit: e.slot.start }], replies: vec![draft], ..Default::default() };
            self.store.update(case.id, None, now.timestamp(), &change)?;
            out.push(case.id);
        }
        Ok(out)
    }
}
