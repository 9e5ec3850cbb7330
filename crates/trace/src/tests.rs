//! Classifier and summary tests on fixture knowledge (independent of the shipped data) and
//! on the shipped knowledge base.

use leastcap_events::{Backend, CapEvent, CheckVerdict, UserNs};
use leastcap_model::kb::{AdvisorySite, OrChain};
use leastcap_model::Cap;

use super::*;

static CHAINS: &[OrChain] = &[
    OrChain {
        site: "perfmon_capable()",
        guards: "perf_event_open beyond perf_event_paranoid",
        syscalls: &["perf_event_open"],
        check_order: &[Cap::PERFMON, Cap::SYS_ADMIN],
        narrow: Cap::PERFMON,
        since: "5.8",
        call_sites: &["perf_allow_cpu", "__do_sys_perf_event_open"],
        source: "fixture",
    },
    OrChain {
        site: "bpf_capable()",
        guards: "privileged bpf",
        syscalls: &["bpf"],
        check_order: &[Cap::BPF, Cap::SYS_ADMIN],
        narrow: Cap::BPF,
        since: "5.8",
        call_sites: &["bpf_prog_load", "map_create"],
        source: "fixture",
    },
    OrChain {
        site: "perf-ish bpf",
        guards: "bpf tracing",
        syscalls: &["bpf"],
        check_order: &[Cap::PERFMON, Cap::SYS_ADMIN],
        narrow: Cap::PERFMON,
        since: "5.8",
        call_sites: &["bpf_prog_load"],
        source: "fixture",
    },
    OrChain {
        site: "ioprio_check_cap()",
        guards: "real-time I/O priority",
        syscalls: &["ioprio_set"],
        check_order: &[Cap::SYS_ADMIN, Cap::SYS_NICE],
        narrow: Cap::SYS_NICE,
        since: "5.14",
        call_sites: &["ioprio_check_cap"],
        source: "fixture",
    },
];

static ADVISORY: &[AdvisorySite] = &[AdvisorySite {
    cap: Cap::SYS_ADMIN,
    function: "security_vm_enough_memory_mm",
    why: "overcommit heuristic",
}];

fn fixture() -> Classifier<'static> {
    Classifier::new(Knowledge {
        or_chains: CHAINS,
        advisory: ADVISORY,
    })
}

fn event(cap: Cap, syscall: &str, granted: bool, stack: &[&str]) -> CapEvent {
    CapEvent {
        time_ns: 1,
        pid: 100,
        tid: 100,
        comm: "prog".into(),
        cap,
        verdict: if granted {
            CheckVerdict::Granted
        } else {
            CheckVerdict::Denied { errno: 1 }
        },
        syscall: leastcap_events::syscall_number(syscall),
        userns: UserNs {
            initial: true,
            level: 0,
            inum: 4026531837,
        },
        opts: None,
        stack: stack.iter().map(|s| (*s).to_owned()).collect(),
        backend: Some(Backend::TpBtf),
        count: 1,
    }
}

const TRACER: &[&str] = &[
    "bpf_prog_3f35_lc_tpbtf_cap",
    "bpf_trace_run5",
    "cap_capable",
];

fn stack(frames: &[&'static str]) -> Vec<&'static str> {
    TRACER.iter().chain(frames).copied().collect()
}

#[test]
fn call_site_skips_tracer_and_capability_plumbing() {
    let frames: Vec<String> = stack(&[
        "security_capable",
        "ns_capable",
        "inet_create",
        "__sock_create",
    ])
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(call_site(&frames), Some("inet_create"));
    assert_eq!(call_site(&[]), None);
}

#[test]
fn plain_check_is_needed() {
    let mut classifier = fixture();
    let raw = event(
        Cap::NET_RAW,
        "socket",
        true,
        &stack(&["security_capable", "ns_capable", "inet_create"]),
    );
    let c = classifier.classify(&raw);
    assert_eq!(c.class, Class::Needed);
    assert_eq!(c.grant, Some(Cap::NET_RAW));
    assert!(c.reason.contains("socket in inet_create"), "{}", c.reason);
}

#[test]
fn overcommit_sys_admin_is_advisory_by_call_site() {
    let mut classifier = fixture();
    let mmap = event(
        Cap::SYS_ADMIN,
        "mmap",
        true,
        &stack(&["security_vm_enough_memory_mm", "__mmap_region", "do_mmap"]),
    );
    let c = classifier.classify(&mmap);
    assert_eq!(c.class, Class::Advisory);
    assert_eq!(c.grant, None);
    assert_eq!(c.site, Some("security_vm_enough_memory_mm"));
    // The same capability elsewhere is needed.
    let mount = event(Cap::SYS_ADMIN, "mount", true, &stack(&["path_mount"]));
    assert_eq!(classifier.classify(&mount).class, Class::Needed);
    // Only the listed capability is advisory at that site.
    let other = event(
        Cap::SYS_RESOURCE,
        "mmap",
        true,
        &stack(&["security_vm_enough_memory_mm"]),
    );
    assert_eq!(classifier.classify(&other).class, Class::Needed);
}

#[test]
fn broad_capability_first_in_chain_recommends_the_narrow_one() {
    let mut classifier = fixture();
    let ioprio = event(
        Cap::SYS_ADMIN,
        "ioprio_set",
        true,
        &stack(&[
            "security_capable",
            "capable",
            "ioprio_check_cap",
            "__x64_sys_ioprio_set",
        ]),
    );
    let c = classifier.classify(&ioprio);
    assert_eq!(c.class, Class::Alternative);
    assert_eq!(c.grant, Some(Cap::SYS_NICE));
    assert!(
        c.reason
            .contains("accepts cap_sys_nice instead of cap_sys_admin"),
        "{}",
        c.reason
    );
}

#[test]
fn denied_narrow_then_granted_broad() {
    let mut classifier = fixture();
    let frames = stack(&["perf_allow_cpu", "__do_sys_perf_event_open"]);
    let perfmon = event(Cap::PERFMON, "perf_event_open", false, &frames);
    let admin = event(Cap::SYS_ADMIN, "perf_event_open", true, &frames);
    let first = classifier.classify(&perfmon);
    assert_eq!(first.class, Class::Needed, "the narrow one is needed");
    assert_eq!(first.grant, Some(Cap::PERFMON));
    let second = classifier.classify(&admin);
    assert_eq!(second.class, Class::Alternative);
    assert_eq!(second.grant, Some(Cap::PERFMON));

    let summary = Summary::build(&mut fixture(), [&perfmon, &admin]);
    assert_eq!(summary.needed, vec![Cap::PERFMON]);
    let alternative: Vec<_> = summary.rows_of(Class::Alternative).collect();
    assert_eq!(alternative.len(), 1);
    assert_eq!(
        alternative[0].recommendation,
        "grant CAP_PERFMON instead of CAP_SYS_ADMIN"
    );
}

#[test]
fn overlapping_chains_are_told_apart_by_the_denied_check_before() {
    // bpf_prog_load is a call site of two chains that both accept SYS_ADMIN.
    let frames = stack(&["bpf_prog_load", "__sys_bpf"]);
    let mut classifier = fixture();
    classifier.classify(&event(Cap::PERFMON, "bpf", false, &frames));
    let c = classifier.classify(&event(Cap::SYS_ADMIN, "bpf", true, &frames));
    assert_eq!(c.grant, Some(Cap::PERFMON));
    let mut classifier = fixture();
    classifier.classify(&event(Cap::BPF, "bpf", false, &frames));
    let c = classifier.classify(&event(Cap::SYS_ADMIN, "bpf", true, &frames));
    assert_eq!(c.grant, Some(Cap::BPF));
}

#[test]
fn without_a_stack_a_syscall_naming_one_chain_is_used() {
    let mut classifier = fixture();
    let c = classifier.classify(&event(Cap::SYS_ADMIN, "ioprio_set", true, &[]));
    assert_eq!(c.class, Class::Alternative);
    assert!(c.reason.contains("matched by syscall"), "{}", c.reason);
    // `bpf` names two chains: not enough to decide.
    let c = classifier.classify(&event(Cap::SYS_ADMIN, "bpf", true, &[]));
    assert_eq!(c.class, Class::Needed);
}

#[test]
fn checks_in_a_child_user_namespace_are_not_host_needs() {
    let mut classifier = fixture();
    let mut e = event(Cap::SYS_ADMIN, "mount", true, &[]);
    e.userns = UserNs {
        initial: false,
        level: 1,
        inum: 4026532500,
    };
    let c = classifier.classify(&e);
    assert_eq!(c.class, Class::UserNamespace);
    assert_eq!(c.grant, None);
    let summary = Summary::build(&mut fixture(), [&e]);
    assert!(summary.needed.is_empty());
}

#[test]
fn summary_counts_syscalls_and_verdicts() {
    let frames = stack(&["inet_create"]);
    let mut denied = event(Cap::NET_RAW, "socket", false, &frames);
    denied.count = 2;
    let events = [
        event(Cap::NET_RAW, "socket", true, &frames),
        denied,
        event(
            Cap::NET_RAW,
            "setsockopt",
            true,
            &stack(&["do_ip_setsockopt"]),
        ),
        event(
            Cap::SYS_ADMIN,
            "brk",
            true,
            &stack(&["security_vm_enough_memory_mm"]),
        ),
    ];
    let summary = Summary::build(&mut fixture(), &events);
    assert_eq!(summary.checks, 5);
    assert_eq!(summary.needed, vec![Cap::NET_RAW]);
    let raw = summary
        .rows_of(Class::Needed)
        .find(|r| r.cap == Cap::NET_RAW)
        .expect("row");
    assert_eq!((raw.granted, raw.denied), (2, 2));
    assert_eq!(raw.syscalls, vec!["setsockopt", "socket"]);
    assert_eq!(raw.recommendation, "grant CAP_NET_RAW");
    let advisory = summary
        .rows_of(Class::Advisory)
        .next()
        .expect("advisory row");
    assert_eq!(advisory.cap, Cap::SYS_ADMIN);
    assert!(advisory.recommendation.starts_with("not needed"));
    let counts = summary.class_counts();
    assert_eq!(counts.get(&Class::Needed), Some(&4));
    assert_eq!(counts.get(&Class::Advisory), Some(&1));
    let json = serde_json::to_value(&summary).expect("json");
    assert_eq!(json["rows"][0]["class"], "needed");
}

#[test]
fn dedup_passes_each_cap_syscall_verdict_once() {
    let mut dedup = Dedup::default();
    let a = event(Cap::NET_RAW, "socket", true, &[]);
    assert!(dedup.first(&a));
    assert!(!dedup.first(&a));
    assert!(dedup.first(&event(Cap::NET_RAW, "socket", false, &[])));
    assert!(dedup.first(&event(Cap::NET_RAW, "sendto", true, &[])));
}

#[test]
fn stack_mask_covers_advisory_and_chain_capabilities() {
    let mask = fixture().stack_caps();
    for cap in [Cap::SYS_ADMIN, Cap::PERFMON, Cap::BPF, Cap::SYS_NICE] {
        assert_ne!(mask & (1 << cap.number()), 0, "{cap}");
    }
    assert_eq!(mask & (1 << Cap::NET_RAW.number()), 0);
}

#[test]
fn builtin_knowledge_classifies_the_overcommit_check_as_advisory() {
    let mut classifier = Classifier::default();
    let mmap = event(
        Cap::SYS_ADMIN,
        "mmap",
        true,
        &stack(&["security_vm_enough_memory_mm", "__mmap_region"]),
    );
    assert_eq!(classifier.classify(&mmap).class, Class::Advisory);
    let ioprio = event(
        Cap::SYS_ADMIN,
        "ioprio_set",
        true,
        &stack(&["ioprio_check_cap", "__do_sys_ioprio_set"]),
    );
    let c = classifier.classify(&ioprio);
    assert_eq!(c.class, Class::Alternative);
    assert_eq!(c.grant, Some(Cap::SYS_NICE));
}

#[test]
fn classified_event_line_and_json() {
    let mut classifier = fixture();
    let e = event(
        Cap::NET_RAW,
        "socket",
        true,
        &stack(&["security_capable", "ns_capable", "inet_create"]),
    );
    let c = classifier.classify(&e);
    let classified = ClassifiedEvent::new(e, c);
    assert_eq!(
        classified.line(),
        "prog[100/100] CAP_NET_RAW granted socket needed (inet_create)"
    );
    let json = serde_json::to_value(&classified).expect("json");
    assert_eq!(json["class"], "needed");
    assert_eq!(json["syscall_name"], "socket");
    assert_eq!(json["call_site"], "inet_create");
    assert_eq!(
        json["cap"],
        serde_json::to_value(Cap::NET_RAW).expect("cap")
    );
    assert_eq!(json["verdict"], "granted");
}

#[test]
fn denied_after_the_program_dropped_a_held_capability_is_advisory() {
    let all = u64::MAX;
    let mut classifier = fixture().held_at_start(all);
    let capset = event(Cap::SETPCAP, "capset", false, &[]);
    let c = classifier.classify(&capset);
    assert_eq!(c.class, Class::Advisory);
    assert!(c.reason.contains("dropped it itself"), "{}", c.reason);
    // Granted checks stay needs.
    let raw = event(Cap::NET_RAW, "socket", true, &[]);
    assert_eq!(classifier.classify(&raw).class, Class::Needed);
    // Without the start state a denial is still reported as a need.
    assert_eq!(fixture().classify(&capset).class, Class::Needed);
    // A capability the program never held: its denial is a need.
    let mut only_raw = fixture().held_at_start(1 << Cap::NET_RAW.number());
    assert_eq!(only_raw.classify(&capset).class, Class::Needed);
}

#[test]
fn settle_turns_tolerated_denials_into_advisory_only_on_success() {
    let events = [
        event(
            Cap::SETUID,
            "setuid",
            false,
            &[
                "cap_capable",
                "security_capable",
                "ns_capable_setid",
                "__sys_setuid",
            ],
        ),
        event(
            Cap::NET_RAW,
            "socket",
            true,
            &["cap_capable", "inet_create"],
        ),
        event(
            Cap::KILL,
            "kill",
            false,
            &["cap_capable", "kill_ok_by_cred"],
        ),
        event(Cap::KILL, "kill", true, &["cap_capable", "kill_ok_by_cred"]),
    ];
    let build = || Summary::build(&mut Classifier::default(), &events);

    let mut failed = build();
    failed.settle(false);
    assert_eq!(failed.needed, vec![Cap::KILL, Cap::SETUID, Cap::NET_RAW]);

    let mut succeeded = build();
    succeeded.settle(true);
    assert_eq!(
        succeeded.needed,
        vec![Cap::KILL, Cap::NET_RAW],
        "{succeeded:#?}"
    );
    let setuid = succeeded
        .rows
        .iter()
        .find(|row| row.cap == Cap::SETUID)
        .expect("setuid row");
    assert_eq!(setuid.class, Class::Advisory);
    assert!(setuid.reasons[0].contains("exited successfully"));
    // Granted at least once: the program used it, so it stays needed.
    let kill = succeeded
        .rows
        .iter()
        .find(|row| row.cap == Cap::KILL)
        .expect("kill row");
    assert_eq!(
        (kill.class, kill.granted, kill.denied),
        (Class::Needed, 1, 1)
    );
}
