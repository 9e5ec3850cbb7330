//! The launcher: fork, barrier, privilege transition, exec.

use std::ffi::{CString, OsStr, OsString};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

use leastcap_model::{Cap, CapSet, KernelCaps, ProcStatus, SecureBit};
use leastcap_sys::credentials::{CapTriple, Errno};
use leastcap_sys::launch::{self as sys, ExecEvent, RawChild, Step, StepFailure, Transition};

use crate::current::{CurrentState, CurrentStateError};
use crate::plan::{PrivilegePlan, Refusal, TargetBinary, TargetError, Warning};

/// Why a program could not be started (or observed).
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("{program}: command not found")]
    NotFound { program: String },
    /// `execve` said ENOENT although the file exists: its ELF loader or `#!` interpreter is
    /// missing.
    #[error("cannot execute {program}: the interpreter it names (its ELF loader or #! line) does not exist")]
    InterpreterNotFound { program: String },
    #[error("cannot execute {program}: {source}")]
    CannotExecute {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Current(#[from] CurrentStateError),
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error("cannot determine the kernel's capabilities: {0}")]
    Kernel(#[from] leastcap_sys::KernelCapsError),
    #[error("{program}: argument or environment contains a NUL byte")]
    NulByte { program: String },
    /// A step of the privilege transition failed in the child.
    #[error("{message}")]
    Step {
        step: Step,
        cap: Option<Cap>,
        errno: Errno,
        message: String,
    },
    #[error("{what}: {source}")]
    Io {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
}

impl LaunchError {
    /// The exit status `run` uses for this failure: 127 not found, 126 cannot execute,
    /// 125 anything else (leastcap failed before the program started).
    pub fn exit_code(&self) -> u8 {
        match self {
            LaunchError::NotFound { .. } | LaunchError::InterpreterNotFound { .. } => 127,
            LaunchError::CannotExecute { .. } => 126,
            _ => 125,
        }
    }
}

fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> LaunchError {
    move |source| LaunchError::Io { what, source }
}

/// Starts one program under a [`PrivilegePlan`].
#[derive(Debug)]
pub struct Launcher {
    plan: PrivilegePlan,
    argv: Vec<OsString>,
    env: Option<Vec<(OsString, OsString)>>,
    stdin: Option<OwnedFd>,
    stdout: Option<OwnedFd>,
    stderr: Option<OwnedFd>,
    current: Option<CurrentState>,
}

/// A launched child: paused at the barrier until [`Child::resume`] or [`Child::release`].
#[derive(Debug)]
pub struct Child {
    raw: RawChild,
    plan: PrivilegePlan,
    current: CurrentState,
    program: PathBuf,
    target: TargetBinary,
    warnings: Vec<Warning>,
    stopped: bool,
    kernel: KernelCaps,
    needed_setpcap: bool,
}

impl Launcher {
    /// `argv[0]` is the program: a path, or a name looked up in `PATH`.
    pub fn new(plan: PrivilegePlan, argv: Vec<OsString>) -> Launcher {
        Launcher {
            plan,
            argv,
            env: None,
            stdin: None,
            stdout: None,
            stderr: None,
            current: None,
        }
    }

    /// Replaces the environment (default: the launcher's own).
    pub fn env(mut self, vars: Vec<(OsString, OsString)>) -> Launcher {
        self.env = Some(vars);
        self
    }

    pub fn stdin(mut self, fd: OwnedFd) -> Launcher {
        self.stdin = Some(fd);
        self
    }

    pub fn stdout(mut self, fd: OwnedFd) -> Launcher {
        self.stdout = Some(fd);
        self
    }

    pub fn stderr(mut self, fd: OwnedFd) -> Launcher {
        self.stderr = Some(fd);
        self
    }

    /// The launcher's state the plan was built against (default: read it at spawn).
    pub fn current(mut self, current: CurrentState) -> Launcher {
        self.current = Some(current);
        self
    }

    /// The program file `argv[0]` names, found like execvp does (in the environment's PATH).
    pub fn resolve_program(&self) -> Result<PathBuf, LaunchError> {
        let program_name = self.argv.first().cloned().unwrap_or_default();
        let path_var = match &self.env {
            Some(env) => env
                .iter()
                .find(|(key, _)| key == "PATH")
                .map(|(_, value)| value.clone()),
            None => std::env::var_os("PATH"),
        };
        resolve(&program_name, path_var.as_deref()).ok_or(LaunchError::NotFound {
            program: program_name.to_string_lossy().into_owned(),
        })
    }

    /// Validates the plan against the launcher's state and the program file, then forks a
    /// child that waits at the barrier. Nothing has changed in the child yet.
    pub fn spawn_paused(self) -> Result<Child, LaunchError> {
        let kernel = leastcap_sys::kernel_caps()?;
        let program = self.resolve_program()?;
        let current = match self.current {
            Some(current) => current,
            None => CurrentState::read()?,
        };
        let display = program.display().to_string();
        let env: Vec<(OsString, OsString)> =
            self.env.unwrap_or_else(|| std::env::vars_os().collect());
        let target = TargetBinary::inspect(&program)?;
        let warnings = self.plan.validate_for(&current, kernel, &target)?;

        let nul = || LaunchError::NulByte {
            program: display.clone(),
        };
        let path = CString::new(program.as_os_str().as_bytes()).map_err(|_| nul())?;
        let argv = self
            .argv
            .iter()
            .map(|arg| CString::new(arg.as_bytes()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| nul())?;
        let envp = env
            .iter()
            .map(|(key, value)| {
                let mut bytes = key.as_bytes().to_vec();
                bytes.push(b'=');
                bytes.extend_from_slice(value.as_bytes());
                CString::new(bytes)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| nul())?;
        let spec = sys::ExecSpec {
            path,
            argv,
            envp,
            stdin: self.stdin.as_ref().map(AsRawFd::as_raw_fd),
            stdout: self.stdout.as_ref().map(AsRawFd::as_raw_fd),
            stderr: self.stderr.as_ref().map(AsRawFd::as_raw_fd),
        };
        let transition = transition(&self.plan, &current, kernel);
        let raw =
            sys::spawn_paused(&transition, &spec).map_err(io("cannot start the child (fork)"))?;
        // The descriptors were duplicated into the child by fork; ours close here.
        Ok(Child {
            raw,
            plan: self.plan,
            current,
            program,
            target,
            warnings,
            stopped: false,
            kernel,
            needed_setpcap: transition.bounding_drop != 0 || transition.securebits.is_some(),
        })
    }
}

/// Finds the program like execvp: a name with a slash is a path; otherwise the first
/// executable regular file of that name in `PATH`.
fn resolve(program: &OsStr, path_var: Option<&OsStr>) -> Option<PathBuf> {
    if program.is_empty() {
        return None;
    }
    if program.as_bytes().contains(&b'/') {
        let path = PathBuf::from(program);
        return path.exists().then_some(path);
    }
    let search = path_var.unwrap_or(OsStr::new("/usr/local/bin:/usr/bin:/bin"));
    std::env::split_paths(search)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Turns a plan into the child's steps, given what the launcher already is.
fn transition(plan: &PrivilegePlan, current: &CurrentState, kernel: KernelCaps) -> Transition {
    let caps = &plan.caps;
    let bounding_drop = (current.caps.bounding & kernel.all()) - caps.bounding;
    let set_securebits = plan.changes_securebits(current);
    let needs_setpcap = !bounding_drop.is_empty() || set_securebits;
    let changes_uid = plan.changes_uid(current);
    let triple = |extra: CapSet| CapTriple {
        effective: (caps.effective | extra).bits(),
        permitted: (caps.permitted | extra).bits(),
        inheritable: caps.inheritable.bits(),
    };
    let setpcap = if needs_setpcap {
        CapSet::from_caps([Cap::SETPCAP])
    } else {
        CapSet::EMPTY
    };
    let first = triple(setpcap);
    let last = triple(CapSet::EMPTY);
    Transition {
        // When leaving uid 0 with something to keep: the capabilities passed on, or
        // CAP_SETPCAP still needed after the uid change to drop the bounding set and set
        // securebits. Not under SECBIT_NO_SETUID_FIXUP (the uid change then keeps every set
        // by itself), nor otherwise: PR_SET_KEEPCAPS fails under SECBIT_KEEP_CAPS_LOCKED.
        keep_caps: plan.needs_keep_caps(current, needs_setpcap),
        groups: plan.changes_groups(current).then(|| plan.groups.clone()),
        gid: plan.changes_gid(current).then_some(plan.gid),
        uid: changes_uid.then_some(plan.uid),
        caps: Some(first),
        ambient: Some(caps.ambient.bits()),
        bounding_drop: bounding_drop.bits(),
        securebits: set_securebits.then_some(plan.securebits.0),
        final_caps: (first != last).then_some(last),
        no_new_privs: plan.no_new_privs && !current.no_new_privs,
    }
}

impl Child {
    /// The child's pid: valid from spawn on (the child waits at the barrier until released).
    pub fn pid(&self) -> u32 {
        self.raw.pid()
    }

    /// The resolved program path.
    pub fn program(&self) -> &Path {
        &self.program
    }

    pub fn plan(&self) -> &PrivilegePlan {
        &self.plan
    }

    /// The program file's facts (file capabilities, setuid), as used for the prediction.
    pub fn target(&self) -> &TargetBinary {
        &self.target
    }

    /// Releases the child and waits until `execve` succeeded, or returns the step that
    /// failed (the child has then exited and been reaped).
    pub fn resume(&mut self) -> Result<(), LaunchError> {
        self.release()?;
        self.await_exec()
    }

    /// Releases the child without waiting: for a tracer that must keep handling the child's
    /// stops until its exec event, then calls [`Child::await_exec`].
    pub fn release(&mut self) -> Result<(), LaunchError> {
        self.raw.release().map_err(io("cannot release the child"))
    }

    /// Waits for the outcome of the privilege transition and `execve`.
    pub fn await_exec(&mut self) -> Result<(), LaunchError> {
        match self
            .raw
            .await_exec()
            .map_err(io("cannot read the child's error pipe"))?
        {
            Ok(()) => Ok(()),
            Err(failure) => {
                let _ = self.raw.wait();
                Err(self.explain(failure))
            }
        }
    }

    /// Resumes the child and reads its `/proc/PID/status` at the moment of `execve`, before
    /// the program runs its first instruction: the child is ptrace-seized before release and
    /// is left *stopped at its exec event* when this returns. Call [`Child::continue_program`]
    /// to let it run (or [`Child::kill`] it: it will never have executed anything). Used by
    /// `run --verify`; not for a child another tracer will attach to.
    ///
    /// Under ptrace the kernel only honours set-id bits and file capabilities if the tracer
    /// (leastcap) holds CAP_SYS_PTRACE; as root it does, so the observed state is the one an
    /// untraced run gets.
    pub fn resume_stopped_at_exec(&mut self) -> Result<ProcStatus, LaunchError> {
        sys::seize_for_exec(self.pid())
            .map_err(io("cannot attach to the child to verify it (ptrace)"))?;
        self.release()?;
        match sys::wait_exec_event(&mut self.raw).map_err(io("cannot wait for the child's exec"))? {
            ExecEvent::Exited(_) => {
                self.await_exec()?;
                Err(LaunchError::Io {
                    what: "the child exited before executing the program",
                    source: std::io::Error::other("no error was reported"),
                })
            }
            ExecEvent::Exec => {
                self.stopped = true;
                self.await_exec()?;
                let text = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
                    .map_err(io("cannot read the program's /proc/PID/status"))?;
                ProcStatus::parse(&text).map_err(|error| LaunchError::Io {
                    what: "cannot parse the program's /proc/PID/status",
                    source: std::io::Error::other(error),
                })
            }
        }
    }

    /// Lets a child stopped by [`Child::resume_stopped_at_exec`] run (detaches ptrace).
    pub fn continue_program(&mut self) -> Result<(), LaunchError> {
        if self.stopped {
            sys::detach(self.pid()).map_err(io("cannot detach from the program"))?;
            self.stopped = false;
        }
        Ok(())
    }

    /// Warnings from validating the plan against the program file (a setuid bit that
    /// no_new_privs will ignore, an ambient set that file capabilities replace).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Waits for the program to exit.
    pub fn wait(&mut self) -> Result<ExitStatus, LaunchError> {
        self.raw.wait().map_err(io("cannot wait for the program"))
    }

    /// Sends a signal to the child.
    pub fn kill(&self, signal: i32) -> Result<(), LaunchError> {
        self.raw
            .kill(signal)
            .map_err(io("cannot signal the program"))
    }

    /// Forwards SIGTERM/SIGINT/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 received by this process to
    /// the child (for a launcher that waits in the foreground, as `run` does).
    pub fn forward_signals(&self) -> Result<(), LaunchError> {
        sys::forward_signals_to(self.pid()).map_err(io("cannot install signal forwarding"))
    }

    /// Hands reaping over to the caller (a tracer with its own waitpid loop); returns the pid.
    pub fn disown(self) -> u32 {
        self.raw.disown()
    }

    fn explain(&self, failure: StepFailure) -> LaunchError {
        let cap = failure.cap.and_then(Cap::new);
        let program = self.program.display().to_string();
        if failure.step == Step::Exec {
            return if failure.errno.0 == libc_enoent() && self.program.is_file() {
                LaunchError::InterpreterNotFound { program }
            } else if failure.errno.0 == libc_enoent() {
                LaunchError::NotFound { program }
            } else {
                LaunchError::CannotExecute {
                    program,
                    source: failure.errno.to_io(),
                }
            };
        }
        let eperm = failure.errno.0 == 1;
        let caps = &self.plan.caps;
        let current = &self.current;
        let why = match (failure.step, cap) {
            (Step::AmbientRaise, Some(cap)) if eperm && !caps.inheritable.contains(cap) => {
                "it is not in the inheritable set".to_string()
            }
            (Step::AmbientRaise, Some(cap)) if eperm && !caps.permitted.contains(cap) => {
                "it is not in the permitted set".to_string()
            }
            (Step::AmbientRaise, Some(_))
                if eperm && current.securebits.contains(SecureBit::NoCapAmbientRaise) =>
            {
                "SECBIT_NO_CAP_AMBIENT_RAISE is set".to_string()
            }
            (Step::BoundingDrop | Step::Securebits, _) if eperm => {
                "leastcap has no cap_setpcap in its effective set".to_string()
            }
            (Step::Uid, _) if eperm => "leastcap lacks cap_setuid".to_string(),
            (Step::Gid | Step::Groups, _) if eperm => "leastcap lacks cap_setgid".to_string(),
            (Step::Capset | Step::FinalCapset, _) if eperm => format!(
                "the requested sets (permitted: {}; inheritable: {}{}) exceed what leastcap holds at this point",
                caps.permitted.compact(self.kernel),
                caps.inheritable.compact(self.kernel),
                if failure.step == Step::Capset && self.needed_setpcap { "; plus cap_setpcap for the next steps" } else { "" },
            ),
            _ => failure.errno.to_string(),
        };
        let message = match (failure.step, cap) {
            (Step::AmbientRaise, Some(cap)) => {
                format!("cannot raise {cap} in the ambient set: {why}")
            }
            (Step::BoundingDrop, Some(cap)) => {
                format!("cannot drop {cap} from the bounding set: {why}")
            }
            (step, Some(cap)) => format!("cannot {} ({cap}): {why}", step.describe()),
            (step, None) => format!("cannot {}: {why}", step.describe()),
        };
        LaunchError::Step {
            step: failure.step,
            cap,
            errno: failure.errno,
            message,
        }
    }
}

const fn libc_enoent() -> i32 {
    2
}
