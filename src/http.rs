//! The optional HTTP listener (`[http] listen`): `/healthz` (JSON, 200 healthy / 503 not)
//! and `/metrics` (OpenMetrics text). It reads only the shared [`Telemetry`], never the
//! store, so a scrape can neither slow down nor block the daemon; it stops accepting when
//! the daemon is asked to stop and never holds up its exit.

use crate::daemon::Control;
use crate::telemetry::{HealthThresholds, Telemetry, METRICS_CONTENT_TYPE};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use jiff::Timestamp;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::net::TcpListener;

#[derive(Debug, Error)]
pub enum HttpError {
    #[error("http.listen {addr}: {error}")]
    Bind { addr: SocketAddr, error: std::io::Error },
}

/// One answer, before it becomes an HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: String,
}

fn text(status: StatusCode, body: &str) -> Reply {
    Reply { status, content_type: "text/plain; charset=utf-8", body: format!("{body}\n") }
}

/// Route one request: GET `/healthz` or `/metrics`; 405 for another method on those
/// paths, 404 for any other path.
pub fn respond(method: &Method, path: &str, telemetry: &Telemetry, thresholds: &HealthThresholds, now: Timestamp) -> Reply {
    if !matches!(path, "/healthz" | "/metrics") {
        return text(StatusCode::NOT_FOUND, "not found: try /healthz or /metrics");
    }
    if method != Method::GET {
        return text(StatusCode::METHOD_NOT_ALLOWED, "only GET");
    }
    if path == "/metrics" {
        return Reply { status: StatusCode::OK, content_type: METRICS_CONTENT_TYPE, body: telemetry.render_metrics(now) };
    }
    let health = telemetry.health(thresholds, now);
    let status = if health.healthy() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    match serde_json::to_string(&health) {
        Ok(body) => Reply { status, content_type: "application/json", body },
        Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, &format!("health: {e}")),
    }
}

fn response(reply: Reply) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(reply.body)));
    *r.status_mut() = reply.status;
    let headers = r.headers_mut();
    headers.insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(reply.content_type));
    if reply.status == StatusCode::METHOD_NOT_ALLOWED {
        headers.insert(hyper::header::ALLOW, hyper::header::HeaderValue::from_static("GET"));
    }
    r
}

pub async fn bind(addr: SocketAddr) -> Result<TcpListener, HttpError> {
    TcpListener::bind(addr).await.map_err(|error| HttpError::Bind { addr, error })
}

/// A connection may take this long in all (a scraper that hangs is dropped).
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(30);
/// Open connections at most; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 16;

/// Serve until the daemon is asked to stop.
pub async fn serve(listener: TcpListener, telemetry: Arc<Telemetry>, thresholds: HealthThresholds, control: Arc<Control>) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = tokio::select! {
            _ = control.stopped() => return,
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
        };
        let (stream, peer) = tokio::select! {
            _ = control.stopped() => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: pause instead of spinning.
                    tracing::warn!("http: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            },
        };
        let telemetry = telemetry.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let reply = respond(req.method(), req.uri().path(), &telemetry, &thresholds, Timestamp::now());
                std::future::ready(Ok::<_, std::convert::Infallible>(response(reply)))
            });
            let conn = hyper::server::conn::http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service);
            match tokio::time::timeout(CONNECTION_TIMEOUT, conn).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::debug!(%peer, "http: connection error: {e}"),
                Err(_) => tracing::debug!(%peer, "http: connection timed out"),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::MailboxKind;

    fn now() -> Timestamp {
        "2027-04-06T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn healthz_is_json_and_503_when_unhealthy() {
        let t = Telemetry::new(MailboxKind::Imap, "2027-04-06T08:00:00Z".parse().unwrap());
        let r = respond(&Method::GET, "/healthz", &t, &HealthThresholds::default(), now());
        assert_eq!((r.status, r.content_type), (StatusCode::SERVICE_UNAVAILABLE, "application/json"));
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!((v["status"].as_str(), v["imap_connected"].as_bool()), (Some("unhealthy"), Some(false)));
        t.imap_up();
        t.fetched(now());
        let r = respond(&Method::GET, "/healthz", &t, &HealthThresholds::default(), now());
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }

    #[test]
    fn metrics_served_as_openmetrics() {
        let t = Telemetry::default();
        let r = respond(&Method::GET, "/metrics", &t, &HealthThresholds::default(), now());
        assert_eq!((r.status, r.content_type), (StatusCode::OK, METRICS_CONTENT_TYPE));
        assert!(r.body.contains("buergerservice_outbox_depth"), "{}", r.body);
    }

    #[test]
    fn other_paths_404_other_methods_405() {
        let t = Telemetry::default();
        let th = HealthThresholds::default();
        assert_eq!(respond(&Method::GET, "/", &t, &th, now()).status, StatusCode::NOT_FOUND);
        assert_eq!(respond(&Method::GET, "/metrics/x", &t, &th, now()).status, StatusCode::NOT_FOUND);
        assert_eq!(respond(&Method::POST, "/metrics", &t, &th, now()).status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(respond(&Method::DELETE, "/healthz", &t, &th, now()).status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response(respond(&Method::PUT, "/healthz", &t, &th, now())).headers()[hyper::header::ALLOW], "GET");
    }
}
