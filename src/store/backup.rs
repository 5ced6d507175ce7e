//! Backup of the whole store to one file, and restore from it.
//!
//! The file format (version 1), all integers big-endian:
//!
//! ```text
//! magic "BSBACKUP" | format u16 | schema u32 | created: len u32 + RFC 3339 text
//! records: 'T' len u32 + tree name            (following entries belong to this tree)
//!          'R' len u32 + key, len u32 + value
//!          'E' count u64                       (number of 'R' records; end of records)
//! sha256 of every byte before it (32 bytes), then end of file
//! ```
//!
//! A backup is taken in the daemon's loop between batches of mail, so nothing writes
//! while the trees are walked and the copy is consistent. It is written to `FILE.tmp`,
//! fsynced and renamed, so `FILE` is always a complete backup. A restore reads the file
//! twice: first to check magic, structure, checksum and schema without touching
//! anything, then to build the new store in a directory beside the old one, which is
//! moved aside (never deleted) before the new one is renamed into place. A crash during
//! a restore is finished or undone by `Store::open` (see [`recover_restore`]).

use super::privacy::{ensure_unused, mark_ready, open_db, remove_dir_retrying, remove_marker, rename, sibling, sync_parent};
use super::{Store, StoreError, SCHEMA_VERSION};
use jiff::Timestamp;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"BSBACKUP";
const FORMAT: u16 = 1;
const TAG_TREE: u8 = b'T';
const TAG_RECORD: u8 = b'R';
const TAG_END: u8 = b'E';

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TreeCount {
    pub tree: String,
    pub records: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupReport {
    pub file: PathBuf,
    pub schema_version: u32,
    pub created_at: Timestamp,
    pub trees: Vec<TreeCount>,
    pub records: u64,
    pub bytes: u64,
    /// The file's checksum (hex), as in its trailer.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoreReport {
    pub store: PathBuf,
    /// When the backup was taken, as written in it.
    pub created_at: String,
    pub trees: Vec<TreeCount>,
    pub records: u64,
    /// Where the store that was there before now lies, if there was one.
    pub moved_aside: Option<PathBuf>,
}

/// Writes and hashes.
struct HashingWriter<W: Write> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    fn put(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.hash.update(data);
        self.bytes += data.len() as u64;
        self.inner.write_all(data)
    }

    fn put_chunk(&mut self, data: &[u8]) -> std::io::Result<()> {
        let len = u32::try_from(data.len()).map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "record larger than 4 GiB"))?;
        self.put(&len.to_be_bytes())?;
        self.put(data)
    }
}

impl Store {
    /// Write a consistent copy of every tree to `file` (via `FILE.tmp`, fsynced and
    /// renamed, so an existing `file` is replaced only by a complete backup).
    pub fn backup(&self, file: &Path) -> Result<BackupReport, StoreError> {
        let tmp = sibling(file, ".tmp");
        let io = |what| StoreError::io(what, &tmp);
        let created_at = Timestamp::now();
        let mut w = HashingWriter { inner: BufWriter::new(File::create(&tmp).map_err(io("creating"))?), hash: Sha256::new(), bytes: 0 };
        let mut trees = Vec::new();
        let mut records = 0u64;
        let result = (|| -> Result<(), StoreError> {
            w.put(MAGIC).map_err(io("writing"))?;
            w.put(&FORMAT.to_be_bytes()).map_err(io("writing"))?;
            w.put(&SCHEMA_VERSION.to_be_bytes()).map_err(io("writing"))?;
            w.put_chunk(created_at.to_string().as_bytes()).map_err(io("writing"))?;
            for (name, tree) in self.named_trees()? {
                w.put(&[TAG_TREE]).map_err(io("writing"))?;
                w.put_chunk(name.as_bytes()).map_err(io("writing"))?;
                let mut count = 0;
                for kv in tree.iter() {
                    let (k, v) = kv?;
                    w.put(&[TAG_RECORD]).map_err(io("writing"))?;
                    w.put_chunk(&k).map_err(io("writing"))?;
                    w.put_chunk(&v).map_err(io("writing"))?;
                    count += 1;
                }
                records += count;
                trees.push(TreeCount { tree: name, records: count });
            }
            w.put(&[TAG_END]).map_err(io("writing"))?;
            w.put(&records.to_be_bytes()).map_err(io("writing"))?;
            Ok(())
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        let digest = w.hash.finalize();
        let mut out = w.inner.into_inner().map_err(|e| io("writing")(e.into_error()))?;
        out.write_all(&digest).and_then(|()| out.sync_all()).map_err(io("writing"))?;
        drop(out);
        rename(&tmp, file)?;
        Ok(BackupReport {
            file: file.to_path_buf(),
            schema_version: SCHEMA_VERSION,
            created_at,
            trees,
            records,
            bytes: w.bytes + digest.len() as u64,
            sha256: hex(&digest),
        })
    }

    /// Restore the store at `store_path` from a backup `file`; the daemon must not run.
    /// The file is checked (magic, structure, checksum, schema version) before anything
    /// is touched. A non-empty store there is refused unless `force`; with it, it is moved
    /// to `<store_path>.before-restore-<timestamp>` and kept.
    pub fn restore(file: &Path, store_path: &Path, force: bool) -> Result<RestoreReport, StoreError> {
        // Check everything first: a bad file leaves the store as it is.
        let header = read_backup(file, |_| Ok(()))?;
        if header.schema != SCHEMA_VERSION {
            return Err(StoreError::BackupSchema { file: file.display().to_string(), found: header.schema, expected: SCHEMA_VERSION });
        }
        let occupied = std::fs::read_dir(store_path).map(|mut d| d.next().is_some()).unwrap_or(false);
        if occupied && !force {
            return Err(StoreError::RestoreOverExisting { path: store_path.display().to_string() });
        }
        if occupied {
            // sled's flusher may hold a store this process just closed for a moment.
            let mut tries = 0;
            loop {
                match ensure_unused(store_path, &[store_path]) {
                    Err(StoreError::InUse { .. }) if tries < 50 => {
                        tries += 1;
                        std::thread::sleep(std::time::Duration::from_millis(40));
                    }
                    other => {
                        other?;
                        break;
                    }
                }
            }
        }
        // Work left by an earlier crash is finished or undone before this one starts.
        super::privacy::recover_compaction(store_path)?;
        recover_restore(store_path)?;

        let p = RestorePaths::of(store_path);
        remove_dir_retrying(&p.new)?;
        let built = (|| {
            let db = open_db(&p.new)?;
            let mut tree: Option<sled::Tree> = None;
            let mut counts: Vec<TreeCount> = Vec::new();
            read_backup(file, |item| {
                match item {
                    Item::Tree(name) => {
                        tree = Some(db.open_tree(name)?);
                        counts.push(TreeCount { tree: String::from_utf8_lossy(name).into_owned(), records: 0 });
                    }
                    Item::Record(k, v) => {
                        let (Some(t), Some(c)) = (&tree, counts.last_mut()) else {
                            return Err(bad(file, "a record before any tree"));
                        };
                        t.insert(k, v)?;
                        c.records += 1;
                    }
                }
                Ok(())
            })?;
            db.flush()?;
            let records: u64 = counts.iter().map(|c| c.records).sum();
            Ok((counts, records))
        })();
        let (trees, records) = match built {
            Ok(done) => done,
            Err(e) => {
                // Without the marker nothing refers to the half-built store.
                let _ = remove_dir_retrying(&p.new);
                return Err(e);
            }
        };
        sync_parent(&p.new)?;
        mark_ready(&p.marker)?;

        let mut moved_aside = None;
        if store_path.exists() {
            if occupied {
                let aside = aside_path(store_path);
                rename(store_path, &aside)?;
                moved_aside = Some(aside);
            } else {
                std::fs::remove_dir(store_path).map_err(StoreError::io("removing empty", store_path))?;
            }
        }
        rename(&p.new, store_path)?;
        remove_marker(&p.marker)?;
        Ok(RestoreReport { store: store_path.to_path_buf(), created_at: header.created, trees, records, moved_aside })
    }
}

/// Where a restore builds the new store, and the mark that it is complete.
struct RestorePaths {
    new: PathBuf,
    marker: PathBuf,
}

impl RestorePaths {
    fn of(path: &Path) -> RestorePaths {
        RestorePaths { new: sibling(path, ".restore-new"), marker: sibling(path, ".restore-ready") }
    }
}

/// `<path>.before-restore-<UTC time>`, unique.
fn aside_path(path: &Path) -> PathBuf {
    let stamp = Timestamp::now().strftime("%Y%m%dT%H%M%SZ").to_string();
    let base = sibling(path, &format!(".before-restore-{stamp}"));
    let mut candidate = base.clone();
    let mut n = 1;
    while candidate.exists() {
        n += 1;
        candidate = sibling(&base, &format!("-{n}"));
    }
    candidate
}

/// Finish or undo a restore that a crash cut short. With the marker the new store is
/// complete: once the old one is out of the way it is moved into place; while the old
/// one is still there the restore is undone (it never happened). Without the marker an
/// incomplete new store is discarded.
pub(super) fn recover_restore(path: &Path) -> Result<(), StoreError> {
    let p = RestorePaths::of(path);
    if !(p.marker.exists() || p.new.exists()) {
        return Ok(());
    }
    // A restore still building the new store is not a crash.
    ensure_unused(path, &[&p.new])?;
    if p.marker.exists() && p.new.exists() && !path.exists() {
        rename(&p.new, path)?;
    }
    if p.new.exists() {
        remove_dir_retrying(&p.new)?;
    }
    remove_marker(&p.marker)
}

fn bad(file: &Path, why: impl ToString) -> StoreError {
    StoreError::BadBackup { file: file.display().to_string(), why: why.to_string() }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Header {
    schema: u32,
    created: String,
}

enum Item<'a> {
    Tree(&'a [u8]),
    Record(&'a [u8], &'a [u8]),
}

/// Reads the records of a backup and hashes them, with lengths checked against what is
/// left of the file (a flipped length byte cannot make it allocate gigabytes).
struct Reader<'a> {
    file: &'a Path,
    inner: BufReader<File>,
    hash: Sha256,
    /// Bytes left before the 32-byte trailer.
    left: u64,
}

impl Reader<'_> {
    fn bytes(&mut self, n: u64) -> Result<Vec<u8>, StoreError> {
        if n > self.left {
            return Err(bad(self.file, "the file is truncated or a length field is damaged"));
        }
        let mut buf = vec![0; n as usize];
        self.inner.read_exact(&mut buf).map_err(StoreError::io("reading", self.file))?;
        self.hash.update(&buf);
        self.left -= n;
        Ok(buf)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], StoreError> {
        let v = self.bytes(N as u64)?;
        v.try_into().map_err(|_| bad(self.file, "short read"))
    }

    fn chunk(&mut self) -> Result<Vec<u8>, StoreError> {
        let len = u32::from_be_bytes(self.array()?);
        self.bytes(u64::from(len))
    }
}

/// Read a backup through, handing every tree and record to `sink`; checks magic and
/// format first, then structure, and the checksum at the end. Errors from `sink` stop it.
fn read_backup(file: &Path, mut sink: impl FnMut(Item<'_>) -> Result<(), StoreError>) -> Result<Header, StoreError> {
    let f = File::open(file).map_err(StoreError::io("opening backup", file))?;
    let len = f.metadata().map_err(StoreError::io("reading", file))?.len();
    let mut r = Reader { file, inner: BufReader::new(f), hash: Sha256::new(), left: len.saturating_sub(32) };
    if len < 32 + MAGIC.len() as u64 || r.array::<8>()? != *MAGIC {
        return Err(bad(file, "not a buergerservice backup (wrong magic)"));
    }
    let format = u16::from_be_bytes(r.array()?);
    if format != FORMAT {
        return Err(bad(file, format!("backup format {format}, this program reads format {FORMAT}")));
    }
    let schema = u32::from_be_bytes(r.array()?);
    let created = String::from_utf8_lossy(&r.chunk()?).into_owned();
    // Records are handed on only once the whole file is known good when the sink
    // writes; the first pass (a sink that does nothing) is what checks it.
    let mut count = 0u64;
    loop {
        match r.array::<1>()?[0] {
            TAG_TREE => {
                let name = r.chunk()?;
                sink(Item::Tree(&name))?;
            }
            TAG_RECORD => {
                let k = r.chunk()?;
                let v = r.chunk()?;
                sink(Item::Record(&k, &v))?;
                count += 1;
            }
            TAG_END => {
                let expected = u64::from_be_bytes(r.array()?);
                if expected != count {
                    return Err(bad(file, format!("{count} records, the backup says {expected}")));
                }
                break;
            }
            other => return Err(bad(file, format!("unknown record tag {other:#04x}"))),
        }
    }
    if r.left != 0 {
        return Err(bad(file, "data after the end of the records"));
    }
    let mut trailer = [0u8; 32];
    r.inner.read_exact(&mut trailer).map_err(StoreError::io("reading", file))?;
    if r.hash.finalize().as_slice() != trailer {
        return Err(bad(file, "checksum mismatch (the file is damaged)"));
    }
    Ok(Header { schema, created })
}
