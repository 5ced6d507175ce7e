//! Property tests of the planner over random configurations, calendars and wishes: no
//! proposal ever breaks an office rule, and a proposal outside the household's windows
//! only appears when no fitting slot exists in the horizon (checked by brute force).

use buergerservice::extract::when::{Availability, Window};
use buergerservice::schedule::calendar::{first_saturday_of_month, hessian_holiday};
use buergerservice::schedule::{propose, Agenda, Busy, District, OfficeCalendar, PlanningRules, StaffMember, Travel, VisitRequest, WeekWindows};
use buergerservice::tz::berlin;
use jiff::civil::{date, Date, DateTime, Time};
use jiff::{Span, Zoned};
use proptest::prelude::*;

fn t(h: i8, m: i8) -> Time {
    Time::new(h, m, 0, 0).unwrap()
}

fn day(offset: i64) -> Date {
    date(2027, 3, 29).checked_add(Span::new().days(offset)).unwrap()
}

prop_compose! {
    fn staff_member(i: usize)(start in 7i8..12, len in 3i8..12, max in 1u32..6, sat in any::<bool>()) -> StaffMember {
        let end = (start + len).min(22);
        let weekday = vec![(t(start, 0), t(end, 0))];
        let mut days: [Vec<(Time, Time)>; 7] = Default::default();
        for d in days.iter_mut().take(5) { *d = weekday.clone(); }
        if sat { days[5] = vec![(t(9, 0), t(14, 0))]; }
        StaffMember { name: format!("S{i}"), email: format!("s{i}@hochheim.de"), max_visits_per_day: max, windows: WeekWindows { days } }
    }
}

prop_compose! {
    fn planning_rules()(
        s0 in staff_member(0), s1 in staff_member(1), n in 1usize..3,
        pilot in 0i64..10, closures in prop::collection::vec(0i64..40, 0..4),
        matches in prop::collection::vec((0i64..40, 18i8..22), 0..5),
        blackouts in prop::collection::vec((0i64..40, 8i8..20, 1i64..4), 0..3),
        same in 5i64..20, cross in 10i64..40, horizon in 7i64..30,
    ) -> PlanningRules {
        let mut cal = OfficeCalendar { pilot_start: Some(day(pilot)), kickoff_margin_minutes: 15, ..Default::default() };
        cal.closures = closures.into_iter().map(day).collect();
        for (d, h) in matches { cal.match_days.insert(day(d), t(h, 0)); }
        PlanningRules {
            calendar: cal,
            staff: vec![s0, s1].into_iter().take(n).collect(),
            travel: Travel { same_district_minutes: same, between_districts_minutes: cross.max(same) },
            blackouts: blackouts.into_iter().map(|(d, h, len)| (day(d).at(h, 0, 0, 0), day(d).at(h, 0, 0, 0).checked_add(Span::new().hours(len)).unwrap())).collect(),
            min_notice_minutes: 24 * 60,
            horizon_days: horizon,
            proposals: 3,
            step_minutes: 15,
            waitlist_search_days: 60,
        }
    }
}

fn zoned(dt: DateTime) -> Zoned {
    dt.to_zoned(berlin()).unwrap()
}

prop_compose! {
    fn wish()(stated in any::<bool>(), wins in prop::collection::vec((0i64..40, 6i8..20, 1i64..6), 0..6),
              exc in prop::collection::vec(0i64..40, 0..3)) -> Availability {
        Availability {
            stated,
            windows: if stated { wins.into_iter().map(|(d, h, len)| {
                let s = day(d).at(h, 0, 0, 0);
                Window { start: zoned(s), end: zoned(s.checked_add(Span::new().hours(len)).unwrap()) }
            }).collect() } else { Vec::new() },
            excluded: exc.into_iter().map(|d| Window { start: zoned(day(d).at(0, 0, 0, 0)), end: zoned(day(d + 1).at(0, 0, 0, 0)) }).collect(),
        }
    }
}

prop_compose! {
    fn agenda(max_staff: usize)(busy in prop::collection::vec((0usize..2, 0i64..40, 7i8..20, 0i8..4, any::<bool>()), 0..40)) -> Vec<Busy> {
        busy.into_iter().map(|(s, d, h, q, mass)| {
            let start = day(d).at(h, q * 15, 0, 0);
            Busy { staff: format!("S{}", s.min(max_staff - 1)), start, end: start.checked_add(Span::new().minutes(30)).unwrap(),
                   district: Some(if mass { District::Massenheim } else { District::Hochheim }), street: None }
        }).collect()
    }
}

/// Every office rule a slot must keep, written independently of the planner.
fn office_allows(r: &PlanningRules, agenda: &Agenda, staff: &StaffMember, s: DateTime, e: DateTime, district: Option<District>) -> bool {
    let d = s.date();
    let wd = d.weekday().to_monday_zero_offset() as usize;
    let in_window = staff.windows.days[wd].iter().any(|&(a, b)| d.to_datetime(a) <= s && e <= d.to_datetime(b));
    let kickoff_ok = r.calendar.match_days.get(&d).is_none_or(|k| {
        e <= d.to_datetime(*k).checked_sub(Span::new().minutes(i64::from(r.calendar.kickoff_margin_minutes))).unwrap()
    });
    let busy = agenda.day(&staff.name, d);
    let buffer_ok = busy.iter().all(|b| {
        let gap = Span::new().minutes(r.travel.between(b.district, district));
        e.checked_add(gap).unwrap() <= b.start || b.end.checked_add(gap).unwrap() <= s
    });
    s.date() == e.date()
        && wd != 6
        && !(wd == 5 && first_saturday_of_month(d) != d)
        && hessian_holiday(d).is_none()
        && !r.calendar.closures.contains(&d)
        && r.calendar.pilot_start.is_none_or(|p| d >= p)
        && in_window
        && kickoff_ok
        && !r.blackouts.iter().any(|&(a, b)| s < b && a < e)
        && (busy.len() as u32) < staff.max_visits_per_day
        && buffer_ok
}

fn inside(w: &[Window], s: &Zoned, e: &Zoned) -> bool {
    w.iter().any(|x| &x.start <= s && e <= x.end)
}

fn overlaps(w: &[Window], s: &Zoned, e: &Zoned) -> bool {
    w.iter().any(|x| s < x.end && &x.start < e)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn proposals_keep_every_office_rule_and_the_wish_when_it_can_be_met(
        r in planning_rules(), a in wish(), busy in agenda(2), now_day in 0i64..20, now_h in 0i8..24, dur in 20i64..90,
    ) {
        let mut ag = Agenda::new();
        for b in busy { ag.add(b); }
        let now = zoned(day(now_day).at(now_h, 0, 0, 0));
        let req = VisitRequest { duration_minutes: dur, district: Some(District::Hochheim), street: None, availability: &a };
        let plan = propose(&r, &ag, &req, &now);
        let earliest = now.checked_add(Span::new().minutes(r.min_notice_minutes)).unwrap();
        for p in &plan.proposals {
            let staff = r.staff.iter().find(|s| s.name == p.staff).expect("a configured staff member");
            let (s, e) = (p.start.datetime(), p.end.datetime());
            prop_assert!(p.start >= earliest, "{p:?} before minimum notice");
            prop_assert!(office_allows(&r, &ag, staff, s, e, req.district), "{p:?} breaks an office rule");
            prop_assert!(!overlaps(&a.excluded, &p.start, &p.end), "{p:?} in an exclusion");
            if p.fits && a.stated {
                prop_assert!(inside(&a.windows, &p.start, &p.end), "{p:?} outside the wish");
            }
        }
        // Proposals must not collide with each other for the same staff member.
        for (i, p) in plan.proposals.iter().enumerate() {
            for q in &plan.proposals[i + 1..] {
                prop_assert!(p.staff != q.staff || p.end <= q.start || q.end <= p.start);
            }
        }
        // Not fitting, or nothing at all, only when brute force finds no fitting slot.
        if plan.proposals.iter().any(|p| !p.fits) || plan.proposals.is_empty() {
            let last = now.date().checked_add(Span::new().days(r.horizon_days)).unwrap();
            let mut d = now.date();
            while d <= last {
                for staff in &r.staff {
                    let mut s = d.at(0, 0, 0, 0);
                    while s.date() == d {
                        let e = s.checked_add(Span::new().minutes(dur)).unwrap();
                        let (zs, ze) = (zoned(s), zoned(e));
                        let fits = zs >= earliest && office_allows(&r, &ag, staff, s, e, req.district)
                            && !overlaps(&a.excluded, &zs, &ze) && (!a.stated || inside(&a.windows, &zs, &ze));
                        prop_assert!(!fits, "fitting slot {s} with {} missed; plan {plan:?}", staff.name);
                        s = s.checked_add(Span::new().minutes(15)).unwrap();
                    }
                }
                d = d.tomorrow().unwrap();
            }
        }
        if plan.waitlisted {
            prop_assert!(plan.proposals.is_empty());
        }
    }
}
