//! Helpers for leastcap's tests.
//!
//! Privileged tests (root, BPF, file capabilities) are real tests. On a developer's machine
//! without privilege they are skipped with a visible reason; in CI, where
//! `LEASTCAP_REQUIRE_PRIVILEGED=1`, a missing privilege fails the test instead.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Set by `.ci/run`: a privileged test that cannot run is a failure, not a skip.
pub const REQUIRE_ENV: &str = "LEASTCAP_REQUIRE_PRIVILEGED";

fn required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|value| value == "1")
}

fn is_root() -> bool {
    // The effective uid from the kernel's own view, without unsafe code.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("Uid:"))
                .and_then(|line| line.split_whitespace().nth(2).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

/// Call first in a test that needs root. Returns false (after printing why) when the test
/// must be skipped; panics when privileges are required but missing.
#[must_use]
pub fn privileged(test: &str) -> bool {
    if is_root() {
        return true;
    }
    skip_or_fail(
        test,
        "needs root (run as root, or set LEASTCAP_REQUIRE_PRIVILEGED=1 in CI)",
    )
}

/// Like [`privileged`] but for an external tool the test uses as an oracle or workload.
#[must_use]
pub fn tool(test: &str, program: &str) -> bool {
    if which(program).is_some() {
        return true;
    }
    skip_or_fail(
        test,
        &format!("needs the program '{program}' (installed by .ci/run)"),
    )
}

/// Skips (or fails in CI) with an explicit reason.
#[must_use]
pub fn skip_or_fail(test: &str, reason: &str) -> bool {
    if required() {
        panic!("{test}: {reason}, and {REQUIRE_ENV}=1 forbids skipping");
    }
    eprintln!("SKIPPED {test}: {reason}");
    false
}

/// Finds a program on PATH (and in the sbin directories, where Debian keeps getcap/setcap).
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// A fresh temporary directory under the system temp dir; removed when dropped.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("leastcap-test-")
        .tempdir()
        .expect("create a temporary directory")
}

/// Copies a system binary into `dir` so a test can change its capabilities without touching
/// the original.
pub fn copy_binary(source: &Path, dir: &Path, name: &str) -> PathBuf {
    let target = dir.join(name);
    std::fs::copy(source, &target).expect("copy a binary into the test directory");
    target
}

/// Runs a command, returning (status code, stdout, stderr) as strings.
pub fn output(command: &mut Command) -> (i32, String, String) {
    let out = command.output().expect("run a test command");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
