//! Stage 2: what sort of mail this is. Pure logic over [`ParsedMail`].
//!
//! Order: bounce > auto_reply > case_reply > request. Automatic mail often carries our case
//! tag and In-Reply-To (an out-of-office answers our proposal), so the automatic checks
//! come first: answering them would loop (RFC 3834). Headers decide where they exist;
//! subject and body wording are the fallback for the many vacation programs that set none.

use crate::case_id::CaseId;
use crate::parse::ParsedMail;
use crate::classify::normalize::WordGated;
use serde::Serialize;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// A citizen's new concern.
    Request,
    /// An answer to one of our mails (case tag or our Message-ID).
    CaseReply,
    /// Out-of-office, vacation and other automatic replies: never answered (RFC 3834).
    AutoReply,
    /// Delivery status notifications: never answered.
    Bounce,
}

/// The kind and, where one is named, the case it refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindResult {
    pub kind: MailKind,
    pub case_id: Option<CaseId>,
    /// Why this kind, for staff ("Auto-Submitted: auto-replied").
    pub reason: String,
}

/// The domain of the daemon's own Message-IDs (`BS-2027-00058.<stamp>.proposal@…`).
pub const OUR_ID_DOMAIN: &str = "@buergerservice.hochheim.de";

/// Decide the kind of a parsed mail.
pub fn detect(mail: &ParsedMail) -> KindResult {
    let (case_id, case_reason) = case_ref(mail);
    if let Some(reason) = bounce_reason(mail) {
        // The bounced mail is ours: its case tag is in the returned headers.
        let case_id = case_id.or_else(|| our_case_in(&mail.report)).or_else(|| CaseId::find_in(&mail.report));
        return KindResult { kind: MailKind::Bounce, case_id, reason };
    }
    if let Some(reason) = auto_reply_reason(mail, case_id.is_some() || case_reason.is_some()) {
        return KindResult { kind: MailKind::AutoReply, case_id, reason };
    }
    if let Some(reason) = case_reason {
        return KindResult { kind: MailKind::CaseReply, case_id, reason };
    }
    KindResult { kind: MailKind::Request, case_id: None, reason: "no automatic marker, no case reference".into() }
}

/// Patterns searched without their (Unicode) word boundaries first: see [`WordGated`].
fn re(cell: &'static OnceLock<WordGated>, pattern: &str) -> &'static WordGated {
    cell.get_or_init(|| WordGated::new(pattern).expect("static regex"))
}

fn is_our_id(id: &str) -> bool {
    id.to_ascii_lowercase().ends_with(OUR_ID_DOMAIN)
}

/// The case named by one of our Message-IDs in `text` (`<BS-2027-00044.….proposal@…>`).
fn our_case_in(text: &str) -> Option<CaseId> {
    static RE: OnceLock<WordGated> = OnceLock::new();
    let re = re(&RE, r"(?i)<?([^\s<>]+@buergerservice\.hochheim\.de)>?");
    re.captures_iter(text).find_map(|c| c.get(1).and_then(|m| CaseId::find_in(m.as_str())))
}

/// The case this mail refers to and, if it is an answer to us, why we think so.
fn case_ref(mail: &ParsedMail) -> (Option<CaseId>, Option<String>) {
    let ours: Vec<&String> = mail.in_reply_to.iter().chain(&mail.references).filter(|id| is_our_id(id)).collect();
    let from_ids = ours.iter().find_map(|id| CaseId::find_in(id));
    if let Some(id) = CaseId::find_in(&mail.subject) {
        return (Some(id), Some(format!("case tag {id} in Subject")));
    }
    if let Some(first) = ours.first() {
        let header = if mail.in_reply_to.iter().any(|i| i == *first) { "In-Reply-To" } else { "References" };
        return (from_ids, Some(format!("our Message-ID <{first}> in {header}")));
    }
    // A reply whose client dropped both the tag and the threading headers, but whose text
    // names the case. A fresh mail naming an old case number stays a request.
    if reply_prefix(&mail.subject) {
        if let Some(id) = CaseId::find_in(&mail.body.new_text) {
            return (Some(id), Some(format!("reply naming case {id} in its text")));
        }
    }
    (None, None)
}

fn bounce_reason(mail: &ParsedMail) -> Option<String> {
    let a = &mail.auto;
    if a.report_type.as_deref() == Some("delivery-status") {
        return Some("multipart/report; report-type=delivery-status".into());
    }
    if a.has_delivery_status {
        return Some("message/delivery-status part".into());
    }
    if a.report_type.as_deref() == Some("feedback-report") {
        return Some("multipart/report; report-type=feedback-report (abuse report)".into());
    }
    let sender = mail.from.as_ref().map(|m| m.address.to_ascii_lowercase()).unwrap_or_default();
    let local = sender.split('@').next().unwrap_or_default();
    if matches!(local, "mailer-daemon" | "mailer_daemon" | "maildaemon" | "mail-daemon" | "postmaster" | "mailerdaemon")
    {
        return Some(format!("sender {sender}"));
    }
    let dsn_subject = is_dsn_subject(&mail.subject);
    if dsn_subject && a.return_path.as_deref() == Some("") {
        return Some(format!("empty Return-Path and delivery-failure Subject {:?}", mail.subject));
    }
    if dsn_subject && (a.auto_submitted.is_some() || mail.in_reply_to.is_empty() && looks_like_dsn_body(&mail.text)) {
        return Some(format!("delivery-failure Subject {:?}", mail.subject));
    }
    if a.return_path.as_deref() == Some("") && a.auto_submitted.is_some() && looks_like_dsn_body(&mail.text) {
        return Some("empty Return-Path, Auto-Submitted and a delivery-failure text".into());
    }
    // Non-standard bounces (Japanese carriers, old MTAs): the returned mail attached to a
    // text that says it could not be delivered, not as an answer to anything.
    let returned = mail.attachments.iter().any(|x| {
        matches!(x.content_type.as_str(), "message/rfc822" | "text/rfc822-headers" | "message/rfc822-headers")
    });
    if returned && mail.in_reply_to.is_empty() && looks_like_dsn_body(&mail.text) {
        return Some("returned message attached to a delivery-failure text".into());
    }
    None
}

/// Subjects MTAs give their delivery reports (English and German, also with a prefix
/// like "Warning:" or the original subject appended).
fn is_dsn_subject(subject: &str) -> bool {
    static RE: OnceLock<WordGated> = OnceLock::new();
    re(
        &RE,
        r"(?i)^\s*(\[?(warning|warnung|fwd?|wg)\]?:\s*)?(undelivered\s+mail|undeliverable|undelivered|delivery\s+status\s+notification|delivery\s+(notification|failure|failed|problem|report)|mail\s+delivery\s+(failed|failure|system|subsystem|problem)|returned\s+mail|mail\s+system\s+error|failure\s+notice|non[- ]?delivery|unzustellbar|nicht\s+zustellbar|zustellung(s(fehler|benachrichtigung|bericht))?\s*(fehlgeschlagen|gescheitert|verzögert)?|unzustellbare\s+nachricht|could\s+not\s+send\s+message|message\s+(not\s+delivered|delivery\s+failure)|delayed\s+mail|mail\s+could\s+not\s+be\s+delivered|benachrichtigung\s+zum\s+übermittlungsstatus|returned\s+to\s+sender|(e-?mail\s+)?bounce\s+notification)",
    )
    .is_match(subject)
}

fn looks_like_dsn_body(text: &str) -> bool {
    static RE: OnceLock<WordGated> = OnceLock::new();
    re(
        &RE,
        r"(?i)(could\s+not\s+be\s+delivered|delivery\s+to\s+the\s+following\s+recipients?\s+failed|permanent\s+(error|failure)|user\s+unknown|mailbox\s+(unavailable|full|not\s+found)|konnte\s+nicht\s+zugestellt\s+werden|nicht\s+zugestellt\s+werden|unzustellbar|host\s+or\s+domain\s+name\s+not\s+found|this\s+is\s+the\s+mail\s+system\s+at|message\s+delivery\s+failed|diagnostic-code:|status:\s*5\.\d)",
    )
    .is_match(text)
}

fn auto_reply_reason(mail: &ParsedMail, answers_us: bool) -> Option<String> {
    let a = &mail.auto;
    if let Some(v) = a.auto_submitted.as_deref().filter(|v| *v != "no") {
        return Some(format!("Auto-Submitted: {v}"));
    }
    if a.x_autoreply {
        return Some("X-Autoreply-style header".into());
    }
    if let Some(p) = a.precedence.as_deref().filter(|p| matches!(*p, "bulk" | "junk" | "list" | "auto_reply")) {
        return Some(format!("Precedence: {p}"));
    }
    if a.list {
        return Some("List-Id/List-Unsubscribe header (mailing list or newsletter)".into());
    }
    if a.report_type.as_deref() == Some("disposition-notification") {
        return Some("read receipt (multipart/report; report-type=disposition-notification)".into());
    }
    if let Some(w) = auto_subject(&mail.subject) {
        return Some(format!("Subject says {w:?}"));
    }
    // Body wording only counts on an answer to our mail: a citizen's new request may well
    // say "I'm away until …", and a request sent through a web contact form carries
    // "Diese E-Mail wurde automatisch erzeugt" yet is a citizen's concern.
    if answers_us || reply_prefix(&mail.subject) {
        let own = format!("{}\n{}", mail.body.new_text, mail.body.signature);
        if let Some(w) = generated_notice(&own) {
            return Some(format!("answer to our mail whose text says {w:?}"));
        }
        if let Some(w) = absence_notice(&own) {
            return Some(format!("answer to our mail whose text says {w:?}"));
        }
    }
    None
}

fn reply_prefix(subject: &str) -> bool {
    static RE: OnceLock<WordGated> = OnceLock::new();
    re(&RE, r"(?i)^\s*(re|aw|antw|antwort|sv|vs|r|rif|réf|odp|ynt|cevap)\s*(\[\d+\])?\s*:").is_match(subject)
}

/// Out-of-office subjects; returns the matched words.
fn auto_subject(subject: &str) -> Option<String> {
    static STRONG: OnceLock<WordGated> = OnceLock::new();
    let strong = re(
        &STRONG,
        r"(?i)(abwesenheits(notiz|nachricht|meldung|assistent|benachrichtigung)|automatische\s+(antwort|rückantwort|rueckantwort|benachrichtigung|abwesenheits\w*)|automatisch\s+generiert|auto(matic|matische)?[\s_-]*(reply|response|responder|antwort)|autoreply|autoresponse|out\s+of\s+(the\s+)?office|\booo\b|office\s+closed|réponse\s+automatique|respuesta\s+automática|risposta\s+automatica|automatisch\s+antwoord|afwezigheidsmelding|abwesenheit\s*:|\bvacation\s+(reply|response|notice|message|auto)|\bon\s+vacation\b|\bon\s+holiday\b|\baway\s+from\s+(the\s+|my\s+)?(office|desk|keyboard))",
    );
    if let Some(m) = strong.find(subject) {
        return Some(m.as_str().to_string());
    }
    // "Urlaub", "Abwesend": only where the subject is built like an automatic one, i.e. the
    // word leads with a colon ("Urlaub: Re: …"), stands in brackets, or is a first-person
    // statement ("Bin im Urlaub"), never inside a citizen's topic ("Reisepass vor dem Urlaub").
    static WEAK: OnceLock<WordGated> = OnceLock::new();
    let weak = re(
        &WEAK,
        r"(?i)(^\s*(urlaub|abwesend|abwesenheit|vacation|holiday|away|nicht\s+im\s+(büro|buero|haus))\s*[:\-–]|[\[(]\s*(urlaub|abwesend|abwesenheit|vacation|away|out)\s*[\])]|^\s*(ich\s+)?bin\s+(im\s+urlaub|abwesend|nicht\s+im\s+(büro|buero))|^\s*(i\s+am|i'm)\s+(away|on\s+leave|on\s+vacation))",
    );
    weak.find(subject).map(|m| m.as_str().trim().to_string())
}

/// Text that says outright it was generated by a program.
fn generated_notice(text: &str) -> Option<String> {
    static RE: OnceLock<WordGated> = OnceLock::new();
    re(
        &RE,
        r"(?i)((diese|this)\s+(ist\s+eine\s+|is\s+an\s+)?(nachricht|e-?mail|mail|antwort|message|reply|response)\s+(wurde|was|is|ist)\s+(automatisch|automatically)(\s+(erstellt|generiert|erzeugt|versendet|versandt|verschickt|gesendet|generated|sent|created))?|(dies\s+ist|this\s+is)\s+(eine|an)\s+(automatische|automatic|automated|auto-generated)\s+(antwort|nachricht|benachrichtigung|reply|response|message|notification)|automatisch\s+generierte\s+(nachricht|antwort|e-?mail)|auto-?generated\s+(reply|response|message))",
    )
    .find(text)
    .map(|m| m.as_str().to_string())
}

/// Office-absence wording of vacation replies (only trusted on answers to our mails).
///
/// A citizen answering our proposal may well say they are away ("wir sind vom 12. bis 24.
/// im Urlaub, ab dem 27. sind wir wieder da"), so absence alone never decides. What does:
/// a statement about the mailbox itself (nobody reads or forwards it), or absence together
/// with a referral to a deputy, which no citizen writes to the town hall.
fn absence_notice(text: &str) -> Option<String> {
    static MAILBOX: OnceLock<WordGated> = OnceLock::new();
    let mailbox = re(
        &MAILBOX,
        r"(?i)((limited|no)\s+access\s+to\s+(my\s+)?e-?mails?|check(ing)?\s+(my\s+)?(e-?mails?|mailbox|inbox|messages)\s+(only\s+)?(now\s+and\s+then|occasionally|sporadically|irregularly|periodically)|will\s+(only\s+)?check\s+(my\s+)?(e-?mails?|mailbox|inbox)\s+(now\s+and\s+then|occasionally|sporadically|irregularly)|(e-?mails?|messages|your\s+(e-?mail|message))\s+will\s+not\s+be\s+(forwarded|read)|(lese|lesen|prüfe|pruefe|checke|bearbeite|beantworte)\s+(ich\s+)?(meine\s+)?(e-?mails?|post|nachrichten|mails)\s+(nicht|nur\s+(unregelmäßig|unregelmaessig|sporadisch|eingeschränkt|eingeschraenkt))|(lese|lesen)\s+(ich\s+)?keine\s+(e-?mails?|post|nachrichten|mails)|schaue\s+(ich\s+)?nicht\s+in\s+mein(en)?\s+(postfach|posteingang|e-?mail)|(e-?mails?|nachrichten|ihre\s+(e-?mail|nachricht|mail))\s+(werden|wird)\s+((derzeit|zurzeit|in\s+dieser\s+zeit)\s+)?nicht\s+(weitergeleitet|gelesen|bearbeitet)|weiterleitung\s+(erfolgt\s+)?nicht|keine\s+weiterleitung|(keinen|nur\s+(eingeschränkten|eingeschraenkten|sporadischen|begrenzten|unregelmäßigen))\s+zugriff\s+auf\s+(meine\s+|mein\s+)?(e-?mails?|mails|postfach|nachrichten)|(ihre|deine)\s+(e-?mail|nachricht|mail|anfrage)\s+(wird|werde\s+ich)\s+.{0,30}nach\s+meiner\s+rückkehr|will\s+(respond\s+to|reply\s+to|answer|read)\s+(your|all)\s+(e-?mails?|messages?)\s+.{0,25}(upon|after|on)\s+my\s+return|will\s+be\s+(answered|dealt\s+with|handled)\s+.{0,20}(upon|after)\s+my\s+return)",
    );
    if let Some(m) = mailbox.find(text) {
        return Some(m.as_str().to_string());
    }
    static ABSENT: OnceLock<WordGated> = OnceLock::new();
    let absent = re(
        &ABSENT,
        r"(?i)(out\s+of\s+(the\s+)?office|away\s+from\s+(the|my)\s+(office|desk)|on\s+(annual\s+)?(leave|vacation|holiday)|nicht\s+im\s+(büro|buero|dienst|hause)|(außer|ausser)\s+haus|abwesend|im\s+urlaub|urlaub\s+(mache|habe)|in\s+elternzeit)",
    );
    static DEPUTY: OnceLock<WordGated> = OnceLock::new();
    let deputy = re(
        &DEPUTY,
        r"(?i)(in\s+dringenden\s+fällen|in\s+dringenden\s+faellen|dringendes\s+klärt|in\s+urgent\s+(cases|matters)|for\s+urgent\s+(matters|requests|issues)|if\s+it\s+can'?t\s+wait|(meine|mein|unsere?)\s+(kollegin|kollege|vertretung|vertreterin|vertreter|sekretariat)|my\s+(colleague|deputy|team)|wenden\s+sie\s+sich\s+(bitte\s+)?an|please\s+contact)",
    );
    match (absent.find(text), deputy.find(text)) {
        (Some(a), Some(d)) => Some(format!("{} … {}", a.as_str(), d.as_str())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{AutoHeaders, Body, Mailbox};

    fn mail(subject: &str, new_text: &str) -> ParsedMail {
        ParsedMail {
            from: Some(Mailbox { name: None, address: "a@b.de".into() }),
            subject: subject.into(),
            text: new_text.into(),
            body: Body { new_text: new_text.into(), ..Body::default() },
            ..ParsedMail::default()
        }
    }

    fn with_auto(mut m: ParsedMail, f: impl FnOnce(&mut AutoHeaders)) -> ParsedMail {
        f(&mut m.auto);
        m
    }

    #[test]
    fn plain_mail_is_a_request_without_case() {
        let k = detect(&mail("Personalausweis", "Hallo, ich brauche einen Ausweis."));
        assert_eq!((k.kind, k.case_id), (MailKind::Request, None));
    }

    #[test]
    fn case_tag_in_subject_makes_a_case_reply() {
        let k = detect(&mail("AW: [BS-2027-00058] Ihre Terminvorschläge", "Freitag bitte."));
        assert_eq!(k.kind, MailKind::CaseReply);
        assert_eq!(k.case_id, Some(CaseId::new(2027, 58)));
        assert!(k.reason.contains("Subject"));
    }

    #[test]
    fn our_message_id_in_references_gives_case_from_the_id() {
        let mut m = mail("Re: Termin", "Nr. 2 bitte");
        m.references =
            vec!["x@gmx.de".into(), "BS-2027-00031.20270407160244.proposal@buergerservice.hochheim.de".into()];
        let k = detect(&m);
        assert_eq!(k.kind, MailKind::CaseReply);
        assert_eq!(k.case_id, Some(CaseId::new(2027, 31)));
        assert!(k.reason.contains("References"), "{}", k.reason);
    }

    #[test]
    fn subject_tag_wins_over_message_id_case() {
        let mut m = mail("Re: [BS-2027-00001]", "");
        m.in_reply_to = vec!["BS-2027-00002.1.proposal@buergerservice.hochheim.de".into()];
        assert_eq!(detect(&m).case_id, Some(CaseId::new(2027, 1)));
    }

    #[test]
    fn auto_submitted_beats_case_tag_but_keeps_the_case() {
        let m = with_auto(mail("Automatische Antwort: [BS-2027-00088] Ihre Terminvorschläge", "Bin weg."), |a| {
            a.auto_submitted = Some("auto-replied".into())
        });
        let k = detect(&m);
        assert_eq!(k.kind, MailKind::AutoReply);
        assert_eq!(k.case_id, Some(CaseId::new(2027, 88)));
        assert_eq!(k.reason, "Auto-Submitted: auto-replied");
    }

    #[test]
    fn auto_submitted_no_is_a_human() {
        let m = with_auto(mail("Frage", "Hallo"), |a| a.auto_submitted = Some("no".into()));
        assert_eq!(detect(&m).kind, MailKind::Request);
    }

    #[test]
    fn x_autoreply_and_precedence_bulk() {
        let m = with_auto(mail("Re: [BS-2027-00153] x", "Urlaub"), |a| a.x_autoreply = true);
        assert_eq!(detect(&m).kind, MailKind::AutoReply);
        let m = with_auto(mail("Re: [BS-2027-00153] x", "Urlaub"), |a| a.precedence = Some("bulk".into()));
        assert_eq!(detect(&m).kind, MailKind::AutoReply);
        let m = with_auto(mail("Re: [BS-2027-00153] x", "Urlaub"), |a| a.precedence = Some("first-class".into()));
        assert_eq!(detect(&m).kind, MailKind::CaseReply);
    }

    #[test]
    fn newsletters_and_read_receipts_are_never_answered() {
        let m = with_auto(mail("Newsletter Juni", "Hallo"), |a| a.list = true);
        assert_eq!(detect(&m).kind, MailKind::AutoReply);
        let m = with_auto(mail("Gelesen: Termin", ""), |a| a.report_type = Some("disposition-notification".into()));
        assert_eq!(detect(&m).kind, MailKind::AutoReply);
    }

    #[test]
    fn out_of_office_subjects_german_and_english() {
        for s in [
            "Abwesenheitsnotiz: Ihre Anfrage",
            "Automatische Antwort: [BS-2027-00001] x",
            "Out of Office: [BS-2027-00121] Ihre Terminvorschläge",
            "Autoreply: Re: Termin",
            "Auto-Reply: hello",
            "Automatic reply: Termin",
            "Urlaub: Re: [BS-2027-00001] Termin",
            "Abwesend: Ihre Nachricht",
            "Re: Termin (Urlaub)",
            "Bin im Urlaub",
        ] {
            assert_eq!(detect(&mail(s, "x")).kind, MailKind::AutoReply, "{s}");
        }
    }

    #[test]
    fn vacation_words_in_a_citizens_topic_are_not_automatic() {
        for s in ["Reisepass vor dem Urlaub", "Kinderreisepass für den Urlaub", "Abwesenheit der Eltern bei Anmeldung"]
        {
            assert_eq!(detect(&mail(s, "Hallo")).kind, MailKind::Request, "{s}");
        }
    }

    #[test]
    fn citizen_on_holiday_in_a_case_reply_is_not_an_auto_reply() {
        let k = detect(&mail(
            "Aw: [BS-2027-00140] Ihre Terminvorschläge",
            "Hallo,\n\nleider passt keiner der Termine, wir sind im Urlaub vom 19. bis 23. September. Ab dem 27.9. ginge es.\n\nLG Jens",
        ));
        assert_eq!(k.kind, MailKind::CaseReply);
    }

    #[test]
    fn body_of_a_headerless_vacation_reply_gives_it_away() {
        let k = detect(&mail(
            "Re: [BS-2027-00153] Ihre Terminvorschläge",
            "Vom 2. bis 13. August mache ich Urlaub und schaue nicht in mein Postfach.",
        ));
        assert_eq!(k.kind, MailKind::AutoReply);
        let k = detect(&mail("Re: Anfrage", "Text.\n\n(Diese Nachricht wurde automatisch erstellt.)"));
        assert_eq!(k.kind, MailKind::AutoReply);
        // The same words under a web contact form's request are no auto-reply.
        let k = detect(&mail(
            "Kontaktformular: Personalausweis",
            "Ich brauche einen Ausweis.\n\nDiese E-Mail wurde automatisch erzeugt.",
        ));
        assert_eq!(k.kind, MailKind::Request);
        let k = detect(&mail(
            "Re: [BS-2027-00121] x",
            "I'm away from the office until Monday 31 May. If it can't wait, my colleague Tom will help you.",
        ));
        assert_eq!(k.kind, MailKind::AutoReply);
    }

    #[test]
    fn citizen_away_and_back_again_in_a_case_reply_stays_a_case_reply() {
        for t in [
            "Danke für Ihre Nachricht. Wir sind im Urlaub, ab dem 27.9. bin ich wieder da. Dann bitte Montag.",
            "Termin 1 geht nicht, ich bin bis 17 Uhr nicht im Büro erreichbar, sondern auf Montage. Ab 18 Uhr passt es.",
            "I'm out of the office on Mondays, so option 2 please.",
        ] {
            assert_eq!(detect(&mail("Re: [BS-2027-00031] Ihre Terminvorschläge", t)).kind, MailKind::CaseReply, "{t}");
        }
    }

    #[test]
    fn mailbox_statements_of_vacation_programs() {
        for t in [
            "Ich bin bis zum 20.08. im Urlaub und habe keinen Zugriff auf meine E-Mails.",
            "Ihre Nachricht wird nach meiner Rückkehr am 23.8. bearbeitet.",
            "Ihre E-Mail wird nicht weitergeleitet.",
            "I am on leave and will respond to your message upon my return.",
        ] {
            assert_eq!(detect(&mail("Re: [BS-2027-00031] Ihre Terminvorschläge", t)).kind, MailKind::AutoReply, "{t}");
        }
    }

    #[test]
    fn absence_with_deputy_referral_is_an_auto_reply() {
        let t = "Ich bin bis 20.08. im Urlaub. In dringenden Fällen wenden Sie sich an meine Kollegin Frau Ott.";
        assert_eq!(detect(&mail("Re: [BS-2027-00031] Ihre Terminvorschläge", t)).kind, MailKind::AutoReply);
    }

    #[test]
    fn absence_wording_in_a_new_request_stays_a_request() {
        let k = detect(&mail("Anmeldung", "I'm out of the office on Mondays, so please come on a Tuesday."));
        assert_eq!(k.kind, MailKind::Request);
    }

    #[test]
    fn delivery_status_report_is_a_bounce_with_the_returned_case() {
        let mut m = with_auto(mail("Undelivered Mail Returned to Sender", "could not be delivered"), |a| {
            a.content_type = Some("multipart/report".into());
            a.report_type = Some("delivery-status".into());
            a.auto_submitted = Some("auto-replied".into());
        });
        m.report = "Message-ID: <BS-2027-00044.20270414102105.proposal@buergerservice.hochheim.de>".into();
        let k = detect(&m);
        assert_eq!(k.kind, MailKind::Bounce);
        assert_eq!(k.case_id, Some(CaseId::new(2027, 44)));
    }

    #[test]
    fn bounce_by_part_sender_or_null_return_path_and_subject() {
        let m = with_auto(mail("x", ""), |a| a.has_delivery_status = true);
        assert_eq!(detect(&m).kind, MailKind::Bounce);
        let mut m = mail("Warnung", "");
        m.from = Some(Mailbox { name: None, address: "MAILER-DAEMON@mx.example.org".into() });
        assert_eq!(detect(&m).kind, MailKind::Bounce);
        for s in [
            "Undelivered Mail Returned to Sender",
            "Delivery Status Notification (Failure)",
            "Mail delivery failed: returning message to sender",
            "Unzustellbar: Ihre Terminvorschläge",
        ] {
            let m = with_auto(mail(s, ""), |a| a.return_path = Some(String::new()));
            assert_eq!(detect(&m).kind, MailKind::Bounce, "{s}");
        }
    }

    #[test]
    fn dsn_words_from_a_human_with_return_path_are_no_bounce() {
        let m = with_auto(mail("Re: Unzustellbar?", "Meine Post war unzustellbar, bitte helfen."), |a| {
            a.return_path = Some("a@b.de".into())
        });
        assert_eq!(detect(&m).kind, MailKind::Request);
    }

    #[test]
    fn case_number_in_the_text_of_a_reply_refers_to_the_case() {
        let k = detect(&mail("AW: Ihre Terminvorschläge", "zu Vorgang BS-2027-00031: Termin 2 bitte."));
        assert_eq!(k.kind, MailKind::CaseReply);
        assert_eq!(k.case_id, Some(CaseId::new(2027, 31)));
        let k = detect(&mail(
            "Neuer Antrag",
            "Mein Vorgang BS-2027-00012 ist erledigt, jetzt brauche ich einen Reisepass.",
        ));
        assert_eq!((k.kind, k.case_id), (MailKind::Request, None));
    }
}
