//! `leastcap decode`: capability masks (as in /proc/PID/status) in names and libcap text.

use std::io::{self, Write};

use leastcap_model::{CapSet, CapState, KernelCaps};
use serde::Serialize;

use crate::exit::{Outcome, UsageError};
use crate::printer::{Printer, Report, Style, Tone};

/// Decode hexadecimal capability masks, such as the CapEff: line of /proc/PID/status.
///
/// For each mask, the first line is exactly what `capsh --decode=MASK` prints; the next lines
/// give the compact form and libcap's canonical text for the mask taken as an
/// effective+permitted set.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  leastcap decode 0x000001ffffffffff\n  leastcap decode $(awk '/CapEff/ {print $2}' /proc/self/status)"
)]
pub struct DecodeArgs {
    /// Masks in hexadecimal, with or without 0x (at most 64 bits).
    #[arg(value_name = "HEX", required = true)]
    pub masks: Vec<String>,
}

#[derive(Serialize)]
struct Decoded {
    input: String,
    set: CapSet,
    /// What `capsh --decode` prints.
    capsh: String,
    compact: String,
    /// libcap's canonical text for the mask as an effective+permitted set.
    text: String,
    /// Bits the running kernel does not have.
    unsupported_by_kernel: CapSet,
}

#[derive(Serialize)]
struct DecodeReport {
    masks: Vec<Decoded>,
}

impl Report for DecodeReport {
    fn write_text(&self, out: &mut dyn Write, style: &Style) -> io::Result<()> {
        for decoded in &self.masks {
            writeln!(out, "{}", decoded.capsh)?;
            writeln!(out, "  compact: {}", decoded.compact)?;
            writeln!(out, "  text:    {}", decoded.text)?;
            if !decoded.unsupported_by_kernel.is_empty() {
                let note = format!(
                    "  note:    not supported by the running kernel: {}",
                    decoded.unsupported_by_kernel.to_name_list()
                );
                writeln!(out, "{}", style.paint(&note, Tone::Warning))?;
            }
        }
        Ok(())
    }
}

/// Parses like C `strtoull(text, NULL, 16)` as capsh does, but strictly: the whole argument
/// must be hex digits (after an optional 0x) and fit 64 bits.
pub fn parse_mask(text: &str) -> Result<u64, UsageError> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(UsageError(format!(
            "'{}' is not a hexadecimal capability mask (expected e.g. 0x000001ffffffffff)",
            text.escape_default()
        )));
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > 16 {
        return Err(UsageError(format!(
            "'{text}' has more than 64 bits; capability masks are 64 bits"
        )));
    }
    u64::from_str_radix(
        if significant.is_empty() {
            "0"
        } else {
            significant
        },
        16,
    )
    .map_err(|e| UsageError(format!("'{text}': {e}")))
}

fn decode(text: &str, kernel: KernelCaps) -> Result<Decoded, UsageError> {
    let set = CapSet::from_bits(parse_mask(text)?);
    let state = CapState {
        effective: set,
        permitted: set,
        inheritable: CapSet::EMPTY,
    };
    Ok(Decoded {
        input: text.to_string(),
        set,
        capsh: format!("0x{:016x}={}", set.bits(), set.to_name_list()),
        compact: set.compact(kernel),
        text: state.to_text(kernel),
        unsupported_by_kernel: set - kernel.all(),
    })
}

pub fn run(args: DecodeArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let kernel = super::kernel_caps()?;
    let masks = args
        .masks
        .iter()
        .map(|text| decode(text, kernel))
        .collect::<Result<Vec<_>, _>>()?;
    printer.print(&DecodeReport { masks })?;
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_parse_like_capsh() {
        assert_eq!(parse_mask("0x000001fffeffffff").ok(), Some(0x1fffeffffff));
        assert_eq!(parse_mask("3000").ok(), Some(0x3000));
        assert_eq!(parse_mask("0X10").ok(), Some(0x10));
        assert_eq!(parse_mask("00000000000000000000ff").ok(), Some(0xff));
        assert!(parse_mask("0x").is_err());
        assert!(parse_mask("xyz").is_err());
        assert!(parse_mask("1ffffffffffffffff").is_err());
    }
}
