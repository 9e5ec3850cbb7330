//! Property tests: every value survives print → parse unchanged.

use leastcap_model::{Cap, CapSet, CapState, Iab, KernelCaps};
use proptest::prelude::*;

fn kernels() -> impl Strategy<Value = KernelCaps> {
    prop_oneof![
        Just(KernelCaps::LINUX_6),
        (30u8..=63).prop_map(|last| KernelCaps::new(Cap::new(last).expect("below 64"))),
    ]
}

/// Sets biased towards the shapes that exercise the printer: empty, full, near-full, sparse.
fn sets() -> impl Strategy<Value = CapSet> {
    prop_oneof![
        any::<u64>().prop_map(CapSet::from_bits),
        Just(CapSet::EMPTY),
        Just(CapSet::from_bits(u64::MAX)),
        any::<u64>().prop_map(|bits| CapSet::from_bits(!(bits & bits >> 7 & bits >> 13))),
        any::<u64>().prop_map(|bits| CapSet::from_bits(bits & bits >> 5 & bits >> 11)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn cap_text_round_trips(effective in sets(), permitted in sets(), inheritable in sets(), kernel in kernels()) {
        let state = CapState { effective, permitted, inheritable };
        let text = state.to_text(kernel);
        let parsed = CapState::from_text(&text, kernel);
        prop_assert_eq!(parsed, Ok(state), "text: {}", text);
    }

    #[test]
    fn iab_text_round_trips(inheritable in sets(), ambient in sets(), bounding in sets(), kernel in kernels()) {
        // The kernel keeps ambient ⊆ inheritable, and IAB text covers only the kernel's caps.
        let inheritable = inheritable & kernel.all();
        let ambient = ambient & inheritable;
        let iab = Iab::from_sets(inheritable, ambient, bounding & kernel.all(), kernel);
        let text = iab.to_text(kernel);
        prop_assert_eq!(Iab::from_text(&text), Ok(iab), "text: {}", text);
    }

    #[test]
    fn parser_never_panics(text in "[a-z_0-9=+\\-, \t!^%eipEIPx]{0,40}") {
        let _ = CapState::from_text(&text, KernelCaps::LINUX_6);
        let _ = Iab::from_text(&text);
    }

    #[test]
    fn canonical_text_is_a_fixed_point(text in "(cap_[a-z_]{3,12}|[0-9]{1,2}|all)(,(cap_kill|cap_chown|4[1-9]))*[=+\\-][eip]{0,3}( (cap_net_raw|cap_kill|all|45)[+\\-=][eip]{1,3}){0,3}") {
        if let Ok(state) = CapState::from_text(&text, KernelCaps::LINUX_6) {
            let canonical = state.to_text(KernelCaps::LINUX_6);
            let again = CapState::from_text(&canonical, KernelCaps::LINUX_6).expect("canonical text parses");
            prop_assert_eq!(again.to_text(KernelCaps::LINUX_6), canonical);
        }
    }
}
