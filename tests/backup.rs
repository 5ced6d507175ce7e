//! Backup and restore on real stores: a backup of an open store restores to an equal
//! store; a damaged, truncated or foreign file is refused before anything is touched;
//! a restore over a store in use is refused without force and keeps the old one with it.

use buergerservice::config::Config;
use buergerservice::daemon::App;
use buergerservice::engine::Outcome;
use buergerservice::store::{Status, Store, StoreError, SCHEMA_VERSION};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod common;
use common::*;

type Trees = BTreeMap<Vec<u8>, Vec<(Vec<u8>, Vec<u8>)>>;

fn request(from: &str, id: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: buergerbuero@hochheim.de\r\nSubject: Personalausweis\r\nDate: Tue, 06 Apr 2027 08:41:12 +0200\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// A store with cases made by the engine and a tree this program does not know of
/// (another module's, added later), closed again.
fn filled_store(path: &Path) {
    {
        let db = sled::open(path).unwrap();
        db.open_tree("notes").unwrap().insert(b"BS-2027-00001\0note", b"called back".as_slice()).unwrap();
        db.flush().unwrap();
    }
    let store = reopen(path);
    let app = App::load(Config::default(), true).unwrap();
    let engine = app.engine(&store);
    let body = "Wir brauchen zwei neue Personalausweise. Donnerstags sind wir ab 18 Uhr daheim.";
    assert!(matches!(engine.process(&request("Sabine Wendel <sabine.wendel@posteo.de>", "a@posteo.de", body), at("2027-04-06T06:45:00Z")).unwrap(), Outcome::Created { status: Status::Proposed, .. }));
    assert!(matches!(engine.process(&request("Frank Lorenz <frank@web.de>", "b@web.de", body), at("2027-04-06T07:45:00Z")).unwrap(), Outcome::Created { .. }));
    assert!(matches!(engine.process(b"\x00\x01 not a mail \xff", at("2027-04-06T08:00:00Z")).unwrap(), Outcome::Quarantined { .. }));
    store.set_imap_state("INBOX", 7, 42).unwrap();
    store.flush().unwrap();
}

/// sled lets go of the directory lock a moment after the `Db` is dropped.
fn reopen(path: &Path) -> Store {
    for _ in 0..100 {
        match Store::open(path) {
            Ok(s) => return s,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
    Store::open(path).unwrap()
}

/// Every tree of the sled database at `path`, record by record.
fn dump(path: &Path) -> Trees {
    let db = (0..100)
        .find_map(|_| sled::open(path).ok().or_else(|| {
            std::thread::sleep(std::time::Duration::from_millis(20));
            None
        }))
        .expect("store opens");
    let mut out = Trees::new();
    for name in db.tree_names() {
        let tree = db.open_tree(&name).unwrap();
        out.insert(name.to_vec(), tree.iter().map(|kv| kv.map(|(k, v)| (k.to_vec(), v.to_vec())).unwrap()).collect());
    }
    out
}

/// What lies in `dir` (names), to show nothing was created or moved.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    store: PathBuf,
    file: PathBuf,
}

/// A filled store and a backup of it taken while it is open and in use.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let store_path = root.join("store");
    filled_store(&store_path);
    let file = root.join("store.bsbackup");
    let store = reopen(&store_path);
    let report = store.backup(&file).unwrap();
    assert_eq!(report.schema_version, SCHEMA_VERSION);
    assert_eq!(report.bytes, std::fs::metadata(&file).unwrap().len());
    assert!(report.trees.iter().any(|t| t.tree == "notes" && t.records == 1), "{:?}", report.trees);
    assert!(report.trees.iter().any(|t| t.tree == "cases" && t.records == 3), "{:?}", report.trees);
    assert!(!root.join("store.bsbackup.tmp").exists());
    // The store stays usable while and after it is backed up.
    assert_eq!(store.all_cases().unwrap().len(), 3);
    drop(store);
    Fixture { _dir: dir, root, store: store_path, file }
}

#[test]
fn a_backup_of_an_open_store_restores_every_tree_equal() {
    let f = fixture();
    let target = f.root.join("restored");
    let report = Store::restore(&f.file, &target, false).unwrap();
    assert_eq!(report.moved_aside, None);
    assert!(report.records > 0);
    assert_eq!(dump(&f.store), dump(&target));
    // The restored store opens and works.
    let restored = reopen(&target);
    assert_eq!(restored.all_cases().unwrap().len(), 3);
    assert_eq!(restored.imap_state("INBOX").unwrap(), Some((7, 42)));
    assert!(!f.root.join("restored.restore-new").exists() && !f.root.join("restored.restore-ready").exists());
}

#[test]
fn a_damaged_truncated_or_foreign_file_is_refused_and_nothing_is_touched() {
    let f = fixture();
    let good = std::fs::read(&f.file).unwrap();
    let before = dump(&f.store);
    let listing_before = listing(&f.root);
    let mut cases: Vec<(&str, Vec<u8>, &str)> = Vec::new();
    for at in [good.len() / 2, 20, good.len() - 40, good.len() - 1] {
        let mut flipped = good.clone();
        flipped[at] ^= 0x01;
        cases.push(("flipped", flipped, ""));
    }
    cases.push(("truncated", good[..good.len() - 100].to_vec(), "truncated"));
    cases.push(("cut after the header", good[..60].to_vec(), ""));
    let mut foreign = good.clone();
    foreign[..8].copy_from_slice(b"SQLite f");
    cases.push(("wrong magic", foreign, "wrong magic"));
    cases.push(("empty", Vec::new(), "wrong magic"));
    for (what, bytes, says) in cases {
        let bad = f.root.join("bad.bsbackup");
        std::fs::write(&bad, &bytes).unwrap();
        // Even with force a bad file changes nothing.
        match Store::restore(&bad, &f.store, true) {
            Err(e @ StoreError::BadBackup { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains(says) && msg.contains("nothing was changed"), "{what}: {msg}");
            }
            other => panic!("{what}: {other:?}"),
        }
        std::fs::remove_file(&bad).unwrap();
        assert_eq!(listing(&f.root), listing_before, "{what}: nothing created or moved");
    }
    assert_eq!(dump(&f.store), before);
}

#[test]
fn a_backup_of_another_schema_version_is_refused() {
    let f = fixture();
    let mut bytes = std::fs::read(&f.file).unwrap();
    // Schema version after magic (8) and format (2); checksum made valid again.
    bytes[10..14].copy_from_slice(&(SCHEMA_VERSION + 1).to_be_bytes());
    let body = bytes.len() - 32;
    let digest = Sha256::digest(&bytes[..body]);
    bytes[body..].copy_from_slice(&digest);
    let other = f.root.join("other.bsbackup");
    std::fs::write(&other, &bytes).unwrap();
    let target = f.root.join("new");
    match Store::restore(&other, &target, false) {
        Err(StoreError::BackupSchema { found, expected, .. }) => assert_eq!((found, expected), (SCHEMA_VERSION + 1, SCHEMA_VERSION)),
        other => panic!("{other:?}"),
    }
    assert!(!target.exists());
}

#[test]
fn restore_over_a_store_needs_force_and_keeps_the_old_one_aside() {
    let f = fixture();
    // The store changes after the backup: a new case.
    {
        let store = reopen(&f.store);
        let app = App::load(Config::default(), true).unwrap();
        let mail = request("Clara Neu <clara@web.de>", "c@web.de", "Ich brauche einen Reisepass. Dienstags ab 17 Uhr.");
        assert!(matches!(app.engine(&store).process(&mail, at("2027-04-07T08:00:00Z")).unwrap(), Outcome::Created { .. }));
        store.flush().unwrap();
    }
    let after_backup = dump(&f.store);
    // Not while another process (here: an open handle) holds the store.
    {
        let running = reopen(&f.store);
        match Store::restore(&f.file, &f.store, true) {
            Err(e @ StoreError::InUse { .. }) => assert!(e.to_string().contains("stop it"), "{e}"),
            other => panic!("{other:?}"),
        }
        drop(running);
    }
    assert_eq!(dump(&f.store), after_backup, "refused while in use: the store is as it was");
    match Store::restore(&f.file, &f.store, false) {
        Err(e @ StoreError::RestoreOverExisting { .. }) => assert!(e.to_string().contains("force"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(dump(&f.store), after_backup, "refused: the store is as it was");

    let report = Store::restore(&f.file, &f.store, true).unwrap();
    let aside = report.moved_aside.expect("the old store is kept");
    assert!(aside.file_name().unwrap().to_string_lossy().starts_with("store.before-restore-"), "{aside:?}");
    assert_eq!(dump(&aside), after_backup, "kept whole");
    let restored = reopen(&f.store);
    assert_eq!(restored.all_cases().unwrap().len(), 3, "the case made after the backup is not in it");
    drop(restored);
    // A second forced restore keeps the first one's leftover as well.
    let again = Store::restore(&f.file, &f.store, true).unwrap();
    assert_ne!(again.moved_aside, Some(aside.clone()));
    assert!(aside.exists());
}

#[test]
fn a_restore_cut_short_is_finished_or_undone_when_the_store_opens() {
    let f = fixture();
    let expected = dump(&f.store);
    // Crash after the old store was moved aside, before the new one was renamed into
    // place: the complete new store (marker present) is put in place on open.
    let target = f.root.join("t1");
    Store::restore(&f.file, &target, false).unwrap();
    std::fs::rename(&target, f.root.join("t1.restore-new")).unwrap();
    std::fs::write(f.root.join("t1.restore-ready"), b"").unwrap();
    drop(reopen(&target));
    assert_eq!(dump(&target), expected);
    assert!(!f.root.join("t1.restore-new").exists() && !f.root.join("t1.restore-ready").exists());
    // Crash while the new store was being built (no marker): it is discarded, the store
    // there is left alone.
    let half = f.root.join("store.restore-new");
    std::fs::create_dir(&half).unwrap();
    std::fs::write(half.join("db"), b"half").unwrap();
    drop(reopen(&f.store));
    assert!(!half.exists());
    assert_eq!(dump(&f.store), expected);
}
