//! `leastcap run`: start a program with exactly the privileges it needs.

use std::ffi::OsString;
use std::io::{self, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;

use anyhow::Context;
use leastcap_launch::{
    BoundingRequest, CapSpec, CurrentState, GroupsRequest, LaunchError, Launcher, PlanRequest,
    Prediction, PrivilegePlan, TargetBinary, UserDb, Warning,
};
use leastcap_model::{KernelCaps, ProcStatus, Securebits, ThreadCaps};
use serde::Serialize;

use crate::escape::escape_str as escape;
use crate::exit::{LaunchFailure, Outcome, UsageError};
use crate::printer::{Printer, Report, Style, Tone};

const AFTER_HELP: &str = "\
CAPS is a list (net_raw,net_bind_service or cap_net_raw), libcap text (cap_net_raw=eip),
IAB text (^cap_net_raw,!cap_sys_admin), 'all' (everything leastcap holds) or 'none'.

Defaults: with --caps LIST the program holds exactly LIST after exec (permitted = effective =
LIST, through the inheritable and ambient sets), the bounding set is LIST, no_new_privs is on.
Without --caps it holds nothing. With --user or --group the supplementary groups are cleared
unless --groups/--init-groups/--keep-groups says otherwise. Steps that fail are reported with
the capability and the reason; nothing is silently skipped. Users and groups are read from
/etc/passwd and /etc/group (give numbers for others).

Exit status: the program's own; 125 leastcap failed or refused before the program started;
126 the program cannot be executed; 127 it was not found.

Examples:
  leastcap run --user nobody --caps net_raw -- ping -c1 127.0.0.1
  leastcap run --user nobody --caps net_bind_service -- python3 -m http.server 80
  leastcap run --caps net_bind_service --securebits locked-down -- ./server   (uid 0, locked out)
  leastcap run --dry-run --user nobody --caps net_raw -- ping   (what ping will hold, by the kernel's rules)
  leastcap run --verify --user www-data --init-groups --caps net_bind_service -- nginx";

/// Run a program with exactly the capabilities, user and groups it needs.
///
/// leastcap forks, applies the privilege plan in one fixed sequence (groups, gid, uid with
/// keep-caps, capset, ambient raise, bounding drop, securebits, no_new_privs) and executes the
/// program. Impossible requests are refused before anything changes, with the reason.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct RunArgs {
    #[command(flatten)]
    pub privileges: PrivilegeArgs,

    /// Print the plan and what the program will hold after exec; run nothing.
    #[arg(long, short = 'n')]
    pub dry_run: bool,

    /// Stop the program at exec, compare its /proc/PID/status with the prediction, and kill it
    /// before it runs if anything differs.
    #[arg(long, conflicts_with = "dry_run")]
    pub verify: bool,

    /// The program and its arguments (after --).
    #[arg(
        value_name = "PROGRAM",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<OsString>,
}

/// The privilege options shared by every command that launches a program (`run`, `trace`,
/// later `learn` and `enforce`): flatten this into the command's Args and call
/// [`PrivilegeArgs::request`].
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct PrivilegeArgs {
    /// Run as this user (name or uid); the gid defaults to the user's primary group.
    #[arg(long, short = 'u', value_name = "USER")]
    pub user: Option<String>,

    /// Run with this group (name or gid).
    #[arg(long, short = 'g', value_name = "GROUP")]
    pub group: Option<String>,

    /// Supplementary groups, comma-separated names or gids ('' for none).
    #[arg(long, value_name = "G,..", conflicts_with_all = ["init_groups", "keep_groups"])]
    pub groups: Option<String>,

    /// Supplementary groups of --user from /etc/group (as initgroups(3)).
    #[arg(long, conflicts_with = "keep_groups")]
    pub init_groups: bool,

    /// Keep leastcap's own supplementary groups.
    #[arg(long)]
    pub keep_groups: bool,

    /// Capabilities the program holds after exec (see CAPS below).
    #[arg(long, short = 'c', value_name = "CAPS")]
    pub caps: Option<String>,

    /// Set the inheritable set exactly (overrides what --caps implies).
    #[arg(long, value_name = "CAPS")]
    pub inheritable: Option<String>,

    /// Set the ambient set exactly (each must be permitted and inheritable).
    #[arg(long, value_name = "CAPS")]
    pub ambient: Option<String>,

    /// Set the bounding set (default: exactly the requested capabilities).
    #[arg(long, value_name = "CAPS", conflicts_with = "keep_bounding")]
    pub bounding: Option<String>,

    /// Keep leastcap's own bounding set.
    #[arg(long)]
    pub keep_bounding: bool,

    /// Securebits: names (noroot,noroot_locked,...), a number, or 'locked-down' (noroot,
    /// no_setuid_fixup, no_cap_ambient_raise, all locked: uid 0 cannot regain capabilities).
    #[arg(long, value_name = "BITS")]
    pub securebits: Option<String>,

    /// Set no_new_privs (the default).
    #[arg(long, conflicts_with = "allow_new_privs")]
    pub no_new_privs: bool,

    /// Do not set no_new_privs: setuid bits and file capabilities of the program (and of what
    /// it executes) are honoured.
    #[arg(long)]
    pub allow_new_privs: bool,
}

fn usage(error: impl std::fmt::Display) -> anyhow::Error {
    UsageError(error.to_string()).into()
}

fn parse_securebits(text: &str) -> anyhow::Result<Securebits> {
    let normal = text.trim().to_ascii_lowercase().replace('_', "-");
    if normal == "locked-down" {
        return Ok(Securebits::LOCKED_DOWN);
    }
    Securebits::from_text(text).map_err(usage)
}

impl PrivilegeArgs {
    /// True when any privilege option was given (the options differ from their defaults).
    pub fn any_given(&self) -> bool {
        *self != PrivilegeArgs::default()
    }

    /// The request the options describe (malformed values are usage errors, exit 2).
    pub fn request(&self, kernel: KernelCaps) -> anyhow::Result<PlanRequest> {
        request(self, kernel)
    }
}

fn request(args: &PrivilegeArgs, kernel: KernelCaps) -> anyhow::Result<PlanRequest> {
    let spec = |text: &Option<String>| -> anyhow::Result<Option<CapSpec>> {
        text.as_deref()
            .map(|text| CapSpec::parse(text, kernel).map_err(usage))
            .transpose()
    };
    let groups = if args.keep_groups {
        GroupsRequest::Keep
    } else if args.init_groups {
        GroupsRequest::Init
    } else if let Some(list) = &args.groups {
        GroupsRequest::List(
            list.split(',')
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_string)
                .collect(),
        )
    } else {
        GroupsRequest::Default
    };
    let bounding = if args.keep_bounding {
        BoundingRequest::Keep
    } else if let Some(spec) = spec(&args.bounding)? {
        BoundingRequest::Set(spec)
    } else {
        BoundingRequest::Default
    };
    Ok(PlanRequest {
        user: args.user.clone(),
        group: args.group.clone(),
        groups,
        caps: spec(&args.caps)?,
        inheritable: spec(&args.inheritable)?,
        ambient: spec(&args.ambient)?,
        bounding,
        securebits: args
            .securebits
            .as_deref()
            .map(parse_securebits)
            .transpose()?,
        no_new_privs: !args.allow_new_privs,
    })
}

#[derive(Serialize)]
struct Sets {
    permitted: String,
    effective: String,
    inheritable: String,
    ambient: String,
    bounding: String,
}

impl Sets {
    fn new(caps: &ThreadCaps, kernel: KernelCaps) -> Sets {
        Sets {
            permitted: caps.permitted.compact(kernel),
            effective: caps.effective.compact(kernel),
            inheritable: caps.inheritable.compact(kernel),
            ambient: caps.ambient.compact(kernel),
            bounding: caps.bounding.compact(kernel),
        }
    }
}

#[derive(Serialize)]
struct DryRunReport {
    program: PathBuf,
    argv: Vec<String>,
    target: TargetBinary,
    plan: PrivilegePlan,
    after_exec: Prediction,
    warnings: Vec<Warning>,
    refused: Vec<String>,
    #[serde(skip)]
    kernel: KernelCaps,
}

fn write_sets(out: &mut dyn Write, caps: &ThreadCaps, kernel: KernelCaps) -> io::Result<()> {
    let sets = Sets::new(caps, kernel);
    writeln!(out, "    permitted:   {}", sets.permitted)?;
    writeln!(out, "    effective:   {}", sets.effective)?;
    writeln!(out, "    inheritable: {}", sets.inheritable)?;
    writeln!(out, "    ambient:     {}", sets.ambient)?;
    writeln!(out, "    bounding:    {}", sets.bounding)
}

impl Report for DryRunReport {
    fn write_text(&self, out: &mut dyn Write, style: &Style) -> io::Result<()> {
        let plan = &self.plan;
        writeln!(out, "program: {}", escape(&self.argv.join(" ")))?;
        writeln!(
            out,
            "  path: {}",
            escape(&self.program.display().to_string())
        )?;
        if let Some(interpreter) = &self.target.interpreter {
            let text = escape(&interpreter.display().to_string());
            writeln!(
                out,
                "  script for: {text} (its file capabilities and set-id bits apply)"
            )?;
        }
        if let Some(file) = &self.target.file_caps {
            writeln!(
                out,
                "  file capabilities: {}",
                file.to_state().to_text(self.kernel)
            )?;
        }
        if let Some(owner) = self.target.setuid_owner {
            writeln!(out, "  setuid: owner uid {owner}")?;
        }
        if self.target.nosuid_mount {
            writeln!(
                out,
                "  on a nosuid mount: set-id bits and file capabilities are ignored"
            )?;
        }
        let user = plan
            .user
            .as_deref()
            .map(|name| format!(" ({name})"))
            .unwrap_or_default();
        writeln!(out, "plan (before exec):")?;
        writeln!(
            out,
            "    uid: {}{user}  gid: {}  groups: {:?}",
            plan.uid, plan.gid, plan.groups
        )?;
        write_sets(out, &plan.caps, self.kernel)?;
        writeln!(out, "    securebits:  {}", plan.securebits)?;
        writeln!(out, "    no_new_privs: {}", plan.no_new_privs)?;
        match (&self.after_exec.caps, self.after_exec.refused_missing) {
            (Some(caps), _) => {
                writeln!(out, "after exec (by the kernel's rules):")?;
                let ids = &self.after_exec;
                writeln!(out, "    uids: {:?}  gids: {:?}", ids.uids, ids.gids)?;
                write_sets(out, caps, self.kernel)?;
            }
            (None, Some(missing)) => {
                let text = format!(
                    "after exec: the kernel refuses the exec (EPERM): {} cannot be granted",
                    missing.to_name_list()
                );
                writeln!(out, "{}", style.paint(&text, Tone::Danger))?;
            }
            (None, None) => {}
        }
        for warning in &self.warnings {
            writeln!(
                out,
                "{}",
                style.paint(&format!("warning: {}", warning.0), Tone::Warning)
            )?;
        }
        for reason in &self.refused {
            writeln!(
                out,
                "{}",
                style.paint(&format!("refused: {reason}"), Tone::Danger)
            )?;
        }
        Ok(())
    }
}

/// Differences between what the kernel shows and what the plan predicts.
pub fn differences(status: &ProcStatus, prediction: &Prediction) -> Vec<String> {
    let mut diffs = Vec::new();
    let Some(expected) = prediction.caps else {
        return vec!["the exec was predicted to fail but succeeded".to_string()];
    };
    let sets = [
        ("CapPrm", status.caps.permitted, expected.permitted),
        ("CapEff", status.caps.effective, expected.effective),
        ("CapInh", status.caps.inheritable, expected.inheritable),
        ("CapAmb", status.caps.ambient, expected.ambient),
        ("CapBnd", status.caps.bounding, expected.bounding),
    ];
    for (name, got, want) in sets {
        if got != want {
            diffs.push(format!(
                "{name}: expected {} got {} ({})",
                want.to_hex(),
                got.to_hex(),
                got.to_name_list()
            ));
        }
    }
    if status.uids != prediction.uids {
        diffs.push(format!(
            "Uid: expected {:?} got {:?}",
            prediction.uids, status.uids
        ));
    }
    if status.gids != prediction.gids {
        diffs.push(format!(
            "Gid: expected {:?} got {:?}",
            prediction.gids, status.gids
        ));
    }
    let mut groups = status.groups.clone();
    groups.sort_unstable();
    if groups != prediction.groups {
        diffs.push(format!(
            "Groups: expected {:?} got {:?}",
            prediction.groups, groups
        ));
    }
    if status.no_new_privs != Some(prediction.no_new_privs) {
        diffs.push(format!(
            "NoNewPrivs: expected {} got {:?}",
            prediction.no_new_privs, status.no_new_privs
        ));
    }
    diffs
}

/// The exit status to pass on for a program's: its code, or 128 + N when killed by signal N.
pub(crate) fn status_code(status: std::process::ExitStatus) -> u8 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code as u8,
        (None, Some(signal)) => 128u8.wrapping_add(signal as u8),
        (None, None) => 1,
    }
}

/// A launch failure as an outcome: 125 (leastcap failed) is an error, 126/127 pass through.
pub(crate) fn launch_error(error: LaunchError, printer: &Printer) -> anyhow::Result<Outcome> {
    match error.exit_code() {
        125 => Err(LaunchFailure(error.to_string()).into()),
        code => {
            printer.error(&escape(&error.to_string()));
            Ok(Outcome::Status(code))
        }
    }
}

pub fn run(args: RunArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let kernel = super::kernel_caps()?;
    let request = args.privileges.request(kernel)?;
    let current = CurrentState::read().context("cannot read leastcap's own credentials")?;
    let users = UserDb::system()?;
    let plan = PrivilegePlan::from_request(&request, &current, &users, kernel).map_err(usage)?;

    if args.dry_run {
        let launcher_probe = Launcher::new(plan.clone(), args.command.clone());
        let program = match launcher_probe.resolve_program() {
            Ok(program) => program,
            Err(error) => return launch_error(error, printer),
        };
        let target = match TargetBinary::inspect(&program) {
            Ok(target) => target,
            Err(error) => return launch_error(error.into(), printer),
        };
        let (warnings, refused) = match plan.validate_for(&current, kernel, &target) {
            Ok(warnings) => (warnings, Vec::new()),
            Err(refusal) => (Vec::new(), refusal.reasons),
        };
        let failed = !refused.is_empty();
        printer.print(&DryRunReport {
            program,
            argv: args
                .command
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            after_exec: plan.predict(&target),
            target,
            plan,
            warnings,
            refused,
            kernel,
        })?;
        return Ok(if failed {
            Outcome::Failed
        } else {
            Outcome::Success
        });
    }

    let mut child = match Launcher::new(plan, args.command)
        .current(current)
        .spawn_paused()
    {
        Ok(child) => child,
        Err(error) => return launch_error(error, printer),
    };
    for warning in child.warnings() {
        printer.warn(&escape(&warning.0));
    }
    child.forward_signals()?;
    if args.verify {
        let status = match child.resume_stopped_at_exec() {
            Ok(status) => status,
            Err(error) => return launch_error(error, printer),
        };
        let prediction = child.plan().predict(child.target());
        let diffs = differences(&status, &prediction);
        if !diffs.is_empty() {
            child.kill(9)?;
            let _ = child.wait();
            return Err(LaunchFailure(format!(
                "--verify: the program's state at exec differs from the plan (it was killed before running):\n  {}",
                diffs.join("\n  ")
            ))
            .into());
        }
        child.continue_program()?;
        printer.note("verified: the program's credentials at exec match the plan");
    } else if let Err(error) = child.resume() {
        return launch_error(error, printer);
    }
    let status = child.wait()?;
    Ok(Outcome::Status(status_code(status)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn securebits_keyword() {
        assert_eq!(
            parse_securebits("locked-down").ok(),
            Some(Securebits::LOCKED_DOWN)
        );
        assert_eq!(
            parse_securebits("LOCKED_DOWN").ok(),
            Some(Securebits::LOCKED_DOWN)
        );
        assert_eq!(parse_securebits("noroot").ok(), Some(Securebits(1)));
        assert!(parse_securebits("rootless").is_err());
    }
}
