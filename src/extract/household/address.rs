//! The visit address: German street forms with a house number, scored by where and how
//! they are written.
//!
//! The text wins over the signature only when it introduces the address as a home
//! ("wohnt in der …", "our new address is …"); a postcode other than 65239 or a town
//! other than Hochheim/Massenheim marks an address that is not the visit place (sample
//! 012: the daughter's Wiesbaden signature).

use super::Address;
use regex::Regex;
use std::sync::OnceLock;

/// Street-name endings. Words that are common nouns on their own ("Anlage 2" = attachment,
/// "Zeile 3") are left out; their streets still match in the "Am …" form.
const SUFFIX: &str = r"(?:stra(?:ß|ss)e|str\.|weg|gasse|platz|allee|ring|pfad|steig|damm|ufer|markt|graben|chaussee|promenade|wall|berg)";

fn re(cell: &'static OnceLock<Regex>, pat: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pat).expect("static regex"))
}

/// Street followed by a house number. Three shapes:
/// - one word ending in a street suffix, hyphenated names allowed ("Kolpingstraße",
///   "Konrad-Adenauer-Str."), optionally after an adjective in -er ("Mainzer Straße",
///   "Massenheimer Landstraße") or "Alte"/"Obere"…;
/// - a preposition form ("Am Weiher", "An der Kirche", "In den Gärten", "Zum Park").
fn street_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    re(
        &RE,
        &format!(
            r"(?x)
            \b(?P<street>
              (?: (?:Alte|Alter|Altes|Obere|Oberer|Untere|Unterer|Neue|Neuer|Gro(?:ß|ss)e|Kleine|Lange|Hohe|Hintere|Vordere|Innere|Äußere)[\ \t]+ )?
              (?:
                # 'Mainzer Straße', 'Massenheimer Landstraße': the adjective only before a
                # bare street word, so a name line ('Familie Keller Schillerstraße') stays out.
                \p{{Lu}}\p{{Ll}}+er[\ \t]+ (?:Land)? (?i:{SUFFIX})
              |
                # A capitalised compound ('Hintergasse', 'Konrad-Adenauer-Str.'); in
                # lower case only with straße/str. ('hauptstr.'), as English has
                # 'bring 2' and 'spring'.
                (?: \p{{Lu}}[\p{{Ll}}ß]*- )+ (?i:{SUFFIX})
              |
                (?: \p{{Lu}}[\p{{Ll}}ß]*- )*
                (?: \p{{Lu}}[\p{{Ll}}ß]*? (?i:{SUFFIX}) | \p{{Ll}}[\p{{Ll}}ß]*? (?i:stra(?:ß|ss)e|str\.) )
              )
            |
              (?: Am | An[\ \t]+der | An[\ \t]+den | An[\ \t]+dem | Auf[\ \t]+der | Auf[\ \t]+dem | Auf[\ \t]+den | Im | In[\ \t]+der | In[\ \t]+den | Zum | Zur | Hinter[\ \t]+der | Hinter[\ \t]+dem | Vor[\ \t]+dem | Unter[\ \t]+den | Bei[\ \t]+der | Über[\ \t]+der )
              [\ \t]+ \p{{Lu}}[\p{{L}}-]* (?: [\ \t]+ \p{{Lu}}[\p{{L}}-]* )?
            )
            [\ \t]* ,? [\ \t]*
            (?P<num> \d{{1,3}} (?: [\ \t]?[a-zA-Z]\b )? (?: [\ \t]?[-–/][\ \t]?\d{{1,3}}[a-zA-Z]?\b )? )
            \b"
        ),
    )
}

/// [`street_re`] without its word boundaries, which are Unicode-aware and make the regex
/// crate leave its fast engine on any line with an umlaut. Dropping an assertion only
/// admits more, so every match of the full pattern is a match of this one at the same
/// place: where this finds nothing from some offset on, neither would the full pattern.
fn street_relaxed() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(&street_re().as_str().replace(r"\b", "")).expect("static regex"))
}

/// What every match of [`street_re`] contains: a street suffix or one of its prepositions.
/// Without word boundaries this runs on the fast engine even over umlauts, and spares the
/// full pattern (with captures) most lines that hold a date or a phone number.
fn street_gate() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    re(&RE, &format!(r"(?i:{SUFFIX})|Am|An|Auf|Im|In|Zu[mr]|Hinter|Vor|Unter|Bei|Über"))
}

/// Words after a preposition that make a date or a phrase, not a street ("Im Oktober
/// 2027", "Am Montag 5", "In der Woche 24").
const NOT_STREET_WORDS: &[&str] = &[
    "januar", "jänner", "februar", "märz", "maerz", "april", "mai", "juni", "juli", "august", "september",
    "oktober", "november", "dezember", "montag", "dienstag", "mittwoch", "donnerstag", "freitag",
    "samstag", "sonnabend", "sonntag", "woche", "kw", "jahr", "jahre", "monat", "moment", "anhang", "alter",
    "urlaub", "zeitraum", "herbst", "winter", "sommer", "frühjahr", "frühling", "haus", "rathaus", "büro",
    "termin", "wochenende", "abend", "morgen", "vormittag", "nachmittag", "mittag", "grab", "reihe",
    "abteilung", "zimmer", "raum", "stock", "og", "eg", "dg", "erdgeschoss", "obergeschoss", "vorgang",
    "schnitt", "durchschnitt", "prinzip", "ganzen", "übrigen", "voraus", "anschluss", "auftrag", "namen",
];

/// A candidate with its score and where it stands.
#[derive(Debug)]
struct Candidate {
    address: Address,
    score: i32,
    order: usize,
}

/// Pick the visit address from the new text and the signature.
pub fn address(new_text: &str, signature: &str) -> Option<Address> {
    let mut cands: Vec<Candidate> = Vec::new();
    for (src, in_sig) in [(new_text, false), (signature, true)] {
        for mut c in candidates(src, in_sig) {
            c.order = cands.len();
            // The same address in text and signature: keep it once, best score.
            let key = norm(&c.address.street, &c.address.house_number);
            if let Some(prev) = cands.iter_mut().find(|p| norm(&p.address.street, &p.address.house_number) == key) {
                if c.score > prev.score {
                    prev.score = c.score;
                }
                if prev.address.postal_code.is_none() {
                    prev.address.postal_code = c.address.postal_code.take();
                }
                if prev.address.city.is_none() {
                    prev.address.city = c.address.city.take();
                }
                continue;
            }
            cands.push(c);
        }
    }
    // Highest score wins; on a tie the first written (text before signature).
    cands
        .into_iter()
        .max_by(|a, b| a.score.cmp(&b.score).then(b.order.cmp(&a.order)))
        .map(|c| c.address)
}

/// Compare key as the scorer does: case, umlauts, ß, "str.", spaces and hyphens.
pub fn norm(street: &str, number: &str) -> String {
    let mut s = format!("{street}{number}").to_lowercase();
    for (a, b) in [("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("str.", "strasse"), (" ", ""), ("-", ""), ("\t", "")] {
        s = s.replace(a, b);
    }
    s
}

fn candidates(text: &str, in_sig: bool) -> Vec<Candidate> {
    let mut found = Vec::new();
    // No match spans a line break (the pattern allows only spaces and tabs between its
    // words) and every match holds a digit, so only lines with a digit are searched: the
    // same matches, without running the large Unicode pattern over most of the mail.
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let line_at = at;
        at += line.len();
        if !line.chars().any(char::is_numeric) || !street_gate().is_match(line) {
            continue;
        }
        // The same matches as `captures_iter`, but each search for the next one starts
        // where the relaxed pattern finds its first candidate, and ends when it finds none.
        let mut from = 0;
        while let Some(start) = street_relaxed().find_at(line, from).map(|m| m.start()) {
            let Some(c) = street_re().captures_at(line, start) else { break };
            from = c.get(0).map_or(line.len(), |m| m.end()).max(start + 1);
            let (Some(street_m), Some(num_m)) = (c.name("street"), c.name("num")) else { continue };
            let (start, end) = (line_at + street_m.start(), line_at + num_m.end());
            let street = street_m.as_str().split_whitespace().collect::<Vec<_>>().join(" ");
            if is_phrase_not_street(&street) || !number_is_house_number(&text[end..]) {
                continue;
            }
            let number = num_m.as_str().split_whitespace().collect::<String>();
            found.push((street, number, start, end));
        }
    }
    let mut out = Vec::new();
    for (i, (street, number, start, end)) in found.iter().enumerate() {
        let mut score = 0;
        if in_sig {
            score += 1;
        }
        let (postal_code, city, local, foreign) = place_after(&text[*end..]);
        if local {
            score += 2;
        }
        if foreign {
            score -= 10;
        }
        // Cues belong to the nearest address: look back only to the previous one and
        // forward only to the next one.
        let prev_end = if i == 0 { 0 } else { found[i - 1].3 };
        let next_start = found.get(i + 1).map(|f| f.2).unwrap_or(text.len());
        score += cue_before(&text[prev_end..*start]);
        score += cue_after(&text[*end..next_start]);
        out.push(Candidate {
            address: Address { street: street.clone(), house_number: number.clone(), postal_code, city },
            score,
            order: 0,
        });
    }
    out
}

/// "… in die Kirchstraße 3 gezogen": the verb after the address in its sentence.
fn cue_after(after: &str) -> i32 {
    static RE: OnceLock<Regex> = OnceLock::new();
    let end = after.find(['.', '!', '?', '\n']).unwrap_or(after.len());
    let clause = after[..end].to_lowercase();
    let home = re(&RE, r"\b(?:gezogen|umgezogen|eingezogen|wohne|wohnen|wohnt|lebe|leben|lebt|zu hause|zuhause|daheim)\b");
    if home.is_match(&clause) { 3 } else { 0 }
}

fn is_phrase_not_street(street: &str) -> bool {
    let lower = street.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let Some(last) = words.last() else { return true };
    // English words that end like a German street: "Bring 2 passports", "during".
    if ["bring", "spring", "string", "during"].contains(last) || last.ends_with("ering") || last.ends_with("rring") {
        return true;
    }
    let prep = matches!(words.first(), Some(&("am" | "an" | "auf" | "im" | "in" | "zum" | "zur" | "hinter" | "vor" | "unter" | "bei" | "über")));
    if prep && words.iter().skip(1).any(|w| NOT_STREET_WORDS.contains(w)) {
        return true;
    }
    NOT_STREET_WORDS.contains(last)
}

/// A house number is not followed by a date's or floor's dot ("2. OG", "12. April",
/// "17.06."), a time ("18:30"), "Uhr", a unit or a count noun.
fn number_is_house_number(after: &str) -> bool {
    let lower = after.to_lowercase();
    let rest = lower.trim_start_matches([' ', '\t']);
    if let Some(r) = after.trim_start_matches([' ', '\t']).strip_prefix('.') {
        let r = r.trim_start_matches([' ', '\t']);
        if r.is_empty() || r.starts_with(['\n', '\r']) {
            return true; // end of a sentence or line
        }
        let word: String = r.chars().take_while(|ch| ch.is_alphabetic()).collect::<String>().to_lowercase();
        const AFTER_DOT: &[&str] = &[
            "og", "obergeschoss", "stock", "etage", "stockwerk", "januar", "februar", "märz", "april", "mai",
            "juni", "juli", "august", "september", "oktober", "november", "dezember", "jan", "feb", "mär",
            "apr", "jun", "jul", "aug", "sep", "sept", "okt", "nov", "dez", "klasse", "mal",
        ];
        // A digit makes a date ("17.06."), a lower-case word an ordinal in running text.
        return !(r.starts_with(|ch: char| ch.is_ascii_digit() || ch.is_lowercase())
            || AFTER_DOT.contains(&word.as_str()));
    }
    if rest.starts_with(':') && rest[1..].starts_with(|ch: char| ch.is_ascii_digit()) {
        return false;
    }
    let word: String = rest.chars().take_while(|ch| ch.is_alphabetic() || *ch == '%').collect();
    const UNITS: &[&str] = &[
        "uhr", "h", "m", "km", "qm", "cm", "%", "jahre", "jahren", "personen", "prozent", "euro", "eur", "min",
        "minuten", "stunden", "tage", "tagen", "wochen", "monate", "monaten", "x", "mal", "stück", "kinder",
    ];
    !UNITS.contains(&word.as_str())
}

/// Postcode and town written right after the number (same line or the next):
/// returns (postcode, city, is Hochheim/Massenheim, is elsewhere).
fn place_after(after: &str) -> (Option<String>, Option<String>, bool, bool) {
    static PLZ: OnceLock<Regex> = OnceLock::new();
    static TOWN: OnceLock<Regex> = OnceLock::new();
    let plz = re(&PLZ, r"^[ \t]*(?:[,·|•/–-][ \t]*|\r?\n[ \t]*)?(?:in[ \t]+)?(?:D-)?(\d{5})[ \t]+(\p{Lu}[\p{L}-]*(?:[ \t]+(?:am|an der|im|ob der|vor der)[ \t]+\p{Lu}[\p{L}.]*)?)");
    // Only the rest of the line and the next one, so a later paragraph's town does not count.
    let window: String = after.split_inclusive('\n').take(2).collect();
    if let Some(c) = plz.captures(&window) {
        let code = c[1].to_string();
        let town = c[2].to_string();
        let local_town = is_local_town(&town);
        let local = code == "65239" || (local_town && !code.starts_with('6'));
        let local = local || (local_town && code == "65239");
        let city = if local { Some(local_city(&town)) } else { Some(town.clone()) };
        let foreign = code != "65239";
        return (Some(code), city, local && !foreign, foreign);
    }
    let town = re(&TOWN, r"(?i)^[^\n.!?]{0,25}?\b(?:in|hier in|in the town of)?[ \t]*(hochheim(?:[ \t-]*(?:am|a\.)[ \t-]*main|[ \t-]*massenheim)?|massenheim)\b");
    let first_line: String = window.trim_start_matches([',', ' ', '\t', '\r', '\n']).to_string();
    if let Some(c) = town.captures(&first_line) {
        return (None, Some(local_city(&c[1])), true, false);
    }
    (None, None, false, false)
}

fn is_local_town(town: &str) -> bool {
    let t = town.to_lowercase();
    t.starts_with("hochheim") || t.starts_with("massenheim")
}

fn local_city(town: &str) -> String {
    if town.to_lowercase().contains("massenheim") {
        "Massenheim".to_string()
    } else {
        "Hochheim am Main".to_string()
    }
}

/// Words before the street in its sentence that say "this is where we live / the visit".
fn cue_before(before: &str) -> i32 {
    static HOME: OnceLock<Regex> = OnceLock::new();
    static AWAY: OnceLock<Regex> = OnceLock::new();
    let start = before.rfind(['.', '!', '?', '\n']).map(|i| i + 1).unwrap_or(0);
    // Keep a tail of at most ~80 bytes, cut on a char boundary.
    let mut from = start.max(before.len().saturating_sub(80));
    while !before.is_char_boundary(from) {
        from += 1;
    }
    let clause = before[from..].to_lowercase();
    let home = re(&HOME, r"\b(?:wohn\w*|leb(?:e|t|en)|gezogen|ziehen|umgezogen|zuhause|zu hause|daheim|bei (?:mir|uns|ihm|ihr|meinem|meiner)|adresse|anschrift|besuch\w*|vorbeikommen|grundstück|grundstueck|address|live|lives|living|registered|moved|visit)\b");
    let away = re(&AWAY, r"\b(?:nachbar\w*|neighbou?r\w*|gegenüber|gegenueber|vorher|früher|frueher|bisher\w*|alte[nr]?|old|previous|former|von der|aus der|from)\b");
    let mut s = 0;
    if home.is_match(&clause) {
        s += 3;
    }
    if away.is_match(&clause) {
        s -= 3;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(text: &str, sig: &str) -> Option<(String, String)> {
        address(text, sig).map(|a| (a.street, a.house_number))
    }

    fn pair(s: &str, n: &str) -> Option<(String, String)> {
        Some((s.to_string(), n.to_string()))
    }

    #[test]
    fn signature_block_with_postcode() {
        let got = address("", "Kolpingstraße 7\n65239 Hochheim am Main\nTel. 06146 812345").unwrap();
        assert_eq!(got.street, "Kolpingstraße");
        assert_eq!(got.house_number, "7");
        assert_eq!(got.postal_code.as_deref(), Some("65239"));
        assert_eq!(got.city.as_deref(), Some("Hochheim am Main"));
    }

    #[test]
    fn street_forms() {
        assert_eq!(a("Mainzer Straße 14", ""), pair("Mainzer Straße", "14"));
        assert_eq!(a("Massenheimer Landstraße 40", ""), pair("Massenheimer Landstraße", "40"));
        assert_eq!(a("Am Weiher 5\n65239 Hochheim-Massenheim", ""), pair("Am Weiher", "5"));
        assert_eq!(a("An der Kirche 3", ""), pair("An der Kirche", "3"));
        assert_eq!(a("Konrad-Adenauer-Str. 12a", ""), pair("Konrad-Adenauer-Str.", "12a"));
        assert_eq!(a("Alleestraße 2a, 65239 Hochheim", ""), pair("Alleestraße", "2a"));
        assert_eq!(a("Hauptstr. 12 A", ""), pair("Hauptstr.", "12A"));
        assert_eq!(a("Im Wiesengrund 3-5", ""), pair("Im Wiesengrund", "3-5"));
        assert_eq!(a("Alter Weg 9", ""), pair("Alter Weg", "9"));
        assert_eq!(a("Karlstrasse 14 in Hochheim", ""), pair("Karlstrasse", "14"));
        assert_eq!(a("Taunusstraße 9, 65239 Hochheim", ""), pair("Taunusstraße", "9"));
        assert_eq!(a("Familie Keller Schillerstraße 20", ""), pair("Schillerstraße", "20"));
        assert_eq!(a("Tobias Reuter Hauptstraße 5", ""), pair("Hauptstraße", "5"));
        assert_eq!(a("wohnhaft in 65239 Hochheim, weiherstr.12", ""), pair("weiherstr.", "12"));
        assert_eq!(a("bei meinem Vater in der Weiherstraße 12", ""), pair("Weiherstraße", "12"));
        assert_eq!(a("Ostring 3 b", ""), pair("Ostring", "3b"));
        assert_eq!(
            address("Ich wohne Am Hang 14 in 65239 Hochheim.", "").and_then(|a| a.postal_code).as_deref(),
            Some("65239")
        );
        assert_eq!(
            address("", "Weiherstr. 12 · 65239 Hochheim").and_then(|a| a.postal_code).as_deref(),
            Some("65239")
        );
    }

    #[test]
    fn address_in_running_text() {
        assert_eq!(
            a("ich wohne seit Juli in der Hintergasse 4 und hätte gerne einen Ausweis.", ""),
            pair("Hintergasse", "4")
        );
        assert_eq!(a("Ich wohne in der Hintergasse 4.", ""), pair("Hintergasse", "4"));
        assert_eq!(a("We live together at Flörsheimer Straße 88 and are free.", ""), pair("Flörsheimer Straße", "88"));
    }

    #[test]
    fn visit_address_in_text_beats_foreign_signature() {
        let got = address(
            "Er wohnt in der Massenheimer Landstraße 40 hier in Hochheim.",
            "Claudia Vogt-Albers\n\nAm Schlosspark 3\n65205 Wiesbaden-Delkenheim\nTel. 0611 7654321",
        )
        .unwrap();
        assert_eq!(got.street, "Massenheimer Landstraße");
        assert_eq!(got.house_number, "40");
        assert_eq!(got.postal_code, None);
    }

    #[test]
    fn foreign_address_alone_is_still_returned() {
        assert_eq!(a("", "Am Schlosspark 3\n65205 Wiesbaden"), pair("Am Schlosspark", "3"));
    }

    #[test]
    fn writers_own_address_beats_a_neighbours_house() {
        assert_eq!(
            a("weil in der Ringstraße 38 jedes Wochenende gefeiert wird.", "Ringstraße 44\n65239 Hochheim"),
            pair("Ringstraße", "44")
        );
    }

    #[test]
    fn new_address_beats_the_old_one() {
        assert_eq!(
            a("Wir sind von der Hauptstraße 5 in die Kirchstraße 3 umgezogen.", ""),
            pair("Kirchstraße", "3")
        );
    }

    #[test]
    fn dates_floors_and_times_are_no_house_numbers() {
        assert_eq!(a("Am 22. April geht es nicht.", ""), None);
        assert_eq!(a("Im Oktober 2027 fliegen wir.", ""), None);
        assert_eq!(a("Am Freitag, 16.07. bin ich da", ""), None);
        assert_eq!(a("wir wohnen im 2. OG", ""), None);
        assert_eq!(a("In der Woche 24 bin ich da", ""), None);
        assert_eq!(a("Abteilung B, Reihe 7, Grab 23", ""), None);
        assert_eq!(a("auf der Massenheimer Landstraße, ungefähr auf Höhe der Hausnummer 25", ""), None);
        assert_eq!(a("Carport (ca. 3 x 6 m) am Hofgut", ""), None);
        assert_eq!(a("siehe Anlage 2, Zeile 3", ""), None);
        assert_eq!(a("Bring 2 passports. We are offering 3 dates.", ""), None);
    }
}
