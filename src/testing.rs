//! Helpers shared by the unit tests: a sample report, rendering it with a registered reporter,
//! and snapshot files that `S3TK_UPDATE_SNAPSHOTS=1` rewrites. Test-only (mounted under
//! `#[cfg(test)]`), so the report model does not depend on the registry to offer them.

use crate::registry;
use crate::report::{Finding, Report, ReportOptions, Resource, RunInfo, Status, Style};
use std::time::Duration;

/// A small report with one finding of each status, a bucket name with Markdown and XML
/// special characters, shared by the reporters' snapshot tests.
pub fn sample_report() -> Report {
    let meta = |id: &str| {
        registry::check(id)
            .unwrap_or_else(|| panic!("{id} is registered"))
            .meta
    };
    let finding =
        |bucket: &str, id: &str, status, message: &str, region: Option<&str>, millis| Finding {
            check: meta(id),
            resource: Resource::Bucket(bucket.into()),
            region: region.map(str::to_owned),
            status,
            severity: meta(id).severity,
            message: message.into(),
            muted_reason: None,
            elapsed: Duration::from_millis(millis),
            error: None,
            account: None,
            observed_at: None,
        };
    let muted = Finding {
        muted_reason: Some("staging data, reviewed by <security> & approved".into()),
        ..finding(
            "app-logs",
            "s3.bucket.versioning-disabled",
            Status::Muted,
            "versioning has never been enabled",
            Some("us-east-1"),
            12,
        )
    };
    Report::new(
        RunInfo {
            generated_at: "2026-11-27T10:00:00Z".into(),
            account: Some("123456789012".into()),
            hostname: "ci-runner".into(),
            tool_version: "0.1.0",
            wall_time: Duration::from_millis(57),
        },
        vec![
            Finding {
                resource: Resource::Account("123456789012".into()),
                ..finding(
                    "unused",
                    "s3.account.public-access-block-disabled",
                    Status::Fail,
                    "BlockPublicPolicy, RestrictPublicBuckets off at the account level",
                    Some("us-east-1"),
                    5,
                )
            },
            finding(
                "app-data",
                "s3.bucket.versioning-disabled",
                Status::Pass,
                "versioning is enabled",
                Some("eu-west-1"),
                15,
            ),
            finding(
                "app-data",
                "s3.bucket.public-acl-read",
                Status::Fail,
                "ACL grants READ to AllUsers (anyone on the internet)",
                Some("eu-west-1"),
                21,
            ),
            finding(
                "app-logs",
                "s3.bucket.public-acl-read",
                Status::Error,
                "could not evaluate: access denied to GetBucketAcl: the caller needs s3:GetBucketAcl",
                Some("us-east-1"),
                9,
            ),
            muted,
            finding(
                "site|www_<b>",
                "s3.bucket.public-policy-read",
                Status::Fail,
                "policy is public: statement \"Open*\" (#1) allows Principal \"*\" (everyone) with no condition",
                Some("us-east-1"),
                30,
            ),
            finding(
                "site|www_<b>",
                "s3.bucket.logging-disabled",
                Status::Skip,
                "not applicable | <n/a>",
                None,
                1,
            ),
        ],
    )
}

/// What the named reporter writes for `report` with default options but `style` (reporter
/// tests; [`crate::synthetic::render`] takes every option).
pub fn render(format: &str, report: &Report, style: Style) -> String {
    let options = ReportOptions {
        style,
        ..ReportOptions::default()
    };
    crate::synthetic::render(format, report, &options).0
}

/// Compares a reporter's output with `reporters/snapshots/NAME`; with
/// `S3TK_UPDATE_SNAPSHOTS=1` it rewrites the file instead (then review the diff).
pub fn assert_snapshot(name: &str, actual: &str) {
    assert_snapshot_at(&format!("reporters/snapshots/{name}"), actual);
}

/// [`assert_snapshot`] for a file anywhere in the repository (`path` from its root).
pub fn assert_snapshot_at(path: &str, actual: &str) {
    let name = path;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var("S3TK_UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with S3TK_UPDATE_SNAPSHOTS=1 to create it)",
            path.display()
        )
    });
    assert!(
        actual == expected,
        "{name} differs from its snapshot (`S3TK_UPDATE_SNAPSHOTS=1 cargo test --lib` updates it):\n{actual}"
    );
}
