//! The runner composes the selected checks over the account and the selected buckets.
//!
//! Account checks run once. Buckets are evaluated concurrently (bounded), and within a bucket
//! every check runs at once: the state cache makes checks that read the same facet share one
//! request, so no prefetch phase is needed. The AWS request limit lives in
//! [`crate::aws::S3Clients`].

use crate::check::{CheckEntry, CheckKind, CheckOptions};
use crate::model::S3Record;
use crate::report::{Finding, Resource};
use crate::select::SelectedBucket;
use crate::state::{AccountState, BucketState};
use futures::stream::{self, StreamExt};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Runs `checks` on the account and every bucket and returns the findings (unsorted:
/// `Report::new` sorts). `on_progress(done, total)` is called as each bucket finishes.
pub async fn scan(
    account: Arc<AccountState>,
    buckets: Vec<SelectedBucket>,
    checks: &[&'static CheckEntry],
    options: &CheckOptions,
    concurrency: usize,
    on_progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<Finding> {
    scan_until_stopped(
        account,
        buckets,
        checks,
        options,
        concurrency,
        on_progress,
        None,
    )
    .await
    .findings
}

/// Where a scan keeps what each bucket's state read, for `scan --save-state`.
pub type Recording = std::sync::Mutex<Vec<crate::state::snapshot::BucketRecord>>;

/// What a scan that may be stopped (Ctrl-C) found.
pub struct Scanned {
    pub findings: Vec<Finding>,
    /// The buckets whose checks did not all finish before the stop, in selection order.
    pub not_scanned: Vec<String>,
}

/// [`scan`], ending early when the run is stopped: no bucket is started after the stop, the
/// ones in flight are dropped (they only read), and the findings are those of the buckets (and
/// account checks) that finished. With `recording`, each finished bucket's state is recorded
/// there (what its checks read; nothing more is fetched for it).
pub async fn scan_until_stopped(
    account: Arc<AccountState>,
    buckets: Vec<SelectedBucket>,
    checks: &[&'static CheckEntry],
    options: &CheckOptions,
    concurrency: usize,
    on_progress: &(dyn Fn(usize, usize) + Sync),
    recording: Option<&Recording>,
) -> Scanned {
    let total = buckets.len();
    let names: Vec<String> = buckets.iter().map(|b| b.name.clone()).collect();
    let stop = account.clients().map(|c| Arc::clone(&c.pacing().stop));
    let mut per_bucket = stream::iter(buckets)
        .map(|b| {
            let state = BucketState::new(b.name, b.listed_region, Arc::clone(&account));
            async move {
                let findings = evaluate_bucket(&state, checks, options).await;
                if let Some(recording) = recording {
                    recording.lock().expect("recording").push(state.record());
                }
                (state.name().to_owned(), findings)
            }
        })
        .buffer_unordered(concurrency.max(1));
    let mut account_findings = None;
    let mut bucket_findings = Vec::with_capacity(total * checks.len());
    let mut finished = std::collections::HashSet::new();
    let account_done = async {
        account_findings = Some(evaluate_account(&account, checks, options).await);
    };
    let buckets_done = async {
        while let Some((name, findings)) = per_bucket.next().await {
            bucket_findings.extend(findings);
            finished.insert(name);
            on_progress(finished.len(), total);
        }
    };
    let stopped = async {
        match &stop {
            Some(stop) => stop.stopped().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = async { tokio::join!(account_done, buckets_done) } => {}
        _ = stopped => {}
    }
    let mut findings = account_findings.unwrap_or_default();
    findings.append(&mut bucket_findings);
    Scanned {
        findings,
        not_scanned: names
            .into_iter()
            .filter(|n| !finished.contains(n))
            .collect(),
    }
}

async fn timed<T>(work: impl Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let result = work.await;
    (result, started.elapsed())
}

/// Runs the account-scope checks once.
pub async fn evaluate_account(
    account: &AccountState,
    checks: &[&'static CheckEntry],
    options: &CheckOptions,
) -> Vec<Finding> {
    let account_checks: Vec<_> = checks
        .iter()
        .filter_map(|c| match c.check {
            CheckKind::Account(check) => Some((c.meta, check)),
            _ => None,
        })
        .collect();
    if account_checks.is_empty() {
        return Vec::new();
    }
    let results = futures::future::join_all(
        account_checks
            .iter()
            .map(|(_, check)| timed(check.evaluate(account, options))),
    )
    .await;
    let id = account
        .account_id()
        .await
        .map(str::to_owned)
        .unwrap_or_else(|_| "unknown".into());
    let region = account.home_region();
    account_checks
        .iter()
        .zip(results)
        .map(|((meta, _), (result, elapsed))| {
            let mut finding =
                Finding::new(meta, Resource::Account(id.clone()), region, result, elapsed);
            finding.observed_at = account.observed_at().map(str::to_owned);
            finding
        })
        .collect()
}

/// Runs every bucket-scope check on one bucket concurrently.
pub async fn evaluate_bucket(
    state: &BucketState,
    checks: &[&'static CheckEntry],
    options: &CheckOptions,
) -> Vec<Finding> {
    let bucket_checks: Vec<_> = checks
        .iter()
        .filter_map(|c| match c.check {
            CheckKind::Bucket(check) => Some((c.meta, check)),
            _ => None,
        })
        .collect();
    let results = futures::future::join_all(
        bucket_checks
            .iter()
            .map(|(_, check)| timed(check.evaluate(state, options))),
    )
    .await;
    bucket_checks
        .iter()
        .zip(results)
        .map(|((meta, _), (result, elapsed))| {
            let mut finding = Finding::new(
                meta,
                Resource::Bucket(state.name().to_owned()),
                state.known_region(),
                result,
                elapsed,
            );
            finding.observed_at = state.observed_at().map(str::to_owned);
            finding
        })
        .collect()
}

/// Runs the `scan-dns` checks on every record that points at S3, `concurrency` records at a
/// time (each may need one HeadBucket; the account's bucket list is shared).
pub async fn scan_dns(
    account: &AccountState,
    records: &[S3Record],
    checks: &[&'static CheckEntry],
    concurrency: usize,
) -> Vec<Finding> {
    let dns_checks: Vec<_> = checks
        .iter()
        .filter_map(|c| match c.check {
            CheckKind::Dns(check) => Some((c.meta, check)),
            _ => None,
        })
        .collect();
    let dns_checks = &dns_checks;
    stream::iter(records)
        .map(|record| async move {
            let results = futures::future::join_all(
                dns_checks
                    .iter()
                    .map(|(_, check)| timed(check.evaluate(record, account))),
            )
            .await;
            dns_checks
                .iter()
                .zip(results)
                .map(|((meta, _), (result, elapsed))| {
                    Finding::new(
                        meta,
                        Resource::DnsRecord {
                            name: record.name.clone(),
                            record_type: record.record_type.clone(),
                            zone_id: record.zone_id.clone(),
                        },
                        record.endpoint.region.as_deref(),
                        result,
                        elapsed,
                    )
                })
                .collect::<Vec<_>>()
        })
        .buffer_unordered(concurrency.max(1))
        .flat_map(stream::iter)
        .collect()
        .await
}
