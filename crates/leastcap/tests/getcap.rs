//! `leastcap getcap` against libcap's getcap/setcap 2.66 as oracles, on the real kernel.
//!
//! Privileged (writing security.capability needs CAP_SETFCAP): skipped for non-root, a
//! failure in CI.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use leastcap_files::setcap::{apply, Change};
use leastcap_files::xattr::read_caps;
use leastcap_model::{CapSet, CapState, FileCaps, KernelCaps};
use leastcap_testkit as testkit;

const FILES: usize = 1000;

/// xorshift64*: reproducible random file states without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A capability mask: sparse, dense, all of the kernel's, empty, or with bits 41..63.
    fn mask(&mut self, kernel: KernelCaps) -> CapSet {
        let bits = match self.next() % 8 {
            0 => 0,
            1 => kernel.all().bits(),
            2 => kernel.all().bits() & !(1 << (self.next() % 41)),
            3 => self.next(),
            4 => self.next() & self.next() & self.next(),
            5 => 1 << (self.next() % 64),
            6 => (self.next() & self.next()) | (1 << (41 + self.next() % 23)),
            _ => self.next() & kernel.all().bits(),
        };
        CapSet::from_bits(bits)
    }

    fn caps(&mut self, kernel: KernelCaps) -> FileCaps {
        let rootid = match self.next() % 10 {
            0 | 1 => Some(1000),
            2 => Some(1 + (self.next() % 100_000) as u32),
            _ => None,
        };
        FileCaps {
            permitted: self.mask(kernel),
            inheritable: self.mask(kernel),
            effective: self.next() % 2 == 0,
            rootid,
            revision: 0,
        }
    }
}

fn ready(test: &str) -> bool {
    testkit::privileged(test) && testkit::tool(test, "getcap") && testkit::tool(test, "setcap")
}

fn kernel() -> KernelCaps {
    leastcap_sys::kernel_caps().expect("kernel capability range")
}

fn leastcap() -> Command {
    Command::new(env!("CARGO_BIN_EXE_leastcap"))
}

fn getcap_tool() -> Command {
    Command::new(testkit::which("getcap").expect("getcap"))
}

fn setcap_tool() -> Command {
    Command::new(testkit::which("setcap").expect("setcap"))
}

/// What libcap's getcap -n prints for a file state.
fn expected_line(path: &Path, caps: &FileCaps, kernel: KernelCaps) -> String {
    let mut line = format!("{} {}", path.display(), caps.to_state().to_text(kernel));
    if let Some(rootid) = caps.rootid.filter(|id| *id != 0) {
        line.push_str(&format!(" [rootid={rootid}]"));
    }
    line
}

fn make_files(dir: &Path, count: usize) -> Vec<PathBuf> {
    (0..count)
        .map(|i| {
            let path = dir.join(format!("f{i:04}"));
            std::fs::write(&path, b"#!/bin/sh\n").expect("create file");
            path
        })
        .collect()
}

#[test]
fn leastcap_writes_and_getcap_reads_the_same_text() {
    if !ready("leastcap_writes_and_getcap_reads_the_same_text") {
        return;
    }
    let kernel = kernel();
    let dir = testkit::temp_dir();
    let files = make_files(dir.path(), FILES);
    let mut rng = Rng(0x1eb5_7ca9_0000_0001);
    let mut expected = Vec::new();
    for path in &files {
        let caps = rng.caps(kernel);
        let written = apply(path, Change::Set(caps), caps.rootid).expect("leastcap writes");
        assert_eq!(written.after.map(|c| c.to_xattr()), Some(caps.to_xattr()));
        expected.push(expected_line(path, &caps, kernel));
        // leastcap's own reader agrees with what it wrote.
        let back = read_caps(path, false)
            .expect("read back")
            .expect("has caps");
        assert_eq!(
            (
                back.permitted,
                back.inheritable,
                back.effective,
                back.rootid
            ),
            (
                caps.permitted,
                caps.inheritable,
                caps.effective,
                caps.rootid
            )
        );
    }
    let out = getcap_tool()
        .arg("-n")
        .args(&files)
        .output()
        .expect("run getcap");
    assert!(out.status.success());
    let got = String::from_utf8(out.stdout).expect("utf-8");
    let got: Vec<&str> = got.lines().collect();
    assert_eq!(got.len(), expected.len());
    for (got, want) in got.iter().zip(&expected) {
        assert_eq!(got, want);
    }
    // And leastcap getcap prints the very same bytes as getcap, with and without -n.
    for flags in [vec!["-n"], vec![], vec!["-v"]] {
        let ours = leastcap()
            .arg("getcap")
            .args(&flags)
            .args(&files)
            .output()
            .expect("leastcap");
        let theirs = getcap_tool()
            .args(&flags)
            .args(&files)
            .output()
            .expect("getcap");
        assert!(
            ours.status.success(),
            "{}",
            String::from_utf8_lossy(&ours.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&ours.stdout),
            String::from_utf8_lossy(&theirs.stdout),
            "flags {flags:?}"
        );
    }
}

#[test]
fn setcap_writes_and_leastcap_reads_the_same_bits() {
    if !ready("setcap_writes_and_leastcap_reads_the_same_bits") {
        return;
    }
    let kernel = kernel();
    let dir = testkit::temp_dir();
    let files = make_files(dir.path(), FILES);
    let mut rng = Rng(0x5e7c_a900_0000_0002);
    let mut wanted = Vec::new();
    // setcap's -n applies to a whole invocation: group the files by rootid.
    let mut groups: std::collections::BTreeMap<Option<u32>, Vec<OsString>> = Default::default();
    for path in &files {
        let mut caps = rng.caps(kernel);
        caps.rootid = match caps.rootid {
            None => None,
            Some(1000) => Some(1000),
            Some(_) => Some(4242),
        };
        // Text cannot express the effective flag without capabilities.
        if caps.is_empty() {
            caps.effective = false;
        }
        let text = caps.to_state().to_text(kernel);
        let args = groups.entry(caps.rootid).or_default();
        args.push(text.into());
        args.push(path.as_os_str().to_owned());
        wanted.push(caps);
    }
    for (rootid, args) in &groups {
        for chunk in args.chunks(400) {
            let mut command = setcap_tool();
            if let Some(id) = rootid {
                command.arg("-n").arg(id.to_string());
            }
            let out = command.args(chunk).output().expect("run setcap");
            assert!(
                out.status.success(),
                "setcap failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    for (path, want) in files.iter().zip(&wanted) {
        let got = read_caps(path, false)
            .expect("leastcap reads")
            .expect("has caps");
        assert_eq!(
            (got.permitted, got.inheritable, got.effective, got.rootid),
            (
                want.permitted,
                want.inheritable,
                want.effective,
                want.rootid
            ),
            "{}",
            path.display()
        );
        assert_eq!(got.revision, if want.rootid.is_some() { 3 } else { 2 });
    }
    // The canonical text parses back to the same state (libcap's reader and ours agree).
    for want in &wanted {
        let text = want.to_state().to_text(kernel);
        assert_eq!(
            CapState::from_text(&text, kernel).expect("parse"),
            want.to_state()
        );
    }
}

/// A tree with directories, symlinks, a fifo, a v3 file and a missing path: same stdout as
/// getcap for every flag combination, but exit 1 where something failed.
#[test]
fn flags_match_getcap_on_a_mixed_tree() {
    if !ready("flags_match_getcap_on_a_mixed_tree") {
        return;
    }
    let dir = testkit::temp_dir();
    let root = dir.path();
    std::fs::create_dir_all(root.join("d/e")).expect("mkdir");
    for (name, text) in [
        ("d/ping", "cap_net_raw=ep"),
        ("d/e/all", "=ep"),
        ("d/e/empty", "="),
    ] {
        std::fs::write(root.join(name), b"x").expect("write");
        let out = setcap_tool()
            .arg(text)
            .arg(root.join(name))
            .output()
            .expect("setcap");
        assert!(out.status.success());
    }
    std::fs::write(root.join("d/v3"), b"x").expect("write");
    assert!(setcap_tool()
        .args(["-n", "1000", "cap_kill=ei"])
        .arg(root.join("d/v3"))
        .status()
        .expect("setcap")
        .success());
    std::fs::write(root.join("d/plain"), b"x").expect("write");
    std::os::unix::fs::symlink("ping", root.join("d/link")).expect("symlink");
    let fifo = root.join("d/fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo")
        .success());
    let name_with_newline = root.join("d/new\nline");
    std::fs::write(&name_with_newline, b"x").expect("write");
    assert!(setcap_tool()
        .arg("cap_chown=p")
        .arg(&name_with_newline)
        .status()
        .expect("setcap")
        .success());

    let run_both = |args: &[&std::ffi::OsStr]| {
        let ours = leastcap()
            .arg("getcap")
            .args(args)
            .current_dir(root)
            .output()
            .expect("leastcap");
        let theirs = getcap_tool()
            .args(args)
            .current_dir(root)
            .output()
            .expect("getcap");
        (ours, theirs)
    };
    let sets: Vec<Vec<&str>> = vec![
        vec!["-r", "."],
        vec!["-r", "-v", "./"],
        vec!["-r", "-n", "d"],
        vec!["-r", "-v", "-n", "d/"],
        vec!["d/ping", "d/link", "d/fifo", "d"],
        vec!["-v", "d/ping", "d/link", "d/fifo", "d", "d/plain"],
        vec!["-n", "d/v3"],
    ];
    for set in &sets {
        let args: Vec<&std::ffi::OsStr> = set.iter().map(std::ffi::OsStr::new).collect();
        let (ours, theirs) = run_both(&args);
        assert_eq!(ours.stdout, theirs.stdout, "getcap {set:?}");
        assert!(
            ours.status.success(),
            "getcap {set:?}: {}",
            String::from_utf8_lossy(&ours.stderr)
        );
        assert!(!theirs.stdout.is_empty());
    }
    // The absolute path form of -r, through a path with a trailing slash.
    let abs = format!("{}/", root.display());
    let (ours, theirs) = run_both(&[std::ffi::OsStr::new("-r"), std::ffi::OsStr::new(&abs)]);
    assert_eq!(ours.stdout, theirs.stdout);
    assert!(
        theirs.stdout.windows(4).any(|w| w == b"new\n"),
        "the newline name is printed raw"
    );

    // A missing file: same stderr message, but leastcap exits 1 where getcap exits 0.
    let (ours, theirs) = run_both(&[
        std::ffi::OsStr::new("d/ping"),
        std::ffi::OsStr::new("missing"),
    ]);
    assert_eq!(ours.stdout, theirs.stdout);
    assert_eq!(theirs.status.code(), Some(0));
    assert_eq!(ours.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&ours.stderr).trim(),
        String::from_utf8_lossy(&theirs.stderr).trim()
    );
    // The inert v3 file is pointed out on stderr only.
    let ours = leastcap()
        .args(["getcap", "d/v3"])
        .current_dir(root)
        .output()
        .expect("leastcap");
    assert!(String::from_utf8_lossy(&ours.stderr).contains("inert"));
    // JSON has the exact name.
    let json = leastcap()
        .args(["getcap", "--json", "-r", "d"])
        .current_dir(root)
        .output()
        .expect("leastcap");
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let names: Vec<&str> = value["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert!(names.contains(&"d/new\nline"), "{names:?}");
    let v3 = value["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["path"] == "d/v3")
        .expect("v3");
    assert_eq!(v3["inert"], true);
    assert_eq!(v3["caps"]["rootid"], 1000);
    let _ = name_with_newline.as_os_str().as_bytes();
}

/// A failure on a path that is not UTF-8 names it exactly in JSON (`path_hex`).
#[test]
fn json_failures_have_exact_names() {
    let dir = testkit::temp_dir();
    let missing = dir.path().join(std::ffi::OsStr::from_bytes(b"gone\xff"));
    let out = Command::new(env!("CARGO_BIN_EXE_leastcap"))
        .args(["getcap", "--json"])
        .arg(&missing)
        .output()
        .expect("getcap");
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let failure = &report["failures"][0];
    let hex: String = missing
        .as_os_str()
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        failure["path_hex"],
        serde_json::Value::String(hex),
        "{report}"
    );
}

/// `getcap -r link/` where link is a symlink to a directory: nftw strips the trailing slash
/// and reports the symlink itself (FTW_PHYS), without descending and without an error.
/// leastcap prints the same and exits 0; `file/` and `dangling/` fail like libcap.
#[test]
fn recursive_symlink_with_trailing_slash_is_the_symlink() {
    if !ready("recursive_symlink_with_trailing_slash_is_the_symlink") {
        return;
    }
    let dir = testkit::temp_dir();
    let root = dir.path();
    std::fs::create_dir(root.join("d")).expect("mkdir");
    std::fs::write(root.join("d/ping"), b"x").expect("write");
    assert!(setcap_tool()
        .arg("cap_net_raw=ep")
        .arg(root.join("d/ping"))
        .status()
        .expect("setcap")
        .success());
    std::os::unix::fs::symlink("d", root.join("link")).expect("symlink");
    std::os::unix::fs::symlink("nowhere", root.join("dangling")).expect("symlink");
    for (args, ok) in [
        (&["-r", "link/"][..], true),
        (&["-r", "-v", "link//"], true),
        (&["-r", "-v", "d/ping/"], false),
        (&["-r", "dangling/"], false),
    ] {
        let ours = leastcap()
            .arg("getcap")
            .args(args)
            .current_dir(root)
            .output()
            .expect("leastcap");
        let theirs = getcap_tool()
            .args(args)
            .current_dir(root)
            .output()
            .expect("getcap");
        assert_eq!(
            String::from_utf8_lossy(&ours.stdout),
            String::from_utf8_lossy(&theirs.stdout),
            "{args:?}"
        );
        assert_eq!(
            String::from_utf8_lossy(&ours.stderr),
            String::from_utf8_lossy(&theirs.stderr),
            "{args:?}"
        );
        assert_eq!(ours.status.success(), ok, "{args:?}");
    }
}
