use buergerservice::classify::{ClassifyInput, Rules};
use std::time::Instant;
fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples/mails");
    let mails: Vec<Vec<u8>> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "eml")).map(|p| std::fs::read(p).unwrap()).collect();
    let rules = Rules::builtin();
    let cfg = buergerservice::config::Config::default();
    let planning = cfg.planning_rules(&[]);
    let now: jiff::Zoned = buergerservice::tz::parse_instant("2027-04-06T08:00").unwrap();
    let n = 20;
    let t = Instant::now();
    let mut parsed = vec![];
    for _ in 0..n { parsed = mails.iter().map(|m| buergerservice::parse::parse(m).unwrap()).collect(); }
    println!("parse    {:?}/mail", t.elapsed() / (n * mails.len() as u32));
    let t = Instant::now();
    for _ in 0..n { for p in &parsed { std::hint::black_box(buergerservice::kind::detect(p)); } }
    println!("kind     {:?}/mail", t.elapsed() / (n * mails.len() as u32));
    let t = Instant::now();
    for _ in 0..n { for p in &parsed { std::hint::black_box(rules.classify(&ClassifyInput { subject: &p.subject, new_text: &p.body.new_text, quoted: &p.body.quoted })); } }
    println!("classify {:?}/mail", t.elapsed() / (n * mails.len() as u32));
    let t = Instant::now();
    let mut avs = vec![];
    for _ in 0..n { avs = parsed.iter().map(|p| buergerservice::extract::when::availability(&p.body.new_text, &now)).collect(); }
    println!("when     {:?}/mail", t.elapsed() / (n * mails.len() as u32));
    let t = Instant::now();
    for _ in 0..n { for p in &parsed { std::hint::black_box(buergerservice::extract::household::extract(&p.body.new_text, &p.body.signature)); } }
    println!("household{:?}/mail", t.elapsed() / (n * mails.len() as u32));
    let t = Instant::now();
    for _ in 0..n { for p in &parsed { std::hint::black_box(buergerservice::extract::language::detect(&p.body.new_text, None)); } }
    println!("language {:?}/mail", t.elapsed() / (n * mails.len() as u32));
    let t = Instant::now();
    for _ in 0..n { for a in &avs { let req = buergerservice::schedule::VisitRequest { duration_minutes: 30, district: None, street: None, availability: a }; std::hint::black_box(buergerservice::schedule::propose(&planning, &buergerservice::schedule::Agenda::new(), &req, &now)); } }
    println!("plan     {:?}/mail", t.elapsed() / (n * mails.len() as u32));
}
