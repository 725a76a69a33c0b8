//! State files: `scan --save-state` then `scan --from-state` on the fake, the checks of a
//! state file (exit 2 before anything is written), and the demo account in `examples/`.

use crate::fake_s3::{FakeBucket, FakeS3};
use crate::support::{TempDir, s3tk, s3tk_env};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A report without what differs between two runs of the same state: the run's times (when
/// it finished, how long it took), and each finding's `observed_at` (a scan of recorded state
/// says when it was recorded).
pub fn without_times(mut report: Value) -> Value {
    let run = report["run"].as_object_mut().unwrap();
    run.remove("generated_at");
    run.remove("wall_time_seconds");
    for finding in report["findings"].as_array_mut().unwrap() {
        finding.as_object_mut().unwrap().remove("observed_at");
    }
    report
}

/// No credentials, no region, no endpoint: anything that tried AWS would fail.
const OFFLINE: &[(&str, &str)] = &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")];

#[tokio::test]
async fn a_saved_state_gives_the_same_report_with_no_request() {
    let fake = FakeS3::start().await;
    fake.bucket("hardened", FakeBucket::hardened("hardened", "eu-west-1"));
    fake.bucket(
        "open",
        FakeBucket::new("us-east-1")
            .public_read()
            .policy(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::open/*"}]}"#,
                Some(true),
            )
            .fault("website", 403, "AccessDenied")
            .fault("lifecycle", 503, "SlowDown"),
    );
    let dir = TempDir::new("state-round-trip");
    let state = dir.path("account.json.gz");
    let state_arg = state.as_str();
    let unsaved = s3tk(&fake.uri(), &["scan", "--format", "json"]).await;
    let unsaved_requests = fake.answered();
    let live = s3tk(
        &fake.uri(),
        &["scan", "--save-state", state_arg, "--format", "json"],
    )
    .await;
    live.assert_code(1);
    assert!(
        live.stderr.contains(&format!(
            "state of 1 account(s), 2 bucket(s) saved to {state_arg}"
        )),
        "{}",
        live.stderr
    );
    let requests = fake.answered();
    assert_eq!(
        requests - unsaved_requests,
        unsaved_requests,
        "--save-state costs no request"
    );
    assert_eq!(without_times(unsaved.json()), without_times(live.json()));

    // Pointed at the fake, with credentials: anything sent would be counted.
    let replayed = s3tk(
        &fake.uri(),
        &["scan", "--from-state", state_arg, "--format", "json"],
    )
    .await;
    replayed.assert_code(1);
    assert_eq!(fake.answered(), requests, "--from-state sent a request");
    assert_eq!(without_times(replayed.json()), without_times(live.json()));
    // And with no credentials at all.
    let offline = s3tk_env(
        &["scan", "--from-state", state_arg, "--format", "json"],
        OFFLINE,
    )
    .await;
    offline.assert_code(1);
    assert_eq!(without_times(offline.json()), without_times(live.json()));
    // Errors stay errors of the same kind, and findings say when their state was read.
    let report = offline.json();
    let website = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["bucket"] == "open" && f["check"] == "s3.bucket.public-website")
        .unwrap();
    assert_eq!(website["status"], "error");
    assert!(
        website["message"]
            .as_str()
            .unwrap()
            .contains("access denied to GetBucketWebsite: the caller needs s3:GetBucketWebsite"),
        "{website}"
    );
    assert!(website["observed_at"].as_str().unwrap().ends_with('Z'));

    // Bucket selection works on the recorded buckets; a name not recorded is a warning.
    let one = s3tk_env(
        &[
            "scan",
            "--from-state",
            state_arg,
            "--format",
            "json",
            "hard*",
            "gone",
        ],
        OFFLINE,
    )
    .await;
    one.assert_code_because(3, "a named bucket the state does not hold is not evaluated");
    let buckets: BTreeSet<_> = one.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["bucket"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(buckets, BTreeSet::from(["hardened".to_owned()]));
    assert!(
        one.stderr.contains("no bucket matches 'gone'"),
        "{}",
        one.stderr
    );
}

#[tokio::test]
async fn a_facet_the_state_lacks_is_an_error_that_says_so() {
    let fake = FakeS3::start().await;
    fake.bucket("app", FakeBucket::hardened("app", "us-east-1"));
    let dir = TempDir::new("state-partial");
    let state = dir.path("versioning-only.json");
    let state_arg = state.as_str();
    let live = s3tk(
        &fake.uri(),
        &[
            "scan",
            "--checks",
            "s3.bucket.versioning-disabled",
            "--save-state",
            state_arg,
        ],
    )
    .await;
    live.expect_success();
    let run = s3tk_env(
        &[
            "scan",
            "--from-state",
            state_arg,
            "--format",
            "json",
            "--checks",
            "s3.bucket.versioning-disabled,s3.bucket.logging-disabled",
        ],
        OFFLINE,
    )
    .await;
    run.assert_code_because(3, "an unevaluated check is an incomplete run");
    let report = run.json();
    assert_eq!(
        crate::support::finding(&report, "app", "s3.bucket.versioning-disabled").0,
        "pass"
    );
    assert_eq!(
        crate::support::finding(&report, "app", "s3.bucket.logging-disabled"),
        (
            "error".into(),
            "could not evaluate: GetBucketLogging is not in the state file (the scan that saved it did not read it); a live scan with this check reads it".into()
        )
    );
}

#[tokio::test]
async fn a_bad_state_file_is_exit_2_before_any_report_is_written() {
    let dir = TempDir::new("state-bad");
    let report = dir.path("report.json");
    let report_arg = format!("json={report}");
    let valid = r#"{"format": "s3tk-state", "version": 1, "created_by": "s3tk 0.1.0",
 "created_at": "2026-12-01T09:30:00Z", "accounts": [{"source": "s3", "buckets": [
  {"name": "app", "facets": {"acl": {"not_configured": true}}}]}]}"#;
    let cases = [
        (
            "impossible.json",
            valid.to_owned(),
            "line 3 column 61 (field accounts[0].buckets[0].facets.acl): this facet always has a value",
        ),
        (
            "truncated.json",
            valid[..80].to_owned(),
            "line 2 column 13: EOF while parsing",
        ),
        (
            "newer.json",
            valid.replace("\"version\": 1", "\"version\": 7"),
            "has schema version 7, written by s3tk 0.1.0; this s3tk",
        ),
        (
            "empty.json",
            valid.replace(
                r#"[{"source": "s3", "buckets": [
  {"name": "app", "facets": {"acl": {"not_configured": true}}}]}]"#,
                "[]",
            ),
            "holds no account",
        ),
    ];
    for (name, text, expected) in cases {
        let path = dir.path(name);
        std::fs::write(&path, text).unwrap();
        let run = s3tk_env(
            &["scan", "--from-state", &path, "--format", &report_arg],
            OFFLINE,
        )
        .await;
        run.assert_code_because(2, format_args!("{name}"));
        assert_eq!(run.stderr.lines().count(), 1, "{name}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{name}: {}", run.stderr);
        assert!(
            !std::path::Path::new(&report).exists(),
            "{name}: a report was written"
        );
    }
    let account = dir.path("account.json");
    std::fs::write(
        &account,
        valid
            .replace(
                r#""source": "s3""#,
                r#""account_id": "111122223333", "source": "s3""#,
            )
            .replace(
                r#"{"not_configured": true}"#,
                r#"{"error": {"kind": "access_denied"}}"#,
            ),
    )
    .unwrap();
    let copy = dir.path("copy.json");
    std::fs::copy(&account, &copy).unwrap();
    let twice = s3tk_env(
        &["scan", "--from-state", &account, "--from-state", &copy],
        OFFLINE,
    )
    .await;
    twice.assert_code(2);
    assert_eq!(
        twice.stderr,
        format!(
            "error: account 111122223333 is in both {account} and {copy}: give each account once\n"
        )
    );
    let same = s3tk_env(
        &["scan", "--from-state", &account, "--from-state", &account],
        OFFLINE,
    )
    .await;
    assert_eq!(
        (same.code, same.stderr),
        (2, format!("error: state file {account} is given twice\n"))
    );
    let missing = s3tk_env(
        &["scan", "--from-state", "/nonexistent/state.json"],
        OFFLINE,
    )
    .await;
    missing.assert_code(2);
    assert!(
        missing
            .stderr
            .starts_with("error: cannot read state file /nonexistent/state.json: "),
        "{}",
        missing.stderr
    );
    let fix = s3tk_env(
        &["scan", "--from-state", "/nonexistent/state.json", "--fix"],
        OFFLINE,
    )
    .await;
    fix.assert_code(2);
    assert!(fix.stderr.contains("cannot be used with"), "{}", fix.stderr);
}

/// The README's first command: the demo account, with no credentials and no network.
#[tokio::test]
async fn the_demo_account_shows_every_verdict() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo-account.json");
    let run = s3tk_env(
        &[
            "scan",
            "--from-state",
            demo,
            "--object-level-logging",
            "--format",
            "json",
        ],
        OFFLINE,
    )
    .await;
    run.assert_code(1);
    let report = run.json();
    let mut statuses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut severities = BTreeSet::new();
    for f in report["findings"].as_array().unwrap() {
        let status = f["status"].as_str().unwrap().to_owned();
        if status == "fail" {
            severities.insert(f["severity"].as_str().unwrap().to_owned());
        }
        statuses
            .entry(f["check"].as_str().unwrap().to_owned())
            .or_default()
            .insert(status);
    }
    // Which verdicts each check reaches in the demo, as a reviewed snapshot: a new check
    // appears there on regenerating, and whether the demo should show it failing is the
    // contributor's call (a bucket added to the demo), not a test edit.
    let mut verdicts = String::new();
    for check in s3tk::registry::checks() {
        if check.meta.scope != s3tk::check::Scope::Dns {
            let seen = statuses.get(check.meta.id).cloned().unwrap_or_default();
            let seen: Vec<String> = seen.into_iter().collect();
            verdicts += &format!("{}: {}\n", check.meta.id, seen.join(" "));
        }
    }
    crate::support::assert_snapshot("examples/demo-account.verdicts", &verdicts);
    let failing = statuses.values().filter(|s| s.contains("fail")).count();
    assert!(
        failing * 10 >= statuses.len() * 9,
        "the demo should show nearly every check failing somewhere:\n{verdicts}"
    );
    assert_eq!(
        severities,
        BTreeSet::from(["critical", "high", "medium", "low", "info"].map(String::from))
    );
    let denied = report["findings"].as_array().unwrap().iter().any(|f| {
        f["status"] == "error" && f["message"].as_str().unwrap().contains("access denied to ")
    });
    assert!(denied, "the demo shows an AccessDenied error");
    // The same file through the other formats.
    for format in ["table", "markdown", "junit", "sarif"] {
        let run = s3tk_env(&["scan", "--from-state", demo, "--format", format], OFFLINE).await;
        run.assert_code_because(1, format_args!("{format}"));
        assert!(!run.stdout.is_empty(), "{format}");
    }
}
