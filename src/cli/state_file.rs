//! `scan --save-state`, `--from-state` and `--from-aws-config`: scans of recorded state, and
//! the state file a scan leaves behind.

use super::{Failure, ScanPlan, scan_account};
use crate::aws::S3Clients;
use crate::output;
use crate::report::Finding;
use crate::state::AccountState;
use crate::state::snapshot::{AccountRecord, Snapshot};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A scan of recorded state.
pub(super) struct RecordedScan {
    pub findings: Vec<Finding>,
    /// The account, when the scan covered exactly one.
    pub account: Option<String>,
    /// What the scan read, for `--save-state`.
    pub records: Vec<AccountRecord>,
}

/// `--save-state FILE`, checked before any request like a report path.
pub(super) fn check_save_path(path: &Path) -> Result<PathBuf, Failure> {
    output::check_writable(path).map_err(|e| {
        Failure::Usage(format!(
            "cannot write the state file {}: {}",
            path.display(),
            output::reason(&e)
        ))
    })?;
    Ok(path.to_owned())
}

/// Every `--from-state` file's accounts (`None` without the option). One account in two files
/// is refused: its findings would be counted twice.
pub(super) fn load_all(paths: &[PathBuf]) -> Result<Option<Vec<AccountRecord>>, Failure> {
    if paths.is_empty() {
        return Ok(None);
    }
    let mut accounts = Vec::new();
    let mut seen: BTreeMap<String, &Path> = BTreeMap::new();
    for path in paths {
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

/// `--from-state`: each recorded account scanned as a live one would be, with no request.
pub(super) async fn scan_records(records: Vec<AccountRecord>, plan: &ScanPlan<'_>) -> RecordedScan {
    let single = records.len() == 1;
    let mut scan = RecordedScan {
        findings: Vec::new(),
        account: None,
        records: Vec::new(),
    };
    for record in records {
        let id = record.account_id.clone();
        if single {
            scan.account.clone_from(&id);
        }
        let state = AccountState::from_record(record);
        let scanned = scan_account(Arc::clone(&state), id.as_deref(), plan, single)
            .await
            .expect("recorded state needs no listing");
        scan.findings.extend(scanned.scanned.findings);
        scan.records.extend(scanned.record);
    }
    scan
}

/// `--from-aws-config`: the configuration items AWS Config recorded, in batches.
pub(super) async fn scan_aws_config(
    _clients: &S3Clients,
    _aggregator: Option<&str>,
    _plan: &ScanPlan<'_>,
) -> Result<RecordedScan, Failure> {
    Err(Failure::Usage("--from-aws-config is not wired yet".into()))
}

/// Writes the state file (atomically, like a report).
pub(super) fn save(path: &Path, accounts: Vec<AccountRecord>) -> Result<(), Failure> {
    let snapshot = Snapshot::new(accounts);
    let buckets: usize = snapshot.accounts.iter().map(|a| a.buckets.len()).sum();
    output::write_report(path, &snapshot.to_bytes(path)).map_err(|e| {
        Failure::Usage(format!(
            "cannot write the state file {}: {}",
            path.display(),
            output::reason(&e)
        ))
    })?;
    eprintln!(
        "state of {} account(s), {buckets} bucket(s) saved to {}",
        snapshot.accounts.len(),
        path.display()
    );
    Ok(())
}
