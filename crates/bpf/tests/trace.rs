//! Privileged tests on the real kernel: they load and attach the tracer. Without root they
//! print why they are skipped (and fail with LEASTCAP_REQUIRE_PRIVILEGED=1).

mod common;

use common::{describe, privileged, serial, Gated};
use leastcap_bpf::{Output, StartAt, Target, TraceOptions, Tracer};
use leastcap_events::{Backend, CheckVerdict};
use leastcap_model::Cap;

fn start(pid: u32, options: TraceOptions) -> Tracer {
    Tracer::start(Target::Pid(pid), options).expect("tracer starts")
}

#[test]
fn raw_socket_shows_net_raw_granted_on_socket() {
    if !privileged("raw_socket_shows_net_raw_granted_on_socket") {
        return;
    }
    let _guard = serial();
    let child = Gated::spawn(&["rawsock"]);
    let pid = child.pid();
    let mut tracer = start(pid, TraceOptions::default());
    eprintln!("backend: {:?}", tracer.backend());
    let events = child.run_traced(&mut tracer);
    let text = describe(&events);
    let raw = events
        .iter()
        .find(|e| e.cap == Cap::NET_RAW)
        .unwrap_or_else(|| panic!("no CAP_NET_RAW check in:\n{text}"));
    assert_eq!(raw.verdict, CheckVerdict::Granted, "{text}");
    assert_eq!(raw.syscall_name(), Some("socket"), "{text}");
    assert_eq!(raw.pid, pid);
    assert_eq!(raw.tid, pid);
    assert_eq!(raw.comm, "capprog");
    assert!(raw.userns.initial, "{text}");
    assert!(
        events.iter().all(|e| e.pid == pid),
        "only the target:\n{text}"
    );
    let now = leastcap_bpf::monotonic_ns();
    assert!(
        events
            .iter()
            .all(|e| e.time_ns >= tracer.start_time_ns() && e.time_ns <= now),
        "event times use the tracer's clock"
    );
    let stats = tracer.stats().expect("stats");
    assert_eq!(stats.lost, 0);
    assert_eq!(stats.matched, events.len() as u64, "{text}");
}

#[test]
fn forked_child_and_second_thread_are_captured() {
    if !privileged("forked_child_and_second_thread_are_captured") {
        return;
    }
    let _guard = serial();
    let child = Gated::spawn(&["fork-rawsock", "thread-rawsock"]);
    let pid = child.pid();
    let mut tracer = start(pid, TraceOptions::default());
    let events = child.run_traced(&mut tracer);
    let text = describe(&events);
    let raw: Vec<_> = events.iter().filter(|e| e.cap == Cap::NET_RAW).collect();
    assert!(
        raw.iter().any(|e| e.pid != pid && e.tid == e.pid),
        "the forked child's check is missing:\n{text}"
    );
    assert!(
        raw.iter().any(|e| e.pid == pid && e.tid != pid),
        "the second thread's check is missing:\n{text}"
    );
    assert_eq!(
        tracer.tracked_processes(),
        Some(0),
        "exited processes are forgotten"
    );
}

#[test]
fn concurrent_unrelated_process_is_not_captured() {
    if !privileged("concurrent_unrelated_process_is_not_captured") {
        return;
    }
    let _guard = serial();
    // The bystander makes 20,000 checks while the target runs.
    let mut bystander = Gated::spawn(&["ioprio", "20000", "rawsock"]);
    let bystander_pid = bystander.pid();
    let child = Gated::spawn(&["rawsock", "ioprio", "3"]);
    let pid = child.pid();
    let mut tracer = start(pid, TraceOptions::default());
    bystander.release();
    let events = child.run_traced(&mut tracer);
    let text = describe(&events);
    assert!(bystander.child.wait().expect("wait").success());
    assert!(
        events.iter().all(|e| e.pid == pid),
        "only the target:\n{text}"
    );
    assert!(!events.iter().any(|e| e.pid == bystander_pid));
    let ioprio = events
        .iter()
        .filter(|e| e.syscall_name() == Some("ioprio_set"))
        .count();
    assert_eq!(ioprio, 3, "one check per ioprio_set call:\n{text}");
}

#[test]
fn next_exec_skips_what_happens_before_exec() {
    if !privileged("next_exec_skips_what_happens_before_exec") {
        return;
    }
    let _guard = serial();
    let prog = common::capprog().to_str().expect("utf-8 path").to_owned();
    let child = Gated::spawn(&["ioprio", "5", "exec", &prog, "nowait", "bind80"]);
    let options = TraceOptions {
        start_at: StartAt::NextExec,
        ..TraceOptions::default()
    };
    let mut tracer = start(child.pid(), options);
    let events = child.run_traced(&mut tracer);
    let text = describe(&events);
    assert!(
        !events
            .iter()
            .any(|e| e.syscall_name() == Some("ioprio_set")),
        "checks before exec were recorded:\n{text}"
    );
    let bind = events
        .iter()
        .find(|e| e.cap == Cap::NET_BIND_SERVICE)
        .unwrap_or_else(|| panic!("no CAP_NET_BIND_SERVICE after exec:\n{text}"));
    assert_eq!(bind.syscall_name(), Some("bind"));
    assert!(bind.verdict.is_granted());
}

#[test]
fn aggregate_mode_counts_every_check_in_the_kernel() {
    if !privileged("aggregate_mode_counts_every_check_in_the_kernel") {
        return;
    }
    let _guard = serial();
    let child = Gated::spawn(&["ioprio", "1000"]);
    let options = TraceOptions {
        output: Output::Aggregate,
        ..TraceOptions::default()
    };
    let mut tracer = start(child.pid(), options);
    let live = child.run_traced(&mut tracer);
    assert!(live.is_empty(), "aggregate mode writes no events");
    let rows = tracer.aggregate().expect("aggregate");
    let text = describe(&rows);
    let ioprio: u64 = rows
        .iter()
        .filter(|e| e.syscall_name() == Some("ioprio_set"))
        .map(|e| e.count)
        .sum();
    assert_eq!(ioprio, 1000, "{text}");
    let stats = tracer.stats().expect("stats");
    assert_eq!(stats.matched, rows.iter().map(|e| e.count).sum::<u64>());
    assert!(rows.iter().all(|e| e.comm == "capprog"), "{text}");
}

#[test]
fn stacks_show_the_overcommit_call_site() {
    if !privileged("stacks_show_the_overcommit_call_site") {
        return;
    }
    let _guard = serial();
    let child = Gated::spawn(&["mmap", "rawsock"]);
    let options = TraceOptions {
        stack_caps: (1 << Cap::SYS_ADMIN.number()) | (1 << Cap::NET_RAW.number()),
        ..TraceOptions::default()
    };
    let mut tracer = start(child.pid(), options);
    let events = child.run_traced(&mut tracer);
    let text = describe(&events);
    eprintln!("{text}");
    let overcommit = events
        .iter()
        .find(|e| e.cap == Cap::SYS_ADMIN && e.syscall_name() == Some("mmap"))
        .unwrap_or_else(|| panic!("no CAP_SYS_ADMIN check on mmap:\n{text}"));
    assert!(
        overcommit
            .stack
            .iter()
            .any(|f| f == "security_vm_enough_memory_mm"),
        "{text}"
    );
    let raw = events
        .iter()
        .find(|e| e.cap == Cap::NET_RAW)
        .expect("NET_RAW check");
    assert!(raw.stack.iter().any(|f| f == "inet_create"), "{text}");
}

#[test]
fn backend_report_explains_rejected_backends() {
    if !privileged("backend_report_explains_rejected_backends") {
        return;
    }
    let _guard = serial();
    let tracer = start(std::process::id(), TraceOptions::default());
    let report = tracer.backend().clone();
    eprintln!("{report:?}");
    let position = Backend::ALL
        .iter()
        .position(|b| *b == report.backend)
        .expect("known backend");
    let rejected: Vec<Backend> = report.rejected.iter().map(|(b, _)| *b).collect();
    assert_eq!(rejected, Backend::ALL[..position].to_vec());
    assert!(report.rejected.iter().all(|(_, why)| !why.is_empty()));
    assert!(report.tracking.is_some());
    drop(tracer);

    // Forcing a backend uses exactly that one.
    let forced = TraceOptions {
        backend: Some(report.backend),
        ..TraceOptions::default()
    };
    let tracer = start(std::process::id(), forced);
    assert_eq!(tracer.backend().backend, report.backend);
    assert!(tracer.backend().rejected.is_empty());
}

#[test]
fn cgroup_target_sees_only_tasks_in_the_cgroup() {
    if !privileged("cgroup_target_sees_only_tasks_in_the_cgroup") {
        return;
    }
    let Some(root) = common::cgroup2_root() else {
        let _ = leastcap_testkit::skip_or_fail(
            "cgroup_target_sees_only_tasks_in_the_cgroup",
            "no cgroup v2 hierarchy is mounted",
        );
        return;
    };
    let _guard = serial();
    let cgroup = common::TempCgroup::new(&root);
    let inside = Gated::spawn(&["rawsock"]);
    let mut outside = Gated::spawn(&["rawsock"]);
    cgroup.add(inside.pid());
    let mut tracer = Tracer::start(Target::Cgroup(cgroup.path.clone()), TraceOptions::default())
        .expect("tracer starts");
    assert!(tracer.tracked_processes().is_none());
    outside.release();
    let inside_pid = inside.pid();
    let events = inside.run_traced(&mut tracer);
    assert!(outside.child.wait().expect("wait").success());
    let text = describe(&events);
    assert!(
        events
            .iter()
            .any(|e| e.cap == Cap::NET_RAW && e.pid == inside_pid),
        "{text}"
    );
    assert!(events.iter().all(|e| e.pid == inside_pid), "{text}");
}

#[test]
fn raw_tracepoint_backend_sees_the_same_checks() {
    if !privileged("raw_tracepoint_backend_sees_the_same_checks") {
        return;
    }
    let _guard = serial();
    let child = Gated::spawn(&["rawsock"]);
    let options = TraceOptions {
        backend: Some(Backend::RawTp),
        ..TraceOptions::default()
    };
    let mut tracer = start(child.pid(), options);
    assert_eq!(tracer.backend().backend, Backend::RawTp);
    let events = child.run_traced(&mut tracer);
    let text = describe(&events);
    let raw = events
        .iter()
        .find(|e| e.cap == Cap::NET_RAW)
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(raw.backend, Some(Backend::RawTp));
    assert_eq!(raw.syscall_name(), Some("socket"));
    assert!(raw.verdict.is_granted());
}

#[test]
fn checks_in_a_child_user_namespace_are_flagged() {
    if !privileged("checks_in_a_child_user_namespace_are_flagged") {
        return;
    }
    let _guard = serial();
    let child = Gated::spawn(&["userns-hostname"]);
    let mut tracer = start(child.pid(), TraceOptions::default());
    let events = child.run_traced(&mut tracer);
    let text = describe(&events);
    let hostname = events
        .iter()
        .find(|e| e.syscall_name() == Some("sethostname"))
        .unwrap_or_else(|| panic!("no check on sethostname:\n{text}"));
    assert_eq!(hostname.cap, Cap::SYS_ADMIN, "{text}");
    assert!(hostname.verdict.is_granted(), "{text}");
    assert!(!hostname.userns.initial, "{text}");
    assert_eq!(hostname.userns.level, 1, "{text}");
    let own_ns = std::fs::read_link("/proc/self/ns/user").expect("own user namespace");
    assert_ne!(
        own_ns.to_string_lossy(),
        format!("user:[{}]", hostname.userns.inum),
        "the check names the child's namespace, not the initial one"
    );
}

#[test]
fn kprobe_programs_pass_the_verifier() {
    if !privileged("kprobe_programs_pass_the_verifier") {
        return;
    }
    let _guard = serial();
    let options = TraceOptions {
        backend: Some(Backend::Kprobe),
        ..TraceOptions::default()
    };
    match Tracer::start(Target::Pid(std::process::id()), options) {
        // A kernel with kprobes: the backend works.
        Ok(tracer) => assert_eq!(tracer.backend().backend, Backend::Kprobe),
        // Without CONFIG_KPROBES (as on the development machines) loading must still have
        // succeeded: the failure is the attachment, not the verifier.
        Err(leastcap_bpf::TraceError::NoBackend { tried }) => {
            let (backend, why) = &tried[0];
            assert_eq!(*backend, Backend::Kprobe);
            assert!(!why.contains("BPF_PROG_LOAD"), "verifier rejected: {why}");
            eprintln!("kprobe backend unavailable here: {why}");
        }
        Err(other) => panic!("unexpected error: {other}"),
    }
}

#[test]
fn lost_events_are_counted_never_hidden() {
    if !privileged("lost_events_are_counted_never_hidden") {
        return;
    }
    let _guard = serial();
    let mut child = Gated::spawn(&["ioprio", "20000"]);
    // A one-page ring (at most 64 records) that nobody reads while the child runs.
    let options = TraceOptions {
        ring_bytes: 4096,
        ..TraceOptions::default()
    };
    let mut tracer = start(child.pid(), options);
    child.release();
    assert!(child.child.wait().expect("wait").success());
    let events = tracer.drain();
    let stats = tracer.stats().expect("stats");
    assert!(stats.lost > 0, "{stats:?}");
    assert!(events.len() <= 64, "{} events", events.len());
    assert_eq!(
        stats.lost + events.len() as u64,
        stats.matched,
        "every check is either delivered or counted as lost: {stats:?}"
    );
}

#[test]
fn clear_errors_for_missing_targets() {
    if !privileged("clear_errors_for_missing_targets") {
        return;
    }
    let _guard = serial();
    match Tracer::start(Target::Pid(u32::MAX), TraceOptions::default()) {
        Err(leastcap_bpf::TraceError::NoSuchProcess { pid }) => assert_eq!(pid, u32::MAX),
        other => panic!("expected NoSuchProcess, got {other:?}"),
    }
    let missing = std::path::PathBuf::from("/nonexistent/cgroup");
    match Tracer::start(Target::Cgroup(missing.clone()), TraceOptions::default()) {
        Err(leastcap_bpf::TraceError::Cgroup { path, .. }) => assert_eq!(path, missing),
        other => panic!("expected a cgroup error, got {other:?}"),
    }
    // /proc is no cgroup v2 directory.
    let err = Tracer::start(Target::Cgroup("/proc".into()), TraceOptions::default())
        .expect_err("not a cgroup");
    assert!(err.to_string().contains("cgroup v2"), "{err}");
}

#[test]
fn unique_mode_streams_first_occurrences_and_counts_the_rest() {
    if !privileged("unique_mode_streams_first_occurrences_and_counts_the_rest") {
        return;
    }
    let _guard = serial();
    let child = Gated::spawn(&["ioprio", "1000"]);
    let options = TraceOptions {
        output: Output::Unique,
        ..TraceOptions::default()
    };
    let mut tracer = start(child.pid(), options);
    let live = child.run_traced(&mut tracer);
    let text = describe(&live);
    let ioprio_live = live
        .iter()
        .filter(|e| e.syscall_name() == Some("ioprio_set"))
        .count();
    assert_eq!(ioprio_live, 1, "one live event per distinct check:\n{text}");
    let rows = tracer.aggregate().expect("aggregate");
    let counted: u64 = rows
        .iter()
        .filter(|e| e.syscall_name() == Some("ioprio_set"))
        .map(|e| e.count)
        .sum();
    assert_eq!(counted, 1000, "{}", describe(&rows));
    assert_eq!(live.len(), rows.len(), "one live event per aggregate row");
}

#[test]
fn attaching_to_a_running_process_includes_its_existing_children() {
    if !privileged("attaching_to_a_running_process_includes_its_existing_children") {
        return;
    }
    let _guard = serial();
    // sh forks capprog (not exec: a command follows), which waits on the shared stdin.
    let mut sh = std::process::Command::new("sh")
        .args(["-c", r#""$0" rawsock; true"#])
        .arg(common::capprog())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn sh");
    let sh_pid = sh.id();
    let child_of_sh = || {
        std::fs::read_to_string(format!("/proc/{sh_pid}/task/{sh_pid}/children"))
            .ok()
            .and_then(|text| text.split_whitespace().next()?.parse::<u32>().ok())
    };
    let mut capprog_pid = None;
    for _ in 0..1000 {
        capprog_pid = child_of_sh();
        if capprog_pid.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let capprog_pid = capprog_pid.expect("sh started capprog");
    let mut tracer = start(sh_pid, TraceOptions::default());
    use std::io::Write;
    sh.stdin
        .take()
        .expect("stdin")
        .write_all(b"g")
        .expect("release");
    let mut events = Vec::new();
    loop {
        events.extend(
            tracer
                .poll(std::time::Duration::from_millis(50))
                .expect("poll"),
        );
        if sh.try_wait().expect("wait").is_some() {
            events.extend(tracer.drain());
            break;
        }
    }
    let text = describe(&events);
    assert!(
        events
            .iter()
            .any(|e| e.cap == Cap::NET_RAW && e.pid == capprog_pid),
        "the pre-existing child's check is missing:\n{text}"
    );
    assert_eq!(tracer.tracked_processes(), Some(0), "{text}");
}

#[test]
fn children_and_grandchildren_are_followed() {
    if !privileged("children_and_grandchildren_are_followed") {
        return;
    }
    let _guard = serial();
    let child = Gated::spawn(&["fork-tree", "20"]);
    let root = child.pid();
    let mut tracer = start(root, TraceOptions::default());
    let events = child.run_traced(&mut tracer);
    let text = describe(&events);
    let pids: std::collections::BTreeSet<u32> = events
        .iter()
        .filter(|e| e.cap == Cap::NET_RAW)
        .map(|e| e.pid)
        .collect();
    assert_eq!(pids.len(), 40, "20 children and 20 grandchildren:\n{text}");
    assert!(!pids.contains(&root));
    assert_eq!(tracer.tracked_processes(), Some(0));
    assert_eq!(tracer.stats().expect("stats").lost, 0);
}
