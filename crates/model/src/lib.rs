//! The Linux capability model used by every part of leastcap.
//!
//! This crate has no I/O and no `unsafe`: it is the vocabulary (capabilities, sets, file
//! capability state, securebits, IAB), the libcap text formats, the kernel's exec rules and
//! the knowledge base. Anything that depends on the running kernel — its highest capability
//! number above all — is passed in as a [`KernelCaps`] value, so tests can pin it.

mod cap;
mod exec;
mod filecaps;
mod iab;
pub mod kb;
mod securebits;
mod set;
mod state;
mod status;
mod text;
mod thread;

pub use cap::{Cap, UnknownCapName, CAP_NAMES, KNOWN_CAPS};
pub use exec::{exec_transform, ExecInput, ExecOutcome};
pub use filecaps::{EffectiveMismatch, FileCaps, XattrError, XATTR_NAME};
pub use iab::{Iab, IabError};
pub use securebits::{SecureBit, Securebits, SecurebitsError};
pub use set::{CapSet, KernelCaps};
pub use state::CapState;
pub use status::{ProcStatus, StatusError};
pub use text::{parse_cap_list, TextError};
pub use thread::ThreadCaps;
