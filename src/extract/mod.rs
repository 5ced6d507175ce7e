//! Stage 4: the household's wishes, from free German or English text. Pure logic.
//!
//! - [`when`]: availability windows and exclusions (Europe/Berlin), resolved against `now`.
//! - [`household`]: persons, visit address, phone.
//! - [`reply`]: for case replies, the chosen option, cancel or a wish to move.
//! - [`language`]: de / en / other.

pub mod household;
pub mod language;
pub mod reply;
pub mod when;
