//! The remediation commands on the stateful fake: a dry run writes nothing, applying changes
//! the state the checks then pass, a second run says `already`, one bucket's failure does not
//! stop the others, and the log-target rules hold.

use crate::fake_s3::{ACCOUNT_ID, FakeBucket, FakeS3};
use crate::support::{Run, s3tk};
use s3tk::model::PublicAccessBlock;

fn writes(requests: &[String]) -> Vec<&String> {
    requests
        .iter()
        .filter(|r| r.starts_with("PUT") || r.starts_with("DELETE"))
        .collect()
}

fn line<'a>(run: &'a Run, bucket: &str) -> &'a str {
    run.stdout
        .lines()
        .find(|l| l.split(' ').nth(1) == Some(&format!("{bucket}:")))
        .unwrap_or_else(|| panic!("no line for {bucket} in\n{}", run.stdout))
}

#[tokio::test]
async fn enable_versioning_plans_applies_and_is_idempotent() {
    let fake = FakeS3::start().await;
    fake.bucket("off", FakeBucket::new("us-east-1"))
        .bucket(
            "suspended",
            FakeBucket::new("eu-west-1").versioning("Suspended"),
        )
        .bucket("on", FakeBucket::new("us-east-1").versioning("Enabled"))
        .bucket(
            "locked",
            FakeBucket::new("us-east-1").fault("PUT versioning", 403, "AccessDenied"),
        );

    let dry = s3tk(&fake.uri(), &["enable-versioning", "--dry-run"]).await;
    dry.expect_success();
    assert_eq!(
        line(&dry, "off"),
        "~ off: would change: PutBucketVersioning off: Status=Enabled"
    );
    assert_eq!(line(&dry, "on"), "✔ on: already: versioning is enabled");
    assert_eq!(
        dry.stderr,
        "Enable versioning: would apply to all 4 buckets in the account\n"
    );
    assert!(
        writes(&fake.requests().await).is_empty(),
        "a dry run writes nothing"
    );

    let run = s3tk(&fake.uri(), &["enable-versioning", "--yes"]).await;
    run.assert_code_because(
        3,
        "S3 refused the locked bucket's change, and nothing is left failing otherwise",
    );
    assert_eq!(
        line(&run, "off"),
        "✔ off: changed: PutBucketVersioning off: Status=Enabled; s3.bucket.versioning-disabled: fail → pass"
    );
    assert_eq!(
        line(&run, "suspended"),
        "✔ suspended: changed: PutBucketVersioning suspended: Status=Enabled; s3.bucket.versioning-disabled: fail → pass"
    );
    assert_eq!(
        line(&run, "locked"),
        "✘ locked: error: access denied to PutBucketVersioning: the caller needs s3:PutBucketVersioning"
    );
    assert!(
        run.stdout.ends_with("1 error, 2 changed, 1 already\n") || run.stdout.contains("2 changed"),
        "{}",
        run.stdout
    );
    let versioning_puts = writes(&fake.requests().await)
        .iter()
        .filter(|r| r.contains("versioning"))
        .count();
    assert_eq!(versioning_puts, 3, "one write per unversioned bucket");

    let again = s3tk(&fake.uri(), &["enable-versioning", "off", "suspended"]).await;
    again.expect_success();
    assert_eq!(line(&again, "off"), "✔ off: already: versioning is enabled");
    assert_eq!(
        line(&again, "suspended"),
        "✔ suspended: already: versioning is enabled"
    );
    let scan = s3tk(
        &fake.uri(),
        &[
            "scan",
            "--format",
            "json",
            "--checks",
            "s3.bucket.versioning-disabled",
            "off",
            "suspended",
        ],
    )
    .await;
    scan.expect_success();
}

#[tokio::test]
async fn block_public_access_for_buckets_and_the_account() {
    let fake = FakeS3::start().await;
    fake.account_block(None);
    let partial = PublicAccessBlock {
        block_public_acls: true,
        ..Default::default()
    };
    fake.bucket("web", FakeBucket::new("us-east-1").block(partial))
        .bucket(
            "done",
            FakeBucket::new("us-east-1").block(PublicAccessBlock::ALL_ON),
        );

    let none = s3tk(&fake.uri(), &["block-public-access"]).await;
    assert_eq!(
        (none.code, none.stderr.as_str()),
        (
            2,
            "error: block-public-access needs at least one bucket or pattern (or --account)\n"
        )
    );

    let run = s3tk(&fake.uri(), &["block-public-access", "*", "--yes"]).await;
    run.expect_success();
    assert_eq!(
        line(&run, "web"),
        "✔ web: changed: PutPublicAccessBlock web: BlockPublicAcls=on, IgnorePublicAcls=on, BlockPublicPolicy=on, RestrictPublicBuckets=on; s3.bucket.public-access-block-disabled: fail → pass"
    );
    assert_eq!(
        line(&run, "done"),
        "✔ done: already: all four settings are on"
    );

    let dry = s3tk(
        &fake.uri(),
        &["block-public-access", "--account", "--dry-run"],
    )
    .await;
    assert_eq!(
        dry.stderr,
        format!("Turn on Block Public Access for the account: account {ACCOUNT_ID}\n")
    );
    assert!(dry.stdout.starts_with(&format!("~ account {ACCOUNT_ID}: would change: PutPublicAccessBlock (account {ACCOUNT_ID}): BlockPublicAcls=on")), "{}", dry.stdout);
    let account = s3tk(&fake.uri(), &["block-public-access", "--account"]).await;
    account.expect_success();
    assert!(
        account
            .stdout
            .contains("s3.account.public-access-block-disabled: fail → pass"),
        "{}",
        account.stdout
    );
    let again = s3tk(&fake.uri(), &["block-public-access", "--account"]).await;
    assert!(
        again
            .stdout
            .contains("already: all four settings are on at the account level"),
        "{}",
        again.stdout
    );
}

#[tokio::test]
async fn enable_logging_grants_delivery_the_modern_way_and_refuses_what_cannot_work() {
    let fake = FakeS3::start().await;
    let existing = r#"{"Version":"2012-10-17","Statement":[{"Sid":"KeepMe","Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::logs"}]}"#;
    fake.bucket(
        "logs",
        FakeBucket::new("us-east-1")
            .ownership("BucketOwnerEnforced")
            .policy(existing, Some(false)),
    )
    .bucket("app", FakeBucket::new("us-east-1"))
    .bucket("api", FakeBucket::new("us-east-1"))
    .bucket(
        "already",
        FakeBucket::new("us-east-1").logging("logs", "already/"),
    )
    .bucket("ireland", FakeBucket::new("eu-west-1"));

    let dry = s3tk(
        &fake.uri(),
        &["enable-logging", "--log-bucket", "logs", "--dry-run"],
    )
    .await;
    assert!(writes(&fake.requests().await).is_empty());
    assert!(line(&dry, "app").starts_with("~ app: would change: PutBucketPolicy logs: add statement S3ServerAccessLogsPolicy (logging.s3.amazonaws.com, account 123456789012), keep 1 others; PutBucketLogging app: TargetBucket=logs, TargetPrefix=app/"), "{}", dry.stdout);

    let run = s3tk(
        &fake.uri(),
        &["enable-logging", "--log-bucket", "logs", "-y"],
    )
    .await;
    run.assert_code_because(1, "ireland is refused");
    for bucket in ["app", "api"] {
        assert!(
            line(&run, bucket).ends_with("s3.bucket.logging-disabled: fail → pass"),
            "{}",
            run.stdout
        );
    }
    assert_eq!(
        line(&run, "already"),
        "✔ already: already: already logs to s3://logs/already/"
    );
    assert!(
        line(&run, "logs").starts_with("- logs: skipped: this is the log bucket"),
        "never logs into itself"
    );
    assert_eq!(
        line(&run, "ireland"),
        "✘ ireland: refused: the log bucket logs is in us-east-1 and this bucket in eu-west-1: S3 delivers logs only within a region"
    );
    let policy_puts: Vec<_> = fake
        .requests()
        .await
        .into_iter()
        .filter(|r| r.starts_with("PUT /logs/?policy"))
        .collect();
    assert_eq!(
        policy_puts.len(),
        1,
        "the shared statement is added once for both buckets"
    );
    let policy = fake.policy_of("logs").unwrap();
    assert!(
        policy.contains("KeepMe")
            && policy.contains("S3ServerAccessLogsPolicy")
            && policy.contains(r#""aws:SourceAccount":"123456789012""#),
        "{policy}"
    );
    assert!(
        !fake
            .requests()
            .await
            .iter()
            .any(|r| r.contains("TargetGrants"))
    );

    let missing = s3tk(
        &fake.uri(),
        &["enable-logging", "--log-bucket", "no-such-logs", "ireland"],
    )
    .await;
    assert_eq!(
        line(&missing, "ireland"),
        "✘ ireland: refused: the log bucket no-such-logs does not exist"
    );
}

#[tokio::test]
async fn enable_logging_into_a_bucket_with_acls_adds_the_log_delivery_grants() {
    let fake = FakeS3::start().await;
    fake.bucket("old-logs", FakeBucket::new("us-east-1"))
        .bucket("app", FakeBucket::new("us-east-1"));
    let run = s3tk(
        &fake.uri(),
        &[
            "enable-logging",
            "--log-bucket",
            "old-logs",
            "--log-prefix",
            "s3/{bucket}/",
            "app",
        ],
    )
    .await;
    run.expect_success();
    assert!(
        line(&run, "app")
            .contains("PutBucketAcl old-logs: add WRITE and READ_ACP for the LogDelivery group"),
        "{}",
        run.stdout
    );
    assert!(
        line(&run, "app").contains("TargetPrefix=s3/app/"),
        "{}",
        run.stdout
    );
    assert!(line(&run, "app").ends_with("fail → pass"));
}

#[tokio::test]
async fn enable_default_encryption_validates_keys_and_never_downgrades() {
    let fake = FakeS3::start().await;
    fake.bucket("plain", FakeBucket::new("us-east-1")).bucket(
        "kms",
        FakeBucket::new("us-east-1").encryption(
            "aws:kms",
            Some("arn:aws:kms:us-east-1:123456789012:key/x"),
            true,
        ),
    );
    let bad = s3tk(
        &fake.uri(),
        &["enable-default-encryption", "--kms-key-id", "my-key"],
    )
    .await;
    bad.assert_code(2);
    assert!(
        bad.stderr
            .starts_with("error: invalid --kms-key-id 'my-key'"),
        "{}",
        bad.stderr
    );
    assert!(
        fake.requests().await.is_empty(),
        "validated before any request"
    );

    let run = s3tk(&fake.uri(), &["enable-default-encryption", "--yes"]).await;
    run.expect_success();
    assert_eq!(
        line(&run, "plain"),
        "✔ plain: changed: PutBucketEncryption plain: SSEAlgorithm=AES256, BucketKeyEnabled=false; s3.bucket.default-encryption-disabled: fail → pass"
    );
    assert!(
        line(&run, "kms").starts_with("✔ kms: already: default encryption is SSE-KMS with key"),
        "no downgrade"
    );

    let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let run = s3tk(
        &fake.uri(),
        &["enable-default-encryption", "--kms-key-id", key, "plain"],
    )
    .await;
    assert!(
        line(&run, "plain").contains(&format!(
            "SSEAlgorithm=aws:kms, KMSMasterKeyID={key}, BucketKeyEnabled=true"
        )),
        "{}",
        run.stdout
    );
    let scan = s3tk(
        &fake.uri(),
        &[
            "scan",
            "--format",
            "json",
            "--checks",
            "s3.bucket.kms-encryption-disabled,s3.bucket.bucket-key-disabled",
            "plain",
        ],
    )
    .await;
    scan.expect_success();
}

#[tokio::test]
async fn disable_acls_keeps_log_delivery_and_refuses_other_grants_without_force() {
    let fake = FakeS3::start().await;
    // Without an account-level block the grants are visible, as S3 shows them.
    fake.account_block(None);
    fake.bucket("log-target", FakeBucket::new("us-east-1").log_delivery())
        .bucket(
            "shared",
            FakeBucket::new("us-east-1").grant_authenticated("READ"),
        )
        .bucket("plain", FakeBucket::new("us-east-1"));
    let run = s3tk(&fake.uri(), &["disable-acls", "--yes"]).await;
    run.assert_code(1);
    assert_eq!(
        line(&run, "shared"),
        "✘ shared: refused: the ACL grants READ to the AuthenticatedUsers group; disabling ACLs removes them (grant that access in the bucket policy, or use --force)"
    );
    let target = line(&run, "log-target");
    assert!(
        target.contains("PutBucketPolicy log-target: add statement S3ServerAccessLogsPolicy"),
        "{target}"
    );
    assert!(target.contains("PutBucketAcl log-target: owner only, removing WRITE to the LogDelivery group, READ_ACP to the LogDelivery group"), "{target}");
    assert!(
        target.ends_with("s3.bucket.acls-enabled: fail → pass"),
        "{target}"
    );
    assert!(line(&run, "plain").ends_with("s3.bucket.acls-enabled: fail → pass"));

    let forced = s3tk(&fake.uri(), &["disable-acls", "--force", "shared"]).await;
    forced.expect_success();
    assert!(line(&forced, "shared").ends_with("fail → pass"));
}

#[tokio::test]
async fn disable_acls_clears_public_grants_that_ignore_public_acls_hides() {
    let fake = FakeS3::start().await;
    // The account blocks public ACLs, so GetBucketAcl does not show the stored public grant,
    // but S3 still refuses BucketOwnerEnforced while it exists.
    fake.bucket("old-site", FakeBucket::new("us-east-1").public_read());
    let run = s3tk(&fake.uri(), &["disable-acls", "old-site"]).await;
    run.expect_success();
    let line = line(&run, "old-site");
    assert!(line.contains("PutBucketAcl old-site: owner only, clearing any public grants S3 hides while account-level IgnorePublicAcls is on"), "{line}");
    assert!(
        line.ends_with("s3.bucket.acls-enabled: fail → pass"),
        "{line}"
    );
}

#[tokio::test]
async fn scan_fix_prints_commands_and_applies_only_safe_remediations() {
    let fake = FakeS3::start().await;
    fake.account_block(None);
    let mut bucket = FakeBucket::hardened("app", "us-east-1")
        .versioning("Suspended")
        .block(PublicAccessBlock::default());
    bucket.logging = None;
    fake.bucket("app", bucket);
    let checks = "s3.bucket.versioning-disabled,s3.bucket.public-access-block-disabled,s3.bucket.logging-disabled";
    let plan = s3tk(
        &fake.uri(),
        &["scan", "--format", "json", "--checks", checks, "--fix"],
    )
    .await;
    plan.assert_code(1);
    assert!(plan.stderr.contains("To fix:\n  s3tk block-public-access app\n  s3tk enable-logging app --log-bucket LOG_BUCKET\n  s3tk enable-versioning app\n"), "{}", plan.stderr);
    plan.json();
    assert!(writes(&fake.requests().await).is_empty());

    let applied = s3tk(
        &fake.uri(),
        &[
            "scan", "--format", "json", "--checks", checks, "--fix", "--apply", "--yes",
        ],
    )
    .await;
    assert!(
        applied
            .stderr
            .contains("s3.bucket.versioning-disabled: fail → pass"),
        "{}",
        applied.stderr
    );
    assert!(
        applied
            .stderr
            .contains("s3.bucket.public-access-block-disabled: fail → pass"),
        "{}",
        applied.stderr
    );
    assert!(
        !writes(&fake.requests().await)
            .iter()
            .any(|r| r.contains("logging")),
        "logging is not safe to apply unattended"
    );
    applied.assert_code_because(1, "logging still fails after the safe fixes");
    let rescan = s3tk(
        &fake.uri(),
        &[
            "scan",
            "--format",
            "json",
            "--checks",
            "s3.bucket.versioning-disabled,s3.bucket.public-access-block-disabled",
        ],
    )
    .await;
    rescan.expect_success();
}
