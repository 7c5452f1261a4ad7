//! `zd tools`.

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {}

pub async fn run(_args: Args) -> ExitCode {
    eprintln!("zd tools: not built yet");
    ExitCode::from(2)
}
