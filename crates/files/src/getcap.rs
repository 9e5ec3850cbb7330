//! libcap-compatible `getcap`: the same stdout, byte for byte, for the same flags (libcap
//! 2.66: `path text`, `-n` adds ` [rootid=N]`, `-v` prints paths without capabilities and
//! `(Not a regular file)` lines, `-r` walks like `nftw(FTW_PHYS)`), but every failure is
//! reported to the caller so the command can exit non-zero.

use std::ffi::OsStr;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use leastcap_model::{FileCaps, KernelCaps};
use leastcap_sys::fs::{self, FsError};

use crate::xattr::{read_caps, CapsError};

#[derive(Clone, Copy, Debug, Default)]
pub struct GetcapOptions {
    /// `-r`: walk directories (never following symlinks).
    pub recursive: bool,
    /// `-n`: print ` [rootid=N]` for namespaced (v3) capabilities with a non-zero rootid.
    pub rootid: bool,
    /// `-v`: also print files without capabilities and non-regular files.
    pub verbose: bool,
}

/// What getcap has to say, in order.
#[derive(Debug)]
pub enum GetcapEvent<'a> {
    /// One stdout line (without the newline), raw bytes exactly as libcap prints them.
    Line(Vec<u8>),
    /// A file with capabilities, reported alongside its line (for JSON and notes).
    Caps {
        path: &'a Path,
        caps: &'a FileCaps,
        text: &'a str,
    },
    /// A failure: libcap's stderr message (`path (strerror)` or `Failed to get capabilities
    /// of file 'path' (reason)`). The path is raw; the message is for people.
    Failure { path: &'a Path, message: String },
    /// A directory skipped because it is one of its own ancestors (a bind-mount loop).
    Loop { path: &'a Path },
}

/// `strerror(errno)` text without Rust's ` (os error N)` suffix, as libcap prints it.
pub fn strerror(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

fn fs_reason(error: &FsError) -> String {
    strerror(&error.source)
}

fn caps_reason(error: &CapsError) -> String {
    match error {
        CapsError::Io(io) => fs_reason(io),
        CapsError::Corrupt { source, .. } => format!("Invalid argument: {source}"),
        CapsError::NotRegular { .. } => "not a regular file".to_string(),
    }
}

/// nftw's spelling of a start path: trailing slashes removed (a path of only slashes is `/`).
pub fn nftw_root(path: &Path) -> PathBuf {
    let bytes = path.as_os_str().as_bytes();
    let mut end = bytes.len();
    while end > 1 && bytes[end - 1] == b'/' {
        end -= 1;
    }
    PathBuf::from(OsStr::from_bytes(&bytes[..end]))
}

fn child_path(dir: &Path, name: &[u8]) -> PathBuf {
    let mut bytes = dir.as_os_str().as_bytes().to_vec();
    if bytes.last() != Some(&b'/') {
        bytes.push(b'/');
    }
    bytes.extend_from_slice(name);
    PathBuf::from(OsStr::from_bytes(&bytes))
}

struct Run<'s, 'k> {
    options: GetcapOptions,
    kernel: KernelCaps,
    sink: &'s mut dyn for<'a> FnMut(GetcapEvent<'a>),
    failures: usize,
    _k: std::marker::PhantomData<&'k ()>,
}

impl Run<'_, '_> {
    fn fail(&mut self, path: &Path, message: String) {
        self.failures += 1;
        (self.sink)(GetcapEvent::Failure { path, message });
    }

    fn not_regular(&mut self, path: &Path) {
        if self.options.verbose {
            let mut line = path.as_os_str().as_bytes().to_vec();
            line.extend_from_slice(b" (Not a regular file)");
            (self.sink)(GetcapEvent::Line(line));
        }
    }

    /// libcap's `do_getcap` for a file it treats as regular.
    fn file(&mut self, path: &Path, follow: bool) {
        match read_caps(path, follow) {
            Ok(None) => {
                if self.options.verbose {
                    (self.sink)(GetcapEvent::Line(path.as_os_str().as_bytes().to_vec()));
                }
            }
            Ok(Some(caps)) => {
                let text = caps.to_state().to_text(self.kernel);
                let mut line = path.as_os_str().as_bytes().to_vec();
                line.push(b' ');
                line.extend_from_slice(text.as_bytes());
                if self.options.rootid {
                    if let Some(rootid) = caps.rootid.filter(|id| *id != 0) {
                        line.extend_from_slice(format!(" [rootid={rootid}]").as_bytes());
                    }
                }
                (self.sink)(GetcapEvent::Line(line));
                (self.sink)(GetcapEvent::Caps {
                    path,
                    caps: &caps,
                    text: &text,
                });
            }
            Err(error) => {
                let message = format!(
                    "Failed to get capabilities of file '{}' ({})",
                    path.display(),
                    caps_reason(&error)
                );
                self.fail(path, message);
            }
        }
    }

    fn top(&mut self, path: &Path) {
        let stat = match fs::lstat(path) {
            Ok(stat) => stat,
            Err(error) => {
                let message = format!("{} ({})", path.display(), fs_reason(&error));
                self.fail(path, message);
                return;
            }
        };
        if !self.options.recursive {
            if stat.is_file() {
                self.file(path, true);
            } else {
                self.not_regular(path);
            }
            return;
        }
        // nftw strips trailing slashes before its own lstat: `link/` (a symlink to a
        // directory) is then the symlink itself, reported and not descended into.
        let root = nftw_root(path);
        let stat = if root.as_os_str().len() == path.as_os_str().len() {
            stat
        } else {
            match fs::lstat(&root) {
                Ok(stat) => stat,
                Err(error) => {
                    let message = format!("{} ({})", root.display(), fs_reason(&error));
                    self.fail(&root, message);
                    return;
                }
            }
        };
        self.walk(&root, stat);
    }

    /// Pre-order walk in directory order, like `nftw(path, fn, 20, FTW_PHYS)`, with an
    /// explicit stack (no recursion limit) and loop detection on (dev, ino) of ancestors.
    fn walk(&mut self, root: &Path, root_stat: fs::FileStat) {
        type Pending = (PathBuf, Result<fs::FileStat, FsError>, Vec<(u64, u64)>);
        let mut pending: Vec<Pending> = vec![(root.to_path_buf(), Ok(root_stat), Vec::new())];
        // Visit the next node: pending nodes are kept in reverse order.
        while let Some((path, stat, ancestors)) = pending.pop() {
            let stat = match stat {
                Ok(stat) => stat,
                Err(error) => {
                    // nftw reports FTW_NS: not regular for -v; leastcap also reports it.
                    self.not_regular(&path);
                    let message = format!("{} ({})", path.display(), fs_reason(&error));
                    self.fail(&path, message);
                    continue;
                }
            };
            if stat.is_symlink() {
                self.not_regular(&path);
                continue;
            }
            if !stat.is_dir() {
                self.file(&path, false);
                continue;
            }
            if ancestors.contains(&(stat.dev, stat.ino)) {
                (self.sink)(GetcapEvent::Loop { path: &path });
                continue;
            }
            self.not_regular(&path);
            let mut inner = ancestors;
            inner.push((stat.dev, stat.ino));
            let frame_path = path;
            let entries = fs::open_dir_at(None, frame_path.as_os_str(), &frame_path)
                .and_then(|fd| fs::read_dir_fd(fd.as_fd(), &frame_path).map(|e| (fd, e)));
            match entries {
                Err(error) => {
                    let message = format!("{} ({})", frame_path.display(), fs_reason(&error));
                    self.fail(&frame_path, message);
                }
                Ok((fd, entries)) => {
                    let mut children = Vec::with_capacity(entries.len());
                    for entry in entries {
                        let child = child_path(&frame_path, &entry.name);
                        let stat = fs::stat_at(fd.as_fd(), OsStr::from_bytes(&entry.name), &child);
                        children.push((child, stat, inner.clone()));
                    }
                    // Children of this directory come next, in directory order.
                    pending.extend(children.into_iter().rev());
                }
            }
        }
    }
}

/// Runs getcap over `paths`, sending every line and failure to `sink` in order. Returns the
/// number of failures (libcap's getcap exits 0 regardless; leastcap does not).
pub fn getcap(
    paths: &[PathBuf],
    options: GetcapOptions,
    kernel: KernelCaps,
    sink: &mut dyn for<'a> FnMut(GetcapEvent<'a>),
) -> usize {
    let mut run = Run {
        options,
        kernel,
        sink,
        failures: 0,
        _k: std::marker::PhantomData,
    };
    for path in paths {
        run.top(path);
    }
    run.failures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nftw_spelling_of_paths() {
        assert_eq!(nftw_root(Path::new("d/")), PathBuf::from("d"));
        assert_eq!(nftw_root(Path::new("./")), PathBuf::from("."));
        assert_eq!(nftw_root(Path::new("/")), PathBuf::from("/"));
        assert_eq!(nftw_root(Path::new("//")), PathBuf::from("/"));
        assert_eq!(child_path(Path::new("/"), b"bin"), PathBuf::from("/bin"));
        assert_eq!(child_path(Path::new("d"), b"t"), PathBuf::from("d/t"));
    }

    #[test]
    fn strerror_drops_the_os_error_suffix() {
        let error = std::io::Error::from_raw_os_error(2);
        assert_eq!(strerror(&error), "No such file or directory");
    }
}
