//! For case replies: which proposed option the citizen picked, or cancel / move.
//!
//! STUB: the types are the contract; the implementation is being written.

use jiff::Zoned;
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplyIntent {
    /// 1-based option number.
    pub choice: Option<u32>,
    pub cancel: bool,
    pub reschedule: bool,
}

/// `new_text`: what the citizen wrote; `quoted`: our quoted proposal mail (numbered
/// options are read from it to map "der Freitag passt" to an option); `now`: the reply's date.
pub fn extract(new_text: &str, quoted: &str, now: &Zoned) -> ReplyIntent {
    let _ = (new_text, quoted, now);
    ReplyIntent::default()
}
