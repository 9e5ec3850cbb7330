//! Privileged end-to-end tests: real programs traced on the real kernel with the best
//! backend, classified with the shipped knowledge base, checked for the exact needed set.
//! Without root they print why they are skipped (and fail with LEASTCAP_REQUIRE_PRIVILEGED=1).

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use leastcap_bpf::{CapEvent, StartAt, Target, TraceOptions, Tracer};
use leastcap_model::Cap;
use leastcap_trace::{Class, Classifier, Summary};

// The tracer crate's own test helpers: the privilege gate, the serial lock, and capprog.c
// built once per test binary.
#[path = "../../bpf/tests/common/mod.rs"]
mod common;

use common::{capprog, privileged, serial};

/// Runs `capprog exec PROGRAM ARGS…` the way the launcher will: the tracer attaches while
/// capprog waits on stdin, and recording starts at the exec of PROGRAM.
fn trace_exec(program: &Path, args: &[&str]) -> (Vec<CapEvent>, Summary) {
    let mut child: Child = Command::new(capprog())
        .arg("exec")
        .arg(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut classifier = Classifier::default();
    let options = TraceOptions {
        start_at: StartAt::NextExec,
        stack_caps: classifier.stack_caps(),
        ..TraceOptions::default()
    };
    let mut tracer = Tracer::start(Target::Pid(child.id()), options).expect("tracer starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"g")
        .expect("release");
    let mut events = Vec::new();
    let status = loop {
        events.extend(tracer.poll(Duration::from_millis(50)).expect("poll"));
        if let Some(status) = child.try_wait().expect("wait") {
            events.extend(tracer.drain());
            break status;
        }
    };
    assert!(status.success(), "{} failed: {status}", program.display());
    assert_eq!(tracer.stats().expect("stats").lost, 0, "no event lost");
    let summary = Summary::build(&mut classifier, &events);
    (events, summary)
}

fn describe(summary: &Summary) -> String {
    summary
        .rows
        .iter()
        .map(|row| {
            format!(
                "{} {} granted {} denied {} [{}] {} — {}",
                row.cap,
                row.class,
                row.granted,
                row.denied,
                row.syscalls.join(","),
                row.recommendation,
                row.reasons.join(" | ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn ping_needs_net_raw_and_not_sys_admin() {
    if !privileged("ping_needs_net_raw_and_not_sys_admin")
        || !leastcap_testkit::tool("ping_needs_net_raw_and_not_sys_admin", "ping")
    {
        return;
    }
    let _guard = serial();
    let ping = leastcap_testkit::which("ping").expect("ping");
    let (_, summary) = trace_exec(&ping, &["-c1", "-W1", "127.0.0.1"]);
    let text = describe(&summary);
    eprintln!("{text}");
    assert!(summary.needed.contains(&Cap::NET_RAW), "{text}");
    assert!(!summary.needed.contains(&Cap::SYS_ADMIN), "{text}");
    let raw = summary
        .rows_of(Class::Needed)
        .find(|row| row.cap == Cap::NET_RAW)
        .expect("NET_RAW row");
    assert!(raw.granted > 0);
    assert!(raw.syscalls.iter().any(|s| s == "socket"), "{text}");
    assert!(
        summary
            .rows_of(Class::Advisory)
            .any(|row| row.cap == Cap::SYS_ADMIN),
        "the overcommit checks are reported as advisory:\n{text}"
    );
}

#[test]
fn test_program_gets_exactly_the_needed_set() {
    if !privileged("test_program_gets_exactly_the_needed_set") {
        return;
    }
    let paranoid = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .ok()
        .and_then(|v| v.trim().parse::<i32>().ok())
        .unwrap_or(2);
    if paranoid <= 0 {
        let _ = leastcap_testkit::skip_or_fail(
            "test_program_gets_exactly_the_needed_set",
            "kernel.perf_event_paranoid <= 0: CPU-wide perf events need no capability here",
        );
        return;
    }
    let _guard = serial();
    let dir = leastcap_testkit::temp_dir();
    let file = dir.path().join("owned");
    std::fs::write(&file, b"x").expect("file");
    let file = file.to_str().expect("utf-8").to_owned();
    let (_, summary) = trace_exec(
        capprog(),
        &[
            "nowait",
            "mmap",
            "rawsock",
            "bind80",
            "chown",
            &file,
            "perf-cpu",
            "ioprio",
            "1",
            "fork-rawsock",
            "thread-rawsock",
        ],
    );
    let text = describe(&summary);
    eprintln!("{text}");
    assert_eq!(
        summary.needed,
        vec![
            Cap::CHOWN,
            Cap::NET_BIND_SERVICE,
            Cap::NET_RAW,
            Cap::SYS_NICE,
            Cap::PERFMON
        ],
        "{text}"
    );
    let ioprio = summary
        .rows_of(Class::Alternative)
        .find(|row| row.cap == Cap::SYS_ADMIN)
        .unwrap_or_else(|| panic!("ioprio's SYS_ADMIN check is an alternative:\n{text}"));
    assert_eq!(
        ioprio.recommendation,
        "grant CAP_SYS_NICE instead of CAP_SYS_ADMIN"
    );
    let raw = summary
        .rows_of(Class::Needed)
        .find(|row| row.cap == Cap::NET_RAW)
        .expect("NET_RAW");
    assert_eq!(raw.granted, 3, "main, forked child and thread:\n{text}");
}

#[test]
fn checks_in_the_programs_own_user_namespace_need_no_host_capability() {
    if !privileged("checks_in_the_programs_own_user_namespace_need_no_host_capability") {
        return;
    }
    let _guard = serial();
    let (_, summary) = trace_exec(capprog(), &["nowait", "userns-hostname"]);
    let text = describe(&summary);
    eprintln!("{text}");
    let row = summary
        .rows_of(Class::UserNamespace)
        .find(|row| row.cap == Cap::SYS_ADMIN)
        .unwrap_or_else(|| panic!("no user-namespace row:\n{text}"));
    assert!(row.syscalls.iter().any(|s| s == "sethostname"), "{text}");
    assert!(summary.needed.is_empty(), "{text}");
}
