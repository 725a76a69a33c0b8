//! `table` (default): one row per bucket × check, for people at a terminal. Each row starts
//! with ✔ (pass), ✘ (fail), ! (error) or - (skip), so `grep ✘` still works; a summary line
//! of counts follows.

use crate::output::printable;
use crate::report::{LeftOut, Report, ReportOptions, Reporter, ReporterEntry, Status};
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
        Status::Muted => ("~", Color::DarkGrey),
    }
}

impl Reporter for TableReporter {
    fn write(
        &self,
        report: &Report,
        options: &ReportOptions,
        out: &mut dyn Write,
    ) -> io::Result<LeftOut> {
        if report.findings.is_empty() {
            writeln!(out, "No buckets scanned.")?;
            return Ok(LeftOut::nothing());
        }
        let mut table = Table::new();
        // The CLI decides about colour (TTY, NO_COLOR); the table must not look at stdout itself.
        table.force_no_tty();
        if options.style.color {
            table.enforce_styling();
        }
        table.load_style(presets::UTF8_FULL_CONDENSED);
        // A multi-account scan names each finding's account.
        let accounts = report.is_multi_account();
        let mut header = vec!["", "Bucket", "Check", "Severity", "Result"];
        if accounts {
            header.insert(1, "Account");
        }
        table.set_header(header);
        for f in &report.findings {
            let (mark, color) = symbol(f.status);
            let mut row = vec![Cell::new(mark).fg(color)];
            if accounts {
                row.push(Cell::new(f.account.as_deref().unwrap_or("")));
            }
            let message = match &f.muted_reason {
                Some(reason) => format!("{} (muted: {reason})", f.message),
                None => f.message.clone(),
            };
            row.extend([
                Cell::new(printable(&f.resource.name())),
                Cell::new(f.check.id),
                Cell::new(f.severity),
                Cell::new(printable(&message)),
            ]);
            table.add_row(row);
        }
        writeln!(out, "{table}")?;
        let s = report.summary();
        let (buckets, checks) = (report.buckets().len(), report.checks().len());
        write!(
            out,
            "{buckets} {} × {checks} {}: {} passed, {} failed, {} {}, {} skipped",
            plural(buckets, "bucket", "buckets"),
            plural(checks, "check", "checks"),
            s.pass,
            s.fail,
            s.error,
            plural(s.error, "error", "errors"),
            s.skip
        )?;
        if s.muted > 0 {
            write!(out, ", {} muted", s.muted)?;
        }
        writeln!(out)?;
        Ok(LeftOut::nothing())
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use crate::report::Style;
    use crate::testing::sample_report;

    fn render(color: bool) -> String {
        crate::testing::render("table", &sample_report(), Style { color })
    }

    #[test]
    fn snapshot() {
        // Rows stay on one line each (no wrapping), so `grep ✘` finds whole findings.
        crate::testing::assert_snapshot("table.txt", &render(false));
    }

    #[test]
    fn colour_only_when_asked() {
        assert!(render(true).contains("\u{1b}["));
    }
}
