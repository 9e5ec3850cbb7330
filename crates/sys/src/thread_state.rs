//! Read-only view of the calling thread's capability state: `capget(2)` (v3 header), the
//! bounding set probed with `PR_CAPBSET_READ`, the ambient set with `PR_CAP_AMBIENT_IS_SET`,
//! securebits, no_new_privs and keep-caps.
//!
//! Securebits exist only here: the kernel publishes them for the calling thread alone
//! (`prctl(PR_GET_SECUREBITS)`); no file in /proc shows them for another process.
//!
//! The one writer, [`drop_own_effective`], exists so tests can build a thread whose
//! capabilities differ from its process leader's; the setters proper live elsewhere.

use std::io;

use leastcap_model::{Cap, CapSet, Securebits, ThreadCaps};

use crate::credentials::{self, CapTriple, Errno};

/// A query about the calling thread's credentials failed.
#[derive(Debug, thiserror::Error)]
#[error("{operation} on the calling thread failed: {source}")]
pub struct ThreadStateError {
    /// The system call, as the man pages name it (`capget`, `prctl(PR_GET_SECUREBITS)`).
    pub operation: &'static str,
    #[source]
    pub source: io::Error,
}

/// Everything the kernel tells a thread about its own privilege.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadState {
    /// The five sets. Bounding and ambient are empty when the kernel lacks the interface
    /// (see the two flags below).
    pub caps: ThreadCaps,
    /// False when `PR_CAPBSET_READ` is unknown to the kernel (before 2.6.25).
    pub bounding_supported: bool,
    /// False when `PR_CAP_AMBIENT` is unknown to the kernel (before 4.3).
    pub ambient_supported: bool,
    /// `None` when `PR_GET_SECUREBITS` is not supported.
    pub securebits: Option<Securebits>,
    /// `None` when `PR_GET_NO_NEW_PRIVS` is not supported (before 3.5).
    pub no_new_privs: Option<bool>,
    /// `PR_GET_KEEPCAPS`; `None` when not supported.
    pub keep_caps: Option<bool>,
}

fn failed(operation: &'static str) -> impl Fn(Errno) -> ThreadStateError {
    move |errno| ThreadStateError {
        operation,
        source: errno.to_io(),
    }
}

/// `EINVAL` from a prctl query means the kernel does not know the option or the number.
fn unsupported<T>(
    result: Result<T, Errno>,
    operation: &'static str,
) -> Result<Option<T>, ThreadStateError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(Errno(libc::EINVAL)) => Ok(None),
        Err(errno) => Err(failed(operation)(errno)),
    }
}

/// Effective, permitted and inheritable sets of a thread (`0` = the calling thread) from
/// `capget(2)`. The kernel answers for any thread id without permission checks.
pub fn capget(tid: u32) -> Result<(CapSet, CapSet, CapSet), ThreadStateError> {
    let tid = libc::c_int::try_from(tid).map_err(|_| failed("capget")(Errno(libc::ESRCH)))?;
    let caps = credentials::capget_of(tid).map_err(failed("capget"))?;
    Ok((
        CapSet::from_bits(caps.effective),
        CapSet::from_bits(caps.permitted),
        CapSet::from_bits(caps.inheritable),
    ))
}

/// Probes every capability number until the kernel answers EINVAL (a number it does not
/// know), as libcap does. Returns `None` when even capability 0 is refused (no interface).
fn probe(
    operation: &'static str,
    query: impl Fn(u8) -> Result<bool, Errno>,
) -> Result<Option<CapSet>, ThreadStateError> {
    let mut set = CapSet::EMPTY;
    let mut supported = false;
    for cap in Cap::all() {
        match unsupported(query(cap.number()), operation)? {
            Some(held) => {
                supported = true;
                if held {
                    set.insert(cap);
                }
            }
            None => break,
        }
    }
    Ok(supported.then_some(set))
}

/// The bounding set, probed with `PR_CAPBSET_READ`; `None` when unsupported.
pub fn bounding_set() -> Result<Option<CapSet>, ThreadStateError> {
    probe("prctl(PR_CAPBSET_READ)", credentials::bounding_read)
}

/// The ambient set, probed with `PR_CAP_AMBIENT_IS_SET`; `None` when unsupported.
pub fn ambient_set() -> Result<Option<CapSet>, ThreadStateError> {
    probe("prctl(PR_CAP_AMBIENT_IS_SET)", credentials::ambient_is_set)
}

/// The calling thread's securebits; `None` when the kernel has no securebits interface.
pub fn securebits() -> Result<Option<Securebits>, ThreadStateError> {
    Ok(unsupported(credentials::get_securebits(), "prctl(PR_GET_SECUREBITS)")?.map(Securebits))
}

/// The calling thread's no_new_privs flag; `None` before Linux 3.5.
pub fn no_new_privs() -> Result<Option<bool>, ThreadStateError> {
    unsupported(
        credentials::get_no_new_privs(),
        "prctl(PR_GET_NO_NEW_PRIVS)",
    )
}

/// The calling thread's keep-capabilities flag (`PR_GET_KEEPCAPS`).
pub fn keep_caps() -> Result<Option<bool>, ThreadStateError> {
    unsupported(credentials::get_keepcaps(), "prctl(PR_GET_KEEPCAPS)")
}

/// Reads everything about the calling thread at once.
pub fn read_thread_state() -> Result<ThreadState, ThreadStateError> {
    let (effective, permitted, inheritable) = capget(0)?;
    let bounding = bounding_set()?;
    let ambient = ambient_set()?;
    Ok(ThreadState {
        caps: ThreadCaps {
            permitted,
            effective,
            inheritable,
            ambient: ambient.unwrap_or_default(),
            bounding: bounding.unwrap_or_default(),
        },
        bounding_supported: bounding.is_some(),
        ambient_supported: ambient.is_some(),
        securebits: securebits()?,
        no_new_privs: no_new_privs()?,
        keep_caps: keep_caps()?,
    })
}

/// The calling thread's kernel thread id (`gettid(2)`).
pub fn gettid() -> u32 {
    // SAFETY: gettid takes no arguments, touches no memory and cannot fail.
    let tid = unsafe { libc::gettid() };
    u32::try_from(tid).unwrap_or_default()
}

/// Removes `cap` from the calling thread's effective set (and nothing else) with capset(2).
///
/// Capability sets are per thread: the other threads of the process keep theirs. Dropping a
/// capability from the effective set never needs privilege. Meant for tests and
/// demonstrations of per-thread state.
pub fn drop_own_effective(cap: Cap) -> Result<(), ThreadStateError> {
    let caps = credentials::capget().map_err(failed("capget"))?;
    credentials::capset(CapTriple {
        effective: caps.effective & !(1u64 << cap.number()),
        ..caps
    })
    .map_err(failed("capset"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_line(text: &str, key: &str) -> CapSet {
        let value = text
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .expect("status line present");
        CapSet::from_bits(u64::from_str_radix(value.trim(), 16).expect("hex mask"))
    }

    #[test]
    fn agrees_with_proc_status_of_this_thread() {
        let state = read_thread_state().expect("read own state");
        let path = format!("/proc/self/task/{}/status", gettid());
        let text = std::fs::read_to_string(path).expect("own task status");
        assert_eq!(state.caps.effective, status_line(&text, "CapEff:"));
        assert_eq!(state.caps.permitted, status_line(&text, "CapPrm:"));
        assert_eq!(state.caps.inheritable, status_line(&text, "CapInh:"));
        assert_eq!(state.caps.bounding, status_line(&text, "CapBnd:"));
        assert_eq!(state.caps.ambient, status_line(&text, "CapAmb:"));
        assert!(state.bounding_supported && state.ambient_supported);
        let nnp = text
            .lines()
            .find_map(|line| line.strip_prefix("NoNewPrivs:"))
            .map(|v| v.trim() == "1");
        assert_eq!(state.no_new_privs, nnp);
        let keep = state.keep_caps.expect("PR_GET_KEEPCAPS exists");
        let bits = state.securebits.expect("securebits exist");
        assert_eq!(keep, bits.0 & 0x10 != 0, "keep-caps is securebit 4");
    }

    #[test]
    fn bounding_probe_stops_at_the_kernel_range() {
        let last = crate::kernel_caps().expect("kernel range");
        if std::env::var_os("LEASTCAP_CAP_LAST_CAP").is_some() {
            return;
        }
        let bounding = bounding_set().expect("probe").expect("supported");
        assert!(bounding.is_subset(last.all()));
    }

    #[test]
    fn dropping_effective_changes_only_this_thread() {
        let before = read_thread_state().expect("state");
        let Some(cap) = before.caps.effective.iter().next() else {
            eprintln!(
                "SKIPPED dropping_effective_changes_only_this_thread: no effective capability"
            );
            return;
        };
        let main_tid = gettid();
        let (tid, after) = std::thread::spawn(move || {
            drop_own_effective(cap).expect("drop from own effective set");
            (gettid(), capget(0).expect("capget"))
        })
        .join()
        .expect("thread");
        assert_ne!(tid, main_tid);
        assert!(!after.0.contains(cap));
        assert_eq!(after.1, before.caps.permitted, "permitted untouched");
        let here = capget(0).expect("capget");
        assert!(
            here.0.contains(cap),
            "other threads keep their effective set"
        );
    }
}
