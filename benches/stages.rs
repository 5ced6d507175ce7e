//! Time per pipeline stage over the sample corpus (`cargo bench --bench stages`);
//! `STAGE=<name> N=<iterations>` runs one stage alone, e.g. under callgrind.
use buergerservice::classify::{ClassifyInput, Rules};
use std::time::Instant;
fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples/mails");
    let mails: Vec<Vec<u8>> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "eml")).map(|p| std::fs::read(p).unwrap()).collect();
    let rules = Rules::builtin();
    let cfg = buergerservice::config::Config::default();
    let planning = cfg.planning_rules(&[]);
    let now: jiff::Zoned = buergerservice::tz::parse_instant("2027-04-06T08:00").unwrap();
    // STAGE=classify N=500: time (and profile) one stage only.
    let only = std::env::var("STAGE").ok();
    let on = |s: &str| only.as_deref().is_none_or(|o| o == s);
    let n: u32 = std::env::var("N").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let per = |t: Instant| t.elapsed() / (n * mails.len() as u32);
    let parsed: Vec<_> = mails.iter().map(|m| buergerservice::parse::parse(m).unwrap()).collect();
    let avs: Vec<_> = parsed.iter().map(|p| buergerservice::extract::when::availability(&p.body.new_text, &now)).collect();
    // Warm the lazily compiled regexes so start-up is not counted.
    for p in &parsed {
        std::hint::black_box(buergerservice::kind::detect(p));
        std::hint::black_box(rules.classify(&ClassifyInput { subject: &p.subject, new_text: &p.body.new_text, quoted: &p.body.quoted }));
        std::hint::black_box(buergerservice::extract::household::extract(&p.body.new_text, &p.body.signature));
        std::hint::black_box(buergerservice::extract::language::detect(&p.body.new_text, None));
    }
    if on("parse") {
        let t = Instant::now();
        for _ in 0..n { for m in &mails { std::hint::black_box(buergerservice::parse::parse(m).unwrap()); } }
        println!("parse     {:?}/mail", per(t));
    }
    if on("kind") {
        let t = Instant::now();
        for _ in 0..n { for p in &parsed { std::hint::black_box(buergerservice::kind::detect(p)); } }
        println!("kind      {:?}/mail", per(t));
    }
    if on("classify") {
        let t = Instant::now();
        for _ in 0..n { for p in &parsed { std::hint::black_box(rules.classify(&ClassifyInput { subject: &p.subject, new_text: &p.body.new_text, quoted: &p.body.quoted })); } }
        println!("classify  {:?}/mail", per(t));
    }
    if on("when") {
        let t = Instant::now();
        for _ in 0..n { for p in &parsed { std::hint::black_box(buergerservice::extract::when::availability(&p.body.new_text, &now)); } }
        println!("when      {:?}/mail", per(t));
    }
    if on("household") {
        let t = Instant::now();
        for _ in 0..n { for p in &parsed { std::hint::black_box(buergerservice::extract::household::extract(&p.body.new_text, &p.body.signature)); } }
        println!("household {:?}/mail", per(t));
    }
    if on("language") {
        let t = Instant::now();
        for _ in 0..n { for p in &parsed { std::hint::black_box(buergerservice::extract::language::detect(&p.body.new_text, None)); } }
        println!("language  {:?}/mail", per(t));
    }
    if on("plan") {
        let agenda = buergerservice::schedule::Agenda::new();
        let t = Instant::now();
        for _ in 0..n { for a in &avs { let req = buergerservice::schedule::VisitRequest { duration_minutes: 30, district: None, street: None, availability: a }; std::hint::black_box(buergerservice::schedule::propose(&planning, &agenda, &req, &now)); } }
        println!("plan      {:?}/mail", per(t));
    }
}
