//! `json`: the stable machine-readable form (`schema_version` 1, documented in the README).
//! Fields are only ever added within a schema version, never renamed or removed.

use crate::check::Severity;
use crate::report::{
    Finding, LeftOut, Report, ReportOptions, Reporter, ReporterEntry, Status, Summary,
};
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
    /// How long the run took, start to report.
    wall_time_seconds: f64,
    account: Option<&'a str>,
    regions: Vec<&'a str>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    check: &'static str,
    /// The account of the resource, when known.
    account: Option<&'a str>,
    /// `null` for account-level findings.
    bucket: Option<&'a str>,
    /// `s3://bucket`, or the account's root ARN.
    resource: String,
    region: Option<&'a str>,
    status: Status,
    severity: Severity,
    title: &'static str,
    message: &'a str,
    remediation: Option<&'static str>,
    fix_command: Option<String>,
    compliance: Vec<String>,
    muted_reason: Option<&'a str>,
    /// When the state was recorded, for a scan of recorded state (`--from-state`,
    /// `--from-aws-config`); absent for a live scan.
    #[serde(skip_serializing_if = "Option::is_none")]
    observed_at: Option<&'a str>,
}

impl<'a> From<&'a Finding> for JsonFinding<'a> {
    fn from(f: &'a Finding) -> Self {
        JsonFinding {
            check: f.check.id,
            account: f.account.as_deref(),
            bucket: f.resource.bucket(),
            resource: f.resource.uri(),
            region: f.region.as_deref(),
            status: f.status,
            severity: f.severity,
            title: f.check.title,
            message: &f.message,
            remediation: crate::registry::remediation_for(f.check.id).map(|r| r.meta.id),
            fix_command: crate::registry::fix_command(f),
            compliance: f.check.compliance.iter().map(ToString::to_string).collect(),
            muted_reason: f.muted_reason.as_deref(),
            observed_at: f.observed_at.as_deref(),
        }
    }
}

impl Reporter for JsonReporter {
    fn write(
        &self,
        report: &Report,
        _: &ReportOptions,
        out: &mut dyn Write,
    ) -> io::Result<LeftOut> {
        let doc = Document {
            schema_version: 1,
            tool: Tool {
                name: "s3tk",
                version: report.run.tool_version,
            },
            run: Run {
                generated_at: &report.run.generated_at,
                wall_time_seconds: report.run.wall_time.as_secs_f64(),
                account: report.run.account.as_deref(),
                regions: report.regions(),
            },
            findings: report.findings.iter().map(JsonFinding::from).collect(),
            summary: report.summary(),
        };
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
        Ok(LeftOut::nothing())
    }
}

#[cfg(test)]
mod tests {
    use crate::report::Style;
    use crate::testing::sample_report;

    #[test]
    fn snapshot() {
        let out = crate::testing::render("json", &sample_report(), Style::default());
        crate::testing::assert_snapshot("report.json", &out);
        // Key order is part of the contract for people reading the output.
        let order = [
            "\"schema_version\"",
            "\"tool\"",
            "\"run\"",
            "\"findings\"",
            "\"summary\"",
        ];
        let positions: Vec<usize> = order.iter().map(|k| out.find(k).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{out}");
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        let account = &doc["findings"][0];
        assert_eq!(
            (account["bucket"].is_null(), account["resource"].as_str()),
            (true, Some("arn:aws:iam::123456789012:root"))
        );
    }
}
