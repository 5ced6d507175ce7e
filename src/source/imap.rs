//! IMAP intake (async-imap on tokio, TLS by rustls). SELECT the folder, fetch new mail
//! with BODY.PEEK[] (never relying on \Seen: a person may have opened it elsewhere), wait
//! with IDLE (re-issued well within 29 minutes) or poll when the server lacks IDLE.
//! UIDVALIDITY and the last UID handled are kept in the store; after every (re)connect
//! the whole folder is scanned once, so a mail left behind by a crash is picked up and
//! recognised by the store instead of answered twice. Handled mail is MOVEd (or COPY +
//! \Deleted + EXPUNGE) to `Processed`, unreadable mail to `Quarantine`.

use crate::config::{ImapConfig, Tls};
use crate::daemon::{decide_batch, App, Chores, Control, DaemonError, RunReport, BATCH};
use crate::outbox::{is_loopback, read_secret};
use crate::source::Disposition;
use crate::store::Store;
use async_imap::extensions::idle::IdleResponse;
use async_imap::types::UnsolicitedResponse;
use async_imap::{Client, Session};
use futures_util::{Stream, TryStreamExt};
use jiff::Timestamp;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

/// A plain or TLS connection behind one type.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Io for T {}
type Conn = Box<dyn Io>;

/// How long one IMAP command may take before the connection counts as lost.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

async fn timed<T, E: std::fmt::Display>(what: &str, f: impl Future<Output = Result<T, E>>) -> Result<T, String> {
    match tokio::time::timeout(COMMAND_TIMEOUT, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!("{what}: no answer within {}s", COMMAND_TIMEOUT.as_secs())),
    }
}

async fn collect<S, T, E>(what: &str, s: S) -> Result<Vec<T>, String>
where
    S: Stream<Item = Result<T, E>>,
    E: std::fmt::Display,
{
    timed(what, s.try_collect::<Vec<T>>()).await
}

fn tls_connector() -> TlsConnector {
    let roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

async fn tls(host: &str, tcp: TcpStream) -> Result<Conn, String> {
    let name = ServerName::try_from(host.to_string()).map_err(|e| format!("server name {host}: {e}"))?;
    let stream = timed("TLS handshake", tls_connector().connect(name, tcp)).await?;
    Ok(Box::new(stream))
}

/// Connect and log in.
pub async fn connect(cfg: &ImapConfig) -> Result<Session<Conn>, String> {
    if cfg.tls == Tls::Plain && !is_loopback(&cfg.host) {
        return Err(format!("mailbox.tls = \"plain\" is only allowed to a loopback address, not {}", cfg.host));
    }
    let password = read_secret(cfg.password_file.as_deref(), cfg.password_env.as_deref(), "mailbox")?;
    let tcp = timed("connect", TcpStream::connect((cfg.host.as_str(), cfg.port))).await?;
    let conn: Conn = match cfg.tls {
        Tls::Implicit => tls(&cfg.host, tcp).await?,
        Tls::Plain => Box::new(tcp),
        Tls::Starttls => {
            let mut client = Client::new(tcp);
            timed("greeting", async { client.read_response().await.transpose().map(|_| ()) }).await?;
            timed("STARTTLS", client.run_command_and_check_ok("STARTTLS", None)).await?;
            tls(&cfg.host, client.into_inner()).await?
        }
    };
    let mut client = Client::new(conn);
    if cfg.tls != Tls::Starttls {
        timed("greeting", async { client.read_response().await.transpose().map(|_| ()) }).await?;
    }
    timed("LOGIN", async { client.login(&cfg.user, &password).await.map_err(|(e, _)| e) }).await
}

/// Why a session ended.
enum End {
    Shutdown,
    Done,
}

/// Run the IMAP intake until shutdown (or, with `once`, until the folder is empty).
pub async fn run(
    app: &mut App,
    store: &mut Store,
    cfg: &ImapConfig,
    once: bool,
    control: &Control,
) -> Result<RunReport, DaemonError> {
    let mut chores = Chores::new(app, store)?;
    let mut report = RunReport::default();
    let mut delay = Duration::from_secs(1);
    let mut was_down = false;
    loop {
        match session(app, store, cfg, once, &mut chores, &mut report, control, &mut was_down).await {
            Ok(End::Shutdown | End::Done) => return Ok(report),
            Err(DaemonError::Imap(why)) => {
                app.telemetry.imap_down(Timestamp::now());
                if once {
                    // Deliver what is queued before giving up.
                    chores.run(app, store, &mut report).await?;
                    return Err(DaemonError::Imap(why));
                }
                if !was_down {
                    tracing::warn!("IMAP connection lost, reconnecting with backoff: {why}");
                    was_down = true;
                }
                // Exponential backoff with jitter, so restarting servers are not stormed.
                let jitter = Duration::from_millis(u64::from(Timestamp::now().subsec_nanosecond().unsigned_abs()) % 1000);
                // Staff commands are served while the mailbox is away.
                let wait = tokio::time::sleep(delay + jitter);
                tokio::pin!(wait);
                loop {
                    tokio::select! {
                        _ = control.stopped() => return Ok(report),
                        _ = control.commands.arrived() => crate::daemon::serve_commands(app, store, control),
                        _ = &mut wait => break,
                    }
                }
                delay = (delay * 2).min(Duration::from_secs(300));
                // Replies still go out while the mailbox is away.
                chores.run(app, store, &mut report).await?;
            }
            Err(other) => return Err(other),
        }
        if !was_down {
            delay = Duration::from_secs(1);
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn session(
    app: &mut App,
    store: &mut Store,
    cfg: &ImapConfig,
    once: bool,
    chores: &mut Chores,
    report: &mut RunReport,
    control: &Control,
    was_down: &mut bool,
) -> Result<End, DaemonError> {
    let imap = DaemonError::Imap;
    let mut s = connect(cfg).await.map_err(imap)?;
    app.telemetry.imap_up();
    if std::mem::take(was_down) {
        tracing::info!("IMAP connection restored");
    } else {
        tracing::info!(host = %cfg.host, "IMAP connected");
    }
    let caps = timed("CAPABILITY", s.capabilities()).await.map_err(imap)?;
    let (has_idle, has_move) = (caps.has_str("IDLE"), caps.has_str("MOVE"));
    for folder in [&cfg.processed_folder, &cfg.quarantine_folder] {
        // Already existing is fine; a real problem shows when moving.
        let _ = timed("CREATE", s.create(folder)).await;
    }
    let mailbox = timed("SELECT", s.select(&cfg.folder)).await.map_err(imap)?;
    let validity = mailbox.uid_validity.unwrap_or(0);
    let mut last = match store.imap_state(&cfg.folder)? {
        Some((v, last)) if v == validity => last,
        Some(_) => {
            tracing::warn!(folder = %cfg.folder, "UIDVALIDITY changed: scanning the whole folder again");
            0
        }
        None => 0,
    };
    let mut full_scan = true;
    loop {
        if control.take_reload() {
            app.reload();
        }
        let app = &*app;
        crate::daemon::serve_commands(app, store, control);
        crate::daemon::purge_if_due(app, store)?;
        // Notifications from before this search are answered by it.
        let _ = new_mail_reported(&s);
        // After (re)connecting everything in the folder, later only what is new.
        let query = if full_scan { "ALL".to_string() } else { format!("UID {}:*", last.saturating_add(1)) };
        let mut uids: Vec<u32> = timed("UID SEARCH", s.uid_search(&query)).await.map_err(imap)?.into_iter().collect();
        uids.retain(|u| full_scan || *u > last);
        uids.sort_unstable();
        full_scan = false;
        let mut reported = false;
        let chunks: Vec<&[u32]> = uids.chunks(BATCH).collect();
        let uid_set = |chunk: &[u32]| chunk.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        let mut fetched = match chunks.first() {
            Some(first) => {
                let stream = timed("UID FETCH", s.uid_fetch(uid_set(first), "(UID BODY.PEEK[])")).await.map_err(imap)?;
                collect("UID FETCH", stream).await.map_err(imap)?
            }
            None => Vec::new(),
        };
        for k in 0..chunks.len() {
            if control.stopping() {
                break;
            }
            let (mut processed, mut quarantine) = (Vec::new(), Vec::new());
            let mails: Vec<(u32, &[u8])> = fetched.iter().filter_map(|f| Some((f.uid?, f.body()?))).collect();
            let raws: Vec<&[u8]> = mails.iter().map(|(_, raw)| *raw).collect();
            // The next batch is asked for before this one is decided: the server reads
            // it from disk and sends it while we work, instead of after (a backlog's
            // drain waited for a FETCH round trip per batch).
            let (dispositions, next) = {
                let asked = match chunks.get(k + 1) {
                    Some(n) => Some(timed("UID FETCH", s.uid_fetch(uid_set(n), "(UID BODY.PEEK[])")).await.map_err(imap)?),
                    None => None,
                };
                let dispositions = decide_batch(app, store, &raws, Timestamp::now(), report)?;
                let next = match asked {
                    Some(stream) => collect("UID FETCH", stream).await.map_err(imap)?,
                    None => Vec::new(),
                };
                (dispositions, next)
            };
            for ((uid, _), disposition) in mails.iter().zip(dispositions) {
                match disposition {
                    Disposition::Processed => processed.push(*uid),
                    Disposition::Quarantine => quarantine.push(*uid),
                }
                last = last.max(*uid);
            }
            store.set_imap_state(&cfg.folder, validity, last)?;
            // Durable before the mails leave the INBOX and before anything is sent.
            store.flush()?;
            move_mails(&mut s, &processed, &cfg.processed_folder, has_move).await.map_err(imap)?;
            move_mails(&mut s, &quarantine, &cfg.quarantine_folder, has_move).await.map_err(imap)?;
            // Every moved mail comes back as an untagged EXPUNGE, which async-imap queues
            // without bound: read them per batch, or a backlog's worth piles up in memory.
            reported |= new_mail_reported(&s);
            fetched = next;
        }
        if !control.stopping() {
            app.telemetry.fetched(Timestamp::now());
        }
        if !uids.is_empty() {
            // The point benchmarks and operators measure a backlog drain against.
            tracing::info!(mails = uids.len(), "inbox drained: every mail has a durable case, replies queued");
        }
        chores.run(app, store, report).await?;
        // Mail that arrived while we were busy is reported in the responses to our own
        // commands (async-imap queues those), and Dovecot does not repeat it when IDLE
        // starts: without this check it waited for the next IDLE renewal (30 s).
        if !once && (new_mail_reported(&s) || reported) {
            continue;
        }
        if once {
            let _ = timed("LOGOUT", s.logout()).await;
            return Ok(End::Done);
        }
        // Wake at least every half minute for the outbox and reminders.
        let wait = Duration::from_secs(cfg.idle_renew_secs.clamp(5, 29 * 60)).min(Duration::from_secs(30));
        if has_idle {
            let mut idle = s.idle();
            timed("IDLE", idle.init()).await.map_err(imap)?;
            let stop;
            let outcome = {
                let (wait_fut, stop_source) = idle.wait_with_timeout(wait);
                stop = stop_source;
                tokio::select! {
                    r = wait_fut => Some(r),
                    _ = control.stopped() => None,
                    // A staff command: leave IDLE, serve it at the top of the loop.
                    _ = control.commands.arrived() => Some(Ok(IdleResponse::ManualInterrupt)),
                }
            };
            drop(stop);
            s = timed("DONE", idle.done()).await.map_err(imap)?;
            match outcome {
                None => {
                    let _ = timed("LOGOUT", s.logout()).await;
                    return Ok(End::Shutdown);
                }
                Some(Err(e)) => return Err(imap(format!("IDLE: {e}"))),
                Some(Ok(IdleResponse::NewData(_) | IdleResponse::Timeout | IdleResponse::ManualInterrupt)) => {}
            }
        } else {
            tokio::select! {
                _ = control.stopped() => {
                    let _ = timed("LOGOUT", s.logout()).await;
                    return Ok(End::Shutdown);
                }
                _ = control.commands.arrived() => {}
                _ = tokio::time::sleep(Duration::from_secs(cfg.poll_interval_secs.max(1)).min(wait)) => {}
            }
            // Polling: NOOP keeps the session alive and lets the server report new mail.
            timed("NOOP", s.noop()).await.map_err(imap)?;
        }
    }
}

/// Whether the server announced new mail (EXISTS) since the last call.
fn new_mail_reported(s: &Session<Conn>) -> bool {
    let mut new = false;
    while let Ok(r) = s.unsolicited_responses.try_recv() {
        new |= matches!(r, UnsolicitedResponse::Exists(_));
    }
    new
}

async fn move_mails(s: &mut Session<Conn>, uids: &[u32], target: &str, has_move: bool) -> Result<(), String> {
    if uids.is_empty() {
        return Ok(());
    }
    let set = uids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    if has_move {
        return timed("UID MOVE", s.uid_mv(&set, target)).await;
    }
    timed("UID COPY", s.uid_copy(&set, target)).await?;
    let flags = timed("UID STORE", s.uid_store(&set, "+FLAGS.SILENT (\\Deleted)")).await?;
    collect("UID STORE", flags).await?;
    let expunged = timed("UID EXPUNGE", s.uid_expunge(&set)).await?;
    collect("UID EXPUNGE", expunged).await?;
    Ok(())
}

/// Used by `check-config --connect` and tests: log in and say what the server offers.
pub async fn probe(cfg: &ImapConfig) -> Result<String, String> {
    let mut s = connect(cfg).await?;
    let caps = timed("CAPABILITY", s.capabilities()).await?;
    let mailbox = timed("SELECT", s.select(&cfg.folder)).await?;
    let _ = timed("LOGOUT", s.logout()).await;
    Ok(format!("IMAP login ok; {} mails in {}; IDLE {}", mailbox.exists, cfg.folder, if caps.has_str("IDLE") { "yes" } else { "no (polling)" }))
}
