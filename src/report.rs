//! Findings, the report of a run, and the `Reporter` plugin kind.
//!
//! Reporters are synchronous: when one runs the report is complete. They write to a
//! `&mut dyn Write` (stdout in the CLI, a buffer in tests) and never print themselves.

use crate::check::{CheckMeta, Outcome, Severity};
use crate::error::{FetchError, FetchErrorKind, Recorder};
use serde::Serialize;
use std::io::{self, Write};
use std::time::Duration;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    /// The check could not be evaluated (a facet could not be read): never a pass, never a fail.
    Error,
    /// The check does not apply to this bucket.
    Skip,
    /// A failure suppressed by the ignore file: reported everywhere, never counted by `--fail-on`.
    Muted,
}

impl Status {
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Skip => "skip",
            Status::Muted => "muted",
        }
    }
}

/// What a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Resource {
    /// The AWS account (its id, or `unknown` when it could not be determined).
    Account(String),
    Bucket(String),
    /// A Route 53 record that points at S3 (`scan-dns`).
    DnsRecord {
        name: String,
        record_type: String,
        zone_id: String,
    },
}

impl Resource {
    /// How people name it: the bucket's name, or `account 123456789012`.
    pub fn name(&self) -> String {
        match self {
            Resource::Account(id) => format!("account {id}"),
            Resource::Bucket(name) => name.clone(),
            Resource::DnsRecord {
                name, record_type, ..
            } => format!("{name} ({record_type})"),
        }
    }

    pub fn bucket(&self) -> Option<&str> {
        match self {
            Resource::Bucket(name) => Some(name),
            // S3 serves the bucket named like the hostname.
            Resource::DnsRecord { name, .. } => Some(name),
            Resource::Account(_) => None,
        }
    }

    /// A stable identifier: `s3://bucket`, the account's root ARN, or
    /// `route53://ZONE/NAME/TYPE`.
    pub fn uri(&self) -> String {
        match self {
            Resource::Account(id) => format!("arn:aws:iam::{id}:root"),
            Resource::Bucket(name) => format!("s3://{name}"),
            Resource::DnsRecord {
                name,
                record_type,
                zone_id,
            } => format!("route53://{zone_id}/{name}/{record_type}"),
        }
    }
}

/// One check's verdict on one bucket, or on the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub check: &'static CheckMeta,
    pub resource: Resource,
    /// `None` when the region could not be resolved (e.g. the bucket does not exist).
    pub region: Option<String>,
    pub status: Status,
    /// The check's severity, or a lower one the check chose for this finding (`Outcome::FailAt`).
    pub severity: Severity,
    pub message: String,
    /// Why the failure is muted (the ignore file's `reason`), for `Status::Muted`.
    pub muted_reason: Option<String>,
    /// How long the check took on this bucket, waiting for facets included.
    pub elapsed: Duration,
    /// Why the check could not be evaluated, for `Status::Error`.
    pub error: Option<FetchError>,
    /// The AWS account the resource is in, when known (every finding of a multi-account scan).
    pub account: Option<String>,
    /// When the state the verdict rests on was recorded (`--from-state`: when the scan read
    /// it; `--from-aws-config`: the configuration item's capture time); `None` when read live.
    pub observed_at: Option<String>,
}

impl Finding {
    pub fn new(
        check: &'static CheckMeta,
        resource: Resource,
        region: Option<&str>,
        result: Result<Outcome, FetchError>,
        elapsed: Duration,
    ) -> Self {
        let mut severity = check.severity;
        let (status, message, error) = match result {
            Ok(Outcome::Pass(m)) => (Status::Pass, m, None),
            Ok(Outcome::Fail(m)) => (Status::Fail, m, None),
            Ok(Outcome::FailAt(s, m)) => {
                severity = s;
                (Status::Fail, m, None)
            }
            Ok(Outcome::Skip(m)) => (Status::Skip, m, None),
            // A known gap of the source (AWS Config), not a failure of this run.
            Err(
                e @ FetchError {
                    kind:
                        FetchErrorKind::NotRecorded {
                            by: Recorder::AwsConfig,
                        },
                    ..
                },
            ) => (Status::Skip, format!("not evaluated: {e}"), None),
            Err(e) => (Status::Error, format!("could not evaluate: {e}"), Some(e)),
        };
        Finding {
            check,
            resource,
            region: region.map(str::to_owned),
            status,
            severity,
            message,
            muted_reason: None,
            elapsed,
            error,
            account: None,
            observed_at: None,
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
    pub muted: usize,
}

impl Summary {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Self {
        let mut s = Summary::default();
        for f in findings {
            *match f.status {
                Status::Pass => &mut s.pass,
                Status::Fail => &mut s.fail,
                Status::Error => &mut s.error,
                Status::Skip => &mut s.skip,
                Status::Muted => &mut s.muted,
            } += 1;
        }
        s
    }

    pub fn total(&self) -> usize {
        self.pass + self.fail + self.error + self.skip + self.muted
    }
}

/// Which failing findings make the run fail (`--fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Failures of this severity or worse.
    AtLeast(Severity),
    /// Report only: failing findings never set the exit code.
    Never,
}

impl FailOn {
    /// Whether a finding makes the run fail: a failure at or above the threshold.
    pub fn gates(self, finding: &Finding) -> bool {
        match self {
            FailOn::AtLeast(threshold) => {
                finding.status == Status::Fail && finding.severity >= threshold
            }
            FailOn::Never => false,
        }
    }
}

impl Default for FailOn {
    fn default() -> Self {
        FailOn::AtLeast(Severity::Low)
    }
}

impl std::str::FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        use clap::ValueEnum;
        if s == "never" {
            return Ok(FailOn::Never);
        }
        Severity::from_str(s, false)
            .map(FailOn::AtLeast)
            .map_err(|_| format!("'{s}' is not one of info, low, medium, high, critical, never"))
    }
}

/// Facts about the run that every report states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInfo {
    /// When the scan finished, RFC 3339 in UTC (`2026-11-27T02:23:38Z`).
    pub generated_at: String,
    /// The AWS account scanned, when it could be determined (STS GetCallerIdentity).
    pub account: Option<String>,
    /// The machine that ran the scan.
    pub hostname: String,
    pub tool_version: &'static str,
    /// How long the run took, start to report (the checks run concurrently, so this is less
    /// than the sum of the findings' `elapsed`).
    pub wall_time: Duration,
}

impl RunInfo {
    /// Describes a run that started at `started` and finishes now.
    pub fn finished(account: Option<String>, started: std::time::Instant) -> Self {
        RunInfo {
            generated_at: crate::clock::now_rfc3339(),
            account,
            hostname: hostname(),
            tool_version: env!("CARGO_PKG_VERSION"),
            wall_time: started.elapsed(),
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// The result of one run, findings sorted by bucket then check id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub run: RunInfo,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn new(run: RunInfo, mut findings: Vec<Finding>) -> Self {
        findings.sort_by(|a, b| {
            (&a.account, &a.resource, a.check.id).cmp(&(&b.account, &b.resource, b.check.id))
        });
        Report { run, findings }
    }

    pub fn summary(&self) -> Summary {
        Summary::of(&self.findings)
    }

    /// The buckets in the report, sorted.
    pub fn buckets(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .findings
            .iter()
            .filter_map(|f| f.resource.bucket())
            .collect();
        names.dedup();
        names
    }

    /// The accounts the findings are in, sorted (one for a single-account scan).
    pub fn accounts(&self) -> Vec<&str> {
        let mut accounts: Vec<&str> = self
            .findings
            .iter()
            .filter_map(|f| f.account.as_deref())
            .collect();
        accounts.dedup();
        accounts
    }

    /// Whether the findings span several accounts (reporters then show the account).
    pub fn is_multi_account(&self) -> bool {
        self.accounts().len() > 1
    }

    /// The part of the report about one account.
    pub fn for_account(&self, account: &str) -> Report {
        Report {
            run: self.run.clone(),
            findings: self
                .findings
                .iter()
                .filter(|f| f.account.as_deref() == Some(account))
                .cloned()
                .collect(),
        }
    }

    /// The resources in the report (the account first, then buckets), sorted.
    pub fn resources(&self) -> Vec<&Resource> {
        let mut resources: Vec<&Resource> = self.findings.iter().map(|f| &f.resource).collect();
        resources.dedup();
        resources
    }

    /// The regions of the scanned buckets, sorted.
    pub fn regions(&self) -> Vec<&str> {
        let mut regions: Vec<&str> = self
            .findings
            .iter()
            .filter_map(|f| f.region.as_deref())
            .collect();
        regions.sort_unstable();
        regions.dedup();
        regions
    }

    /// The checks that ran, sorted by id.
    pub fn checks(&self) -> Vec<&'static CheckMeta> {
        let mut checks: Vec<&'static CheckMeta> = self.findings.iter().map(|f| f.check).collect();
        checks.sort_by_key(|c| c.id);
        checks.dedup_by_key(|c| c.id);
        checks
    }

    /// The first rejection of the credentials, if S3 refused them: the run as a whole is then
    /// a configuration error.
    pub fn credentials_rejected(&self) -> Option<&FetchError> {
        self.findings
            .iter()
            .filter_map(|f| f.error.as_ref())
            .find(|e| {
                matches!(
                    e.kind,
                    crate::error::FetchErrorKind::CredentialsRejected { .. }
                )
            })
    }

    /// 2 when S3 rejected the credentials, else the code of [`Report::tally`].
    pub fn exit_code(&self, fail_on: FailOn) -> u8 {
        if self.credentials_rejected().is_some() {
            return crate::exit::USAGE;
        }
        self.tally(fail_on).code()
    }

    /// Unresolved when a failure at or above `fail_on` remains, incomplete when any check could
    /// not be evaluated.
    pub fn tally(&self, fail_on: FailOn) -> crate::exit::Tally {
        let mut tally = crate::exit::Tally::default();
        if self.findings.iter().any(|f| fail_on.gates(f)) {
            tally.unresolved();
        }
        if self.findings.iter().any(|f| f.status == Status::Error) {
            tally.incomplete();
        }
        tally
    }
}

/// How the output may be decorated and laid out; decided once by the CLI from the terminal,
/// `NO_COLOR` and `COLUMNS`, so that no reporter looks at stdout itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
    /// The columns the table must fit in; `None` (not a terminal, no `COLUMNS`, or a file):
    /// [`DEFAULT_WIDTH`].
    pub width: Option<usize>,
}

/// The width of the table when the terminal's is unknown (piped, or written to a file): wide
/// enough for a finding on one line in most cases, narrow enough to read in a CI log.
pub const DEFAULT_WIDTH: usize = 100;

impl Style {
    /// The columns to fit in.
    pub fn width(&self) -> usize {
        self.width.unwrap_or(DEFAULT_WIDTH)
    }
}

/// Everything a reporter may be told besides the report: one struct for every reporter, so a
/// new option is a field here, never a global. The CLI fills it from the scan's options.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    pub style: Style,
    /// The SARIF `automationDetails` category (`--sarif-category`); `None`: `s3tk`.
    pub sarif_category: Option<String>,
    /// The most bytes the Markdown report may take (`--markdown-max-bytes`); `None`: just under
    /// GitHub's 1 MiB step-summary limit.
    pub markdown_max_bytes: Option<usize>,
    /// Files this run writes in a format that keeps every finding (json, csv, ocsf, junit), for
    /// a report that had to leave findings out to point at.
    pub complete_reports: Vec<String>,
    /// The table lists passing and skipped findings too (`--show-passed`); by default it lists
    /// only what needs attention. Other reporters always keep every finding.
    pub show_passed: bool,
}

/// The smallest `--markdown-max-bytes`: the summary (every failing check with its count) must
/// fit, with room to say what was cut.
pub const MIN_MARKDOWN_BYTES: u64 = 16_384;

/// What a reporter left out to stay within its consumer's limits, one sentence each (the CLI
/// says each on stderr); empty when the report is complete.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeftOut(pub Vec<String>);

impl LeftOut {
    /// Nothing was left out.
    pub fn nothing() -> Self {
        LeftOut::default()
    }
}

pub trait Reporter: Send + Sync + 'static {
    fn write(
        &self,
        report: &Report,
        options: &ReportOptions,
        out: &mut dyn Write,
    ) -> io::Result<LeftOut>;
}

/// A reporter and the `--format` name that selects it.
pub struct ReporterEntry {
    pub name: &'static str,
    pub description: &'static str,
    pub reporter: &'static dyn Reporter,
}

inventory::collect!(ReporterEntry);
