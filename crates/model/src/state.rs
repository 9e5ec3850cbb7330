use crate::set::CapSet;

/// The effective, permitted and inheritable flags of every capability: what libcap's `cap_t`
/// holds and what its text format (`cap_net_raw=ep`) describes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct CapState {
    pub effective: CapSet,
    pub permitted: CapSet,
    pub inheritable: CapSet,
}

/// libcap's per-capability flag bits, used by the canonical text algorithm.
pub(crate) const FLAG_E: u8 = 1;
pub(crate) const FLAG_P: u8 = 2;
pub(crate) const FLAG_I: u8 = 4;

impl CapState {
    pub const EMPTY: CapState = CapState {
        effective: CapSet::EMPTY,
        permitted: CapSet::EMPTY,
        inheritable: CapSet::EMPTY,
    };

    pub fn is_empty(&self) -> bool {
        self.effective.is_empty() && self.permitted.is_empty() && self.inheritable.is_empty()
    }

    /// Every capability mentioned in any of the three sets.
    pub fn union(&self) -> CapSet {
        self.effective | self.permitted | self.inheritable
    }

    pub(crate) fn flags_of(&self, bit: u64) -> u8 {
        let mut flags = 0;
        if self.effective.bits() & bit != 0 {
            flags |= FLAG_E;
        }
        if self.permitted.bits() & bit != 0 {
            flags |= FLAG_P;
        }
        if self.inheritable.bits() & bit != 0 {
            flags |= FLAG_I;
        }
        flags
    }

    pub(crate) fn apply(&mut self, caps: CapSet, flags: u8, raise: bool) {
        let target = [
            (FLAG_E, &mut self.effective),
            (FLAG_P, &mut self.permitted),
            (FLAG_I, &mut self.inheritable),
        ];
        for (flag, set) in target {
            if flags & flag != 0 {
                if raise {
                    *set |= caps;
                } else {
                    *set = *set - caps;
                }
            }
        }
    }
}
