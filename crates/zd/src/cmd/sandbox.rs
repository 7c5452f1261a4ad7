//! `zd sandbox`.

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {}

pub async fn run(_args: Args) -> ExitCode {
    eprintln!("zd sandbox: not built yet");
    ExitCode::from(2)
}
