//! The command line's definitions (clap): every command, its arguments and their help, and
//! nothing that runs them. The remediation commands are generated from the registry
//! ([`remediate`]); the rest are declared here.

pub mod remediate;

use super::objects::batch;
use super::policy;
use crate::catalog::Framework;
use crate::objects::command::{DeleteVersions, Encrypt, ObjectCommand, ResetAcl, ScanAcl};
use crate::output;
use crate::registry;
use crate::report::FailOn;
use clap::builder::{PossibleValue, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsStr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "s3tk",
    version,
    about = "A security toolkit for Amazon S3",
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Use this profile from ~/.aws/config and ~/.aws/credentials (default: AWS_PROFILE, then "default")
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Region for account-wide calls (default: AWS_REGION, the profile, then us-east-1); each bucket's own region is looked up
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// Send S3 requests to this endpoint (MinIO, LocalStack, moto), with path-style addressing; AWS_ENDPOINT_URL works too
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Maximum number of S3 requests in flight (default 32; 64 objects at a time for the object commands)
    #[arg(long, global = true, value_name = "N")]
    pub concurrency: Option<usize>,
    /// When to colour the output; never when NO_COLOR is set
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Make a write command's change to every bucket, or to a pattern's buckets, without asking;
    /// without a terminal such a change needs it
    #[arg(long, short = 'y', global = true)]
    pub yes: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan buckets for public access, logging and versioning
    Scan(ScanArgs),
    /// Find Route 53 records that point at S3 buckets that do not exist or are not yours
    ScanDns {
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Print the least-privilege IAM policy for commands (default: every command)
    IamPolicy(IamPolicyArgs),
    /// Print a shell completion script: s3tk completions bash > /etc/bash_completion.d/s3tk
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): s3tk man > s3tk.1; with --dir, write s3tk.1 and one page per command
    Man {
        /// Write s3tk.1 and s3tk-COMMAND.1 for every command into this directory (e.g. /usr/local/share/man/man1)
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// List the available checks
    Checks {
        /// table, json, or markdown (the README's table, with compliance references)
        #[arg(long, value_enum, default_value_t = CatalogFormat::Table)]
        format: CatalogFormat,
    },
    /// List the output formats
    Reporters,
    /// Show what a check looks at, why it matters and how to fix it
    Explain {
        /// A check id, as listed by `s3tk checks`
        #[arg(value_parser = KnownValues { values: check_ids, parse: check_selector }, hide_possible_values = true)]
        id: String,
    },
    /// The remediation commands, one per registered remediation (`args/remediate.rs`).
    #[command(flatten)]
    Fix(remediate::FixCommand),
    #[command(about = policy::LIST_POLICY.summary, long_about = policy::LIST_POLICY.long_help())]
    ListPolicy(ListPolicyArgs),
    #[command(about = policy::SET_POLICY.summary, long_about = policy::SET_POLICY.long_help())]
    #[command(visible_aliases = policy::SET_POLICY.aliases)]
    SetPolicy(SetPolicyArgs),
    #[command(about = policy::UPDATE_POLICY.summary, long_about = policy::UPDATE_POLICY.long_help())]
    UpdatePolicy(UpdatePolicyArgs),
    #[command(about = policy::DELETE_POLICY.summary, long_about = policy::DELETE_POLICY.long_help())]
    DeletePolicy {
        /// The bucket
        #[arg(value_name = "BUCKET")]
        bucket: String,
        /// Print the policy that would be deleted, and delete nothing
        #[arg(long)]
        dry_run: bool,
        /// text (default: the deleted policy alone, to restore it), or json
        #[arg(long, value_enum, default_value_t = ObjectFormat::Text)]
        format: ObjectFormat,
    },
    #[command(about = ScanAcl::INFO.summary, long_about = ScanAcl::INFO.long_help())]
    ScanObjectAcl {
        #[command(flatten)]
        target: ObjectTarget,
    },
    #[command(about = ResetAcl::INFO.summary, long_about = ResetAcl::INFO.long_help())]
    ResetObjectAcl(ResetObjectAclArgs),
    #[command(about = Encrypt::INFO.summary, long_about = Encrypt::INFO.long_help())]
    Encrypt(EncryptArgs),
    #[command(about = batch::BATCH_STATUS.summary, long_about = batch::BATCH_STATUS.long_help())]
    BatchStatus {
        /// The job id that `--batch` printed
        #[arg(value_name = "JOB_ID")]
        job_id: String,
        /// text (default) or json
        #[arg(long, value_enum, default_value_t = ObjectFormat::Text)]
        format: ObjectFormat,
        /// Wait until the job has ended (progress on stderr), then show it
        #[arg(long)]
        wait: bool,
        /// With --wait: seconds between two looks at the job
        #[arg(long, value_name = "SECONDS", default_value = "15", requires = "wait", value_parser = clap::builder::ValueParser::new(parse_interval))]
        interval: std::time::Duration,
    },
    #[command(about = DeleteVersions::INFO.summary, long_about = DeleteVersions::INFO.long_help())]
    DeleteUnencryptedVersions(DeleteVersionsArgs),
}

/// `iam-policy`: which commands, and what to narrow the policy to.
#[derive(Debug, Args)]
pub struct IamPolicyArgs {
    /// Commands, e.g. scan encrypt
    #[arg(value_name = "COMMAND", value_parser = KnownValues { values: crate::iam::commands, parse: parse_iam_command }, hide_possible_values = true)]
    pub commands: Vec<String>,
    /// Add the CloudTrail reads of scan --object-level-logging
    #[arg(long)]
    pub object_level_logging: bool,
    /// Allow publishing to this SNS topic (for scan --sns-topic)
    #[arg(long, value_name = "ARN")]
    pub sns_topic: Option<String>,
    /// Allow assuming this role in other accounts and listing the organization (for scan --role-name)
    #[arg(long, value_name = "ROLE")]
    pub role_name: Option<String>,
    /// Allow reading the buckets' configuration items from AWS Config (for scan --from-aws-config)
    #[arg(long)]
    pub from_aws_config: bool,
    /// Allow reading them through an AWS Config aggregator (for scan --from-aws-config --aggregator)
    #[arg(long, value_name = "NAME")]
    pub aggregator: Option<String>,
    /// Allow only this bucket and its objects (repeat for several; include --log-bucket, --report and inventory buckets)
    #[arg(long = "bucket", value_name = "NAME")]
    pub buckets: Vec<String>,
    /// Allow passing only this role to S3 Batch Operations (the --role-arn of encrypt/reset-object-acl --batch)
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,
    /// Allow only this KMS key, by ARN (the --kms-key-id of encrypt)
    #[arg(long, value_name = "ARN")]
    pub kms_key_id: Option<String>,
}

/// `list-policy`: which buckets, and how to show their policies.
#[derive(Debug, Args)]
pub struct ListPolicyArgs {
    /// Bucket names or wildcard patterns; none means every bucket in the account
    #[arg(value_name = "BUCKETS")]
    pub buckets: Vec<String>,
    /// One label per statement: Public, No object ACL, Public uploads, No uploads, Encryption, Secure transport or Custom
    #[arg(long)]
    pub named: bool,
    /// text (default) or json
    #[arg(long, value_enum, default_value_t = ObjectFormat::Text)]
    pub format: ObjectFormat,
}

/// The named statements set-policy writes and update-policy adds.
#[derive(Debug, Args)]
pub struct PolicyStatements {
    /// Allow anyone to read objects (s3:GetObject)
    #[arg(long)]
    pub public: bool,
    /// Deny setting object ACLs (s3:PutObjectAcl)
    #[arg(long)]
    pub no_object_acl: bool,
    /// Deny uploads that are not public-read (s3tk 0.5's template: every upload must be public)
    #[arg(long)]
    pub public_uploads: bool,
    /// Deny every upload (s3:PutObject)
    #[arg(long)]
    pub no_uploads: bool,
    /// Deny uploads without the header x-amz-server-side-encryption: AES256 (aws:kms with --kms)
    #[arg(long)]
    pub encryption: bool,
    /// With --encryption: require aws:kms instead of AES256
    #[arg(long, requires = "encryption")]
    pub kms: bool,
    /// Deny every request over plain HTTP (aws:SecureTransport is false)
    #[arg(long)]
    pub secure_transport: bool,
}

#[derive(Debug, Args)]
pub struct SetPolicyArgs {
    /// The bucket
    #[arg(value_name = "BUCKET")]
    pub bucket: String,
    #[command(flatten)]
    pub statements: PolicyStatements,
    /// Also write the statements of this policy file (validated first)
    #[arg(long, value_name = "PATH")]
    pub policy_file: Option<PathBuf>,
    /// Replace the policy even though it has statements the new one lacks
    #[arg(long)]
    pub force: bool,
    /// Print the policy that would be written and its difference from the current one
    #[arg(long)]
    pub dry_run: bool,
    /// text (default: the difference), or json: the policy before and after
    #[arg(long, value_enum, default_value_t = ObjectFormat::Text)]
    pub format: ObjectFormat,
}

#[derive(Debug, Args)]
pub struct UpdatePolicyArgs {
    /// The bucket
    #[arg(value_name = "BUCKET")]
    pub bucket: String,
    #[command(flatten)]
    pub add: PolicyStatements,
    /// Remove the Public statement
    #[arg(long, conflicts_with = "public")]
    pub no_public: bool,
    /// Remove the No object ACL statement
    #[arg(long, conflicts_with = "no_object_acl")]
    pub allow_object_acl: bool,
    /// Remove the Public uploads statement
    #[arg(long, conflicts_with = "public_uploads")]
    pub no_public_uploads: bool,
    /// Remove the No uploads statement
    #[arg(long, conflicts_with = "no_uploads")]
    pub allow_uploads: bool,
    /// Remove the Encryption statement (AES256 or aws:kms)
    #[arg(long, conflicts_with = "encryption")]
    pub no_encryption: bool,
    /// Remove the Secure transport statement
    #[arg(long, conflicts_with = "secure_transport")]
    pub no_secure_transport: bool,
    /// Print the difference the update would make, and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// text (default: the difference), or json: the policy before and after
    #[arg(long, value_enum, default_value_t = ObjectFormat::Text)]
    pub format: ObjectFormat,
}

/// The bucket and keys an object command works on, and its output format.
#[derive(Debug, Args)]
pub struct ObjectTarget {
    /// The bucket
    #[arg(value_name = "BUCKET")]
    pub bucket: String,
    /// Only keys matching this pattern (repeatable): `*` matches any run of characters, `/` included; `?` one character; `[a-z]` a set. A pattern without wildcards is one key.
    #[arg(long, value_name = "GLOB")]
    pub only: Vec<String>,
    /// Leave out keys matching this pattern (repeatable; wins over --only)
    #[arg(long, value_name = "GLOB")]
    pub except: Vec<String>,
    /// Read the keys from this S3 Inventory report (CSV) instead of listing the bucket
    #[arg(long, value_name = "s3://BUCKET/…/manifest.json")]
    pub inventory: Option<String>,
    /// Only keys after this one, in S3's order (resumes a walk whose listing stopped: the error names the key)
    #[arg(long, value_name = "KEY")]
    pub start_after: Option<String>,
    /// text (default), or json: one JSON object per line per object, then a summary line
    #[arg(long, value_enum, default_value_t = ObjectFormat::Text)]
    pub format: ObjectFormat,
}

/// `reset-object-acl`: the objects, the ACL to give them, and how.
#[derive(Debug, Args)]
pub struct ResetObjectAclArgs {
    #[command(flatten)]
    pub target: ObjectTarget,
    /// The canned ACL to give the objects
    #[arg(long, value_name = "CANNED", default_value = "private", value_parser = KnownValues { values: canned_acls, parse: parse_canned_acl })]
    pub acl: String,
    /// Show what would change, and change nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub batch: BatchArgs,
}

/// `encrypt`: the objects, the encryption to give them, and how.
#[derive(Debug, Args)]
pub struct EncryptArgs {
    #[command(flatten)]
    pub target: ObjectTarget,
    /// SSE-KMS with this key: a key ARN or key id
    #[arg(long, value_name = "KEY", conflicts_with_all = ["customer_key", "customer_key_file", "customer_key_env"])]
    pub kms_key_id: Option<String>,
    /// SSE-C with this key: 32 bytes, or their base64 (prefer --customer-key-file or --customer-key-env: a value here lands in shell history)
    #[arg(long, value_name = "KEY", conflicts_with_all = ["customer_key_file", "customer_key_env"])]
    pub customer_key: Option<String>,
    /// SSE-C with the key in this file (32 bytes, or their base64)
    #[arg(long, value_name = "PATH", conflicts_with = "customer_key_env")]
    pub customer_key_file: Option<PathBuf>,
    /// SSE-C with the key in this environment variable (32 bytes, or their base64)
    #[arg(long, value_name = "VAR")]
    pub customer_key_env: Option<String>,
    /// Show what would be encrypted (HEAD requests, and Object Lock reads in an Object Lock bucket), and change nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub batch: BatchArgs,
}

/// `delete-unencrypted-versions`: the objects, and whether only to show them.
#[derive(Debug, Args)]
pub struct DeleteVersionsArgs {
    #[command(flatten)]
    pub target: ObjectTarget,
    /// Show what would be deleted, and delete nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ObjectFormat {
    Text,
    Json,
}

/// `--batch`: hand the objects to an S3 Batch Operations job instead of changing them here.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Create an S3 Batch Operations job for the objects that need the change (with --dry-run: write its manifest locally and create nothing)
    #[arg(long, requires_all = ["role_arn", "report"])]
    pub batch: bool,
    /// The IAM role the job runs as (Batch Operations must be able to assume it)
    #[arg(long, value_name = "ARN", requires = "batch")]
    pub role_arn: Option<String>,
    /// Where the manifest and the job's completion report go: s3://BUCKET[/PREFIX], in the bucket's region
    #[arg(long, value_name = "S3_URL", requires = "batch")]
    pub report: Option<String>,
}

/// The buckets a remediation command applies to, and whether to only show the plan.
#[derive(Debug, Clone, Args)]
pub struct FixTarget {
    /// Bucket names or wildcard patterns; none means every bucket in the account
    #[arg(value_name = "BUCKETS")]
    pub buckets: Vec<String>,
    /// Show what would change, and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// text (default), or json: one document with every bucket's result
    #[arg(long, value_enum, default_value_t = ObjectFormat::Text)]
    pub format: ObjectFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CatalogFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Bucket names or wildcard patterns (`*`, `?`, `[a-z]`); quote patterns. Default: every bucket
    #[arg(value_name = "BUCKETS")]
    pub buckets: Vec<String>,
    /// Logging must target this bucket (repeat to allow several)
    #[arg(long, value_name = "NAME")]
    pub log_bucket: Vec<String>,
    /// Logging must use this prefix; {bucket} is replaced by the bucket name, e.g. "{bucket}/"
    #[arg(long, value_name = "TEMPLATE")]
    pub log_prefix: Option<String>,
    /// Do not check server access logging
    #[arg(long)]
    pub skip_logging: bool,
    /// Do not check versioning
    #[arg(long)]
    pub skip_versioning: bool,
    /// Do not check default encryption
    #[arg(long)]
    pub skip_default_encryption: bool,
    /// Accepted for compatibility with s3tk 0.5, where the check was opt-in; it always runs now
    #[arg(long, hide = true)]
    pub default_encryption: bool,
    /// Run only the checks mapped to this compliance framework
    #[arg(long, value_enum, value_name = "FRAMEWORK")]
    pub compliance: Option<Framework>,
    /// An account that bucket policies may grant access to (repeatable)
    #[arg(long, value_name = "ACCOUNT_ID")]
    pub trusted_account: Vec<String>,
    /// Run only these checks: ids or dotted prefixes such as `s3.bucket` (comma-separated or repeated)
    #[arg(long, value_name = "ID", value_delimiter = ',', value_parser = KnownValues { values: check_ids, parse: check_selector }, hide_possible_values = true)]
    pub checks: Vec<String>,
    /// Do not run these checks: ids or dotted prefixes (comma-separated or repeated)
    #[arg(long, value_name = "ID", value_delimiter = ',', value_parser = KnownValues { values: check_ids, parse: check_selector }, hide_possible_values = true)]
    pub skip_checks: Vec<String>,
    /// Also check that CloudTrail logs object-level (data) events for each bucket: classic and
    /// advanced event selectors, trail status, multi-region and home-region trails
    #[arg(long)]
    pub object_level_logging: bool,
    /// After the report, publish a summary of the failing findings to this SNS topic (its ARN)
    #[arg(long, value_name = "ARN")]
    pub sns_topic: Option<String>,
    /// Scan other accounts by assuming this IAM role in each (with --accounts or --organization)
    #[arg(long, value_name = "ROLE")]
    pub role_name: Option<String>,
    /// The accounts to scan with --role-name (comma-separated or repeated)
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub accounts: Vec<String>,
    /// Scan every active account of the organization (AWS Organizations) with --role-name
    #[arg(long)]
    pub organization: bool,
    /// Evaluate the checks on a state file saved by --save-state instead of asking AWS: no
    /// request is sent and no credentials are needed (repeat for several files, e.g. accounts)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["role_name", "accounts", "organization", "sns_topic", "fix", "from_aws_config"])]
    pub from_state: Vec<PathBuf>,
    /// Evaluate the checks on the bucket configurations AWS Config records (configuration
    /// items), in the caller's account and region or across an aggregator's (--aggregator)
    #[arg(long, conflicts_with_all = ["role_name", "accounts", "organization", "sns_topic", "fix"])]
    pub from_aws_config: bool,
    /// With --from-aws-config: read every account and region of this AWS Config aggregator
    #[arg(long, value_name = "NAME", requires = "from_aws_config")]
    pub aggregator: Option<String>,
    /// Also write everything the scan read (per account and bucket, every answer: the value,
    /// "not configured", or the error) to this state file, gzip-compressed when it ends in .gz;
    /// --from-state evaluates it again later. Costs no extra request
    #[arg(long, value_name = "FILE")]
    pub save_state: Option<PathBuf>,
    #[command(flatten)]
    pub report: ReportArgs,
    /// After the report, print the s3tk command that fixes each failing finding (on stderr)
    #[arg(long)]
    pub fix: bool,
    /// With --fix: run the safe remediations (block public access, versioning, default
    /// encryption) on the failing buckets and report before → after; the exit code then
    /// reflects the state after the fixes
    #[arg(long, requires = "fix")]
    pub apply: bool,
}

/// How a scan's findings are reported and gated (`scan`, `scan-dns`).
#[derive(Debug, Args)]
pub struct ReportArgs {
    // The help names the registered reporters (`format_help`).
    #[arg(long, value_name = "FORMAT[=PATH]", help = format_help(), value_parser = KnownValues { values: reporter_names, parse: parse_format }, hide_possible_values = true)]
    pub format: Vec<String>,
    /// Exit 1 only for failing findings of this severity or worse; `never` for report-only runs
    #[arg(long, value_name = "SEVERITY", default_value = "low", value_parser = KnownValues { values: fail_on_levels, parse: parse_fail_on })]
    pub fail_on: FailOn,
    /// Table: also list passing and skipped findings (by default it lists failures, errors and
    /// muted findings); implied when --checks selects exactly one check
    #[arg(long)]
    pub show_passed: bool,
    /// Mute reviewed exceptions listed in this TOML file (default: .s3tk-ignore.toml if present)
    #[arg(long, value_name = "PATH")]
    pub ignore_file: Option<PathBuf>,
    /// SARIF: the code-scanning category (automationDetails.id), so reports of several accounts
    /// can be uploaded to GitHub side by side [default: s3tk]
    #[arg(long, value_name = "CATEGORY", value_parser = clap::builder::ValueParser::new(parse_sarif_category))]
    pub sarif_category: Option<String>,
    /// Markdown: at most this many bytes; what does not fit is cut and the report says so
    /// [default: 1000000, under GitHub's 1 MiB step summary; 65536 fits a pull-request comment]
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(crate::report::MIN_MARKDOWN_BYTES..))]
    pub markdown_max_bytes: Option<u64>,
}

/// A category is a path-like name (`prod/123456789012`): no spaces or control characters,
/// which GitHub would show verbatim in its tool filter.
fn parse_sarif_category(text: &str) -> Result<String, String> {
    if !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    {
        Ok(text.trim_end_matches('/').to_owned())
    } else {
        Err(format!(
            "'{}' is not a category: use letters, digits and - _ . / (e.g. prod/123456789012)",
            output::printable(text)
        ))
    }
}

/// `--format`'s help, naming every registered reporter, the default first.
fn format_help() -> String {
    let names = reporter_names();
    format!(
        "Output format, optionally to a file: {} (default), {}. Repeat for several outputs, e.g. --format table --format junit=reports/s3tk.xml",
        names[0],
        names[1..].join(", ")
    )
}

/// `--interval`: seconds, fractions allowed, from 0.1 (tests) to an hour.
fn parse_interval(text: &str) -> Result<std::time::Duration, String> {
    match text.parse::<f64>() {
        Ok(seconds) if (0.1..=3600.0).contains(&seconds) => {
            Ok(std::time::Duration::from_secs_f64(seconds))
        }
        _ => Err(format!(
            "'{}' is not a number of seconds from 0.1 to 3600",
            output::printable(text)
        )),
    }
}

/// A value parser whose values clap knows, so `--help` and the shell completions list them,
/// while `parse` decides what is valid (it may accept more: `json=report.json`, an id prefix)
/// and words the refusal, which clap reports as a usage error (exit 2).
#[derive(Clone)]
struct KnownValues<T> {
    values: fn() -> Vec<&'static str>,
    parse: fn(&str) -> Result<T, String>,
}

impl<T: Clone + Send + Sync + 'static> TypedValueParser for KnownValues<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        let text = value.to_str().ok_or_else(|| {
            clap::Error::raw(
                clap::error::ErrorKind::InvalidUtf8,
                format!("'{}' is not UTF-8\n", value.to_string_lossy()),
            )
        })?;
        (self.parse)(text).map_err(|message| {
            clap::Error::raw(clap::error::ErrorKind::InvalidValue, format!("{message}\n"))
                .with_cmd(cmd)
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            (self.values)().into_iter().map(PossibleValue::new),
        ))
    }
}

/// The registered reporters' names, the default first.
fn reporter_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = registry::reporters().iter().map(|r| r.name).collect();
    names.sort_by_key(|name| *name != output::DEFAULT_FORMAT);
    names
}

/// `FORMAT[=PATH]`: the format must be registered; the path is checked with the other outputs.
fn parse_format(spec: &str) -> Result<String, String> {
    let name = spec.split_once('=').map_or(spec, |(name, _)| name);
    match registry::reporter(name) {
        Some(_) => Ok(spec.to_owned()),
        None => Err(output::unknown_format(name)),
    }
}

fn fail_on_levels() -> Vec<&'static str> {
    let severities = crate::check::Severity::value_variants().iter();
    severities.map(|s| s.as_str()).chain(["never"]).collect()
}

fn parse_fail_on(text: &str) -> Result<FailOn, String> {
    text.parse()
}

fn check_ids() -> Vec<&'static str> {
    registry::checks().iter().map(|c| c.meta.id).collect()
}

/// `--checks`, `explain`: an id (or a dotted prefix), checked against the registry where it is
/// used, whose message names the ids that come close.
fn check_selector(text: &str) -> Result<String, String> {
    Ok(text.to_owned())
}

fn canned_acls() -> Vec<&'static str> {
    crate::objects::acl::CannedAcl::ALL
        .iter()
        .map(|acl| acl.as_str())
        .collect()
}

fn parse_canned_acl(text: &str) -> Result<String, String> {
    text.parse::<crate::objects::acl::CannedAcl>()
        .map(|acl| acl.as_str().to_owned())
}

fn parse_iam_command(name: &str) -> Result<String, String> {
    crate::iam::check_command(name).map(|()| name.to_owned())
}
