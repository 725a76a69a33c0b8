//! `csv`: one row per finding, for spreadsheets and ticket imports (Jira, ServiceNow).
//!
//! RFC 4180: a header row, fields quoted when they hold a comma, a quote or a line break, and
//! CRLF line ends. The columns are the JSON finding's, flattened: `compliance` is one cell
//! (`FSBP S3.2; CIS 7.0 2.21`). A cell that a spreadsheet would run as a formula (starting
//! with `=`, `+`, `-`, `@`, a tab or a carriage return; only free text such as an ignore
//! file's reason can) starts with `'`, as OWASP recommends against CSV injection.

use crate::report::{LeftOut, Report, ReportOptions, Reporter, ReporterEntry};
use std::io::{self, Write};

struct CsvReporter;

inventory::submit! {
    ReporterEntry { name: "csv", description: "one CSV row per finding, for spreadsheets and ticket imports", reporter: &CsvReporter }
}

/// The columns, in order: the JSON finding's fields, then when the run finished.
pub const COLUMNS: [&str; 15] = [
    "account",
    "bucket",
    "resource",
    "region",
    "check",
    "title",
    "status",
    "severity",
    "message",
    "remediation",
    "fix_command",
    "compliance",
    "muted_reason",
    "observed_at",
    "generated_at",
];

/// `text`, defused for a spreadsheet: a leading formula character gets a `'` in front.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

impl Reporter for CsvReporter {
    fn write(
        &self,
        report: &Report,
        _: &ReportOptions,
        out: &mut dyn Write,
    ) -> io::Result<LeftOut> {
        let mut writer = ::csv::WriterBuilder::new()
            .terminator(::csv::Terminator::CRLF)
            .from_writer(out);
        writer.write_record(COLUMNS)?;
        for f in &report.findings {
            let compliance: Vec<String> =
                f.check.compliance.iter().map(ToString::to_string).collect();
            let row = [
                f.account.clone().unwrap_or_default(),
                f.resource.bucket().unwrap_or_default().to_owned(),
                f.resource.uri(),
                f.region.clone().unwrap_or_default(),
                f.check.id.to_owned(),
                f.check.title.to_owned(),
                f.status.as_str().to_owned(),
                f.severity.to_string(),
                f.message.clone(),
                crate::registry::remediation_for(f.check.id)
                    .map(|r| r.meta.id.to_owned())
                    .unwrap_or_default(),
                crate::registry::fix_command(f).unwrap_or_default(),
                compliance.join("; "),
                f.muted_reason.clone().unwrap_or_default(),
                f.observed_at.clone().unwrap_or_default(),
                report.run.generated_at.clone(),
            ];
            writer.write_record(row.iter().map(|text| cell(text)))?;
        }
        writer.flush()?;
        Ok(LeftOut::nothing())
    }
}

#[cfg(test)]
mod tests {
    use crate::report::{Status, Style};
    use crate::testing::sample_report;

    fn render(report: &crate::report::Report) -> String {
        crate::testing::render("csv", report, Style::default())
    }

    #[test]
    fn snapshot() {
        crate::testing::assert_snapshot("report.csv", &render(&sample_report()));
    }

    #[test]
    fn quoting_and_formulas() {
        let mut report = sample_report();
        let muted = report
            .findings
            .iter_mut()
            .find(|f| f.status == Status::Muted)
            .unwrap();
        muted.muted_reason = Some("=HYPERLINK(\"http://x\"), \"quoted\"\nsecond line".into());
        let text = render(&report);
        assert!(text.ends_with("\r\n") && !text.replace("\r\n", "").contains("\r"));
        assert!(
            text.contains("\"'=HYPERLINK(\"\"http://x\"\"), \"\"quoted\"\"\nsecond line\""),
            "{text}"
        );
        // One header and one record per finding; the embedded line break stays in its cell.
        assert_eq!(text.matches("\r\n").count(), report.findings.len() + 1);
        assert!(text.starts_with("account,bucket,resource,region,check,title,status,severity,message,remediation,fix_command,compliance,muted_reason,observed_at,generated_at\r\n"));
        assert!(text.contains(",\"site|www_<b>\",") || text.contains(",site|www_<b>,"));
        assert!(text.contains("FSBP S3.2; CIS 7.0 2.21"), "{text}");
    }
}
