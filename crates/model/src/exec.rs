//! The kernel's capability rules for execve(2) (security/commoncap.c,
//! `cap_bprm_creds_from_file`), so leastcap can say what a program will hold before running it.

use crate::filecaps::FileCaps;
use crate::securebits::{SecureBit, Securebits};
use crate::set::CapSet;
use crate::thread::ThreadCaps;

/// Everything about the calling thread and the file that decides the capabilities after exec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExecInput {
    pub caps: ThreadCaps,
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
    pub securebits: Securebits,
    pub no_new_privs: bool,
    /// The file's capabilities, if it has a `security.capability` the kernel will honour.
    pub file_caps: Option<FileCaps>,
    /// Owner of the file when its setuid bit is set.
    pub setuid_owner: Option<u32>,
    /// Group of the file when its setgid bit is set (and group-executable).
    pub setgid_group: Option<u32>,
    /// The setgid group is already the thread's fsgid or one of its supplementary groups
    /// (the kernel's `in_group_p`): the exec then does not count as an id change, so the
    /// ambient set survives it.
    pub setgid_group_held: bool,
    /// The file lives on a `nosuid` mount: setuid bits and file capabilities are ignored.
    pub nosuid_mount: bool,
}

/// What the program starts with, or why the kernel refuses to start it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecOutcome {
    Runs {
        caps: ThreadCaps,
        euid: u32,
        egid: u32,
        securebits: Securebits,
    },
    /// execve fails with EPERM: the file's effective flag is set but a file-permitted
    /// capability cannot be granted (it is outside the bounding set).
    Refused { missing: CapSet },
}

/// Applies the kernel's exec transformation.
///
/// P' = (P(inh) & F(inh)) | (F(perm) & P(bnd)) | P'(amb); E' = F(eff) ? P' : P'(amb);
/// root (real or effective uid 0, without SECBIT_NOROOT) is treated as if F were all ones.
pub fn exec_transform(input: &ExecInput) -> ExecOutcome {
    let old = input.caps;
    let root_uid = 0;
    let honours_set_ids = !input.nosuid_mount && !input.no_new_privs;
    let euid = match input.setuid_owner {
        Some(owner) if honours_set_ids => owner,
        _ => input.euid,
    };
    let egid = match input.setgid_group {
        Some(group) if honours_set_ids => group,
        _ => input.egid,
    };
    let file_caps = if input.nosuid_mount {
        None
    } else {
        input.file_caps
    };

    let mut permitted = CapSet::EMPTY;
    let mut effective_flag = false;
    if let Some(file) = file_caps {
        permitted = (file.permitted & old.bounding) | (file.inheritable & old.inheritable);
        effective_flag = file.effective;
        let missing = file.permitted - permitted;
        if effective_flag && !missing.is_empty() {
            return ExecOutcome::Refused { missing };
        }
    }
    let has_file_caps = file_caps.is_some();

    if !input.securebits.contains(SecureBit::NoRoot) {
        let setuid_root_with_fcaps = has_file_caps && euid == root_uid && input.uid != root_uid;
        if !setuid_root_with_fcaps {
            if euid == root_uid || input.uid == root_uid {
                permitted = old.bounding | old.inheritable;
            }
            if euid == root_uid {
                effective_flag = true;
            }
        }
    }

    // Linux 6.16+ ("exec: Correct the permission check for unsafe exec") treats an exec as
    // set-id when the effective ids change; older kernels compared the new euid with the old
    // *real* uid. The two agree whenever uid == euid before exec, which is what the launcher
    // sets up.
    // The gid half is the kernel's `!in_group_p(new->egid)`: a group the thread already
    // holds (fsgid or supplementary) is no change.
    let is_setid = euid != input.euid || (egid != input.egid && !input.setgid_group_held);
    let gained = !permitted.is_subset(old.permitted);
    let mut euid = euid;
    let mut egid = egid;
    if (is_setid || gained) && input.no_new_privs {
        euid = input.uid;
        egid = input.gid;
        permitted &= old.permitted;
    }

    let ambient = if has_file_caps || is_setid {
        CapSet::EMPTY
    } else {
        old.ambient
    };
    permitted |= ambient;
    let effective = if effective_flag { permitted } else { ambient };

    let mut securebits = input.securebits;
    securebits.set(SecureBit::KeepCaps, false);
    ExecOutcome::Runs {
        caps: ThreadCaps {
            permitted,
            effective,
            inheritable: old.inheritable,
            ambient,
            bounding: old.bounding,
        },
        euid,
        egid,
        securebits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cap::Cap;
    use crate::set::KernelCaps;

    const K: KernelCaps = KernelCaps::LINUX_6;

    fn user(caps: ThreadCaps) -> ExecInput {
        ExecInput {
            caps,
            uid: 1000,
            euid: 1000,
            gid: 1000,
            egid: 1000,
            securebits: Securebits::default(),
            no_new_privs: false,
            file_caps: None,
            setuid_owner: None,
            setgid_group: None,
            setgid_group_held: false,
            nosuid_mount: false,
        }
    }

    fn runs(outcome: ExecOutcome) -> ThreadCaps {
        match outcome {
            ExecOutcome::Runs { caps, .. } => caps,
            ExecOutcome::Refused { missing } => panic!("refused: {missing:?}"),
        }
    }

    #[test]
    fn ambient_survives_plain_exec() {
        let raw = CapSet::from_caps([Cap::NET_RAW]);
        let caps = ThreadCaps {
            permitted: raw,
            effective: raw,
            inheritable: raw,
            ambient: raw,
            bounding: K.all(),
        };
        let after = runs(exec_transform(&user(caps)));
        assert_eq!(
            (after.permitted, after.effective, after.ambient),
            (raw, raw, raw)
        );
    }

    #[test]
    fn file_caps_clear_ambient_and_respect_bounding() {
        let raw = CapSet::from_caps([Cap::NET_RAW]);
        let mut input = user(ThreadCaps {
            ambient: raw,
            inheritable: raw,
            permitted: raw,
            effective: raw,
            bounding: raw,
        });
        input.file_caps = Some(FileCaps {
            permitted: CapSet::from_caps([Cap::NET_BIND_SERVICE]),
            effective: true,
            ..FileCaps::default()
        });
        assert!(matches!(
            exec_transform(&input),
            ExecOutcome::Refused { .. }
        ));
        input.caps.bounding = K.all();
        let after = runs(exec_transform(&input));
        assert_eq!(after.permitted, CapSet::from_caps([Cap::NET_BIND_SERVICE]));
        assert!(after.ambient.is_empty());
    }

    #[test]
    fn root_gets_bounding_unless_noroot() {
        let mut input = user(ThreadCaps {
            bounding: CapSet::from_caps([Cap::KILL]),
            ..ThreadCaps::default()
        });
        input.uid = 0;
        input.euid = 0;
        assert_eq!(
            runs(exec_transform(&input)).effective,
            CapSet::from_caps([Cap::KILL])
        );
        input.securebits = Securebits::LOCKED_DOWN;
        assert!(runs(exec_transform(&input)).permitted.is_empty());
    }

    #[test]
    fn no_new_privs_ignores_setuid_and_file_gains() {
        let mut input = user(ThreadCaps::default());
        input.caps.bounding = K.all();
        input.setuid_owner = Some(0);
        input.no_new_privs = true;
        match exec_transform(&input) {
            ExecOutcome::Runs { caps, euid, .. } => {
                assert_eq!(euid, 1000);
                assert!(caps.permitted.is_empty());
            }
            ExecOutcome::Refused { .. } => panic!("refused"),
        }
    }

    #[test]
    fn setgid_of_a_held_group_is_no_id_change() {
        let raw = CapSet::from_caps([Cap::NET_RAW]);
        let mut input = user(ThreadCaps {
            permitted: raw,
            effective: raw,
            inheritable: raw,
            ambient: raw,
            bounding: K.all(),
        });
        input.setgid_group = Some(4);
        match exec_transform(&input) {
            ExecOutcome::Runs { caps, egid, .. } => {
                assert_eq!(egid, 4);
                assert!(
                    caps.ambient.is_empty(),
                    "a new group cancels the ambient set"
                );
            }
            ExecOutcome::Refused { .. } => panic!("refused"),
        }
        input.setgid_group_held = true;
        match exec_transform(&input) {
            ExecOutcome::Runs { caps, egid, .. } => {
                assert_eq!(egid, 4);
                assert_eq!((caps.ambient, caps.effective), (raw, raw));
            }
            ExecOutcome::Refused { .. } => panic!("refused"),
        }
    }
}
