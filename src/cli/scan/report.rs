//! A scan's report (`scan`, `scan-dns`): the ignore file applied, then every `--format`
//! written.

use crate::cli::Failure;
use crate::cli::args::ReportArgs;
use crate::output::{self, Output};
use crate::report::{Finding, Report, RunInfo, Style};
use crate::suppress::{DEFAULT_IGNORE_FILE, Date, IgnoreFile};
use std::io::{self, Write};
use std::path::Path;

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
}

/// Applies the ignore file and builds the report.
pub(in crate::cli) fn finish_report(
    mut findings: Vec<Finding>,
    account_id: Option<String>,
    ignore: Option<&IgnoreFile>,
) -> Report {
    if let Some(ignore) = ignore {
        for warning in ignore.apply(&mut findings, Date::today()) {
            eprintln!("warning: {}", output::printable(&warning));
        }
    }
    let report = Report::new(RunInfo::now(account_id), findings);
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
    style: Style,
) -> Result<bool, Failure> {
    match write_outputs(report, outputs, style) {
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(other) => Err(other),
        Ok(()) => Ok(true),
    }
}

fn write_outputs(report: &Report, outputs: &[Output], style: Style) -> Result<(), Failure> {
    for o in outputs {
        match &o.path {
            None => {
                let mut out = io::BufWriter::new(io::stdout().lock());
                o.reporter.reporter.write(report, style, &mut out)?;
                out.flush()?;
            }
            Some(path) => {
                let mut bytes = Vec::new();
                o.reporter
                    .reporter
                    .write(report, Style { color: false }, &mut bytes)?;
                output::write_report(path, &bytes).map_err(|e| {
                    Failure::Usage(format!(
                        "cannot write {} report to {}: {}",
                        o.reporter.name,
                        path.display(),
                        crate::input::reason(&e)
                    ))
                })?;
            }
        }
    }
    Ok(())
}
