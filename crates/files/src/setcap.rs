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
    /// Merge: P ∪= P', I ∪= I', and the effective flag is set if either has it. Refused
    /// when that changes what is effective (libcap 2.70's rule on the merged state).
    Add(FileCaps),
    /// `Add` with `--force`: the effective flag covers the whole merged set regardless.
    AddForced(FileCaps),
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
    #[error("File '{}' changed while setcap ran (replaced, or its capabilities changed); not written", path.display())]
    Changed { path: PathBuf },
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
        Change::Add(add) | Change::AddForced(add) => {
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

/// A change checked and ready to write: the file was opened (never through a symlink), its
/// current attribute read and the new one computed. Nothing has been written yet, and no
/// descriptor is held (a batch of thousands of files fits any open-file limit): the write
/// opens the file again and proceeds only if it is still the same inode with the same
/// attribute.
#[derive(Debug)]
pub struct Prepared {
    path: PathBuf,
    change: Change,
    /// (dev, ino) of the regular file that was checked.
    identity: (u64, u64),
    stat: leastcap_sys::fs::FileStat,
    /// The attribute bytes before the change, exactly (for a rollback).
    raw_before: Option<Vec<u8>>,
    before: Option<FileCaps>,
    after: Option<FileCaps>,
}

/// The new attribute for a change to a file that has `before` (`present`: it has an
/// attribute at all, perhaps a corrupt one), with the checks a merge needs.
fn plan(
    path: &Path,
    before: Option<FileCaps>,
    present: bool,
    change: Change,
    rootid: Option<u32>,
) -> Result<Option<FileCaps>, SetcapError> {
    if change == Change::Remove && !present {
        return Err(SetcapError::NothingToRemove {
            path: path.to_path_buf(),
        });
    }
    let after = merged(before, change, rootid);
    if let (Change::Add(add), Some(new)) = (change, after) {
        // What each side asked to be effective; one flag on disk must cover exactly that.
        let wanted = before
            .map(|old| old.to_state().effective)
            .unwrap_or_default()
            | add.to_state().effective;
        let union = new.permitted | new.inheritable;
        if !wanted.is_empty() && wanted != union {
            return Err(SetcapError::Effective(EffectiveMismatch {
                effective: wanted,
                union,
            }));
        }
    }
    Ok(after)
}

/// Checks a change to one file without writing: opens it with `O_NOFOLLOW`, refuses what is
/// not a regular file, reads and decodes the current attribute and computes the new one.
pub fn prepare(path: &Path, change: Change, rootid: Option<u32>) -> Result<Prepared, SetcapError> {
    let file = CapFile::open(path).map_err(|e| failed(path, e))?;
    let raw_before = file.read_raw().map_err(|e| failed(path, e))?;
    let before = match crate::xattr::decode(path, raw_before.clone()) {
        Ok(caps) => caps,
        // A corrupt attribute may be replaced or removed, but not merged with.
        Err(CapsError::Corrupt { .. }) if matches!(change, Change::Set(_) | Change::Remove) => None,
        Err(error) => return Err(failed(path, error)),
    };
    let after = plan(path, before, raw_before.is_some(), change, rootid)?;
    Ok(Prepared {
        path: path.to_path_buf(),
        change,
        identity: (file.stat.dev, file.stat.ino),
        stat: file.stat,
        raw_before,
        before,
        after,
    })
}

impl Prepared {
    /// Opens the file again (`O_NOFOLLOW`) and checks it is the inode that was prepared,
    /// with an attribute that `expected` accepts.
    fn reopen(&self, expected: impl Fn(Option<&[u8]>) -> bool) -> Result<CapFile, SetcapError> {
        let path = &self.path;
        let file = CapFile::open(path).map_err(|e| failed(path, e))?;
        let same_inode = (file.stat.dev, file.stat.ino) == self.identity;
        let raw = file.read_raw().map_err(|e| failed(path, e))?;
        if !same_inode || !expected(raw.as_deref()) {
            return Err(SetcapError::Changed { path: path.clone() });
        }
        Ok(file)
    }

    /// Writes the new attribute (or removes it), on the very file that was checked.
    pub fn commit(&self) -> Result<Written, SetcapError> {
        let path = &self.path;
        let file = self.reopen(|raw| raw == self.raw_before.as_deref())?;
        match self.after {
            Some(caps) => file.write(&caps).map_err(|e| failed(path, e))?,
            None => {
                let removed = file.remove().map_err(|e| failed(path, e))?;
                if !removed && self.change == Change::Remove {
                    return Err(SetcapError::NothingToRemove { path: path.clone() });
                }
            }
        }
        let warnings = if self.after.is_some() {
            warnings(self.stat.mode, self.stat.uid, self.stat.gid)
        } else {
            Vec::new()
        };
        Ok(Written {
            path: path.clone(),
            before: self.before,
            after: self.after,
            warnings,
        })
    }

    /// Puts back the exact attribute bytes the file had before [`Prepared::commit`] (only
    /// while it still holds what the commit wrote).
    pub fn rollback(&self) -> Result<(), SetcapError> {
        let path = &self.path;
        // The kernel may store a different revision than was written (a v3 rootid of the
        // namespace root reads back as v2): compare what the attribute means.
        let meaning = |caps: Option<FileCaps>| {
            caps.map(|c| {
                (
                    c.permitted,
                    c.inheritable,
                    c.effective,
                    c.rootid.unwrap_or(0),
                )
            })
        };
        let file = self.reopen(|raw| {
            let now = raw.map(FileCaps::from_xattr).transpose();
            now.is_ok_and(|now| meaning(now) == meaning(self.after))
        })?;
        match &self.raw_before {
            Some(raw) => file.write_raw(raw).map_err(|e| failed(path, e)),
            None => file.remove().map(|_| ()).map_err(|e| failed(path, e)),
        }
    }
}

/// Applies a change to one file.
pub fn apply(path: &Path, change: Change, rootid: Option<u32>) -> Result<Written, SetcapError> {
    prepare(path, change, rootid)?.commit()
}

/// Why a batch wrote nothing (or undid what it wrote).
#[derive(Debug)]
pub struct BatchError {
    /// Every file that failed its check, or the one write that failed.
    pub errors: Vec<SetcapError>,
    /// Files whose earlier writes could not be undone (the batch is then partial).
    pub rollback_failures: Vec<SetcapError>,
}

/// Applies several changes with no partial writes: every file is checked first
/// ([`prepare`]); when any check fails nothing is written. When a write then fails (e.g. an
/// immutable file or a read-only file system), the writes already made are undone, newest
/// first, restoring the exact old attribute bytes.
pub fn apply_all(changes: &[(PathBuf, Change, Option<u32>)]) -> Result<Vec<Written>, BatchError> {
    let mut prepared: Vec<Prepared> = Vec::with_capacity(changes.len());
    let mut errors = Vec::new();
    for (path, change, rootid) in changes {
        let p = match prepare(path, *change, *rootid) {
            Ok(p) => p,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        // The same file again (same name or a hard link): the changes apply in turn, as one
        // write.
        match prepared.iter_mut().find(|e| e.identity == p.identity) {
            Some(earlier) => {
                let present = earlier.after.is_some();
                match plan(path, earlier.after, present, *change, *rootid) {
                    Ok(after) => {
                        earlier.after = after;
                        earlier.change = *change;
                    }
                    Err(error) => errors.push(error),
                }
            }
            None => prepared.push(p),
        }
    }
    if !errors.is_empty() {
        return Err(BatchError {
            errors,
            rollback_failures: Vec::new(),
        });
    }
    let mut written = Vec::with_capacity(prepared.len());
    for (index, p) in prepared.iter().enumerate() {
        match p.commit() {
            Ok(w) => written.push(w),
            Err(error) => {
                let rollback_failures = prepared[..index]
                    .iter()
                    .rev()
                    .filter_map(|done| done.rollback().err())
                    .collect();
                return Err(BatchError {
                    errors: vec![error],
                    rollback_failures,
                });
            }
        }
    }
    Ok(written)
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
