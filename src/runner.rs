//! The runner composes the selected checks over the selected buckets.
//!
//! Buckets are evaluated concurrently (bounded), and within a bucket every check runs at once:
//! the state cache makes checks that read the same facet share one request, so no prefetch
//! phase is needed. The S3 request limit lives in [`crate::aws::S3Clients`].

use crate::check::{CheckEntry, CheckOptions};
use crate::report::Finding;
use crate::select::SelectedBucket;
use crate::state::{AccountState, BucketState};
use futures::stream::{self, StreamExt};
use std::sync::Arc;
use std::time::Instant;

/// Runs `checks` on every bucket and returns the findings (unsorted: `Report::new` sorts).
/// `on_progress(done, total)` is called as each bucket finishes.
pub async fn scan(
    account: Arc<AccountState>,
    buckets: Vec<SelectedBucket>,
    checks: &[&'static CheckEntry],
    options: &CheckOptions,
    concurrency: usize,
    on_progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<Finding> {
    let total = buckets.len();
    let mut findings = Vec::with_capacity(total * checks.len());
    let mut done = 0;
    let mut per_bucket = stream::iter(buckets)
        .map(|b| {
            let state = BucketState::new(b.name, b.listed_region, Arc::clone(&account));
            async move { evaluate_bucket(&state, checks, options).await }
        })
        .buffer_unordered(concurrency.max(1));
    while let Some(bucket_findings) = per_bucket.next().await {
        findings.extend(bucket_findings);
        done += 1;
        on_progress(done, total);
    }
    findings
}

/// Runs every check on one bucket concurrently.
pub async fn evaluate_bucket(
    state: &BucketState,
    checks: &[&'static CheckEntry],
    options: &CheckOptions,
) -> Vec<Finding> {
    let timed = checks.iter().map(|c| async move {
        let started = Instant::now();
        let result = c.check.evaluate(state, options).await;
        (result, started.elapsed())
    });
    let results = futures::future::join_all(timed).await;
    checks
        .iter()
        .zip(results)
        .map(|(c, (result, elapsed))| {
            Finding::new(c.meta, state.name(), state.known_region(), result, elapsed)
        })
        .collect()
}
