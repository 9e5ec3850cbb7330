//! Exact file names in JSON: a string when the name is UTF-8, plus its bytes in hex when not.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use serde::ser::SerializeMap;

/// Serializes as `{"path": "...", "path_hex": "..."}` fields (hex only for non-UTF-8 names).
pub fn path_fields<M: SerializeMap>(map: &mut M, path: &Path) -> Result<(), M::Error> {
    let bytes = path.as_os_str().as_bytes();
    match std::str::from_utf8(bytes) {
        Ok(text) => map.serialize_entry("path", text),
        Err(_) => {
            map.serialize_entry("path", &String::from_utf8_lossy(bytes))?;
            map.serialize_entry("path_hex", &hex(bytes))
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}
