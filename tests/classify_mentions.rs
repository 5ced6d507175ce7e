//! Mails nobody labelled: things merely mentioned are no concern (a job in a Kita, an ID
//! card inside a found wallet).

use buergerservice::classify::{ClassifyInput, Rules};

fn concerns(subject: &str, text: &str) -> Vec<String> {
    Rules::builtin().classify(&ClassifyInput { subject, new_text: text, quoted: "" }).concerns
}

#[test]
fn a_job_in_a_kita_is_no_childcare_request() {
    let c = concerns("Führungszeugnis", "Ich brauche ein erweitertes Führungszeugnis für meine neue Stelle in der Kita.");
    assert_eq!(c, vec!["fuehrungszeugnis"]);
    // A place in a Kita still is.
    assert!(concerns("Kitaplatz", "Wir suchen ab August einen Kitaplatz für unsere Tochter.").contains(&"kita".to_string()));
}

#[test]
fn an_id_card_that_was_found_is_a_fundsache_not_an_application() {
    assert_eq!(concerns("Lost wallet found", "Hi, I found a wallet with an ID card near the train station."), vec!["fundsache"]);
    assert_eq!(concerns("Fund", "Ich habe heute einen Personalausweis gefunden und möchte ihn abgeben."), vec!["fundsache"]);
    assert_eq!(concerns("Ausweis", "Mein Personalausweis ist abgelaufen, ich brauche einen neuen."), vec!["personalausweis"]);
}
