//! For case replies: which proposed option the citizen picked, or cancel / move.
//!
//! The reply is read clause by clause. A clause with a negation ("der Montag geht leider
//! nicht") never picks an option. Explicit numbers ("Termin 3", "Nr. 2", "die 2 bitte",
//! "den dritten", "the second one") win over a pick by weekday, date, time or part of
//! day, which is matched against the numbered options of the quoted proposal.

mod options;
mod words;

use jiff::Zoned;
use options::{date_in, re, times_in, DayPart};
pub use options::{is_option_line, parse_options, ProposedOption};
use regex::Regex;
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::OnceLock;
use words::{cancel_verb, move_weak, move_wish, need_gone, switch_word};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplyIntent {
    /// 1-based option number.
    pub choice: Option<u32>,
    pub cancel: bool,
    pub reschedule: bool,
}

/// `new_text`: what the citizen wrote; `quoted`: our quoted proposal mail (numbered
/// options are read from it to map "der Freitag passt" to an option); `now`: the reply's date.
pub fn extract(new_text: &str, quoted: &str, now: &Zoned) -> ReplyIntent {
    let mut opts = parse_options(quoted);
    if opts.is_empty() {
        // The proposal may have leaked into the new text (a quote without markers).
        opts = parse_options(new_text);
    }
    fill_weekdays(&mut opts, now);
    // Our own lines (quote markers, option lines, lines repeated from the quote) say
    // nothing about the citizen's wish.
    let quoted_lines: BTreeSet<&str> = quoted.lines().map(str::trim).filter(|l| l.len() > 12).collect();
    let own: String = without_leaked_proposal(new_text)
        .lines()
        .filter(|l| !l.trim_start().starts_with('>') && !is_option_line(l) && !quoted_lines.contains(l.trim()))
        .collect::<Vec<_>>()
        .join("\n");
    let text = own.to_lowercase();
    let clauses = clauses(&own);

    let max = opts.iter().map(|o| o.number).max().unwrap_or(9);
    let mut explicit = None;
    let mut by_features = None;
    // A negated clause may still hold a positive comma part: "der erste passt leider
    // nicht, der zweite schon".
    let parts: Vec<String> = clauses
        .iter()
        .flat_map(|c| {
            if negated(c) {
                c.split(',').map(str::trim).filter(|p| !negated(p) && positive(p)).map(String::from).collect()
            } else {
                vec![c.clone()]
            }
        })
        .collect();
    for c in &parts {
        // "Den Termin am Freitag müssen wir absagen" names the option it drops.
        if cancel_verb(std::slice::from_ref(c)) || (move_wish(c) && !switch_word(c)) {
            continue;
        }
        if explicit.is_none() {
            // "der letzte" is the highest option number, known only with the options.
            explicit = explicit_number(c)
                .and_then(|n| if n == u32::MAX { (!opts.is_empty()).then_some(max) } else { Some(n) })
                .filter(|n| (1..=max).contains(n));
        }
        if by_features.is_none() {
            by_features = by_features_of(c, &opts);
        }
    }

    let cancel_strong = need_gone(&text);
    let cancel_weak = cancel_verb(&clauses);
    let move_strong = move_wish(&text);
    let move_weak = move_weak(&clauses);

    let mut out = ReplyIntent::default();
    if cancel_strong {
        // The matter is settled: nothing to pick, nothing to move.
        out.cancel = true;
        out.reschedule = move_strong;
        return out;
    }
    // With a wish to move, a number is kept only when it names the switch target
    // ("statt Termin 1 lieber Termin 3"); "wir hatten Termin 2, müssen aber verschieben"
    // picks nothing.
    let switching = switch_word(&text);
    let choice = if move_strong { explicit.filter(|_| switching) } else { explicit.or(by_features) };
    if let Some(n) = choice {
        out.choice = Some(n);
        out.reschedule = move_strong;
        return out;
    }
    if move_strong || move_weak || offers_other_days(&clauses, &opts) {
        // "absagen … und einen neuen Termin": a move, not a cancellation.
        out.reschedule = true;
        return out;
    }
    out.cancel = cancel_weak;
    out
}

/// An option written by date only ("1) 14.06., 18:30 Uhr") still answers "der Montag":
/// its weekday is computed in the year of `now` (the next year when the date lies more
/// than two months back, as proposals look ahead).
fn fill_weekdays(opts: &mut [ProposedOption], now: &Zoned) {
    for o in opts.iter_mut().filter(|o| o.weekday.is_none()) {
        let (Some(d), Some(m)) = (o.day, o.month) else { continue };
        let mut year = now.year();
        if let Ok(date) = jiff::civil::Date::new(year, m, d) {
            if date < now.date().saturating_sub(jiff::Span::new().months(2)) {
                year += 1;
            }
        }
        o.weekday = jiff::civil::Date::new(year, m, d).ok().map(|date| date.weekday());
    }
}

/// When the parser left our proposal in the new text (a quote without markers), drop it:
/// from a quote header line to the end when the citizen wrote above it (top-post), and
/// the paragraphs around our numbered option lines (their intro and the booking
/// instructions, which speak of "Absage" and "keiner der Vorschläge").
fn without_leaked_proposal(text: &str) -> String {
    static HEADER: OnceLock<Regex> = OnceLock::new();
    let header = re(
        &HEADER,
        r"(?i)^\s*(?:-{2,}\s*(?:urspr(?:ü|ue)ngliche\s+nachricht|original\s+message)|am\s.{4,80}\sschrieb\b|on\s.{4,80}\swrote\b|(?:von|from|gesendet|sent):\s)",
    );
    let lines: Vec<&str> = text.lines().collect();
    let has_words = |ls: &[&str]| ls.iter().any(|l| l.chars().filter(|c| c.is_alphabetic()).count() > 3);
    let lines: Vec<&str> = match lines.iter().position(|l| header.is_match(l)) {
        Some(i) if has_words(&lines[..i]) => lines[..i].to_vec(),
        _ => lines,
    };
    let opt_at: Vec<usize> = lines.iter().enumerate().filter(|(_, l)| is_option_line(l)).map(|(i, _)| i).collect();
    let (Some(&first), Some(&last)) = (opt_at.first(), opt_at.last()) else {
        return lines.join("\n");
    };
    // One paragraph before the first option and one after the last.
    let blank = |l: &&str| l.trim().trim_start_matches('>').trim().is_empty();
    let mut start = first;
    while start > 0 && blank(&lines[start - 1]) {
        start -= 1;
    }
    while start > 0 && !blank(&lines[start - 1]) {
        start -= 1;
    }
    let mut end = last + 1;
    while end < lines.len() && blank(&lines[end]) {
        end += 1;
    }
    while end < lines.len() && !blank(&lines[end]) {
        end += 1;
    }
    let mut kept = lines[..start].to_vec();
    kept.extend_from_slice(&lines[end..]);
    kept.join("\n")
}

/// After "2." a capitalised word that is no month or floor starts a new sentence
/// ("Wir nehmen Termin 2. Die anderen …"), unlike "am 17. Juni" or "im 2. OG".
fn sentence_follows(rest: &[char]) -> bool {
    let word: String = rest.iter().skip_while(|c| c.is_whitespace()).take_while(|c| c.is_alphabetic()).collect();
    let lower = word.to_lowercase();
    word.chars().next().is_some_and(char::is_uppercase)
        && options::month_of(&lower).is_none()
        && !["og", "stock", "etage", "obergeschoss", "stockwerk", "klasse", "mal"].contains(&lower.as_str())
}

/// Split the original text (case tells sentence starts) at sentence ends (not at the
/// dots of dates and ordinals: "am 17. geht"), line breaks and contrast words ("aber",
/// "but", "sondern"); clauses come back in lower case.
fn clauses(t: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = t.chars().collect();
    for (i, &ch) in chars.iter().enumerate() {
        let prev_digit = i > 0 && chars[i - 1].is_ascii_digit();
        let next_space = chars.get(i + 1).is_none_or(|c| c.is_whitespace());
        let end = matches!(ch, '!' | '?' | ';' | '\n')
            || (ch == '.' && next_space && (!prev_digit || sentence_follows(&chars[i + 1..])));
        if end {
            out.push(std::mem::take(&mut cur).to_lowercase());
        } else {
            cur.push(ch);
        }
    }
    out.push(cur.to_lowercase());
    static CONTRA: OnceLock<Regex> = OnceLock::new();
    let contra = re(&CONTRA, r",?\s*\b(?:aber|but|sondern|jedoch|however|dafür|dafuer|stattdessen|instead|alternativ|alternatively|ansonsten|sonst|otherwise|notfalls|zur\s+not|falls\s+nicht)\b");
    out.iter()
        .flat_map(|c| contra.split(c).map(str::trim).map(String::from).collect::<Vec<_>>())
        .filter(|c| !c.is_empty())
        .collect()
}

fn negated(c: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    static NO_PROBLEM: OnceLock<Regex> = OnceLock::new();
    // Politeness is no negation: "kein Problem, Termin 2 passt".
    let np = re(&NO_PROBLEM, r"\b(?:kein(?:e)?\s+(?:problem|ursache|sorge|stress)|no\s+(?:problem|worries)|not\s+a\s+problem|nicht\s+schlimm|nicht\s+nur|not\s+only)\b");
    let c = np.replace_all(c, " ");
    re(&RE, r"\b(?:nicht|nich|kein|keine|keiner|keinen|keinem|not|cannot|none|neither|nor)\b|n[’']t\b|\bno\s+good\b")
        .is_match(&c)
}

/// Words that accept: what a positive comma part of a negated sentence must contain.
fn positive(c: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    re(
        &RE,
        r"\b(?:schon|passt|passen|geht|ginge|gerne|gern|klappt|nehmen|nehme|wäre|waere|ideal|super|prima|perfekt|works|fine|good|suits|great|perfect|ok|okay|take|it\s+is|ist\s+es|dann\s+eben)\b",
    )
    .is_match(c)
}

fn num_word(w: &str) -> Option<u32> {
    Some(match w {
        "eins" | "one" | "erste" | "ersten" | "erster" | "erstes" | "first" | "1st" => 1,
        "zwei" | "two" | "zweite" | "zweiten" | "zweiter" | "zweites" | "second" | "2nd" => 2,
        "drei" | "three" | "dritte" | "dritten" | "dritter" | "drittes" | "third" | "3rd" => 3,
        "vier" | "four" | "vierte" | "vierten" | "vierter" | "viertes" | "fourth" | "4th" => 4,
        "fünf" | "fuenf" | "five" | "fünfte" | "fünften" | "fuenfte" | "fuenften" | "fifth" | "5th" => 5,
        _ => return w.parse().ok(),
    })
}

/// "Termin 3", "Option 2", "Nr. 3", "Vorschlag 1", "number 2", "#2", "die 2 bitte",
/// "den dritten", "the second one", "Nummer drei", a clause that is only "3".
fn explicit_number(c: &str) -> Option<u32> {
    static LABELLED: OnceLock<Regex> = OnceLock::new();
    static ORDINAL: OnceLock<Regex> = OnceLock::new();
    static BARE: OnceLock<Regex> = OnceLock::new();
    static ALONE: OnceLock<Regex> = OnceLock::new();
    let labelled = re(
        &LABELLED,
        r"(?:\b(?:termin|terminvorschlag|option|vorschlag|variante|nr\.?|nummer|number|no\.|slot|choice|möglichkeit|moeglichkeit|zeitfenster)|#)[ \t]*(?:nr\.?|no\.|nummer|number)?[ \t]*#?[ \t]*(\d{1,2}|eins|zwei|drei|vier|f(?:ü|ue)nf|one|two|three|four|five)\b",
    );
    let ordinal = re(
        &ORDINAL,
        r"\b(?:den|der|die|das|dem|the|nehmen|nehme|take|choose|pick)[ \t]+(erste[nrs]?|zweite[nrs]?|dritte[nrs]?|vierte[nrs]?|f(?:ü|ue)nfte[nrs]?|letzte[nrs]?|first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th)\b(?:[ \t]+(\p{L}+))?",
    );
    let bare = re(
        &BARE,
        r"\b(?:die|den|das|der|nehmen|nehme|nehm|wähle|wählen|waehle|waehlen|gerne|gern|bitte|take|choose|pick|go[ \t]+(?:with|for))[ \t]+(?:die[ \t]+|den[ \t]+|das[ \t]+|the[ \t]+)?(\d)\b(.{0,12})",
    );
    let alone = re(&ALONE, r"^[ \t(]*(\d)[ \t).]*(?:bitte|please|passt|geht|ist gut|wäre gut|waere gut|works|is fine|is good|nehmen wir|gerne|gern)?[ \t.!]*(.{0,20})$");

    static INSTEAD: OnceLock<Regex> = OnceLock::new();
    // "statt Termin 1 lieber Termin 3": the replaced option is no pick.
    let instead = re(&INSTEAD, r"\b(?:statt|anstatt|anstelle|instead\s+of|nicht)\s+(?:de[rnms]\s+|the\s+)?$");
    for cap in labelled.captures_iter(c) {
        let (Some(whole), Some(m)) = (cap.get(0), cap.get(1)) else { continue };
        let rest = &c[m.end()..];
        if is_number_of_something_else(rest) || instead.is_match(&c[..whole.start()]) {
            continue;
        }
        if let Some(n) = num_word(m.as_str()) {
            return Some(n);
        }
    }
    static ORDINAL_NOUN: OnceLock<Regex> = OnceLock::new();
    // Without an article, the ordinal needs its noun: "second option is fine".
    let ordinal_noun = re(
        &ORDINAL_NOUN,
        r"\b(erste[nrs]?|zweite[nrs]?|dritte[nrs]?|vierte[nrs]?|f(?:ü|ue)nfte[nrs]?|letzte[nrs]?|first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th)[ \t]+(?:termin|terminvorschlag|vorschlag|option|one|slot|date|appointment|möglichkeit|moeglichkeit)\b",
    );
    if let Some(w) = ordinal_noun.captures(c).and_then(|cap| cap.get(1)) {
        let w = w.as_str();
        if w.starts_with("letzte") || w == "last" {
            return Some(u32::MAX);
        }
        if let Some(n) = num_word(w) {
            return Some(n);
        }
    }
    for cap in ordinal.captures_iter(c) {
        let next = cap.get(2).map(|m| m.as_str()).unwrap_or("");
        const NOT_AN_OPTION: &[&str] = &[
            "mal", "time", "woche", "week", "stock", "og", "etage", "floor", "tag", "day", "monat", "month", "klasse",
            "hälfte", "half", "person", "kind", "child",
        ];
        if NOT_AN_OPTION.contains(&next) || options::month_of(next).is_some() {
            continue;
        }
        let w = cap.get(1).map(|m| m.as_str()).unwrap_or("");
        if w.starts_with("letzte") || w == "last" {
            // The caller bounds numbers by the option count; "last" needs it too.
            return Some(u32::MAX);
        }
        if let Some(n) = num_word(w) {
            return Some(n);
        }
    }
    static BARE_WORD: OnceLock<Regex> = OnceLock::new();
    let bare_word = re(
        &BARE_WORD,
        r"\b(?:die|den|das|der|nehmen|nehme|wähle|waehle|take|choose|pick)[ \t]+(?:nummer[ \t]+|number[ \t]+|the[ \t]+)?(eins|zwei|drei|vier|f(?:ü|ue)nf|one|two|three|four|five)[ \t]*(?:$|[,.!]|bitte|passt|geht|nehmen|please|wäre|waere|würde|works|would)",
    );
    if let Some(n) = bare_word.captures(c).and_then(|cap| cap.get(1)).and_then(|m| num_word(m.as_str())) {
        return Some(n);
    }
    for cap in bare.captures_iter(c) {
        let rest = cap.get(2).map(|m| m.as_str()).unwrap_or("");
        if is_number_of_something_else(rest) {
            continue;
        }
        if let Some(n) = cap.get(1).and_then(|m| m.as_str().parse().ok()) {
            return Some(n);
        }
    }
    // A number standing alone in the clause or in one of its comma parts: "3",
    // "Ja gerne, 3", "2 passt".
    for part in std::iter::once(c).chain(c.split(',')) {
        if let Some(cap) = alone.captures(part.trim()) {
            let rest = cap.get(2).map(|m| m.as_str()).unwrap_or("");
            if !is_number_of_something_else(rest) && !rest.chars().any(|ch| ch.is_ascii_digit()) {
                return cap.get(1).and_then(|m| m.as_str().parse().ok());
            }
        }
    }
    None
}

/// What follows a number that makes it a date, time, floor, count or house number.
fn is_number_of_something_else(rest: &str) -> bool {
    let r = rest.trim_start_matches([' ', '\t']);
    if r.starts_with(['.', ':', ',', '/', '-']) && r[1..].starts_with(|c: char| c.is_ascii_digit()) {
        return true;
    }
    let r = r.trim_start_matches(['.', ' ', '\t']);
    let word: String = r.chars().take_while(|c| c.is_alphanumeric()).collect();
    const UNITS: &[&str] = &[
        "uhr", "og", "stock", "etage", "obergeschoss", "personen", "person", "leute", "kinder", "people", "persons",
        "pm", "am", "h", "min", "minuten", "stunden", "tage", "wochen", "jahre", "mal", "times", "floor", "euro",
        "januar", "februar", "märz", "april", "mai", "juni", "juli", "august", "september", "oktober",
        "november", "dezember", "st", "nd", "rd", "th",
    ];
    UNITS.contains(&word.as_str()) || options::month_of(&word).is_some() && word.len() > 2
}

/// Options named by weekday (with part of day), date, time or part of day in one clause.
fn by_features_of(c: &str, opts: &[ProposedOption]) -> Option<u32> {
    if opts.is_empty() {
        return None;
    }
    let mut sets: Vec<BTreeSet<u32>> = Vec::new();
    let all = |f: &dyn Fn(&ProposedOption) -> bool| opts.iter().filter(|o| f(o)).map(|o| o.number).collect::<BTreeSet<u32>>();

    // Weekdays (not the recurring "freitags", not "Montage" = assembly work).
    static WORD: OnceLock<Regex> = OnceLock::new();
    let word = re(&WORD, r"\p{L}+");
    let mut days = Vec::new();
    let mut parts = Vec::new();
    let words: Vec<&str> = word.find_iter(c).map(|m| m.as_str()).collect();
    for (i, w) in words.iter().enumerate() {
        if let Some(d) = options::weekday_in(w, false) {
            let root_len = weekday_root_len(w);
            let tail = &w[root_len.min(w.len())..];
            if tail == "s" || tail.starts_with('e') {
                continue;
            }
            days.push(d);
            if let Some(p) = DayPart::from_word(tail).or_else(|| words.get(i + 1).and_then(|n| DayPart::from_word(n))) {
                parts.push(p);
            }
        } else if let Some(p) = DayPart::from_word(w) {
            // "der Vormittagstermin", "the morning one": a part of day on its own; "morgen"
            // alone is "tomorrow".
            if *w != "morgen" && !w.ends_with('s') || w.contains("termin") {
                parts.push(p);
            }
        }
    }
    if !days.is_empty() {
        sets.push(all(&|o| o.weekday.is_some_and(|d| days.contains(&d))));
    }
    if !parts.is_empty() {
        sets.push(all(&|o| o.start.is_some_and(|s| parts.iter().any(|p| p.contains(s)))));
    }

    // Dates: "am 17.", "der 18.06.", "on the 17th", "June 17".
    let (d, m) = date_in(c);
    let day_only = day_only_in(c);
    if let Some(d) = d.or(day_only) {
        sets.push(all(&|o| o.day == Some(d) && (m.is_none() || o.month.is_none() || o.month == m)));
    }

    // Clock times not introduced as a range ("ab 18 Uhr" is a wish, not a pick).
    let times: Vec<(i8, i8)> = times_in(c)
        .into_iter()
        .filter(|(_, _, at)| !range_word_before(&c[..*at]))
        .map(|(h, mi, _)| (h, mi))
        .collect();
    if !times.is_empty() {
        sets.push(all(&|o| o.start.is_some_and(|s| times.contains(&s))));
    }

    let mut iter = sets.into_iter();
    let mut acc = iter.next()?;
    for s in iter {
        acc = acc.intersection(&s).copied().collect();
    }
    if acc.len() == 1 {
        acc.into_iter().next()
    } else {
        None
    }
}

fn weekday_root_len(w: &str) -> usize {
    const ROOTS: &[&str] = &[
        "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonnabend", "sonntag", "monday",
        "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    ];
    ROOTS.iter().find(|r| w.starts_with(*r)).map(|r| r.len()).unwrap_or(0)
}

/// "am 17.", "den 18.", "on the 17th", "the 17th": a day of month without a month.
fn day_only_in(c: &str) -> Option<i8> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let r = re(&RE, r"\b(?:am|den|der|dem|on\s+the|the|zum)\s+(\d{1,2})(?:\.|st|nd|rd|th)(?:\s|$|,)");
    let cap = r.captures(c)?;
    let d: i8 = cap.get(1)?.as_str().parse().ok()?;
    let after = &c[cap.get(0)?.end()..];
    // "am 2. OG" is a floor.
    if is_number_of_something_else(after) {
        return None;
    }
    (1..=31).contains(&d).then_some(d)
}

fn range_word_before(before: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    re(&RE, r"\b(?:ab|nach|bis|von|vor|zwischen|after|from|before|until|till|between|und|and)\s*$").is_match(before)
}

/// No option picked, but the reply offers days of its own ("Ginge es auch am Dienstag?",
/// "ab dem 27.9. montags"): a wish to move. Needs the options to tell "other" days.
fn offers_other_days(clauses: &[String], opts: &[ProposedOption]) -> bool {
    static AVAIL: OnceLock<Regex> = OnceLock::new();
    static DAYWORD: OnceLock<Regex> = OnceLock::new();
    if opts.is_empty() {
        return false;
    }
    let avail = re(
        &AVAIL,
        r"\b(?:passt|passen|ginge|geht|gehen|könnten|koennten|können|koennen|wäre|waere|sind|bin|kommen|zu\s+hause|daheim|available|free|works|work|could|would|home|come)\b",
    );
    let dayword = re(
        &DAYWORD,
        r"\b(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag|monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?\b|\b\d{1,2}\.\d{1,2}\.",
    );
    clauses.iter().any(|c| {
        !negated(c)
            && avail.is_match(c)
            && dayword.is_match(c)
            && by_features_of(c, opts).is_none()
            && explicit_number(c).is_none()
    })
}

#[cfg(test)]
mod tests;
