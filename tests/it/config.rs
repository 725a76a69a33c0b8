//! `ConfigSource` and `scan --from-aws-config` against the fake of AWS Config
//! (`fake_config.rs`): pagination, aggregators across accounts and regions, a batch that fails
//! for one bucket, unprocessed keys, bucket selection, and bad input.

use crate::fake_config::{FakeConfig, OWN_ACCOUNT, Recorded, serve};
use crate::support::clients;
use s3tk::error::FetchErrorKind;
use s3tk::state::aws_config::ConfigSource;
use s3tk::state::snapshot::{Answer, BucketRecord};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Mutex;

fn own_buckets(n: usize) -> Vec<Recorded> {
    (0..n)
        .map(|i| {
            (
                OWN_ACCOUNT.to_owned(),
                "us-east-1".to_owned(),
                format!("bucket-{i:04}"),
            )
        })
        .collect()
}

async fn drain(source: &mut ConfigSource) -> Vec<(String, BucketRecord)> {
    let mut all = Vec::new();
    while let Some(batch) = source.next_batch().await {
        assert!(batch.len() <= 100);
        all.extend(batch);
    }
    all
}

#[tokio::test]
async fn pages_and_batches_of_one_account() {
    let (server, fake) = serve(FakeConfig {
        buckets: own_buckets(250),
        ..FakeConfig::default()
    })
    .await;
    let clients = clients(&server.uri(), 4);
    let mut source = ConfigSource::open(&clients, None).await.unwrap();
    // 3 pages of buckets, 1 (empty) page of account Block Public Access, 1 GetCallerIdentity.
    assert_eq!(source.requests(), 5);
    let accounts = source.accounts();
    assert_eq!(accounts.len(), 1);
    let account = &accounts[0];
    assert_eq!(account.account_id.as_deref(), Some(OWN_ACCOUNT));
    assert_eq!(account.region.as_deref(), Some("us-east-1"));
    let Some(Answer(Ok(names))) = &account.facets.bucket_list else {
        panic!("no bucket list")
    };
    assert_eq!(names.len(), 250);
    // Not recorded: left out, so its checks are explicit skips.
    assert!(account.facets.public_access_block.is_none());

    let records = drain(&mut source).await;
    assert_eq!(records.len(), 250);
    assert_eq!(source.requests(), 8);
    assert_eq!(fake.count("ListDiscoveredResources AWS::S3::Bucket"), 3);
    assert_eq!(fake.batch_sizes(), vec![100, 100, 50]);
    let got: BTreeSet<&str> = records.iter().map(|(_, r)| r.name.as_str()).collect();
    assert_eq!(&got, &names.iter().map(String::as_str).collect());
    let (account_id, record) = &records[0];
    assert_eq!(account_id, OWN_ACCOUNT);
    assert_eq!(
        record.observed_at.as_deref(),
        Some("2023-11-14T22:13:20.5Z")
    );
    assert!(matches!(record.facets.acl, Some(Answer(Ok(_)))));
    assert!(source.next_batch().await.is_none());
}

#[tokio::test]
async fn an_aggregator_reads_two_accounts_in_two_regions() {
    let mut buckets = Vec::new();
    for account in [OWN_ACCOUNT, "444455556666"] {
        for region in ["us-east-1", "eu-west-1"] {
            for i in 0..30 {
                buckets.push((
                    account.to_owned(),
                    region.to_owned(),
                    format!("{account}-{region}-{i}"),
                ));
            }
        }
    }
    let (server, fake) = serve(FakeConfig {
        buckets,
        account_pab: [OWN_ACCOUNT.to_owned()].into(),
        aggregator: Some("org".into()),
        ..FakeConfig::default()
    })
    .await;
    let clients = clients(&server.uri(), 4);
    let mut source = ConfigSource::open(&clients, Some("org")).await.unwrap();
    // 2 pages of buckets, 1 page of account Block Public Access items, 1 batch of them.
    assert_eq!(source.requests(), 4);
    assert_eq!(fake.count("GetCallerIdentity"), 0);
    let accounts = source.accounts();
    assert_eq!(accounts.len(), 2);
    for account in &accounts {
        let Some(Answer(Ok(names))) = &account.facets.bucket_list else {
            panic!("no bucket list")
        };
        assert_eq!(names.len(), 60);
        let id = account.account_id.as_deref().unwrap();
        assert!(names.iter().all(|n| n.starts_with(id)));
        assert_eq!(account.region.as_deref(), Some("us-east-1"));
    }
    assert_eq!(
        accounts[0].facets.public_access_block,
        Some(Answer(Ok(Some(s3tk::model::PublicAccessBlock::ALL_ON))))
    );
    assert!(accounts[1].facets.public_access_block.is_none());

    let records = drain(&mut source).await;
    assert_eq!(records.len(), 120);
    assert_eq!(source.requests(), 6);
    assert_eq!(fake.batch_sizes(), vec![1, 100, 20]);
    for (account, record) in &records {
        let Some(Answer(Ok(region))) = &record.region else {
            panic!("no region")
        };
        assert!(record.name.starts_with(&format!("{account}-{region}-")));
    }
}

#[tokio::test]
async fn one_failing_bucket_costs_only_itself() {
    let (server, fake) = serve(FakeConfig {
        buckets: own_buckets(10),
        poisoned: Some("bucket-0003".into()),
        ..FakeConfig::default()
    })
    .await;
    let clients = clients(&server.uri(), 4);
    let mut source = ConfigSource::open(&clients, None).await.unwrap();
    let records = drain(&mut source).await;
    assert_eq!(records.len(), 10);
    for (_, record) in &records {
        let failed = record.name == "bucket-0003";
        match (&record.facets.acl, failed) {
            (Some(Answer(Ok(_))), false) => {}
            (Some(Answer(Err(e))), true) => {
                assert!(
                    matches!(
                        e.kind,
                        FetchErrorKind::Service {
                            status: Some(500),
                            ..
                        }
                    ),
                    "{e:?}"
                );
                assert!(matches!(record.facets.policy, Some(Answer(Err(_)))));
                assert!(matches!(record.facets.versioning, Some(Answer(Err(_)))));
            }
            (other, _) => panic!("{}: {other:?}", record.name),
        }
    }
    // 10 → 5 (poisoned) + 5; 5 → 2 + 3 (poisoned); 3 → 1 + 2 (poisoned); 2 → 1 + 1 (poisoned).
    assert_eq!(fake.batch_sizes(), vec![10, 5, 2, 3, 1, 2, 1, 1, 5]);
}

#[tokio::test]
async fn unprocessed_keys_are_asked_again() {
    let (server, fake) = serve(FakeConfig {
        buckets: own_buckets(5),
        unprocessed_once: Mutex::new(["bucket-0001".to_owned(), "bucket-0004".to_owned()].into()),
        ..FakeConfig::default()
    })
    .await;
    let clients = clients(&server.uri(), 4);
    let mut source = ConfigSource::open(&clients, None).await.unwrap();
    let records = drain(&mut source).await;
    assert_eq!(records.len(), 5);
    assert!(
        records
            .iter()
            .all(|(_, r)| matches!(r.facets.acl, Some(Answer(Ok(_))))),
        "{records:?}"
    );
    assert_eq!(fake.batch_sizes(), vec![5, 2]);
}

/// `open`'s error as the CLI would print it: one line, no Debug text.
async fn open_error(fake: FakeConfig, aggregator: Option<&str>) -> String {
    let (server, _fake) = serve(fake).await;
    let clients = clients(&server.uri(), 4);
    let message = match ConfigSource::open(&clients, aggregator).await {
        Ok(_) => panic!("open succeeded"),
        Err(e) => e.to_string(),
    };
    assert!(!message.contains('\n'), "{message}");
    assert!(!message.contains("ErrorMetadata"), "{message}");
    assert!(!message.contains("{ "), "{message}");
    message
}

#[tokio::test]
async fn an_unknown_aggregator_is_named() {
    let message = open_error(
        FakeConfig {
            buckets: own_buckets(3),
            aggregator: Some("org".into()),
            ..FakeConfig::default()
        },
        Some("nope"),
    )
    .await;
    assert_eq!(
        message,
        "ListAggregateDiscoveredResources failed: NoSuchConfigurationAggregatorException: \
         AWS Config has no configuration aggregator named 'nope' in this region"
    );
}

#[tokio::test]
async fn config_not_recording_and_access_denied_are_one_line_each() {
    let message = open_error(
        FakeConfig {
            failing: Some((400, "NoAvailableConfigurationRecorderException")),
            ..FakeConfig::default()
        },
        None,
    )
    .await;
    assert!(
        message.starts_with(
            "ListDiscoveredResources failed: NoAvailableConfigurationRecorderException: \
             AWS Config is not recording in this region"
        ),
        "{message}"
    );
    let message = open_error(
        FakeConfig {
            failing: Some((400, "AccessDeniedException")),
            ..FakeConfig::default()
        },
        None,
    )
    .await;
    assert_eq!(
        message,
        "access denied to ListDiscoveredResources: the caller needs config:ListDiscoveredResources"
    );
}

/// A public bucket's supplementary configuration: a policy anyone may read objects with.
fn public_policy(name: &str) -> Value {
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{name}/*")}]});
    json!({"BucketPolicy": json!({"policyText": policy.to_string()}).to_string()})
}

#[tokio::test]
async fn scan_from_aws_config_reports_capture_times_and_skips_what_config_lacks() {
    let mut buckets = Vec::new();
    for account in [OWN_ACCOUNT, "444455556666"] {
        for i in 0..3 {
            buckets.push((
                account.to_owned(),
                "eu-west-1".to_owned(),
                format!("{account}-b{i}"),
            ));
        }
    }
    let public = format!("{OWN_ACCOUNT}-b1");
    let (server, fake) = serve(FakeConfig {
        buckets,
        account_pab: [OWN_ACCOUNT.to_owned()].into(),
        aggregator: Some("org".into()),
        supplementary: [(public.clone(), public_policy(&public))].into(),
        ..FakeConfig::default()
    })
    .await;
    let dir = crate::support::TempDir::new("config-state");
    let state = dir.path("config.json");
    let run = crate::support::s3tk(
        &server.uri(),
        &[
            "scan",
            "--from-aws-config",
            "--aggregator",
            "org",
            "--format",
            "json",
            "--save-state",
            &state,
        ],
    )
    .await;
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("read 6 bucket configuration(s) from AWS Config in 4 request(s)"),
        "{}",
        run.stderr
    );
    let report = run.json();
    let findings = report["findings"].as_array().unwrap();
    let of = |bucket: &str, check: &str| {
        findings
            .iter()
            .find(|f| f["bucket"] == bucket && f["check"] == check)
            .unwrap_or_else(|| panic!("no {check} finding for {bucket}"))
    };
    let public_read = of(&public, "s3.bucket.public-policy-read");
    assert_eq!(public_read["status"], "fail", "{public_read}");
    assert_eq!(public_read["account"], OWN_ACCOUNT);
    assert_eq!(public_read["region"], "eu-west-1");
    assert_eq!(public_read["observed_at"], "2023-11-14T22:13:20.5Z");
    assert!(
        public_read["message"]
            .as_str()
            .unwrap()
            .contains("not confirmed by AWS: AWS Config does not record GetBucketPolicyStatus"),
        "{public_read}"
    );
    let acls = of(&format!("{OWN_ACCOUNT}-b0"), "s3.bucket.acls-enabled");
    assert_eq!(
        (
            acls["status"].as_str().unwrap(),
            acls["message"].as_str().unwrap()
        ),
        (
            "skip",
            "not evaluated: AWS Config does not record GetBucketOwnershipControls; a live scan of the bucket reads it"
        )
    );
    // Account checks once per account: Config records the first account's Block Public
    // Access, not the second's.
    let account_block: Vec<(&str, &str)> = findings
        .iter()
        .filter(|f| f["check"] == "s3.account.public-access-block-disabled")
        .map(|f| {
            (
                f["account"].as_str().unwrap(),
                f["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        account_block,
        vec![(OWN_ACCOUNT, "pass"), ("444455556666", "skip")]
    );
    assert!(
        !findings.iter().any(|f| f["status"] == "error"),
        "{findings:#?}"
    );

    // The saved state gives the same report, skips included, with no request.
    let requests = fake.log.lock().unwrap().len();
    let again = crate::support::s3tk(
        &server.uri(),
        &["scan", "--from-state", &state, "--format", "json"],
    )
    .await;
    again.assert_code(1);
    assert_eq!(fake.log.lock().unwrap().len(), requests);
    assert_eq!(
        crate::state::without_times(again.json()),
        crate::state::without_times(report)
    );
}

#[tokio::test]
async fn scan_from_aws_config_reads_only_the_selected_buckets() {
    let (server, fake) = serve(FakeConfig {
        buckets: own_buckets(250),
        ..FakeConfig::default()
    })
    .await;
    let run = crate::support::s3tk(
        &server.uri(),
        &[
            "scan",
            "--from-aws-config",
            "--format",
            "json",
            "bucket-00[0-4]?",
            "not-recorded",
        ],
    )
    .await;
    run.assert_code_because(1, "logging is off");
    assert_eq!(fake.batch_sizes(), vec![50]);
    assert!(
        run.stderr.contains("no bucket matches 'not-recorded'"),
        "{}",
        run.stderr
    );
    let buckets: BTreeSet<String> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["bucket"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(buckets.len(), 50);
}

#[tokio::test]
async fn an_unreadable_aws_config_is_exit_3_in_one_line() {
    let (server, _fake) = serve(FakeConfig {
        buckets: own_buckets(3),
        aggregator: Some("org".into()),
        ..FakeConfig::default()
    })
    .await;
    let dir = crate::support::TempDir::new("config-bad");
    let report = dir.path("report.json");
    let run = crate::support::s3tk(
        &server.uri(),
        &[
            "scan",
            "--from-aws-config",
            "--aggregator",
            "nope",
            "--format",
            &format!("json={report}"),
        ],
    )
    .await;
    run.assert_code(3);
    assert_eq!(
        run.stderr,
        "error: could not read AWS Config aggregator nope: ListAggregateDiscoveredResources failed: \
         NoSuchConfigurationAggregatorException: AWS Config has no configuration aggregator named 'nope' in this region\n"
    );
    assert!(!std::path::Path::new(&report).exists());
}

/// A log target read in a later batch, and in another account (a central log archive), is
/// known to exist from the listing: the logging check passes instead of skipping.
#[tokio::test]
async fn a_log_target_in_another_account_is_known_before_its_batch() {
    let archive = "999988887777";
    let mut buckets = own_buckets(150);
    buckets.push((
        archive.to_owned(),
        "eu-west-1".to_owned(),
        "zz-central-logs".to_owned(),
    ));
    let logging = json!({"destinationBucketName": "zz-central-logs", "logFilePrefix": "b/"});
    let (server, _fake) = serve(FakeConfig {
        buckets,
        aggregator: Some("org".into()),
        supplementary: [(
            "bucket-0000".to_owned(),
            json!({"BucketLoggingConfiguration": logging.to_string()}),
        )]
        .into(),
        ..FakeConfig::default()
    })
    .await;
    let run = crate::support::s3tk(
        &server.uri(),
        &[
            "scan",
            "--from-aws-config",
            "--aggregator",
            "org",
            "--format",
            "json",
            "--checks",
            "s3.bucket.logging-disabled",
            "bucket-0000",
        ],
    )
    .await;
    let report = run.json();
    assert_eq!(
        crate::support::finding(&report, "bucket-0000", "s3.bucket.logging-disabled"),
        ("pass".into(), "logs to s3://zz-central-logs/b/".into())
    );
}
