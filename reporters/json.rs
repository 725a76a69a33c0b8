//! `json`: the stable machine-readable form (`schema_version` 1, documented in the README).
//! Fields are only ever added within a schema version, never renamed or removed.

use crate::report::{Finding, Report, Reporter, ReporterEntry, Style, Summary};
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
    findings: &'a [Finding],
    summary: Summary,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

impl Reporter for JsonReporter {
    fn write(&self, report: &Report, _: Style, out: &mut dyn Write) -> io::Result<()> {
        let doc = Document {
            schema_version: 1,
            tool: Tool {
                name: "s3tk",
                version: env!("CARGO_PKG_VERSION"),
            },
            findings: &report.findings,
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
        let mut out = Vec::new();
        crate::registry::reporter("json")
            .unwrap()
            .reporter
            .write(&sample_report(), Style::default(), &mut out)
            .unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let expected = serde_json::json!({
            "schema_version": 1,
            "tool": {"name": "s3tk", "version": env!("CARGO_PKG_VERSION")},
            "findings": [
                {"check": "s3.bucket.public-acl", "bucket": "app-data", "region": "eu-west-1", "status": "fail",
                 "severity": "critical", "title": "Bucket ACL grants access to everyone",
                 "message": "ACL grants READ to AllUsers (anyone on the internet)",
                 "remediation": "s3.bucket.block-public-access"},
                {"check": "s3.bucket.versioning-disabled", "bucket": "app-data", "region": "eu-west-1", "status": "pass",
                 "severity": "medium", "title": "Bucket versioning is not enabled", "message": "versioning is enabled",
                 "remediation": null},
                {"check": "s3.bucket.public-acl", "bucket": "app-logs", "region": null, "status": "error",
                 "severity": "critical", "title": "Bucket ACL grants access to everyone",
                 "message": "could not evaluate: access denied to GetBucketAcl: the caller needs s3:GetBucketAcl",
                 "remediation": "s3.bucket.block-public-access"},
                {"check": "s3.bucket.logging-disabled", "bucket": "site|www", "region": "eu-west-1", "status": "skip",
                 "severity": "medium", "title": "Server access logging is not enabled", "message": "not applicable",
                 "remediation": null}
            ],
            "summary": {"pass": 1, "fail": 1, "error": 1, "skip": 1}
        });
        assert_eq!(value, expected);
        // Key order is part of the contract for people reading the output.
        let text = String::from_utf8(out).unwrap();
        let order = [
            "\"schema_version\"",
            "\"tool\"",
            "\"findings\"",
            "\"summary\"",
        ];
        let positions: Vec<usize> = order.iter().map(|k| text.find(k).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    }
}
