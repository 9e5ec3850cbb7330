//! `leastcap setcap` on the real kernel, with libcap's getcap/setcap as oracles.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use leastcap_files::setcap::{apply, prepare, Change, SetcapError};
use leastcap_files::xattr::read_caps;
use leastcap_model::{CapState, FileCaps, KernelCaps};
use leastcap_testkit as testkit;

fn ready(test: &str) -> bool {
    testkit::privileged(test) && testkit::tool(test, "getcap") && testkit::tool(test, "setcap")
}

fn leastcap() -> Command {
    Command::new(env!("CARGO_BIN_EXE_leastcap"))
}

fn getcap(path: &Path) -> String {
    let out = Command::new(testkit::which("getcap").expect("getcap"))
        .arg("-n")
        .arg(path)
        .output()
        .expect("getcap");
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

fn run(args: &[&str], file: &Path) -> (i32, String, String) {
    testkit::output(leastcap().arg("setcap").args(args).arg(file))
}

#[test]
fn replace_add_drop_remove_and_verify() {
    if !ready("replace_add_drop_remove_and_verify") {
        return;
    }
    let dir = testkit::temp_dir();
    let file = dir.path().join("tool");
    std::fs::write(&file, b"x").expect("write");
    let shown = file.display().to_string();

    assert_eq!(run(&["cap_net_raw=ep"], &file).0, 0);
    assert_eq!(getcap(&file), format!("{shown} cap_net_raw=ep"));
    assert_eq!(run(&["--add", "cap_net_admin,cap_kill=ep"], &file).0, 0);
    assert_eq!(
        getcap(&file),
        format!("{shown} cap_kill,cap_net_admin,cap_net_raw=ep")
    );
    assert_eq!(run(&["--drop", "net_admin,cap_kill"], &file).0, 0);
    assert_eq!(getcap(&file), format!("{shown} cap_net_raw=ep"));
    // --add keeps a v3 rootid and -n sets one.
    assert_eq!(run(&["-n", "1000", "cap_chown=p"], &file).0, 0);
    assert_eq!(getcap(&file), format!("{shown} cap_chown=p [rootid=1000]"));
    assert_eq!(run(&["--add", "cap_fowner=p"], &file).0, 0);
    assert_eq!(
        getcap(&file),
        format!("{shown} cap_chown,cap_fowner=p [rootid=1000]")
    );

    // -v: the same lines and exit codes as libcap's setcap -v.
    let setcap = testkit::which("setcap").expect("setcap");
    for (args, code) in [
        (vec!["-v", "cap_chown,cap_fowner=p"], 1), // rootid differs
        (vec!["-v", "-n", "1000", "cap_chown,cap_fowner=p"], 0),
        (vec!["-v", "-n", "1000", "cap_chown=p"], 1),
        (vec!["-v", "-n", "1000", "cap_chown,cap_fowner=ep"], 1),
        (vec!["-v", "-n", "1000", "cap_chown,cap_fowner=eip"], 1),
    ] {
        let ours = run(&args, &file);
        let theirs = testkit::output(Command::new(&setcap).args(&args).arg(&file));
        assert_eq!((ours.0, &ours.1), (theirs.0, &theirs.1), "setcap {args:?}");
        assert_eq!(ours.0, code, "setcap {args:?}: {}", ours.1);
    }
    let quiet = run(&["-q", "-v", "cap_kill=p"], &file);
    assert_eq!((quiet.0, quiet.1.as_str()), (1, ""));

    // -r, then -r again: libcap's message and exit 1.
    assert_eq!(run(&["-r"], &file).0, 0);
    assert_eq!(getcap(&file), "");
    let again = run(&["-r"], &file);
    assert_eq!(again.0, 1);
    assert_eq!(
        again.2.trim(),
        format!("File '{shown}' has no capablity to remove")
    );
    // `-` reads the text from stdin (lines until an empty one), like libcap's setcap.
    let mut child = leastcap()
        .args(["setcap", "-"])
        .arg(&file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(b"cap_kill=p\ncap_chown+p\n\nignored\n")
            .expect("write");
    }
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Please enter caps for file [empty line to end]:\n"
    );
    assert_eq!(getcap(&file), format!("{shown} cap_chown,cap_kill=p"));
    // --drop of the last capability removes the attribute.
    assert_eq!(run(&["cap_kill=p"], &file).0, 0);
    assert_eq!(run(&["--drop", "kill"], &file).0, 0);
    assert_eq!(read_caps(&file, false).expect("read"), None);
}

#[test]
fn refuses_like_libcap_2_70() {
    if !ready("refuses_like_libcap_2_70") {
        return;
    }
    let dir = testkit::temp_dir();
    let file = dir.path().join("tool");
    std::fs::write(&file, b"x").expect("write");
    for text in ["", " ", "\t"] {
        let (code, _, err) = run(&[text], &file);
        assert_eq!(code, 1);
        assert_eq!(
            err.trim(),
            "empty space is an invalid capability, did you mean -r?"
        );
    }
    let (code, _, err) = run(&["cap_net_raw=ep cap_kill=p"], &file);
    assert_eq!(code, 1);
    assert!(
        err.starts_with(
            "Error: under Linux, effective file capabilities must either be empty, or\n"
        ),
        "{err}"
    );
    assert_eq!(
        read_caps(&file, false).expect("read"),
        None,
        "nothing written"
    );
    assert_eq!(run(&["--force", "cap_net_raw=ep cap_kill=p"], &file).0, 0);
    assert_eq!(
        getcap(&file),
        format!("{} cap_kill,cap_net_raw=ep", file.display())
    );
    let (code, _, err) = run(&["-n", "0", "cap_kill=p"], &file);
    assert_eq!(
        (code, err.trim()),
        (1, "bad ns rootid: want positive integer, got \"0\"")
    );
    let (code, _, _) = run(&["cap_bogus=p"], &file);
    assert_eq!(code, 1);
    // A symlink and a fifo are refused with libcap's message, and nothing is written.
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&file, &link).expect("symlink");
    let (code, _, err) = run(&["cap_chown=p"], &link);
    assert_eq!(
        (code, err.trim().to_string()),
        (
            1,
            format!("Invalid file '{}' for capability operation", link.display())
        )
    );
    let fifo = dir.path().join("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo")
        .success());
    assert_eq!(run(&["cap_chown=p"], &fifo).0, 1);
    assert_eq!(
        getcap(&file),
        format!("{} cap_kill,cap_net_raw=ep", file.display())
    );
}

#[test]
fn warns_about_setuid_writable_and_foreign_files() {
    if !ready("warns_about_setuid_writable_and_foreign_files") {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = testkit::temp_dir();
    let file = dir.path().join("tool");
    std::fs::write(&file, b"x").expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o4777)).expect("chmod");
    std::os::unix::fs::chown(&file, Some(1000), None).expect("chown");
    // chown clears setuid; set it again.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o4777)).expect("chmod");
    let (code, _, err) = run(&["cap_kill=p"], &file);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("setuid"), "{err}");
    assert!(err.contains("writable by a user other than root"), "{err}");
    assert!(err.contains("owned by uid 1000"), "{err}");
    let (code, _, err) = run(&["-q", "cap_kill=p"], &file);
    assert_eq!((code, err.as_str()), (0, ""));
}

/// A binary that is executing can still get capabilities (no ETXTBSY: the file is opened
/// read-only), and the running process is not disturbed.
#[test]
fn sets_caps_on_a_running_binary() {
    if !ready("sets_caps_on_a_running_binary") {
        return;
    }
    let dir = testkit::temp_dir();
    let sleep = testkit::copy_binary(
        &testkit::which("sleep").expect("sleep"),
        dir.path(),
        "sleep",
    );
    // Another test thread forking while the copy was open for writing leaves that write
    // descriptor in its child until the child execs: exec of the copy then fails with
    // ETXTBSY for a moment. Retry (bounded) on exactly that error.
    let mut attempts = 0;
    let mut child = loop {
        match Command::new(&sleep).arg("30").stdin(Stdio::null()).spawn() {
            Err(error)
                if error.kind() == std::io::ErrorKind::ExecutableFileBusy && attempts < 1000 =>
            {
                attempts += 1;
                std::thread::yield_now();
            }
            other => break other.expect("start sleep"),
        }
    };
    // Wait until the child has exec'ed the copy (its /proc/PID/exe is the file).
    let exe = format!("/proc/{}/exe", child.id());
    for _ in 0..1000 {
        if std::fs::read_link(&exe).is_ok_and(|target| target == sleep) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(std::fs::read_link(&exe).expect("exe"), sleep);
    let result = run(&["cap_net_raw=ep"], &sleep);
    let still_running = child.try_wait().expect("try_wait").is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(result.0, 0, "{}", result.2);
    assert!(still_running);
    assert_eq!(
        getcap(&sleep),
        format!("{} cap_net_raw=ep", sleep.display())
    );
    // libcap's setcap does the same; the contrast is libcap-ng's filecap, which opens for
    // writing and fails with ETXTBSY.
}

/// A thread keeps swapping a symlink (to a victim file) and a regular file into the target
/// path while setcap runs on it: the victim must never receive an attribute.
#[test]
fn never_writes_through_a_swapped_in_symlink() {
    if !ready("never_writes_through_a_swapped_in_symlink") {
        return;
    }
    let dir = testkit::temp_dir();
    let root = dir.path().to_path_buf();
    let victim = root.join("victim");
    std::fs::write(&victim, b"precious").expect("write");
    let target = root.join("target");
    std::fs::write(&target, b"x").expect("write");
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let stop = Arc::clone(&stop);
        let root = root.clone();
        std::thread::spawn(move || {
            let mut swaps = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let link = root.join("tmp-link");
                let _ = std::fs::remove_file(&link);
                std::os::unix::fs::symlink(root.join("victim"), &link).expect("symlink");
                std::fs::rename(&link, root.join("target")).expect("rename link");
                let file = root.join("tmp-file");
                std::fs::write(&file, b"x").expect("write");
                std::fs::rename(&file, root.join("target")).expect("rename file");
                swaps += 1;
            }
            swaps
        })
    };
    let caps = FileCaps::from_state(
        &CapState::from_text("cap_sys_admin=ep", KernelCaps::LINUX_6).expect("text"),
    )
    .expect("caps");
    let (mut written, mut refused, mut other) = (0, 0, 0);
    // Bounded: stop once both outcomes were seen often enough (no wall-clock limits).
    for _ in 0..200_000 {
        match apply(&target, Change::Set(caps), None) {
            Ok(_) => written += 1,
            Err(SetcapError::InvalidFile { .. }) => refused += 1,
            Err(_) => other += 1,
        }
        if written >= 20 && refused >= 20 {
            break;
        }
        std::thread::yield_now();
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().expect("swapper");
    assert_eq!(
        read_caps(&victim, false).expect("read victim"),
        None,
        "the victim got capabilities"
    );
    assert!(swaps > 0);
    // The race really happened both ways: some writes landed on the regular file, some
    // attempts met the symlink and were refused.
    assert!(
        written > 0 && refused > 0,
        "written {written}, refused {refused}, other {other}"
    );
    // The same through the binary: the symlink in place is refused.
    let link = root.join("final-link");
    std::os::unix::fs::symlink(&victim, &link).expect("symlink");
    assert_eq!(run(&["cap_sys_admin=ep"], &link).0, 1);
    assert_eq!(read_caps(&victim, false).expect("read victim"), None);
}

#[test]
fn manifest_export_and_apply_restore_caps() {
    if !ready("manifest_export_and_apply_restore_caps") {
        return;
    }
    let dir = testkit::temp_dir();
    let root = dir.path();
    std::fs::create_dir_all(root.join("tree/sub")).expect("mkdir");
    let files = [
        ("tree/a", "cap_net_raw=ep"),
        ("tree/sub/b", "cap_kill,cap_chown=eip"),
        ("tree/sub/odd\nname", "="),
    ];
    for (name, text) in files {
        std::fs::write(root.join(name), b"x").expect("write");
        assert_eq!(run(&[text], &root.join(name)).0, 0);
    }
    std::fs::write(root.join("tree/v3"), b"x").expect("write");
    assert_eq!(
        run(&["-n", "1000", "cap_kill=p"], &root.join("tree/v3")).0,
        0
    );
    let before = testkit::output(
        Command::new(testkit::which("getcap").expect("getcap"))
            .args(["-r", "-n"])
            .arg(root.join("tree")),
    );
    let manifest = root.join("caps.manifest");
    let (code, _, err) = testkit::output(
        leastcap()
            .args(["scan", "--export"])
            .arg(&manifest)
            .arg(root.join("tree")),
    );
    assert_eq!(code, 0, "{err}");
    // Lose the capabilities (as an image build would), then restore them.
    for name in ["tree/a", "tree/sub/b", "tree/sub/odd\nname", "tree/v3"] {
        assert_eq!(run(&["-r"], &root.join(name)).0, 0);
    }
    let verify = testkit::output(leastcap().args(["setcap", "-v", "--apply"]).arg(&manifest));
    assert_eq!(
        verify.0, 1,
        "verification fails before the restore: {}",
        verify.1
    );
    let (code, _, err) = testkit::output(leastcap().args(["setcap", "--apply"]).arg(&manifest));
    assert_eq!(code, 0, "{err}");
    let after = testkit::output(
        Command::new(testkit::which("getcap").expect("getcap"))
            .args(["-r", "-n"])
            .arg(root.join("tree")),
    );
    assert_eq!(after.1, before.1);
    assert_eq!(before.1.lines().count(), 5, "{}", before.1);
    let verify = testkit::output(leastcap().args(["setcap", "-v", "--apply"]).arg(&manifest));
    assert_eq!(verify.0, 0, "{}", verify.1);
}

/// Writes a manifest by hand: the header, then one line per (path, libcap text).
fn write_manifest(path: &Path, entries: &[(&Path, &str)]) {
    use std::os::unix::ffi::OsStrExt;
    let mut text = String::from("{\"leastcap_manifest\":1}\n");
    for (file, caps) in entries {
        let caps =
            FileCaps::from_state(&CapState::from_text(caps, KernelCaps::LINUX_6).expect("text"))
                .expect("caps");
        let hex: String = caps.to_xattr().iter().map(|b| format!("{b:02x}")).collect();
        let name = std::str::from_utf8(file.as_os_str().as_bytes()).expect("utf-8 path");
        text.push_str(&serde_json::json!({"path": name, "xattr": hex}).to_string());
        text.push('\n');
    }
    std::fs::write(path, text).expect("write manifest");
}

/// "No partial writes": a manifest whose second entry cannot be written (a symlink, a missing
/// file) leaves the first entry's file untouched.
#[test]
fn apply_validates_the_whole_manifest_before_writing() {
    if !ready("apply_validates_the_whole_manifest_before_writing") {
        return;
    }
    let dir = testkit::temp_dir();
    let root = dir.path();
    let good = root.join("good");
    std::fs::write(&good, b"x").expect("write");
    let victim = root.join("victim");
    std::fs::write(&victim, b"x").expect("write");
    let link = root.join("link");
    std::os::unix::fs::symlink(&victim, &link).expect("symlink");
    for bad in [link.clone(), root.join("missing")] {
        let manifest = root.join("caps.manifest");
        write_manifest(
            &manifest,
            &[(&good, "cap_net_raw=ep"), (&bad, "cap_sys_admin=ep")],
        );
        let (code, _, err) = testkit::output(leastcap().args(["setcap", "--apply"]).arg(&manifest));
        assert_eq!(code, 1, "{err}");
        assert!(err.contains(&*bad.to_string_lossy()), "{err}");
        assert_eq!(getcap(&good), "", "a partial write: {err}");
        assert_eq!(getcap(&victim), "");
    }
}

/// The same rule for several files on one command line: one bad FILE means no file is
/// written (libcap's setcap would have written the ones before it).
#[test]
fn several_files_are_all_validated_before_any_write() {
    if !ready("several_files_are_all_validated_before_any_write") {
        return;
    }
    let dir = testkit::temp_dir();
    let root = dir.path();
    let (a, b) = (root.join("a"), root.join("b"));
    for file in [&a, &b] {
        std::fs::write(file, b"x").expect("write");
    }
    let missing = root.join("missing");
    let pairs = testkit::output(
        leastcap()
            .args(["setcap", "cap_net_raw=ep"])
            .arg(&a)
            .arg("cap_kill=p")
            .arg(&missing),
    );
    assert_eq!(pairs.0, 1, "{}", pairs.2);
    assert_eq!(getcap(&a), "", "a partial write: {}", pairs.2);
    for mode in [
        &["--add", "cap_kill=p"][..],
        &["--drop", "cap_kill"],
        &["-r"],
    ] {
        if mode[0] != "--add" {
            assert_eq!(run(&["cap_kill,cap_chown=p"], &a).0, 0);
        }
        let before = getcap(&a);
        let out = testkit::output(
            leastcap()
                .arg("setcap")
                .args(mode)
                .arg(&a)
                .arg(&missing)
                .arg(&b),
        );
        assert_eq!(out.0, 1, "{mode:?}: {}", out.2);
        assert_eq!(getcap(&a), before, "{mode:?}: a partial write: {}", out.2);
        assert_eq!(getcap(&b), "", "{mode:?}");
    }
}

/// A write that fails only at fsetxattr time (an immutable file: open succeeds, the write is
/// refused with EPERM) undoes the writes already made, restoring the exact old attribute.
#[test]
fn a_failed_write_rolls_back_the_earlier_ones() {
    if !ready("a_failed_write_rolls_back_the_earlier_ones")
        || !testkit::tool("a_failed_write_rolls_back_the_earlier_ones", "chattr")
    {
        return;
    }
    let dir = testkit::temp_dir();
    let root = dir.path();
    let (a, v3, locked) = (root.join("a"), root.join("v3"), root.join("locked"));
    for file in [&a, &v3, &locked] {
        std::fs::write(file, b"x").expect("write");
    }
    assert_eq!(run(&["-n", "1000", "cap_kill=p"], &v3).0, 0);
    let chattr = |flag: &str| {
        let status = Command::new(testkit::which("chattr").expect("chattr"))
            .arg(flag)
            .arg(&locked)
            .stderr(Stdio::null())
            .status()
            .expect("chattr");
        status.success()
    };
    if !chattr("+i") {
        eprintln!("SKIPPED a_failed_write_rolls_back_the_earlier_ones: no chattr +i here");
        return;
    }
    let v3_before = getcap(&v3);
    let manifest = root.join("caps.manifest");
    write_manifest(
        &manifest,
        &[
            (&a, "cap_net_raw=ep"),
            (&v3, "cap_chown=ep"),
            (&locked, "cap_kill=p"),
        ],
    );
    let apply = testkit::output(leastcap().args(["setcap", "--apply"]).arg(&manifest));
    let add = testkit::output(
        leastcap()
            .args(["setcap", "--add", "cap_sys_time=p"])
            .arg(&v3)
            .arg(&locked),
    );
    assert!(chattr("-i"), "chattr -i");
    assert_eq!(apply.0, 1, "{}", apply.2);
    assert!(apply.2.contains("Operation not permitted"), "{}", apply.2);
    assert_eq!(getcap(&a), "", "not rolled back: {}", apply.2);
    assert_eq!(getcap(&v3), v3_before, "not rolled back: {}", apply.2);
    assert_eq!(add.0, 1, "{}", add.2);
    assert_eq!(getcap(&v3), v3_before, "not rolled back: {}", add.2);
    assert_eq!(getcap(&locked), "");
}

/// `--json` names a file that is not UTF-8 exactly (`path_hex`).
#[test]
fn json_names_are_exact() {
    if !ready("json_names_are_exact") {
        return;
    }
    use std::os::unix::ffi::OsStrExt;
    let dir = testkit::temp_dir();
    let file = dir.path().join(std::ffi::OsStr::from_bytes(b"odd\xff"));
    std::fs::write(&file, b"x").expect("write");
    let hex: String = file
        .as_os_str()
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    for args in [
        &["--json", "cap_kill=p"][..],
        &["--json", "-v", "cap_kill=p"],
    ] {
        let out = leastcap()
            .arg("setcap")
            .args(args)
            .arg(&file)
            .output()
            .expect("setcap");
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let entry = if args.contains(&"-v") {
            &report["verified"][0]
        } else {
            &report["written"][0]
        };
        assert_eq!(
            entry["path_hex"],
            serde_json::Value::String(hex.clone()),
            "{report}"
        );
    }
}

/// `--add` cannot silently make capabilities effective that were asked for as permitted
/// only (or the other way round): the merged state must pass libcap 2.70's rule (effective
/// empty or exactly P∪I), like the replace form, unless --force.
#[test]
fn add_refuses_a_merge_that_changes_what_is_effective() {
    if !ready("add_refuses_a_merge_that_changes_what_is_effective") {
        return;
    }
    let dir = testkit::temp_dir();
    let file = dir.path().join("tool");
    std::fs::write(&file, b"x").expect("write");
    let shown = file.display().to_string();
    for (current, add) in [
        ("cap_net_raw=ep", "cap_kill=p"),
        ("cap_kill=p", "cap_net_raw=ep"),
    ] {
        assert_eq!(run(&[current], &file).0, 0);
        let (code, _, err) = run(&["--add", add], &file);
        assert_eq!(code, 1, "{current} + {add}: {err}");
        assert!(
            err.contains("effective file capabilities must either be empty"),
            "{err}"
        );
        assert_eq!(
            getcap(&file),
            format!("{shown} {current}"),
            "{current} + {add}"
        );
        let (code, _, err) = run(&["--force", "--add", add], &file);
        assert_eq!(code, 0, "{err}");
        assert_eq!(getcap(&file), format!("{shown} cap_kill,cap_net_raw=ep"));
    }
    // Merges that keep the rule are fine.
    assert_eq!(run(&["cap_kill=p"], &file).0, 0);
    assert_eq!(run(&["--add", "cap_chown=p"], &file).0, 0);
    assert_eq!(getcap(&file), format!("{shown} cap_chown,cap_kill=p"));
    assert_eq!(run(&["cap_kill=ep"], &file).0, 0);
    assert_eq!(run(&["--add", "cap_chown=eip"], &file).0, 0);
    assert_eq!(getcap(&file), format!("{shown} cap_chown=eip cap_kill+ep"));
}

/// Checking every file before writing must not hold one descriptor per file: a manifest
/// with more entries than the open-file limit still applies.
#[test]
fn apply_of_a_large_manifest_fits_a_small_descriptor_limit() {
    if !ready("apply_of_a_large_manifest_fits_a_small_descriptor_limit") {
        return;
    }
    let dir = testkit::temp_dir();
    let root = dir.path();
    let files: Vec<_> = (0..300).map(|i| root.join(format!("f{i}"))).collect();
    for file in &files {
        std::fs::write(file, b"x").expect("write");
    }
    let manifest = root.join("caps.manifest");
    let entries: Vec<(&Path, &str)> = files
        .iter()
        .map(|f| (f.as_path(), "cap_net_raw=ep"))
        .collect();
    write_manifest(&manifest, &entries);
    let out = testkit::output(
        Command::new("sh")
            .arg("-c")
            .arg("ulimit -n 64 && exec \"$0\" setcap --apply \"$1\"")
            .arg(env!("CARGO_BIN_EXE_leastcap"))
            .arg(&manifest),
    );
    assert_eq!(out.0, 0, "{}", out.2);
    for file in [&files[0], &files[299]] {
        assert_eq!(getcap(file), format!("{} cap_net_raw=ep", file.display()));
    }
}

/// Between the check and the write, the file is replaced (another inode renamed over it) or
/// its capabilities change: the write is refused, not made on what was not checked.
#[test]
fn a_file_changed_after_the_check_is_not_written() {
    if !ready("a_file_changed_after_the_check_is_not_written") {
        return;
    }
    let dir = testkit::temp_dir();
    let target = dir.path().join("target");
    std::fs::write(&target, b"x").expect("write");
    let caps = FileCaps::from_state(
        &CapState::from_text("cap_sys_admin=ep", KernelCaps::LINUX_6).expect("text"),
    )
    .expect("caps");
    let prepared = prepare(&target, Change::Set(caps), None).expect("prepare");
    let other = dir.path().join("other");
    std::fs::write(&other, b"y").expect("write");
    std::fs::rename(&other, &target).expect("rename");
    assert!(matches!(
        prepared.commit(),
        Err(SetcapError::Changed { .. })
    ));
    assert_eq!(read_caps(&target, false).expect("read"), None);

    let prepared = prepare(&target, Change::Set(caps), None).expect("prepare");
    assert_eq!(run(&["cap_kill=p"], &target).0, 0);
    assert!(matches!(
        prepared.commit(),
        Err(SetcapError::Changed { .. })
    ));
    assert_eq!(getcap(&target), format!("{} cap_kill=p", target.display()));
    prepare(&target, Change::Set(caps), None)
        .expect("prepare")
        .commit()
        .expect("commit");
    assert_eq!(
        getcap(&target),
        format!("{} cap_sys_admin=ep", target.display())
    );
}

/// The same file named twice in one command is changed as if the changes ran in turn (as
/// libcap's setcap does for `TEXT FILE TEXT FILE`), not refused as "changed".
#[test]
fn the_same_file_twice_in_one_command() {
    if !ready("the_same_file_twice_in_one_command") {
        return;
    }
    let dir = testkit::temp_dir();
    let file = dir.path().join("tool");
    std::fs::write(&file, b"x").expect("write");
    let link = dir.path().join("hard");
    std::fs::hard_link(&file, &link).expect("link");
    let shown = file.display().to_string();
    let out = testkit::output(
        leastcap()
            .args(["setcap", "cap_kill=p"])
            .arg(&file)
            .arg("cap_chown=p")
            .arg(&link),
    );
    assert_eq!(out.0, 0, "{}", out.2);
    assert_eq!(getcap(&file), format!("{shown} cap_chown=p"));
    let out = testkit::output(
        leastcap()
            .args(["setcap", "--add", "cap_kill=p"])
            .arg(&file)
            .arg(&file),
    );
    assert_eq!(out.0, 0, "{}", out.2);
    assert_eq!(getcap(&file), format!("{shown} cap_chown,cap_kill=p"));
    let out = testkit::output(
        leastcap()
            .args(["setcap", "--drop", "cap_kill"])
            .arg(&file)
            .arg(&link),
    );
    assert_eq!(out.0, 0, "{}", out.2);
    assert_eq!(getcap(&file), format!("{shown} cap_chown=p"));
}

/// Error messages escape control characters in file names: a name with a newline cannot
/// forge a second line, and a backslash-n in a name stays as it is.
#[test]
fn error_messages_escape_names() {
    let dir = testkit::temp_dir();
    for (name, shown) in [
        ("nope\nFAKE: forged", "nope\\nFAKE: forged"),
        ("back\\nslash", "back\\\\nslash"),
    ] {
        let path = dir.path().join(name);
        let (code, _, err) = run(&["cap_kill=p"], &path);
        assert_eq!(code, 1, "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(shown), "{err}");
    }
}
