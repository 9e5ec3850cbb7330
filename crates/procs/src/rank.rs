//! How dangerous a process is, from the knowledge base's root-equivalence verdicts.

use std::cmp::Ordering;

use leastcap_model::kb::{self, Verdict};
use leastcap_model::{Cap, CapSet};
use serde::Serialize;

use crate::field::Field;
use crate::read::{Creds, Process};

/// Danger levels, least dangerous first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// A kernel thread: it holds every capability, but runs only kernel code.
    KernelThread,
    /// No capability, no uid 0 (or nothing could be read).
    None,
    /// Capabilities held only inside a non-initial user namespace: they act on what that
    /// namespace owns, not on the host.
    Namespaced,
    /// Capabilities whose knowledge-base verdict is "no known path to root".
    Limited,
    /// Capabilities with a conditional path to root (or unknown to the knowledge base).
    Conditional,
    /// Uid 0 (as the reader sees it) without a root-equivalent capability: it still owns
    /// most system files, so it can rewrite them.
    Uid0,
    /// At least one capability with a general, known path to full root.
    RootEquivalent,
}

impl Level {
    pub const fn label(self) -> &'static str {
        match self {
            Level::KernelThread => "kernel-thread",
            Level::None => "none",
            Level::Namespaced => "namespaced",
            Level::Limited => "limited",
            Level::Conditional => "conditional",
            Level::Uid0 => "uid-0",
            Level::RootEquivalent => "root-equivalent",
        }
    }
}

/// The danger of one process or thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Risk {
    pub level: Level,
    /// Capabilities held now or regainable (permitted, effective, ambient).
    pub held: CapSet,
    /// The held capabilities the knowledge base calls root-equivalent.
    pub root_equivalent: CapSet,
    /// Some uid (real, effective, saved or filesystem) is 0.
    pub uid0: bool,
}

/// The knowledge base's verdict; a capability it has no entry for counts as conditional
/// (unknown is not harmless).
pub fn verdict(cap: Cap) -> Verdict {
    kb::info(cap).map_or(Verdict::Conditional, |info| info.verdict)
}

/// Assesses credentials with a given verdict function (the knowledge base in production).
pub fn assess_with(creds: &Creds, initial_ns: bool, verdict: impl Fn(Cap) -> Verdict) -> Risk {
    let held = creds.caps.usable();
    let uid0 = creds.uids.contains(&0);
    let root_equivalent: CapSet = held
        .iter()
        .filter(|cap| verdict(*cap) == Verdict::RootEquivalent)
        .collect();
    let worst = held.iter().map(&verdict).max();
    let level = if !initial_ns {
        // The ids in /proc are mapped into the reader's namespace: uid 0 here is a uid 0
        // that owns the reader's (normally the host's) root files.
        if uid0 {
            Level::Uid0
        } else if held.is_empty() {
            Level::None
        } else {
            Level::Namespaced
        }
    } else {
        match worst {
            Some(Verdict::RootEquivalent) => Level::RootEquivalent,
            _ if uid0 => Level::Uid0,
            Some(Verdict::Conditional) => Level::Conditional,
            Some(Verdict::No) => Level::Limited,
            None => Level::None,
        }
    };
    Risk {
        level,
        held,
        root_equivalent,
        uid0,
    }
}

/// A process's risk from its leader's credentials. An unreadable user namespace counts as
/// the initial one (the pessimistic choice).
pub fn assess(process: &Process) -> Risk {
    let initial = !matches!(&process.user_ns, Field::Known(ns) if !ns.initial);
    match &process.status {
        _ if process.kernel_thread => Risk {
            level: Level::KernelThread,
            held: process
                .status
                .known()
                .map_or(CapSet::EMPTY, |c| c.caps.usable()),
            root_equivalent: CapSet::EMPTY,
            uid0: false,
        },
        Field::Known(creds) => assess_with(creds, initial, verdict),
        _ => Risk {
            level: Level::None,
            held: CapSet::EMPTY,
            root_equivalent: CapSet::EMPTY,
            uid0: false,
        },
    }
}

/// Most dangerous first: level, then number of root-equivalent capabilities, then number of
/// capabilities held.
pub fn more_dangerous_first(a: &Risk, b: &Risk) -> Ordering {
    b.level
        .cmp(&a.level)
        .then(b.root_equivalent.len().cmp(&a.root_equivalent.len()))
        .then(b.held.len().cmp(&a.held.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use leastcap_model::ThreadCaps;

    fn creds(uid: u32, caps: &[Cap]) -> Creds {
        let set = CapSet::from_caps(caps.iter().copied());
        Creds {
            ppid: 1,
            comm: "t".into(),
            uids: [uid; 4],
            gids: [uid; 4],
            groups: vec![],
            caps: ThreadCaps {
                permitted: set,
                effective: set,
                ..ThreadCaps::default()
            },
            no_new_privs: Some(false),
            seccomp: Some(0),
        }
    }

    fn toy(cap: Cap) -> Verdict {
        match cap {
            Cap::SYS_ADMIN | Cap::SYS_MODULE => Verdict::RootEquivalent,
            Cap::NET_RAW => Verdict::No,
            _ => Verdict::Conditional,
        }
    }

    #[test]
    fn levels() {
        let admin = assess_with(&creds(1000, &[Cap::SYS_ADMIN, Cap::NET_RAW]), true, toy);
        assert_eq!(admin.level, Level::RootEquivalent);
        assert_eq!(admin.root_equivalent, CapSet::from_caps([Cap::SYS_ADMIN]));
        assert_eq!(
            assess_with(&creds(1000, &[Cap::NET_RAW]), true, toy).level,
            Level::Limited
        );
        assert_eq!(
            assess_with(&creds(1000, &[Cap::KILL]), true, toy).level,
            Level::Conditional
        );
        assert_eq!(assess_with(&creds(0, &[]), true, toy).level, Level::Uid0);
        assert_eq!(assess_with(&creds(1000, &[]), true, toy).level, Level::None);
        let ns = assess_with(&creds(1000, &[Cap::SYS_ADMIN]), false, toy);
        assert_eq!((ns.level, ns.uid0), (Level::Namespaced, false));
        let mapped_root = assess_with(&creds(0, &[Cap::SYS_ADMIN]), false, toy);
        assert_eq!(
            mapped_root.level,
            Level::Uid0,
            "uid 0 as the reader sees it"
        );
    }

    #[test]
    fn ordering_puts_the_worst_first() {
        let mut risks = [
            assess_with(&creds(1000, &[Cap::NET_RAW]), true, toy),
            assess_with(&creds(1000, &[Cap::SYS_ADMIN]), true, toy),
            assess_with(&creds(1000, &[Cap::SYS_ADMIN, Cap::SYS_MODULE]), true, toy),
            assess_with(&creds(0, &[]), true, toy),
        ];
        risks.sort_by(more_dangerous_first);
        let levels: Vec<_> = risks
            .iter()
            .map(|r| (r.level, r.root_equivalent.len()))
            .collect();
        assert_eq!(
            levels,
            [
                (Level::RootEquivalent, 2),
                (Level::RootEquivalent, 1),
                (Level::Uid0, 0),
                (Level::Limited, 0)
            ]
        );
    }
}
