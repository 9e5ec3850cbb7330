//! The knowledge base: what each capability gives away, and where the kernel accepts a
//! broader capability in place of a narrow one.
//!
//! It is data, versioned with the code (`kb/data.rs`): adding a capability or a fallback site is
//! a data change with a test, not a code hunt. Sources are cited per entry.

mod data;

use crate::cap::Cap;

pub use data::{ADVISORY_SITES, CAPABILITIES, OR_CHAINS};

/// Can a process holding this capability make itself full root on a stock distribution?
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// No known path to root: denial of service or information leaks at worst.
    No,
    /// A path exists only with a particular configuration, another capability or an admin's help.
    Conditional,
    /// A general, well-known path to full root.
    RootEquivalent,
}

impl Verdict {
    pub const fn label(self) -> &'static str {
        match self {
            Verdict::No => "no",
            Verdict::Conditional => "conditional",
            Verdict::RootEquivalent => "root-equivalent",
        }
    }
}

/// One capability's entry.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct CapInfo {
    pub cap: Cap,
    /// First Linux release with the capability.
    pub since: &'static str,
    /// One line: what it is for.
    pub summary: &'static str,
    /// A short paragraph: what the kernel lets a holder do.
    pub gates: &'static str,
    pub verdict: Verdict,
    /// How a holder gets to full root (or why it cannot).
    pub escalation: &'static str,
    /// Narrower capabilities to grant instead, for capabilities the kernel has split up.
    pub narrower: &'static [Cap],
    pub sources: &'static [&'static str],
}

/// A kernel site that accepts any of several capabilities, in the order it checks them.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct OrChain {
    /// The kernel helper or function (`perfmon_capable()`).
    pub site: &'static str,
    /// What it guards, in an admin's words.
    pub guards: &'static str,
    /// Syscalls that reach it.
    pub syscalls: &'static [&'static str],
    /// Capabilities in the order the kernel checks them; the first granted one wins.
    pub check_order: &'static [Cap],
    /// The capability to grant.
    pub narrow: Cap,
    pub since: &'static str,
    /// Kernel functions that appear in the stack of a check made at this site.
    pub call_sites: &'static [&'static str],
    pub source: &'static str,
}

/// A capability check the kernel makes without needing the capability to succeed.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct AdvisorySite {
    pub cap: Cap,
    /// Kernel function whose presence in the stack marks the check as advisory.
    pub function: &'static str,
    pub why: &'static str,
}

/// The entry for a capability this build knows.
pub fn info(cap: Cap) -> Option<&'static CapInfo> {
    CAPABILITIES.iter().find(|entry| entry.cap == cap)
}

/// The OR-chains a capability takes part in, as the narrow one or as a substitute.
pub fn chains_involving(cap: Cap) -> impl Iterator<Item = &'static OrChain> {
    OR_CHAINS
        .iter()
        .filter(move |chain| chain.check_order.contains(&cap))
}

/// Case-insensitive search over names, summaries and descriptions, like `capsh --suggest`:
/// every word must appear.
pub fn search(words: &str) -> Vec<&'static CapInfo> {
    let words: Vec<String> = words.split_whitespace().map(str::to_lowercase).collect();
    if words.is_empty() {
        return Vec::new();
    }
    CAPABILITIES
        .iter()
        .filter(|entry| {
            let haystack = format!(
                "{} {} {} {}",
                entry.cap, entry.summary, entry.gates, entry.escalation
            )
            .to_lowercase();
            words.iter().all(|word| haystack.contains(word.as_str()))
        })
        .collect()
}

#[cfg(test)]
mod tests;
