//! Which language the citizen wrote in, so the reply is in it too.
//!
//! STUB: the types are the contract; the implementation is being written.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    De,
    En,
    Other,
}

/// Detect from the citizen's new text (and subject); `content_language` is a hint only.
pub fn detect(text: &str, content_language: Option<&str>) -> Language {
    let _ = (text, content_language);
    Language::De
}
