//! The daemon's control socket. sled lets one process open the store, so while the
//! daemon runs, staff and operator commands ([`crate::ops`]) are sent to it over a local
//! Unix socket and run in its loop between batches of mail: the mail in hand is finished
//! first, and a command never races the engine on a case. Without a daemon the CLI opens
//! the store itself.
//!
//! Protocol: one JSON [`Request`] line, one JSON [`Response`] line; a response with an
//! `attachment` of N bytes is followed by those bytes (a backup).

use crate::ops::{Command, Output};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;
use thiserror::Error;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::sync::{oneshot, Notify};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    /// Who asks, as the client knows itself (the OS user); the daemon adds the uid it
    /// sees on the socket.
    pub by: String,
    pub command: Command,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Response {
    Ok {
        output: Output,
        /// Bytes of a file that follow the response line.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attachment: Option<u64>,
    },
    Error {
        message: String,
    },
}

#[derive(Debug, Error)]
pub enum ControlError {
    #[error("control socket {path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("control socket {path}: the daemon answered something unreadable: {why}")]
    Protocol { path: String, why: String },
}

/// A command waiting for the daemon's loop, with the way back to its client.
pub struct Job {
    pub request: Request,
    /// Where a backup is written before it is streamed to the client.
    pub reply: oneshot::Sender<(Response, Option<PathBuf>)>,
}

/// Commands handed from the socket to the daemon's loop.
#[derive(Default)]
pub struct Queue {
    jobs: Mutex<VecDeque<Job>>,
    arrived: Notify,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Queue")
    }
}

impl Queue {
    fn push(&self, job: Job) {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).push_back(job);
        self.arrived.notify_one();
    }

    /// Everything waiting, oldest first.
    pub fn take(&self) -> Vec<Job> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).drain(..).collect()
    }

    /// Resolves when a command arrives (at once if one arrived since the last wait).
    pub async fn arrived(&self) {
        self.arrived.notified().await;
    }
}

/// The socket beside the store unless configured: `var/store` → `var/store.sock`, so
/// `--store DIR` alone finds the daemon that holds DIR.
pub fn default_socket(store: &Path) -> PathBuf {
    let mut s = store.as_os_str().to_owned();
    s.push(".sock");
    PathBuf::from(s)
}

/// Bind the socket (the store is already open, so no other daemon holds it: a socket
/// file left by a crash is removed). Owner and group may connect, nobody else.
pub fn bind(path: &Path) -> Result<tokio::net::UnixListener, ControlError> {
    use std::os::unix::fs::PermissionsExt;
    let io = |error| ControlError::Io { path: path.display().to_string(), error };
    if std::os::unix::net::UnixStream::connect(path).is_err() {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let listener = tokio::net::UnixListener::bind(path).map_err(io)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660)).map_err(io)?;
    Ok(listener)
}

/// Bind the socket and serve it on the current tokio runtime.
pub fn listen(path: &Path, control: std::sync::Arc<crate::daemon::Control>) -> Result<(), ControlError> {
    let listener = bind(path)?;
    tokio::spawn(serve(listener, control));
    Ok(())
}

/// Accept clients until the process ends; each request becomes a [`Job`] on the
/// daemon's command queue.
pub async fn serve(listener: tokio::net::UnixListener, control: std::sync::Arc<crate::daemon::Control>) {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("control socket: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let control = control.clone();
        tokio::spawn(async move {
            if let Err(e) = handle(stream, &control.commands).await {
                tracing::warn!("control socket: {e}");
            }
        });
    }
}

/// Who made a change, for the case history: the name the client gave (may be empty)
/// and the uid the kernel vouches for.
pub fn actor(name: &str, uid: u32) -> String {
    if name.is_empty() {
        format!("uid {uid}")
    } else {
        format!("{name} (uid {uid})")
    }
}

/// Longest request line accepted (a note is short; this bounds a confused client).
const MAX_REQUEST: u64 = 1024 * 1024;

async fn handle(stream: tokio::net::UnixStream, queue: &Queue) -> std::io::Result<()> {
    let uid = stream.peer_cred().map(|c| c.uid()).ok();
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut reader = tokio::io::BufReader::new(read.take(MAX_REQUEST));
    let read_line = reader.read_line(&mut line);
    if tokio::time::timeout(Duration::from_secs(10), read_line).await.is_err() {
        return Ok(());
    }
    let (response, attachment) = match serde_json::from_str::<Request>(&line) {
        Err(e) => (Response::Error { message: format!("unreadable request: {e}") }, None),
        Ok(mut request) => {
            if let Some(uid) = uid {
                request.by = actor(&request.by, uid);
            }
            tracing::info!(op = request.command.name(), "control command");
            let (tx, rx) = oneshot::channel();
            queue.push(Job { request, reply: tx });
            rx.await.unwrap_or_else(|_| (Response::Error { message: "the daemon is stopping; try again when it runs".into() }, None))
        }
    };
    let mut head = serde_json::to_vec(&response).unwrap_or_default();
    head.push(b'\n');
    write.write_all(&head).await?;
    if let Some(file) = attachment {
        let result = async {
            let mut f = tokio::fs::File::open(&file).await?;
            tokio::io::copy(&mut f, &mut write).await
        }
        .await;
        let _ = tokio::fs::remove_file(&file).await;
        result?;
    }
    write.shutdown().await
}

/// Send `request` to the daemon at `socket`. `Ok(None)`: no daemon listens there (the
/// caller may open the store itself). An attachment is written to `attachment_to`.
pub fn call(socket: &Path, request: &Request, attachment_to: Option<&Path>) -> Result<Option<Response>, ControlError> {
    use std::io::ErrorKind;
    let io = |error| ControlError::Io { path: socket.display().to_string(), error };
    let mut stream = match std::os::unix::net::UnixStream::connect(socket) {
        Ok(s) => s,
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::ConnectionRefused) => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let mut line = serde_json::to_vec(request).map_err(|e| ControlError::Protocol { path: socket.display().to_string(), why: e.to_string() })?;
    line.push(b'\n');
    stream.write_all(&line).map_err(io)?;
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    reader.read_line(&mut head).map_err(io)?;
    let response: Response =
        serde_json::from_str(&head).map_err(|e| ControlError::Protocol { path: socket.display().to_string(), why: e.to_string() })?;
    if let (Response::Ok { attachment: Some(len), .. }, Some(target)) = (&response, attachment_to) {
        receive_file(&mut reader, *len, target).map_err(|error| ControlError::Io { path: target.display().to_string(), error })?;
    }
    Ok(Some(response))
}

/// Write exactly `len` bytes to `target` via a temporary file: a cut connection never
/// leaves a truncated file under the final name.
fn receive_file(reader: &mut impl Read, len: u64, target: &Path) -> std::io::Result<()> {
    let mut tmp = target.as_os_str().to_owned();
    tmp.push(".part");
    let tmp = PathBuf::from(tmp);
    let mut file = std::fs::File::create(&tmp)?;
    let copied = std::io::copy(&mut reader.take(len), &mut file)?;
    if copied != len {
        let _ = std::fs::remove_file(&tmp);
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, format!("connection closed after {copied} of {len} bytes")));
    }
    file.sync_all()?;
    std::fs::rename(&tmp, target)
}
