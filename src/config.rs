//! `config.toml`: the operator's settings. Unknown keys are refused, and every error
//! names the file, the key and the line (toml's spans), so a typo never goes unnoticed.

use jiff::civil::{Date, DateTime, Time};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub rules: RulesConfig,
    #[serde(default)]
    pub office: OfficeConfig,
    #[serde(default)]
    pub travel: TravelConfig,
    #[serde(default)]
    pub champions_league: ChampionsLeagueConfig,
    #[serde(default, rename = "blackout")]
    pub blackouts: Vec<BlackoutConfig>,
    #[serde(default = "default_staff")]
    pub staff: Vec<StaffConfig>,
    #[serde(default)]
    pub mail: MailConfig,
    #[serde(default)]
    pub store: StoreConfig,
    #[serde(default)]
    pub mailbox: MailboxConfig,
    #[serde(default)]
    pub outbox: OutboxConfig,
    #[serde(default)]
    pub daemon: DaemonConfig,
    #[serde(default)]
    pub control: ControlConfig,
    #[serde(default)]
    pub privacy: PrivacyConfig,
    #[serde(default)]
    pub http: HttpConfig,
}

/// The optional HTTP listener for `/healthz` and `/metrics`. Off unless `listen` is set;
/// an address other than loopback must be allowed explicitly (the metrics are not secret,
/// but nothing else in the town hall's network needs to reach them).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(try_from = "HttpConfigRaw")]
pub struct HttpConfig {
    pub listen: Option<std::net::SocketAddr>,
    pub allow_remote: bool,
    pub health: crate::telemetry::HealthThresholds,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpConfigRaw {
    listen: Option<std::net::SocketAddr>,
    #[serde(default)]
    allow_remote: bool,
    #[serde(default = "default_max_mailbox_down")]
    max_mailbox_down_secs: u64,
    #[serde(default = "default_max_fetch_age")]
    max_fetch_age_secs: u64,
    #[serde(default = "default_max_outbox_age")]
    max_outbox_age_secs: u64,
}

fn default_max_mailbox_down() -> u64 {
    crate::telemetry::HealthThresholds::default().max_mailbox_down.as_secs()
}
fn default_max_fetch_age() -> u64 {
    crate::telemetry::HealthThresholds::default().max_fetch_age.as_secs()
}
fn default_max_outbox_age() -> u64 {
    crate::telemetry::HealthThresholds::default().max_outbox_age.as_secs()
}

impl TryFrom<HttpConfigRaw> for HttpConfig {
    type Error = String;

    fn try_from(raw: HttpConfigRaw) -> Result<Self, String> {
        if let Some(addr) = raw.listen.filter(|a| !a.ip().is_loopback() && !raw.allow_remote) {
            return Err(format!("http.listen = \"{addr}\" is not a loopback address; set http.allow_remote = true to listen there"));
        }
        let s = std::time::Duration::from_secs;
        Ok(HttpConfig {
            listen: raw.listen,
            allow_remote: raw.allow_remote,
            health: crate::telemetry::HealthThresholds {
                max_mailbox_down: s(raw.max_mailbox_down_secs),
                max_fetch_age: s(raw.max_fetch_age_secs),
                max_outbox_age: s(raw.max_outbox_age_secs),
            },
        })
    }
}


/// Data protection: how long closed cases are kept.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacyConfig {
    /// Closed cases (done, cancelled, forwarded, visits long past, offers long expired)
    /// are purged this many days after their last event, daily by the daemon and by
    /// `privacy purge`.
    pub retention_days: u32,
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        PrivacyConfig { retention_days: 90 }
    }
}

/// The daemon's local control socket, through which the staff CLI works on the store
/// while the daemon holds it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControlConfig {
    /// Default: beside the store, `<store.path>.sock`.
    pub socket: Option<PathBuf>,
}

impl Config {
    /// Where the daemon listens for staff commands.
    pub fn control_socket(&self) -> PathBuf {
        self.control.socket.clone().unwrap_or_else(|| crate::control::default_socket(&self.store.path))
    }
}

/// Who the product is in its mails.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// The office's address: the mailbox citizens write to and the sender of replies.
    pub address: String,
    pub name: String,
    /// Closing lines under every reply.
    pub signature: String,
    /// Domain of our Message-IDs and calendar UIDs.
    pub domain: String,
    /// Folder with reply templates (`de/`, `en/`); the shipped ones fill any gap.
    pub templates: Option<PathBuf>,
    /// Staff mailbox for notices (a quarantined mail); must not be `address` itself.
    pub staff_address: Option<String>,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            address: "buergerbuero@hochheim.de".into(),
            name: "Bürgerbüro Hochheim am Main".into(),
            signature: "Bürgerbüro der Stadt Hochheim am Main\nBürgerservice on demand".into(),
            domain: "buergerservice.hochheim.de".into(),
            templates: None,
            staff_address: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// The sled database directory.
    pub path: PathBuf,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig { path: PathBuf::from("var/store") }
    }
}

/// Where mail comes in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "lowercase")]
pub enum MailboxConfig {
    /// A Maildir folder (embedded mode): new mail is picked up as it appears, handled
    /// mail moves to `.Processed`, unreadable mail to `.Quarantine`.
    Maildir {
        path: PathBuf,
        #[serde(default = "default_poll_ms")]
        poll_interval_ms: u64,
    },
    /// An IMAP mailbox.
    Imap(ImapConfig),
}

fn default_poll_ms() -> u64 {
    500
}

impl Default for MailboxConfig {
    fn default() -> Self {
        MailboxConfig::Maildir { path: PathBuf::from("var/maildir"), poll_interval_ms: default_poll_ms() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    Implicit,
    /// Upgrade a plain connection (IMAP 143, submission 587).
    Starttls,
    /// No encryption: refused unless the host is a loopback address.
    Plain,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapConfig {
    pub host: String,
    #[serde(default = "default_imap_port")]
    pub port: u16,
    #[serde(default = "default_tls")]
    pub tls: Tls,
    pub user: String,
    /// File holding the password (systemd: `LoadCredential=`); or `password_env`.
    pub password_file: Option<PathBuf>,
    pub password_env: Option<String>,
    #[serde(default = "default_inbox")]
    pub folder: String,
    #[serde(default = "default_processed")]
    pub processed_folder: String,
    #[serde(default = "default_quarantine")]
    pub quarantine_folder: String,
    /// Used when the server has no IDLE, and as a safety net between IDLEs.
    #[serde(default = "default_poll_secs")]
    pub poll_interval_secs: u64,
    /// IDLE is re-issued after this long (RFC 2177: well within 29 minutes).
    #[serde(default = "default_idle_secs")]
    pub idle_renew_secs: u64,
}

fn default_imap_port() -> u16 {
    993
}
fn default_tls() -> Tls {
    Tls::Implicit
}
fn default_inbox() -> String {
    "INBOX".into()
}
fn default_processed() -> String {
    "Processed".into()
}
fn default_quarantine() -> String {
    "Quarantine".into()
}
fn default_poll_secs() -> u64 {
    60
}
fn default_idle_secs() -> u64 {
    20 * 60
}

/// Where replies go out.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "lowercase")]
pub enum OutboxConfig {
    /// Each mail written as a file into a directory (embedded mode, lettre's file transport).
    Directory { path: PathBuf },
    Smtp(SmtpConfig),
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig::Directory { path: PathBuf::from("var/outbox") }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    #[serde(default = "default_smtp_tls")]
    pub tls: Tls,
    /// No user: no AUTH (only sensible for a local relay).
    pub user: Option<String>,
    pub password_file: Option<PathBuf>,
    pub password_env: Option<String>,
}

fn default_smtp_port() -> u16 {
    587
}
fn default_smtp_tls() -> Tls {
    Tls::Starttls
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DaemonConfig {
    /// Reminder this long before a visit.
    pub reminder_lead_hours: i64,
    /// At most this many automatic replies to one sender per day (loop protection).
    pub max_replies_per_sender_per_day: u32,
    /// Retry delays of the outbox grow from this to `retry_max_secs`.
    pub retry_min_secs: u64,
    pub retry_max_secs: u64,
    /// Mails larger than this are kept and flagged, never parsed.
    pub max_mail_bytes: usize,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            reminder_lead_hours: 24,
            max_replies_per_sender_per_day: 5,
            retry_min_secs: 5,
            retry_max_secs: 900,
            max_mail_bytes: 25 * 1024 * 1024,
        }
    }
}

/// The office's planning rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OfficeConfig {
    /// No visit before this day (the pilot starts on the first Saturday in April 2027).
    pub pilot_start: Date,
    pub min_notice_hours: i64,
    pub horizon_weeks: i64,
    pub proposals_per_reply: usize,
    pub slot_step_minutes: i64,
    /// How long proposed slots stay reserved for the household.
    pub hold_hours: i64,
    /// Extra days without visits.
    pub closure_days: Vec<Date>,
}

impl Default for OfficeConfig {
    fn default() -> Self {
        OfficeConfig {
            pilot_start: jiff::civil::date(2027, 4, 3),
            min_notice_hours: 24,
            horizon_weeks: 6,
            proposals_per_reply: 3,
            slot_step_minutes: 15,
            hold_hours: 72,
            closure_days: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TravelConfig {
    pub same_district_minutes: i64,
    /// Between Hochheim and Massenheim.
    pub between_districts_minutes: i64,
}

impl Default for TravelConfig {
    fn default() -> Self {
        TravelConfig { same_district_minutes: 10, between_districts_minutes: 20 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChampionsLeagueConfig {
    pub default_kickoff: Time,
    /// Staff are out of the house this long before kick-off.
    pub margin_minutes: i32,
    /// `"2027-04-06"` (default kick-off) or `"2027-04-06 18:45"`.
    pub match_days: Vec<MatchDay>,
    /// Optional .ics file of fixtures (each VEVENT's DTSTART is a kick-off).
    pub fixtures_ics: Option<PathBuf>,
}

impl Default for ChampionsLeagueConfig {
    fn default() -> Self {
        ChampionsLeagueConfig {
            default_kickoff: jiff::civil::time(21, 0, 0, 0),
            margin_minutes: 15,
            match_days: Vec::new(),
            fixtures_ics: None,
        }
    }
}

/// A match day, with its own kick-off when it differs from the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchDay {
    pub date: Date,
    pub kickoff: Option<Time>,
}

impl<'de> Deserialize<'de> for MatchDay {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let mut parts = s.split_whitespace();
        let date = parts
            .next()
            .unwrap_or("")
            .parse::<Date>()
            .map_err(|e| serde::de::Error::custom(format!("match day {s:?}: {e}")))?;
        let kickoff = parts
            .next()
            .map(|t| t.parse::<Time>())
            .transpose()
            .map_err(|e| serde::de::Error::custom(format!("kick-off in {s:?}: {e}")))?;
        Ok(MatchDay { date, kickoff })
    }
}

/// Any other time without visits (staff meeting, town festival).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlackoutConfig {
    pub start: DateTime,
    pub end: DateTime,
    #[serde(default)]
    pub reason: String,
}

/// One member of the visiting staff.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffConfig {
    pub name: String,
    pub email: String,
    #[serde(default = "default_max_visits")]
    pub max_visits_per_day: u32,
    #[serde(default = "weekday_hours")]
    pub mon: Vec<TimeRange>,
    #[serde(default = "weekday_hours")]
    pub tue: Vec<TimeRange>,
    #[serde(default = "weekday_hours")]
    pub wed: Vec<TimeRange>,
    #[serde(default = "weekday_hours")]
    pub thu: Vec<TimeRange>,
    #[serde(default = "weekday_hours")]
    pub fri: Vec<TimeRange>,
    /// Used only on the first Saturday of a month.
    #[serde(default = "saturday_hours")]
    pub sat: Vec<TimeRange>,
}

fn default_max_visits() -> u32 {
    8
}

fn weekday_hours() -> Vec<TimeRange> {
    vec![TimeRange(jiff::civil::time(8, 0, 0, 0), jiff::civil::time(21, 0, 0, 0))]
}

fn saturday_hours() -> Vec<TimeRange> {
    vec![TimeRange(jiff::civil::time(9, 0, 0, 0), jiff::civil::time(14, 0, 0, 0))]
}

fn default_staff() -> Vec<StaffConfig> {
    vec![StaffConfig {
        name: "Bürgerbüro".into(),
        email: "buergerbuero@hochheim.de".into(),
        max_visits_per_day: default_max_visits(),
        mon: weekday_hours(),
        tue: weekday_hours(),
        wed: weekday_hours(),
        thu: weekday_hours(),
        fri: weekday_hours(),
        sat: saturday_hours(),
    }]
}

/// `"08:00-21:00"`: a working window on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange(pub Time, pub Time);

impl<'de> Deserialize<'de> for TimeRange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bad = |why: &str| serde::de::Error::custom(format!("time range {s:?}: {why} (write \"08:00-21:00\")"));
        let (a, b) = s.split_once('-').ok_or_else(|| bad("no '-'"))?;
        let a: Time = a.trim().parse().map_err(|_| bad("bad start"))?;
        let b: Time = b.trim().parse().map_err(|_| bad("bad end"))?;
        if b <= a {
            return Err(bad("end not after start"));
        }
        Ok(TimeRange(a, b))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(Default)]
pub struct RulesConfig {
    /// Directory with one `*.toml` per department; relative to the config file. Not set:
    /// the rules shipped inside the binary.
    pub dir: Option<PathBuf>,
}

impl RulesConfig {
    /// The configured rules, or the shipped ones.
    pub fn load(&self) -> Result<crate::classify::Rules, crate::classify::RulesError> {
        match &self.dir {
            Some(dir) => crate::classify::Rules::load_dir(dir),
            None => Ok(crate::classify::Rules::builtin()),
        }
    }
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{file}: cannot read: {error}")]
    Io { file: PathBuf, error: std::io::Error },
    /// toml's message already names the line, column and key.
    #[error("{file}: {message}")]
    Invalid { file: PathBuf, message: String },
}

impl Default for Config {
    fn default() -> Self {
        Config::parse("").expect("the empty configuration is valid")
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Io { file: path.to_path_buf(), error })?;
        let mut cfg = Config::parse(&text).map_err(|message| ConfigError::Invalid { file: path.to_path_buf(), message })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let rebase = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        if let Some(p) = cfg.rules.dir.as_mut() {
            rebase(p);
        }
        if let Some(p) = cfg.champions_league.fixtures_ics.as_mut() {
            rebase(p);
        }
        if let Some(p) = cfg.mail.templates.as_mut() {
            rebase(p);
        }
        rebase(&mut cfg.store.path);
        if let Some(p) = cfg.control.socket.as_mut() {
            rebase(p);
        }
        if let MailboxConfig::Maildir { path, .. } = &mut cfg.mailbox {
            rebase(path);
        }
        if let OutboxConfig::Directory { path } = &mut cfg.outbox {
            rebase(path);
        }
        Ok(cfg)
    }

    /// Kick-offs from `champions_league.fixtures_ics`, if configured.
    pub fn fixture_kickoffs(&self) -> Result<Vec<(Date, Time)>, ConfigError> {
        let Some(path) = &self.champions_league.fixtures_ics else {
            return Ok(Vec::new());
        };
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Io { file: path.clone(), error })?;
        crate::schedule::fixtures::kickoffs_from_ics(&text)
            .map_err(|e| ConfigError::Invalid { file: path.clone(), message: format!("champions_league.fixtures_ics: {e}") })
    }

    /// The planner's view of this configuration. `fixture_kickoffs` are match days read
    /// from the fixtures .ics (by the caller, which does the file I/O).
    pub fn planning_rules(&self, fixture_kickoffs: &[(Date, Time)]) -> crate::schedule::PlanningRules {
        use crate::schedule::{OfficeCalendar, PlanningRules, StaffMember, Travel, WeekWindows};
        let mut calendar = OfficeCalendar {
            pilot_start: Some(self.office.pilot_start),
            closures: self.office.closure_days.iter().copied().collect(),
            match_days: Default::default(),
            kickoff_margin_minutes: self.champions_league.margin_minutes,
        };
        for &(d, t) in fixture_kickoffs {
            calendar.match_days.insert(d, t);
        }
        for m in &self.champions_league.match_days {
            calendar.match_days.insert(m.date, m.kickoff.unwrap_or(self.champions_league.default_kickoff));
        }
        let ranges = |v: &[TimeRange]| v.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>();
        let staff = self
            .staff
            .iter()
            .map(|s| StaffMember {
                name: s.name.clone(),
                email: s.email.clone(),
                max_visits_per_day: s.max_visits_per_day,
                windows: WeekWindows {
                    days: [ranges(&s.mon), ranges(&s.tue), ranges(&s.wed), ranges(&s.thu), ranges(&s.fri), ranges(&s.sat), Vec::new()],
                },
            })
            .collect();
        PlanningRules {
            calendar,
            staff,
            travel: Travel {
                same_district_minutes: self.travel.same_district_minutes,
                between_districts_minutes: self.travel.between_districts_minutes,
            },
            blackouts: self.blackouts.iter().map(|b| (b.start, b.end)).collect(),
            min_notice_minutes: self.office.min_notice_hours * 60,
            horizon_days: self.office.horizon_weeks * 7,
            proposals: self.office.proposals_per_reply,
            step_minutes: self.office.slot_step_minutes,
            waitlist_search_days: 365,
        }
    }

    /// Parse config text; the error is toml's, with line and key.
    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_refused_with_its_name_and_line() {
        let err = Config::parse("[rules]\ndir = \"rules\"\ndri = \"x\"\n").unwrap_err();
        assert!(err.contains("dri"), "{err}");
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn bad_time_range_names_the_value_and_line() {
        let err = Config::parse("[[staff]]\nname = \"A\"\nemail = \"a@x\"\nmon = [\"21:00-08:00\"]\n").unwrap_err();
        assert!(err.contains("line 4") && err.contains("21:00-08:00"), "{err}");
    }

    #[test]
    fn match_day_with_its_own_kickoff() {
        let c = Config::parse("[champions_league]\nmatch_days = [\"2027-04-06\", \"2027-04-07 18:45\"]\n").unwrap();
        let r = c.planning_rules(&[]);
        assert_eq!(r.calendar.match_days[&jiff::civil::date(2027, 4, 6)], jiff::civil::time(21, 0, 0, 0));
        assert_eq!(r.calendar.match_days[&jiff::civil::date(2027, 4, 7)], jiff::civil::time(18, 45, 0, 0));
    }

    #[test]
    fn http_listener_is_off_by_default_and_loopback_only_unless_allowed() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.http.listen, None);
        assert_eq!(c.http.health, crate::telemetry::HealthThresholds::default());
        let c = Config::parse("[http]\nlisten = \"127.0.0.1:9187\"\nmax_outbox_age_secs = 600\n").unwrap();
        assert_eq!(c.http.listen, Some("127.0.0.1:9187".parse().unwrap()));
        assert_eq!(c.http.health.max_outbox_age, std::time::Duration::from_secs(600));
        let err = Config::parse("[http]\nlisten = \"0.0.0.0:9187\"\n").unwrap_err();
        assert!(err.contains("http.listen") && err.contains("allow_remote") && err.contains("line 1"), "{err}");
        assert!(Config::parse("[http]\nlisten = \"[::]:9187\"\nallow_remote = true\n").is_ok());
        let err = Config::parse("[http]\nlisten = \"127.0.0.1:9187\"\nport = 1\n").unwrap_err();
        assert!(err.contains("port"), "{err}");
    }

    #[test]
    fn empty_config_uses_defaults() {
        assert_eq!(Config::parse("").unwrap().rules.dir, None);
    }
}

#[cfg(test)]
mod template_tests {
    use super::*;

    #[test]
    fn shipped_template_loads_with_its_fixtures() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml");
        let cfg = Config::load(&path).unwrap();
        assert!(cfg.rules.dir.as_ref().unwrap().ends_with("rules"));
        assert_eq!(cfg.staff.len(), 2);
        let r = cfg.planning_rules(&cfg.fixture_kickoffs().unwrap());
        assert_eq!(r.calendar.pilot_start, Some(jiff::civil::date(2027, 4, 3)));
        assert!(r.calendar.match_days.contains_key(&jiff::civil::date(2027, 4, 6)));
    }
}
