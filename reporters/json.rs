//! `json`: the stable machine-readable form (`schema_version` 1, documented in the README).
//! Fields are only ever added within a schema version, never renamed or removed.

use crate::check::Severity;
use crate::report::{Finding, Report, Reporter, ReporterEntry, Status, Style, Summary};
use serde::Serialize;
use std::io::{self, Write};

struct JsonReporter;

inventory::submit! {
    ReporterEntry { name: "json", description: "one JSON document with findings and summary", reporter: &JsonReporter }
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    run: Run<'a>,
    findings: Vec<JsonFinding<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Run<'a> {
    generated_at: &'a str,
    account: Option<&'a str>,
    regions: Vec<&'a str>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    check: &'static str,
    bucket: &'a str,
    region: Option<&'a str>,
    status: Status,
    severity: Severity,
    title: &'static str,
    message: &'a str,
    remediation: Option<&'static str>,
    fix_command: Option<String>,
    compliance: Vec<String>,
    muted_reason: Option<&'a str>,
}

impl<'a> From<&'a Finding> for JsonFinding<'a> {
    fn from(f: &'a Finding) -> Self {
        JsonFinding {
            check: f.check.id,
            bucket: &f.bucket,
            region: f.region.as_deref(),
            status: f.status,
            severity: f.check.severity,
            title: f.check.title,
            message: &f.message,
            remediation: f.check.remediation,
            fix_command: f.fix_command(),
            compliance: f.check.compliance.iter().map(ToString::to_string).collect(),
            muted_reason: f.muted_reason.as_deref(),
        }
    }
}

impl Reporter for JsonReporter {
    fn write(&self, report: &Report, _: Style, out: &mut dyn Write) -> io::Result<()> {
        let doc = Document {
            schema_version: 1,
            tool: Tool {
                name: "s3tk",
                version: report.run.tool_version,
            },
            run: Run {
                generated_at: &report.run.generated_at,
                account: report.run.account.as_deref(),
                regions: report.regions(),
            },
            findings: report.findings.iter().map(JsonFinding::from).collect(),
            summary: report.summary(),
        };
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::report::{Style, sample_report};

    #[test]
    fn snapshot() {
        let out = crate::report::render("json", &sample_report(), Style::default());
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        let finding = |check: &str,
                       bucket: &str,
                       region: serde_json::Value,
                       status: &str,
                       severity: &str,
                       title: &str,
                       message: &str,
                       compliance: &[&str],
                       muted: Option<&str>| {
            serde_json::json!({
                "check": check, "bucket": bucket, "region": region, "status": status, "severity": severity,
                "title": title, "message": message, "remediation": null, "fix_command": null,
                "compliance": compliance, "muted_reason": muted
            })
        };
        let expected = serde_json::json!({
            "schema_version": 1,
            "tool": {"name": "s3tk", "version": "0.1.0"},
            "run": {"generated_at": "2026-11-27T10:00:00Z", "account": "123456789012", "regions": ["eu-west-1", "us-east-1"]},
            "findings": [
                finding("s3.bucket.public-acl", "app-data", "eu-west-1".into(), "fail", "critical", "Bucket ACL grants access to everyone",
                        "ACL grants READ to AllUsers (anyone on the internet)", &["FSBP S3.2", "FSBP S3.3"], None),
                finding("s3.bucket.versioning-disabled", "app-data", "eu-west-1".into(), "pass", "medium", "Bucket versioning is not enabled",
                        "versioning is enabled", &["Security Hub S3.14"], None),
                finding("s3.bucket.public-acl", "app-logs", "us-east-1".into(), "error", "critical", "Bucket ACL grants access to everyone",
                        "could not evaluate: access denied to GetBucketAcl: the caller needs s3:GetBucketAcl", &["FSBP S3.2", "FSBP S3.3"], None),
                finding("s3.bucket.versioning-disabled", "app-logs", "us-east-1".into(), "muted", "medium", "Bucket versioning is not enabled",
                        "versioning has never been enabled", &["Security Hub S3.14"], Some("staging data, reviewed by <security> & approved")),
                finding("s3.bucket.logging-disabled", "site|www_<b>", serde_json::Value::Null, "skip", "medium", "Server access logging is not enabled",
                        "not applicable | <n/a>", &["FSBP S3.9"], None),
                finding("s3.bucket.public-policy", "site|www_<b>", "us-east-1".into(), "fail", "critical", "Bucket policy allows public access",
                        "policy is public: statement \"Open*\" (#1) allows Principal \"*\" (everyone) with no condition", &["FSBP S3.2", "FSBP S3.3"], None),
            ],
            "summary": {"pass": 1, "fail": 2, "error": 1, "skip": 1, "muted": 1}
        });
        assert_eq!(value, expected);
        // Key order is part of the contract for people reading the output.
        let text = out;
        let order = [
            "\"schema_version\"",
            "\"tool\"",
            "\"run\"",
            "\"findings\"",
            "\"summary\"",
        ];
        let positions: Vec<usize> = order.iter().map(|k| text.find(k).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    }
}
