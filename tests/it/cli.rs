//! Flags, bucket selection, exit codes and the non-scan commands.

use crate::fake_s3::{FakeBucket, FakeS3};
use crate::support::{pairs, s3tk, s3tk_env};

async fn fake_with(names: &[&str]) -> FakeS3 {
    let fake = FakeS3::start().await;
    for name in names {
        fake.bucket(name, FakeBucket::hardened(name, "us-east-1"));
    }
    fake
}

fn buckets(run: &crate::support::Run) -> Vec<String> {
    let mut names: Vec<String> = pairs(&run.json())
        .into_iter()
        .map(|(b, _)| b)
        .filter(|b| b != "(account)")
        .collect();
    names.dedup();
    names
}

#[tokio::test]
async fn wildcards_select_from_the_bucket_list() {
    let fake = fake_with(&["my-bucket", "my-bucket-logs", "other", "my-b"]).await;
    let run = s3tk(&fake.uri(), &["scan", "--format", "json", "my-bucket*"]).await;
    assert_eq!(buckets(&run), ["my-bucket", "my-bucket-logs"]);
    let run = s3tk(
        &fake.uri(),
        &[
            "scan",
            "--format",
            "json",
            "my-bucket-l?gs",
            "other",
            "my-[a-c]",
        ],
    )
    .await;
    assert_eq!(buckets(&run), ["my-b", "my-bucket-logs", "other"]);
}

#[tokio::test]
async fn names_are_used_without_listing() {
    let fake = fake_with(&["alpha", "beta"]).await;
    let run = s3tk(&fake.uri(), &["scan", "--format", "json", "beta"]).await;
    assert_eq!(buckets(&run), ["beta"]);
    let report = run.json();
    let unlisted = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "s3.account.predictable-bucket-names-unclaimed")
        .expect("the account check ran");
    assert_eq!(
        unlisted["status"], "skip",
        "an account check that needs the list: {unlisted}"
    );
    assert!(
        !fake
            .requests()
            .await
            .iter()
            .any(|r| r.starts_with("GET /?") || r == "GET /"),
        "no ListBuckets for a plain name"
    );
    // A scan of every bucket lists them once, for selection and the account check alike.
    let fake = fake_with(&["alpha", "beta"]).await;
    s3tk(&fake.uri(), &["scan", "--format", "json"]).await;
    let listings = fake
        .requests()
        .await
        .iter()
        .filter(|r| r.starts_with("GET /?x-id=ListBuckets"))
        .count();
    assert_eq!(listings, 1, "one ListBuckets per run");
}

#[tokio::test]
async fn no_argument_scans_every_bucket_across_pages() {
    let fake = fake_with(&["b1", "b2", "b3", "b4", "b5"]).await;
    fake.page_size(2);
    let run = s3tk(&fake.uri(), &["scan", "--format", "json"]).await;
    run.expect_success();
    assert_eq!(buckets(&run), ["b1", "b2", "b3", "b4", "b5"]);
    let lists = fake
        .requests()
        .await
        .iter()
        .filter(|r| r.starts_with("GET /?"))
        .count();
    assert_eq!(lists, 3, "three ListBuckets pages");
}

#[tokio::test]
async fn pattern_matching_nothing_warns() {
    let fake = fake_with(&["alpha"]).await;
    let run = s3tk(&fake.uri(), &["scan", "nomatch-*"]).await;
    run.assert_code_because(3, "what was asked for was not scanned");
    assert_eq!(run.stderr, "warning: no bucket matches 'nomatch-*'\n");
    assert_eq!(run.stdout, "No buckets scanned.\n");
}

#[tokio::test]
async fn bad_input_exits_2_before_any_request() {
    let fake = fake_with(&["alpha"]).await;
    for (args, message) in [
        (
            vec!["scan", "s3://alpha"],
            "error: invalid bucket name 's3://alpha': write the bucket name without 's3://' (e.g. 'alpha')\n",
        ),
        (
            vec!["scan", "alpha/key"],
            "error: invalid bucket name 'alpha/key': bucket names cannot contain '/'; give the bucket only, not a key or prefix\n",
        ),
        (
            vec!["scan", "logs-[0-9"],
            "error: invalid bucket pattern 'logs-[0-9': '[' at position 5 is never closed\n",
        ),
        (
            vec!["scan", "--checks", "s3.bucket.nope"],
            "error: no check matches 's3.bucket.nope' (see `s3tk checks` for the ids)\n",
        ),
        (
            vec!["scan", "--skip-checks", "s3"],
            "error: no checks left to run after --skip options\n",
        ),
        (
            vec!["scan", "--log-bucket", "s3://logs"],
            "error: invalid bucket name 's3://logs': write the bucket name without 's3://' (e.g. 'logs')\n",
        ),
        (
            vec!["--concurrency", "0", "scan"],
            "error: --concurrency must be at least 1\n",
        ),
        (
            vec!["scan", "--log-bucket", "logs", "--log-prefix", "{buckt}/"],
            "error: invalid --log-prefix '{buckt}/': unknown placeholder '{buckt}'; the only placeholder is {bucket}\n",
        ),
        (
            vec![
                "enable-logging",
                "alpha",
                "--log-bucket",
                "logs",
                "--log-prefix",
                "logs/{bucket",
            ],
            "error: invalid --log-prefix 'logs/{bucket': '{' at position 5 is never closed; the only placeholder is {bucket}\n",
        ),
        (
            vec![
                "enable-logging",
                "alpha",
                "--log-bucket",
                "logs",
                "--log-prefix",
                "a\x1b[2Kb/",
            ],
            "error: invalid --log-prefix 'a\\x1b[2Kb/': it contains a control character (U+001B)\n",
        ),
    ] {
        let run = s3tk(&fake.uri(), &args).await;
        assert_eq!((run.code, run.stderr.as_str()), (2, message), "{args:?}");
        assert!(run.stdout.is_empty());
    }
    let run = s3tk(&fake.uri(), &["scan", "--formt", "json"]).await;
    run.assert_code_because(2, "clap rejects unknown flags");
    assert_eq!(
        run.stderr,
        "error: unexpected argument '--formt' found; tip: a similar argument exists: '--format' (see `s3tk scan --help`)\n"
    );
    for (args, message) in [
        (
            vec!["--region", "us east", "scan"],
            "error: invalid region 'us east' (expected a region code such as us-east-1 or eu-central-1)\n",
        ),
        (
            vec!["--region", "useast1", "scan"],
            "error: invalid region 'useast1' (expected a region code such as us-east-1 or eu-central-1)\n",
        ),
    ] {
        // The region rule is AWS's; without a custom endpoint the flag alone decides.
        let run = s3tk_env(&args, &[]).await;
        assert_eq!((run.code, run.stderr.as_str()), (2, message), "{args:?}");
    }
    let run = s3tk_env(&["--endpoint-url", "localhost:9000", "scan"], &[]).await;
    assert_eq!(
        run.stderr,
        "error: invalid --endpoint-url 'localhost:9000': it must start with http:// or https://\n"
    );
    for (args, env, message) in [
        (
            vec!["--endpoint-url", "http://", "scan"],
            vec![],
            "error: invalid --endpoint-url 'http://': it has no valid host name\n",
        ),
        (
            vec!["scan"],
            vec![("AWS_ENDPOINT_URL", "http://127.0.0.1:99999")],
            "error: invalid endpoint URL 'http://127.0.0.1:99999': the port must be a number from 1 to 65535\n",
        ),
    ] {
        let run = s3tk_env(&args, &env).await;
        assert_eq!((run.code, run.stderr.as_str()), (2, message), "{args:?}");
    }
    assert_eq!(
        fake.requests().await,
        Vec::<String>::new(),
        "nothing is sent for bad input"
    );
}

#[tokio::test]
async fn reports_reach_files_links_and_devices_without_replacing_them() {
    use std::os::unix::fs::FileTypeExt;
    let fake = fake_with(&["alpha"]).await;
    let dir = std::env::temp_dir().join(format!("s3tk-cli-outputs-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    let not_a_dir = dir.join("file");
    std::fs::write(&not_a_dir, "").unwrap();
    let spec = format!("sarif={}/reports/s3tk.sarif", not_a_dir.display());
    let run = s3tk(&fake.uri(), &["scan", "--format", &spec]).await;
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            2,
            format!(
                "error: --format {spec}: cannot write '{}/reports/s3tk.sarif': Not a directory\n",
                not_a_dir.display()
            )
            .as_str()
        )
    );
    assert_eq!(
        fake.requests().await,
        Vec::<String>::new(),
        "an unwritable report is found before any request"
    );

    // The scan runs, the report cannot be written: exit 2, one line, and /dev/full stays a device.
    let run = s3tk(&fake.uri(), &["scan", "--format", "json=/dev/full"]).await;
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            2,
            "error: cannot write json report to /dev/full: No space left on device\n"
        )
    );
    assert!(
        std::fs::metadata("/dev/full")
            .unwrap()
            .file_type()
            .is_char_device()
    );

    // /dev/stdout is the pipe the test reads, not a file put in its place.
    let run = s3tk(&fake.uri(), &["scan", "--format", "json=/dev/stdout"]).await;
    run.expect_success();
    assert_eq!(buckets(&run), ["alpha"]);

    // A symlink keeps pointing at the report it names.
    let target = dir.join("latest.xml");
    let link = dir.join("s3tk.xml");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let spec = format!("junit={}", link.display());
    let run = s3tk(&fake.uri(), &["scan", "--format", &spec]).await;
    run.expect_success();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .contains("<testsuites")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn concurrency_stays_within_the_open_file_limit() {
    let fake = fake_with(&["alpha"]).await;
    let uri = fake.uri();
    let mut cmd = crate::support::s3tk_command(
        &[
            "--endpoint-url",
            &uri,
            "--concurrency",
            "500",
            "scan",
            "--format",
            "json",
        ],
        &[],
    );
    // SAFETY: only setrlimit, which is async-signal-safe, runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 100,
                rlim_max: 100,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let out = cmd.output().await.unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr,
        "note: the open-file limit (ulimit -n 100) allows 68 requests at once, not 500; using --concurrency 68\n"
    );
}

#[tokio::test]
async fn missing_credentials_exit_2() {
    let fake = fake_with(&["alpha"]).await;
    let run = s3tk_env(
        &["--endpoint-url", &fake.uri(), "scan"],
        &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
    )
    .await;
    run.assert_code(2);
    assert!(
        run.stderr.starts_with("error: no usable AWS credentials"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);
}

#[tokio::test]
async fn endpoint_from_environment() {
    let fake = fake_with(&["alpha"]).await;
    let run = s3tk_env(
        &["scan", "--format", "json"],
        &[("AWS_ENDPOINT_URL", &fake.uri())],
    )
    .await;
    run.expect_success();
    assert_eq!(buckets(&run), ["alpha"]);
}

#[tokio::test]
async fn skip_flags_and_check_selection() {
    let fake = fake_with(&["alpha"]).await;
    let run_checks = |args: &'static [&'static str]| {
        let uri = fake.uri();
        async move {
            let mut all = vec!["scan", "--format", "json"];
            all.extend_from_slice(args);
            let run = s3tk(&uri, &all).await;
            run.assert_code_because(0, format_args!("{args:?}"));
            pairs(&run.json())
                .into_iter()
                .map(|(_, c)| c)
                .collect::<Vec<_>>()
        }
    };
    let all = crate::support::default_checks().len();
    let skipped = run_checks(&[
        "--skip-logging",
        "--skip-versioning",
        "--skip-default-encryption",
    ])
    .await;
    assert_eq!(skipped.len(), all - 3);
    for gone in [
        "s3.bucket.logging-disabled",
        "s3.bucket.versioning-disabled",
        "s3.bucket.default-encryption-disabled",
    ] {
        assert!(!skipped.iter().any(|c| c == gone), "{gone}");
    }
    assert_eq!(
        run_checks(&["--default-encryption"]).await.len(),
        all,
        "the 0.5 flag is accepted and changes nothing"
    );
    assert_eq!(
        run_checks(&[
            "--checks",
            "s3.bucket.public-acl",
            "--checks",
            "s3.bucket.versioning-disabled"
        ])
        .await,
        [
            "s3.bucket.public-acl-read",
            "s3.bucket.public-acl-write",
            "s3.bucket.versioning-disabled"
        ]
    );
    assert_eq!(
        run_checks(&[
            "--checks",
            "s3.bucket.public-policy,s3.account",
            "--skip-checks",
            "s3.bucket.public-policy-write"
        ])
        .await,
        [
            "s3.account.multi-region-access-point-public-access-block-disabled",
            "s3.account.predictable-bucket-names-unclaimed",
            "s3.account.public-access-block-disabled",
            "s3.bucket.public-policy-read"
        ]
    );
    let cis = run_checks(&["--compliance", "cis"]).await;
    assert_eq!(
        cis,
        [
            "s3.account.public-access-block-disabled",
            "s3.bucket.default-encryption-disabled",
            "s3.bucket.insecure-transport",
            "s3.bucket.mfa-delete-disabled",
            "s3.bucket.public-access-block-disabled",
            "s3.bucket.public-policy-read",
            "s3.bucket.public-policy-write"
        ]
    );
    let fsbp = run_checks(&["--compliance", "fsbp"]).await;
    assert!(
        fsbp.contains(&"s3.bucket.logging-disabled".to_owned())
            && !fsbp.contains(&"s3.bucket.versioning-disabled".to_owned())
    );
    let hub = run_checks(&["--compliance", "securityhub"]).await;
    assert!(hub.contains(&"s3.bucket.versioning-disabled".to_owned()) && hub.len() > fsbp.len());
    let bad = s3tk(&fake.uri(), &["scan", "--trusted-account", "12345"]).await;
    bad.assert_code(2);
    assert_eq!(
        bad.stderr,
        "error: invalid --trusted-account '12345': an AWS account id is 12 digits\n"
    );
}

#[tokio::test]
async fn table_is_the_default_format() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "open",
        FakeBucket::hardened("open", "us-east-1").versioning("Suspended"),
    );
    let run = s3tk(&fake.uri(), &["scan"]).await;
    run.assert_code(1);
    let failing: Vec<&str> = run.stdout.lines().filter(|l| l.contains('✘')).collect();
    assert_eq!(failing.len(), 1, "{}", run.stdout);
    // The first line of a row says what and where; the message follows below the check.
    assert!(
        failing[0].contains("open")
            && failing[0].contains("s3.bucket.versioning-disabled")
            && failing[0].contains(" medium "),
        "{}",
        failing[0]
    );
    assert!(run.stdout.contains("versioning is suspended"));
    // Passes are counted, not listed, without --show-passed.
    let checks = crate::support::default_checks().len();
    assert_eq!(run.stdout.lines().filter(|l| l.contains('✔')).count(), 0);
    let totals = run.stdout.split("\n\n").last().unwrap().replace('\n', " ");
    assert!(
        totals.contains(&format!(
            "1 bucket; {checks} checks (3 of the account): 1 failed, 0 errors, {} passed, 0 skipped.",
            checks - 1
        )),
        "{totals}"
    );
    let all = s3tk(&fake.uri(), &["scan", "--show-passed"]).await;
    assert_eq!(
        all.stdout.lines().filter(|l| l.contains('✔')).count(),
        checks - 1
    );
    // Piped, the table fits the default 100 columns; COLUMNS narrows it.
    for (env, width) in [(None, 100), (Some("80"), 80)] {
        let env: Vec<(&str, &str)> = env.map(|w| ("COLUMNS", w)).into_iter().collect();
        let run = s3tk_env(&["--endpoint-url", &fake.uri(), "scan"], &env).await;
        let widest = run.stdout.lines().map(|l| l.chars().count()).max();
        assert!(widest <= Some(width), "{}", run.stdout);
    }
    assert!(
        !run.stdout.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
    let forced = s3tk(&fake.uri(), &["--color", "always", "scan"]).await;
    assert!(forced.stdout.contains('\u{1b}'));
    let no_color = s3tk_env(
        &["--endpoint-url", &fake.uri(), "--color", "always", "scan"],
        &[("NO_COLOR", "1")],
    )
    .await;
    assert!(!no_color.stdout.contains('\u{1b}'), "NO_COLOR wins");
}

#[tokio::test]
async fn checks_and_explain() {
    let run = s3tk_env(&["checks"], &[]).await;
    run.expect_success();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), s3tk::registry::checks().len());
    let account_block = lines
        .iter()
        .find(|l| l.starts_with("s3.account.public-access-block-disabled"))
        .expect("the account block check is listed");
    assert!(
        account_block.contains("high")
            && account_block.ends_with("Block Public Access is not fully on for the account")
    );
    let run = s3tk_env(&["explain", "s3.bucket.public-policy-read"], &[]).await;
    run.expect_success();
    assert!(
        run.stdout.starts_with(
            "# s3.bucket.public-policy-read: Bucket policy lets everyone read\n\nSeverity: critical\nPermissions: \
             s3:GetAccountPublicAccessBlock, s3:GetBucketPolicy, s3:GetBucketPolicyStatus, s3:GetBucketPublicAccessBlock, sts:GetCallerIdentity\n"
        ),
        "{}",
        run.stdout
    );
    let run = s3tk_env(&["checks", "--format", "markdown"], &[]).await;
    assert_eq!(run.stdout, s3tk::catalog::markdown_table());
    let run = s3tk_env(&["checks", "--format", "json"], &[]).await;
    let catalog: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        catalog.as_array().unwrap().len(),
        s3tk::registry::checks().len()
    );
    let account_block = catalog
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "s3.account.public-access-block-disabled")
        .expect("the account block check is in the catalog");
    assert_eq!(account_block["compliance"][0], "FSBP S3.1");
    for heading in ["## What it checks", "## Why it matters", "## How to fix"] {
        assert!(run.stdout.contains(heading), "{heading}");
    }
    let run = s3tk_env(&["explain", "s3.bucket.nope"], &[]).await;
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            2,
            "error: no check matches 's3.bucket.nope' (see `s3tk checks` for the ids)\n"
        )
    );
}

#[tokio::test]
async fn profile_from_the_shared_files() {
    let fake = fake_with(&["alpha"]).await;
    let dir = std::env::temp_dir().join(format!("s3tk-profile-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (config, credentials) = (dir.join("config"), dir.join("credentials"));
    std::fs::write(&config, "[profile auditor]\nregion = us-east-1\n").unwrap();
    std::fs::write(
        &credentials,
        "[auditor]\naws_access_key_id = AKIDFROMPROFILE\naws_secret_access_key = profile-secret\n",
    )
    .unwrap();
    let env = [
        ("AWS_ACCESS_KEY_ID", ""),
        ("AWS_SECRET_ACCESS_KEY", ""),
        ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ("AWS_SHARED_CREDENTIALS_FILE", credentials.to_str().unwrap()),
    ];
    let run = s3tk_env(
        &[
            "--profile",
            "auditor",
            "--endpoint-url",
            &fake.uri(),
            "scan",
            "--format",
            "json",
        ],
        &env,
    )
    .await;
    run.expect_success();
    assert_eq!(fake.access_keys().await, ["AKIDFROMPROFILE"]);
    let run = s3tk_env(
        &["--profile", "nosuch", "--endpoint-url", &fake.uri(), "scan"],
        &env,
    )
    .await;
    std::fs::remove_dir_all(&dir).ok();
    run.assert_code(2);
    assert!(
        run.stderr.starts_with("error: no usable AWS credentials: ")
            && run.stderr.contains("nosuch"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1);
}

#[tokio::test]
async fn region_flag_chooses_where_account_calls_go() {
    let fake = fake_with(&["alpha"]).await;
    let run = s3tk(
        &fake.uri(),
        &["--region", "eu-west-1", "scan", "--format", "json"],
    )
    .await;
    run.expect_success();
    let requests = fake.requests().await;
    let regions = fake.signed_regions().await;
    let list = requests
        .iter()
        .position(|r| r.starts_with("GET /?"))
        .unwrap();
    assert_eq!(
        regions[list], "eu-west-1",
        "ListBuckets goes to the chosen region"
    );
    let acl = requests
        .iter()
        .position(|r| r == "GET /alpha/?acl")
        .unwrap();
    assert_eq!(
        regions[acl], "us-east-1",
        "bucket requests go to the bucket's own region"
    );
}

#[tokio::test]
async fn rejected_credentials_are_a_configuration_error() {
    let fake = fake_with(&["alpha"]).await;
    fake.reject_access_key("AKIDTESTING");
    let run = s3tk(&fake.uri(), &["scan", "--format", "json"]).await;
    run.assert_code(2);
    assert_eq!(
        run.stderr,
        "error: S3 rejected the credentials (InvalidAccessKeyId); check the access key, secret and session token\n"
    );
    // The report is still written, so no stale one from an earlier run stays where CI reads.
    let findings = run.json()["findings"].clone();
    assert_eq!(findings[0]["check"], "s3.account.scan-access", "{findings}");
    assert_eq!(findings[0]["status"], "error");
    let run = s3tk(&fake.uri(), &["scan", "--format", "json", "alpha"]).await;
    run.assert_code_because(
        2,
        "named buckets: the findings are errors and the run is a configuration error",
    );
    assert!(
        run.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"] == "error")
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[tokio::test]
async fn a_closed_stdout_keeps_the_exit_code() {
    let fake = FakeS3::start().await;
    fake.bucket(
        "open",
        FakeBucket::hardened("open", "us-east-1").versioning("Suspended"),
    );
    fake.latency(std::time::Duration::from_millis(100));
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_s3tk"))
        .args(["--endpoint-url", &fake.uri(), "scan"])
        .env_clear()
        .env("AWS_ACCESS_KEY_ID", "AKIDTESTING")
        .env("AWS_SECRET_ACCESS_KEY", "testing-secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Like `s3tk scan | head -0`: the reader is gone before the report is written.
    drop(child.stdout.take());
    let status = child.wait().await.unwrap();
    assert_eq!(
        status.code(),
        Some(1),
        "a failing finding still fails the pipeline"
    );
}

#[tokio::test]
async fn iam_policy_prints_valid_least_privilege_json() {
    let run = s3tk_env(&["iam-policy", "scan", "scan-dns"], &[]).await;
    run.expect_success();
    let policy: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(policy["Version"], "2012-10-17");
    let statements = policy["Statement"].as_array().unwrap();
    let sids: Vec<&str> = statements
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(
        sids,
        [
            "S3tkScanAccount",
            "S3tkScanBuckets",
            "S3tkScanDnsAccount",
            "S3tkScanDnsBuckets",
            "S3tkScanDnsHostedZones"
        ]
    );
    for statement in statements {
        assert_eq!(statement["Effect"], "Allow");
        let sid = statement["Sid"].as_str().unwrap();
        assert_eq!(
            statement["Resource"] == "*",
            sid.ends_with("Account"),
            "{sid}"
        );
        for action in statement["Action"].as_array().unwrap() {
            assert!(
                s3tk::iam::is_read_only(action.as_str().unwrap()),
                "{action}"
            );
        }
    }
    let everything = s3tk_env(&["iam-policy"], &[]).await;
    let all: serde_json::Value = serde_json::from_str(&everything.stdout).unwrap();
    let sids: std::collections::BTreeSet<&str> = all["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids.len(), all["Statement"].as_array().unwrap().len());
    assert!(sids.len() > s3tk::iam::commands().len());
    let bad = s3tk_env(&["iam-policy", "scna"], &[]).await;
    bad.assert_code(2);
    assert!(
        bad.stderr.starts_with("error: unknown command 'scna'"),
        "{}",
        bad.stderr
    );
    let bad = s3tk_env(
        &[
            "iam-policy",
            "encrypt",
            "--sns-topic",
            "arn:aws:sns:eu-west-1:111122223333:t",
        ],
        &[],
    )
    .await;
    bad.assert_code(2);
}

#[tokio::test]
async fn completions_and_man_page() {
    for (shell, marker) in [
        ("bash", "_s3tk()"),
        ("zsh", "#compdef s3tk"),
        ("fish", "complete -c s3tk"),
    ] {
        let run = s3tk_env(&["completions", shell], &[]).await;
        run.assert_code_because(0, format_args!("{shell}"));
        assert!(run.stdout.contains(marker), "{shell}");
        assert!(
            run.stdout.contains("scan-dns") && run.stdout.contains("object-level-logging"),
            "{shell}"
        );
    }
    let bad = s3tk_env(&["completions", "tcsh"], &[]).await;
    bad.assert_code(2);
    let man = s3tk_env(&["man"], &[]).await;
    man.expect_success();
    assert!(
        man.stdout.lines().any(|l| l.starts_with(".TH s3tk 1 ")),
        "{}",
        &man.stdout[..200.min(man.stdout.len())]
    );
    assert!(man.stdout.contains("scan\\-dns"), "subcommands are listed");
}

/// Files named on the command line are read with a bound (issue 13, item 7): `/dev/zero` and a
/// file one byte over the limit are refused at once, in one line, before any request.
#[tokio::test]
async fn input_files_are_bounded_and_refused_before_any_request() {
    let fake = fake_with(&["bkt"]).await;
    let dir = crate::support::TempDir::new("input-limits");
    let over = |name: &str, limit: usize| {
        std::fs::write(dir.0.join(name), vec![b' '; limit + 1]).unwrap();
        dir.path(name)
    };
    let policy = over("policy.json", 20_480);
    let key = over("key.bin", 256);
    let ignore = over("ignore.toml", 1 << 20);
    let policy_limit = "larger than 20,480 bytes, S3's limit for a bucket policy (20 KB)";
    let key_limit = "larger than 256 bytes; it holds a 32-byte key or its base64";
    let ignore_limit = "larger than 1 MiB; an ignore file lists reviewed exceptions, not data";
    for (args, message) in [
        (
            vec!["set-policy", "bkt", "--policy-file", "/dev/zero"],
            format!("--policy-file /dev/zero is {policy_limit}"),
        ),
        (
            vec!["set-policy", "bkt", "--policy-file", &policy],
            format!("--policy-file {policy} is {policy_limit}"),
        ),
        (
            vec!["encrypt", "bkt", "--customer-key-file", "/dev/zero"],
            format!("--customer-key-file /dev/zero is {key_limit}"),
        ),
        (
            vec!["encrypt", "bkt", "--customer-key-file", &key],
            format!("--customer-key-file {key} is {key_limit}"),
        ),
        (
            vec!["scan", "--ignore-file", "/dev/zero"],
            format!("ignore file /dev/zero is {ignore_limit}"),
        ),
        (
            vec!["scan", "--ignore-file", &ignore],
            format!("ignore file {ignore} is {ignore_limit}"),
        ),
    ] {
        let uri = fake.uri();
        let mut all = vec!["--endpoint-url", uri.as_str()];
        all.extend(&args);
        let mut command = crate::support::s3tk_command(&all, &[]);
        command.kill_on_drop(true);
        let out = tokio::time::timeout(std::time::Duration::from_secs(30), command.output())
            .await
            .unwrap_or_else(|_| panic!("{args:?} is still reading"))
            .unwrap();
        assert_eq!(
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned()
            ),
            (Some(2), format!("error: {message}\n")),
            "{args:?}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert_eq!(
        fake.requests().await,
        Vec::<String>::new(),
        "nothing is sent"
    );
}

#[tokio::test]
async fn an_empty_only_pattern_is_refused() {
    let fake = fake_with(&["bkt"]).await;
    for command in ["scan-object-acl", "encrypt", "delete-unencrypted-versions"] {
        let run = s3tk(&fake.uri(), &[command, "bkt", "--only", ""]).await;
        assert_eq!(
            (run.code, run.stderr.as_str()),
            (
                2,
                "error: --only '' matches no key (S3 keys are never empty); to take every key, leave out --only\n"
            ),
            "{command}"
        );
    }
    assert_eq!(fake.requests().await, Vec::<String>::new());
}

/// What a person sees: the README's first command (`scan --from-state` of the demo) in an
/// 80-column pseudo-terminal (util-linux `script`), where s3tk finds the width itself and
/// colours the output. No line, its colour codes left out, is wider than the terminal.
#[test]
fn the_demo_fits_an_80_column_terminal() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo-account.json");
    let command = format!(
        "stty rows 50 cols 80 && exec {} scan --from-state {demo}",
        env!("CARGO_BIN_EXE_s3tk")
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("util-linux `script` runs (it makes the pseudo-terminal)");
    let seen = String::from_utf8(out.stdout).unwrap();
    assert!(seen.contains('\u{1b}'), "a terminal gets colour:\n{seen}");
    let plain = strip_ansi(&seen).replace('\r', "");
    assert!(plain.contains('✘') && plain.contains("acme-"), "{plain}");
    for line in plain.lines() {
        assert!(
            unicode_width::UnicodeWidthStr::width(line) <= 80,
            "{} columns: {line}",
            unicode_width::UnicodeWidthStr::width(line)
        );
    }
}

/// `text` without its ANSI escape sequences (colours: ESC [ … letter).
fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
