//! Scoring a mail against the compiled rules.
//!
//! 1. Subject and new text are normalised, addresses (street + house number) blanked,
//!    and the text is cut into sentences and clauses.
//! 2. Every pattern of every concern is run per sentence. A match counts as a hit unless
//!    - its `with` regex is missing from the sentence,
//!    - one of its `unless` regexes, or a negative of its concern (clause or sentence
//!      scope), matches around it, or
//!    - its clause is a mention-only context (`common.toml`: "liegen bereit", "später").
//! 3. A concern's score is the sum over its patterns that hit, each counted once with a
//!    small bonus for repetition, minus `subtract` negatives; a `mail`-scope negative
//!    without `subtract` vetoes the concern. Scores at the threshold raise the concern.
//! 4. A concern yielding to a raised concern loses its `generic` hits and is re-scored.
//! 5. Only when subject and new text raise nothing is the quoted text consulted.

use super::normalize::{clauses, mask_addresses, normalize_mapped, sentences, Normalized};
use super::{Classification, ClassifyInput, Rules, Scope};
use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

/// One piece of the mail (subject, new text or quote), prepared for matching.
struct Segment<'a> {
    original: &'a str,
    norm: Normalized,
    /// Sentences, each with its clauses.
    sentences: Vec<(Range<usize>, Vec<Range<usize>>)>,
}

impl<'a> Segment<'a> {
    fn new(original: &'a str) -> Self {
        let mut norm = normalize_mapped(original);
        norm.text = mask_addresses(&norm.text);
        let sentences = sentences(&norm.text)
            .into_iter()
            .map(|s| (s.clone(), clauses(&norm.text, s)))
            .collect();
        Segment {
            original,
            norm,
            sentences,
        }
    }
}

/// Concern address: (department index, concern index).
type Cid = (usize, usize);

#[derive(Debug, Clone)]
struct Hit {
    concern: Cid,
    pattern: usize,
    /// (segment, byte offset): the order in which the mail raises things.
    at: (usize, usize),
    quote: String,
}

#[derive(Debug, Default)]
struct Scan {
    hits: Vec<Hit>,
    /// Per concern: what was subtracted and why.
    subtract: BTreeMap<Cid, Vec<(f64, String)>>,
    vetoed: HashSet<Cid>,
    /// Hits that did not count, with the reason (for staff).
    notes: Vec<String>,
}

/// The patterns to run on one sentence, in rule order: those the prefilter reports
/// (exactly the ones matching somewhere in it), or all when there is no usable prefilter.
fn candidates(rules: &Rules, use_set: bool, stext: &str) -> Vec<(usize, usize, usize)> {
    if use_set {
        if let Some(m) = rules.prefilter.matches(stext) {
            return m.iter().filter_map(|i| rules.prefilter.member(i)).collect();
        }
    }
    let mut all = Vec::new();
    for (di, dept) in rules.departments.iter().enumerate() {
        for (ci, concern) in dept.concerns.iter().enumerate() {
            all.extend((0..concern.patterns.len()).map(|pi| (di, ci, pi)));
        }
    }
    all
}

fn scan(rules: &Rules, segments: &[Segment<'_>]) -> Scan {
    let mut out = Scan::default();
    let use_set = rules.prefilter.fits(&rules.departments);
    for (si, seg) in segments.iter().enumerate() {
        let text = seg.norm.text.as_str();
        for (sentence, clause_list) in &seg.sentences {
            let stext = &text[sentence.clone()];
            for (di, ci, pi) in candidates(rules, use_set, stext) {
                let Some(concern) = rules.departments.get(di).and_then(|d| d.concerns.get(ci))
                else {
                    continue;
                };
                let Some(p) = concern.patterns.get(pi) else {
                    continue;
                };
                for m in p.regex.find_iter(stext) {
                    let start = sentence.start + m.start();
                    let range = start..sentence.start + m.end();
                    let quote = seg.norm.original(seg.original, range.clone()).to_string();
                    if p.with.as_ref().is_some_and(|w| !w.is_match(stext)) {
                        continue;
                    }
                    let clause = clause_list
                        .iter()
                        .find(|c| c.start <= start && start < c.end.max(c.start + 1))
                        .map(|c| &text[c.clone()])
                        .unwrap_or(stext);
                    if let Some(u) = p.unless.iter().find_map(|u| u.find(stext)) {
                        out.notes.push(format!(
                            "{}: \"{}\" not counted: \"{}\" in the same sentence",
                            concern.id,
                            quote,
                            u.as_str()
                        ));
                        continue;
                    }
                    let mut suppressed = false;
                    for n in &concern.negatives {
                        let hay = match n.scope {
                            Scope::Clause => clause,
                            Scope::Sentence => stext,
                            Scope::Mail => continue,
                        };
                        if let Some(nm) = n.regex.find(hay) {
                            let why = n
                                .note
                                .clone()
                                .unwrap_or_else(|| format!("\"{}\"", nm.as_str()));
                            match n.subtract {
                                Some(w) => {
                                    let list = out.subtract.entry((di, ci)).or_default();
                                    if !list.iter().any(|(_, r)| r.contains(&n.source)) {
                                        list.push((
                                            w,
                                            format!(
                                                "{}: -{w:.1} ({why}; rule `{}`)",
                                                concern.id, n.source
                                            ),
                                        ));
                                    }
                                }
                                None => {
                                    out.notes.push(format!(
                                        "{}: \"{}\" not counted: {why}",
                                        concern.id, quote
                                    ));
                                    suppressed = true;
                                    break;
                                }
                            }
                        }
                    }
                    if suppressed {
                        continue;
                    }
                    if let Some((mc, mm)) = rules
                        .mention_contexts
                        .iter()
                        .find_map(|mc| mc.regex.find(clause).map(|mm| (mc, mm)))
                    {
                        out.notes.push(format!(
                            "{}: \"{}\" only mentioned ({}: \"{}\")",
                            concern.id,
                            quote,
                            mc.note,
                            mm.as_str()
                        ));
                        continue;
                    }
                    out.hits.push(Hit {
                        concern: (di, ci),
                        pattern: pi,
                        at: (si, start),
                        quote,
                    });
                }
            }
        }
    }
    // Whole-mail negatives.
    for (di, dept) in rules.departments.iter().enumerate() {
        for (ci, concern) in dept.concerns.iter().enumerate() {
            for n in concern.negatives.iter().filter(|n| n.scope == Scope::Mail) {
                let Some(nm) = segments.iter().find_map(|s| n.regex.find(&s.norm.text)) else {
                    continue;
                };
                let why = n
                    .note
                    .clone()
                    .unwrap_or_else(|| format!("\"{}\" in the mail", nm.as_str()));
                match n.subtract {
                    Some(w) => out.subtract.entry((di, ci)).or_default().push((
                        w,
                        format!("{}: -{w:.1} ({why}; rule `{}`)", concern.id, n.source),
                    )),
                    None => {
                        if out.hits.iter().any(|h| h.concern == (di, ci)) {
                            out.notes.push(format!("{}: not raised: {why}", concern.id));
                        }
                        out.vetoed.insert((di, ci));
                    }
                }
            }
        }
    }
    out
}

/// One concern's tally.
#[derive(Debug)]
struct Tally {
    concern: Cid,
    score: f64,
    first: (usize, usize),
    reasons: Vec<String>,
}

/// Repetition of the same cue adds a quarter of its weight per repeat, at most half again:
/// saying "Reisepass" three times is a little surer than once, not three times as sure.
fn repeat_factor(n: usize) -> f64 {
    (1.0 + 0.25 * (n.saturating_sub(1)) as f64).min(1.5)
}

fn tally(rules: &Rules, scan: &Scan, dropped_generic: &HashSet<Cid>) -> Vec<Tally> {
    let mut by_concern: BTreeMap<Cid, BTreeMap<usize, Vec<&Hit>>> = BTreeMap::new();
    for h in &scan.hits {
        if scan.vetoed.contains(&h.concern) {
            continue;
        }
        let Some(concern) = rules
            .departments
            .get(h.concern.0)
            .and_then(|d| d.concerns.get(h.concern.1))
        else {
            continue;
        };
        let generic = concern.patterns.get(h.pattern).is_some_and(|p| p.generic);
        if generic && dropped_generic.contains(&h.concern) {
            continue;
        }
        by_concern
            .entry(h.concern)
            .or_default()
            .entry(h.pattern)
            .or_default()
            .push(h);
    }
    let mut out = Vec::new();
    for (cid, patterns) in by_concern {
        let Some(concern) = rules
            .departments
            .get(cid.0)
            .and_then(|d| d.concerns.get(cid.1))
        else {
            continue;
        };
        let mut score = 0.0;
        let mut first = (usize::MAX, usize::MAX);
        let mut reasons = Vec::new();
        for (pi, hits) in &patterns {
            let Some(p) = concern.patterns.get(*pi) else {
                continue;
            };
            let add = p.weight * repeat_factor(hits.len());
            score += add;
            let mut quotes: Vec<&str> = Vec::new();
            for h in hits {
                first = first.min(h.at);
                if !quotes.contains(&h.quote.as_str()) {
                    quotes.push(&h.quote);
                }
            }
            let shown = quotes
                .iter()
                .map(|q| format!("\"{q}\""))
                .collect::<Vec<_>>()
                .join(", ");
            let times = if hits.len() > 1 {
                format!(" x{}", hits.len())
            } else {
                String::new()
            };
            reasons.push(format!(
                "{}: {shown}{times} (+{add:.1}; rule `{}`)",
                concern.id, p.source
            ));
        }
        if let Some(subs) = scan.subtract.get(&cid) {
            for (w, why) in subs {
                score -= w;
                reasons.push(why.clone());
            }
        }
        out.push(Tally {
            concern: cid,
            score,
            first,
            reasons,
        });
    }
    out
}

fn is_raised(rules: &Rules, t: &Tally) -> bool {
    let min = rules
        .departments
        .get(t.concern.0)
        .and_then(|d| d.concerns.get(t.concern.1))
        .and_then(|c| c.min_score)
        .unwrap_or(rules.threshold);
    t.score >= min && t.score > 0.0
}

/// Scan and score, with the generic-word pass (step 4 of the module doc).
///
/// A concern yields only to a concern raised by its unambiguous words alone, so two
/// concerns that yield to each other ("Ausweis" and "verloren") cannot wipe each other out.
fn evaluate(rules: &Rules, segments: &[Segment<'_>]) -> (Vec<Tally>, Scan) {
    let scan = scan(rules, segments);
    let first = tally(rules, &scan, &HashSet::new());
    let all: HashSet<Cid> = scan.hits.iter().map(|h| h.concern).collect();
    let firm = tally(rules, &scan, &all);
    let raised: HashSet<&str> = firm
        .iter()
        .filter(|t| is_raised(rules, t))
        .filter_map(|t| {
            rules
                .departments
                .get(t.concern.0)
                .and_then(|d| d.concerns.get(t.concern.1))
                .map(|c| c.id.as_str())
        })
        .collect();
    let mut dropped = HashSet::new();
    for (di, d) in rules.departments.iter().enumerate() {
        for (ci, c) in d.concerns.iter().enumerate() {
            if c.yields_to
                .iter()
                .any(|y| y != &c.id && raised.contains(y.as_str()))
            {
                dropped.insert((di, ci));
            }
        }
    }
    if dropped.is_empty() {
        return (first, scan);
    }
    let second = tally(rules, &scan, &dropped);
    let mut scan = scan;
    for &(di, ci) in &dropped {
        if let Some(c) = rules.departments.get(di).and_then(|d| d.concerns.get(ci)) {
            if scan.hits.iter().any(|h| {
                h.concern == (di, ci) && c.patterns.get(h.pattern).is_some_and(|p| p.generic)
            }) {
                let to: Vec<&str> = c
                    .yields_to
                    .iter()
                    .filter(|y| raised.contains(y.as_str()))
                    .map(String::as_str)
                    .collect();
                scan.notes.push(format!(
                    "{}: ambiguous words not counted, the mail is about {}",
                    c.id,
                    to.join(", ")
                ));
            }
        }
    }
    (second, scan)
}

/// Confidence from the score `s` of the main concern: `1 - exp(-s / 3)`, so one strong
/// cue (3.0) gives 0.63, a strong cue confirmed by another (6.0) 0.86. It is lowered by
/// 15 % when the mail spans several departments (which one leads is less certain) and
/// by 40 % when only the quoted text spoke; kept within 0.05..0.99.
fn confidence(score: f64, several_departments: bool, quoted_only: bool) -> f64 {
    let mut c = 1.0 - (-score / 3.0).exp();
    if several_departments {
        c *= 0.85;
    }
    if quoted_only {
        c *= 0.6;
    }
    c.clamp(0.05, 0.99)
}

/// Citizens write a few paragraphs; beyond this many bytes (a pasted document, a hostile
/// mail) the rest is not read, which keeps the pattern work per mail bounded.
const MAX_TEXT: usize = 20_000;

fn head(s: &str) -> &str {
    if s.len() <= MAX_TEXT {
        return s;
    }
    let mut end = MAX_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

pub(super) fn classify(rules: &Rules, input: &ClassifyInput<'_>) -> Classification {
    let main = [
        Segment::new(head(input.subject)),
        Segment::new(head(input.new_text)),
    ];
    let (mut tallies, mut scan) = evaluate(rules, &main);
    let mut quoted_only = false;
    if !tallies.iter().any(|t| is_raised(rules, t)) && !input.quoted.trim().is_empty() {
        let with_quote = [
            Segment::new(head(input.subject)),
            Segment::new(head(input.quoted)),
        ];
        let (t, s) = evaluate(rules, &with_quote);
        if t.iter().any(|t| is_raised(rules, t)) {
            tallies = t;
            scan = s;
            quoted_only = true;
        }
    }
    tallies.sort_by_key(|t| t.first);
    let mut reasons = Vec::new();
    if quoted_only {
        reasons.push("nothing in subject or new text; classified by the quoted text".to_string());
    }
    let mut concerns = Vec::new();
    let mut departments: Vec<usize> = Vec::new();
    let mut main_score = 0.0;
    let mut best_below = 0.0f64;
    for t in &tallies {
        let Some((dept, concern)) = rules
            .departments
            .get(t.concern.0)
            .and_then(|d| d.concerns.get(t.concern.1).map(|c| (d, c)))
        else {
            continue;
        };
        if is_raised(rules, t) {
            if concerns.is_empty() {
                main_score = t.score;
            }
            concerns.push(concern.id.clone());
            if !departments.contains(&t.concern.0) {
                departments.push(t.concern.0);
            }
            reasons.push(format!(
                "{} ({}): score {:.1}",
                concern.id, dept.id, t.score
            ));
            reasons.extend(t.reasons.iter().cloned());
        } else {
            best_below = best_below.max(t.score);
            reasons.push(format!(
                "{}: score {:.1} below {:.1}, not raised ({})",
                concern.id,
                t.score,
                concern.min_score.unwrap_or(rules.threshold),
                t.reasons.join("; ")
            ));
        }
    }
    reasons.extend(scan.notes);
    let Some(&main_dept) = departments.first() else {
        reasons.insert(
            0,
            "no rule fits: unclassified, for a person to look at".to_string(),
        );
        let confidence = if best_below > 0.0 { 0.2 } else { 0.1 };
        return Classification {
            department: "buergerbuero".into(),
            needs_specialist: false,
            concerns: Vec::new(),
            confidence,
            reasons,
            unclassified: true,
        };
    };
    let department = rules
        .departments
        .get(main_dept)
        .map(|d| d.id.clone())
        .unwrap_or_else(|| "buergerbuero".into());
    Classification {
        needs_specialist: department != "buergerbuero",
        department,
        concerns,
        confidence: confidence(main_score, departments.len() > 1, quoted_only),
        reasons,
        unclassified: false,
    }
}
