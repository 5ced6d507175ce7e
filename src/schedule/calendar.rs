//! The office calendar: Hessian public holidays, the first-Saturday rule, the pilot
//! start, closure days and Champions League evenings. Pure date arithmetic.

use jiff::civil::{Date, Time, Weekday};
use std::collections::{BTreeMap, BTreeSet};

/// Easter Sunday (Gregorian; anonymous algorithm, Meeus/Jones/Butcher), valid for any
/// year jiff can represent.
pub fn easter_sunday(year: i16) -> Date {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    // month is 3 or 4 and day 1..=31 by construction.
    Date::new(year, month as i8, day as i8).expect("Easter computus yields a valid date")
}

/// The public holiday of Hessen on `date`, by name, if any.
pub fn hessian_holiday(date: Date) -> Option<&'static str> {
    let fixed = match (date.month(), date.day()) {
        (1, 1) => Some("Neujahr"),
        (5, 1) => Some("Tag der Arbeit"),
        (10, 3) => Some("Tag der Deutschen Einheit"),
        (12, 25) => Some("1. Weihnachtstag"),
        (12, 26) => Some("2. Weihnachtstag"),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    let easter = easter_sunday(date.year());
    let offset = (date - easter).get_days();
    match offset {
        -2 => Some("Karfreitag"),
        1 => Some("Ostermontag"),
        39 => Some("Christi Himmelfahrt"),
        50 => Some("Pfingstmontag"),
        60 => Some("Fronleichnam"),
        _ => None,
    }
}

/// The first Saturday of the month `date` lies in.
pub fn first_saturday_of_month(date: Date) -> Date {
    let first = date.first_of_month();
    let ahead = (Weekday::Saturday.to_monday_zero_offset() - first.weekday().to_monday_zero_offset()).rem_euclid(7);
    first + jiff::Span::new().days(i64::from(ahead))
}

/// Why the office makes no visits on a day, if it makes none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    BeforePilot,
    Sunday,
    NotFirstSaturday,
    Holiday(&'static str),
    Closure,
}

/// Which days are visit days, and how late a visit may end on match days.
#[derive(Debug, Clone, Default)]
pub struct OfficeCalendar {
    pub pilot_start: Option<Date>,
    /// Extra closure days (Betriebsausflug, Brückentage, …).
    pub closures: BTreeSet<Date>,
    /// Champions League match days and their kick-off.
    pub match_days: BTreeMap<Date, Time>,
    /// Staff are out of the house this many minutes before kick-off.
    pub kickoff_margin_minutes: i32,
}

impl OfficeCalendar {
    /// `None` when visits are possible on `date`, else why not.
    pub fn closed(&self, date: Date) -> Option<Closed> {
        if self.pilot_start.is_some_and(|p| date < p) {
            return Some(Closed::BeforePilot);
        }
        match date.weekday() {
            Weekday::Sunday => return Some(Closed::Sunday),
            Weekday::Saturday if first_saturday_of_month(date) != date => return Some(Closed::NotFirstSaturday),
            _ => {}
        }
        if let Some(name) = hessian_holiday(date) {
            return Some(Closed::Holiday(name));
        }
        if self.closures.contains(&date) {
            return Some(Closed::Closure);
        }
        None
    }

    /// The latest time a visit may end on `date` (kick-off minus margin on match days).
    pub fn latest_end(&self, date: Date) -> Option<Time> {
        let kickoff = self.match_days.get(&date)?;
        let minutes = i32::from(kickoff.hour()) * 60 + i32::from(kickoff.minute()) - self.kickoff_margin_minutes;
        let minutes = minutes.max(0);
        Some(Time::new((minutes / 60) as i8, (minutes % 60) as i8, 0, 0).unwrap_or(Time::midnight()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn easter_dates_of_known_years() {
        assert_eq!(easter_sunday(2024), date(2024, 3, 31));
        assert_eq!(easter_sunday(2025), date(2025, 4, 20));
        assert_eq!(easter_sunday(2027), date(2027, 3, 28));
        assert_eq!(easter_sunday(2038), date(2038, 4, 25));
    }

    #[test]
    fn hessian_holidays_2027_match_the_official_list() {
        let want = [
            date(2027, 1, 1), date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 1), date(2027, 5, 6),
            date(2027, 5, 17), date(2027, 5, 27), date(2027, 10, 3), date(2027, 12, 25), date(2027, 12, 26),
        ];
        let mut got = Vec::new();
        let mut d = date(2027, 1, 1);
        while d.year() == 2027 {
            if hessian_holiday(d).is_some() {
                got.push(d);
            }
            d = d.tomorrow().unwrap();
        }
        assert_eq!(got, want);
        // Reformationstag and Buß- und Bettag are not holidays in Hessen.
        assert_eq!(hessian_holiday(date(2027, 10, 31)), None);
    }

    #[test]
    fn only_the_first_saturday_of_a_month_is_a_visit_day() {
        let cal = OfficeCalendar::default();
        assert_eq!(first_saturday_of_month(date(2027, 4, 20)), date(2027, 4, 3));
        assert_eq!(first_saturday_of_month(date(2027, 5, 31)), date(2027, 5, 1));
        assert_eq!(cal.closed(date(2027, 4, 3)), None);
        assert_eq!(cal.closed(date(2027, 4, 10)), Some(Closed::NotFirstSaturday));
        assert_eq!(cal.closed(date(2027, 4, 4)), Some(Closed::Sunday));
        // 1 May 2027 is the first Saturday but a holiday.
        assert_eq!(cal.closed(date(2027, 5, 1)), Some(Closed::Holiday("Tag der Arbeit")));
    }

    #[test]
    fn no_visit_before_the_pilot_start() {
        let cal = OfficeCalendar { pilot_start: Some(date(2027, 4, 3)), ..Default::default() };
        assert_eq!(cal.closed(date(2027, 4, 2)), Some(Closed::BeforePilot));
        assert_eq!(cal.closed(date(2027, 4, 3)), None);
    }

    #[test]
    fn match_day_ends_visits_before_kickoff_minus_margin() {
        let mut cal = OfficeCalendar { kickoff_margin_minutes: 15, ..Default::default() };
        cal.match_days.insert(date(2027, 4, 6), Time::constant(21, 0, 0, 0));
        assert_eq!(cal.latest_end(date(2027, 4, 6)), Some(Time::constant(20, 45, 0, 0)));
        assert_eq!(cal.latest_end(date(2027, 4, 7)), None);
    }
}
