//! `leastcap getcap`: libcap's getcap, byte for byte, with an honest exit status.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use leastcap_files::getcap::{getcap, GetcapEvent, GetcapOptions};
use leastcap_files::ns::UidMap;
use leastcap_model::FileCaps;
use serde::Serialize;

use crate::escape::{escape_bytes, escape_os};
use crate::exit::Outcome;
use crate::printer::{Printer, Report, Style};

/// Show the capabilities stored on files (the security.capability attribute).
///
/// The output is exactly what libcap's getcap (2.66) prints for the same flags: one
/// `PATH TEXT` line per file with capabilities, in libcap's canonical text. Unlike getcap,
/// the exit status is 1 when any file could not be examined. Files whose namespaced (v3)
/// capabilities are ignored in the current user namespace are pointed out on stderr.
/// On a terminal, control characters in names are escaped; into a pipe, names are printed
/// raw, as getcap does.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  leastcap getcap /usr/bin/ping\n  leastcap getcap -r /usr          every file with capabilities under /usr\n  leastcap getcap -n -r /srv        show the rootid of namespaced capabilities\n  leastcap getcap -v /usr/bin/*     also list files without capabilities\n  leastcap getcap --json /usr/bin/ping"
)]
pub struct GetcapArgs {
    /// Walk directories recursively (symlinks are never followed).
    #[arg(short = 'r')]
    pub recursive: bool,

    /// Print the rootid of namespaced (v3) capabilities: ` [rootid=N]`.
    #[arg(short = 'n')]
    pub rootid: bool,

    /// Also print files without capabilities, and `(Not a regular file)` for the rest.
    #[arg(short = 'v')]
    pub verbose: bool,

    /// Files or directories to examine.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Serialize)]
struct FileEntry {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    path_hex: Option<String>,
    text: String,
    caps: FileCaps,
    /// v3 capabilities that exec ignores in this user namespace.
    inert: bool,
}

#[derive(Serialize)]
struct Failure {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    path_hex: Option<String>,
    message: String,
}

#[derive(Serialize)]
struct GetcapReport {
    files: Vec<FileEntry>,
    failures: Vec<Failure>,
}

impl Report for GetcapReport {
    fn write_text(&self, _out: &mut dyn Write, _style: &Style) -> io::Result<()> {
        Ok(())
    }
}

fn exact(path: &std::path::Path) -> (String, Option<String>) {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_string(), None),
        Err(_) => (
            String::from_utf8_lossy(bytes).into_owned(),
            Some(leastcap_files::path::hex(bytes)),
        ),
    }
}

pub fn run(args: GetcapArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let kernel = super::kernel_caps()?;
    let options = GetcapOptions {
        recursive: args.recursive,
        rootid: args.rootid,
        verbose: args.verbose,
    };
    let uid_map = UidMap::current();
    let escape = io::stdout().is_terminal();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut report = GetcapReport {
        files: Vec::new(),
        failures: Vec::new(),
    };
    let mut write_error: Option<io::Error> = None;
    let json = printer.is_json();
    let failures = getcap(&args.paths, options, kernel, &mut |event| match event {
        GetcapEvent::Line(line) => {
            if json || write_error.is_some() {
                return;
            }
            let result = if escape {
                writeln!(out, "{}", escape_bytes(&line))
            } else {
                out.write_all(&line).and_then(|()| out.write_all(b"\n"))
            };
            if let Err(error) = result {
                write_error = Some(error);
            }
        }
        GetcapEvent::Caps { path, caps, text } => {
            let inert = uid_map.is_inert(caps.rootid);
            if inert && !json {
                let _ = out.flush();
                printer.note(&format!(
                    "note: {}: namespaced capabilities for rootid {} are inert in this user namespace",
                    escape_os(path.as_os_str()),
                    caps.rootid.unwrap_or_default()
                ));
            }
            let (path, path_hex) = exact(path);
            report.files.push(FileEntry {
                path,
                path_hex,
                text: text.to_string(),
                caps: *caps,
                inert,
            });
        }
        GetcapEvent::Failure { path, message } => {
            let _ = out.flush();
            if !json {
                let _ = writeln!(io::stderr(), "{}", escape_bytes(message.as_bytes()));
            }
            let (path, path_hex) = exact(path);
            report.failures.push(Failure {
                path,
                path_hex,
                message,
            });
        }
        GetcapEvent::Loop { path } => {
            let _ = out.flush();
            printer.note(&format!(
                "{}: file system loop (a directory that is its own ancestor); not entered again",
                escape_os(path.as_os_str())
            ));
        }
    });
    if let Some(error) = write_error {
        return Err(error.into());
    }
    out.flush()?;
    drop(out);
    if json {
        printer.print(&report)?;
    }
    Ok(if failures > 0 {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}
