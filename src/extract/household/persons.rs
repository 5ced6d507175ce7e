//! How many people the visit is for.
//!
//! Convention (from the labelled samples): count the people who need the service at the
//! visit. A writer asking for someone else ("für meinen Vater") does not count herself; a
//! parent present for a child's passport is not counted either; unclear → `None`.

use crate::classify::normalize::WordGated as Pattern;
use std::sync::OnceLock;

/// Kinship and partner nouns that name a person of the household (German and English,
/// with the ae/oe/ue spellings). Singular only: plurals need a number word to count.
const KIN: &str = r"(?:ehe)?mann|(?:ehe)?frau|partner(?:in)?|lebensgef(?:ä|ae)hrt(?:e|in)|freund(?:in)?|verlobte[rn]?|sohn|tochter|kind|baby|vater|mutter|papa|mama|oma|opa|gro(?:ß|ss)(?:vater|mutter)|schwieger(?:vater|mutter|sohn|tochter)|bruder|schwester|enkel(?:in)?|husband|wife|partner|fianc(?:é|e)e?|girlfriend|boyfriend|son|daughter|child|baby|father|mother|dad|mum|mom|grandfather|grandmother|grandma|grandpa|brother|sister";

/// Possessives that introduce a household member in nominative/accusative position
/// ("mein Mann", "für meinen Vater", "my wife"); dative "meiner Tochter" ("mit meiner
/// kleinen Tochter") is company, not an applicant, so it is left out on purpose.
const POSS: &str = r"(?:mein|meine|meinen|unser|unsere|unseren|my|our)";

fn re(cell: &'static OnceLock<Pattern>, pat: &str) -> &'static Pattern {
    cell.get_or_init(|| Pattern::new(pat).expect("static regex"))
}

/// German and English number words (cardinal, "zu dritt" forms, ordinals of groups).
fn number_word(w: &str) -> Option<u32> {
    let n = match w {
        "1" | "eins" | "ein" | "eine" | "one" => 1,
        "2" | "zwei" | "zweit" | "beide" | "beiden" | "two" | "both" => 2,
        "3" | "drei" | "dritt" | "three" => 3,
        "4" | "vier" | "viert" | "four" => 4,
        "5" | "fünf" | "fuenf" | "fünft" | "fuenft" | "five" => 5,
        "6" | "sechs" | "sechst" | "six" => 6,
        "7" | "sieben" | "siebt" | "seven" => 7,
        "8" | "acht" | "eight" => 8,
        "9" | "neun" | "nine" => 9,
        "10" | "zehn" | "ten" => 10,
        _ => return None,
    };
    Some(n)
}

/// Plural household members, counted only with a number word.
const KIDS: &str = r"kinder|s(?:ö|oe)hne|t(?:ö|oe)chter|enkel|children|kids|sons|daughters";

const NUM: &str = r"(\d{1,2}|eins|eine?|zwei|beiden?|drei|vier|f(?:ü|ue)nf|sechs|sieben|acht|neun|zehn|one|two|three|four|five|six|seven|eight|nine|ten)";

/// Read the count from the new text (the signature only helps with a couple's names).
pub fn persons(text: &str, signature: &str) -> Option<u32> {
    let lower = text.to_lowercase();
    explicit_group(&lower)
        .or_else(|| enumeration(&lower))
        .or_else(|| on_behalf(&lower))
        .or_else(|| plural_service_with_pair(&lower, text, signature))
        .or_else(|| single_writer(&lower))
        .filter(|n| (1..=10).contains(n))
}

/// Whether `t` holds one of `words`. The patterns below run on the whole mail and fall
/// back to slow engines on non-ASCII text (Unicode word boundaries); each is skipped when
/// a word every one of its matches must contain is absent, which changes no result.
fn has_any(t: &str, words: &[&str]) -> bool {
    words.iter().any(|w| t.contains(w))
}

/// "wir drei", "zu dritt", "wir beide", "3 Personen", "family of three", "both of us".
fn explicit_group(t: &str) -> Option<u32> {
    static ZU: OnceLock<Pattern> = OnceLock::new();
    static WIR_N: OnceLock<Pattern> = OnceLock::new();
    static PERS: OnceLock<Pattern> = OnceLock::new();
    static KOEPFIG: OnceLock<Pattern> = OnceLock::new();
    static EN: OnceLock<Pattern> = OnceLock::new();
    static BEIDE: OnceLock<Pattern> = OnceLock::new();
    static KIDS: OnceLock<Pattern> = OnceLock::new();

    let zu = re(&ZU, r"\bzu\s+(zweit|dritt|viert|f(?:ü|ue)nft|sechst|siebt)\b");
    if has_any(t, &["zweit", "dritt", "viert", "fünft", "fuenft", "sechst", "siebt"]) {
        if let Some(c) = zu.captures(t) {
            return number_word(&c[1].replace("ue", "ü"));
        }
    }
    let wir_n = re(&WIR_N, &format!(r"\b(?:wir|uns)\s+(?:sind\s+)?(?:also\s+)?(?:alle\s+)?{NUM}\b(?:\s+(\p{{L}}+))?"));
    let wir_words = has_any(t, &["wir", "uns"]);
    for c in wir_words.then(|| wir_n.captures_iter(t)).into_iter().flatten() {
        // "wir eine Frage" is no count (only numbers above one), nor "sind wir zwei Wochen weg".
        const SPANS: &[&str] = &["wochen", "tage", "monate", "jahre", "stunden", "mal", "tagen", "wochenenden", "nächte", "naechte"];
        if c.get(2).is_some_and(|w| SPANS.contains(&w.as_str())) {
            continue;
        }
        if let Some(n) = number_word(&c[1].replace("ue", "ü")).filter(|n| *n > 1) {
            return Some(n);
        }
    }
    // "2 Erwachsene, 2 Kinder" / "two adults and a child": the household adds up.
    static MIXED: OnceLock<Pattern> = OnceLock::new();
    let mixed = re(&MIXED, &format!(r"\b{NUM}\s+(?:erwachsene|adults)\s*(?:,|und|and|\+|&)\s*(?:{NUM}|ein|eine|a|one)\s+(?:kinder?n?|kids?|child(?:ren)?|jugendliche)\b"));
    if let Some(c) = mixed.captures(t) {
        let adults = number_word(&c[1].replace("ue", "ü"));
        let kids = c.get(2).map_or(Some(1), |m| number_word(&m.as_str().replace("ue", "ü")));
        if let (Some(a), Some(k)) = (adults, kids) {
            return Some(a + k);
        }
    }
    let pers = re(&PERS, &format!(r"\b{NUM}\s+(?:personen|erwachsene|people|persons|adults)\b"));
    let pers_words = has_any(t, &["personen", "erwachsene", "people", "persons", "adults"]);
    if let Some(n) = pers_words.then(|| pers.captures(t)).flatten().and_then(|c| number_word(&c[1].replace("ue", "ü"))) {
        return Some(n);
    }
    let koepfig = re(&KOEPFIG, r"\b(\d|zwei|drei|vier|f(?:ü|ue)nf|sechs)[\s-]*k(?:ö|oe)pfige[nr]?\s+familie");
    let koepfig_words = t.contains("pfige") && t.contains("familie");
    if let Some(n) = koepfig_words.then(|| koepfig.captures(t)).flatten().and_then(|c| number_word(&c[1].replace("ue", "ü"))) {
        return Some(n);
    }
    let en = re(&EN, &format!(r"\b(?:family\s+of|the|all)?\s*{NUM}\s+of\s+us\b|\bfamily\s+of\s+{NUM}\b|\b(?:both)\s+of\s+us\b|\bwe\s+both\b|\bfor\s+(?:the\s+)?{NUM}\s+of\s+us\b"));
    let en_words = (t.contains("of") && t.contains("us")) || has_any(t, &["family", "both"]);
    if let Some(c) = en_words.then(|| en.captures(t)).flatten() {
        let w = c.get(1).or_else(|| c.get(2)).or_else(|| c.get(3)).map(|m| m.as_str()).unwrap_or("both");
        if let Some(n) = number_word(w) {
            return Some(n);
        }
    }
    // A married couple speaking as one: "wir als Ehepaar", "we are a couple".
    static COUPLE: OnceLock<Pattern> = OnceLock::new();
    if has_any(t, &["ehepaar", "couple"]) && re(&COUPLE, r"\b(?:wir|uns)\b[^.!?\n]{0,30}\behepaar\b|\behepaar\s+\p{L}+\s+(?:m(?:ö|oe)chte|braucht|ben(?:ö|oe)tigt)|\b(?:we\s+are|as)\s+a\s+(?:married\s+)?couple\b").is_match(t) {
        return Some(2);
    }
    // "für unsere beiden Kinder" / "for our two children": the children are the applicants.
    let kids = re(&KIDS, &format!(r"\b(?:unsere|our)\s+{NUM}\s+(?:kinder|söhne|soehne|töchter|toechter|children|kids|sons|daughters)\b"));
    let kid_words = ["kinder", "söhne", "soehne", "töchter", "toechter", "children", "kids", "sons", "daughters"];
    if let Some(n) = has_any(t, &kid_words).then(|| kids.captures(t)).flatten().and_then(|c| number_word(&c[1].replace("ue", "ü"))) {
        // Parents counting themselves in ("für mich und unsere beiden Kinder") are an
        // enumeration; let that rule decide.
        if enumeration(t).is_none() {
            return Some(n);
        }
    }
    // "wir ... beide", "uns beide": the pair itself; "beide" in the same sentence as wir/uns.
    let beide = re(&BEIDE, r"\b(?:wir|uns)\b[^.!?\n]{0,60}?\bbeide\b");
    if t.contains("beide") && beide.is_match(t) {
        return Some(2);
    }
    None
}

/// "mein Mann Jörg und ich", "mein Mann Vitali, unsere Tochter Mila (8) und ich",
/// "für meinen Mann und mich … und für unseren Sohn", "my partner Tomás and I".
fn enumeration(t: &str) -> Option<u32> {
    static AND_I: OnceLock<Pattern> = OnceLock::new();
    static I_AND: OnceLock<Pattern> = OnceLock::new();
    static KIN_RE: OnceLock<Pattern> = OnceLock::new();
    static FOR_KIN: OnceLock<Pattern> = OnceLock::new();
    let and_i = re(&AND_I, r"\b(?:und|sowie|and)\s+(?:ich|mich|mir|i|me|myself)\b");
    let i_and = re(&I_AND, &format!(r"\b(?:ich|mich|mir|i|me)\s+(?:und|and|sowie)\s+{POSS}\s+(?:\p{{L}}+\s+)?(?:{KIN}|{NUM}\s+(?:{KIDS}))\b"));
    let kin_re = re(&KIN_RE, &format!(r"\b{POSS}\s+(?:\p{{L}}+\s+)?(?:{KIN})\b"));
    let for_kin = re(&FOR_KIN, &format!(r"(?:\b(?:und|sowie|and|für|fuer|for)|,)\s+(?:(?:für|fuer|for)\s+)?{POSS}\s+(?:\p{{L}}+\s+)?(?:{KIN})\b"));
    static KIDS_N: OnceLock<Pattern> = OnceLock::new();
    // "meine zwei Kinder": plural members count with their number word.
    let kids_n = re(&KIDS_N, &format!(r"\b{POSS}\s+{NUM}\s+(?:{KIDS})\b"));
    let kids_count = |s: &str| -> u32 {
        kids_n.captures_iter(s).filter_map(|c| number_word(&c[1].replace("ue", "ü"))).sum()
    };

    for m in and_i.find_iter(t) {
        let start = sentence_start(t, m.start());
        let before = &t[start..m.start()];
        let mut kins: Vec<_> = kin_re.find_iter(before).collect();
        kins.extend(kids_n.find_iter(before));
        kins.sort_by_key(|m| m.end());
        let Some(last) = kins.last() else { continue };
        // "meine Frau ist krank und ich brauche …" is no pair: only names or a
        // parenthesis may stand between the last member and "und ich".
        if !is_name_gap(&before[last.end()..]) || first_person_verb_follows(&t[m.end()..]) {
            continue;
        }
        let end = sentence_end(t, m.end());
        let after = &t[m.end()..end];
        let more = for_kin.find_iter(after).count() as u32 + kids_count(after);
        let plural = kids_count(before);
        let singles = kins.len() as u32 - kids_n.find_iter(before).count() as u32;
        return Some(1 + singles + plural + more);
    }
    // "Mein Mann braucht einen neuen Pass, ich auch." / "my wife needs one, me too".
    static TOO: OnceLock<Pattern> = OnceLock::new();
    let too = re(&TOO, r"\b(?:ich\s+auch|ich\s+ebenfalls|me\s+too|so\s+do\s+i|i\s+do\s+too|i\s+also\s+need)\b");
    if let Some(m) = too.find(t) {
        let start = sentence_start(t, m.start());
        let n = kin_re.find_iter(&t[start..m.start()]).count() as u32;
        if n > 0 {
            return Some(1 + n);
        }
    }
    if let Some(m) = i_and.find(t) {
        let end = sentence_end(t, m.start());
        let span = &t[m.start()..end];
        let n = kin_re.find_iter(span).count() as u32 + kids_count(span);
        return Some(1 + n.max(1));
    }
    None
}

/// "ich schreibe für meinen Vater", "für meine Mutter", "for my father": the writer is a
/// go-between; "für meine Eltern" are two.
fn on_behalf(t: &str) -> Option<u32> {
    static ONE: OnceLock<Pattern> = OnceLock::new();
    static PARENTS: OnceLock<Pattern> = OnceLock::new();
    let parents = re(&PARENTS, r"\b(?:für|fuer|for)\s+(?:meine|unsere|my|our)\s+(?:eltern|schwiegereltern|gro(?:ß|ss)eltern|parents|grandparents)\b");
    static PARENTS_NEED: OnceLock<Pattern> = OnceLock::new();
    let parents_need = re(&PARENTS_NEED, r"\b(?:meine|unsere|my|our)\s+(?:eltern|schwiegereltern|gro(?:ß|ss)eltern|parents|grandparents)\b[^.!?\n]{0,40}\b(?:brauchen|ben(?:ö|oe)tigen|m(?:ö|oe)chten|m(?:ü|ue)ssen|wollen|need|want|would\s+like)\b");
    if parents.is_match(t) || parents_need.is_match(t) {
        return Some(2);
    }
    let one = re(&ONE, &format!(r"\b(?:für|fuer|for)\s+{POSS}\s+(?:\p{{L}}+\s+)?(?:{KIN})\b|\bim\s+(?:namen|auftrag)\s+(?:meines|meiner|unseres|unserer)\b|\bon\s+behalf\s+of\s+my\b"));
    if one.is_match(t) {
        return Some(1);
    }
    None
}

/// "Wir möchten uns anmelden" signed "Henrik und Marie Solberg": two names in the closing
/// line stand for the pair when the text speaks as "wir" about the service.
fn plural_service_with_pair(lower: &str, text: &str, signature: &str) -> Option<u32> {
    static PAIR: OnceLock<Pattern> = OnceLock::new();
    if !plural_service(lower) {
        return None;
    }
    let pair = re(&PAIR, r"(?m)^[ \t]*\p{Lu}\p{Ll}+[ \t]+(?:und|&|and|u\.)[ \t]+\p{Lu}\p{Ll}+[ \t]+\p{Lu}[\p{L}-]+[ \t]*$");
    if pair.is_match(text) || pair.is_match(signature) {
        return Some(2);
    }
    None
}

/// The household speaks as "wir"/"we" about what it needs.
fn plural_service(t: &str) -> bool {
    static PL: OnceLock<Pattern> = OnceLock::new();
    re(&PL, r"\b(?:wir|we)\s+(?:brauchen|ben(?:ö|oe)tigen|br(?:ä|ae)uchten|m(?:ö|oe)chten|wollen|m(?:ü|ue)ssen|w(?:ü|ue)rden|need|would\s+like|want|have\s+to|must)\b|\b(?:uns|ourselves)\s+(?:\p{L}+\s+){0,3}(?:an|ab|um)melden\b|\bunsere\s+(?:ausweise|personalausweise|p(?:ä|ae)sse|reisep(?:ä|ae)sse)\b|\bour\s+(?:passports|id\s+cards)\b.*\b(?:need|renew)")
        .is_match(t)
}

/// A writer speaking only for herself: "ich brauche", "benötige ich", "I need".
fn single_writer(t: &str) -> Option<u32> {
    static I: OnceLock<Pattern> = OnceLock::new();
    // Also without the pronoun: "Moin, mein Perso ist abgelaufen. Bin werktags da."
    let i = re(&I, r"\b(?:ich|i|i'm|i’m|mir|mich|mein|meine|meinen|meinem|meiner|my|bin)\b");
    if i.is_match(t) && !plural_service(t) {
        return Some(1);
    }
    None
}

/// Between a household member and "und ich": at most a name or two, a parenthesis.
fn is_name_gap(gap: &str) -> bool {
    const VERBS: &[&str] = &[
        "ist", "is", "hat", "has", "war", "was", "wird", "will", "kann", "can", "muss", "liegt",
        "geht", "braucht", "needs", "lebt", "lives", "wohnt", "arbeitet", "works", "sagt", "says",
    ];
    gap.chars().count() <= 40
        && !gap
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| VERBS.contains(&w))
}

/// "… und ich brauche" (first person singular) ends the pair; "und ich brauchen" does not.
fn first_person_verb_follows(rest: &str) -> bool {
    // Words in -e after "und ich" that are no first-person verb.
    const NOT_VERBS: &[&str] = &["sie", "die", "wie", "sowie", "beide", "gerne", "alleine", "zuhause", "heute", "ohne", "ebenfalls"];
    const SG: &[&str] = &["bin", "kann", "muss", "will", "darf", "soll", "weiß", "weiss", "mag", "hab", "am"];
    let Some(w) = rest.split(|c: char| !c.is_alphanumeric() && c != 'ß').find(|w| !w.is_empty()) else {
        return false;
    };
    // A parenthesis ("und ich (Sabine) brauchen") or comma right after means a list.
    let next = rest.trim_start();
    if next.starts_with('(') || next.starts_with(',') {
        return false;
    }
    SG.contains(&w) || (w.ends_with('e') && w.chars().count() > 2 && !NOT_VERBS.contains(&w))
}

fn sentence_start(t: &str, at: usize) -> usize {
    t[..at].rfind(['.', '!', '?', '\n', ':', ';']).map(|i| i + 1).unwrap_or(0)
}

fn sentence_end(t: &str, at: usize) -> usize {
    t[at..].find(['.', '!', '?', '\n', ';']).map(|i| at + i).unwrap_or(t.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(t: &str) -> Option<u32> {
        persons(t, "")
    }

    #[test]
    fn couple_with_name_and_ich_is_two() {
        assert_eq!(p("mein Mann Jörg und ich (Sabine) brauchen beide einen Ausweis."), Some(2));
        assert_eq!(p("Meine Frau und ich ziehen nach Wien."), Some(2));
        assert_eq!(p("meine Lebensgefährtin Sophie Marx und ich sind umgezogen"), Some(2));
        assert_eq!(p("Ich und meine Frau möchten uns ummelden."), Some(2));
    }

    #[test]
    fn english_couple_is_two() {
        assert_eq!(p("my partner Tomás and I arrived from Lisbon last week"), Some(2));
        assert_eq!(p("My wife and I need new passports."), Some(2));
        assert_eq!(p("We both need new ID cards."), Some(2));
    }

    #[test]
    fn group_words_give_the_count() {
        assert_eq!(p("mein Mann Vitali, unsere Tochter Mila (8) und ich, also wir drei."), Some(3));
        assert_eq!(p("Wir wären also zu dritt."), Some(3));
        assert_eq!(p("wir vier brauchen neue Pässe"), Some(4));
        assert_eq!(p("Wir sind eine vierköpfige Familie."), Some(4));
        assert_eq!(p("Anmeldung für 3 Personen"), Some(3));
        assert_eq!(p("wir (2 Erwachsene, 2 Kinder) sind umgezogen"), Some(4));
        assert_eq!(p("We are two adults and a child."), Some(3));
        assert_eq!(p("We are a family of three."), Some(3));
        assert_eq!(p("the two of us would be at home"), Some(2));
        assert_eq!(p("There are three of us."), Some(3));
        assert_eq!(p("Wir sind ein älteres Ehepaar und brauchen neue Ausweise."), Some(2));
    }

    #[test]
    fn enumeration_counts_members_named_for_the_service() {
        assert_eq!(
            p("für meinen Mann Daniel und mich jeweils einen Reisepass und für unseren Sohn Ben (6) einen Kinderreisepass."),
            Some(3)
        );
    }

    #[test]
    fn enumerations_with_plural_members_and_me_first() {
        assert_eq!(p("Meine Frau, meine zwei Kinder und ich brauchen neue Pässe."), Some(4));
        assert_eq!(p("Für mich und meinen Mann bitte je einen Ausweis."), Some(2));
        assert_eq!(p("Me and my husband need new ID cards."), Some(2));
        assert_eq!(p("Mein Mann und ich sowie unsere Tochter brauchen Pässe."), Some(3));
        assert_eq!(p("Mein Mann braucht einen neuen Pass, ich auch."), Some(2));
    }

    #[test]
    fn children_named_with_a_number_are_the_applicants() {
        assert_eq!(p("Wir brauchen Kinderreisepässe für unsere beiden Kinder."), Some(2));
        assert_eq!(p("for our two children we need passports"), Some(2));
    }

    #[test]
    fn writing_for_someone_else_counts_only_them() {
        assert_eq!(p("ich schreibe für meinen Vater, Herrn Heinrich Vogt (88)."), Some(1));
        assert_eq!(p("I am writing for my mother, who cannot leave the house."), Some(1));
        assert_eq!(p("Ich möchte für meine Eltern einen Termin."), Some(2));
        assert_eq!(p("Meine Eltern (beide über 80) brauchen neue Ausweise. Ich schreibe für sie."), Some(2));
    }

    #[test]
    fn single_writer_is_one() {
        assert_eq!(p("ich benötige einen neuen Reisepass."), Some(1));
        assert_eq!(p("Ein Hausbesuch wäre für mich ideal."), Some(1));
        assert_eq!(p("für eine Bewerbung brauche ich beglaubigte Kopien"), Some(1));
        assert_eq!(p("I need a registration certificate for my wife's visa."), Some(1));
        assert_eq!(p("Moin, mein Perso ist abgelaufen. Bin werktags ab 18 Uhr da."), Some(1));
    }

    #[test]
    fn a_member_in_another_clause_is_no_pair() {
        assert_eq!(p("Meine Frau ist verreist und ich brauche einen neuen Ausweis."), Some(1));
        assert_eq!(p("Mein Ausweis ist abgelaufen und ich brauche einen neuen."), Some(1));
        assert_eq!(p("Nächsten Monat sind wir zwei Wochen weg, ich brauche einen Pass."), Some(1));
    }

    #[test]
    fn company_and_plans_of_others_do_not_count() {
        assert_eq!(p("Ich würde es abgeben, komme aber mit meiner kleinen Tochter schlecht weg."), Some(1));
        assert_eq!(p("ich bin 17, meine Eltern meinten das. Danach sind wir verreist."), Some(1));
    }

    #[test]
    fn plural_without_count_is_unclear_unless_a_pair_signs() {
        assert_eq!(p("Wir möchten uns anmelden."), None);
        assert_eq!(persons("Wir möchten uns abmelden.", "Henrik und Marie Solberg\nWilhelmstraße 22"), Some(2));
    }
}
