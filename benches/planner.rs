//! Planning throughput: proposals for a household with 5 staff and 2,000 visits already
//! booked in the horizon (`cargo bench --bench planner`). Target: ≥ 1,000 plans/s.

use buergerservice::config::Config;
use buergerservice::extract::when::availability;
use buergerservice::schedule::{propose, Agenda, Busy, District};
use buergerservice::tz::parse_instant;
use jiff::Span;
use std::time::Instant;

fn main() {
    let mut cfg = Config::parse("").expect("defaults");
    let base = cfg.staff[0].clone();
    cfg.staff = (0..5)
        .map(|i| {
            let mut s = base.clone();
            s.name = format!("Mitarbeiter {i}");
            s.max_visits_per_day = 12;
            s
        })
        .collect();
    let rules = cfg.planning_rules(&[]);
    let now = parse_instant("2027-04-06T08:00:00+02:00").expect("time");

    // 2,000 bookings spread over the six-week horizon, in a fixed pseudo-random pattern.
    let mut agenda = Agenda::new();
    let mut x: u64 = 0x2545F4914F6CDD1D;
    let mut n = 0;
    while n < 2000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let day = now.date().checked_add(Span::new().days((x % 42) as i64 + 1)).expect("date");
        let staff = format!("Mitarbeiter {}", (x >> 8) % 5);
        let start = day.at(8 + ((x >> 16) % 12) as i8, (((x >> 24) % 4) * 15) as i8, 0, 0);
        let end = start.checked_add(Span::new().minutes(30)).expect("time");
        if agenda.day(&staff, day).iter().any(|b| start < b.end && b.start < end) {
            continue;
        }
        let district = if x.is_multiple_of(3) { District::Massenheim } else { District::Hochheim };
        agenda.add(Busy { staff, start, end, district: Some(district), street: None });
        n += 1;
    }

    let wishes = [
        ("no wish", availability("", &now)),
        ("donnerstags ab 18 Uhr", availability("donnerstags ab 18 Uhr", &now)),
        ("werktags nach Feierabend", availability("werktags nach Feierabend", &now)),
    ];
    println!("planner: 5 staff, {} bookings in the horizon", agenda.len());
    for (label, a) in &wishes {
        let req = buergerservice::schedule::VisitRequest { duration_minutes: 40, district: Some(District::Hochheim), street: None, availability: a };
        let rounds = 2000;
        let t = Instant::now();
        let mut found = 0;
        for _ in 0..rounds {
            found += std::hint::black_box(propose(&rules, &agenda, &req, &now)).proposals.len();
        }
        let el = t.elapsed();
        println!("  {label:28} {:>8.0} plans/s  ({:.1?} each, {} proposals per plan)", rounds as f64 / el.as_secs_f64(), el / rounds, found / rounds as usize);
    }

    // Heavy demand: households from a few streets in both districts book their first
    // proposal until the horizon is full. Visits per staff day show how well the
    // planner chains visits nearby (travel buffers between districts cost time).
    let streets = ["Kolpingstraße", "Weiherstraße", "Frankfurter Straße", "Am Weiher", "Massenheimer Landstraße", "Hochheimer Straße"];
    let empty = availability("", &now);
    let mut agenda = Agenda::new();
    let mut booked = 0usize;
    let t = Instant::now();
    for i in 0..5000usize {
        let street = streets[i % streets.len()];
        let district = if i % streets.len() >= 4 { District::Massenheim } else { District::Hochheim };
        let req = buergerservice::schedule::VisitRequest { duration_minutes: 30, district: Some(district), street: Some(street), availability: &empty };
        let plan = propose(&rules, &agenda, &req, &now);
        let Some(p) = plan.proposals.first() else { break };
        agenda.add(Busy { staff: p.staff.clone(), start: p.start.datetime(), end: p.end.datetime(), district: Some(district), street: Some(street.to_string()) });
        booked += 1;
    }
    let mut open_days = 0;
    let mut d = now.date();
    let last = now.date().checked_add(Span::new().days(rules.horizon_days)).expect("date");
    while d <= last {
        if rules.calendar.closed(d).is_none() {
            open_days += 1;
        }
        d = d.tomorrow().expect("date");
    }
    println!(
        "  heavy demand: {booked} visits booked in {open_days} open days by 5 staff = {:.1} visits per staff day (max 12; {:.1?})",
        booked as f64 / (5.0 * open_days as f64),
        t.elapsed()
    );
}
