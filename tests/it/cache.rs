//! The bucket-state cache: each facet is fetched at most once per bucket per run, however many
//! checks read it, and failures are cached too. Counted on the fake.

use crate::fake_s3::{FakeBucket, FakeS3};
use crate::support::clients;
use s3tk::check::CheckOptions;
use s3tk::select::SelectedBucket;
use s3tk::state::{AccountState, BucketState};
use std::time::{Duration, Instant};

const POLICY: &str =
    r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#;

#[tokio::test]
async fn each_facet_is_requested_once_per_bucket() {
    let fake = FakeS3::start().await;
    fake.list_regions(false);
    for name in ["one", "two", "three"] {
        fake.bucket(
            name,
            FakeBucket::new("eu-west-1")
                .policy(POLICY, Some(true))
                .logging("l", "p/")
                .versioning("Enabled"),
        );
    }
    let account = AccountState::new(clients(&fake.uri(), 16));
    let buckets: Vec<SelectedBucket> = ["one", "two", "three"]
        .iter()
        .map(|n| SelectedBucket {
            name: n.to_string(),
            listed_region: None,
        })
        .collect();
    // Every check twice: a second reader of each facet must not cause a second request.
    let checks: Vec<_> = s3tk::registry::checks()
        .into_iter()
        .chain(s3tk::registry::checks())
        .collect();
    let findings = s3tk::runner::scan(
        account,
        buckets,
        &checks,
        &CheckOptions::default(),
        8,
        &|_, _| {},
    )
    .await;
    assert_eq!(findings.len(), 24);
    for name in ["one", "two", "three"] {
        for facet in ["", "acl", "policy", "policyStatus", "logging", "versioning"] {
            assert_eq!(
                fake.count(name, facet).await,
                1,
                "{name} ?{facet}: {:?}",
                fake.requests().await
            );
        }
    }
}

#[tokio::test]
async fn concurrent_readers_share_one_request_and_failures_are_cached() {
    let fake = FakeS3::start().await;
    fake.latency(Duration::from_millis(50));
    fake.bucket(
        "denied",
        FakeBucket::new("us-east-1").fault("acl", 403, "AccessDenied"),
    );
    let state = BucketState::new(
        "denied",
        Some("us-east-1".into()),
        AccountState::new(clients(&fake.uri(), 4)),
    );
    let reads = futures::future::join_all((0..10).map(|_| state.acl())).await;
    assert!(reads.iter().all(|r| r.as_ref().unwrap_err().to_string()
        == "access denied to GetBucketAcl: the caller needs s3:GetBucketAcl"));
    assert!(
        state.acl().await.is_err(),
        "a later reader gets the cached failure"
    );
    assert_eq!(fake.count("denied", "acl").await, 1);
}

#[tokio::test]
async fn concurrency_bounds_requests_in_flight() {
    let fake = FakeS3::start().await;
    fake.latency(Duration::from_millis(40));
    let names: Vec<String> = (0..6).map(|i| format!("bucket-{i}")).collect();
    for name in &names {
        fake.bucket(name, FakeBucket::new("us-east-1"));
    }
    let versioning =
        s3tk::registry::select_checks(&["s3.bucket.versioning-disabled".into()], &[]).unwrap();
    let run = |concurrency: usize| {
        let account = AccountState::new(clients(&fake.uri(), concurrency));
        let buckets = names
            .iter()
            .map(|n| SelectedBucket {
                name: n.clone(),
                listed_region: Some("us-east-1".into()),
            })
            .collect();
        let checks = versioning.clone();
        async move {
            let started = Instant::now();
            s3tk::runner::scan(
                account,
                buckets,
                &checks,
                &CheckOptions::default(),
                6,
                &|_, _| {},
            )
            .await;
            started.elapsed()
        }
    };
    // Six 40 ms requests one at a time cannot take less than 240 ms; this bounds from below
    // only, so a slow machine cannot make it fail.
    assert!(run(1).await >= Duration::from_millis(240));
    // With three slots the same six requests need at least two rounds: more than three in
    // flight at once would finish in one.
    assert!(run(3).await >= Duration::from_millis(80));
}
