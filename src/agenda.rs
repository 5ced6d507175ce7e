//! The staff's day: booked visits in time order with what to bring and whom to see.
//! Reads the store; no I/O of its own.

use crate::classify::Rules;
use crate::engine::Facts;
use crate::store::{Store, StoreError};
use crate::tz::berlin;
use jiff::civil::Date;
use serde::Serialize;

/// One visit on a staff member's list.
#[derive(Debug, Clone, Serialize)]
pub struct AgendaItem {
    pub case: String,
    #[serde(serialize_with = "crate::extract::when::rfc3339")]
    pub start: jiff::Zoned,
    #[serde(serialize_with = "crate::extract::when::rfc3339")]
    pub end: jiff::Zoned,
    pub staff: String,
    pub address: Option<String>,
    pub persons: Option<u32>,
    pub concerns: Vec<String>,
    /// What the household was asked to have ready (Bürgerbüro concerns).
    pub documents: Vec<String>,
    pub phone: Option<String>,
    pub email: String,
}

/// The booked visits of `day`, optionally of one staff member, in time order.
pub fn day(store: &Store, rules: &Rules, day: Date, staff: Option<&str>) -> Result<Vec<AgendaItem>, StoreError> {
    let mut out = Vec::new();
    for entry in store.bookings_on(day)? {
        if staff.is_some_and(|s| !s.eq_ignore_ascii_case(&entry.slot.staff)) {
            continue;
        }
        let Some(case) = store.case(entry.case)? else { continue };
        let facts = Facts::from_stored(&case.triage);
        let concerns: Vec<_> = facts
            .concerns
            .iter()
            .filter_map(|id| rules.concern(id).map(|(_, c)| c))
            .collect();
        out.push(AgendaItem {
            case: case.id.to_string(),
            start: entry.slot.start.to_zoned(berlin()),
            end: entry.slot.end.to_zoned(berlin()),
            staff: entry.slot.staff.clone(),
            address: crate::engine::address_line(&facts),
            persons: facts.persons,
            concerns: concerns.iter().map(|c| c.name.clone()).collect(),
            documents: concerns.iter().filter(|c| c.visit.is_some()).flat_map(|c| c.documents.iter().cloned()).collect(),
            phone: case.triage.get("phone").and_then(|p| p.as_str()).map(str::to_string),
            email: case.sender.clone(),
        });
    }
    Ok(out)
}

/// The list as staff print it.
pub fn render_text(day: Date, items: &[AgendaItem]) -> String {
    let mut s = format!("Hausbesuche am {}\n", day.strftime("%d.%m.%Y"));
    if items.is_empty() {
        s.push_str("  keine Termine\n");
    }
    for i in items {
        s.push_str(&format!(
            "\n{}–{}  {}  ({})\n",
            i.start.strftime("%H:%M"),
            i.end.strftime("%H:%M"),
            i.address.as_deref().unwrap_or("Adresse fehlt: bitte nachfragen"),
            i.staff
        ));
        s.push_str(&format!("  Vorgang {}; {} Person(en); {}\n", i.case, i.persons.unwrap_or(1), i.concerns.join(", ")));
        if let Some(p) = &i.phone {
            s.push_str(&format!("  Telefon {p}\n"));
        }
        s.push_str(&format!("  E-Mail {}\n", i.email));
        for d in &i.documents {
            s.push_str(&format!("  - {d}\n"));
        }
    }
    s
}
