//! The CAPS argument of `--caps`, `--inheritable`, `--ambient` and `--bounding`.

use leastcap_model::{parse_cap_list, CapSet, CapState, Iab, KernelCaps};

/// One capability argument, in whichever of the three accepted forms it was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum CapSpec {
    /// `net_raw,cap_net_bind_service,38`, or `none` / the empty string.
    List { set: CapSet },
    /// `all`: every capability the launcher itself holds (permitted and in its bounding set).
    All,
    /// libcap text: `cap_net_raw=eip`, `=ep cap_sys_admin-e`.
    Text { state: CapState },
    /// IAB text: `^cap_net_raw,!cap_sys_admin,%cap_kill`.
    Iab { iab: Iab },
}

/// A CAPS argument that is none of the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{input}' is not a capability list (net_raw,net_bind_service), libcap text (cap_net_raw=eip) or IAB text (^cap_net_raw,!cap_sys_admin): {detail}")]
pub struct CapSpecError {
    pub input: String,
    pub detail: String,
}

impl CapSpec {
    /// Parses a CAPS argument. A plain list wins; text with `=`, `+` or `-` is libcap text;
    /// text with `!`, `^` or `%` is IAB text.
    pub fn parse(text: &str, kernel: KernelCaps) -> Result<CapSpec, CapSpecError> {
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("none") {
            return Ok(CapSpec::List { set: CapSet::EMPTY });
        }
        if trimmed.eq_ignore_ascii_case("all") {
            return Ok(CapSpec::All);
        }
        let list_error = match parse_cap_list(trimmed) {
            Ok(set) => return Ok(CapSpec::List { set }),
            Err(error) => error,
        };
        let error = |detail: String| CapSpecError {
            input: text.to_string(),
            detail,
        };
        if trimmed.contains(['=', '+']) || trimmed.contains("-") {
            return CapState::from_text(trimmed, kernel)
                .map(|state| CapSpec::Text { state })
                .map_err(|e| error(e.to_string()));
        }
        if trimmed.contains(['!', '^', '%']) {
            return Iab::from_text(trimmed)
                .map(|iab| CapSpec::Iab { iab })
                .map_err(|e| error(e.to_string()));
        }
        Err(error(list_error.to_string()))
    }

    /// The capabilities the argument names, for options that take a single set
    /// (`--inheritable`, `--ambient`, `--bounding`): the list; libcap text's union of flags;
    /// IAB text's inheritable and ambient vectors. `all` resolves to `all_caps`.
    pub fn set(&self, all_caps: CapSet) -> CapSet {
        match self {
            CapSpec::List { set } => *set,
            CapSpec::All => all_caps,
            CapSpec::Text { state } => state.union(),
            CapSpec::Iab { iab } => iab.inheritable | iab.ambient,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leastcap_model::Cap;

    const K: KernelCaps = KernelCaps::LINUX_6;

    #[test]
    fn the_three_forms() {
        let raw = CapSet::from_caps([Cap::NET_RAW, Cap::NET_BIND_SERVICE]);
        assert_eq!(
            CapSpec::parse("net_raw,cap_net_bind_service", K),
            Ok(CapSpec::List { set: raw })
        );
        assert_eq!(
            CapSpec::parse("none", K),
            Ok(CapSpec::List { set: CapSet::EMPTY })
        );
        assert_eq!(CapSpec::parse("ALL", K), Ok(CapSpec::All));
        match CapSpec::parse("cap_net_raw=eip", K) {
            Ok(CapSpec::Text { state }) => {
                assert_eq!(state.effective, CapSet::from_caps([Cap::NET_RAW]));
                assert_eq!(state.inheritable, CapSet::from_caps([Cap::NET_RAW]));
            }
            other => panic!("{other:?}"),
        }
        match CapSpec::parse("^cap_net_raw,!cap_sys_admin", K) {
            Ok(CapSpec::Iab { iab }) => {
                assert_eq!(iab.ambient, CapSet::from_caps([Cap::NET_RAW]));
                assert_eq!(iab.not_bounding, CapSet::from_caps([Cap::SYS_ADMIN]));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_name_the_input() {
        let error = CapSpec::parse("net_rawr", K).expect_err("typo");
        assert!(error.to_string().contains("net_rawr"), "{error}");
        assert!(CapSpec::parse("cap_net_raw=x", K).is_err());
        assert!(CapSpec::parse("^cap_bogus", K).is_err());
    }
}
