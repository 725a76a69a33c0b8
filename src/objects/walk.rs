//! The streaming object walker shared by the object commands.
//!
//! A listing task pages through ListObjectsV2 (or ListObjectVersions) and hands each page,
//! filtered by `--only`/`--except`, to a channel that holds at most [`PAGES_AHEAD`] pages. The
//! walker runs one task per object with at most `concurrency` in flight, and hands each result
//! to the caller as it completes. Nothing accumulates: memory is a few pages plus the tasks in
//! flight whatever the bucket's size, and the next page is fetched while the current one is
//! worked on, so the request pipeline never drains at a page boundary.
//!
//! With `--inventory` an S3 Inventory report's data files take the listing's place
//! ([`super::inventory`]), through the same channel and filters.
//!
//! Stopping (Ctrl-C) admits no new object, drops the ones in flight that have not written
//! anything yet (a read, or a retry sleeping in the SDK, is not worth waiting for), lets the
//! writes in flight finish, and reports what was done: every object is either fully handled or
//! untouched, so a re-run completes the work.
//!
//! While S3 throttles, fewer requests go on the wire at once ([`crate::pacing`]), so the
//! objects in flight slow down instead of failing. A listing page that fails (throttling, 5xx, a network error) even after
//! the SDK's retries is tried again from the same continuation token with backoff; only when
//! it keeps failing for the retry window (5 minutes) does the walk stop, naming the last key
//! whose objects were all listed, for `--start-after`.

use super::inventory::{self, Inventory};
use super::s3::{self, Cursor, Listed, Page};
use crate::error::{FetchError, FetchErrorKind};
use crate::glob::{Glob, GlobError};
use crate::pacing::{Pacing, interruptible};
use aws_sdk_s3::Client;
use futures::StreamExt;
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Listed pages buffered ahead of the workers (1,000 keys each).
pub const PAGES_AHEAD: usize = 2;
/// How often the caller hears about progress when no result arrives.
const TICK: Duration = Duration::from_millis(250);

/// `--only` and `--except`: which keys the commands act on.
///
/// Patterns match the whole key, with `*` matching any run of characters **including `/`**
/// (S3 keys are flat names, and s3tk 0.5's `fnmatch` did the same), `?` one character, and
/// `[…]` a set. A key is selected when it matches any `--only` (or there is none) and no
/// `--except`. A pattern without wildcards names one key exactly. The listing asks S3 only for
/// the literal prefixes of the `--only` patterns (`logs/2017/*.gz` lists `logs/2017/`), so a
/// narrow `--only` never lists the whole bucket.
#[derive(Debug, Clone, Default)]
pub struct KeyFilter {
    only: Vec<Glob>,
    except: Vec<Glob>,
    /// `--start-after`: only keys after this one (in S3's UTF-8 byte order).
    start_after: Option<String>,
}

impl KeyFilter {
    pub fn new(only: &[String], except: &[String]) -> Result<Self, String> {
        // An empty pattern matches only the empty key, which S3 never has: the walk would list
        // the whole bucket and do nothing.
        if only.iter().any(String::is_empty) {
            return Err(
                "--only '' matches no key (S3 keys are never empty); to take every key, leave out --only".into(),
            );
        }
        let compile = |flag: &str, patterns: &[String]| -> Result<Vec<Glob>, String> {
            patterns
                .iter()
                .map(|p| {
                    Glob::new(p)
                        .map_err(|e: GlobError| format!("invalid {flag} pattern '{p}': {e}"))
                })
                .collect()
        };
        Ok(KeyFilter {
            only: compile("--only", only)?,
            except: compile("--except", except)?,
            start_after: None,
        })
    }

    /// Selects only the keys after `key` (`--start-after`, to resume a walk). S3 keys are at
    /// most 1,024 bytes, so a longer one is refused.
    pub fn start_after(mut self, key: Option<String>) -> Result<Self, String> {
        match key.as_deref() {
            Some("") => return Err("--start-after needs a key".into()),
            Some(k) if k.len() > 1024 => {
                return Err("--start-after: S3 keys are at most 1,024 bytes".into());
            }
            _ => {}
        }
        self.start_after = key;
        Ok(self)
    }

    pub fn matches(&self, key: &str) -> bool {
        self.start_after.as_deref().is_none_or(|after| key > after)
            && (self.only.is_empty() || self.only.iter().any(|g| g.is_match(key)))
            && !self.except.iter().any(|g| g.is_match(key))
    }

    /// The prefixes to list: `[""]` without `--only`; otherwise each pattern's literal prefix,
    /// dropping any that another one already covers, so no key is listed twice.
    pub fn prefixes(&self) -> Vec<String> {
        if self.only.is_empty() {
            return vec![String::new()];
        }
        let mut prefixes: Vec<String> = self.only.iter().map(Glob::literal_prefix).collect();
        prefixes.sort();
        prefixes.dedup();
        let mut kept: Vec<String> = Vec::new();
        for p in prefixes {
            // Sorted, so a covering prefix comes before the prefixes it covers.
            if !kept.iter().any(|k| p.starts_with(k.as_str())) {
                kept.push(p);
            }
        }
        kept
    }
}

/// What to walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// The current objects (ListObjectsV2).
    Objects,
    /// The noncurrent versions, without delete markers (ListObjectVersions).
    NoncurrentVersions,
}

/// How a result counts towards the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Nothing wrong, nothing to do.
    Ok,
    /// A problem found (a public object).
    Finding,
    /// Would be changed (dry run).
    WouldChange,
    /// Changed.
    Changed,
    /// Deliberately left alone (archived, encrypted in a way not to downgrade, …).
    Skipped,
    /// Changed by someone else while s3tk worked: left alone, re-run to handle it.
    Conflict,
    /// Could not be read or written.
    Error,
}

/// The result for one object or version.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// What happened, in a word or two (`public-read`, `encrypted`, `already encrypted`).
    pub result: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Structured evidence (an ACL's grants).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<serde_json::Value>,
}

impl Record {
    pub fn new(object: &Listed, status: Status, result: impl Into<String>) -> Self {
        Record {
            key: object.key.clone(),
            version_id: object.version_id.clone(),
            result: result.into(),
            status,
            detail: None,
            evidence: None,
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn evidence(mut self, evidence: serde_json::Value) -> Self {
        self.evidence = Some(evidence);
        self
    }

    pub fn error(object: &Listed, error: impl ToString) -> Self {
        Record::new(object, Status::Error, "error").detail(error.to_string())
    }
}

/// Running counts, for the progress line and the summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    /// Keys (or versions) listed so far, before filtering.
    pub listed: u64,
    /// Objects handled.
    pub done: u64,
    pub errors: u64,
    /// Per result (`private: 10`, `public-read: 2`).
    pub results: BTreeMap<String, u64>,
    /// Per status.
    pub statuses: BTreeMap<Status, u64>,
    #[serde(skip)]
    pub started: Option<Instant>,
    /// Throttled answers so far, and how many requests are allowed on the wire now.
    #[serde(skip)]
    pub throttled: u64,
    #[serde(skip)]
    pub allowed: usize,
    /// Why the listing is waiting, while it retries a failed page.
    #[serde(skip)]
    pub listing_retry: Option<String>,
}

impl Counts {
    /// Objects handled per second so far.
    pub fn rate(&self) -> f64 {
        let secs = self
            .started
            .map_or(0.0, |s| s.elapsed().as_secs_f64())
            .max(1e-3);
        self.done as f64 / secs
    }

    pub fn count(&self, status: Status) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }

    fn add(&mut self, record: &Record) {
        self.done += 1;
        if record.status == Status::Error {
            self.errors += 1;
        }
        *self.results.entry(record.result.clone()).or_default() += 1;
        *self.statuses.entry(record.status).or_default() += 1;
    }
}

/// How a walk ended.
#[derive(Debug)]
pub struct Totals {
    pub counts: Counts,
    pub elapsed: Duration,
    /// The listing failed part-way: the objects after that point were not handled.
    pub listing_error: Option<FetchError>,
    /// With a listing error: the last key whose objects were all listed (and so handled), for
    /// `--start-after`; `None` when no page was listed.
    pub resume_after: Option<String>,
    /// The fewest requests allowed on the wire at once (of `--concurrency`) under throttling.
    pub lowest_allowed: usize,
    /// Stopped by the user before the listing ended.
    pub interrupted: bool,
}

/// What the walker tells its caller.
pub enum Event<'a> {
    Record(&'a Record, &'a Counts),
    /// Nothing finished for a while; the counts (and rate) moved on.
    Tick(&'a Counts),
}

/// What to walk.
pub struct WalkSpec {
    pub client: Client,
    pub bucket: String,
    pub filter: KeyFilter,
    pub listing: Listing,
    pub concurrency: usize,
    /// The run's stop (Ctrl-C) and back-pressure.
    pub pacing: Arc<Pacing>,
    /// Read this S3 Inventory report instead of listing the bucket.
    pub inventory: Option<Arc<Inventory>>,
}

/// Lists the bucket and runs `task` on every selected object, at most `spec.concurrency` at a
/// time, calling `on_event` with each result as it completes.
pub async fn run<F, Fut>(spec: WalkSpec, task: F, mut on_event: impl FnMut(Event<'_>)) -> Totals
where
    F: Fn(Listed) -> Fut,
    Fut: Future<Output = Record>,
{
    let started = Instant::now();
    let listed = Arc::new(AtomicU64::new(0));
    let listing_retry = Arc::new(Mutex::new(None));
    let pacing = Arc::clone(&spec.pacing);
    let (pages_tx, mut pages_rx) = mpsc::channel::<Vec<Listed>>(PAGES_AHEAD);
    let lister = match spec.inventory.clone() {
        Some(report) => {
            let (filter, listing) = (spec.filter.clone(), spec.listing);
            let (listed, pacing) = (Arc::clone(&listed), Arc::clone(&pacing));
            tokio::spawn(async move {
                inventory::list(
                    &report,
                    &filter,
                    listing,
                    &pages_tx,
                    &listed,
                    pacing.stop.flag(),
                )
                .await
                .map_err(|error| ListingStopped {
                    error,
                    resume_after: None,
                })
            })
        }
        None => tokio::spawn(list_all(
            Lister {
                client: spec.client.clone(),
                bucket: spec.bucket.clone(),
                filter: spec.filter.clone(),
                listing: spec.listing,
                listed: Arc::clone(&listed),
                retrying: Arc::clone(&listing_retry),
                pacing: Arc::clone(&pacing),
            },
            pages_tx,
        )),
    };
    let stop = &*pacing.stop;
    let wire = &pacing.wire;
    let objects = futures::stream::poll_fn(move |cx| pages_rx.poll_recv(cx))
        .flat_map(futures::stream::iter)
        .take_until(stop.stopped());
    let task = &task;
    let mut results = Box::pin(
        objects
            .map(|object| interruptible(stop, task(object)))
            .buffer_unordered(spec.concurrency.max(1))
            .filter_map(std::future::ready),
    );
    let mut counts = Counts {
        started: Some(started),
        ..Counts::default()
    };
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let update = |counts: &mut Counts| {
        counts.listed = listed.load(Ordering::Relaxed);
        counts.throttled = wire.throttled_count();
        counts.allowed = wire.current();
        counts
            .listing_retry
            .clone_from(&listing_retry.lock().expect("listing status"));
    };
    loop {
        tokio::select! {
            next = results.next() => match next {
                Some(record) => {
                    update(&mut counts);
                    counts.add(&record);
                    on_event(Event::Record(&record, &counts));
                }
                None => break,
            },
            _ = tick.tick() => {
                update(&mut counts);
                on_event(Event::Tick(&counts));
            }
        }
    }
    // Dropping the stream drops the channel's receiver, which releases a listing task blocked
    // on a full channel. After a stop the listing is not waited for: it may be retrying.
    drop(results);
    if stop.is_stopped() {
        lister.abort();
    }
    let stopped_listing = match lister.await {
        Ok(result) => result.err(),
        Err(e) if e.is_cancelled() => None,
        Err(panic) => std::panic::resume_unwind(panic.into_panic()),
    };
    update(&mut counts);
    let (listing_error, resume_after) = match stopped_listing {
        Some(s) => (Some(s.error), s.resume_after),
        None => (None, None),
    };
    Totals {
        counts,
        elapsed: started.elapsed(),
        listing_error,
        resume_after,
        lowest_allowed: wire.lowest(),
        interrupted: stop.is_stopped(),
    }
}

/// Why a listing ended early, and where a new walk can resume.
struct ListingStopped {
    error: FetchError,
    resume_after: Option<String>,
}

/// What the listing task needs.
struct Lister {
    client: Client,
    bucket: String,
    filter: KeyFilter,
    listing: Listing,
    listed: Arc<AtomicU64>,
    /// Set while a failed page is being retried (for the progress line).
    retrying: Arc<Mutex<Option<String>>>,
    pacing: Arc<Pacing>,
}

/// Pages through every prefix, sending the selected keys of each page. Ends early, without an
/// error, when the walker stops listening or the run is stopped.
async fn list_all(lister: Lister, pages: mpsc::Sender<Vec<Listed>>) -> Result<(), ListingStopped> {
    let Lister {
        client,
        bucket,
        filter,
        listing,
        ..
    } = &lister;
    let start_after = filter.start_after.as_deref();
    // The last key whose objects (or versions) have all been listed.
    let mut resume_after = filter.start_after.clone();
    for prefix in filter.prefixes() {
        let mut cursor: Option<Cursor> = match (listing, start_after) {
            (Listing::NoncurrentVersions, Some(key)) => Some(Cursor::Versions {
                key_marker: key.to_owned(),
                version_id_marker: None,
            }),
            _ => None,
        };
        loop {
            let fetched = page_with_retries(&lister, || async {
                match listing {
                    Listing::Objects => {
                        s3::list_objects(client, bucket, &prefix, cursor.as_ref(), start_after)
                            .await
                    }
                    Listing::NoncurrentVersions => {
                        s3::list_versions(client, bucket, &prefix, cursor.as_ref()).await
                    }
                }
            })
            .await;
            let page = match fetched {
                Ok(Some(page)) => page,
                Ok(None) => return Ok(()),
                Err(error) => {
                    return Err(ListingStopped {
                        error,
                        resume_after,
                    });
                }
            };
            lister
                .listed
                .fetch_add(page.items.len() as u64, Ordering::Relaxed);
            let last_key = page.items.iter().map(|o| o.key.as_str()).max();
            let complete = match (&page.next, listing) {
                // A version page may stop inside a key: only the keys before it are complete.
                (Some(Cursor::Versions { key_marker, .. }), Listing::NoncurrentVersions) => page
                    .items
                    .iter()
                    .map(|o| o.key.as_str())
                    .filter(|k| *k < key_marker.as_str())
                    .max(),
                _ => last_key,
            };
            if let Some(key) = complete {
                resume_after = Some(key.to_owned());
            }
            let selected: Vec<Listed> = page
                .items
                .into_iter()
                .filter(|o| {
                    let wanted = match listing {
                        Listing::Objects => true,
                        Listing::NoncurrentVersions => !o.is_latest && !o.delete_marker,
                    };
                    wanted && filter.matches(&o.key)
                })
                .collect();
            if !selected.is_empty() && pages.send(selected).await.is_err() {
                return Ok(());
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
    }
    Ok(())
}

/// Whether a failed listing request may succeed when sent again.
fn transient(error: &FetchError) -> bool {
    match &error.kind {
        FetchErrorKind::Throttled { .. } | FetchErrorKind::Network { .. } => true,
        FetchErrorKind::Service { status, .. } => status.is_some_and(|s| s >= 500),
        _ => false,
    }
}

/// One listing page, tried again with capped exponential backoff while it fails transiently,
/// for at most the retry window. `Ok(None)`: the run was stopped while waiting.
async fn page_with_retries<F, Fut>(
    lister: &Lister,
    mut fetch: F,
) -> Result<Option<Page>, FetchError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Page, FetchError>>,
{
    let pacing = &lister.pacing;
    let started = Instant::now();
    let mut wait = pacing.list_retry_base;
    loop {
        if pacing.stop.is_stopped() {
            return Ok(None);
        }
        let error = match fetch().await {
            Ok(page) => {
                *lister.retrying.lock().expect("listing status") = None;
                return Ok(Some(page));
            }
            Err(e) => e,
        };
        if !transient(&error) || started.elapsed() + wait > pacing.list_retry_window {
            return Err(error);
        }
        *lister.retrying.lock().expect("listing status") = Some(format!(
            "{error}; trying the page again for up to {} s",
            pacing.list_retry_window.as_secs()
        ));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = pacing.stop.stopped() => return Ok(None),
        }
        wait = (wait * 2).min(pacing.list_retry_base * 30);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(only: &[&str], except: &[&str]) -> KeyFilter {
        let s = |v: &[&str]| v.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        KeyFilter::new(&s(only), &s(except)).unwrap()
    }

    #[test]
    fn star_crosses_slashes_like_s3tk_0_5() {
        let f = filter(&["logs/*.gz"], &[]);
        assert!(f.matches("logs/2017/01/a.gz"));
        assert!(f.matches("logs/a.gz"));
        assert!(!f.matches("logs/a.gz.txt"));
        assert!(!f.matches("other/logs/a.gz"));
    }

    #[test]
    fn question_marks_and_sets_are_patterns_not_literal_keys() {
        // s3tk 0.5 looked `file?.txt` up as a literal key; here it is a pattern.
        let f = filter(&["file?.txt"], &[]);
        assert!(f.matches("file1.txt"));
        assert!(!f.matches("file?.txt.bak"));
        let f = filter(&["data/[0-9]*"], &[]);
        assert!(f.matches("data/7/x"));
        assert!(!f.matches("data/x/7"));
    }

    #[test]
    fn except_wins_over_only() {
        let f = filter(&["logs/*"], &["*.tmp", "logs/keep/*"]);
        assert!(f.matches("logs/a.gz"));
        assert!(!f.matches("logs/a.tmp"));
        assert!(!f.matches("logs/keep/a.gz"));
        let all_but = filter(&[], &["tmp/*"]);
        assert!(all_but.matches("a"));
        assert!(!all_but.matches("tmp/a/b"));
    }

    #[test]
    fn literal_keys_match_exactly() {
        let f = filter(&["reports/2024.csv"], &[]);
        assert!(f.matches("reports/2024.csv"));
        assert!(!f.matches("reports/2024.csv.gz"));
        assert_eq!(f.prefixes(), vec!["reports/2024.csv"]);
    }

    #[test]
    fn listing_prefixes_come_from_only() {
        assert_eq!(filter(&[], &["x*"]).prefixes(), vec![""]);
        assert_eq!(
            filter(&["logs/2017/*.gz"], &[]).prefixes(),
            vec!["logs/2017/"]
        );
        assert_eq!(filter(&["logs*"], &[]).prefixes(), vec!["logs"]);
        // Overlapping prefixes are listed once, by the shorter one; disjoint ones separately.
        assert_eq!(
            filter(&["a/b/*", "a/*", "c/?", "a/b/c/*"], &[]).prefixes(),
            vec!["a/", "c/"]
        );
        // A pattern starting with a wildcard needs the whole bucket.
        assert_eq!(filter(&["*.gz", "logs/*"], &[]).prefixes(), vec![""]);
    }

    #[test]
    fn bad_patterns_are_named() {
        let err = KeyFilter::new(&["logs/[0-9".into()], &[]).unwrap_err();
        assert_eq!(
            err,
            "invalid --only pattern 'logs/[0-9': '[' at position 5 is never closed"
        );
        let empty = KeyFilter::new(&["logs/*".into(), String::new()], &[]).unwrap_err();
        assert_eq!(
            empty,
            "--only '' matches no key (S3 keys are never empty); to take every key, leave out --only"
        );
    }
}
