//! leastcap's eBPF capability tracer.
//!
//! The BPF side lives in `bpf/capable.bpf.c`; its CO-RE object `bpf/capable.bpf.o` is
//! committed and embedded, so building needs only Rust (`build-bpf.sh` rebuilds it with
//! clang, and `build-bpf.sh --check` fails when the committed object is stale).
//!
//! [`Tracer::start`] loads the object, chooses the best capability-check backend this kernel
//! allows ([`Backend::ALL`], best first: fexit → tp_btf → raw_tp → tracepoint → kprobe),
//! follows the target process tree in the kernel (fork/exit/exec tracepoints) or filters by
//! cgroup, and hands back decoded [`CapEvent`]s ([`Tracer::poll`]) and in-kernel counts
//! ([`Tracer::aggregate`]).
//!
//! Safety for the host: every program is attached through a file descriptor owned by the
//! [`Tracer`]; nothing is pinned and no tracefs instance is created, so dropping the tracer —
//! or the process dying, even by `kill -9` — detaches everything.
//!
//! Requirements: root or CAP_BPF + CAP_PERFMON; a kernel with BTF (`/sys/kernel/btf/vmlinux`)
//! and the helpers `bpf_get_current_task_btf`/`bpf_task_pt_regs` (Linux 5.15+); x86_64, where
//! the syscall number is `pt_regs->orig_ax` (a 32-bit compat program's numbers would be i386
//! ones and are named with the x86_64 table). Checks made inside `execve` before the new image
//! runs (the `sched_process_exec` tracepoint) are not recorded under [`StartAt::NextExec`].
//!
//! For classification, take stacks for the capabilities the classifier needs call sites for:
//! `TraceOptions { stack_caps: classifier.stack_caps(), .. }` (leastcap-trace).

mod kallsyms;
mod target;

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use aya::maps::{HashMap as BpfHashMap, MapData, PerCpuArray, RingBuf, StackTraceMap};
use aya::programs::{BtfTracePoint, FExit, KProbe, ProgramError, RawTracePoint, TracePoint};
use aya::{Btf, Ebpf, EbpfLoader};
pub use kallsyms::Kallsyms;
use leastcap_events::raw::{self, RawAggKey, RawEvent, AGG_KEY_SIZE};
pub use leastcap_events::{Backend, CapEvent};
pub use target::unit_cgroup;

/// The committed CO-RE object (built by `build-bpf.sh`).
pub static BPF_OBJECT: &[u8] = include_bytes!("../bpf/capable.bpf.o");

/// Prefix of every BPF program and map name leastcap loads (`lc_tpbtf_cap`, `lc_events`, …).
pub const NAME_PREFIX: &str = "lc_";

/// What to trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A process (any of its thread ids is accepted), all its threads, and every descendant
    /// forked after the tracer starts (and those alive at start, see
    /// [`TraceOptions::include_existing_descendants`]).
    Pid(u32),
    /// Every task in a cgroup v2 directory and its sub-cgroups (a systemd unit's with
    /// [`unit_cgroup`]).
    Cgroup(PathBuf),
}

/// When a [`Target::Pid`] starts being recorded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StartAt {
    /// At once.
    #[default]
    Now,
    /// At the process's next `execve`: what the launcher does between fork and exec
    /// (setuid, capset, …) is not recorded. Children forked before that exec are armed too.
    NextExec,
}

/// Where checks go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Output {
    /// One record per check through the ring buffer ([`Tracer::poll`]).
    #[default]
    Events,
    /// Only counts per process/cap/syscall/verdict/stack in a kernel map ([`Tracer::aggregate`]):
    /// the cheapest mode.
    Aggregate,
    /// Both.
    Both,
    /// Counts in the kernel map, plus one event for the first check of each distinct
    /// process/cap/verdict/syscall/stack: a live `--unique` view at about the cost of
    /// [`Output::Aggregate`].
    Unique,
}

/// Options of [`Tracer::start`].
#[derive(Clone, Debug)]
pub struct TraceOptions {
    /// Use exactly this backend instead of the best that works.
    pub backend: Option<Backend>,
    pub output: Output,
    pub start_at: StartAt,
    /// Take a kernel stack for capabilities whose bit is set (bit N = capability N). Stacks
    /// cost ~2.7 µs per check, so take them only where the classifier needs the call site.
    pub stack_caps: u64,
    /// Ring buffer size in bytes: a power of two, at least one page.
    pub ring_bytes: u32,
    /// The kernel wakes the reader only once this many bytes are pending (0: every event).
    /// The reader also looks every [`TraceOptions::poll_interval`]. Default 1 MiB, a quarter
    /// of the default ring: measured here, a wakeup per event costs ~14 µs per check, every
    /// 64 KiB ~0.8 µs, every 1 MiB ~0.55 µs (examples/overhead.rs).
    pub wakeup_bytes: u64,
    /// Longest wait in [`Tracer::poll`] before the ring is read anyway.
    pub poll_interval: Duration,
    /// For [`Target::Pid`]: also track the descendants alive when the tracer starts.
    pub include_existing_descendants: bool,
}

impl Default for TraceOptions {
    fn default() -> Self {
        TraceOptions {
            backend: None,
            output: Output::Events,
            start_at: StartAt::Now,
            stack_caps: 0,
            ring_bytes: 4 << 20,
            wakeup_bytes: 1 << 20,
            poll_interval: Duration::from_millis(50),
            include_existing_descendants: true,
        }
    }
}

/// Which backend is in use and why the better ones were not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendReport {
    pub backend: Backend,
    /// Better backends that failed, with the reason (`fexit: BPF_PROG_LOAD EPERM (…)`).
    pub rejected: Vec<(Backend, String)>,
    /// How processes are followed (`tp_btf` or `raw_tp` fork/exit/exec hooks; none for cgroups).
    pub tracking: Option<&'static str>,
}

impl BackendReport {
    /// What the backend in use cannot see.
    pub fn limitations(&self) -> &'static str {
        self.backend.limitations()
    }
}

/// Kernel-side counters, summed over CPUs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraceStats {
    /// Checks made by the target.
    pub matched: u64,
    /// Events dropped because the ring buffer was full.
    pub lost: u64,
    /// Checks not counted because the aggregate map was full.
    pub aggregate_full: u64,
    /// Stacks that could not be taken (stack map full or hash collision).
    pub stack_errors: u64,
}

/// Errors of the tracer.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("tracing capability checks needs root or CAP_BPF + CAP_PERFMON (effective set {effective:#x})")]
    NotPermitted { effective: u64 },
    #[error("this kernel exposes no BTF (/sys/kernel/btf/vmlinux): {reason}")]
    NoBtf { reason: String },
    #[error("process {pid} does not exist")]
    NoSuchProcess { pid: u32 },
    #[error("cgroup {}: {reason}", path.display())]
    Cgroup { path: PathBuf, reason: String },
    #[error("loading the BPF object: {0}")]
    Load(String),
    #[error("no capability-check backend could attach: {}", tried.iter().map(|(b, why)| format!("{b}: {why}")).collect::<Vec<_>>().join("; "))]
    NoBackend { tried: Vec<(Backend, String)> },
    #[error("following processes: {0}")]
    Tracking(String),
    #[error("BPF map {map}: {reason}")]
    Map { map: &'static str, reason: String },
    #[error("adding process {pid} to the target set: {reason}")]
    AddPid { pid: u32, reason: String },
    #[error("waiting for events: {0}")]
    Poll(#[source] io::Error),
}

/// A running trace. Dropping it detaches and unloads every program.
pub struct Tracer {
    // Field order matters for drop: maps and programs go with `ebpf`.
    ring: Option<RingBuf<MapData>>,
    targets: Option<BpfHashMap<MapData, u32, u8>>,
    agg: Option<BpfHashMap<MapData, [u8; AGG_KEY_SIZE], u64>>,
    comms: Option<BpfHashMap<MapData, u32, [u8; 16]>>,
    stacks: Option<StackTraceMap<MapData>>,
    counters: PerCpuArray<MapData, u64>,
    report: BackendReport,
    target: Target,
    options: TraceOptions,
    symbols: Option<Result<Kallsyms, String>>,
    stack_cache: kallsyms::StackCache,
    start_ns: u64,
    ebpf: Ebpf,
}

impl std::fmt::Debug for Tracer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracer")
            .field("target", &self.target)
            .field("report", &self.report)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

fn map_err(map: &'static str) -> impl Fn(aya::maps::MapError) -> TraceError {
    move |e| TraceError::Map {
        map,
        reason: e.to_string(),
    }
}

fn take_map(ebpf: &mut Ebpf, name: &'static str) -> Result<aya::maps::Map, TraceError> {
    ebpf.take_map(name).ok_or(TraceError::Map {
        map: name,
        reason: "missing from the BPF object".into(),
    })
}

impl Tracer {
    /// Loads the programs and starts recording the target's capability checks.
    pub fn start(target: Target, options: TraceOptions) -> Result<Tracer, TraceError> {
        check_privileges()?;
        if !std::path::Path::new("/sys/kernel/btf/vmlinux").exists() {
            return Err(TraceError::NoBtf {
                reason: "file not found (kernel built without CONFIG_DEBUG_INFO_BTF)".into(),
            });
        }
        let btf = Btf::from_sys_fs().map_err(|e| TraceError::NoBtf {
            reason: e.to_string(),
        })?;

        let (cgroup_mode, cgroup_id, cgroup_level, root_tgid) = match &target {
            Target::Pid(pid) => (0u32, 0u64, 0u32, Some(target::tgid_of(*pid)?)),
            Target::Cgroup(path) => {
                let (id, level) = target::cgroup_id_and_level(path)?;
                (1, id, level, None)
            }
        };
        let events: u32 = match options.output {
            Output::Events | Output::Both => 1,
            Output::Unique => 2,
            Output::Aggregate => 0,
        };
        let aggregate = u32::from(options.output != Output::Events);
        let ring_bytes = if events != 0 {
            options.ring_bytes
        } else {
            64 << 10
        };

        let mut ebpf = EbpfLoader::new()
            .btf(Some(&btf))
            .override_global("lc_cfg_cgroup_mode", &cgroup_mode, true)
            .override_global("lc_cfg_cgroup_id", &cgroup_id, true)
            .override_global("lc_cfg_cgroup_level", &cgroup_level, true)
            .override_global("lc_cfg_events", &events, true)
            .override_global("lc_cfg_aggregate", &aggregate, true)
            .override_global("lc_cfg_stack_caps", &options.stack_caps, true)
            .override_global("lc_cfg_wakeup_bytes", &options.wakeup_bytes, true)
            .map_max_entries("lc_events", ring_bytes)
            .load(BPF_OBJECT)
            .map_err(|e| TraceError::Load(error_chain(&e)))?;

        let ring =
            RingBuf::try_from(take_map(&mut ebpf, "lc_events")?).map_err(map_err("lc_events"))?;
        let mut targets = BpfHashMap::<_, u32, u8>::try_from(take_map(&mut ebpf, "lc_targets")?)
            .map_err(map_err("lc_targets"))?;
        let agg =
            BpfHashMap::try_from(take_map(&mut ebpf, "lc_agg")?).map_err(map_err("lc_agg"))?;
        let comms =
            BpfHashMap::try_from(take_map(&mut ebpf, "lc_comms")?).map_err(map_err("lc_comms"))?;
        let stacks = StackTraceMap::try_from(take_map(&mut ebpf, "lc_stacks")?)
            .map_err(map_err("lc_stacks"))?;
        let counters = PerCpuArray::try_from(take_map(&mut ebpf, "lc_counters")?)
            .map_err(map_err("lc_counters"))?;

        // Follow the tree first, then seed it, then scan for children forked meanwhile:
        // no fork can slip between the three steps.
        let tracking = match root_tgid {
            Some(root) => {
                let tracking = attach_tracking(&mut ebpf, &btf)?;
                let state = match options.start_at {
                    StartAt::Now => raw::TARGET_ACTIVE,
                    StartAt::NextExec => raw::TARGET_ARMED,
                };
                targets
                    .insert(root, state, 0)
                    .map_err(|e| TraceError::AddPid {
                        pid: root,
                        reason: e.to_string(),
                    })?;
                let mut seeded = vec![root];
                if options.include_existing_descendants {
                    for pid in target::descendants(root) {
                        if targets.insert(pid, state, 0).is_ok() {
                            seeded.push(pid);
                        }
                    }
                }
                // A process that exited before it was seeded never gets its exit event:
                // forget it now, or the tree would never look finished.
                for pid in seeded {
                    if !target::is_alive(pid) {
                        let _ = targets.remove(&pid);
                    }
                }
                Some(tracking)
            }
            None => None,
        };

        let start_ns = monotonic_ns();
        let (backend, rejected) = attach_backend(&mut ebpf, &btf, options.backend)?;
        Ok(Tracer {
            ring: (events != 0).then_some(ring),
            targets: root_tgid.map(|_| targets),
            agg: (aggregate == 1).then_some(agg),
            comms: Some(comms),
            stacks: Some(stacks),
            counters,
            report: BackendReport {
                backend,
                rejected,
                tracking,
            },
            target,
            options,
            symbols: None,
            stack_cache: Default::default(),
            start_ns,
            ebpf,
        })
    }

    /// CLOCK_MONOTONIC nanoseconds when the tracer was attached: the origin for
    /// [`CapEvent::time_ns`] (which uses the same clock).
    pub fn start_time_ns(&self) -> u64 {
        self.start_ns
    }

    /// The backend in use, and why better ones were not used.
    pub fn backend(&self) -> &BackendReport {
        &self.report
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Adds a process (and, as it forks, its descendants) to a [`Target::Pid`] trace.
    pub fn add_pid(&mut self, pid: u32) -> Result<(), TraceError> {
        let tgid = target::tgid_of(pid)?;
        let state = match self.options.start_at {
            StartAt::Now => raw::TARGET_ACTIVE,
            StartAt::NextExec => raw::TARGET_ARMED,
        };
        let targets = self.targets.as_mut().ok_or(TraceError::AddPid {
            pid,
            reason: "this trace follows a cgroup, not processes".into(),
        })?;
        targets
            .insert(tgid, state, 0)
            .map_err(|e| TraceError::AddPid {
                pid,
                reason: e.to_string(),
            })
    }

    /// Processes of a [`Target::Pid`] trace still alive (0 once the whole tree has exited;
    /// `None` for cgroup targets).
    pub fn tracked_processes(&self) -> Option<usize> {
        self.targets
            .as_ref()
            .map(|targets| targets.keys().filter(Result::is_ok).count())
    }

    /// Reads pending events without waiting.
    ///
    /// Reads at most one ring's worth of records per call, so a producer faster than the
    /// reader cannot keep it here forever.
    pub fn drain(&mut self) -> Vec<CapEvent> {
        let mut raws = Vec::new();
        let limit =
            usize::try_from(self.options.ring_bytes).unwrap_or(usize::MAX) / raw::EVENT_SIZE;
        if let Some(ring) = self.ring.as_mut() {
            while raws.len() <= limit {
                let Some(item) = ring.next() else { break };
                if let Some(raw) = RawEvent::from_bytes(&item) {
                    raws.push(raw);
                }
            }
        }
        raws.iter()
            .filter_map(|raw| {
                let stack = self.stack(raw.stack_id);
                CapEvent::from_raw(raw, stack)
            })
            .collect()
    }

    /// Reads pending events; when there are none, waits until the kernel signals a batch or
    /// [`TraceOptions::poll_interval`] (at most `timeout`) has passed, then reads again.
    pub fn poll(&mut self, timeout: Duration) -> Result<Vec<CapEvent>, TraceError> {
        let events = self.drain();
        if !events.is_empty() || self.ring.is_none() {
            if self.ring.is_none() {
                std::thread::sleep(timeout.min(self.options.poll_interval));
            }
            return Ok(events);
        }
        let wait = timeout.min(self.options.poll_interval);
        if let Some(ring) = self.ring.as_ref() {
            let spec = rustix::event::Timespec {
                tv_sec: i64::try_from(wait.as_secs()).unwrap_or(i64::MAX),
                tv_nsec: i64::from(wait.subsec_nanos()),
            };
            let mut fds = [rustix::event::PollFd::new(
                ring,
                rustix::event::PollFlags::IN,
            )];
            match rustix::event::poll(&mut fds, Some(&spec)) {
                Ok(_) | Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(TraceError::Poll(e.into())),
            }
        }
        Ok(self.drain())
    }

    /// The in-kernel counts ([`Output::Aggregate`] or [`Output::Both`]), one [`CapEvent`] per
    /// distinct process/cap/verdict/syscall/user-namespace/stack with its `count`.
    pub fn aggregate(&mut self) -> Result<Vec<CapEvent>, TraceError> {
        let Some(agg) = self.agg.as_ref() else {
            return Ok(Vec::new());
        };
        let mut rows = Vec::new();
        for entry in agg.iter() {
            let (key, count) = entry.map_err(map_err("lc_agg"))?;
            if let Some(key) = RawAggKey::from_bytes(&key) {
                rows.push((key, count));
            }
        }
        let mut events = Vec::with_capacity(rows.len());
        for (key, count) in rows {
            let comm = self
                .comms
                .as_ref()
                .and_then(|comms| comms.get(&key.pid, 0).ok())
                .map(|comm| leastcap_events::comm_string(&comm))
                .unwrap_or_default();
            let stack = self.stack(key.stack_id);
            if let Some(event) =
                CapEvent::from_aggregate(&key, count, comm, self.report.backend, stack)
            {
                events.push(event);
            }
        }
        events.sort_by(|a, b| (a.pid, a.cap, b.count).cmp(&(b.pid, b.cap, a.count)));
        Ok(events)
    }

    /// Kernel-side counters: checks matched, events lost, …
    pub fn stats(&self) -> Result<TraceStats, TraceError> {
        let sum = |index: u32| -> Result<u64, TraceError> {
            let values = self
                .counters
                .get(&index, 0)
                .map_err(map_err("lc_counters"))?;
            Ok(values.iter().copied().fold(0u64, u64::wrapping_add))
        };
        Ok(TraceStats {
            matched: sum(raw::CNT_MATCHED)?,
            lost: sum(raw::CNT_LOST)?,
            aggregate_full: sum(raw::CNT_AGG_FULL)?,
            stack_errors: sum(raw::CNT_STACK_ERR)?,
        })
    }

    /// Symbolised frames of a kernel stack id (empty when none was taken or symbols are hidden).
    fn stack(&mut self, stack_id: i32) -> Vec<String> {
        let Ok(id) = u32::try_from(stack_id) else {
            return Vec::new();
        };
        if let Some(frames) = self.stack_cache.get(&id) {
            return frames.clone();
        }
        let Some(stacks) = self.stacks.as_ref() else {
            return Vec::new();
        };
        let Ok(trace) = stacks.get(&id, 0) else {
            return Vec::new();
        };
        let ips: Vec<u64> = trace.frames().iter().map(|frame| frame.ip).collect();
        let symbols = self
            .symbols
            .get_or_insert_with(|| Kallsyms::load().map_err(|e| e.to_string()));
        let frames = match symbols {
            Ok(symbols) => symbols.symbolise(&ips),
            Err(_) => ips.iter().map(|ip| format!("{ip:#x}")).collect(),
        };
        self.stack_cache.insert(id, frames.clone());
        frames
    }

    /// Names of the BPF programs this tracer has loaded, as the kernel lists them.
    pub fn program_names(&self) -> Vec<String> {
        self.ebpf
            .programs()
            .filter(|(_, program)| program.fd().is_ok())
            .map(|(name, _)| name.chars().take(15).collect())
            .collect()
    }
}

/// BPF programs loaded in the kernel whose names start with [`NAME_PREFIX`], as `(id, name)`:
/// leastcap's own, from any process (a check that nothing was left behind).
pub fn loaded_leastcap_programs() -> Vec<(u32, String)> {
    aya::programs::loaded_programs()
        .filter_map(Result::ok)
        .filter_map(|info| {
            let name = info.name_as_str()?.to_owned();
            name.starts_with(NAME_PREFIX).then(|| (info.id(), name))
        })
        .collect()
}

/// Errors from the library as one line: the error and its sources.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// Why a program failed, in a user's words.
fn explain(backend: Backend, error: &ProgramError) -> String {
    if let ProgramError::LoadError {
        io_error,
        verifier_log,
    } = error
    {
        let errno = io_error.raw_os_error();
        if errno == Some(1) && backend == Backend::Fexit {
            return "BPF_PROG_LOAD EPERM (BPF trampolines not allowed by this kernel)".into();
        }
        let log = verifier_log.to_string();
        let tail: Vec<&str> = log.lines().rev().take(3).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return format!(
            "BPF_PROG_LOAD: {io_error}{}{}",
            if tail.is_empty() { "" } else { "; verifier: " },
            tail.join(" | ")
        );
    }
    let text = error_chain(error);
    if backend == Backend::TpBtf && text.contains("btf_trace_cap_capable") {
        return "this kernel has no cap_capable tracepoint (added in Linux 6.14)".into();
    }
    if backend == Backend::Kprobe
        && !std::path::Path::new("/sys/bus/event_source/devices/kprobe").exists()
    {
        return format!("{text} (kernel built without CONFIG_KPROBES)");
    }
    text
}

fn attach_one(ebpf: &mut Ebpf, btf: &Btf, backend: Backend) -> Result<(), ProgramError> {
    fn program<'a, T>(ebpf: &'a mut Ebpf, name: &str) -> Result<&'a mut T, ProgramError>
    where
        &'a mut T: TryFrom<&'a mut aya::programs::Program, Error = ProgramError>,
    {
        ebpf.program_mut(name)
            .ok_or(ProgramError::NotLoaded)?
            .try_into()
    }
    match backend {
        Backend::Fexit => {
            let prog: &mut FExit = program(ebpf, "lc_fexit_cap")?;
            prog.load("cap_capable", btf)?;
            if let Err(e) = prog.attach() {
                let _ = prog.unload();
                return Err(e);
            }
        }
        Backend::TpBtf => {
            let prog: &mut BtfTracePoint = program(ebpf, "lc_tpbtf_cap")?;
            prog.load("cap_capable", btf)?;
            if let Err(e) = prog.attach() {
                let _ = prog.unload();
                return Err(e);
            }
        }
        Backend::RawTp => {
            let prog: &mut RawTracePoint = program(ebpf, "lc_rawtp_cap")?;
            prog.load()?;
            if let Err(e) = prog.attach("cap_capable") {
                let _ = prog.unload();
                return Err(e);
            }
        }
        Backend::Tracepoint => {
            let prog: &mut TracePoint = program(ebpf, "lc_tp_cap")?;
            prog.load()?;
            if let Err(e) = prog.attach("capability", "cap_capable") {
                let _ = prog.unload();
                return Err(e);
            }
        }
        Backend::Kprobe => {
            // Load both first (so the verifier checks both), then attach the return probe
            // before the entry probe: an entry without its return would leak saved arguments.
            let loaded = program::<KProbe>(ebpf, "lc_kp_cap")?
                .load()
                .and_then(|()| program::<KProbe>(ebpf, "lc_krp_cap")?.load());
            let attached = loaded
                .and_then(|()| {
                    program::<KProbe>(ebpf, "lc_krp_cap")?
                        .attach("cap_capable", 0)
                        .map(drop)
                })
                .and_then(|()| {
                    program::<KProbe>(ebpf, "lc_kp_cap")?
                        .attach("cap_capable", 0)
                        .map(drop)
                });
            if let Err(e) = attached {
                for name in ["lc_kp_cap", "lc_krp_cap"] {
                    if let Ok(prog) = program::<KProbe>(ebpf, name) {
                        let _ = prog.unload();
                    }
                }
                return Err(e);
            }
        }
    }
    Ok(())
}

fn attach_backend(
    ebpf: &mut Ebpf,
    btf: &Btf,
    forced: Option<Backend>,
) -> Result<(Backend, Vec<(Backend, String)>), TraceError> {
    let candidates: Vec<Backend> = match forced {
        Some(backend) => vec![backend],
        None => Backend::ALL.to_vec(),
    };
    let mut rejected = Vec::new();
    for backend in candidates {
        match attach_one(ebpf, btf, backend) {
            Ok(()) => return Ok((backend, rejected)),
            Err(e) => rejected.push((backend, explain(backend, &e))),
        }
    }
    Err(TraceError::NoBackend { tried: rejected })
}

/// Attaches fork/exit/exec tracking: tp_btf programs, or raw_tp ones where tp_btf fails.
fn attach_tracking(ebpf: &mut Ebpf, btf: &Btf) -> Result<&'static str, TraceError> {
    const HOOKS: [(&str, &str, &str); 3] = [
        ("lc_fork_btf", "lc_fork_raw", "sched_process_fork"),
        ("lc_exit_btf", "lc_exit_raw", "sched_process_exit"),
        ("lc_exec_btf", "lc_exec_raw", "sched_process_exec"),
    ];
    let try_btf = |ebpf: &mut Ebpf| -> Result<(), ProgramError> {
        for (btf_name, _, tracepoint) in HOOKS {
            let prog: &mut BtfTracePoint = ebpf
                .program_mut(btf_name)
                .ok_or(ProgramError::NotLoaded)?
                .try_into()?;
            prog.load(tracepoint, btf)?;
            prog.attach()?;
        }
        Ok(())
    };
    let btf_error = match try_btf(ebpf) {
        Ok(()) => return Ok("tp_btf sched_process_fork/exit/exec"),
        Err(e) => e,
    };
    for (btf_name, _, _) in HOOKS {
        if let Some(Ok(prog)) = ebpf
            .program_mut(btf_name)
            .map(<&mut BtfTracePoint>::try_from)
        {
            let _ = prog.unload();
        }
    }
    for (_, raw_name, tracepoint) in HOOKS {
        let prog: &mut RawTracePoint = ebpf
            .program_mut(raw_name)
            .ok_or_else(|| TraceError::Tracking(format!("{raw_name} missing from the object")))?
            .try_into()
            .map_err(|e: ProgramError| TraceError::Tracking(error_chain(&e)))?;
        prog.load()
            .and_then(|()| prog.attach(tracepoint).map(drop))
            .map_err(|e| {
                TraceError::Tracking(format!(
                    "tp_btf: {}; raw_tp {tracepoint}: {}",
                    error_chain(&btf_error),
                    error_chain(&e)
                ))
            })?;
    }
    Ok("raw_tp sched_process_fork/exit/exec")
}

/// CLOCK_MONOTONIC now, in nanoseconds (the clock of `bpf_ktime_get_ns`).
pub fn monotonic_ns() -> u64 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    u64::try_from(now.tv_sec)
        .unwrap_or(0)
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::try_from(now.tv_nsec).unwrap_or(0))
}

/// Effective capabilities of this process, from /proc/self/status.
fn effective_caps() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("CapEff:"))
                .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        })
        .unwrap_or(0)
}

/// Whether this process may load and attach the tracer's programs.
pub fn have_privileges() -> bool {
    const SYS_ADMIN: u64 = 1 << 21;
    const PERFMON: u64 = 1 << 38;
    const BPF: u64 = 1 << 39;
    let effective = effective_caps();
    effective & SYS_ADMIN != 0 || (effective & BPF != 0 && effective & PERFMON != 0)
}

fn check_privileges() -> Result<(), TraceError> {
    if have_privileges() {
        Ok(())
    } else {
        Err(TraceError::NotPermitted {
            effective: effective_caps(),
        })
    }
}
