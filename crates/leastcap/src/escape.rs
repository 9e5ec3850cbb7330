//! Making untrusted names (file names, comm strings) safe to print on a terminal.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// Escapes control characters, backslashes and invalid UTF-8 so a name cannot move the
/// cursor, change colours or forge extra output lines. Printable UTF-8 is kept as is.
///
/// `\n`, `\t`, `\r` and `\\` use C escapes; other control bytes and bytes that are not UTF-8
/// become `\xNN`.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => {
                    let mut buf = [0u8; 4];
                    for byte in c.encode_utf8(&mut buf).bytes() {
                        out.push_str(&format!("\\x{byte:02x}"));
                    }
                }
                c => out.push(c),
            }
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out
}

pub fn escape_os(name: &OsStr) -> String {
    escape_bytes(name.as_bytes())
}

pub fn escape_str(name: &str) -> String {
    escape_bytes(name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_bytes(b"a\nb"), "a\\nb");
        assert_eq!(escape_bytes(b"\x1b[31mred"), "\\x1b[31mred");
        assert_eq!(escape_bytes(b"back\\slash"), "back\\\\slash");
        assert_eq!(escape_bytes(b"bad\xffutf8"), "bad\\xffutf8");
        assert_eq!(escape_bytes("café".as_bytes()), "café");
        assert_eq!(escape_bytes("\u{85}".as_bytes()), "\\xc2\\x85");
    }
}
