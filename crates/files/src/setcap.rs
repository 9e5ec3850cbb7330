//! Writing file capabilities: libcap's replace form, `--add`/`--drop` merges, removal and
//! verification. Every write opens the file with `O_RDONLY|O_NOFOLLOW` and uses `fsetxattr`
//! on that descriptor, so a symlink is never written through and a running binary can be
//! changed.

use std::path::{Path, PathBuf};

use leastcap_model::{CapSet, CapState, EffectiveMismatch, FileCaps, KernelCaps, TextError};

use crate::xattr::{CapFile, CapsError};

/// What to do to a file's capabilities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Replace with exactly this state (libcap's `setcap TEXT FILE`).
    Set(FileCaps),
    /// Merge: P ∪= P', I ∪= I', and the effective flag is set if either has it.
    Add(FileCaps),
    /// Remove these capabilities from P and I; the attribute goes when nothing is left.
    Drop(CapSet),
    /// Remove the attribute (`-r`).
    Remove,
}

/// Something about the file that makes its capabilities risky; setcap still writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "warning", rename_all = "kebab-case")]
pub enum Warning {
    Setuid {
        uid: u32,
    },
    Setgid {
        gid: u32,
    },
    /// Someone other than root can modify the file (mode bits or ownership).
    WritableByNonRoot {
        mode: u32,
    },
    NonRootOwner {
        uid: u32,
    },
}

impl Warning {
    pub fn message(&self) -> String {
        match self {
            Warning::Setuid { uid } => format!("the file is also setuid (owner uid {uid})"),
            Warning::Setgid { gid } => format!("the file is also setgid (group gid {gid})"),
            Warning::WritableByNonRoot { mode } => {
                format!(
                    "the file is writable by a user other than root (mode {:04o})",
                    mode & 0o7777
                )
            }
            Warning::NonRootOwner { uid } => {
                format!("the file is owned by uid {uid}, not root: its owner can replace the privileged binary")
            }
        }
    }
}

/// Warnings for a file that is about to carry capabilities.
pub fn warnings(mode: u32, uid: u32, gid: u32) -> Vec<Warning> {
    let mut out = Vec::new();
    if mode & 0o4000 != 0 {
        out.push(Warning::Setuid { uid });
    }
    if mode & 0o2000 != 0 && mode & 0o010 != 0 {
        out.push(Warning::Setgid { gid });
    }
    if mode & 0o002 != 0 || (mode & 0o020 != 0 && gid != 0) {
        out.push(Warning::WritableByNonRoot { mode });
    }
    if uid != 0 {
        out.push(Warning::NonRootOwner { uid });
    }
    out
}

/// A setcap request that cannot be carried out.
#[derive(Debug, thiserror::Error)]
pub enum SetcapError {
    #[error("empty space is an invalid capability, did you mean -r?")]
    Empty,
    #[error("invalid capability text: {0}")]
    Text(#[from] TextError),
    #[error("Error: under Linux, effective file capabilities must either be empty, or\n       exactly match the union of selected permitted and inheritable bits.")]
    Effective(#[from] EffectiveMismatch),
    #[error("bad ns rootid: want positive integer, got \"{0}\"")]
    BadRootid(String),
    #[error("cannot read capability text: {0}")]
    Stdin(String),
    #[error("Invalid file '{}' for capability operation", path.display())]
    InvalidFile { path: PathBuf },
    #[error("File '{}' has no capablity to remove", path.display())]
    NothingToRemove { path: PathBuf },
    #[error("Failed to set capabilities on file '{}': {reason}", path.display())]
    Failed {
        path: PathBuf,
        reason: String,
        #[source]
        source: CapsError,
    },
}

/// Parses setcap's capability text, rejecting empty text like libcap 2.70 and enforcing the
/// effective rule unless `force` (libcap ≤ 2.69 behaviour: any effective bit sets the flag).
pub fn parse_text(text: &str, kernel: KernelCaps, force: bool) -> Result<FileCaps, SetcapError> {
    if text.trim().is_empty() {
        return Err(SetcapError::Empty);
    }
    let state = CapState::from_text(text, kernel)?;
    if force {
        Ok(FileCaps::from_state_lenient(&state))
    } else {
        Ok(FileCaps::from_state(&state)?)
    }
}

/// The result of one write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    pub before: Option<FileCaps>,
    pub after: Option<FileCaps>,
    pub warnings: Vec<Warning>,
}

fn failed(path: &Path, source: CapsError) -> SetcapError {
    match &source {
        CapsError::NotRegular { .. } => SetcapError::InvalidFile {
            path: path.to_path_buf(),
        },
        CapsError::Io(io) if io.errno() == Some(libc::ELOOP) => SetcapError::InvalidFile {
            path: path.to_path_buf(),
        },
        _ => {
            let reason = match &source {
                CapsError::Io(io) => crate::getcap::strerror(&io.source),
                other => other.to_string(),
            };
            SetcapError::Failed {
                path: path.to_path_buf(),
                reason,
                source,
            }
        }
    }
}

/// The new attribute for a change, given the current one. `None` means "no attribute".
pub fn merged(current: Option<FileCaps>, change: Change, rootid: Option<u32>) -> Option<FileCaps> {
    let keep_rootid = |caps: FileCaps, old: Option<FileCaps>| FileCaps {
        rootid: rootid.or(old.and_then(|o| o.rootid)),
        revision: 0,
        ..caps
    };
    match change {
        Change::Remove => None,
        Change::Set(caps) => Some(FileCaps {
            rootid,
            revision: 0,
            ..caps
        }),
        Change::Add(add) => {
            let old = current.unwrap_or_default();
            Some(keep_rootid(
                FileCaps {
                    permitted: old.permitted | add.permitted,
                    inheritable: old.inheritable | add.inheritable,
                    effective: old.effective || add.effective,
                    ..old
                },
                current,
            ))
        }
        Change::Drop(caps) => {
            let old = current?;
            let new = FileCaps {
                permitted: old.permitted - caps,
                inheritable: old.inheritable - caps,
                ..old
            };
            if new.is_empty() {
                None
            } else {
                Some(keep_rootid(new, current))
            }
        }
    }
}

/// Applies a change to one file.
pub fn apply(path: &Path, change: Change, rootid: Option<u32>) -> Result<Written, SetcapError> {
    let file = CapFile::open(path).map_err(|e| failed(path, e))?;
    let before = match file.read() {
        Ok(caps) => caps,
        // A corrupt attribute may be replaced or removed, but not merged with.
        Err(CapsError::Corrupt { .. }) if matches!(change, Change::Set(_) | Change::Remove) => None,
        Err(error) => return Err(failed(path, error)),
    };
    let after = merged(before, change, rootid);
    match after {
        Some(caps) => file.write(&caps).map_err(|e| failed(path, e))?,
        None => {
            let removed = file.remove().map_err(|e| failed(path, e))?;
            if !removed && change == Change::Remove {
                return Err(SetcapError::NothingToRemove {
                    path: path.to_path_buf(),
                });
            }
        }
    }
    let warnings = if after.is_some() {
        warnings(file.stat.mode, file.stat.uid, file.stat.gid)
    } else {
        Vec::new()
    };
    Ok(Written {
        path: path.to_path_buf(),
        before,
        after,
        warnings,
    })
}

/// Result of `setcap -v`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// Which of p, i, e differ (libcap's order), empty when they match.
    pub differs: String,
    /// (got, want) when the namespace owner (rootid) differs.
    pub nsowner: Option<(u32, u32)>,
}

impl Verified {
    pub fn ok(&self) -> bool {
        self.differs.is_empty() && self.nsowner.is_none()
    }

    /// libcap's line: `path: OK` or `[nsowner[got=G, want=W],]path differs in [pie]`.
    pub fn line(&self, path: &str) -> String {
        if self.ok() {
            return format!("{path}: OK");
        }
        let prefix = self
            .nsowner
            .map(|(got, want)| format!("nsowner[got={got}, want={want}],"))
            .unwrap_or_default();
        format!("{prefix}{path} differs in [{}]", self.differs)
    }
}

/// Compares a file's capabilities with the wanted ones, like `setcap -v`.
pub fn verify(path: &Path, want: FileCaps, rootid: Option<u32>) -> Result<Verified, SetcapError> {
    let got = crate::xattr::read_caps(path, true).map_err(|e| failed(path, e))?;
    let got_state = got.map(|c| c.to_state()).unwrap_or_default();
    let want_state = want.to_state();
    let mut differs = String::new();
    if got_state.permitted != want_state.permitted {
        differs.push('p');
    }
    if got_state.inheritable != want_state.inheritable {
        differs.push('i');
    }
    if got_state.effective != want_state.effective {
        differs.push('e');
    }
    let got_root = got.and_then(|c| c.rootid).unwrap_or(0);
    let want_root = rootid.unwrap_or(0);
    Ok(Verified {
        differs,
        nsowner: (got_root != want_root).then_some((got_root, want_root)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use leastcap_model::Cap;

    fn caps(text: &str) -> FileCaps {
        parse_text(text, KernelCaps::LINUX_6, false).expect("valid")
    }

    #[test]
    fn empty_text_is_refused_like_libcap_2_70() {
        for text in ["", " ", "\t\n"] {
            let error = parse_text(text, KernelCaps::LINUX_6, false).expect_err("empty");
            assert_eq!(
                error.to_string(),
                "empty space is an invalid capability, did you mean -r?"
            );
        }
        assert!(matches!(
            parse_text("cap_net_raw=ep cap_kill=p", KernelCaps::LINUX_6, false),
            Err(SetcapError::Effective(_))
        ));
        assert!(
            parse_text("cap_net_raw=ep cap_kill=p", KernelCaps::LINUX_6, true)
                .is_ok_and(|c| c.effective)
        );
    }

    #[test]
    fn add_and_drop_merge() {
        let current = Some(caps("cap_net_raw=ep"));
        let added = merged(current, Change::Add(caps("cap_kill=p")), None).expect("caps");
        assert_eq!(
            added.to_state().to_text(KernelCaps::LINUX_6),
            "cap_kill,cap_net_raw=ep"
        );
        let dropped = merged(
            Some(added),
            Change::Drop(CapSet::from_caps([Cap::KILL])),
            None,
        )
        .expect("caps");
        assert_eq!(
            dropped.to_state().to_text(KernelCaps::LINUX_6),
            "cap_net_raw=ep"
        );
        assert_eq!(
            merged(
                Some(dropped),
                Change::Drop(CapSet::from_caps([Cap::NET_RAW])),
                None
            ),
            None
        );
        let v3 = FileCaps {
            rootid: Some(1000),
            ..caps("cap_kill=p")
        };
        assert_eq!(
            merged(Some(v3), Change::Add(caps("cap_chown=p")), None).and_then(|c| c.rootid),
            Some(1000)
        );
        assert_eq!(
            merged(None, Change::Drop(CapSet::from_caps([Cap::KILL])), None),
            None
        );
    }

    #[test]
    fn warnings_for_risky_files() {
        assert!(warnings(0o100755, 0, 0).is_empty());
        assert_eq!(warnings(0o104755, 0, 0), vec![Warning::Setuid { uid: 0 }]);
        assert_eq!(
            warnings(0o100777, 0, 0),
            vec![Warning::WritableByNonRoot { mode: 0o100777 }]
        );
        assert_eq!(warnings(0o100775, 0, 0), vec![]);
        assert_eq!(
            warnings(0o100775, 0, 50),
            vec![Warning::WritableByNonRoot { mode: 0o100775 }]
        );
        assert_eq!(
            warnings(0o100755, 1000, 0),
            vec![Warning::NonRootOwner { uid: 1000 }]
        );
    }

    #[test]
    fn verify_lines_match_libcap() {
        let ok = Verified {
            differs: String::new(),
            nsowner: None,
        };
        assert_eq!(ok.line("f"), "f: OK");
        let bad = Verified {
            differs: "ie".into(),
            nsowner: Some((1000, 0)),
        };
        assert_eq!(
            bad.line("d/v3"),
            "nsowner[got=1000, want=0],d/v3 differs in [ie]"
        );
    }
}
