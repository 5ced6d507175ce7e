//! Stage 8: delivering the outbox. Mails were queued in the store together with the case
//! change that caused them; here they are handed to SMTP (or written to a directory in
//! embedded mode) and only removed once the server accepted them. 4xx and connection
//! errors are retried with growing delays; a 5xx is recorded on the case for staff.

use crate::config::{OutboxConfig, SmtpConfig, Tls};
use crate::store::{Store, StoreError};
use jiff::Timestamp;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use futures_util::StreamExt;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum OutboxError {
    #[error("outbox: {0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

enum Transport {
    Directory(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// What one delivery round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    /// Temporary failures, to be retried.
    pub deferred: usize,
    /// Refused for good (recorded on the case).
    pub failed: usize,
    /// Waiting for their retry time.
    pub waiting: usize,
}

/// Why a mail did not go out.
enum Failure {
    /// 5xx or an unusable address: for good.
    Refused(String),
    /// 4xx or a local error: this mail again later.
    Deferred(String),
    /// No SMTP reply at all: the server is down or unreachable.
    Unreachable(String),
}

pub struct Deliverer {
    transport: Transport,
    from: Address,
    retry_min: Duration,
    retry_max: Duration,
    /// outbox id → (failed attempts, not before)
    backoff: HashMap<u64, (u32, Instant)>,
    /// The server could not be reached at all: (failed rounds, not before). While it is
    /// down the outbox is not walked mail by mail (thousands of doomed connection
    /// attempts, and a warning each).
    server_down: Option<(u32, Instant)>,
    telemetry: std::sync::Arc<crate::telemetry::Telemetry>,
}

/// Read a secret from a file (systemd credentials) or an environment variable.
pub fn read_secret(file: Option<&std::path::Path>, env: Option<&str>, what: &str) -> Result<String, String> {
    if let Some(f) = file {
        return std::fs::read_to_string(f).map(|s| s.trim_end_matches(['\r', '\n']).to_string()).map_err(|e| format!("{what}: password_file {}: {e}", f.display()));
    }
    if let Some(var) = env {
        return std::env::var(var).map_err(|_| format!("{what}: environment variable {var} is not set"));
    }
    Err(format!("{what}: set password_file or password_env"))
}

/// Plain text only where nobody can listen: a loopback address.
pub fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn smtp_transport(c: &SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let builder = match c.tls {
        Tls::Implicit => AsyncSmtpTransport::<Tokio1Executor>::relay(&c.host).map_err(|e| e.to_string())?,
        Tls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&c.host).map_err(|e| e.to_string())?,
        Tls::Plain if is_loopback(&c.host) => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&c.host),
        Tls::Plain => return Err(format!("outbox.tls = \"plain\" is only allowed to a loopback address, not {}", c.host)),
    };
    let mut builder = builder
        .port(c.port)
        .timeout(Some(Duration::from_secs(30)))
        .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(PARALLEL as u32));
    if let Some(user) = &c.user {
        let password = read_secret(c.password_file.as_deref(), c.password_env.as_deref(), "outbox")?;
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    Ok(builder.build())
}

/// Used by `check-config --connect`: connect (and authenticate) without sending.
pub async fn probe(c: &SmtpConfig) -> Result<String, String> {
    let t = smtp_transport(c)?;
    match t.test_connection().await {
        Ok(true) => Ok(format!("SMTP {}:{} accepts connections{}", c.host, c.port, if c.user.is_some() { " and the login" } else { "" })),
        Ok(false) => Err(format!("SMTP {}:{} did not answer as expected", c.host, c.port)),
        Err(e) => Err(e.to_string()),
    }
}

/// Replies handed to SMTP at once, over as many pooled connections. Postfix spends most
/// of each submission syncing its queue file, so throughput grows with connections: on
/// the benchmark machine 4 → 8 → 16 connections took 16 → 8.4 → 5.0 s for 1,288 replies
/// (BENCHMARKS.md). 16 stays well under Postfix's per-client limit (50).
const PARALLEL: usize = 16;

impl Deliverer {
    pub fn new(cfg: &OutboxConfig, from: &str, retry_min: Duration, retry_max: Duration) -> Result<Deliverer, OutboxError> {
        let transport = match cfg {
            OutboxConfig::Directory { path } => {
                std::fs::create_dir_all(path).map_err(|e| OutboxError::Config(format!("outbox.path {}: {e}", path.display())))?;
                Transport::Directory(AsyncFileTransport::new(path))
            }
            OutboxConfig::Smtp(c) => Transport::Smtp(smtp_transport(c).map_err(OutboxError::Config)?),
        };
        let from = from.parse().map_err(|e| OutboxError::Config(format!("mail.address {from:?}: {e}")))?;
        Ok(Deliverer { transport, from, retry_min, retry_max, backoff: HashMap::new(), server_down: None, telemetry: Default::default() })
    }

    /// Count sent and failed replies and the outbox's depth and age into `telemetry`.
    pub fn with_telemetry(mut self, telemetry: std::sync::Arc<crate::telemetry::Telemetry>) -> Deliverer {
        self.telemetry = telemetry;
        self
    }

    /// Try every mail in the outbox whose retry time has come, `PARALLEL` at a time over
    /// the transport's connection pool. What the server accepted is marked sent (and
    /// flushed every `FLUSH_EVERY` mails, so a crash can repeat at most that many).
    pub async fn deliver(&mut self, store: &Store) -> Result<DeliveryReport, OutboxError> {
        // A page at a time: after a backlog the outbox holds thousands of messages, which
        // must not all sit in memory at once.
        const PAGE: usize = 256;
        let mut report = DeliveryReport::default();
        let mut since_flush = 0;
        let mut after = None;
        let mut reachable = self.server_down.is_none_or(|(_, not_before)| Instant::now() >= not_before);
        if reachable {
            loop {
                let page = store.outbox_page(after, PAGE)?;
                let Some(last) = page.last() else { break };
                after = Some(last.id);
                if !self.deliver_page(store, page, &mut report, &mut since_flush).await? {
                    reachable = false;
                    break;
                }
            }
        }
        // The store keeps the depth: no walk over the outbox for it.
        let (depth, oldest) = store.outbox_stats()?;
        if !reachable {
            // Not tried this round: everything queued but what was just deferred.
            report.waiting = usize::try_from(depth).unwrap_or(usize::MAX).saturating_sub(report.deferred);
        }
        self.telemetry.outbox(depth, oldest);
        Ok(report)
    }

    /// `false`: the server is unreachable, the round ends here.
    async fn deliver_page(&mut self, store: &Store, page: Vec<crate::store::OutgoingMail>, report: &mut DeliveryReport, since_flush: &mut usize) -> Result<bool, OutboxError> {
        const FLUSH_EVERY: usize = 50;
        let now = Instant::now();
        let mut due = Vec::new();
        for mail in page {
            if self.backoff.get(&mail.id).is_some_and(|(_, not_before)| now < *not_before) {
                report.waiting += 1;
                continue;
            }
            if store.is_undeliverable(&mail.to)? {
                store.mark_failed(mail.id, Timestamp::now(), "address reported undeliverable by an earlier bounce")?;
                report.failed += 1;
                self.telemetry.reply_failed();
                continue;
            }
            match mail.to.parse::<Address>() {
                Ok(to) => due.push((mail, to)),
                Err(e) => {
                    store.mark_failed(mail.id, Timestamp::now(), &format!("invalid recipient address: {e}"))?;
                    report.failed += 1;
                    self.telemetry.reply_failed();
                }
            }
        }
        let transport = &self.transport;
        let from = &self.from;
        let mut results = futures_util::stream::iter(due)
            .map(|(mail, to)| async move {
                let result = match Envelope::new(Some(from.clone()), vec![to]) {
                    Err(e) => Err(Failure::Refused(e.to_string())),
                    Ok(envelope) => match transport {
                        Transport::Directory(t) => t.send_raw(&envelope, &mail.message).await.map(|_| ()).map_err(|e| Failure::Deferred(e.to_string())),
                        Transport::Smtp(t) => t.send_raw(&envelope, &mail.message).await.map(|_| ()).map_err(|e| {
                            if e.is_permanent() {
                                Failure::Refused(e.to_string())
                            } else if e.status().is_none() && !e.is_client() && !e.is_response() {
                                // No SMTP reply at all (refused, reset, TLS): the server, not the mail.
                                Failure::Unreachable(e.to_string())
                            } else {
                                Failure::Deferred(e.to_string())
                            }
                        }),
                    },
                };
                (mail, result)
            })
            .buffer_unordered(PARALLEL);
        while let Some((mail, result)) = results.next().await {
            match result {
                Ok(()) => {
                    if self.server_down.take().is_some() {
                        tracing::info!("SMTP server reachable again");
                    }
                    store.mark_sent(mail.id, Timestamp::now())?;
                    self.backoff.remove(&mail.id);
                    tracing::info!(case = %mail.case, outbox_id = mail.id, "reply delivered");
                    report.sent += 1;
                    self.telemetry.reply_sent();
                    *since_flush += 1;
                    if *since_flush >= FLUSH_EVERY {
                        store.flush()?;
                        *since_flush = 0;
                    }
                }
                Err(Failure::Refused(why)) => {
                    store.mark_failed(mail.id, Timestamp::now(), &why)?;
                    self.backoff.remove(&mail.id);
                    tracing::warn!(case = %mail.case, outbox_id = mail.id, "reply refused for good: {why}");
                    report.failed += 1;
                    self.telemetry.reply_failed();
                }
                Err(Failure::Unreachable(why)) => {
                    let rounds = self.server_down.map_or(0, |(n, _)| n) + 1;
                    let delay = self.retry_delay(rounds);
                    if self.server_down.is_none() {
                        tracing::warn!(retry_in_secs = delay.as_secs(), "SMTP server unreachable, replies wait in the outbox: {why}");
                    }
                    self.server_down = Some((rounds, Instant::now() + delay));
                    report.deferred += 1;
                    // Sends still in flight are dropped unanswered: they stay queued.
                    return Ok(false);
                }
                Err(Failure::Deferred(why)) => {
                    let attempts = self.backoff.get(&mail.id).map_or(0, |(n, _)| *n) + 1;
                    let delay = self.retry_delay(attempts);
                    self.backoff.insert(mail.id, (attempts, Instant::now() + delay));
                    if attempts == 1 {
                        tracing::warn!(case = %mail.case, outbox_id = mail.id, "reply deferred, will retry: {why}");
                    }
                    report.deferred += 1;
                }
            }
        }
        Ok(true)
    }

    /// Exponential backoff after `failures` failed tries, from `retry_min` to `retry_max`.
    fn retry_delay(&self, failures: u32) -> Duration {
        self.retry_min.saturating_mul(1 << failures.min(16)).min(self.retry_max)
    }

    /// The soonest time a deferred mail (or the unreachable server) may be tried again.
    pub fn next_retry(&self) -> Option<Instant> {
        self.backoff.values().map(|(_, t)| *t).chain(self.server_down.map(|(_, t)| t)).min()
    }
}
