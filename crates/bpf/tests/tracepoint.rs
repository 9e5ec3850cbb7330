//! The classic `capability:cap_capable` tracepoint backend needs tracefs at
//! /sys/kernel/tracing. Where it is not mounted there (as on the development machines), the
//! test re-runs itself inside a private mount namespace (`unshare -m`, private propagation)
//! with tracefs mounted only there, so the host's mounts are never touched.

mod common;

use std::path::Path;
use std::process::Command;

use common::{describe, privileged, Gated};
use leastcap_bpf::{Target, TraceOptions, Tracer};
use leastcap_events::Backend;
use leastcap_model::Cap;

const INNER_ENV: &str = "LEASTCAP_TEST_TRACEFS_NAMESPACE";

fn tracefs_mounted() -> bool {
    Path::new("/sys/kernel/tracing/events/capability/cap_capable").exists()
}

#[test]
fn classic_tracepoint_backend_sees_checks() {
    if !privileged("classic_tracepoint_backend_sees_checks") {
        return;
    }
    if !tracefs_mounted() {
        assert!(
            std::env::var(INNER_ENV).is_err(),
            "tracefs still missing inside the private mount namespace"
        );
        if !leastcap_testkit::tool("classic_tracepoint_backend_sees_checks", "unshare") {
            return;
        }
        let exe = std::env::current_exe().expect("test binary");
        let status = Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg(r#"mount -t tracefs nodev /sys/kernel/tracing && exec "$0" --exact classic_tracepoint_backend_sees_checks --nocapture"#)
            .arg(exe)
            .env(INNER_ENV, "1")
            .status()
            .expect("run unshare");
        assert!(
            status.success(),
            "the test failed inside the mount namespace"
        );
        return;
    }
    let child = Gated::spawn(&["rawsock"]);
    let options = TraceOptions {
        backend: Some(Backend::Tracepoint),
        stack_caps: 1 << Cap::NET_RAW.number(),
        ..TraceOptions::default()
    };
    let mut tracer = Tracer::start(Target::Pid(child.pid()), options).expect("tracer starts");
    assert_eq!(tracer.backend().backend, Backend::Tracepoint);
    let pid = child.pid();
    let events = child.run_traced(&mut tracer);
    let text = describe(&events);
    eprintln!("{text}");
    let raw = events
        .iter()
        .find(|e| e.cap == Cap::NET_RAW)
        .unwrap_or_else(|| panic!("no CAP_NET_RAW check:\n{text}"));
    assert_eq!(raw.backend, Some(Backend::Tracepoint));
    assert_eq!(raw.pid, pid);
    assert_eq!(raw.syscall_name(), Some("socket"));
    assert!(raw.verdict.is_granted());
    assert!(raw.userns.initial);
    assert!(raw.stack.iter().any(|f| f == "inet_create"), "{text}");
}
