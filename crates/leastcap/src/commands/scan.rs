//! `leastcap scan`: every setuid, setgid and capability-carrying file in one pass.

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use leastcap_files::manifest;
use leastcap_files::scan::{scan_streaming, Counters, Privileged, ScanOptions, ScanResult};
use leastcap_model::KernelCaps;
use serde::ser::{SerializeMap, Serializer};

use crate::escape::escape_os;
use crate::exit::Outcome;
use crate::printer::{Printer, Style, Tone};

/// Find every setuid file, setgid file and file with capabilities, in one fast pass.
///
/// Stays on the file systems of the starting paths (like find -xdev) unless
/// --all-filesystems, and even then never enters pseudo (proc, sysfs, ...) or network (nfs,
/// cifs, fuse, ...) file systems. Never follows symlinks. Uses every core. Survives
/// unreadable directories, files vanishing mid-scan, deep trees and bind-mount loops, and
/// reports what it could not read (exit status 1 when anything could not be read).
///
/// The table is sorted by risk: critical (a privileged file others can modify), high
/// (setuid root, or a root-equivalent capability), medium (other setuid/setgid, conditional
/// capabilities), low. Flags: world-writable, group-writable, non-root-owner, setuid-root,
/// setuid, setgid, root-equivalent-caps, conditional-caps, setuid+caps, inert-rootid (v3
/// capabilities ignored in this user namespace), corrupt-caps.
///
/// With --json, one JSON object per line: {"type":"file",...} for each file as soon as it is
/// found (in discovery order), then
/// "problem", "skipped" and one "summary" object. Names are exact there; text output
/// escapes control characters.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  leastcap scan                       the whole root file system\n  leastcap scan /usr /opt\n  leastcap scan --json / | jq -c 'select(.type==\"file\" and .risk==\"high\")'\n  leastcap scan /usr --export caps.manifest   save file capabilities (restore: leastcap setcap --apply)"
)]
pub struct ScanArgs {
    /// Where to start (default: /).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Cross into other mounted file systems (pseudo and network ones are still skipped).
    #[arg(long)]
    pub all_filesystems: bool,

    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,

    /// Also write the file capabilities found to a manifest for `leastcap setcap --apply`.
    #[arg(long, value_name = "FILE")]
    pub export: Option<PathBuf>,
}

/// uid/gid → name, from /etc/passwd and /etc/group (no NSS; numbers when unknown).
fn names(file: &str) -> HashMap<u32, String> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let id = fields.nth(1)?.parse().ok()?;
            Some((id, name.to_string()))
        })
        .collect()
}

fn exact_fields<M: SerializeMap>(map: &mut M, path: &Path) -> Result<(), M::Error> {
    let bytes = path.as_os_str().as_bytes();
    match std::str::from_utf8(bytes) {
        Ok(text) => map.serialize_entry("path", text),
        Err(_) => {
            map.serialize_entry("path", &String::from_utf8_lossy(bytes))?;
            map.serialize_entry("path_hex", &leastcap_files::path::hex(bytes))
        }
    }
}

fn json_file(out: &mut dyn Write, file: &Privileged, kernel: KernelCaps) -> io::Result<()> {
    let mut buf = Vec::new();
    {
        let mut ser = serde_json::Serializer::new(&mut buf);
        let mut map = ser.serialize_map(None).map_err(io::Error::other)?;
        let mut put = || -> Result<(), serde_json::Error> {
            map.serialize_entry("type", "file")?;
            exact_fields(&mut map, &file.path)?;
            map.serialize_entry("uid", &file.stat.uid)?;
            map.serialize_entry("gid", &file.stat.gid)?;
            map.serialize_entry("mode", &format!("{:04o}", file.stat.mode & 0o7777))?;
            map.serialize_entry("setuid", &file.setuid())?;
            map.serialize_entry("setgid", &file.setgid())?;
            map.serialize_entry("caps", &file.caps)?;
            map.serialize_entry("text", &file.caps.map(|c| c.to_state().to_text(kernel)))?;
            map.serialize_entry("rootid", &file.caps.and_then(|c| c.rootid))?;
            map.serialize_entry("corrupt", &file.corrupt)?;
            map.serialize_entry("risk", &file.risk)?;
            map.serialize_entry("flags", &file.flags)?;
            Ok(())
        };
        put().map_err(io::Error::other)?;
        map.end().map_err(io::Error::other)?;
    }
    buf.push(b'\n');
    out.write_all(&buf)
}

/// The records after the files (which were streamed as they were found).
fn write_json(out: &mut dyn Write, result: &ScanResult, printer: &Printer) -> io::Result<()> {
    for problem in &result.problems {
        let mut buf = Vec::new();
        {
            let mut ser = serde_json::Serializer::new(&mut buf);
            let mut map = ser.serialize_map(None).map_err(io::Error::other)?;
            let mut put = || -> Result<(), serde_json::Error> {
                map.serialize_entry("type", "problem")?;
                exact_fields(&mut map, &problem.path)?;
                map.serialize_entry("kind", &problem.kind)?;
                map.serialize_entry("message", &problem.message)
            };
            put().map_err(io::Error::other)?;
            map.end().map_err(io::Error::other)?;
        }
        buf.push(b'\n');
        out.write_all(&buf)?;
    }
    for skipped in &result.skipped {
        let mut buf = Vec::new();
        {
            let mut ser = serde_json::Serializer::new(&mut buf);
            let mut map = ser.serialize_map(None).map_err(io::Error::other)?;
            let mut put = || -> Result<(), serde_json::Error> {
                map.serialize_entry("type", "skipped")?;
                exact_fields(&mut map, &skipped.path)?;
                map.serialize_entry("reason", &skipped.reason)
            };
            put().map_err(io::Error::other)?;
            map.end().map_err(io::Error::other)?;
        }
        buf.push(b'\n');
        out.write_all(&buf)?;
    }
    printer.json_line(&summary_json(result), out)
}

fn summary_json(result: &ScanResult) -> serde_json::Value {
    let setuid = result.files.iter().filter(|f| f.setuid()).count();
    let setgid = result.files.iter().filter(|f| f.setgid()).count();
    let caps = result.files.iter().filter(|f| f.caps.is_some()).count();
    serde_json::json!({
        "type": "summary",
        "privileged_files": result.files.len(),
        "setuid": setuid,
        "setgid": setgid,
        "with_caps": caps,
        "directories": result.dirs,
        "entries": result.entries,
        "vanished": result.vanished,
        "problems": result.problems.iter().filter(|p| p.is_failure()).count(),
        "loops": result.problems.iter().filter(|p| !p.is_failure()).count(),
        "skipped_mounts": result.skipped.len(),
    })
}

fn write_table(
    out: &mut dyn Write,
    result: &ScanResult,
    kernel: KernelCaps,
    style: &Style,
) -> io::Result<()> {
    let users = names("/etc/passwd");
    let groups = names("/etc/group");
    let rows: Vec<[String; 6]> = result
        .files
        .iter()
        .map(|file| {
            let user = users
                .get(&file.stat.uid)
                .cloned()
                .unwrap_or_else(|| file.stat.uid.to_string());
            let group = groups
                .get(&file.stat.gid)
                .cloned()
                .unwrap_or_else(|| file.stat.gid.to_string());
            let caps = match (&file.caps, &file.corrupt) {
                (Some(c), _) => {
                    let mut text = c.to_state().to_text(kernel);
                    if let Some(rootid) = c.rootid.filter(|id| *id != 0) {
                        text.push_str(&format!(" [rootid={rootid}]"));
                    }
                    text
                }
                (None, Some(_)) => "(corrupt)".to_string(),
                (None, None) => "-".to_string(),
            };
            let flags: Vec<&str> = file.flags.iter().map(|f| f.label()).collect();
            [
                file.risk.label().to_string(),
                escape_os(file.path.as_os_str()),
                format!("{user}:{group}"),
                format!("{:04o}", file.stat.mode & 0o7777),
                caps,
                flags.join(","),
            ]
        })
        .collect();
    let header = ["RISK", "PATH", "OWNER", "MODE", "CAPS", "FLAGS"].map(String::from);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String; 6]| -> String {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        text.trim_end().to_string()
    };
    if !rows.is_empty() {
        writeln!(out, "{}", style.paint(&line(&header), Tone::Bold))?;
        for row in &rows {
            let tone = match row[0].as_str() {
                "critical" | "high" => Some(Tone::Danger),
                "medium" => Some(Tone::Warning),
                _ => None,
            };
            let text = line(row);
            match tone {
                Some(tone) => writeln!(out, "{}", style.paint(&text, tone))?,
                None => writeln!(out, "{text}")?,
            }
        }
        writeln!(out)?;
    }
    let summary = summary_json(result);
    writeln!(
        out,
        "{} privileged files: {} setuid, {} setgid, {} with capabilities",
        summary["privileged_files"], summary["setuid"], summary["setgid"], summary["with_caps"]
    )?;
    writeln!(
        out,
        "scanned {} directories, {} entries; {} vanished during the scan; {} could not be read; {} loops and {} other file systems not entered",
        result.dirs, result.entries, result.vanished, summary["problems"], summary["loops"], result.skipped.len()
    )
}

fn progress(counters: Arc<Counters>, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let start = Instant::now();
        let mut shown = false;
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
            if start.elapsed() < Duration::from_millis(700) {
                continue;
            }
            shown = true;
            let _ = write!(
                io::stderr(),
                "\r\x1b[Kscanning: {} directories, {} entries, {} privileged files",
                counters.dirs.load(Ordering::Relaxed),
                counters.entries.load(Ordering::Relaxed),
                counters.found.load(Ordering::Relaxed)
            );
        }
        if shown {
            let _ = write!(io::stderr(), "\r\x1b[K");
        }
    })
}

fn export(path: &Path, result: &ScanResult, kernel: KernelCaps) -> anyhow::Result<usize> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let (temp_path, mut temp) = tempfile_in(dir)?;
    let written = write_manifest(&mut temp, result, kernel)
        .with_context(|| format!("cannot write {}", temp_path.display()))
        .and_then(|count| {
            std::fs::rename(&temp_path, path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(count)
        });
    if written.is_err() {
        // No half-written manifest and no stray temporary file.
        let _ = std::fs::remove_file(&temp_path);
    }
    written
}

fn write_manifest(
    file: &mut std::fs::File,
    result: &ScanResult,
    kernel: KernelCaps,
) -> anyhow::Result<usize> {
    let mut count = 0;
    {
        let mut out = io::BufWriter::new(&mut *file);
        manifest::write_header(&mut out)?;
        for file in &result.files {
            if let Some(caps) = file.caps {
                manifest::write_entry(
                    &mut out,
                    &manifest::Entry {
                        path: file.path.clone(),
                        caps,
                    },
                    kernel,
                )?;
                count += 1;
            }
        }
        out.flush()?;
    }
    file.sync_all()?;
    Ok(count)
}

/// A new file beside the target, renamed over it when complete (no partial manifests).
fn tempfile_in(dir: &Path) -> anyhow::Result<(PathBuf, std::fs::File)> {
    for attempt in 0..100u32 {
        let candidate = dir.join(format!(
            ".leastcap-manifest.{}.{attempt}",
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(file) => return Ok((candidate, file)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("cannot create a file in {}", dir.display()))
            }
        }
    }
    anyhow::bail!("cannot create a temporary file in {}", dir.display())
}

pub fn run(args: ScanArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let kernel = super::kernel_caps()?;
    let roots = if args.paths.is_empty() {
        vec![PathBuf::from("/")]
    } else {
        args.paths
    };
    let options = ScanOptions {
        roots,
        all_filesystems: args.all_filesystems,
        threads: args.threads,
    };
    let counters = Arc::new(Counters::default());
    let stop = Arc::new(AtomicBool::new(false));
    let ticker = io::stderr()
        .is_terminal()
        .then(|| progress(Arc::clone(&counters), Arc::clone(&stop)));
    // With --json, each file is printed (and flushed) the moment it is found.
    let stream_error: Mutex<Option<io::Error>> = Mutex::new(None);
    let on_found = |file: &Privileged| {
        if !printer.is_json() {
            return;
        }
        let mut error = stream_error.lock().unwrap_or_else(|p| p.into_inner());
        if error.is_some() {
            return;
        }
        let stdout = io::stdout();
        let mut out = stdout.lock();
        if let Err(e) = json_file(&mut out, file, kernel).and_then(|()| out.flush()) {
            *error = Some(e);
        }
    };
    let result = scan_streaming(&options, counters, &on_found);
    if let Some(error) = stream_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(error.into());
    }
    stop.store(true, Ordering::Relaxed);
    if let Some(ticker) = ticker {
        let _ = ticker.join();
    }
    if let Some(path) = &args.export {
        let count = export(path, &result, kernel)?;
        printer.note(&format!(
            "wrote {count} file capabilities to {}",
            escape_os(path.as_os_str())
        ));
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if printer.is_json() {
        write_json(&mut out, &result, printer)?;
    } else {
        write_table(&mut out, &result, kernel, &printer.style())?;
    }
    out.flush()?;
    drop(out);
    if !printer.is_json() {
        for problem in &result.problems {
            let text = escape_os(problem.message.as_ref());
            if problem.is_failure() {
                printer.warn(&text);
            } else {
                printer.note(&text);
            }
        }
    }
    Ok(if result.problems.iter().any(|p| p.is_failure()) {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}
