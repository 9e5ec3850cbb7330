//! Classifying traced capability checks and summarising them.
//!
//! The kernel's capability checks are the ground truth of what a program asks for, but not
//! of what it needs. [`Classifier`] sorts every [`CapEvent`](leastcap_events::CapEvent) into a [`Class`] with a reason,
//! using the knowledge base ([`leastcap_model::kb`]):
//!
//! * [`Class::Advisory`]: the kernel asks but works without it (a kernel call site listed in
//!   `ADVISORY_SITES`, such as the overcommit heuristic's CAP_SYS_ADMIN check);
//! * [`Class::Alternative`]: a broad capability checked at a site that accepts a narrower one
//!   (`OR_CHAINS`): the recommendation is the narrow one;
//! * [`Class::UserNamespace`]: a check against a user namespace other than the initial one,
//!   which the program owns and needs no host capability for;
//! * [`Class::Needed`]: everything else.
//!
//! [`Summary`] groups classified checks per capability and class into rows with counts,
//! syscalls and a recommendation, plus the resulting capability set.

mod classify;
mod line;
mod summary;

pub use classify::{call_site, Class, Classification, Classifier, Knowledge};
pub use line::ClassifiedEvent;
pub use summary::{Dedup, Summary, SummaryRow};

#[cfg(test)]
mod tests;
