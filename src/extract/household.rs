//! Persons, visit address and phone number.
//!
//! STUB: the types are the contract; the implementation is being written.

use serde::Serialize;

/// The address where the visit takes place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Address {
    pub street: String,
    pub house_number: String,
    /// Only when the mail writes it.
    pub postal_code: Option<String>,
    /// `Hochheim am Main` or `Massenheim` (a district of Hochheim), when known.
    pub city: Option<String>,
}

/// What the mail says about the household.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Household {
    /// How many people the visit is for.
    pub persons: Option<u32>,
    pub address: Option<Address>,
    /// As written, e.g. `06146 812345`.
    pub phone: Option<String>,
}

/// Read the household from the new text (first) and the signature (address, phone).
pub fn extract(new_text: &str, signature: &str) -> Household {
    let _ = (new_text, signature);
    Household::default()
}
