//! fork / barrier / privilege transition / execve: the mechanics of leastcap's one launcher.
//!
//! The parent prepares everything the child will need (C strings, pointer arrays, group lists,
//! capability masks) *before* `fork`, because after `fork` in a possibly multi-threaded
//! process the child may only do async-signal-safe work: it runs raw system calls on data it
//! already has and never allocates. The child then blocks on a barrier pipe until the parent
//! releases it; in between, the parent can act on the child's pid (a tracer attaches there).
//!
//! Each step's failure is written to a close-on-exec error pipe as a fixed 12-byte record
//! (step, capability, errno): end-of-file on that pipe means `execve` succeeded.
//! The *policy* — which steps, in which order and why — is documented on [`Transition`] and
//! in [`spawn_paused`]; the `leastcap-launch` crate builds the [`Transition`] from a plan.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicI32, Ordering};

use crate::credentials::{self, CapTriple, Errno};

/// Exit status of a child that failed before `execve` (leastcap's own failure).
pub const EXIT_LAUNCH_FAILURE: i32 = 125;
/// Exit status of a child whose `execve` failed for a reason other than "not found".
pub const EXIT_CANNOT_EXECUTE: i32 = 126;
/// Exit status of a child whose program was not found.
pub const EXIT_NOT_FOUND: i32 = 127;

/// One step of the privilege transition, in the order the child performs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Step {
    /// Waiting for the parent's release.
    Barrier = 1,
    /// Resetting signal dispositions and the signal mask.
    Signals,
    /// Redirecting stdin/stdout/stderr.
    Stdio,
    /// `prctl(PR_SET_KEEPCAPS, 1)` before the uid change.
    KeepCaps,
    /// `setgroups`.
    Groups,
    /// `setresgid`.
    Gid,
    /// `setresuid`.
    Uid,
    /// First `capset`: the target sets plus CAP_SETPCAP while it is still needed.
    Capset,
    /// `PR_CAP_AMBIENT_CLEAR_ALL`.
    AmbientClear,
    /// `PR_CAP_AMBIENT_RAISE` of one capability.
    AmbientRaise,
    /// `PR_CAPBSET_DROP` of one capability.
    BoundingDrop,
    /// `PR_SET_SECUREBITS`.
    Securebits,
    /// Final `capset`: exactly the target sets.
    FinalCapset,
    /// `PR_SET_NO_NEW_PRIVS`.
    NoNewPrivs,
    /// `execve`.
    Exec,
}

impl Step {
    const ALL: [Step; 15] = [
        Step::Barrier,
        Step::Signals,
        Step::Stdio,
        Step::KeepCaps,
        Step::Groups,
        Step::Gid,
        Step::Uid,
        Step::Capset,
        Step::AmbientClear,
        Step::AmbientRaise,
        Step::BoundingDrop,
        Step::Securebits,
        Step::FinalCapset,
        Step::NoNewPrivs,
        Step::Exec,
    ];

    fn from_u32(value: u32) -> Option<Step> {
        Step::ALL.into_iter().find(|step| *step as u32 == value)
    }

    /// A short description for error messages ("set the supplementary groups").
    pub fn describe(self) -> &'static str {
        match self {
            Step::Barrier => "wait for the launcher's release",
            Step::Signals => "reset signal handling",
            Step::Stdio => "redirect standard streams",
            Step::KeepCaps => "keep capabilities across the uid change (PR_SET_KEEPCAPS)",
            Step::Groups => "set the supplementary groups (setgroups)",
            Step::Gid => "set the group id (setresgid)",
            Step::Uid => "set the user id (setresuid)",
            Step::Capset => "set the permitted, effective and inheritable sets (capset)",
            Step::AmbientClear => "clear the ambient set",
            Step::AmbientRaise => "raise a capability in the ambient set",
            Step::BoundingDrop => "drop a capability from the bounding set",
            Step::Securebits => "set the securebits",
            Step::FinalCapset => "drop the launcher's remaining capabilities (final capset)",
            Step::NoNewPrivs => "set no_new_privs",
            Step::Exec => "execute the program",
        }
    }
}

/// What the child does between the barrier and `execve`, as plain data.
///
/// `None`/`false`/`0` fields are skipped. The `leastcap-launch` crate decides the values; the
/// order in which the child applies them is fixed (see [`spawn_paused`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transition {
    /// Set `PR_SET_KEEPCAPS` before changing uids (needed when leaving uid 0 with capabilities).
    pub keep_caps: bool,
    pub groups: Option<Vec<libc::gid_t>>,
    /// Real, effective and saved gid.
    pub gid: Option<u32>,
    /// Real, effective and saved uid.
    pub uid: Option<u32>,
    /// The first capset: target sets, plus CAP_SETPCAP in permitted+effective if the bounding
    /// drop or securebits still need it.
    pub caps: Option<CapTriple>,
    /// Clear the ambient set, then raise these capabilities.
    pub ambient: Option<u64>,
    /// Capabilities to drop from the bounding set.
    pub bounding_drop: u64,
    pub securebits: Option<u32>,
    /// The final capset, when it differs from the first one.
    pub final_caps: Option<CapTriple>,
    pub no_new_privs: bool,
}

/// The program to execute and its standard streams.
#[derive(Debug)]
pub struct ExecSpec {
    /// Resolved path passed to `execve` (no PATH search happens after `fork`).
    pub path: CString,
    pub argv: Vec<CString>,
    pub envp: Vec<CString>,
    /// Descriptors to install as 0, 1 and 2 in the child (the caller keeps them open until
    /// [`spawn_paused`] returns).
    pub stdin: Option<RawFd>,
    pub stdout: Option<RawFd>,
    pub stderr: Option<RawFd>,
}

/// A step the child could not complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepFailure {
    pub step: Step,
    /// The capability the step was acting on (ambient raise, bounding drop).
    pub cap: Option<u8>,
    pub errno: Errno,
}

const RECORD: usize = 12;
const NO_CAP: u32 = u32::MAX;

fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1; 2];
    // SAFETY: fds is a valid two-element array for pipe2 to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded, so both descriptors are open and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// A forked child waiting at the barrier, or running after release.
#[derive(Debug)]
pub struct RawChild {
    pid: libc::pid_t,
    barrier: Option<OwnedFd>,
    errors: Option<OwnedFd>,
    exec_result: Option<Result<(), StepFailure>>,
    reaped: bool,
    disowned: bool,
}

/// Forks a child that waits at a barrier, then applies `transition` and executes `exec`.
///
/// The child, after release, runs these steps in this order (each failure is reported and the
/// child exits 125, or 126/127 for `execve`):
///
/// 1. **signals** — unblock every signal and reset SIGPIPE to its default: an *ignored*
///    disposition survives `execve`, and Rust ignores SIGPIPE in leastcap's runtime. Other
///    ignored signals came from leastcap's own parent (`nohup`, a shell's background job)
///    and pass on, as they would with `exec`, setpriv or capsh.
/// 2. **stdio** — `dup2` the requested descriptors (before any privilege drop, so a file the
///    launcher opened is still usable).
/// 3. **keep-caps** — `PR_SET_KEEPCAPS` must be set *before* `setresuid`, or leaving uid 0
///    clears the permitted set and nothing later could be kept.
/// 4. **supplementary groups**, then 5. **gid** — both need CAP_SETGID, which is in the
///    effective set only while the uid is still 0 (the uid change clears the effective set),
///    so they come before the uid. Groups come first so no moment exists with the new gid and
///    the launcher's old groups.
/// 6. **uid** — `setresuid` of all three ids (the saved id too, so the program cannot switch
///    back). With keep-caps the permitted set survives; the effective set is emptied.
/// 7. **capset** — the target permitted/effective/inheritable sets, plus CAP_SETPCAP while the
///    next steps still need it. Inheritable must be set before the ambient raise, and the
///    permitted set can only shrink, so this is the first point where the final sets can be
///    written (after the uid change, which would have cleared the effective set again).
/// 8. **ambient** — clear, then raise each capability; the kernel requires it in permitted
///    *and* inheritable, which step 7 established. Before securebits, because
///    SECBIT_NO_CAP_AMBIENT_RAISE (part of a locked-down request) forbids raising afterwards.
/// 9. **bounding drop** — needs CAP_SETPCAP effective; after the capset so the inheritable set
///    could still be raised from the full bounding set in step 7.
/// 10. **securebits** — needs CAP_SETPCAP; after the uid change (which KEEP_CAPS/NO_SETUID_FIXUP
///     would otherwise alter) and after the ambient raise (see 8).
/// 11. **final capset** — drops CAP_SETPCAP (and anything else only the launcher needed).
/// 12. **no_new_privs** — last: it only affects `execve`, needs no privilege, and setting it
///     earlier would gain nothing.
/// 13. **execve**.
pub fn spawn_paused(transition: &Transition, exec: &ExecSpec) -> io::Result<RawChild> {
    // Everything the child touches is built here, before fork.
    let mut argv: Vec<*const libc::c_char> = exec.argv.iter().map(|arg| arg.as_ptr()).collect();
    argv.push(std::ptr::null());
    let mut envp: Vec<*const libc::c_char> = exec.envp.iter().map(|var| var.as_ptr()).collect();
    envp.push(std::ptr::null());
    let groups: Option<&[libc::gid_t]> = transition.groups.as_deref();
    let (barrier_r, barrier_w) = pipe()?;
    let (errors_r, errors_w) = pipe()?;

    // SAFETY: fork has no memory-safety preconditions; the child below only performs
    // async-signal-safe system calls on memory prepared before the fork, then execs or _exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // The parent's ends: closed so that only the parent holds them.
        // SAFETY: close is async-signal-safe; these are our copies of the parent's ends.
        unsafe {
            libc::close(barrier_w.as_raw_fd());
            libc::close(errors_r.as_raw_fd());
        }
        let code = child(
            transition,
            exec,
            groups,
            &argv,
            &envp,
            barrier_r.as_raw_fd(),
            errors_w.as_raw_fd(),
        );
        // SAFETY: _exit is async-signal-safe and never returns.
        unsafe { libc::_exit(code) }
    }
    drop(barrier_r);
    drop(errors_w);
    Ok(RawChild {
        pid,
        barrier: Some(barrier_w),
        errors: Some(errors_r),
        exec_result: None,
        reaped: false,
        disowned: false,
    })
}

fn report(fd: RawFd, step: Step, cap: Option<u8>, errno: Errno) {
    let mut record = [0u8; RECORD];
    record[0..4].copy_from_slice(&(step as u32).to_ne_bytes());
    record[4..8].copy_from_slice(&cap.map_or(NO_CAP, u32::from).to_ne_bytes());
    record[8..12].copy_from_slice(&errno.0.to_ne_bytes());
    // SAFETY: writing a local buffer to a descriptor; 12 bytes < PIPE_BUF, so atomic. If the
    // parent is gone there is nobody to tell; the exit status still says 125.
    unsafe { libc::write(fd, record.as_ptr().cast(), RECORD) };
}

/// The child side. Returns the exit code when it cannot exec. Async-signal-safe only.
fn child(
    t: &Transition,
    exec: &ExecSpec,
    groups: Option<&[libc::gid_t]>,
    argv: &[*const libc::c_char],
    envp: &[*const libc::c_char],
    barrier: RawFd,
    errors: RawFd,
) -> i32 {
    macro_rules! step {
        ($step:expr, $cap:expr, $call:expr) => {
            if let Err(errno) = $call {
                report(errors, $step, $cap, errno);
                return EXIT_LAUNCH_FAILURE;
            }
        };
    }

    // Barrier: one byte means "go"; end-of-file means the parent gave up (or died).
    let mut byte = 0u8;
    loop {
        // SAFETY: reading one byte into a local.
        let n = unsafe { libc::read(barrier, (&mut byte as *mut u8).cast(), 1) };
        if n == 1 {
            break;
        }
        if n == 0 {
            return EXIT_LAUNCH_FAILURE;
        }
        let errno = errno_now();
        if errno.0 != libc::EINTR {
            report(errors, Step::Barrier, None, errno);
            return EXIT_LAUNCH_FAILURE;
        }
    }
    // SAFETY: closing our copy of the barrier descriptor.
    unsafe { libc::close(barrier) };

    step!(Step::Signals, None, reset_signals());
    for (target, source) in [(0, exec.stdin), (1, exec.stdout), (2, exec.stderr)] {
        if let Some(source) = source {
            // SAFETY: dup2 on descriptors the parent kept open across fork.
            let failed = unsafe { libc::dup2(source, target) } < 0;
            step!(
                Step::Stdio,
                None,
                if failed { Err(errno_now()) } else { Ok(()) }
            );
        }
    }
    if t.keep_caps {
        step!(Step::KeepCaps, None, credentials::set_keepcaps(true));
    }
    if let Some(groups) = groups {
        step!(Step::Groups, None, credentials::setgroups(groups));
    }
    if let Some(gid) = t.gid {
        step!(Step::Gid, None, credentials::setresgid(gid, gid, gid));
    }
    if let Some(uid) = t.uid {
        step!(Step::Uid, None, credentials::setresuid(uid, uid, uid));
    }
    if let Some(caps) = t.caps {
        step!(Step::Capset, None, credentials::capset(caps));
    }
    if let Some(ambient) = t.ambient {
        step!(Step::AmbientClear, None, credentials::ambient_clear_all());
        for cap in 0..64u8 {
            if ambient & (1u64 << cap) != 0 {
                step!(
                    Step::AmbientRaise,
                    Some(cap),
                    credentials::ambient_raise(cap)
                );
            }
        }
    }
    for cap in 0..64u8 {
        if t.bounding_drop & (1u64 << cap) != 0 {
            step!(
                Step::BoundingDrop,
                Some(cap),
                credentials::bounding_drop(cap)
            );
        }
    }
    if let Some(bits) = t.securebits {
        step!(Step::Securebits, None, credentials::set_securebits(bits));
    }
    if let Some(caps) = t.final_caps {
        step!(Step::FinalCapset, None, credentials::capset(caps));
    }
    if t.no_new_privs {
        step!(Step::NoNewPrivs, None, credentials::set_no_new_privs());
    }
    // SAFETY: path, argv and envp are NUL-terminated strings and NULL-terminated arrays built
    // before fork and still alive (the child has its own copy of the parent's memory).
    unsafe { libc::execve(exec.path.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
    let errno = errno_now();
    report(errors, Step::Exec, None, errno);
    if errno.0 == libc::ENOENT {
        EXIT_NOT_FOUND
    } else {
        EXIT_CANNOT_EXECUTE
    }
}

fn errno_now() -> Errno {
    // SAFETY: __errno_location returns a valid pointer to this thread's errno.
    Errno(unsafe { *libc::__errno_location() })
}

/// The signals leastcap's own process ignores (Rust's runtime sets SIGPIPE to SIG_IGN); only
/// these are restored, so dispositions inherited from leastcap's parent reach the program.
const RESET_SIGNALS: [libc::c_int; 1] = [libc::SIGPIPE];

fn reset_signals() -> Result<(), Errno> {
    // SAFETY: sigset_t is plain data; sigemptyset initialises it; sigprocmask and signal are
    // async-signal-safe.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        if libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut()) != 0 {
            return Err(errno_now());
        }
        for signal in RESET_SIGNALS {
            if libc::signal(signal, libc::SIG_DFL) == libc::SIG_ERR {
                return Err(errno_now());
            }
        }
    }
    Ok(())
}

fn wait_status(pid: libc::pid_t, flags: libc::c_int) -> io::Result<libc::c_int> {
    let mut status = 0;
    loop {
        // SAFETY: waitpid writes the status into a local.
        let ret = unsafe { libc::waitpid(pid, &mut status, flags) };
        if ret == pid {
            return Ok(status);
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

impl RawChild {
    pub fn pid(&self) -> u32 {
        self.pid as u32
    }

    /// Lets the child go on to the privilege transition. Does not wait.
    pub fn release(&mut self) -> io::Result<()> {
        if let Some(barrier) = self.barrier.take() {
            // SAFETY: writing one byte from a local to our end of the barrier pipe.
            let n = unsafe { libc::write(barrier.as_raw_fd(), b"g".as_ptr().cast(), 1) };
            if n != 1 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }

    /// Blocks until the child has executed the program (`Ok(Ok(()))`) or reported the step
    /// that failed. Call [`RawChild::release`] first. A traced child that stops before
    /// `execve` must be let run by the tracer, or this waits for ever.
    pub fn await_exec(&mut self) -> io::Result<Result<(), StepFailure>> {
        if let Some(result) = self.exec_result {
            return Ok(result);
        }
        let Some(errors) = self.errors.take() else {
            return Err(io::Error::other(
                "the child's exec result was already consumed",
            ));
        };
        let mut record = [0u8; RECORD];
        let mut filled = 0;
        while filled < RECORD {
            // SAFETY: reading into the unfilled tail of a local buffer.
            let n = unsafe {
                libc::read(
                    errors.as_raw_fd(),
                    record[filled..].as_mut_ptr().cast(),
                    RECORD - filled,
                )
            };
            if n == 0 {
                break;
            }
            if n < 0 {
                let error = io::Error::last_os_error();
                if error.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(error);
            }
            filled += n as usize;
        }
        let result = match filled {
            0 => Ok(()),
            RECORD => {
                let word = |range: std::ops::Range<usize>| {
                    let mut bytes = [0u8; 4];
                    bytes.copy_from_slice(&record[range]);
                    bytes
                };
                let step = Step::from_u32(u32::from_ne_bytes(word(0..4)))
                    .ok_or_else(|| io::Error::other("the child reported an unknown step"))?;
                let cap = u32::from_ne_bytes(word(4..8));
                Err(StepFailure {
                    step,
                    cap: if cap == NO_CAP { None } else { Some(cap as u8) },
                    errno: Errno(i32::from_ne_bytes(word(8..12))),
                })
            }
            _ => return Err(io::Error::other("the child sent a truncated error report")),
        };
        self.exec_result = Some(result);
        Ok(result)
    }

    /// Waits for the child to exit.
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        self.barrier = None;
        let status = wait_status(self.pid, 0)?;
        self.mark_reaped();
        Ok(ExitStatus::from_raw(status))
    }

    /// The pid is free for reuse from now on: stop forwarding signals to it.
    fn mark_reaped(&mut self) {
        self.reaped = true;
        let _ = FORWARD_TO.compare_exchange(self.pid, 0, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Sends a signal to the child (not after it was reaped).
    pub fn kill(&self, signal: i32) -> io::Result<()> {
        if self.reaped {
            return Err(io::Error::other("the child was already reaped"));
        }
        // SAFETY: kill with integer arguments; the pid is our unreaped child, so not recycled.
        if unsafe { libc::kill(self.pid, signal) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// The caller takes over reaping the child (a tracer that runs its own waitpid loop):
    /// dropping the handle will then neither kill nor wait for it.
    pub fn disown(mut self) -> u32 {
        self.disowned = true;
        self.pid as u32
    }
}

impl Drop for RawChild {
    fn drop(&mut self) {
        if self.reaped || self.disowned {
            return;
        }
        // Released and running, or still paused: leave no process behind. (A paused child
        // would also exit by itself at end-of-file on the barrier, but a sibling forked at the
        // same moment by another thread may hold a copy of the write end until it execs.)
        self.barrier = None;
        let _ = self.kill(libc::SIGKILL);
        let _ = wait_status(self.pid, 0);
        self.mark_reaped();
    }
}

/// What a child seized with [`seize_for_exec`] did next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecEvent {
    /// Stopped right after a successful `execve`, before the program's first instruction.
    Exec,
    /// Exited (or was killed) before executing anything.
    Exited(ExitStatus),
}

/// `PTRACE_SEIZE` with `PTRACE_O_TRACEEXEC` on our paused child, so that
/// [`wait_exec_event`] can observe its credentials at the exact moment of `execve`.
pub fn seize_for_exec(pid: u32) -> io::Result<()> {
    // SAFETY: ptrace with integer arguments on our own child.
    let ret = unsafe {
        libc::ptrace(
            libc::PTRACE_SEIZE,
            pid as libc::pid_t,
            std::ptr::null_mut::<libc::c_void>(),
            libc::PTRACE_O_TRACEEXEC as libc::c_ulong as *mut libc::c_void,
        )
    };
    if ret != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Waits for the seized child's exec stop, passing on any signal it receives before.
/// If it exits first, it has been reaped and the status is returned.
pub fn wait_exec_event(child: &mut RawChild) -> io::Result<ExecEvent> {
    loop {
        let status = wait_status(child.pid, 0)?;
        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
            child.mark_reaped();
            return Ok(ExecEvent::Exited(ExitStatus::from_raw(status)));
        }
        if libc::WIFSTOPPED(status) {
            if status >> 8 == (libc::SIGTRAP | (libc::PTRACE_EVENT_EXEC << 8)) {
                return Ok(ExecEvent::Exec);
            }
            // A signal-delivery stop (or group stop): let the signal through.
            let signal = libc::WSTOPSIG(status);
            let deliver = if status >> 16 == 0 { signal } else { 0 };
            ptrace_cont(child.pid, deliver)?;
        }
    }
}

fn ptrace_cont(pid: libc::pid_t, signal: libc::c_int) -> io::Result<()> {
    // SAFETY: ptrace with integer arguments on our own traced child.
    let ret = unsafe {
        libc::ptrace(
            libc::PTRACE_CONT,
            pid,
            std::ptr::null_mut::<libc::c_void>(),
            signal as libc::c_long as *mut libc::c_void,
        )
    };
    if ret != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Detaches from a child stopped at its exec event; it continues running untraced.
pub fn detach(pid: u32) -> io::Result<()> {
    // SAFETY: ptrace with integer arguments on our own traced, stopped child.
    let ret = unsafe {
        libc::ptrace(
            libc::PTRACE_DETACH,
            pid as libc::pid_t,
            std::ptr::null_mut::<libc::c_void>(),
            std::ptr::null_mut::<libc::c_void>(),
        )
    };
    if ret != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

static FORWARD_TO: AtomicI32 = AtomicI32::new(0);

extern "C" fn forward(signal: libc::c_int) {
    let pid = FORWARD_TO.load(Ordering::Relaxed);
    if pid > 0 {
        // SAFETY: kill is async-signal-safe; pid is the launched child.
        unsafe { libc::kill(pid, signal) };
    }
}

/// Forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to this process to
/// `pid` (the launched program), so `kill <leastcap>` reaches it as it would with `exec`.
pub fn forward_signals_to(pid: u32) -> io::Result<()> {
    FORWARD_TO.store(pid as i32, Ordering::Relaxed);
    for signal in [
        libc::SIGTERM,
        libc::SIGINT,
        libc::SIGHUP,
        libc::SIGQUIT,
        libc::SIGUSR1,
        libc::SIGUSR2,
    ] {
        // SAFETY: installing an async-signal-safe handler with a zeroed, then filled sigaction.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = forward as extern "C" fn(libc::c_int) as usize;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            if libc::sigaction(signal, &action, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

/// Whether the file system holding `path` is mounted `nosuid` (setuid bits and file
/// capabilities are then ignored by execve).
pub fn is_nosuid_mount(path: &Path) -> io::Result<bool> {
    let c_path = CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))?;
    // SAFETY: statvfs fills a zeroed struct from a NUL-terminated path.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(stat.f_flag & libc::ST_NOSUID != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(argv: &[&str]) -> ExecSpec {
        let argv: Vec<CString> = argv
            .iter()
            .map(|a| CString::new(*a).expect("no NUL"))
            .collect();
        ExecSpec {
            path: argv[0].clone(),
            argv,
            envp: Vec::new(),
            stdin: None,
            stdout: None,
            stderr: None,
        }
    }

    #[test]
    fn runs_a_program_and_reports_its_status() {
        let mut child = spawn_paused(&Transition::default(), &spec(&["/bin/sh", "-c", "exit 7"]))
            .expect("fork");
        child.release().expect("release");
        assert_eq!(child.await_exec().expect("pipe"), Ok(()));
        assert_eq!(child.wait().expect("wait").code(), Some(7));
    }

    #[test]
    fn a_reaped_child_no_longer_receives_forwarded_signals() {
        // After waitpid the pid may be reused by any process; forwarding a later SIGTERM
        // there would kill a stranger. (The handlers are not installed here: only the target.)
        let mut child = spawn_paused(&Transition::default(), &spec(&["/bin/true"])).expect("fork");
        FORWARD_TO.store(child.pid() as i32, Ordering::Relaxed);
        child.release().expect("release");
        assert_eq!(child.await_exec().expect("pipe"), Ok(()));
        child.wait().expect("wait");
        assert_eq!(FORWARD_TO.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn exec_failure_is_reported_with_the_step() {
        let mut child = spawn_paused(
            &Transition::default(),
            &spec(&["/nonexistent/leastcap-test"]),
        )
        .expect("fork");
        child.release().expect("release");
        let failure = child.await_exec().expect("pipe").expect_err("cannot exec");
        assert_eq!(failure.step, Step::Exec);
        assert_eq!(failure.errno, Errno(libc::ENOENT));
        assert_eq!(child.wait().expect("wait").code(), Some(EXIT_NOT_FOUND));
    }

    #[test]
    fn dropping_an_unreleased_child_reaps_it() {
        let child = spawn_paused(&Transition::default(), &spec(&["/bin/true"])).expect("fork");
        let pid = child.pid();
        drop(child);
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists() || {
                // The pid may have been reused already; it must not be our zombie.
                let status =
                    std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                !status.contains(&format!("PPid:\t{}", std::process::id()))
            }
        );
    }

    #[test]
    fn a_failing_step_names_the_capability() {
        // Raising a capability not in the inheritable set fails with EPERM in any context.
        let transition = Transition {
            caps: Some(credentials::capget().expect("capget")).map(|mut caps| {
                caps.inheritable = 0;
                caps
            }),
            ambient: Some(1 << 13),
            ..Transition::default()
        };
        let mut child = spawn_paused(&transition, &spec(&["/bin/true"])).expect("fork");
        child.release().expect("release");
        let failure = child.await_exec().expect("pipe").expect_err("must fail");
        assert_eq!(
            (failure.step, failure.cap, failure.errno),
            (Step::AmbientRaise, Some(13), Errno(libc::EPERM))
        );
        assert_eq!(
            child.wait().expect("wait").code(),
            Some(EXIT_LAUNCH_FAILURE)
        );
    }
}
