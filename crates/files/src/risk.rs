//! Why a privileged file is risky: flags from the knowledge base and the file's metadata,
//! and one risk level to sort by.

use leastcap_model::kb::{self, Verdict};
use leastcap_model::{Cap, CapSet, FileCaps};

/// A reason a privileged file deserves attention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flag {
    /// Anyone can write the file: anyone can replace a privileged program.
    WorldWritable,
    /// A non-root group can write the file.
    GroupWritable,
    /// Owned by a user other than root, who can replace it.
    NonRootOwner,
    /// Setuid with owner root.
    SetuidRoot,
    /// Setuid to a user other than root.
    Setuid,
    Setgid,
    /// Carries a capability the knowledge base rates root-equivalent.
    RootEquivalentCaps,
    /// Carries a capability that leads to root under some conditions.
    ConditionalCaps,
    /// Setuid (or setgid) and file capabilities together.
    #[serde(rename = "setuid+caps")]
    SetuidPlusCaps,
    /// v3 capabilities whose rootid is not this namespace's root: ignored by exec here.
    InertRootid,
    /// The `security.capability` attribute could not be decoded.
    CorruptCaps,
}

impl Flag {
    pub fn label(self) -> &'static str {
        match self {
            Flag::WorldWritable => "world-writable",
            Flag::GroupWritable => "group-writable",
            Flag::NonRootOwner => "non-root-owner",
            Flag::SetuidRoot => "setuid-root",
            Flag::Setuid => "setuid",
            Flag::Setgid => "setgid",
            Flag::RootEquivalentCaps => "root-equivalent-caps",
            Flag::ConditionalCaps => "conditional-caps",
            Flag::SetuidPlusCaps => "setuid+caps",
            Flag::InertRootid => "inert-rootid",
            Flag::CorruptCaps => "corrupt-caps",
        }
    }
}

/// Risk levels, highest last (so `Ord` sorts by risk).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Risk {
    Low,
    Medium,
    High,
    Critical,
}

impl Risk {
    pub fn label(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
            Risk::Critical => "critical",
        }
    }
}

/// The capabilities in a set that the knowledge base rates at `verdict`.
///
/// A capability without a knowledge-base entry falls back to the classic list of
/// root-equivalent capabilities (capabilities(7), "Notes to kernel developers" and the
/// well-known escalations): everything else is then `Conditional`.
pub fn caps_with_verdict(set: CapSet, verdict: Verdict) -> CapSet {
    set.iter()
        .filter(|cap| verdict_of(*cap) == verdict)
        .collect()
}

/// The knowledge base's verdict, or the fallback for a capability it has no entry for.
pub fn verdict_of(cap: Cap) -> Verdict {
    if let Some(info) = kb::info(cap) {
        return info.verdict;
    }
    const ROOT_EQUIVALENT: [Cap; 11] = [
        Cap::CHOWN,
        Cap::DAC_OVERRIDE,
        Cap::FOWNER,
        Cap::SETUID,
        Cap::SETGID,
        Cap::SETFCAP,
        Cap::SYS_MODULE,
        Cap::SYS_RAWIO,
        Cap::SYS_PTRACE,
        Cap::SYS_ADMIN,
        Cap::BPF,
    ];
    if ROOT_EQUIVALENT.contains(&cap) {
        Verdict::RootEquivalent
    } else {
        Verdict::Conditional
    }
}

/// Flags and risk of one privileged file.
pub fn assess(
    mode: u32,
    uid: u32,
    gid: u32,
    caps: Option<&FileCaps>,
    corrupt: bool,
    inert: bool,
) -> (Vec<Flag>, Risk) {
    let mut flags = Vec::new();
    let setuid = mode & 0o4000 != 0;
    // Setgid without group execute is mandatory locking, not a privilege.
    let setgid = mode & 0o2000 != 0 && mode & 0o010 != 0;
    if mode & 0o002 != 0 {
        flags.push(Flag::WorldWritable);
    }
    if mode & 0o020 != 0 && gid != 0 {
        flags.push(Flag::GroupWritable);
    }
    if uid != 0 {
        flags.push(Flag::NonRootOwner);
    }
    if setuid {
        flags.push(if uid == 0 {
            Flag::SetuidRoot
        } else {
            Flag::Setuid
        });
    }
    if setgid {
        flags.push(Flag::Setgid);
    }
    let granted = caps
        .map(|c| c.permitted | c.inheritable)
        .unwrap_or_default();
    if let Some(c) = caps {
        if !caps_with_verdict(c.permitted, Verdict::RootEquivalent).is_empty() {
            flags.push(Flag::RootEquivalentCaps);
        } else if !caps_with_verdict(c.permitted, Verdict::Conditional).is_empty() {
            flags.push(Flag::ConditionalCaps);
        }
        if (setuid || setgid) && !granted.is_empty() {
            flags.push(Flag::SetuidPlusCaps);
        }
    }
    if inert {
        flags.push(Flag::InertRootid);
    }
    if corrupt {
        flags.push(Flag::CorruptCaps);
    }
    let caps_live = !inert && !granted.is_empty();
    let privileged = setuid || setgid || caps_live;
    let writable_by_others = flags.contains(&Flag::WorldWritable)
        || flags.contains(&Flag::GroupWritable)
        || (uid != 0 && caps_live);
    let risk = if privileged && writable_by_others {
        Risk::Critical
    } else if flags.contains(&Flag::SetuidRoot)
        || (caps_live && flags.contains(&Flag::RootEquivalentCaps))
    {
        Risk::High
    } else if setuid || setgid || corrupt || (caps_live && flags.contains(&Flag::ConditionalCaps)) {
        Risk::Medium
    } else {
        Risk::Low
    };
    (flags, risk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use leastcap_model::CapSet;

    fn caps(set: &[Cap]) -> FileCaps {
        FileCaps {
            permitted: CapSet::from_caps(set.iter().copied()),
            effective: true,
            ..FileCaps::default()
        }
    }

    #[test]
    fn json_labels_match_text_labels() {
        for flag in [
            Flag::WorldWritable,
            Flag::SetuidPlusCaps,
            Flag::InertRootid,
            Flag::RootEquivalentCaps,
        ] {
            assert_eq!(serde_json::to_value(flag).expect("json"), flag.label());
        }
    }

    #[test]
    fn risk_levels() {
        let (flags, risk) = assess(0o104755, 0, 0, None, false, false);
        assert_eq!((flags, risk), (vec![Flag::SetuidRoot], Risk::High));
        let (flags, risk) = assess(0o100755, 0, 0, Some(&caps(&[Cap::NET_RAW])), false, false);
        let expected = match verdict_of(Cap::NET_RAW) {
            Verdict::RootEquivalent => Risk::High,
            Verdict::Conditional => Risk::Medium,
            Verdict::No => Risk::Low,
        };
        assert_eq!(risk, expected, "{flags:?}");
        let (flags, risk) = assess(0o100755, 0, 0, Some(&caps(&[Cap::SYS_ADMIN])), false, false);
        assert_eq!((flags, risk), (vec![Flag::RootEquivalentCaps], Risk::High));
        let (flags, risk) = assess(0o104777, 0, 0, None, false, false);
        assert_eq!(
            (flags, risk),
            (vec![Flag::WorldWritable, Flag::SetuidRoot], Risk::Critical)
        );
        let (flags, risk) = assess(0o100755, 0, 0, Some(&caps(&[Cap::SYS_ADMIN])), false, true);
        assert_eq!(risk, Risk::Low, "{flags:?}");
        assert!(flags.contains(&Flag::InertRootid));
        let (_, risk) = assess(0o102755, 0, 42, None, false, false);
        assert_eq!(risk, Risk::Medium);
    }
}
