//! The `leastcap` command: parse → configure → dispatch → exit code.
//!
//! Everything with substance lives in the library crates; this crate turns their results into
//! text or JSON through one [`printer::Printer`] and maps errors to exit codes in one place
//! ([`exit`]).

pub mod cli;
mod commands;
pub mod escape;
pub mod exit;
pub mod printer;

use std::process::ExitCode;

use clap::Parser;

/// Entry point shared by the binary and the integration tests.
pub fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let printer = printer::Printer::new(cli.json, cli.color);
    let result = commands::dispatch(cli.command, &printer);
    exit::finish(result, &printer)
}
