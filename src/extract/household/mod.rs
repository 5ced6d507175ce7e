//! Persons, visit address and phone number.
//!
//! - [`persons`]: how many people the visit is for.
//! - [`address`]: the visit address (text first when it names the home, else signature).
//! - [`phone`]: the household's phone number as written.

mod address;
mod persons;
mod phone;

pub use address::norm as address_key;
use serde::Serialize;

/// The address where the visit takes place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Address {
    pub street: String,
    pub house_number: String,
    /// Only when the mail writes it.
    pub postal_code: Option<String>,
    /// `Hochheim am Main` or `Massenheim` (a district of Hochheim), when known; for an
    /// address elsewhere (only returned when no other exists) the town as written.
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
    Household {
        persons: persons::persons(new_text, signature),
        address: address::address(new_text, signature),
        phone: phone::phone(new_text, signature),
    }
}
