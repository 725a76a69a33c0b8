//! The bucket-policy commands on the stateful fake: what list-policy prints, set-policy's
//! templates, refusals and dry runs, update-policy's edits that keep every other statement, and
//! delete-policy's printed copy.

use crate::fake_s3::{FakeBucket, FakeS3};
use crate::support::{Run, TempDir, s3tk};
use s3tk::policy::PolicyDocument;
use s3tk::policy::edit::same_statement;
use serde_json::Value;

/// A policy with a condition, an unknown field and a single-object Statement, as a partner
/// integration might have left it.
const CUSTOM: &str = r#"{"Version":"2012-10-17","Id":"partner-access","Statement":{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::bkt","arn:aws:s3:::bkt/*"],"Condition":{"IpAddress":{"aws:SourceIp":["192.0.2.0/24"]},"Bool":{"aws:SecureTransport":"true"}},"x-ticket":{"id":4711}}}"#;

async fn writes(fake: &FakeS3) -> Vec<String> {
    fake.requests()
        .await
        .into_iter()
        .filter(|r| r.starts_with("PUT") || r.starts_with("DELETE"))
        .collect()
}

fn stored(fake: &FakeS3, bucket: &str) -> Option<PolicyDocument> {
    fake.policy_of(bucket)
        .map(|p| PolicyDocument::parse(&p).expect("the fake stores valid policies"))
}

fn sids(doc: &PolicyDocument) -> Vec<String> {
    doc.statements()
        .iter()
        .map(|s| s.sid().unwrap_or("-").to_owned())
        .collect()
}

fn ok(run: &Run) {
    run.expect_success();
}

#[tokio::test]
async fn list_policy_prints_policies_labels_and_errors() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1").policy(CUSTOM, Some(false)),
    )
    .bucket("empty", FakeBucket::new("eu-west-1"))
    .bucket(
        "locked",
        FakeBucket::new("us-east-1").fault("policy", 403, "AccessDenied"),
    );
    let out = s3tk(&fake.uri(), &["list-policy"]).await;
    out.assert_code_because(3, "one policy could not be read");
    assert!(
        out.stdout.starts_with(
            "bkt\n{\n    \"Version\": \"2012-10-17\",\n    \"Id\": \"partner-access\","
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("\nempty\n  no policy\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("\nlocked\n  error: access denied to GetBucketPolicy: the caller needs s3:GetBucketPolicy\n"),
        "the listing goes on after a denial: {}",
        out.stdout
    );

    // One bucket with every named statement and a custom one.
    let all = [
        "--public",
        "--no-object-acl",
        "--public-uploads",
        "--no-uploads",
        "--encryption",
        "--secure-transport",
    ];
    fake.account_block(None);
    let mut args = vec!["set-policy", "named"];
    args.extend(all);
    fake.bucket("named", FakeBucket::new("us-east-1"));
    ok(&s3tk(&fake.uri(), &args).await);
    let doc = stored(&fake, "named")
        .unwrap()
        .with_statement(serde_json::json!({"Sid": "Mine", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::named/*"}));
    fake.bucket(
        "named",
        FakeBucket::new("us-east-1").policy(&doc.to_json_string(), Some(true)),
    );
    let named = s3tk(&fake.uri(), &["list-policy", "named", "--named"]).await;
    ok(&named);
    assert_eq!(
        named.stdout,
        "named\n  Public\n  No object ACL\n  Public uploads\n  No uploads\n  Encryption\n  Secure transport\n  Custom: statement \"Mine\" (#7)\n"
    );
    let json = s3tk(
        &fake.uri(),
        &["list-policy", "named", "empty", "--format", "json"],
    )
    .await;
    ok(&json);
    let entries: Value = serde_json::from_str(&json.stdout).unwrap();
    // Buckets in name order.
    assert_eq!(
        entries[0],
        serde_json::json!({"bucket": "empty", "policy": null})
    );
    assert_eq!(entries[1]["bucket"], "named");
    assert_eq!(entries[1]["public"], true);
    assert_eq!(entries[1]["statements"][4]["label"], "Encryption");
    assert_eq!(entries[1]["statements"][6]["label"], "Custom");
}

#[tokio::test]
async fn policy_text_cannot_rewrite_the_terminal_and_still_restores() {
    let fake = FakeS3::start().await;
    // A Sid with an escaped ESC, a raw CSI (U+009B) and a right-to-left override.
    let policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"x\\u001b[2K\u{9b}\u{202e}\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::bkt/*\"}]}";
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1").policy(policy, Some(false)),
    );
    let named = s3tk(&fake.uri(), &["list-policy", "bkt", "--named"]).await;
    named.expect_success();
    assert!(
        named.stdout.contains("x\\x1b[2K\\x9b\\u{202e}"),
        "{}",
        named.stdout
    );
    let full = s3tk(&fake.uri(), &["delete-policy", "bkt", "--dry-run"]).await;
    for out in [&named.stdout, &full.stdout] {
        assert!(
            !out.contains(['\x1b', '\u{9b}', '\u{202e}']),
            "nothing raw reaches the terminal: {out:?}"
        );
    }
    // What delete-policy prints to keep is the same policy.
    let printed: Value = serde_json::from_str(&full.stdout).unwrap();
    assert_eq!(printed, serde_json::from_str::<Value>(policy).unwrap());
}

#[tokio::test]
async fn set_policy_writes_named_statements_and_refuses_to_drop_others() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1").policy(CUSTOM, Some(false)),
    );
    let none = s3tk(&fake.uri(), &["set-policy", "bkt"]).await;
    none.assert_code(2);
    assert!(
        none.stderr.starts_with("error: no statements specified"),
        "{}",
        none.stderr
    );
    let kms_alone = s3tk(&fake.uri(), &["set-policy", "bkt", "--kms"]).await;
    kms_alone.assert_code_because(2, "--kms needs --encryption");

    let refused = s3tk(&fake.uri(), &["set-policy", "bkt", "--no-object-acl"]).await;
    refused.assert_code(1);
    assert_eq!(
        refused.stderr,
        "error: set-policy replaces the whole policy of bkt and would drop 1 statement(s): Custom: statement \"Partner\" (#1); use update-policy to add statements, or --force to drop them\n"
    );
    let dry = s3tk(
        &fake.uri(),
        &[
            "set-policy",
            "bkt",
            "--no-object-acl",
            "--force",
            "--dry-run",
        ],
    )
    .await;
    ok(&dry);
    assert!(
        dry.stdout
            .starts_with("bkt: would write this policy (- removed, + added):\n"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.contains("-     \"Id\": \"partner-access\",\n"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .contains("+             \"Sid\": \"NoObjectAcl\",\n"),
        "{}",
        dry.stdout
    );
    assert!(
        writes(&fake).await.is_empty(),
        "refusals and dry runs write nothing"
    );

    let forced = s3tk(
        &fake.uri(),
        &[
            "replace-policy",
            "bkt",
            "--no-object-acl",
            "--encryption",
            "--kms",
            "--secure-transport",
            "--force",
        ],
    )
    .await;
    ok(&forced);
    assert!(
        forced
            .stdout
            .ends_with("verified: the policy is in place, and it is not public\n"),
        "{}",
        forced.stdout
    );
    assert_eq!(
        sids(&stored(&fake, "bkt").unwrap()),
        ["NoObjectAcl", "Encryption", "SecureTransport"]
    );
    let again = s3tk(
        &fake.uri(),
        &[
            "set-policy",
            "bkt",
            "--no-object-acl",
            "--encryption",
            "--kms",
            "--secure-transport",
        ],
    )
    .await;
    ok(&again);
    assert_eq!(again.stdout, "bkt: already has this policy\n");
}

#[tokio::test]
async fn set_policy_respects_block_public_access_for_public_policies() {
    let fake = FakeS3::start().await; // the account-level block is on
    fake.bucket("bkt", FakeBucket::new("us-east-1"));
    let refused = s3tk(&fake.uri(), &["set-policy", "bkt", "--public"]).await;
    refused.assert_code(1);
    assert!(
        refused
            .stderr
            .contains("S3 would refuse this policy on bkt: it is public")
            && refused
                .stderr
                .contains("account-level BlockPublicPolicy is on"),
        "{}",
        refused.stderr
    );
    assert!(writes(&fake).await.is_empty());
    fake.account_block(None);
    let public = s3tk(&fake.uri(), &["set-policy", "bkt", "--public"]).await;
    ok(&public);
    assert!(
        public.stdout.contains(
            "verified: the policy is in place, and it is public: statement \"Public\" (#1)"
        ),
        "{}",
        public.stdout
    );
}

#[tokio::test]
async fn set_policy_takes_a_validated_policy_file() {
    let fake = FakeS3::start().await;
    fake.bucket("bkt", FakeBucket::new("us-east-1"));
    let dir = TempDir::new("policy-file");
    std::fs::write(
        dir.0.join("bad.json"),
        r#"{"Statement":[{"Sid":"A","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#,
    )
    .unwrap();
    std::fs::write(dir.0.join("not.json"), "{ not json").unwrap();
    std::fs::write(dir.0.join("good.json"), CUSTOM).unwrap();
    let bad = s3tk(
        &fake.uri(),
        &["set-policy", "bkt", "--policy-file", &dir.path("bad.json")],
    )
    .await;
    bad.assert_code(2);
    assert!(
        bad.stderr
            .ends_with("bad.json: statement \"A\" (#1) has no Effect\n"),
        "{}",
        bad.stderr
    );
    let not_json = s3tk(
        &fake.uri(),
        &["set-policy", "bkt", "--policy-file", &dir.path("not.json")],
    )
    .await;
    not_json.assert_code(2);
    assert!(
        not_json.stderr.contains("policy is not valid JSON"),
        "{}",
        not_json.stderr
    );
    assert!(
        fake.requests().await.is_empty(),
        "refused before any request"
    );
    let good = s3tk(
        &fake.uri(),
        &[
            "set-policy",
            "bkt",
            "--policy-file",
            &dir.path("good.json"),
            "--secure-transport",
        ],
    )
    .await;
    ok(&good);
    let doc = stored(&fake, "bkt").unwrap();
    assert_eq!(sids(&doc), ["Partner", "SecureTransport"]);
    assert_eq!(doc.json()["Id"], "partner-access");
}

#[tokio::test]
async fn update_policy_edits_named_statements_and_keeps_the_rest_byte_for_byte() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1").policy(CUSTOM, Some(false)),
    );
    let original = PolicyDocument::parse(CUSTOM).unwrap();
    let nothing = s3tk(&fake.uri(), &["update-policy", "bkt"]).await;
    nothing.assert_code(2);

    let dry = s3tk(
        &fake.uri(),
        &["update-policy", "bkt", "--encryption", "--dry-run"],
    )
    .await;
    ok(&dry);
    assert!(
        dry.stdout
            .contains("+             \"Sid\": \"Encryption\",\n"),
        "{}",
        dry.stdout
    );
    assert!(writes(&fake).await.is_empty());

    ok(&s3tk(
        &fake.uri(),
        &["update-policy", "bkt", "--encryption", "--no-object-acl"],
    )
    .await);
    let added = stored(&fake, "bkt").unwrap();
    assert_eq!(sids(&added), ["Partner", "NoObjectAcl", "Encryption"]);
    assert_eq!(
        serde_json::to_string(added.statements()[0].json).unwrap(),
        serde_json::to_string(original.statements()[0].json).unwrap(),
        "the custom statement is untouched, unknown field and all"
    );
    let up_to_date = s3tk(&fake.uri(), &["update-policy", "bkt", "--encryption"]).await;
    ok(&up_to_date);
    assert_eq!(
        up_to_date.stdout,
        "bkt: already up to date, nothing to change\n"
    );

    // Switching to aws:kms replaces the AES256 statement; removing puts the policy back.
    ok(&s3tk(
        &fake.uri(),
        &["update-policy", "bkt", "--encryption", "--kms"],
    )
    .await);
    assert_eq!(
        sids(&stored(&fake, "bkt").unwrap()),
        ["Partner", "NoObjectAcl", "Encryption"]
    );
    ok(&s3tk(
        &fake.uri(),
        &[
            "update-policy",
            "bkt",
            "--no-encryption",
            "--allow-object-acl",
        ],
    )
    .await);
    let back = stored(&fake, "bkt").unwrap();
    assert_eq!(back.json()["Id"], original.json()["Id"]);
    assert_eq!(back.statements().len(), 1);
    assert!(same_statement(
        back.statements()[0].json,
        original.statements()[0].json
    ));
    assert_eq!(back.statements()[0].json, original.statements()[0].json);

    // Only named statements: removing the last one deletes the policy.
    fake.bucket("only", FakeBucket::new("us-east-1"));
    ok(&s3tk(
        &fake.uri(),
        &["update-policy", "only", "--secure-transport"],
    )
    .await);
    let deleted = s3tk(
        &fake.uri(),
        &["update-policy", "only", "--no-secure-transport"],
    )
    .await;
    ok(&deleted);
    assert!(
        deleted
            .stdout
            .starts_with("only: deleted the policy, which had no statement left"),
        "{}",
        deleted.stdout
    );
    assert!(
        deleted
            .stdout
            .ends_with("verified: the bucket has no policy\n"),
        "{}",
        deleted.stdout
    );
    assert_eq!(fake.policy_of("only"), None);
}

#[tokio::test]
async fn malformed_policies_are_usage_errors_and_nothing_is_written() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "garbled",
        FakeBucket::new("us-east-1").policy("{ this is not json", None),
    )
    .bucket(
        "no-effect",
        FakeBucket::new("us-east-1").policy(
            r#"{"Statement":[{"Sid":"X","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#,
            None,
        ),
    );
    let garbled = s3tk(&fake.uri(), &["update-policy", "garbled", "--encryption"]).await;
    garbled.assert_code(2);
    assert!(garbled.stderr.starts_with("error: the current policy of garbled cannot be edited: GetBucketPolicy returned malformed data"), "{}", garbled.stderr);
    let no_effect = s3tk(&fake.uri(), &["update-policy", "no-effect", "--encryption"]).await;
    no_effect.assert_code(2);
    assert_eq!(
        no_effect.stderr,
        "error: the current policy of no-effect is malformed: statement \"X\" (#1) has no Effect; fix or delete it first\n"
    );
    assert!(writes(&fake).await.is_empty());
    // delete-policy removes even a policy it cannot print.
    let deleted = s3tk(&fake.uri(), &["delete-policy", "garbled"]).await;
    ok(&deleted);
    assert!(
        deleted.stderr.contains("cannot be printed for a restore"),
        "{}",
        deleted.stderr
    );
    assert_eq!(fake.policy_of("garbled"), None);
}

#[tokio::test]
async fn delete_policy_prints_the_policy_it_deletes() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1").policy(CUSTOM, Some(false)),
    )
    .bucket("empty", FakeBucket::new("us-east-1"));
    let dry = s3tk(&fake.uri(), &["delete-policy", "bkt", "--dry-run"]).await;
    ok(&dry);
    assert_eq!(dry.stderr, "bkt: would delete this policy:\n");
    assert!(fake.policy_of("bkt").is_some());
    let out = s3tk(&fake.uri(), &["delete-policy", "bkt"]).await;
    ok(&out);
    assert_eq!(fake.policy_of("bkt"), None);
    let printed = PolicyDocument::parse(&out.stdout).expect("stdout is the deleted policy alone");
    assert_eq!(
        printed,
        PolicyDocument::parse(CUSTOM).unwrap(),
        "restorable as printed"
    );
    assert!(
        out.stderr.contains("verified: the bucket has no policy"),
        "{}",
        out.stderr
    );
    let empty = s3tk(&fake.uri(), &["delete-policy", "empty"]).await;
    ok(&empty);
    assert_eq!(empty.stderr, "empty: no policy to delete\n");
}

/// The README's bucket-policy examples (in the `policy-example` blocks) are exactly what
/// set-policy writes with the option each is labelled with.
#[tokio::test]
async fn the_readme_policy_examples_are_what_set_policy_writes() {
    let readme = include_str!("../../README.md");
    let mut examples = 0;
    for part in readme.split("<!-- policy-example: ").skip(1) {
        let (options, rest) = part.split_once(" -->").unwrap();
        let json = rest
            .split_once("```json\n")
            .and_then(|(_, r)| r.split_once("```"))
            .map(|(j, _)| j)
            .expect("a json block follows the marker");
        let example = PolicyDocument::parse(json).expect("the example is a policy");
        let fake = FakeS3::start().await;
        fake.bucket("my-bucket", FakeBucket::new("us-east-1"));
        let mut args = vec!["set-policy", "my-bucket"];
        args.extend(options.split(' '));
        ok(&s3tk(&fake.uri(), &args).await);
        let written = stored(&fake, "my-bucket").unwrap();
        assert_eq!(
            written.statements().len(),
            example.statements().len(),
            "{options}"
        );
        for (w, e) in written.statements().iter().zip(example.statements()) {
            assert!(
                same_statement(w.json, e.json),
                "{options}: {:?} vs {:?}",
                w.json,
                e.json
            );
        }
        examples += 1;
    }
    assert!(
        examples >= 3,
        "found {examples} policy examples in the README"
    );
}

/// What serde_json would rewrite (an exponent, an integer beyond f64, escapes, odd whitespace),
/// in statements and at the top level (issue 13, item 8).
const ODD: &str = "{ \"Version\" : \"2012-10-17\",\n\t\"Id\":\"\\u0050artner\" ,\"Statement\" :[\n  {\"Sid\":\"\\u0041\", \"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:ListBucket\",\"Resource\":\"arn:aws:s3:::bkt\",\"Condition\":{\"NumericGreaterThan\":{\"s3:max-keys\":1e2},\"NumericEquals\":{\"x:n\":12345678901234567890123}}}\n ]\n}\n";

#[tokio::test]
async fn update_policy_sends_untouched_statements_byte_for_byte() {
    let fake = FakeS3::start().await;
    fake.bucket("bkt", FakeBucket::new("us-east-1").policy(ODD, Some(false)));
    let secure =
        serde_json::to_string(&s3tk::policy::edit::Named::SecureTransport.statement("bkt"))
            .unwrap();
    let expected = ODD.replace("}}}\n ]", &format!("}}}}}},{secure}\n ]"));

    // The dry run shows the document that will be sent, laid out for reading with every
    // token as written: the untouched lines are the stored ones.
    let dry = s3tk(
        &fake.uri(),
        &["update-policy", "bkt", "--secure-transport", "--dry-run"],
    )
    .await;
    ok(&dry);
    let pretty = |text: &str| PolicyDocument::parse(text).unwrap().to_pretty_string() + "\n";
    assert_eq!(
        dry.stdout,
        format!(
            "bkt: would write this policy (- removed, + added):\n{}",
            s3tk::policy::edit::diff_lines(&pretty(ODD), &pretty(&expected))
        )
    );
    for kept in [
        "      \"Id\": \"\\u0050artner\",\n",
        "              \"Sid\": \"\\u0041\",\n",
        "                      \"s3:max-keys\": 1e2\n",
        "                      \"x:n\": 12345678901234567890123\n",
    ] {
        assert!(dry.stdout.contains(kept), "{kept:?} in\n{}", dry.stdout);
    }
    assert!(
        !dry.stdout.contains("100.0") && !dry.stdout.contains("e+22"),
        "{}",
        dry.stdout
    );
    assert!(writes(&fake).await.is_empty());

    ok(&s3tk(&fake.uri(), &["update-policy", "bkt", "--secure-transport"]).await);
    assert_eq!(
        fake.policy_of("bkt").unwrap(),
        expected,
        "PutBucketPolicy body: the stored text plus one statement"
    );
    ok(&s3tk(
        &fake.uri(),
        &["update-policy", "bkt", "--no-secure-transport"],
    )
    .await);
    assert_eq!(
        fake.policy_of("bkt").unwrap(),
        ODD,
        "removing it again sends the original bytes"
    );
}

/// Policies S3 would refuse or that mean two things (issue 13, item 11): a byte order mark, a
/// key given twice, and over 20 KB, whether in the file or after the edit.
#[tokio::test]
async fn policies_s3_would_refuse_are_exit_2_and_nothing_is_written() {
    let fake = FakeS3::start().await;
    let dir = TempDir::new("refused-policies");
    let statement = |sid: &str| {
        format!(
            r#"{{"Sid":"{sid}","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::bkt/*"}}"#
        )
    };
    // A policy that fills the limit but for `room` bytes.
    let filled = |room: usize| {
        let base = format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            statement("")
        );
        let sid = "x".repeat(20_480 - room - base.len());
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            statement(&sid)
        )
    };
    std::fs::write(
        dir.0.join("bom.json"),
        format!("\u{feff}{}", filled(20_000)),
    )
    .unwrap();
    std::fs::write(
        dir.0.join("twice.json"),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}}]}"#,
    )
    .unwrap();
    std::fs::write(dir.0.join("full.json"), filled(100)).unwrap();
    let file = |name: &str| dir.path(name);
    for (args, message) in [
        (
            vec!["set-policy", "bkt", "--policy-file", &file("bom.json")],
            format!(
                "--policy-file {}: the policy starts with a UTF-8 byte order mark (BOM), which S3 refuses; save the file without it",
                file("bom.json")
            ),
        ),
        (
            vec!["set-policy", "bkt", "--policy-file", &file("twice.json")],
            format!(
                "--policy-file {}: the key \"IpAddress\" appears twice in Statement[0].Condition; JSON readers keep one or the other, so write it once",
                file("twice.json")
            ),
        ),
        (
            vec![
                "replace-policy",
                "bkt",
                "--policy-file",
                &file("full.json"),
                "--secure-transport",
            ],
            format!(
                "set-policy would write a policy S3 refuses to bkt: the policy is {} bytes; S3 accepts at most 20,480 (20 KB)",
                20_380
                    + 1
                    + serde_json::to_string(
                        &s3tk::policy::edit::Named::SecureTransport.statement("bkt")
                    )
                    .unwrap()
                    .len()
            ),
        ),
    ] {
        let run = s3tk(&fake.uri(), &args).await;
        assert_eq!(
            (run.code, run.stderr.as_str()),
            (2, format!("error: {message}\n").as_str()),
            "{args:?}"
        );
    }
    assert!(
        fake.requests().await.is_empty(),
        "refused before any request"
    );

    // Within the limit as stored, over it once the statement is added.
    fake.bucket(
        "bkt",
        FakeBucket::new("us-east-1").policy(&filled(100), Some(false)),
    );
    let run = s3tk(&fake.uri(), &["update-policy", "bkt", "--secure-transport"]).await;
    run.assert_code(2);
    assert!(
        run.stderr.starts_with(
            "error: update-policy would write a policy S3 refuses to bkt: the policy is "
        ) && run
            .stderr
            .ends_with(" bytes; S3 accepts at most 20,480 (20 KB)\n"),
        "{}",
        run.stderr
    );
    assert!(writes(&fake).await.is_empty());
    assert_eq!(fake.policy_of("bkt").unwrap(), filled(100));
}
