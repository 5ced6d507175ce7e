//! The daemon: mailbox → engine → store → outbox, until shutdown. Order per mail: read
//! (the mail stays in the mailbox) → case and replies durable (one transaction, then
//! flush) → mail moved out of the inbox. A crash at any point leaves the mail in the inbox
//! or moved, and the store recognises it when it is read again: nothing lost, nothing
//! answered twice.

use crate::classify::{Rules, RulesError};
use crate::config::{Config, ConfigError, MailboxConfig};
use crate::engine::{Engine, EngineError, Outcome, Taken};
use crate::outbox::{Deliverer, DeliveryReport, OutboxError};
use crate::reply::{Composer, Office, ReplyError, Templates};
use crate::schedule::PlanningRules;
use crate::source::maildir::Maildir;
use crate::source::Disposition;
use crate::store::{Store, StoreError};
use crate::tz::berlin;
use jiff::{Timestamp, Zoned};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum DaemonError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Rules(#[from] RulesError),
    #[error(transparent)]
    Templates(#[from] ReplyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    #[error("mailbox {path}: {error}")]
    Mailbox { path: String, error: std::io::Error },
    #[error("imap: {0}")]
    Imap(String),
}

/// Everything loaded from the configuration: rules, templates, planning rules.
pub struct App {
    pub cfg: Config,
    pub rules: Rules,
    pub templates: Templates,
    pub planning: PlanningRules,
    pub office: Office,
    /// Counters and health state for `/metrics` and `/healthz`.
    pub telemetry: std::sync::Arc<crate::telemetry::Telemetry>,
}

impl App {
    /// `builtin_data`: use the rules and templates compiled into the binary (no config
    /// file given); otherwise read the folders the configuration names.
    pub fn load(cfg: Config, builtin_data: bool) -> Result<App, DaemonError> {
        let rules = if builtin_data { Rules::builtin() } else { cfg.rules.load()? };
        let templates = match (&cfg.mail.templates, builtin_data) {
            (Some(dir), false) => Templates::load_dir(dir)?,
            _ => Templates::builtin(),
        };
        let planning = cfg.planning_rules(&cfg.fixture_kickoffs()?);
        let office = Office {
            name: cfg.mail.name.clone(),
            address: cfg.mail.address.clone(),
            signature: cfg.mail.signature.clone(),
            domain: cfg.mail.domain.clone(),
        };
        let mailbox = match cfg.mailbox {
            MailboxConfig::Maildir { .. } => crate::telemetry::MailboxKind::Maildir,
            MailboxConfig::Imap(_) => crate::telemetry::MailboxKind::Imap,
        };
        let telemetry = std::sync::Arc::new(crate::telemetry::Telemetry::new(mailbox, Timestamp::now()));
        Ok(App { cfg, rules, templates, planning, office, telemetry })
    }

    /// SIGHUP: read the rules and templates again. A broken file is refused and the old
    /// ones stay in force.
    pub fn reload(&mut self) {
        let rules = self.cfg.rules.load();
        let templates = match &self.cfg.mail.templates {
            Some(dir) => Templates::load_dir(dir),
            None => Ok(Templates::builtin()),
        };
        match (rules, templates) {
            (Ok(r), Ok(t)) => {
                self.rules = r;
                self.templates = t;
                tracing::info!("rules and templates reloaded");
            }
            (Err(e), _) => tracing::error!("reload refused, the old rules stay: {e}"),
            (_, Err(e)) => tracing::error!("reload refused, the old templates stay: {e}"),
        }
    }

    pub fn engine<'a>(&'a self, store: &'a Store) -> Engine<'a> {
        Engine {
            rules: &self.rules,
            planning: &self.planning,
            composer: Composer { office: &self.office, templates: &self.templates, rules: &self.rules },
            store,
            hold_hours: self.cfg.office.hold_hours,
            own_address: &self.cfg.mail.address,
            max_replies_per_sender_per_day: self.cfg.daemon.max_replies_per_sender_per_day,
            staff_address: self.cfg.mail.staff_address.as_deref(),
            agenda_memo: Default::default(),
        }
    }

    pub fn deliverer(&self) -> Result<Deliverer, DaemonError> {
        let d = &self.cfg.daemon;
        Ok(Deliverer::new(&self.cfg.outbox, &self.cfg.mail.address, Duration::from_secs(d.retry_min_secs), Duration::from_secs(d.retry_max_secs))?
            .with_telemetry(self.telemetry.clone()))
    }
}

/// What a run did, for `--once` and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    pub mails: usize,
    pub created: usize,
    pub quarantined: usize,
    pub delivered: DeliveryReport,
}

/// Decide a batch of raw mails, in order: case, events and replies are written to the
/// store, but not yet flushed. The caller flushes once per batch and only then moves the
/// mails out of the inbox (a disk sync per mail could not keep up with a backlog).
/// Parsing and triage are pure and run on all cores; taking the mails into the store
/// (planning against the agenda, case numbers) stays in arrival order.
pub fn decide_batch(app: &App, store: &Store, raws: &[&[u8]], now: Timestamp, report: &mut RunReport) -> Result<Vec<Disposition>, DaemonError> {
    // Oversized mails are not parsed at all (`None`): they are quarantined below. A
    // panic while reading a mail (a bug) quarantines that mail instead of stopping the
    // daemon. With the time it took, for the latency histogram.
    fn prepare<'r>(app: &App, raw: &'r [u8], now: Timestamp) -> (Option<crate::engine::Prepared<'r>>, Duration) {
        use crate::engine::{prepare, Prepared};
        let start = std::time::Instant::now();
        let prepared = (raw.len() <= app.cfg.daemon.max_mail_bytes).then(|| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| prepare(&app.rules, raw, now)))
                .unwrap_or_else(|_| Prepared::unreadable(raw, now, "internal error while reading this mail (reported in the log)"))
        });
        (prepared, start.elapsed())
    }
    // rayon's threads live as long as the process: the regexes' lazy-DFA caches stay
    // warm on them. Threads spawned per batch started cold every time and left a cache
    // per regex and thread behind (twice the time, three times the memory, measured).
    // The mails are read on the pool while this thread takes them into the store in
    // arrival order as soon as each is ready: the two overlap instead of taking turns
    // (reading the whole batch first left a core idle during the store step).
    use rayon::prelude::*;
    type Ready<'r> = (usize, (Option<crate::engine::Prepared<'r>>, Duration));
    let (tx, rx) = std::sync::mpsc::channel::<Ready<'_>>();
    let engine = app.engine(store);
    let mut out = Vec::with_capacity(raws.len());
    // New requests decided but not yet written, with their triage labels and timing:
    // written together in one transaction (`Engine::create`), before any other mail
    // of the batch touches the store, and at its end.
    let mut pending: Vec<crate::engine::Creation<'_>> = Vec::new();
    let mut pending_labels: Vec<(Labels, Duration, std::time::Instant)> = Vec::new();
    let write_pending = |pending: &mut Vec<crate::engine::Creation<'_>>, labels: &mut Vec<(Labels, Duration, std::time::Instant)>, report: &mut RunReport| -> Result<(), DaemonError> {
        let outcomes = engine.create(pending)?;
        for (outcome, (labels, took, start)) in outcomes.into_iter().zip(labels.drain(..)) {
            record(app, &outcome, labels, took + start.elapsed(), report);
        }
        Ok(())
    };
    rayon::in_place_scope(|scope| {
        scope.spawn(move |_| {
            raws.par_iter().enumerate().for_each_with(tx, |tx, (i, raw)| {
                // The receiver is gone only when the store step failed: nothing to do then.
                let _ = tx.send((i, prepare(app, raw, now)));
            });
        });
        let mut waiting: std::collections::BTreeMap<usize, (Option<crate::engine::Prepared<'_>>, Duration)> = Default::default();
        for (i, ready) in rx.iter() {
            waiting.insert(i, ready);
            while let Some((prepared, took)) = waiting.remove(&out.len()) {
                let raw = raws[out.len()];
                let start = std::time::Instant::now();
                let labels = labels_of(prepared.as_ref());
                if !prepared.as_ref().is_some_and(|p| p.defers() && !pending.iter().any(|c| c.is_copy_of(p))) {
                    write_pending(&mut pending, &mut pending_labels, report)?;
                }
                let taken = match prepared {
                    Some(p) => engine.take(p, &mut pending)?,
                    None => Taken::Done(engine.quarantine(raw, now, &format!("oversized mail ({} bytes)", raw.len()))?),
                };
                out.push(match taken {
                    Taken::Done(outcome) => record(app, &outcome, labels, took + start.elapsed(), report),
                    Taken::Deferred => {
                        pending_labels.push((labels, took, start));
                        Disposition::Processed
                    }
                });
            }
        }
        write_pending(&mut pending, &mut pending_labels, report)
    })?;
    Ok(out)
}

/// The triage's kind and department, for the metrics.
type Labels = (String, Option<String>);

fn labels_of(prepared: Option<&crate::engine::Prepared<'_>>) -> Labels {
    prepared
        .and_then(|p| p.triage())
        .map(|t| (crate::telemetry::label(&t.kind), t.department.clone()))
        .unwrap_or_else(|| (crate::telemetry::UNREADABLE.to_string(), None))
}

/// Count, measure and log what became of one mail; where the mail goes next.
fn record(app: &App, outcome: &Outcome, (kind, department): Labels, took: Duration, report: &mut RunReport) -> Disposition {
    app.telemetry.mail_decided(&kind, department.as_deref(), took);
    report.mails += 1;
    let disposition = match outcome {
        Outcome::Quarantined { .. } => {
            report.quarantined += 1;
            app.telemetry.case_created(&crate::telemetry::label(&crate::store::Status::Unclassified));
            Disposition::Quarantine
        }
        Outcome::Created { status, .. } => {
            report.created += 1;
            app.telemetry.case_created(&crate::telemetry::label(status));
            Disposition::Processed
        }
        _ => Disposition::Processed,
    };
    log_outcome(outcome);
    disposition
}

/// Mails decided per flush: one disk sync per batch, then the batch leaves the inbox.
pub const BATCH: usize = 100;

/// Case ids and kinds only: never names, addresses or text at info level.
fn log_outcome(o: &Outcome) {
    match o {
        Outcome::Created { case, status } => tracing::info!(%case, ?status, "new case"),
        Outcome::AlreadyDone { case } => tracing::info!(case = ?case.map(|c| c.to_string()), "mail already handled"),
        Outcome::Booked { case } => tracing::info!(%case, "visit booked"),
        Outcome::SlotTaken { case } => tracing::info!(%case, "chosen slot taken, new proposals sent"),
        Outcome::Cancelled { case } => tracing::info!(%case, "visit cancelled"),
        Outcome::Reproposed { case } => tracing::info!(%case, "new proposals sent"),
        Outcome::FollowUpForwarded { case } => tracing::info!(%case, "follow-up passed on to the Fachamt"),
        Outcome::Flagged { case, reason } => tracing::warn!(case = ?case.map(|c| c.to_string()), reason, "flagged for staff"),
        Outcome::Ignored { case, reason } => tracing::info!(case = ?case.map(|c| c.to_string()), reason, "not answered"),
        Outcome::Quarantined { case, reason } => tracing::warn!(%case, reason, "quarantined"),
    }
}

/// What the operator asks of the running daemon. Set by the signal handlers (SIGTERM,
/// SIGINT: stop; SIGHUP: reload), read between batches, so the mail in hand is always
/// finished and made durable before the daemon stops.
#[derive(Debug)]
pub struct Control {
    reload: AtomicBool,
    stop: tokio::sync::watch::Sender<bool>,
    /// Staff and operator commands from the control socket.
    pub commands: crate::control::Queue,
}

impl Default for Control {
    fn default() -> Self {
        Control { reload: AtomicBool::new(false), stop: tokio::sync::watch::Sender::new(false), commands: Default::default() }
    }
}

impl Control {
    pub fn request_stop(&self) {
        self.stop.send_replace(true);
    }

    pub fn request_reload(&self) {
        self.reload.store(true, Ordering::Relaxed);
    }

    pub fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    pub(crate) fn take_reload(&self) -> bool {
        self.reload.swap(false, Ordering::Relaxed)
    }

    /// Resolves once a stop was requested.
    pub async fn stopped(&self) {
        let mut rx = self.stop.subscribe();
        let _ = rx.wait_for(|s| *s).await;
    }
}

/// Run the commands that came in on the control socket, oldest first. What a command
/// changed is made durable before its client hears that it is done.
pub fn serve_commands(app: &App, store: &mut Store, control: &Control) {
    use crate::control::Response;
    for job in control.commands.take() {
        let mut command = job.request.command.clone();
        // A backup is written beside the store (the only place a hardened service may
        // write) and streamed to the client, which writes it where staff asked.
        let mut attachment = None;
        if let crate::ops::Command::StoreBackup { file } = &mut command {
            let mut tmp = store.path().as_os_str().to_owned();
            tmp.push(format!(".backup-{}.tmp", std::process::id()));
            *file = std::path::PathBuf::from(tmp);
            attachment = Some(file.clone());
        }
        let result = crate::ops::execute(app, store, &command, &job.request.by, Timestamp::now())
            .and_then(|output| Ok(store.flush().map(|()| output)?));
        let size = attachment.as_ref().and_then(|f| std::fs::metadata(f).ok()).map(|m| m.len());
        let response = match result {
            Ok(output) => Response::Ok { output, attachment: size },
            Err(e) => {
                tracing::warn!(op = command.name(), "control command failed: {e}");
                Response::Error { message: e.to_string() }
            }
        };
        let _ = job.reply.send((response, attachment));
    }
}

/// The retention purge, once a day (the day of the last run is kept in the store, so a
/// restart does not purge again). Runs in the loop like a staff command: nothing else
/// writes while closed cases are erased and the store is compacted.
pub fn purge_if_due(app: &App, store: &mut Store) -> Result<(), DaemonError> {
    let today = Zoned::now().with_time_zone(berlin()).date();
    if store.last_purge()? == Some(today) {
        return Ok(());
    }
    match crate::ops::purge(store, Timestamp::now(), app.cfg.privacy.retention_days) {
        Ok((purged, _)) => {
            store.forget_mail_counts_before(today)?;
            store.set_last_purge(today)?;
            store.flush()?;
            tracing::info!(cases = purged.len(), retention_days = app.cfg.privacy.retention_days, "retention purge done");
        }
        // Not fatal for the intake: tried again at the next round.
        Err(e) => tracing::error!("retention purge failed: {e}"),
    }
    Ok(())
}

/// Run the daemon until a stop is requested (or, with `once`, until the mailbox is empty
/// and the outbox delivered as far as it goes). A reload request is honoured between
/// rounds.
pub async fn run(app: &mut App, store: &mut Store, once: bool, control: &Control) -> Result<RunReport, DaemonError> {
    match &app.cfg.mailbox {
        MailboxConfig::Maildir { path, poll_interval_ms } => {
            let maildir = Maildir::open(path).map_err(|error| DaemonError::Mailbox { path: path.display().to_string(), error })?;
            let poll = Duration::from_millis(*poll_interval_ms);
            run_maildir(app, store, &maildir, poll, once, control).await
        }
        MailboxConfig::Imap(imap) => {
            let imap = imap.clone();
            crate::source::imap::run(app, store, &imap, once, control).await
        }
    }
}

/// Work between mails: deliver what is due every round; reminders and the waiting list
/// (which plan for every waiting case) at most once a minute.
pub struct Chores {
    deliverer: Deliverer,
    next_slow: std::time::Instant,
    /// The waiting list is planned again only when capacity may have freed up since the
    /// last time: (day, the store's release count, the next hold expiry then). Planning
    /// thousands of waiting cases every minute for nothing stalled the intake.
    waitlist_seen: Option<(jiff::civil::Date, u64, Option<Timestamp>)>,
}

impl Chores {
    pub fn new(app: &App, store: &Store) -> Result<Chores, DaemonError> {
        // Counted now, before a backlog fills the outbox: from here on the store keeps the
        // depth, and a count after the backlog would read every queued reply into memory.
        let (depth, oldest) = store.outbox_stats()?;
        app.telemetry.outbox(depth, oldest);
        Ok(Chores { deliverer: app.deliverer()?, next_slow: std::time::Instant::now(), waitlist_seen: None })
    }

    pub async fn run(&mut self, app: &App, store: &Store, report: &mut RunReport) -> Result<(), DaemonError> {
        // Replies already queued go out first: planning the waiting list walks every
        // waiting case and must not hold up answers after a backlog.
        self.deliver(store, report).await?;
        if std::time::Instant::now() >= self.next_slow {
            self.next_slow = std::time::Instant::now() + Duration::from_secs(60);
            let now = Zoned::now().with_time_zone(berlin());
            let engine = app.engine(store);
            let lead = jiff::SignedDuration::from_hours(app.cfg.daemon.reminder_lead_hours);
            let reminded = engine.queue_reminders(&now, lead)?;
            let promoted = if self.capacity_may_have_freed(store, &now) {
                let promoted = engine.promote_waitlist(&now)?;
                self.waitlist_seen = Some((now.date(), store.released(), engine.next_hold_expiry(&now)?));
                promoted
            } else {
                Vec::new()
            };
            for case in &promoted {
                tracing::info!(%case, "waiting list: slots found, proposals sent");
            }
            if !reminded.is_empty() || !promoted.is_empty() {
                store.flush()?;
                self.deliver(store, report).await?;
            }
        }
        Ok(())
    }

    /// A new day (the horizon moved), a change that released agenda entries, or a hold
    /// that ran out since the waiting list was last planned.
    fn capacity_may_have_freed(&self, store: &Store, now: &Zoned) -> bool {
        match self.waitlist_seen {
            None => true,
            Some((day, released, expiry)) => day != now.date() || released != store.released() || expiry.is_some_and(|t| t <= now.timestamp()),
        }
    }

    async fn deliver(&mut self, store: &Store, report: &mut RunReport) -> Result<(), DaemonError> {
        let r = self.deliverer.deliver(store).await?;
        report.delivered.sent += r.sent;
        report.delivered.failed += r.failed;
        report.delivered.deferred = r.deferred;
        report.delivered.waiting = r.waiting;
        if r.sent + r.failed > 0 {
            store.flush()?;
        }
        Ok(())
    }
}

async fn run_maildir(
    app: &mut App,
    store: &mut Store,
    maildir: &Maildir,
    poll: Duration,
    once: bool,
    control: &Control,
) -> Result<RunReport, DaemonError> {
    let mut chores = Chores::new(app, store)?;
    let mut report = RunReport::default();
    let io = |error| DaemonError::Mailbox { path: maildir.root().display().to_string(), error };
    loop {
        if control.take_reload() {
            app.reload();
        }
        let app = &*app;
        serve_commands(app, store, control);
        purge_if_due(app, store)?;
        let pending = maildir.pending().map_err(io)?;
        app.telemetry.fetched(Timestamp::now());
        for batch in pending.chunks(BATCH) {
            if control.stopping() {
                return Ok(report);
            }
            let mut read = Vec::with_capacity(batch.len());
            for path in batch {
                match std::fs::read(path) {
                    Ok(raw) => read.push((path, raw)),
                    // Moved away meanwhile (another run finished it): nothing to do.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(io(e)),
                }
            }
            let raws: Vec<&[u8]> = read.iter().map(|(_, raw)| raw.as_slice()).collect();
            let dispositions = decide_batch(app, store, &raws, Timestamp::now(), &mut report)?;
            // Durable before the mails leave the inbox and before anything is sent.
            store.flush()?;
            for ((path, _), disposition) in read.iter().zip(dispositions) {
                maildir.finish(path, disposition).map_err(io)?;
            }
        }
        chores.run(app, store, &mut report).await?;
        if once {
            return Ok(report);
        }
        tokio::select! {
            _ = control.stopped() => return Ok(report),
            _ = control.commands.arrived() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}
