//! Every check of the catalog on the fake: a hardened bucket passes all of them (`scan.rs`),
//! and here every case of its `cases.json` gives the finding the case expects, live, and it
//! reports an error when a facet it reads is denied.

use crate::fake_s3::{FakeBucket, FakeS3};
use crate::support::{TempDir, finding, s3tk, s3tk_env};
use s3tk::cases;
use s3tk::model::PublicAccessBlock;

const PARTNER: &str = r#"{"Statement":[{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:GetObject","Resource":"*"}]}"#;

const ROLE: &str = "arn:aws:iam::123456789012:role/b";

/// Whether the command creates Batch Operations jobs (and so takes `iam-policy --role-arn`).
fn command_batches(command: &str) -> bool {
    s3tk::iam::command_actions(command).is_some_and(|a| a.contains("iam:PassRole"))
}

fn hardened(name: &str) -> FakeBucket {
    FakeBucket::hardened(name, "us-east-1")
}

/// Every case of every check (`checks/**/<file>.cases.json`, which `src/cases.rs` runs
/// offline) served on the fake and scanned live by that check alone, with the case's options
/// as flags: the finding must be what the case expects. Each check must fail at least one of
/// its cases here, and a case that cannot run on the fake must say why (`offline_only`).
#[tokio::test]
async fn every_check_gives_what_its_cases_expect_on_the_fake() {
    use futures::StreamExt;
    let runs: Vec<_> = s3tk::registry::checks()
        .into_iter()
        .filter(|c| cases::has_cases(c))
        .flat_map(|check| {
            let file = cases::load(check).unwrap_or_else(|e| panic!("{e}"));
            file.cases.into_iter().map(move |case| (check, case))
        })
        .collect();
    let results: Vec<_> = futures::stream::iter(runs)
        .map(|(check, case)| async move {
            let result = match &case.offline_only {
                Some(_) => None,
                None => Some(scan_case(check, &case).await),
            };
            (check, case, result)
        })
        .buffered(4)
        .collect()
        .await;

    let mut problems = Vec::new();
    let mut offline_only = Vec::new();
    let mut failed_live = std::collections::BTreeSet::new();
    let mut wrong_live = std::collections::BTreeSet::new();
    for (check, case, result) in &results {
        let id = check.meta.id;
        match result {
            None => offline_only.push(format!(
                "{id} case {:?}: {}",
                case.name,
                case.offline_only.as_deref().unwrap_or_default()
            )),
            Some(Err(wrong)) => {
                wrong_live.insert(id);
                problems.push(format!("{id} case {:?}: {wrong}", case.name));
            }
            Some(Ok(())) if case.expect.status == s3tk::report::Status::Fail => {
                failed_live.insert(id);
            }
            Some(Ok(())) => {}
        }
    }
    println!(
        "{} case(s) ran on the fake, {} offline only{}",
        results.len() - offline_only.len(),
        offline_only.len(),
        offline_only
            .iter()
            .map(|c| format!("\n  {c}"))
            .collect::<String>()
    );
    for (check, ..) in &results {
        let id = check.meta.id;
        if !failed_live.contains(id) && !wrong_live.contains(id) {
            failed_live.insert(id);
            problems.push(format!(
                "{}: no case of {} fails on the fake (each check needs one)",
                check.meta.id,
                cases::path_of(check).display()
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) with the check cases on the fake:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Serves `case` on a fresh fake, scans its bucket with `check` alone, and compares the
/// finding with the case's expectation, and what the scan read (`--save-state`) with what the
/// fake served; `Err` says what differed, with the scan's stderr.
async fn scan_case(check: &s3tk::check::CheckEntry, case: &cases::Case) -> Result<(), String> {
    let fake = FakeS3::start().await;
    let mut record = cases::account_record(case);
    let served = fake.serve_record(&record).map_err(|why| {
        format!(
            "the fake cannot serve it: {why} (extend the fake, or mark the case \"offline_only\")"
        )
    })?;
    let bucket = cases::bucket_name(case);
    let uri = fake.uri();
    let dir = TempDir::new("case");
    let state = dir.path("state.json");
    // A check that reads the bucket list scans the whole account, as a scan of named buckets
    // lists nothing.
    let account_check = check.meta.scope == s3tk::check::Scope::Account;
    let mut args = vec!["--endpoint-url", uri.as_str(), "scan"];
    let whole_account = check.meta.facets.contains(&s3tk::facet::Facet::BucketList);
    if whole_account {
        // Only the listed buckets are read then.
        if let Some(s3tk::state::snapshot::Answer(Ok(listed))) = &record.facets.bucket_list {
            let listed = listed.clone();
            record.buckets.retain(|b| listed.contains(&b.name));
        }
    } else {
        args.push(bucket.as_str());
    }
    args.extend([
        "--format",
        "json",
        "--checks",
        check.meta.id,
        "--save-state",
        state.as_str(),
    ]);
    if let Some(options) = &case.options {
        for name in &options.log_buckets {
            args.extend(["--log-bucket", name.as_str()]);
        }
        if let Some(prefix) = &options.log_prefix {
            args.extend(["--log-prefix", prefix.as_str()]);
        }
        for account in &options.trusted_accounts {
            args.extend(["--trusted-account", account.as_str()]);
        }
    }
    let env: Vec<(&str, &str)> = served.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = s3tk_env(&args, &env).await;
    let scanned = || {
        let stderr = run.stderr.trim();
        format!(
            "`s3tk {}` exited {}; stderr: {}",
            args.join(" "),
            run.code,
            if stderr.is_empty() { "(empty)" } else { stderr }
        )
    };
    let report: serde_json::Value = serde_json::from_str(&run.stdout)
        .map_err(|e| format!("stdout is not a JSON report ({e}); {}", scanned()))?;
    let found = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["check"] == check.meta.id && (account_check || f["bucket"] == bucket.as_str()))
        .ok_or_else(|| format!("no finding of the check in the report; {}", scanned()))?;
    let status = serde_json::from_value(found["status"].clone())
        .map_err(|e| format!("finding status: {e}"))?;
    let severity = serde_json::from_value(found["severity"].clone())
        .map_err(|e| format!("finding severity: {e}"))?;
    let message = found["message"].as_str().unwrap_or_default();
    let mut wrong: Vec<String> = cases::differences(&case.expect, status, severity, message)
        .into_iter()
        .collect();
    let saved = s3tk::state::snapshot::Snapshot::load(std::path::Path::new(&state))
        .map_err(|e| format!("{e}; {}", scanned()))?;
    wrong.extend(crate::fake_record::read_back_differences(
        &record,
        &saved.accounts,
    ));
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!("{}; {}", wrong.join("; "), scanned()))
    }
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
    run.assert_code(3);
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
    run.expect_success();
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
    run.assert_code(1);
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
        arn: None,
        home_region: "us-east-1".into(),
        multi_region: true,
        logging: true,
        selectors: serde_json::json!({"EventSelectors": []}),
    });
    fake
}

/// The facets of the operations `fake` received.
async fn facets_sent(fake: &FakeS3) -> Vec<s3tk::facet::Facet> {
    fake.operations()
        .await
        .iter()
        .map(|op| {
            s3tk::facet::Facet::by_operation(op)
                .unwrap_or_else(|| panic!("{op} is the operation of no facet"))
        })
        .collect()
}

/// Every request a check causes is one of the facets it declares (plus the bucket's region and
/// the run's account id, which the runner reads), so its IAM actions are complete.
#[tokio::test]
async fn every_request_of_a_check_is_declared_by_it() {
    use s3tk::facet::Facet;
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
        run.assert_code_because(0, meta.id);
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
        commands.push((
            r.meta.command(),
            crate::remediations::usage_args(r.meta, "app"),
        ));
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
            let facet = s3tk::facet::Facet::by_operation(operation)
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
    use s3tk::facet::Facet;
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
