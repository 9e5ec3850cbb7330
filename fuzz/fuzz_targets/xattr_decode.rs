//! `FileCaps::from_xattr` never panics; whatever it accepts re-encodes to the same bytes
//! (revisions 2 and 3; revision 1 is read but never written).
#![no_main]

use leastcap_model::FileCaps;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(caps) = FileCaps::from_xattr(data) else {
        return;
    };
    assert!(matches!(caps.revision, 1..=3));
    assert_eq!(caps.rootid.is_some(), caps.revision == 3);
    if caps.revision >= 2 {
        assert_eq!(caps.to_xattr(), data, "decode/encode round trip");
    } else {
        // A v1 attribute re-encodes as v2 with the same meaning.
        let again = FileCaps::from_xattr(&caps.to_xattr()).expect("re-encoded v1 decodes");
        assert_eq!((again.permitted, again.inheritable, again.effective), (caps.permitted, caps.inheritable, caps.effective));
    }
    // The text form never panics either.
    let _ = caps.to_state().to_text(leastcap_model::KernelCaps::LINUX_6);
});
