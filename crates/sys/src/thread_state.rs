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

/// `_LINUX_CAPABILITY_VERSION_3`: two 32-bit words per set.
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// `struct __user_cap_header_struct`.
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

/// `struct __user_cap_data_struct`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

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

fn prctl_error(operation: &'static str) -> ThreadStateError {
    ThreadStateError {
        operation,
        source: io::Error::last_os_error(),
    }
}

/// `prctl(option, arg2, arg3)` returning the raw result, or the errno as `io::Error`.
fn prctl3(
    option: libc::c_int,
    arg2: libc::c_ulong,
    arg3: libc::c_ulong,
) -> io::Result<libc::c_int> {
    let zero: libc::c_ulong = 0;
    // SAFETY: the prctl options used in this module (PR_CAPBSET_READ, PR_CAP_AMBIENT with
    // PR_CAP_AMBIENT_IS_SET, PR_GET_SECUREBITS, PR_GET_NO_NEW_PRIVS, PR_GET_KEEPCAPS) take
    // only integer arguments and write no memory; unused arguments are passed as zero.
    let result = unsafe { libc::prctl(option, arg2, arg3, zero, zero) };
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(result)
    }
}

fn is_einval(error: &io::Error) -> bool {
    error.raw_os_error() == Some(libc::EINVAL)
}

fn capget_raw(tid: libc::c_int) -> Result<[CapData; 2], ThreadStateError> {
    let mut header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: tid,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: `header` is a valid, writable __user_cap_header_struct with the v3 version, and
    // `data` holds the two __user_cap_data_struct elements a v3 capget writes; both outlive
    // the call.
    let result = unsafe {
        libc::syscall(
            libc::SYS_capget,
            &mut header as *mut CapHeader,
            data.as_mut_ptr(),
        )
    };
    if result != 0 {
        return Err(prctl_error("capget"));
    }
    Ok(data)
}

fn join(low: u32, high: u32) -> CapSet {
    CapSet::from_bits(u64::from(high) << 32 | u64::from(low))
}

/// Effective, permitted and inheritable sets of a thread (`0` = the calling thread) from
/// `capget(2)`. The kernel answers for any thread id without permission checks.
pub fn capget(tid: u32) -> Result<(CapSet, CapSet, CapSet), ThreadStateError> {
    let tid = libc::c_int::try_from(tid).map_err(|_| ThreadStateError {
        operation: "capget",
        source: io::Error::from_raw_os_error(libc::ESRCH),
    })?;
    let [low, high] = capget_raw(tid)?;
    Ok((
        join(low.effective, high.effective),
        join(low.permitted, high.permitted),
        join(low.inheritable, high.inheritable),
    ))
}

/// Probes every capability number with `prctl(option, ...)` until the kernel answers
/// EINVAL (a number it does not know). Returns the set and whether capability 0 answered.
fn probe(
    operation: &'static str,
    query: impl Fn(libc::c_ulong) -> io::Result<libc::c_int>,
) -> Result<(CapSet, bool), ThreadStateError> {
    let mut set = CapSet::EMPTY;
    let mut supported = false;
    for cap in Cap::all() {
        match query(libc::c_ulong::from(cap.number())) {
            Ok(0) => supported = true,
            Ok(_) => {
                supported = true;
                set.insert(cap);
            }
            Err(error) if is_einval(&error) => break,
            Err(source) => return Err(ThreadStateError { operation, source }),
        }
    }
    Ok((set, supported))
}

/// The bounding set, probed with `PR_CAPBSET_READ` as libcap does; `None` when unsupported.
pub fn bounding_set() -> Result<Option<CapSet>, ThreadStateError> {
    let (set, supported) = probe("prctl(PR_CAPBSET_READ)", |cap| {
        prctl3(libc::PR_CAPBSET_READ, cap, 0)
    })?;
    Ok(supported.then_some(set))
}

/// The ambient set, probed with `PR_CAP_AMBIENT_IS_SET`; `None` when unsupported.
pub fn ambient_set() -> Result<Option<CapSet>, ThreadStateError> {
    let (set, supported) = probe("prctl(PR_CAP_AMBIENT_IS_SET)", |cap| {
        prctl3(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_IS_SET as libc::c_ulong,
            cap,
        )
    })?;
    Ok(supported.then_some(set))
}

/// A `PR_GET_*` flag query: `None` when the kernel does not know the option.
fn get_flag(
    option: libc::c_int,
    operation: &'static str,
) -> Result<Option<libc::c_int>, ThreadStateError> {
    match prctl3(option, 0, 0) {
        Ok(value) => Ok(Some(value)),
        Err(error) if is_einval(&error) => Ok(None),
        Err(source) => Err(ThreadStateError { operation, source }),
    }
}

/// The calling thread's securebits; `None` when the kernel has no securebits interface.
pub fn securebits() -> Result<Option<Securebits>, ThreadStateError> {
    Ok(
        get_flag(libc::PR_GET_SECUREBITS, "prctl(PR_GET_SECUREBITS)")?
            .map(|bits| Securebits(bits as u32)),
    )
}

/// The calling thread's no_new_privs flag; `None` before Linux 3.5.
pub fn no_new_privs() -> Result<Option<bool>, ThreadStateError> {
    Ok(get_flag(libc::PR_GET_NO_NEW_PRIVS, "prctl(PR_GET_NO_NEW_PRIVS)")?.map(|v| v != 0))
}

/// The calling thread's keep-capabilities flag (`PR_GET_KEEPCAPS`).
pub fn keep_caps() -> Result<Option<bool>, ThreadStateError> {
    Ok(get_flag(libc::PR_GET_KEEPCAPS, "prctl(PR_GET_KEEPCAPS)")?.map(|v| v != 0))
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
    let mut data = capget_raw(0)?;
    let word = usize::from(cap.number() / 32);
    data[word].effective &= !(1u32 << (cap.number() % 32));
    let mut header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    // SAFETY: `header` is a valid v3 header for the calling thread (pid 0) and `data` holds
    // the two data elements a v3 capset reads; both outlive the call.
    let result = unsafe {
        libc::syscall(
            libc::SYS_capset,
            &mut header as *mut CapHeader,
            data.as_ptr(),
        )
    };
    if result != 0 {
        return Err(prctl_error("capset"));
    }
    Ok(())
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
