//! Staff and operator commands on the store: look up and correct cases, staff absence,
//! data protection, backup. One entry point, [`execute`], used in two places: by the
//! running daemon for commands that arrive on its control socket (sled lets only one
//! process open the store), and by the CLI itself when no daemon runs. Each command
//! answers with both renderings (JSON and the text staff read), made here so that the
//! CLI stays a thin client.

use crate::case_id::CaseId;
use crate::casework::AbsenceOutcome;
use crate::daemon::App;
use crate::store::{Case, Status, Store, StoreError};
use crate::tz::berlin;
use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use thiserror::Error;

/// A command as the CLI sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Command {
    CasesList { status: Option<Status>, department: Option<String>, since: Option<Date> },
    CasesShow { id: CaseId },
    /// Hand the case to another department (a Fachamt, or back to the Bürgerbüro).
    CasesReassign { id: CaseId, department: String },
    CasesNote { id: CaseId, text: String },
    CasesDone { id: CaseId },
    /// Cancel by the office; the household is told.
    CasesCancel { id: CaseId },
    Agenda { date: Date, staff: Option<String> },
    /// A staff member is ill or on leave from `from` through `to`.
    StaffAbsent { name: String, from: Date, to: Date },
    /// Everything held about an address (DSGVO Art. 15).
    PrivacyExport { email: String },
    /// Remove everything held about an address (DSGVO Art. 17), then compact the store
    /// so that nothing of it stays on disk.
    PrivacyErase { email: String },
    /// Purge closed cases older than the retention period, then compact.
    PrivacyPurge,
    /// A consistent copy of the whole store to `file`.
    StoreBackup { file: PathBuf },
}

impl Command {
    /// The command's name for logs (no arguments: they may hold personal data).
    pub fn name(&self) -> &'static str {
        match self {
            Command::CasesList { .. } => "cases list",
            Command::CasesShow { .. } => "cases show",
            Command::CasesReassign { .. } => "cases reassign",
            Command::CasesNote { .. } => "cases note",
            Command::CasesDone { .. } => "cases done",
            Command::CasesCancel { .. } => "cases cancel",
            Command::Agenda { .. } => "agenda",
            Command::StaffAbsent { .. } => "staff absent",
            Command::PrivacyExport { .. } => "privacy export",
            Command::PrivacyErase { .. } => "privacy erase",
            Command::PrivacyPurge => "privacy purge",
            Command::StoreBackup { .. } => "store backup",
        }
    }
}

/// What a command produced: the record(s) as JSON and the same as text for people.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Output {
    pub json: serde_json::Value,
    pub text: String,
    /// A line for people beside the data (counts, what happened): printed on stderr so
    /// that the text on stdout stays one record per line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Error)]
pub enum OpsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no case {0}")]
    NoSuchCase(CaseId),
    #[error("case {0} was erased on {1} ({2}); nothing of it is kept")]
    Erased(CaseId, String, String),
    #[error(transparent)]
    Casework(#[from] crate::casework::CaseworkError),
    #[error("{0}")]
    Refused(String),
}

/// Run one command against the store. `by` is who asked (recorded on every change);
/// `now` the time of the change.
pub fn execute(app: &App, store: &mut Store, command: &Command, by: &str, now: Timestamp) -> Result<Output, OpsError> {
    let zoned = now.to_zoned(berlin());
    match command {
        Command::CasesList { status, department, since } => {
            let cases: Vec<Case> = store
                .all_cases()?
                .into_iter()
                .filter(|c| status.is_none_or(|s| c.status == s))
                .filter(|c| department.as_deref().is_none_or(|d| department_of(c) == d))
                .filter(|c| since.is_none_or(|d| received(c).is_some_and(|r| r.date() >= d)))
                .collect();
            let note = Some(format!("{} cases", cases.len()));
            Ok(Output { json: serde_json::to_value(&cases).unwrap_or_default(), text: list_text(&cases), note })
        }
        Command::CasesShow { id } => {
            let Some(case) = store.case(*id)? else {
                return Err(match store.tombstone(*id)? {
                    Some(t) => OpsError::Erased(*id, t.at.to_zoned(berlin()).strftime("%d.%m.%Y").to_string(), t.reason),
                    None => OpsError::NoSuchCase(*id),
                });
            };
            let text = show_text(&case);
            Ok(Output { json: serde_json::to_value(&case).unwrap_or_default(), text, note: None })
        }
        Command::Agenda { date, staff } => {
            let items = crate::agenda::day(store, &app.rules, *date, staff.as_deref())?;
            Ok(Output { json: serde_json::to_value(&items).unwrap_or_default(), text: crate::agenda::render_text(*date, &items), note: None })
        }
        Command::CasesNote { id, text } => {
            app.engine(store).note(*id, text, by, &zoned)?;
            Ok(said(serde_json::json!({ "case": id, "noted": true }), format!("{id}: note recorded\n")))
        }
        Command::CasesDone { id } => {
            app.engine(store).mark_done(*id, by, &zoned)?;
            Ok(said(serde_json::json!({ "case": id, "status": "done" }), format!("{id}: done\n")))
        }
        Command::CasesCancel { id } => {
            let c = app.engine(store).cancel_by_staff(*id, by, &zoned)?;
            let text = format!(
                "{id}: cancelled{}; {}\n",
                if c.visit_cancelled { ", the booked visit is withdrawn" } else { "" },
                if c.citizen_told { "the household is told by mail" } else { "NO usable address: please tell the household yourself" }
            );
            Ok(said(json(&c), text))
        }
        Command::CasesReassign { id, department } => {
            let r = app.engine(store).reassign(*id, department, by, &zoned)?;
            let mut text = format!("{id}: {} → {} ({})\n", r.from.as_deref().unwrap_or("unclassified"), r.to, status_name(r.status));
            if let Some(to) = &r.forwarded_to {
                text.push_str(&format!("  forwarded to {to}\n"));
            }
            if r.visit_cancelled {
                text.push_str("  the booked visit is withdrawn\n");
            }
            text.push_str(if r.citizen_told { "  the household is told by mail\n" } else { "  NO mail to the household: please tell them yourself\n" });
            Ok(said(json(&r), text))
        }
        Command::StaffAbsent { name, from, to } => {
            let r = app.engine(store).staff_absent(name, *from, *to, by, &zoned)?;
            let mut text = format!(
                "{} absent {} – {}{}\n",
                r.staff,
                from.strftime("%d.%m.%Y"),
                to.strftime("%d.%m.%Y"),
                if r.newly_recorded { "" } else { " (already recorded: nothing changed)" }
            );
            for c in &r.cases {
                let when = c.visit.to_zoned(berlin()).strftime("%a %d.%m. %H:%M").to_string();
                let what = match &c.outcome {
                    AbsenceOutcome::MovedTo { staff } => format!("moved to {staff} at the same time (no mail needed)"),
                    AbsenceOutcome::Reproposed { waitlisted: false } => "visit withdrawn, apology with new proposals sent".into(),
                    AbsenceOutcome::Reproposed { waitlisted: true } => "visit withdrawn, apology sent, on the waiting list".into(),
                    AbsenceOutcome::ReleasedUntold => "visit withdrawn; NO usable address: please call the household".into(),
                    AbsenceOutcome::HoldKept => "proposal still open; if picked, a colleague free then takes it, else the household gets new proposals".into(),
                    AbsenceOutcome::AlreadyBegun => "visit already begun: please settle by hand".into(),
                    AbsenceOutcome::Flagged => "agenda and case disagree: flagged for a look".into(),
                };
                text.push_str(&format!("  {}  {when}  {what}\n", c.case));
            }
            let note = Some(format!("{} cases touched", r.cases.len()));
            Ok(Output { json: json(&r), text, note })
        }
        Command::PrivacyExport { email } => {
            let export = store.export_subject(email, now)?;
            let value = json(&export);
            let text = serde_json::to_string_pretty(&value).unwrap_or_default() + "\n";
            let note = Some(format!("{} cases, {} mails, {} queued, {} other records naming the address", export.cases.len(), export.mails.len(), export.outbox.len(), export.mentions.len()));
            Ok(Output { json: value, text, note })
        }
        Command::PrivacyErase { email } => {
            refuse_office_address(app, email)?;
            let erasure = store.erase_subject(email, now)?;
            // sled keeps removed values in its log until it rewrites the segment: only a
            // compaction makes the erasure hold for the files on disk.
            let compaction = store.compact()?;
            let removed: usize = erasure.removed.values().sum();
            let text = format!(
                "erased {} cases ({}), {removed} records, {} slots freed, {} records of others redacted; store compacted\n",
                erasure.cases.len(),
                erasure.cases.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", "),
                erasure.freed_slots,
                erasure.redacted.len()
            );
            Ok(said(serde_json::json!({ "erasure": json(&erasure), "compaction": json(&compaction) }), text))
        }
        Command::PrivacyPurge => {
            let (purged, compaction) = purge(store, now, app.cfg.privacy.retention_days)?;
            let text = format!("{} closed cases older than {} days purged{}\n", purged.len(), app.cfg.privacy.retention_days, if compaction.is_some() { "; store compacted" } else { "" });
            Ok(said(serde_json::json!({ "purged": purged, "compaction": compaction }), text))
        }
        Command::StoreBackup { file } => {
            let report = store.backup(file)?;
            let text = format!("backup: {} records of {} trees, {} bytes, sha256 {}\n", report.records, report.trees.len(), report.bytes, report.sha256);
            Ok(said(json(&report), text))
        }
    }
}

/// The retention purge (the daemon runs it daily): closed cases older than
/// `retention_days` are erased and, when any were, the store is compacted.
pub fn purge(store: &mut Store, now: Timestamp, retention_days: u32) -> Result<(Vec<CaseId>, Option<crate::store::Compaction>), OpsError> {
    let purged = store.purge_closed(now, retention_days)?;
    let compaction = if purged.is_empty() { None } else { Some(store.compact()?) };
    Ok((purged, compaction))
}

/// Erasing the office's own address, a Fachamt's or the staff mailbox would delete the
/// forwards and notices of every case: that is never a data-protection request.
fn refuse_office_address(app: &App, email: &str) -> Result<(), OpsError> {
    let e = email.trim().to_lowercase();
    let office = std::iter::once(app.cfg.mail.address.as_str())
        .chain(app.cfg.mail.staff_address.as_deref())
        .chain(app.rules.departments.iter().map(|d| d.forward_to.as_str()))
        .chain(app.planning.staff.iter().map(|s| s.email.as_str()));
    for a in office {
        if a.eq_ignore_ascii_case(&e) {
            return Err(OpsError::Refused(format!("{email} is an address of the town hall itself, not a citizen's: not erased")));
        }
    }
    Ok(())
}

fn said(json: serde_json::Value, text: String) -> Output {
    Output { json, text, note: None }
}

/// Our own report types as JSON (serialising them cannot fail).
fn json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// The case's department as staff filter by it (`-` when none).
pub fn department_of(c: &Case) -> &str {
    c.triage.get("department").and_then(|d| d.as_str()).unwrap_or("-")
}

fn received(c: &Case) -> Option<jiff::Zoned> {
    c.history.first().map(|e| e.at.to_zoned(berlin()))
}

fn list_text(cases: &[Case]) -> String {
    let mut s = String::new();
    for c in cases {
        let received = received(c).map(|r| r.strftime("%d.%m.%Y %H:%M").to_string()).unwrap_or_default();
        let concerns = c
            .triage
            .get("concerns")
            .and_then(|x| x.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(","))
            .unwrap_or_default();
        s.push_str(&format!("{}  {received}  {:12}  {:16}  {concerns}\n", c.id, status_name(c.status), department_of(c)));
    }
    s
}

fn status_name(s: Status) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn show_text(case: &Case) -> String {
    let when = |t: Timestamp, f: &str| t.to_zoned(berlin()).strftime(f).to_string();
    let mut s = format!("{}  {}  {}  ({})\n", case.id, status_name(case.status), department_of(case), case.sender);
    if let Some(b) = &case.booking {
        s.push_str(&format!("visit: {} – {} ({})\n", when(b.start, "%a %d.%m.%Y %H:%M"), when(b.end, "%H:%M"), b.staff));
    }
    for e in &case.history {
        s.push_str(&format!("  {}  {}\n", when(e.at, "%d.%m.%Y %H:%M:%S"), serde_json::to_string(&e.what).unwrap_or_default()));
    }
    s
}
