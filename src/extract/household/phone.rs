//! The household's phone number, as written.

use regex::Regex;
use std::sync::OnceLock;

fn re(cell: &'static OnceLock<Regex>, pat: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pat).expect("static regex"))
}

/// German phone numbers: national "06146 812345", "06146/812345", "(06146) 81 23 45",
/// "0171-2345678", international "+49 6146 812345", "+49 (0)171 2345678", "0049 …".
/// Separators stay on one line.
fn number_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    re(
        &RE,
        r"(?:\+|\b00)\d{2}[ \t]?(?:\(0\)[ \t]?)?\d{2,5}(?:[ \t]?[/-]?[ \t]?\d{2,8}){1,4}|(?:\(0\d{2,5}\)|\b0\d{2,5})(?:[ \t]?[/-]?[ \t]?\d{2,8}){1,4}",
    )
}

/// A label that says "phone" right before the number.
fn cue_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    re(
        &RE,
        r"(?i)(?:tel\.?|telefon\w*|fon|phone|mobil\w*|mobile|handy\w*|cell|festnetz|erreichbar\s+unter|erreichen\s+sie\s+mich\s+unter|call\s+me\s+(?:at|on)|whatsapp)[\s:.]*(?:\([^)]*\)[\s:]*)?$",
    )
}

/// Labels that make a digit run something else (bank, case or tax numbers, fax).
fn not_phone_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    re(&RE, r"(?i)(?:iban|bic|blz|konto\w*|account|fax|telefax|aktenzeichen|az\.|vorgang\w*|kunden\w*|steuer\w*|ust|ref\w*|case|rechnung\w*|invoice|ausweis\w*|pass\w*nummer|nr\.?)[\s:.#-]*$")
}

/// First labelled number in the signature, then in the text; then the first plausible
/// unlabelled one (signature first: contact blocks hold the number).
pub fn phone(new_text: &str, signature: &str) -> Option<String> {
    let sig = found(signature);
    let text = found(new_text);
    sig.iter()
        .chain(text.iter())
        .find(|f| f.labelled)
        .or_else(|| sig.first())
        .or_else(|| text.first())
        .map(|f| f.number.clone())
}

struct Found {
    number: String,
    labelled: bool,
}

fn found(text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    for m in number_re().find_iter(text) {
        let s = m.as_str().trim();
        let before = &text[..m.start()];
        let line_before = &before[before.rfind('\n').map(|i| i + 1).unwrap_or(0)..];
        // Part of a longer token: a case id "BS-2027-00031", an IBAN "DE89 3704 0044 …",
        // a date "12.04.2027".
        if before.ends_with(|c: char| c.is_alphanumeric() || matches!(c, '-' | '.' | '/' | ':'))
            || text[m.end()..].starts_with(|c: char| c.is_alphanumeric() || matches!(c, '.' | ':'))
        {
            continue;
        }
        // "Tel./Fax 06146 …" is still the phone.
        let tel_too = line_before.to_lowercase().contains("tel");
        if (not_phone_re().is_match(line_before) && !tel_too) || looks_like_iban_line(line_before) {
            continue;
        }
        let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
        if !(7..=15).contains(&digits) {
            continue;
        }
        // A bare five-digit group followed by a word is a postcode with its town.
        out.push(Found { number: s.to_string(), labelled: cue_re().is_match(line_before) });
    }
    out
}

fn looks_like_iban_line(line_before: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    re(&RE, r"\b[A-Z]{2}\d{2}(?:[ \t]?\d{4})*[ \t]*$").is_match(line_before)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_formats_as_written() {
        assert_eq!(phone("", "Tel. 06146 812345").as_deref(), Some("06146 812345"));
        assert_eq!(phone("", "Tel.: 06146/812345").as_deref(), Some("06146/812345"));
        assert_eq!(phone("", "Mobil: 0160 95512873").as_deref(), Some("0160 95512873"));
        assert_eq!(phone("", "Handy 0171-2345678").as_deref(), Some("0171-2345678"));
        assert_eq!(phone("", "+49 6146 812345").as_deref(), Some("+49 6146 812345"));
        assert_eq!(phone("", "Telefon: +49 (0)171 2345678").as_deref(), Some("+49 (0)171 2345678"));
        assert_eq!(phone("", "(06146) 81 23 45").as_deref(), Some("(06146) 81 23 45"));
        assert_eq!(phone("", "Tel./Fax 06146 812345").as_deref(), Some("06146 812345"));
    }

    #[test]
    fn number_in_text_when_signature_has_none() {
        assert_eq!(
            phone("Sie erreichen mich unter 0151 22874410, gerne auch abends.", "Lindenstraße 17").as_deref(),
            Some("0151 22874410")
        );
    }

    #[test]
    fn labelled_number_beats_an_unlabelled_one() {
        assert_eq!(phone("", "Fax 06146 999999\nTel. 06146 812345").as_deref(), Some("06146 812345"));
    }

    #[test]
    fn dates_postcodes_case_numbers_and_ibans_are_no_phones() {
        assert_eq!(phone("am 12.04.2027 um 18:30 Uhr", ""), None);
        assert_eq!(phone("65239 Hochheim am Main", ""), None);
        assert_eq!(phone("01067 Dresden", ""), None);
        assert_eq!(phone("Vorgang BS-2027-00031", ""), None);
        assert_eq!(phone("IBAN: DE89 3704 0044 0532 0130 00", ""), None);
        assert_eq!(phone("Kundennummer 0012345678", ""), None);
        assert_eq!(phone("Fax: 06146 999999", ""), None);
    }
}
