//! One module per subcommand.

pub mod decode;
pub mod explain;
pub mod getcap;
pub mod ps;
pub mod run;
pub mod scan;
pub mod setcap;
pub mod trace;

use crate::cli::Command;
use crate::exit::Outcome;
use crate::printer::Printer;

pub fn dispatch(command: Command, printer: &Printer) -> anyhow::Result<Outcome> {
    match command {
        Command::Explain(args) => explain::run(args, printer),
        Command::Decode(args) => decode::run(args, printer),
        Command::Ps(args) => ps::run(args, printer),
        Command::Run(args) => run::run(args, printer),
        Command::Trace(args) => trace::run(args, printer),
        Command::Getcap(args) => getcap::run(args, printer),
        Command::Setcap(args) => setcap::run(args, printer),
        Command::Scan(args) => scan::run(args, printer),
    }
}

/// The running kernel's capability range, with the error mapped for the user.
pub fn kernel_caps() -> anyhow::Result<leastcap_model::KernelCaps> {
    Ok(leastcap_sys::kernel_caps()?)
}
