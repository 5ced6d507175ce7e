//! The HTTP listener of the real binary: `/healthz` and `/metrics` after the demo mails
//! went through a Maildir daemon, checked with a real HTTP client; no listener unless
//! configured; a non-loopback address refused by `check-config`; SIGTERM still stops the
//! daemon promptly while a client holds a connection open.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

mod common;
use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_buergerservice");

fn demo_mails() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/demo/mails"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    v.sort();
    assert!(v.len() >= 4, "demo mails missing");
    v
}

const MAILDIR: &str = "[mailbox]\nkind = \"maildir\"\npath = \"maildir\"\npoll_interval_ms = 100\n";

fn write_config(dir: &Path, mailbox: &str, http: &str) -> PathBuf {
    let cfg = format!(
        "[office]\npilot_start = \"2020-01-01\"\n[store]\npath = \"store\"\n{mailbox}[outbox]\nkind = \"directory\"\npath = \"outbox\"\n{http}"
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, cfg).unwrap();
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(5))).build())
}

/// (status, content type, body) of a GET.
fn get(agent: &ureq::Agent, url: &str) -> Result<(u16, String, String), ureq::Error> {
    let mut r = agent.get(url).call()?;
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    Ok((r.status().as_u16(), ct, r.body_mut().read_to_string()?))
}

/// Parse the OpenMetrics text: every sample line must be `name{labels} value`; returns
/// series (name with labels, as written) → value.
fn parse_metrics(text: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample line: {line:?}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("not a number in {line:?}"));
        let name = series.split('{').next().unwrap();
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "bad metric name in {line:?}");
        out.insert(series.to_string(), value);
    }
    assert!(text.ends_with("# EOF\n"), "OpenMetrics ends with # EOF");
    out
}

fn metric(m: &BTreeMap<String, f64>, series: &str) -> f64 {
    m.get(series).copied().unwrap_or(0.0)
}

fn sum_of(m: &BTreeMap<String, f64>, name: &str) -> f64 {
    m.iter().filter(|(k, _)| k.split('{').next() == Some(name)).map(|(_, v)| v).sum()
}

/// Listening TCP sockets the process holds (its socket fds matched against the kernel's
/// table of listening sockets).
fn listening_sockets(pid: u32) -> usize {
    let inodes: HashSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|l| l.to_str()?.strip_prefix("socket:[")?.strip_suffix(']').map(str::to_string))
        .collect();
    ["tcp", "tcp6"]
        .iter()
        .filter_map(|t| std::fs::read_to_string(format!("/proc/{pid}/net/{t}")).ok())
        .flat_map(|table| {
            table.lines().skip(1).filter_map(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                (cols.get(3) == Some(&"0A")).then(|| cols.get(9).map(|s| s.to_string())).flatten()
            }).collect::<Vec<_>>()
        })
        .filter(|inode| inodes.contains(inode))
        .count()
}

/// (kind, department) of each demo mail as `triage` sees it.
fn triaged(files: &[PathBuf]) -> BTreeMap<(String, String), f64> {
    let out = Command::new(BIN).arg("triage").args(files).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut counts = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let kind = v["kind"].as_str().unwrap().to_string();
        let department = v["department"].as_str().unwrap_or("none").to_string();
        *counts.entry((kind, department)).or_insert(0.0) += 1.0;
    }
    counts
}

fn eml_count(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "eml")).count()).unwrap_or(0)
}

fn stop_within(child: &mut Child, limit: Duration, log: &Path) {
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(t.elapsed() < limit, "no exit within {limit:?} after SIGTERM\n{}", std::fs::read_to_string(log).unwrap_or_default());
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit status {status:?}\n{}", std::fs::read_to_string(log).unwrap_or_default());
}

#[test]
fn healthz_and_metrics_report_the_mails_and_replies_and_sigterm_still_stops() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = write_config(dir.path(), MAILDIR, &format!("[http]\nlisten = \"127.0.0.1:{port}\"\n"));
    let log = dir.path().join("daemon.log");
    let mut child = start_daemon(&config, &log, &[]);
    let base = format!("http://127.0.0.1:{port}");
    let agent = agent();
    wait_until("the listener", Duration::from_secs(20), || get(&agent, &format!("{base}/healthz")).is_ok());
    assert_eq!(listening_sockets(child.id()), 1, "exactly the HTTP listener (the control socket is a Unix socket)");

    let mails = demo_mails();
    let new = dir.path().join("maildir/new");
    std::fs::create_dir_all(&new).unwrap();
    for (i, m) in mails.iter().enumerate() {
        let tmp = dir.path().join(format!("tmp-{i}"));
        std::fs::copy(m, &tmp).unwrap();
        std::fs::rename(&tmp, new.join(format!("{i}.demo"))).unwrap();
    }
    let outbox = dir.path().join("outbox");
    let mut metrics = BTreeMap::new();
    wait_until("all mails decided and their replies delivered", Duration::from_secs(30), || {
        let Ok((200, _, text)) = get(&agent, &format!("{base}/metrics")) else { return false };
        metrics = parse_metrics(&text);
        sum_of(&metrics, "buergerservice_mails_total") == mails.len() as f64
            && metric(&metrics, "buergerservice_outbox_depth") == 0.0
            && metric(&metrics, "buergerservice_replies_sent_total") > 0.0
            && metric(&metrics, "buergerservice_replies_sent_total") == eml_count(&outbox) as f64
    });

    for ((kind, department), n) in triaged(&mails) {
        let series = format!("buergerservice_mails_total{{kind=\"{kind}\",department=\"{department}\"}}");
        assert_eq!(metric(&metrics, &series), n, "{series}\n{metrics:#?}");
    }
    assert_eq!(metric(&metrics, "buergerservice_replies_failed_total"), 0.0);
    assert_eq!(metric(&metrics, "buergerservice_imap_connected"), 1.0, "a Maildir counts as connected");
    assert_eq!(metric(&metrics, "buergerservice_mail_processing_seconds_count"), mails.len() as f64);
    assert!(sum_of(&metrics, "buergerservice_cases_created_total") >= 3.0, "{metrics:#?}");
    let fetched = metric(&metrics, "buergerservice_last_fetch_timestamp_seconds");
    assert!((jiff::Timestamp::now().as_second() as f64 - fetched).abs() < 60.0, "last fetch {fetched}");

    let (status, ct, body) = get(&agent, &format!("{base}/healthz")).unwrap();
    assert_eq!((status, ct.as_str()), (200, "application/json"), "{body}");
    let h: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(h["status"], "ok", "{h}");
    assert_eq!(h["imap_connected"], true, "{h}");
    assert_eq!(h["outbox_depth"], 0, "{h}");
    assert!(h["outbox_oldest_age_seconds"].is_null(), "{h}");
    assert!(h["last_fetch_age_seconds"].as_i64().is_some_and(|a| (0..60).contains(&a)), "{h}");

    assert_eq!(get(&agent, &format!("{base}/nope")).unwrap().0, 404);
    assert_eq!(agent.post(&format!("{base}/metrics")).send_empty().unwrap().status().as_u16(), 405);

    // A client that connected and sends nothing must not keep the daemon alive.
    let _idle = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stop_within(&mut child, Duration::from_secs(5), &log);
    let text = std::fs::read_to_string(&log).unwrap();
    for m in &mails {
        let raw = std::fs::read_to_string(m).unwrap();
        let from = raw.lines().find_map(|l| l.strip_prefix("From:")).unwrap().trim();
        let address = from.rsplit_once('<').map_or(from, |(_, a)| a.trim_end_matches('>'));
        assert!(!text.contains(address), "the log names a sender ({address}):\n{text}");
    }
}

#[test]
fn no_listener_unless_configured() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), MAILDIR, "");
    let log = dir.path().join("daemon.log");
    let mut child = start_daemon(&config, &log, &[]);
    wait_until("start", Duration::from_secs(20), || dir.path().join("maildir/new").is_dir());
    // Let start-up finish (the listener would be bound before the first mailbox scan).
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(listening_sockets(child.id()), 0, "{}", std::fs::read_to_string(&log).unwrap_or_default());
    stop_within(&mut child, Duration::from_secs(5), &log);
    assert!(!std::fs::read_to_string(&log).unwrap().contains("/metrics"));
}

#[test]
fn check_config_refuses_a_non_loopback_listen_address_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), MAILDIR, "[http]\nlisten = \"0.0.0.0:9187\"\n");
    let out = Command::new(BIN).args(["check-config", "--config", config.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("http.listen") && text.contains("0.0.0.0:9187") && text.contains("allow_remote"), "{text}");

    let config = write_config(dir.path(), MAILDIR, "[http]\nlisten = \"0.0.0.0:9187\"\nallow_remote = true\n");
    let out = Command::new(BIN).args(["check-config", "--config", config.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn imap_mailbox(port: u16) -> String {
    format!("[mailbox]\nkind = \"imap\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"plain\"\nuser = \"buergerbuero\"\npassword_env = \"BS_TEST_PASSWORD\"\npoll_interval_secs = 1\n")
}

fn start_imap(config: &Path, log: &Path) -> Child {
    start_daemon(config, log, &[("BS_TEST_PASSWORD", "test")])
}

/// A scripted IMAP server with an empty INBOX and no IDLE (so the daemon polls with NOOP).
/// It drops its first connection at the first NOOP, as a server restart would; later
/// connections are served normally.
fn fake_imap() -> u16 {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for (n, conn) in listener.incoming().enumerate() {
            let Ok(mut out) = conn else { return };
            let mut input = BufReader::new(out.try_clone().unwrap());
            let _ = out.write_all(b"* OK fake IMAP ready\r\n");
            let mut line = String::new();
            while matches!(input.read_line(&mut line), Ok(1..)) {
                let words: Vec<String> = line.split_whitespace().map(str::to_ascii_uppercase).collect();
                let tag = line.split_whitespace().next().unwrap_or("*").to_string();
                line.clear();
                let command = match words.get(1).map(String::as_str) {
                    Some("UID") => words.get(2).cloned().unwrap_or_default(),
                    Some(c) => c.to_string(),
                    None => continue,
                };
                let reply = match command.as_str() {
                    "CAPABILITY" => format!("* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n"),
                    "SELECT" => format!("* 0 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 1] ok\r\n* FLAGS (\\Seen)\r\n{tag} OK [READ-WRITE] selected\r\n"),
                    "SEARCH" => format!("* SEARCH\r\n{tag} OK done\r\n"),
                    "NOOP" if n == 0 => break,
                    "LOGOUT" => format!("* BYE\r\n{tag} OK bye\r\n"),
                    _ => format!("{tag} OK done\r\n"),
                };
                if out.write_all(reply.as_bytes()).is_err() || command == "LOGOUT" {
                    break;
                }
            }
        }
    });
    port
}

#[test]
fn imap_connection_loss_is_counted_as_a_reconnect_and_health_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let http_port = free_port();
    let config = write_config(dir.path(), &imap_mailbox(fake_imap()), &format!("[http]\nlisten = \"127.0.0.1:{http_port}\"\n"));
    let log = dir.path().join("daemon.log");
    let mut child = start_imap(&config, &log);
    let agent = agent();
    let mut metrics = BTreeMap::new();
    wait_until("a reconnect after the dropped connection", Duration::from_secs(30), || {
        let Ok((200, _, text)) = get(&agent, &format!("http://127.0.0.1:{http_port}/metrics")) else { return false };
        metrics = parse_metrics(&text);
        metric(&metrics, "buergerservice_imap_reconnects_total") == 1.0 && metric(&metrics, "buergerservice_imap_connected") == 1.0
    });
    assert!(metric(&metrics, "buergerservice_last_fetch_timestamp_seconds") > 0.0, "{metrics:#?}");
    let (status, _, body) = get(&agent, &format!("http://127.0.0.1:{http_port}/healthz")).unwrap();
    let h: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, &h["mailbox"], &h["imap_connected"]), (200, &serde_json::json!("imap"), &serde_json::json!(true)), "{h}");
    stop_within(&mut child, Duration::from_secs(5), &log);
}

#[test]
fn unreachable_mailbox_makes_healthz_503_after_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    // Both bound at once, so the two ports differ; nothing listens on the IMAP one later.
    let (a, b) = (std::net::TcpListener::bind("127.0.0.1:0").unwrap(), std::net::TcpListener::bind("127.0.0.1:0").unwrap());
    let (imap_port, http_port) = (a.local_addr().unwrap().port(), b.local_addr().unwrap().port());
    drop((a, b));
    let config = write_config(dir.path(), &imap_mailbox(imap_port), &format!("[http]\nlisten = \"127.0.0.1:{http_port}\"\nmax_mailbox_down_secs = 1\n"));
    let log = dir.path().join("daemon.log");
    let mut child = start_imap(&config, &log);
    let agent = agent();
    let url = format!("http://127.0.0.1:{http_port}/healthz");
    let mut last = None;
    wait_until("/healthz to turn 503", Duration::from_secs(20), || {
        last = get(&agent, &url).ok();
        last.as_ref().is_some_and(|(status, _, _)| *status == 503)
    });
    let (_, ct, body) = last.unwrap();
    assert_eq!(ct, "application/json");
    let h: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((&h["status"], &h["imap_connected"]), (&serde_json::json!("unhealthy"), &serde_json::json!(false)), "{h}");
    assert!(h["problems"][0].as_str().unwrap().contains("mailbox not connected"), "{h}");
    assert!(h["last_fetch_age_seconds"].is_null(), "{h}");
    let (_, _, text) = get(&agent, &format!("http://127.0.0.1:{http_port}/metrics")).unwrap();
    assert_eq!(metric(&parse_metrics(&text), "buergerservice_imap_connected"), 0.0);
    stop_within(&mut child, Duration::from_secs(5), &log);
}
