//! Organization-wide scans: `scan --role-name` with `--accounts` or `--organization`, through
//! the fake's STS AssumeRole and Organizations ListAccounts; each account sees its own buckets.

use crate::fake_s3::{FakeBucket, FakeS3};
use crate::support::{TempDir, s3tk};

const PROD: &str = "111111111111";
const DEV: &str = "222222222222";
const LOCKED: &str = "333333333333";

fn accounts(fake: &FakeS3) {
    fake.bucket(
        "prod-data",
        FakeBucket::hardened("prod-data", "us-east-1").in_account(PROD),
    )
    .bucket(
        "dev-scratch",
        FakeBucket::hardened("dev-scratch", "us-east-1")
            .in_account(DEV)
            .versioning("Suspended"),
    )
    .bucket(
        "caller-only",
        FakeBucket::hardened("caller-only", "us-east-1"),
    )
    .deny_role_in(LOCKED);
}

#[tokio::test]
async fn listed_accounts_are_scanned_through_their_role_and_a_refusal_is_one_error() {
    let fake = FakeS3::start().await;
    accounts(&fake);
    let dir = TempDir::new("org");
    let markdown = dir.path("org.md");
    let junit = dir.path("org.xml");
    let run = s3tk(
        &fake.uri(),
        &[
            "scan",
            "--role-name",
            "S3tkAudit",
            "--accounts",
            &format!("{PROD},{DEV},{LOCKED}"),
            "--format",
            "json",
            "--format",
            &format!("markdown={markdown}"),
            "--format",
            &format!("junit={junit}"),
        ],
    )
    .await;
    run.assert_code_because(1, "dev's suspended versioning fails");
    let report = run.json();
    let findings = report["findings"].as_array().unwrap();
    let of = |account: &str| -> Vec<&serde_json::Value> {
        findings
            .iter()
            .filter(|f| f["account"] == account)
            .collect()
    };
    // Each account sees its own buckets only; the caller's bucket is nobody's business here.
    let buckets = |account: &str| {
        let mut names: Vec<&str> = of(account)
            .iter()
            .filter_map(|f| f["bucket"].as_str())
            .collect();
        names.dedup();
        names
    };
    assert_eq!(buckets(PROD), ["prod-data"]);
    assert_eq!(buckets(DEV), ["dev-scratch"]);
    assert!(!findings.iter().any(|f| f["bucket"] == "caller-only"));
    assert!(
        of(DEV)
            .iter()
            .any(|f| f["check"] == "s3.bucket.versioning-disabled" && f["status"] == "fail")
    );
    // The account checks ran in each account, as that account.
    assert!(
        of(PROD)
            .iter()
            .any(|f| f["resource"] == format!("arn:aws:iam::{PROD}:root"))
    );
    // The locked account is one error finding that names the missing permission.
    let locked = of(LOCKED);
    assert_eq!(locked.len(), 1, "{locked:#?}");
    assert_eq!(locked[0]["check"], "s3.account.scan-access");
    assert_eq!(locked[0]["status"], "error");
    assert!(
        locked[0]["message"]
            .as_str()
            .unwrap()
            .contains("access denied to AssumeRole: the caller needs sts:AssumeRole"),
        "{}",
        locked[0]
    );
    // The Markdown report has a line per account, and names each finding's account.
    let md = std::fs::read_to_string(&markdown).unwrap();
    let by_account = &md[md.find("### By account").expect("a by-account table")..];
    for account in [PROD, DEV, LOCKED] {
        assert!(by_account.contains(&format!("\n| {account} | ")), "{md}");
    }
    assert!(
        md.contains("| Accounts | 3 (scanned from 123456789012) |"),
        "{md}"
    );
    assert!(md.contains("## Failing findings"), "{md}");
    assert!(
        md.contains("| Account | Resource | Region | Finding |"),
        "{md}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("[HIGH][s3.account.scan-access] account 333333333333 (account 333333333333)"),
        "JUnit names each case's account: {xml}"
    );
    // Requests: one AssumeRole per account.
    let ops = fake.operations().await;
    assert_eq!(ops.iter().filter(|o| *o == "AssumeRole").count(), 3);
}

#[tokio::test]
async fn the_organization_lists_its_active_accounts() {
    let fake = FakeS3::start().await;
    accounts(&fake);
    fake.organization(&[
        (PROD, "ACTIVE"),
        ("444444444444", "SUSPENDED"),
        (DEV, "ACTIVE"),
    ]);
    let run = s3tk(
        &fake.uri(),
        &[
            "scan",
            "--role-name",
            "S3tkAudit",
            "--organization",
            "--format",
            "table",
        ],
    )
    .await;
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("scanning 2 account(s) as role S3tkAudit"),
        "{}",
        run.stderr
    );
    let header = run.stdout.lines().find(|l| l.contains("Bucket")).unwrap();
    assert!(
        header.contains("Account"),
        "the table names each finding's account: {header}"
    );
    assert!(run.stdout.contains(PROD) && run.stdout.contains(DEV));
    assert!(!run.stdout.contains("444444444444"));
    let ops = fake.operations().await;
    assert_eq!(
        ops.iter().filter(|o| *o == "ListAccounts").count(),
        3,
        "paginated: {ops:?}"
    );
}

#[tokio::test]
async fn org_options_are_checked_before_any_request() {
    let fake = FakeS3::start().await;
    for (args, expected) in [
        (
            vec!["scan", "--accounts", PROD],
            "--accounts and --organization need --role-name",
        ),
        (
            vec!["scan", "--role-name", "A"],
            "--role-name needs --accounts",
        ),
        (
            vec!["scan", "--role-name", "A", "--accounts", "12"],
            "an AWS account id is 12 digits",
        ),
        (
            vec![
                "scan",
                "--role-name",
                "A",
                "--accounts",
                PROD,
                "--organization",
            ],
            "not both",
        ),
        (
            vec!["scan", "--role-name", "A", "--organization", "--fix"],
            "--fix works on one account",
        ),
    ] {
        let run = s3tk(&fake.uri(), &args).await;
        run.assert_code_because(2, format_args!("{args:?}"));
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    }
    assert_eq!(fake.answered(), 0);
    let run = s3tk(&fake.uri(), &["scan", "--role-name", "A", "--organization"]).await;
    run.assert_code_because(3, "not in an organization");
    assert!(
        run.stderr
            .contains("could not list the organization's accounts"),
        "{}",
        run.stderr
    );
}
