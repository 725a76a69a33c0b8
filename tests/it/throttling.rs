//! When AWS pushes back or the network fails: throttled requests are retried under
//! back-pressure until they succeed, listing pages that fail are tried again and a listing that
//! keeps failing names where to resume (`--start-after`), Ctrl-C stays prompt and says what it
//! left, and failures are named truthfully (attempts, service, reset connections).
//!
//! Fast on purpose: `S3TK_RETRY_BASE_MS` shrinks the backoff and `S3TK_LIST_RETRY_WINDOW_MS`
//! the listing's retry window; nothing here passes or fails on how long it took, except the
//! Ctrl-C tests, whose bound is far from both outcomes.

use crate::fake_s3::{FakeBucket, FakeObject, FakeS3};
use crate::support::{Run, clients, ctrl_c, json_lines, s3tk_command, s3tk_env};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;

async fn run_env(fake: &FakeS3, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = vec!["--endpoint-url", fake.uri().leak()];
    all.extend_from_slice(args);
    s3tk_env(&all, env).await
}

/// `s3tk ARGS` with s3tk's own retry policy: the tests' `AWS_MAX_ATTEMPTS=1` removed.
async fn run_default_retries(fake: &FakeS3, args: &[&str], env: &[(&str, &str)]) -> Run {
    let uri = fake.uri();
    let mut all = vec!["--endpoint-url", uri.as_str()];
    all.extend_from_slice(args);
    let mut cmd = s3tk_command(&all, env);
    cmd.env_remove("AWS_MAX_ATTEMPTS");
    let out = cmd.output().await.expect("s3tk runs");
    Run {
        code: out.status.code().expect("s3tk exited normally"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn keys(records: &[Value]) -> Vec<String> {
    let mut keys: Vec<String> = records
        .iter()
        .map(|r| r["key"].as_str().unwrap().to_owned())
        .collect();
    keys.sort();
    keys
}

const FAST: (&str, &str) = ("S3TK_RETRY_BASE_MS", "1");

#[tokio::test]
async fn half_of_the_acl_reads_throttled_still_scans_every_object() {
    let fake = FakeS3::start_unrecorded().await;
    fake.account_block(None);
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1")
            .synthetic(2_500, FakeObject::new(1))
            .object_fault_every("GetObjectAcl", 503, "SlowDown", 2),
    );
    let out = run_default_retries(
        &fake,
        &["scan-object-acl", "bkt", "--format", "json"],
        &[FAST],
    )
    .await;
    let (records, summary) = json_lines(&out);
    let errors: Vec<&Value> = records.iter().filter(|r| r["status"] == "error").collect();
    assert!(
        errors.is_empty(),
        "{} errors, e.g. {:#}\n{}",
        errors.len(),
        errors[0],
        out.stderr
    );
    out.expect_success();
    assert_eq!(records.len(), 2_500);
    assert_eq!(summary["results"]["private"], 2_500);
    assert!(
        summary["throttled"].as_u64().unwrap() >= 1_250,
        "every other request was throttled: {summary}"
    );
    assert!(
        out.stderr.contains("note: S3 throttled ")
            && out
                .stderr
                .contains("each was retried, and s3tk slowed down to as few as "),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn a_request_throttled_to_the_end_says_how_many_attempts_it_made() {
    let fake = FakeS3::start().await;
    fake.account_block(None);
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1")
            .object("k", FakeObject::new(1))
            .object_fault("GetObjectAcl", 503, "SlowDown", 0, 100),
    );
    let out = run_default_retries(
        &fake,
        &["scan-object-acl", "bkt", "--format", "json"],
        &[FAST],
    )
    .await;
    let (records, _) = json_lines(&out);
    assert_eq!(
        records[0]["detail"], "GetObjectAcl was throttled by S3 (SlowDown) after 20 attempts",
        "{}",
        out.stderr
    );
    out.assert_code(3);
    // The user's own setting is respected, and the message still true.
    let out = run_env(
        &fake,
        &["scan-object-acl", "bkt", "--format", "json"],
        &[FAST, ("AWS_MAX_ATTEMPTS", "4")],
    )
    .await;
    assert_eq!(
        json_lines(&out).0[0]["detail"],
        "GetObjectAcl was throttled by S3 (SlowDown) after 4 attempts"
    );
}

#[tokio::test]
async fn a_quarter_of_the_listing_pages_failing_still_lists_every_object() {
    let fake = FakeS3::start().await;
    fake.account_block(None);
    let mut bucket = FakeBucket::new("us-east-1")
        .object_fault_every("ListObjectsV2", 500, "InternalError", 4)
        .object_fault_every("ListObjectVersions", 503, "SlowDown", 4);
    for i in 0..200 {
        bucket = bucket.object(&format!("k{i:03}"), FakeObject::new(1));
    }
    fake.bucket("bkt", bucket).object_page_size(10);
    // AWS_MAX_ATTEMPTS=1: every failed page reaches the walker, which tries it again.
    let out = run_env(
        &fake,
        &["scan-object-acl", "bkt", "--format", "json"],
        &[FAST],
    )
    .await;
    out.expect_success();
    let (records, summary) = json_lines(&out);
    assert_eq!(records.len(), 200);
    assert_eq!(summary["listed"], 200);
    let lists = fake
        .requests()
        .await
        .iter()
        .filter(|r| r.contains("list-type=2"))
        .count();
    assert!(lists > 20, "{lists} listing requests for 20 pages");
}

#[tokio::test]
async fn a_listing_page_that_keeps_failing_names_the_key_to_resume_after() {
    let fake = FakeS3::start().await;
    fake.account_block(None);
    let objects = |bucket: FakeBucket| {
        (0..50).fold(bucket, |b, i| {
            b.object(&format!("k{i:02}"), FakeObject::new(1))
        })
    };
    // Two pages of ten list; the third fails for good.
    fake.bucket(
        "bkt",
        objects(FakeBucket::new("us-east-1")).object_fault(
            "ListObjectsV2",
            500,
            "InternalError",
            2,
            usize::MAX,
        ),
    )
    .object_page_size(10);
    let window = ("S3TK_LIST_RETRY_WINDOW_MS", "200");
    let out = run_env(
        &fake,
        &["scan-object-acl", "bkt", "--format", "json"],
        &[FAST, window],
    )
    .await;
    out.assert_code(3);
    let (first, summary) = json_lines(&out);
    assert_eq!(
        keys(&first),
        (0..20).map(|i| format!("k{i:02}")).collect::<Vec<_>>()
    );
    assert_eq!(summary["outcome"], "listing failed");
    assert_eq!(summary["resume_after"], "k19");
    assert!(
        out.stderr.contains(
            "error: the listing stopped after 20 keys: ListObjectsV2 failed: InternalError (HTTP 500): injected fault; the objects after that were not handled: continue with --start-after 'k19'"
        ),
        "{}",
        out.stderr
    );
    // The page was tried again before giving up.
    let lists = fake
        .requests()
        .await
        .iter()
        .filter(|r| r.contains("list-type=2"))
        .count();
    assert!(lists > 3, "{lists} listing requests");

    // The fault is gone: the second run does the rest, and only the rest.
    fake.bucket("bkt", objects(FakeBucket::new("us-east-1")));
    let out = run_env(
        &fake,
        &[
            "scan-object-acl",
            "bkt",
            "--format",
            "json",
            "--start-after",
            "k19",
        ],
        &[FAST],
    )
    .await;
    out.expect_success();
    let (rest, _) = json_lines(&out);
    assert_eq!(
        keys(&rest),
        (20..50).map(|i| format!("k{i:02}")).collect::<Vec<_>>()
    );
    let starts: Vec<String> = fake
        .requests()
        .await
        .into_iter()
        .filter(|r| r.contains("start-after="))
        .collect();
    assert_eq!(starts.len(), 1, "S3 skips the done keys: {starts:?}");
}

#[tokio::test]
async fn a_version_listing_resumes_after_the_last_key_whose_versions_were_all_listed() {
    let fake = FakeS3::start().await;
    let versioned = || {
        let mut bucket = FakeBucket::new("us-east-1")
            .versioning("Enabled")
            .ownership("BucketOwnerEnforced");
        for i in 0..6 {
            // Two old unencrypted versions and an encrypted current one per key.
            for _ in 0..2 {
                bucket = bucket.object(&format!("k{i}"), FakeObject::new(1));
            }
            bucket = bucket.object(&format!("k{i}"), FakeObject::new(1).sse("AES256", None));
        }
        bucket
    };
    // Pages of 4 versions split keys: k0 k0 k0 k1 | k1 k1 k2 k2 | (fails).
    fake.bucket(
        "bkt",
        versioned().object_fault("ListObjectVersions", 500, "InternalError", 2, usize::MAX),
    )
    .object_page_size(4);
    let args = [
        "delete-unencrypted-versions",
        "bkt",
        "--dry-run",
        "--format",
        "json",
    ];
    let out = run_env(&fake, &args, &[FAST, ("S3TK_LIST_RETRY_WINDOW_MS", "100")]).await;
    assert!(
        out.stderr.contains("continue with --start-after 'k1'"),
        "k2's versions continue on the failed page: {}",
        out.stderr
    );
    let versions = |run: &Run| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = json_lines(run)
            .0
            .iter()
            .map(|r| {
                (
                    r["key"].as_str().unwrap().to_owned(),
                    r["version_id"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let mut first = versions(&out);
    fake.bucket("bkt", versioned());
    let mut all_args = args.to_vec();
    all_args.extend(["--start-after", "k1"]);
    let out = run_env(&fake, &all_args, &[FAST]).await;
    out.expect_success();
    let rest = versions(&out);
    assert!(rest.iter().all(|(k, _)| k.as_str() > "k1"), "{rest:?}");
    // Together they cover every old version of k0 and k1 once, and the rest (with k2) again.
    first.retain(|(k, _)| k.as_str() <= "k1");
    assert_eq!(first.len() + rest.len(), 12, "{first:?} {rest:?}");
}

#[tokio::test]
async fn an_empty_start_after_is_refused_before_any_request() {
    let fake = FakeS3::start().await;
    let out = run_env(&fake, &["scan-object-acl", "bkt", "--start-after", ""], &[]).await;
    out.assert_code(2);
    assert_eq!(out.stderr, "error: --start-after needs a key\n");
    assert!(fake.requests().await.is_empty());
}

#[tokio::test]
async fn ctrl_c_does_not_wait_for_retries_sleeping_in_the_sdk() {
    let fake = FakeS3::start().await;
    fake.account_block(None);
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1")
            .synthetic(500, FakeObject::new(1))
            .object_fault("GetObjectAcl", 503, "SlowDown", 0, usize::MAX),
    );
    let uri = fake.uri();
    // The issue's setting (adaptive retries), and backoffs of 10 s and more: waiting for even
    // one would blow the bound below.
    let child = s3tk_command(
        &["--endpoint-url", &uri, "scan-object-acl", "bkt"],
        &[
            ("S3TK_RETRY_BASE_MS", "10000"),
            ("AWS_MAX_ATTEMPTS", "10"),
            ("AWS_RETRY_MODE", "adaptive"),
        ],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    ctrl_c(&child);
    let out = tokio::time::timeout(Duration::from_secs(5), child.wait_with_output())
        .await
        .expect("the first Ctrl-C ends the run without waiting for backoffs")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted after 0 objects"), "{stderr}");
}

#[tokio::test]
async fn ctrl_c_during_a_scan_reports_what_finished_and_names_what_did_not() {
    let fake = FakeS3::start().await;
    // About 15 requests a bucket, 4 at a time: some 9 s in all.
    let names: Vec<String> = (0..60).map(|i| format!("bucket-{i:02}")).collect();
    for name in &names {
        fake.bucket(name, FakeBucket::hardened(name, "us-east-1"));
    }
    fake.latency(Duration::from_millis(40));
    let uri = fake.uri();
    let dir = crate::support::TempDir::new("interrupted-state");
    let state = dir.path("state.json");
    let child = s3tk_command(
        &[
            "--endpoint-url",
            &uri,
            "--concurrency",
            "4",
            "scan",
            "--format",
            "json",
            "--save-state",
            &state,
        ],
        &[],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    ctrl_c(&child);
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("the scan stops")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("a complete JSON report");
    let mut scanned: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["bucket"].as_str().map(str::to_owned))
        .collect();
    scanned.sort();
    scanned.dedup();
    let line = stderr
        .lines()
        .find(|l| l.starts_with("interrupted: ") && l.contains(" buckets not scanned: "))
        .unwrap_or_else(|| panic!("{stderr}"));
    let not_scanned: Vec<&str> = line
        .split(" buckets not scanned: ")
        .nth(1)
        .unwrap()
        .split(" and ")
        .next()
        .unwrap()
        .split(", ")
        .collect();
    let missing = names.len() - scanned.len();
    assert!(
        (1..names.len()).contains(&scanned.len()),
        "stopped part-way: {scanned:?}"
    );
    assert!(
        line.starts_with(&format!(
            "interrupted: {missing} of 60 buckets not scanned: "
        )),
        "{line}"
    );
    for name in not_scanned.iter().take(20) {
        assert!(!scanned.contains(&name.to_string()), "{name} in both");
    }
    // The state file holds every bucket: the unscanned ones with no answer, so scanning it
    // says their checks could not be evaluated instead of leaving them out.
    let run =
        crate::support::s3tk_env(&["scan", "--from-state", &state, "--format", "json"], &[]).await;
    run.assert_code(3);
    let replayed = run.json();
    let errors: BTreeSet<&str> = replayed["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "error")
        .map(|f| {
            assert!(
                f["message"]
                    .as_str()
                    .unwrap()
                    .contains("is not in the state file"),
                "{f}"
            );
            f["bucket"].as_str().unwrap()
        })
        .collect();
    assert_eq!(errors.len(), missing);
    assert!(errors.iter().all(|b| !scanned.contains(&b.to_string())));
}

/// A server that answers every request with a 200 whose body is cut short: it promises more
/// bytes than it sends, then closes the connection (`reset`: with an RST).
async fn truncating_server(reset: bool) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = vec![0u8; 16 * 1024];
            let _ = socket.read(&mut request).await;
            let _ = socket
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 5000\r\n\r\n<AccessControlPolicy><Owner>",
                )
                .await;
            let _ = socket.flush().await;
            if reset {
                #[allow(deprecated)] // linger 0 never blocks: it resets at once
                let _ = socket.set_linger(Some(Duration::ZERO));
            }
            drop(socket);
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn a_connection_closed_mid_answer_is_a_network_error_not_malformed_data() {
    for reset in [false, true] {
        let endpoint = truncating_server(reset).await;
        let clients = clients(&endpoint, 1);
        let err = s3tk::objects::s3::get_acl(&clients.client("us-east-1"), "bkt", "k")
            .await
            .unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err.kind, s3tk::error::FetchErrorKind::Network { .. }),
            "reset {reset}: {message}"
        );
        assert!(
            message.starts_with("GetObjectAcl failed to reach S3: "),
            "{message}"
        );
    }
}

#[tokio::test]
async fn sts_errors_name_sts() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(
            r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>x</RequestId></ErrorResponse>"#,
            "text/xml",
        ))
        .mount(&server)
        .await;
    let account = s3tk::state::AccountState::new(clients(&server.uri(), 1));
    let err = account.account_id().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "GetCallerIdentity was throttled by STS (Throttling) after 1 attempt"
    );
}
