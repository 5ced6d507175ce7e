//! Cases in sled: the only module that knows sled. Everything else sees typed operations.
//!
//! Trees: `meta` (schema version, per-year case counters), `cases` (CaseId → Case),
//! `by_message_id`, `by_sender`, `by_status` (indexes), `bookings` (day + staff → the
//! day's visits), `outbox` (mails to send). Every operation that changes a case and must
//! also send mail writes the outgoing mail in the same transaction, so a crash leaves
//! either both or neither. sled makes writes durable only on `flush()`: callers flush
//! before any effect outside the process.

use crate::case_id::CaseId;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sled::transaction::{abort, ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;
use std::path::Path;
use thiserror::Error;

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
    fn key(self) -> &'static str {
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
}

/// One entry of a case's append-only history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    Received { message_id: String },
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
    MailReceived { message_id: String },
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
    pub message_id: String,
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
    pub message: Vec<u8>,
}

/// A mail to queue, before it has an outbox id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub to: String,
    pub message: Vec<u8>,
}

/// What a new request becomes.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub message_id: String,
    pub sender: String,
    pub received: Timestamp,
    pub status: Status,
    pub triage: serde_json::Value,
    pub events: Vec<EventKind>,
    pub replies: Vec<Draft>,
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
}

/// The outcome of a booking attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Booking {
    Booked,
    /// Another case holds an overlapping visit of the same staff member.
    Taken { by: CaseId },
}

pub struct Store {
    db: sled::Db,
    meta: sled::Tree,
    cases: sled::Tree,
    by_message_id: sled::Tree,
    by_sender: sled::Tree,
    by_status: sled::Tree,
    bookings: sled::Tree,
    outbox: sled::Tree,
}

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

/// One booked visit in the `bookings` tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookedVisit {
    pub case: CaseId,
    pub slot: Slot,
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
        let mail = OutgoingMail { id, case: case.id, to: d.to.clone(), message: d.message.clone() };
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

impl Store {
    /// Open (or create) the store at `path`, refusing another schema version.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let db = sled::open(path)?;
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
            by_message_id: db.open_tree("by_message_id")?,
            by_sender: db.open_tree("by_sender")?,
            by_status: db.open_tree("by_status")?,
            bookings: db.open_tree("bookings")?,
            outbox: db.open_tree("outbox")?,
            meta,
            cases,
            db,
        })
    }

    /// Make everything written so far durable. Call before any effect outside the
    /// process (moving the IMAP mail, handing a reply to SMTP).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    /// Record a new request as a case with a gap-free id for the year of receipt, its
    /// events and its replies, in one transaction. The same Message-ID never makes a
    /// second case: the existing id is returned with `false`.
    pub fn create_case(&self, new: &NewCase) -> Result<(CaseId, bool), StoreError> {
        let year = new.received.to_zoned(crate::tz::berlin()).year();
        (&self.meta, &self.cases, &self.by_message_id, &self.by_sender, &self.by_status, &self.outbox)
            .transaction(|(meta, cases, by_mid, by_sender, by_status, outbox)| {
                if let Some(existing) = by_mid.get(new.message_id.as_bytes())? {
                    let key = new.message_id.as_bytes();
                    let id: CaseId = from_json(key, &existing).or_else(abort)?;
                    return Ok((id, false));
                }
                let counter = format!("counter:{year}");
                let last = match meta.get(counter.as_bytes())? {
                    Some(v) => String::from_utf8_lossy(&v).parse::<u32>().map_err(|e| corrupt(counter.as_bytes(), e)).or_else(abort)?,
                    None => 0,
                };
                let id = CaseId::new(year, last + 1);
                meta.insert(counter.as_bytes(), (last + 1).to_string().as_bytes())?;
                let mut case = Case {
                    id,
                    message_id: new.message_id.clone(),
                    sender: new.sender.to_lowercase(),
                    status: new.status,
                    triage: new.triage.clone(),
                    booking: None,
                    history: vec![Event { at: new.received, what: EventKind::Received { message_id: new.message_id.clone() } }],
                };
                case.history.extend(new.events.iter().cloned().map(|what| Event { at: new.received, what }));
                tx_queue(outbox, &mut case, new.received, &new.replies)?;
                by_mid.insert(new.message_id.as_bytes(), to_json(&id))?;
                by_sender.insert(index_key(&case.sender, id), &[])?;
                tx_put_case(cases, by_status, None, &case)?;
                Ok((id, true))
            })
            .map_err(tx_err)
    }

    pub fn case(&self, id: CaseId) -> Result<Option<Case>, StoreError> {
        let key = case_key(id);
        self.cases.get(&key)?.map(|v| from_json(&key, &v)).transpose()
    }

    /// The case a Message-ID made, if any (for replay after a crash).
    pub fn case_by_message_id(&self, message_id: &str) -> Result<Option<CaseId>, StoreError> {
        self.by_message_id.get(message_id.as_bytes())?.map(|v| from_json(message_id.as_bytes(), &v)).transpose()
    }

    /// Append events (and optionally change the status), queueing replies atomically.
    pub fn record(&self, id: CaseId, at: Timestamp, status: Option<Status>, events: &[EventKind], replies: &[Draft]) -> Result<(), StoreError> {
        (&self.cases, &self.by_status, &self.outbox)
            .transaction(|(cases, by_status, outbox)| {
                let mut case = tx_get_case(cases, id)?;
                let old = case.status;
                if let Some(s) = status {
                    case.status = s;
                }
                case.history.extend(events.iter().cloned().map(|what| Event { at, what }));
                tx_queue(outbox, &mut case, at, replies)?;
                tx_put_case(cases, by_status, Some(old), &case)
            })
            .map_err(tx_err)
    }

    /// Book `slot` for the case unless an overlapping visit of the same staff member is
    /// booked: of concurrent attempts on one slot exactly one wins. A previous booking of
    /// the case is released (a move), and the confirmation is queued in the same step.
    pub fn book(&self, id: CaseId, slot: &Slot, at: Timestamp, replies: &[Draft]) -> Result<Booking, StoreError> {
        (&self.cases, &self.by_status, &self.bookings, &self.outbox)
            .transaction(|(cases, by_status, bookings, outbox)| {
                let mut case = tx_get_case(cases, id)?;
                let key = day_key(slot.start, &slot.staff);
                let mut day: Vec<BookedVisit> = match bookings.get(&key)? {
                    Some(v) => from_json(&key, &v).or_else(abort)?,
                    None => Vec::new(),
                };
                if let Some(other) = day.iter().find(|b| b.case != id && b.slot.start < slot.end && slot.start < b.slot.end) {
                    return Ok(Booking::Taken { by: other.case });
                }
                if let Some(prev) = case.booking.clone() {
                    let prev_key = day_key(prev.start, &prev.staff);
                    if prev_key == key {
                        day.retain(|b| b.case != id);
                    } else if let Some(v) = bookings.get(&prev_key)? {
                        let mut prev_day: Vec<BookedVisit> = from_json(&prev_key, &v).or_else(abort)?;
                        prev_day.retain(|b| b.case != id);
                        bookings.insert(prev_key, to_json(&prev_day))?;
                    }
                    case.history.push(Event { at, what: EventKind::Moved { from: prev, to: slot.clone() } });
                } else {
                    case.history.push(Event { at, what: EventKind::Booked { slot: slot.clone() } });
                }
                day.push(BookedVisit { case: id, slot: slot.clone() });
                day.sort_by_key(|b| b.slot.start);
                bookings.insert(key, to_json(&day))?;
                let old = case.status;
                case.status = Status::Booked;
                case.booking = Some(slot.clone());
                tx_queue(outbox, &mut case, at, replies)?;
                tx_put_case(cases, by_status, Some(old), &case)?;
                Ok(Booking::Booked)
            })
            .map_err(tx_err)
    }

    /// Cancel the case's visit (if any), freeing the slot, and queue the confirmation.
    pub fn cancel(&self, id: CaseId, at: Timestamp, replies: &[Draft]) -> Result<(), StoreError> {
        (&self.cases, &self.by_status, &self.bookings, &self.outbox)
            .transaction(|(cases, by_status, bookings, outbox)| {
                let mut case = tx_get_case(cases, id)?;
                if let Some(prev) = case.booking.take() {
                    let key = day_key(prev.start, &prev.staff);
                    if let Some(v) = bookings.get(&key)? {
                        let mut day: Vec<BookedVisit> = from_json(&key, &v).or_else(abort)?;
                        day.retain(|b| b.case != id);
                        bookings.insert(key, to_json(&day))?;
                    }
                }
                let old = case.status;
                case.status = Status::Cancelled;
                case.history.push(Event { at, what: EventKind::Cancelled });
                tx_queue(outbox, &mut case, at, replies)?;
                tx_put_case(cases, by_status, Some(old), &case)
            })
            .map_err(tx_err)
    }

    /// Every booked visit on `day` (Berlin), all staff, in time order.
    pub fn bookings_on(&self, day: jiff::civil::Date) -> Result<Vec<BookedVisit>, StoreError> {
        let mut out = Vec::new();
        for kv in self.bookings.scan_prefix(format!("{day}\0").as_bytes()) {
            let (k, v) = kv?;
            out.extend(from_json::<Vec<BookedVisit>>(&k, &v)?);
        }
        out.sort_by_key(|b| b.slot.start);
        Ok(out)
    }

    /// Every booked visit from `from` through `to` (inclusive days).
    pub fn bookings_between(&self, from: jiff::civil::Date, to: jiff::civil::Date) -> Result<Vec<BookedVisit>, StoreError> {
        let mut out = Vec::new();
        let end = to.tomorrow().unwrap_or(to);
        for kv in self.bookings.range(from.to_string().as_bytes()..end.to_string().as_bytes()) {
            let (k, v) = kv?;
            out.extend(from_json::<Vec<BookedVisit>>(&k, &v)?);
        }
        out.sort_by_key(|b| b.slot.start);
        Ok(out)
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

    /// Mails waiting for SMTP, oldest first.
    pub fn outbox(&self) -> Result<Vec<OutgoingMail>, StoreError> {
        self.outbox.iter().map(|kv| {
            let (k, v) = kv?;
            from_json(&k, &v)
        }).collect()
    }

    /// SMTP accepted the mail: drop it from the outbox and note it in the case history.
    pub fn mark_sent(&self, outbox_id: u64, at: Timestamp) -> Result<(), StoreError> {
        (&self.cases, &self.outbox)
            .transaction(|(cases, outbox)| {
                let Some(v) = outbox.remove(&outbox_id.to_be_bytes())? else {
                    // Already sent (replay after a crash): nothing to do.
                    return Ok(());
                };
                let mail: OutgoingMail = from_json(b"outbox", &v).or_else(abort)?;
                let mut case = tx_get_case(cases, mail.case)?;
                case.history.push(Event { at, what: EventKind::ReplySent { outbox_id } });
                cases.insert(case_key(case.id), to_json(&case))?;
                Ok(())
            })
            .map_err(tx_err)
    }
}
