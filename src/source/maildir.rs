//! A Maildir folder as the mailbox (embedded mode). New mail is delivered into `new/`
//! (or `cur/`) by whatever writes it; handled mail moves to the Maildir++ subfolder
//! `.Processed/cur/`, unreadable mail to `.Quarantine/cur/`. A mail is only moved after
//! its case is durable, so a crash in between means it is seen again and recognised.

use super::Disposition;
use std::io;
use std::path::{Path, PathBuf};

pub struct Maildir {
    root: PathBuf,
}

fn ensure(dir: &Path) -> io::Result<()> {
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    Ok(())
}

impl Maildir {
    /// Open (and create if missing) the Maildir at `root` with its two subfolders.
    pub fn open(root: &Path) -> io::Result<Maildir> {
        ensure(root)?;
        ensure(&root.join(".Processed"))?;
        ensure(&root.join(".Quarantine"))?;
        Ok(Maildir { root: root.to_path_buf() })
    }

    /// Mails waiting in `new/` and `cur/`, oldest name first (Maildir names start with
    /// the delivery time).
    pub fn pending(&self) -> io::Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            for entry in std::fs::read_dir(self.root.join(sub))? {
                let entry = entry?;
                if entry.file_type()?.is_file() && !entry.file_name().to_string_lossy().starts_with('.') {
                    out.push(entry.path());
                }
            }
        }
        out.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
        Ok(out)
    }

    /// Move a handled mail out of the inbox. Missing already (moved before a crash) is fine.
    pub fn finish(&self, mail: &Path, to: Disposition) -> io::Result<()> {
        let folder = match to {
            Disposition::Processed => ".Processed",
            Disposition::Quarantine => ".Quarantine",
        };
        let Some(name) = mail.file_name() else { return Ok(()) };
        // Maildir flags go after ":2,"; a mail moved to cur/ keeps its unique part.
        let name = name.to_string_lossy();
        let base = name.split(":2,").next().unwrap_or(&name);
        let target = self.root.join(folder).join("cur").join(format!("{base}:2,S"));
        match std::fs::rename(mail, &target) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    /// Deliver a mail into `new/` the Maildir way (write to tmp/, then rename), e.g. to
    /// seed the embedded demo or in tests.
    pub fn deliver(&self, raw: &[u8]) -> io::Result<PathBuf> {
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let host = "buergerservice";
        let name = format!("{}.M{}P{}Q{}.{host}", now.as_secs(), now.subsec_micros(), std::process::id(), seq);
        let tmp = self.root.join("tmp").join(&name);
        std::fs::write(&tmp, raw)?;
        let new = self.root.join("new").join(&name);
        std::fs::rename(&tmp, &new)?;
        Ok(new)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivered_mail_is_pending_until_finished_and_finishing_twice_is_harmless() {
        let dir = std::env::temp_dir().join(format!("bs-maildir-{}", std::process::id()));
        let md = Maildir::open(&dir).unwrap();
        let a = md.deliver(b"Subject: a\r\n\r\nx").unwrap();
        let b = md.deliver(b"Subject: b\r\n\r\ny").unwrap();
        assert_eq!(md.pending().unwrap(), vec![a.clone(), b.clone()]);
        md.finish(&a, Disposition::Processed).unwrap();
        md.finish(&a, Disposition::Processed).unwrap();
        md.finish(&b, Disposition::Quarantine).unwrap();
        assert!(md.pending().unwrap().is_empty());
        assert_eq!(std::fs::read_dir(dir.join(".Processed/cur")).unwrap().count(), 1);
        assert_eq!(std::fs::read_dir(dir.join(".Quarantine/cur")).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).ok();
    }
}
