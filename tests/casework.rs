//! Staff actions on a real store with the real engine and mails: notes, done, cancel,
//! reassign to a Fachamt or the Bürgerbüro, and a staff member's absence — what each does
//! to the case's status and history (with who did it), to the agenda and to the mails
//! queued for the household.

use buergerservice::case_id::CaseId;
use buergerservice::casework::{AbsenceOutcome, CaseworkError};
use buergerservice::config::Config;
use buergerservice::daemon::App;
use buergerservice::engine::Outcome;
use buergerservice::store::{EventKind, Status, Store};
use buergerservice::tz::berlin;
use jiff::civil::{date, Date};
use jiff::{Timestamp, Zoned};
use mail_parser::{MessageParser, MimeHeaders};

mod common;
use common::*;

/// The default office, optionally with a second visiting colleague "Bea" (same hours).
fn app(colleague: bool) -> App {
    let mut cfg = Config::default();
    if colleague {
        let mut bea = cfg.staff[0].clone();
        bea.name = "Bea".into();
        bea.email = "bea@hochheim.de".into();
        cfg.staff.push(bea);
    }
    App::load(cfg, true).unwrap()
}

fn app_alone() -> App {
    app(false)
}

fn zoned(s: &str) -> Zoned {
    at(s).to_zoned(berlin())
}

fn day_of(t: Timestamp) -> Date {
    t.to_zoned(berlin()).date()
}

/// Subject, Message-ID, plain text and the .ics (if any) of an outbox mail.
fn read(raw: &[u8]) -> (String, String, String, Option<String>) {
    let m = MessageParser::default().parse(raw).unwrap();
    let ics = m
        .attachments()
        .find(|a| a.content_type().is_some_and(|c| c.subtype() == Some("calendar")))
        .map(|a| String::from_utf8_lossy(a.contents()).into_owned());
    (m.subject().unwrap_or("").to_string(), m.message_id().unwrap_or("").to_string(), m.body_text(0).unwrap_or_default().to_string(), ics)
}

fn mail(from: &str, subject: &str, id: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: buergerbuero@hochheim.de\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Tue, 06 Apr 2027 08:00:00 +0200\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn reply(from: &str, case: CaseId, id: &str, body: &str) -> Vec<u8> {
    mail(from, &format!("Re: [{case}] Termine"), id, body)
}

const SABINE: &str = "sabine.wendel@posteo.de";

/// Sabine's request (Thursdays from 18:00), proposals held.
fn sabine(store: &Store, app: &App) -> CaseId {
    let out = app.engine(store).process(&sample("001-"), at("2027-04-06T06:45:00Z")).unwrap();
    let Outcome::Created { case, status: Status::Proposed } = out else { panic!("{out:?}") };
    case
}

/// Sabine's request, booked on option `n`.
fn sabine_booked(store: &Store, app: &App, n: u32) -> CaseId {
    let case = sabine(store, app);
    let pick = reply(SABINE, case, "pick-1@posteo.de", &n.to_string());
    assert_eq!(app.engine(store).process(&pick, at("2027-04-06T08:00:00Z")).unwrap(), Outcome::Booked { case });
    case
}

/// An unclassified request from Karl.
fn unclassified(store: &Store, app: &App) -> CaseId {
    let raw = mail("Karl Huber <karl.huber@example.org>", "Frage", "karl-1@example.org", "Guten Tag, ich hätte da eine Frage und weiß nicht, an wen ich mich wenden soll.\r\n\r\nKarl Huber");
    let out = app.engine(store).process(&raw, at("2027-04-06T06:00:00Z")).unwrap();
    let Outcome::Created { case, status: Status::Unclassified } = out else { panic!("{out:?}") };
    case
}

fn history(store: &Store, case: CaseId) -> Vec<EventKind> {
    store.case(case).unwrap().unwrap().history.into_iter().map(|e| e.what).collect()
}

fn holds_of(store: &Store, case: CaseId, now: Timestamp) -> usize {
    store.agenda_between(date(2027, 4, 1), date(2027, 7, 31), now).unwrap().iter().filter(|e| e.case == case && e.hold_until.is_some()).count()
}

#[test]
fn a_note_is_kept_with_who_wrote_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = app(false);
    let case = sabine(&store, &app);
    let engine = app.engine(&store);
    let now = zoned("2027-04-06T09:00:00Z");
    engine.note(case, "  Rief an: Klingel defekt, bitte anrufen.  ", "mueller", &now).unwrap();
    assert!(history(&store, case).contains(&EventKind::Note { by: "mueller".into(), text: "Rief an: Klingel defekt, bitte anrufen.".into() }));
    assert_eq!(store.case(case).unwrap().unwrap().status, Status::Proposed, "a note changes nothing else");
    assert!(matches!(engine.note(case, "   ", "mueller", &now), Err(CaseworkError::EmptyNote)));
    let missing = CaseId::new(2027, 999);
    assert!(matches!(engine.note(missing, "x", "mueller", &now), Err(CaseworkError::NoSuchCase(id)) if id == missing));
}

#[test]
fn done_keeps_the_visit_in_history_releases_holds_and_is_refused_while_the_visit_lies_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = app(false);
    let case = sabine_booked(&store, &app, 1);
    let engine = app.engine(&store);
    let booking = store.case(case).unwrap().unwrap().booking.unwrap();
    let err = engine.mark_done(case, "mueller", &zoned("2027-04-07T09:00:00Z")).unwrap_err();
    assert!(matches!(err, CaseworkError::VisitAhead { .. }), "{err}");
    assert!(err.to_string().contains("cancel"), "{err}");
    assert_eq!(store.case(case).unwrap().unwrap().status, Status::Booked);

    let after = booking.end.to_zoned(berlin()).checked_add(jiff::Span::new().hours(1)).unwrap();
    let mails = store.outbox().unwrap().len();
    engine.mark_done(case, "mueller", &after).unwrap();
    let c = store.case(case).unwrap().unwrap();
    assert_eq!(c.status, Status::Done);
    assert_eq!(c.booking.as_ref(), Some(&booking), "the visit that took place stays on the case");
    assert_eq!(store.bookings_on(day_of(booking.start)).unwrap().len(), 1, "and in the staff agenda of that day");
    assert!(c.history.iter().any(|e| e.what == EventKind::MarkedDone { by: "mueller".into() }));
    assert!(c.proposed_slots().is_empty(), "a late pick of an old option books nothing");
    assert_eq!(store.outbox().unwrap().len(), mails, "done sends no mail");
    assert!(matches!(engine.mark_done(case, "mueller", &after), Err(CaseworkError::NotAllowed { status: Status::Done, .. })));
    assert!(matches!(engine.cancel_by_staff(case, "mueller", &after), Err(CaseworkError::NotAllowed { status: Status::Done, .. })));

    // A case with held proposals: done releases them.
    let other = app.engine(&store).process(&mail("ute@posteo.de", "Meldebescheinigung", "ute-1@posteo.de", "Ich brauche eine Meldebescheinigung."), at("2027-04-06T07:00:00Z")).unwrap();
    let Outcome::Created { case: ute, status: Status::Proposed } = other else { panic!("{other:?}") };
    let now = zoned("2027-04-06T09:00:00Z");
    assert!(holds_of(&store, ute, now.timestamp()) > 0);
    engine.mark_done(ute, "mueller", &now).unwrap();
    assert_eq!(holds_of(&store, ute, now.timestamp()), 0);
}

#[test]
fn staff_cancel_frees_the_visit_tells_the_citizen_and_a_new_date_can_be_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = app(false);
    let case = sabine_booked(&store, &app, 1);
    let engine = app.engine(&store);
    let booking = store.case(case).unwrap().unwrap().booking.unwrap();
    let now = zoned("2027-04-06T12:00:00Z");
    let done = engine.cancel_by_staff(case, "mueller", &now).unwrap();
    assert!(done.visit_cancelled && done.citizen_told);
    let c = store.case(case).unwrap().unwrap();
    assert_eq!(c.status, Status::Cancelled);
    assert!(c.booking.is_none());
    assert!(c.history.iter().any(|e| e.what == EventKind::CancelledByStaff { by: "mueller".into() }));
    assert!(store.bookings_on(day_of(booking.start)).unwrap().is_empty(), "the slot is free again");
    let last = store.outbox().unwrap().pop().unwrap();
    assert_eq!(last.to, SABINE);
    let (subject, _, body, ics) = read(&last.message);
    assert!(subject.contains(&case.to_string()) && subject.contains("entfallen"), "{subject}");
    assert!(body.contains("Bürgerbüro muss Ihren Termin") && body.contains("8. April 2027"), "the office cancelled, and which visit:\n{body}");
    assert!(body.contains("neuen Termin") && body.contains("antworten Sie"), "how to get a new date:\n{body}");
    let ics = ics.expect("the calendar cancellation");
    assert!(ics.contains("METHOD:CANCEL") && ics.contains("SEQUENCE:1"), "{ics}");
    assert!(matches!(engine.cancel_by_staff(case, "mueller", &now), Err(CaseworkError::NotAllowed { status: Status::Cancelled, .. })));
    assert!(matches!(engine.mark_done(case, "mueller", &now), Err(CaseworkError::NotAllowed { status: Status::Cancelled, .. })));
    // As the mail says: answering with times brings new proposals.
    let again = reply(SABINE, case, "again-1@posteo.de", "Dann bitte einen neuen Termin, am 29. April ab 19 Uhr ginge es.");
    assert_eq!(engine.process(&again, at("2027-04-06T13:00:00Z")).unwrap(), Outcome::Reproposed { case });
    assert_eq!(store.case(case).unwrap().unwrap().status, Status::Proposed);
}

#[test]
fn reassigning_an_unclassified_case_to_the_standesamt_forwards_it_and_tells_the_citizen() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = app(false);
    let case = unclassified(&store, &app);
    let engine = app.engine(&store);
    let now = zoned("2027-04-06T09:00:00Z");
    let err = engine.reassign(case, "standesam", "mueller", &now).unwrap_err();
    assert!(matches!(err, CaseworkError::UnknownDepartment { .. }) && err.to_string().contains("standesamt") && err.to_string().contains("buergerbuero"), "{err}");
    let before = store.outbox().unwrap().len();

    let r = engine.reassign(case, "standesamt", "mueller", &now).unwrap();
    assert_eq!((r.from.as_deref(), r.to.as_str(), r.status), (None, "standesamt", Status::Forwarded));
    assert_eq!(r.forwarded_to.as_deref(), Some("standesamt@hochheim.de"));
    let c = store.case(case).unwrap().unwrap();
    assert_eq!(c.status, Status::Forwarded);
    assert_eq!(c.triage["department"], "standesamt");
    assert!(c.history.iter().any(|e| e.what == EventKind::Reassigned { by: "mueller".into(), from: None, to: "standesamt".into() }));
    let new: Vec<_> = store.outbox().unwrap().into_iter().skip(before).collect();
    assert_eq!(new.len(), 2, "the forward and the notice");
    let forward = MessageParser::default().parse(&new[0].message).unwrap();
    assert_eq!(new[0].to, "standesamt@hochheim.de");
    let original = forward.attachments().find(|a| a.content_type().is_some_and(|c| c.ctype() == "message")).expect("the original mail attached");
    assert!(String::from_utf8_lossy(original.contents()).contains("karl-1@example.org"));
    assert!(forward.body_text(0).unwrap().contains("mueller"), "the Fachamt sees it was assigned by hand");
    assert_eq!(new[1].to, "karl.huber@example.org");
    let (subject, notice_id, body, ics) = read(&new[1].message);
    assert!(subject.contains(&case.to_string()) && body.contains("Standesamt") && body.contains("meldet man sich"), "{body}");
    assert!(ics.is_none(), "no visit was booked");

    let err = engine.reassign(case, "standesamt", "mueller", &now).unwrap_err();
    assert!(matches!(err, CaseworkError::SameDepartment { .. }), "{err}");
    // The citizen's follow-up now goes to the Standesamt too.
    let more = mail("karl.huber@example.org", &format!("Re: {subject}"), "karl-2@example.org", "Anbei die Geburtsurkunde.");
    let more = String::from_utf8(more).unwrap().replace("MIME-Version", &format!("In-Reply-To: <{notice_id}>\r\nMIME-Version"));
    assert_eq!(engine.process(more.as_bytes(), at("2027-04-07T08:00:00Z")).unwrap(), Outcome::FollowUpForwarded { case });
    assert!(store.outbox().unwrap().pop().unwrap().to.starts_with("standesamt@"));
}

#[test]
fn reassigning_a_booked_case_to_a_fachamt_cancels_the_visit_in_the_same_notice() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = app(false);
    let case = sabine_booked(&store, &app, 2);
    let booking = store.case(case).unwrap().unwrap().booking.unwrap();
    let r = app.engine(&store).reassign(case, "ordnungsamt", "mueller", &zoned("2027-04-06T12:00:00Z")).unwrap();
    assert!(r.visit_cancelled && r.citizen_told && r.from.as_deref() == Some("buergerbuero"));
    assert!(store.bookings_on(day_of(booking.start)).unwrap().is_empty());
    let c = store.case(case).unwrap().unwrap();
    assert_eq!((c.status, c.booking.is_none()), (Status::Forwarded, true));
    let last = store.outbox().unwrap().pop().unwrap();
    assert_eq!(last.to, SABINE);
    let (_, _, body, ics) = read(&last.message);
    assert!(body.contains("Ordnungsamt") && body.contains("entfällt deshalb"), "{body}");
    assert!(ics.is_some_and(|i| i.contains("METHOD:CANCEL")));
}

#[test]
fn reassigning_to_the_buergerbuero_proposes_visits_as_for_a_new_request() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = app(false);
    let case = unclassified(&store, &app);
    let now = zoned("2027-04-06T09:00:00Z");
    let r = app.engine(&store).reassign(case, "buergerbuero", "mueller", &now).unwrap();
    assert_eq!(r.status, Status::Proposed);
    let c = store.case(case).unwrap().unwrap();
    assert_eq!(c.status, Status::Proposed);
    assert_eq!(c.proposed_slots().len(), 3);
    assert_eq!(holds_of(&store, case, now.timestamp()), 3);
    let last = store.outbox().unwrap().pop().unwrap();
    assert_eq!(last.to, "karl.huber@example.org");
    let (subject, _, body, _) = read(&last.message);
    assert!(subject.contains("Terminvorschläge") && body.contains("1) ") && body.contains("3) "), "{body}");
    assert!(!body.contains("Wir haben verstanden: ."), "no empty list of concerns:\n{body}");
    assert!(c.history.iter().any(|e| e.what == EventKind::Reassigned { by: "mueller".into(), from: None, to: "buergerbuero".into() }));
    // Karl picks one: booked as any household.
    let pick = reply("karl.huber@example.org", case, "karl-2@example.org", "1");
    assert_eq!(app.engine(&store).process(&pick, at("2027-04-06T10:00:00Z")).unwrap(), Outcome::Booked { case });

    // A Fachamt's case taken back by the Bürgerbüro is planned as well.
    let out = app.engine(&store).process(&sample("020-"), at("2027-04-06T08:00:00Z")).unwrap();
    let Outcome::Created { case: wedding, status: Status::Forwarded } = out else { panic!("{out:?}") };
    let r = app.engine(&store).reassign(wedding, "buergerbuero", "mueller", &now).unwrap();
    assert_eq!((r.from.as_deref(), r.status), (Some("standesamt"), Status::Proposed));
}

#[test]
fn an_absent_persons_visit_moves_to_a_free_colleague_without_a_mail_and_a_repeat_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = app(true);
    let case = sabine_booked(&store, &app, 1);
    let engine = app.engine(&store);
    let booking = store.case(case).unwrap().unwrap().booking.unwrap();
    let absent = booking.staff.clone();
    let day = day_of(booking.start);
    let mails = store.outbox().unwrap().len();
    let now = zoned("2027-04-07T07:00:00Z");

    let report = engine.staff_absent(&absent, day, day, "leitung", &now).unwrap();
    assert!(report.newly_recorded);
    assert_eq!(report.cases.len(), 1, "{report:?}");
    let colleague = if absent == "Bea" { "Bürgerbüro" } else { "Bea" };
    assert_eq!(report.cases[0].outcome, AbsenceOutcome::MovedTo { staff: colleague.into() });
    let c = store.case(case).unwrap().unwrap();
    let moved = c.booking.clone().unwrap();
    assert_eq!((moved.start, moved.end, moved.staff.as_str()), (booking.start, booking.end, colleague), "same time, the colleague");
    assert_eq!(c.status, Status::Booked);
    assert!(c.history.iter().any(|e| e.what == EventKind::Restaffed { by: "leitung".into(), absent: absent.clone(), to: Some(colleague.into()) }));
    let agenda = store.bookings_on(day).unwrap();
    assert_eq!(agenda.iter().map(|e| e.slot.staff.as_str()).collect::<Vec<_>>(), vec![colleague]);
    assert_eq!(store.outbox().unwrap().len(), mails, "nothing the household was told names the staff member: no mail");

    // The same command again: nothing changes.
    let history_len = c.history.len();
    let again = engine.staff_absent(&absent, day, day, "leitung", &now).unwrap();
    assert!(!again.newly_recorded && again.cases.is_empty(), "{again:?}");
    assert_eq!(store.case(case).unwrap().unwrap().history.len(), history_len);
    assert_eq!(store.outbox().unwrap().len(), mails);
    assert_eq!(store.absences().unwrap().len(), 1);

    let err = engine.staff_absent("Nobody", day, day, "leitung", &now).unwrap_err();
    assert!(err.to_string().contains("Bea") && err.to_string().contains("Bürgerbüro"), "{err}");
}

#[test]
fn without_a_free_colleague_the_household_gets_an_apology_new_proposals_and_the_slot_is_freed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = app(false);
    let case = sabine_booked(&store, &app, 1);
    let engine = app.engine(&store);
    let booking = store.case(case).unwrap().unwrap().booking.unwrap();
    let (from, to) = (date(2027, 4, 7), date(2027, 4, 16));
    let now = zoned("2027-04-07T07:00:00Z");
    let report = engine.staff_absent(&booking.staff, from, to, "leitung", &now).unwrap();
    assert_eq!(report.cases.len(), 1);
    assert_eq!(report.cases[0].outcome, AbsenceOutcome::Reproposed { waitlisted: false });
    assert_eq!(report.cases[0].case, case);
    assert!(store.bookings_on(day_of(booking.start)).unwrap().is_empty(), "the slot is freed");
    let c = store.case(case).unwrap().unwrap();
    assert_eq!((c.status, c.booking.is_none()), (Status::Proposed, true));
    assert!(c.history.iter().any(|e| e.what == EventKind::Restaffed { by: "leitung".into(), absent: booking.staff.clone(), to: None }));
    for s in c.proposed_slots() {
        let d = day_of(s.start);
        assert!(!(from..=to).contains(&d), "{s:?} lies in the absence");
    }
    let last = store.outbox().unwrap().pop().unwrap();
    let (subject, _, body, ics) = read(&last.message);
    assert!(subject.contains("entfällt") && subject.contains("Terminvorschläge"), "{subject}");
    assert!(body.contains("erkrankt oder verhindert") && body.contains("8. April 2027") && body.contains("1) "), "{body}");
    let ics = ics.expect("the old visit withdrawn from the calendar");
    assert!(ics.contains("METHOD:CANCEL") && ics.contains("SEQUENCE:1"), "{ics}");
    // The household's reader understands the new options like any proposal.
    assert_eq!(buergerservice::extract::reply::parse_options(&body).len(), c.proposed_slots().len());

    // Later planning respects the absence too.
    let out = engine.process(&mail("ute@posteo.de", "Meldebescheinigung", "ute-1@posteo.de", "Ich brauche eine Meldebescheinigung."), at("2027-04-07T07:30:00Z")).unwrap();
    let Outcome::Created { case: ute, status: Status::Proposed } = out else { panic!("{out:?}") };
    for s in store.case(ute).unwrap().unwrap().proposed_slots() {
        assert!(!(from..=to).contains(&day_of(s.start)), "{s:?} proposes the absent person");
    }
}

#[test]
fn held_proposals_of_an_absent_person_get_a_colleague_when_picked_or_else_new_proposals() {
    // With a colleague: the pick is booked with her at the same time.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = app(true);
    let case = sabine(&store, &app);
    let engine = app.engine(&store);
    let held = store.case(case).unwrap().unwrap().proposed_slots().to_vec();
    let absent = held[0].staff.clone();
    let now = zoned("2027-04-06T07:00:00Z");
    let report = engine.staff_absent(&absent, date(2027, 4, 7), date(2027, 4, 30), "leitung", &now).unwrap();
    assert!(report.cases.iter().any(|c| c.case == case && c.outcome == AbsenceOutcome::HoldKept), "{report:?}");
    assert_eq!(report.cases.iter().filter(|c| c.case == case).count(), 1, "one line per case");
    let pick = reply(SABINE, case, "pick-1@posteo.de", "1");
    assert_eq!(engine.process(&pick, at("2027-04-06T08:00:00Z")).unwrap(), Outcome::Booked { case });
    let b = store.case(case).unwrap().unwrap().booking.unwrap();
    assert_eq!(b.start, held[0].start);
    assert_ne!(b.staff, absent, "never a visit by an absent person");

    // Alone in the office: the pick gets the usual apology with new proposals.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let alone = app_alone();
    let case = sabine(&store, &alone);
    let engine = alone.engine(&store);
    let held = store.case(case).unwrap().unwrap().proposed_slots().to_vec();
    let (from, to) = (day_of(held[0].start), day_of(held[0].start));
    engine.staff_absent(&held[0].staff, from, to, "leitung", &now).unwrap();
    let pick = reply(SABINE, case, "pick-1@posteo.de", "1");
    assert_eq!(engine.process(&pick, at("2027-04-06T08:00:00Z")).unwrap(), Outcome::SlotTaken { case });
    let c = store.case(case).unwrap().unwrap();
    assert!(c.booking.is_none());
    assert!(c.proposed_slots().iter().all(|s| day_of(s.start) != from), "{:?}", c.proposed_slots());
    let (_, _, body, _) = read(&store.outbox().unwrap().pop().unwrap().message);
    assert!(body.contains("inzwischen vergeben"), "{body}");
}

#[test]
fn moving_a_visit_to_a_colleague_keeps_the_dates_offered_for_a_wished_move() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = app(true);
    let case = sabine_booked(&store, &app, 1);
    let engine = app.engine(&store);
    let mv = reply(SABINE, case, "move-1@posteo.de", "Können wir den Termin verschieben? Am 29. April ab 19 Uhr ginge es auch.");
    assert_eq!(engine.process(&mv, at("2027-04-06T09:00:00Z")).unwrap(), Outcome::Reproposed { case });
    let offered = store.case(case).unwrap().unwrap().proposed_slots().to_vec();
    let now = zoned("2027-04-06T10:00:00Z");
    let held = holds_of(&store, case, now.timestamp());
    assert!(held > 0);
    let booking = store.case(case).unwrap().unwrap().booking.unwrap();
    let day = day_of(booking.start);
    let report = engine.staff_absent(&booking.staff, day, day, "leitung", &now).unwrap();
    assert!(matches!(report.cases[0].outcome, AbsenceOutcome::MovedTo { .. }), "{report:?}");
    assert_eq!(holds_of(&store, case, now.timestamp()), held, "the offered new dates stay held");
    let pick = reply(SABINE, case, "move-2@posteo.de", "1");
    assert_eq!(engine.process(&pick, at("2027-04-06T11:00:00Z")).unwrap(), Outcome::Booked { case });
    assert_eq!(store.case(case).unwrap().unwrap().booking.unwrap().start, offered[0].start);
    assert!(store.bookings_on(day).unwrap().is_empty(), "the moved visit on the old day is given up for the new one");
}
