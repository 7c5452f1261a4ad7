//! One module per `zd` subcommand: each owns its clap arguments and an async `run` that returns
//! the process exit code.

pub mod auth;
pub mod common;
pub mod fields;
pub mod groups;
pub mod mcp;
pub mod orgs;
pub mod sandbox;
pub mod search;
pub mod serve_limits;
pub mod tickets;
pub mod tools;
pub mod users;
