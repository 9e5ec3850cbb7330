//! Shared helpers of the privileged tests: the privilege gate, the test program, a child
//! that waits on its stdin until the tracer is attached.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use leastcap_bpf::{CapEvent, Tracer};

/// True when the test may use BPF. Without privileges it prints why the test is skipped, or
/// fails when `LEASTCAP_REQUIRE_PRIVILEGED=1` (CI).
#[must_use]
pub fn privileged(test: &str) -> bool {
    if leastcap_bpf::have_privileges() {
        return true;
    }
    leastcap_testkit::skip_or_fail(
        test,
        "needs root or CAP_BPF + CAP_PERFMON (loads BPF programs)",
    )
}

/// Privileged tests run one at a time (the leftover-program test counts programs).
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Builds tests/capprog.c once per test binary.
pub fn capprog() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("leastcap-bpf-tests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let binary = dir.join("capprog");
        // Through crates/bpf from either crate, since leastcap-trace's tests use this module too.
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bpf/tests/capprog.c");
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
        let status = Command::new(&cc)
            .args(["-O1", "-pthread", "-Wall", "-o"])
            .arg(&binary)
            .arg(&source)
            .status()
            .unwrap_or_else(|e| panic!("cannot run the C compiler `{cc}` (set CC): {e}"));
        assert!(status.success(), "compiling capprog.c failed");
        binary
    })
}

/// A capprog child blocked on its stdin until [`Gated::release`].
#[derive(Debug)]
pub struct Gated {
    pub child: Child,
}

impl Gated {
    pub fn spawn(args: &[&str]) -> Gated {
        let child = Command::new(capprog())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn capprog");
        Gated { child }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn release(&mut self) {
        let mut stdin = self.child.stdin.take().expect("stdin");
        stdin.write_all(b"g").expect("release child");
    }

    /// Releases the child, then collects events until it has exited and the ring is drained.
    pub fn run_traced(mut self, tracer: &mut Tracer) -> Vec<CapEvent> {
        self.release();
        let mut events = Vec::new();
        loop {
            events.extend(tracer.poll(Duration::from_millis(50)).expect("poll"));
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "capprog failed: {status}");
                events.extend(tracer.drain());
                return events;
            }
        }
    }
}

impl Drop for Gated {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One line per event, for assertion messages.
pub fn describe(events: &[CapEvent]) -> String {
    events
        .iter()
        .map(|e| {
            format!(
                "pid {} tid {} {} {} {:?} {} userns0={} x{} [{}]",
                e.pid,
                e.tid,
                e.comm,
                e.cap,
                e.verdict,
                e.syscall_name().unwrap_or("-"),
                e.userns.initial,
                e.count,
                e.stack
                    .iter()
                    .take(8)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" < ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The mount point of the cgroup v2 hierarchy, if one is mounted.
pub fn cgroup2_root() -> Option<PathBuf> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    mountinfo.lines().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        let mount_point = left.split_whitespace().nth(4)?;
        (right.split_whitespace().next()? == "cgroup2").then(|| PathBuf::from(mount_point))
    })
}

/// A cgroup made for one test, removed (after its tasks exit) when dropped.
#[derive(Debug)]
pub struct TempCgroup {
    pub path: PathBuf,
}

impl TempCgroup {
    pub fn new(root: &Path) -> TempCgroup {
        let path = root.join(format!("leastcap-test-{}", std::process::id()));
        std::fs::create_dir(&path).expect("create a test cgroup");
        TempCgroup { path }
    }

    pub fn add(&self, pid: u32) {
        std::fs::write(self.path.join("cgroup.procs"), pid.to_string())
            .expect("move a process into the test cgroup");
    }
}

impl Drop for TempCgroup {
    fn drop(&mut self) {
        // rmdir fails while a task (even a zombie being reaped) remains: retry briefly.
        for _ in 0..100 {
            if std::fs::remove_dir(&self.path).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("warning: could not remove {}", self.path.display());
    }
}
