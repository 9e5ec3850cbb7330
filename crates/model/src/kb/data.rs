//! Knowledge-base data. Sources: see each entry; shared reference tables in the repository's
//! docs/knowledge-base.md.

use super::{AdvisorySite, CapInfo, OrChain, Verdict};
use crate::cap::Cap;

const fn cap(number: u8) -> Cap {
    match Cap::new(number) {
        Some(cap) => cap,
        None => panic!("capability number out of range"),
    }
}

pub static CAPABILITIES: &[CapInfo] = &[CapInfo {
    cap: cap(38),
    since: "5.8",
    summary: "performance monitoring and observability",
    gates: "perf_event_open",
    verdict: Verdict::Conditional,
    escalation: "x",
    narrower: &[],
    sources: &["x"],
}];

pub static OR_CHAINS: &[OrChain] = &[];

pub static ADVISORY_SITES: &[AdvisorySite] = &[];
