//! Stage 0: where mail comes from. A Maildir folder (embedded mode) or an IMAP mailbox.
//! Both hand out raw mails and, once the case is durable, move each one to the folder
//! that says what became of it.

pub mod imap;
pub mod maildir;

/// What became of a mail, i.e. which folder it moves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Processed,
    /// Unreadable or oversized: kept in the store, flagged for staff.
    Quarantine,
}
