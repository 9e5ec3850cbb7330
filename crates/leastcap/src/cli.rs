//! The command-line interface, defined once with clap; the man page, shell completions and
//! docs/cli.md are generated from it (`cargo run -p xtask -- docs`).

use clap::{CommandFactory, Parser, Subcommand};

use crate::commands;
use crate::printer::ColorChoice;

const AFTER_HELP: &str = "\
Exit status: 0 success; 1 something failed or did not match; 2 usage error;
for run/trace: 125 leastcap failed before the program started, 126/127 the program
could not be executed/found, otherwise the program's own status.

Examples:
  leastcap explain                      every capability with its root-equivalence verdict
  leastcap explain perfmon              one capability in detail
  leastcap explain --search raw socket  which capability covers raw sockets?
  leastcap decode 0x000001fffeffffff    a /proc/PID/status mask in names and libcap text";

/// Least privilege with Linux capabilities: see what is privileged, learn what a program
/// needs, grant exactly that.
#[derive(Debug, Parser)]
#[command(name = "leastcap", version, about, long_about = None, after_help = AFTER_HELP)]
#[command(propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// When to colour text output (NO_COLOR in the environment always disables colour).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Explain(commands::explain::ExplainArgs),
    Decode(commands::decode::DecodeArgs),
    Getcap(commands::getcap::GetcapArgs),
    Setcap(commands::setcap::SetcapArgs),
    Scan(commands::scan::ScanArgs),
    Ps(commands::ps::PsArgs),
    Run(commands::run::RunArgs),
    Trace(commands::trace::TraceArgs),
}

/// The clap command tree, for the documentation generator.
pub fn command() -> clap::Command {
    Cli::command()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_cli_definition_is_consistent() {
        super::command().debug_assert();
    }
}
