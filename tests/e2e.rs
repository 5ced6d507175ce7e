//! End to end on real mail servers: Dovecot (IMAP, LMTP) and Postfix (SMTP) on 127.0.0.1,
//! started by `scripts/mailstack`, and the real `buergerservice run` binary. Every check
//! reads what really arrived in the recipient's mailbox over IMAP.
//!
//! One test function runs the scenarios in order on one stack (they share servers and a
//! store, as in production); each scenario uses its own citizens so they cannot mask
//! each other.

use async_imap::Session;
use futures_util::TryStreamExt;
use mail_parser::{MessageParser, MimeHeaders};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

const IMAP_PORT: u16 = 10143;
const SMTP_PORT: u16 = 10025;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The mail stack under a temporary directory; stopped when dropped.
struct Stack {
    dir: PathBuf,
}

impl Stack {
    fn start() -> Stack {
        let dir = std::env::temp_dir().join(format!("bs-e2e-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // Dovecot's users must be able to enter it.
        std::process::Command::new("chmod").args(["0755", dir.to_str().unwrap()]).status().unwrap();
        let stack = Stack { dir };
        stack.ctl("start");
        stack
    }

    fn ctl(&self, what: &str) {
        let out = Command::new(root().join("scripts/mailstack"))
            .args([what, self.dir.to_str().unwrap()])
            .env("IMAP_PORT", IMAP_PORT.to_string())
            .env("SMTP_PORT", SMTP_PORT.to_string())
            .stdin(Stdio::null())
            .output()
            .expect("scripts/mailstack runs");
        assert!(out.status.success(), "mailstack {what}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.ctl("stop");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The daemon as a child process; killed when dropped.
struct Daemon {
    child: Child,
}

impl Daemon {
    fn start(config: &Path, log: &Path) -> Daemon {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_buergerservice"))
            .args(["run", "--config", config.to_str().unwrap()])
            .env("BS_TEST_PASSWORD", "test")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("the binary starts");
        Daemon { child }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

fn write_config(dir: &Path) -> PathBuf {
    let cfg = format!(
        r#"
[store]
path = "{store}"

[office]
pilot_start = "2020-01-01"
min_notice_hours = 1

[mailbox]
kind = "imap"
host = "127.0.0.1"
port = {IMAP_PORT}
tls = "plain"
user = "buergerbuero"
password_env = "BS_TEST_PASSWORD"
poll_interval_secs = 2
idle_renew_secs = 60

[outbox]
kind = "smtp"
host = "127.0.0.1"
port = {SMTP_PORT}
tls = "plain"

[daemon]
retry_min_secs = 1
retry_max_secs = 3
"#,
        store = dir.join("store").display()
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, cfg).unwrap();
    path
}

async fn login(user: &str) -> Session<TcpStream> {
    let tcp = TcpStream::connect(("127.0.0.1", IMAP_PORT)).await.unwrap();
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.unwrap().unwrap();
    client.login(user, "test").await.map_err(|(e, _)| e).unwrap()
}

async fn append(user: &str, raw: &[u8]) {
    let mut s = login(user).await;
    s.append("INBOX", None, None, raw).await.unwrap();
    s.logout().await.unwrap();
}

/// All mails in `folder` of `user` (empty when the folder does not exist yet).
async fn mails(user: &str, folder: &str) -> Vec<Vec<u8>> {
    let mut s = login(user).await;
    let out = match s.examine(folder).await {
        Ok(m) if m.exists > 0 => {
            let fetched: Vec<_> = s.fetch("1:*", "BODY.PEEK[]").await.unwrap().try_collect().await.unwrap();
            fetched.iter().filter_map(|f| f.body().map(<[u8]>::to_vec)).collect()
        }
        _ => Vec::new(),
    };
    s.logout().await.unwrap();
    out
}

/// Wait until `user` has at least `n` mails in INBOX (or time runs out).
async fn wait_for(user: &str, n: usize, within: Duration) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + within;
    loop {
        let m = mails(user, "INBOX").await;
        if m.len() >= n || Instant::now() > deadline {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn subject(raw: &[u8]) -> String {
    MessageParser::default().parse(raw).and_then(|m| m.subject().map(str::to_string)).unwrap_or_default()
}

fn message_id(raw: &[u8]) -> String {
    MessageParser::default().parse(raw).and_then(|m| m.message_id().map(str::to_string)).unwrap_or_default()
}

fn mail(from: &str, subject: &str, id: &str, extra: &str, body: &str) -> Vec<u8> {
    let date = jiff::Zoned::now().strftime("%a, %d %b %Y %H:%M:%S %z");
    format!(
        "From: {from}\r\nTo: buergerbuero@hochheim.de\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <{id}>\r\n{extra}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn request(from: &str, id: &str) -> Vec<u8> {
    mail(
        from,
        "Neuer Personalausweis",
        id,
        "",
        "Guten Tag,\r\n\r\nich brauche einen neuen Personalausweis. Ich bin werktags ab 17 Uhr zu Hause.\r\n\r\nViele Grüße\r\nSabine Wendel\r\nKolpingstraße 7, 65239 Hochheim",
    )
}

#[test]
fn the_daemon_answers_on_real_mail_servers_and_survives_faults() {
    if !nix_root() {
        panic!("the end-to-end test starts Dovecot and Postfix and must run as root (scripts/test does)");
    }
    let stack = Stack::start();
    let work = stack.dir.join("daemon");
    std::fs::create_dir_all(&work).unwrap();
    let config = write_config(&work);
    let log = work.join("daemon.log");
    let mut daemon = Daemon::start(&config, &log);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let wait = Duration::from_secs(30);
    let quiet = Duration::from_secs(4);
    let report = |what: &str| format!("{what}\n--- daemon log ---\n{}", std::fs::read_to_string(&log).unwrap_or_default());

    rt.block_on(async {
        // 1. A request gets a proposal; the latency from APPEND to arrival is measured.
        let mut latencies = Vec::new();
        let t = Instant::now();
        append("buergerbuero", &request("Sabine Wendel <sabine@posteo.test>", "req-1@posteo.test")).await;
        let got = wait_for("sabine", 1, wait).await;
        latencies.push(t.elapsed());
        assert_eq!(got.len(), 1, "{}", report("no proposal arrived"));
        let proposal = &got[0];
        let subj = subject(proposal);
        assert!(subj.contains("[BS-") && subj.contains("Terminvorschl"), "{subj}");
        let case = subj.split(['[', ']']).nth(1).unwrap().to_string();
        let body = MessageParser::default().parse(proposal).unwrap().body_text(0).unwrap().to_string();
        assert!(body.contains("1) ") && body.contains("2) "), "{body}");

        // 2. A stranger answering "1" books nothing and gets nothing.
        let stranger = mail("m@evil.test", &format!("Re: [{case}] Termine"), "stranger-1@evil.test", &format!("In-Reply-To: <{}>\r\n", message_id(proposal)), "1");
        append("buergerbuero", &stranger).await;

        // 3. "2" from the citizen books and brings a confirmation with a valid invitation.
        let two = mail("sabine@posteo.test", &format!("Re: [{case}] Ihre Terminvorschläge"), "answer-1@posteo.test", &format!("In-Reply-To: <{}>\r\n", message_id(proposal)), "Die 2 bitte.");
        append("buergerbuero", &two).await;
        let got = wait_for("sabine", 2, wait).await;
        assert_eq!(got.len(), 2, "{}", report("no confirmation arrived"));
        let confirmation = MessageParser::default().parse(&got[1]).unwrap();
        assert!(confirmation.subject().unwrap().contains("Terminbestätigung"), "{:?}", confirmation.subject());
        let ics = confirmation.attachments().find(|a| a.content_type().is_some_and(|c| c.subtype() == Some("calendar"))).expect("an .ics");
        let ics = std::str::from_utf8(ics.contents()).unwrap();
        let unfolded = icalendar::parser::unfold(ics);
        let cal = icalendar::parser::read_calendar(&unfolded).expect("a valid iCalendar file");
        assert!(cal.components.iter().any(|c| c.name.as_str() == "VEVENT"));
        assert!(ics.contains("METHOD:REQUEST") && ics.contains(&format!("UID:{case}@")), "{ics}");
        assert!(mails("m", "INBOX").await.is_empty(), "the stranger got mail");

        // 4. Specialist mail reaches the department, and the citizen is told.
        let birth = mail("jonas@posteo.test", "Geburt unserer Tochter", "birth-1@posteo.test", "", "Unsere Tochter wurde zu Hause geboren. Wie lassen wir die Geburt beurkunden?\r\n\r\nJonas Keller");
        append("buergerbuero", &birth).await;
        let dept = wait_for("standesamt", 1, wait).await;
        assert_eq!(dept.len(), 1, "{}", report("nothing reached the Standesamt"));
        let forward = MessageParser::default().parse(&dept[0]).unwrap();
        assert!(forward.attachments().any(|a| a.content_type().is_some_and(|c| c.ctype() == "message")), "original attached");
        let told = wait_for("jonas", 1, wait).await;
        assert!(subject(&told[0]).contains("weitergeleitet"), "{}", subject(&told[0]));

        // 5. An out-of-office and a bounce get no answer; a malformed mail is quarantined.
        let ooo = mail("peter@posteo.test", "Abwesenheitsnotiz: Ihre Anfrage", "ooo-1@posteo.test", "Auto-Submitted: auto-replied\r\n", "Ich bin bis Montag nicht im Büro.");
        append("buergerbuero", &ooo).await;
        let bounce = format!(
            "From: MAILER-DAEMON@mx.posteo.test (Mail Delivery System)\r\nTo: buergerbuero@hochheim.de\r\nSubject: Undelivered Mail Returned to Sender\r\nDate: {}\r\nMessage-ID: <bounce-1@mx.posteo.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nThis is the mail system. Your message could not be delivered.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.posteo.test\r\n\r\nFinal-Recipient: rfc822; nobody@posteo.test\r\nAction: failed\r\nStatus: 5.1.1\r\n--b--\r\n",
            jiff::Zoned::now().strftime("%a, %d %b %Y %H:%M:%S %z")
        );
        append("buergerbuero", bounce.as_bytes()).await;
        append("buergerbuero", b"Subject: ???\r\n\r\n\xff\xfe this is not a mail anybody wrote\r\n").await;
        tokio::time::sleep(quiet).await;
        assert!(mails("peter", "INBOX").await.is_empty(), "{}", report("the out-of-office was answered"));
        assert!(mails("mailer-daemon", "INBOX").await.is_empty(), "the bounce was answered");
        assert_eq!(mails("buergerbuero", "Quarantine").await.len(), 1, "{}", report("the malformed mail is not in Quarantine"));
        assert!(mails("buergerbuero", "INBOX").await.is_empty(), "{}", report("mail left in the INBOX"));

        // 6. Dovecot goes away and comes back: the daemon reconnects and misses nothing.
        stack.ctl("dovecot-stop");
        tokio::time::sleep(Duration::from_secs(2)).await;
        stack.ctl("dovecot-start");
        append("buergerbuero", &request("ida@posteo.test", "req-ida@posteo.test")).await;
        assert_eq!(wait_for("ida", 1, Duration::from_secs(60)).await.len(), 1, "{}", report("no answer after the IMAP restart"));

        // 7. SMTP down: the reply waits, and goes out when it is back.
        stack.ctl("smtp-stop");
        append("buergerbuero", &request("otto@posteo.test", "req-otto@posteo.test")).await;
        tokio::time::sleep(quiet).await;
        assert!(mails("otto", "INBOX").await.is_empty());
        stack.ctl("smtp-start");
        assert_eq!(wait_for("otto", 1, Duration::from_secs(60)).await.len(), 1, "{}", report("the reply did not go out after SMTP came back"));

        // 8. Latency: 20 more requests, one at a time.
        for i in 0..20 {
            let who = format!("lat{i}");
            let t = Instant::now();
            append("buergerbuero", &request(&format!("{who}@posteo.test"), &format!("lat-{i}@posteo.test"))).await;
            assert_eq!(wait_for(&who, 1, wait).await.len(), 1);
            latencies.push(t.elapsed());
        }
        latencies.sort();
        println!("APPEND → reply in the citizen's INBOX: median {:?}, max {:?} over {} mails", latencies[latencies.len() / 2], latencies.last().unwrap(), latencies.len());
    });

    // 9. SIGKILL at random moments while mail arrives: afterwards every mail has exactly one
    //    case and every citizen exactly one answer.
    let rounds = 20;
    let mut seed: u64 = 0x9E3779B97F4A7C15;
    for i in 0..rounds {
        rt.block_on(append("buergerbuero", &request(&format!("kill{i}@posteo.test"), &format!("kill-{i}@posteo.test"))));
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(seed % 700));
        daemon.kill();
        daemon = Daemon::start(&config, &log);
    }
    rt.block_on(async {
        for i in 0..rounds {
            let got = wait_for(&format!("kill{i}"), 1, wait).await;
            assert_eq!(got.len(), 1, "{}", report(&format!("kill{i}: no answer")));
        }
        // Give any duplicate a chance to show up.
        tokio::time::sleep(quiet).await;
        let mut doubled = Vec::new();
        for i in 0..rounds {
            let n = mails(&format!("kill{i}"), "INBOX").await.len();
            if n != 1 {
                doubled.push(format!("kill{i}: {n} answers"));
            }
        }
        assert!(doubled.is_empty(), "{}", report(&doubled.join(", ")));
        assert!(mails("buergerbuero", "INBOX").await.is_empty(), "{}", report("mail left in the INBOX after the kill rounds"));
        println!("kill -9 rounds: {rounds}, every mail answered exactly once");
    });
    daemon.kill();

    // Exactly one case per request mail in the store (the daemon is stopped, so it can be opened).
    let store = open_store(&work.join("store"));
    let cases = (1..=200).filter_map(|n| store.case(buergerservice::case_id::CaseId::new(jiff::Zoned::now().year(), n)).unwrap()).count();
    // sabine, jonas, the quarantined mail, ida, otto, 20 latency, 20 kill rounds.
    assert_eq!(cases, 1 + 1 + 1 + 1 + 1 + 20 + rounds, "cases in the store");
}

fn open_store(path: &Path) -> buergerservice::store::Store {
    // The killed process's lock goes with it; retry briefly while the kernel cleans up.
    for _ in 0..100 {
        if let Ok(s) = buergerservice::store::Store::open(path) {
            return s;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    buergerservice::store::Store::open(path).unwrap()
}

fn nix_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}
