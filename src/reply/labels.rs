//! Dates as citizens read them: "Dienstag, 13. April 2027, 18:00–18:40 Uhr" /
//! "Tuesday, 13 April 2027, 18:00–18:40". jiff has no locale data; these few names are all
//! the product needs.

use crate::extract::language::Language;
use jiff::Zoned;

const WEEKDAYS_DE: [&str; 7] = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"];
const WEEKDAYS_EN: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const MONTHS_DE: [&str; 12] = [
    "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember",
];
const MONTHS_EN: [&str; 12] = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
];

/// "Dienstag, 13. April 2027" / "Tuesday, 13 April 2027".
pub fn day_label(z: &Zoned, lang: Language) -> String {
    let wd = z.weekday().to_monday_zero_offset() as usize;
    let m = (z.month() - 1) as usize;
    match lang {
        Language::En => format!("{}, {} {} {}", WEEKDAYS_EN[wd], z.day(), MONTHS_EN[m], z.year()),
        _ => format!("{}, {}. {} {}", WEEKDAYS_DE[wd], z.day(), MONTHS_DE[m], z.year()),
    }
}

/// "Dienstag, 13. April 2027, 18:00–18:40 Uhr".
pub fn slot_label(start: &Zoned, end: &Zoned, lang: Language) -> String {
    let times = format!("{}–{}", start.strftime("%H:%M"), end.strftime("%H:%M"));
    match lang {
        Language::En => format!("{}, {times}", day_label(start, lang)),
        _ => format!("{}, {times} Uhr", day_label(start, lang)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_labels_in_german_and_english() {
        let s: Zoned = "2027-04-13T18:00:00+02:00[Europe/Berlin]".parse().unwrap();
        let e: Zoned = "2027-04-13T18:40:00+02:00[Europe/Berlin]".parse().unwrap();
        assert_eq!(slot_label(&s, &e, Language::De), "Dienstag, 13. April 2027, 18:00–18:40 Uhr");
        assert_eq!(slot_label(&s, &e, Language::En), "Tuesday, 13 April 2027, 18:00–18:40");
    }
}
