//! `scan --object-level-logging` end to end: CloudTrail trails on the fake with basic and
//! advanced selectors, stopped trails, home-region and multi-region trails.

use crate::fake_s3::{FakeBucket, FakeS3, FakeTrail};
use crate::support::{finding, s3tk};
use serde_json::json;

const WRITE: &str = "s3.bucket.object-write-logging-disabled";
const READ: &str = "s3.bucket.object-read-logging-disabled";

fn trail(name: &str, home: &str, multi_region: bool, selectors: serde_json::Value) -> FakeTrail {
    FakeTrail {
        name: name.into(),
        arn: None,
        home_region: home.into(),
        multi_region,
        logging: true,
        selectors,
    }
}

fn basic(read_write: &str, values: &[&str]) -> serde_json::Value {
    json!({"EventSelectors": [{
        "ReadWriteType": read_write,
        "IncludeManagementEvents": true,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": values}],
    }]})
}

fn advanced(extra: serde_json::Value) -> serde_json::Value {
    let mut fields = vec![
        json!({"Field": "eventCategory", "Equals": ["Data"]}),
        json!({"Field": "resources.type", "Equals": ["AWS::S3::Object"]}),
    ];
    fields.extend(extra.as_array().cloned().unwrap_or_default());
    json!({"AdvancedEventSelectors": [{"Name": "s3", "FieldSelectors": fields}]})
}

async fn scan(fake: &FakeS3) -> serde_json::Value {
    let run = s3tk(
        &fake.uri(),
        &[
            "scan",
            "--object-level-logging",
            "--checks",
            &format!("{WRITE},{READ}"),
            "--format",
            "json",
        ],
    )
    .await;
    assert!(
        run.code == 0 || run.code == 1,
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    run.json()
}

#[tokio::test]
async fn selector_forms_regions_and_status() {
    let fake = FakeS3::start().await;
    for (name, region) in [
        ("everything", "us-east-1"),
        ("writes-only", "eu-west-1"),
        ("docs-only", "us-east-1"),
        ("stopped", "ap-south-1"),
        ("untracked", "ca-central-1"),
    ] {
        fake.bucket(name, FakeBucket::hardened(name, region));
    }
    // Homed in eu-central-1, multi-region: it is asked about itself there only.
    fake.trail(trail(
        "org-wide",
        "eu-central-1",
        true,
        basic("ReadOnly", &["arn:aws:s3:::everything/"]),
    ))
    .trail(trail(
        "main",
        "us-east-1",
        false,
        basic("All", &["arn:aws:s3:::"]),
    ))
    .trail(trail(
        "eu-writes",
        "eu-west-1",
        false,
        advanced(json!([{"Field": "readOnly", "Equals": ["false"]}])),
    ))
    .trail(trail(
        "docs",
        "us-east-2",
        true,
        advanced(
            json!([{"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::docs-only/docs/"]}]),
        ),
    ))
    .trail(FakeTrail {
        logging: false,
        ..trail("paused", "ap-south-1", false, basic("All", &["arn:aws:s3"]))
    });
    let report = scan(&fake).await;
    assert_eq!(
        finding(&report, "everything", WRITE),
        (
            "pass".into(),
            "write data events are logged by trail main (us-east-1)".into()
        )
    );
    assert_eq!(
        finding(&report, "everything", READ),
        (
            "pass".into(),
            "read data events are logged by trail main (us-east-1), org-wide (multi-region)".into()
        )
    );
    assert_eq!(finding(&report, "writes-only", WRITE).0, "pass");
    assert_eq!(
        finding(&report, "writes-only", READ),
        (
            "fail".into(),
            "no trail logging in eu-west-1 records read data events for this bucket".into()
        )
    );
    assert_eq!(
        finding(&report, "docs-only", READ),
        (
            "pass".into(),
            "read data events are logged by trail main (us-east-1)".into()
        )
    );
    // A single-region trail elsewhere does not count; the multi-region one covers a prefix.
    let fake_ca = finding(&report, "untracked", WRITE);
    assert_eq!(fake_ca.0, "fail");
    assert_eq!(
        fake_ca.1,
        "no trail logging in ca-central-1 records write data events for this bucket"
    );
    assert_eq!(
        finding(&report, "stopped", WRITE),
        (
            "fail".into(),
            "no trail logging in ap-south-1 records write data events for this bucket; trail paused (ap-south-1) would log them but is not logging (StartLogging)".into()
        )
    );
    // Details are asked of each trail's home region once; trails are listed once per region.
    let operations = fake.operations().await;
    let count = |op: &str| operations.iter().filter(|o| *o == op).count();
    assert_eq!(count("DescribeTrails"), 4, "{operations:?}");
    assert_eq!(count("GetEventSelectors"), 5, "{operations:?}");
    assert_eq!(count("GetTrailStatus"), 5, "{operations:?}");
}

#[tokio::test]
async fn partial_coverage_is_its_own_message() {
    let fake = FakeS3::start().await;
    fake.bucket("media", FakeBucket::hardened("media", "us-east-1"))
        .trail(trail(
            "uploads",
            "us-east-1",
            true,
            basic("WriteOnly", &["arn:aws:s3:::media/uploads/"]),
        ));
    let report = scan(&fake).await;
    assert_eq!(
        finding(&report, "media", WRITE),
        (
            "fail".into(),
            "write data events are logged for part of the bucket only: trail uploads (multi-region) for prefix uploads/ only".into()
        )
    );
}

#[tokio::test]
async fn off_by_default_and_denials_are_errors() {
    let fake = FakeS3::start().await;
    fake.bucket("app", FakeBucket::hardened("app", "us-east-1"));
    let run = s3tk(&fake.uri(), &["scan", "--format", "json"]).await;
    run.expect_success();
    assert!(!fake.operations().await.iter().any(|o| o.contains("Trail")));

    fake.cloudtrail_fault("DescribeTrails", 400, "AccessDeniedException");
    let run = s3tk(
        &fake.uri(),
        &["scan", "--object-level-logging", "--format", "json"],
    )
    .await;
    run.assert_code(3);
    let (status, message) = finding(&run.json(), "app", WRITE);
    assert_eq!(status, "error");
    assert_eq!(
        message,
        "could not evaluate: access denied to DescribeTrails: the caller needs cloudtrail:DescribeTrails"
    );
}

#[tokio::test]
async fn advanced_negative_and_event_name_filters_are_partial_or_none() {
    let fake = FakeS3::start().await;
    fake.bucket("ledger", FakeBucket::hardened("ledger", "us-east-1"))
        .bucket("scratch", FakeBucket::hardened("scratch", "us-east-1"))
        // Writes of everything but ledger/tmp/ and all of scratch.
        .trail(trail(
            "writes",
            "us-east-1",
            true,
            advanced(json!([
                {"Field": "readOnly", "Equals": ["false"]},
                {"Field": "resources.ARN", "NotStartsWith": ["arn:aws:s3:::ledger/tmp/", "arn:aws:s3:::scratch/"]},
            ])),
        ))
        // Reads of GetObject only.
        .trail(trail(
            "gets",
            "us-east-1",
            true,
            advanced(json!([
                {"Field": "readOnly", "Equals": ["true"]},
                {"Field": "eventName", "Equals": ["GetObject"]},
            ])),
        ));
    let report = scan(&fake).await;
    assert_eq!(
        finding(&report, "ledger", WRITE),
        (
            "fail".into(),
            "write data events are logged for part of the bucket only: trail writes (multi-region) for keys outside prefix tmp/ only".into()
        )
    );
    assert_eq!(
        finding(&report, "scratch", WRITE),
        (
            "fail".into(),
            "no trail logging in us-east-1 records write data events for this bucket".into()
        )
    );
    assert_eq!(
        finding(&report, "ledger", READ),
        (
            "fail".into(),
            "read data events are logged for part of the bucket only: trail gets (multi-region) for events matching its eventName filter only".into()
        )
    );
}
