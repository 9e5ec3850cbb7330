//! leastcap's kernel interface.
//!
//! This is the only crate in the workspace allowed to contain `unsafe` code; every other
//! crate forbids it. Every `unsafe` block here carries a `// SAFETY:` comment, and each
//! wrapper returns a typed error that names what it was acting on.

pub mod credentials;
pub mod fs;
mod kernel;
pub mod launch;
pub mod signals;
pub mod thread_state;

pub use kernel::{kernel_caps, KernelCapsError, CAP_LAST_CAP_PATH};
pub use thread_state::{read_thread_state, ThreadState, ThreadStateError};
