//! Every registered remediation, run through its own command on the fake, on the state of a
//! failing case of a check it fixes: `--dry-run` sends no write, the real run writes, and
//! afterwards that check passes. Derived from the registry and the checks' cases, so a new
//! remediation is tested here without editing this file.

use crate::fake_record::UNRECORDED;
use crate::fake_s3::{FakeBucket, FakeS3};
use crate::support::s3tk;
use s3tk::cases::{self, Case};
use s3tk::check::Scope;
use s3tk::facet::Facet;
use s3tk::remediation::RemediationMeta;
use s3tk::report::Status;

/// The bucket the remediation commands get as `LOG_BUCKET` and similar values.
const OTHER_BUCKET: &str = "logs";

/// A remediation's usage line for `bucket`: `{bucket}` is it, a value placeholder
/// (`LOG_BUCKET`) is [`OTHER_BUCKET`].
pub fn usage_args(meta: &RemediationMeta, bucket: &str) -> Vec<String> {
    meta.usage
        .split_whitespace()
        .skip(1)
        .map(|word| match word {
            "{bucket}" => bucket.to_owned(),
            w if w.chars().all(|c| c.is_ascii_uppercase() || c == '_') => OTHER_BUCKET.to_owned(),
            w => w.to_owned(),
        })
        .collect()
}

/// The fake serving a case's state, with S3's answers for a bare bucket (and account) where
/// the case records nothing: a remediation reads more than the check did.
async fn serve(case: &Case) -> Result<(FakeS3, String), String> {
    let record = cases::account_record(case);
    let fake = FakeS3::start().await;
    match record.facets.public_access_block.as_ref().map(|a| &a.0) {
        Some(Ok(block)) => fake.account_block(*block),
        _ => fake.account_block(None),
    };
    for bucket in &record.buckets {
        let mut served = FakeBucket::from_record(bucket)?;
        served.faults.retain(|_, fault| fault.code != UNRECORDED.1);
        fake.bucket(&bucket.name, served);
    }
    fake.bucket(OTHER_BUCKET, FakeBucket::new("us-east-1"));
    Ok((fake, cases::bucket_name(case)))
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

/// The status of `check` on `bucket` (or the account), by a scan of the fake.
async fn status_of(fake: &FakeS3, check: &str, scope: Scope, bucket: &str) -> String {
    let mut args = vec!["scan", "--format", "json", "--checks", check];
    if scope == Scope::Bucket {
        args.push(bucket);
    }
    let run = s3tk(&fake.uri(), &args).await;
    let report = run.json();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == check && (scope == Scope::Account || f["bucket"] == bucket))
        .map(|f| f["status"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("no {check} finding; stderr: {}", run.stderr))
}

#[tokio::test]
async fn every_remediation_dry_runs_without_writing_then_fixes_a_failing_case() {
    for entry in s3tk::registry::remediations() {
        let meta = entry.meta;
        // The fail cases of the checks it fixes, until one its plan would change.
        let mut tried = Vec::new();
        let mut scenario = None;
        'search: for check in meta.fixes.iter().filter_map(|id| s3tk::registry::check(id)) {
            let file = cases::load(check).unwrap_or_else(|e| panic!("{e}"));
            for case in file.cases {
                if case.expect.status != Status::Fail || case.offline_only.is_some() {
                    continue;
                }
                let Ok((fake, bucket)) = serve(&case).await else {
                    continue;
                };
                let args = usage_args(meta, &bucket);
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let sent = fake.operations().await.len();
                let dry = s3tk(&fake.uri(), &[&args[..], &["--dry-run"]].concat()).await;
                let written = writes_after(&fake, sent).await;
                assert!(
                    written.is_empty(),
                    "{args:?} --dry-run wrote {written:?} on case {:?} of {}",
                    case.name,
                    check.meta.id
                );
                tried.push(format!(
                    "{} / {:?}: {}",
                    check.meta.id,
                    case.name,
                    dry.stdout.trim()
                ));
                if dry.code == 0 && dry.stdout.contains("would change") {
                    scenario = Some((fake, bucket, check, case));
                    break 'search;
                }
            }
        }
        let Some((fake, bucket, check, case)) = scenario else {
            panic!(
                "{}: no fail case of the checks it fixes makes its command change anything:\n{}",
                meta.id,
                tried.join("\n")
            );
        };
        let fake = &fake;
        let scope = check.meta.scope;
        let args = usage_args(meta, &bucket);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();

        let sent = fake.operations().await.len();
        let run = s3tk(&fake.uri(), &args).await;
        run.assert_code_because(0, format!("{args:?} on case {:?}", case.name));
        assert!(
            !writes_after(fake, sent).await.is_empty(),
            "{args:?} changed nothing: {}",
            run.stdout
        );
        assert_eq!(
            status_of(fake, check.meta.id, scope, &bucket).await,
            "pass",
            "{args:?} on case {:?} of {}: the check does not pass afterwards",
            case.name,
            check.meta.id
        );
    }
}
