//! One printer for every command: text for people, JSON for programs.
//!
//! Colour is used only when the stream is a terminal, never when `NO_COLOR` is set.

use std::io::{self, IsTerminal, Write};

use serde::Serialize;

/// Something a command prints: it has a JSON form (its `Serialize`) and a text form.
pub trait Report: Serialize {
    fn write_text(&self, out: &mut dyn Write, style: &Style) -> io::Result<()>;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is not set.
    Auto,
    /// Colour even into a pipe (still never when NO_COLOR is set).
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Danger,
    Warning,
    Good,
    Dim,
    Bold,
}

/// Decides whether and how to colour text.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    color: bool,
}

impl Style {
    pub const PLAIN: Style = Style { color: false };

    pub fn paint(&self, text: &str, tone: Tone) -> String {
        if !self.color {
            return text.to_string();
        }
        let code = match tone {
            Tone::Danger => "1;31",
            Tone::Warning => "33",
            Tone::Good => "32",
            Tone::Dim => "2",
            Tone::Bold => "1",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    pub fn is_colored(&self) -> bool {
        self.color
    }
}

fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())
}

fn wants_color(choice: ColorChoice, is_terminal: bool) -> bool {
    !no_color_requested()
        && match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal,
        }
}

#[derive(Debug)]
pub struct Printer {
    json: bool,
    out_style: Style,
    err_style: Style,
}

impl Printer {
    pub fn new(json: bool, color: ColorChoice) -> Printer {
        Printer {
            json,
            out_style: Style {
                color: !json && wants_color(color, io::stdout().is_terminal()),
            },
            err_style: Style {
                color: wants_color(color, io::stderr().is_terminal()),
            },
        }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    pub fn style(&self) -> Style {
        self.out_style
    }

    /// Prints a whole report: pretty JSON with `--json`, text otherwise.
    pub fn print<R: Report>(&self, report: &R) -> io::Result<()> {
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        if self.json {
            serde_json::to_writer_pretty(&mut out, report).map_err(io::Error::other)?;
            writeln!(out)?;
        } else {
            report.write_text(&mut out, &self.out_style)?;
        }
        out.flush()
    }

    /// Prints one line of NDJSON (streaming output such as scan results and trace events).
    pub fn json_line<T: Serialize>(&self, value: &T, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer(&mut *out, value).map_err(io::Error::other)?;
        writeln!(out)
    }

    pub fn warn(&self, message: &str) {
        let label = self.err_style.paint("warning:", Tone::Warning);
        let _ = writeln!(io::stderr(), "leastcap: {label} {message}");
    }

    pub fn error(&self, message: &str) {
        let label = self.err_style.paint("error:", Tone::Danger);
        let _ = writeln!(io::stderr(), "leastcap: {label} {message}");
    }

    /// A note on stderr that does not change the outcome (which backend is used, ...).
    pub fn note(&self, message: &str) {
        let _ = writeln!(io::stderr(), "leastcap: {message}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_and_never_with_no_color() {
        // NO_COLOR is read from the environment; this test runs without it unless the
        // developer set it, in which case every answer must be false.
        let no_color = no_color_requested();
        assert_eq!(wants_color(ColorChoice::Auto, true), !no_color);
        assert!(!wants_color(ColorChoice::Auto, false));
        assert!(!wants_color(ColorChoice::Never, true));
        assert_eq!(wants_color(ColorChoice::Always, false), !no_color);
        assert_eq!(Style::PLAIN.paint("x", Tone::Danger), "x");
    }
}
