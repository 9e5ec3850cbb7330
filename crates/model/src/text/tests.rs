use super::*;

const K: KernelCaps = KernelCaps::LINUX_6;

fn round(text: &str) -> String {
    CapState::from_text(text, K)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .to_text(K)
}

#[test]
fn worked_examples_from_libcap_are_canonical() {
    for text in [
        "cap_net_raw=ep",
        "cap_net_admin,cap_net_raw=eip",
        "=",
        "=ep",
        "=ep cap_sys_resource-ep",
        "=eip cap_sys_admin-eip",
        "cap_net_raw=eip cap_kill+ep",
        "cap_net_raw=ip cap_kill+p",
        "=ep cap_kill+i cap_net_raw-ep",
        "cap_net_raw=ep 41+ei 45+ep",
        "=ep 45+ep",
    ] {
        assert_eq!(round(text), text);
    }
}

#[test]
fn non_canonical_input_is_normalised() {
    assert_eq!(round("cap_net_raw+ep"), "cap_net_raw=ep");
    assert_eq!(
        round("all=ep cap_sys_resource-ep"),
        "=ep cap_sys_resource-ep"
    );
    assert_eq!(round("CAP_NET_RAW=pe"), "cap_net_raw=ep");
    assert_eq!(round("13=p"), "cap_net_raw=p");
    assert_eq!(round("0x10=ep"), "cap_sys_module=ep");
    assert_eq!(round("010=p"), "cap_setpcap=p");
    assert_eq!(round("cap_kill=p cap_kill=-p"), "=");
    assert_eq!(
        round("cap_kill,cap_chown=ep cap_chown-e"),
        "cap_kill=ep cap_chown+p"
    );
    assert_eq!(round("cap_kill=p+e-p"), "cap_kill=e");
    assert_eq!(round("  cap_kill=p\t\n"), "cap_kill=p");
    assert_eq!(round(""), "=");
    assert_eq!(round("   "), "=");
    assert_eq!(round("all,45=ep"), "=ep 45+ep");
}

#[test]
fn bad_input_names_its_position() {
    let cases = [
        ("cap_foo=ep", 0),
        ("cap_net_raw=x", 12),
        ("64+e", 0),
        (",=e", 0),
        ("=ep cap_kill", 12),
        ("cap_kill+", 9),
        ("+ep", 0),
        ("=+e", 1),
        ("cap_kill,=e", 9),
        ("cap_kill=E", 9),
        ("cap_kill=e+", 11),
        ("cap_net_raw2=e", 0),
        ("cap_kill=e, cap_chown=e", 10),
    ];
    for (text, position) in cases {
        let error = CapState::from_text(text, K).expect_err(text);
        assert_eq!(error.position, position, "{text}: {error}");
        assert!(error
            .to_string()
            .contains(&format!("column {}", position + 1)));
    }
}

#[test]
fn unknown_kernel_width_changes_all() {
    let k38 = KernelCaps::new(Cap::new(37).expect("fits"));
    let state = CapState::from_text("=ep", K).expect("valid");
    assert_eq!(state.to_text(k38), "=ep 38,39,40+ep");
}

#[test]
fn cap_list_accepts_short_names() {
    let set = parse_cap_list("net_raw, cap_net_bind_service,38").expect("valid");
    assert_eq!(
        set.to_name_list(),
        "cap_net_bind_service,cap_net_raw,cap_perfmon"
    );
    let error = parse_cap_list("net_raw,bogus").expect_err("bogus");
    assert_eq!(error.position, 8);
}

#[test]
fn requests_must_not_be_empty() {
    for text in ["", " ", "\t\n"] {
        let error = CapState::from_request_text(text, K).expect_err("empty request");
        assert_eq!(error.position, text.len());
    }
    assert_eq!(CapState::from_request_text("=", K), Ok(CapState::EMPTY));
}
