//! Parsing `/proc/PID/status` and `/proc/PID/task/TID/status` (the text, not the reading).

use crate::set::CapSet;
use crate::thread::ThreadCaps;

/// The credential-related fields of a status file.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ProcStatus {
    pub name: String,
    pub tgid: u32,
    pub pid: u32,
    pub ppid: u32,
    /// Real, effective, saved and filesystem uid.
    pub uids: [u32; 4],
    pub gids: [u32; 4],
    pub groups: Vec<u32>,
    pub caps: ThreadCaps,
    /// `None` on kernels without the line.
    pub no_new_privs: Option<bool>,
    /// 0 disabled, 1 strict, 2 filter; `None` when the kernel has no seccomp.
    pub seccomp: Option<u8>,
    /// Number of user namespaces this task's pid is nested in (from `NSpid:` entries).
    pub pid_namespace_depth: usize,
}

/// A status file that does not have the expected shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed status line {line}: '{text}'")]
pub struct StatusError {
    pub line: usize,
    pub text: String,
}

fn mask(value: &str) -> Option<CapSet> {
    u64::from_str_radix(value.trim(), 16)
        .ok()
        .map(CapSet::from_bits)
}

fn ids(value: &str) -> Option<[u32; 4]> {
    let parsed: Vec<u32> = value
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    parsed.try_into().ok()
}

impl ProcStatus {
    /// Parses the text of a status file. Every capability line must be present: a status
    /// file without `CapEff:` is not something leastcap should guess about.
    pub fn parse(text: &str) -> Result<ProcStatus, StatusError> {
        let mut status = ProcStatus::default();
        let mut seen_caps = 0u8;
        for (index, line) in text.lines().enumerate() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let bad = || StatusError {
                line: index + 1,
                text: line.to_string(),
            };
            let value = value.trim();
            match key {
                "Name" => status.name = value.to_string(),
                "Tgid" => status.tgid = value.parse().map_err(|_| bad())?,
                "Pid" => status.pid = value.parse().map_err(|_| bad())?,
                "PPid" => status.ppid = value.parse().map_err(|_| bad())?,
                "Uid" => status.uids = ids(value).ok_or_else(bad)?,
                "Gid" => status.gids = ids(value).ok_or_else(bad)?,
                "Groups" => {
                    status.groups = value
                        .split_whitespace()
                        .map(str::parse)
                        .collect::<Result<_, _>>()
                        .map_err(|_| bad())?
                }
                "NSpid" => status.pid_namespace_depth = value.split_whitespace().count(),
                "CapInh" | "CapPrm" | "CapEff" | "CapBnd" | "CapAmb" => {
                    let set = mask(value).ok_or_else(bad)?;
                    let slot = match key {
                        "CapInh" => &mut status.caps.inheritable,
                        "CapPrm" => &mut status.caps.permitted,
                        "CapEff" => &mut status.caps.effective,
                        "CapBnd" => &mut status.caps.bounding,
                        _ => &mut status.caps.ambient,
                    };
                    *slot = set;
                    seen_caps += 1;
                }
                "NoNewPrivs" => status.no_new_privs = Some(value == "1"),
                "Seccomp" => status.seccomp = Some(value.parse().map_err(|_| bad())?),
                _ => {}
            }
        }
        if seen_caps < 4 {
            return Err(StatusError {
                line: 0,
                text: "no capability lines (CapInh/CapPrm/CapEff/CapBnd)".to_string(),
            });
        }
        Ok(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Name:\tping\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t42\nNgid:\t0\nPid:\t43\nPPid:\t1\n\
Uid:\t65534\t65534\t65534\t65534\nGid:\t65534\t65534\t65534\t65534\nGroups:\t4 27 \nNSpid:\t43\n\
CapInh:\t0000000000002000\nCapPrm:\t0000000000002000\nCapEff:\t0000000000002000\n\
CapBnd:\t0000000000002000\nCapAmb:\t0000000000002000\nNoNewPrivs:\t1\nSeccomp:\t2\n";

    #[test]
    fn parses_a_real_shape() {
        let status = ProcStatus::parse(SAMPLE).expect("valid");
        assert_eq!(status.name, "ping");
        assert_eq!((status.tgid, status.pid, status.ppid), (42, 43, 1));
        assert_eq!(status.uids, [65534; 4]);
        assert_eq!(status.groups, vec![4, 27]);
        assert_eq!(status.caps.ambient.bits(), 0x2000);
        assert_eq!(status.no_new_privs, Some(true));
        assert_eq!(status.seccomp, Some(2));
    }

    #[test]
    fn rejects_garbage() {
        assert!(ProcStatus::parse("Name:\tx\n").is_err());
        assert!(
            ProcStatus::parse(&SAMPLE.replace("0000000000002000\nCapPrm", "zz\nCapPrm")).is_err()
        );
    }

    #[test]
    fn reads_this_process() {
        let text = std::fs::read_to_string("/proc/self/status").expect("procfs");
        let status = ProcStatus::parse(&text).expect("the kernel's own format");
        assert_eq!(status.tgid, std::process::id());
    }
}
