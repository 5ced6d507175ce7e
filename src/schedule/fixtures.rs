//! Champions League fixtures from an .ics file: each event's DTSTART is a kick-off.
//! icalendar does the RFC 5545 syntax (unfolding, parameters); the times are read here
//! with jiff, so UTC (`…Z`), `TZID=` and floating times all land in Berlin wall clock.

use crate::tz::berlin;
use icalendar::parser::{read_calendar, unfold};
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum FixturesError {
    #[error("not an iCalendar file: {0}")]
    Syntax(String),
    #[error("event {index}: DTSTART {value:?}: {why}")]
    BadStart { index: usize, value: String, why: String },
}

/// Kick-offs (Berlin date and time) of every VEVENT in `ics`.
pub fn kickoffs_from_ics(ics: &str) -> Result<Vec<(Date, Time)>, FixturesError> {
    let unfolded = unfold(ics);
    let cal = read_calendar(&unfolded).map_err(|e| FixturesError::Syntax(e.to_string()))?;
    let mut out = Vec::new();
    let events = cal.components.iter().flat_map(|c| std::iter::once(c).chain(c.components.iter()));
    for (index, ev) in events.filter(|c| c.name.as_str().eq_ignore_ascii_case("VEVENT")).enumerate() {
        let Some(start) = ev.properties.iter().find(|p| p.name.as_str().eq_ignore_ascii_case("DTSTART")) else {
            continue;
        };
        let value = start.val.to_string();
        let tzid = start.params.iter().find(|p| p.key.as_str().eq_ignore_ascii_case("TZID")).and_then(|p| p.val.as_ref()).map(|v| v.to_string());
        let bad = |why: String| FixturesError::BadStart { index: index + 1, value: value.clone(), why };
        let local = kickoff_in_berlin(&value, tzid.as_deref()).map_err(bad)?;
        out.push((local.date(), local.time()));
    }
    out.sort();
    Ok(out)
}

fn kickoff_in_berlin(value: &str, tzid: Option<&str>) -> Result<DateTime, String> {
    let v = value.trim();
    let (civil, utc) = match v.strip_suffix('Z') {
        Some(rest) => (rest, true),
        None => (v, false),
    };
    let dt = DateTime::strptime("%Y%m%dT%H%M%S", civil).map_err(|e| e.to_string())?;
    let zone = if utc {
        TimeZone::UTC
    } else {
        match tzid {
            Some(id) => TimeZone::get(id).map_err(|e| format!("TZID {id}: {e}"))?,
            // A floating time is read as local to the office.
            None => berlin(),
        }
    };
    Ok(dt.to_zoned(zone).map_err(|e| e.to_string())?.with_time_zone(berlin()).datetime())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    #[test]
    fn reads_utc_tzid_and_floating_kickoffs_in_berlin_time() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20270406T190000Z\r\nSUMMARY:Viertelfinale\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:b\r\nDTSTART;TZID=Europe/Berlin:20270407T184500\r\nSUMMARY:Viertel\r\n finale\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:c\r\nDTSTART:20270413T210000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let k = kickoffs_from_ics(ics).unwrap();
        assert_eq!(k, vec![(date(2027, 4, 6), time(21, 0, 0, 0)), (date(2027, 4, 7), time(18, 45, 0, 0)), (date(2027, 4, 13), time(21, 0, 0, 0))]);
    }

    #[test]
    fn a_bad_start_names_the_event_and_value() {
        let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:tomorrow\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let err = kickoffs_from_ics(ics).unwrap_err().to_string();
        assert!(err.contains("event 1") && err.contains("tomorrow"), "{err}");
    }
}
