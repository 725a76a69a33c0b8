//! Running a remediation: plan every bucket from cached state, print or perform the changes,
//! then re-read and re-run the checks it fixes to show before → after.
//!
//! Changes to a bucket other than the one planned (a log bucket's policy or ACL) are shared:
//! identical ones from several plans are applied once, before the buckets' own changes, so that
//! concurrent plans never overwrite each other's edits.

use crate::apply;
use crate::change::Change;
use crate::error::FetchError;
use crate::exit::Tally;
use crate::remediation::{FixContext, Plan, RemediationEntry, RemediationKind};
use crate::report::{Finding, Report, Resource, Status};
use crate::runner;
use crate::select::SelectedBucket;
use crate::state::{AccountState, BucketState};
use futures::stream::{self, StreamExt};
use std::collections::HashMap;
use std::sync::Arc;

/// A check's status before and after the changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub check: &'static str,
    pub before: Status,
    pub after: Status,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FixOutcome {
    Already(String),
    Skipped(String),
    WouldChange(Vec<Change>),
    Changed {
        changes: Vec<Change>,
        verified: Vec<Verification>,
    },
    Refused(String),
    Failed(String),
}

impl FixOutcome {
    /// Adds the outcome to a command's tally: refused, or still failing after the change, is
    /// unresolved; an error (S3 refused a read or write, the bucket is missing), or a check that
    /// could not be re-evaluated, is incomplete.
    pub fn add_to(&self, tally: &mut Tally) {
        match self {
            FixOutcome::Refused(_) => tally.unresolved(),
            FixOutcome::Failed(_) => tally.incomplete(),
            FixOutcome::Changed { verified, .. } => {
                for v in verified {
                    match v.after {
                        Status::Fail => tally.unresolved(),
                        Status::Error => tally.incomplete(),
                        _ => {}
                    }
                }
            }
            FixOutcome::Already(_) | FixOutcome::Skipped(_) | FixOutcome::WouldChange(_) => {}
        }
    }
}

/// The tally of a remediation's results.
pub fn tally(results: &[FixResult]) -> Tally {
    let mut tally = Tally::default();
    for r in results {
        r.outcome.add_to(&mut tally);
    }
    tally
}

#[derive(Debug, Clone, PartialEq)]
pub struct FixResult {
    pub resource: Resource,
    pub outcome: FixOutcome,
}

fn fixed_checks(entry: &RemediationEntry) -> Vec<&'static crate::check::CheckEntry> {
    entry
        .meta
        .fixes
        .iter()
        .filter_map(|id| crate::registry::check(id))
        .collect()
}

fn statuses(findings: &[Finding]) -> HashMap<&'static str, (Status, String)> {
    findings
        .iter()
        .map(|f| (f.check.id, (f.status, f.message.clone())))
        .collect()
}

/// The fixed checks' statuses before and after, leaving out those that passed both times: a
/// remediation that fixes several checks (Block Public Access) is evidence only for those the
/// bucket failed.
fn verify(before: &[Finding], after: Vec<Finding>) -> Vec<Verification> {
    let before = statuses(before);
    after
        .into_iter()
        .map(|f| Verification {
            check: f.check.id,
            before: before.get(f.check.id).map_or(Status::Error, |(s, _)| *s),
            after: f.status,
            message: f.message,
        })
        .filter(|v| (v.before, v.after) != (Status::Pass, Status::Pass))
        .collect()
}

/// Reports how many of the buckets are done: `(done, total)`, after each one.
pub type OnProgress<'a> = &'a dyn Fn(usize, usize);

/// A bucket remediation planned on every selected bucket, not yet applied.
pub struct Planned {
    entry: &'static RemediationEntry,
    checks: Vec<&'static crate::check::CheckEntry>,
    /// Each bucket's state, plan, and the fixed checks' findings before (for a change).
    buckets: Vec<(BucketState, Result<Plan, FetchError>, Vec<Finding>)>,
}

impl Planned {
    /// The buckets the plan would change, by name.
    pub fn changing(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .buckets
            .iter()
            .filter(|(_, plan, _)| matches!(plan, Ok(Plan::Change(_))))
            .map(|(state, _, _)| state.name())
            .collect();
        names.sort_unstable();
        names
    }

    pub fn entry(&self) -> &'static RemediationEntry {
        self.entry
    }
}

/// Plans, and unless `dry_run` applies, a bucket remediation on every selected bucket.
pub async fn fix_buckets(
    account: Arc<AccountState>,
    buckets: Vec<SelectedBucket>,
    entry: &'static RemediationEntry,
    context: &FixContext,
    dry_run: bool,
    concurrency: usize,
) -> Vec<FixResult> {
    let planned = plan_buckets(&account, buckets, entry, context, concurrency, &|_, _| {}).await;
    apply_planned(account, planned, dry_run, concurrency, &|_, _| {}).await
}

/// Plans a bucket remediation on every selected bucket, reading what each plan needs once.
pub async fn plan_buckets(
    account: &Arc<AccountState>,
    buckets: Vec<SelectedBucket>,
    entry: &'static RemediationEntry,
    context: &FixContext,
    concurrency: usize,
    on_progress: OnProgress<'_>,
) -> Planned {
    let RemediationKind::Bucket(remediation) = entry.remediation else {
        panic!("{} is not a bucket remediation", entry.meta.id);
    };
    let checks = fixed_checks(entry);
    let options = crate::check::CheckOptions::default();
    let total = buckets.len();
    let mut done = 0;
    // Plan every bucket, and record the fixed checks' statuses on the same cached state.
    let planned: Vec<(BucketState, Result<Plan, FetchError>, Vec<Finding>)> = stream::iter(buckets)
        .map(|b| {
            let state = BucketState::new(b.name, b.listed_region, Arc::clone(account));
            let checks = &checks;
            let options = &options;
            async move {
                let plan = remediation.plan(&state, context).await;
                let before = match &plan {
                    Ok(Plan::Change(_)) => runner::evaluate_bucket(&state, checks, options).await,
                    _ => Vec::new(),
                };
                (state, plan, before)
            }
        })
        .buffer_unordered(concurrency.max(1))
        .inspect(|_| {
            done += 1;
            on_progress(done, total);
        })
        .collect()
        .await;
    Planned {
        entry,
        checks,
        buckets: planned,
    }
}

/// Performs the planned changes (unless `dry_run`), then re-reads each changed bucket and
/// re-runs the checks the remediation fixes.
pub async fn apply_planned(
    account: Arc<AccountState>,
    planned: Planned,
    dry_run: bool,
    concurrency: usize,
    on_progress: OnProgress<'_>,
) -> Vec<FixResult> {
    let Planned {
        checks,
        buckets: planned,
        ..
    } = planned;
    let options = crate::check::CheckOptions::default();
    // Shared changes first, each once; remember which failed.
    let mut shared_failures: HashMap<String, String> = HashMap::new();
    if !dry_run {
        let mut shared: Vec<&Change> = Vec::new();
        for (state, plan, _) in &planned {
            if let Ok(Plan::Change(changes)) = plan {
                for change in changes.iter().filter(|c| c.target() != state.name()) {
                    if !shared.contains(&change) {
                        shared.push(change);
                    }
                }
            }
        }
        for change in shared {
            if let Err(e) = apply::apply(&account, change).await {
                shared_failures.insert(change.to_string(), format!("{change} failed: {e}"));
            }
        }
    }

    let total = planned.len();
    let mut done = 0;
    let results: Vec<FixResult> = stream::iter(planned)
        .map(|(state, plan, before)| {
            let account = Arc::clone(&account);
            let checks = &checks;
            let options = &options;
            let shared_failures = &shared_failures;
            async move {
                let outcome = match plan {
                    Err(e) => FixOutcome::Failed(e.to_string()),
                    Ok(Plan::Already(why)) => FixOutcome::Already(why),
                    Ok(Plan::Skip(why)) => FixOutcome::Skipped(why),
                    Ok(Plan::Refuse(why)) => FixOutcome::Refused(why),
                    Ok(Plan::Change(changes)) if dry_run => FixOutcome::WouldChange(changes),
                    Ok(Plan::Change(changes)) => {
                        match apply_own(&account, state.name(), &changes, shared_failures).await {
                            Err(why) => FixOutcome::Failed(why),
                            Ok(()) => {
                                // A fresh state re-reads every facet the checks need.
                                let fresh = BucketState::new(
                                    state.name(),
                                    state.known_region().map(str::to_owned),
                                    Arc::clone(&account),
                                );
                                let after = runner::evaluate_bucket(&fresh, checks, options).await;
                                FixOutcome::Changed {
                                    changes,
                                    verified: verify(&before, after),
                                }
                            }
                        }
                    }
                };
                FixResult {
                    resource: Resource::Bucket(state.name().to_owned()),
                    outcome,
                }
            }
        })
        .buffer_unordered(concurrency.max(1))
        .inspect(|_| {
            done += 1;
            on_progress(done, total);
        })
        .collect()
        .await;
    let mut results = results;
    results.sort_by(|a, b| a.resource.cmp(&b.resource));
    results
}

/// A bucket's own changes, in order; fails at the first error, or at once if a shared change
/// it depends on failed.
async fn apply_own(
    account: &AccountState,
    bucket: &str,
    changes: &[Change],
    shared_failures: &HashMap<String, String>,
) -> Result<(), String> {
    for change in changes {
        if change.target() != bucket {
            if let Some(failure) = shared_failures.get(&change.to_string()) {
                return Err(failure.clone());
            }
            continue;
        }
        apply::apply(account, change)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Plans, and unless `dry_run` applies, an account remediation.
pub async fn fix_account(
    account: Arc<AccountState>,
    entry: &'static RemediationEntry,
    context: &FixContext,
    dry_run: bool,
) -> FixResult {
    let RemediationKind::Account(remediation) = entry.remediation else {
        panic!("{} is not an account remediation", entry.meta.id);
    };
    let id = account
        .account_id()
        .await
        .map(str::to_owned)
        .unwrap_or_else(|_| "unknown".into());
    let resource = Resource::Account(id);
    let checks = fixed_checks(entry);
    let options = crate::check::CheckOptions::default();
    let outcome = match remediation.plan(&account, context).await {
        Err(e) => FixOutcome::Failed(e.to_string()),
        Ok(Plan::Already(why)) => FixOutcome::Already(why),
        Ok(Plan::Skip(why)) => FixOutcome::Skipped(why),
        Ok(Plan::Refuse(why)) => FixOutcome::Refused(why),
        Ok(Plan::Change(changes)) if dry_run => FixOutcome::WouldChange(changes),
        Ok(Plan::Change(changes)) => {
            let before = runner::evaluate_account(&account, &checks, &options).await;
            let mut failure = None;
            for change in &changes {
                if let Err(e) = apply::apply(&account, change).await {
                    failure = Some(e.to_string());
                    break;
                }
            }
            match failure {
                Some(why) => FixOutcome::Failed(why),
                None => {
                    let after = runner::evaluate_account(&account.fresh(), &checks, &options).await;
                    FixOutcome::Changed {
                        changes,
                        verified: verify(&before, after),
                    }
                }
            }
        }
    };
    FixResult { resource, outcome }
}

/// Up to this many buckets are named on a command line; more are written as the scan's own
/// selection when that changes exactly the failing buckets, else still named, on one line.
pub const NAMED_BUCKETS: usize = 20;

/// `scan --fix`'s advice: one command line per fix with all its buckets, most severe first,
/// then the checks that no s3tk command fixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    pub commands: Vec<AdvisedCommand>,
    /// The failing checks s3tk cannot fix, with how many resources fail each.
    pub manual: Vec<(&'static str, usize)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisedCommand {
    /// A command line to paste into a POSIX shell.
    pub line: String,
    /// What the line stands for when it does not name the buckets.
    pub note: Option<String>,
}

/// The advice for `report`'s failures. `selection` is the scan's bucket arguments (none: every
/// bucket): a safe remediation with more than [`NAMED_BUCKETS`] failing buckets is advised on
/// that selection when every other scanned bucket passes its checks (so it would leave them as
/// they are) and none is muted or unevaluated.
pub fn advice(report: &Report, selection: &[String]) -> Advice {
    use crate::registry::{Fix, fix_for, shell_word};
    let failing: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .collect();
    // Each fix with its worst severity and its buckets, in the order first seen.
    let mut groups: Vec<(Fix, crate::check::Severity, Vec<&str>)> = Vec::new();
    let mut manual: Vec<(&'static str, usize)> = Vec::new();
    for f in &failing {
        let Some(fix) = fix_for(f.check.id) else {
            match manual.iter_mut().find(|(id, _)| *id == f.check.id) {
                Some((_, n)) => *n += 1,
                None => manual.push((f.check.id, 1)),
            }
            continue;
        };
        let group = match groups
            .iter_mut()
            .position(|(g, ..)| g.usage() == fix.usage())
        {
            Some(i) => &mut groups[i],
            None => {
                groups.push((fix, f.severity, Vec::new()));
                groups.last_mut().expect("just pushed")
            }
        };
        group.1 = group.1.max(f.severity);
        if let Some(bucket) = f.resource.bucket()
            && !group.2.contains(&bucket)
        {
            group.2.push(bucket);
        }
    }
    groups.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.usage().cmp(b.0.usage())));
    manual.sort();
    let scanned = report.buckets();
    let commands = groups
        .into_iter()
        .map(|(fix, _, mut buckets)| {
            buckets.sort_unstable();
            let usage = fix.usage();
            if !usage.contains("{bucket}") {
                return AdvisedCommand {
                    line: usage.to_owned(),
                    note: None,
                };
            }
            let words = |names: &[&str]| {
                names
                    .iter()
                    .map(|b| shell_word(b))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            match fix {
                Fix::Remediation(entry)
                    if buckets.len() > NAMED_BUCKETS
                        && entry.meta.safe
                        && only_failing_or_passing(report, entry.meta.fixes) =>
                {
                    let selected = if selection.is_empty() {
                        "'*'".to_owned()
                    } else {
                        selection
                            .iter()
                            .map(|s| shell_word(s))
                            .collect::<Vec<_>>()
                            .join(" ")
                    };
                    AdvisedCommand {
                        line: usage.replace("{bucket}", &selected),
                        note: Some(format!(
                            "the buckets this scan selected: {} of the {} fail, the others pass and are left as they are",
                            buckets.len(),
                            scanned.len()
                        )),
                    }
                }
                Fix::Remediation(_) => AdvisedCommand {
                    line: usage.replace("{bucket}", &words(&buckets)),
                    note: None,
                },
                // Its command takes one bucket.
                Fix::Command(_) if buckets.len() == 1 => AdvisedCommand {
                    line: usage.replace("{bucket}", &words(&buckets)),
                    note: None,
                },
                Fix::Command(_) => AdvisedCommand {
                    line: format!(
                        "for b in {}; do {}; done",
                        words(&buckets),
                        usage.replace("{bucket}", "\"$b\"")
                    ),
                    note: None,
                },
            }
        })
        .collect();
    Advice { commands, manual }
}

/// Whether the scan ran each of `checks` and every bucket fails or passes it (none muted,
/// skipped or unevaluated), so a safe remediation run on all of them changes only the failing
/// ones. A check the scan did not run says nothing about the other buckets.
fn only_failing_or_passing(report: &Report, checks: &[&str]) -> bool {
    let ran = |id: &str| report.findings.iter().any(|f| f.check.id == id);
    checks.iter().all(|id| ran(id))
        && report
            .findings
            .iter()
            .filter(|f| checks.contains(&f.check.id) && f.resource.bucket().is_some())
            .all(|f| matches!(f.status, Status::Fail | Status::Pass))
}
