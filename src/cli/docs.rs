//! The commands that describe s3tk itself: `checks`, `reporters`, `explain`, `man` and
//! `completions`. None of them sends a request.

use super::Failure;
use super::args::{CatalogFormat, Cli};
use crate::error::InputError;
use crate::registry;
use clap::CommandFactory;
use std::io::{self, Write};
use std::path::Path;

/// `completions SHELL`: the shell's completion script.
pub(super) fn completions(shell: clap_complete::Shell) -> Result<u8, Failure> {
    completion_script(shell, &mut io::stdout());
    Ok(0)
}

/// The completion script; the values of `--format`, `--fail-on`, `--acl`, `--checks`, `explain`
/// and `iam-policy` come from the registries through their value parsers (`args`).
fn completion_script(shell: clap_complete::Shell, out: &mut dyn Write) {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "s3tk", out);
}

/// `man`: the man page (roff) on stdout; with `--dir`, `s3tk.1` and a page for every command
/// it lists (`s3tk-scan.1`, …) written there.
pub(super) fn man(dir: Option<&Path>) -> Result<u8, Failure> {
    match dir {
        None => clap_mangen::Man::new(Cli::command())
            .render(&mut io::stdout().lock())
            .map(|()| 0)
            .map_err(Failure::Output),
        Some(dir) => {
            let pages = write_man_pages(dir).map_err(|e| {
                Failure::Usage(format!(
                    "man --dir {}: {}",
                    crate::output::printable(&dir.display().to_string()),
                    crate::input::reason(&e)
                ))
            })?;
            eprintln!("wrote {pages} man pages to {}", dir.display());
            Ok(0)
        }
    }
}

/// Writes `s3tk.1` and one page per command into `dir` (which must exist); returns how many.
fn write_man_pages(dir: &Path) -> io::Result<usize> {
    if !dir.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "no such directory (create it first)",
        ));
    }
    // No `help` command: it has no page of its own to refer to.
    let command = Cli::command().disable_help_subcommand(true);
    let pages = 1 + command
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .count();
    clap_mangen::generate_to(command, dir)?;
    Ok(pages)
}

pub(super) fn list_checks(format: CatalogFormat) -> Result<u8, Failure> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    match format {
        CatalogFormat::Json => out.write_all(crate::catalog::json().as_bytes())?,
        CatalogFormat::Markdown => out.write_all(crate::catalog::markdown_table().as_bytes())?,
        CatalogFormat::Table => {
            let checks = registry::checks();
            let width = checks.iter().map(|c| c.meta.id.len()).max().unwrap_or(0);
            for c in checks {
                writeln!(
                    out,
                    "{:width$}  {:8}  {}",
                    c.meta.id,
                    c.meta.severity.as_str(),
                    c.meta.title
                )?;
            }
        }
    }
    out.flush()?;
    Ok(0)
}

pub(super) fn list_reporters() -> Result<u8, Failure> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    for r in registry::reporters() {
        writeln!(out, "{:9} {}", r.name, r.description)?;
    }
    out.flush()?;
    Ok(0)
}

pub(super) fn explain(id: &str) -> Result<u8, Failure> {
    let Some(entry) = registry::check(id) else {
        return Err(InputError::UnknownCheck(id.to_owned()).into());
    };
    let meta = entry.meta;
    let mut out = io::BufWriter::new(io::stdout().lock());
    writeln!(out, "# {}: {}", meta.id, meta.title)?;
    writeln!(out)?;
    writeln!(out, "Severity: {}", meta.severity)?;
    writeln!(out, "Permissions: {}", meta.iam_actions().join(", "))?;
    if let Some(r) = registry::remediation_for(meta.id) {
        writeln!(out, "Remediation: {}", r.meta.id)?;
    }
    writeln!(out)?;
    writeln!(out, "{}", meta.doc_text().trim_end())?;
    out.flush()?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap_complete::Shell;

    fn script(shell: Shell) -> String {
        let mut out = Vec::new();
        completion_script(shell, &mut out);
        String::from_utf8(out).unwrap()
    }

    /// Every command's help lists its own options first and the global ones apart, after them.
    #[test]
    fn help_groups_the_global_options_apart() {
        let mut cli = Cli::command();
        cli.build();
        for command in cli.get_subcommands_mut().filter(|c| c.get_name() != "help") {
            let name = command.get_name().to_owned();
            let help = command.render_long_help().to_string();
            let global = help
                .find("Global options:")
                .unwrap_or_else(|| panic!("{name}: no Global options heading"));
            for option in [
                "--profile",
                "--region",
                "--endpoint-url",
                "--concurrency",
                "--color",
            ] {
                let at = help.find(&format!("{option} ")).unwrap();
                assert!(at > global, "{name}: {option} among the command's options");
            }
        }
    }

    /// The completions offer the registries' values: reporters, --fail-on levels, canned ACLs,
    /// check ids, and iam-policy's command names.
    #[test]
    fn completions_offer_the_values() {
        let check = registry::checks().last().unwrap().meta.id;
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let script = script(shell);
            for value in [
                check,
                "sarif",
                "critical",
                "bucket-owner-full-control",
                "ocsf",
            ] {
                assert!(script.contains(value), "{shell}: no {value}");
            }
        }
        // A positional's values: iam-policy's commands (fish completes only options' values).
        let bash = script(Shell::Bash);
        let offered = |case: &str| -> Vec<String> {
            let line = bash.split(case).nth(1).unwrap().lines().next().unwrap();
            let opts = line.trim().strip_prefix("opts=\"").unwrap();
            opts.trim_end_matches('"')
                .split(' ')
                .map(str::to_owned)
                .collect()
        };
        let iam_policy = offered("s3tk__subcmd__iam__subcmd__policy)\n");
        for command in crate::iam::commands() {
            assert!(
                iam_policy.iter().any(|w| w == command),
                "{command}: {iam_policy:?}"
            );
        }
        let zsh = script(Shell::Zsh);
        assert!(zsh.contains("Commands, e.g. scan encrypt:(scan scan-dns block-public-access"));
        let explain = offered("s3tk__subcmd__explain)\n");
        assert!(explain.iter().any(|w| w == check), "{explain:?}");
    }

    /// Every page `s3tk man --dir` writes refers (`s3tk\-scan(1)`) only to pages it wrote, and
    /// the main page refers to every command.
    #[test]
    fn man_pages_refer_only_to_pages_that_exist() {
        let dir = std::env::temp_dir().join(format!("s3tk-man-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let written = write_man_pages(&dir).unwrap();
        let pages: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(pages.len(), written, "{pages:?}");
        let mut references = 0;
        for page in &pages {
            let text = std::fs::read_to_string(dir.join(page)).unwrap();
            for word in text.split_whitespace() {
                let Some(name) = word.strip_suffix("(1)") else {
                    continue;
                };
                let file = format!("{}.1", name.replace("\\-", "-"));
                assert!(pages.contains(&file), "{page} refers to {word}: no {file}");
                references += 1;
            }
        }
        let main = std::fs::read_to_string(dir.join("s3tk.1")).unwrap();
        for command in Cli::command()
            .get_subcommands()
            .filter(|c| !c.is_hide_set())
        {
            let reference = format!("s3tk\\-{}(1)", command.get_name().replace('-', "\\-"));
            assert!(main.contains(&reference), "s3tk.1 lacks {reference}");
        }
        assert!(references >= pages.len() - 1, "{references} references");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
