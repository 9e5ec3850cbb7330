//! The one-pass privileged-file scan: setuid files, setgid files and files with
//! capabilities, on all cores.
//!
//! * Stays on the file systems of the starting paths unless `all_filesystems`; with it, still
//!   skips pseudo and network file systems (by `fstatfs` magic).
//! * Never follows a symlink: directories are opened with `O_NOFOLLOW` and checked against the
//!   (dev, ino) that `statx` reported; entries are examined with `statx(dirfd, name,
//!   AT_SYMLINK_NOFOLLOW)` and `getxattrat(dirfd, name)` (or `lgetxattr` on older kernels).
//! * Survives EACCES (reported as unreadable), files and directories vanishing mid-scan
//!   (counted), deep trees (no recursion: a shared work queue) and bind-mount loops (a
//!   directory that is its own ancestor is reported and not entered).
//! * Memory stays small: only privileged files and problems are kept; directories wait in a
//!   LIFO queue, holding no descriptor.

use std::ffi::OsStr;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use leastcap_model::FileCaps;
use leastcap_sys::fs::{self, EntryType, FileStat, FsError};

use crate::ns::UidMap;
use crate::risk::{assess, Flag, Risk};
use crate::xattr::decode;

/// Scan settings.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    pub roots: Vec<PathBuf>,
    /// Cross into other file systems (pseudo and network ones are still skipped).
    pub all_filesystems: bool,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
}

/// Live counters, for a progress line.
#[derive(Debug, Default)]
pub struct Counters {
    pub dirs: AtomicU64,
    pub entries: AtomicU64,
    pub found: AtomicU64,
}

/// One setuid, setgid or capability-carrying file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Privileged {
    pub path: PathBuf,
    pub stat: FileStat,
    pub caps: Option<FileCaps>,
    /// The attribute was present but could not be decoded (message with the bytes).
    pub corrupt: Option<String>,
    pub flags: Vec<Flag>,
    pub risk: Risk,
}

impl Privileged {
    pub fn setuid(&self) -> bool {
        self.stat.mode & 0o4000 != 0
    }
    pub fn setgid(&self) -> bool {
        self.stat.mode & 0o2000 != 0
    }
}

/// Something the scan could not look at, or chose not to enter.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// Permission denied: the directory or file could not be read.
    Unreadable,
    /// A directory that is its own ancestor (bind-mount loop): not entered again.
    Loop,
    /// Any other error.
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    pub kind: ProblemKind,
    pub message: String,
}

impl Problem {
    /// Loops are handled, not failures; everything else means the scan is incomplete.
    pub fn is_failure(&self) -> bool {
        self.kind != ProblemKind::Loop
    }
}

/// A mount point not entered, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// Everything a scan found.
#[derive(Clone, Debug, Default)]
pub struct ScanResult {
    /// Sorted by risk (highest first), then path.
    pub files: Vec<Privileged>,
    pub problems: Vec<Problem>,
    pub skipped: Vec<Skipped>,
    pub dirs: u64,
    pub entries: u64,
    /// Files or directories that disappeared while being examined.
    pub vanished: u64,
}

struct Job {
    path: PathBuf,
    dev: u64,
    ino: u64,
    /// The device of the starting path (the file system to stay on).
    root_dev: u64,
    /// The directory is on another file system than its parent: check its type.
    crossed: bool,
    ancestors: Option<Arc<Ancestor>>,
}

struct Ancestor {
    dev: u64,
    ino: u64,
    parent: Option<Arc<Ancestor>>,
}

fn is_ancestor(mut chain: Option<&Arc<Ancestor>>, dev: u64, ino: u64) -> bool {
    while let Some(link) = chain {
        if link.dev == dev && link.ino == ino {
            return true;
        }
        chain = link.parent.as_ref();
    }
    false
}

/// Pseudo and network file systems the scan never enters (statfs magic numbers).
pub fn skipped_fs(magic: u64) -> Option<&'static str> {
    Some(match magic {
        0x9fa0 => "proc",
        0x6265_6572 => "sysfs",
        0x1cd1 => "devpts",
        0x0027_e0eb => "cgroup",
        0x6367_7270 => "cgroup2",
        0x6462_6720 => "debugfs",
        0x7472_6163 => "tracefs",
        0x7363_6673 => "securityfs",
        0xcafe_4a11 => "bpf",
        0x6165_676c => "pstore",
        0x6265_6570 => "configfs",
        0xde5e_81e4 => "efivarfs",
        0x6573_5543 => "fusectl",
        0x1980_0202 => "mqueue",
        0x4249_4e4d => "binfmt_misc",
        0x6e73_6673 => "nsfs",
        0xf97c_ff8c => "selinuxfs",
        0x0187 => "autofs",
        0x6759_6969 => "rpc_pipefs",
        0x6969 => "nfs",
        0x517b => "smb",
        0xfe53_4d42 => "smb2",
        0xff53_4d42 => "cifs",
        0x7375_7245 => "coda",
        0x5346_414f => "afs",
        0x00c3_6400 => "ceph",
        0x0102_1997 => "9p",
        0x564c => "ncp",
        0x6573_5546 => "fuse (may be remote)",
        _ => return None,
    })
}

/// Opens a directory by path, never following a symlink in its last component; a path longer
/// than PATH_MAX is opened one component at a time (each with `O_NOFOLLOW`).
fn open_dir(path: &Path) -> Result<std::os::fd::OwnedFd, FsError> {
    match fs::open_dir_at(None, path.as_os_str(), path) {
        Err(error) if error.errno() == Some(libc::ENAMETOOLONG) => {
            let mut current: Option<std::os::fd::OwnedFd> = None;
            for component in path.components() {
                let name = component.as_os_str();
                let next = match &current {
                    None => fs::open_dir_at(None, name, path)?,
                    Some(parent) => fs::open_dir_at(Some(parent.as_fd()), name, path)?,
                };
                current = Some(next);
            }
            current.ok_or(error)
        }
        other => other,
    }
}

struct Shared<'a> {
    on_found: &'a (dyn Fn(&Privileged) + Sync),
    queue: Mutex<(Vec<Job>, usize)>,
    ready: Condvar,
    options: ScanOptions,
    counters: Arc<Counters>,
    uid_map: UidMap,
    found: Mutex<Vec<Privileged>>,
    problems: Mutex<Vec<Problem>>,
    skipped: Mutex<Vec<Skipped>>,
    vanished: AtomicU64,
    /// (dev, ino) of the directories given as starting paths: each is walked once, as its
    /// own root, and not again when another root's walk reaches it.
    root_dirs: Vec<(u64, u64)>,
    /// Paths already reported (a file given as a starting path inside a walked tree).
    reported: Mutex<std::collections::HashSet<PathBuf>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared<'_> {
    fn problem(&self, path: &Path, error: &FsError) {
        if error.is_vanished() {
            self.vanished.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let kind = match error.errno() {
            Some(libc::EACCES) | Some(libc::EPERM) => ProblemKind::Unreadable,
            _ => ProblemKind::Error,
        };
        lock(&self.problems).push(Problem {
            path: path.to_path_buf(),
            kind,
            message: error.to_string(),
        });
    }

    fn push(&self, job: Job) {
        let mut queue = lock(&self.queue);
        queue.0.push(job);
        drop(queue);
        self.ready.notify_one();
    }

    /// Next job, or `None` when the queue is empty and nobody can add to it.
    fn next(&self) -> Option<Job> {
        let mut queue = lock(&self.queue);
        loop {
            if let Some(job) = queue.0.pop() {
                queue.1 += 1;
                return Some(job);
            }
            if queue.1 == 0 {
                self.ready.notify_all();
                return None;
            }
            queue = self
                .ready
                .wait(queue)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    fn done(&self) {
        let mut queue = lock(&self.queue);
        queue.1 -= 1;
        let idle = queue.1 == 0 && queue.0.is_empty();
        drop(queue);
        if idle {
            self.ready.notify_all();
        }
    }

    fn record(&self, path: PathBuf, stat: FileStat, raw: Option<Vec<u8>>) {
        let setid = stat.mode & 0o6000 != 0;
        if raw.is_none() && !setid {
            return;
        }
        let (caps, corrupt) = match decode(&path, raw) {
            Ok(caps) => (caps, None),
            Err(error) => (None, Some(error.to_string())),
        };
        if !lock(&self.reported).insert(path.clone()) {
            return;
        }
        let inert = caps.is_some_and(|c| self.uid_map.is_inert(c.rootid));
        let (flags, risk) = assess(
            stat.mode,
            stat.uid,
            stat.gid,
            caps.as_ref(),
            corrupt.is_some(),
            inert,
        );
        self.counters.found.fetch_add(1, Ordering::Relaxed);
        let found = Privileged {
            path,
            stat,
            caps,
            corrupt,
            flags,
            risk,
        };
        (self.on_found)(&found);
        lock(&self.found).push(found);
    }

    fn file(&self, dir: std::os::fd::BorrowedFd<'_>, dir_path: &Path, name: &[u8], stat: FileStat) {
        match fs::get_caps_entry(dir, dir_path, name) {
            Ok(None) if stat.mode & 0o6000 == 0 => {}
            Ok(raw) => self.record(dir_path.join(OsStr::from_bytes(name)), stat, raw),
            Err(error) => {
                // Still report a setuid/setgid file whose attribute could not be read.
                self.problem(&error.path, &error);
                if !error.is_vanished() && stat.mode & 0o6000 != 0 {
                    self.record(error.path.clone(), stat, None);
                }
            }
        }
    }

    fn directory(&self, job: Job) {
        self.counters.dirs.fetch_add(1, Ordering::Relaxed);
        let dir = match open_dir(&job.path) {
            Ok(fd) => fd,
            // It was a directory when its parent was read; a symlink there now means it was
            // replaced mid-scan (O_NOFOLLOW refuses it): the directory we saw is gone.
            Err(error) if error.errno() == Some(libc::ELOOP) => {
                self.vanished.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(error) => return self.problem(&job.path, &error),
        };
        match fs::stat_fd(dir.as_fd(), &job.path) {
            Ok(stat) if stat.dev == job.dev && stat.ino == job.ino => {}
            // Replaced by another directory between statx and open: the one we saw vanished;
            // the new one was not there when the parent was listed. Not entered (it could be
            // anywhere, e.g. behind a swapped-in symlink higher up).
            Ok(_) => {
                self.vanished.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(error) => return self.problem(&job.path, &error),
        }
        if job.crossed {
            match fs::fs_magic(dir.as_fd(), &job.path) {
                Ok(magic) => {
                    if let Some(kind) = skipped_fs(magic) {
                        lock(&self.skipped).push(Skipped {
                            path: job.path.clone(),
                            reason: format!("{kind} file system"),
                        });
                        return;
                    }
                }
                Err(error) => return self.problem(&job.path, &error),
            }
        }
        let entries = match fs::read_dir_fd(dir.as_fd(), &job.path) {
            Ok(entries) => entries,
            Err(error) => return self.problem(&job.path, &error),
        };
        self.counters
            .entries
            .fetch_add(entries.len() as u64, Ordering::Relaxed);
        let me = Arc::new(Ancestor {
            dev: job.dev,
            ino: job.ino,
            parent: job.ancestors.clone(),
        });
        for entry in entries {
            if matches!(entry.kind, EntryType::Symlink | EntryType::Other) {
                continue;
            }
            let stat = match fs::stat_entry(dir.as_fd(), &job.path, &entry.name) {
                Ok(stat) => stat,
                Err(error) => {
                    self.problem(&error.path, &error);
                    continue;
                }
            };
            if stat.is_file() {
                self.file(dir.as_fd(), &job.path, &entry.name, stat);
            } else if stat.is_dir() {
                let path = job.path.join(OsStr::from_bytes(&entry.name));
                self.subdirectory(path, stat, &job, &me);
            }
        }
    }

    fn subdirectory(&self, path: PathBuf, stat: FileStat, parent: &Job, me: &Arc<Ancestor>) {
        if is_ancestor(Some(me), stat.dev, stat.ino) {
            lock(&self.problems).push(Problem {
                message: format!(
                    "{}: file system loop (same directory as an ancestor, e.g. a bind mount); not entered",
                    path.display()
                ),
                path,
                kind: ProblemKind::Loop,
            });
            return;
        }
        if self.root_dirs.contains(&(stat.dev, stat.ino)) {
            // Another starting path: it is walked as its own root.
            return;
        }
        let crossed = stat.dev != parent.dev;
        if stat.dev != parent.root_dev && !self.options.all_filesystems {
            lock(&self.skipped).push(Skipped {
                path,
                reason: "another file system (use --all-filesystems to enter it)".to_string(),
            });
            return;
        }
        self.push(Job {
            path,
            dev: stat.dev,
            ino: stat.ino,
            root_dev: parent.root_dev,
            crossed,
            ancestors: Some(Arc::clone(me)),
        });
    }

    fn worker(&self) {
        while let Some(job) = self.next() {
            self.directory(job);
            self.done();
        }
    }
}

/// Runs a scan. `counters` may be watched from another thread for progress.
pub fn scan(options: &ScanOptions, counters: Arc<Counters>) -> ScanResult {
    scan_streaming(options, counters, &|_| {})
}

/// Runs a scan, calling `on_found` (from any worker thread) for each privileged file as
/// soon as it is found; the result still holds every file, sorted by risk.
pub fn scan_streaming(
    options: &ScanOptions,
    counters: Arc<Counters>,
    on_found: &(dyn Fn(&Privileged) + Sync),
) -> ScanResult {
    let threads = if options.threads == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        options.threads
    };
    let mut shared = Shared {
        on_found,
        queue: Mutex::new((Vec::new(), 0)),
        ready: Condvar::new(),
        options: options.clone(),
        counters: Arc::clone(&counters),
        uid_map: UidMap::current(),
        found: Mutex::new(Vec::new()),
        problems: Mutex::new(Vec::new()),
        skipped: Mutex::new(Vec::new()),
        vanished: AtomicU64::new(0),
        root_dirs: Vec::new(),
        reported: Mutex::new(std::collections::HashSet::new()),
    };
    let mut root_jobs = Vec::new();
    for root in &options.roots {
        let stat = match fs::lstat(root) {
            Ok(stat) => stat,
            Err(error) => {
                // A missing starting path is an error, not a vanished file.
                lock(&shared.problems).push(Problem {
                    path: root.clone(),
                    kind: if error.errno() == Some(libc::EACCES) {
                        ProblemKind::Unreadable
                    } else {
                        ProblemKind::Error
                    },
                    message: error.to_string(),
                });
                continue;
            }
        };
        if stat.is_dir() {
            if shared.root_dirs.contains(&(stat.dev, stat.ino)) {
                continue;
            }
            shared.root_dirs.push((stat.dev, stat.ino));
            root_jobs.push(Job {
                path: root.clone(),
                dev: stat.dev,
                ino: stat.ino,
                root_dev: stat.dev,
                crossed: false,
                ancestors: None,
            });
        } else if stat.is_file() {
            match fs::get_caps_path(root, false) {
                Ok(raw) => shared.record(root.clone(), stat, raw),
                Err(error) => shared.problem(root, &error),
            }
        } else if stat.is_symlink() {
            lock(&shared.problems).push(Problem {
                path: root.clone(),
                kind: ProblemKind::Error,
                message: format!(
                    "{}: is a symlink; leastcap scan never follows symlinks",
                    root.display()
                ),
            });
        }
    }
    for job in root_jobs {
        shared.push(job);
    }
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| shared.worker());
        }
    });
    let mut files = shared.found.into_inner().unwrap_or_else(|p| p.into_inner());
    files.sort_by(|a, b| b.risk.cmp(&a.risk).then_with(|| a.path.cmp(&b.path)));
    files.dedup_by(|a, b| a.path == b.path);
    let mut problems = shared
        .problems
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    problems.sort_by(|a, b| a.path.cmp(&b.path));
    problems.dedup();
    let mut skipped = shared
        .skipped
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    skipped.dedup();
    ScanResult {
        files,
        problems,
        skipped,
        dirs: counters.dirs.load(Ordering::Relaxed),
        entries: counters.entries.load(Ordering::Relaxed),
        vanished: shared.vanished.load(Ordering::Relaxed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_setuid_and_setgid_files_and_skips_symlinks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/b/c")).expect("mkdir");
        let write = |rel: &str, mode: u32| {
            use std::os::unix::fs::PermissionsExt;
            let path = root.join(rel);
            std::fs::write(&path, b"x").expect("write");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        };
        write("a/suid", 0o4755);
        write("a/b/sgid", 0o2755);
        write("a/b/c/plain", 0o755);
        write("a/b/c/lock", 0o2644);
        std::os::unix::fs::symlink(root.join("a/suid"), root.join("link")).expect("symlink");
        std::os::unix::fs::symlink(root, root.join("a/loop-link")).expect("symlink");
        let options = ScanOptions {
            roots: vec![root.to_path_buf()],
            all_filesystems: false,
            threads: 3,
        };
        let result = scan(&options, Arc::default());
        let mut paths: Vec<_> = result
            .files
            .iter()
            .map(|f| f.path.strip_prefix(root).expect("under root").to_path_buf())
            .collect();
        paths.sort();
        assert_eq!(
            paths,
            ["a/b/c/lock", "a/b/sgid", "a/suid"].map(PathBuf::from)
        );
        assert!(result.problems.is_empty(), "{:?}", result.problems);
        assert_eq!(result.dirs, 4);
    }
}
