//! The case store on a real sled database in a temporary directory.

use buergerservice::case_id::CaseId;
use buergerservice::store::{Applied, Change, Draft, EventKind, Incoming, NewCase, Slot, Status, Store, StoreError};
use jiff::Timestamp;
use std::sync::{Arc, Barrier};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A mail with its own bytes (so its hash differs from every other test mail).
fn mail(mid: &str, at: &str) -> Incoming<'static> {
    // Leaked: a test's handful of small mails lives as long as the test anyway.
    let mid: &'static str = Box::leak(mid.to_string().into_boxed_str());
    let raw: &'static [u8] = Box::leak(format!("Message-ID: <{mid}>\r\n\r\nbody").into_bytes().into_boxed_slice());
    Incoming { raw, at: ts(at), message_id: Some(mid), hint: Some(mid) }
}

fn new_case() -> NewCase {
    NewCase { sender: "Sabine.Wendel@posteo.de".into(), triage: serde_json::json!({"concerns": ["personalausweis"]}) }
}

/// A decision as the engine makes it: proposals held, a reply naming the case.
fn propose(id: CaseId) -> Result<Change, String> {
    Ok(Change {
        status: Some(Status::Proposed),
        events: vec![EventKind::Classified { department: "buergerbuero".into(), concerns: vec!["personalausweis".into()] }],
        replies: vec![Draft { to: "sabine.wendel@posteo.de".into(), message: format!("Subject: [{id}]\r\n\r\n1) ...").into_bytes() }],
        hold: Some((vec![slot("2027-04-08T16:00:00Z", "2027-04-08T16:40:00Z", "Anna")], ts("2027-04-09T08:00:00Z"))),
        ..Default::default()
    })
}

fn create(store: &Store, mid: &str, at: &str) -> (CaseId, bool) {
    store.create_case(mail(mid, at), &new_case(), |_| Ok(Change::default())).unwrap()
}

/// sled's flusher thread lets go of the directory lock a moment after the `Db` is dropped.
fn reopen(path: &std::path::Path) -> Store {
    for _ in 0..100 {
        match Store::open(path) {
            Ok(s) => return s,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
    Store::open(path).unwrap()
}

fn slot(start: &str, end: &str, staff: &str) -> Slot {
    Slot { start: ts(start), end: ts(end), staff: staff.into(), district: None, street: None }
}

fn book(s: Slot) -> Change {
    Change { book: Some(s), ..Default::default() }
}

#[test]
fn ids_are_gap_free_per_year_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.create_case(mail("a@x", "2027-04-06T08:00:00Z"), &new_case(), propose).unwrap(), (CaseId::new(2027, 1), true));
        // A decision that fails writes nothing and uses no number.
        let err = store.create_case(mail("bad@x", "2027-04-06T08:30:00Z"), &new_case(), |_| Err("template broken".into()));
        assert!(matches!(err, Err(StoreError::Compose(_))));
        assert_eq!(create(&store, "b@x", "2027-04-06T09:00:00Z"), (CaseId::new(2027, 2), true));
        store.flush().unwrap();
    }
    let store = reopen(dir.path());
    assert_eq!(create(&store, "c@x", "2027-12-31T23:30:00Z"), (CaseId::new(2028, 1), true), "New Year in Berlin");
    assert_eq!(create(&store, "d@x", "2027-05-01T09:00:00Z"), (CaseId::new(2027, 3), true));
    let case = store.case(CaseId::new(2027, 1)).unwrap().unwrap();
    assert_eq!(case.sender, "sabine.wendel@posteo.de");
    assert_eq!(case.status, Status::Proposed);
    assert!(matches!(case.history[0].what, EventKind::Received { .. }));
    assert!(matches!(case.history.last().unwrap().what, EventKind::ReplyQueued { .. }));
    let a = mail("a@x", "2027-04-06T08:00:00Z");
    assert_eq!(store.mail(&a.raw_key()).unwrap().unwrap(), a.raw);
    assert_eq!(store.seen(&mail("bad@x", "2027-04-06T08:30:00Z")).unwrap(), None);
}

#[test]
fn the_same_message_id_never_makes_a_second_case_or_reply() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let first = store.create_case(mail("<same@x>", "2027-04-06T08:00:00Z"), &new_case(), propose).unwrap();
    let again = store.create_case(mail("<same@x>", "2027-04-06T08:00:00Z"), &new_case(), propose).unwrap();
    assert_eq!(first, (CaseId::new(2027, 1), true));
    assert_eq!(again, (CaseId::new(2027, 1), false));
    assert_eq!(store.outbox().unwrap().len(), 1);
    // A reply mail is applied once, however often it is replayed.
    let r = mail("<reply@x>", "2027-04-06T10:00:00Z");
    let s = slot("2027-04-08T16:00:00Z", "2027-04-08T16:40:00Z", "Anna");
    assert_eq!(store.update(first.0, Some(r), r.at, &book(s.clone())).unwrap(), Some(Applied::Done));
    assert_eq!(store.update(first.0, Some(r), r.at, &book(s)).unwrap(), None);
    assert_eq!(store.seen(&r).unwrap(), Some(Some(first.0)));
    // The same mail with other trace headers (another route) is recognised by its hint.
    let rerouted = Incoming { raw: b"Received: by relay2\r\nMessage-ID: <reply@x>\r\n\r\nbody", ..r };
    assert_eq!(store.seen(&rerouted).unwrap(), Some(Some(first.0)));
    // A mail without Message-ID is recognised by its bytes alone.
    let bare = Incoming { raw: b"Subject: no id\r\n\r\nx", at: r.at, message_id: None, hint: None };
    assert!(store.note_mail(bare, None, None).unwrap());
    assert!(!store.note_mail(bare, None, None).unwrap());
    assert_eq!(store.seen(&bare).unwrap(), Some(None));
}

#[test]
fn concurrent_bookings_of_one_slot_exactly_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let ids: Vec<CaseId> = (0..8).map(|i| create(&store, &format!("m{i}@x"), "2027-04-06T08:00:00Z").0).collect();
    let barrier = Arc::new(Barrier::new(ids.len()));
    let handles: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, &id)| {
            let (store, barrier) = (store.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                // Overlapping but not identical slots of the same staff member conflict too.
                let start = format!("2027-04-08T16:{:02}:00Z", i * 2);
                let end = format!("2027-04-08T16:{:02}:00Z", 40 + i * 2);
                store.update(id, None, ts("2027-04-06T09:00:00Z"), &book(slot(&start, &end, "Anna"))).unwrap().unwrap()
            })
        })
        .collect();
    let results: Vec<Applied> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| **r == Applied::Done).count(), 1, "{results:?}");
    assert_eq!(store.bookings_on(jiff::civil::date(2027, 4, 8)).unwrap().len(), 1);
    assert_eq!(store.cases_with_status(Status::Booked).unwrap().len(), 1);
    // Another staff member at the same time is free.
    let loser = ids.iter().find(|id| store.case(**id).unwrap().unwrap().status != Status::Booked).unwrap();
    let r = store.update(*loser, None, ts("2027-04-06T09:00:00Z"), &book(slot("2027-04-08T16:00:00Z", "2027-04-08T16:40:00Z", "Mehmet"))).unwrap();
    assert_eq!(r, Some(Applied::Done));
}

#[test]
fn a_held_slot_is_not_offered_twice_until_the_hold_expires() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let (a, _) = store.create_case(mail("a@x", "2027-04-06T08:00:00Z"), &new_case(), propose).unwrap();
    let (b, _) = create(&store, "b@x", "2027-04-06T08:00:00Z");
    let held = slot("2027-04-08T16:00:00Z", "2027-04-08T16:40:00Z", "Anna");
    let day = jiff::civil::date(2027, 4, 8);
    assert_eq!(store.agenda_between(day, day, ts("2027-04-06T09:00:00Z")).unwrap().len(), 1);
    assert_eq!(store.update(b, None, ts("2027-04-06T09:00:00Z"), &book(held.clone())).unwrap(), Some(Applied::Taken { by: a }));
    // After the hold expired (2027-04-09T08:00Z) the slot is free for others.
    assert!(store.agenda_between(day, day, ts("2027-04-09T09:00:00Z")).unwrap().is_empty());
    // The holder itself books its held slot; its hold turns into the booking.
    assert_eq!(store.update(a, None, ts("2027-04-06T10:00:00Z"), &book(held)).unwrap(), Some(Applied::Done));
    let entries = store.agenda_between(day, day, ts("2027-04-06T10:00:00Z")).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].hold_until, None);
}

#[test]
fn moving_and_cancelling_free_the_old_slot() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let (a, _) = create(&store, "a@x", "2027-04-06T08:00:00Z");
    let (b, _) = create(&store, "b@x", "2027-04-06T08:00:00Z");
    let s1 = slot("2027-04-08T16:00:00Z", "2027-04-08T16:40:00Z", "Anna");
    let s2 = slot("2027-04-09T16:00:00Z", "2027-04-09T16:40:00Z", "Anna");
    let at = ts("2027-04-06T09:00:00Z");
    assert_eq!(store.update(a, None, at, &book(s1.clone())).unwrap(), Some(Applied::Done));
    assert_eq!(store.update(b, None, at, &book(s1.clone())).unwrap(), Some(Applied::Taken { by: a }));
    assert_eq!(store.update(a, None, at, &book(s2)).unwrap(), Some(Applied::Done));
    assert_eq!(store.update(b, None, at, &book(s1)).unwrap(), Some(Applied::Done));
    let cancel = Change { cancel: true, replies: vec![Draft { to: "a@x".into(), message: b"cancel".to_vec() }], ..Default::default() };
    store.update(a, None, at, &cancel).unwrap();
    assert!(store.bookings_on(jiff::civil::date(2027, 4, 9)).unwrap().is_empty());
    let case = store.case(a).unwrap().unwrap();
    assert_eq!(case.status, Status::Cancelled);
    assert!(case.history.iter().any(|e| matches!(e.what, EventKind::Moved { .. })));
    assert_eq!(store.cases_with_status(Status::Cancelled).unwrap(), vec![a]);
    assert_eq!(store.cases_with_status(Status::Booked).unwrap(), vec![b]);
    assert_eq!(store.outbox().unwrap().len(), 1);
}

#[test]
fn outbox_entries_are_removed_once_sent_and_replay_is_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let (id, _) = store.create_case(mail("a@x", "2027-04-06T08:00:00Z"), &new_case(), propose).unwrap();
    let out = store.outbox().unwrap();
    assert_eq!(out.len(), 1);
    store.mark_sent(out[0].id, ts("2027-04-06T08:01:00Z")).unwrap();
    store.mark_sent(out[0].id, ts("2027-04-06T08:02:00Z")).unwrap();
    assert!(store.outbox().unwrap().is_empty());
    let sent = store.case(id).unwrap().unwrap().history.iter().filter(|e| matches!(e.what, EventKind::ReplySent { .. })).count();
    assert_eq!(sent, 1);
}

#[test]
fn a_store_of_another_schema_version_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = sled::open(dir.path()).unwrap();
        db.open_tree("meta").unwrap().insert("schema_version", "99").unwrap();
        db.flush().unwrap();
    }
    let mut err = Store::open(dir.path()).err().expect("refused");
    for _ in 0..100 {
        if matches!(err, StoreError::SchemaVersion { .. }) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        err = Store::open(dir.path()).err().expect("refused");
    }
    assert!(err.to_string().contains("schema version 99"), "{err}");
}

#[test]
fn a_day_written_again_no_longer_carries_holds_that_ran_out() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let (_, _) = store.create_case(mail("a@x", "2027-04-06T08:00:00Z"), &new_case(), propose).unwrap();
    let day = jiff::civil::date(2027, 4, 8);
    // Everything stored for the day, expired or not.
    let stored = |store: &Store| store.agenda_between(day, day, Timestamp::MIN).unwrap();
    assert_eq!(stored(&store).len(), 1);
    // After a's hold ran out (2027-04-09T08:00Z), b books the same slot: the day is
    // written again, with b's booking only.
    let (b, _) = create(&store, "b@x", "2027-04-09T09:00:00Z");
    assert_eq!(store.update(b, None, ts("2027-04-09T09:00:00Z"), &book(slot("2027-04-08T16:00:00Z", "2027-04-08T16:40:00Z", "Anna"))).unwrap(), Some(Applied::Done));
    let entries = stored(&store);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!((entries[0].case, entries[0].hold_until), (b, None));
}

#[test]
fn a_batch_of_new_cases_is_written_in_order_and_a_repeated_mail_makes_no_second_case() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let (one, two) = (mail("one@x", "2027-04-06T08:00:00Z"), mail("two@x", "2027-04-06T08:00:00Z"));
    let new = new_case();
    let batch = [(one, &new), (two, &new), (one, &new)];
    let created = store.create_cases(&batch, |_, id| propose(id)).unwrap();
    let ids: Vec<_> = created.iter().map(|c| (c.id.to_string(), c.status)).collect();
    assert_eq!(ids, [("BS-2027-00001".to_string(), Some(Status::Proposed)), ("BS-2027-00002".to_string(), Some(Status::Proposed)), ("BS-2027-00001".to_string(), None)]);
    assert_eq!(store.outbox().unwrap().len(), 2);
    // All or nothing: a composition that fails writes none of its batch.
    let (three, four) = (mail("three@x", "2027-04-06T08:00:00Z"), mail("four@x", "2027-04-06T08:00:00Z"));
    let failing = store.create_cases(&[(three, &new), (four, &new)], |i, id| if i == 1 { Err("template broken".into()) } else { propose(id) });
    assert!(failing.is_err());
    assert_eq!(store.all_cases().unwrap().len(), 2);
    assert_eq!(store.outbox().unwrap().len(), 2);
    assert_eq!(create(&store, "three@x", "2027-04-06T08:00:00Z").0.to_string(), "BS-2027-00003", "no number was used up");
}
