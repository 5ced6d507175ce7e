//! The store step of a backlog drain (`cargo bench --bench store`): new cases written
//! with a sled transaction each (`Store::create_case`) against one transaction per batch
//! of 100 (`Store::create_cases`, what the daemon does), same mails and same writes: the
//! raw mail, a case with a triage record, a 2.3 KB reply queued, three slots held, and a
//! flush per 100 as the daemon does before moving a batch out of the INBOX.
use buergerservice::store::{Change, Draft, Incoming, NewCase, Slot, Store};
use std::time::{Duration, Instant};

fn main() {
    let n: usize = std::env::var("N").ok().and_then(|v| v.parse().ok()).unwrap_or(5000);
    let at: jiff::Timestamp = "2027-04-06T08:00:00Z".parse().expect("timestamp");
    let mails: Vec<Vec<u8>> = (0..n)
        .map(|k| format!("From: c{k}@posteo.test\r\nMessage-ID: <m{k}@posteo.test>\r\nSubject: Personalausweis\r\n\r\n{}\r\n", "Ich brauche einen neuen Personalausweis. ".repeat(30)).into_bytes())
        .collect();
    let triage = serde_json::json!({ "kind": "request", "department": "buergerbuero", "concerns": ["personalausweis"], "reasons": vec!["personalausweis: \"Personalausweis\" (+3.0)"; 4], "persons": 2, "language": "de" });
    let new: Vec<NewCase> = (0..n).map(|k| NewCase { sender: format!("c{k}@posteo.test"), triage: triage.clone() }).collect();
    let reply = vec![b'x'; 2300];
    let change = |k: usize| {
        // As the planner fills the calendar: 5 staff, 12 visits a day each.
        let slot = |d: i64| {
            let g = 3 * k as i64 + d;
            let start = at.checked_add(jiff::SignedDuration::from_mins(24 * 60 * (1 + g / 60) + 40 * ((g / 5) % 12))).expect("in range");
            Slot { start, end: start.checked_add(jiff::SignedDuration::from_mins(20)).expect("in range"), staff: format!("S{}", g % 5), district: None, street: None }
        };
        Change { hold: Some(((0..3).map(slot).collect(), at.checked_add(jiff::SignedDuration::from_hours(72)).expect("in range"))), replies: vec![Draft { to: format!("c{k}@posteo.test"), message: reply.clone() }], ..Default::default() }
    };
    let incoming = |k: usize| Incoming { raw: &mails[k], at, message_id: None, hint: None };
    let run = |batched: bool| -> Duration {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("store");
        let t = Instant::now();
        for chunk in (0..n).collect::<Vec<_>>().chunks(100) {
            if batched {
                let batch: Vec<_> = chunk.iter().map(|&k| (incoming(k), &new[k])).collect();
                store.create_cases(&batch, |i, _| Ok(change(chunk[i]))).expect("written");
            } else {
                for &k in chunk {
                    store.create_case(incoming(k), &new[k], |_| Ok(change(k))).expect("written");
                }
            }
            store.flush().expect("flushed");
        }
        t.elapsed()
    };
    for _ in 0..2 {
        let each = run(false);
        let batched = run(true);
        println!(
            "store step, {n} new cases: a transaction per mail {:.0} µs/mail, one per 100 mails {:.0} µs/mail",
            each.as_secs_f64() * 1e6 / n as f64,
            batched.as_secs_f64() * 1e6 / n as f64
        );
    }
}
