//! Unit tests of the classifier: shipped rules, pattern families, mention contexts and
//! negatives, rule-file errors, and mails in wordings the samples do not use.

use super::*;
use std::sync::LazyLock;

static RULES: LazyLock<Rules> = LazyLock::new(Rules::builtin);

fn classify(subject: &str, text: &str) -> Classification {
    RULES.classify(&ClassifyInput {
        subject,
        new_text: text,
        quoted: "",
    })
}

fn concerns(subject: &str, text: &str) -> Vec<String> {
    classify(subject, text).concerns
}

#[track_caller]
fn assert_concerns(subject: &str, text: &str, want: &[&str]) {
    let c = classify(subject, text);
    assert_eq!(
        c.concerns,
        want,
        "subject {subject:?} text {text:?}\nreasons:\n{}",
        c.reasons.join("\n")
    );
}

// ---- the shipped rules -------------------------------------------------------------

#[test]
fn builtin_rules_compile_with_all_departments_and_label_ids() {
    let r = Rules::from_sources(BUILTIN.iter().map(|(p, t)| (PathBuf::from(p), *t)));
    let r = match r {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    let ids: Vec<&str> = r.departments.iter().map(|d| d.id.as_str()).collect();
    for d in [
        "buergerbuero",
        "standesamt",
        "ordnungsamt",
        "bauamt",
        "steueramt",
        "kinderbetreuung",
        "soziales",
        "friedhof",
        "umwelt",
    ] {
        assert!(ids.contains(&d), "department {d} missing");
    }
    for (dept, concern) in [
        ("buergerbuero", "personalausweis"),
        ("buergerbuero", "reisepass"),
        ("buergerbuero", "kinderreisepass"),
        ("buergerbuero", "anmeldung"),
        ("buergerbuero", "abmeldung"),
        ("buergerbuero", "meldebescheinigung"),
        ("buergerbuero", "fuehrungszeugnis"),
        ("buergerbuero", "beglaubigung"),
        ("buergerbuero", "briefwahl"),
        ("buergerbuero", "fundsache"),
        ("buergerbuero", "anwohnerparken"),
        ("buergerbuero", "uebermittlungssperre"),
        ("standesamt", "eheschliessung"),
        ("standesamt", "geburt"),
        ("standesamt", "sterbefall"),
        ("standesamt", "namensaenderung"),
        ("ordnungsamt", "gewerbeanmeldung"),
        ("ordnungsamt", "laermbeschwerde"),
        ("ordnungsamt", "falschparker"),
        ("bauamt", "bauantrag"),
        ("steueramt", "hundesteuer"),
        ("steueramt", "grundsteuer"),
        ("kinderbetreuung", "kita"),
        ("soziales", "wohngeld"),
        ("friedhof", "grabstelle"),
        ("umwelt", "schlagloch"),
        ("umwelt", "strassenlaterne"),
        ("umwelt", "sperrmuell"),
    ] {
        match r.concern(concern) {
            Some((d, _)) => assert_eq!(d.id, dept, "{concern}"),
            None => panic!("concern {concern} missing"),
        }
    }
}

#[test]
fn every_buergerbuero_concern_has_visit_and_documents_in_both_languages() {
    let Some(bb) = RULES.department("buergerbuero") else {
        panic!("no buergerbuero")
    };
    assert!(bb.home_visit);
    for c in &bb.concerns {
        assert!(c.visit.is_some(), "{}: no visit duration", c.id);
        assert!(!c.documents.is_empty(), "{}: no documents", c.id);
        assert_eq!(
            c.documents.len(),
            c.documents_en.len(),
            "{}: de/en documents differ",
            c.id
        );
        assert_eq!(
            c.notice.is_some(),
            c.notice_en.is_some(),
            "{}: notice in one language only",
            c.id
        );
    }
    for d in RULES.departments.iter().filter(|d| d.id != "buergerbuero") {
        assert!(!d.home_visit, "{}", d.id);
        assert!(d.forward_to.ends_with("@hochheim.de"), "{}", d.id);
    }
}

#[test]
fn kinderreisepass_notice_says_it_is_abolished_and_what_a_child_needs() {
    let Some((_, c)) = RULES.concern("kinderreisepass") else {
        panic!("missing")
    };
    let de = c.notice.as_deref().unwrap_or("");
    let en = c.notice_en.as_deref().unwrap_or("");
    assert!(
        de.contains("1. Januar 2024") && de.contains("Reisepass") && de.contains("Personalausweis"),
        "{de}"
    );
    assert!(en.contains("1 January 2024"), "{en}");
    let docs = c.documents.join(" ");
    for need in ["anwesend", "beider", "biometrisch", "Geburtsurkunde"] {
        assert!(docs.contains(need), "documents lack {need}: {docs}");
    }
}

// ---- pattern families -----------------------------------------------------------------

#[test]
fn personalausweis_in_compounds_typos_slang_and_english() {
    for text in [
        "Ich brauche einen neuen Personalausweis.",
        "Mein PERSONALAUSWEIß ist abgelaufen.",
        "Mein Persoanlausweis ist abgelaufen.",
        "Wegen meines Personalausweisantrags melde ich mich.",
        "Mein Perso ist kaputt.",
        "Mein Ausweis ist abgelaufen, ich brauche einen neuen.",
        "My ID card expired last month.",
        "I need a new identity card.",
    ] {
        assert_eq!(concerns("", text), ["personalausweis"], "{text}");
    }
}

#[test]
fn reisepass_in_inflections_and_english_but_not_passbild_or_passen() {
    for text in [
        "Wir brauchen zwei Reisepässe.",
        "Reisepaesse für die Familie",
        "Mein Reispass ist voll.",
        "I need to renew my passport.",
    ] {
        assert_eq!(concerns("", text), ["reisepass"], "{text}");
    }
    for text in [
        "Ein Passbild habe ich dabei.",
        "Passt Ihnen Dienstag?",
        "Das passt uns gut.",
        "Passfotos machen wir selbst.",
    ] {
        assert!(concerns("", text).is_empty(), "{text}");
    }
}

#[test]
fn kinderreisepass_is_its_own_concern_not_also_reisepass() {
    assert_concerns(
        "Kinderreisepass für Lea",
        "Lea (4) braucht einen Kinderreisepass.",
        &["kinderreisepass"],
    );
    assert_concerns(
        "",
        "We need a children's passport for our son.",
        &["kinderreisepass"],
    );
}

#[test]
fn meldebescheinigung_also_as_meldebestaetigung_and_in_english() {
    for text in [
        "Ich brauche eine Meldebestätigung für die Bank.",
        "Bitte eine Meldebescheinigung.",
        "I need proof of address for my bank.",
    ] {
        assert_eq!(concerns("", text), ["meldebescheinigung"], "{text}");
    }
}

#[test]
fn fuehrungszeugnis_spellings() {
    for text in [
        "Ich brauche ein Fuehrungszeugnis.",
        "Ich brauche ein erweitertes Führungszeugniss.",
        "I need a police clearance certificate.",
    ] {
        assert_eq!(concerns("", text), ["fuehrungszeugnis"], "{text}");
    }
}

#[test]
fn uebermittlungssperre_needs_an_objection_to_data_transfer() {
    assert_concerns(
        "",
        "Ich widerspreche der Übermittlung meiner Daten an Adressbuchverlage.",
        &["uebermittlungssperre"],
    );
    assert_concerns(
        "",
        "Bitte richten Sie eine Übermittlungssperre ein.",
        &["uebermittlungssperre"],
    );
    assert_concerns(
        "",
        "I would like to object to my data being passed to the Bundeswehr.",
        &["uebermittlungssperre"],
    );
    // A Widerspruch against something else is no data objection.
    assert!(
        !concerns("", "Ich lege Widerspruch gegen den Bescheid ein.")
            .contains(&"uebermittlungssperre".to_string())
    );
}

#[test]
fn anwohnerparken_vs_disabled_parking() {
    assert_concerns(
        "",
        "Ich hätte gern einen Anwohnerparkausweis.",
        &["anwohnerparken"],
    );
    assert_concerns(
        "",
        "Can I get a residents parking permit?",
        &["anwohnerparken"],
    );
    assert_concerns(
        "",
        "Mein Vater ist schwerbehindert und braucht einen Parkausweis.",
        &["behindertenparkausweis"],
    );
}

// ---- mention contexts and negatives ----------------------------------------------------

#[test]
fn documents_at_hand_are_only_mentioned() {
    assert_concerns(
        "",
        "Ich brauche einen Bewohnerparkausweis. Fahrzeugschein und Personalausweis liegen bereit.",
        &["anwohnerparken"],
    );
    assert_concerns(
        "",
        "We need to register our new address. We have our passports ready.",
        &["anmeldung"],
    );
    assert_concerns(
        "",
        "Ich brauche eine Meldebescheinigung. Den Reisepass bringe ich mit.",
        &["meldebescheinigung"],
    );
    assert_concerns(
        "",
        "I need a certificate of good conduct. I will bring my passport.",
        &["fuehrungszeugnis"],
    );
}

#[test]
fn plans_for_later_and_past_documents_are_only_mentioned() {
    assert_concerns("", "Wir möchten die Geburt unseres Sohnes anzeigen. Um einen Kinderreisepass kümmern wir uns später.", &["geburt"]);
    assert_concerns(
        "",
        "Ich brauche einen Personalausweis, bisher hatte ich nur einen Kinderreisepass.",
        &["personalausweis"],
    );
}

#[test]
fn question_whether_a_signature_must_be_certified_is_no_beglaubigung() {
    assert_concerns(
        "Bauantrag Gartenhaus",
        "Muss der Nachbar unterschreiben, und muss die Unterschrift beglaubigt werden?",
        &["bauantrag"],
    );
    // ... but asking for certified copies is.
    assert_concerns(
        "",
        "Können Sie mir drei Zeugnisse beglaubigen?",
        &["beglaubigung"],
    );
}

#[test]
fn anmelden_with_an_object_of_another_concern_is_that_concern() {
    assert_concerns(
        "Hund anmelden",
        "Wir möchten unseren neuen Hund anmelden.",
        &["hundesteuer"],
    );
    assert_concerns(
        "",
        "Wir möchten unsere Tochter für einen Krippenplatz anmelden. Wie läuft die Anmeldung ab?",
        &["kita"],
    );
    assert_concerns(
        "",
        "Ich möchte ein Gewerbe anmelden (Kosmetikstudio).",
        &["gewerbeanmeldung"],
    );
    assert_concerns(
        "",
        "Wie melde ich meinen Hund ab? Er ist leider gestorben.",
        &["hundesteuer"],
    );
}

#[test]
fn a_lost_id_is_the_id_concern_but_two_ambiguous_words_do_not_cancel_out() {
    assert_concerns(
        "",
        "Ich habe meinen Geldbeutel mit Ausweis verloren und brauche einen neuen Personalausweis.",
        &["personalausweis"],
    );
    assert_concerns(
        "",
        "Ich habe am Bahnhof einen Ausweis gefunden.",
        &["fundsache"],
    );
    // "verloren" and "Ausweis" are both ambiguous: neither silences the other.
    let c = concerns(
        "",
        "Ich habe meine Geldbörse verloren, mein Ausweis war auch drin.",
    );
    assert!(
        c.contains(&"fundsache".to_string()) && c.contains(&"personalausweis".to_string()),
        "{c:?}"
    );
}

#[test]
fn a_food_bank_volunteer_is_no_social_case() {
    let c = classify(
        "Führungszeugnis für Ehrenamt",
        "Für mein Ehrenamt bei der Tafel brauche ich ein Führungszeugnis.",
    );
    assert_eq!(c.concerns, ["fuehrungszeugnis"]);
    assert_eq!(c.department, "buergerbuero");
}

#[test]
fn wohnung_gefunden_is_no_fundsache() {
    assert_concerns(
        "",
        "Wir haben endlich eine Wohnung gefunden und müssen uns ummelden.",
        &["anmeldung"],
    );
    assert_concerns(
        "",
        "Ich habe am Spielplatz einen Schlüsselbund gefunden.",
        &["fundsache"],
    );
}

#[test]
fn false_friends_raise_nothing_or_only_the_real_concern() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("Danke", "Vielen Dank für den schnellen Termin! Das passt uns gut.", &[]),
        ("Newsletter", "Ich möchte mich für den Newsletter der Stadt anmelden.", &[]),
        ("Kurs", "Wo kann ich mich zum Erste-Hilfe-Kurs anmelden?", &[]),
        ("Nebenan", "Die Hochzeitsfeier nebenan war bis 3 Uhr nachts extrem laut.", &["laermbeschwerde"]),
        ("Reisepass", "Ich brauche einen Reisepass. Ab 17 Uhr bin ich zu Hause, weil ich die Kinder von der Kita abhole.", &["reisepass"]),
        ("Reisepass", "Ich brauche einen Reisepass. Dienstags bin ich auf dem Friedhof.", &["reisepass"]),
        ("Ref", "Regarding the case ID you sent me, is the appointment confirmed?", &[]),
        ("Passport", "I need a passport; my boarding pass is for June.", &["reisepass"]),
        ("Hello", "Could you pass by on Tuesday evening?", &[]),
        ("Laut Zeitung", "Laut Zeitung kommen Sie auch nach Hause. Ich brauche eine Meldebescheinigung.", &["meldebescheinigung"]),
        ("Vater", "Mein Vater, geboren 1939, braucht einen neuen Personalausweis. Er ist 1939 in Breslau geboren.", &["personalausweis"]),
    ];
    for (subject, text, want) in cases {
        assert_eq!(&concerns(subject, text), want, "{text}");
    }
}

#[test]
fn an_address_names_no_concern() {
    assert_concerns(
        "",
        "Ich brauche eine Meldebescheinigung.\nAm Laternenweg 5, Friedhofstraße 3",
        &["meldebescheinigung"],
    );
}

// ---- verdict shape ------------------------------------------------------------------------

#[test]
fn concerns_in_order_of_appearance_and_department_of_the_first() {
    let c = classify("", "Nach unserer Hochzeit im Mai heiraten ... nein: wir wollen heiraten und danach brauche ich einen neuen Personalausweis.");
    assert_eq!(c.concerns, ["eheschliessung", "personalausweis"]);
    assert_eq!(c.department, "standesamt");
    assert!(c.needs_specialist);
    let c = classify(
        "Personalausweis",
        "Außerdem liegt vor unserem Haus ein Schlagloch.",
    );
    assert_eq!(c.concerns, ["personalausweis", "schlagloch"]);
    assert_eq!(c.department, "buergerbuero");
    assert!(!c.needs_specialist);
}

#[test]
fn reasons_quote_the_matched_text_with_weight() {
    let c = classify("Reisepässe", "");
    assert!(
        c.reasons
            .iter()
            .any(|r| r.contains("reisepass: \"Reisepässe\" (+3.0")),
        "{:?}",
        c.reasons
    );
}

#[test]
fn nothing_fits_is_unclassified_buergerbuero_with_low_confidence() {
    let c = classify("Frage", "Wann hat das Rathaus an Feiertagen geöffnet?");
    assert!(c.unclassified);
    assert_eq!(c.department, "buergerbuero");
    assert!(!c.needs_specialist);
    assert!(c.concerns.is_empty());
    assert!(c.confidence < 0.3);
    assert!(c.reasons.iter().any(|r| r.contains("no rule fits")));
}

#[test]
fn confidence_grows_with_evidence_and_stays_in_range() {
    let weak = classify("", "Mein Ausweis ist weg.").confidence;
    let strong = classify(
        "Personalausweis",
        "Ich brauche einen neuen Personalausweis, mein Perso ist abgelaufen.",
    )
    .confidence;
    assert!(
        0.0 < weak && weak < strong && strong <= 1.0,
        "{weak} {strong}"
    );
}

#[test]
fn quoted_text_counts_only_when_the_new_text_says_nothing() {
    let input = ClassifyInput {
        subject: "Fwd:",
        new_text: "Siehe unten.",
        quoted: "Ich brauche eine Meldebescheinigung.",
    };
    let c = RULES.classify(&input);
    assert_eq!(c.concerns, ["meldebescheinigung"]);
    assert!(c.reasons.iter().any(|r| r.contains("quoted")));
    let input = ClassifyInput {
        subject: "",
        new_text: "Ich brauche einen Reisepass.",
        quoted: "Ich brauche eine Meldebescheinigung.",
    };
    assert_eq!(RULES.classify(&input).concerns, ["reisepass"]);
}

#[test]
fn huge_or_odd_input_is_classified_without_panic() {
    let long = "Ich brauche einen Reisepass. ".to_string() + &"ä€ß lorem ipsum. ".repeat(5_000);
    assert_eq!(concerns("", &long), ["reisepass"]);
    for odd in [
        "",
        ".",
        "...???",
        "\u{308}\u{308}",
        "a\r\n\r\n- ",
        "(((",
        "Str. 5. Nr. 3.",
    ] {
        let c = classify(odd, odd);
        assert!(c.unclassified, "{odd:?}");
    }
}

// ---- mails in other words than the samples ------------------------------------------------

#[test]
fn own_mails_in_everyday_wording() {
    let cases: &[(&str, &str, &[&str], &str)] = &[
        ("Umzug", "Hallo, wir ziehen nächsten Monat nach Massenheim und müssen uns ummelden. Geht das bei uns zu Hause?", &["anmeldung"], "buergerbuero"),
        ("Klassenfahrt", "Mein Sohn braucht für die Klassenfahrt nach London einen Pass. Wann können Sie kommen?", &["reisepass"], "buergerbuero"),
        ("Wegzug", "Ich möchte meinen Wohnsitz abmelden, ich ziehe nach Spanien.", &["abmeldung"], "buergerbuero"),
        ("Landtagswahl", "Bitte um Briefwahlunterlagen für die Landtagswahl für mich und meine Frau.", &["briefwahl"], "buergerbuero"),
        ("Lampe", "Die Straßenlampe vor Haus 12 ist seit Tagen dunkel.", &["strassenlaterne"], "umwelt"),
        ("Frage", "Wer holt den Sperrmüll ab? Wir haben ein altes Sofa.", &["sperrmuell"], "umwelt"),
        ("Hochzeit", "Wir wollen heiraten und würden gern wissen, welche Unterlagen wir brauchen.", &["eheschliessung"], "standesamt"),
        ("Baby", "Unser Sohn wurde am Dienstag geboren, wie melden wir die Geburt?", &["geburt"], "standesamt"),
        ("Gewerbe", "Ich möchte ein Gewerbe anmelden (Kosmetikstudio).", &["gewerbeanmeldung"], "ordnungsamt"),
        ("Einfahrt", "Seit Tagen ist meine Einfahrt zugeparkt, ein Auto steht ohne Kennzeichen da.", &["falschparker"], "ordnungsamt"),
        ("Grundsteuerbescheid", "Ich habe eine Frage zu meinem Grundsteuerbescheid.", &["grundsteuer"], "steueramt"),
        ("Todesfall", "Mein Vater ist letzte Woche verstorben. Was müssen wir beim Standesamt tun?", &["sterbefall"], "standesamt"),
        ("Name", "Nach der Scheidung möchte ich meinen Geburtsnamen wieder annehmen.", &["namensaenderung"], "standesamt"),
        ("Visit", "I just moved to Hochheim and need to register my address. Could someone come by?", &["anmeldung"], "buergerbuero"),
        ("Postal vote", "Could I get a postal vote for the mayoral election? I use a wheelchair.", &["briefwahl"], "buergerbuero"),
        ("Beglaubigung", "Ich brauche beglaubigte Kopien meiner Abschlusszeugnisse für eine Bewerbung.", &["beglaubigung"], "buergerbuero"),
        ("Rente", "Meine Mutter braucht eine Lebensbescheinigung für ihre Rente aus Italien.", &["lebensbescheinigung"], "buergerbuero"),
        ("Baum", "In der Weinbergstraße ist ein Baum umgestürzt und liegt auf dem Gehweg.", &["baum"], "umwelt"),
        ("Kita", "We are looking for a daycare place for our daughter from August.", &["kita"], "kinderbetreuung"),
        ("Ausweis", "Bitte um einen Termin für die Ausweisabholung.", &["personalausweis"], "buergerbuero"),
        ("Registration", "I need to register at my new address in Hochheim.", &["anmeldung"], "buergerbuero"),
        ("Docs", "I need my diplomas certified for a job application.", &["beglaubigung"], "buergerbuero"),
        ("Umzug", "Wir sind von Frankfurt nach Hochheim gezogen. Die Anmeldung für uns vier wäre dringend.", &["anmeldung"], "buergerbuero"),
        ("Nebenwohnung", "Ich gebe meine Nebenwohnung auf und möchte sie abmelden.", &["abmeldung"], "buergerbuero"),
        ("Wahl", "Wir sind zur Wahl im Urlaub und möchten vorher per Brief wählen.", &["briefwahl"], "buergerbuero"),
        ("Oma", "Meine Großmutter (93) lebt bei uns und hat keinen gültigen Ausweis mehr. Sie ist bettlägerig.", &["personalausweis"], "buergerbuero"),
        ("PA", "Ich benötige einen neuen Personal-Ausweis.", &["personalausweis"], "buergerbuero"),
        ("Adresse", "Bitte ändern Sie meine Adresse, ich wohne jetzt in der Mainstraße.", &["anmeldung"], "buergerbuero"),
        ("Ausländerbehörde", "brauche dringend ne meldebestätigung für die ausländerbehörde", &["meldebescheinigung"], "buergerbuero"),
        ("Vollmacht", "Können Sie meine Unterschrift auf einer Vollmacht beglaubigen?", &["beglaubigung"], "buergerbuero"),
        ("Pflegeheim", "Meine Mutter liegt im Pflegeheim und möchte wählen. Können Sie die Briefwahl bei ihr machen?", &["briefwahl"], "buergerbuero"),
        ("Rucksack", "Hat jemand einen schwarzen Rucksack abgegeben? Ich habe ihn am Bahnhof liegen gelassen.", &["fundsache"], "buergerbuero"),
        ("BMG", "Hiermit widerspreche ich der Weitergabe meiner Daten gemäß § 36 BMG.", &["uebermittlungssperre"], "buergerbuero"),
        ("Kinderpass", "Unser Sohn (8) braucht einen Kinderpass für die Reise nach Ägypten.", &["kinderreisepass"], "buergerbuero"),
        ("Scheidung", "Nach meiner Scheidung möchte ich wieder meinen Mädchennamen tragen.", &["namensaenderung"], "standesamt"),
        ("Schule", "Ständig parken Autos auf dem Gehweg vor der Grundschule.", &["falschparker"], "ordnungsamt"),
        ("Biotonne", "Die Biotonne wurde diese Woche nicht geleert.", &["abfall"], "umwelt"),
        ("Zaun", "Darf ich auf meinem Grundstück einen Zaun von 2 m Höhe bauen?", &["bauantrag"], "bauamt"),
        ("Light", "street light outside no 5 has been out for a week", &["strassenlaterne"], "umwelt"),
        ("Nacht", "Mein Mann ist heute Nacht zu Hause gestorben. Was muss ich jetzt tun?", &["sterbefall"], "standesamt"),
        ("Urne", "Wir möchten die Urne meiner Mutter im Friedhof Massenheim beisetzen lassen.", &["bestattung"], "friedhof"),
        ("Pass verloren", "Ich habe meinen Reisepass im Urlaub verloren und brauche einen neuen.", &["reisepass"], "buergerbuero"),
        ("Lärm", "Der Nachbar mäht jeden Sonntag um 7 Uhr Rasen, der Lärm ist unerträglich.", &["laermbeschwerde"], "ordnungsamt"),
        ("Umzug", "Wir sind innerhalb von Hochheim umgezogen. Was müssen wir tun?", &["anmeldung"], "buergerbuero"),
        ("Kindergeld", "Für das Kindergeld brauche ich eine Bescheinigung, dass ich hier gemeldet bin.", &["meldebescheinigung"], "buergerbuero"),
        ("Daten", "Ich möchte nicht, dass meine Daten an Parteien weitergegeben werden.", &["uebermittlungssperre"], "buergerbuero"),
        ("Bundeswehr", "Mein Sohn wird 17. Er möchte keine Werbung von der Bundeswehr bekommen.", &["uebermittlungssperre"], "buergerbuero"),
        ("Nachbarn", "Die Nachbarn feiern jedes Wochenende bis 4 Uhr morgens Party, es ist unerträglich.", &["laermbeschwerde"], "ordnungsamt"),
    ];
    for (subject, text, want, dept) in cases {
        let c = classify(subject, text);
        assert_eq!(&c.concerns, want, "{text}\n{}", c.reasons.join("\n"));
        assert_eq!(&c.department, dept, "{text}");
    }
}

// ---- rule files: loading and errors -----------------------------------------------------

const MINI_BB: &str = r#"
id = "buergerbuero"
name = "Bürgerbüro"
name_en = "Citizens' Office"
forward_to = "buergerbuero@hochheim.de"
home_visit = true

[[concerns]]
id = "reisepass"
name = "Reisepass"
name_en = "passport"
visit = { base_minutes = 20, per_extra_person_minutes = 15 }
[[concerns.patterns]]
regex = '\breisepa\w*'
weight = 3.0
"#;

/// A fresh directory under the system temp dir holding `files`.
fn temp_rules(tag: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "buergerservice-classify-{tag}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("{}: {e}", dir.display());
    }
    for (name, text) in files {
        if let Err(e) = std::fs::write(dir.join(name), text) {
            panic!("{name}: {e}");
        }
    }
    dir
}

#[test]
fn load_dir_reads_every_toml_and_ignores_other_files() {
    let dir = temp_rules(
        "ok",
        &[("buergerbuero.toml", MINI_BB), ("README.md", "not rules")],
    );
    let r = Rules::load_dir(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    let r = match r {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    let c = r.classify(&ClassifyInput {
        subject: "Reisepass",
        new_text: "",
        quoted: "",
    });
    assert_eq!(c.concerns, ["reisepass"]);
}

#[test]
fn shipped_rules_directory_loads_like_builtin() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    match Rules::load_dir(&dir) {
        Ok(r) => assert_eq!(r.departments.len(), RULES.departments.len()),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn broken_regex_is_refused_naming_file_rule_and_regex_error() {
    let broken = MINI_BB.replace(r"\breisepa\w*", r"reisepa(ss");
    let dir = temp_rules("regex", &[("buergerbuero.toml", &broken)]);
    let err = Rules::load_dir(&dir).err();
    let _ = std::fs::remove_dir_all(&dir);
    let Some(err) = err else {
        panic!("broken regex accepted")
    };
    assert!(matches!(err, RulesError::Regex { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("buergerbuero.toml"), "{msg}");
    assert!(msg.contains("reisepass pattern `reisepa(ss`"), "{msg}");
    assert!(msg.contains("unclosed group"), "{msg}");
}

#[test]
fn duplicate_concern_id_is_refused() {
    let other = MINI_BB.replace("id = \"buergerbuero\"", "id = \"zweitamt\"");
    let err = Rules::from_sources([
        (PathBuf::from("a.toml"), MINI_BB),
        (PathBuf::from("b.toml"), other.as_str()),
    ])
    .err();
    let msg = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        msg.contains("b.toml")
            && msg.contains("duplicate concern id `reisepass`")
            && msg.contains("a.toml"),
        "{msg}"
    );
}

#[test]
fn missing_field_is_refused_with_its_name() {
    let no_weight = MINI_BB.replace("weight = 3.0", "");
    let err = Rules::from_sources([(PathBuf::from("bb.toml"), no_weight.as_str())]).err();
    let msg = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        msg.contains("bb.toml") && msg.contains("missing field `weight`"),
        "{msg}"
    );
    let no_forward = MINI_BB.replace("forward_to = \"buergerbuero@hochheim.de\"", "");
    let msg = Rules::from_sources([(PathBuf::from("bb.toml"), no_forward.as_str())])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(msg.contains("missing field `forward_to`"), "{msg}");
}

#[test]
fn umlaut_in_a_pattern_is_refused_with_a_hint() {
    let umlaut = MINI_BB.replace(r"\breisepa\w*", r"reisepässe");
    let msg = Rules::from_sources([(PathBuf::from("bb.toml"), umlaut.as_str())])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        msg.contains("reisepass pattern") && msg.contains("normalised"),
        "{msg}"
    );
}

#[test]
fn unknown_field_and_bad_toml_are_refused() {
    let typo = MINI_BB.replace("weight = 3.0", "wieght = 3.0");
    let msg = Rules::from_sources([(PathBuf::from("bb.toml"), typo.as_str())])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(msg.contains("unknown field `wieght`"), "{msg}");
    let msg = Rules::from_sources([(PathBuf::from("bb.toml"), "id = ")])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(msg.starts_with("bb.toml:"), "{msg}");
}

#[test]
fn unknown_yields_to_is_refused() {
    let y = MINI_BB.replace("visit = {", "yields_to = [\"gibtsnicht\"]\nvisit = {");
    let msg = Rules::from_sources([(PathBuf::from("bb.toml"), y.as_str())])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(msg.contains("unknown concern `gibtsnicht`"), "{msg}");
}

// ---- engine features on a small rule set --------------------------------------------------

const FEATURES: &str = r#"
id = "buergerbuero"
name = "Bürgerbüro"
name_en = "Citizens' Office"
forward_to = "buergerbuero@hochheim.de"
home_visit = true

[[concerns]]
id = "alpha"
name = "Alpha"
name_en = "alpha"
yields_to = ["beta"]
[[concerns.patterns]]
regex = '\balpha\b'
weight = 3.0
[[concerns.patterns]]
regex = '\bvague\b'
weight = 3.0
generic = true
[[concerns.patterns]]
regex = '\bpaired\b'
weight = 3.0
with = '\bpartner\b'
[[concerns.patterns]]
regex = '\bguarded\b'
weight = 3.0
unless = ['\bguard\b']
[[concerns.negative]]
regex = '\bclausekill\b'
scope = "clause"
[[concerns.negative]]
regex = '\bminus\b'
scope = "mail"
subtract = 2.0

[[concerns]]
id = "beta"
name = "Beta"
name_en = "beta"
min_score = 4.0
[[concerns.patterns]]
regex = '\bbeta\b'
weight = 3.0
[[concerns.patterns]]
regex = '\bbetaplus\b'
weight = 2.0
[[concerns.negative]]
regex = '\bveto\b'
scope = "mail"
"#;

static FEATURE_RULES: LazyLock<Rules> = LazyLock::new(|| {
    let common = "[[mention_contexts]]\nregex = '\\bready\\b'\nnote = \"at hand\"\n";
    match Rules::from_sources([
        (PathBuf::from("common.toml"), common),
        (PathBuf::from("bb.toml"), FEATURES),
    ]) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
});

fn feature(text: &str) -> Classification {
    FEATURE_RULES.classify(&ClassifyInput {
        subject: "",
        new_text: text,
        quoted: "",
    })
}

#[test]
fn with_requires_its_partner_in_the_same_sentence() {
    assert_eq!(feature("paired. partner").concerns, Vec::<String>::new());
    assert_eq!(feature("paired with partner").concerns, ["alpha"]);
}

#[test]
fn unless_suppresses_within_the_sentence_only() {
    assert_eq!(feature("guarded by a guard").concerns, Vec::<String>::new());
    assert_eq!(feature("guarded. a guard").concerns, ["alpha"]);
}

#[test]
fn clause_negative_suppresses_only_its_clause() {
    assert_eq!(feature("alpha clausekill").concerns, Vec::<String>::new());
    assert_eq!(feature("alpha, clausekill").concerns, ["alpha"]);
}

#[test]
fn mention_context_from_common_file_suppresses_the_hit() {
    let c = feature("alpha is ready");
    assert!(c.concerns.is_empty());
    assert!(
        c.reasons
            .iter()
            .any(|r| r.contains("only mentioned (at hand")),
        "{:?}",
        c.reasons
    );
}

#[test]
fn subtract_lowers_the_score_and_says_so() {
    let c = feature("alpha minus");
    assert!(c.concerns.is_empty(), "3.0 - 2.0 is below the threshold");
    assert!(
        c.reasons.iter().any(|r| r.contains("-2.0")),
        "{:?}",
        c.reasons
    );
    assert_eq!(
        feature("alpha, alpha paired partner minus").concerns,
        ["alpha"]
    );
}

#[test]
fn mail_negative_without_subtract_vetoes_the_concern() {
    assert_eq!(feature("beta betaplus").concerns, ["beta"]);
    assert!(feature("beta betaplus veto").concerns.is_empty());
}

#[test]
fn min_score_overrides_the_threshold() {
    assert!(feature("beta").concerns.is_empty(), "3.0 < min_score 4.0");
}

#[test]
fn generic_words_yield_to_a_firmly_raised_concern() {
    assert_eq!(feature("vague").concerns, ["alpha"]);
    assert_eq!(feature("vague beta betaplus").concerns, ["beta"]);
    // alpha's unambiguous word keeps it.
    assert_eq!(
        feature("alpha vague beta betaplus").concerns,
        ["alpha", "beta"]
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Any text is classified without panic, and every quote maps back into the input.
    #[test]
    fn classify_is_total(subject in "\\PC{0,40}", text in "(\\PC|\\n|ä|ß|\u{308}|\\.|,){0,300}") {
        let c = RULES.classify(&ClassifyInput { subject: &subject, new_text: &text, quoted: &text });
        proptest::prop_assert!((0.0..=1.0).contains(&c.confidence));
        proptest::prop_assert_eq!(c.unclassified, c.concerns.is_empty());
    }

    #[test]
    fn normalised_ranges_map_to_original_char_boundaries(text in "(\\PC|\\n|ä|ß|\u{308}){0,80}", a in 0usize..200, b in 0usize..200) {
        let n = normalize::normalize_mapped(&text);
        let (lo, hi) = (a.min(b).min(n.text.len()), a.max(b).min(n.text.len()));
        let _ = n.original(&text, lo..hi);
    }
}
