//! Directory-relative file system calls for reading and writing file capabilities.
//!
//! * Writes go through `open(O_RDONLY|O_NOFOLLOW)` and `fsetxattr`/`fremovexattr`: the last
//!   path component is never followed when it is a symlink, the attribute lands on the very
//!   inode that was checked, and a binary that is running can be changed (no `ETXTBSY`, since
//!   the file is not opened for writing).
//! * Reads in a tree walk are relative to an open directory: `statx(dirfd, name,
//!   AT_SYMLINK_NOFOLLOW)` and `getxattrat(dirfd, name, AT_SYMLINK_NOFOLLOW)` (Linux 6.13+,
//!   with an `lgetxattr(full path)` fallback), and `getdents64` on the directory's fd.

use std::ffi::{CStr, CString, OsStr};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};

/// The attribute that holds file capabilities, NUL-terminated for the kernel.
const CAP_XATTR: &CStr = c"security.capability";

/// Larger than any `security.capability` value (24 bytes for revision 3).
const XATTR_BUF: usize = 64;

/// x86_64 / generic syscall number of `getxattrat` (Linux 6.13; `setxattrat` is 463).
/// Verified on this project's 6.18 kernel: 463 wrote the attribute, 464 read it.
#[cfg(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    target_arch = "riscv64"
))]
const SYS_GETXATTRAT: libc::c_long = 464;

/// A file system call failed; names the call and the path.
#[derive(Debug, thiserror::Error)]
#[error("{call} {}: {source}", path.display())]
pub struct FsError {
    pub call: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

impl FsError {
    fn last(call: &'static str, path: &Path) -> FsError {
        FsError {
            call,
            path: path.to_path_buf(),
            source: io::Error::last_os_error(),
        }
    }

    fn from_errno(call: &'static str, path: &Path, errno: i32) -> FsError {
        FsError {
            call,
            path: path.to_path_buf(),
            source: io::Error::from_raw_os_error(errno),
        }
    }

    /// The raw errno, when the failure came from the kernel.
    pub fn errno(&self) -> Option<i32> {
        self.source.raw_os_error()
    }

    /// The file or one of its directories vanished (ENOENT/ENOTDIR).
    pub fn is_vanished(&self) -> bool {
        matches!(self.errno(), Some(libc::ENOENT) | Some(libc::ENOTDIR))
    }
}

fn cstring(path: &Path, call: &'static str) -> Result<CString, FsError> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| FsError {
        call,
        path: path.to_path_buf(),
        source: io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"),
    })
}

fn cname(name: &OsStr, dir: &Path, call: &'static str) -> Result<CString, FsError> {
    CString::new(name.as_bytes()).map_err(|_| FsError {
        call,
        path: dir.join(name),
        source: io::Error::new(io::ErrorKind::InvalidInput, "name contains a NUL byte"),
    })
}

/// A NUL-terminated file name on the stack (a name is at most 255 bytes; longer input, which
/// the kernel rejects anyway, goes to the heap).
#[allow(clippy::large_enum_variant)] // lives on the stack for one call, by design
enum CName {
    Stack([u8; 256], usize),
    Heap(CString),
}

impl CName {
    fn new(name: &[u8]) -> Option<CName> {
        if name.contains(&0) {
            return None;
        }
        if name.len() < 256 {
            let mut buf = [0u8; 256];
            buf[..name.len()].copy_from_slice(name);
            Some(CName::Stack(buf, name.len()))
        } else {
            CString::new(name).ok().map(CName::Heap)
        }
    }

    fn as_cstr(&self) -> &CStr {
        match self {
            CName::Stack(buf, len) => CStr::from_bytes_with_nul(&buf[..=*len]).unwrap_or(c""),
            CName::Heap(c) => c,
        }
    }
}

fn entry_name(name: &[u8], dir: &Path, call: &'static str) -> Result<CName, FsError> {
    CName::new(name).ok_or_else(|| FsError {
        call,
        path: dir.join(OsStr::from_bytes(name)),
        source: io::Error::new(io::ErrorKind::InvalidInput, "name contains a NUL byte"),
    })
}

/// `statx(dirfd, name, AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT)` for an entry of the directory
/// at `dir_path` (used only to name the file in an error; no path is built otherwise).
pub fn stat_entry(dir: BorrowedFd<'_>, dir_path: &Path, name: &[u8]) -> Result<FileStat, FsError> {
    let c = entry_name(name, dir_path, "statx")?;
    // SAFETY: an all-zero statx is a valid value of this plain C struct.
    let mut buf: libc::statx = unsafe { std::mem::zeroed() };
    let mask =
        libc::STATX_TYPE | libc::STATX_MODE | libc::STATX_UID | libc::STATX_GID | libc::STATX_INO;
    // SAFETY: the name is NUL-terminated and lives across the call; buf is a valid statx;
    // dir is an open descriptor.
    let rc = unsafe {
        libc::statx(
            dir.as_raw_fd(),
            c.as_cstr().as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW | libc::AT_NO_AUTOMOUNT,
            mask,
            &mut buf,
        )
    };
    if rc != 0 {
        return Err(FsError::last(
            "statx",
            &dir_path.join(OsStr::from_bytes(name)),
        ));
    }
    Ok(from_statx(&buf))
}

/// What `statx` says about one directory entry (never following a symlink).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStat {
    /// `st_mode`: file type and permission bits.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub ino: u64,
    /// Device number (`makedev(major, minor)`), as `st_dev`.
    pub dev: u64,
    pub size: u64,
    /// Mount id (`STATX_MNT_ID`), 0 when the kernel does not report it.
    pub mnt_id: u64,
}

impl FileStat {
    pub fn file_type(&self) -> u32 {
        self.mode & libc::S_IFMT
    }
    pub fn is_dir(&self) -> bool {
        self.file_type() == libc::S_IFDIR
    }
    pub fn is_file(&self) -> bool {
        self.file_type() == libc::S_IFREG
    }
    pub fn is_symlink(&self) -> bool {
        self.file_type() == libc::S_IFLNK
    }
}

fn from_statx(buf: &libc::statx) -> FileStat {
    FileStat {
        mode: u32::from(buf.stx_mode),
        uid: buf.stx_uid,
        gid: buf.stx_gid,
        ino: buf.stx_ino,
        dev: libc::makedev(buf.stx_dev_major, buf.stx_dev_minor),
        size: buf.stx_size,
        mnt_id: if buf.stx_mask & libc::STATX_MNT_ID != 0 {
            buf.stx_mnt_id
        } else {
            0
        },
    }
}

fn statx_raw(dirfd: RawFd, name: &CStr, flags: i32, path: &Path) -> Result<FileStat, FsError> {
    // SAFETY: an all-zero statx is a valid value of this plain C struct.
    let mut buf: libc::statx = unsafe { std::mem::zeroed() };
    let mask = libc::STATX_TYPE
        | libc::STATX_MODE
        | libc::STATX_UID
        | libc::STATX_GID
        | libc::STATX_INO
        | libc::STATX_SIZE
        | libc::STATX_MNT_ID;
    // SAFETY: name is NUL-terminated, buf is a valid statx the kernel may write to, and dirfd
    // is an open descriptor (or AT_FDCWD) for the duration of the call.
    let rc = unsafe { libc::statx(dirfd, name.as_ptr(), flags, mask, &mut buf) };
    if rc != 0 {
        return Err(FsError::last("statx", path));
    }
    Ok(from_statx(&buf))
}

/// `statx(dirfd, name, AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT)`; `path` is for messages.
pub fn stat_at(dir: BorrowedFd<'_>, name: &OsStr, path: &Path) -> Result<FileStat, FsError> {
    let c = cname(name, path, "statx")?;
    statx_raw(
        dir.as_raw_fd(),
        &c,
        libc::AT_SYMLINK_NOFOLLOW | libc::AT_NO_AUTOMOUNT,
        path,
    )
}

/// `lstat` of a path through `statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW)`.
pub fn lstat(path: &Path) -> Result<FileStat, FsError> {
    let c = cstring(path, "statx")?;
    statx_raw(
        libc::AT_FDCWD,
        &c,
        libc::AT_SYMLINK_NOFOLLOW | libc::AT_NO_AUTOMOUNT,
        path,
    )
}

/// `fstat` of an open descriptor through `statx(fd, "", AT_EMPTY_PATH)`.
pub fn stat_fd(fd: BorrowedFd<'_>, path: &Path) -> Result<FileStat, FsError> {
    statx_raw(fd.as_raw_fd(), c"", libc::AT_EMPTY_PATH, path)
}

/// Opens a file for attribute writes: `O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_NOCTTY|O_CLOEXEC`.
///
/// A symlink as the last component fails with `ELOOP`; a FIFO does not block; a running
/// executable opens fine (no write access is asked for).
pub fn open_nofollow(path: &Path) -> Result<OwnedFd, FsError> {
    let c = cstring(path, "open")?;
    // SAFETY: c is NUL-terminated and lives across the call; the flags take no mode argument.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(FsError::last("open", path));
    }
    // SAFETY: fd was just returned by open and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Opens a directory for a walk, relative to its parent (`None`: `name` is a full path).
/// Never follows a symlink in the last component.
pub fn open_dir_at(
    parent: Option<BorrowedFd<'_>>,
    name: &OsStr,
    path: &Path,
) -> Result<OwnedFd, FsError> {
    let c = cname(name, path, "open")?;
    let dirfd = parent.map_or(libc::AT_FDCWD, |fd| fd.as_raw_fd());
    // SAFETY: c is NUL-terminated; dirfd is open (or AT_FDCWD) for the call.
    let fd = unsafe {
        libc::openat(
            dirfd,
            c.as_ptr(),
            libc::O_RDONLY
                | libc::O_DIRECTORY
                | libc::O_NOFOLLOW
                | libc::O_CLOEXEC
                | libc::O_NOCTTY,
        )
    };
    if fd < 0 {
        return Err(FsError::last("open", path));
    }
    // SAFETY: fd was just returned by openat and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Type of a directory entry as `getdents64` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryType {
    Dir,
    File,
    Symlink,
    /// FIFO, socket, device: never a privileged file.
    Other,
    /// The file system did not say (`DT_UNKNOWN`): ask `statx`.
    Unknown,
}

/// One entry of a directory (never `.` or `..`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub name: Vec<u8>,
    pub ino: u64,
    pub kind: EntryType,
}

/// Reads every entry of an open directory with `getdents64`, in the kernel's order (the
/// order `readdir` and `nftw` see).
pub fn read_dir_fd(dir: BorrowedFd<'_>, path: &Path) -> Result<Vec<DirEntry>, FsError> {
    let mut entries = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        // SAFETY: buf is writable for buf.len() bytes; the fd is an open directory.
        let n = unsafe {
            libc::syscall(
                libc::SYS_getdents64,
                dir.as_raw_fd(),
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
        if n < 0 {
            return Err(FsError::last("getdents64", path));
        }
        if n == 0 {
            return Ok(entries);
        }
        let filled = usize::try_from(n).unwrap_or(0).min(buf.len());
        parse_dirents(&buf[..filled], &mut entries).map_err(|message| FsError {
            call: "getdents64",
            path: path.to_path_buf(),
            source: io::Error::new(io::ErrorKind::InvalidData, message),
        })?;
    }
}

/// Parses the `linux_dirent64` records `getdents64` filled in, skipping `.` and `..`.
fn parse_dirents(buf: &[u8], entries: &mut Vec<DirEntry>) -> Result<(), &'static str> {
    let filled = buf.len();
    let mut at = 0;
    // struct linux_dirent64 { u64 d_ino; i64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
    // The kernel fills whole records; anything else is an error, never a guess.
    while at < filled {
        if at + 19 > filled {
            return Err("truncated linux_dirent64 header");
        }
        let ino = u64::from_ne_bytes(buf[at..at + 8].try_into().unwrap_or([0; 8]));
        let reclen = usize::from(u16::from_ne_bytes([buf[at + 16], buf[at + 17]]));
        let dtype = buf[at + 18];
        // At least the header and a one-byte name's NUL.
        if reclen < 20 {
            return Err("linux_dirent64 record length shorter than its header");
        }
        if reclen > filled - at {
            return Err("linux_dirent64 record runs past the bytes returned");
        }
        let raw = &buf[at + 19..at + reclen];
        let len = raw
            .iter()
            .position(|b| *b == 0)
            .ok_or("linux_dirent64 name is not NUL-terminated")?;
        let name = &raw[..len];
        at += reclen;
        if name == b"." || name == b".." {
            continue;
        }
        let kind = match dtype {
            libc::DT_DIR => EntryType::Dir,
            libc::DT_REG => EntryType::File,
            libc::DT_LNK => EntryType::Symlink,
            libc::DT_UNKNOWN => EntryType::Unknown,
            _ => EntryType::Other,
        };
        entries.push(DirEntry {
            name: name.to_vec(),
            ino,
            kind,
        });
    }
    Ok(())
}

/// Outcome of reading `security.capability`.
pub type XattrValue = Option<Vec<u8>>;

fn xattr_result(
    rc: isize,
    buf: &[u8],
    call: &'static str,
    path: &Path,
) -> Result<XattrValue, FsError> {
    if rc < 0 {
        let error = io::Error::last_os_error();
        return match error.raw_os_error() {
            Some(libc::ENODATA) | Some(libc::EOPNOTSUPP) => Ok(None),
            _ => Err(FsError {
                call,
                path: path.to_path_buf(),
                source: error,
            }),
        };
    }
    let len = usize::try_from(rc).unwrap_or(0).min(buf.len());
    Ok(Some(buf[..len].to_vec()))
}

/// `fgetxattr(fd, "security.capability")`: `None` when the file has none (or the file system
/// has no extended attributes).
pub fn get_caps_fd(fd: BorrowedFd<'_>, path: &Path) -> Result<XattrValue, FsError> {
    let mut buf = [0u8; XATTR_BUF];
    // SAFETY: buf is writable for its length; the name is NUL-terminated; fd is open.
    let rc = unsafe {
        libc::fgetxattr(
            fd.as_raw_fd(),
            CAP_XATTR.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    xattr_result(rc, &buf, "fgetxattr", path)
}

/// `getxattr(path)` (follows symlinks, as libcap's `cap_get_file` does) or `lgetxattr(path)`.
pub fn get_caps_path(path: &Path, follow: bool) -> Result<XattrValue, FsError> {
    let c = cstring(path, "getxattr")?;
    let mut buf = [0u8; XATTR_BUF];
    // SAFETY: c and the attribute name are NUL-terminated; buf is writable for its length.
    let rc = unsafe {
        if follow {
            libc::getxattr(
                c.as_ptr(),
                CAP_XATTR.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        } else {
            libc::lgetxattr(
                c.as_ptr(),
                CAP_XATTR.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        }
    };
    xattr_result(
        rc,
        &buf,
        if follow { "getxattr" } else { "lgetxattr" },
        path,
    )
}

/// 0 = not probed yet, 1 = getxattrat works, 2 = missing (fall back).
static GETXATTRAT: AtomicU8 = AtomicU8::new(0);

/// Whether the running kernel has `getxattrat` (probed on first use).
pub fn has_getxattrat() -> bool {
    GETXATTRAT.load(Ordering::Relaxed) != 2
}

#[repr(C)]
struct XattrArgs {
    value: u64,
    size: u32,
    flags: u32,
}

/// Reads `security.capability` of the entry `name` of the open directory `dir`, never
/// following a symlink: `getxattrat(dir, name, AT_SYMLINK_NOFOLLOW)` where the kernel has it
/// (Linux 6.13+), otherwise `lgetxattr` on the full path. `dir_path` names the directory; the
/// full path is built only for an error or the fallback. `None`: no attribute.
pub fn get_caps_entry(
    dir: BorrowedFd<'_>,
    dir_path: &Path,
    name: &[u8],
) -> Result<XattrValue, FsError> {
    #[cfg(any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "riscv64"
    ))]
    if GETXATTRAT.load(Ordering::Relaxed) != 2 {
        let c = entry_name(name, dir_path, "getxattrat")?;
        let mut buf = [0u8; XATTR_BUF];
        let args = XattrArgs {
            value: buf.as_mut_ptr() as u64,
            size: XATTR_BUF as u32,
            flags: 0,
        };
        // SAFETY: the names are NUL-terminated, args points at a live xattr_args of the size
        // passed, whose value points at buf (writable for size bytes); dir is open.
        let rc = unsafe {
            libc::syscall(
                SYS_GETXATTRAT,
                dir.as_raw_fd(),
                c.as_cstr().as_ptr(),
                libc::AT_SYMLINK_NOFOLLOW as libc::c_uint,
                CAP_XATTR.as_ptr(),
                &args as *const XattrArgs,
                std::mem::size_of::<XattrArgs>(),
            )
        };
        let error = io::Error::last_os_error();
        if rc < 0 && error.raw_os_error() == Some(libc::ENOSYS) {
            GETXATTRAT.store(2, Ordering::Relaxed);
        } else {
            GETXATTRAT.store(1, Ordering::Relaxed);
            if rc < 0 {
                return match error.raw_os_error() {
                    Some(libc::ENODATA) | Some(libc::EOPNOTSUPP) => Ok(None),
                    _ => Err(FsError {
                        call: "getxattrat",
                        path: dir_path.join(OsStr::from_bytes(name)),
                        source: error,
                    }),
                };
            }
            let len = usize::try_from(rc).unwrap_or(0).min(buf.len());
            return Ok(Some(buf[..len].to_vec()));
        }
    }
    get_caps_path(&dir_path.join(OsStr::from_bytes(name)), false)
}

/// Writes `security.capability` on an open file (`fsetxattr`, replacing any value).
pub fn set_caps_fd(fd: BorrowedFd<'_>, value: &[u8], path: &Path) -> Result<(), FsError> {
    // SAFETY: value is readable for its length; the name is NUL-terminated; fd is open.
    let rc = unsafe {
        libc::fsetxattr(
            fd.as_raw_fd(),
            CAP_XATTR.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    if rc != 0 {
        return Err(FsError::last("fsetxattr", path));
    }
    Ok(())
}

/// Removes `security.capability` from an open file. `Ok(false)` when it had none.
pub fn remove_caps_fd(fd: BorrowedFd<'_>, path: &Path) -> Result<bool, FsError> {
    // SAFETY: the name is NUL-terminated; fd is open.
    let rc = unsafe { libc::fremovexattr(fd.as_raw_fd(), CAP_XATTR.as_ptr()) };
    if rc != 0 {
        let errno = io::Error::last_os_error().raw_os_error();
        if errno == Some(libc::ENODATA) {
            return Ok(false);
        }
        return Err(FsError::from_errno(
            "fremovexattr",
            path,
            errno.unwrap_or(libc::EIO),
        ));
    }
    Ok(true)
}

/// File system type magic of an open file (`fstatfs` `f_type`), to skip pseudo and network
/// file systems.
pub fn fs_magic(fd: BorrowedFd<'_>, path: &Path) -> Result<u64, FsError> {
    // SAFETY: an all-zero statfs is a valid value of this plain C struct.
    let mut buf: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: buf is a valid statfs the kernel may write to; fd is open.
    let rc = unsafe { libc::fstatfs(fd.as_raw_fd(), &mut buf) };
    if rc != 0 {
        return Err(FsError::last("fstatfs", path));
    }
    Ok(buf.f_type as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn directory_relative_calls_agree_with_path_calls() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("a"), b"x").expect("write");
        std::os::unix::fs::symlink("a", dir.path().join("link")).expect("symlink");
        let fd = open_dir_at(None, dir.path().as_os_str(), dir.path()).expect("open dir");
        let mut names: Vec<_> = read_dir_fd(fd.as_fd(), dir.path())
            .expect("read")
            .into_iter()
            .map(|e| (e.name, e.kind))
            .collect();
        names.sort();
        assert_eq!(
            names,
            vec![
                (b"a".to_vec(), EntryType::File),
                (b"link".to_vec(), EntryType::Symlink)
            ]
        );
        let st = stat_at(fd.as_fd(), OsStr::new("a"), &dir.path().join("a")).expect("stat");
        assert!(st.is_file());
        assert_eq!(st.size, 1);
        let link = stat_at(fd.as_fd(), OsStr::new("link"), &dir.path().join("link")).expect("stat");
        assert!(link.is_symlink());
        assert_eq!(
            get_caps_entry(fd.as_fd(), dir.path(), b"a").expect("xattr"),
            None
        );
        let gone =
            stat_at(fd.as_fd(), OsStr::new("gone"), &dir.path().join("gone")).expect_err("gone");
        assert!(gone.is_vanished());
        assert!(gone.to_string().contains("gone"), "{gone}");
    }

    fn kernel_at_least(major: u32, minor: u32) -> bool {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let mut parts = release
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|p| p.parse::<u32>().ok());
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (major, minor)
    }

    /// The raw syscall number and argument layout of getxattrat are right: it returns the
    /// same bytes as fgetxattr and lgetxattr (writing security.capability needs root).
    #[test]
    fn getxattrat_agrees_with_fgetxattr_and_lgetxattr() {
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("SKIPPED getxattrat_agrees_with_fgetxattr_and_lgetxattr: needs root");
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"x").expect("write");
        let v3 = [
            1, 0, 0, 3, 0, 0x30, 0, 0, 0, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xe8, 3, 0, 0,
        ];
        let file = open_nofollow(&path).expect("open");
        set_caps_fd(file.as_fd(), &v3, &path).expect("fsetxattr");
        let dirfd = open_dir_at(None, dir.path().as_os_str(), dir.path()).expect("open dir");
        let relative = get_caps_entry(dirfd.as_fd(), dir.path(), b"f").expect("getxattrat");
        assert_eq!(relative.as_deref(), Some(&v3[..]));
        assert_eq!(
            get_caps_fd(file.as_fd(), &path)
                .expect("fgetxattr")
                .as_deref(),
            Some(&v3[..])
        );
        assert_eq!(
            get_caps_path(&path, false).expect("lgetxattr").as_deref(),
            Some(&v3[..])
        );
        if kernel_at_least(6, 13) {
            assert_eq!(
                GETXATTRAT.load(Ordering::Relaxed),
                1,
                "getxattrat was used, not the fallback"
            );
        }
        assert!(remove_caps_fd(file.as_fd(), &path).expect("remove"));
        assert!(!remove_caps_fd(file.as_fd(), &path).expect("remove again"));
        assert_eq!(
            get_caps_entry(dirfd.as_fd(), dir.path(), b"f").expect("getxattrat"),
            None
        );
    }

    fn dirent(ino: u64, reclen: u16, dtype: u8, name: &[u8]) -> Vec<u8> {
        let mut rec = Vec::new();
        rec.extend_from_slice(&ino.to_ne_bytes());
        rec.extend_from_slice(&0i64.to_ne_bytes());
        rec.extend_from_slice(&reclen.to_ne_bytes());
        rec.push(dtype);
        rec.extend_from_slice(name);
        rec.resize(usize::from(reclen).max(rec.len()), 0);
        rec
    }

    /// Malformed getdents64 records (a record length shorter than the header, past the end
    /// of what was filled, a name without its NUL) are errors, never a panic or a silently
    /// dropped rest of the directory.
    #[test]
    fn malformed_dirents_are_errors() {
        let mut good = dirent(7, 24, libc::DT_REG, b"abc\0");
        good.extend(dirent(8, 24, libc::DT_DIR, b".\0"));
        let mut entries = Vec::new();
        assert_eq!(parse_dirents(&good, &mut entries), Ok(()));
        assert_eq!(
            entries,
            vec![DirEntry {
                name: b"abc".to_vec(),
                ino: 7,
                kind: EntryType::File
            }]
        );
        let mut short = dirent(7, 24, libc::DT_REG, b"abc\0");
        short.extend(dirent(9, 10, libc::DT_REG, b"x\0\0\0\0\0\0\0\0\0\0\0\0\0"));
        let mut past_end = dirent(7, 24, libc::DT_REG, b"abc\0");
        past_end.extend(&dirent(9, 40, libc::DT_REG, b"name\0")[..24]);
        let zero = dirent(9, 0, libc::DT_REG, b"abcdefgh\0");
        let unterminated = dirent(9, 24, libc::DT_REG, b"abcde");
        let truncated_header = dirent(7, 24, libc::DT_REG, b"abc\0")[..12].to_vec();
        for (what, buf) in [
            ("short record", short),
            ("past the end", past_end),
            ("zero length", zero),
            ("no NUL", unterminated),
            ("truncated header", truncated_header),
        ] {
            let mut entries = Vec::new();
            assert!(
                parse_dirents(&buf, &mut entries).is_err(),
                "{what}: {entries:?}"
            );
        }
    }

    #[test]
    fn open_nofollow_refuses_symlinks() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("a"), b"x").expect("write");
        std::os::unix::fs::symlink("a", dir.path().join("link")).expect("symlink");
        assert!(open_nofollow(&dir.path().join("a")).is_ok());
        let error = open_nofollow(&dir.path().join("link")).expect_err("symlink");
        assert_eq!(error.errno(), Some(libc::ELOOP));
    }
}
