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
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs `s3tk ARGS` with a hermetic AWS environment plus `env`.
pub async fn s3tk_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_s3tk"));
    cmd.args(args);
    for var in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
        "NO_COLOR",
    ] {
        cmd.env_remove(var);
    }
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
    let out = cmd.output().await.expect("s3tk runs");
    Run {
        code: out.status.code().expect("s3tk exited normally"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
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
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "AKIDTESTING",
            "testing-secret",
            None,
            None,
            "test",
        ))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
        .timeout_config(
            aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(10))
                .build(),
        )
        .build();
    S3Clients::new(conf, concurrency)
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
                f["bucket"].as_str().unwrap().to_owned(),
                f["check"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}
