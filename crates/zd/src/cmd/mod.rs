//! One module per `zd` subcommand: each owns its clap arguments and an async `run` that returns
//! the process exit code.

pub mod mcp;
pub mod sandbox;
pub mod tools;
