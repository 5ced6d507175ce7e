//! The outbox against an SMTP server that is not there: the round stops at the first
//! connection failure instead of trying (and logging) every queued reply, nothing is lost,
//! and the next try waits for the server's backoff.

use buergerservice::config::{Config, OutboxConfig, SmtpConfig, Tls};
use buergerservice::daemon::App;
use buergerservice::outbox::Deliverer;
use buergerservice::store::Store;
use std::time::Duration;

#[test]
fn an_unreachable_server_ends_the_round_and_keeps_every_reply_queued() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let app = App::load(Config::default(), true).unwrap();
    let engine = app.engine(&store);
    for i in 0..40 {
        let mail = format!("From: p{i}@posteo.test\r\nTo: buergerbuero@hochheim.de\r\nSubject: Ausweis\r\nMessage-ID: <ob-{i}@posteo.test>\r\nDate: Tue, 06 Apr 2027 12:00:00 +0200\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nIch brauche einen Personalausweis.\r\n");
        engine.process(mail.as_bytes(), "2027-04-06T10:00:00Z".parse().unwrap()).unwrap();
    }
    let queued = store.outbox().unwrap().len();
    assert_eq!(queued, 40);
    // Port 1 on loopback: connection refused at once.
    let cfg = OutboxConfig::Smtp(SmtpConfig { host: "127.0.0.1".into(), port: 1, tls: Tls::Plain, user: None, password_file: None, password_env: None });
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    // lettre's connection pool lives on the runtime.
    let _in_runtime = rt.enter();
    let mut deliverer = Deliverer::new(&cfg, "buergerbuero@hochheim.de", Duration::from_secs(30), Duration::from_secs(900)).unwrap();
    let first = rt.block_on(deliverer.deliver(&store)).unwrap();
    assert_eq!((first.sent, first.failed), (0, 0));
    assert!(first.deferred >= 1 && first.deferred < queued, "stopped early: {first:?}");
    // What the round did not try is reported as waiting for the server.
    assert_eq!(first.deferred + first.waiting, queued, "{first:?}");
    // Within the backoff nothing is tried; everything waits, nothing is lost.
    let second = rt.block_on(deliverer.deliver(&store)).unwrap();
    assert_eq!((second.deferred, second.waiting), (0, queued));
    assert_eq!(store.outbox().unwrap().len(), queued);
    assert!(deliverer.next_retry().is_some_and(|t| t > std::time::Instant::now() + Duration::from_secs(20)));
    drop(deliverer);
}
