//! `markdown`: an audit report that renders on GitHub, in pull-request comments and in
//! `$GITHUB_STEP_SUMMARY`. Short when everything passes; otherwise failing findings by severity,
//! what to fix and why, what could not be evaluated (with the missing permission), what is
//! muted and why, and a per-bucket breakdown. Every bucket name and message is escaped.

use crate::check::{CheckMeta, Severity};
use crate::output::printable;
use crate::report::{Finding, Report, Reporter, ReporterEntry, Status, Style, Summary};
use std::io::{self, Write};

struct MarkdownReporter;

inventory::submit! {
    ReporterEntry { name: "markdown", description: "Markdown audit report (GitHub, step summaries)", reporter: &MarkdownReporter }
}

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

/// Escapes text inside an HTML element (`<summary>`), where Markdown escapes would show.
fn html(text: &str) -> String {
    printable(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
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

impl Reporter for MarkdownReporter {
    fn write(&self, report: &Report, _: Style, out: &mut dyn Write) -> io::Result<()> {
        let summary = report.summary();
        let buckets = report.buckets();
        let run = &report.run;
        writeln!(out, "# s3tk scan report\n")?;
        writeln!(out, "| | |\n| --- | --- |")?;
        writeln!(out, "| Generated | {} |", md(&run.generated_at))?;
        if report.is_multi_account() {
            writeln!(
                out,
                "| Accounts | {} (scanned from {}) |",
                md(&report.accounts().join(", ")),
                md(run.account.as_deref().unwrap_or("unknown"))
            )?;
        } else {
            writeln!(
                out,
                "| Account | {} |",
                md(run.account.as_deref().unwrap_or("unknown"))
            )?;
        }
        let regions = report.regions();
        writeln!(
            out,
            "| Regions | {} |",
            if regions.is_empty() {
                "none".into()
            } else {
                md(&regions.join(", "))
            }
        )?;
        writeln!(out, "| Buckets | {} |", buckets.len())?;
        writeln!(
            out,
            "| Checks | {} |",
            report
                .checks()
                .iter()
                .map(|c| code(c.id))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        writeln!(out, "| Tool | s3tk {} |\n", md(run.tool_version))?;

        if summary.fail == 0 && summary.error == 0 && summary.muted == 0 {
            return writeln!(
                out,
                "**All {} findings passed** ({} passed, {} not applicable) on {} buckets.",
                summary.total(),
                summary.pass,
                summary.skip,
                buckets.len()
            );
        }
        writeln!(out, "**{}**\n", headline(&summary))?;
        if !report.is_multi_account() {
            return write_body(report, out);
        }
        // A multi-account scan: a line per account, then each account's report, one heading
        // level down.
        writeln!(out, "| Account | Result |\n| --- | --- |")?;
        for account in report.accounts() {
            let part = report.for_account(account);
            writeln!(out, "| {} | {} |", md(account), headline(&part.summary()))?;
        }
        writeln!(out)?;
        for account in report.accounts() {
            let part = report.for_account(account);
            writeln!(out, "## Account {}\n", md(account))?;
            let mut body = Vec::new();
            write_body(&part, &mut body)?;
            for line in String::from_utf8_lossy(&body).lines() {
                if line.starts_with('#') {
                    write!(out, "#")?;
                }
                writeln!(out, "{line}")?;
            }
        }
        Ok(())
    }
}

fn write_body(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_summary_table(report, out)?;
    write_failing(report, out)?;
    write_what_to_fix(report, out)?;
    write_errors(report, out)?;
    write_muted(report, out)?;
    write_per_bucket(report, out)
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

fn write_summary_table(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## Summary\n")?;
    writeln!(
        out,
        "| Severity | Fail | Error | Muted | Pass | Skip |\n| --- | ---: | ---: | ---: | ---: | ---: |"
    )?;
    for severity in SEVERITIES {
        let s = Summary::of(report.findings.iter().filter(|f| f.severity == severity));
        if s.total() > 0 {
            writeln!(
                out,
                "| {severity} | {} | {} | {} | {} | {} |",
                s.fail, s.error, s.muted, s.pass, s.skip
            )?;
        }
    }
    let s = report.summary();
    writeln!(
        out,
        "| **total** | **{}** | **{}** | **{}** | **{}** | **{}** |\n",
        s.fail, s.error, s.muted, s.pass, s.skip
    )
}

fn by_severity(report: &Report, status: Status) -> Vec<&Finding> {
    let mut findings: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == status)
        .collect();
    // Stable sort: within a severity the report's bucket/check order stays.
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    findings
}

fn write_failing(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let failing = by_severity(report, Status::Fail);
    if failing.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Failing findings\n")?;
    writeln!(
        out,
        "| Severity | Bucket | Region | Check | Finding |\n| --- | --- | --- | --- | --- |"
    )?;
    for f in failing {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            f.severity,
            md(&f.resource.name()),
            md(f.region.as_deref().unwrap_or("unknown")),
            code(f.check.id),
            md(&f.message)
        )?;
    }
    writeln!(out)
}

fn write_what_to_fix(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let failing = by_severity(report, Status::Fail);
    let mut checks: Vec<&CheckMeta> = failing.iter().map(|f| f.check).collect();
    checks.sort_by_key(|c| (std::cmp::Reverse(c.severity), c.id));
    checks.dedup_by_key(|c| c.id);
    if checks.is_empty() {
        return Ok(());
    }
    writeln!(out, "## What to fix\n")?;
    for check in checks {
        let affected: Vec<&&Finding> = failing.iter().filter(|f| f.check.id == check.id).collect();
        writeln!(out, "### {} ({})\n", md(check.title), check.severity)?;
        let compliance: Vec<String> = check.compliance.iter().map(ToString::to_string).collect();
        if compliance.is_empty() {
            writeln!(out, "Check {}.\n", code(check.id))?;
        } else {
            writeln!(
                out,
                "Check {} · {}.\n",
                code(check.id),
                md(&compliance.join(", "))
            )?;
        }
        // The doc text is s3tk's own Markdown, so it goes in as written.
        writeln!(
            out,
            "**Why it matters:** {}\n",
            check.doc_summary("Why it matters")
        )?;
        let commands: Vec<String> = affected
            .iter()
            .filter_map(|f| crate::registry::fix_command(f))
            .collect();
        if commands.is_empty() {
            writeln!(out, "**How to fix:** {}\n", check.doc_summary("How to fix"))?;
        } else {
            writeln!(out, "**Fix:**\n\n```sh\n{}\n```\n", commands.join("\n"))?;
        }
        let names: Vec<String> = affected.iter().map(|f| md(&f.resource.name())).collect();
        writeln!(
            out,
            "Affected buckets ({}): {}\n",
            names.len(),
            names.join(", ")
        )?;
    }
    Ok(())
}

fn write_errors(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let errors: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Error)
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Could not evaluate\n")?;
    writeln!(
        out,
        "These checks are neither passed nor failed. Most often the scanning identity lacks a permission.\n"
    )?;
    writeln!(
        out,
        "| Bucket | Check | Reason | Permissions the check needs |\n| --- | --- | --- | --- |"
    )?;
    for f in errors {
        let reason = f
            .message
            .strip_prefix("could not evaluate: ")
            .unwrap_or(&f.message);
        let actions: Vec<String> = f.check.iam_actions().iter().map(|a| code(a)).collect();
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            md(&f.resource.name()),
            code(f.check.id),
            md(reason),
            actions.join(", ")
        )?;
    }
    writeln!(out)
}

fn write_muted(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let muted = by_severity(report, Status::Muted);
    if muted.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Muted\n")?;
    writeln!(
        out,
        "| Severity | Bucket | Check | Finding | Reason |\n| --- | --- | --- | --- | --- |"
    )?;
    for f in muted {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            f.severity,
            md(&f.resource.name()),
            code(f.check.id),
            md(&f.message),
            md(f.muted_reason.as_deref().unwrap_or_default())
        )?;
    }
    writeln!(out)
}

fn write_per_bucket(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## Buckets\n")?;
    let mut clean = Vec::new();
    for resource in report.resources() {
        let findings: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| &f.resource == resource)
            .collect();
        let s = Summary::of(findings.iter().copied());
        let name = resource.name();
        if s.fail + s.error + s.muted == 0 {
            clean.push(md(&name));
            continue;
        }
        let region = findings
            .iter()
            .find_map(|f| f.region.as_deref())
            .unwrap_or("unknown region");
        writeln!(
            out,
            "<details><summary>{} ({}): {}</summary>\n",
            html(&name),
            html(region),
            headline(&s)
        )?;
        writeln!(out, "| Status | Check | Result |\n| --- | --- | --- |")?;
        for f in findings {
            writeln!(
                out,
                "| {} | {} | {} |",
                f.status.as_str(),
                code(f.check.id),
                md(&f.message)
            )?;
        }
        writeln!(out, "\n</details>\n")?;
    }
    if !clean.is_empty() {
        writeln!(out, "Passing every check: {}", clean.join(", "))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::md;
    use crate::report::{Report, RunInfo, Style};
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

    #[test]
    fn escaping() {
        assert_eq!(
            md("a|b_<c>*d&`e`\nf (#1) [x](y)"),
            r"a\|b\_&lt;c&gt;\*d&amp;\`e\` f (\#1) \[x\](y)"
        );
        // A terminal escape shows as text, its backslash escaped for Markdown.
        assert_eq!(md("k\x1b[31m\u{202e}"), r"k\\x1b\[31m\\u{202e}");
        assert_eq!(super::html("<k\x07>"), r"&lt;k\x07&gt;");
    }
}
