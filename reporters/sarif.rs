//! `sarif`: SARIF 2.1.0 that GitHub code scanning accepts (and other dashboards read).
//!
//! One rule per check that ran, with its description, help (text and Markdown), `helpUri`,
//! default level, `security-severity` and at most 10 tags (GitHub keeps 10; the full compliance
//! list is in the rule's properties); one result per failing or muted finding. A cloud resource
//! has no source file, and GitHub rejects an upload whose locations have a scheme other than the
//! checkout's, so each result is located at a scheme-less, stable relative path
//! (`aws/ACCOUNT/REGION/s3/BUCKET`, line 1), with the resource's ARN as a logical location;
//! `partialFingerprints` carries the check id and bucket, so a finding keeps its identity from
//! run to run. `automationDetails.id` starts with the category (`--sarif-category`, default
//! `s3tk`), so reports of several accounts can be uploaded side by side. Muted findings carry
//! `suppressions` with the reason; findings that could not be evaluated become one
//! tool-execution notification per check and reason, not results.
//!
//! GitHub's limits are kept: at most 1,000 results per run (GitHub's rules in the SARIF
//! multitool flag more as not displayed; its documentation says 5,000 displayed, 25,000
//! rejected), the most severe kept first, and at most 10 MB of file (its limit is 10 MB
//! compressed). What was left out is counted in the run's properties and said on stderr.

use crate::check::{CheckMeta, Control, Severity};
use crate::report::{
    Finding, LeftOut, Report, ReportOptions, Reporter, ReporterEntry, Resource, Status,
};
use serde::Serialize;
use std::io::{self, Write};

struct SarifReporter;

inventory::submit! {
    ReporterEntry { name: "sarif", description: "SARIF 2.1.0 for GitHub code scanning and other dashboards", reporter: &SarifReporter }
}

/// Results per run. GitHub's documentation says code scanning displays 5,000 and rejects
/// 25,000, but its own rules in the SARIF multitool (GH1004) flag more than 1,000 as beyond
/// what it displays by default: the stricter figure holds for both.
pub const MAX_RESULTS: usize = 1_000;
/// GitHub keeps this many tags per rule (and rejects more than 20).
pub const MAX_TAGS: usize = 10;
/// GitHub's upload limit is 10 MB gzip-compressed; staying under it uncompressed is certain.
pub const MAX_FILE_BYTES: usize = 10_000_000;
/// The category when `--sarif-category` is not given.
pub const DEFAULT_CATEGORY: &str = "s3tk";
/// At most this many bucket names in one could-not-evaluate notification.
const NAMED_IN_NOTIFICATION: usize = 10;

/// Where people learn about the checks' subject: the project's page once `Cargo.toml` names
/// a repository, else AWS's S3 security best practices, which every check refers to.
const INFORMATION_URI: &str = if env!("CARGO_PKG_REPOSITORY").is_empty() {
    S3_BEST_PRACTICES
} else {
    env!("CARGO_PKG_REPOSITORY")
};
const S3_BEST_PRACTICES: &str =
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html";
const FSBP_S3_CONTROLS: &str =
    "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    automation_details: AutomationDetails,
    invocations: [Invocation; 1],
    results: Vec<SarifResult<'a>>,
    properties: RunProperties<'a>,
}

#[derive(Serialize)]
struct AutomationDetails {
    id: String,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: String,
    semantic_version: String,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: String,
    short_description: Text,
    full_description: Text,
    help_uri: String,
    help: Help,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    precision: &'static str,
    tags: Vec<String>,
    compliance: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    end_time_utc: String,
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    level: &'static str,
    message: Text,
    descriptor: Reference,
    associated_rule: Reference,
}

#[derive(Serialize)]
struct Reference {
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    partial_fingerprints: Fingerprints,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression<'a>>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
    logical_locations: [LogicalLocation; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

/// A resource has no lines: line 1 is what scanners without source lines report.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    name: String,
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "s3tkFinding/v1")]
    finding: String,
}

#[derive(Serialize)]
struct Suppression<'a> {
    kind: &'static str,
    status: &'static str,
    justification: &'a str,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<&'a str>,
    bucket: Option<&'a str>,
    region: Option<&'a str>,
    severity: Severity,
    compliance: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties<'a> {
    account: Option<&'a str>,
    generated_at: &'a str,
    /// Failing and muted findings in the scan; `results` holds `resultsKept` of them.
    results_total: usize,
    results_kept: usize,
    /// Findings left out to stay within GitHub's limits (the least severe).
    results_left_out: usize,
}

/// critical/high → error, medium → warning, low/info → note.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's bands: 9.0+ critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters (bucket names normally are),
/// so a name is one path segment whatever it holds.
fn uri_component(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The resource as a relative path without a scheme, the same in every run:
/// `aws/ACCOUNT/REGION/s3/BUCKET`, `aws/ACCOUNT/account`, or
/// `aws/ACCOUNT/route53/ZONE/NAME/TYPE`.
pub fn artifact_uri(f: &Finding, run_account: Option<&str>) -> String {
    let account = uri_component(
        f.account
            .as_deref()
            .or(run_account)
            .unwrap_or("unknown-account"),
    );
    match &f.resource {
        Resource::Bucket(name) => format!(
            "aws/{account}/{}/s3/{}",
            uri_component(f.region.as_deref().unwrap_or("unknown-region")),
            uri_component(name)
        ),
        Resource::Account(_) => format!("aws/{account}/account"),
        Resource::DnsRecord {
            name,
            record_type,
            zone_id,
        } => format!(
            "aws/{account}/route53/{}/{}/{}",
            uri_component(zone_id),
            uri_component(name),
            uri_component(record_type)
        ),
    }
}

fn arn(f: &Finding) -> String {
    match &f.resource {
        Resource::Bucket(name) => format!("arn:aws:s3:::{name}"),
        Resource::Account(_) => f.resource.uri(),
        Resource::DnsRecord { zone_id, .. } => format!("arn:aws:route53:::hostedzone/{zone_id}"),
    }
}

fn location(f: &Finding, run_account: Option<&str>) -> Location {
    Location {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: artifact_uri(f, run_account),
            },
            region: Region { start_line: 1 },
        },
        logical_locations: [LogicalLocation {
            name: f.resource.name(),
            fully_qualified_name: arn(f),
            kind: "resource",
        }],
    }
}

/// The Security Hub page of the check's FSBP control, else AWS's S3 security best practices.
fn help_uri(check: &CheckMeta) -> String {
    check
        .compliance
        .iter()
        .find_map(|c| match c {
            Control::Fsbp(id) | Control::SecurityHub(id) if id.starts_with("S3.") => Some(format!(
                "{FSBP_S3_CONTROLS}#{}",
                id.to_ascii_lowercase().replace('.', "-")
            )),
            _ => None,
        })
        .unwrap_or_else(|| S3_BEST_PRACTICES.to_owned())
}

fn rule(check: &CheckMeta) -> Rule {
    let compliance: Vec<String> = check.compliance.iter().map(ToString::to_string).collect();
    let mut tags = vec![
        "security".to_owned(),
        "s3".to_owned(),
        format!("severity/{}", check.severity),
    ];
    tags.extend(compliance.iter().cloned());
    tags.truncate(MAX_TAGS);
    let doc = check.doc_text();
    Rule {
        id: check.id,
        name: check
            .id
            .rsplit('.')
            .next()
            .unwrap_or(check.id)
            .split('-')
            .map(capitalise)
            .collect(),
        short_description: Text {
            text: check.title.to_owned(),
        },
        full_description: Text {
            text: check.doc_summary("What it checks"),
        },
        help_uri: help_uri(check),
        help: Help {
            text: doc.clone(),
            markdown: doc,
        },
        default_configuration: Configuration {
            level: level(check.severity),
        },
        properties: RuleProperties {
            security_severity: security_severity(check.severity),
            precision: "very-high",
            tags,
            compliance,
        },
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// The failing and muted findings, most important first: failures before muted findings,
/// then by severity; the report's bucket/check order within each.
fn ranked(report: &Report) -> Vec<&Finding> {
    let mut findings: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| matches!(f.status, Status::Fail | Status::Muted))
        .collect();
    findings.sort_by_key(|f| (f.status == Status::Muted, std::cmp::Reverse(f.severity)));
    findings
}

/// One notification per check and reason, naming the first buckets and counting the rest.
fn notifications(report: &Report) -> Vec<Notification> {
    let mut groups: Vec<(&'static str, &str, Vec<String>)> = Vec::new();
    for f in report.findings.iter().filter(|f| f.status == Status::Error) {
        let name = f.resource.name();
        match groups
            .iter_mut()
            .find(|(id, message, _)| *id == f.check.id && *message == f.message)
        {
            Some((_, _, names)) => names.push(name),
            None => groups.push((f.check.id, &f.message, vec![name])),
        }
    }
    groups
        .into_iter()
        .map(|(id, message, names)| {
            let mut shown = names
                .iter()
                .take(NAMED_IN_NOTIFICATION)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if names.len() > NAMED_IN_NOTIFICATION {
                shown += &format!(" and {} more", names.len() - NAMED_IN_NOTIFICATION);
            }
            Notification {
                level: "error",
                message: Text {
                    text: format!("{id} on {shown}: {message}"),
                },
                descriptor: Reference {
                    id: "s3tk/could-not-evaluate".into(),
                },
                associated_rule: Reference { id: id.to_owned() },
            }
        })
        .collect()
}

fn result<'a>(report: &Report, checks: &[&CheckMeta], f: &'a Finding) -> SarifResult<'a> {
    SarifResult {
        rule_id: f.check.id,
        rule_index: checks
            .iter()
            .position(|c| c.id == f.check.id)
            .expect("every finding's check is a rule"),
        level: level(f.severity),
        message: Text {
            text: f.message.clone(),
        },
        locations: [location(f, report.run.account.as_deref())],
        partial_fingerprints: Fingerprints {
            finding: match &f.account {
                Some(account) if report.is_multi_account() => {
                    format!("{}:{account}:{}", f.check.id, f.resource.name())
                }
                _ => format!("{}:{}", f.check.id, f.resource.name()),
            },
        },
        suppressions: f
            .muted_reason
            .as_deref()
            .map(|reason| Suppression {
                kind: "external",
                status: "accepted",
                justification: reason,
            })
            .into_iter()
            .collect(),
        properties: ResultProperties {
            account: f.account.as_deref(),
            bucket: f.resource.bucket(),
            region: f.region.as_deref(),
            severity: f.severity,
            compliance: f.check.compliance.iter().map(ToString::to_string).collect(),
        },
    }
}

/// The document with the `keep` most important results.
fn render(
    report: &Report,
    options: &ReportOptions,
    ranked: &[&Finding],
    keep: usize,
) -> io::Result<Vec<u8>> {
    let checks = report.checks();
    let notifications = notifications(report);
    let category = options
        .sarif_category
        .as_deref()
        .unwrap_or(DEFAULT_CATEGORY);
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "s3tk",
                    version: report.run.tool_version.to_owned(),
                    semantic_version: report.run.tool_version.to_owned(),
                    information_uri: INFORMATION_URI,
                    rules: checks.iter().map(|c| rule(c)).collect(),
                },
            },
            // GitHub reads the category from everything before the last `/`.
            automation_details: AutomationDetails {
                id: format!("{category}/{}", report.run.generated_at),
            },
            invocations: [Invocation {
                execution_successful: notifications.is_empty(),
                end_time_utc: report.run.generated_at.clone(),
                tool_execution_notifications: notifications,
            }],
            results: ranked[..keep]
                .iter()
                .map(|f| result(report, &checks, f))
                .collect(),
            properties: RunProperties {
                account: report.run.account.as_deref(),
                generated_at: &report.run.generated_at,
                results_total: ranked.len(),
                results_kept: keep,
                results_left_out: ranked.len() - keep,
            },
        }],
    };
    let mut bytes = serde_json::to_vec_pretty(&log).map_err(io::Error::other)?;
    bytes.push(b'\n');
    Ok(bytes)
}

impl Reporter for SarifReporter {
    fn write(
        &self,
        report: &Report,
        options: &ReportOptions,
        out: &mut dyn Write,
    ) -> io::Result<LeftOut> {
        let ranked = ranked(report);
        let mut keep = ranked.len().min(MAX_RESULTS);
        let mut bytes = render(report, options, &ranked, keep)?;
        // Messages are short, so 1,000 results stay far below 10 MB; should they not, drop the
        // least severe in proportion until the file fits.
        while bytes.len() > MAX_FILE_BYTES && keep > 0 {
            keep = keep * MAX_FILE_BYTES / bytes.len() * 9 / 10;
            bytes = render(report, options, &ranked, keep)?;
        }
        out.write_all(&bytes)?;
        let mut left_out = LeftOut::nothing();
        if keep < ranked.len() {
            let where_ = if options.complete_reports.is_empty() {
                "--format json=PATH (or csv, ocsf) keeps every finding".to_owned()
            } else {
                format!(
                    "every finding is in {}",
                    options.complete_reports.join(", ")
                )
            };
            left_out.0.push(format!(
                "kept the {keep} most severe of {} results, within GitHub code scanning's limits \
                 ({MAX_RESULTS} results per run, {} MB); {} left out (counted in the run's \
                 properties); {where_}",
                ranked.len(),
                MAX_FILE_BYTES / 1_000_000,
                ranked.len() - keep
            ));
        }
        Ok(left_out)
    }
}

#[cfg(test)]
mod tests {
    use crate::check::Severity;
    use crate::report::{ReportOptions, Status, Style};
    use crate::synthetic::synthetic_report;
    use crate::testing::sample_report;
    use serde_json::Value;

    fn render() -> String {
        crate::testing::render("sarif", &sample_report(), Style::default())
    }

    #[test]
    fn snapshot() {
        crate::testing::assert_snapshot("report.sarif", &render());
    }

    #[test]
    fn results_levels_and_fingerprints() {
        let log: serde_json::Value = serde_json::from_str(&render()).unwrap();
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 4, "three failures and one muted finding");
        let muted = results
            .iter()
            .find(|r| r["suppressions"].is_array())
            .unwrap();
        assert_eq!(
            muted["suppressions"][0]["justification"],
            "staging data, reviewed by <security> & approved"
        );
        assert_eq!(muted["level"], "warning");
        let policy = results
            .iter()
            .find(|r| r["ruleId"] == "s3.bucket.public-policy-read")
            .unwrap();
        assert_eq!(policy["level"], "error");
        assert_eq!(
            policy["properties"]["compliance"],
            serde_json::json!(["FSBP S3.2", "CIS 7.0 2.21"])
        );
        assert_eq!(
            policy["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "aws/123456789012/us-east-1/s3/site%7Cwww_%3Cb%3E"
        );
        assert_eq!(
            policy["locations"][0]["physicalLocation"]["region"],
            serde_json::json!({"startLine": 1})
        );
        assert_eq!(
            policy["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "arn:aws:s3:::site|www_<b>"
        );
        assert_eq!(
            log["runs"][0]["automationDetails"]["id"],
            "s3tk/2026-11-27T10:00:00Z"
        );
        assert_eq!(
            policy["partialFingerprints"]["s3tkFinding/v1"],
            "s3.bucket.public-policy-read:site|www_<b>"
        );
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        assert_eq!(
            rules[policy["ruleIndex"].as_u64().unwrap() as usize]["id"],
            "s3.bucket.public-policy-read"
        );
        let notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .unwrap();
        assert_eq!(notes.len(), 1);
        assert_eq!(
            log["runs"][0]["invocations"][0]["executionSuccessful"],
            false
        );
        assert!(
            rules
                .iter()
                .all(|r| r["helpUri"].as_str().unwrap().starts_with("https://")),
            "{rules:?}"
        );
        let account_rule = &rules[0];
        assert_eq!(
            account_rule["helpUri"],
            "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-1"
        );
    }

    fn severity_rank(result: &Value) -> (bool, u8) {
        let severity: Severity =
            serde_json::from_value(result["properties"]["severity"].clone()).unwrap();
        (result["suppressions"].is_null(), severity as u8)
    }

    #[test]
    fn a_large_account_stays_within_githubs_limits() {
        let report = synthetic_report(2_000);
        let (text, left_out) =
            crate::synthetic::render("sarif", &report, &ReportOptions::default());
        assert!(text.len() <= super::MAX_FILE_BYTES, "{} bytes", text.len());
        let log: Value = serde_json::from_str(&text).unwrap();
        let run = &log["runs"][0];
        let results = run["results"].as_array().unwrap();
        let failing_or_muted = report
            .findings
            .iter()
            .filter(|f| matches!(f.status, Status::Fail | Status::Muted))
            .count();
        assert!(failing_or_muted > super::MAX_RESULTS, "{failing_or_muted}");
        assert_eq!(results.len(), super::MAX_RESULTS);
        assert_eq!(
            (
                &run["properties"]["resultsTotal"],
                &run["properties"]["resultsKept"],
                &run["properties"]["resultsLeftOut"]
            ),
            (
                &Value::from(failing_or_muted),
                &Value::from(super::MAX_RESULTS),
                &Value::from(failing_or_muted - super::MAX_RESULTS)
            )
        );
        assert_eq!(left_out.0.len(), 1, "{left_out:?}");
        assert!(
            left_out.0[0].starts_with(&format!(
                "kept the {} most severe of {failing_or_muted} results",
                super::MAX_RESULTS
            )),
            "{left_out:?}"
        );
        // The most severe are kept: failures before muted findings, by severity.
        let ranks: Vec<(bool, u8)> = results.iter().map(severity_rank).collect();
        assert!(
            ranks.windows(2).all(|w| w[0] >= w[1]),
            "results are not most severe first"
        );
        // Nothing more severe than the least severe result kept was left out.
        let least_kept = *ranks.last().unwrap();
        let rank = |f: &crate::report::Finding| (f.status != Status::Muted, f.severity as u8);
        let above_cutoff = report
            .findings
            .iter()
            .filter(|f| matches!(f.status, Status::Fail | Status::Muted))
            .filter(|f| rank(f) > least_kept)
            .count();
        assert_eq!(
            above_cutoff,
            ranks.iter().filter(|r| **r > least_kept).count()
        );
        for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
            assert!(rule["properties"]["tags"].as_array().unwrap().len() <= super::MAX_TAGS);
        }
        for result in results {
            let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap();
            assert!(
                uri.starts_with("aws/123456789012/") && !uri.contains(':'),
                "{uri}"
            );
        }
        // Grouped per check and reason, however many buckets.
        let notes = run["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .unwrap();
        assert!(notes.len() <= report.checks().len(), "{}", notes.len());
    }

    #[test]
    fn category_and_fingerprints() {
        let mut report = sample_report();
        let options = ReportOptions {
            sarif_category: Some("prod/123456789012".into()),
            ..ReportOptions::default()
        };
        let first: Value =
            serde_json::from_str(&crate::synthetic::render("sarif", &report, &options).0).unwrap();
        assert_eq!(
            first["runs"][0]["automationDetails"]["id"],
            "prod/123456789012/2026-11-27T10:00:00Z"
        );
        // Another run, later: the same findings keep their fingerprints and locations.
        report.run.generated_at = "2026-12-01T08:00:00Z".into();
        let second: Value =
            serde_json::from_str(&crate::synthetic::render("sarif", &report, &options).0).unwrap();
        let identity = |log: &Value| -> Vec<(Value, Value)> {
            log["runs"][0]["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["partialFingerprints"].clone(),
                        r["locations"][0]["physicalLocation"].clone(),
                    )
                })
                .collect()
        };
        assert_eq!(identity(&first), identity(&second));
    }
}
