//! leastcap's one launcher.
//!
//! `run`, `trace`, and later `learn` and `enforce` start programs the same way:
//!
//! 1. a [`PrivilegePlan`] is built from the command-line options ([`PlanRequest`]) and the
//!    launcher's own state ([`CurrentState`]);
//! 2. [`PrivilegePlan::validate`] refuses impossible requests before anything changes, with
//!    the reason; [`PrivilegePlan::predict`] says what the program will hold after `execve`
//!    by the kernel's rules, given the binary's file capabilities and setuid bit;
//! 3. [`Launcher::spawn_paused`] forks a child that waits at a barrier; the caller can act on
//!    [`Child::pid`] (attach a tracer); [`Child::resume`] lets it apply the plan in one fixed
//!    privilege-transition sequence (documented in [`leastcap_sys::launch::spawn_paused`])
//!    and returns once `execve` succeeded or with the step that failed;
//!    [`Child::wait`] returns the program's exit status.
//!
//! ```no_run
//! use leastcap_launch::{CurrentState, Launcher, PlanRequest, PrivilegePlan, UserDb, CapSpec};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let kernel = leastcap_sys::kernel_caps()?;
//! let current = CurrentState::read()?;
//! let request = PlanRequest {
//!     user: Some("nobody".into()),
//!     caps: Some(CapSpec::parse("net_raw", kernel)?),
//!     ..PlanRequest::default()
//! };
//! let plan = PrivilegePlan::from_request(&request, &current, &UserDb::system()?, kernel)?;
//! let mut child = Launcher::new(plan, vec!["ping".into(), "-c1".into(), "127.0.0.1".into()])
//!     .spawn_paused()?;
//! println!("paused child {}", child.pid());
//! child.resume()?;
//! let status = child.wait()?;
//! # let _ = status; Ok(()) }
//! ```

mod current;
mod launcher;
mod plan;
mod spec;
mod users;

pub use current::{CurrentState, CurrentStateError};
pub use launcher::{Child, LaunchError, Launcher};
pub use plan::{
    BoundingRequest, GroupsRequest, PlanError, PlanRequest, Prediction, PrivilegePlan, Refusal,
    TargetBinary, TargetError, Warning,
};
pub use spec::{CapSpec, CapSpecError};
pub use users::{User, UserDb, UserDbError};
