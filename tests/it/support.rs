//! Running the built `s3tk` binary and building library clients, both pointed at a loopback
//! endpoint with dummy credentials, so no test can reach real AWS or the metadata service.

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use s3tk::aws::S3Clients;
use serde_json::Value;
use std::time::Duration;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panics unless `s3tk` exited with `code`, saying what was expected and showing stderr
    /// and the start of stdout.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        self.assert_code_because(code, "")
    }

    /// [`Run::assert_code`], with why `code` is expected.
    #[track_caller]
    pub fn assert_code_because(&self, code: i32, why: impl std::fmt::Display) -> &Self {
        if self.code != code {
            let why = why.to_string();
            let why = if why.is_empty() {
                String::new()
            } else {
                format!(" ({why})")
            };
            panic!(
                "expected exit {code}{why}, got {}\nstderr:\n{}\nstdout (first {STDOUT_LINES} lines):\n{}",
                self.code,
                or_empty(&self.stderr),
                or_empty(&first_lines(&self.stdout, STDOUT_LINES))
            );
        }
        self
    }

    /// Panics unless `s3tk` exited 0 (see [`Run::assert_code`]).
    #[track_caller]
    pub fn expect_success(&self) -> &Self {
        self.assert_code(0)
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// How much of stdout a failed exit-code assertion shows.
const STDOUT_LINES: usize = 40;

fn first_lines(text: &str, n: usize) -> String {
    let mut lines: Vec<&str> = text.lines().take(n + 1).collect();
    if lines.len() > n {
        lines[n] = "…";
    }
    lines.join("\n")
}

fn or_empty(text: &str) -> &str {
    if text.trim().is_empty() {
        "(empty)"
    } else {
        text
    }
}

/// Runs `s3tk ARGS` with a hermetic AWS environment plus `env`.
pub async fn s3tk_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    s3tk_in(None, args, env).await
}

/// Runs `s3tk ARGS` in directory `dir` (for the default ignore file).
pub async fn s3tk_in(dir: Option<&std::path::Path>, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = s3tk_command(args, env);
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    let out = cmd.output().await.expect("s3tk runs");
    Run {
        code: out.status.code().expect("s3tk exited normally"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// The `s3tk ARGS` command with a hermetic AWS environment plus `env`, not yet started.
pub fn s3tk_command(args: &[&str], env: &[(&str, &str)]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_s3tk"));
    cmd.args(args);
    hermetic(&mut cmd, env);
    cmd
}

/// Gives `cmd` (s3tk, or a program that runs it) a hermetic AWS environment plus `env`.
pub fn hermetic(cmd: &mut tokio::process::Command, env: &[(&str, &str)]) {
    // Nothing from the developer's or the CI runner's environment: no profile, web identity,
    // container credentials or endpoint can lead a test to real AWS.
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir());
    cmd.env("AWS_ACCESS_KEY_ID", "AKIDTESTING")
        .env("AWS_SECRET_ACCESS_KEY", "testing-secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/s3tk-test/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/s3tk-test/credentials",
        )
        .env("AWS_MAX_ATTEMPTS", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
}

/// Runs `s3tk --endpoint-url ENDPOINT ARGS`.
pub async fn s3tk(endpoint: &str, args: &[&str]) -> Run {
    let mut all = vec!["--endpoint-url", endpoint];
    all.extend_from_slice(args);
    s3tk_env(&all, &[]).await
}

/// Library clients for `endpoint` in us-east-1, without retries (tests want one request per call).
pub fn clients(endpoint: &str, concurrency: usize) -> S3Clients {
    let credentials = Credentials::new("AKIDTESTING", "testing-secret", None, None, "test");
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(
            credentials,
        ))
        .endpoint_url(endpoint)
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
        .timeout_config(
            aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(10))
                .build(),
        )
        .build();
    S3Clients::from_sdk_config(&sdk, None, concurrency).expect("valid test configuration")
}

/// The finding for (bucket, check) in a JSON report, as (status, message).
pub fn finding(report: &Value, bucket: &str, check: &str) -> (String, String) {
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["bucket"] == bucket && f["check"] == check)
        .unwrap_or_else(|| panic!("no finding for {bucket} / {check} in {report:#}"));
    (
        f["status"].as_str().unwrap().to_owned(),
        f["message"].as_str().unwrap().to_owned(),
    )
}

/// The (bucket, check) pairs of a JSON report, in report order.
pub fn pairs(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["bucket"].as_str().unwrap_or("(account)").to_owned(),
                f["check"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A fresh, empty directory under the system temp dir, removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(label: &str) -> Self {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("s3tk-test-{label}-{}-{n}", std::process::id()));
        std::fs::remove_dir_all(&path).ok();
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// An external tool a test needs, from the variable `scripts/test` sets to its path. Missing,
/// the test fails and says how to get it, unless `S3TK_SKIP_TOOLS=1` asks to skip such tests
/// (each then prints that it did nothing): a test that passes without its tool proves nothing.
pub fn tool(variable: &str, needed_for: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(path) if !path.is_empty() => Some(path),
        _ if std::env::var("S3TK_SKIP_TOOLS").as_deref() == Ok("1") => {
            eprintln!("SKIPPED {needed_for}: {variable} is not set (S3TK_SKIP_TOOLS=1)");
            None
        }
        _ => panic!(
            "{needed_for} needs {variable}, which is not set: run scripts/test (it installs the \
             pinned tools and sets it), or set S3TK_SKIP_TOOLS=1 to skip the tests that need tools"
        ),
    }
}

/// The tools virtualenv's Python (xmlschema, jsonschema, parliament), which `scripts/test`
/// installs.
pub fn tools_python() -> Option<String> {
    tool("S3TK_PYTHON", "schema and policy validation")
}

/// The checks a plain `s3tk scan` runs (no opt-in checks, no `scan-dns` checks).
pub fn default_checks() -> Vec<&'static s3tk::check::CheckEntry> {
    s3tk::registry::select_checks(&[], &[], &[]).expect("checks are registered")
}

/// The JSON Lines output: the object records, and the summary record last.
pub fn json_lines(run: &Run) -> (Vec<Value>, Value) {
    let mut values: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {l}\nstderr: {}", run.stderr))
        })
        .collect();
    let summary = values.pop().expect("a summary line");
    assert_eq!(summary["type"], "summary", "{summary}");
    assert!(values.iter().all(|v| v["type"] == "object"));
    (values, summary)
}

/// Sends SIGINT (Ctrl-C) to a running `s3tk`.
pub fn ctrl_c(child: &tokio::process::Child) {
    let pid = child.id().expect("s3tk is running") as i32;
    // SAFETY: signalling our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
}

/// Compares `actual` with the file at `path` (from the crate root); with
/// `S3TK_UPDATE_SNAPSHOTS=1` writes it instead, like the library's snapshots.
pub fn assert_snapshot(path: &str, actual: &str) {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var("S3TK_UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::write(&file, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        actual == expected,
        "{path} differs from what the test saw (`S3TK_UPDATE_SNAPSHOTS=1 scripts/test` \
         regenerates it; review the diff):\n{actual}"
    );
}
