//! `CapState::from_text` never panics; whatever it parses prints canonically and parses
//! back to the same state (libcap's cap_from_text / cap_to_text round trip).
#![no_main]

use leastcap_model::{CapState, KernelCaps};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let kernel = KernelCaps::LINUX_6;
    let Ok(state) = CapState::from_text(text, kernel) else {
        return;
    };
    let canonical = state.to_text(kernel);
    let again = CapState::from_text(&canonical, kernel).expect("canonical text parses");
    assert_eq!(again, state, "text {text:?} printed as {canonical:?}");
    assert_eq!(again.to_text(kernel), canonical);
});
