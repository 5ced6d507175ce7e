//! Cases in sled: the only module that knows sled. Everything else sees typed operations.
//!
//! Trees: `meta` (schema version, per-year case counters), `cases` (CaseId → Case),
//! `seen` (every mail we took in, by the hash of its bytes and by Message-ID + From +
//! Date → its case), `by_sender`, `by_status` (indexes), `agenda` (day + staff → the
//! day's booked visits and held proposals), `mails` (the raw mails, by hash), `outbox`
//! (mails to send), `absences` (staff away: staff + first + last day → [`Absence`]). Every operation that changes a case and must
//! also send mail writes the outgoing mail in the same transaction, so a crash leaves
//! either both or neither. sled makes writes durable only on `flush()`: callers flush
//! before any effect outside the process.
//!
//! `privacy` (export, erasure, retention purge, compaction; tombstones `erased:<id>` in
//! `meta`) and `backup` (one checked file, restore beside the store) walk every tree by
//! name, so trees added later are covered. A compaction or restore cut short by a crash
//! is finished or undone by `open`.

use crate::case_id::CaseId;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sled::transaction::{abort, ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;
use std::path::{Path, PathBuf};
use thiserror::Error;

mod backup;
mod privacy;

pub use backup::{BackupReport, RestoreReport, TreeCount};
pub use privacy::{closed_for_retention, Compaction, Erasure, ExportedMail, ExportedOutgoing, Mention, SubjectExport, Tombstone, REDACTED};

/// Bump when the stored layout changes; a store of another version is refused.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Proposed,
    Booked,
    Forwarded,
    Waitlisted,
    Cancelled,
    Done,
    Unclassified,
}

impl Status {
    /// The status as staff write it (`cases list --status`).
    pub fn key(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Proposed => "proposed",
            Status::Booked => "booked",
            Status::Forwarded => "forwarded",
            Status::Waitlisted => "waitlisted",
            Status::Cancelled => "cancelled",
            Status::Done => "done",
            Status::Unclassified => "unclassified",
        }
    }
}

/// A booked (or proposed) visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub start: Timestamp,
    pub end: Timestamp,
    pub staff: String,
    /// Where the visit is, for travel buffers and chaining visits nearby.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<crate::schedule::District>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
}

/// One entry of a case's append-only history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// `mail` is the key of the raw mail in the store (`Incoming::raw_key`).
    Received { mail: String },
    Classified { department: String, concerns: Vec<String> },
    Proposed { slots: Vec<Slot> },
    Booked { slot: Slot },
    Moved { from: Slot, to: Slot },
    Cancelled,
    Forwarded { to: String },
    Waitlisted { earliest: Option<Timestamp> },
    ReplyQueued { outbox_id: u64 },
    ReplySent { outbox_id: u64 },
    /// Something staff must look at (unclassified, a reply from another address, …).
    Flagged { reason: String },
    /// A later mail of the citizen on this case.
    MailReceived { mail: String },
    /// The reminder before the visit went to the outbox.
    ReminderQueued { visit: Timestamp },
    /// The mail server refused a mail for good (5xx): staff must reach the citizen otherwise.
    ReplyFailed { outbox_id: u64, to: String, reason: String },
    /// A staff member's note; `by` is who wrote it.
    Note { by: String, text: String },
    /// Staff closed the case: the visit took place or the matter is settled.
    MarkedDone { by: String },
    /// Staff cancelled the case (the citizen is told in the same change).
    CancelledByStaff { by: String },
    /// Staff gave the case to another department (`from` none: it was unclassified).
    Reassigned { by: String, from: Option<String>, to: String },
    /// The visit's staff member is away: the visit went to `to` at the same time, or
    /// (`to` none) it was released and the household offered new dates.
    Restaffed { by: String, absent: String, to: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub at: Timestamp,
    #[serde(flatten)]
    pub what: EventKind,
}

/// A case: one request and everything that happened to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: CaseId,
    /// Message-ID of the request (for threading replies), if it had one.
    pub message_id: Option<String>,
    /// The address to answer (Reply-To, else From), lower-cased.
    pub sender: String,
    pub status: Status,
    /// The triage record as JSON (its schema is `triage::Triage`).
    pub triage: serde_json::Value,
    pub booking: Option<Slot>,
    pub history: Vec<Event>,
}

/// A mail waiting to be handed to SMTP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMail {
    pub id: u64,
    pub case: CaseId,
    pub to: String,
    /// The complete RFC 5322 message.
    #[serde(with = "message_bytes")]
    pub message: Vec<u8>,
    /// When it was queued (absent in mails queued before this field existed).
    #[serde(default)]
    pub queued_at: Option<Timestamp>,
}

/// A message as a JSON string when it is UTF-8 (replies are), else as an array of bytes
/// (a forwarded original in another 8-bit charset). As an array a reply took ~3.6 bytes
/// per byte: most of the store, and of what a drain's transactions and sled's cache hold
/// (IMAP drain of 10,000: peak RSS 182 -> 138 MiB). Both forms are read.
mod message_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(bytes) {
            Ok(text) => s.serialize_str(text),
            Err(_) => s.collect_seq(bytes),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Message {
            Text(String),
            Bytes(Vec<u8>),
        }
        Ok(match Message::deserialize(d)? {
            Message::Text(t) => t.into_bytes(),
            Message::Bytes(b) => b,
        })
    }
}

/// A mail to queue, before it has an outbox id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub to: String,
    pub message: Vec<u8>,
}

/// A mail taken in; its raw bytes are kept with the case. A mail is recognised again by
/// the hash of its bytes, or — when it arrives twice with different trace headers — by
/// its Message-ID together with From and Date (`hint`). The Message-ID alone is only a
/// hint: some senders reuse them, and a mail without one must still be taken in.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub raw: &'a [u8],
    pub at: Timestamp,
    pub message_id: Option<&'a str>,
    /// Message-ID, From and Date joined; `None` when the mail has no Message-ID.
    pub hint: Option<&'a str>,
}

impl Incoming<'_> {
    /// `raw:<sha256 of the bytes>`: the key of the mail in the store.
    pub fn raw_key(&self) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(self.raw);
        let mut key = String::with_capacity(4 + 64);
        key.push_str("raw:");
        for b in digest {
            key.push_str(&format!("{b:02x}"));
        }
        key
    }

    fn keys(&self) -> Vec<String> {
        let mut keys = vec![self.raw_key()];
        keys.extend(self.hint.map(|h| format!("hint:{h}")));
        keys
    }
}

/// What [`Store::create_cases`] did with one mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Created {
    pub id: CaseId,
    /// The new case's status; `None` when the mail was taken in before (`id` is the
    /// case it made then).
    pub status: Option<Status>,
}

/// A new case before it has an id.
#[derive(Debug, Clone)]
pub struct NewCase {
    /// The address to answer (Reply-To, else From).
    pub sender: String,
    pub triage: serde_json::Value,
}

/// What to do to a case, decided by the caller (pure) and applied atomically here.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub status: Option<Status>,
    pub events: Vec<EventKind>,
    pub replies: Vec<Draft>,
    /// Replace the case's held proposals by these, held until the time given (empty:
    /// release them). Records the `Proposed` event itself.
    pub hold: Option<(Vec<Slot>, Timestamp)>,
    /// Book this slot (releasing the case's holds and moving an earlier booking).
    pub book: Option<Slot>,
    /// Cancel the case's booking.
    pub cancel: bool,
    /// Give the case's booking to this slot (same time, a colleague) and keep its held
    /// proposals; collides like `book`.
    pub move_booking: Option<Slot>,
    /// Replace the stored triage (staff reclassified the case).
    pub triage: Option<serde_json::Value>,
}

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("store: {0}")]
    Sled(#[from] sled::Error),
    #[error("store at {path}: schema version {found}, this program needs {expected}; migrate or point `store.path` elsewhere")]
    SchemaVersion { path: String, found: String, expected: u32 },
    #[error("store: case {0} not found")]
    NoSuchCase(CaseId),
    #[error("store: corrupt record under {key}: {why}")]
    Corrupt { key: String, why: String },
    #[error("composing the case's mails: {0}")]
    Compose(String),
    #[error("not an e-mail address: {0:?}; give the address as the citizen wrote it, e.g. name@example.org")]
    BadAddress(String),
    #[error("store: {what} {path}: {source}")]
    Io { what: &'static str, path: String, source: std::io::Error },
    #[error("backup {file} is not usable: {why}; nothing was changed, use another backup file")]
    BadBackup { file: String, why: String },
    #[error("backup {file} holds schema version {found}, this program needs {expected}; restore it with the version that wrote it")]
    BackupSchema { file: String, found: u32, expected: u32 },
    #[error("store at {path} is in use by another process (the daemon?); stop it first")]
    InUse { path: String },
    #[error("store at {path} is not empty; stop the daemon and restore with force to move it aside (it is kept, never deleted)")]
    RestoreOverExisting { path: String },
}

impl StoreError {
    fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
        let path = path.display().to_string();
        move |source| StoreError::Io { what, path, source }
    }
}

/// A staff member away (ill, on leave) from `from` through `to`, both inclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Absence {
    pub staff: String,
    pub from: jiff::civil::Date,
    pub to: jiff::civil::Date,
    /// Who entered it, and when.
    pub by: String,
    pub at: Timestamp,
}

impl Absence {
    fn key(&self) -> Vec<u8> {
        format!("{}\0{}\0{}", self.staff, self.from, self.to).into_bytes()
    }
}

/// The outcome of applying a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Done,
    /// The slot to book collides with another case's booking or hold: nothing written.
    Taken { by: CaseId },
}

pub struct Store {
    /// The store's directory, for compaction and backups beside it.
    path: PathBuf,
    db: sled::Db,
    meta: sled::Tree,
    cases: sled::Tree,
    seen: sled::Tree,
    by_sender: sled::Tree,
    by_status: sled::Tree,
    agenda: sled::Tree,
    mails: sled::Tree,
    outbox: sled::Tree,
    failed: sled::Tree,
    /// Agenda days as parsed, with the bytes they were parsed from: planning reads the
    /// whole horizon for every new case, and parsing it again each time was most of the
    /// planning cost of a backlog drain. A day whose bytes changed is parsed again.
    /// Bumped whenever a change may have freed agenda capacity (a booking, cancellation,
    /// move or new proposal releases holds; an erasure frees slots): the waiting list is
    /// planned again only then, or when a hold expires.
    released: std::sync::atomic::AtomicU64,
    agenda_cache: std::sync::Mutex<std::collections::HashMap<Vec<u8>, ParsedDay>>,
    /// Mails in the outbox: counted once, then kept by the writes that queue or remove
    /// them ([`OUTBOX_UNCOUNTED`] until the first count). Counting reads every queued
    /// message, and sled keeps what it read in memory (its LRU evicts only once a shard
    /// has seen 64 accesses, which one pass never reaches): counted per delivery round,
    /// that was the daemon's peak after a backlog with SMTP down (+94 MiB at 10,000).
    outbox_depth: std::sync::atomic::AtomicU64,
}

const OUTBOX_UNCOUNTED: u64 = u64::MAX;

/// An agenda day's stored bytes and what they parse to.
type ParsedDay = (sled::IVec, std::sync::Arc<Vec<AgendaEntry>>);

/// Agenda days kept parsed; past this the cache starts over (days long past drop out).
const AGENDA_CACHE_DAYS: usize = 8192;

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

fn corrupt(key: &[u8], why: impl ToString) -> StoreError {
    StoreError::Corrupt { key: String::from_utf8_lossy(key).into_owned(), why: why.to_string() }
}

fn to_json<T: Serialize>(v: &T) -> Vec<u8> {
    // Serialising our own plain data types cannot fail.
    serde_json::to_vec(v).expect("store records serialise")
}

fn from_json<T: for<'de> Deserialize<'de>>(key: &[u8], bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(key, e))
}

fn case_key(id: CaseId) -> Vec<u8> {
    id.to_string().into_bytes()
}

fn index_key(a: &str, id: CaseId) -> Vec<u8> {
    format!("{a}\0{id}").into_bytes()
}

fn day_key(start: Timestamp, staff: &str) -> Vec<u8> {
    let day = start.to_zoned(crate::tz::berlin()).date();
    format!("{day}\0{staff}").into_bytes()
}

/// One visit in the `agenda` tree: booked, or held for a case's proposal until a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaEntry {
    pub case: CaseId,
    pub slot: Slot,
    pub hold_until: Option<Timestamp>,
}

impl AgendaEntry {
    /// Booked, or held and not yet expired at `at`.
    pub fn blocks_at(&self, at: Timestamp) -> bool {
        self.hold_until.is_none_or(|until| until > at)
    }
}

fn tx_err(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Sled(e),
    }
}

fn tx_get_case(cases: &TransactionalTree, id: CaseId) -> TxResult<Case> {
    let key = case_key(id);
    match cases.get(&key)? {
        Some(v) => from_json(&key, &v).or_else(abort),
        None => abort(StoreError::NoSuchCase(id)),
    }
}

fn tx_queue(outbox: &TransactionalTree, case: &mut Case, at: Timestamp, drafts: &[Draft]) -> TxResult<()> {
    for d in drafts {
        let id = outbox.generate_id()?;
        let mail = OutgoingMail { id, case: case.id, to: d.to.clone(), message: d.message.clone(), queued_at: Some(at) };
        outbox.insert(&id.to_be_bytes(), to_json(&mail))?;
        case.history.push(Event { at, what: EventKind::ReplyQueued { outbox_id: id } });
    }
    Ok(())
}

fn tx_put_case(cases: &TransactionalTree, by_status: &TransactionalTree, old: Option<Status>, case: &Case) -> TxResult<()> {
    if let Some(old) = old.filter(|&s| s != case.status) {
        by_status.remove(index_key(old.key(), case.id))?;
    }
    by_status.insert(index_key(case.status.key(), case.id), &[])?;
    cases.insert(case_key(case.id), to_json(case))?;
    Ok(())
}

/// sled page cache per store (see `Store::open`).
const CACHE_BYTES: u64 = 16 * 1024 * 1024;

impl Store {
    /// Open (or create) the store at `path`, refusing another schema version.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        // A compaction or restore cut short by a crash is finished or undone first.
        privacy::recover_compaction(path)?;
        backup::recover_restore(path)?;
        Store::open_as_is(path)
    }

    /// Open without looking for an unfinished compaction or restore (compaction itself
    /// reopens the store this way while it still holds the old one).
    fn open_as_is(path: &Path) -> Result<Store, StoreError> {
        // sled's page cache defaults to 1 GiB and grows with every case touched; the OS
        // page cache holds the file anyway, so a small cache keeps RSS flat in backlog size.
        let db = sled::Config::new().path(path).cache_capacity(CACHE_BYTES).open()?;
        let meta = db.open_tree("meta")?;
        let cases = db.open_tree("cases")?;
        match meta.get("schema_version")? {
            Some(v) => {
                let found = String::from_utf8_lossy(&v).into_owned();
                if found != SCHEMA_VERSION.to_string() {
                    return Err(StoreError::SchemaVersion { path: path.display().to_string(), found, expected: SCHEMA_VERSION });
                }
            }
            None if !cases.is_empty() => {
                return Err(StoreError::SchemaVersion { path: path.display().to_string(), found: "none".into(), expected: SCHEMA_VERSION });
            }
            None => {
                meta.insert("schema_version", SCHEMA_VERSION.to_string().as_bytes())?;
            }
        }
        Ok(Store {
            path: path.to_path_buf(),
            seen: db.open_tree("seen")?,
            by_sender: db.open_tree("by_sender")?,
            by_status: db.open_tree("by_status")?,
            agenda: db.open_tree("agenda")?,
            mails: db.open_tree("mails")?,
            outbox: db.open_tree("outbox")?,
            failed: db.open_tree("failed")?,
            agenda_cache: Default::default(),
            released: Default::default(),
            outbox_depth: std::sync::atomic::AtomicU64::new(OUTBOX_UNCOUNTED),
            meta,
            cases,
            db,
        })
    }

    /// The store's directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Make everything written so far durable. Call before any effect outside the
    /// process (moving the IMAP mail, handing a reply to SMTP).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    /// The case a mail (request or reply) was taken into, if any: replay after a crash
    /// finds the mail already done.
    /// `Some(case)` when the mail was taken in before (`Some(None)`: taken in without a
    /// case, e.g. an auto-reply).
    pub fn seen(&self, mail: &Incoming<'_>) -> Result<Option<Option<CaseId>>, StoreError> {
        for key in mail.keys() {
            if let Some(v) = self.seen.get(key.as_bytes())? {
                return Ok(Some(from_json(key.as_bytes(), &v)?));
            }
        }
        Ok(None)
    }

    /// The raw bytes of a mail taken in, by `Incoming::raw_key`.
    pub fn mail(&self, raw_key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.mails.get(raw_key.as_bytes())?.map(|v| v.to_vec()))
    }

    pub fn case(&self, id: CaseId) -> Result<Option<Case>, StoreError> {
        let key = case_key(id);
        self.cases.get(&key)?.map(|v| from_json(&key, &v)).transpose()
    }

    /// Take in a new request as a case with a gap-free id for the year of receipt.
    /// `decide` composes what happens (status, events, replies, holds) once the id is
    /// known; all of it is written in one transaction. The same Message-ID never makes a
    /// second case: the existing id is returned with `false` and nothing is written.
    pub fn create_case<F>(&self, mail: Incoming<'_>, new: &NewCase, decide: F) -> Result<(CaseId, bool), StoreError>
    where
        F: Fn(CaseId) -> Result<Change, String>,
    {
        let created = self.create_cases(&[(mail, new)], |_, id| decide(id))?;
        let c = created.first().ok_or_else(|| StoreError::Compose("no result for the mail".into()))?;
        Ok((c.id, c.status.is_some()))
    }

    /// [`Store::create_case`] for several mails in one transaction, in order: a backlog
    /// is taken in a batch at a time, and a transaction per mail cost two to three times
    /// the writes themselves (measured with sled 0.34). `decide(i, id)` composes for the
    /// `i`-th mail. All or nothing: a mail whose composition fails writes none of the
    /// batch. A mail already taken in (also earlier in the same batch) gets its existing
    /// id and `status: None`.
    pub fn create_cases<F>(&self, batch: &[(Incoming<'_>, &NewCase)], decide: F) -> Result<Vec<Created>, StoreError>
    where
        F: Fn(usize, CaseId) -> Result<Change, String>,
    {
        let keyed: Vec<(Vec<String>, String)> = batch.iter().map(|(mail, _)| (mail.keys(), mail.raw_key())).collect();
        let trees = (&self.meta, &self.cases, &self.seen, &self.by_sender, &self.by_status, &self.agenda, &self.mails, &self.outbox);
        trees
            .transaction(|(meta, cases, seen, by_sender, by_status, agenda, mails, outbox)| {
                let mut out = Vec::with_capacity(batch.len());
                let mut queued = 0;
                for (i, ((mail, new), (keys, raw_key))) in batch.iter().zip(&keyed).enumerate() {
                    if let Some(existing) = tx_seen(seen, keys)? {
                        match existing {
                            Some(id) => {
                                out.push(Created { id, status: None });
                                continue;
                            }
                            None => return abort(StoreError::Compose("mail was taken in without a case".into())),
                        }
                    }
                    let year = mail.at.to_zoned(crate::tz::berlin()).year();
                    let counter = format!("counter:{year}");
                    let last = match meta.get(counter.as_bytes())? {
                        Some(v) => String::from_utf8_lossy(&v).parse::<u32>().map_err(|e| corrupt(counter.as_bytes(), e)).or_else(abort)?,
                        None => 0,
                    };
                    let id = CaseId::new(year, last + 1);
                    meta.insert(counter.as_bytes(), (last + 1).to_string().as_bytes())?;
                    let change = decide(i, id).map_err(StoreError::Compose).or_else(abort)?;
                    let mut case = Case {
                        id,
                        message_id: mail.message_id.map(str::to_string),
                        sender: new.sender.to_lowercase(),
                        status: Status::New,
                        triage: new.triage.clone(),
                        booking: None,
                        history: vec![Event { at: mail.at, what: EventKind::Received { mail: raw_key.clone() } }],
                    };
                    tx_mark_seen(seen, keys, Some(id))?;
                    mails.insert(raw_key.as_bytes(), mail.raw)?;
                    tx_count_mail(meta, &case.sender, mail.at)?;
                    by_sender.insert(index_key(&case.sender, id), &[])?;
                    if let Applied::Taken { by } = tx_apply(agenda, outbox, &mut case, mail.at, &change)? {
                        // A new case holds nothing yet, so only a booking could collide.
                        return abort(StoreError::Compose(format!("new case cannot book a slot taken by {by}")));
                    }
                    tx_put_case(cases, by_status, None, &case)?;
                    queued += change.replies.len();
                    out.push(Created { id, status: Some(case.status) });
                }
                Ok((out, queued))
            })
            .map_err(tx_err)
            .map(|(out, queued)| {
                self.outbox_changed(queued, 0);
                out
            })
    }

    /// Apply a change to a case, atomically with taking in the mail that caused it
    /// (if any). A booking that collides with another case's booking or unexpired hold
    /// writes nothing and returns `Taken`: of concurrent bookings of one slot exactly
    /// one wins. A mail already taken in is not applied twice (`Ok(None)`).
    pub fn update(&self, id: CaseId, mail: Option<Incoming<'_>>, at: Timestamp, change: &Change) -> Result<Option<Applied>, StoreError> {
        let applied = self.update_inner(id, mail, at, change)?;
        if applied == Some(Applied::Done) {
            self.outbox_changed(change.replies.len(), 0);
        }
        let frees = change.cancel || change.book.is_some() || change.hold.is_some() || change.move_booking.is_some();
        if frees && applied == Some(Applied::Done) {
            self.note_released();
        }
        Ok(applied)
    }

    /// A change may have freed agenda capacity.
    pub(crate) fn note_released(&self) {
        self.released.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Keep the outbox count (if counted yet) in step with a committed change.
    pub(crate) fn outbox_changed(&self, queued: usize, removed: usize) {
        use std::sync::atomic::Ordering::Relaxed;
        let _ = self.outbox_depth.fetch_update(Relaxed, Relaxed, |d| {
            (d != OUTBOX_UNCOUNTED).then(|| d.saturating_add(queued as u64).saturating_sub(removed as u64))
        });
    }

    /// Changes so far that may have freed agenda capacity (see [`Store::next_hold_expiry`]
    /// for the other way capacity frees up).
    pub fn released(&self) -> u64 {
        self.released.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn update_inner(&self, id: CaseId, mail: Option<Incoming<'_>>, at: Timestamp, change: &Change) -> Result<Option<Applied>, StoreError> {
        let keys = mail.map(|m| m.keys()).unwrap_or_default();
        let raw_key = mail.map(|m| m.raw_key());
        let trees = (&self.meta, &self.cases, &self.seen, &self.by_status, &self.agenda, &self.mails, &self.outbox);
        trees
            .transaction(|(meta, cases, seen, by_status, agenda, mails, outbox)| {
                if tx_seen(seen, &keys)?.is_some() {
                    return Ok(None);
                }
                let mut case = tx_get_case(cases, id)?;
                let old = case.status;
                if let (Some(m), Some(k)) = (mail, &raw_key) {
                    case.history.push(Event { at: m.at, what: EventKind::MailReceived { mail: k.clone() } });
                }
                let outcome = tx_apply(agenda, outbox, &mut case, at, change)?;
                if let Applied::Taken { .. } = outcome {
                    return Ok(Some(outcome));
                }
                if let (Some(m), Some(k)) = (mail, &raw_key) {
                    tx_mark_seen(seen, &keys, Some(id))?;
                    mails.insert(k.as_bytes(), m.raw)?;
                    tx_count_mail(meta, &case.sender, m.at)?;
                }
                tx_put_case(cases, by_status, Some(old), &case)?;
                Ok(Some(outcome))
            })
            .map_err(tx_err)
    }

    /// Take in a mail that changes no case (automatic replies, bounces, unreadable
    /// mail) so that replay skips it; `case` links it to a case's history when known.
    pub fn note_mail(&self, mail: Incoming<'_>, case: Option<CaseId>, event: Option<EventKind>) -> Result<bool, StoreError> {
        let keys = mail.keys();
        let raw_key = mail.raw_key();
        (&self.cases, &self.seen, &self.mails)
            .transaction(|(cases, seen, mails)| {
                if tx_seen(seen, &keys)?.is_some() {
                    return Ok(false);
                }
                if let (Some(id), Some(what)) = (case, event.clone()) {
                    if let Ok(mut c) = tx_get_case(cases, id) {
                        c.history.push(Event { at: mail.at, what });
                        cases.insert(case_key(id), to_json(&c))?;
                    }
                }
                tx_mark_seen(seen, &keys, case)?;
                mails.insert(raw_key.as_bytes(), mail.raw)?;
                Ok(true)
            })
            .map_err(tx_err)
    }

    /// Booked visits and unexpired holds (at `at`) from `from` through `to`, in time order.
    pub fn agenda_between(&self, from: jiff::civil::Date, to: jiff::civil::Date, at: Timestamp) -> Result<Vec<AgendaEntry>, StoreError> {
        let mut out = Vec::new();
        let end = to.tomorrow().unwrap_or(to);
        let mut cache = self.agenda_cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() > AGENDA_CACHE_DAYS {
            cache.clear();
        }
        for kv in self.agenda.range(from.to_string().as_bytes()..end.to_string().as_bytes()) {
            let (k, v) = kv?;
            let day = match cache.get(k.as_ref()) {
                Some((bytes, parsed)) if *bytes == v => parsed.clone(),
                _ => {
                    let parsed = std::sync::Arc::new(from_json::<Vec<AgendaEntry>>(&k, &v)?);
                    cache.insert(k.to_vec(), (v, parsed.clone()));
                    parsed
                }
            };
            out.extend(day.iter().filter(|e| e.blocks_at(at)).cloned());
        }
        out.sort_by_key(|e| e.slot.start);
        Ok(out)
    }

    /// When the first hold still live at `at` between `from` and `to` runs out: its slot
    /// becomes free then.
    pub fn next_hold_expiry(&self, from: jiff::civil::Date, to: jiff::civil::Date, at: Timestamp) -> Result<Option<Timestamp>, StoreError> {
        Ok(self.agenda_between(from, to, at)?.iter().filter_map(|e| e.hold_until).min())
    }

    /// Booked visits (no holds) on `day`, all staff, in time order.
    pub fn bookings_on(&self, day: jiff::civil::Date) -> Result<Vec<AgendaEntry>, StoreError> {
        Ok(self.agenda_between(day, day, Timestamp::MIN)?.into_iter().filter(|e| e.hold_until.is_none()).collect())
    }

    /// Every case, in case-number order.
    pub fn all_cases(&self) -> Result<Vec<Case>, StoreError> {
        self.cases
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                from_json(&k, &v)
            })
            .collect()
    }

    pub fn cases_with_status(&self, status: Status) -> Result<Vec<CaseId>, StoreError> {
        self.ids_under(&self.by_status, status.key())
    }

    pub fn cases_from(&self, sender: &str) -> Result<Vec<CaseId>, StoreError> {
        self.ids_under(&self.by_sender, &sender.to_lowercase())
    }

    fn ids_under(&self, tree: &sled::Tree, prefix: &str) -> Result<Vec<CaseId>, StoreError> {
        let mut out = Vec::new();
        for kv in tree.scan_prefix(format!("{prefix}\0").as_bytes()) {
            let (k, _) = kv?;
            let id = std::str::from_utf8(&k).ok().and_then(|s| s.rsplit('\0').next()).and_then(CaseId::find_in);
            out.push(id.ok_or_else(|| corrupt(&k, "index key without case id"))?);
        }
        Ok(out)
    }

    /// The `absences` tree, opened on first use (sled keeps it open after that).
    fn absences_tree(&self) -> Result<sled::Tree, StoreError> {
        Ok(self.db.open_tree("absences")?)
    }

    /// Record an absence; `false` (and nothing written) when the same staff member and
    /// span were recorded before, so a repeated command changes nothing.
    pub fn add_absence(&self, absence: &Absence) -> Result<bool, StoreError> {
        let swapped = self.absences_tree()?.compare_and_swap(absence.key(), None as Option<&[u8]>, Some(to_json(absence)))?;
        Ok(swapped.is_ok())
    }

    /// Every recorded absence, by staff member and first day.
    pub fn absences(&self) -> Result<Vec<Absence>, StoreError> {
        self.absences_tree()?
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                from_json(&k, &v)
            })
            .collect()
    }

    /// The IMAP position in `folder`: (UIDVALIDITY, last UID handled).
    pub fn imap_state(&self, folder: &str) -> Result<Option<(u32, u32)>, StoreError> {
        let key = format!("imap:{folder}");
        let Some(v) = self.meta.get(key.as_bytes())? else { return Ok(None) };
        let text = String::from_utf8_lossy(&v);
        let (a, b) = text.split_once(':').ok_or_else(|| corrupt(key.as_bytes(), "expected VALIDITY:UID"))?;
        Ok(Some((a.parse().map_err(|e| corrupt(key.as_bytes(), e))?, b.parse().map_err(|e| corrupt(key.as_bytes(), e))?)))
    }

    /// Mails taken in on `day` from `sender`'s cases (requests and replies): the loop
    /// protection's count, one read instead of every case of the sender.
    pub fn mails_from_on(&self, sender: &str, day: jiff::civil::Date) -> Result<u32, StoreError> {
        let key = answers_key(sender, day);
        Ok(self.meta.get(&key)?.map(|v| String::from_utf8_lossy(&v).parse::<u32>()).transpose().map_err(|e| corrupt(&key, e))?.unwrap_or(0))
    }

    /// Drop the loop-protection counts of days before `day`.
    pub fn forget_mail_counts_before(&self, day: jiff::civil::Date) -> Result<usize, StoreError> {
        let mut n = 0;
        for kv in self.meta.range(b"answers:".to_vec()..format!("answers:{day}").into_bytes()) {
            let (k, _) = kv?;
            self.meta.remove(k)?;
            n += 1;
        }
        Ok(n)
    }

    /// The day the retention purge last ran.
    pub fn last_purge(&self) -> Result<Option<jiff::civil::Date>, StoreError> {
        let Some(v) = self.meta.get(b"last_purge")? else { return Ok(None) };
        String::from_utf8_lossy(&v).parse().map(Some).map_err(|e| corrupt(b"last_purge", e))
    }

    pub fn set_last_purge(&self, day: jiff::civil::Date) -> Result<(), StoreError> {
        self.meta.insert(b"last_purge", day.to_string().as_bytes())?;
        Ok(())
    }

    pub fn set_imap_state(&self, folder: &str, validity: u32, last_uid: u32) -> Result<(), StoreError> {
        self.meta.insert(format!("imap:{folder}").as_bytes(), format!("{validity}:{last_uid}").as_bytes())?;
        Ok(())
    }

    /// A bounce said this address does not exist: no more mail is sent there.
    pub fn mark_undeliverable(&self, address: &str, at: Timestamp) -> Result<(), StoreError> {
        self.meta.insert(format!("undeliverable:{}", address.to_lowercase()).as_bytes(), at.to_string().as_bytes())?;
        Ok(())
    }

    pub fn is_undeliverable(&self, address: &str) -> Result<bool, StoreError> {
        Ok(self.meta.contains_key(format!("undeliverable:{}", address.to_lowercase()).as_bytes())?)
    }

    /// Mails waiting for SMTP, oldest first.
    /// Up to `limit` queued mails with an id above `after`, in id order, so a large outbox
    /// can be walked page by page.
    pub fn outbox_page(&self, after: Option<u64>, limit: usize) -> Result<Vec<OutgoingMail>, StoreError> {
        let start = match after {
            None => 0,
            Some(id) => match id.checked_add(1) {
                Some(next) => next,
                None => return Ok(Vec::new()),
            },
        };
        self.outbox
            .range(start.to_be_bytes()..)
            .take(limit)
            .map(|kv| {
                let (k, v) = kv?;
                from_json(&k, &v)
            })
            .collect()
    }

    /// How many mails wait in the outbox, and when the oldest of them was queued. Ids
    /// grow with time, so the oldest is the first that records its queue time.
    pub fn outbox_stats(&self) -> Result<(u64, Option<Timestamp>), StoreError> {
        use std::sync::atomic::Ordering::Relaxed;
        let depth = match self.outbox_depth.load(Relaxed) {
            OUTBOX_UNCOUNTED => {
                let n = self.outbox.len() as u64;
                // A change committed meanwhile already counted in `n`.
                let _ = self.outbox_depth.compare_exchange(OUTBOX_UNCOUNTED, n, Relaxed, Relaxed);
                n
            }
            n => n,
        };
        let mut oldest = None;
        for kv in self.outbox.iter() {
            let (k, v) = kv?;
            if let Some(at) = from_json::<OutgoingMail>(&k, &v)?.queued_at {
                oldest = Some(at);
                break;
            }
        }
        Ok((depth, oldest))
    }

    pub fn outbox(&self) -> Result<Vec<OutgoingMail>, StoreError> {
        self.outbox
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                from_json(&k, &v)
            })
            .collect()
    }

    /// The server refused the mail for good: move it to `failed` (kept for staff) and
    /// record why on the case.
    pub fn mark_failed(&self, outbox_id: u64, at: Timestamp, reason: &str) -> Result<(), StoreError> {
        (&self.cases, &self.outbox, &self.failed)
            .transaction(|(cases, outbox, failed)| {
                let Some(v) = outbox.remove(&outbox_id.to_be_bytes())? else {
                    return Ok(false);
                };
                let mail: OutgoingMail = from_json(b"outbox", &v).or_else(abort)?;
                failed.insert(&outbox_id.to_be_bytes(), v)?;
                let mut case = tx_get_case(cases, mail.case)?;
                case.history.push(Event { at, what: EventKind::ReplyFailed { outbox_id, to: mail.to.clone(), reason: reason.to_string() } });
                cases.insert(case_key(case.id), to_json(&case))?;
                Ok(true)
            })
            .map_err(tx_err)
            .map(|removed| self.outbox_changed(0, removed.into()))
    }

    /// Mails the server refused for good.
    pub fn failed_mails(&self) -> Result<Vec<OutgoingMail>, StoreError> {
        self.failed
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                from_json(&k, &v)
            })
            .collect()
    }

    /// SMTP accepted the mail: drop it from the outbox and note it in the case history.
    pub fn mark_sent(&self, outbox_id: u64, at: Timestamp) -> Result<(), StoreError> {
        (&self.cases, &self.outbox)
            .transaction(|(cases, outbox)| {
                let Some(v) = outbox.remove(&outbox_id.to_be_bytes())? else {
                    // Already sent (replay after a crash): nothing to do.
                    return Ok(false);
                };
                let mail: OutgoingMail = from_json(b"outbox", &v).or_else(abort)?;
                let mut case = tx_get_case(cases, mail.case)?;
                case.history.push(Event { at, what: EventKind::ReplySent { outbox_id } });
                cases.insert(case_key(case.id), to_json(&case))?;
                Ok(true)
            })
            .map_err(tx_err)
            .map(|removed| self.outbox_changed(0, removed.into()))
    }
}

/// `answers:<day>:<sender>` → mails taken in from that sender's cases that day (the
/// loop protection's count; the day first, so old days are dropped by one range).
fn answers_key(sender: &str, day: jiff::civil::Date) -> Vec<u8> {
    format!("answers:{day}:{}", sender.to_lowercase()).into_bytes()
}

fn tx_count_mail(meta: &TransactionalTree, sender: &str, at: Timestamp) -> TxResult<()> {
    let key = answers_key(sender, at.to_zoned(crate::tz::berlin()).date());
    let n = meta.get(&key)?.and_then(|v| String::from_utf8_lossy(&v).parse::<u32>().ok()).unwrap_or(0);
    meta.insert(key, (n + 1).to_string().as_bytes())?;
    Ok(())
}

fn tx_seen(seen: &TransactionalTree, keys: &[String]) -> TxResult<Option<Option<CaseId>>> {
    for key in keys {
        if let Some(v) = seen.get(key.as_bytes())? {
            return Ok(Some(from_json(key.as_bytes(), &v).or_else(abort)?));
        }
    }
    Ok(None)
}

fn tx_mark_seen(seen: &TransactionalTree, keys: &[String], case: Option<CaseId>) -> TxResult<()> {
    for key in keys {
        seen.insert(key.as_bytes(), to_json(&case))?;
    }
    Ok(())
}

fn tx_day(agenda: &TransactionalTree, key: &[u8]) -> TxResult<Vec<AgendaEntry>> {
    match agenda.get(key)? {
        Some(v) => from_json(key, &v).or_else(abort),
        None => Ok(Vec::new()),
    }
}

/// Write a staff member's day back, without the holds that ran out by `at`: nothing
/// reads them, and every later write of the day would carry them along (a popular day
/// collected every unanswered proposal ever made for it).
fn tx_put_day(agenda: &TransactionalTree, key: Vec<u8>, mut day: Vec<AgendaEntry>, at: Timestamp) -> TxResult<()> {
    day.retain(|e| e.blocks_at(at));
    day.sort_by_key(|e| e.slot.start);
    agenda.insert(key, to_json(&day))?;
    Ok(())
}

/// Remove the case's entries (holds, or its booking) from the days of `slots`.
fn tx_remove(agenda: &TransactionalTree, id: CaseId, slots: &[Slot], holds: bool, at: Timestamp) -> TxResult<()> {
    let mut keys: Vec<Vec<u8>> = slots.iter().map(|s| day_key(s.start, &s.staff)).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let mut day = tx_day(agenda, &key)?;
        day.retain(|e| e.case != id || e.hold_until.is_some() != holds);
        tx_put_day(agenda, key, day, at)?;
    }
    Ok(())
}

/// The slots of the case's current holds, from its last `Proposed` event.
fn held_slots(case: &Case) -> Vec<Slot> {
    case.proposed_slots().to_vec()
}

impl Case {
    /// The options of the last proposal mail, numbered from 1 in the mail.
    pub fn proposed_slots(&self) -> &[Slot] {
        self.history
            .iter()
            .rev()
            .find_map(|e| match &e.what {
                EventKind::Proposed { slots } => Some(slots.as_slice()),
                _ => None,
            })
            .unwrap_or(&[])
    }
}

/// Another case's booking or unexpired hold overlapping `slot` on its staff member's day.
fn collision(day: &[AgendaEntry], id: CaseId, slot: &Slot, at: Timestamp) -> Option<CaseId> {
    day.iter().find(|e| e.case != id && e.blocks_at(at) && e.slot.start < slot.end && slot.start < e.slot.end).map(|e| e.case)
}

/// Apply `change` to the case and the agenda; queue its replies.
fn tx_apply(agenda: &TransactionalTree, outbox: &TransactionalTree, case: &mut Case, at: Timestamp, change: &Change) -> TxResult<Applied> {
    // The decision's own events first (classified, flagged, …), then what it did.
    let events_at = case.history.len();
    if let Some(slot) = &change.book {
        let key = day_key(slot.start, &slot.staff);
        let mut day = tx_day(agenda, &key)?;
        if let Some(by) = collision(&day, case.id, slot, at) {
            return Ok(Applied::Taken { by });
        }
        tx_remove(agenda, case.id, &held_slots(case), true, at)?;
        if let Some(prev) = case.booking.clone() {
            tx_remove(agenda, case.id, std::slice::from_ref(&prev), false, at)?;
            case.history.push(Event { at, what: EventKind::Moved { from: prev, to: slot.clone() } });
        } else {
            case.history.push(Event { at, what: EventKind::Booked { slot: slot.clone() } });
        }
        day = tx_day(agenda, &key)?;
        day.push(AgendaEntry { case: case.id, slot: slot.clone(), hold_until: None });
        tx_put_day(agenda, key, day, at)?;
        case.booking = Some(slot.clone());
        case.status = Status::Booked;
    }
    if let Some(slot) = &change.move_booking {
        let Some(prev) = case.booking.clone() else {
            return abort(StoreError::Compose(format!("case {}: no booking to move", case.id)));
        };
        let key = day_key(slot.start, &slot.staff);
        let mut day = tx_day(agenda, &key)?;
        if let Some(by) = collision(&day, case.id, slot, at) {
            return Ok(Applied::Taken { by });
        }
        // Only the booking: held proposals for a wished move stay on offer.
        tx_remove(agenda, case.id, std::slice::from_ref(&prev), false, at)?;
        day = tx_day(agenda, &key)?;
        day.push(AgendaEntry { case: case.id, slot: slot.clone(), hold_until: None });
        tx_put_day(agenda, key, day, at)?;
        case.history.push(Event { at, what: EventKind::Moved { from: prev, to: slot.clone() } });
        case.booking = Some(slot.clone());
    }
    if let Some(triage) = &change.triage {
        case.triage = triage.clone();
    }
    if change.cancel {
        tx_remove(agenda, case.id, &held_slots(case), true, at)?;
        if let Some(prev) = case.booking.take() {
            tx_remove(agenda, case.id, std::slice::from_ref(&prev), false, at)?;
        }
        case.status = Status::Cancelled;
        case.history.push(Event { at, what: EventKind::Cancelled });
    }
    if let Some((slots, until)) = &change.hold {
        tx_remove(agenda, case.id, &held_slots(case), true, at)?;
        // The Proposed event is what later releases these holds.
        case.history.push(Event { at, what: EventKind::Proposed { slots: slots.clone() } });
        for slot in slots {
            let key = day_key(slot.start, &slot.staff);
            let mut day = tx_day(agenda, &key)?;
            day.push(AgendaEntry { case: case.id, slot: slot.clone(), hold_until: Some(*until) });
            tx_put_day(agenda, key, day, at)?;
        }
    }
    if let Some(s) = change.status {
        case.status = s;
    }
    let own: Vec<Event> = change.events.iter().cloned().map(|what| Event { at, what }).collect();
    case.history.splice(events_at..events_at, own);
    tx_queue(outbox, case, at, &change.replies)?;
    Ok(Applied::Done)
}
