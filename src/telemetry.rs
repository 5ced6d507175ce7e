//! What the running daemon reports about itself: counters, gauges and a latency histogram
//! (served as Prometheus/OpenMetrics text on `/metrics`) and the state behind the health
//! verdict (`/healthz`). The daemon, the IMAP intake and the outbox record into one shared
//! [`Telemetry`]; the HTTP listener only reads it and never opens the store.
//!
//! Labels carry kinds, departments and statuses only: nothing here names a citizen.

use jiff::Timestamp;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use serde::Serialize;
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// `Content-Type` of [`Telemetry::render_metrics`].
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Label value for a mail without a department (unreadable, or none recognised).
pub const NO_DEPARTMENT: &str = "none";

/// Kind label of a mail that could not be read (or was too large to read).
pub const UNREADABLE: &str = "unreadable";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MailLabels {
    kind: String,
    department: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

/// Where mail comes from: a Maildir is always "connected".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MailboxKind {
    Maildir,
    Imap,
}

/// When `/healthz` turns unhealthy (503). From `[http]` in config.toml.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthThresholds {
    /// The mailbox may be unreachable this long (a server restart, a short outage).
    pub max_mailbox_down: Duration,
    /// No successful look into the mailbox for this long is a hang.
    pub max_fetch_age: Duration,
    /// A reply may wait in the outbox this long (retries included).
    pub max_outbox_age: Duration,
}

impl Default for HealthThresholds {
    fn default() -> Self {
        HealthThresholds {
            max_mailbox_down: Duration::from_secs(300),
            max_fetch_age: Duration::from_secs(900),
            max_outbox_age: Duration::from_secs(3600),
        }
    }
}

/// The health-relevant state at one moment (copied out of [`Telemetry`] under its lock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    pub mailbox: MailboxKind,
    pub started: Timestamp,
    pub connected: bool,
    /// Since when the mailbox is unreachable (the start, before the first login).
    pub down_since: Option<Timestamp>,
    pub last_fetch: Option<Timestamp>,
    pub outbox_depth: u64,
    /// When the oldest reply still in the outbox was queued.
    pub outbox_oldest: Option<Timestamp>,
}

/// The body of `/healthz`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    /// `"ok"` or `"unhealthy"`.
    pub status: &'static str,
    pub mailbox: MailboxKind,
    pub imap_connected: bool,
    pub mailbox_down_seconds: Option<i64>,
    pub last_fetch_age_seconds: Option<i64>,
    pub outbox_depth: u64,
    pub outbox_oldest_age_seconds: Option<i64>,
    pub uptime_seconds: i64,
    /// Why it is unhealthy, one sentence each (empty when healthy).
    pub problems: Vec<String>,
}

impl Health {
    pub fn healthy(&self) -> bool {
        self.problems.is_empty()
    }
}

fn age(now: Timestamp, then: Timestamp) -> i64 {
    now.duration_since(then).as_secs().max(0)
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// The health verdict: pure, so every threshold is tested without a clock or a server.
/// Before the first successful fetch the daemon's start counts as the last one, so a
/// fresh start is healthy but a daemon that never gets to read its mailbox is not.
pub fn health(s: &Snapshot, t: &HealthThresholds, now: Timestamp) -> Health {
    let mut problems = Vec::new();
    let down = if s.connected { None } else { Some(age(now, s.down_since.unwrap_or(s.started))) };
    if let Some(d) = down.filter(|d| *d > secs(t.max_mailbox_down)) {
        problems.push(format!("mailbox not connected for {d} s (limit {} s)", t.max_mailbox_down.as_secs()));
    }
    let fetch_age = s.last_fetch.map(|f| age(now, f));
    let since_fetch = fetch_age.unwrap_or_else(|| age(now, s.started));
    if since_fetch > secs(t.max_fetch_age) {
        problems.push(format!("no successful fetch for {since_fetch} s (limit {} s)", t.max_fetch_age.as_secs()));
    }
    let oldest = s.outbox_oldest.filter(|_| s.outbox_depth > 0).map(|o| age(now, o));
    if let Some(o) = oldest.filter(|o| *o > secs(t.max_outbox_age)) {
        problems.push(format!("oldest reply waits in the outbox for {o} s (limit {} s)", t.max_outbox_age.as_secs()));
    }
    Health {
        status: if problems.is_empty() { "ok" } else { "unhealthy" },
        mailbox: s.mailbox,
        imap_connected: s.connected,
        mailbox_down_seconds: down,
        last_fetch_age_seconds: fetch_age,
        outbox_depth: s.outbox_depth,
        outbox_oldest_age_seconds: oldest,
        uptime_seconds: age(now, s.started),
        problems,
    }
}

/// A serde enum's wire name (`MailKind::CaseReply` → `case_reply`), for label values.
pub fn label<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "other".to_string(),
    }
}

#[derive(Debug)]
struct State {
    connected: bool,
    ever_up: bool,
    down_since: Option<Timestamp>,
    last_fetch: Option<Timestamp>,
    outbox_depth: u64,
    outbox_oldest: Option<Timestamp>,
}

/// The daemon's counters and health state, shared (`Arc`) between the daemon loop, the
/// outbox and the HTTP listener. Recording never fails and never blocks for long.
#[derive(Debug)]
pub struct Telemetry {
    registry: Registry,
    mails: Family<MailLabels, Counter>,
    cases_created: Family<StatusLabels, Counter>,
    replies_sent: Counter,
    replies_failed: Counter,
    outbox_depth: Gauge,
    outbox_oldest_age: Gauge<f64, AtomicU64>,
    imap_reconnects: Counter,
    imap_connected: Gauge,
    last_fetch: Gauge<f64, AtomicU64>,
    latency: Histogram,
    mailbox: MailboxKind,
    started: Timestamp,
    state: Mutex<State>,
}

impl Default for Telemetry {
    fn default() -> Self {
        Telemetry::new(MailboxKind::Maildir, Timestamp::now())
    }
}

impl Telemetry {
    pub fn new(mailbox: MailboxKind, started: Timestamp) -> Telemetry {
        let mut registry = Registry::with_prefix("buergerservice");
        let mails = Family::<MailLabels, Counter>::default();
        let cases_created = Family::<StatusLabels, Counter>::default();
        let (replies_sent, replies_failed, imap_reconnects) = (Counter::default(), Counter::default(), Counter::default());
        let (outbox_depth, imap_connected) = (Gauge::default(), Gauge::default());
        let outbox_oldest_age = Gauge::<f64, AtomicU64>::default();
        let last_fetch = Gauge::<f64, AtomicU64>::default();
        // 1 ms … ~16 s: a mail is usually decided in milliseconds; seconds mean trouble.
        let latency = Histogram::new(exponential_buckets(0.001, 2.0, 15));
        registry.register("mails", "Mails taken from the mailbox, by kind and Fachamt (department)", mails.clone());
        registry.register("cases_created", "Cases opened, by the status they started in", cases_created.clone());
        registry.register("replies_sent", "Replies accepted by the mail server", replies_sent.clone());
        registry.register("replies_failed", "Replies refused for good (recorded on the case)", replies_failed.clone());
        registry.register("outbox_depth", "Replies waiting in the outbox", outbox_depth.clone());
        registry.register("outbox_oldest_age_seconds", "Age of the oldest reply waiting in the outbox", outbox_oldest_age.clone());
        registry.register("imap_reconnects", "IMAP logins after a lost connection", imap_reconnects.clone());
        registry.register("imap_connected", "1 while the mailbox is connected (a Maildir always is)", imap_connected.clone());
        registry.register("last_fetch_timestamp_seconds", "Unix time of the last successful look into the mailbox", last_fetch.clone());
        registry.register("mail_processing_seconds", "Time to decide one mail (parse, triage, store)", latency.clone());
        let connected = mailbox == MailboxKind::Maildir;
        imap_connected.set(i64::from(connected));
        Telemetry {
            registry,
            mails,
            cases_created,
            replies_sent,
            replies_failed,
            outbox_depth,
            outbox_oldest_age,
            imap_reconnects,
            imap_connected,
            last_fetch,
            latency,
            mailbox,
            started,
            state: Mutex::new(State { connected, ever_up: false, down_since: None, last_fetch: None, outbox_depth: 0, outbox_oldest: None }),
        }
    }

    /// A panic elsewhere while holding the lock leaves plain values behind: keep going.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// One mail decided: its kind and department (labels) and how long it took.
    pub fn mail_decided(&self, kind: &str, department: Option<&str>, took: Duration) {
        let labels = MailLabels { kind: kind.to_string(), department: department.unwrap_or(NO_DEPARTMENT).to_string() };
        self.mails.get_or_create(&labels).inc();
        self.latency.observe(took.as_secs_f64());
    }

    pub fn case_created(&self, status: &str) {
        self.cases_created.get_or_create(&StatusLabels { status: status.to_string() }).inc();
    }

    pub fn reply_sent(&self) {
        self.replies_sent.inc();
    }

    pub fn reply_failed(&self) {
        self.replies_failed.inc();
    }

    /// The outbox after a delivery round: how many wait, and since when the oldest.
    pub fn outbox(&self, depth: u64, oldest: Option<Timestamp>) {
        let mut s = self.state();
        s.outbox_depth = depth;
        s.outbox_oldest = oldest;
        self.outbox_depth.set(i64::try_from(depth).unwrap_or(i64::MAX));
    }

    /// Logged in to the IMAP server; every login after the first is a reconnect.
    pub fn imap_up(&self) {
        let mut s = self.state();
        if std::mem::replace(&mut s.ever_up, true) {
            self.imap_reconnects.inc();
        }
        s.connected = true;
        s.down_since = None;
        self.imap_connected.set(1);
    }

    /// The IMAP connection is gone (or the login failed) at `at`.
    pub fn imap_down(&self, at: Timestamp) {
        let mut s = self.state();
        // A failing first login counts from the start; repeated failures keep the first loss.
        if s.connected {
            s.down_since = Some(at);
        } else if s.down_since.is_none() {
            s.down_since = Some(self.started);
        }
        s.connected = false;
        self.imap_connected.set(0);
    }

    /// The mailbox was searched (and what was new fetched) without error.
    pub fn fetched(&self, at: Timestamp) {
        self.state().last_fetch = Some(at);
        self.last_fetch.set(at.as_millisecond() as f64 / 1000.0);
    }

    pub fn snapshot(&self) -> Snapshot {
        let s = self.state();
        Snapshot {
            mailbox: self.mailbox,
            started: self.started,
            connected: s.connected,
            down_since: s.down_since,
            last_fetch: s.last_fetch,
            outbox_depth: s.outbox_depth,
            outbox_oldest: s.outbox_oldest,
        }
    }

    pub fn health(&self, thresholds: &HealthThresholds, now: Timestamp) -> Health {
        health(&self.snapshot(), thresholds, now)
    }

    /// Every metric in the OpenMetrics text format (which Prometheus reads), with the
    /// outbox age as of `now`.
    pub fn render_metrics(&self, now: Timestamp) -> String {
        let s = self.snapshot();
        let oldest = s.outbox_oldest.filter(|_| s.outbox_depth > 0).map_or(0.0, |o| now.duration_since(o).as_secs_f64().max(0.0));
        self.outbox_oldest_age.set(oldest);
        let mut out = String::new();
        // Writing into a String cannot fail; an encoder error would be a bug in a metric.
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!("encoding the metrics failed: {e}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn snap() -> Snapshot {
        Snapshot {
            mailbox: MailboxKind::Imap,
            started: at("2027-04-06T08:00:00Z"),
            connected: true,
            down_since: None,
            last_fetch: Some(at("2027-04-06T09:59:30Z")),
            outbox_depth: 0,
            outbox_oldest: None,
        }
    }

    const NOW: &str = "2027-04-06T10:00:00Z";

    #[test]
    fn connected_and_fresh_is_healthy() {
        let h = health(&snap(), &HealthThresholds::default(), at(NOW));
        assert!(h.healthy(), "{h:?}");
        assert_eq!((h.status, h.last_fetch_age_seconds, h.uptime_seconds), ("ok", Some(30), 7200));
    }

    #[test]
    fn mailbox_down_longer_than_the_limit_is_unhealthy_shorter_is_not() {
        let t = HealthThresholds::default();
        let mut s = Snapshot { connected: false, down_since: Some(at("2027-04-06T09:56:00Z")), ..snap() };
        let h = health(&s, &t, at(NOW));
        assert!(h.healthy(), "{h:?}");
        assert_eq!(h.mailbox_down_seconds, Some(240));
        s.down_since = Some(at("2027-04-06T09:54:59Z"));
        let h = health(&s, &t, at(NOW));
        assert_eq!(h.status, "unhealthy");
        assert!(h.problems[0].contains("mailbox not connected for 301 s"), "{:?}", h.problems);
    }

    #[test]
    fn never_connected_counts_from_the_start() {
        let s = Snapshot { connected: false, down_since: None, started: at("2027-04-06T09:00:00Z"), ..snap() };
        let h = health(&s, &HealthThresholds::default(), at(NOW));
        assert_eq!(h.mailbox_down_seconds, Some(3600));
        assert!(!h.healthy());
    }

    #[test]
    fn stale_fetch_is_unhealthy_and_a_fresh_start_gets_grace() {
        let t = HealthThresholds::default();
        let stale = Snapshot { last_fetch: Some(at("2027-04-06T09:44:00Z")), ..snap() };
        let h = health(&stale, &t, at(NOW));
        assert!(h.problems.iter().any(|p| p.contains("no successful fetch for 960 s")), "{h:?}");
        let fresh = Snapshot { last_fetch: None, started: at("2027-04-06T09:59:00Z"), ..snap() };
        let h = health(&fresh, &t, at(NOW));
        assert!(h.healthy(), "{h:?}");
        assert_eq!(h.last_fetch_age_seconds, None);
        let hung = Snapshot { last_fetch: None, ..snap() };
        assert!(!health(&hung, &t, at(NOW)).healthy());
    }

    #[test]
    fn old_outbox_mail_is_unhealthy_an_empty_outbox_has_no_age() {
        let t = HealthThresholds { max_outbox_age: Duration::from_secs(600), ..Default::default() };
        let waiting = Snapshot { outbox_depth: 3, outbox_oldest: Some(at("2027-04-06T09:45:00Z")), ..snap() };
        let h = health(&waiting, &t, at(NOW));
        assert_eq!((h.outbox_depth, h.outbox_oldest_age_seconds), (3, Some(900)));
        assert!(h.problems.iter().any(|p| p.contains("outbox for 900 s")), "{h:?}");
        let empty = Snapshot { outbox_depth: 0, ..waiting };
        let h = health(&empty, &t, at(NOW));
        assert!(h.healthy() && h.outbox_oldest_age_seconds.is_none(), "{h:?}");
    }

    #[test]
    fn health_json_has_the_documented_fields() {
        let v = serde_json::to_value(health(&snap(), &HealthThresholds::default(), at(NOW))).unwrap();
        for key in ["status", "mailbox", "imap_connected", "last_fetch_age_seconds", "outbox_depth", "outbox_oldest_age_seconds", "problems"] {
            assert!(v.get(key).is_some(), "{key} missing in {v}");
        }
        assert_eq!(v["mailbox"], "imap");
    }

    fn value(text: &str, series: &str) -> Option<f64> {
        text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.split(' ').next()?.parse().ok())
    }

    #[test]
    fn metrics_count_mails_by_kind_and_department() {
        let t = Telemetry::new(MailboxKind::Maildir, at("2027-04-06T08:00:00Z"));
        t.mail_decided("request", Some("buergerbuero"), Duration::from_millis(3));
        t.mail_decided("request", Some("buergerbuero"), Duration::from_millis(5));
        t.mail_decided("bounce", None, Duration::from_millis(1));
        t.case_created("proposed");
        t.reply_sent();
        t.reply_sent();
        t.reply_failed();
        let text = t.render_metrics(at(NOW));
        assert_eq!(value(&text, r#"buergerservice_mails_total{kind="request",department="buergerbuero"}"#), Some(2.0), "{text}");
        assert_eq!(value(&text, r#"buergerservice_mails_total{kind="bounce",department="none"}"#), Some(1.0), "{text}");
        assert_eq!(value(&text, r#"buergerservice_cases_created_total{status="proposed"}"#), Some(1.0), "{text}");
        assert_eq!(value(&text, "buergerservice_replies_sent_total"), Some(2.0), "{text}");
        assert_eq!(value(&text, "buergerservice_replies_failed_total"), Some(1.0), "{text}");
        assert_eq!(value(&text, "buergerservice_mail_processing_seconds_count"), Some(3.0), "{text}");
        assert_eq!(value(&text, r#"buergerservice_mail_processing_seconds_bucket{le="0.004"}"#), Some(2.0), "{text}");
        assert_eq!(value(&text, "buergerservice_imap_connected"), Some(1.0), "a Maildir counts as connected: {text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn metrics_show_outbox_age_as_of_the_scrape_and_imap_state() {
        let t = Telemetry::new(MailboxKind::Imap, at("2027-04-06T08:00:00Z"));
        assert_eq!(value(&t.render_metrics(at(NOW)), "buergerservice_imap_connected"), Some(0.0));
        t.imap_down(at("2027-04-06T08:00:10Z"));
        t.imap_up();
        t.imap_down(at("2027-04-06T09:00:00Z"));
        t.imap_up();
        t.fetched(at("2027-04-06T09:59:00Z"));
        t.outbox(2, Some(at("2027-04-06T09:58:20Z")));
        let text = t.render_metrics(at(NOW));
        assert_eq!(value(&text, "buergerservice_imap_reconnects_total"), Some(1.0), "{text}");
        assert_eq!(value(&text, "buergerservice_imap_connected"), Some(1.0), "{text}");
        assert_eq!(value(&text, "buergerservice_outbox_depth"), Some(2.0), "{text}");
        assert_eq!(value(&text, "buergerservice_outbox_oldest_age_seconds"), Some(100.0), "{text}");
        assert_eq!(value(&text, "buergerservice_last_fetch_timestamp_seconds"), Some(at("2027-04-06T09:59:00Z").as_second() as f64), "{text}");
    }

    #[test]
    fn down_since_keeps_the_first_loss_while_reconnects_fail() {
        let t = Telemetry::new(MailboxKind::Imap, at("2027-04-06T08:00:00Z"));
        t.imap_down(at("2027-04-06T08:00:10Z"));
        assert_eq!(t.snapshot().down_since, Some(at("2027-04-06T08:00:00Z")), "a failed first login counts from the start");
        t.imap_up();
        t.imap_down(at("2027-04-06T09:00:00Z"));
        t.imap_down(at("2027-04-06T09:05:00Z"));
        assert_eq!(t.snapshot().down_since, Some(at("2027-04-06T09:00:00Z")));
    }

    #[test]
    fn label_is_the_serde_name() {
        assert_eq!(label(&crate::kind::MailKind::CaseReply), "case_reply");
        assert_eq!(label(&crate::store::Status::Waitlisted), "waitlisted");
    }
}
