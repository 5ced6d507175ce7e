//! Stage 2: what sort of mail this is. Pure logic over [`ParsedMail`].
//!
//! STUB: the types are the contract; the implementation is being written.

use crate::case_id::CaseId;
use crate::parse::ParsedMail;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// A citizen's new concern.
    Request,
    /// An answer to one of our mails (case tag or our Message-ID).
    CaseReply,
    /// Out-of-office, vacation and other automatic replies: never answered (RFC 3834).
    AutoReply,
    /// Delivery status notifications: never answered.
    Bounce,
}

/// The kind and, where one is named, the case it refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindResult {
    pub kind: MailKind,
    pub case_id: Option<CaseId>,
    /// Why this kind, for staff ("Auto-Submitted: auto-replied").
    pub reason: String,
}

/// Decide the kind of a parsed mail.
pub fn detect(mail: &ParsedMail) -> KindResult {
    KindResult { kind: MailKind::Request, case_id: CaseId::find_in(&mail.subject), reason: String::new() }
}
