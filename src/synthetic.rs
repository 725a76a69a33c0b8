//! Generated reports for tests of the reporters at scale: the unit tests and the integration
//! tests that feed the reports to their real consumers (so not `#[cfg(test)]`, unlike
//! `testing`). Deterministic: the same size gives the same report, so sizes and counts can be
//! compared between runs.

use crate::check::{Scope, Severity};
use crate::report::{Finding, Report, Resource, RunInfo, Status};
use std::time::Duration;

/// The account of every generated report.
pub const ACCOUNT: &str = "123456789012";

const REGIONS: [&str; 4] = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"];

/// A report of `buckets` buckets, each evaluated by every check a plain `s3tk scan` runs, plus
/// the account-level checks: about a third fail (some at a lower severity), a few could not be
/// evaluated, are muted or do not apply. Messages are as long as real ones (the longest kinds:
/// policy statements, errors naming the IAM action). The run took 55 seconds of wall time;
/// each check took 5–200 ms per bucket.
pub fn synthetic_report(buckets: usize) -> Report {
    let checks = crate::registry::select_checks(&[], &[], &[]).expect("checks are registered");
    let mut findings = Vec::new();
    let mut state: u64 = 0x5eed_0f53;
    let mut next = move || {
        // xorshift64: deterministic, no dependency.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for entry in checks.iter().filter(|c| c.meta.scope == Scope::Account) {
        let check = entry.meta;
        findings.push(Finding {
            account: Some(ACCOUNT.into()),
            ..Finding::new(
                check,
                Resource::Account(ACCOUNT.into()),
                Some("us-east-1"),
                Ok(crate::check::Outcome::Fail(
                    "BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets off at the account level".into(),
                )),
                Duration::from_millis(40),
            )
        });
    }
    for i in 0..buckets {
        let bucket = format!("team-{:02}-app-{i:05}-data", i % 37);
        let region = REGIONS[i % REGIONS.len()];
        for entry in checks.iter().filter(|c| c.meta.scope == Scope::Bucket) {
            let check = entry.meta;
            let roll = next() % 100;
            let elapsed = Duration::from_millis(5 + next() % 196);
            let (status, severity, message) = match roll {
                0..=29 => (
                    Status::Fail,
                    check.severity,
                    format!(
                        "{}: found on {bucket} by s3tk's evaluation of its configuration (statement \"AllowTeamAccess{i}\" #2 grants s3:GetObject to Principal \"*\")",
                        check.title
                    ),
                ),
                30..=34 => (
                    Status::Fail,
                    Severity::Low.min(check.severity),
                    format!(
                        "{}: neutralised by the bucket's Block Public Access settings",
                        check.title
                    ),
                ),
                35..=37 => (
                    Status::Error,
                    check.severity,
                    format!(
                        "could not evaluate: access denied to {}: the caller needs s3:{}",
                        check
                            .iam_actions()
                            .first()
                            .copied()
                            .unwrap_or("s3:GetBucketAcl")
                            .trim_start_matches("s3:"),
                        check
                            .iam_actions()
                            .first()
                            .copied()
                            .unwrap_or("s3:GetBucketAcl")
                            .trim_start_matches("s3:")
                    ),
                ),
                38..=39 => (
                    Status::Muted,
                    check.severity,
                    format!("{}: accepted exception", check.title),
                ),
                40..=44 => (
                    Status::Skip,
                    check.severity,
                    "not applicable to this bucket".into(),
                ),
                _ => (
                    Status::Pass,
                    check.severity,
                    format!("{}: not the case", check.title),
                ),
            };
            findings.push(Finding {
                check,
                resource: Resource::Bucket(bucket.clone()),
                region: Some(region.into()),
                status,
                severity,
                message,
                muted_reason: (status == Status::Muted)
                    .then(|| "reviewed by security, ticket SEC-1234".into()),
                elapsed,
                error: None,
                account: Some(ACCOUNT.into()),
                observed_at: None,
            });
        }
    }
    Report::new(
        RunInfo {
            generated_at: "2026-11-27T10:00:00Z".into(),
            account: Some(ACCOUNT.into()),
            hostname: "ci-runner".into(),
            tool_version: env!("CARGO_PKG_VERSION"),
            wall_time: Duration::from_secs(55),
        },
        findings,
    )
}

/// What the named reporter writes for `report` with `options`, and what it left out.
pub fn render(
    format: &str,
    report: &Report,
    options: &crate::report::ReportOptions,
) -> (String, crate::report::LeftOut) {
    let mut out = Vec::new();
    let entry =
        crate::registry::reporter(format).unwrap_or_else(|| panic!("{format} is registered"));
    let left_out = entry
        .reporter
        .write(report, options, &mut out)
        .expect("writing to memory succeeds");
    (String::from_utf8(out).expect("reports are UTF-8"), left_out)
}
