//! Stage 6: when to visit. Pure logic: the office calendar ([`calendar`]) and the slot
//! planner ([`planner`]); the caller supplies bookings and holds from the store.

pub mod calendar;
pub mod fixtures;
pub mod planner;

pub use calendar::OfficeCalendar;
pub use planner::{can_take, propose, Agenda, Busy, District, Plan, PlanningRules, Proposal, StaffMember, Travel, VisitRequest, WeekWindows};
