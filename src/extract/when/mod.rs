//! When the household is at home: availability windows and exclusions.
//!
//! Three layers: [`lex`] gives the text one spelling and cuts sentences, [`grammar`]
//! finds dated and timed phrases as positioned items, and this module decides per
//! clause whether they state a wish, an absence or something else (phone hours, the
//! noise at night), groups them ("am 8.9. oder am 9.9., jeweils abends") and expands
//! the groups day by day into half-open windows in the office's time zone.

mod grammar;
mod lex;

use grammar::{ClockKind, Ctx, Item, Kind, Min};
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{ToSpan, Zoned};
use regex::{Regex, RegexSet};
use serde::Serialize;
use std::sync::LazyLock;

/// A half-open interval `[start, end)` in Europe/Berlin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Window {
    #[serde(serialize_with = "rfc3339")]
    pub start: Zoned,
    #[serde(serialize_with = "rfc3339")]
    pub end: Zoned,
}

/// RFC 3339 with the Berlin offset (`2027-04-15T19:00:00+02:00`), without jiff's
/// `[Europe/Berlin]` suffix, which RFC 3339 readers reject.
pub fn rfc3339<S: serde::Serializer>(z: &Zoned, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&z.strftime("%Y-%m-%dT%H:%M:%S%:z"))
}

/// What the mail states about when a visit is possible.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Availability {
    /// The mail states a wish at all (false: any time in the staff windows).
    pub stated: bool,
    /// Expanded day by day from `now` over eight weeks, or up to the latest date the
    /// text names when that is later (at most a year); sorted, non-overlapping.
    pub windows: Vec<Window>,
    /// Explicit exclusions (holidays, "nicht am 15."), sorted, non-overlapping.
    pub excluded: Vec<Window>,
}

/// How precise a resolved phrase is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Grain {
    Minute,
    Hour,
    Day,
    Week,
}

/// One phrase resolved on the civil (wall-clock) time line of the reference's zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum TimeValue {
    Instant {
        value: DateTime,
        grain: Grain,
    },
    /// `to` is exclusive; an open end is `None` ("ab 14 Uhr").
    Interval {
        from: Option<DateTime>,
        to: Option<DateTime>,
        grain: Grain,
    },
}

/// Read availability from free text, resolved against `now` (Europe/Berlin).
pub fn availability(text: &str, now: &Zoned) -> Availability {
    let tz = crate::tz::berlin();
    availability_in(text, &now.with_time_zone(tz.clone()), &tz)
}

/// As [`availability`], in any zone: all reasoning is on civil dates and times, the
/// zone is only applied when the windows are written out (so DST offsets are right).
pub fn availability_in(text: &str, now: &Zoned, tz: &TimeZone) -> Availability {
    let now_dt = now.datetime();
    let today = now_dt.date();
    let mut ctx = Ctx {
        today,
        past_tolerance: 30,
        pm_small_hours: true,
        last_week: None,
        now_min: None,
    };
    let groups = read_groups(text, &mut ctx, false);
    expand(groups, now_dt, tz)
}

/// How single phrases are read (the corpora's convention): no past tolerance, hours as
/// written, and an hour already passed today is the afternoon one.
fn phrase_ctx(today: jiff::civil::Date, now_dt: jiff::civil::DateTime) -> Ctx {
    Ctx {
        today,
        past_tolerance: 0,
        pm_small_hours: false,
        last_week: None,
        now_min: Some(now_dt.hour() as i32 * 60 + now_dt.minute() as i32),
    }
}

/// Resolve one time phrase ("am 13.4.", "nächste Woche Mittwoch", "ab 14 Uhr") against
/// `now`, in `now`'s zone. `None` when the phrase holds no time.
pub fn resolve(phrase: &str, now: &Zoned) -> Option<TimeValue> {
    let now_dt = now.datetime();
    let today = now_dt.date();
    let mut ctx = phrase_ctx(today, now_dt);
    let groups = read_groups(phrase, &mut ctx, true);
    let g = groups.into_iter().find(|g| g.pol == Pol::Pos)?;
    g.to_value(now_dt)
}

/// Every time expression of a text, in order ("Tag der Arbeit, ersten Weihnachtstag").
pub fn resolve_all(text: &str, now: &Zoned) -> Vec<TimeValue> {
    let now_dt = now.datetime();
    let today = now_dt.date();
    let mut ctx = phrase_ctx(today, now_dt);
    read_groups(text, &mut ctx, true)
        .into_iter()
        .filter(|g| g.pol == Pol::Pos)
        .filter_map(|g| g.to_value(now_dt))
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pol {
    Pos,
    Neg,
    Drop,
}

/// Items that belong together: days (dates, ranges, weeks, weekdays, bounds) and the
/// times that apply to them.
#[derive(Debug, Clone)]
struct Group {
    pol: Pol,
    dates: Vec<Date>,
    ranges: Vec<(Date, Date)>,
    months: Vec<(Date, Date)>,
    weeks: Vec<Date>,
    mask: u8,
    single: bool,
    from: Option<Date>,
    until: Option<Date>,
    clocks: Vec<(Min, Min, ClockKind, bool)>,
    parts: Vec<(Min, Min)>,
    allday: bool,
    night: bool,
    last_was_time: bool,
    sentence_cued: bool,
    /// Index of the sentence the group comes from.
    sentence: usize,
}

impl Group {
    fn new(pol: Pol, cued: bool) -> Group {
        Group {
            pol,
            dates: vec![],
            ranges: vec![],
            months: vec![],
            weeks: vec![],
            mask: 0,
            single: false,
            from: None,
            until: None,
            clocks: vec![],
            parts: vec![],
            allday: false,
            night: false,
            last_was_time: false,
            sentence_cued: cued,
            sentence: 0,
        }
    }
    fn has_days(&self) -> bool {
        !self.dates.is_empty()
            || !self.ranges.is_empty()
            || !self.weeks.is_empty()
            || self.mask != 0
            || self.from.is_some()
            || self.until.is_some()
    }
    fn dated(&self) -> bool {
        !self.dates.is_empty()
            || !self.ranges.is_empty()
            || !self.weeks.is_empty()
            || self.from.is_some()
            || self.until.is_some()
    }
    /// Names a span or date (not only weekdays).
    fn anchored(&self) -> bool {
        self.dated() || !self.months.is_empty()
    }
    /// Only a month ("im Oktober"), no day or time within it.
    fn month_only(&self) -> bool {
        !self.months.is_empty()
            && self.mask == 0
            && self.clocks.is_empty()
            && self.parts.is_empty()
            && self.dates.is_empty()
            && self.ranges.is_empty()
            && self.weeks.is_empty()
            && self.from.is_none()
            && self.until.is_none()
    }
    fn has_time(&self) -> bool {
        !self.clocks.is_empty() || !self.parts.is_empty() || self.allday || self.night
    }
    fn add(&mut self, it: &Item) {
        match &it.kind {
            Kind::Date { d } => self.dates.push(*d),
            Kind::Range { from, to } => self.ranges.push((*from, *to)),
            Kind::Month { from, to } => self.months.push((*from, *to)),
            Kind::Week { monday } => self.weeks.push(*monday),
            Kind::Weekdays { mask, single } => {
                self.single = if self.mask == 0 {
                    *single
                } else {
                    self.single && *single
                };
                self.mask |= mask;
            }
            Kind::From { d } => self.from = Some(*d),
            Kind::Until { d } => self.until = Some(*d),
            Kind::Clock {
                from,
                to,
                kind,
                minute_grain,
            } => self.clocks.push((*from, *to, kind.clone(), *minute_grain)),
            Kind::Part { from, to } => self.parts.push((*from, *to)),
            Kind::AllDay => self.allday = true,
            Kind::Night => self.night = true,
        }
        self.last_was_time = it.is_time();
    }

    /// Latest date the group names, for the horizon.
    fn latest(&self) -> Option<Date> {
        let mut l: Option<Date> = None;
        let mut see = |d: Date| l = Some(l.map_or(d, |x| x.max(d)));
        self.dates.iter().for_each(|d| see(*d));
        self.ranges.iter().chain(&self.months).for_each(|r| see(r.1));
        self.weeks
            .iter()
            .for_each(|w| see(w.checked_add(6.days()).unwrap_or(*w)));
        if let Some(d) = self.from {
            // "ab dem 1. September" past the usual horizon: four weeks from then.
            see(d.checked_add(28.days()).unwrap_or(d))
        }
        if let Some(d) = self.until {
            see(d)
        }
        l
    }

    /// The days the group means, from `today` up to `horizon` for recurring wishes.
    fn days(&self, today: Date, horizon: Date) -> Vec<Date> {
        // Weekdays narrow spans ("KW 19 … von Montag bis Donnerstag"); next to plain
        // dates they are further days ("morgen oder Donnerstag").
        let mut spans: Vec<Date> = Vec::new();
        for (a, b) in self.ranges.iter().chain(&self.months) {
            spans.extend(span_days(*a, *b, 370));
        }
        for w in &self.weeks {
            spans.extend(span_days(*w, w.checked_add(6.days()).unwrap_or(*w), 7));
        }
        let lo = self.from.unwrap_or(today);
        let hi = self.until.unwrap_or(horizon);
        let mut out: Vec<Date> = if !spans.is_empty() {
            let f: Vec<Date> = spans
                .iter()
                .copied()
                .filter(|d| self.mask == 0 || self.mask & grammar::wd_bit(*d) != 0)
                .collect();
            let mut f = if f.is_empty() { spans } else { f };
            f.extend(self.dates.iter().copied());
            f
        } else if !self.dates.is_empty() && (self.mask == 0 || self.dates.iter().all(|d| self.mask & grammar::wd_bit(*d) != 0)) {
            // "Saturday morning, 6 November": the weekday names the date.
            self.dates.clone()
        } else if !self.dates.is_empty() {
            let mut g = self.clone();
            g.dates.clear();
            let mut f = g.days(today, horizon);
            f.extend(self.dates.iter().copied());
            f
        } else if self.mask != 0 && self.single && self.from.is_none() && self.until.is_none() {
            (1..=7)
                .filter_map(|k: i32| today.checked_add(k.days()).ok())
                .filter(|d| self.mask & grammar::wd_bit(*d) != 0)
                .collect()
        } else if self.mask != 0 {
            span_days(lo.max(today), hi, 370)
                .into_iter()
                .filter(|d| self.mask & grammar::wd_bit(*d) != 0)
                .collect()
        } else if self.from.is_some() || self.until.is_some() {
            span_days(lo.max(today), hi, 370)
        } else {
            vec![]
        };
        if self.from.is_some() || self.until.is_some() {
            out.retain(|d| *d >= lo && *d <= hi);
        }
        out.sort();
        out.dedup();
        out
    }

    /// Time ranges of the day; `None` when the times are no visiting times at all.
    fn ranges_of_day(&self) -> Option<Vec<(Min, Min)>> {
        if self.night {
            return None;
        }
        if self.clocks.iter().any(|c| c.0 >= 1320 || c.1 <= 360) {
            return None;
        }
        // "vormittags ab 10 Uhr" ends with the morning; other clock ranges stand as said.
        let mut r: Vec<(Min, Min)> = self
            .clocks
            .iter()
            .map(|c| match c.2 {
                ClockKind::From => {
                    let end = self
                        .parts
                        .iter()
                        .filter(|p| p.0 <= c.0 && c.0 < p.1)
                        .map(|p| p.1)
                        .max()
                        .unwrap_or(c.1);
                    (c.0, end.min(c.1).max(c.0 + 30))
                }
                _ => (c.0, c.1),
            })
            .collect();
        for p in &self.parts {
            if !self.clocks.iter().any(|c| c.0 < p.1 && p.0 < c.1) {
                r.push(*p);
            }
        }
        if r.is_empty() {
            r.push((0, 1440));
        }
        Some(r)
    }

    fn to_value(&self, now: DateTime) -> Option<TimeValue> {
        let today = now.date();
        let horizon = today.checked_add(56.days()).ok()?;
        let clock = self.clocks.first();
        if self.dates.is_empty() && self.ranges.len() == 1 && !self.has_time() {
            let (a, b) = self.ranges[0];
            return Some(TimeValue::Interval {
                from: Some(a.at(0, 0, 0, 0)),
                to: Some(b.checked_add(1.day()).ok()?.at(0, 0, 0, 0)),
                grain: Grain::Day,
            });
        }
        if self.dates.is_empty() && self.mask == 0 && self.weeks.len() == 1 && !self.has_time() {
            return Some(TimeValue::Instant {
                value: self.weeks[0].at(0, 0, 0, 0),
                grain: Grain::Week,
            });
        }
        let day = if self.has_days() {
            let mut g = self.clone();
            if g.mask != 0 && !g.dated() {
                g.single = true;
            }
            *g.days(today, horizon).first()?
        } else {
            // A time of day alone: its next occurrence.
            let start = clock.map(|c| c.0).or(self.parts.first().map(|p| p.0))?;
            if min_time(start) >= now.time() {
                today
            } else {
                today.checked_add(1.day()).ok()?
            }
        };
        let at = |m: Min| -> Option<DateTime> {
            if m >= 1440 {
                day.checked_add(1.day()).ok().map(|d| d.at(0, 0, 0, 0))
            } else {
                Some(day.to_datetime(min_time(m)))
            }
        };
        match clock {
            Some((f, t, kind, mg)) => {
                let grain = if *mg { Grain::Minute } else { Grain::Hour };
                match kind {
                    ClockKind::Point => Some(TimeValue::Instant {
                        value: at(f + 30)?,
                        grain,
                    }),
                    ClockKind::Range => Some(TimeValue::Interval {
                        from: at(*f),
                        to: at(*t),
                        grain,
                    }),
                    ClockKind::From => Some(TimeValue::Interval {
                        from: at(*f),
                        to: None,
                        grain,
                    }),
                    ClockKind::Until => Some(TimeValue::Interval {
                        from: None,
                        to: at(*t),
                        grain,
                    }),
                }
            }
            None => match self.parts.first() {
                Some((f, t)) => Some(TimeValue::Interval {
                    from: at(*f),
                    to: at(*t),
                    grain: Grain::Hour,
                }),
                None => Some(TimeValue::Instant {
                    value: day.at(0, 0, 0, 0),
                    grain: Grain::Day,
                }),
            },
        }
    }
}

fn min_time(m: Min) -> Time {
    Time::new((m / 60).min(23) as i8, (m % 60) as i8, 0, 0).unwrap_or(Time::midnight())
}

fn span_days(a: Date, b: Date, cap: usize) -> Vec<Date> {
    let mut out = Vec::new();
    let mut d = a;
    while d <= b && out.len() < cap {
        out.push(d);
        match d.tomorrow() {
            Ok(n) => d = n,
            Err(_) => break,
        }
    }
    out
}

fn rx(s: &str) -> Regex {
    Regex::new(&crate::classify::normalize::ascii_words(s)).unwrap_or_else(|e| panic!("bad pattern {s}: {e}"))
}

static NEG: LazyLock<Regex> = LazyLock::new(|| {
    rx(
        r"\b(?:nicht|nich|kein|keine|keiner|keinen|keinem|not|never|cannot|can't|cant|won't|don't|unable|leider\s+nur\s+nicht)\b|n't\b",
    )
});
static EXCEPT: LazyLock<Regex> =
    LazyLock::new(|| rx(r"\b(?:ausser|ausgenommen|except|excluding|but\s+not|bis\s+auf)\b"));
static ABSENT: LazyLock<Regex> = LazyLock::new(|| {
    rx(
        r"\b(?:busytermin|urlaub|verreist|unterwegs|weg|schlaeft|schlafe|schlafen|mittagsschlaf|asleep|sleeps?|arbeite|arbeiten|arbeitet|arbeitest|im\s+buero|bei\s+der\s+arbeit|auf\s+arbeit|im\s+dienst|work|working|at\s+work|auf\s+montage|spaetschicht|nachtschicht|fruehschicht|fortbildung|schulung|dienstreise|geschaeftsreise|krankenhaus|klinik|reha|away|on\s+holiday|on\s+vacation|out\s+of\s+town|travell?ing|abroad|elternabend|chorprobe|verhindert|ausgebucht|beschaeftigt|busy)\b",
    )
});
/// Wish words. `da\s*$` is "… bin ich da" at the end of a clause.
const POS_WORDS: &str = r"zu\s*hause|zuhause|daheim|anwesend|immer\s+da|da\s*$|zeit|koennen|koennte|koennten|kann|koennt|passt|passen|passe|passend|passen\w*|klappt|klappen|geht|ginge|gehen|moeglich|frei|erreichbar|besuch\w*|hausbesuch\w*|vorbei\w*|termin\w*|ideal|am\s+besten|am\s+liebsten|lieber|bevorzugt|prefer\w*|gerne|gern|wuerde|waere|kommen|kommt|zurueck|wieder\s+da|back|home|available|free|suits?|works|work\s+(?:for|well|best|fine)|would\s+work|convenient|possible|come|visit|perfect|fine|ok|okay|great|would|could|can|best|prefer\w*|ideally|around";
static POS: LazyLock<Regex> = LazyLock::new(|| rx(&format!(r"\b(?:{POS_WORDS})\b")));
static ANTI: LazyLock<Regex> = LazyLock::new(|| {
    rx(
        r"\b(?:erreichbar\s+unter|unter\s+(?:der\s+)?(?:nummer|tel)|tel\.|tel:|mobil|fax|gesendet|geschrieben|schrieb|wrote|sent|datum|betreff|subject|telefon\w*|anruf\w*|anzurufen|rueckruf\w*|zurueckrufen|call\w*|phone|kita|krippe\w*|kindergarten|betreuung|oeffnungszeit\w*|sprechzeit\w*|geschaeftszeit\w*|buerozeit\w*|servicezeit\w*|hotline|office\s+hours|business\s+hours|opening\s+hours|sprechstunde\w*|geboren|geb\.|zur\s+welt|gestorben|verstorben|abgelaufen|ablaeuft|laeuft\s+(?:\w+\s+){0,3}ab|frist\w*|spaetestens|deadline|party|laerm\w*|musik|gefeiert|feiern|pflegedienst|seit|since|gestern|yesterday|letzte\s+woche|letzten\s+\w+|last\s+week|polizei|born|died|expired?s?|gezogen|umgezogen|geheiratet|angekommen|arrived|moved)\b",
    )
});
/// Filler words that do not count as content of a clause (compared whole, as the words
/// are cut at every non-alphanumeric character).
const STOP: &[&str] = &[
    "dann", "jeweils", "oder", "und", "am", "um", "ab", "bis", "den", "dem", "der", "die", "das",
    "also", "so", "auch", "noch", "gerne", "gern", "wieder", "danach", "sonst", "alternativ",
    "otherwise", "or", "and", "on", "at", "the", "evtl", "eventuell", "vielleicht", "zur", "not",
    "zwar", "bzw", "ca", "uhr", "nur", "only", "either", "jede", "jeden", "jeder", "every", "bitte",
    "please", "ginge", "geht", "passt", "z", "b", "st", "nd", "rd", "th", "te", "ten", "aber",
    "nicht", "leider", "but", "ausser", "except", "sowie", "immer", "always",
];

fn is_stop(w: &str) -> bool {
    STOP.contains(&w)
}
static STATE: LazyLock<Regex> = LazyLock::new(|| rx(r"\b(?:bin|sind|ist|seid|waren|war|are|am|is|will\s+be|were)\b"));
const CLAUSE_START_WORDS: &str = "aber|but|jedoch|sondern|dafuer|sonst|otherwise|alternativ|alternatively|ansonsten";
static CLAUSE_START: LazyLock<Regex> = LazyLock::new(|| rx(&format!(r"^\s*(?:{CLAUSE_START_WORDS})\b")));
static CLAUSE_WORD: LazyLock<Regex> = LazyLock::new(|| {
    rx(
        r"\b(?:aber|but|jedoch|sondern|sonst|otherwise|alternativ|alternatively|ansonsten|falls|wenn|if)\b",
    )
});

/// The clause tests of [`polarity`], asked once of the whole sentence: none of them can
/// match in a clause when it matches nowhere in the sentence, since every clause starts
/// and ends at a word boundary of the sentence (after punctuation or before a contrast
/// word). The two anchored patterns are asked as plain words: "da" at a clause's end and
/// a contrast word at its start are still whole words of the sentence.
static CUES: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new([
        NEG.as_str().to_string(),
        ABSENT.as_str().to_string(),
        EXCEPT.as_str().to_string(),
        ANTI.as_str().to_string(),
        crate::classify::normalize::ascii_words(&format!(r"\b(?:{})\b", POS_WORDS.replace(r"da\s*$", "da"))),
        crate::classify::normalize::ascii_words(&format!(r"\b(?:{CLAUSE_START_WORDS})\b")),
        CLAUSE_WORD.as_str().to_string(),
    ])
    .unwrap_or_else(|e| panic!("bad cue set: {e}"))
});
const CUE_NEG: usize = 0;
const CUE_ABSENT: usize = 1;
const CUE_EXCEPT: usize = 2;
const CUE_ANTI: usize = 3;
const CUE_POS: usize = 4;
const CUE_CLAUSE_START: usize = 5;
const CUE_CLAUSE_WORD: usize = 6;

/// Reads all groups of a text. `phrase_mode`: a single phrase, everything counts.
fn read_groups(text: &str, ctx: &mut Ctx, phrase_mode: bool) -> Vec<Group> {
    let mut n = lex::normalize(text);
    if phrase_mode {
        // A lone phrase ("do.", "mo.") is typed in any case.
        n.upper.iter_mut().for_each(|u| *u = true);
    }
    let sents = if phrase_mode {
        vec![(0, n.text.len())]
    } else {
        lex::sentences(&n)
    };
    let mut groups: Vec<Group> = Vec::new();
    let mut list_intro = false;
    // A bare time line ("Dann jeweils ab 16 Uhr") continues a wish only after one was
    // voiced; before that it is more likely a signature's office hours.
    let mut seen_cue = sents.len() <= 2;
    for (si, (a, b)) in sents.into_iter().enumerate() {
        let items = grammar::items(&n, a, b, ctx);
        let stext = n.text.get(a..b).unwrap_or("");
        let (pols, cued) = if phrase_mode {
            (vec![Pol::Pos; items.len()], true)
        } else {
            polarity(stext, a, &items, list_intro, seen_cue)
        };
        seen_cue |= cued;
        list_intro = cued && stext.trim_end().ends_with(':')
            || (list_intro && stext.trim_start().starts_with(['-', '*', '•']));
        let mut cur: Option<Group> = None;
        let mut prev_end = a;
        static ALT: LazyLock<Regex> = LazyLock::new(|| rx(r"\b(?:oder|or|alternativ\w*|sonst|ansonsten|otherwise|bzw)\b"));
        for (it, pol) in items.iter().zip(pols) {
            if pol == Pol::Drop {
                continue;
            }
            // "abends ab 18:30 oder samstags bis 13 Uhr": an alternative after a timed
            // wish starts a new one.
            let gap = n.text.get(prev_end.min(it.start)..it.start).unwrap_or("");
            prev_end = prev_end.max(it.end);
            let alt = ALT.is_match(gap);
            let close = match &cur {
                None => false,
                Some(g) if g.pol != pol => true,
                Some(g) if it.is_day() && alt && g.has_time() => true,
                // "Diese Woche Freitag, ab nächster Woche täglich": a span already
                // narrowed to weekdays is complete; a new span starts a new wish.
                Some(g) if g.mask != 0 && g.anchored() && matches!(it.kind, Kind::Week { .. } | Kind::Range { .. } | Kind::Month { .. } | Kind::From { .. } | Kind::Until { .. } | Kind::Date { .. }) => true,
                Some(g) if it.is_day() => g.has_time() && g.has_days() && g.last_was_time,
                Some(g) => g.has_time() && g.has_days() && !g.last_was_time,
            };
            if close {
                if let Some(g) = cur.take() {
                    groups.push(g);
                }
            }
            cur.get_or_insert_with(|| {
                // An item read as a wish (also by continuation: "Ab 15 Uhr, nur freitags nicht")
                // makes its group a voiced one.
                let mut g = Group::new(pol, cued || pol == Pol::Pos);
                g.sentence = si;
                g
            })
            .add(it);
        }
        if let Some(g) = cur {
            groups.push(g);
        }
        // "Ich arbeite bis 17 Uhr, danach bin ich zu Hause": the wish starts where the
        // refusal ends.
        static THEN: LazyLock<Regex> = LazyLock::new(|| rx(r"\b(?:danach|anschliessend|ab\s+dann|afterwards|after\s+that)\b"));
        if !phrase_mode && THEN.is_match(stext) {
            let start = groups.len().saturating_sub(4);
            let mut extra = Vec::new();
            for g in &groups[start..] {
                if g.pol != Pol::Neg {
                    continue;
                }
                if let [(_, to, ClockKind::Until, mg)] = g.clocks.as_slice() {
                    if *to < 1320 {
                        let mut p = g.clone();
                        p.pol = Pol::Pos;
                        p.sentence_cued = true;
                        p.clocks = vec![(*to, 1320, ClockKind::From, *mg)];
                        extra.push(p);
                    }
                }
            }
            groups.extend(extra);
        }
    }
    // A time without days takes the days of the last wish that had none ("zwischen dem
    // 4. und dem 8. Oktober … Dann jeweils ab 16 Uhr"); otherwise it means every day.
    let mut out: Vec<Group> = Vec::new();
    for g in groups {
        if g.pol == Pol::Pos && !g.has_days() && g.has_time() {
            if let Some(prev) = out.iter_mut().rev().find(|p| p.pol == Pol::Pos) {
                if prev.has_days() && !prev.has_time() {
                    prev.clocks.extend(g.clocks);
                    prev.parts.extend(g.parts);
                    prev.allday |= g.allday;
                    prev.night |= g.night;
                    continue;
                }
            }
            if phrase_mode || g.sentence_cued {
                let mut g = g;
                if !phrase_mode {
                    g.mask = 0x7f; // "ab 17 Uhr bin ich zu Hause": every day
                }
                out.push(g);
            }
            continue;
        }
        out.push(g);
    }
    out
}

/// `re`'s matches in `text` replaced by `with(match)`, as `Regex::replace_all` with a
/// closure does, but found without captures (and without a copy when nothing matches).
fn replace_matches(re: &Regex, text: String, with: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut last = 0;
    let mut any = false;
    for m in re.find_iter(&text) {
        out.push_str(&text[last..m.start()]);
        out.push_str(&with(m.as_str()));
        last = m.end();
        any = true;
    }
    if !any {
        return text;
    }
    out.push_str(&text[last..]);
    out
}

/// Decides for every item of one sentence whether it is part of a wish, an absence or
/// neither. Returns the polarities and whether the sentence carries a wish cue.
fn polarity(s: &str, base: usize, items: &[Item], list_intro: bool, seen_cue: bool) -> (Vec<Pol>, bool) {
    // The sentence with the items blanked: cue words are looked for in what is left.
    let mut rest = s.as_bytes().to_vec();
    for it in items {
        for k in it.start.saturating_sub(base)..it.end.saturating_sub(base).min(rest.len()) {
            if rest[k].is_ascii() {
                rest[k] = b' ';
            }
        }
    }
    let rest = String::from_utf8_lossy(&rest).into_owned();
    // Idioms that look like negations or cues but are neither.
    static IDIOM: LazyLock<Regex> = LazyLock::new(|| {
        rx(
            r"\b(?:zur\s+not|notfalls|nicht\s+nur|not\s+only|no\s+problem|kein\s+problem|nicht\s+so\s+gut\s+zu\s+fuss)\b",
        )
    });
    let rest = replace_matches(&IDIOM, rest, |m| " ".repeat(m.len()));
    // "Termin beim Arzt" is someone else's appointment: busy, not a wish.
    static BUSY_TERMIN: LazyLock<Regex> = LazyLock::new(|| {
        rx(r"\b(?:termin|appointment)\s+(?:beim|bei|im|in\s+der|with|at)\b|\b(?:arzt|zahnarzt)termin\w*")
    });
    // The marker must keep the match's length: items and clause borders are byte
    // offsets into this text ("termin im" is 9 bytes, "busytermin" was 10 and moved
    // everything after it by one). Every match is at least 9 bytes long.
    let rest = replace_matches(&BUSY_TERMIN, rest, |m| format!("{:<w$}", "busy", w = m.len()));
    let cues = CUES.matches(&rest);
    let sentence_anti = cues.matched(CUE_ANTI);
    // Clause borders: punctuation and contrast words outside items.
    let mut borders: Vec<usize> = vec![0];
    let rb = rest.as_bytes();
    for (i, ch) in rb.iter().enumerate() {
        let dash = *ch == b'-' && i > 0 && rb[i - 1] == b' ' && rb.get(i + 1) == Some(&b' ');
        if matches!(ch, b',' | b';' | b':') || dash {
            borders.push(i + 1);
        }
    }
    for m in cues.matched(CUE_CLAUSE_WORD).then(|| CLAUSE_WORD.find_iter(&rest)).into_iter().flatten() {
        // "geht es aber nicht": a particle, not a new clause.
        let next = rest.get(m.end()..).unwrap_or("").trim_start();
        // Particle when little follows before the clause ends ("geht es aber leider nicht.");
        // "but not on May 5th" (rest blanked: items are spaces) still opens a clause.
        let tail = next.split(['.', ',', ';', '!', '?']).next().unwrap_or("");
        let tail_words = tail.split_whitespace().count();
        let items_follow = items.iter().any(|it| {
            let p = it.start.saturating_sub(base);
            p >= m.end() && p < m.end() + tail.len() + (rest.len() - m.end() - next.len())
        });
        let particle = (["nicht", "leider", "kein", "doch", "schon", "erst", "nur", "auch", "not"]
            .iter()
            .any(|w| next.starts_with(w))
            && tail_words <= 3
            && !items_follow)
            || next.is_empty()
            || next.starts_with(['.', '!', '?']);
        if !particle {
            borders.push(m.start());
        }
    }
    borders.push(rest.len());
    borders.sort();
    borders.dedup();
    struct Clause {
        a: usize,
        b: usize,
        neg: bool,
        except: Option<(usize, usize)>,
        pos: bool,
        anti: bool,
        negated_cue: bool,
        contrast: bool,
        words: usize,
    }
    let mut clauses = Vec::new();
    for w in borders.windows(2) {
        let (a, b) = (w[0], w[1]);
        let t = rest.get(a..b).unwrap_or("");
        let t_trim = t
            .trim()
            .trim_end_matches(['.', ',', ';', ':', '!', '?', '-'])
            .trim();
        let has_neg = cues.matched(CUE_NEG) && NEG.is_match(t);
        let has_pos = cues.matched(CUE_POS) && (POS.is_match(t_trim) || POS.is_match(t));
        let absent = cues.matched(CUE_ABSENT) && ABSENT.is_match(t) && !has_pos;
        // "außer X" negates up to the next wish word ("außer Fronleichnam geht es werktags").
        let except = cues.matched(CUE_EXCEPT).then(|| EXCEPT.find(t)).flatten().map(|m| {
            let end = POS.find_at(t, m.end()).map_or(b, |p| a + p.start());
            (a + m.start(), end)
        });
        let has_pos = has_pos
            && (except.is_none()
                || POS
                    .find(t)
                    .is_some_and(|p| a + p.start() >= except.map_or(0, |e| e.1))
                || POS
                    .find(t)
                    .is_some_and(|p| a + p.start() < except.map_or(0, |e| e.0)));
        let anti = sentence_anti && ANTI.is_match(t);
        let contrast = cues.matched(CUE_CLAUSE_START) && CLAUSE_START.is_match(t);
        let words = t
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty() && !is_stop(w))
            .count();
        clauses.push(Clause {
            a,
            b,
            neg: has_neg || absent,
            except,
            pos: has_pos && !has_neg && !anti,
            anti,
            negated_cue: has_pos && has_neg,
            contrast,
            words,
        });
    }
    // A clause of items only ("Am Samstag, den 1. Mai,") takes the verdict of the clause
    // that follows it ("geht es nicht").
    let mut k = 0;
    while k + 1 < clauses.len() {
        let has_item = |c: &Clause| {
            items.iter().any(|it| {
                let p = it.start.saturating_sub(base);
                p >= c.a && p < c.b
            })
        };
        let next = &clauses[k + 1];
        if clauses[k].words == 0
            && has_item(&clauses[k])
            && clauses[k].except.is_none()
            && !has_item(next)
            && (next.neg || next.pos)
        {
            let c = clauses.remove(k);
            clauses[k].a = c.a;
            continue;
        }
        k += 1;
    }
    // "…, geht es nicht, aber am 5. Juni": the contrast clause after a refused wish is a wish.
    let mut refused = false;
    for c in clauses.iter_mut() {
        if c.contrast && refused && !c.neg {
            c.pos = true;
        }
        refused |= c.negated_cue;
    }
    let cued = clauses.iter().any(|c| c.pos);
    let residual = rest
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !is_stop(w))
        .count();
    let continuation = (residual <= 1 && seen_cue) || list_intro;
    let pols = items
        .iter()
        .map(|it| {
            let p = it.start.saturating_sub(base);
            let ci = clauses.iter().position(|c| p >= c.a && p < c.b);
            let c = ci.and_then(|i| clauses.get(i));
            let own_wish = c.is_some_and(|c| c.pos)
                || ci.is_some_and(|i| {
                    i > 0
                        && clauses.get(i - 1).is_some_and(|d| {
                            d.pos
                                && !d.anti
                                && !items.iter().any(|x| {
                                    x.start.saturating_sub(base) >= d.a
                                        && x.start.saturating_sub(base) < d.b
                                })
                        })
                });
            let neg = c.is_some_and(|c| c.neg || c.except.is_some_and(|e| p > e.0 && p < e.1));
            // Phone hours, nursery hours, deaths, noise: not about the visit, unless the
            // item's own clause states a wish ("…, zu Hause bin ich ab 18 Uhr").
            if c.is_some_and(|c| c.anti) || (sentence_anti && !own_wish) {
                Pol::Drop
            } else if neg {
                Pol::Neg
            } else if cued || continuation {
                Pol::Pos
            } else if ci.is_some_and(|i| clauses[..i].iter().any(|d| d.negated_cue)) && c.is_some_and(|c| !STATE.is_match(rest.get(c.a..c.b).unwrap_or(""))) {
                // "Diese Woche geht es nicht mehr, nächste Woche dann Dienstag": the
                // clause after a refused time offers the alternative.
                Pol::Pos
            } else if matches!(it.kind, Kind::Range { .. } | Kind::Week { .. }) {
                // An uncued span in a mail ("Vom 31. Juli bis 15. August sind wir an der
                // Ostsee") reports an absence.
                Pol::Neg
            } else {
                Pol::Drop
            }
        })
        .collect();
    (pols, cued)
}

type Iv = (DateTime, DateTime);

fn day_iv(d: Date, f: Min, t: Min) -> Option<Iv> {
    let a = d.to_datetime(min_time(f));
    let b = if t >= 1440 {
        d.tomorrow().ok()?.at(0, 0, 0, 0)
    } else {
        d.to_datetime(min_time(t))
    };
    (a < b).then_some((a, b))
}

fn merge(mut v: Vec<Iv>) -> Vec<Iv> {
    v.sort();
    let mut out: Vec<Iv> = Vec::new();
    for iv in v {
        match out.last_mut() {
            Some(last) if iv.0 <= last.1 => last.1 = last.1.max(iv.1),
            _ => out.push(iv),
        }
    }
    out
}

fn subtract(v: Vec<Iv>, cut: &[Iv]) -> Vec<Iv> {
    let mut out = Vec::new();
    for (mut a, b) in v {
        let mut alive = true;
        for (ca, cb) in cut {
            if !alive {
                break;
            }
            if *cb <= a || *ca >= b {
                continue;
            }
            if *ca > a {
                out.push((a, *ca));
            }
            if *cb < b {
                a = *cb;
            } else {
                alive = false;
            }
        }
        if alive && a < b {
            out.push((a, b));
        }
    }
    out
}

fn expand(groups: Vec<Group>, now: DateTime, tz: &TimeZone) -> Availability {
    let today = now.date();
    let base = today.checked_add(56.days()).unwrap_or(today);
    let cap = today.checked_add(365.days()).unwrap_or(today);
    let latest = groups.iter().filter_map(|g| g.latest()).max();
    let horizon = latest.map_or(base, |l| l.max(base)).min(cap);

    let mut pos: Vec<Iv> = Vec::new();
    let mut excl: Vec<Iv> = Vec::new();
    let mut weekly: Vec<Iv> = Vec::new();
    let mut any_pos = false;
    for g in &groups {
        let Some(ranges) = g.ranges_of_day() else {
            continue;
        };
        match g.pol {
            // "I am starting … in October. Could you come on Friday?": a month alone is
            // no visiting wish when its sentence also names other days; "Im Juli passt
            // es" alone is the whole month.
            Pol::Pos if g.month_only() && groups.iter().any(|o| o.pol == Pol::Pos && !o.month_only() && (o.has_days() || o.has_time())) => {}
            Pol::Pos => {
                let days = g.days(today, horizon);
                any_pos |= !days.is_empty();
                for d in days {
                    pos.extend(ranges.iter().filter_map(|(f, t)| day_iv(d, *f, *t)));
                }
            }
            Pol::Neg if g.dated() || (!g.months.is_empty() && g.mask == 0) => {
                // "Im Juli sind wir verreist": the whole month is out.
                for d in g.days(today, horizon) {
                    excl.extend(ranges.iter().filter_map(|(f, t)| day_iv(d, *f, *t)));
                }
            }
            Pol::Neg if g.mask == 0 && (!g.clocks.is_empty() || !g.parts.is_empty()) => {
                // "Zwischen 13 und 15 Uhr schläft das Baby": that time of every day is out.
                for d in span_days(today, horizon, 370) {
                    weekly.extend(ranges.iter().filter_map(|(f, t)| day_iv(d, *f, *t)));
                }
            }
            Pol::Neg if g.mask != 0 && groups.iter().any(|p| p.pol == Pol::Pos && p.sentence == g.sentence && (!p.ranges.is_empty() || !p.weeks.is_empty())) => {
                // "in der Woche vom 24. bis 28. Mai …, außer am Donnerstag": that dated day.
                for p in groups.iter().filter(|p| p.pol == Pol::Pos && p.sentence == g.sentence && (!p.ranges.is_empty() || !p.weeks.is_empty())) {
                    for d in p.days(today, horizon) {
                        if g.mask & grammar::wd_bit(d) != 0 {
                            excl.extend(ranges.iter().filter_map(|(f, t)| day_iv(d, *f, *t)));
                        }
                    }
                }
            }
            Pol::Neg if g.mask != 0 && g.single => {
                // "Am Donnerstag geht es nicht": the next Thursday, not every one.
                for d in g.days(today, horizon) {
                    excl.extend(ranges.iter().filter_map(|(f, t)| day_iv(d, *f, *t)));
                }
            }
            Pol::Neg if g.mask != 0 => {
                // "außer donnerstags": simply left out of the windows.
                for d in span_days(today, horizon, 370) {
                    if g.mask & grammar::wd_bit(d) != 0 {
                        weekly.extend(ranges.iter().filter_map(|(f, t)| day_iv(d, *f, *t)));
                    }
                }
            }
            _ => {}
        }
    }
    let excl: Vec<Iv> = merge(excl).into_iter().filter(|iv| iv.1 > now).collect();
    let mut stated = any_pos;
    if !any_pos && (!excl.is_empty() || !weekly.is_empty()) {
        // Only absences: any other time is fine.
        stated = true;
        pos = span_days(today, horizon, 370)
            .into_iter()
            .filter_map(|d| day_iv(d, 0, 1440))
            .collect();
    }
    let cut = merge(excl.iter().copied().chain(weekly).collect());
    let win: Vec<Iv> = subtract(merge(pos), &cut)
        .into_iter()
        .filter(|iv| iv.1 > now)
        .collect();
    if win.is_empty() {
        stated = false;
    }
    let zoned = |v: Vec<Iv>| -> Vec<Window> {
        v.into_iter()
            .filter_map(|(a, b)| {
                Some(Window {
                    start: a.to_zoned(tz.clone()).ok()?,
                    end: b.to_zoned(tz.clone()).ok()?,
                })
            })
            .collect()
    };
    if !stated {
        return Availability::default();
    }
    Availability {
        stated,
        windows: zoned(win),
        excluded: zoned(excl),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now(s: &str) -> Zoned {
        crate::tz::parse_instant(s).unwrap()
    }

    /// Asserts that each `yes` instant lies in a window (and in no exclusion) and each
    /// `no` instant does not, for `text` read at `at`.
    fn check(text: &str, at: &str, yes: &[&str], no: &[&str]) {
        let a = availability(text, &now(at));
        assert!(a.stated, "{text}: no wish read");
        let tz = crate::tz::berlin();
        let inside = |t: &str, v: &[Window]| {
            let z = t.parse::<DateTime>().unwrap().to_zoned(tz.clone()).unwrap();
            v.iter().any(|w| w.start <= z && z < w.end)
        };
        for t in yes {
            assert!(
                inside(t, &a.windows) && !inside(t, &a.excluded),
                "{text}: {t} should be offered; {:?}",
                a.windows.iter().take(4).collect::<Vec<_>>()
            );
        }
        for t in no {
            assert!(
                !inside(t, &a.windows) || inside(t, &a.excluded),
                "{text}: {t} should not be offered"
            );
        }
    }

    const NOW: &str = "2027-04-06T08:41:12+02:00"; // a Tuesday

    #[test]
    fn weekday_lists_and_ranges_recur() {
        check(
            "dienstags und donnerstags ab 17 Uhr zu Hause",
            NOW,
            &["2027-04-08T18:00", "2027-05-25T20:00"],
            &["2027-04-07T18:00", "2027-04-08T16:00"],
        );
        check(
            "Mo–Fr ab 18h zu Hause",
            NOW,
            &["2027-04-09T19:00"],
            &["2027-04-10T19:00"],
        );
        check(
            "Mo-Do vormittags geht es",
            NOW,
            &["2027-04-15T10:00"],
            &["2027-04-16T10:00", "2027-04-15T14:00"],
        );
        check(
            "am Wochenende bin ich da",
            NOW,
            &["2027-04-11T12:00"],
            &["2027-04-12T12:00"],
        );
        check(
            "Samstagvormittag passt",
            NOW,
            &["2027-04-17T10:00"],
            &["2027-04-17T15:00"],
        );
        check(
            "free on weekday evenings",
            NOW,
            &["2027-04-14T19:00"],
            &["2027-04-14T12:00"],
        );
        check(
            "Mon/Wed after 7:30 pm works",
            NOW,
            &["2027-04-12T20:00"],
            &["2027-04-12T19:00", "2027-04-13T20:00"],
        );
        check(
            "jeden Werktag abends zu Hause, nur mittwochs nicht",
            NOW,
            &["2027-04-08T19:00"],
            &["2027-04-07T19:00"],
        );
    }

    #[test]
    fn date_notations_resolve_to_whole_days() {
        check(
            "Am 13.4. passt es",
            NOW,
            &["2027-04-13T12:00"],
            &["2027-04-14T12:00"],
        );
        check(
            "Dienstag, den 13.04.2027 geht",
            NOW,
            &["2027-04-13T12:00"],
            &[],
        );
        check("am 13. April geht es", NOW, &["2027-04-13T12:00"], &[]);
        check(
            "KW 16 bin ich zu Hause",
            NOW,
            &["2027-04-19T12:00", "2027-04-25T12:00"],
            &["2027-04-26T12:00"],
        );
        check(
            "am ersten Samstag im Mai passt",
            NOW,
            &["2027-05-01T12:00"],
            &["2027-05-08T12:00"],
        );
        check(
            "first Saturday of July is fine",
            NOW,
            &["2027-07-03T12:00"],
            &[],
        );
        check("Friday 24 September works", NOW, &["2027-09-24T12:00"], &[]);
        check(
            "15.-19.11. bin ich da",
            NOW,
            &["2027-11-17T12:00"],
            &["2027-11-20T12:00"],
        );
        check(
            "Ich kann am 12., 13. oder 14. April jeweils ab 16 Uhr.",
            NOW,
            &["2027-04-13T17:00"],
            &["2027-04-13T12:00"],
        );
    }

    #[test]
    fn relative_days_and_weeks_follow_now() {
        check(
            "übermorgen nachmittags oder nächste Woche Montag ab 15 Uhr",
            NOW,
            &["2027-04-08T15:00", "2027-04-12T16:00"],
            &["2027-04-07T15:00", "2027-04-19T16:00"],
        );
        check(
            "diese Woche Donnerstag geht",
            NOW,
            &["2027-04-08T12:00"],
            &["2027-04-15T12:00"],
        );
        check("next Tuesday works", NOW, &["2027-04-13T12:00"], &[]);
        check(
            "tomorrow works",
            NOW,
            &["2027-04-07T12:00"],
            &["2027-04-08T12:00"],
        );
        check(
            "naechste Woche Mittwoch geht",
            NOW,
            &["2027-04-14T12:00"],
            &[],
        );
    }

    #[test]
    fn clock_times_and_parts_of_day() {
        check(
            "ab halb sechs bin ich zu Hause",
            NOW,
            &["2027-04-07T18:00"],
            &["2027-04-07T17:00"],
        );
        check(
            "Mittwoch, 14.07., ab halb acht abends passt",
            NOW,
            &["2027-07-14T20:00"],
            &["2027-07-14T19:00"],
        );
        check(
            "gegen 18 Uhr passt es morgen",
            NOW,
            &["2027-04-07T18:00"],
            &["2027-04-07T20:00"],
        );
        check(
            "zwischen 10 und 11:30 geht es morgen",
            NOW,
            &["2027-04-07T11:00"],
            &["2027-04-07T12:00"],
        );
        check(
            "between 2 and 6 pm tomorrow works",
            NOW,
            &["2027-04-07T15:00"],
            &["2027-04-07T19:00"],
        );
        check(
            "morgen 15–17 Uhr geht",
            NOW,
            &["2027-04-07T16:00"],
            &["2027-04-07T18:00"],
        );
        check(
            "werktags nach Feierabend passt",
            NOW,
            &["2027-04-07T19:00"],
            &["2027-04-07T12:00"],
        );
        check("Do. 18.00 Uhr passt", NOW, &["2027-04-08T18:00"], &[]);
    }

    #[test]
    fn exclusions_are_subtracted_and_listed() {
        let a = availability("Werktags ab 17 Uhr, nicht am 15.4.", &now(NOW));
        assert_eq!(a.excluded.len(), 1);
        check(
            "Werktags ab 17 Uhr, nicht am 15.4.",
            NOW,
            &["2027-04-14T18:00"],
            &["2027-04-15T18:00"],
        );
        check(
            "Vom 19. bis 23. April sind wir im Urlaub, sonst passt es immer abends.",
            NOW,
            &["2027-04-24T18:00"],
            &["2027-04-20T18:00"],
        );
        check(
            "Werktags abends, außer Fronleichnam.",
            NOW,
            &["2027-05-26T18:00"],
            &["2027-05-27T18:00"],
        );
        check(
            "We are away from 12 to 20 April. Otherwise any weekday evening works.",
            NOW,
            &["2027-04-21T18:00"],
            &["2027-04-14T18:00"],
        );
    }

    #[test]
    fn busy_times_alternatives_and_month_context() {
        check("Ich arbeite bis 17 Uhr, danach bin ich zu Hause.", NOW, &["2027-04-07T18:00"], &["2027-04-07T12:00"]);
        check("Zwischen 13 und 15 Uhr schläft unser Baby, sonst sind wir den ganzen Tag da.", NOW, &["2027-04-07T10:00"], &["2027-04-07T14:00"]);
        check("Diese Woche geht leider nicht mehr, nächste Woche dann Dienstag bis Donnerstag ab 16 Uhr.", NOW, &["2027-04-14T17:00"], &["2027-04-08T17:00", "2027-04-16T17:00"]);
        check("Ich bin im Mai jeden Dienstag zu Hause.", NOW, &["2027-05-11T12:00"], &["2027-04-13T12:00", "2027-06-01T12:00"]);
        check("Wir sind beide berufstätig und daher nur abends ab 18:30 Uhr oder samstags bis 13 Uhr zu Hause.", NOW, &["2027-04-07T19:00", "2027-04-10T10:00"], &["2027-04-10T16:00", "2027-04-07T10:00"]);
        check("Mein Termin beim Arzt ist am 12.4. um 10 Uhr. Sonst passt es vormittags.", NOW, &["2027-04-13T10:00"], &["2027-04-12T10:00"]);
        let a = availability("I am starting a new job in October. Could you come on Friday?", &now(NOW));
        assert!(a.windows.iter().all(|w| w.start.month() != 10), "a month alone is no wish");
    }

    #[test]
    fn times_about_other_things_state_no_wish() {
        for t in [
            "Es ist jetzt 2 Uhr nachts und die Musik ist laut.",
            "Für Rückfragen bin ich werktags ab 16 Uhr telefonisch erreichbar.",
            "Die Kita hat bis 16 Uhr offen.",
            "Am 3. März ist mein Vater gestorben.",
            "I'm flexible, just let me know.",
        ] {
            assert!(!availability(t, &now(NOW)).stated, "{t}");
        }
    }

    #[test]
    fn windows_across_the_end_of_summer_time_carry_their_offset() {
        let a = availability("werktags nach 19 Uhr", &now("2027-10-22T16:20:45+02:00"));
        let offs: Vec<String> = a
            .windows
            .iter()
            .map(|w| w.start.strftime("%d.%m %:z").to_string())
            .collect();
        assert!(offs.contains(&"29.10 +02:00".to_string()));
        assert!(offs.contains(&"01.11 +01:00".to_string()));
    }

    #[test]
    fn resolve_reads_single_phrases() {
        let n =
            now("2013-02-12T04:30:00-02:00").with_time_zone(TimeZone::fixed(jiff::tz::offset(-2)));
        let v = resolve("am 15.2.", &n).unwrap();
        assert_eq!(
            v,
            TimeValue::Instant {
                value: "2013-02-15T00:00".parse().unwrap(),
                grain: Grain::Day
            }
        );
        let v = resolve("nach 14 Uhr", &n).unwrap();
        assert_eq!(
            v,
            TimeValue::Interval {
                from: Some("2013-02-12T14:00".parse().unwrap()),
                to: None,
                grain: Grain::Hour
            }
        );
        assert!(resolve("Hallo", &n).is_none());
    }
}

#[cfg(test)]
mod robustness {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Any text, however garbled, yields sorted disjoint windows and no panic.
        #[test]
        fn arbitrary_text_never_panics(words in proptest::collection::vec(prop_oneof![
            Just("am".to_string()), Just("13.".to_string()), Just("4.".to_string()), Just("ab".to_string()), Just("17".to_string()), Just("Uhr".to_string()), Just("bis".to_string()), Just("–".to_string()),
            Just("Mo".to_string()), Just("Do.".to_string()), Just("/".to_string()), Just("nicht".to_string()), Just("außer".to_string()), Just("zu Hause".to_string()), Just("halb".to_string()),
            Just("KW".to_string()), Just("52".to_string()), Just("31.12.".to_string()), Just("29.2.".to_string()), Just("(".to_string()), Just(")".to_string()), Just(",".to_string()), Just(".".to_string()),
            Just("\n".to_string()), Just("ü".to_string()), Just("😅".to_string()), Just("pm".to_string()), Just("between".to_string()), Just("and".to_string()), Just("erster".to_string()), Just("Samstag".to_string()),
            Just("im".to_string()), Just("Mai".to_string()), Just("nächste".to_string()), Just("Woche".to_string()), Just("1/2".to_string()), Just("0".to_string()), Just("99".to_string()), Just("24:00".to_string()),
            "[a-zäöüß0-9.:/ -]{0,6}",
        ], 0..40)) {
            let text = words.join(" ");
            let now = crate::tz::parse_instant("2027-10-30T23:30:00+02:00").unwrap();
            let a = availability(&text, &now);
            for w in a.windows.windows(2) {
                prop_assert!(w[0].end < w[1].start);
            }
            for w in &a.windows {
                prop_assert!(w.start < w.end);
            }
            let _ = resolve(&text, &now);
        }
    }
}
