//! The one place where outcomes become exit statuses.
//!
//! | status | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | the command ran but something failed or did not match (getcap/setcap -v habit) |
//! | 2 | usage error (bad option or malformed argument) |
//! | 125 | `run`/`trace`: leastcap failed before the program started |
//! | 126, 127 | `run`/`trace`: the program could not be executed / was not found |
//! | other | `run`/`trace`: the program's own exit status (128+N when killed by signal N) |

use std::io;
use std::process::ExitCode;

use crate::printer::Printer;

/// How a command finished when it did not simply succeed.
#[derive(Debug)]
pub enum Outcome {
    /// Everything worked.
    Success,
    /// The command did its job but reports a failure or mismatch (already printed).
    Failed,
    /// Pass this status through (the traced or launched program's own status).
    Status(u8),
}

/// A usage problem: the user's input is malformed. Exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// leastcap could not start the program it was asked to run. Exit status 125.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LaunchFailure(pub String);

pub fn finish(result: anyhow::Result<Outcome>, printer: &Printer) -> ExitCode {
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Ok(Outcome::Status(status)) => ExitCode::from(status),
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            printer.error(&format!("{error:#}"));
            ExitCode::from(status_for(&error))
        }
    }
}

fn status_for(error: &anyhow::Error) -> u8 {
    if error.downcast_ref::<UsageError>().is_some() {
        2
    } else if error.downcast_ref::<LaunchFailure>().is_some() {
        125
    } else {
        1
    }
}

/// A closed pipe (`leastcap scan | head`) is the reader's choice, not an error.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
