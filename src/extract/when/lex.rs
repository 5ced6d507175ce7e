//! Text preparation: one spelling for umlauts and dashes, greetings and parentheses
//! blanked, sentences and clauses. Byte offsets stay aligned with an "was upper case"
//! flag, because two-letter weekday abbreviations ("Do", "So") are only trusted when
//! written with a capital.

use regex::Regex;
use std::sync::LazyLock;

/// Lower-cased text with ä/ö/ü/ß spelled ae/oe/ue/ss and all dashes as '-'.
#[derive(Debug, Clone)]
pub(crate) struct Norm {
    pub text: String,
    /// Per byte of `text`: the source character was upper case.
    pub upper: Vec<bool>,
}

pub(crate) fn normalize(s: &str) -> Norm {
    let mut text = String::with_capacity(s.len() + 16);
    let mut upper = Vec::with_capacity(s.len() + 16);
    for c in s.chars() {
        let up = c.is_uppercase();
        match c {
            'ä' | 'Ä' => text.push_str("ae"),
            'ö' | 'Ö' => text.push_str("oe"),
            'ü' | 'Ü' => text.push_str("ue"),
            'ß' | 'ẞ' => text.push_str("ss"),
            '–' | '—' | '‒' | '−' | '‐' | '‑' => text.push('-'),
            '\u{a0}' | '\t' | '\u{202f}' | '\u{2009}' => text.push(' '),
            '\r' => {}
            '’' | '‘' | '´' | '`' => text.push('\''),
            '„' | '“' | '”' | '«' | '»' => text.push('"'),
            // Most characters are ASCII: no case-mapping iterator for them.
            _ if c.is_ascii() => text.push(c.to_ascii_lowercase()),
            _ => text.extend(c.to_lowercase()),
        }
        upper.resize(text.len(), up);
    }
    // "um 3 am Nachmittag", "ab 5 am Dienstag": German "am", not a.m. Same length keeps
    // the byte offsets aligned.
    static GERMAN_AM: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&crate::classify::normalize::ascii_words(r"(\d(?:\s*uhr)?\s+)am(\s+(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|wochenende|vormittag|nachmittag|abend|morgen|mittag|\d))")).unwrap()
    });
    let text = GERMAN_AM.replace_all(&text, "${1}an${2}").to_string();
    let mut n = Norm { text, upper };
    blank_noise(&mut n);
    n
}

/// Parenthesised asides ("(the 3rd)", "(geb. 03.02.2026)", "(vormittags schlafe ich)")
/// and greetings ("Guten Morgen", "schönen Abend") carry times that are not wishes.
fn blank_noise(n: &mut Norm) {
    static GREET: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&crate::classify::normalize::ascii_words(r"\b(?:guten\s+(?:morgen|abend|tag|nachmittag)|good\s+(?:morning|evening|afternoon)|(?:einen\s+)?schoene[nrs]?\s+(?:abend|tag|sonntag|wochenende|feierabend)|(?:have\s+a\s+)?(?:nice|great|good)\s+(?:day|weekend|evening))\b")).unwrap()
    });
    let mut bytes = n.text.clone().into_bytes();
    let mut depth = 0usize;
    let mut open = 0usize;
    for i in 0..bytes.len() {
        match bytes[i] {
            b'(' => {
                if depth == 0 {
                    open = i;
                }
                depth += 1;
            }
            b')' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    for b in bytes.iter_mut().take(i + 1).skip(open) {
                        *b = b' ';
                    }
                }
            }
            b'\n' if depth > 0 => depth = 0,
            _ => {}
        }
    }
    // Only ASCII bytes of whole characters were replaced, so this stays UTF-8.
    let text = String::from_utf8(bytes).unwrap_or_else(|_| n.text.clone());
    let mut out = text.clone();
    for m in GREET.find_iter(&text) {
        out.replace_range(m.range(), &" ".repeat(m.len()));
    }
    n.text = out;
}

static MONTH_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&crate::classify::normalize::ascii_words(r"^(?:kw|kalenderwoche|januar|jan|februar|feb|maerz|marz|mrz|april|apr|mai|juni|juli|august|aug|september|sept|sep|oktober|okt|november|nov|dezember|dez|january|february|march|may|june|july|october|december)\b")).unwrap()
});

const ABBREV: &[&str] = &[
    "mo", "di", "mi", "do", "fr", "sa", "so", "dr", "str", "nr", "ca", "tel", "geb", "bzw", "evtl",
    "z.b", "usw", "inkl", "ggf", "jan", "feb", "sept", "okt", "nov", "dez", "mon", "tue", "wed",
    "thu", "fri", "sat", "sun", "prof", "hr", "fr", "etc", "vs", "u.a", "kw", "u", "od", "zw", "ca", "max", "min", "std",
];

/// Sentences as byte ranges of `n.text`. A line break ends a sentence unless the line
/// looks hard-wrapped (long and without closing punctuation).
pub(crate) fn sentences(n: &Norm) -> Vec<(usize, usize)> {
    let t = n.text.as_bytes();
    let mut cuts: Vec<usize> = Vec::new();
    let mut line_start = 0usize;
    for (i, &byte) in t.iter().enumerate() {
        match byte {
            b'\n' => {
                let line = n.text.get(line_start..i).unwrap_or("").trim();
                let next = n.text.get(i + 1..).unwrap_or("").trim_start();
                let wrapped = line.len() >= 60
                    && !line.ends_with(['.', '!', '?', ':', ','])
                    && !next.starts_with(['-', '*', '•'])
                    && !next.is_empty();
                if !wrapped {
                    cuts.push(i);
                }
                line_start = i + 1;
            }
            b'!' | b'?' | b';' => cuts.push(i + 1),
            b'.' => {
                let after = n.text.get(i + 1..).unwrap_or("");
                if !after.starts_with([' ', '\n']) {
                    continue;
                }
                let rest = after.trim_start();
                let off = i + 1 + (after.len() - rest.len());
                let next_upper = n.upper.get(off).copied().unwrap_or(false);
                if !next_upper {
                    continue;
                }
                let before = n.text.get(..i).unwrap_or("");
                let prev_word: String = before
                    .chars()
                    .rev()
                    .take_while(|c| c.is_alphanumeric() || *c == '.')
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                if prev_word.chars().last().is_some_and(|c| c.is_ascii_digit()) {
                    if MONTH_WORD.is_match(rest) {
                        continue;
                    }
                } else if ABBREV.contains(&prev_word.as_str()) {
                    continue;
                }
                cuts.push(i + 1);
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    let mut s = 0usize;
    cuts.push(t.len());
    for c in cuts {
        if c > s {
            let piece = n.text.get(s..c).unwrap_or("");
            if !piece.trim().is_empty() {
                out.push((s, c));
            }
        }
        s = c;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umlauts_and_dashes_get_one_spelling() {
        let n = normalize("Übermorgen – Mo–Fr");
        assert_eq!(n.text, "uebermorgen - mo-fr");
        assert!(n.upper[0] && n.upper[1] && !n.upper[2]);
    }

    #[test]
    fn parentheses_and_greetings_are_blanked() {
        let n = normalize("Guten Morgen, ab 16 Uhr (vormittags schlafe ich)");
        assert!(!n.text.contains("morgen"));
        assert!(!n.text.contains("vormittags"));
        assert!(n.text.contains("ab 16 uhr"));
    }

    #[test]
    fn dates_do_not_end_sentences_but_full_stops_do() {
        let n = normalize("Am 13. April geht es. Am 15. Mai nicht.\nGruß");
        let s = sentences(&n);
        assert_eq!(s.len(), 3);
    }
}
