//! The bucket-state cache: each facet is fetched at most once per bucket per run, however many
//! checks read it, and failures are cached too. Counted on the fake.

use crate::fake_s3::{FakeBucket, FakeS3};
use crate::support::clients;
use s3tk::check::CheckOptions;
use s3tk::select::SelectedBucket;
use s3tk::state::{AccountState, BucketState};
use std::time::{Duration, Instant};

/// Every S3 sub-resource a full scan reads, per bucket: those of the default checks' facets,
/// and HeadBucket ("") for the region.
fn bucket_subresources() -> Vec<&'static str> {
    let mut subresources = vec![""];
    for check in crate::support::default_checks() {
        for facet in check.meta.facets {
            if let Some(sub) = crate::fake_s3::subresource_of(*facet)
                && !subresources.contains(&sub)
            {
                subresources.push(sub);
            }
        }
    }
    subresources
}

#[tokio::test]
async fn each_facet_is_requested_once_per_bucket_and_account_facets_once_per_run() {
    let fake = FakeS3::start().await;
    fake.list_regions(false);
    let names = ["one", "two", "three"];
    for name in names {
        let public = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#;
        fake.bucket(
            name,
            FakeBucket::hardened(name, "eu-west-1")
                .policy(public, Some(true))
                .website("index.html"),
        );
    }
    let account = AccountState::new(clients(&fake.uri(), 16));
    let buckets: Vec<SelectedBucket> = names
        .iter()
        .map(|n| SelectedBucket {
            name: n.to_string(),
            listed_region: None,
        })
        .collect();
    // Every check twice: a second reader of each facet must not cause a second request.
    let checks: Vec<_> = crate::support::default_checks()
        .into_iter()
        .chain(crate::support::default_checks())
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
    let account_checks = crate::support::default_checks()
        .iter()
        .filter(|c| c.meta.scope == s3tk::check::Scope::Account)
        .count();
    let bucket_checks = crate::support::default_checks().len() - account_checks;
    assert_eq!(
        findings.len(),
        2 * (bucket_checks * names.len() + account_checks),
        "account checks once, not per bucket"
    );
    let errors: Vec<_> = findings
        .iter()
        .filter(|f| f.status == s3tk::report::Status::Error)
        .map(|f| &f.message)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    for name in names {
        for facet in bucket_subresources() {
            assert_eq!(
                fake.count(name, facet).await,
                1,
                "{name} ?{facet}: {:?}",
                fake.requests().await
            );
        }
        let listed = fake
            .requests()
            .await
            .iter()
            .filter(|r| r.ends_with(&format!("/v20180820/accesspoint?bucket={name}")))
            .count();
        assert_eq!(listed, 1, "ListAccessPoints once for {name}");
    }
    assert_eq!(
        fake.control_count("configuration/publicAccessBlock").await,
        1,
        "account block once per run"
    );
    let sts = fake
        .requests()
        .await
        .iter()
        .filter(|r| r.as_str() == "POST /")
        .count();
    assert_eq!(sts, 1, "GetCallerIdentity once per run");
    assert_eq!(
        fake.count("central-logs", "").await,
        1,
        "the shared log target's region once"
    );
    // Per bucket: its sub-resources and one ListAccessPoints (hardened buckets have no access
    // point to get). Per run: one request per account facet, and the regions of the log target
    // and of the replication destination.
    let read = |facet| {
        crate::support::default_checks()
            .iter()
            .any(|c| c.meta.facets.contains(&facet))
    };
    use s3tk::facet::Facet;
    let per_bucket = bucket_subresources().len() + usize::from(read(Facet::AccessPoints));
    // (A scan of named buckets never lists the account's buckets.)
    let per_run = [
        Facet::AccountId,
        Facet::AccountPublicAccessBlock,
        Facet::MultiRegionAccessPoints,
    ]
    .into_iter()
    .filter(|f| read(*f))
    .count()
        + 2;
    let total = fake.requests().await.len();
    assert_eq!(
        total,
        names.len() * per_bucket + per_run,
        "nothing else: {:?}",
        fake.requests().await
    );
}

#[tokio::test]
async fn access_points_cost_one_listing_plus_one_request_each() {
    let fake = FakeS3::start().await;
    let block = s3tk::model::PublicAccessBlock::ALL_ON;
    fake.bucket(
        "with-points",
        FakeBucket::hardened("with-points", "us-east-1")
            .access_point("a", block)
            .access_point("b", block),
    );
    let checks = s3tk::registry::select_checks(
        &["s3.bucket.access-point-public-access-block-disabled".into()],
        &[],
        &[],
    )
    .unwrap();
    let account = AccountState::new(clients(&fake.uri(), 4));
    let buckets = vec![SelectedBucket {
        name: "with-points".into(),
        listed_region: Some("us-east-1".into()),
    }];
    let findings = s3tk::runner::scan(
        account,
        buckets,
        &checks,
        &CheckOptions::default(),
        4,
        &|_, _| {},
    )
    .await;
    assert_eq!(
        findings[0].message,
        "all 2 access points block public access"
    );
    assert_eq!(
        fake.control_count("accesspoint").await,
        1,
        "one ListAccessPoints"
    );
    assert_eq!(
        fake.control_count("accesspoint/a").await + fake.control_count("accesspoint/b").await,
        2,
        "one GetAccessPoint each"
    );
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
        s3tk::registry::select_checks(&["s3.bucket.versioning-disabled".into()], &[], &[]).unwrap();
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
