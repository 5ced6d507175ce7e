//! What the daemon records into its telemetry, on a real store without servers: each
//! decided mail by kind and Fachamt (also when read on several threads), new cases by
//! status, unreadable mail, and the outbox's depth and oldest queue time.

use buergerservice::config::Config;
use buergerservice::daemon::{decide_batch, App, RunReport};
use buergerservice::store::Store;

mod common;
use common::*;

fn request(i: usize, body: &str) -> Vec<u8> {
    format!("From: person{i}@posteo.test\r\nTo: buergerbuero@hochheim.de\r\nSubject: Anliegen {i}\r\nMessage-ID: <tm-{i}@posteo.test>\r\nDate: Tue, 06 Apr 2027 12:00:00 +0200\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").into_bytes()
}

fn value(text: &str, series: &str) -> f64 {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok()).unwrap_or(0.0)
}

#[test]
fn a_batch_is_counted_by_kind_department_and_case_status() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut cfg = Config::default();
    cfg.daemon.max_mail_bytes = 4000;
    let app = App::load(cfg, true).unwrap();
    // Eight mails so the batch is read on several threads where there are cores.
    let mut mails: Vec<Vec<u8>> = (0..6).map(|i| request(i, "Ich brauche einen neuen Personalausweis.")).collect();
    mails.push(request(6, "Wir möchten die Geburt unserer Tochter beurkunden lassen."));
    // Too large to be read: quarantined unparsed.
    mails.push(request(7, &"Sehr geehrte Damen und Herren, ".repeat(200)));
    let raws: Vec<&[u8]> = mails.iter().map(|m| m.as_slice()).collect();
    decide_batch(&app, &store, &raws, at("2027-04-06T10:00:00Z"), &mut RunReport::default()).unwrap();

    let text = app.telemetry.render_metrics(at("2027-04-06T10:00:00Z"));
    assert_eq!(value(&text, r#"buergerservice_mails_total{kind="request",department="buergerbuero"}"#), 6.0, "{text}");
    assert_eq!(value(&text, r#"buergerservice_mails_total{kind="request",department="standesamt"}"#), 1.0, "{text}");
    let all: f64 = text.lines().filter(|l| l.starts_with("buergerservice_mails_total{")).filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok()).sum();
    assert_eq!(value(&text, r#"buergerservice_mails_total{kind="unreadable",department="none"}"#), 1.0, "{text}");
    assert_eq!(all, 8.0, "every mail counted once:\n{text}");
    assert_eq!(value(&text, r#"buergerservice_cases_created_total{status="unclassified"}"#), 1.0, "the quarantined mail: {text}");
    assert_eq!(value(&text, r#"buergerservice_cases_created_total{status="proposed"}"#), 6.0, "{text}");
    assert_eq!(value(&text, r#"buergerservice_cases_created_total{status="forwarded"}"#), 1.0, "{text}");
    assert_eq!(value(&text, "buergerservice_mail_processing_seconds_count"), 8.0, "{text}");
    assert!(value(&text, "buergerservice_mail_processing_seconds_sum") > 0.0, "{text}");
}

#[test]
fn outbox_stats_give_depth_and_the_oldest_queue_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = App::load(Config::default(), true).unwrap();
    assert_eq!(store.outbox_stats().unwrap(), (0, None));
    let first = request(1, "Ich brauche einen neuen Personalausweis.");
    let second = request(2, "Ich brauche einen neuen Reisepass.");
    decide_batch(&app, &store, &[&first], at("2027-04-06T10:00:00Z"), &mut RunReport::default()).unwrap();
    decide_batch(&app, &store, &[&second], at("2027-04-06T10:30:00Z"), &mut RunReport::default()).unwrap();
    assert_eq!(store.outbox_stats().unwrap(), (2, Some(at("2027-04-06T10:00:00Z"))));
    let oldest = store.outbox().unwrap()[0].id;
    store.mark_sent(oldest, at("2027-04-06T10:31:00Z")).unwrap();
    assert_eq!(store.outbox_stats().unwrap(), (1, Some(at("2027-04-06T10:30:00Z"))));
}

/// The depth is counted once and then kept by every write that queues or removes a mail
/// (a count reads every queued message into sled's cache): it must stay exact through new
/// cases, replies on a case, sent and refused mails, a replayed send and an erasure.
#[test]
fn the_outbox_depth_stays_exact_without_counting_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = App::load(Config::default(), true).unwrap();
    let exact = |store: &Store, what: &str| {
        let queued = store.outbox().unwrap().len() as u64;
        assert_eq!(store.outbox_stats().unwrap().0, queued, "after {what}");
    };
    let now = at("2027-04-06T10:00:00Z");
    let first: Vec<Vec<u8>> = (0..3).map(|i| request(i, "Ich brauche einen neuen Personalausweis.")).collect();
    let raws: Vec<&[u8]> = first.iter().map(|m| m.as_slice()).collect();
    decide_batch(&app, &store, &raws, now, &mut RunReport::default()).unwrap();
    exact(&store, "the first count");
    let more: Vec<Vec<u8>> = (3..6).map(|i| request(i, "Wir möchten die Geburt unserer Tochter beurkunden lassen.")).collect();
    let raws: Vec<&[u8]> = more.iter().map(|m| m.as_slice()).collect();
    decide_batch(&app, &store, &raws, now, &mut RunReport::default()).unwrap();
    exact(&store, "new cases");
    // A reply on a case (an update of the case) that books an offered slot.
    let queued = store.outbox().unwrap();
    let proposal = queued.iter().find(|m| m.to == "person0@posteo.test").unwrap();
    let text = String::from_utf8_lossy(&proposal.message).into_owned();
    let message_id = text.lines().find_map(|l| l.strip_prefix("Message-ID: <")).unwrap().trim_end_matches('>').to_string();
    let choice = format!("From: person0@posteo.test\r\nTo: buergerbuero@hochheim.de\r\nSubject: Re: [{}] Termine\r\nIn-Reply-To: <{message_id}>\r\nMessage-ID: <tm-choice@posteo.test>\r\nDate: Tue, 06 Apr 2027 12:30:00 +0200\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n2\r\n", proposal.case);
    let before = queued.len();
    decide_batch(&app, &store, &[choice.as_bytes()], at("2027-04-06T10:30:00Z"), &mut RunReport::default()).unwrap();
    assert!(store.outbox().unwrap().len() > before, "the booking is confirmed by mail");
    exact(&store, "a reply on a case");
    let ids: Vec<u64> = store.outbox().unwrap().iter().map(|m| m.id).collect();
    store.mark_sent(ids[0], now).unwrap();
    store.mark_sent(ids[0], now).unwrap();
    exact(&store, "a send and its replay");
    store.mark_failed(ids[1], now, "550 no such user").unwrap();
    exact(&store, "a refused mail");
    let erasure = store.erase_subject("person4@posteo.test", now).unwrap();
    assert!(erasure.removed.get("outbox").is_some_and(|n| *n > 0), "{erasure:?}");
    exact(&store, "an erasure");
    drop(store);
    exact(&Store::open(dir.path()).unwrap(), "reopening");
}
