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
//! Stopping (Ctrl-C) admits no new object, lets the ones in flight finish, and reports what was
//! done: every object is either fully handled or untouched, so a re-run completes the work.

use super::inventory::{self, Inventory};
use super::s3::{self, Cursor, Listed};
use crate::error::FetchError;
use crate::glob::{Glob, GlobError};
use aws_sdk_s3::Client;
use futures::StreamExt;
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
        })
    }

    pub fn matches(&self, key: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|g| g.is_match(key)))
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
    /// Set to stop admitting objects (Ctrl-C).
    pub stop: Arc<AtomicBool>,
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
    let (pages_tx, mut pages_rx) = mpsc::channel::<Vec<Listed>>(PAGES_AHEAD);
    let lister = match spec.inventory.clone() {
        Some(report) => {
            let (filter, listing) = (spec.filter.clone(), spec.listing);
            let (listed, stop) = (Arc::clone(&listed), Arc::clone(&spec.stop));
            tokio::spawn(async move {
                inventory::list(&report, &filter, listing, &pages_tx, &listed, &stop).await
            })
        }
        None => tokio::spawn(list_all(
            spec.client.clone(),
            spec.bucket.clone(),
            spec.filter.clone(),
            spec.listing,
            pages_tx,
            Arc::clone(&listed),
            Arc::clone(&spec.stop),
        )),
    };
    let stop = Arc::clone(&spec.stop);
    let objects = futures::stream::poll_fn(move |cx| pages_rx.poll_recv(cx))
        .flat_map(futures::stream::iter)
        .take_while(move |_| std::future::ready(!stop.load(Ordering::Relaxed)));
    let mut results = Box::pin(objects.map(task).buffer_unordered(spec.concurrency.max(1)));
    let mut counts = Counts {
        started: Some(started),
        ..Counts::default()
    };
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            next = results.next() => match next {
                Some(record) => {
                    counts.listed = listed.load(Ordering::Relaxed);
                    counts.add(&record);
                    on_event(Event::Record(&record, &counts));
                }
                None => break,
            },
            _ = tick.tick() => {
                counts.listed = listed.load(Ordering::Relaxed);
                on_event(Event::Tick(&counts));
            }
        }
    }
    // Dropping the stream drops the channel's receiver, which releases a listing task blocked
    // on a full channel after a stop.
    drop(results);
    let listing_error = match lister.await {
        Ok(result) => result.err(),
        Err(panic) => std::panic::resume_unwind(panic.into_panic()),
    };
    counts.listed = listed.load(Ordering::Relaxed);
    Totals {
        counts,
        elapsed: started.elapsed(),
        listing_error,
        interrupted: spec.stop.load(Ordering::Relaxed),
    }
}

/// Pages through every prefix, sending the selected keys of each page. Ends early, without an
/// error, when the walker stops listening.
async fn list_all(
    client: Client,
    bucket: String,
    filter: KeyFilter,
    listing: Listing,
    pages: mpsc::Sender<Vec<Listed>>,
    listed: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> Result<(), FetchError> {
    for prefix in filter.prefixes() {
        let mut cursor: Option<Cursor> = None;
        loop {
            if stop.load(Ordering::Relaxed) {
                return Ok(());
            }
            let page = match listing {
                Listing::Objects => {
                    s3::list_objects(&client, &bucket, &prefix, cursor.as_ref()).await?
                }
                Listing::NoncurrentVersions => {
                    s3::list_versions(&client, &bucket, &prefix, cursor.as_ref()).await?
                }
            };
            listed.fetch_add(page.items.len() as u64, Ordering::Relaxed);
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
