//! Every registered remediation, run through its own command on the fake: `--dry-run` sends no
//! write, the real run writes, and afterwards the checks it fixes pass. Derived from the
//! registry, so a new remediation is tested here without editing this file.

use crate::fake_s3::{FakeBucket, FakeS3};
use crate::support::s3tk;
use s3tk::facet::Facet;
use s3tk::remediation::{RemediationKind, RemediationMeta};

/// A remediation's usage line, runnable on a fake with the buckets `app` and `logs`:
/// `{bucket}` is `app`, a value placeholder (`LOG_BUCKET`) is `logs`.
pub fn usage_args(meta: &RemediationMeta) -> Vec<String> {
    meta.usage
        .split_whitespace()
        .skip(1)
        .map(|word| match word {
            "{bucket}" => "app".to_owned(),
            w if w.chars().all(|c| c.is_ascii_uppercase() || c == '_') => "logs".to_owned(),
            w => w.to_owned(),
        })
        .collect()
}

/// The operations sent since the first `from` requests that write (an IAM action that does not
/// only read).
async fn writes_after(fake: &FakeS3, from: usize) -> Vec<String> {
    fake.operations()
        .await
        .into_iter()
        .skip(from)
        .filter(|op| {
            Facet::by_operation(op)
                .is_none_or(|f| !f.iam_actions().iter().all(|a| s3tk::iam::is_read_only(a)))
        })
        .collect()
}

/// The statuses of the checks `meta` fixes, on `app` (or the account).
async fn fixed_statuses(fake: &FakeS3, meta: &RemediationMeta, bucket: bool) -> Vec<String> {
    let checks = meta.fixes.join(",");
    let mut args = vec!["scan", "--format", "json", "--checks", &checks];
    if bucket {
        args.push("app");
    }
    let run = s3tk(&fake.uri(), &args).await;
    let report = run.json();
    meta.fixes
        .iter()
        .map(|check| {
            let finding = report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["check"] == *check)
                .unwrap_or_else(|| panic!("no {check} finding; stderr: {}", run.stderr));
            format!("{check}: {}", finding["status"].as_str().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn every_remediation_dry_runs_without_writing_then_fixes_what_it_fixes() {
    for entry in s3tk::registry::remediations() {
        let meta = entry.meta;
        let bucket = matches!(entry.remediation, RemediationKind::Bucket(_));
        let fake = FakeS3::start().await;
        fake.account_block(None);
        fake.bucket("app", FakeBucket::new("us-east-1"))
            .bucket("logs", FakeBucket::new("us-east-1"));
        let args = usage_args(meta);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();

        let before = fixed_statuses(&fake, meta, bucket).await;
        assert!(
            before.iter().any(|s| s.ends_with(": fail")),
            "{}: a bare bucket should fail one of the checks it fixes: {before:?}",
            meta.id
        );

        let sent = fake.operations().await.len();
        let dry = s3tk(&fake.uri(), &[&args[..], &["--dry-run"]].concat()).await;
        dry.assert_code_because(0, format!("{args:?} --dry-run"));
        let written = writes_after(&fake, sent).await;
        assert!(written.is_empty(), "{args:?} --dry-run wrote: {written:?}");
        assert!(
            dry.stdout.contains("would change"),
            "{args:?} --dry-run: {}",
            dry.stdout
        );

        let sent = fake.operations().await.len();
        let run = s3tk(&fake.uri(), &args).await;
        run.assert_code_because(0, format!("{args:?}"));
        assert!(
            !writes_after(&fake, sent).await.is_empty(),
            "{args:?} changed nothing: {}",
            run.stdout
        );

        let after = fixed_statuses(&fake, meta, bucket).await;
        assert!(
            after.iter().all(|s| s.ends_with(": pass")),
            "{args:?}: after the fix, not every check it fixes passes: {after:?}"
        );
    }
}
