//! The object commands on the stateful fake: what scan-object-acl reports, reset-object-acl's
//! writes and re-runs, encrypt's losslessness (read back and compared), its conditional copies,
//! multipart path, SSE-C secrecy, idempotence and retries, and which versions
//! delete-unencrypted-versions removes.

use crate::fake_s3::{FakeBucket, FakeObject, FakeS3, Ignores, OWNER_ID};
use crate::support::{Run, TempDir, ctrl_c, json_lines, s3tk_command, s3tk_env};
use s3tk::model::PublicAccessBlock;
use serde_json::Value;

const OTHER_ACCOUNT: &str = "0ther0000000000000000000000000000000000000000000000000000000000";
const KEY_ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const GIB: i64 = 1024 * 1024 * 1024;

async fn run(fake: &FakeS3, args: &[&str]) -> Run {
    run_env(fake, args, &[]).await
}

async fn run_env(fake: &FakeS3, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = vec!["--endpoint-url", fake.uri().leak()];
    all.extend_from_slice(args);
    s3tk_env(&all, env).await
}

fn record<'a>(records: &'a [Value], key: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("no record for {key} in {records:#?}"))
}

/// A bucket whose ACLs count: no Block Public Access at either level.
fn open_account(fake: &FakeS3) {
    fake.account_block(None);
}

/// Requests to objects of bucket `b` (not bucket-level requests or listings), as
/// `METHOD /bkt/key?query`.
async fn object_calls(fake: &FakeS3) -> Vec<String> {
    fake.requests()
        .await
        .into_iter()
        .filter(|r| {
            let path = r.split(' ').nth(1).unwrap_or_default();
            path.strip_prefix("/bkt/")
                .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('?'))
        })
        .collect()
}

async fn object_requests(fake: &FakeS3, method: &str, query: &str) -> usize {
    object_calls(fake)
        .await
        .iter()
        .filter(|r| r.starts_with(&format!("{method} ")) && r.contains(query))
        .count()
}

#[tokio::test]
async fn scan_object_acl_names_each_acl_and_fails_on_public_objects() {
    let fake = FakeS3::start().await;
    open_account(&fake);
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1")
            .object("private.txt", FakeObject::new(1))
            .object("public.pdf", FakeObject::new(1).grant_all_users("READ"))
            .object(
                "anyone-aws.csv",
                FakeObject::new(1).grant_authenticated("READ"),
            )
            .object("takeover", FakeObject::new(1).grant_all_users("WRITE_ACP"))
            .object(
                "uploaded-by-partner",
                FakeObject::new(1)
                    .owner(OTHER_ACCOUNT)
                    .grant_user(OWNER_ID, "FULL_CONTROL"),
            )
            .object(
                "ami/bundle",
                FakeObject::new(1).grant_user(s3tk::objects::acl::EC2_CANONICAL_ID, "READ"),
            )
            .object(
                "shared",
                FakeObject::new(1).grant_user(OTHER_ACCOUNT, "READ"),
            )
            .object(
                "c++ notes/é ?.txt",
                FakeObject::new(1).grant_all_users("READ"),
            ),
    );
    let out = run(&fake, &["scan-object-acl", "bkt", "--format", "json"]).await;
    out.assert_code_because(1, "public objects are findings");
    let (records, summary) = json_lines(&out);
    assert_eq!(records.len(), 8);
    let result = |key: &str| {
        let r = record(&records, key);
        (
            r["result"].as_str().unwrap().to_owned(),
            r["status"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(result("private.txt"), ("private".into(), "ok".into()));
    assert_eq!(
        result("public.pdf"),
        ("public-read".into(), "finding".into())
    );
    assert_eq!(
        result("anyone-aws.csv"),
        ("authenticated-read".into(), "finding".into())
    );
    assert_eq!(result("takeover"), ("custom".into(), "finding".into()));
    assert_eq!(
        record(&records, "takeover")["detail"],
        "anyone can change its ACL: AllUsers WRITE_ACP"
    );
    assert_eq!(
        result("uploaded-by-partner"),
        ("bucket-owner-full-control".into(), "ok".into())
    );
    assert_eq!(result("ami/bundle"), ("aws-exec-read".into(), "ok".into()));
    assert_eq!(result("shared"), ("custom".into(), "ok".into()));
    assert!(
        record(&records, "shared")["detail"]
            .as_str()
            .unwrap()
            .contains("READ")
    );
    // Keys that need URL encoding come back intact.
    assert_eq!(
        result("c++ notes/é ?.txt"),
        ("public-read".into(), "finding".into())
    );
    assert_eq!(summary["handled"], 8);
    assert_eq!(summary["results"]["public-read"], 2);
    assert_eq!(summary["statuses"]["finding"], 4);
    assert_eq!(record(&records, "public.pdf")["evidence"]["public"], true);

    let text = run(&fake, &["scan-object-acl", "bkt", "--except", "c++*"]).await;
    text.assert_code(1);
    assert!(
        text.stdout
            .contains("✘ public.pdf: public-read: public: AllUsers READ\n"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("✔ private.txt: private\n"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.ends_with("\nSummary\ncustom: 2\nauthenticated-read: 1\naws-exec-read: 1\nbucket-owner-full-control: 1\nprivate: 1\npublic-read: 1\n"),
        "{:?}",
        text.stdout
    );
    assert!(!text.stdout.contains("c++"), "--except left it out");
    assert!(
        !text.stderr.contains('\r'),
        "no progress line when stderr is not a terminal"
    );
}

#[tokio::test]
async fn keys_cannot_rewrite_the_terminal() {
    let fake = FakeS3::start().await;
    open_account(&fake);
    // Printed raw, this key would erase its own line and draw a passing one instead.
    let forged = "a\x1b[2K\r\u{2714} b: private\u{9b}";
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1").object(forged, FakeObject::new(1).grant_all_users("READ")),
    );
    let text = run(&fake, &["scan-object-acl", "bkt"]).await;
    text.assert_code(1);
    assert!(
        text.stdout.contains(
            "✘ a\\x1b[2K\\r\u{2714} b: private\\x9b: public-read: public: AllUsers READ\n"
        ),
        "{}",
        text.stdout
    );
    assert!(
        !text.stdout.contains(['\x1b', '\r', '\u{9b}']),
        "no control character reaches the terminal"
    );
    let json = run(&fake, &["scan-object-acl", "bkt", "--format", "json"]).await;
    let (records, _) = json_lines(&json);
    assert_eq!(records[0]["key"], forged, "JSON keeps the key exactly");
}

#[tokio::test]
async fn scan_object_acl_stops_at_once_when_acls_are_disabled() {
    let fake = FakeS3::start().await;
    open_account(&fake);
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1")
            .ownership("BucketOwnerEnforced")
            .object("a", FakeObject::new(1).grant_all_users("READ")),
    );
    let out = run(&fake, &["scan-object-acl", "bkt"]).await;
    out.expect_success();
    assert!(
        out.stdout.starts_with("ACLs are disabled on bkt"),
        "{}",
        out.stdout
    );
    assert_eq!(
        object_requests(&fake, "GET", "").await,
        0,
        "no object is read"
    );
    let json = run(&fake, &["scan-object-acl", "bkt", "--format", "json"]).await;
    let summary: Value = serde_json::from_str(json.stdout.trim()).unwrap();
    assert_eq!(summary["outcome"], "done");
    assert_eq!(summary["handled"], 0);
}

#[tokio::test]
async fn scan_object_acl_says_when_ignore_public_acls_hides_grants() {
    let fake = FakeS3::start().await; // the account-level block is on
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1").object("a", FakeObject::new(1).grant_all_users("READ")),
    );
    let out = run(&fake, &["scan-object-acl", "bkt"]).await;
    out.assert_code_because(0, "S3 reports the effective, private ACL");
    assert!(
        out.stderr
            .contains("note: account-level IgnorePublicAcls is on: S3 reports effective ACLs"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn only_and_except_select_keys_and_narrow_the_listing() {
    let fake = FakeS3::start().await;
    open_account(&fake);
    let mut bucket = FakeBucket::new("us-east-1");
    for key in [
        "logs/2017/a.gz",
        "logs/2017/deep/b.gz",
        "logs/2017/c.txt",
        "logs/2018/d.gz",
        "data/e.gz",
        "file1.txt",
        "file?.txt",
    ] {
        bucket = bucket.object(key, FakeObject::new(1));
    }
    fake.bucket("bkt", bucket).object_page_size(2);
    let keys = |run: &Run| {
        let (records, _) = json_lines(run);
        let mut keys: Vec<String> = records
            .iter()
            .map(|r| r["key"].as_str().unwrap().to_owned())
            .collect();
        keys.sort();
        keys
    };
    let out = run(
        &fake,
        &[
            "scan-object-acl",
            "bkt",
            "--only",
            "logs/2017/*.gz",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(
        keys(&out),
        ["logs/2017/a.gz", "logs/2017/deep/b.gz"],
        "`*` crosses `/`"
    );
    let lists: Vec<String> = fake
        .requests()
        .await
        .into_iter()
        .filter(|r| r.contains("list-type=2"))
        .collect();
    assert!(!lists.is_empty());
    assert!(
        lists.iter().all(|r| r.contains("prefix=logs%2F2017%2F")),
        "only the --only prefix is listed: {lists:?}"
    );
    let out = run(
        &fake,
        &[
            "scan-object-acl",
            "bkt",
            "--only",
            "logs/*",
            "--only",
            "file?.txt",
            "--except",
            "*.txt",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(
        keys(&out),
        ["logs/2017/a.gz", "logs/2017/deep/b.gz", "logs/2018/d.gz"]
    );
    let out = run(
        &fake,
        &[
            "scan-object-acl",
            "bkt",
            "--only",
            "file?.txt",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(
        keys(&out),
        ["file1.txt", "file?.txt"],
        "`?` is a wildcard, not a literal key"
    );
    let bad = run(&fake, &["scan-object-acl", "bkt", "--only", "logs/[0-9"]).await;
    bad.assert_code(2);
    assert_eq!(
        bad.stderr,
        "error: invalid --only pattern 'logs/[0-9': '[' at position 5 is never closed\n"
    );
}

#[tokio::test]
async fn reset_object_acl_writes_only_where_needed_and_validates_the_acl() {
    let fake = FakeS3::start().await;
    open_account(&fake);
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1")
            .object("public", FakeObject::new(1).grant_all_users("READ"))
            .object("private", FakeObject::new(1))
            .object(
                "partner",
                FakeObject::new(1)
                    .owner(OTHER_ACCOUNT)
                    .grant_user(OWNER_ID, "FULL_CONTROL"),
            ),
    );
    let bad = run(&fake, &["reset-object-acl", "bkt", "--acl", "public"]).await;
    bad.assert_code(2);
    assert!(
        bad.stderr.starts_with(
            "error: invalid --acl 'public': S3's canned ACLs for objects are private, public-read,"
        ),
        "{}",
        bad.stderr
    );
    assert!(
        fake.requests().await.is_empty(),
        "refused before any request"
    );

    let dry = run(&fake, &["reset-object-acl", "bkt", "--dry-run"]).await;
    dry.expect_success();
    assert!(
        dry.stdout
            .contains("~ public: would set private: was public-read\n"),
        "{}",
        dry.stdout
    );
    assert_eq!(object_requests(&fake, "PUT", "acl").await, 0);

    let out = run(&fake, &["reset-object-acl", "bkt"]).await;
    out.expect_success();
    assert!(
        out.stdout
            .contains("✔ public: set private: was public-read\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("✔ private: already private\n"));
    assert!(
        out.stdout
            .contains("partner: set private: was bucket-owner-full-control\n")
    );
    assert!(fake.object("bkt", "public").unwrap().grants.is_empty());
    assert_eq!(object_requests(&fake, "PUT", "acl").await, 2);

    // bucket-owner-full-control: equal to private for the bucket owner's own objects.
    let again = run(
        &fake,
        &[
            "reset-object-acl",
            "bkt",
            "--acl",
            "bucket-owner-full-control",
        ],
    )
    .await;
    again.expect_success();
    assert!(
        again
            .stdout
            .contains("private: already bucket-owner-full-control\n"),
        "{}",
        again.stdout
    );
    assert!(
        again
            .stdout
            .contains("public: already bucket-owner-full-control\n")
    );
    assert!(
        again
            .stdout
            .contains("partner: set bucket-owner-full-control")
    );
    let third = run(
        &fake,
        &[
            "reset-object-acl",
            "bkt",
            "--acl",
            "bucket-owner-full-control",
        ],
    )
    .await;
    assert!(
        !third.stdout.contains(": set "),
        "a re-run writes nothing:\n{}",
        third.stdout
    );
    assert_eq!(object_requests(&fake, "PUT", "acl").await, 3);
}

#[tokio::test]
async fn reset_object_acl_respects_the_buckets_settings() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "enforced",
        FakeBucket::new("us-east-1")
            .ownership("BucketOwnerEnforced")
            .object("a", FakeObject::new(1)),
    )
    .bucket(
        "bkt",
        FakeBucket::new("us-east-1").object("a", FakeObject::new(1)),
    );
    let out = run(&fake, &["reset-object-acl", "enforced"]).await;
    out.expect_success();
    assert!(out.stdout.starts_with("ACLs are disabled on enforced"));
    // The account blocks public ACLs: a public --acl would fail on every object.
    let out = run(&fake, &["reset-object-acl", "bkt", "--acl", "public-read"]).await;
    out.assert_code(1);
    assert_eq!(
        out.stderr,
        "error: --acl public-read is a public ACL and account-level BlockPublicAcls makes S3 refuse public ACLs on bkt\n"
    );
    assert_eq!(object_requests(&fake, "PUT", "acl").await, 0);
}

/// Everything but the encryption and the ETag, for comparing an object before and after.
fn kept(o: &FakeObject) -> FakeObject {
    FakeObject {
        version_id: String::new(),
        etag: String::new(),
        sse: None,
        kms_key: None,
        bucket_key: false,
        customer_key_md5: None,
        ..o.clone()
    }
}

#[tokio::test]
async fn encrypt_keeps_metadata_tags_storage_class_redirect_and_acl() {
    let fake = FakeS3::start().await;
    open_account(&fake);
    let rich = FakeObject::new(1234)
        .content_type("application/pdf")
        .cache_control("max-age=60")
        .meta("owner", "finance")
        .meta("reviewed", "2026-01-01")
        .tag("classification", "internal")
        .tag("team", "a b&c")
        .storage_class("STANDARD_IA")
        .redirect("/elsewhere.html")
        .grant_all_users("READ")
        .grant_user(OTHER_ACCOUNT, "READ_ACP");
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1")
            .versioning("Enabled")
            .object("reports/q1 c++.pdf", rich.clone())
            .object("plain", FakeObject::new(5)),
    );
    let out = run(&fake, &["encrypt", "bkt"]).await;
    out.expect_success();
    assert!(
        out.stdout
            .contains("✔ reports/q1 c++.pdf: encrypted: not encrypted → SSE-S3\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.ends_with("\nSummary\nencrypted: 2\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("note: bkt is versioned: the unencrypted data stays in noncurrent versions"),
        "{}",
        out.stderr
    );
    let after = fake.object("bkt", "reports/q1 c++.pdf").unwrap();
    assert_eq!(after.sse.as_deref(), Some("AES256"));
    assert_eq!(
        kept(&after),
        kept(&rich),
        "everything but the encryption is kept"
    );
    assert_eq!(
        fake.count_with_header("x-amz-grant-read").await,
        1,
        "grants are sent for the object that has some, not for the private one"
    );
    assert_eq!(
        fake.versions("bkt", "reports/q1 c++.pdf").len(),
        2,
        "the old version remains"
    );
}

#[tokio::test]
async fn encrypt_never_downgrades_and_rekeys_only_other_kms_keys() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1")
            .ownership("BucketOwnerEnforced")
            .object("sse-s3", FakeObject::new(1).sse("AES256", None))
            .object("kms-same", FakeObject::new(1).sse("aws:kms", Some(KEY_ARN)))
            .object(
                "kms-other",
                FakeObject::new(1).sse(
                    "aws:kms",
                    Some("arn:aws:kms:us-east-1:123456789012:key/other"),
                ),
            )
            .object(
                "dsse",
                FakeObject::new(1).sse("aws:kms:dsse", Some(KEY_ARN)),
            )
            .object("none", FakeObject::new(1)),
    );
    let out = run(&fake, &["encrypt", "bkt", "--format", "json"]).await;
    let (records, _) = json_lines(&out);
    let result = |key: &str| record(&records, key)["result"].as_str().unwrap().to_owned();
    assert_eq!(result("sse-s3"), "already encrypted");
    assert_eq!(
        result("kms-same"),
        "kept",
        "SSE-KMS is not downgraded to SSE-S3"
    );
    assert_eq!(
        record(&records, "kms-same")["detail"],
        "SSE-KMS; not downgraded to SSE-S3"
    );
    assert_eq!(result("dsse"), "kept");
    assert_eq!(result("none"), "encrypted");
    assert_eq!(
        fake.object("bkt", "kms-same").unwrap().sse.as_deref(),
        Some("aws:kms")
    );

    let out = run(
        &fake,
        &[
            "encrypt",
            "bkt",
            "--kms-key-id",
            KEY_ARN,
            "--format",
            "json",
        ],
    )
    .await;
    out.expect_success();
    let (records, summary) = json_lines(&out);
    let result = |key: &str| record(&records, key)["result"].as_str().unwrap().to_owned();
    assert_eq!(result("kms-same"), "already encrypted");
    assert_eq!(result("kms-other"), "encrypted", "re-keyed");
    assert_eq!(result("sse-s3"), "encrypted", "SSE-S3 is upgraded");
    assert_eq!(result("none"), "encrypted");
    assert_eq!(result("dsse"), "kept");
    assert_eq!(summary["results"]["encrypted"], 3);
    let rekeyed = fake.object("bkt", "kms-other").unwrap();
    assert_eq!(
        (
            rekeyed.sse.as_deref(),
            rekeyed.kms_key.as_deref(),
            rekeyed.bucket_key
        ),
        (Some("aws:kms"), Some(KEY_ARN), true)
    );
    // With the key id instead of the ARN, the same objects are recognised.
    let id = KEY_ARN.rsplit('/').next().unwrap();
    let copies = fake.count_with_header("x-amz-copy-source").await;
    let out = run(&fake, &["encrypt", "bkt", "--kms-key-id", id]).await;
    out.expect_success();
    assert_eq!(
        fake.count_with_header("x-amz-copy-source").await,
        copies,
        "nothing to re-key"
    );
    let alias = run(&fake, &["encrypt", "bkt", "--kms-key-id", "alias/data"]).await;
    alias.assert_code(2);
    assert!(alias.stderr.contains("is an alias"), "{}", alias.stderr);
}

#[tokio::test]
async fn encrypt_follows_the_buckets_default_kms_key_unless_told_otherwise() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1")
            .ownership("BucketOwnerEnforced")
            .encryption("aws:kms", Some(KEY_ARN), true)
            .object("a", FakeObject::new(1)),
    )
    .bucket(
        "managed",
        FakeBucket::new("us-east-1")
            .ownership("BucketOwnerEnforced")
            .encryption("aws:kms", None, false)
            .object("a", FakeObject::new(1)),
    );
    let out = run(&fake, &["encrypt", "bkt"]).await;
    out.expect_success();
    assert!(
        out.stderr.contains(&format!(
            "note: encrypting as the bucket's default encryption does: SSE-KMS ({KEY_ARN})"
        )),
        "{}",
        out.stderr
    );
    let a = fake.object("bkt", "a").unwrap();
    assert_eq!(
        (a.sse.as_deref(), a.kms_key.as_deref()),
        (Some("aws:kms"), Some(KEY_ARN))
    );
    // Without a key in the rule: SSE-KMS with the AWS managed key, sending no key id.
    let out = run(&fake, &["encrypt", "managed"]).await;
    assert!(
        out.stderr.contains("does: SSE-KMS (aws/s3)"),
        "{}",
        out.stderr
    );
    assert_eq!(
        fake.object("managed", "a").unwrap().sse.as_deref(),
        Some("aws:kms")
    );
    let again = run(&fake, &["encrypt", "managed"]).await;
    assert!(
        again
            .stdout
            .contains("✔ a: already encrypted: already SSE-KMS\n"),
        "{}",
        again.stdout
    );
}

#[tokio::test]
async fn encrypt_leaves_an_object_changed_during_the_run_alone() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1")
            .ownership("BucketOwnerEnforced")
            .object("busy", FakeObject::new(1))
            .object("quiet", FakeObject::new(1))
            .concurrent_write("busy"),
    );
    let out = run(&fake, &["encrypt", "bkt"]).await;
    out.assert_code_because(1, "a re-run is needed");
    assert!(
        out.stdout
            .contains("! busy: changed: it changed after it was listed (ETag no longer matches)\n"),
        "{}",
        out.stdout
    );
    let busy = fake.object("bkt", "busy").unwrap();
    assert_eq!(
        busy.metadata.get("written-by").map(String::as_str),
        Some("someone-else"),
        "the newer write survives"
    );
    assert!(busy.sse.is_none(), "not overwritten with the stale copy");
    assert!(fake.object("bkt", "quiet").unwrap().is_encrypted());
    let again = run(&fake, &["encrypt", "bkt"]).await;
    again.assert_code_because(0, "the re-run completes it");
    let busy = fake.object("bkt", "busy").unwrap();
    assert!(busy.is_encrypted() && busy.metadata.contains_key("written-by"));
}

/// The records of a text run: `mark key: result: detail` lines, before the summary.
fn record_line<'a>(run: &'a Run, key: &str) -> &'a str {
    run.stdout
        .lines()
        .find(|l| {
            l.split_once(' ')
                .is_some_and(|(_, rest)| rest.starts_with(&format!("{key}: ")))
        })
        .unwrap_or_else(|| panic!("no record for {key}:\n{}", run.stdout))
}

#[tokio::test]
async fn encrypt_calls_nothing_encrypted_that_s3_does_not_confirm() {
    let fake = FakeS3::start().await;
    let ignores_sse = Ignores {
        sse_headers: true,
        ..Ignores::default()
    };
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1")
            .ownership("BucketOwnerEnforced")
            .ignoring(ignores_sse)
            .object("a", FakeObject::new(1))
            .object("b", FakeObject::new(1))
            .object("big", FakeObject::new(6 * GIB)),
    );
    let out = run(&fake, &["encrypt", "bkt"]).await;
    out.assert_code_because(
        3,
        "an object that could not be changed, or whose change S3 did not confirm, is incomplete",
    );
    for key in ["a", "b", "big"] {
        assert_eq!(
            record_line(&out, key),
            format!(
                "✘ {key}: error: copied, but not confirmed: S3's answer does not confirm SSE-S3 (x-amz-server-side-encryption absent)"
            ),
            "the multipart path too"
        );
    }
    assert!(!out.stdout.contains("encrypted"), "{}", out.stdout);
    let kms = run(
        &fake,
        &["encrypt", "bkt", "--only", "a", "--kms-key-id", KEY_ARN],
    )
    .await;
    assert_eq!(
        record_line(&kms, "a"),
        "✘ a: error: copied, but not confirmed: S3's answer does not confirm SSE-KMS (x-amz-server-side-encryption absent)"
    );
    let key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // 32 bytes, base64
    let sse_c = run(
        &fake,
        &["encrypt", "bkt", "--only", "a", "--customer-key", key],
    )
    .await;
    assert_eq!(
        record_line(&sse_c, "a"),
        "✘ a: error: copied, but not confirmed: S3's answer does not confirm SSE-C with this key (x-amz-server-side-encryption-customer-algorithm absent, -key-MD5 absent)"
    );
    assert!(!sse_c.stdout.contains(key) && !sse_c.stderr.contains(key));
    // A faithful store's answers confirm the same copies.
    fake.bucket(
        "good",
        FakeBucket::new("us-east-1")
            .ownership("BucketOwnerEnforced")
            .object("a", FakeObject::new(1))
            .object("big", FakeObject::new(6 * GIB)),
    );
    let good = run(&fake, &["encrypt", "good", "--kms-key-id", KEY_ARN]).await;
    good.expect_success();
    assert_eq!(
        record_line(&good, "big"),
        format!("✔ big: encrypted: not encrypted → SSE-KMS ({KEY_ARN})")
    );
}

#[tokio::test]
async fn a_concurrent_overwrite_on_a_store_that_ignores_conditions_is_an_error() {
    let fake = FakeS3::start().await;
    let ignores_conditions = Ignores {
        conditions: true,
        ..Ignores::default()
    };
    fake.bucket(
        "plain",
        FakeBucket::new("us-east-1")
            .ownership("BucketOwnerEnforced")
            .ignoring(ignores_conditions)
            .object("busy", FakeObject::new(1))
            .object("quiet", FakeObject::new(1))
            .concurrent_write("busy"),
    );
    let out = run(&fake, &["encrypt", "plain"]).await;
    out.assert_code_because(
        3,
        "an object that could not be changed, or whose change S3 did not confirm, is incomplete",
    );
    let busy = record_line(&out, "busy");
    assert!(
        busy.starts_with("✘ busy: error: copied, but not confirmed: the copy's ETag ")
            && busy.ends_with(
                ", the ETag the copy was conditioned on: the object changed during the copy and the endpoint ignored the condition"
            ),
        "{busy}"
    );
    assert_eq!(
        record_line(&out, "quiet"),
        "✔ quiet: encrypted: not encrypted → SSE-S3"
    );
    // Versioned: the version S3 says it copied is not the one decided on.
    fake.bucket(
        "versioned",
        FakeBucket::new("us-east-1")
            .ownership("BucketOwnerEnforced")
            .versioning("Enabled")
            .ignoring(ignores_conditions)
            .object("busy", FakeObject::new(1))
            .concurrent_write("busy"),
    );
    let out = run(&fake, &["encrypt", "versioned", "--kms-key-id", KEY_ARN]).await;
    out.assert_code_because(3, "S3 did not confirm the change");
    let busy = record_line(&out, "busy");
    assert!(
        busy.starts_with("✘ busy: error: copied, but not confirmed: S3 copied version v")
            && busy.contains(", not version v"),
        "{busy}"
    );
}

#[tokio::test]
async fn reset_object_acl_reads_the_acl_back() {
    let fake = FakeS3::start().await;
    open_account(&fake);
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1")
            .ignoring(Ignores {
                acl_writes: true,
                ..Ignores::default()
            })
            .object("public", FakeObject::new(1).grant_all_users("READ")),
    );
    let out = run(&fake, &["reset-object-acl", "bkt"]).await;
    out.assert_code_because(
        3,
        "an object that could not be changed, or whose change S3 did not confirm, is incomplete",
    );
    assert_eq!(
        record_line(&out, "public"),
        "✘ public: error: S3 accepted private, but the ACL read back is public-read"
    );
    assert_eq!(
        object_requests(&fake, "GET", "acl").await,
        2,
        "read before, and back after"
    );
}

#[tokio::test]
async fn encrypt_copies_objects_over_5_gib_in_parts_and_aborts_on_failure() {
    let fake = FakeS3::start().await;
    let big = FakeObject::new(6 * GIB + 17)
        .content_type("video/mp4")
        .meta("camera", "7")
        .tag("project", "x/y")
        .storage_class("INTELLIGENT_TIERING")
        .redirect("/v.html");
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1")
            .ownership("BucketOwnerEnforced")
            .object("video.mp4", big.clone())
            .object("broken.mp4", big.clone())
            .object_fault("UploadPartCopy", 500, "InternalError", 14, 1),
    );
    let out = run(&fake, &["encrypt", "bkt", "--only", "video.mp4"]).await;
    out.expect_success();
    let after = fake.object("bkt", "video.mp4").unwrap();
    assert_eq!(after.sse.as_deref(), Some("AES256"));
    assert_eq!(kept(&after), kept(&big));
    assert!(
        after.etag.ends_with("-13"),
        "13 parts of 512 MiB: {}",
        after.etag
    );
    assert_eq!(object_requests(&fake, "PUT", "partNumber=").await, 13);
    assert_eq!(
        fake.count_with_header("x-amz-copy-source-if-match").await,
        13,
        "every part is conditional"
    );
    assert_eq!(fake.open_uploads("bkt"), 0);

    let out = run(&fake, &["encrypt", "bkt", "--only", "broken.mp4"]).await;
    out.assert_code_because(
        3,
        "an object that could not be changed, or whose change S3 did not confirm, is incomplete",
    );
    assert!(
        out.stdout
            .contains("✘ broken.mp4: error: UploadPartCopy failed: InternalError (HTTP 500)"),
        "{}",
        out.stdout
    );
    assert_eq!(fake.open_uploads("bkt"), 0, "the failed upload was aborted");
    assert_eq!(object_requests(&fake, "DELETE", "uploadId=").await, 1);
    let mut unchanged = big;
    unchanged.version_id = "null".into();
    assert_eq!(fake.object("bkt", "broken.mp4").unwrap(), unchanged);
}

#[tokio::test]
async fn encrypt_with_a_customer_key_never_shows_it() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1")
            .ownership("BucketOwnerEnforced")
            .object("a", FakeObject::new(1).meta("m", "1"))
            .object("b", FakeObject::new(1)),
    );
    let key = "k3y-0f-exactly-thirty-two-bytes";
    let key = format!("{key}!");
    assert_eq!(key.len(), 32);
    let dir = TempDir::new("ssec");
    std::fs::write(dir.0.join("key"), format!("{}\n", base64_of(&key))).unwrap();
    let key_file = dir.path("key");
    let env = [("S3TK_SSE_C_KEY", key.as_str())];
    let outputs = [
        run_env(
            &fake,
            &[
                "encrypt",
                "bkt",
                "--customer-key-env",
                "S3TK_SSE_C_KEY",
                "--dry-run",
            ],
            &env,
        )
        .await,
        run_env(
            &fake,
            &[
                "encrypt",
                "bkt",
                "--customer-key-file",
                &key_file,
                "--format",
                "json",
            ],
            &env,
        )
        .await,
        run_env(&fake, &["encrypt", "bkt", "--customer-key", &key], &env).await,
        run_env(
            &fake,
            &["encrypt", "bkt", "--customer-key", "too-short-but-secret"],
            &env,
        )
        .await,
        run_env(
            &fake,
            &[
                "encrypt",
                "bkt",
                "--customer-key",
                &key,
                "--kms-key-id",
                KEY_ARN,
            ],
            &env,
        )
        .await,
    ];
    for out in &outputs {
        for secret in [key.as_str(), &base64_of(&key), "too-short-but-secret"] {
            assert!(
                !out.stdout.contains(secret) && !out.stderr.contains(secret),
                "key printed:\n{}\n{}",
                out.stdout,
                out.stderr
            );
        }
    }
    outputs[0].expect_success();
    assert!(
        outputs[0]
            .stdout
            .contains("~ a: would encrypt: not encrypted → SSE-C\n"),
        "{}",
        outputs[0].stdout
    );
    outputs[1].expect_success();
    let a = fake.object("bkt", "a").unwrap();
    assert!(a.customer_key_md5.is_some() && a.sse.is_none());
    assert_eq!(a.metadata.get("m").map(String::as_str), Some("1"));
    assert!(
        outputs[2]
            .stdout
            .contains("✔ a: already encrypted: already SSE-C with this key\n"),
        "{}",
        outputs[2].stdout
    );
    outputs[3].assert_code(2);
    outputs[4].assert_code_because(2, "one encryption at a time");
    // Another key: S3 refuses the HEAD with 403; the object is left alone.
    let other = run_env(
        &fake,
        &[
            "encrypt",
            "bkt",
            "--customer-key",
            "another-key-of-thirty-two-bytes!",
        ],
        &[],
    )
    .await;
    assert!(
        other
            .stdout
            .contains("✔ a: kept: SSE-C with a different customer key; not changed\n"),
        "{}",
        other.stdout
    );
    let plain_http = s3tk_env(
        &[
            "--endpoint-url",
            "http://s3.internal.example:9000",
            "encrypt",
            "bkt",
            "--customer-key",
            &key,
        ],
        &[],
    )
    .await;
    plain_http.assert_code(2);
    assert!(
        plain_http
            .stderr
            .contains("refusing to send an SSE-C key over plain HTTP"),
        "{}",
        plain_http.stderr
    );
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[tokio::test]
async fn encrypt_after_completion_copies_nothing_and_a_dry_run_only_reads_heads() {
    let fake = FakeS3::start().await;
    let mut bucket = FakeBucket::new("us-east-1").ownership("BucketOwnerEnforced");
    for i in 0..25 {
        bucket = bucket.object(&format!("k{i:02}"), FakeObject::new(i));
    }
    fake.bucket("bkt", bucket).object_page_size(10);
    let dry = run(&fake, &["encrypt", "bkt", "--dry-run"]).await;
    dry.expect_success();
    assert!(
        dry.stdout.ends_with("\nSummary\nwould encrypt: 25\n"),
        "{}",
        dry.stdout
    );
    let methods: Vec<String> = object_calls(&fake)
        .await
        .iter()
        .map(|r| r.split(' ').next().unwrap().to_owned())
        .collect();
    assert_eq!(methods.len(), 25);
    assert!(methods.iter().all(|m| m == "HEAD"), "{methods:?}");
    let out = run(&fake, &["encrypt", "bkt"]).await;
    out.expect_success();
    assert_eq!(fake.count_with_header("x-amz-copy-source").await, 25);
    let again = run(&fake, &["encrypt", "bkt"]).await;
    again.expect_success();
    assert!(
        again.stdout.ends_with("\nSummary\nalready encrypted: 25\n"),
        "{}",
        again.stdout
    );
    assert_eq!(
        fake.count_with_header("x-amz-copy-source").await,
        25,
        "the re-run copies nothing"
    );
}

#[tokio::test]
async fn throttled_requests_are_retried_and_no_object_is_missed() {
    let fake = FakeS3::start().await;
    let mut bucket = FakeBucket::new("us-east-1")
        .ownership("BucketOwnerEnforced")
        // At most two throttles per operation: with three attempts, no key can run out of them
        // however the requests interleave.
        .object_fault("HeadObject", 503, "SlowDown", 0, 2)
        .object_fault("CopyObject", 503, "SlowDown", 3, 2)
        .object_fault("ListObjectsV2", 503, "SlowDown", 2, 1);
    for i in 0..20 {
        bucket = bucket.object(&format!("k{i:02}"), FakeObject::new(1));
    }
    fake.bucket("bkt", bucket).object_page_size(4);
    let out = run_env(
        &fake,
        &["encrypt", "bkt", "--format", "json"],
        &[("AWS_MAX_ATTEMPTS", "3"), ("AWS_RETRY_MODE", "standard")],
    )
    .await;
    out.expect_success();
    let (records, summary) = json_lines(&out);
    assert_eq!(records.len(), 20);
    assert_eq!(summary["results"]["encrypted"], 20);
    assert_eq!(summary["listed"], 20);
    for i in 0..20 {
        assert!(
            fake.object("bkt", &format!("k{i:02}"))
                .unwrap()
                .is_encrypted()
        );
    }
}

#[tokio::test]
async fn encrypt_skips_archived_objects_and_public_acls_it_could_not_re_apply() {
    let fake = FakeS3::start().await;
    let mut restored = FakeObject::new(1).storage_class("GLACIER");
    restored.restored = true;
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1")
            .block(PublicAccessBlock {
                block_public_acls: true,
                ..Default::default()
            })
            .object("frozen", FakeObject::new(1).storage_class("DEEP_ARCHIVE"))
            .object("thawed", restored)
            .object("public", FakeObject::new(1).grant_all_users("READ"))
            .object(
                "shared",
                FakeObject::new(1).grant_user(OTHER_ACCOUNT, "READ"),
            ),
    );
    fake.account_block(None);
    let out = run(&fake, &["encrypt", "bkt"]).await;
    out.assert_code_because(1, "skipped objects are still unencrypted");
    assert!(
        out.stdout
            .contains("- frozen: skipped: in archive storage (DEEP_ARCHIVE); restore it first\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("- public: skipped: its ACL is public (AllUsers READ) and bucket-level BlockPublicAcls would refuse it on the copy"), "{}", out.stdout);
    assert!(out.stdout.contains("✔ thawed: encrypted"));
    assert_eq!(
        fake.object("bkt", "thawed")
            .unwrap()
            .storage_class
            .as_deref(),
        Some("GLACIER")
    );
    let shared = fake.object("bkt", "shared").unwrap();
    assert!(shared.is_encrypted());
    assert_eq!(
        shared.grants.len(),
        1,
        "the grant to the other account is kept: {:?}",
        shared.grants
    );
    assert!(fake.object("bkt", "public").unwrap().sse.is_none());
}

#[tokio::test]
async fn delete_unencrypted_versions_removes_only_unencrypted_noncurrent_versions() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1")
            .versioning("Enabled")
            .ownership("BucketOwnerEnforced")
            // a: plaintext v1 (noncurrent), encrypted v2 (current)
            .object("a", FakeObject::new(1))
            .object("a", FakeObject::new(1).sse("AES256", None))
            // b: encrypted v1 (noncurrent), plaintext current: never deleted
            .object("b", FakeObject::new(1).sse("aws:kms", Some(KEY_ARN)))
            .object("b", FakeObject::new(1))
            // c: plaintext v1 and v2 noncurrent under Object Lock / SSE-C, current plaintext
            .object(
                "c",
                FakeObject::new(1).retention("GOVERNANCE", "2099-01-01T00:00:00Z"),
            )
            .object("c", FakeObject::new(1).customer_key("bWQ1LW9mLXRoZS1rZXk="))
            .object("c", FakeObject::new(1))
            // d: plaintext v1 (noncurrent) under an SSE-C current version, which HeadObject
            // refuses without its key
            .object("d", FakeObject::new(1))
            .object("d", FakeObject::new(1).customer_key("bWQ1LW9mLXRoZS1rZXk="))
            // e: plaintext v1 (noncurrent) under a delete marker
            .object("e", FakeObject::new(1))
            .object(
                "e",
                FakeObject {
                    delete_marker: true,
                    ..FakeObject::new(0)
                },
            ),
    );
    let versions = |key: &str| fake.versions("bkt", key);
    let a_plain = versions("a")[0].version_id.clone();
    let dry = run(
        &fake,
        &[
            "delete-unencrypted-versions",
            "bkt",
            "--dry-run",
            "--format",
            "json",
        ],
    )
    .await;
    dry.expect_success();
    let (records, _) = json_lines(&dry);
    let mut would: Vec<(&str, &str)> = records
        .iter()
        .filter(|r| r["result"] == "would delete")
        .map(|r| {
            (
                r["key"].as_str().unwrap(),
                r["version_id"].as_str().unwrap(),
            )
        })
        .collect();
    would.sort();
    assert_eq!(
        would,
        [
            ("a", a_plain.as_str()),
            ("c", versions("c")[0].version_id.as_str()),
            ("d", versions("d")[0].version_id.as_str()),
            ("e", versions("e")[0].version_id.as_str()),
        ]
    );
    assert!(
        records
            .iter()
            .all(|r| r["key"] != "b" || r["result"] == "encrypted"),
        "{records:?}"
    );
    assert_eq!(object_requests(&fake, "DELETE", "").await, 0);
    assert_eq!(
        object_requests(&fake, "GET", "").await,
        0,
        "no object body is downloaded"
    );

    let out = run(&fake, &["delete-unencrypted-versions", "bkt"]).await;
    out.assert_code_because(3, "the locked version could not be deleted");
    assert!(
        out.stdout.contains(&format!(
            "✔ a (version {a_plain}): deleted: not encrypted\n"
        )),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("✘ c (version "), "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "access denied to DeleteObject (version): the caller needs s3:DeleteObjectVersion"
        ),
        "{}",
        out.stdout
    );
    assert_eq!(versions("a").len(), 1);
    assert!(versions("a")[0].is_encrypted(), "the current version stays");
    assert_eq!(versions("b").len(), 2, "nothing of b is deleted");
    assert_eq!(versions("c").len(), 3);
    assert_eq!(versions("d").len(), 1);
    assert!(versions("d")[0].customer_key_md5.is_some());
    assert_eq!(versions("e").len(), 1);
    assert!(versions("e")[0].delete_marker, "the delete marker stays");
}

#[tokio::test]
async fn delete_unencrypted_versions_checks_the_bucket_first() {
    let fake = FakeS3::start().await;
    let mut mfa = FakeBucket::new("us-east-1").versioning("Enabled");
    mfa.mfa_delete = Some(true);
    fake.bucket(
        "never",
        FakeBucket::new("us-east-1").object("a", FakeObject::new(1)),
    )
    .bucket(
        "mfa",
        mfa.object("a", FakeObject::new(1))
            .object("a", FakeObject::new(1)),
    );
    let out = run(&fake, &["delete-unencrypted-versions", "never"]).await;
    out.expect_success();
    assert_eq!(
        out.stdout,
        "versioning has never been enabled on never: it has no noncurrent versions\n"
    );
    let out = run(&fake, &["delete-unencrypted-versions", "mfa"]).await;
    out.assert_code(1);
    assert!(
        out.stderr
            .starts_with("error: MFA delete is enabled on mfa"),
        "{}",
        out.stderr
    );
    let dry = run(&fake, &["delete-unencrypted-versions", "mfa", "--dry-run"]).await;
    dry.expect_success();
    assert!(dry.stdout.contains("would delete"), "{}", dry.stdout);
}

#[tokio::test]
async fn listing_failures_and_missing_buckets_are_reported() {
    let fake = FakeS3::start().await;
    let mut bucket = FakeBucket::new("us-east-1").ownership("BucketOwnerEnforced");
    for i in 0..6 {
        bucket = bucket.object(&format!("k{i}"), FakeObject::new(1));
    }
    fake.bucket(
        "bkt",
        bucket.object_fault("ListObjectsV2", 403, "AccessDenied", 1, 10),
    )
    .object_page_size(2);
    let out = run(&fake, &["encrypt", "bkt"]).await;
    out.assert_code_because(3, "the listing stopped");
    assert!(
        out.stdout.ends_with("\nSummary\nencrypted: 2\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("error: the listing stopped after 2 keys: access denied to ListObjectsV2: the caller needs s3:ListBucket"),
        "{}",
        out.stderr
    );
    let missing = run(&fake, &["scan-object-acl", "nope"]).await;
    missing.assert_code(3);
    assert_eq!(
        missing.stderr,
        "error: nope: bucket does not exist (NoSuchBucket)\n"
    );
    let bad = run(&fake, &["encrypt", "s3://bkt"]).await;
    bad.assert_code(2);
}

#[tokio::test]
async fn a_large_synthetic_bucket_is_walked_completely_page_by_page() {
    let fake = FakeS3::start_unrecorded().await;
    let n = 2_500;
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1").synthetic(n, FakeObject::new(1).sse("AES256", None)),
    );
    fake.account_block(None);
    let out = run(
        &fake,
        &[
            "scan-object-acl",
            "bkt",
            "--format",
            "json",
            "--concurrency",
            "16",
        ],
    )
    .await;
    out.expect_success();
    let (records, summary) = json_lines(&out);
    assert_eq!(records.len(), n);
    let mut keys: Vec<&str> = records.iter().map(|r| r["key"].as_str().unwrap()).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), n, "each object once");
    assert_eq!(
        (
            summary["listed"].as_u64(),
            summary["results"]["private"].as_u64()
        ),
        (Some(n as u64), Some(n as u64))
    );
    // HeadBucket, the four bucket and account settings, three pages, one ACL per object.
    let per_run = fake.answered();
    assert!((n + 3..n + 12).contains(&per_run), "{per_run} requests");
    let only = run(
        &fake,
        &[
            "scan-object-acl",
            "bkt",
            "--only",
            "obj/000123*",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(json_lines(&only).0.len(), 10);
    assert!(
        fake.answered() - per_run < 30,
        "a narrow --only lists one page, not the bucket"
    );
}

#[tokio::test]
async fn an_interrupted_encrypt_leaves_every_object_whole_and_a_re_run_completes_it() {
    let fake = FakeS3::start().await;
    let mut bucket = FakeBucket::new("us-east-1").ownership("BucketOwnerEnforced");
    for i in 0..60 {
        bucket = bucket.object(
            &format!("k{i:02}"),
            FakeObject::new(1).meta("n", &i.to_string()),
        );
    }
    // Small pages: the listing runs ahead and waits on the full channel when Ctrl-C comes.
    fake.bucket("bkt", bucket)
        .object_page_size(3)
        .latency(std::time::Duration::from_millis(40));
    let uri = fake.uri();
    let child = s3tk_command(
        &[
            "--endpoint-url",
            &uri,
            "encrypt",
            "bkt",
            "--concurrency",
            "4",
        ],
        &[],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    ctrl_c(&child);
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted: finishing the objects in flight"),
        "{stderr}"
    );
    let copied = fake.count_with_header("x-amz-copy-source").await;
    assert!(
        (1..60).contains(&copied),
        "stopped part-way: {copied} copies"
    );
    let mut encrypted = 0;
    for i in 0..60 {
        let o = fake.object("bkt", &format!("k{i:02}")).unwrap();
        assert_eq!(o.metadata["n"], i.to_string(), "no object lost or damaged");
        encrypted += usize::from(o.is_encrypted());
    }
    assert_eq!(encrypted, copied, "every started copy finished");
    fake.latency(std::time::Duration::ZERO);
    let again = run(&fake, &["encrypt", "bkt"]).await;
    again.expect_success();
    assert_eq!(
        fake.count_with_header("x-amz-copy-source").await,
        60,
        "each object copied once in all"
    );
}

#[tokio::test]
async fn a_second_ctrl_c_quits_at_once_without_cutting_a_record() {
    use tokio::io::AsyncReadExt;
    let fake = FakeS3::start_unrecorded().await;
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1")
            .ownership("BucketOwnerEnforced")
            .synthetic(20_000, FakeObject::new(1)),
    )
    // Slow answers: copies in flight, which a first Ctrl-C lets finish, are still out when the
    // second comes.
    .latency(std::time::Duration::from_millis(1000));
    let uri = fake.uri();
    let mut child = s3tk_command(
        &["--endpoint-url", &uri, "encrypt", "bkt", "--format", "json"],
        &[],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    // The output buffer has been written out once: its end falls inside a record.
    let mut stdout = child.stdout.take().unwrap();
    let mut printed = vec![0; 4096];
    let n = stdout.read(&mut printed).await.unwrap();
    printed.truncate(n);
    for _ in 0..2 {
        ctrl_c(&child);
        // As a person presses twice: a debug build can be busy parsing a listing page for
        // tens of milliseconds, and two signals before the first is handled count as one.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    stdout.read_to_end(&mut printed).await.unwrap();
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "expected exit 130 after Ctrl-C; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(printed).unwrap();
    assert!(printed.ends_with('\n'), "the last record is whole");
    for line in printed.lines() {
        let record: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("a cut record ({e}): {line}"));
        assert_eq!(record["type"], "object");
    }
}

#[tokio::test]
async fn closing_stdout_stops_the_walk() {
    use tokio::io::AsyncBufReadExt;
    let fake = FakeS3::start_unrecorded().await;
    fake.account_block(None);
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1").synthetic(20_000, FakeObject::new(1)),
    )
    .latency(std::time::Duration::from_millis(5));
    let uri = fake.uri();
    let mut child = s3tk_command(&["--endpoint-url", &uri, "scan-object-acl", "bkt"], &[])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(
        lines
            .next_line()
            .await
            .unwrap()
            .unwrap()
            .ends_with(": private")
    );
    drop(lines); // like `| head -1`
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), child.wait())
        .await
        .expect("s3tk stops once nobody reads its output")
        .unwrap();
    assert_eq!(status.code(), Some(0), "a closed pipe is not an error");
    assert!(
        fake.answered() < 15_000,
        "it stopped early: {} requests",
        fake.answered()
    );
}

/// An Object Lock bucket with a retained object, one under legal hold and a plain one.
fn locked_bucket() -> FakeBucket {
    FakeBucket::new("us-east-1")
        .versioning("Enabled")
        .ownership("BucketOwnerEnforced")
        .object_lock(None)
        .object(
            "retained",
            FakeObject::new(1).retention("GOVERNANCE", "2099-01-01T00:00:00Z"),
        )
        .object("held", FakeObject::new(1).legal_hold("ON"))
        .object("plain", FakeObject::new(1))
}

#[tokio::test]
async fn encrypt_keeps_object_lock_settings_read_explicitly_where_head_may_hide_them() {
    let fake = FakeS3::start().await;
    fake.bucket("bkt", locked_bucket());
    let out = run(&fake, &["encrypt", "bkt"]).await;
    out.expect_success();
    assert!(
        out.stdout.ends_with("\nSummary\nencrypted: 3\n"),
        "{}",
        out.stdout
    );
    let retained = fake.object("bkt", "retained").unwrap();
    assert!(retained.is_encrypted());
    assert_eq!(retained.lock_mode.as_deref(), Some("GOVERNANCE"));
    assert_eq!(retained.lock_until.as_deref(), Some("2099-01-01T00:00:00Z"));
    assert_eq!(
        fake.object("bkt", "held").unwrap().legal_hold.as_deref(),
        Some("ON")
    );
    // A HEAD without lock headers is not proof of no lock: what it did not show is read.
    assert_eq!(
        object_requests(&fake, "GET", "retention").await,
        2,
        "held and plain"
    );
    assert_eq!(
        object_requests(&fake, "GET", "legal-hold").await,
        2,
        "retained and plain"
    );

    // Without Object Lock on the bucket, HEAD says it all: no extra reads.
    let unlocked = FakeS3::start().await;
    unlocked.bucket(
        "bkt",
        FakeBucket::new("us-east-1")
            .ownership("BucketOwnerEnforced")
            .object("plain", FakeObject::new(1)),
    );
    let out = run(&unlocked, &["encrypt", "bkt"]).await;
    out.expect_success();
    assert_eq!(object_requests(&unlocked, "GET", "retention").await, 0);
    assert_eq!(object_requests(&unlocked, "GET", "legal-hold").await, 0);
}

#[tokio::test]
async fn encrypt_refuses_objects_whose_object_lock_settings_it_may_not_read() {
    for (denied, what) in [
        ("s3:GetObjectRetention", "retention"),
        ("s3:GetObjectLegalHold", "legal hold"),
    ] {
        for extra in [&[][..], &["--dry-run"][..]] {
            let fake = FakeS3::start().await;
            // S3 leaves the headers out of HeadObject for such a caller, and refuses the Get.
            fake.bucket("bkt", locked_bucket().deny_object_action(denied));
            let mut args = vec!["encrypt", "bkt", "--format", "json"];
            args.extend_from_slice(extra);
            let out = run(&fake, &args).await;
            out.assert_code_because(3, format_args!("{denied} {extra:?}"));
            let (records, _) = json_lines(&out);
            assert_eq!(records.len(), 3);
            for r in &records {
                assert_eq!(r["status"], "error", "{denied}: {r}");
                let detail = r["detail"].as_str().unwrap();
                assert!(
                    detail.starts_with(&format!(
                        "not copied: its Object Lock {what} could not be read to keep it"
                    )) && detail.contains(&format!("the caller needs {denied}")),
                    "{detail}"
                );
            }
            assert_eq!(fake.count_with_header("x-amz-copy-source").await, 0);
            assert!(!fake.object("bkt", "retained").unwrap().is_encrypted());
        }
    }
}

#[tokio::test]
async fn encrypt_reads_object_lock_settings_when_the_buckets_configuration_is_unreadable() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "bkt",
        locked_bucket()
            .fault("object-lock", 403, "AccessDenied")
            .deny_object_action("s3:GetObjectRetention"),
    );
    let out = run(&fake, &["encrypt", "bkt", "--format", "json"]).await;
    out.assert_code_because(
        3,
        "an object that could not be changed, or whose change S3 did not confirm, is incomplete",
    );
    assert!(
        out.stderr.contains(
            "note: could not read the Object Lock configuration (access denied to GetObjectLockConfiguration"
        ),
        "{}",
        out.stderr
    );
    let (records, _) = json_lines(&out);
    assert!(
        records.iter().all(|r| r["status"] == "error"),
        "{records:?}"
    );
    assert_eq!(fake.count_with_header("x-amz-copy-source").await, 0);
}
