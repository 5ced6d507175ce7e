//! What several integration tests need alike: the labelled samples, timestamps, the
//! default office, and the real binary started as a daemon. Each test crate uses a part.
#![allow(dead_code)]

use buergerservice::config::Config;
use buergerservice::daemon::App;
use jiff::Timestamp;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The labelled sample whose file name starts with `prefix` (e.g. "001-").
pub fn sample(prefix: &str) -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples/mails");
    let path = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix) && p.extension().is_some_and(|x| x == "eml"))
        .unwrap_or_else(|| panic!("sample {prefix}"));
    std::fs::read(path).unwrap()
}

pub fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// The default office with the built-in rules.
pub fn default_app() -> App {
    App::load(Config::default(), true).unwrap()
}

/// `buergerservice run --config CONFIG` with its log in `log` and `env` set.
pub fn start_daemon(config: &Path, log: &Path, env: &[(&str, &str)]) -> Child {
    let log = std::fs::File::create(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_buergerservice"))
        .args(["run", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "info")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap()
}

pub fn wait_until(what: &str, within: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every file under `dir` whose raw bytes contain `needle`, in any ASCII case (an erased
/// address must not survive upper-cased either).
pub fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            hits.extend(files_containing(&p, needle));
        } else if std::fs::read(&p).unwrap().windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle)) {
            hits.push(p);
        }
    }
    hits
}
