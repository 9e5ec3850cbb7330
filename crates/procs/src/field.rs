//! A value that /proc may refuse to show.

use serde::Serialize;

/// One field of a process as /proc gave it.
///
/// `Hidden` is not "empty": the kernel refused to show it to us (hidepid, ptrace access
/// rules, another user's process). JSON: the value itself, `null` for [`Field::Absent`], or
/// `{"hidden": "<reason>"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Field<T> {
    Known(T),
    Hidden(Hidden),
    /// The process has no such thing (a kernel thread has no executable).
    Absent,
}

/// Why a field could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hidden {
    pub hidden: String,
}

impl<T> Field<T> {
    pub fn hidden(reason: impl Into<String>) -> Field<T> {
        Field::Hidden(Hidden {
            hidden: reason.into(),
        })
    }

    pub fn known(&self) -> Option<&T> {
        match self {
            Field::Known(value) => Some(value),
            _ => None,
        }
    }

    pub fn is_hidden(&self) -> bool {
        matches!(self, Field::Hidden(_))
    }
}
