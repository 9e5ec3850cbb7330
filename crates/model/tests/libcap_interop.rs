//! Interop with the real libcap: leastcap's canonical text, written by `setcap` and read back
//! by `getcap`, must come back byte-identical; and what getcap prints must parse to the same
//! bits. Needs root (setting file capabilities) and libcap2-bin.

use std::path::Path;
use std::process::Command;

use leastcap_model::{CapSet, CapState, FileCaps};
use leastcap_testkit as testkit;

/// Deterministic xorshift, so a failure can be replayed from the printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A set with a random density, so sparse, dense and mixed sets all occur.
    fn set(&mut self) -> CapSet {
        let bits = match self.next() % 6 {
            0 => 0,
            1 => self.next() & self.next() & self.next(),
            2 => !(self.next() & self.next() & self.next()),
            3 => u64::MAX,
            4 => 1 << (self.next() % 64),
            _ => self.next(),
        };
        CapSet::from_bits(bits)
    }
}

fn getcap_line(getcap: &Path, file: &Path) -> String {
    let (code, stdout, stderr) = testkit::output(Command::new(getcap).arg(file));
    assert_eq!(code, 0, "getcap failed: {stderr}");
    stdout
}

fn setcap(setcap: &Path, text: &str, file: &Path) {
    let (code, stdout, stderr) = testkit::output(Command::new(setcap).arg(text).arg(file));
    assert_eq!(code, 0, "setcap {text:?} failed: {stdout}{stderr}");
}

#[test]
fn random_file_states_round_trip_through_libcap() {
    let test = "random_file_states_round_trip_through_libcap";
    if !testkit::privileged(test)
        || !testkit::tool(test, "setcap")
        || !testkit::tool(test, "getcap")
    {
        return;
    }
    let setcap_bin = testkit::which("setcap").expect("checked");
    let getcap_bin = testkit::which("getcap").expect("checked");
    let kernel = leastcap_sys::kernel_caps().expect("kernel capability range");
    let dir = testkit::temp_dir();
    let file = dir.path().join("target");
    std::fs::write(&file, b"").expect("create target file");

    let seed = 0x5eed_1ea5_u64;
    let mut rng = Rng(seed);
    let mut texts: Vec<String> = [
        "cap_net_raw=ep",
        "cap_net_admin,cap_net_raw=eip",
        "=",
        "=ep",
        "=ep cap_sys_resource-ep",
        "=eip cap_sys_admin-eip",
        "cap_net_raw=ip cap_kill+p",
        "cap_net_raw=ep 41+ei 45+ep",
        "=ep 45+ep",
    ]
    .iter()
    .map(|text| {
        let state = CapState::from_text(text, kernel).expect("worked example parses");
        FileCaps::from_state(&state)
            .expect("storable")
            .to_state()
            .to_text(kernel)
    })
    .collect();
    for _ in 0..1000 {
        let file_caps = FileCaps {
            permitted: rng.set(),
            inheritable: rng.set(),
            effective: rng.next() % 2 == 0,
            ..FileCaps::default()
        };
        texts.push(file_caps.to_state().to_text(kernel));
    }

    for (index, text) in texts.iter().enumerate() {
        let expected = CapState::from_text(text, kernel).expect("own text parses");
        setcap(&setcap_bin, text, &file);
        let line = getcap_line(&getcap_bin, &file);
        let printed = line
            .strip_prefix(&format!("{} ", file.display()))
            .and_then(|rest| rest.strip_suffix('\n'))
            .unwrap_or_else(|| panic!("unexpected getcap line {line:?}"));
        assert_eq!(
            printed, text,
            "case {index} (seed {seed:#x}): getcap printed something else"
        );
        let parsed = CapState::from_text(printed, kernel).expect("getcap text parses");
        assert_eq!(
            parsed, expected,
            "case {index}: getcap's text parses to other bits"
        );
    }
}
