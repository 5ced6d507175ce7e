//! buergerservice — the e-mail intake of the Bürgerbüro Hochheim am Main.
//!
//! The flow of one mail, stage by stage (one module each):
//!
//! 1. [`parse`]: raw RFC 5322 bytes → [`parse::ParsedMail`] (headers, decoded text split
//!    into what the citizen newly wrote, the quoted earlier mail and the signature).
//! 2. [`kind`]: request, case reply, auto-reply or bounce ([`kind::MailKind`]).
//! 3. [`classify`]: Anliegen and Fachamt by the editable rules in `rules/`.
//! 4. [`extract`]: the household's wishes: availability windows, persons, address,
//!    phone, and for case replies the chosen option, cancel or move.
//! 5. [`triage`]: all of the above as one [`triage::Triage`] record, no I/O.
//!
//! Everything in these modules is pure logic; I/O lives at the edges (the binary).

pub mod agenda;
pub mod case_id;
pub mod casework;
pub mod classify;
pub mod config;
pub mod control;
pub mod daemon;
pub mod demo;
pub mod engine;
pub mod extract;
pub mod http;
pub mod kind;
pub mod ops;
pub mod outbox;
pub mod parse;
pub mod reply;
pub mod schedule;
pub mod source;
pub mod store;
pub mod telemetry;
pub mod triage;
pub mod tz;
