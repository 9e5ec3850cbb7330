//! File capabilities and their on-disk form, the `security.capability` extended attribute.

use std::fmt;

use crate::set::CapSet;
use crate::state::CapState;

/// Name of the extended attribute that holds file capabilities.
pub const XATTR_NAME: &str = "security.capability";

const REVISION_MASK: u32 = 0xff00_0000;
const REVISION_1: u32 = 0x0100_0000;
const REVISION_2: u32 = 0x0200_0000;
const REVISION_3: u32 = 0x0300_0000;
const FLAG_EFFECTIVE: u32 = 0x0000_0001;
const SIZE_1: usize = 12;
const SIZE_2: usize = 20;
const SIZE_3: usize = 24;

/// The capability state stored on a file.
///
/// There is no per-capability effective set on disk: one flag makes every permitted or
/// inheritable capability effective at exec.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct FileCaps {
    pub permitted: CapSet,
    pub inheritable: CapSet,
    pub effective: bool,
    /// The v3 (namespaced) root uid; `None` for a v1/v2 attribute.
    pub rootid: Option<u32>,
    /// The attribute revision it was read from (1, 2 or 3); 0 for one built in memory.
    #[serde(skip_serializing_if = "is_zero")]
    pub revision: u8,
}

fn is_zero(value: &u8) -> bool {
    *value == 0
}

/// A `security.capability` value leastcap cannot decode, with the bytes it saw.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XattrError {
    #[error("capability attribute is {len} bytes, too short for a header (bytes: {})", hex(.bytes))]
    TooShort { len: usize, bytes: Vec<u8> },
    #[error("capability attribute has unknown revision 0x{revision:02x} (magic 0x{magic:08x}, bytes: {})", hex(.bytes))]
    UnknownRevision {
        revision: u8,
        magic: u32,
        bytes: Vec<u8>,
    },
    #[error("revision {revision} capability attribute must be {expected} bytes but is {len} (bytes: {})", hex(.bytes))]
    WrongSize {
        revision: u8,
        expected: usize,
        len: usize,
        bytes: Vec<u8>,
    },
    #[error("capability attribute has unknown flags 0x{flags:06x} (bytes: {})", hex(.bytes))]
    UnknownFlags { flags: u32, bytes: Vec<u8> },
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn le32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

/// File state that libcap refuses to write, because the kernel has one effective flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("effective file capabilities must be empty or exactly the union of permitted and inheritable ({effective:?} vs {union:?})")]
pub struct EffectiveMismatch {
    pub effective: CapSet,
    pub union: CapSet,
}

impl FileCaps {
    /// Decodes revision 1, 2 or 3. Every malformed value is an error, never a guess.
    pub fn from_xattr(bytes: &[u8]) -> Result<FileCaps, XattrError> {
        if bytes.len() < 4 {
            return Err(XattrError::TooShort {
                len: bytes.len(),
                bytes: bytes.to_vec(),
            });
        }
        let magic = le32(bytes, 0);
        let (revision, expected) = match magic & REVISION_MASK {
            REVISION_1 => (1, SIZE_1),
            REVISION_2 => (2, SIZE_2),
            REVISION_3 => (3, SIZE_3),
            other => {
                return Err(XattrError::UnknownRevision {
                    revision: (other >> 24) as u8,
                    magic,
                    bytes: bytes.to_vec(),
                })
            }
        };
        if bytes.len() != expected {
            return Err(XattrError::WrongSize {
                revision,
                expected,
                len: bytes.len(),
                bytes: bytes.to_vec(),
            });
        }
        let flags = magic & !REVISION_MASK;
        if flags & !FLAG_EFFECTIVE != 0 {
            return Err(XattrError::UnknownFlags {
                flags,
                bytes: bytes.to_vec(),
            });
        }
        let mut permitted = u64::from(le32(bytes, 4));
        let mut inheritable = u64::from(le32(bytes, 8));
        if revision >= 2 {
            permitted |= u64::from(le32(bytes, 12)) << 32;
            inheritable |= u64::from(le32(bytes, 16)) << 32;
        }
        Ok(FileCaps {
            permitted: CapSet::from_bits(permitted),
            inheritable: CapSet::from_bits(inheritable),
            effective: flags & FLAG_EFFECTIVE != 0,
            rootid: (revision == 3).then(|| le32(bytes, 20)),
            revision,
        })
    }

    /// Encodes as revision 2, or revision 3 when a rootid is set.
    pub fn to_xattr(&self) -> Vec<u8> {
        let revision = if self.rootid.is_some() {
            REVISION_3
        } else {
            REVISION_2
        };
        let magic = revision | if self.effective { FLAG_EFFECTIVE } else { 0 };
        let p = self.permitted.bits();
        let i = self.inheritable.bits();
        let mut out = Vec::with_capacity(SIZE_3);
        for word in [
            magic,
            p as u32,
            i as u32,
            (p >> 32) as u32,
            (i >> 32) as u32,
        ] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        if let Some(rootid) = self.rootid {
            out.extend_from_slice(&rootid.to_le_bytes());
        }
        out
    }

    /// The state libcap's text describes: effective = P ∪ I when the flag is set.
    pub fn to_state(&self) -> CapState {
        CapState {
            effective: if self.effective {
                self.permitted | self.inheritable
            } else {
                CapSet::EMPTY
            },
            permitted: self.permitted,
            inheritable: self.inheritable,
        }
    }

    /// The file state for a parsed text, enforcing libcap 2.70's rule that the effective set
    /// is empty or exactly P ∪ I (anything else cannot be stored and would be misread).
    pub fn from_state(state: &CapState) -> Result<FileCaps, EffectiveMismatch> {
        let union = state.permitted | state.inheritable;
        if !state.effective.is_empty() && state.effective != union {
            return Err(EffectiveMismatch {
                effective: state.effective,
                union,
            });
        }
        Ok(Self::from_state_lenient(state))
    }

    /// libcap ≤ 2.69 behaviour (`--force`): any non-empty effective set turns the flag on.
    pub fn from_state_lenient(state: &CapState) -> FileCaps {
        FileCaps {
            permitted: state.permitted,
            inheritable: state.inheritable,
            effective: !state.effective.is_empty(),
            rootid: None,
            revision: 0,
        }
    }

    /// True when the state has no capability at all (the `=` that is still an attribute).
    pub fn is_empty(&self) -> bool {
        self.permitted.is_empty() && self.inheritable.is_empty()
    }
}

impl fmt::Display for FileCaps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", hex(&self.to_xattr()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::set::KernelCaps;

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
            .collect()
    }

    #[test]
    fn observed_bytes_decode() {
        let k = KernelCaps::LINUX_6;
        let v2 =
            FileCaps::from_xattr(&unhex("0100000200200000000000000000000000000000")).expect("v2");
        assert_eq!(v2.to_state().to_text(k), "cap_net_raw=ep");
        assert_eq!(v2.rootid, None);
        let v3_hex = [
            "01000003", "00300000", "00300000", "00000000", "00000000", "e8030000",
        ]
        .concat();
        let v3 = FileCaps::from_xattr(&unhex(&v3_hex)).expect("v3");
        assert_eq!(v3.rootid, Some(1000));
        assert_eq!(v3.to_state().to_text(k), "cap_net_admin,cap_net_raw=eip");
        let empty = FileCaps::from_xattr(&unhex("0000000200000000000000000000000000000000"))
            .expect("empty");
        assert_eq!(empty.to_state().to_text(k), "=");
        let all =
            FileCaps::from_xattr(&unhex("01000002ffffffff00000000ff01000000000000")).expect("all");
        assert_eq!(all.to_state().to_text(k), "=ep");
    }

    #[test]
    fn encoding_round_trips() {
        let caps = FileCaps {
            permitted: CapSet::from_bits(0x2000 | 1 << 45),
            inheritable: CapSet::from_bits(1 << 41),
            effective: true,
            rootid: Some(1000),
            revision: 3,
        };
        assert_eq!(FileCaps::from_xattr(&caps.to_xattr()), Ok(caps));
        let v1 = unhex("010000010020000000000000");
        assert_eq!(
            FileCaps::from_xattr(&v1).map(|c| c.permitted.bits()),
            Ok(0x2000)
        );
    }

    #[test]
    fn corrupt_values_are_errors() {
        assert!(matches!(
            FileCaps::from_xattr(&[1, 2]),
            Err(XattrError::TooShort { .. })
        ));
        let mut bad = FileCaps::default().to_xattr();
        bad[3] = 9;
        assert!(matches!(
            FileCaps::from_xattr(&bad),
            Err(XattrError::UnknownRevision { revision: 9, .. })
        ));
        let short = &FileCaps::default().to_xattr()[..16];
        assert!(matches!(
            FileCaps::from_xattr(short),
            Err(XattrError::WrongSize { expected: 20, .. })
        ));
        let mut flags = FileCaps::default().to_xattr();
        flags[1] = 1;
        assert!(matches!(
            FileCaps::from_xattr(&flags),
            Err(XattrError::UnknownFlags { .. })
        ));
        let error = FileCaps::from_xattr(&[1, 2])
            .expect_err("short")
            .to_string();
        assert!(error.contains("0102"), "{error}");
    }

    #[test]
    fn effective_rule_matches_libcap_2_70() {
        let k = KernelCaps::LINUX_6;
        let ok = CapState::from_text("cap_net_raw=eip cap_kill=p cap_kill+e", k).expect("valid");
        assert!(FileCaps::from_state(&ok).is_ok());
        let partial = CapState::from_text("cap_net_raw=ep cap_kill=p", k).expect("valid");
        assert!(FileCaps::from_state(&partial).is_err());
        assert!(FileCaps::from_state_lenient(&partial).effective);
    }
}
