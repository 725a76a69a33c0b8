//! `junit`: JUnit XML for CI gates (Jenkins, GitLab, Azure DevOps, CircleCI).
//!
//! One `<testsuite>` per check (with its own `tests`/`failures`/`errors`/`skipped` counts and
//! time), one `<testcase>` per bucket named `[SEVERITY][check-id] bucket` with classname
//! `s3tk.<check-id>`.
//!
//! Times: a testcase's is the time its check took on that bucket. The checks run concurrently,
//! so those add up to far more than the run took (9 hours for a 55-second scan); consumers
//! such as Jenkins add up the suites' times for the run's duration. So `<testsuites>` carries
//! the run's wall time, and the suites share it out in proportion to their testcases' time:
//! the suites add up to the run, to the millisecond. A failure's body says where, why it matters and how to fix it; an
//! evaluation error is `<error>`; skipped and muted findings are `<skipped>` with the reason.
//!
//! The document is valid against the Apache Ant JUnit schema (the strictest published one:
//! required `properties`, `system-out`, `system-err`, `hostname`, a timestamp without zone),
//! plus the totals on `<testsuites>` that Jenkins' schema allows. quick-junit is not used: it
//! always writes a `disabled` attribute and zoned timestamps, which both schemas reject; the
//! XML is written with quick-xml, which escapes every attribute and text node.

use crate::check::CheckMeta;
use crate::output::printable;
use crate::report::{
    Finding, LeftOut, Report, ReportOptions, Reporter, ReporterEntry, Resource, Status, Summary,
};
use quick_xml::Writer;
use quick_xml::escape::partial_escape;
use quick_xml::events::{BytesDecl, BytesText, Event};
use std::io::{self, Write};
use std::time::Duration;

struct JunitReporter;

inventory::submit! {
    ReporterEntry { name: "junit", description: "JUnit XML for CI test reports", reporter: &JunitReporter }
}

fn seconds(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// XML 1.0 cannot carry most control characters, even escaped: they are shown as escapes
/// (`\x1b`), line by line so the body keeps its lines.
fn xml_text(text: &str) -> String {
    text.split('\n')
        .map(printable)
        .collect::<Vec<_>>()
        .join("\n")
}

impl Reporter for JunitReporter {
    fn write(
        &self,
        report: &Report,
        _: &ReportOptions,
        out: &mut dyn Write,
    ) -> io::Result<LeftOut> {
        let mut w = Writer::new_with_indent(out, b' ', 2);
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let total = report.summary();
        let checks = report.checks();
        let busy: Vec<Duration> = checks
            .iter()
            .map(|c| {
                report
                    .findings
                    .iter()
                    .filter(|f| f.check.id == c.id)
                    .map(|f| f.elapsed)
                    .sum()
            })
            .collect();
        let wall_millis = u64::try_from(report.run.wall_time.as_millis()).unwrap_or(u64::MAX);
        let suite_millis = share_out(wall_millis, &busy);
        w.create_element("testsuites")
            .with_attribute(("name", "s3tk"))
            .with_attribute(("tests", total.total().to_string().as_str()))
            .with_attribute(("failures", total.fail.to_string().as_str()))
            .with_attribute(("errors", total.error.to_string().as_str()))
            .with_attribute(("time", millis(wall_millis).as_str()))
            .write_inner_content(|w| {
                for (index, check) in checks.iter().enumerate() {
                    let findings: Vec<&Finding> = report
                        .findings
                        .iter()
                        .filter(|f| f.check.id == check.id)
                        .collect();
                    let time = millis(suite_millis[index]);
                    write_suite(w, report, (index, &time), check, &findings)?;
                }
                Ok(())
            })?;
        writeln!(w.get_mut())?;
        Ok(LeftOut::nothing())
    }
}

/// Milliseconds as JUnit's seconds (`1.234`), exactly.
fn millis(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// Shares `total` milliseconds out in proportion to `weights`, in whole milliseconds that add
/// up to `total` exactly (largest remainder); equal shares when no weight is positive.
fn share_out(total: u64, weights: &[Duration]) -> Vec<u64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let raw: Vec<u128> = weights.iter().map(Duration::as_nanos).collect();
    let sum: u128 = raw.iter().sum();
    let (raw, sum) = if sum == 0 {
        (vec![1; raw.len()], raw.len() as u128)
    } else {
        (raw, sum)
    };
    let exact: Vec<(u128, u128)> = raw
        .iter()
        .map(|w| (u128::from(total) * w / sum, u128::from(total) * w % sum))
        .collect();
    let mut shares: Vec<u64> = exact.iter().map(|(q, _)| *q as u64).collect();
    let missing = total - shares.iter().sum::<u64>();
    let mut by_remainder: Vec<usize> = (0..shares.len()).collect();
    by_remainder.sort_by_key(|&i| std::cmp::Reverse(exact[i].1));
    for &i in by_remainder.iter().take(missing as usize) {
        shares[i] += 1;
    }
    shares
}

fn write_suite<W: Write>(
    w: &mut Writer<W>,
    report: &Report,
    (index, time): (usize, &str),
    check: &CheckMeta,
    findings: &[&Finding],
) -> io::Result<()> {
    let counts = Summary::of(findings.iter().copied());
    // The Ant schema's timestamp has no zone designator; s3tk's times are UTC.
    let timestamp = report.run.generated_at.trim_end_matches('Z');
    w.create_element("testsuite")
        .with_attribute(("name", check.id))
        .with_attribute(("package", "s3tk"))
        .with_attribute(("id", index.to_string().as_str()))
        .with_attribute(("timestamp", timestamp))
        .with_attribute(("hostname", report.run.hostname.as_str()))
        .with_attribute(("tests", findings.len().to_string().as_str()))
        .with_attribute(("failures", counts.fail.to_string().as_str()))
        .with_attribute(("errors", counts.error.to_string().as_str()))
        .with_attribute(("skipped", (counts.skip + counts.muted).to_string().as_str()))
        .with_attribute(("time", time))
        .write_inner_content(|w| {
            let compliance: Vec<String> =
                check.compliance.iter().map(ToString::to_string).collect();
            let properties = [
                ("check.id", check.id.to_owned()),
                ("check.title", check.title.to_owned()),
                ("check.severity", check.severity.to_string()),
                ("check.compliance", compliance.join(", ")),
                (
                    "aws.account",
                    report
                        .run
                        .account
                        .clone()
                        .unwrap_or_else(|| "unknown".into()),
                ),
                ("s3tk.version", report.run.tool_version.to_owned()),
            ];
            w.create_element("properties").write_inner_content(|w| {
                for (name, value) in &properties {
                    w.create_element("property")
                        .with_attribute(("name", *name))
                        .with_attribute(("value", xml_text(value).as_str()))
                        .write_empty()?;
                }
                Ok(())
            })?;
            let accounts = report.is_multi_account();
            for finding in findings {
                write_case(w, finding, accounts)?;
            }
            w.create_element("system-out").write_empty()?;
            w.create_element("system-err").write_empty()?;
            Ok(())
        })?;
    Ok(())
}

/// One test case; `accounts` (a multi-account scan) puts the account in its name.
fn write_case<W: Write>(w: &mut Writer<W>, f: &Finding, accounts: bool) -> io::Result<()> {
    let account = match (&f.account, accounts) {
        (Some(account), true) => format!(" (account {account})"),
        _ => String::new(),
    };
    let name = format!(
        "[{}][{}] {}{account}",
        f.severity.as_str().to_uppercase(),
        f.check.id,
        f.resource.name()
    );
    let case = w
        .create_element("testcase")
        .with_attribute(("name", xml_text(&name).as_str()))
        .with_attribute(("classname", format!("s3tk.{}", f.check.id).as_str()))
        .with_attribute(("time", seconds(f.elapsed).as_str()));
    let region = f.region.as_deref().unwrap_or("unknown");
    let where_ = match &f.resource {
        Resource::Bucket(name) => format!("Bucket: {name}"),
        Resource::Account(id) => format!("Account: {id}"),
        Resource::DnsRecord {
            name,
            record_type,
            zone_id,
        } => format!("DNS record: {name} {record_type} in hosted zone {zone_id}"),
    };
    let message = xml_text(&f.message);
    match f.status {
        Status::Pass => {
            case.write_empty()?;
        }
        Status::Fail => {
            let fix = match crate::registry::fix_command(f) {
                Some(command) => format!("Fix: {command}"),
                None => format!("How to fix: {}", f.check.doc_summary("How to fix")),
            };
            let body = format!(
                "{where_}\nRegion: {region}\nSeverity: {}\nCompliance: {}\nFinding: {}\nWhy it matters: {}\n{fix}\nMore: s3tk explain {}",
                f.severity,
                f.check
                    .compliance
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                f.message,
                f.check.doc_summary("Why it matters"),
                f.check.id
            );
            case.write_inner_content(|w| {
                w.create_element("failure")
                    .with_attribute(("message", message.as_str()))
                    .with_attribute(("type", f.check.id))
                    .write_text_content(BytesText::from_escaped(partial_escape(xml_text(&body))))?;
                Ok(())
            })?;
        }
        Status::Error => {
            let body = format!(
                "{where_}\nRegion: {region}\nThe check could not be evaluated: it is neither passed nor failed.\n\
                 Permissions the check needs: {}",
                f.check.iam_actions().join(", ")
            );
            case.write_inner_content(|w| {
                w.create_element("error")
                    .with_attribute(("message", message.as_str()))
                    .with_attribute(("type", "could-not-evaluate"))
                    .write_text_content(BytesText::from_escaped(partial_escape(xml_text(&body))))?;
                Ok(())
            })?;
        }
        Status::Skip | Status::Muted => {
            let reason = match &f.muted_reason {
                Some(reason) => format!("muted: {reason}"),
                None => f.message.clone(),
            };
            case.write_inner_content(|w| {
                w.create_element("skipped")
                    .with_attribute(("message", xml_text(&reason).as_str()))
                    .write_text_content(BytesText::from_escaped(partial_escape(&message)))?;
                Ok(())
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::report::Style;
    use crate::testing::sample_report;

    fn render() -> String {
        crate::testing::render("junit", &sample_report(), Style::default())
    }

    #[test]
    fn snapshot() {
        crate::testing::assert_snapshot("junit.xml", &render());
    }

    /// Every `time` attribute of `element` in `xml`, in milliseconds.
    fn times(xml: &str, element: &str) -> Vec<u64> {
        xml.split(&format!("<{element} "))
            .skip(1)
            .map(|tag| {
                let tag = &tag[..tag.find('>').unwrap()];
                let value = tag.split(" time=\"").nth(1).unwrap();
                let value = &value[..value.find('"').unwrap()];
                let (secs, millis) = value.split_once('.').unwrap();
                secs.parse::<u64>().unwrap() * 1000 + millis.parse::<u64>().unwrap()
            })
            .collect()
    }

    #[test]
    fn times_add_up_to_the_run() {
        // The sample's checks took 93 ms in all, concurrently, in a run of 57 ms.
        let xml = render();
        assert_eq!(times(&xml, "testsuites"), [57]);
        assert_eq!(times(&xml, "testsuite").iter().sum::<u64>(), 57);
        let cases = times(&xml, "testcase");
        let findings = sample_report().findings;
        let mut own: Vec<u64> = findings
            .iter()
            .map(|f| f.elapsed.as_millis() as u64)
            .collect();
        let mut cases_sorted = cases.clone();
        own.sort_unstable();
        cases_sorted.sort_unstable();
        assert_eq!(cases_sorted, own, "each testcase keeps its own time");
        assert!(own.iter().sum::<u64>() > 57);

        let report = crate::synthetic::synthetic_report(2_000);
        let xml = crate::testing::render("junit", &report, Style::default());
        assert_eq!(times(&xml, "testsuites"), [55_000]);
        let suites = times(&xml, "testsuite");
        assert_eq!(suites.len(), report.checks().len());
        assert_eq!(suites.iter().sum::<u64>(), 55_000);
    }

    #[test]
    fn shares_add_up_exactly() {
        use super::share_out;
        use std::time::Duration;
        let ms = Duration::from_millis;
        assert_eq!(share_out(10, &[ms(1), ms(1), ms(1)]), [4, 3, 3]);
        assert_eq!(share_out(100, &[ms(3), ms(1)]), [75, 25]);
        assert_eq!(share_out(5, &[ms(0), ms(0)]), [3, 2]);
        assert_eq!(share_out(0, &[ms(7)]), [0]);
        assert!(share_out(9, &[]).is_empty());
    }
}
