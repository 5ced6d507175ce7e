//! `buergerservice`: the binary edge. Parses flags, reads files, prints; all decisions
//! are made in the library (see `lib.rs` for the stages). Data on stdout, logs on stderr.

use anyhow::{Context, Result};
use buergerservice::classify::Rules;
use buergerservice::config::Config;
use buergerservice::extract::when;
use buergerservice::ops;
use buergerservice::triage::{self, Triage};
use clap::{Args, Parser, Subcommand, ValueEnum};
use jiff::Zoned;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "buergerservice", version, about = "E-mail intake of the Bürgerbüro Hochheim am Main")]
struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Triage mail files offline (no side effects): one JSON object per file on stdout.
    Triage {
        /// Reference time (RFC 3339); defaults to each mail's Date header.
        #[arg(long, value_parser = parse_now)]
        now: Option<Zoned>,
        /// Configuration file (for the rules directory); defaults to the built-in rules.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// The .eml files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run the daemon: watch the mailbox, answer every mail, deliver the outbox.
    /// Without --config: the embedded default (Maildir var/maildir, outbox directory
    /// var/outbox, store var/store, the built-in rules and templates).
    Run {
        #[arg(long)]
        config: Option<PathBuf>,
        /// Handle what is waiting, deliver the outbox as far as it goes, and exit.
        #[arg(long)]
        once: bool,
        /// Use this Maildir as the mailbox (overrides [mailbox]).
        #[arg(long)]
        maildir: Option<PathBuf>,
        /// Write replies into this directory instead of sending them (overrides [outbox]).
        #[arg(long)]
        outbox_dir: Option<PathBuf>,
        /// The store directory (overrides [store] path).
        #[arg(long)]
        store: Option<PathBuf>,
        /// Embedded demo in DIR: seeds DIR/maildir with the bundled sample mails, writes
        /// replies to DIR/outbox, lets one citizen answer, then keeps watching DIR/maildir.
        #[arg(long, value_name = "DIR", conflicts_with_all = ["config", "maildir", "outbox_dir", "store"])]
        demo: Option<PathBuf>,
    },
    /// Look up and correct cases (through the running daemon, or on the store when none runs).
    Cases {
        #[command(subcommand)]
        action: CasesAction,
        #[command(flatten)]
        on: OnStore,
    },
    /// Validate config.toml, the rules and the templates; with --connect also log into
    /// IMAP and SMTP and say what worked.
    CheckConfig {
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        connect: bool,
    },
    /// Staff absence (illness, leave).
    Staff {
        #[command(subcommand)]
        action: StaffAction,
        #[command(flatten)]
        on: OnStore,
    },
    /// Data protection: export or erase what is held about an address; retention purge.
    Privacy {
        #[command(subcommand)]
        action: PrivacyAction,
        #[command(flatten)]
        on: OnStore,
    },
    /// Backup and restore of the store.
    Store {
        #[command(subcommand)]
        action: StoreAction,
        #[command(flatten)]
        on: OnStore,
    },
    /// The day's home visits in time order, with address, persons, concerns, documents.
    Agenda {
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        store: Option<PathBuf>,
        /// The day (YYYY-MM-DD); default today.
        #[arg(long)]
        date: Option<jiff::civil::Date>,
        /// Only this staff member's visits.
        #[arg(long)]
        staff: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show how a phrase about times is read, as the `availability` object.
    When {
        /// Reference time (RFC 3339); defaults to the current time.
        #[arg(long, value_parser = parse_now)]
        now: Option<Zoned>,
        /// The phrase or sentence (several arguments are joined with spaces).
        #[arg(required = true)]
        text: Vec<String>,
    },
}

/// Where a staff or operator command works, and how it prints.
#[derive(Args)]
struct OnStore {
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// The store directory (overrides [store] path).
    #[arg(long, global = true)]
    store: Option<PathBuf>,
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Subcommand)]
enum CasesAction {
    /// One line per case, oldest first.
    List {
        #[arg(long, value_parser = parse_status)]
        status: Option<buergerservice::store::Status>,
        #[arg(long)]
        department: Option<String>,
        /// Only cases received on or after this day (YYYY-MM-DD).
        #[arg(long)]
        since: Option<jiff::civil::Date>,
    },
    /// All fields of a case and its history.
    Show { id: buergerservice::case_id::CaseId },
    /// Hand the case to another department: a Fachamt gets the mail forwarded and the
    /// household is told who will get in touch; `buergerbuero` plans a home visit.
    Reassign { id: buergerservice::case_id::CaseId, department: String },
    /// Add a note to the case's history.
    Note {
        id: buergerservice::case_id::CaseId,
        #[arg(required = true)]
        text: Vec<String>,
    },
    /// The case is settled (the visit took place, the question is answered).
    Done { id: buergerservice::case_id::CaseId },
    /// Cancel on the office's side: the booked visit is withdrawn and the household told.
    Cancel { id: buergerservice::case_id::CaseId },
}

#[derive(Subcommand)]
enum StaffAction {
    /// A staff member is ill or on leave: their visits in the span move to a colleague
    /// free at the same time, otherwise the household gets an apology with new proposals.
    Absent {
        /// As in config.toml's [[staff]] name.
        name: String,
        #[arg(long)]
        from: jiff::civil::Date,
        #[arg(long)]
        to: jiff::civil::Date,
    },
}

#[derive(Subcommand)]
enum PrivacyAction {
    /// Everything held about an address, as JSON (DSGVO Art. 15).
    Export {
        #[arg(long)]
        email: String,
        /// Write to this file (mode 0600) instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Remove everything held about an address (DSGVO Art. 17) and compact the store so
    /// that nothing of it stays on disk.
    Erase {
        #[arg(long)]
        email: String,
        /// Required: erasing cannot be undone.
        #[arg(long)]
        yes: bool,
    },
    /// Purge closed cases older than [privacy] retention_days (the daemon does it daily).
    Purge,
}

#[derive(Subcommand)]
enum StoreAction {
    /// A consistent copy of the whole store into FILE (also while the daemon runs).
    Backup { file: PathBuf },
    /// Put a backup in place of the store; the daemon must be stopped. An existing store
    /// is refused unless --force, which moves it aside (never deletes it).
    Restore {
        file: PathBuf,
        #[arg(long)]
        force: bool,
    },
}

/// A case status as staff type it (`booked`, `waitlisted`, …), the store's own names.
fn parse_status(s: &str) -> Result<buergerservice::store::Status, String> {
    serde_json::from_value(serde_json::Value::String(s.to_lowercase()))
        .map_err(|_| "one of new, proposed, booked, forwarded, waitlisted, cancelled, done, unclassified".to_string())
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Text,
}

/// Accepts RFC 3339 (`2027-04-06T08:41:12+02:00`) or a Berlin wall-clock time
/// (`2027-04-06T08:41`), and returns it in Europe/Berlin.
fn parse_now(s: &str) -> Result<Zoned, String> {
    buergerservice::tz::parse_instant(s).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`| head`) is not an error worth a message.
            if e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)) {
                return ExitCode::SUCCESS;
            }
            eprintln!("buergerservice: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Logs go to stderr (data to stdout). Under journald (JOURNAL_STREAM set) without
/// timestamps, since the journal adds its own. RUST_LOG filters; default: warnings.
fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let journald = std::env::var_os("JOURNAL_STREAM").is_some();
    match (format, journald) {
        (LogFormat::Json, _) => builder.json().init(),
        (LogFormat::Text, true) => builder.without_time().with_ansi(false).init(),
        (LogFormat::Text, false) => builder.init(),
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Triage { now, config, format, files } => cmd_triage(now, config, format, &files),
        Command::Run { demo: Some(dir), once, .. } => cmd_demo(&dir, once),
        Command::Run { config, once, maildir, outbox_dir, store, demo: None } => cmd_run(config, once, maildir, outbox_dir, store),
        Command::Agenda { config, store, date, staff, format } => {
            let date = date.unwrap_or_else(|| Zoned::now().with_time_zone(buergerservice::tz::berlin()).date());
            cmd_ops(OnStore { config, store, format }, ops::Command::Agenda { date, staff }, None)
        }
        Command::CheckConfig { config, connect } => cmd_check_config(config, connect),
        Command::Cases { action, on } => {
            let command = match action {
                CasesAction::List { status, department, since } => ops::Command::CasesList { status, department, since },
                CasesAction::Show { id } => ops::Command::CasesShow { id },
                CasesAction::Reassign { id, department } => ops::Command::CasesReassign { id, department },
                CasesAction::Note { id, text } => ops::Command::CasesNote { id, text: text.join(" ") },
                CasesAction::Done { id } => ops::Command::CasesDone { id },
                CasesAction::Cancel { id } => ops::Command::CasesCancel { id },
            };
            cmd_ops(on, command, None)
        }
        Command::Staff { action: StaffAction::Absent { name, from, to }, on } => {
            if to < from {
                anyhow::bail!("--to {to} lies before --from {from}");
            }
            cmd_ops(on, ops::Command::StaffAbsent { name, from, to }, None)
        }
        Command::Privacy { action, on } => match action {
            PrivacyAction::Export { email, out: Some(out) } => {
                // Personal data: readable by the caller only, and never half-written.
                let tmp = out.with_extension("part");
                let file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)
                    .with_context(|| format!("creating {}", tmp.display()))?;
                let code = cmd_ops_to(OnStore { format: Format::Json, ..on }, ops::Command::PrivacyExport { email }, None, file)?;
                std::fs::rename(&tmp, &out).with_context(|| format!("writing {}", out.display()))?;
                eprintln!("written to {}", out.display());
                Ok(code)
            }
            PrivacyAction::Export { email, out: None } => cmd_ops(OnStore { format: Format::Json, ..on }, ops::Command::PrivacyExport { email }, None),
            PrivacyAction::Erase { email, yes } => {
                if !yes {
                    anyhow::bail!("erasing everything held about {email} cannot be undone: add --yes (see `privacy export` first)");
                }
                cmd_ops(on, ops::Command::PrivacyErase { email }, None)
            }
            PrivacyAction::Purge => cmd_ops(on, ops::Command::PrivacyPurge, None),
        },
        Command::Store { action: StoreAction::Backup { file }, on } => {
            let file = std::path::absolute(&file).with_context(|| format!("backup file {}", file.display()))?;
            cmd_ops(on, ops::Command::StoreBackup { file: file.clone() }, Some(&file))
        }
        Command::Store { action: StoreAction::Restore { file, force }, on } => cmd_restore(on, &file, force),
        Command::When { now, text } => {
            let now = now.unwrap_or_else(|| Zoned::now().with_time_zone(buergerservice::tz::berlin()));
            let a = when::availability(&text.join(" "), &now);
            println!("{}", serde_json::to_string(&a)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn cmd_run(config: Option<PathBuf>, once: bool, maildir: Option<PathBuf>, outbox_dir: Option<PathBuf>, store: Option<PathBuf>) -> Result<ExitCode> {
    use buergerservice::config::{MailboxConfig, OutboxConfig};
    use buergerservice::daemon::{self, App};
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        // First of all, so that a SIGTERM during start-up is a clean stop too.
        let control = install_signal_handlers()?;
        let mut cfg = load_config(&config, store)?;
        if let Some(path) = maildir {
            cfg.mailbox = MailboxConfig::Maildir { path, poll_interval_ms: 500 };
        }
        if let Some(path) = outbox_dir {
            cfg.outbox = OutboxConfig::Directory { path };
        }
        // Opening the store (sled sets up its page table) while the rules compile: both
        // count towards how soon a backlog is answered after a restart.
        let store_path = cfg.store.path.clone();
        let (app, store) = std::thread::scope(|s| {
            let opening = s.spawn(|| open_store(&store_path));
            let app = App::load(cfg, config.is_none());
            (app, opening.join())
        });
        let mut app = app?;
        let mut store = store.map_err(|_| anyhow::anyhow!("opening the store at {}: the thread opening it panicked", store_path.display()))??;
        if !once {
            // After the store: holding its lock, no other daemon can be behind the socket.
            buergerservice::control::listen(&app.cfg.control_socket(), control.clone())?;
            if let Some(addr) = app.cfg.http.listen {
                let http = buergerservice::http::bind(addr).await?;
                tracing::info!(%addr, "http: serving /healthz and /metrics");
                tokio::spawn(buergerservice::http::serve(http, app.telemetry.clone(), app.cfg.http.health, control.clone()));
            }
        }
        spawn_watchdog();
        // Store open, configuration valid: the IMAP login follows (and retries on its own).
        let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
        let report = daemon::run(&mut app, &mut store, once, &control).await;
        let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
        store.flush()?;
        let report = report?;
        eprintln!(
            "buergerservice: {} mails handled ({} new cases, {} quarantined), {} replies delivered, {} waiting for retry",
            report.mails, report.created, report.quarantined, report.delivered.sent, report.delivered.deferred + report.delivered.waiting
        );
        Ok(ExitCode::SUCCESS)
    })
}

/// SIGTERM/SIGINT request a stop, SIGHUP a reload of rules and templates. Registered at
/// once (a signal that arrives before registration would kill the process).
fn install_signal_handlers() -> Result<std::sync::Arc<buergerservice::daemon::Control>> {
    use tokio::signal::unix::{signal, SignalKind};
    let control = std::sync::Arc::new(buergerservice::daemon::Control::default());
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let c = control.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
                _ = hup.recv() => {
                    tracing::info!("SIGHUP: reloading rules and templates");
                    c.request_reload();
                    continue;
                }
            }
            tracing::info!("stopping: finishing the mail in hand");
            c.request_stop();
        }
    });
    Ok(control)
}

fn cmd_demo(dir: &std::path::Path, once: bool) -> Result<ExitCode> {
    use buergerservice::config::{MailboxConfig, OutboxConfig};
    use buergerservice::daemon::{self, App};
    use buergerservice::demo;
    use buergerservice::source::maildir::Maildir;
    let mut cfg = Config {
        mailbox: MailboxConfig::Maildir { path: dir.join("maildir"), poll_interval_ms: 500 },
        outbox: OutboxConfig::Directory { path: dir.join("outbox") },
        ..Config::default()
    };
    cfg.store.path = dir.join("store");
    // The pilot starts in April 2027; the demo plans from today so there is something to see.
    let today = Zoned::now().with_time_zone(buergerservice::tz::berlin()).date();
    cfg.office.pilot_start = cfg.office.pilot_start.min(today);
    let mut app = App::load(cfg, true)?;
    let mut store = open_store(&app.cfg.store.path)?;
    let maildir = Maildir::open(&dir.join("maildir"))?;
    let no_signals = buergerservice::daemon::Control::default();
    if maildir.pending()?.is_empty() && store.cases_with_status(buergerservice::store::Status::Proposed)?.is_empty() {
        let n = demo::seed(&maildir)?;
        println!("demo: {n} sample mails delivered to {}", dir.join("maildir/new").display());
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let first = rt.block_on(daemon::run(&mut app, &mut store, true, &no_signals))?;
    println!("demo: {} mails handled, {} new cases", first.mails, first.created);
    if demo::citizen_answers(&store, &maildir)? {
        println!("demo: Sabine Wendel answers her proposal with \"2\"");
        rt.block_on(daemon::run(&mut app, &mut store, true, &no_signals))?;
    }
    println!("\ndemo: replies written to {}:", dir.join("outbox").display());
    for line in demo::describe_outbox(&dir.join("outbox")) {
        println!("  {line}");
    }
    if once {
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "\ndemo: the daemon keeps watching {}; drop an .eml into its new/ folder to see it answered (Ctrl-C stops)",
        dir.join("maildir").display()
    );
    rt.block_on(async {
        let control = install_signal_handlers()?;
        buergerservice::control::listen(&app.cfg.control_socket(), control.clone())?;
        daemon::run(&mut app, &mut store, false, &control).await?;
        anyhow::Ok(())
    })?;
    store.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Under systemd with WatchdogSec=, ping at half the interval while the runtime lives.
fn spawn_watchdog() {
    if let Some(interval) = sd_notify::watchdog_enabled() {
        tokio::spawn(async move {
            let period = interval / 2;
            loop {
                let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
                tokio::time::sleep(period).await;
            }
        });
    }
}

/// A staff or operator command: sent to the running daemon over its control socket, or
/// (no daemon) run here on the store directly.
fn cmd_ops(on: OnStore, command: ops::Command, attachment_to: Option<&std::path::Path>) -> Result<ExitCode> {
    cmd_ops_to(on, command, attachment_to, std::io::stdout().lock())
}

/// As `cmd_ops`, printing the records to `out`.
fn cmd_ops_to(on: OnStore, command: ops::Command, attachment_to: Option<&std::path::Path>, mut out: impl Write) -> Result<ExitCode> {
    use buergerservice::control::{self, Response};
    let OnStore { config, store, format } = on;
    let cfg = load_config(&config, store)?;
    let socket = cfg.control_socket();
    let request = control::Request { by: whoami(), command };
    let output = match control::call(&socket, &request, attachment_to)? {
        Some(Response::Ok { output, .. }) => output,
        Some(Response::Error { message }) => anyhow::bail!("{message}"),
        None => {
            // No daemon: this process opens the store (sled's lock keeps a daemon that
            // starts meanwhile out until we are done).
            let app = buergerservice::daemon::App::load(cfg, config.is_none())?;
            let mut store = open_store(&app.cfg.store.path).with_context(|| format!("no daemon answers on {}", socket.display()))?;
            let by = control::actor(&request.by, own_uid());
            let output = ops::execute(&app, &mut store, &request.command, &by, jiff::Timestamp::now())?;
            store.flush()?;
            output
        }
    };
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&output.json)?)?,
        Format::Text => write!(out, "{}", output.text)?,
    }
    out.flush()?;
    if let Some(note) = output.note {
        eprintln!("{note}");
    }
    Ok(ExitCode::SUCCESS)
}

fn load_config(config: &Option<PathBuf>, store: Option<PathBuf>) -> Result<Config> {
    let mut cfg = match config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    if let Some(path) = store {
        cfg.store.path = path;
    }
    Ok(cfg)
}

/// Restore replaces the store under the daemon's feet: only with the daemon stopped.
fn cmd_restore(on: OnStore, file: &std::path::Path, force: bool) -> Result<ExitCode> {
    let OnStore { config, store, format } = on;
    let cfg = load_config(&config, store)?;
    let socket = cfg.control_socket();
    if std::os::unix::net::UnixStream::connect(&socket).is_ok() {
        anyhow::bail!("a daemon runs on this store (it answers on {}): stop it first (systemctl stop buergerservice), restore, start it again", socket.display());
    }
    let report = buergerservice::store::Store::restore(file, &cfg.store.path, force)?;
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Text => {
            println!("restored {} records of {} trees into {} (backup taken {})", report.records, report.trees.len(), report.store.display(), report.created_at);
            if let Some(old) = &report.moved_aside {
                println!("the store that was there is kept in {}", old.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Who runs the CLI, for the case history: the user behind sudo, else the login name
/// (empty when unknown: the uid is added where it is known for sure).
fn whoami() -> String {
    ["SUDO_USER", "USER", "LOGNAME"].iter().find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty())).unwrap_or_default()
}

fn own_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(u32::MAX)
}

fn cmd_check_config(config: Option<PathBuf>, connect: bool) -> Result<ExitCode> {
    use buergerservice::config::{MailboxConfig, OutboxConfig};
    let app = buergerservice::daemon::App::load(load_config(&config, None)?, config.is_none())?;
    let concerns: usize = app.rules.departments.iter().map(|d| d.concerns.len()).sum();
    println!("config:    ok ({})", config.as_ref().map_or("built-in defaults".into(), |p| p.display().to_string()));
    println!("rules:     ok ({} departments, {concerns} concerns)", app.rules.departments.len());
    println!("templates: ok");
    println!("staff:     {} ({} match days)", app.planning.staff.len(), app.planning.calendar.match_days.len());
    if !connect {
        return Ok(ExitCode::SUCCESS);
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut failed = false;
    match &app.cfg.mailbox {
        MailboxConfig::Imap(imap) => match rt.block_on(buergerservice::source::imap::probe(imap)) {
            Ok(what) => println!("imap:      {what}"),
            Err(e) => {
                failed = true;
                println!("imap:      FAILED: {e}");
            }
        },
        MailboxConfig::Maildir { path, .. } => println!("mailbox:   Maildir {}", path.display()),
    }
    match &app.cfg.outbox {
        OutboxConfig::Smtp(smtp) => match rt.block_on(buergerservice::outbox::probe(smtp)) {
            Ok(what) => println!("smtp:      {what}"),
            Err(e) => {
                failed = true;
                println!("smtp:      FAILED: {e}");
            }
        },
        OutboxConfig::Directory { path } => println!("outbox:    directory {}", path.display()),
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn open_store(path: &std::path::Path) -> Result<buergerservice::store::Store> {
    buergerservice::store::Store::open(path).with_context(|| {
        format!("opening the store at {} (held by another process: a `run --once`, or a daemon whose [control] socket differs from this config's)", path.display())
    })
}

fn cmd_triage(now: Option<Zoned>, config: Option<PathBuf>, format: Format, files: &[PathBuf]) -> Result<ExitCode> {
    let (cfg, rules) = match &config {
        Some(path) => {
            let cfg = Config::load(path)?;
            let rules = cfg.rules.load().with_context(|| format!("loading the rules named in {}", path.display()))?;
            (cfg, rules)
        }
        None => (Config::default(), Rules::builtin()),
    };
    let planning = cfg.planning_rules(&cfg.fixture_kickoffs()?);
    let ctx = triage::Context { rules: &rules, planning: Some(&planning) };
    let fallback_now = Zoned::now().with_time_zone(buergerservice::tz::berlin());
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = 0usize;
    for path in files {
        let name = path.display().to_string();
        let result = std::fs::read(path)
            .map_err(|e| triage::TriageError { file: name.clone(), error: format!("cannot read: {e}") })
            .and_then(|raw| triage::triage(&name, &raw, now.as_ref(), &fallback_now, ctx));
        match result {
            Ok(t) => match format {
                Format::Json => writeln!(out, "{}", serde_json::to_string(&t)?)?,
                Format::Text => write_text(&mut out, &t)?,
            },
            Err(e) => {
                failed += 1;
                match format {
                    Format::Json => writeln!(out, "{}", serde_json::to_string(&e)?)?,
                    Format::Text => writeln!(out, "{}: ERROR {}\n", e.file, e.error)?,
                }
            }
        }
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn write_text(out: &mut impl Write, t: &Triage) -> std::io::Result<()> {
    writeln!(out, "{}", t.file)?;
    writeln!(out, "  kind:        {:?}", t.kind)?;
    writeln!(out, "  from:        {}", t.from.as_deref().unwrap_or("-"))?;
    writeln!(out, "  subject:     {}", t.subject)?;
    if let Some(d) = &t.department {
        writeln!(out, "  department:  {d}{}", if t.needs_specialist { " (Fachamt)" } else { "" })?;
    }
    if !t.concerns.is_empty() {
        writeln!(out, "  concerns:    {} (confidence {:.2})", t.concerns.join(", "), t.confidence)?;
    }
    if let Some(p) = t.persons {
        writeln!(out, "  persons:     {p}")?;
    }
    if let Some(a) = &t.address {
        writeln!(out, "  address:     {} {}, {} {}", a.street, a.house_number,
            a.postal_code.as_deref().unwrap_or(""), a.city.as_deref().unwrap_or(""))?;
    }
    if let Some(c) = &t.case_id {
        writeln!(out, "  case:        {c} choice={:?} cancel={} reschedule={}", t.choice, t.cancel, t.reschedule)?;
    }
    for p in t.proposals.iter().flatten() {
        writeln!(out, "  proposal:    {} – {} ({}){}", p.start.strftime("%a %d.%m.%Y %H:%M"), p.end.strftime("%H:%M"), p.staff,
            if p.fits { "" } else { " — does not fit the stated wish" })?;
    }
    let a = &t.availability;
    if a.stated {
        writeln!(out, "  available:   {} windows, {} exclusions", a.windows.len(), a.excluded.len())?;
        for w in a.windows.iter().take(5) {
            writeln!(out, "               {} – {}", w.start.strftime("%a %d.%m.%Y %H:%M"), w.end.strftime("%H:%M"))?;
        }
    } else {
        writeln!(out, "  available:   no wish stated")?;
    }
    for r in &t.reasons {
        writeln!(out, "  why:         {r}")?;
    }
    writeln!(out)
}
