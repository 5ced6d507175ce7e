use super::*;

const PROPOSAL: &str = "Diese Termine haben wir noch frei:\n\n  1) Montag, 14.06.2027, 18:30 Uhr\n  2) Donnerstag, 17.06.2027, 19:00 Uhr\n  3) Freitag, 18.06.2027, 17:30 Uhr\n\nZum Buchen genügt eine Antwort mit der passenden Nummer. Sollte Ihnen\nkeiner der Vorschläge liegen, teilen Sie uns mit, wann Sie zu Hause\nsind; auch eine Absage ist per Antwort möglich.";

const PROPOSAL_SAT: &str = "  1) Donnerstag, 28.10.2027, 18:00 Uhr\n  2) Samstag, 06.11.2027, 10:30 Uhr\n  3) Montag, 08.11.2027, 19:00 Uhr\n";

const PROPOSAL_EN: &str = "1) Tuesday, 13 April, 18:00–18:40\n2) Thursday, 15 April, 19:00–19:40\n3) Saturday, 1 May, 10:00–10:40\n";

fn now() -> Zoned {
    crate::tz::parse_instant("2027-06-08T09:00").unwrap_or_else(|_| Zoned::now())
}

fn x(text: &str) -> ReplyIntent {
    extract(text, PROPOSAL, &now())
}

fn choice(text: &str) -> Option<u32> {
    x(text).choice
}

#[test]
fn explicit_numbers_pick_the_option() {
    assert_eq!(choice("Termin 3 passt uns gut, wir sind dann zu zweit da."), Some(3));
    assert_eq!(choice("2"), Some(2));
    assert_eq!(choice("Option 2 bitte."), Some(2));
    assert_eq!(choice("Nr. 3 wäre prima"), Some(3));
    assert_eq!(choice("Wir nehmen die 2 bitte."), Some(2));
    assert_eq!(choice("Vorschlag 1 passt."), Some(1));
    assert_eq!(choice("Nummer drei, bitte"), Some(3));
    assert_eq!(choice("Den dritten Termin nehmen wir."), Some(3));
    assert_eq!(choice("der erste passt"), Some(1));
    assert_eq!(choice("Der letzte Termin wäre gut."), Some(3));
}

#[test]
fn english_numbers_and_ordinals_pick_the_option() {
    assert_eq!(choice("Number 2 works for us."), Some(2));
    assert_eq!(choice("We'll take the second one, thanks."), Some(2));
    assert_eq!(choice("Option #1 please"), Some(1));
}

#[test]
fn numbers_of_dates_times_floors_and_people_are_no_choice() {
    assert_eq!(choice("Bitte klingeln, wir wohnen im 2. OG."), None);
    assert_eq!(choice("Wir sind zu zweit, bitte die 2 Personen einplanen."), None);
    assert_eq!(choice("Ab dem 27.9. ginge es ab 18 Uhr."), None);
    assert_eq!(choice("Zum zweiten Mal schreibe ich Ihnen."), None);
    assert_eq!(choice("Unsere Nummer: 06146 812345"), None);
    assert_eq!(choice("Hausnummer 3, bitte klingeln"), None);
}

#[test]
fn weekday_picks_the_option_on_that_day() {
    assert_eq!(choice("der Freitag wäre uns am liebsten. Bitte klingeln Sie, wir wohnen im 2. OG."), Some(3));
    assert_eq!(choice("Donnerstag passt prima."), Some(2));
    assert_eq!(choice("Friday would be best."), Some(3));
}

#[test]
fn weekday_with_part_of_day_compound() {
    let r = extract("den Termin am Samstagvormittag nehmen wir gerne, da sind wir beide zu Hause.", PROPOSAL_SAT, &now());
    assert_eq!(r.choice, Some(2));
    assert_eq!(extract("Saturday morning suits us.", PROPOSAL_EN, &now()).choice, Some(3));
}

#[test]
fn date_and_time_pick_the_option() {
    assert_eq!(choice("Am 17. geht es bei uns."), Some(2));
    assert_eq!(choice("Der 18.06. passt."), Some(3));
    assert_eq!(choice("18:30 passt."), Some(1));
    assert_eq!(extract("The 15th works for us.", PROPOSAL_EN, &now()).choice, Some(2));
}

#[test]
fn negated_days_are_not_picked() {
    assert_eq!(choice("Montag geht leider nicht, aber Freitag passt."), Some(3));
    assert_eq!(choice("Am Freitag können wir nicht."), None);
}

#[test]
fn recurring_weekdays_and_ranges_are_no_pick() {
    let r = x("Ab dem 27.9. ginge es montags und donnerstags ab 18 Uhr.");
    assert_eq!(r.choice, None);
}

#[test]
fn cancellation_wordings() {
    for t in [
        "Den Termin brauchen wir also nicht mehr, bitte streichen Sie ihn.",
        "Ich muss den Termin leider absagen.",
        "Bitte stornieren Sie den Besuch.",
        "Hat sich erledigt, danke!",
        "Please cancel the appointment.",
        "The visit is no longer needed.",
        "We don't need the appointment anymore.",
    ] {
        let r = x(t);
        assert!(r.cancel, "{t}");
        assert_eq!(r.choice, None, "{t}");
        assert!(!r.reschedule, "{t}");
    }
}

#[test]
fn not_cancelling_is_no_cancel() {
    let r = x("Wir möchten den Termin nicht absagen, sondern nur verschieben.");
    assert!(!r.cancel);
    assert!(r.reschedule);
}

#[test]
fn reschedule_wordings() {
    for t in [
        "leider passt keiner der Termine, wir sind verreist. Können wir den Besuch verschieben?",
        "Wäre auch ein anderer Termin möglich?",
        "Der Termin passt uns doch nicht.",
        "Keiner der Vorschläge geht bei uns.",
        "Können wir tauschen?",
        "None of these dates work for us, could we move it to another date?",
        "Could we reschedule?",
    ] {
        let r = x(t);
        assert!(r.reschedule, "{t}");
        assert_eq!(r.choice, None, "{t}");
        assert!(!r.cancel, "{t}");
    }
}

#[test]
fn cancel_with_a_new_date_wish_is_a_move() {
    let r = x("Ich muss den Termin absagen, können wir einen neuen Termin ausmachen?");
    assert!(r.reschedule);
    assert!(!r.cancel);
}

#[test]
fn choice_with_weak_cancel_of_the_others_stays_a_choice() {
    let r = x("Wir nehmen Termin 2. Die anderen können Sie streichen.");
    assert_eq!(r.choice, Some(2));
    assert!(!r.cancel);
}

#[test]
fn our_own_boilerplate_in_the_new_text_is_ignored() {
    // A quote without markers that stayed in the new text.
    let text = format!("Termin 1 bitte.\n\n{PROPOSAL}");
    let r = extract(&text, "", &now());
    assert_eq!(r.choice, Some(1));
    assert!(!r.cancel);
    assert!(!r.reschedule);
}

#[test]
fn without_options_numbers_still_count() {
    assert_eq!(extract("Termin 2 passt.", "", &now()).choice, Some(2));
    assert_eq!(extract("Der Freitag passt.", "", &now()).choice, None);
}

#[test]
fn number_words_after_an_article_pick() {
    assert_eq!(choice("Wir nehmen die zwei, bitte."), Some(2));
    assert_eq!(choice("Die zwei Kinder sind dann auch da."), None);
}

#[test]
fn weekday_and_time_together_pick_one() {
    assert_eq!(choice("Wir nehmen den Montag um 18:30."), Some(1));
    assert_eq!(extract("Thursday at 7 pm works for us.", PROPOSAL_EN, &now()).choice, Some(2));
}

#[test]
fn a_booked_number_with_a_move_is_no_pick() {
    let r = x("Wir hatten Termin 2 ausgesucht, müssen aber leider verschieben.");
    assert_eq!(r.choice, None);
    assert!(r.reschedule);
    let r = x("Können wir statt Termin 1 lieber Termin 3 nehmen? Bitte entsprechend verschieben.");
    assert!(r.reschedule);
    assert_eq!(r.choice, Some(3));
}

#[test]
fn other_days_offered_is_a_move() {
    let r = x("Ginge es auch am Dienstag, den 22.06.?");
    assert!(r.reschedule);
    assert_eq!(r.choice, None);
    let r = x("Wir sind erst ab dem 27.9. wieder da, dann montags ab 18 Uhr.");
    assert!(r.reschedule);
}

#[test]
fn more_cancel_and_move_wordings() {
    assert!(x("Der Besuch entfällt, danke.").cancel);
    assert!(x("Wir sagen den Termin ab.").cancel);
    assert!(x("Können wir den Termin auf nächste Woche legen?").reschedule);
    assert!(!x("Kein Problem, Termin 2 passt.").reschedule);
    assert_eq!(choice("Kein Problem, Termin 2 passt."), Some(2));
}

#[test]
fn positive_part_of_a_negated_sentence_picks() {
    assert_eq!(choice("Der erste Termin passt leider nicht, der zweite schon."), Some(2));
    assert_eq!(choice("Termin 1 und 2 gehen nicht, 3 passt."), Some(3));
    assert_eq!(choice("Montag, der 14., geht leider nicht."), None);
}

#[test]
fn first_of_alternatives_is_the_pick() {
    assert_eq!(choice("Der Donnerstag wäre gut, alternativ Freitag."), Some(2));
}

#[test]
fn withdrawn_or_not_needed_is_a_cancel() {
    for t in [
        "Wir benötigen keinen Termin mehr.",
        "Sie brauchen nicht mehr zu kommen.",
        "Ich ziehe meinen Antrag zurück.",
        "We won't need the visit, thank you.",
    ] {
        assert!(x(t).cancel, "{t}");
    }
}

#[test]
fn asking_for_another_weekday_is_a_move() {
    let r = x("Könnten Sie stattdessen am Dienstag kommen?");
    assert!(r.reschedule);
    assert_eq!(r.choice, None);
}

#[test]
fn options_by_date_only_still_answer_a_weekday() {
    let r = extract("Der Freitag passt.", "1) 14.06., 18:30 Uhr\n2) 18.06., 17:30 Uhr\n", &now());
    assert_eq!(r.choice, Some(2));
}

#[test]
fn a_number_alone_after_a_comma_picks() {
    assert_eq!(choice("Ja gerne, 3."), Some(3));
    assert_eq!(choice("Hallo, 2 passt."), Some(2));
}

#[test]
fn moved_appointment_in_passive_is_a_move_but_a_moved_removal_is_not() {
    assert!(x("Der Termin muss leider verschoben werden.").reschedule);
    let r = x("Leider hat sich unser Umzug verschoben, bitte sagen Sie den Termin ab.");
    assert!(r.cancel);
    assert!(!r.reschedule);
}

#[test]
fn english_picks_without_article_or_after_a_refusal() {
    assert_eq!(extract("second option is fine.", PROPOSAL_EN, &now()).choice, Some(2));
    let r = extract("We can't make Tuesday or Thursday, so Saturday it is.", PROPOSAL_EN, &now());
    assert_eq!(r.choice, Some(3));
    assert!(!r.reschedule);
}

#[test]
fn the_option_named_in_a_cancel_or_move_is_no_pick() {
    let r = x("Den Termin am Freitag müssen wir leider absagen.");
    assert_eq!(r.choice, None);
    assert!(r.cancel);
    let r = x("Können wir den Termin am Montag verschieben?");
    assert_eq!(r.choice, None);
    assert!(r.reschedule);
}
