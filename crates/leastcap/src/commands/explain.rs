//! `leastcap explain`: what each capability gives away.

use std::io::{self, Write};

use anyhow::Context;
use leastcap_model::kb::{self, CapInfo, OrChain, Verdict};
use leastcap_model::{Cap, KernelCaps};
use serde::Serialize;

use crate::exit::{Outcome, UsageError};
use crate::printer::{Printer, Report, Style, Tone};

/// Explain capabilities: what each one allows, whether it amounts to root, and what narrower
/// capability to grant instead.
///
/// Without arguments, a table of every capability. With CAP, that capability in detail.
/// CAP may be written cap_perfmon, CAP_PERFMON, perfmon or 38.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  leastcap explain\n  leastcap explain sys_admin\n  leastcap explain 38\n  leastcap explain --search trace\n  leastcap explain --json perfmon"
)]
pub struct ExplainArgs {
    /// The capability to explain (name, name without cap_, or number).
    #[arg(value_name = "CAP", conflicts_with = "search")]
    pub cap: Option<String>,

    /// List every capability whose description contains all of these words (like capsh --suggest).
    #[arg(long, short = 's', value_name = "WORDS", num_args = 1.., conflicts_with = "cap")]
    pub search: Option<Vec<String>>,
}

pub fn run(args: ExplainArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let kernel = super::kernel_caps()?;
    if let Some(words) = args.search {
        let words = words.join(" ");
        let hits: Vec<Detail> = kb::search(&words)
            .into_iter()
            .map(|info| Detail::new(info, kernel))
            .collect();
        let found = !hits.is_empty();
        printer.print(&SearchReport {
            query: words,
            matches: hits,
        })?;
        return Ok(if found {
            Outcome::Success
        } else {
            Outcome::Failed
        });
    }
    match args.cap {
        None => {
            let rows = kb::CAPABILITIES
                .iter()
                .map(|info| Row::new(info, kernel))
                .collect();
            printer.print(&TableReport {
                kernel_last_cap: kernel.last_cap().number(),
                capabilities: rows,
                unnamed_kernel_caps: kernel.unnamed().iter().map(Cap::number).collect(),
            })?;
            Ok(Outcome::Success)
        }
        Some(text) => {
            let cap = Cap::lookup(&text).map_err(|e| UsageError(e.to_string()))?;
            match kb::info(cap) {
                Some(info) => {
                    printer.print(&Detail::new(info, kernel))?;
                    Ok(Outcome::Success)
                }
                None => {
                    let report = Unknown {
                        number: cap.number(),
                        known_to_build: false,
                        supported_by_kernel: kernel.supports(cap),
                        kernel_last_cap: kernel.last_cap().number(),
                    };
                    printer.print(&report).context("printing")?;
                    Ok(if report.supported_by_kernel {
                        Outcome::Success
                    } else {
                        Outcome::Failed
                    })
                }
            }
        }
    }
}

fn verdict_tone(verdict: Verdict) -> Tone {
    match verdict {
        Verdict::RootEquivalent => Tone::Danger,
        Verdict::Conditional => Tone::Warning,
        Verdict::No => Tone::Good,
    }
}

#[derive(Serialize)]
struct Row {
    number: u8,
    name: &'static str,
    since: &'static str,
    verdict: Verdict,
    summary: &'static str,
    supported_by_kernel: bool,
}

impl Row {
    fn new(info: &'static CapInfo, kernel: KernelCaps) -> Row {
        Row {
            number: info.cap.number(),
            name: info.cap.name().unwrap_or("?"),
            since: info.since,
            verdict: info.verdict,
            summary: info.summary,
            supported_by_kernel: kernel.supports(info.cap),
        }
    }
}

#[derive(Serialize)]
struct TableReport {
    kernel_last_cap: u8,
    capabilities: Vec<Row>,
    unnamed_kernel_caps: Vec<u8>,
}

impl Report for TableReport {
    fn write_text(&self, out: &mut dyn Write, style: &Style) -> io::Result<()> {
        writeln!(
            out,
            "{}",
            style.paint(
                &format!(
                    "{:>3}  {:<24} {:<7} {:<16} {}",
                    "#", "CAPABILITY", "SINCE", "VERDICT", "WHAT IT GATES"
                ),
                Tone::Bold
            )
        )?;
        for row in &self.capabilities {
            let verdict = format!("{:<16}", row.verdict.label());
            let absent = if row.supported_by_kernel {
                ""
            } else {
                " (not in this kernel)"
            };
            writeln!(
                out,
                "{:>3}  {:<24} {:<7} {} {}{}",
                row.number,
                row.name,
                row.since,
                style.paint(&verdict, verdict_tone(row.verdict)),
                row.summary,
                absent
            )?;
        }
        let root = self
            .capabilities
            .iter()
            .filter(|row| row.verdict == Verdict::RootEquivalent)
            .count();
        writeln!(
            out,
            "\n{} capabilities, {} root-equivalent; running kernel: 0..={}.",
            self.capabilities.len(),
            root,
            self.kernel_last_cap
        )?;
        if !self.unnamed_kernel_caps.is_empty() {
            writeln!(
                out,
                "The kernel also has capabilities this build cannot name: {:?}.",
                self.unnamed_kernel_caps
            )?;
        }
        writeln!(out, "Details: leastcap explain CAP")
    }
}

#[derive(Serialize)]
struct ChainView {
    site: &'static str,
    guards: &'static str,
    syscalls: &'static [&'static str],
    check_order: Vec<String>,
    grant: String,
    since: &'static str,
    source: &'static str,
}

impl ChainView {
    fn new(chain: &OrChain) -> ChainView {
        ChainView {
            site: chain.site,
            guards: chain.guards,
            syscalls: chain.syscalls,
            check_order: chain
                .check_order
                .iter()
                .map(|cap| cap.to_string())
                .collect(),
            grant: chain.narrow.to_string(),
            since: chain.since,
            source: chain.source,
        }
    }
}

#[derive(Serialize)]
struct NarrowView {
    name: String,
    number: u8,
    summary: &'static str,
}

#[derive(Serialize)]
struct Detail {
    number: u8,
    name: String,
    since: &'static str,
    supported_by_kernel: bool,
    verdict: Verdict,
    summary: &'static str,
    gates: &'static str,
    escalation: &'static str,
    narrower_alternatives: Vec<NarrowView>,
    or_chains: Vec<ChainView>,
    sources: &'static [&'static str],
}

impl Detail {
    fn new(info: &'static CapInfo, kernel: KernelCaps) -> Detail {
        Detail {
            number: info.cap.number(),
            name: info.cap.to_string(),
            since: info.since,
            supported_by_kernel: kernel.supports(info.cap),
            verdict: info.verdict,
            summary: info.summary,
            gates: info.gates,
            escalation: info.escalation,
            narrower_alternatives: info
                .narrower
                .iter()
                .map(|cap| NarrowView {
                    name: cap.to_string(),
                    number: cap.number(),
                    summary: kb::info(*cap).map_or("", |i| i.summary),
                })
                .collect(),
            or_chains: kb::chains_involving(info.cap).map(ChainView::new).collect(),
            sources: info.sources,
        }
    }

    fn write(&self, out: &mut dyn Write, style: &Style) -> io::Result<()> {
        writeln!(
            out,
            "{} ({}): {}",
            style.paint(&self.name, Tone::Bold),
            self.number,
            self.summary
        )?;
        let kernel = if self.supported_by_kernel {
            "supported by the running kernel"
        } else {
            "NOT supported by the running kernel"
        };
        writeln!(out, "  since:   Linux {} ({kernel})", self.since)?;
        writeln!(
            out,
            "  verdict: {}",
            style.paint(self.verdict.label(), verdict_tone(self.verdict))
        )?;
        writeln!(out, "\n  What it allows:")?;
        write_wrapped(out, self.gates, 4)?;
        writeln!(out, "\n  Path to root:")?;
        write_wrapped(out, self.escalation, 4)?;
        if !self.narrower_alternatives.is_empty() {
            writeln!(
                out,
                "\n  Narrower capabilities split out of it (grant these instead):"
            )?;
            for narrow in &self.narrower_alternatives {
                writeln!(
                    out,
                    "    {} ({}): {}",
                    narrow.name, narrow.number, narrow.summary
                )?;
            }
        }
        if !self.or_chains.is_empty() {
            writeln!(
                out,
                "\n  Where the kernel accepts one capability for another:"
            )?;
            for chain in &self.or_chains {
                let syscalls = if chain.syscalls.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", chain.syscalls.join(", "))
                };
                writeln!(out, "    {}{}: {}", chain.site, syscalls, chain.guards)?;
                let order: Vec<String> =
                    chain.check_order.iter().map(|c| c.to_uppercase()).collect();
                writeln!(
                    out,
                    "      checks {} (in that order, since {}): grant {}",
                    order.join(" or "),
                    chain.since,
                    chain.grant.to_uppercase()
                )?;
            }
        }
        writeln!(out, "\n  Sources: {}", self.sources.join("; "))
    }
}

impl Report for Detail {
    fn write_text(&self, out: &mut dyn Write, style: &Style) -> io::Result<()> {
        self.write(out, style)
    }
}

#[derive(Serialize)]
struct SearchReport {
    query: String,
    matches: Vec<Detail>,
}

impl Report for SearchReport {
    fn write_text(&self, out: &mut dyn Write, style: &Style) -> io::Result<()> {
        if self.matches.is_empty() {
            return writeln!(out, "No capability description mentions '{}'.", self.query);
        }
        for (index, detail) in self.matches.iter().enumerate() {
            if index > 0 {
                writeln!(out)?;
            }
            detail.write(out, style)?;
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct Unknown {
    number: u8,
    known_to_build: bool,
    supported_by_kernel: bool,
    kernel_last_cap: u8,
}

impl Report for Unknown {
    fn write_text(&self, out: &mut dyn Write, _style: &Style) -> io::Result<()> {
        writeln!(
            out,
            "Capability {}: this build of leastcap does not know it (it knows 0..={}).",
            self.number,
            leastcap_model::KNOWN_CAPS - 1
        )?;
        if self.supported_by_kernel {
            writeln!(
                out,
                "The running kernel does support it (cap_last_cap = {}): it is newer than this build; \
                 leastcap keeps and prints it as the number {}.",
                self.kernel_last_cap, self.number
            )
        } else {
            writeln!(
                out,
                "The running kernel does not support it either (cap_last_cap = {}).",
                self.kernel_last_cap
            )
        }
    }
}

/// Wraps a paragraph at 90 columns with a fixed indent.
fn write_wrapped(out: &mut dyn Write, text: &str, indent: usize) -> io::Result<()> {
    let pad = " ".repeat(indent);
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > 90 - indent {
            writeln!(out, "{pad}{line}")?;
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        writeln!(out, "{pad}{line}")?;
    }
    Ok(())
}
