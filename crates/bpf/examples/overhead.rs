//! Overhead of tracing capability checks: a loop of N `ioprio_set(IOPRIO_CLASS_RT)` calls,
//! each making exactly one capability check, timed inside the traced program, untraced and
//! under each tracer mode. Needs root. Run with
//! `cargo run --release -p leastcap-bpf --example overhead -- [N]` (default 1,000,000).
//! Results go to docs/benchmarks.md by hand; this prints a Markdown table.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use leastcap_bpf::{Output, Target, TraceOptions, Tracer};

fn build_capprog() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("leastcap-overhead-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let binary = dir.join("capprog");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/capprog.c");
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-O2", "-pthread", "-o"])
        .arg(&binary)
        .arg(&source)
        .status()
        .expect("run cc");
    assert!(status.success(), "compiling capprog.c failed");
    binary
}

/// Runs the loop, tracing it with `options` if given; returns (ns per call, events read, lost).
fn run(capprog: &Path, n: u64, options: Option<TraceOptions>, bystander: bool) -> (f64, u64, u64) {
    let mut child = Command::new(capprog)
        .args(["ioprio", &n.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn capprog");
    let tracer = options.map(|options| {
        // A bystander run traces this process instead: the cost paid by untraced processes.
        let (pid, options) = if bystander {
            let options = TraceOptions {
                include_existing_descendants: false,
                ..options
            };
            (std::process::id(), options)
        } else {
            (child.id(), options)
        };
        Tracer::start(Target::Pid(pid), options).expect("tracer starts")
    });
    let done = Arc::new(AtomicBool::new(false));
    let consumer = tracer.map(|mut tracer| {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut events = 0u64;
            while !done.load(Ordering::Relaxed) {
                events += tracer.poll(Duration::from_millis(50)).expect("poll").len() as u64;
            }
            events += tracer.drain().len() as u64;
            let aggregated: u64 = tracer
                .aggregate()
                .expect("aggregate")
                .iter()
                .map(|e| e.count)
                .sum();
            let lost = tracer.stats().expect("stats").lost;
            (events + aggregated, lost)
        })
    });
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"g")
        .expect("release");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read result");
    assert!(child.wait().expect("wait").success());
    done.store(true, Ordering::Relaxed);
    let (events, lost) = consumer
        .map(|c| c.join().expect("consumer"))
        .unwrap_or((0, 0));
    let ns: f64 = line
        .split_whitespace()
        .nth(2)
        .and_then(|v| v.parse().ok())
        .expect("capprog prints: ioprio N NANOSECONDS");
    (ns / n as f64, events, lost)
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    assert!(
        leastcap_bpf::have_privileges(),
        "needs root or CAP_BPF + CAP_PERFMON"
    );
    let capprog = build_capprog();
    let sys_admin = 1u64 << 21;
    let modes: Vec<(&str, Option<TraceOptions>)> = vec![
        ("untraced", None),
        (
            "tracer attached, this process not traced",
            Some(TraceOptions::default()),
        ),
        (
            "events, batched wakeups (default: 1 MiB of a 4 MiB ring)",
            Some(TraceOptions::default()),
        ),
        (
            "events, batched wakeups (64 KiB)",
            Some(TraceOptions {
                wakeup_bytes: 64 << 10,
                ..TraceOptions::default()
            }),
        ),
        (
            "events, wakeup per event",
            Some(TraceOptions {
                wakeup_bytes: 0,
                ..TraceOptions::default()
            }),
        ),
        (
            "summary (in-kernel aggregate)",
            Some(TraceOptions {
                output: Output::Aggregate,
                ..TraceOptions::default()
            }),
        ),
        (
            "summary + kernel stack per check",
            Some(TraceOptions {
                output: Output::Aggregate,
                stack_caps: sys_admin,
                ..TraceOptions::default()
            }),
        ),
        (
            "events + kernel stack per check",
            Some(TraceOptions {
                stack_caps: sys_admin,
                ..TraceOptions::default()
            }),
        ),
    ];
    let backend = Tracer::start(Target::Pid(std::process::id()), TraceOptions::default())
        .expect("tracer")
        .backend()
        .backend;
    println!("{n} ioprio_set calls, one capability check each; backend {backend}\n");
    println!("| mode | ns/call | added per check | ratio | checks recorded | lost |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut baseline = None;
    for (index, (name, options)) in modes.into_iter().enumerate() {
        let (ns, events, lost) = run(&capprog, n, options, index == 1);
        let base = *baseline.get_or_insert(ns);
        println!(
            "| {name} | {ns:.0} | {:+.0} ns | {:.2} | {events} | {lost} |",
            ns - base,
            ns / base
        );
    }
    let _ = std::fs::remove_dir_all(capprog.parent().expect("dir"));
}
