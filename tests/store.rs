//! The case store on a real sled database in a temporary directory.

use buergerservice::case_id::CaseId;
use buergerservice::store::{Booking, Draft, EventKind, NewCase, Slot, Status, Store, StoreError};
use jiff::Timestamp;
use std::sync::{Arc, Barrier};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn request(mid: &str, at: &str) -> NewCase {
    NewCase {
        message_id: mid.into(),
        sender: "Sabine.Wendel@posteo.de".into(),
        received: ts(at),
        status: Status::Proposed,
        triage: serde_json::json!({"concerns": ["personalausweis"]}),
        events: vec![EventKind::Classified { department: "buergerbuero".into(), concerns: vec!["personalausweis".into()] }],
        replies: vec![Draft { to: "sabine.wendel@posteo.de".into(), message: b"Subject: [BS] Vorschlaege\r\n\r\n1) ...".to_vec() }],
    }
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
    Slot { start: ts(start), end: ts(end), staff: staff.into() }
}

#[test]
fn ids_are_gap_free_per_year_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.create_case(&request("a@x", "2027-04-06T08:00:00Z")).unwrap(), (CaseId::new(2027, 1), true));
        assert_eq!(store.create_case(&request("b@x", "2027-04-06T09:00:00Z")).unwrap(), (CaseId::new(2027, 2), true));
        store.flush().unwrap();
    }
    let store = reopen(dir.path());
    assert_eq!(store.create_case(&request("c@x", "2027-12-31T23:30:00Z")).unwrap(), (CaseId::new(2028, 1), true), "New Year in Berlin");
    assert_eq!(store.create_case(&request("d@x", "2027-05-01T09:00:00Z")).unwrap(), (CaseId::new(2027, 3), true));
    let case = store.case(CaseId::new(2027, 1)).unwrap().unwrap();
    assert_eq!(case.sender, "sabine.wendel@posteo.de");
    assert!(matches!(case.history[0].what, EventKind::Received { .. }));
    assert!(matches!(case.history.last().unwrap().what, EventKind::ReplyQueued { .. }));
}

#[test]
fn the_same_message_id_never_makes_a_second_case_or_reply() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let first = store.create_case(&request("<same@x>", "2027-04-06T08:00:00Z")).unwrap();
    let again = store.create_case(&request("<same@x>", "2027-04-06T08:00:00Z")).unwrap();
    assert_eq!(first, (CaseId::new(2027, 1), true));
    assert_eq!(again, (CaseId::new(2027, 1), false));
    assert_eq!(store.outbox().unwrap().len(), 1);
    assert_eq!(store.case_by_message_id("<same@x>").unwrap(), Some(CaseId::new(2027, 1)));
}

#[test]
fn concurrent_bookings_of_one_slot_exactly_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let ids: Vec<CaseId> = (0..8).map(|i| store.create_case(&request(&format!("m{i}@x"), "2027-04-06T08:00:00Z")).unwrap().0).collect();
    let barrier = Arc::new(Barrier::new(ids.len()));
    let handles: Vec<_> = ids
        .iter()
        .map(|&id| {
            let (store, barrier) = (store.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                // Overlapping but not identical slots of the same staff member conflict too.
                store.book(id, &slot("2027-04-08T16:00:00Z", "2027-04-08T16:40:00Z", "Anna"), ts("2027-04-06T09:00:00Z"), &[]).unwrap()
            })
        })
        .collect();
    let results: Vec<Booking> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| **r == Booking::Booked).count(), 1, "{results:?}");
    assert_eq!(store.bookings_on(jiff::civil::date(2027, 4, 8)).unwrap().len(), 1);
    assert_eq!(store.cases_with_status(Status::Booked).unwrap().len(), 1);
    // Another staff member at the same time is free.
    let loser = ids.iter().find(|id| store.case(**id).unwrap().unwrap().status != Status::Booked).unwrap();
    let r = store.book(*loser, &slot("2027-04-08T16:00:00Z", "2027-04-08T16:40:00Z", "Mehmet"), ts("2027-04-06T09:00:00Z"), &[]).unwrap();
    assert_eq!(r, Booking::Booked);
}

#[test]
fn moving_and_cancelling_free_the_old_slot() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let (a, _) = store.create_case(&request("a@x", "2027-04-06T08:00:00Z")).unwrap();
    let (b, _) = store.create_case(&request("b@x", "2027-04-06T08:00:00Z")).unwrap();
    let s1 = slot("2027-04-08T16:00:00Z", "2027-04-08T16:40:00Z", "Anna");
    let s2 = slot("2027-04-09T16:00:00Z", "2027-04-09T16:40:00Z", "Anna");
    assert_eq!(store.book(a, &s1, ts("2027-04-06T09:00:00Z"), &[]).unwrap(), Booking::Booked);
    assert_eq!(store.book(b, &s1, ts("2027-04-06T09:00:00Z"), &[]).unwrap(), Booking::Taken { by: a });
    assert_eq!(store.book(a, &s2, ts("2027-04-06T10:00:00Z"), &[]).unwrap(), Booking::Booked);
    assert_eq!(store.book(b, &s1, ts("2027-04-06T10:00:00Z"), &[]).unwrap(), Booking::Booked);
    let d = Draft { to: "a@x".into(), message: b"cancel".to_vec() };
    store.cancel(a, ts("2027-04-06T11:00:00Z"), &[d]).unwrap();
    assert!(store.bookings_on(jiff::civil::date(2027, 4, 9)).unwrap().is_empty());
    let case = store.case(a).unwrap().unwrap();
    assert_eq!(case.status, Status::Cancelled);
    assert!(case.history.iter().any(|e| matches!(e.what, EventKind::Moved { .. })));
    assert_eq!(store.cases_with_status(Status::Cancelled).unwrap(), vec![a]);
    assert_eq!(store.cases_with_status(Status::Booked).unwrap(), vec![b]);
}

#[test]
fn outbox_entries_are_removed_once_sent_and_replay_is_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let (id, _) = store.create_case(&request("a@x", "2027-04-06T08:00:00Z")).unwrap();
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
    assert!(matches!(err, StoreError::SchemaVersion { .. }));
    assert!(err.to_string().contains("schema version 99"), "{err}");
}
