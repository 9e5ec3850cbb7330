//! `leastcap scan` on generated trees with every nasty case, and on this machine's `/`
//! against `getcap -r` plus `find -xdev -perm /6000 -type f`.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use leastcap_files::scan::{scan, ProblemKind, ScanOptions};
use leastcap_testkit as testkit;

/// Tests that mount or walk all of `/` do not run at the same time (a bind-mount loop
/// under /tmp would send `getcap -r /` round in circles).
static EXCLUSIVE: Mutex<()> = Mutex::new(());

fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    EXCLUSIVE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn leastcap() -> Command {
    Command::new(env!("CARGO_BIN_EXE_leastcap"))
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn write(path: &Path, mode: u32) {
    std::fs::write(path, b"x").expect("write");
    chmod(path, mode);
}

fn setcap(args: &[&str], path: &Path) {
    let out = Command::new(testkit::which("setcap").expect("setcap"))
        .args(args)
        .arg(path)
        .output()
        .expect("setcap");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One NDJSON record of the scan.
#[derive(Debug)]
struct Record {
    kind: String,
    path: PathBuf,
    value: serde_json::Value,
}

fn records(stdout: &[u8]) -> Vec<Record> {
    stdout
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| {
            let value: serde_json::Value =
                serde_json::from_slice(line).expect("one JSON object a line");
            let path = match value["path_hex"].as_str() {
                Some(hex) => {
                    let bytes: Vec<u8> = (0..hex.len())
                        .step_by(2)
                        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
                        .collect();
                    PathBuf::from(OsStr::from_bytes(&bytes))
                }
                None => PathBuf::from(value["path"].as_str().unwrap_or_default()),
            };
            Record {
                kind: value["type"].as_str().expect("type").to_string(),
                path,
                value,
            }
        })
        .collect()
}

/// Unmounts on drop, so a failing test leaves no mount behind.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn nasty_tree_is_scanned_exactly() {
    if !testkit::privileged("nasty_tree_is_scanned_exactly")
        || !testkit::tool("nasty_tree_is_scanned_exactly", "setcap")
    {
        return;
    }
    let _guard = exclusive();
    let dir = testkit::temp_dir();
    let root = dir.path().join("tree");
    std::fs::create_dir_all(root.join("a/b")).expect("mkdir");
    std::fs::create_dir_all(root.join("empty")).expect("mkdir");
    let mut expected: BTreeSet<PathBuf> = BTreeSet::new();
    let mut add = |rel: &[u8], mode: u32| {
        let path = root.join(OsStr::from_bytes(rel));
        write(&path, mode);
        if mode & 0o6000 != 0 {
            expected.insert(path.clone());
        }
        path
    };
    add(b"a/suid", 0o4755);
    add(b"a/b/sgid", 0o2755);
    add(b"a/b/sgid-nox", 0o2644);
    add(b"plain", 0o755);
    let critical = add(b"a/world-writable-suid", 0o4777);
    chmod(&critical, 0o4777);
    let newline = add(b"a/new\nline suid", 0o4755);
    let bad_utf8 = add(b"a/bad\xff\xfename", 0o2755);
    let caps = add(b"a/b/caps", 0o755);
    setcap(&["cap_net_raw,cap_sys_admin=ep"], &caps);
    let v3 = add(b"v3", 0o755);
    setcap(&["-n", "1000", "cap_kill=ei"], &v3);
    let empty_caps = add(b"empty-caps", 0o644);
    setcap(&["="], &empty_caps);
    expected.extend([caps.clone(), v3.clone(), empty_caps.clone()]);
    // Things that are never privileged files, and links that must not be followed.
    assert!(Command::new("mkfifo")
        .arg(root.join("fifo"))
        .status()
        .expect("mkfifo")
        .success());
    let _socket = std::os::unix::net::UnixListener::bind(root.join("socket")).expect("socket");
    std::os::unix::fs::symlink(root.join("a/suid"), root.join("link-to-suid")).expect("symlink");
    std::os::unix::fs::symlink(&root, root.join("a/link-to-root")).expect("symlink");
    std::os::unix::fs::symlink("/usr/bin", root.join("link-to-usr-bin")).expect("symlink");
    // A tree deeper than PATH_MAX, with a setuid file at the bottom.
    // Built through /proc/self/fd/N/NAME, which keeps every path short.
    {
        use std::os::fd::{AsFd, AsRawFd};
        let mut fd =
            leastcap_sys::fs::open_dir_at(None, root.as_os_str(), &root).expect("open root");
        for _ in 0..1500 {
            std::fs::create_dir(format!("/proc/self/fd/{}/dd", fd.as_raw_fd())).expect("mkdir dd");
            fd = leastcap_sys::fs::open_dir_at(Some(fd.as_fd()), OsStr::new("dd"), &root)
                .expect("open dd");
        }
        write(
            Path::new(&format!("/proc/self/fd/{}/deep", fd.as_raw_fd())),
            0o4755,
        );
    }
    let mut deep = root.clone();
    for _ in 0..1500 {
        deep.push("dd");
    }
    deep.push("deep");
    assert!(deep.as_os_str().len() > 4096);
    expected.insert(deep.clone());
    // A bind-mount loop: a/b/loop is a itself.
    std::fs::create_dir_all(root.join("a/b/loop")).expect("mkdir");
    let status = Command::new("mount")
        .arg("--bind")
        .arg(root.join("a"))
        .arg(root.join("a/b/loop"))
        .status()
        .expect("mount");
    assert!(status.success(), "mount --bind");
    let _mount = Mounted(root.join("a/b/loop"));

    let out = leastcap()
        .args(["scan", "--json"])
        .arg(&root)
        .output()
        .expect("scan");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let records = records(&out.stdout);
    let found: BTreeSet<PathBuf> = records
        .iter()
        .filter(|r| r.kind == "file")
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(found, expected);
    let problems: Vec<&Record> = records.iter().filter(|r| r.kind == "problem").collect();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].value["kind"], "loop");
    assert_eq!(problems[0].path, root.join("a/b/loop"));
    let file = |path: &Path| {
        records
            .iter()
            .find(|r| r.kind == "file" && r.path == path)
            .expect("listed")
    };
    assert_eq!(file(&critical).value["risk"], "critical");
    assert_eq!(file(&caps).value["text"], "cap_net_raw,cap_sys_admin=ep");
    assert_eq!(file(&v3).value["rootid"], 1000);
    assert!(file(&v3).value["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .any(|f| f == "inert-rootid"));
    assert_eq!(file(&empty_caps).value["text"], "=");
    assert_eq!(file(&newline).value["setuid"], true);
    assert!(file(&bad_utf8).value["path_hex"].is_string());
    let summary = records
        .iter()
        .find(|r| r.kind == "summary")
        .expect("summary");
    assert_eq!(summary.value["privileged_files"], expected.len());
    assert_eq!(summary.value["loops"], 1);
    assert_eq!(summary.value["problems"], 0);

    // Text output escapes control characters and sorts by risk.
    let text = leastcap().arg("scan").arg(&root).output().expect("scan");
    let text = String::from_utf8(text.stdout).expect("utf-8 text");
    assert!(text.contains("a/new\\nline suid"), "{text}");
    assert!(text.contains("bad\\xff\\xfename"), "{text}");
    let first_row = text.lines().nth(1).expect("a row");
    assert!(first_row.starts_with("critical"), "{first_row}");
}

/// Files and directories appear and vanish while the scan runs: no errors, every stable
/// file found, nothing reported that was never there.
#[test]
fn survives_files_and_directories_vanishing() {
    let dir = testkit::temp_dir();
    let root = dir.path().to_path_buf();
    let mut stable = BTreeSet::new();
    for d in 0..20 {
        let sub = root.join(format!("d{d}"));
        std::fs::create_dir_all(&sub).expect("mkdir");
        for f in 0..20 {
            let path = sub.join(format!("f{f}"));
            write(&path, if f % 5 == 0 { 0o4755 } else { 0o644 });
            if f % 5 == 0 {
                stable.insert(path);
            }
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    let churn = {
        let stop = Arc::clone(&stop);
        let root = root.clone();
        std::thread::spawn(move || {
            let mut rounds = 0u64;
            while !stop.load(Ordering::Relaxed) {
                for d in 0..20 {
                    let tree = root.join(format!("d{d}/churn"));
                    let _ = std::fs::create_dir_all(tree.join("x/y"));
                    let _ = std::fs::write(tree.join("x/y/s"), b"x");
                    let _ = std::fs::set_permissions(
                        tree.join("x/y/s"),
                        std::fs::Permissions::from_mode(0o4755),
                    );
                    let _ = std::fs::remove_dir_all(&tree);
                }
                rounds += 1;
            }
            rounds
        })
    };
    let options = ScanOptions {
        roots: vec![root.clone()],
        all_filesystems: false,
        threads: 4,
    };
    let mut vanished = 0;
    for _ in 0..30 {
        let result = scan(&options, Arc::default());
        vanished += result.vanished;
        let failures: Vec<_> = result
            .problems
            .iter()
            .filter(|p| p.kind != ProblemKind::Loop)
            .collect();
        assert!(failures.is_empty(), "{failures:?}");
        let found: BTreeSet<PathBuf> = result.files.iter().map(|f| f.path.clone()).collect();
        assert!(stable.is_subset(&found));
        for extra in found.difference(&stable) {
            assert!(
                extra.to_string_lossy().contains("/churn/x/y/s"),
                "{}",
                extra.display()
            );
        }
    }
    stop.store(true, Ordering::Relaxed);
    assert!(churn.join().expect("churn") > 0);
    eprintln!("entries vanished during 30 scans: {vanished}");
}

/// A scanner without privilege meets EACCES: it reports the directory it could not read,
/// still finds everything else, and exits 1.
#[test]
fn unreadable_directories_are_reported_not_fatal() {
    if !testkit::privileged("unreadable_directories_are_reported_not_fatal")
        || !testkit::tool("unreadable_directories_are_reported_not_fatal", "setpriv")
    {
        return;
    }
    let dir = testkit::temp_dir();
    chmod(dir.path(), 0o755);
    let binary = testkit::copy_binary(
        Path::new(env!("CARGO_BIN_EXE_leastcap")),
        dir.path(),
        "leastcap",
    );
    chmod(&binary, 0o755);
    let root = dir.path().join("tree");
    std::fs::create_dir_all(root.join("open/sub")).expect("mkdir");
    std::fs::create_dir_all(root.join("locked/inner")).expect("mkdir");
    write(&root.join("open/sub/suid"), 0o4755);
    write(&root.join("locked/inner/suid"), 0o4755);
    write(&root.join("open/sgid"), 0o2755);
    chmod(&root.join("locked"), 0o700);
    let out = Command::new(testkit::which("setpriv").expect("setpriv"))
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(&binary)
        .args(["scan", "--json"])
        .arg(&root)
        .output()
        .expect("setpriv");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let nobody = records(&out.stdout);
    let found: BTreeSet<PathBuf> = nobody
        .iter()
        .filter(|r| r.kind == "file")
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        found,
        BTreeSet::from([root.join("open/sub/suid"), root.join("open/sgid")])
    );
    let problems: Vec<&Record> = nobody.iter().filter(|r| r.kind == "problem").collect();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, root.join("locked"));
    assert_eq!(problems[0].value["kind"], "unreadable");
    // As root the same tree is complete.
    let out = leastcap()
        .args(["scan", "--json"])
        .arg(&root)
        .output()
        .expect("scan");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        records(&out.stdout)
            .iter()
            .filter(|r| r.kind == "file")
            .count(),
        3
    );
}

/// What getcap prints for the files leastcap found with capabilities, on the same device.
fn lstat_dev(path: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path).ok().map(|m| m.dev())
}

/// On this machine: `leastcap scan /` finds exactly what `getcap -r /` and
/// `find / -xdev -perm /6000 -type f` find on the root file system. The temporary
/// directory is left out: other tests create and delete privileged files there meanwhile.
#[test]
fn scan_of_root_matches_getcap_and_find() {
    let test = "scan_of_root_matches_getcap_and_find";
    if !testkit::privileged(test) || !testkit::tool(test, "getcap") || !testkit::tool(test, "find")
    {
        return;
    }
    let _guard = exclusive();
    let temp = std::env::temp_dir();
    let volatile = |path: &Path| {
        path.starts_with(&temp) || path.starts_with("/tmp") || path.starts_with("/var/tmp")
    };
    let root_dev = lstat_dev(Path::new("/")).expect("stat /");

    let out = leastcap()
        .args(["scan", "--json", "/"])
        .output()
        .expect("scan");
    let records = records(&out.stdout);
    let ours_setid: BTreeSet<PathBuf> = records
        .iter()
        .filter(|r| r.kind == "file" && (r.value["setuid"] == true || r.value["setgid"] == true))
        .map(|r| r.path.clone())
        .filter(|p| !volatile(p))
        .collect();
    let ours_caps: BTreeSet<Vec<u8>> = records
        .iter()
        .filter(|r| r.kind == "file" && r.value["text"].is_string())
        .filter(|r| !volatile(&r.path))
        .map(|r| {
            let mut line = r.path.as_os_str().as_bytes().to_vec();
            line.push(b' ');
            line.extend_from_slice(r.value["text"].as_str().unwrap_or_default().as_bytes());
            line
        })
        .collect();
    let problems: Vec<&Record> = records
        .iter()
        .filter(|r| r.kind == "problem" && !volatile(&r.path))
        .collect();
    assert!(problems.is_empty(), "{problems:?}");

    let find = Command::new("find")
        .args(["/", "-xdev", "-perm", "/6000", "-type", "f", "-print0"])
        .output()
        .expect("find");
    let theirs_setid: BTreeSet<PathBuf> = find
        .stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| PathBuf::from(OsStr::from_bytes(p)))
        .filter(|p| !volatile(p))
        .collect();
    assert_eq!(ours_setid, theirs_setid);

    // getcap -r crosses file systems: walk each top-level entry of / on the root device,
    // then keep the lines whose file is on the root device.
    let mut theirs_caps = BTreeSet::new();
    for entry in std::fs::read_dir("/").expect("read /") {
        let path = entry.expect("entry").path();
        if lstat_dev(&path) != Some(root_dev) || volatile(&path) {
            continue;
        }
        let out = Command::new(testkit::which("getcap").expect("getcap"))
            .arg("-r")
            .arg(&path)
            .output()
            .expect("getcap");
        for line in out.stdout.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            // The path is the longest prefix before a space that names a file.
            let file = (0..line.len())
                .rev()
                .filter(|i| line[*i] == b' ')
                .map(|i| PathBuf::from(OsStr::from_bytes(&line[..i])))
                .find(|p| std::fs::symlink_metadata(p).is_ok());
            let Some(file) = file else { continue };
            if lstat_dev(&file) == Some(root_dev) && !volatile(&file) {
                theirs_caps.insert(line.to_vec());
            }
        }
    }
    assert_eq!(
        ours_caps
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect::<Vec<_>>(),
        theirs_caps
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect::<Vec<_>>()
    );
    assert!(
        !theirs_setid.is_empty(),
        "a Debian system has setuid programs (su, passwd, mount)"
    );
}

/// Other file systems are entered only with --all-filesystems, and pseudo ones (proc) never.
#[test]
fn other_file_systems_only_when_asked_and_pseudo_ones_never() {
    let test = "other_file_systems_only_when_asked_and_pseudo_ones_never";
    if !testkit::privileged(test) || !testkit::tool(test, "mount") {
        return;
    }
    let _guard = exclusive();
    let dir = testkit::temp_dir();
    let root = dir.path().to_path_buf();
    write(&root.join("here"), 0o4755);
    std::fs::create_dir_all(root.join("tmpfs")).expect("mkdir");
    std::fs::create_dir_all(root.join("proc")).expect("mkdir");
    let mount = |args: &[&str], at: &Path| {
        let status = Command::new("mount")
            .args(args)
            .arg(at)
            .status()
            .expect("mount");
        assert!(status.success(), "mount {args:?}");
        Mounted(at.to_path_buf())
    };
    let _tmpfs = mount(&["-t", "tmpfs", "leastcap-test"], &root.join("tmpfs"));
    let _proc = mount(&["-t", "proc", "proc"], &root.join("proc"));
    write(&root.join("tmpfs/there"), 0o4755);

    let run = |extra: &[&str]| {
        let out = leastcap()
            .args(["scan", "--json"])
            .args(extra)
            .arg(&root)
            .output()
            .expect("scan");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "no progress line without a terminal: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        records(&out.stdout)
    };
    let files = |records: &[Record]| -> BTreeSet<PathBuf> {
        records
            .iter()
            .filter(|r| r.kind == "file")
            .map(|r| r.path.clone())
            .collect()
    };
    let skipped = |records: &[Record]| -> Vec<(PathBuf, String)> {
        records
            .iter()
            .filter(|r| r.kind == "skipped")
            .map(|r| {
                (
                    r.path.clone(),
                    r.value["reason"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };

    let default = run(&[]);
    assert_eq!(files(&default), BTreeSet::from([root.join("here")]));
    let skipped_default = skipped(&default);
    assert_eq!(skipped_default.len(), 2, "{skipped_default:?}");

    let all = run(&["--all-filesystems"]);
    assert_eq!(
        files(&all),
        BTreeSet::from([root.join("here"), root.join("tmpfs/there")])
    );
    assert_eq!(
        skipped(&all),
        vec![(root.join("proc"), "proc file system".to_string())]
    );
}

/// A manifest that cannot be written (here: the target is a directory, so the final rename
/// fails) is an error and leaves no temporary file behind.
#[test]
fn failed_export_leaves_no_temporary_file() {
    let dir = testkit::temp_dir();
    let root = dir.path();
    std::fs::create_dir(root.join("tree")).expect("mkdir");
    write(&root.join("tree/suid"), 0o4755);
    let target = root.join("out");
    std::fs::create_dir(&target).expect("mkdir");
    let (code, _, err) = testkit::output(
        leastcap()
            .args(["scan", "--export"])
            .arg(&target)
            .arg(root.join("tree")),
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("out"), "{err}");
    let mut left: Vec<_> = std::fs::read_dir(root)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    left.sort();
    assert_eq!(left, ["out", "tree"], "{err}");
}

/// Overlapping starting paths (the same tree twice, a tree and its subdirectory) report
/// every file once: the streamed JSON records agree with the summary and the table.
#[test]
fn overlapping_roots_report_each_file_once() {
    let dir = testkit::temp_dir();
    let root = dir.path();
    std::fs::create_dir_all(root.join("tree/sub/locked")).expect("mkdir");
    write(&root.join("tree/suid"), 0o4755);
    write(&root.join("tree/sub/sgid"), 0o2755);
    let tree = root.join("tree");
    let sub = root.join("tree/sub");
    let out = Command::new(env!("CARGO_BIN_EXE_leastcap"))
        .args(["scan", "--json"])
        .arg(&tree)
        .arg(&sub)
        .arg(&tree)
        .output()
        .expect("scan");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = records(&out.stdout);
    let mut files: Vec<_> = all
        .iter()
        .filter(|r| r.kind == "file")
        .map(|r| r.path.clone())
        .collect();
    files.sort();
    assert_eq!(files, [sub.join("sgid"), tree.join("suid")]);
    let summary = all.last().expect("summary");
    assert_eq!(summary.kind, "summary");
    assert_eq!(summary.value["privileged_files"], 2);
    assert_eq!(summary.value["directories"], 3, "{:?}", summary.value);
}

/// JSON names are exact everywhere: a skipped mount point whose name is not UTF-8 carries
/// its bytes in `path_hex`, like files and problems do.
#[test]
fn skipped_mounts_have_exact_names_in_json() {
    let test = "skipped_mounts_have_exact_names_in_json";
    if !testkit::privileged(test) || !testkit::tool(test, "mount") {
        return;
    }
    let _guard = exclusive();
    let dir = testkit::temp_dir();
    let root = dir.path().to_path_buf();
    let at = root.join(OsStr::from_bytes(b"mnt\xff\n"));
    std::fs::create_dir(&at).expect("mkdir");
    let status = Command::new("mount")
        .args(["-t", "tmpfs", "leastcap-test"])
        .arg(&at)
        .status()
        .expect("mount");
    assert!(status.success(), "mount tmpfs");
    let _mount = Mounted(at.clone());
    let out = leastcap()
        .args(["scan", "--json"])
        .arg(&root)
        .output()
        .expect("scan");
    let skipped: Vec<_> = records(&out.stdout)
        .into_iter()
        .filter(|r| r.kind == "skipped")
        .map(|r| r.path)
        .collect();
    assert_eq!(skipped, [at]);
}
