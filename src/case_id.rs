//! The case number citizens and staff quote: `BS-YYYY-NNNNN`.

use regex::Regex;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::OnceLock;

/// A case number, e.g. `BS-2027-00031`: year of receipt and a gap-free serial per year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaseId {
    pub year: i16,
    pub serial: u32,
}

impl CaseId {
    pub fn new(year: i16, serial: u32) -> CaseId {
        CaseId { year, serial }
    }

    /// The first case tag (`BS-2027-00031`, with or without brackets) found in `text`.
    pub fn find_in(text: &str) -> Option<CaseId> {
        static RE: OnceLock<Regex> = OnceLock::new();
        let re = RE.get_or_init(|| Regex::new(r"(?i)\bBS-(\d{4})-(\d{5})\b").expect("static regex"));
        let c = re.captures(text)?;
        Some(CaseId { year: c[1].parse().ok()?, serial: c[2].parse().ok()? })
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BS-{:04}-{:05}", self.year, self.serial)
    }
}

impl TryFrom<String> for CaseId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        match CaseId::find_in(&s) {
            Some(id) if id.to_string().eq_ignore_ascii_case(s.trim()) => Ok(id),
            _ => Err(format!("not a case number (BS-YYYY-NNNNN): {s:?}")),
        }
    }
}

impl std::str::FromStr for CaseId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CaseId::try_from(s.to_string())
    }
}

impl From<CaseId> for String {
    fn from(id: CaseId) -> String {
        id.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_tag_in_subject_and_formats_it_back() {
        let id = CaseId::find_in("AW: [BS-2027-00058] Ihre Terminvorschläge").unwrap();
        assert_eq!(id, CaseId::new(2027, 58));
        assert_eq!(id.to_string(), "BS-2027-00058");
    }

    #[test]
    fn ignores_longer_serials() {
        assert_eq!(CaseId::find_in("BS-2027-000581"), None);
    }
}
