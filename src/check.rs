//! The `Check` plugin kind: metadata as `const` data, behaviour as an async trait.
//!
//! A check reads facets from a [`BucketState`] and returns an [`Outcome`]; it never calls AWS.
//! If a facet cannot be read, the check returns that [`FetchError`] and the runner records an
//! `error` finding, so a missing permission is never mistaken for a pass or a fail.

use crate::error::FetchError;
use crate::facet::Facet;
use crate::model::S3Record;
use crate::state::{AccountState, BucketState};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// How bad a failing check is, in the labels Security Hub and Prowler use.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one check concluded about one bucket. Messages are specific and short: they name the
/// grantee, the statement, the actual log target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass(String),
    Fail(String),
    /// A failure whose severity differs from the check's, e.g. an exposure that a Block Public
    /// Access setting currently neutralises.
    FailAt(Severity, String),
    /// The check does not apply to this bucket (the message says why).
    Skip(String),
}

/// Settings that change what a check considers compliant (scan flags).
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// `--log-bucket`: logging must target one of these buckets (any bucket when empty).
    pub log_buckets: Vec<String>,
    /// `--log-prefix`: logging must use this prefix; `{bucket}` is replaced by the bucket name.
    pub log_prefix: Option<String>,
    /// `--trusted-account`: accounts a bucket policy may grant access to without a finding.
    pub trusted_accounts: Vec<String>,
}

/// A control of a compliance framework that a check covers. Verified against the frameworks'
/// own documents (see `aws-s3-semantics.md` and `peers.md` §a.2–a.3), not copied from a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// A Security Hub control that belongs to the AWS Foundational Security Best Practices standard.
    Fsbp(&'static str),
    /// A Security Hub control outside FSBP (NIST, PCI or CIS standards only).
    SecurityHub(&'static str),
    /// A CIS AWS Foundations Benchmark recommendation: (benchmark version, recommendation id).
    Cis(&'static str, &'static str),
}

impl std::fmt::Display for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Control::Fsbp(id) => write!(f, "FSBP {id}"),
            Control::SecurityHub(id) => write!(f, "Security Hub {id}"),
            Control::Cis(version, id) => write!(f, "CIS {version} {id}"),
        }
    }
}

/// The constant description of a check, shown by `s3tk checks` and `s3tk explain`.
/// Two metas are equal when their ids are: ids are unique (registry tests).
#[derive(Debug)]
pub struct CheckMeta {
    /// `s3.<scope>.<bad-state>`, e.g. `s3.bucket.public-acl`. Ids are API: never rename.
    pub id: &'static str,
    /// Sentence case, states the problem, no trailing period.
    pub title: &'static str,
    /// Whether it runs per bucket or once for the account.
    pub scope: Scope,
    pub severity: Severity,
    /// Every facet `evaluate` may read; the IAM actions the check needs follow from these.
    pub facets: &'static [Facet],
    /// The compliance controls the check covers.
    pub compliance: &'static [Control],
    /// The `scan` flag that turns the check on, for checks that need permissions or services
    /// beyond S3 (e.g. `--object-level-logging`); `None` for checks that always run.
    pub opt_in: Option<&'static str>,
    /// Markdown with `## What it checks`, `## Why it matters`, `## How to fix`.
    pub doc: &'static str,
    /// The file that declares the check (the registry tests check it matches the id).
    pub source_file: &'static str,
}

impl PartialEq for CheckMeta {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for CheckMeta {}

impl CheckMeta {
    /// The IAM actions the check needs, sorted and deduplicated.
    pub fn iam_actions(&self) -> Vec<&'static str> {
        let mut actions: Vec<_> = self
            .facets
            .iter()
            .flat_map(|f| f.iam_actions().iter().copied())
            .collect();
        actions.sort_unstable();
        actions.dedup();
        actions
    }

    /// The doc text without the one leading space each `///` line carries.
    pub fn doc_text(&self) -> String {
        self.doc
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The body of one `## heading` section of the doc text, trimmed (empty if absent).
    pub fn doc_section(&self, heading: &str) -> String {
        let doc = self.doc_text();
        let marker = format!("## {heading}\n");
        let Some(start) = doc.find(&marker) else {
            return String::new();
        };
        let body = &doc[start + marker.len()..];
        body[..body.find("\n## ").unwrap_or(body.len())]
            .trim()
            .to_owned()
    }

    /// The first paragraph of a section on one line (for tables and summaries).
    pub fn doc_summary(&self, heading: &str) -> String {
        let section = self.doc_section(heading);
        let first = section.split("\n\n").next().unwrap_or_default();
        first.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

#[async_trait]
pub trait Check: Send + Sync + 'static {
    /// Evaluates one bucket from its cached facets. `Err` means a facet could not be read.
    async fn evaluate(
        &self,
        bucket: &BucketState,
        options: &CheckOptions,
    ) -> Result<Outcome, FetchError>;
}

/// A check of the account as a whole (evaluated once per run, not per bucket).
#[async_trait]
pub trait AccountCheck: Send + Sync + 'static {
    /// Evaluates the account from its cached facets. `Err` means a facet could not be read.
    async fn evaluate(
        &self,
        account: &AccountState,
        options: &CheckOptions,
    ) -> Result<Outcome, FetchError>;
}

/// A check of one DNS record that points at S3 (run by `scan-dns`, not `scan`).
#[async_trait]
pub trait DnsCheck: Send + Sync + 'static {
    /// Evaluates the record; the account state answers which buckets exist and whose they are.
    async fn evaluate(
        &self,
        record: &S3Record,
        account: &AccountState,
    ) -> Result<Outcome, FetchError>;
}

/// What a check looks at: each bucket, the account once, or each DNS record (`scan-dns`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Account,
    Bucket,
    Dns,
}

/// The behaviour behind a registered check, by scope.
pub enum CheckKind {
    Account(&'static dyn AccountCheck),
    Bucket(&'static dyn Check),
    Dns(&'static dyn DnsCheck),
}

/// What `declare_check!` registers with `inventory`.
pub struct CheckEntry {
    pub meta: &'static CheckMeta,
    pub check: CheckKind,
}

inventory::collect!(CheckEntry);

/// Declares a check: its doc comment, a unit struct, its `META` and its registration.
///
/// ```ignore
/// declare_check! {
///     /// ## What it checks
///     /// …
///     pub PublicAcl {
///         id: "s3.bucket.public-acl",
///         title: "Bucket ACL grants access to everyone",
///         scope: Bucket,
///         severity: Critical,
///         facets: [Acl],
///         compliance: [Fsbp("S3.2"), Cis("5.0", "2.1.4")],
///     }
/// }
/// ```
/// expands to `pub struct PublicAcl;`, `impl PublicAcl { pub const META: CheckMeta = … }` with
/// the doc comment as `META.doc`, and `inventory::submit!` of a [`CheckEntry`]. The struct
/// still needs its `#[async_trait] impl Check` (scope `Bucket`), `impl AccountCheck` (scope
/// `Account`) or `impl DnsCheck` (scope `Dns`). An optional last field `opt_in: "--flag"` makes
/// `scan` run the check only with that flag.
#[macro_export]
macro_rules! declare_check {
    (@opt_in) => { None };
    (@opt_in $flag:literal) => { Some($flag) };
    (
        $(#[doc = $doc:literal])*
        $vis:vis $name:ident {
            id: $id:literal,
            title: $title:literal,
            scope: $scope:ident,
            severity: $severity:ident,
            facets: [$($facet:ident),* $(,)?],
            compliance: [$($kind:ident($($arg:literal),+)),* $(,)?]
            $(, opt_in: $opt_in:literal)? $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug)]
        $vis struct $name;

        impl $name {
            pub const META: $crate::check::CheckMeta = $crate::check::CheckMeta {
                id: $id,
                title: $title,
                scope: $crate::check::Scope::$scope,
                severity: $crate::check::Severity::$severity,
                facets: &[$($crate::facet::Facet::$facet),*],
                compliance: &[$($crate::check::Control::$kind($($arg),+)),*],
                opt_in: $crate::declare_check!(@opt_in $($opt_in)?),
                doc: concat!($($doc, "\n"),*),
                source_file: file!(),
            };
        }

        ::inventory::submit! {
            $crate::check::CheckEntry { meta: &$name::META, check: $crate::check::CheckKind::$scope(&$name) }
        }
    };
}
