//! Stage 1: raw mail bytes → [`ParsedMail`]. No I/O; never panics on hostile input.
//!
//! STUB: the types are the contract; the implementation is being written.

use jiff::Timestamp;
use serde::Serialize;
use thiserror::Error;

/// One address of a From/Reply-To header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mailbox {
    pub name: Option<String>,
    /// The bare address, e.g. `sabine.wendel@posteo.de`.
    pub address: String,
}

/// An attachment as the staff would see it listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    pub name: Option<String>,
    /// MIME type, e.g. `image/jpeg`.
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: usize,
}

/// The decoded text of a mail, split by who wrote it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Body {
    /// What the citizen newly wrote (greeting and closing included, quotes and signature not).
    pub new_text: String,
    /// The quoted earlier mail(s): `>` lines, "-----Ursprüngliche Nachricht-----",
    /// "Am … schrieb …:", "On … wrote:" blocks (without the quote markers).
    pub quoted: String,
    /// The signature: after "-- ", "--", or a recognisable sign-off block.
    pub signature: String,
}

/// Headers that tell automatic mail apart (RFC 3834, bounces).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AutoHeaders {
    /// `Auto-Submitted` value, lower-cased, e.g. `auto-replied`.
    pub auto_submitted: Option<String>,
    /// `X-Autoreply` / `X-Autorespond` / `X-Auto-Response-Suppress`-style markers present.
    pub x_autoreply: bool,
    /// `Precedence` value, lower-cased (bulk, junk, list).
    pub precedence: Option<String>,
    /// `Return-Path` as written; `Some("")` for the null sender `<>`.
    pub return_path: Option<String>,
    /// Top-level content type with subtype, lower-cased, e.g. `multipart/report`.
    pub content_type: Option<String>,
    /// `report-type` parameter of a multipart/report, lower-cased.
    pub report_type: Option<String>,
    /// Some part is `message/delivery-status` (or `message/global-delivery-status`).
    pub has_delivery_status: bool,
}

/// A mail as the later stages need it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ParsedMail {
    pub from: Option<Mailbox>,
    pub reply_to: Option<Mailbox>,
    /// Decoded subject ("" when absent).
    pub subject: String,
    /// Message-ID without angle brackets.
    pub message_id: Option<String>,
    /// In-Reply-To ids without angle brackets.
    pub in_reply_to: Vec<String>,
    /// References ids without angle brackets.
    pub references: Vec<String>,
    /// The Date header as an instant.
    pub date: Option<Timestamp>,
    /// `Content-Language` header, if any (a hint for language detection).
    pub content_language: Option<String>,
    /// The whole decoded text (text/plain, or text derived from HTML when that is all).
    pub text: String,
    /// `text` split into new text, quote and signature.
    pub body: Body,
    pub attachments: Vec<Attachment>,
    pub auto: AutoHeaders,
    /// Problems found while parsing, for staff (e.g. "no From header", "undecodable
    /// charset in part 2"). A mail with problems is still processed and kept.
    pub problems: Vec<String>,
}

/// Why a mail could not be parsed at all.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("empty input: no headers and no body")]
    Empty,
    #[error("not an RFC 5322 message: {0}")]
    NotAMessage(String),
}

/// Parse raw bytes of one message.
pub fn parse(raw: &[u8]) -> Result<ParsedMail, ParseError> {
    if raw.is_empty() {
        return Err(ParseError::Empty);
    }
    Ok(ParsedMail::default())
}
