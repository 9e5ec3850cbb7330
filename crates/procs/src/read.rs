//! Reading processes and threads from /proc, tolerating processes that exit mid-read.

use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use leastcap_model::{ProcStatus, ThreadCaps};
use serde::Serialize;

use crate::cgroup::{self, Cgroup};
use crate::field::Field;

/// `PROC_USER_INIT_INO` (include/linux/proc_ns.h): the fixed inode number of the initial user
/// namespace's `/proc/PID/ns/user`. Comparing with it says "initial or not" exactly, whatever
/// namespace leastcap itself runs in and even when `/proc/1` is out of reach.
pub const INITIAL_USER_NS_INODE: u64 = 0xEFFF_FFFD;

/// `PF_KTHREAD` in the flags field of `/proc/PID/stat`.
const PF_KTHREAD: u64 = 0x0020_0000;

/// errno of a read from a /proc file whose task has exited.
const ESRCH: i32 = 3;

/// /proc itself could not be listed.
#[derive(Debug, thiserror::Error)]
#[error("cannot list {path}: {source}")]
pub struct ProcsError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// Reading one process failed in a way the caller must hear about.
#[derive(Debug, thiserror::Error)]
pub enum PidError {
    #[error("no process {pid} (it does not exist or has exited)")]
    NoSuchProcess { pid: u32 },
}

/// The credential part of a status file: what a thread *is* allowed to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Creds {
    pub ppid: u32,
    /// `comm` as the kernel shows it (raw; escape before printing).
    pub comm: String,
    /// Real, effective, saved, filesystem.
    pub uids: [u32; 4],
    pub gids: [u32; 4],
    pub groups: Vec<u32>,
    pub caps: ThreadCaps,
    pub no_new_privs: Option<bool>,
    /// 0 disabled, 1 strict, 2 filter.
    pub seccomp: Option<u8>,
}

impl Creds {
    fn from_status(status: ProcStatus) -> Creds {
        Creds {
            ppid: status.ppid,
            comm: status.name,
            uids: status.uids,
            gids: status.gids,
            groups: status.groups,
            caps: status.caps,
            no_new_privs: status.no_new_privs,
            seccomp: status.seccomp,
        }
    }

    pub fn ruid(&self) -> u32 {
        self.uids[0]
    }

    pub fn euid(&self) -> u32 {
        self.uids[1]
    }

    /// Names of the credential fields in which `self` differs from `other`.
    pub fn differences(&self, other: &Creds) -> Vec<&'static str> {
        let mut out = Vec::new();
        let (a, b) = (&self.caps, &other.caps);
        for (name, differs) in [
            ("uids", self.uids != other.uids),
            ("gids", self.gids != other.gids),
            ("groups", self.groups != other.groups),
            ("permitted", a.permitted != b.permitted),
            ("effective", a.effective != b.effective),
            ("inheritable", a.inheritable != b.inheritable),
            ("ambient", a.ambient != b.ambient),
            ("bounding", a.bounding != b.bounding),
            ("no_new_privs", self.no_new_privs != other.no_new_privs),
            ("seccomp", self.seccomp != other.seccomp),
        ] {
            if differs {
                out.push(name);
            }
        }
        out
    }
}

/// The user namespace a process lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct UserNs {
    /// Inode of `/proc/PID/ns/user`.
    pub inode: u64,
    /// True for the host's initial user namespace ([`INITIAL_USER_NS_INODE`]). Capabilities
    /// held in any other namespace act only on resources that namespace owns.
    pub initial: bool,
}

/// One thread shown separately from its process leader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Thread {
    pub tid: u32,
    pub status: Creds,
    /// Which credential fields differ from the leader's (empty when shown only because all
    /// threads were asked for).
    pub differs_in: Vec<&'static str>,
}

/// One process (thread group), as read from /proc.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Process {
    pub pid: u32,
    /// The leader's credentials (`/proc/PID/status`).
    pub status: Field<Creds>,
    /// `/proc/PID/exe`; absent for kernel threads and zombies.
    pub exe: Field<String>,
    pub kernel_thread: bool,
    pub user_ns: Field<UserNs>,
    pub cgroup: Field<Cgroup>,
    /// Number of threads (`Threads:` in status).
    pub thread_count: Option<u32>,
    /// Threads whose credentials differ from the leader's (or every other thread, when
    /// asked for).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub threads: Vec<Thread>,
}

/// What to read.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadOptions {
    /// List every thread, not only those whose credentials differ from the leader's.
    pub all_threads: bool,
}

/// Every process that could be read, plus the count of those that exited while being read.
#[derive(Clone, Debug, Serialize)]
pub struct Snapshot {
    pub processes: Vec<Process>,
    /// Processes that disappeared between being listed and being read: skipped.
    pub vanished: usize,
}

enum Failure {
    /// The process (or thread) no longer exists.
    Gone,
    /// The kernel refused: the reason.
    Hidden(String),
}

fn classify(error: &io::Error) -> Failure {
    match error.raw_os_error() {
        Some(ESRCH) => Failure::Gone,
        _ => match error.kind() {
            io::ErrorKind::NotFound => Failure::Gone,
            io::ErrorKind::PermissionDenied => Failure::Hidden("permission denied".to_string()),
            _ => Failure::Hidden(error.to_string()),
        },
    }
}

fn proc_dir(pid: u32) -> PathBuf {
    PathBuf::from(format!("/proc/{pid}"))
}

fn exists(dir: &Path) -> bool {
    std::fs::symlink_metadata(dir.join("stat")).is_ok()
}

/// Reads a small /proc file with one buffer and no size probing (`std::fs::read` asks for
/// the file's size and position first, which /proc files do not have: two wasted syscalls).
fn read_small(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut buffer = vec![0u8; 4096];
    let mut length = 0;
    loop {
        if length == buffer.len() {
            buffer.resize(buffer.len() * 2, 0);
        }
        match file.read(&mut buffer[length..]) {
            Ok(0) => break,
            Ok(n) => length += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    buffer.truncate(length);
    Ok(buffer)
}

/// Reads and parses a status file. Invalid UTF-8 in `Name:` (a truncated multi-byte comm)
/// is replaced, not an error.
fn read_status(path: &Path) -> Result<(ProcStatus, Option<u32>), Failure> {
    let bytes = read_small(path).map_err(|e| classify(&e))?;
    let text = String::from_utf8_lossy(&bytes);
    // An empty read means the task died between open and read.
    if text.is_empty() {
        return Err(Failure::Gone);
    }
    let status = ProcStatus::parse(&text)
        .map_err(|e| Failure::Hidden(format!("malformed {}: {e}", path.display())))?;
    let threads = text
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|value| value.trim().parse().ok());
    Ok((status, threads))
}

fn is_kernel_thread(dir: &Path) -> Option<bool> {
    let stat = read_small(&dir.join("stat")).ok()?;
    let stat = String::from_utf8_lossy(&stat);
    let after = &stat[stat.rfind(')')? + 1..];
    let flags: u64 = after.split_whitespace().nth(6)?.parse().ok()?;
    Some(flags & PF_KTHREAD != 0)
}

/// The process exited while being read.
struct Gone;

/// Reads a field, turning "gone" into a vanished process when the whole process is gone and
/// into an absent field otherwise.
fn field<T>(dir: &Path, result: io::Result<T>) -> Result<Field<T>, Gone> {
    match result {
        Ok(value) => Ok(Field::Known(value)),
        Err(error) => match classify(&error) {
            Failure::Gone if !exists(dir) => Err(Gone),
            Failure::Gone => Ok(Field::Absent),
            Failure::Hidden(reason) => Ok(Field::hidden(reason)),
        },
    }
}

fn read_process(pid: u32, options: ReadOptions, want_tid: Option<u32>) -> Result<Process, Gone> {
    let dir = proc_dir(pid);
    let (status, thread_count) = match read_status(&dir.join("status")) {
        Ok((status, threads)) => (Field::Known(Creds::from_status(status)), threads),
        Err(Failure::Gone) => return Err(Gone),
        Err(Failure::Hidden(reason)) => (Field::hidden(reason), None),
    };
    let exe = field(&dir, std::fs::read_link(dir.join("exe")))?
        .map_known(|path| path.to_string_lossy().into_owned());
    let kernel_thread = matches!(exe, Field::Absent) && is_kernel_thread(&dir).unwrap_or(false);
    let user_ns = field(&dir, std::fs::metadata(dir.join("ns/user")))?.map_known(|meta| UserNs {
        inode: meta.ino(),
        initial: meta.ino() == INITIAL_USER_NS_INODE,
    });
    let cgroup = match field(&dir, read_small(&dir.join("cgroup")))? {
        Field::Known(bytes) => match cgroup::parse(&String::from_utf8_lossy(&bytes)) {
            Some(cgroup) => Field::Known(cgroup),
            None if !exists(&dir) => return Err(Gone),
            None => Field::Absent,
        },
        Field::Hidden(hidden) => Field::Hidden(hidden),
        Field::Absent => Field::Absent,
    };
    let mut process = Process {
        pid,
        status,
        exe,
        kernel_thread,
        user_ns,
        cgroup,
        thread_count,
        threads: Vec::new(),
    };
    let multi = thread_count.is_none_or(|count| count > 1) || want_tid.is_some();
    if multi {
        process.threads = read_threads(&process, &dir, options, want_tid);
    }
    Ok(process)
}

fn read_threads(
    process: &Process,
    dir: &Path,
    options: ReadOptions,
    want_tid: Option<u32>,
) -> Vec<Thread> {
    let Field::Known(leader) = &process.status else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(dir.join("task")) else {
        return Vec::new();
    };
    let mut threads = Vec::new();
    for entry in entries.flatten() {
        let Some(tid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
        else {
            continue;
        };
        if tid == process.pid || want_tid.is_some_and(|want| want != tid) {
            continue;
        }
        // A thread that exits now is simply not there any more.
        let Ok((status, _)) = read_status(&entry.path().join("status")) else {
            continue;
        };
        let status = Creds::from_status(status);
        let differs_in = status.differences(leader);
        if options.all_threads || want_tid.is_some() || !differs_in.is_empty() {
            threads.push(Thread {
                tid,
                status,
                differs_in,
            });
        }
    }
    threads.sort_by_key(|thread| thread.tid);
    threads
}

impl<T> Field<T> {
    fn map_known<U>(self, f: impl FnOnce(T) -> U) -> Field<U> {
        match self {
            Field::Known(value) => Field::Known(f(value)),
            Field::Hidden(hidden) => Field::Hidden(hidden),
            Field::Absent => Field::Absent,
        }
    }
}

/// Reads every process in /proc. Processes that exit while being read are skipped and
/// counted in [`Snapshot::vanished`]; fields the kernel refuses to show are
/// [`Field::Hidden`]. Only a /proc that cannot be listed at all is an error.
pub fn snapshot(options: ReadOptions) -> Result<Snapshot, ProcsError> {
    let root = PathBuf::from("/proc");
    let entries = std::fs::read_dir(&root).map_err(|source| ProcsError {
        path: root.clone(),
        source,
    })?;
    let mut pids: Vec<u32> = entries
        .flatten()
        .filter_map(|entry| {
            entry
                .file_name()
                .to_str()
                .and_then(|name| name.parse().ok())
        })
        .collect();
    pids.sort_unstable();
    let mut processes = Vec::with_capacity(pids.len());
    let mut vanished = 0;
    for pid in pids {
        match read_process(pid, options, None) {
            Ok(process) => processes.push(process),
            Err(Gone) => vanished += 1,
        }
    }
    Ok(Snapshot {
        processes,
        vanished,
    })
}

/// The `hidepid=` option of the /proc this process sees (from /proc/self/mountinfo), when
/// it hides anything: `noaccess`/`1` (other users' processes are listed but unreadable),
/// `invisible`/`2` (not even listed) or `ptraceable`/`4`.
pub fn proc_hidepid() -> Option<String> {
    let text = read_small(Path::new("/proc/self/mountinfo")).ok()?;
    parse_hidepid(&String::from_utf8_lossy(&text))
}

fn parse_hidepid(mountinfo: &str) -> Option<String> {
    // The last mount on /proc is the one in effect.
    let line = mountinfo
        .lines()
        .rev()
        .find(|line| line.split_whitespace().nth(4) == Some("/proc"))?;
    let (_, after) = line.split_once(" - ")?;
    let options = after.split_whitespace().nth(2)?;
    options
        .split(',')
        .find_map(|option| option.strip_prefix("hidepid="))
        .filter(|value| !matches!(*value, "0" | "off"))
        .map(str::to_string)
}

/// Reads one process by pid. A thread id selects its process with only that thread listed.
pub fn read_pid(pid: u32, options: ReadOptions) -> Result<Process, PidError> {
    let gone = || PidError::NoSuchProcess { pid };
    let status_path = proc_dir(pid).join("status");
    let tgid = match read_status(&status_path) {
        Ok((status, _)) => status.tgid,
        Err(Failure::Gone) => return Err(gone()),
        Err(Failure::Hidden(_)) => pid,
    };
    let want_tid = (tgid != pid && tgid != 0).then_some(pid);
    let leader = if want_tid.is_some() { tgid } else { pid };
    match read_process(leader, options, want_tid) {
        Ok(process) => Ok(process),
        Err(_) => Err(gone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let me = std::process::id();
        let process = read_pid(me, ReadOptions::default()).expect("own process");
        let status = process.status.known().expect("own status is readable");
        assert_eq!(process.pid, me);
        assert!(!process.kernel_thread);
        let exe = std::env::current_exe().expect("current exe");
        assert_eq!(process.exe.known().map(PathBuf::from), Some(exe));
        assert!(matches!(process.user_ns, Field::Known(_)));
        assert!(matches!(process.cgroup, Field::Known(_)));
        let ppid = std::fs::read_to_string("/proc/self/stat").expect("stat");
        let ppid: u32 = ppid[ppid.rfind(')').expect(")") + 1..]
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .expect("ppid");
        assert_eq!(status.ppid, ppid);
    }

    #[test]
    fn the_snapshot_contains_this_process_and_no_errors() {
        let snapshot = snapshot(ReadOptions::default()).expect("list /proc");
        assert!(snapshot
            .processes
            .iter()
            .any(|p| p.pid == std::process::id()));
    }

    #[test]
    fn a_missing_pid_is_a_precise_error() {
        // pid_max is at most 2^22, so this pid cannot exist.
        let error = read_pid(4_194_305 + 10, ReadOptions::default()).expect_err("no such pid");
        assert!(error.to_string().contains("4194315"), "{error}");
    }

    #[test]
    fn the_initial_namespace_inode_is_the_kernels_constant() {
        // When this test runs in the initial user namespace (the normal case, and CI), its
        // own namespace must be recognised as initial.
        let me = read_pid(std::process::id(), ReadOptions::default()).expect("own process");
        let ns = *me.user_ns.known().expect("own namespace");
        let uid_map = std::fs::read_to_string("/proc/self/uid_map").unwrap_or_default();
        let looks_initial =
            uid_map.split_whitespace().collect::<Vec<_>>() == ["0", "0", "4294967295"];
        if looks_initial {
            assert!(ns.initial, "inode {}", ns.inode);
        }
    }

    #[test]
    fn hidepid_from_mountinfo() {
        let plain = "22 27 0:21 / /proc rw,relatime - proc proc rw\n";
        assert_eq!(parse_hidepid(plain), None);
        let hidden =
            format!("{plain}63 45 0:39 / /proc rw,nosuid - proc proc rw,hidepid=noaccess\n");
        assert_eq!(parse_hidepid(&hidden).as_deref(), Some("noaccess"));
        assert_eq!(
            parse_hidepid("1 2 0:3 / /proc rw - proc proc rw,hidepid=0\n"),
            None
        );
        assert_eq!(
            parse_hidepid("1 2 0:3 / /proc/sys rw - proc proc rw,hidepid=2\n"),
            None
        );
    }

    #[test]
    fn thread_differences_name_the_fields() {
        let base = Creds {
            ppid: 1,
            comm: "x".into(),
            uids: [0; 4],
            gids: [0; 4],
            groups: vec![],
            caps: ThreadCaps::default(),
            no_new_privs: Some(false),
            seccomp: Some(0),
        };
        let mut other = base.clone();
        assert!(other.differences(&base).is_empty());
        other.caps.effective = leastcap_model::CapSet::from_bits(1);
        other.seccomp = Some(2);
        other.uids[1] = 5;
        assert_eq!(
            other.differences(&base),
            vec!["uids", "effective", "seccomp"]
        );
    }
}
