//! `leastcap ps`: which running processes hold which capabilities, and how.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write};

use anyhow::Context;
use leastcap_model::{Cap, CapSet, KernelCaps, ThreadCaps};
use leastcap_procs::rank::{self, Level, Risk};
use leastcap_procs::{mode, Creds, Field, Process, ReadOptions, Thread, UserDb};
use serde::Serialize;

use crate::escape::escape_str;
use crate::exit::{Outcome, UsageError};
use crate::printer::{Printer, Report, Style, Tone};

const AFTER_HELP: &str = "\
Columns: RISK is the worst knowledge-base verdict among the capabilities the process holds
(root-equivalent > uid-0 > conditional > limited > namespaced). SETS shows p= permitted,
e= effective (pe= when equal), i= inheritable and a= ambient when not empty, b= bounding when
not full; flags: nnp (no_new_privs), seccomp=strict|filter, userns (a non-initial user
namespace: its capabilities act only inside it), unit= or container= from the cgroup.

A process is in a non-initial user namespace when the inode of /proc/PID/ns/user is not
4026531837 (PROC_USER_INIT_INO, the kernel's fixed inode for the initial namespace).
Securebits are shown only with --self: the kernel exposes them to the process itself alone.
Fields the kernel refuses to show (hidepid, other users' processes) are reported as hidden;
processes that exit while being read are skipped and counted.

Examples:
  leastcap ps                        privileged processes, most dangerous first
  leastcap ps --all --tree           every process as a tree
  leastcap ps --cap net_raw          who can use CAP_NET_RAW, and through which set
  leastcap ps --pid 1234             one process in detail (thread ids work too)
  leastcap ps --user www-data --json
  leastcap ps --self                 this process, like capsh --print";

/// Show which processes hold which capabilities, most dangerous first.
///
/// For every process, and every thread whose credentials differ from its leader's: pid,
/// parent, real/effective user, command and executable, the five capability sets,
/// no_new_privs, seccomp mode, user namespace and cgroup (systemd unit or container).
/// By default only processes that hold a capability or run as uid 0 are listed.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct PsArgs {
    /// List every process, including unprivileged ones, kernel threads and leastcap itself.
    #[arg(long)]
    pub all: bool,

    /// Show processes as a tree (children under their parent) instead of ranked.
    #[arg(long)]
    pub tree: bool,

    /// Only these processes (a thread id selects that thread), shown in detail.
    #[arg(long, value_name = "PID", num_args = 1..)]
    pub pid: Vec<u32>,

    /// Only processes whose real or effective user is USER (a name or a number).
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,

    /// Only processes that can use CAP, with the sets through which they can
    /// (effective: now; permitted: after raising it; ambient: kept across execve;
    /// inheritable: through execve of a file with CAP in its inheritable set).
    #[arg(long, value_name = "CAP")]
    pub cap: Option<String>,

    /// List every thread, not only those whose credentials differ from their leader's.
    #[arg(long)]
    pub threads: bool,

    /// Print this process's own state like `capsh --print`, securebits included.
    #[arg(long = "self", conflicts_with_all = ["all", "tree", "pid", "user", "cap", "threads"])]
    pub self_process: bool,
}

pub fn run(args: PsArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let kernel = super::kernel_caps()?;
    let users = UserDb::load();
    if args.self_process {
        let report = self_report(kernel, &users)?;
        printer.print(&report)?;
        return Ok(Outcome::Success);
    }
    let cap = match &args.cap {
        Some(text) => Some(Cap::lookup(text).map_err(|e| UsageError(e.to_string()))?),
        None => None,
    };
    let user = match &args.user {
        Some(text) => Some(users.lookup_user(text).ok_or_else(|| {
            UsageError(format!(
                "unknown user '{}' (not in /etc/passwd; give a number)",
                escape_str(text)
            ))
        })?),
        None => None,
    };
    let options = ReadOptions {
        all_threads: args.threads,
    };
    let mut missing = Vec::new();
    let (processes, vanished) = if args.pid.is_empty() {
        let snapshot = leastcap_procs::snapshot(options)?;
        (snapshot.processes, snapshot.vanished)
    } else {
        let mut found = Vec::new();
        let mut seen = HashSet::new();
        for &pid in &args.pid {
            match leastcap_procs::read_pid(pid, options) {
                Ok(process) => {
                    if seen.insert(process.pid) {
                        found.push(process);
                    } else if let Some(existing) = found.iter_mut().find(|p| p.pid == process.pid) {
                        for thread in process.threads {
                            if !existing.threads.iter().any(|t| t.tid == thread.tid) {
                                existing.threads.push(thread);
                            }
                        }
                    }
                }
                Err(error) => {
                    printer.error(&error.to_string());
                    missing.push(pid);
                }
            }
        }
        (found, 0)
    };
    let read = processes.len();
    let hidden = processes.iter().filter(|p| has_hidden_field(p)).count();
    let selection = Selection {
        explicit: !args.pid.is_empty(),
        all: args.all,
        user,
        cap,
        own_pid: std::process::id(),
    };
    let mut rows: Vec<Row> = processes
        .into_iter()
        .filter_map(|process| selection.row(process, &users))
        .collect();
    if args.tree {
        rows = tree_order(rows);
    } else {
        rows.sort_by(|a, b| {
            rank::more_dangerous_first(&a.worst, &b.worst).then(a.process.pid.cmp(&b.process.pid))
        });
    }
    let summary = Summary::new(&rows, read, vanished, hidden);
    let report = PsReport {
        kernel_last_cap: kernel.last_cap().number(),
        user_namespace_rule: "non-initial when the /proc/PID/ns/user inode is not 4026531837 (PROC_USER_INIT_INO)",
        securebits: "not shown: the kernel exposes securebits only to the process itself (leastcap ps --self)",
        cap: cap.map(|c| c.to_string()),
        detailed: !args.pid.is_empty(),
        tree: args.tree,
        proc_hidepid: leastcap_procs::proc_hidepid(),
        missing: missing.clone(),
        processes: rows,
        summary,
        kernel,
    };
    printer
        .print(&report)
        .context("printing the process list")?;
    Ok(if missing.is_empty() {
        Outcome::Success
    } else {
        Outcome::Failed
    })
}

fn has_hidden_field(process: &Process) -> bool {
    process.status.is_hidden()
        || process.exe.is_hidden()
        || process.user_ns.is_hidden()
        || process.cgroup.is_hidden()
}

struct Selection {
    explicit: bool,
    all: bool,
    user: Option<u32>,
    cap: Option<Cap>,
    own_pid: u32,
}

/// The sets through which a thread can use `cap`, most immediate first.
fn via(caps: &ThreadCaps, cap: Cap) -> Vec<&'static str> {
    [
        ("effective", caps.effective),
        ("permitted", caps.permitted),
        ("ambient", caps.ambient),
        ("inheritable", caps.inheritable),
    ]
    .into_iter()
    .filter(|(_, set)| set.contains(cap))
    .map(|(name, _)| name)
    .collect()
}

impl Selection {
    fn creds_match(&self, creds: &Creds) -> bool {
        if let Some(uid) = self.user {
            if creds.ruid() != uid && creds.euid() != uid {
                return false;
            }
        }
        if let Some(cap) = self.cap {
            if via(&creds.caps, cap).is_empty() {
                return false;
            }
        }
        true
    }

    fn row(&self, mut process: Process, users: &UserDb) -> Option<Row> {
        let risk = rank::assess(&process);
        let initial = !matches!(&process.user_ns, Field::Known(ns) if !ns.initial);
        let thread_risks: Vec<Risk> = process
            .threads
            .iter()
            .map(|thread| rank::assess_with(&thread.status, initial, rank::verdict))
            .collect();
        let filtered = self.user.is_some() || self.cap.is_some();
        if filtered {
            let leader = process.status.known().is_some_and(|c| self.creds_match(c));
            let thread = process.threads.iter().any(|t| self.creds_match(&t.status));
            if !(leader || thread) || (process.kernel_thread && !self.all && !self.explicit) {
                return None;
            }
        } else if !self.explicit && !self.all {
            let privileged = |r: &Risk| !r.held.is_empty() || r.uid0;
            let interesting = !process.kernel_thread
                && process.pid != self.own_pid
                && (privileged(&risk) || thread_risks.iter().any(privileged));
            if !interesting {
                return None;
            }
        }
        let worst = std::iter::once(risk)
            .chain(thread_risks.iter().copied())
            .min_by(rank::more_dangerous_first)
            .unwrap_or(risk);
        let names = |creds: &Creds| Names {
            user: users.user_name(creds.ruid()).map(str::to_string),
            effective_user: users.user_name(creds.euid()).map(str::to_string),
        };
        let threads = std::mem::take(&mut process.threads)
            .iter()
            .zip(thread_risks)
            .map(|(thread, risk)| ThreadRow {
                thread: thread.clone(),
                risk,
                names: names(&thread.status),
                can_use: self.cap.map(|cap| via(&thread.status.caps, cap)),
            })
            .collect();
        Some(Row {
            names: process.status.known().map(names),
            can_use: self
                .cap
                .and_then(|cap| process.status.known().map(|c| via(&c.caps, cap))),
            risk,
            worst,
            threads,
            process,
            depth: 0,
        })
    }
}

/// User names from the passwd file; `None` (JSON null) for ids without a name.
#[derive(Serialize)]
struct Names {
    user: Option<String>,
    effective_user: Option<String>,
}

#[derive(Serialize)]
struct ThreadRow {
    #[serde(flatten)]
    thread: Thread,
    risk: Risk,
    #[serde(flatten)]
    names: Names,
    #[serde(skip_serializing_if = "Option::is_none")]
    can_use: Option<Vec<&'static str>>,
}

#[derive(Serialize)]
struct Row {
    #[serde(flatten)]
    process: Process,
    /// The leader's risk.
    risk: Risk,
    /// The worst of the leader's and its listed threads' risks (the sort key).
    worst: Risk,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    names: Option<Names>,
    #[serde(skip_serializing_if = "Option::is_none")]
    can_use: Option<Vec<&'static str>>,
    /// Threads listed separately (their credentials differ, or --threads).
    threads: Vec<ThreadRow>,
    #[serde(skip)]
    depth: usize,
}

/// Rows in depth-first parent → child order; `depth` is stored for the text view.
fn tree_order(rows: Vec<Row>) -> Vec<Row> {
    let pids: HashSet<u32> = rows.iter().map(|r| r.process.pid).collect();
    let parent_of = |row: &Row| row.process.status.known().map(|c| c.ppid);
    let mut children: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    let mut roots = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        match parent_of(row) {
            Some(ppid) if pids.contains(&ppid) && ppid != row.process.pid => {
                children.entry(ppid).or_default().push(index)
            }
            _ => roots.push(index),
        }
    }
    let mut order = Vec::with_capacity(rows.len());
    let mut stack: Vec<(usize, usize)> = roots.into_iter().rev().map(|i| (i, 0)).collect();
    let mut visited = HashSet::new();
    while let Some((index, depth)) = stack.pop() {
        if !visited.insert(index) {
            continue;
        }
        order.push((index, depth));
        if let Some(kids) = children.get(&rows[index].process.pid) {
            stack.extend(kids.iter().rev().map(|&k| (k, depth + 1)));
        }
    }
    let mut slots: Vec<Option<Row>> = rows.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(slots.len());
    for (index, depth) in order {
        if let Some(mut row) = slots[index].take() {
            row.depth = depth;
            out.push(row);
        }
    }
    // Anything in a parent cycle (impossible in /proc, but never lose a row).
    out.extend(slots.into_iter().flatten());
    out
}

#[derive(Serialize)]
struct Summary {
    /// Processes read from /proc (or given with --pid).
    read: usize,
    shown: usize,
    /// Processes that exited while being read (skipped).
    vanished: usize,
    /// Processes with at least one field the kernel would not show.
    with_hidden_fields: usize,
    /// Shown processes by risk level (of the leader or its worst listed thread).
    by_level: BTreeMap<&'static str, usize>,
}

impl Summary {
    fn new(rows: &[Row], read: usize, vanished: usize, hidden: usize) -> Summary {
        let mut by_level = BTreeMap::new();
        for row in rows {
            *by_level.entry(row.worst.level.label()).or_insert(0) += 1;
        }
        Summary {
            read,
            shown: rows.len(),
            vanished,
            with_hidden_fields: hidden,
            by_level,
        }
    }
}

#[derive(Serialize)]
struct PsReport {
    kernel_last_cap: u8,
    user_namespace_rule: &'static str,
    securebits: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cap: Option<String>,
    #[serde(skip)]
    detailed: bool,
    #[serde(skip)]
    tree: bool,
    /// The `hidepid=` option of /proc, when it hides processes from this user.
    proc_hidepid: Option<String>,
    /// --pid arguments that named no process.
    missing: Vec<u32>,
    processes: Vec<Row>,
    summary: Summary,
    #[serde(skip)]
    kernel: KernelCaps,
}

fn seccomp_name(mode: Option<u8>) -> String {
    match mode {
        Some(0) => "disabled".to_string(),
        Some(1) => "strict".to_string(),
        Some(2) => "filter".to_string(),
        Some(other) => other.to_string(),
        None => "unsupported".to_string(),
    }
}

/// `pe=full i=cap_kill b=all − {…}`: the compact sets of one thread.
fn sets_text(caps: &ThreadCaps, kernel: KernelCaps) -> String {
    let mut parts = Vec::new();
    if caps.permitted == caps.effective {
        parts.push(format!("pe={}", caps.permitted.compact(kernel)));
    } else {
        parts.push(format!("p={}", caps.permitted.compact(kernel)));
        parts.push(format!("e={}", caps.effective.compact(kernel)));
    }
    if !caps.inheritable.is_empty() {
        parts.push(format!("i={}", caps.inheritable.compact(kernel)));
    }
    if !caps.ambient.is_empty() {
        parts.push(format!("a={}", caps.ambient.compact(kernel)));
    }
    if caps.bounding != kernel.all() {
        parts.push(format!("b={}", caps.bounding.compact(kernel)));
    }
    parts.join(" ")
}

fn flags_text(creds: &Creds) -> Vec<String> {
    let mut flags = Vec::new();
    if creds.no_new_privs == Some(true) {
        flags.push("nnp".to_string());
    }
    if let Some(mode) = creds.seccomp.filter(|m| *m != 0) {
        flags.push(format!("seccomp={}", seccomp_name(Some(mode))));
    }
    flags
}

/// `alice`, or `alice/root` when the real and effective users differ; numbers for ids
/// without a name.
fn user_text(names: &Names, creds: &Creds) -> String {
    let real = names
        .user
        .clone()
        .unwrap_or_else(|| creds.ruid().to_string());
    let effective = names
        .effective_user
        .clone()
        .unwrap_or_else(|| creds.euid().to_string());
    if creds.ruid() == creds.euid() {
        real
    } else {
        format!("{real}/{effective}")
    }
}

/// capsh's spelling of a possibly unknown name.
fn or_unknown(name: Option<&String>) -> String {
    name.map_or_else(
        || leastcap_procs::UNKNOWN_NAME.to_string(),
        |n| escape_str(n),
    )
}

fn paint_level(style: &Style, level: Level) -> String {
    let text = format!("{:<15}", level.label());
    match level {
        Level::RootEquivalent | Level::Uid0 => style.paint(&text, Tone::Danger),
        Level::Conditional => style.paint(&text, Tone::Warning),
        Level::KernelThread | Level::None | Level::Namespaced => style.paint(&text, Tone::Dim),
        Level::Limited => text,
    }
}

impl PsReport {
    fn write_row(&self, out: &mut dyn Write, style: &Style, row: &Row) -> io::Result<()> {
        let process = &row.process;
        let indent = if self.tree {
            "  ".repeat(row.depth)
        } else {
            String::new()
        };
        let Field::Known(creds) = &process.status else {
            let reason = match &process.status {
                Field::Hidden(h) => h.hidden.as_str(),
                _ => "unknown",
            };
            return writeln!(
                out,
                "{} {:>7} {:>7} {:<16} {indent}{:<16} status hidden ({reason})",
                style.paint(&format!("{:<15}", "unknown"), Tone::Dim),
                process.pid,
                "?",
                "?",
                "?"
            );
        };
        let names = row
            .names
            .as_ref()
            .map(|n| user_text(n, creds))
            .unwrap_or_default();
        let mut line = format!(
            "{} {:>7} {:>7} {:<16} {indent}{:<16} {}",
            paint_level(style, row.risk.level),
            process.pid,
            creds.ppid,
            escape_str(&names),
            escape_str(&creds.comm),
            sets_text(&creds.caps, self.kernel),
        );
        let mut extras = flags_text(creds);
        match &process.user_ns {
            Field::Known(ns) if !ns.initial => extras.push("userns".to_string()),
            Field::Hidden(_) => extras.push("userns=hidden".to_string()),
            _ => {}
        }
        if let Some(via) = &row.can_use {
            extras.push(format!("via={}", via.join(",")));
        }
        match &process.cgroup {
            Field::Known(cgroup) => {
                if let Some(container) = &cgroup.container {
                    let short: String = container.id.chars().take(12).collect();
                    extras.push(format!(
                        "container={}:{}",
                        container.runtime,
                        escape_str(&short)
                    ));
                } else if let Some(unit) = &cgroup.unit {
                    extras.push(format!("unit={}", escape_str(unit)));
                }
            }
            Field::Hidden(_) => extras.push("cgroup=hidden".to_string()),
            Field::Absent => {}
        }
        match &process.exe {
            Field::Known(exe) => extras.push(format!("exe={}", escape_str(exe))),
            Field::Hidden(_) => extras.push("exe=hidden".to_string()),
            Field::Absent if process.kernel_thread => {}
            Field::Absent => extras.push("exe=none".to_string()),
        }
        for extra in extras {
            line.push_str("  ");
            line.push_str(&extra);
        }
        writeln!(out, "{line}")?;
        for thread in &row.threads {
            let mut line = format!(
                "{} {:>7} {:>7} {:<16} {indent}{:<16} {}",
                paint_level(style, thread.risk.level),
                thread.thread.tid,
                format!("({})", process.pid),
                escape_str(&user_text(&thread.names, &thread.thread.status)),
                format!("└ {}", escape_str(&thread.thread.status.comm)),
                sets_text(&thread.thread.status.caps, self.kernel),
            );
            for flag in flags_text(&thread.thread.status) {
                line.push_str("  ");
                line.push_str(&flag);
            }
            if let Some(via) = &thread.can_use {
                line.push_str(&format!("  via={}", via.join(",")));
            }
            if !thread.thread.differs_in.is_empty() {
                line.push_str(&format!(
                    "  thread differs in {}",
                    thread.thread.differs_in.join(",")
                ));
            }
            writeln!(out, "{line}")?;
        }
        Ok(())
    }

    fn write_detail(&self, out: &mut dyn Write, row: &Row) -> io::Result<()> {
        let process = &row.process;
        match process.status.known() {
            Some(creds) => writeln!(out, "process {} ({})", process.pid, escape_str(&creds.comm))?,
            None => writeln!(out, "process {}", process.pid)?,
        }
        let exe = match &process.exe {
            Field::Known(exe) => escape_str(exe),
            Field::Hidden(h) => format!("hidden ({})", h.hidden),
            Field::Absent if process.kernel_thread => "none (kernel thread)".to_string(),
            Field::Absent => "none (zombie, or no executable)".to_string(),
        };
        writeln!(out, "  exe           {exe}")?;
        match &process.status {
            Field::Known(creds) => {
                self.write_creds(out, creds, row.names.as_ref(), "")?;
                let names: Vec<String> = row
                    .risk
                    .root_equivalent
                    .iter()
                    .map(|c| c.to_string())
                    .collect();
                let why = if names.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", names.join(", "))
                };
                writeln!(out, "  risk          {}{why}", row.risk.level.label())?;
            }
            Field::Hidden(h) => writeln!(out, "  status        hidden ({})", h.hidden)?,
            Field::Absent => {}
        }
        write_can_use(out, "  ", row.can_use.as_deref())?;
        let ns = match &process.user_ns {
            Field::Known(ns) if ns.initial => format!("initial (inode {})", ns.inode),
            Field::Known(ns) => format!(
                "non-initial (inode {}): capabilities act only inside it",
                ns.inode
            ),
            Field::Hidden(h) => format!("hidden ({})", h.hidden),
            Field::Absent => "unknown".to_string(),
        };
        writeln!(out, "  user ns       {ns}")?;
        let cgroup = match &process.cgroup {
            Field::Known(cgroup) => {
                let mut text = escape_str(&cgroup.path);
                if let Some(unit) = &cgroup.unit {
                    text.push_str(&format!(" (unit {})", escape_str(unit)));
                }
                if let Some(container) = &cgroup.container {
                    text.push_str(&format!(
                        " (container {} {})",
                        container.runtime,
                        escape_str(&container.id)
                    ));
                }
                text
            }
            Field::Hidden(h) => format!("hidden ({})", h.hidden),
            Field::Absent => "none".to_string(),
        };
        writeln!(out, "  cgroup        {cgroup}")?;
        writeln!(
            out,
            "  securebits    not available: the kernel shows securebits only to the process itself"
        )?;
        if let Some(count) = process.thread_count {
            writeln!(out, "  threads       {count}")?;
        }
        for thread in &row.threads {
            let differs = if thread.thread.differs_in.is_empty() {
                "same credentials as the leader".to_string()
            } else {
                format!("differs in {}", thread.thread.differs_in.join(", "))
            };
            writeln!(out, "  thread {} ({differs})", thread.thread.tid)?;
            self.write_creds(out, &thread.thread.status, Some(&thread.names), "  ")?;
            write_can_use(out, "    ", thread.can_use.as_deref())?;
            writeln!(out, "    risk          {}", thread.risk.level.label())?;
        }
        Ok(())
    }

    fn write_creds(
        &self,
        out: &mut dyn Write,
        creds: &Creds,
        names: Option<&Names>,
        pad: &str,
    ) -> io::Result<()> {
        let kernel = self.kernel;
        let mut buffer = Vec::new();
        self.write_creds_lines(&mut buffer, creds, names, kernel)?;
        for line in String::from_utf8_lossy(&buffer).lines() {
            writeln!(out, "{pad}{line}")?;
        }
        Ok(())
    }

    fn write_creds_lines(
        &self,
        out: &mut dyn Write,
        creds: &Creds,
        names: Option<&Names>,
        kernel: KernelCaps,
    ) -> io::Result<()> {
        writeln!(out, "  comm          {}", escape_str(&creds.comm))?;
        writeln!(out, "  parent        {}", creds.ppid)?;
        if let Some(names) = names {
            writeln!(
                out,
                "  users         uid={}({}) euid={}({}) suid={} fsuid={}",
                creds.uids[0],
                or_unknown(names.user.as_ref()),
                creds.uids[1],
                or_unknown(names.effective_user.as_ref()),
                creds.uids[2],
                creds.uids[3]
            )?;
        }
        let groups: Vec<String> = creds.groups.iter().map(u32::to_string).collect();
        writeln!(
            out,
            "  groups        gid={} egid={} groups={}",
            creds.gids[0],
            creds.gids[1],
            groups.join(",")
        )?;
        let caps = &creds.caps;
        for (name, set) in [
            ("permitted", caps.permitted),
            ("effective", caps.effective),
            ("inheritable", caps.inheritable),
            ("ambient", caps.ambient),
            ("bounding", caps.bounding),
        ] {
            writeln!(out, "  {name:<13} {}", set.compact(kernel))?;
        }
        writeln!(out, "  libcap text   {}", caps.state().to_text(kernel))?;
        let iab = caps.iab(kernel).to_text(kernel);
        writeln!(
            out,
            "  IAB           {}",
            if iab.is_empty() { "-" } else { iab.as_str() }
        )?;
        let nnp = match creds.no_new_privs {
            Some(true) => "yes",
            Some(false) => "no",
            None => "unsupported",
        };
        writeln!(out, "  no_new_privs  {nnp}")?;
        writeln!(out, "  seccomp       {}", seccomp_name(creds.seccomp))
    }
}

impl Report for PsReport {
    fn write_text(&self, out: &mut dyn Write, style: &Style) -> io::Result<()> {
        if self.detailed {
            for (index, row) in self.processes.iter().enumerate() {
                if index > 0 {
                    writeln!(out)?;
                }
                self.write_detail(out, row)?;
            }
        } else {
            if !self.processes.is_empty() {
                let header = format!(
                    "{:<15} {:>7} {:>7} {:<16} {:<16} SETS / NOTES",
                    "RISK", "PID", "PPID", "USER", "COMMAND"
                );
                writeln!(out, "{}", style.paint(&header, Tone::Bold))?;
            }
            for row in &self.processes {
                self.write_row(out, style, row)?;
            }
        }
        let s = &self.summary;
        let levels: Vec<String> = s
            .by_level
            .iter()
            .rev()
            .map(|(level, n)| format!("{n} {level}"))
            .collect();
        let mut line = format!("{} of {} processes shown", s.shown, s.read);
        if !levels.is_empty() {
            line.push_str(&format!(" ({})", levels.join(", ")));
        }
        if s.vanished > 0 {
            line.push_str(&format!(
                "; {} exited while being read (skipped)",
                s.vanished
            ));
        }
        if s.with_hidden_fields > 0 {
            line.push_str(&format!(
                "; {} with fields hidden by the kernel (hidepid or permissions)",
                s.with_hidden_fields
            ));
        }
        if !self.detailed {
            writeln!(out)?;
        }
        writeln!(out, "{}", style.paint(&line, Tone::Dim))?;
        if let Some(hidepid) = &self.proc_hidepid {
            let note = format!(
                "note: /proc is mounted with hidepid={}: other users' processes may be unreadable or not listed at all",
                escape_str(hidepid)
            );
            writeln!(out, "{}", style.paint(&note, Tone::Warning))?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// --self: capsh --print

#[derive(Serialize)]
struct IdName {
    id: u32,
    name: Option<String>,
}

#[derive(Serialize)]
struct SelfReport {
    pid: u32,
    caps: ThreadCaps,
    /// libcap's text for P/E/I (`Current:`).
    current: String,
    iab: String,
    bounding_supported: bool,
    ambient_supported: bool,
    securebits: Option<leastcap_model::Securebits>,
    no_new_privs: Option<bool>,
    keep_caps: Option<bool>,
    uid: IdName,
    euid: IdName,
    gid: IdName,
    groups: Vec<IdName>,
    guessed_mode: mode::CapMode,
    /// The same lines `capsh --print` prints.
    lines: Vec<String>,
}

fn self_report(kernel: KernelCaps, users: &UserDb) -> anyhow::Result<SelfReport> {
    let state = leastcap_sys::read_thread_state()?;
    let status_text =
        std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    let status =
        leastcap_model::ProcStatus::parse(&status_text).context("parsing /proc/self/status")?;
    let user = |id: u32| IdName {
        id,
        name: users.user_name(id).map(str::to_string),
    };
    let group = |id: u32| IdName {
        id,
        name: users.group_name(id).map(str::to_string),
    };
    let caps = state.caps;
    let current = caps.state().to_text(kernel);
    let iab = caps.iab(kernel).to_text(kernel);
    let guessed_mode = state.securebits.map_or(mode::CapMode::Uncertain, |bits| {
        mode::guess(bits, &caps, state.ambient_supported)
    });
    let report = SelfReport {
        pid: std::process::id(),
        caps,
        current,
        iab,
        bounding_supported: state.bounding_supported,
        ambient_supported: state.ambient_supported,
        securebits: state.securebits,
        no_new_privs: state.no_new_privs,
        keep_caps: state.keep_caps,
        uid: user(status.uids[0]),
        euid: user(status.uids[1]),
        gid: group(status.gids[0]),
        groups: status.groups.iter().map(|g| group(*g)).collect(),
        guessed_mode,
        lines: Vec::new(),
    };
    let lines = capsh_lines(&report, kernel);
    Ok(SelfReport { lines, ..report })
}

fn prctl_set_line(name: &str, set: CapSet, supported: bool, kernel: KernelCaps) -> String {
    if !supported {
        return format!("{name} set = <unsupported>");
    }
    format!("{name} set ={}", (set & kernel.all()).to_name_list())
}

fn named(id: &IdName) -> String {
    format!(
        "{}({})",
        id.id,
        id.name
            .as_deref()
            .map_or_else(|| leastcap_procs::UNKNOWN_NAME.to_string(), escape_str)
    )
}

/// The lines of `capsh --print` (libcap 2.66 layout).
fn capsh_lines(report: &SelfReport, kernel: KernelCaps) -> Vec<String> {
    let mut lines = vec![
        format!("Current: {}", report.current),
        prctl_set_line(
            "Bounding",
            report.caps.bounding,
            report.bounding_supported,
            kernel,
        ),
        prctl_set_line(
            "Ambient",
            report.caps.ambient,
            report.ambient_supported,
            kernel,
        ),
        format!("Current IAB: {}", report.iab),
    ];
    match report.securebits {
        Some(bits) => {
            let set = bits.0;
            let binary = format!("{set:b}");
            let nnp = report.no_new_privs.map_or(-1, i32::from);
            lines.push(format!(
                "Securebits: 0{set:o}/0x{set:x}/{}'b{binary} (no-new-privs={nnp})",
                binary.len()
            ));
            let flag = |on: u32, lock: u32, name: &str| {
                format!(
                    " {name}: {} ({})",
                    if set & on != 0 { "yes" } else { "no" },
                    if set & lock != 0 {
                        "locked"
                    } else {
                        "unlocked"
                    }
                )
            };
            lines.push(flag(0x1, 0x2, "secure-noroot"));
            lines.push(flag(0x4, 0x8, "secure-no-suid-fixup"));
            lines.push(flag(0x10, 0x20, "secure-keep-caps"));
            if report.ambient_supported {
                lines.push(flag(0x40, 0x80, "secure-no-ambient-raise"));
            }
        }
        None => {
            lines.push("[Securebits ABI not supported]".to_string());
            lines.push(match report.keep_caps {
                Some(keep) => format!(
                    " prctl-keep-caps: {} (locking not supported)",
                    if keep { "yes" } else { "no" }
                ),
                None => "[Keepcaps ABI not supported]".to_string(),
            });
        }
    }
    lines.push(format!(
        "uid={} euid={}",
        named(&report.uid),
        named(&report.euid)
    ));
    lines.push(format!("gid={}", named(&report.gid)));
    let groups: Vec<String> = report.groups.iter().map(named).collect();
    lines.push(format!("groups={}", groups.join(",")));
    lines.push(format!(
        "Guessed mode: {} ({})",
        report.guessed_mode.name(),
        report.guessed_mode.number()
    ));
    lines
}

impl Report for SelfReport {
    fn write_text(&self, out: &mut dyn Write, _style: &Style) -> io::Result<()> {
        for line in &self.lines {
            writeln!(out, "{line}")?;
        }
        Ok(())
    }
}

/// The `--cap` answer in the detailed view: through which sets the capability is usable.
fn write_can_use(out: &mut dyn Write, indent: &str, via: Option<&[&str]>) -> io::Result<()> {
    match via {
        Some([]) => writeln!(out, "{indent}{:<13} -", "can use via"),
        Some(via) => writeln!(out, "{indent}{:<13} {}", "can use via", via.join(", ")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_are_compact_and_skip_the_defaults() {
        let k = KernelCaps::LINUX_6;
        assert_eq!(sets_text(&ThreadCaps::full(k), k), "pe=full");
        let caps = ThreadCaps {
            permitted: CapSet::from_caps([Cap::NET_RAW, Cap::KILL]),
            effective: CapSet::from_caps([Cap::NET_RAW]),
            inheritable: CapSet::from_caps([Cap::NET_RAW]),
            ambient: CapSet::from_caps([Cap::NET_RAW]),
            bounding: k.all().without(Cap::SYS_ADMIN),
        };
        assert_eq!(
            sets_text(&caps, k),
            "p=cap_kill, cap_net_raw e=cap_net_raw i=cap_net_raw a=cap_net_raw b=all − {cap_sys_admin}"
        );
    }

    #[test]
    fn via_lists_the_sets_in_order_of_immediacy() {
        let caps = ThreadCaps {
            permitted: CapSet::from_caps([Cap::NET_RAW]),
            inheritable: CapSet::from_caps([Cap::NET_RAW]),
            ..ThreadCaps::default()
        };
        assert_eq!(via(&caps, Cap::NET_RAW), ["permitted", "inheritable"]);
        assert!(via(&caps, Cap::KILL).is_empty());
    }
}
