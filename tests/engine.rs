//! The engine on a real store: requests become cases with held proposals, replies book,
//! cancel and move, specialist mail is forwarded, automatic mail is never answered, and
//! nothing is done twice.

use buergerservice::config::Config;
use buergerservice::daemon::App;
use buergerservice::engine::Outcome;
use buergerservice::store::{Status, Store};
use mail_parser::{MessageParser, MimeHeaders};

mod common;
use common::*;

/// The subject, Message-ID and plain text of an outbox mail.
fn read(raw: &[u8]) -> (String, String, String) {
    let m = MessageParser::default().parse(raw).unwrap();
    (m.subject().unwrap_or("").to_string(), m.message_id().unwrap_or("").to_string(), m.body_text(0).unwrap_or_default().to_string())
}

fn reply(from: &str, subject: &str, in_reply_to: &str, id: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: buergerbuero@hochheim.de\r\nSubject: {subject}\r\nIn-Reply-To: <{in_reply_to}>\r\nReferences: <{in_reply_to}>\r\nMessage-ID: <{id}>\r\nDate: Tue, 06 Apr 2027 12:00:00 +0200\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

#[test]
fn request_gets_held_proposals_and_a_reply_books_cancels_and_is_applied_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = default_app();
    let engine = app.engine(&store);

    let out = engine.process(&sample("001-"), at("2027-04-06T06:45:00Z")).unwrap();
    let Outcome::Created { case, status: Status::Proposed } = out else { panic!("{out:?}") };
    let outbox = store.outbox().unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].to, "sabine.wendel@posteo.de");
    let (subject, proposal_id, body) = read(&outbox[0].message);
    assert!(subject.starts_with(&format!("[{case}]")), "{subject}");
    assert!(body.contains("1) Donnerstag, 8. April 2027"), "Thursdays from 18:00 only:\n{body}");
    assert_eq!(store.case(case).unwrap().unwrap().proposed_slots().len(), 3);
    // The same mail again: nothing new.
    assert_eq!(engine.process(&sample("001-"), at("2027-04-06T06:50:00Z")).unwrap(), Outcome::AlreadyDone { case: Some(case) });
    assert_eq!(store.outbox().unwrap().len(), 1);

    // Someone else answering "2" books nothing.
    let stranger = reply("Mallory <m@example.org>", &format!("Re: [{case}] Termine"), &proposal_id, "r0@example.org", "2");
    assert!(matches!(engine.process(&stranger, at("2027-04-06T10:00:00Z")).unwrap(), Outcome::Flagged { .. }));
    assert_eq!(store.case(case).unwrap().unwrap().status, Status::Proposed);

    // The citizen answers "2": booked, confirmation with an .ics invitation.
    let two = reply("Sabine Wendel <sabine.wendel@posteo.de>", &format!("Re: [{case}] Termine"), &proposal_id, "r1@posteo.de", "Die 2 bitte.");
    assert_eq!(engine.process(&two, at("2027-04-06T10:01:00Z")).unwrap(), Outcome::Booked { case });
    assert_eq!(engine.process(&two, at("2027-04-06T10:02:00Z")).unwrap(), Outcome::AlreadyDone { case: Some(case) });
    let stored = store.case(case).unwrap().unwrap();
    assert_eq!(stored.status, Status::Booked);
    assert_eq!(stored.booking.as_ref(), stored.proposed_slots().get(1));
    let outbox = store.outbox().unwrap();
    assert_eq!(outbox.len(), 2);
    let m = MessageParser::default().parse(&outbox[1].message).unwrap();
    let ics = m.attachments().find(|a| a.content_type().is_some_and(|c| c.subtype() == Some("calendar"))).expect("an .ics");
    assert!(std::str::from_utf8(ics.contents()).unwrap().contains("METHOD:REQUEST"));
    let day = stored.booking.as_ref().unwrap().start.to_zoned(buergerservice::tz::berlin()).date();
    assert_eq!(store.bookings_on(day).unwrap().len(), 1);

    // Cancel by reply: the slot is free again and the invitation withdrawn.
    let cancel = reply("sabine.wendel@posteo.de", &format!("Re: [{case}] Terminbestätigung"), &proposal_id, "r2@posteo.de", "Wir müssen leider absagen, bitte streichen Sie den Termin.");
    assert_eq!(engine.process(&cancel, at("2027-04-06T11:00:00Z")).unwrap(), Outcome::Cancelled { case });
    assert!(store.bookings_on(day).unwrap().is_empty());
    let last = store.outbox().unwrap().pop().unwrap();
    assert!(String::from_utf8_lossy(&last.message).contains("METHOD:CANCEL"));
}

#[test]
fn two_households_are_never_offered_the_same_slot() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = default_app();
    let engine = app.engine(&store);
    let first = sample("001-");
    let second = String::from_utf8(first.clone()).unwrap().replace("6f1d2c9a-3b47", "other-household").replace("sabine.wendel@posteo", "nachbarin@posteo");
    engine.process(&first, at("2027-04-06T06:45:00Z")).unwrap();
    engine.process(second.as_bytes(), at("2027-04-06T06:46:00Z")).unwrap();
    let cases = store.cases_with_status(Status::Proposed).unwrap();
    assert_eq!(cases.len(), 2);
    let a = store.case(cases[0]).unwrap().unwrap().proposed_slots().to_vec();
    let b = store.case(cases[1]).unwrap().unwrap().proposed_slots().to_vec();
    for x in &a {
        for y in &b {
            assert!(x.staff != y.staff || x.end <= y.start || y.end <= x.start, "{x:?} offered twice");
        }
    }
}

#[test]
fn specialist_mail_is_forwarded_and_the_citizen_told_who_takes_over() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = default_app();
    let out = app.engine(&store).process(&sample("020-"), at("2027-05-03T08:00:00Z")).unwrap();
    assert!(matches!(out, Outcome::Created { status: Status::Forwarded, .. }), "{out:?}");
    let outbox = store.outbox().unwrap();
    assert_eq!(outbox.len(), 2);
    assert!(outbox[0].to.starts_with("standesamt@"), "{}", outbox[0].to);
    let forward = MessageParser::default().parse(&outbox[0].message).unwrap();
    assert!(forward.attachments().any(|a| a.content_type().is_some_and(|c| c.ctype() == "message")));
    let (_, _, notice) = read(&outbox[1].message);
    assert!(notice.contains("Standesamt"), "{notice}");
}

#[test]
fn automatic_mail_is_never_answered_and_unreadable_mail_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = default_app();
    let engine = app.engine(&store);
    for s in ["037-", "038-", "039-", "040-"] {
        let out = engine.process(&sample(s), at("2027-06-01T08:00:00Z")).unwrap();
        assert!(matches!(out, Outcome::Ignored { .. }), "{s}: {out:?}");
    }
    assert!(store.outbox().unwrap().is_empty());
    let garbage = b"\x00\x01\x02 not a mail at all \xff\xfe";
    let out = engine.process(garbage, at("2027-06-01T08:00:00Z")).unwrap();
    let Outcome::Quarantined { case, .. } = out else { panic!("{out:?}") };
    assert_eq!(store.case(case).unwrap().unwrap().status, Status::Unclassified);
    assert!(store.outbox().unwrap().is_empty());
    assert_eq!(engine.process(garbage, at("2027-06-01T08:01:00Z")).unwrap(), Outcome::AlreadyDone { case: Some(case) });
}

#[test]
fn no_reply_senders_and_our_own_address_get_no_answer() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = default_app();
    let engine = app.engine(&store);
    let own = reply("buergerbuero@hochheim.de", "Personalausweis", "x@y", "loop@hochheim.de", "Ich brauche einen Personalausweis.");
    assert!(matches!(engine.process(&own, at("2027-06-01T08:00:00Z")).unwrap(), Outcome::Ignored { .. }));
    let noreply = reply("no-reply@shop.example", "Personalausweis", "x@y", "n@shop.example", "Ich brauche einen Personalausweis.");
    assert!(matches!(engine.process(&noreply, at("2027-06-01T08:00:00Z")).unwrap(), Outcome::Ignored { .. }));
    assert!(store.outbox().unwrap().is_empty());
}

fn other_household(raw: &[u8], tag: &str) -> Vec<u8> {
    String::from_utf8_lossy(raw).replace("6f1d2c9a-3b47", tag).replace("sabine.wendel@posteo", &format!("{tag}@posteo")).into_bytes()
}

fn proposal_id(store: &Store, case: buergerservice::case_id::CaseId) -> String {
    store
        .outbox()
        .unwrap()
        .iter()
        .filter(|m| m.case == case)
        .map(|m| read(&m.message))
        .find(|(s, _, _)| s.contains("Terminvorschl"))
        .map(|(_, id, _)| id)
        .unwrap()
}

#[test]
fn a_slot_taken_meanwhile_brings_new_proposals_with_an_apology() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = default_app();
    let engine = app.engine(&store);
    let Outcome::Created { case: a, .. } = engine.process(&sample("001-"), at("2027-04-06T06:45:00Z")).unwrap() else { panic!() };
    let a_slots = store.case(a).unwrap().unwrap().proposed_slots().to_vec();
    // After A's holds expired (72 h), B is offered A's second slot and books it.
    let b_mail = other_household(&sample("001-"), "nachbar");
    let Outcome::Created { case: b, .. } = engine.process(&b_mail, at("2027-04-09T16:00:00Z")).unwrap() else { panic!() };
    let b_first = store.case(b).unwrap().unwrap().proposed_slots()[0].clone();
    assert_eq!(b_first.start, a_slots[1].start, "B is offered the slot A no longer holds");
    let b_yes = reply("nachbar@posteo.de", &format!("Re: [{b}] Termine"), &proposal_id(&store, b), "b1@posteo.de", "1");
    assert_eq!(engine.process(&b_yes, at("2027-04-09T16:10:00Z")).unwrap(), Outcome::Booked { case: b });
    // A now answers "2": gone. A gets an apology and new proposals, nothing is double-booked.
    let a_two = reply("sabine.wendel@posteo.de", &format!("Re: [{a}] Termine"), &proposal_id(&store, a), "a1@posteo.de", "2");
    assert_eq!(engine.process(&a_two, at("2027-04-09T17:00:00Z")).unwrap(), Outcome::SlotTaken { case: a });
    let (_, _, body) = read(&store.outbox().unwrap().last().unwrap().message);
    assert!(body.contains("inzwischen vergeben") && body.contains("1) "), "{body}");
    let new = store.case(a).unwrap().unwrap().proposed_slots().to_vec();
    assert!(!new.iter().any(|s| s.start == b_first.start), "the taken slot is not offered again");
    assert_eq!(store.case(a).unwrap().unwrap().status, Status::Proposed);
}

#[test]
fn a_booked_visit_can_be_moved_by_reply_and_is_reminded_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = default_app();
    let engine = app.engine(&store);
    let Outcome::Created { case, .. } = engine.process(&sample("001-"), at("2027-04-06T06:45:00Z")).unwrap() else { panic!() };
    let pid = proposal_id(&store, case);
    let one = reply("sabine.wendel@posteo.de", &format!("Re: [{case}] Termine"), &pid, "m1@posteo.de", "1");
    assert_eq!(engine.process(&one, at("2027-04-06T08:00:00Z")).unwrap(), Outcome::Booked { case });
    let first = store.case(case).unwrap().unwrap().booking.unwrap();
    // A wish to move: new proposals, the booked visit stays until a new one is chosen.
    let mv = reply("sabine.wendel@posteo.de", &format!("Re: [{case}] Terminbestätigung"), &pid, "m2@posteo.de", "Können wir den Termin verschieben? Am 29. April ab 19 Uhr ginge es auch.");
    assert_eq!(engine.process(&mv, at("2027-04-06T09:00:00Z")).unwrap(), Outcome::Reproposed { case });
    let c = store.case(case).unwrap().unwrap();
    assert_eq!(c.status, Status::Booked);
    assert_eq!(c.booking.as_ref(), Some(&first));
    let offered = c.proposed_slots().to_vec();
    assert!(!offered.is_empty());
    let berlin = buergerservice::tz::berlin();
    assert!(offered.iter().all(|s| s.start.to_zoned(berlin.clone()).date() == jiff::civil::date(2027, 4, 29)), "{offered:?}");
    let pid2 = proposal_id(&store, case);
    let pick = reply("sabine.wendel@posteo.de", &format!("Re: [{case}] Termine"), &pid2, "m3@posteo.de", "1");
    assert_eq!(engine.process(&pick, at("2027-04-06T10:00:00Z")).unwrap(), Outcome::Booked { case });
    let c = store.case(case).unwrap().unwrap();
    assert_eq!(c.booking.as_ref().map(|b| b.start), Some(offered[0].start));
    assert!(store.bookings_on(first.start.to_zoned(berlin.clone()).date()).unwrap().is_empty(), "the old slot is free");
    // The reminder goes out once, the day before.
    let visit = c.booking.unwrap().start.to_zoned(berlin);
    let eve = visit.checked_sub(jiff::Span::new().hours(20)).unwrap();
    let lead = jiff::SignedDuration::from_hours(24);
    assert_eq!(engine.queue_reminders(&eve, lead).unwrap(), vec![case]);
    assert!(engine.queue_reminders(&eve, lead).unwrap().is_empty());
    let (subject, _, body) = read(&store.outbox().unwrap().last().unwrap().message);
    assert!(subject.contains("Erinnerung") && body.contains("absagen"), "{subject}\n{body}");
}

#[test]
fn a_mail_with_both_kinds_of_concern_gets_a_visit_and_a_forward() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = default_app();
    let mixed = reply(
        "Ute Berg <ute.berg@posteo.de>",
        "Personalausweis und Hund",
        "none@x",
        "mixed-1@posteo.de",
        "Guten Tag, ich brauche einen neuen Personalausweis. Außerdem möchte ich unseren neuen Hund zur Hundesteuer anmelden. Ich bin dienstags ab 17 Uhr zu Hause.\r\n\r\nUte Berg\r\nWeiherstraße 3, 65239 Hochheim",
    )
    .into_iter()
    .collect::<Vec<u8>>();
    let mixed = String::from_utf8(mixed).unwrap().replace("In-Reply-To: <none@x>\r\nReferences: <none@x>\r\n", "");
    let out = app.engine(&store).process(mixed.as_bytes(), at("2027-04-06T08:00:00Z")).unwrap();
    assert!(matches!(out, Outcome::Created { status: Status::Proposed, .. }), "{out:?}");
    let to: Vec<String> = store.outbox().unwrap().iter().map(|m| m.to.clone()).collect();
    assert!(to.iter().any(|t| t.starts_with("steueramt@")), "{to:?}");
    assert_eq!(to.iter().filter(|t| *t == "ute.berg@posteo.de").count(), 2, "proposal and the Fachamt notice: {to:?}");
}

#[test]
fn the_waiting_list_is_served_first_come_first_served_when_capacity_frees() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut cfg = Config::default();
    cfg.staff[0].max_visits_per_day = 1;
    cfg.office.horizon_weeks = 1;
    let app = App::load(cfg, true).unwrap();
    let engine = app.engine(&store);
    let ask = |who: &str| reply(&format!("{who}@posteo.de"), "Meldebescheinigung", "none@x", &format!("{who}-1@posteo.de"), "Ich brauche eine Meldebescheinigung.");
    let mut cases = Vec::new();
    for who in ["anna", "bert", "cora", "dirk"] {
        let Outcome::Created { case, status } = engine.process(&ask(who), at("2027-04-12T08:00:00Z")).unwrap() else { panic!() };
        cases.push((case, status));
    }
    // One visit a day, each proposal holds three days: the week is full after two cases.
    assert_eq!(cases.iter().map(|c| c.1).collect::<Vec<_>>(), vec![Status::Proposed, Status::Proposed, Status::Waitlisted, Status::Waitlisted]);
    let (_, _, body) = read(&store.outbox().unwrap()[2].message);
    assert!(body.contains("Warteliste") && body.contains("früheste mögliche Termin"), "{body}");
    // Anna cancels: her three days are free again, and Cora (first in line) gets them.
    let cancel = reply("anna@posteo.de", &format!("Re: [{}] Termine", cases[0].0), "none@x", "anna-2@posteo.de", "Bitte stornieren, hat sich erledigt.");
    assert_eq!(engine.process(&cancel, at("2027-04-12T09:00:00Z")).unwrap(), Outcome::Cancelled { case: cases[0].0 });
    let now = buergerservice::tz::parse_instant("2027-04-12T11:30:00+02:00").unwrap();
    assert_eq!(engine.promote_waitlist(&now).unwrap(), vec![cases[2].0]);
    assert_eq!(store.case(cases[2].0).unwrap().unwrap().status, Status::Proposed);
    assert_eq!(store.case(cases[3].0).unwrap().unwrap().status, Status::Waitlisted);
}

#[test]
fn a_null_return_path_gets_no_automatic_answer() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = default_app();
    let raw = [b"Return-Path: <>\r\n".as_slice(), &sample("001-")].concat();
    assert!(matches!(app.engine(&store).process(&raw, at("2027-04-06T06:45:00Z")).unwrap(), Outcome::Ignored { .. }));
    assert!(store.outbox().unwrap().is_empty());
}

#[test]
fn an_oversized_mail_is_kept_flagged_and_quarantined_without_blocking_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config::default();
    cfg.daemon.max_mail_bytes = 10_000;
    cfg.mailbox = buergerservice::config::MailboxConfig::Maildir { path: dir.path().join("maildir"), poll_interval_ms: 100 };
    cfg.outbox = buergerservice::config::OutboxConfig::Directory { path: dir.path().join("outbox") };
    let mut app = App::load(cfg, true).unwrap();
    let mut store = Store::open(&dir.path().join("store")).unwrap();
    let maildir = buergerservice::source::maildir::Maildir::open(&dir.path().join("maildir")).unwrap();
    let mut big = sample("001-");
    big.extend(std::iter::repeat_n(b'x', 20_000));
    maildir.deliver(&big).unwrap();
    maildir.deliver(&sample("003-")).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let report = rt.block_on(buergerservice::daemon::run(&mut app, &mut store, true, &buergerservice::daemon::Control::default())).unwrap();
    assert_eq!((report.mails, report.quarantined, report.created), (2, 1, 1));
    assert_eq!(std::fs::read_dir(dir.path().join("maildir/.Quarantine/cur")).unwrap().count(), 1);
    assert_eq!(std::fs::read_dir(dir.path().join("maildir/.Processed/cur")).unwrap().count(), 1);
    let flagged = store.cases_with_status(Status::Unclassified).unwrap();
    assert_eq!(flagged.len(), 1);
    let case = store.case(flagged[0]).unwrap().unwrap();
    let buergerservice::store::EventKind::Received { mail } = &case.history[0].what else { panic!() };
    assert_eq!(store.mail(mail).unwrap().unwrap().len(), big.len(), "kept whole");
}

#[test]
fn a_follow_up_on_a_fachamt_case_goes_to_that_fachamt() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = default_app();
    let engine = app.engine(&store);
    let Outcome::Created { case, status: Status::Forwarded } = engine.process(&sample("020-"), at("2027-05-03T08:00:00Z")).unwrap() else { panic!() };
    let notice = store.outbox().unwrap().into_iter().find(|m| !m.to.starts_with("standesamt@")).unwrap();
    let (subject, notice_id, _) = read(&notice.message);
    let citizen = notice.to.clone();
    let more = reply(&citizen, &format!("Re: {subject}"), &notice_id, "follow-1@example.org", "Anbei noch die Bescheinigung der Hebamme.");
    assert_eq!(engine.process(&more, at("2027-05-04T08:00:00Z")).unwrap(), Outcome::FollowUpForwarded { case });
    let last = store.outbox().unwrap().pop().unwrap();
    assert!(last.to.starts_with("standesamt@"), "{}", last.to);
    let (fwd_subject, _, body) = read(&last.message);
    assert!(fwd_subject.contains(&case.to_string()) && body.contains(&citizen), "{fwd_subject}\n{body}");
    assert_eq!(store.outbox().unwrap().iter().filter(|m| m.to == citizen).count(), 1, "no second automatic answer to the citizen");
}

#[test]
fn a_batch_prepared_on_several_threads_is_taken_in_in_arrival_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = default_app();
    let mails: Vec<Vec<u8>> = (0..24)
        .map(|i| {
            let body = if i % 5 == 3 { "Wir möchten die Geburt unserer Tochter beurkunden lassen.".to_string() } else { format!("Ich brauche einen Personalausweis, Nr. {i}.") };
            format!("From: person{i}@posteo.test\r\nTo: buergerbuero@hochheim.de\r\nSubject: Anliegen {i}\r\nMessage-ID: <batch-{i}@posteo.test>\r\nDate: Tue, 06 Apr 2027 12:00:00 +0200\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n")
                .into_bytes()
        })
        .collect();
    let raws: Vec<&[u8]> = mails.iter().map(|m| m.as_slice()).collect();
    let mut report = buergerservice::daemon::RunReport::default();
    let dispositions = buergerservice::daemon::decide_batch(&app, &store, &raws, at("2027-04-06T10:00:00Z"), &mut report).unwrap();
    assert_eq!(dispositions.len(), 24);
    assert_eq!(report.mails, 24);
    // Case numbers follow the order of arrival, whichever thread read the mail.
    for (i, case) in store.all_cases().unwrap().iter().enumerate() {
        assert_eq!(case.id.to_string(), format!("BS-2027-{:05}", i + 1));
        assert_eq!(case.sender, format!("person{i}@posteo.test"));
    }
    // The same batch again (a replay after a crash) changes nothing.
    let before = store.all_cases().unwrap();
    buergerservice::daemon::decide_batch(&app, &store, &raws, at("2027-04-06T10:05:00Z"), &mut report).unwrap();
    assert_eq!(store.all_cases().unwrap(), before);
}

#[test]
fn a_sender_gets_at_most_five_automatic_answers_a_day_and_more_again_the_next_day() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = default_app();
    let engine = app.engine(&store);
    let mail = |i: u32, date: &str| {
        format!("From: loop@posteo.test\r\nTo: buergerbuero@hochheim.de\r\nSubject: Ausweis {i}\r\nMessage-ID: <loop-{i}@posteo.test>\r\nDate: {date}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nIch brauche einen Personalausweis.\r\n").into_bytes()
    };
    for i in 0..6 {
        engine.process(&mail(i, "Tue, 06 Apr 2027 12:00:00 +0200"), at("2027-04-06T10:00:00Z")).unwrap();
    }
    let to_sender = |store: &Store| store.outbox().unwrap().iter().filter(|m| m.to == "loop@posteo.test").count();
    assert_eq!(to_sender(&store), 5, "the sixth request of the day is kept but not answered");
    assert_eq!(store.mails_from_on("LOOP@posteo.test", jiff::civil::date(2027, 4, 6)).unwrap(), 6);
    let sixth = store.case(store.cases_from("loop@posteo.test").unwrap()[5]).unwrap().unwrap();
    assert!(sixth.history.iter().any(|e| matches!(&e.what, buergerservice::store::EventKind::Flagged { reason } if reason.contains("daily limit"))));
    // The next day the count starts again; old days' counts can be dropped.
    engine.process(&mail(6, "Wed, 07 Apr 2027 12:00:00 +0200"), at("2027-04-07T10:00:00Z")).unwrap();
    assert_eq!(to_sender(&store), 6);
    assert_eq!(store.forget_mail_counts_before(jiff::civil::date(2027, 4, 7)).unwrap(), 1);
    assert_eq!(store.mails_from_on("loop@posteo.test", jiff::civil::date(2027, 4, 6)).unwrap(), 0);
    assert_eq!(store.mails_from_on("loop@posteo.test", jiff::civil::date(2027, 4, 7)).unwrap(), 1);
}

#[test]
fn capacity_is_reported_freed_by_bookings_and_expiring_holds_not_by_new_requests() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = default_app();
    let engine = app.engine(&store);
    let out = engine.process(&sample("001-"), at("2027-04-06T06:45:00Z")).unwrap();
    let Outcome::Created { case, .. } = out else { panic!("{out:?}") };
    // A new request only takes capacity: the waiting list need not be planned again.
    assert_eq!(store.released(), 0);
    let (from, to) = (jiff::civil::date(2027, 4, 6), jiff::civil::date(2028, 6, 1));
    let expiry = store.next_hold_expiry(from, to, at("2027-04-06T06:46:00Z")).unwrap();
    assert_eq!(expiry, Some(at("2027-04-09T06:45:00Z")), "held for hold_hours (72)");
    // Booking one option releases the other two holds.
    let (_, proposal_id, _) = read(&store.outbox().unwrap()[0].message);
    let two = reply("Sabine Wendel <sabine.wendel@posteo.de>", &format!("Re: [{case}] Termine"), &proposal_id, "r1@posteo.de", "2");
    assert_eq!(engine.process(&two, at("2027-04-06T10:01:00Z")).unwrap(), Outcome::Booked { case });
    assert_eq!(store.released(), 1);
    assert_eq!(store.next_hold_expiry(from, to, at("2027-04-06T10:02:00Z")).unwrap(), None, "no hold left");
}

#[test]
fn planning_against_the_kept_agenda_proposes_exactly_what_a_fresh_read_would() {
    let mails: Vec<Vec<u8>> = (0..30)
        .map(|i| {
            let wish = ["donnerstags ab 18 Uhr", "werktags ab 17 Uhr", "am Samstag vormittags", "jederzeit"][i % 4];
            format!("From: m{i}@posteo.test\r\nTo: buergerbuero@hochheim.de\r\nSubject: Ausweis\r\nMessage-ID: <memo-{i}@posteo.test>\r\nDate: Tue, 06 Apr 2027 08:00:00 +0200\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nIch brauche einen Personalausweis, {wish}.\r\n").into_bytes()
        })
        .collect();
    let app = default_app();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (kept, fresh) = (Store::open(a.path()).unwrap(), Store::open(b.path()).unwrap());
    let one_engine = app.engine(&kept);
    for m in &mails {
        one_engine.process(m, at("2027-04-06T06:00:00Z")).unwrap();
        app.engine(&fresh).process(m, at("2027-04-06T06:00:00Z")).unwrap();
    }
    let slots = |s: &Store| s.all_cases().unwrap().iter().map(|c| (c.status, c.proposed_slots().to_vec())).collect::<Vec<_>>();
    let (k, f) = (slots(&kept), slots(&fresh));
    assert_eq!(k, f);
    assert!(k.iter().all(|(_, p)| p.len() == 3), "every household got three options");
    // No two households were offered the same slot.
    let mut all: Vec<_> = k.iter().flat_map(|(_, p)| p.iter().map(|s| (s.staff.clone(), s.start))).collect();
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n);
}

#[test]
fn a_batch_written_in_one_transaction_ends_as_mail_by_mail_would() {
    let app = default_app();
    let request = |i: usize, from: &str| {
        let wish = ["donnerstags ab 18 Uhr", "werktags ab 17 Uhr", "jederzeit"][i % 3];
        let concern = if i % 4 == 1 { "Wir möchten die Geburt unserer Tochter beurkunden lassen und brauchen einen Reisepass" } else { "Ich brauche einen Personalausweis" };
        format!("From: {from}\r\nTo: buergerbuero@hochheim.de\r\nSubject: Anliegen {i}\r\nMessage-ID: <tx-{i}@posteo.test>\r\nDate: Tue, 06 Apr 2027 08:00:00 +0200\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{concern}, {wish}.\r\n").into_bytes()
    };
    // A first mail, decided alone, whose household answers "2" in the batch.
    let first = request(100, "first@posteo.test");
    let mut batch: Vec<Vec<u8>> = (0..12).map(|i| request(i, &format!("h{i}@posteo.test"))).collect();
    // Seven from one sender (five answers a day), one mail twice, an auto-reply.
    batch.extend((20..27).map(|i| request(i, "loop@posteo.test")));
    batch.insert(5, batch[3].clone());
    // A request without any sender address is quarantined, taking the next number.
    batch.insert(4, b"To: buergerbuero@hochheim.de\r\nSubject: Ausweis\r\nMessage-ID: <nobody@posteo.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nIch brauche einen Personalausweis.\r\n".to_vec());
    batch.insert(9, b"From: h1@posteo.test\r\nTo: buergerbuero@hochheim.de\r\nSubject: Abwesenheitsnotiz\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <ooo@posteo.test>\r\n\r\nIch bin nicht im Haus.\r\n".to_vec());
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (batched, single) = (Store::open(a.path()).unwrap(), Store::open(b.path()).unwrap());
    let now = at("2027-04-06T06:00:00Z");
    for store in [&batched, &single] {
        let out = app.engine(store).process(&first, now).unwrap();
        let Outcome::Created { case, .. } = out else { panic!("{out:?}") };
        let (_, proposal_id, _) = read(&store.outbox().unwrap()[0].message);
        let answer = reply("first@posteo.test", &format!("Re: [{case}] Termine"), &proposal_id, "answer@posteo.test", "2");
        let mut mails = batch.clone();
        mails.insert(7, answer);
        if std::ptr::eq(store, &batched) {
            let raws: Vec<&[u8]> = mails.iter().map(|m| m.as_slice()).collect();
            let mut report = buergerservice::daemon::RunReport::default();
            buergerservice::daemon::decide_batch(&app, store, &raws, now, &mut report).unwrap();
            assert_eq!(report.mails, raws.len());
            assert_eq!(report.created, 12 + 7, "the copy and the auto-reply make no case");
            assert_eq!(report.quarantined, 1);
        } else {
            let engine = app.engine(store);
            for m in &mails {
                engine.process(m, now).unwrap();
            }
        }
    }
    let cases = |s: &Store| {
        s.all_cases()
            .unwrap()
            .into_iter()
            .map(|c| (c.proposed_slots().to_vec(), c.id, c.sender, c.status, c.booking, c.history.into_iter().map(|e| format!("{:?}", e.what)).collect::<Vec<_>>()))
            .collect::<Vec<_>>()
    };
    assert_eq!(cases(&batched), cases(&single));
    let outbox = |s: &Store| s.outbox().unwrap().into_iter().map(|m| (m.case, m.to, read(&m.message).0)).collect::<Vec<_>>();
    assert_eq!(outbox(&batched), outbox(&single));
    let mut answered: Vec<_> = outbox(&batched).into_iter().filter(|(_, to, _)| to == "loop@posteo.test").map(|(case, _, _)| case).collect();
    answered.dedup();
    assert_eq!(answered.len(), 5, "five of the sender's seven cases answered");
    assert_eq!(batched.agenda_between(jiff::civil::date(2027, 4, 6), jiff::civil::date(2027, 7, 1), now).unwrap(), single.agenda_between(jiff::civil::date(2027, 4, 6), jiff::civil::date(2027, 7, 1), now).unwrap());
}
