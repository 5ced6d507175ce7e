//! IMAP intake (async-imap on tokio). Not written yet: configuring `[mailbox] kind =
//! "imap"` is refused with a clear message until it is.

use crate::config::ImapConfig;
use crate::daemon::{App, DaemonError, RunReport};
use crate::store::Store;
use std::future::Future;

pub async fn run(_app: &App, _store: &Store, cfg: &ImapConfig, _once: bool, _shutdown: impl Future<Output = ()>) -> Result<RunReport, DaemonError> {
    Err(DaemonError::Imap(format!("IMAP intake from {} is not available in this version; use [mailbox] kind = \"maildir\"", cfg.host)))
}
