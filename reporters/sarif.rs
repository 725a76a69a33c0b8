//! `sarif`: SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning, Azure DevOps).
//!
//! One rule per check that ran, with its description, help (text and Markdown), default level,
//! `security-severity` and tags; one result per failing or muted finding. A cloud resource has
//! no source file, so each result is located at `s3://bucket` (plus a logical location with the
//! bucket's ARN), and `partialFingerprints` carries the check id and bucket, so a finding keeps
//! its identity from run to run. Muted findings carry `suppressions` with the reason; findings
//! that could not be evaluated become tool-execution notifications, not results.

use crate::check::{CheckMeta, Severity};
use crate::report::{Finding, Report, Reporter, ReporterEntry, Resource, Status, Style};
use serde::Serialize;
use std::io::{self, Write};

struct SarifReporter;

inventory::submit! {
    ReporterEntry { name: "sarif", description: "SARIF 2.1.0 for code-scanning dashboards", reporter: &SarifReporter }
}

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
    invocations: [Invocation; 1],
    results: Vec<SarifResult<'a>>,
    properties: RunProperties<'a>,
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
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: String,
    short_description: Text,
    full_description: Text,
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
    locations: [Location; 1],
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
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
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
struct RunProperties<'a> {
    account: Option<&'a str>,
    #[serde(rename = "generatedAt")]
    generated_at: &'a str,
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

/// Percent-encodes everything but RFC 3986 unreserved characters (bucket names normally are).
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

fn location(f: &Finding) -> Location {
    let (uri, arn) = match &f.resource {
        Resource::Bucket(name) => (
            format!("s3://{}", uri_component(name)),
            format!("arn:aws:s3:::{name}"),
        ),
        Resource::Account(_) => (f.resource.uri(), f.resource.uri()),
        Resource::DnsRecord { zone_id, .. } => (
            f.resource.uri(),
            format!("arn:aws:route53:::hostedzone/{zone_id}"),
        ),
    };
    Location {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation { uri },
        },
        logical_locations: [LogicalLocation {
            name: f.resource.name(),
            fully_qualified_name: arn,
            kind: "resource",
        }],
    }
}

fn rule(check: &CheckMeta) -> Rule {
    let mut tags = vec![
        "security".to_owned(),
        "s3".to_owned(),
        format!("severity/{}", check.severity),
    ];
    tags.extend(check.compliance.iter().map(ToString::to_string));
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

impl Reporter for SarifReporter {
    fn write(&self, report: &Report, _: Style, out: &mut dyn Write) -> io::Result<()> {
        let checks = report.checks();
        let index_of = |id: &str| {
            checks
                .iter()
                .position(|c| c.id == id)
                .expect("every finding's check is a rule")
        };
        let results = report
            .findings
            .iter()
            .filter(|f| matches!(f.status, Status::Fail | Status::Muted))
            .map(|f| SarifResult {
                rule_id: f.check.id,
                rule_index: index_of(f.check.id),
                level: level(f.severity),
                message: Text {
                    text: f.message.clone(),
                },
                locations: [location(f)],
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
            })
            .collect();
        let notifications: Vec<Notification> = report
            .findings
            .iter()
            .filter(|f| f.status == Status::Error)
            .map(|f| Notification {
                level: "error",
                message: Text {
                    text: format!("{} on {}: {}", f.check.id, f.resource.name(), f.message),
                },
                descriptor: Reference {
                    id: "s3tk/could-not-evaluate".into(),
                },
                associated_rule: Reference {
                    id: f.check.id.to_owned(),
                },
                locations: [location(f)],
            })
            .collect();
        let log = Log {
            schema: "https://json.schemastore.org/sarif-2.1.0.json",
            version: "2.1.0",
            runs: [Run {
                tool: Tool {
                    driver: Driver {
                        name: "s3tk",
                        version: report.run.tool_version.to_owned(),
                        semantic_version: report.run.tool_version.to_owned(),
                        rules: checks.iter().map(|c| rule(c)).collect(),
                    },
                },
                invocations: [Invocation {
                    execution_successful: notifications.is_empty(),
                    end_time_utc: report.run.generated_at.clone(),
                    tool_execution_notifications: notifications,
                }],
                results,
                properties: RunProperties {
                    account: report.run.account.as_deref(),
                    generated_at: &report.run.generated_at,
                },
            }],
        };
        serde_json::to_writer_pretty(&mut *out, &log)?;
        writeln!(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::report::Style;
    use crate::testing::sample_report;

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
            "s3://site%7Cwww_%3Cb%3E"
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
    }
}
