//! When the household is at home: availability windows and exclusions.
//!
//! STUB: the types are the contract; the implementation is being written.

use jiff::Zoned;
use serde::Serialize;

/// A half-open interval `[start, end)` in Europe/Berlin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Window {
    #[serde(serialize_with = "rfc3339")]
    pub start: Zoned,
    #[serde(serialize_with = "rfc3339")]
    pub end: Zoned,
}

/// RFC 3339 with the Berlin offset (`2027-04-15T19:00:00+02:00`), without jiff's
/// `[Europe/Berlin]` suffix, which RFC 3339 readers reject.
pub fn rfc3339<S: serde::Serializer>(z: &Zoned, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&z.strftime("%Y-%m-%dT%H:%M:%S%:z"))
}

/// What the mail states about when a visit is possible.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Availability {
    /// The mail states a wish at all (false: any time in the staff windows).
    pub stated: bool,
    /// Expanded day by day from `now` over eight weeks, or up to the latest date the
    /// text names when that is later (at most a year); sorted, non-overlapping.
    pub windows: Vec<Window>,
    /// Explicit exclusions (holidays, "nicht am 15."), sorted, non-overlapping.
    pub excluded: Vec<Window>,
}

/// Read availability from free text, resolved against `now` (Europe/Berlin).
pub fn availability(text: &str, now: &Zoned) -> Availability {
    let _ = (text, now);
    Availability::default()
}
