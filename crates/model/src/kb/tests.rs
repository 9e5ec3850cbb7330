use super::*;
use crate::cap::{CAP_NAMES, KNOWN_CAPS};

#[test]
fn every_named_capability_has_exactly_one_entry_in_order() {
    assert_eq!(CAPABILITIES.len(), usize::from(KNOWN_CAPS));
    for (index, entry) in CAPABILITIES.iter().enumerate() {
        assert_eq!(usize::from(entry.cap.number()), index);
        assert_eq!(entry.cap.name(), Some(CAP_NAMES[index]));
        assert!(
            !entry.summary.is_empty() && !entry.gates.is_empty(),
            "{}",
            entry.cap
        );
        assert!(!entry.escalation.is_empty(), "{}", entry.cap);
        assert!(!entry.sources.is_empty(), "{} cites no source", entry.cap);
        assert!(!entry.since.is_empty(), "{}", entry.cap);
    }
}

#[test]
fn or_chains_are_well_formed() {
    for chain in OR_CHAINS {
        assert!(chain.check_order.len() >= 2, "{}", chain.site);
        assert!(chain.check_order.contains(&chain.narrow), "{}", chain.site);
        assert!(!chain.source.is_empty(), "{}", chain.site);
    }
}

#[test]
fn perfmon_is_the_narrow_choice_for_perf_event_open() {
    let perf = OR_CHAINS
        .iter()
        .find(|chain| chain.syscalls.contains(&"perf_event_open"))
        .expect("perf_event_open chain");
    assert_eq!(perf.narrow, Cap::PERFMON);
    assert_eq!(perf.check_order, &[Cap::PERFMON, Cap::SYS_ADMIN]);
    assert_eq!(info(Cap::PERFMON).map(|i| i.since), Some("5.8"));
}

#[test]
fn sys_admin_lists_its_split_out_capabilities() {
    let admin = info(Cap::SYS_ADMIN).expect("sys_admin");
    for narrow in [Cap::PERFMON, Cap::BPF, Cap::CHECKPOINT_RESTORE, Cap::SYSLOG] {
        assert!(admin.narrower.contains(&narrow), "{narrow}");
    }
    assert_eq!(admin.verdict, Verdict::RootEquivalent);
}

#[test]
fn search_matches_descriptions() {
    let hits = search("raw socket");
    assert!(hits.iter().any(|entry| entry.cap == Cap::NET_RAW));
    assert!(search("").is_empty());
    assert!(search("no-such-word-anywhere").is_empty());
}

#[test]
fn advisory_sites_include_the_overcommit_heuristic() {
    assert!(ADVISORY_SITES
        .iter()
        .any(|site| site.cap == Cap::SYS_ADMIN && site.function.contains("vm_enough_memory")));
}
