//! Data protection (DSGVO): what the store holds about an e-mail address (export), removing
//! it (erasure), removing closed cases after the retention period (purge), and compaction,
//! which rewrites the database so that removed values no longer linger in sled's log.
//!
//! These run in the daemon's loop between batches of mail, so nothing else writes while
//! they run. Erasure and purge first work out every change (a [`Plan`]) by reading, then
//! apply all of it in one sled transaction over every tree touched and flush: a crash
//! leaves either the old store or the erased one, and running it again finds nothing left.
//! Trees are walked by `db.tree_names()`, so trees added later are covered too.

use super::{case_key, from_json, to_json, AgendaEntry, Case, EventKind, OutgoingMail, Store, StoreError, CACHE_BYTES};
use crate::case_id::CaseId;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sled::transaction::ConflictableTransactionError;
use sled::Transactional;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What replaces the address where it is redacted in records kept.
pub const REDACTED: &str = "[gelöscht]";

/// Trees whose records this module knows; any other tree is handled generically.
const KNOWN: [&str; 9] = ["meta", "cases", "seen", "by_sender", "by_status", "agenda", "mails", "outbox", "failed"];

/// Everything the store holds about one address.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectExport {
    pub address: String,
    pub exported_at: Timestamp,
    /// The cases the address wrote (all fields and the whole history).
    pub cases: Vec<Case>,
    /// The raw mails of those cases and mails without a case that name the address.
    pub mails: Vec<ExportedMail>,
    /// Mails waiting to go to the address or of its cases.
    pub outbox: Vec<ExportedOutgoing>,
    /// Mails the server refused for good, to the address or of its cases.
    pub failed: Vec<ExportedOutgoing>,
    /// Since when mail to the address bounces (RFC 3339), if it does.
    pub undeliverable_since: Option<String>,
    /// Other records that still name the address (where, not what).
    pub mentions: Vec<Mention>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportedMail {
    /// `raw:<sha256>`, as in the case history.
    pub key: String,
    pub case: Option<CaseId>,
    /// The mail as text (lossy UTF-8).
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportedOutgoing {
    pub id: u64,
    pub case: CaseId,
    pub to: String,
    pub text: String,
}

/// A record outside the subject's own that names the address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mention {
    pub tree: String,
    /// The record's key, with the address itself redacted.
    pub key: String,
    pub case: Option<CaseId>,
}

/// What an erasure or purge removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Erasure {
    pub cases: Vec<CaseId>,
    /// Records removed, by tree.
    pub removed: BTreeMap<String, usize>,
    /// Bookings and proposal holds taken off the agenda (their slots are free again).
    pub freed_slots: usize,
    /// Records kept with the address replaced by `[gelöscht]`.
    pub redacted: Vec<Mention>,
}

/// Sizes of the store directory around a compaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compaction {
    pub bytes_before: u64,
    pub bytes_after: u64,
    pub trees: usize,
    pub records: u64,
}

/// The tombstone left in `meta` under `erased:<case id>`: why the number is missing.
/// It holds no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    pub at: Timestamp,
    /// "erasure request" or "retention".
    pub reason: String,
}

/// Whether a case is closed and old enough to be purged at `now`: its last event (and
/// for a booking the end of the visit) lies more than `retention_days` back. Waiting
/// cases, new cases and visits still to come are never closed.
pub fn closed_for_retention(case: &Case, now: Timestamp, retention_days: u32) -> bool {
    use super::Status::*;
    let retention = SignedDuration::from_hours(i64::from(retention_days) * 24);
    let Ok(cutoff) = now.checked_sub(retention) else { return false };
    let Some(last) = case.history.iter().map(|e| e.at).max() else { return false };
    if last >= cutoff {
        return false;
    }
    match case.status {
        Done | Cancelled | Forwarded | Unclassified | Proposed => true,
        // A booking without a slot is inconsistent: keep it for staff to look at.
        Booked => case.booking.as_ref().is_some_and(|slot| slot.end < cutoff),
        Waitlisted | New => false,
    }
}

/// Finds an address in bytes, case-insensitively, as a whole address: `xa@b.de` and
/// `a@b.de.org` are other addresses than `a@b.de`.
struct Matcher {
    address: String,
    re: regex::bytes::Regex,
}

impl Matcher {
    fn new(address: &str) -> Result<Matcher, StoreError> {
        let address = address.trim().to_lowercase();
        let valid = address.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty()) && !address.contains(char::is_whitespace);
        if !valid {
            return Err(StoreError::BadAddress(address));
        }
        let re = regex::bytes::RegexBuilder::new(&regex::escape(&address))
            .case_insensitive(true)
            .build()
            .map_err(|e| StoreError::BadAddress(format!("{address}: {e}")))?;
        Ok(Matcher { address, re })
    }

    fn is(&self, other: &str) -> bool {
        other.trim().to_lowercase() == self.address
    }

    /// Byte ranges of the whole-address matches in `hay`.
    fn spans(&self, hay: &[u8]) -> Vec<(usize, usize)> {
        let part = |b: u8| b.is_ascii_alphanumeric() || b"._%+-".contains(&b) || b >= 0x80;
        self.re
            .find_iter(hay)
            .map(|m| (m.start(), m.end()))
            .filter(|&(s, e)| {
                let before_ok = s == 0 || !part(hay[s - 1]);
                // A full stop after the address ends the sentence unless more of a domain follows.
                let after_ok = match hay.get(e) {
                    None => true,
                    Some(b'.') => !hay.get(e + 1).is_some_and(|&b| b.is_ascii_alphanumeric()),
                    Some(&b) => !part(b),
                };
                before_ok && after_ok
            })
            .collect()
    }

    fn found_in(&self, hay: &[u8]) -> bool {
        !self.spans(hay).is_empty()
    }

    /// `hay` with every match replaced by `[gelöscht]`, if there was one.
    fn redact(&self, hay: &[u8]) -> Option<Vec<u8>> {
        let spans = self.spans(hay);
        if spans.is_empty() {
            return None;
        }
        let mut out = Vec::with_capacity(hay.len());
        let mut at = 0;
        for (s, e) in spans {
            out.extend_from_slice(&hay[at..s]);
            out.extend_from_slice(REDACTED.as_bytes());
            at = e;
        }
        out.extend_from_slice(&hay[at..]);
        Some(out)
    }
}

/// Changes worked out by reading, applied together: tree → key → new value (`None`: remove).
#[derive(Default)]
struct Plan {
    trees: BTreeMap<String, BTreeMap<Vec<u8>, Option<Vec<u8>>>>,
}

impl Plan {
    fn remove(&mut self, tree: &str, key: &[u8]) {
        self.trees.entry(tree.to_string()).or_default().insert(key.to_vec(), None);
    }

    fn put(&mut self, tree: &str, key: &[u8], value: Vec<u8>) {
        self.trees.entry(tree.to_string()).or_default().insert(key.to_vec(), Some(value));
    }

    /// What the plan does to the record so far (`None`: untouched).
    fn planned(&self, tree: &str, key: &[u8]) -> Option<&Option<Vec<u8>>> {
        self.trees.get(tree).and_then(|t| t.get(key))
    }
}

/// The subject's own records, found by reading.
#[derive(Default)]
struct Owned {
    cases: BTreeMap<CaseId, Case>,
    /// Raw mail key → its case (`None`: a mail without a case that names the address).
    mails: BTreeMap<String, Option<CaseId>>,
    outbox: BTreeSet<u64>,
    failed: BTreeSet<u64>,
}

fn tree_label(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

/// The case id at the end of an index key (`<value>\0<case id>`).
fn index_case(key: &[u8]) -> Option<CaseId> {
    let text = std::str::from_utf8(key).ok()?;
    text.rsplit('\0').next()?.parse().ok()
}

impl Store {
    /// Every tree of the database by name (the default tree too), in name order.
    pub(super) fn named_trees(&self) -> Result<Vec<(String, sled::Tree)>, StoreError> {
        let mut out = Vec::new();
        for name in self.db.tree_names() {
            out.push((tree_label(&name), self.db.open_tree(&name)?));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// `raw:` seen keys → the case they were taken into.
    fn raw_seen(&self) -> Result<BTreeMap<String, Option<CaseId>>, StoreError> {
        let mut out = BTreeMap::new();
        for kv in self.seen.scan_prefix(b"raw:") {
            let (k, v) = kv?;
            out.insert(tree_label(&k), from_json::<Option<CaseId>>(&k, &v)?);
        }
        Ok(out)
    }

    /// The cases in `ids` with their mails, queued and failed mails.
    fn owned_by_cases(&self, cases: BTreeMap<CaseId, Case>) -> Result<Owned, StoreError> {
        let mut owned = Owned { cases, ..Owned::default() };
        for case in owned.cases.values() {
            for e in &case.history {
                if let EventKind::Received { mail } | EventKind::MailReceived { mail } = &e.what {
                    owned.mails.insert(mail.clone(), Some(case.id));
                }
            }
        }
        // Mails noted on a case without an event of their own (automatic replies, …).
        for (key, case) in self.raw_seen()? {
            if let Some(id) = case.filter(|id| owned.cases.contains_key(id)) {
                owned.mails.entry(key).or_insert(Some(id));
            }
        }
        for (tree, set) in [(&self.outbox, &mut owned.outbox), (&self.failed, &mut owned.failed)] {
            for kv in tree.iter() {
                let (k, v) = kv?;
                let mail: OutgoingMail = from_json(&k, &v)?;
                if owned.cases.contains_key(&mail.case) {
                    set.insert(mail.id);
                }
            }
        }
        Ok(owned)
    }

    /// The subject's records: the cases it wrote, their mails, mails to it, and mails
    /// without a case that name it (its automatic replies, bounces about it).
    fn owned_by_address(&self, m: &Matcher) -> Result<Owned, StoreError> {
        let mut cases = BTreeMap::new();
        for case in self.all_cases()? {
            if m.is(&case.sender) {
                cases.insert(case.id, case);
            }
        }
        let mut owned = self.owned_by_cases(cases)?;
        for (tree, set) in [(&self.outbox, &mut owned.outbox), (&self.failed, &mut owned.failed)] {
            for kv in tree.iter() {
                let (k, v) = kv?;
                let mail: OutgoingMail = from_json(&k, &v)?;
                if m.is(&mail.to) {
                    set.insert(mail.id);
                }
            }
        }
        let raw_seen = self.raw_seen()?;
        for kv in self.mails.iter() {
            let (k, v) = kv?;
            let key = tree_label(&k);
            let caseless = raw_seen.get(&key).is_none_or(Option::is_none);
            if caseless && !owned.mails.contains_key(&key) && m.found_in(&v) {
                owned.mails.insert(key, None);
            }
        }
        Ok(owned)
    }

    fn outgoing(&self, tree: &sled::Tree, ids: &BTreeSet<u64>) -> Result<Vec<ExportedOutgoing>, StoreError> {
        let mut out = Vec::new();
        for id in ids {
            let key = id.to_be_bytes();
            if let Some(v) = tree.get(key)? {
                let mail: OutgoingMail = from_json(&key, &v)?;
                out.push(ExportedOutgoing { id: mail.id, case: mail.case, to: mail.to, text: String::from_utf8_lossy(&mail.message).into_owned() });
            }
        }
        Ok(out)
    }

    /// Whether a record is one of the subject's own (exported or erased as a whole).
    fn is_owned(owned: &Owned, m: &Matcher, tree: &str, key: &[u8], value: &[u8]) -> bool {
        let is_case = |id: Option<CaseId>| id.is_some_and(|id| owned.cases.contains_key(&id));
        match tree {
            "cases" => is_case(std::str::from_utf8(key).ok().and_then(|k| k.parse().ok())),
            "mails" => owned.mails.contains_key(&tree_label(key)),
            "outbox" => key.try_into().is_ok_and(|k| owned.outbox.contains(&u64::from_be_bytes(k))),
            "failed" => key.try_into().is_ok_and(|k| owned.failed.contains(&u64::from_be_bytes(k))),
            "by_sender" | "by_status" => is_case(index_case(key)),
            "seen" => is_case(serde_json::from_slice::<Option<CaseId>>(value).ok().flatten()),
            "meta" => {
                key == format!("undeliverable:{}", m.address).as_bytes()
                    || (key.starts_with(b"answers:") && key.ends_with(format!(":{}", m.address).as_bytes()))
            }
            _ => false,
        }
    }

    /// The case a record belongs to, as far as its tree tells.
    fn record_case(&self, tree: &str, key: &[u8], value: &[u8]) -> Option<CaseId> {
        match tree {
            "outbox" | "failed" => serde_json::from_slice::<OutgoingMail>(value).ok().map(|m| m.case),
            "seen" => serde_json::from_slice::<Option<CaseId>>(value).ok().flatten(),
            "mails" => self.seen.get(key).ok().flatten().and_then(|v| serde_json::from_slice::<Option<CaseId>>(&v).ok().flatten()),
            _ => CaseId::find_in(&String::from_utf8_lossy(key)),
        }
    }

    /// Why case `id` no longer exists, if it was erased or purged.
    pub fn tombstone(&self, id: CaseId) -> Result<Option<Tombstone>, StoreError> {
        let key = format!("erased:{id}");
        self.meta.get(key.as_bytes())?.map(|v| from_json(key.as_bytes(), &v)).transpose()
    }

    /// Everything held about `address` (case-insensitive), for a request under Art. 15 DSGVO.
    pub fn export_subject(&self, address: &str, at: Timestamp) -> Result<SubjectExport, StoreError> {
        let m = Matcher::new(address)?;
        let owned = self.owned_by_address(&m)?;
        let mut mails = Vec::new();
        for (key, case) in &owned.mails {
            if let Some(raw) = self.mails.get(key.as_bytes())? {
                mails.push(ExportedMail { key: key.clone(), case: *case, text: String::from_utf8_lossy(&raw).into_owned() });
            }
        }
        let undeliverable_since = self.meta.get(format!("undeliverable:{}", m.address).as_bytes())?.map(|v| String::from_utf8_lossy(&v).into_owned());
        let mut mentions = Vec::new();
        for (name, tree) in self.named_trees()? {
            for kv in tree.iter() {
                let (k, v) = kv?;
                if Store::is_owned(&owned, &m, &name, &k, &v) || !(m.found_in(&k) || m.found_in(&v)) {
                    continue;
                }
                let key = m.redact(&k).unwrap_or_else(|| k.to_vec());
                mentions.push(Mention { tree: name.clone(), key: tree_label(&key), case: self.record_case(&name, &k, &v) });
            }
        }
        Ok(SubjectExport {
            address: m.address.clone(),
            exported_at: at,
            outbox: self.outgoing(&self.outbox, &owned.outbox)?,
            failed: self.outgoing(&self.failed, &owned.failed)?,
            cases: owned.cases.into_values().collect(),
            mails,
            undeliverable_since,
            mentions,
        })
    }

    /// Erase everything held about `address` (Art. 17 DSGVO): the cases it wrote with
    /// their mails, bookings and holds (the slots become free), queued and failed mails,
    /// the bounce mark; the address is replaced by `[gelöscht]` in every other record.
    /// A copy of an erased mail arriving again is still recognised (by its hash, now
    /// mapped to no case) and not answered. Run [`Store::compact`] afterwards so the
    /// removed values also leave the files on disk.
    pub fn erase_subject(&self, address: &str, at: Timestamp) -> Result<Erasure, StoreError> {
        let m = Matcher::new(address)?;
        let owned = self.owned_by_address(&m)?;
        let mut plan = Plan::default();
        let mut erasure = self.plan_case_removal(&owned, at, "erasure request", &mut plan)?;
        for id in &owned.outbox {
            plan.remove("outbox", &id.to_be_bytes());
        }
        for id in &owned.failed {
            plan.remove("failed", &id.to_be_bytes());
        }
        for key in owned.mails.keys() {
            plan.remove("mails", key.as_bytes());
        }
        plan.remove("meta", format!("undeliverable:{}", m.address).as_bytes());
        // Hints are Message-ID + From + Date: one naming the address goes, whoever's case it is.
        for kv in self.seen.scan_prefix(b"hint:") {
            let (k, _) = kv?;
            if m.found_in(&k) {
                plan.remove("seen", &k);
            }
        }
        // What is left names the address only in passing: redact it there.
        for (name, tree) in self.named_trees()? {
            for kv in tree.iter() {
                let (k, v) = kv?;
                let value = match plan.planned(&name, &k) {
                    Some(None) => continue,
                    Some(Some(planned)) => planned.clone(),
                    None => v.to_vec(),
                };
                let new_value = m.redact(&value);
                let new_key = m.redact(&k);
                if new_key.is_none() && new_value.is_none() {
                    continue;
                }
                let case = self.record_case(&name, &k, &v);
                let value = new_value.unwrap_or(value);
                if name == "cases" {
                    // A redacted case must still be a case.
                    from_json::<Case>(&k, &value)?;
                }
                match new_key {
                    Some(new_key) => {
                        plan.remove(&name, &k);
                        plan.put(&name, &new_key, value);
                        erasure.redacted.push(Mention { tree: name.clone(), key: tree_label(&new_key), case });
                    }
                    None => {
                        plan.put(&name, &k, value);
                        erasure.redacted.push(Mention { tree: name.clone(), key: tree_label(&k), case });
                    }
                }
            }
        }
        self.apply(&plan, &mut erasure)?;
        for id in &erasure.cases {
            tracing::info!(case = %id, "erased on request");
        }
        Ok(erasure)
    }

    /// Erase closed cases whose last event lies more than `retention_days` back (see
    /// [`closed_for_retention`]), leaving tombstones with reason "retention". The
    /// citizen's other cases and the address elsewhere are untouched.
    pub fn purge_closed(&self, now: Timestamp, retention_days: u32) -> Result<Vec<CaseId>, StoreError> {
        let cases: BTreeMap<CaseId, Case> = self.all_cases()?.into_iter().filter(|c| closed_for_retention(c, now, retention_days)).map(|c| (c.id, c)).collect();
        if cases.is_empty() {
            return Ok(Vec::new());
        }
        let owned = self.owned_by_cases(cases)?;
        let mut plan = Plan::default();
        let mut erasure = self.plan_case_removal(&owned, now, "retention", &mut plan)?;
        for id in &owned.outbox {
            plan.remove("outbox", &id.to_be_bytes());
        }
        for id in &owned.failed {
            plan.remove("failed", &id.to_be_bytes());
        }
        for key in owned.mails.keys() {
            plan.remove("mails", key.as_bytes());
        }
        self.apply(&plan, &mut erasure)?;
        for id in &erasure.cases {
            tracing::info!(case = %id, "purged after retention");
        }
        Ok(erasure.cases)
    }

    /// Plan removing the owned cases: records, index entries, agenda entries, seen keys
    /// (hash keys kept, mapped to no case), records of other trees keyed by the case;
    /// a tombstone for each.
    fn plan_case_removal(&self, owned: &Owned, at: Timestamp, reason: &str, plan: &mut Plan) -> Result<Erasure, StoreError> {
        let mut erasure = Erasure { cases: owned.cases.keys().copied().collect(), ..Erasure::default() };
        if owned.cases.is_empty() {
            return Ok(erasure);
        }
        let ids: BTreeSet<CaseId> = owned.cases.keys().copied().collect();
        for id in &ids {
            plan.remove("cases", &case_key(*id));
            plan.put("meta", format!("erased:{id}").as_bytes(), to_json(&Tombstone { at, reason: reason.to_string() }));
        }
        for tree in ["by_sender", "by_status"] {
            for kv in self.db.open_tree(tree)?.iter() {
                let (k, _) = kv?;
                if index_case(&k).is_some_and(|id| ids.contains(&id)) {
                    plan.remove(tree, &k);
                }
            }
        }
        for kv in self.agenda.iter() {
            let (k, v) = kv?;
            let mut day: Vec<AgendaEntry> = from_json(&k, &v)?;
            let before = day.len();
            day.retain(|e| !ids.contains(&e.case));
            if day.len() != before {
                erasure.freed_slots += before - day.len();
                if day.is_empty() {
                    plan.remove("agenda", &k);
                } else {
                    plan.put("agenda", &k, to_json(&day));
                }
            }
        }
        for kv in self.seen.iter() {
            let (k, v) = kv?;
            let case: Option<CaseId> = from_json(&k, &v)?;
            if case.is_some_and(|id| ids.contains(&id)) {
                if k.starts_with(b"raw:") {
                    plan.put("seen", &k, to_json(&None::<CaseId>));
                } else {
                    plan.remove("seen", &k);
                }
            }
        }
        // Trees added later: a record keyed by an erased case belongs to it.
        let names: Vec<String> = ids.iter().map(ToString::to_string).collect();
        for (name, tree) in self.named_trees()? {
            if KNOWN.contains(&name.as_str()) {
                continue;
            }
            for kv in tree.iter() {
                let (k, _) = kv?;
                let key = String::from_utf8_lossy(&k);
                if names.iter().any(|n| key.contains(n.as_str())) {
                    plan.remove(&name, &k);
                }
            }
        }
        Ok(erasure)
    }

    /// Apply the plan in one transaction over every tree it touches, then flush.
    fn apply(&self, plan: &Plan, erasure: &mut Erasure) -> Result<(), StoreError> {
        if erasure.freed_slots > 0 {
            self.note_released();
        }
        let mut trees = Vec::new();
        let mut ops = Vec::new();
        let mut outbox_removed = 0;
        for (name, changes) in &plan.trees {
            let tree = self.db.open_tree(name)?;
            // Removals that find nothing (a mark never set) are not reported as removed.
            let mut removed = 0;
            for (k, v) in changes {
                if v.is_none() && tree.contains_key(k)? {
                    removed += 1;
                }
            }
            if removed > 0 {
                erasure.removed.insert(name.clone(), removed);
            }
            if name == "outbox" {
                outbox_removed = removed;
            }
            trees.push(tree);
            ops.push(changes);
        }
        if trees.is_empty() {
            return Ok(());
        }
        trees[..]
            .transaction(|txs| {
                for (tx, changes) in txs.iter().zip(&ops) {
                    for (k, v) in changes.iter() {
                        match v {
                            Some(v) => tx.insert(k.as_slice(), v.as_slice())?,
                            None => tx.remove(k.as_slice())?,
                        };
                    }
                }
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            })
            .map_err(super::tx_err)?;
        self.outbox_changed(0, outbox_removed);
        self.flush()
    }

    /// Rewrite every tree into a fresh database beside the store and swap the
    /// directories: sled keeps removed values in its log segments until its own garbage
    /// collection rewrites them, so erased data stays on disk until this runs.
    /// A crash at any step is recovered by [`Store::open`] (see `recover_compaction`).
    pub fn compact(&mut self) -> Result<Compaction, StoreError> {
        let path = self.path.clone();
        let p = CompactPaths::of(&path);
        self.flush()?;
        let bytes_before = dir_size(&path)?;
        let (trees, records) = copy_db(&self.db, &p.new)?;
        mark_ready(&p.marker)?;
        swap_in(&path, &p)?;
        // The old database (now in `p.old`) closes when it is replaced here.
        *self = Store::open_as_is(&path)?;
        remove_dir_retrying(&p.old)?;
        Ok(Compaction { bytes_before, bytes_after: dir_size(&path)?, trees, records })
    }
}

/// Where a compaction keeps its work beside the store.
pub(super) struct CompactPaths {
    /// The complete copy being built.
    pub(super) new: PathBuf,
    /// The store before compaction, after it was moved aside.
    pub(super) old: PathBuf,
    /// Exists once `new` is a complete, flushed copy.
    pub(super) marker: PathBuf,
}

impl CompactPaths {
    pub(super) fn of(path: &Path) -> CompactPaths {
        CompactPaths { new: sibling(path, ".compact-new"), old: sibling(path, ".compact-old"), marker: sibling(path, ".compact-ready") }
    }
}

/// `<path><suffix>` beside the store (a trailing `/` of the path does not put it inside).
pub(super) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.components().collect::<PathBuf>().into_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

pub(super) fn parent_of(path: &Path) -> PathBuf {
    match path.components().collect::<PathBuf>().parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Make renames and creations in `path`'s directory durable.
pub(super) fn sync_parent(path: &Path) -> Result<(), StoreError> {
    let dir = parent_of(path);
    std::fs::File::open(&dir).and_then(|f| f.sync_all()).map_err(StoreError::io("syncing directory", &dir))
}

pub(super) fn rename(from: &Path, to: &Path) -> Result<(), StoreError> {
    std::fs::rename(from, to).map_err(StoreError::io("renaming", from))?;
    sync_parent(to)
}

/// Remove a directory; sled may still be closing files in it a moment after its `Db`
/// was dropped, so a failure is retried for a while.
pub(super) fn remove_dir_retrying(dir: &Path) -> Result<(), StoreError> {
    for _ in 0..100 {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => return sync_parent(dir),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
    std::fs::remove_dir_all(dir).map_err(StoreError::io("removing", dir))?;
    sync_parent(dir)
}

/// Refuse when another live process holds one of the sled databases in `dirs` (sled
/// takes an exclusive `flock` on its `db` file; a crashed process holds none).
pub(super) fn ensure_unused(store: &Path, dirs: &[&Path]) -> Result<(), StoreError> {
    for dir in dirs {
        let db = dir.join("db");
        let file = match std::fs::OpenOptions::new().read(true).write(true).open(&db) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(StoreError::io("opening", &db)(e)),
        };
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(StoreError::InUse { path: store.display().to_string() }),
            Err(std::fs::TryLockError::Error(e)) => return Err(StoreError::io("locking", &db)(e)),
        }
    }
    Ok(())
}

/// Write an empty marker file durably.
pub(super) fn mark_ready(marker: &Path) -> Result<(), StoreError> {
    std::fs::File::create(marker).and_then(|f| f.sync_all()).map_err(StoreError::io("writing", marker))?;
    sync_parent(marker)
}

pub(super) fn remove_marker(marker: &Path) -> Result<(), StoreError> {
    match std::fs::remove_file(marker) {
        Ok(()) => sync_parent(marker),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::io("removing", marker)(e)),
    }
}

/// Bytes of all files under `dir`.
pub(super) fn dir_size(dir: &Path) -> Result<u64, StoreError> {
    let mut total = 0;
    let entries = std::fs::read_dir(dir).map_err(StoreError::io("reading", dir))?;
    for entry in entries {
        let entry = entry.map_err(StoreError::io("reading", dir))?;
        let meta = entry.metadata().map_err(StoreError::io("reading", &entry.path()))?;
        total += if meta.is_dir() { dir_size(&entry.path())? } else { meta.len() };
    }
    Ok(total)
}

/// Open a sled database as the store does.
pub(super) fn open_db(path: &Path) -> Result<sled::Db, StoreError> {
    Ok(sled::Config::new().path(path).cache_capacity(CACHE_BYTES).open()?)
}

/// Step 1: copy every tree of `db` into a fresh database at `target` (an earlier,
/// incomplete copy there is discarded) and flush it. Returns (trees, records).
pub(super) fn copy_db(db: &sled::Db, target: &Path) -> Result<(usize, u64), StoreError> {
    remove_dir_retrying(target)?;
    let copy = open_db(target)?;
    let mut records = 0;
    let names = db.tree_names();
    for name in &names {
        let from = db.open_tree(name)?;
        let to = copy.open_tree(name)?;
        for kv in from.iter() {
            let (k, v) = kv?;
            to.insert(k, v)?;
            records += 1;
        }
    }
    copy.flush()?;
    drop(copy);
    sync_parent(target)?;
    Ok((names.len(), records))
}

/// Steps 3 and 4: move the store aside and the complete copy into its place, then drop
/// the marker. Only called once the marker says the copy is complete.
pub(super) fn swap_in(path: &Path, p: &CompactPaths) -> Result<(), StoreError> {
    if p.new.exists() {
        if path.exists() {
            if p.old.exists() {
                // Cannot happen in the order the steps run; refuse rather than guess.
                return Err(StoreError::Io {
                    what: "compaction found the store, its copy and its moved-aside original at",
                    path: p.old.display().to_string(),
                    source: std::io::Error::new(std::io::ErrorKind::AlreadyExists, "check which one is current and remove the others"),
                });
            }
            rename(path, &p.old)?;
        }
        rename(&p.new, path)?;
    } else if !path.exists() && p.old.exists() {
        rename(&p.old, path)?;
    }
    remove_marker(&p.marker)
}

/// Finish or undo a compaction that a crash cut short, before the store is opened.
/// With the marker the copy is complete: it is moved into place. Without it a copy is
/// incomplete and discarded, and a store moved aside is moved back (or, once the copy
/// is in place, removed).
pub(super) fn recover_compaction(path: &Path) -> Result<(), StoreError> {
    let p = CompactPaths::of(path);
    if !(p.marker.exists() || p.new.exists() || p.old.exists()) {
        return Ok(());
    }
    // A live process still working on it (the daemon compacting) is not a crash.
    ensure_unused(path, &[path, &p.new, &p.old])?;
    if p.marker.exists() {
        swap_in(path, &p)?;
        if p.old.exists() {
            remove_dir_retrying(&p.old)?;
        }
        return Ok(());
    }
    if p.new.exists() {
        remove_dir_retrying(&p.new)?;
    }
    if p.old.exists() {
        if path.exists() {
            remove_dir_retrying(&p.old)?;
        } else {
            rename(&p.old, path)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Event, Slot, Status};

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn case(status: Status, last: &str, booking_end: Option<&str>) -> Case {
        Case {
            id: CaseId::new(2027, 1),
            message_id: None,
            sender: "a@example.org".into(),
            status,
            triage: serde_json::json!({}),
            booking: booking_end.map(|end| Slot { start: ts(end) - SignedDuration::from_mins(40), end: ts(end), staff: "Anna".into(), district: None, street: None }),
            history: vec![Event { at: ts("2027-01-01T08:00:00Z"), what: EventKind::Cancelled }, Event { at: ts(last), what: EventKind::Cancelled }],
        }
    }

    const NOW: &str = "2027-06-30T12:00:00Z";
    const OLD: &str = "2027-03-01T12:00:00Z"; // 121 days before NOW
    const RECENT: &str = "2027-06-01T12:00:00Z"; // 29 days before NOW

    #[test]
    fn finished_cases_close_after_the_retention_since_their_last_event() {
        for status in [Status::Done, Status::Cancelled, Status::Forwarded, Status::Unclassified, Status::Proposed] {
            assert!(closed_for_retention(&case(status, OLD, None), ts(NOW), 90), "{status:?} old");
            assert!(!closed_for_retention(&case(status, RECENT, None), ts(NOW), 90), "{status:?} recent");
        }
    }

    #[test]
    fn waiting_and_new_cases_never_close() {
        for status in [Status::Waitlisted, Status::New] {
            assert!(!closed_for_retention(&case(status, OLD, None), ts(NOW), 90), "{status:?}");
            assert!(!closed_for_retention(&case(status, OLD, None), ts(NOW), 0), "{status:?} at zero retention");
        }
    }

    #[test]
    fn a_booking_closes_only_once_the_visit_lies_beyond_the_retention() {
        // Booked long ago for a visit still to come (or just past): kept.
        assert!(!closed_for_retention(&case(Status::Booked, OLD, Some("2027-07-10T16:40:00Z")), ts(NOW), 90));
        assert!(!closed_for_retention(&case(Status::Booked, OLD, Some("2027-04-10T16:40:00Z")), ts(NOW), 90));
        assert!(closed_for_retention(&case(Status::Booked, OLD, Some("2027-03-20T16:40:00Z")), ts(NOW), 90));
        // A booking without its slot is left for staff.
        assert!(!closed_for_retention(&case(Status::Booked, OLD, None), ts(NOW), 90));
    }

    #[test]
    fn the_last_event_counts_not_the_first() {
        let mut c = case(Status::Done, OLD, None);
        c.history.push(Event { at: ts(RECENT), what: EventKind::Flagged { reason: "staff note".into() } });
        assert!(!closed_for_retention(&c, ts(NOW), 90));
        assert!(closed_for_retention(&c, ts(NOW), 20));
    }

    #[test]
    fn the_address_matches_whole_and_in_any_case() {
        let m = Matcher::new(" Sabine.Wendel@Posteo.de ").unwrap();
        assert_eq!(m.address, "sabine.wendel@posteo.de");
        let redacted = m.redact(b"From: <SABINE.WENDEL@posteo.de>, cc xsabine.wendel@posteo.de, sabine.wendel@posteo.de.org; sabine.wendel@posteo.de.").unwrap();
        assert_eq!(String::from_utf8(redacted).unwrap(), "From: <[gelöscht]>, cc xsabine.wendel@posteo.de, sabine.wendel@posteo.de.org; [gelöscht].");
        assert!(m.redact(b"nothing here").is_none());
        assert!(matches!(Matcher::new("no address"), Err(StoreError::BadAddress(_))));
        assert!(matches!(Matcher::new("@"), Err(StoreError::BadAddress(_))));
    }

    /// A store with a few records, flushed and closed; returns its path's parent guard.
    fn store_with_data() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let store = Store::open(&path).unwrap();
        store.mails.insert(b"raw:1", b"mail one".as_slice()).unwrap();
        store.db.open_tree("extra").unwrap().insert(b"k", b"v".as_slice()).unwrap();
        store.flush().unwrap();
        drop(store);
        (dir, path)
    }

    fn reopen(path: &Path) -> Store {
        for _ in 0..100 {
            if let Ok(s) = Store::open(path) {
                return s;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Store::open(path).unwrap()
    }

    /// sled lets go of the directory lock a moment after the `Db` is dropped.
    fn db_of(path: &Path) -> sled::Db {
        for _ in 0..100 {
            if let Ok(db) = open_db(path) {
                return db;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        open_db(path).unwrap()
    }

    fn assert_intact(path: &Path) {
        let store = reopen(path);
        assert_eq!(store.mails.get(b"raw:1").unwrap().as_deref(), Some(b"mail one".as_slice()));
        assert_eq!(store.db.open_tree("extra").unwrap().get(b"k").unwrap().as_deref(), Some(b"v".as_slice()));
        let p = CompactPaths::of(path);
        assert!(!p.new.exists() && !p.old.exists() && !p.marker.exists(), "no leftovers beside the store");
    }

    /// The first steps of `compact` done by hand: a complete copy, marked ready.
    fn copied_and_marked(path: &Path) -> CompactPaths {
        let p = CompactPaths::of(path);
        copy_db(&db_of(path), &p.new).unwrap();
        mark_ready(&p.marker).unwrap();
        p
    }

    /// Each step of `compact` done by hand on a closed store, then a "crash": `open` recovers.
    #[test]
    fn a_crash_during_the_copy_discards_the_incomplete_copy() {
        let (_dir, path) = store_with_data();
        let p = CompactPaths::of(&path);
        std::fs::create_dir_all(&p.new).unwrap();
        std::fs::write(p.new.join("db"), b"half a copy").unwrap();
        assert_intact(&path);
    }

    #[test]
    fn a_crash_after_the_copy_is_complete_rolls_forward() {
        let (_dir, path) = store_with_data();
        copied_and_marked(&path);
        assert_intact(&path);
    }

    #[test]
    fn a_crash_after_moving_the_store_aside_puts_the_copy_in_place() {
        let (_dir, path) = store_with_data();
        let p = copied_and_marked(&path);
        rename(&path, &p.old).unwrap();
        assert_intact(&path);
    }

    #[test]
    fn a_crash_after_the_swap_removes_the_old_store() {
        let (_dir, path) = store_with_data();
        let p = copied_and_marked(&path);
        rename(&path, &p.old).unwrap();
        rename(&p.new, &path).unwrap();
        assert_intact(&path);
        // And once the marker is gone too, only the old directory is left over.
        let (_dir2, path2) = store_with_data();
        let p2 = CompactPaths::of(&path2);
        {
            let db = db_of(&path2);
            copy_db(&db, &p2.new).unwrap();
        }
        rename(&path2, &p2.old).unwrap();
        rename(&p2.new, &path2).unwrap();
        assert_intact(&path2);
    }

    #[test]
    fn a_store_moved_aside_without_a_complete_copy_is_moved_back() {
        let (_dir, path) = store_with_data();
        let p = CompactPaths::of(&path);
        rename(&path, &p.old).unwrap();
        assert_intact(&path);
    }

    #[test]
    fn a_compaction_still_running_in_another_process_is_left_alone() {
        let (_dir, path) = store_with_data();
        let p = CompactPaths::of(&path);
        // The "daemon" holds the store and is building the copy.
        let running = db_of(&path);
        std::fs::create_dir_all(&p.new).unwrap();
        std::fs::write(p.new.join("db"), b"copy in progress").unwrap();
        let held = (0..50).map(|_| recover_compaction(&path)).find(|r| matches!(r, Err(StoreError::InUse { .. })));
        assert!(held.is_some(), "refused while the store is held");
        assert!(p.new.exists(), "the copy in progress is not discarded");
        drop(running);
        assert_intact(&path);
    }

    #[test]
    fn sibling_paths_lie_beside_the_store_even_with_a_trailing_slash() {
        assert_eq!(sibling(Path::new("run/store/"), ".compact-new"), PathBuf::from("run/store.compact-new"));
        assert_eq!(parent_of(Path::new("store")), PathBuf::from("."));
    }
}
