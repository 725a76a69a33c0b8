//! Findings, the report of a run, and the `Reporter` plugin kind.
//!
//! Reporters are synchronous: when one runs the report is complete. They write to a
//! `&mut dyn Write` (stdout in the CLI, a buffer in tests) and never print themselves.

use crate::check::{CheckMeta, Outcome, Severity};
use crate::error::FetchError;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    /// The check could not be evaluated (a facet could not be read): never a pass, never a fail.
    Error,
    /// The check does not apply to this bucket.
    Skip,
}

impl Status {
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Skip => "skip",
        }
    }
}

/// One check's verdict on one bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub check: &'static str,
    pub bucket: String,
    /// `None` when the region could not be resolved (e.g. the bucket does not exist).
    pub region: Option<String>,
    pub status: Status,
    pub severity: Severity,
    pub title: &'static str,
    pub message: String,
    pub remediation: Option<&'static str>,
}

impl Finding {
    pub fn new(
        meta: &'static CheckMeta,
        bucket: &str,
        region: Option<&str>,
        result: Result<Outcome, FetchError>,
    ) -> Self {
        let (status, message) = match result {
            Ok(Outcome::Pass(m)) => (Status::Pass, m),
            Ok(Outcome::Fail(m)) => (Status::Fail, m),
            Ok(Outcome::Skip(m)) => (Status::Skip, m),
            Err(e) => (Status::Error, format!("could not evaluate: {e}")),
        };
        Finding {
            check: meta.id,
            bucket: bucket.to_owned(),
            region: region.map(str::to_owned),
            status,
            severity: meta.severity,
            title: meta.title,
            message,
            remediation: meta.remediation,
        }
    }
}

/// Counts per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub skip: usize,
}

/// The result of one run, findings sorted by bucket then check id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn new(mut findings: Vec<Finding>) -> Self {
        findings.sort_by(|a, b| (&a.bucket, a.check).cmp(&(&b.bucket, b.check)));
        Report { findings }
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for f in &self.findings {
            *match f.status {
                Status::Pass => &mut s.pass,
                Status::Fail => &mut s.fail,
                Status::Error => &mut s.error,
                Status::Skip => &mut s.skip,
            } += 1;
        }
        s
    }

    pub fn bucket_count(&self) -> usize {
        let mut names: Vec<&str> = self.findings.iter().map(|f| f.bucket.as_str()).collect();
        names.dedup();
        names.len()
    }

    /// 1 when any check failed, else 3 when any could not be evaluated, else 0.
    pub fn exit_code(&self) -> u8 {
        let s = self.summary();
        if s.fail > 0 {
            1
        } else if s.error > 0 {
            3
        } else {
            0
        }
    }
}

/// How the output may be decorated; decided once by the CLI from the terminal and `NO_COLOR`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
}

pub trait Reporter: Send + Sync + 'static {
    fn write(&self, report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()>;
}

/// A reporter and the `--format` name that selects it.
pub struct ReporterEntry {
    pub name: &'static str,
    pub description: &'static str,
    pub reporter: &'static dyn Reporter,
}

inventory::collect!(ReporterEntry);

/// A small report with one finding of each status, shared by the reporters' snapshot tests.
#[cfg(test)]
pub fn sample_report() -> Report {
    use crate::check::Severity;
    let finding =
        |bucket: &str, check, severity, status, title, message: &str, remediation| Finding {
            check,
            bucket: bucket.into(),
            region: Some("eu-west-1".into()),
            status,
            severity,
            title,
            message: message.into(),
            remediation,
        };
    Report::new(vec![
        finding(
            "app-data",
            "s3.bucket.versioning-disabled",
            Severity::Medium,
            Status::Pass,
            "Bucket versioning is not enabled",
            "versioning is enabled",
            None,
        ),
        finding(
            "app-data",
            "s3.bucket.public-acl",
            Severity::Critical,
            Status::Fail,
            "Bucket ACL grants access to everyone",
            "ACL grants READ to AllUsers (anyone on the internet)",
            Some("s3.bucket.block-public-access"),
        ),
        Finding {
            region: None,
            ..finding(
                "app-logs",
                "s3.bucket.public-acl",
                Severity::Critical,
                Status::Error,
                "Bucket ACL grants access to everyone",
                "could not evaluate: access denied to GetBucketAcl: the caller needs s3:GetBucketAcl",
                Some("s3.bucket.block-public-access"),
            )
        },
        finding(
            "site|www",
            "s3.bucket.logging-disabled",
            Severity::Medium,
            Status::Skip,
            "Server access logging is not enabled",
            "not applicable",
            None,
        ),
    ])
}
