//! Overhead of tracing capability checks: a loop of N `ioprio_set(IOPRIO_CLASS_RT)` calls,
//! each making exactly one capability check, timed inside the traced program, untraced and
//! under each tracer mode. Needs root. Run with
//! `cargo run --release -p leastcap-bpf --example overhead -- [N]` (default 1,000,000).
//! Results go to docs/benchmarks.md by hand; this prints a Markdown table.
//!
//! When tracefs is mounted at /sys/kernel/tracing the same loop is also measured with the
//! `capability:cap_capable` event in a private tracefs instance (removed afterwards). Where it
//! is not mounted, run the example inside a private mount namespace:
//! `unshare --mount --propagation private sh -c 'mount -t tracefs nodev /sys/kernel/tracing &&
//! exec target/release/examples/overhead'`.

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

/// How the loop is observed.
enum Mode {
    Untraced,
    Bpf {
        options: TraceOptions,
        bystander: bool,
    },
    Tracefs {
        traced: bool,
    },
    /// Debian's bpftrace on the classic tracepoint: in-kernel counts, or a printf per check.
    Bpftrace {
        printf: bool,
    },
}

const TRACEFS: &str = "/sys/kernel/tracing";

/// A private tracefs instance with the cap_capable event enabled for one pid.
struct TracefsInstance {
    dir: PathBuf,
}

impl TracefsInstance {
    fn new(pid: u32) -> TracefsInstance {
        let dir = Path::new(TRACEFS)
            .join("instances")
            .join(format!("leastcap-bench-{}", std::process::id()));
        std::fs::create_dir(&dir).expect("create tracefs instance");
        let instance = TracefsInstance { dir };
        std::fs::write(instance.dir.join("set_event_pid"), pid.to_string()).expect("set_event_pid");
        std::fs::write(
            instance.dir.join("events/capability/cap_capable/enable"),
            "1",
        )
        .expect("enable event");
        instance
    }
}

impl Drop for TracefsInstance {
    fn drop(&mut self) {
        let _ = std::fs::write(self.dir.join("events/capability/cap_capable/enable"), "0");
        let _ = std::fs::remove_dir(&self.dir);
    }
}

fn run_mode(capprog: &Path, n: u64, mode: Mode) -> (f64, u64, u64) {
    match mode {
        Mode::Untraced => run(capprog, n, None, false),
        Mode::Bpf { options, bystander } => run(capprog, n, Some(options), bystander),
        Mode::Bpftrace { printf } => run_bpftrace(capprog, n, printf),
        Mode::Tracefs { traced } => {
            let mut child = Command::new(capprog)
                .args(["ioprio", &n.to_string()])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("spawn capprog");
            let pid = if traced {
                child.id()
            } else {
                std::process::id()
            };
            let instance = TracefsInstance::new(pid);
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
            let entries = std::fs::read_to_string(instance.dir.join("per_cpu/cpu0/stats"))
                .ok()
                .and_then(|stats| {
                    stats
                        .lines()
                        .find_map(|l| l.strip_prefix("entries: "))
                        .and_then(|v| v.trim().parse().ok())
                })
                .unwrap_or(0);
            drop(instance);
            let ns: f64 = line
                .split_whitespace()
                .nth(2)
                .and_then(|v| v.parse().ok())
                .expect("capprog prints: ioprio N NANOSECONDS");
            (ns / n as f64, entries, 0)
        }
    }
}

fn run_bpftrace(capprog: &Path, n: u64, printf: bool) -> (f64, u64, u64) {
    let mut child = Command::new(capprog)
        .args(["ioprio", &n.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn capprog");
    let action = if printf {
        r#"printf("%d %d %d\n", tid, args->cap, args->ret);"#
    } else {
        "@[args->cap, args->ret] = count();"
    };
    let script = format!(
        "tracepoint:capability:cap_capable /pid == {}/ {{ {action} }}",
        child.id()
    );
    let mut bpftrace = Command::new("bpftrace")
        .args(["-e", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn bpftrace");
    let mut out = BufReader::new(bpftrace.stdout.take().expect("stdout"));
    let mut line = String::new();
    while out.read_line(&mut line).expect("read bpftrace") > 0 && !line.starts_with("Attaching") {
        line.clear();
    }
    let counter = std::thread::spawn(move || {
        let mut lines = 0u64;
        let mut line = String::new();
        while out.read_line(&mut line).unwrap_or(0) > 0 {
            lines += 1;
            line.clear();
        }
        lines
    });
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"g")
        .expect("release");
    let mut result = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut result)
        .expect("read result");
    assert!(child.wait().expect("wait").success());
    // bpftrace prints its maps and exits on SIGINT.
    let _ = Command::new("kill")
        .args(["-INT", &bpftrace.id().to_string()])
        .status();
    let _ = bpftrace.wait();
    let lines = counter.join().unwrap_or(0);
    let ns: f64 = result
        .split_whitespace()
        .nth(2)
        .and_then(|v| v.parse().ok())
        .expect("capprog prints: ioprio N NANOSECONDS");
    (ns / n as f64, lines, 0)
}

/// Average run time of the busiest BPF program of this process (the capability-check one),
/// from /proc/self/fdinfo; NaN unless `kernel.bpf_stats_enabled` is 1.
fn bpf_run_ns() -> f64 {
    let mut best = (0u64, 0u64);
    for entry in std::fs::read_dir("/proc/self/fdinfo")
        .into_iter()
        .flatten()
        .flatten()
    {
        let Ok(info) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let field = |name: &str| -> Option<u64> {
            info.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().parse().ok())
        };
        if let (Some(time), Some(count)) = (field("run_time_ns:"), field("run_cnt:")) {
            if count > best.1 {
                best = (time, count);
            }
        }
    }
    if best.1 == 0 {
        f64::NAN
    } else {
        best.0 as f64 / best.1 as f64
    }
}

/// CPU time of the calling thread, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    let cpu = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    u64::try_from(cpu.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(cpu.tv_nsec).unwrap_or(0)
}

/// CPU time of the consumer thread of the last run.
static CONSUMER_CPU_NS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

static BPF_RUN_NS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Runs the loop, tracing it with `options` if given; returns (ns per call, events read, lost).
fn run(capprog: &Path, n: u64, options: Option<TraceOptions>, bystander: bool) -> (f64, u64, u64) {
    let mut child = Command::new(capprog)
        .args(["ioprio", &n.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn capprog");
    // A poll interval of an hour or more means: read nothing until the loop is over (the
    // ring must hold every record), to see what the reader's work costs the traced loop.
    let deferred = options
        .as_ref()
        .is_some_and(|o| o.poll_interval >= Duration::from_secs(3600));
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
                if deferred {
                    std::thread::sleep(Duration::from_millis(10));
                } else {
                    events += tracer.poll(Duration::from_millis(50)).expect("poll").len() as u64;
                }
            }
            let cpu_before = thread_cpu_ns();
            if deferred {
                loop {
                    let batch = tracer.drain().len() as u64;
                    events += batch;
                    if batch == 0 {
                        break;
                    }
                }
            }
            let cpu_deferred = thread_cpu_ns() - cpu_before;
            events += tracer.drain().len() as u64;
            let aggregated: u64 = tracer
                .aggregate()
                .expect("aggregate")
                .iter()
                .map(|e| e.count)
                .sum();
            let lost = tracer.stats().expect("stats").lost;
            BPF_RUN_NS.store(bpf_run_ns().to_bits(), Ordering::Relaxed);
            // The reader's CPU time while the loop ran (for a deferred run: its drain after).
            let cpu = if deferred {
                cpu_deferred
            } else {
                thread_cpu_ns()
            };
            CONSUMER_CPU_NS.store(cpu, Ordering::Relaxed);
            (events.max(aggregated), lost)
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
    let mut modes: Vec<(&str, Mode)> = vec![
        ("untraced", Mode::Untraced),
        (
            "tracer attached, this process not traced",
            Mode::Bpf {
                options: TraceOptions::default(),
                bystander: true,
            },
        ),
        (
            "events, batched wakeups (default: 1 MiB of a 4 MiB ring)",
            Mode::Bpf {
                options: TraceOptions::default(),
                bystander: false,
            },
        ),
        (
            "events, batched wakeups (64 KiB)",
            Mode::Bpf {
                options: TraceOptions {
                    wakeup_bytes: 64 << 10,
                    ..TraceOptions::default()
                },
                bystander: false,
            },
        ),
        (
            "events, read only after the loop (256 MiB ring): no reader competing",
            Mode::Bpf {
                options: TraceOptions {
                    ring_bytes: 256 << 20,
                    wakeup_bytes: u64::MAX,
                    poll_interval: Duration::from_secs(3600),
                    ..TraceOptions::default()
                },
                bystander: false,
            },
        ),
        (
            "events, wakeup per event",
            Mode::Bpf {
                options: TraceOptions {
                    wakeup_bytes: 0,
                    ..TraceOptions::default()
                },
                bystander: false,
            },
        ),
        (
            "summary (in-kernel aggregate)",
            Mode::Bpf {
                options: TraceOptions {
                    output: Output::Aggregate,
                    ..TraceOptions::default()
                },
                bystander: false,
            },
        ),
        (
            "unique: summary + first occurrence of each check live",
            Mode::Bpf {
                options: TraceOptions {
                    output: Output::Unique,
                    ..TraceOptions::default()
                },
                bystander: false,
            },
        ),
        (
            "summary + kernel stack per check",
            Mode::Bpf {
                options: TraceOptions {
                    output: Output::Aggregate,
                    stack_caps: sys_admin,
                    ..TraceOptions::default()
                },
                bystander: false,
            },
        ),
        (
            "events + kernel stack per check",
            Mode::Bpf {
                options: TraceOptions {
                    stack_caps: sys_admin,
                    ..TraceOptions::default()
                },
                bystander: false,
            },
        ),
    ];
    if Path::new(TRACEFS)
        .join("events/capability/cap_capable")
        .exists()
    {
        modes.push((
            "tracefs event, process traced (records per cpu0 buffer)",
            Mode::Tracefs { traced: true },
        ));
        modes.push((
            "tracefs event, process not traced",
            Mode::Tracefs { traced: false },
        ));
    } else {
        eprintln!("tracefs is not mounted at {TRACEFS}: skipping the tracefs rows");
    }
    let have_bpftrace = Command::new("bpftrace")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if have_bpftrace {
        modes.push((
            "bpftrace, count() map (lines printed)",
            Mode::Bpftrace { printf: false },
        ));
        modes.push((
            "bpftrace, printf per check (lines printed)",
            Mode::Bpftrace { printf: true },
        ));
    } else {
        eprintln!("bpftrace not found: skipping the bpftrace rows");
    }
    let backend = Tracer::start(Target::Pid(std::process::id()), TraceOptions::default())
        .expect("tracer")
        .backend()
        .backend;
    println!("{n} ioprio_set calls, one capability check each; backend {backend}\n");
    println!("| mode | ns/call | added per check | ratio | checks recorded | lost |");
    println!("|---|---:|---:|---:|---:|---:|");
    // LEASTCAP_OVERHEAD_ONLY=a,b: only the rows whose name contains one of these (and the
    // untraced baseline), for quick comparisons.
    let only: Vec<String> = std::env::var("LEASTCAP_OVERHEAD_ONLY")
        .map(|v| v.split('|').map(str::to_owned).collect())
        .unwrap_or_default();
    modes.retain(|(name, _)| {
        *name == "untraced" || only.is_empty() || only.iter().any(|o| name.contains(o.as_str()))
    });
    let mut baseline = None;
    for (name, mode) in modes {
        BPF_RUN_NS.store(f64::NAN.to_bits(), Ordering::Relaxed);
        CONSUMER_CPU_NS.store(0, Ordering::Relaxed);
        let (ns, events, lost) = run_mode(&capprog, n, mode);
        let base = *baseline.get_or_insert(ns);
        let bpf = f64::from_bits(BPF_RUN_NS.load(Ordering::Relaxed));
        let bpf = if bpf.is_nan() {
            String::new()
        } else {
            let reader = CONSUMER_CPU_NS.load(Ordering::Relaxed) as f64 / n as f64;
            format!(" (BPF {bpf:.0} ns, reader {reader:.0} ns)")
        };
        println!(
            "| {name} | {ns:.0} | {:+.0} ns{bpf} | {:.2} | {events} | {lost} |",
            ns - base,
            ns / base
        );
    }
    let _ = std::fs::remove_dir_all(capprog.parent().expect("dir"));
}
