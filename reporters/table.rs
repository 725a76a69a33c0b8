//! `table` (default): what needs attention, for a person at a terminal. Failing, error and
//! muted findings are listed, the most severe failure first, then by account, bucket and check;
//! `--show-passed` lists passes and skips too. A summary per check and one line of totals
//! follow. Every line fits the width the CLI chose (the terminal's, `COLUMNS`, or
//! [`DEFAULT_WIDTH`](crate::report::DEFAULT_WIDTH)), measured in display columns.
//!
//! Each row starts with ✔ (pass), ✘ (fail), ! (error), - (skip) or ~ (muted), followed on the
//! same line by the severity (failures only: a pass of a critical check is no alarm), the bucket
//! and the check id, so `grep ✘` lists every failure with what and where. The message wraps
//! below the check id, inside its column. A bucket name too long for its column is shortened
//! in the middle (…); the json, csv and other reports keep every name and finding whole.

use crate::check::{CheckMeta, Severity};
use crate::output::printable;
use crate::report::{
    Finding, LeftOut, Report, ReportOptions, Reporter, ReporterEntry, Resource, Status,
};
use comfy_table::{
    Cell, CellAlignment, Color, ColumnConstraint, ContentArrangement, Table, TableStyle, Width,
};
use std::cmp::Reverse;
use std::io::{self, Write};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

struct TableReporter;

inventory::submit! {
    ReporterEntry { name: "table", description: "what needs attention, fitted to the terminal (default)", reporter: &TableReporter }
}

/// Spaces between columns.
const GAP: usize = 2;
/// Below this the layout no longer tries to fit (a bucket and a word need some room).
const NARROWEST: usize = 40;
/// A bucket column narrower than this is not worth the room it saves.
const NARROWEST_BUCKET: usize = 16;
/// Accounts named in the totals line before "and N more".
const ACCOUNTS_NAMED: usize = 5;

fn symbol(status: Status) -> (&'static str, Color) {
    match status {
        Status::Pass => ("✔", Color::Green),
        Status::Fail => ("✘", Color::Red),
        Status::Error => ("!", Color::Yellow),
        Status::Skip => ("-", Color::DarkGrey),
        Status::Muted => ("~", Color::DarkGrey),
    }
}

/// Where a status is listed: what needs action first, then what could not be judged, then the
/// accepted exceptions, then (`--show-passed`) the rest.
fn rank(status: Status) -> u8 {
    match status {
        Status::Fail => 0,
        Status::Error => 1,
        Status::Muted => 2,
        Status::Pass => 3,
        Status::Skip => 4,
    }
}

/// Whether the table lists the finding without `--show-passed`.
fn needs_attention(status: Status) -> bool {
    matches!(status, Status::Fail | Status::Error | Status::Muted)
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
        let width = options.style.width().max(NARROWEST);
        let color = options.style.color;
        let mut listed: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| options.show_passed || needs_attention(f.status))
            .collect();
        listed.sort_by_key(|f| {
            (
                rank(f.status),
                Reverse(f.severity),
                &f.account,
                &f.resource,
                f.check.id,
            )
        });
        if listed.is_empty() {
            writeln!(out, "Nothing failed: every check passed or did not apply.")?;
        } else {
            write_lines(out, &findings_table(report, &listed, width, color))?;
            writeln!(out)?;
            write_lines(
                out,
                &summary_table(report, options.show_passed, width, color),
            )?;
        }
        writeln!(out)?;
        for line in wrap(&totals(report, options.show_passed), width) {
            writeln!(out, "{line}")?;
        }
        Ok(LeftOut::nothing())
    }
}

/// The table's lines without the padding comfy-table leaves after the last column.
fn write_lines(out: &mut dyn Write, table: &Table) -> io::Result<()> {
    for line in table.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// A table with no borders, columns `GAP` apart, a rule under the header, and exactly the
/// widths given; the CLI decided about colour, so the table never looks at stdout itself.
fn new_table(header: Vec<&str>, widths: &[usize], color: bool) -> Table {
    const STYLE: TableStyle =
        TableStyle::new().header_separator(comfy_table::LineStyle::none().fill('─').junction('─'));
    let mut table = Table::new();
    table.force_no_tty();
    if color {
        table.enforce_styling();
    }
    table.load_style(STYLE);
    table.set_content_arrangement(ContentArrangement::Disabled);
    table.set_header(header);
    // comfy-table keeps one column for the (here invisible) line between columns: the gap is
    // that and the padding.
    let last = widths.len() - 1;
    for (i, column) in table.column_iter_mut().enumerate() {
        let gap = if i == last { 0 } else { GAP - 1 };
        column.set_padding((0, gap as u16));
        let total = u16::try_from(widths[i] + gap).unwrap_or(u16::MAX);
        column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(total)));
    }
    table
}

/// The findings: mark, severity, [account,] bucket, then the check id with the message below.
fn findings_table(report: &Report, listed: &[&Finding], width: usize, color: bool) -> Table {
    let accounts = report.is_multi_account();
    let severity_width = "Severity".len();
    let account_width = if accounts {
        listed
            .iter()
            .map(|f| f.account.as_deref().unwrap_or("").width())
            .max()
            .unwrap_or(0)
            .max("Account".len())
    } else {
        0
    };
    let columns = if accounts { 5 } else { 4 };
    let fixed = 1 + severity_width + account_width + GAP * (columns - 1);
    let room = width.saturating_sub(fixed);
    let resource_header = if listed
        .iter()
        .any(|f| matches!(f.resource, Resource::DnsRecord { .. }))
    {
        "Record"
    } else {
        "Bucket"
    };
    let names: Vec<String> = listed
        .iter()
        .map(|f| printable(&f.resource.name()).into_owned())
        .collect();
    let longest_name = names
        .iter()
        .map(|n| n.width())
        .max()
        .unwrap_or(0)
        .max(resource_header.len());
    // The bucket gets up to two fifths of the room; the check and message the rest.
    let bucket_width = longest_name.min((room * 2 / 5).max(NARROWEST_BUCKET));
    let finding_width = room.saturating_sub(bucket_width).max(1);

    let mut widths = vec![1, severity_width];
    if accounts {
        widths.push(account_width);
    }
    widths.extend([bucket_width, finding_width]);
    let mut header = vec!["", "Severity"];
    if accounts {
        header.push("Account");
    }
    header.extend([resource_header, "Check / finding"]);
    let mut table = new_table(header, &widths, color);
    for (f, name) in listed.iter().zip(&names) {
        let (mark, mark_color) = symbol(f.status);
        let mut row = vec![Cell::new(mark).fg(mark_color)];
        row.push(match f.status {
            Status::Fail => Cell::new(f.severity).fg(severity_color(f.severity)),
            _ => Cell::new(""),
        });
        if accounts {
            row.push(Cell::new(f.account.as_deref().unwrap_or("")));
        }
        let message = match &f.muted_reason {
            Some(reason) => format!("{} (muted: {reason})", f.message),
            None => f.message.clone(),
        };
        row.push(Cell::new(fit(name, bucket_width)));
        row.push(Cell::new(format!(
            "{}\n{}",
            break_id(f.check.id, finding_width),
            printable(&message)
        )));
        table.add_row(row);
    }
    table
}

fn severity_color(severity: Severity) -> Color {
    match severity {
        Severity::Critical | Severity::High => Color::Red,
        Severity::Medium => Color::Yellow,
        Severity::Low | Severity::Info => Color::Reset,
    }
}

/// What one check found across the listed resources.
struct CheckCounts {
    check: &'static CheckMeta,
    /// The check's own severity, or the highest of its failures (`FailAt` may lower it).
    severity: Severity,
    failing: usize,
    muted: usize,
    errors: usize,
}

/// One row per check that failed, was muted or could not be evaluated (every check with
/// `--show-passed`), the most severe first, then the most failures.
fn summary_table(report: &Report, show_passed: bool, width: usize, color: bool) -> Table {
    let mut counts: Vec<CheckCounts> = report
        .checks()
        .into_iter()
        .map(|check| {
            let of = |status| {
                report
                    .findings
                    .iter()
                    .filter(|f| f.check.id == check.id && f.status == status)
                    .count()
            };
            let severity = report
                .findings
                .iter()
                .filter(|f| f.check.id == check.id && f.status == Status::Fail)
                .map(|f| f.severity)
                .max()
                .unwrap_or(check.severity);
            CheckCounts {
                check,
                severity,
                failing: of(Status::Fail),
                muted: of(Status::Muted),
                errors: of(Status::Error),
            }
        })
        .filter(|c| show_passed || c.failing + c.muted + c.errors > 0)
        .collect();
    counts.sort_by_key(|c| (Reverse(c.severity), Reverse(c.failing), c.check.id));
    let headers = ["Check", "Severity", "Failing", "Muted", "Errors"];
    let number_width = |header: &str, value: fn(&CheckCounts) -> usize| {
        counts
            .iter()
            .map(|c| value(c).to_string().len())
            .max()
            .unwrap_or(0)
            .max(header.len())
    };
    let numbers = [
        number_width("Failing", |c| c.failing),
        number_width("Muted", |c| c.muted),
        number_width("Errors", |c| c.errors),
    ];
    let fixed: usize = "Severity".len() + numbers.iter().sum::<usize>() + GAP * 4;
    let longest_id = counts.iter().map(|c| c.check.id.len()).max().unwrap_or(0);
    let check_width = longest_id.min(width.saturating_sub(fixed)).max(1);
    let mut widths = vec![check_width, "Severity".len()];
    widths.extend(numbers);
    let mut table = new_table(headers.to_vec(), &widths, color);
    for column in table.column_iter_mut().skip(2) {
        column.set_cell_alignment(CellAlignment::Right);
    }
    for c in &counts {
        let severity = Cell::new(c.severity);
        table.add_row(vec![
            Cell::new(break_id(c.check.id, check_width)),
            if c.failing > 0 {
                severity.fg(severity_color(c.severity))
            } else {
                severity
            },
            Cell::new(c.failing),
            Cell::new(c.muted),
            Cell::new(c.errors),
        ]);
    }
    table
}

/// One sentence: the accounts (named), buckets and other resources, the checks, and the
/// findings by status; what the table did not list, and how to see it.
fn totals(report: &Report, show_passed: bool) -> String {
    let mut accounts: Vec<&str> = report
        .findings
        .iter()
        .flat_map(|f| {
            let own = match &f.resource {
                Resource::Account(id) => Some(id.as_str()),
                _ => None,
            };
            f.account.as_deref().into_iter().chain(own)
        })
        .chain(report.run.account.as_deref())
        .filter(|id| *id != "unknown")
        .collect();
    accounts.sort_unstable();
    accounts.dedup();
    let mut parts = Vec::new();
    if !accounts.is_empty() {
        let mut named = accounts
            .iter()
            .take(ACCOUNTS_NAMED)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        if accounts.len() > ACCOUNTS_NAMED {
            named += &format!(" and {} more", accounts.len() - ACCOUNTS_NAMED);
        }
        parts.push(format!(
            "{} ({named})",
            count(accounts.len(), "account", "accounts")
        ));
    }
    let resources = report.resources();
    let buckets = resources
        .iter()
        .filter(|r| matches!(r, Resource::Bucket(_)))
        .count();
    let records = resources
        .iter()
        .filter(|r| matches!(r, Resource::DnsRecord { .. }))
        .count();
    if buckets > 0 || records == 0 {
        parts.push(count(buckets, "bucket", "buckets"));
    }
    if records > 0 {
        parts.push(count(records, "DNS record", "DNS records"));
    }
    let checks = report.checks();
    let account_checks = report
        .findings
        .iter()
        .filter(|f| matches!(f.resource, Resource::Account(_)))
        .map(|f| f.check.id)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let checks = match account_checks {
        0 => count(checks.len(), "check", "checks"),
        n => format!(
            "{} ({n} of the account)",
            count(checks.len(), "check", "checks")
        ),
    };
    let s = report.summary();
    let mut statuses = vec![
        format!("{} failed", s.fail),
        count(s.error, "error", "errors"),
    ];
    if s.muted > 0 {
        statuses.push(format!("{} muted", s.muted));
    }
    statuses.push(format!("{} passed", s.pass));
    statuses.push(format!("{} skipped", s.skip));
    let mut line = format!("{}; {checks}: {}.", parts.join(", "), statuses.join(", "));
    if !show_passed && s.pass + s.skip > 0 {
        line += " Passed and skipped findings are not listed (--show-passed lists them).";
    }
    line
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `name` in at most `width` columns: shortened in the middle, where long bucket names tend
/// to repeat themselves least (`team-a-prod-…-eu-west-1-logs` keeps both ends).
fn fit(name: &str, width: usize) -> String {
    if name.width() <= width {
        return name.to_owned();
    }
    let keep = width.saturating_sub(1);
    let (head_width, tail_width) = (keep - keep / 2, keep / 2);
    let mut head = String::new();
    let mut used = 0;
    for c in name.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > head_width {
            break;
        }
        head.push(c);
        used += w;
    }
    let mut tail: Vec<char> = Vec::new();
    used = 0;
    for c in name.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > tail_width {
            break;
        }
        tail.push(c);
        used += w;
    }
    head + "…" + &tail.into_iter().rev().collect::<String>()
}

/// A check id in lines of at most `width` columns, broken after a `.` or `-` where it can be
/// (ids are ASCII with no spaces, which comfy-table would otherwise cut anywhere).
fn break_id(id: &str, width: usize) -> String {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for piece in id.split_inclusive(['.', '-']) {
        if !line.is_empty() && line.len() + piece.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        line.push_str(piece);
        while line.len() > width {
            let rest = line.split_off(width);
            lines.push(std::mem::replace(&mut line, rest));
        }
    }
    lines.push(line);
    lines.join("\n")
}

/// Plain text in lines of at most `width` columns, broken at spaces (a longer word is cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let sep = usize::from(!line.is_empty());
        if !line.is_empty() && line.width() + sep + word.width() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        while line.width() > width {
            let cut = fit_prefix(&line, width);
            let rest = line.split_off(cut);
            lines.push(std::mem::replace(&mut line, rest));
        }
    }
    lines.push(line);
    lines
}

/// The byte length of the longest prefix of `text` that fits in `width` columns.
fn fit_prefix(text: &str, width: usize) -> usize {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        used += c.width().unwrap_or(0);
        if used > width {
            // At least one character, so that wrapping always moves on.
            return if i == 0 { c.len_utf8() } else { i };
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Style;
    use crate::synthetic::synthetic_report;
    use crate::testing::sample_report;

    fn render_with(report: &Report, width: Option<usize>, show_passed: bool) -> String {
        let options = ReportOptions {
            style: Style {
                color: false,
                width,
            },
            show_passed,
            ..ReportOptions::default()
        };
        crate::synthetic::render("table", report, &options).0
    }

    fn render(color: bool) -> String {
        crate::testing::render(
            "table",
            &sample_report(),
            Style {
                color,
                width: Some(80),
            },
        )
    }

    /// The widest line, in display columns (✘ and … are one column, several bytes).
    fn widest(text: &str) -> usize {
        text.lines().map(UnicodeWidthStr::width).max().unwrap_or(0)
    }

    #[test]
    fn snapshot() {
        crate::testing::assert_snapshot("table.txt", &render(false));
    }

    #[test]
    fn snapshot_with_passes() {
        crate::testing::assert_snapshot(
            "table-show-passed.txt",
            &render_with(&sample_report(), Some(80), true),
        );
    }

    #[test]
    fn colour_only_when_asked() {
        assert!(render(true).contains("\u{1b}["));
        assert!(!render(false).contains("\u{1b}["));
    }

    #[test]
    fn many_buckets_fit_80_and_120_columns() {
        let report = synthetic_report(311);
        for width in [80, 120] {
            for show_passed in [false, true] {
                let text = render_with(&report, Some(width), show_passed);
                assert!(
                    widest(&text) <= width,
                    "a line is {} columns wide at {width}:\n{}",
                    widest(&text),
                    text.lines().find(|l| l.width() > width).unwrap()
                );
            }
        }
    }

    #[test]
    fn long_names_and_ids_fit_80_columns() {
        let mut report = sample_report();
        let long = "a-very-long-legacy-bucket-name-with-many-words-in-it-that-goes-on-and-on-up-to-the-limit-of-255";
        for f in &mut report.findings {
            if let Resource::Bucket(name) = &mut f.resource {
                *name = format!("{long}-{name}");
            }
            f.account = Some("111122223333".into());
        }
        report.findings[0].account = Some("444455556666".into());
        report.findings[1].message = format!("arn:aws:iam::111122223333:role/{}", "x".repeat(150));
        for show_passed in [false, true] {
            let text = render_with(&report, Some(80), show_passed);
            assert!(widest(&text) <= 80, "{text}");
            // The bucket stays on the row's first line, shortened in the middle.
            let first = text.lines().find(|l| l.starts_with('✘')).unwrap();
            assert!(
                first.contains("a-very-lon") && first.contains('…'),
                "{first}"
            );
        }
    }

    #[test]
    fn the_most_severe_failure_comes_first() {
        let report = synthetic_report(311);
        let text = render_with(&report, Some(120), false);
        let first = text.lines().find(|l| l.starts_with('✘')).unwrap();
        let worst = report
            .findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .map(|f| f.severity)
            .max()
            .unwrap();
        assert!(first.contains(worst.as_str()), "{first}");
        // Severities only fall row after row.
        let severities: Vec<Severity> = text
            .lines()
            .filter(|l| l.starts_with('✘'))
            .map(|l| {
                let word = l.split_whitespace().nth(1).unwrap();
                serde_json::from_value(serde_json::json!(word)).unwrap()
            })
            .collect();
        assert!(severities.windows(2).all(|w| w[0] >= w[1]));
        assert_eq!(
            severities.len(),
            report.summary().fail,
            "every failure is listed once"
        );
    }

    #[test]
    fn passes_only_with_show_passed() {
        let report = synthetic_report(40);
        let s = report.summary();
        let marked = |text: &str, mark: char| text.lines().filter(|l| l.starts_with(mark)).count();
        let default = render_with(&report, None, false);
        assert_eq!(marked(&default, '✔'), 0);
        assert_eq!(marked(&default, '-'), 0);
        assert_eq!(marked(&default, '✘'), s.fail);
        assert_eq!(marked(&default, '!'), s.error);
        assert_eq!(marked(&default, '~'), s.muted);
        assert!(default.contains("--show-passed lists them"));
        let all = render_with(&report, None, true);
        assert_eq!(marked(&all, '✔'), s.pass);
        assert_eq!(marked(&all, '-'), s.skip);
        assert!(!all.contains("--show-passed lists them"));
        // A passing row shows no severity.
        let pass = all.lines().find(|l| l.starts_with('✔')).unwrap();
        for severity in ["info", "low", "medium", "high", "critical"] {
            assert!(!pass.contains(&format!(" {severity} ")), "{pass}");
        }
    }

    #[test]
    fn a_clean_run_is_short_and_says_so() {
        let mut report = synthetic_report(20);
        report
            .findings
            .retain(|f| matches!(f.status, Status::Pass | Status::Skip));
        let text = render_with(&report, Some(80), false);
        assert!(text.starts_with("Nothing failed"), "{text}");
        assert!(text.lines().count() <= 5, "{text}");
    }

    #[test]
    fn totals_add_up_and_name_every_account() {
        let mut report = synthetic_report(12);
        for (i, f) in report.findings.iter_mut().enumerate() {
            if i % 2 == 0 {
                f.account = Some("222222222222".into());
            }
        }
        let text = render_with(&report, Some(200), false);
        let totals = text.split("\n\n").last().unwrap().replace('\n', " ");
        let s = report.summary();
        assert!(
            totals.starts_with(&format!(
                "2 accounts (123456789012, 222222222222), 12 buckets; {} checks ({} of the account): {} failed, {} errors, {} muted, {} passed, {} skipped.",
                report.checks().len(),
                report.findings.iter().filter(|f| matches!(f.resource, Resource::Account(_))).count(),
                s.fail, s.error, s.muted, s.pass, s.skip
            )),
            "{totals}"
        );
    }

    #[test]
    fn breaking_and_fitting() {
        assert_eq!(
            break_id("s3.bucket.public-access-block-disabled", 20),
            "s3.bucket.public-\naccess-block-\ndisabled"
        );
        assert_eq!(break_id("s3.bucket.x", 80), "s3.bucket.x");
        assert_eq!(fit("abcdefghij", 5), "ab…ij");
        assert_eq!(fit("abc", 5), "abc");
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
    }
}
