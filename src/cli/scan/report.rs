//! A scan's report (`scan`, `scan-dns`): the ignore file applied, then every `--format`
//! written.

use crate::cli::Failure;
use crate::cli::args::ReportArgs;
use crate::output::{self, Output};
use crate::report::{Finding, Report, ReportOptions, RunInfo, Style};
use crate::suppress::{DEFAULT_IGNORE_FILE, Date, IgnoreFile};
use std::io::{self, Write};
use std::path::Path;
use std::time::Instant;

impl ReportArgs {
    /// The outputs and the ignore file, validated before any request.
    pub(in crate::cli) fn parse(&self) -> Result<(Vec<Output>, Option<IgnoreFile>), Failure> {
        let outputs = output::parse_outputs(&self.format)?;
        let ignore = match &self.ignore_file {
            Some(path) => Some(IgnoreFile::load(path)?),
            None if Path::new(DEFAULT_IGNORE_FILE).exists() => {
                Some(IgnoreFile::load(Path::new(DEFAULT_IGNORE_FILE))?)
            }
            None => None,
        };
        Ok((outputs, ignore))
    }

    /// What the reporters are told: the style and the format options, and which of `outputs`
    /// keep every finding (for a report that had to cut to point at).
    pub(in crate::cli) fn options(&self, style: Style, outputs: &[Output]) -> ReportOptions {
        ReportOptions {
            style,
            sarif_category: self.sarif_category.clone(),
            markdown_max_bytes: self
                .markdown_max_bytes
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            complete_reports: outputs
                .iter()
                .filter(|o| output::COMPLETE_FORMATS.contains(&o.reporter.name))
                .filter_map(|o| o.path.as_ref().map(|p| p.display().to_string()))
                .collect(),
            show_passed: self.show_passed,
        }
    }
}

/// Applies the ignore file and builds the report.
pub(in crate::cli) fn finish_report(
    mut findings: Vec<Finding>,
    account_id: Option<String>,
    ignore: Option<&IgnoreFile>,
    started: Instant,
) -> Report {
    if let Some(ignore) = ignore {
        for warning in ignore.apply(&mut findings, Date::today()) {
            eprintln!("warning: {}", output::printable(&warning));
        }
    }
    let report = Report::new(RunInfo::finished(account_id, started), findings);
    if let Some(rejected) = report.credentials_rejected() {
        eprintln!("error: {}", output::printable(&rejected.to_string()));
    }
    report
}

/// Writes every requested format: files atomically, at most one to stdout (coloured only there).
/// [`write_outputs`] for a scan's report: `Ok(false)` when stdout was closed (`s3tk scan |
/// head`), which ends the run without changing its exit code (the pipeline must still fail
/// when checks failed).
pub(in crate::cli) fn write_report_outputs(
    report: &Report,
    outputs: &[Output],
    options: &ReportOptions,
) -> Result<bool, Failure> {
    match write_outputs(report, outputs, options) {
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(other) => Err(other),
        Ok(()) => Ok(true),
    }
}

/// Each reporter's note of what it left out goes to stderr.
fn write_outputs(
    report: &Report,
    outputs: &[Output],
    options: &ReportOptions,
) -> Result<(), Failure> {
    for o in outputs {
        let left_out = match &o.path {
            None => {
                let mut out = io::BufWriter::new(io::stdout().lock());
                let left_out = o.reporter.reporter.write(report, options, &mut out)?;
                out.flush()?;
                left_out
            }
            Some(path) => {
                let mut bytes = Vec::new();
                // A file is not the terminal: no colour, the default width.
                let plain = ReportOptions {
                    style: Style::default(),
                    ..options.clone()
                };
                let left_out = o.reporter.reporter.write(report, &plain, &mut bytes)?;
                output::write_report(path, &bytes).map_err(|e| {
                    Failure::Usage(format!(
                        "cannot write {} report to {}: {}",
                        o.reporter.name,
                        path.display(),
                        crate::input::reason(&e)
                    ))
                })?;
                left_out
            }
        };
        for note in left_out.0 {
            eprintln!("note: {} report: {note}", o.reporter.name);
        }
    }
    Ok(())
}
