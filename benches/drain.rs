//! The daemon against the limits of the mail server it runs on (issue 7), driven by
//! `scripts/bench`, which starts the mail stack and passes its directory:
//!
//!   cargo bench --bench drain -- --dir STACK_DIR --bin target/release/buergerservice [--quick]
//!
//! Measured side by side in one run: triage CPU, backlog drain against a raw IMAP fetch,
//! delivery against a plain SMTP client, APPEND→reply latency, peak RSS, store size.
//! Progress goes to stderr; the table and, as the very last line, the headline to stdout.

use async_imap::Session;
use buergerservice::classify::Rules;
use buergerservice::triage::{triage, Context};
use buergerservice::tz::berlin;
use futures_util::{StreamExt, TryStreamExt};
use lettre::address::Envelope;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

struct Args {
    quick: bool,
    dir: PathBuf,
    bin: PathBuf,
    imap_port: u16,
    smtp_port: u16,
}

fn args() -> Args {
    let mut quick = false;
    let mut dir = None;
    let mut bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/buergerservice");
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--dir" => dir = it.next().map(PathBuf::from),
            "--bin" => bin = it.next().map(PathBuf::from).unwrap_or(bin),
            _ => {} // cargo bench adds --bench
        }
    }
    let port = |var: &str, default: u16| std::env::var(var).ok().and_then(|p| p.parse().ok()).unwrap_or(default);
    Args {
        quick,
        dir: dir.expect("--dir STACK_DIR (the directory scripts/mailstack started)"),
        bin,
        imap_port: port("IMAP_PORT", 11143),
        smtp_port: port("SMTP_PORT", 11025),
    }
}

fn say(msg: &str) {
    eprintln!("bench: {msg}");
}

fn samples(filter: impl Fn(u32) -> bool) -> Vec<(u32, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples/mails");
    let mut out: Vec<(u32, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("../shared/samples/mails")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .filter_map(|p| {
            let n: u32 = p.file_name()?.to_str()?.get(..3)?.parse().ok()?;
            filter(n).then(|| (n, std::fs::read(&p).expect("sample readable")))
        })
        .collect();
    out.sort();
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

// ---------------------------------------------------------------------------------------
// 1. Triage CPU

struct TriageResult {
    n: usize,
    per_s: f64,
    mean: Duration,
    p99: Duration,
    max: Duration,
}

fn bench_triage(n: usize) -> TriageResult {
    let mails = samples(|_| true);
    let rules = Rules::builtin();
    // What the daemon runs per mail: no offline proposals (it plans against its agenda).
    let ctx = Context { rules: &rules, planning: None };
    let now = jiff::Zoned::now().with_time_zone(berlin());
    for (i, raw) in &mails {
        let _ = triage(&i.to_string(), raw, None, &now, ctx);
    }
    let mut times = Vec::with_capacity(n);
    let t = Instant::now();
    for k in 0..n {
        let (i, raw) = &mails[k % mails.len()];
        let s = Instant::now();
        std::hint::black_box(triage(&i.to_string(), raw, None, &now, ctx).ok());
        times.push(s.elapsed());
    }
    let total = t.elapsed();
    times.sort();
    TriageResult { n, per_s: n as f64 / total.as_secs_f64(), mean: total / n as u32, p99: percentile(&times, 0.99), max: *times.last().unwrap_or(&Duration::ZERO) }
}

// ---------------------------------------------------------------------------------------
// Mails: a sample with its own From and Message-ID, so that every copy is a new request.

fn rewrite(raw: &[u8], from: &str, id: &str) -> Vec<u8> {
    let (head, body) = match find(raw, b"\r\n\r\n") {
        Some(i) => (&raw[..i + 2], &raw[i + 2..]),
        None => match find(raw, b"\n\n") {
            Some(i) => (&raw[..i + 1], &raw[i + 1..]),
            None => (raw, &b""[..]),
        },
    };
    let mut out = format!("From: {from}\r\nMessage-ID: <{id}>\r\n").into_bytes();
    let mut skipping = false;
    for line in head.split_inclusive(|b| *b == b'\n') {
        let folded = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if folded {
            if !skipping {
                out.extend_from_slice(line);
            }
            continue;
        }
        let name = line.split(|b| *b == b':').next().unwrap_or(b"").to_ascii_lowercase();
        // Replies go to Reply-To when present: drop it so each copy has its own citizen.
        skipping = matches!(name.as_slice(), b"from" | b"message-id" | b"reply-to" | b"sender" | b"return-path" | b"in-reply-to" | b"references");
        if !skipping {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(body);
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn citizen(run: &str, copy: usize, sample: u32) -> String {
    format!("{run}c{copy}s{sample:03}")
}

/// Write mails straight into the Maildir (tens of times faster than APPEND); Dovecot
/// indexes them on the next SELECT.
fn seed_maildir(dir: &Path, run: &str, n: usize, mails: &[(u32, Vec<u8>)]) -> usize {
    let md = dir.join("mail/buergerbuero/Maildir");
    let (tmp, new) = (md.join("tmp"), md.join("new"));
    let mut bytes = 0;
    for k in 0..n {
        let (sample, raw) = &mails[k % mails.len()];
        let who = citizen(run, k, *sample);
        let mail = rewrite(raw, &format!("{who}@posteo.test"), &format!("{who}@posteo.test"));
        bytes += mail.len();
        let name = format!("{}.B{run}K{k}.bench", 1_700_000_000 + k);
        let t = tmp.join(&name);
        std::fs::write(&t, &mail).expect("write to tmp/");
        std::os::unix::fs::chown(&t, Some(8), Some(8)).expect("chown mail:mail");
        std::fs::rename(&t, new.join(&name)).expect("rename into new/");
    }
    bytes
}

// ---------------------------------------------------------------------------------------
// IMAP

async fn login(port: u16, user: &str) -> Session<TcpStream> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.expect("IMAP connect");
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.expect("greeting").expect("greeting");
    client.login(user, "test").await.map_err(|(e, _)| e).expect("IMAP login")
}

/// The raw baseline: one client fetching the whole INBOX as fast as it can.
async fn raw_fetch(port: u16) -> (usize, usize, Duration) {
    let t = Instant::now();
    let mut s = login(port, "buergerbuero").await;
    s.select("INBOX").await.expect("SELECT");
    let fetched: Vec<_> = s.uid_fetch("1:*", "(UID BODY.PEEK[])").await.expect("UID FETCH").try_collect().await.expect("UID FETCH");
    let el = t.elapsed();
    let bytes = fetched.iter().filter_map(|f| f.body()).map(<[u8]>::len).sum();
    let n = fetched.len();
    drop(fetched);
    let _ = s.logout().await;
    (n, bytes, el)
}

async fn inbox_count(port: u16, folder: &str) -> u32 {
    let mut s = login(port, "buergerbuero").await;
    let n = s.select(folder).await.map(|m| m.exists).unwrap_or(0);
    let _ = s.logout().await;
    n
}

// ---------------------------------------------------------------------------------------
// The daemon

fn write_config(path: &Path, store: &Path, imap_port: u16, smtp_port: u16) {
    let cfg = format!(
        r#"
[store]
path = "{store}"

[office]
pilot_start = "2020-01-01"

[mailbox]
kind = "imap"
host = "127.0.0.1"
port = {imap_port}
tls = "plain"
user = "buergerbuero"
password_env = "BS_BENCH_PASSWORD"

[outbox]
kind = "smtp"
host = "127.0.0.1"
port = {smtp_port}
tls = "plain"
"#,
        store = store.display()
    );
    std::fs::write(path, cfg).expect("write config");
}

struct RunStats {
    wall: Duration,
    /// Start to the "inbox drained" log line (None when nothing was in the inbox).
    drained: Option<Duration>,
    peak_rss_kib: u64,
    ok: bool,
    started: jiff::Timestamp,
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut esc = false;
    for c in s.chars() {
        if esc {
            if c.is_ascii_alphabetic() {
                esc = false;
            }
        } else if c == '\u{1b}' {
            esc = true;
        } else {
            out.push(c);
        }
    }
    out
}

/// `buergerservice run --config CFG --once`, timed, with its peak RSS (VmHWM polled
/// every 10 ms; it only grows, so the last reading before exit is the peak).
fn run_once(bin: &Path, config: &Path, log: &Path) -> RunStats {
    let logf = std::fs::File::create(log).expect("log file");
    let started = jiff::Timestamp::now();
    let t = Instant::now();
    let mut child = Command::new(bin)
        .args(["run", "--config", config.to_str().expect("utf-8 path"), "--once"])
        .env("BS_BENCH_PASSWORD", "test")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(logf.try_clone().expect("log fd"))
        .stderr(logf)
        .spawn()
        .expect("the daemon starts");
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        if let Some(k) = vm_hwm_kib(pid) {
            peak = peak.max(k);
        }
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let wall = t.elapsed();
    let text = strip_ansi(&std::fs::read_to_string(log).unwrap_or_default());
    let drained = text.lines().find(|l| l.contains("inbox drained")).and_then(|l| {
        let ts: jiff::Timestamp = l.split_whitespace().next()?.parse().ok()?;
        let d = ts.duration_since(started);
        Duration::try_from(d).ok()
    });
    RunStats { wall, drained, peak_rss_kib: peak, ok: status.success(), started }
}

/// Time from `started` to the last log line containing `what`.
fn last_logged(log: &Path, what: &str, started: jiff::Timestamp) -> Option<Duration> {
    let text = strip_ansi(&std::fs::read_to_string(log).ok()?);
    let line = text.lines().rfind(|l| l.contains(what))?;
    let ts: jiff::Timestamp = line.split_whitespace().next()?.parse().ok()?;
    Duration::try_from(ts.duration_since(started)).ok()
}

fn dir_size(p: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let (mut apparent, mut disk) = (0, 0);
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            let Ok(m) = e.metadata() else { continue };
            if m.is_dir() {
                let (a, d) = dir_size(&e.path());
                apparent += a;
                disk += d;
            } else {
                apparent += m.len();
                disk += m.blocks() * 512;
            }
        }
    }
    (apparent, disk)
}

fn count_files(p: &Path) -> usize {
    std::fs::read_dir(p).map(|rd| rd.flatten().map(|e| if e.path().is_dir() { count_files(&e.path()) } else { 1 }).sum()).unwrap_or(0)
}

/// Wait until Postfix has handed everything on (so one measurement does not pay for the last).
fn wait_postfix_idle(dir: &Path, within: Duration) -> usize {
    let q = dir.join("spool/postfix");
    let t = Instant::now();
    loop {
        let n: usize = ["maildrop", "incoming", "active", "deferred"].iter().map(|d| count_files(&q.join(d))).sum();
        if n == 0 || t.elapsed() > within {
            return n;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

struct Drain {
    n: usize,
    bytes: usize,
    fetch: Duration,
    fetch_n: usize,
    drain: Duration,
    wall: Duration,
    peak_rss_kib: u64,
    store_disk: u64,
    store_apparent: u64,
    outbox: usize,
    cases_ok: bool,
    store: PathBuf,
    config_real: PathBuf,
    reply_samples: BTreeSet<u32>,
}

fn bench_drain(a: &Args, rt: &tokio::runtime::Runtime, n: usize, run: &str) -> Drain {
    let mails = samples(|i| (1..=31).contains(&i));
    let work = a.dir.join(format!("bench-{run}"));
    std::fs::create_dir_all(&work).expect("work dir");
    let store = work.join("store");
    // Make sure the Maildir exists (Dovecot creates it on first SELECT) and is empty.
    let left = rt.block_on(inbox_count(a.imap_port, "INBOX"));
    assert_eq!(left, 0, "the INBOX must be empty before seeding");
    // The mail server still delivering an earlier phase's replies (Postfix → LMTP →
    // Dovecot) slowed both the raw fetch and the drain 3–5× in a run: start idle.
    let left = wait_postfix_idle(&a.dir, Duration::from_secs(300));
    say(&format!("{run}: postfix queue before: {left}"));
    let t = Instant::now();
    let bytes = seed_maildir(&a.dir, run, n, &mails);
    say(&format!("{run}: seeded {n} mails ({:.1} MiB) in {:.2?}", bytes as f64 / 1048576.0, t.elapsed()));
    // Dovecot indexes new/ on the first SELECT; do that untimed so both sides find it done.
    let t = Instant::now();
    let seen = rt.block_on(inbox_count(a.imap_port, "INBOX"));
    say(&format!("{run}: Dovecot indexed {seen} mails in {:.2?}", t.elapsed()));
    // Raw baseline, best of two (the first also warms Dovecot's caches for the daemon).
    let (fetch_n, _, f1) = rt.block_on(raw_fetch(a.imap_port));
    let (_, _, f2) = rt.block_on(raw_fetch(a.imap_port));
    let fetch = f1.min(f2);
    say(&format!("{run}: raw UID FETCH 1:* of {fetch_n} mails: {f1:.2?} / {f2:.2?}"));
    // Drain with an unreachable SMTP server (port 1: refused at once), so replies stay queued.
    let cfg_dead = work.join("config-dead-smtp.toml");
    write_config(&cfg_dead, &store, a.imap_port, 1);
    let config_real = work.join("config.toml");
    write_config(&config_real, &store, a.imap_port, a.smtp_port);
    let stats = run_once(&a.bin, &cfg_dead, &work.join("drain.log"));
    let drain = stats.drained.unwrap_or(stats.wall);
    say(&format!("{run}: daemon drain {drain:.2?} (process {:.2?}, exit ok {}), peak RSS {} KiB", stats.wall, stats.ok, stats.peak_rss_kib));
    let left = rt.block_on(inbox_count(a.imap_port, "INBOX"));
    let (store_apparent, store_disk) = dir_size(&store);
    let s = buergerservice::store::Store::open(&store).expect("store opens after the daemon exited");
    let outbox = s.outbox().expect("outbox");
    let prefix = run.to_string();
    let reply_samples = outbox
        .iter()
        .filter_map(|m| m.to.strip_prefix(&prefix)?.split_once('s')?.1.get(..3)?.parse().ok())
        .collect();
    let cases = (1..=n as u32 + 5).filter(|k| s.case(buergerservice::case_id::CaseId::new(jiff::Zoned::now().year(), *k)).ok().flatten().is_some()).count();
    drop(s);
    say(&format!("{run}: {cases} cases, {} replies queued, {left} mails left in INBOX", outbox.len()));
    Drain {
        n,
        bytes,
        fetch,
        fetch_n,
        drain,
        wall: stats.wall,
        peak_rss_kib: stats.peak_rss_kib,
        store_disk,
        store_apparent,
        outbox: outbox.len(),
        cases_ok: left == 0 && cases == n,
        store,
        config_real,
        reply_samples,
    }
}

// ---------------------------------------------------------------------------------------
// 2b. Delivery: the daemon against a plain SMTP client, same messages, same server.

struct Delivery {
    n: usize,
    plain: Duration,
    plain_conns: usize,
    daemon: Duration,
    wall: Duration,
    left: usize,
}

async fn plain_smtp(port: u16, msgs: &[(String, Vec<u8>)], conns: usize) -> Duration {
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(conns as u32))
        .build();
    let from: Address = "buergerbuero@hochheim.de".parse().expect("address");
    let t = Instant::now();
    let results: Vec<bool> = futures_util::stream::iter(msgs)
        .map(|(to, msg)| {
            let transport = &transport;
            let from = from.clone();
            async move {
                let Ok(to) = to.parse::<Address>() else { return false };
                let Ok(env) = Envelope::new(Some(from), vec![to]) else { return false };
                transport.send_raw(&env, msg).await.is_ok()
            }
        })
        .buffer_unordered(conns)
        .collect()
        .await;
    let el = t.elapsed();
    let failed = results.iter().filter(|ok| !**ok).count();
    if failed > 0 {
        say(&format!("plain SMTP client: {failed} of {} refused", msgs.len()));
    }
    el
}

fn bench_delivery(a: &Args, rt: &tokio::runtime::Runtime, d: &Drain) -> Delivery {
    let s = buergerservice::store::Store::open(&d.store).expect("store");
    let msgs: Vec<(String, Vec<u8>)> = s.outbox().expect("outbox").into_iter().map(|m| (m.to.replace('@', "+plain@"), m.message)).collect();
    drop(s);
    let mut best = (Duration::MAX, 0);
    // 4 connections take minutes for 10,000 mails and only show the scaling: quick runs only.
    let tries: &[usize] = if msgs.len() > 5_000 { &[8, 16] } else { &[4, 8, 16] };
    for &conns in tries {
        let left = wait_postfix_idle(&a.dir, Duration::from_secs(300));
        let t = rt.block_on(plain_smtp(a.smtp_port, &msgs, conns));
        say(&format!("plain SMTP client, {conns} connections: {} mails in {t:.2?} (postfix queue before: {left})", msgs.len()));
        if t < best.0 {
            best = (t, conns);
        }
    }
    let left = wait_postfix_idle(&a.dir, Duration::from_secs(300));
    let log = d.store.with_file_name("deliver.log");
    let stats = run_once(&a.bin, &d.config_real, &log);
    // Until the server accepted the last reply (the run may go on planning the waiting list).
    let delivered = last_logged(&log, "reply delivered", stats.started).unwrap_or(stats.wall);
    let s = buergerservice::store::Store::open(&d.store).expect("store");
    let remaining = s.outbox().expect("outbox").len();
    drop(s);
    say(&format!("daemon delivery: {delivered:.2?} to the last accepted reply, process {:.2?} (postfix queue before: {left}), {remaining} still in the outbox, exit ok {}", stats.wall, stats.ok));
    Delivery { n: msgs.len(), plain: best.0, plain_conns: best.1, daemon: delivered, wall: stats.wall, left: remaining }
}

// ---------------------------------------------------------------------------------------
// 3. Latency: APPEND → reply file in the citizen's Maildir, while the daemon idles.

struct Latency {
    n: usize,
    answered: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
    peak_rss_kib: u64,
}

fn bench_latency(a: &Args, rt: &tokio::runtime::Runtime, n: usize, reply_samples: &BTreeSet<u32>) -> Latency {
    let mails: Vec<(u32, Vec<u8>)> = samples(|i| reply_samples.contains(&i));
    assert!(!mails.is_empty(), "no sample got a reply in the drain run");
    let work = a.dir.join("bench-latency");
    std::fs::create_dir_all(&work).expect("work dir");
    let config = work.join("config.toml");
    write_config(&config, &work.join("store"), a.imap_port, a.smtp_port);
    let log = std::fs::File::create(work.join("daemon.log")).expect("log");
    let mut child = Command::new(&a.bin)
        .args(["run", "--config", config.to_str().expect("utf-8")])
        .env("BS_BENCH_PASSWORD", "test")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("fd"))
        .stderr(log)
        .spawn()
        .expect("daemon starts");
    let pid = child.id();
    // Let it connect, scan the (empty) INBOX and go idle.
    std::thread::sleep(Duration::from_secs(3));
    let mail_root = a.dir.join("mail");
    let result = rt.block_on(async {
        let pending: std::sync::Arc<std::sync::Mutex<HashMap<String, Instant>>> = Default::default();
        let done: std::sync::Arc<std::sync::Mutex<Vec<Duration>>> = Default::default();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let watcher = {
            let (pending, done, stop, root) = (pending.clone(), done.clone(), stop.clone(), mail_root.clone());
            tokio::task::spawn_blocking(move || loop {
                let now = Instant::now();
                let mut p = pending.lock().expect("lock");
                let arrived: Vec<String> = p.keys().filter(|who| std::fs::read_dir(root.join(who).join("Maildir/new")).is_ok_and(|mut rd| rd.next().is_some())).cloned().collect();
                for who in arrived {
                    if let Some(t) = p.remove(&who) {
                        done.lock().expect("lock").push(now - t);
                    }
                }
                let empty = p.is_empty();
                drop(p);
                if empty && stop.load(std::sync::atomic::Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(5));
            })
        };
        let mut s = login(a.imap_port, "buergerbuero").await;
        let mut seed: u64 = 0x2545F4914F6CDD1D;
        let run = format!("lat{}", std::process::id());
        for k in 0..n {
            let (sample, raw) = &mails[k % mails.len()];
            let who = citizen(&run, k, *sample);
            let mail = rewrite(raw, &format!("{who}@posteo.test"), &format!("{who}@posteo.test"));
            let t = Instant::now();
            s.append("INBOX", None, None, &mail).await.expect("APPEND");
            pending.lock().expect("lock").insert(who, t);
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            tokio::time::sleep(Duration::from_millis(100 + seed % 500)).await;
        }
        let _ = s.logout().await;
        // Stragglers: give each at most 20 s more.
        let t = Instant::now();
        while !pending.lock().expect("lock").is_empty() && t.elapsed() < Duration::from_secs(20) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        pending.lock().expect("lock").clear();
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = watcher.await;
        let mut v = done.lock().expect("lock").clone();
        v.sort();
        v
    });
    let peak = vm_hwm_kib(pid).unwrap_or(0);
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let _ = child.wait();
    Latency { n, answered: result.len(), p50: percentile(&result, 0.5), p99: percentile(&result, 0.99), max: *result.last().unwrap_or(&Duration::ZERO), peak_rss_kib: peak }
}

// ---------------------------------------------------------------------------------------

fn main() {
    let a = args();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let (big, small, lat_n) = if a.quick { (1_000, 200, 50) } else { (10_000, 1_000, 200) };
    let load = |when: &str| {
        let l = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        format!("load average {when}: {}", l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
    };
    let load_start = load("at start");
    say(&load_start);

    say(&format!("triage CPU over {big} mails"));
    let tr = bench_triage(big);
    say(&format!("triage: {:.0}/s, p99 {:.2?}", tr.per_s, tr.p99));

    let tag = std::process::id();
    let d_small = bench_drain(&a, &rt, small, &format!("s{tag}"));
    let d_big = bench_drain(&a, &rt, big, &format!("b{tag}"));
    let dl = bench_delivery(&a, &rt, &d_big);
    let all_replying: BTreeSet<u32> = d_big.reply_samples.clone();
    let lat = bench_latency(&a, &rt, lat_n, &all_replying);
    let load_end = load("at end");

    let drain_ratio = d_big.drain.as_secs_f64() / d_big.fetch.as_secs_f64();
    let delivery_ratio = dl.daemon.as_secs_f64() / dl.plain.as_secs_f64();
    let peak_mib = d_small.peak_rss_kib.max(d_big.peak_rss_kib) as f64 / 1024.0;
    let store_mib_per_10k = d_big.store_disk as f64 / 1048576.0 * 10_000.0 / d_big.n as f64;
    let mark = |ok: bool| if ok { "ok" } else { "MISSED" };

    let mut t = String::new();
    let _ = writeln!(t, "| # | measurement | figure | baseline / target | result |");
    let _ = writeln!(t, "|---|---|---|---|---|");
    let _ = writeln!(t, "| 1 | triage CPU, {} mails (40 samples replicated), one core | {:.0} mails/s; mean {:.2?}, p99 {:.2?}, max {:.2?} per mail | — | — |", tr.n, tr.per_s, tr.mean, tr.p99, tr.max);
    for d in [&d_small, &d_big] {
        let _ = writeln!(
            t,
            "| 2 | backlog drain, {} mails ({:.1} MiB) | {:.2} s to durable cases + queued replies ({:.0} mails/s; process {:.2} s); {} replies queued; all cases, INBOX empty: {} | raw `UID FETCH 1:*` of {} mails: {:.3} s ({:.0} mails/s) | ratio {:.2} (target ≤ 2.0) {} |",
            d.n,
            d.bytes as f64 / 1048576.0,
            d.drain.as_secs_f64(),
            d.n as f64 / d.drain.as_secs_f64(),
            d.wall.as_secs_f64(),
            d.outbox,
            d.cases_ok,
            d.fetch_n,
            d.fetch.as_secs_f64(),
            d.fetch_n as f64 / d.fetch.as_secs_f64(),
            d.drain.as_secs_f64() / d.fetch.as_secs_f64(),
            mark(d.drain.as_secs_f64() / d.fetch.as_secs_f64() <= 2.0)
        );
    }
    let _ = writeln!(
        t,
        "| 2 | delivery of {} queued replies | {:.2} s to the last reply accepted (whole `--once` run {:.2} s), {} left in the outbox | plain lettre client, {} connections: {:.2} s | ratio {:.2} (target ≤ 1.5) {} |",
        dl.n,
        dl.daemon.as_secs_f64(),
        dl.wall.as_secs_f64(),
        dl.left,
        dl.plain_conns,
        dl.plain.as_secs_f64(),
        delivery_ratio,
        mark(delivery_ratio <= 1.5 && dl.left == 0)
    );
    let _ = writeln!(
        t,
        "| 3 | latency APPEND → reply in the citizen's Maildir, {} mails at 100–600 ms intervals | p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; {} of {} answered | target p99 < 1 s | {} |",
        lat.n,
        ms(lat.p50),
        ms(lat.p99),
        ms(lat.max),
        lat.answered,
        lat.n,
        mark(lat.p99 < Duration::from_secs(1) && lat.answered == lat.n)
    );
    let _ = writeln!(
        t,
        "| 4 | peak RSS of the daemon (VmHWM) | {:.1} MiB at {} mails, {:.1} MiB at {} mails; idle daemon after the latency run {:.1} MiB | target < 64 MiB, flat | {} |",
        d_small.peak_rss_kib as f64 / 1024.0,
        d_small.n,
        d_big.peak_rss_kib as f64 / 1024.0,
        d_big.n,
        lat.peak_rss_kib as f64 / 1024.0,
        mark(peak_mib < 64.0)
    );
    let _ = writeln!(
        t,
        "| 5 | sled store on disk | {:.1} MiB for {} cases ({:.1} MiB apparent) → {:.1} MiB per 10,000 cases | — | — |",
        d_big.store_disk as f64 / 1048576.0,
        d_big.n,
        d_big.store_apparent as f64 / 1048576.0,
        store_mib_per_10k
    );
    let _ = writeln!(t, "\n{load_start}; {load_end} (2 cores shared with other builds).");
    let _ = writeln!(t, "drain_ratio {}, delivery_ratio {}", mark(drain_ratio <= 2.0), mark(delivery_ratio <= 1.5));
    print!("{t}");
    println!();
    println!(
        "triage_per_s={:.0} drain_ratio={:.2} delivery_ratio={:.2} p50_ms={:.0} p99_ms={:.0} peak_rss_mib={:.0} store_mib_per_10k={:.0}",
        tr.per_s,
        drain_ratio,
        delivery_ratio,
        ms(lat.p50),
        ms(lat.p99),
        peak_mib.ceil(),
        store_mib_per_10k.ceil()
    );
}
