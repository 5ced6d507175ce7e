//! Which language the citizen wrote in, so the reply is in it too.
//!
//! Counted by stopwords: short function words every text has ("und", "ich", "the", "we"),
//! which say more about the language than the nouns do (an English mail names German
//! things: "Anmeldung", "Wohnungsgeberbestätigung", street names). Words spelled the same
//! in German and English ("in", "was", "so", "also", "will", "am", "an") are left out. A few French,
//! Spanish, Italian, Turkish and Polish stopwords let a mail in those languages come out
//! as `other`. `Content-Language` only decides when the words do not.

use serde::Serialize;
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    De,
    En,
    Other,
}

const DE: &[&str] = &[
    "und",
    "ich",
    "wir",
    "sie",
    "der",
    "die",
    "das",
    "den",
    "dem",
    "des",
    "ein",
    "eine",
    "einen",
    "einem",
    "einer",
    "ist",
    "sind",
    "bin",
    "nicht",
    "mit",
    "für",
    "fuer",
    "auf",
    "auch",
    "bitte",
    "danke",
    "möchte",
    "möchten",
    "mein",
    "meine",
    "meinen",
    "meiner",
    "unser",
    "unsere",
    "unseren",
    "uns",
    "mich",
    "mir",
    "ihr",
    "ihre",
    "ihnen",
    "zu",
    "von",
    "vom",
    "zum",
    "zur",
    "bei",
    "beim",
    "nach",
    "aber",
    "oder",
    "wenn",
    "dass",
    "wie",
    "wäre",
    "haben",
    "habe",
    "hat",
    "kann",
    "können",
    "könnten",
    "würde",
    "gerne",
    "gern",
    "noch",
    "schon",
    "nur",
    "sehr",
    "vielen",
    "liebe",
    "lieber",
    "grüße",
    "gruß",
    "hallo",
    "guten",
    "tag",
    "damen",
    "herren",
    "freundlichen",
    "jeweils",
    "uhr",
    "ab",
    "sich",
    "es",
    "er",
    "da",
    "dann",
    "hier",
    "dort",
    "ja",
    "nein",
    "keine",
    "kein",
    "etwas",
    "immer",
    "leider",
    "morgen",
    "heute",
];

const EN: &[&str] = &[
    "and",
    "the",
    "i",
    "we",
    "you",
    "is",
    "are",
    "not",
    "with",
    "for",
    "on",
    "at",
    "of",
    "to",
    "my",
    "our",
    "your",
    "me",
    "us",
    "would",
    "could",
    "can",
    "please",
    "thanks",
    "thank",
    "be",
    "have",
    "has",
    "need",
    "a",
    "this",
    "that",
    "it",
    "from",
    "or",
    "if",
    "but",
    "just",
    "any",
    "some",
    "dear",
    "hello",
    "hi",
    "regards",
    "best",
    "kind",
    "sincerely",
    "there",
    "they",
    "their",
    "do",
    "does",
    "what",
    "which",
    "when",
    "how",
    "by",
    "since",
    "after",
    "before",
    "evening",
    "evenings",
    "morning",
    "time",
    "office",
    "out",
    "back",
    "until",
    "i'm",
    "i’m",
];

const OTHER: &[&str] = &[
    // French
    "je",
    "nous",
    "vous",
    "le",
    "la",
    "les",
    "et",
    "est",
    "pour",
    "avec",
    "une",
    "du",
    "merci",
    "bonjour",
    "votre",
    // Spanish / Italian
    "el",
    "los",
    "las",
    "y",
    "es",
    "para",
    "con",
    "una",
    "gracias",
    "hola",
    "il",
    "di",
    "che",
    "per",
    "sono",
    "grazie",
    "buongiorno",
    "mi",
    "por",
    "favor",
    // Turkish
    "ve",
    "bir",
    "bu",
    "ben",
    "için",
    "merhaba",
    "teşekkürler",
    "lütfen",
    // Polish
    "jest",
    "nie",
    "się",
    "dzień",
    "dobry",
    "dziękuję",
    "proszę",
];

const IN_DE: u8 = 1;
const IN_EN: u8 = 2;
const IN_OTHER: u8 = 4;

/// Which of the lists each stopword is on, looked up once per word instead of scanning
/// the three lists.
fn lists() -> &'static HashMap<&'static str, u8> {
    static LISTS: OnceLock<HashMap<&'static str, u8>> = OnceLock::new();
    LISTS.get_or_init(|| {
        let mut m = HashMap::new();
        for (list, bit) in [(DE, IN_DE), (EN, IN_EN), (OTHER, IN_OTHER)] {
            for w in list {
                *m.entry(*w).or_insert(0) |= bit;
            }
        }
        m
    })
}

/// Detect from the citizen's new text (and subject); `content_language` is a hint only.
pub fn detect(text: &str, content_language: Option<&str>) -> Language {
    let (mut de, mut en, mut other) = (0usize, 0usize, 0usize);
    let lists = lists();
    let mut lower = String::new();
    for word in text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’')) {
        if word.is_empty() {
            continue;
        }
        // One buffer for the lower-cased words; `str::to_lowercase` for the rest, as
        // its word-final sigma differs from mapping characters one by one.
        let w = if word.is_ascii() {
            lower.clear();
            lower.extend(word.bytes().map(|b| char::from(b.to_ascii_lowercase())));
            lower.as_str()
        } else {
            lower = word.to_lowercase();
            lower.as_str()
        };
        // Count each list separately: "es" is German and Spanish, "die" German only here.
        let on = lists.get(w).copied().unwrap_or(0);
        if on & IN_DE != 0 {
            de += 1;
        }
        if on & IN_EN != 0 {
            en += 1;
        }
        if on & IN_OTHER != 0 {
            other += 1;
        }
        // Umlauts and ß are a strong German signal, even in words not on the list.
        if on & IN_DE == 0 && w.contains(['ä', 'ö', 'ü', 'ß']) {
            de += 1;
        }
    }
    let hint = content_language
        .map(|h| h.trim().to_ascii_lowercase())
        .and_then(|h| {
            if h.starts_with("de") {
                Some(Language::De)
            } else if h.starts_with("en") {
                Some(Language::En)
            } else if h.is_empty() {
                None
            } else {
                Some(Language::Other)
            }
        });
    let total = de + en + other;
    if total < 3 {
        // Too little text to judge ("Termin 3"): the hint, else the office's language.
        return match (hint, de, en) {
            (Some(h), _, _) => h,
            (None, d, e) if e > d => Language::En,
            _ => Language::De,
        };
    }
    // A clear winner needs a third more hits than the runner-up; otherwise the hint
    // decides between the two close ones.
    let mut ranked = [
        (de, Language::De),
        (en, Language::En),
        (other, Language::Other),
    ];
    ranked.sort_by_key(|r| std::cmp::Reverse(r.0));
    let (best, lang) = ranked[0];
    let (second, runner) = ranked[1];
    if best * 3 >= second * 4 {
        return lang;
    }
    match hint {
        Some(h) if h == lang || h == runner => h,
        _ => lang,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_mail_is_de() {
        assert_eq!(
            detect(
                "Hallo, ich brauche einen neuen Personalausweis. Viele Grüße",
                None
            ),
            Language::De
        );
    }

    #[test]
    fn english_mail_with_german_nouns_is_en() {
        let t =
            "Hi there, my partner and I still have to register our new address (the Anmeldung). \
                 We have the Wohnungsgeberbestätigung ready. Best regards";
        assert_eq!(detect(t, Some("de-DE")), Language::En);
    }

    #[test]
    fn german_signature_does_not_outweigh_english_text() {
        let t = "Dear Sir or Madam, I need a certificate of good conduct for my new job. Could someone visit me \
                 on Friday after 2 pm? Kind regards, Priya\nHochstraße 3\n65239 Hochheim am Main";
        assert_eq!(detect(t, None), Language::En);
    }

    #[test]
    fn french_mail_is_other() {
        assert_eq!(
            detect(
                "Bonjour, je voudrais une carte d'identité pour ma fille. Merci",
                None
            ),
            Language::Other
        );
    }

    #[test]
    fn informal_german_without_umlauts_is_de() {
        assert_eq!(
            detect("hi, brauch nen neuen perso, bin ab 5 daheim", None),
            Language::De
        );
    }

    #[test]
    fn short_english_reply_is_en() {
        assert_eq!(detect("Option 2 please, thanks!", None), Language::En);
    }

    #[test]
    fn turkish_mail_is_other_despite_umlauts() {
        assert_eq!(
            detect(
                "Merhaba, kimlik kartım için randevu almak istiyorum. Teşekkürler",
                None
            ),
            Language::Other
        );
    }

    #[test]
    fn hint_decides_short_text() {
        assert_eq!(detect("Termin 3", Some("en-GB")), Language::En);
        assert_eq!(detect("Termin 3", None), Language::De);
        assert_eq!(detect("", Some("fr")), Language::Other);
    }

    #[test]
    fn words_shared_by_both_languages_do_not_count() {
        // "in", "was", "so", "will" are on neither list.
        assert_eq!(detect("was in so will", None), Language::De);
    }
}
