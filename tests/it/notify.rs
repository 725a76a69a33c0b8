//! `scan --sns-topic`: the summary published after the report, and a failed publish.

use crate::fake_s3::{FakeBucket, FakeS3};
use crate::support::s3tk;

const TOPIC: &str = "arn:aws:sns:eu-west-1:123456789012:security-alerts";

fn setup(fake: &FakeS3) {
    fake.bucket("app", FakeBucket::hardened("app", "us-east-1"))
        .bucket(
            "open",
            FakeBucket::hardened("open", "us-east-1").versioning("Suspended"),
        );
}

#[tokio::test]
async fn failures_are_published_once_after_the_report() {
    let fake = FakeS3::start().await;
    setup(&fake);
    let run = s3tk(
        &fake.uri(),
        &["scan", "--sns-topic", TOPIC, "--format", "json"],
    )
    .await;
    run.assert_code(1);
    assert!(run.json()["findings"].as_array().unwrap().len() > 2);
    let published = fake.published();
    assert_eq!(published.len(), 1, "{published:#?}");
    let message = &published[0];
    assert_eq!(message.topic, TOPIC);
    assert_eq!(
        message.region, "eu-west-1",
        "the topic's region signs the request"
    );
    assert_eq!(message.subject, "[s3tk] Scan Failures");
    let lines: Vec<&str> = message.message.lines().collect();
    assert!(
        lines[0].starts_with("s3tk ")
            && lines[0].contains("scan of account 123456789012 at ")
            && lines[0].ends_with(": 1 failing finding(s), 0 error(s)"),
        "{}",
        lines[0]
    );
    assert_eq!(
        &lines[2..],
        ["open: [medium] s3.bucket.versioning-disabled: versioning is suspended"]
    );
    assert!(
        run.stderr.contains(&format!(
            "published the failures to {TOPIC} (message message-1)"
        )),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn nothing_is_published_when_nothing_gates() {
    let fake = FakeS3::start().await;
    setup(&fake);
    let run = s3tk(
        &fake.uri(),
        &["scan", "--sns-topic", TOPIC, "--fail-on", "high"],
    )
    .await;
    run.expect_success();
    assert!(fake.published().is_empty());
    assert!(
        run.stderr.contains("nothing failed: nothing was published"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn a_failed_publish_exits_3_and_keeps_the_report() {
    let fake = FakeS3::start().await;
    setup(&fake);
    fake.sns_fault(403, "AuthorizationError");
    let run = s3tk(
        &fake.uri(),
        &["scan", "--sns-topic", TOPIC, "--format", "json"],
    )
    .await;
    run.assert_code(3);
    assert!(
        run.json()["findings"].as_array().unwrap().len() > 2,
        "the report is intact"
    );
    assert!(
        run.stderr.contains(&format!(
            "error: could not publish the summary to {TOPIC}: access denied to Publish: the caller needs sns:Publish"
        )),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn a_bad_topic_is_refused_before_any_request() {
    let fake = FakeS3::start().await;
    let run = s3tk(&fake.uri(), &["scan", "--sns-topic", "security-alerts"]).await;
    run.assert_code(2);
    assert_eq!(
        run.stderr.trim(),
        "error: invalid --sns-topic 'security-alerts': not an SNS topic ARN (expected arn:aws:sns:REGION:ACCOUNT_ID:TOPIC)"
    );
    assert_eq!(fake.answered(), 0);
}
