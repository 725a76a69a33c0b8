//! `scan --save-state`, `--from-state` and `--from-aws-config`: scans of recorded state, and
//! the state file a scan leaves behind.

use super::Failure;
use super::progress::ProgressLine;
use super::scan::{ScanPlan, account_record, scan_account};
use crate::aws::S3Clients;
use crate::check::{CheckEntry, Scope};
use crate::output;
use crate::report::Finding;
use crate::runner::{self, Recording};
use crate::select::{self, SelectedBucket};
use crate::state::AccountState;
use crate::state::aws_config::ConfigSource;
use crate::state::snapshot::{AccountRecord, Answer, BucketRecord, Snapshot};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A scan of recorded state.
pub(super) struct RecordedScan {
    pub findings: Vec<Finding>,
    /// The account, when the scan covered exactly one.
    pub account: Option<String>,
    /// What the scan read, for `--save-state`.
    pub records: Vec<AccountRecord>,
    /// Whether a bucket pattern (or name) matched nothing recorded.
    pub unmatched: bool,
}

/// `--save-state FILE`, checked before any request like a report path.
pub(super) fn check_save_path(path: &Path) -> Result<PathBuf, Failure> {
    output::check_writable(path).map_err(|e| cannot_save(path, &e))?;
    Ok(path.to_owned())
}

fn cannot_save(path: &Path, e: &std::io::Error) -> Failure {
    Failure::Usage(format!(
        "cannot write the state file {}: {}",
        path.display(),
        crate::input::reason(e)
    ))
}

/// Every `--from-state` file's accounts (`None` without the option). One account in two files
/// is refused: its findings would be counted twice.
pub(super) fn load_all(paths: &[PathBuf]) -> Result<Option<Vec<AccountRecord>>, Failure> {
    if paths.is_empty() {
        return Ok(None);
    }
    let mut accounts = Vec::new();
    let mut seen: BTreeMap<String, &Path> = BTreeMap::new();
    for (n, path) in paths.iter().enumerate() {
        if paths[..n].contains(path) {
            return Err(Failure::Usage(format!(
                "state file {} is given twice",
                path.display()
            )));
        }
        let snapshot = Snapshot::load(path).map_err(Failure::Usage)?;
        if snapshot.accounts.is_empty() {
            return Err(Failure::Usage(format!(
                "state file {} holds no account",
                path.display()
            )));
        }
        for account in snapshot.accounts {
            if let Some(id) = &account.account_id
                && let Some(first) = seen.insert(id.clone(), path)
            {
                return Err(Failure::Usage(format!(
                    "account {id} is in both {} and {}: give each account once",
                    first.display(),
                    path.display()
                )));
            }
            accounts.push(account);
        }
    }
    Ok(Some(accounts))
}

/// `--from-state`: each recorded account scanned as a live one would be, with no request. The
/// selection is warned about once, over every account's buckets (a name is in one account).
pub(super) async fn scan_records(records: Vec<AccountRecord>, plan: &ScanPlan<'_>) -> RecordedScan {
    let single = records.len() == 1;
    let ids: Vec<Option<String>> = records.iter().map(|r| r.account_id.clone()).collect();
    let states = AccountState::from_records(records);
    let every_bucket = states.iter().flat_map(|s| s.recorded_buckets()).collect();
    let selection = select::choose(every_bucket, plan.selectors, false);
    super::warn_unmatched(&selection, None);
    let mut scan = RecordedScan {
        findings: Vec::new(),
        account: None,
        records: Vec::new(),
        unmatched: !selection.unmatched.is_empty(),
    };
    for (state, id) in states.into_iter().zip(ids) {
        if single {
            scan.account.clone_from(&id);
        }
        let scanned = scan_account(state, id.as_deref(), plan, single)
            .await
            .expect("recorded state needs no listing");
        scan.findings.extend(scanned.scanned.findings);
        scan.records.extend(scanned.record);
    }
    scan
}

/// `--from-aws-config`: the configuration items AWS Config recorded, evaluated a batch (≤ 100
/// buckets) at a time, so memory holds one batch of configurations, not the organization's.
/// Account checks run once per account, on what Config records of the account.
pub(super) async fn scan_aws_config(
    clients: &S3Clients,
    aggregator: Option<&str>,
    plan: &ScanPlan<'_>,
) -> Result<RecordedScan, Failure> {
    let what = match aggregator {
        Some(name) => format!("could not read AWS Config aggregator {name}"),
        None => "could not read AWS Config".to_owned(),
    };
    let mut source = ConfigSource::open(clients, aggregator)
        .await
        .map_err(|e| Failure::fetch(e, &what))?;
    let records = source.accounts();
    let names_of = |record: &AccountRecord| match &record.facets.bucket_list {
        Some(Answer(Ok(names))) => names.iter().cloned().collect(),
        _ => Vec::new(),
    };
    let listed: Vec<Vec<String>> = records.iter().map(names_of).collect();
    let ids: Vec<String> = records
        .iter()
        .map(|r| r.account_id.clone().unwrap_or_default())
        .collect();
    let every_bucket = listed.iter().flatten().map(|n| (n.clone(), None)).collect();
    let selection = select::choose(every_bucket, plan.selectors, false);
    super::warn_unmatched(&selection, None);
    let chosen: BTreeSet<String> = selection.buckets.into_iter().map(|b| b.name).collect();
    source.retain(|name| chosen.contains(name));
    let (bucket_checks, account_checks): (Vec<_>, Vec<_>) = plan
        .checks
        .iter()
        .partition(|c| c.meta.scope == Scope::Bucket);
    let mut findings = Vec::new();
    let mut accounts = BTreeMap::new();
    let states = AccountState::from_records(records);
    for ((state, id), names) in states.into_iter().zip(ids).zip(&listed) {
        // Like a live scan: no account findings for an account none of whose buckets is asked for.
        if plan.selectors.is_empty() || names.iter().any(|n| chosen.contains(n)) {
            let mut account_findings =
                runner::evaluate_account(&state, &account_checks, plan.options).await;
            for finding in &mut account_findings {
                finding.account = Some(id.clone());
            }
            findings.extend(account_findings);
        }
        accounts.insert(id, (state, plan.record.then(Recording::default)));
    }
    findings
        .extend(evaluate_batches(&mut source, &accounts, &bucket_checks, plan, chosen.len()).await);
    eprintln!(
        "read {} bucket configuration(s) from AWS Config in {} request(s)",
        chosen.len(),
        source.requests()
    );
    let single = accounts.len() == 1;
    let mut scan = RecordedScan {
        account: None,
        findings,
        records: Vec::new(),
        unmatched: !selection.unmatched.is_empty(),
    };
    for (id, (state, recording)) in accounts {
        if single {
            scan.account = Some(id);
        }
        if let Some(recording) = recording {
            scan.records.push(account_record(&state, recording));
        }
    }
    Ok(scan)
}

/// Every batch of the chosen buckets' records, evaluated; the next batch is read while one is
/// evaluated.
async fn evaluate_batches(
    source: &mut ConfigSource,
    accounts: &BTreeMap<String, (Arc<AccountState>, Option<Recording>)>,
    checks: &[&'static CheckEntry],
    plan: &ScanPlan<'_>,
    total: usize,
) -> Vec<Finding> {
    let mut progress = ProgressLine::new(total > 1);
    let mut findings = Vec::new();
    let mut done = 0;
    let mut next = source.next_batch().await;
    while let Some(batch) = next {
        done += batch.len();
        let (following, evaluated) = tokio::join!(
            source.next_batch(),
            evaluate_batch(accounts, batch, checks, plan)
        );
        findings.extend(evaluated);
        progress.draw(|| format!("scanned {done}/{total} buckets"));
        next = following;
    }
    progress.clear();
    findings
}

/// One batch of AWS Config records, each bucket evaluated in its account's state.
async fn evaluate_batch(
    accounts: &BTreeMap<String, (Arc<AccountState>, Option<Recording>)>,
    batch: Vec<(String, BucketRecord)>,
    checks: &[&'static CheckEntry],
    plan: &ScanPlan<'_>,
) -> Vec<Finding> {
    let mut by_account: BTreeMap<&str, Vec<BucketRecord>> = BTreeMap::new();
    for (id, record) in batch {
        let id = accounts
            .get_key_value(&id)
            .map(|(id, _)| id.as_str())
            .expect("every batch's account was listed");
        by_account.entry(id).or_default().push(record);
    }
    let mut findings = Vec::new();
    for (id, records) in by_account {
        let (state, recording) = &accounts[id];
        let buckets: Vec<_> = records
            .iter()
            .map(|r| SelectedBucket {
                name: r.name.clone(),
                listed_region: None,
            })
            .collect();
        state.add_records(records);
        let scanned = runner::scan_until_stopped(
            Arc::clone(state),
            buckets,
            checks,
            plan.options,
            plan.concurrency,
            &|_, _| {},
            recording.as_ref(),
        )
        .await;
        findings.extend(scanned.findings.into_iter().map(|mut finding| {
            finding.account = Some(id.to_owned());
            finding
        }));
    }
    findings
}

/// Writes the state file (atomically, like a report).
pub(super) fn save(path: &Path, accounts: Vec<AccountRecord>) -> Result<(), Failure> {
    let snapshot = Snapshot::new(accounts);
    let buckets: usize = snapshot.accounts.iter().map(|a| a.buckets.len()).sum();
    output::write_report(path, &snapshot.to_bytes(path)).map_err(|e| cannot_save(path, &e))?;
    eprintln!(
        "state of {} account(s), {buckets} bucket(s) saved to {}",
        snapshot.accounts.len(),
        path.display()
    );
    Ok(())
}
