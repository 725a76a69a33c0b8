//! The commands that describe s3tk itself: `checks`, `reporters`, `explain`, `man` and
//! `completions`. None of them sends a request.

use super::Failure;
use super::args::{CatalogFormat, Cli};
use crate::error::InputError;
use crate::registry;
use clap::CommandFactory;
use std::io::{self, Write};

/// `completions SHELL`: the shell's completion script.
pub(super) fn completions(shell: clap_complete::Shell) -> Result<u8, Failure> {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "s3tk", &mut io::stdout());
    Ok(0)
}

/// `man`: the man page (roff).
pub(super) fn man() -> Result<u8, Failure> {
    clap_mangen::Man::new(Cli::command())
        .render(&mut io::stdout().lock())
        .map(|()| 0)
        .map_err(Failure::Output)
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
