//! `markdown`: an audit report that renders on GitHub, in pull-request comments and in
//! `$GITHUB_STEP_SUMMARY`, and fits their limits.
//!
//! The summary comes first (counts by severity, by check and by account), then the failing
//! findings grouped by check (why it matters, how to fix it, the buckets in a collapsible
//! table), what could not be evaluated (with the permissions it needs) and what is muted (with
//! the reason). A clean run stays a few lines. The document never exceeds its byte budget:
//! GitHub drops a step summary over 1 MiB and a comment over 65,536 characters, so by default it
//! stays under 1,000,000 bytes and `--markdown-max-bytes` sets another budget. The summary, with
//! every failing check and its count, always fits; bucket rows that do not are cut, and a last
//! line says how many and where the complete report is. Every bucket name and message is escaped.

use crate::check::{CheckMeta, Severity};
use crate::output::printable;
use crate::report::{
    Finding, LeftOut, Report, ReportOptions, Reporter, ReporterEntry, Status, Summary,
};
use std::fmt::Write as _;
use std::io::{self, Write};

struct MarkdownReporter;

inventory::submit! {
    ReporterEntry { name: "markdown", description: "Markdown audit report (GitHub, step summaries)", reporter: &MarkdownReporter }
}

/// The default budget: under GitHub's 1 MiB (1,048,576 bytes) step-summary limit, with room
/// for a line or two of the job's own.
pub const DEFAULT_MAX_BYTES: usize = 1_000_000;

/// Room kept for the closing lines and the line saying what was cut.
const CUT_NOTICE_BYTES: usize = 1_000;

/// Escapes text for a Markdown table cell or paragraph: no character can start markup, close
/// a cell or become HTML, and line breaks cannot end the cell.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in printable(&text.replace(['\n', '\r'], " ")).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // `#` too: GitHub turns `#12` into a link to issue 12.
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A code span that survives any content (commands are built from validated bucket names,
/// but a backtick must still not end the span early).
fn code(text: &str) -> String {
    if text.contains('`') {
        format!("`` {} ``", text.replace('|', "\\|"))
    } else {
        format!("`{}`", text.replace('|', "\\|"))
    }
}

const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

/// A part of the document after the summary: a heading and text, one row per finding, and
/// what closes it. Rows are what a tight budget cuts.
struct Block {
    head: String,
    rows: Vec<String>,
    tail: String,
}

impl Reporter for MarkdownReporter {
    fn write(
        &self,
        report: &Report,
        options: &ReportOptions,
        out: &mut dyn Write,
    ) -> io::Result<LeftOut> {
        let budget = options.markdown_max_bytes.unwrap_or(DEFAULT_MAX_BYTES);
        let summary = report.summary();
        let mut doc = header(report);
        if summary.fail == 0 && summary.error == 0 && summary.muted == 0 {
            let _ = writeln!(
                doc,
                "**All {} findings passed** ({} passed, {} not applicable) on {} buckets.",
                summary.total(),
                summary.pass,
                summary.skip,
                report.buckets().len()
            );
            out.write_all(doc.as_bytes())?;
            return Ok(LeftOut::nothing());
        }
        let _ = writeln!(doc, "**{}**\n", headline(&summary));
        write_summary(report, &mut doc);
        let blocks: Vec<Block> = [
            failing_blocks(report),
            error_blocks(report),
            muted_blocks(report),
        ]
        .into_iter()
        .flatten()
        .collect();
        let total: usize = blocks.iter().map(|b| b.rows.len()).sum();
        let mut shown = 0;
        'blocks: for block in &blocks {
            if doc.len() + block.head.len() + block.tail.len() + CUT_NOTICE_BYTES > budget {
                break;
            }
            doc += &block.head;
            for row in &block.rows {
                if doc.len() + row.len() + block.tail.len() + CUT_NOTICE_BYTES > budget {
                    doc += &block.tail;
                    break 'blocks;
                }
                doc += row;
                shown += 1;
            }
            doc += &block.tail;
        }
        let mut left_out = LeftOut::nothing();
        if shown < total {
            let where_ = if options.complete_reports.is_empty() {
                "`s3tk scan --format json=PATH` (or csv, ocsf) writes every finding".to_owned()
            } else {
                let files: Vec<String> = options.complete_reports.iter().map(|p| code(p)).collect();
                format!("every finding is in {}", files.join(", "))
            };
            let note = format!(
                "{} of {total} finding rows are not listed, to stay under {budget} bytes; the summary above counts every failing check",
                total - shown
            );
            let _ = writeln!(doc, "---\n\n**Cut:** {note}; {where_}.");
            left_out.0.push(note);
        }
        // The summary alone over the budget (thousands of accounts): cut it at a line.
        if doc.len() > budget {
            let mut end = budget.saturating_sub(CUT_NOTICE_BYTES);
            while !doc.is_char_boundary(end) {
                end -= 1;
            }
            let end = doc[..end].rfind('\n').map_or(0, |i| i + 1);
            doc.truncate(end);
            doc += "\n**Cut:** the summary itself exceeds the budget; see the json report.\n";
        }
        out.write_all(doc.as_bytes())?;
        Ok(left_out)
    }
}

fn header(report: &Report) -> String {
    let run = &report.run;
    let mut doc = String::new();
    let _ = writeln!(doc, "# s3tk scan report\n");
    let _ = writeln!(doc, "| | |\n| --- | --- |");
    let _ = writeln!(doc, "| Generated | {} |", md(&run.generated_at));
    if report.is_multi_account() {
        let _ = writeln!(
            doc,
            "| Accounts | {} (scanned from {}) |",
            report.accounts().len(),
            md(run.account.as_deref().unwrap_or("unknown"))
        );
    } else {
        let _ = writeln!(
            doc,
            "| Account | {} |",
            md(run.account.as_deref().unwrap_or("unknown"))
        );
    }
    let regions = report.regions();
    let _ = writeln!(
        doc,
        "| Regions | {} |",
        if regions.is_empty() {
            "none".into()
        } else {
            md(&regions.join(", "))
        }
    );
    let _ = writeln!(doc, "| Buckets | {} |", report.buckets().len());
    let _ = writeln!(doc, "| Checks | {} |", report.checks().len());
    let _ = writeln!(doc, "| Duration | {:.1} s |", run.wall_time.as_secs_f64());
    let _ = writeln!(doc, "| Tool | s3tk {} |\n", md(run.tool_version));
    doc
}

fn headline(s: &Summary) -> String {
    let mut parts = Vec::new();
    if s.fail > 0 {
        parts.push(format!("{} failing", s.fail));
    }
    if s.error > 0 {
        parts.push(format!("{} could not be evaluated", s.error));
    }
    if s.muted > 0 {
        parts.push(format!("{} muted", s.muted));
    }
    parts.push(format!("{} passed", s.pass));
    if s.skip > 0 {
        parts.push(format!("{} not applicable", s.skip));
    }
    parts.join(", ")
}

/// The checks sorted most severe first, then by id.
fn by_severity(mut checks: Vec<&'static CheckMeta>) -> Vec<&'static CheckMeta> {
    checks.sort_by_key(|c| (std::cmp::Reverse(c.severity), c.id));
    checks
}

fn findings_of<'a>(report: &'a Report, check: &CheckMeta, status: Status) -> Vec<&'a Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.check.id == check.id && f.status == status)
        .collect()
}

/// Counts by severity, by check (every check with a failure, error or muted finding) and,
/// for a multi-account scan, by account.
fn write_summary(report: &Report, doc: &mut String) {
    let _ = writeln!(doc, "## Summary\n");
    let _ = writeln!(
        doc,
        "| Severity | Fail | Error | Muted | Pass | Skip |\n| --- | ---: | ---: | ---: | ---: | ---: |"
    );
    for severity in SEVERITIES {
        let s = Summary::of(report.findings.iter().filter(|f| f.severity == severity));
        if s.total() > 0 {
            let _ = writeln!(
                doc,
                "| {severity} | {} | {} | {} | {} | {} |",
                s.fail, s.error, s.muted, s.pass, s.skip
            );
        }
    }
    let s = report.summary();
    let _ = writeln!(
        doc,
        "| **total** | **{}** | **{}** | **{}** | **{}** | **{}** |\n",
        s.fail, s.error, s.muted, s.pass, s.skip
    );

    let _ = writeln!(doc, "### By check\n");
    let _ = writeln!(
        doc,
        "| Check | Severity | Fail | Error | Muted | Pass |\n| --- | --- | ---: | ---: | ---: | ---: |"
    );
    let mut clean = Vec::new();
    for check in by_severity(report.checks()) {
        let s = Summary::of(report.findings.iter().filter(|f| f.check.id == check.id));
        if s.fail + s.error + s.muted == 0 {
            clean.push(code(check.id));
            continue;
        }
        let _ = writeln!(
            doc,
            "| {} | {} | {} | {} | {} | {} |",
            code(check.id),
            check.severity,
            s.fail,
            s.error,
            s.muted,
            s.pass
        );
    }
    let _ = writeln!(doc);
    if !clean.is_empty() {
        let _ = writeln!(doc, "Passing everywhere: {}\n", clean.join(", "));
    }

    if report.is_multi_account() {
        let _ = writeln!(doc, "### By account\n");
        let _ = writeln!(doc, "| Account | Result |\n| --- | --- |");
        for account in report.accounts() {
            let part = report.for_account(account);
            let _ = writeln!(doc, "| {} | {} |", md(account), headline(&part.summary()));
        }
        let _ = writeln!(doc);
    }
}

/// A collapsible table of `findings`, one row each: bucket (account), region, then `cell`.
fn details_rows(
    report: &Report,
    findings: &[&Finding],
    last_column: &str,
    cell: impl Fn(&Finding) -> String,
) -> (String, Vec<String>, String) {
    let accounts = report.is_multi_account();
    let noun = if findings.len() == 1 {
        "resource"
    } else {
        "resources"
    };
    let head = format!(
        "<details><summary>{} {noun}</summary>\n\n| {}Resource | Region | {last_column} |\n| {}--- | --- | --- |\n",
        findings.len(),
        if accounts { "Account | " } else { "" },
        if accounts { "--- | " } else { "" },
    );
    let rows = findings
        .iter()
        .map(|f| {
            let account = if accounts {
                format!("{} | ", md(f.account.as_deref().unwrap_or("unknown")))
            } else {
                String::new()
            };
            format!(
                "| {account}{} | {} | {} |\n",
                md(&f.resource.name()),
                md(f.region.as_deref().unwrap_or("unknown")),
                cell(f)
            )
        })
        .collect();
    (head, rows, "\n</details>\n\n".to_owned())
}

/// Per failing check: title, severity and count, why it matters, how to fix, then the buckets.
fn failing_blocks(report: &Report) -> Vec<Block> {
    let mut blocks = Vec::new();
    for check in by_severity(report.checks()) {
        let failing = findings_of(report, check, Status::Fail);
        if failing.is_empty() {
            continue;
        }
        let mut head = String::new();
        if blocks.is_empty() {
            head += "## Failing findings\n\n";
        }
        let _ = writeln!(
            head,
            "### {} ({}) · {} failing\n",
            md(check.title),
            check.severity,
            failing.len()
        );
        let compliance: Vec<String> = check.compliance.iter().map(ToString::to_string).collect();
        if compliance.is_empty() {
            let _ = writeln!(head, "Check {}.\n", code(check.id));
        } else {
            let _ = writeln!(
                head,
                "Check {} · {}.\n",
                code(check.id),
                md(&compliance.join(", "))
            );
        }
        // The doc text is s3tk's own Markdown, so it goes in as written.
        let _ = writeln!(
            head,
            "**Why it matters:** {}\n",
            check.doc_summary("Why it matters")
        );
        match crate::registry::remediation_for(check.id) {
            Some(remediation) => {
                let _ = writeln!(
                    head,
                    "**Fix:** {} for each resource below (`s3tk scan --fix` prints every command).\n",
                    code(&remediation.meta.usage.replace("{bucket}", "BUCKET"))
                );
            }
            None => {
                let _ = writeln!(
                    head,
                    "**How to fix:** {}\n",
                    check.doc_summary("How to fix")
                );
            }
        }
        let (table, rows, tail) = details_rows(report, &failing, "Finding", |f| md(&f.message));
        blocks.push(Block {
            head: head + &table,
            rows,
            tail,
        });
    }
    blocks
}

/// Per check that could not be evaluated: the permissions it needs, then the buckets and why.
fn error_blocks(report: &Report) -> Vec<Block> {
    let mut blocks = Vec::new();
    for check in by_severity(report.checks()) {
        let errors = findings_of(report, check, Status::Error);
        if errors.is_empty() {
            continue;
        }
        let mut head = String::new();
        if blocks.is_empty() {
            head += "## Could not evaluate\n\nThese checks are neither passed nor failed. Most often the scanning identity lacks a permission.\n\n";
        }
        let actions: Vec<String> = check.iam_actions().iter().map(|a| code(a)).collect();
        let _ = writeln!(
            head,
            "### {} · {} not evaluated\n\nPermissions the check needs: {}\n",
            code(check.id),
            errors.len(),
            actions.join(", ")
        );
        let (table, rows, tail) = details_rows(report, &errors, "Reason", |f| {
            md(f.message
                .strip_prefix("could not evaluate: ")
                .unwrap_or(&f.message))
        });
        blocks.push(Block {
            head: head + &table,
            rows,
            tail,
        });
    }
    blocks
}

/// Per check with muted findings: the findings and the ignore file's reasons.
fn muted_blocks(report: &Report) -> Vec<Block> {
    let mut blocks = Vec::new();
    for check in by_severity(report.checks()) {
        let muted = findings_of(report, check, Status::Muted);
        if muted.is_empty() {
            continue;
        }
        let mut head = String::new();
        if blocks.is_empty() {
            head += "## Muted\n\n";
        }
        let _ = writeln!(head, "### {} · {} muted\n", code(check.id), muted.len());
        let (table, rows, tail) = details_rows(report, &muted, "Finding · reason", |f| {
            format!(
                "{} · {}",
                md(&f.message),
                md(f.muted_reason.as_deref().unwrap_or_default())
            )
        });
        blocks.push(Block {
            head: head + &table,
            rows,
            tail,
        });
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::md;
    use crate::report::{Report, ReportOptions, RunInfo, Status, Style};
    use crate::testing::sample_report;

    fn render(report: &Report) -> String {
        crate::testing::render("markdown", report, Style::default())
    }

    #[test]
    fn snapshot() {
        crate::testing::assert_snapshot("report.md", &render(&sample_report()));
    }

    #[test]
    fn short_when_everything_passes() {
        let mut report = sample_report();
        report
            .findings
            .retain(|f| f.status == crate::report::Status::Pass);
        let text = render(&report);
        assert!(
            text.ends_with(
                "**All 1 findings passed** (1 passed, 0 not applicable) on 1 buckets.\n"
            ),
            "{text}"
        );
        assert!(text.lines().count() < 15, "{text}");
        let empty = render(&Report::new(
            RunInfo {
                account: None,
                ..sample_report().run
            },
            vec![],
        ));
        assert!(
            empty.contains("| Account | unknown |") && empty.contains("| Regions | none |"),
            "{empty}"
        );
    }

    /// The rows of the "By check" table: (check id, fail count).
    fn by_check(text: &str) -> Vec<(String, usize)> {
        let table = &text[text.find("### By check").unwrap()..];
        table
            .lines()
            .skip(4)
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                (
                    cells[1].trim_matches('`').to_owned(),
                    cells[3].parse().unwrap(),
                )
            })
            .collect()
    }

    fn failing_counts(report: &Report) -> Vec<(String, usize)> {
        let mut counts: Vec<(String, usize)> = report
            .checks()
            .iter()
            .map(|c| {
                let failing = report
                    .findings
                    .iter()
                    .filter(|f| f.check.id == c.id && f.status == Status::Fail)
                    .count();
                (c.id.to_owned(), failing)
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        counts.sort();
        counts
    }

    #[test]
    fn a_large_account_fits_githubs_limits() {
        let report = crate::synthetic::synthetic_report(2_000);
        let every_failing_check = failing_counts(&report);
        assert!(every_failing_check.len() > 10);
        for (budget, limit) in [(None, 1_048_576), (Some(65_536), 65_536)] {
            let options = ReportOptions {
                markdown_max_bytes: budget,
                complete_reports: vec!["reports/s3tk.json".into()],
                ..ReportOptions::default()
            };
            let (text, left_out) = crate::synthetic::render("markdown", &report, &options);
            assert!(
                text.len() <= budget.unwrap_or(super::DEFAULT_MAX_BYTES)
                    && text.chars().count() < limit,
                "{} bytes",
                text.len()
            );
            let mut listed: Vec<(String, usize)> = by_check(&text)
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .collect();
            listed.sort();
            assert_eq!(
                listed, every_failing_check,
                "every failing check and its count"
            );
            assert_eq!(left_out.0.len(), 1, "{left_out:?}");
            assert!(
                text.trim_end()
                    .ends_with("every finding is in `reports/s3tk.json`."),
                "{}",
                &text[text.len() - 400..]
            );
            // Grouped by check, not one row per bucket and check in the summary.
            assert!(text.find("## Summary").unwrap() < text.find("## Failing findings").unwrap());
        }
    }

    #[test]
    fn failing_findings_are_grouped_by_check() {
        let text = render(&sample_report());
        let failing = &text[text.find("## Failing findings").unwrap()..];
        let failing = &failing[..failing.find("## Could not evaluate").unwrap()];
        assert_eq!(failing.matches("\n### ").count(), 3, "{failing}");
        assert_eq!(failing.matches("<details>").count(), 3, "{failing}");
        assert!(
            failing.contains("| site\\|www\\_&lt;b&gt; | us-east-1 | policy is public"),
            "{failing}"
        );
    }

    #[test]
    fn escaping() {
        assert_eq!(
            md("a|b_<c>*d&`e`\nf (#1) [x](y)"),
            r"a\|b\_&lt;c&gt;\*d&amp;\`e\` f (\#1) \[x\](y)"
        );
        // A terminal escape shows as text, its backslash escaped for Markdown.
        assert_eq!(md("k\x1b[31m\u{202e}"), r"k\\x1b\[31m\\u{202e}");
    }
}
