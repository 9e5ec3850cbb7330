use std::fmt;
use std::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign, Not, Sub};

use crate::cap::{Cap, KNOWN_CAPS};

/// A set of capabilities as the kernel stores it: one bit per number, 64 bits.
///
/// Every operation keeps bits this build has no name for.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CapSet(u64);

impl CapSet {
    pub const EMPTY: CapSet = CapSet(0);

    pub const fn from_bits(bits: u64) -> CapSet {
        CapSet(bits)
    }

    pub const fn bits(self) -> u64 {
        self.0
    }

    pub fn from_caps(caps: impl IntoIterator<Item = Cap>) -> CapSet {
        caps.into_iter()
            .fold(CapSet::EMPTY, |set, cap| set.with(cap))
    }

    pub const fn contains(self, cap: Cap) -> bool {
        self.0 & (1u64 << cap.number()) != 0
    }

    #[must_use]
    pub const fn with(self, cap: Cap) -> CapSet {
        CapSet(self.0 | (1u64 << cap.number()))
    }

    #[must_use]
    pub const fn without(self, cap: Cap) -> CapSet {
        CapSet(self.0 & !(1u64 << cap.number()))
    }

    pub fn insert(&mut self, cap: Cap) {
        *self = self.with(cap);
    }

    pub fn remove(&mut self, cap: Cap) {
        *self = self.without(cap);
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub const fn len(self) -> u32 {
        self.0.count_ones()
    }

    pub const fn is_subset(self, other: CapSet) -> bool {
        self.0 & !other.0 == 0
    }

    /// Capabilities in ascending order.
    pub fn iter(self) -> impl Iterator<Item = Cap> {
        Cap::all().filter(move |cap| self.contains(*cap))
    }

    /// Comma-separated libcap names (numbers for unnamed bits), as `capsh --decode` prints them.
    pub fn to_name_list(self) -> String {
        let names: Vec<String> = self.iter().map(|cap| cap.to_string()).collect();
        names.join(",")
    }

    /// Compact form for people: `full`, `none`, `all − {cap_sys_resource}` or the list.
    ///
    /// "full" means every capability the kernel has; bits beyond the kernel are always listed.
    pub fn compact(self, kernel: KernelCaps) -> String {
        let beyond = self - kernel.all();
        let within = self & kernel.all();
        let mut text = if within == kernel.all() {
            "full".to_string()
        } else if within.is_empty() {
            "none".to_string()
        } else if within.len() * 2 > u32::from(kernel.count()) {
            format!(
                "all − {{{}}}",
                (kernel.all() - within).to_name_list().replace(',', ", ")
            )
        } else {
            within.to_name_list().replace(',', ", ")
        };
        if !beyond.is_empty() {
            text = if within.is_empty() {
                beyond.to_name_list().replace(',', ", ")
            } else {
                format!("{text} + {{{}}}", beyond.to_name_list().replace(',', ", "))
            };
        }
        text
    }

    /// The mask as the kernel prints it in /proc/PID/status: 16 hex digits.
    pub fn to_hex(self) -> String {
        format!("{:016x}", self.0)
    }
}

impl fmt::Debug for CapSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CapSet(0x{:016x} {{{}}})", self.0, self.to_name_list())
    }
}

impl BitOr for CapSet {
    type Output = CapSet;
    fn bitor(self, rhs: CapSet) -> CapSet {
        CapSet(self.0 | rhs.0)
    }
}

impl BitOrAssign for CapSet {
    fn bitor_assign(&mut self, rhs: CapSet) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for CapSet {
    type Output = CapSet;
    fn bitand(self, rhs: CapSet) -> CapSet {
        CapSet(self.0 & rhs.0)
    }
}

impl BitAndAssign for CapSet {
    fn bitand_assign(&mut self, rhs: CapSet) {
        self.0 &= rhs.0;
    }
}

impl Sub for CapSet {
    type Output = CapSet;
    fn sub(self, rhs: CapSet) -> CapSet {
        CapSet(self.0 & !rhs.0)
    }
}

impl Not for CapSet {
    type Output = CapSet;
    /// Complement over all 64 bits; intersect with [`KernelCaps::all`] for "what the kernel has".
    fn not(self) -> CapSet {
        CapSet(!self.0)
    }
}

impl FromIterator<Cap> for CapSet {
    fn from_iter<I: IntoIterator<Item = Cap>>(iter: I) -> Self {
        CapSet::from_caps(iter)
    }
}

/// JSON form: the exact mask and the names, so nothing is lost and nothing needs decoding.
impl serde::Serialize for CapSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("CapSet", 2)?;
        s.serialize_field("mask", &format!("0x{:016x}", self.0))?;
        let names: Vec<String> = self.iter().map(|cap| cap.to_string()).collect();
        s.serialize_field("caps", &names)?;
        s.end()
    }
}

/// What the running kernel supports: capabilities `0..=last_cap`
/// (`/proc/sys/kernel/cap_last_cap`). libcap calls `last_cap + 1` "cap_max_bits".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelCaps {
    last_cap: Cap,
}

impl KernelCaps {
    /// The layout of every 6.x kernel (CAP_CHECKPOINT_RESTORE = 40 is the highest).
    pub const LINUX_6: KernelCaps = KernelCaps {
        last_cap: Cap::CHECKPOINT_RESTORE,
    };

    pub const fn new(last_cap: Cap) -> KernelCaps {
        KernelCaps { last_cap }
    }

    pub const fn last_cap(self) -> Cap {
        self.last_cap
    }

    /// Number of capabilities the kernel supports (libcap's `cap_max_bits()`).
    pub const fn count(self) -> u8 {
        self.last_cap.number() + 1
    }

    /// Every capability the kernel supports: what libcap means by `all`.
    pub const fn all(self) -> CapSet {
        if self.count() >= 64 {
            CapSet(u64::MAX)
        } else {
            CapSet((1u64 << self.count()) - 1)
        }
    }

    pub const fn supports(self, cap: Cap) -> bool {
        cap.number() <= self.last_cap.number()
    }

    /// Capabilities the kernel has that this build cannot name.
    pub fn unnamed(self) -> CapSet {
        CapSet::from_caps(
            Cap::all().filter(|cap| self.supports(*cap) && cap.number() >= KNOWN_CAPS),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_all_matches_cap_last_cap() {
        assert_eq!(KernelCaps::LINUX_6.all().bits(), 0x0000_01ff_ffff_ffff);
        assert_eq!(KernelCaps::LINUX_6.count(), 41);
        let k63 = KernelCaps::new(Cap::new(63).expect("63 fits"));
        assert_eq!(k63.all().bits(), u64::MAX);
        assert_eq!(k63.unnamed().len(), 23);
    }

    #[test]
    fn compact_forms() {
        let k = KernelCaps::LINUX_6;
        assert_eq!(k.all().compact(k), "full");
        assert_eq!(CapSet::EMPTY.compact(k), "none");
        assert_eq!(
            (k.all().without(Cap::SYS_ADMIN)).compact(k),
            "all − {cap_sys_admin}"
        );
        assert_eq!(
            CapSet::from_caps([Cap::NET_RAW, Cap::KILL]).compact(k),
            "cap_kill, cap_net_raw"
        );
        assert_eq!(CapSet::from_bits(1 << 45).compact(k), "45");
        assert_eq!(
            (k.all() | CapSet::from_bits(1 << 45)).compact(k),
            "full + {45}"
        );
    }

    #[test]
    fn set_operations_keep_unknown_bits() {
        let set = CapSet::from_bits(1 << 45 | 1 << 13);
        assert_eq!(set.to_name_list(), "cap_net_raw,45");
        assert_eq!((set - CapSet::from_caps([Cap::NET_RAW])).bits(), 1 << 45);
        assert_eq!(set.len(), 2);
    }
}
