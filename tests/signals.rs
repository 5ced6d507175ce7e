//! The binary under signals: SIGTERM while mails are in flight loses nothing and exits 0
//! quickly; SIGHUP reloads the rules, refusing a broken file and keeping the old rules.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

mod common;
use common::*;

fn setup(dir: &Path) -> PathBuf {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    for e in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/rules")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, rules.join(p.file_name().unwrap())).unwrap();
    }
    let cfg = "[rules]\ndir = \"rules\"\n[office]\npilot_start = \"2020-01-01\"\n[store]\npath = \"store\"\n\
[mailbox]\nkind = \"maildir\"\npath = \"maildir\"\npoll_interval_ms = 100\n[outbox]\nkind = \"directory\"\npath = \"outbox\"\n".to_string();
    let path = dir.join("config.toml");
    std::fs::write(&path, cfg).unwrap();
    path
}

fn signal(child: &Child, sig: &str) {
    assert!(Command::new("kill").args([sig, &child.id().to_string()]).status().unwrap().success());
}

fn deliver(dir: &Path, i: usize, body: &str) {
    let new = dir.join("maildir/new");
    std::fs::create_dir_all(&new).unwrap();
    let date = jiff::Zoned::now().strftime("%a, %d %b %Y %H:%M:%S %z");
    let mail = format!("From: buerger{i}@posteo.test\r\nTo: buergerbuero@hochheim.de\r\nSubject: Anliegen {i}\r\nDate: {date}\r\nMessage-ID: <sig-{i}@posteo.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n");
    let tmp = dir.join(format!("tmp-{i}"));
    std::fs::write(&tmp, mail).unwrap();
    std::fs::rename(&tmp, new.join(format!("{i}.sig"))).unwrap();
}

fn count(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

#[test]
fn sigterm_with_mails_in_flight_loses_nothing_and_exits_promptly() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path());
    let log = dir.path().join("daemon.log");
    let mut child = start_daemon(&config, &log, &[]);
    for i in 0..60 {
        deliver(dir.path(), i, "Ich brauche einen neuen Personalausweis, werktags ab 17 Uhr.");
    }
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "-TERM");
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "no exit within 10 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit status {status:?}\n{}", std::fs::read_to_string(&log).unwrap());
    // Whatever was in hand is finished; a second run handles the rest, and nothing twice.
    let out = Command::new(env!("CARGO_BIN_EXE_buergerservice")).args(["run", "--once", "--config", config.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(count(&dir.path().join("maildir/new")), 0);
    assert_eq!(count(&dir.path().join("maildir/.Processed/cur")), 60);
    assert_eq!(count(&dir.path().join("outbox")) / if has_envelopes(&dir.path().join("outbox")) { 2 } else { 1 }, 60, "one reply per mail");
}

/// lettre's file transport may write an envelope file beside each mail.
fn has_envelopes(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| e.unwrap().path().extension().is_some_and(|x| x == "json"))
}

#[test]
fn sighup_reloads_rules_and_refuses_a_broken_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path());
    let log = dir.path().join("daemon.log");
    let mut child = start_daemon(&config, &log, &[]);
    let logged = |s: &str| std::fs::read_to_string(&log).unwrap_or_default().contains(s);
    wait_until("start", Duration::from_secs(10), || dir.path().join("maildir/new").is_dir());
    // Break a rule file: the reload is refused and the old rules keep working.
    let bb = dir.path().join("rules/buergerbuero.toml");
    let good = std::fs::read_to_string(&bb).unwrap();
    std::fs::write(&bb, good.replacen("regex = '", "regex = '(unclosed", 1)).unwrap();
    signal(&child, "-HUP");
    wait_until("the refusal in the log", Duration::from_secs(10), || logged("reload refused"));
    deliver(dir.path(), 1, "Ich brauche einen neuen Personalausweis.");
    wait_until("the reply", Duration::from_secs(10), || count(&dir.path().join("outbox")) > 0);
    // Repaired: the reload goes through.
    std::fs::write(&bb, good).unwrap();
    signal(&child, "-HUP");
    wait_until("the reload in the log", Duration::from_secs(10), || logged("rules and templates reloaded"));
    signal(&child, "-TERM");
    assert!(child.wait().unwrap().success());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("buergerbuero.toml") && text.contains("regex"), "the refusal names the file and the cause:\n{text}");
}
