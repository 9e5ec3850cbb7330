//! Who holds which capabilities: reads every process (and every thread whose credentials
//! differ from its leader's) from /proc, with its five capability sets, no_new_privs,
//! seccomp mode, user namespace and cgroup, and ranks them by danger.
//!
//! Reading is race-tolerant: a process that exits while being read is skipped and counted,
//! never an error; a field the kernel refuses to show (hidepid, ptrace access rules) is
//! [`Field::Hidden`], not empty.
//!
//! Securebits are not here: the kernel shows them only to the calling thread
//! (`leastcap_sys::thread_state`).

pub mod cgroup;
mod field;
pub mod mode;
pub mod rank;
mod read;
pub mod users;

pub use cgroup::{Cgroup, Container};
pub use field::{Field, Hidden};
pub use read::{
    proc_hidepid, read_pid, snapshot, Creds, PidError, Process, ProcsError, ReadOptions, Snapshot,
    Thread, UserNs, INITIAL_USER_NS_INODE,
};
pub use users::UserDb;
