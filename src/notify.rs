//! `scan --sns-topic`: a summary of the failing findings, published to SNS after the report is
//! written, so a failed publish never hides the scan's own results.
//!
//! Subject `[s3tk] Scan Failures` (as in s3tk 0.5, so existing email filters keep working). The
//! body starts with one line naming the account, the time and the counts, then one line per
//! gating finding (failures at or above `--fail-on`, and errors), worst first:
//! `<resource>: [<severity>] <check id>: <message>`. Nothing is published when nothing fails.
//! The body stays under SNS's 256 KiB limit; what does not fit is counted in a last line.

use crate::aws::{S3Clients, classify};
use crate::error::FetchError;
use crate::facet::Facet;
use crate::report::{FailOn, Finding, Report, Status};
use std::fmt;

pub const SUBJECT: &str = "[s3tk] Scan Failures";

/// SNS accepts messages up to 256 KiB; leave room for the closing line.
const MAX_BODY: usize = 256 * 1024 - 1024;

/// A validated SNS topic ARN: `arn:PARTITION:sns:REGION:ACCOUNT:NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicArn {
    arn: String,
    region: String,
}

impl TopicArn {
    pub fn parse(arn: &str) -> Result<TopicArn, String> {
        let invalid = |why: &str| {
            format!(
                "invalid --sns-topic '{arn}': {why} (expected arn:aws:sns:REGION:ACCOUNT_ID:TOPIC)"
            )
        };
        let parts: Vec<&str> = arn.split(':').collect();
        let [
            "arn",
            partition @ ("aws" | "aws-cn" | "aws-us-gov"),
            "sns",
            region,
            account,
            name,
        ] = parts[..]
        else {
            return Err(invalid("not an SNS topic ARN"));
        };
        let _ = partition;
        if !crate::aws::is_valid_region(region, false) {
            return Err(invalid("the region is not a region code"));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("the account id is not 12 digits"));
        }
        let valid_name = |n: &str| {
            let base = n.strip_suffix(".fifo").unwrap_or(n);
            !base.is_empty()
                && n.len() <= 256
                && base
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !valid_name(name) {
            return Err(invalid(
                "the topic name may hold only letters, digits, - and _",
            ));
        }
        Ok(TopicArn {
            arn: arn.to_owned(),
            region: region.to_owned(),
        })
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn as_str(&self) -> &str {
        &self.arn
    }
}

impl fmt::Display for TopicArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

/// The findings that make the scan fail: failures at or above `fail_on`, and errors.
fn gating(report: &Report, fail_on: FailOn) -> Vec<&Finding> {
    let mut found: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| fail_on.gates(f) || f.status == Status::Error)
        .collect();
    found.sort_by_key(|f| std::cmp::Reverse(f.severity));
    found
}

/// The message body, or `None` when nothing fails.
pub fn summary(report: &Report, fail_on: FailOn) -> Option<String> {
    let found = gating(report, fail_on);
    if found.is_empty() {
        return None;
    }
    let failures = found.iter().filter(|f| f.status == Status::Fail).count();
    let errors = found.len() - failures;
    let mut body = format!(
        "s3tk {} scan of account {} at {}: {failures} failing finding(s), {errors} error(s)\n\n",
        report.run.tool_version,
        report.run.account.as_deref().unwrap_or("unknown"),
        report.run.generated_at,
    );
    for (i, f) in found.iter().enumerate() {
        let line = match f.status {
            Status::Error => format!(
                "{}: [error] {}: {}\n",
                f.resource.name(),
                f.check.id,
                f.message
            ),
            _ => format!(
                "{}: [{}] {}: {}\n",
                f.resource.name(),
                f.severity,
                f.check.id,
                f.message
            ),
        };
        if body.len() + line.len() > MAX_BODY {
            body.push_str(&format!(
                "… and {} more (see the full report)\n",
                found.len() - i
            ));
            break;
        }
        body.push_str(&line);
    }
    Some(body)
}

/// Publishes the summary when something fails; returns what was done, for stderr.
pub async fn publish_failures(
    clients: &S3Clients,
    topic: &TopicArn,
    report: &Report,
    fail_on: FailOn,
) -> Result<Option<String>, FetchError> {
    let Some(body) = summary(report, fail_on) else {
        return Ok(None);
    };
    let _permit = clients.permit().await;
    let out = clients
        .sns(topic.region())
        .publish()
        .topic_arn(topic.as_str())
        .subject(SUBJECT)
        .message(&body)
        .send()
        .await
        .map_err(|e| classify(Facet::PublishToTopic, e))?;
    Ok(Some(format!(
        "published the failures to {topic} (message {})",
        out.message_id().unwrap_or("without id")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_arns_are_validated() {
        let topic = TopicArn::parse("arn:aws:sns:eu-west-1:111122223333:security-alerts").unwrap();
        assert_eq!(topic.region(), "eu-west-1");
        assert!(TopicArn::parse("arn:aws-cn:sns:cn-north-1:111122223333:alerts.fifo").is_ok());
        for bad in [
            "security-alerts",
            "arn:aws:sqs:eu-west-1:111122223333:q",
            "arn:aws:sns:europe:111122223333:t",
            "arn:aws:sns:eu-west-1:1111:t",
            "arn:aws:sns:eu-west-1:111122223333:",
            "arn:aws:sns:eu-west-1:111122223333:has space",
            "arn:aws:sns:eu-west-1:111122223333:t:extra",
        ] {
            let err = TopicArn::parse(bad).unwrap_err();
            assert!(
                err.starts_with(&format!("invalid --sns-topic '{bad}'")),
                "{err}"
            );
        }
    }
}
