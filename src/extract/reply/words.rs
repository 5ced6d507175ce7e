//! Word families that cancel or move an appointment (German and English).

use super::options::re;
use regex::Regex;
use std::sync::OnceLock;

/// The matter is settled: "brauchen den Termin nicht mehr", "hat sich erledigt",
/// "no longer needed".
pub(super) fn need_gone(t: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    re(
        &RE,
        r"\b(?:brauchen|brauche|benötigen|benoetigen|benötige|benoetige)\b[^.!?\n]{0,40}\bnicht\s+mehr\b|\bnicht\s+mehr\s+(?:nötig|noetig|notwendig|erforderlich|gebraucht|benötigt|benoetigt)\b|\b(?:hat|haben)\s+sich\s+(?:\p{L}+\s+){0,2}erledigt\b|\berledigt\s+sich\b|\bist\s+(?:\p{L}+\s+)?erledigt\b|\bhinf(?:ä|ae)llig\b|\bno\s+longer\s+(?:need\w*|necessary|required)\b|\b(?:don't|do\s+not|won't|will\s+not)\s+need\b[^.!?\n]{0,30}\b(?:anymore|any\s+more)\b|\bnot\s+needed\s+any\s*more\b|\bno\s+need\s+any\s*more\b|\b(?:don't|do\s+not|won't|will\s+not)\s+need\s+(?:the|a|this|our|your)\s+(?:visit|appointment|home\s+visit)\b|\bkeine[nr]?\s+(?:termin|besuch|hausbesuch)\s+mehr\b|\b(?:brauchen|müssen|muessen)\s+(?:\p{L}+\s+){0,3}nicht\s+(?:mehr\s+)?(?:zu\s+)?kommen\b|\bzur(?:ü|ue)ckzieh\w*|\bziehe\w*\s+(?:\p{L}+\s+){0,4}zur(?:ü|ue)ck\b|\bwithdraw\w*",
    )
    .is_match(t)
}

/// "absagen", "stornieren", "bitte streichen", "cancel", unless negated ("nicht absagen").
pub(super) fn cancel_verb(clauses: &[String]) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    static NEG: OnceLock<Regex> = OnceLock::new();
    let r = re(
        &RE,
        r"\b(?:absag\w*|abzusagen|absage|sage[n]?\s+(?:\p{L}+\s+){0,4}ab\b|storn\w*|streich\w*|annullier\w*|cancel\w*|call\s+(?:it\s+)?off|entf(?:ä|ae)llt|entfallen|l(?:ö|oe)schen\s+sie\s+(?:den|unseren|meinen)\s+termin)",
    );
    let neg = re(&NEG, r"\b(?:nicht|not|don't|do\s+not|kein\w*)\s+(?:\p{L}+\s+){0,2}$");
    clauses.iter().any(|c| r.find_iter(c).any(|m| !neg.is_match(&c[..m.start()])))
}

/// An explicit wish to move: "verschieben", "anderen Termin", "keiner der Termine passt".
pub(super) fn move_wish(t: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    re(
        &RE,
        r"\bverschieb\w*|\b(?:termin|besuch|hausbesuch)\b[^.!?\n]{0,40}\bverschoben\b|\bverlege\w*|\bverlegung\b|\bumlegen\b|\bumbuchen\b|\btauschen\b|\breschedul\w*|\bpostpone\w*|\bmove\s+(?:it|the|our|this)\b|\b(?:another|a\s+different|other|a\s+later|a\s+new)\s+(?:date|time|day|slot|appointment)s?\b|\b(?:einen|ein|eine)?\s*(?:andere[nr]?|neue[nr]?|spätere[nr]?|spaetere[nr]?|alternative[nr]?)\s+(?:termin|tag|zeitpunkt|zeit|datum|termine|tage)\b|\bkeine[rsn]?\s+(?:der|von\s+den|dieser|ihrer)\s+(?:termine|vorschläge|vorschlaege|zeiten|optionen|termin)\b|\bkeiner\s+(?:passt|geht)\b|\bnone\s+of\s+(?:the|these|them|your)\b|\bdoesn't\s+suit|\bpasst\s+(?:uns\s+|mir\s+)?(?:leider\s+)?doch\s+nicht\b|\bdoch\s+nicht\s+(?:passt|geht|können|koennen|kann)\b|\bauf\s+(?:\p{L}+\s+){1,4}(?:legen|verlegen)\b|\b(?:geht|ginge|ginge\s+es|gehts)\s+(?:es\s+)?(?:auch\s+)?(?:später|spaeter|früher|frueher)\b",
    )
    .is_match(t)
}

pub(super) fn switch_word(t: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    re(&RE, r"\b(?:statt|anstatt|anstelle|lieber|stattdessen|instead|rather)\b").is_match(t)
}

/// "passt leider nicht", "geht nicht", "can't make it": counts only when nothing is picked.
pub(super) fn move_weak(clauses: &[String]) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let r = re(
        &RE,
        r"\b(?:passt|passen|geht|gehen|klappt|klappen)\s+(?:\p{L}+\s+){0,3}nicht\b|\bnicht\s+(?:\p{L}+\s+){0,2}(?:passt|passen|geht|gehen|klappt|können|koennen|kann)\b|\bcan(?:'t|not|’t)\s+make\b|\b(?:doesn't|don't|does\s+not|do\s+not)\s+work\b",
    );
    clauses.iter().any(|c| r.is_match(c))
}
