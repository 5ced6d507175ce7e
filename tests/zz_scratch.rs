use buergerservice::extract::{household, reply};
#[test]
fn scratch() {
    let now = buergerservice::tz::parse_instant("2027-04-08T09:00").unwrap();
    let hs = [
        ("Hi, I'm writing on behalf of my father who needs a new ID card. He lives at Weiherstraße 12, Hochheim.", "Thanks,\nJohn\nFriedrichstraße 3, 10117 Berlin\nPhone: +49 30 1234567"),
        ("we are a family of four and just moved to Massenheim (Am Kreuz 3).", ""),
        ("Ich brauche eine Meldebescheinigung. Meine Adresse: Hauptstr. 12 A, 65239 Hochheim. Erreichbar unter 0176-12345678.", ""),
        ("Wir möchten Briefwahl beantragen, meine Frau und ich.", "Karl Huber\nAn der Kirche 4\nHochheim"),
        ("Moin, mein Perso ist abgelaufen. Bin werktags ab 18 Uhr da.\nLG Max", "Max Mustermann\nBurgeffstr. 5, 65239 Hochheim\nTel 06146-123456"),
        ("Meine Eltern (beide über 80) brauchen neue Ausweise. Ich schreibe für sie.", "Anna Schmitt"),
        ("Mein Sohn (17) und ich brauchen beide neue Reisepässe.", ""),
        ("Sehr geehrte Damen und Herren, am 3. Juni 2027 um 14 Uhr bin ich zu Hause. Ich wohne Am Hang 14.", ""),
    ];
    for (t, s) in hs {
        println!("{:?}\n", household::extract(t, s));
    }
    let q = "1) Tuesday, 13 April, 18:00–18:40\n2) Thursday, 15 April, 19:00–19:40\n3) Saturday, 1 May, 10:00–10:40\n";
    let rs = [
        "Hi, Thursday works great for us!",
        "Option 3 please.",
        "Sorry, we have to cancel - we found the passport.",
        "Can we move it to the following week? We are away.",
        "The Saturday morning one, please.",
        "I'll take the first one.",
        "We can't make Tuesday or Thursday, so Saturday it is.",
        "Hi,\n\nsecond option is fine.\n\nBest, Tom",
        "May 1st is perfect.",
    ];
    for r in rs {
        println!("{r}\n  -> {:?}", reply::extract(r, q, &now));
    }
}
