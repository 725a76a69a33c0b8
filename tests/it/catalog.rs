//! Every check of the catalog on the fake: a hardened bucket passes all of them (`scan.rs`),
//! and here each check fails on a bucket that breaks exactly its rule, and reports an error
//! when the facet it reads is denied.

use crate::fake_s3::{FakeBucket, FakeS3};
use crate::support::{finding, s3tk};
use s3tk::state::model::PublicAccessBlock;

const PUBLIC_READ: &str = r#"{"Statement":[{"Sid":"Open","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#;
const PUBLIC_WRITE: &str = r#"{"Statement":[{"Sid":"Drop","Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"*"}]}"#;
const PARTNER: &str = r#"{"Statement":[{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:GetObject","Resource":"*"}]}"#;

const ROLE: &str = "arn:aws:iam::123456789012:role/b";

/// Whether the command creates Batch Operations jobs (and so takes `iam-policy --role-arn`).
fn command_batches(command: &str) -> bool {
    s3tk::iam::command_actions(command).is_some_and(|a| a.contains("iam:PassRole"))
}

fn hardened(name: &str) -> FakeBucket {
    FakeBucket::hardened(name, "us-east-1")
}

/// (check, bucket that fails it, expected status, severity, message).
type Case = (
    &'static str,
    FakeBucket,
    &'static str,
    &'static str,
    &'static str,
);

fn cases_with_account_block() -> Vec<Case> {
    let mut no_lifecycle_at_all = hardened("no-lifecycle-at-all");
    no_lifecycle_at_all.lifecycle = None;
    let mut no_encryption = hardened("no-encryption");
    no_encryption.encryption = None;
    let mut no_logging = hardened("no-logging");
    no_logging.logging = None;
    let mut no_mfa = hardened("no-mfa");
    no_mfa.mfa_delete = false;
    let mut no_lock = hardened("no-lock");
    no_lock.object_lock = None;
    let mut no_lifecycle = hardened("no-lifecycle");
    no_lifecycle.lifecycle = None;
    let mut no_replication = hardened("no-replication");
    no_replication.replication = None;
    let mut no_events = hardened("no-events");
    no_events.event_bridge = false;
    vec![
        (
            "s3.bucket.acls-enabled",
            hardened("acls").ownership("ObjectWriter"),
            "fail",
            "medium",
            "ACLs are enabled (Object Ownership is ObjectWriter)",
        ),
        (
            "s3.bucket.bucket-key-disabled",
            hardened("no-bucket-key").encryption("aws:kms", None, false),
            "fail",
            "info",
            "SSE-KMS with the AWS managed key aws/s3 without an S3 Bucket Key: every object request calls KMS",
        ),
        (
            "s3.bucket.cross-account-access",
            hardened("partner").policy(PARTNER, Some(false)),
            "fail",
            "high",
            "statement \"Partner\" (#1) allows account 444455556666 to s3:GetObject",
        ),
        (
            "s3.bucket.default-encryption-disabled",
            no_encryption,
            "fail",
            "medium",
            "no default encryption is configured",
        ),
        (
            "s3.bucket.event-notifications-disabled",
            no_events,
            "fail",
            "info",
            "no event notifications are configured",
        ),
        (
            "s3.bucket.insecure-transport",
            hardened("http-ok").policy(PARTNER, Some(false)),
            "fail",
            "medium",
            "no policy statement denies requests where aws:SecureTransport is false",
        ),
        (
            "s3.bucket.kms-encryption-disabled",
            hardened("sse-s3").encryption("AES256", None, false),
            "fail",
            "low",
            "default encryption is SSE-S3 (AES256), not SSE-KMS",
        ),
        (
            "s3.bucket.lifecycle-missing",
            no_lifecycle_at_all,
            "fail",
            "info",
            "no lifecycle configuration",
        ),
        (
            "s3.bucket.logging-disabled",
            no_logging,
            "fail",
            "medium",
            "server access logging is disabled",
        ),
        (
            "s3.bucket.mfa-delete-disabled",
            no_mfa,
            "fail",
            "low",
            "MFA delete is disabled",
        ),
        (
            "s3.bucket.object-lock-disabled",
            no_lock,
            "fail",
            "info",
            "Object Lock is not enabled",
        ),
        (
            "s3.bucket.public-policy-read",
            hardened("policy-read").policy(PUBLIC_READ, Some(true)),
            "fail",
            "low",
            "policy allows public read access: statement \"Open\" (#1) allows Principal \"*\" (everyone) with no condition, currently blocked by account-level RestrictPublicBuckets",
        ),
        (
            "s3.bucket.public-policy-write",
            hardened("policy-write").policy(PUBLIC_WRITE, Some(true)),
            "fail",
            "low",
            "policy allows public write access: statement \"Drop\" (#1) allows Principal \"*\" (everyone) with no condition, currently blocked by account-level RestrictPublicBuckets",
        ),
        (
            "s3.bucket.replication-disabled",
            no_replication,
            "fail",
            "info",
            "no replication is configured",
        ),
        (
            "s3.bucket.unencrypted-uploads-allowed",
            hardened("plain-uploads").policy(PARTNER, Some(false)),
            "fail",
            "info",
            "no policy statement denies uploads without server-side encryption",
        ),
        (
            "s3.bucket.versioned-without-lifecycle",
            no_lifecycle,
            "fail",
            "low",
            "no enabled lifecycle rule (versioning is enabled)",
        ),
        (
            "s3.bucket.versioning-disabled",
            hardened("suspended").versioning("Suspended"),
            "fail",
            "medium",
            "versioning is suspended",
        ),
    ]
}

fn cases_without_account_block() -> Vec<Case> {
    let open_block = PublicAccessBlock {
        block_public_acls: true,
        ignore_public_acls: true,
        ..Default::default()
    };
    vec![
        (
            "s3.account.public-access-block-disabled",
            hardened("any"),
            "fail",
            "high",
            "the account has no Block Public Access configuration",
        ),
        (
            "s3.bucket.access-point-public-access-block-disabled",
            hardened("with-access-point").access_point("partners", open_block),
            "fail",
            "critical",
            "access point partners (Internet origin; BlockPublicPolicy, RestrictPublicBuckets off)",
        ),
        (
            "s3.bucket.public-access-block-disabled",
            hardened("half-blocked").block(open_block),
            "fail",
            "high",
            "BlockPublicPolicy, RestrictPublicBuckets off at both the bucket and the account level",
        ),
        (
            "s3.bucket.public-website",
            hardened("site")
                .block(PublicAccessBlock::default())
                .policy(PUBLIC_READ, Some(true))
                .website("index.html"),
            "fail",
            "high",
            "website hosting serves public content: policy allows public read access: statement \"Open\" (#1) allows Principal \"*\" (everyone) with no condition",
        ),
    ]
}

async fn run_cases(cases: Vec<Case>, account_block: Option<PublicAccessBlock>) {
    let fake = FakeS3::start().await;
    fake.account_block(account_block);
    let mut names = Vec::new();
    for (check, bucket, ..) in &cases {
        let name = format!("case-{}", check.rsplit('.').next().unwrap());
        fake.bucket(&name, bucket.clone());
        names.push(name);
    }
    let run = s3tk(&fake.uri(), &["scan", "--format", "json"]).await;
    let report = run.json();
    for ((check, _, status, severity, message), name) in cases.iter().zip(&names) {
        let bucket = if check.starts_with("s3.account.") {
            None
        } else {
            Some(name.as_str())
        };
        let found = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == *check && f["bucket"].as_str() == bucket)
            .unwrap_or_else(|| panic!("no finding for {check} on {name}"));
        assert_eq!(
            (
                found["status"].as_str().unwrap(),
                found["severity"].as_str().unwrap(),
                found["message"].as_str().unwrap()
            ),
            (*status, *severity, *message),
            "{check} on {name}"
        );
    }
}

#[tokio::test]
async fn every_bucket_check_fails_on_its_own_problem() {
    run_cases(cases_with_account_block(), Some(PublicAccessBlock::ALL_ON)).await;
}

#[tokio::test]
async fn account_level_checks_fail_without_the_account_block() {
    run_cases(cases_without_account_block(), None).await;
}

#[tokio::test]
async fn every_check_reports_a_denied_facet_as_an_error() {
    // Derived from the registry: for every bucket check and every bucket facet it declares, a
    // bucket whose facet is denied, scanned by that check alone. If the check read the facet,
    // its finding must say so: an error naming the IAM action, or (where it can judge without
    // it, like GetBucketPolicyStatus) a verdict that names it. A check that did not need the
    // facet for this bucket (a website check does not read the ACL of a bucket that hosts no
    // website) never asks for it.
    let mut scenarios = 0;
    let mut read = 0;
    let mut silent = Vec::new();
    for entry in s3tk::registry::checks() {
        if entry.meta.scope != s3tk::check::Scope::Bucket {
            continue;
        }
        for facet in entry.meta.facets {
            let Some(sub) = crate::fake_s3::subresource_of(*facet) else {
                continue;
            };
            scenarios += 1;
            let fake = FakeS3::start().await;
            fake.bucket("denied", hardened("denied").fault(sub, 403, "AccessDenied"));
            let run = s3tk(
                &fake.uri(),
                &[
                    "scan",
                    "--format",
                    "json",
                    "--object-level-logging",
                    "--checks",
                    entry.meta.id,
                ],
            )
            .await;
            if fake.count("denied", sub).await == 0 {
                continue;
            }
            read += 1;
            let (status, message) = finding(&run.json(), "denied", entry.meta.id);
            let needs = format!("the caller needs {}", facet.iam_actions().join(" and "));
            if !message.contains(&needs) {
                silent.push(format!(
                    "{} read {} and was denied, yet says: {status}: {message}",
                    entry.meta.id,
                    facet.operation()
                ));
            }
        }
    }
    assert!(
        scenarios > 30 && read > 20,
        "{scenarios} scenarios, {read} read"
    );
    assert!(
        silent.is_empty(),
        "a denied facet that a check read must be named in its finding:\n{}",
        silent.join("\n")
    );

    // The bucket-level block denied: an error, unless the account-level block covers the bucket.
    let fake = FakeS3::start().await;
    fake.account_block(None);
    fake.bucket(
        "no-block-read",
        hardened("no-block-read").fault("publicAccessBlock", 403, "AccessDenied"),
    );
    let run = s3tk(
        &fake.uri(),
        &[
            "scan",
            "--format",
            "json",
            "--checks",
            "s3.bucket.public-access-block-disabled",
        ],
    )
    .await;
    let (status, message) = finding(
        &run.json(),
        "no-block-read",
        "s3.bucket.public-access-block-disabled",
    );
    assert_eq!(status, "error");
    assert!(
        message.contains("the caller needs s3:GetBucketPublicAccessBlock"),
        "{message}"
    );
    let covered = run_scan_with_account_block(&fake).await;
    assert_eq!(
        finding(
            &covered,
            "no-block-read",
            "s3.bucket.public-access-block-disabled"
        )
        .0,
        "pass"
    );

    // S3 Control refused: the account check and the access-point check cannot be evaluated;
    // the bucket-level block check still can and says the account level is unknown.
    let fake = FakeS3::start().await;
    fake.control_fault(403, "AccessDenied")
        .bucket("any", hardened("any"));
    let run = s3tk(&fake.uri(), &["scan", "--format", "json"]).await;
    assert_eq!(run.code, 3);
    let report = run.json();
    let account = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "s3.account.public-access-block-disabled")
        .unwrap()
        .clone();
    assert_eq!(account["status"], "error");
    assert_eq!(
        account["message"],
        "could not evaluate: access denied to GetPublicAccessBlock (account): the caller needs s3:GetAccountPublicAccessBlock"
    );
    let (status, message) = finding(
        &report,
        "any",
        "s3.bucket.access-point-public-access-block-disabled",
    );
    assert_eq!(
        (status.as_str(), message.as_str()),
        (
            "error",
            "could not evaluate: access denied to ListAccessPoints/GetAccessPoint: the caller needs s3:ListAccessPoints and s3:GetAccessPoint"
        )
    );
    assert_eq!(
        finding(&report, "any", "s3.bucket.public-access-block-disabled").0,
        "pass",
        "the bucket level alone is fully on"
    );
}

#[tokio::test]
async fn trusted_accounts_are_not_findings() {
    let fake = FakeS3::start().await;
    fake.bucket("partner", hardened("partner").policy(PARTNER, Some(false)));
    let check = "s3.bucket.cross-account-access";
    let run = s3tk(
        &fake.uri(),
        &[
            "scan",
            "--format",
            "json",
            "--checks",
            check,
            "--trusted-account",
            "444455556666",
        ],
    )
    .await;
    assert_eq!(run.code, 0);
    assert_eq!(
        finding(&run.json(), "partner", check),
        (
            "pass".into(),
            "no statement grants access to an untrusted account".into()
        )
    );
}

async fn run_scan_with_account_block(fake: &FakeS3) -> serde_json::Value {
    fake.account_block(Some(PublicAccessBlock::ALL_ON));
    s3tk(
        &fake.uri(),
        &[
            "scan",
            "--format",
            "json",
            "--checks",
            "s3.bucket.public-access-block-disabled",
        ],
    )
    .await
    .json()
}

#[tokio::test]
async fn multi_region_access_points_need_the_block_and_are_listed_in_us_west_2() {
    let fake = FakeS3::start().await;
    let open = PublicAccessBlock {
        block_public_acls: true,
        ignore_public_acls: true,
        ..Default::default()
    };
    fake.multi_region_access_point("global", PublicAccessBlock::ALL_ON)
        .multi_region_access_point("legacy", open)
        .bucket("any", hardened("any"));
    let check = "s3.account.multi-region-access-point-public-access-block-disabled";
    let run = s3tk(
        &fake.uri(),
        &["scan", "--format", "json", "--checks", check],
    )
    .await;
    assert_eq!(run.code, 1);
    let finding = &run.json()["findings"][0];
    assert_eq!(
        finding["message"],
        "Multi-Region Access Point legacy (BlockPublicPolicy, RestrictPublicBuckets off)"
    );
    assert_eq!(finding["severity"], "high");
}

/// A bare bucket with one plain object, a log bucket, a DNS record and a trail: enough for
/// every command to send every kind of request it can.
pub async fn everything_fixture() -> FakeS3 {
    use crate::fake_s3::{FakeObject, FakeRecord, FakeTrail};
    let fake = FakeS3::start().await;
    fake.bucket(
        "app",
        FakeBucket::new("us-east-1")
            .object("a.txt", FakeObject::new(10).grant_all_users("READ"))
            .object("b.txt", FakeObject::new(10))
            .versioning("Enabled")
            // encrypt then reads each object's retention and legal hold too.
            .object_lock(None),
    )
    .bucket("logs", FakeBucket::new("us-east-1"))
    .job_state(
        "job-1",
        "<Status>Complete</Status><Priority>10</Priority><ProgressSummary><TotalNumberOfTasks>1</TotalNumberOfTasks><NumberOfTasksSucceeded>0</NumberOfTasksSucceeded><NumberOfTasksFailed>1</NumberOfTasksFailed></ProgressSummary><Report><Bucket>arn:aws:s3:::logs</Bucket><Format>Report_CSV_20180820</Format><Enabled>true</Enabled><ReportScope>AllTasks</ReportScope></Report>",
    )
    .file(
        "logs",
        "job-job-1/manifest.json",
        br#"{"Results":[{"TaskExecutionStatus":"failed","Bucket":"logs","Key":"job-job-1/results/r.csv"}]}"#.to_vec(),
    )
    .file("logs", "job-job-1/results/r.csv", b"app,a.txt,,failed,AccessDenied,403,denied\n".to_vec())
    .zone(
        "Z1",
        "example.com.",
        false,
        vec![FakeRecord::cname(
            "app.example.com.",
            "app.example.com.s3.amazonaws.com",
        )],
    )
    .trail(FakeTrail {
        name: "main".into(),
        home_region: "us-east-1".into(),
        multi_region: true,
        logging: true,
        selectors: serde_json::json!({"EventSelectors": []}),
    });
    fake
}

/// The facets of the operations `fake` received.
async fn facets_sent(fake: &FakeS3) -> Vec<s3tk::state::Facet> {
    fake.operations()
        .await
        .iter()
        .map(|op| {
            s3tk::state::Facet::by_operation(op)
                .unwrap_or_else(|| panic!("{op} is the operation of no facet"))
        })
        .collect()
}

/// Every request a check causes is one of the facets it declares (plus the bucket's region and
/// the run's account id, which the runner reads), so its IAM actions are complete.
#[tokio::test]
async fn every_request_of_a_check_is_declared_by_it() {
    use s3tk::state::Facet;
    for entry in s3tk::registry::checks() {
        let meta = entry.meta;
        let fake = everything_fixture().await;
        let run = if meta.scope == s3tk::check::Scope::Dns {
            s3tk(&fake.uri(), &["scan-dns", "--fail-on", "never"]).await
        } else {
            s3tk(
                &fake.uri(),
                &["scan", "app", "--checks", meta.id, "--fail-on", "never"],
            )
            .await
        };
        assert_eq!(run.code, 0, "{}: {}", meta.id, run.stderr);
        for facet in facets_sent(&fake).await {
            assert!(
                meta.facets.contains(&facet) || [Facet::Region, Facet::AccountId].contains(&facet),
                "{} sent {} without declaring {facet:?}",
                meta.id,
                facet.operation()
            );
        }
    }
}

/// IAM's wildcard match: `*` is any run of characters, `?` any one.
fn iam_match(pattern: &str, value: &str) -> bool {
    fn matches(p: &[u8], v: &[u8]) -> bool {
        match p.split_first() {
            None => v.is_empty(),
            Some((b'*', rest)) => (0..=v.len()).any(|i| matches(rest, &v[i..])),
            Some((&c, rest)) => v
                .split_first()
                .is_some_and(|(&first, tail)| (c == b'?' || c == first) && matches(rest, tail)),
        }
    }
    matches(pattern.as_bytes(), value.as_bytes())
}

/// The resource an action of a request is authorized on, when the request names it: the
/// bucket or object of an S3 request, the role CreateJob passes, the job DescribeJob reads.
fn resource_of(
    action: &str,
    operation: &str,
    target: &Option<(String, Option<String>)>,
    body: &str,
) -> Option<String> {
    if action.starts_with("kms:") {
        return None; // the key is the object's or the bucket's, not in the request
    }
    match (target, action, operation) {
        (Some((bucket, None)), _, _) => Some(format!("arn:aws:s3:::{bucket}")),
        (Some((bucket, Some(key))), _, _) => Some(format!("arn:aws:s3:::{bucket}/{key}")),
        (None, "iam:PassRole", _) => Some(crate::fake_s3::between(body, "RoleArn").to_owned()),
        (None, "s3:DescribeJob", _) => Some(format!(
            "arn:aws:s3:us-east-1:{}:job/job-1",
            crate::fake_s3::ACCOUNT_ID
        )),
        _ => None,
    }
}

/// Every request each command sends is allowed by the policy `s3tk iam-policy COMMAND` prints,
/// scoped with `--bucket` to the fixture's buckets: its action, on the resource it names.
#[tokio::test]
async fn every_request_of_a_command_is_in_its_iam_policy() {
    // The commands that are not plugins, as a user runs them; every remediation's command
    // comes from the registry (its usage line on the fixture's buckets).
    let mut commands: Vec<(&str, Vec<String>)> = [
        ("scan", &["scan", "--fail-on", "never"][..]),
        ("scan-dns", &["scan-dns", "--fail-on", "never"]),
        ("list-policy", &["list-policy"]),
        ("set-policy", &["set-policy", "app", "--secure-transport"]),
        ("update-policy", &["update-policy", "app", "--no-uploads"]),
        ("delete-policy", &["delete-policy", "app"]),
        ("scan-object-acl", &["scan-object-acl", "app"]),
        (
            "reset-object-acl",
            &["reset-object-acl", "app", "--acl", "public-read"],
        ),
        ("encrypt", &["encrypt", "app"]),
        (
            "encrypt",
            &[
                "encrypt",
                "app",
                "--batch",
                "--role-arn",
                ROLE,
                "--report",
                "s3://logs",
            ],
        ),
        ("batch-status", &["batch-status", "job-1"]),
        (
            "delete-unencrypted-versions",
            &["delete-unencrypted-versions", "app"],
        ),
    ]
    .iter()
    .map(|(command, args)| (*command, args.iter().map(|a| a.to_string()).collect()))
    .collect();
    for r in s3tk::registry::remediations() {
        commands.push((r.meta.command(), crate::remediations::usage_args(r.meta)));
    }
    let buckets = ["app".to_owned(), "logs".to_owned()];
    let options = s3tk::iam::PolicyOptions {
        buckets: &buckets,
        role_arn: Some(ROLE),
        ..Default::default()
    };
    let mut covered: Vec<&str> = Vec::new();
    for (command, args) in &commands {
        let fake = everything_fixture().await;
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = s3tk(&fake.uri(), &args).await;
        assert_ne!(run.code, 2, "{args:?}: {}", run.stderr);
        let options = s3tk::iam::PolicyOptions {
            role_arn: options.role_arn.filter(|_| command_batches(command)),
            ..options
        };
        let statements = s3tk::iam::statements(&[command.to_string()], options).unwrap();
        let sent = fake.sent().await;
        if args.contains(&"--batch") {
            assert!(
                sent.iter().any(|(op, _, _)| op == "CreateJob"),
                "{args:?}: {}",
                run.stdout
            );
        }
        assert!(!sent.is_empty(), "{args:?} sent nothing");
        if args == ["encrypt", "app"] {
            for read in ["GetObjectRetention", "GetObjectLegalHold"] {
                assert!(
                    sent.iter().any(|(op, _, _)| op == read),
                    "{read} not exercised"
                );
            }
        }
        for (operation, target, body) in &sent {
            let facet = s3tk::state::Facet::by_operation(operation)
                .unwrap_or_else(|| panic!("{operation} is the operation of no facet"));
            for action in facet.iam_actions() {
                let resource = resource_of(action, operation, target, body);
                assert!(
                    statements.iter().any(|s| s.actions.contains(action)
                        && resource.as_deref().is_none_or(|r| s
                            .resources
                            .iter()
                            .any(|pattern| iam_match(pattern, r)))),
                    "{args:?} sent {operation} ({action} on {}), which iam-policy {command} --bucket app --bucket logs does not allow",
                    resource.as_deref().unwrap_or("*")
                );
            }
        }
        covered.push(*command);
    }
    for command in s3tk::iam::commands() {
        assert!(
            covered.contains(&command),
            "{command} is not exercised here"
        );
    }
}

/// The SDK operation names in `src/` (`.get_bucket_acl()` → `GetBucketAcl`): every call that is
/// sent is the operation of a facet, and the facet its error is classified with (when the call
/// site names one) is that same facet, so denials name the right IAM action.
#[test]
fn every_sdk_call_site_is_a_declared_facet() {
    use s3tk::state::Facet;
    fn snake(operation: &str) -> String {
        let mut out = String::new();
        for (i, c) in operation.chars().enumerate() {
            if c.is_ascii_uppercase() {
                if i > 0 {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    }
    // Each facet's SDK method names ("ListAccessPoints/GetAccessPoint" has two).
    let methods: Vec<(Facet, String)> = Facet::ALL
        .iter()
        .flat_map(|f| {
            let op = f.operation().split(' ').next().unwrap();
            op.split('/').map(move |o| (*f, snake(o)))
        })
        .collect();
    let mut files = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    let mut sources = Vec::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.extension().is_some_and(|e| e == "rs") {
            sources.push(path);
        }
    }
    let mut call_sites = 0;
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut from = 0;
        while let Some(at) = text[from..].find(".send()") {
            let send = from + at;
            // The builder chain: back to the previous statement.
            let start = text[..send].rfind([';', '{']).map_or(0, |i| i + 1);
            let mut chain = &text[start..send];
            from = send + 1;
            if chain.contains('$') {
                // A macro's body (`optional!`); its call sites are checked below.
                continue;
            }
            let ops_in = |chain: &str| -> Vec<&(Facet, String)> {
                methods
                    .iter()
                    .filter(|(_, m)| chain.contains(&format!(".{m}(")))
                    .collect()
            };
            let mut found = ops_in(chain);
            if found.is_empty() {
                // `request.send()`: the request was built earlier in the function.
                chain = &text[text[..send].rfind("fn ").unwrap_or(0)..send];
                found = ops_in(chain);
            }
            let site = format!("{}:{}", path.display(), text[..send].lines().count());
            assert!(
                !found.is_empty(),
                "{site}: an SDK call that is no facet's operation:{chain}"
            );
            // The error mapping right after the call, when it names a facet.
            let after = &text[send..(send + 200).min(text.len())];
            let after = &after[..after.find(';').unwrap_or(after.len())];
            if let Some(named) = after.split("Facet::").nth(1) {
                let name: String = named.chars().take_while(|c| c.is_alphanumeric()).collect();
                assert!(
                    found.iter().any(|(f, _)| format!("{f:?}") == name),
                    "{site}: the call is classified as Facet::{name}, not as its own facet {:?}",
                    found.iter().map(|(f, _)| f).collect::<Vec<_>>()
                );
            }
            call_sites += 1;
        }
        for (at, _) in text.match_indices("optional!(") {
            let args = &text[at..text[at..].find(";").map_or(text.len(), |i| at + i)];
            let facet: String = args
                .split("Facet::")
                .nth(1)
                .unwrap_or_default()
                .chars()
                .take_while(|c| c.is_alphanumeric())
                .collect();
            if facet.is_empty() {
                continue; // the macro's definition
            }
            let site = format!("{}:{}", path.display(), text[..at].lines().count());
            assert!(
                methods
                    .iter()
                    .any(|(f, m)| format!("{f:?}") == facet && args.contains(&format!(".{m}("))),
                "{site}: optional!(Facet::{facet}, …) sends another facet's operation"
            );
            call_sites += 1;
        }
    }
    assert!(call_sites >= 40, "found only {call_sites} call sites");
}
