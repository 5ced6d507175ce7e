//! Split a mail's text into what the citizen newly wrote, the quoted earlier mail and the
//! signature.
//!
//! Quotes come in two shapes:
//! - *marked*: `>` lines, optionally introduced by an attribution ("Am … schrieb X:",
//!   "On … wrote:") or a header block (GMX/web.de "Gesendet: / Von: / An: / Betreff:").
//!   Only the marked lines (and their introduction) are quoted, so text written below the
//!   quote (bottom-posting, interleaved answers) stays new text.
//! - *unmarked*: Outlook's "-----Ursprüngliche Nachricht-----" / "-----Original Message-----",
//!   a "Von: … Gesendet: … An: … Betreff:" block, or an attribution not followed by `>`
//!   lines. The earlier mail follows without markers, so everything from there on is quoted.
//!
//! Signatures, within each run of new text: after a "-- " / "--" line; a mobile footer
//! ("Von meinem iPhone gesendet", "Sent from my iPhone", …) and what little follows it;
//! and a sign-off block without a delimiter. For the latter the choice is: the closing
//! ("Viele Grüße", "Best regards", …) and the name line stay in `new_text` (they are part
//! of what the citizen wrote, and the name helps the reply), the lines after the name go
//! to `signature` only when they look like contact data (street and number, postcode,
//! phone, e-mail, web) and are few and short. That is where a later stage looks for the
//! writer's own address and phone, apart from an address named in the text.

use super::Body;
use crate::classify::normalize::WordGated;
use std::sync::OnceLock;

/// Split decoded text (any line ends) into new text, quote and signature.
pub fn split(text: &str) -> Body {
    let lines: Vec<&str> = text.lines().collect();
    let roles = roles(&lines);

    let mut new_lines: Vec<(usize, &str)> = Vec::new();
    let mut quoted = Vec::new();
    for (i, (line, role)) in lines.iter().zip(&roles).enumerate() {
        match role {
            Role::New => new_lines.push((i, line)),
            Role::Quote => quoted.push(strip_marker(line)),
            Role::Intro => quoted.push(line.to_string()),
        }
    }

    // Runs of consecutive new lines: a signature ends where a quote begins.
    let mut runs: Vec<Vec<&str>> = Vec::new();
    let mut last: Option<usize> = None;
    for (i, line) in new_lines {
        if last.is_none_or(|l| l + 1 != i) || runs.is_empty() {
            runs.push(Vec::new());
        }
        if let Some(run) = runs.last_mut() {
            run.push(line);
        }
        last = Some(i);
    }
    let mut new_text = Vec::new();
    let mut signature = Vec::new();
    for run in runs {
        let (n, s) = split_signature(&run);
        new_text.extend(n);
        signature.extend(s);
    }

    Body { new_text: join(&new_text), quoted: join_owned(&quoted), signature: join(&signature) }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    New,
    /// A `>` line.
    Quote,
    /// Introduction of a quote or an unmarked quoted line, kept verbatim.
    Intro,
}

fn roles(lines: &[&str]) -> Vec<Role> {
    let mut roles = vec![Role::New; lines.len()];
    let mut i = 0;
    while i < lines.len() {
        let line = lines.get(i).copied().unwrap_or_default();
        if is_quote_line(line) {
            if let Some(r) = roles.get_mut(i) {
                *r = Role::Quote;
            }
            i += 1;
            continue;
        }
        if is_separator(line) {
            mark_rest(&mut roles, lines, i);
            break;
        }
        let intro_end = attribution_end(lines, i).or_else(|| header_block_end(lines, i));
        if let Some(end) = intro_end {
            // Outlook puts a rule of underscores (or dashes) right above its header block.
            let start = previous_nonblank(lines, i)
                .filter(|&p| is_rule(lines.get(p).copied().unwrap_or_default()))
                .unwrap_or(i);
            if next_nonblank(lines, end + 1).is_some_and(|n| is_quote_line(lines.get(n).copied().unwrap_or_default())) {
                for r in roles.iter_mut().take(end + 1).skip(start) {
                    *r = Role::Intro;
                }
                i = end + 1;
                continue;
            }
            if unmarked_cut_allowed(lines, i, end) {
                mark_rest(&mut roles, lines, start);
                break;
            }
        }
        i += 1;
    }
    roles
}

/// From `start` on everything is the earlier mail; `>` lines keep their marker stripped.
fn mark_rest(roles: &mut [Role], lines: &[&str], start: usize) {
    for (k, r) in roles.iter_mut().enumerate().skip(start) {
        *r = if is_quote_line(lines.get(k).copied().unwrap_or_default()) { Role::Quote } else { Role::Intro };
    }
}

/// An unmarked cut needs a strong introduction: a header block, or an attribution that
/// carries a date or time ("Am 07.06.2027 um 09:14 schrieb …:"), never a bare
/// "Mein Nachbar schrieb mir:" in the citizen's own words.
fn unmarked_cut_allowed(lines: &[&str], start: usize, end: usize) -> bool {
    if header_block_end(lines, start).is_some() {
        return true;
    }
    let intro: String = lines.get(start..=end).unwrap_or_default().join(" ");
    starts_like_attribution(lines.get(start).copied().unwrap_or_default()) && intro.chars().any(|c| c.is_ascii_digit())
}

fn previous_nonblank(lines: &[&str], i: usize) -> Option<usize> {
    (0..i).rev().find(|&k| !lines.get(k).is_none_or(|l| l.trim().is_empty()))
}

fn next_nonblank(lines: &[&str], from: usize) -> Option<usize> {
    (from..lines.len()).find(|&k| !lines.get(k).is_none_or(|l| l.trim().is_empty()))
}

/// Patterns searched without their (Unicode) word boundaries first: see [`WordGated`].
fn re(cell: &'static OnceLock<WordGated>, pattern: &str) -> &'static WordGated {
    cell.get_or_init(|| WordGated::new(pattern).expect("static regex"))
}

fn is_quote_line(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('>') && line.len() - t.len() <= 3
}

/// `> text` → `text`, `>> text` → `> text`.
fn strip_marker(line: &str) -> String {
    let t = line.trim_start();
    let t = t.strip_prefix('>').unwrap_or(t);
    t.strip_prefix(' ').unwrap_or(t).to_string()
}

/// "-----Ursprüngliche Nachricht-----", "-----Original Message-----", forwards.
fn is_separator(line: &str) -> bool {
    static RE: OnceLock<WordGated> = OnceLock::new();
    re(
        &RE,
        r"(?i)^\s*[-_=*]{2,}\s*(urspr(ü|ue|u)ngliche\s+nachricht|original\s*-?\s*(message|nachricht)|weitergeleitete\s+nachricht|forwarded\s+message|nachricht\s+im\s+original|message\s+d'origine|message\s+original|mensaje\s+original|messaggio\s+originale|mensagem\s+original|orijinal\s+(ileti|mesaj)|oryginalna\s+wiadomość|wiadomość\s+oryginalna|originalbericht|oorspronkelijk\s+bericht|исходное\s+сообщение|beginn\s+der\s+weitergeleiteten\s+nachricht)\s*:?\s*[-_=*]*\s*$",
    )
    .is_match(line)
        || {
            static APPLE: OnceLock<WordGated> = OnceLock::new();
            // Apple Mail's forward intro has no rule around it.
            re(&APPLE, r"(?i)^\s*(Beginn der weitergeleiteten Nachricht|Begin forwarded message)\s*:\s*$").is_match(line)
        }
}

/// A line of underscores or dashes (Outlook's rule above the header block).
fn is_rule(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 8 && t.chars().all(|c| c == '_' || c == '-' || c == '—')
}

fn starts_like_attribution(line: &str) -> bool {
    static RE: OnceLock<WordGated> = OnceLock::new();
    // Also other-language clients (Polish "W dniu …", Turkish "7 Haz 2027 … yazdı:").
    re(&RE, r"(?i)^\s*(am|on|le|el|il|op|den|em|w\s+dniu|dne)\s+\S|^\s*(\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}\.?\s+\p{L}{3,}\.?\s+\d{4})\b").is_match(line)
}

/// If an attribution starts at `i` ("Am … schrieb X:", "On … wrote:", also folded over up
/// to three lines as Gmail does), the index of its last line.
fn attribution_end(lines: &[&str], i: usize) -> Option<usize> {
    static VERB: OnceLock<WordGated> = OnceLock::new();
    let verb = re(
        &VERB,
        r"(?i)(\b(schrieb|schreibt|geschrieben|wrote|writes|a\s+écrit|escribió|ha\s+scritto|schreef|skrev|napisał|napisała|pisze|yazdı|написал|написала|escreveu|napsal)\b|yazdı)",
    );
    static ZITAT: OnceLock<WordGated> = OnceLock::new();
    let zitat = re(&ZITAT, r"(?i)^\s*(zitat von|quoting)\s+.{1,150}:\s*$");
    // "Am 3.5. schrieb ich Ihnen:" is the citizen talking, not a client's attribution.
    static OWN: OnceLock<WordGated> = OnceLock::new();
    let own_words = re(
        &OWN,
        r"(?i)\b(schrieb|schreibt)\s+(ich|wir|sie|er|es|ihr|du|man|mir|uns|ihnen|mein|meine|unser|unsere)\b|\b(i|we|you|he|she|they)\s+(wrote|write)\b|\b(ich|wir)\b.{0,40}\bgeschrieben\b",
    );
    let first = lines.get(i)?;
    if zitat.is_match(first) {
        return Some(i);
    }
    let mut joined = String::new();
    for j in i..(i + 3).min(lines.len()) {
        let l = lines.get(j)?;
        if l.trim().is_empty() || is_quote_line(l) || joined.len() > 300 {
            return None;
        }
        joined.push_str(l.trim());
        joined.push(' ');
        if l.trim_end().ends_with(':') && verb.is_match(&joined) && !own_words.is_match(&joined) {
            // "X schrieb:" anywhere in the line, or an "Am/On …" intro with the verb later.
            if starts_like_attribution(first) || j == i {
                return Some(j);
            }
        }
        if !starts_like_attribution(first) {
            return None; // only "Am/On …" intros are folded over several lines
        }
    }
    None
}

/// If a mail-header block ("Von: / Gesendet: / An: / Betreff:", in any order, German or
/// English) starts at `i`, the index of its last line.
fn header_block_end(lines: &[&str], i: usize) -> Option<usize> {
    static KEY: OnceLock<WordGated> = OnceLock::new();
    let key = re(
        &KEY,
        r"(?i)^\s*\*?(von|from|gesendet|sent|datum|date|an|to|betreff|subject|cc|kopie|bcc|antwort an|reply-to|de|envoyé|à|objet|enviado|para|asunto|da|inviato|a|oggetto|kimden|gönderildi|tarih|kime|konu|od|wysłano|data|do|temat|от|отправлено|кому|тема)\s*:\*?(\s|$)",
    );
    let group = |l: &str| -> Option<u8> {
        let c = key.captures(l)?;
        Some(match c.get(1)?.as_str().to_lowercase().as_str() {
            "von" | "from" | "de" | "da" | "kimden" | "od" | "от" => 0,
            "gesendet"
            | "sent"
            | "datum"
            | "date"
            | "envoyé"
            | "enviado"
            | "inviato"
            | "gönderildi"
            | "tarih"
            | "wysłano"
            | "data"
            | "отправлено" => 1,
            "an" | "to" | "à" | "para" | "a" | "kime" | "do" | "кому" => 2,
            "betreff" | "subject" | "objet" | "asunto" | "oggetto" | "konu" | "temat" | "тема" => 3,
            _ => 4,
        })
    };
    let first = group(lines.get(i)?)?;
    if first == 4 {
        return None;
    }
    let mut seen = [false; 5];
    let mut end = i;
    for j in i..(i + 10).min(lines.len()) {
        let l = lines.get(j)?;
        if l.trim().is_empty() || is_quote_line(l) {
            break;
        }
        match group(l) {
            Some(g) => {
                if let Some(s) = seen.get_mut(g as usize) {
                    *s = true;
                }
                end = j;
            }
            // A wrapped recipient list continues the previous header.
            None if j > i && l.starts_with([' ', '\t']) => end = j,
            None => break,
        }
    }
    let core = seen.iter().take(4).filter(|s| **s).count();
    (core >= 3 && (seen[0] || seen[3])).then_some(end)
}

/// Split one run of new lines into (new text, signature).
fn split_signature<'a>(run: &[&'a str]) -> (Vec<&'a str>, Vec<&'a str>) {
    // 1. "-- " / "--" delimiter: everything after it.
    if let Some(k) = run.iter().position(|l| matches!(l.trim_end(), "--" | "-- " | "—")) {
        let (new, mut sig) = signoff(run.get(..k).unwrap_or_default());
        sig.extend_from_slice(run.get(k + 1..).unwrap_or_default());
        return (new, sig);
    }
    // 2. Mobile footer: the footer and a short tail after it.
    if let Some(k) = run.iter().position(|l| is_mobile_footer(l)) {
        let tail = run.get(k..).unwrap_or_default();
        let tail_lines = tail.iter().filter(|l| !l.trim().is_empty()).count();
        let (new, mut sig) = signoff(run.get(..k).unwrap_or_default());
        if tail_lines <= 6 {
            sig.extend_from_slice(tail);
            return (new, sig);
        }
        // A footer in the middle of long text: only the footer line is signature.
        let mut new = new;
        sig.push(run.get(k).copied().unwrap_or_default());
        new.extend_from_slice(run.get(k + 1..).unwrap_or_default());
        return (new, sig);
    }
    // 3. Sign-off block with contact data.
    signoff(run)
}

fn is_mobile_footer(line: &str) -> bool {
    static RE: OnceLock<WordGated> = OnceLock::new();
    let t = line.trim();
    t.chars().count() <= 100
        && re(
            &RE,
            r"(?i)^(von\s+meinem\s+.{1,60}\s+gesendet|gesendet\s+(von|mit|über|vom)\s+(meinem|meiner|der|dem|outlook|mail|gmx|web\.de|t-online|yahoo|samsung|aol|proton)\b.{0,60}|sent\s+(from|with|via)\s+(my|outlook|mail|proton|yahoo|samsung|aol|gmail|the)\b.{0,60}|get\s+outlook\s+for\s+\S+|diese\s+nachricht\s+wurde\s+(von|mit)\s+.{1,70}\s+gesendet\.?|envoyé\s+de\s+mon\s+.{1,40}|enviado\s+desde\s+mi\s+.{1,40}|inviato\s+da(l)?\s+.{1,40})[.!]?$",
        )
        .is_match(t)
}

/// Closing line ("Viele Grüße", "Mit freundlichen Grüßen", "LG", "Best regards", …),
/// possibly with the name on the same line.
fn is_closing(line: &str) -> bool {
    static RE: OnceLock<WordGated> = OnceLock::new();
    let t = line.trim();
    t.chars().count() <= 60
        && re(
            &RE,
            r"(?i)^((und|and|&)\s+)?((danke|vielen\s+dank|besten\s+dank|thanks|many\s+thanks|thank\s+you)\s*(und|and|&|,|!)?\s*)?((mit|with)\s+)?((den|the)\s+)?((viele|vielen|liebe|lieben|beste|besten|herzliche|herzlichen|freundliche|freundlichen|schöne|schönen|schoene|sonnige|nette|kind|best|warm|warmest|many|freundlichem)\s+)*(gr(ü|ue|u)(ß|ss)(e|en)?|gruss|regards|wishes|greetings|lg|vg|mfg|cheers|sincerely|yours\s+(sincerely|faithfully|truly)|ciao|tschüss|tschüs|servus|bis\s+bald|danke|vielen\s+dank|thanks|many\s+thanks|thank\s+you|best|hochachtungsvoll)\b[\s\p{L}.,!\-]{0,40}$",
        )
        .is_match(t)
}

/// Contact data as found below a name: street and number, postcode and town, phone,
/// e-mail, web address.
fn is_contact_line(line: &str) -> bool {
    static RE: OnceLock<WordGated> = OnceLock::new();
    let t = line.trim();
    if t.is_empty() {
        return false;
    }
    re(
        &RE,
        r"(?ix)
          \b\d{5}\s+\p{Lu}                                         # 65239 Hochheim
        | \p{L}(stra(ß|ss)e|str\.|weg|gasse|platz|allee|ring|pfad|damm|ufer|chaussee|markt|berg|hof|anlage|steig|graben|feld|au)\s*\d+\s*[a-z]?\b
        | ^(am|an\s+der|an\s+den|im|in\s+der|in\s+den|auf\s+der|auf\s+dem|zum|zur|hinter\s+der|unter\s+den)\s+[\p{L}\s.\-]{2,40}\s\d+\s*[a-z]?$
        | ^\d+[a-z]?\s+[\p{L}\s.]+\b(street|st\.?|road|rd\.?|avenue|ave\.?|lane|way|drive)\b
        | \b(tel|telefon|fon|phone|mobil|mobile|handy|fax|cell|festnetz)\b\.?\s*:?\s*[+(0-9]
        | ^[+(]?\d[\d\s/()\-.]{6,}\d$                             # bare phone number
        | [\w.+\-]+@[\w\-]+\.[\w.\-]+
        | \bwww\.|https?://
        ",
    )
    .is_match(t)
}

/// Within a run without delimiter: a closing, an optional name line, then contact data
/// to the end. Returns (new text incl. closing and name, signature).
fn signoff<'a>(run: &[&'a str]) -> (Vec<&'a str>, Vec<&'a str>) {
    let Some(c) = run.iter().rposition(|l| is_closing(l)) else {
        return (run.to_vec(), Vec::new());
    };
    // The name: the next non-blank line, unless it already is contact data.
    let mut k = c + 1;
    while run.get(k).is_some_and(|l| l.trim().is_empty()) {
        k += 1;
    }
    if run.get(k).is_some_and(|l| !is_contact_line(l) && l.trim().chars().count() <= 50) {
        k += 1;
    }
    let tail = run.get(k..).unwrap_or_default();
    // The card: contact lines and short labels (company, country), up to the first line
    // that reads like a sentence again (a "PS: …" with a time must stay new text).
    let end = tail
        .iter()
        .position(|l| !(l.trim().is_empty() || is_contact_line(l) || is_label_line(l)))
        .unwrap_or(tail.len());
    let card = tail.get(..end).unwrap_or_default();
    let filled = card.iter().filter(|l| !l.trim().is_empty()).count();
    if filled == 0 || filled > 10 || !card.iter().any(|l| is_contact_line(l)) {
        return (run.to_vec(), Vec::new());
    }
    let mut new = run.get(..k).unwrap_or_default().to_vec();
    new.extend_from_slice(tail.get(end..).unwrap_or_default());
    (new, card.to_vec())
}

/// A short line that can stand in a contact card: a name, company, department, country.
fn is_label_line(line: &str) -> bool {
    static RE: OnceLock<WordGated> = OnceLock::new();
    let t = line.trim();
    t.chars().count() <= 45
        && t.split_whitespace().count() <= 6
        && !t.ends_with(['?', '!', ':'])
        && !re(
            &RE,
            r"(?i)^(p\.?\s?s\.?|nachtrag|übrigens|uebrigens|btw)\b|\b(uhr|montags?|dienstags?|mittwochs?|donnerstags?|freitags?|samstags?|sonntags?|monday|tuesday|wednesday|thursday|friday|saturday|sunday|morgen|heute|abends?|vormittags?|nachmittags?)\b|\d{1,2}[:.]\d{2}",
        )
        .is_match(t)
}

/// Lines joined, leading/trailing blank lines dropped, runs of blank lines kept to one.
fn join(lines: &[&str]) -> String {
    let mut out = String::new();
    let mut blank = false;
    for l in lines {
        let l = l.trim_end();
        if l.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push('\n');
            blank = false;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(l);
    }
    out
}

fn join_owned(lines: &[String]) -> String {
    join(&lines.iter().map(String::as_str).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROPOSAL: &str = "Guten Tag,\n\nDiese Termine haben wir frei:\n\n  1) Montag, 14.06.2027, 18:30 Uhr\n  2) Donnerstag, 17.06.2027, 19:00 Uhr\n\nFreundliche Grüße\nBürgerbüro";

    fn gt(s: &str) -> String {
        s.lines().map(|l| if l.is_empty() { ">".to_string() } else { format!("> {l}") }).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn bottom_post_below_gt_quote_stays_new_text() {
        let t = format!("Am 07.04.27 um 16:02 schrieb Bürgerbüro Hochheim:\n{}\n\nGuten Morgen,\n\nTermin 3 passt uns gut.\n\nViele Grüße\nMarkus", gt(PROPOSAL));
        let b = split(&t);
        assert!(b.new_text.starts_with("Guten Morgen,"), "{b:?}");
        assert!(b.new_text.contains("Termin 3 passt"));
        assert!(b.new_text.ends_with("Markus"));
        assert!(b.quoted.contains("1) Montag, 14.06.2027, 18:30 Uhr"), "{b:?}");
        assert!(b.quoted.starts_with("Am 07.04.27"));
        assert!(!b.new_text.contains("Montag, 14.06."));
    }

    #[test]
    fn top_post_above_gt_quote_with_apple_attribution_inside() {
        let t = format!("Den Samstag nehmen wir.\n\nGruß\nPetra\n\nVon meinem iPhone gesendet\n\n> Am 26.10.2027 um 10:11 schrieb Bürgerbüro <b@x.de>:\n>\n{}", gt(PROPOSAL));
        let b = split(&t);
        assert_eq!(b.new_text, "Den Samstag nehmen wir.\n\nGruß\nPetra");
        assert_eq!(b.signature, "Von meinem iPhone gesendet");
        assert!(b.quoted.contains("  1) Montag, 14.06.2027, 18:30 Uhr"));
    }

    #[test]
    fn interleaved_answers_keep_all_own_lines() {
        let t = "> 1) Montag\nPasst nicht.\n> 2) Dienstag\nDer geht!\n";
        let b = split(t);
        assert_eq!(b.new_text, "Passt nicht.\nDer geht!");
        assert_eq!(b.quoted, "1) Montag\n2) Dienstag");
    }

    #[test]
    fn outlook_urspruengliche_nachricht_cuts_the_rest() {
        let t = format!("Hallo,\n\nder Freitag wäre gut.\n\nGruß\nDaniela\n\n-----Ursprüngliche Nachricht-----\nVon: Bürgerbüro <b@x.de>\nGesendet: Montag, 7. Juni 2027 09:14\nAn: D <d@x.de>\nBetreff: [BS-2027-00058] Ihre Terminvorschläge\n\n{PROPOSAL}");
        let b = split(&t);
        assert_eq!(b.new_text, "Hallo,\n\nder Freitag wäre gut.\n\nGruß\nDaniela");
        assert!(b.quoted.starts_with("-----Ursprüngliche Nachricht-----"));
        assert!(b.quoted.contains("2) Donnerstag, 17.06.2027"));
        assert_eq!(b.signature, "");
    }

    #[test]
    fn english_original_message_and_header_block_without_separator() {
        let b = split(&format!(
            "Option 2 please.\n\n-----Original Message-----\nFrom: A\nSent: Monday\nTo: B\nSubject: x\n\n{PROPOSAL}"
        ));
        assert_eq!(b.new_text, "Option 2 please.");
        let b = split(&format!("Option 2 please.\n\n________________________________\nVon: A <a@b.de>\nGesendet: Montag\nAn: B\nBetreff: x\n\n{PROPOSAL}"));
        assert_eq!(b.new_text, "Option 2 please.");
        assert!(b.quoted.starts_with("____"), "{b:?}");
        assert!(b.quoted.contains("1) Montag"));
    }

    #[test]
    fn gmx_header_block_followed_by_gt_lines() {
        let t = format!("Bitte streichen.\n\nLG Jens\n\n\nGesendet: Freitag, 10. September 2027 um 08:05 Uhr\nVon: \"Bürgerbüro\" <b@x.de>\nAn: j@x.de\nBetreff: [BS-2027-00140] Ihre Terminvorschläge\n{}", gt(PROPOSAL));
        let b = split(&t);
        assert_eq!(b.new_text, "Bitte streichen.\n\nLG Jens");
        assert!(b.quoted.starts_with("Gesendet: Freitag"));
        assert!(b.quoted.contains("  1) Montag, 14.06.2027, 18:30 Uhr"));
    }

    #[test]
    fn unmarked_on_wrote_and_gmail_folded_attribution() {
        let b = split(&format!(
            "Number 1 is fine.\n\nOn Mon, 7 Jun 2027 at 09:14, Buergerbuero <b@x.de> wrote:\n\n{PROPOSAL}"
        ));
        assert_eq!(b.new_text, "Number 1 is fine.");
        assert!(b.quoted.contains("1) Montag"));
        let b = split(&format!("Nr. 2 bitte.\n\nAm Mo., 7. Juni 2027 um 09:14 Uhr schrieb Bürgerbüro Hochheim <\nbuergerbuero@hochheim.de>:\n\n{}", gt(PROPOSAL)));
        assert_eq!(b.new_text, "Nr. 2 bitte.");
        assert!(b.quoted.contains("buergerbuero@hochheim.de>:"));
    }

    #[test]
    fn other_language_clients_headers_and_attributions() {
        let b = split(&format!("Tamam, 2.\n\nKimden: Bürgerbüro <b@x.de>\nGönderildi: 7 Haziran 2027 Pazartesi 09:14\nKime: a@b.de\nKonu: [BS-2027-00001]\n\n{PROPOSAL}"));
        assert_eq!(b.new_text, "Tamam, 2.");
        let b = split(&format!("Nr 2.\n\n-----Mensaje original-----\nDe: X\n\n{PROPOSAL}"));
        assert_eq!(b.new_text, "Nr 2.");
        let b = split(&format!("Dwójka.\n\nW dniu 7.06.2027 o 09:14, Bürgerbüro <b@x.de> pisze:\n{}", gt(PROPOSAL)));
        assert_eq!(b.new_text, "Dwójka.");
        assert!(b.quoted.contains("1) Montag"));
    }

    #[test]
    fn yahoo_folgendes_geschrieben_attribution() {
        let b = split(&format!("Die 3.\n\nAm Montag, 7. Juni 2027, 09:14:00 MESZ hat Bürgerbüro Hochheim <b@x.de> Folgendes geschrieben:\n\n\n{PROPOSAL}"));
        assert_eq!(b.new_text, "Die 3.");
        assert!(b.quoted.contains("1) Montag"));
    }

    #[test]
    fn citizens_own_schrieb_sentence_is_not_a_quote() {
        let t = "Mein Nachbar schrieb mir gestern:\n\nDie Laterne ist kaputt.\n\nGruß\nTom";
        let b = split(t);
        assert!(b.new_text.contains("Die Laterne ist kaputt."));
        assert_eq!(b.quoted, "");
        for t in [
            "2. Wie ich Ihnen am 3.5. schrieb:\nwir sind ab 18 Uhr da.",
            "Am 3.5. schrieb ich Ihnen:\nwir sind ab 18 Uhr da.",
            "Am 3.5. habe ich Ihnen geschrieben:\nwir sind ab 18 Uhr da.",
            "On Monday I wrote:\nafter 6 pm.",
        ] {
            let b = split(t);
            assert!(b.new_text.lines().count() == 2, "{t}: {b:?}");
        }
    }

    #[test]
    fn dash_dash_signature_with_and_without_trailing_space() {
        for delim in ["--", "-- "] {
            let b = split(&format!("Text.\n\nViele Grüße\nSabine Wendel\n\n{delim}\nKolpingstraße 7\n65239 Hochheim am Main\nTel. 06146 812345\n"));
            assert_eq!(b.new_text, "Text.\n\nViele Grüße\nSabine Wendel");
            assert_eq!(b.signature, "Kolpingstraße 7\n65239 Hochheim am Main\nTel. 06146 812345");
        }
    }

    #[test]
    fn signoff_with_contact_data_keeps_closing_and_name_in_new_text() {
        let b = split("Bitte ab 10 Uhr.\n\nMit freundlichen Grüßen\nClaudia Vogt-Albers\n\nAm Schlosspark 3\n65205 Wiesbaden-Delkenheim\nTel. 0611 7654321\n");
        assert_eq!(b.new_text, "Bitte ab 10 Uhr.\n\nMit freundlichen Grüßen\nClaudia Vogt-Albers");
        assert_eq!(b.signature, "Am Schlosspark 3\n65205 Wiesbaden-Delkenheim\nTel. 0611 7654321");
        let b = split("Thanks!\n\nMany thanks,\nDavid Okafor\n\nKarlstrasse 14\n65239 Hochheim am Main\nGermany");
        assert_eq!(b.signature, "Karlstrasse 14\n65239 Hochheim am Main\nGermany");
    }

    #[test]
    fn postscript_after_the_card_stays_new_text() {
        let b = split(
            "Hallo.\n\nViele Grüße\nTom Becker\nKolpingstraße 7\n65239 Hochheim\nPS: Donnerstags ab 18 Uhr geht auch.",
        );
        assert_eq!(b.signature, "Kolpingstraße 7\n65239 Hochheim");
        assert!(b.new_text.ends_with("PS: Donnerstags ab 18 Uhr geht auch."), "{b:?}");
        assert!(b.new_text.contains("Tom Becker"));
    }

    #[test]
    fn signoff_without_contact_data_is_all_new_text() {
        let b = split("I'm away.\n\nBest regards,\nEmma Clarke\nNorthbridge Logistics GmbH");
        assert_eq!(b.signature, "");
        assert!(b.new_text.ends_with("Northbridge Logistics GmbH"));
    }

    #[test]
    fn mobile_footers_in_german_and_english() {
        for f in [
            "Von meinem iPhone gesendet",
            "Sent from my iPhone",
            "Gesendet von Outlook für Android",
            "Gesendet mit der WEB.DE Mail App",
            "Von meinem Samsung Galaxy Smartphone gesendet.",
        ] {
            let b = split(&format!("Ja, passt.\n\n{f}"));
            assert_eq!(b.new_text, "Ja, passt.", "{f}");
            assert_eq!(b.signature, f, "{f}");
        }
    }

    #[test]
    fn header_like_word_in_text_is_not_a_block() {
        let b = split("Betreff: mein Ausweis\nIch brauche einen neuen.\nDanke");
        assert!(b.new_text.contains("Ich brauche"));
        assert_eq!(b.quoted, "");
    }

    #[test]
    fn empty_and_odd_inputs() {
        assert_eq!(split(""), Body::default());
        let _ = split(">\n>>\n--\n-- \nAm\nOn x wrote:\n-----Original Message-----");
    }
}
