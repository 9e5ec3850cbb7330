use std::fmt;

/// Capability names known to this build, indexed by number (include/uapi/linux/capability.h).
pub const CAP_NAMES: [&str; 41] = [
    "cap_chown",
    "cap_dac_override",
    "cap_dac_read_search",
    "cap_fowner",
    "cap_fsetid",
    "cap_kill",
    "cap_setgid",
    "cap_setuid",
    "cap_setpcap",
    "cap_linux_immutable",
    "cap_net_bind_service",
    "cap_net_broadcast",
    "cap_net_admin",
    "cap_net_raw",
    "cap_ipc_lock",
    "cap_ipc_owner",
    "cap_sys_module",
    "cap_sys_rawio",
    "cap_sys_chroot",
    "cap_sys_ptrace",
    "cap_sys_pacct",
    "cap_sys_admin",
    "cap_sys_boot",
    "cap_sys_nice",
    "cap_sys_resource",
    "cap_sys_time",
    "cap_sys_tty_config",
    "cap_mknod",
    "cap_lease",
    "cap_audit_write",
    "cap_audit_control",
    "cap_setfcap",
    "cap_mac_override",
    "cap_mac_admin",
    "cap_syslog",
    "cap_wake_alarm",
    "cap_block_suspend",
    "cap_audit_read",
    "cap_perfmon",
    "cap_bpf",
    "cap_checkpoint_restore",
];

/// Number of capabilities this build has names for.
pub const KNOWN_CAPS: u8 = CAP_NAMES.len() as u8;

/// One capability number, 0..=63.
///
/// Numbers this build has no name for are still valid capabilities: a newer kernel may know
/// them, and dropping them silently is the classic bug of capability tools.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cap(u8);

/// A name or number that is not a capability.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown capability '{0}' (expected a name such as cap_net_raw or a number 0..63)")]
pub struct UnknownCapName(pub String);

impl Cap {
    /// The highest number the kernel's 64-bit capability masks can hold.
    pub const MAX: u8 = 63;

    pub const CHOWN: Cap = Cap(0);
    pub const DAC_OVERRIDE: Cap = Cap(1);
    pub const DAC_READ_SEARCH: Cap = Cap(2);
    pub const FOWNER: Cap = Cap(3);
    pub const FSETID: Cap = Cap(4);
    pub const KILL: Cap = Cap(5);
    pub const SETGID: Cap = Cap(6);
    pub const SETUID: Cap = Cap(7);
    pub const SETPCAP: Cap = Cap(8);
    pub const NET_BIND_SERVICE: Cap = Cap(10);
    pub const NET_ADMIN: Cap = Cap(12);
    pub const NET_RAW: Cap = Cap(13);
    pub const SYS_MODULE: Cap = Cap(16);
    pub const SYS_RAWIO: Cap = Cap(17);
    pub const SYS_PTRACE: Cap = Cap(19);
    pub const SYS_ADMIN: Cap = Cap(21);
    pub const SYS_NICE: Cap = Cap(23);
    pub const SYS_RESOURCE: Cap = Cap(24);
    pub const SYS_TTY_CONFIG: Cap = Cap(26);
    pub const SETFCAP: Cap = Cap(31);
    pub const SYSLOG: Cap = Cap(34);
    pub const PERFMON: Cap = Cap(38);
    pub const BPF: Cap = Cap(39);
    pub const CHECKPOINT_RESTORE: Cap = Cap(40);

    /// The capability with this number, if it fits a 64-bit mask.
    pub const fn new(number: u8) -> Option<Cap> {
        if number <= Self::MAX {
            Some(Cap(number))
        } else {
            None
        }
    }

    pub const fn number(self) -> u8 {
        self.0
    }

    /// The lowercase libcap name (`cap_net_raw`), or `None` for a number this build does not know.
    pub fn name(self) -> Option<&'static str> {
        CAP_NAMES.get(usize::from(self.0)).copied()
    }

    /// True when this build has a name and knowledge-base entry for the capability.
    pub fn is_known(self) -> bool {
        self.0 < KNOWN_CAPS
    }

    /// Every capability number, 0..=63.
    pub fn all() -> impl Iterator<Item = Cap> {
        (0..=Self::MAX).map(Cap)
    }

    /// Looks up a capability the way people type it: `cap_perfmon`, `CAP_PERFMON`, `perfmon` or `38`.
    pub fn lookup(text: &str) -> Result<Cap, UnknownCapName> {
        let trimmed = text.trim();
        if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return trimmed
                .parse::<u8>()
                .ok()
                .and_then(Cap::new)
                .ok_or_else(|| UnknownCapName(text.to_string()));
        }
        let lower = trimmed.to_ascii_lowercase();
        let full = if lower.starts_with("cap_") {
            lower
        } else {
            format!("cap_{lower}")
        };
        Self::from_libcap_name(&full).ok_or_else(|| UnknownCapName(text.to_string()))
    }

    /// Exact (case-insensitive) libcap name lookup, `cap_` prefix required.
    pub fn from_libcap_name(name: &str) -> Option<Cap> {
        CAP_NAMES
            .iter()
            .position(|known| known.eq_ignore_ascii_case(name))
            .map(|index| Cap(index as u8))
    }

    /// `CAP_NET_RAW` style, as the kernel headers and man pages write it.
    pub fn upper_name(self) -> String {
        match self.name() {
            Some(name) => name.to_ascii_uppercase(),
            None => self.0.to_string(),
        }
    }
}

impl fmt::Display for Cap {
    /// The libcap spelling: the lowercase name, or the decimal number when unnamed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Debug for Cap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cap({}={})", self.0, self)
    }
}

impl serde::Serialize for Cap {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_accepts_the_spellings_people_use() {
        for spelling in [
            "cap_perfmon",
            "CAP_PERFMON",
            "perfmon",
            "Perfmon",
            "38",
            " 38 ",
        ] {
            assert_eq!(Cap::lookup(spelling), Ok(Cap::PERFMON), "{spelling}");
        }
        assert_eq!(Cap::lookup("45").map(Cap::number), Ok(45));
        assert!(Cap::lookup("64").is_err());
        assert!(Cap::lookup("cap_foo").is_err());
        assert!(Cap::lookup("").is_err());
    }

    #[test]
    fn unknown_numbers_print_as_numbers() {
        assert_eq!(Cap::new(45).map(|c| c.to_string()).as_deref(), Some("45"));
        assert_eq!(Cap::NET_RAW.to_string(), "cap_net_raw");
        assert_eq!(Cap::new(64), None);
    }
}
