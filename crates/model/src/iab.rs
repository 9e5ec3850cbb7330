//! libcap's IAB tuple: the inheritable, ambient and (not-)bounding vectors that decide what
//! crosses an execve(2) of a file without capabilities.

use std::fmt;

use crate::cap::Cap;
use crate::set::{CapSet, KernelCaps};

/// Inheritable, Ambient and *not*-Bounding vectors, as in `cap_iab_t`.
///
/// The bounding vector is stored inverted (`nb`, "dropped from bounding"), as libcap does, so
/// the empty value means "nothing inheritable, nothing ambient, full bounding set".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Iab {
    pub inheritable: CapSet,
    pub ambient: CapSet,
    pub not_bounding: CapSet,
}

/// IAB text that libcap would reject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct IabError {
    pub input: String,
    pub position: usize,
    pub expected: &'static str,
}

impl fmt::Display for IabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid IAB text '{}' at column {}: expected {}",
            self.input.escape_default(),
            self.position + 1,
            self.expected
        )
    }
}

impl Iab {
    /// The IAB view of a thread: `CapInh`, `CapAmb`, and the complement of `CapBnd` within
    /// the capabilities the kernel has.
    pub fn from_sets(
        inheritable: CapSet,
        ambient: CapSet,
        bounding: CapSet,
        kernel: KernelCaps,
    ) -> Iab {
        Iab {
            inheritable,
            ambient,
            not_bounding: kernel.all() - bounding,
        }
    }

    pub fn bounding(&self, kernel: KernelCaps) -> CapSet {
        kernel.all() - self.not_bounding
    }

    /// `cap_iab_to_text()`: `!` = dropped from bounding, `^` = ambient (and inheritable),
    /// `%` = inheritable where `!` would otherwise hide it, a bare name = inheritable.
    pub fn to_text(&self, kernel: KernelCaps) -> String {
        let mut items = Vec::new();
        for cap in Cap::all().filter(|cap| kernel.supports(*cap)) {
            let inh = self.inheritable.contains(cap);
            let amb = self.ambient.contains(cap);
            let nb = self.not_bounding.contains(cap);
            if !(inh || amb || nb) {
                continue;
            }
            let mut item = String::new();
            if nb {
                item.push('!');
            }
            if amb {
                item.push('^');
            } else if nb && inh {
                item.push('%');
            }
            item.push_str(&cap.to_string());
            items.push(item);
        }
        items.join(",")
    }

    /// `cap_iab_from_text()`: a comma-separated list of prefixed names; `^` implies inheritable.
    pub fn from_text(text: &str) -> Result<Iab, IabError> {
        let mut iab = Iab::default();
        let bytes = text.as_bytes();
        let mut pos = 0;
        let error = |position: usize, expected: &'static str| IabError {
            input: text.to_string(),
            position,
            expected,
        };
        while pos < bytes.len() {
            let (mut inh, mut amb, mut nb) = (false, false, false);
            while let Some(prefix) = bytes.get(pos) {
                match prefix {
                    b'!' => nb = true,
                    b'^' => {
                        amb = true;
                        inh = true;
                    }
                    b'%' => inh = true,
                    _ => break,
                }
                pos += 1;
            }
            if !(inh || amb || nb) {
                inh = true;
            }
            let end = bytes[pos..]
                .iter()
                .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
                .map_or(bytes.len(), |offset| pos + offset);
            let word = &text[pos..end];
            let cap = if word.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
                word.parse::<u8>().ok().and_then(Cap::new)
            } else {
                Cap::from_libcap_name(word)
            }
            .ok_or_else(|| {
                error(
                    pos,
                    "a capability name or number, optionally prefixed by !, ^ or %",
                )
            })?;
            if inh {
                iab.inheritable.insert(cap);
            }
            if amb {
                iab.ambient.insert(cap);
            }
            if nb {
                iab.not_bounding.insert(cap);
            }
            pos = end;
            match bytes.get(pos) {
                None => break,
                Some(b',') => pos += 1,
                Some(_) => return Err(error(pos, "',' or the end of the text")),
            }
        }
        Ok(iab)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: KernelCaps = KernelCaps::LINUX_6;

    #[test]
    fn iab_text_examples() {
        let iab = Iab::from_text("cap_chown,^cap_net_raw,!cap_sys_admin,!%cap_kill,!^cap_setuid")
            .expect("valid");
        assert!(iab.inheritable.contains(Cap::CHOWN));
        assert!(iab.ambient.contains(Cap::NET_RAW) && iab.inheritable.contains(Cap::NET_RAW));
        assert!(
            iab.not_bounding.contains(Cap::SYS_ADMIN) && !iab.inheritable.contains(Cap::SYS_ADMIN)
        );
        assert_eq!(
            iab.to_text(K),
            "cap_chown,!%cap_kill,!^cap_setuid,^cap_net_raw,!cap_sys_admin"
        );
        assert_eq!(Iab::from_text("").expect("empty is valid"), Iab::default());
    }

    #[test]
    fn iab_errors() {
        assert_eq!(Iab::from_text("cap_foo").expect_err("bad").position, 0);
        assert_eq!(Iab::from_text("cap_kill;").expect_err("bad").position, 8);
        assert_eq!(Iab::from_text(",cap_kill").expect_err("bad").position, 0);
        assert_eq!(Iab::from_text("^").expect_err("bad").position, 1);
    }
}
