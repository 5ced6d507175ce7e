//! One `RegexSet` over every concern pattern, so a sentence runs only the patterns that
//! match somewhere in it (a few) instead of all of them (a few hundred). Purely a speed-up:
//! `RegexSet::matches` reports exactly the patterns whose `is_match` holds on the same
//! haystack, so the hits found are the same as running every pattern.

use super::Department;
use regex::{RegexSet, RegexSetBuilder, SetMatches};

/// The set, and which pattern each of its members is.
#[derive(Debug, Clone, Default)]
pub(crate) struct Prefilter {
    set: Option<RegexSet>,
    /// Per member: (department, concern, pattern) index.
    index: Vec<(usize, usize, usize)>,
}

impl Prefilter {
    /// Built from the compiled patterns; `None` set (no prefilter) if it cannot be built.
    pub(crate) fn build(departments: &[Department]) -> Prefilter {
        let mut index = Vec::new();
        let mut sources = Vec::new();
        for (di, d) in departments.iter().enumerate() {
            for (ci, c) in d.concerns.iter().enumerate() {
                for (pi, p) in c.patterns.iter().enumerate() {
                    index.push((di, ci, pi));
                    sources.push(p.regex.as_str());
                }
            }
        }
        // Same options as each pattern (`load::build`); the limits are those of the whole set.
        let set = RegexSetBuilder::new(&sources)
            .case_insensitive(true)
            .size_limit(1 << 26)
            .dfa_size_limit(1 << 24)
            .build()
            .ok();
        Prefilter { set, index }
    }

    /// Whether the set still describes `departments` (their fields are public and could have
    /// been edited after compiling): same patterns, in the same order.
    pub(crate) fn fits(&self, departments: &[Department]) -> bool {
        let Some(set) = &self.set else {
            return false;
        };
        let mut k = 0;
        for (di, d) in departments.iter().enumerate() {
            for (ci, c) in d.concerns.iter().enumerate() {
                for (pi, p) in c.patterns.iter().enumerate() {
                    match (self.index.get(k), set.patterns().get(k)) {
                        (Some(&ix), Some(src)) if ix == (di, ci, pi) && src == p.regex.as_str() => {
                        }
                        _ => return false,
                    }
                    k += 1;
                }
            }
        }
        k == self.index.len()
    }

    /// Which patterns match somewhere in `hay` (call only when [`Prefilter::fits`]).
    pub(crate) fn matches(&self, hay: &str) -> Option<SetMatches> {
        self.set.as_ref().map(|s| s.matches(hay))
    }

    pub(crate) fn member(&self, i: usize) -> Option<(usize, usize, usize)> {
        self.index.get(i).copied()
    }
}
