//! Zendesk's business rules: the macros agents apply to tickets and the views that queue them
//! (`restriction`: who sees and changes each). Each is a resource of its own, written as the
//! resources are (plain functions over a store transaction), under the name Zendesk gives
//! them.

pub mod macros;
pub mod restriction;
pub mod views;
