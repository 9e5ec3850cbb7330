//! The launcher's own credentials: what a plan starts from.

use leastcap_model::{ProcStatus, Securebits, StatusError, ThreadCaps};

/// The calling thread's capabilities, ids, securebits and no_new_privs.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CurrentState {
    pub caps: ThreadCaps,
    /// Real, effective, saved, filesystem.
    pub uids: [u32; 4],
    pub gids: [u32; 4],
    pub groups: Vec<u32>,
    pub securebits: Securebits,
    pub no_new_privs: bool,
}

/// The launcher's own state could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CurrentStateError {
    #[error("cannot read /proc/thread-self/status: {0}")]
    Read(#[source] std::io::Error),
    #[error("cannot parse /proc/thread-self/status: {0}")]
    Parse(#[source] StatusError),
    #[error("cannot read the securebits (prctl PR_GET_SECUREBITS): {0}")]
    Securebits(#[source] leastcap_sys::credentials::Errno),
}

impl CurrentState {
    /// Reads the calling thread's state (the thread that will fork the child).
    pub fn read() -> Result<CurrentState, CurrentStateError> {
        let text =
            std::fs::read_to_string("/proc/thread-self/status").map_err(CurrentStateError::Read)?;
        let status = ProcStatus::parse(&text).map_err(CurrentStateError::Parse)?;
        let securebits =
            leastcap_sys::credentials::get_securebits().map_err(CurrentStateError::Securebits)?;
        Ok(CurrentState::from_status(&status, Securebits(securebits)))
    }

    pub fn from_status(status: &ProcStatus, securebits: Securebits) -> CurrentState {
        let mut groups = status.groups.clone();
        groups.sort_unstable();
        groups.dedup();
        CurrentState {
            caps: status.caps,
            uids: status.uids,
            gids: status.gids,
            groups,
            securebits,
            no_new_privs: status.no_new_privs.unwrap_or(false),
        }
    }
}
