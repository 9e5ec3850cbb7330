//! libcap's capability text format (`cap_from_text` / `cap_to_text`), both ways.
//!
//! The printer reproduces libcap 2.66+ byte for byte for the same kernel (the same
//! `cap_last_cap`); the parser accepts exactly libcap's grammar and names the position of the
//! first thing it cannot accept.

use std::fmt;

use crate::cap::Cap;
use crate::set::{CapSet, KernelCaps};
use crate::state::{CapState, FLAG_E, FLAG_I, FLAG_P};

/// Text that is not a valid capability description, with the byte position of the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct TextError {
    pub input: String,
    /// Byte offset into `input` (0-based).
    pub position: usize,
    pub expected: String,
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let found = match self.input[self.position..].chars().next() {
            Some(c) => format!("'{}'", c.escape_default()),
            None => "end of text".to_string(),
        };
        write!(
            f,
            "invalid capability text '{}' at column {}: expected {}, found {}",
            self.input.escape_default(),
            self.position + 1,
            self.expected,
            found
        )
    }
}

struct Cursor<'a> {
    input: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(input: &'a str) -> Self {
        Cursor {
            input,
            bytes: input.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn at_clause_end(&self) -> bool {
        self.peek().is_none_or(|b| b.is_ascii_whitespace())
    }

    fn error(&self, expected: &str) -> TextError {
        // Never point into the middle of a UTF-8 sequence.
        let mut position = self.pos.min(self.input.len());
        while !self.input.is_char_boundary(position) {
            position -= 1;
        }
        TextError {
            input: self.input.to_string(),
            position,
            expected: expected.to_string(),
        }
    }

    fn starts_word(byte: Option<u8>) -> bool {
        byte.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
    }

    /// One capability: a number (C `strtoul` base 0: decimal, `0x` hex or `0` octal) or a name.
    fn capability(&mut self, kernel: KernelCaps) -> Result<CapSet, TextError> {
        let start = self.pos;
        if self.peek().is_some_and(|b| b.is_ascii_digit()) {
            let value = self.strtoul();
            return match u8::try_from(value).ok().and_then(Cap::new) {
                Some(cap) => Ok(CapSet::EMPTY.with(cap)),
                None => {
                    self.pos = start;
                    Err(self.error("a capability number below 64"))
                }
            };
        }
        let end = self.bytes[start..]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
            .map_or(self.bytes.len(), |offset| start + offset);
        let word = &self.input[start..end];
        if word.eq_ignore_ascii_case("all") {
            self.pos = end;
            return Ok(kernel.all());
        }
        match Cap::from_libcap_name(word) {
            Some(cap) => {
                self.pos = end;
                Ok(CapSet::EMPTY.with(cap))
            }
            None => Err(self.error("a capability name (such as cap_net_raw), a number or 'all'")),
        }
    }

    fn strtoul(&mut self) -> u128 {
        let digits_from = |cursor: &Self, at: usize, radix: u32| {
            cursor.bytes[at..]
                .iter()
                .take_while(|b| (**b as char).is_digit(radix))
                .count()
        };
        let (radix, digits_start) = if self.bytes[self.pos..].starts_with(b"0x")
            || self.bytes[self.pos..].starts_with(b"0X")
        {
            if digits_from(self, self.pos + 2, 16) > 0 {
                (16, self.pos + 2)
            } else {
                (8, self.pos)
            }
        } else if self.peek() == Some(b'0') {
            (8, self.pos)
        } else {
            (10, self.pos)
        };
        let count = digits_from(self, digits_start, radix);
        let mut value: u128 = 0;
        for byte in &self.bytes[digits_start..digits_start + count] {
            let digit = u128::from((*byte as char).to_digit(radix).unwrap_or(0));
            value = value
                .saturating_mul(u128::from(radix))
                .saturating_add(digit);
        }
        self.pos = digits_start + count;
        value
    }
}

impl CapState {
    /// Parses libcap's text format exactly as `cap_from_text()` does.
    ///
    /// `all` (and a clause without names, such as `=ep`) means every capability the kernel
    /// supports. Empty or whitespace-only text is the empty state, as in libcap; commands that
    /// must not accept that (setcap) check with [`str::trim`] themselves.
    pub fn from_text(text: &str, kernel: KernelCaps) -> Result<CapState, TextError> {
        let mut state = CapState::EMPTY;
        let mut cursor = Cursor::new(text);
        loop {
            while cursor.peek().is_some_and(|b| b.is_ascii_whitespace()) {
                cursor.pos += 1;
            }
            if cursor.peek().is_none() {
                return Ok(state);
            }
            parse_clause(&mut cursor, &mut state, kernel)?;
        }
    }

    /// Like [`CapState::from_text`], but empty or whitespace-only text is an error, as libcap
    /// 2.70's setcap has it: a request for "no capabilities" must be explicit (`=`).
    pub fn from_request_text(text: &str, kernel: KernelCaps) -> Result<CapState, TextError> {
        if text.trim().is_empty() {
            return Err(TextError {
                input: text.to_string(),
                position: text.len(),
                expected: "a capability clause such as cap_net_raw=ep ('=' for the empty set)"
                    .to_string(),
            });
        }
        CapState::from_text(text, kernel)
    }

    /// The canonical text libcap's `cap_to_text()` prints for this state on `kernel`.
    pub fn to_text(&self, kernel: KernelCaps) -> String {
        canonical_text(self, kernel)
    }
}

fn parse_clause(
    cursor: &mut Cursor<'_>,
    state: &mut CapState,
    kernel: KernelCaps,
) -> Result<(), TextError> {
    let mut listed = false;
    let mut caps = CapSet::EMPTY;
    if Cursor::starts_word(cursor.peek()) {
        loop {
            caps |= cursor.capability(kernel)?;
            if cursor.peek() != Some(b',') {
                break;
            }
            cursor.pos += 1;
            if !Cursor::starts_word(cursor.peek()) {
                return Err(cursor.error("a capability name after ','"));
            }
        }
        listed = true;
    } else if matches!(cursor.peek(), Some(b'+' | b'-')) {
        return Err(cursor.error("a capability list before '+' or '-' (only '=' may stand alone)"));
    } else {
        // A clause without names (`=ep`) covers every capability the kernel has, like `all`.
        caps = kernel.all();
    }

    #[derive(PartialEq, Clone, Copy)]
    enum Op {
        Assign,
        AssignRaise,
        AssignLower,
        Raise,
        Lower,
    }
    let mut op = match cursor.peek() {
        Some(b'=') => {
            cursor.pos += 1;
            match cursor.peek() {
                Some(b'+' | b'-') if !listed => {
                    return Err(
                        cursor.error("a flag (e, i or p): '=+' and '=-' need a capability list")
                    )
                }
                Some(b'+') => {
                    cursor.pos += 1;
                    Op::AssignRaise
                }
                Some(b'-') => {
                    cursor.pos += 1;
                    Op::AssignLower
                }
                _ => Op::Assign,
            }
        }
        Some(b'+') => {
            cursor.pos += 1;
            Op::Raise
        }
        Some(b'-') => {
            cursor.pos += 1;
            Op::Lower
        }
        _ => return Err(cursor.error("'=', '+' or '-' after the capability list")),
    };

    let mut flags = 0u8;
    loop {
        if !cursor.at_clause_end() {
            flags |= match cursor.peek() {
                Some(b'e') => FLAG_E,
                Some(b'i') => FLAG_I,
                Some(b'p') => FLAG_P,
                _ => return Err(cursor.error("a flag: 'e', 'i' or 'p'")),
            };
            cursor.pos += 1;
        } else if op != Op::Assign {
            return Err(cursor.error("a flag (e, i or p): only '=' may be followed by nothing"));
        }
        match op {
            Op::Assign | Op::AssignRaise => {
                state.apply(caps, FLAG_E | FLAG_P | FLAG_I, false);
                state.apply(caps, flags, true);
            }
            Op::AssignLower => {
                state.apply(caps, FLAG_E | FLAG_P | FLAG_I, false);
                state.apply(caps, flags, false);
            }
            Op::Raise => state.apply(caps, flags, true),
            Op::Lower => state.apply(caps, flags, false),
        }
        if let Some(next @ (b'+' | b'-')) = cursor.peek() {
            if !listed {
                return Err(cursor.error("a new clause: '+' and '-' need a capability list"));
            }
            flags = 0;
            op = if next == b'+' { Op::Raise } else { Op::Lower };
            cursor.pos += 1;
            if !cursor.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
                return Err(cursor.error("a flag: 'e', 'i' or 'p'"));
            }
        }
        if cursor.at_clause_end() {
            return Ok(());
        }
    }
}

fn flag_letters(flags: u8) -> String {
    let mut out = String::new();
    if flags & FLAG_E != 0 {
        out.push('e');
    }
    if flags & FLAG_I != 0 {
        out.push('i');
    }
    if flags & FLAG_P != 0 {
        out.push('p');
    }
    out
}

/// libcap 2.66's `cap_to_text()`: the most common flag combination among the kernel's
/// capabilities becomes the `=flags` base, every other combination a clause relative to it,
/// and bits the kernel does not have are appended as numbers.
fn canonical_text(state: &CapState, kernel: KernelCaps) -> String {
    let count = u32::from(kernel.count());
    let mut histogram = [0u32; 8];
    for number in 0..count {
        histogram[usize::from(state.flags_of(1u64 << number))] += 1;
    }
    let mut base = 7usize;
    for candidate in (0..7).rev() {
        if histogram[candidate] >= histogram[base] {
            base = candidate;
        }
    }
    let base_flags = base as u8;
    let mut out = format!("={}", flag_letters(base_flags));
    for combination in (0..8u8).rev() {
        if usize::from(combination) == base || histogram[usize::from(combination)] == 0 {
            continue;
        }
        let names: Vec<String> = (0..count)
            .filter(|n| state.flags_of(1u64 << n) == combination)
            .filter_map(|n| Cap::new(n as u8))
            .map(|cap| cap.to_string())
            .collect();
        out.push(' ');
        out.push_str(&names.join(","));
        let raise = combination & !base_flags;
        let lower = !combination & base_flags & 7;
        if raise != 0 {
            if out.starts_with("= ") {
                out.replace_range(0..2, "");
                out.push('=');
            } else {
                out.push('+');
            }
            out.push_str(&flag_letters(raise));
        }
        if lower != 0 {
            out.push('-');
            out.push_str(&flag_letters(lower));
        }
    }
    for combination in (1..8u8).rev() {
        let numbers: Vec<String> = (count..64)
            .filter(|n| state.flags_of(1u64 << n) == combination)
            .map(|n| n.to_string())
            .collect();
        if !numbers.is_empty() {
            out.push(' ');
            out.push_str(&numbers.join(","));
            out.push('+');
            out.push_str(&flag_letters(combination));
        }
    }
    out
}

/// A plain list of capabilities, `net_raw,cap_net_bind_service,38`, as used on command lines.
pub fn parse_cap_list(text: &str) -> Result<CapSet, TextError> {
    let mut set = CapSet::EMPTY;
    let mut offset = 0;
    for item in text.split(',') {
        let trimmed = item.trim();
        match Cap::lookup(trimmed) {
            Ok(cap) => set.insert(cap),
            Err(_) => {
                let lead = item.len() - item.trim_start().len();
                return Err(TextError {
                    input: text.to_string(),
                    position: offset + lead,
                    expected: "a capability name (net_raw, cap_net_raw) or number 0..63"
                        .to_string(),
                });
            }
        }
        offset += item.len() + 1;
    }
    Ok(set)
}

#[cfg(test)]
mod tests;
