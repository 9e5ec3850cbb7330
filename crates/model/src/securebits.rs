//! Securebits (`prctl(PR_GET_SECUREBITS)`), including the Linux 6.14 exec-restriction bits.

use std::fmt;

/// One securebit; the locked variant of each bit is the next bit up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SecureBit {
    NoRoot,
    NoRootLocked,
    NoSetuidFixup,
    NoSetuidFixupLocked,
    KeepCaps,
    KeepCapsLocked,
    NoCapAmbientRaise,
    NoCapAmbientRaiseLocked,
    ExecRestrictFile,
    ExecRestrictFileLocked,
    ExecDenyInteractive,
    ExecDenyInteractiveLocked,
}

impl SecureBit {
    pub const ALL: [SecureBit; 12] = [
        SecureBit::NoRoot,
        SecureBit::NoRootLocked,
        SecureBit::NoSetuidFixup,
        SecureBit::NoSetuidFixupLocked,
        SecureBit::KeepCaps,
        SecureBit::KeepCapsLocked,
        SecureBit::NoCapAmbientRaise,
        SecureBit::NoCapAmbientRaiseLocked,
        SecureBit::ExecRestrictFile,
        SecureBit::ExecRestrictFileLocked,
        SecureBit::ExecDenyInteractive,
        SecureBit::ExecDenyInteractiveLocked,
    ];

    pub const fn bit(self) -> u32 {
        1 << (self as u32)
    }

    /// The setpriv(1) spelling (`noroot`, `keep_caps_locked`, `exec_restrict_file`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            SecureBit::NoRoot => "noroot",
            SecureBit::NoRootLocked => "noroot_locked",
            SecureBit::NoSetuidFixup => "no_setuid_fixup",
            SecureBit::NoSetuidFixupLocked => "no_setuid_fixup_locked",
            SecureBit::KeepCaps => "keep_caps",
            SecureBit::KeepCapsLocked => "keep_caps_locked",
            SecureBit::NoCapAmbientRaise => "no_cap_ambient_raise",
            SecureBit::NoCapAmbientRaiseLocked => "no_cap_ambient_raise_locked",
            SecureBit::ExecRestrictFile => "exec_restrict_file",
            SecureBit::ExecRestrictFileLocked => "exec_restrict_file_locked",
            SecureBit::ExecDenyInteractive => "exec_deny_interactive",
            SecureBit::ExecDenyInteractiveLocked => "exec_deny_interactive_locked",
        }
    }

    /// The first Linux release that knows the bit.
    pub const fn since(self) -> &'static str {
        match self {
            SecureBit::NoRoot
            | SecureBit::NoRootLocked
            | SecureBit::NoSetuidFixup
            | SecureBit::NoSetuidFixupLocked
            | SecureBit::KeepCaps
            | SecureBit::KeepCapsLocked => "2.6.26",
            SecureBit::NoCapAmbientRaise | SecureBit::NoCapAmbientRaiseLocked => "4.3",
            _ => "6.14",
        }
    }
}

/// The securebits word of one thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Securebits(pub u32);

/// Text that does not name securebits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown securebit '{name}' (known: noroot, no_setuid_fixup, keep_caps, no_cap_ambient_raise, exec_restrict_file, exec_deny_interactive, each also with _locked)")]
pub struct SecurebitsError {
    pub name: String,
}

impl Securebits {
    /// Every bit the kernel defines (bits 0..=11).
    pub const KNOWN_MASK: u32 = 0xfff;

    /// NOROOT, NO_SETUID_FIXUP and NO_CAP_AMBIENT_RAISE, all locked: the state in which
    /// uid 0 gets no capabilities from exec and none can be added back.
    pub const LOCKED_DOWN: Securebits = Securebits(0x1 | 0x2 | 0x4 | 0x8 | 0x40 | 0x80);

    pub const fn contains(self, bit: SecureBit) -> bool {
        self.0 & bit.bit() != 0
    }

    pub fn set(&mut self, bit: SecureBit, on: bool) {
        if on {
            self.0 |= bit.bit();
        } else {
            self.0 &= !bit.bit();
        }
    }

    pub fn bits(self) -> impl Iterator<Item = SecureBit> {
        SecureBit::ALL
            .into_iter()
            .filter(move |bit| self.contains(*bit))
    }

    /// Parses `noroot,keep_caps_locked`, a number (`0x2f`, `47`), or an empty string.
    pub fn from_text(text: &str) -> Result<Securebits, SecurebitsError> {
        let trimmed = text.trim();
        if let Some(hex) = trimmed
            .strip_prefix("0x")
            .or_else(|| trimmed.strip_prefix("0X"))
        {
            return u32::from_str_radix(hex, 16)
                .map(Securebits)
                .map_err(|_| SecurebitsError {
                    name: text.to_string(),
                });
        }
        if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return trimmed
                .parse()
                .map(Securebits)
                .map_err(|_| SecurebitsError {
                    name: text.to_string(),
                });
        }
        let mut bits = Securebits::default();
        for item in trimmed.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let normal = item.to_ascii_lowercase().replace('-', "_");
            let normal = normal.strip_prefix("secbit_").unwrap_or(&normal);
            let bit = SecureBit::ALL
                .into_iter()
                .find(|bit| bit.name() == normal)
                .ok_or_else(|| SecurebitsError {
                    name: item.to_string(),
                })?;
            bits.set(bit, true);
        }
        Ok(bits)
    }
}

impl fmt::Display for Securebits {
    /// `noroot,noroot_locked` style, with unknown bits appended in hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<String> = self.bits().map(|bit| bit.name().to_string()).collect();
        let unknown = self.0 & !Self::KNOWN_MASK;
        if unknown != 0 {
            names.push(format!("0x{unknown:x}"));
        }
        if names.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&names.join(","))
        }
    }
}

impl serde::Serialize for Securebits {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Securebits", 2)?;
        s.serialize_field("value", &self.0)?;
        let names: Vec<&str> = self.bits().map(SecureBit::name).collect();
        s.serialize_field("names", &names)?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_values_match_the_kernel_header() {
        assert_eq!(SecureBit::NoRoot.bit(), 0x1);
        assert_eq!(SecureBit::KeepCaps.bit(), 0x10);
        assert_eq!(SecureBit::NoCapAmbientRaiseLocked.bit(), 0x80);
        assert_eq!(SecureBit::ExecRestrictFile.bit(), 0x100);
        assert_eq!(SecureBit::ExecDenyInteractiveLocked.bit(), 0x800);
        assert_eq!(Securebits::LOCKED_DOWN.0, 0xcf);
    }

    #[test]
    fn text_round_trip() {
        let bits = Securebits::from_text("noroot,NOROOT_LOCKED,secbit-keep-caps").expect("valid");
        assert_eq!(bits.0, 0x13);
        assert_eq!(bits.to_string(), "noroot,noroot_locked,keep_caps");
        assert_eq!(Securebits::from_text("0x2f").map(|b| b.0), Ok(0x2f));
        assert_eq!(Securebits::from_text("47").map(|b| b.0), Ok(47));
        assert!(Securebits::from_text("rootless").is_err());
        assert_eq!(Securebits::default().to_string(), "none");
    }
}
