//! Data protection on a real store with cases made by the real engine: export of what is
//! held about an address, erasure that leaves no trace of it on disk after compaction
//! while other households' cases keep working, and the retention purge.

use buergerservice::case_id::CaseId;
use buergerservice::engine::Outcome;
use buergerservice::store::{Change, EventKind, Incoming, NewCase, Slot, Status, Store, StoreError};
use jiff::Timestamp;
use mail_parser::MessageParser;

mod common;
use common::*;

const A_WRITTEN: &str = "Sabine.Wendel@Posteo.de";
const A: &str = "sabine.wendel@posteo.de";
const A_NAME: &str = "Sabine Wendel";
const A_STREET: &str = "Kolpingstraße";

/// A plain 8-bit request, so name and street stand in the stored bytes as written.
fn request(from: &str, id: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: buergerbuero@hochheim.de\r\nSubject: Personalausweis\r\nDate: Tue, 06 Apr 2027 08:41:12 +0200\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn a_request(id: &str) -> Vec<u8> {
    request(
        &format!("{A_NAME} <{A_WRITTEN}>"),
        id,
        "Guten Morgen,\r\n\r\nmein Mann und ich brauchen beide einen neuen Personalausweis. Donnerstags sind wir ab 18 Uhr daheim.\r\n\r\nViele Grüße\r\nSabine Wendel\r\n\r\n--\r\nKolpingstraße 7\r\n65239 Hochheim am Main",
    )
}

/// Another household whose mail names A's address in passing.
fn b_request(tag: &str) -> Vec<u8> {
    request(
        &format!("Frank Lorenz <{tag}@web.de>"),
        &format!("{tag}-1@web.de"),
        &format!("Hallo,\r\n\r\nich brauche einen neuen Personalausweis. Donnerstags bin ich ab 18 Uhr zu Hause. Meine Nachbarin ({A_WRITTEN}) hat mir Ihre Adresse gegeben.\r\n\r\nFrank Lorenz\r\nBurgeffstraße 3\r\n65239 Hochheim am Main"),
    )
}

fn reply(from: &str, case: CaseId, in_reply_to: &str, id: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: buergerbuero@hochheim.de\r\nSubject: Re: [{case}] Termine\r\nIn-Reply-To: <{in_reply_to}>\r\nReferences: <{in_reply_to}>\r\nMessage-ID: <{id}>\r\nDate: Tue, 06 Apr 2027 12:00:00 +0200\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// The Message-ID of the proposal mail of `case` still in the outbox.
fn proposal_id(store: &Store, case: CaseId) -> String {
    store
        .outbox()
        .unwrap()
        .iter()
        .filter(|m| m.case == case)
        .filter_map(|m| MessageParser::default().parse(&m.message).and_then(|p| p.message_id().map(str::to_string)))
        .next()
        .unwrap()
}

fn created(out: Outcome) -> CaseId {
    match out {
        Outcome::Created { case, .. } => case,
        other => panic!("{other:?}"),
    }
}

/// A's two requests (one booked, with a refused mail and a bounce mark) and B's request.
struct World {
    a_booked: CaseId,
    a_second: CaseId,
    b: CaseId,
    a_slot: Slot,
    a_mail: Vec<u8>,
}

fn world(store: &Store) -> World {
    let app = default_app();
    let engine = app.engine(store);
    let a_mail = a_request("a-1@posteo.de");
    let a_booked = created(engine.process(&a_mail, at("2027-04-06T06:45:00Z")).unwrap());
    let yes = reply(&format!("{A_NAME} <{A_WRITTEN}>"), a_booked, &proposal_id(store, a_booked), "a-2@posteo.de", "Die 2 bitte.");
    assert_eq!(engine.process(&yes, at("2027-04-06T10:00:00Z")).unwrap(), Outcome::Booked { case: a_booked });
    let a_slot = store.case(a_booked).unwrap().unwrap().booking.unwrap();
    let a_second = created(engine.process(&a_request("a-3@posteo.de"), at("2027-04-06T10:30:00Z")).unwrap());
    let b = created(engine.process(&b_request("frank.lorenz"), at("2027-04-06T11:00:00Z")).unwrap());
    // The confirmation to A bounced for good; the address is marked undeliverable.
    let confirmation = store.outbox().unwrap().into_iter().rfind(|m| m.case == a_booked).unwrap();
    store.mark_failed(confirmation.id, at("2027-04-06T10:05:00Z"), "550 mailbox unavailable").unwrap();
    store.mark_undeliverable(A, at("2027-04-06T10:05:00Z")).unwrap();
    store.flush().unwrap();
    World { a_booked, a_second, b, a_slot, a_mail }
}

#[test]
fn export_holds_every_case_mail_and_outgoing_mail_of_the_address_and_nothing_of_others() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let w = world(&store);
    let export = store.export_subject(A_WRITTEN, at("2027-04-07T08:00:00Z")).unwrap();
    assert_eq!(export.address, A);
    let ids: Vec<CaseId> = export.cases.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![w.a_booked, w.a_second]);
    // Every mail in the cases' histories is there, as text.
    for case in &export.cases {
        for e in &case.history {
            if let EventKind::Received { mail } | EventKind::MailReceived { mail } = &e.what {
                let m = export.mails.iter().find(|m| &m.key == mail).unwrap_or_else(|| panic!("{mail} missing"));
                assert_eq!(m.case, Some(case.id));
                assert!(m.text.contains(A_WRITTEN), "{}", m.text);
            }
        }
    }
    assert_eq!(export.mails.len(), 3, "two requests and the reply");
    let queued: Vec<u64> = store.outbox().unwrap().into_iter().filter(|m| m.case != w.b).map(|m| m.id).collect();
    assert_eq!(export.outbox.iter().map(|m| m.id).collect::<Vec<_>>(), queued);
    assert!(export.outbox.iter().all(|m| m.to.to_lowercase() == A), "{:?}", export.outbox.iter().map(|m| &m.to).collect::<Vec<_>>());
    assert_eq!(export.failed.len(), 1);
    assert_eq!(export.failed[0].case, w.a_booked);
    assert!(export.undeliverable_since.is_some());
    // B's case is not exported, only named as a record that mentions the address.
    assert!(!export.cases.iter().any(|c| c.id == w.b));
    assert!(!export.mails.iter().any(|m| m.case == Some(w.b)));
    assert!(!export.outbox.iter().any(|m| m.case == w.b));
    assert!(export.mentions.iter().any(|m| m.tree == "mails" && m.case == Some(w.b)), "{:?}", export.mentions);
    assert!(export.mentions.iter().all(|m| m.case == Some(w.b)), "{:?}", export.mentions);
    let json = serde_json::to_string(&export).unwrap();
    assert!(!json.contains("Frank Lorenz"), "nothing of B's content");
    // An address the store does not know yields an empty export; a non-address is refused.
    let none = store.export_subject("nobody@example.org", at("2027-04-07T08:00:00Z")).unwrap();
    assert!(none.cases.is_empty() && none.mails.is_empty() && none.outbox.is_empty() && none.mentions.is_empty());
    assert!(matches!(store.export_subject("Sabine Wendel", at("2027-04-07T08:00:00Z")), Err(StoreError::BadAddress(_))));
}

#[test]
fn erase_and_compact_leave_no_trace_on_disk_and_other_households_keep_working() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let mut store = Store::open(&path).unwrap();
    let w = world(&store);
    let needles = [A_WRITTEN, A, A_NAME, A_STREET];
    for n in needles {
        assert!(!files_containing(&path, n.as_bytes()).is_empty(), "the scan finds {n} before the erasure");
    }
    let outbox_before = store.outbox().unwrap().len();

    let erasure = store.erase_subject(A_WRITTEN, at("2027-04-07T08:00:00Z")).unwrap();
    assert_eq!(erasure.cases, vec![w.a_booked, w.a_second]);
    assert!(erasure.freed_slots >= 4, "A's booking and the three holds of the second case: {erasure:?}");
    assert_eq!(erasure.removed.get("cases"), Some(&2));
    assert_eq!(erasure.removed.get("mails"), Some(&3));
    assert_eq!(erasure.removed.get("failed"), Some(&1));
    assert!(erasure.redacted.iter().any(|m| m.tree == "mails" && m.case == Some(w.b)), "{erasure:?}");
    assert!(!serde_json::to_string(&erasure).unwrap().to_lowercase().contains(A));
    assert!(store.case(w.a_booked).unwrap().is_none());
    assert_eq!(store.tombstone(w.a_booked).unwrap().unwrap().reason, "erasure request");
    assert_eq!(store.tombstone(w.a_second).unwrap().unwrap().at, at("2027-04-07T08:00:00Z"));
    assert!(store.tombstone(w.b).unwrap().is_none());
    assert!(!store.is_undeliverable(A).unwrap());
    assert!(store.cases_from(A).unwrap().is_empty());
    assert!(store.failed_mails().unwrap().is_empty());
    assert!(store.outbox().unwrap().iter().all(|m| m.case == w.b));
    assert!(store.outbox().unwrap().len() < outbox_before);
    // Running it again finds nothing left.
    let again = store.erase_subject(A, at("2027-04-07T08:05:00Z")).unwrap();
    assert!(again.cases.is_empty() && again.removed.is_empty() && again.redacted.is_empty(), "{again:?}");

    let compaction = store.compact().unwrap();
    assert!(compaction.bytes_after > 0 && compaction.records > 0);
    for n in needles {
        assert_eq!(files_containing(&path, n.as_bytes()), Vec::<std::path::PathBuf>::new(), "{n} left on disk");
    }
    assert_eq!(files_containing(&path, A.to_uppercase().as_bytes()), Vec::<std::path::PathBuf>::new());
    let leftovers: Vec<String> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(leftovers, vec!["store".to_string()], "no copy of the old store beside it");

    // B's case is intact apart from the redaction.
    let b_case = store.case(w.b).unwrap().unwrap();
    assert_eq!(b_case.status, Status::Proposed);
    let b_mail = String::from_utf8(store.mail(&b_mail_key(&b_case)).unwrap().unwrap()).unwrap();
    assert!(b_mail.contains("Meine Nachbarin ([gelöscht]) hat"), "{b_mail}");
    let app = default_app();
    let engine = app.engine(&store);
    // The slot A had booked is free: a new household with the same times is offered it.
    let day = w.a_slot.start.to_zoned(buergerservice::tz::berlin()).date();
    let now = at("2027-04-07T09:30:00Z");
    assert!(!store.agenda_between(day, day, now).unwrap().iter().any(|e| e.slot.start < w.a_slot.end && w.a_slot.start < e.slot.end));
    let c = created(engine.process(&a_request("c-1@web.de").replace_addr("c.neu@web.de"), now).unwrap());
    let offered = store.case(c).unwrap().unwrap().proposed_slots().to_vec();
    // (the planner may shift it to chain with B's visit that day, but it uses A's time)
    assert!(offered.iter().any(|s| s.staff == w.a_slot.staff && s.start < w.a_slot.end && w.a_slot.start < s.end), "{offered:?} vs {:?}", w.a_slot);
    // And B answering "2" still books.
    let b_yes = reply("Frank Lorenz <frank.lorenz@web.de>", w.b, &proposal_id(&store, w.b), "b-2@web.de", "2");
    assert_eq!(engine.process(&b_yes, at("2027-04-07T09:40:00Z")).unwrap(), Outcome::Booked { case: w.b });

    // A copy of A's erased request arriving again is recognised and not answered.
    let queued = store.outbox().unwrap().len();
    assert_eq!(engine.process(&w.a_mail, at("2027-04-08T08:00:00Z")).unwrap(), Outcome::AlreadyDone { case: None });
    assert_eq!(store.outbox().unwrap().len(), queued);
    assert!(store.cases_from(A).unwrap().is_empty());
}

fn b_mail_key(case: &buergerservice::store::Case) -> String {
    match &case.history[0].what {
        EventKind::Received { mail } => mail.clone(),
        other => panic!("{other:?}"),
    }
}

trait ReplaceAddr {
    fn replace_addr(self, to: &str) -> Vec<u8>;
}

impl ReplaceAddr for Vec<u8> {
    /// The same request from another household (another address, name and street).
    fn replace_addr(self, to: &str) -> Vec<u8> {
        String::from_utf8(self).unwrap().replace(A_WRITTEN, to).replace(A_NAME, "Clara Neu").replace(A_STREET, "Taunusstraße").into_bytes()
    }
}

fn plain(id: &str, at_: &str) -> Incoming<'static> {
    let raw: &'static [u8] = Box::leak(format!("From: x@example.org\r\nMessage-ID: <{id}>\r\n\r\nbody {id}").into_bytes().into_boxed_slice());
    let id: &'static str = Box::leak(id.to_string().into_boxed_str());
    Incoming { raw, at: at(at_), message_id: Some(id), hint: Some(id) }
}

fn slot(start: &str, end: &str) -> Slot {
    Slot { start: at(start), end: at(end), staff: "Anna".into(), district: None, street: None }
}

/// A case created at `created`, then changed by `change` at `changed`.
fn case_with(store: &Store, id: &str, sender: &str, created: &str, changed: &str, change: Change) -> CaseId {
    let new = NewCase { sender: sender.into(), triage: serde_json::json!({}) };
    let (case, _) = store.create_case(plain(id, created), &new, |_| Ok(Change::default())).unwrap();
    store.update(case, None, at(changed), &change).unwrap();
    case
}

#[test]
fn purge_removes_only_closed_cases_past_the_retention() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    // A status change with an event of its own, as the engine makes them.
    let status = |s: Status| Change { status: Some(s), events: vec![EventKind::Flagged { reason: format!("{s:?}") }], ..Default::default() };
    let book = |s: Slot| Change { book: Some(s), ..Default::default() };
    let old = "2027-03-01T08:00:00Z";
    let done_old = case_with(&store, "d@x", "a@example.org", old, old, status(Status::Done));
    let forwarded_old = case_with(&store, "f@x", "b@example.org", old, old, status(Status::Forwarded));
    let cancelled_recent = case_with(&store, "c@x", "c@example.org", old, "2027-08-20T08:00:00Z", status(Status::Cancelled));
    let waiting_old = case_with(&store, "w@x", "d@example.org", old, old, status(Status::Waitlisted));
    let visited = case_with(&store, "v@x", "e@example.org", old, old, book(slot("2027-04-10T16:00:00Z", "2027-04-10T16:40:00Z")));
    let visit_to_come = case_with(&store, "t@x", "a@example.org", old, old, book(slot("2027-09-10T16:00:00Z", "2027-09-10T16:40:00Z")));
    let now = at("2027-09-01T08:00:00Z");

    let purged = store.purge_closed(now, 90).unwrap();
    assert_eq!(purged, vec![done_old, forwarded_old, visited]);
    for id in [done_old, forwarded_old, visited] {
        assert!(store.case(id).unwrap().is_none());
        assert_eq!(store.tombstone(id).unwrap().unwrap().reason, "retention");
    }
    for id in [cancelled_recent, waiting_old, visit_to_come] {
        assert!(store.case(id).unwrap().is_some(), "{id} kept");
    }
    // The visit's day is clear; the visit to come stays on the agenda.
    assert!(store.bookings_on(jiff::civil::date(2027, 4, 10)).unwrap().is_empty());
    assert_eq!(store.bookings_on(jiff::civil::date(2027, 9, 10)).unwrap().len(), 1);
    // The same citizen's open case and its index entry are untouched.
    assert_eq!(store.cases_from("a@example.org").unwrap(), vec![visit_to_come]);
    // The purged request's mail is gone, but a copy arriving again is still recognised.
    let mail = plain("d@x", old);
    assert!(store.mail(&mail.raw_key()).unwrap().is_none());
    assert_eq!(store.seen(&mail).unwrap(), Some(None));
    // Nothing more to do the same day.
    assert!(store.purge_closed(now, 90).unwrap().is_empty());
    // A shorter retention takes the recently cancelled case too, never the waiting one.
    assert_eq!(store.purge_closed(at("2027-08-25T08:00:00Z"), 0).unwrap(), vec![cancelled_recent]);
    assert!(store.case(waiting_old).unwrap().is_some());
}

#[test]
fn purge_of_engine_cases_frees_nothing_still_needed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = default_app();
    let engine = app.engine(&store);
    let a = created(engine.process(&a_request("p-1@posteo.de"), at("2027-04-06T06:45:00Z")).unwrap());
    assert_eq!(store.case(a).unwrap().unwrap().status, Status::Proposed);
    // Within the retention the unanswered proposal stays; long after it goes.
    assert!(store.purge_closed(at("2027-05-01T08:00:00Z"), 90).unwrap().is_empty());
    assert_eq!(store.purge_closed(at("2027-08-01T08:00:00Z"), 90).unwrap(), vec![a]);
    assert!(store.agenda_between(jiff::civil::date(2027, 4, 1), jiff::civil::date(2027, 6, 30), Timestamp::MIN).unwrap().is_empty());
    assert!(store.outbox().unwrap().is_empty(), "the unsent proposal went with the case");
}
