//! The `explain` and `decode` commands, end to end through the binary.

use std::process::Command;

use leastcap_testkit as testkit;

fn leastcap(args: &[&str]) -> (i32, String, String) {
    testkit::output(
        Command::new(env!("CARGO_BIN_EXE_leastcap"))
            .args(args)
            .env("NO_COLOR", "1"),
    )
}

#[test]
fn explain_perfmon_recommends_it_over_sys_admin() {
    let (code, out, _) = leastcap(&["explain", "perfmon"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("cap_perfmon (38)"), "{out}");
    assert!(out.contains("Linux 5.8"), "{out}");
    assert!(out.contains("perf_event_open"), "{out}");
    assert!(out.contains("checks CAP_PERFMON or CAP_SYS_ADMIN"), "{out}");
    assert!(out.contains("grant CAP_PERFMON"), "{out}");
    for spelling in ["cap_perfmon", "CAP_PERFMON", "38"] {
        assert_eq!(leastcap(&["explain", spelling]).1, out, "{spelling}");
    }
}

#[test]
fn explain_sys_admin_lists_narrow_alternatives() {
    let (code, out, _) = leastcap(&["explain", "sys_admin"]);
    assert_eq!(code, 0);
    for narrow in [
        "cap_perfmon (38)",
        "cap_bpf (39)",
        "cap_checkpoint_restore (40)",
        "cap_syslog (34)",
    ] {
        assert!(out.contains(narrow), "missing {narrow} in {out}");
    }
    assert!(out.contains("root-equivalent"));
}

#[test]
fn explain_unknown_number_says_so() {
    let (code, out, _) = leastcap(&["explain", "45"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("this build of leastcap does not know it"),
        "{out}"
    );
    assert!(out.contains("does not support it either"), "{out}");
    let (code, _, err) = leastcap(&["explain", "cap_foo"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown capability 'cap_foo'"), "{err}");
}

#[test]
fn explain_table_and_search() {
    let (code, out, _) = leastcap(&["explain"]);
    assert_eq!(code, 0);
    assert_eq!(
        out.lines().filter(|line| line.contains(" cap_")).count(),
        41
    );
    let (code, out, _) = leastcap(&["explain", "--search", "raw", "socket"]);
    assert_eq!(code, 0);
    assert!(out.contains("cap_net_raw (13)"), "{out}");
    let (code, _, _) = leastcap(&["explain", "--search", "zzzz-nothing"]);
    assert_eq!(code, 1);
}

#[test]
fn explain_json_is_structured() {
    let (code, out, _) = leastcap(&["--json", "explain", "perfmon"]);
    assert_eq!(code, 0);
    let value: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(value["number"], 38);
    assert_eq!(value["since"], "5.8");
    assert!(value["or_chains"]
        .as_array()
        .expect("chains")
        .iter()
        .any(|chain| chain["grant"] == "cap_perfmon"));
    let (_, table, _) = leastcap(&["explain", "--json"]);
    let table: serde_json::Value = serde_json::from_str(&table).expect("valid JSON");
    assert_eq!(table["capabilities"].as_array().map(Vec::len), Some(41));
}

#[test]
fn decode_first_line_matches_capsh() {
    if !testkit::tool("decode_first_line_matches_capsh", "capsh") {
        return;
    }
    let capsh = testkit::which("capsh").expect("checked");
    let mut masks = vec![
        "0x000001fffeffffff".to_string(),
        "0".to_string(),
        "3000".to_string(),
        "0xffffffffffffffff".to_string(),
        "0x0000200000002000".to_string(),
    ];
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..50 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        masks.push(format!("{x:#018x}"));
    }
    for mask in &masks {
        let (code, out, _) = leastcap(&["decode", mask]);
        assert_eq!(code, 0, "{mask}");
        let (_, expected, _) =
            testkit::output(Command::new(&capsh).arg(format!("--decode={mask}")));
        assert_eq!(out.lines().next(), expected.lines().next(), "mask {mask}");
    }
}

#[test]
fn decode_explains_and_rejects() {
    let (code, out, _) = leastcap(&["decode", "0x000001fffeffffff"]);
    assert_eq!(code, 0);
    assert!(out.contains("compact: all − {cap_sys_resource}"), "{out}");
    assert!(out.contains("text:    =ep cap_sys_resource-ep"), "{out}");
    let (code, _, err) = leastcap(&["decode", "0xzz"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("'0xzz' is not a hexadecimal capability mask"),
        "{err}"
    );
    let (code, out, _) = leastcap(&["--json", "decode", "2000"]);
    assert_eq!(code, 0);
    let value: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(value["masks"][0]["set"]["caps"][0], "cap_net_raw");
    assert_eq!(value["masks"][0]["set"]["mask"], "0x0000000000002000");
}

#[test]
fn version_and_help() {
    let (code, out, _) = leastcap(&["--version"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("leastcap "));
    let (code, out, _) = leastcap(&["explain", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Examples:"));
}
