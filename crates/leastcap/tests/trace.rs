//! `leastcap trace` end to end on the real kernel: the launcher, the BPF tracer and the
//! classifier together, through the binary. Needs root (BPF) and iputils-ping.

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use leastcap_testkit as testkit;
use serde_json::Value;

fn leastcap() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_leastcap"));
    command.env("NO_COLOR", "1");
    command
}

/// Runs `leastcap --json trace ARGS` with the trace written to a file; returns the exit
/// status, the check objects and the summary object.
fn trace_json(args: &[&str]) -> (i32, Vec<Value>, Value) {
    let dir = testkit::temp_dir();
    let file = dir.path().join("trace.ndjson");
    let mut command = leastcap();
    command
        .args(["--json", "trace", "--output"])
        .arg(&file)
        .args(args)
        .stdout(Stdio::null());
    let (code, _, stderr) = testkit::output(&mut command);
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("no trace output ({e}): {stderr}"));
    let mut checks = Vec::new();
    let mut summary = Value::Null;
    for line in text.lines() {
        let value: Value = serde_json::from_str(line).expect("every line is JSON");
        match value["type"].as_str() {
            Some("check") => checks.push(value),
            Some("summary") => summary = value,
            other => panic!("unexpected line type {other:?}: {line}"),
        }
    }
    assert!(!summary.is_null(), "no summary object: {text}\n{stderr}");
    (code, checks, summary)
}

fn needed(summary: &Value) -> Vec<String> {
    summary["needed"]
        .as_array()
        .expect("needed list")
        .iter()
        .map(|cap| cap.as_str().expect("name").to_string())
        .collect()
}

fn ready(test: &str) -> bool {
    testkit::privileged(test) && testkit::tool(test, "ping")
}

#[test]
fn ping_needs_net_raw_not_sys_admin() {
    if !ready("ping_needs_net_raw_not_sys_admin") {
        return;
    }
    let (code, checks, summary) = trace_json(&["--", "ping", "-c1", "-W1", "127.0.0.1"]);
    assert_eq!(code, 0, "{summary}");
    assert!(
        checks.iter().any(|check| check["cap"] == "cap_net_raw"
            && check["verdict"] == "granted"
            && check["syscall_name"] == "socket"
            && check["class"] == "needed"),
        "no needed CAP_NET_RAW check on socket(): {checks:#?}"
    );
    let needed = needed(&summary);
    assert!(needed.contains(&"cap_net_raw".to_string()), "{summary}");
    assert!(!needed.contains(&"cap_sys_admin".to_string()), "{summary}");
    // The overcommit heuristic's CAP_SYS_ADMIN checks are seen, and classified as noise.
    assert!(
        checks
            .iter()
            .any(|check| check["cap"] == "cap_sys_admin" && check["class"] == "advisory"),
        "{checks:#?}"
    );
    assert_eq!(summary["lost_events"], 0);
}

#[test]
fn deprivileged_ping_records_only_the_program() {
    if !ready("deprivileged_ping_records_only_the_program") {
        return;
    }
    let (code, checks, summary) = trace_json(&[
        "--user",
        "nobody",
        "--caps",
        "all",
        "--",
        "ping",
        "-c1",
        "-W1",
        "127.0.0.1",
    ]);
    assert_eq!(code, 0, "{summary}");
    assert!(!checks.is_empty());
    // leastcap's own setgroups/setgid/setuid/capset before exec would show up under the
    // launcher's name (the test binary's or leastcap's comm): none may be recorded.
    let foreign: Vec<&Value> = checks
        .iter()
        .filter(|check| check["comm"] != "ping")
        .collect();
    assert!(
        foreign.is_empty(),
        "checks from outside the program: {foreign:#?}"
    );
    assert_eq!(
        needed(&summary),
        vec!["cap_net_raw".to_string()],
        "{summary}"
    );
}

#[test]
fn children_are_followed_and_status_passes_through() {
    if !testkit::privileged("children_are_followed_and_status_passes_through") {
        return;
    }
    // A shell whose child makes a CAP_CHOWN check (chown to another uid), then exits 3.
    let dir = testkit::temp_dir();
    let file = dir.path().join("owned");
    std::fs::write(&file, b"x").expect("file");
    let script = format!("chown 4321 '{}' && exit 3", file.display());
    let (code, checks, summary) = trace_json(&["--", "sh", "-c", &script]);
    assert_eq!(code, 3);
    assert_eq!(summary["exit_status"], 3);
    assert!(
        checks
            .iter()
            .any(|check| check["cap"] == "cap_chown" && check["comm"] == "chown"),
        "the child's CAP_CHOWN check was not recorded: {checks:#?}"
    );
    // The program failed (exit 3), so nothing is settled away.
    assert!(
        needed(&summary).contains(&"cap_chown".to_string()),
        "{summary}"
    );
}

#[test]
fn missing_program_and_bad_options() {
    if !testkit::privileged("missing_program_and_bad_options") {
        return;
    }
    let (code, _, stderr) =
        testkit::output(leastcap().args(["trace", "--", "/nonexistent/program"]));
    assert_eq!(code, 127, "{stderr}");
    let (code, _, stderr) =
        testkit::output(leastcap().args(["trace", "--pid", "1", "--user", "nobody"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("privilege options"), "{stderr}");
    let (code, _, _) =
        testkit::output(leastcap().args(["trace", "--backend", "bogus", "--", "true"]));
    assert_eq!(code, 2);
}

#[test]
fn unprivileged_trace_says_what_it_needs() {
    let test = "unprivileged_trace_says_what_it_needs";
    if !testkit::privileged(test) || !testkit::tool(test, "setpriv") {
        return;
    }
    // A copy nobody can execute (the build directory may not be reachable for nobody).
    let dir = testkit::temp_dir();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let binary = testkit::copy_binary(
        std::path::Path::new(env!("CARGO_BIN_EXE_leastcap")),
        dir.path(),
        "leastcap",
    );
    let (code, _, stderr) = testkit::output(
        Command::new("setpriv")
            .args([
                "--reuid",
                "65534",
                "--regid",
                "65534",
                "--clear-groups",
                "--inh-caps",
                "-all",
            ])
            .arg(&binary)
            .args(["trace", "--", "true"]),
    );
    assert_eq!(code, 125, "{stderr}");
    assert!(
        stderr.contains("needs root or CAP_BPF + CAP_PERFMON"),
        "{stderr}"
    );
}

/// The BPF program ids held open by a process (from its fd info).
fn program_ids_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .filter_map(|info| {
            info.lines()
                .find_map(|line| {
                    line.strip_prefix("prog_id:")
                        .map(|id| id.trim().parse().ok())
                })
                .flatten()
        })
        .collect()
}

#[test]
fn kill_9_leaves_no_program_loaded() {
    if !testkit::privileged("kill_9_leaves_no_program_loaded") {
        return;
    }
    let mut tracer = leastcap()
        .args(["trace", "--", "sleep", "60"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start leastcap trace");
    let pid = tracer.id();
    // Wait (bounded by attempts, not by a time limit on the result) for the attach.
    let mut ids = Vec::new();
    for _ in 0..200 {
        ids = program_ids_of(pid);
        if !ids.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!ids.is_empty(), "leastcap never loaded its programs");
    let children =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    tracer.kill().expect("kill -9");
    tracer.wait().expect("reap");
    for child in children.split_whitespace() {
        let _ = Command::new("kill").args(["-9", child]).status();
    }
    // The kernel frees programs asynchronously after the last fd closes.
    let mut remaining = ids.clone();
    for _ in 0..200 {
        let loaded: Vec<u32> = leastcap_bpf::loaded_leastcap_programs()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        remaining.retain(|id| loaded.contains(id));
        if remaining.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        remaining.is_empty(),
        "programs {remaining:?} of the killed tracer are still loaded"
    );
}

#[test]
fn attaches_to_a_running_process_for_a_while() {
    if !testkit::privileged("attaches_to_a_running_process_for_a_while") {
        return;
    }
    let mut sleeper = Command::new("sleep").arg("30").spawn().expect("sleep");
    let pid = sleeper.id().to_string();
    let (code, checks, summary) = trace_json(&["--pid", &pid, "--duration", "0.3"]);
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert_eq!(code, 0, "{summary}");
    assert!(
        checks.is_empty(),
        "a sleeping process made checks: {checks:#?}"
    );
    assert_eq!(summary["checks"], 0);
    assert_eq!(summary["target"], format!("process {pid}"));
}
