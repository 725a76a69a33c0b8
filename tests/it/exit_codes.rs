//! The exit-code policy (`src/exit.rs`, the README's table), command by command on the fake:
//! for every command of the CLI, its clean case (0), its bad input (2, with no request sent)
//! and, for every command that takes a bucket, a bucket that does not exist (3); then findings
//! (1), patterns that match nothing (3), a mass change without a terminal (2, no request) and
//! `batch-status`'s codes. The commands are read from the CLI itself and the remediation
//! commands' arguments from the registry, so a new command fails here until it has its cases.

use crate::fake_s3::{FakeBucket, FakeS3};
use crate::remediations::usage_args;
use crate::support::s3tk;
use clap::CommandFactory;
use s3tk::remediation::RemediationKind;
use std::collections::BTreeMap;

/// A bucket that exists, a bucket that does not, and the log bucket `usage_args` names.
const PRESENT: &str = "app";
const MISSING: &str = "no-such-bucket";

/// Why a remediation's dry run exits 0: its plan is shown. A remediation may refuse the plain
/// bucket (enable-bucket-key without default encryption), which leaves it unfixed: 1.
const PLAN_SHOWN: &str = "plan shown";

/// One run of a command and the code it must exit with.
struct Case {
    args: Vec<String>,
    code: i32,
    why: &'static str,
}

fn case(args: &[&str], code: i32, why: &'static str) -> Case {
    Case {
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        code,
        why,
    }
}

/// The DescribeJob answers of the fake's jobs.
const COMPLETE: &str = "<Status>Complete</Status><Priority>10</Priority><ProgressSummary><TotalNumberOfTasks>2</TotalNumberOfTasks><NumberOfTasksSucceeded>2</NumberOfTasksSucceeded><NumberOfTasksFailed>0</NumberOfTasksFailed></ProgressSummary>";
const FAILED: &str = "<Status>Failed</Status><Priority>10</Priority><FailureReasons><JobFailure><FailureCode>Manifest</FailureCode><FailureReason>cannot read the manifest</FailureReason></JobFailure></FailureReasons>";
const ACTIVE: &str = "<Status>Active</Status><Priority>10</Priority><ProgressSummary><TotalNumberOfTasks>4</TotalNumberOfTasks><NumberOfTasksSucceeded>1</NumberOfTasksSucceeded><NumberOfTasksFailed>0</NumberOfTasksFailed></ProgressSummary>";

/// The cases of the commands that are not remediations, by command name.
fn declared_cases() -> BTreeMap<String, Vec<Case>> {
    let versioning = "s3.bucket.versioning-disabled";
    let cases = [
        (
            "scan",
            vec![
                case(&["scan", "--checks", versioning, "versioned"], 0, "clean"),
                case(&["scan", "--checks", versioning, PRESENT], 1, "a finding"),
                case(
                    &["scan", "--checks", versioning, MISSING],
                    3,
                    "missing bucket",
                ),
                case(&["scan", "bad name"], 2, "a malformed bucket name"),
                case(&["scan", "zz-*"], 3, "a pattern that matches nothing"),
                case(
                    &["scan", "--fix", "--apply"],
                    2,
                    "every bucket, no terminal",
                ),
            ],
        ),
        (
            "scan-dns",
            vec![
                case(&["scan-dns"], 0, "no hosted zone, nothing found"),
                case(&["scan-dns", "--fail-on", "bogus"], 2, "a bad --fail-on"),
            ],
        ),
        (
            "iam-policy",
            vec![
                case(&["iam-policy", "scan"], 0, "printed"),
                case(&["iam-policy", "bogus"], 2, "an unknown command"),
            ],
        ),
        (
            "completions",
            vec![
                case(&["completions", "bash"], 0, "printed"),
                case(&["completions", "cmd"], 2, "an unknown shell"),
            ],
        ),
        (
            "man",
            vec![
                case(&["man"], 0, "printed"),
                case(&["man", "extra"], 2, "an unexpected argument"),
            ],
        ),
        (
            "checks",
            vec![
                case(&["checks"], 0, "printed"),
                case(&["checks", "--format", "xml"], 2, "an unknown format"),
            ],
        ),
        (
            "reporters",
            vec![
                case(&["reporters"], 0, "printed"),
                case(&["reporters", "extra"], 2, "an unexpected argument"),
            ],
        ),
        (
            "explain",
            vec![
                case(&["explain", versioning], 0, "printed"),
                case(&["explain", "s3.bucket.bogus"], 2, "an unknown check"),
            ],
        ),
        (
            "list-policy",
            vec![
                case(&["list-policy", PRESENT], 0, "no policy"),
                case(&["list-policy", MISSING], 3, "missing bucket"),
                case(&["list-policy", "bad name"], 2, "a malformed bucket name"),
                case(
                    &["list-policy", "zz-*"],
                    3,
                    "a pattern that matches nothing",
                ),
            ],
        ),
        (
            "set-policy",
            vec![
                case(&["set-policy", PRESENT, "--secure-transport"], 0, "written"),
                case(
                    &["set-policy", MISSING, "--secure-transport"],
                    3,
                    "missing bucket",
                ),
                case(&["set-policy", PRESENT], 2, "no statement named"),
            ],
        ),
        (
            "update-policy",
            vec![
                case(&["update-policy", PRESENT, "--encryption"], 0, "written"),
                case(
                    &["update-policy", MISSING, "--encryption"],
                    3,
                    "missing bucket",
                ),
                case(&["update-policy", PRESENT], 2, "nothing to update"),
            ],
        ),
        (
            "delete-policy",
            vec![
                case(&["delete-policy", "versioned"], 0, "no policy to delete"),
                case(&["delete-policy", MISSING], 3, "missing bucket"),
                case(&["delete-policy", "s3://app"], 2, "a malformed bucket name"),
            ],
        ),
        (
            "scan-object-acl",
            vec![
                case(&["scan-object-acl", PRESENT], 0, "no object"),
                case(&["scan-object-acl", MISSING], 3, "missing bucket"),
                case(
                    &["scan-object-acl", PRESENT, "--only", ""],
                    2,
                    "an empty --only",
                ),
            ],
        ),
        (
            "reset-object-acl",
            vec![
                case(&["reset-object-acl", PRESENT], 0, "no object"),
                case(&["reset-object-acl", MISSING], 3, "missing bucket"),
                case(
                    &["reset-object-acl", PRESENT, "--acl", "open"],
                    2,
                    "a bad --acl",
                ),
            ],
        ),
        (
            "encrypt",
            vec![
                case(&["encrypt", PRESENT], 0, "no object"),
                case(&["encrypt", MISSING], 3, "missing bucket"),
                case(
                    &["encrypt", PRESENT, "--kms-key-id", "alias/x"],
                    2,
                    "a bad key",
                ),
            ],
        ),
        (
            "delete-unencrypted-versions",
            vec![
                case(
                    &["delete-unencrypted-versions", "versioned"],
                    0,
                    "no object",
                ),
                case(
                    &["delete-unencrypted-versions", MISSING],
                    3,
                    "missing bucket",
                ),
                case(
                    &["delete-unencrypted-versions", "a/b"],
                    2,
                    "a malformed name",
                ),
            ],
        ),
        (
            "batch-status",
            vec![
                case(
                    &["batch-status", "job-done"],
                    0,
                    "completed without failures",
                ),
                case(&["batch-status", "job-failed"], 1, "the job failed"),
                case(&["batch-status", "job-active"], 4, "still running"),
                case(&["batch-status", "job-unknown"], 3, "no such job"),
                case(&["batch-status", "x"], 2, "a malformed job id"),
            ],
        ),
    ];
    cases
        .into_iter()
        .map(|(name, cases)| (name.to_owned(), cases))
        .collect()
}

/// The remediation commands' cases, from the registry: the dry run (0), a missing bucket (3),
/// a malformed bucket name (2), and every bucket without a terminal (2).
fn remediation_cases() -> BTreeMap<String, Vec<Case>> {
    let mut cases: BTreeMap<String, Vec<Case>> = BTreeMap::new();
    for entry in s3tk::registry::remediations() {
        let name = entry.meta.command().to_owned();
        let with = |bucket: &str, extra: &[&str]| {
            // The usage line starts with the command's name.
            let mut args = usage_args(entry.meta, bucket);
            args.extend(extra.iter().map(|a| (*a).to_owned()));
            args
        };
        let runs = match entry.remediation {
            RemediationKind::Account(_) => vec![
                (
                    vec![
                        name.clone(),
                        "--account".into(),
                        "--dry-run".into(),
                        "--format".into(),
                        "json".into(),
                    ],
                    0,
                    PLAN_SHOWN,
                ),
                (vec![name.clone(), "--account".into()], 0, "written"),
                (
                    vec![name.clone(), "--account".into(), PRESENT.into()],
                    2,
                    "--account and a bucket",
                ),
            ],
            RemediationKind::Bucket(_) => vec![
                (
                    with(PRESENT, &["--dry-run", "--format", "json"]),
                    0,
                    PLAN_SHOWN,
                ),
                (with(MISSING, &[]), 3, "missing bucket"),
                (with("bad name", &[]), 2, "a malformed bucket name"),
                (with("*", &[]), 2, "a pattern, no terminal"),
                (
                    with("zz-*", &["--yes"]),
                    3,
                    "a pattern that matches nothing",
                ),
            ],
        };
        let command = cases.entry(name.clone()).or_default();
        command.extend(
            runs.into_iter()
                .map(|(args, code, why)| Case { args, code, why }),
        );
    }
    cases
}

async fn fake() -> FakeS3 {
    let fake = FakeS3::start().await;
    fake.account_block(None)
        .bucket(PRESENT, FakeBucket::new("us-east-1"))
        .bucket(
            "versioned",
            FakeBucket::new("us-east-1").versioning("Enabled"),
        )
        .bucket("logs", FakeBucket::new("us-east-1"))
        .job_state("job-done", COMPLETE)
        .job_state("job-failed", FAILED)
        .job_state("job-active", ACTIVE);
    fake
}

/// The subcommands the CLI has, and whether each takes a bucket.
fn cli_commands() -> BTreeMap<String, bool> {
    s3tk::cli::Cli::command()
        .get_subcommands()
        .map(|c| {
            let takes_bucket = c.get_arguments().any(|a| {
                a.get_value_names()
                    .is_some_and(|v| v.iter().any(|n| n == "BUCKET" || n == "BUCKETS"))
            });
            (c.get_name().to_owned(), takes_bucket)
        })
        .collect()
}

#[tokio::test]
async fn every_command_exits_by_the_one_policy() {
    let mut cases = declared_cases();
    for (name, runs) in remediation_cases() {
        assert!(
            cases.insert(name.clone(), runs).is_none(),
            "{name} is declared and a remediation"
        );
    }
    // Every command has its cases: a new command is missed nowhere.
    for (name, takes_bucket) in cli_commands() {
        let runs = cases
            .get(&name)
            .unwrap_or_else(|| panic!("`s3tk {name}` has no exit-code cases here"));
        assert!(runs.iter().any(|c| c.code == 0), "{name}: no clean case");
        assert!(
            runs.iter().any(|c| c.code == 2),
            "{name}: no bad-input case"
        );
        if takes_bucket {
            assert!(
                runs.iter()
                    .any(|c| c.args.iter().any(|a| a == MISSING) && c.code == 3),
                "{name}: no missing-bucket case"
            );
        }
    }
    assert_eq!(
        cases.keys().collect::<Vec<_>>(),
        cli_commands().keys().collect::<Vec<_>>(),
        "cases for commands the CLI does not have"
    );
    let mut wrong = Vec::new();
    for (name, runs) in &cases {
        for run_case in runs {
            // A fresh fake per case: writes of one case do not change the next, and the
            // requests counted are this case's alone.
            let fake = fake().await;
            let args: Vec<&str> = run_case.args.iter().map(String::as_str).collect();
            let run = s3tk(&fake.uri(), &args).await;
            let requests = fake.requests().await.len();
            let refused = run_case.why == PLAN_SHOWN
                && serde_json::from_str::<serde_json::Value>(&run.stdout)
                    .is_ok_and(|plan| plan["counts"]["refused"].as_u64().unwrap_or(0) > 0);
            let expected = if refused { 1 } else { run_case.code };
            if run.code != expected {
                wrong.push(format!(
                    "{name}: `s3tk {}` exited {}, not {} ({}): {}",
                    args.join(" "),
                    run.code,
                    expected,
                    run_case.why,
                    run.stderr.trim()
                ));
            }
            if run_case.code == 2 && requests > 0 {
                wrong.push(format!(
                    "{name}: `s3tk {}` sent {requests} requests before exiting 2",
                    args.join(" ")
                ));
            }
            if run_case.code == 2 && run.code == 2 {
                // Bad input is one line on stderr.
                if run.stderr.lines().count() != 1 || !run.stderr.starts_with("error: ") {
                    wrong.push(format!(
                        "{name}: `s3tk {}` does not end with a one-line reason: {:?}",
                        args.join(" "),
                        run.stderr
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Runs `s3tk --endpoint-url ENDPOINT ARGS` on a pseudo-terminal (util-linux `script`), typing
/// `answer`: stdin and stderr are a terminal, as for a person at the keyboard. Returns the exit
/// code and everything the terminal showed.
async fn on_terminal(endpoint: &str, args: &[&str], answer: &str) -> (i32, String) {
    use tokio::io::AsyncWriteExt;
    let line = [
        env!("CARGO_BIN_EXE_s3tk"),
        "--color",
        "never",
        "--endpoint-url",
        endpoint,
    ]
    .iter()
    .chain(args)
    .map(|a| format!("'{a}'"))
    .collect::<Vec<_>>()
    .join(" ");
    let mut cmd = tokio::process::Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"]);
    crate::support::hermetic(&mut cmd, &[]);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("script (util-linux) runs");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(answer.as_bytes()).await.unwrap();
    let out = tokio::time::timeout(std::time::Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("s3tk answered within 30 s")
        .unwrap();
    drop(stdin);
    let shown = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    (out.status.code().expect("exited"), shown)
}

/// Runs `scan ARGS` on a pseudo-terminal like [`on_terminal`], and types Ctrl-C once the
/// question is on the screen (the scan's own Ctrl-C handler is installed by then). Returns the
/// exit code and what the terminal showed.
async fn ctrl_c_at_the_question(endpoint: &str, args: &[&str]) -> (i32, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let line = [env!("CARGO_BIN_EXE_s3tk"), "--endpoint-url", endpoint]
        .iter()
        .chain(args)
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = tokio::process::Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"]);
    crate::support::hermetic(&mut cmd, &[]);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("script (util-linux) runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut shown = Vec::new();
    let asked = async {
        let mut chunk = [0u8; 4096];
        while !String::from_utf8_lossy(&shown).contains("[y/N]") {
            let n = stdout.read(&mut chunk).await.unwrap();
            assert!(
                n > 0,
                "ended before asking: {}",
                String::from_utf8_lossy(&shown)
            );
            shown.extend_from_slice(&chunk[..n]);
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), asked)
        .await
        .expect("asked within 30 s");
    stdin.write_all(b"\x03").await.unwrap();
    let rest = async {
        stdout.read_to_end(&mut shown).await.unwrap();
        child.wait().await.unwrap()
    };
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), rest)
        .await
        .expect("Ctrl-C ended s3tk within 30 s");
    drop(stdin);
    (
        status.code().expect("exited"),
        String::from_utf8_lossy(&shown).replace("\r\n", "\n"),
    )
}

#[tokio::test]
async fn ctrl_c_at_the_question_quits_without_writing() {
    let fake = fake().await;
    let (code, shown) = ctrl_c_at_the_question(
        &fake.uri(),
        &[
            "scan",
            "--checks",
            "s3.bucket.versioning-disabled",
            "--fix",
            "--apply",
        ],
    )
    .await;
    assert_eq!(code, 130, "interrupted\n{shown}");
    assert!(!shown.contains("Nothing changed"), "{shown}");
    assert_eq!(versioning_writes(&fake.requests().await), 0, "{shown}");
}

fn versioning_writes(requests: &[String]) -> usize {
    requests
        .iter()
        .filter(|r| r.starts_with("PUT") && r.contains("versioning"))
        .count()
}

#[tokio::test]
async fn a_mass_change_asks_on_a_terminal_and_does_what_the_answer_says() {
    let fake = fake().await;
    let (code, shown) = on_terminal(&fake.uri(), &["enable-versioning"], "n\n").await;
    // The answer is typed at once, so the terminal echoes it before the question.
    assert!(
        shown.contains(
            "Enable versioning: 2 of 3 selected buckets would change: app, logs\nChange 2 buckets? [y/N] Nothing changed.\n"
        ),
        "{shown}"
    );
    assert_eq!(code, 1, "declined: left unfixed\n{shown}");
    assert_eq!(versioning_writes(&fake.requests().await), 0, "declined");

    let (code, shown) = on_terminal(&fake.uri(), &["enable-versioning", "a*"], "y\n").await;
    assert!(shown.contains("Change 1 bucket? [y/N] "), "{shown}");
    assert!(
        shown.contains("✔ app: changed: PutBucketVersioning app: Status=Enabled"),
        "{shown}"
    );
    assert_eq!(code, 0, "{shown}");
    assert_eq!(versioning_writes(&fake.requests().await), 1);

    // `scan --fix --apply` over every bucket asks the same way, at the point of applying.
    let scan = [
        "scan",
        "--checks",
        "s3.bucket.versioning-disabled",
        "--fix",
        "--apply",
    ];
    let (code, shown) = on_terminal(&fake.uri(), &scan, "n\n").await;
    assert!(
        shown.contains(
            "scan --fix --apply: 1 of 3 selected buckets would change: logs\nChange 1 bucket? [y/N] Nothing changed.\n"
        ),
        "{shown}"
    );
    assert_eq!(code, 1, "declined, and logs still fails\n{shown}");
    assert_eq!(versioning_writes(&fake.requests().await), 1, "no new write");

    // Named buckets are never asked about, on a terminal either.
    let (code, shown) = on_terminal(&fake.uri(), &["enable-versioning", "logs"], "").await;
    assert!(!shown.contains("[y/N]"), "{shown}");
    assert_eq!(code, 0, "{shown}");
    assert_eq!(versioning_writes(&fake.requests().await), 2);
}

#[tokio::test]
async fn without_a_terminal_a_mass_change_needs_yes_and_says_so_before_any_request() {
    let fake = fake().await;
    for args in [
        &["enable-versioning"][..],
        &["enable-versioning", "app", "l*"],
        &["scan", "--fix", "--apply"],
    ] {
        let run = s3tk(&fake.uri(), args).await;
        run.assert_code(2);
        assert!(
            run.stderr.starts_with("error: ")
                && run.stderr.lines().count() == 1
                && run.stderr.contains("add --yes (-y)"),
            "{}",
            run.stderr
        );
    }
    assert!(
        fake.requests().await.is_empty(),
        "refused before any request"
    );
    let run = s3tk(&fake.uri(), &["enable-versioning", "-y"]).await;
    run.expect_success();
    assert_eq!(versioning_writes(&fake.requests().await), 2);
}
