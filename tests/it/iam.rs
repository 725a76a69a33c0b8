//! `s3tk iam-policy`: scoping to buckets, the role and the key, input checked before anything,
//! and every generated policy linted with parliament (the tools virtualenv has it pinned).

use crate::support::{s3tk_env, tools_python};
use serde_json::{Value, json};

const ROLE: &str = "arn:aws:iam::111122223333:role/s3tk-batch";
const KEY: &str = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const TOPIC: &str = "arn:aws:sns:eu-west-1:111122223333:alerts";

async fn policy(args: &[&str]) -> Value {
    let mut all = vec!["iam-policy"];
    all.extend_from_slice(args);
    let run = s3tk_env(&all, &[]).await;
    run.assert_code_because(0, format_args!("{args:?}"));
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn statement<'a>(policy: &'a Value, sid: &str) -> &'a Value {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == sid)
        .unwrap_or_else(|| panic!("no {sid} in {policy:#}"))
}

#[tokio::test]
async fn iam_policy_scopes_buckets_the_role_and_the_key() {
    let policy = policy(&[
        "encrypt",
        "--bucket",
        "photos",
        "--bucket",
        "batch-reports",
        "--role-arn",
        ROLE,
        "--kms-key-id",
        KEY,
    ])
    .await;
    assert_eq!(
        statement(&policy, "S3tkEncryptBuckets")["Resource"],
        json!(["arn:aws:s3:::photos", "arn:aws:s3:::batch-reports"])
    );
    let objects = statement(&policy, "S3tkEncryptObjects");
    assert_eq!(
        objects["Resource"],
        json!(["arn:aws:s3:::photos/*", "arn:aws:s3:::batch-reports/*"])
    );
    for action in ["s3:GetObjectRetention", "s3:GetObjectLegalHold"] {
        assert!(
            objects["Action"]
                .as_array()
                .unwrap()
                .contains(&json!(action)),
            "{action}"
        );
    }
    let pass = statement(&policy, "S3tkEncryptPassRole");
    assert_eq!(pass["Resource"], ROLE);
    assert_eq!(
        pass["Condition"]["StringEquals"]["iam:PassedToService"],
        "batchoperations.s3.amazonaws.com"
    );
    let kms = statement(&policy, "S3tkEncryptKms");
    assert_eq!(kms["Action"], json!(["kms:Decrypt", "kms:GenerateDataKey"]));
    assert_eq!(kms["Resource"], KEY);
    assert_eq!(
        kms["Condition"]["StringLike"]["kms:ViaService"],
        "s3.*.amazonaws.com"
    );
    for s in policy["Statement"].as_array().unwrap() {
        if s["Resource"] == "*" {
            assert_eq!(s["Sid"], "S3tkEncryptAccount", "{s:#}");
        }
    }
}

#[tokio::test]
async fn iam_policy_refuses_bad_scopes_with_one_line() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["encrypt", "--bucket", "s3://photos"],
            "error: invalid --bucket 's3://photos': write the bucket name without 's3://' (e.g. 'photos')",
        ),
        (
            &["encrypt", "--bucket", "photos/2024"],
            "error: invalid --bucket 'photos/2024': bucket names cannot contain '/'",
        ),
        (
            &["encrypt", "--role-arn", "s3tk-batch"],
            "error: invalid --role-arn 's3tk-batch'",
        ),
        (
            &["encrypt", "--kms-key-id", "alias/s3"],
            "error: invalid --kms-key-id 'alias/s3': a policy names a key by its ARN",
        ),
        (
            &["scan", "--role-arn", ROLE],
            "error: --role-arn applies to the commands that create S3 Batch Operations jobs",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["iam-policy"];
        all.extend_from_slice(args);
        let run = s3tk_env(&all, &[]).await;
        run.assert_code_because(2, format_args!("{args:?}"));
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.stderr);
        assert!(run.stderr.starts_with(expected), "{args:?}: {}", run.stderr);
    }
}

/// Reads `{name: policy text}` on stdin, prints parliament's findings as JSON lines.
const LINT: &str = r#"
import json, sys, warnings
warnings.simplefilter("ignore")  # parliament imports pkg_resources, which warns
from parliament import analyze_policy_string
for name, text in json.load(sys.stdin).items():
    for f in analyze_policy_string(text).findings:
        print(json.dumps({"policy": name, "issue": f.issue, "detail": str(f.detail)}))
"#;

/// Every policy `iam-policy` prints (each command, with and without `--bucket`, with the role,
/// the key and the scan options) passes parliament: no finding, except the one parliament
/// raises for whoever may write a bucket policy or ACL, which is what those commands do.
#[tokio::test]
async fn generated_policies_pass_parliament() {
    let Some(python) = tools_python() else { return };
    let scoped = ["--bucket", "app", "--bucket", "logs"];
    let mut cases: Vec<Vec<&str>> = vec![vec![], scoped.to_vec()];
    for command in s3tk::iam::commands() {
        cases.push(vec![command]);
        cases.push([&[command][..], &scoped].concat());
        let actions = s3tk::iam::command_actions(command).unwrap();
        if actions.contains("iam:PassRole") {
            cases.push([&[command][..], &scoped, &["--role-arn", ROLE]].concat());
        }
        if actions.iter().any(|a| a.starts_with("kms:")) {
            cases.push([&[command][..], &scoped, &["--kms-key-id", KEY]].concat());
        }
    }
    let extras = [
        "scan",
        "--object-level-logging",
        "--sns-topic",
        TOPIC,
        "--role-name",
        "S3tkAudit",
    ];
    cases.push(extras.to_vec());
    cases.push([&extras[..], &scoped].concat());
    cases.push(vec!["scan", "--from-aws-config"]);
    cases.push(vec!["scan", "--aggregator", "org"]);
    let mut policies = serde_json::Map::new();
    for args in &cases {
        let text = serde_json::to_string_pretty(&policy(args).await).unwrap();
        policies.insert(format!("iam-policy {}", args.join(" ")), json!(text));
    }
    // A control: parliament must flag a policy that allows an object action on "*".
    policies.insert(
        "control".into(),
        json!(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#),
    );
    let mut child = std::process::Command::new(&python)
        .args(["-c", LINT])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the tools python runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(Value::Object(policies.clone()).to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "parliament failed (is it in the tools virtualenv?): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let findings: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        findings
            .iter()
            .any(|f| f["policy"] == "control" && f["issue"] == "RESOURCE_STAR"),
        "parliament did not flag the control policy: {findings:#?}"
    );
    let unexpected: Vec<&Value> = findings
        .iter()
        .filter(|f| f["policy"] != "control")
        .filter(|f| {
            // Whoever may write a bucket's policy or ACL can grant themselves any access to
            // it: parliament says so of set-policy, update-policy, disable-acls and
            // enable-logging, whose job is exactly that write.
            let policy = policies[f["policy"].as_str().unwrap()].as_str().unwrap();
            let inherent = ["s3:PutBucketPolicy", "s3:PutBucketAcl"].iter().any(|a| {
                f["detail"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("but does allow {a}"))
                    && policy.contains(&format!("\"{a}\""))
            });
            !(f["issue"] == "RESOURCE_POLICY_PRIVILEGE_ESCALATION" && inherent)
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "parliament findings: {unexpected:#?}"
    );
}
