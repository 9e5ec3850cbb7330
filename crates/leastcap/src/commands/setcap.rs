//! `leastcap setcap`: write file capabilities safely (libcap's replace form, plus merges and
//! manifest restore).

use std::ffi::OsString;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use leastcap_files::manifest;
use leastcap_files::setcap::{apply_all, parse_text, verify, Change, SetcapError, Written};
use leastcap_model::{parse_cap_list, FileCaps, KernelCaps};
use serde::Serialize;

use crate::escape::escape_os;
use crate::exit::{Outcome, UsageError};
use crate::printer::{Printer, Report, Style};

/// Set, change, remove or verify the capabilities stored on files.
///
/// `setcap TEXT FILE [TEXT FILE ...]` replaces the file's capabilities with TEXT (libcap's
/// text format, e.g. cap_net_raw=ep), exactly like libcap's setcap. `--add TEXT` and
/// `--drop CAPS` merge with what the file already has. Writes open the file with
/// O_RDONLY|O_NOFOLLOW and use fsetxattr on that descriptor: a symlink is never written
/// through, and a binary that is running can be changed. Like libcap 2.70, the effective
/// flags must be empty or cover every permitted and inheritable capability (--force to
/// override), and empty text is refused (use -r). No partial writes: every FILE (or manifest
/// entry) is checked before any is written, and a write that still fails undoes the earlier
/// ones. Warns when the file is also setuid or
/// setgid, writable by someone other than root, or owned by a user other than root.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  leastcap setcap cap_net_raw=ep ./ping\n  leastcap setcap -v cap_net_raw=ep ./ping     check instead of writing (exit 1 on mismatch)\n  leastcap setcap -r ./ping                    remove all file capabilities\n  leastcap setcap --add cap_net_admin=ep ./tool\n  leastcap setcap --drop net_admin ./tool\n  leastcap setcap -n 1000 cap_net_raw=ep ./ping namespaced (v3) capabilities for rootid 1000\n  leastcap scan /usr --export caps.manifest && leastcap setcap --apply caps.manifest"
)]
pub struct SetcapArgs {
    /// Remove the capabilities of each FILE (all arguments are files).
    #[arg(short = 'r', conflicts_with_all = ["add", "drop", "apply"])]
    pub remove: bool,

    /// Verify: compare each FILE with TEXT, print `FILE: OK` or `FILE differs in [pie]`.
    #[arg(short = 'v')]
    pub verify: bool,

    /// Quiet: no verification lines and no warnings.
    #[arg(short = 'q')]
    pub quiet: bool,

    /// Write namespaced (v3) capabilities for this root uid (a positive integer).
    #[arg(short = 'n', value_name = "ROOTID")]
    pub rootid: Option<String>,

    /// Accept effective flags that do not cover all of P∪I (libcap ≤ 2.69 behaviour).
    #[arg(short = 'f', long)]
    pub force: bool,

    /// Add these capabilities to each FILE's current ones (all arguments are files). Refused
    /// when the merge would change which capabilities are effective (one flag on disk covers
    /// all of P∪I), unless --force.
    #[arg(long, value_name = "TEXT", conflicts_with_all = ["drop", "apply"])]
    pub add: Option<String>,

    /// Remove these capabilities (e.g. net_admin,cap_sys_ptrace) from each FILE.
    #[arg(long, value_name = "CAPS", conflicts_with = "apply")]
    pub drop: Option<String>,

    /// Restore the file capabilities saved in a manifest (`leastcap scan --export`).
    #[arg(long, value_name = "MANIFEST")]
    pub apply: Option<PathBuf>,

    /// `TEXT FILE` pairs (TEXT `-` reads the text from stdin), or FILEs with -r/--add/--drop.
    #[arg(value_name = "ARGS", allow_hyphen_values = true)]
    pub args: Vec<OsString>,
}

#[derive(Serialize)]
struct Entry {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    path_hex: Option<String>,
    before: Option<FileCaps>,
    after: Option<FileCaps>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct SetcapReport {
    written: Vec<Entry>,
    verified: Vec<VerifyEntry>,
    failures: Vec<String>,
}

#[derive(Serialize)]
struct VerifyEntry {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    path_hex: Option<String>,
    ok: bool,
    line: String,
}

impl Report for SetcapReport {
    fn write_text(&self, _out: &mut dyn Write, _style: &Style) -> io::Result<()> {
        Ok(())
    }
}

/// The name's bytes in hex when it is not UTF-8 (JSON names are exact).
fn path_hex(path: &Path) -> Option<String> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    std::str::from_utf8(bytes)
        .is_err()
        .then(|| leastcap_files::path::hex(bytes))
}

fn parse_rootid(text: &str) -> Result<u32, SetcapError> {
    match text.trim().parse::<u32>() {
        Ok(id) if id > 0 && id != u32::MAX => Ok(id),
        _ => Err(SetcapError::BadRootid(text.to_string())),
    }
}

fn read_stdin_text() -> io::Result<String> {
    let _ = writeln!(
        io::stdout(),
        "Please enter caps for file [empty line to end]:"
    );
    let mut text = String::new();
    for line in io::stdin().lock().lines() {
        let line = line?;
        if line.is_empty() {
            break;
        }
        text.push_str(&line);
        text.push(' ');
    }
    Ok(text)
}

struct Ctx<'a> {
    printer: &'a Printer,
    quiet: bool,
    report: SetcapReport,
    failed: bool,
}

impl Ctx<'_> {
    fn fail(&mut self, error: &SetcapError) {
        self.failed = true;
        let message = error.to_string();
        if !self.printer.is_json() {
            // Names are escaped; only libcap's two-line effective-rule message (which names
            // no file) keeps its line break.
            let text = match error {
                SetcapError::Effective(_) => message.clone(),
                _ => crate::escape::escape_str(&message),
            };
            let _ = writeln!(io::stderr(), "{text}");
        }
        self.report.failures.push(message);
    }

    fn written(&mut self, written: Written) {
        if !self.quiet && !self.printer.is_json() {
            for warning in &written.warnings {
                self.printer.warn(&format!(
                    "{}: {}",
                    escape_os(written.path.as_os_str()),
                    warning.message()
                ));
            }
        }
        self.report.written.push(Entry {
            path: written.path.to_string_lossy().into_owned(),
            path_hex: path_hex(&written.path),
            before: written.before,
            after: written.after,
            warnings: written.warnings.iter().map(|w| w.message()).collect(),
        });
    }

    /// Writes every change or none (see `apply_all`).
    fn apply_all(&mut self, changes: &[(PathBuf, Change, Option<u32>)]) {
        match apply_all(changes) {
            Ok(written) => {
                for w in written {
                    self.written(w);
                }
            }
            Err(batch) => {
                for error in &batch.errors {
                    self.fail(error);
                }
                for error in &batch.rollback_failures {
                    self.fail(error);
                }
                let message = if batch.rollback_failures.is_empty() {
                    if changes.len() == 1 {
                        // One file: libcap's message alone, byte for byte.
                        return;
                    }
                    "no file was changed".to_string()
                } else {
                    format!(
                        "{} earlier write(s) could not be undone (see above)",
                        batch.rollback_failures.len()
                    )
                };
                if !self.printer.is_json() {
                    self.printer.note(&message);
                }
                self.report.failures.push(message);
            }
        }
    }

    fn verify(&mut self, path: &Path, want: FileCaps, rootid: Option<u32>) {
        match verify(path, want, rootid) {
            Ok(result) => {
                let line = result.line(&escape_os(path.as_os_str()));
                if !result.ok() {
                    self.failed = true;
                }
                if !self.quiet && !self.printer.is_json() {
                    println!("{line}");
                }
                self.report.verified.push(VerifyEntry {
                    path: path.to_string_lossy().into_owned(),
                    path_hex: path_hex(path),
                    ok: result.ok(),
                    line,
                });
            }
            Err(error) => self.fail(&error),
        }
    }
}

fn text_for(arg: &OsString, kernel: KernelCaps, force: bool) -> Result<FileCaps, SetcapError> {
    let text = if arg == "-" {
        read_stdin_text().map_err(|e| SetcapError::Stdin(e.to_string()))?
    } else {
        arg.to_str()
            .ok_or_else(|| SetcapError::Stdin("capability text is not UTF-8".to_string()))?
            .to_string()
    };
    parse_text(&text, kernel, force)
}

pub fn run(args: SetcapArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let kernel = super::kernel_caps()?;
    let mut ctx = Ctx {
        printer,
        quiet: args.quiet,
        report: SetcapReport {
            written: Vec::new(),
            verified: Vec::new(),
            failures: Vec::new(),
        },
        failed: false,
    };
    let rootid = match args.rootid.as_deref().map(parse_rootid).transpose() {
        Ok(rootid) => rootid,
        Err(error) => {
            ctx.fail(&error);
            return Ok(Outcome::Failed);
        }
    };
    if let Some(manifest_path) = &args.apply {
        if !args.args.is_empty() {
            return Err(UsageError("--apply takes no other arguments".into()).into());
        }
        let file = std::fs::File::open(manifest_path)
            .with_context(|| format!("cannot open manifest {}", manifest_path.display()))?;
        let entries = manifest::read(manifest_path, io::BufReader::new(file))?;
        if args.verify {
            for entry in entries {
                ctx.verify(&entry.path, entry.caps, entry.caps.rootid);
            }
        } else {
            let changes: Vec<_> = entries
                .into_iter()
                .map(|entry| (entry.path, Change::Set(entry.caps), entry.caps.rootid))
                .collect();
            ctx.apply_all(&changes);
        }
    } else if args.remove || args.add.is_some() || args.drop.is_some() {
        if args.args.is_empty() {
            return Err(UsageError("no FILE given".into()).into());
        }
        let change = if args.remove {
            Change::Remove
        } else if let Some(text) = &args.add {
            match parse_text(text, kernel, args.force) {
                Ok(caps) if args.force => Change::AddForced(caps),
                Ok(caps) => Change::Add(caps),
                Err(error) => {
                    ctx.fail(&error);
                    return Ok(Outcome::Failed);
                }
            }
        } else {
            let list = args.drop.as_deref().unwrap_or_default();
            Change::Drop(parse_cap_list(list).map_err(|e| UsageError(format!("--drop: {e}")))?)
        };
        if args.verify {
            return Err(UsageError("-v needs TEXT FILE pairs".into()).into());
        }
        let changes: Vec<_> = args
            .args
            .iter()
            .map(|file| (PathBuf::from(file), change, rootid))
            .collect();
        ctx.apply_all(&changes);
    } else {
        if args.args.is_empty() || args.args.len() % 2 != 0 {
            return Err(UsageError(
                "expected TEXT FILE pairs (or -r FILE..., --add TEXT FILE..., --drop CAPS FILE..., --apply MANIFEST)"
                    .into(),
            )
            .into());
        }
        // Every TEXT is parsed before any file is touched (no partial writes).
        let mut pairs = Vec::with_capacity(args.args.len() / 2);
        for pair in args.args.chunks(2) {
            match text_for(&pair[0], kernel, args.force) {
                Ok(caps) => pairs.push((PathBuf::from(&pair[1]), caps)),
                Err(error) => {
                    ctx.fail(&error);
                    return Ok(Outcome::Failed);
                }
            }
        }
        if args.verify {
            for (path, caps) in pairs {
                ctx.verify(&path, caps, rootid);
            }
        } else {
            let changes: Vec<_> = pairs
                .into_iter()
                .map(|(path, caps)| (path, Change::Set(caps), rootid))
                .collect();
            ctx.apply_all(&changes);
        }
    }
    if printer.is_json() {
        printer.print(&ctx.report)?;
    }
    Ok(if ctx.failed {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}
