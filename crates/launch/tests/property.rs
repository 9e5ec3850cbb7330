//! Property test: for random privilege requests, the launched program's own
//! /proc/self/status equals the state computed here, independently, from the kernel's exec
//! rules for a plain binary (no file capabilities, no set-id bits):
//!
//! * root-like = uid 0 and SECBIT_NOROOT not set;
//! * P' = (root-like ? (B | I) : ∅), intersected with the old P when no_new_privs is set
//!   and that would be a gain, then | A;  E' = root-like ? P' : A;  I' = I;  A' = A;  B' = B.
//!
//! The launcher runs in-process through the library (one fork/exec of `cat` per case).

use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::{Read, Seek};
use std::os::fd::OwnedFd;
use std::path::Path;

use leastcap_launch::{
    BoundingRequest, CapSpec, CurrentState, GroupsRequest, Launcher, PlanRequest, PrivilegePlan,
    TargetBinary, UserDb,
};
use leastcap_model::{Cap, CapSet, CapState, ProcStatus, SecureBit, Securebits};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const UIDS: [u32; 3] = [0, 65534, 4321];
const GROUP_POOL: [u32; 5] = [0, 4, 27, 100, 65534];
const BITS: [SecureBit; 6] = [
    SecureBit::NoRoot,
    SecureBit::NoRootLocked,
    SecureBit::NoSetuidFixup,
    SecureBit::NoSetuidFixupLocked,
    SecureBit::NoCapAmbientRaise,
    SecureBit::NoCapAmbientRaiseLocked,
];

#[derive(Clone, Debug)]
struct Case {
    uid: u32,
    groups: Vec<u32>,
    permitted: CapSet,
    effective: CapSet,
    inheritable: CapSet,
    ambient: CapSet,
    bounding: CapSet,
    securebits: Securebits,
    no_new_privs: bool,
}

fn subset(of: CapSet, mask: u64) -> CapSet {
    of & CapSet::from_bits(mask)
}

fn cases(available: CapSet) -> impl Strategy<Value = Case> {
    (
        0..UIDS.len(),
        proptest::sample::subsequence(GROUP_POOL.to_vec(), 0..=GROUP_POOL.len()),
        any::<[[u64; 3]; 5]>(),
        any::<[u8; 5]>(),
        any::<u8>(),
        any::<bool>(),
    )
        .prop_map(move |(uid, groups, raw, density, bits, no_new_privs)| {
            // Sparse and empty sets as often as dense ones: AND 0 to 3 random words.
            let masks: Vec<u64> = raw
                .iter()
                .zip(density)
                .map(|(words, d)| match d % 5 {
                    0 => 0,
                    1 => words[0],
                    2 => words[0] & words[1],
                    _ => words[0] & words[1] & words[2],
                })
                .collect();
            // Build sets that satisfy the kernel's constraints by construction:
            // E ⊆ P, A ⊆ P ∩ I, P ∪ I ⊆ B ⊆ what leastcap holds.
            let permitted = subset(available, masks[0]);
            let effective = subset(permitted, masks[1]);
            let inheritable = subset(available, masks[2]);
            let ambient = subset(permitted & inheritable, masks[3]);
            let bounding = permitted | inheritable | subset(available, masks[4]);
            let mut securebits = Securebits::default();
            for (index, bit) in BITS.iter().enumerate() {
                securebits.set(*bit, bits & (1 << index) != 0);
            }
            Case {
                uid: UIDS[uid],
                groups,
                permitted,
                effective,
                inheritable,
                ambient,
                bounding,
                securebits,
                no_new_privs,
            }
        })
}

fn expected_caps(case: &Case) -> (CapSet, CapSet) {
    let root_like = case.uid == 0 && !case.securebits.contains(SecureBit::NoRoot);
    let mut permitted = if root_like {
        case.bounding | case.inheritable
    } else {
        CapSet::EMPTY
    };
    if case.no_new_privs && !permitted.is_subset(case.permitted) {
        permitted &= case.permitted;
    }
    permitted |= case.ambient;
    let effective = if root_like { permitted } else { case.ambient };
    (permitted, effective)
}

fn run_case(
    case: &Case,
    current: &CurrentState,
    users: &UserDb,
    out: &mut File,
) -> Result<(), TestCaseError> {
    let kernel = leastcap_sys::kernel_caps().expect("kernel caps");
    let request = PlanRequest {
        user: Some(case.uid.to_string()),
        group: Some(case.uid.to_string()),
        groups: GroupsRequest::List(case.groups.iter().map(u32::to_string).collect()),
        caps: Some(CapSpec::Text {
            state: CapState {
                effective: case.effective,
                permitted: case.permitted,
                inheritable: case.inheritable,
            },
        }),
        inheritable: None,
        ambient: Some(CapSpec::List { set: case.ambient }),
        bounding: BoundingRequest::Set(CapSpec::List { set: case.bounding }),
        securebits: Some(case.securebits),
        no_new_privs: case.no_new_privs,
    };
    let plan = PrivilegePlan::from_request(&request, current, users, kernel).expect("plan");
    prop_assert_eq!(plan.validate(current, kernel), Ok(()));
    let predicted = plan.predict(&TargetBinary::plain(Path::new("/bin/cat")));

    out.set_len(0).expect("truncate");
    out.rewind().expect("rewind");
    let fd: OwnedFd = out.try_clone().expect("dup").into();
    let mut child = Launcher::new(plan, vec!["/bin/cat".into(), "/proc/self/status".into()])
        .env(Vec::new())
        .current(current.clone())
        .stdout(fd)
        .spawn_paused()
        .expect("spawn");
    child.resume().expect("exec");
    let status = child.wait().expect("wait");
    prop_assert!(status.success(), "cat failed: {status:?}");
    let mut text = String::new();
    out.rewind().expect("rewind");
    out.read_to_string(&mut text).expect("read");
    let seen = ProcStatus::parse(&text).expect("status");

    let (permitted, effective) = expected_caps(case);
    prop_assert_eq!(seen.caps.permitted, permitted, "CapPrm for {:?}", case);
    prop_assert_eq!(seen.caps.effective, effective, "CapEff for {:?}", case);
    prop_assert_eq!(
        seen.caps.inheritable,
        case.inheritable,
        "CapInh for {:?}",
        case
    );
    prop_assert_eq!(seen.caps.ambient, case.ambient, "CapAmb for {:?}", case);
    prop_assert_eq!(seen.caps.bounding, case.bounding, "CapBnd for {:?}", case);
    prop_assert_eq!(seen.no_new_privs, Some(case.no_new_privs));
    prop_assert_eq!(seen.uids, [case.uid; 4]);
    prop_assert_eq!(seen.gids, [case.uid; 4]);
    let mut groups = seen.groups.clone();
    groups.sort_unstable();
    let mut want = case.groups.clone();
    want.sort_unstable();
    prop_assert_eq!(groups, want);
    // The library's own prediction (used by --dry-run and --verify) agrees too.
    prop_assert_eq!(predicted.caps, Some(seen.caps));
    prop_assert_eq!(predicted.uids, seen.uids);
    Ok(())
}

#[test]
fn launched_state_matches_the_kernel_rules() {
    if !leastcap_testkit::privileged("launched_state_matches_the_kernel_rules") {
        return;
    }
    let current = CurrentState::read().expect("own state");
    let users = UserDb::system().expect("user db");
    let available = current.caps.permitted & current.caps.bounding;
    assert!(
        available.contains(Cap::SETPCAP),
        "root without cap_setpcap: {current:?}"
    );
    let dir = leastcap_testkit::temp_dir();
    let out = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(dir.path().join("status"))
        .expect("output file");
    let out = RefCell::new(out);
    let mut runner = TestRunner::new(Config {
        cases: 1000,
        failure_persistence: None,
        ..Config::default()
    });
    let count = Cell::new(0);
    runner
        .run(&cases(available), |case| {
            count.set(count.get() + 1);
            run_case(&case, &current, &users, &mut out.borrow_mut())
        })
        .expect("every launched state matches");
    assert!(count.get() >= 1000, "only {} cases ran", count.get());
}
