//! Triage throughput over the labelled sample corpus (`cargo bench --bench triage`).
//! Prints mails per second and CPU time per mail after start-up (rules compiled once).

use buergerservice::classify::Rules;
use buergerservice::config::Config;
use buergerservice::triage::{triage, Context};
use buergerservice::tz::berlin;
use std::path::Path;
use std::time::Instant;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples/mails");
    let mut mails: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("../shared/samples/mails")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    mails.sort();
    let t0 = Instant::now();
    let rules = Rules::builtin();
    let planning = Config::default().planning_rules(&[]);
    let ctx = Context { rules: &rules, planning: Some(&planning) };
    let startup = t0.elapsed();
    let now = jiff::Zoned::now().with_time_zone(berlin());

    // Warm-up: lazily compiled regexes and allocator.
    for (name, raw) in &mails {
        let _ = triage(name, raw, None, &now, ctx);
    }
    let rounds = 50;
    let t = Instant::now();
    let mut n = 0usize;
    for _ in 0..rounds {
        for (name, raw) in &mails {
            std::hint::black_box(triage(name, raw, None, &now, ctx).ok());
            n += 1;
        }
    }
    let el = t.elapsed();
    let per = el / n as u32;
    println!("triage: {} sample mails x {rounds} rounds", mails.len());
    println!("  rules start-up      {:>10.2?}", startup);
    println!("  per mail (mean)     {:>10.2?}", per);
    println!("  mails per second    {:>10.0}", n as f64 / el.as_secs_f64());
    // The slowest single mail, so one pathological mail does not hide in the mean.
    let mut worst = (std::time::Duration::ZERO, String::new());
    for (name, raw) in &mails {
        let t = Instant::now();
        for _ in 0..10 {
            std::hint::black_box(triage(name, raw, None, &now, ctx).ok());
        }
        let d = t.elapsed() / 10;
        if d > worst.0 {
            worst = (d, name.clone());
        }
    }
    println!("  slowest mail        {:>10.2?}  ({})", worst.0, worst.1);
}
