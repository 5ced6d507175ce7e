//! The staff CLI while the daemon runs: commands go through the daemon's control socket
//! (sled lets one process open the store) and work the same on the store directly when no
//! daemon runs. Real binary, real store, Maildir mailbox, directory outbox.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

mod common;
use common::*;

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

fn cli(config: &Path, args: &[&str]) -> Output {
    // The staff member as sudo reports them; the daemon adds the uid it sees.
    Command::new(env!("CARGO_BIN_EXE_buergerservice")).args(args).args(["--config", config.to_str().unwrap()]).env("SUDO_USER", "petra.m").output().unwrap()
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

fn setup_two_staff(dir: &Path) -> PathBuf {
    let hours = "mon = [\"08:00-20:00\"]\ntue = [\"08:00-20:00\"]\nwed = [\"08:00-20:00\"]\nthu = [\"08:00-20:00\"]\nfri = [\"08:00-20:00\"]\n";
    let cfg = format!(
        "[office]\npilot_start = \"2020-01-01\"\n[store]\npath = \"store\"\n\
[mailbox]\nkind = \"maildir\"\npath = \"maildir\"\npoll_interval_ms = 100\n[outbox]\nkind = \"directory\"\npath = \"outbox\"\n\
[[staff]]\nname = \"Petra\"\nemail = \"petra@hochheim.de\"\n{hours}\n[[staff]]\nname = \"Jonas\"\nemail = \"jonas@hochheim.de\"\n{hours}"
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, cfg).unwrap();
    std::fs::create_dir_all(dir.join("maildir/new")).unwrap();
    path
}

fn ok(config: &Path, args: &[&str]) -> String {
    let out = cli(config, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The outbox mails (directory transport) whose text contains all of `needles`.
fn sent_with(dir: &Path, needles: &[&str]) -> usize {
    std::fs::read_dir(dir.join("outbox"))
        .map(|d| {
            d.filter_map(|e| std::fs::read(e.ok()?.path()).ok())
                .filter(|m| {
                    let t = String::from_utf8_lossy(m);
                    needles.iter().all(|n| t.contains(n))
                })
                .count()
        })
        .unwrap_or(0)
}

fn case_of(config: &Path, sender: &str) -> Value {
    let all = json(config, &["cases", "list"]);
    all.as_array().unwrap().iter().find(|c| c["sender"] == sender).cloned().unwrap_or_else(|| panic!("no case of {sender}: {all}"))
}

#[test]
fn staff_correct_cases_handle_absence_privacy_and_backup_while_the_daemon_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = setup_two_staff(d);
    let daemon = Daemon::start(&config, d);
    deliver(d, "anna", "anna.berger@posteo.test", "Personalausweis", "Ich brauche einen neuen Personalausweis. Ich bin werktags ab 17 Uhr zu Hause.\n\nAnna Berger\nLindenweg 7, 65239 Hochheim");
    deliver(d, "bert", "bert@posteo.test", "Frage", "Guten Tag, ich hätte da mal eine Frage zu einem Schreiben, das ich bekommen habe.");
    deliver(d, "carla", "carla@posteo.test", "Meldebescheinigung", "Ich brauche eine Meldebescheinigung, montags ab 18 Uhr.");
    wait_until("three mails handled", Duration::from_secs(30), || processed(d) == 3);

    // Anna books option 2.
    let anna = case_of(&config, "anna.berger@posteo.test");
    let anna_id = anna["id"].as_str().unwrap().to_string();
    let date = jiff::Zoned::now().strftime("%a, %d %b %Y %H:%M:%S %z");
    let reply = format!("From: anna.berger@posteo.test\r\nTo: buergerbuero@hochheim.de\r\nSubject: Re: [{anna_id}] Terminvorschlaege\r\nDate: {date}\r\nMessage-ID: <anna-2@test.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n2\r\n");
    std::fs::write(d.join("maildir/new/anna-2.eml"), reply).unwrap();
    wait_until("the booking", Duration::from_secs(30), || processed(d) == 4);
    let booked = json(&config, &["cases", "show", &anna_id]);
    assert_eq!(booked["status"], "booked", "{booked}");
    let staff = booked["booking"]["staff"].as_str().unwrap().to_string();
    let colleague = if staff == "Petra" { "Jonas" } else { "Petra" };
    let day = booked["booking"]["start"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap().to_zoned(jiff::tz::TimeZone::get("Europe/Berlin").unwrap()).date().to_string();

    // Her staff member falls ill that day: the colleague takes the visit at the same time.
    let absent = ok(&config, &["staff", "absent", &staff, "--from", &day, "--to", &day]);
    assert!(absent.contains(&format!("moved to {colleague}")), "{absent}");
    let moved = json(&config, &["cases", "show", &anna_id]);
    assert_eq!(moved["booking"]["staff"], colleague);
    assert_eq!(moved["booking"]["start"], booked["booking"]["start"], "same time");

    // A note, with who wrote it.
    let carla_id = case_of(&config, "carla@posteo.test")["id"].as_str().unwrap().to_string();
    ok(&config, &["cases", "note", &carla_id, "Rückruf", "erbeten"]);
    let carla = json(&config, &["cases", "show", &carla_id]);
    let note = carla["history"].as_array().unwrap().iter().find(|e| e["text"] == "Rückruf erbeten").unwrap_or_else(|| panic!("{carla}"));
    assert!(note["by"].as_str().unwrap().starts_with("petra.m (uid "), "who wrote it, and the uid the daemon saw: {note}");

    // The unclassified mail goes to the Standesamt: forwarded, and Bert is told.
    let bert_id = case_of(&config, "bert@posteo.test")["id"].as_str().unwrap().to_string();
    let wrong = cli(&config, &["cases", "reassign", &bert_id, "standsamt"]);
    assert!(!wrong.status.success() && String::from_utf8_lossy(&wrong.stderr).contains("standesamt"), "lists the known ids");
    ok(&config, &["cases", "reassign", &bert_id, "standesamt"]);
    assert_eq!(json(&config, &["cases", "show", &bert_id])["status"], "forwarded");
    wait_until("the forward", Duration::from_secs(10), || sent_with(d, &["standesamt@hochheim.de", &bert_id]) >= 1);

    // The office cancels Anna's visit: she gets the calendar cancellation.
    ok(&config, &["cases", "cancel", &anna_id]);
    assert_eq!(json(&config, &["cases", "show", &anna_id])["status"], "cancelled");
    wait_until("the cancellation", Duration::from_secs(10), || sent_with(d, &["anna.berger@posteo.test", "METHOD:CANCEL"]) >= 1);

    // DSGVO: export (0600), then erase; nothing of her is left in the store's files.
    let export = d.join("anna.json");
    ok(&config, &["privacy", "export", "--email", "Anna.Berger@posteo.test", "--out", export.to_str().unwrap()]);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&export).unwrap().permissions().mode() & 0o777, 0o600);
    let exported: Value = serde_json::from_slice(&std::fs::read(&export).unwrap()).unwrap();
    assert_eq!(exported["cases"][0]["id"], anna_id.as_str());
    assert!(!cli(&config, &["privacy", "erase", "--email", "anna.berger@posteo.test"]).status.success(), "needs --yes");
    assert!(!cli(&config, &["privacy", "erase", "--email", "standesamt@hochheim.de", "--yes"]).status.success(), "never an office address");
    let erased = ok(&config, &["privacy", "erase", "--email", "anna.berger@posteo.test", "--yes"]);
    assert!(erased.contains(&anna_id), "{erased}");
    for needle in ["anna.berger@posteo.test", "Lindenweg", "Anna Berger"] {
        assert!(files_containing(&d.join("store"), needle.as_bytes()).is_empty(), "{needle} still in {:?}", files_containing(&d.join("store"), needle.as_bytes()));
    }
    let gone = cli(&config, &["cases", "show", &anna_id]);
    assert!(String::from_utf8_lossy(&gone.stderr).contains("erased"), "{}", String::from_utf8_lossy(&gone.stderr));
    assert_eq!(json(&config, &["cases", "list"]).as_array().unwrap().len(), 2, "the others are intact");
    ok(&config, &["privacy", "purge"]);

    // Backup while running; a restore is refused while the daemon holds the store.
    let backup = d.join("backup.bin");
    ok(&config, &["store", "backup", backup.to_str().unwrap()]);
    let refused = cli(&config, &["store", "restore", backup.to_str().unwrap()]);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("stop it first"));
    // The daemon still takes mail after all this.
    deliver(d, "dora", "dora@posteo.test", "Reisepass", "Ich brauche einen Reisepass, dienstags ab 17 Uhr.");
    wait_until("a later mail", Duration::from_secs(30), || processed(d) == 5);
    assert!(daemon.log().contains("control command"));
    assert!(!daemon.log().contains("anna.berger"), "no address in the log");
    daemon.stop();

    let restored = d.join("restored");
    ok(&config, &["store", "restore", backup.to_str().unwrap(), "--store", restored.to_str().unwrap()]);
    let again = json(&config, &["cases", "list", "--store", restored.to_str().unwrap()]);
    assert_eq!(again.as_array().unwrap().len(), 2, "the backup holds the two cases of then");
}
