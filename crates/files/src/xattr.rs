//! Reading and writing the `security.capability` attribute of one file.

use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use leastcap_model::{FileCaps, XattrError};
use leastcap_sys::fs::{self, FsError};

/// Reading or writing a file's capabilities failed.
#[derive(Debug, thiserror::Error)]
pub enum CapsError {
    #[error(transparent)]
    Io(#[from] FsError),
    #[error("{}: corrupt security.capability: {source}", path.display())]
    Corrupt {
        path: PathBuf,
        #[source]
        source: XattrError,
    },
    #[error("{}: not a regular file", path.display())]
    NotRegular { path: PathBuf },
}

impl CapsError {
    pub fn errno(&self) -> Option<i32> {
        match self {
            CapsError::Io(error) => error.errno(),
            _ => None,
        }
    }
}

/// What a file's attribute holds: nothing, or decoded capabilities.
pub type ReadCaps = Option<FileCaps>;

/// Decodes a raw attribute value read from `path`.
pub fn decode(path: &Path, raw: Option<Vec<u8>>) -> Result<ReadCaps, CapsError> {
    match raw {
        None => Ok(None),
        Some(bytes) => {
            FileCaps::from_xattr(&bytes)
                .map(Some)
                .map_err(|source| CapsError::Corrupt {
                    path: path.to_path_buf(),
                    source,
                })
        }
    }
}

/// Reads a file's capabilities by path; `follow` follows a final symlink like libcap's
/// `cap_get_file` (getcap without `-r`), otherwise the link itself is read.
pub fn read_caps(path: &Path, follow: bool) -> Result<ReadCaps, CapsError> {
    decode(path, fs::get_caps_path(path, follow)?)
}

/// An opened regular file whose attribute can be read and written without any path race.
#[derive(Debug)]
pub struct CapFile {
    fd: std::os::fd::OwnedFd,
    pub path: PathBuf,
    pub stat: fs::FileStat,
}

impl CapFile {
    /// Opens `path` with `O_RDONLY|O_NOFOLLOW`: a symlink (`ELOOP`) or anything but a regular
    /// file is refused.
    pub fn open(path: &Path) -> Result<CapFile, CapsError> {
        let fd = fs::open_nofollow(path)?;
        let stat = fs::stat_fd(fd.as_fd(), path)?;
        if !stat.is_file() {
            return Err(CapsError::NotRegular {
                path: path.to_path_buf(),
            });
        }
        Ok(CapFile {
            fd,
            path: path.to_path_buf(),
            stat,
        })
    }

    pub fn read(&self) -> Result<ReadCaps, CapsError> {
        decode(&self.path, self.read_raw()?)
    }

    /// The attribute's bytes, undecoded (`None`: no attribute).
    pub fn read_raw(&self) -> Result<Option<Vec<u8>>, CapsError> {
        Ok(fs::get_caps_fd(self.fd.as_fd(), &self.path)?)
    }

    /// Writes the capabilities (revision 2, or 3 when a rootid is set).
    pub fn write(&self, caps: &FileCaps) -> Result<(), CapsError> {
        Ok(fs::set_caps_fd(
            self.fd.as_fd(),
            &caps.to_xattr(),
            &self.path,
        )?)
    }

    /// Writes raw attribute bytes (manifest restore: exactly what was saved).
    pub fn write_raw(&self, bytes: &[u8]) -> Result<(), CapsError> {
        Ok(fs::set_caps_fd(self.fd.as_fd(), bytes, &self.path)?)
    }

    /// Removes the attribute; `false` when there was none.
    pub fn remove(&self) -> Result<bool, CapsError> {
        Ok(fs::remove_caps_fd(self.fd.as_fd(), &self.path)?)
    }
}
