//! The office's time zone. Every wall-clock time the product reads or writes is
//! Europe/Berlin; keeping the lookup in one place means one error path.

use jiff::tz::TimeZone;
use std::sync::OnceLock;

/// Europe/Berlin from the bundled tz database (the binary does not depend on the
/// host's /usr/share/zoneinfo).
pub fn berlin() -> TimeZone {
    static TZ: OnceLock<TimeZone> = OnceLock::new();
    TZ.get_or_init(|| {
        TimeZone::get("Europe/Berlin").expect("Europe/Berlin is in the bundled tz database")
    })
    .clone()
}

/// Parse a reference time: RFC 3339 with offset, or a Berlin wall-clock time
/// (`2027-04-06T08:41[:12]`). The result is in Europe/Berlin.
pub fn parse_instant(s: &str) -> Result<jiff::Zoned, jiff::Error> {
    let s = s.trim();
    match s.parse::<jiff::Timestamp>() {
        Ok(ts) => Ok(ts.to_zoned(berlin())),
        Err(_) => s.parse::<jiff::civil::DateTime>()?.to_zoned(berlin()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_time_keeps_the_instant_and_moves_to_berlin() {
        let z = parse_instant("2027-04-06T06:41:12Z").unwrap();
        assert_eq!(z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(), "2027-04-06T08:41:12+02:00");
        let z = parse_instant("2027-11-01T10:00").unwrap();
        assert_eq!(z.offset().seconds(), 3600);
    }
}
