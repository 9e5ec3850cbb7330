//! One classified check, as a live text line or an NDJSON object.

use leastcap_events::{CapEvent, CheckVerdict};
use serde::Serialize;

use crate::classify::{call_site, Classification};

/// A check with its class, serialisable as one NDJSON line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClassifiedEvent {
    #[serde(flatten)]
    pub event: CapEvent,
    /// The system call's name, when known.
    pub syscall_name: Option<&'static str>,
    /// The kernel function that asked (see [`call_site`]).
    pub call_site: Option<String>,
    #[serde(flatten)]
    pub classification: Classification,
}

impl ClassifiedEvent {
    pub fn new(event: CapEvent, classification: Classification) -> ClassifiedEvent {
        ClassifiedEvent {
            syscall_name: event.syscall_name(),
            call_site: call_site(&event.stack).map(str::to_owned),
            event,
            classification,
        }
    }

    /// `ping[812/812] CAP_NET_RAW granted socket needed (inet_create)`: the live line.
    /// `time` is printed by the caller, which knows the clock's origin.
    pub fn line(&self) -> String {
        let e = &self.event;
        let verdict = match e.verdict {
            CheckVerdict::Granted => "granted".to_owned(),
            CheckVerdict::Denied { errno } => format!("denied(errno {errno})"),
        };
        let mut line = format!(
            "{}[{}/{}] {} {} {} {}",
            e.comm,
            e.pid,
            e.tid,
            e.cap.upper_name(),
            verdict,
            self.syscall_name.unwrap_or("-"),
            self.classification.class
        );
        if let Some(site) = &self.call_site {
            line.push_str(&format!(" ({site})"));
        }
        if !e.userns.initial {
            line.push_str(&format!(" userns-level={}", e.userns.level));
        }
        if e.count > 1 {
            line.push_str(&format!(" x{}", e.count));
        }
        line
    }
}
