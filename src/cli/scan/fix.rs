//! `scan --fix [--apply]`: the commands that fix the failing findings, and with `--apply` the
//! safe ones run. Everything goes to stderr, so stdout keeps the report alone.

use crate::cli::Failure;
use crate::cli::confirm::Confirmation;
use crate::cli::remediate::write_fix_results;
use crate::exit::Tally;
use crate::fix::{FixOutcome, FixResult};
use crate::registry;
use crate::remediation::{FixContext, FixOptions, RemediationEntry};
use crate::report::{FailOn, Finding, Report, Status, Style};
use crate::select::SelectedBucket;
use crate::state::AccountState;
use std::io::{self, Write};
use std::sync::Arc;

/// A safe bucket remediation with the failing buckets it applies to.
type Work = Vec<(&'static RemediationEntry, Vec<SelectedBucket>)>;

/// The report's tally after the fixes, merged with the fixes' own.
pub(super) async fn fix_after_scan(
    account: Arc<AccountState>,
    mut report: Report,
    apply: bool,
    fail_on: FailOn,
    concurrency: usize,
    style: Style,
    confirmation: &Confirmation<'_>,
) -> Result<Tally, Failure> {
    let failing: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .collect();
    if !print_fixes(&failing)? || !apply {
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
    if !confirmation.go_ahead("scan --fix --apply", &changing, scanned)? {
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

/// Prints the command that fixes each failing finding, and the checks no remediation fixes;
/// `false` when there is nothing to fix.
fn print_fixes(failing: &[&Finding]) -> io::Result<bool> {
    let mut commands: Vec<String> = Vec::new();
    for command in failing
        .iter()
        .filter_map(|f| crate::registry::fix_command(f))
    {
        if !commands.contains(&command) {
            commands.push(command);
        }
    }
    let mut manual: Vec<String> = failing
        .iter()
        .filter(|f| registry::remediation_for(f.check.id).is_none())
        .map(|f| f.check.id.to_owned())
        .collect();
    let mut err = io::stderr().lock();
    if commands.is_empty() && manual.is_empty() {
        writeln!(err, "Nothing to fix.")?;
        return Ok(false);
    }
    writeln!(err, "To fix:")?;
    for command in &commands {
        writeln!(err, "  {command}")?;
    }
    manual.sort();
    manual.dedup();
    for id in &manual {
        writeln!(err, "  {id}: no s3tk remediation; see `s3tk explain {id}`")?;
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
