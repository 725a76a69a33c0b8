//! `ocsf`: OCSF 1.4.0 Detection Findings (class 2004), the class Prowler emits and a format
//! Amazon Security Lake and SIEMs ingest: a JSON array with one finding per s3tk finding,
//! every status included.
//!
//! The status: `status_code` is `PASS`, `FAIL`, `ERROR` (could not be evaluated) or `SKIP`
//! (does not apply); a muted failure is `FAIL` with `status_id` 3 (Suppressed) and the ignore
//! file's reason in `status_detail`, every other finding `status_id` 1 (New). Severity maps
//! onto `severity_id` 1 (Informational) to 5 (Critical). The resource is the bucket's ARN in
//! `resources` (type `AwsS3Bucket`), the account and region are in `cloud`, and
//! `finding_info.uid` (check, account, region, resource) stays the same from run to run.
//! The schema's required attributes for the class are all set; the tests check them against
//! the list in the OCSF schema.

use crate::check::Severity;
use crate::report::{
    Finding, LeftOut, Report, ReportOptions, Reporter, ReporterEntry, Resource, Status,
};
use serde::Serialize;
use std::io::{self, Write};

struct OcsfReporter;

inventory::submit! {
    ReporterEntry { name: "ocsf", description: "OCSF 1.4.0 Detection Findings (JSON), as Prowler and Security Lake use", reporter: &OcsfReporter }
}

/// The OCSF schema version the findings follow.
pub const OCSF_VERSION: &str = "1.4.0";
const CLASS_UID: u32 = 2004;
const ACTIVITY_CREATE: u32 = 1;

#[derive(Serialize)]
struct DetectionFinding<'a> {
    activity_id: u32,
    activity_name: &'static str,
    category_uid: u32,
    category_name: &'static str,
    class_uid: u32,
    class_name: &'static str,
    type_uid: u32,
    type_name: &'static str,
    time: i64,
    time_dt: &'a str,
    severity_id: u8,
    severity: &'static str,
    status_id: u8,
    status: &'static str,
    status_code: &'static str,
    status_detail: String,
    message: &'a str,
    is_alert: bool,
    metadata: Metadata<'a>,
    finding_info: FindingInfo<'a>,
    resources: [ResourceDetails<'a>; 1],
    cloud: Cloud<'a>,
    remediation: Remediation,
    risk_details: String,
    unmapped: Unmapped<'a>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    version: &'static str,
    product: Product<'a>,
    event_code: &'static str,
    profiles: [&'static str; 2],
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant_uid: Option<&'a str>,
}

#[derive(Serialize)]
struct Product<'a> {
    name: &'static str,
    uid: &'static str,
    vendor_name: &'static str,
    version: &'a str,
}

#[derive(Serialize)]
struct FindingInfo<'a> {
    uid: String,
    title: &'static str,
    desc: String,
    types: [&'static str; 1],
    created_time: i64,
    created_time_dt: &'a str,
}

#[derive(Serialize)]
struct ResourceDetails<'a> {
    uid: String,
    name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    cloud_partition: &'static str,
}

#[derive(Serialize)]
struct Cloud<'a> {
    provider: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<Account<'a>>,
}

#[derive(Serialize)]
struct Account<'a> {
    uid: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    type_id: u8,
}

#[derive(Serialize)]
struct Remediation {
    desc: String,
    references: Vec<String>,
}

#[derive(Serialize)]
struct Unmapped<'a> {
    check_id: &'static str,
    compliance: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix_command: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    muted_reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    observed_at: Option<&'a str>,
}

/// OCSF's severity ids: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical.
fn severity(severity: Severity) -> (u8, &'static str) {
    match severity {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// (`status_id`, `status`, `status_code`).
fn status(status: Status) -> (u8, &'static str, &'static str) {
    match status {
        Status::Pass => (1, "New", "PASS"),
        Status::Fail => (1, "New", "FAIL"),
        Status::Error => (1, "New", "ERROR"),
        Status::Skip => (1, "New", "SKIP"),
        Status::Muted => (3, "Suppressed", "FAIL"),
    }
}

/// The report's time (RFC 3339) in milliseconds since the epoch, as OCSF's `timestamp_t`.
fn epoch_millis(rfc3339: &str) -> i64 {
    crate::clock::rfc3339_to_epoch_millis(rfc3339).unwrap_or(0)
}

fn resource(f: &Finding) -> ResourceDetails<'_> {
    let (uid, kind) = match &f.resource {
        Resource::Bucket(name) => (format!("arn:aws:s3:::{name}"), "AwsS3Bucket"),
        Resource::Account(_) => (f.resource.uri(), "AwsAccount"),
        Resource::DnsRecord { zone_id, .. } => (
            format!("arn:aws:route53:::hostedzone/{zone_id}"),
            "AwsRoute53HostedZone",
        ),
    };
    ResourceDetails {
        uid,
        name: f.resource.name(),
        kind,
        region: f.region.as_deref(),
        cloud_partition: "aws",
    }
}

fn finding<'a>(report: &'a Report, f: &'a Finding, time: i64) -> DetectionFinding<'a> {
    let (severity_id, severity_name) = severity(f.severity);
    let (status_id, status_name, status_code) = status(f.status);
    let account = f.account.as_deref().or(report.run.account.as_deref());
    let resource = resource(f);
    let fix_command = crate::registry::fix_command(f);
    DetectionFinding {
        activity_id: ACTIVITY_CREATE,
        activity_name: "Create",
        category_uid: 2,
        category_name: "Findings",
        class_uid: CLASS_UID,
        class_name: "Detection Finding",
        type_uid: CLASS_UID * 100 + ACTIVITY_CREATE,
        type_name: "Detection Finding: Create",
        time,
        time_dt: &report.run.generated_at,
        severity_id,
        severity: severity_name,
        status_id,
        status: status_name,
        status_code,
        status_detail: match &f.muted_reason {
            Some(reason) => format!("{} (muted: {reason})", f.message),
            None => f.message.clone(),
        },
        message: &f.message,
        is_alert: f.status == Status::Fail,
        metadata: Metadata {
            version: OCSF_VERSION,
            product: Product {
                name: "s3tk",
                uid: "s3tk",
                vendor_name: "s3tk",
                version: report.run.tool_version,
            },
            event_code: f.check.id,
            profiles: ["cloud", "datetime"],
            tenant_uid: account,
        },
        finding_info: FindingInfo {
            uid: format!(
                "s3tk-{}-{}-{}-{}",
                f.check.id,
                account.unwrap_or("unknown"),
                f.region.as_deref().unwrap_or("unknown"),
                resource.uid
            ),
            title: f.check.title,
            desc: f.check.doc_summary("What it checks"),
            types: ["Software and Configuration Checks/AWS Security Best Practices"],
            created_time: time,
            created_time_dt: &report.run.generated_at,
        },
        resources: [resource],
        cloud: Cloud {
            provider: "AWS",
            region: f.region.as_deref(),
            account: account.map(|uid| Account {
                uid,
                kind: "AWS Account",
                type_id: 10,
            }),
        },
        remediation: Remediation {
            desc: f.check.doc_summary("How to fix"),
            references: fix_command.iter().cloned().collect(),
        },
        risk_details: f.check.doc_summary("Why it matters"),
        unmapped: Unmapped {
            check_id: f.check.id,
            compliance: f.check.compliance.iter().map(ToString::to_string).collect(),
            fix_command,
            muted_reason: f.muted_reason.as_deref(),
            observed_at: f.observed_at.as_deref(),
        },
    }
}

impl Reporter for OcsfReporter {
    fn write(
        &self,
        report: &Report,
        _: &ReportOptions,
        out: &mut dyn Write,
    ) -> io::Result<LeftOut> {
        let time = epoch_millis(&report.run.generated_at);
        let findings: Vec<DetectionFinding> = report
            .findings
            .iter()
            .map(|f| finding(report, f, time))
            .collect();
        serde_json::to_writer_pretty(&mut *out, &findings)?;
        writeln!(out)?;
        Ok(LeftOut::nothing())
    }
}

#[cfg(test)]
mod tests {
    use crate::report::Style;
    use crate::testing::sample_report;
    use serde_json::Value;

    fn render() -> Vec<Value> {
        serde_json::from_str(&crate::testing::render(
            "ocsf",
            &sample_report(),
            Style::default(),
        ))
        .unwrap()
    }

    #[test]
    fn snapshot() {
        crate::testing::assert_snapshot(
            "report.ocsf.json",
            &crate::testing::render("ocsf", &sample_report(), Style::default()),
        );
    }

    #[test]
    fn statuses_severities_and_identity() {
        let findings = render();
        assert_eq!(findings.len(), sample_report().findings.len());
        let codes: Vec<(&str, u64)> = findings
            .iter()
            .map(|f| {
                (
                    f["status_code"].as_str().unwrap(),
                    f["status_id"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            codes.iter().filter(|c| **c == ("FAIL", 1)).count(),
            3,
            "{codes:?}"
        );
        assert_eq!(codes.iter().filter(|c| **c == ("FAIL", 3)).count(), 1);
        let policy = findings
            .iter()
            .find(|f| f["metadata"]["event_code"] == "s3.bucket.public-policy-read")
            .unwrap();
        assert_eq!(policy["severity_id"], 5);
        assert_eq!(policy["time"], 1_795_773_600_000_i64);
        assert_eq!(policy["resources"][0]["uid"], "arn:aws:s3:::site|www_<b>");
        assert_eq!(
            policy["finding_info"]["uid"],
            "s3tk-s3.bucket.public-policy-read-123456789012-us-east-1-arn:aws:s3:::site|www_<b>"
        );
        assert_eq!(policy["type_uid"], 200_401);
    }
}
