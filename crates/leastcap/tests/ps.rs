//! `leastcap ps` against the real kernel, with libcap (getpcaps, capsh), libcap-ng (pscap)
//! and util-linux (setpriv, unshare) as oracles.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use leastcap_model::{Cap, CapSet, CapState, KernelCaps};
use leastcap_testkit::{output, privileged, tool};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_leastcap");

/// A child process that is always killed and reaped, even when the test fails.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Running {
    fn pid(&self) -> u32 {
        self.0.id()
    }
}

/// Starts `argv` and waits (a bounded number of polls) until it has exec'd `comm`.
fn start(argv: &[&str], comm: &str) -> Running {
    let child = Command::new(argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("start the test process");
    let running = Running(child);
    let path = format!("/proc/{}/comm", running.pid());
    for _ in 0..2000 {
        if std::fs::read_to_string(&path).is_ok_and(|c| c.trim() == comm) {
            return running;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("{argv:?} never became '{comm}'");
}

fn kernel() -> KernelCaps {
    let last: u8 = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .expect("cap_last_cap")
        .trim()
        .parse()
        .expect("number");
    KernelCaps::new(Cap::new(last).expect("in range"))
}

/// Runs a command, retrying while exec fails with ETXTBSY: a binary just copied by this
/// multi-threaded test process can briefly stay open for writing in a child that another test
/// thread forked at that moment (until that child execs).
fn run_retrying(mut make: impl FnMut() -> Command) -> (i32, String, String) {
    for _ in 0..50 {
        let result = output(&mut make());
        if !(result.0 == 126 && result.2.contains("Text file busy")) {
            return result;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the copied binary stayed busy");
}

fn leastcap(args: &[&str]) -> (i32, String, String) {
    output(
        Command::new(BIN)
            .args(args)
            .env_remove("LEASTCAP_CAP_LAST_CAP"),
    )
}

fn ps_json(args: &[&str]) -> Value {
    let mut all = vec!["ps", "--json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = leastcap(&all);
    assert_eq!(code, 0, "leastcap {all:?} failed: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("invalid JSON ({e}): {stdout}"))
}

fn find_process(report: &Value, pid: u32) -> Option<&Value> {
    report["processes"]
        .as_array()
        .expect("processes array")
        .iter()
        .find(|p| p["pid"] == pid)
}

fn mask(set: &Value) -> CapSet {
    let text = set["mask"].as_str().expect("mask string");
    CapSet::from_bits(u64::from_str_radix(text.trim_start_matches("0x"), 16).expect("hex"))
}

/// The five sets of a `status` object from the JSON, in P, E, I, A, B order.
fn sets(status: &Value) -> [CapSet; 5] {
    let caps = &status["caps"];
    [
        "permitted",
        "effective",
        "inheritable",
        "ambient",
        "bounding",
    ]
    .map(|name| mask(&caps[name]))
}

fn bits(list: &[u8]) -> CapSet {
    CapSet::from_caps(list.iter().map(|n| Cap::new(*n).expect("cap")))
}

/// getpcaps' view of a pid or tid, parsed with the model's libcap text parser.
fn getpcaps(pid: u32) -> CapState {
    let (code, stdout, stderr) = output(Command::new("getpcaps").arg(pid.to_string()));
    assert_eq!(code, 0, "getpcaps: {stderr}");
    let text = stdout
        .trim()
        .strip_prefix(&format!("{pid}:"))
        .unwrap_or_else(|| panic!("unexpected getpcaps output: {stdout}"));
    CapState::from_text(text.trim(), kernel()).expect("getpcaps text parses")
}

/// pscap's line for a pid: (permitted names without cap_ or "full", ambient marker,
/// bounding marker, user-namespace marker).
fn pscap(pid: u32) -> Option<(BTreeSet<String>, bool, bool, bool)> {
    let (code, stdout, stderr) = output(Command::new("pscap").arg("-a"));
    assert_eq!(code, 0, "pscap: {stderr}");
    for line in stdout.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.get(1) != Some(&pid.to_string().as_str()) {
            continue;
        }
        // ppid pid name command [*] caps... [@] [+]
        let mut rest: Vec<&str> = fields[4..].to_vec();
        let userns = rest.first() == Some(&"*");
        if userns {
            rest.remove(0);
        }
        let bounding = rest.last() == Some(&"+");
        if bounding {
            rest.pop();
        }
        let ambient = rest.last() == Some(&"@");
        if ambient {
            rest.pop();
        }
        let names = rest
            .join(" ")
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        return Some((names, ambient, bounding, userns));
    }
    None
}

fn pscap_names(set: CapSet, kernel: KernelCaps) -> BTreeSet<String> {
    if set == kernel.all() {
        return ["full".to_string()].into();
    }
    set.iter()
        .map(|cap| cap.to_string().trim_start_matches("cap_").to_string())
        .collect()
}

/// Checks one live process against getpcaps and pscap.
fn agrees_with_oracles(pid: u32, status: &Value, userns: bool) {
    let k = kernel();
    let [p, e, i, a, b] = sets(status);
    let libcap = getpcaps(pid);
    assert_eq!(
        (libcap.permitted, libcap.effective, libcap.inheritable),
        (p, e, i),
        "getpcaps {pid}"
    );
    if e.is_empty() {
        return; // pscap lists only processes with an effective capability.
    }
    let (names, ambient, bounding, ns) = pscap(pid).expect("pscap lists the process");
    assert_eq!(names, pscap_names(p, k), "pscap permitted set of {pid}");
    assert_eq!(ambient, !a.is_empty(), "pscap ambient marker of {pid}");
    assert_eq!(bounding, !b.is_empty(), "pscap bounding marker of {pid}");
    assert_eq!(ns, userns, "pscap user-namespace marker of {pid}");
}

#[test]
fn setpriv_sets_are_reported_exactly() {
    let test = "setpriv_sets_are_reported_exactly";
    if !privileged(test)
        || !tool(test, "setpriv")
        || !tool(test, "getpcaps")
        || !tool(test, "pscap")
    {
        return;
    }
    let child = start(
        &[
            "setpriv",
            "--inh-caps=-all,+net_raw,+kill",
            "--ambient-caps=-all,+net_raw",
            "--bounding-set=-all,+net_raw,+kill,+chown",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            "sleep",
            "30",
        ],
        "sleep",
    );
    let report = ps_json(&["--pid", &child.pid().to_string()]);
    let process = find_process(&report, child.pid()).expect("listed");
    let status = &process["status"];
    let [p, e, i, a, b] = sets(status);
    assert_eq!(p, bits(&[13]));
    assert_eq!(e, bits(&[13]));
    assert_eq!(i, bits(&[5, 13]));
    assert_eq!(a, bits(&[13]));
    assert_eq!(b, bits(&[0, 5, 13]));
    assert_eq!(
        status["caps"]["inheritable"]["caps"],
        serde_json::json!(["cap_kill", "cap_net_raw"])
    );
    assert_eq!(
        status["uids"],
        serde_json::json!([65534, 65534, 65534, 65534])
    );
    assert_eq!(status["groups"], serde_json::json!([]));
    assert_eq!(process["user"], "nobody");
    assert_eq!(process["exe"], "/usr/bin/sleep");
    assert_eq!(process["user_ns"]["initial"], true);
    assert_eq!(status["no_new_privs"], false);
    assert_eq!(status["seccomp"], 0);
    agrees_with_oracles(child.pid(), status, false);

    // The default view lists it (it holds a capability), and the text is compact.
    let (code, text, _) = leastcap(&["ps", "--color=never"]);
    assert_eq!(code, 0);
    let line = text
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(&child.pid().to_string()))
        .unwrap_or_else(|| panic!("default view lacks {}: {text}", child.pid()));
    assert!(
        line.contains("pe=cap_net_raw i=cap_kill, cap_net_raw a=cap_net_raw b=cap_chown, cap_kill, cap_net_raw"),
        "{line}"
    );
}

#[test]
fn capsh_sets_are_reported_exactly() {
    let test = "capsh_sets_are_reported_exactly";
    if !privileged(test) || !tool(test, "capsh") || !tool(test, "getpcaps") || !tool(test, "pscap")
    {
        return;
    }
    let child = start(
        &[
            "capsh",
            "--keep=1",
            "--user=nobody",
            "--caps=cap_net_raw,cap_kill+eip",
            "--addamb=cap_net_raw",
            "--",
            "-c",
            "exec sleep 30",
        ],
        "sleep",
    );
    let report = ps_json(&["--pid", &child.pid().to_string()]);
    let status = &find_process(&report, child.pid()).expect("listed")["status"];
    let [p, e, i, a, b] = sets(status);
    assert_eq!(
        (p, e, i, a),
        (bits(&[13]), bits(&[13]), bits(&[5, 13]), bits(&[13]))
    );
    let own_bounding = leastcap_model::ProcStatus::parse(
        &std::fs::read_to_string("/proc/self/status").expect("own status"),
    )
    .expect("parse")
    .caps
    .bounding;
    assert_eq!(b, own_bounding, "capsh did not touch the bounding set");
    agrees_with_oracles(child.pid(), status, false);
}

#[test]
fn a_thread_that_changed_its_caps_is_shown_with_its_own_sets() {
    let test = "a_thread_that_changed_its_caps_is_shown_with_its_own_sets";
    if !privileged(test) || !tool(test, "getpcaps") {
        return;
    }
    let own = leastcap_sys::read_thread_state().expect("own state");
    let Some(cap) = own
        .caps
        .effective
        .iter()
        .find(|c| *c == Cap::NET_RAW)
        .or(own.caps.effective.iter().next())
    else {
        assert!(leastcap_testkit::skip_or_fail(
            test,
            "no effective capability to drop"
        ));
        return;
    };
    let (tid_tx, tid_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let worker = std::thread::spawn(move || {
        leastcap_sys::thread_state::drop_own_effective(cap).expect("drop own effective cap");
        tid_tx
            .send(leastcap_sys::thread_state::gettid())
            .expect("send tid");
        let _ = done_rx.recv();
    });
    let tid = tid_rx.recv().expect("worker tid");
    let pid = std::process::id();

    for args in [
        vec!["--pid".to_string(), pid.to_string()],
        vec!["--all".to_string()],
        vec![],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let report = ps_json(&args);
        let process =
            find_process(&report, pid).unwrap_or_else(|| panic!("{args:?}: own process missing"));
        let [_, leader_e, ..] = sets(&process["status"]);
        assert!(leader_e.contains(cap), "the leader keeps {cap}");
        let threads = process["threads"].as_array().expect("threads array");
        let thread = threads
            .iter()
            .find(|t| t["tid"] == tid)
            .unwrap_or_else(|| panic!("{args:?}: thread {tid} not listed: {threads:?}"));
        let [p, e, ..] = sets(&thread["status"]);
        assert!(!e.contains(cap), "{args:?}: the thread's own effective set");
        assert_eq!(e, leader_e.without(cap));
        assert!(p.contains(cap), "permitted untouched");
        assert_eq!(thread["differs_in"], serde_json::json!(["effective"]));
        // Threads with the leader's credentials are not listed without --threads.
        assert!(threads
            .iter()
            .all(|t| t["differs_in"].as_array().is_some_and(|d| !d.is_empty())));
    }
    let libcap = getpcaps(tid);
    assert!(
        !libcap.effective.contains(cap),
        "getpcaps agrees for the thread"
    );

    // --pid TID selects the thread; --threads lists the identical ones too.
    let report = ps_json(&["--pid", &tid.to_string()]);
    let process = find_process(&report, pid).expect("the thread's process");
    assert_eq!(process["threads"].as_array().map(Vec::len), Some(1));
    let report = ps_json(&["--pid", &pid.to_string(), "--threads"]);
    let threads = find_process(&report, pid).expect("own process")["threads"]
        .as_array()
        .cloned();
    assert!(threads.is_some_and(|t| t.iter().any(|t| t["differs_in"] == serde_json::json!([]))));

    done_tx.send(()).expect("release worker");
    worker.join().expect("worker");
}

#[test]
fn a_process_in_a_child_user_namespace_is_flagged() {
    let test = "a_process_in_a_child_user_namespace_is_flagged";
    if !privileged(test)
        || !tool(test, "unshare")
        || !tool(test, "pscap")
        || !tool(test, "getpcaps")
    {
        return;
    }
    let child = start(
        &["unshare", "--user", "--map-root-user", "sleep", "30"],
        "sleep",
    );
    let report = ps_json(&["--pid", &child.pid().to_string()]);
    let process = find_process(&report, child.pid()).expect("listed");
    assert_eq!(process["user_ns"]["initial"], false);
    assert_ne!(process["user_ns"]["inode"], leastcap_procs_initial());
    agrees_with_oracles(child.pid(), &process["status"], true);
}

fn leastcap_procs_initial() -> u64 {
    0xEFFF_FFFD
}

fn own_binary_for_others(dir: &Path) -> PathBuf {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod dir");
    let target = dir.join("leastcap");
    std::fs::copy(BIN, &target).expect("copy leastcap");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    target
}

/// The environments capsh and leastcap are both run in: a launcher (setpriv or capsh) and its
/// arguments; the program to run follows.
const ENVIRONMENTS: &[&[&str]] = &[
    &["setpriv"],
    &["setpriv", "--inh-caps=-all,+net_raw,+kill", "--ambient-caps=-all,+net_raw"],
    &["setpriv", "--bounding-set=-all,+net_raw,+chown,+setpcap", "--inh-caps=-all,+chown"],
    &["setpriv", "--reuid=65534", "--regid=65534", "--groups=4,27,65534"],
    &["setpriv", "--reuid=65534", "--regid=12345", "--clear-groups", "--no-new-privs"],
    &["setpriv", "--securebits=+noroot,+noroot_locked,+no_setuid_fixup,+no_setuid_fixup_locked,+keep_caps_locked"],
    &["capsh", "--drop=cap_sys_admin,cap_net_raw", "--inh=cap_kill,cap_chown"],
    // setpriv 2.38 cannot set the ambient-raise securebits; capsh can (0xef = locked down).
    &["capsh", "--secbits=0xef", "--inh=cap_kill"],
    &["capsh", "--secbits=0xef", "--drop=all"],
    &["capsh", "--secbits=0xef", "--inh=", "--drop=all", "--caps="],
];

fn in_environment(environment: &[&str], program: &[&str]) -> (i32, String, String) {
    run_retrying(|| {
        let mut command = Command::new(environment[0]);
        command.args(&environment[1..]).arg("--");
        if environment[0] == "capsh" {
            command.args(["-c", "exec \"$0\" \"$@\""]);
        }
        command.args(program).env_remove("LEASTCAP_CAP_LAST_CAP");
        command
    })
}

#[test]
fn ps_self_matches_capsh_print_field_by_field() {
    let test = "ps_self_matches_capsh_print_field_by_field";
    if !privileged(test) || !tool(test, "setpriv") || !tool(test, "capsh") {
        return;
    }
    let dir = leastcap_testkit::temp_dir();
    let binary = own_binary_for_others(dir.path());
    let binary = binary.to_str().expect("utf-8 path");
    let capsh = leastcap_testkit::which("capsh").expect("capsh");
    let capsh = capsh.to_str().expect("utf-8 path");
    let mut modes = BTreeSet::new();
    for environment in ENVIRONMENTS {
        let (capsh_code, capsh, capsh_err) = in_environment(environment, &[capsh, "--print"]);
        assert_eq!(capsh_code, 0, "{environment:?}: capsh: {capsh_err}");
        let (code, ours, err) = in_environment(environment, &[binary, "ps", "--self"]);
        assert_eq!(code, 0, "{environment:?}: leastcap: {err}");
        let capsh_lines: Vec<&str> = capsh.lines().collect();
        let our_lines: Vec<&str> = ours.lines().collect();
        for (index, expected) in capsh_lines.iter().enumerate() {
            assert_eq!(
                our_lines.get(index),
                Some(expected),
                "{environment:?}: line {}",
                index + 1
            );
        }
        assert_eq!(our_lines.len(), capsh_lines.len(), "{environment:?}");
        if let Some(mode) = capsh_lines.last() {
            modes.insert(mode.to_string());
        }

        let (code, json, err) = in_environment(environment, &[binary, "ps", "--self", "--json"]);
        assert_eq!(code, 0, "{err}");
        let value: Value = serde_json::from_str(&json).expect("JSON");
        assert_eq!(
            value["lines"].as_array().map(Vec::len),
            Some(capsh_lines.len())
        );
    }
    // The environments exercise several of libcap's guessed modes, not just one.
    assert!(modes.len() >= 3, "{modes:?}");
}

#[test]
fn hidden_fields_are_reported_as_hidden() {
    let test = "hidden_fields_are_reported_as_hidden";
    if !privileged(test) || !tool(test, "setpriv") {
        return;
    }
    let dir = leastcap_testkit::temp_dir();
    let binary = own_binary_for_others(dir.path());
    let me = std::process::id().to_string();
    let (code, stdout, stderr) = output(
        Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
                "--",
            ])
            .arg(&binary)
            .args(["ps", "--json", "--pid", &me]),
    );
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    let process = find_process(&report, std::process::id()).expect("own process listed");
    // A user cannot ptrace-read root's process: exe and the namespace link are refused…
    assert_eq!(
        process["exe"],
        serde_json::json!({"hidden": "permission denied"})
    );
    assert_eq!(
        process["user_ns"],
        serde_json::json!({"hidden": "permission denied"})
    );
    // …but status stays readable, and is not hidden.
    assert_eq!(process["status"]["uids"][0], 0);
    assert_eq!(report["summary"]["with_hidden_fields"], 1);

    let (code, text, _) = output(
        Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
                "--",
            ])
            .arg(&binary)
            .args(["ps", "--pid", &me]),
    );
    assert_eq!(code, 0);
    assert!(
        text.contains("exe           hidden (permission denied)"),
        "{text}"
    );
}

#[test]
fn filters_by_cap_and_user() {
    let test = "filters_by_cap_and_user";
    if !privileged(test) || !tool(test, "setpriv") {
        return;
    }
    let child = start(
        &[
            "setpriv",
            "--inh-caps=-all,+net_raw,+kill",
            "--ambient-caps=-all,+net_raw",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            "sleep",
            "30",
        ],
        "sleep",
    );
    let pid = child.pid();
    let raw = ps_json(&["--cap", "net_raw"]);
    let row = find_process(&raw, pid).expect("net_raw holder listed");
    assert_eq!(
        row["can_use"],
        serde_json::json!(["effective", "permitted", "ambient", "inheritable"])
    );
    let kill = ps_json(&["--cap", "CAP_KILL", "--user", "nobody"]);
    assert_eq!(
        find_process(&kill, pid).map(|r| r["can_use"].clone()),
        Some(serde_json::json!(["inheritable"]))
    );
    assert!(
        find_process(&kill, std::process::id()).is_none(),
        "root is not nobody"
    );
    let bpf = ps_json(&["--cap", "bpf", "--user", "65534"]);
    assert!(find_process(&bpf, pid).is_none());

    let (code, _, err) = leastcap(&["ps", "--cap", "cap_nosuch"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = leastcap(&["ps", "--user", "no-such-user-here"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_missing_pid_is_an_error_naming_it() {
    let (code, stdout, stderr) = leastcap(&["ps", "--pid", "4194399"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stderr.contains("no process 4194399"), "{stderr}");
    let own = std::process::id().to_string();
    let (code, stdout, _) = leastcap(&["ps", "--json", "--pid", &own, "4194399"]);
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["missing"], serde_json::json!([4194399]));
    assert!(
        find_process(&report, std::process::id()).is_some(),
        "the others are still shown"
    );
}

#[test]
fn tree_puts_parents_before_children() {
    let report = ps_json(&["--all", "--tree"]);
    let processes = report["processes"].as_array().expect("array");
    let position: std::collections::HashMap<u64, usize> = processes
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p["pid"].as_u64().map(|pid| (pid, i)))
        .collect();
    let mut checked = 0;
    for (index, process) in processes.iter().enumerate() {
        if let Some(parent) = process["status"]["ppid"]
            .as_u64()
            .and_then(|pp| position.get(&pp))
        {
            if processes[*parent]["pid"] != process["pid"] {
                assert!(
                    *parent < index,
                    "{} listed before its parent",
                    process["pid"]
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 0, "some parent/child pair was checked");
}

#[test]
fn processes_exiting_mid_read_never_cause_an_error() {
    let stop = Arc::new(AtomicBool::new(false));
    let churn = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut started = 0u32;
            while !stop.load(Ordering::Relaxed) && started < 20_000 {
                let mut batch = Vec::new();
                for _ in 0..20 {
                    if let Ok(child) = Command::new("sleep")
                        .arg("0.01")
                        .stdout(Stdio::null())
                        .spawn()
                    {
                        batch.push(Running(child));
                        started += 1;
                    }
                }
                // Half exit by themselves, half are killed mid-life.
                for (index, mut child) in batch.into_iter().enumerate() {
                    if index % 2 == 0 {
                        let _ = child.0.wait();
                    }
                    drop(child);
                }
            }
            started
        })
    };
    let mut vanished_total = 0u64;
    for round in 0..25 {
        let args: &[&str] = if round % 2 == 0 {
            &["--all"]
        } else {
            &["--all", "--threads", "--tree"]
        };
        let report = ps_json(args);
        vanished_total += report["summary"]["vanished"]
            .as_u64()
            .expect("vanished count");
        assert!(report["summary"]["read"].as_u64().expect("read count") > 0);
        let (code, _, stderr) = leastcap(&["ps", "--all", "--threads"]);
        assert_eq!(code, 0, "text view: {stderr}");
    }
    stop.store(true, Ordering::Relaxed);
    let started = churn.join().expect("churn thread");
    assert!(started > 0);
    eprintln!(
        "{started} short-lived processes; {vanished_total} vanished mid-read and were skipped"
    );
}

#[test]
fn hidepid_makes_status_hidden_and_is_reported() {
    let test = "hidepid_makes_status_hidden_and_is_reported";
    if !privileged(test) || !tool(test, "unshare") || !tool(test, "setpriv") {
        return;
    }
    let dir = leastcap_testkit::temp_dir();
    let binary = own_binary_for_others(dir.path());
    // A private pid namespace with its own /proc instance, remounted with hidepid=1 there
    // only; everything in it dies with its init when the script ends.
    let script = format!(
        "mount -o remount,hidepid=1 /proc || exit 99\n\
         sleep 30 &\n\
         setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all -- '{}' ps --all --json\n\
         status=$?\n\
         kill $!\n\
         exit $status\n",
        binary.display()
    );
    let (code, stdout, stderr) = run_retrying(|| {
        let mut command = Command::new("unshare");
        command.args([
            "--mount",
            "--pid",
            "--fork",
            "--mount-proc",
            "sh",
            "-c",
            &script,
        ]);
        command
    });
    if code == 99 {
        assert!(leastcap_testkit::skip_or_fail(
            test,
            "cannot remount a private /proc with hidepid"
        ));
        return;
    }
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["proc_hidepid"], "noaccess");
    let init = find_process(&report, 1).expect("pid 1 of the namespace is listed");
    assert_eq!(
        init["status"],
        serde_json::json!({"hidden": "permission denied"})
    );
    assert_eq!(
        init["exe"],
        serde_json::json!({"hidden": "permission denied"})
    );
    assert!(report["summary"]["with_hidden_fields"].as_u64() >= Some(2));
    let ours = report["processes"]
        .as_array()
        .expect("array")
        .iter()
        .find(|p| p["status"]["uids"][0] == 65534)
        .expect("leastcap itself is readable");
    assert!(ours["exe"]
        .as_str()
        .is_some_and(|exe| exe.ends_with("/leastcap")));
}

#[test]
fn control_characters_in_comm_and_exe_are_escaped() {
    let dir = leastcap_testkit::temp_dir();
    let name = "evil\u{1b}[31mred";
    let program = leastcap_testkit::copy_binary(Path::new("/bin/sleep"), dir.path(), name);
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let child = start(&[program.to_str().expect("utf-8"), "30"], name);
    let (code, text, _) = leastcap(&["ps", "--pid", &child.pid().to_string(), "--color=always"]);
    assert_eq!(code, 0);
    assert!(
        !text.contains("\u{1b}[31mred"),
        "raw escape sequence printed: {text:?}"
    );
    assert!(text.contains("evil\\x1b[31mred"), "{text}");
    let report = ps_json(&["--pid", &child.pid().to_string()]);
    let process = find_process(&report, child.pid()).expect("listed");
    assert_eq!(process["status"]["comm"], name, "JSON keeps the exact name");
}

#[test]
fn the_default_view_is_ranked_most_dangerous_first() {
    let test = "the_default_view_is_ranked_most_dangerous_first";
    if !privileged(test) || !tool(test, "setpriv") {
        return;
    }
    // One process with a single capability whose verdict comes from the knowledge base, next
    // to this root test process (full capabilities: root-equivalent).
    let child = start(
        &[
            "setpriv",
            "--inh-caps=-all,+net_bind_service",
            "--ambient-caps=-all,+net_bind_service",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            "sleep",
            "30",
        ],
        "sleep",
    );
    let order = [
        "kernel-thread",
        "none",
        "namespaced",
        "limited",
        "conditional",
        "uid-0",
        "root-equivalent",
    ];
    let rank = |label: &Value| {
        order
            .iter()
            .position(|l| label == l)
            .unwrap_or_else(|| panic!("unknown level {label}"))
    };
    let report = ps_json(&[]);
    let processes = report["processes"].as_array().expect("array");
    let levels: Vec<usize> = processes
        .iter()
        .map(|p| rank(&p["worst"]["level"]))
        .collect();
    assert!(
        levels.windows(2).all(|w| w[0] >= w[1]),
        "not ranked: {levels:?}"
    );
    assert!(
        processes.iter().all(|p| p["worst"]["level"] != "none"),
        "unprivileged rows shown"
    );
    let me = find_process(&report, std::process::id()).expect("this root process");
    assert_eq!(me["risk"]["level"], "root-equivalent");
    let expected = match leastcap_model::kb::info(Cap::NET_BIND_SERVICE).map(|i| i.verdict) {
        Some(leastcap_model::kb::Verdict::No) => "limited",
        Some(leastcap_model::kb::Verdict::RootEquivalent) => "root-equivalent",
        _ => "conditional",
    };
    let row = find_process(&report, child.pid()).expect("the capability holder");
    assert_eq!(row["risk"]["level"], expected);
    assert_eq!(
        row["risk"]["held"]["caps"],
        serde_json::json!(["cap_net_bind_service"])
    );
}
