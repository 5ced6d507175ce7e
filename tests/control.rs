//! The staff CLI while the daemon runs: commands go through the daemon's control socket
//! (sled lets one process open the store) and work the same on the store directly when no
//! daemon runs. Real binary, real store, Maildir mailbox, directory outbox.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

struct Daemon {
    child: Child,
    log: PathBuf,
}

impl Daemon {
    fn start(config: &Path, dir: &Path) -> Daemon {
        let log = dir.join("daemon.log");
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_buergerservice"))
            .args(["run", "--config", config.to_str().unwrap()])
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap();
        let d = Daemon { child, log };
        wait_until("the control socket", Duration::from_secs(20), || dir.join("store.sock").exists());
        d
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn stop(mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "daemon exit {status:?}\n{}", self.log());
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn setup(dir: &Path) -> PathBuf {
    let cfg = "[office]\npilot_start = \"2020-01-01\"\n[store]\npath = \"store\"\n\
[mailbox]\nkind = \"maildir\"\npath = \"maildir\"\npoll_interval_ms = 100\n[outbox]\nkind = \"directory\"\npath = \"outbox\"\n";
    let path = dir.join("config.toml");
    std::fs::write(&path, cfg).unwrap();
    std::fs::create_dir_all(dir.join("maildir/new")).unwrap();
    path
}

fn deliver(dir: &Path, name: &str, from: &str, subject: &str, body: &str) {
    let date = jiff::Zoned::now().strftime("%a, %d %b %Y %H:%M:%S %z");
    let mail = format!(
        "From: {from}\r\nTo: buergerbuero@hochheim.de\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <{name}@test.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    );
    let tmp = dir.join(format!("tmp-{name}"));
    std::fs::write(&tmp, mail).unwrap();
    std::fs::rename(&tmp, dir.join("maildir/new").join(format!("{name}.eml"))).unwrap();
}

fn wait_until(what: &str, within: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn cli(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_buergerservice")).args(args).args(["--config", config.to_str().unwrap()]).output().unwrap()
}

fn json(config: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let out = cli(config, &all);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn processed(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("maildir/.Processed/cur")).map(|d| d.count()).unwrap_or(0)
}

#[test]
fn staff_list_and_show_cases_through_the_running_daemon_and_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path());
    let daemon = Daemon::start(&config, dir.path());
    deliver(dir.path(), "a", "anna@posteo.test", "Personalausweis", "Ich brauche einen neuen Personalausweis. Ich bin werktags ab 17 Uhr zu Hause.");
    deliver(dir.path(), "b", "bert@posteo.test", "Hund anmelden", "Ich möchte meinen Hund zur Hundesteuer anmelden.");
    wait_until("both mails handled", Duration::from_secs(30), || processed(dir.path()) == 2);

    // The daemon holds the store: the answer comes through its socket.
    let cases = json(&config, &["cases", "list"]);
    let cases = cases.as_array().unwrap();
    assert_eq!(cases.len(), 2, "{cases:?}");
    let id = cases[0]["id"].as_str().unwrap().to_string();
    let shown = json(&config, &["cases", "show", &id]);
    assert_eq!(shown["id"], cases[0]["id"]);
    assert!(shown["history"].as_array().unwrap().len() >= 2);

    let proposed = json(&config, &["cases", "list", "--status", "proposed"]);
    assert_eq!(proposed.as_array().unwrap().len(), 1);
    let text = cli(&config, &["cases", "list"]);
    assert!(text.status.success());
    assert_eq!(String::from_utf8_lossy(&text.stdout).lines().count(), 2, "one line per case");
    assert!(String::from_utf8_lossy(&text.stderr).contains("2 cases"));

    // An unknown case is a clear error, not a hang or a crash of the daemon.
    let missing = cli(&config, &["cases", "show", "BS-2020-09999"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no case BS-2020-09999"), "{}", String::from_utf8_lossy(&missing.stderr));
    assert!(daemon.log().contains("control command"), "{}", daemon.log());

    // The daemon keeps taking mail after serving commands.
    deliver(dir.path(), "c", "carla@posteo.test", "Meldebescheinigung", "Ich brauche eine Meldebescheinigung, montags ab 18 Uhr.");
    wait_until("third mail handled", Duration::from_secs(30), || processed(dir.path()) == 3);
    assert_eq!(json(&config, &["cases", "list"]).as_array().unwrap().len(), 3);
    daemon.stop();

    // No daemon: the CLI opens the store itself and sees the same.
    assert!(!dir.path().join("store.sock").exists() || std::os::unix::net::UnixStream::connect(dir.path().join("store.sock")).is_err());
    assert_eq!(json(&config, &["cases", "list"]).as_array().unwrap().len(), 3);
}

#[test]
fn a_socket_left_by_a_killed_daemon_does_not_block_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path());
    let mut first = Daemon::start(&config, dir.path());
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    assert!(dir.path().join("store.sock").exists(), "kill -9 leaves the socket file");
    // Without a daemon behind it the CLI falls back to the store.
    assert_eq!(json(&config, &["cases", "list"]).as_array().unwrap().len(), 0);
    let second = Daemon::start(&config, dir.path());
    deliver(dir.path(), "d", "dora@posteo.test", "Reisepass", "Ich brauche einen Reisepass, dienstags ab 17 Uhr.");
    wait_until("mail handled", Duration::from_secs(30), || processed(dir.path()) == 1);
    assert_eq!(json(&config, &["cases", "list"]).as_array().unwrap().len(), 1);
    second.stop();
}
