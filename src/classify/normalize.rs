//! Normalisation of mail text for the rules, and its split into sentences and clauses.
//!
//! Rule patterns are written once, in normalised form: lower case, ä/ö/ü → ae/oe/ue,
//! ß → ss, other accents dropped (é → e), typographic dashes and quotes made plain,
//! runs of spaces one space, a hard line break a space (mail clients wrap lines), and a
//! paragraph break (blank line, or a line starting a list item) a single `\n`.
//! A byte map back into the original keeps the reasons quoting what the citizen wrote.

use regex::Regex;
use std::ops::Range;
use std::sync::LazyLock;

/// Normalised text plus, for each of its bytes, the byte offset in the original.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    pub text: String,
    map: Vec<usize>,
    original_len: usize,
}

impl Normalized {
    /// The original text behind a byte range of the normalised text.
    pub fn original<'a>(&self, original: &'a str, range: Range<usize>) -> &'a str {
        let start = self
            .map
            .get(range.start)
            .copied()
            .unwrap_or(self.original_len);
        let end = self
            .map
            .get(range.end)
            .copied()
            .unwrap_or(self.original_len);
        // A match may end inside an expanded char (ä → "ae"): fall back to the end of
        // that char so the quote is never cut in the middle of a UTF-8 sequence.
        let mut end = end.max(start);
        while end < original.len() && !original.is_char_boundary(end) {
            end += 1;
        }
        original.get(start..end).unwrap_or("")
    }
}

/// Normalised form of `s` (see the module doc).
pub fn normalize(s: &str) -> String {
    normalize_mapped(s).text
}

/// Replacement for one char: `None` keeps the lower-cased char itself.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'ä' | 'Ä' => "ae",
        'ö' | 'Ö' => "oe",
        'ü' | 'Ü' => "ue",
        'ß' | 'ẞ' => "ss",
        'á' | 'à' | 'â' | 'ã' | 'å' | 'Á' | 'À' | 'Â' | 'Ã' | 'Å' => "a",
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => "e",
        'í' | 'ì' | 'î' | 'ï' | 'ı' | 'İ' | 'Í' | 'Ì' | 'Î' | 'Ï' => "i",
        'ó' | 'ò' | 'ô' | 'õ' | 'ø' | 'Ó' | 'Ò' | 'Ô' | 'Õ' | 'Ø' => "o",
        'ú' | 'ù' | 'û' | 'Ú' | 'Ù' | 'Û' => "u",
        'ç' | 'Ç' => "c",
        'ñ' | 'Ñ' => "n",
        'ş' | 'Ş' => "s",
        'ğ' | 'Ğ' => "g",
        '–' | '—' | '‐' | '‑' | '−' => "-",
        '’' | '‘' | '‚' | '`' | '´' => "'",
        '“' | '”' | '„' | '«' | '»' => "\"",
        // Soft hyphen and zero-width characters only disturb matching.
        '\u{ad}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}' => "",
        _ => return None,
    })
}

/// Normalise and keep the byte map (see [`Normalized`]).
pub fn normalize_mapped(s: &str) -> Normalized {
    let mut text = String::with_capacity(s.len() + 16);
    let mut map = Vec::with_capacity(s.len() + 16);
    // Pending whitespace: 0 none, 1 space, 2 line break, 3 paragraph break.
    let mut pending: u8 = 0;
    let mut pending_at = 0usize;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\n' || c == '\r' {
            if c == '\n' {
                pending = if pending >= 2 { 3 } else { 2 };
            } else {
                pending = pending.max(1);
            }
            pending_at = i;
            continue;
        }
        if c.is_whitespace() {
            if pending == 0 {
                pending_at = i;
            }
            pending = pending.max(1);
            continue;
        }
        // Combining marks: a diaeresis after a/o/u spells the umlaut, others are dropped.
        if ('\u{300}'..='\u{36f}').contains(&c) {
            if c == '\u{308}' && matches!(text.as_bytes().last(), Some(b'a' | b'o' | b'u')) {
                text.push('e');
                map.push(i);
            }
            continue;
        }
        if pending > 0 && !text.is_empty() {
            // A line starting a list item ("- ", "* ", "• ") also breaks the paragraph.
            let list_item = pending == 2
                && matches!(c, '-' | '*' | '•')
                && chars.peek().is_some_and(|(_, n)| *n == ' ' || *n == '\t');
            let sep = if pending == 3 || list_item { '\n' } else { ' ' };
            text.push(sep);
            map.push(pending_at);
        }
        pending = 0;
        match fold(c) {
            Some(rep) => {
                for b in rep.bytes() {
                    text.push(b as char);
                    map.push(i);
                }
            }
            None => {
                for l in c.to_lowercase() {
                    let mut buf = [0u8; 4];
                    for _ in l.encode_utf8(&mut buf).bytes() {
                        map.push(i);
                    }
                    text.push(l);
                }
            }
        }
    }
    Normalized {
        text,
        map,
        original_len: s.len(),
    }
}

/// A street name with its house number ("friedhofstrasse 3", "am laternenweg 5a").
static STREET: LazyLock<WordGated> = LazyLock::new(|| {
    WordGated::new(r"\b[\w-]*(strasse|str\.|str|weg|gasse|pfad|allee|damm|ring|ufer|steig|chaussee) \d{1,4} ?[a-z]?\b")
        .expect("static regex")
});

/// Street names with a house number blanked out (same byte length, so offsets hold):
/// an address such as "Friedhofstraße 3" or "Am Laternenweg 5" names no concern.
pub fn mask_addresses(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in STREET.find_iter(text) {
        out.push_str(&text[last..m.start()]);
        for ch in m.as_str().chars() {
            if ch == ' ' {
                out.push(' ');
            } else {
                out.extend(std::iter::repeat_n('_', ch.len_utf8()));
            }
        }
        last = m.end();
    }
    out.push_str(&text[last..]);
    out
}

/// Sentences of normalised text as byte ranges (terminator included).
///
/// Ends at `.`, `!`, `?`, `;` before a space, and at a paragraph break. A full stop after
/// a digit ("am 30. Juni", "8.9."), an initial or a known abbreviation ("Str.", "geb.",
/// "Dr.", "z.B.") does not end a sentence.
pub fn sentences(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let next_is_gap = bytes.get(i + 1).is_none_or(|n| *n == b' ' || *n == b'\n');
        let end_here = match b {
            b'\n' => Some(i),
            b'!' | b'?' | b';' if next_is_gap => Some(i + 1),
            b'.' if next_is_gap && !short_word_or_digit_before(&text[start..i]) => Some(i + 1),
            _ => None,
        };
        if let Some(end) = end_here {
            push_trimmed(text, start..end, &mut out);
            start = end;
        }
        i += 1;
    }
    push_trimmed(text, start..text.len(), &mut out);
    out
}

/// Abbreviations after which a full stop does not end the sentence.
const ABBREVIATIONS: &[&str] = &[
    "str", "dr", "geb", "ca", "nr", "hr", "fr", "tel", "bzw", "usw", "ggf", "evtl", "inkl", "zzgl",
    "etc", "mr", "mrs", "ms", "st", "prof", "abt", "vgl", "sog", "max", "min", "mind", "jan",
    "feb", "apr", "aug", "sept", "okt", "nov", "dez", "no", "hausnr", "mo", "di", "mi", "do", "sa",
    "so",
];

fn short_word_or_digit_before(before: &str) -> bool {
    let word: &str = before.rsplit([' ', '\n', '(']).next().unwrap_or("");
    match word.chars().last() {
        None => false,
        Some(c) if c.is_ascii_digit() => true,
        // "z.b", "u.a", "d.h": an inner full stop marks an abbreviation; so does an initial.
        Some(_) => word.contains('.') || word.chars().count() == 1 || ABBREVIATIONS.contains(&word),
    }
}

fn push_trimmed(text: &str, r: Range<usize>, out: &mut Vec<Range<usize>>) {
    let s = &text[r.clone()];
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    if lead + trail < s.len() {
        out.push(r.start + lead..r.end - trail);
    }
}

/// Clause borders inside a sentence: commas, colons, spaced dashes, and a
/// conjunction that starts a new clause with its own subject ("…, und wir brauchen").
static CLAUSE_BREAK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[,:]| - | / |\b(?:und|aber|sondern|and|but)\b (?:ich|wir|i|we)\b|\b(?:aber|sondern|but)\b")
        .expect("static regex")
});

/// The clauses of one sentence as byte ranges of `text`.
pub fn clauses(text: &str, sentence: Range<usize>) -> Vec<Range<usize>> {
    let s = &text[sentence.clone()];
    let mut out = Vec::new();
    let mut start = 0;
    for m in CLAUSE_BREAK.find_iter(s) {
        // A conjunction opens the next clause, punctuation closes the current one.
        let (end, next) = if m.as_str().starts_with(char::is_alphabetic) {
            (m.start(), m.start())
        } else {
            (m.start(), m.end())
        };
        push_trimmed(text, sentence.start + start..sentence.start + end, &mut out);
        start = next;
    }
    push_trimmed(text, sentence.start + start..sentence.end, &mut out);
    out
}

/// A pattern with word boundaries, searched first without them. Unicode-aware `\b`
/// makes the regex crate leave its fast engine on any text with a non-ASCII character
/// (an umlaut is enough); without the boundaries it stays fast. Dropping an assertion
/// only admits more, so where the relaxed pattern finds nothing (the usual case) the
/// full one would not either, and no full match starts before the first relaxed one.
/// Every answer is the full pattern's.
#[derive(Debug)]
pub struct WordGated {
    full: Regex,
    relaxed: Regex,
}

impl WordGated {
    pub fn new(pattern: &str) -> Result<WordGated, regex::Error> {
        Ok(WordGated { full: Regex::new(pattern)?, relaxed: Regex::new(&pattern.replace(r"\b", ""))? })
    }
    pub fn is_match(&self, t: &str) -> bool {
        self.relaxed.is_match(t) && self.full.is_match(t)
    }
    pub fn find<'t>(&self, t: &'t str) -> Option<regex::Match<'t>> {
        let start = self.relaxed.find(t)?.start();
        self.full.find_at(t, start)
    }
    pub fn captures<'t>(&self, t: &'t str) -> Option<regex::Captures<'t>> {
        let start = self.relaxed.find(t)?.start();
        self.full.captures_at(t, start)
    }
    pub fn find_iter<'r, 't>(&'r self, t: &'t str) -> impl Iterator<Item = regex::Match<'t>> + use<'r, 't> {
        self.relaxed.is_match(t).then(|| self.full.find_iter(t)).into_iter().flatten()
    }
    pub fn captures_iter<'r, 't>(&'r self, t: &'t str) -> impl Iterator<Item = regex::Captures<'t>> + use<'r, 't> {
        self.relaxed.is_match(t).then(|| self.full.captures_iter(t)).into_iter().flatten()
    }
}

/// `\w`, `\b` and `\B` as ASCII: patterns and the text they run on are normalised
/// (umlauts folded to ae/oe/ue/ss), so the Unicode word classes add nothing but size —
/// compiled, the rules' were ~55 MiB of the daemon's memory. `.` and negated classes stay
/// Unicode-aware, so a pattern still matches whole characters of any remaining non-ASCII.
pub fn ascii_words(pattern: &str) -> String {
    const WORD: &str = "0-9A-Za-z_";
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    // Depth of character classes; a `]` right after `[` or `[^` is a literal.
    let mut class = 0usize;
    let mut class_start = false;
    while let Some(c) = chars.next() {
        let at_start = std::mem::take(&mut class_start);
        match c {
            '\\' => match chars.next() {
                Some('w') if class > 0 => out.push_str(WORD),
                Some('w') => out.push_str("[0-9A-Za-z_]"),
                Some('W') if class == 0 => out.push_str("[^0-9A-Za-z_]"),
                Some('b') if class == 0 => out.push_str("(?-u:\\b)"),
                Some('B') if class == 0 => out.push_str("(?-u:\\B)"),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            '[' => {
                out.push(c);
                class += 1;
                class_start = true;
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
            }
            ']' if class > 0 && !at_start => {
                out.push(c);
                class -= 1;
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_umlauts_sharp_s_case_and_accents() {
        assert_eq!(
            normalize("Personalausweiß FÜR Müller, Straße, Inês, Aydın"),
            "personalausweiss fuer mueller, strasse, ines, aydin"
        );
    }

    #[test]
    fn decomposed_umlaut_spells_e() {
        assert_eq!(normalize("Reisepa\u{308}sse"), "reisepaesse");
        assert_eq!(normalize("Fu\u{308}hrungszeugnis"), "fuehrungszeugnis");
    }

    #[test]
    fn wrapped_lines_join_and_paragraphs_break() {
        assert_eq!(
            normalize("ich brauche einen\r\nneuen  Pass.\n\n\nDanke"),
            "ich brauche einen neuen pass.\ndanke"
        );
        assert_eq!(
            normalize("Termine:\n- Mittwoch\n- Freitag"),
            "termine:\n- mittwoch\n- freitag"
        );
    }

    #[test]
    fn addresses_are_masked_keeping_offsets() {
        let t = normalize(
            "Schlagloch vor Friedhofstraße 3a, Am Laternenweg 12 ist dunkel; Krippenplatz 2028",
        );
        let m = mask_addresses(&t);
        assert_eq!(m.len(), t.len());
        assert!(m.starts_with("schlagloch vor ___"), "{m}");
        assert!(!m.contains("friedhof") && !m.contains("laterne"), "{m}");
        assert!(m.contains("krippenplatz 2028"), "{m}");
    }

    #[test]
    fn typographic_dashes_and_quotes_are_plain() {
        assert_eq!(
            normalize("Reisepass – „dringend“"),
            "reisepass - \"dringend\""
        );
    }

    #[test]
    fn map_quotes_the_original() {
        let orig = "Grüße: Reisepässe bitte";
        let n = normalize_mapped(orig);
        let start = n.text.find("reisepaesse").unwrap_or(0);
        assert_eq!(
            n.original(orig, start..start + "reisepaesse".len()),
            "Reisepässe"
        );
    }

    #[test]
    fn sentences_skip_abbreviations_and_ordinals() {
        let t =
            normalize("Unser Sohn (geb. 03.02.2026) am 30. Juni. Dr. Feldmann fragt: geht das? Ja");
        let s: Vec<&str> = sentences(&t).into_iter().map(|r| &t[r]).collect();
        assert_eq!(
            s,
            vec![
                "unser sohn (geb. 03.02.2026) am 30. juni.",
                "dr. feldmann fragt: geht das?",
                "ja"
            ]
        );
        let t = normalize("Die Urkunden haben wir da. Um den Pass z.B. kümmern wir uns.");
        let s: Vec<&str> = sentences(&t).into_iter().map(|r| &t[r]).collect();
        assert_eq!(
            s,
            vec![
                "die urkunden haben wir da.",
                "um den pass z.b. kuemmern wir uns."
            ]
        );
    }

    #[test]
    fn clauses_split_at_commas_and_new_subjects() {
        let t = normalize(
            "Die Bestätigung liegt uns vor und wir brauchen eine Meldebescheinigung, danke.",
        );
        let s = sentences(&t);
        let c: Vec<&str> = clauses(&t, s[0].clone())
            .into_iter()
            .map(|r| &t[r])
            .collect();
        assert_eq!(
            c,
            vec![
                "die bestaetigung liegt uns vor",
                "und wir brauchen eine meldebescheinigung",
                "danke."
            ]
        );
    }
}

#[cfg(test)]
mod ascii_words_tests {
    use super::ascii_words;

    #[test]
    fn word_escapes_become_ascii_outside_and_inside_classes() {
        assert_eq!(ascii_words(r"\bpers\w{0,7}\b"), r"(?-u:\b)pers[0-9A-Za-z_]{0,7}(?-u:\b)");
        assert_eq!(ascii_words(r"( [\w.-]+)"), r"( [0-9A-Za-z_.-]+)");
        assert_eq!(ascii_words(r"\W\B"), r"[^0-9A-Za-z_](?-u:\B)");
    }

    #[test]
    fn other_escapes_negated_classes_and_literal_brackets_are_kept() {
        assert_eq!(ascii_words(r"[^?]*\x27\.\\w"), r"[^?]*\x27\.\\w");
        assert_eq!(ascii_words(r"[]\w]\w"), r"[]0-9A-Za-z_][0-9A-Za-z_]");
        assert_eq!(ascii_words(r"[^]x]\b"), r"[^]x](?-u:\b)");
    }

    #[test]
    fn rewritten_pattern_matches_like_the_unicode_one_on_normalised_text() {
        let text = "wir brauchen einen neuen personalausweis fuer meine frau, strasse 5";
        for p in [r"\bpers\w{0,7}ausw\w*", r"\b(ich|wir)\b[^?]*\bbrauch\w*", r"\bstrasse\b \d+"] {
            let uni = regex::Regex::new(p).unwrap();
            let ascii = regex::Regex::new(&ascii_words(p)).unwrap();
            assert_eq!(uni.find(text).map(|m| m.range()), ascii.find(text).map(|m| m.range()), "{p}");
        }
    }
}

#[cfg(test)]
mod word_gated_tests {
    use super::WordGated;
    use regex::Regex;

    /// Every answer equals the full pattern's, also where the boundaries decide (a word
    /// inside a longer one, next to umlauts) and where the relaxed pattern matches earlier.
    #[test]
    fn answers_as_the_full_pattern() {
        let pattern = r"\b(?:grüße|str\.|ab)\s*(\d+)\b";
        let full = Regex::new(pattern).unwrap();
        let gated = WordGated::new(pattern).unwrap();
        for t in [
            "",
            "Viele Grüße 3",
            "vielegrüße 3 und grüße 4",
            "Hauptstr. 12a, Kurzstr. 7",
            "ab 18 Uhr, knabäb 5, ab 19x",
            "Straße ab 5ä ab 6",
            "aber ab 12",
        ] {
            assert_eq!(gated.is_match(t), full.is_match(t), "{t}");
            assert_eq!(gated.find(t).map(|m| m.range()), full.find(t).map(|m| m.range()), "{t}");
            assert_eq!(
                gated.captures(t).map(|c| c[1].to_string()),
                full.captures(t).map(|c| c[1].to_string()),
                "{t}"
            );
            let a: Vec<_> = gated.find_iter(t).map(|m| m.range()).collect();
            let b: Vec<_> = full.find_iter(t).map(|m| m.range()).collect();
            assert_eq!(a, b, "{t}");
            let a: Vec<_> = gated.captures_iter(t).map(|c| c[1].to_string()).collect();
            let b: Vec<_> = full.captures_iter(t).map(|c| c[1].to_string()).collect();
            assert_eq!(a, b, "{t}");
        }
    }
}
