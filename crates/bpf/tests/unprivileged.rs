//! Without privilege the tracer refuses with a clear message. Root runs this test binary again
//! as `nobody` with no capabilities (setpriv) and checks the error there.

use std::process::Command;

use leastcap_bpf::{Target, TraceError, TraceOptions, Tracer};

const INNER_ENV: &str = "LEASTCAP_TEST_UNPRIVILEGED_INNER";

#[test]
fn unprivileged_start_fails_with_a_clear_message() {
    if std::env::var(INNER_ENV).is_ok() || !leastcap_bpf::have_privileges() {
        // Running without privilege: the error itself.
        let err = Tracer::start(Target::Pid(std::process::id()), TraceOptions::default())
            .expect_err("an unprivileged start must fail");
        assert!(matches!(err, TraceError::NotPermitted { .. }), "{err:?}");
        assert!(
            err.to_string()
                .contains("needs root or CAP_BPF + CAP_PERFMON"),
            "{err}"
        );
        return;
    }
    if !leastcap_testkit::tool("unprivileged_start_fails_with_a_clear_message", "setpriv") {
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    let status = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--",
        ])
        .arg(exe)
        .args(["--exact", "unprivileged_start_fails_with_a_clear_message"])
        .env(INNER_ENV, "1")
        .status()
        .expect("run setpriv");
    assert!(status.success(), "the unprivileged run failed");
}
