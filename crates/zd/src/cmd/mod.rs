//! One module per `zd` subcommand: each owns its clap arguments and an async `run` that returns
//! the process exit code.

pub mod articles;
pub mod auth;
pub mod client;
pub mod common;
pub mod export;
pub mod fields;
pub mod groups;
pub mod macros;
pub mod mcp;
pub mod orgs;
pub mod rules;
pub mod sandbox;
pub mod search;
pub mod serve_limits;
pub mod tickets;
pub mod tools;
pub mod users;
pub mod views;
pub mod webhook_listener;
pub mod webhooks;
