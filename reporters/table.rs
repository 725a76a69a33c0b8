//! `table` (default): one row per bucket × check, for people at a terminal. Each row starts
//! with ✔ (pass), ✘ (fail), ! (error) or - (skip), so `grep ✘` still works; a summary line
//! of counts follows.

use crate::report::{Report, Reporter, ReporterEntry, Status, Style};
use comfy_table::{Cell, Color, Table, presets};
use std::io::{self, Write};

struct TableReporter;

inventory::submit! {
    ReporterEntry { name: "table", description: "aligned table for terminals (default)", reporter: &TableReporter }
}

fn symbol(status: Status) -> (&'static str, Color) {
    match status {
        Status::Pass => ("✔", Color::Green),
        Status::Fail => ("✘", Color::Red),
        Status::Error => ("!", Color::Yellow),
        Status::Skip => ("-", Color::DarkGrey),
    }
}

impl Reporter for TableReporter {
    fn write(&self, report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
        if report.findings.is_empty() {
            return writeln!(out, "No buckets scanned.");
        }
        let mut table = Table::new();
        // The CLI decides about colour (TTY, NO_COLOR); the table must not look at stdout itself.
        table.force_no_tty();
        if style.color {
            table.enforce_styling();
        }
        table.load_style(presets::UTF8_FULL_CONDENSED);
        table.set_header(["", "Bucket", "Check", "Severity", "Result"]);
        for f in &report.findings {
            let (mark, color) = symbol(f.status);
            table.add_row([
                Cell::new(mark).fg(color),
                Cell::new(&f.bucket),
                Cell::new(f.check),
                Cell::new(f.severity),
                Cell::new(&f.message),
            ]);
        }
        writeln!(out, "{table}")?;
        let s = report.summary();
        writeln!(
            out,
            "{} {} × {} {}: {} passed, {} failed, {} {}, {} skipped",
            report.bucket_count(),
            plural(report.bucket_count(), "bucket", "buckets"),
            check_count(report),
            plural(check_count(report), "check", "checks"),
            s.pass,
            s.fail,
            s.error,
            plural(s.error, "error", "errors"),
            s.skip
        )
    }
}

fn check_count(report: &Report) -> usize {
    let mut ids: Vec<&str> = report.findings.iter().map(|f| f.check).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use crate::report::{Style, sample_report};

    fn render(color: bool) -> String {
        let mut out = Vec::new();
        crate::registry::reporter("table")
            .unwrap()
            .reporter
            .write(&sample_report(), Style { color }, &mut out)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn snapshot() {
        // Rows stay on one line each (no wrapping), so `grep ✘` finds whole findings.
        let expected = "\
┌───┬──────────┬───────────────────────────────┬──────────┬─────────────────────────────────────────────────────────────────────────────────────┐
│   ┆ Bucket   ┆ Check                         ┆ Severity ┆ Result                                                                              │
╞═══╪══════════╪═══════════════════════════════╪══════════╪═════════════════════════════════════════════════════════════════════════════════════╡
│ ✘ ┆ app-data ┆ s3.bucket.public-acl          ┆ critical ┆ ACL grants READ to AllUsers (anyone on the internet)                                │
│ ✔ ┆ app-data ┆ s3.bucket.versioning-disabled ┆ medium   ┆ versioning is enabled                                                               │
│ ! ┆ app-logs ┆ s3.bucket.public-acl          ┆ critical ┆ could not evaluate: access denied to GetBucketAcl: the caller needs s3:GetBucketAcl │
│ - ┆ site|www ┆ s3.bucket.logging-disabled    ┆ medium   ┆ not applicable                                                                      │
└───┴──────────┴───────────────────────────────┴──────────┴─────────────────────────────────────────────────────────────────────────────────────┘
3 buckets × 3 checks: 1 passed, 1 failed, 1 error, 1 skipped
";
        assert_eq!(render(false), expected);
    }

    #[test]
    fn colour_only_when_asked() {
        assert!(render(true).contains("\u{1b}["));
    }
}
