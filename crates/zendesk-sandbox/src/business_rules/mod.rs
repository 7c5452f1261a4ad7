//! Zendesk's business rules: what an account does to tickets on its own or at an agent's
//! request. Macros (canned changes agents apply) and views (ticket queues), with `restriction`
//! saying who sees and changes each, are resources written like the others (plain functions
//! over a store transaction). Triggers (on every ticket change) and automations (as time
//! passes) are pure functions over ticket records (`serde_json::Value`, the shape the API
//! answers) and small typed structs: the caller passes in the ticket before and after a write,
//! who made it, the rules, the people they name and the clock, and gets back the ticket the
//! rules leave, the changes each rule made (for the audit), the emails to capture and the
//! webhook calls to queue.
//!
//! The modules:
//! - `macros`, `views`, `restriction`: the two resources and their visibility.
//! - `vocabulary`: the one table of condition fields (operators, values, what they read) and
//!   action fields, and the channels (`via_id`). Validation, evaluation and `definitions` all
//!   read it.
//! - `ticket_update`: one ticket write as the rules see it, the people involved, and the
//!   moments `hours_since_*` count from.
//! - `conditions`, `actions`: parsing, checking and evaluating one condition, applying actions.
//! - `rule`: a trigger's or automation's definition: Zendesk's shape, validated with Zendesk's
//!   422 listing what is supported (`refusal`); `nullify`: Zendesk's rule that an automation
//!   must nullify itself.
//! - `triggers`, `automations`: the runs, as Zendesk runs them; `standard_triggers`: a new
//!   account's triggers.
//! - `placeholders`: the Liquid subset notification subjects and bodies use; `effects`: the
//!   emails and webhook calls a run asks for, rendered for their recipients.
//! - `definitions`: `GET /triggers/definitions`, generated from the vocabulary.
//! - `outbox`, `clock`: the captured email's record, and the sandbox clock's hourly passes.
//!
//! Against the store: `rule_records` (triggers and automations as records, the standard
//! triggers), `account` (the rules in force and the sandbox's time, cached between writes),
//! `ticket_write` (what a ticket write sets off, in its transaction) and `hourly` (the
//! automations' passes).

pub mod account;
pub mod actions;
pub mod automations;
pub mod clock;
pub mod conditions;
pub mod definitions;
pub mod effects;
pub mod hourly;
pub mod macros;
pub mod nullify;
pub mod outbox;
pub mod placeholders;
pub mod refusal;
pub mod restriction;
pub mod rule;
pub mod rule_records;
pub mod standard_triggers;
pub mod ticket_update;
pub mod ticket_write;
pub mod triggers;
pub mod views;
pub mod vocabulary;

/// Test fixtures shared by the modules' tests.
#[cfg(test)]
pub(crate) mod fixtures;
