//! `scan --fix [--apply]`: the commands that fix the failing findings, and with `--apply` the
//! safe ones run. Everything goes to stderr, so stdout keeps the report alone.

use crate::cli::Failure;
use crate::cli::confirm::Confirmation;
use crate::cli::remediate::write_fix_results;
use crate::exit::Tally;
use crate::fix::{FixOutcome, FixResult};
use crate::output::printable;
use crate::registry;
use crate::remediation::{FixContext, FixOptions, RemediationEntry};
use crate::report::{FailOn, Finding, Report, Status, Style};
use crate::select::SelectedBucket;
use crate::state::AccountState;
use std::io::{self, Write};
use std::sync::Arc;

/// A safe bucket remediation with the failing buckets it applies to.
type Work = Vec<(&'static RemediationEntry, Vec<SelectedBucket>)>;

/// What `scan --fix` was asked to do.
pub(super) struct FixRequest<'a> {
    /// Run the safe fixes (`--apply`), not only print them.
    pub apply: bool,
    /// The scan's bucket arguments, which the advice reuses as a pattern for many buckets.
    pub selection: &'a [String],
    pub confirmation: &'a Confirmation<'a>,
}

/// The report's tally after the fixes, merged with the fixes' own.
pub(super) async fn fix_after_scan(
    account: Arc<AccountState>,
    mut report: Report,
    fix: FixRequest<'_>,
    fail_on: FailOn,
    concurrency: usize,
    style: Style,
) -> Result<Tally, Failure> {
    let failing: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .collect();
    if !print_fixes(&report, fix.selection)? || !fix.apply {
        return Ok(report.tally(fail_on));
    }
    let work = safe_work(&failing);
    let mut changing: Vec<&str> = work
        .iter()
        .flat_map(|(_, buckets)| buckets.iter().map(|b| b.name.as_str()))
        .collect();
    changing.sort_unstable();
    changing.dedup();
    let scanned = report.buckets().len();
    if !fix
        .confirmation
        .go_ahead("scan --fix --apply", &changing, scanned)?
    {
        let mut declined = report.tally(fail_on);
        declined.unresolved();
        return Ok(declined);
    }
    let context = FixContext {
        options: FixOptions::default(),
        log_target: None,
    };
    let mut results = Vec::new();
    for (entry, buckets) in work {
        eprintln!("{}:", entry.meta.title);
        let fixed = crate::fix::fix_buckets(
            Arc::clone(&account),
            buckets,
            entry,
            &context,
            false,
            concurrency,
        )
        .await;
        write_fix_results(&fixed, style, &mut io::stderr().lock())?;
        results.extend(fixed);
    }
    // The exit code reflects the state after the fixes.
    record_verified(&mut report, &results);
    Ok(report.tally(fail_on).merge(crate::fix::tally(&results)))
}

/// Prints the commands that fix the failures, one per fix with all its buckets, then the
/// checks s3tk cannot fix; `false` when nothing failed.
fn print_fixes(report: &Report, selection: &[String]) -> io::Result<bool> {
    let advice = crate::fix::advice(report, selection);
    let mut err = io::stderr().lock();
    if advice.commands.is_empty() && advice.manual.is_empty() {
        writeln!(err, "Nothing to fix.")?;
        return Ok(false);
    }
    if !advice.commands.is_empty() {
        writeln!(err, "To fix:")?;
    }
    for command in &advice.commands {
        writeln!(err, "  {}", printable(&command.line))?;
        if let Some(note) = &command.note {
            writeln!(err, "    ({note})")?;
        }
    }
    if !advice.manual.is_empty() {
        writeln!(err, "No s3tk command fixes:")?;
    }
    for (id, failing) in &advice.manual {
        writeln!(err, "  {id} ({failing} failing): see `s3tk explain {id}`")?;
    }
    Ok(true)
}

/// The safe bucket remediations of the failing findings, each with its buckets.
fn safe_work(failing: &[&Finding]) -> Work {
    let mut work: Work = Vec::new();
    for f in failing {
        let Some(bucket) = f.resource.bucket() else {
            continue;
        };
        let Some(entry) = registry::remediation_for(f.check.id).filter(|e| e.meta.safe) else {
            continue;
        };
        let selected = SelectedBucket {
            name: bucket.to_owned(),
            listed_region: f.region.clone(),
        };
        match work.iter_mut().find(|(e, _)| e.meta.id == entry.meta.id) {
            Some((_, buckets)) if !buckets.contains(&selected) => buckets.push(selected),
            Some(_) => {}
            None => work.push((entry, vec![selected])),
        }
    }
    work
}

/// Each finding a fix re-evaluated takes its status after the fix.
fn record_verified(report: &mut Report, results: &[FixResult]) {
    for r in results {
        if let (FixOutcome::Changed { verified, .. }, Some(bucket)) =
            (&r.outcome, r.resource.bucket())
        {
            for v in verified {
                if let Some(f) = report
                    .findings
                    .iter_mut()
                    .find(|f| f.check.id == v.check && f.resource.bucket() == Some(bucket))
                {
                    f.status = v.after;
                    f.message = v.message.clone();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Outcome;
    use crate::cli::Cli;
    use crate::fix::{NAMED_BUCKETS, advice};
    use crate::report::{Resource, RunInfo};
    use clap::Parser;
    use std::time::Duration;

    fn finding(bucket: &str, check: &str, outcome: Outcome) -> Finding {
        let meta = registry::check(check).unwrap().meta;
        Finding::new(
            meta,
            Resource::Bucket(bucket.into()),
            Some("us-east-1"),
            Ok(outcome),
            Duration::ZERO,
        )
    }

    fn report(findings: Vec<Finding>) -> Report {
        Report::new(
            RunInfo::finished(Some("123456789012".into()), std::time::Instant::now()),
            findings,
        )
    }

    fn fail(bucket: &str, check: &str) -> Finding {
        finding(bucket, check, Outcome::Fail("failed".into()))
    }

    /// The words of an advised line as the shell would pass them (single-quoted words
    /// unquoted); a `for b in …; do …; done` loop gives its command, run for the first bucket.
    fn command_words(line: &str) -> Vec<String> {
        let (line, first) = match line.strip_prefix("for b in ") {
            Some(rest) => {
                let (buckets, body) = rest.split_once("; do ").unwrap();
                let body = body.strip_suffix("; done").unwrap();
                let first = buckets.split(' ').next().unwrap().to_owned();
                (body.replace("\"$b\"", &first), true)
            }
            None => (line.to_owned(), false),
        };
        assert!(!first || !line.contains("$b"));
        line.split(' ')
            .map(|w| w.trim_matches('\'').to_owned())
            .collect()
    }

    #[test]
    fn one_line_per_fix_with_all_its_buckets() {
        let mut findings = Vec::new();
        for bucket in ["a", "b", "c"] {
            findings.push(fail(bucket, "s3.bucket.versioning-disabled"));
            findings.push(fail(bucket, "s3.bucket.public-acl-read"));
            findings.push(fail(bucket, "s3.bucket.public-access-block-disabled"));
            findings.push(fail(bucket, "s3.bucket.mfa-delete-disabled"));
        }
        findings.push(fail("it's", "s3.bucket.versioning-disabled"));
        let advice = advice(&report(findings), &[]);
        let lines: Vec<&str> = advice.commands.iter().map(|c| c.line.as_str()).collect();
        assert_eq!(
            lines,
            [
                // The most severe first: public ACLs are high, versioning medium.
                "s3tk block-public-access a b c",
                "s3tk enable-versioning a b c 'it'\\''s'",
            ]
        );
        assert_eq!(advice.manual, [("s3.bucket.mfa-delete-disabled", 3)]);
    }

    #[test]
    fn policy_checks_are_fixed_by_update_policy() {
        let findings = vec![
            fail("a", "s3.bucket.insecure-transport"),
            fail("b", "s3.bucket.insecure-transport"),
            fail("a", "s3.bucket.unencrypted-uploads-allowed"),
        ];
        let advice = advice(&report(findings), &[]);
        let lines: Vec<&str> = advice.commands.iter().map(|c| c.line.as_str()).collect();
        assert_eq!(
            lines,
            [
                "for b in a b; do s3tk update-policy \"$b\" --secure-transport; done",
                "s3tk update-policy a --encryption",
            ]
        );
        assert!(advice.manual.is_empty());
    }

    #[test]
    fn many_buckets_become_the_scans_selection_only_when_that_is_exact() {
        let many = NAMED_BUCKETS + 5;
        let names: Vec<String> = (0..many).map(|i| format!("bucket-{i:03}")).collect();
        let mut findings: Vec<Finding> = names
            .iter()
            .map(|n| fail(n, "s3.bucket.versioning-disabled"))
            .collect();
        findings.push(finding(
            "passing",
            "s3.bucket.versioning-disabled",
            Outcome::Pass("versioning is enabled".into()),
        ));
        let every = advice(&report(findings.clone()), &[]);
        assert_eq!(every.commands[0].line, "s3tk enable-versioning '*'");
        let note = every.commands[0].note.as_deref().unwrap();
        assert!(
            note.contains(&format!("{many} of the {}", many + 1)),
            "{note}"
        );
        let patterns = advice(
            &report(findings.clone()),
            &["bucket-*".into(), "passing".into()],
        );
        assert_eq!(
            patterns.commands[0].line,
            "s3tk enable-versioning 'bucket-*' passing"
        );
        // block-public-access fixes five checks: a scan that ran one of them cannot tell
        // whether the other buckets would change, so every failing name is given.
        let public_acl: Vec<Finding> = names
            .iter()
            .map(|n| fail(n, "s3.bucket.public-acl-read"))
            .collect();
        let one_of_five = advice(&report(public_acl), &[]);
        assert_eq!(
            one_of_five.commands[0].line,
            format!("s3tk block-public-access {}", names.join(" "))
        );
        // A muted bucket must not be changed behind the reviewer's back: every name is given.
        findings.last_mut().unwrap().status = Status::Muted;
        let named = advice(&report(findings), &[]);
        assert!(named.commands[0].note.is_none());
        assert_eq!(
            named.commands[0].line,
            format!("s3tk enable-versioning {}", names.join(" "))
        );
    }

    /// Every check is fixed by a command that parses as written, for one bucket and for
    /// several, or is listed as having no s3tk fix in `checks/fixes.snapshot` (reviewed like
    /// the ids: a check that gains or loses its fix shows in the diff).
    #[test]
    fn every_check_has_a_command_that_parses_or_says_it_has_none() {
        let mut table = String::new();
        for entry in registry::checks() {
            let id = entry.meta.id;
            let resource = |name: &str| match entry.meta.scope {
                crate::check::Scope::Account => Resource::Account("123456789012".into()),
                _ => Resource::Bucket(name.into()),
            };
            let findings: Vec<Finding> = ["one", "two"]
                .iter()
                .map(|b| Finding {
                    resource: resource(b),
                    ..fail(b, id)
                })
                .collect();
            let single = advice(&report(findings[..1].to_vec()), &[]);
            let several = advice(&report(findings), &[]);
            match single.commands.first() {
                None => {
                    assert_eq!(single.manual, [(id, 1)]);
                    table += &format!("{id}: no s3tk fix\n");
                }
                Some(command) => {
                    assert!(registry::fix_for(id).is_some());
                    for line in [&command.line, &several.commands[0].line] {
                        let words = command_words(line);
                        if let Err(e) = Cli::try_parse_from(&words) {
                            panic!("{id}: `{line}` does not parse: {e}");
                        }
                    }
                    table += &format!("{id}: {}\n", command.line);
                }
            }
        }
        crate::testing::assert_snapshot_at("checks/fixes.snapshot", &table);
    }
}
