//! The one capability-check event type that every leastcap tracer backend fills and the
//! classifier, the summary and later `learn` and `monitor` consume.
//!
//! [`raw`] mirrors the BPF C header `c/leastcap_events.h` byte for byte; [`CapEvent`] is the
//! decoded, owned form. [`syscall_name`] names x86_64 system calls.

pub mod raw;
mod syscalls_x86_64;

use leastcap_model::Cap;
use serde::Serialize;

/// The BPF C header this crate mirrors, for tools that want to embed or check it.
pub const C_HEADER: &str = include_str!("../c/leastcap_events.h");

/// The name of an x86_64 system call (`41` → `socket`).
pub fn syscall_name(number: u32) -> Option<&'static str> {
    syscalls_x86_64::NAMES
        .get(usize::try_from(number).ok()?)
        .copied()
        .filter(|name| !name.is_empty())
}

/// The number of an x86_64 system call (`socket` → `41`).
pub fn syscall_number(name: &str) -> Option<u32> {
    syscalls_x86_64::NAMES
        .iter()
        .position(|candidate| !candidate.is_empty() && *candidate == name)
        .and_then(|index| u32::try_from(index).ok())
}

/// Which kernel hook produced an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// `fexit/cap_capable`: verdict and the `CAP_OPT_*` flags. Needs BPF trampolines.
    Fexit,
    /// `tp_btf/cap_capable`: the Linux 6.14+ tracepoint with BTF-typed arguments.
    TpBtf,
    /// `raw_tp/cap_capable`: the same tracepoint, attached without BTF typing or tracefs.
    RawTp,
    /// The classic `capability:cap_capable` tracepoint through tracefs and perf.
    Tracepoint,
    /// `kprobe` + `kretprobe` on `cap_capable` (kernels before 6.14).
    Kprobe,
}

impl Backend {
    /// Every backend, best first: the order in which the tracer tries them.
    pub const ALL: [Backend; 5] = [
        Backend::Fexit,
        Backend::TpBtf,
        Backend::RawTp,
        Backend::Tracepoint,
        Backend::Kprobe,
    ];

    /// The short name used on the command line (`--backend tp-btf`).
    pub const fn name(self) -> &'static str {
        match self {
            Backend::Fexit => "fexit",
            Backend::TpBtf => "tp-btf",
            Backend::RawTp => "raw-tp",
            Backend::Tracepoint => "tracepoint",
            Backend::Kprobe => "kprobe",
        }
    }

    /// Parses [`Backend::name`].
    pub fn from_name(name: &str) -> Option<Backend> {
        Backend::ALL
            .into_iter()
            .find(|backend| backend.name() == name)
    }

    /// Whether events carry the kernel's `CAP_OPT_NOAUDIT` / `CAP_OPT_INSETID` flags.
    pub const fn has_opts(self) -> bool {
        matches!(self, Backend::Fexit | Backend::Kprobe)
    }

    /// What this backend cannot see, in a user's words.
    pub const fn limitations(self) -> &'static str {
        match self {
            Backend::Fexit => "sees the commoncap verdict only: a later LSM (SELinux, AppArmor) may still deny",
            Backend::TpBtf | Backend::RawTp | Backend::Tracepoint => {
                "this kernel's cap_capable tracepoint carries no NOAUDIT flag: advisory checks are classified by call site; \
                 it sees the commoncap verdict only"
            }
            Backend::Kprobe => {
                "cap_capable may be inlined into its callers on some kernels: checks made through an inlined copy are not seen"
            }
        }
    }

    /// Decodes `LC_BACKEND_*`.
    pub const fn from_raw(value: u8) -> Option<Backend> {
        match value {
            raw::BACKEND_FEXIT => Some(Backend::Fexit),
            raw::BACKEND_TP_BTF => Some(Backend::TpBtf),
            raw::BACKEND_RAW_TP => Some(Backend::RawTp),
            raw::BACKEND_TRACEPOINT => Some(Backend::Tracepoint),
            raw::BACKEND_KPROBE => Some(Backend::Kprobe),
            _ => None,
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The kernel's answer to one check (commoncap's; a later LSM may still deny).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckVerdict {
    Granted,
    /// `errno` is positive (`1` = EPERM).
    Denied {
        errno: i32,
    },
}

impl CheckVerdict {
    /// From `cap_capable`'s return value.
    pub fn from_ret(ret: i32) -> CheckVerdict {
        if ret == 0 {
            CheckVerdict::Granted
        } else {
            CheckVerdict::Denied {
                errno: ret.saturating_neg(),
            }
        }
    }

    pub fn is_granted(self) -> bool {
        self == CheckVerdict::Granted
    }
}

/// The user namespace a check was made against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct UserNs {
    /// True for the initial user namespace: the capability is a host capability.
    pub initial: bool,
    /// Nesting depth (0 = initial).
    pub level: u16,
    /// The namespace's inode number (as in `/proc/PID/ns/user`), 0 if unknown.
    pub inum: u32,
}

/// The kernel's `CAP_OPT_*` flags of a check, when the backend sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct CapOpts {
    /// `CAP_OPT_NOAUDIT`: the kernel does not audit a denial (often an advisory probe).
    pub noaudit: bool,
    /// `CAP_OPT_INSETID`: made while the kernel is computing setuid/setgid credentials.
    pub insetid: bool,
}

impl CapOpts {
    pub fn from_raw(opts: u32) -> CapOpts {
        CapOpts {
            noaudit: opts & raw::CAP_OPT_NOAUDIT != 0,
            insetid: opts & raw::CAP_OPT_INSETID != 0,
        }
    }
}

/// One capability check made by a traced process (or, from the aggregate mode, `count`
/// identical ones).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CapEvent {
    /// CLOCK_MONOTONIC nanoseconds of the check; 0 in aggregate rows.
    pub time_ns: u64,
    /// Thread-group id (what `ps` calls the PID).
    pub pid: u32,
    /// Thread id; equal to `pid` in aggregate rows.
    pub tid: u32,
    pub comm: String,
    pub cap: Cap,
    pub verdict: CheckVerdict,
    /// The system call being served, or `None` outside syscall context.
    pub syscall: Option<u32>,
    pub userns: UserNs,
    /// `None` when the backend does not see the flags.
    pub opts: Option<CapOpts>,
    /// Kernel call stack, innermost first, symbolised (`inet_create`); empty when no stack was
    /// taken for this capability.
    pub stack: Vec<String>,
    pub backend: Option<Backend>,
    /// Number of identical checks this event stands for: 1 for live events.
    pub count: u64,
}

impl CapEvent {
    /// Decodes a raw record. `stack` is the symbolised stack for `raw.stack_id` (empty if
    /// none). `None` if the capability number is out of range.
    pub fn from_raw(raw: &raw::RawEvent, stack: Vec<String>) -> Option<CapEvent> {
        let cap = Cap::new(u8::try_from(raw.cap).ok()?)?;
        Some(CapEvent {
            time_ns: raw.time_ns,
            pid: raw.pid,
            tid: raw.tid,
            comm: comm_string(&raw.comm),
            cap,
            verdict: CheckVerdict::from_ret(raw.ret),
            syscall: syscall_from_raw(raw.flags, raw.syscall_nr),
            userns: UserNs {
                initial: raw.flags & raw::F_INIT_USERNS != 0,
                level: raw.userns_level,
                inum: raw.userns_inum,
            },
            opts: (raw.flags & raw::F_OPTS_VALID != 0).then(|| CapOpts::from_raw(raw.opts)),
            stack,
            backend: Backend::from_raw(raw.backend),
            count: 1,
        })
    }

    /// Decodes an aggregate-map entry.
    pub fn from_aggregate(
        key: &raw::RawAggKey,
        count: u64,
        comm: String,
        backend: Backend,
        stack: Vec<String>,
    ) -> Option<CapEvent> {
        let cap = Cap::new(u8::try_from(key.cap).ok()?)?;
        Some(CapEvent {
            time_ns: 0,
            pid: key.pid,
            tid: key.pid,
            comm,
            cap,
            verdict: CheckVerdict::from_ret(key.ret),
            syscall: syscall_from_raw(key.flags, key.syscall_nr),
            userns: UserNs {
                initial: key.flags & raw::F_INIT_USERNS != 0,
                level: u16::try_from(key.userns_level).unwrap_or(u16::MAX),
                inum: 0,
            },
            opts: backend
                .has_opts()
                .then(|| CapOpts::from_raw(key.flags >> 16)),
            stack,
            backend: Some(backend),
            count,
        })
    }

    /// The system call's name, if known.
    pub fn syscall_name(&self) -> Option<&'static str> {
        self.syscall.and_then(syscall_name)
    }
}

fn syscall_from_raw(flags: u32, nr: i32) -> Option<u32> {
    if flags & raw::F_SYSCALL_VALID != 0 {
        u32::try_from(nr).ok()
    } else {
        None
    }
}

/// A kernel `comm` buffer as text: up to the first NUL, lossy UTF-8.
pub fn comm_string(comm: &[u8]) -> String {
    let end = comm.iter().position(|&b| b == 0).unwrap_or(comm.len());
    String::from_utf8_lossy(&comm[..end]).into_owned()
}

#[cfg(test)]
mod tests;
