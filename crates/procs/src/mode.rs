//! libcap's "guessed mode" (`cap_get_mode()`), as `capsh --print` shows it on its last line.

use leastcap_model::{Securebits, ThreadCaps};
use serde::Serialize;

/// libcap's `cap_mode_t`, numbered as libcap numbers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CapMode {
    Uncertain = 0,
    Nopriv = 1,
    Pure1eInit = 2,
    Pure1e = 3,
    Hybrid = 4,
}

impl CapMode {
    /// `cap_mode_name()`.
    pub const fn name(self) -> &'static str {
        match self {
            CapMode::Uncertain => "UNCERTAIN",
            CapMode::Nopriv => "NOPRIV",
            CapMode::Pure1eInit => "PURE1E_INIT",
            CapMode::Pure1e => "PURE1E",
            CapMode::Hybrid => "HYBRID",
        }
    }

    pub const fn number(self) -> u8 {
        self as u8
    }
}

/// NOROOT, NO_SETUID_FIXUP and KEEP_CAPS_LOCKED, with the first two locked.
const SECURED_BITS_BASIC: u32 = 0x1 | 0x2 | 0x4 | 0x8 | 0x20;
/// The basic bits plus NO_CAP_AMBIENT_RAISE and its lock.
const SECURED_BITS_AMBIENT: u32 = SECURED_BITS_BASIC | 0x40 | 0x80;

/// `cap_get_mode()` for a thread with these securebits and sets. `ambient_supported` is false
/// on kernels before 4.3.
pub fn guess(securebits: Securebits, caps: &ThreadCaps, ambient_supported: bool) -> CapMode {
    let bits = securebits.0;
    if bits == 0 {
        return CapMode::Hybrid;
    }
    if bits & SECURED_BITS_BASIC != SECURED_BITS_BASIC {
        return CapMode::Uncertain;
    }
    if ambient_supported && (!caps.ambient.is_empty() || bits != SECURED_BITS_AMBIENT) {
        return CapMode::Uncertain;
    }
    if !caps.inheritable.is_empty() {
        return CapMode::Pure1e;
    }
    if !caps.permitted.is_empty() || !caps.effective.is_empty() || !caps.bounding.is_empty() {
        return CapMode::Pure1eInit;
    }
    CapMode::Nopriv
}

#[cfg(test)]
mod tests {
    use super::*;
    use leastcap_model::{CapSet, KernelCaps};

    #[test]
    fn modes_follow_libcap() {
        let k = KernelCaps::LINUX_6;
        let root = ThreadCaps::full(k);
        assert_eq!(guess(Securebits(0), &root, true), CapMode::Hybrid);
        assert_eq!(guess(Securebits(0x10), &root, true), CapMode::Uncertain);
        assert_eq!(
            guess(Securebits(0x2f), &root, true),
            CapMode::Uncertain,
            "ambient bits missing"
        );
        assert_eq!(guess(Securebits(0x2f), &root, false), CapMode::Pure1eInit);
        assert_eq!(guess(Securebits(0xef), &root, true), CapMode::Pure1eInit);
        let inh = ThreadCaps {
            inheritable: CapSet::from_bits(1),
            ..ThreadCaps::default()
        };
        assert_eq!(guess(Securebits(0xef), &inh, true), CapMode::Pure1e);
        assert_eq!(
            guess(Securebits(0xef), &ThreadCaps::default(), true),
            CapMode::Nopriv
        );
        let mut amb = inh;
        amb.ambient = CapSet::from_bits(1);
        assert_eq!(guess(Securebits(0xef), &amb, true), CapMode::Uncertain);
        assert_eq!(CapMode::Pure1eInit.number(), 2);
        assert_eq!(CapMode::Hybrid.name(), "HYBRID");
    }
}
