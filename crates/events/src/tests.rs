use std::mem::{offset_of, size_of};
use std::path::Path;
use std::process::Command;

use super::raw::{RawAggKey, RawEvent};
use super::*;

/// Compiles a C program that prints `sizeof`/`offsetof` for every field of the header's
/// structs and compares them with the Rust mirrors.
#[test]
fn c_header_layout_matches_rust() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = dir.path().join("layout.c");
    let binary = dir.path().join("layout");
    let header = Path::new(env!("CARGO_MANIFEST_DIR")).join("c/leastcap_events.h");
    let program = format!(
        r#"#include <stdio.h>
#include <stddef.h>
#include "{header}"
#define F(s, f) printf(#s "." #f " %zu %zu\n", offsetof(struct s, f), sizeof(((struct s *)0)->f));
int main(void) {{
    printf("lc_event %zu\n", sizeof(struct lc_event));
    printf("lc_agg_key %zu\n", sizeof(struct lc_agg_key));
    F(lc_event, time_ns) F(lc_event, pid) F(lc_event, tid) F(lc_event, cap) F(lc_event, ret)
    F(lc_event, syscall_nr) F(lc_event, stack_id) F(lc_event, opts) F(lc_event, flags)
    F(lc_event, userns_inum) F(lc_event, userns_level) F(lc_event, backend) F(lc_event, _pad)
    F(lc_event, comm)
    F(lc_agg_key, pid) F(lc_agg_key, cap) F(lc_agg_key, ret) F(lc_agg_key, syscall_nr)
    F(lc_agg_key, stack_id) F(lc_agg_key, flags) F(lc_agg_key, userns_level)
    printf("LC_F_INIT_USERNS %u\nLC_F_OPTS_VALID %u\nLC_F_SYSCALL_VALID %u\n",
           LC_F_INIT_USERNS, LC_F_OPTS_VALID, LC_F_SYSCALL_VALID);
    printf("LC_BACKEND %d %d %d %d %d\n", LC_BACKEND_FEXIT, LC_BACKEND_TP_BTF,
           LC_BACKEND_TRACEPOINT, LC_BACKEND_KPROBE, LC_BACKEND_RAW_TP);
    printf("LC_CAP_OPT %u %u\n", LC_CAP_OPT_NOAUDIT, LC_CAP_OPT_INSETID);
    printf("LC_CNT %d %d %d %d %d\n", LC_CNT_MATCHED, LC_CNT_LOST, LC_CNT_AGG_FULL,
           LC_CNT_STACK_ERR, LC_CNT_MAX);
    printf("LC_TARGET %d %d\n", LC_TARGET_ARMED, LC_TARGET_ACTIVE);
    return 0;
}}
"#,
        header = header.display()
    );
    std::fs::write(&source, program).expect("write layout.c");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let status = Command::new(&cc)
        .arg("-Wall")
        .arg("-o")
        .arg(&binary)
        .arg(&source)
        .status()
        .unwrap_or_else(|e| panic!("cannot run the C compiler `{cc}` (set CC): {e}"));
    assert!(status.success(), "compiling layout.c failed");
    let output = Command::new(&binary).output().expect("run layout");
    let text = String::from_utf8(output.stdout).expect("utf-8");

    macro_rules! field {
        ($s:ident, $cname:literal, $f:ident) => {{
            let probe = $s::default();
            format!(
                "{}.{} {} {}",
                $cname,
                if stringify!($f) == "pad" {
                    "_pad"
                } else {
                    stringify!($f)
                },
                offset_of!($s, $f),
                std::mem::size_of_val(&probe.$f)
            )
        }};
    }
    let expected = [
        format!("lc_event {}", size_of::<RawEvent>()),
        format!("lc_agg_key {}", size_of::<RawAggKey>()),
        field!(RawEvent, "lc_event", time_ns),
        field!(RawEvent, "lc_event", pid),
        field!(RawEvent, "lc_event", tid),
        field!(RawEvent, "lc_event", cap),
        field!(RawEvent, "lc_event", ret),
        field!(RawEvent, "lc_event", syscall_nr),
        field!(RawEvent, "lc_event", stack_id),
        field!(RawEvent, "lc_event", opts),
        field!(RawEvent, "lc_event", flags),
        field!(RawEvent, "lc_event", userns_inum),
        field!(RawEvent, "lc_event", userns_level),
        field!(RawEvent, "lc_event", backend),
        field!(RawEvent, "lc_event", pad),
        field!(RawEvent, "lc_event", comm),
        field!(RawAggKey, "lc_agg_key", pid),
        field!(RawAggKey, "lc_agg_key", cap),
        field!(RawAggKey, "lc_agg_key", ret),
        field!(RawAggKey, "lc_agg_key", syscall_nr),
        field!(RawAggKey, "lc_agg_key", stack_id),
        field!(RawAggKey, "lc_agg_key", flags),
        field!(RawAggKey, "lc_agg_key", userns_level),
        format!("LC_F_INIT_USERNS {}", raw::F_INIT_USERNS),
        format!("LC_F_OPTS_VALID {}", raw::F_OPTS_VALID),
        format!("LC_F_SYSCALL_VALID {}", raw::F_SYSCALL_VALID),
        format!(
            "LC_BACKEND {} {} {} {} {}",
            raw::BACKEND_FEXIT,
            raw::BACKEND_TP_BTF,
            raw::BACKEND_TRACEPOINT,
            raw::BACKEND_KPROBE,
            raw::BACKEND_RAW_TP
        ),
        format!(
            "LC_CAP_OPT {} {}",
            raw::CAP_OPT_NOAUDIT,
            raw::CAP_OPT_INSETID
        ),
        format!(
            "LC_CNT {} {} {} {} {}",
            raw::CNT_MATCHED,
            raw::CNT_LOST,
            raw::CNT_AGG_FULL,
            raw::CNT_STACK_ERR,
            raw::CNT_MAX
        ),
        format!("LC_TARGET {} {}", raw::TARGET_ARMED, raw::TARGET_ACTIVE),
    ];
    let actual: Vec<&str> = text.lines().collect();
    assert_eq!(actual, expected, "C header and Rust mirror disagree");
}

#[test]
fn syscall_table_names_well_known_numbers() {
    assert_eq!(syscall_name(0), Some("read"));
    assert_eq!(syscall_name(41), Some("socket"));
    assert_eq!(syscall_name(59), Some("execve"));
    assert_eq!(syscall_name(251), Some("ioprio_set"));
    assert_eq!(syscall_name(298), Some("perf_event_open"));
    assert_eq!(syscall_name(435), Some("clone3"));
    assert_eq!(syscall_name(462), Some("mseal"));
    assert_eq!(syscall_name(100_000), None);
    assert_eq!(syscall_number("socket"), Some(41));
    assert_eq!(syscall_number(""), None);
}

#[test]
fn decodes_a_raw_event() {
    let raw = raw::RawEvent {
        time_ns: 5,
        pid: 10,
        tid: 11,
        cap: 13,
        ret: -1,
        syscall_nr: 41,
        stack_id: 3,
        opts: raw::CAP_OPT_NOAUDIT,
        flags: raw::F_INIT_USERNS | raw::F_SYSCALL_VALID,
        userns_inum: 4026531837,
        userns_level: 0,
        backend: raw::BACKEND_TP_BTF,
        pad: 0,
        comm: *b"ping\0garbage\0\0\0\0",
    };
    let event = CapEvent::from_raw(&raw, vec!["inet_create".into()]).expect("decodes");
    assert_eq!(event.cap, Cap::NET_RAW);
    assert_eq!(event.comm, "ping");
    assert_eq!(event.verdict, CheckVerdict::Denied { errno: 1 });
    assert_eq!(event.syscall_name(), Some("socket"));
    assert!(event.userns.initial);
    assert_eq!(event.opts, None, "opts not valid on the tracepoint backend");
    assert_eq!(event.backend, Some(Backend::TpBtf));

    let out_of_range = raw::RawEvent { cap: 64, ..raw };
    assert_eq!(CapEvent::from_raw(&out_of_range, Vec::new()), None);
    let no_syscall = raw::RawEvent {
        flags: 0,
        syscall_nr: -1,
        ..raw
    };
    let event = CapEvent::from_raw(&no_syscall, Vec::new()).expect("decodes");
    assert_eq!(event.syscall, None);
    assert!(!event.userns.initial);
}

#[test]
fn backend_names_round_trip() {
    for backend in Backend::ALL {
        assert_eq!(Backend::from_name(backend.name()), Some(backend));
    }
    assert!(Backend::Fexit.has_opts());
    assert!(!Backend::TpBtf.has_opts());
}
