//! Capability manifests: the file capabilities of a tree, saved by `scan --export` and
//! restored by `setcap --apply` (image builds often lose extended attributes).
//!
//! Format: NDJSON. The first line is `{"leastcap_manifest":1}`; each further line is one file
//! with its exact path (`path`, plus `path_hex` for names that are not UTF-8), the attribute
//! bytes in hex (`xattr`, authoritative) and, for people, libcap's text and the rootid.

use std::io::{BufRead, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use leastcap_model::{FileCaps, KernelCaps};
use serde::ser::{SerializeMap, Serializer};

use crate::path::{hex, path_fields, unhex};

pub const HEADER: &str = "{\"leastcap_manifest\":1}";

/// One file of a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub path: PathBuf,
    pub caps: FileCaps,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: line {line}: {message}", path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// Writes the header line.
pub fn write_header(out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "{HEADER}")
}

/// Writes one entry line.
pub fn write_entry(out: &mut dyn Write, entry: &Entry, kernel: KernelCaps) -> std::io::Result<()> {
    let mut buf = Vec::new();
    {
        let mut ser = serde_json::Serializer::new(&mut buf);
        let mut map = ser.serialize_map(None).map_err(std::io::Error::other)?;
        path_fields(&mut map, &entry.path).map_err(std::io::Error::other)?;
        map.serialize_entry("xattr", &hex(&entry.caps.to_xattr()))
            .map_err(std::io::Error::other)?;
        map.serialize_entry("text", &entry.caps.to_state().to_text(kernel))
            .map_err(std::io::Error::other)?;
        if let Some(rootid) = entry.caps.rootid {
            map.serialize_entry("rootid", &rootid)
                .map_err(std::io::Error::other)?;
        }
        map.end().map_err(std::io::Error::other)?;
    }
    buf.push(b'\n');
    out.write_all(&buf)
}

#[derive(serde::Deserialize)]
struct Line {
    path: String,
    #[serde(default)]
    path_hex: Option<String>,
    xattr: String,
}

/// Reads a manifest; every malformed line is an error naming the line.
pub fn read(source: &Path, reader: impl BufRead) -> Result<Vec<Entry>, ManifestError> {
    let malformed = |line: usize, message: String| ManifestError::Malformed {
        path: source.to_path_buf(),
        line,
        message,
    };
    let mut entries = Vec::new();
    let mut seen_header = false;
    for (index, line) in reader.lines().enumerate() {
        let number = index + 1;
        let line = line.map_err(|source_error| ManifestError::Io {
            path: source.to_path_buf(),
            source: source_error,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        if !seen_header {
            if line.trim() != HEADER {
                return Err(malformed(number, format!("expected the header {HEADER}")));
            }
            seen_header = true;
            continue;
        }
        let parsed: Line =
            serde_json::from_str(&line).map_err(|e| malformed(number, e.to_string()))?;
        let path = match parsed.path_hex {
            Some(h) => {
                let bytes =
                    unhex(&h).ok_or_else(|| malformed(number, "path_hex is not hex".into()))?;
                PathBuf::from(std::ffi::OsStr::from_bytes(&bytes))
            }
            None => PathBuf::from(parsed.path),
        };
        let bytes =
            unhex(&parsed.xattr).ok_or_else(|| malformed(number, "xattr is not hex".into()))?;
        let caps = FileCaps::from_xattr(&bytes).map_err(|e| malformed(number, e.to_string()))?;
        entries.push(Entry { path, caps });
    }
    if !seen_header {
        return Err(malformed(
            0,
            "empty file, expected a leastcap manifest".into(),
        ));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use leastcap_model::CapSet;

    #[test]
    fn round_trips_with_odd_names() {
        let entries = vec![
            Entry {
                path: PathBuf::from("/a b\nc"),
                caps: FileCaps {
                    permitted: CapSet::from_bits(1 << 13),
                    effective: true,
                    ..FileCaps::default()
                },
            },
            Entry {
                path: PathBuf::from(std::ffi::OsStr::from_bytes(b"/bad\xff")),
                caps: FileCaps {
                    inheritable: CapSet::from_bits(1 << 45),
                    rootid: Some(1000),
                    ..FileCaps::default()
                },
            },
        ];
        let mut out = Vec::new();
        write_header(&mut out).expect("write");
        for entry in &entries {
            write_entry(&mut out, entry, KernelCaps::LINUX_6).expect("write");
        }
        let back = read(Path::new("m"), &out[..]).expect("read");
        let normalized: Vec<Entry> = back
            .into_iter()
            .map(|e| Entry {
                caps: FileCaps {
                    revision: 0,
                    ..e.caps
                },
                ..e
            })
            .collect();
        assert_eq!(normalized, entries);
        assert!(read(Path::new("m"), &b"{}\n"[..]).is_err());
        let bad = format!("{HEADER}\n{{\"path\":\"/x\",\"xattr\":\"0102\"}}\n");
        let error = read(Path::new("m"), bad.as_bytes()).expect_err("corrupt");
        assert!(error.to_string().contains("line 2"), "{error}");
    }
}
