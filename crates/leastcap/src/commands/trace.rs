//! `leastcap trace`: every capability check a program makes, from the kernel, classified.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use leastcap_bpf::{Output, StartAt, Target, TraceOptions, TraceStats, Tracer};
use leastcap_events::{Backend, CapEvent};
use leastcap_launch::{CurrentState, Launcher, PrivilegePlan, UserDb};
use leastcap_model::{Cap, CapSet, KernelCaps, ProcStatus};
use leastcap_trace::{ClassifiedEvent, Classifier, Dedup, Summary};
use serde::Serialize;

use super::run::{launch_error, status_code, PrivilegeArgs};
use crate::escape::escape_str as escape;
use crate::exit::{LaunchFailure, Outcome, UsageError};
use crate::printer::{Printer, Style, Tone};

const AFTER_HELP: &str = "\
Targets: a PROGRAM started by leastcap (recorded from its execve on, with its children and
threads, until the whole tree has exited; leastcap exits with the program's status), or
--pid PID (that process and its descendants, until they exit or Ctrl-C), or --cgroup PATH /
--unit NAME (until Ctrl-C or --duration). Nothing outside the target is recorded.

Privilege options (--user, --caps, ...) are those of `leastcap run`: trace a program as the
user it will really run as. Under uid 0 file ownership hides most DAC/FOWNER/CHOWN checks, so
`--user nobody --caps all` shows what an unprivileged deployment needs. Without them the
program runs with leastcap's own credentials. The launcher's own setuid/capset work is never
recorded.

Classes: needed; advisory (the kernel asks, but the operation works without it, e.g. the
memory-overcommit heuristic's CAP_SYS_ADMIN check on every execve/mmap); alternative (a
broad capability accepted at a site that has a narrow one: grant the narrow one); user-namespace
(checked inside the program's own user namespace: no host capability needed).

Output goes to standard error (like strace), or to --output FILE. With --json it is NDJSON:
one {\"type\":\"check\"} object per check and a final {\"type\":\"summary\"} object.
Needs root, or CAP_BPF + CAP_PERFMON, and a kernel with BTF.

Examples:
  leastcap trace -- ping -c1 127.0.0.1
  leastcap trace --user nobody --caps all -- ping -c1 127.0.0.1
  leastcap trace --summary -- python3 -m http.server 80
  leastcap trace --unique --pid 1234
  leastcap trace --json --output checks.ndjson --unit nginx.service --duration 60";

/// Trace the kernel's capability checks of a program, a process tree or a cgroup, and say
/// which capabilities it needs.
///
/// Uses eBPF on the kernel's cap_capable tracepoint (or the best backend the running kernel
/// allows, which it names), follows children and threads in the kernel, and classifies every
/// check with the knowledge base.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct TraceArgs {
    #[command(flatten)]
    pub privileges: PrivilegeArgs,

    /// Trace a running process and its descendants instead of starting a program.
    #[arg(long, short = 'p', value_name = "PID", conflicts_with_all = ["cgroup", "unit"])]
    pub pid: Option<u32>,

    /// Trace every process in a cgroup v2 directory (and its sub-cgroups).
    #[arg(long, value_name = "PATH", conflicts_with = "unit")]
    pub cgroup: Option<PathBuf>,

    /// Trace a systemd unit (its cgroup).
    #[arg(long, value_name = "NAME")]
    pub unit: Option<String>,

    /// Stop after this many seconds (for --pid, --cgroup and --unit).
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<f64>,

    /// Show each capability/syscall/verdict combination once (counted in the kernel).
    #[arg(long, conflicts_with = "summary")]
    pub unique: bool,

    /// Only the summary at the end; checks are counted in the kernel (the cheapest mode).
    #[arg(long, short = 's')]
    pub summary: bool,

    /// Record the kernel call stack of every check (costs ~3 µs per check) and print it.
    #[arg(long)]
    pub stack: bool,

    /// Use this backend instead of the best one the kernel allows.
    #[arg(long, value_name = "BACKEND", value_parser = ["fexit", "tp-btf", "raw-tp", "tracepoint", "kprobe"])]
    pub backend: Option<String>,

    /// Write the trace here instead of standard error.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// The program and its arguments (after --).
    #[arg(
        value_name = "PROGRAM",
        trailing_var_arg = true,
        allow_hyphen_values = true,
        required_unless_present_any = ["pid", "cgroup", "unit"],
        conflicts_with_all = ["pid", "cgroup", "unit"]
    )]
    pub command: Vec<OsString>,
}

/// Where the trace goes and in which form.
struct Sink {
    out: Box<dyn Write>,
    json: bool,
    style: Style,
}

impl Sink {
    fn check(&mut self, checked: &ClassifiedEvent, origin_ns: u64, stack: bool) -> io::Result<()> {
        if self.json {
            #[derive(Serialize)]
            struct Line<'a> {
                r#type: &'static str,
                #[serde(flatten)]
                check: &'a ClassifiedEvent,
            }
            serde_json::to_writer(
                &mut self.out,
                &Line {
                    r#type: "check",
                    check: checked,
                },
            )
            .map_err(io::Error::other)?;
            return writeln!(self.out);
        }
        let seconds = checked.event.time_ns.saturating_sub(origin_ns) as f64 / 1e9;
        writeln!(self.out, "{seconds:>10.6} {}", escape(&checked.line()))?;
        if stack {
            for frame in &checked.event.stack {
                writeln!(self.out, "{:>14}{}", "", frame)?;
            }
        }
        Ok(())
    }

    fn summary(&mut self, report: &SummaryReport) -> io::Result<()> {
        if self.json {
            serde_json::to_writer(&mut self.out, report).map_err(io::Error::other)?;
            writeln!(self.out)?;
            return self.out.flush();
        }
        report.write_text(&mut self.out, &self.style)?;
        self.out.flush()
    }
}

#[derive(Serialize)]
struct BackendView {
    name: &'static str,
    rejected: Vec<(String, String)>,
    cannot_see: &'static str,
}

#[derive(Serialize)]
struct SummaryReport {
    r#type: &'static str,
    target: String,
    backend: BackendView,
    checks: u64,
    lost_events: u64,
    uncounted_checks: u64,
    rows: Vec<leastcap_trace::SummaryRow>,
    needed: Vec<Cap>,
    /// How to grant the needed set.
    grant: Option<GrantHints>,
    exit_status: Option<u8>,
}

#[derive(Serialize)]
struct GrantHints {
    run: String,
    setcap: String,
    systemd: String,
}

impl SummaryReport {
    fn write_text(&self, out: &mut dyn Write, style: &Style) -> io::Result<()> {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            style.paint(
                &format!(
                    "{:<24} {:<14} {:>8} {:>7}  {:<24} RECOMMENDATION",
                    "CAPABILITY", "CLASS", "GRANTED", "DENIED", "SYSCALLS"
                ),
                Tone::Bold
            )
        )?;
        for row in &self.rows {
            let class = format!("{:<14}", row.class.label());
            let tone = match row.class {
                leastcap_trace::Class::Needed => Tone::Danger,
                leastcap_trace::Class::Alternative => Tone::Warning,
                _ => Tone::Dim,
            };
            writeln!(
                out,
                "{:<24} {} {:>8} {:>7}  {:<24} {}",
                row.cap.to_string(),
                style.paint(&class, tone),
                row.granted,
                row.denied,
                row.syscalls.join(","),
                row.recommendation
            )?;
        }
        writeln!(
            out,
            "\n{} checks of {} traced with {}{}.",
            self.checks,
            self.target,
            self.backend.name,
            if self.lost_events > 0 || self.uncounted_checks > 0 {
                format!(
                    "; {} events LOST and {} checks uncounted (the trace is incomplete)",
                    self.lost_events, self.uncounted_checks
                )
            } else {
                "; no event lost".to_string()
            }
        )?;
        if self.needed.is_empty() {
            writeln!(out, "Needed: no capability.")?;
        } else {
            let names: Vec<String> = self.needed.iter().map(|cap| cap.to_string()).collect();
            writeln!(out, "Needed: {}", style.paint(&names.join(","), Tone::Bold))?;
        }
        if let Some(grant) = &self.grant {
            writeln!(out, "  run:     {}", grant.run)?;
            writeln!(out, "  setcap:  {}", grant.setcap)?;
            writeln!(out, "  systemd: {}", grant.systemd)?;
        }
        Ok(())
    }
}

fn grant_hints(needed: &[Cap], kernel: KernelCaps) -> Option<GrantHints> {
    if needed.is_empty() {
        return None;
    }
    let set = CapSet::from_caps(needed.iter().copied());
    let short: Vec<String> = needed
        .iter()
        .map(|cap| cap.to_string().trim_start_matches("cap_").to_string())
        .collect();
    let upper: Vec<String> = needed.iter().map(|cap| cap.upper_name()).collect();
    let state = leastcap_model::CapState {
        effective: set,
        permitted: set,
        inheritable: CapSet::EMPTY,
    };
    Some(GrantHints {
        run: format!(
            "leastcap run --user USER --caps {} -- PROGRAM",
            short.join(",")
        ),
        setcap: format!("setcap {} PROGRAM", state.to_text(kernel)),
        systemd: format!(
            "AmbientCapabilities={0} CapabilityBoundingSet={0}",
            upper.join(" ")
        ),
    })
}

fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

/// The plan that changes nothing: the program runs with leastcap's own credentials.
fn unchanged(current: &CurrentState, users: &UserDb) -> PrivilegePlan {
    PrivilegePlan {
        user: users.user_name(current.uids[1]).map(str::to_string),
        uid: current.uids[1],
        gid: current.gids[1],
        groups: current.groups.clone(),
        caps: current.caps,
        securebits: current.securebits,
        no_new_privs: current.no_new_privs,
    }
}

/// Capabilities a running process holds (for classifying checks it denies itself).
fn held_by(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|text| ProcStatus::parse(&text).ok())
        .map_or(0, |status| {
            status.caps.permitted.bits() | status.caps.effective.bits()
        })
}

struct Session {
    tracer: Tracer,
    classifier: Classifier<'static>,
    summary: Summary,
    dedup: Dedup,
    sink: Sink,
    output: Output,
    unique: bool,
    stack: bool,
}

impl Session {
    fn new(
        tracer: Tracer,
        classifier: Classifier<'static>,
        sink: Sink,
        args: &TraceArgs,
        output: Output,
    ) -> Session {
        Session {
            tracer,
            classifier,
            summary: Summary::default(),
            dedup: Dedup::default(),
            sink,
            output,
            unique: args.unique,
            stack: args.stack,
        }
    }

    fn consume(&mut self, events: Vec<CapEvent>) -> io::Result<()> {
        let origin = self.tracer.start_time_ns();
        for event in events {
            let classification = self.classifier.classify(&event);
            if self.output == Output::Events {
                self.summary.add(&event, &classification);
            }
            if self.unique && !self.dedup.first(&event) {
                continue;
            }
            let checked = ClassifiedEvent::new(event, classification);
            self.sink.check(&checked, origin, self.stack)?;
        }
        self.sink.out.flush()
    }

    fn pump(&mut self) -> anyhow::Result<()> {
        let events = self.tracer.poll(Duration::from_millis(50))?;
        self.consume(events)?;
        Ok(())
    }

    fn finish(
        mut self,
        target: String,
        exit_status: Option<u8>,
        kernel: KernelCaps,
    ) -> anyhow::Result<SummaryAndStats> {
        let rest = self.tracer.drain();
        self.consume(rest)?;
        if self.output != Output::Events {
            // Counts kept in the kernel: every check, not only those shown live.
            let rows = self.tracer.aggregate()?;
            self.summary = Summary::build(&mut self.classifier, &rows);
        }
        if let Some(status) = exit_status {
            self.summary.settle(status == 0);
        }
        let stats: TraceStats = self.tracer.stats()?;
        let report = self.tracer.backend().clone();
        let needed = self.summary.needed.clone();
        let summary = SummaryReport {
            r#type: "summary",
            target,
            backend: BackendView {
                name: report.backend.name(),
                rejected: report
                    .rejected
                    .iter()
                    .map(|(backend, why)| (backend.name().to_string(), why.clone()))
                    .collect(),
                cannot_see: report.limitations(),
            },
            checks: self.summary.checks,
            lost_events: stats.lost,
            uncounted_checks: stats.aggregate_full,
            rows: self.summary.rows.clone(),
            grant: grant_hints(&needed, kernel),
            needed,
            exit_status,
        };
        self.sink.summary(&summary)?;
        Ok(SummaryAndStats { stats })
    }
}

struct SummaryAndStats {
    stats: TraceStats,
}

pub fn run(args: TraceArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let kernel = super::kernel_caps()?;
    let backend = args
        .backend
        .as_deref()
        .map(|name| {
            Backend::from_name(name).ok_or_else(|| usage(format!("unknown backend '{name}'")))
        })
        .transpose()?;
    if args.duration.is_some_and(|d| !(d > 0.0 && d.is_finite())) {
        return Err(usage("--duration must be a positive number of seconds"));
    }
    if !args.command.is_empty() && args.duration.is_some() {
        return Err(usage(
            "--duration applies to --pid, --cgroup and --unit; a program is traced until it exits",
        ));
    }
    if args.command.is_empty() && args.privileges.any_given() {
        return Err(usage(
            "privilege options (--user, --caps, ...) apply only when leastcap starts the PROGRAM",
        ));
    }
    let output = if args.summary {
        Output::Aggregate
    } else if args.unique {
        Output::Unique
    } else {
        Output::Events
    };
    let out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(io::stderr()),
    };
    let sink = Sink {
        out,
        json: printer.is_json(),
        style: if args.output.is_some() {
            Style::PLAIN
        } else {
            printer.style()
        },
    };
    let classifier = Classifier::default();
    let options = TraceOptions {
        backend,
        output,
        stack_caps: if args.stack {
            u64::MAX
        } else {
            classifier.stack_caps()
        },
        ..TraceOptions::default()
    };

    if args.command.is_empty() {
        return trace_running(&args, options, classifier, sink, printer, kernel);
    }
    trace_program(args, options, classifier, sink, printer, kernel)
}

fn report_backend(printer: &Printer, tracer: &Tracer) {
    let report = tracer.backend();
    let mut note = format!("tracing with {}", report.backend.name());
    for (backend, why) in &report.rejected {
        note.push_str(&format!("; {} unavailable: {}", backend.name(), why));
    }
    printer.note(&note);
    printer.note(&format!(
        "{} cannot see: {}",
        report.backend.name(),
        report.limitations()
    ));
}

fn trace_program(
    args: TraceArgs,
    mut options: TraceOptions,
    classifier: Classifier<'static>,
    sink: Sink,
    printer: &Printer,
    kernel: KernelCaps,
) -> anyhow::Result<Outcome> {
    if !leastcap_bpf::have_privileges() {
        return Err(LaunchFailure(
            "tracing capability checks needs root or CAP_BPF + CAP_PERFMON".into(),
        )
        .into());
    }
    let current = CurrentState::read().context("cannot read leastcap's own credentials")?;
    let users = UserDb::system()?;
    let plan = if args.privileges.any_given() {
        let request = args.privileges.request(kernel)?;
        PrivilegePlan::from_request(&request, &current, &users, kernel)
            .map_err(|e| usage(e.to_string()))?
    } else {
        unchanged(&current, &users)
    };
    let mut child = match Launcher::new(plan, args.command.clone())
        .current(current)
        .spawn_paused()
    {
        Ok(child) => child,
        Err(error) => return launch_error(error, printer),
    };
    // What the program holds right after exec: denials of anything else it never had.
    let held = child
        .plan()
        .predict(child.target())
        .caps
        .map_or(0, |caps| caps.permitted.bits() | caps.effective.bits());
    let classifier = classifier.held_at_start(held);
    for warning in child.warnings() {
        printer.warn(&escape(&warning.0));
    }
    options.start_at = StartAt::NextExec;
    let tracer = Tracer::start(Target::Pid(child.pid()), options.clone()).map_err(|error| {
        let _ = child.kill(9);
        LaunchFailure(error.to_string())
    })?;
    report_backend(printer, &tracer);
    let mut session = Session::new(tracer, classifier, sink, &args, options.output);
    child.forward_signals()?;
    if let Err(error) = child.resume() {
        drop(session);
        return launch_error(error, printer);
    }
    // The trace ends when the whole tree (children and grandchildren too) has exited.
    while session.tracer.tracked_processes() != Some(0) {
        session.pump()?;
    }
    let status = status_code(child.wait()?);
    let name = child.program().display().to_string();
    let finished = session.finish(escape(&name), Some(status), kernel)?;
    warn_incomplete(printer, &finished.stats);
    Ok(Outcome::Status(status))
}

fn trace_running(
    args: &TraceArgs,
    options: TraceOptions,
    classifier: Classifier<'static>,
    sink: Sink,
    printer: &Printer,
    kernel: KernelCaps,
) -> anyhow::Result<Outcome> {
    let (target, name, held) = match (&args.pid, &args.cgroup, &args.unit) {
        (Some(pid), _, _) => (Target::Pid(*pid), format!("process {pid}"), held_by(*pid)),
        (_, Some(path), _) => (
            Target::Cgroup(path.clone()),
            format!("cgroup {}", path.display()),
            0,
        ),
        (_, _, Some(unit)) => {
            let path = leastcap_bpf::unit_cgroup(unit)?;
            (Target::Cgroup(path), format!("unit {unit}"), 0)
        }
        (None, None, None) => return Err(usage("give a PROGRAM, --pid, --cgroup or --unit")),
    };
    let classifier = classifier.held_at_start(held);
    let tracer = Tracer::start(target.clone(), options.clone())?;
    report_backend(printer, &tracer);
    leastcap_sys::signals::catch_interrupts()?;
    let deadline = args
        .duration
        .map(|seconds| Instant::now() + Duration::from_secs_f64(seconds));
    let mut session = Session::new(tracer, classifier, sink, args, options.output);
    loop {
        if leastcap_sys::signals::interrupted() || deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        if matches!(target, Target::Pid(_)) && session.tracer.tracked_processes() == Some(0) {
            break;
        }
        session.pump()?;
    }
    let finished = session.finish(escape(&name), None, kernel)?;
    warn_incomplete(printer, &finished.stats);
    Ok(Outcome::Success)
}

fn warn_incomplete(printer: &Printer, stats: &TraceStats) {
    if stats.lost > 0 {
        printer.warn(&format!(
            "{} events were lost (ring buffer full); the live lines are incomplete. Use --summary or --unique, which count in the kernel",
            stats.lost
        ));
    }
    if stats.aggregate_full > 0 {
        printer.warn(&format!(
            "{} checks were not counted (kernel count map full)",
            stats.aggregate_full
        ));
    }
}
