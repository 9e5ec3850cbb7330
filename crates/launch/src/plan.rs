//! The privilege plan: what the launched program's thread holds just before `execve`, how it
//! is built from command-line options, which requests are refused, and what the kernel will
//! make of it.

use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use leastcap_model::{
    exec_transform, Cap, CapSet, ExecInput, ExecOutcome, FileCaps, KernelCaps, SecureBit,
    Securebits, ThreadCaps, XattrError,
};

use crate::current::CurrentState;
use crate::spec::CapSpec;
use leastcap_accounts::UserDb;

/// How to set the supplementary groups.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum GroupsRequest {
    /// None when `--user` or `--group` is given (least privilege), else keep the launcher's.
    #[default]
    Default,
    /// `--keep-groups`.
    Keep,
    /// `--init-groups`: the user's groups from /etc/group, as initgroups(3).
    Init,
    /// `--groups a,b,c` (names or numbers).
    List(Vec<String>),
}

/// How to set the bounding set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum BoundingRequest {
    /// Exactly the requested capabilities (the union of permitted, inheritable and ambient);
    /// with IAB text, its `!` entries. A launcher without cap_setpcap cannot drop any, and
    /// under no_new_privs need not: it keeps its own then.
    #[default]
    Default,
    /// `--keep-bounding`: the launcher's own bounding set.
    Keep,
    /// `--bounding CAPS`.
    Set(CapSpec),
}

/// The command-line options of `run` (and `trace`, `learn`, `enforce`), uninterpreted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanRequest {
    pub user: Option<String>,
    pub group: Option<String>,
    pub groups: GroupsRequest,
    /// `--caps`: a list means permitted = effective = inheritable = ambient = the list (so the
    /// program holds it after `execve`); libcap text sets P/E/I exactly; IAB text sets I/A and
    /// the bounding set, with P = E = I ∪ A.
    pub caps: Option<CapSpec>,
    pub inheritable: Option<CapSpec>,
    pub ambient: Option<CapSpec>,
    pub bounding: BoundingRequest,
    /// `None`: keep the launcher's securebits.
    pub securebits: Option<Securebits>,
    /// On unless `--allow-new-privs`.
    pub no_new_privs: bool,
}

impl Default for PlanRequest {
    fn default() -> Self {
        PlanRequest {
            user: None,
            group: None,
            groups: GroupsRequest::Default,
            caps: None,
            inheritable: None,
            ambient: None,
            bounding: BoundingRequest::Default,
            securebits: None,
            no_new_privs: true,
        }
    }
}

/// The state of the launched thread just before `execve`: every value concrete.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PrivilegePlan {
    /// The user name, when the uid has one.
    pub user: Option<String>,
    /// Real, effective and saved uid.
    pub uid: u32,
    /// Real, effective and saved gid.
    pub gid: u32,
    /// Supplementary groups, sorted.
    pub groups: Vec<u32>,
    /// The five sets (the bounding set included).
    pub caps: ThreadCaps,
    pub securebits: Securebits,
    pub no_new_privs: bool,
}

/// A request that cannot be turned into a plan (unknown user, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("no user '{0}' in /etc/passwd (give a number to use a uid without an entry)")]
    UnknownUser(String),
    #[error("no group '{0}' in /etc/group (give a number to use a gid without an entry)")]
    UnknownGroup(String),
    #[error("uid {0} has no /etc/passwd entry, so its primary group is unknown: give --group")]
    NoPrimaryGroup(u32),
    #[error("--init-groups needs a --user with an /etc/passwd entry")]
    InitGroupsWithoutUser,
    #[error("libcap text cannot describe the ambient set: give a list or IAB text (^cap_net_raw)")]
    TextForAmbient,
}

/// Why a plan is refused before anything changes: one line per problem.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Refusal {
    pub reasons: Vec<String>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reasons.as_slice() {
            [one] => write!(f, "refusing the request: {one}"),
            many => {
                write!(f, "refusing the request:")?;
                for reason in many {
                    write!(f, "\n  - {reason}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Refusal {}

/// Something about the request that works but is probably not what was meant.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Warning(pub String);

/// The facts about the program file that change what `execve` does.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TargetBinary {
    pub path: PathBuf,
    /// File capabilities the kernel will consider (a v3 attribute for another namespace's
    /// root is not honoured here and is left out).
    pub file_caps: Option<FileCaps>,
    pub setuid_owner: Option<u32>,
    pub setgid_group: Option<u32>,
    pub nosuid_mount: bool,
    /// For a `#!` script: the interpreter, whose file capabilities, set-id bits and mount
    /// decide the exec (Linux ignores them on the script itself); the other fields describe it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<PathBuf>,
}

/// The interpreter named on a `#!` line, if the file starts with one.
fn shebang(path: &Path) -> Option<PathBuf> {
    use std::io::Read;
    let mut head = [0u8; 256];
    let mut file = std::fs::File::open(path).ok()?;
    let n = file.read(&mut head).ok()?;
    let line = head[..n].strip_prefix(b"#!")?;
    let line = &line[..line.iter().position(|b| *b == b'\n').unwrap_or(line.len())];
    let text = std::str::from_utf8(line).ok()?;
    text.split_whitespace().next().map(PathBuf::from)
}

/// The program file cannot be inspected.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("cannot inspect {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} has a security.capability attribute leastcap cannot decode: {source}")]
    Xattr {
        path: PathBuf,
        #[source]
        source: XattrError,
    },
}

impl TargetBinary {
    /// Reads the file's mode, owner, capability attribute and mount flags.
    pub fn inspect(path: &Path) -> Result<TargetBinary, TargetError> {
        // The kernel follows up to 4 levels of interpreters (binfmt_script); so do we.
        let mut file = path.to_path_buf();
        let mut interpreter = None;
        for _ in 0..4 {
            match shebang(&file) {
                Some(next) => {
                    interpreter = Some(next.clone());
                    file = next;
                }
                None => break,
            }
        }
        let mut target = TargetBinary::inspect_file(&file)?;
        target.path = path.to_path_buf();
        target.interpreter = interpreter;
        Ok(target)
    }

    fn inspect_file(path: &Path) -> Result<TargetBinary, TargetError> {
        let io = |source| TargetError::Io {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        // As execve sees it: through symlinks.
        let file_caps = match leastcap_sys::fs::get_caps_path(path, true)
            .map_err(|e| io(e.source))?
        {
            None => None,
            Some(bytes) => {
                let caps = FileCaps::from_xattr(&bytes).map_err(|source| TargetError::Xattr {
                    path: path.to_path_buf(),
                    source,
                })?;
                caps.rootid.is_none_or(|root| root == 0).then_some(caps)
            }
        };
        let mode = meta.mode();
        Ok(TargetBinary {
            path: path.to_path_buf(),
            file_caps,
            setuid_owner: (mode & 0o4000 != 0).then_some(meta.uid()),
            setgid_group: (mode & 0o2010 == 0o2010).then_some(meta.gid()),
            nosuid_mount: leastcap_sys::launch::is_nosuid_mount(path).map_err(io)?,
            interpreter: None,
        })
    }

    /// A file with no capabilities and no set-id bits (what most programs are).
    pub fn plain(path: &Path) -> TargetBinary {
        TargetBinary {
            path: path.to_path_buf(),
            file_caps: None,
            setuid_owner: None,
            setgid_group: None,
            nosuid_mount: false,
            interpreter: None,
        }
    }
}

/// What the program holds right after `execve`, by the kernel's rules.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Prediction {
    /// `None` when the kernel refuses the exec; then `refused_missing` says which file
    /// capabilities could not be granted.
    pub caps: Option<ThreadCaps>,
    pub refused_missing: Option<CapSet>,
    /// Real, effective, saved, filesystem.
    pub uids: [u32; 4],
    pub gids: [u32; 4],
    pub groups: Vec<u32>,
    pub securebits: Securebits,
    pub no_new_privs: bool,
}

fn names(set: CapSet) -> String {
    set.iter()
        .map(|cap| cap.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The securebits that decide whether a change is possible (KEEP_CAPS is ours to set).
const fn ignoring_keep_caps(bits: Securebits) -> u32 {
    bits.0 & !SecureBit::KeepCaps.bit()
}

impl PrivilegePlan {
    /// Resolves the options against the launcher's state and the user database.
    pub fn from_request(
        request: &PlanRequest,
        current: &CurrentState,
        users: &UserDb,
        kernel: KernelCaps,
    ) -> Result<PrivilegePlan, PlanError> {
        let user = match &request.user {
            Some(text) => Some(
                users
                    .user(text)
                    .ok_or_else(|| PlanError::UnknownUser(text.clone()))?,
            ),
            None => None,
        };
        let uid = user.as_ref().map_or(current.uids[1], |user| user.uid);
        let gid = match (&request.group, &user) {
            (Some(text), _) => users
                .group(text)
                .ok_or_else(|| PlanError::UnknownGroup(text.clone()))?,
            (None, Some(user)) if user.gid == u32::MAX => {
                return Err(PlanError::NoPrimaryGroup(user.uid))
            }
            (None, Some(user)) => user.gid,
            (None, None) => current.gids[1],
        };
        let mut groups = match &request.groups {
            GroupsRequest::Keep => current.groups.clone(),
            GroupsRequest::Default if user.is_none() && request.group.is_none() => {
                current.groups.clone()
            }
            GroupsRequest::Default => Vec::new(),
            GroupsRequest::Init => match &user {
                Some(user) if !user.name.is_empty() => users.init_groups(&user.name, gid),
                _ => return Err(PlanError::InitGroupsWithoutUser),
            },
            GroupsRequest::List(names) => names
                .iter()
                .map(|name| {
                    users
                        .group(name)
                        .ok_or_else(|| PlanError::UnknownGroup(name.clone()))
                })
                .collect::<Result<_, _>>()?,
        };
        groups.sort_unstable();
        groups.dedup();

        let all = current.caps.permitted & current.caps.bounding & kernel.all();
        let mut caps = ThreadCaps::default();
        let mut iab_bounding = None;
        match &request.caps {
            None => {}
            Some(CapSpec::List { set }) => {
                caps = ThreadCaps {
                    permitted: *set,
                    effective: *set,
                    inheritable: *set,
                    ambient: *set,
                    bounding: CapSet::EMPTY,
                }
            }
            Some(CapSpec::All) => {
                caps = ThreadCaps {
                    permitted: all,
                    effective: all,
                    inheritable: all,
                    ambient: all,
                    bounding: CapSet::EMPTY,
                }
            }
            Some(CapSpec::Text { state }) => {
                caps.permitted = state.permitted;
                caps.effective = state.effective;
                caps.inheritable = state.inheritable;
            }
            Some(CapSpec::Iab { iab }) => {
                caps.inheritable = iab.inheritable;
                caps.ambient = iab.ambient;
                caps.permitted = iab.inheritable | iab.ambient;
                caps.effective = caps.permitted;
                if !iab.not_bounding.is_empty() {
                    iab_bounding = Some(current.caps.bounding - iab.not_bounding);
                }
            }
        }
        if let Some(spec) = &request.inheritable {
            caps.inheritable = match spec {
                CapSpec::Text { state } => state.inheritable,
                CapSpec::Iab { iab } => iab.inheritable,
                other => other.set(all),
            };
        }
        if let Some(spec) = &request.ambient {
            caps.ambient = match spec {
                CapSpec::Text { .. } => return Err(PlanError::TextForAmbient),
                CapSpec::Iab { iab } => iab.ambient,
                other => other.set(all),
            };
        }
        caps.bounding = match &request.bounding {
            BoundingRequest::Keep => current.caps.bounding,
            BoundingRequest::Set(CapSpec::Iab { iab }) => {
                if iab.not_bounding.is_empty() {
                    iab.inheritable | iab.ambient
                } else {
                    current.caps.bounding - iab.not_bounding
                }
            }
            BoundingRequest::Set(spec) => spec.set(current.caps.bounding & kernel.all()),
            // Without cap_setpcap the bounding set cannot be dropped. Under no_new_privs that
            // does not matter (no exec can gain a capability), so keep it rather than refuse
            // every unprivileged `leastcap run`; the dry run shows the bounding set kept.
            BoundingRequest::Default
                if iab_bounding.is_none()
                    && !current.caps.permitted.contains(Cap::SETPCAP)
                    && (request.no_new_privs || current.no_new_privs) =>
            {
                current.caps.bounding
            }
            BoundingRequest::Default => {
                iab_bounding.unwrap_or(caps.permitted | caps.inheritable | caps.ambient)
            }
        };
        let securebits = request.securebits.unwrap_or(Securebits(
            current.securebits.0 & !SecureBit::KeepCaps.bit(),
        ));
        Ok(PrivilegePlan {
            user: user.map(|user| user.name).filter(|name| !name.is_empty()),
            uid,
            gid,
            groups,
            caps,
            securebits,
            no_new_privs: request.no_new_privs || current.no_new_privs,
        })
    }

    /// Whether the plan changes the real/effective/saved uid.
    pub fn changes_uid(&self, current: &CurrentState) -> bool {
        current.uids[..3].iter().any(|id| *id != self.uid)
    }

    pub fn changes_gid(&self, current: &CurrentState) -> bool {
        current.gids[..3].iter().any(|id| *id != self.gid)
    }

    pub fn changes_groups(&self, current: &CurrentState) -> bool {
        self.groups != current.groups
    }

    pub fn changes_securebits(&self, current: &CurrentState) -> bool {
        ignoring_keep_caps(self.securebits) != ignoring_keep_caps(current.securebits)
    }

    /// Whether the child must set PR_SET_KEEPCAPS before `setresuid`: the uid change leaves
    /// uid 0 (which would clear the permitted set), the kernel's uid fixup is on, and there is
    /// something to keep (capabilities to pass on, the permitted set the inheritable set is
    /// raised from, or cap_setpcap for the bounding drop and securebits that follow the uid
    /// change).
    pub fn needs_keep_caps(&self, current: &CurrentState, needs_setpcap: bool) -> bool {
        current.uids[..3].contains(&0)
            && self.uid != 0
            && !current.securebits.contains(SecureBit::NoSetuidFixup)
            && !current.securebits.contains(SecureBit::KeepCaps)
            && (needs_setpcap
                || !self.caps.permitted.is_empty()
                || !self.caps.inheritable.is_empty())
    }

    /// Checks that the launcher can reach the plan's state, before anything changes.
    /// Every problem is listed, each with its reason.
    pub fn validate(&self, current: &CurrentState, kernel: KernelCaps) -> Result<(), Refusal> {
        let mut reasons = Vec::new();
        // (uid_t)-1 is no id: setresuid/setresgid read it as "leave unchanged", so the
        // child would keep leastcap's own ids while every step reports success.
        const UNCHANGED: u32 = u32::MAX;
        if self.uid == UNCHANGED {
            reasons.push(format!(
                "uid {UNCHANGED} is not a valid user id (to the kernel it means \"leave unchanged\", so the program would keep uid {})",
                current.uids[1]
            ));
        }
        if self.gid == UNCHANGED {
            reasons.push(format!(
                "gid {UNCHANGED} is not a valid group id (to the kernel it means \"leave unchanged\", so the program would keep gid {})",
                current.gids[1]
            ));
        }
        if self.groups.contains(&UNCHANGED) {
            reasons.push(format!(
                "group {UNCHANGED} is not a valid supplementary group (the kernel rejects (gid_t)-1)"
            ));
        }
        let c = &self.caps;
        let requested = c.permitted | c.effective | c.inheritable | c.ambient | c.bounding;
        let unknown = requested - kernel.all();
        if !unknown.is_empty() {
            reasons.push(format!(
                "{} not supported by the running kernel (its highest capability is {})",
                names(unknown),
                kernel.last_cap()
            ));
        }
        for cap in (c.effective - c.permitted).iter() {
            reasons.push(format!(
                "{cap} is requested in the effective set but not in the permitted set"
            ));
        }
        for cap in (c.ambient).iter() {
            let missing = match (c.permitted.contains(cap), c.inheritable.contains(cap)) {
                (true, true) => continue,
                (false, false) => "the permitted and inheritable sets",
                (false, true) => "the permitted set",
                (true, false) => "the inheritable set",
            };
            reasons.push(format!(
                "cannot raise {cap} in the ambient set: it is not in {missing} (the kernel requires both)"
            ));
        }
        for cap in ((c.permitted | c.inheritable | c.ambient) - c.bounding).iter() {
            reasons.push(format!(
                "{cap} is requested but is outside the bounding set given (--bounding): a capability outside the bounding set can never be regained, and uid 0 would not get it at exec"
            ));
        }
        for cap in (c.bounding - current.caps.bounding).iter() {
            reasons.push(format!(
                "{cap} is not in leastcap's own bounding set (it was dropped before leastcap started) and cannot be added back"
            ));
        }
        for cap in (c.permitted - current.caps.permitted).iter() {
            reasons.push(format!(
                "leastcap itself does not hold {cap} (not in its permitted set), so it cannot pass it on; run leastcap as root or with that capability"
            ));
        }
        for cap in (c.inheritable - (current.caps.inheritable | current.caps.permitted)).iter() {
            if c.permitted.contains(cap) {
                continue; // already reported above
            }
            reasons.push(format!(
                "cannot add {cap} to the inheritable set: leastcap holds it neither in its permitted nor its inheritable set"
            ));
        }
        let holds = |cap: Cap| current.caps.permitted.contains(cap);
        // setgroups/setresgid/setresuid run before any capset in the child, so they need the
        // capability in the effective set as leastcap has it.
        let effective = |cap: Cap| current.caps.effective.contains(cap);
        if self.changes_uid(current) && !effective(Cap::SETUID) {
            reasons.push(format!(
                "changing the uid to {} needs cap_setuid, which leastcap does not hold in its effective set",
                self.uid
            ));
        }
        if (self.changes_gid(current) || self.changes_groups(current)) && !effective(Cap::SETGID) {
            reasons.push("changing the gid or the supplementary groups needs cap_setgid, which leastcap does not hold in its effective set".to_string());
        }
        let drops = current.caps.bounding - c.bounding;
        if !drops.is_empty() && !holds(Cap::SETPCAP) {
            reasons.push(format!(
                "dropping {} from the bounding set needs cap_setpcap, which leastcap does not hold (use --keep-bounding)",
                names(drops)
            ));
        }
        if self.changes_securebits(current) {
            if !holds(Cap::SETPCAP) {
                reasons.push(
                    "changing the securebits needs cap_setpcap, which leastcap does not hold"
                        .to_string(),
                );
            }
            let old = current.securebits.0;
            let new = self.securebits.0;
            let locks = old & 0xaaa; // the *_LOCKED bits
            let locked_changes = (locks >> 1) & (old ^ new) & !SecureBit::KeepCaps.bit();
            if locked_changes != 0 || locks & !new != 0 {
                reasons.push(format!(
                    "the securebits {} are locked in leastcap's own process and cannot be changed to {}",
                    Securebits(locks),
                    self.securebits
                ));
            }
            if new & !Securebits::KNOWN_MASK != 0 {
                reasons.push(format!(
                    "securebits 0x{:x} are unknown",
                    new & !Securebits::KNOWN_MASK
                ));
            }
        }
        if !c.ambient.is_empty() && current.securebits.contains(SecureBit::NoCapAmbientRaise) {
            reasons.push(
                "the ambient set cannot be raised: SECBIT_NO_CAP_AMBIENT_RAISE is set in leastcap's own process"
                    .to_string(),
            );
        }
        if current.no_new_privs && !self.no_new_privs {
            reasons.push(
                "no_new_privs is already set on leastcap and can never be cleared".to_string(),
            );
        }
        let needs_setpcap = !drops.is_empty() || self.changes_securebits(current);
        if current.securebits.contains(SecureBit::KeepCapsLocked)
            && self.needs_keep_caps(current, needs_setpcap)
        {
            reasons.push(if (c.permitted | c.inheritable).is_empty() {
                "cap_setpcap cannot be kept across the uid change to drop the bounding set or set the securebits: SECBIT_KEEP_CAPS is locked off (use --keep-bounding and keep the securebits)".to_string()
            } else {
                "capabilities cannot be kept across the uid change: SECBIT_KEEP_CAPS is locked off"
                    .to_string()
            });
        }
        if reasons.is_empty() {
            Ok(())
        } else {
            Err(Refusal { reasons })
        }
    }

    /// [`PrivilegePlan::validate`], plus the checks that depend on the program file:
    /// file capabilities that no_new_privs makes the kernel ignore and an exec the kernel
    /// would refuse are refused; a setuid bit that will be ignored, or an ambient set the
    /// file's capabilities replace, is a warning.
    pub fn validate_for(
        &self,
        current: &CurrentState,
        kernel: KernelCaps,
        target: &TargetBinary,
    ) -> Result<Vec<Warning>, Refusal> {
        let mut reasons = match self.validate(current, kernel) {
            Ok(()) => Vec::new(),
            Err(refusal) => refusal.reasons,
        };
        let mut warnings = Vec::new();
        let path = target.path.display();
        let prediction = self.predict(target);
        if let Some(missing) = prediction.refused_missing {
            reasons.push(format!(
                "the kernel will refuse to execute {path}: its file capabilities ask for {} with the effective flag, and they are outside the bounding set",
                names(missing)
            ));
        }
        let honoured = target.file_caps.filter(|_| !target.nosuid_mount);
        if self.no_new_privs {
            let without = PrivilegePlan {
                no_new_privs: false,
                ..self.clone()
            }
            .predict(target);
            if let (Some(file), Some(with_nnp), Some(without_nnp)) =
                (honoured, prediction.caps, without.caps)
            {
                let lost = without_nnp.permitted - with_nnp.permitted;
                if !lost.is_empty() {
                    reasons.push(format!(
                        "{path} has file capabilities ({}) that no_new_privs makes the kernel ignore: it would not get {}; add them to --caps or use --allow-new-privs",
                        file.to_state().to_text(kernel),
                        names(lost)
                    ));
                }
            }
            if target.setuid_owner.is_some_and(|owner| owner != self.uid) && !target.nosuid_mount {
                warnings.push(Warning(format!(
                    "{path} is setuid; no_new_privs makes the kernel ignore that bit, so it runs as uid {}",
                    self.uid
                )));
            }
        }
        if let Some(after) = prediction.caps {
            let dropped = self.caps.permitted - after.permitted;
            if !dropped.is_empty() {
                warnings.push(Warning(format!(
                    "{path} will not hold {} after exec: the kernel does not carry the permitted set across exec (only the ambient set, file capabilities and uid 0 without SECBIT_NOROOT grant capabilities); give them as a list (--caps {}) to pass them through the ambient set",
                    names(dropped),
                    dropped.to_name_list()
                )));
            }
        }
        if honoured.is_some() && !self.caps.ambient.is_empty() {
            warnings.push(Warning(format!(
                "{path} has file capabilities, so the kernel clears the ambient set at exec: the program gets its file capabilities, not the ambient set ({})",
                names(self.caps.ambient)
            )));
        }
        if reasons.is_empty() {
            Ok(warnings)
        } else {
            Err(Refusal { reasons })
        }
    }

    /// What the program will hold right after `execve` of `target`, by the kernel's rules.
    pub fn predict(&self, target: &TargetBinary) -> Prediction {
        let input = ExecInput {
            caps: self.caps,
            uid: self.uid,
            euid: self.uid,
            gid: self.gid,
            egid: self.gid,
            securebits: self.securebits,
            no_new_privs: self.no_new_privs,
            file_caps: target.file_caps,
            setuid_owner: target.setuid_owner,
            setgid_group: target.setgid_group,
            setgid_group_held: target
                .setgid_group
                .is_some_and(|group| group == self.gid || self.groups.contains(&group)),
            nosuid_mount: target.nosuid_mount,
        };
        let (caps, refused_missing, euid, egid, securebits) = match exec_transform(&input) {
            ExecOutcome::Runs {
                caps,
                euid,
                egid,
                securebits,
            } => (Some(caps), None, euid, egid, securebits),
            ExecOutcome::Refused { missing } => {
                (None, Some(missing), self.uid, self.gid, self.securebits)
            }
        };
        Prediction {
            caps,
            refused_missing,
            uids: [self.uid, euid, euid, euid],
            gids: [self.gid, egid, egid, egid],
            groups: self.groups.clone(),
            securebits,
            no_new_privs: self.no_new_privs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: KernelCaps = KernelCaps::LINUX_6;

    fn root() -> CurrentState {
        CurrentState {
            caps: ThreadCaps::full(K),
            uids: [0; 4],
            gids: [0; 4],
            groups: vec![0],
            securebits: Securebits::default(),
            no_new_privs: false,
        }
    }

    fn db() -> UserDb {
        UserDb::from_text("nobody:x:65534:65534::/:/bin/false\n", "nogroup:x:65534:\n")
    }

    fn plan(request: PlanRequest) -> PrivilegePlan {
        PrivilegePlan::from_request(&request, &root(), &db(), K).expect("valid request")
    }

    fn list(text: &str) -> Option<CapSpec> {
        Some(CapSpec::parse(text, K).expect("valid caps"))
    }

    #[test]
    fn default_for_user_and_caps() {
        let plan = plan(PlanRequest {
            user: Some("nobody".into()),
            caps: list("net_raw"),
            ..PlanRequest::default()
        });
        let raw = CapSet::from_caps([Cap::NET_RAW]);
        assert_eq!(
            (plan.uid, plan.gid, plan.groups.clone()),
            (65534, 65534, vec![])
        );
        assert_eq!(plan.caps.ambient, raw);
        assert_eq!(plan.caps.bounding, raw);
        assert!(plan.no_new_privs);
        assert_eq!(plan.validate(&root(), K), Ok(()));
        let after = plan.predict(&TargetBinary::plain(Path::new("/bin/true")));
        let caps = after.caps.expect("runs");
        assert_eq!(
            (caps.permitted, caps.effective, caps.ambient, caps.bounding),
            (raw, raw, raw, raw)
        );
        assert_eq!(after.uids, [65534; 4]);
    }

    #[test]
    fn impossible_requests_are_refused_with_reasons() {
        let refused = plan(PlanRequest {
            user: Some("nobody".into()),
            caps: list("net_raw"),
            bounding: BoundingRequest::Set(CapSpec::List { set: CapSet::EMPTY }),
            ambient: list("net_raw,kill"),
            ..PlanRequest::default()
        })
        .validate(&root(), K)
        .expect_err("refused");
        let text = refused.to_string();
        assert!(text.contains("cannot raise cap_kill in the ambient set: it is not in the permitted and inheritable sets"), "{text}");
        assert!(
            text.contains("cap_net_raw is requested but is outside the bounding set"),
            "{text}"
        );

        let mut limited = root();
        limited.caps.bounding = limited.caps.bounding.without(Cap::SYS_RESOURCE);
        let refused = PrivilegePlan::from_request(
            &PlanRequest {
                caps: list("sys_resource"),
                ..PlanRequest::default()
            },
            &limited,
            &db(),
            K,
        )
        .expect("plan")
        .validate(&limited, K)
        .expect_err("refused");
        assert!(
            refused
                .to_string()
                .contains("cap_sys_resource is not in leastcap's own bounding set"),
            "{refused}"
        );
    }

    #[test]
    fn no_new_privs_and_file_caps() {
        let target = TargetBinary {
            file_caps: Some(FileCaps {
                permitted: CapSet::from_caps([Cap::NET_RAW]),
                effective: true,
                ..FileCaps::default()
            }),
            ..TargetBinary::plain(Path::new("/usr/bin/ping"))
        };
        let nobody = plan(PlanRequest {
            user: Some("nobody".into()),
            ..PlanRequest::default()
        });
        // An empty bounding set: the kernel refuses to execute a file whose effective flag
        // asks for a capability it cannot grant.
        let refusal = nobody
            .validate_for(&root(), K, &target)
            .expect_err("exec refused");
        assert!(
            refusal
                .to_string()
                .contains("the kernel will refuse to execute"),
            "{refusal}"
        );
        let nobody = plan(PlanRequest {
            user: Some("nobody".into()),
            bounding: BoundingRequest::Keep,
            ..PlanRequest::default()
        });
        let refusal = nobody
            .validate_for(&root(), K, &target)
            .expect_err("ignored file caps");
        assert!(
            refusal
                .to_string()
                .contains("no_new_privs makes the kernel ignore"),
            "{refusal}"
        );
        // With the capability passed on, the file's caps add nothing and ping works.
        let with_raw = plan(PlanRequest {
            user: Some("nobody".into()),
            caps: list("net_raw"),
            ..PlanRequest::default()
        });
        let warnings = with_raw.validate_for(&root(), K, &target).expect("allowed");
        assert!(
            warnings[0].0.contains("clears the ambient set"),
            "{warnings:?}"
        );
        let caps = with_raw.predict(&target).caps.expect("runs");
        assert_eq!(caps.effective, CapSet::from_caps([Cap::NET_RAW]));
        assert!(caps.ambient.is_empty());
    }

    #[test]
    fn unprivileged_launcher_keeps_the_bounding_set_under_no_new_privs() {
        let mut user = root();
        user.caps = ThreadCaps {
            bounding: K.all(),
            ..ThreadCaps::default()
        };
        user.uids = [1000; 4];
        user.gids = [1000; 4];
        let request = PlanRequest::default();
        let plan = PrivilegePlan::from_request(&request, &user, &db(), K).expect("plan");
        assert_eq!(plan.caps.bounding, K.all());
        assert_eq!(plan.validate(&user, K), Ok(()));
        // Without no_new_privs the bounding set matters, and dropping it is refused.
        let request = PlanRequest {
            no_new_privs: false,
            ..PlanRequest::default()
        };
        let plan = PrivilegePlan::from_request(&request, &user, &db(), K).expect("plan");
        let refusal = plan.validate(&user, K).expect_err("cannot drop");
        assert!(
            refusal.to_string().contains("needs cap_setpcap"),
            "{refusal}"
        );
    }

    #[test]
    fn scripts_are_judged_by_their_interpreter() {
        let dir = std::env::temp_dir().join(format!("leastcap-shebang-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let script = dir.join("script");
        std::fs::write(&script, "#!/bin/sh -e\necho hi\n").expect("write");
        let target = TargetBinary::inspect(&script).expect("inspect");
        let sh = TargetBinary::inspect(Path::new("/bin/sh")).expect("inspect");
        std::fs::remove_dir_all(&dir).expect("cleanup");
        assert_eq!(target.interpreter, Some(PathBuf::from("/bin/sh")));
        assert_eq!(target.path, script);
        assert_eq!(
            (target.file_caps, target.setuid_owner),
            (sh.file_caps, sh.setuid_owner)
        );
    }

    #[test]
    fn the_id_minus_one_is_refused() {
        let plan = plan(PlanRequest {
            user: Some("4294967295".into()),
            group: Some("4294967295".into()),
            groups: GroupsRequest::List(vec!["4294967295".into()]),
            ..PlanRequest::default()
        });
        let text = plan.validate(&root(), K).expect_err("refused").to_string();
        assert!(
            text.contains("uid 4294967295 is not a valid user id"),
            "{text}"
        );
        assert!(
            text.contains("gid 4294967295 is not a valid group id"),
            "{text}"
        );
        assert!(
            text.contains("group 4294967295 is not a valid supplementary"),
            "{text}"
        );
    }

    #[test]
    fn root_locked_down() {
        let plan = plan(PlanRequest {
            caps: list("net_bind_service"),
            securebits: Some(Securebits::LOCKED_DOWN),
            ..PlanRequest::default()
        });
        assert_eq!(plan.validate(&root(), K), Ok(()));
        let caps = plan
            .predict(&TargetBinary::plain(Path::new("/bin/true")))
            .caps
            .expect("runs");
        assert_eq!(caps.permitted, CapSet::from_caps([Cap::NET_BIND_SERVICE]));
    }
}
