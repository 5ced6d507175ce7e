//! Wordings not in the 40 samples, found by a new-user check: each phrase is read at a
//! fixed `now` and probed like the samples (instants that must lie in a window and
//! outside every exclusion, and instants that must not be offered).

use buergerservice::extract::when::{availability, Window};
use buergerservice::tz;

/// Monday 2027-06-14, 10:00 in Berlin.
const NOW: &str = "2027-06-14T10:00:00+02:00";

fn local(s: &str) -> jiff::Zoned {
    s.parse::<jiff::civil::DateTime>()
        .unwrap()
        .to_zoned(tz::berlin())
        .unwrap()
}

fn inside(t: &jiff::Zoned, ivs: &[Window]) -> bool {
    ivs.iter().any(|w| w.start <= *t && *t < w.end)
}

fn check(text: &str, yes: &[&str], no: &[&str]) {
    let a = availability(text, &tz::parse_instant(NOW).unwrap());
    assert!(a.stated, "{text}: no wish read");
    for t in yes {
        let z = local(t);
        assert!(
            inside(&z, &a.windows) && !inside(&z, &a.excluded),
            "{text}: {t} should be offered; first windows {:?}",
            a.windows.iter().take(4).collect::<Vec<_>>()
        );
    }
    for t in no {
        let z = local(t);
        assert!(
            !inside(&z, &a.windows) || inside(&z, &a.excluded),
            "{text}: {t} should not be offered"
        );
    }
}

#[test]
fn listed_calendar_weeks_all_count() {
    // KW 32 = 9–15 Aug 2027, KW 33 = 16–22 Aug, KW 34 = 23–29 Aug.
    for text in [
        "KW 32 oder 33, jeweils vormittags",
        "KW 32/33 vormittags passt",
        "In der 32. oder 33. Kalenderwoche passt es vormittags.",
        "KW 32 und 33 geht es vormittags",
    ] {
        check(
            text,
            &["2027-08-10T10:00", "2027-08-17T10:00", "2027-08-22T09:00"],
            &["2027-08-10T15:00", "2027-08-23T10:00", "2027-08-06T10:00"],
        );
    }
    check(
        "KW 32 bis 34 geht",
        &["2027-08-09T12:00", "2027-08-18T12:00", "2027-08-29T12:00"],
        &["2027-08-30T12:00", "2027-08-08T12:00"],
    );
}

#[test]
fn a_week_number_list_stops_at_a_clock_time() {
    check(
        "KW 32, 10 Uhr passt",
        &["2027-08-11T10:00"],
        &["2027-08-11T15:00", "2027-03-08T10:00"],
    );
}

#[test]
fn next_distributes_over_listed_weekdays() {
    for text in [
        "Next Monday or Tuesday after 5pm works for us.",
        "Nächsten Montag oder Dienstag ab 17 Uhr geht es.",
        "Nächste Woche Montag oder Dienstag ab 17 Uhr passt.",
    ] {
        check(
            text,
            &["2027-06-21T18:00", "2027-06-22T18:00"],
            &["2027-06-15T18:00", "2027-06-21T12:00", "2027-06-28T18:00"],
        );
    }
    check(
        "kommenden Montag bis Mittwoch ab 18 Uhr",
        &["2027-06-21T19:00", "2027-06-23T19:00"],
        &["2027-06-15T19:00", "2027-06-16T19:00", "2027-06-24T19:00"],
    );
}

#[test]
fn always_at_home_except_one_weekday() {
    for text in [
        "Ich arbeite im Homeoffice und bin eigentlich immer da, nur dienstags nicht.",
        "Wir sind den ganzen Tag zu Hause, nur dienstags nicht.",
        "Jederzeit, außer dienstags.",
        "anytime except Tuesdays",
    ] {
        check(
            text,
            &["2027-06-16T09:00", "2027-06-21T15:00", "2027-07-03T11:00"],
            &["2027-06-15T12:00", "2027-06-22T09:00"],
        );
    }
    check(
        "We're always at home except on Wednesdays.",
        &["2027-06-15T12:00", "2027-06-17T12:00"],
        &["2027-06-16T12:00", "2027-06-23T12:00"],
    );
}

#[test]
fn days_of_month_listed_without_a_month() {
    check(
        "I'm free on the 21st and 22nd from 3 to 5pm",
        &["2027-06-21T16:00", "2027-06-22T16:00"],
        &["2027-06-21T18:00", "2027-06-23T16:00"],
    );
    check(
        "Am 21. oder 22. passt es ab 15 Uhr.",
        &["2027-06-21T16:00", "2027-06-22T16:00"],
        &["2027-06-21T12:00", "2027-06-23T16:00"],
    );
}

#[test]
fn parts_of_a_week_and_the_days_between_the_years() {
    check(
        "Anfang nächster Woche geht es",
        &["2027-06-21T12:00", "2027-06-22T12:00"],
        &["2027-06-25T12:00", "2027-06-15T12:00"],
    );
    check(
        "Ende nächster Woche passt",
        &["2027-06-24T12:00", "2027-06-25T12:00"],
        &["2027-06-21T12:00", "2027-06-18T12:00"],
    );
    check(
        "Zwischen den Jahren passt es bei uns.",
        &["2027-12-28T12:00", "2027-12-30T12:00"],
        &["2027-12-24T12:00", "2028-01-02T12:00"],
    );
}

#[test]
fn a_month_alone_is_a_wish_or_an_absence_when_nothing_else_is_named() {
    check(
        "Im Juli passt es uns gut.",
        &["2027-07-01T12:00", "2027-07-31T12:00"],
        &["2027-06-20T12:00", "2027-08-01T12:00"],
    );
    check(
        "Im Juli sind wir verreist, sonst passt es immer.",
        &["2027-06-20T12:00", "2027-08-02T12:00"],
        &["2027-07-01T12:00", "2027-07-20T12:00"],
    );
    // A month next to a named day stays context, not a wish.
    let a = availability(
        "I am starting a new job in October. Could you come on Friday?",
        &tz::parse_instant(NOW).unwrap(),
    );
    assert!(a.windows.iter().all(|w| w.start.month() != 10));
}

#[test]
fn from_a_month_on_reaches_past_the_usual_horizon() {
    check(
        "Im August sind wir im Urlaub. Ab September passt es wieder.",
        &["2027-09-01T12:00", "2027-09-20T12:00"],
        &["2027-08-15T12:00"],
    );
    check(
        "Ab dem 1. September geht es werktags ab 17 Uhr.",
        &["2027-09-01T18:00", "2027-09-24T18:00"],
        &["2027-08-31T18:00", "2027-09-04T18:00", "2027-09-01T12:00"],
    );
}

#[test]
fn a_bare_time_with_an_exception_applies_every_day() {
    check(
        "Ab 15 Uhr, nur freitags nicht",
        &["2027-06-15T16:00", "2027-06-19T16:00"],
        &["2027-06-15T12:00", "2027-06-18T16:00"],
    );
    check(
        "Bitte nicht vor 10 Uhr.",
        &["2027-06-15T11:00"],
        &["2027-06-15T09:00"],
    );
}

#[test]
fn a_span_narrowed_to_a_weekday_is_complete_before_the_next_span() {
    check(
        "Diese Woche nur noch Freitag, ab nächster Woche dann täglich ab 16 Uhr.",
        &["2027-06-18T12:00", "2027-06-22T17:00", "2027-07-08T17:00"],
        &["2027-06-16T12:00", "2027-06-22T12:00"],
    );
    check(
        "Diese Woche Freitag, nächste Woche täglich.",
        &["2027-06-18T12:00", "2027-06-23T12:00"],
        &["2027-06-16T12:00", "2027-06-29T12:00"],
    );
}

#[test]
fn the_week_of_a_bare_day_and_the_next_n_weeks() {
    check(
        "I can do the week of the 28th.",
        &["2027-06-28T12:00", "2027-07-02T12:00"],
        &["2027-06-25T12:00", "2027-07-06T12:00"],
    );
    check(
        "Wir sind die nächsten zwei Wochen im Urlaub.",
        &["2027-06-29T12:00", "2027-07-10T12:00"],
        &["2027-06-15T12:00", "2027-06-27T12:00"],
    );
    check(
        "In den nächsten 10 Tagen passt es nachmittags.",
        &["2027-06-15T15:00", "2027-06-24T15:00"],
        &["2027-06-26T15:00", "2027-06-15T10:00"],
    );
}

#[test]
fn daytime_late_and_early_parts_and_the_week_after_next() {
    check("tagsüber bin ich da", &["2027-06-15T10:00", "2027-06-15T17:00"], &["2027-06-15T19:00"]);
    check("am späten Nachmittag passt es", &["2027-06-15T17:00"], &["2027-06-15T14:00"]);
    check(
        "Wir sind ab übernächster Woche wieder zu Hause.",
        &["2027-06-28T12:00", "2027-07-20T12:00"],
        &["2027-06-22T12:00"],
    );
}

#[test]
fn around_is_being_at_home_and_the_week_after_a_date() {
    check(
        "I'm around most evenings except Fridays.",
        &["2027-06-15T19:00", "2027-06-19T19:00"],
        &["2027-06-15T12:00", "2027-06-18T19:00"],
    );
    check(
        "Die Woche nach dem 5. Juli passt gut.",
        &["2027-07-12T12:00", "2027-07-16T12:00"],
        &["2027-07-05T12:00", "2027-07-19T12:00"],
    );
}

#[test]
fn thirds_of_this_or_next_month() {
    check("Ende des Monats passt es", &["2027-06-25T12:00", "2027-06-30T12:00"], &["2027-06-18T12:00", "2027-07-01T12:00"]);
    check("Anfang nächsten Monats geht es", &["2027-07-01T12:00", "2027-07-09T12:00"], &["2027-06-28T12:00", "2027-07-12T12:00"]);
}

#[test]
fn someone_elses_appointment_keeps_later_clauses_in_place() {
    // "Termin at" (9 bytes) was once marked with a 10-byte word, which moved every
    // clause border after it by one: the comma without a space then swallowed the
    // next clause, and Monday's appointment became a wish for any day.
    check(
        "Ich habe am Montag einen Termin at the bank,Tuesday after 5 pm is fine.",
        &["2027-06-15T18:00", "2027-06-22T17:30"],
        &["2027-06-21T18:00", "2027-06-16T18:00", "2027-06-15T12:00"],
    );
}
