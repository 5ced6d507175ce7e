//! The calendar invitation of a booked visit (RFC 5545 / iTIP RFC 5546): METHOD:REQUEST
//! on booking and moving, METHOD:CANCEL on cancelling, with a stable UID per case so a
//! calendar updates the one event instead of adding another. Times carry
//! TZID=Europe/Berlin with its VTIMEZONE, as Outlook and Apple Calendar expect.
//!
//! Written by hand: icalendar's builder is tied to chrono and cannot express VTIMEZONE;
//! the format needs only escaping and line folding.

use crate::case_id::CaseId;
use jiff::{Timestamp, Zoned};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Request,
    Cancel,
}

/// What goes into the invitation.
#[derive(Debug, Clone)]
pub struct Invite<'a> {
    pub method: Method,
    pub case: CaseId,
    /// Increases with every change of the same visit (RFC 5546 SEQUENCE).
    pub sequence: u32,
    pub start: &'a Zoned,
    pub end: &'a Zoned,
    pub summary: &'a str,
    pub description: &'a str,
    pub location: Option<&'a str>,
    pub organizer_name: &'a str,
    pub organizer_email: &'a str,
    pub attendee_email: &'a str,
    pub stamp: Timestamp,
    /// Domain of the UID, e.g. `buergerservice.hochheim.de`.
    pub domain: &'a str,
}

const VTIMEZONE_BERLIN: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n\
BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n\
BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n\
END:VTIMEZONE\r\n";

/// Escape a TEXT value (RFC 5545 3.3.11).
fn text(s: &str) -> String {
    s.replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace("\r\n", "\\n").replace('\n', "\\n")
}

/// Fold a content line at 75 octets without splitting a UTF-8 character (3.1).
fn fold(line: &str, out: &mut String) {
    let mut len = 0;
    for ch in line.chars() {
        let w = ch.len_utf8();
        if len + w > 75 {
            out.push_str("\r\n ");
            len = 1;
        }
        out.push(ch);
        len += w;
    }
    out.push_str("\r\n");
}

fn local(z: &Zoned) -> String {
    z.with_time_zone(crate::tz::berlin()).strftime("%Y%m%dT%H%M%S").to_string()
}

/// The .ics text.
pub fn render(i: &Invite<'_>) -> String {
    let method = match i.method {
        Method::Request => "REQUEST",
        Method::Cancel => "CANCEL",
    };
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//Stadt Hochheim am Main//buergerservice//DE".into(),
        format!("METHOD:{method}"),
        "CALSCALE:GREGORIAN".into(),
    ];
    let mut out = String::new();
    for l in &lines {
        fold(l, &mut out);
    }
    out.push_str(VTIMEZONE_BERLIN);
    lines = vec![
        "BEGIN:VEVENT".into(),
        format!("UID:{}@{}", i.case, i.domain),
        format!("SEQUENCE:{}", i.sequence),
        format!("DTSTAMP:{}", i.stamp.strftime("%Y%m%dT%H%M%SZ")),
        format!("DTSTART;TZID=Europe/Berlin:{}", local(i.start)),
        format!("DTEND;TZID=Europe/Berlin:{}", local(i.end)),
        format!("SUMMARY:{}", text(i.summary)),
        format!("DESCRIPTION:{}", text(i.description)),
    ];
    if let Some(loc) = i.location {
        lines.push(format!("LOCATION:{}", text(loc)));
    }
    lines.push(format!("ORGANIZER;CN={}:mailto:{}", text(i.organizer_name).replace(':', ""), i.organizer_email));
    lines.push(format!("ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:{}", i.attendee_email));
    lines.push(format!("STATUS:{}", if i.method == Method::Cancel { "CANCELLED" } else { "CONFIRMED" }));
    lines.push("TRANSP:OPAQUE".into());
    lines.push("END:VEVENT".into());
    lines.push("END:VCALENDAR".into());
    for l in &lines {
        fold(l, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite(method: Method) -> String {
        let s: Zoned = "2027-11-02T18:00:00+01:00[Europe/Berlin]".parse().unwrap();
        let e: Zoned = "2027-11-02T18:40:00+01:00[Europe/Berlin]".parse().unwrap();
        render(&Invite {
            method,
            case: CaseId::new(2027, 31),
            sequence: 1,
            start: &s,
            end: &e,
            summary: "Hausbesuch Bürgerbüro: Personalausweis, Meldebescheinigung",
            description: "Bitte bereithalten: alter Ausweis; biometrisches Passbild",
            location: Some("Kolpingstraße 7, 65239 Hochheim am Main"),
            organizer_name: "Bürgerbüro Hochheim am Main",
            organizer_email: "buergerbuero@hochheim.de",
            attendee_email: "sabine.wendel@posteo.de",
            stamp: "2027-10-30T10:00:00Z".parse().unwrap(),
            domain: "buergerservice.hochheim.de",
        })
    }

    #[test]
    fn request_has_stable_uid_berlin_times_and_folded_lines() {
        let ics = invite(Method::Request);
        assert!(ics.contains("METHOD:REQUEST\r\n"));
        assert!(ics.contains("UID:BS-2027-00031@buergerservice.hochheim.de\r\n"));
        assert!(ics.contains("DTSTART;TZID=Europe/Berlin:20271102T180000\r\n"));
        assert!(ics.contains("BEGIN:VTIMEZONE"));
        assert!(ics.contains("Personalausweis\\, Meldebescheinigung"));
        assert!(ics.lines().all(|l| l.len() <= 75), "{ics}");
        // The parser the project uses for fixtures reads it back.
        let unfolded = icalendar::parser::unfold(&ics);
        let parsed = icalendar::parser::read_calendar(&unfolded).unwrap();
        assert!(parsed.components.iter().any(|c| c.name.as_str() == "VEVENT"));
    }

    #[test]
    fn cancel_keeps_the_uid_and_marks_the_event_cancelled() {
        let ics = invite(Method::Cancel);
        assert!(ics.contains("METHOD:CANCEL\r\n") && ics.contains("STATUS:CANCELLED\r\n"));
        assert!(ics.contains("UID:BS-2027-00031@buergerservice.hochheim.de\r\n"));
    }
}
