//! Public time-expression corpora (../shared/external/time-de, see its README):
//! Duckling's German corpus and negatives, and Microsoft Recognizers' German sentences.
//! Every row is run through `when::resolve`; the share resolved to the expected value
//! is printed per file, kind and grain. Rows outside what a home-visit wish needs are
//! reported with their reason instead of being skipped silently. Only a floor is
//! asserted, so the test fails on regression, not on the corpus's foreign conventions.

use buergerservice::extract::when::{resolve, resolve_all, Grain, TimeValue};
use jiff::civil::DateTime;
use jiff::tz::{self, TimeZone};
use jiff::Zoned;
use regex::Regex;
use serde_json::Value;
use std::collections::BTreeMap;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/external/time-de");

fn rows(file: &str) -> Vec<Value> {
    std::fs::read_to_string(format!("{DIR}/{file}"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The reference as a Zoned in a fixed offset: Duckling's `-02:00`, Recognizers'
/// zone-less local time as UTC (only the wall clock matters).
fn reference(s: &str) -> Option<Zoned> {
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        let off_h: i8 = s.get(s.len() - 6..s.len() - 3)?.parse().ok()?;
        return Some(ts.to_zoned(TimeZone::fixed(tz::offset(off_h))));
    }
    s.parse::<DateTime>().ok()?.to_zoned(TimeZone::UTC).ok()
}

/// The wall-clock part of a corpus value ("2013-02-12T04:30:00-02:00" → civil).
fn civil(s: &str) -> Option<DateTime> {
    s.get(..19).unwrap_or(s).parse().ok()
}

fn grain_name(g: Grain) -> &'static str {
    match g {
        Grain::Minute => "minute",
        Grain::Hour => "hour",
        Grain::Day => "day",
        Grain::Week => "week",
    }
}

/// Why a row is outside what the extractor is for; `None`: in scope.
fn out_of_scope(r: &Value) -> Option<&'static str> {
    static OFFSET: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        Regex::new(r"(?i)\b(in|vor|nach|innerhalb|letzten?|vergangenen?|kommenden?|naechsten?|nächsten?)\s+(\S+\s+)?(sekunden?|minuten?|stunden?|tag|tage|tagen|tg\.?|woche|wochen|monate?n?|jahre?n?|quartal)\b|\bvor\b").unwrap()
    });
    static PART: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        Regex::new(r"(?i)(morgen|vormittag|mittag|nachmittag|abend|nacht|früh|wochenende)").unwrap()
    });
    static SEASON: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        Regex::new(r"(?i)(sommer|winter|frühling|herbst|ende|anfang|mitte|bis zum|jetzt|gerade)")
            .unwrap()
    });
    let e = &r["expected"];
    let kind = e["kind"].as_str().unwrap_or("");
    if kind == "none" {
        return None;
    }
    let grain = e["grain"].as_str().unwrap_or("");
    let phrase = r["phrase"].as_str().unwrap_or("");
    let phrase = r["span"]["text"].as_str().unwrap_or(phrase);
    if matches!(grain, "second") {
        return Some("seconds: no visit is planned to the second");
    }
    if matches!(grain, "month" | "quarter" | "year") {
        return Some("month/quarter/year grain: too coarse for a visit window");
    }
    if !e["holiday"].is_null() {
        return Some("holiday names (many foreign; the grammar knows the Hessian ones)");
    }
    if r["latent"].as_bool() == Some(true) {
        return Some("latent (bare numbers): Duckling itself only reads them on request");
    }
    let refd = r["reference"].as_str().and_then(civil);
    let first = e["value"]
        .as_str()
        .or(e["from"].as_str())
        .and_then(civil)
        .or_else(|| {
            e["candidates"].as_array().and_then(|c| {
                c.iter()
                    .filter_map(|x| x["value"].as_str().and_then(civil))
                    .max()
            })
        });
    if let (Some(rf), Some(v)) = (refd, first) {
        if v.date() < rf.date() {
            return Some("past: wishes lie in the future");
        }
    }
    static ZONE: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        Regex::new(r"(?i)(cet|cest|gmt|utc|mez|mesz|pst|est)").unwrap()
    });
    if ZONE.is_match(phrase) {
        return Some("foreign time zones: the office has one");
    }
    if OFFSET.is_match(phrase) {
        return Some("offsets and durations relative to now (\"in 2 Stunden\", \"vor 3 Tagen\")");
    }
    if kind == "interval"
        && grain == "hour"
        && PART.is_match(phrase)
        && !phrase.chars().any(|c| c.is_ascii_digit())
    {
        return Some("part-of-day borders: Duckling's abend 18-24 vs the office's 17-22");
    }
    if SEASON.is_match(phrase) {
        return Some("seasons, 'Ende/Anfang', 'jetzt': not appointment phrases");
    }
    None
}

fn ok_instant(v: &TimeValue, want: &[DateTime], grain: &str) -> bool {
    match v {
        TimeValue::Instant { value, grain: g } => {
            want.contains(value) && (grain.is_empty() || grain_name(*g) == grain)
        }
        _ => false,
    }
}

fn judge(r: &Value, got: Option<&TimeValue>) -> bool {
    let e = &r["expected"];
    let kind = e["kind"].as_str().unwrap_or("");
    let grain = e["grain"].as_str().unwrap_or("");
    let Some(v) = got else { return kind == "none" };
    let cands: Vec<DateTime> = match e["candidates"].as_array() {
        Some(c) => c
            .iter()
            .filter_map(|x| x["value"].as_str().and_then(civil))
            .collect(),
        None => e["value"].as_str().and_then(civil).into_iter().collect(),
    };
    match kind {
        "none" => false,
        "instant" => {
            ok_instant(
                v,
                &cands,
                if e["candidates"].is_null() { grain } else { "" },
            ) || (grain == "week"
                && matches!(v, TimeValue::Instant { value, .. } if cands.contains(value)))
        }
        "interval" => {
            let pairs: Vec<(Option<DateTime>, Option<DateTime>)> = match e["candidates"].as_array()
            {
                Some(c) => c
                    .iter()
                    .map(|x| {
                        (
                            x["from"].as_str().and_then(civil),
                            x["to"].as_str().and_then(civil),
                        )
                    })
                    .collect(),
                None => vec![(
                    e["from"].as_str().and_then(civil),
                    e["to"].as_str().and_then(civil),
                )],
            };
            pairs
                .into_iter()
                .any(|(from, to)| interval_ok(r, v, from, to, grain))
        }
        "time" => {
            let want: Vec<jiff::civil::Time> = match e["candidates"].as_array() {
                Some(c) => c
                    .iter()
                    .filter_map(|x| x["value"].as_str()?.parse().ok())
                    .collect(),
                None => e["value"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .into_iter()
                    .collect(),
            };
            match v {
                TimeValue::Instant { value, .. } => want.contains(&value.time()),
                _ => false,
            }
        }
        "time_interval" => {
            let from: Option<jiff::civil::Time> = e["from"].as_str().and_then(|s| s.parse().ok());
            let to: Option<jiff::civil::Time> = e["to"].as_str().and_then(|s| s.parse().ok());
            match v {
                TimeValue::Interval { from: f, to: t, .. } => {
                    f.map(|x| x.time()) == from && t.map(|x| x.time()) == to
                }
                _ => false,
            }
        }
        _ => false,
    }
}

fn interval_ok(
    r: &Value,
    v: &TimeValue,
    from: Option<DateTime>,
    to: Option<DateTime>,
    grain: &str,
) -> bool {
    let TimeValue::Interval { from: f, to: t, .. } = v else {
        // A week given as its Monday also names the interval Monday–Monday.
        return grain == "week"
            && matches!(v, TimeValue::Instant { value, .. } if Some(*value) == from);
    };
    let to_ok = match (to, t) {
        (None, None) => true,
        // Duckling closes "9:30 - 11:00" one grain after the end (11:01, or
        // 12:00 for hours); Recognizers' day ranges are at times inclusive.
        (Some(a), Some(b)) => {
            let plus = |g: jiff::Span| b.checked_add(g).ok() == Some(a);
            a == *b
                || (grain == "minute" && plus(jiff::Span::new().minutes(1)))
                || (grain == "hour" && plus(jiff::Span::new().hours(1)))
                || (r["span"].is_object()
                    && b.checked_sub(jiff::Span::new().days(1)).ok() == Some(a))
        }
        _ => false,
    };
    *f == from && to_ok
}

#[derive(Default)]
struct Tally {
    total: usize,
    in_scope: usize,
    correct: usize,
    oos_correct: usize,
}

#[test]
fn corpus_shares_per_file_kind_and_grain() {
    let files = [
        "duckling_de.jsonl",
        "duckling_de_negative.jsonl",
        "recognizers_de.jsonl",
        "duckling_en.jsonl",
        "duckling_en_negative.jsonl",
    ];
    let mut table: BTreeMap<(String, String), Tally> = BTreeMap::new();
    let mut reasons: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut misses: Vec<String> = Vec::new();
    for f in files {
        for r in rows(f) {
            let e = &r["expected"];
            let key = (
                f.to_string(),
                format!(
                    "{}/{}",
                    e["kind"].as_str().unwrap_or("?"),
                    e["grain"].as_str().unwrap_or("-")
                ),
            );
            let Some(now) = r["reference"].as_str().and_then(reference) else {
                continue;
            };
            let phrase = r["phrase"].as_str().unwrap_or("");
            // The mail-level reader must not trip over any of these either.
            let _ = buergerservice::extract::when::availability(phrase, &now);
            // Duckling phrases are one expression; Recognizers sentences may hold
            // several, and the row names one of them.
            let (got, ok) = if r["span"].is_object() {
                let all = resolve_all(phrase, &now);
                let ok = if all.is_empty() {
                    judge(&r, None)
                } else {
                    all.iter().any(|v| judge(&r, Some(v)))
                };
                (all.into_iter().next(), ok)
            } else {
                let got = resolve(phrase, &now);
                let ok = judge(&r, got.as_ref());
                (got, ok)
            };
            let oos = out_of_scope(&r);
            let t = table.entry(key).or_default();
            t.total += 1;
            match oos {
                Some(why) => {
                    *reasons.entry(why).or_default() += 1;
                    t.oos_correct += ok as usize;
                }
                None => {
                    t.in_scope += 1;
                    t.correct += ok as usize;
                    if !ok {
                        misses.push(format!("{f}: {phrase:?} → {got:?}; want {}", e));
                    }
                }
            }
        }
    }
    println!(
        "\n{:<28} {:<22} {:>6} {:>8} {:>8} {:>7} {:>9}",
        "file", "kind/grain", "rows", "in-scope", "correct", "share", "oos-right"
    );
    let mut de_sum = (0usize, 0usize);
    let mut en_sum = (0usize, 0usize);
    for ((f, k), t) in &table {
        let share = if t.in_scope > 0 {
            100.0 * t.correct as f64 / t.in_scope as f64
        } else {
            f64::NAN
        };
        println!(
            "{:<28} {:<22} {:>6} {:>8} {:>8} {:>6.1}% {:>9}",
            f, k, t.total, t.in_scope, t.correct, share, t.oos_correct
        );
        let de = !f.contains("_en");
        if !de {
            en_sum.0 += t.in_scope;
            en_sum.1 += t.correct;
        } else if k.ends_with("/day")
            || k.ends_with("/hour")
            || k.ends_with("/minute")
            || k.ends_with("/week")
            || k.starts_with("none")
        {
            de_sum.0 += t.in_scope;
            de_sum.1 += t.correct;
        }
    }
    println!("\nout of scope, by reason:");
    for (why, n) in &reasons {
        println!("  {n:>4}  {why}");
    }
    let share = de_sum.1 as f64 / de_sum.0.max(1) as f64;
    println!(
        "\nin-scope EN rows (reported, no floor: the mails are mostly German): {}/{} = {:.1}%",
        en_sum.1,
        en_sum.0,
        100.0 * en_sum.1 as f64 / en_sum.0.max(1) as f64
    );
    println!(
        "\nin-scope DE day/hour/minute/week/none rows: {}/{} = {:.1}%",
        de_sum.1,
        de_sum.0,
        100.0 * share
    );
    if std::env::var("TIME_CORPUS_MISSES").is_ok() {
        for m in &misses {
            println!("MISS {m}");
        }
    }
    // Floor: the share reached when this test was written, minus a small margin.
    assert!(
        share >= FLOOR,
        "in-scope share fell to {:.1}% (floor {:.1}%)",
        100.0 * share,
        100.0 * FLOOR
    );
}

/// 75.4 % (218/289) when written; the margin absorbs small deliberate trade-offs.
const FLOOR: f64 = 0.72;
