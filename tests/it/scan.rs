//! `s3tk scan` end to end against the fake: pass, fail and error for every check.

use crate::fake_s3::{FakeBucket, FakeS3};
use crate::support::{finding, s3tk, s3tk_env};

const ACL: &str = "s3.bucket.public-acl";
const POLICY: &str = "s3.bucket.public-policy";
const LOGGING: &str = "s3.bucket.logging-disabled";
const VERSIONING: &str = "s3.bucket.versioning-disabled";

fn clean(region: &str) -> FakeBucket {
    FakeBucket::new(region)
        .logging("central-logs", "app/")
        .versioning("Enabled")
}

#[tokio::test]
async fn clean_bucket_passes_every_check() {
    let fake = FakeS3::start().await;
    fake.bucket("app", clean("us-east-1"));
    let run = s3tk(&fake.uri(), &["scan", "--format", "json"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(
        finding(&report, "app", ACL),
        (
            "pass".into(),
            "ACL grants nothing to AllUsers or AuthenticatedUsers".into()
        )
    );
    assert_eq!(
        finding(&report, "app", POLICY),
        ("pass".into(), "bucket has no policy".into())
    );
    assert_eq!(
        finding(&report, "app", LOGGING),
        ("pass".into(), "logs to s3://central-logs/app/".into())
    );
    assert_eq!(
        finding(&report, "app", VERSIONING),
        ("pass".into(), "versioning is enabled".into())
    );
    assert_eq!(
        report["summary"],
        serde_json::json!({"pass": 4, "fail": 0, "error": 0, "skip": 0, "muted": 0})
    );
    assert_eq!(report["findings"][0]["region"], "us-east-1");
}

#[tokio::test]
async fn public_acl_names_grantee_and_permission() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "open",
        clean("us-east-1")
            .public_read()
            .grant_authenticated("WRITE")
            .log_delivery(),
    );
    let run = s3tk(&fake.uri(), &["scan", "--format", "json", "--checks", ACL]).await;
    assert_eq!(run.code, 1);
    assert_eq!(
        finding(&run.json(), "open", ACL),
        ("fail".into(), "ACL grants READ to AllUsers (anyone on the internet) and WRITE to AuthenticatedUsers (any AWS account)".into())
    );
}

#[tokio::test]
async fn public_policy_forms() {
    let fake = FakeS3::start().await;
    let list_with_star = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Mixed","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","*"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::a/*"}]}"#;
    let ip_restricted = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}"#;
    let single_object = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::c/*"}}"#;
    let not_principal = r#"{"Version":"2012-10-17","Statement":[{"Sid":"AllBut","Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::d/*"}]}"#;
    let tls_deny = r#"{"Version":"2012-10-17","Statement":[{"Sid":"AllowSSLRequestsOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::e","arn:aws:s3:::e/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
    fake.bucket(
        "a-list-with-star",
        clean("us-east-1").policy(list_with_star, Some(true)),
    )
    .bucket(
        "b-ip-restricted",
        clean("us-east-1").policy(ip_restricted, Some(false)),
    )
    .bucket(
        "c-single-object",
        clean("us-east-1").policy(single_object, Some(true)),
    )
    .bucket(
        "d-not-principal",
        clean("us-east-1").policy(not_principal, None),
    )
    .bucket(
        "e-tls-deny",
        clean("us-east-1").policy(tls_deny, Some(false)),
    )
    .bucket(
        "f-aws-disagrees",
        clean("us-east-1").policy(single_object, Some(false)),
    );
    let run = s3tk(
        &fake.uri(),
        &["scan", "--format", "json", "--checks", POLICY],
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let (status, message) = finding(&report, "a-list-with-star", POLICY);
    assert_eq!(status, "fail");
    assert_eq!(
        message,
        "policy is public: statement \"Mixed\" (#1) allows Principal {\"AWS\": \"*\"} (everyone) with no condition"
    );
    assert_eq!(finding(&report, "b-ip-restricted", POLICY).0, "pass");
    assert_eq!(finding(&report, "c-single-object", POLICY).0, "fail");
    let (status, message) = finding(&report, "d-not-principal", POLICY);
    assert_eq!(status, "fail");
    assert!(
        message.contains("\"AllBut\" (#1) allows everyone except the NotPrincipal list"),
        "{message}"
    );
    assert!(
        message.contains(
            "not confirmed by AWS: GetBucketPolicyStatus failed: NotImplemented (HTTP 501)"
        ),
        "{message}"
    );
    assert_eq!(finding(&report, "e-tls-deny", POLICY).0, "pass");
    let (status, message) = finding(&report, "f-aws-disagrees", POLICY);
    assert_eq!(status, "pass");
    assert!(
        message.starts_with(
            "GetBucketPolicyStatus reports the policy not public, although locally statement #1"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn logging_and_versioning_failures() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "no-logs",
        FakeBucket::new("us-east-1").versioning("Suspended"),
    )
    .bucket(
        "wrong-target",
        FakeBucket::new("us-east-1").logging("elsewhere", "x/"),
    )
    .bucket(
        "right-target",
        FakeBucket::new("us-east-1")
            .logging("central-logs", "right-target/")
            .versioning("Enabled"),
    );
    let run = s3tk(
        &fake.uri(),
        &[
            "scan",
            "--format",
            "json",
            "--checks",
            "s3.bucket.logging-disabled,s3.bucket.versioning-disabled",
            "--log-bucket",
            "central-logs",
            "--log-prefix",
            "{bucket}/",
        ],
    )
    .await;
    assert_eq!(run.code, 1);
    let report = run.json();
    assert_eq!(
        finding(&report, "no-logs", LOGGING),
        ("fail".into(), "server access logging is disabled".into())
    );
    assert_eq!(
        finding(&report, "no-logs", VERSIONING),
        ("fail".into(), "versioning is suspended".into())
    );
    assert_eq!(
        finding(&report, "wrong-target", LOGGING),
        (
            "fail".into(),
            "logs to s3://elsewhere/x/, not to s3://central-logs/".into()
        )
    );
    assert_eq!(
        finding(&report, "wrong-target", VERSIONING),
        ("fail".into(), "versioning has never been enabled".into())
    );
    assert_eq!(finding(&report, "right-target", LOGGING).0, "pass");
    assert_eq!(finding(&report, "right-target", VERSIONING).0, "pass");
}

#[tokio::test]
async fn access_denied_on_one_facet_is_an_error_and_the_scan_goes_on() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "locked",
        clean("us-east-1").fault("acl", 403, "AccessDenied"),
    )
    .bucket("other", clean("us-east-1"));
    let run = s3tk(&fake.uri(), &["scan", "--format", "json"]).await;
    assert_eq!(
        run.code, 3,
        "errors without failures exit 3: {}",
        run.stdout
    );
    let report = run.json();
    assert_eq!(
        finding(&report, "locked", ACL),
        (
            "error".into(),
            "could not evaluate: access denied to GetBucketAcl: the caller needs s3:GetBucketAcl"
                .into()
        )
    );
    for check in [POLICY, LOGGING, VERSIONING] {
        assert_eq!(finding(&report, "locked", check).0, "pass", "{check}");
        assert_eq!(finding(&report, "other", check).0, "pass", "{check}");
    }
    assert_eq!(finding(&report, "other", ACL).0, "pass");
}

#[tokio::test]
async fn other_fetch_failures_are_classified() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "throttled",
        clean("us-east-1").fault("versioning", 503, "SlowDown"),
    )
    .bucket(
        "odd",
        clean("us-east-1").fault("logging", 500, "InternalError"),
    );
    let run = s3tk(&fake.uri(), &["scan", "--format", "json"]).await;
    assert_eq!(run.code, 3);
    let report = run.json();
    assert_eq!(
        finding(&report, "throttled", VERSIONING).1,
        "could not evaluate: GetBucketVersioning was throttled by S3 (SlowDown) after retries"
    );
    assert_eq!(
        finding(&report, "odd", LOGGING).1,
        "could not evaluate: GetBucketLogging failed: InternalError (HTTP 500): injected fault"
    );
}

#[tokio::test]
async fn throttling_is_retried_with_backoff() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "busy",
        clean("us-east-1").fault_times("acl", 503, "SlowDown", 1),
    );
    let run = s3tk_env(
        &[
            "--endpoint-url",
            &fake.uri(),
            "scan",
            "--format",
            "json",
            "--checks",
            ACL,
        ],
        &[("AWS_MAX_ATTEMPTS", "3")],
    )
    .await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        fake.count("busy", "acl").await,
        2,
        "one throttled answer, one retry"
    );
}

#[tokio::test]
async fn named_bucket_that_does_not_exist_is_an_error() {
    let fake = FakeS3::start().await;
    fake.bucket("real", clean("us-east-1"));
    let run = s3tk(
        &fake.uri(),
        &["scan", "--format", "json", "real", "ghost-bucket"],
    )
    .await;
    assert_eq!(run.code, 3);
    let report = run.json();
    for check in [ACL, POLICY, LOGGING, VERSIONING] {
        assert_eq!(
            finding(&report, "ghost-bucket", check),
            (
                "error".into(),
                "could not evaluate: bucket does not exist (NoSuchBucket)".into()
            )
        );
        assert_eq!(finding(&report, "real", check).0, "pass");
    }
    assert_eq!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["bucket"] == "ghost-bucket")
            .unwrap()["region"],
        serde_json::Value::Null
    );
}

#[tokio::test]
async fn buckets_in_other_regions_use_their_regional_client() {
    let fake = FakeS3::start().await;
    // Without BucketRegion in ListBuckets (as on moto), the region comes from HeadBucket.
    fake.list_regions(false)
        .bucket("frankfurt", clean("eu-central-1").public_read())
        .bucket("virginia", clean("us-east-1"));
    let run = s3tk(&fake.uri(), &["scan", "--format", "json"]).await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report = run.json();
    assert_eq!(finding(&report, "frankfurt", ACL).0, "fail");
    assert_eq!(finding(&report, "frankfurt", VERSIONING).0, "pass");
    let region = |b: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["bucket"] == b)
            .unwrap()["region"]
            .clone()
    };
    assert_eq!(region("frankfurt"), "eu-central-1");
    assert_eq!(region("virginia"), "us-east-1");
    assert_eq!(
        fake.count("frankfurt", "").await,
        1,
        "one HeadBucket to find the region"
    );
    let redirected = fake
        .requests()
        .await
        .iter()
        .filter(|r| r.starts_with("GET /frankfurt"))
        .count();
    assert_eq!(
        redirected,
        4,
        "each facet once, straight to the right region: {:?}",
        fake.requests().await
    );
}

#[tokio::test]
async fn output_is_sorted_by_bucket_then_check() {
    let fake = FakeS3::start().await;
    for name in ["zeta", "alpha", "mid"] {
        fake.bucket(name, clean("us-east-1"));
    }
    let run = s3tk(
        &fake.uri(),
        &["scan", "--format", "json", "--concurrency", "8"],
    )
    .await;
    let pairs = crate::support::pairs(&run.json());
    let mut sorted = pairs.clone();
    sorted.sort();
    assert_eq!(pairs, sorted);
    assert_eq!(pairs.len(), 12);
}

#[tokio::test]
async fn malformed_answers_and_denied_policies_are_errors() {
    let fake = FakeS3::start().await;
    // moto 5.2's reply: the SDK cannot parse a <GetBucketVersioningResponse> root.
    fake.bucket(
        "odd-reply",
        clean("us-east-1").raw(
            "versioning",
            "<GetBucketVersioningResponse><Status>Enabled</Status></GetBucketVersioningResponse>",
        ),
    )
    .bucket(
        "policy-denied",
        clean("us-east-1").fault("policy", 403, "AccessDenied"),
    );
    let run = s3tk(&fake.uri(), &["scan", "--format", "json"]).await;
    assert_eq!(run.code, 3);
    let report = run.json();
    let (status, message) = finding(&report, "odd-reply", VERSIONING);
    assert_eq!(status, "error");
    assert!(
        message.starts_with("could not evaluate: GetBucketVersioning returned malformed data: "),
        "{message}"
    );
    assert_eq!(
        finding(&report, "policy-denied", POLICY),
        ("error".into(), "could not evaluate: access denied to GetBucketPolicy: the caller needs s3:GetBucketPolicy".into())
    );
}

#[tokio::test]
async fn unreachable_endpoint_is_an_error_per_bucket() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let run = s3tk(&endpoint, &["scan", "--format", "json", "some-bucket"]).await;
    assert_eq!(run.code, 3);
    let (status, message) = finding(&run.json(), "some-bucket", ACL);
    assert_eq!(status, "error");
    assert!(
        message.starts_with("could not evaluate: HeadBucket failed to reach S3: dispatch failure"),
        "{message}"
    );
    assert!(
        message.contains("Connection refused") && !message.contains('\n'),
        "{message}"
    );
}

#[tokio::test]
async fn region_edge_cases() {
    let fake = FakeS3::start().await;
    fake.list_regions(false)
        // HeadBucket refused without naming a region: try the default region, which is right here.
        .bucket(
            "no-list-permission",
            clean("us-east-1").head_denied_without_region(),
        );
    let run = s3tk(&fake.uri(), &["scan", "--format", "json"]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);

    let fake = FakeS3::start().await;
    // ListBuckets reporting a stale region: S3's 301 names the right one in the error.
    fake.bucket("moved", clean("eu-west-1").listed_in("us-east-1"));
    let run = s3tk(&fake.uri(), &["scan", "--format", "json"]).await;
    assert_eq!(run.code, 3);
    assert_eq!(
        finding(&run.json(), "moved", ACL).1,
        "could not evaluate: GetBucketAcl was sent to the wrong region; the bucket is in eu-west-1"
    );
}
