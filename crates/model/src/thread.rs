use crate::iab::Iab;
use crate::set::{CapSet, KernelCaps};
use crate::state::CapState;

/// The five capability sets of one thread, as /proc/PID/status shows them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct ThreadCaps {
    pub permitted: CapSet,
    pub effective: CapSet,
    pub inheritable: CapSet,
    pub ambient: CapSet,
    pub bounding: CapSet,
}

impl ThreadCaps {
    /// A fresh root login: everything the kernel has, nothing inheritable or ambient.
    pub fn full(kernel: KernelCaps) -> ThreadCaps {
        ThreadCaps {
            permitted: kernel.all(),
            effective: kernel.all(),
            inheritable: CapSet::EMPTY,
            ambient: CapSet::EMPTY,
            bounding: kernel.all(),
        }
    }

    /// The P/E/I part, for libcap's text format.
    pub fn state(&self) -> CapState {
        CapState {
            effective: self.effective,
            permitted: self.permitted,
            inheritable: self.inheritable,
        }
    }

    pub fn iab(&self, kernel: KernelCaps) -> Iab {
        Iab::from_sets(self.inheritable, self.ambient, self.bounding, kernel)
    }

    /// Capabilities the thread can use now or regain by itself (permitted) or that survive
    /// exec of an ordinary program (ambient).
    pub fn usable(&self) -> CapSet {
        self.permitted | self.effective | self.ambient
    }
}
