//! File capabilities on disk: reading and writing `security.capability` through
//! [`leastcap_sys::fs`], libcap-compatible `getcap`/`setcap`, the one-pass privileged-file
//! scan, and manifests that save and restore the file capabilities of a tree.

pub mod getcap;
pub mod manifest;
pub mod ns;
pub mod path;
pub mod risk;
pub mod scan;
pub mod setcap;
pub mod xattr;

pub use xattr::{read_caps, CapsError, ReadCaps};
