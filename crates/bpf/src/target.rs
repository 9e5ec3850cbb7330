//! Resolving targets: thread-group ids, descendants, cgroup ids.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::TraceError;

/// The thread-group id of a process or thread id.
pub(crate) fn tgid_of(pid: u32) -> Result<u32, TraceError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|_| TraceError::NoSuchProcess { pid })?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Tgid:"))
        .and_then(|value| value.trim().parse().ok())
        .ok_or(TraceError::NoSuchProcess { pid })
}

/// The parent pid from the text of /proc/PID/stat (the field after the last ')').
pub(crate) fn ppid_from_stat(stat: &str) -> Option<u32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    fields.next()?; // state
    fields.next()?.parse().ok()
}

/// Whether a process exists and has not exited (a zombie has run its exit hooks).
pub(crate) fn is_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let rest = &stat[stat.rfind(')')? + 1..];
            rest.split_whitespace()
                .next()
                .map(|state| !matches!(state, "Z" | "X" | "x"))
        })
        .unwrap_or(false)
}

/// Every process descending from `root` (not `root` itself), alive now.
pub(crate) fn descendants(root: u32) -> Vec<u32> {
    let mut parent_of = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(ppid) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| ppid_from_stat(&stat))
            {
                parent_of.push((pid, ppid));
            }
        }
    }
    let mut found = vec![root];
    let mut index = 0;
    while index < found.len() {
        let parent = found[index];
        for &(pid, ppid) in &parent_of {
            if ppid == parent && !found.contains(&pid) {
                found.push(pid);
            }
        }
        index += 1;
    }
    found.remove(0);
    found
}

/// The cgroup2 mount point containing `path`, from /proc/self/mountinfo.
fn cgroup2_mount_for(path: &Path) -> Option<PathBuf> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    mountinfo
        .lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let fstype = right.split_whitespace().next()?;
            let mount_point = left.split_whitespace().nth(4)?;
            (fstype == "cgroup2").then(|| PathBuf::from(mount_point))
        })
        .filter(|mount| path.starts_with(mount))
        .max_by_key(|mount| mount.components().count())
}

/// The cgroup v2 directory of a systemd unit: `systemctl show --property=ControlGroup` joined
/// to the cgroup2 mount point.
pub fn unit_cgroup(unit: &str) -> Result<PathBuf, TraceError> {
    let error = |reason: String| TraceError::Cgroup {
        path: PathBuf::from(format!("(unit {unit})")),
        reason,
    };
    if !Path::new("/run/systemd/system").exists() {
        return Err(error("systemd is not running on this machine".into()));
    }
    let output = std::process::Command::new("systemctl")
        .args(["show", "--property=ControlGroup", "--value", "--", unit])
        .output()
        .map_err(|e| error(format!("cannot run systemctl: {e}")))?;
    let control_group = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() || control_group.is_empty() {
        return Err(error(
            "systemd reports no control group (is the unit running?)".into(),
        ));
    }
    let mount = cgroup2_mount_for(Path::new("/sys/fs/cgroup/"))
        .or_else(|| cgroup2_mount_for(Path::new("/sys/fs/cgroup/unified/")))
        .ok_or_else(|| error("no cgroup v2 hierarchy is mounted".into()))?;
    Ok(join_control_group(&mount, &control_group))
}

/// `/sys/fs/cgroup` + `/system.slice/x.service` (systemd's absolute cgroup path).
pub(crate) fn join_control_group(mount: &Path, control_group: &str) -> PathBuf {
    mount.join(control_group.trim_start_matches('/'))
}

/// The cgroup v2 id (the directory's inode number) and depth below the cgroup2 root.
pub(crate) fn cgroup_id_and_level(path: &Path) -> Result<(u64, u32), TraceError> {
    let error = |reason: String| TraceError::Cgroup {
        path: path.to_owned(),
        reason,
    };
    let canonical = path
        .canonicalize()
        .map_err(|e| error(format!("cannot resolve: {e}")))?;
    let mount = cgroup2_mount_for(&canonical)
        .ok_or_else(|| error("not inside a mounted cgroup v2 hierarchy".into()))?;
    let metadata = std::fs::metadata(&canonical).map_err(|e| error(e.to_string()))?;
    if !metadata.is_dir() {
        return Err(error("not a directory".into()));
    }
    let level = canonical
        .strip_prefix(&mount)
        .map_err(|e| error(e.to_string()))?
        .components()
        .count();
    Ok((
        metadata.ino(),
        u32::try_from(level).map_err(|e| error(e.to_string()))?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_cgroups_join_below_the_mount() {
        assert_eq!(
            join_control_group(Path::new("/sys/fs/cgroup"), "/system.slice/nginx.service"),
            PathBuf::from("/sys/fs/cgroup/system.slice/nginx.service")
        );
        assert_eq!(
            join_control_group(Path::new("/sys/fs/cgroup/unified"), "/"),
            PathBuf::from("/sys/fs/cgroup/unified")
        );
    }

    #[test]
    fn unit_without_systemd_is_a_clear_error() {
        if Path::new("/run/systemd/system").exists() {
            // With systemd a unit that does not exist has no control group.
            let err = unit_cgroup("leastcap-no-such-unit.service").expect_err("no such unit");
            assert!(err.to_string().contains("no control group"), "{err}");
        } else {
            let err = unit_cgroup("ssh.service").expect_err("no systemd");
            assert!(err.to_string().contains("systemd is not running"), "{err}");
        }
    }

    #[test]
    fn parses_ppid_even_with_parentheses_in_comm() {
        assert_eq!(ppid_from_stat("42 (a) b) S 7 42 42 0"), Some(7));
        assert_eq!(ppid_from_stat("1 (init) S 0 1 1"), Some(0));
        assert_eq!(ppid_from_stat("garbage"), None);
    }

    #[test]
    fn zombies_are_not_alive() {
        assert!(is_alive(std::process::id()));
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        let pid = child.id();
        // Unreaped, the child stays a zombie until wait(); poll its state (bounded).
        let mut zombie = false;
        for _ in 0..500 {
            if !is_alive(pid) {
                zombie = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(zombie, "an exited, unreaped child is not alive");
        child.wait().expect("reap");
        assert!(!is_alive(pid));
    }

    #[test]
    fn own_process_resolves_and_has_no_cycle() {
        let me = std::process::id();
        assert_eq!(tgid_of(me).ok(), Some(me));
        assert!(!descendants(me).contains(&me));
        assert!(matches!(
            tgid_of(u32::MAX),
            Err(TraceError::NoSuchProcess { pid: u32::MAX })
        ));
    }
}
