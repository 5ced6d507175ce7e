//! Home-visit planning: fitting slots for one household, given the office rules, the
//! staff, and what is already booked or held. Pure logic (civil Berlin wall-clock times
//! inside, `Zoned` at the edges).

use super::calendar::OfficeCalendar;
use crate::extract::when::Availability;
use crate::tz::berlin;
use jiff::civil::{Date, DateTime, Time};
use jiff::{SignedDuration, Span, Zoned};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The two parts of town; travel between them takes longer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum District {
    Hochheim,
    Massenheim,
}

/// Working windows of one staff member per weekday (index: Monday = 0). Saturday windows
/// apply only where the calendar opens a Saturday (the first of the month).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WeekWindows {
    pub days: [Vec<(Time, Time)>; 7],
}

#[derive(Debug, Clone, PartialEq)]
pub struct StaffMember {
    pub name: String,
    pub email: String,
    pub max_visits_per_day: u32,
    pub windows: WeekWindows,
}

/// Minutes to keep free between two visits of one staff member.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Travel {
    pub same_district_minutes: i64,
    pub between_districts_minutes: i64,
}

impl Travel {
    /// Unknown districts get the larger buffer: better early than late.
    pub fn between(&self, a: Option<District>, b: Option<District>) -> i64 {
        match (a, b) {
            (Some(a), Some(b)) if a == b => self.same_district_minutes,
            _ => self.between_districts_minutes,
        }
    }
}

/// Everything the planner needs to know about the office.
#[derive(Debug, Clone)]
pub struct PlanningRules {
    pub calendar: OfficeCalendar,
    pub staff: Vec<StaffMember>,
    pub travel: Travel,
    /// Other times nobody visits (Berlin wall clock, half-open).
    pub blackouts: Vec<(DateTime, DateTime)>,
    pub min_notice_minutes: i64,
    pub horizon_days: i64,
    pub proposals: usize,
    /// Grid of start times, e.g. every 15 minutes.
    pub step_minutes: i64,
    /// How far beyond the horizon the honest earliest date of a waitlisted case is sought.
    pub waitlist_search_days: i64,
}

/// A visit already booked, or a slot held for another household's proposal.
#[derive(Debug, Clone, PartialEq)]
pub struct Busy {
    pub staff: String,
    pub start: DateTime,
    pub end: DateTime,
    pub district: Option<District>,
    pub street: Option<String>,
}

/// Busy slots indexed by staff member and day, and the days staff are away (ill, on
/// leave): the planner never puts an absent person on a visit.
#[derive(Debug, Clone, Default)]
pub struct Agenda {
    /// Per staff member, then per day: a probe by `&str` needs no allocation (the planner
    /// probes every staff member on every day it searches).
    by_staff_day: HashMap<String, BTreeMap<Date, Vec<Busy>>>,
    /// Inclusive day spans per staff member.
    absent: BTreeMap<String, Vec<(Date, Date)>>,
}

impl Agenda {
    pub fn new() -> Agenda {
        Agenda::default()
    }

    pub fn add(&mut self, busy: Busy) {
        let date = busy.start.date();
        let days = match self.by_staff_day.get_mut(busy.staff.as_str()) {
            Some(days) => days,
            None => self.by_staff_day.entry(busy.staff.clone()).or_default(),
        };
        let day = days.entry(date).or_default();
        let at = day.partition_point(|b| b.start <= busy.start);
        day.insert(at, busy);
    }

    pub fn day(&self, staff: &str, date: Date) -> &[Busy] {
        self.by_staff_day.get(staff).and_then(|days| days.get(&date)).map(Vec::as_slice).unwrap_or(&[])
    }

    /// `staff` makes no visits from `from` through `to` (both inclusive).
    pub fn add_absence(&mut self, staff: &str, from: Date, to: Date) {
        self.absent.entry(staff.to_string()).or_default().push((from, to));
    }

    pub fn is_absent(&self, staff: &str, date: Date) -> bool {
        self.absent.get(staff).is_some_and(|spans| spans.iter().any(|&(a, b)| a <= date && date <= b))
    }

    pub fn len(&self) -> usize {
        self.by_staff_day.values().flat_map(BTreeMap::values).map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_staff_day.values().all(BTreeMap::is_empty)
    }
}

/// The household to visit.
#[derive(Debug, Clone)]
pub struct VisitRequest<'a> {
    pub duration_minutes: i64,
    pub district: Option<District>,
    pub street: Option<&'a str>,
    pub availability: &'a Availability,
}

/// One proposed slot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    #[serde(serialize_with = "crate::extract::when::rfc3339")]
    pub start: Zoned,
    #[serde(serialize_with = "crate::extract::when::rfc3339")]
    pub end: Zoned,
    pub staff: String,
    /// False for a nearest alternative offered because nothing fits the stated wish.
    pub fits: bool,
}

/// The planner's answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub proposals: Vec<Proposal>,
    /// No capacity at all within the horizon: the case goes on the waiting list.
    pub waitlisted: bool,
    /// The true earliest possible visit (also beyond the horizon for a waitlisted case).
    pub earliest: Option<Zoned>,
}

#[derive(Debug, Clone)]
struct Candidate {
    staff: usize,
    start: DateTime,
    end: DateTime,
    /// Higher is better: chains with a nearby visit of the same staff member.
    chain: u8,
}

/// Household windows in civil Berlin time.
struct Wish {
    stated: bool,
    windows: Vec<(DateTime, DateTime)>,
    excluded: Vec<(DateTime, DateTime)>,
    /// Both lists sorted and non-overlapping, as `Availability` promises: then a binary
    /// search finds the one window that can matter.
    disjoint: bool,
}

impl Wish {
    fn new(a: &Availability) -> Wish {
        let civil = |ws: &[crate::extract::when::Window]| {
            let mut v: Vec<_> = ws
                .iter()
                .map(|w| (w.start.with_time_zone(berlin()).datetime(), w.end.with_time_zone(berlin()).datetime()))
                .collect();
            v.sort();
            v
        };
        let (windows, excluded) = (civil(&a.windows), civil(&a.excluded));
        let apart = |v: &[(DateTime, DateTime)]| v.windows(2).all(|w| w[0].1 <= w[1].0);
        let disjoint = apart(&windows) && apart(&excluded);
        Wish { stated: a.stated, windows, excluded, disjoint }
    }

    fn allows(&self, start: DateTime, end: DateTime, honour_windows: bool) -> bool {
        if !self.disjoint {
            return !self.excluded.iter().any(|&(a, b)| start < b && a < end)
                && (!honour_windows || !self.stated || self.windows.iter().any(|&(a, b)| a <= start && end <= b));
        }
        // A stated weekday wish expands to a window per day over months: binary search
        // instead of a scan per grid step.
        let first_ending_after = self.excluded.partition_point(|&(_, b)| b <= start);
        if self.excluded.get(first_ending_after).is_some_and(|&(a, _)| a < end) {
            return false;
        }
        if !honour_windows || !self.stated {
            return true;
        }
        let starting_by = self.windows.partition_point(|&(a, _)| a <= start);
        starting_by > 0 && self.windows.get(starting_by - 1).is_some_and(|&(_, b)| end <= b)
    }

    /// Whether any slot on `day` can be allowed: false when honouring a stated wish with
    /// no window touching the day. Lets the search skip a day (the waiting-list search
    /// looks at months beyond the last window) without probing its every grid step.
    fn may_allow_on(&self, day: Date, honour_windows: bool) -> bool {
        if !honour_windows || !self.stated {
            return true;
        }
        let (from, to) = (day.to_datetime(Time::midnight()), day.tomorrow().map(|d| d.to_datetime(Time::midnight())).unwrap_or(DateTime::MAX));
        if !self.disjoint {
            return self.windows.iter().any(|&(a, b)| a < to && from < b);
        }
        let first_ending_after = self.windows.partition_point(|&(_, b)| b <= from);
        self.windows.get(first_ending_after).is_some_and(|&(a, _)| a < to)
    }
}

/// Plan proposals for one household. `agenda` holds every booking and unexpired hold.
pub fn propose(rules: &PlanningRules, agenda: &Agenda, req: &VisitRequest<'_>, now: &Zoned) -> Plan {
    let wish = Wish::new(req.availability);
    let now_civil = now.with_time_zone(berlin()).datetime();
    let earliest = now_civil.saturating_add(Span::new().minutes(rules.min_notice_minutes));
    let last_day = now_civil.date().saturating_add(Span::new().days(rules.horizon_days));

    let fitting = search(rules, agenda, req, &wish, earliest, last_day, true);
    if !fitting.is_empty() {
        return finish(rules, fitting, true);
    }
    // Nothing fits the stated wish: the nearest alternatives, marked as not fitting.
    if wish.stated {
        let other = search(rules, agenda, req, &wish, earliest, last_day, false);
        if !other.is_empty() {
            return finish(rules, other, false);
        }
    }
    // No capacity at all within the horizon: waiting list, with the honest earliest date.
    let beyond = last_day.saturating_add(Span::new().days(1));
    let far = last_day.saturating_add(Span::new().days(rules.waitlist_search_days));
    let first = search_first(rules, agenda, req, &wish, earliest.max(beyond.to_datetime(Time::midnight())), far, true)
        .or_else(|| search_first(rules, agenda, req, &wish, earliest.max(beyond.to_datetime(Time::midnight())), far, false));
    Plan { proposals: Vec::new(), waitlisted: true, earliest: first.map(|c| to_zoned(c.start)) }
}

fn finish(rules: &PlanningRules, by_day: Vec<Vec<Candidate>>, fits: bool) -> Plan {
    let picked = pick(by_day, rules.proposals.max(1));
    let earliest = picked.iter().map(|c| c.start).min().map(to_zoned);
    let proposals = picked
        .into_iter()
        .map(|c| Proposal {
            start: to_zoned(c.start),
            end: to_zoned(c.end),
            staff: rules.staff.get(c.staff).map(|s| s.name.clone()).unwrap_or_default(),
            fits,
        })
        .collect();
    Plan { proposals, waitlisted: false, earliest }
}

fn to_zoned(dt: DateTime) -> Zoned {
    // Visits never lie in the DST gap (staff windows are daytime), so the compatible
    // disambiguation never moves a slot.
    dt.to_zoned(berlin()).unwrap_or_else(|_| Zoned::now().with_time_zone(berlin()))
}

/// One proposal per day on the earliest days, best chained first; fewer days than
/// proposals wanted → further slots on the same days, an hour apart where possible.
fn pick(by_day: Vec<Vec<Candidate>>, n: usize) -> Vec<Candidate> {
    let mut picked: Vec<Candidate> = Vec::new();
    for day in &by_day {
        if picked.len() == n {
            break;
        }
        if let Some(best) = best_of(day) {
            picked.push(best.clone());
        }
    }
    'fill: for day in &by_day {
        for c in day {
            if picked.len() >= n {
                break 'fill;
            }
            if picked.iter().all(|p| distinct(p, c)) {
                picked.push(c.clone());
            }
        }
    }
    picked.sort_by_key(|c| c.start);
    picked
}

/// Two proposals the household can tell apart and we can both hold: another day, or an
/// hour apart and, for the same staff member, not overlapping.
fn distinct(p: &Candidate, c: &Candidate) -> bool {
    if p.start.date() != c.start.date() {
        return true;
    }
    let apart = c.start.duration_since(p.start).abs() >= jiff::SignedDuration::from_mins(60);
    apart && (p.staff != c.staff || c.end <= p.start || p.end <= c.start)
}

fn best_of(day: &[Candidate]) -> Option<&Candidate> {
    // Highest chain score, then the earliest start.
    day.iter().min_by(|a, b| b.chain.cmp(&a.chain).then(a.start.cmp(&b.start)))
}

/// All candidates per open day from `from` through `last_day`, stopping once enough days
/// have candidates.
///
/// `pick` only looks past each day's best candidate when there are fewer days than
/// proposals (to fill up on the same days), so the days are first searched for their best
/// only, and searched in full again only in that case.
fn search(
    rules: &PlanningRules,
    agenda: &Agenda,
    req: &VisitRequest<'_>,
    wish: &Wish,
    from: DateTime,
    last_day: Date,
    honour_windows: bool,
) -> Vec<Vec<Candidate>> {
    let wanted = rules.proposals.max(1);
    let mut out = Vec::new();
    let mut days = Vec::new();
    let mut day = from.date();
    while day <= last_day && out.len() < wanted {
        let c = day_candidates(rules, agenda, req, wish, from, day, honour_windows, Want::Best);
        if !c.is_empty() {
            out.push(c);
            days.push(day);
        }
        day = match day.tomorrow() {
            Ok(d) => d,
            Err(_) => break,
        };
    }
    if out.len() < wanted {
        return days
            .into_iter()
            .map(|d| day_candidates(rules, agenda, req, wish, from, d, honour_windows, Want::All))
            .collect();
    }
    out
}

fn search_first(
    rules: &PlanningRules,
    agenda: &Agenda,
    req: &VisitRequest<'_>,
    wish: &Wish,
    from: DateTime,
    last_day: Date,
    honour_windows: bool,
) -> Option<Candidate> {
    let mut day = from.date();
    while day <= last_day {
        if let Some(c) = day_candidates(rules, agenda, req, wish, from, day, honour_windows, Want::Earliest).into_iter().next() {
            return Some(c);
        }
        day = day.tomorrow().ok()?;
    }
    None
}

/// Which of a day's candidates the caller needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// Every candidate, in staff, window, time order.
    All,
    /// Only what [`best_of`] would pick from all of them (highest chain, then earliest,
    /// then first in order).
    Best,
    /// Only the earliest start (the first in order among equal starts).
    Earliest,
}

#[allow(clippy::too_many_arguments)]
fn day_candidates(
    rules: &PlanningRules,
    agenda: &Agenda,
    req: &VisitRequest<'_>,
    wish: &Wish,
    from: DateTime,
    day: Date,
    honour_windows: bool,
    want: Want,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    if rules.calendar.closed(day).is_some() || !wish.may_allow_on(day, honour_windows) {
        return out;
    }
    let latest_end = rules.calendar.latest_end(day).map(|t| day.to_datetime(t));
    // Civil wall-clock time has no DST, so the grid is walked in nanoseconds of the day
    // (jiff's calendar arithmetic per step dominated the planner).
    let dur = NANOS_PER_MIN * req.duration_minutes.max(1);
    let step = NANOS_PER_MIN * rules.step_minutes.max(5);
    // Grid times before `from` are skipped; a day before `from` has none left.
    let from_ns = match from.date().cmp(&day) {
        std::cmp::Ordering::Less => None,
        std::cmp::Ordering::Equal => Some(nanos_of_day(from.time())),
        std::cmp::Ordering::Greater => return out,
    };
    let weekday = day.weekday().to_monday_zero_offset() as usize;
    let mut best: Option<Candidate> = None;
    for (si, staff) in rules.staff.iter().enumerate() {
        let Some(busy) = open_day(agenda, staff, day) else { continue };
        for &(ws, we) in &staff.windows.days[weekday] {
            let we = day.to_datetime(we);
            let ws_ns = nanos_of_day(ws);
            let mut t_ns = match from_ns {
                // The first grid time at or after `from`.
                Some(f) if f > ws_ns => ws_ns + (f - ws_ns + step - 1) / step * step,
                _ => ws_ns,
            };
            // An end past midnight lies after every window of the day.
            while let (Some(t), Some(end)) = (at_nanos(day, t_ns), at_nanos(day, t_ns + dur)) {
                if end > we || latest_end.is_some_and(|l| end > l) {
                    break;
                }
                if wish.allows(t, end, honour_windows) && slot_free(rules, busy, t, end, req.district) {
                    let c = Candidate { staff: si, start: t, end, chain: chain_score(busy, t, end, req, &rules.travel) };
                    match want {
                        Want::All => out.push(c),
                        Want::Best | Want::Earliest => {
                            // Later starts in this window are worse unless they chain better:
                            // with nothing booked (all 0) or the top score (3) reached, stop.
                            let done = want == Want::Earliest || busy.is_empty() || c.chain >= 3;
                            let better = best.as_ref().is_none_or(|b| {
                                if want == Want::Earliest {
                                    c.start < b.start
                                } else {
                                    c.chain > b.chain || (c.chain == b.chain && c.start < b.start)
                                }
                            });
                            if better {
                                best = Some(c);
                            }
                            if done {
                                break;
                            }
                        }
                    }
                }
                t_ns += step;
            }
        }
    }
    out.extend(best);
    out
}

/// The staff member's visits that day, or `None` when they make no further visit that
/// day (absent, or their daily maximum reached).
fn open_day<'a>(agenda: &'a Agenda, staff: &StaffMember, day: Date) -> Option<&'a [Busy]> {
    let busy = agenda.day(&staff.name, day);
    (!agenda.is_absent(&staff.name, day) && (busy.len() as u32) < staff.max_visits_per_day).then_some(busy)
}

/// Outside every blackout and clear of the staff member's other visits, travel included.
fn slot_free(rules: &PlanningRules, busy: &[Busy], start: DateTime, end: DateTime, district: Option<District>) -> bool {
    !rules.blackouts.iter().any(|&(a, b)| start < b && a < end) && clear_of(busy, start, end, district, &rules.travel)
}

/// Whether `staff` may take exactly `start`–`end` for a household in `district`, by the
/// rules proposals follow: a visit day, inside one of their working windows, over before
/// a match-day kick-off, no blackout, not absent, below their daily maximum, and clear of
/// their other visits and holds in `agenda` with the travel buffer. Used to hand a visit
/// to a colleague at the very same time; the household's wish and the grid do not apply
/// (the time was agreed already).
pub fn can_take(rules: &PlanningRules, agenda: &Agenda, staff: &str, start: DateTime, end: DateTime, district: Option<District>) -> bool {
    let day = start.date();
    let Some(member) = rules.staff.iter().find(|s| s.name == staff) else { return false };
    if end <= start || end.date() != day || rules.calendar.closed(day).is_some() {
        return false;
    }
    if rules.calendar.latest_end(day).is_some_and(|l| end > day.to_datetime(l)) {
        return false;
    }
    let Some(busy) = open_day(agenda, member, day) else { return false };
    let weekday = day.weekday().to_monday_zero_offset() as usize;
    member.windows.days[weekday].iter().any(|&(ws, we)| day.to_datetime(ws) <= start && end <= day.to_datetime(we))
        && slot_free(rules, busy, start, end, district)
}

const NANOS_PER_MIN: i64 = 60_000_000_000;
const NANOS_PER_DAY: i64 = 24 * 60 * NANOS_PER_MIN;

fn nanos_of_day(t: Time) -> i64 {
    ((i64::from(t.hour()) * 60 + i64::from(t.minute())) * 60 + i64::from(t.second())) * 1_000_000_000
        + i64::from(t.subsec_nanosecond())
}

/// `day` at `ns` nanoseconds after midnight; `None` from the next midnight on.
fn at_nanos(day: Date, ns: i64) -> Option<DateTime> {
    if !(0..NANOS_PER_DAY).contains(&ns) {
        return None;
    }
    let secs = ns / 1_000_000_000;
    let time = Time::new((secs / 3600) as i8, (secs / 60 % 60) as i8, (secs % 60) as i8, (ns % 1_000_000_000) as i32).ok()?;
    Some(day.to_datetime(time))
}

/// No overlap with another visit of the same staff member, travel buffer included.
// Civil time: whole minutes as a SignedDuration add exactly as a Span, only faster.
fn clear_of(busy: &[Busy], start: DateTime, end: DateTime, district: Option<District>, travel: &Travel) -> bool {
    busy.iter().all(|b| {
        let gap = SignedDuration::from_mins(travel.between(b.district, district));
        end.saturating_add(gap) <= b.start || b.end.saturating_add(gap) <= start
    })
}

/// How well a slot chains with a visit next to it (within 15 minutes of the buffer):
/// 3 same street, 2 same district, 1 any neighbour, 0 none.
fn chain_score(busy: &[Busy], start: DateTime, end: DateTime, req: &VisitRequest<'_>, travel: &Travel) -> u8 {
    let slack = SignedDuration::from_mins(15);
    busy.iter()
        .filter(|b| {
            let gap = SignedDuration::from_mins(travel.between(b.district, req.district));
            let after_b = b.end.saturating_add(gap).saturating_add(slack) >= start && b.end <= start;
            let before_b = end.saturating_add(gap).saturating_add(slack) >= b.start && end <= b.start;
            after_b || before_b
        })
        .map(|b| match (&b.street, req.street) {
            (Some(a), Some(s)) if a.eq_ignore_ascii_case(s) => 3,
            _ if b.district.is_some() && b.district == req.district => 2,
            _ => 1,
        })
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::extract::when::Window;
    use jiff::civil::{date, time};

    fn rules() -> PlanningRules {
        Config::parse("").unwrap().planning_rules(&[])
    }

    fn at(y: i16, m: i8, d: i8, h: i8, min: i8) -> Zoned {
        date(y, m, d).at(h, min, 0, 0).to_zoned(berlin()).unwrap()
    }

    fn wish(windows: &[(Zoned, Zoned)]) -> Availability {
        Availability {
            stated: true,
            windows: windows.iter().map(|(a, b)| Window { start: a.clone(), end: b.clone() }).collect(),
            excluded: Vec::new(),
        }
    }

    fn req(a: &Availability) -> VisitRequest<'_> {
        VisitRequest { duration_minutes: 30, district: Some(District::Hochheim), street: None, availability: a }
    }

    #[test]
    fn no_wish_gives_three_proposals_on_different_days_after_notice() {
        let a = Availability::default();
        let now = at(2027, 4, 6, 8, 41);
        let plan = propose(&rules(), &Agenda::new(), &req(&a), &now);
        assert_eq!(plan.proposals.len(), 3);
        let days: std::collections::BTreeSet<_> = plan.proposals.iter().map(|p| p.start.date()).collect();
        assert_eq!(days.len(), 3);
        assert!(plan.proposals[0].start >= at(2027, 4, 7, 8, 41));
        assert!(plan.proposals.iter().all(|p| p.fits));
    }

    #[test]
    fn slots_lie_inside_the_household_window_and_respect_kickoff() {
        let a = wish(&[(at(2027, 4, 8, 18, 0), at(2027, 4, 8, 22, 0)), (at(2027, 4, 15, 18, 0), at(2027, 4, 15, 22, 0))]);
        let mut r = rules();
        r.calendar.match_days.insert(date(2027, 4, 8), time(21, 0, 0, 0));
        let plan = propose(&r, &Agenda::new(), &req(&a), &at(2027, 4, 6, 8, 0));
        assert!(!plan.proposals.is_empty());
        for p in &plan.proposals {
            assert!(p.fits);
            assert!(p.start.hour() >= 18);
            assert!(p.end <= at(2027, 4, 8, 20, 45) || p.start.date() == date(2027, 4, 15));
        }
    }

    #[test]
    fn unmeetable_wish_gives_alternatives_marked_not_fitting() {
        // Sunday evenings only: the office never visits on Sundays.
        let a = wish(&[(at(2027, 4, 11, 18, 0), at(2027, 4, 11, 22, 0))]);
        let plan = propose(&rules(), &Agenda::new(), &req(&a), &at(2027, 4, 6, 8, 0));
        assert_eq!(plan.proposals.len(), 3);
        assert!(plan.proposals.iter().all(|p| !p.fits));
        assert!(!plan.waitlisted);
    }

    #[test]
    fn full_calendar_waitlists_with_an_honest_earliest_date() {
        let mut r = rules();
        r.staff[0].max_visits_per_day = 1;
        r.horizon_days = 7;
        let mut agenda = Agenda::new();
        let mut d = date(2027, 4, 1);
        while d <= date(2027, 4, 20) {
            agenda.add(Busy { staff: r.staff[0].name.clone(), start: d.at(8, 0, 0, 0), end: d.at(8, 30, 0, 0), district: None, street: None });
            d = d.tomorrow().unwrap();
        }
        let a = Availability::default();
        let plan = propose(&r, &agenda, &req(&a), &at(2027, 4, 6, 8, 0));
        assert!(plan.waitlisted);
        assert!(plan.proposals.is_empty());
        // 21 April is the first day with room.
        assert_eq!(plan.earliest.unwrap().date(), date(2027, 4, 21));
    }

    #[test]
    fn travel_buffer_is_kept_and_chaining_is_preferred() {
        let r = rules();
        let mut agenda = Agenda::new();
        let d = date(2027, 4, 7);
        agenda.add(Busy {
            staff: r.staff[0].name.clone(),
            start: d.at(18, 0, 0, 0),
            end: d.at(18, 30, 0, 0),
            district: Some(District::Massenheim),
            street: Some("Kolpingstraße".into()),
        });
        let a = wish(&[(at(2027, 4, 7, 17, 0), at(2027, 4, 7, 21, 0))]);
        let mut rq = req(&a);
        rq.district = Some(District::Massenheim);
        rq.street = Some("Kolpingstraße");
        let plan = propose(&r, &agenda, &rq, &at(2027, 4, 6, 8, 0));
        let first = &plan.proposals[0];
        // Chained right before the booked visit in the same street (17:15–17:45, then
        // 10 minutes' travel), not at the window's start (17:00).
        assert_eq!(first.start, at(2027, 4, 7, 17, 15));
        for p in &plan.proposals {
            let clear = p.end <= at(2027, 4, 7, 17, 50) || p.start >= at(2027, 4, 7, 18, 40);
            assert!(clear, "{p:?} ignores the travel buffer");
        }
    }

    fn two_staff() -> PlanningRules {
        let mut r = rules();
        let mut bea = r.staff[0].clone();
        bea.name = "Bea".into();
        r.staff.push(bea);
        r
    }

    #[test]
    fn an_absent_staff_member_is_never_proposed_in_the_span() {
        let r = two_staff();
        let mut agenda = Agenda::new();
        let first = r.staff[0].name.clone();
        agenda.add_absence(&first, date(2027, 4, 7), date(2027, 4, 9));
        let a = Availability::default();
        let plan = propose(&r, &agenda, &req(&a), &at(2027, 4, 6, 8, 0));
        assert_eq!(plan.proposals.len(), 3);
        for p in &plan.proposals {
            let d = p.start.date();
            assert!(p.staff != first || !(date(2027, 4, 7)..=date(2027, 4, 9)).contains(&d), "{p:?} proposes an absent person");
        }
        assert!(agenda.is_absent(&first, date(2027, 4, 9)) && !agenda.is_absent(&first, date(2027, 4, 10)) && !agenda.is_absent("Bea", date(2027, 4, 8)));
    }

    #[test]
    fn can_take_applies_windows_daily_maximum_travel_and_absence() {
        let mut r = two_staff();
        r.staff[1].max_visits_per_day = 1;
        let d = date(2027, 4, 7);
        let (s, e) = (d.at(18, 0, 0, 0), d.at(18, 30, 0, 0));
        let mut agenda = Agenda::new();
        assert!(can_take(&r, &agenda, "Bea", s, e, Some(District::Hochheim)));
        assert!(!can_take(&r, &agenda, "Nobody", s, e, None), "unknown staff");
        assert!(!can_take(&r, &agenda, "Bea", d.at(23, 0, 0, 0), d.at(23, 30, 0, 0), None), "outside the working window");
        assert!(!can_take(&r, &agenda, "Bea", date(2027, 4, 11).at(10, 0, 0, 0), date(2027, 4, 11).at(10, 30, 0, 0), None), "Sunday");
        let first = r.staff[0].name.clone();
        // A visit of the first staff member 18:35 elsewhere leaves no travel time.
        agenda.add(Busy { staff: first.clone(), start: d.at(18, 35, 0, 0), end: d.at(19, 0, 0, 0), district: Some(District::Massenheim), street: None });
        assert!(!can_take(&r, &agenda, &first, s, e, Some(District::Hochheim)), "travel buffer");
        // Bea's one visit a day is taken by another household.
        agenda.add(Busy { staff: "Bea".into(), start: d.at(9, 0, 0, 0), end: d.at(9, 30, 0, 0), district: None, street: None });
        assert!(!can_take(&r, &agenda, "Bea", s, e, None), "daily maximum");
        let next = date(2027, 4, 8);
        agenda.add_absence("Bea", next, next);
        assert!(!can_take(&r, &agenda, "Bea", next.at(18, 0, 0, 0), next.at(18, 30, 0, 0), None), "absent");
    }
}
