//! Thin, async-signal-safe wrappers for the credential system calls the launcher uses.
//!
//! Every function here is a single raw system call: no allocation, no locks, no libc wrapper
//! with process-wide side effects (glibc's `setresuid` and `setgroups` broadcast the change to
//! every thread of the process through a signal, which is wrong in a forked child and needless
//! in a single-threaded one). They are therefore safe to call between `fork` and `execve`.
//! Errors are a bare [`Errno`] so the child can report them over a pipe without allocating;
//! the launcher turns them into messages that name the step and the capability.

use std::fmt;

/// An `errno` value from a failed system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

impl Errno {
    /// The calling thread's current `errno`.
    pub fn last() -> Errno {
        Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }

    pub fn to_io(self) -> std::io::Error {
        std::io::Error::from_raw_os_error(self.0)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_io())
    }
}

impl std::error::Error for Errno {}

/// Reads errno without going through `std::io::Error` (which does not allocate for OS
/// errors, but keep the child path obviously allocation-free).
fn errno() -> Errno {
    // SAFETY: __errno_location returns a valid pointer to this thread's errno.
    Errno(unsafe { *libc::__errno_location() })
}

fn check(ret: libc::c_long) -> Result<libc::c_long, Errno> {
    if ret < 0 {
        Err(errno())
    } else {
        Ok(ret)
    }
}

fn prctl(
    option: libc::c_int,
    arg2: libc::c_ulong,
    arg3: libc::c_ulong,
) -> Result<libc::c_long, Errno> {
    // SAFETY: prctl with integer arguments only; the options used here take no pointers.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_prctl,
            option as libc::c_long,
            arg2,
            arg3,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    check(ret)
}

/// The effective, permitted and inheritable sets of the calling thread, as 64-bit masks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CapTriple {
    pub effective: u64,
    pub permitted: u64,
    pub inheritable: u64,
}

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// `capget(2)` for the calling thread.
pub fn capget() -> Result<CapTriple, Errno> {
    let mut header = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: header and a two-element data array are what the v3 ABI reads and writes.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_capget,
            &mut header as *mut CapHeader,
            data.as_mut_ptr(),
        )
    };
    check(ret)?;
    let join = |lo: u32, hi: u32| u64::from(lo) | (u64::from(hi) << 32);
    Ok(CapTriple {
        effective: join(data[0].effective, data[1].effective),
        permitted: join(data[0].permitted, data[1].permitted),
        inheritable: join(data[0].inheritable, data[1].inheritable),
    })
}

/// `capset(2)` for the calling thread (the kernel allows no other target).
pub fn capset(caps: CapTriple) -> Result<(), Errno> {
    let mut header = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let split = |mask: u64| (mask as u32, (mask >> 32) as u32);
    let (e0, e1) = split(caps.effective);
    let (p0, p1) = split(caps.permitted);
    let (i0, i1) = split(caps.inheritable);
    let data = [
        CapData {
            effective: e0,
            permitted: p0,
            inheritable: i0,
        },
        CapData {
            effective: e1,
            permitted: p1,
            inheritable: i1,
        },
    ];
    // SAFETY: header and a two-element data array, as the v3 ABI expects; capset only reads data.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_capset,
            &mut header as *mut CapHeader,
            data.as_ptr(),
        )
    };
    check(ret).map(drop)
}

/// `prctl(PR_SET_KEEPCAPS)`: keep the permitted set across a change from uid 0 to non-zero.
pub fn set_keepcaps(on: bool) -> Result<(), Errno> {
    prctl(libc::PR_SET_KEEPCAPS, u64::from(on), 0).map(drop)
}

/// `prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap)`.
pub fn ambient_raise(cap: u8) -> Result<(), Errno> {
    prctl(
        libc::PR_CAP_AMBIENT,
        libc::PR_CAP_AMBIENT_RAISE as libc::c_ulong,
        libc::c_ulong::from(cap),
    )
    .map(drop)
}

/// `prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)`.
pub fn ambient_clear_all() -> Result<(), Errno> {
    prctl(
        libc::PR_CAP_AMBIENT,
        libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
        0,
    )
    .map(drop)
}

/// `prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap)`.
pub fn ambient_is_set(cap: u8) -> Result<bool, Errno> {
    prctl(
        libc::PR_CAP_AMBIENT,
        libc::PR_CAP_AMBIENT_IS_SET as libc::c_ulong,
        libc::c_ulong::from(cap),
    )
    .map(|r| r == 1)
}

/// `prctl(PR_CAPBSET_DROP, cap)`: needs CAP_SETPCAP in the effective set.
pub fn bounding_drop(cap: u8) -> Result<(), Errno> {
    prctl(libc::PR_CAPBSET_DROP, libc::c_ulong::from(cap), 0).map(drop)
}

/// `prctl(PR_CAPBSET_READ, cap)`.
pub fn bounding_read(cap: u8) -> Result<bool, Errno> {
    prctl(libc::PR_CAPBSET_READ, libc::c_ulong::from(cap), 0).map(|r| r == 1)
}

/// `prctl(PR_GET_SECUREBITS)`.
pub fn get_securebits() -> Result<u32, Errno> {
    prctl(libc::PR_GET_SECUREBITS, 0, 0).map(|bits| bits as u32)
}

/// `prctl(PR_SET_SECUREBITS, bits)`: needs CAP_SETPCAP in the effective set.
pub fn set_securebits(bits: u32) -> Result<(), Errno> {
    prctl(libc::PR_SET_SECUREBITS, libc::c_ulong::from(bits), 0).map(drop)
}

/// `prctl(PR_SET_NO_NEW_PRIVS, 1)`: irreversible for this thread and its descendants.
pub fn set_no_new_privs() -> Result<(), Errno> {
    prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0).map(drop)
}

/// `prctl(PR_GET_NO_NEW_PRIVS)`.
pub fn get_no_new_privs() -> Result<bool, Errno> {
    prctl(libc::PR_GET_NO_NEW_PRIVS, 0, 0).map(|r| r == 1)
}

/// `setgroups(2)` as a raw system call (this thread only).
pub fn setgroups(groups: &[libc::gid_t]) -> Result<(), Errno> {
    // SAFETY: the kernel reads `groups.len()` gid_t values from a valid slice.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_setgroups,
            groups.len() as libc::c_long,
            groups.as_ptr(),
        )
    };
    check(ret).map(drop)
}

/// `setresgid(2)` as a raw system call (this thread only).
pub fn setresgid(rgid: u32, egid: u32, sgid: u32) -> Result<(), Errno> {
    // SAFETY: integer arguments only.
    let ret = unsafe { libc::syscall(libc::SYS_setresgid, rgid, egid, sgid) };
    check(ret).map(drop)
}

/// `setresuid(2)` as a raw system call (this thread only).
pub fn setresuid(ruid: u32, euid: u32, suid: u32) -> Result<(), Errno> {
    // SAFETY: integer arguments only.
    let ret = unsafe { libc::syscall(libc::SYS_setresuid, ruid, euid, suid) };
    check(ret).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_agree_with_proc() {
        let status = std::fs::read_to_string("/proc/thread-self/status").expect("procfs");
        let field = |name: &str| {
            let line = status
                .lines()
                .find(|l| l.starts_with(name))
                .expect("cap line");
            u64::from_str_radix(line.split_whitespace().nth(1).expect("value"), 16).expect("hex")
        };
        let caps = capget().expect("capget works on self");
        assert_eq!(caps.permitted, field("CapPrm:"));
        assert_eq!(caps.effective, field("CapEff:"));
        assert_eq!(caps.inheritable, field("CapInh:"));
        let bounding = field("CapBnd:");
        for cap in 0..=40u8 {
            assert_eq!(
                bounding_read(cap).expect("read"),
                bounding & (1 << cap) != 0
            );
        }
        assert_eq!(
            get_no_new_privs().expect("nnp"),
            status.contains("NoNewPrivs:\t1")
        );
        assert!(get_securebits().is_ok());
        assert_eq!(bounding_read(64), Err(Errno(libc::EINVAL)));
    }
}
