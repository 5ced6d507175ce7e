//! The phrase grammar: finds dates, weekdays, weeks, clock times and parts of the day
//! in one normalised sentence and returns them as positioned items. Dates are resolved
//! to civil dates here (year inference needs `today`); everything stays civil.

use super::lex::Norm;
use jiff::civil::{Date, ISOWeekDate, Weekday};
use jiff::ToSpan;
use regex::{Regex, RegexSet};
use std::sync::LazyLock;

/// Minutes since midnight; 1440 is the end of the day.
pub(crate) type Min = u16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClockKind {
    /// "15-17 Uhr", "zwischen 9 und 11".
    Range,
    /// "ab 17 Uhr": open towards the evening.
    From,
    /// "bis 16:30 Uhr".
    Until,
    /// "gegen 18 Uhr", "um 18 Uhr", "18:00".
    Point,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    Date {
        d: Date,
    },
    /// Inclusive day range.
    Range {
        from: Date,
        to: Date,
    },
    /// A whole month ("im Mai"): context for weekdays and times, never a wish alone.
    Month { from: Date, to: Date },
    /// An ISO week, by its Monday.
    Week {
        monday: Date,
    },
    /// Weekdays as bit mask (bit 0 = Monday). `single`: "am Montag" = the next one.
    Weekdays {
        mask: u8,
        single: bool,
    },
    From {
        d: Date,
    },
    Until {
        d: Date,
    },
    Clock {
        from: Min,
        to: Min,
        kind: ClockKind,
        minute_grain: bool,
    },
    Part {
        from: Min,
        to: Min,
    },
    AllDay,
    /// Night times: never a visiting wish.
    Night,
}

#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
}

impl Item {
    pub fn is_day(&self) -> bool {
        matches!(
            self.kind,
            Kind::Date { .. }
                | Kind::Range { .. }
                | Kind::Month { .. }
                | Kind::Week { .. }
                | Kind::Weekdays { .. }
                | Kind::From { .. }
                | Kind::Until { .. }
        )
    }
    pub fn is_time(&self) -> bool {
        matches!(
            self.kind,
            Kind::Clock { .. } | Kind::Part { .. } | Kind::AllDay | Kind::Night
        )
    }
}

/// What the grammar needs besides the text.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub today: Date,
    /// A date without year up to this many days before today stays in this year (and is
    /// then simply past); earlier ones mean next year.
    pub past_tolerance: i64,
    /// Hours 1–6 without am/pm are afternoon hours ("ab halb sechs" = 17:30).
    pub pm_small_hours: bool,
    /// The last week named ("KW 19", "die Woche vom …"), for "Freitag dieser Woche".
    pub last_week: Option<Date>,
    /// Single phrases: an hour without minutes that has passed today means the
    /// afternoon one ("um 3" at 04:30 is 15:00), as Duckling reads it.
    pub now_min: Option<i32>,
}

const WDNAME: &str = "montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag|monday|tuesday|wednesday|thursday|friday|saturday|sunday";
const MONTH: &str = "januar|jaenner|january|jan|februar|february|feb|maerz|marz|march|mrz|mar|april|apr|mai|may|juni|june|jun|juli|july|jul|august|aug|september|sept|sep|oktober|october|okt|oct|november|nov|dezember|december|dez|dec";
/// Ordinal day words, stems only ("ersten", "neunundzwanzigsten" are matched with endings).
const ORDW: &str = "einunddreissigst|dreissigst|neunundzwanzigst|achtundzwanzigst|siebenundzwanzigst|sechsundzwanzigst|fuenfundzwanzigst|vierundzwanzigst|dreiundzwanzigst|zweiundzwanzigst|einundzwanzigst|zwanzigst|neunzehnt|achtzehnt|siebzehnt|sechzehnt|fuenfzehnt|vierzehnt|dreizehnt|zwoelft|elft|zehnt|neunt|acht|siebt|sechst|fuenft|viert|dritt|zweit|erst|first|second|third|fourth|fifth";

fn ordinal_word(w: &str) -> Option<i8> {
    let list = [
        ("einunddreissigst", 31),
        ("dreissigst", 30),
        ("neunundzwanzigst", 29),
        ("achtundzwanzigst", 28),
        ("siebenundzwanzigst", 27),
        ("sechsundzwanzigst", 26),
        ("fuenfundzwanzigst", 25),
        ("vierundzwanzigst", 24),
        ("dreiundzwanzigst", 23),
        ("zweiundzwanzigst", 22),
        ("einundzwanzigst", 21),
        ("zwanzigst", 20),
        ("neunzehnt", 19),
        ("achtzehnt", 18),
        ("siebzehnt", 17),
        ("sechzehnt", 16),
        ("fuenfzehnt", 15),
        ("vierzehnt", 14),
        ("dreizehnt", 13),
        ("zwoelft", 12),
        ("elft", 11),
        ("zehnt", 10),
        ("neunt", 9),
        ("acht", 8),
        ("siebt", 7),
        ("sechst", 6),
        ("fuenft", 5),
        ("viert", 4),
        ("dritt", 3),
        ("zweit", 2),
        ("erst", 1),
        ("first", 1),
        ("second", 2),
        ("third", 3),
        ("fourth", 4),
        ("fifth", 5),
    ];
    list.iter().find(|(s, _)| *s == w).map(|(_, n)| *n)
}

/// Weekday word beginnings, to tell which day a joined list starts with.
const WD_PREFIX: [(&str, u8); 14] = [
    ("mo", 0), ("di", 1), ("tu", 1), ("mi", 2), ("we", 2), ("do", 3), ("th", 3),
    ("fr", 4), ("sa", 5), ("sonnabend", 5), ("so", 6), ("su", 6), ("mon", 0), ("wed", 2),
];

const HW: &str = "eins|ein|zwei|drei|vier|fuenf|sechs|sieben|acht|neun|zehn|elf|zwoelf|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve";

fn clock_re() -> String {
    format!(
        r"(?:(?:\d{{1,2}}|fuenf|zehn|zwanzig|viertel|quarter|half)\s+(?:nach|vor|past|to)\s+(?:\d{{1,2}}|(?:{HW})\b)|(?:halb|1/2|dreiviertel|drei\s*viertel|viertel)\s*(?:\d{{1,2}}|(?:{HW})\b)|\d{{1,2}}\s*(?:uhr|h)\s*\d{{2}}\b|\d{{1,2}}(?:[:.]\d{{2}})?|(?:{HW})\b)(?:\s*(?:uhr|h|o'?clock)\b)?(?:\s*(?:(?:am|pm)\b|a\.m\.|p\.m\.))?"
    )
}

fn re(s: &str) -> Regex {
    // The patterns are constants of this file; a typo is a programming error caught by the tests.
    Regex::new(&crate::classify::normalize::ascii_words(s)).unwrap_or_else(|e| panic!("bad pattern {s}: {e}"))
}

fn month_num(s: &str) -> Option<i8> {
    let s = s.trim_end_matches('.');
    let m = match s {
        "januar" | "jaenner" | "january" | "jan" => 1,
        "februar" | "february" | "feb" => 2,
        "maerz" | "marz" | "march" | "mrz" | "mar" => 3,
        "april" | "apr" => 4,
        "mai" | "may" => 5,
        "juni" | "june" | "jun" => 6,
        "juli" | "july" | "jul" => 7,
        "august" | "aug" => 8,
        "september" | "sept" | "sep" => 9,
        "oktober" | "october" | "okt" | "oct" => 10,
        "november" | "nov" => 11,
        "dezember" | "december" | "dez" | "dec" => 12,
        _ => return None,
    };
    Some(m)
}

fn wd_index(s: &str) -> Option<u8> {
    let s = s.trim_end_matches('.');
    let i = match s {
        "montag" | "monday" | "mo" | "mon" => 0,
        "dienstag" | "tuesday" | "di" | "tue" | "tues" => 1,
        "mittwoch" | "wednesday" | "mi" | "wed" => 2,
        "donnerstag" | "thursday" | "do" | "thu" | "thur" | "thurs" => 3,
        "freitag" | "friday" | "fr" | "fri" => 4,
        "samstag" | "sonnabend" | "saturday" | "sa" | "sat" => 5,
        "sonntag" | "sunday" | "so" | "sun" => 6,
        _ => return None,
    };
    Some(i)
}

#[allow(dead_code)]
pub(crate) fn weekday_of(i: u8) -> Weekday {
    match i {
        0 => Weekday::Monday,
        1 => Weekday::Tuesday,
        2 => Weekday::Wednesday,
        3 => Weekday::Thursday,
        4 => Weekday::Friday,
        5 => Weekday::Saturday,
        _ => Weekday::Sunday,
    }
}

pub(crate) fn wd_bit(d: Date) -> u8 {
    1u8 << (d.weekday().to_monday_zero_offset() as u8)
}

fn hour_word(s: &str) -> Option<i32> {
    let h = match s {
        "eins" | "ein" | "one" => 1,
        "zwei" | "two" => 2,
        "drei" | "three" => 3,
        "vier" | "four" => 4,
        "fuenf" | "five" => 5,
        "sechs" | "six" => 6,
        "sieben" | "seven" => 7,
        "acht" | "eight" => 8,
        "neun" | "nine" => 9,
        "zehn" | "ten" => 10,
        "elf" | "eleven" => 11,
        "zwoelf" | "twelve" => 12,
        _ => return None,
    };
    Some(h)
}

/// A parsed clock: minutes, and whether it carried an explicit marker (uhr/h, minutes,
/// am/pm), which makes a bare number believable as a time.
#[derive(Debug, Clone, Copy)]
struct Clock {
    min: i32,
    marked: bool,
    ampm: Option<bool>,
    minute_grain: bool,
    colon: bool,
}

fn parse_clock(s: &str) -> Option<Clock> {
    static NUM: LazyLock<Regex> = LazyLock::new(|| re(r"(\d{1,2})(?:[:.](\d{2}))?"));
    let s = s.trim();
    let pm = s.contains("pm") || s.contains("p.m.");
    let am = !pm && (s.ends_with("am") || s.contains("a.m."));
    let ampm = if pm {
        Some(true)
    } else if am {
        Some(false)
    } else {
        None
    };
    let has_uhr = s.contains("uhr") || s.contains("clock") || s.trim_end_matches(['a', 'p', 'm', '.', ' ']).ends_with('h');
    let hour_of = |w: &str| -> Option<i32> {
        let w = w.trim();
        let first: String = w.chars().take_while(|c| c.is_alphanumeric()).collect();
        first.parse::<i32>().ok().or_else(|| hour_word(&first))
    };
    static REL_MIN: LazyLock<Regex> = LazyLock::new(|| {
        re(&format!(
            r"^(\d{{1,2}}|fuenf|zehn|zwanzig|viertel|quarter|half)\s+(nach|vor|past|to)\s+(\d{{1,2}}|{HW})"
        ))
    });
    static UHR_MIN: LazyLock<Regex> = LazyLock::new(|| re(r"^(\d{1,2})\s*(?:uhr|h)\s*(\d{2})"));
    let (mut h, m, marked, minute_grain);
    let word_min = |w: &str| -> Option<i32> {
        match w {
            "fuenf" => Some(5),
            "zehn" => Some(10),
            "zwanzig" => Some(20),
            "viertel" | "quarter" => Some(15),
            "half" => Some(30),
            _ => w.parse().ok(),
        }
    };
    if let Some(c) = REL_MIN.captures(s) {
        let x = word_min(c.get(1)?.as_str())?;
        let base = hour_of(c.get(3)?.as_str())?;
        let after = matches!(c.get(2)?.as_str(), "nach" | "past");
        if !(1..60).contains(&x) {
            return None;
        }
        if after {
            h = base;
            m = x;
        } else {
            h = base - 1;
            m = 60 - x;
        }
        marked = true;
        minute_grain = true;
    } else if let Some(c) = UHR_MIN.captures(s) {
        h = c.get(1)?.as_str().parse().ok()?;
        m = c.get(2)?.as_str().parse().ok()?;
        marked = true;
        minute_grain = true;
    } else if let Some(rest) = s
        .strip_prefix("dreiviertel")
        .or_else(|| s.strip_prefix("drei viertel"))
    {
        h = hour_of(rest)? - 1;
        m = 45;
        marked = true;
        minute_grain = true;
    } else if let Some(rest) = s.strip_prefix("viertel") {
        h = hour_of(rest)? - 1;
        m = 15;
        marked = true;
        minute_grain = true;
    } else if let Some(rest) = s.strip_prefix("halb").or_else(|| s.strip_prefix("1/2")) {
        h = hour_of(rest)? - 1;
        m = 30;
        marked = true;
        minute_grain = true;
    } else if let Some(c) = NUM.captures(s) {
        h = c.get(1)?.as_str().parse().ok()?;
        let mm: Option<i32> = c.get(2).and_then(|x| x.as_str().parse().ok());
        m = mm.unwrap_or(0);
        marked = mm.is_some() || has_uhr || ampm.is_some();
        minute_grain = mm.is_some();
    } else {
        let w: String = s.chars().take_while(|c| c.is_alphabetic()).collect();
        h = hour_word(&w)?;
        m = 0;
        marked = has_uhr || ampm.is_some();
        minute_grain = false;
    }
    if !(0..=24).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    if h < 0 {
        h += 24;
    }
    match ampm {
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        _ => {}
    }
    Some(Clock {
        min: h * 60 + m,
        marked,
        ampm,
        minute_grain,
        colon: minute_grain
            && !s.starts_with("halb")
            && !s.starts_with("viertel")
            && !s.starts_with("dreiviertel")
            && !s.starts_with("1/2")
            && !s.contains("nach")
            && !s.contains("vor"),
    })
}

/// A part of the day written right next to a clock time: `Some(true)` for the
/// afternoon/evening ("halb acht abends", "nachmittags um 3"), `Some(false)` for the
/// morning ("9 Uhr morgens").
fn daypart_near(t: &str, start: usize, end: usize) -> Option<bool> {
    static AFTER: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"^\s*(?:uhr\s*)?(?:(?:am|an|in\s+the|des)\s+)?(abends?|nachmittags?|evening|afternoon|pm|nachts?|morgens|morgen|vormittags?|frueh|in\s+der\s+frueh|morning)\b",
        )
    });
    static BEFORE: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"\b(abends?|nachmittags?|evenings?|afternoons?|tonight|morgens|vormittags?|frueh|mornings?)\s+(?:(?:so|erst|ab|um|gegen|zwischen|von|nach|bis|at|after|from|between|around)\s+)*$",
        )
    });
    let after = t
        .get(end..(end + 24).min(t.len()))
        .or_else(|| t.get(end..))
        .unwrap_or("");
    let before = t.get(start.saturating_sub(30)..start).unwrap_or("");
    let w = AFTER
        .captures(after)
        .and_then(|c| c.get(1))
        .or_else(|| BEFORE.captures(before).and_then(|c| c.get(1)))?
        .as_str()
        .to_string();
    Some(
        !(w.starts_with("morgen")
            || w.starts_with("vormittag")
            || w.contains("frueh")
            || w.starts_with("morning")),
    )
}

/// Afternoon reading of small bare hours ("zwischen 2 und 6", "ab halb sechs") and of
/// 7–11 when the sentence or the neighbouring word speaks of the evening.
fn adjust(c: Clock, ctx: &Ctx, sentence: Option<bool>, near: Option<bool>) -> i32 {
    if c.ampm.is_some() {
        return c.min;
    }
    let h = c.min / 60;
    let evening = sentence == Some(true);
    if near.is_none() && sentence == Some(false) && !ctx.pm_small_hours {
        return c.min;
    }
    match near {
        Some(false) => return c.min,
        Some(true) if (1..=11).contains(&h) => return c.min + 720,
        _ => {}
    }
    if let Some(nm) = ctx.now_min {
        if !c.colon && (1..=11).contains(&h) && c.min < nm {
            return c.min + 720;
        }
    }
    if (1..=6).contains(&h) && ctx.pm_small_hours {
        return c.min + 720;
    }
    if (7..=11).contains(&h) && evening {
        return c.min + 720;
    }
    c.min
}

fn next_word_is_unit(rest: &str) -> bool {
    static UNIT: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"^\s*(?:x\b|mal\b|jahre?n?|monate?n?|wochen?|tagen?\b|tage\b|stunden?|minuten?|personen|kinder|euro|eur\b|prozent|%|m\b|km|kg|years?|months?|weeks?|days?|hours?|minutes?|people|persons|kids|children|\.\d|/\d|,\d|stueck|seiten|cm)",
        )
    });
    UNIT.is_match(rest)
}

/// Year inference for a day and month without year: this year unless that is clearly
/// past; a weekday written next to it picks the year it agrees with.
fn infer(day: i8, month: i8, year: Option<i16>, wd: Option<u8>, ctx: &Ctx) -> Option<Date> {
    if let Some(y) = year {
        let y = if y < 100 { y + 2000 } else { y };
        return Date::new(y, month, day).ok();
    }
    let y0 = ctx.today.year();
    let earliest = ctx.today.checked_sub(ctx.past_tolerance.days()).ok()?;
    let mut first_ok = None;
    for y in [y0, y0 + 1, y0 + 2] {
        let Ok(d) = Date::new(y, month, day) else {
            continue;
        };
        if d < earliest {
            continue;
        }
        if first_ok.is_none() {
            first_ok = Some(d);
        }
        match wd {
            Some(w) if wd_bit(d) != 1 << w => continue,
            _ => return Some(d),
        }
    }
    first_ok
}

fn nth_weekday(n: i32, wd: u8, month: i8, year: Option<i16>, ctx: &Ctx) -> Option<Date> {
    let y0 = ctx.today.year();
    let years: Vec<i16> = match year {
        Some(y) => vec![y],
        None => vec![y0, y0 + 1],
    };
    for y in years {
        let first = Date::new(y, month, 1).ok()?;
        let d = if n > 0 {
            let off = (7 + wd as i32 - first.weekday().to_monday_zero_offset() as i32) % 7;
            first.checked_add((off + 7 * (n - 1)).days()).ok()?
        } else {
            let last = first.last_of_month();
            let off = (7 + last.weekday().to_monday_zero_offset() as i32 - wd as i32) % 7;
            last.checked_sub(off.days()).ok()?
        };
        if d.month() != month {
            return None;
        }
        if year.is_some() || d >= ctx.today.checked_sub(ctx.past_tolerance.days()).ok()? {
            return Some(d);
        }
    }
    None
}

pub(crate) fn monday_of(d: Date) -> Date {
    d.checked_sub((d.weekday().to_monday_zero_offset() as i32).days())
        .unwrap_or(d)
}

/// A string of the same length with claimed spans blanked, so later patterns see only
/// what no earlier pattern took.
struct Claims {
    text: String,
    taken: Vec<bool>,
}

impl Claims {
    fn free(&self, a: usize, b: usize) -> bool {
        self.taken.get(a..b).is_some_and(|s| !s.iter().any(|x| *x))
    }
    fn take(&mut self, a: usize, b: usize) {
        for x in self.taken.iter_mut().take(b).skip(a) {
            *x = true;
        }
    }
}

fn num<T: std::str::FromStr>(c: &regex::Captures, i: usize) -> Option<T> {
    c.get(i)
        .and_then(|m| m.as_str().trim_end_matches('.').parse().ok())
}

static KW: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(?:(?:kw|kalenderwochen?|calendar\s+weeks?|week)\s*\.?\s*(\d{1,2}(?:\s*(?:,|/|&|oder|od\.|und|u\.|bzw\.?|or|and|bis|-|to|through|thru)\s*(?:(?:kw|week)\s*)?\d{1,2})*)\b|((?:\d{1,2}\.?\s*(?:,|/|&|oder|od\.|und|u\.|bzw\.?|or|and|bis|-|to)\s*(?:(?:der|die|den)\s+)?)*\d{1,2})\.\s*(?:kw|kalenderwochen?)\b)")
});
static NTH: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"\b(ersten|erste|erster|zweiten|zweiter|dritten|dritter|vierten|vierter|letzten|letzter|letzte|first|second|third|fourth|last|[1-4]\.)\s+({WDNAME})s?\s+(?:im|in|des|of|in\s+the\s+month\s+of)\s+({MONTH})\b\.?(?:\s+(\d{{4}}))?"
    ))
});
static NUM_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(\d{1,2})\.?\s*(?:-|/|bis(?:\s+zum)?|to|until)\s*(\d{1,2})\.(\d{1,2})\.?(\d{4}|\d{2})?",
    )
});
static NAME_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"\b(\d{{1,2}})(?:\.|st|nd|rd|th|ten|ter|te)?\s*(?:-|bis(?:\s+(?:zum|einschliesslich|inklusive))?|und(?:\s+(?:dem|den))?|to(?:\s+the)?|and(?:\s+the)?|through|till|until)\s*(\d{{1,2}})(?:\.|st|nd|rd|th|ten|ter|te)?\s+(?:of\s+)?({MONTH})\b\.?(?:\s+(\d{{4}}))?"
    ))
});
static DAY_LIST: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"\b((?:\d{{1,2}}(?:\.|st|nd|rd|th)?\s*(?:,|und|oder|or|and|&|/)\s*(?:(?:am|dem|den|the|on)\s+)?)+)(\d{{1,2}})(?:\.|st|nd|rd|th)?\s+(?:of\s+)?({MONTH})\b\.?(?:\s+(\d{{4}}))?"
    ))
});
static PART_OF_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(r"\b(anfang|mitte|ende|early|mid|late|end\s+of|beginning\s+of)\s+({MONTH})\b\.?(?:\s+(\d{{4}}))?"))
});
static IN_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(r"\b(?:im|in|during|den\s+ganzen|the\s+whole\s+of)\s+({MONTH})\b\.?(?:\s+(\d{{4}}))?"))
});
static FROM_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(r"\b(?:ab|from|starting(?:\s+in)?|beginning(?:\s+in)?)\s+(?:anfang\s+|the\s+beginning\s+of\s+|early\s+)?({MONTH})\b\.?(?:\s+(\d{{4}}))?"))
});
static MONTH_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(r"\b({MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*(?:-|to|thru|through|until|till)\s*(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?"))
});
static MONTH_DAY_LIST: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(r"\b({MONTH})\.?\s+(\d{{1,2}}(?:st|nd|rd|th)?(?:\s*(?:,|and|or|&)\s*(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?)+)\b"))
});
static ISO: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"));
static NUMERIC: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(\d{1,2})\.\s?(\d{1,2})\.(?:\s?(\d{4}|\d{2})\b)?"));
static NUMERIC_NODOT: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(?:am|den|dem|vom|bis|ab|zum|der|on)\s+(\d{1,2})\.(\d{1,2})\b"));
static SLASH: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?\b(?:\s*-\s*(\d{1,2})/(\d{1,2})\b)?")
});
static DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"\b(\d{{1,2}}|{ORDW})(?:\.|st|nd|rd|th|ten|ter|tes|te|er|en|e)?\s*(?:of\s+)?({MONTH})\b\.?(?:\s+(\d{{4}}|\d{{2}}\b))?"
    ))
});
static MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"\b({MONTH})\.?\s+(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?"
    ))
});
static THE_NTH: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:the|am|den|dem|vom|ab|bis|zum|on the)\s+(\d{1,2})(?:(?:st|nd|rd|th)(?:\s|,|$|[.!?;)])|(?:ten|te|\.)(?:\s|,|$))",
    )
});
static PART_OF_WEEK: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(anfang|mitte|ende|beginning\s+of|middle\s+of|end\s+of|early|mid|late)\s+(?:(?:der|the)\s+)?(?:(naechste[nr]?|kommende[nr]?|diese[rn]?|uebernaechste[nr]?|next|this|coming|following)\s+)?(?:woche|week)\b")
});
static PART_OF_REL_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(anfang|mitte|ende|beginning\s+of|middle\s+of|end\s+of|early|mid|late)\s+(?:(des|dieses|diesen|naechsten|kommenden|the|this|next)\s+)?(?:monats|month)\b")
});
static BETWEEN_YEARS: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(?:zwischen\s+den\s+jahren|between\s+christmas\s+and\s+new\s+year'?s?(?:\s+day|\s+eve)?)\b")
});
static WEEK_REL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(naechste|naechsten|naechster|kommende|kommenden|kommender|coming|upcoming|diese|dieser|diesen|uebernaechste|uebernaechsten|uebernaechster|next|this|following)\s+(?:woche|week)\b",
    )
});
static NEXT_N: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(?:naechsten|kommenden|next|coming)\s+(\d{1,2}|zwei|drei|vier|fuenf|sechs|sieben|acht|neun|zehn|vierzehn|two|three|four|five|six|seven|eight|nine|ten|fourteen)\s+(wochen|weeks|tagen?|days)\b")
});
static WEEK_IN: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\bin\s+(einer|1|zwei|2|drei|3|vier|4|one|a|two|three|four)\s+(?:wochen?|weeks?)\b")
});
static HOLI: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(fronleichnam|christi\s+himmelfahrt|himmelfahrt|pfingstmontag|pfingstsonntag|ostermontag|ostersonntag|karfreitag|tag\s+der\s+deutschen\s+einheit|heiligabend|heiligen\s+abend|silvester|neujahr|erster\s+weihnachtstag|zweiter\s+weihnachtstag|1\.\s*weihnachtstag|2\.\s*weihnachtstag|(?:ersten|erster|zweiten|zweiter)\s+weihnachts(?:feier)?tag|weihnachten|weihnachtstag|neujahrstag|allerheiligen|heilige\s+drei\s+koenige|dreikoenigstag|karsamstag|ostern|pfingsten|rosenmontag|aschermittwoch|reformationstag|tag\s+der\s+arbeit|maifeiertag|nikolaus|good\s+friday|easter\s+monday|christmas\s+eve|christmas|new\s+year'?s\s+eve|new\s+year'?s\s+day)\b",
    )
});
static REL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(heute|today|tonight|uebermorgen|ueber\s+morgen|the\s+day\s+after\s+tomorrow|day\s+after\s+tomorrow|morgen|tomorrow)\b",
    )
});
static GROUP: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(werktags|werktagen|werktage|werktag|wochentags|wochentagen|wochentage|unter\s+der\s+woche|weekdays?|during\s+the\s+week|am\s+wochenende|wochenenden?|weekends?|jeden\s+tag|jedem\s+tag|taeglich|every\s+day|everyday|daily|each\s+day|alle\s+tage)\b",
    )
});
static FULL: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"\b({WDNAME})(s|e|en)?(vormittags?|nachmittags?|abends?|morgens?|mittags?|mornings?|afternoons?|evenings?|nights?|nachts?)?\b"
    ))
});
static ABBR: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(mo|di|mi|do|fr|sa|so|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\b(\.)?")
});
static NOT_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"\b(?:nicht\s+vor|not\s+before|fruehestens\s+(?:ab\s+|um\s+)?|no\s+earlier\s+than)\s*({})",
        clock_re()
    ))
});
static CLOCK_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    let c = clock_re();
    re(&format!(
        r"\b(?:(zwischen|zw\.|von|vom|between|from)\s*(?:ca\.?\s+)?)?({c})\s*(?:-|bis|und|u\.|and|to|till|until)\s*({c})"
    ))
});
static FEIER: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(?:nach\s+(?:dem\s+|meinem\s+|unserem\s+)?feierabend|after\s+work|after\s+hours)\b")
});
static CLOCK_FROM: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"\b(?:ab|nach|after|from|later\s+than|frueh(?:e|)stens)\s+(?:(?:ca\.?|circa|etwa|so)\s+)?({})",
        clock_re()
    ))
});
static UNTIL: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"\b(?:bis|until|till|before|vor|spaetestens)\s+(?:(?:ca\.?|circa|etwa)\s+)?({})",
        clock_re()
    ))
});
static AROUND: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"\b(gegen|um|at|around|ca\.?|circa|etwa|so\s+gegen)\s+({})",
        clock_re()
    ))
});
static BARE: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"\b({})", clock_re())));
static ALLDAY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:den\s+ganzen\s+tag|ganzen\s+tag|ganztags|ganztaegig|durchgehend|all\s+day|the\s+whole\s+day|whole\s+day|any\s*time|jederzeit|rund\s+um\s+die\s+uhr)\b",
    )
});
static DAY_PART: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:am\s+|in\s+the\s+|im\s+laufe\s+des\s+|early\s+|late\s+|spaet(?:en)?\s*|frueh(?:en)?\s+)?(vormittags?|nachmittags?|abends?|morgens|am\s+morgen|mittags?|mornings?|afternoons?|evenings?|nachts?|nights?|frueh|lunchtime|midday|noon|tonight|tagsueber|during\s+the\s+day|daytime)\b",
    )
});
static EV: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(?:abends?|evenings?|tonight|feierabend|nachmittags?|afternoons?)\b|\d\s*pm\b")
});
static MO: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(?:morgens|vormittags?|frueh|mornings?|\d\s*am)\b"));


/// Every top-level pattern of the grammar, in one list: [`items`] asks a [`RegexSet`] of
/// them once per sentence which can match at all, and runs only those (most sentences
/// of a mail hold no date or time, and each separate scan has a fixed cost).
static PATTERNS: [&LazyLock<Regex>; 39] = [
    &KW,
    &NTH,
    &NUM_RANGE,
    &NAME_RANGE,
    &DAY_LIST,
    &PART_OF_MONTH,
    &IN_MONTH,
    &FROM_MONTH,
    &MONTH_RANGE,
    &MONTH_DAY_LIST,
    &ISO,
    &NUMERIC,
    &NUMERIC_NODOT,
    &SLASH,
    &DAY_MONTH,
    &MONTH_DAY,
    &THE_NTH,
    &PART_OF_WEEK,
    &PART_OF_REL_MONTH,
    &BETWEEN_YEARS,
    &WEEK_REL,
    &NEXT_N,
    &WEEK_IN,
    &HOLI,
    &REL,
    &GROUP,
    &FULL,
    &ABBR,
    &NOT_BEFORE,
    &CLOCK_RANGE,
    &FEIER,
    &CLOCK_FROM,
    &UNTIL,
    &AROUND,
    &BARE,
    &ALLDAY,
    &DAY_PART,
    &EV,
    &MO,
];

static PATTERN_SET: LazyLock<RegexSet> =
    LazyLock::new(|| RegexSet::new(PATTERNS.iter().map(|r| r.as_str())).unwrap_or_else(|e| panic!("bad pattern set: {e}")));

/// The patterns that match somewhere in one sentence. The sentence text never changes
/// while its items are read (claims only mark bytes), so a pattern without a match here
/// has none in any of the searches skipped.
struct Hits(regex::SetMatches);

impl Hits {
    fn of(text: &str) -> Hits {
        Hits(PATTERN_SET.matches(text))
    }
    #[inline]
    fn has(&self, r: &LazyLock<Regex>) -> bool {
        PATTERNS.iter().position(|p| std::ptr::eq(*p, r)).is_none_or(|i| self.0.matched(i))
    }
    /// `r.captures_iter(t)`, empty when `r` cannot match.
    #[inline]
    fn captures<'t>(&self, r: &'static LazyLock<Regex>, t: &'t str) -> impl Iterator<Item = regex::Captures<'t>> {
        self.has(r).then(|| r.captures_iter(t)).into_iter().flatten()
    }
    /// `r.find_iter(t)`, empty when `r` cannot match.
    #[inline]
    fn find<'t>(&self, r: &'static LazyLock<Regex>, t: &'t str) -> impl Iterator<Item = regex::Match<'t>> {
        self.has(r).then(|| r.find_iter(t)).into_iter().flatten()
    }
}

/// All items of one sentence `[a, b)` of `n`, ordered by position.
pub(crate) fn items(n: &Norm, a: usize, b: usize, ctx: &mut Ctx) -> Vec<Item> {
    let text = n.text.get(a..b).unwrap_or("").to_string();
    let upper = n.upper.get(a..b).unwrap_or(&[]).to_vec();
    let mut cl = Claims {
        taken: vec![false; text.len()],
        text,
    };
    let mut out: Vec<Item> = Vec::new();
    let hits = Hits::of(&cl.text);
    let evening = {
        match (hits.has(&EV), hits.has(&MO)) {
            (true, false) => Some(true),
            (false, true) => Some(false),
            _ => None,
        }
    };
    dates(&mut cl, &mut out, ctx, &hits);
    weekdays(&mut cl, &upper, &mut out, &hits);
    times(&mut cl, &mut out, ctx, evening, &hits);
    out.sort_by_key(|i| (i.start, i.end));
    post(&cl.text, &mut out, ctx);
    for i in out.iter_mut() {
        i.start += a;
        i.end += a;
    }
    out
}

fn push(cl: &mut Claims, out: &mut Vec<Item>, s: usize, e: usize, kind: Kind) {
    cl.take(s, e);
    out.push(Item {
        start: s,
        end: e,
        kind,
    });
}

fn dates(cl: &mut Claims, out: &mut Vec<Item>, ctx: &mut Ctx, hits: &Hits) {
    // "KW 32", "KW 32 oder 33", "KW 32/33", "KW 32 bis 34", "32. oder 33. Kalenderwoche":
    // a list of week numbers, with "bis"/"-" joining neighbours into a span.
    let t = cl.text.clone();
    let today = ctx.today;

    // Week numbers first: "KW 5/6" is two weeks, not the 5th of June.
    let week_monday = |w: i8| -> Option<Date> {
        [today.year(), today.year() + 1].into_iter().find_map(|y| {
            let mon = ISOWeekDate::new(y, w, Weekday::Monday).ok()?.date();
            mon.checked_add(6.days()).is_ok_and(|s| s >= today).then_some(mon)
        })
    };
    static SEP_SPAN: LazyLock<Regex> = LazyLock::new(|| re(r"(?:bis|-|to|through|thru)"));
    for c in hits.captures(&KW, &t) {
        let Some(m) = c.get(0) else { continue };
        let Some(g) = c.get(1).or(c.get(2)) else { continue };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        let mut nums: Vec<(usize, usize, i8)> = DIGITS
            .find_iter(g.as_str())
            .filter_map(|d| Some((g.start() + d.start(), g.start() + d.end(), d.as_str().parse().ok()?)))
            .collect();
        // "KW 32, 10 Uhr": a trailing clock is no week.
        let tail = t.get(m.end()..).unwrap_or("").trim_start();
        if nums.len() > 1
            && c.get(1).is_some()
            && (tail.starts_with("uhr") || tail.starts_with(':') || tail.starts_with("h ") || tail == "h" || tail.starts_with("pm") || tail.starts_with("am "))
        {
            nums.pop();
        }
        // Listed weeks ascend and lie close together; anything else ends the list.
        let mut kept: Vec<(usize, usize, i8)> = Vec::new();
        for n in nums {
            match kept.last() {
                Some(p) if !(n.2 > p.2 && n.2 <= p.2 + 8) => break,
                _ => kept.push(n),
            }
        }
        let n_kept = kept.len();
        let mut k = 0;
        while k < n_kept {
            let (s0, mut e0, w0) = kept[k];
            let s0 = if k == 0 { m.start() } else { s0 };
            let mut w1 = w0;
            // "32 bis 34": one span of weeks.
            while k + 1 < n_kept && SEP_SPAN.is_match(t.get(e0..kept[k + 1].0).unwrap_or("")) {
                k += 1;
                w1 = kept[k].2;
                e0 = kept[k].1;
            }
            let e = if k + 1 == n_kept && c.get(2).is_some() { m.end() } else { e0 };
            if let Some(a) = week_monday(w0) {
                ctx.last_week = Some(a);
                if w1 == w0 {
                    push(cl, out, s0, e, Kind::Week { monday: a });
                } else if let Some(b) = week_monday(w1).and_then(|b| b.checked_add(6.days()).ok()) {
                    push(cl, out, s0, e, Kind::Range { from: a, to: b });
                }
            }
            k += 1;
        }
    }

    for c in hits.captures(&NTH, &t) {
        let Some(m) = c.get(0) else { continue };
        let n = match c.get(1).map(|x| x.as_str()).unwrap_or("") {
            "ersten" | "erste" | "erster" | "first" | "1." => 1,
            "zweiten" | "zweiter" | "second" | "2." => 2,
            "dritten" | "dritter" | "third" | "3." => 3,
            "vierten" | "vierter" | "fourth" | "4." => 4,
            _ => -1,
        };
        let wd = c.get(2).and_then(|x| wd_index(x.as_str()));
        let mo = c.get(3).and_then(|x| month_num(x.as_str()));
        if let (Some(wd), Some(mo)) = (wd, mo) {
            if let Some(d) = nth_weekday(n, wd, mo, num::<i16>(&c, 4), ctx) {
                push(cl, out, m.start(), m.end(), Kind::Date { d });
            }
        }
    }
    for c in hits.captures(&NUM_RANGE, &t) {
        let Some(m) = c.get(0) else { continue };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        // "14.10. - 15.10.": the first number is a month; two dates, joined later.
        if t[..m.start()].ends_with('.') || t[..m.start()].ends_with(|ch: char| ch.is_ascii_digit())
        {
            continue;
        }
        let (Some(d1), Some(d2), Some(mo)) = (num::<i8>(&c, 1), num::<i8>(&c, 2), num::<i8>(&c, 3))
        else {
            continue;
        };
        if !(1..=12).contains(&mo) {
            continue;
        }
        let y = num::<i16>(&c, 4);
        if let (Some(to), true) = (infer(d2, mo, y, None, ctx), d1 <= d2) {
            if let Ok(from) = Date::new(to.year(), mo, d1) {
                push(cl, out, m.start(), m.end(), Kind::Range { from, to });
            }
        }
    }
    for c in hits.captures(&NAME_RANGE, &t) {
        let Some(m) = c.get(0) else { continue };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        let conn =
            &t[c.get(1).map(|x| x.end()).unwrap_or(0)..c.get(2).map(|x| x.start()).unwrap_or(0)];
        if conn.contains("und") || conn.contains("and") {
            let before = &t[..m.start()];
            if !(before.trim_end().ends_with("zwischen dem")
                || before.trim_end().ends_with("zwischen")
                || before.trim_end().ends_with("between the")
                || before.trim_end().ends_with("between"))
            {
                continue;
            }
        }
        let (Some(d1), Some(d2)) = (num::<i8>(&c, 1), num::<i8>(&c, 2)) else {
            continue;
        };
        let Some(mo) = c.get(3).and_then(|x| month_num(x.as_str())) else {
            continue;
        };
        let y = num::<i16>(&c, 4);
        if d1 > d2 {
            continue;
        }
        if let Some(to) = infer(d2, mo, y, None, ctx) {
            if let Ok(from) = Date::new(to.year(), mo, d1) {
                push(cl, out, m.start(), m.end(), Kind::Range { from, to });
            }
        }
    }
    // "am 12., 13. und 14. April": one month for a list of days.
    static DIGITS: LazyLock<Regex> = LazyLock::new(|| re(r"\d{1,2}"));
    for c in hits.captures(&DAY_LIST, &t) {
        let (Some(m), Some(g1)) = (c.get(0), c.get(1)) else {
            continue;
        };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        let Some(mo) = c.get(3).and_then(|x| month_num(x.as_str())) else {
            continue;
        };
        let y = num::<i16>(&c, 4);
        let mut parts: Vec<(usize, usize, i8)> = DIGITS
            .find_iter(g1.as_str())
            .filter_map(|d| {
                Some((
                    g1.start() + d.start(),
                    g1.start() + d.end(),
                    d.as_str().parse().ok()?,
                ))
            })
            .collect();
        if let (Some(g2), Some(d)) = (c.get(2), num::<i8>(&c, 2)) {
            parts.push((g2.start(), m.end(), d));
        }
        let n = parts.len();
        for (k, (s0, e0, d)) in parts.into_iter().enumerate() {
            if let Some(date) = infer(d, mo, y, None, ctx) {
                let e = if k + 1 == n { m.end() } else { e0 };
                push(cl, out, s0, e, Kind::Date { d: date });
            }
        }
        cl.take(m.start(), m.end());
    }
    // "Anfang Mai", "Mitte Juni", "Ende April": thirds of the month.
    for c in hits.captures(&PART_OF_MONTH, &t) {
        let Some(m) = c.get(0) else { continue };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        let Some(mo) = c.get(2).and_then(|x| month_num(x.as_str())) else { continue };
        let (a, b) = match c.get(1).map(|x| x.as_str()).unwrap_or("") {
            "anfang" | "early" | "beginning of" => (1, 10),
            "mitte" | "mid" => (11, 20),
            _ => (21, 28),
        };
        if let Some(from) = infer(a, mo, num::<i16>(&c, 3), None, ctx) {
            let to = if b == 28 { from.last_of_month() } else { Date::new(from.year(), mo, b).unwrap_or(from) };
            push(cl, out, m.start(), m.end(), Kind::Range { from, to });
        }
    }
    // "im Mai", "in June": the whole month (narrowed by weekdays beside it).
    for c in hits.captures(&IN_MONTH, &t) {
        let Some(m) = c.get(0) else { continue };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        let Some(mo) = c.get(1).and_then(|x| month_num(x.as_str())) else { continue };
        // "mar"/"may"/"jun" etc. as English words or German "im Mai" only when it is a month.
        if c.get(1).is_some_and(|x| x.as_str() == "may") && c.get(0).is_some_and(|x| !x.as_str().starts_with("in")) {
            continue;
        }
        let mut y = num::<i16>(&c, 2).unwrap_or(today.year());
        if let Ok(first) = Date::new(y, mo, 1) {
            if num::<i16>(&c, 2).is_none() && first.last_of_month() < today {
                y += 1;
            }
        }
        if let Ok(from) = Date::new(y, mo, 1) {
            push(cl, out, m.start(), m.end(), Kind::Month { from, to: from.last_of_month() });
        }
    }
    // "ab September", "from October on": open from the first of the month.
    for c in hits.captures(&FROM_MONTH, &t) {
        let Some(m) = c.get(0) else { continue };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        let Some(mo) = c.get(1).and_then(|x| month_num(x.as_str())) else { continue };
        // "from July 13-15": the month only names a day's month.
        if t[m.end()..].trim_start().starts_with(|ch: char| ch.is_ascii_digit()) && c.get(2).is_none() {
            continue;
        }
        if c.get(1).is_some_and(|x| x.as_str() == "may") && !m.as_str().starts_with("ab") {
            continue; // "from may": too often the verb
        }
        if let Some(d) = infer(1, mo, num::<i16>(&c, 2), None, ctx) {
            // This month's first already passed: "ab Juni" said in June means now.
            let d = if d.month() == today.month() && d.year() == today.year() { today } else { d };
            push(cl, out, m.start(), m.end(), Kind::From { d });
        }
    }
    // "July 13 thru 15", "August 27th - 29th".
    for c in hits.captures(&MONTH_RANGE, &t) {
        let Some(m) = c.get(0) else { continue };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        let Some(mo) = c.get(1).and_then(|x| month_num(x.as_str())) else { continue };
        let (Some(d1), Some(d2)) = (num::<i8>(&c, 2), num::<i8>(&c, 3)) else { continue };
        if d1 >= d2 || c.get(1).is_some_and(|x| x.as_str() == "may") && c.get(4).is_none() && !t[..m.start()].trim_end().ends_with("from") {
            continue;
        }
        if let Some(to) = infer(d2, mo, num::<i16>(&c, 4), None, ctx) {
            if let Ok(from) = Date::new(to.year(), mo, d1) {
                push(cl, out, m.start(), m.end(), Kind::Range { from, to });
            }
        }
    }
    // "June 10th, 11th or 12th".
    for c in hits.captures(&MONTH_DAY_LIST, &t) {
        let (Some(m), Some(g)) = (c.get(0), c.get(2)) else { continue };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        let Some(mo) = c.get(1).and_then(|x| month_num(x.as_str())) else { continue };
        if c.get(1).is_some_and(|x| x.as_str() == "may") {
            continue;
        }
        let days: Vec<(usize, usize, i8)> = DIGITS
            .find_iter(g.as_str())
            .filter_map(|d| Some((g.start() + d.start(), g.start() + d.end(), d.as_str().parse().ok()?)))
            .collect();
        for (k, (s0, e0, d)) in days.iter().enumerate() {
            if let Some(date) = infer(*d, mo, None, None, ctx) {
                let s0 = if k == 0 { m.start() } else { *s0 };
                push(cl, out, s0, *e0, Kind::Date { d: date });
            }
        }
        cl.take(m.start(), m.end());
    }
    for c in hits.captures(&ISO, &t) {
        let Some(m) = c.get(0) else { continue };
        if let (Some(y), Some(mo), Some(d)) =
            (num::<i16>(&c, 1), num::<i8>(&c, 2), num::<i8>(&c, 3))
        {
            if let Ok(d) = Date::new(y, mo, d) {
                if cl.free(m.start(), m.end()) {
                    push(cl, out, m.start(), m.end(), Kind::Date { d });
                }
            }
        }
    }
    let wd_before = |pos: usize| -> Option<u8> {
        static WDB: LazyLock<Regex> = LazyLock::new(|| {
            re(&format!(
                r"\b({WDNAME}|mo|di|mi|do|fr|sa|so|mon|tue|wed|thu|fri|sat|sun)\.?,?\s*(?:(?:der|den|dem|the)\s+)?$"
            ))
        });
        let s = t.get(pos.saturating_sub(20)..pos)?;
        WDB.captures(s)
            .and_then(|c| c.get(1))
            .and_then(|x| wd_index(x.as_str()))
    };
    for c in hits.captures(&NUMERIC, &t) {
        let Some(m) = c.get(0) else { continue };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        // "18.00 Uhr" is a time, not 18 January.
        if t[m.end()..].trim_start().starts_with("uhr") {
            continue;
        }
        let (Some(d), Some(mo)) = (num::<i8>(&c, 1), num::<i8>(&c, 2)) else {
            continue;
        };
        if let Some(d) = infer(d, mo, num::<i16>(&c, 3), wd_before(m.start()), ctx) {
            push(cl, out, m.start(), m.end(), Kind::Date { d });
        }
    }
    for c in hits.captures(&NUMERIC_NODOT, &t) {
        let (Some(m), Some(g1)) = (c.get(0), c.get(1)) else {
            continue;
        };
        let s = g1.start();
        if !cl.free(s, m.end()) {
            continue;
        }
        let rest = &t[m.end()..];
        if rest.trim_start().starts_with("uhr") || rest.starts_with('h') || rest.starts_with(':') {
            continue;
        }
        let (Some(d), Some(mo)) = (num::<i8>(&c, 1), num::<i8>(&c, 2)) else {
            continue;
        };
        if let Some(d) = infer(d, mo, None, wd_before(s), ctx) {
            push(cl, out, s, m.end(), Kind::Date { d });
        }
    }
    for c in hits.captures(&SLASH, &t) {
        let Some(m) = c.get(0) else { continue };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        let before = t[..m.start()].trim_end();
        let after = &t[m.end()..];
        if after
            .trim_start()
            .starts_with(|ch: char| ch.is_ascii_digit())
            || ["ab", "um", "gegen", "bis", "nach", "vor"]
                .iter()
                .any(|w| before.ends_with(w))
            || after.trim_start().starts_with("uhr")
        {
            continue;
        }
        let (Some(d), Some(mo)) = (num::<i8>(&c, 1), num::<i8>(&c, 2)) else {
            continue;
        };
        let Some(from) = infer(d, mo, num::<i16>(&c, 3), None, ctx) else {
            continue;
        };
        if let (Some(d2), Some(mo2)) = (num::<i8>(&c, 4), num::<i8>(&c, 5)) {
            if let Ok(to) = Date::new(from.year(), mo2, d2) {
                if to >= from {
                    push(cl, out, m.start(), m.end(), Kind::Range { from, to });
                    continue;
                }
            }
        }
        push(
            cl,
            out,
            m.start(),
            c.get(3).or(c.get(2)).map_or(m.end(), |x| x.end()),
            Kind::Date { d: from },
        );
    }
    for re_ in [&DAY_MONTH, &MONTH_DAY] {
        if !hits.has(re_) {
            continue;
        }
        let day_first = std::ptr::eq(re_, &DAY_MONTH);
        for c in re_.captures_iter(&t) {
            let Some(m) = c.get(0) else { continue };
            if !cl.free(m.start(), m.end()) {
                continue;
            }
            let (d, mo) = if day_first {
                (
                    num::<i8>(&c, 1).or_else(|| c.get(1).and_then(|x| ordinal_word(x.as_str()))),
                    c.get(2).and_then(|x| month_num(x.as_str())),
                )
            } else {
                (
                    num::<i8>(&c, 2),
                    c.get(1).and_then(|x| month_num(x.as_str())),
                )
            };
            let (Some(d), Some(mo)) = (d, mo) else {
                continue;
            };
            // "may 5" in English prose: only as a date when "may" is not the verb.
            let ordinal = ["st", "nd", "rd", "th"].iter().any(|o| m.as_str().ends_with(o));
            if !day_first && !ordinal && c.get(1).is_some_and(|x| x.as_str() == "may") {
                let after = &t[m.end()..];
                if after
                    .trim_start()
                    .starts_with(|ch: char| ch.is_alphabetic())
                    && c.get(3).is_none()
                {
                    let w: String = after
                        .trim_start()
                        .chars()
                        .take_while(|c| c.is_alphabetic())
                        .collect();
                    if !["and", "or", "to", "at", "from", "between", "in", "after"]
                        .contains(&w.as_str())
                    {
                        continue;
                    }
                }
            }
            if let Some(d) = infer(d, mo, num::<i16>(&c, 3), wd_before(m.start()), ctx) {
                push(cl, out, m.start(), m.end(), Kind::Date { d });
            }
        }
    }
    for c in hits.captures(&THE_NTH, &t) {
        let (Some(m), Some(g)) = (c.get(0), c.get(1)) else {
            continue;
        };
        if !cl.free(g.start(), g.end()) {
            continue;
        }
        let Some(day) = num::<i8>(&c, 1) else {
            continue;
        };
        if !(1..=31).contains(&day) {
            continue;
        }
        let _ = m;
        // Day of month alone: the next such day on or after today (that agrees with a
        // weekday written before it: "Dienstag, der 25.").
        let hint = wd_before(g.start());
        let mut d = None;
        let mut cur = Date::new(today.year(), today.month(), 1).ok();
        for _ in 0..13 {
            let Some(c0) = cur else { break };
            if let Ok(x) = Date::new(c0.year(), c0.month(), day) {
                if x >= today && hint.is_none_or(|w| wd_bit(x) == 1 << w) {
                    d = Some(x);
                    break;
                }
            }
            cur = c0.checked_add(1.month()).ok();
        }
        if let Some(d) = d {
            let end = g.end() + 2.min(t.len().saturating_sub(g.end()));
            let end = if t.is_char_boundary(end) {
                end
            } else {
                g.end()
            };
            push(cl, out, g.start(), end, Kind::Date { d });
            // "am 21. und 22.", "the 21st or 22nd": further days of the same run.
            static MORE: LazyLock<Regex> = LazyLock::new(|| {
                re(r"^(?:st|nd|rd|th|ten|te|\.)?\s*(?:,|und|oder|and|or|&|/|bzw\.?)\s*(?:(?:the|am|den|dem|on\s+the|on)\s+)?(\d{1,2})(?:st|nd|rd|th|ten|te|\.)(?:\s|,|$)")
            });
            let (mut prev, mut pos) = (d, g.end());
            while let Some(mc) = t.get(pos..).and_then(|r| MORE.captures(r)) {
                let (Some(all), Some(dg)) = (mc.get(0), mc.get(1)) else { break };
                let (s1, e1) = (pos + dg.start(), pos + dg.end());
                let tail = t.get(pos + all.end()..).unwrap_or("").trim_start();
                if !cl.free(s1, e1) || tail.starts_with("uhr") || tail.starts_with(|ch: char| ch.is_ascii_digit()) {
                    break;
                }
                let Some(n) = dg.as_str().parse::<i8>().ok().filter(|n| (1..=31).contains(n)) else { break };
                let next = (0..62)
                    .filter_map(|k: i32| prev.checked_add(k.days()).ok())
                    .find(|x| x.day() == n);
                let Some(next) = next else { break };
                let e = (e1 + 2).min(pos + all.end());
                let e = if t.is_char_boundary(e) { e } else { e1 };
                push(cl, out, s1, e, Kind::Date { d: next });
                prev = next;
                pos = e1;
            }
        }
    }
    // "Anfang nächster Woche", "Ende der Woche", "mid next week": part of a week.
    for c in hits.captures(&PART_OF_WEEK, &t) {
        let Some(m) = c.get(0) else { continue };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        let w = c.get(2).map_or("", |x| x.as_str());
        let shift = if w.starts_with("ueber") {
            14
        } else if w.starts_with("naechst") || w.starts_with("kommend") || ["next", "coming", "following"].contains(&w) {
            7
        } else {
            0
        };
        let (a, b) = match c.get(1).map_or("", |x| x.as_str()) {
            "anfang" | "early" => (0, 2),
            "mitte" | "mid" => (1, 3),
            x if x.starts_with("beginning") => (0, 2),
            x if x.starts_with("middle") => (1, 3),
            _ => (3, 6),
        };
        let mut mon = monday_of(today).checked_add(shift.days()).unwrap_or(today);
        // "Anfang der Woche" said on a Thursday: the coming one.
        if shift == 0 && mon.checked_add(b.days()).is_ok_and(|e| e < today) {
            mon = mon.checked_add(7.days()).unwrap_or(mon);
        }
        if let (Ok(from), Ok(to)) = (mon.checked_add(a.days()), mon.checked_add(b.days())) {
            push(cl, out, m.start(), m.end(), Kind::Range { from: from.max(today), to });
        }
    }
    // "Ende des Monats", "Anfang nächsten Monats", "end of next month": thirds of a
    // month named relative to today.
    for c in hits.captures(&PART_OF_REL_MONTH, &t) {
        let Some(m) = c.get(0) else { continue };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        let next = c.get(2).is_some_and(|x| matches!(x.as_str(), "naechsten" | "kommenden" | "next"));
        let first = Date::new(today.year(), today.month(), 1).ok();
        let first = if next { first.and_then(|f| f.checked_add(1.month()).ok()) } else { first };
        let Some(first) = first else { continue };
        let (a, b) = match c.get(1).map_or("", |x| x.as_str()) {
            "anfang" | "early" => (1, 10),
            "mitte" | "mid" => (11, 20),
            x if x.starts_with("beginning") => (1, 10),
            x if x.starts_with("middle") => (11, 20),
            _ => (21, 31),
        };
        let from = Date::new(first.year(), first.month(), a).unwrap_or(first);
        let to = Date::new(first.year(), first.month(), b).unwrap_or(first.last_of_month());
        if to >= today {
            push(cl, out, m.start(), m.end(), Kind::Range { from: from.max(today), to });
        }
    }
    // "zwischen den Jahren": the days between Christmas and New Year.
    for m in hits.find(&BETWEEN_YEARS, &t) {
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        let y = if Date::new(today.year(), 12, 30).is_ok_and(|d| d < today) { today.year() + 1 } else { today.year() };
        if let (Ok(from), Ok(to)) = (Date::new(y, 12, 27), Date::new(y, 12, 30)) {
            push(cl, out, m.start(), m.end(), Kind::Range { from: from.max(today), to });
        }
    }
    for c in hits.captures(&WEEK_REL, &t) {
        let Some(m) = c.get(0) else { continue };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        let w = c.get(1).map(|x| x.as_str()).unwrap_or("");
        let this = monday_of(today);
        let monday = match w {
            "naechste" | "naechsten" | "naechster" | "kommender" | "kommende" | "kommenden" | "next" | "following" | "coming" | "upcoming" => {
                this.checked_add(7.days()).ok()
            }
            "uebernaechste" | "uebernaechsten" | "uebernaechster" => this.checked_add(14.days()).ok(),
            _ => {
                // "Freitag dieser Woche" after "KW 19": that week, not the current one.
                let anaphoric = w == "dieser"
                    && t[..m.start()]
                        .trim_end()
                        .rsplit(' ')
                        .next()
                        .is_some_and(|x| wd_index(x).is_some());
                if anaphoric {
                    ctx.last_week.or(Some(this))
                } else {
                    Some(this)
                }
            }
        };
        if let Some(monday) = monday {
            push(cl, out, m.start(), m.end(), Kind::Week { monday });
        }
    }
    // "die nächsten zwei Wochen", "the next 10 days": from today on.
    for c in hits.captures(&NEXT_N, &t) {
        let Some(m) = c.get(0) else { continue };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        let w = c.get(1).map_or("", |x| x.as_str());
        let n: i32 = match w {
            "vierzehn" | "fourteen" => 14,
            _ => w.parse().ok().or_else(|| hour_word(w)).unwrap_or(0),
        };
        let days = if c.get(2).is_some_and(|x| x.as_str().starts_with('w')) { n * 7 } else { n };
        if !(1..=120).contains(&days) {
            continue;
        }
        // Days count from tomorrow (as Duckling reads "next 3 days"); weeks from today,
        // since "die nächsten zwei Wochen sind wir weg" starts now.
        let from = if days == n { today.tomorrow().unwrap_or(today) } else { today };
        if let Ok(to) = from.checked_add((days - 1).days()) {
            push(cl, out, m.start(), m.end(), Kind::Range { from, to });
        }
    }
    for c in hits.captures(&WEEK_IN, &t) {
        let Some(m) = c.get(0) else { continue };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        let n = match c.get(1).map(|x| x.as_str()).unwrap_or("") {
            "einer" | "1" | "one" | "a" => 1,
            "zwei" | "2" | "two" => 2,
            "drei" | "3" | "three" => 3,
            _ => 4,
        };
        if let Ok(d) = today.checked_add((7 * n).days()) {
            push(
                cl,
                out,
                m.start(),
                m.end(),
                Kind::Week {
                    monday: monday_of(d),
                },
            );
        }
    }
    for c in hits.captures(&HOLI, &t) {
        let (Some(m), Some(g)) = (c.get(0), c.get(1)) else {
            continue;
        };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        if let Some(d) = holiday(g.as_str(), ctx) {
            push(cl, out, m.start(), m.end(), Kind::Date { d });
        }
    }
    for c in hits.captures(&REL, &t) {
        let Some(m) = c.get(0) else { continue };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        let w = m.as_str();
        let before = t[..m.start()].trim_end();
        let after_weekday = before
            .rsplit(' ')
            .next()
            .is_some_and(|x| wd_index(x).is_some() || x.ends_with("tag"));
        if w == "morgen" && after_weekday {
            out.push(Item {
                start: m.start(),
                end: m.end(),
                kind: Kind::Part { from: 480, to: 720 },
            });
            cl.take(m.start(), m.end());
            continue;
        }
        if w == "morgen"
            && (before.ends_with(" am")
                || before == "am"
                || before.ends_with("jeden")
                || before.ends_with("heute"))
        {
            continue; // "am Morgen" is the morning, "heute morgen" this morning
        }
        let off = if w.starts_with("heute") || w == "today" || w == "tonight" {
            0
        } else if w.contains("ueber") || w.contains("after") {
            2
        } else {
            1
        };
        if let Ok(d) = today.checked_add(off.days()) {
            push(cl, out, m.start(), m.end(), Kind::Date { d });
            if w == "tonight" {
                out.push(Item {
                    start: m.start(),
                    end: m.end(),
                    kind: Kind::Part {
                        from: 17 * 60,
                        to: 22 * 60,
                    },
                });
            }
        }
    }
}

fn weekdays(cl: &mut Claims, upper: &[bool], out: &mut Vec<Item>, hits: &Hits) {
    let t = cl.text.clone();
    for m in hits.find(&GROUP, &t) {
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        let w = m.as_str();
        let mask = if w.contains("wochenende") || w.starts_with("weekend") {
            0b110_0000
        } else if w.contains("werk")
            || w.contains("wochentag")
            || w.contains("unter")
            || w.contains("weekday")
            || w.contains("during")
        {
            0b001_1111
        } else {
            0b111_1111
        };
        push(
            cl,
            out,
            m.start(),
            m.end(),
            Kind::Weekdays {
                mask,
                single: false,
            },
        );
    }
    for c in hits.captures(&FULL, &t) {
        let (Some(m), Some(g)) = (c.get(0), c.get(1)) else {
            continue;
        };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        let Some(i) = wd_index(g.as_str()) else {
            continue;
        };
        let plural = c.get(2).is_some_and(|x| x.as_str() == "s");
        let before = t[..m.start()].trim_end();
        let lastw = before.split(|c: char| c.is_whitespace() || c == ',').rfind(|w| !w.is_empty()).unwrap_or("");
        // "Thursday morning" is the next one; "Thursday mornings", "montags" recur.
        let english_singular_part =
            c.get(3).is_none() && g.as_str().ends_with("day") && !plural && {
                let after = t[m.end()..].trim_start();
                ["morning", "afternoon", "evening", "night"]
                    .iter()
                    .any(|w| after.starts_with(w) && !after[w.len()..].starts_with('s'))
            };
        let single = !plural
            && (english_singular_part
                || [
                    "am",
                    "an",
                    "on",
                    "this",
                    "next",
                    "diesen",
                    "diesem",
                    "kommenden",
                    "naechsten",
                    "den",
                    "dem",
                    "der",
                    "coming",
                ]
                .contains(&lastw));
        push(
            cl,
            out,
            g.start(),
            c.get(2).map_or(g.end(), |x| x.end()), // with the plural ending: "Mondays or Wednesdays" is one list
            Kind::Weekdays {
                mask: 1 << i,
                single,
            },
        );
        if let Some(p) = c.get(3) {
            if let Some((f, to)) = part_range(p.as_str()) {
                out.push(Item {
                    start: p.start(),
                    end: p.end(),
                    kind: if f == 0 && to == 0 {
                        Kind::Night
                    } else {
                        Kind::Part { from: f, to }
                    },
                });
            }
        }
    }
    for c in hits.captures(&ABBR, &t) {
        let (Some(m), Some(g)) = (c.get(0), c.get(1)) else {
            continue;
        };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        if !upper.get(g.start()).copied().unwrap_or(false) {
            continue;
        }
        let w = g.as_str();
        let next = t[m.end()..].trim_start();
        let prev = t[..g.start()].trim_end();
        let listy = c.get(2).is_some()
            || next.starts_with([',', '/', '-', '&'])
            || next.starts_with("bis ")
            || next.starts_with("und ")
            || next.starts_with("oder ")
            || next.starts_with(|ch: char| ch.is_ascii_digit())
            || prev.ends_with(['/', '-', '&', ','])
            || prev.ends_with(" und")
            || prev.ends_with(" oder")
            || prev.ends_with(" bis")
            || (prev.is_empty() && next.is_empty() && w != "so")
            || next.starts_with("u.")
            || next.starts_with('+')
            || prev.ends_with(" u.")
            || ["ab ", "nach ", "abends", "nachmittags", "vormittags", "zwischen", "zw.", "von "].iter().any(|x| next.starts_with(x));
        if w.len() == 2 && !listy {
            continue;
        }
        // "Do ab 18h": before a time, "Do" is Thursday, not the English verb.
        let do_time = w == "do"
            && (["ab ", "nach ", "abends", "nachmittags", "vormittags"].iter().any(|x| next.starts_with(x))
                || next.starts_with(|ch: char| ch.is_ascii_digit()));
        if w.len() == 2
            && (w == "so" || w == "do")
            && !do_time
            && !(c.get(2).is_some()
                || next.starts_with(['/', '-', ','])
                || prev.ends_with(['/', '-'])
                || (prev.is_empty() && next.is_empty() && w != "so"))
        {
            continue;
        }
        let Some(i) = wd_index(w) else { continue };
        push(
            cl,
            out,
            g.start(),
            m.end(),
            Kind::Weekdays {
                mask: 1 << i,
                single: false,
            },
        );
    }
}

/// Part of day by word: (from, to) in minutes; (0, 0) marks the night.
fn part_range(w: &str) -> Option<(Min, Min)> {
    let w = w.trim();
    let r = if w.starts_with("vormittag")
        || w.starts_with("morning")
        || w.starts_with("morgen")
        || w == "frueh"
    {
        (480, 720)
    } else if w == "tagsueber" || w == "during the day" || w == "daytime" {
        (480, 1080)
    } else if w.starts_with("nachmittag") || w.starts_with("afternoon") {
        (780, 1080)
    } else if w.starts_with("mittag") || w == "lunchtime" || w == "midday" || w == "noon" {
        (720, 840)
    } else if w.starts_with("abend") || w.starts_with("evening") || w == "tonight" {
        (1020, 1320)
    } else if w.starts_with("nacht") || w.starts_with("night") {
        (0, 0)
    } else {
        return None;
    };
    Some(r)
}

fn times(cl: &mut Claims, out: &mut Vec<Item>, ctx: &Ctx, evening: Option<bool>, hits: &Hits) {
    let c = clock_re();
    let _ = c;
    static MINUTE_WORD: LazyLock<Regex> =
        LazyLock::new(|| re(r"\b(?:\d{1,2}|fuenf|zehn|zwanzig|viertel|quarter|half)\s*$"));
    let t = cl.text.clone();
    let clamp = |x: i32| x.clamp(0, 1440) as Min;
    for cap in hits.captures(&NOT_BEFORE, &t) {
        let (Some(m), Some(g)) = (cap.get(0), cap.get(1)) else {
            continue;
        };
        if let Some(k) = parse_clock(g.as_str()) {
            let f = adjust(k, ctx, evening, daypart_near(&t, m.start(), m.end()));
            push(
                cl,
                out,
                m.start(),
                m.end(),
                Kind::Clock {
                    from: clamp(f),
                    to: 1320.max(clamp(f)),
                    kind: ClockKind::From,
                    minute_grain: k.minute_grain,
                },
            );
        }
    }
    for cap in hits.captures(&CLOCK_RANGE, &t) {
        let (Some(m), Some(g1), Some(g2)) = (cap.get(0), cap.get(2), cap.get(3)) else {
            continue;
        };
        if !cl.free(m.start(), m.end()) || next_word_is_unit(&t[m.end()..]) {
            continue;
        }
        let (Some(a), Some(b)) = (parse_clock(g1.as_str()), parse_clock(g2.as_str())) else {
            continue;
        };
        // Bare "9-12" only right after a day ("Mondays 9-12"); elsewhere it may be a
        // house number range.
        static AFTER_DAY: LazyLock<Regex> = LazyLock::new(|| {
            re(&format!(r"(?:\b(?:{WDNAME})s?|\b(?:mo|di|mi|do|fr|sa|so|mon|tue|wed|thu|fri|sat|sun)|\d\.|\d(?:st|nd|rd|th)|heute|morgen|today|tomorrow|werktags|weekdays?)\.?,?\s*$"))
        });
        if cap.get(1).is_none() && !a.marked && !b.marked && !AFTER_DAY.is_match(&t[..m.start()]) {
            continue;
        }
        let near = daypart_near(&t, m.start(), m.end());
        let mut b_min = adjust(b, ctx, evening, near);
        let mut a_min = if a.ampm.is_none() && b.ampm == Some(true) && a.min < 720 {
            a.min + 720
        } else {
            adjust(a, ctx, evening, near)
        };
        if a_min >= b_min && b_min < 720 && b.ampm.is_none() {
            b_min += 720;
        }
        if a_min >= b_min && a_min >= 720 && a.ampm.is_none() && a_min - 720 < b_min {
            a_min -= 720;
        }
        if a_min >= b_min {
            continue;
        }
        push(
            cl,
            out,
            m.start(),
            m.end(),
            Kind::Clock {
                from: clamp(a_min),
                to: clamp(b_min),
                kind: ClockKind::Range,
                minute_grain: a.minute_grain || b.minute_grain,
            },
        );
    }
    for cap in hits.find(&FEIER, &t) {
        if cl.free(cap.start(), cap.end()) {
            push(
                cl,
                out,
                cap.start(),
                cap.end(),
                Kind::Part {
                    from: 1020,
                    to: 1320,
                },
            );
        }
    }
    for cap in hits.captures(&CLOCK_FROM, &t) {
        let (Some(m), Some(g)) = (cap.get(0), cap.get(1)) else {
            continue;
        };
        if !cl.free(m.start(), m.end()) || next_word_is_unit(&t[m.end()..]) {
            continue;
        }
        if MINUTE_WORD.is_match(&t[..m.start()]) {
            continue; // "zwanzig nach 3" is a clock time, not "after 3"
        }
        let Some(k) = parse_clock(g.as_str()) else {
            continue;
        };
        let f = clamp(adjust(
            k,
            ctx,
            evening,
            daypart_near(&t, m.start(), m.end()),
        ));
        let to = if f < 1320 { 1320 } else { 1440 };
        push(
            cl,
            out,
            m.start(),
            m.end(),
            Kind::Clock {
                from: f,
                to,
                kind: ClockKind::From,
                minute_grain: k.minute_grain,
            },
        );
    }
    for cap in hits.captures(&UNTIL, &t) {
        let (Some(m), Some(g)) = (cap.get(0), cap.get(1)) else {
            continue;
        };
        if !cl.free(m.start(), m.end()) || next_word_is_unit(&t[m.end()..]) {
            continue;
        }
        if MINUTE_WORD.is_match(&t[..m.start()]) {
            continue;
        }
        let Some(k) = parse_clock(g.as_str()) else {
            continue;
        };
        if !k.marked {
            continue;
        }
        let e = clamp(adjust(
            k,
            ctx,
            evening,
            daypart_near(&t, m.start(), m.end()),
        ));
        let from = if e > 480 { 480 } else { 0 };
        push(
            cl,
            out,
            m.start(),
            m.end(),
            Kind::Clock {
                from,
                to: e,
                kind: ClockKind::Until,
                minute_grain: k.minute_grain,
            },
        );
    }
    for cap in hits.captures(&AROUND, &t) {
        let (Some(m), Some(g)) = (cap.get(0), cap.get(2)) else {
            continue;
        };
        if !cl.free(m.start(), m.end()) || next_word_is_unit(&t[m.end()..]) {
            continue;
        }
        let Some(k) = parse_clock(g.as_str()) else {
            continue;
        };
        let word = cap.get(1).map(|x| x.as_str()).unwrap_or("");
        if (word == "um" || word == "at")
            && !k.marked
            && !(t[m.end()..]
                .trim_start()
                .starts_with(|ch: char| !ch.is_alphabetic())
                || t[m.end()..].trim().is_empty())
        {
            continue;
        }
        let p = adjust(k, ctx, evening, daypart_near(&t, m.start(), m.end()));
        push(
            cl,
            out,
            m.start(),
            m.end(),
            Kind::Clock {
                from: clamp(p - 30),
                to: clamp(p + 60),
                kind: ClockKind::Point,
                minute_grain: k.minute_grain,
            },
        );
    }
    for cap in hits.captures(&BARE, &t) {
        let (Some(m), Some(g)) = (cap.get(0), cap.get(1)) else {
            continue;
        };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        let Some(k) = parse_clock(g.as_str()) else {
            continue;
        };
        if !k.marked {
            continue;
        }
        let p = adjust(k, ctx, evening, daypart_near(&t, m.start(), m.end()));
        // "14 Uhr frühestens" / "11 Uhr spätestens": open towards one side.
        let after = t[m.end()..].trim_start();
        let kind = if after.starts_with("fruehstens") || after.starts_with("fruehestens") {
            Kind::Clock {
                from: clamp(p),
                to: 1320.max(clamp(p)),
                kind: ClockKind::From,
                minute_grain: k.minute_grain,
            }
        } else if after.starts_with("spaetestens") {
            Kind::Clock {
                from: 480.min(clamp(p)),
                to: clamp(p),
                kind: ClockKind::Until,
                minute_grain: k.minute_grain,
            }
        } else {
            Kind::Clock {
                from: clamp(p - 30),
                to: clamp(p + 60),
                kind: ClockKind::Point,
                minute_grain: k.minute_grain,
            }
        };
        push(cl, out, m.start(), m.end(), kind);
    }
    for cap in hits.find(&ALLDAY, &t) {
        if cl.free(cap.start(), cap.end()) {
            push(cl, out, cap.start(), cap.end(), Kind::AllDay);
        }
    }
    for cap in hits.captures(&DAY_PART, &t) {
        let (Some(m), Some(g)) = (cap.get(0), cap.get(1)) else {
            continue;
        };
        if !cl.free(m.start(), m.end()) {
            continue;
        }
        let w = g.as_str().trim_start_matches("am ").trim();
        let w = if w.starts_with("during") { "during the day" } else { w };
        let Some((f, to)) = part_range(w) else {
            continue;
        };
        // "am späten Nachmittag", "early evening": the later or earlier half.
        let lead = &t[m.start()..g.start()];
        let half = (to.saturating_sub(f)) / 2;
        let (f, to) = if f == to {
            (f, to)
        } else if lead.contains("spaet") || lead.contains("late") {
            (f + half, to)
        } else if lead.contains("frueh") || lead.contains("early") {
            (f, to - half)
        } else {
            (f, to)
        };
        let kind = if f == 0 && to == 0 {
            Kind::Night
        } else {
            Kind::Part { from: f, to }
        };
        push(cl, out, m.start(), m.end(), kind);
    }
}

/// Joins neighbours: weekday lists and ranges ("Mo-Fr", "Mi/Fr", "montags und
/// donnerstags"), a weekday written as a date's label ("Dienstag, der 18.05."), two
/// dates with "bis" into a range, and "ab"/"bis" before a date into bounds.
fn post(t: &str, out: &mut Vec<Item>, _ctx: &Ctx) {
    static LIST: LazyLock<Regex> = LazyLock::new(|| {
        re(r"^\s*(?:\.?\s*)(?:,|/|&|\+|und|u\.|oder|od\.|and|or|sowie|bzw\.?)?\s*(?:am\s+|on\s+)?$")
    });
    static RANGE: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"^\s*\.?\s*(?:-|bis(?:\s+(?:zum|einschliesslich))?|to|through|thru|until|till)\s*(?:the\s+)?$",
        )
    });
    static LABEL: LazyLock<Regex> =
        LazyLock::new(|| re(r"^\s*\.?\s*,?\s*(?:(?:der|den|dem|the)\s+)?$"));
    static FROM_P: LazyLock<Regex> = LazyLock::new(|| {
        re(r"\b(?:ab|from|starting|beginning|after)\s+(?:(?:dem|den|the|on)\s+)?$")
    });
    static FROM_RANGE_P: LazyLock<Regex> = LazyLock::new(|| re(r"\b(?:ab|starting|beginning)\s+(?:(?:dem|den|the)\s+)?$"));
    static UNTIL_P: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"\b(?:bis|until|till|up\s+to)\s+(?:(?:einschliesslich|inklusive|incl\.?|zum|to\s+the|the)\s+)?$",
        )
    });
    // Weekday lists and ranges.
    let mut i = 0;
    while i + 1 < out.len() {
        let gap = t.get(out[i].end..out[i + 1].start).unwrap_or("x");
        if let (
            Kind::Weekdays {
                mask: m1,
                single: s1,
            },
            Kind::Weekdays {
                mask: m2,
                single: s2,
            },
        ) = (&out[i].kind, &out[i + 1].kind)
        {
            let (m1, m2, s1, s2) = (*m1, *m2, *s1, *s2);
            let joined = if RANGE.is_match(gap) && m1.count_ones() == 1 && m2.count_ones() == 1 {
                let a = m1.trailing_zeros();
                let b = m2.trailing_zeros();
                let mut m = 0u8;
                let mut k = a;
                loop {
                    m |= 1 << k;
                    if k == b {
                        break;
                    }
                    k = (k + 1) % 7;
                }
                Some(m)
            } else if LIST.is_match(gap) {
                Some(m1 | m2)
            } else {
                None
            };
            if let Some(mask) = joined {
                out[i].end = out[i + 1].end;
                // "am Montag oder Dienstag": the list takes the first one's article.
                let _ = s2;
                out[i].kind = Kind::Weekdays { mask, single: s1 };
                out.remove(i + 1);
                continue;
            }
        }
        i += 1;
    }
    // "next Monday or Tuesday", "nächsten Montag bis Mittwoch": "next" belongs to the
    // whole list; the first named day is its next occurrence, the others follow it.
    static NEXT_P: LazyLock<Regex> = LazyLock::new(|| {
        re(r"\b(?:next|coming|naechsten|naechster|naechste|kommenden|kommender|kommende)\s*$")
    });
    let mut i = 0;
    while i < out.len() {
        let Kind::Weekdays { mask, .. } = out[i].kind else {
            i += 1;
            continue;
        };
        let before = t.get(..out[i].start).unwrap_or("");
        if mask.count_ones() < 2 || mask == 0x7f || !NEXT_P.is_match(before) {
            i += 1;
            continue;
        }
        let word: String = t
            .get(out[i].start..)
            .unwrap_or("")
            .chars()
            .take_while(|c| c.is_alphabetic())
            .collect();
        let first = WD_PREFIX
            .iter()
            .find(|(p, _)| word.starts_with(p))
            .map(|(_, k)| *k)
            .filter(|k| mask & (1 << k) != 0)
            .unwrap_or(mask.trailing_zeros() as u8);
        let anchor = (1..=7)
            .filter_map(|k: i32| _ctx.today.checked_add(k.days()).ok())
            .find(|d| wd_bit(*d) == 1 << first);
        let Some(anchor) = anchor else {
            i += 1;
            continue;
        };
        let (s0, e0) = (out[i].start, out[i].end);
        let dates: Vec<Item> = (0..7)
            .filter_map(|k: i32| anchor.checked_add(k.days()).ok())
            .filter(|d| mask & wd_bit(*d) != 0)
            .map(|d| Item { start: s0, end: e0, kind: Kind::Date { d } })
            .collect();
        let n = dates.len();
        out.splice(i..=i, dates);
        i += n.max(1);
    }
    // Weekday labels of dates.
    let mut i = 0;
    while i + 2 < out.len() {
        // "Saturday morning, 6 November": the weekday still only names the date.
        let g1 = t.get(out[i].end..out[i + 1].start).unwrap_or("x");
        let g2 = t.get(out[i + 1].end..out[i + 2].start).unwrap_or("x");
        if matches!(out[i].kind, Kind::Weekdays { mask, .. } if mask.count_ones() == 1)
            && matches!(out[i + 1].kind, Kind::Part { .. })
            && matches!(out[i + 2].kind, Kind::Date { .. })
            && LABEL.is_match(g1)
            && LABEL.is_match(g2)
        {
            out.remove(i);
            continue;
        }
        i += 1;
    }
    let mut i = 0;
    while i + 1 < out.len() {
        let gap = t.get(out[i].end..out[i + 1].start).unwrap_or("x");
        let is_label = matches!(out[i].kind, Kind::Weekdays { mask, .. } if mask.count_ones() == 1)
            && matches!(out[i + 1].kind, Kind::Date { .. })
            && LABEL.is_match(gap);
        if is_label {
            let s = out[i].start;
            out.remove(i);
            out[i].start = s;
            continue;
        }
        i += 1;
    }
    // Date bis date.
    let mut i = 0;
    while i + 1 < out.len() {
        let gap = t.get(out[i].end..out[i + 1].start).unwrap_or("x");
        if let (Kind::Date { d: a }, Kind::Date { d: b }) = (&out[i].kind, &out[i + 1].kind) {
            let before = t.get(..out[i].start).unwrap_or("").trim_end();
            let und_range = gap.trim().trim_end_matches(" dem").trim_end_matches(" den") == "und"
                && (before.ends_with("zwischen")
                    || before.ends_with("zwischen dem")
                    || before.ends_with("between"));
            // "14.10. - 15.10.2018": the first date takes the second one's year.
            let a = if a.year() != b.year() {
                Date::new(b.year(), a.month(), a.day())
                    .ok()
                    .filter(|x| x <= b)
                    .unwrap_or(*a)
            } else {
                *a
            };
            let b = *b;
            if (RANGE.is_match(gap) || und_range) && a <= b {
                out[i].kind = Kind::Range { from: a, to: b };
                out[i].end = out[i + 1].end;
                out.remove(i + 1);
                continue;
            }
        }
        i += 1;
    }
    // "die Woche vom 24. Mai", "the week of May 24th": that whole week.
    static WEEK_OF: LazyLock<Regex> = LazyLock::new(|| re(r"\b(?:woche\s+(?:vom|ab\s+dem|ab)|week\s+(?:of|starting|beginning)(?:\s+the)?)\s*$"));
    static WEEK_NEXT_TO: LazyLock<Regex> = LazyLock::new(|| re(r"\b(?:woche|week)\s+(nach|vor|after|before)\s+(?:(?:dem|den|the)\s+)?$"));
    for k in 0..out.len() {
        if let Kind::Date { d } = out[k].kind {
            let lo = if k > 0 { out[k - 1].end } else { 0 };
            let before = t.get(lo.min(out[k].start)..out[k].start).unwrap_or("");
            if WEEK_OF.is_match(before) {
                out[k].kind = Kind::Week { monday: monday_of(d) };
            } else if let Some(c) = WEEK_NEXT_TO.captures(before) {
                // "die Woche nach dem 5. Juli": the following (or preceding) week.
                let after = c.get(1).is_some_and(|x| x.as_str() == "nach" || x.as_str() == "after");
                let shift: i32 = if after { 7 } else { -7 };
                if let Ok(monday) = monday_of(d).checked_add(shift.days()) {
                    out[k].kind = Kind::Week { monday };
                }
            }
        }
    }
    // Open bounds.
    for k in 0..out.len() {
        if let Kind::Range { from, .. } | Kind::Week { monday: from } = out[k].kind {
            let lo = if k > 0 { out[k - 1].end } else { 0 };
            let before = t.get(lo.min(out[k].start)..out[k].start).unwrap_or("");
            if FROM_RANGE_P.is_match(before) {
                out[k].kind = Kind::From { d: from }; // "ab Anfang Mai"
            }
            continue;
        }
        if let Kind::Date { d } = out[k].kind {
            let lo = if k > 0 { out[k - 1].end } else { 0 };
            let before = t.get(lo.min(out[k].start)..out[k].start).unwrap_or("");
            if FROM_P.is_match(before) {
                out[k].kind = Kind::From { d };
            } else if UNTIL_P.is_match(before) {
                out[k].kind = Kind::Until { d };
            }
        }
    }
}

/// Easter Sunday: the office calendar's computus (one implementation for both).
pub(crate) fn easter(y: i16) -> Option<Date> {
    Some(crate::schedule::calendar::easter_sunday(y))
}

/// A named holiday's next date (on or after today, within the tolerance).
fn holiday(name: &str, ctx: &Ctx) -> Option<Date> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    let earliest = ctx.today.checked_sub(ctx.past_tolerance.days()).ok()?;
    for y in [ctx.today.year(), ctx.today.year() + 1] {
        let e = easter(y)?;
        let off = |n: i32| e.checked_add(n.days()).ok();
        let d = match name.as_str() {
            "fronleichnam" => off(60),
            "christi himmelfahrt" | "himmelfahrt" => off(39),
            "pfingstmontag" => off(50),
            "pfingstsonntag" => off(49),
            "ostermontag" | "easter monday" => off(1),
            "ostersonntag" => Some(e),
            "karfreitag" | "good friday" => off(-2),
            "tag der deutschen einheit" => Date::new(y, 10, 3).ok(),
            "heiligabend" | "heiligen abend" | "christmas eve" => Date::new(y, 12, 24).ok(),
            "silvester" | "new year's eve" | "new years eve" => Date::new(y, 12, 31).ok(),
            "neujahr" | "new year's day" | "new years day" => Date::new(y, 1, 1).ok(),
            "zweiter weihnachtstag"
            | "2. weihnachtstag"
            | "zweiten weihnachtstag"
            | "zweiter weihnachtsfeiertag"
            | "zweiten weihnachtsfeiertag" => Date::new(y, 12, 26).ok(),
            "neujahrstag" => Date::new(y, 1, 1).ok(),
            "allerheiligen" => Date::new(y, 11, 1).ok(),
            "heilige drei koenige" | "dreikoenigstag" => Date::new(y, 1, 6).ok(),
            "karsamstag" => off(-1),
            "ostern" => Some(e),
            "pfingsten" => off(49),
            "rosenmontag" => off(-48),
            "aschermittwoch" => off(-46),
            "reformationstag" => Date::new(y, 10, 31).ok(),
            "tag der arbeit" | "maifeiertag" => Date::new(y, 5, 1).ok(),
            "nikolaus" => Date::new(y, 12, 6).ok(),
            _ => Date::new(y, 12, 25).ok(),
        };
        if let Some(d) = d {
            if d >= earliest {
                return Some(d);
            }
        }
    }
    None
}
