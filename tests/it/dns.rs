//! `s3tk scan-dns` end to end: Route 53 zones and records on the fake, every S3 endpoint form,
//! and each classification (owned, another account's, missing, wildcard, unclaimable).

use crate::fake_s3::{FakeBucket, FakeRecord, FakeS3};
use crate::support::s3tk;
use serde_json::Value;

const CHECK: &str = "s3.dns.dangling-bucket-record";

/// (resource name, status, severity, message) of each finding.
fn findings(report: &Value) -> Vec<(String, String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["check"], CHECK);
            let text = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            (
                text("resource"),
                text("status"),
                text("severity"),
                text("message"),
            )
        })
        .collect()
}

fn find<'a>(
    all: &'a [(String, String, String, String)],
    resource: &str,
) -> &'a (String, String, String, String) {
    all.iter()
        .find(|f| f.0 == resource)
        .unwrap_or_else(|| panic!("no finding for {resource}: {all:#?}"))
}

#[tokio::test]
async fn every_endpoint_form_and_classification() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "www.example.com",
        FakeBucket::hardened("www.example.com", "us-east-1"),
    )
    .bucket(
        "eu.example.com",
        FakeBucket::hardened("eu.example.com", "eu-west-1"),
    )
    .foreign_bucket("partner.example.com", "us-west-2")
    .zone(
        "Z1",
        "example.com.",
        false,
        vec![
            // Aliases to website endpoints, dash and dot form.
            FakeRecord::alias(
                "www.example.com.",
                "A",
                "s3-website-us-east-1.amazonaws.com.",
            ),
            FakeRecord::alias(
                "eu.example.com.",
                "A",
                "s3-website.eu-west-1.amazonaws.com.",
            ),
            // CNAMEs: regional, legacy global with a trailing dot, dualstack, China.
            FakeRecord::cname(
                "gone.example.com.",
                "gone.example.com.s3.eu-central-1.amazonaws.com",
            ),
            FakeRecord::cname("old.example.com.", "old.example.com.s3.amazonaws.com."),
            FakeRecord::cname(
                "partner.example.com.",
                "partner.example.com.s3.dualstack.us-west-2.amazonaws.com",
            ),
            FakeRecord::cname(
                "cn.example.com.",
                "cn.example.com.s3.cn-north-1.amazonaws.com.cn",
            ),
            FakeRecord::cname(
                "\\052.assets.example.com.",
                "s3-website-us-east-1.amazonaws.com",
            ),
            // The target names another bucket: S3 serves the one named like the host.
            FakeRecord::cname("cdn.example.com.", "www.example.com.s3.amazonaws.com"),
            // Not S3.
            FakeRecord::cname("app.example.com.", "d111111abcdef8.cloudfront.net."),
            FakeRecord::other("mail.example.com.", "MX", "10 mx.example.com."),
            FakeRecord::other("example.com.", "TXT", "\"s3.amazonaws.com\""),
        ],
    )
    .zone(
        "Z2",
        "internal.example.",
        true,
        vec![
            FakeRecord::cname(
                "a-very-long-name-that-no-bucket-can-have-because-it-is-far-too-long.internal.example.",
                "s3.us-east-1.amazonaws.com",
            ),
            FakeRecord::cname("intranet.internal.example.", "s3.us-east-1.amazonaws.com"),
        ],
    )
    // One zone and one record per page: pagination of both listings.
    .route53_page_sizes(1, 1);
    let run = s3tk(&fake.uri(), &["scan-dns", "--format", "json"]).await;
    run.assert_code(1);
    let all = findings(&run.json());
    assert_eq!(all.len(), 10, "{all:#?}");
    let www = find(&all, "route53://Z1/www.example.com/A");
    assert_eq!(
        (www.1.as_str(), www.3.as_str()),
        (
            "pass",
            "bucket www.example.com is in this account (us-east-1)"
        )
    );
    assert_eq!(find(&all, "route53://Z1/eu.example.com/A").1, "pass");
    let gone = find(&all, "route53://Z1/gone.example.com/CNAME");
    assert_eq!(
        (gone.1.as_str(), gone.2.as_str(), gone.3.as_str()),
        (
            "fail",
            "critical",
            "bucket gone.example.com does not exist: anyone can create it in eu-central-1 and serve content on gone.example.com (subdomain takeover)"
        )
    );
    let old = find(&all, "route53://Z1/old.example.com/CNAME");
    assert_eq!((old.1.as_str(), old.2.as_str()), ("fail", "critical"));
    let partner = find(&all, "route53://Z1/partner.example.com/CNAME");
    assert_eq!((partner.1.as_str(), partner.2.as_str()), ("fail", "high"));
    assert!(
        partner
            .3
            .contains("exists (us-west-2) but not in this account"),
        "{}",
        partner.3
    );
    assert_eq!(
        find(&all, "route53://Z1/cn.example.com/CNAME").2,
        "critical"
    );
    let wildcard = find(&all, "route53://Z1/*.assets.example.com/CNAME");
    assert_eq!(wildcard.2, "critical");
    assert!(
        wildcard
            .3
            .starts_with("every subdomain of assets.example.com goes to the S3 website endpoint"),
        "{}",
        wildcard.3
    );
    let cdn = find(&all, "route53://Z1/cdn.example.com/CNAME");
    assert_eq!(cdn.2, "critical");
    assert!(cdn.3.ends_with("(the target names bucket www.example.com, but S3 serves the bucket named like the host)"), "{}", cdn.3);
    let long = all
        .iter()
        .find(|f| f.0.starts_with("route53://Z2/"))
        .unwrap();
    assert_eq!((long.1.as_str(), long.2.as_str()), ("fail", "low"));
    // Records are found across every page; each bucket is looked up at most once, and the
    // account's own buckets not at all (ListBuckets names their regions).
    assert_eq!(fake.count("gone.example.com", "").await, 1);
    assert_eq!(fake.count("www.example.com", "").await, 0);
    assert_eq!(fake.count("eu.example.com", "").await, 0);
}

#[tokio::test]
async fn reports_go_through_every_format_and_gate() {
    let fake = FakeS3::start().await;
    fake.zone(
        "Z9",
        "example.org.",
        false,
        vec![FakeRecord::cname(
            "files.example.org.",
            "files.example.org.s3.us-east-1.amazonaws.com",
        )],
    );
    let dir = crate::support::TempDir::new("dns");
    let junit = dir.path("dns.xml");
    let run = s3tk(
        &fake.uri(),
        &[
            "scan-dns",
            "--format",
            "table",
            "--format",
            &format!("junit={junit}"),
            "--fail-on",
            "never",
        ],
    )
    .await;
    run.expect_success();
    assert!(
        run.stdout.contains("files.example.org (CNAME)"),
        "{}",
        run.stdout
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("DNS record: files.example.org CNAME in hosted zone Z9"),
        "{xml}"
    );
}

#[tokio::test]
async fn no_records_and_denied_route53() {
    let fake = FakeS3::start().await;
    fake.zone(
        "Z1",
        "example.com.",
        false,
        vec![FakeRecord::other("example.com.", "A", "192.0.2.1")],
    );
    let run = s3tk(&fake.uri(), &["scan-dns", "--format", "json"]).await;
    run.expect_success();
    assert!(
        run.stderr.contains("no Route 53 record points at S3"),
        "{}",
        run.stderr
    );
    assert_eq!(run.json()["findings"], serde_json::json!([]));

    fake.route53_fault(403, "AccessDenied");
    let run = s3tk(&fake.uri(), &["scan-dns"]).await;
    run.assert_code(3);
    assert!(
        run.stderr.contains("could not read the Route 53 records: access denied to ListHostedZones: the caller needs route53:ListHostedZones"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}
