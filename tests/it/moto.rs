//! End to end against an independent S3 implementation: the built binary scans moto's server
//! (`moto[server]==5.1.22`, see rust-sdk-notes.md for why that version), with buckets set up
//! through the S3 API. The test starts moto itself from `S3TK_MOTO_SERVER` (the path of the
//! `moto_server` executable, which `scripts/test` installs). Without it the test is skipped with
//! a note, unless `S3TK_REQUIRE_TOOLS=1` (set by `scripts/test` and CI), which makes it fail.

use crate::support::{finding, s3tk};
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::types::{
    BucketCannedAcl, BucketLocationConstraint, BucketLoggingStatus, BucketVersioningStatus,
    CreateBucketConfiguration, LoggingEnabled, VersioningConfiguration,
};
use std::time::Duration;

struct Moto {
    endpoint: String,
    _process: tokio::process::Child,
}

async fn start_moto() -> Option<Moto> {
    let Some(server) = std::env::var_os("S3TK_MOTO_SERVER") else {
        assert!(
            std::env::var("S3TK_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "S3TK_REQUIRE_TOOLS=1 but S3TK_MOTO_SERVER is not set"
        );
        eprintln!(
            "skipping the moto end-to-end test: S3TK_MOTO_SERVER is not set (scripts/test sets it)"
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let process = tokio::process::Command::new(server)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("moto_server starts");
    let endpoint = format!("http://127.0.0.1:{port}");
    for _ in 0..150 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Some(Moto {
                endpoint,
                _process: process,
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("moto_server did not listen on {endpoint} within 15 s");
}

fn client(endpoint: &str) -> Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .build();
    Client::from_conf(conf)
}

async fn create(s3: &Client, name: &str) {
    s3.create_bucket()
        .bucket(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create {name}: {e:?}"));
}

async fn enable_versioning(s3: &Client, name: &str, status: BucketVersioningStatus) {
    s3.put_bucket_versioning()
        .bucket(name)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .unwrap();
}

async fn log_to(s3: &Client, name: &str, target: &str) {
    let logging = LoggingEnabled::builder()
        .target_bucket(target)
        .target_prefix(format!("{name}/"))
        .build()
        .unwrap();
    s3.put_bucket_logging()
        .bucket(name)
        .bucket_logging_status(
            BucketLoggingStatus::builder()
                .logging_enabled(logging)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

async fn set_policy(s3: &Client, name: &str, policy: &str) {
    s3.put_bucket_policy()
        .bucket(name)
        .policy(policy)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn scan_reports_what_was_set_up_on_moto() {
    let Some(moto) = start_moto().await else {
        return;
    };
    let s3 = client(&moto.endpoint);

    // The log target needs the LogDelivery grant before moto accepts logging into it.
    create(&s3, "e2e-logs").await;
    s3.put_bucket_acl()
        .bucket("e2e-logs")
        .acl(BucketCannedAcl::from("log-delivery-write"))
        .send()
        .await
        .unwrap();

    create(&s3, "e2e-clean").await;
    enable_versioning(&s3, "e2e-clean", BucketVersioningStatus::Enabled).await;
    log_to(&s3, "e2e-clean", "e2e-logs").await;

    create(&s3, "e2e-public-acl").await;
    s3.put_bucket_acl()
        .bucket("e2e-public-acl")
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();

    create(&s3, "e2e-public-policy").await;
    set_policy(
        &s3,
        "e2e-public-policy",
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"Mixed","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","*"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::e2e-public-policy/*"}]}"#,
    )
    .await;

    create(&s3, "e2e-ip-policy").await;
    set_policy(
        &s3,
        "e2e-ip-policy",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::e2e-ip-policy/*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}}"#,
    )
    .await;

    create(&s3, "e2e-suspended").await;
    enable_versioning(&s3, "e2e-suspended", BucketVersioningStatus::Enabled).await;
    enable_versioning(&s3, "e2e-suspended", BucketVersioningStatus::Suspended).await;

    s3.create_bucket()
        .bucket("e2e-ireland")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap();

    let run = s3tk(
        &moto.endpoint,
        &["scan", "--format", "json", "e2e-*", "e2e-missing"],
    )
    .await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let status = |bucket: &str, check: &str| finding(&report, bucket, check).0;

    for check in [
        "s3.bucket.public-acl",
        "s3.bucket.public-policy",
        "s3.bucket.logging-disabled",
        "s3.bucket.versioning-disabled",
    ] {
        assert_eq!(
            status("e2e-clean", check),
            "pass",
            "e2e-clean {check}: {}",
            finding(&report, "e2e-clean", check).1
        );
        assert_eq!(
            finding(&report, "e2e-missing", check),
            (
                "error".into(),
                "could not evaluate: bucket does not exist (NoSuchBucket)".into()
            )
        );
    }
    assert_eq!(
        finding(&report, "e2e-clean", "s3.bucket.logging-disabled").1,
        "logs to s3://e2e-logs/e2e-clean/"
    );

    let (acl_status, acl_message) = finding(&report, "e2e-public-acl", "s3.bucket.public-acl");
    assert_eq!(
        (acl_status.as_str(), acl_message.as_str()),
        (
            "fail",
            "ACL grants READ to AllUsers (anyone on the internet)"
        )
    );
    // The log bucket's LogDelivery grants are not public.
    assert_eq!(status("e2e-logs", "s3.bucket.public-acl"), "pass");

    let (policy_status, policy_message) =
        finding(&report, "e2e-public-policy", "s3.bucket.public-policy");
    assert_eq!(policy_status, "fail");
    assert!(
        policy_message.starts_with(
            "policy is public: statement \"Mixed\" (#1) allows Principal {\"AWS\": \"*\"}"
        ),
        "{policy_message}"
    );
    assert_eq!(status("e2e-ip-policy", "s3.bucket.public-policy"), "pass");
    assert_eq!(status("e2e-public-acl", "s3.bucket.public-policy"), "pass");

    assert_eq!(
        finding(&report, "e2e-logs", "s3.bucket.logging-disabled"),
        ("fail".into(), "server access logging is disabled".into())
    );
    assert_eq!(
        finding(&report, "e2e-logs", "s3.bucket.versioning-disabled"),
        ("fail".into(), "versioning has never been enabled".into())
    );
    assert_eq!(
        finding(&report, "e2e-suspended", "s3.bucket.versioning-disabled"),
        ("fail".into(), "versioning is suspended".into())
    );

    let ireland = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["bucket"] == "e2e-ireland")
        .unwrap();
    assert_eq!(ireland["region"], "eu-west-1");

    // The same scan as a table: one ✘ line per failing finding.
    let table = s3tk(&moto.endpoint, &["scan", "e2e-*"]).await;
    assert_eq!(table.code, 1);
    let failing: Vec<&str> = table.stdout.lines().filter(|l| l.contains('✘')).collect();
    let expected_failures = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail")
        .count();
    assert_eq!(failing.len(), expected_failures, "{}", table.stdout);
    assert!(
        failing
            .iter()
            .any(|l| l.contains("e2e-public-acl") && l.contains("s3.bucket.public-acl"))
    );
}
