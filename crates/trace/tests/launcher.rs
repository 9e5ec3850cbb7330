//! The tracer with leastcap's one launcher, as `leastcap trace --user nobody --caps all --
//! ping -c1 127.0.0.1` will use them: the child waits at the barrier, the tracer attaches to
//! its pid armed for the next exec, the child applies the privilege plan (setgroups, setgid,
//! setuid, capset, …) and executes ping. Nothing the launcher did is recorded; ping's own
//! checks are, and CAP_NET_RAW comes out needed.

use std::fs::File;
use std::os::fd::OwnedFd;
use std::time::Duration;

use leastcap_bpf::{StartAt, Target, TraceOptions, Tracer};
use leastcap_launch::{CapSpec, CurrentState, Launcher, PlanRequest, PrivilegePlan, UserDb};
use leastcap_model::Cap;
use leastcap_trace::{Class, Classifier, Summary};

#[test]
fn ping_as_nobody_with_all_caps_records_only_the_program() {
    const TEST: &str = "ping_as_nobody_with_all_caps_records_only_the_program";
    if !leastcap_bpf::have_privileges() {
        let _ = leastcap_testkit::skip_or_fail(TEST, "needs root (launches as nobody, loads BPF)");
        return;
    }
    if !leastcap_testkit::tool(TEST, "ping") {
        return;
    }
    let kernel = leastcap_sys::kernel_caps().expect("kernel caps");
    let current = CurrentState::read().expect("own state");
    let request = PlanRequest {
        user: Some("nobody".into()),
        caps: Some(CapSpec::parse("all", kernel).expect("caps")),
        ..PlanRequest::default()
    };
    let users = UserDb::system().expect("user database");
    let plan = PrivilegePlan::from_request(&request, &current, &users, kernel).expect("plan");
    let null = || OwnedFd::from(File::options().write(true).open("/dev/null").expect("null"));
    let mut child = Launcher::new(
        plan,
        vec![
            "ping".into(),
            "-c1".into(),
            "-W1".into(),
            "127.0.0.1".into(),
        ],
    )
    .stdout(null())
    .stderr(null())
    .spawn_paused()
    .expect("spawn");

    // Under `--caps all` the program starts with every capability in its effective set.
    let mut classifier = Classifier::default().held_at_start(u64::MAX);
    let options = TraceOptions {
        start_at: StartAt::NextExec,
        stack_caps: classifier.stack_caps(),
        ..TraceOptions::default()
    };
    let mut tracer = Tracer::start(Target::Pid(child.pid()), options).expect("tracer");
    child.resume().expect("the plan applies and ping starts");
    let mut events = Vec::new();
    // The trace ends when the whole tree has exited.
    while tracer.tracked_processes() != Some(0) {
        events.extend(tracer.poll(Duration::from_millis(50)).expect("poll"));
    }
    events.extend(tracer.drain());
    let status = child.wait().expect("wait");
    assert!(status.success(), "ping failed: {status}");
    assert_eq!(tracer.stats().expect("stats").lost, 0);

    let text: Vec<String> = events
        .iter()
        .map(|e| {
            format!(
                "{} {} {:?} {:?}",
                e.comm,
                e.cap,
                e.verdict,
                e.syscall_name()
            )
        })
        .collect();
    let text = text.join("\n");
    // Before its execve the child runs as the test binary; only ping may appear.
    assert!(
        events.iter().all(|e| e.comm == "ping"),
        "a check from before exec was recorded:\n{text}"
    );
    let summary = Summary::build(&mut classifier, &events);
    for row in &summary.rows {
        eprintln!(
            "{} {} granted {} denied {} [{}] {}",
            row.cap,
            row.class,
            row.granted,
            row.denied,
            row.syscalls.join(","),
            row.recommendation
        );
    }
    assert_eq!(summary.needed, vec![Cap::NET_RAW], "{text}");
    let raw = summary
        .rows_of(Class::Needed)
        .find(|row| row.cap == Cap::NET_RAW)
        .expect("NET_RAW row");
    assert!(
        raw.granted > 0 && raw.syscalls.iter().any(|s| s == "socket"),
        "{text}"
    );
}
