//! The numbered options of our proposal mail, and what a reply's words say about them.
//!
//! Options are read from lines such as `1) Montag, 14.06.2027, 18:30 Uhr`,
//! `2) Dienstag, 13. April, 18:00–18:40` or `3) Tuesday, 13 April, 18:00–18:40`.

use jiff::civil::Weekday;
use regex::Regex;
use std::sync::OnceLock;

pub(super) fn re(cell: &'static OnceLock<Regex>, pat: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pat).expect("static regex"))
}

/// One proposed slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposedOption {
    /// 1-based, as numbered in the mail.
    pub number: u32,
    pub weekday: Option<Weekday>,
    /// Day of month and month (1-12), when written.
    pub day: Option<i8>,
    pub month: Option<i8>,
    /// Start time (hour, minute).
    pub start: Option<(i8, i8)>,
}

const MONTHS: &[(&str, i8)] = &[
    ("januar", 1), ("jänner", 1), ("january", 1), ("jan", 1), ("februar", 2), ("february", 2), ("feb", 2),
    ("märz", 3), ("maerz", 3), ("march", 3), ("mär", 3), ("mar", 3), ("april", 4), ("apr", 4), ("mai", 5),
    ("may", 5), ("juni", 6), ("june", 6), ("jun", 6), ("juli", 7), ("july", 7), ("jul", 7), ("august", 8),
    ("aug", 8), ("september", 9), ("sept", 9), ("sep", 9), ("oktober", 10), ("october", 10), ("okt", 10),
    ("oct", 10), ("november", 11), ("nov", 11), ("dezember", 12), ("december", 12), ("dez", 12), ("dec", 12),
];

const MONTH_ALT: &str = r"januar|jänner|january|jan|februar|february|feb|märz|maerz|march|mär|mar|april|apr|mai|may|juni|june|jun|juli|july|jul|august|aug|september|sept|sep|oktober|october|okt|oct|november|nov|dezember|december|dez|dec";

pub(super) fn month_of(word: &str) -> Option<i8> {
    let w = word.trim_end_matches('.');
    MONTHS.iter().find(|(m, _)| *m == w).map(|(_, n)| *n)
}

/// Weekday word roots, German and English (the -s adverb "freitags" is told apart by
/// the caller).
const WEEKDAYS: &[(&str, Weekday)] = &[
    ("montag", Weekday::Monday), ("dienstag", Weekday::Tuesday), ("mittwoch", Weekday::Wednesday),
    ("donnerstag", Weekday::Thursday), ("freitag", Weekday::Friday), ("samstag", Weekday::Saturday),
    ("sonnabend", Weekday::Saturday), ("sonntag", Weekday::Sunday), ("monday", Weekday::Monday),
    ("tuesday", Weekday::Tuesday), ("wednesday", Weekday::Wednesday), ("thursday", Weekday::Thursday),
    ("friday", Weekday::Friday), ("saturday", Weekday::Saturday), ("sunday", Weekday::Sunday),
];

/// Short forms used in option lines only ("Fr., 18.06.").
const WEEKDAY_ABBR: &[(&str, Weekday)] = &[
    ("mo", Weekday::Monday), ("di", Weekday::Tuesday), ("mi", Weekday::Wednesday), ("do", Weekday::Thursday),
    ("fr", Weekday::Friday), ("sa", Weekday::Saturday), ("so", Weekday::Sunday), ("mon", Weekday::Monday),
    ("tue", Weekday::Tuesday), ("wed", Weekday::Wednesday), ("thu", Weekday::Thursday), ("fri", Weekday::Friday),
    ("sat", Weekday::Saturday), ("sun", Weekday::Sunday),
];

fn option_line_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    re(
        &RE,
        r"(?im)^[ \t>]*(?:[-*•][ \t]*)?(?:(?:termin|option|vorschlag|nr\.?)[ \t]*)?[(\[]?(\d{1,2})(?:[).:\]]|[ \t]*[–-])[ \t]+(.+)$",
    )
}

/// Whether `line` is one of our option lines (so a reply that leaks the proposal into
/// its new text does not choose by re-reading our own options).
pub fn is_option_line(line: &str) -> bool {
    parse_line(line).is_some()
}

fn parse_line(line: &str) -> Option<ProposedOption> {
    let c = option_line_re().captures(line)?;
    let number: u32 = c.get(1)?.as_str().parse().ok()?;
    let body = c.get(2)?.as_str().to_lowercase();
    let weekday = weekday_in(&body, true);
    let (day, month) = date_in(&body);
    // An option names a day: a weekday or a date. "1. Mai" alone is a date line, not an
    // option, and is caught because its "number" is followed by a month, not a slot.
    if weekday.is_none() && day.is_none() {
        return None;
    }
    if month_of(body.split_whitespace().next().unwrap_or("")).is_some() {
        return None;
    }
    Some(ProposedOption { number, weekday, day, month, start: time_in(&body) })
}

/// All options of the proposal, in order, numbers unique (first wins).
pub fn parse_options(text: &str) -> Vec<ProposedOption> {
    let mut out: Vec<ProposedOption> = Vec::new();
    for line in text.lines() {
        if let Some(o) = parse_line(line) {
            if !out.iter().any(|p| p.number == o.number) {
                out.push(o);
            }
        }
    }
    out
}

/// The first weekday named in a lower-case text. `abbr` also admits "fr.", "sa,".
pub(super) fn weekday_in(t: &str, abbr: bool) -> Option<Weekday> {
    static WORD: OnceLock<Regex> = OnceLock::new();
    let word = re(&WORD, r"\p{L}+");
    for m in word.find_iter(t) {
        let w = m.as_str();
        if let Some((_, d)) = WEEKDAYS.iter().find(|(n, _)| w.starts_with(n)) {
            return Some(*d);
        }
        if abbr {
            if let Some((_, d)) = WEEKDAY_ABBR.iter().find(|(n, _)| *n == w) {
                return Some(*d);
            }
        }
    }
    None
}

/// The first date: "14.06.2027", "14.06.", "13. April", "13 April", "April 13".
pub(super) fn date_in(t: &str) -> (Option<i8>, Option<i8>) {
    static NUM: OnceLock<Regex> = OnceLock::new();
    static NAMED: OnceLock<Regex> = OnceLock::new();
    static EN: OnceLock<Regex> = OnceLock::new();
    let num = re(&NUM, r"\b(\d{1,2})\.(\d{1,2})\.(?:\d{2,4})?");
    let named = re(&NAMED, &format!(r"\b(\d{{1,2}})(?:\.|st|nd|rd|th)?[ \t]+(?:of[ \t]+)?({MONTH_ALT})\b"));
    let en = re(&EN, &format!(r"\b({MONTH_ALT})\.?[ \t]+(\d{{1,2}})(?:st|nd|rd|th)?\b"));
    let valid = |d: i8, m: i8| (1..=31).contains(&d) && (1..=12).contains(&m);
    if let Some(c) = num.captures(t) {
        let d = c[1].parse().unwrap_or(0);
        let m = c[2].parse().unwrap_or(0);
        if valid(d, m) {
            return (Some(d), Some(m));
        }
    }
    if let Some(c) = named.captures(t) {
        let d = c[1].parse().unwrap_or(0);
        if let Some(m) = month_of(&c[2]).filter(|m| valid(d, *m)) {
            return (Some(d), Some(m));
        }
    }
    if let Some(c) = en.captures(t) {
        let d = c[2].parse().unwrap_or(0);
        if let Some(m) = month_of(&c[1]).filter(|m| valid(d, *m)) {
            return (Some(d), Some(m));
        }
    }
    (None, None)
}

/// The first clock time: "18:30", "18.30 Uhr", "18 Uhr", "6:30 pm", "6 pm".
pub(super) fn time_in(t: &str) -> Option<(i8, i8)> {
    times_in(t).into_iter().next().map(|(h, m, _)| (h, m))
}

/// Every clock time with its byte offset.
pub(super) fn times_in(t: &str) -> Vec<(i8, i8, usize)> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let r = re(
        &RE,
        r"\b(\d{1,2}):(\d{2})\b(?:[ \t]*(am|pm|a\.m\.|p\.m\.))?|\b(\d{1,2})(?:\.(\d{2}))?[ \t]*uhr\b|\b(\d{1,2})[ \t]*(am|pm|a\.m\.|p\.m\.)",
    );
    let mut out = Vec::new();
    for c in r.captures_iter(t) {
        let Some(whole) = c.get(0) else { continue };
        let (h, m, ampm) = if let Some(h) = c.get(1) {
            (h.as_str(), c.get(2).map(|m| m.as_str()).unwrap_or("0"), c.get(3).map(|m| m.as_str()))
        } else if let Some(h) = c.get(4) {
            (h.as_str(), c.get(5).map(|m| m.as_str()).unwrap_or("0"), None)
        } else if let Some(h) = c.get(6) {
            (h.as_str(), "0", c.get(7).map(|m| m.as_str()))
        } else {
            continue;
        };
        let mut h: i8 = h.parse().unwrap_or(-1);
        let m: i8 = m.parse().unwrap_or(-1);
        if ampm.is_some_and(|a| a.starts_with('p')) && (1..12).contains(&h) {
            h += 12;
        }
        if (0..24).contains(&h) && (0..60).contains(&m) {
            out.push((h, m, whole.start()));
        }
    }
    out
}

/// Parts of the day, matching the project's wording table loosely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayPart {
    Morning,
    Midday,
    Afternoon,
    Evening,
}

impl DayPart {
    pub fn contains(self, (h, _m): (i8, i8)) -> bool {
        match self {
            DayPart::Morning => (6..12).contains(&h),
            DayPart::Midday => (11..14).contains(&h),
            DayPart::Afternoon => (12..18).contains(&h),
            DayPart::Evening => (17..24).contains(&h),
        }
    }

    /// The part of day a word (or compound tail: "samstagvormittag") names.
    pub fn from_word(w: &str) -> Option<DayPart> {
        let w = w.trim_start_matches(|c: char| c.is_whitespace());
        if w.starts_with("vormittag") || w.starts_with("morgen") || w.starts_with("früh") || w.starts_with("morning") {
            Some(DayPart::Morning)
        } else if w.starts_with("nachmittag") || w.starts_with("afternoon") {
            Some(DayPart::Afternoon)
        } else if w.starts_with("mittag") || w.starts_with("noon") || w.starts_with("lunch") {
            Some(DayPart::Midday)
        } else if w.starts_with("abend") || w.starts_with("evening") || w.starts_with("night") || w.starts_with("feierabend") {
            Some(DayPart::Evening)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_numeric_option_lines() {
        let o = parse_options(">   1) Montag, 14.06.2027, 18:30 Uhr\n>   2) Donnerstag, 17.06.2027, 19:00 Uhr\n");
        assert_eq!(o.len(), 2);
        assert_eq!(o[0].number, 1);
        assert_eq!(o[0].weekday, Some(Weekday::Monday));
        assert_eq!((o[0].day, o[0].month), (Some(14), Some(6)));
        assert_eq!(o[0].start, Some((18, 30)));
        assert_eq!(o[1].weekday, Some(Weekday::Thursday));
    }

    #[test]
    fn named_month_and_english_option_lines() {
        let o = parse_options("1) Dienstag, 13. April, 18:00–18:40\n2) Saturday, 1 May, 10:00-10:40\n3. Fr., 7 May, 6 pm");
        assert_eq!(o.len(), 3);
        assert_eq!((o[0].day, o[0].month, o[0].start), (Some(13), Some(4), Some((18, 0))));
        assert_eq!((o[1].weekday, o[1].day, o[1].month), (Some(Weekday::Saturday), Some(1), Some(5)));
        assert_eq!((o[2].weekday, o[2].start), (Some(Weekday::Friday), Some((18, 0))));
    }

    #[test]
    fn other_numbering_styles() {
        let o = parse_options("Option 1 – Montag, 14.06.2027, 18:30 Uhr\n[2] Dienstag, 15.06.2027, 19:00 Uhr");
        assert_eq!(o.iter().map(|o| o.number).collect::<Vec<_>>(), vec![1, 2]);
    }

    #[test]
    fn lists_that_are_not_options_are_ignored() {
        assert!(parse_options("1. Mai ist ein Feiertag\n* Ihre alten Ausweise\n2) pro Person ein Lichtbild").is_empty());
    }
}
