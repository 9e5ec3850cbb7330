//! Developer tasks: generate the man pages, shell completions and CLI reference from the clap
//! definitions (`docs`), or check that the committed copies are current (`check-docs`).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap_complete::Shell;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Every generated file, as (path relative to the workspace, contents).
fn generated() -> anyhow::Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut files = Vec::new();
    // A fixed width, so the output does not depend on the terminal it was generated in.
    let command = leastcap::cli::command().term_width(100);

    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    files.push((PathBuf::from("docs/man/leastcap.1"), page));
    for sub in command
        .get_subcommands()
        .filter(|sub| sub.get_name() != "help")
    {
        let name = format!("leastcap-{}", sub.get_name());
        let sub = sub.clone().name(&name).display_name(&name);
        let mut page = Vec::new();
        clap_mangen::Man::new(sub).render(&mut page)?;
        files.push((PathBuf::from(format!("docs/man/{name}.1")), page));
    }

    for (shell, file) in [
        (Shell::Bash, "leastcap.bash"),
        (Shell::Zsh, "_leastcap"),
        (Shell::Fish, "leastcap.fish"),
    ] {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut command.clone(), "leastcap", &mut script);
        files.push((PathBuf::from(format!("completions/{file}")), script));
    }

    files.push((
        PathBuf::from("docs/cli.md"),
        cli_reference(command).into_bytes(),
    ));
    Ok(files)
}

/// The `--help` text of every command, as one Markdown page.
fn cli_reference(mut command: clap::Command) -> String {
    let mut out = String::from(
        "# leastcap command-line reference\n\n\
         Generated from the clap definitions by `cargo run -p xtask -- docs`; CI fails when it is stale.\n\n",
    );
    command.build();
    out.push_str("## leastcap\n\n```text\n");
    out.push_str(&command.render_long_help().to_string());
    out.push_str("```\n");
    let subs: Vec<clap::Command> = command
        .get_subcommands()
        .filter(|sub| sub.get_name() != "help")
        .cloned()
        .collect();
    for sub in subs {
        let name = format!("leastcap {}", sub.get_name());
        out.push_str(&format!("\n## {name}\n\n```text\n"));
        let mut sub = sub.clone().bin_name(name).term_width(100);
        sub.build();
        out.push_str(&sub.render_long_help().to_string());
        out.push_str("```\n");
    }
    out
}

fn main() -> anyhow::Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    let root = root();
    match task.as_str() {
        "docs" => {
            for (path, contents) in generated()? {
                let target = root.join(&path);
                if let Some(dir) = target.parent() {
                    fs::create_dir_all(dir)?;
                }
                fs::write(&target, contents)
                    .with_context(|| format!("writing {}", target.display()))?;
                println!("wrote {}", path.display());
            }
            Ok(())
        }
        "check-docs" => {
            let mut stale = Vec::new();
            for (path, contents) in generated()? {
                let current = fs::read(root.join(&path)).unwrap_or_default();
                if current != contents {
                    stale.push(path.display().to_string());
                }
            }
            if stale.is_empty() {
                println!("generated documentation is current");
                Ok(())
            } else {
                bail!(
                    "stale generated files (run `cargo run -p xtask -- docs` and commit): {}",
                    stale.join(", ")
                )
            }
        }
        _ => bail!("usage: cargo run -p xtask -- docs|check-docs"),
    }
}
