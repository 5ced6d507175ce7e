//! Staff and operator commands on the store: look up and correct cases, staff absence,
//! data protection, backup. One entry point, [`execute`], used in two places: by the
//! running daemon for commands that arrive on its control socket (sled lets only one
//! process open the store), and by the CLI itself when no daemon runs. Each command
//! answers with both renderings (JSON and the text staff read), made here so that the
//! CLI stays a thin client.

use crate::case_id::CaseId;
use crate::daemon::App;
use crate::store::{Case, Status, Store, StoreError};
use crate::tz::berlin;
use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A command as the CLI sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Command {
    CasesList { status: Option<Status>, department: Option<String>, since: Option<Date> },
    CasesShow { id: CaseId },
    Agenda { date: Date, staff: Option<String> },
}

impl Command {
    /// Whether the command only reads (it may then also run on a copy of the store).
    pub fn read_only(&self) -> bool {
        matches!(self, Command::CasesList { .. } | Command::CasesShow { .. } | Command::Agenda { .. })
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
    #[error("{0}")]
    Refused(String),
}

/// Run one command against the store. `by` is who asked (recorded on every change);
/// `now` the time of the change.
pub fn execute(app: &App, store: &mut Store, command: &Command, by: &str, now: Timestamp) -> Result<Output, OpsError> {
    let _ = (by, now);
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
            let case = store.case(*id)?.ok_or(OpsError::NoSuchCase(*id))?;
            let text = show_text(&case);
            Ok(Output { json: serde_json::to_value(&case).unwrap_or_default(), text, note: None })
        }
        Command::Agenda { date, staff } => {
            let items = crate::agenda::day(store, &app.rules, *date, staff.as_deref())?;
            Ok(Output { json: serde_json::to_value(&items).unwrap_or_default(), text: crate::agenda::render_text(*date, &items), note: None })
        }
    }
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
