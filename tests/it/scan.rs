//! `s3tk scan` end to end against the fake: the public, logging and versioning checks (the
//! original s3tk's), error classification, regions and ordering. `catalog.rs` covers the rest.

use crate::fake_s3::{FakeBucket, FakeS3};
use crate::support::{finding, s3tk, s3tk_env};

const ACL_READ: &str = "s3.bucket.public-acl-read";
const ACL_WRITE: &str = "s3.bucket.public-acl-write";
const POLICY_READ: &str = "s3.bucket.public-policy-read";
const LOGGING: &str = "s3.bucket.logging-disabled";
const VERSIONING: &str = "s3.bucket.versioning-disabled";

fn hardened(name: &str) -> FakeBucket {
    FakeBucket::hardened(name, "us-east-1")
}

#[tokio::test]
async fn a_hardened_bucket_passes_every_check() {
    let fake = FakeS3::start().await;
    fake.bucket("app", hardened("app"));
    let run = s3tk(&fake.uri(), &["scan", "--format", "json"]).await;
    run.expect_success();
    let report = run.json();
    let findings = report["findings"].as_array().unwrap();
    let checks = crate::support::default_checks().len();
    assert_eq!(
        findings.len(),
        checks,
        "every check once: the account's and the bucket's"
    );
    let not_passing: Vec<_> = findings
        .iter()
        .filter(|f| f["status"] != "pass" && f["status"] != "skip")
        .collect();
    assert!(not_passing.is_empty(), "{not_passing:#?}");
    assert_eq!(
        finding(&report, "app", ACL_READ).1,
        "ACL grants no read access to AllUsers or AuthenticatedUsers (with account-level IgnorePublicAcls on, S3 hides any stored public grants)"
    );
    assert_eq!(
        finding(&report, "app", LOGGING).1,
        "logs to s3://central-logs/app/"
    );
    assert_eq!(
        finding(&report, "app", VERSIONING).1,
        "versioning is enabled"
    );
    assert_eq!(report["findings"][1]["region"], "us-east-1");
}

#[tokio::test]
async fn public_acl_names_grantee_and_permission() {
    let fake = FakeS3::start().await;
    fake.account_block(None);
    fake.bucket(
        "open",
        FakeBucket::new("us-east-1")
            .public_read()
            .grant_authenticated("WRITE")
            .log_delivery(),
    );
    // The old id selects both halves.
    let run = s3tk(
        &fake.uri(),
        &[
            "scan",
            "--format",
            "json",
            "--checks",
            "s3.bucket.public-acl",
        ],
    )
    .await;
    run.assert_code(1);
    let report = run.json();
    assert_eq!(
        finding(&report, "open", ACL_READ),
        (
            "fail".into(),
            "ACL grants READ to AllUsers (anyone on the internet)".into()
        )
    );
    assert_eq!(
        finding(&report, "open", ACL_WRITE),
        (
            "fail".into(),
            "ACL grants WRITE to AuthenticatedUsers (any AWS account)".into()
        )
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
    // Public buckets here have no Block Public Access, so the findings keep their severity.
    let open = || FakeBucket::new("us-east-1");
    fake.account_block(None);
    fake.bucket(
        "a-list-with-star",
        open().policy(list_with_star, Some(true)),
    )
    .bucket("b-ip-restricted", open().policy(ip_restricted, Some(false)))
    .bucket("c-single-object", open().policy(single_object, Some(true)))
    .bucket("d-not-principal", open().policy(not_principal, None))
    .bucket("e-tls-deny", open().policy(tls_deny, Some(false)))
    .bucket("f-aws-disagrees", open().policy(single_object, Some(false)))
    .bucket(
        "g-blocked",
        open()
            .policy(single_object, Some(true))
            .block(s3tk::model::PublicAccessBlock::ALL_ON),
    );
    let run = s3tk(
        &fake.uri(),
        &["scan", "--format", "json", "--checks", POLICY_READ],
    )
    .await;
    run.assert_code(1);
    let report = run.json();
    assert_eq!(
        finding(&report, "a-list-with-star", POLICY_READ),
        (
            "fail".into(),
            "policy allows public read access: statement \"Mixed\" (#1) allows Principal {\"AWS\": \"*\"} (everyone) with no condition".into()
        )
    );
    assert_eq!(finding(&report, "b-ip-restricted", POLICY_READ).0, "pass");
    assert_eq!(finding(&report, "c-single-object", POLICY_READ).0, "fail");
    let (status, message) = finding(&report, "d-not-principal", POLICY_READ);
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
    assert_eq!(finding(&report, "e-tls-deny", POLICY_READ).0, "pass");
    let (status, message) = finding(&report, "f-aws-disagrees", POLICY_READ);
    assert_eq!(status, "pass");
    assert!(
        message.starts_with(
            "GetBucketPolicyStatus reports the policy not public, although locally statement #1"
        ),
        "{message}"
    );
    let blocked = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["bucket"] == "g-blocked")
        .unwrap()
        .clone();
    assert_eq!(
        (blocked["status"].as_str(), blocked["severity"].as_str()),
        (Some("fail"), Some("low"))
    );
    assert!(
        blocked["message"]
            .as_str()
            .unwrap()
            .ends_with("currently blocked by bucket-level RestrictPublicBuckets")
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
        "gone-target",
        FakeBucket::new("us-east-1").logging("central-logs-old", "gone-target/"),
    )
    .bucket("right-target", hardened("right-target"));
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
            "--log-bucket",
            "central-logs-old",
            "--log-prefix",
            "{bucket}/",
        ],
    )
    .await;
    run.assert_code(1);
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
            "logs to s3://elsewhere/x/, not to s3://central-logs/ or s3://central-logs-old/".into()
        )
    );
    assert_eq!(
        finding(&report, "wrong-target", VERSIONING),
        ("fail".into(), "versioning has never been enabled".into())
    );
    assert_eq!(
        finding(&report, "gone-target", LOGGING),
        (
            "fail".into(),
            "logs to s3://central-logs-old/gone-target/, but that bucket does not exist".into()
        )
    );
    assert_eq!(finding(&report, "right-target", LOGGING).0, "pass");
    assert_eq!(finding(&report, "right-target", VERSIONING).0, "pass");
}

#[tokio::test]
async fn access_denied_on_one_facet_is_an_error_and_the_scan_goes_on() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "locked",
        hardened("locked").fault("acl", 403, "AccessDenied"),
    )
    .bucket("other", hardened("other"));
    let run = s3tk(&fake.uri(), &["scan", "--format", "json"]).await;
    run.assert_code_because(3, "errors without failures exit 3");
    let report = run.json();
    for check in [ACL_READ, ACL_WRITE] {
        assert_eq!(
            finding(&report, "locked", check),
            ("error".into(), "could not evaluate: access denied to GetBucketAcl: the caller needs s3:GetBucketAcl".into())
        );
        assert_eq!(finding(&report, "other", check).0, "pass");
    }
    let errors = report["summary"]["error"].as_u64().unwrap();
    assert_eq!(errors, 2, "only the checks that read the ACL");
    assert_eq!(
        fake.count("locked", "acl").await,
        1,
        "two checks, one denied request"
    );
}

#[tokio::test]
async fn other_fetch_failures_are_classified() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "throttled",
        hardened("throttled").fault("versioning", 503, "SlowDown"),
    )
    .bucket(
        "odd",
        hardened("odd").fault("logging", 500, "InternalError"),
    );
    let run = s3tk(&fake.uri(), &["scan", "--format", "json"]).await;
    run.assert_code(3);
    let report = run.json();
    assert_eq!(
        finding(&report, "throttled", VERSIONING).1,
        "could not evaluate: GetBucketVersioning was throttled by S3 (SlowDown) after 1 attempt"
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
        hardened("busy").fault_times("acl", 503, "SlowDown", 1),
    );
    let run = s3tk_env(
        &[
            "--endpoint-url",
            &fake.uri(),
            "scan",
            "--format",
            "json",
            "--checks",
            ACL_READ,
        ],
        &[("AWS_MAX_ATTEMPTS", "3")],
    )
    .await;
    run.expect_success();
    assert_eq!(
        fake.count("busy", "acl").await,
        2,
        "one throttled answer, one retry"
    );
}

#[tokio::test]
async fn named_bucket_that_does_not_exist_is_an_error() {
    let fake = FakeS3::start().await;
    fake.bucket("real", hardened("real"));
    let run = s3tk(
        &fake.uri(),
        &["scan", "--format", "json", "real", "ghost-bucket"],
    )
    .await;
    run.assert_code(3);
    let report = run.json();
    for check in [ACL_READ, POLICY_READ, LOGGING, VERSIONING] {
        assert_eq!(
            finding(&report, "ghost-bucket", check),
            (
                "error".into(),
                "could not evaluate: bucket does not exist (NoSuchBucket)".into()
            )
        );
        assert_eq!(finding(&report, "real", check).0, "pass");
    }
    let ghost = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["bucket"] == "ghost-bucket")
        .unwrap();
    assert_eq!(ghost["region"], serde_json::Value::Null);
    assert_eq!(
        fake.count("ghost-bucket", "").await,
        1,
        "one HeadBucket for every check"
    );
}

#[tokio::test]
async fn buckets_in_other_regions_use_their_regional_client() {
    let fake = FakeS3::start().await;
    // Without BucketRegion in ListBuckets (as on moto), the region comes from HeadBucket.
    fake.list_regions(false)
        .bucket(
            "frankfurt",
            FakeBucket::hardened("frankfurt", "eu-central-1")
                .public_read()
                .versioning("Suspended"),
        )
        .bucket("virginia", hardened("virginia"));
    let run = s3tk(&fake.uri(), &["scan", "--format", "json"]).await;
    run.assert_code(1);
    let report = run.json();
    // The stored public grant is hidden by the account's IgnorePublicAcls, as S3 does.
    let (status, message) = finding(&report, "frankfurt", ACL_READ);
    assert_eq!(status, "pass");
    assert!(
        message.ends_with(
            "(with account-level IgnorePublicAcls on, S3 hides any stored public grants)"
        ),
        "{message}"
    );
    assert_eq!(
        finding(&report, "frankfurt", VERSIONING),
        ("fail".into(), "versioning is suspended".into())
    );
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
    let regions = fake.signed_regions().await;
    let requests = fake.requests().await;
    for (request, region) in requests.iter().zip(&regions) {
        if request.starts_with("GET /frankfurt") {
            assert_eq!(
                region, "eu-central-1",
                "{request} went straight to the bucket's region"
            );
        }
    }
}

#[tokio::test]
async fn output_is_sorted_by_bucket_then_check() {
    let fake = FakeS3::start().await;
    for name in ["zeta", "alpha", "mid"] {
        fake.bucket(name, hardened(name));
    }
    let run = s3tk(
        &fake.uri(),
        &["scan", "--format", "json", "--concurrency", "8"],
    )
    .await;
    let pairs = crate::support::pairs(&run.json());
    let mut account_checks: Vec<(String, String)> = crate::support::default_checks()
        .iter()
        .filter(|c| c.meta.scope == s3tk::check::Scope::Account)
        .map(|c| ("(account)".to_owned(), c.meta.id.to_owned()))
        .collect();
    account_checks.sort();
    assert_eq!(
        pairs[..account_checks.len()],
        account_checks[..],
        "the account first"
    );
    let buckets = &pairs[account_checks.len()..];
    let mut sorted = buckets.to_vec();
    sorted.sort();
    assert_eq!(buckets, sorted);
    assert_eq!(
        buckets.len(),
        3 * (crate::support::default_checks().len() - account_checks.len())
    );
}

#[tokio::test]
async fn malformed_answers_and_denied_policies_are_errors() {
    let fake = FakeS3::start().await;
    // moto 5.2's reply: the SDK cannot parse a <GetBucketVersioningResponse> root.
    fake.bucket(
        "odd-reply",
        hardened("odd-reply").raw(
            "versioning",
            "<GetBucketVersioningResponse><Status>Enabled</Status></GetBucketVersioningResponse>",
        ),
    )
    .bucket(
        "policy-denied",
        hardened("policy-denied").fault("policy", 403, "AccessDenied"),
    );
    let run = s3tk(&fake.uri(), &["scan", "--format", "json"]).await;
    run.assert_code(3);
    let report = run.json();
    let (status, message) = finding(&report, "odd-reply", VERSIONING);
    assert_eq!(status, "error");
    assert!(
        message.starts_with("could not evaluate: GetBucketVersioning returned malformed data: "),
        "{message}"
    );
    assert_eq!(
        finding(&report, "policy-denied", POLICY_READ),
        ("error".into(), "could not evaluate: access denied to GetBucketPolicy: the caller needs s3:GetBucketPolicy".into())
    );
}

/// An endpoint that answers APIs it does not implement with something else: every facet's
/// answer unexpected, in ways emulators and proxies really answer.
#[tokio::test]
async fn unexpected_answers_never_put_debug_dumps_in_messages() {
    const LISTING: &str = r#"<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>odd</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>"#;
    let fake = FakeS3::start().await;
    fake.account_block(None);
    let mut odd = hardened("odd");
    for (sub, body) in [
        // moto's answer to GetBucketPolicyStatus: the bucket listing.
        ("policyStatus", LISTING),
        ("ownershipControls", LISTING),
        (
            "versioning",
            "<GetBucketVersioningResponse><Status>Enabled</Status></GetBucketVersioningResponse>",
        ),
        (
            "acl",
            "<AccessControlPolicy><Owner><ID><Nested/></ID></Owner></AccessControlPolicy>",
        ),
        (
            "encryption",
            "<html><body>Service Unavailable</body></html>",
        ),
        ("logging", "not xml at all {\"a\": 1}"),
        (
            "publicAccessBlock",
            "<PublicAccessBlockConfiguration><BlockPublicAcls>maybe</BlockPublicAcls></PublicAccessBlockConfiguration>",
        ),
    ] {
        odd = odd.raw(sub, body);
    }
    fake.bucket("odd", odd);
    let run = s3tk(&fake.uri(), &["scan", "--format", "json"]).await;
    let report = run.json();
    let messages: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_owned())
        .collect();
    let errors = messages
        .iter()
        .filter(|m| m.starts_with("could not evaluate"))
        .count();
    assert!(errors >= 6, "{messages:#?}");
    for message in &messages {
        assert!(
            !["{", "StartEl", "Name {", "XmlToken", "Some(", "prefix:"]
                .iter()
                .any(|debug| message.contains(debug))
                && message.len() < 200,
            "{message}"
        );
    }
    // moto answers GetBucketPolicyStatus with the bucket listing: one short clause says so
    // (the policy checks then fall back to their own evaluation).
    assert!(
        messages.iter().any(|m| m
            == "no statement grants public read access by local evaluation (not confirmed by AWS: GetBucketPolicyStatus is not supported by this endpoint)"),
        "{messages:#?}"
    );
    assert!(
        messages.iter().any(|m| m
            == "could not evaluate: GetBucketOwnershipControls is not supported by this endpoint"),
        "{messages:#?}"
    );
    assert!(
        messages.iter().any(|m| m
            == "could not evaluate: GetBucketVersioning returned malformed data: the answer is <GetBucketVersioningResponse>, not <VersioningConfiguration>"),
        "{messages:#?}"
    );
}

#[tokio::test]
async fn an_empty_answer_is_not_configured_only_where_that_cannot_pass() {
    // moto and some S3-compatible stores answer an empty 200 where S3 sends an empty element.
    let fake = FakeS3::start().await;
    fake.bucket(
        "quiet",
        hardened("quiet")
            .raw("notification", "")
            .raw("policyStatus", "  "),
    );
    let checks = "s3.bucket.event-notifications-disabled,s3.bucket.public-policy-read";
    let run = s3tk(
        &fake.uri(),
        &["scan", "quiet", "--format", "json", "--checks", checks],
    )
    .await;
    let report = run.json();
    assert_eq!(
        finding(&report, "quiet", "s3.bucket.event-notifications-disabled"),
        (
            "fail".into(),
            "no event notifications are configured".into()
        ),
        "an empty notification configuration is none configured: the conservative verdict"
    );
    // An empty policy status could read as "not public": it stays an error of that facet,
    // so the check says its local verdict is unconfirmed.
    let (_, message) = finding(&report, "quiet", POLICY_READ);
    assert!(
        message.ends_with(
            "(not confirmed by AWS: GetBucketPolicyStatus returned malformed data: error \
             parsing XML: no root element)"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn unreachable_endpoint_is_an_error_per_bucket() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let run = s3tk(
        &endpoint,
        &[
            "scan",
            "--format",
            "json",
            "--checks",
            ACL_READ,
            "some-bucket",
        ],
    )
    .await;
    run.assert_code(3);
    let (status, message) = finding(&run.json(), "some-bucket", ACL_READ);
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
async fn a_failed_bucket_listing_is_still_a_report_in_every_format() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let dir = crate::support::TempDir::new("listing-failed");
    let junit = dir.path("s3tk.xml");
    let run = s3tk(
        &endpoint,
        &[
            "scan",
            "--format",
            "json",
            "--format",
            &format!("junit={junit}"),
        ],
    )
    .await;
    run.assert_code(3);
    let report = run.json();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report}");
    assert_eq!(findings[0]["check"], "s3.account.scan-access");
    assert_eq!(findings[0]["status"], "error");
    assert!(
        findings[0]["message"]
            .as_str()
            .unwrap()
            .contains("ListBuckets failed to reach S3"),
        "{report}"
    );
    assert!(
        run.stderr
            .starts_with("error: could not list buckets: ListBuckets failed to reach S3"),
        "{}",
        run.stderr
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<error message="), "{xml}");
}

#[tokio::test]
async fn region_edge_cases() {
    let fake = FakeS3::start().await;
    // HeadBucket refused without naming a region: try the default region, which is right here.
    fake.list_regions(false).bucket(
        "no-list-permission",
        hardened("no-list-permission").head_denied_without_region(),
    );
    let run = s3tk(&fake.uri(), &["scan", "--format", "json"]).await;
    run.expect_success();

    let fake = FakeS3::start().await;
    // ListBuckets reporting a stale region: S3's 301 names the right one in the error.
    fake.bucket(
        "moved",
        FakeBucket::hardened("moved", "eu-west-1").listed_in("us-east-1"),
    );
    let run = s3tk(
        &fake.uri(),
        &["scan", "--format", "json", "--checks", ACL_READ],
    )
    .await;
    run.assert_code(3);
    assert_eq!(
        finding(&run.json(), "moved", ACL_READ).1,
        "could not evaluate: GetBucketAcl was sent to the wrong region; the bucket is in eu-west-1"
    );
}
