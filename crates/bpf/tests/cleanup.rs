//! After the tracer is dropped, or its process is killed with SIGKILL, none of its BPF
//! programs stays loaded (they are attached through file descriptors only, never pinned).

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{privileged, serial};
use leastcap_bpf::{loaded_leastcap_programs, Target, TraceOptions, Tracer};

const HOLDER_ENV: &str = "LEASTCAP_TEST_TRACER_HOLDER";

fn ids() -> BTreeSet<u32> {
    loaded_leastcap_programs()
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

/// The kernel frees a program once its last link and fd are gone, after an RCU grace period.
/// Waits for that (a bounded number of looks; not a timing assertion) and returns what is
/// still loaded.
fn remaining_after_release(ours: &BTreeSet<u32>) -> BTreeSet<u32> {
    let mut left = ours.clone();
    for _ in 0..200 {
        left = ids().intersection(ours).copied().collect();
        if left.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    left
}

#[test]
fn no_program_remains_after_the_tracer_is_dropped() {
    if !privileged("no_program_remains_after_the_tracer_is_dropped") {
        return;
    }
    let _guard = serial();
    let before = ids();
    let tracer = Tracer::start(Target::Pid(std::process::id()), TraceOptions::default())
        .expect("tracer starts");
    let ours: BTreeSet<u32> = ids().difference(&before).copied().collect();
    // The capability-check program and the three tracking programs.
    assert_eq!(ours.len(), 4, "programs: {:?}", loaded_leastcap_programs());
    drop(tracer);
    let left = remaining_after_release(&ours);
    assert!(left.is_empty(), "still loaded after drop: {left:?}");
}

#[test]
fn no_program_remains_after_kill_9() {
    if !privileged("no_program_remains_after_kill_9") {
        return;
    }
    let _guard = serial();
    let mut holder = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "tracer_holder_process",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HOLDER_ENV, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn holder");
    let stdout = holder.stdout.take().expect("stdout");
    let mut ours = BTreeSet::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("read holder");
        // libtest may print "test NAME ... " on the same line first.
        if let Some((_, list)) = line.split_once("LEASTCAP-HOLDER-READY") {
            ours = list
                .split_whitespace()
                .map(|id| id.parse().expect("id"))
                .collect();
            break;
        }
    }
    assert!(!ours.is_empty(), "the holder process reported no program");
    assert!(ours.is_subset(&ids()), "the holder's programs are loaded");
    holder.kill().expect("SIGKILL");
    holder.wait().expect("reap");
    let left = remaining_after_release(&ours);
    assert!(left.is_empty(), "still loaded after kill -9: {left:?}");
}

/// Not a test on its own: the process `no_program_remains_after_kill_9` starts and kills.
#[test]
#[ignore = "helper process for no_program_remains_after_kill_9"]
fn tracer_holder_process() {
    if std::env::var(HOLDER_ENV).is_err() {
        return;
    }
    let before = ids();
    let _tracer = Tracer::start(Target::Pid(std::process::id()), TraceOptions::default())
        .expect("tracer starts");
    let ours: Vec<String> = ids().difference(&before).map(|id| id.to_string()).collect();
    // Straight to the file descriptor: the test harness may capture `println!`.
    let mut stdout = std::io::stdout();
    writeln!(stdout, "LEASTCAP-HOLDER-READY {}", ours.join(" ")).expect("write");
    stdout.flush().expect("flush");
    // Killed by the test long before this ends; bounded so a failed test leaves no orphan.
    for _ in 0..300 {
        std::thread::sleep(Duration::from_secs(1));
    }
}
